//! `GET /v1/health`: 200 without a token once the table, the bucket and
//! the queues answer.

use axum::Router;
use axum::extract::State;
use axum::routing::get;

use super::app::Shared;
use super::errors::ApiError;
pub(super) use super::views::Health;

pub(super) fn routes() -> Router<Shared> {
    Router::new().route("/v1/health", get(health))
}

#[utoipa::path(get, path = "/v1/health", summary = "Whether the API reaches its table, bucket and queues", responses(
    (status = 200, body = Health, description = "table, bucket and queues answer"),
    (status = 503, description = "service_unavailable: one of them does not")))]
pub(super) async fn health(State(app): State<Shared>) -> Result<axum::Json<Health>, ApiError> {
    app.service.health().await?;
    Ok(axum::Json(Health {
        status: "ok".to_string(),
    }))
}
