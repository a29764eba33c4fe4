//! The import routes: create, read, change, confirm, cancel, the history,
//! and the links to the error and result files. The workspace is always the
//! token's.

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use utoipa::OpenApi;

use super::app::Shared;
use super::errors::ApiError;
use super::extract::{Body, Id, LinkAsJson, Params, page_limit};
use super::views::{FileLink, ImportPage, ImportView, file_link};
use crate::operations::Caller;
use crate::operations::imports::{CreateImport, HISTORY_PAGE, PatchImport};
use crate::operations::review::{CellChange, CorrectRows, RowStatus, RowsPage, RowsQuery};
use contact_engine::limits::MAX_PAGE;

pub(super) fn routes() -> Router<Shared> {
    Router::new()
        .route("/v1/imports", get(list_imports).post(create_import))
        .route(
            "/v1/imports/{id}",
            get(get_import).patch(patch_import).delete(cancel_import),
        )
        .route("/v1/imports/{id}/upload", post(fresh_upload))
        .route("/v1/imports/{id}/confirm", post(confirm_import))
        .route("/v1/imports/{id}/rows", get(review_rows))
        .route("/v1/imports/{id}/corrections", post(correct_rows))
        .route("/v1/imports/{id}/errors", get(errors_file))
        .route("/v1/imports/{id}/result", get(result_file))
}

#[utoipa::path(post, path = "/v1/imports", summary = "Start an import: the upload URL for its file", security(("bearer" = [])),
    request_body(content = CreateImport,
        example = json!({"file_name": "clientes.csv", "size_bytes": 745, "options": {"default_country": "EC"}})),
    responses(
    (status = 201, body = ImportView, description = "created, with the presigned upload"),
    (status = 400, description = "invalid_body, invalid_file_name, empty_file or invalid_options"),
    (status = 403, description = "forbidden: needs the owner or manager role"),
    (status = 409, description = "import_in_progress: another import of the workspace is importing"),
    (status = 413, description = "file_too_large: size_bytes over 20 MiB; body_too_large: the body over 1 MiB"),
    (status = 415, description = "unsupported_file_type: not .csv, .tsv, .txt, .xlsx, .xls or .ods; unsupported_media_type: the body is not JSON")))]
async fn create_import(
    State(app): State<Shared>,
    caller: Caller,
    Body(request): Body<CreateImport>,
) -> Result<Response, ApiError> {
    let (record, upload) = app.service.imports.create(&caller, request).await?;
    Ok((
        StatusCode::CREATED,
        axum::Json(ImportView::new(&record, Some(upload))),
    )
        .into_response())
}

#[utoipa::path(get, path = "/v1/imports", summary = "The workspace's imports, newest first", security(("bearer" = [])),
    params(
        ("limit" = Option<i32>, Query, minimum = 1, maximum = 100, description = "page size, 1 to 100; 20 when not given"),
        ("cursor" = Option<String>, Query, min_length = 1, description = "the cursor of the previous page")),
    responses((status = 200, body = ImportPage, description = "newest first"),
        (status = 400, description = "invalid_query: a bad limit; invalid_cursor"),
        (status = 403, description = "forbidden: needs the owner or manager role")))]
async fn list_imports(
    State(app): State<Shared>,
    caller: Caller,
    Params(query): Params,
) -> Result<axum::Json<ImportPage>, ApiError> {
    let limit = page_limit(&query, HISTORY_PAGE.1)?;
    let page = app
        .service
        .imports
        .history(
            &caller,
            Some(limit.unwrap_or(HISTORY_PAGE.0)),
            query.get("cursor").map(String::as_str),
        )
        .await?;
    Ok(axum::Json(ImportPage::new(page)))
}

#[utoipa::path(get, path = "/v1/imports/{id}", summary = "Read an import: its review, progress and result", security(("bearer" = [])), params(("id" = String, Path)),
    responses((status = 200, body = ImportView),
        (status = 403, description = "forbidden: needs the owner or manager role"),
        (status = 404, description = "not_found, or another workspace's")))]
async fn get_import(
    State(app): State<Shared>,
    caller: Caller,
    Id(id): Id,
) -> Result<axum::Json<ImportView>, ApiError> {
    let record = app.service.imports.import(&caller, &id).await?;
    Ok(axum::Json(ImportView::new(&record, None)))
}

