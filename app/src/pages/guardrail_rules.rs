//! The guardrail editor's rule cards (SPEC §10 "Guardrail editor", rule shapes of §2.5 and §4.2–4.5):
//! one card per rule with the common fields (label, type, stage, action, note, spotlight_whole) and a
//! form per rule type; Add (type picker), Remove, Move up / down.
//!
//! Everything edits the `RulesDraft`, which rewrites the posted `#rules-json`; the server stays the
//! judge of validity (the action × type table, mask tags, regexes) and its field-path errors are shown
//! on the card and field they name.

use leptos::prelude::*;
use serde_json::{json, Value};

use crate::components::rule_fields::{initial_text, live_text, opt, Bind, CheckField, LinesField, Parse, TextField, SMALL_INPUT, SMALL_LABEL};
use crate::components::rules_draft::{value_text, FieldErrors, RulesDraft};
use crate::components::ui::BTN_SECONDARY;
use crate::error::FieldMessage;
use crate::types::{CatalogItemView, GuardrailMetaView};

const SMALL_BTN: &str = "rounded border border-slate-300 px-2 py-0.5 text-xs hover:bg-slate-100 disabled:opacity-40 dark:border-slate-700 dark:hover:bg-slate-800";

/// A new rule of `kind` with a usable starting config (an unknown kind falls back to `pii`).
pub fn starter_rule(kind: &str) -> Value {
    let (label, stage, action) = match kind {
        "keyword" => ("Keywords", "input", "block"),
        "regex" => ("Pattern", "input", "flag"),
        "max_chars" => ("Length limit", "input", "block"),
        "llm_judge" => ("Judge", "input", "flag"),
        "grounding" => ("Grounding", "output", "flag"),
        "external" => ("External detector", "input", "flag"),
        _ => ("PII", "both", "mask"),
    };
    let kind = if label == "PII" { "pii" } else { kind };
    json!({ "label": label, "type": kind, "stage": stage, "action": action, "config": starter_config(kind) })
}

fn starter_config(kind: &str) -> Value {
    match kind {
        "keyword" => json!({ "terms": [] }),
        "regex" => json!({ "pattern": "" }),
        "max_chars" => json!({ "limit": 50000 }),
        "llm_judge" => json!({ "rubric": "" }),
        "grounding" => json!({ "min_score": 0.5 }),
        "external" => json!({ "url": "" }),
        _ => json!({ "entities": [] }),
    }
}

/// All rule cards plus the Add-rule bar.
#[component]
pub fn GuardrailRules(draft: RulesDraft, meta: GuardrailMetaView, errors: Signal<Vec<FieldMessage>>, can_edit: bool) -> impl IntoView {
    let new_type = RwSignal::new("pii".to_owned());
    let cards = move || {
        let count = draft.count();
        (0..count).map(|index| view! { <RuleCard draft index count meta=meta.clone() errors can_edit /> }).collect_view()
    };
    view! {
        <div id="rule-cards" class="space-y-4">
            {cards}
            {move || (draft.count() == 0).then(|| view! { <p class="text-sm text-slate-500">"No rules yet: this guardrail lets everything through."</p> })}
        </div>
        {can_edit.then(|| view! {
            <div class="flex items-end gap-2">
                <label>
                    <span class=SMALL_LABEL>"New rule type"</span>
                    <select id="new-rule-type" class=SMALL_INPUT prop:value=move || new_type.get() on:change=move |ev| new_type.set(event_target_value(&ev))>
                        {type_options("pii")}
                    </select>
                </label>
                <button id="add-rule" type="button" class=BTN_SECONDARY on:click=move |_| draft.push(starter_rule(&new_type.get_untracked()))>
                    "Add rule"
                </button>
            </div>
        })}
    }
}

fn type_options(current: &str) -> impl IntoView {
    (
        opt("pii", "pii (personal data, secrets)", current),
        opt("keyword", "keyword", current),
        opt("regex", "regex / built-in detector", current),
        opt("max_chars", "max_chars", current),
        opt("llm_judge", "llm_judge", current),
        opt("grounding", "grounding (output)", current),
        opt("external", "external webhook", current),
    )
}

