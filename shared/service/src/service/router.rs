//! The HTTP API: one axum `Router` that serves API Gateway (through
//! `lambda_http`) and the local stack's loopback port alike. Every answer
//! that is not a success is `{"error": {"code", "message"}}`: the service's
//! own errors, the extractors' refusals (body, path, query) and, through one
//! layer, whatever axum answers by itself.

use std::collections::HashMap;
use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, FromRequest, FromRequestParts, Path, Query, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde::de::DeserializeOwned;
use utoipa::OpenApi;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};

use super::Service;
use super::auth::Caller;
use super::error::{ErrorBody, ErrorDetail, ServiceError};
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
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .layer(axum::middleware::map_response(json_errors))
        .with_state(service)
}

/// The largest request body read: settings, a contact or import options
/// are a few kilobytes; files go to S3 through presigned URLs, never here.
pub const MAX_BODY_BYTES: usize = 1024 * 1024;

fn error(status: StatusCode, code: &str, message: &str) -> Response {
    (status, axum::Json(ErrorBody::new(code, message))).into_response()
}

/// Whether a `Content-Type` names JSON: `application/json` or a
/// `application/…+json` type, with any parameters.
fn is_json(content_type: &HeaderValue) -> bool {
    let Ok(text) = content_type.to_str() else {
        return false;
    };
    let essence = text.split(';').next().unwrap_or("").trim();
    let Some((kind, subtype)) = essence.split_once('/') else {
        return false;
    };
    kind.eq_ignore_ascii_case("application")
        && (subtype.eq_ignore_ascii_case("json")
            || subtype.len() > 5
                && subtype.as_bytes()[subtype.len() - 5..].eq_ignore_ascii_case(b"+json"))
}

/// Answers axum writes by itself (a rejection no extractor here maps, a
/// layer's refusal) are plain text; every error answer leaves in the API's
/// error shape, with its status and headers kept and axum's words as the
/// message.
async fn json_errors(response: Response) -> Response {
    let status = response.status();
    let already_json = response
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(is_json);
    if !(status.is_client_error() || status.is_server_error()) || already_json {
        return response;
    }
    let (parts, body) = response.into_parts();
    let text = axum::body::to_bytes(body, 4096)
        .await
        .map(|b| String::from_utf8_lossy(&b).trim().to_string())
        .unwrap_or_default();
    let message = if text.is_empty() {
        status
            .canonical_reason()
            .unwrap_or("the request was refused")
            .to_lowercase()
    } else {
        text
    };
    let mut answer = error(status, status_code(status), &message);
    keep_headers(&parts.headers, answer.headers_mut());
    answer
}

/// The error code of an answer whose status is all that is known.
fn status_code(status: StatusCode) -> &'static str {
    match status {
        StatusCode::BAD_REQUEST => "bad_request",
        StatusCode::UNAUTHORIZED => "unauthorized",
        StatusCode::FORBIDDEN => "forbidden",
        StatusCode::NOT_FOUND => "not_found",
        StatusCode::METHOD_NOT_ALLOWED => "method_not_allowed",
        StatusCode::PAYLOAD_TOO_LARGE => "body_too_large",
        StatusCode::UNSUPPORTED_MEDIA_TYPE => "unsupported_media_type",
        StatusCode::UNPROCESSABLE_ENTITY => "invalid_body",
        StatusCode::TOO_MANY_REQUESTS => "too_many_requests",
        s if s.is_server_error() => "service_unavailable",
        _ => "invalid_request",
    }
}

/// The headers an error answer keeps when its body is rewritten: those that
/// tell the caller what to do next.
fn keep_headers(from: &HeaderMap, to: &mut HeaderMap) {
    for name in [header::ALLOW, header::WWW_AUTHENTICATE, header::RETRY_AFTER] {
        if let Some(value) = from.get(&name) {
            to.insert(name, value.clone());
        }
    }
}

