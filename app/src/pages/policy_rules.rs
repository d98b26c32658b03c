//! The policy editor's rule rows (SPEC §10 "Firewall policies", rule fields of §2.6 and §5.3–5.7), in
//! evaluation order: priority, stage, globs, verdict, label, `args_match` clauses, egress lists,
//! `cap_cost_cents`, sanitize presets and custom patterns; Add / Remove; Move up / down and
//! drag-to-reorder (a handle on each row), which renumber the priorities 10, 20, 30… so the saved
//! order is the order shown.
//!
//! Everything edits the `RulesDraft`, which rewrites the posted `#rules-json`; save-time validation
//! stays on the server, and its field-path errors are shown next to the field they name.

use leptos::prelude::*;
use serde_json::{json, Value};

use crate::components::rule_fields::{initial_text, live_text, opt, Bind, LinesField, Parse, TextField, SMALL_INPUT, SMALL_LABEL};
use crate::components::rules_draft::{value_text, FieldErrors, RulesDraft};
use crate::components::ui::BTN_SECONDARY;
use crate::error::FieldMessage;

const SMALL_BTN: &str = "rounded border border-slate-300 px-2 py-0.5 text-xs hover:bg-slate-100 disabled:opacity-40 dark:border-slate-700 dark:hover:bg-slate-800";

/// Sanitize presets in the engine's order (SPEC §5.6).
const SANITIZE_PRESETS: [&str; 16] = [
    "aws_access_key",
    "aws_secret_key",
    "github_token",
    "slack_token",
    "stripe_key",
    "api_key_openai",
    "anthropic_key",
    "google_api_key",
    "private_key",
    "jwt",
    "generic_password",
    "db_connection_string",
    "bearer",
    "ssn",
    "credit_card",
    "email",
];

/// Priority a rule without one gets from the engine.
const DEFAULT_PRIORITY: i64 = 100;

fn priority_of(rule: &Value) -> i64 {
    rule.get("priority").and_then(Value::as_i64).unwrap_or(DEFAULT_PRIORITY)
}

/// After a move, priorities follow the shown order (10, 20, …), so equal priorities can no longer
/// fall back to id order and put a rule somewhere else than where it was dropped.
pub fn renumber(rules: &mut [Value]) {
    for (position, rule) in rules.iter_mut().enumerate() {
        if let Value::Object(map) = rule {
            map.insert("priority".to_owned(), Value::from((position as i64 + 1) * 10));
        }
    }
}

/// Shows rules in evaluation order after a priority was typed in (stable, like the engine's id tie-break
/// for rules that were already in id order).
pub fn sort_by_priority(rules: &mut [Value]) {
    rules.sort_by_key(priority_of);
}

/// All rule rows plus Add rule.
#[component]
pub fn PolicyRules(draft: RulesDraft, errors: Signal<Vec<FieldMessage>>, can_edit: bool) -> impl IntoView {
    let dragging = RwSignal::new(None::<usize>);
    let rows = move || {
        let count = draft.count();
        (0..count).map(|index| view! { <RuleRow draft index count errors can_edit dragging /> }).collect_view()
    };
    let add = move |_| {
        // After the last rule, so a new rule never jumps ahead of existing ones.
        let last = (0..draft.len_untracked()).map(|i| draft.get_untracked(i, "/priority").as_i64().unwrap_or(DEFAULT_PRIORITY)).max();
        let priority = last.map_or(DEFAULT_PRIORITY, |p| p + 10);
        draft.push(json!({ "priority": priority, "stage": "", "tool_name_glob": "*", "verdict": "audit", "args_match": [] }));
    };
    view! {
        <ol id="policy-rules" class="space-y-3">
            {rows}
        </ol>
        {move || (draft.count() == 0).then(|| view! { <p class="text-sm text-slate-500">"No rules: every call gets the default verdict."</p> })}
        {can_edit.then(|| view! { <button id="add-rule" type="button" class=BTN_SECONDARY on:click=add>"Add rule"</button> })}
    }
}

