//! Approvals end to end (SPEC §5.10): hold a call, notify the webhook, decide (console or signed
//! callback), poll, match a retry and consume it, expire.
//!
//! The relay, the MCP gateway and the evaluate hook share three entry points: [`Services::presented_approval`]
//! (what an `X-Palisade-Approval` id means for this call, fed to the engine), [`Services::consume_approval`]
//! (when the engine turned the hold into `allow`) and [`Services::hold_for_approval`] (otherwise). The row is
//! committed before the caller answers, because the agent polls it straight away.

use std::time::Duration;

use chrono::{DateTime, SecondsFormat, SubsecRound, Utc};
use rand::RngCore;
use sea_orm::TransactionTrait;
use serde::Deserialize;
use serde_json::{json, Value};

use crate::auth::roles::Capability;
use crate::auth::signature;
use crate::domain::{Actor, ApiKey, KeyKind};
use crate::engine::firewall::{args_hash, Approval, Surface};
use crate::service::feeds::{FeedPage, FeedWindow};
use crate::service::identity::Principal;
use crate::service::relay::Lineage;
use crate::service::{FieldError, ServiceError, ServiceResult, Services};
use crate::store;
use crate::store::approvals::{ApprovalFilter, ApprovalRecord, Decision, STATES};
use crate::store::audit::NewAudit;
use crate::upstream::dial_guard::{refusal_of, DialGuard};

/// Longest decision note (§9.4).
const NOTE_CHARS: usize = 512;
/// Longest `actor` label a callback may give (same bound as names).
const ACTOR_CHARS: usize = 64;
/// How often the sweeper expires approvals (§5.10 step 7).
pub const SWEEP_EVERY: Duration = Duration::from_secs(60);
/// Per-attempt timeout of a webhook POST.
const WEBHOOK_TIMEOUT: Duration = Duration::from_secs(5);
/// Waits before each retry of a failed webhook POST (network error or 5xx), after the first attempt.
const WEBHOOK_RETRY_DELAYS: [Duration; 3] = [Duration::from_secs(1), Duration::from_secs(5), Duration::from_secs(25)];

/// A call the engine held (`pending_approval`), as any surface describes it.
#[derive(Clone, Debug)]
pub struct HoldRequest {
    pub workspace_id: i64,
    pub surface: Surface,
    pub tool_name: String,
    /// The arguments as evaluated; hashed with the canonical JSON of §2.8 so the retry can match them.
    pub arguments: Value,
    /// Already sanitized and cut to 512 characters by the caller (as for the event row).
    pub args_summary: Option<String>,
    pub key_id: Option<i64>,
    pub key_name: String,
    pub request_id: String,
    pub lineage: Lineage,
    pub policy_id: i64,
    pub policy_name: String,
    /// `None` only for draft rules, which never reach a real hold; stored as 0.
    pub rule_id: Option<i64>,
    pub rule_label: Option<String>,
    pub reason: String,
}

/// How a decision arrived.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Via {
    Console,
    Webhook,
}

impl Via {
    fn as_str(self) -> &'static str {
        match self {
            Via::Console => "console",
            Via::Webhook => "webhook",
        }
    }
}

/// The body of `POST /api/v1/firewall/approvals/:id/decision`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct CallbackBody {
    decision: String,
    #[serde(default)]
    note: Option<String>,
    #[serde(default)]
    actor: Option<String>,
}

/// A new approval id: 24 lowercase hex characters from the thread CSPRNG.
pub fn new_approval_id() -> String {
    let mut bytes = [0u8; 12];
    rand::rng().fill_bytes(&mut bytes);
    hex::encode(bytes)
}

/// True when `id` has the shape of an approval id (so garbage never reaches a query).
pub fn is_approval_id(id: &str) -> bool {
    id.len() == 24 && id.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

/// Trims a note; empty means none; longer than 512 characters is a field error.
fn clean_note(note: Option<String>) -> Result<Option<String>, FieldError> {
    let Some(note) = note.map(|note| note.trim().to_owned()).filter(|note| !note.is_empty()) else { return Ok(None) };
    if note.chars().count() > NOTE_CHARS {
        return Err(FieldError::new("note", format!("must be at most {NOTE_CHARS} characters")));
    }
    Ok(Some(note))
}

fn rfc3339(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Nanos, true)
}

