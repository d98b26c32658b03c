//! Why a relay request failed: the service errors plus the relay-only outcomes of SPEC §9.3 (blocks,
//! holds, quota, upstream). Kept apart from `ServiceError` so the `/api` plane never sees these variants.
//!
//! `code()` and `status()` are the stable §9.3 pair recorded on the request row; `relay::error` renders them.

use crate::service::ServiceError;
use crate::upstream::{UpstreamError, UpstreamErrorKind};

/// A failed relay request.
#[derive(Debug, thiserror::Error)]
pub enum RelayError {
    #[error(transparent)]
    Service(#[from] ServiceError),
    /// The body is larger than `limits.relay_body_bytes`.
    #[error("request body exceeds the limit of {limit} bytes")]
    PayloadTooLarge { limit: usize },
    /// The key's model allow-list refuses the model.
    #[error("model `{0}` is not allowed for this API key")]
    ModelNotAllowed(String),
    /// The key's credit limit is reached.
    #[error("this API key has reached its credit limit")]
    InsufficientQuota,
    /// A guardrail `block` (input, or non-streaming output). Names the guardrail and rule, never the text.
    #[error("request blocked by guardrail \"{guardrail_name}\" (rule \"{rule_label}\", {stage} stage)")]
    GuardrailBlocked { guardrail_id: i64, guardrail_name: String, rule_label: String, stage: &'static str },
    /// A firewall `deny` on the inbound or response surface.
    #[error("{}", firewall_message(.tools, .reason))]
    FirewallBlocked { tools: Vec<String>, reason: String },
    /// A `pending_approval` hold on the response surface; `reason` is the first held call's (§5.10 step 1).
    #[error("{}", held_message(.tools, .approval_ids, .reason))]
    ApprovalPending { tools: Vec<String>, approval_ids: Vec<String>, reason: String },
    /// The provider failed.
    #[error("{}", upstream_message(.0))]
    Upstream(UpstreamError),
}

fn quoted(tools: &[String]) -> String {
    tools.iter().map(|tool| format!("\"{tool}\"")).collect::<Vec<_>>().join(", ")
}

fn firewall_message(tools: &[String], reason: &str) -> String {
    match tools {
        [one] => format!("tool \"{one}\" blocked by firewall: {reason}"),
        _ => format!("tools {} blocked by firewall: {reason}", quoted(tools)),
    }
}

/// `tool "db.write" held for approval: <reason>; approval <id>; retry with header X-Palisade-Approval: <id> once
/// approved` (§5.10 step 1); several holds list every tool and id, and the header value joins the ids.
fn held_message(tools: &[String], approval_ids: &[String], reason: &str) -> String {
    let subject = match tools {
        [one] => format!("tool \"{one}\""),
        _ => format!("tools {}", quoted(tools)),
    };
    let label = if approval_ids.len() == 1 { "approval" } else { "approvals" };
    format!(
        "{subject} held for approval: {reason}; {label} {}; retry with header X-Palisade-Approval: {} once approved",
        approval_ids.join(", "),
        approval_ids.join(",")
    )
}

fn upstream_message(err: &UpstreamError) -> String {
    match (err.kind, err.status) {
        (UpstreamErrorKind::Timeout, _) => "upstream: the provider did not answer in time".into(),
        (UpstreamErrorKind::Status, Some(status)) if (400..500).contains(&status) => {
            format!("upstream: the provider rejected the request (HTTP {status})")
        }
        (UpstreamErrorKind::Status, Some(status)) => format!("upstream: the provider failed (HTTP {status})"),
        _ => "upstream: the provider sent an unreadable answer".into(),
    }
}

impl RelayError {
    /// The §9.3 code.
    pub fn code(&self) -> &'static str {
        match self {
            RelayError::Service(err) => service_code(err),
            RelayError::PayloadTooLarge { .. } => "payload_too_large",
            RelayError::ModelNotAllowed(_) => "model_not_allowed",
            RelayError::InsufficientQuota => "insufficient_quota",
            RelayError::GuardrailBlocked { .. } => "guardrail_blocked",
            RelayError::FirewallBlocked { .. } => "firewall_blocked",
            RelayError::ApprovalPending { .. } => "firewall_approval_pending",
            RelayError::Upstream(err) if err.kind == UpstreamErrorKind::Timeout => "upstream_timeout",
            RelayError::Upstream(_) => "upstream_error",
        }
    }

    /// The HTTP status of §9.3 (upstream 4xx mirrored, §3.3), as a number for the request row.
    pub fn status(&self) -> u16 {
        match self {
            RelayError::Service(err) => service_status(err),
            RelayError::PayloadTooLarge { .. } => 413,
            RelayError::ModelNotAllowed(_) => 403,
            RelayError::InsufficientQuota => 402,
            RelayError::GuardrailBlocked { .. } | RelayError::FirewallBlocked { .. } | RelayError::ApprovalPending { .. } => 400,
            RelayError::Upstream(err) => match (err.kind, err.status) {
                (UpstreamErrorKind::Timeout, _) => 504,
                (UpstreamErrorKind::Status, Some(status)) if (400..500).contains(&status) => status,
                _ => 502,
            },
        }
    }
}

/// The §9.3 code of a plain service error on the `/v1` plane.
pub fn service_code(err: &ServiceError) -> &'static str {
    match err {
        ServiceError::InvalidApiKey | ServiceError::Unauthenticated(_) => "invalid_api_key",
        ServiceError::KeyExpired => "key_expired",
        ServiceError::AccessDenied => "access_denied",
        ServiceError::Forbidden(_) | ServiceError::CsrfFailed => "forbidden",
        ServiceError::NotFound(_) => "not_found",
        ServiceError::ModelNotFound(_) => "model_not_found",
        ServiceError::RateLimited { .. } => "rate_limited",
        ServiceError::Internal(_) => "internal_error",
        _ => "invalid_request_error",
    }
}

fn service_status(err: &ServiceError) -> u16 {
    match service_code(err) {
        "invalid_api_key" | "key_expired" => 401,
        "access_denied" | "forbidden" => 403,
        "not_found" | "model_not_found" => 404,
        "rate_limited" => 429,
        "internal_error" => 500,
        _ => 400,
    }
}
