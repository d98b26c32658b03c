//! Guardrail configuration as POSTed to `/api/guardrails` (SPEC §2.5): the guardrail body and its rules.
//!
//! Plain serde data; no validation here (see `validate`) and no compiled state (see `compile`).
use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// A guardrail body (create/update/test draft).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct GuardrailConfig {
    /// 1–64 characters, unique per workspace (uniqueness is the service's job).
    pub name: String,
    /// At most 512 characters.
    #[serde(default)]
    pub description: String,
    /// Whether the guardrail runs (default true).
    #[serde(default = "default_true")]
    pub enabled: bool,
    /// Whether matched text is stored in match rows (default false).
    #[serde(default)]
    pub log_raw_content: bool,
    /// Ordered rules (at most 100).
    #[serde(default)]
    pub rules: Vec<RuleConfig>,
}

fn default_true() -> bool {
    true
}

/// One rule of a guardrail.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RuleConfig {
    /// Stable id when the client sends it back.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<i64>,
    /// Shown in Matches; defaults to the type name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
    /// The rule type and its config (`"type"` + `"config"` on the wire).
    #[serde(flatten)]
    pub kind: RuleKind,
    /// Stage the rule runs on.
    pub stage: Stage,
    /// Action when it fires.
    pub action: Action,
    /// Text injected by `annotate` (≤ 512).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    /// With `spotlight`, wrap whole user/tool messages instead of spans.
    #[serde(default)]
    pub spotlight_whole: bool,
}

impl RuleConfig {
    /// The label shown in Matches (the type name when none was given).
    pub fn effective_label(&self) -> String {
        match &self.label {
            Some(l) if !l.trim().is_empty() => l.clone(),
            _ => self.kind.type_name().to_string(),
        }
    }
}

/// Rule type with its per-type config.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", content = "config", rename_all = "snake_case")]
pub enum RuleKind {
    /// Case-insensitive substrings.
    Keyword(KeywordConfig),
    /// A user pattern or a built-in detector.
    Regex(RegexConfig),
    /// Built-in and custom entities.
    Pii(PiiConfig),
    /// Length limit in Unicode scalar values.
    MaxChars(MaxCharsConfig),
    /// A judge model (advanced).
    LlmJudge(LlmJudgeConfig),
    /// Faithfulness score (advanced, output only).
    Grounding(GroundingConfig),
    /// A webhook detector (advanced).
    External(ExternalConfig),
}

impl RuleKind {
    /// The SPEC type name.
    pub fn type_name(&self) -> &'static str {
        match self {
            RuleKind::Keyword(_) => "keyword",
            RuleKind::Regex(_) => "regex",
            RuleKind::Pii(_) => "pii",
            RuleKind::MaxChars(_) => "max_chars",
            RuleKind::LlmJudge(_) => "llm_judge",
            RuleKind::Grounding(_) => "grounding",
            RuleKind::External(_) => "external",
        }
    }

    /// Whether the rule is deterministic (runs in the engine) rather than advanced (runs in the relay).
    pub fn is_deterministic(&self) -> bool {
        matches!(self, RuleKind::Keyword(_) | RuleKind::Regex(_) | RuleKind::Pii(_) | RuleKind::MaxChars(_))
    }
}

/// `keyword` config.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct KeywordConfig {
    /// Terms (1–1000, each 1–256 characters).
    #[serde(default)]
    pub terms: Vec<String>,
    /// Mask tag (`[A-Z0-9_]{1,32}`), default `REDACTED`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mask_tag: Option<String>,
}

/// `regex` config: exactly one of `pattern` and `builtin`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct RegexConfig {
    /// A `regex`-crate pattern (≤ 4096 characters, ≤ 1 MiB compiled).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pattern: Option<String>,
    /// A built-in detector name (`url`, `markdown_image`, `shell_injection`, `sql_injection`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub builtin: Option<String>,
    /// Permitted hosts, only with `builtin: "url"` (≤ 256).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub allow_hosts: Vec<String>,
    /// Mask tag; default `REDACTED`, or the detector's tag with `builtin`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mask_tag: Option<String>,
}

