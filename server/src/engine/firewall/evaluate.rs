//! Evaluation of one tool call against one compiled policy (SPEC §5.1 steps 2–7).
//!
//! `CompiledPolicy::compile` validates and compiles once; `evaluate` is a pure `&self` walk that
//! never panics and returns the event verdict, reason, flags, sanitized arguments and a per-rule
//! trace (for the test sandbox, §5.14). Fail-closed: an inconsistent compiled rule resolves to
//! `deny` with reason `engine error: …`. Policy resolution (step 1), approval storage and event
//! writing (step 8) belong to the service; `evaluate_no_policy` covers the no-policy branch.

use serde_json::Value;

use crate::engine::firewall::args::{CompiledClause, RegexCache};
pub use crate::engine::firewall::call::{
    parse_arguments, Approval, ConfigError, CostCheck, EvalContext, EventVerdict, Evaluation, RuleTraceStep, Surface, ToolCall,
    TraceWhy,
};
use crate::engine::firewall::config::{DefaultVerdict, PolicyConfig, RuleConfig, RuleStage, RuleVerdict};
use crate::engine::firewall::egress::EgressScope;
use crate::engine::firewall::glob::Glob;
use crate::engine::firewall::reason::{self, Decision};
use crate::engine::firewall::sanitize::{args_summary, Sanitizer};
use crate::engine::firewall::validate::{validate, FieldError};

#[derive(Clone, Debug)]
struct CompiledRule {
    index: usize,
    id: Option<i64>,
    label: Option<String>,
    stage: RuleStage,
    tool_glob: Glob,
    /// `None` for `""`: any skill or none.
    skill_glob: Option<Glob>,
    verdict: RuleVerdict,
    clauses: Vec<CompiledClause>,
    egress: Option<EgressScope>,
    sanitizer: Option<Sanitizer>,
    cap_cost_cents: Option<i64>,
}

impl CompiledRule {
    fn compile(index: usize, rule: &RuleConfig, cache: &mut RegexCache) -> Result<CompiledRule, String> {
        let clauses = rule
            .args_match
            .iter()
            .map(|clause| CompiledClause::compile_with(clause, cache))
            .collect::<Result<_, _>>()
            .map_err(|e| e.message)?;
        let egress = match &rule.egress {
            Some(config) => Some(EgressScope::compile(config, rule.verdict).map_err(|e| e.message)?),
            None => None,
        };
        let sanitizer = match (rule.verdict, &rule.sanitize) {
            (RuleVerdict::Sanitize, config) => Some(Sanitizer::compile(&config.clone().unwrap_or_default())?),
            _ => None,
        };
        Ok(CompiledRule {
            index,
            id: rule.id,
            label: rule.label.clone().filter(|label| !label.is_empty()),
            stage: rule.stage,
            tool_glob: Glob::new(&rule.tool_name_glob),
            skill_glob: (!rule.skill_name_glob.is_empty()).then(|| Glob::new(&rule.skill_name_glob)),
            verdict: rule.verdict,
            clauses,
            egress,
            sanitizer,
            cap_cost_cents: rule.cap_cost_cents,
        })
    }

    /// The first failing condition, in the order of SPEC §5.1 step 2; `None` when all hold.
    fn first_failure(&self, call: &ToolCall, arguments: Option<&Value>) -> Option<TraceWhy> {
        if !call.surface.stage_matches(self.stage) {
            return Some(TraceWhy::Stage);
        }
        if !self.tool_glob.matches(&call.tool) {
            return Some(TraceWhy::ToolNameGlob);
        }
        if let Some(skill_glob) = &self.skill_glob {
            if !call.skill.as_deref().is_some_and(|skill| skill_glob.matches(skill)) {
                return Some(TraceWhy::SkillNameGlob);
            }
        }
        if let Some(idx) = self.clauses.iter().position(|clause| !clause.holds(arguments)) {
            return Some(TraceWhy::ArgsMatch(idx));
        }
        if let Some(scope) = &self.egress {
            if !scope.in_scope(call.destination.as_ref()) {
                return Some(TraceWhy::EgressScope);
            }
        }
        None
    }
}

/// A validated, compiled firewall policy.
#[derive(Clone, Debug)]
pub struct CompiledPolicy {
    name: String,
    default_verdict: DefaultVerdict,
    shadow_mode: bool,
    /// Sorted by (`priority`, `id`), array order for rules without an id.
    rules: Vec<CompiledRule>,
    summary: Sanitizer,
}

