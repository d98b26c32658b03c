//! Command-line entry points besides `serve`: the `admin` subcommands (which print secrets exactly once to
//! stdout, everything else to stderr) and the offline checks `scan` and `firewall check` (SPEC §1.7).

pub mod admin;
pub mod firewall_check;
pub mod scan;
