//! Shared rule sets of the autonomy levels and templates (SPEC §6.1, DETECTION §5): SHELL_GLOBS,
//! FETCH_GLOBS, PRIVATE and the DESTRUCTIVE command pattern, plus helpers that expand "a rule over
//! a glob set" into one rule per glob.
//!
//! Data only; the patterns are copied from SPEC §6.1 and checked by the corpus in
//! `engine/testdata/firewall_destructive.jsonl`. Must not be edited without the spec.

use serde_json::json;

use crate::engine::firewall::config::{ArgsClause, ArgsOp, Normalize, RuleConfig, RuleStage, RuleVerdict};

/// The 16 shell-tool globs, in list order.
pub const SHELL_GLOBS: [&str; 16] = [
    "shell", "shell.*", "bash", "sh", "zsh", "cmd", "cmd.*", "powershell", "powershell.*", "exec", "*.exec", "exec.*",
    "*.shell.*", "*.bash", "*.cmd", "*.powershell",
];

/// The 8 fetch-shaped tool globs, in list order.
pub const FETCH_GLOBS: [&str; 8] =
    ["http_fetch", "web_search", "fetch_url", "request", "*.http_fetch", "*.web_search", "*.fetch_url", "*.request"];

/// Private and metadata egress entries.
pub const PRIVATE: [&str; 11] = [
    "127.0.0.0/8",
    "::1",
    "0.0.0.0/8",
    "10.0.0.0/8",
    "172.16.0.0/12",
    "192.168.0.0/16",
    "100.64.0.0/10",
    "169.254.0.0/16",
    "fe80::/10",
    "fc00::/7",
    "metadata.google.internal",
];

macro_rules! destructive {
    ($first_id:literal => $first:literal, $($id:literal => $pattern:literal,)*) => {
        /// The components of DESTRUCTIVE with their SPEC §6.1 ids (`1a` … `10b`), in order.
        pub const DESTRUCTIVE_COMPONENTS: [(&str, &str); 16] = [($first_id, $first), $(($id, $pattern)),*];
        /// The destructive-command pattern: the `|`-join of the components (1935 characters).
        pub const DESTRUCTIVE: &str = concat!($first $(, "|", $pattern)*);
    };
}

destructive! {
    "1a" => r"\b(?:rm|rmdir|rd|del|erase|ri|remove-item)(?: [^ ;&|()`\n]+)* (?:-[dfirv]*r[dfirv]*|--recursive|-recurse|/s)(?: [^ ;&|()`\n]+)* (?:/\*?|\*|~(?:/\*?)?|\$home(?:/\*?)?|\$\{home\}(?:/\*?)?|c:/?\*?|/(?:etc|usr|var|bin|sbin|lib|lib64|boot|home|root|opt|srv|dev|proc|sys)(?:/\*?)?)(?:[ ;&|()`\n]|$)",
    "1b" => r"\b(?:rm|rmdir|rd|del|erase|ri|remove-item)(?: [^ ;&|()`\n]+)* (?:/\*?|\*|~(?:/\*?)?|\$home(?:/\*?)?|\$\{home\}(?:/\*?)?|c:/?\*?|/(?:etc|usr|var|bin|sbin|lib|lib64|boot|home|root|opt|srv|dev|proc|sys)(?:/\*?)?)(?: [^ ;&|()`\n]+)* (?:-[dfirv]*r[dfirv]*|--recursive|-recurse|/s)(?:[ ;&|()`\n]|$)",
    "2" => r"\brm(?: [^ ;&|()`\n]+)* --no-preserve-root(?:[ ;&|()`\n]|$)",
    "3a" => r"\b(?:mkfs(?:\.[a-z0-9]+)?|mke2fs)(?: [^ ;&|()`\n]+)* /dev/(?:[hsv]d[a-z]|xvd[a-z]|nvme[0-9]|mmcblk[0-9]|disk[0-9])",
    "3b" => r"(?:^|[^a-z0-9_.-])format [a-z]:(?:[ ;&|()`\n]|$)",
    "4a" => r"\bdd(?: [^ ;&|()`\n]+)* of=/dev/(?:[hsv]d[a-z]|xvd[a-z]|nvme[0-9]|mmcblk[0-9]|disk[0-9])",
    "4b" => r"> ?/dev/(?:[hsv]d[a-z]|xvd[a-z]|nvme[0-9]|mmcblk[0-9]|disk[0-9])",
    "5" => r"(?:^|[^a-z0-9_.-])(?:shutdown|reboot|halt|poweroff|stop-computer|restart-computer|init [06])(?:[^a-z0-9_.-]|$)",
    "6" => r"\bch(?:mod|own|grp)(?: [^ ;&|()`\n]+)* /\*?(?:[ ;&|()`\n]|$)",
    "7" => r"[\w:.-]+ ?\( ?\) ?\{ ?[\w:.-]+ ?\| ?[\w:.-]+ ?& ?\} ?; ?[\w:.-]+",
    "8a" => r"\b(?:curl|wget|iwr|irm|invoke-webrequest|invoke-restmethod)\b[^\n;]*\| ?(?:sudo(?: -[^ ;&|\n]+)* )?(?:[^ ;&|\n]*/)?(?:sh|bash|zsh|dash|ksh|fish|iex|invoke-expression)\b",
    "8b" => r"(?:\b(?:sh|bash|zsh|dash|ksh|fish|source)|(?:^|[ ;&|\n])\.) <\( ?(?:curl|wget)\b",
    "8c" => r"(?:\b(?:sh|bash|zsh|dash|ksh|fish) -c|\beval) (?:\$\(|`) ?(?:curl|wget)\b",
    "9" => r"(?:\bbase64(?: [^ ;&|()`\n]+)* (?:-[a-z]*d[a-z]*|--decode)|\bxxd(?: [^ ;&|()`\n]+)* -[a-z]*r[a-z]*|\bopenssl (?:base64|enc)(?: [^ ;&|()`\n]+)* -d)[^\n;]*\| ?(?:sudo(?: -[^ ;&|\n]+)* )?(?:[^ ;&|\n]*/)?(?:sh|bash|zsh|dash|ksh|fish)\b",
    "10a" => r"(?:^|[ ;&|\n])-(?:ec|enc|encodedcommand) [a-z0-9+/=]{8,}",
    "10b" => r"\b(?:iex|invoke-expression) ?\( ?(?:new-object (?:system\.)?net\.webclient|iwr|irm|invoke-webrequest|invoke-restmethod)\b",
}

