//! The engine and the offline CLIs, compiled standalone for fuzzing. `engine` and the CLI files are
//! symlinks into ../../src, so the fuzzers always test the shipped code.

pub mod engine;

pub mod cli {
    pub mod firewall_check;
    pub mod scan;
}
