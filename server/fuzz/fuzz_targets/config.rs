//! Config parsing: arbitrary JSON as a guardrail body and as a policy body, then validate and compile.
//! Nothing a user saves may make the engine panic; anything that validates must compile.
#![no_main]

use libfuzzer_sys::fuzz_target;
use palisade_fuzz::engine::firewall::{self, CompiledPolicy, PolicyConfig};
use palisade_fuzz::engine::guardrail::compile::CompiledGuardrail;
use palisade_fuzz::engine::guardrail::config::GuardrailConfig;
use palisade_fuzz::engine::guardrail::validate::validate;

fuzz_target!(|data: &[u8]| {
    if let Ok(config) = serde_json::from_slice::<GuardrailConfig>(data) {
        let valid = validate(&config).is_ok();
        let compiled = CompiledGuardrail::compile(&config);
        assert_eq!(valid, compiled.is_ok(), "validate and compile disagree");
    }
    if let Ok(config) = serde_json::from_slice::<PolicyConfig>(data) {
        let valid = firewall::validate(&config).is_ok();
        let compiled = CompiledPolicy::compile(&config);
        assert_eq!(valid, compiled.is_ok(), "validate and compile disagree");
    }
});
