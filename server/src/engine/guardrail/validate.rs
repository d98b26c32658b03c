//! Save-time validation of guardrail bodies (SPEC §2.5, §4.2, §4.5, §9.4), returning every problem with
//! its field path (`rules[2].config.pattern`) for the 422 `validation_error` envelope.
//!
//! Must not compile anything it keeps: `compile` re-checks and owns the compiled state.
use serde::{Deserialize, Serialize};

use crate::engine::guardrail::builtin::Builtin;
use crate::engine::guardrail::config::{Action, GuardrailConfig, PiiConfig, RegexConfig, RuleConfig, RuleKind, Stage};
use crate::engine::guardrail::pii::Entity;

/// One validation problem.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldError {
    /// Field path as in SPEC §9.2.
    pub field: String,
    /// Lower-case message.
    pub message: String,
}

/// Size limit of a compiled user regex (SPEC §9.4).
pub const REGEX_SIZE_LIMIT: usize = 1 << 20;

struct Errors(Vec<FieldError>);

impl Errors {
    fn add(&mut self, field: impl Into<String>, message: impl Into<String>) {
        self.0.push(FieldError { field: field.into(), message: message.into() });
    }
}

fn chars(s: &str) -> usize {
    s.chars().count()
}

/// Whether a mask tag matches `[A-Z0-9_]{1,32}`.
pub fn valid_tag(tag: &str) -> bool {
    (1..=32).contains(&tag.len()) && tag.bytes().all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'_')
}

/// Compiles a user pattern under the SPEC limits (≤ 4096 characters, ≤ 1 MiB compiled).
pub fn compile_user_regex(pattern: &str) -> Result<regex::Regex, String> {
    if pattern.is_empty() {
        return Err("must not be empty".into());
    }
    if chars(pattern) > 4096 {
        return Err("must be at most 4096 characters".into());
    }
    regex::RegexBuilder::new(pattern)
        .size_limit(REGEX_SIZE_LIMIT)
        .build()
        .map_err(|e| format!("regex parse error: {}", e.to_string().lines().last().unwrap_or("invalid pattern").trim()))
}

/// Validates a guardrail body; `Err` lists every problem.
pub fn validate(cfg: &GuardrailConfig) -> Result<(), Vec<FieldError>> {
    let mut e = Errors(Vec::new());
    if cfg.name.trim().is_empty() || chars(&cfg.name) > 64 {
        e.add("name", "must be 1 to 64 characters");
    }
    if chars(&cfg.description) > 512 {
        e.add("description", "must be at most 512 characters");
    }
    if cfg.rules.len() > 100 {
        e.add("rules", "at most 100 rules");
    }
    for (i, rule) in cfg.rules.iter().enumerate() {
        validate_rule(&mut e, &format!("rules[{i}]"), rule);
    }
    if e.0.is_empty() {
        Ok(())
    } else {
        Err(e.0)
    }
}

/// Actions allowed per type (SPEC §4.2).
pub fn allowed_actions(kind: &RuleKind) -> &'static [Action] {
    use Action::*;
    match kind {
        RuleKind::Keyword(_) | RuleKind::Regex(_) | RuleKind::Pii(_) | RuleKind::External(_) => &[Block, Mask, Flag, Annotate, Spotlight],
        RuleKind::MaxChars(_) => &[Block, Mask, Flag, Annotate],
        RuleKind::LlmJudge(_) => &[Block, Flag, Annotate, Spotlight],
        RuleKind::Grounding(_) => &[Block, Flag, Annotate],
    }
}

