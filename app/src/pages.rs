//! One module per console page.

pub mod account;
pub mod audit;
pub mod guardrail_editor;
pub mod guardrails;
pub mod keys;
pub mod login;
pub mod members;
pub mod not_found;
pub mod posture;
pub mod setup;
pub mod simulate;