/// One rule: header with ordering buttons, the common fields, then the form of its type.
#[component]
fn RuleCard(draft: RulesDraft, index: usize, count: usize, meta: GuardrailMetaView, errors: Signal<Vec<FieldMessage>>, can_edit: bool) -> impl IntoView {
    let disabled = !can_edit;
    let is_last = index + 1 >= count;
    let bind = move |pointer: &str| Bind::new(draft, index, pointer, errors, disabled);
    // Re-render the type form only when the type changes, never on a keystroke elsewhere.
    let kind = Memo::new(move |_| value_text(&draft.get(index, "/type")));
    let title = move || {
        let label = value_text(&draft.get(index, "/label"));
        format!("#{} · {}", index + 1, if label.is_empty() { kind.get() } else { label })
    };
    let type_bind = bind("/type");
    let stage_bind = bind("/stage");
    let action_bind = bind("/action");
    let change_type = move |ev| {
        let kind = event_target_value(&ev);
        // The config first, so the new type's form renders with a config of its own shape.
        draft.set(index, "/config", Some(starter_config(&kind)));
        draft.set(index, "/type", Some(Value::String(kind)));
    };
    let type_form = {
        let meta = meta.clone();
        move || match kind.get().as_str() {
            "pii" => view! { <PiiForm draft index meta=meta.clone() errors disabled /> }.into_any(),
            "keyword" => view! {
                <LinesField bind=bind("/config/terms") label="Terms (one per line; case-insensitive substrings)" field="terms" />
                <TextField bind=bind("/config/mask_tag") label="Mask tag" placeholder="REDACTED" field="mask_tag" />
            }
            .into_any(),
            "regex" => view! { <RegexForm draft index detectors=meta.detectors.clone() errors disabled /> }.into_any(),
            "max_chars" => view! { <TextField bind=bind("/config/limit") label="Limit (characters)" parse_as=Parse::Integer kind="number" field="limit" /> }.into_any(),
            "llm_judge" => view! {
                <TextField bind=bind("/config/model") label="Judge model (blank: workspace judge model)" placeholder="openai/gpt-4o-mini" field="model" />
                <LinesField bind=bind("/config/rubric") label="Rubric" free_text=true field="rubric" />
                <TextField bind=bind("/config/judge_timeout_ms") label="Timeout (ms, 0 = 5000)" parse_as=Parse::Integer kind="number" field="judge_timeout_ms" />
                <CheckField bind=bind("/config/judge_fail_open") label="Fail open (let traffic through if the judge errors)" default_on=true field="judge_fail_open" />
            }
            .into_any(),
            "grounding" => view! {
                <TextField bind=bind("/config/model") label="Model (blank: workspace judge model)" field="model" />
                <TextField bind=bind("/config/min_score") label="Minimum score (0–1)" parse_as=Parse::Number kind="number" field="min_score" />
                <TextField bind=bind("/config/grounding_timeout_ms") label="Timeout (ms)" parse_as=Parse::Integer kind="number" field="grounding_timeout_ms" />
                <CheckField bind=bind("/config/fail_open") label="Fail open" default_on=true field="fail_open" />
            }
            .into_any(),
            "external" => view! {
                <TextField bind=bind("/config/url") label="Webhook URL" placeholder="https://detector.internal/check" field="url" />
                <TextField bind=bind("/config/secret") label="Secret (write-only; blank keeps the current one)" kind="password" field="secret" />
                <TextField bind=bind("/config/timeout_ms") label="Timeout (ms)" parse_as=Parse::Integer kind="number" field="timeout_ms" />
                <CheckField bind=bind("/config/fail_open") label="Fail open" default_on=true field="fail_open" />
                <TextField bind=bind("/config/mask_tag") label="Mask tag" placeholder="REDACTED" field="mask_tag" />
            }
            .into_any(),
            _ => view! { <p class="text-xs text-slate-500">"Unknown type: edit this rule in Advanced (JSON)."</p> }.into_any(),
        }
    };
    view! {
        <div class="rounded-md border border-slate-200 p-4 dark:border-slate-700" data-rule-index=index data-rule-type=move || kind.get()>
            <div class="mb-3 flex items-center justify-between gap-2">
                <h3 class="text-sm font-semibold">{title}</h3>
                {can_edit.then(|| view! {
                    <div class="flex gap-1">
                        <button type="button" data-action="move-up" class=SMALL_BTN disabled=index == 0 on:click=move |_| draft.move_rule(index, index.saturating_sub(1), |_| {})>"Move up"</button>
                        <button type="button" data-action="move-down" class=SMALL_BTN disabled=is_last on:click=move |_| draft.move_rule(index, index + 1, |_| {})>"Move down"</button>
                        <button type="button" data-action="remove-rule" class=format!("{SMALL_BTN} text-red-700") on:click=move |_| draft.remove(index)>"Remove"</button>
                    </div>
                })}
            </div>
            <FieldErrors errors path=format!("rules[{index}]") exact=true />
            <FieldErrors errors path=format!("rules[{index}].config") exact=true />
            <div class="grid gap-3 md:grid-cols-4">
                <TextField bind=bind("/label") label="Label" placeholder="shown in Matches" field="label" />
                <label class="block">
                    <span class=SMALL_LABEL>"Type"</span>
                    <select data-field="type" class=SMALL_INPUT disabled=disabled prop:value=live_text(&type_bind) on:change=change_type>
                        {type_options(&initial_text(&type_bind))}
                    </select>
                    <FieldErrors errors path=format!("rules[{index}].type") />
                </label>
                <label class="block">
                    <span class=SMALL_LABEL>"Stage"</span>
                    <select data-field="stage" class=SMALL_INPUT disabled=disabled prop:value=live_text(&stage_bind) on:change=move |ev| draft.set(index, "/stage", Some(Value::String(event_target_value(&ev))))>
                        {stage_options(&initial_text(&stage_bind))}
                    </select>
                    <FieldErrors errors path=format!("rules[{index}].stage") />
                </label>
                <label class="block">
                    <span class=SMALL_LABEL>"Action"</span>
                    <select data-field="action" class=SMALL_INPUT disabled=disabled prop:value=live_text(&action_bind) on:change=move |ev| draft.set(index, "/action", Some(Value::String(event_target_value(&ev))))>
                        {action_options(&initial_text(&action_bind), "block", "mask", "flag", "annotate", "spotlight")}
                    </select>
                    <FieldErrors errors path=format!("rules[{index}].action") />
                </label>
            </div>
            <div class="mt-3 grid gap-3 md:grid-cols-2">
                <TextField bind=bind("/note") label="Note (annotate; blank: the default note)" field="note" />
                <div class="pt-5"><CheckField bind=bind("/spotlight_whole") label="Spotlight whole user/tool messages" field="spotlight_whole" /></div>
            </div>
            <div class="mt-3 space-y-3 border-t border-slate-100 pt-3 dark:border-slate-800">{type_form}</div>
        </div>
    }
}

