//! Shell text of argument values (SPEC §5.4 "Shell normalization"): collect the string values
//! under a path, then normalize away quoting, escaping and spacing tricks.
//!
//! Pure string work; must not know about rules or verdicts. Start at `shell_text`.

use serde_json::Value;

/// Step 1 + 2: the normalized shell text of a JSON value (strings collected in document order,
/// joined with `\n`; an all-string array is one space-joined argv).
pub fn shell_text(value: &Value) -> String {
    let mut parts = Vec::new();
    collect_strings(value, &mut parts);
    normalize_shell(&parts.join("\n"))
}

/// Step 1: string values under `value`, in document order.
fn collect_strings(value: &Value, out: &mut Vec<String>) {
    match value {
        Value::String(text) => out.push(text.clone()),
        Value::Array(items) if !items.is_empty() && items.iter().all(Value::is_string) => {
            let argv: Vec<&str> = items.iter().filter_map(Value::as_str).collect();
            out.push(argv.join(" "));
        }
        Value::Array(items) => items.iter().for_each(|item| collect_strings(item, out)),
        Value::Object(map) => map.values().for_each(|item| collect_strings(item, out)),
        Value::Null | Value::Bool(_) | Value::Number(_) => {}
    }
}

/// Step 2, in the order SPEC §5.4 gives: `${IFS}`/`$IFS` → space; zero-width characters deleted;
/// backslash-newline deleted; quotes and backslashes deleted; horizontal whitespace runs → one
/// space (newlines stay); ASCII lower-casing.
pub fn normalize_shell(text: &str) -> String {
    let text = text.replace("${IFS}", " ").replace("$IFS", " ");
    let text: String = text
        .chars()
        .filter(|c| !matches!(c, '\u{200B}' | '\u{200C}' | '\u{200D}' | '\u{2060}' | '\u{FEFF}'))
        .collect();
    let text = text.replace("\\\n", "");
    let mut out = String::with_capacity(text.len());
    let mut in_space_run = false;
    for c in text.chars() {
        match c {
            '\'' | '"' | '\\' => {}
            ' ' | '\t' | '\r' | '\u{0B}' | '\u{0C}' => {
                if !in_space_run {
                    out.push(' ');
                    in_space_run = true;
                }
            }
            other => {
                in_space_run = false;
                out.push(other.to_ascii_lowercase());
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn spec_example_yields_argv_line_and_note_line() {
        let args = json!({"argv":["R''M","-Rf","${HOME}"],"note":"clean\tup"});
        assert_eq!(shell_text(&args), "rm -rf ${home}\nclean up");
    }

    #[test]
    fn normalization_steps_apply_in_order() {
        let cases = [
            ("rm$IFS-rf${IFS}/", "rm -rf /"),
            ("r\u{200B}m -rf ~/", "rm -rf ~/"),
            ("rm -rf \\\n  /", "rm -rf /"),
            ("\\rm  -rf\t\t/boot", "rm -rf /boot"),
            ("RM -RF /USR", "rm -rf /usr"),
            ("a\nb", "a\nb"),
            ("Ünïcode STAYS", "Ünïcode stays"),
            ("", ""),
        ];
        for (input, expected) in cases {
            assert_eq!(normalize_shell(input), expected, "input {input:?}");
        }
    }

    #[test]
    fn mixed_arrays_and_objects_contribute_nested_strings_only() {
        let args = json!({"steps":[{"run":"ls"},{"run":"rm -rf /var"}], "n": 3, "flag": true, "none": null});
        let text = shell_text(&args);
        assert!(text.contains("ls\nrm -rf /var"), "{text:?}");
        assert_eq!(shell_text(&json!([1, "a"])), "a");
        assert_eq!(shell_text(&json!([])), "");
    }
}
