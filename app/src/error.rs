//! `AppError`: what a server function can fail with, serialised to the browser as JSON.
//! Messages are safe to show; internal causes stay in the server log.

use leptos::server_fn::codec::JsonEncoding;
use leptos::server_fn::error::{FromServerFnError, ServerFnErrorErr};
use serde::{Deserialize, Serialize};

/// A field-level validation message.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FieldMessage {
    pub field: String,
    pub message: String,
}

/// The error of every console server function.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, thiserror::Error)]
pub enum AppError {
    /// No session, or failed sign-in (one generic message); the layout redirects to `/login`.
    #[error("{0}")]
    Unauthenticated(String),
    #[error("{0}")]
    Forbidden(String),
    #[error("{0}")]
    NotFound(String),
    #[error("{message}")]
    Invalid { message: String, fields: Vec<FieldMessage> },
    #[error("{0}")]
    Conflict(String),
    /// An undo whose target was followed by other posture changes; `force` overrides.
    #[error("{message}")]
    StaleUndo { message: String, changes_since: Vec<crate::types::LaterChangeView> },
    #[error("{0}")]
    RateLimited(String),
    /// The request did not reach the server function (network, encoding).
    #[error("request failed: {0}")]
    Request(String),
    #[error("something went wrong on the server; try again")]
    Internal,
}

impl AppError {
    /// The message for one form field, if validation named it.
    pub fn field(&self, name: &str) -> Option<String> {
        match self {
            AppError::Invalid { fields, .. } => {
                fields.iter().find(|field| field.field == name).map(|field| field.message.clone())
            }
            _ => None,
        }
    }
}

impl FromServerFnError for AppError {
    type Encoder = JsonEncoding;

    fn from_server_fn_error(value: ServerFnErrorErr) -> Self {
        AppError::Request(value.to_string())
    }
}
