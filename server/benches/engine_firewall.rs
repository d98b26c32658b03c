//! Criterion benches of the firewall hot paths: one tool call against a 100-rule policy (target
//! < 2 µs), the balanced level on a shell call (DESTRUCTIVE regex), and compiling the tight level
//! (target < 5 ms).

use criterion::{black_box, criterion_group, criterion_main, Criterion};
use serde_json::json;

use server::engine::autonomy::{level_contents, Level};
use server::engine::firewall::{CompiledPolicy, EvalContext, PolicyConfig, Surface, ToolCall};

/// 100 rules of mixed shapes; the call matches none until the last rule, so every rule is walked.
fn hundred_rule_policy() -> PolicyConfig {
    let mut rules = Vec::new();
    for i in 0..100 {
        let rule = match i % 5 {
            0 => json!({"id": i, "priority": i, "tool_name_glob": format!("svc{i}.*"), "verdict": "deny"}),
            1 => json!({"id": i, "priority": i, "tool_name_glob": format!("*.tool{i}"), "verdict": "allow"}),
            2 => json!({"id": i, "priority": i, "stage": "mcp", "tool_name_glob": "*", "verdict": "audit"}),
            3 => json!({"id": i, "priority": i, "tool_name_glob": "db.*", "verdict": "pending_approval",
                        "args_match": [{"path": "$.database", "op": "eq", "value": format!("prod{i}")}]}),
            _ => json!({"id": i, "priority": i, "tool_name_glob": "*.exec", "verdict": "deny",
                        "args_match": [{"path": "$.command", "op": "contains", "value": format!("danger{i}")}]}),
        };
        rules.push(rule);
    }
    rules.push(json!({"id": 1000, "priority": 1000, "tool_name_glob": "db.query", "verdict": "allow", "label": "last"}));
    serde_json::from_value(json!({"name": "bench", "default_verdict": "audit", "rules": rules})).expect("bench policy")
}

fn benches(c: &mut Criterion) {
    let policy = CompiledPolicy::compile(&hundred_rule_policy()).expect("bench policy compiles");
    let call = ToolCall {
        surface: Surface::Response,
        tool: "db.query".into(),
        skill: None,
        arguments: Some(json!({"database": "analytics", "sql": "select 1", "command": "ls"})),
        destination: None,
    };
    let ctx = EvalContext::default();
    c.bench_function("firewall_evaluate_100_rules", |b| b.iter(|| policy.evaluate(black_box(&call), black_box(&ctx))));

    let balanced = CompiledPolicy::compile(&level_contents(Level::Balanced).firewall_policy.expect("policy")).expect("compiles");
    let shell = ToolCall {
        surface: Surface::Response,
        tool: "shell.exec".into(),
        skill: None,
        arguments: Some(json!({"command": "cd /srv/app && npm ci && npm run build && rm -rf ./dist/cache", "cwd": "/srv/app"})),
        destination: None,
    };
    c.bench_function("firewall_evaluate_balanced_shell", |b| b.iter(|| balanced.evaluate(black_box(&shell), black_box(&ctx))));

    let tight = level_contents(Level::Tight).firewall_policy.expect("tight policy");
    c.bench_function("firewall_compile_tight", |b| b.iter(|| CompiledPolicy::compile(black_box(&tight))));
}

criterion_group!(engine_firewall, benches);
criterion_main!(engine_firewall);
