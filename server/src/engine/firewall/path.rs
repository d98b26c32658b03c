//! Argument paths (SPEC §5.4): `$` followed by `.key` (`[A-Za-z_][A-Za-z0-9_-]*`) and `[n]`.
//!
//! Parses once at compile time and resolves against a document without allocating; a missing
//! key or an out-of-range index is a missing path (`None`), never an error.

use serde_json::Value;

/// One step of a path.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Segment {
    /// `.key`
    Key(String),
    /// `[n]`
    Index(usize),
}

/// A parsed path; no segments means `$`, the whole document.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ArgsPath {
    segments: Vec<Segment>,
}

impl ArgsPath {
    /// Parses a path, or returns a lowercase message saying what is wrong.
    pub fn parse(text: &str) -> Result<ArgsPath, String> {
        let Some(mut rest) = text.strip_prefix('$') else {
            return Err("path must start with `$`".to_string());
        };
        let mut segments = Vec::new();
        while !rest.is_empty() {
            if let Some(after_dot) = rest.strip_prefix('.') {
                let end = after_dot
                    .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '-'))
                    .unwrap_or(after_dot.len());
                let key = &after_dot[..end];
                let starts_well = key.chars().next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_');
                if !starts_well {
                    return Err("a `.key` segment must match [A-Za-z_][A-Za-z0-9_-]*".to_string());
                }
                segments.push(Segment::Key(key.to_string()));
                rest = &after_dot[end..];
            } else if let Some(after_bracket) = rest.strip_prefix('[') {
                let Some((digits, after)) = after_bracket.split_once(']') else {
                    return Err("unclosed `[` in path".to_string());
                };
                if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
                    return Err("an index segment must be `[n]` with a non-negative integer".to_string());
                }
                let index = digits.parse::<usize>().map_err(|_| "index is too large".to_string())?;
                segments.push(Segment::Index(index));
                rest = after;
            } else {
                return Err("expected `.key` or `[n]` after `$`".to_string());
            }
        }
        Ok(ArgsPath { segments })
    }

    /// Whether this is `$`, the whole document.
    pub fn is_root(&self) -> bool {
        self.segments.is_empty()
    }

    /// The value at this path, or `None` for a missing path.
    pub fn resolve<'a>(&self, document: &'a Value) -> Option<&'a Value> {
        self.segments.iter().try_fold(document, |value, segment| match segment {
            Segment::Key(key) => value.as_object()?.get(key),
            Segment::Index(index) => value.as_array()?.get(*index),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn valid_paths_resolve_or_go_missing() {
        let doc = json!({"a": {"b": [10, {"k": "v"}]}, "x-y": 1, "_z": null});
        let cases = [
            ("$", Some(doc.clone())),
            ("$.a.b[0]", Some(json!(10))),
            ("$.a.b[1].k", Some(json!("v"))),
            ("$.x-y", Some(json!(1))),
            ("$._z", Some(Value::Null)),
            ("$.a.b[2]", None),
            ("$.missing", None),
            ("$.a[0]", None),
            ("$.a.b.k", None),
        ];
        for (text, expected) in cases {
            let path = ArgsPath::parse(text).expect("valid path");
            assert_eq!(path.resolve(&doc).cloned(), expected, "{text}");
        }
    }

    #[test]
    fn invalid_paths_are_rejected_with_a_message() {
        for bad in ["", "a", "$.", "$.1a", "$[", "$[x]", "$[-1]", "$..a", "$ .a", "$.a b", "$[99999999999999999999999]"] {
            assert!(ArgsPath::parse(bad).is_err(), "{bad:?} should be invalid");
        }
    }
}