impl Services {
    /// What the ids of `X-Palisade-Approval` mean for one call (§5.1 step 7): an approved, unexpired match
    /// wins, then a rejected one, then a pending one; expired or non-matching ids mean nothing.
    pub async fn presented_approval(&self, workspace_id: i64, ids: &[String], tool_name: &str, args_hash: &str) -> ServiceResult<Approval> {
        let ids: Vec<String> = ids.iter().filter(|id| is_approval_id(id)).cloned().collect();
        if ids.is_empty() {
            return Ok(Approval::None);
        }
        let now = Utc::now();
        let rows = store::approvals::find_matching(&self.db, workspace_id, &ids, tool_name, args_hash).await?;
        if let Some(approved) = rows.iter().find(|row| row.state == "approved" && row.expires_at > now) {
            let actor = store::approvals::approver_label(&self.db, workspace_id, &approved.approval_id).await?;
            return Ok(Approval::Approved { approval_id: approved.approval_id.clone(), actor: actor.unwrap_or_else(|| "unknown".into()) });
        }
        if let Some(rejected) = rows.iter().find(|row| row.state == "rejected") {
            return Ok(Approval::Rejected { approval_id: rejected.approval_id.clone() });
        }
        Ok(rows
            .iter()
            .find(|row| row.state == "pending" && row.expires_at > now)
            .map_or(Approval::None, |pending| Approval::Pending { approval_id: pending.approval_id.clone() }))
    }

    /// Marks an approved approval consumed by `request_id`; false when another retry got there first or it
    /// expired meanwhile (the caller then evaluates the call as held again).
    pub async fn consume_approval(&self, workspace_id: i64, approval_id: &str, tool_name: &str, args_hash: &str, request_id: &str) -> ServiceResult<bool> {
        Ok(store::approvals::consume(&self.db, workspace_id, approval_id, tool_name, args_hash, request_id, Utc::now()).await?)
    }

    /// Step 1 of §5.10: writes the approval (or reuses an unexpired pending one for the same key, tool and
    /// arguments) and returns its id; a new one is announced to the webhook in the background.
    pub async fn hold_for_approval(&self, hold: HoldRequest) -> ServiceResult<String> {
        // Microseconds, the precision of feed cursors: a finer stored time would re-list a row after its cursor.
        let now = Utc::now().trunc_subsecs(6);
        let hash = args_hash(&hold.arguments);
        if let Some(existing) = store::approvals::find_pending_duplicate(&self.db, hold.workspace_id, hold.key_id, &hold.tool_name, &hash, now).await? {
            return Ok(existing.approval_id);
        }
        let settings = store::workspaces::settings(&self.db, hold.workspace_id).await?.ok_or(ServiceError::NotFound("workspace"))?;
        let row = ApprovalRecord {
            workspace_id: hold.workspace_id,
            approval_id: new_approval_id(),
            state: "pending".into(),
            surface: hold.surface.as_str().into(),
            tool_name: hold.tool_name,
            args_hash: hash,
            args_summary: hold.args_summary,
            key_id: hold.key_id,
            key_name: hold.key_name,
            request_id: hold.request_id,
            run_id: hold.lineage.run_id,
            conversation_id: hold.lineage.conversation_id,
            step_id: hold.lineage.step_id,
            policy_id: hold.policy_id,
            policy_name: hold.policy_name,
            rule_id: hold.rule_id.unwrap_or(0),
            rule_label: hold.rule_label,
            reason: hold.reason,
            created_at: now,
            expires_at: now + chrono::Duration::seconds(settings.approval_ttl_seconds),
            ..Default::default()
        };
        let row = store::approvals::insert(&self.db, &row).await?;
        self.notify(row.workspace_id, "firewall.approval.pending", self.pending_data(&row));
        Ok(row.approval_id)
    }

    fn pending_data(&self, row: &ApprovalRecord) -> Value {
        let public_url = self.config.server.public_url.trim_end_matches('/');
        json!({
            "approval_id": row.approval_id, "tool_name": row.tool_name, "surface": row.surface,
            "args_hash": row.args_hash, "reason": row.reason, "policy_id": row.policy_id, "rule_id": row.rule_id,
            "rule_label": row.rule_label, "request_id": row.request_id, "run_id": row.run_id,
            "conversation_id": row.conversation_id, "expires_at": rfc3339(row.expires_at),
            "decision_url": format!("{public_url}/api/v1/firewall/approvals/{}/decision", row.approval_id),
        })
    }