impl IntoResponse for ServiceError {
    fn into_response(self) -> Response {
        let status = StatusCode::from_u16(self.status()).unwrap_or(StatusCode::SERVICE_UNAVAILABLE);
        if status.is_server_error() {
            // The store's words may quote an item: masked.
            tracing::error!(
                status = status.as_u16(),
                code = self.code(),
                error = %contact_engine::mask::scrub(&self.to_string()),
                "api: request failed"
            );
        } else {
            // A refusal's words may quote the value refused: masked.
            tracing::info!(
                status = status.as_u16(),
                code = self.code(),
                reason = %contact_engine::mask::scrub(&self.to_string()),
                "api: request refused"
            );
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
        service
            .config
            .authentication
            .caller(&service.config.keys, parts)
    }
}

/// A JSON object body. A body over `MAX_BODY_BYTES` answers 413, one
/// declared as another media type 415, and every other flaw 400, all in the
/// API's error shape. A body sent without a `Content-Type` is read as JSON.
pub(super) struct Body<T>(pub(super) T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for Body<T> {
    type Rejection = ServiceError;

    async fn from_request(request: Request, state: &S) -> Result<Self, Self::Rejection> {
        if let Some(declared) = request.headers().get(header::CONTENT_TYPE)
            && !is_json(declared)
        {
            let declared: String = String::from_utf8_lossy(declared.as_bytes())
                .chars()
                .take(80)
                .collect();
            return Err(ServiceError::NotJson(format!(
                "the body must be JSON (Content-Type: application/json), not {declared}"
            )));
        }
        let bytes = Bytes::from_request(request, state)
            .await
            .map_err(|e| match e.status() {
                StatusCode::PAYLOAD_TOO_LARGE => ServiceError::BodyTooLarge(MAX_BODY_BYTES),
                _ => ServiceError::bad_request("invalid_body", e.body_text()),
            })?;
        // Every body the API takes is an object; serde would read a struct
        // from an array too, field by field in order.
        if bytes.iter().find(|b| !b.is_ascii_whitespace()) != Some(&b'{') {
            return Err(ServiceError::bad_request(
                "invalid_body",
                "the body must be a JSON object",
            ));
        }
        serde_json::from_slice(&bytes).map(Body).map_err(|e| {
            ServiceError::bad_request(
                "invalid_body",
                format!("the body is not the JSON expected: {e}"),
            )
        })
    }
}

/// A path's `{id}`; one that cannot be read (bad percent-encoding, not
/// UTF-8) answers 400 `invalid_path`.
pub(super) struct Id(pub(super) String);

impl<S: Send + Sync> FromRequestParts<S> for Id {
    type Rejection = ServiceError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        Path::<String>::from_request_parts(parts, state)
            .await
            .map(|Path(id)| Id(id))
            .map_err(|e| ServiceError::bad_request("invalid_path", e.body_text()))
    }
}

/// A query string as name → value; one that cannot be read answers 400
/// `invalid_query`.
pub(super) struct Params(pub(super) HashMap<String, String>);

impl<S: Send + Sync> FromRequestParts<S> for Params {
    type Rejection = ServiceError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        Query::<HashMap<String, String>>::from_request_parts(parts, state)
            .await
            .map(|Query(params)| Params(params))
            .map_err(|e| ServiceError::bad_request("invalid_query", e.body_text()))
    }
}

/// Where a file link points; the same URL is in `Location`.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct FileLink {
    pub url: String,
}

fn redirect(url: String) -> Response {
    let mut response =
        (StatusCode::FOUND, axum::Json(FileLink { url: url.clone() })).into_response();
    if let Ok(location) = HeaderValue::from_str(&url) {
        response.headers_mut().insert(header::LOCATION, location);
    }
    response
}

#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct Health {
    /// `ok`.
    pub status: String,
}

#[utoipa::path(get, path = "/v1/health", responses(
    (status = 200, body = Health, description = "table, bucket and queues answer"),
    (status = 503, description = "service_unavailable: one of them does not")))]
async fn health(State(service): State<Shared>) -> Result<axum::Json<Health>, ServiceError> {
    service.table.reachable().await?;
    service.bucket.reachable().await?;
    service.uploads.reachable().await?;
    service.rows.reachable().await?;
    service.jobs.reachable().await?;
    Ok(axum::Json(Health {
        status: "ok".to_string(),
    }))
}

#[utoipa::path(get, path = "/v1/openapi.json", responses(
    (status = 200, body = Object, description = "this document (OpenAPI 3.1)")))]
