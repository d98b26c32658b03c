//! Console DTOs: plain serde data shared by the server and the browser builds. They know nothing of
//! the database; `server::console` converts domain types into them. One module per page area, all
//! re-exported here, so callers name `crate::types::X`.

mod feeds;
mod identity;
mod posture;
mod settings;

pub use feeds::*;
pub use identity::*;
pub use posture::*;
pub use settings::*;
