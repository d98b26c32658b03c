//! Stage 15 (§3.6): cost from usage × price, added to the key's spend and the run's spend; and the
//! `cap_cost` estimate of §5.7. Runs only for requests that completed normally.

use serde_json::Value;

use crate::service::relay::{Outcome, RelayError, RequestContext};
use crate::service::recorder::Record;
use crate::service::Services;
use crate::store;
use crate::upstream::{estimate_tokens, Price};

/// Micro-dollars per cent.
const MICROS_PER_CENT: i64 = 10_000;

/// All text of the request messages (or embedding inputs), for `ceil(chars / 4)` estimates.
pub fn prompt_text(body: &Value) -> String {
    let mut text = String::new();
    if let Some(messages) = body.get("messages").and_then(Value::as_array) {
        for message in messages {
            match message.get("content") {
                Some(Value::String(content)) => text.push_str(content),
                Some(Value::Array(parts)) => {
                    for part in parts.iter().filter_map(|part| part.get("text").and_then(Value::as_str)) {
                        text.push_str(part);
                    }
                }
                _ => {}
            }
        }
    }
    match body.get("input") {
        Some(Value::String(input)) => text.push_str(input),
        Some(Value::Array(items)) => items.iter().filter_map(Value::as_str).for_each(|item| text.push_str(item)),
        _ => {}
    }
    text
}

/// Cost in micro-dollars: prices are USD per million tokens, i.e. micro-dollars per token.
pub fn cost_micros(price: &Price, prompt_tokens: i64, completion_tokens: i64) -> i64 {
    (prompt_tokens as f64 * price.input_usd_per_mtok + completion_tokens as f64 * price.output_usd_per_mtok).round() as i64
}

/// Micro-dollars to whole cents, rounded up (budgets are checked conservatively).
pub fn micros_to_cents(micros: i64) -> i64 {
    (micros + MICROS_PER_CENT - 1).div_euclid(MICROS_PER_CENT)
}

/// The §5.7 estimate in cents: prompt tokens × input price + max tokens (default 1024) × output price.
pub fn estimate_cents(body: &Value, price: &Price) -> i64 {
    let max_tokens = body
        .get("max_tokens")
        .and_then(Value::as_i64)
        .or_else(|| body.get("max_completion_tokens").and_then(Value::as_i64))
        .unwrap_or(1024);
    micros_to_cents(cost_micros(price, estimate_tokens(&prompt_text(body)), max_tokens))
}

/// Text generated in a non-streamed reply (contents and tool-call arguments), for the usage fallback.
fn completion_text(reply: &Value) -> String {
    let mut text = String::new();
    for choice in reply.get("choices").and_then(Value::as_array).into_iter().flatten() {
        if let Some(content) = choice.pointer("/message/content").and_then(Value::as_str) {
            text.push_str(content);
        }
        for call in choice.pointer("/message/tool_calls").and_then(Value::as_array).into_iter().flatten() {
            text.push_str(call.pointer("/function/arguments").and_then(Value::as_str).unwrap_or(""));
        }
    }
    text
}

/// `(prompt, completion)` tokens from an upstream `usage` object, if it has them.
pub fn usage_tokens(usage: Option<&Value>) -> Option<(i64, i64)> {
    let usage = usage?;
    let prompt = usage.get("prompt_tokens").and_then(Value::as_i64)?;
    Some((prompt, usage.get("completion_tokens").and_then(Value::as_i64).unwrap_or(0)))
}

impl Services {
    /// Stage 15 for a JSON reply: usage (or the chars/4 fallback) × price, then `charge`.
    pub async fn meter(&self, ctx: &RequestContext, outcome: &mut Outcome, price: &Price, body: &Value, reply: &Value) -> Result<(), RelayError> {
        let (prompt, completion) = usage_tokens(reply.get("usage"))
            .unwrap_or_else(|| (estimate_tokens(&prompt_text(body)), estimate_tokens(&completion_text(reply))));
        self.charge(ctx, outcome, price, prompt, completion).await
    }

    /// Adds the cost to the key's spend and the run's spend, and fills the outcome.
    pub async fn charge(&self, ctx: &RequestContext, outcome: &mut Outcome, price: &Price, prompt: i64, completion: i64) -> Result<(), RelayError> {
        let cost = cost_micros(price, prompt, completion);
        outcome.prompt_tokens = prompt;
        outcome.completion_tokens = completion;
        outcome.cost_micros = cost;
        outcome.metered = true;
        if cost > 0 {
            // The key's spend: in the live cache at once (the next credit check reads it there), in the
            // database through the recorder, off the request path.
            self.live.add_spend(ctx.key.id, cost);
            self.relay.recorder.send(Record::KeySpend { key_id: ctx.key.id, micros: cost }).await;
            // Run spend is written directly: the next request's `cap_cost` check reads it from the database.
            if let Some(run_id) = &ctx.lineage.run_id {
                store::run_spend::add(&self.db, ctx.key.workspace_id, run_id, cost, ctx.created_at)
                    .await
                    .map_err(crate::service::ServiceError::from)?;
            }
        }
        Ok(())
    }

    /// Run spend in cents for `cap_cost` (0 without a run id).
    pub async fn run_spend_cents(&self, ctx: &RequestContext) -> Result<i64, RelayError> {
        let Some(run_id) = &ctx.lineage.run_id else { return Ok(0) };
        let micros = store::run_spend::get(&self.db, ctx.key.workspace_id, run_id).await.map_err(crate::service::ServiceError::from)?;
        Ok(micros_to_cents(micros))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_mock_price_makes_the_default_estimate_about_ten_cents() {
        let price = Price { input_usd_per_mtok: 100.0, output_usd_per_mtok: 100.0 };
        let body = serde_json::json!({"messages": [{"role": "user", "content": "abcd"}]});
        // 1 prompt token + 1024 completion tokens at 100 micro-dollars each = 102 500 µ$ → 11 cents.
        assert_eq!(estimate_cents(&body, &price), 11);
        assert_eq!(cost_micros(&price, 3, 2), 500);
        assert_eq!(micros_to_cents(0), 0);
        assert_eq!(micros_to_cents(1), 1);
    }
}
