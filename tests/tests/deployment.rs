//! The template's IAM policies are exactly what the functions need: every
//! route, an import through review, re-validation, confirmation and its
//! files, a cancelled import, the contacts API, settings, an export, the
//! month-end reset and a chunk that ends in the dead-letter queue run on a
//! local stack whose functions each log the IAM actions their AWS calls need
//! (`contacts::stack::actions`). Every action a function needed must be
//! granted to it in `infra/template.yaml` (or it would fail on AWS), and
//! every action granted must have been needed (least privilege).

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use contact_service::operations::Role;
use contacts::client::ApiClient;
use contacts::stack::local::{MONTH_END_PATH, StackOptions};
use contacts::stack::template::TEMPLATE_PATH;
use end_to_end::*;
use serde_json::{Value, json};
use serde_yaml_ng::Value as Yaml;

type Grants = BTreeSet<(String, String)>;

/// Grants no call logs but a function needs on AWS. Without
/// `s3:ListBucket`, S3 answers a missing object 403 instead of 404, and the
/// validator tells a missing upload by its 404. And the validator opens the
/// month's contact count (an index count of the contacts held) when a
/// month turns between an import's creation, whose API call opens it, and
/// the validation — a moment this scenario cannot reach.
const NEEDED_FOR_ANSWERS: [(&str, &str, &str); 2] = [
    ("ValidateFunction", "s3:ListBucket", "FilesBucket"),
    ("ValidateFunction", "dynamodb:Query", "ContactsTable/index"),
];

/// A policy's resource as the action log names it: a logical id,
/// `X/index` or `X/*`.
fn resource_name(resource: &Yaml) -> String {
    if let Some(att) = resource.get("Fn::GetAtt").and_then(Yaml::as_sequence) {
        return att[0].as_str().unwrap_or_default().to_string();
    }
    if let Some(sub) = resource.get("Fn::Sub").and_then(Yaml::as_str) {
        let (id, rest) = sub
            .trim_start_matches("${")
            .split_once(".Arn}")
            .unwrap_or_else(|| panic!("unexpected resource {sub}"));
        return match rest {
            "/index/*" => format!("{id}/index"),
            "/*" => format!("{id}/*"),
            other => panic!("unexpected resource suffix {other}"),
        };
    }
    panic!("unexpected resource {resource:?}")
}

fn one_or_many(node: &Yaml) -> Vec<Yaml> {
    match node.as_sequence() {
        Some(list) => list.clone(),
        None => vec![node.clone()],
    }
}

/// What the template allows each function, by logical id.
fn granted() -> BTreeMap<String, Grants> {
    let text = std::fs::read_to_string(TEMPLATE_PATH).unwrap();
    let template: Yaml = serde_yaml_ng::from_str(&text).unwrap();
    let mut granted = BTreeMap::new();
    for (id, resource) in template["Resources"].as_mapping().unwrap() {
        if resource["Type"].as_str() != Some("AWS::Serverless::Function") {
            continue;
        }
        let mut grants = Grants::new();
        for policy in resource["Properties"]["Policies"]
            .as_sequence()
            .into_iter()
            .flatten()
        {
            let statements = policy
                .get("Statement")
                .unwrap_or_else(|| panic!("{id:?}: only inline statements, no managed policies"));
            for statement in statements.as_sequence().unwrap() {
                assert_eq!(statement["Effect"].as_str(), Some("Allow"));
                for action in one_or_many(&statement["Action"]) {
                    let action = action.as_str().unwrap();
                    assert!(!action.contains('*'), "{id:?} grants {action}");
                    for resource in one_or_many(&statement["Resource"]) {
                        grants.insert((action.to_string(), resource_name(&resource)));
                    }
                }
            }
        }
        granted.insert(id.as_str().unwrap().to_string(), grants);
    }
    granted
}

async fn call(api: &ApiClient, method: &str, path: &str, body: Option<Value>) -> Value {
    let answer = ok(api.call(method, path, body.as_ref()).await);
    assert!(
        (200..300).contains(&answer.status),
        "{method} {path}: {} {}",
        answer.status,
        answer.body
    );
    answer.body
}

