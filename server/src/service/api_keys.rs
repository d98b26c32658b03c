//! API keys: create (secret shown once), edit, rotate, delete, list; and authentication of a presented
//! secret for the relay and the gateway (SPEC §2.3, §8.2, pipeline stages 1–3).

use std::net::IpAddr;

use chrono::{DateTime, Utc};
use ipnet::IpNet;
use sea_orm::{ConnectionTrait, TransactionTrait};
use serde_json::json;

use crate::auth::keys;
use crate::auth::roles::Capability;
use crate::domain::{Actor, ApiKey, KeyKind};
use crate::service::identity::Principal;
use crate::service::{required_name, FieldError, ServiceError, ServiceResult, Services};
use crate::service::live_cache::Invalidation;
use crate::service::live_listen;
use crate::store::{self, api_keys::KeyFields, audit::NewAudit};

const MAX_MODEL_ALLOWLIST: usize = 200;
const MAX_IP_ALLOWLIST: usize = 100;
const MAX_ENVIRONMENT: usize = 32;

/// Fields a caller may send to create or edit a key; `None` means "leave as is" (or the default).
/// Double options distinguish "absent" from "set to null".
#[derive(Clone, Debug, Default)]
pub struct KeyInput {
    pub name: Option<String>,
    pub kind: Option<String>,
    pub scopes: Option<Vec<String>>,
    pub status: Option<String>,
    pub environment: Option<Option<String>>,
    pub guardrail_id: Option<Option<i64>>,
    pub firewall_policy_id: Option<Option<i64>>,
    pub model_allowlist_enabled: Option<bool>,
    pub model_allowlist: Option<Vec<String>>,
    pub ip_allowlist: Option<Vec<String>>,
    pub credit_limit_usd: Option<f64>,
    pub rate_limit_rpm: Option<i64>,
    pub expires_at: Option<Option<DateTime<Utc>>>,
}

/// A key together with its plaintext secret, returned only by create and rotate.
#[derive(Clone, Debug)]
pub struct KeyWithSecret {
    pub key: ApiKey,
    pub secret: String,
}

fn parse_kind(kind: Option<&str>) -> Result<KeyKind, FieldError> {
    match kind {
        None => Ok(KeyKind::Relay),
        Some(kind) => KeyKind::parse(kind).ok_or_else(|| FieldError::new("kind", "must be `relay` or `gateway`")),
    }
}

fn capability_for(kind: KeyKind) -> Capability {
    match kind {
        KeyKind::Relay => Capability::ManageRelayKeys,
        KeyKind::Gateway => Capability::ManageGatewayKeys,
    }
}

/// Converts decimal USD to integer micro-dollars, refusing negatives and absurd values.
pub fn usd_to_micros(field: &str, usd: f64) -> Result<i64, FieldError> {
    if !usd.is_finite() || usd < 0.0 || usd > 1e9 {
        return Err(FieldError::new(field, "must be a number of USD between 0 and 1000000000"));
    }
    Ok((usd * 1_000_000.0).round() as i64)
}

fn validate_model_entry(entry: &str) -> bool {
    let Some((provider, model)) = entry.split_once('/') else { return false };
    !provider.is_empty() && !model.is_empty() && !entry.chars().any(|c| c.is_whitespace() || c.is_control())
}