#[utoipa::path(patch, path = "/v1/imports/{id}", security(("bearer" = [])), params(("id" = String, Path)),
    summary = "Change an import's options in review",
    description = "A JSON Merge Patch (RFC 7396) of the options: the members named change, the others keep their value; `null` puts a member back to its default; `dialect` merges member by member; `tags` is replaced whole. `mapping` entries change their own column only, the other columns keep their mapping; `\"mapping\": null` maps every column automatically again. The import validates again.",
    request_body(content = PatchImport, example = json!({"options": {"purpose": "add_new", "tags": ["feria"]}})),
    responses((status = 200, body = ImportView, description = "validating again"),
        (status = 400, description = "invalid_body or invalid_options"),
        (status = 403, description = "forbidden: needs the owner or manager role"),
        (status = 404, description = "not_found, or another workspace's"),
        (status = 409, description = "not_in_review"), (status = 410, description = "session_expired")))]
async fn patch_import(
    State(app): State<Shared>,
    caller: Caller,
    Id(id): Id,
    Body(patch): Body<PatchImport>,
) -> Result<axum::Json<ImportView>, ApiError> {
    let record = app
        .service
        .imports
        .change_options(&caller, &id, patch.options)
        .await?;
    Ok(axum::Json(ImportView::new(&record, None)))
}

#[utoipa::path(delete, path = "/v1/imports/{id}", summary = "Cancel an import that is not importing", security(("bearer" = [])), params(("id" = String, Path)),
    responses((status = 200, body = ImportView, description = "cancelled"),
        (status = 403, description = "forbidden: needs the owner or manager role"),
        (status = 404, description = "not_found, or another workspace's"),
        (status = 409, description = "not_cancellable: importing or already ended")))]
async fn cancel_import(
    State(app): State<Shared>,
    caller: Caller,
    Id(id): Id,
) -> Result<axum::Json<ImportView>, ApiError> {
    let record = app.service.imports.cancel(&caller, &id).await?;
    Ok(axum::Json(ImportView::new(&record, None)))
}

#[utoipa::path(post, path = "/v1/imports/{id}/upload", summary = "A new upload URL for an import still waiting for its file", security(("bearer" = [])), params(("id" = String, Path)),
    responses((status = 200, body = ImportView, description = "a new presigned upload, and a new `expires_at`"),
        (status = 403, description = "forbidden: needs the owner or manager role"),
        (status = 404, description = "not_found, or another workspace's"),
        (status = 409, description = "not_awaiting_upload: the file has arrived, or the import ended"),
        (status = 410, description = "session_expired: no file came in time")))]
async fn fresh_upload(
    State(app): State<Shared>,
    caller: Caller,
    Id(id): Id,
) -> Result<axum::Json<ImportView>, ApiError> {
    let (record, upload) = app.service.imports.fresh_upload(&caller, &id).await?;
    Ok(axum::Json(ImportView::new(&record, Some(upload))))
}

#[utoipa::path(post, path = "/v1/imports/{id}/confirm", summary = "Confirm a review: the rows are imported", security(("bearer" = [])), params(("id" = String, Path)),
    responses((status = 200, body = ImportView, description = "importing"),
        (status = 403, description = "forbidden: needs the owner or manager role"),
        (status = 404, description = "not_found, or another workspace's"),
        (status = 409, description = "not_in_review; mapping_problems: the mapping must change first (PATCH); import_in_progress: another import is importing"),
        (status = 410, description = "session_expired")))]
async fn confirm_import(
    State(app): State<Shared>,
    caller: Caller,
    Id(id): Id,
) -> Result<axum::Json<ImportView>, ApiError> {
    let record = app.service.imports.confirm(&caller, &id).await?;
    Ok(axum::Json(ImportView::new(&record, None)))
}

#[utoipa::path(get, path = "/v1/imports/{id}/rows", summary = "The review's rows, paged, with their cells, predicted status and reasons by column", security(("bearer" = [])),
    params(("id" = String, Path),
        ("status" = Option<RowStatus>, Query, description = "only the rows predicted so; every row when absent"),
        ("limit" = Option<i32>, Query, minimum = 1, maximum = 100, description = "rows per page, 1 to 100; 50 when not given"),
        ("cursor" = Option<String>, Query, min_length = 1, description = "the `cursor` of the previous page")),
    responses((status = 200, body = RowsPage, description = "in file order"),
        (status = 400, description = "invalid_query: a bad status or limit; invalid_cursor: not one this listing gave, or from an earlier review of the import"),
        (status = 403, description = "forbidden: needs the owner or manager role"),
        (status = 404, description = "not_found, or another workspace's"),
        (status = 409, description = "not_in_review: not in review, or the mapping must change first"),
        (status = 410, description = "session_expired")))]
