//! Merging contacts, undoing a merge, and a contact's activity, through
//! HTTP on the local stack: the values chosen per field, every phone and
//! email of the merged contacts finding the merged one (by look-up and by
//! import), a merge sent twice ending as one, blocked contacts, an undo
//! that keeps what changed since and says what it could not give back, the
//! month's count, roles, and a merge racing an import of the merged phones.

use contact_service::http::auth::Keys;
use contact_service::operations::Role;
use contacts::client::{Answer, ApiClient};
use end_to_end::{
    assert_error, by_phone, confirmed, ec_phone, file, id_of, result_counts, result_file, reviewed,
    seed_contact, set_contact_limit, shared, tags_of, two_contacts_sharing,
};
use serde_json::{Value, json};

use super::{by_email, call, get_contact, get_ok, id, ids, only};

async fn merge(api: &ApiClient, into: &str, body: Value) -> Answer {
    call(
        api,
        "POST",
        &format!("/v1/contacts/{into}/merge"),
        Some(body),
    )
    .await
}

async fn merged(api: &ApiClient, into: &str, body: Value) -> Value {
    let answer = merge(api, into, body).await;
    assert_eq!(answer.status, 200, "merge into {into}: {}", answer.body);
    answer.body
}

async fn undo(api: &ApiClient, merge: &str) -> Answer {
    call(api, "POST", &format!("/v1/merges/{merge}/undo"), None).await
}

async fn phone_holders(api: &ApiClient, phone: &str) -> Vec<String> {
    ids(&Value::Array(by_phone(api, phone).await))
}