    /// `POST /api/workspace/firewall/approvals/:id/approve|reject` (Developer+).
    pub async fn decide_approval(&self, principal: &Principal, approval_id: &str, approve: bool, note: Option<String>) -> ServiceResult<ApprovalRecord> {
        principal.require(Capability::EditPosture)?;
        let note = clean_note(note)?;
        self.record_decision(principal.workspace_id, approval_id, approve, &principal.actor(), Via::Console, note).await
    }

    /// `POST /api/v1/firewall/approvals/:id/decision`: no credential but the workspace's webhook secret.
    /// The workspace is the approval's own; the signature is checked before the body is even parsed.
    pub async fn decide_approval_by_callback(&self, approval_id: &str, signature_header: Option<&str>, body: &[u8]) -> ServiceResult<ApprovalRecord> {
        let approval = match is_approval_id(approval_id) {
            true => store::approvals::find_any(&self.db, approval_id).await?,
            false => None,
        };
        let approval = approval.ok_or(ServiceError::NotFound("approval"))?;
        let secret = self.webhook_secret(approval.workspace_id).await?;
        let Some(secret) = secret else {
            return Err(ServiceError::InvalidSignature("this workspace has no webhook secret".into()));
        };
        let header = signature_header.ok_or_else(|| ServiceError::InvalidSignature("the X-Palisade-Signature header is missing".into()))?;
        signature::verify(secret.as_bytes(), header, body, Utc::now().timestamp()).map_err(|err| ServiceError::InvalidSignature(err.to_string()))?;
        let parsed: CallbackBody = serde_json::from_slice(body).map_err(|err| FieldError::new("body", format!("invalid decision body: {err}")))?;
        let approve = match parsed.decision.as_str() {
            "approve" => true,
            "reject" => false,
            _ => return Err(FieldError::new("decision", "must be `approve` or `reject`").into()),
        };
        let note = clean_note(parsed.note)?;
        let actor_name = match parsed.actor.map(|actor| actor.trim().to_owned()).filter(|actor| !actor.is_empty()) {
            Some(actor) => crate::service::required_name("actor", &actor, ACTOR_CHARS)?,
            None => "callback".to_owned(),
        };
        let actor = Actor { user_id: None, label: format!("webhook:{actor_name}") };
        self.record_decision(approval.workspace_id, approval_id, approve, &actor, Via::Webhook, note).await
    }

    /// First writer wins: the conditional update and its audit row commit together, or 409 with the state.
    async fn record_decision(&self, workspace_id: i64, approval_id: &str, approve: bool, actor: &Actor, via: Via, note: Option<String>) -> ServiceResult<ApprovalRecord> {
        let now = Utc::now();
        let ttl = store::workspaces::settings(&self.db, workspace_id).await?.map_or(86_400, |settings| settings.approval_ttl_seconds);
        let txn = self.db.begin().await?;
        store::approvals::expire_due(&txn, Some(workspace_id), now).await?;
        let current = store::approvals::find(&txn, workspace_id, approval_id).await?.ok_or(ServiceError::NotFound("approval"))?;
        let state = if approve { "approved" } else { "rejected" };
        let decision = Decision {
            state,
            decided_at: now,
            decided_by_user_id: actor.user_id,
            decided_via: via.as_str(),
            note,
            expires_at: approve.then(|| now + chrono::Duration::seconds(ttl)),
        };
        if !store::approvals::decide(&txn, workspace_id, approval_id, &decision).await? {
            // Re-read: a concurrent decider may have won between the read above and the update.
            let now_state = store::approvals::find(&txn, workspace_id, approval_id).await?.map_or(current.state, |row| row.state);
            return Err(ServiceError::ApprovalNotPending { state: now_state });
        }
        let verb = if approve { "firewall_approval_approved" } else { "firewall_approval_rejected" };
        let metadata = json!({
            "approval_id": approval_id, "tool_name": current.tool_name, "surface": current.surface,
            "policy_id": current.policy_id, "rule_id": current.rule_id, "decided_via": via.as_str(),
        });
        let audit = NewAudit { workspace_id, actor, verb, target_type: "approval", target_id: approval_id.to_owned(), metadata };
        store::audit::insert(&txn, audit, now).await?;
        let decided = store::approvals::find(&txn, workspace_id, approval_id).await?.ok_or(ServiceError::NotFound("approval"))?;
        txn.commit().await?;
        let data = json!({ "approval_id": decided.approval_id, "state": decided.state, "decided_via": via.as_str() });
        self.notify(workspace_id, "firewall.approval.decided", data);
        Ok(decided)
    }

