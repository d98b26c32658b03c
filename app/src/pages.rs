//! One module per console page.

pub mod account;
pub mod approvals;
pub mod audit;
pub mod discovered;
pub mod events;
pub mod guardrail_editor;
pub mod guardrail_rules;
pub mod guardrails;
pub mod keys;
pub mod login;
pub mod matches;
pub mod mcp_servers;
pub mod members;
pub mod not_found;
pub mod policies;
pub mod policy_editor;
pub mod policy_rules;
pub mod posture;
pub mod runs;
pub mod settings;
pub mod setup;
pub mod simulate;
