//! Domain types and service errors into console DTOs and `AppError`.

use app::error::FieldMessage;
use app::types::{ApiKeyView, MemberView, MembershipView};
use app::AppError;

use crate::domain::{ApiKey, Member, Membership};
use crate::service::ServiceError;

pub fn app_error(err: ServiceError) -> AppError {
    match err {
        ServiceError::Unauthenticated(message) => AppError::Unauthenticated(message.to_owned()),
        ServiceError::InvalidApiKey | ServiceError::KeyExpired => AppError::Unauthenticated("sign in to continue".into()),
        ServiceError::Forbidden(message) => AppError::Forbidden(message),
        ServiceError::AccessDenied | ServiceError::CsrfFailed => AppError::Forbidden(err.to_string()),
        ServiceError::NotFound(_) | ServiceError::ModelNotFound(_) => AppError::NotFound(err.to_string()),
        ServiceError::Invalid(ref fields) => AppError::Invalid {
            message: err.to_string(),
            fields: fields.iter().map(|field| FieldMessage { field: field.field.clone(), message: field.message.clone() }).collect(),
        },
        ServiceError::NameTaken(_)
        | ServiceError::Conflict(_)
        | ServiceError::VersionMismatch(..)
        | ServiceError::UndoUnavailable
        | ServiceError::ApprovalNotPending { .. } => AppError::Conflict(err.to_string()),
        ServiceError::InvalidSignature(_) => AppError::Unauthenticated(err.to_string()),
        ServiceError::StaleUndo { ref changes } => AppError::StaleUndo {
            message: err.to_string(),
            changes_since: changes
                .iter()
                .map(|(audit_id, verb)| app::types::LaterChangeView { audit_id: *audit_id, verb: verb.clone() })
                .collect(),
        },
        ServiceError::RateLimited { .. } => AppError::RateLimited(err.to_string()),
        ServiceError::Internal(cause) => {
            tracing::error!(error = ?cause, "internal error in a console server function");
            AppError::Internal
        }
    }
}

pub fn key_view(key: ApiKey) -> ApiKeyView {
    ApiKeyView {
        id: key.id,
        kind: key.kind.as_str().to_owned(),
        name: key.name,
        key_hint: key.key_hint,
        scopes: key.scopes,
        active: key.active,
        environment: key.environment,
        model_allowlist: key.model_allowlist_enabled.then_some(key.model_allowlist),
        ip_allowlist: key.ip_allowlist,
        credit_limit_usd: key.credit_limit_micros as f64 / 1e6,
        spent_usd: key.spent_micros as f64 / 1e6,
        rate_limit_rpm: key.rate_limit_rpm,
        expires_at: key.expires_at.map(|at| at.to_rfc3339()),
        created_at: key.created_at.to_rfc3339(),
        last_used_at: key.last_used_at.map(|at| at.to_rfc3339()),
    }
}

pub fn member_view(member: Member) -> MemberView {
    MemberView {
        user_id: member.user.id,
        email: member.user.email,
        display_name: member.user.display_name,
        role: member.role.as_str().to_owned(),
        added_at: member.added_at.to_rfc3339(),
    }
}

pub fn membership_view(membership: Membership) -> MembershipView {
    MembershipView {
        workspace_id: membership.workspace_id,
        workspace_name: membership.workspace_name,
        role: membership.role.as_str().to_owned(),
    }
}
