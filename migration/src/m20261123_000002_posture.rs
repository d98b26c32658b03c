//! Posture objects: guardrails with their version history, firewall policies and rules, MCP servers and
//! false-positive suppressions (SPEC §2.5, §2.6, §2.10, §2.14).

use sea_orm_migration::prelude::*;

use crate::schema_util::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

const TABLES: &[&str] = &[
    "guardrails",
    "guardrail_versions",
    "firewall_policies",
    "firewall_rules",
    "mcp_servers",
    "suppressions",
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let guardrails = workspace_table(
            "guardrails",
            vec![
                text("name"),
                text("description"),
                boolean("enabled", true),
                boolean("log_raw_content", false),
                int_default("version", 1),
                // Rules are written with the guardrail as a whole (SPEC §2.5), so they live in one document.
                json("rules"),
                ts("created_at"),
                ts("updated_at"),
                int_null("updated_by"),
            ],
        );
        let guardrail_versions = workspace_table(
            "guardrail_versions",
            vec![
                int("guardrail_id"),
                int("version"),
                text("op"),
                int_null("actor_user_id"),
                ts("created_at"),
                json("snapshot"),
            ],
        );
        let firewall_policies = workspace_table(
            "firewall_policies",
            vec![
                text("name"),
                text("description"),
                boolean("enabled", true),
                text("default_verdict"),
                boolean("shadow_mode", false),
                int_default("version", 1),
                ts("created_at"),
                ts("updated_at"),
            ],
        );
        let mut firewall_rules = workspace_table(
            "firewall_rules",
            vec![
                int("policy_id"),
                int_default("priority", 100),
                text_null("label"),
                text("stage"),
                text("tool_name_glob"),
                text("skill_name_glob"),
                text("verdict"),
                json("args_match"),
                json_null("egress"),
                json_null("sanitize"),
                int_null("cap_cost_cents"),
                text("notes"),
                ts("created_at"),
                ts("updated_at"),
            ],
        );
        firewall_rules.foreign_key(
            &mut ForeignKey::create()
                .name("fk_firewall_rules_policy")
                .from(id("firewall_rules"), id("policy_id"))
                .to(id("firewall_policies"), id("id"))
                .on_delete(ForeignKeyAction::Cascade)
                .to_owned(),
        );
        let mcp_servers = workspace_table(
            "mcp_servers",
            vec![
                text("name"),
                text("endpoint"),
                text("auth_mode"),
                text_null("auth_enc"),
                boolean("enabled", true),
                text("status"),
                ts_null("last_probe_at"),
                text_null("last_error"),
                int_default("tool_count", 0),
                ts("created_at"),
                ts("updated_at"),
            ],
        );
        let suppressions = workspace_table(
            "suppressions",
            vec![
                text("fingerprint"),
                int("guardrail_id"),
                int("rule_id"),
                text("entity_type"),
                int_null("source_match_id"),
                text("note"),
                int_null("created_by"),
                ts("created_at"),
            ],
        );
        create_all(
            manager,
            vec![guardrails, guardrail_versions, firewall_policies, firewall_rules, mcp_servers, suppressions],
            vec![
                index("guardrails", &["workspace_id", "name"], true),
                index("guardrail_versions", &["guardrail_id", "version"], true),
                index("firewall_policies", &["workspace_id", "name"], true),
                index("firewall_rules", &["policy_id", "priority", "id"], false),
                index("mcp_servers", &["workspace_id", "name"], true),
                index("suppressions", &["workspace_id", "fingerprint"], true),
            ],
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        drop_all(manager, TABLES).await
    }
}
