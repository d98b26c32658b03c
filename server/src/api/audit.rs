//! `/api/audit` and `/api/audit/:id` (SPEC §7): the audit feed with `verb` (repeatable or
//! comma-separated), `actor_user_id`, `target_type`, `target_id`, time filters, `limit` and `cursor`.
//! Snapshots are never returned.

use axum::extract::{Path, Query, State};
use axum::Json;
use chrono::{DateTime, Utc};
use serde_json::{json, Value};

use crate::api::posture_dto;
use crate::api::{ApiError, Caller};
use crate::service::audit_feed::AuditQuery;
use crate::service::{FieldError, ServiceError, Services};

fn parse_query(pairs: Vec<(String, String)>) -> Result<AuditQuery, ServiceError> {
    let mut query = AuditQuery::default();
    let mut errors = Vec::new();
    fn int<T: std::str::FromStr>(errors: &mut Vec<FieldError>, field: &str, value: &str) -> Option<T> {
        let parsed = value.parse().ok();
        if parsed.is_none() {
            errors.push(FieldError::new(field, "must be an integer"));
        }
        parsed
    }
    fn time(errors: &mut Vec<FieldError>, field: &str, value: &str) -> Option<DateTime<Utc>> {
        let parsed = DateTime::parse_from_rfc3339(value).ok().map(|t| t.with_timezone(&Utc));
        if parsed.is_none() {
            errors.push(FieldError::new(field, "must be an RFC 3339 timestamp"));
        }
        parsed
    }
    for (key, value) in pairs {
        match key.as_str() {
            "verb" => query.verbs.extend(value.split(',').map(str::trim).filter(|v| !v.is_empty()).map(str::to_owned)),
            "actor_user_id" => query.actor_user_id = int(&mut errors, "actor_user_id", &value),
            "target_type" => query.target_type = Some(value),
            "target_id" => query.target_id = Some(value),
            "since" => query.since = time(&mut errors, "since", &value),
            "until" => query.until = time(&mut errors, "until", &value),
            "days" => query.days = int(&mut errors, "days", &value),
            "limit" => query.limit = int(&mut errors, "limit", &value),
            "cursor" => query.cursor = Some(value),
            _ => errors.push(FieldError::new(key, "is not a filter of this feed")),
        }
    }
    if errors.is_empty() {
        Ok(query)
    } else {
        Err(ServiceError::Invalid(errors))
    }
}

pub async fn list(State(services): State<Services>, Caller(principal): Caller, Query(pairs): Query<Vec<(String, String)>>) -> Result<Json<Value>, ApiError> {
    let query = parse_query(pairs)?;
    let page = services.audit_feed(&principal, query, Utc::now()).await?;
    Ok(Json(json!({ "data": page.data.iter().map(posture_dto::audit).collect::<Vec<_>>(), "next_cursor": page.next_cursor })))
}

pub async fn get(State(services): State<Services>, Caller(principal): Caller, Path(id): Path<i64>) -> Result<Json<Value>, ApiError> {
    Ok(Json(posture_dto::audit(&services.audit_entry(&principal, id).await?)))
}
