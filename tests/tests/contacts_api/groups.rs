//! Groups through HTTP: created by hand, by adding contacts to a new name
//! and by an import's `group` option; listed with their sizes; names unique
//! case aside; renamed and deleted while their contacts follow in the
//! background and stay.

use end_to_end::bulk_done;

use super::*;

async fn groups_by_name(api: &ApiClient) -> Vec<(String, u64, String)> {
    let answer = get_ok(api, "/v1/groups").await;
    let mut all: Vec<(String, u64, String)> = answer.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| {
            (
                g["name"].as_str().unwrap().to_string(),
                g["size"].as_u64().unwrap(),
                g["id"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    all.sort();
    all
}

fn groups_of(contact: &Value) -> Vec<String> {
    contact["groups"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g.as_str().unwrap().to_string())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn groups_are_listed_with_sizes_and_renamed_or_deleted_while_their_contacts_follow() {
    let s = shared();
    let owner = s.owner("groups");
    let agent = s.client("groups", Role::Agent);

    // By hand: owners and managers; names unique case aside.
    let made = call(
        &owner,
        "POST",
        "/v1/groups",
        Some(json!({"name": " Clientes "})),
    )
    .await;
    assert_eq!(made.status, 201, "{}", made.body);
    assert_eq!(made.body["name"], "Clientes");
    let again = call(
        &owner,
        "POST",
        "/v1/groups",
        Some(json!({"name": "CLIENTES"})),
    )
    .await;
    assert_error(&again, 409, "group_exists");
    let blank = call(&owner, "POST", "/v1/groups", Some(json!({"name": "  "}))).await;
    assert_error(&blank, 400, "invalid_group");
    let refused = call(&agent, "POST", "/v1/groups", Some(json!({"name": "Otro"}))).await;
    assert_error(&refused, 403, "forbidden");

    // Members through the bulk actions; a new name makes a new group.
    let mut ids3 = Vec::new();
    for i in 0..3u32 {
        let c = seed_contact(
            &owner,
            json!({"first_name": format!("Miembro {i}"), "phone": ec_phone(8_200_000 + i)}),
        )
        .await;
        ids3.push(id(&c));
    }
    let joined = call(
        &agent,
        "POST",
        "/v1/bulk-actions",
        Some(json!({"action": "add_to_group", "group": "clientes", "ids": [ids3[0], ids3[1]]})),
    )
    .await;
    assert_eq!(joined.status, 200, "{}", joined.body);
    let joined = call(
        &agent,
        "POST",
        "/v1/bulk-actions",
        Some(json!({"action": "add_to_group", "group": "Nuevos", "ids": [ids3[2]]})),
    )
    .await;
    assert_eq!(joined.status, 200, "{}", joined.body);

    // An import's group is a group too.
    let rows = vec![
        "Nombre,Teléfono".to_string(),
        format!("Importado,{}", ec_phone(8_200_010)),
    ];
    let import = reviewed(
        &owner,
        "grupo.csv",
        &file(&rows),
        Some(json!({"group": "Importados"})),
    )
    .await;
    confirmed(&owner, &id_of(&import)).await;

    let listed = groups_by_name(&agent).await;
    let sizes: Vec<(&str, u64)> = listed.iter().map(|(n, s, _)| (n.as_str(), *s)).collect();
    assert_eq!(sizes, [("Clientes", 2), ("Importados", 1), ("Nuevos", 1)]);
    let clientes = listed[0].2.clone();
    let nuevos = listed[2].2.clone();
    let one = get_ok(&agent, &format!("/v1/groups/{clientes}")).await;
    assert_eq!(
        (one.body["name"].as_str(), one.body["size"].as_u64()),
        (Some("Clientes"), Some(2))
    );

    // Renamed: at once for the group, then for its contacts.
    let taken = call(
        &owner,
        "PATCH",
        &format!("/v1/groups/{clientes}"),
        Some(json!({"name": "nuevos"})),
    )
    .await;
    assert_error(&taken, 409, "group_exists");
    let renamed = call(
        &owner,
        "PATCH",
        &format!("/v1/groups/{clientes}"),
        Some(json!({"name": "Clientes VIP"})),
    )
    .await;
    assert_eq!(renamed.status, 200, "{}", renamed.body);
    assert_eq!(renamed.body["group"]["name"], "Clientes VIP");
    let job = renamed.body["members_job"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(renamed.body["members_job"]["action"], "rename_group");
    let done = bulk_done(&owner, &job).await;
    assert_eq!(done["status"], "completed", "{done}");
    assert_eq!(done["matched"], 2, "{done}");
    for contact in &ids3[..2] {
        let c = get_ok(&owner, &format!("/v1/contacts/{contact}")).await;
        assert_eq!(groups_of(&c.body), ["Clientes VIP"], "{}", c.body);
    }
    let found = list_all(&owner, "group=clientes%20vip", 50).await.0;
    assert_eq!(found.len(), 2);
    let one = get_ok(&agent, &format!("/v1/groups/{clientes}")).await;
    assert_eq!(one.body["size"], 2, "{}", one.body);
    // The old name is free again.
    let reused = call(
        &owner,
        "POST",
        "/v1/groups",
        Some(json!({"name": "Clientes"})),
    )
    .await;
    assert_eq!(reused.status, 201, "{}", reused.body);

    // Deleted: the group goes, its contacts stay and leave it.
    let deleted = call(&owner, "DELETE", &format!("/v1/groups/{nuevos}"), None).await;
    assert_eq!(deleted.status, 200, "{}", deleted.body);
    let job = deleted.body["members_job"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(bulk_done(&owner, &job).await["status"], "completed");
    let gone = call(&owner, "GET", &format!("/v1/groups/{nuevos}"), None).await;
    assert_error(&gone, 404, "not_found");
    let c = get_ok(&owner, &format!("/v1/contacts/{}", ids3[2])).await;
    assert!(groups_of(&c.body).is_empty(), "{}", c.body);
    let names: Vec<String> = groups_by_name(&owner)
        .await
        .into_iter()
        .map(|g| g.0)
        .collect();
    assert_eq!(names, ["Clientes", "Clientes VIP", "Importados"]);
}