/// One rule as a form row.
#[component]
fn RuleRow(draft: RulesDraft, index: usize, count: usize, errors: Signal<Vec<FieldMessage>>, can_edit: bool, dragging: RwSignal<Option<usize>>) -> impl IntoView {
    let disabled = !can_edit;
    let is_last = index + 1 >= count;
    let bind = move |pointer: &str| Bind::new(draft, index, pointer, errors, disabled);
    let stage = Memo::new(move |_| value_text(&draft.get(index, "/stage")));
    let verdict = Memo::new(move |_| value_text(&draft.get(index, "/verdict")));
    let stage_bind = bind("/stage");
    let verdict_bind = bind("/verdict");
    let change_stage = move |ev| {
        let stage = event_target_value(&ev);
        // `egress` is present iff the stage is egress (SPEC §2.6).
        let egress = (stage == "egress").then(|| draft.get_untracked(index, "/egress")).map(|e| if e.is_object() { e } else { json!({ "allow": [], "deny": [] }) });
        draft.set(index, "/egress", egress);
        draft.set(index, "/stage", Some(Value::String(stage)));
    };
    let change_verdict = move |ev| {
        let verdict = event_target_value(&ev);
        // `sanitize` only with verdict sanitize, `cap_cost_cents` only with cap_cost.
        if verdict != "sanitize" {
            draft.set(index, "/sanitize", None);
        } else if !draft.get_untracked(index, "/sanitize").is_object() {
            draft.set(index, "/sanitize", Some(json!({})));
        }
        if verdict != "cap_cost" {
            draft.set(index, "/cap_cost_cents", None);
        }
        draft.set(index, "/verdict", Some(Value::String(verdict)));
    };
    let drop = move |ev: leptos::ev::DragEvent| {
        ev.prevent_default();
        if let Some(from) = dragging.get_untracked() {
            draft.move_rule(from, index, renumber);
        }
        dragging.set(None);
    };
    let verdict_detail = move || match verdict.get().as_str() {
        "cap_cost" => view! { <div class="max-w-xs"><TextField bind=bind("/cap_cost_cents") label="Cap (cents per run)" parse_as=Parse::Integer kind="number" field="cap_cost_cents" /></div> }.into_any(),
        "sanitize" => view! { <SanitizeForm draft index errors disabled /> }.into_any(),
        _ => ().into_any(),
    };
    let stage_detail = move || match stage.get().as_str() {
        "egress" => view! {
            <div class="grid gap-3 md:grid-cols-2">
                <LinesField bind=bind("/egress/allow") label="Egress allow (hosts, *.suffix or CIDRs; one per line)" field="egress-allow" />
                <LinesField bind=bind("/egress/deny") label="Egress deny (one per line; empty on an allow rule)" field="egress-deny" />
            </div>
            <FieldErrors errors path=format!("rules[{index}].egress") exact=true />
        }
        .into_any(),
        _ => view! { <ArgsClauses draft index errors disabled /> }.into_any(),
    };
    view! {
        <li class="rounded-md border border-slate-200 p-3 dark:border-slate-700" data-rule-index=index data-rule-verdict=move || verdict.get()
            on:dragover=move |ev: leptos::ev::DragEvent| ev.prevent_default() on:drop=drop>
            <div class="mb-2 flex items-center justify-between gap-2">
                <div class="flex items-center gap-2">
                    {can_edit.then(|| view! {
                        <span class="cursor-move select-none text-slate-400" title="Drag to reorder" draggable="true" data-drag-handle=index
                            on:dragstart=move |_| dragging.set(Some(index)) on:dragend=move |_| dragging.set(None)>"⠿"</span>
                    })}
                    <span class="text-xs font-semibold text-slate-500">{format!("#{}", index + 1)}</span>
                </div>
                {can_edit.then(|| view! {
                    <div class="flex gap-1">
                        <button type="button" data-action="move-up" class=SMALL_BTN disabled=index == 0 on:click=move |_| draft.move_rule(index, index.saturating_sub(1), renumber)>"Move up"</button>
                        <button type="button" data-action="move-down" class=SMALL_BTN disabled=is_last on:click=move |_| draft.move_rule(index, index + 1, renumber)>"Move down"</button>
                        <button type="button" data-action="remove-rule" class=format!("{SMALL_BTN} text-red-700") on:click=move |_| draft.remove(index)>"Remove"</button>
                    </div>
                })}
            </div>
            <FieldErrors errors path=format!("rules[{index}]") exact=true />
            <div class="grid gap-3 md:grid-cols-6">
                // Re-sorted when the field is left (change bubbles), not on each keystroke.
                <div on:change=move |_| draft.reshape(sort_by_priority)>
                    <TextField bind=bind("/priority") label="Priority" parse_as=Parse::Integer kind="number" field="priority" />
                </div>
                <label class="block">
                    <span class=SMALL_LABEL>"Stage"</span>
                    <select data-field="stage" class=SMALL_INPUT disabled=disabled prop:value=live_text(&stage_bind) on:change=change_stage>
                        {stage_options(&initial_text(&stage_bind))}
                    </select>
                    <FieldErrors errors path=format!("rules[{index}].stage") />
                </label>
                <TextField bind=bind("/tool_name_glob") label="Tool glob" placeholder="shell.*" field="tool_name_glob" />
                <TextField bind=bind("/skill_name_glob") label="Skill glob" placeholder="any" field="skill_name_glob" />
                <label class="block">
                    <span class=SMALL_LABEL>"Verdict"</span>
                    <select data-field="verdict" class=SMALL_INPUT disabled=disabled prop:value=live_text(&verdict_bind) on:change=change_verdict>
                        {verdict_options(&initial_text(&verdict_bind))}
                    </select>
                    <FieldErrors errors path=format!("rules[{index}].verdict") />
                </label>
                <TextField bind=bind("/label") label="Label" placeholder="shown in events" field="label" />
            </div>
            <div class="mt-3 space-y-3">
                {stage_detail}
                {verdict_detail}
                <TextField bind=bind("/notes") label="Notes (ignored by the engine)" field="notes" />
            </div>
        </li>
    }
}

