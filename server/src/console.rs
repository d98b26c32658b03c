//! The console adapter: implements `app::backend::Backend` over the service layer, resolves the session
//! identity inside each server function, and checks the CSRF field of every write. No business logic:
//! validation, permissions and audit rows live in `service`.

mod approvals;
mod backend;
mod convert;
mod feeds;
mod guardrails;
mod mcp_servers;
mod policies;
mod posture;
mod settings;

pub use backend::ConsoleBackend;

/// Path prefix of every console server function (kept off `/api`, see ARCHITECTURE.md).
pub const SERVER_FN_PREFIX: &str = "/console/fn/";
