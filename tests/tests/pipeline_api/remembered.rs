//! Remembered mappings: a column the workspace mapped by hand in a
//! confirmed import is mapped the same way in its next file with that
//! header, the review saying it came from memory; the memory is read,
//! replaced and forgotten through `/v1/settings/mappings`.

use super::changes::patched;
use super::*;
use contact_service::operations::Role;
use end_to_end::one_by_phone;

/// The mapping entry of `column` in an import view.
fn entry<'i>(import: &'i Value, column: &str) -> &'i Value {
    import["mapping"]
        .as_array()
        .and_then(|m| m.iter().find(|e| e["column"] == column))
        .unwrap_or_else(|| panic!("no column {column} in {import}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_column_mapped_by_hand_is_remembered_for_the_next_file_and_can_be_forgotten() {
    let ws = "api-remembered";
    let api = shared().owner(ws);
    let options = json!({"default_country": "EC", "import_tag": false});
    let first = file(&[
        "Nombre,Celular,Segmento".into(),
        format!("Ana,{},vip", ec_phone(701)),
    ]);
    let import = reviewed(&api, "primero.csv", &first, Some(options.clone())).await;
    let id = id_of(&import);
    assert_eq!(entry(&import, "Segmento")["field"], Value::Null);
    let import = patched(
        &api,
        &id,
        json!({"mapping": [{"column": "Segmento", "field": "tags"}]}),
    )
    .await;
    assert_eq!(entry(&import, "Segmento")["field"], "tags");
    confirmed(&api, &id).await;

    // Only the choice the automatic mapping would not make is remembered.
    let memory = ok(api.call("GET", "/v1/settings/mappings", None).await);
    assert_eq!(memory.status, 200, "{}", memory.body);
    assert_eq!(
        memory.body,
        json!({"columns": [{"header": "Segmento", "field": "tags", "overwrite": true}]})
    );

    // The next file maps it by itself (header matched folded), and says so.
    let next = file(&[
        "Nombre,Celular,SEGMENTO,Ciudad".into(),
        format!("Luis,{},nuevo,Quito", ec_phone(702)),
    ]);
    let import = reviewed(&api, "segundo.csv", &next, Some(options.clone())).await;
    let segmento = entry(&import, "SEGMENTO");
    assert_eq!(segmento["field"], "tags", "{import}");
    assert_eq!(segmento["remembered"], true);
    assert!(
        segmento["note"]
            .as_str()
            .unwrap()
            .contains("earlier import")
    );
    assert_eq!(entry(&import, "Nombre").get("remembered"), None);
    assert_eq!(entry(&import, "Ciudad")["field"], Value::Null);
    let done = confirmed(&api, &id_of(&import)).await;
    assert_eq!(result_counts(&done), [1, 0, 0, 0]);
    assert_eq!(
        one_by_phone(&api, &ec_phone(702)).await["tags"],
        json!(["nuevo"])
    );

    // Confirmed again from memory, it stays remembered, as this file wrote it.
    let memory = ok(api.call("GET", "/v1/settings/mappings", None).await);
    assert_eq!(
        memory.body,
        json!({"columns": [{"header": "SEGMENTO", "field": "tags", "overwrite": true}]})
    );

    // Agents read it and change nothing; a bad memory is refused whole.
    let agent = shared().client(ws, Role::Agent);
    assert_eq!(
        ok(agent.call("GET", "/v1/settings/mappings", None).await).status,
        200
    );
    let replace = |columns: Value| json!({"columns": columns});
    let answer = ok(agent
        .call("PUT", "/v1/settings/mappings", Some(&replace(json!([]))))
        .await);
    assert_error(&answer, 403, "forbidden");
    for bad in [
        json!([{"header": "Plan", "field": "custom:plan"}]),
        json!([{"header": "Zona", "field": null}, {"header": "ZONA", "field": "tags"}]),
        json!([{"header": " ", "field": null}]),
    ] {
        let answer = ok(api
            .call("PUT", "/v1/settings/mappings", Some(&replace(bad.clone())))
            .await);
        assert_error(&answer, 400, "invalid_mapping");
    }
    let answer = ok(api
        .call(
            "PUT",
            "/v1/settings/mappings",
            Some(&json!({"columns": [{"header": "x", "field": "nickname"}]})),
        )
        .await);
    assert_error(&answer, 400, "invalid_body");
    let kept = ok(api.call("GET", "/v1/settings/mappings", None).await);
    assert_eq!(kept.body, memory.body, "nothing half-written");

    // Set through the API, then forgotten.
    let set = ok(api
        .call(
            "PUT",
            "/v1/settings/mappings",
            Some(&replace(
                json!([{"header": " Zona ", "field": "tags", "overwrite": false}]),
            )),
        )
        .await);
    assert_eq!(set.status, 200, "{}", set.body);
    assert_eq!(set.body["columns"][0]["header"], "Zona");
    let forgotten = ok(api.call("DELETE", "/v1/settings/mappings", None).await);
    assert_eq!(forgotten.status, 204);
    let memory = ok(api.call("GET", "/v1/settings/mappings", None).await);
    assert_eq!(memory.body, json!({"columns": []}));
    let import = reviewed(&api, "tercero.csv", &next, Some(options)).await;
    assert_eq!(entry(&import, "SEGMENTO")["field"], Value::Null);
}
