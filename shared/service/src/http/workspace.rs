//! The workspace routes: settings, the plan's count, the remembered
//! mapping, exports and notifications.

use axum::Router;
use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use utoipa::OpenApi;

use super::app::Shared;
use super::errors::ApiError;
use super::extract::{Body, BodyOrDefault, Id, IfMatch, Params, etag, page_limit};
use super::views::{
    ExportPage, ExportView, NotificationKind, NotificationLinks, NotificationPage, NotificationView,
};
use crate::operations::Caller;
use crate::operations::exports::{EXPORTS_PAGE, ExportRequest};
use crate::operations::plan::PlanView;
use crate::operations::settings::{RememberedMapping, Versioned};
use crate::records::{MonthlyReset, ResetMode, Settings};

pub(super) fn routes() -> Router<Shared> {
    Router::new()
        .route(
            "/v1/settings",
            get(get_settings).put(put_settings).patch(patch_settings),
        )
        .route(
            "/v1/settings/mappings",
            get(get_remembered)
                .put(put_remembered)
                .delete(forget_remembered),
        )
        .route("/v1/exports", get(list_exports).post(create_export))
        .route("/v1/exports/{id}", get(get_export))
        .route("/v1/notifications", get(notifications))
        .route("/v1/plan", get(plan))
}

#[utoipa::path(get, path = "/v1/plan", security(("bearer" = [])),
    summary = "This month's contact count against the plan",
    description = "A month's count is the contacts carried over from the previous month plus every contact created in it (by import, API or merge undo); deleting a contact gives no place back. Months turn at midnight in the workspace's time zone; the month-end reset, when on, sets the new month's count to the contacts that remain.",
    responses((status = 200, body = PlanView)))]
async fn plan(State(app): State<Shared>, caller: Caller) -> Result<axum::Json<PlanView>, ApiError> {
    Ok(axum::Json(app.service.plan.view(&caller).await?))
}

#[utoipa::path(get, path = "/v1/settings", security(("bearer" = [])),
    summary = "The workspace's settings",
    responses((status = 200, body = Settings,
        headers(("ETag" = String, description = "the settings' version, for If-Match")))))]
async fn get_settings(State(app): State<Shared>, caller: Caller) -> Result<Response, ApiError> {
    Ok(with_etag(app.service.settings.get(&caller).await?))
}

#[utoipa::path(put, path = "/v1/settings", security(("bearer" = [])),
    summary = "Replace the settings whole",
    description = "Every member left out takes its default: `PUT {}` puts every setting back to its default. To change some settings only, use PATCH.",
    params(("If-Match" = Option<String>, Header, description = "the ETag a read gave: the change is made only over that version (412 otherwise)")),
    request_body(content = Settings, example = json!({"default_country": "EC",
        "monthly_reset": {"mode": "tagged", "tag": "Borrar"},
        "custom_fields": [{"key": "empresa", "label": "Empresa", "type": "text"}]})),
    responses((status = 200, body = Settings, description = "stored, normalised",
            headers(("ETag" = String, description = "the new version"))),
        (status = 400, description = "invalid_body, or invalid_settings: a value that cannot be used"),
        (status = 403, description = "forbidden: needs the owner or manager role"),
        (status = 412, description = "settings_changed: the settings are no longer at the If-Match version")))]
async fn put_settings(
    State(app): State<Shared>,
    caller: Caller,
    IfMatch(expected): IfMatch,
    Body(settings): Body<Settings>,
) -> Result<Response, ApiError> {
    Ok(with_etag(
        app.service
            .settings
            .put(&caller, settings, expected)
            .await?,
    ))
}

#[utoipa::path(patch, path = "/v1/settings", security(("bearer" = [])),
    summary = "Change some settings",
    description = "JSON Merge Patch (RFC 7396): the members named change, `null` puts a member back to its default, objects (`monthly_reset`) merge member by member, lists (`custom_fields`, `users`) are replaced whole. Without If-Match, two changes made at once both land.",
    params(("If-Match" = Option<String>, Header, description = "the ETag a read gave: the change is made only over that version (412 otherwise)")),
    request_body(content = Settings, content_type = "application/merge-patch+json",
        example = json!({"default_country": "EC"})),
    responses((status = 200, body = Settings, description = "stored, normalised",
            headers(("ETag" = String, description = "the new version"))),
        (status = 400, description = "invalid_body, or invalid_settings: a value that cannot be used"),
        (status = 403, description = "forbidden: needs the owner or manager role"),
        (status = 412, description = "settings_changed: the settings are no longer at the If-Match version")))]
async fn patch_settings(
    State(app): State<Shared>,
    caller: Caller,
    IfMatch(expected): IfMatch,
    Body(patch): Body<serde_json::Map<String, serde_json::Value>>,
) -> Result<Response, ApiError> {
    Ok(with_etag(
        app.service.settings.patch(&caller, patch, expected).await?,
    ))
}

#[utoipa::path(get, path = "/v1/settings/mappings", security(("bearer" = [])),
    summary = "The headers the workspace remembers, and how it mapped them",
    description = "When an import is confirmed, each column it mapped otherwise than the automatic mapping would is remembered (newest first, at most 200): the next file with that header (matched regardless of case, accents and punctuation) is mapped the same way, its mapping entry marked `remembered`. A column confirmed as the automatic mapping maps it is forgotten.",
    responses((status = 200, body = RememberedMapping)))]
