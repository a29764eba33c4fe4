//! API.md's promise for malformed requests, through HTTP on the local
//! stack: whatever is wrong with a request (its JSON, its content type, its
//! query, its path, its route or method, its size, its token), the answer
//! is a 4xx in the error shape `{"error": {"code", "message"}}`, never a
//! 5xx and never axum's plain text, and the OpenAPI document declares it.

use contact_service::http::MAX_BODY_BYTES;
use contact_service::http::auth::{Claims, Keys};
use contact_service::operations::Role;
use contacts::stack::local::DEFAULT_SECRET;
use end_to_end::shared;
use serde_json::Value;

/// One request and the refusal it must meet.
struct Case {
    method: &'static str,
    path: String,
    content_type: Option<&'static str>,
    body: Option<Vec<u8>>,
    status: u16,
    code: &'static str,
    /// The operation the document declares this answer for, when the route
    /// exists: (path template, method).
    operation: Option<(&'static str, &'static str)>,
}

fn case(method: &'static str, path: impl Into<String>, status: u16, code: &'static str) -> Case {
    Case {
        method,
        path: path.into(),
        content_type: None,
        body: None,
        status,
        code,
        operation: None,
    }
}

impl Case {
    fn json(mut self, body: &str) -> Self {
        self.content_type = Some("application/json");
        self.body = Some(body.as_bytes().to_vec());
        self
    }

    fn typed(mut self, content_type: &'static str, body: &[u8]) -> Self {
        self.content_type = Some(content_type);
        self.body = Some(body.to_vec());
        self
    }

    fn declared_by(mut self, template: &'static str, method: &'static str) -> Self {
        self.operation = Some((template, method));
        self
    }
}

/// An answer read raw: status, content type, headers, body as JSON.
struct Raw {
    status: u16,
    content_type: String,
    www_authenticate: Option<String>,
    allow: Option<String>,
    body: Value,
}

async fn send(
    method: &str,
    path: &str,
    authorization: Option<&str>,
    content_type: Option<&str>,
    body: Option<Vec<u8>>,
) -> Raw {
    let http = reqwest::Client::new();
    let url = format!("{}{path}", shared().api_url);
    let mut request = http.request(method.parse().unwrap(), url);
    if let Some(authorization) = authorization {
        request = request.header("authorization", authorization);
    }
    if let Some(content_type) = content_type {
        request = request.header("content-type", content_type);
    }
    if let Some(body) = body {
        request = request.body(body);
    }
    let response = request.send().await.unwrap();
    let header = |name: &str| {
        response
            .headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
    };
    let content_type = header("content-type").unwrap_or_default();
    let www_authenticate = header("www-authenticate");
    let allow = header("allow");
    let status = response.status().as_u16();
    let bytes = response.bytes().await.unwrap();
    let body = serde_json::from_slice(&bytes).unwrap_or_else(|_| {
        panic!(
            "{method} {path}: a JSON body (status {status}): {:?}",
            String::from_utf8_lossy(&bytes[..bytes.len().min(300)])
        )
    });
    Raw {
        status,
        content_type,
        www_authenticate,
        allow,
        body,
    }
}

/// `{"error": {"code", "message"}}` and nothing else: a snake_case code and
/// a message in words.
fn assert_error_shape(raw: &Raw, what: &str) {
    assert!(
        raw.content_type.starts_with("application/json"),
        "{what}: content type {:?}",
        raw.content_type
    );
    let outer = raw.body.as_object().expect("an object");
    assert_eq!(outer.len(), 1, "{what}: {}", raw.body);
    let error = raw.body["error"].as_object().expect("an error object");
    assert_eq!(error.len(), 2, "{what}: {}", raw.body);
    let code = error["code"].as_str().expect("a code");
    assert!(
        !code.is_empty()
            && code
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_'),
        "{what}: code {code:?}"
    );
    let message = error["message"].as_str().expect("a message");
    assert!(!message.trim().is_empty(), "{what}: {}", raw.body);
}

