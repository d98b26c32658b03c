//! Autonomy levels over `/api` (SPEC §6.3–6.5): apply and undo restore byte-identical snapshots
//! (property test), undo of an undo restores the level, concurrent applies serialize, stale and forced
//! undo, the snapshot cap, and workspace isolation of undo targets.

use axum::http::{Method, StatusCode};
use chrono::Utc;
use proptest::prelude::*;
use serde_json::{json, Value};
use server::domain::Role;
use server::engine::autonomy::Posture;
use server::service::identity::Principal;

use crate::posture::posture_version;
use crate::support::{Caller, TestApp};

/// The stored posture as its snapshot bytes, with versions dropped (they only move forward).
async fn posture_bytes(app: &TestApp) -> String {
    let mut posture: Posture = server::service::autonomy::load_posture(&app.services.db, app.workspace_id()).await.expect("posture");
    posture.firewall_policies.iter_mut().for_each(|p| p.version = None);
    posture.guardrails.iter_mut().for_each(|g| g.version = None);
    serde_json::to_string(&posture).expect("serializes")
}

async fn apply(app: &TestApp, caller: &Caller, level: &str) -> Value {
    let (status, body, _) = app.send(Method::POST, "/api/workspace/firewall/autonomy", caller, Some(json!({"level": level}))).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body
}

async fn undo(app: &TestApp, caller: &Caller, audit_id: i64, force: bool) -> (StatusCode, Value) {
    let path = format!("/api/workspace/firewall/autonomy/undo/{audit_id}{}", if force { "?force=true" } else { "" });
    let (status, body, _) = app.send(Method::POST, &path, caller, None).await;
    (status, body)
}

async fn current_level(app: &TestApp, caller: &Caller) -> String {
    let (_, body, _) = app.send(Method::GET, "/api/workspace/firewall/autonomy", caller, None).await;
    body["current_level"].as_str().expect("level").to_owned()
}

/// One way to shape a workspace before applying a level.
#[derive(Clone, Debug)]
enum Setup {
    Template(&'static str),
    Preset(&'static str),
    Observe(bool),
    SameNamedPolicy,
    DefaultToFirst,
}

fn setup() -> impl Strategy<Value = Setup> {
    prop_oneof![
        prop::sample::select(vec!["baseline", "rag", "browser"]).prop_map(Setup::Template),
        prop::sample::select(vec!["pii_shield", "secrets_blocker", "url_filter"]).prop_map(Setup::Preset),
        any::<bool>().prop_map(Setup::Observe),
        Just(Setup::SameNamedPolicy),
        Just(Setup::DefaultToFirst),
    ]
}

async fn run_setup(app: &TestApp, owner: &Caller, steps: &[Setup]) {
    for step in steps {
        let (method, path, body) = match step {
            Setup::Template(t) => (Method::POST, "/api/workspace/firewall/templates/apply".to_owned(), Some(json!({"template": t, "name": format!("{t}-{}", rand())}))),
            Setup::Preset(p) => (Method::POST, format!("/api/guardrails/presets/{p}/apply"), None),
            Setup::Observe(on) => (Method::PATCH, "/api/workspace/settings".to_owned(), Some(json!({"observe_mode": on}))),
            // A user object the level takes over (a second one is refused as a duplicate name).
            Setup::SameNamedPolicy => (Method::POST, "/api/workspace/firewall/policies".to_owned(), Some(json!({"name": "autonomy-tight", "shadow_mode": true}))),
            Setup::DefaultToFirst => {
                let (_, list, _) = app.send(Method::GET, "/api/workspace/firewall/policies", owner, None).await;
                let id = list["data"][0]["id"].clone();
                (Method::PATCH, "/api/workspace/settings".to_owned(), Some(json!({"default_firewall_policy_id": id})))
            }
        };
        let (status, body, _) = app.send(method, &path, owner, body).await;
        let duplicate = matches!(step, Setup::SameNamedPolicy) && status == StatusCode::CONFLICT;
        assert!(status.is_success() || duplicate, "{step:?}: {status} {body}");
    }
}

fn rand() -> String {
    server::http_util::new_request_id()[4..10].to_owned()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 4, ..ProptestConfig::default() })]

    #[test]
    fn apply_then_undo_restores_the_snapshot_and_redo_restores_the_level(
        steps in prop::collection::vec(setup(), 0..4),
        level in prop::sample::select(vec!["tight", "balanced", "permissive"]),
    ) {
        let runtime = tokio::runtime::Runtime::new().expect("runtime");
        runtime.block_on(async {
            let app = TestApp::new().await;
            let owner = app.as_role(Role::Owner).await;
            run_setup(&app, &owner, &steps).await;
            let before = posture_bytes(&app).await;
            let applied = apply(&app, &owner, level).await;
            assert_eq!(current_level(&app, &owner).await, level);
            let (status, undone) = undo(&app, &owner, applied["audit_id"].as_i64().expect("id"), false).await;
            assert_eq!(status, StatusCode::OK, "{undone}");
            assert_eq!(posture_bytes(&app).await, before, "undo restores the exact pre-apply posture");
            let (status, redone) = undo(&app, &owner, undone["audit_id"].as_i64().expect("id"), false).await;
            assert_eq!(status, StatusCode::OK, "{redone}");
            assert_eq!(current_level(&app, &owner).await, level, "undoing the undo restores the level");
        });
    }
}

