//! Integration tests, one binary (one link step). `support` builds an in-process app per test on its own
//! SQLite file, or on a fresh PostgreSQL database when `PALISADE_TEST_PG_URL` is set (store tests).

mod api_errors;
mod approvals;
mod authz;
mod engine_purity;
mod external_check;
mod gateway;
mod live;
mod mcp;
mod openapi;
mod posture;
mod posture_autonomy;
mod providers;
mod relay;
mod relay_chat;
mod relay_posture;
mod relay_upstream;
mod sessions;
mod settings;
mod store;
mod suppressions;
mod support;