async fn get_remembered(
    State(app): State<Shared>,
    caller: Caller,
) -> Result<axum::Json<RememberedMapping>, ApiError> {
    Ok(axum::Json(app.service.settings.remembered(&caller).await?))
}

#[utoipa::path(put, path = "/v1/settings/mappings", security(("bearer" = [])),
    summary = "Replace what the workspace remembers",
    description = "`{\"columns\": []}` forgets it all, as DELETE does.",
    request_body(content = RememberedMapping,
        example = json!({"columns": [{"header": "Segmento", "field": "tags", "overwrite": true}]})),
    responses((status = 200, body = RememberedMapping, description = "stored, headers trimmed"),
        (status = 400, description = "invalid_body, or invalid_mapping: an empty, over-long or repeated header, a custom field the workspace does not define, more than 200 headers"),
        (status = 403, description = "forbidden: needs the owner or manager role")))]
async fn put_remembered(
    State(app): State<Shared>,
    caller: Caller,
    Body(mapping): Body<RememberedMapping>,
) -> Result<axum::Json<RememberedMapping>, ApiError> {
    Ok(axum::Json(
        app.service
            .settings
            .put_remembered(&caller, mapping)
            .await?,
    ))
}

#[utoipa::path(delete, path = "/v1/settings/mappings", security(("bearer" = [])),
    summary = "Forget every remembered mapping",
    responses((status = 204, description = "forgotten (also when there was nothing)"),
        (status = 403, description = "forbidden: needs the owner or manager role")))]
async fn forget_remembered(
    State(app): State<Shared>,
    caller: Caller,
) -> Result<StatusCode, ApiError> {
    let nothing = RememberedMapping {
        columns: Vec::new(),
    };
    app.service
        .settings
        .put_remembered(&caller, nothing)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Settings as the API answers them: the body, and the version as `ETag`.
fn with_etag(versioned: Versioned) -> Response {
    let mut response = axum::Json(versioned.settings).into_response();
    if let Ok(tag) = HeaderValue::from_str(&etag(versioned.version)) {
        response.headers_mut().insert(header::ETAG, tag);
    }
    response
}

#[utoipa::path(post, path = "/v1/exports", summary = "Start an export of the workspace's contacts", security(("bearer" = [])),
    description = "The body may be left out: every column, every contact.",
    request_body(content = Option<ExportRequest>, example = json!({"columns": ["first_name", "phone"], "tag": "vip"})),
    responses((status = 202, body = ExportView, description = "running"),
        (status = 400, description = "invalid_body, or invalid_export: an unknown or repeated column, or a bad tag"),
        (status = 403, description = "forbidden: needs the owner or manager role")))]
async fn create_export(
    State(app): State<Shared>,
    caller: Caller,
    BodyOrDefault(request): BodyOrDefault<ExportRequest>,
) -> Result<Response, ApiError> {
    let record = app.service.exports.create(&caller, request).await?;
    Ok((
        StatusCode::ACCEPTED,
        axum::Json(ExportView::from_record(&record)),
    )
        .into_response())
}

#[utoipa::path(get, path = "/v1/exports", summary = "The workspace's exports and reset backups, newest first", security(("bearer" = [])),
    params(
        ("limit" = Option<i32>, Query, minimum = 1, maximum = 100, description = "page size, 1 to 100; 20 when not given"),
        ("cursor" = Option<String>, Query, min_length = 1, description = "the cursor of the previous page")),
    responses((status = 200, body = ExportPage, description = "newest first, each with a fresh link once its file is ready"),
        (status = 400, description = "invalid_query: a bad limit; invalid_cursor"),
        (status = 403, description = "forbidden: needs the owner or manager role")))]
async fn list_exports(
    State(app): State<Shared>,
    caller: Caller,
    Params(query): Params,
) -> Result<axum::Json<ExportPage>, ApiError> {
    let limit = page_limit(&query, EXPORTS_PAGE.1)?;
    let page = app
        .service
        .exports
        .list(&caller, limit, query.get("cursor").map(String::as_str))
        .await?;
    Ok(axum::Json(ExportPage {
        items: page
            .items
            .into_iter()
            .map(|(record, url)| ExportView::new(&record, url))
            .collect(),
        cursor: page.cursor,
    }))
}

#[utoipa::path(get, path = "/v1/exports/{id}", summary = "Read an export, with the link to its file", security(("bearer" = [])), params(("id" = String, Path)),
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

#[utoipa::path(get, path = "/v1/notifications", summary = "The workspace's notifications, newest first", security(("bearer" = [])),
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
    paths(
        get_settings,
        put_settings,
        patch_settings,
        get_remembered,
        put_remembered,
        forget_remembered,
        create_export,
        list_exports,
        get_export,
        notifications,
        plan
    ),
    components(schemas(
        Settings,
        MonthlyReset,
        ResetMode,
        RememberedMapping,
        contact_engine::options::RememberedColumn,
        ExportRequest,
        ExportView,
        ExportPage,
        NotificationView,
        NotificationKind,
        NotificationLinks,
        NotificationPage,
        PlanView
    ))
)]
pub(super) struct WorkspaceApi;
