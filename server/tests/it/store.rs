//! Store tests, run on SQLite always and on PostgreSQL when `PALISADE_TEST_PG_URL` is set (`.ci/run` sets
//! it): the same repository functions must behave the same on both backends.

use chrono::{Duration, Utc};
use sea_orm::{ConnectionTrait, DatabaseConnection};
use server::domain::{Actor, KeyKind, Role};
use server::store::{self, Migrator, MigratorTrait};
use tower_sessions::session::{Id, Record};
use tower_sessions::SessionStore;

const TABLES: &[&str] = &[
    "workspaces", "users", "memberships", "sessions", "setup_tokens", "login_failures", "api_keys", "providers",
    "audit_log", "guardrails", "guardrail_versions", "firewall_policies", "firewall_rules", "mcp_servers",
    "suppressions", "requests", "firewall_events", "guardrail_matches", "approvals", "discovered_tools", "run_spend",
];

async fn sqlite_db() -> (DatabaseConnection, tempfile::TempDir) {
    let dir = tempfile::tempdir().expect("tempdir");
    let url = format!("sqlite://{}?mode=rwc", dir.path().join("store.db").display());
    (store::connect_and_migrate(&url).await.expect("sqlite"), dir)
}

async fn pg_db() -> Option<DatabaseConnection> {
    let url = crate::support::fresh_pg_url().await?;
    Some(store::connect_and_migrate(&url).await.expect("postgres"))
}

macro_rules! store_tests {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(#[tokio::test]
            async fn $name() {
                let (db, _dir) = super::sqlite_db().await;
                super::$name(&db).await;
            })*
        }
        mod postgres {
            $(#[tokio::test]
            async fn $name() {
                let Some(db) = super::pg_db().await else {
                    eprintln!("PALISADE_TEST_PG_URL is not set; PostgreSQL store test skipped");
                    return;
                };
                super::$name(&db).await;
            })*
        }
    };
}

store_tests!(
    migrations_create_every_table_and_roll_back,
    identity_rows_round_trip_and_enforce_uniqueness,
    keys_are_found_by_hash_and_names_are_unique_per_workspace,
    session_store_saves_loads_expires_and_deletes,
);

async fn migrations_create_every_table_and_roll_back(db: &DatabaseConnection) {
    for table in TABLES {
        db.execute_unprepared(&format!("SELECT COUNT(*) FROM {table}")).await.unwrap_or_else(|err| panic!("{table}: {err}"));
    }
    Migrator::down(db, None).await.expect("down");
    assert!(db.execute_unprepared("SELECT COUNT(*) FROM api_keys").await.is_err(), "tables dropped");
    Migrator::up(db, None).await.expect("up again");
    db.execute_unprepared("SELECT COUNT(*) FROM api_keys").await.expect("recreated");
}

async fn identity_rows_round_trip_and_enforce_uniqueness(db: &DatabaseConnection) {
    let now = Utc::now();
    let workspace = store::workspaces::insert(db, "acme", now).await.expect("workspace");
    let new = || store::users::NewUser { email: "a@example.com", display_name: "a", password_hash: "$argon2id$x", must_change_password: false };
    let user = store::users::insert(db, new(), now).await.expect("user");
    let duplicate = store::users::insert(db, new(), now).await.expect_err("duplicate email");
    assert!(store::is_unique_violation(&duplicate), "{duplicate:?}");
    store::memberships::insert(db, workspace.id, user.id, Role::Developer, None, now).await.expect("membership");
    assert_eq!(store::memberships::role(db, workspace.id, user.id).await.expect("role"), Some(Role::Developer));
    assert_eq!(store::memberships::role(db, workspace.id + 1, user.id).await.expect("role"), None);
    store::memberships::set_role(db, workspace.id, user.id, Role::Owner).await.expect("set role");
    assert_eq!(store::memberships::count_owners(db, workspace.id).await.expect("count"), 1);
    let members = store::memberships::members(db, workspace.id).await.expect("members");
    assert_eq!((members.len(), members[0].user.email.as_str(), members[0].role), (1, "a@example.com", Role::Owner));
    let (found, hash) = store::users::find_with_hash_by_email(db, "a@example.com").await.expect("q").expect("found");
    assert_eq!((found.id, hash.as_str()), (user.id, "$argon2id$x"));
    let actor = Actor { user_id: Some(user.id), label: "a@example.com".into() };
    let audit = store::audit::NewAudit {
        workspace_id: workspace.id,
        actor: &actor,
        verb: "member_add",
        target_type: "user",
        target_id: user.id.to_string(),
        metadata: serde_json::json!({"id": user.id}),
    };
    let entry = store::audit::insert(db, audit, now).await.expect("audit");
    assert_eq!((entry.actor_type.as_str(), entry.verb.as_str()), ("user", "member_add"));
    let recent = store::audit::recent(db, workspace.id, 5).await.expect("recent");
    assert_eq!(recent.len(), 1);
    assert_eq!(recent[0].metadata["id"], user.id);
}