/// Merges `input` over `base` (the current key, or defaults for a new one) and validates the result.
fn merge_fields(kind: KeyKind, base: KeyFields, input: KeyInput) -> Result<KeyFields, Vec<FieldError>> {
    let mut errors = Vec::new();
    let mut fields = base;
    if let Some(name) = input.name {
        match required_name("name", &name, 64) {
            Ok(name) => fields.name = name,
            Err(err) => errors.push(err),
        }
    } else if fields.name.is_empty() {
        errors.push(FieldError::new("name", "is required"));
    }
    if let Some(scopes) = input.scopes {
        for (idx, scope) in scopes.iter().enumerate() {
            if !kind.allowed_scopes().contains(&scope.as_str()) {
                let allowed = kind.allowed_scopes().join(", ");
                errors.push(FieldError::new(format!("scopes[{idx}]"), format!("must be one of {allowed}")));
            }
        }
        let mut scopes = scopes;
        scopes.sort();
        scopes.dedup();
        fields.scopes = scopes;
    }
    if let Some(status) = input.status {
        match status.as_str() {
            "active" => fields.active = true,
            "disabled" => fields.active = false,
            _ => errors.push(FieldError::new("status", "must be `active` or `disabled`")),
        }
    }
    if let Some(environment) = input.environment {
        fields.environment = environment
            .map(|env| env.trim().chars().take(MAX_ENVIRONMENT).collect::<String>())
            .filter(|env| !env.is_empty());
    }
    if let Some(guardrail_id) = input.guardrail_id {
        fields.guardrail_id = guardrail_id;
    }
    if let Some(policy_id) = input.firewall_policy_id {
        fields.firewall_policy_id = policy_id;
    }
    if let Some(enabled) = input.model_allowlist_enabled {
        fields.model_allowlist_enabled = enabled;
    }
    if let Some(models) = input.model_allowlist {
        if models.len() > MAX_MODEL_ALLOWLIST {
            errors.push(FieldError::new("model_allowlist", format!("must have at most {MAX_MODEL_ALLOWLIST} entries")));
        }
        for (idx, entry) in models.iter().enumerate() {
            if !validate_model_entry(entry) {
                errors.push(FieldError::new(format!("model_allowlist[{idx}]"), "must be `provider/model` or `provider/*`"));
            }
        }
        fields.model_allowlist = models;
    }
    if let Some(ips) = input.ip_allowlist {
        if ips.len() > MAX_IP_ALLOWLIST {
            errors.push(FieldError::new("ip_allowlist", format!("must have at most {MAX_IP_ALLOWLIST} entries")));
        }
        for (idx, entry) in ips.iter().enumerate() {
            if entry.parse::<IpAddr>().is_err() && entry.parse::<IpNet>().is_err() {
                errors.push(FieldError::new(format!("ip_allowlist[{idx}]"), "must be an IPv4/IPv6 address or CIDR"));
            }
        }
        fields.ip_allowlist = ips;
    }
    if let Some(usd) = input.credit_limit_usd {
        match usd_to_micros("credit_limit_usd", usd) {
            Ok(micros) => fields.credit_limit_micros = micros,
            Err(err) => errors.push(err),
        }
    }
    if let Some(rpm) = input.rate_limit_rpm {
        if rpm < 0 {
            errors.push(FieldError::new("rate_limit_rpm", "must be 0 (unlimited) or more"));
        }
        fields.rate_limit_rpm = rpm;
    }
    if let Some(expires_at) = input.expires_at {
        fields.expires_at = expires_at;
    }
    if errors.is_empty() {
        Ok(fields)
    } else {
        Err(errors)
    }
}

fn fields_of(key: &ApiKey) -> KeyFields {
    KeyFields {
        name: key.name.clone(),
        scopes: key.scopes.clone(),
        active: key.active,
        environment: key.environment.clone(),
        guardrail_id: key.guardrail_id,
        firewall_policy_id: key.firewall_policy_id,
        model_allowlist_enabled: key.model_allowlist_enabled,
        model_allowlist: key.model_allowlist.clone(),
        ip_allowlist: key.ip_allowlist.clone(),
        credit_limit_micros: key.credit_limit_micros,
        rate_limit_rpm: key.rate_limit_rpm,
        expires_at: key.expires_at,
    }
}

fn defaults(kind: KeyKind) -> KeyFields {
    KeyFields {
        name: String::new(),
        scopes: kind.default_scopes(),
        active: true,
        environment: None,
        guardrail_id: None,
        firewall_policy_id: None,
        model_allowlist_enabled: false,
        model_allowlist: Vec::new(),
        ip_allowlist: Vec::new(),
        credit_limit_micros: 0,
        rate_limit_rpm: 0,
        expires_at: None,
    }
}

