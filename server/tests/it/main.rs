//! Integration tests, one binary (one link step). `support` builds an in-process app per test on its own
//! SQLite file, or on a fresh PostgreSQL database when `PALISADE_TEST_PG_URL` is set (store tests).

mod api_errors;
mod authz;
mod engine_purity;
mod openapi;
mod posture;
mod posture_autonomy;
mod relay;
mod relay_chat;
mod relay_posture;
mod relay_upstream;
mod sessions;
mod store;
mod support;
