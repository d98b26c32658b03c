//! SeaORM entities, one file per table. Edited only for attributes; `Model`s stay inside `store`.
//! Tables of later features (feeds, posture objects) get their entity when their repository arrives.

pub mod api_key;
pub mod audit_log;
pub mod login_failure;
pub mod membership;
pub mod session;
pub mod setup_token;
pub mod user;
pub mod workspace;
