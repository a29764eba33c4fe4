//! The merge routes (merge contacts, the merge history, undo) and a
//! contact's activity. The workspace is always the token's.

use axum::Router;
use axum::extract::State;
use axum::routing::{get, post};
use utoipa::OpenApi;

use super::app::Shared;
use super::errors::ApiError;
use super::extract::{Body, Id, Params, page_limit};
use crate::operations::Caller;
use crate::operations::contacts::{ActivityPage, MergePage, MergeRequest};
use crate::records::activity::{Actor, FieldChange};
use crate::records::{Activity, ActivityKind, MergeRecord, MergeStatus};
use contact_engine::limits::MAX_PAGE;

pub(super) fn routes() -> Router<Shared> {
    Router::new()
        .route("/v1/contacts/{id}/merge", post(merge_contacts))
        .route("/v1/contacts/{id}/activity", get(contact_activity))
        .route("/v1/merges", get(list_merges))
        .route("/v1/merges/{id}", get(get_merge))
        .route("/v1/merges/{id}/undo", post(undo_merge))
}

#[utoipa::path(post, path = "/v1/contacts/{id}/merge", summary = "Merge other contacts into this one", security(("bearer" = [])),
    params(("id" = String, Path, description = "the contact the others are merged into; it keeps its id")),
    request_body(content = MergeRequest, example = json!({"others": ["c_01jd8x2k7m3q4r5s6t7v8w9x0y"], "fields": {"email": "c_01jd8x2k7m3q4r5s6t7v8w9x0y"}})),
    responses((status = 200, body = MergeRecord, description = "merged (or the same merge, sent again): `after` is the merged contact"),
        (status = 400, description = "invalid_body or invalid_merge: no others, too many, one named twice or this one, a field that cannot be chosen; invalid_contact: the merged contact would carry over 50 tags"),
        (status = 404, description = "not_found: this contact or one of the others, or another workspace's"),
        (status = 409, description = "contact_blocked: unblock it first; contact_merged: one of the others was merged already; contact_changed: the contacts kept changing meanwhile")))]
async fn merge_contacts(
    State(app): State<Shared>,
    caller: Caller,
    Id(id): Id,
    Body(request): Body<MergeRequest>,
) -> Result<axum::Json<MergeRecord>, ApiError> {
    Ok(axum::Json(
        app.service.merges.merge(&caller, &id, request).await?,
    ))
}

#[utoipa::path(get, path = "/v1/contacts/{id}/activity", summary = "A contact's history, newest first", security(("bearer" = [])),
    params(("id" = String, Path),
        ("limit" = Option<i32>, Query, minimum = 1, maximum = 100, description = "page size, 1 to 100; 20 when not given"),
        ("cursor" = Option<String>, Query, min_length = 1, description = "the cursor of the previous page")),
    responses((status = 200, body = ActivityPage, description = "newest first"),
        (status = 400, description = "invalid_query: a bad limit; invalid_cursor"),
        (status = 404, description = "not_found, or another workspace's")))]
async fn contact_activity(
    State(app): State<Shared>,
    caller: Caller,
    Id(id): Id,
    Params(query): Params,
) -> Result<axum::Json<ActivityPage>, ApiError> {
    let limit = page_limit(&query, MAX_PAGE as i32)?.map(|l| l as usize);
    let cursor = query.get("cursor").map(String::as_str);
    Ok(axum::Json(
        app.service
            .merges
            .activity(&caller, &id, limit, cursor)
            .await?,
    ))
}

#[utoipa::path(get, path = "/v1/merges", summary = "The workspace's merges, newest first", security(("bearer" = [])),
    params(
        ("limit" = Option<i32>, Query, minimum = 1, maximum = 100, description = "page size, 1 to 100; 20 when not given"),
        ("cursor" = Option<String>, Query, min_length = 1, description = "the cursor of the previous page")),
    responses((status = 200, body = MergePage, description = "newest first, for as long as each may be undone"),
        (status = 400, description = "invalid_query: a bad limit; invalid_cursor"),
        (status = 403, description = "forbidden: needs the owner or manager role")))]
async fn list_merges(
    State(app): State<Shared>,
    caller: Caller,
    Params(query): Params,
) -> Result<axum::Json<MergePage>, ApiError> {
    let limit = page_limit(&query, MAX_PAGE as i32)?.map(|l| l as usize);
    let cursor = query.get("cursor").map(String::as_str);
    Ok(axum::Json(
        app.service.merges.merges(&caller, limit, cursor).await?,
    ))
}

#[utoipa::path(get, path = "/v1/merges/{id}", summary = "A merge: the contacts as they were and as merged", security(("bearer" = [])),
    params(("id" = String, Path)),
    responses((status = 200, body = MergeRecord),
        (status = 403, description = "forbidden: needs the owner or manager role"),
        (status = 404, description = "not_found, or another workspace's")))]
async fn get_merge(
    State(app): State<Shared>,
    caller: Caller,
    Id(id): Id,
) -> Result<axum::Json<MergeRecord>, ApiError> {
    Ok(axum::Json(
        app.service.merges.merge_record(&caller, &id).await?,
    ))
}

#[utoipa::path(post, path = "/v1/merges/{id}/undo", summary = "Undo a merge", security(("bearer" = [])),
    params(("id" = String, Path)),
    responses((status = 200, body = MergeRecord, description = "undone (or undone already): `not_restored` says what could not be given back"),
        (status = 403, description = "forbidden: owners and managers undo any merge; an agent only their own, within an hour"),
        (status = 404, description = "not_found, or another workspace's"),
        (status = 409, description = "merge_not_undoable: the merged contact was deleted or merged again since, or the merge is over 90 days old; contact_limit_reached: the contacts brought back do not fit in the month's count; contact_changed")))]
async fn undo_merge(
    State(app): State<Shared>,
    caller: Caller,
    Id(id): Id,
) -> Result<axum::Json<MergeRecord>, ApiError> {
    Ok(axum::Json(
        app.service.merges.undo_merge(&caller, &id).await?,
    ))
}

#[derive(OpenApi)]
#[openapi(
    paths(merge_contacts, contact_activity, list_merges, get_merge, undo_merge),
    components(schemas(
        MergeRequest,
        MergeRecord,
        MergeStatus,
        MergePage,
        Activity,
        ActivityKind,
        Actor,
        FieldChange,
        crate::records::activity::Source,
        ActivityPage
    ))
)]
pub(super) struct MergesApi;
