//! Form controls bound to one field of a `RulesDraft` rule (by JSON pointer), shared by the guardrail
//! and policy rule forms.
//!
//! The controls carry no `name`, so the save form never posts them: they only edit the draft, which
//! rewrites the posted JSON textarea. Each renders its current value as a plain HTML attribute too
//! (`value`, `checked`, `selected`), so the server-rendered page shows the rules before hydration,
//! and sets the live value with `prop:` afterwards.

use leptos::prelude::*;
use serde_json::Value;

use crate::components::rules_draft::{integer, lines_value, non_blank, value_lines, value_text, FieldErrors, RulesDraft};
use crate::components::ui::INPUT;
use crate::error::FieldMessage;

pub const SMALL_LABEL: &str = "block text-xs font-medium text-slate-600 dark:text-slate-400 mb-1";
pub const SMALL_INPUT: &str = "block w-full rounded-md border border-slate-300 bg-white px-2 py-1 text-sm dark:border-slate-700 dark:bg-slate-900";

/// Where a control writes, and where the server's errors for it are reported.
#[derive(Clone)]
pub struct Bind {
    pub draft: RulesDraft,
    pub index: usize,
    pub pointer: String,
    /// The server's field path, e.g. `rules[2].config.limit`.
    pub error_path: String,
    pub errors: Signal<Vec<FieldMessage>>,
    pub disabled: bool,
}

impl Bind {
    /// The binding for `pointer` of rule `index`, with the error path derived from the pointer.
    pub fn new(draft: RulesDraft, index: usize, pointer: &str, errors: Signal<Vec<FieldMessage>>, disabled: bool) -> Bind {
        let error_path = format!("rules[{index}]{}", pointer_to_path(pointer));
        Bind { draft, index, pointer: pointer.to_owned(), error_path, errors, disabled }
    }

    fn current(&self) -> Value {
        self.draft.get_untracked(self.index, &self.pointer)
    }

    fn live(&self) -> impl Fn() -> Value + Send + Sync + 'static {
        let Bind { draft, index, pointer, .. } = self.clone();
        move || draft.get(index, &pointer)
    }

    fn setter(&self) -> impl Fn(Option<Value>) + Send + Sync + 'static {
        let Bind { draft, index, pointer, .. } = self.clone();
        move |value| draft.set(index, &pointer, value)
    }

    fn error_list(&self) -> impl IntoView {
        view! { <FieldErrors errors=self.errors path=self.error_path.clone() /> }
    }
}

/// `/config/entities/0` → `.config.entities[0]`, the server's field-path spelling.
fn pointer_to_path(pointer: &str) -> String {
    pointer
        .split('/')
        .skip(1)
        .map(|key| if key.parse::<usize>().is_ok() { format!("[{key}]") } else { format!(".{key}") })
        .collect()
}

/// How a text input's content becomes JSON.
#[derive(Clone, Copy, PartialEq)]
pub enum Parse {
    /// A string; blank removes the key.
    Text,
    /// An integer; blank or invalid removes the key.
    Integer,
    /// A number (e.g. a score); blank or invalid removes the key.
    Number,
    /// JSON when it parses (`42`, `["a"]`, `true`), else the raw string.
    JsonOrText,
}

fn parse(kind: Parse, text: String) -> Option<Value> {
    match kind {
        Parse::Text => non_blank(text),
        Parse::Integer => integer(&text),
        Parse::Number => text.trim().parse::<f64>().ok().and_then(serde_json::Number::from_f64).map(Value::Number),
        Parse::JsonOrText if text.trim().is_empty() => None,
        Parse::JsonOrText => Some(serde_json::from_str(&text).unwrap_or(Value::String(text))),
    }
}