fn stage_options(current: &str) -> impl IntoView {
    (opt("input", "input", current), opt("output", "output", current), opt("both", "both", current))
}

/// The five actions; also the per-entity override picker, whose first option is "" (the rule's action).
fn action_options(current: &str, a: &'static str, b: &'static str, c: &'static str, d: &'static str, e: &'static str) -> impl IntoView {
    (opt(a, a, current), opt(b, b, current), opt(c, c, current), opt(d, d, current), opt(e, e, current))
}

/// `pii`: entity checkboxes by family with per-entity action and tag overrides, then custom entities.
#[component]
fn PiiForm(draft: RulesDraft, index: usize, meta: GuardrailMetaView, errors: Signal<Vec<FieldMessage>>, disabled: bool) -> impl IntoView {
    let family = |name: &'static str, title: &'static str| {
        let rows = meta
            .entities
            .iter()
            .filter(|entity| entity.family == name)
            .map(|entity| view! { <EntityRow draft index entity=entity.clone() errors disabled /> })
            .collect_view();
        view! {
            <fieldset data-family=name>
                <legend class="mb-1 text-xs font-semibold uppercase tracking-wide text-slate-500">{title}</legend>
                <div class="grid gap-1">{rows}</div>
            </fieldset>
        }
    };
    // Names the catalogue does not know (a typo pasted as JSON) stay visible, so they can be unticked.
    let known: Vec<String> = meta.entities.iter().map(|entity| entity.name.clone()).collect();
    let unknown = Memo::new(move |_| {
        let selected = draft.get(index, "/config/entities");
        let names = selected.as_array().into_iter().flatten().filter_map(Value::as_str);
        names.filter(|name| !known.iter().any(|k| k == name)).map(str::to_owned).collect::<Vec<_>>()
    });
    let unknown_rows = move || {
        unknown
            .get()
            .into_iter()
            .map(|name| {
                let entity = CatalogItemView { name, family: "unknown".to_owned(), tag: String::new() };
                view! { <EntityRow draft index entity errors disabled /> }
            })
            .collect_view()
    };
    view! {
        <FieldErrors errors path=format!("rules[{index}].config.entities") />
        <div data-family="unknown" class="grid gap-1">{unknown_rows}</div>
        <FieldErrors errors path=format!("rules[{index}].config.entity_actions") />
        <FieldErrors errors path=format!("rules[{index}].config.mask_tags") />
        <div class="grid gap-4 lg:grid-cols-2">
            {family("personal", "Personal data")}
            {family("secret", "Secrets")}
        </div>
        <CustomEntities draft index errors disabled />
    }
}