fn key_metadata(key: &ApiKey) -> serde_json::Value {
    json!({ "id": key.id, "name": key.name, "kind": key.kind.as_str(), "scopes": key.scopes })
}

async fn audit_key(
    db: &impl ConnectionTrait,
    workspace_id: i64,
    actor: &Actor,
    verb: &str,
    key: &ApiKey,
    now: DateTime<Utc>,
) -> ServiceResult<()> {
    store::audit::insert(
        db,
        NewAudit {
            workspace_id,
            actor,
            verb,
            target_type: "api_key",
            target_id: key.id.to_string(),
            metadata: key_metadata(key),
        },
        now,
    )
    .await?;
    Ok(())
}

fn name_taken_or(err: sea_orm::DbErr, name: &str) -> ServiceError {
    if store::is_unique_violation(&err) {
        ServiceError::NameTaken(format!("key name `{name}`"))
    } else {
        err.into()
    }
}

impl Services {
    /// Every key of the principal's workspace.
    pub async fn list_api_keys(&self, principal: &Principal) -> ServiceResult<Vec<ApiKey>> {
        principal.require(Capability::ReadWorkspace)?;
        Ok(store::api_keys::list(&self.db, principal.workspace_id).await?)
    }

    /// One key of the principal's workspace.
    pub async fn get_api_key(&self, principal: &Principal, id: i64) -> ServiceResult<ApiKey> {
        principal.require(Capability::ReadWorkspace)?;
        store::api_keys::find_in_workspace(&self.db, principal.workspace_id, id).await?.ok_or(ServiceError::NotFound("api key"))
    }

    /// Creates a key; the returned secret is never retrievable again.
    pub async fn create_api_key(&self, principal: &Principal, input: KeyInput, now: DateTime<Utc>) -> ServiceResult<KeyWithSecret> {
        let kind = parse_kind(input.kind.as_deref())?;
        principal.require(capability_for(kind))?;
        self.create_api_key_as(&principal.actor(), principal.workspace_id, input, now).await
    }

    /// Creates a key on behalf of `actor` without a role check (the admin CLI acts as `system`).
    pub async fn create_api_key_as(&self, actor: &Actor, workspace_id: i64, input: KeyInput, now: DateTime<Utc>) -> ServiceResult<KeyWithSecret> {
        let kind = parse_kind(input.kind.as_deref())?;
        let fields = merge_fields(kind, defaults(kind), input).map_err(ServiceError::Invalid)?;
        self.check_bindings(workspace_id, &fields).await?;
        let generated = keys::generate(kind);
        let txn = self.db.begin().await?;
        let new = store::api_keys::NewKey {
            workspace_id,
            kind,
            key_hint: &generated.hint,
            secret_hash: &generated.hash,
            created_by: actor.user_id,
        };
        let key = store::api_keys::insert(&txn, new, &fields, now).await.map_err(|err| name_taken_or(err, &fields.name))?;
        audit_key(&txn, workspace_id, actor, "api_key_create", &key, now).await?;
        txn.commit().await?;
        Ok(KeyWithSecret { key, secret: generated.secret })
    }

    /// Edits a key's fields (not its kind or secret).
    pub async fn update_api_key(&self, principal: &Principal, id: i64, input: KeyInput, now: DateTime<Utc>) -> ServiceResult<ApiKey> {
        let current = self.get_api_key(principal, id).await?;
        principal.require(capability_for(current.kind))?;
        if input.kind.as_deref().is_some_and(|kind| kind != current.kind.as_str()) {
            return Err(FieldError::new("kind", "cannot be changed; create a new key instead").into());
        }
        let fields = merge_fields(current.kind, fields_of(&current), input).map_err(ServiceError::Invalid)?;
        self.check_bindings(principal.workspace_id, &fields).await?;
        let txn = self.db.begin().await?;
        let key = store::api_keys::update(&txn, id, &fields).await.map_err(|err| name_taken_or(err, &fields.name))?;
        audit_key(&txn, principal.workspace_id, &principal.actor(), "api_key_update", &key, now).await?;
        self.commit_key_change(txn, id).await?;
        Ok(key)
    }

