//! Advanced guardrail checks (SPEC §4.6) run by the relay for the engine: `llm_judge` and `grounding` through
//! the routed providers (never metered to the caller), `external` as a webhook POST. All run concurrently,
//! each under its own timeout; every failure becomes an `Error` answer, which the engine folds fail-open or
//! fail-closed as the rule says.
//!
//! External calls go through the dial-time SSRF guard (§5.11) and carry `X-Palisade-Signature` when the rule
//! has a `secret` (§4.6): the body is serialised once, and those exact bytes are both signed and sent.

use std::collections::BTreeMap;
use std::time::Duration;

use serde_json::{json, Value};

use crate::engine::guardrail::advanced::{AdvancedAnswer, AdvancedCheck, AdvancedKind, AdvancedSpan};
use crate::engine::guardrail::config::ScanStage;
use crate::service::relay::posture_cache::{ActiveGuardrail, Posture};
use crate::service::relay::RequestContext;
use crate::service::Services;
use crate::auth::signature;
use crate::upstream::dial_guard::refusal_of;
use crate::upstream::mock::{GROUNDING_HEADER, JUDGE_HEADER};

/// Longest timeout any advanced check may use (§4.6).
const MAX_TIMEOUT_MS: u64 = 30_000;

/// The first JSON object in `text`, if any.
fn first_object(text: &str) -> Option<Value> {
    let start = text.find('{')?;
    let mut stream = serde_json::Deserializer::from_str(&text[start..]).into_iter::<Value>();
    stream.next()?.ok().filter(Value::is_object)
}

impl Services {
    /// Runs `checks` on the edited segments; answers keyed by rule index.
    #[expect(clippy::too_many_arguments, reason = "one call site; the inputs are unrelated values of one stage")]
    pub async fn advanced_answers(
        &self,
        ctx: &RequestContext,
        posture: &Posture,
        guardrail: &ActiveGuardrail,
        stage: ScanStage,
        checks: &[AdvancedCheck],
        segments: &[String],
        sources: &[String],
    ) -> BTreeMap<usize, AdvancedAnswer> {
        let text = segments.join("\n");
        let calls = checks.iter().map(|check| {
            let text = text.clone();
            async move {
                let answer = match &check.kind {
                    AdvancedKind::LlmJudge { model, rubric, timeout_ms } => {
                        let system = format!("{JUDGE_HEADER}\n{rubric}\nAnswer only with JSON {{\"violation\": bool, \"reason\": string}}");
                        match self.judge(ctx, model.as_ref().or(posture.judge_model.as_ref()), &system, &text, *timeout_ms).await {
                            Ok(reply) => match reply.get("violation").and_then(Value::as_bool) {
                                Some(true) => AdvancedAnswer::Violation { spans: Vec::new() },
                                Some(false) => AdvancedAnswer::Clean,
                                None => AdvancedAnswer::Error("bad reply".into()),
                            },
                            Err(cause) => AdvancedAnswer::Error(cause),
                        }
                    }
                    AdvancedKind::Grounding { model, timeout_ms, .. } => {
                        if sources.is_empty() {
                            AdvancedAnswer::Skipped
                        } else {
                            let system = format!("{GROUNDING_HEADER}\nSources:\n{}\nAnswer only with JSON {{\"score\": <0..1>}}", sources.join("\n---\n"));
                            match self.judge(ctx, model.as_ref().or(posture.judge_model.as_ref()), &system, &text, *timeout_ms).await {
                                Ok(reply) => reply.get("score").and_then(Value::as_f64).map_or(AdvancedAnswer::Error("bad reply".into()), AdvancedAnswer::Score),
                                Err(cause) => AdvancedAnswer::Error(cause),
                            }
                        }
                    }
                    AdvancedKind::External { url, secret, timeout_ms, .. } => {
                        let payload = json!({"stage": stage.name(), "text": text, "guardrail_id": guardrail.id, "rule_id": check.rule_id, "request_id": ctx.request_id});
                        self.external(url, secret.as_deref(), &payload, *timeout_ms).await
                    }
                };
                (check.rule, answer)
            }
        });
        futures::future::join_all(calls).await.into_iter().collect()
    }

