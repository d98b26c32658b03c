//! Palisade's server: one axum process hosting the console, the management API, the OpenAI-compatible
//! relay and (later) the firewall gateway over one service layer. Modules in reading order:
//! - `config`: `palisade.toml` + `PALISADE_*` overrides;
//! - `startup`: database, bootstrap, router, serve;
//! - `domain`: plain domain types;
//! - `auth`: passwords, key secrets, sessions, the role ladder and `PUBLIC_ROUTES`;
//! - `service`: use cases (validation, transactions, audit rows);
//! - `store`: SeaORM entities and repositories;
//! - `api`, `relay`, `console`: the three adapters;
//! - `cli`: the admin subcommands;
//! - `crypto`: secrets at rest.

pub mod api;
pub mod auth;
pub mod cli;
pub mod engine;
pub mod config;
pub mod console;
pub mod crypto;
pub mod domain;
pub mod http_util;
pub mod relay;
pub mod service;
pub mod startup;
pub mod state;
pub mod store;
pub mod upstream;