    /// Issues a new secret; the old one stops working at once.
    pub async fn rotate_api_key(&self, principal: &Principal, id: i64, now: DateTime<Utc>) -> ServiceResult<KeyWithSecret> {
        let current = self.get_api_key(principal, id).await?;
        principal.require(capability_for(current.kind))?;
        let generated = keys::generate(current.kind);
        let txn = self.db.begin().await?;
        let key = store::api_keys::set_secret(&txn, id, &generated.hint, &generated.hash).await?;
        audit_key(&txn, principal.workspace_id, &principal.actor(), "api_key_rotate", &key, now).await?;
        self.commit_key_change(txn, id).await?;
        Ok(KeyWithSecret { key, secret: generated.secret })
    }

    /// Deletes a key.
    pub async fn delete_api_key(&self, principal: &Principal, id: i64, now: DateTime<Utc>) -> ServiceResult<()> {
        let current = self.get_api_key(principal, id).await?;
        principal.require(capability_for(current.kind))?;
        let txn = self.db.begin().await?;
        store::api_keys::delete(&txn, id).await?;
        audit_key(&txn, principal.workspace_id, &principal.actor(), "api_key_delete", &current, now).await?;
        self.commit_key_change(txn, id).await?;
        Ok(())
    }

    /// Guardrail and policy bindings must name objects of the same workspace.
    async fn check_bindings(&self, workspace_id: i64, fields: &KeyFields) -> ServiceResult<()> {
        let mut errors = Vec::new();
        if let Some(id) = fields.guardrail_id {
            if !store::exists_in_workspace(&self.db, "guardrails", workspace_id, id).await? {
                errors.push(FieldError::new("guardrail_id", format!("guardrail {id} does not exist in this workspace")));
            }
        }
        if let Some(id) = fields.firewall_policy_id {
            if !store::exists_in_workspace(&self.db, "firewall_policies", workspace_id, id).await? {
                errors.push(FieldError::new("firewall_policy_id", format!("policy {id} does not exist in this workspace")));
            }
        }
        if errors.is_empty() {
            Ok(())
        } else {
            Err(ServiceError::Invalid(errors))
        }
    }

    /// Pipeline stages 1–3 for a presented Bearer token: known key of `kind`, active, unexpired, and the
    /// client IP inside its allow-list. A key of the other kind is `Forbidden` (SPEC §8.2).
    pub async fn authenticate_key(&self, token: &str, kind: KeyKind, client_ip: Option<IpAddr>, now: DateTime<Utc>) -> ServiceResult<ApiKey> {
        let key = self.find_presented_key(token).await?;
        self.admit_key(&key, kind, client_ip, now)?;
        Ok(key)
    }

    /// Stage 1: the active key behind a presented Bearer token (`InvalidApiKey` when none).
    pub async fn find_presented_key(&self, token: &str) -> ServiceResult<ApiKey> {
        let Some(presented_kind) = keys::kind_of(token) else { return Err(ServiceError::InvalidApiKey) };
        let key = self.key_by_secret_hash(keys::hash_secret(token)).await?;
        // A token whose prefix lies about its kind is not that key.
        key.filter(|key| key.active && key.kind == presented_kind).ok_or(ServiceError::InvalidApiKey)
    }

    /// Stages 1–3 for a known key: the right kind for this plane, unexpired, client IP allowed. The key is
    /// known when this fails, so the relay can record the rejection against it.
    pub fn admit_key(&self, key: &ApiKey, kind: KeyKind, client_ip: Option<IpAddr>, now: DateTime<Utc>) -> ServiceResult<()> {
        if key.kind != kind {
            return Err(ServiceError::Forbidden(format!("a {} key cannot be used here", key.kind.as_str())));
        }
        if key.expires_at.is_some_and(|expires_at| expires_at <= now) {
            return Err(ServiceError::KeyExpired);
        }
        if !ip_allowed(&key.ip_allowlist, client_ip) {
            return Err(ServiceError::AccessDenied);
        }
        Ok(())
    }

