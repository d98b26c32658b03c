//! The pure security engine: guardrail detectors and their fold, the agent firewall (globs, argument
//! clauses, egress scope, verdicts, sanitize, shadow) and the autonomy levels with simulate's diff and replay.
//!
//! INVARIANT: no I/O, no async, no clock, no environment, no randomness, no logging, and no dependency
//! on tokio, axum, sea-orm or tracing. Configurations compile once into matchers; checks are `&self`
//! methods returning values. Fail-closed: an evaluation error is a finding that forces a block/deny.
//! Start reading at `guardrail`, then `firewall`, then `autonomy`.

pub mod autonomy;
pub mod firewall;
pub mod guardrail;