async fn review_rows(
    State(app): State<Shared>,
    caller: Caller,
    Id(id): Id,
    Params(query): Params,
) -> Result<axum::Json<RowsPage>, ApiError> {
    let status = match query.get("status") {
        None => None,
        Some(word) => Some(RowStatus::parse(word).ok_or_else(|| {
            ApiError::bad_request(
                "invalid_query",
                "status must be imported, updated, skipped or error",
            )
        })?),
    };
    let limit = page_limit(&query, MAX_PAGE as i32)?.map(|l| l as usize);
    let request = RowsQuery {
        status,
        cursor: query.get("cursor").cloned(),
        limit,
    };
    let page = app
        .service
        .imports
        .review_rows(&caller, &id, request)
        .await?;
    Ok(axum::Json(page))
}

#[utoipa::path(post, path = "/v1/imports/{id}/corrections", summary = "Correct cells and drop or restore rows of a review; it validates again", security(("bearer" = [])), params(("id" = String, Path)),
    description = "Every change is checked first and one bad change refuses them all, changing nothing. The corrections add to those made before (the import's `corrections`); the upload itself never changes. A dropped row ends `Skipped`, saying it was removed in the review. A change of the dialect (PATCH) drops every correction, since the cells themselves change.",
    request_body(content = CorrectRows, example = json!({"cells": [{"row": 4, "column": 2, "value": "+593 99 123 4567"}], "drop": [7]})),
    responses((status = 200, body = ImportView, description = "validating again"),
        (status = 400, description = "invalid_body; invalid_corrections: no change, a row or column not in the file, a value over 255 characters, more than 1,000 rows corrected"),
        (status = 403, description = "forbidden: needs the owner or manager role"),
        (status = 404, description = "not_found, or another workspace's"),
        (status = 409, description = "not_in_review: not in review, or the mapping must change first"),
        (status = 410, description = "session_expired")))]
async fn correct_rows(
    State(app): State<Shared>,
    caller: Caller,
    Id(id): Id,
    Body(body): Body<CorrectRows>,
) -> Result<axum::Json<ImportView>, ApiError> {
    let record = app.service.imports.correct(&caller, &id, body).await?;
    Ok(axum::Json(ImportView::new(&record, None)))
}

#[utoipa::path(get, path = "/v1/imports/{id}/errors", summary = "The review's error file", security(("bearer" = [])), params(("id" = String, Path)),
    responses((status = 302, body = FileLink, description = "to a presigned URL of the error file",
            headers(("Location" = String, description = "the same URL"))),
        (status = 200, body = FileLink, description = "with `Accept: application/json`: the link itself, for a page's script, which cannot read a redirect"),
        (status = 403, description = "forbidden: needs the owner or manager role"),
        (status = 404, description = "not_found: no such import, or no review yet")))]
async fn errors_file(
    State(app): State<Shared>,
    caller: Caller,
    Id(id): Id,
    LinkAsJson(as_json): LinkAsJson,
) -> Result<Response, ApiError> {
    Ok(file_link(
        app.service.imports.errors_link(&caller, &id).await?,
        as_json,
    ))
}

#[utoipa::path(get, path = "/v1/imports/{id}/result", summary = "The import's result file", security(("bearer" = [])), params(("id" = String, Path)),
    responses((status = 302, body = FileLink, description = "to a presigned URL of the result file",
            headers(("Location" = String, description = "the same URL"))),
        (status = 200, body = FileLink, description = "with `Accept: application/json`: the link itself, for a page's script, which cannot read a redirect"),
        (status = 403, description = "forbidden: needs the owner or manager role"),
        (status = 404, description = "not_found, or another workspace's"),
        (status = 409, description = "result_not_ready: not completed"),
        (status = 410, description = "result_expired: older than 7 days")))]
async fn result_file(
    State(app): State<Shared>,
    caller: Caller,
    Id(id): Id,
    LinkAsJson(as_json): LinkAsJson,
) -> Result<Response, ApiError> {
    Ok(file_link(
        app.service.imports.result_link(&caller, &id).await?,
        as_json,
    ))
}

#[derive(OpenApi)]
#[openapi(
    paths(
        create_import,
        list_imports,
        get_import,
        patch_import,
        cancel_import,
        fresh_upload,
        confirm_import,
        review_rows,
        correct_rows,
        errors_file,
        result_file
    ),
    components(schemas(
        ImportView,
        CreateImport,
        PatchImport,
        ImportPage,
        FileLink,
        RowsPage,
        CorrectRows,
        CellChange,
        RowStatus
    ))
)]
pub(super) struct ImportsApi;
