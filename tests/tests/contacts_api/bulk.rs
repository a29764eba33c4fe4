//! Bulk actions over a list of ids, through HTTP: each id's outcome in the
//! order given, the contacts changed (and their histories told), deletes
//! for owners and managers only, identifiers released, another workspace's
//! ids not found, and bad requests refused whole.

use super::*;

async fn bulk(api: &ApiClient, body: Value) -> Answer {
    call(api, "POST", "/v1/bulk-actions", Some(body)).await
}

/// Each item's outcome, in the order answered.
fn outcomes(answer: &Answer) -> Vec<(String, String)> {
    answer.body["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|i| {
            (
                i["id"].as_str().unwrap().to_string(),
                i["outcome"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

async fn three_contacts(api: &ApiClient, base: u32) -> Vec<String> {
    let mut made = Vec::new();
    for (i, tags) in [json!(["vip"]), json!(["VIP", "nuevo"]), json!([])]
        .into_iter()
        .enumerate()
    {
        let c = seed_contact(
            api,
            json!({"first_name": format!("Masivo {i}"), "phone": ec_phone(base + i as u32), "tags": tags}),
        )
        .await;
        made.push(id(&c));
    }
    made
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tags_groups_and_blocking_by_ids_tell_each_contact_what_happened() {
    let s = shared();
    let agent = s.client("bulk-ids", Role::Agent);
    let ids3 = three_contacts(&s.owner("bulk-ids"), 8_100_000).await;
    let stranger = id(&seed_contact(
        &s.owner("bulk-ids-other"),
        json!({"first_name": "Ajeno", "phone": ec_phone(8_100_010)}),
    )
    .await);
    let mut named = ids3.clone();
    named.push(stranger.clone());
    named.push("c_nunca".into());

    // Tags: added once, kept in the spelling a contact already has.
    let answer = bulk(
        &agent,
        json!({"action": "add_tags", "tags": ["vip", "Campaña"], "ids": named}),
    )
    .await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    assert_eq!(answer.body["action"], "add_tags");
    let expected: Vec<(String, String)> = vec![
        (ids3[0].clone(), "changed".into()),
        (ids3[1].clone(), "changed".into()),
        (ids3[2].clone(), "changed".into()),
        (stranger.clone(), "not_found".into()),
        ("c_nunca".into(), "not_found".into()),
    ];
    assert_eq!(outcomes(&answer), expected, "in the order given");
    let first = get_ok(&agent, &format!("/v1/contacts/{}", ids3[0])).await;
    assert_eq!(tags_of(&first.body), ["vip", "Campaña"]);
    let second = get_ok(&agent, &format!("/v1/contacts/{}", ids3[1])).await;
    assert_eq!(tags_of(&second.body), ["VIP", "nuevo", "Campaña"]);
    // Another workspace's contact is untouched.
    let theirs = get_ok(
        &s.owner("bulk-ids-other"),
        &format!("/v1/contacts/{stranger}"),
    )
    .await;
    assert!(tags_of(&theirs.body).is_empty(), "{}", theirs.body);

    // The same request again changes nothing.
    let again = bulk(
        &agent,
        json!({"action": "add_tags", "tags": ["vip", "Campaña"], "ids": ids3}),
    )
    .await;
    assert!(
        outcomes(&again).iter().all(|(_, o)| o == "unchanged"),
        "{}",
        again.body
    );

    // Tags removed, case aside; a group joined and left; blocked.
    let removed = bulk(
        &agent,
        json!({"action": "remove_tags", "tags": ["CAMPAÑA"], "ids": [ids3[0]]}),
    )
    .await;
    assert_eq!(outcomes(&removed)[0].1, "changed");
    let grouped = bulk(
        &agent,
        json!({"action": "add_to_group", "group": " Fornecedores ", "ids": ids3}),
    )
    .await;
    assert_eq!(grouped.status, 200, "{}", grouped.body);
    let found = list_all(&agent, "group=fornecedores", 50).await.0;
    assert_eq!(
        found.iter().collect::<BTreeSet<_>>(),
        ids3.iter().collect::<BTreeSet<_>>(),
        "the search finds the group's members"
    );
    let left = bulk(
        &agent,
        json!({"action": "remove_from_group", "group": "FORNECEDORES", "ids": [ids3[2]]}),
    )
    .await;
    assert_eq!(outcomes(&left)[0].1, "changed");
    let blocked = bulk(&agent, json!({"action": "block", "ids": [ids3[1]]})).await;
    assert_eq!(outcomes(&blocked)[0].1, "changed");
    let c = get_ok(&agent, &format!("/v1/contacts/{}", ids3[1])).await;
    assert_eq!(c.body["blocked"], true);
    assert_eq!(c.body["groups"], json!(["Fornecedores"]));
    let c = get_ok(&agent, &format!("/v1/contacts/{}", ids3[2])).await;
    assert_eq!(c.body["groups"], json!([]));

    // Each change is in the contact's history, as the API's.
    let history = get_ok(&agent, &format!("/v1/contacts/{}/activity", ids3[1])).await;
    let kinds: Vec<&str> = history.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["kind"].as_str().unwrap())
        .collect();
    assert!(kinds.contains(&"blocked"), "{}", history.body);
    assert!(kinds.contains(&"tagged"), "{}", history.body);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deleting_by_ids_is_for_owners_and_managers_and_frees_the_phones() {
    let s = shared();
    let owner = s.owner("bulk-del");
    let ids3 = three_contacts(&owner, 8_100_100).await;
    let agent = s.client("bulk-del", Role::Agent);
    let refused = bulk(&agent, json!({"action": "delete", "ids": ids3})).await;
    assert_error(&refused, 403, "forbidden");
    for contact in &ids3 {
        assert_eq!(
            get_contact(&owner, contact).await.status,
            200,
            "nothing deleted"
        );
    }
    let manager = s.client("bulk-del", Role::Manager);
    let answer = bulk(
        &manager,
        json!({"action": "delete", "ids": [ids3[0], ids3[1]]}),
    )
    .await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    assert!(outcomes(&answer).iter().all(|(_, o)| o == "deleted"));
    for contact in &ids3[..2] {
        assert_eq!(get_contact(&owner, contact).await.status, 404);
    }
    assert_eq!(get_contact(&owner, &ids3[2]).await.status, 200);
    // Their phones are free: a new contact takes one.
    let reused = seed_contact(
        &owner,
        json!({"first_name": "Otra", "phone": ec_phone(8_100_100)}),
    )
    .await;
    assert_ne!(id(&reused), ids3[0]);
    // Deleting again finds nothing to delete.
    let again = bulk(&manager, json!({"action": "delete", "ids": [ids3[0]]})).await;
    assert_eq!(outcomes(&again), [(ids3[0].clone(), "not_found".into())]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_bulk_requests_are_refused_whole_and_change_nothing() {
    let s = shared();
    let owner = s.owner("bulk-bad");
    let ids3 = three_contacts(&owner, 8_100_200).await;
    let before = list_all(&owner, "tag=vip", 50).await.0;
    let too_many: Vec<String> = (0..101).map(|i| format!("c_{i}")).collect();
    let cases = [
        (
            json!({"action": "add_tags", "ids": ids3}),
            "invalid_bulk_action",
        ),
        (
            json!({"action": "add_tags", "tags": [], "ids": ids3}),
            "invalid_bulk_action",
        ),
        (
            json!({"action": "block", "tags": ["x"], "ids": ids3}),
            "invalid_bulk_action",
        ),
        (
            json!({"action": "add_to_group", "ids": ids3}),
            "invalid_bulk_action",
        ),
        (
            json!({"action": "add_to_group", "group": "  ", "ids": ids3}),
            "invalid_bulk_action",
        ),
        (
            json!({"action": "block", "group": "g", "ids": ids3}),
            "invalid_bulk_action",
        ),
        (json!({"action": "block"}), "invalid_bulk_action"),
        (
            json!({"action": "block", "ids": ids3, "filter": {}}),
            "invalid_bulk_action",
        ),
        (json!({"action": "block", "ids": []}), "invalid_bulk_action"),
        (
            json!({"action": "block", "ids": too_many}),
            "invalid_bulk_action",
        ),
        (
            json!({"action": "block", "ids": [ids3[0], ids3[0]]}),
            "invalid_bulk_action",
        ),
        (
            json!({"action": "remove_tags", "tags": ["x".repeat(65)], "ids": ids3}),
            "invalid_contact",
        ),
        (json!({"action": "explode", "ids": ids3}), "invalid_body"),
        (
            json!({"action": "block", "ids": ids3, "extra": 1}),
            "invalid_body",
        ),
        (
            json!({"action": "block", "filter": {"country": "Atlantis"}}),
            "invalid_query",
        ),
        (
            json!({"action": "block", "filter": {"created_after": "ayer"}}),
            "invalid_query",
        ),
        (
            json!({"action": "block", "filter": {"custom": "nope:1"}}),
            "unknown_custom_field",
        ),
        (
            json!({"action": "block", "filter": {"tags": ["a,b"]}}),
            "invalid_query",
        ),
        (
            json!({"action": "block", "filter": {"sort": "name"}}),
            "invalid_body",
        ),
    ];
    for (body, code) in cases {
        let answer = bulk(&owner, body.clone()).await;
        assert_eq!(answer.status, 400, "{body}: {}", answer.body);
        assert_eq!(answer.code(), code, "{body}: {}", answer.body);
    }
    for contact in &ids3 {
        let c = get_ok(&owner, &format!("/v1/contacts/{contact}")).await;
        assert_eq!(c.body["blocked"], false, "{}", c.body);
    }
    assert_eq!(list_all(&owner, "tag=vip", 50).await.0, before);
    let jobs = get_ok(&owner, "/v1/bulk-actions").await;
    assert_eq!(jobs.body["items"], json!([]), "no job was started");
}
