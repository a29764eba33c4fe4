//! Changing an import in review: `PATCH` changes only the options it names
//! (JSON Merge Patch; mapping entries column by column), and a file whose
//! headers do not fit the mapping stops in review saying what to change,
//! rather than failing — `PATCH` fixes it, and confirm waits until then.

use super::*;

/// PATCHes an import's options; answers the import once validated again.
pub(crate) async fn patched(api: &ApiClient, id: &str, options: Value) -> Value {
    let answer = ok(api
        .call(
            "PATCH",
            &format!("/v1/imports/{id}"),
            Some(&json!({ "options": options })),
        )
        .await);
    assert_eq!(answer.status, 200, "PATCH {options}: {}", answer.body);
    ok(api
        .wait_for(id, PIPELINE_TIMEOUT, |i| i["status"] == "review")
        .await)
}

fn field_of(import: &Value, column: &str) -> Value {
    import["mapping"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["column"] == column)
        .unwrap_or_else(|| panic!("{column} in {import}"))["field"]
        .clone()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn patch_changes_only_the_options_it_names() {
    let api = shared().owner("api-patch-merge");
    let bytes = file(&[
        "Nombre,Celular,Correo,Ciudad".into(),
        "Ana,0991100001,ana@example.com,Quito".into(),
        "Luis,0991100002,luis@example.com,Cuenca".into(),
    ]);
    let options = json!({"default_country": "EC", "tags": ["feria"]});
    let import = reviewed(&api, "cambios.csv", &bytes, Some(options)).await;
    let id = id_of(&import);
    assert_eq!(field_of(&import, "Correo"), "email");

    // A first change: the purpose; the country and tags stay.
    let now = patched(&api, &id, json!({"purpose": "add_new"})).await;
    assert_eq!(now["options"]["purpose"], "add_new");
    assert_eq!(now["options"]["default_country"], "EC");
    assert_eq!(now["options"]["tags"], json!(["feria"]));

    // A mapping entry changes its own column only: the other columns keep
    // the mapping the review showed, the other options theirs.
    let now = patched(
        &api,
        &id,
        json!({"mapping": [{"column": "Correo", "field": null}]}),
    )
    .await;
    assert_eq!(field_of(&now, "Correo"), Value::Null);
    assert_eq!(field_of(&now, "Nombre"), "first_name");
    assert_eq!(field_of(&now, "Celular"), "phone");
    assert_eq!(now["options"]["purpose"], "add_new");
    assert_eq!(now["options"]["default_country"], "EC");
    assert_eq!(now["options"]["tags"], json!(["feria"]));
    assert_eq!(now["review"]["to_add"], 2, "{now}");

    // Another entry, and the first stays as it was changed.
    let now = patched(
        &api,
        &id,
        json!({"mapping": [{"column": "Ciudad", "field": "last_name", "overwrite": false}]}),
    )
    .await;
    assert_eq!(field_of(&now, "Correo"), Value::Null);
    assert_eq!(field_of(&now, "Ciudad"), "last_name");

    // null puts an option back to its default; mapping null maps anew.
    let now = patched(&api, &id, json!({"tags": null, "mapping": null})).await;
    assert_eq!(now["options"]["tags"], json!([]));
    assert_eq!(now["options"]["mapping"], Value::Null);
    assert_eq!(field_of(&now, "Correo"), "email");
    assert_eq!(field_of(&now, "Ciudad"), Value::Null);
    assert_eq!(now["options"]["default_country"], "EC");

    // A value that cannot be is refused at once, plainly; nothing changes.
    let bad = ok(api
        .call(
            "PATCH",
            &format!("/v1/imports/{id}"),
            Some(&json!({"options": {"import_tag": "yes"}})),
        )
        .await);
    assert_error(&bad, 400, "invalid_options");
    let message = bad.body["error"]["message"].as_str().unwrap();
    assert!(message.contains("expected a boolean"), "{message}");
    assert_eq!(ok(api.import(&id).await).body["status"], "review");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_file_whose_identifier_column_is_not_recognised_stops_in_review_until_the_mapping_is_fixed()
 {
    let ws = "api-mapping-problems";
    let api = shared().owner(ws);
    let bytes = file(&[
        "Nombre,Notas,Móvil personal".into(),
        format!("Ana,cliente,{}", ec_phone(70_001)),
        format!("Luis,proveedor,{}", ec_phone(70_002)),
    ]);
    let import = validated(&api, "sin-telefono.csv", &bytes, None).await;
    let id = id_of(&import);
    assert_eq!(import["status"], "review", "{import}");
    assert_eq!(import["error"], Value::Null);
    assert_eq!(
        import["review"],
        Value::Null,
        "no counts while the mapping fails"
    );
    assert_eq!(
        import["headers"],
        json!(["Nombre", "Notas", "Móvil personal"])
    );
    assert_eq!(field_of(&import, "Nombre"), "first_name");
    let problems = import["problems"].as_array().unwrap();
    assert_eq!(problems.len(), 1, "{import}");
    assert_eq!(problems[0]["code"], "identifier_not_mapped");
    assert!(
        problems[0]["message"]
            .as_str()
            .unwrap()
            .contains("phone number"),
        "{import}"
    );
    assert_eq!(problems[0]["candidates"], json!(["Móvil personal"]));
    assert!(import["expires_at"].is_string());

    // Confirm waits for the fix, saying why.
    let confirm = ok(api
        .call("POST", &format!("/v1/imports/{id}/confirm"), None)
        .await);
    assert_error(&confirm, 409, "mapping_problems");
    assert!(
        confirm.body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("PATCH"),
        "{}",
        confirm.body
    );

    // The suggested column, mapped: the same upload is reviewed and imports.
    let fixed = patched(
        &api,
        &id,
        json!({"mapping": [{"column": "Móvil personal", "field": "phone"}]}),
    )
    .await;
    assert_eq!(fixed["problems"], json!([]), "{fixed}");
    assert_eq!(fixed["review"]["to_add"], 2, "{fixed}");
    assert_eq!(field_of(&fixed, "Nombre"), "first_name");
    let done = confirmed(&api, &id).await;
    assert_eq!(result_counts(&done), [2, 0, 0, 0]);
    let ana = end_to_end::one_by_phone(&api, &ec_phone(70_001)).await;
    assert_eq!(ana["first_name"], "Ana");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_mapping_given_at_creation_that_names_a_missing_column_stops_in_review() {
    let api = shared().owner("api-mapping-missing-column");
    let bytes = file(&[
        "Nombre,Teléfono".into(),
        format!("Ana,{}", ec_phone(70_010)),
    ]);
    let options = json!({"mapping": [
        {"column": "Nombre", "field": "first_name"},
        {"column": "Tel", "field": "phone"}
    ]});
    let import = validated(&api, "columna.csv", &bytes, Some(options)).await;
    let id = id_of(&import);
    assert_eq!(import["status"], "review", "{import}");
    let problem = &import["problems"][0];
    assert_eq!(problem["code"], "unknown_column", "{import}");
    assert!(
        problem["message"].as_str().unwrap().contains("\"Tel\""),
        "{import}"
    );
    assert_eq!(problem["candidates"], json!(["Teléfono"]));

    // Naming the real column drops the entry for the one the file lacks.
    let fixed = patched(
        &api,
        &id,
        json!({"mapping": [{"column": "Teléfono", "field": "phone"}]}),
    )
    .await;
    assert_eq!(fixed["problems"], json!([]), "{fixed}");
    assert_eq!(fixed["review"]["to_add"], 1, "{fixed}");
}
