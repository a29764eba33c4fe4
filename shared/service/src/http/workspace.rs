//! The workspace routes: settings, exports and notifications.

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use utoipa::OpenApi;

use super::app::Shared;
use super::errors::ApiError;
use super::extract::{Body, Id};
use super::views::{ExportView, NotificationPage, NotificationView};
use crate::operations::Caller;
use crate::operations::exports::ExportRequest;
use crate::records::{MonthlyReset, ResetMode, Settings};

pub(super) fn routes() -> Router<Shared> {
    Router::new()
        .route("/v1/settings", get(get_settings).put(put_settings))
        .route("/v1/exports", post(create_export))
        .route("/v1/exports/{id}", get(get_export))
        .route("/v1/notifications", get(notifications))
}

#[utoipa::path(get, path = "/v1/settings", security(("bearer" = [])),
    responses((status = 200, body = Settings)))]
async fn get_settings(
    State(app): State<Shared>,
    caller: Caller,
) -> Result<axum::Json<Settings>, ApiError> {
    Ok(axum::Json(app.service.settings.get(&caller).await?))
}

#[utoipa::path(put, path = "/v1/settings", security(("bearer" = [])), request_body(content = Settings, example = json!({"default_country": "EC",
        "monthly_reset": {"mode": "tagged", "tag": "Borrar"},
        "custom_fields": [{"key": "empresa", "label": "Empresa", "type": "text"}]})),
    responses((status = 200, body = Settings, description = "stored, normalised"),
        (status = 400, description = "invalid_body, or invalid_settings: a value that cannot be used"),
        (status = 403, description = "forbidden: needs the owner or manager role")))]
async fn put_settings(
    State(app): State<Shared>,
    caller: Caller,
    Body(settings): Body<Settings>,
) -> Result<axum::Json<Settings>, ApiError> {
    Ok(axum::Json(
        app.service.settings.put(&caller, settings).await?,
    ))
}

#[utoipa::path(post, path = "/v1/exports", security(("bearer" = [])), request_body(content = ExportRequest, example = json!({"columns": ["first_name", "phone"], "tag": "vip"})),
    responses((status = 202, body = ExportView, description = "running"),
        (status = 400, description = "invalid_body, or invalid_export: an unknown or repeated column, or a bad tag"),
        (status = 403, description = "forbidden: needs the owner or manager role")))]
async fn create_export(
    State(app): State<Shared>,
    caller: Caller,
    Body(request): Body<ExportRequest>,
) -> Result<Response, ApiError> {
    let record = app.service.exports.create(&caller, request).await?;
    Ok((
        StatusCode::ACCEPTED,
        axum::Json(ExportView::from_record(&record)),
    )
        .into_response())
}

#[utoipa::path(get, path = "/v1/exports/{id}", security(("bearer" = [])), params(("id" = String, Path)),
    responses((status = 200, body = ExportView),
        (status = 403, description = "forbidden: needs the owner or manager role"),
        (status = 404, description = "not_found, or another workspace's")))]
async fn get_export(
    State(app): State<Shared>,
    caller: Caller,
    Id(id): Id,
) -> Result<axum::Json<ExportView>, ApiError> {
    let (record, url) = app.service.exports.export(&caller, &id).await?;
    Ok(axum::Json(ExportView::new(&record, url)))
}

#[utoipa::path(get, path = "/v1/notifications", security(("bearer" = [])),
    responses((status = 200, body = NotificationPage, description = "newest first")))]
async fn notifications(
    State(app): State<Shared>,
    caller: Caller,
) -> Result<axum::Json<NotificationPage>, ApiError> {
    let notes = app.service.notifications.list(&caller).await?;
    let items = notes
        .into_iter()
        .map(|(note, url)| NotificationView::new(note, url))
        .collect();
    Ok(axum::Json(NotificationPage { items }))
}

#[derive(OpenApi)]
#[openapi(
    paths(get_settings, put_settings, create_export, get_export, notifications),
    components(schemas(
        Settings,
        MonthlyReset,
        ResetMode,
        ExportRequest,
        ExportView,
        NotificationView,
        NotificationPage
    ))
)]
pub(super) struct WorkspaceApi;