/// A contact's activity, newest first: the kinds.
async fn activity_kinds(api: &ApiClient, contact: &str) -> Vec<String> {
    let answer = get_ok(api, &format!("/v1/contacts/{contact}/activity?limit=100")).await;
    answer.body["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|e| e["kind"].as_str().unwrap().to_string())
        .collect()
}

fn signed(ws: &str, role: Role, email: &str) -> ApiClient {
    let s = shared();
    let keys: &Keys = &s.auth.keys;
    ApiClient::new(&s.api_url, Some(keys.sign_for(ws, role, Some(email), 3600)))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_merge_keeps_the_values_chosen_and_every_phone_and_email_finds_the_merged_contact() {
    let api = shared().owner("merge-values");
    let (shared_phone, own_phone) = (ec_phone(101), ec_phone(102));
    two_contacts_sharing(&api, &shared_phone).await;
    let twins = phone_holders(&api, &shared_phone).await;
    let (a, b) = (twins[0].clone(), twins[1].clone());
    let answer = call(
        &api,
        "PATCH",
        &format!("/v1/contacts/{b}"),
        Some(json!({"email": "twin.b@example.com", "last_name": "Bravo"})),
    )
    .await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    call(
        &api,
        "POST",
        &format!("/v1/contacts/{a}/tags"),
        Some(json!({"tags": ["vip"]})),
    )
    .await;
    let c = id(&seed_contact(
        &api,
        json!({"first_name": "Carla", "phone": own_phone,
        "email": "carla@example.com", "tags": ["VIP", "feria"]}),
    )
    .await);

    // The suggestions name the twin, with the phone they share.
    let suggested = get_ok(&api, &format!("/v1/contacts/{a}/merge-suggestions")).await;
    assert_eq!(ids(&suggested.body["items"]), only(&b));
    assert_eq!(
        suggested.body["items"][0]["shared"],
        json!([{"field": "phone", "value": shared_phone}])
    );

    let record = merged(
        &api,
        &a,
        json!({"others": [b, c], "fields": {"first_name": c, "email": c}}),
    )
    .await;
    let after = &record["after"];
    assert_eq!(record["contact"], json!(a));
    assert_eq!(record["merged"], json!([b, c]));
    assert_eq!(record["status"], "merged");
    assert_eq!(after["first_name"], "Carla", "chosen");
    assert_eq!(
        after["last_name"], "Bravo",
        "empty on the survivor: the first other's"
    );
    assert_eq!(after["email"], "carla@example.com", "chosen");
    assert_eq!(after["other_emails"], json!(["twin.b@example.com"]));
    assert_eq!(after["phone"], json!(shared_phone));
    assert_eq!(after["other_phones"], json!([own_phone]));
    let own_tags: Vec<String> = tags_of(after)
        .into_iter()
        .filter(|t| !t.starts_with("import-"))
        .collect();
    assert_eq!(own_tags, ["vip", "feria"], "united, case-insensitively");
    let read = get_ok(&api, &format!("/v1/contacts/{a}")).await.body;
    assert_eq!(&read, after, "the contact as the merge answered it");
    for gone in [&b, &c] {
        assert_error(&get_contact(&api, gone).await, 404, "not_found");
    }

    // Every phone and email of the three finds the merged contact alone.
    assert_eq!(phone_holders(&api, &shared_phone).await, only(&a));
    assert_eq!(phone_holders(&api, &own_phone).await, only(&a));
    assert_eq!(by_email(&api, "twin.b@example.com").await, only(&a));
    assert_eq!(by_email(&api, "carla@example.com").await, only(&a));
    // ...and so does an import: a row with Carla's old phone updates it.
    let bytes = file(&[
        "First Name,Phone,Language".into(),
        format!("Carla,{own_phone},es"),
    ]);
    let import = reviewed(&api, "carla.csv", &bytes, None).await;
    let done = confirmed(&api, &id_of(&import)).await;
    assert_eq!(result_counts(&done), [0, 1, 0, 0], "{done}");
    let result = result_file(&api, &id_of(&done), b',').await;
    assert_eq!(result.cell(0, "Contact ID"), a);
    let read = get_ok(&api, &format!("/v1/contacts/{a}")).await.body;
    assert_eq!(read["language"], "es");
    assert_eq!(
        read["phone"],
        json!(own_phone),
        "the row's phone is now its own"
    );
    assert_eq!(
        read["other_phones"],
        json!([shared_phone]),
        "the old one kept, not released"
    );
    assert_eq!(phone_holders(&api, &shared_phone).await, only(&a));
    assert_eq!(
        get_ok(&api, &format!("/v1/contacts/{a}/merge-suggestions"))
            .await
            .body["items"],
        json!([])
    );

    // The history says who did what, newest first.
    assert_eq!(activity_kinds(&api, &a).await[..2], ["updated", "merged"]);
    let history = get_ok(&api, &format!("/v1/contacts/{a}/activity"))
        .await
        .body;
    let by_import = &history["items"][0];
    assert_eq!(by_import["by"]["source"], "import");
    assert_eq!(by_import["by"]["import"], json!(id_of(&done)));
    assert_eq!(by_import["by"]["row"], 2);
    assert!(
        by_import["changes"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["field"] == "language" && c["before"].is_null() && c["after"] == "es"),
        "{by_import}"
    );
    assert_eq!(history["items"][1]["merge"], record["id"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_merge_sent_twice_or_twice_at_once_ends_as_one() {
    let api = shared().owner("merge-twice");
    let a = id(&seed_contact(&api, json!({"first_name": "Ana", "phone": ec_phone(201)})).await);
    let b = id(&seed_contact(&api, json!({"first_name": "Ana B", "phone": ec_phone(202)})).await);
    let first = merged(&api, &a, json!({"others": [b]})).await;
    let again = merged(&api, &a, json!({"others": [b]})).await;
    assert_eq!(again["id"], first["id"], "the same merge, answered again");

    // Two at once: one writes, the other finds it done.
    let c = id(&seed_contact(&api, json!({"first_name": "Ana C", "phone": ec_phone(203)})).await);
    let (x, y) = tokio::join!(
        merge(&api, &a, json!({"others": [c]})),
        merge(&api, &a, json!({"others": [c]}))
    );
    assert_eq!((x.status, y.status), (200, 200), "{} {}", x.body, y.body);
    assert_eq!(x.body["id"], y.body["id"]);
    let history = get_ok(&api, "/v1/merges").await.body;
    let merges: Vec<&Value> = history["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| &m["id"])
        .collect();
    assert_eq!(
        merges,
        [&x.body["id"], &first["id"]],
        "two merges, newest first"
    );
    assert_eq!(phone_holders(&api, &ec_phone(203)).await, only(&a));
    let kinds = activity_kinds(&api, &a).await;
    assert_eq!(
        kinds.iter().filter(|k| *k == "merged").count(),
        2,
        "{kinds:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_merges_are_refused_and_change_nothing() {
    let api = shared().owner("merge-bad");
    let a = id(&seed_contact(&api, json!({"first_name": "Ana", "phone": ec_phone(301)})).await);
    let b = id(&seed_contact(&api, json!({"first_name": "Beto", "phone": ec_phone(302)})).await);
    let elsewhere = id(&seed_contact(
        &shared().owner("merge-bad-other"),
        json!({"first_name": "Otra", "phone": ec_phone(303)}),
    )
    .await);
    for (body, status, code) in [
        (json!({"others": []}), 400, "invalid_merge"),
        (json!({"others": [a]}), 400, "invalid_merge"),
        (json!({"others": [b, b]}), 400, "invalid_merge"),
        (json!({"others": ["c/../x"]}), 400, "invalid_merge"),
        (
            json!({"others": [b], "fields": {"tags": b}}),
            400,
            "invalid_merge",
        ),
        (
            json!({"others": [b], "fields": {"phone": "c_nobody"}}),
            400,
            "invalid_merge",
        ),
        (json!({"others": [b], "also": 1}), 400, "invalid_body"),
        (json!({"others": ["c_nobody"]}), 404, "not_found"),
        (json!({"others": [elsewhere]}), 404, "not_found"),
    ] {
        assert_error(&merge(&api, &a, body.clone()).await, status, code);
    }
    assert_error(
        &merge(&api, "c_nobody", json!({"others": [b]})).await,
        404,
        "not_found",
    );

    // Blocked contacts are never suggested and cannot be merged until unblocked.
    let twin_phone = ec_phone(304);
    two_contacts_sharing(&api, &twin_phone).await;
    let twins = phone_holders(&api, &twin_phone).await;
    call(
        &api,
        "PATCH",
        &format!("/v1/contacts/{}", twins[1]),
        Some(json!({"blocked": true})),
    )
    .await;
    let suggested = get_ok(
        &api,
        &format!("/v1/contacts/{}/merge-suggestions", twins[0]),
    )
    .await;
    assert_eq!(suggested.body["items"], json!([]));
    assert_error(
        &merge(&api, &twins[0], json!({"others": [twins[1]]})).await,
        409,
        "contact_blocked",
    );
    call(
        &api,
        "PATCH",
        &format!("/v1/contacts/{}", twins[1]),
        Some(json!({"blocked": false})),
    )
    .await;
    merged(&api, &twins[0], json!({"others": [twins[1]]})).await;

    // A contact merged into another cannot be merged again.
    merged(&api, &a, json!({"others": [b]})).await;
    assert_error(
        &merge(&api, &twins[0], json!({"others": [b]})).await,
        409,
        "contact_merged",
    );
    assert_eq!(
        get_ok(&api, &format!("/v1/contacts/{a}")).await.body["other_phones"],
        json!([ec_phone(302)])
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_undo_gives_each_contact_back_keeping_what_changed_since_and_says_what_it_could_not() {
    let api = shared().owner("merge-undo");
    let a = id(&seed_contact(
        &api,
        json!({"first_name": "Ana", "phone": ec_phone(401), "tags": ["vip"]}),
    )
    .await);
    let b_body = json!({"first_name": "Beatriz", "phone": ec_phone(402), "email": "bea@example.com",
        "last_name": "Souza", "tags": ["feria"]});
    let b_before = seed_contact(&api, b_body).await;
    let b = id(&b_before);
    let record = merged(&api, &a, json!({"others": [b]})).await;

    // Since the merge: a new last name, a tag, and the merged email replaced
    // by another, which frees it, and someone else takes it.
    let answer = call(
        &api,
        "PATCH",
        &format!("/v1/contacts/{a}"),
        Some(json!({"last_name": "Silva", "email": "ana@example.com"})),
    )
    .await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    call(
        &api,
        "POST",
        &format!("/v1/contacts/{a}/tags"),
        Some(json!({"tags": ["nuevo"]})),
    )
    .await;
    let taker = id(&seed_contact(
        &api,
        json!({"first_name": "Otra", "email": "bea@example.com"}),
    )
    .await);

    let answer = undo(&api, record["id"].as_str().unwrap()).await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    let undone = answer.body;
    assert_eq!(undone["status"], "undone");
    assert_eq!(
        undone["not_restored"],
        json!([format!(
            "{b}'s email bea@example.com is held by contact {taker} now"
        )])
    );

    let a_now = get_ok(&api, &format!("/v1/contacts/{a}")).await.body;
    assert_eq!(a_now["first_name"], "Ana");
    assert_eq!(a_now["last_name"], "Silva", "changed since: kept");
    assert_eq!(a_now["email"], "ana@example.com", "changed since: kept");
    assert_eq!(
        tags_of(&a_now),
        ["vip", "nuevo"],
        "feria went back with Beatriz"
    );
    assert!(a_now.get("other_phones").is_none(), "{a_now}");
    let b_now = get_ok(&api, &format!("/v1/contacts/{b}")).await.body;
    for field in ["first_name", "last_name", "phone", "tags", "created_at"] {
        assert_eq!(b_now[field], b_before[field], "{field}");
    }
    assert!(b_now["email"].is_null(), "its email is another's now");
    assert_eq!(phone_holders(&api, &ec_phone(402)).await, only(&b));
    assert_eq!(phone_holders(&api, &ec_phone(401)).await, only(&a));
    assert_eq!(by_email(&api, "bea@example.com").await, [taker]);

    // Sent again, it answers the undo as it ended and changes nothing.
    let again = undo(&api, record["id"].as_str().unwrap()).await;
    assert_eq!(again.status, 200, "{}", again.body);
    assert_eq!(again.body["undone_at"], undone["undone_at"]);
    assert_eq!(get_ok(&api, &format!("/v1/contacts/{b}")).await.body, b_now);
    assert_eq!(activity_kinds(&api, &a).await[0], "unmerged");
    assert_eq!(
        activity_kinds(&api, &b).await[..2],
        ["restored", "merged_into"]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_undo_is_refused_when_the_merged_contact_is_gone_or_the_month_is_full() {
    let ws = "merge-undo-refused";
    let api = shared().owner(ws);
    let a = id(&seed_contact(&api, json!({"first_name": "Ana", "phone": ec_phone(501)})).await);
    let b = id(&seed_contact(&api, json!({"first_name": "Beto", "phone": ec_phone(502)})).await);
    let c = id(&seed_contact(&api, json!({"first_name": "Caro", "phone": ec_phone(503)})).await);
    let first = merged(&api, &a, json!({"others": [b]})).await;
    // Merged again into another: undo that one first.
    let second = merged(&api, &c, json!({"others": [a]})).await;
    let refused = undo(&api, first["id"].as_str().unwrap()).await;
    assert_error(&refused, 409, "merge_not_undoable");
    assert!(
        refused.body["error"]["message"]
            .as_str()
            .unwrap()
            .contains(&c),
        "{}",
        refused.body
    );

    // Three contacts were created this month; a limit of three leaves no
    // room for the one an undo brings back.
    set_contact_limit(ws, 3).await;
    assert_error(
        &undo(&api, second["id"].as_str().unwrap()).await,
        409,
        "contact_limit_reached",
    );
    assert_error(&get_contact(&api, &a).await, 404, "not_found");
    set_contact_limit(ws, 10).await;
    let answer = undo(&api, second["id"].as_str().unwrap()).await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    let answer = undo(&api, first["id"].as_str().unwrap()).await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    for (contact, phone) in [(&a, 501), (&b, 502), (&c, 503)] {
        assert_eq!(phone_holders(&api, &ec_phone(phone)).await, only(contact));
    }

    // Deleted since: nothing to undo into.
    let d = merged(&api, &a, json!({"others": [b]})).await;
    assert_eq!(
        call(&api, "DELETE", &format!("/v1/contacts/{a}"), None)
            .await
            .status,
        204
    );
    assert_error(
        &undo(&api, d["id"].as_str().unwrap()).await,
        409,
        "merge_not_undoable",
    );
    assert!(
        phone_holders(&api, &ec_phone(502)).await.is_empty(),
        "released with the contact"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn agents_merge_and_undo_their_own_merge_and_managers_see_the_history() {
    let ws = "merge-roles";
    let owner = shared().owner(ws);
    let agent = signed(ws, Role::Agent, "agente@example.com");
    let other_agent = signed(ws, Role::Agent, "otro@example.com");
    let a = id(&seed_contact(&owner, json!({"first_name": "Ana", "phone": ec_phone(601)})).await);
    let b = id(&seed_contact(
        &owner,
        json!({"first_name": "Beto", "phone": ec_phone(602)}),
    )
    .await);
    let record = merged(&agent, &a, json!({"others": [b]})).await;
    assert_eq!(record["created_by"], "agente@example.com");
    let merge_id = record["id"].as_str().unwrap();
    assert_error(
        &call(&agent, "GET", "/v1/merges", None).await,
        403,
        "forbidden",
    );
    assert_error(
        &call(&agent, "GET", &format!("/v1/merges/{merge_id}"), None).await,
        403,
        "forbidden",
    );
    assert_error(&undo(&other_agent, merge_id).await, 403, "forbidden");
    let answer = undo(&agent, merge_id).await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    assert_eq!(answer.body["undone_by"], "agente@example.com");
    let history = get_ok(&owner, "/v1/merges").await.body;
    assert_eq!(history["items"][0]["status"], "undone");
    assert_error(
        &call(&owner, "GET", "/v1/merges?cursor=nonsense", None).await,
        400,
        "invalid_cursor",
    );
    assert_error(
        &call(&owner, "GET", "/v1/merges/mrg_nobody", None).await,
        404,
        "not_found",
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_activity_tells_creations_and_changes_by_import_and_by_call_a_page_at_a_time() {
    let api = shared().owner("merge-activity");
    let phone = ec_phone(701);
    let bytes = file(&["First Name,Phone".into(), format!("Dora,{phone}")]);
    let created = confirmed(
        &api,
        &id_of(&reviewed(&api, "dora.csv", &bytes, None).await),
    )
    .await;
    let dora = phone_holders(&api, &phone).await.remove(0);
    for i in 0..23 {
        let answer = call(
            &api,
            "POST",
            &format!("/v1/contacts/{dora}/tags"),
            Some(json!({"tags": [format!("t{i}")]})),
        )
        .await;
        assert_eq!(answer.status, 200, "{}", answer.body);
    }
    let mut entries = Vec::new();
    let mut cursor: Option<String> = None;
    for _ in 0..5 {
        let path = match &cursor {
            Some(c) => format!("/v1/contacts/{dora}/activity?limit=10&cursor={c}"),
            None => format!("/v1/contacts/{dora}/activity?limit=10"),
        };
        let page = get_ok(&api, &path).await.body;
        entries.extend(page["items"].as_array().unwrap().iter().cloned());
        match page["cursor"].as_str() {
            Some(c) => cursor = Some(c.to_string()),
            None => break,
        }
    }
    assert_eq!(entries.len(), 24, "23 tag changes and the creation");
    let last = entries.last().unwrap();
    assert_eq!(last["kind"], "created");
    assert_eq!(
        last["by"],
        json!({"source": "import", "import": id_of(&created), "row": 2})
    );
    assert!(
        entries[..23]
            .iter()
            .all(|e| e["kind"] == "tagged" && e["by"]["source"] == "api")
    );
    let added: Vec<&Value> = entries[..23].iter().map(|e| &e["tags_added"][0]).collect();
    assert!(added.windows(2).all(|w| w[0] != w[1]), "each change once");

    // A page exactly as long as the stored history (23 changes) is full,
    // so it has a cursor; the page after it holds the creation line alone,
    // and is the last.
    let kinds = |page: &Value| -> Vec<String> {
        page["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["kind"].as_str().unwrap().to_string())
            .collect()
    };
    let full = get_ok(&api, &format!("/v1/contacts/{dora}/activity?limit=23"))
        .await
        .body;
    assert_eq!(kinds(&full), vec!["tagged"; 23], "{full}");
    let cursor = full["cursor"].as_str().expect("a full page has a cursor");
    let rest = get_ok(
        &api,
        &format!("/v1/contacts/{dora}/activity?limit=23&cursor={cursor}"),
    )
    .await
    .body;
    assert_eq!(kinds(&rest), ["created"], "{rest}");
    assert_eq!(rest["cursor"], Value::Null, "{rest}");

    assert_error(
        &call(
            &api,
            "GET",
            &format!("/v1/contacts/{dora}/activity?cursor=x"),
            None,
        )
        .await,
        400,
        "invalid_cursor",
    );
    assert_error(
        &call(
            &api,
            "GET",
            &format!("/v1/contacts/{dora}/activity?limit=0"),
            None,
        )
        .await,
        400,
        "invalid_query",
    );
    assert_error(
        &call(&api, "GET", "/v1/contacts/c_nobody/activity", None).await,
        404,
        "not_found",
    );
    assert_error(
        &call(
            &shared().owner("merge-activity-other"),
            "GET",
            &format!("/v1/contacts/{dora}/activity"),
            None,
        )
        .await,
        404,
        "not_found",
    );
}

/// 30 pairs of contacts; an import updates every "b" by its phone while
/// each pair is merged into its "a". Whatever the order, each b phone ends
/// held by its a alone, no b comes back, and every row updated a contact.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_merge_racing_an_import_of_the_merged_phones_leaves_each_phone_with_the_merged_contact() {
    let api = shared().owner("merge-race");
    const PAIRS: u32 = 30;
    let mut pairs = Vec::new();
    for i in 0..PAIRS {
        let a = id(&seed_contact(
            &api,
            json!({"first_name": format!("A{i}"), "phone": ec_phone(8000 + i)}),
        )
        .await);
        let b = id(&seed_contact(
            &api,
            json!({"first_name": format!("B{i}"), "phone": ec_phone(9000 + i)}),
        )
        .await);
        pairs.push((a, b));
    }
    let mut lines = vec!["First Name,Phone,Language".to_string()];
    lines.extend((0..PAIRS).map(|i| format!("B{i},{},pt", ec_phone(9000 + i))));
    let import = reviewed(&api, "race.csv", &file(&lines), None).await;
    let import_id = id_of(&import);
    let confirm = {
        let api = api.clone();
        let import_id = import_id.clone();
        tokio::spawn(async move { confirmed(&api, &import_id).await })
    };
    for (a, b) in &pairs {
        merged(&api, a, json!({"others": [b]})).await;
    }
    let done = confirm.await.unwrap();
    assert_eq!(result_counts(&done), [0, PAIRS as u64, 0, 0], "{done}");
    let result = result_file(&api, &import_id, b',').await;
    for (i, (a, b)) in pairs.iter().enumerate() {
        assert_eq!(
            phone_holders(&api, &ec_phone(9000 + i as u32)).await,
            only(a),
            "pair {i}"
        );
        assert_error(&get_contact(&api, b).await, 404, "not_found");
        let wrote_to = result.cell(i, "Contact ID");
        assert!(wrote_to == a || wrote_to == b, "row {i}: {wrote_to}");
        let a_now = get_ok(&api, &format!("/v1/contacts/{a}")).await.body;
        assert_eq!(
            a_now["language"], "pt",
            "pair {i}: the row's change reached the merged contact"
        );
    }
}
