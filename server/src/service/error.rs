//! The one error type of the service layer. Variants are what adapters branch on; `Display` is safe to
//! show to users, and internal causes are kept for logs only.

/// A field that failed validation, named by its JSON path (e.g. `rules[2].config.pattern`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FieldError {
    pub field: String,
    pub message: String,
}

impl FieldError {
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self { field: field.into(), message: message.into() }
    }
}

/// Why a use case did not complete.
#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    /// The object is absent or belongs to another workspace (indistinguishable on purpose).
    #[error("{0} not found")]
    NotFound(&'static str),
    /// The `provider/model` is not declared by an enabled provider.
    #[error("model `{0}` does not exist or is not available")]
    ModelNotFound(String),
    /// A name that must be unique is already used.
    #[error("{0} is already taken")]
    NameTaken(String),
    /// Save-time validation failed.
    #[error("{}", summary(.0))]
    Invalid(Vec<FieldError>),
    /// No valid session, or wrong credentials at login (one generic message).
    #[error("{0}")]
    Unauthenticated(&'static str),
    /// The caller's role or key lacks the capability.
    #[error("{0}")]
    Forbidden(String),
    /// A cookie-authenticated write without the right CSRF token or origin.
    #[error("missing or invalid CSRF token or origin")]
    CsrfFailed,
    /// Throttled; retry after the given number of seconds.
    #[error("too many attempts; retry in {retry_after_secs} s")]
    RateLimited { retry_after_secs: u64 },
    /// A relay or gateway key that is missing, unknown, disabled or revoked.
    #[error("invalid API key")]
    InvalidApiKey,
    /// The key's `expires_at` has passed.
    #[error("API key expired")]
    KeyExpired,
    /// The client IP is outside the key's allow-list.
    #[error("client IP is not in this key's IP allow-list")]
    AccessDenied,
    /// A state conflict that is not a name clash (e.g. removing the last Owner).
    #[error("{0}")]
    Conflict(String),
    /// A write named a `version` that is no longer current (SPEC §4.12).
    #[error("{0} was changed since version {1}; reload and try again")]
    VersionMismatch(&'static str, i64),
    /// Posture changed after the targeted autonomy row (SPEC §6.5); `changes` lists `(audit_id, verb)`.
    #[error("the posture changed after this autonomy change; undo anyway with force")]
    StaleUndo { changes: Vec<(i64, String)> },
    /// The targeted autonomy row has no snapshot (it exceeded the cap).
    #[error("this change cannot be undone: its snapshot exceeded the size cap")]
    UndoUnavailable,
    /// The approval was already decided or has expired (SPEC §5.10 step 4); `state` is its current state.
    #[error("approval is not pending (it is {state})")]
    ApprovalNotPending { state: String },
    /// A missing, malformed, stale or wrong `X-Palisade-Signature` on the approval decision callback.
    #[error("invalid signature: {0}")]
    InvalidSignature(String),
    /// Anything unexpected; the cause is logged, never shown.
    #[error("internal error")]
    Internal(#[source] anyhow::Error),
}

fn summary(fields: &[FieldError]) -> String {
    match fields {
        [] => "validation failed".to_owned(),
        [one] => format!("{}: {}", one.field, one.message),
        [first, rest @ ..] => format!("{}: {} (and {} more)", first.field, first.message, rest.len()),
    }
}

impl From<sea_orm::DbErr> for ServiceError {
    fn from(err: sea_orm::DbErr) -> Self {
        ServiceError::Internal(err.into())
    }
}

impl From<FieldError> for ServiceError {
    fn from(err: FieldError) -> Self {
        ServiceError::Invalid(vec![err])
    }
}

impl From<crate::auth::session::SessionError> for ServiceError {
    fn from(err: crate::auth::session::SessionError) -> Self {
        ServiceError::Internal(err.into())
    }
}
