//! Sanitize (SPEC §5.6): rewrite secrets in the string leaves of tool-call arguments, and the
//! `args_summary` of events and approvals.
//!
//! Uses the guardrail crate's entity detectors (`crate::engine::guardrail::pii`) for the 12
//! secret entities, `ssn`, `credit_card` and `email`; owns the `bearer` pattern and custom regexes.
//! Never touches keys or tool results. A leaf is scanned as `<key>: <value>` so key-dependent
//! detectors see their key, but only bytes of the value are replaced. Overlapping spans are merged,
//! so every byte any detector reported is replaced (a partial overlap never leaks a tail).

use regex::Regex;
use serde_json::{Map, Value};

use crate::engine::firewall::args::build_regex;
use crate::engine::firewall::config::SanitizeConfig;
use crate::engine::guardrail::pii::{detect, Entity};

/// `args_summary` length cap in characters (SPEC §9.4).
pub const MAX_SUMMARY_CHARS: usize = 512;

/// The `bearer` preset pattern (SPEC §5.6); the whole match is replaced.
pub const BEARER_PATTERN: &str = r"(?i)\bbearer\s+[A-Za-z0-9._~+/-]+=*";

/// Sanitize presets in application order (SPEC §5.6), with their detector.
const PRESETS: [(&str, Option<Entity>); 16] = [
    ("aws_access_key", Some(Entity::AwsAccessKey)),
    ("aws_secret_key", Some(Entity::AwsSecretKey)),
    ("github_token", Some(Entity::GithubToken)),
    ("slack_token", Some(Entity::SlackToken)),
    ("stripe_key", Some(Entity::StripeKey)),
    ("api_key_openai", Some(Entity::ApiKeyOpenai)),
    ("anthropic_key", Some(Entity::AnthropicKey)),
    ("google_api_key", Some(Entity::GoogleApiKey)),
    ("private_key", Some(Entity::PrivateKey)),
    ("jwt", Some(Entity::Jwt)),
    ("generic_password", Some(Entity::GenericPassword)),
    ("db_connection_string", Some(Entity::DbConnectionString)),
    ("bearer", None),
    ("ssn", Some(Entity::Ssn)),
    ("credit_card", Some(Entity::CreditCard)),
    ("email", Some(Entity::Email)),
];

/// Every preset name, in application order.
pub fn preset_names() -> impl Iterator<Item = &'static str> {
    PRESETS.iter().map(|(name, _)| *name)
}

/// The canonical preset name for `name` (`openai_key` → `api_key_openai`), or `None` if unknown.
pub fn preset_by_name(name: &str) -> Option<&'static str> {
    let name = if name == "openai_key" { "api_key_openai" } else { name };
    preset_names().find(|preset| *preset == name)
}

/// A compiled sanitizer: selected presets plus custom regexes.
#[derive(Clone, Debug)]
pub struct Sanitizer {
    /// Selected presets as indexes into `PRESETS`, ascending (= application order).
    presets: Vec<usize>,
    entities: Vec<Entity>,
    bearer: Option<Regex>,
    custom: Vec<Regex>,
}

/// One span to replace in a scanned leaf (byte offsets).
#[derive(Clone, Copy, Debug)]
struct Hit {
    start: usize,
    end: usize,
    /// Index into `PRESETS`, or `PRESETS.len()` for a custom hit.
    rank: usize,
}

impl Sanitizer {
    /// Compiles a sanitize config; `presets: None` selects all presets.
    pub fn compile(config: &SanitizeConfig) -> Result<Sanitizer, String> {
        let mut presets: Vec<usize> = match &config.presets {
            None => (0..PRESETS.len()).collect(),
            Some(names) => names
                .iter()
                .map(|name| {
                    let canonical = preset_by_name(name).ok_or_else(|| format!("unknown sanitize preset: {name:?}"))?;
                    Ok(PRESETS.iter().position(|(preset, _)| *preset == canonical).unwrap_or(0))
                })
                .collect::<Result<_, String>>()?,
        };
        presets.sort_unstable();
        presets.dedup();
        let entities = presets.iter().filter_map(|idx| PRESETS.get(*idx).and_then(|(_, entity)| *entity)).collect();
        let wants_bearer = presets.iter().any(|idx| PRESETS.get(*idx).is_some_and(|(name, _)| *name == "bearer"));
        let bearer = if wants_bearer { Some(build_regex(BEARER_PATTERN)?) } else { None };
        let custom = config.custom.iter().map(|custom| build_regex(&custom.regex)).collect::<Result<_, _>>()?;
        Ok(Sanitizer { presets, entities, bearer, custom })
    }

    /// All presets, no custom regexes: the sanitizer behind `args_summary`.
    pub fn all_presets() -> Sanitizer {
        let entities = PRESETS.iter().filter_map(|(_, entity)| *entity).collect();
        Sanitizer {
            presets: (0..PRESETS.len()).collect(),
            entities,
            // INVARIANT: the constant pattern compiles (checked by a test); `ok()` keeps this panic-free.
            bearer: build_regex(BEARER_PATTERN).ok(),
            custom: Vec::new(),
        }
    }

