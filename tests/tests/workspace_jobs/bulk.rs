//! Bulk actions by filter, run as jobs whose messages the tests deliver
//! themselves: every step three times (two copies at once, then again),
//! and a delete whose contacts are edited between its backup and its
//! deletions.

use contact_service::operations::bulk::{BulkAnswer, BulkRequest};

use super::*;

/// Starts a bulk action through the manual service (whose jobs queue the
/// test pumps), as `caller`'s request.
async fn start(manual: &Manual, ws: &str, role: Role, request: Value) -> String {
    let caller = Caller {
        workspace: ws.into(),
        role,
        user: Some("ana@example.com".into()),
    };
    let request: BulkRequest = serde_json::from_value(request).unwrap();
    match manual.service.bulk.start(&caller, request).await.unwrap() {
        BulkAnswer::Started(record) => record.id,
        BulkAnswer::Done(result) => panic!("a filter runs as a job: {result:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bulk_action_by_filter_reaches_each_matching_contact_once_however_often_its_steps_run() {
    let stack = own_stack(StackOptions::default()).await;
    let manual = Manual::new(&stack, "bulk-tag").await;
    let ws = "ws_bulk_tag";
    let owner = end_to_end::client(&stack.api_url, &stack.auth, ws, Role::Owner);
    let mut matching = BTreeSet::new();
    let mut ids = HashMap::new();
    for i in 0..40u32 {
        let name = format!("Cliente {i:02}");
        let (country, tags) = match i % 4 {
            0 => ("EC", json!(["cliente"])),
            1 => ("EC", json!(["Cliente", "vip"])),
            2 => ("BR", json!(["cliente"])),
            _ => ("EC", json!([])),
        };
        if i % 4 < 2 {
            matching.insert(name.clone());
        }
        let c = seed_contact(
            &owner,
            json!({"first_name": name, "phone": ec_phone(500 + i), "country": country, "tags": tags}),
        )
        .await;
        ids.insert(name, c["id"].as_str().unwrap().to_string());
    }
    // One matching contact carries the tag already: chosen, not changed.
    edit_stored(&stack, ws, &ids["Cliente 05"], |c| {
        c.tags.push("campaña".into())
    })
    .await;

    let job = start(
        &manual,
        ws,
        Role::Agent,
        json!({"action": "add_tags", "tags": ["Campaña"], "filter": {"country": "ec", "tags": ["CLIENTE"]}}),
    )
    .await;
    pump_jobs(&manual, None).await;

    let record = stored_job(&stack.service, ws, &job).await;
    assert_eq!(record.status, JobStatus::Completed, "{record:?}");
    assert_eq!(record.rows, 20, "{record:?}");
    // Counted on each page as its recorded copy read it: 19 when the two
    // copies read before either wrote (the usual), fewer when one read
    // after the other's writes. The contacts below are right either way.
    assert!((1..=19).contains(&record.changed), "{record:?}");
    for contact in all_contacts(&stack.service, ws).await {
        let name = contact.first_name.clone().unwrap();
        let tagged = contact
            .tags
            .iter()
            .filter(|t| t.to_lowercase() == "campaña")
            .count();
        assert_eq!(
            tagged,
            usize::from(matching.contains(&name)),
            "{name}: {:?}",
            contact.tags
        );
    }
    // Its history names the job that changed it.
    let history = ok(owner
        .call(
            "GET",
            &format!("/v1/contacts/{}/activity", ids["Cliente 00"]),
            None,
        )
        .await);
    let newest = &history.body["items"][0];
    assert_eq!(newest["kind"], "tagged", "{}", history.body);
    assert_eq!(newest["by"]["source"], "bulk", "{}", history.body);
    assert_eq!(newest["by"]["job"], job.as_str(), "{}", history.body);

    // Through the API: its progress, and one notification.
    let view = ok(owner
        .call("GET", &format!("/v1/bulk-actions/{job}"), None)
        .await);
    assert_eq!(view.status, 200, "{}", view.body);
    assert_eq!(view.body["status"], "completed");
    assert_eq!(view.body["matched"].as_u64(), Some(20));
    assert_eq!(view.body["changed"].as_u64(), Some(record.changed));
    assert_eq!(view.body["tags"], json!(["Campaña"]));
    assert_eq!(
        view.body["url"],
        Value::Null,
        "no file: nothing was deleted"
    );
    let notes: Vec<Value> = notifications(&owner)
        .await
        .into_iter()
        .filter(|n| n["kind"] == "bulk_completed")
        .collect();
    assert_eq!(notes.len(), 1, "{notes:?}");
    assert_eq!(
        notes[0]["links"]["bulk_action"],
        format!("/v1/bulk-actions/{job}")
    );
    let listed = ok(owner.call("GET", "/v1/bulk-actions", None).await);
    assert_eq!(
        listed.body["items"][0]["id"],
        job.as_str(),
        "{}",
        listed.body
    );
    let exports = ok(owner.call("GET", "/v1/exports", None).await);
    assert_eq!(
        exports.body["items"],
        json!([]),
        "a bulk action is no export"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bulk_delete_backs_up_first_and_keeps_a_contact_edited_before_its_turn() {
    let stack = own_stack(StackOptions::default()).await;
    let manual = Manual::new(&stack, "bulk-del").await;
    let ws = "ws_bulk_delete";
    let owner = end_to_end::client(&stack.api_url, &stack.auth, ws, Role::Owner);
    let mut ids = HashMap::new();
    let mut chosen = BTreeSet::new();
    for i in 0..30u32 {
        let name = format!("Cliente {i:02}");
        let tags = if i % 3 == 0 {
            json!(["borrar"])
        } else {
            json!(["vip"])
        };
        if i % 3 == 0 {
            chosen.insert(name.clone());
        }
        let c = seed_contact(
            &owner,
            json!({"first_name": name, "phone": ec_phone(700 + i), "tags": tags}),
        )
        .await;
        ids.insert(name, c["id"].as_str().unwrap().to_string());
    }

    let job = start(
        &manual,
        ws,
        Role::Manager,
        json!({"action": "delete", "filter": {"tags": ["borrar"]}}),
    )
    .await;
    // The backup first, every message delivered three times; the
    // deletions held back.
    pump_jobs(&manual, Some("delete")).await;
    let record = stored_job(&stack.service, ws, &job).await;
    assert_eq!((record.rows, record.deleted), (10, 0), "{record:?}");
    assert_eq!(
        all_contacts(&stack.service, ws).await.len(),
        30,
        "nothing deleted yet"
    );
    let view = ok(owner
        .call("GET", &format!("/v1/bulk-actions/{job}"), None)
        .await);
    assert_eq!(view.body["phase"], "delete", "{}", view.body);
    let backup = fetch_csv(view.body["url"].as_str().expect("the backup's link")).await;
    let backed_up: BTreeSet<String> = backup
        .values("first_name")
        .into_iter()
        .map(str::to_string)
        .collect();
    assert_eq!(
        backed_up, chosen,
        "the backup holds exactly the chosen contacts"
    );

    // An edit through the API races the deletions: that contact stays.
    let edited = "Cliente 03";
    let patch = ok(owner
        .call(
            "PATCH",
            &format!("/v1/contacts/{}", ids[edited]),
            Some(&json!({"last_name": "Editado"})),
        )
        .await);
    assert_eq!(patch.status, 200, "{}", patch.body);
    pump_jobs(&manual, None).await;

    let record = stored_job(&stack.service, ws, &job).await;
    assert_eq!(record.status, JobStatus::Completed, "{record:?}");
    assert_eq!(
        (record.rows, record.deleted, record.kept),
        (10, 9, 1),
        "{record:?}"
    );
    let left = names(&all_contacts(&stack.service, ws).await);
    let expected: BTreeSet<String> = (0..30u32)
        .map(|i| format!("Cliente {i:02}"))
        .filter(|n| !chosen.contains(n) || n == edited)
        .collect();
    assert_eq!(
        left, expected,
        "exactly the chosen, unedited contacts are gone"
    );
    // Their phones are free again; the backup is still there to restore
    // from; the workspace was told.
    let reused = ok(owner
        .call(
            "POST",
            "/v1/contacts",
            Some(&json!({"first_name": "Nuevo", "phone": ec_phone(700)})),
        )
        .await);
    assert_eq!(reused.status, 201, "{}", reused.body);
    let view = ok(owner
        .call("GET", &format!("/v1/bulk-actions/{job}"), None)
        .await);
    assert_eq!(
        (view.body["deleted"].as_u64(), view.body["kept"].as_u64()),
        (Some(9), Some(1))
    );
    assert!(view.body["url"].is_string(), "{}", view.body);
    let agent = end_to_end::client(&stack.api_url, &stack.auth, ws, Role::Agent);
    let seen = ok(agent
        .call("GET", &format!("/v1/bulk-actions/{job}"), None)
        .await);
    assert_eq!(
        seen.body["url"],
        Value::Null,
        "the backup is for owners and managers"
    );
    let notes = notifications(&owner).await;
    assert!(
        notes.iter().any(|n| n["kind"] == "bulk_completed"
            && n["message"]
                .as_str()
                .unwrap()
                .contains("9 contacts deleted")),
        "{notes:?}"
    );
}

/// A group renamed or deleted whose members' job cannot start (here: a
/// service whose jobs queue is gone) is left as it was: the request fails
/// whole, rather than leaving members under a name no group has.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_group_whose_members_cannot_follow_keeps_its_name_and_stays() {
    let stack = own_stack(StackOptions::default()).await;
    let ws = "ws_group_kept";
    let owner = end_to_end::client(&stack.api_url, &stack.auth, ws, Role::Owner);
    let mut ids = Vec::new();
    for i in 0..2u32 {
        let c = seed_contact(
            &owner,
            json!({"first_name": format!("G{i}"), "phone": ec_phone(600 + i)}),
        )
        .await;
        ids.push(c["id"].as_str().unwrap().to_string());
    }
    let added = ok(owner
        .call(
            "POST",
            "/v1/bulk-actions",
            Some(&json!({"action": "add_to_group", "group": "Feria", "ids": ids})),
        )
        .await);
    assert_eq!(added.status, 200, "{}", added.body);
    let groups = ok(owner.call("GET", "/v1/groups", None).await).body;
    let id = groups["items"][0]["id"].as_str().unwrap().to_string();

    let resources = Resources {
        table: stack.resources.names.table.clone(),
        bucket: stack.resources.names.bucket.clone(),
        uploads_queue_url: stack.resources.uploads_queue_url.clone(),
        rows_queue_url: stack.resources.rows_queue_url.clone(),
        jobs_queue_url: format!("{}-gone", stack.resources.jobs_queue_url),
    };
    let broken = Service::new(
        Store::new(&stack.clients, &resources),
        Config::new(Duration::from_secs(3600)),
    );
    let caller = Caller {
        workspace: ws.into(),
        role: Role::Owner,
        user: None,
    };
    let request = serde_json::from_value(json!({"name": "Expo"})).unwrap();
    assert!(broken.groups.rename(&caller, &id, request).await.is_err());
    assert!(broken.groups.delete(&caller, &id).await.is_err());

    // The group keeps its name and its two members, who keep it too; the
    // new name is free.
    let group = ok(owner.call("GET", &format!("/v1/groups/{id}"), None).await);
    assert_eq!(group.status, 200, "{}", group.body);
    assert_eq!(
        (group.body["name"].as_str(), group.body["size"].as_u64()),
        (Some("Feria"), Some(2)),
        "{}",
        group.body
    );
    for contact in all_contacts(&stack.service, ws).await {
        assert_eq!(contact.groups, ["Feria"], "{contact:?}");
    }
    let expo = ok(owner
        .call("POST", "/v1/groups", Some(&json!({"name": "Expo"})))
        .await);
    assert_eq!(expo.status, 201, "{}", expo.body);
}