/// A token for the stack's key with any expiry, past ones included.
fn token_expiring_at(workspace: &str, exp: u64) -> String {
    let claims = Claims {
        workspace_id: workspace.to_string(),
        role: Role::Owner,
        email: None,
        exp,
    };
    jsonwebtoken::encode(
        &jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256),
        &claims,
        &jsonwebtoken::EncodingKey::from_secret(DEFAULT_SECRET.as_bytes()),
    )
    .unwrap()
}

fn now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_requests_answer_the_error_shape_and_the_document_declares_it() {
    let s = shared();
    let ws = "api-errors";
    let token = format!("Bearer {}", s.auth.keys.sign(ws, Role::Owner, 3600));
    let document = send("GET", "/v1/openapi.json", None, None, None).await.body;

    let oversized = vec![b' '; MAX_BODY_BYTES + 1];
    let cases = [
        // The body is not the JSON expected.
        case("POST", "/v1/contacts", 400, "invalid_body")
            .json("{\"first_name\": ")
            .declared_by("/v1/contacts", "post"),
        case("POST", "/v1/contacts", 400, "invalid_body")
            .json("[]")
            .declared_by("/v1/contacts", "post"),
        // serde would read a struct from an array, field by field.
        case("POST", "/v1/contacts", 400, "invalid_body")
            .json("[\"Ana\"]")
            .declared_by("/v1/contacts", "post"),
        case("POST", "/v1/contacts", 400, "invalid_body")
            .json("{\"first_name\": \"Ana\", \"age\": 3}")
            .declared_by("/v1/contacts", "post"),
        case("PUT", "/v1/settings", 400, "invalid_body")
            .json("{\"contact_limit\": -1}")
            .declared_by("/v1/settings", "put"),
        case("POST", "/v1/imports", 400, "invalid_body")
            .json("{\"file_name\": \"a.csv\"}")
            .declared_by("/v1/imports", "post"),
        case("POST", "/v1/imports", 400, "invalid_body")
            .json("")
            .declared_by("/v1/imports", "post"),
        case("POST", "/v1/exports", 400, "invalid_body")
            .typed("application/json", b"\xff\xfe{}")
            .declared_by("/v1/exports", "post"),
        // The body is declared as something other than JSON.
        case("POST", "/v1/contacts", 415, "unsupported_media_type")
            .typed("text/plain", b"{\"first_name\": \"Ana\"}")
            .declared_by("/v1/contacts", "post"),
        case("PUT", "/v1/settings", 415, "unsupported_media_type")
            .typed("application/x-www-form-urlencoded", b"default_country=EC")
            .declared_by("/v1/settings", "put"),
        case("POST", "/v1/imports", 415, "unsupported_media_type")
            .typed(
                "multipart/form-data; boundary=x",
                b"--x\r\n\r\nclientes.csv\r\n--x--",
            )
            .declared_by("/v1/imports", "post"),
        // The body is over the limit.
        case("POST", "/v1/contacts", 413, "body_too_large")
            .typed("application/json", &oversized)
            .declared_by("/v1/contacts", "post"),
        case("PUT", "/v1/settings", 413, "body_too_large")
            .typed("application/json", &oversized)
            .declared_by("/v1/settings", "put"),
        // The query cannot be used.
        case("GET", "/v1/imports?limit=lots", 400, "invalid_query")
            .declared_by("/v1/imports", "get"),
        case("GET", "/v1/imports?limit=0", 400, "invalid_query").declared_by("/v1/imports", "get"),
        case("GET", "/v1/imports?limit=101", 400, "invalid_query")
            .declared_by("/v1/imports", "get"),
        case("GET", "/v1/imports?cursor=%2F", 400, "invalid_cursor")
            .declared_by("/v1/imports", "get"),
        case(
            "GET",
            "/v1/imports?cursor=nothing-like-a-cursor",
            400,
            "invalid_cursor",
        )
        .declared_by("/v1/imports", "get"),
        case("GET", "/v1/contacts?limit=-3", 400, "invalid_query")
            .declared_by("/v1/contacts", "get"),
        case("GET", "/v1/contacts?colour=red", 400, "invalid_query")
            .declared_by("/v1/contacts", "get"),
        // A parameter the route does not declare is refused on every route
        // alike, never ignored.
        case("GET", "/v1/imports?limt=5", 400, "invalid_query").declared_by("/v1/imports", "get"),
        case("GET", "/v1/health?verbose=1", 400, "invalid_query").declared_by("/v1/health", "get"),
        case("GET", "/v1/settings?all=yes", 400, "invalid_query")
            .declared_by("/v1/settings", "get"),
        case("GET", "/v1/imports/imp_none?expand=1", 400, "invalid_query")
            .declared_by("/v1/imports/{id}", "get"),
        case("GET", "/v1/exports?status=done", 400, "invalid_query")
            .declared_by("/v1/exports", "get"),
        case("GET", "/v1/contacts?cursor=%FF%FE", 400, "invalid_cursor")
            .declared_by("/v1/contacts", "get"),
        case(
            "GET",
            "/v1/contacts?phone=1&email=a%40b.co",
            400,
            "invalid_query",
        )
        .declared_by("/v1/contacts", "get"),
        // The path's id cannot be read, or names nothing.
        case("GET", "/v1/imports/%FF", 400, "invalid_path").declared_by("/v1/imports/{id}", "get"),
        case("GET", "/v1/contacts/%C3%28", 400, "invalid_path")
            .declared_by("/v1/contacts/{id}", "get"),
        case("GET", "/v1/imports/imp_none", 404, "not_found")
            .declared_by("/v1/imports/{id}", "get"),
        case("GET", "/v1/contacts/a%23b", 404, "not_found").declared_by("/v1/contacts/{id}", "get"),
        case(
            "GET",
            format!("/v1/exports/{}", "x".repeat(2000)),
            404,
            "not_found",
        )
        .declared_by("/v1/exports/{id}", "get"),
        // No such route, or not with that method.
        case("GET", "/v1/nothing-here", 404, "not_found"),
        case("GET", "/v2/imports", 404, "not_found"),
        case("GET", "/v1/imports/", 404, "not_found"),
        case("POST", "/", 404, "not_found").json("{}"),
        case("PUT", "/v1/imports", 405, "method_not_allowed").json("{}"),
        case("DELETE", "/v1/settings", 405, "method_not_allowed"),
        case("OPTIONS", "/v1/contacts", 405, "method_not_allowed"),
        case("POST", "/v1/health", 405, "method_not_allowed"),
    ];

    for case in cases {
        let what = format!("{} {}", case.method, &case.path[..case.path.len().min(60)]);
        let raw = send(
            case.method,
            &case.path,
            Some(&token),
            case.content_type,
            case.body,
        )
        .await;
        assert_eq!(raw.status, case.status, "{what}: {}", raw.body);
        assert_error_shape(&raw, &what);
        assert_eq!(raw.body["error"]["code"], case.code, "{what}");
        if raw.status == 405 {
            assert!(raw.allow.is_some(), "{what}: an Allow header");
        }
        if let Some((template, method)) = case.operation {
            let declared =
                &document["paths"][template][method]["responses"][case.status.to_string()];
            assert_eq!(
                declared["content"]["application/json"]["schema"]["$ref"],
                "#/components/schemas/Error",
                "{what}: the document declares {} for {method} {template}",
                case.status
            );
        }
    }

    // JSON under any of its names, or with no content type at all, is read.
    for content_type in [
        Some("application/json; charset=utf-8"),
        Some("application/merge-patch+json"),
        None,
    ] {
        let raw = send(
            "POST",
            "/v1/exports",
            Some(&token),
            content_type,
            Some(b"{}".to_vec()),
        )
        .await;
        assert_eq!(raw.status, 202, "{content_type:?}: {}", raw.body);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_missing_bad_or_expired_token_answers_401_with_the_challenge() {
    let s = shared();
    let ws = "api-errors-auth";
    let valid = s.auth.keys.sign(ws, Role::Owner, 3600);
    let forged = Keys::new(b"another-key").sign(ws, Role::Owner, 3600);
    // Past the verifier's leeway for clocks that differ.
    let expired = token_expiring_at(ws, now() - 3600);
    let unsafe_workspace = s.auth.keys.sign("a#b", Role::Owner, 3600);
    let authorizations = [
        None,
        Some(String::new()),
        Some("Bearer".to_string()),
        Some("Bearer ".to_string()),
        Some("Bearer nonsense".to_string()),
        Some("Bearer a.b.c".to_string()),
        Some(format!("Basic {valid}")),
        Some(valid.clone()),
        Some(format!("Bearer {forged}")),
        Some(format!("Bearer {expired}")),
        Some(format!("Bearer {unsafe_workspace}")),
    ];
    let routes = [
        ("GET", "/v1/imports", "/v1/imports", None),
        (
            "POST",
            "/v1/contacts",
            "/v1/contacts",
            Some("{\"first_name\": \"Ana\"}"),
        ),
        ("GET", "/v1/contacts/c_1", "/v1/contacts/{id}", None),
        ("PUT", "/v1/settings", "/v1/settings", Some("{}")),
        ("GET", "/v1/notifications", "/v1/notifications", None),
    ];
    let document = send("GET", "/v1/openapi.json", None, None, None).await.body;
    for (method, path, template, body) in routes {
        let declared = &document["paths"][template][method.to_lowercase()]["responses"]["401"];
        assert!(declared.is_object(), "{method} {template} declares 401");
        for authorization in &authorizations {
            let raw = send(
                method,
                path,
                authorization.as_deref(),
                body.map(|_| "application/json"),
                body.map(|b| b.as_bytes().to_vec()),
            )
            .await;
            let what = format!("{method} {path} with {authorization:?}");
            assert_eq!(raw.status, 401, "{what}: {}", raw.body);
            assert_error_shape(&raw, &what);
            assert_eq!(raw.body["error"]["code"], "unauthorized", "{what}");
            assert_eq!(raw.www_authenticate.as_deref(), Some("Bearer"), "{what}");
        }
    }

    // The same request with the valid token gets through, and a token that
    // expires later still works.
    let later = token_expiring_at(ws, now() + 3600);
    for token in [valid, later] {
        let raw = send(
            "GET",
            "/v1/notifications",
            Some(&format!("Bearer {token}")),
            None,
            None,
        )
        .await;
        assert_eq!(raw.status, 200, "{}", raw.body);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_agent_is_refused_in_the_error_shape_where_the_document_says() {
    let s = shared();
    let agent = format!(
        "Bearer {}",
        s.auth.keys.sign("api-errors-agent", Role::Agent, 3600)
    );
    let document = send("GET", "/v1/openapi.json", None, None, None).await.body;
    for (method, path, template, body) in [
        ("GET", "/v1/imports", "/v1/imports", None),
        (
            "POST",
            "/v1/imports",
            "/v1/imports",
            Some("{\"file_name\": \"a.csv\", \"size_bytes\": 10}"),
        ),
        ("POST", "/v1/exports", "/v1/exports", Some("{}")),
        ("PUT", "/v1/settings", "/v1/settings", Some("{}")),
        ("DELETE", "/v1/contacts/c_1", "/v1/contacts/{id}", None),
    ] {
        let raw = send(
            method,
            path,
            Some(&agent),
            body.map(|_| "application/json"),
            body.map(|b| b.as_bytes().to_vec()),
        )
        .await;
        let what = format!("{method} {path}");
        assert_eq!(raw.status, 403, "{what}: {}", raw.body);
        assert_error_shape(&raw, &what);
        assert_eq!(raw.body["error"]["code"], "forbidden");
        let declared = &document["paths"][template][method.to_lowercase()]["responses"]["403"];
        assert!(declared.is_object(), "{what}: the document declares 403");
    }
}