async fn openapi() -> axum::Json<serde_json::Value> {
    axum::Json(served_doc())
}

/// The document as served: `api_doc()` with the links from each created
/// resource to the operations on it, so that a client (or a stateful test
/// run) can follow an id that exists. They are written here, as JSON,
/// because utoipa 5 serialises a link's `operationId` as `operation_id`.
pub fn served_doc() -> serde_json::Value {
    let mut doc = serde_json::to_value(api_doc()).unwrap_or_default();
    let Some(paths) = doc.get_mut("paths").and_then(|p| p.as_object_mut()) else {
        return doc;
    };
    for operation in paths
        .values_mut()
        .filter_map(|item| item.as_object_mut())
        .flat_map(|item| item.values_mut())
    {
        let creator = operation.get("operationId").and_then(|id| id.as_str());
        let Some((_, status, targets)) = LINKS.iter().find(|(id, _, _)| creator == Some(*id))
        else {
            continue;
        };
        let links: serde_json::Map<String, serde_json::Value> = targets
            .iter()
            .map(|target| {
                let link = serde_json::json!({
                    "operationId": target,
                    "parameters": {"id": "$response.body#/id"},
                });
                (target.to_string(), link)
            })
            .collect();
        if let Some(answer) = operation.pointer_mut(&format!("/responses/{status}")) {
            answer["links"] = serde_json::Value::Object(links);
        }
    }
    doc
}

/// The OpenAPI document: every module's routes in one, each operation
/// completed with the answers every route shares.
pub fn api_doc() -> utoipa::openapi::OpenApi {
    let mut doc = ApiDoc::openapi();
    doc.merge(contact_routes::ContactsApi::openapi());
    doc.merge(workspace_routes::WorkspaceApi::openapi());
    utoipa::Modify::modify(&SharedAnswers, &mut doc);
    doc
}

#[utoipa::path(post, path = "/v1/imports", security(("bearer" = [])),
    request_body(content = CreateImport,
        example = json!({"file_name": "clientes.csv", "size_bytes": 745, "options": {"default_country": "EC"}})),
    responses(
    (status = 201, body = ImportView, description = "created, with the presigned upload"),
    (status = 400, description = "invalid_body, invalid_file_name, empty_file or invalid_options"),
    (status = 403, description = "forbidden: needs the owner or manager role"),
    (status = 409, description = "import_in_progress: another import of the workspace is importing"),
    (status = 413, description = "file_too_large: size_bytes over 20 MiB; body_too_large: the body over 1 MiB"),
    (status = 415, description = "unsupported_file_type: not .csv or .txt; unsupported_media_type: the body is not JSON")))]
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

/// Imports per page unless `limit` says otherwise, and at most.
const IMPORTS_PAGE: (i32, i32) = (20, 100);

#[utoipa::path(get, path = "/v1/imports", security(("bearer" = [])),
    params(
        ("limit" = Option<i32>, Query, minimum = 1, maximum = 100, description = "page size, 1 to 100; 20 when not given"),
        ("cursor" = Option<String>, Query, min_length = 1, description = "the cursor of the previous page")),
    responses((status = 200, body = ImportPage, description = "newest first"),
        (status = 400, description = "invalid_query: a bad limit; invalid_cursor"),
        (status = 403, description = "forbidden: needs the owner or manager role")))]
async fn list_imports(
    State(service): State<Shared>,
    caller: Caller,
    Params(query): Params,
) -> Result<axum::Json<ImportPage>, ServiceError> {
    let limit = query
        .get("limit")
        .map(|l| {
            l.trim()
                .parse::<i32>()
                .ok()
                .filter(|l| (1..=IMPORTS_PAGE.1).contains(l))
                .ok_or_else(|| {
                    ServiceError::bad_request(
                        "invalid_query",
                        format!("limit must be a number from 1 to {}", IMPORTS_PAGE.1),
                    )
                })
        })
        .transpose()?;
    let page = service
        .history(
            &caller,
            Some(limit.unwrap_or(IMPORTS_PAGE.0)),
            query.get("cursor").map(String::as_str),
        )
        .await?;
    Ok(axum::Json(page))
}

