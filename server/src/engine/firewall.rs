//! Agent firewall: pure, deterministic, fail-closed evaluation of one tool call against one
//! policy (SPEC §5).
//!
//! No I/O, no async, no clock, no env, no logging; hostnames are never resolved (adapters pass
//! IPs). Compile once with `CompiledPolicy::compile` (which runs the save-time `validate`), then
//! call `evaluate` (`&self`, never panics). Any internal inconsistency resolves to `deny` with
//! reason `engine error: …` (fail-closed). Reading order: `config`, `validate`, `call`, `evaluate`, then the
//! matchers (`glob`, `path`, `args`, `shell`, `egress`, `cidr`), `sanitize`, `reason`, `canonical`.

pub mod args;
pub mod call;
pub mod canonical;
pub mod cidr;
pub mod config;
pub mod egress;
pub mod evaluate;
pub mod glob;
pub mod path;
pub mod reason;
pub mod sanitize;
pub mod shell;
pub mod templates;
pub mod validate;

pub use crate::engine::firewall::canonical::{args_hash, canonical_json};
pub use crate::engine::firewall::config::{
    ArgsClause, ArgsOp, CustomSanitize, DefaultVerdict, EgressConfig, Normalize, PolicyConfig, RuleConfig, RuleStage,
    RuleVerdict, SanitizeConfig,
};
pub use crate::engine::firewall::egress::Destination;
pub use crate::engine::firewall::evaluate::{
    evaluate_no_policy, parse_arguments, Approval, CompiledPolicy, ConfigError, CostCheck, EvalContext, EventVerdict,
    Evaluation, RuleTraceStep, Surface, ToolCall, TraceWhy,
};
pub use crate::engine::firewall::sanitize::Sanitizer;
pub use crate::engine::firewall::validate::{validate, FieldError};