    /// `GET /api/workspace/firewall/approvals/:id` (Developer+).
    pub async fn get_approval(&self, principal: &Principal, approval_id: &str) -> ServiceResult<ApprovalRecord> {
        principal.require(Capability::ReadSensitiveFeeds)?;
        self.read_approval(principal.workspace_id, approval_id).await
    }

    /// `GET /api/v1/firewall/approvals/:id`: a gateway key with scope `approvals`, or the relay key whose
    /// call created the approval (§8.2).
    pub async fn poll_approval(&self, key: &ApiKey, approval_id: &str) -> ServiceResult<ApprovalRecord> {
        if key.kind == KeyKind::Gateway {
            self.require_scope(key, "approvals")?;
        }
        let approval = self.read_approval(key.workspace_id, approval_id).await?;
        if key.kind == KeyKind::Relay && approval.key_id != Some(key.id) {
            return Err(ServiceError::Forbidden("a relay key may poll only the approvals its own calls created".into()));
        }
        Ok(approval)
    }

    /// Expire-on-read, then the row.
    async fn read_approval(&self, workspace_id: i64, approval_id: &str) -> ServiceResult<ApprovalRecord> {
        if !is_approval_id(approval_id) {
            return Err(ServiceError::NotFound("approval"));
        }
        store::approvals::expire_due(&self.db, Some(workspace_id), Utc::now()).await?;
        store::approvals::find(&self.db, workspace_id, approval_id).await?.ok_or(ServiceError::NotFound("approval"))
    }

    /// `GET /api/workspace/firewall/approvals` (Developer+): `state` defaults to `pending` (oldest first).
    pub async fn list_approvals(&self, principal: &Principal, state: Option<String>, tool_name: Option<String>, key_id: Option<i64>, window: FeedWindow) -> ServiceResult<FeedPage<ApprovalRecord>> {
        principal.require(Capability::ReadSensitiveFeeds)?;
        let state = state.unwrap_or_else(|| "pending".into());
        if !STATES.contains(&state.as_str()) {
            return Err(FieldError::new("state", format!("must be one of {}", STATES.join(", "))).into());
        }
        let now = Utc::now();
        let page = window.page(now)?;
        store::approvals::expire_due(&self.db, Some(principal.workspace_id), now).await?;
        let filter = ApprovalFilter { state, tool_name, key_id };
        let (data, next_cursor) = store::approvals::list(&self.db, principal.workspace_id, &filter, &page).await?;
        Ok(FeedPage { data, next_cursor })
    }

    /// Moves every overdue approval to `expired` (the sweeper's tick); returns how many moved.
    pub async fn expire_approvals(&self, now: DateTime<Utc>) -> ServiceResult<u64> {
        Ok(store::approvals::expire_due(&self.db, None, now).await?)
    }

    /// Starts the §5.10 step 7 sweeper: every [`SWEEP_EVERY`], overdue approvals become `expired`.
    pub fn spawn_approval_sweeper(&self) -> tokio::task::JoinHandle<()> {
        let services = self.clone();
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(SWEEP_EVERY);
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                tick.tick().await;
                match services.expire_approvals(Utc::now()).await {
                    Ok(0) => {}
                    Ok(moved) => tracing::debug!(moved, "approvals expired"),
                    Err(err) => tracing::warn!(error = %err, "approval sweeper failed; retrying next tick"),
                }
            }
        })
    }

    async fn webhook_secret(&self, workspace_id: i64) -> ServiceResult<Option<String>> {
        let settings = store::workspaces::settings(&self.db, workspace_id).await?.ok_or(ServiceError::NotFound("workspace"))?;
        match settings.approval_webhook_secret_enc {
            Some(sealed) => Ok(Some(self.secrets.decrypt(&sealed).map_err(|err| ServiceError::Internal(err.into()))?)),
            None => Ok(None),
        }
    }

    /// Step 2 of §5.10: if the workspace has a webhook URL, POSTs `event` in a background task, so the
    /// relay reply never waits on it. Best effort: the console queue is the system of record.
    fn notify(&self, workspace_id: i64, event: &'static str, data: Value) {
        let services = self.clone();
        tokio::spawn(async move {
            let settings = match store::workspaces::settings(&services.db, workspace_id).await {
                Ok(Some(settings)) => settings,
                Ok(None) => return,
                Err(err) => return tracing::warn!(error = %err, event, "approval webhook: settings unreadable"),
            };
            let Some(url) = settings.approval_webhook_url else { return };
            let secret = match services.webhook_secret(workspace_id).await {
                Ok(secret) => secret,
                Err(_) => return tracing::warn!(event, workspace_id, "approval webhook: the secret cannot be unsealed; not sent"),
            };
            let body = json!({ "event": event, "workspace_id": workspace_id, "occurred_at": rfc3339(Utc::now()), "data": data });
            deliver(&services.dial_guard, &url, secret.as_deref(), event, body.to_string().into_bytes()).await;
        });
    }
}