/// `pii` config.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct PiiConfig {
    /// Built-in entity names.
    #[serde(default)]
    pub entities: Vec<String>,
    /// Per-entity action overrides (built-in or custom names).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub entity_actions: BTreeMap<String, Action>,
    /// Per-entity mask tag overrides.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub mask_tags: BTreeMap<String, String>,
    /// Custom entities (≤ 25).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub custom_entities: Vec<CustomEntityConfig>,
}

/// A custom entity of a `pii` rule.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct CustomEntityConfig {
    /// `[a-z][a-z0-9_]{0,63}`, not a built-in name.
    pub name: String,
    /// The pattern.
    pub regex: String,
    /// Require the match's digits (12–19 of them) to pass Luhn.
    #[serde(default)]
    pub luhn: bool,
    /// Mask tag; defaults to the upper-cased name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mask_tag: Option<String>,
}

/// `max_chars` config.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct MaxCharsConfig {
    /// Limit in Unicode scalar values (≥ 1).
    pub limit: u64,
}

/// `llm_judge` config.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct LlmJudgeConfig {
    /// Judge model; `None` = the workspace `judge_model`.
    #[serde(default)]
    pub model: Option<String>,
    /// The rubric.
    #[serde(default)]
    pub rubric: String,
    /// Timeout; `0` = 5000 ms.
    #[serde(default)]
    pub judge_timeout_ms: u64,
    /// Continue on error (default true).
    #[serde(default = "default_true")]
    pub judge_fail_open: bool,
}

/// `grounding` config.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct GroundingConfig {
    /// Judge model; `None` = the workspace `judge_model`.
    #[serde(default)]
    pub model: Option<String>,
    /// Fires when the score is below this (0–1).
    #[serde(default = "default_min_score")]
    pub min_score: f64,
    /// Timeout (default 3000 ms).
    #[serde(default = "default_grounding_timeout")]
    pub grounding_timeout_ms: u64,
    /// Continue on error (default true).
    #[serde(default = "default_true")]
    pub fail_open: bool,
}

fn default_min_score() -> f64 {
    0.5
}

fn default_grounding_timeout() -> u64 {
    3000
}

/// `external` config.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ExternalConfig {
    /// Webhook URL (≤ 512).
    pub url: String,
    /// Signing secret (write-only, ≤ 255).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secret: Option<String>,
    /// Timeout (default 2000 ms).
    #[serde(default = "default_external_timeout")]
    pub timeout_ms: u64,
    /// Continue on error (default true).
    #[serde(default = "default_true")]
    pub fail_open: bool,
    /// Mask tag for returned spans, default `REDACTED`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mask_tag: Option<String>,
}

fn default_external_timeout() -> u64 {
    2000
}

/// Rule stage.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Stage {
    /// The request.
    Input,
    /// The response.
    Output,
    /// Both.
    Both,
}

/// The stage being screened (a rule's `Stage` covers one or both).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ScanStage {
    /// The request.
    Input,
    /// The response.
    Output,
}

impl Stage {
    /// Whether a rule of this stage runs on `s`.
    pub fn covers(&self, s: ScanStage) -> bool {
        matches!((self, s), (Stage::Both, _) | (Stage::Input, ScanStage::Input) | (Stage::Output, ScanStage::Output))
    }
}

impl ScanStage {
    /// The SPEC name.
    pub fn name(&self) -> &'static str {
        match self {
            ScanStage::Input => "input",
            ScanStage::Output => "output",
        }
    }
}

/// Rule action.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    /// Reject the request / truncate the stream.
    Block,
    /// Replace spans with tags (or truncate for `max_chars`).
    Mask,
    /// Record only.
    Flag,
    /// Add a security note.
    Annotate,
    /// Wrap spans in untrusted-data delimiters (input only).
    Spotlight,
}

impl Action {
    /// The SPEC name.
    pub fn name(&self) -> &'static str {
        match self {
            Action::Block => "block",
            Action::Mask => "mask",
            Action::Flag => "flag",
            Action::Annotate => "annotate",
            Action::Spotlight => "spotlight",
        }
    }
}