fn stage_options(current: &str) -> impl IntoView {
    (
        opt("", "every surface", current),
        opt("inbound", "inbound", current),
        opt("response", "response", current),
        opt("mcp", "mcp", current),
        opt("egress", "egress", current),
    )
}

fn verdict_options(current: &str) -> impl IntoView {
    (
        opt("allow", "allow", current),
        opt("audit", "audit", current),
        opt("deny", "deny", current),
        opt("sanitize", "sanitize", current),
        opt("pending_approval", "pending_approval", current),
        opt("cap_cost", "cap_cost", current),
    )
}

fn op_options(current: &str) -> impl IntoView {
    (
        opt("eq", "eq", current),
        opt("ne", "ne", current),
        opt("contains", "contains", current),
        opt("regex", "regex", current),
        opt("gt", "gt", current),
        opt("lt", "lt", current),
        opt("in_cidr", "in_cidr", current),
        opt("exists", "exists", current),
    )
}

/// `args_match` clauses (ANDed) as small rows: path, op, value, shell normalization.
#[component]
fn ArgsClauses(draft: RulesDraft, index: usize, errors: Signal<Vec<FieldMessage>>, disabled: bool) -> impl IntoView {
    let count = Memo::new(move |_| draft.get(index, "/args_match").as_array().map_or(0, Vec::len));
    let add = move |_| {
        let mut clauses = draft.get_untracked(index, "/args_match").as_array().cloned().unwrap_or_default();
        clauses.push(json!({ "path": "$", "op": "contains", "value": "" }));
        draft.set(index, "/args_match", Some(Value::Array(clauses)));
    };
    let rows = move || (0..count.get()).map(|clause| view! { <ClauseRow draft index clause errors disabled /> }).collect_view();
    view! {
        <div class="space-y-1">
            <span class=SMALL_LABEL>"Argument clauses (all must hold; none = always)"</span>
            <FieldErrors errors path=format!("rules[{index}].args_match") exact=true />
            {rows}
            {(!disabled).then(|| view! { <button type="button" data-action="add-clause" class=SMALL_BTN on:click=add>"Add clause"</button> })}
        </div>
    }
}

