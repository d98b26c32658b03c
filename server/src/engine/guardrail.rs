//! Guardrails: detectors, config validation, compilation and the stage fold (SPEC §4).
//!
//! Pure: no I/O, no async, no clock, no logging. Reading order: `config` (what users write), `validate`,
//! `compile` (what the relay holds), `fold` + `edit` (one decision per stage), `advanced` (judge,
//! grounding, external answers), `stream` (output hold-back), `presets`; detectors in `pii` and `builtin`.
//! Fail-closed: a config that does not compile is an error, never an empty guardrail.
pub mod advanced;
pub mod builtin;
pub mod compile;
pub mod config;
mod edit;
pub mod fold;
pub mod pii;
pub mod presets;
pub mod stream;
pub mod suppress;
pub mod text;
pub mod validate;
#[cfg(test)]
mod tests;