/// One built-in entity: selected or not, plus its action and mask-tag overrides once selected.
#[component]
fn EntityRow(draft: RulesDraft, index: usize, entity: CatalogItemView, errors: Signal<Vec<FieldMessage>>, disabled: bool) -> impl IntoView {
    let name = entity.name.clone();
    let selected = {
        let name = name.clone();
        Memo::new(move |_| draft.get(index, "/config/entities").as_array().is_some_and(|list| list.iter().any(|e| e.as_str() == Some(&name))))
    };
    let toggle = {
        let name = name.clone();
        move |ev| {
            let on = event_target_checked(&ev);
            let mut list = draft.get_untracked(index, "/config/entities").as_array().cloned().unwrap_or_default();
            list.retain(|e| e.as_str() != Some(&name));
            if on {
                list.push(Value::String(name.clone()));
            }
            draft.set(index, "/config/entities", Some(Value::Array(list)));
        }
    };
    let action_pointer = format!("/config/entity_actions/{name}");
    let action_bind = Bind::new(draft, index, &action_pointer, errors, disabled);
    let tag_bind = Bind::new(draft, index, &format!("/config/mask_tags/{name}"), errors, disabled);
    let overrides = move || {
        let action_pointer = action_pointer.clone();
        selected.get().then(|| view! {
            <select data-entity-action=entity.name.clone() class="rounded border border-slate-300 px-1 py-0.5 text-xs dark:border-slate-700 dark:bg-slate-900" disabled=disabled
                prop:value=live_text(&action_bind)
                on:change=move |ev| {
                    let action = event_target_value(&ev);
                    draft.set(index, &action_pointer, (!action.is_empty()).then_some(Value::String(action)));
                }>
                <option value="" selected=initial_text(&action_bind).is_empty()>"rule action"</option>
                {action_options(&initial_text(&action_bind), "block", "mask", "flag", "annotate", "spotlight")}
            </select>
            <input type="text" data-entity-tag=entity.name.clone() class="w-36 rounded border border-slate-300 px-1 py-0.5 text-xs dark:border-slate-700 dark:bg-slate-900"
                placeholder=entity.tag.clone() disabled=disabled
                value=initial_text(&tag_bind)
                prop:value=live_text(&tag_bind)
                on:input={
                    let pointer = format!("/config/mask_tags/{}", entity.name);
                    move |ev| {
                        let tag = event_target_value(&ev);
                        draft.set(index, &pointer, (!tag.trim().is_empty()).then_some(Value::String(tag)));
                    }
                } />
        })
    };
    view! {
        <div class="flex flex-wrap items-center gap-2 text-sm">
            <label class="flex min-w-48 items-center gap-2">
                <input type="checkbox" data-entity=name.clone() disabled=disabled checked=selected.get_untracked() prop:checked=move || selected.get() on:change=toggle />
                <code class="text-xs">{name.clone()}</code>
            </label>
            {overrides}
        </div>
    }
}

