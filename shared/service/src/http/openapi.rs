//! The OpenAPI document: every route module's operations in one, each
//! completed with the answers every route shares, and the links from each
//! created resource to the operations on it. Served at
//! `GET /v1/openapi.json`.

use axum::Router;
use axum::routing::get;
use utoipa::OpenApi;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};

use super::app::Shared;
use super::bulk::BulkApi;
use super::contacts::ContactsApi;
use super::errors::{ErrorBody, ErrorDetail};
use super::groups::GroupsApi;
use super::health::{__path_health, Health};
use super::imports::ImportsApi;
use super::merges::MergesApi;
use super::workspace::WorkspaceApi;

pub(super) fn routes() -> Router<Shared> {
    Router::new().route("/v1/openapi.json", get(openapi))
}

#[utoipa::path(get, path = "/v1/openapi.json", summary = "This document", responses(
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
    doc.merge(ImportsApi::openapi());
    doc.merge(ContactsApi::openapi());
    doc.merge(MergesApi::openapi());
    doc.merge(BulkApi::openapi());
    doc.merge(GroupsApi::openapi());
    doc.merge(WorkspaceApi::openapi());
    utoipa::Modify::modify(&SharedAnswers, &mut doc);
    doc
}

#[derive(OpenApi)]
#[openapi(
    info(title = "Contact import API", version = "1",
        description = "Contacts for messaging inboxes, and their import from spreadsheet exports: create an import, PUT the file to the presigned URL it gives, read the review, change the options with PATCH, confirm, and download the result file.\n\nErrors are `{\"error\": {\"code\", \"message\"}}`, the code stable for programs, the message in plain words. Query parameters a route does not declare answer 400 `invalid_query`. Tokens are HS256 JSON Web Tokens (`workspace_id`, `role`, `exp`) sent as `Authorization: Bearer`; a token is still taken up to 60 seconds past its `exp`, for clocks that differ. Listing cursors are opaque and URL-safe: pass them back as given."),
    paths(health, openapi),
    components(schemas(Health, ErrorBody, ErrorDetail)),
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
            "review_rows",
            "correct_rows",
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
            "merge_contacts",
            "contact_activity",
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
                let responses = &mut operation.responses.responses;
                let mut declare = |status: &str, description: &str| {
                    responses.entry(status.to_string()).or_insert_with(|| {
                        RefOr::T(ResponseBuilder::new().description(description).build())
                    });
                };
                declare(
                    "400",
                    "invalid_body, invalid_path or invalid_query: the request cannot be read (a query parameter the route does not declare, say)",
                );
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
                declare(
                    "405",
                    "method_not_allowed: the path does not take the method (Allow lists those it takes)",
                );
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
                    if status == "405" {
                        answer
                            .headers
                            .entry("Allow".to_string())
                            .or_insert_with(|| {
                                HeaderBuilder::new()
                                    .schema(ObjectBuilder::new().schema_type(Type::String))
                                    .description(Some("the methods the path takes"))
                                    .build()
                            });
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
    use super::*;

    #[test]
    fn a_history_entrys_values_may_be_of_any_type() {
        let doc = served_doc();
        let change = &doc["components"]["schemas"]["FieldChange"]["properties"];
        for side in ["before", "after"] {
            assert!(
                change[side].get("type").is_none(),
                "{side}: {}",
                change[side]
            );
        }
    }

    #[test]
    fn every_reference_names_a_schema_the_document_holds() {
        fn refs(value: &serde_json::Value, found: &mut Vec<String>) {
            match value {
                serde_json::Value::Object(map) => {
                    if let Some(serde_json::Value::String(r)) = map.get("$ref") {
                        found.push(r.clone());
                    }
                    map.values().for_each(|v| refs(v, found));
                }
                serde_json::Value::Array(items) => items.iter().for_each(|v| refs(v, found)),
                _ => {}
            }
        }
        let doc = served_doc();
        let mut found = Vec::new();
        refs(&doc, &mut found);
        assert!(!found.is_empty());
        for reference in found {
            let name = reference
                .strip_prefix("#/components/schemas/")
                .unwrap_or_else(|| panic!("{reference}"));
            assert!(
                doc["components"]["schemas"].get(name).is_some(),
                "{reference} is not in the document"
            );
        }
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
        let about = doc["info"]["description"].as_str().unwrap();
        assert!(
            about.contains(&format!(
                "{} seconds past its `exp`",
                super::super::auth::TOKEN_LEEWAY_SECS
            )),
            "the token leeway is stated: {about}"
        );
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
