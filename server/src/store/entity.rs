//! SeaORM entities, one file per table. Edited only for attributes; `Model`s stay inside `store`.
//! Tables of later features (feeds, posture objects) get their entity when their repository arrives.

pub mod api_key;
pub mod approval;
pub mod audit_log;
pub mod discovered_tool;
pub mod firewall_event;
pub mod firewall_policy;
pub mod firewall_rule;
pub mod guardrail;
pub mod guardrail_match;
pub mod guardrail_version;
pub mod login_failure;
pub mod mcp_server;
pub mod membership;
pub mod provider;
pub mod request;
pub mod run_spend;
pub mod session;
pub mod setup_token;
pub mod suppression;
pub mod user;
pub mod workspace;
