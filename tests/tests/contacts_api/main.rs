//! API.md's contact routes through HTTP on the local stack: listing across
//! the shards with an opaque cursor, edits whose phone moves atomically,
//! deletes that free identifiers, tags, merge suggestions, the plan's
//! contact limit, roles, workspaces kept apart, and an import racing the
//! API for one phone number.
//!
//! The tests share one stack; each keeps to its own workspace.

use std::collections::{BTreeSet, HashSet};
use std::time::Duration;

use contact_engine::fields::{CustomField, CustomType};
use contact_service::operations::Role;
use contact_service::records::Settings;
use contacts::client::{Answer, ApiClient};
use end_to_end::{
    assert_error, by_phone, confirmed, ec_phone, file, id_of, ok, one_by_phone, query_value,
    result_counts, reviewed, seed_contact, set_contact_limit, shared, stored_contacts, tags_of,
    two_contacts_sharing,
};
use serde_json::{Value, json};

mod bulk;
mod edits;
mod groups;
mod merges;
mod search;

async fn call(api: &ApiClient, method: &str, path: &str, body: Option<Value>) -> Answer {
    ok(api.call(method, path, body.as_ref()).await)
}

fn id(contact: &Value) -> String {
    contact["id"].as_str().expect("a contact id").to_string()
}

/// The one id a look-up or search should find.
fn only(id: &str) -> Vec<String> {
    vec![id.to_string()]
}

fn ids(items: &Value) -> Vec<String> {
    items.as_array().expect("items").iter().map(id).collect()
}

/// A `GET` that answers 200.
async fn get_ok(api: &ApiClient, path: &str) -> Answer {
    let answer = call(api, "GET", path, None).await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    answer
}

async fn get_contact(api: &ApiClient, contact: &str) -> Answer {
    call(api, "GET", &format!("/v1/contacts/{contact}"), None).await
}

async fn by_email(api: &ApiClient, email: &str) -> Vec<String> {
    let answer = get_ok(api, &format!("/v1/contacts?email={}", query_value(email))).await;
    ids(&answer.body["items"])
}

/// Every page of a listing (`query` holds its own parameters); answers the
/// ids in the order met and the number of pages.
async fn list_all(api: &ApiClient, query: &str, limit: usize) -> (Vec<String>, usize) {
    let mut found = Vec::new();
    let mut cursor: Option<String> = None;
    for page in 1..=200 {
        let mut path = format!("/v1/contacts?limit={limit}");
        if !query.is_empty() {
            path.push('&');
            path.push_str(query);
        }
        if let Some(c) = &cursor {
            path.push_str(&format!("&cursor={}", query_value(c)));
        }
        let answer = call(api, "GET", &path, None).await;
        assert_eq!(answer.status, 200, "GET {path}: {}", answer.body);
        let items = ids(&answer.body["items"]);
        assert!(items.len() <= limit, "page {page}: {} items", items.len());
        found.extend(items);
        match answer.body["cursor"].as_str() {
            Some(next) => cursor = Some(next.to_string()),
            None => return (found, page),
        }
    }
    panic!("the listing never ended: {} contacts so far", found.len());
}

