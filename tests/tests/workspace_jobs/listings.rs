//! Exports are listed as imports are, and start with no body at all;
//! notifications carry the API's paths to what they concern.

use super::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn exports_start_with_no_body_and_are_listed_newest_first() {
    let api = shared().owner("ws-export-list");
    seed_contact(
        &api,
        json!({"first_name": "Ana", "phone": ec_phone(81_001), "tags": ["vip"]}),
    )
    .await;
    seed_contact(
        &api,
        json!({"first_name": "Luis", "phone": ec_phone(81_002)}),
    )
    .await;

    // No body at all: every column, every contact.
    let (all, _) = ok(api
        .call_with_headers("POST", "/v1/exports", None, &[])
        .await);
    assert_eq!(all.status, 202, "{}", all.body);
    let all = export_done(&api, all.body["id"].as_str().unwrap()).await;
    assert_eq!(all["rows"], 2, "{all}");
    let vip = ok(api
        .call("POST", "/v1/exports", Some(&json!({"tag": "vip"})))
        .await);
    assert_eq!(vip.status, 202, "{}", vip.body);
    let vip = export_done(&api, vip.body["id"].as_str().unwrap()).await;
    assert_eq!(vip["rows"], 1, "{vip}");

    let listed = ok(api.call("GET", "/v1/exports", None).await);
    assert_eq!(listed.status, 200, "{}", listed.body);
    let items = listed.body["items"].as_array().unwrap();
    let ids: Vec<&str> = items.iter().map(|i| i["id"].as_str().unwrap()).collect();
    assert_eq!(
        ids,
        [vip["id"].as_str().unwrap(), all["id"].as_str().unwrap()]
    );
    assert!(
        items.iter().all(|i| i["url"].is_string()),
        "{}",
        listed.body
    );
    assert_eq!(listed.body["cursor"], Value::Null);

    // A page at a time, the cursor pasted as given.
    let first = ok(api.call("GET", "/v1/exports?limit=1", None).await);
    assert_eq!(first.body["items"][0]["id"], vip["id"]);
    let cursor = first.body["cursor"].as_str().expect("a cursor").to_string();
    let rest = ok(api
        .call("GET", &format!("/v1/exports?limit=1&cursor={cursor}"), None)
        .await);
    assert_eq!(rest.status, 200, "{}", rest.body);
    assert_eq!(rest.body["items"][0]["id"], all["id"]);
    let bad = ok(api.call("GET", "/v1/exports?cursor=nope", None).await);
    end_to_end::assert_error(&bad, 400, "invalid_cursor");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn notifications_link_to_what_they_concern() {
    let api = shared().owner("ws-notification-links");
    let bytes = file(&[
        "First Name,Phone".into(),
        format!("Ana,{}", ec_phone(81_010)),
    ]);
    let import = reviewed(&api, "avisos.csv", &bytes, None).await;
    let id = id_of(&import);
    let answer = ok(api
        .call("POST", &format!("/v1/imports/{id}/confirm"), None)
        .await);
    assert_eq!(answer.status, 200, "{}", answer.body);
    end_to_end::completed(&api, &id).await;
    let export = ok(api.call("POST", "/v1/exports", None).await);
    let export = export_done(&api, export.body["id"].as_str().unwrap()).await;

    let notes = ok(api.call("GET", "/v1/notifications", None).await).body;
    let of = |kind: &str| {
        notes["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|n| n["kind"] == kind)
            .cloned()
            .unwrap_or_else(|| panic!("{kind} in {notes}"))
    };
    let done = of("import_completed");
    assert_eq!(
        done["links"],
        json!({"import": format!("/v1/imports/{id}"), "result": format!("/v1/imports/{id}/result")})
    );
    // The link leads to the result file.
    let result = result_file(&api, &id, b',').await;
    assert_eq!(result.rows.len(), 1);
    let (status, _) = ok(api
        .download(done["links"]["result"].as_str().unwrap())
        .await);
    assert_eq!(status, 200);
    let ready = of("export_ready");
    assert_eq!(
        ready["links"],
        json!({"export": format!("/v1/exports/{}", export["id"].as_str().unwrap())})
    );
}