    /// Returns `arguments` with every string leaf sanitized; keys and non-strings are unchanged.
    pub fn apply(&self, arguments: &Value) -> Value {
        self.apply_under(None, arguments)
    }

    fn apply_under(&self, key: Option<&str>, value: &Value) -> Value {
        match value {
            Value::String(text) => Value::String(self.redact_leaf(key, text)),
            Value::Array(items) => Value::Array(items.iter().map(|item| self.apply_under(key, item)).collect()),
            Value::Object(map) => {
                let rewritten: Map<String, Value> =
                    map.iter().map(|(k, item)| (k.clone(), self.apply_under(Some(k), item))).collect();
                Value::Object(rewritten)
            }
            other => other.clone(),
        }
    }

    /// Sanitizes one string leaf whose nearest key is `key` (array elements inherit it).
    pub fn redact_leaf(&self, key: Option<&str>, value: &str) -> String {
        let prefix = key.map(|k| format!("{k}: ")).unwrap_or_default();
        let scanned = format!("{prefix}{value}");
        let mut hits = self.preset_hits(&scanned);
        let after_presets = replace_value_part(&scanned, prefix.len(), &mut hits);
        if self.custom.is_empty() {
            return after_presets;
        }
        // Why a second scan: custom entries run after the presets, on the already-redacted value.
        let scanned = format!("{prefix}{after_presets}");
        let mut hits: Vec<Hit> = self
            .custom
            .iter()
            .flat_map(|regex| regex.find_iter(&scanned).map(|m| Hit { start: m.start(), end: m.end(), rank: PRESETS.len() }))
            .collect();
        replace_value_part(&scanned, prefix.len(), &mut hits)
    }

    fn preset_hits(&self, scanned: &str) -> Vec<Hit> {
        let mut hits: Vec<Hit> = Vec::new();
        if !self.entities.is_empty() {
            for finding in detect(scanned, &self.entities) {
                let rank = PRESETS.iter().position(|(_, entity)| *entity == Some(finding.entity));
                if let Some(rank) = rank.filter(|rank| self.presets.contains(rank)) {
                    hits.push(Hit { start: finding.start, end: finding.end, rank });
                }
            }
        }
        if let Some(bearer) = &self.bearer {
            let rank = PRESETS.iter().position(|(name, _)| *name == "bearer").unwrap_or(0);
            hits.extend(bearer.find_iter(scanned).map(|m| Hit { start: m.start(), end: m.end(), rank }));
        }
        hits
    }
}

/// Merges overlapping hits (the earliest preset in application order names the merged span),
/// clips them to the value part (bytes from `value_start`), and replaces them.
fn replace_value_part(scanned: &str, value_start: usize, hits: &mut [Hit]) -> String {
    hits.sort_by_key(|hit| (hit.start, hit.end));
    let mut merged: Vec<Hit> = Vec::new();
    for hit in hits.iter() {
        let start = hit.start.max(value_start);
        if start >= hit.end {
            continue;
        }
        match merged.last_mut() {
            Some(last) if start < last.end => {
                last.end = last.end.max(hit.end);
                last.rank = last.rank.min(hit.rank);
            }
            _ => merged.push(Hit { start, end: hit.end, rank: hit.rank }),
        }
    }
    let value = scanned.get(value_start..).unwrap_or_default();
    let mut out = String::with_capacity(value.len());
    let mut cursor = value_start;
    for hit in merged {
        // INVARIANT: detectors and regexes report char-boundary spans; `get` keeps this panic-free anyway.
        out.push_str(scanned.get(cursor..hit.start).unwrap_or_default());
        let name = PRESETS.get(hit.rank).map_or("custom", |(name, _)| *name);
        out.push_str(&format!("[redacted:{name}]"));
        cursor = hit.end;
    }
    out.push_str(scanned.get(cursor..).unwrap_or_default());
    out
}

