//! Stages 6–8 of §1.5: resolve `provider/model` to a route, apply the key's model allow-list, check its
//! credit; and the body actually sent upstream. Must not call the provider.

use serde_json::{json, Value};

use crate::domain::ApiKey;
use crate::service::models::model_allowed;
use crate::service::relay::RelayError;
use crate::service::{ServiceError, Services};
use crate::upstream::Route;

impl Services {
    /// Stages 6–7: the route of `model`; `ModelNotFound` when no enabled provider declares it,
    /// `ModelNotAllowed` when the key's allow-list refuses it.
    pub fn route_model(&self, key: &ApiKey, model: &str) -> Result<Route, RelayError> {
        let route = self.relay.upstreams.route(model).ok_or_else(|| ServiceError::ModelNotFound(model.to_owned()))?;
        if !model_allowed(key, model) {
            return Err(RelayError::ModelNotAllowed(model.to_owned()));
        }
        Ok(route.clone())
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