    /// The key with this secret hash, from the live cache or else the database (then cached).
    async fn key_by_secret_hash(&self, secret_hash: String) -> ServiceResult<Option<ApiKey>> {
        let now = std::time::Instant::now();
        if let Some(key) = self.live.key(&secret_hash, now) {
            return Ok(Some(key));
        }
        let generation = self.live.generation();
        let key = store::api_keys::find_by_secret_hash(&self.db, &secret_hash).await?;
        if let Some(key) = &key {
            self.live.put_key(secret_hash, key.clone(), generation, now);
        }
        Ok(key)
    }

    /// Commits a key change and drops the key from every replica's live cache.
    async fn commit_key_change(&self, txn: sea_orm::DatabaseTransaction, key_id: i64) -> ServiceResult<()> {
        let change = Invalidation::Key(key_id);
        live_listen::notify(&txn, change).await?;
        txn.commit().await?;
        self.live.invalidate(change);
        Ok(())
    }

    /// Refuses unless `key` holds `scope`.
    pub fn require_scope(&self, key: &ApiKey, scope: &str) -> ServiceResult<()> {
        if key.scopes.iter().any(|held| held == scope) {
            Ok(())
        } else {
            Err(ServiceError::Forbidden(format!("this key lacks the `{scope}` scope")))
        }
    }
}

/// True when the allow-list is empty or contains `ip` (as an address or inside a CIDR).
pub fn ip_allowed(allowlist: &[String], ip: Option<IpAddr>) -> bool {
    if allowlist.is_empty() {
        return true;
    }
    let Some(ip) = ip else { return false };
    allowlist.iter().any(|entry| match entry.parse::<IpAddr>() {
        Ok(addr) => addr == ip,
        Err(_) => entry.parse::<IpNet>().is_ok_and(|net| net.contains(&ip)),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn merge_validates_every_field_and_names_it() {
        let input = KeyInput {
            name: Some("  ".into()),
            scopes: Some(vec!["chat".into(), "mcp".into()]),
            status: Some("paused".into()),
            model_allowlist: Some(vec!["openai/gpt-4o".into(), "gpt-4o".into()]),
            ip_allowlist: Some(vec!["10.0.0.0/8".into(), "not-an-ip".into()]),
            credit_limit_usd: Some(-1.0),
            rate_limit_rpm: Some(-5),
            ..Default::default()
        };
        let errors = merge_fields(KeyKind::Relay, defaults(KeyKind::Relay), input).expect_err("invalid");
        let fields: Vec<&str> = errors.iter().map(|err| err.field.as_str()).collect();
        assert_eq!(
            fields,
            ["name", "scopes[1]", "status", "model_allowlist[1]", "ip_allowlist[1]", "credit_limit_usd", "rate_limit_rpm"]
        );
    }

    #[test]
    fn merge_applies_defaults_and_truncates_environment() {
        let input = KeyInput {
            name: Some(" ci ".into()),
            environment: Some(Some("x".repeat(40))),
            credit_limit_usd: Some(1.5),
            ..Default::default()
        };
        let fields = merge_fields(KeyKind::Gateway, defaults(KeyKind::Gateway), input).expect("valid");
        assert_eq!(fields.name, "ci");
        assert_eq!(fields.environment.as_deref().map(str::len), Some(32));
        assert_eq!(fields.credit_limit_micros, 1_500_000);
        assert!(!fields.scopes.contains(&"mcp_credentials".to_string()));
        assert!(fields.scopes.contains(&"evaluate".to_string()));
    }

    #[test]
    fn ip_allowlist_matches_addresses_and_cidrs() {
        let list = vec!["10.1.0.0/16".to_string(), "::1".to_string()];
        assert!(ip_allowed(&[], None));
        assert!(ip_allowed(&list, "10.1.2.3".parse().ok()));
        assert!(ip_allowed(&list, "::1".parse().ok()));
        assert!(!ip_allowed(&list, "10.2.0.1".parse().ok()));
        assert!(!ip_allowed(&list, None));
    }
}