/// Custom entities of a `pii` rule: name, regex, Luhn check, mask tag; add and remove rows.
#[component]
fn CustomEntities(draft: RulesDraft, index: usize, errors: Signal<Vec<FieldMessage>>, disabled: bool) -> impl IntoView {
    let count = Memo::new(move |_| draft.get(index, "/config/custom_entities").as_array().map_or(0, Vec::len));
    let add = move |_| {
        let mut list = draft.get_untracked(index, "/config/custom_entities").as_array().cloned().unwrap_or_default();
        list.push(json!({ "name": "", "regex": "" }));
        draft.set(index, "/config/custom_entities", Some(Value::Array(list)));
    };
    let rows = move || {
        (0..count.get())
            .map(|row| {
                let bind = |field: &str| Bind::new(draft, index, &format!("/config/custom_entities/{row}/{field}"), errors, disabled);
                view! {
                    <div class="grid items-end gap-2 md:grid-cols-5" data-custom-entity=row>
                        <TextField bind=bind("name") label="Name" placeholder="employee_id" field="custom-name" />
                        <div class="md:col-span-2"><TextField bind=bind("regex") label="Regex" placeholder="\\bEMP\\d{6}\\b" field="custom-regex" /></div>
                        <TextField bind=bind("mask_tag") label="Mask tag" placeholder="uppercased name" field="custom-mask-tag" />
                        <div class="flex items-center gap-2 pb-1">
                            <CheckField bind=bind("luhn") label="Luhn" field="custom-luhn" />
                            {(!disabled).then(|| view! {
                                <button type="button" class=SMALL_BTN data-action="remove-custom-entity"
                                    on:click=move |_| draft.set(index, &format!("/config/custom_entities/{row}"), None)>"Remove"</button>
                            })}
                        </div>
                    </div>
                }
            })
            .collect_view()
    };
    view! {
        <div class="space-y-2">
            <h4 class="text-xs font-semibold uppercase tracking-wide text-slate-500">"Custom entities"</h4>
            <FieldErrors errors path=format!("rules[{index}].config.custom_entities") exact=true />
            {rows}
            {(!disabled).then(|| view! { <button type="button" data-action="add-custom-entity" class=SMALL_BTN on:click=add>"Add custom entity"</button> })}
        </div>
    }
}