#[tokio::test]
async fn concurrent_applies_serialize() {
    let app = TestApp::new().await;
    let owner = app.as_role(Role::Owner).await;
    let start = posture_version(&app).await;
    let (a, b) = tokio::join!(apply(&app, &owner, "tight"), apply(&app, &owner, "balanced"));
    let (a, b) = (a["audit_id"].as_i64().expect("id"), b["audit_id"].as_i64().expect("id"));
    assert_ne!(a, b);
    assert_eq!(posture_version(&app).await, start + 2);
    let last = if a > b { "tight" } else { "balanced" };
    assert_eq!(current_level(&app, &owner).await, last);
    // The later apply's snapshot holds the earlier apply's result: undoing it brings that level back.
    let first = if a > b { "balanced" } else { "tight" };
    let (status, body) = undo(&app, &owner, a.max(b), false).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(current_level(&app, &owner).await, first);
}

#[tokio::test]
async fn stale_undo_lists_later_changes_and_force_undoes_anyway() {
    let app = TestApp::new().await;
    let owner = app.as_role(Role::Owner).await;
    let applied = apply(&app, &owner, "balanced").await;
    let audit_id = applied["audit_id"].as_i64().expect("id");
    let (status, created, _) = app.send(Method::POST, "/api/guardrails", &owner, Some(json!({"name": "later"}))).await;
    assert_eq!(status, StatusCode::CREATED);
    let (status, body) = undo(&app, &owner, audit_id, false).await;
    assert_eq!((status, body["error"]["code"].as_str()), (StatusCode::CONFLICT, Some("stale_undo")));
    let changes = &body["error"]["details"]["changes_since"];
    assert_eq!(changes.as_array().map(Vec::len), Some(1), "{body}");
    assert_eq!(changes[0]["verb"], "guardrail_create");
    assert!(changes[0]["audit_id"].as_i64().is_some_and(|id| id > audit_id));

    let (status, body) = undo(&app, &owner, audit_id, true).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["undone_audit_id"].as_i64(), Some(audit_id));
    let (status, _, _) = app.send(Method::GET, &format!("/api/guardrails/{}", created["id"]), &owner, None).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "objects created since the snapshot are deleted");
    assert_eq!(current_level(&app, &owner).await, "custom");
    let developer = app.as_role(Role::Developer).await;
    let member = app.as_role(Role::Member).await;
    let (status, _) = undo(&app, &member, audit_id, true).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, body) = undo(&app, &developer, audit_id, false).await;
    assert_eq!((status, body["error"]["code"].as_str()), (StatusCode::CONFLICT, Some("stale_undo")));
}

#[tokio::test]
async fn a_snapshot_over_the_cap_still_applies_but_cannot_be_undone() {
    let app = TestApp::with_config(|config| config.autonomy.snapshot_cap_bytes = 16).await;
    let owner = app.as_role(Role::Owner).await;
    let applied = apply(&app, &owner, "tight").await;
    let audit_id = applied["audit_id"].as_i64().expect("id");
    assert_eq!(current_level(&app, &owner).await, "tight");
    let (_, row, _) = app.send(Method::GET, &format!("/api/audit/{audit_id}"), &owner, None).await;
    assert_eq!((row["undo_available"].as_bool(), row["metadata"]["undo_available"].as_bool()), (Some(false), Some(false)));
    let stored = server::store::audit::snapshot(&app.services.db, app.workspace_id(), audit_id).await.expect("query");
    assert_eq!(stored, None);
    let (status, body) = undo(&app, &owner, audit_id, true).await;
    assert_eq!((status, body["error"]["code"].as_str()), (StatusCode::CONFLICT, Some("undo_unavailable")));
}

#[tokio::test]
async fn undo_targets_only_autonomy_rows_of_the_callers_workspace() {
    let app = TestApp::new().await;
    let owner = app.as_role(Role::Owner).await;
    let other = server::store::workspaces::insert(&app.services.db, "other", Utc::now()).await.expect("workspace");
    let user = server::store::users::find_by_email(&app.services.db, "owner@example.com").await.expect("q").expect("owner");
    let principal = Principal { user, workspace_id: other.id, role: Role::Owner };
    let foreign = app.services.apply_autonomy(&principal, "tight", Utc::now()).await.expect("apply elsewhere");
    let (status, body) = undo(&app, &owner, foreign.audit_id, true).await;
    assert_eq!((status, body["error"]["code"].as_str()), (StatusCode::NOT_FOUND, Some("not_found")));
    let (status, policy, _) = app.send(Method::POST, "/api/workspace/firewall/policies", &owner, Some(json!({"name": "p"}))).await;
    assert_eq!(status, StatusCode::CREATED, "{policy}");
    let (_, feed, _) = app.send(Method::GET, "/api/audit?verb=firewall_policy_create", &owner, None).await;
    let (status, _) = undo(&app, &owner, feed["data"][0]["id"].as_i64().expect("id"), true).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "only autonomy rows can be undone");
    let (status, body, _) = app.send(Method::POST, "/api/workspace/firewall/autonomy", &owner, Some(json!({"level": "loose"}))).await;
    assert_eq!((status, body["error"]["fields"][0]["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("level")));
    let (status, _, _) = app.send(Method::GET, "/api/workspace/firewall/simulate?level=loose", &owner, None).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let (status, sim, _) = app.send(Method::GET, "/api/workspace/firewall/simulate?level=balanced", &owner, None).await;
    assert_eq!(status, StatusCode::OK, "{sim}");
    assert_eq!(sim["diff"]["firewall_policy"]["action"], "create");
    assert_eq!(sim["replay"]["events_considered"], 0);
    assert_eq!(sim["replay"]["guardrails"]["basis"], "recorded_matches");
}
