//! The client-side draft behind the guardrail and policy editors' rule forms: the rules array as JSON
//! values plus the text of the "Advanced (JSON)" textarea, kept in step both ways.
//!
//! Invariant: the textarea (`name="rules"`) is the only thing the save form posts, so the existing
//! save server function and its validation stay the single save path. Every form edit rewrites the
//! textarea from the draft; typing in the textarea replaces the draft when the text parses as an
//! array (and leaves the draft alone, with a note, while it does not). Rules are kept as
//! `serde_json::Value` so fields a form does not show (`id`, write-only secrets, future fields)
//! survive a round trip untouched.

use leptos::prelude::*;
use serde_json::{Map, Value};

use crate::error::{AppError, FieldMessage};

/// The draft of one editor's rules; `Copy`, so every row and button can hold it.
#[derive(Clone, Copy)]
pub struct RulesDraft {
    rules: RwSignal<Vec<Value>>,
    text: RwSignal<String>,
    /// Bumped when rules are added, removed, moved or replaced wholesale: the list re-renders on
    /// this only, so typing in a field never rebuilds (and unfocuses) the inputs.
    shape: RwSignal<u64>,
    json_error: RwSignal<Option<String>>,
}

impl RulesDraft {
    /// A draft from the rules JSON the server rendered (or a starter set for a new item).
    pub fn new(json: &str) -> RulesDraft {
        let (rules, json_error) = match parse_rules(json) {
            Ok(rules) => (rules, None),
            Err(error) => (Vec::new(), Some(error)),
        };
        RulesDraft {
            rules: RwSignal::new(rules),
            text: RwSignal::new(json.to_owned()),
            shape: RwSignal::new(0),
            json_error: RwSignal::new(json_error),
        }
    }

    /// The textarea's text (reactive).
    pub fn text(&self) -> String {
        self.text.get()
    }

    /// Why the textarea's text is not applied to the form, if it is not (reactive).
    pub fn json_error(&self) -> Option<String> {
        self.json_error.get()
    }

    /// The number of rules, tracking only structural changes (see `shape`).
    pub fn count(&self) -> usize {
        self.shape.track();
        self.rules.with_untracked(Vec::len)
    }

    /// The number of rules, without tracking (for event handlers).
    pub fn len_untracked(&self) -> usize {
        self.rules.with_untracked(Vec::len)
    }

    /// The value at `pointer` (RFC 6901, e.g. `/config/limit`) of rule `index`; `Null` when absent.
    pub fn get(&self, index: usize, pointer: &str) -> Value {
        self.rules.with(|rules| rules.get(index).and_then(|rule| rule.pointer(pointer)).cloned().unwrap_or(Value::Null))
    }

    /// The same without tracking, for the initial HTML attributes of server-rendered inputs.
    pub fn get_untracked(&self, index: usize, pointer: &str) -> Value {
        self.rules.with_untracked(|rules| rules.get(index).and_then(|rule| rule.pointer(pointer)).cloned().unwrap_or(Value::Null))
    }

    /// Sets (or with `None` removes) the value at `pointer` of rule `index`, creating objects on the way.
    pub fn set(&self, index: usize, pointer: &str, value: Option<Value>) {
        self.edit(|rules| {
            if let Some(rule) = rules.get_mut(index) {
                set_pointer(rule, pointer, value);
            }
        });
    }

    /// Appends a rule.
    pub fn push(&self, rule: Value) {
        self.edit(|rules| rules.push(rule));
        self.shape.update(|n| *n += 1);
    }

    /// Removes rule `index`.
    pub fn remove(&self, index: usize) {
        self.edit(|rules| {
            if index < rules.len() {
                rules.remove(index);
            }
        });
        self.shape.update(|n| *n += 1);
    }

    /// Moves rule `from` to position `to` (both clamped); `after` then fixes up anything that
    /// depends on order (the policy editor renumbers priorities).
    pub fn move_rule(&self, from: usize, to: usize, after: impl FnOnce(&mut [Value])) {
        self.edit(|rules| {
            if from >= rules.len() || from == to {
                return;
            }
            let rule = rules.remove(from);
            rules.insert(to.min(rules.len()), rule);
            after(rules.as_mut_slice());
        });
        self.shape.update(|n| *n += 1);
    }

    /// Applies `change` to the whole array and re-renders the list (e.g. a sort).
    pub fn reshape(&self, change: impl FnOnce(&mut [Value])) {
        self.edit(|rules| change(rules.as_mut_slice()));
        self.shape.update(|n| *n += 1);
    }

    /// The textarea was edited: keep the text as typed, and replace the form state when it parses.
    pub fn replace_text(&self, text: String) {
        match parse_rules(&text) {
            Ok(rules) => {
                self.rules.set(rules);
                self.json_error.set(None);
                self.shape.update(|n| *n += 1);
            }
            Err(error) => self.json_error.set(Some(error)),
        }
        self.text.set(text);
    }

