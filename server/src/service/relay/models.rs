//! Stages 6–8 of §1.5: resolve `provider/model` to a route, apply the key's model allow-list, check its
//! credit; and the body actually sent upstream. Must not call the provider.

use base64::Engine as _;
use serde_json::{json, Value};

use crate::domain::ApiKey;
use crate::service::models::model_allowed;
use crate::service::relay::RelayError;
use crate::service::{ServiceError, ServiceResult, Services};
use crate::upstream::Route;

impl Services {
    /// Stages 6–7: the route of `model` (the key's workspace providers first, then the config's and
    /// `mock`, §2.4); `ModelNotFound` when no enabled provider declares it, `ModelNotAllowed` when the
    /// key's allow-list refuses it.
    pub async fn route_model(&self, key: &ApiKey, model: &str) -> Result<Route, RelayError> {
        let route = self.find_route(key, model).await?.ok_or_else(|| ServiceError::ModelNotFound(model.to_owned()))?;
        if !model_allowed(key, model) {
            return Err(RelayError::ModelNotAllowed(model.to_owned()));
        }
        Ok(route)
    }

    /// Where `model` routes for `key`'s workspace: its providers first, then the config's and `mock`
    /// (§2.4). No allow-list: the relay applies the key's, Palisade's own judge calls apply none.
    pub async fn find_route(&self, key: &ApiKey, model: &str) -> ServiceResult<Option<Route>> {
        let workspace = self.key_workspace_providers(key).await?;
        Ok(workspace.route(model).or_else(|| self.relay.upstreams.route(model)).cloned())
    }

    /// Stage 8: refuses once `spent` has reached a non-zero credit limit. The request that crosses the
    /// limit completes; later ones are refused (§3.6).
    pub fn check_credit(&self, key: &ApiKey) -> Result<(), RelayError> {
        if key.credit_limit_micros > 0 && key.spent_micros >= key.credit_limit_micros {
            return Err(RelayError::InsufficientQuota);
        }
        Ok(())
    }
}

/// The body sent upstream: `model` set to the provider's id; for streams, usage always requested (§3.4).
pub fn upstream_body(mut body: Value, model: &str, stream: bool) -> Value {
    body["model"] = Value::String(model.to_owned());
    if stream {
        body["stream"] = Value::Bool(true);
        match body.get_mut("stream_options").and_then(Value::as_object_mut) {
            Some(options) => {
                options.insert("include_usage".into(), Value::Bool(true));
            }
            None => body["stream_options"] = json!({"include_usage": true}),
        }
    }
    body
}

/// Whether the client asked for base64 embeddings (`"encoding_format": "base64"`). The Node SDK does by
/// default and decodes every `embedding` as base64, so a float array there reaches the caller as garbage.
pub fn wants_base64(body: &Value) -> bool {
    body.get("encoding_format").and_then(Value::as_str) == Some("base64")
}

/// Re-encodes float-array embeddings as base64 of little-endian f32, the OpenAI wire form of
/// `encoding_format: "base64"`, for providers that ignore the field (the built-in mock, some
/// OpenAI-compatible servers). Embeddings that are already strings are left alone.
pub fn embeddings_as_base64(reply: &mut Value) {
    let Some(items) = reply.get_mut("data").and_then(Value::as_array_mut) else { return };
    for item in items {
        let Some(floats) = item.get("embedding").and_then(Value::as_array) else { continue };
        let bytes: Vec<u8> = floats.iter().flat_map(|x| (x.as_f64().unwrap_or(0.0) as f32).to_le_bytes()).collect();
        item["embedding"] = Value::String(base64::engine::general_purpose::STANDARD.encode(bytes));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn float_embeddings_become_base64_f32_and_strings_stay() {
        let mut reply = json!({"data": [{"embedding": [1.0, -0.5]}, {"embedding": "AACAPw=="}]});
        embeddings_as_base64(&mut reply);
        // 1.0f32 = 00 00 80 3f, -0.5f32 = 00 00 00 bf (little-endian).
        assert_eq!(reply["data"][0]["embedding"], "AACAPwAAAL8=");
        assert_eq!(reply["data"][1]["embedding"], "AACAPw==");
        assert!(wants_base64(&json!({"encoding_format": "base64"})));
        assert!(!wants_base64(&json!({"encoding_format": "float"})) && !wants_base64(&json!({})));
    }
}
