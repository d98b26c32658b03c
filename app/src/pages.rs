//! One module per console page.

pub mod account;
pub mod keys;
pub mod login;
pub mod members;
pub mod not_found;
pub mod setup;