#[utoipa::path(get, path = "/v1/imports/{id}", security(("bearer" = [])), params(("id" = String, Path)),
    responses((status = 200, body = ImportView),
        (status = 403, description = "forbidden: needs the owner or manager role"),
        (status = 404, description = "not_found, or another workspace's")))]
async fn get_import(
    State(service): State<Shared>,
    caller: Caller,
    Id(id): Id,
) -> Result<axum::Json<ImportView>, ServiceError> {
    let record = service.import(&caller, &id).await?;
    Ok(axum::Json(ImportView::new(&record, None)))
}

#[utoipa::path(patch, path = "/v1/imports/{id}", security(("bearer" = [])), params(("id" = String, Path)),
    request_body(content = PatchImport, example = json!({"options": {"purpose": "add_new", "tags": ["feria"]}})),
    responses((status = 200, body = ImportView, description = "validating again"),
        (status = 400, description = "invalid_body or invalid_options"),
        (status = 403, description = "forbidden: needs the owner or manager role"),
        (status = 404, description = "not_found, or another workspace's"),
        (status = 409, description = "not_in_review"), (status = 410, description = "session_expired")))]
async fn patch_import(
    State(service): State<Shared>,
    caller: Caller,
    Id(id): Id,
    Body(patch): Body<PatchImport>,
) -> Result<axum::Json<ImportView>, ServiceError> {
    let record = service.change_options(&caller, &id, patch.options).await?;
    Ok(axum::Json(ImportView::new(&record, None)))
}

#[utoipa::path(delete, path = "/v1/imports/{id}", security(("bearer" = [])), params(("id" = String, Path)),
    responses((status = 200, body = ImportView, description = "cancelled"),
        (status = 403, description = "forbidden: needs the owner or manager role"),
        (status = 404, description = "not_found, or another workspace's"),
        (status = 409, description = "not_cancellable: importing or already ended")))]
async fn cancel_import(
    State(service): State<Shared>,
    caller: Caller,
    Id(id): Id,
) -> Result<axum::Json<ImportView>, ServiceError> {
    let record = service.cancel(&caller, &id).await?;
    Ok(axum::Json(ImportView::new(&record, None)))
}

#[utoipa::path(post, path = "/v1/imports/{id}/confirm", security(("bearer" = [])), params(("id" = String, Path)),
    responses((status = 200, body = ImportView, description = "importing"),
        (status = 403, description = "forbidden: needs the owner or manager role"),
        (status = 404, description = "not_found, or another workspace's"),
        (status = 409, description = "not_in_review, or import_in_progress: another import is importing"),
        (status = 410, description = "session_expired")))]
async fn confirm_import(
    State(service): State<Shared>,
    caller: Caller,
    Id(id): Id,
) -> Result<axum::Json<ImportView>, ServiceError> {
    let record = service.confirm(&caller, &id).await?;
    Ok(axum::Json(ImportView::new(&record, None)))
}

#[utoipa::path(get, path = "/v1/imports/{id}/errors", security(("bearer" = [])), params(("id" = String, Path)),
    responses((status = 302, body = FileLink, description = "to a presigned URL of the error file",
            headers(("Location" = String, description = "the same URL"))),
        (status = 403, description = "forbidden: needs the owner or manager role"),
        (status = 404, description = "not_found: no such import, or no review yet")))]
async fn errors_file(
    State(service): State<Shared>,
    caller: Caller,
    Id(id): Id,
) -> Result<Response, ServiceError> {
    Ok(redirect(service.errors_link(&caller, &id).await?))
}

#[utoipa::path(get, path = "/v1/imports/{id}/result", security(("bearer" = [])), params(("id" = String, Path)),
    responses((status = 302, body = FileLink, description = "to a presigned URL of the result file",
            headers(("Location" = String, description = "the same URL"))),
        (status = 403, description = "forbidden: needs the owner or manager role"),
        (status = 404, description = "not_found, or another workspace's"),
        (status = 409, description = "result_not_ready: not completed"),
        (status = 410, description = "result_expired: older than 7 days")))]
async fn result_file(
    State(service): State<Shared>,
    caller: Caller,
    Id(id): Id,
) -> Result<Response, ServiceError> {
    Ok(redirect(service.result_link(&caller, &id).await?))
}