    /// Changes the rules, then rewrites the textarea so the form and the posted JSON agree.
    fn edit(&self, change: impl FnOnce(&mut Vec<Value>)) {
        self.rules.update(change);
        let text = self.rules.with_untracked(|rules| serde_json::to_string_pretty(rules).unwrap_or_else(|_| "[]".to_owned()));
        self.text.set(text);
        self.json_error.set(None);
    }
}

fn parse_rules(json: &str) -> Result<Vec<Value>, String> {
    match serde_json::from_str::<Value>(json) {
        Ok(Value::Array(rules)) => Ok(rules),
        Ok(_) => Err("the rules must be a JSON array".to_owned()),
        Err(error) => Err(format!("not valid JSON yet: {error}")),
    }
}

/// Sets or removes `pointer` in `root`, turning missing or non-object steps into objects. Array
/// steps must exist already (the forms only address rows they rendered).
fn set_pointer(root: &mut Value, pointer: &str, value: Option<Value>) {
    let keys: Vec<&str> = pointer.split('/').skip(1).collect();
    let Some((last, parents)) = keys.split_last() else { return };
    let mut node = root;
    for key in parents {
        node = match node {
            Value::Array(items) => match key.parse::<usize>().ok().and_then(|i| items.get_mut(i)) {
                Some(item) => item,
                None => return,
            },
            other => {
                if !other.is_object() {
                    *other = Value::Object(Map::new());
                }
                let Value::Object(map) = other else { return };
                map.entry(key.to_string()).or_insert(Value::Null)
            }
        };
    }
    match (node, value) {
        (Value::Array(items), Some(value)) => {
            if let Some(item) = last.parse::<usize>().ok().and_then(|i| items.get_mut(i)) {
                *item = value;
            }
        }
        (Value::Array(items), None) => {
            if let Some(i) = last.parse::<usize>().ok().filter(|i| *i < items.len()) {
                items.remove(i);
            }
        }
        (Value::Object(map), Some(value)) => {
            map.insert(last.to_string(), value);
        }
        (Value::Object(map), None) => {
            map.remove(*last);
        }
        (other, Some(value)) => {
            let mut map = Map::new();
            map.insert(last.to_string(), value);
            *other = Value::Object(map);
        }
        (_, None) => {}
    }
}