fn validate_rule(e: &mut Errors, at: &str, r: &RuleConfig) {
    if let Some(l) = &r.label {
        if l.trim().is_empty() || chars(l) > 64 {
            e.add(format!("{at}.label"), "must be 1 to 64 characters");
        }
    }
    if r.note.as_ref().is_some_and(|n| chars(n) > 512) {
        e.add(format!("{at}.note"), "must be at most 512 characters");
    }
    let ty = r.kind.type_name();
    if !allowed_actions(&r.kind).contains(&r.action) {
        e.add(format!("{at}.action"), format!("action {} is not allowed for {ty} rules", r.action.name()));
    }
    if r.action == Action::Spotlight && r.stage != Stage::Input {
        e.add(format!("{at}.action"), "spotlight is only allowed on input-stage rules");
    }
    if matches!(r.kind, RuleKind::LlmJudge(_)) && r.action == Action::Spotlight && !r.spotlight_whole {
        e.add(format!("{at}.spotlight_whole"), "llm_judge spotlight requires spotlight_whole");
    }
    let c = format!("{at}.config");
    match &r.kind {
        RuleKind::Keyword(k) => {
            if k.terms.is_empty() || k.terms.len() > 1000 {
                e.add(format!("{c}.terms"), "must have 1 to 1000 terms");
            }
            for (j, t) in k.terms.iter().enumerate() {
                if t.is_empty() || chars(t) > 256 {
                    e.add(format!("{c}.terms[{j}]"), "must be 1 to 256 characters");
                }
            }
            check_tag(e, &format!("{c}.mask_tag"), k.mask_tag.as_deref());
        }
        RuleKind::Regex(x) => validate_regex(e, &c, x),
        RuleKind::Pii(p) => validate_pii(e, &c, p, r.stage),
        RuleKind::MaxChars(m) => {
            if m.limit == 0 {
                e.add(format!("{c}.limit"), "must be at least 1");
            }
        }
        RuleKind::LlmJudge(j) => {
            if j.rubric.trim().is_empty() {
                e.add(format!("{c}.rubric"), "must not be empty");
            }
            check_timeout(e, &format!("{c}.judge_timeout_ms"), j.judge_timeout_ms);
        }
        RuleKind::Grounding(g) => {
            if r.stage != Stage::Output {
                e.add(format!("{at}.stage"), "grounding rules run on the output stage only");
            }
            if !(0.0..=1.0).contains(&g.min_score) {
                e.add(format!("{c}.min_score"), "must be between 0 and 1");
            }
            check_timeout(e, &format!("{c}.grounding_timeout_ms"), g.grounding_timeout_ms);
        }
        RuleKind::External(x) => {
            let lower = x.url.to_ascii_lowercase();
            if !(lower.starts_with("http://") || lower.starts_with("https://")) || chars(&x.url) > 512 {
                e.add(format!("{c}.url"), "must be an http(s) url of at most 512 characters");
            }
            if x.secret.as_ref().is_some_and(|s| chars(s) > 255) {
                e.add(format!("{c}.secret"), "must be at most 255 characters");
            }
            check_timeout(e, &format!("{c}.timeout_ms"), x.timeout_ms);
            check_tag(e, &format!("{c}.mask_tag"), x.mask_tag.as_deref());
        }
    }
}

fn check_tag(e: &mut Errors, field: &str, tag: Option<&str>) {
    if tag.is_some_and(|t| !valid_tag(t)) {
        e.add(field, "must match [A-Z0-9_]{1,32}");
    }
}

fn check_timeout(e: &mut Errors, field: &str, ms: u64) {
    if ms > 30_000 {
        e.add(field, "must be at most 30000 ms");
    }
}

fn validate_regex(e: &mut Errors, c: &str, x: &RegexConfig) {
    match (&x.pattern, &x.builtin) {
        (Some(_), Some(_)) | (None, None) => e.add(format!("{c}.pattern"), "exactly one of pattern and builtin is required"),
        (Some(p), None) => {
            if let Err(m) = compile_user_regex(p) {
                e.add(format!("{c}.pattern"), m);
            }
        }
        (None, Some(b)) => {
            if Builtin::parse(b).is_none() {
                e.add(format!("{c}.builtin"), "unknown built-in detector (url, markdown_image, shell_injection, sql_injection)");
            }
        }
    }
    if !x.allow_hosts.is_empty() && x.builtin.as_deref() != Some("url") {
        e.add(format!("{c}.allow_hosts"), "allow_hosts is only accepted with builtin url");
    }
    if x.allow_hosts.len() > 256 {
        e.add(format!("{c}.allow_hosts"), "at most 256 entries");
    }
    for (j, h) in x.allow_hosts.iter().enumerate() {
        if !valid_host_entry(h) {
            e.add(format!("{c}.allow_hosts[{j}]"), "must be a hostname or *.suffix");
        }
    }
    check_tag(e, &format!("{c}.mask_tag"), x.mask_tag.as_deref());
}

fn valid_host_entry(h: &str) -> bool {
    let h = h.strip_prefix("*.").unwrap_or(h).trim_end_matches('.');
    !h.is_empty()
        && h.len() <= 253
        && h.split('.').all(|l| !l.is_empty() && l.len() <= 63 && !l.starts_with('-') && !l.ends_with('-') && l.chars().all(|c| c.is_alphanumeric() || c == '-'))
}

fn valid_custom_name(n: &str) -> bool {
    let mut it = n.chars();
    it.next().is_some_and(|c| c.is_ascii_lowercase()) && n.len() <= 64 && it.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
}