#[derive(OpenApi)]
#[openapi(
    info(title = "Contact import API", version = "1",
        description = "The contact-import domain (file reading, mapping, normalisation, classification, files) and the service around it: DynamoDB, S3 and SQS adapters, the HTTP router and the Lambda handlers."),
    paths(health, openapi, create_import, list_imports, get_import, patch_import, cancel_import,
        confirm_import, errors_file, result_file),
    components(schemas(ImportView, CreateImport, PatchImport, ImportPage, FileLink, Health,
        ErrorBody, ErrorDetail)),
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

/// The answers routes share, declared once: a request that cannot be read
/// (400), a missing or bad token (401), a body over the limit (413) or not
/// JSON (415), a store that does not answer (503); and every error answer's
/// body is the `Error` schema.
struct SharedAnswers;

/// The operation creating a resource and its status → the operations
/// taking that resource's `id`. An import's file links are left out: a new
/// import has no file yet, and a link promises the resource is there.
const LINKS: [(&str, &str, &[&str]); 3] = [
    (
        "create_import",
        "201",
        &[
            "get_import",
            "patch_import",
            "cancel_import",
            "confirm_import",
        ],
    ),
    (
        "create_contact",
        "201",
        &[
            "get_contact",
            "update_contact",
            "delete_contact",
            "add_tags",
            "remove_tags",
            "merge_suggestions",
        ],
    ),
    ("create_export", "202", &["get_export"]),
];