/// Waits until `GET path` answers a `status` other than `running`.
async fn finished(api: &ApiClient, path: &str) -> Value {
    eventually(Duration::from_secs(60), path, || async {
        let view = call(api, "GET", path, None).await;
        (view["status"] != "running").then_some(view)
    })
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_function_is_granted_exactly_the_calls_it_makes() {
    let stack = own_stack(StackOptions {
        // A failing chunk reaches the dead-letter queue in seconds.
        visibility_timeout: Some(1),
        ..StackOptions::default()
    })
    .await;
    let ws = "deployment";
    let api = client(&stack.api_url, &stack.auth, ws, Role::Owner);

    call(&api, "GET", "/v1/health", None).await;
    call(
        &api,
        "PUT",
        "/v1/settings",
        Some(json!({"default_country": "EC", "contact_limit": 1000,
                    "monthly_reset": {"mode": "all"}})),
    )
    .await;
    call(&api, "GET", "/v1/settings", None).await;

    // An import through review, new options, confirmation and its files.
    let mut lines = vec!["Nombre,Celular,Correo".to_string()];
    lines.extend((0..30).map(|i| format!("Ana {i},{},ana{i}@example.com", ec_phone(i))));
    lines.push("Sin,123,no-es-correo".into());
    let import = reviewed(&api, "clientes.csv", &file(&lines), None).await;
    let id = id_of(&import);
    call(
        &api,
        "PATCH",
        &format!("/v1/imports/{id}"),
        Some(json!({"options": {"tags": ["feria"]}})),
    )
    .await;
    ok(api.wait_for_review(&id).await);
    call(&api, "GET", "/v1/imports", None).await;
    ok(api.download(&format!("/v1/imports/{id}/errors")).await);
    confirmed(&api, &id).await;
    ok(api.download(&format!("/v1/imports/{id}/result")).await);

    // An import that is a workspace's first write of the month (no limit,
    // so nothing before it opened the month): its chunk opens the count.
    let fresh = client(&stack.api_url, &stack.auth, "deployment-fresh", Role::Owner);
    let first = reviewed(&fresh, "primeros.csv", &file(&lines[..4]), None).await;
    confirmed(&fresh, &id_of(&first)).await;

    // A refused file: its upload is deleted.
    let refused = validated(&api, "vacio.csv", b"Nombre,Celular\n", None).await;
    assert_eq!(refused["status"], "failed", "{refused}");

    // A cancelled import.
    let cancelled = reviewed(&api, "otra.csv", &file(&lines[..3]), None).await;
    call(
        &api,
        "DELETE",
        &format!("/v1/imports/{}", id_of(&cancelled)),
        None,
    )
    .await;

    // The contacts API.
    let contact = call(
        &api,
        "POST",
        "/v1/contacts",
        Some(json!({"first_name": "Eva", "phone": ec_phone(900)})),
    )
    .await;
    let contact = contact["id"].as_str().unwrap().to_string();
    call(&api, "GET", "/v1/contacts", None).await;
    call(
        &api,
        "GET",
        &format!("/v1/contacts?phone={}", query_value(&ec_phone(900))),
        None,
    )
    .await;
    call(
        &api,
        "PATCH",
        &format!("/v1/contacts/{contact}"),
        Some(json!({"phone": ec_phone(901)})),
    )
    .await;
    let tags = Some(json!({"tags": ["vip"]}));
    call(
        &api,
        "POST",
        &format!("/v1/contacts/{contact}/tags"),
        tags.clone(),
    )
    .await;
    call(
        &api,
        "DELETE",
        &format!("/v1/contacts/{contact}/tags"),
        tags,
    )
    .await;
    call(
        &api,
        "GET",
        &format!("/v1/contacts/{contact}/merge-suggestions"),
        None,
    )
    .await;
    call(&api, "DELETE", &format!("/v1/contacts/{contact}"), None).await;

    // An export and its link.
    let export = call(&api, "POST", "/v1/exports", Some(json!({}))).await;
    let export = export["id"].as_str().unwrap().to_string();
    let done = finished(&api, &format!("/v1/exports/{export}")).await;
    assert_eq!(done["status"], "completed", "{done}");

    // An imported contact edited, so that the reset deletes a history
    // entry with the contact (a creation's line is the contact's own).
    let listed = call(&api, "GET", "/v1/contacts?limit=1", None).await;
    let edited = listed["items"][0]["id"].as_str().unwrap().to_string();
    call(
        &api,
        "PATCH",
        &format!("/v1/contacts/{edited}"),
        Some(json!({"first_name": "Ana María"})),
    )
    .await;

    // The month-end reset, from the schedule to the last deletion.
    let started = ok(api.call("POST", MONTH_END_PATH, None).await);
    assert_eq!(started.status, 200, "{}", started.body);
    eventually(Duration::from_secs(60), "the reset ends", || async {
        let notes = call(&api, "GET", "/v1/notifications", None).await;
        notes["items"]
            .as_array()
            .into_iter()
            .flatten()
            .any(|n| n["kind"].as_str().is_some_and(|k| k.starts_with("reset")))
            .then_some(())
    })
    .await;

    // A chunk that keeps failing: the dead-letter function ends its import.
    let doomed = reviewed(&api, "rota.csv", &file(&lines[..5]), None).await;
    let doomed = id_of(&doomed);
    break_stage(&stack, ws, &doomed).await;
    call(&api, "POST", &format!("/v1/imports/{doomed}/confirm"), None).await;
    let failed = ok(api
        .wait_for(&doomed, Duration::from_secs(90), |i| {
            i["status"] != "importing"
        })
        .await);
    assert_eq!(failed["status"], "failed", "{failed}");

    let mut needed = stack.actions.needed();
    for (function, action, resource) in NEEDED_FOR_ANSWERS {
        needed
            .entry(function.to_string())
            .or_default()
            .insert((action.to_string(), resource.to_string()));
    }
    let granted = granted();
    let mut report = Vec::new();
    for (function, grants) in &granted {
        let used = needed.get(function).cloned().unwrap_or_default();
        for missing in used.difference(grants) {
            report.push(format!("{function} needs {missing:?}, not granted"));
        }
        for unused in grants.difference(&used) {
            report.push(format!("{function} is granted {unused:?}, never needed"));
        }
    }
    for function in needed.keys() {
        if !granted.contains_key(function) {
            report.push(format!("{function} is not in the template"));
        }
    }
    eprintln!("needed: {needed:#?}");
    assert!(report.is_empty(), "{}", report.join("\n"));
    stack.stop().await;
}