/// `regex`: a custom pattern, or a built-in detector (with `allow_hosts` for `url`), and a mask tag.
#[component]
fn RegexForm(draft: RulesDraft, index: usize, detectors: Vec<CatalogItemView>, errors: Signal<Vec<FieldMessage>>, disabled: bool) -> impl IntoView {
    let bind = move |pointer: &str| Bind::new(draft, index, pointer, errors, disabled);
    let mode = Memo::new(move |_| value_text(&draft.get(index, "/config/builtin")));
    let pick = move |builtin: String| {
        if builtin.is_empty() {
            draft.set(index, "/config/builtin", None);
            draft.set(index, "/config/allow_hosts", None);
            draft.set(index, "/config/pattern", Some(Value::String(String::new())));
        } else {
            if builtin != "url" {
                draft.set(index, "/config/allow_hosts", None);
            }
            draft.set(index, "/config/pattern", None);
            draft.set(index, "/config/builtin", Some(Value::String(builtin)));
        }
    };
    let radio = move |value: String, label: String| {
        let checked_now = mode.get_untracked() == value;
        let mine = value.clone();
        view! {
            <label class="flex items-center gap-2 text-sm">
                <input type="radio" data-detector=value.clone() disabled=disabled checked=checked_now
                    prop:checked=move || mode.get() == mine on:change=move |_| pick(value.clone()) />
                {label}
            </label>
        }
    };
    let radios = std::iter::once(radio(String::new(), "Custom pattern".to_owned()))
        .chain(detectors.iter().map(|d| radio(d.name.clone(), format!("{} [{}]", d.name, d.tag))))
        .collect_view();
    let detail = move || match mode.get().as_str() {
        "" => view! { <TextField bind=bind("/config/pattern") label="Pattern (regex crate syntax: no lookaround or backreferences)" placeholder="\\bAKIA[A-Z2-7]{16}\\b" field="pattern" /> }.into_any(),
        "url" => view! { <LinesField bind=bind("/config/allow_hosts") label="Allowed hosts (one per line; *.example.org for subdomains)" field="allow_hosts" /> }.into_any(),
        _ => ().into_any(),
    };
    view! {
        <fieldset class="flex flex-wrap gap-4">
            <legend class=SMALL_LABEL>"Match"</legend>
            {radios}
        </fieldset>
        <FieldErrors errors path=format!("rules[{index}].config.builtin") />
        {detail}
        <div class="max-w-xs"><TextField bind=bind("/config/mask_tag") label="Mask tag" placeholder="REDACTED or the detector's tag" field="mask_tag" /></div>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn meta() -> GuardrailMetaView {
        let item = |name: &str, family: &str, tag: &str| CatalogItemView { name: name.into(), family: family.into(), tag: tag.into() };
        GuardrailMetaView {
            entities: vec![item("email", "personal", "EMAIL"), item("github_token", "secret", "GITHUB_TOKEN")],
            detectors: vec![item("url", "detector", "URL")],
        }
    }

    /// The opening tag of the first element carrying `marker`.
    fn tag_with<'a>(html: &'a str, marker: &str) -> &'a str {
        let at = html.find(marker).unwrap_or_else(|| panic!("{marker} in {html}"));
        let start = html[..at].rfind('<').expect("tag start");
        let end = at + html[at..].find('>').expect("tag end");
        &html[start..=end]
    }

    fn render(rules: &str, can_edit: bool) -> String {
        Owner::new().with(|| {
            let draft = RulesDraft::new(rules);
            view! { <GuardrailRules draft meta=meta() errors=Signal::derive(Vec::new) can_edit /> }.to_html()
        })
    }

    #[test]
    fn starter_rules_carry_a_config_of_their_type() {
        assert_eq!(starter_rule("keyword")["config"], json!({ "terms": [] }));
        assert_eq!(starter_rule("max_chars")["config"]["limit"], json!(50000));
        assert_eq!(starter_rule("grounding")["stage"], json!("output"));
        assert_eq!(starter_rule("nonsense")["type"], json!("pii"));
    }

    #[test]
    fn server_html_shows_each_rule_with_its_selected_entities() {
        let html = render(
            r#"[{"label":"PII","type":"pii","stage":"both","action":"mask","config":{"entities":["email"]}},
                {"type":"max_chars","stage":"input","action":"block","config":{"limit":10}}]"#,
            true,
        );
        assert!(tag_with(&html, r#"data-rule-index="0""#).contains(r#"data-rule-type="pii""#));
        assert!(tag_with(&html, r#"data-rule-index="1""#).contains(r#"data-rule-type="max_chars""#));
        assert!(tag_with(&html, r#"data-entity="email""#).contains("checked"));
        assert!(!tag_with(&html, r#"data-entity="github_token""#).contains("checked"));
        assert!(tag_with(&html, r#"data-field="limit""#).contains(r#"value="10""#));
        assert!(tag_with(&html, r#"<option value="max_chars" selected"#).contains("selected"));
        assert!(html.contains(r#"id="add-rule""#));
    }

    #[test]
    fn unknown_entity_names_are_shown_ticked_so_they_can_be_removed() {
        let html = render(r#"[{"type":"pii","stage":"both","action":"mask","config":{"entities":["emails"]}}]"#, true);
        assert!(tag_with(&html, r#"data-entity="emails""#).contains("checked"));
        assert!(!tag_with(&html, r#"data-entity="email""#).contains("checked"));
    }

    #[test]
    fn members_get_disabled_fields_and_no_ordering_buttons() {
        let html = render(r#"[{"type":"keyword","stage":"input","action":"block","config":{"terms":["a"]}}]"#, false);
        assert!(tag_with(&html, r#"data-field="label""#).contains("disabled"));
        assert!(!html.contains("move-up"));
        assert!(!html.contains(r#"id="add-rule""#));
    }
}