/// A labelled single-line input.
#[component]
pub fn TextField(
    bind: Bind,
    label: &'static str,
    #[prop(default = Parse::Text)] parse_as: Parse,
    #[prop(optional)] placeholder: &'static str,
    #[prop(default = "text")] kind: &'static str,
    #[prop(optional)] field: &'static str,
) -> impl IntoView {
    let initial = value_text(&bind.current());
    let live = bind.live();
    let set = bind.setter();
    // Write-only values (secrets) are never echoed back into the page.
    let echo = kind != "password";
    // What was last typed, shown as long as it still means the stored value: `0.` or `1e` must not be
    // replaced by the (absent) number they parse to while the user is still typing.
    let typed = StoredValue::new(initial.clone());
    let shown = move || {
        let value = live();
        let text = typed.get_value();
        if !echo {
            String::new()
        } else if parse(parse_as, text.clone()).unwrap_or(Value::Null) == value {
            text
        } else {
            value_text(&value)
        }
    };
    view! {
        <label class="block">
            <span class=SMALL_LABEL>{label}</span>
            <input
                type=kind
                data-field=field
                class=SMALL_INPUT
                placeholder=placeholder
                disabled=bind.disabled
                step=(kind == "number").then_some("any")
                value=echo.then(|| initial.clone())
                prop:value=shown
                on:input=move |ev| {
                    let text = event_target_value(&ev);
                    typed.set_value(text.clone());
                    if echo || !text.is_empty() {
                        set(parse(parse_as, text));
                    }
                }
            />
            {bind.error_list()}
        </label>
    }
}

/// A labelled textarea: one string per line (committed on change, so a fresh empty line survives typing),
/// or free text.
#[component]
pub fn LinesField(
    bind: Bind,
    label: &'static str,
    #[prop(optional)] placeholder: &'static str,
    #[prop(optional)] free_text: bool,
    #[prop(optional)] field: &'static str,
) -> impl IntoView {
    let shown = move |value: &Value| if free_text { value_text(value) } else { value_lines(value) };
    let initial = shown(&bind.current());
    let live = bind.live();
    let set = bind.setter();
    view! {
        <label class="block">
            <span class=SMALL_LABEL>{label}</span>
            <textarea
                rows="3"
                data-field=field
                class=format!("{INPUT} text-xs")
                placeholder=placeholder
                disabled=bind.disabled
                prop:value=move || shown(&live())
                on:change=move |ev| {
                    let text = event_target_value(&ev);
                    set(if free_text { Some(Value::String(text)) } else { Some(lines_value(&text)) });
                }
            >
                {initial}
            </textarea>
            {bind.error_list()}
        </label>
    }
}

/// A checkbox for a boolean field; `default_on` for fields whose absence means `true` (`fail_open`).
#[component]
pub fn CheckField(bind: Bind, label: &'static str, #[prop(optional)] default_on: bool, #[prop(optional)] field: &'static str) -> impl IntoView {
    let is_on = move |value: Value| value.as_bool().unwrap_or(default_on);
    let initial = is_on(bind.current());
    let live = bind.live();
    let set = bind.setter();
    view! {
        <label class="flex items-center gap-2 text-sm">
            <input
                type="checkbox"
                data-field=field
                disabled=bind.disabled
                checked=initial
                prop:checked=move || is_on(live())
                on:change=move |ev| set(Some(Value::Bool(event_target_checked(&ev))))
            />
            {label}
            {bind.error_list()}
        </label>
    }
}

/// One `<option>`; `selected` carries the value into server-rendered HTML and into rows created
/// after hydration (a `prop:value` set before the options exist would not stick).
pub fn opt(value: &'static str, label: &'static str, current: &str) -> impl IntoView {
    view! { <option value=value selected=current == value>{label}</option> }
}

/// The live string value of a binding, for `prop:value` on a `<select>` with static options.
pub fn live_text(bind: &Bind) -> impl Fn() -> String + Send + Sync + 'static {
    let live = bind.live();
    move || value_text(&live())
}

/// The initial string value of a binding, for `opt`'s `current`.
pub fn initial_text(bind: &Bind) -> String {
    value_text(&bind.current())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pointers_become_server_field_paths() {
        assert_eq!(pointer_to_path("/config/entities"), ".config.entities");
        assert_eq!(pointer_to_path("/args_match/2/value"), ".args_match[2].value");
    }

    #[test]
    fn inputs_parse_to_json_by_kind() {
        assert_eq!(parse(Parse::Integer, "50000".into()), Some(Value::from(50000)));
        assert_eq!(parse(Parse::Integer, "".into()), None);
        assert_eq!(parse(Parse::JsonOrText, "42".into()), Some(Value::from(42)));
        assert_eq!(parse(Parse::JsonOrText, "rm -rf".into()), Some(Value::String("rm -rf".into())));
        assert_eq!(parse(Parse::Text, "  ".into()), None);
    }
}
