//! One module per console page.

pub mod account;
pub mod audit;
pub mod discovered;
pub mod events;
pub mod guardrail_editor;
pub mod guardrails;
pub mod keys;
pub mod login;
pub mod matches;
pub mod members;
pub mod not_found;
pub mod policies;
pub mod policy_editor;
pub mod posture;
pub mod runs;
pub mod setup;
pub mod simulate;
