//! `palisade scan` over arbitrary input lines, plus the detectors directly on arbitrary text: must never
//! panic, and every reported span must be a valid slice of the text.
#![no_main]

use libfuzzer_sys::fuzz_target;
use palisade_fuzz::cli::scan::{run, ScanOptions};
use palisade_fuzz::engine::guardrail::builtin::{self, AllowHosts, Builtin};
use palisade_fuzz::engine::guardrail::pii::{detect, Entity};

fuzz_target!(|data: &[u8]| {
    let mut out = Vec::new();
    let mut err = Vec::new();
    let code = run(&ScanOptions::default(), data, &mut out, &mut err);
    assert!((0..=2).contains(&code));
    if let Ok(text) = std::str::from_utf8(data) {
        for finding in detect(text, &Entity::ALL) {
            assert!(text.get(finding.start..finding.end).is_some(), "pii span off a char boundary");
        }
        for detector in Builtin::ALL {
            for span in builtin::detect(detector, text, &AllowHosts::new(&[])) {
                assert!(text.get(span).is_some(), "builtin span off a char boundary");
            }
        }
    }
});
