//! Shared console widgets: the signed-in layout with its header and navigation, and small form pieces.

pub mod feed;
pub mod layout;
pub mod rule_fields;
pub mod rules_draft;
pub mod ui;
