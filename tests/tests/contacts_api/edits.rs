//! Editing a contact: patches checked by type, phone and email moves with
//! their claims, deletes that free them, tags.

use super::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
pub(crate) async fn patch_changes_names_blocked_and_custom_fields_checked_by_type() {
    let ws = "capi-patch";
    shared()
        .service
        .store()
        .workspaces
        .put_settings(
            ws,
            &Settings {
                custom_fields: vec![
                    CustomField {
                        key: "monto".into(),
                        label: "Monto".into(),
                        kind: CustomType::Number,
                    },
                    CustomField {
                        key: "plan".into(),
                        label: "Plan".into(),
                        kind: CustomType::List {
                            options: vec!["Básico".into(), "Pro".into()],
                        },
                    },
                ],
                ..Settings::default()
            },
            0,
        )
        .await
        .unwrap();
    // Agents may edit contacts.
    let api = shared().client(ws, Role::Agent);
    let contact = seed_contact(
        &api,
        json!({"first_name": "Ana", "last_name": "Silva", "phone": ec_phone(1),
               "custom_fields": {"monto": "10"}}),
    )
    .await;
    assert_eq!(contact["custom_fields"]["monto"], json!(10.0));
    let path = format!("/v1/contacts/{}", id(&contact));

    let answer = call(
        &api,
        "PATCH",
        &path,
        Some(
            json!({"first_name": "  Ana Paula ", "last_name": null, "blocked": true,
                    "custom_fields": {"monto": "12,5", "plan": "basico"}, "language": "Español"}),
        ),
    )
    .await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    let patched = answer.body;
    assert_eq!(patched["first_name"], "Ana Paula");
    assert_eq!(patched["last_name"], Value::Null);
    assert_eq!(patched["blocked"], true);
    assert_eq!(patched["language"], "es");
    assert_eq!(patched["custom_fields"]["monto"], json!(12.5));
    assert_eq!(patched["custom_fields"]["plan"], "Básico");
    assert_eq!(patched["phone"], ec_phone(1), "fields left out stay");
    assert_ne!(patched["updated_at"], contact["updated_at"]);
    assert_eq!(get_contact(&api, &id(&contact)).await.body, patched);

    let unblocked = call(&api, "PATCH", &path, Some(json!({"blocked": false}))).await;
    assert_eq!(unblocked.status, 200, "{}", unblocked.body);
    assert_eq!(unblocked.body["blocked"], false);
    let cleared = call(
        &api,
        "PATCH",
        &path,
        Some(json!({"custom_fields": {"monto": ""}})),
    )
    .await;
    assert_eq!(cleared.status, 200, "{}", cleared.body);
    assert!(cleared.body["custom_fields"].get("monto").is_none());
    assert_eq!(cleared.body["custom_fields"]["plan"], "Básico");

    // Every refusal leaves the contact as it was.
    let before = get_contact(&api, &id(&contact)).await.body;
    for (body, code) in [
        (
            json!({"custom_fields": {"monto": "mil"}}),
            "invalid_contact",
        ),
        (
            json!({"custom_fields": {"plan": "Gold"}}),
            "invalid_contact",
        ),
        (
            json!({"custom_fields": {"color": "red"}}),
            "unknown_custom_field",
        ),
        (json!({"nickname": "Ani"}), "invalid_body"),
        (json!({"tags": ["x"]}), "invalid_body"),
        (json!({"first_name": ""}), "invalid_contact"),
        (json!({"email": "ana@@example"}), "invalid_contact"),
        (json!({"phone": "12"}), "invalid_contact"),
        (json!({"country": "Atlantis"}), "invalid_contact"),
        (json!({"blocked": "yes"}), "invalid_body"),
        (
            json!({"last_name": "Nueva", "custom_fields": {"monto": "mil"}}),
            "invalid_contact",
        ),
    ] {
        let answer = call(&api, "PATCH", &path, Some(body.clone())).await;
        assert_error(&answer, 400, code);
    }
    assert_eq!(get_contact(&api, &id(&contact)).await.body, before);

    let missing = call(
        &api,
        "PATCH",
        "/v1/contacts/c_missing",
        Some(json!({"first_name": "X"})),
    )
    .await;
    assert_error(&missing, 404, "not_found");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
pub(crate) async fn patch_moves_a_phone_and_email_or_changes_nothing() {
    let api = shared().owner("capi-move");
    let ana = seed_contact(
        &api,
        json!({"first_name": "Ana", "phone": ec_phone(1), "email": "ana@example.com"}),
    )
    .await;
    let bea = seed_contact(
        &api,
        json!({"first_name": "Bea", "phone": ec_phone(2), "email": "bea@example.com"}),
    )
    .await;
    let path = format!("/v1/contacts/{}", id(&ana));

    let moved = call(
        &api,
        "PATCH",
        &path,
        Some(json!({"phone": "+593 99 000-0003", "email": "ANA.NEW@example.com"})),
    )
    .await;
    assert_eq!(moved.status, 200, "{}", moved.body);
    assert_eq!(moved.body["phone"], ec_phone(3));
    assert_eq!(moved.body["email"], "ana.new@example.com");
    assert!(
        by_phone(&api, &ec_phone(1)).await.is_empty(),
        "the old phone finds nobody"
    );
    assert_eq!(id(&one_by_phone(&api, &ec_phone(3)).await), id(&ana));
    assert!(by_email(&api, "ana@example.com").await.is_empty());
    assert_eq!(by_email(&api, "ana.new@example.com").await, [id(&ana)]);
    // The old phone is free for anyone.
    let cleo = seed_contact(&api, json!({"first_name": "Cleo", "phone": ec_phone(1)})).await;
    assert_eq!(id(&one_by_phone(&api, &ec_phone(1)).await), id(&cleo));

    // Onto a taken phone (or email): 409, and nothing changes.
    let before = get_contact(&api, &id(&ana)).await.body;
    for body in [
        json!({"phone": ec_phone(2), "first_name": "Renamed"}),
        json!({"email": "bea@example.com"}),
        json!({"phone": ec_phone(4), "email": "bea@example.com"}),
    ] {
        let answer = call(&api, "PATCH", &path, Some(body.clone())).await;
        assert_error(&answer, 409, "identifier_taken");
        // Saying which value, and whose.
        let message = answer.body["error"]["message"].as_str().unwrap();
        assert!(
            message.starts_with(&format!("contact {} already has the ", id(&bea))),
            "{message}"
        );
        let value = body["email"]
            .as_str()
            .map_or_else(|| ec_phone(2), str::to_string);
        assert!(message.ends_with(&value), "{body}: {message}");
    }
    assert_eq!(get_contact(&api, &id(&ana)).await.body, before);
    assert_eq!(id(&one_by_phone(&api, &ec_phone(2)).await), id(&bea));
    assert_eq!(id(&one_by_phone(&api, &ec_phone(3)).await), id(&ana));
    assert!(
        by_phone(&api, &ec_phone(4)).await.is_empty(),
        "a cancelled move claims nothing"
    );
    assert_eq!(by_email(&api, "bea@example.com").await, [id(&bea)]);

    // Clearing the phone releases it.
    let cleared = call(&api, "PATCH", &path, Some(json!({"phone": null}))).await;
    assert_eq!(cleared.status, 200, "{}", cleared.body);
    assert_eq!(cleared.body["phone"], Value::Null);
    assert!(by_phone(&api, &ec_phone(3)).await.is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
pub(crate) async fn concurrent_phone_moves_leave_the_claims_matching_the_contact() {
    let api = shared().owner("capi-concurrent");
    let contact = seed_contact(&api, json!({"first_name": "Ana", "phone": ec_phone(1)})).await;
    let path = format!("/v1/contacts/{}", id(&contact));
    let mut edits = tokio::task::JoinSet::new();
    for n in 10..16 {
        let (api, path) = (api.clone(), path.clone());
        edits.spawn(async move {
            call(&api, "PATCH", &path, Some(json!({"phone": ec_phone(n)}))).await
        });
    }
    while let Some(answer) = edits.join_next().await {
        let answer = answer.expect("the edit task ends");
        if answer.status != 200 {
            assert_error(&answer, 409, "contact_changed");
        }
    }
    let now = get_contact(&api, &id(&contact)).await.body;
    let phone = now["phone"].as_str().expect("a phone").to_string();
    for n in std::iter::once(1).chain(10..16) {
        let holders = ids(&Value::Array(by_phone(&api, &ec_phone(n)).await));
        if ec_phone(n) == phone {
            assert_eq!(holders, [id(&contact)], "{phone} is held by its contact");
        } else {
            assert!(holders.is_empty(), "{} held by {holders:?}", ec_phone(n));
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
pub(crate) async fn delete_needs_a_manager_and_frees_the_phone_and_email() {
    let ws = "capi-delete";
    let owner = shared().owner(ws);
    let agent = shared().client(ws, Role::Agent);
    let manager = shared().client(ws, Role::Manager);
    // Agents read, create and edit...
    let contact = seed_contact(
        &agent,
        json!({"first_name": "Dora", "phone": ec_phone(1), "email": "dora@example.com"}),
    )
    .await;
    let path = format!("/v1/contacts/{}", id(&contact));
    assert_eq!(get_contact(&agent, &id(&contact)).await.status, 200);
    // ...but do not delete.
    assert_error(&call(&agent, "DELETE", &path, None).await, 403, "forbidden");
    assert_eq!(get_contact(&owner, &id(&contact)).await.status, 200);

    let deleted = call(&manager, "DELETE", &path, None).await;
    assert_eq!(deleted.status, 204, "{}", deleted.body);
    assert_error(&get_contact(&owner, &id(&contact)).await, 404, "not_found");
    assert_error(&call(&owner, "DELETE", &path, None).await, 404, "not_found");
    assert!(by_phone(&owner, &ec_phone(1)).await.is_empty());
    assert!(by_email(&owner, "dora@example.com").await.is_empty());
    let listed = list_all(&owner, "", 50).await.0;
    assert!(!listed.contains(&id(&contact)));

    // The phone and email can be used again.
    let again = seed_contact(
        &owner,
        json!({"first_name": "Dora", "phone": ec_phone(1), "email": "dora@example.com"}),
    )
    .await;
    assert_eq!(id(&one_by_phone(&owner, &ec_phone(1)).await), id(&again));
    assert_eq!(by_email(&owner, "dora@example.com").await, [id(&again)]);
    let deleted = call(
        &owner,
        "DELETE",
        &format!("/v1/contacts/{}", id(&again)),
        None,
    )
    .await;
    assert_eq!(deleted.status, 204, "{}", deleted.body);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
pub(crate) async fn tags_are_added_and_removed_case_insensitively() {
    let api = shared().client("capi-tags", Role::Agent);
    let contact = seed_contact(&api, json!({"first_name": "Eva", "tags": ["VIP", " vip "]})).await;
    assert_eq!(tags_of(&contact), ["VIP"]);
    let path = format!("/v1/contacts/{}/tags", id(&contact));

    let added = call(
        &api,
        "POST",
        &path,
        Some(json!({"tags": ["vip", "lead; Promo"]})),
    )
    .await;
    assert_eq!(added.status, 200, "{}", added.body);
    assert_eq!(tags_of(&added.body), ["VIP", "lead", "Promo"]);
    let removed = call(
        &api,
        "DELETE",
        &path,
        Some(json!({"tags": ["LEAD", "absent"]})),
    )
    .await;
    assert_eq!(removed.status, 200, "{}", removed.body);
    assert_eq!(tags_of(&removed.body), ["VIP", "Promo"]);
    assert_eq!(
        tags_of(&get_contact(&api, &id(&contact)).await.body),
        ["VIP", "Promo"]
    );

    for body in [json!({"tags": []}), json!({"tags": [" , "]})] {
        assert_error(
            &call(&api, "POST", &path, Some(body)).await,
            400,
            "invalid_contact",
        );
    }
    for body in [
        json!({}),
        json!({"tags": "vip"}),
        json!({"tags": ["x"], "more": 1}),
    ] {
        assert_error(
            &call(&api, "DELETE", &path, Some(body)).await,
            400,
            "invalid_body",
        );
    }
    assert_error(
        &call(&api, "POST", &path, Some(json!({"tags": ["x".repeat(65)]}))).await,
        400,
        "invalid_contact",
    );
    assert_error(
        &call(
            &api,
            "POST",
            "/v1/contacts/c_missing/tags",
            Some(json!({"tags": ["x"]})),
        )
        .await,
        404,
        "not_found",
    );
}
