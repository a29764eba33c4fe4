//! Query parameters a route does not declare are refused, on every route
//! alike: the OpenAPI document says which each operation takes, so a
//! misspelt `limt=` or a filter a route does not have is never ignored
//! without a word.

use std::collections::HashMap;
use std::sync::LazyLock;

use axum::extract::{MatchedPath, Query, Request};
use axum::middleware::Next;
use axum::response::Response;

use super::errors::ApiError;

/// The query parameters each operation declares in the OpenAPI document,
/// by method and path template.
static DECLARED_QUERY: LazyLock<HashMap<(String, String), Vec<String>>> = LazyLock::new(|| {
    let doc = super::openapi::served_doc();
    let mut declared = HashMap::new();
    for (path, item) in doc["paths"].as_object().into_iter().flatten() {
        for (method, operation) in item.as_object().into_iter().flatten() {
            let names = operation["parameters"]
                .as_array()
                .into_iter()
                .flatten()
                .filter(|p| p["in"] == "query")
                .filter_map(|p| p["name"].as_str().map(str::to_string))
                .collect();
            declared.insert((method.to_uppercase(), path.clone()), names);
        }
    }
    declared
});

/// Refuses, on every route alike, a query parameter the route does not
/// declare in the document (400 `invalid_query`): a misspelt `limt=` or a
/// filter the route does not have would otherwise be ignored without a
/// word. A query string that cannot be read is left to the route.
pub(super) async fn declared_query_only(
    matched: Option<MatchedPath>,
    request: Request,
    next: Next,
) -> Result<Response, ApiError> {
    let (Some(matched), Some(_)) = (matched, request.uri().query()) else {
        return Ok(next.run(request).await);
    };
    let key = (
        request.method().as_str().to_string(),
        matched.as_str().to_string(),
    );
    let Some(declared) = DECLARED_QUERY.get(&key) else {
        return Ok(next.run(request).await);
    };
    if let Ok(Query(given)) = Query::<Vec<(String, String)>>::try_from_uri(request.uri())
        && let Some((name, _)) = given.iter().find(|(name, _)| !declared.contains(name))
    {
        let name: String = name.chars().take(40).collect();
        let takes = match declared.as_slice() {
            [] => "this route takes none".to_string(),
            [one] => format!("this route takes {one}"),
            [rest @ .., last] => format!("use {} or {last}", rest.join(", ")),
        };
        return Err(ApiError::bad_request(
            "invalid_query",
            format!("unknown query parameter \"{name}\": {takes}"),
        ));
    }
    Ok(next.run(request).await)
}
