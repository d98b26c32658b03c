//! Route table of the posture layer: guardrails, firewall policies and rules, templates, test sandbox,
//! autonomy, workspace settings and the audit feed. Merged into the `/api` router (same auth guard).

use axum::routing::{get, patch, post};
use axum::Router;

use crate::api::{audit, autonomy, firewall, guardrails, workspace};
use crate::state::AppState;

/// The posture routes, relative to `/api`.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/guardrails", get(guardrails::list).post(guardrails::create))
        .route("/guardrails/meta", get(guardrails::meta))
        .route("/guardrails/presets", get(guardrails::presets))
        .route("/guardrails/presets/{slug}/apply", post(guardrails::apply_preset))
        .route("/guardrails/test", post(guardrails::test))
        .route("/guardrails/{id}", get(guardrails::get).put(guardrails::replace).delete(guardrails::delete))
        .route("/guardrails/{id}/history", get(guardrails::history))
        .route("/guardrails/{id}/keys", get(guardrails::keys))
        .route("/guardrails/{id}/revert", post(guardrails::revert))
        .route("/workspace", get(workspace::get))
        .route("/workspace/settings", patch(workspace::update_settings))
        .route("/workspace/firewall/policies", get(firewall::list).post(firewall::create))
        .route("/workspace/firewall/policies/{id}", get(firewall::get).patch(firewall::update).delete(firewall::delete))
        .route("/workspace/firewall/policies/{id}/rules", post(firewall::create_rule).put(firewall::replace_rules))
        .route("/workspace/firewall/policies/{id}/rules/{rule_id}", patch(firewall::update_rule).delete(firewall::delete_rule))
        .route("/workspace/firewall/templates", get(firewall::templates))
        .route("/workspace/firewall/templates/apply", post(firewall::apply_template))
        .route("/workspace/firewall/test", post(firewall::test))
        .route("/workspace/firewall/autonomy", get(autonomy::state).post(autonomy::apply))
        .route("/workspace/firewall/simulate", get(autonomy::simulate))
        .route("/workspace/firewall/autonomy/undo/{audit_id}", post(autonomy::undo))
        .route("/audit", get(audit::list))
        .route("/audit/{id}", get(audit::get))
}
