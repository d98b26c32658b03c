//! `CompiledGuardrail`: a validated guardrail with its matchers built once, and step 1 of the fold
//! (deterministic findings on one text). Must not apply actions (that is `fold`).
//!
//! Compilation fails with the same field errors as `validate`, so a stored config that no longer
//! compiles is rejected instead of silently passing traffic (fail-closed).
use std::collections::BTreeMap;

use aho_corasick::{AhoCorasick, AhoCorasickBuilder, MatchKind};
use regex::Regex;

use crate::engine::guardrail::builtin::{self, AllowHosts, Builtin};
use crate::engine::guardrail::config::{Action, GuardrailConfig, RuleKind, ScanStage, Stage};
use crate::engine::guardrail::pii::{self, CivilDate, Entity};
use crate::engine::guardrail::validate::{compile_user_regex, validate, FieldError};

/// A guardrail config that did not validate or compile.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConfigError {
    /// Every problem, with field paths.
    pub errors: Vec<FieldError>,
}

impl std::fmt::Display for ConfigError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let parts: Vec<String> = self.errors.iter().map(|e| format!("{}: {}", e.field, e.message)).collect();
        write!(f, "invalid guardrail: {}", parts.join("; "))
    }
}

/// A compiled guardrail; all checks are `&self`.
#[derive(Debug)]
pub struct CompiledGuardrail {
    /// Guardrail name (for the truncation notice and errors).
    pub name: String,
    /// Whether `log_raw_content` is on (the finding layer fills `matched` only then).
    pub log_raw_content: bool,
    /// Rules in order.
    pub rules: Vec<CompiledRule>,
}

/// One compiled rule.
#[derive(Debug)]
pub struct CompiledRule {
    /// Position in the guardrail (rule order).
    pub index: usize,
    /// Stable rule id when known.
    pub id: Option<i64>,
    /// Effective label.
    pub label: String,
    /// SPEC type name.
    pub rule_type: &'static str,
    /// Stage.
    pub stage: Stage,
    /// Rule action (entity overrides apply per finding).
    pub action: Action,
    /// `annotate` note, if set.
    pub note: Option<String>,
    /// Spotlight whole messages.
    pub spotlight_whole: bool,
    pub(crate) matcher: Matcher,
}

#[derive(Debug)]
pub(crate) struct Custom {
    pub name: String,
    pub re: Regex,
    pub luhn: bool,
}

#[derive(Debug)]
pub(crate) enum Matcher {
    Keyword { ac: AhoCorasick, tag: String },
    Pattern { re: Regex, tag: String },
    Builtin { builtin: Builtin, allow: AllowHosts, tag: String },
    Pii { entities: Vec<Entity>, customs: Vec<Custom>, actions: BTreeMap<String, Action>, tags: BTreeMap<String, String> },
    MaxChars { limit: usize },
    Advanced(RuleKind),
}

/// One raw deterministic finding (step 1 of the fold), before suppression and actions.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Hit {
    /// Rule index.
    pub rule: usize,
    /// Entity or detector name (`email`, a custom name, `url`), or `None` for keyword/pattern/max_chars.
    pub entity: Option<String>,
    /// Effective action (after `entity_actions`).
    pub action: Action,
    /// Mask tag without brackets (empty for `max_chars`).
    pub tag: String,
    /// Segment index the span is in.
    pub segment: usize,
    /// Byte offset of the span start in that segment.
    pub start: usize,
    /// Byte offset of the span end.
    pub end: usize,
}

fn err(field: String, message: String) -> ConfigError {
    ConfigError { errors: vec![FieldError { field, message }] }
}

impl CompiledGuardrail {
    /// Validates and compiles a guardrail body.
    pub fn compile(cfg: &GuardrailConfig) -> Result<CompiledGuardrail, ConfigError> {
        validate(cfg).map_err(|errors| ConfigError { errors })?;
        let mut rules = Vec::with_capacity(cfg.rules.len());
        for (index, r) in cfg.rules.iter().enumerate() {
            let at = format!("rules[{index}].config");
            let matcher = match &r.kind {
                RuleKind::Keyword(k) => {
                    let ac = AhoCorasickBuilder::new()
                        .ascii_case_insensitive(true)
                        .match_kind(MatchKind::LeftmostLongest)
                        .build(k.terms.iter().map(|t| t.to_lowercase()))
                        .map_err(|e| err(format!("{at}.terms"), e.to_string()))?;
                    Matcher::Keyword { ac, tag: k.mask_tag.clone().unwrap_or_else(|| "REDACTED".into()) }
                }
                RuleKind::Regex(x) => match (&x.pattern, x.builtin.as_deref().and_then(Builtin::parse)) {
                    (Some(p), _) => Matcher::Pattern {
                        re: compile_user_regex(p).map_err(|m| err(format!("{at}.pattern"), m))?,
                        tag: x.mask_tag.clone().unwrap_or_else(|| "REDACTED".into()),
                    },
                    (None, Some(b)) => Matcher::Builtin { builtin: b, allow: AllowHosts::new(&x.allow_hosts), tag: x.mask_tag.clone().unwrap_or_else(|| b.tag()) },
                    (None, None) => return Err(err(format!("{at}.builtin"), "unknown built-in detector".into())),
                },
                RuleKind::Pii(p) => {
                    let mut customs = Vec::new();
                    let mut tags = p.mask_tags.clone();
                    for (j, ce) in p.custom_entities.iter().enumerate() {
                        let re = compile_user_regex(&ce.regex).map_err(|m| err(format!("{at}.custom_entities[{j}].regex"), m))?;
                        tags.entry(ce.name.clone()).or_insert_with(|| ce.mask_tag.clone().unwrap_or_else(|| ce.name.to_ascii_uppercase()));
                        customs.push(Custom { name: ce.name.clone(), re, luhn: ce.luhn });
                    }
                    let entities = p.entities.iter().filter_map(|n| Entity::parse(n)).collect();
                    Matcher::Pii { entities, customs, actions: p.entity_actions.clone(), tags }
                }
                RuleKind::MaxChars(m) => Matcher::MaxChars { limit: usize::try_from(m.limit).unwrap_or(usize::MAX) },
                other => Matcher::Advanced(other.clone()),
            };
            rules.push(CompiledRule {
                index,
                id: r.id,
                label: r.effective_label(),
                rule_type: r.kind.type_name(),
                stage: r.stage,
                action: r.action,
                note: r.note.clone(),
                spotlight_whole: r.spotlight_whole,
                matcher,
            });
        }
        Ok(CompiledGuardrail { name: cfg.name.clone(), log_raw_content: cfg.log_raw_content, rules })
    }

