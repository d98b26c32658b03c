//! Tool- and skill-name globs (SPEC §5.3): five shapes, ASCII case-insensitive, linear time.
//!
//! Must not fold anything but `A`–`Z`/`a`–`z` (no Unicode folding, no confusable mapping, no
//! trimming). Start at `Glob::new`, then `Glob::matches`.

/// A compiled glob in one of the five shapes of SPEC §5.3.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Glob {
    /// `""` or `*`: everything.
    Any,
    /// `P.*`: starts with `P.` plus at least one more byte. Holds `P.` in ASCII lower case.
    Prefix(String),
    /// `*.S`: ends with `.S` after at least one byte, or is exactly `S`. Holds `S` lower-cased.
    Suffix(String),
    /// `*.M.*`: contains `.M.` with at least one byte on each side. Holds `.M.` lower-cased.
    Infix(String),
    /// Anything else: the literal string (ASCII case-insensitive).
    Exact(String),
}

impl Glob {
    /// Classifies a glob by where its `*` sit; never fails (every string is some shape).
    pub fn new(glob: &str) -> Glob {
        if glob.is_empty() || glob == "*" {
            return Glob::Any;
        }
        let lower = glob.to_ascii_lowercase();
        // Why the infix test comes first: `*.M.*` also ends with `.*`, and its "prefix" `*.M`
        // contains a `*`, so the prefix shape must not claim it.
        if lower.len() >= 4 && lower.starts_with("*.") && lower.ends_with(".*") {
            let middle = &lower[2..lower.len() - 2];
            if !middle.contains('*') {
                return Glob::Infix(format!(".{middle}."));
            }
        }
        if let Some(prefix) = lower.strip_suffix(".*") {
            if !prefix.contains('*') {
                return Glob::Prefix(format!("{prefix}."));
            }
        }
        if let Some(suffix) = lower.strip_prefix("*.") {
            if !suffix.contains('*') {
                return Glob::Suffix(suffix.to_string());
            }
        }
        Glob::Exact(lower)
    }

    /// Whether `name` matches; bytes compare ASCII case-insensitively.
    pub fn matches(&self, name: &str) -> bool {
        let name = name.as_bytes();
        match self {
            Glob::Any => true,
            Glob::Prefix(prefix) => {
                name.len() > prefix.len()
                    && name.get(..prefix.len()).is_some_and(|head| head.eq_ignore_ascii_case(prefix.as_bytes()))
            }
            Glob::Suffix(suffix) => {
                let suffix = suffix.as_bytes();
                if name.eq_ignore_ascii_case(suffix) {
                    return true;
                }
                // `.S` must be preceded by at least one byte: the dot sits at `dot >= 1`.
                let Some(dot) = name.len().checked_sub(suffix.len() + 1) else {
                    return false;
                };
                dot >= 1
                    && name.get(dot) == Some(&b'.')
                    && name.get(dot + 1..).is_some_and(|tail| tail.eq_ignore_ascii_case(suffix))
            }
            Glob::Infix(infix) => {
                let infix = infix.as_bytes();
                // Searching inside `name[1..len-1]` keeps one byte on each side of `.M.`.
                let inner = name.get(1..name.len().saturating_sub(1)).unwrap_or_default();
                !infix.is_empty()
                    && inner.len() >= infix.len()
                    && inner.windows(infix.len()).any(|window| window.eq_ignore_ascii_case(infix))
            }
            Glob::Exact(literal) => name.eq_ignore_ascii_case(literal.as_bytes()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_shape_matches_the_spec_table() {
        let cases: &[(&str, &[&str], &[&str])] = &[
            ("", &["anything", "", "a.b"], &[]),
            ("*", &["anything", ""], &[]),
            ("foo.*", &["foo.bar", "foo.bar.baz", "FOO.x"], &["foo", "foo.", "xfoo.bar"]),
            ("*.exec", &["shell.exec", "a.b.exec", "exec", "EXEC", "k8s.Exec"], &["exec2", "myexec", ".exec"]),
            ("*.shell.*", &["local.shell.exec", "a.b.SHELL.c.d"], &["shell.exec", "local.shell", ".shell.x", "a.shell."]),
            ("foo.*.bar", &["foo.*.bar"], &["foo.x.bar"]),
            ("db.write*", &["db.write*", "DB.WRITE*"], &["db.writes"]),
            ("*exec", &["*exec"], &["shellexec", "exec"]),
            ("a*b", &["a*b"], &["ab", "axb"]),
            ("bash", &["bash", "Bash", "BASH"], &["bash ", " bash", "b\u{430}sh", "bash2"]),
        ];
        for (glob, yes, no) in cases {
            let compiled = Glob::new(glob);
            for name in *yes {
                assert!(compiled.matches(name), "{glob:?} should match {name:?}");
            }
            for name in *no {
                assert!(!compiled.matches(name), "{glob:?} should not match {name:?}");
            }
        }
    }

    #[test]
    fn shapes_are_classified_by_star_position() {
        assert_eq!(Glob::new("*"), Glob::Any);
        assert_eq!(Glob::new("Git.*"), Glob::Prefix("git.".into()));
        assert_eq!(Glob::new("*.Bash"), Glob::Suffix("bash".into()));
        assert_eq!(Glob::new("*.shell.*"), Glob::Infix(".shell.".into()));
        assert_eq!(Glob::new("*.*"), Glob::Exact("*.*".into()));
        assert_eq!(Glob::new("**"), Glob::Exact("**".into()));
    }

    #[test]
    fn non_ascii_names_never_panic() {
        for glob in ["*.é", "é.*", "*.é.*", "é"] {
            let compiled = Glob::new(glob);
            for name in ["é", "xé", "x.é", "é.x", "x.é.y", "ééé", ".", ""] {
                let _ = compiled.matches(name);
            }
        }
        assert!(Glob::new("*.é").matches("x.é"));
        assert!(Glob::new("é.*").matches("é.x"));
    }
}