async fn keys_are_found_by_hash_and_names_are_unique_per_workspace(db: &DatabaseConnection) {
    let now = Utc::now();
    let one = store::workspaces::insert(db, "one", now).await.expect("ws");
    let two = store::workspaces::insert(db, "two", now).await.expect("ws");
    let fields = store::api_keys::KeyFields {
        name: "agent".into(),
        scopes: KeyKind::Relay.default_scopes(),
        active: true,
        environment: Some("prod".into()),
        guardrail_id: None,
        firewall_policy_id: None,
        model_allowlist_enabled: true,
        model_allowlist: vec!["mock/*".into()],
        ip_allowlist: vec!["10.0.0.0/8".into()],
        credit_limit_micros: 5_000_000,
        rate_limit_rpm: 60,
        expires_at: Some(now + Duration::days(1)),
    };
    let new = |workspace_id, hash: &'static str| store::api_keys::NewKey {
        workspace_id,
        kind: KeyKind::Relay,
        key_hint: "sk-pal-****abcd",
        secret_hash: hash,
        created_by: None,
    };
    let key = store::api_keys::insert(db, new(one.id, "h1"), &fields, now).await.expect("key");
    assert_eq!(key.model_allowlist, vec!["mock/*"]);
    assert_eq!(key.credit_limit_micros, 5_000_000);
    let clash = store::api_keys::insert(db, new(one.id, "h2"), &fields, now).await.expect_err("same name, same workspace");
    assert!(store::is_unique_violation(&clash));
    store::api_keys::insert(db, new(two.id, "h3"), &fields, now).await.expect("same name in another workspace is fine");
    let found = store::api_keys::find_by_secret_hash(db, "h1").await.expect("q").expect("found");
    assert_eq!(found.id, key.id);
    assert!(store::api_keys::find_in_workspace(db, two.id, key.id).await.expect("q").is_none(), "other workspace sees nothing");
    assert!(store::exists_in_workspace(db, "api_keys", one.id, key.id).await.expect("q"));
    assert!(!store::exists_in_workspace(db, "api_keys", two.id, key.id).await.expect("q"));
}

async fn session_store_saves_loads_expires_and_deletes(db: &DatabaseConnection) {
    let store = server::auth::session_store::SeaOrmSessionStore::new(db.clone());
    let mut data = std::collections::HashMap::new();
    data.insert("uid".to_string(), serde_json::json!(7));
    data.insert("csrf".to_string(), serde_json::json!("token"));
    let expiry = time::OffsetDateTime::now_utc() + time::Duration::hours(1);
    let mut record = Record { id: Id::default(), data, expiry_date: expiry };
    store.create(&mut record).await.expect("create");
    let loaded = store.load(&record.id).await.expect("load").expect("present");
    assert_eq!(loaded.data["uid"], 7);
    // The table holds a hash of the id, never the id itself.
    let raw = db
        .query_one_raw(sea_orm::Statement::from_string(db.get_database_backend(), "SELECT id, user_id FROM sessions"))
        .await
        .expect("q")
        .expect("row");
    let stored_id: String = raw.try_get("", "id").expect("id");
    assert_ne!(stored_id, record.id.to_string());
    assert_eq!(stored_id, server::auth::session_store::storage_key(&record.id));
    let user_id: Option<i64> = raw.try_get("", "user_id").expect("user_id");
    assert_eq!(user_id, Some(7));
    let expired = Record { id: Id::default(), data: Default::default(), expiry_date: time::OffsetDateTime::now_utc() - time::Duration::minutes(1) };
    store.save(&expired).await.expect("save expired");
    assert!(store.load(&expired.id).await.expect("load").is_none(), "expired sessions are not loaded");
    store.delete(&record.id).await.expect("delete");
    assert!(store.load(&record.id).await.expect("load").is_none());
}