    /// Rules that run on `stage`, in order.
    pub fn rules_for(&self, stage: ScanStage) -> impl Iterator<Item = &CompiledRule> {
        self.rules.iter().filter(move |r| r.stage.covers(stage))
    }

    /// Span findings of every span-producing deterministic rule on one text (`max_chars` excluded; see
    /// `fold`), in rule order then position.
    pub fn scan_text(&self, stage: ScanStage, segment: usize, text: &str, today: CivilDate) -> Vec<Hit> {
        let mut out = Vec::new();
        for r in self.rules_for(stage) {
            r.scan(segment, text, today, &mut out);
        }
        out
    }
}

impl CompiledRule {
    /// Whether the rule runs in the engine (keyword, regex, pii, max_chars).
    pub fn is_deterministic(&self) -> bool {
        !matches!(self.matcher, Matcher::Advanced(_))
    }

    /// The `max_chars` limit, when this is a `max_chars` rule.
    pub fn max_chars(&self) -> Option<usize> {
        match self.matcher {
            Matcher::MaxChars { limit } => Some(limit),
            _ => None,
        }
    }

    /// The built-in detector, when this is a `regex` rule with `builtin`.
    pub fn builtin(&self) -> Option<Builtin> {
        match self.matcher {
            Matcher::Builtin { builtin, .. } => Some(builtin),
            _ => None,
        }
    }

    fn hit(&self, segment: usize, entity: Option<String>, action: Action, tag: &str, start: usize, end: usize) -> Hit {
        Hit { rule: self.index, entity, action, tag: tag.to_string(), segment, start, end }
    }

    pub(crate) fn scan(&self, segment: usize, text: &str, today: CivilDate, out: &mut Vec<Hit>) {
        match &self.matcher {
            Matcher::Keyword { ac, tag } => {
                for m in ac.find_iter(text) {
                    out.push(self.hit(segment, None, self.action, tag, m.start(), m.end()));
                }
            }
            Matcher::Pattern { re, tag } => {
                for m in re.find_iter(text).filter(|m| m.end() > m.start()) {
                    out.push(self.hit(segment, None, self.action, tag, m.start(), m.end()));
                }
            }
            Matcher::Builtin { builtin, allow, tag } => {
                for r in builtin::detect(*builtin, text, allow) {
                    out.push(self.hit(segment, Some(builtin.name().to_string()), self.action, tag, r.start, r.end));
                }
            }
            Matcher::Pii { entities, customs, actions, tags } => {
                let action_of = |name: &str| actions.get(name).copied().unwrap_or(self.action);
                for f in pii::detect_on(text, entities, today) {
                    let name = f.entity.name();
                    let tag = tags.get(name).cloned().unwrap_or_else(|| f.entity.tag());
                    out.push(self.hit(segment, Some(name.to_string()), action_of(name), &tag, f.start, f.end));
                }
                // Custom entities form a family of their own: longer span wins, then the earlier entity.
                let mut cands: Vec<(usize, usize, usize)> = Vec::new();
                for (k, c) in customs.iter().enumerate() {
                    for m in c.re.find_iter(text).filter(|m| m.end() > m.start()) {
                        if !c.luhn || custom_luhn(m.as_str()) {
                            cands.push((k, m.start(), m.end()));
                        }
                    }
                }
                cands.sort_by_key(|&(k, s, e)| (std::cmp::Reverse(e - s), k, s));
                let mut kept: Vec<(usize, usize, usize)> = Vec::new();
                for c in cands {
                    if !kept.iter().any(|k| k.1 < c.2 && c.1 < k.2) {
                        kept.push(c);
                    }
                }
                kept.sort_by_key(|&(_, s, e)| (s, e));
                for (k, s, e) in kept {
                    let name = &customs[k].name;
                    let tag = tags.get(name).cloned().unwrap_or_else(|| name.to_ascii_uppercase());
                    out.push(self.hit(segment, Some(name.clone()), action_of(name), &tag, s, e));
                }
            }
            Matcher::MaxChars { .. } | Matcher::Advanced(_) => {}
        }
    }
}

/// Luhn over the digits of a custom-entity match, which must have 12–19 digits (SPEC §4.5).
fn custom_luhn(s: &str) -> bool {
    let digits: Vec<u32> = s.chars().filter_map(|c| c.to_digit(10)).collect();
    if !(12..=19).contains(&digits.len()) {
        return false;
    }
    let sum: u32 = digits.iter().rev().enumerate().map(|(i, &d)| if i % 2 == 1 { if d * 2 > 9 { d * 2 - 9 } else { d * 2 } } else { d }).sum();
    sum % 10 == 0
}