fn validate_pii(e: &mut Errors, c: &str, p: &PiiConfig, stage: Stage) {
    if p.entities.is_empty() && p.custom_entities.is_empty() {
        e.add(format!("{c}.entities"), "select at least one entity");
    }
    for (j, name) in p.entities.iter().enumerate() {
        if Entity::parse(name).is_none() {
            e.add(format!("{c}.entities[{j}]"), format!("unknown entity {name}"));
        }
    }
    if p.custom_entities.len() > 25 {
        e.add(format!("{c}.custom_entities"), "at most 25 custom entities");
    }
    let mut seen: Vec<&str> = Vec::new();
    for (j, ce) in p.custom_entities.iter().enumerate() {
        let at = format!("{c}.custom_entities[{j}]");
        if !valid_custom_name(&ce.name) {
            e.add(format!("{at}.name"), "must match [a-z][a-z0-9_]{0,63}");
        } else if Entity::parse(&ce.name).is_some() {
            e.add(format!("{at}.name"), "must not be a built-in entity name");
        } else if seen.contains(&ce.name.as_str()) {
            e.add(format!("{at}.name"), "duplicate custom entity name");
        }
        seen.push(&ce.name);
        if let Err(m) = compile_user_regex(&ce.regex) {
            e.add(format!("{at}.regex"), m);
        }
        check_tag(e, &format!("{at}.mask_tag"), ce.mask_tag.as_deref());
    }
    let known = |k: &str| p.entities.iter().any(|n| n == k) || p.custom_entities.iter().any(|ce| ce.name == k);
    for (k, a) in &p.entity_actions {
        if !known(k) {
            e.add(format!("{c}.entity_actions.{k}"), "names an entity the rule does not select");
        } else if *a == Action::Spotlight && stage != Stage::Input {
            e.add(format!("{c}.entity_actions.{k}"), "spotlight is only allowed on input-stage rules");
        }
    }
    for (k, t) in &p.mask_tags {
        if !known(k) {
            e.add(format!("{c}.mask_tags.{k}"), "names an entity the rule does not select");
        } else if !valid_tag(t) {
            e.add(format!("{c}.mask_tags.{k}"), "must match [A-Z0-9_]{1,32}");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn body(rules: serde_json::Value) -> GuardrailConfig {
        serde_json::from_value(serde_json::json!({"name": "g", "rules": rules})).expect("valid json body")
    }

    fn fields(rules: serde_json::Value) -> Vec<String> {
        validate(&body(rules)).err().unwrap_or_default().into_iter().map(|f| f.field).collect()
    }

    #[test]
    fn accepts_every_spec_example_shape() {
        let rules = serde_json::json!([
            {"type": "keyword", "stage": "input", "action": "flag", "config": {"terms": ["ignore previous instructions"], "mask_tag": "REDACTED"}},
            {"type": "regex", "stage": "both", "action": "mask", "config": {"pattern": "\\bAKIA[A-Z2-7]{16}\\b"}},
            {"type": "regex", "stage": "input", "action": "block", "config": {"builtin": "url", "allow_hosts": ["docs.example.com", "*.example.org"], "mask_tag": "URL"}},
            {"type": "pii", "stage": "both", "action": "mask", "config": {"entities": ["email", "ssn"], "entity_actions": {"ssn": "block"}, "mask_tags": {"email": "EMAIL_ADDRESS"}, "custom_entities": [{"name": "employee_id", "regex": "\\bEMP\\d{6}\\b"}]}},
            {"type": "max_chars", "stage": "input", "action": "block", "config": {"limit": 50000}},
            {"type": "llm_judge", "stage": "input", "action": "spotlight", "spotlight_whole": true, "config": {"rubric": "r"}},
            {"type": "grounding", "stage": "output", "action": "flag", "config": {"min_score": 0.5}},
            {"type": "external", "stage": "both", "action": "mask", "config": {"url": "https://detector.internal/check", "secret": "s"}}
        ]);
        assert_eq!(validate(&body(rules)), Ok(()));
    }

    #[test]
    fn reports_field_paths_for_each_rule_problem() {
        let got = fields(serde_json::json!([
            {"type": "max_chars", "stage": "input", "action": "spotlight", "config": {"limit": 0}},
            {"type": "regex", "stage": "output", "action": "mask", "config": {"pattern": "(", "allow_hosts": ["a.io"]}},
            {"type": "regex", "stage": "output", "action": "mask", "config": {}},
            {"type": "pii", "stage": "output", "action": "mask", "config": {"entities": ["emal"], "mask_tags": {"email": "bad tag"}, "custom_entities": [{"name": "Email", "regex": "x"}, {"name": "ssn", "regex": "x"}]}},
            {"type": "keyword", "stage": "output", "action": "spotlight", "config": {"terms": [""], "mask_tag": "lower"}},
            {"type": "grounding", "stage": "input", "action": "mask", "config": {"min_score": 2.0, "grounding_timeout_ms": 40000}},
            {"type": "llm_judge", "stage": "input", "action": "spotlight", "config": {"rubric": ""}}
        ]));
        for f in [
            "rules[0].action", "rules[0].config.limit", "rules[1].config.pattern", "rules[1].config.allow_hosts", "rules[2].config.pattern",
            "rules[3].config.entities[0]", "rules[3].config.mask_tags.email", "rules[3].config.custom_entities[0].name",
            "rules[3].config.custom_entities[1].name", "rules[4].action", "rules[4].config.terms[0]", "rules[4].config.mask_tag",
            "rules[5].stage", "rules[5].action", "rules[5].config.min_score", "rules[5].config.grounding_timeout_ms",
            "rules[6].spotlight_whole", "rules[6].config.rubric",
        ] {
            assert!(got.contains(&f.to_string()), "missing {f} in {got:?}");
        }
    }

    #[test]
    fn regex_limits_and_name_limits() {
        let long = "a".repeat(4097);
        assert!(compile_user_regex(&long).is_err());
        assert!(compile_user_regex(r"\w{1000}\w{1000}\w{1000}").is_err(), "over 1 MiB compiled");
        assert!(compile_user_regex(r"(a)\1").is_err());
        let mut g = body(serde_json::json!([]));
        g.name = "x".repeat(65);
        assert_eq!(validate(&g).err().map(|v| v[0].field.clone()), Some("name".into()));
    }
}
