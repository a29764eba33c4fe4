//! The group routes: list with sizes, create, read, rename, delete. The
//! workspace is always the token's.

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use utoipa::OpenApi;

use super::app::Shared;
use super::errors::ApiError;
use super::extract::{Body, Id, Params, page_limit};
use super::views::{BulkJobView, GroupChangeView, GroupPage, GroupView};
use crate::operations::Caller;
use crate::operations::groups::{GROUPS_PAGE, GroupChange, GroupName};

pub(super) fn routes() -> Router<Shared> {
    Router::new()
        .route("/v1/groups", get(list_groups).post(create_group))
        .route(
            "/v1/groups/{id}",
            get(get_group).patch(rename_group).delete(delete_group),
        )
}

fn change_view(change: GroupChange) -> GroupChangeView {
    GroupChangeView {
        group: GroupView::new(&change.group, change.size),
        members_job: BulkJobView::new(&change.members_job, None),
    }
}

#[utoipa::path(get, path = "/v1/groups", summary = "The workspace's groups with their sizes, oldest first", security(("bearer" = [])),
    params(
        ("limit" = Option<i32>, Query, minimum = 1, maximum = 100, description = "page size, 1 to 100; 50 when not given"),
        ("cursor" = Option<String>, Query, min_length = 1, description = "the cursor of the previous page")),
    responses((status = 200, body = GroupPage),
        (status = 400, description = "invalid_query: a bad limit; invalid_cursor")))]
async fn list_groups(
    State(app): State<Shared>,
    caller: Caller,
    Params(query): Params,
) -> Result<axum::Json<GroupPage>, ApiError> {
    let limit = page_limit(&query, GROUPS_PAGE.1)?;
    let page = app
        .service
        .groups
        .list(&caller, limit, query.get("cursor").map(String::as_str))
        .await?;
    Ok(axum::Json(GroupPage {
        items: page
            .items
            .iter()
            .map(|(group, size)| GroupView::new(group, *size))
            .collect(),
        cursor: page.cursor,
    }))
}

#[utoipa::path(post, path = "/v1/groups", summary = "Create a group", security(("bearer" = [])),
    request_body(content = GroupName, example = json!({"name": "Fornecedores"})),
    responses((status = 201, body = GroupView),
        (status = 400, description = "invalid_body; invalid_group: an empty or over-long name"),
        (status = 403, description = "forbidden: needs the owner or manager role"),
        (status = 409, description = "group_exists: a group has the name, case aside")))]
async fn create_group(
    State(app): State<Shared>,
    caller: Caller,
    Body(request): Body<GroupName>,
) -> Result<Response, ApiError> {
    let group = app.service.groups.create(&caller, request).await?;
    Ok((StatusCode::CREATED, axum::Json(GroupView::new(&group, 0))).into_response())
}

#[utoipa::path(get, path = "/v1/groups/{id}", summary = "A group, with its size", security(("bearer" = [])),
    params(("id" = String, Path)),
    responses((status = 200, body = GroupView),
        (status = 404, description = "not_found, or another workspace's")))]
async fn get_group(
    State(app): State<Shared>,
    caller: Caller,
    Id(id): Id,
) -> Result<axum::Json<GroupView>, ApiError> {
    let (group, size) = app.service.groups.group(&caller, &id).await?;
    Ok(axum::Json(GroupView::new(&group, size)))
}

#[utoipa::path(patch, path = "/v1/groups/{id}", summary = "Rename a group; its contacts follow in the background", security(("bearer" = [])),
    params(("id" = String, Path)),
    request_body(content = GroupName, example = json!({"name": "Fornecedores SP"})),
    responses((status = 200, body = GroupChangeView, description = "renamed; `members_job` gives the new name to its contacts"),
        (status = 400, description = "invalid_body; invalid_group"),
        (status = 403, description = "forbidden: needs the owner or manager role"),
        (status = 404, description = "not_found, or another workspace's"),
        (status = 409, description = "group_exists: another group has the name; group_changed")))]
async fn rename_group(
    State(app): State<Shared>,
    caller: Caller,
    Id(id): Id,
    Body(request): Body<GroupName>,
) -> Result<axum::Json<GroupChangeView>, ApiError> {
    let change = app.service.groups.rename(&caller, &id, request).await?;
    Ok(axum::Json(change_view(change)))
}

#[utoipa::path(delete, path = "/v1/groups/{id}", summary = "Delete a group; its contacts stay, and leave it in the background", security(("bearer" = [])),
    params(("id" = String, Path)),
    responses((status = 200, body = GroupChangeView, description = "deleted; `members_job` takes the group off its contacts"),
        (status = 403, description = "forbidden: needs the owner or manager role"),
        (status = 404, description = "not_found, or another workspace's")))]
async fn delete_group(
    State(app): State<Shared>,
    caller: Caller,
    Id(id): Id,
) -> Result<axum::Json<GroupChangeView>, ApiError> {
    let change = app.service.groups.delete(&caller, &id).await?;
    Ok(axum::Json(change_view(change)))
}

#[derive(OpenApi)]
#[openapi(
    paths(list_groups, create_group, get_group, rename_group, delete_group),
    components(schemas(GroupName, GroupView, GroupPage, GroupChangeView))
)]
pub(super) struct GroupsApi;
