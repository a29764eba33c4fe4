//! The workspace routes: settings, exports and notifications.

use std::collections::{BTreeSet, HashMap};

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde::Serialize;
use utoipa::{OpenApi, ToSchema};

use super::Service;
use super::auth::Caller;
use super::error::ServiceError;
use super::jobs::{ExportRequest, ExportView};
use super::model::{self, JobStatus, MonthlyReset, ResetMode, Settings};
use super::router::{Body, Id, Shared};
use crate::store::keys;
use crate::store::table::Item;

pub(super) fn routes() -> Router<Shared> {
    Router::new()
        .route("/v1/settings", get(get_settings).put(put_settings))
        .route("/v1/exports", post(create_export))
        .route("/v1/exports/{id}", get(get_export))
        .route("/v1/notifications", get(notifications))
}

/// A notification as the API shows it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct NotificationView {
    pub id: String,
    /// `import_completed`, `export_ready` or `reset_completed`.
    pub kind: String,
    pub message: String,
    pub created_at: String,
    pub import: Option<String>,
    /// The export (or the reset's backup) it concerns.
    pub export: Option<String>,
    /// A fresh presigned link to that export's file while it is kept.
    pub url: Option<String>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct NotificationPage {
    pub items: Vec<NotificationView>,
}

impl Service {
    /// The workspace's newest notifications (at most 100), with fresh links
    /// to the files they announce.
    pub async fn notifications(&self, caller: &Caller) -> Result<NotificationPage, ServiceError> {
        let ws = &caller.workspace;
        let notes = self.table.notifications(ws).await?;
        let text = |item: &Item, name: &str| item.get(name).and_then(|v| v.as_s().ok()).cloned();
        // The jobs the notes announce, read together for their links.
        let job_ids: Vec<String> = notes
            .iter()
            .filter_map(|n| text(n, "job"))
            .filter(|id| keys::is_safe_id(id))
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect();
        let mut links = HashMap::new();
        for record in self.table.jobs(ws, &job_ids).await? {
            if record.status != JobStatus::Failed {
                links.insert(record.id.clone(), self.export_link(&record).await?);
            }
        }
        let mut items = Vec::new();
        for item in &notes {
            let export = text(item, "job");
            items.push(NotificationView {
                id: text(item, "sk").unwrap_or_default(),
                kind: text(item, "kind").unwrap_or_default(),
                message: text(item, "message").unwrap_or_default(),
                created_at: item
                    .get("created_at")
                    .and_then(|v| v.as_n().ok()?.parse().ok())
                    .map(model::rfc3339)
                    .unwrap_or_default(),
                import: text(item, "import"),
                url: export
                    .as_ref()
                    .and_then(|id| links.get(id).cloned().flatten()),
                export,
            });
        }
        Ok(NotificationPage { items })
    }
}

#[utoipa::path(get, path = "/v1/settings", security(("bearer" = [])),
    responses((status = 200, body = Settings)))]
async fn get_settings(
    State(service): State<Shared>,
    caller: Caller,
) -> Result<axum::Json<Settings>, ServiceError> {
    Ok(axum::Json(service.settings(&caller).await?))
}

#[utoipa::path(put, path = "/v1/settings", security(("bearer" = [])), request_body(content = Settings, example = json!({"default_country": "EC",
        "monthly_reset": {"mode": "tagged", "tag": "Borrar"},
        "custom_fields": [{"key": "empresa", "label": "Empresa", "type": "text"}]})),
    responses((status = 200, body = Settings, description = "stored, normalised"),
        (status = 400, description = "invalid_body, or invalid_settings: a value that cannot be used"),
        (status = 403, description = "forbidden: needs the owner or manager role")))]
async fn put_settings(
    State(service): State<Shared>,
    caller: Caller,
    Body(settings): Body<Settings>,
) -> Result<axum::Json<Settings>, ServiceError> {
    Ok(axum::Json(service.put_settings(&caller, settings).await?))
}

#[utoipa::path(post, path = "/v1/exports", security(("bearer" = [])), request_body(content = ExportRequest, example = json!({"columns": ["first_name", "phone"], "tag": "vip"})),
    responses((status = 202, body = ExportView, description = "running"),
        (status = 400, description = "invalid_body, or invalid_export: an unknown or repeated column, or a bad tag"),
        (status = 403, description = "forbidden: needs the owner or manager role")))]
async fn create_export(
    State(service): State<Shared>,
    caller: Caller,
    Body(request): Body<ExportRequest>,
) -> Result<Response, ServiceError> {
    let record = service.create_export(&caller, request).await?;
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
    State(service): State<Shared>,
    caller: Caller,
    Id(id): Id,
) -> Result<axum::Json<ExportView>, ServiceError> {
    Ok(axum::Json(service.export(&caller, &id).await?))
}

#[utoipa::path(get, path = "/v1/notifications", security(("bearer" = [])),
    responses((status = 200, body = NotificationPage, description = "newest first")))]
async fn notifications(
    State(service): State<Shared>,
    caller: Caller,
) -> Result<axum::Json<NotificationPage>, ServiceError> {
    Ok(axum::Json(service.notifications(&caller).await?))
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
