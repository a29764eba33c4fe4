//! The bulk action routes: act on a list of contacts at once, or start a
//! job over every contact a filter keeps, and follow it. The workspace is
//! always the token's.

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use utoipa::OpenApi;

use super::app::Shared;
use super::errors::ApiError;
use super::extract::{Body, Id, Params, page_limit};
use super::views::{BulkJobPage, BulkJobView};
use crate::operations::Caller;
use crate::operations::bulk::{BULK_PAGE, BulkAnswer, BulkFilter, BulkRequest};
use crate::operations::contacts::{BulkItem, BulkOutcome, BulkResult};
use crate::records::BulkActionName;

pub(super) fn routes() -> Router<Shared> {
    Router::new()
        .route(
            "/v1/bulk-actions",
            get(list_bulk_actions).post(start_bulk_action),
        )
        .route("/v1/bulk-actions/{id}", get(get_bulk_action))
}

#[utoipa::path(post, path = "/v1/bulk-actions", summary = "Act on many contacts: a list of ids at once, or every contact a filter keeps in the background", security(("bearer" = [])),
    description = "`add_tags` and `remove_tags` take `tags`; `add_to_group` and `remove_from_group` take `group`; `block`, `unblock` and `delete` take neither. Name the contacts with `ids` (1 to 100, answered at once with each one's outcome) or `filter` (a search's filters; `{}` keeps every contact), which runs as a job: 202, then `GET /v1/bulk-actions/{id}` and a notification when done. A delete by filter writes a backup of the contacts it chose first, and deletes each only while unchanged since. Only owners and managers delete.",
    request_body(content = BulkRequest, example = json!({"action": "add_tags", "tags": ["vip"], "filter": {"country": "EC", "tags": ["cliente"]}})),
    responses((status = 200, body = BulkResult, description = "done, over ids: each id's outcome, in the order given"),
        (status = 202, body = BulkJobView, description = "started, over a filter"),
        (status = 400, description = "invalid_body; invalid_bulk_action: tags or group missing or out of place, ids empty, over 100 or one named twice, or both ids and filter (or neither); invalid_query: a filter's value; unknown_custom_field"),
        (status = 403, description = "forbidden: only owners and managers delete")))]
async fn start_bulk_action(
    State(app): State<Shared>,
    caller: Caller,
    Body(request): Body<BulkRequest>,
) -> Result<Response, ApiError> {
    Ok(match app.service.bulk.start(&caller, request).await? {
        BulkAnswer::Done(result) => axum::Json(result).into_response(),
        BulkAnswer::Started(record) => (
            StatusCode::ACCEPTED,
            axum::Json(BulkJobView::new(&record, None)),
        )
            .into_response(),
    })
}

#[utoipa::path(get, path = "/v1/bulk-actions", summary = "The workspace's bulk actions run in the background, newest first", security(("bearer" = [])),
    params(
        ("limit" = Option<i32>, Query, minimum = 1, maximum = 100, description = "page size, 1 to 100; 20 when not given"),
        ("cursor" = Option<String>, Query, min_length = 1, description = "the cursor of the previous page")),
    responses((status = 200, body = BulkJobPage, description = "newest first"),
        (status = 400, description = "invalid_query: a bad limit; invalid_cursor")))]
async fn list_bulk_actions(
    State(app): State<Shared>,
    caller: Caller,
    Params(query): Params,
) -> Result<axum::Json<BulkJobPage>, ApiError> {
    let limit = page_limit(&query, BULK_PAGE.1)?;
    let page = app
        .service
        .bulk
        .list(&caller, limit, query.get("cursor").map(String::as_str))
        .await?;
    Ok(axum::Json(BulkJobPage {
        items: page
            .items
            .into_iter()
            .map(|(record, url)| BulkJobView::new(&record, url))
            .collect(),
        cursor: page.cursor,
    }))
}

#[utoipa::path(get, path = "/v1/bulk-actions/{id}", summary = "A bulk action's progress", security(("bearer" = [])),
    params(("id" = String, Path)),
    responses((status = 200, body = BulkJobView),
        (status = 404, description = "not_found, or another workspace's")))]
async fn get_bulk_action(
    State(app): State<Shared>,
    caller: Caller,
    Id(id): Id,
) -> Result<axum::Json<BulkJobView>, ApiError> {
    let (record, url) = app.service.bulk.job(&caller, &id).await?;
    Ok(axum::Json(BulkJobView::new(&record, url)))
}

#[derive(OpenApi)]
#[openapi(
    paths(start_bulk_action, list_bulk_actions, get_bulk_action),
    components(schemas(
        BulkRequest,
        BulkFilter,
        BulkActionName,
        BulkResult,
        BulkItem,
        BulkOutcome,
        BulkJobView,
        BulkJobPage
    ))
)]
pub(super) struct BulkApi;
