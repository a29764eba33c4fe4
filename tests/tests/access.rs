//! Every route against every role and against another workspace's token:
//! owners and managers import, export, delete and change settings; agents
//! read and edit contacts; everything else answers 403. Another workspace's
//! import, contact or export answers 404, and nothing of it changes.

use contact_import::service::auth::Role;
use end_to_end::{ec_phone, file, id_of, ok, reviewed, seed_contact, shared};
use serde_json::{Value, json};

/// A route, a body, and whether agents are refused.
struct Route {
    method: &'static str,
    path: String,
    body: Option<Value>,
    managers_only: bool,
}

fn route(method: &'static str, path: String, body: Option<Value>, managers_only: bool) -> Route {
    Route {
        method,
        path,
        body,
        managers_only,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn roles_and_workspaces_on_every_route() {
    let s = shared();
    let ws = "ws_access";
    let owner = s.owner(ws);
    let phone = ec_phone(950);
    let contact = seed_contact(
        &owner,
        json!({"first_name": "Ana", "phone": phone, "tags": ["vip"]}),
    )
    .await;
    let contact_id = contact["id"].as_str().unwrap().to_string();
    let import = reviewed(
        &owner,
        "acceso.csv",
        &file(&["Nombre,Teléfono".into(), format!("Luis,{}", ec_phone(951))]),
        None,
    )
    .await;
    let import_id = id_of(&import);
    let export = ok(owner.call("POST", "/v1/exports", Some(&json!({}))).await);
    assert_eq!(export.status, 202, "{}", export.body);
    let export_id = export.body["id"].as_str().unwrap().to_string();

    let c = |tail: &str| format!("/v1/contacts/{contact_id}{tail}");
    let i = |tail: &str| format!("/v1/imports/{import_id}{tail}");
    // Workspace-wide routes: the caller's own workspace is always the one
    // acted on, so only roles matter.
    let workspace_routes = [
        route(
            "POST",
            "/v1/imports".into(),
            Some(json!({"file_name": "x.csv", "size_bytes": 10})),
            true,
        ),
        route("GET", "/v1/imports".into(), None, true),
        route("GET", "/v1/contacts?tag=vip".into(), None, false),
        route(
            "GET",
            format!("/v1/contacts?phone={}", &phone[1..]),
            None,
            false,
        ),
        route("GET", "/v1/settings".into(), None, false),
        route("PUT", "/v1/settings".into(), Some(json!({})), true),
        route("POST", "/v1/exports".into(), Some(json!({})), true),
        route("GET", "/v1/notifications".into(), None, false),
    ];
    // Routes naming one record of the workspace.
    let record_routes = [
        route("GET", i(""), None, true),
        route("PATCH", i(""), Some(json!({"options": {}})), true),
        route("POST", i("/confirm"), None, true),
        route("GET", i("/errors"), None, true),
        route("GET", i("/result"), None, true),
        route("DELETE", i(""), None, true),
        route("GET", c(""), None, false),
        route("PATCH", c(""), Some(json!({"last_name": "Silva"})), false),
        route("POST", c("/tags"), Some(json!({"tags": ["nueva"]})), false),
        route(
            "DELETE",
            c("/tags"),
            Some(json!({"tags": ["nueva"]})),
            false,
        ),
        route("GET", c("/merge-suggestions"), None, false),
        route("DELETE", c(""), None, true),
        route("GET", format!("/v1/exports/{export_id}"), None, true),
    ];

    let agent = s.client(ws, Role::Agent);
    for r in workspace_routes.iter().chain(&record_routes) {
        let answer = ok(agent.call(r.method, &r.path, r.body.as_ref()).await);
        if r.managers_only {
            assert_eq!(
                answer.status, 403,
                "agent {} {}: {}",
                r.method, r.path, answer.body
            );
            assert_eq!(answer.body["error"]["code"], "forbidden", "{}", answer.body);
        } else {
            assert!(
                answer.status < 400,
                "agent {} {}: {} {}",
                r.method,
                r.path,
                answer.status,
                answer.body
            );
        }
    }

    for role in [Role::Owner, Role::Manager, Role::Agent] {
        let stranger = s.client("ws_access_other", role);
        for r in &record_routes {
            let answer = ok(stranger.call(r.method, &r.path, r.body.as_ref()).await);
            // An agent may be refused for its role before the record is
            // looked for; either way it learns nothing of the record.
            let expected: &[u16] = if role == Role::Agent && r.managers_only {
                &[403, 404]
            } else {
                &[404]
            };
            assert!(
                expected.contains(&answer.status),
                "{role:?} of another workspace, {} {}: {} {}",
                r.method,
                r.path,
                answer.status,
                answer.body
            );
        }
    }

    // Nothing the refused calls asked for happened.
    let still = ok(owner.call("GET", &c(""), None).await);
    assert_eq!(still.status, 200, "{}", still.body);
    assert_eq!(
        still.body["last_name"], "Silva",
        "the agent's edit, and only that"
    );
    let import = ok(owner.import(&import_id).await).body;
    assert_eq!(import["status"], "review", "{import}");

    // Managers do what owners do.
    let manager = s.client(ws, Role::Manager);
    let answer = ok(manager.call("DELETE", &c(""), None).await);
    assert_eq!(answer.status, 204, "{}", answer.body);
    let answer = ok(manager.call("DELETE", &i(""), None).await);
    assert_eq!(answer.status, 200, "{}", answer.body);
}