/// A JSON value as the text of an input: strings bare, `null` empty, anything else as JSON.
pub fn value_text(value: &Value) -> String {
    match value {
        Value::String(text) => text.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

/// One string per line of a textarea, trimmed, blank lines dropped.
pub fn lines_value(text: &str) -> Value {
    Value::Array(text.lines().map(str::trim).filter(|line| !line.is_empty()).map(|line| Value::String(line.to_owned())).collect())
}

/// A string array as textarea lines.
pub fn value_lines(value: &Value) -> String {
    value.as_array().map(|items| items.iter().map(value_text).collect::<Vec<_>>().join("\n")).unwrap_or_default()
}

/// `Some(string)` for a non-blank input, `None` (remove the key) for a blank one.
pub fn non_blank(text: String) -> Option<Value> {
    (!text.trim().is_empty()).then_some(Value::String(text))
}

/// `Some(number)` for an input that parses as an integer, `None` (remove the key) otherwise.
pub fn integer(text: &str) -> Option<Value> {
    text.trim().parse::<i64>().ok().map(Value::from)
}

/// The validation errors of the latest save, as a signal the rule rows read their own paths from.
pub fn save_field_errors<T, V>(result: V) -> Signal<Vec<FieldMessage>>
where
    V: Get<Value = Option<Result<T, AppError>>> + Send + Sync + 'static,
    T: Send + Sync + 'static,
{
    Signal::derive(move || match result.get() {
        Some(Err(AppError::Invalid { fields, .. })) => fields,
        _ => Vec::new(),
    })
}

/// A counter that moves only when a save succeeds. Editors refetch on it instead of on the action's
/// version, which also moves on a rejected save and would rebuild the form, dropping the unsaved draft
/// that the validation errors are about.
pub fn successful_saves<T, V>(version: RwSignal<usize>, value: V) -> Memo<usize>
where
    V: Get<Value = Option<Result<T, AppError>>> + Send + Sync + 'static,
    T: Send + Sync + 'static,
{
    Memo::new(move |previous: Option<&usize>| {
        let version = version.get();
        let succeeded = matches!(value.get(), Some(Ok(_)));
        if succeeded { version } else { previous.copied().unwrap_or(0) }
    })
}

/// The server's messages for `path` and everything under it (`rules[2].config` covers
/// `rules[2].config.entities[0]`), shown next to the field they name.
#[component]
pub fn FieldErrors(
    errors: Signal<Vec<FieldMessage>>,
    path: String,
    /// Only `path` itself, not what lies under it (a row's catch-all for whole-rule errors).
    #[prop(optional)]
    exact: bool,
) -> impl IntoView {
    let mine = move || {
        errors.with(|errors| {
            errors
                .iter()
                .filter(|error| if exact { error.field == path } else { is_under(&error.field, &path) })
                .map(|error| format!("{}: {}", error.field, error.message))
                .collect::<Vec<_>>()
        })
    };
    move || {
        let messages = mine();
        (!messages.is_empty()).then(|| {
            view! {
                <ul class="field-errors mt-1 text-xs text-red-700 dark:text-red-300">
                    {messages.into_iter().map(|message| view! { <li>{message}</li> }).collect_view()}
                </ul>
            }
        })
    }
}

/// Whether the error path `field` is `path` itself or lies under it.
pub fn is_under(field: &str, path: &str) -> bool {
    field.strip_prefix(path).is_some_and(|rest| rest.is_empty() || rest.starts_with('.') || rest.starts_with('['))
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn form_edits_rewrite_the_posted_json() {
        Owner::new().with(|| {
            let draft = RulesDraft::new(r#"[{"type":"max_chars","config":{"limit":10}}]"#);
            draft.set(0, "/config/limit", Some(json!(20)));
            draft.push(json!({"type": "keyword"}));
            let posted: Value = serde_json::from_str(&draft.text()).expect("the textarea holds JSON");
            assert_eq!(posted, json!([{"type": "max_chars", "config": {"limit": 20}}, {"type": "keyword"}]));
            draft.move_rule(1, 0, |_| {});
            assert_eq!(draft.get(0, "/type"), json!("keyword"));
        });
    }

    #[test]
    fn typed_json_replaces_the_form_only_when_it_parses() {
        Owner::new().with(|| {
            let draft = RulesDraft::new("[]");
            draft.replace_text(r#"[{"type":"pii"#.to_owned());
            assert_eq!(draft.len_untracked(), 0);
            assert!(draft.json_error().is_some());
            assert_eq!(draft.text(), r#"[{"type":"pii"#, "what was typed is kept, and posted");
            draft.replace_text(r#"[{"type":"pii"}]"#.to_owned());
            assert_eq!(draft.len_untracked(), 1);
            assert_eq!(draft.json_error(), None);
        });
    }

    #[test]
    fn only_successful_saves_move_the_refetch_counter() {
        Owner::new().with(|| {
            let version = RwSignal::new(0usize);
            let value = RwSignal::new(None::<Result<i64, AppError>>);
            let saves = successful_saves(version, value);
            assert_eq!(saves.get(), 0);
            value.set(Some(Err(AppError::Invalid { message: "bad".into(), fields: Vec::new() })));
            version.set(1);
            assert_eq!(saves.get(), 0, "a rejected save keeps the draft");
            value.set(Some(Ok(7)));
            version.set(2);
            assert_eq!(saves.get(), 2);
        });
    }

    #[test]
    fn set_pointer_creates_objects_and_removes_keys() {
        let mut rule = json!({"type": "pii"});
        set_pointer(&mut rule, "/config/entity_actions/ssn", Some(json!("block")));
        assert_eq!(rule, json!({"type": "pii", "config": {"entity_actions": {"ssn": "block"}}}));
        set_pointer(&mut rule, "/config/entity_actions/ssn", None);
        assert_eq!(rule, json!({"type": "pii", "config": {"entity_actions": {}}}));
    }

    #[test]
    fn set_pointer_edits_existing_array_rows_only() {
        let mut rule = json!({"args_match": [{"path": "$.a"}]});
        set_pointer(&mut rule, "/args_match/0/op", Some(json!("eq")));
        set_pointer(&mut rule, "/args_match/3/op", Some(json!("eq")));
        assert_eq!(rule, json!({"args_match": [{"path": "$.a", "op": "eq"}]}));
        set_pointer(&mut rule, "/args_match/0", None);
        assert_eq!(rule, json!({"args_match": []}));
    }

    #[test]
    fn error_paths_match_their_field_and_children_only() {
        assert!(is_under("rules[2].config.entities", "rules[2].config.entities"));
        assert!(is_under("rules[2].config.entities[0]", "rules[2].config.entities"));
        assert!(!is_under("rules[2].config.entity_actions", "rules[2].config.entities"));
        assert!(!is_under("rules[12].label", "rules[1]"));
    }

    #[test]
    fn lines_round_trip_without_blanks() {
        assert_eq!(lines_value(" a \n\n b\n"), json!(["a", "b"]));
        assert_eq!(value_lines(&json!(["a", "b"])), "a\nb");
        assert_eq!(value_text(&json!(5)), "5");
    }
}
