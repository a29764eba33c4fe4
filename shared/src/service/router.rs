//! The HTTP API: one axum `Router` that serves API Gateway (through
//! `lambda_http`) and the local stack's loopback port alike. Every answer
//! that is not a success is `{"error": {"code", "message"}}`.

use std::collections::HashMap;
use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Path, Query, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde::de::DeserializeOwned;
use utoipa::OpenApi;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};

use super::Service;
use super::auth::Caller;
use super::error::ServiceError;
use super::imports::{CreateImport, ImportPage, ImportView, PatchImport};
use super::{contact_routes, workspace_routes};

pub(super) type Shared = Arc<Service>;

/// The service's routes.
pub fn router(service: Shared) -> Router {
    Router::new()
        .route("/v1/health", get(health))
        .route("/v1/openapi.json", get(openapi))
        .route("/v1/imports", get(list_imports).post(create_import))
        .route(
            "/v1/imports/{id}",
            get(get_import).patch(patch_import).delete(cancel_import),
        )
        .route(
            "/v1/imports/{id}/confirm",
            axum::routing::post(confirm_import),
        )
        .route("/v1/imports/{id}/errors", get(errors_file))
        .route("/v1/imports/{id}/result", get(result_file))
        .merge(contact_routes::routes())
        .merge(workspace_routes::routes())
        .fallback(|| async { error(StatusCode::NOT_FOUND, "not_found", "no such route") })
        .method_not_allowed_fallback(|| async {
            error(
                StatusCode::METHOD_NOT_ALLOWED,
                "method_not_allowed",
                "this route does not take that method",
            )
        })
        .with_state(service)
}

fn error(status: StatusCode, code: &str, message: &str) -> Response {
    let body = serde_json::json!({"error": {"code": code, "message": message}});
    (status, axum::Json(body)).into_response()
}

impl IntoResponse for ServiceError {
    fn into_response(self) -> Response {
        let status = StatusCode::from_u16(self.status()).unwrap_or(StatusCode::SERVICE_UNAVAILABLE);
        if status.is_server_error() {
            eprintln!("api: {self}");
        }
        let message = match &self {
            // The store's own words are for the logs, not the caller.
            ServiceError::Store(_) | ServiceError::Internal(_) if status.is_server_error() => {
                "the service is briefly unavailable; try again".to_string()
            }
            other => other.to_string(),
        };
        let mut response = error(status, self.code(), &message);
        if status == StatusCode::UNAUTHORIZED {
            response
                .headers_mut()
                .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        response
    }
}

impl FromRequestParts<Shared> for Caller {
    type Rejection = ServiceError;

    async fn from_request_parts(
        parts: &mut Parts,
        service: &Shared,
    ) -> Result<Self, Self::Rejection> {
        let header = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok());
        service.config.keys.verify(header)
    }
}

/// A JSON body whose every flaw answers 400 in the API's error shape.
pub(super) struct Body<T>(pub(super) T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for Body<T> {
    type Rejection = ServiceError;

    async fn from_request(request: Request, state: &S) -> Result<Self, Self::Rejection> {
        let bytes = Bytes::from_request(request, state)
            .await
            .map_err(|e| ServiceError::bad_request("invalid_body", e.body_text()))?;
        serde_json::from_slice(&bytes).map(Body).map_err(|e| {
            ServiceError::bad_request(
                "invalid_body",
                format!("the body is not the JSON expected: {e}"),
            )
        })
    }
}

fn redirect(url: String) -> Response {
    let mut response = (
        StatusCode::FOUND,
        axum::Json(serde_json::json!({ "url": url })),
    )
        .into_response();
    if let Ok(location) = HeaderValue::from_str(&url) {
        response.headers_mut().insert(header::LOCATION, location);
    }
    response
}

#[utoipa::path(get, path = "/v1/health", responses(
    (status = 200, description = "table, bucket and queues answer"),
    (status = 503, description = "one of them does not")))]
async fn health(
    State(service): State<Shared>,
) -> Result<axum::Json<serde_json::Value>, ServiceError> {
    service.table.reachable().await?;
    service.bucket.reachable().await?;
    service.uploads.reachable().await?;
    service.rows.reachable().await?;
    service.jobs.reachable().await?;
    Ok(axum::Json(serde_json::json!({"status": "ok"})))
}

async fn openapi() -> axum::Json<utoipa::openapi::OpenApi> {
    axum::Json(api_doc())
}

/// The OpenAPI document: every module's routes in one.
pub fn api_doc() -> utoipa::openapi::OpenApi {
    let mut doc = ApiDoc::openapi();
    doc.merge(contact_routes::ContactsApi::openapi());
    doc.merge(workspace_routes::WorkspaceApi::openapi());
    doc
}