    /// One judge call: the reply's first JSON object, or the cause of failure (`timeout`, `no judge model`…).
    /// The judge model routes like a relayed model ([`Services::find_route`]), without the key's model
    /// allow-list: the judge is Palisade's call, not the caller's.
    async fn judge(&self, ctx: &RequestContext, model: Option<&String>, system: &str, text: &str, timeout_ms: u64) -> Result<Value, String> {
        let model = model.ok_or("no judge model")?;
        let route = self.find_route(&ctx.key, model).await.map_err(|_| "judge provider lookup failed".to_owned())?.ok_or("unknown judge model")?;
        let body = json!({"model": route.model, "temperature": 0, "max_tokens": 256,
                          "messages": [{"role": "system", "content": system}, {"role": "user", "content": text}]});
        let call = route.provider.chat(&route.model, &body);
        let reply = tokio::time::timeout(Duration::from_millis(timeout_ms.min(MAX_TIMEOUT_MS)), call)
            .await
            .map_err(|_| "timeout".to_owned())?
            .map_err(|_| "upstream error".to_owned())?;
        let content = reply.pointer("/choices/0/message/content").and_then(Value::as_str).unwrap_or("");
        first_object(content).ok_or_else(|| "bad reply".to_owned())
    }
}

impl Services {
    /// One `external` check: POST through the guarded client, signed when the rule has a (sealed) secret.
    async fn external(&self, url: &str, secret: Option<&str>, payload: &Value, timeout_ms: u64) -> AdvancedAnswer {
        let parsed = match reqwest::Url::parse(url) {
            Ok(parsed) => parsed,
            Err(_) => return AdvancedAnswer::Error("bad URL".into()),
        };
        if let Err(refusal) = self.dial_guard.vet_literal(&parsed) {
            return AdvancedAnswer::Error(refusal.to_string());
        }
        let body = payload.to_string().into_bytes();
        let mut request = self.dial_guard.http().post(parsed).header(reqwest::header::CONTENT_TYPE, "application/json");
        // The rule's secret is stored sealed (guardrails::seal_secrets); an unreadable one must not
        // silently turn into an unsigned call.
        if let Some(sealed) = secret {
            let Ok(secret) = self.secrets.decrypt(sealed) else { return AdvancedAnswer::Error("signing secret unreadable".into()) };
            request = request.header(signature::HEADER, signature::sign(secret.as_bytes(), chrono::Utc::now().timestamp(), &body));
        }
        let timeout = Duration::from_millis(timeout_ms.min(MAX_TIMEOUT_MS));
        let response = match request.body(body).timeout(timeout).send().await {
            Err(err) if err.is_timeout() => return AdvancedAnswer::Error("timeout".into()),
            Err(err) => {
                return AdvancedAnswer::Error(refusal_of(&err).map_or_else(|| "connection failed".to_owned(), |refusal| refusal.to_string()))
            }
            Ok(response) if !response.status().is_success() => return AdvancedAnswer::Error(format!("HTTP {}", response.status().as_u16())),
            Ok(response) => response,
        };
        external_answer(response).await
    }
}

async fn external_answer(response: reqwest::Response) -> AdvancedAnswer {
    let Ok(reply) = response.json::<Value>().await else { return AdvancedAnswer::Error("bad JSON".into()) };
    match reply.get("violation").and_then(Value::as_bool) {
        Some(true) => {
            let spans = reply
                .get("spans")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .filter_map(|span| {
                    let start = span.get("start")?.as_u64()? as usize;
                    let end = span.get("end")?.as_u64()? as usize;
                    Some(AdvancedSpan { segment: 0, start, end })
                })
                .collect();
            AdvancedAnswer::Violation { spans }
        }
        Some(false) => AdvancedAnswer::Clean,
        None => AdvancedAnswer::Error("bad JSON".into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_first_json_object_is_taken_from_chatty_replies() {
        assert_eq!(first_object("Sure! {\"violation\": true} done"), Some(json!({"violation": true})));
        assert_eq!(first_object("no json"), None);
        assert_eq!(first_object("[1] {\"a\":1}"), Some(json!({"a": 1})));
    }
}
