//! Append-only feeds written by the relay and the gateway: request rows, firewall events, guardrail
//! matches, approvals, discovered tools and per-run spend (SPEC §2.7–2.12, §5.7).
//!
//! Feeds are read newest first with keyset pagination, hence the `(workspace_id, created_at, id)` indexes.

use sea_orm_migration::prelude::*;

use crate::schema_util::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

const TABLES: &[&str] =
    &["requests", "firewall_events", "guardrail_matches", "approvals", "discovered_tools", "run_spend"];

fn lineage() -> Vec<ColumnDef> {
    vec![text_null("run_id"), text_null("conversation_id"), text_null("step_id"), text_null("parent_step_id")]
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let mut request_columns = vec![
            text("request_id"),
            ts("created_at"),
            int_null("key_id"),
            text("key_name"),
            text("route"),
            text_null("model"),
            boolean("stream", false),
            int("status"),
            text_null("error_code"),
            int_default("prompt_tokens", 0),
            int_default("completion_tokens", 0),
            int_default("cost_micros", 0),
            boolean("metered", false),
            int_null("guardrail_id"),
            int_null("firewall_policy_id"),
            int_default("tool_calls", 0),
            text("client_ip"),
            int("latency_ms"),
            int_null("upstream_latency_ms"),
        ];
        request_columns.extend(lineage());
        let requests = workspace_table("requests", request_columns);

        let mut event_columns = vec![
            ts("created_at"),
            text("request_id"),
            int_null("key_id"),
            text("key_name"),
            text_null("model_name"),
            text("surface"),
            text("tool_name"),
            text_null("skill_name"),
            text_null("mcp_server"),
            json_null("destination"),
            text("verdict"),
            text("reason"),
            int_null("policy_id"),
            text_null("policy_name"),
            int_null("rule_id"),
            text_null("rule_label"),
            boolean("shadow", false),
            boolean("gap", false),
            boolean("review", false),
            text_null("args_summary"),
            text_null("args_hash"),
            text_null("approval_id"),
            json_null("cost_check"),
        ];
        event_columns.extend(lineage());
        let events = workspace_table("firewall_events", event_columns);

        let mut match_columns = vec![
            ts("created_at"),
            text("request_id"),
            int_null("key_id"),
            text("key_name"),
            text("client_ip"),
            text_null("model_name"),
            int("guardrail_id"),
            text("guardrail_name"),
            int("rule_id"),
            text("rule_label"),
            text("rule_type"),
            text("stage"),
            text("action"),
            text_null("entity"),
            int_default("count", 1),
            text("detail"),
            text_null("matched"),
            text("fingerprint"),
            boolean("false_positive", false),
            boolean("error", false),
        ];
        match_columns.extend(lineage());
        let matches = workspace_table("guardrail_matches", match_columns);

        let approvals = workspace_table(
            "approvals",
            vec![
                text("approval_id"),
                text("state"),
                text("surface"),
                text("tool_name"),
                text("args_hash"),
                text_null("args_summary"),
                int_null("key_id"),
                text("key_name"),
                text("request_id"),
                text_null("run_id"),
                text_null("conversation_id"),
                text_null("step_id"),
                int("policy_id"),
                text("policy_name"),
                int("rule_id"),
                text_null("rule_label"),
                text("reason"),
                ts("created_at"),
                ts("expires_at"),
                ts_null("decided_at"),
                int_null("decided_by_user_id"),
                text_null("decided_via"),
                text_null("decision_note"),
                ts_null("consumed_at"),
                text_null("consumed_request_id"),
            ],
        );
        let discovered = workspace_table(
            "discovered_tools",
            vec![
                text("tool_name"),
                text_null("mcp_server"),
                json("surfaces"),
                ts("first_seen_at"),
                ts("last_seen_at"),
                int_default("call_count", 0),
                json("verdict_counts"),
                text("coverage"),
                text_null("last_policy_name"),
                text_null("last_rule_label"),
                text("last_key_name"),
            ],
        );
        // Run spend for `cap_cost`: one row per run, bumped with an atomic upsert so replicas agree.
        let run_spend = workspace_table(
            "run_spend",
            vec![text("run_id"), int_default("spent_micros", 0), ts("updated_at")],
        );
        create_all(
            manager,
            vec![requests, events, matches, approvals, discovered, run_spend],
            vec![
                index("requests", &["request_id"], true),
                index("requests", &["workspace_id", "created_at", "id"], false),
                index("requests", &["workspace_id", "run_id"], false),
                index("firewall_events", &["workspace_id", "created_at", "id"], false),
                index("firewall_events", &["workspace_id", "run_id"], false),
                index("guardrail_matches", &["workspace_id", "created_at", "id"], false),
                index("guardrail_matches", &["workspace_id", "run_id"], false),
                index("approvals", &["approval_id"], true),
                index("approvals", &["workspace_id", "state", "created_at"], false),
                index("discovered_tools", &["workspace_id", "tool_name"], true),
                index("run_spend", &["workspace_id", "run_id"], true),
            ],
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        drop_all(manager, TABLES).await
    }
}