#[utoipa::path(post, path = "/v1/imports", request_body = CreateImport, security(("bearer" = [])), responses(
    (status = 201, body = ImportView, description = "created, with the presigned upload"),
    (status = 400, description = "invalid options"), (status = 401), (status = 403),
    (status = 409, description = "another import is importing"),
    (status = 413, description = "over 20 MiB"), (status = 415, description = "not .csv or .txt")))]
async fn create_import(
    State(service): State<Shared>,
    caller: Caller,
    Body(request): Body<CreateImport>,
) -> Result<Response, ServiceError> {
    let (record, upload) = service.create_import(&caller, request).await?;
    Ok((
        StatusCode::CREATED,
        axum::Json(ImportView::new(&record, Some(upload))),
    )
        .into_response())
}

#[utoipa::path(get, path = "/v1/imports", security(("bearer" = [])),
    params(("limit" = Option<i32>, Query), ("cursor" = Option<String>, Query)),
    responses((status = 200, body = ImportPage, description = "newest first")))]
async fn list_imports(
    State(service): State<Shared>,
    caller: Caller,
    Query(query): Query<HashMap<String, String>>,
) -> Result<axum::Json<ImportPage>, ServiceError> {
    let limit = query
        .get("limit")
        .map(|l| {
            l.parse::<i32>().map_err(|_| {
                ServiceError::bad_request("invalid_query", "limit must be a number from 1 to 100")
            })
        })
        .transpose()?;
    let page = service
        .history(&caller, limit, query.get("cursor").map(String::as_str))
        .await?;
    Ok(axum::Json(page))
}

#[utoipa::path(get, path = "/v1/imports/{id}", security(("bearer" = [])), params(("id" = String, Path)),
    responses((status = 200, body = ImportView), (status = 404)))]
async fn get_import(
    State(service): State<Shared>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<axum::Json<ImportView>, ServiceError> {
    let record = service.import(&caller, &id).await?;
    Ok(axum::Json(ImportView::new(&record, None)))
}

#[utoipa::path(patch, path = "/v1/imports/{id}", security(("bearer" = [])), params(("id" = String, Path)),
    request_body = PatchImport,
    responses((status = 200, body = ImportView, description = "validating again"), (status = 400), (status = 404),
        (status = 409, description = "not in review"), (status = 410, description = "session expired")))]
async fn patch_import(
    State(service): State<Shared>,
    caller: Caller,
    Path(id): Path<String>,
    Body(patch): Body<PatchImport>,
) -> Result<axum::Json<ImportView>, ServiceError> {
    let record = service.change_options(&caller, &id, patch.options).await?;
    Ok(axum::Json(ImportView::new(&record, None)))
}

#[utoipa::path(delete, path = "/v1/imports/{id}", security(("bearer" = [])), params(("id" = String, Path)),
    responses((status = 200, body = ImportView, description = "cancelled"), (status = 404),
        (status = 409, description = "importing or already ended")))]
async fn cancel_import(
    State(service): State<Shared>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<axum::Json<ImportView>, ServiceError> {
    let record = service.cancel(&caller, &id).await?;
    Ok(axum::Json(ImportView::new(&record, None)))
}

#[utoipa::path(post, path = "/v1/imports/{id}/confirm", security(("bearer" = [])), params(("id" = String, Path)),
    responses((status = 200, body = ImportView, description = "importing"), (status = 404),
        (status = 409, description = "not in review, or another import is importing"),
        (status = 410, description = "session expired")))]
async fn confirm_import(
    State(service): State<Shared>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<axum::Json<ImportView>, ServiceError> {
    let record = service.confirm(&caller, &id).await?;
    Ok(axum::Json(ImportView::new(&record, None)))
}

#[utoipa::path(get, path = "/v1/imports/{id}/errors", security(("bearer" = [])), params(("id" = String, Path)),
    responses((status = 302, description = "to a presigned URL of the error file"), (status = 404)))]
async fn errors_file(
    State(service): State<Shared>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Response, ServiceError> {
    Ok(redirect(service.errors_link(&caller, &id).await?))
}

#[utoipa::path(get, path = "/v1/imports/{id}/result", security(("bearer" = [])), params(("id" = String, Path)),
    responses((status = 302, description = "to a presigned URL of the result file"), (status = 404),
        (status = 409, description = "not completed"), (status = 410, description = "older than 7 days")))]
async fn result_file(
    State(service): State<Shared>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Response, ServiceError> {
    Ok(redirect(service.result_link(&caller, &id).await?))
}

#[derive(OpenApi)]
#[openapi(
    info(title = "Contact import API", version = "1"),
    paths(health, create_import, list_imports, get_import, patch_import, cancel_import,
        confirm_import, errors_file, result_file),
    components(schemas(ImportView, CreateImport, PatchImport, ImportPage)),
    modifiers(&BearerAuth)
)]
pub struct ApiDoc;

struct BearerAuth;

impl utoipa::Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("JWT")
                    .build(),
            ),
        );
    }
}
