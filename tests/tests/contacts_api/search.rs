//! Searching contacts through `GET /v1/contacts`: by name (a prefix of the
//! first or the last name, case and accents aside), tags (any or all),
//! group, custom field, country, language, assignee, blocked and creation
//! range, sorted by name or by creation, a page at a time; and the index
//! following every change (edits, merges, deletes, imports).

use super::*;

/// Every page of a search, `limit` at a time: the ids in order.
async fn searched(api: &ApiClient, query: &str, limit: usize) -> Vec<String> {
    list_all(api, query, limit).await.0
}

async fn named(api: &ApiClient, body: Value) -> String {
    id(&seed_contact(api, body).await)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_filter_finds_exactly_the_contacts_that_hold_it_in_the_order_asked() {
    let ws = "search-filters";
    shared()
        .service
        .store()
        .workspaces
        .put_settings(
            ws,
            &Settings {
                default_country: Some("EC".into()),
                custom_fields: vec![CustomField {
                    key: "plan".into(),
                    label: "Plan".into(),
                    kind: CustomType::List {
                        options: vec!["Básico".into(), "Pro".into()],
                    },
                }],
                ..Settings::default()
            },
            0,
        )
        .await
        .unwrap();
    let api = shared().owner(ws);
    let ana = named(
        &api,
        json!({"first_name": "Ana María", "last_name": "Silva", "phone": ec_phone(1),
        "tags": ["VIP", "feria"], "language": "es", "custom_fields": {"plan": "pro"}}),
    )
    .await;
    let anibal = named(
        &api,
        json!({"first_name": "Aníbal", "last_name": "Souza", "phone": ec_phone(2),
        "tags": ["feria"], "country": "BR", "assignee": "luis@x.co"}),
    )
    .await;
    let anabela = named(
        &api,
        json!({"first_name": "anabela", "last_name": "Pérez", "phone": ec_phone(3),
        "tags": ["vip"], "language": "pt"}),
    )
    .await;
    let bruno = named(
        &api,
        json!({"first_name": "Bruno", "last_name": "SILVA", "phone": ec_phone(4),
        "assignee": "Luis@X.co", "custom_fields": {"plan": "Básico"}}),
    )
    .await;
    let silvia = named(
        &api,
        json!({"first_name": "Sílvia", "last_name": "Ramos", "phone": ec_phone(5),
        "tags": ["lead"]}),
    )
    .await;
    let carla = named(
        &api,
        json!({"first_name": "Carla", "last_name": "Silveira", "phone": ec_phone(6)}),
    )
    .await;
    let blocked = call(
        &api,
        "PATCH",
        &format!("/v1/contacts/{carla}"),
        Some(json!({"blocked": true})),
    )
    .await;
    assert_eq!(blocked.status, 200, "{}", blocked.body);
    // Two contacts in a group, through an import's group option.
    let bytes = file(&[
        "First Name,Phone".into(),
        "Dora,+593990000007".into(),
        "Elena,+593990000008".into(),
    ]);
    let import = reviewed(
        &api,
        "grupo.csv",
        &bytes,
        Some(json!({"group": "Clientes Quito", "import_tag": false})),
    )
    .await;
    confirmed(&api, &id_of(&import)).await;
    let dora = ids(&Value::Array(by_phone(&api, "+593990000007").await)).remove(0);
    let elena = ids(&Value::Array(by_phone(&api, "+593990000008").await)).remove(0);

    let every = [
        &ana, &anibal, &anabela, &bruno, &silvia, &carla, &dora, &elena,
    ];
    for (query, expected) in [
        // First names first, by name; then last names, by last name.
        ("name=ana", vec![&ana, &anabela]),
        ("name=ANÍ", vec![&anibal]),
        ("name=sil", vec![&silvia, &ana, &bruno, &carla]),
        ("name=ana%20maria%20s", vec![&ana]),
        ("name=silva%20b", vec![&bruno]),
        ("name=zz", vec![]),
        ("tag=vip", vec![&anabela, &ana]),
        ("tag=VIP,lead", vec![&silvia, &anabela, &ana]),
        ("tag=vip,feria&tag_match=all", vec![&ana]),
        ("tag=feria&sort=created", vec![&ana, &anibal]),
        ("group=clientes%20quito", vec![&elena, &dora]),
        ("custom=plan:PRO", vec![&ana]),
        ("custom=plan:b%C3%A1sico", vec![&bruno]),
        ("country=Brasil", vec![&anibal]),
        ("language=pt", vec![&anabela]),
        ("assignee=luis%40x.co", vec![&bruno, &anibal]),
        ("blocked=true", vec![&carla]),
        (
            "country=EC&blocked=false&sort=name",
            vec![&ana, &anabela, &bruno, &dora, &elena, &silvia],
        ),
        (
            "sort=name",
            vec![
                &ana, &anabela, &anibal, &bruno, &carla, &dora, &elena, &silvia,
            ],
        ),
        ("sort=-name&tag=vip", vec![&anabela, &ana]),
    ] {
        for limit in [2, 50] {
            let found = searched(&api, query, limit).await;
            let expected: Vec<String> = expected.iter().map(|s| s.to_string()).collect();
            assert_eq!(found, expected, "{query}, {limit} a page");
        }
    }
    // By creation: newest first unless asked, and within a range.
    let all = searched(&api, "", 3).await;
    let mut by_creation = Vec::new();
    for id in every {
        let read = get_ok(&api, &format!("/v1/contacts/{id}")).await.body;
        let created = read["created_at"].as_str().unwrap().to_string();
        by_creation.push((created, id.to_string()));
    }
    by_creation.sort();
    let oldest_first: Vec<String> = by_creation.iter().map(|(_, id)| id.clone()).collect();
    assert_eq!(searched(&api, "sort=created", 3).await, oldest_first);
    let newest_first: Vec<String> = oldest_first.iter().rev().cloned().collect();
    assert_eq!(all, newest_first);
    let (from, to) = (&by_creation[1].0, &by_creation[5].0);
    let within: Vec<String> = by_creation
        .iter()
        .filter(|(at, _)| at >= from && at <= to)
        .map(|(_, id)| id.clone())
        .collect();
    let query = format!(
        "sort=created&created_after={}&created_before={}",
        query_value(from),
        query_value(to)
    );
    assert_eq!(searched(&api, &query, 2).await, within);

    // A cursor of one search handed to another reads only the other's
    // range: here, past its end.
    let first = get_ok(&api, "/v1/contacts?sort=name&limit=2").await.body;
    let cursor = first["cursor"].as_str().expect("a cursor").to_string();
    let other = get_ok(&api, &format!("/v1/contacts?name=aa&cursor={cursor}"))
        .await
        .body;
    assert_eq!(other["items"], json!([]));

    for (query, code) in [
        ("custom=nokey:1", "unknown_custom_field"),
        ("custom=plan", "invalid_query"),
        ("custom=plan:gold", "invalid_contact"),
        ("name=%20%21", "invalid_query"),
        ("tag_match=some", "invalid_query"),
        ("sort=-colour", "invalid_query"),
        (
            "created_after=2026-12-02T00:00:00Z&created_before=2026-12-01T00:00:00Z",
            "invalid_query",
        ),
        ("phone=%2B593990000001&name=ana", "invalid_query"),
    ] {
        let answer = call(&api, "GET", &format!("/v1/contacts?{query}"), None).await;
        assert_error(&answer, 400, code);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_index_follows_edits_merges_undos_and_deletes() {
    let api = shared().owner("search-follows");
    let a = named(
        &api,
        json!({"first_name": "Mateo", "phone": ec_phone(11), "tags": ["uno"]}),
    )
    .await;
    let b = named(&api, json!({"first_name": "Lucía", "last_name": "Mora", "phone": ec_phone(12), "tags": ["dos"], "country": "PE"})).await;
    assert_eq!(searched(&api, "tag=uno", 10).await, only(&a));

    // An edit moves the contact between tags, names and countries.
    let answer = call(
        &api,
        "PATCH",
        &format!("/v1/contacts/{a}"),
        Some(json!({"first_name": "Marco", "country": "PE"})),
    )
    .await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    call(
        &api,
        "DELETE",
        &format!("/v1/contacts/{a}/tags"),
        Some(json!({"tags": ["uno"]})),
    )
    .await;
    call(
        &api,
        "POST",
        &format!("/v1/contacts/{a}/tags"),
        Some(json!({"tags": ["tres"]})),
    )
    .await;
    assert!(searched(&api, "tag=uno", 10).await.is_empty());
    assert!(searched(&api, "name=mateo", 10).await.is_empty());
    assert_eq!(searched(&api, "name=marco", 10).await, only(&a));
    assert_eq!(
        searched(&api, "country=PE&sort=name", 10).await,
        vec![b.clone(), a.clone()]
    );

    // A merge leaves one contact with both tags; its undo, two again.
    let merge = call(
        &api,
        "POST",
        &format!("/v1/contacts/{a}/merge"),
        Some(json!({"others": [b]})),
    )
    .await;
    assert_eq!(merge.status, 200, "{}", merge.body);
    assert_eq!(searched(&api, "tag=dos", 10).await, only(&a));
    assert_eq!(
        searched(&api, "name=mora", 10).await,
        only(&a),
        "the merged contact took Lucía's last name"
    );
    let undo = call(
        &api,
        "POST",
        &format!("/v1/merges/{}/undo", merge.body["id"].as_str().unwrap()),
        None,
    )
    .await;
    assert_eq!(undo.status, 200, "{}", undo.body);
    assert_eq!(searched(&api, "tag=dos", 10).await, only(&b));
    assert_eq!(searched(&api, "name=mora", 10).await, only(&b));

    // A delete takes the contact out of every index.
    assert_eq!(
        call(&api, "DELETE", &format!("/v1/contacts/{b}"), None)
            .await
            .status,
        204
    );
    for query in ["tag=dos", "name=lucia", "country=PE", ""] {
        assert!(!searched(&api, query, 10).await.contains(&b), "{query}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pages_of_many_matches_give_each_contact_once_in_order() {
    let api = shared().owner("search-pages");
    // 70 contacts: every other tagged "lote".
    let created = create_many(&api, 70, |i| {
        if i % 2 == 0 {
            vec!["lote".into()]
        } else {
            vec![]
        }
    })
    .await;
    let mut tagged = Vec::new();
    for (i, contact) in &created {
        if i % 2 == 0 {
            let read = get_ok(&api, &format!("/v1/contacts/{contact}")).await.body;
            tagged.push((
                read["created_at"].as_str().unwrap().to_string(),
                contact.clone(),
            ));
        }
    }
    tagged.sort();
    tagged.reverse();
    let expected: Vec<String> = tagged.into_iter().map(|(_, id)| id).collect();
    for limit in [4, 100] {
        assert_eq!(
            searched(&api, "tag=lote", limit).await,
            expected,
            "{limit} a page"
        );
    }
    let by_name = searched(&api, "sort=name", 20).await;
    assert_eq!(by_name.len(), 70);
    assert_eq!(
        by_name.iter().collect::<HashSet<_>>().len(),
        70,
        "each once"
    );
}