#[component]
fn ClauseRow(draft: RulesDraft, index: usize, clause: usize, errors: Signal<Vec<FieldMessage>>, disabled: bool) -> impl IntoView {
    let base = format!("/args_match/{clause}");
    let bind = |field: &str| Bind::new(draft, index, &format!("{base}/{field}"), errors, disabled);
    let op_bind = bind("op");
    let op_pointer = format!("{base}/op");
    let value_pointer = format!("{base}/value");
    let normalize_pointer = format!("{base}/normalize");
    let shell = Memo::new({
        let pointer = normalize_pointer.clone();
        move |_| draft.get(index, &pointer).as_str() == Some("shell")
    });
    let change_op = move |ev| {
        let op = event_target_value(&ev);
        // `exists` takes no value, and `normalize` is only valid on contains / regex (SPEC §2.6).
        if op == "exists" {
            draft.set(index, &value_pointer, None);
        }
        if op != "contains" && op != "regex" {
            draft.set(index, &normalize_pointer, None);
        }
        draft.set(index, &op_pointer, Some(Value::String(op)));
    };
    let toggle_shell = {
        let pointer = format!("{base}/normalize");
        move |ev| draft.set(index, &pointer, event_target_checked(&ev).then(|| Value::String("shell".to_owned())))
    };
    let remove_pointer = base.clone();
    view! {
        <div class="grid items-end gap-2 md:grid-cols-12" data-clause-index=clause>
            <div class="md:col-span-3"><TextField bind=bind("path") label="Path" placeholder="$.command" field="clause-path" /></div>
            <label class="block md:col-span-2">
                <span class=SMALL_LABEL>"Op"</span>
                <select data-field="clause-op" class=SMALL_INPUT disabled=disabled prop:value=live_text(&op_bind) on:change=change_op>
                    {op_options(&initial_text(&op_bind))}
                </select>
                <FieldErrors errors path=format!("rules[{index}].args_match[{clause}].op") />
            </label>
            <div class="md:col-span-4">
                <TextField bind=bind("value") label="Value (JSON or text)" parse_as=Parse::JsonOrText placeholder="rm\\s+-rf" field="clause-value" />
            </div>
            <label class="flex items-center gap-1 pb-1 text-xs md:col-span-2">
                <input type="checkbox" data-field="clause-normalize" disabled=disabled checked=shell.get_untracked() prop:checked=move || shell.get() on:change=toggle_shell />
                "shell-normalize"
            </label>
            {(!disabled).then(|| view! {
                <button type="button" data-action="remove-clause" class=SMALL_BTN on:click=move |_| draft.set(index, &remove_pointer, None)>"Remove"</button>
            })}
            <div class="md:col-span-12"><FieldErrors errors path=format!("rules[{index}].args_match[{clause}]") exact=true /></div>
        </div>
    }
}

/// `sanitize`: all presets (the default) or a chosen subset, plus custom `{label, regex}` patterns.
#[component]
fn SanitizeForm(draft: RulesDraft, index: usize, errors: Signal<Vec<FieldMessage>>, disabled: bool) -> impl IntoView {
    let all = Memo::new(move |_| draft.get(index, "/sanitize/presets").is_null());
    let toggle_all = move |ev| {
        let on = event_target_checked(&ev);
        draft.set(index, "/sanitize/presets", (!on).then(|| json!(SANITIZE_PRESETS)));
    };
    let presets = move || {
        (!all.get()).then(|| {
            SANITIZE_PRESETS
                .iter()
                .map(|preset| view! { <PresetBox draft index preset disabled /> })
                .collect_view()
        })
    };
    let custom_count = Memo::new(move |_| draft.get(index, "/sanitize/custom").as_array().map_or(0, Vec::len));
    let add_custom = move |_| {
        let mut custom = draft.get_untracked(index, "/sanitize/custom").as_array().cloned().unwrap_or_default();
        custom.push(json!({ "label": "", "regex": "" }));
        draft.set(index, "/sanitize/custom", Some(Value::Array(custom)));
    };
    let custom_rows = move || {
        (0..custom_count.get())
            .map(|row| {
                let bind = |field: &str| Bind::new(draft, index, &format!("/sanitize/custom/{row}/{field}"), errors, disabled);
                view! {
                    <div class="grid items-end gap-2 md:grid-cols-5" data-sanitize-custom=row>
                        <div class="md:col-span-2"><TextField bind=bind("label") label="Label" field="sanitize-label" /></div>
                        <div class="md:col-span-2"><TextField bind=bind("regex") label="Regex" field="sanitize-regex" /></div>
                        {(!disabled).then(|| view! {
                            <button type="button" class=SMALL_BTN data-action="remove-sanitize-custom"
                                on:click=move |_| draft.set(index, &format!("/sanitize/custom/{row}"), None)>"Remove"</button>
                        })}
                    </div>
                }
            })
            .collect_view()
    };
    view! {
        <fieldset class="space-y-2 rounded-md bg-slate-50 p-2 dark:bg-slate-800/50">
            <legend class=SMALL_LABEL>"Sanitize"</legend>
            <label class="flex items-center gap-2 text-sm">
                <input type="checkbox" data-field="sanitize-all" disabled=disabled checked=all.get_untracked() prop:checked=move || all.get() on:change=toggle_all />
                "All presets"
            </label>
            <div class="flex flex-wrap gap-x-4 gap-y-1">{presets}</div>
            <FieldErrors errors path=format!("rules[{index}].sanitize") />
            {custom_rows}
            {(!disabled).then(|| view! { <button type="button" data-action="add-sanitize-custom" class=SMALL_BTN on:click=add_custom>"Add custom pattern"</button> })}
        </fieldset>
    }
}

