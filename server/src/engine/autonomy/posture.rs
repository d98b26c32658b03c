//! Posture: the security-relevant state of a workspace (every firewall policy with its rules,
//! every guardrail with its rules, the two defaults and observe mode), as one serde struct usable
//! for autonomy snapshots (SPEC §6.5), plus the pure "apply a level" transformation (§6.2).
//!
//! Plain data; must not know about storage ids beyond carrying them. Start at `Posture`.

use serde::{Deserialize, Serialize};

use crate::engine::firewall::config::PolicyConfig;
use crate::engine::guardrail::config::GuardrailConfig;

/// A reference to a named object (`{"id", "name"}`); `id` is `None` for objects not yet created.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ObjectRef {
    /// Storage id, when the object exists.
    pub id: Option<i64>,
    /// Object name.
    pub name: String,
}

/// A firewall policy in a posture: id and version when stored, plus the policy body with rules.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PosturePolicy {
    /// Storage id (`None` for a policy a level would create).
    #[serde(default)]
    pub id: Option<i64>,
    /// Stored version, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<i64>,
    /// The body as `POST /api/workspace/firewall/policies` takes it.
    #[serde(flatten)]
    pub policy: PolicyConfig,
}

/// A guardrail in a posture: id and version when stored, plus the body with its rules as
/// `POST /api/guardrails` takes it (SPEC §2.5).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PostureGuardrail {
    /// Storage id (`None` for a guardrail a level would create).
    #[serde(default)]
    pub id: Option<i64>,
    /// Stored version, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<i64>,
    /// The guardrail body.
    #[serde(flatten)]
    pub guardrail: GuardrailConfig,
}

/// The posture of one workspace.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Posture {
    /// Every firewall policy with its rules.
    #[serde(default)]
    pub firewall_policies: Vec<PosturePolicy>,
    /// Every guardrail with its rules.
    #[serde(default)]
    pub guardrails: Vec<PostureGuardrail>,
    /// `settings.default_firewall_policy_id`, with the policy's name.
    #[serde(default)]
    pub default_firewall_policy: Option<ObjectRef>,
    /// `settings.default_guardrail_id`, with the guardrail's name.
    #[serde(default)]
    pub default_guardrail: Option<ObjectRef>,
    /// `settings.observe_mode`.
    #[serde(default)]
    pub observe_mode: bool,
}

impl Posture {
    /// The policy a reference points at (by id when it has one, else by name).
    pub fn policy(&self, reference: &ObjectRef) -> Option<&PosturePolicy> {
        self.firewall_policies.iter().find(|p| match reference.id {
            Some(id) => p.id == Some(id),
            None => p.policy.name == reference.name,
        })
    }

    /// The guardrail a reference points at (by id when it has one, else by name).
    pub fn guardrail(&self, reference: &ObjectRef) -> Option<&PostureGuardrail> {
        self.guardrails.iter().find(|g| match reference.id {
            Some(id) => g.id == Some(id),
            None => g.guardrail.name == reference.name,
        })
    }

    /// The workspace default policy, if set and present.
    pub fn default_policy(&self) -> Option<&PosturePolicy> {
        self.default_firewall_policy.as_ref().and_then(|r| self.policy(r))
    }

    /// Upserts `policy` by name: a same-named policy is taken over (keeps its id), else appended.
    /// Returns the reference to it.
    pub fn upsert_policy(&mut self, policy: PolicyConfig) -> ObjectRef {
        let name = policy.name.clone();
        match self.firewall_policies.iter_mut().find(|p| p.policy.name == name) {
            Some(existing) => {
                existing.policy = policy;
                ObjectRef { id: existing.id, name }
            }
            None => {
                self.firewall_policies.push(PosturePolicy { id: None, version: None, policy });
                ObjectRef { id: None, name }
            }
        }
    }

    /// Upserts `guardrail` by name, keeping the id of a same-named guardrail. Returns its reference.
    pub fn upsert_guardrail(&mut self, guardrail: GuardrailConfig) -> ObjectRef {
        let name = guardrail.name.clone();
        match self.guardrails.iter_mut().find(|g| g.guardrail.name == name) {
            Some(existing) => {
                existing.guardrail = guardrail;
                ObjectRef { id: existing.id, name }
            }
            None => {
                self.guardrails.push(PostureGuardrail { id: None, version: None, guardrail });
                ObjectRef { id: None, name }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn posture_round_trips_through_json_with_flattened_policies() {
        let text = r#"{"firewall_policies":[{"id":3,"version":2,"name":"ops","default_verdict":"deny","rules":[{"id":7,"verdict":"allow"}]}],
            "guardrails":[{"id":9,"name":"g","rules":[{"id":2,"type":"max_chars","stage":"input","action":"block","config":{"limit":10}}]}],
            "default_firewall_policy":{"id":3,"name":"ops"},"default_guardrail":null,"observe_mode":true}"#;
        let posture: Posture = serde_json::from_str(text).expect("posture json");
        assert_eq!(posture.default_policy().map(|p| p.policy.name.as_str()), Some("ops"));
        assert_eq!(posture.firewall_policies[0].policy.rules[0].id, Some(7));
        assert_eq!(posture.guardrails[0].guardrail.rules[0].id, Some(2));
        let again: Posture = serde_json::from_str(&serde_json::to_string(&posture).expect("serializes")).expect("parses");
        assert_eq!(again, posture);
    }

    #[test]
    fn upsert_takes_over_same_named_objects_and_keeps_their_ids() {
        let mut posture = Posture::default();
        posture.firewall_policies.push(PosturePolicy {
            id: Some(4),
            version: Some(1),
            policy: serde_json::from_str(r#"{"name":"autonomy-tight"}"#).expect("policy"),
        });
        let reference = posture.upsert_policy(serde_json::from_str(r#"{"name":"autonomy-tight","default_verdict":"deny"}"#).expect("policy"));
        assert_eq!(reference, ObjectRef { id: Some(4), name: "autonomy-tight".into() });
        assert_eq!(posture.firewall_policies.len(), 1);
        let created = posture.upsert_policy(serde_json::from_str(r#"{"name":"new"}"#).expect("policy"));
        assert_eq!(created.id, None);
        assert_eq!(posture.firewall_policies.len(), 2);
    }
}