/// Creates `count` contacts, a few at a time; `tags(i)` names the tags of
/// the i-th. Answers (i, id) for each.
async fn create_many(
    api: &ApiClient,
    count: u32,
    tags: impl Fn(u32) -> Vec<String>,
) -> Vec<(u32, String)> {
    let mut created = Vec::new();
    for start in (0..count).step_by(10) {
        let mut batch = tokio::task::JoinSet::new();
        for i in start..(start + 10).min(count) {
            let api = api.clone();
            let body = json!({"first_name": format!("Persona {i}"), "phone": ec_phone(10_000 + i),
                              "tags": tags(i)});
            batch.spawn(async move { (i, id(&seed_contact(&api, body).await)) });
        }
        while let Some(created_one) = batch.join_next().await {
            created.push(created_one.expect("the create task ends"));
        }
    }
    created
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn listing_pages_through_every_shard_and_filters_tags_case_insensitively() {
    let api = shared().owner("capi-list");
    // Every third contact is tagged, in assorted cases.
    let tagged = |i: u32| match (i % 3, i % 2) {
        (0, 0) => vec!["VIP".to_string(), "lead".to_string()],
        (0, _) => vec!["vip".to_string()],
        _ => vec!["lead".to_string()],
    };
    let created = create_many(&api, 130, tagged).await;
    let expected: BTreeSet<String> = created.iter().map(|(_, c)| c.clone()).collect();
    assert_eq!(expected.len(), 130);

    let (listed, pages) = list_all(&api, "", 50).await;
    assert!(pages >= 3, "130 contacts in pages of 50: {pages} pages");
    let once: HashSet<&String> = listed.iter().collect();
    assert_eq!(once.len(), listed.len(), "no contact twice");
    assert_eq!(
        listed.iter().cloned().collect::<BTreeSet<_>>(),
        expected,
        "every contact"
    );

    // Without `limit`, pages of 50.
    let first = call(&api, "GET", "/v1/contacts", None).await;
    assert_eq!(first.status, 200, "{}", first.body);
    assert_eq!(first.body["items"].as_array().unwrap().len(), 50);
    assert!(first.body["cursor"].is_string());

    let vip: BTreeSet<String> = created
        .iter()
        .filter(|(i, _)| i % 3 == 0)
        .map(|(_, c)| c.clone())
        .collect();
    assert_eq!(vip.len(), 44);
    for tag in ["vip", "VIP", "vIp"] {
        let (listed, pages) = list_all(&api, &format!("tag={tag}"), 20).await;
        assert!(
            pages >= 3,
            "{} tagged contacts in pages of 20",
            listed.len()
        );
        assert_eq!(
            listed.len(),
            listed.iter().collect::<HashSet<_>>().len(),
            "no contact twice"
        );
        assert_eq!(listed.into_iter().collect::<BTreeSet<_>>(), vip);
    }
    let (none, _) = list_all(&api, "tag=nobody", 50).await;
    assert!(none.is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cursor_that_is_not_one_answers_400_and_one_never_crosses_workspaces() {
    let api = shared().owner("capi-cursor");
    for i in 0..3 {
        seed_contact(
            &api,
            json!({"first_name": format!("Mine {i}"), "phone": ec_phone(i)}),
        )
        .await;
    }
    for bad in [
        "nonsense!!",
        "AAAA",
        // {"shard":99}
        "eyJzaGFyZCI6OTl9",
        // {"shard":1,"id":"a#b"}
        "eyJzaGFyZCI6MSwiaWQiOiJhI2IifQ",
    ] {
        let answer = call(
            &api,
            "GET",
            &format!("/v1/contacts?cursor={}", query_value(bad)),
            None,
        )
        .await;
        assert_error(&answer, 400, "invalid_cursor");
    }
    for (query, code) in [
        ("limit=0", "invalid_query"),
        ("limit=101", "invalid_query"),
        ("limit=ten", "invalid_query"),
        ("tag=", "invalid_query"),
        ("phone=%2B593990000000&email=a%40b.co", "invalid_query"),
        ("phone=%2B593990000000&tag=vip", "invalid_query"),
        ("sort=colour", "invalid_query"),
        ("colour=red", "invalid_query"),
        ("created_after=yesterday", "invalid_query"),
        ("country=Atlantis", "invalid_query"),
    ] {
        let answer = call(&api, "GET", &format!("/v1/contacts?{query}"), None).await;
        assert_error(&answer, 400, code);
    }

    // A cursor taken from this workspace lists the other's own contacts only.
    let page = call(&api, "GET", "/v1/contacts?limit=1", None).await;
    assert_eq!(page.status, 200, "{}", page.body);
    let cursor = page.body["cursor"].as_str().expect("a cursor").to_string();
    let mine: HashSet<String> = list_all(&api, "", 50).await.0.into_iter().collect();
    let other = shared().owner("capi-cursor-other");
    let theirs = seed_contact(&other, json!({"first_name": "Theirs"})).await;
    let mut seen = Vec::new();
    let mut next = Some(cursor);
    while let Some(c) = next {
        let answer = get_ok(&other, &format!("/v1/contacts?cursor={}", query_value(&c))).await;
        seen.extend(ids(&answer.body["items"]));
        next = answer.body["cursor"].as_str().map(str::to_string);
    }
    assert!(
        seen.iter().all(|c| !mine.contains(c)),
        "another workspace's contacts: {seen:?}"
    );
    assert!(seen.len() <= 1 && seen.iter().all(|c| *c == id(&theirs)));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn merge_suggestions_name_the_duplicates_an_add_all_import_made() {
    let api = shared().owner("capi-merge");
    let phone = ec_phone(1);
    two_contacts_sharing(&api, &phone).await;
    let twins = ids(&Value::Array(by_phone(&api, &phone).await));
    assert_eq!(twins.len(), 2);
    let alone = seed_contact(&api, json!({"first_name": "Sola", "phone": ec_phone(2)})).await;

    for (me, other) in [(&twins[0], &twins[1]), (&twins[1], &twins[0])] {
        let answer = get_ok(&api, &format!("/v1/contacts/{me}/merge-suggestions")).await;
        assert_eq!(ids(&answer.body["items"]), std::slice::from_ref(other));
    }
    let answer = get_ok(
        &api,
        &format!("/v1/contacts/{}/merge-suggestions", id(&alone)),
    )
    .await;
    assert_eq!(answer.body["items"], json!([]));

    // A twin may take an email of its own...
    let patched = call(
        &api,
        "PATCH",
        &format!("/v1/contacts/{}", twins[0]),
        Some(json!({"email": "twin@example.com"})),
    )
    .await;
    assert_eq!(patched.status, 200, "{}", patched.body);
    // ...and be renamed: its shared phone does not move, so nothing stops it.
    let renamed = call(
        &api,
        "PATCH",
        &format!("/v1/contacts/{}", twins[1]),
        Some(json!({"first_name": "Twin B2"})),
    )
    .await;
    assert_eq!(renamed.status, 200, "{}", renamed.body);
    assert_eq!(by_phone(&api, &phone).await.len(), 2);

    assert_error(
        &call(
            &api,
            "GET",
            "/v1/contacts/c_missing/merge-suggestions",
            None,
        )
        .await,
        404,
        "not_found",
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn creating_counts_toward_the_months_contact_limit() {
    let ws = "capi-limit";
    set_contact_limit(ws, 2).await;
    let api = shared().owner(ws);
    let first = seed_contact(&api, json!({"first_name": "Uno", "phone": ec_phone(1)})).await;
    // A refused create takes none of the limit.
    let taken = call(
        &api,
        "POST",
        "/v1/contacts",
        Some(json!({"first_name": "Otra", "phone": ec_phone(1)})),
    )
    .await;
    assert_error(&taken, 409, "identifier_taken");
    // It says which phone, and which contact has it.
    assert_eq!(
        taken.body["error"]["message"],
        format!(
            "contact {} already has the phone {}",
            id(&first),
            ec_phone(1)
        )
    );
    seed_contact(&api, json!({"first_name": "Dos", "phone": ec_phone(2)})).await;

    let third = call(
        &api,
        "POST",
        "/v1/contacts",
        Some(json!({"first_name": "Tres", "phone": ec_phone(3)})),
    )
    .await;
    assert_error(&third, 409, "contact_limit_reached");
    // It says what the limit is.
    let message = third.body["error"]["message"].as_str().unwrap();
    assert!(
        message.starts_with(
            "plan contact limit reached: the workspace may add 2 new contacts a month"
        ),
        "{message}"
    );
    assert!(
        by_phone(&api, &ec_phone(3)).await.is_empty(),
        "nothing half-written"
    );
    // A taken identifier still says so at the limit.
    let taken = call(
        &api,
        "POST",
        "/v1/contacts",
        Some(json!({"first_name": "Otra", "phone": ec_phone(1)})),
    )
    .await;
    assert_error(&taken, 409, "identifier_taken");
    let stored =
        stored_contacts(&shared().clients, shared().service.store().table_name(), ws).await;
    assert_eq!(stored.len(), 2, "{stored:?}");
    assert!(stored.contains_key(&id(&first)));
    // Edits create nothing: the limit does not stop them.
    let patched = call(
        &api,
        "PATCH",
        &format!("/v1/contacts/{}", id(&first)),
        Some(json!({"last_name": "Editado"})),
    )
    .await;
    assert_eq!(patched.status, 200, "{}", patched.body);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn another_workspaces_contact_answers_404_on_every_route() {
    let mine = shared().owner("capi-mine");
    let contact = seed_contact(
        &mine,
        json!({"first_name": "Privada", "phone": ec_phone(1), "email": "privada@example.com",
               "tags": ["secret"]}),
    )
    .await;
    let c = id(&contact);
    let other = shared().owner("capi-other");
    let tags = json!({"tags": ["x"]});
    for (method, path, body) in [
        ("GET", format!("/v1/contacts/{c}"), None),
        (
            "PATCH",
            format!("/v1/contacts/{c}"),
            Some(json!({"first_name": "Robada"})),
        ),
        // A bad value still answers 404: the contact is looked for first.
        (
            "PATCH",
            format!("/v1/contacts/{c}"),
            Some(json!({"phone": "12"})),
        ),
        ("DELETE", format!("/v1/contacts/{c}"), None),
        ("POST", format!("/v1/contacts/{c}/tags"), Some(tags.clone())),
        ("DELETE", format!("/v1/contacts/{c}/tags"), Some(tags)),
        ("GET", format!("/v1/contacts/{c}/merge-suggestions"), None),
    ] {
        let answer = call(&other, method, &path, body).await;
        assert_error(&answer, 404, "not_found");
    }
    assert!(by_phone(&other, &ec_phone(1)).await.is_empty());
    assert!(by_email(&other, "privada@example.com").await.is_empty());
    assert!(list_all(&other, "", 50).await.0.is_empty());
    assert!(list_all(&other, "tag=secret", 50).await.0.is_empty());
    // Its own workspace's phone is free to the other.
    seed_contact(&other, json!({"first_name": "Suya", "phone": ec_phone(1)})).await;
    // And the contact is untouched.
    assert_eq!(get_contact(&mine, &c).await.body, contact);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_openapi_document_lists_every_contact_route() {
    let doc = reqwest::get(format!("{}/v1/openapi.json", shared().api_url))
        .await
        .unwrap()
        .json::<Value>()
        .await
        .unwrap();
    let paths = &doc["paths"];
    for (path, methods) in [
        ("/v1/contacts", &["get", "post"][..]),
        ("/v1/contacts/{id}", &["get", "patch", "delete"][..]),
        ("/v1/contacts/{id}/tags", &["post", "delete"][..]),
        ("/v1/contacts/{id}/merge-suggestions", &["get"][..]),
    ] {
        for method in methods {
            assert!(
                paths[path][method].is_object(),
                "{method} {path} in the document"
            );
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_import_racing_the_api_for_one_phone_leaves_exactly_one_contact() {
    let ws = "capi-race";
    let api = shared().owner(ws);
    let table = shared().service.store().table_name().to_string();
    // Different head starts for the import, so the two meet in different orders.
    for (round, delay_ms) in [0u64, 10, 20, 30, 40, 50, 70, 100, 400]
        .into_iter()
        .enumerate()
    {
        let phone = ec_phone(500 + round as u32);
        let bytes = file(&[
            "First Name,Phone".to_string(),
            format!("Importada {round},{phone}"),
        ]);
        let import = reviewed(
            &api,
            &format!("race-{round}.csv"),
            &bytes,
            Some(json!({"purpose": "add_and_update", "identifier": "phone"})),
        )
        .await;
        assert_eq!(import["review"]["to_add"], 1, "{import}");
        let import_id = id_of(&import);
        let body = json!({"first_name": format!("Api {round}"), "phone": phone});
        let (done, posted) = tokio::join!(confirmed(&api, &import_id), async {
            tokio::time::sleep(Duration::from_millis(delay_ms)).await;
            call(&api, "POST", "/v1/contacts", Some(body)).await
        });

        let holders = by_phone(&api, &phone).await;
        assert_eq!(holders.len(), 1, "round {round}: {holders:?}");
        let stored = stored_contacts(&shared().clients, &table, ws).await;
        let with_phone: Vec<&String> = stored
            .iter()
            .filter(|(_, p)| p.as_deref() == Some(phone.as_str()))
            .map(|(c, _)| c)
            .collect();
        assert_eq!(with_phone, [&id(&holders[0])], "round {round}");
        eprintln!(
            "race round {round} (POST after {delay_ms} ms): POST answered {}",
            posted.status
        );
        match posted.status {
            // The API came first: the import found the contact and updated it.
            201 => {
                assert_eq!(id(&posted.body), id(&holders[0]), "round {round}");
                assert_eq!(result_counts(&done), [0, 1, 0, 0], "round {round}: {done}");
                assert_eq!(holders[0]["first_name"], format!("Importada {round}"));
            }
            // The import came first: the API was told the phone is taken.
            409 => {
                assert_error(&posted, 409, "identifier_taken");
                assert_eq!(result_counts(&done), [1, 0, 0, 0], "round {round}: {done}");
            }
            other => panic!("round {round}: POST answered {other}: {}", posted.body),
        }
    }
}