#[component]
fn PresetBox(draft: RulesDraft, index: usize, preset: &'static str, disabled: bool) -> impl IntoView {
    let on = Memo::new(move |_| draft.get(index, "/sanitize/presets").as_array().is_some_and(|list| list.iter().any(|p| p.as_str() == Some(preset))));
    let toggle = move |ev| {
        let checked = event_target_checked(&ev);
        let mut list = draft.get_untracked(index, "/sanitize/presets").as_array().cloned().unwrap_or_default();
        list.retain(|p| p.as_str() != Some(preset));
        if checked {
            list.push(Value::String(preset.to_owned()));
        }
        // Keep the engine's preset order, so the JSON reads like the SPEC's list.
        list.sort_by_key(|p| SANITIZE_PRESETS.iter().position(|known| Some(*known) == p.as_str()).unwrap_or(usize::MAX));
        draft.set(index, "/sanitize/presets", Some(Value::Array(list)));
    };
    view! {
        <label class="flex items-center gap-1 text-xs">
            <input type="checkbox" data-preset=preset disabled=disabled checked=on.get_untracked() prop:checked=move || on.get() on:change=toggle />
            <code>{preset}</code>
        </label>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renumbering_follows_the_shown_order() {
        let mut rules = vec![json!({"priority": 500, "label": "b"}), json!({"priority": 5, "label": "a"}), json!({"label": "c"})];
        renumber(&mut rules);
        let priorities: Vec<i64> = rules.iter().map(priority_of).collect();
        assert_eq!(priorities, [10, 20, 30]);
    }

    #[test]
    fn sorting_is_stable_and_defaults_missing_priorities_to_100() {
        let mut rules = vec![json!({"priority": 200, "label": "x"}), json!({"label": "default"}), json!({"priority": 100, "label": "y"}), json!({"priority": 1})];
        sort_by_priority(&mut rules);
        let labels: Vec<String> = rules.iter().map(|r| value_text(&r["label"])).collect();
        assert_eq!(labels, ["", "default", "y", "x"]);
    }

    #[test]
    fn server_html_lists_rules_in_order_with_ordering_buttons() {
        let html = Owner::new().with(|| {
            let draft = RulesDraft::new(
                r#"[{"priority":10,"label":"first","stage":"response","tool_name_glob":"shell.*","verdict":"deny",
                     "args_match":[{"path":"$.command","op":"regex","value":"rm","normalize":"shell"}]},
                    {"priority":20,"label":"second","stage":"egress","verdict":"allow","egress":{"allow":["api.example.com"],"deny":[]}}]"#,
            );
            view! { <PolicyRules draft errors=Signal::derive(Vec::new) can_edit=true /> }.to_html()
        });
        let first = html.find(r#"data-rule-index="0""#).expect("first row");
        let second = html.find(r#"data-rule-index="1""#).expect("second row");
        assert!(first < second);
        assert!(html.contains(r#"data-clause-index="0""#), "the response rule shows its clause");
        assert!(html.contains("api.example.com"), "the egress rule shows its allow list");
        assert_eq!(html.matches(r#"data-action="move-up""#).count(), 2);
        assert!(html.contains(r#"<option value="deny" selected"#));
    }
}