/// The clause every DESTRUCTIVE use takes: `$` regex DESTRUCTIVE on the shell text.
pub fn destructive_clause() -> ArgsClause {
    ArgsClause {
        path: "$".to_string(),
        op: ArgsOp::Regex,
        value: Some(json!(DESTRUCTIVE)),
        normalize: Some(Normalize::Shell),
    }
}

/// "A rule over a glob set": one copy of `template` per glob, in list order.
pub fn rules_over_globs(globs: &[&str], template: &RuleConfig) -> Vec<RuleConfig> {
    globs.iter().map(|glob| RuleConfig { tool_name_glob: glob.to_string(), ..template.clone() }).collect()
}

/// A rule with stage `""`, the given priority, verdict and label, and every other field default.
pub fn rule(priority: i64, stage: RuleStage, glob: &str, verdict: RuleVerdict, label: &str) -> RuleConfig {
    RuleConfig {
        priority,
        stage,
        tool_name_glob: glob.to_string(),
        label: Some(label.to_string()),
        ..RuleConfig::new(verdict)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::firewall::args::{build_regex, CompiledClause};
    use crate::engine::firewall::glob::Glob;
    use serde_json::Value;

    const CORPUS: &str = include_str!("../testdata/firewall_destructive.jsonl");

    #[test]
    fn destructive_is_the_join_of_its_components_and_fits_the_limits() {
        let joined: Vec<&str> = DESTRUCTIVE_COMPONENTS.iter().map(|(_, pattern)| *pattern).collect();
        assert_eq!(DESTRUCTIVE, joined.join("|"));
        assert_eq!(DESTRUCTIVE.chars().count(), 1935);
        assert!(build_regex(DESTRUCTIVE).is_ok(), "compiles under the 1 MiB limit");
        assert!(DESTRUCTIVE_COMPONENTS.iter().all(|(_, p)| !p.chars().any(|c| c.is_ascii_uppercase())));
    }

    #[test]
    fn destructive_corpus_must_and_must_not_match() {
        let clause = CompiledClause::compile(&destructive_clause()).expect("destructive clause compiles");
        let mut counts = (0, 0);
        for line in CORPUS.lines().filter(|l| !l.trim().is_empty()) {
            let case: Value = serde_json::from_str(line).expect("corpus line is JSON");
            let expected = case["destructive"].as_bool().expect("destructive flag");
            let arguments = &case["arguments"];
            assert_eq!(clause.holds(Some(arguments)), expected, "{arguments}");
            if expected { counts.0 += 1 } else { counts.1 += 1 }
        }
        assert_eq!(counts, (45, 30), "all SPEC §6.1 examples are in the corpus");
    }

    #[test]
    fn detection_md_examples_classify_as_documented() {
        let clause = CompiledClause::compile(&destructive_clause()).expect("destructive clause compiles");
        let yes = ["rm -rf /", "sudo rm -Rf /etc/", "rm / -rf", "rmdir /S /Q C:\\", "systemctl poweroff", "xxd -r -p stage2.hex | bash"];
        let no = ["rm -rf ./build", "git rm -r --cached build/", "sudo su -", "terraform destroy", "find / -delete", "kubectl delete pod x"];
        for command in yes {
            assert!(clause.holds(Some(&json!({"command": command}))), "{command}");
        }
        for command in no {
            assert!(!clause.holds(Some(&json!({"command": command}))), "{command}");
        }
    }

    #[test]
    fn shell_and_fetch_sets_classify_detection_md_names() {
        let any = |globs: &[&str], name: &str| globs.iter().any(|g| Glob::new(g).matches(name));
        for name in ["Bash", "SHELL.EXEC", "sandbox.bash", "k8s.exec", "cmd.invoke", "ci.shell.run", "exec", "powershell"] {
            assert!(any(&SHELL_GLOBS, name), "{name} is shell-classified");
        }
        for name in ["pwsh", "terminal", "python", "run_shell_command", "rm", "curl", "ws.shell", "mcp__box__bash", "b\u{430}sh"] {
            assert!(!any(&SHELL_GLOBS, name), "{name} is not shell-classified");
        }
        for name in ["http_fetch", "web_search", "srv.fetch_url", "x.request", "REQUEST"] {
            assert!(any(&FETCH_GLOBS, name), "{name} is fetch-shaped");
        }
        for name in ["fetch", "curl", "requests", "x.fetch"] {
            assert!(!any(&FETCH_GLOBS, name), "{name} is not fetch-shaped");
        }
    }
}
