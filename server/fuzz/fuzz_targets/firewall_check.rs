//! `palisade firewall check` over arbitrary input lines against each autonomy level: must never panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use palisade_fuzz::cli::firewall_check::{run, CheckOptions};
use palisade_fuzz::engine::autonomy::Level;

fuzz_target!(|data: &[u8]| {
    for level in [Level::Tight, Level::Balanced, Level::Permissive] {
        let options = CheckOptions { level: Some(level), policy: None, fail_on_deny: true };
        let mut out = Vec::new();
        let mut err = Vec::new();
        let code = run(options, data, &mut out, &mut err);
        assert!((0..=2).contains(&code));
    }
});
