//! Settings change safely: `PUT` replaces them whole, `PATCH` changes the
//! members it names (JSON Merge Patch), and a change made over a version
//! read earlier (`If-Match` with the `ETag` of that read) is refused with
//! 412 once another change came in between — nothing is lost unseen.

use contacts::client::Answer;

use super::*;

/// A call with headers; answers the answer and its `ETag`.
async fn call_tagged(
    api: &ApiClient,
    method: &str,
    body: Option<Value>,
    if_match: Option<&str>,
) -> (Answer, Option<String>) {
    let headers: Vec<(&str, &str)> = if_match.map(|t| ("if-match", t)).into_iter().collect();
    let (answer, answered) = ok(api
        .call_with_headers(method, "/v1/settings", body.as_ref(), &headers)
        .await);
    let etag = answered
        .get("etag")
        .map(|v| v.to_str().unwrap().to_string());
    (answer, etag)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn patch_changes_only_the_settings_it_names_and_put_replaces_them_all() {
    let api = shared().owner("ws-settings-merge");
    let full = json!({
        "default_country": "EC",
        "contact_limit": 500,
        "time_zone": "America/Guayaquil",
        "monthly_reset": {"mode": "tagged", "tag": "Borrar"},
        "custom_fields": [{"key": "empresa", "label": "Empresa", "type": "text"}],
        "users": ["ana@example.com"]
    });
    put_settings(&api, full.clone()).await;

    let patch = |body: Value| {
        let api = api.clone();
        async move {
            let answer = ok(api.call("PATCH", "/v1/settings", Some(&body)).await);
            assert_eq!(answer.status, 200, "PATCH {body}: {}", answer.body);
            answer.body
        }
    };
    // One member: the others keep their values.
    let now = patch(json!({"default_country": "br"})).await;
    let mut want = full.clone();
    want["default_country"] = json!("BR");
    assert_eq!(now, want);
    // An object merges member by member.
    let now = patch(json!({"monthly_reset": {"tag": "Limpiar"}})).await;
    want["monthly_reset"] = json!({"mode": "tagged", "tag": "Limpiar"});
    assert_eq!(now, want);
    // null puts a member back to its default; a list is replaced whole.
    let now =
        patch(json!({"contact_limit": null, "time_zone": null, "users": ["luis@example.com"]}))
            .await;
    want["contact_limit"] = Value::Null;
    want["time_zone"] = Value::Null;
    want["users"] = json!(["luis@example.com"]);
    assert_eq!(now, want);
    assert_eq!(ok(api.call("GET", "/v1/settings", None).await).body, want);

    // A bad value changes nothing, and says so plainly.
    let bad = ok(api
        .call("PATCH", "/v1/settings", Some(&json!({"monthly_reset": 5})))
        .await);
    end_to_end::assert_error(&bad, 400, "invalid_settings");
    let message = bad.body["error"]["message"].as_str().unwrap();
    assert!(message.contains("expected an object"), "{message}");
    assert!(!message.contains("MonthlyReset"), "{message}");
    assert_eq!(ok(api.call("GET", "/v1/settings", None).await).body, want);

    // PUT keeps its meaning: what it leaves out takes its default.
    let replaced = put_settings(&api, json!({"default_country": "EC"})).await;
    assert_eq!(replaced["custom_fields"], json!([]));
    assert_eq!(replaced["monthly_reset"]["mode"], "off");
    assert_eq!(replaced["users"], Value::Null);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_change_over_a_stale_version_is_refused_and_changes_nothing() {
    let ws = "ws-settings-etag";
    let api = shared().owner(ws);
    let manager = shared().client(ws, Role::Manager);

    let (read, first) = call_tagged(&api, "GET", None, None).await;
    assert_eq!(read.status, 200);
    let first = first.expect("GET /v1/settings answers an ETag");
    assert_eq!(first, "\"0\"", "never stored: version 0");

    // The owner changes the settings over what it read: a new version.
    let (changed, second) = call_tagged(
        &api,
        "PATCH",
        Some(json!({"default_country": "EC"})),
        Some(&first),
    )
    .await;
    assert_eq!(changed.status, 200, "{}", changed.body);
    let second = second.unwrap();
    assert_ne!(second, first);

    // The manager, who read before that change, is told; nothing changes.
    for method in ["PATCH", "PUT"] {
        let (stale, _) = call_tagged(
            &manager,
            method,
            Some(json!({"monthly_reset": {"mode": "all"}})),
            Some(&first),
        )
        .await;
        end_to_end::assert_error(&stale, 412, "settings_changed");
    }
    let (garbled, _) = call_tagged(
        &manager,
        "PATCH",
        Some(json!({"contact_limit": 1})),
        Some("yesterday's"),
    )
    .await;
    end_to_end::assert_error(&garbled, 412, "settings_changed");
    let (now, tag) = call_tagged(&api, "GET", None, None).await;
    assert_eq!(tag.as_deref(), Some(second.as_str()));
    assert_eq!(now.body["monthly_reset"]["mode"], "off");
    assert_eq!(now.body["contact_limit"], Value::Null);
    assert_eq!(now.body["default_country"], "EC");

    // Read again, the manager's change lands; `*` matches any version.
    let (landed, third) = call_tagged(
        &manager,
        "PATCH",
        Some(json!({"contact_limit": 100})),
        Some(&second),
    )
    .await;
    assert_eq!(landed.status, 200, "{}", landed.body);
    assert_eq!(landed.body["default_country"], "EC");
    let (any, fourth) = call_tagged(
        &api,
        "PUT",
        Some(json!({"default_country": "PE"})),
        Some("*"),
    )
    .await;
    assert_eq!(any.status, 200, "{}", any.body);
    assert_ne!(third, fourth);

    // The store refuses a write over a version that is no longer stored.
    let workspaces = &shared().service.store().workspaces;
    let (settings, version) = workspaces.versioned_settings(ws).await.unwrap();
    assert_eq!(
        Some(format!("\"{version}\"")),
        fourth,
        "the ETag is the stored version"
    );
    let late = workspaces.put_settings(ws, &settings, version - 1).await;
    assert!(
        matches!(late, Err(contact_service::store::StoreError::Conflict)),
        "{late:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn changes_made_at_once_to_different_settings_all_land() {
    let api = shared().owner("ws-settings-together");
    for round in 0..5u64 {
        let changes = [
            json!({"contact_limit": 100 + round}),
            json!({"default_country": if round % 2 == 0 { "EC" } else { "BR" }}),
            json!({"monthly_reset": {"tag": format!("Ronda {round}")}}),
            json!({"users": [format!("u{round}@example.com")]}),
        ];
        let tasks: Vec<_> = changes
            .into_iter()
            .map(|body| {
                let api = api.clone();
                tokio::spawn(
                    async move { ok(api.call("PATCH", "/v1/settings", Some(&body)).await) },
                )
            })
            .collect();
        let mut answers = Vec::new();
        for task in tasks {
            answers.push(task.await.unwrap());
        }
        for answer in &answers {
            assert_eq!(answer.status, 200, "{}", answer.body);
        }
        let now = ok(api.call("GET", "/v1/settings", None).await).body;
        assert_eq!(now["contact_limit"], 100 + round, "round {round}: {now}");
        assert_eq!(
            now["default_country"],
            if round % 2 == 0 { "EC" } else { "BR" },
            "round {round}: {now}"
        );
        assert_eq!(now["monthly_reset"]["tag"], format!("Ronda {round}"));
        assert_eq!(now["users"], json!([format!("u{round}@example.com")]));
    }
}
