//! `GET /v1/models` and `GET /v1/models/{provider}/{model}` (pipeline stages 1–4, scope `models`).

use axum::extract::{Path, State};
use axum::Json;
use serde::Serialize;

use crate::relay::{OpenAiError, RelayCaller};
use crate::service::models::ModelInfo;
use crate::service::{ServiceError, Services};

/// OpenAI's model object. `created` is fixed: Palisade does not know when an upstream model was made.
#[derive(Serialize)]
pub struct ModelObject {
    id: String,
    object: &'static str,
    created: i64,
    owned_by: String,
}

#[derive(Serialize)]
pub struct ModelList {
    object: &'static str,
    data: Vec<ModelObject>,
}

impl From<ModelInfo> for ModelObject {
    fn from(model: ModelInfo) -> Self {
        ModelObject { id: model.id, object: "model", created: 0, owned_by: model.owned_by }
    }
}

pub async fn list_models(State(services): State<Services>, caller: RelayCaller) -> Result<Json<ModelList>, OpenAiError> {
    services.require_scope(&caller.key, "models")?;
    let data = services.list_models(&caller.key).await?.into_iter().map(Into::into).collect();
    Ok(Json(ModelList { object: "list", data }))
}

pub async fn get_model(
    State(services): State<Services>,
    caller: RelayCaller,
    Path((provider, model)): Path<(String, String)>,
) -> Result<Json<ModelObject>, OpenAiError> {
    services.require_scope(&caller.key, "models")?;
    let id = format!("{provider}/{model}");
    let found = services.list_models(&caller.key).await?.into_iter().find(|candidate| candidate.id == id);
    let model = found.ok_or(OpenAiError(ServiceError::ModelNotFound(id)))?;
    Ok(Json(model.into()))
}
