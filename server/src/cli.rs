//! Command-line entry points besides `serve`: `migrate` and the `admin` subcommands. They print secrets
//! exactly once to stdout and everything else to stderr.

pub mod admin;
