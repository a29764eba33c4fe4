//! The HTTP API: one axum `Router` that serves API Gateway (through
//! `lambda_http`) and the local stack's loopback port alike. Every route
//! takes the verified caller and hands the operations typed values; every
//! answer that is not a success is `{"error": {"code", "message"}}`.

pub mod app;
pub mod auth;
mod bulk;
mod contacts;
pub mod cors;
pub mod errors;
pub mod extract;
mod groups;
mod health;
mod imports;
mod merges;
pub mod openapi;
mod query;
pub mod views;
mod workspace;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::extract::Request;
use axum::http::{Method, StatusCode, header};
use tower::ServiceExt;

pub use app::{App, Shared};
pub use extract::MAX_BODY_BYTES;

/// The service's routes.
pub fn router(app: Shared) -> Router {
    let cors = app.cors.layer();
    let router = Router::new()
        .merge(health::routes())
        .merge(openapi::routes())
        .merge(imports::routes())
        .merge(contacts::routes())
        .merge(merges::routes())
        .merge(bulk::routes())
        .merge(groups::routes())
        .merge(workspace::routes())
        .route_layer(axum::middleware::from_fn(query::declared_query_only))
        .fallback(|| async { errors::error(StatusCode::NOT_FOUND, "not_found", "no such route") })
        .method_not_allowed_fallback(|| async {
            errors::error(
                StatusCode::METHOD_NOT_ALLOWED,
                "method_not_allowed",
                "this route does not take that method",
            )
        })
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .layer(axum::middleware::map_response(errors::json_errors))
        .with_state(app);
    // Outermost: a preflight is answered before any route sees it, and
    // every answer, refusals included, carries the headers a page needs to
    // read it. An `OPTIONS` that is no preflight (no
    // `Access-Control-Request-Method`) is a method no route takes: 405, as
    // without CORS.
    let Some(cors) = cors else {
        return router;
    };
    let plain = router.clone();
    let marked = router.layer(cors);
    Router::new().fallback_service(tower::service_fn(move |request: Request| {
        let preflight = request.method() == Method::OPTIONS
            && request
                .headers()
                .contains_key(header::ACCESS_CONTROL_REQUEST_METHOD);
        let plain_options = request.method() == Method::OPTIONS && !preflight;
        let to = if plain_options {
            plain.clone()
        } else {
            marked.clone()
        };
        to.oneshot(request)
    }))
}