impl CompiledPolicy {
    /// Validates (SPEC §2.6) and compiles a policy: globs, paths, regexes and scopes, once.
    pub fn compile(config: &PolicyConfig) -> Result<CompiledPolicy, ConfigError> {
        validate(config).map_err(|fields| ConfigError { fields })?;
        let mut order: Vec<(usize, &RuleConfig)> = config.rules.iter().enumerate().collect();
        // Why `i64::MAX` for missing ids: unsaved rules get ids larger than every saved one.
        order.sort_by_key(|(idx, rule)| (rule.priority, rule.id.unwrap_or(i64::MAX), *idx));
        let mut cache = RegexCache::default();
        let rules = order
            .into_iter()
            .map(|(idx, rule)| {
                CompiledRule::compile(idx, rule, &mut cache)
                    .map_err(|message| ConfigError { fields: vec![FieldError::new(format!("rules[{idx}]"), message)] })
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(CompiledPolicy {
            name: config.name.clone(),
            default_verdict: config.default_verdict,
            shadow_mode: config.shadow_mode,
            rules,
            summary: Sanitizer::all_presets(),
        })
    }

    /// The policy name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Whether the policy is in shadow mode.
    pub fn shadow_mode(&self) -> bool {
        self.shadow_mode
    }

    /// `args_summary` for events and approvals: compact JSON after all sanitize presets, cut to
    /// 512 characters; the flag says whether it was cut.
    pub fn args_summary(&self, arguments: &Value) -> (String, bool) {
        args_summary(&self.summary, arguments)
    }

    /// Evaluates one call (SPEC §5.1 steps 2–7). Never panics; fails closed.
    pub fn evaluate(&self, call: &ToolCall, ctx: &EvalContext) -> Evaluation {
        let arguments = if call.surface.has_arguments() { call.arguments.as_ref() } else { None };
        let mut trace = Vec::with_capacity(self.rules.len());
        let mut cost_check = None;
        let mut decided: Option<(&CompiledRule, Decision)> = None;
        for rule in &self.rules {
            let failure = rule.first_failure(call, arguments);
            let matched = failure.is_none();
            if rule.verdict == RuleVerdict::CapCost && matched {
                let Some(cap_cents) = rule.cap_cost_cents else {
                    trace.push(RuleTraceStep { rule_id: rule.id, rule_index: rule.index, matched, why: None });
                    return reason::engine_error("cap_cost rule without cap_cost_cents", trace);
                };
                let check = CostCheck {
                    cap_cents,
                    run_spend_cents: ctx.run_spend_cents,
                    estimate_cents: ctx.estimate_cents,
                    over: ctx.run_spend_cents.saturating_add(ctx.estimate_cents) > cap_cents,
                };
                cost_check = Some(check);
                let why = (!check.over).then_some(TraceWhy::CapCostUnderBudget);
                trace.push(RuleTraceStep { rule_id: rule.id, rule_index: rule.index, matched, why });
                if check.over {
                    decided = Some((rule, Decision::CapCost(check)));
                    break;
                }
                continue;
            }
            trace.push(RuleTraceStep { rule_id: rule.id, rule_index: rule.index, matched, why: failure });
            if matched {
                decided = Some((rule, Decision::Rule(rule.verdict)));
                break;
            }
        }
        let mut evaluation = match decided {
            Some((rule, decision)) => reason::decided(rule.id, rule.index, rule.label.clone(), decision, call),
            None => reason::undecided(self.default_verdict, call.surface),
        };
        evaluation.cost_check = cost_check;
        evaluation.trace = trace;
        let shadow = ctx.shadow.unwrap_or(self.shadow_mode);
        reason::adjust(&mut evaluation, call.surface, shadow, &ctx.approval);
        if evaluation.verdict == EventVerdict::Sanitize {
            let sanitizer = decided.and_then(|(rule, _)| rule.sanitizer.as_ref());
            evaluation.sanitized_arguments = match (sanitizer, arguments) {
                (Some(sanitizer), Some(arguments)) => Some(sanitizer.apply(arguments)),
                (None, _) => return reason::engine_error("sanitize rule without a sanitizer", evaluation.trace),
                (Some(_), None) => None,
            };
        }
        evaluation
    }
}

/// The evaluation when no policy resolves (SPEC §5.1 step 1): `observe` with observe mode on,
/// `None` (silent allow: no event, no Discovered Tools update) with it off.
pub fn evaluate_no_policy(observe_mode: bool) -> Option<Evaluation> {
    observe_mode.then(reason::observe)
}

#[cfg(test)]
mod tests;