impl utoipa::Modify for SharedAnswers {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::{
            ContentBuilder, HeaderBuilder, Ref, RefOr, ResponseBuilder, Type, schema::ObjectBuilder,
        };
        let error_content = || {
            ContentBuilder::new()
                .schema(Some(Ref::from_schema_name("Error")))
                .build()
        };
        for item in openapi.paths.paths.values_mut() {
            let operations = [
                &mut item.get,
                &mut item.put,
                &mut item.post,
                &mut item.delete,
                &mut item.patch,
            ];
            for operation in operations.into_iter().flatten() {
                let secured = operation.security.as_ref().is_some_and(|s| !s.is_empty());
                let takes_body = operation.request_body.is_some();
                let has_params = operation.parameters.as_ref().is_some_and(|p| !p.is_empty());
                let responses = &mut operation.responses.responses;
                let mut declare = |status: &str, description: &str| {
                    responses.entry(status.to_string()).or_insert_with(|| {
                        RefOr::T(ResponseBuilder::new().description(description).build())
                    });
                };
                if takes_body || has_params {
                    declare(
                        "400",
                        "invalid_body, invalid_path or invalid_query: the request cannot be read",
                    );
                }
                if secured {
                    declare(
                        "401",
                        "unauthorized: no token, or one malformed, expired or signed with another key",
                    );
                    declare(
                        "503",
                        "service_unavailable: the store did not answer; try again",
                    );
                }
                if takes_body {
                    declare("413", "body_too_large: the body is over 1 MiB");
                    declare(
                        "415",
                        "unsupported_media_type: the body is declared as something other than JSON",
                    );
                }
                for (status, answer) in responses.iter_mut() {
                    let RefOr::T(answer) = answer else { continue };
                    let is_error = status.starts_with('4') || status.starts_with('5');
                    if is_error && answer.content.is_empty() {
                        answer
                            .content
                            .insert("application/json".to_string(), error_content());
                    }
                    if status == "401" {
                        answer
                            .headers
                            .entry("WWW-Authenticate".to_string())
                            .or_insert_with(|| {
                                HeaderBuilder::new()
                                    .schema(ObjectBuilder::new().schema_type(Type::String))
                                    .description(Some("Bearer"))
                                    .build()
                            });
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use axum::body::Body as HttpBody;
    use tower::ServiceExt;

    use super::*;

    #[test]
    fn json_is_told_by_its_media_type() {
        for json in [
            "application/json",
            "application/json; charset=utf-8",
            "Application/JSON",
            "application/merge-patch+json",
        ] {
            assert!(is_json(&HeaderValue::from_static(json)), "{json}");
        }
        for other in [
            "text/plain",
            "application/x-www-form-urlencoded",
            "multipart/form-data; boundary=x",
            "json",
            "application/jsonp",
            "application/+json",
            "",
        ] {
            assert!(!is_json(&HeaderValue::from_static(other)), "{other}");
        }
    }

    async fn body_of(response: Response) -> serde_json::Value {
        let bytes = axum::body::to_bytes(response.into_body(), 1 << 20)
            .await
            .unwrap();
        serde_json::from_slice(&bytes).unwrap()
    }

    #[tokio::test]
    async fn answers_axum_writes_in_plain_text_leave_in_the_error_shape() {
        let app = Router::new()
            .route(
                "/plain",
                get(|| async { (StatusCode::BAD_REQUEST, "Failed to parse the thing") }),
            )
            .route(
                "/empty",
                get(|| async { (StatusCode::PAYLOAD_TOO_LARGE, [(header::RETRY_AFTER, "5")]) }),
            )
            .route("/ok", get(|| async { "fine" }))
            .layer(axum::middleware::map_response(json_errors));
        let call = |path: &str| {
            let request = Request::get(path).body(HttpBody::empty()).unwrap();
            app.clone().oneshot(request)
        };

        let plain = call("/plain").await.unwrap();
        assert_eq!(plain.status(), StatusCode::BAD_REQUEST);
        let body = body_of(plain).await;
        assert_eq!(
            body,
            serde_json::json!({"error": {"code": "bad_request", "message": "Failed to parse the thing"}})
        );

        let empty = call("/empty").await.unwrap();
        assert_eq!(empty.status(), StatusCode::PAYLOAD_TOO_LARGE);
        assert_eq!(empty.headers()[header::RETRY_AFTER], "5");
        let body = body_of(empty).await;
        assert_eq!(body["error"]["code"], "body_too_large");
        assert_eq!(body["error"]["message"], "payload too large");

        // Successes pass untouched.
        let fine = call("/ok").await.unwrap();
        assert_eq!(fine.status(), StatusCode::OK);
        let bytes = axum::body::to_bytes(fine.into_body(), 64).await.unwrap();
        assert_eq!(&bytes[..], b"fine");
    }

    #[test]
    fn every_error_the_document_declares_has_the_error_shape() {
        let doc = served_doc();
        let mut operations = 0;
        for (path, item) in doc["paths"].as_object().unwrap() {
            for (method, operation) in item.as_object().unwrap() {
                operations += 1;
                let responses = operation["responses"].as_object().unwrap();
                let secured = operation.get("security").is_some();
                if secured {
                    for status in ["401", "503"] {
                        assert!(responses.contains_key(status), "{method} {path} {status}");
                    }
                }
                if operation.get("requestBody").is_some() {
                    for status in ["400", "413", "415"] {
                        assert!(responses.contains_key(status), "{method} {path} {status}");
                    }
                }
                for (status, answer) in responses {
                    if status.starts_with('4') || status.starts_with('5') {
                        assert_eq!(
                            answer["content"]["application/json"]["schema"]["$ref"],
                            "#/components/schemas/Error",
                            "{method} {path} {status}"
                        );
                    }
                }
            }
        }
        assert!(operations >= 22, "{operations} operations");
        let error = &doc["components"]["schemas"]["Error"];
        assert_eq!(error["required"], serde_json::json!(["error"]));
        // Links name operations that exist.
        let ids: Vec<&str> = doc["paths"]
            .as_object()
            .unwrap()
            .values()
            .flat_map(|item| item.as_object().unwrap().values())
            .filter_map(|operation| operation["operationId"].as_str())
            .collect();
        for (creator, status, targets) in LINKS {
            let operation = doc["paths"]
                .as_object()
                .unwrap()
                .values()
                .flat_map(|item| item.as_object().unwrap().values())
                .find(|operation| operation["operationId"] == creator)
                .unwrap_or_else(|| panic!("no operation {creator}"));
            let links = &operation["responses"][status]["links"];
            for target in targets {
                assert!(ids.contains(target), "{target}");
                assert_eq!(links[target]["operationId"], *target, "{creator}");
                assert_eq!(links[target]["parameters"]["id"], "$response.body#/id");
            }
        }
    }
}
