//! Identity and access: workspaces with their settings, users, memberships, sessions, first-run setup
//! tokens, login throttle, API keys, providers and the append-only audit trail (SPEC §2.1–2.4, §2.13).

use sea_orm_migration::prelude::*;

use crate::schema_util::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

const TABLES: &[&str] = &[
    "workspaces",
    "users",
    "memberships",
    "sessions",
    "setup_tokens",
    "login_failures",
    "api_keys",
    "providers",
    "audit_log",
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let workspaces = Table::create()
            .table(id("workspaces"))
            .if_not_exists()
            .col(pk())
            .col(text("name"))
            .col(ts("created_at"))
            .col(boolean("observe_mode", false))
            .col(int_null("default_firewall_policy_id"))
            .col(int_null("default_guardrail_id"))
            .col(text_null("approval_webhook_url"))
            // AES-256-GCM ciphertext (base64), never returned; see server::crypto.
            .col(text_null("approval_webhook_secret_enc"))
            .col(int_default("approval_ttl_seconds", 86_400))
            .col(int_default("log_retention_days", 30))
            .col(text_null("judge_model"))
            .col(ts("settings_updated_at"))
            // The relay's posture cache key: bumped in the transaction of every posture change.
            .col(int_default("posture_version", 1))
            .to_owned();
        let users = Table::create()
            .table(id("users"))
            .if_not_exists()
            .col(pk())
            .col(text("email"))
            .col(text("display_name"))
            .col(text("password_hash"))
            .col(boolean("must_change_password", false))
            .col(boolean("disabled", false))
            .col(ts("created_at"))
            .col(ts_null("last_login_at"))
            .to_owned();
        let memberships = Table::create()
            .table(id("memberships"))
            .if_not_exists()
            .col(int("workspace_id"))
            .col(int("user_id"))
            .col(text("role"))
            .col(ts("created_at"))
            .col(int_null("added_by"))
            .primary_key(Index::create().col(id("workspace_id")).col(id("user_id")))
            .foreign_key(&mut workspace_fk("memberships"))
            .foreign_key(
                ForeignKey::create()
                    .name("fk_memberships_user")
                    .from(id("memberships"), id("user_id"))
                    .to(id("users"), id("id"))
                    .on_delete(ForeignKeyAction::Cascade),
            )
            .to_owned();
        // The id is the SHA-256 of the cookie token: a database leak does not leak live sessions.
        let sessions = Table::create()
            .table(id("sessions"))
            .if_not_exists()
            .col(ColumnDef::new(id("id")).string_len(64).not_null().primary_key())
            .col(int_null("user_id"))
            .col(int_null("active_workspace_id"))
            .col(text_null("csrf_token"))
            .col(text("data"))
            .col(ts("created_at"))
            .col(ts("last_seen_at"))
            .col(ts("expires_at"))
            .col(text_null("ip"))
            .col(text_null("user_agent"))
            .to_owned();
        let setup_tokens = Table::create()
            .table(id("setup_tokens"))
            .if_not_exists()
            .col(pk())
            .col(text("token_hash"))
            .col(ts("created_at"))
            .col(ts("expires_at"))
            .col(ts_null("used_at"))
            .to_owned();
        let login_failures = Table::create()
            .table(id("login_failures"))
            .if_not_exists()
            .col(pk())
            .col(text("email"))
            .col(ts("created_at"))
            .to_owned();
        let api_keys = workspace_table(
            "api_keys",
            vec![
                text("kind"),
                text("name"),
                text("key_hint"),
                text("secret_hash"),
                json("scopes"),
                text("status"),
                text_null("environment"),
                int_null("guardrail_id"),
                int_null("firewall_policy_id"),
                boolean("model_allowlist_enabled", false),
                json("model_allowlist"),
                json("ip_allowlist"),
                // Money is stored as integer micro-dollars (SPEC `usd`).
                int_default("credit_limit_micros", 0),
                int_default("spent_micros", 0),
                int_default("rate_limit_rpm", 0),
                ts_null("expires_at"),
                int_null("created_by"),
                ts("created_at"),
                ts_null("last_used_at"),
                text_null("last_used_ip"),
            ],
        );
        let providers = workspace_table(
            "providers",
            vec![
                text("name"),
                text("base_url"),
                text_null("api_key_enc"),
                boolean("enabled", true),
                json("models"),
                ts("created_at"),
                ts("updated_at"),
            ],
        );
        let audit_log = workspace_table(
            "audit_log",
            vec![
                ts("created_at"),
                text("actor_type"),
                int_null("actor_user_id"),
                text("actor_label"),
                text("verb"),
                text("target_type"),
                text("target_id"),
                json("metadata"),
                ColumnDef::new(id("undo_available")).boolean().null().to_owned(),
                int_null("snapshot_bytes"),
                // The posture before an autonomy change; never returned by the API.
                text_null("snapshot"),
            ],
        );
        create_all(
            manager,
            vec![workspaces, users, memberships, sessions, setup_tokens, login_failures, api_keys, providers, audit_log],
            vec![
                index("workspaces", &["name"], true),
                index("users", &["email"], true),
                index("memberships", &["user_id"], false),
                index("sessions", &["user_id"], false),
                index("sessions", &["expires_at"], false),
                index("setup_tokens", &["token_hash"], true),
                index("login_failures", &["email", "created_at"], false),
                index("api_keys", &["workspace_id", "name"], true),
                index("api_keys", &["secret_hash"], true),
                index("providers", &["workspace_id", "name"], true),
                index("audit_log", &["workspace_id", "created_at", "id"], false),
                index("audit_log", &["workspace_id", "verb"], false),
            ],
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        drop_all(manager, TABLES).await
    }
}
