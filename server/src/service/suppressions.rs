//! False-positive suppression (SPEC §4.11, §2.10): mark a match as a false positive, list and delete
//! suppressions. A suppression changes what the relay enforces (its findings are dropped before the fold),
//! so every add and delete runs in a posture transaction: the version bump makes the relay's posture cache
//! reload the fingerprint set, and the audit row commits with the change.
//!
//! Must not touch the engine: the fingerprint was computed when the match was recorded, and the rows'
//! `false_positive` flags are kept in step here, in the same transaction.

use chrono::{DateTime, Utc};
use serde_json::json;

use crate::auth::roles::Capability;
use crate::engine::guardrail::suppress::short;
use crate::service::identity::Principal;
use crate::service::posture::{audit, PostureAudit};
use crate::service::{FieldError, ServiceError, ServiceResult, Services};
use crate::store::guardrail_matches::MatchRecord;
use crate::store::suppressions::{NewSuppression, SuppressionRecord};
use crate::store::{self};

/// Longest suppression note (SPEC §2.10).
const NOTE_MAX: usize = 256;

/// Result of `mark-fp`: the suppression, whether this call created it, and how many match rows it flagged.
#[derive(Clone, Debug, PartialEq)]
pub struct MarkedFalsePositive {
    pub suppression: SuppressionRecord,
    pub created: bool,
    pub flagged: u64,
}

/// Trims the optional note; at most 256 characters, no control characters.
fn checked_note(note: Option<String>) -> Result<String, FieldError> {
    let note = note.unwrap_or_default().trim().to_owned();
    if note.chars().count() > NOTE_MAX {
        return Err(FieldError::new("note", format!("must be at most {NOTE_MAX} characters")));
    }
    if note.chars().any(char::is_control) {
        return Err(FieldError::new("note", "must not contain control characters"));
    }
    Ok(note)
}

/// Refuses findings that cannot be suppressed: `max_chars` has no matched value to fingerprint (§4.11).
fn markable(row: &MatchRecord) -> Result<(), FieldError> {
    if row.rule_type == "max_chars" || row.fingerprint.is_empty() {
        return Err(FieldError::new("id", "max_chars findings cannot be marked as false positives; raise the rule's limit instead"));
    }
    Ok(())
}

/// What a suppression's `entity_type` is: the entity or detector of the match, else its rule type.
fn entity_type(row: &MatchRecord) -> String {
    row.entity.clone().unwrap_or_else(|| row.rule_type.clone())
}

impl Services {
    /// `POST /api/guardrails/matches/:id/mark-fp` (Admin+): suppresses the match's fingerprint in the
    /// workspace and flags every match with it. Idempotent: an existing suppression is returned as is
    /// (`created: false`), with no posture change and no audit row; late rows are still flagged.
    pub async fn mark_false_positive(&self, principal: &Principal, match_id: i64, note: Option<String>, now: DateTime<Utc>) -> ServiceResult<MarkedFalsePositive> {
        principal.require(Capability::ManageSuppressions)?;
        let note = checked_note(note)?;
        let ws = principal.workspace_id;
        let posture = self.begin_posture(ws).await?;
        let txn = &posture.txn;
        let row = store::guardrail_matches::find(txn, ws, match_id).await?.ok_or(ServiceError::NotFound("match"))?;
        markable(&row)?;
        if let Some(existing) = store::suppressions::find_by_fingerprint(txn, ws, &row.fingerprint).await? {
            // Dropping the posture transaction rolls its version bump back: nothing the relay sees changed.
            drop(posture);
            let flagged = store::guardrail_matches::set_false_positive(&self.db, ws, &row.fingerprint, true).await?;
            return Ok(MarkedFalsePositive { suppression: existing, created: false, flagged });
        }
        let new = NewSuppression {
            workspace_id: ws,
            fingerprint: row.fingerprint.clone(),
            guardrail_id: row.guardrail_id,
            rule_id: row.rule_id,
            entity_type: entity_type(&row),
            source_match_id: Some(row.id),
            note,
            created_by: Some(principal.user.id),
            created_at: now,
        };
        let suppression = store::suppressions::insert(txn, new).await?;
        let flagged = store::guardrail_matches::set_false_positive(txn, ws, &row.fingerprint, true).await?;
        let metadata = json!({
            "suppression_id": suppression.id, "guardrail_id": suppression.guardrail_id, "rule_id": suppression.rule_id,
            "entity_type": suppression.entity_type, "fingerprint": short(&suppression.fingerprint), "note": suppression.note,
            "flagged_matches": flagged,
        });
        let row = PostureAudit { verb: "guardrail_match_marked_fp", target_type: "guardrail_match", target_id: match_id.to_string(), metadata };
        audit(txn, principal, row, now).await?;
        posture.commit().await?;
        Ok(MarkedFalsePositive { suppression, created: true, flagged })
    }

    /// `GET /api/guardrails/suppressions` (Member), newest first.
    pub async fn list_suppressions(&self, principal: &Principal) -> ServiceResult<Vec<SuppressionRecord>> {
        principal.require(Capability::ReadWorkspace)?;
        Ok(store::suppressions::list(&self.db, principal.workspace_id).await?)
    }

    /// `DELETE /api/guardrails/suppressions/:id` (Admin+): removes the suppression and clears the
    /// `false_positive` flag of every match with its fingerprint; later findings are enforced again.
    pub async fn delete_suppression(&self, principal: &Principal, id: i64, now: DateTime<Utc>) -> ServiceResult<()> {
        principal.require(Capability::ManageSuppressions)?;
        let ws = principal.workspace_id;
        let posture = self.begin_posture(ws).await?;
        let txn = &posture.txn;
        let suppression = store::suppressions::find(txn, ws, id).await?.ok_or(ServiceError::NotFound("suppression"))?;
        store::suppressions::delete(txn, ws, id).await?;
        let cleared = store::guardrail_matches::set_false_positive(txn, ws, &suppression.fingerprint, false).await?;
        let metadata = json!({
            "guardrail_id": suppression.guardrail_id, "rule_id": suppression.rule_id, "entity_type": suppression.entity_type,
            "fingerprint": short(&suppression.fingerprint), "note": suppression.note, "cleared_matches": cleared,
        });
        let row = PostureAudit { verb: "guardrail_suppression_deleted", target_type: "suppression", target_id: id.to_string(), metadata };
        audit(txn, principal, row, now).await?;
        posture.commit().await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn notes_are_trimmed_and_bounded() {
        assert_eq!(checked_note(None), Ok(String::new()));
        assert_eq!(checked_note(Some("  a test address  ".into())), Ok("a test address".into()));
        assert!(checked_note(Some("x".repeat(256))).is_ok());
        assert_eq!(checked_note(Some("x".repeat(257))).map_err(|e| e.field), Err("note".into()));
        assert!(checked_note(Some("a\u{0}b".into())).is_err());
    }

    #[test]
    fn max_chars_findings_are_not_markable_and_entities_name_the_suppression() {
        let mut row = MatchRecord { rule_type: "pii".into(), entity: Some("email".into()), fingerprint: "ab".repeat(32), ..Default::default() };
        assert!(markable(&row).is_ok());
        assert_eq!(entity_type(&row), "email");
        row.entity = None;
        row.rule_type = "keyword".into();
        assert_eq!(entity_type(&row), "keyword");
        row.rule_type = "max_chars".into();
        assert_eq!(markable(&row).map_err(|e| e.field), Err("id".into()));
    }
}
