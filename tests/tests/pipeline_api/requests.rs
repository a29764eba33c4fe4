//! Who may call what, and requests that cannot be read: tokens, roles and
//! workspaces; health and the document without a token; malformed requests.

use super::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
pub(crate) async fn tokens_roles_and_workspaces_decide_who_sees_what() {
    let s = shared();
    let (ws, other_ws) = ("api-auth", "api-auth-other");
    let owner = s.owner(ws);
    let bytes = file(&[
        "First Name,Phone".into(),
        format!("Ana,{}", ec_phone(30_001)),
        format!(",{}", ec_phone(30_002)),
    ]);
    let import = reviewed(&owner, "auth.csv", &bytes, None).await;
    let id = id_of(&import);
    let done = confirmed(&owner, &id).await;
    assert_eq!(result_counts(&done), [1, 0, 0, 1]);
    let contact = end_to_end::one_by_phone(&owner, &ec_phone(30_001)).await;
    let contact_id = contact["id"].as_str().unwrap().to_string();

    let create = json!({"file_name": "x.csv", "size_bytes": 10, "options": {}});
    let patch = json!({"options": {"purpose": "add_new"}});
    let import_routes = [
        ("POST", "/v1/imports".to_string(), Some(&create)),
        ("GET", "/v1/imports".to_string(), None),
        ("GET", format!("/v1/imports/{id}"), None),
        ("PATCH", format!("/v1/imports/{id}"), Some(&patch)),
        ("DELETE", format!("/v1/imports/{id}"), None),
        ("POST", format!("/v1/imports/{id}/confirm"), None),
        ("GET", format!("/v1/imports/{id}/errors"), None),
        ("GET", format!("/v1/imports/{id}/result"), None),
    ];

    // No token, a malformed one, or one signed with another key: 401.
    let http = raw();
    let forged = Keys::new(b"not-the-stack-secret").sign(ws, Role::Owner, 3600);
    let valid = s.auth.keys.sign(ws, Role::Owner, 3600);
    let mut tampered = valid.clone();
    tampered.pop();
    tampered.push(if valid.ends_with('A') { 'B' } else { 'A' });
    for (method, path, body) in &import_routes {
        for auth in [
            None,
            Some("Bearer nonsense".to_string()),
            Some(format!("Bearer {forged}")),
            Some(format!("Bearer {tampered}")),
            Some(valid.clone()),
        ] {
            let mut request = http.request(method.parse().unwrap(), format!("{}{path}", s.api_url));
            if let Some(body) = body {
                request = request.json(body);
            }
            if let Some(auth) = &auth {
                request = request.header("authorization", auth);
            }
            let response = request.send().await.unwrap();
            assert_eq!(
                response
                    .headers()
                    .get("www-authenticate")
                    .and_then(|v| v.to_str().ok()),
                Some("Bearer"),
                "{method} {path}"
            );
            let a = answer(response).await;
            assert_error(&a, 401, "unauthorized");
        }
    }

    // An agent may not touch imports, but may read and add contacts.
    let agent = s.client(ws, Role::Agent);
    for (method, path, body) in &import_routes {
        let a = ok(agent.call(method, path, *body).await);
        assert_error(&a, 403, "forbidden");
    }
    let read = ok(agent
        .call("GET", &format!("/v1/contacts/{contact_id}"), None)
        .await);
    assert_eq!(read.status, 200, "{}", read.body);
    assert_eq!(read.body["first_name"], "Ana");
    assert_eq!(
        end_to_end::by_phone(&agent, &ec_phone(30_001)).await.len(),
        1
    );
    seed_contact(
        &agent,
        json!({"first_name": "Por Agente", "phone": ec_phone(30_003)}),
    )
    .await;
    // A manager manages imports.
    let manager = s.client(ws, Role::Manager);
    assert_eq!(ok(manager.import(&id).await).status, 200);

    // Another workspace's owner finds nothing: 404, as if it did not exist.
    let stranger = s.owner(other_ws);
    for (method, path, body) in &import_routes[2..] {
        let a = ok(stranger.call(method, path, *body).await);
        assert_error(&a, 404, "not_found");
    }
    let a = ok(stranger
        .call("GET", &format!("/v1/contacts/{contact_id}"), None)
        .await);
    assert_error(&a, 404, "not_found");
    assert!(
        end_to_end::by_phone(&stranger, &ec_phone(30_001))
            .await
            .is_empty()
    );
    let history = ok(stranger.call("GET", "/v1/imports", None).await);
    assert_eq!(history.status, 200);
    assert_eq!(history.body["items"], json!([]));
    // The stranger may even own a contact with the same phone.
    seed_contact(
        &stranger,
        json!({"first_name": "Otra", "phone": ec_phone(30_001)}),
    )
    .await;
    assert_eq!(
        end_to_end::one_by_phone(&owner, &ec_phone(30_001)).await["id"],
        contact_id.as_str()
    );
    // And the owner still sees the import, its files and its contact.
    assert_eq!(ok(owner.import(&id).await).body["status"], "completed");
    result_file(&owner, &id, b',').await;
    error_file(&owner, &id, b',').await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
pub(crate) async fn health_and_the_openapi_document_need_no_token() {
    let s = shared();
    let http = raw();
    let health = answer(
        http.get(format!("{}/v1/health", s.api_url))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(health.status, 200, "{}", health.body);
    assert_eq!(health.body["status"], "ok");

    let doc = answer(
        http.get(format!("{}/v1/openapi.json", s.api_url))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(doc.status, 200);
    assert!(
        doc.body["openapi"].as_str().unwrap_or("").starts_with("3."),
        "{}",
        doc.body["openapi"]
    );
    let paths = &doc.body["paths"];
    for (path, methods) in [
        ("/v1/imports", &["get", "post"][..]),
        ("/v1/imports/{id}", &["get", "patch", "delete"]),
        ("/v1/imports/{id}/confirm", &["post"]),
        ("/v1/imports/{id}/errors", &["get"]),
        ("/v1/imports/{id}/result", &["get"]),
        ("/v1/contacts", &["get", "post"]),
        ("/v1/contacts/{id}", &["get"]),
        ("/v1/health", &["get"]),
    ] {
        for method in methods {
            assert!(
                paths[path][method].is_object(),
                "{method} {path} in {paths}"
            );
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
pub(crate) async fn malformed_requests_answer_json_errors_never_500() {
    let s = shared();
    let ws = "api-malformed";
    let api = s.owner(ws);
    let token = s.auth.keys.sign(ws, Role::Owner, 3600);
    let http = raw();
    let send = |method: &str, path: &str, body: Option<&str>| {
        let mut request = http
            .request(method.parse().unwrap(), format!("{}{path}", s.api_url))
            .bearer_auth(&token);
        if let Some(body) = body {
            request = request
                .header("content-type", "application/json")
                .body(body.to_string());
        }
        async move { answer(request.send().await.unwrap()).await }
    };
    assert_error(
        &send("GET", "/v1/nothing-here", None).await,
        404,
        "not_found",
    );
    assert_error(&send("GET", "/nope", None).await, 404, "not_found");
    assert_error(
        &send("PUT", "/v1/imports", Some("{}")).await,
        405,
        "method_not_allowed",
    );
    for body in [
        "{\"file_name\": \"a.csv\", \"size_bytes\": 10",
        "not json at all",
        "",
        "[]",
        "{\"file_name\": 7, \"size_bytes\": 10}",
        "{\"file_name\": \"a.csv\", \"size_bytes\": -1}",
        "{\"file_name\": \"a.csv\", \"size_bytes\": 10, \"colour\": \"red\"}",
        "{\"file_name\": \"a.csv\", \"size_bytes\": 10, \"options\": {\"purpose\": \"merge\"}}",
    ] {
        let a = send("POST", "/v1/imports", Some(body)).await;
        assert_error(&a, 400, "invalid_body");
    }
    let a = send(
        "POST",
        "/v1/imports",
        Some("{\"file_name\": \"a.csv\", \"size_bytes\": 10, \"options\": {\"purpose\": \"add_new\", \"identifier\": \"contact_id\"}}"),
    )
    .await;
    assert_eq!(a.status, 400, "{}", a.body);
    for body in ["{\"first_name\": ", "{\"first_name\": \"A\", \"age\": 3}"] {
        assert_error(
            &send("POST", "/v1/contacts", Some(body)).await,
            400,
            "invalid_body",
        );
    }
    let a = send("POST", "/v1/contacts", Some("{\"phone\": \"12\"}")).await;
    assert_eq!(a.status, 400, "{}", a.body);
    // Odd ids and queries.
    for path in [
        "/v1/imports/..%2F..%2Fetc",
        "/v1/imports/imp_doesnotexist",
        "/v1/imports/%F0%9F%92%A5/result",
        "/v1/contacts/c_nobody",
    ] {
        assert_error(&send("GET", path, None).await, 404, "not_found");
    }
    assert_error(
        &send("GET", "/v1/imports?limit=lots", None).await,
        400,
        "invalid_query",
    );
    assert_error(
        &send("GET", "/v1/imports?cursor=garbage", None).await,
        400,
        "invalid_cursor",
    );
    assert_error(
        &send("GET", "/v1/contacts?phone=1&email=a@b.co", None).await,
        400,
        "invalid_query",
    );
    // A PATCH with a broken body on a real import.
    let created = ok(api
        .call(
            "POST",
            "/v1/imports",
            Some(&json!({"file_name": "a.csv", "size_bytes": 10})),
        )
        .await);
    let id = id_of(&created.body);
    assert_error(
        &send(
            "PATCH",
            &format!("/v1/imports/{id}"),
            Some("{\"options\": 3}"),
        )
        .await,
        400,
        "invalid_body",
    );
    assert_error(
        &send("PATCH", &format!("/v1/imports/{id}"), Some("{")).await,
        400,
        "invalid_body",
    );
    // The import is untouched by all this.
    assert_eq!(ok(api.import(&id).await).body["status"], "awaiting_upload");
}