/// Compact JSON of `arguments` after all sanitize presets, cut to 512 characters (SPEC §5.6).
/// Returns the summary and whether it was cut.
pub fn args_summary(all_presets: &Sanitizer, arguments: &Value) -> (String, bool) {
    let text = all_presets.apply(arguments).to_string();
    match text.char_indices().nth(MAX_SUMMARY_CHARS) {
        Some((cut_at, _)) => (text[..cut_at].to_string(), true),
        None => (text, false),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::firewall::config::CustomSanitize;
    use serde_json::json;

    fn sanitizer(presets: Option<&[&str]>, custom: &[&str]) -> Sanitizer {
        let config = SanitizeConfig {
            presets: presets.map(|names| names.iter().map(|n| n.to_string()).collect()),
            custom: custom.iter().map(|regex| CustomSanitize { label: "c".into(), regex: regex.to_string() }).collect(),
        };
        Sanitizer::compile(&config).expect("valid sanitize config")
    }

    #[test]
    fn bearer_tokens_are_replaced_whole_and_keys_are_untouched() {
        let args = json!({"headers": {"Authorization": "Bearer abc.def-123=="}, "bearer xyz": 1});
        let out = sanitizer(Some(&["bearer"]), &[]).apply(&args);
        assert_eq!(out, json!({"headers": {"Authorization": "[redacted:bearer]"}, "bearer xyz": 1}));
    }

    #[test]
    fn custom_hits_never_rewrite_the_key_prefix() {
        let out = sanitizer(Some(&[]), &["id"]).apply(&json!({"id": "emp id 7", "list": ["idx", 3]}));
        assert_eq!(out, json!({"id": "emp [redacted:custom] 7", "list": ["[redacted:custom]x", 3]}));
    }

    #[test]
    fn overlapping_hits_merge_into_one_replacement() {
        let out = sanitizer(Some(&[]), &["ab", "bc"]).redact_leaf(None, "xabcx");
        assert_eq!(out, "x[redacted:custom]x");
    }

    #[test]
    fn preset_names_and_alias_resolve() {
        assert_eq!(preset_by_name("openai_key"), Some("api_key_openai"));
        assert_eq!(preset_by_name("email"), Some("email"));
        assert_eq!(preset_by_name("phone"), None);
        assert_eq!(preset_names().count(), 16);
        assert!(Sanitizer::all_presets().bearer.is_some());
    }

    #[test]
    fn summary_is_cut_to_512_characters() {
        let (summary, cut) = args_summary(&Sanitizer::all_presets(), &json!({"a": "é".repeat(600)}));
        assert!(cut);
        assert_eq!(summary.chars().count(), MAX_SUMMARY_CHARS);
        let (short, cut) = args_summary(&Sanitizer::all_presets(), &json!({"a": 1}));
        assert_eq!((short.as_str(), cut), ("{\"a\":1}", false));
    }

    #[test]
    fn detector_presets_redact_each_secret_family() {
        let args = json!({
            "key": "sk-proj-abcdefghijklmnopqrstuvwxyz0123456789ABCD",
            "gh": "token ghp_abcdefghijklmnopqrstuvwxyz0123456789",
            "password": "hunter2hunter2",
            "db": "postgres://app:S3cretPass@db.internal:5432/prod",
            "email": "write to alice@acme.io please",
            "card": "4012888888881881",
            "aws": ["AKIAQWERTYUIOPASDFGH"],
        });
        let expected = json!({
            "key": "[redacted:api_key_openai]",
            "gh": "token [redacted:github_token]",
            "password": "[redacted:generic_password]",
            "db": "[redacted:db_connection_string]",
            "email": "write to [redacted:email] please",
            "card": "[redacted:credit_card]",
            "aws": ["[redacted:aws_access_key]"],
        });
        assert_eq!(Sanitizer::compile(&SanitizeConfig::default()).expect("all presets").apply(&args), expected);
        let only_email = sanitizer(Some(&["email"]), &[]).apply(&args);
        assert_eq!(only_email["key"], args["key"]);
        assert_eq!(only_email["email"], expected["email"]);
    }

    const SECRETS: [&str; 8] = [
        "sk-proj-abcdefghijklmnopqrstuvwxyz0123456789ABCD",
        "ghp_abcdefghijklmnopqrstuvwxyz0123456789",
        "AKIAQWERTYUIOPASDFGH",
        "xoxb-1234567890-0987654321-abcdefghijklmnopqrstuvwx",
        "AIzaSyA1234567890abcdefghijklmnopqrstuv",
        "postgres://app:S3cretPass@db.internal:5432/prod",
        "alice@acme.io",
        "4012888888881881",
    ];

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig { cases: 128, ..proptest::prelude::ProptestConfig::default() })]

        #[test]
        fn sanitized_arguments_contain_no_secret_entity(
            // Separators around the secret keep it a whole token (a longer body is another string).
            prefix in "([a-z ,.:=]{0,11}[ ,=])?",
            suffix in "([ ,][a-z ,.:=]{0,11})?",
            secret_idx in 0usize..8,
            key in "(note|cmd|token|auth|x|password|db_password|client_secret)",
        ) {
            let secret = SECRETS[secret_idx];
            let args = json!({ key.clone(): format!("{prefix}{secret}{suffix}"), "nested": [{"v": format!("{secret} {suffix}")}] });
            let all = Sanitizer::all_presets();
            let out = all.apply(&args);
            let text = out.to_string();
            proptest::prop_assert!(!text.contains(secret), "{}", text);
            let entities: Vec<Entity> = PRESETS.iter().filter_map(|(_, entity)| *entity).collect();
            for leaf in [&out[&key], &out["nested"][0]["v"]] {
                let leaf = leaf.as_str().unwrap_or_default();
                proptest::prop_assert!(detect(leaf, &entities).is_empty(), "{:?}", leaf);
            }
        }
    }
}

