//! The guardrail Test tab (SPEC §4.9): runs the engine's deterministic fold over one text for a saved or
//! draft guardrail. Stores nothing: no match rows, no metering, no audit.
//!
//! Advanced rules (`llm_judge`, `grounding`, `external`) need the relay's model and webhook clients, which
//! this module must not call; they are reported as skipped (`include_advanced` still needs Developer+).

use std::collections::HashSet;

use chrono::{DateTime, Utc};

use crate::auth::roles::Capability;
use crate::engine::guardrail::compile::CompiledGuardrail;
use crate::engine::guardrail::config::{GuardrailConfig, ScanStage};
use crate::engine::guardrail::fold::{Decision, Role, Segment, SegmentKind, StageRequest};
use crate::engine::guardrail::pii::CivilDate;
use crate::service::identity::Principal;
use crate::service::{FieldError, ServiceError, ServiceResult, Services};
use crate::store;

/// `POST /api/guardrails/test` input.
#[derive(Clone, Debug)]
pub struct GuardrailTestInput {
    pub guardrail_id: Option<i64>,
    pub draft: Option<GuardrailConfig>,
    pub stage: ScanStage,
    pub text: String,
    pub include_advanced: bool,
}

/// One finding occurrence (`span` in code points of the input text, end exclusive).
#[derive(Clone, Debug, PartialEq)]
pub struct Violation {
    pub rule_id: Option<i64>,
    pub rule_label: String,
    pub rule_type: String,
    pub action: String,
    pub entity: Option<String>,
    pub detail: String,
    pub span: Option<(usize, usize)>,
    pub suppressed: bool,
}

/// `POST /api/guardrails/test` result.
#[derive(Clone, Debug, PartialEq)]
pub struct GuardrailTestOutcome {
    pub blocked: bool,
    pub mutated: bool,
    pub text: String,
    pub annotations: Vec<String>,
    pub violations: Vec<Violation>,
    /// Advanced rules that were not run.
    pub advanced_skipped: usize,
}

fn today(now: DateTime<Utc>) -> CivilDate {
    CivilDate::from_days_since_epoch(now.timestamp().div_euclid(86_400))
}

impl Services {
    /// Runs the deterministic rules of a saved (`guardrail_id`) or unsaved (`draft`) guardrail on `text`.
    pub async fn test_guardrail(&self, principal: &Principal, input: GuardrailTestInput, now: DateTime<Utc>) -> ServiceResult<GuardrailTestOutcome> {
        principal.require(Capability::ReadWorkspace)?;
        if input.include_advanced {
            principal.require(Capability::EditPosture)?;
        }
        let (config, id, prefix) = match (input.guardrail_id, input.draft) {
            (Some(id), None) => {
                let record = store::guardrails::find(&self.db, principal.workspace_id, id).await?.ok_or(ServiceError::NotFound("guardrail"))?;
                (record.config, id, "")
            }
            (None, Some(draft)) => (draft, 0, "draft."),
            _ => return Err(FieldError::new("guardrail_id", "send exactly one of `guardrail_id` and `draft`").into()),
        };
        let compiled = CompiledGuardrail::compile(&config).map_err(|e| {
            ServiceError::Invalid(e.errors.into_iter().map(|f| FieldError::new(format!("{prefix}{}", f.field), f.message)).collect())
        })?;
        let advanced_skipped = config.rules.iter().filter(|r| !r.kind.is_deterministic() && r.stage.covers(input.stage)).count();
        let role = match input.stage {
            ScanStage::Input => Role::User,
            ScanStage::Output => Role::Assistant,
        };
        let segments = [Segment { role, kind: SegmentKind::Content, message: 0, text: input.text.clone() }];
        // A saved guardrail runs under the workspace's suppression list, as the relay would run it; a draft
        // has no id, so no fingerprint of it can be on the list.
        let suppressed = if id == 0 { HashSet::new() } else { store::suppressions::fingerprints(&self.db, principal.workspace_id).await? };
        let request = |suppressed| StageRequest { stage: input.stage, segments: &segments, guardrail_id: id, suppressed, today: today(now) };
        let outcome = compiled.evaluate(&request(&suppressed));
        // What the list hid: findings of an unsuppressed run whose fingerprint is on it, shown as `suppressed`.
        let hidden = if suppressed.is_empty() {
            Vec::new()
        } else {
            let unsuppressed = compiled.evaluate(&request(&HashSet::new()));
            unsuppressed.findings.into_iter().filter(|f| f.fingerprint.as_ref().is_some_and(|fp| suppressed.contains(fp))).collect()
        };
        let mut violations = Vec::new();
        let listed = outcome.findings.iter().map(|finding| (finding, false)).chain(hidden.iter().map(|finding| (finding, true)));
        for (finding, suppressed) in listed {
            let base = Violation {
                rule_id: finding.rule_id,
                rule_label: finding.rule_label.clone(),
                rule_type: finding.rule_type.to_owned(),
                action: finding.action.name().to_owned(),
                entity: finding.entity.clone(),
                detail: finding.detail.clone(),
                span: None,
                suppressed,
            };
            if finding.occurrences.is_empty() {
                violations.push(base);
            } else {
                for occurrence in &finding.occurrences {
                    violations.push(Violation { span: Some((occurrence.cp_start, occurrence.cp_end)), ..base.clone() });
                }
            }
        }
        let blocked = matches!(outcome.decision, Decision::Blocked { .. });
        let text = if blocked { input.text } else { outcome.segments.into_iter().next().unwrap_or_default() };
        Ok(GuardrailTestOutcome { blocked, mutated: outcome.mutated, text, annotations: outcome.annotations, violations, advanced_skipped })
    }
}