/// The host of `url` for logs (paths and queries may carry tokens; the secret never appears).
fn host_of(url: &reqwest::Url) -> String {
    url.host_str().unwrap_or("?").to_owned()
}

/// POSTs one webhook through the dial guard: 5 s per attempt, retried after 1 s, 5 s and 25 s on network
/// errors or 5xx. Each attempt is signed afresh so a late retry still passes the receiver's 300 s window.
/// A workspace without a secret gets unsigned deliveries (receivers should refuse them).
pub async fn deliver(guard: &std::sync::Arc<DialGuard>, url: &str, secret: Option<&str>, event: &'static str, body: Vec<u8>) -> bool {
    let url = match reqwest::Url::parse(url) {
        Ok(url) => url,
        Err(_) => {
            tracing::warn!(event, "approval webhook: the stored URL does not parse; not sent");
            return false;
        }
    };
    if let Err(refusal) = guard.vet_literal(&url) {
        tracing::warn!(event, host = %host_of(&url), reason = %refusal, "approval webhook refused");
        return false;
    }
    let client = guard.client(WEBHOOK_TIMEOUT);
    let mut delays = WEBHOOK_RETRY_DELAYS.iter();
    loop {
        let mut request = client
            .post(url.clone())
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .header("x-palisade-event", event)
            .body(body.clone());
        if let Some(secret) = secret {
            request = request.header(signature::HEADER, signature::sign(secret.as_bytes(), Utc::now().timestamp(), &body));
        }
        let retry = match request.send().await {
            Ok(response) if response.status().is_server_error() => {
                tracing::warn!(event, host = %host_of(&url), status = response.status().as_u16(), "approval webhook: receiver failed");
                true
            }
            Ok(response) => {
                if !response.status().is_success() {
                    tracing::warn!(event, host = %host_of(&url), status = response.status().as_u16(), "approval webhook: receiver refused");
                }
                return response.status().is_success();
            }
            Err(err) => match refusal_of(&err) {
                Some(refusal) => {
                    tracing::warn!(event, host = %host_of(&url), reason = %refusal, "approval webhook refused");
                    return false;
                }
                None => {
                    tracing::warn!(event, host = %host_of(&url), timeout = err.is_timeout(), "approval webhook: network error");
                    true
                }
            },
        };
        match (retry, delays.next()) {
            (true, Some(delay)) => tokio::time::sleep(*delay).await,
            _ => return false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn approval_ids_are_24_lowercase_hex_and_distinct() {
        let (a, b) = (new_approval_id(), new_approval_id());
        assert!(is_approval_id(&a) && is_approval_id(&b), "{a} {b}");
        assert_ne!(a, b);
        assert!(!is_approval_id("ABCDEF0123456789abcdef01"));
        assert!(!is_approval_id("abc"));
        assert!(!is_approval_id("0123456789abcdef0123456g"));
    }

    #[test]
    fn notes_are_trimmed_optional_and_bounded() {
        assert_eq!(clean_note(None), Ok(None));
        assert_eq!(clean_note(Some("  ".into())), Ok(None));
        assert_eq!(clean_note(Some(" ok ".into())), Ok(Some("ok".into())));
        assert_eq!(clean_note(Some("x".repeat(513))).map_err(|err| err.field), Err("note".to_owned()));
    }
}
