//! IMPORT.md's "How each row ends", through the whole pipeline: the HTTP
//! API, the presigned upload, the validator on the S3 event, the workers on
//! the rows queue, and the contacts they leave. Every row of the table is
//! met at least once for each purpose it applies to; each test checks the
//! review, the completed import's counts, the result file row by row and the
//! contacts as `GET /v1/contacts?phone=` shows them.
//!
//! The tests share one local stack; each keeps to its own workspace.

use std::time::Duration;

use aws_sdk_sqs::types::QueueAttributeName;
use contacts::client::ApiClient;
use end_to_end::{
    CsvFile, by_phone, confirmed, ec_phone, error_file, file, id_of, import_tag_of, ok,
    one_by_phone, result_counts, result_file, review_counts, reviewed, seed_contact,
    set_contact_limit, shared, tags_of, two_contacts_sharing,
};
use serde_json::{Value, json};

mod quota;

/// One expected result row: its status and a fragment its `Errors` must
/// hold (`""`: the cell must be empty).
type Expected<'a> = (&'a str, &'a str);

/// Checks the result file's rows, in file order, against `expected`, and
/// that every row keeps its original cells (the first column's value).
fn assert_rows(result: &CsvFile, firsts: &[&str], expected: &[Expected<'_>]) {
    assert_eq!(
        result.rows.len(),
        expected.len(),
        "every row of the file, once: {:?}",
        result.rows
    );
    for (i, (status, errors)) in expected.iter().enumerate() {
        let row = i + 2;
        assert_eq!(result.rows[i][0], firsts[i], "row {row}'s original cells");
        assert_eq!(
            result.cell(i, "Import Status"),
            *status,
            "row {row}: {:?}",
            result.rows[i]
        );
        let said = result.cell(i, "Errors");
        if errors.is_empty() {
            assert_eq!(said, "", "row {row} ends {status} without a reason");
        } else {
            assert!(
                said.contains(errors),
                "row {row}'s Errors {said:?} should say {errors:?}"
            );
        }
        let contact = result.cell(i, "Contact ID");
        match *status {
            "Imported" | "Updated" => {
                assert!(!contact.is_empty(), "row {row} names its contact")
            }
            "Error" => assert_eq!(contact, "", "row {row} in error names no contact"),
            // A row skipped as known names the contact; one skipped as
            // unknown has none to name (checked where it matters).
            _ => {}
        }
    }
}

/// The error file lists exactly the rows in error, each `Row N: …`.
async fn assert_error_file(api: &ApiClient, id: &str, rows_in_error: &[usize]) {
    let errors = error_file(api, id, b',').await;
    let said: Vec<&str> = errors.values("Error");
    assert_eq!(said.len(), rows_in_error.len(), "{said:?}");
    for (message, row) in said.iter().zip(rows_in_error) {
        assert!(
            message.starts_with(&format!("Row {row}: ")),
            "{message:?} should start with Row {row}"
        );
    }
}

fn first_column(bytes: &[u8]) -> Vec<String> {
    String::from_utf8(bytes.to_vec())
        .unwrap()
        .lines()
        .skip(1)
        .map(|l| l.split(',').next().unwrap_or("").to_string())
        .collect()
}

fn strs(v: &[String]) -> Vec<&str> {
    v.iter().map(String::as_str).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn add_new_imports_the_new_skips_the_known_and_explains_every_error() {
    let ws = "rows-add-new";
    let api = shared().owner(ws);
    let known = seed_contact(
        &api,
        json!({"first_name": "Known", "phone": ec_phone(1_000), "email": "known@example.com"}),
    )
    .await;
    two_contacts_sharing(&api, &ec_phone(1_001)).await;

    let bytes = file(&[
        "First Name,Phone,Email".into(),
        // 2: new → Imported; written with spaces and dashes.
        "Ana,+593 99-100-0002,ana@example.com".into(),
        // 3: invalid email → Error naming Email.
        "Bea,+593991000003,not-an-email".into(),
        // 4: identifier empty → Error naming Phone.
        "Caro,,caro@example.com".into(),
        // 5, 6: the same phone on two rows → Error on both.
        format!("Dani,{},dani@example.com", ec_phone(1_004)),
        format!("Dora,{},dora@example.com", ec_phone(1_004)),
        // 7: two contacts share the phone → Error.
        format!("Eva,{},eva@example.com", ec_phone(1_001)),
        // 8: one contact has it → Skipped.
        format!("Fede,{},fede@example.com", ec_phone(1_000)),
        // 9: new without a first name → Error naming First Name.
        format!(",{},nobody@example.com", ec_phone(1_009)),
        // 10: an invalid phone → Error naming Phone.
        "Gabi,12,gabi@example.com".into(),
        // 11: new → Imported.
        format!("Hugo,{},hugo@example.com", ec_phone(1_011)),
    ]);
    let import = reviewed(
        &api,
        "nuevos.csv",
        &bytes,
        Some(json!({"purpose": "add_new"})),
    )
    .await;
    let id = id_of(&import);
    assert_eq!(review_counts(&import), [10, 2, 0, 1, 7], "{import}");
    assert_error_file(&api, &id, &[3, 4, 5, 6, 7, 9, 10]).await;

    let done = confirmed(&api, &id).await;
    assert_eq!(result_counts(&done), [2, 0, 1, 7], "{done}");
    assert_eq!(done["progress"]["rows_done"], 10);
    let result = result_file(&api, &id, b',').await;
    let firsts = first_column(&bytes);
    assert_rows(
        &result,
        &strs(&firsts),
        &[
            ("Imported", ""),
            ("Error", "Email"),
            ("Error", "Phone: empty"),
            ("Error", "on 2 rows"),
            ("Error", "on 2 rows"),
            ("Error", "belongs to 2 contacts"),
            ("Skipped", "already exists"),
            ("Error", "First Name"),
            ("Error", "Phone"),
            ("Imported", ""),
        ],
    );
    assert!(result.cell(2, "Errors").starts_with("Phone"));
    assert!(result.cell(3, "Errors").starts_with("Phone"));
    assert!(result.cell(5, "Errors").starts_with("Phone"));
    assert!(result.cell(6, "Errors").starts_with("Phone"));
    assert!(result.cell(7, "Errors").starts_with("First Name"));
    assert!(result.cell(1, "Errors").starts_with("Email"));
    // The skipped row names the contact that has the phone.
    assert_eq!(result.cell(6, "Contact ID"), known["id"]);

    // The new contact, stored as the product stores it.
    let ana = one_by_phone(&api, "+593991000002").await;
    assert_eq!(ana["id"], result.cell(0, "Contact ID"));
    assert_eq!(ana["first_name"], "Ana");
    assert_eq!(ana["phone"], "+593991000002");
    assert_eq!(ana["email"], "ana@example.com");
    assert_eq!(ana["country"], "EC", "the country comes from the phone");
    assert_eq!(tags_of(&ana), [import_tag_of(&done)]);
    let tag = import_tag_of(&done);
    assert!(
        tag.len() == "import-2026-11-21-1405".len() && tag.starts_with("import-20"),
        "{tag}"
    );
    // The known contact is left alone; nothing else was created.
    let known_now = one_by_phone(&api, &ec_phone(1_000)).await;
    assert_eq!(known_now["first_name"], "Known");
    assert_eq!(known_now["email"], "known@example.com");
    assert_eq!(by_phone(&api, &ec_phone(1_001)).await.len(), 2);
    for phone in [1_003, 1_004, 1_009] {
        assert!(by_phone(&api, &ec_phone(phone)).await.is_empty());
    }
    one_by_phone(&api, &ec_phone(1_011)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn update_existing_updates_the_known_and_skips_the_unknown() {
    let ws = "rows-update-existing";
    let api = shared().owner(ws);
    let known = seed_contact(
        &api,
        json!({"first_name": "Old", "last_name": "Name", "phone": ec_phone(2_000),
               "email": "old@example.com", "tags": ["keep"]}),
    )
    .await;
    let other = seed_contact(
        &api,
        json!({"first_name": "Otra", "phone": ec_phone(2_001)}),
    )
    .await;
    two_contacts_sharing(&api, &ec_phone(2_002)).await;
    // Updates create no contact: a used-up quota does not stop them.
    set_contact_limit(ws, 0).await;

    let bytes = file(&[
        "First Name,Phone,Email,Tags".into(),
        // 2: one contact has it → Updated.
        format!("New,{},NEW@Example.com,vip; gold", ec_phone(2_000)),
        // 3: no contact has it → Skipped.
        format!("Nadie,{},nadie@example.com,", ec_phone(2_003)),
        // 4: invalid values → Error.
        format!("Mala,{},mala@@example,", ec_phone(2_004)),
        // 5: identifier empty → Error.
        "Vacio,,vacio@example.com,".into(),
        // 6, 7: repeated → Error on both (one of them is even known).
        format!("Rep1,{},,", ec_phone(2_001)),
        "Rep2,+593 99 000 2001,,".into(),
        // 8: two contacts share it → Error.
        format!("Dos,{},,", ec_phone(2_002)),
    ]);
    let import = reviewed(
        &api,
        "actualizar.csv",
        &bytes,
        Some(json!({"purpose": "update_existing"})),
    )
    .await;
    let id = id_of(&import);
    assert_eq!(review_counts(&import), [7, 0, 1, 1, 5], "{import}");
    assert_error_file(&api, &id, &[4, 5, 6, 7, 8]).await;
    let done = confirmed(&api, &id).await;
    assert_eq!(result_counts(&done), [0, 1, 1, 5], "{done}");
    let result = result_file(&api, &id, b',').await;
    assert_rows(
        &result,
        &strs(&first_column(&bytes)),
        &[
            ("Updated", ""),
            ("Skipped", "Phone: no contact has"),
            ("Error", "Email"),
            ("Error", "Phone: empty"),
            ("Error", "Phone"),
            ("Error", "Phone"),
            ("Error", "Phone"),
        ],
    );
    assert!(result.cell(4, "Errors").contains("on 2 rows"));
    assert!(result.cell(6, "Errors").contains("belongs to 2 contacts"));
    assert_eq!(result.cell(0, "Contact ID"), known["id"]);

    let updated = one_by_phone(&api, &ec_phone(2_000)).await;
    assert_eq!(updated["id"], known["id"], "updated in place");
    assert_eq!(updated["first_name"], "New");
    assert_eq!(
        updated["email"], "new@example.com",
        "emails are lower-cased"
    );
    assert_eq!(updated["last_name"], "Name", "an unmapped field stays");
    assert_eq!(updated["country"], "EC");
    // overwrite_tags (on by default): the row's tags and the import's.
    let mut tags = tags_of(&updated);
    tags.sort();
    let mut want = vec!["gold".to_string(), "vip".to_string(), import_tag_of(&done)];
    want.sort();
    assert_eq!(tags, want);
    // The repeated row left the known contact alone; nothing was created.
    assert_eq!(
        one_by_phone(&api, &ec_phone(2_001)).await["first_name"],
        other["first_name"]
    );
    assert!(by_phone(&api, &ec_phone(2_003)).await.is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn add_and_update_imports_the_new_and_updates_the_known() {
    let ws = "rows-add-and-update";
    let api = shared().owner(ws);
    let known = seed_contact(
        &api,
        json!({"first_name": "Vieja", "last_name": "Silva", "phone": ec_phone(3_000),
               "tags": ["old"]}),
    )
    .await;
    two_contacts_sharing(&api, &ec_phone(3_001)).await;

    let bytes = file(&[
        "Nombre,Teléfono,Correo,Etiquetas".into(),
        // 2: known → Updated.
        format!("Nueva,{},nueva@example.com,vip|gold", ec_phone(3_000)),
        // 3: unknown → Imported.
        format!("Ines,{},ines@example.com,a;b", ec_phone(3_003)),
        // 4: new without a first name → Error.
        format!(",{},sin@example.com,", ec_phone(3_004)),
        // 5: invalid email → Error.
        format!("Mal,{},mal@,", ec_phone(3_005)),
        // 6: identifier empty → Error.
        "Vacia,,vacia@example.com,".into(),
        // 7, 8: repeated → Error on both.
        format!("Uno,{},,", ec_phone(3_007)),
        format!("Otro,{},,", ec_phone(3_007)),
        // 9: shared by two → Error.
        format!("Par,{},,", ec_phone(3_001)),
    ]);
    let import = reviewed(
        &api,
        "clientes.csv",
        &bytes,
        Some(json!({"tags": ["feria"]})),
    )
    .await;
    assert_eq!(
        import["options"]["purpose"], "add_and_update",
        "the default"
    );
    let id = id_of(&import);
    assert_eq!(review_counts(&import), [8, 1, 1, 0, 6], "{import}");
    let done = confirmed(&api, &id).await;
    assert_eq!(result_counts(&done), [1, 1, 0, 6], "{done}");
    let result = result_file(&api, &id, b',').await;
    assert_rows(
        &result,
        &strs(&first_column(&bytes)),
        &[
            ("Updated", ""),
            ("Imported", ""),
            ("Error", "Nombre: empty"),
            ("Error", "Correo"),
            ("Error", "Teléfono: empty"),
            ("Error", "Teléfono"),
            ("Error", "Teléfono"),
            ("Error", "Teléfono"),
        ],
    );
    assert!(result.cell(5, "Errors").contains("on 2 rows"));
    assert!(result.cell(6, "Errors").contains("on 2 rows"));
    assert!(result.cell(7, "Errors").contains("belongs to 2 contacts"));

    let tag = import_tag_of(&done);
    let updated = one_by_phone(&api, &ec_phone(3_000)).await;
    assert_eq!(updated["id"], known["id"]);
    assert_eq!(updated["first_name"], "Nueva");
    assert_eq!(updated["last_name"], "Silva");
    assert_eq!(updated["email"], "nueva@example.com");
    let mut tags = tags_of(&updated);
    tags.sort();
    let mut want = vec!["feria".into(), "gold".into(), "vip".into(), tag.clone()];
    want.sort();
    assert_eq!(
        tags, want,
        "the row's tags, the import's tags, the import tag"
    );

    let new = one_by_phone(&api, &ec_phone(3_003)).await;
    assert_eq!(new["id"], result.cell(1, "Contact ID"));
    assert_eq!(new["first_name"], "Ines");
    assert_eq!(new["country"], "EC");
    let mut tags = tags_of(&new);
    tags.sort();
    let mut want = vec!["a".into(), "b".into(), "feria".into(), tag];
    want.sort();
    assert_eq!(tags, want);
    for phone in [3_004, 3_005, 3_007] {
        assert!(by_phone(&api, &ec_phone(phone)).await.is_empty());
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn add_all_imports_every_valid_row_even_known_and_repeated_ones() {
    let ws = "rows-add-all";
    let api = shared().owner(ws);
    seed_contact(&api, json!({"first_name": "Ya", "phone": ec_phone(4_000)})).await;

    let bytes = file(&[
        "First Name,Phone,Email".into(),
        // 2: a contact has it → Imported anyway (a duplicate on purpose).
        format!("Dup,{},", ec_phone(4_000)),
        // 3, 4: repeated in the file → both Imported.
        format!("Rep A,{},", ec_phone(4_003)),
        format!("Rep B,{},", ec_phone(4_003)),
        // 5: no phone → Imported: add_all identifies no one.
        "Sin Telefono,,sin@example.com".into(),
        // 6: new without a first name → Error.
        format!(",{},", ec_phone(4_006)),
        // 7: invalid values → Error.
        format!("Mala,{},@nope", ec_phone(4_007)),
    ]);
    let import = reviewed(
        &api,
        "todos.csv",
        &bytes,
        Some(json!({"purpose": "add_all"})),
    )
    .await;
    let id = id_of(&import);
    assert_eq!(review_counts(&import), [6, 4, 0, 0, 2], "{import}");
    let done = confirmed(&api, &id).await;
    assert_eq!(result_counts(&done), [4, 0, 0, 2], "{done}");
    let result = result_file(&api, &id, b',').await;
    assert_rows(
        &result,
        &strs(&first_column(&bytes)),
        &[
            ("Imported", ""),
            ("Imported", ""),
            ("Imported", ""),
            ("Imported", ""),
            ("Error", "First Name"),
            ("Error", "Email"),
        ],
    );
    assert_eq!(by_phone(&api, &ec_phone(4_000)).await.len(), 2);
    let twins = by_phone(&api, &ec_phone(4_003)).await;
    assert_eq!(twins.len(), 2);
    let mut names: Vec<&str> = twins
        .iter()
        .filter_map(|c| c["first_name"].as_str())
        .collect();
    names.sort();
    assert_eq!(names, ["Rep A", "Rep B"]);
    assert!(by_phone(&api, &ec_phone(4_006)).await.is_empty());
    assert!(by_phone(&api, &ec_phone(4_007)).await.is_empty());
    // The contact without a phone exists under the id the result names.
    let id5 = result.cell(3, "Contact ID");
    let answer = ok(api.call("GET", &format!("/v1/contacts/{id5}"), None).await);
    assert_eq!(answer.status, 200, "{}", answer.body);
    assert_eq!(answer.body["first_name"], "Sin Telefono");
    assert_eq!(answer.body["email"], "sin@example.com");
    assert_eq!(answer.body["phone"], Value::Null);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_fill_only_mapping_fills_empty_fields_and_keeps_the_rest() {
    let ws = "rows-fill-only";
    let api = shared().owner(ws);
    seed_contact(
        &api,
        json!({"first_name": "Ana", "phone": ec_phone(6_000), "email": "ana@old.com"}),
    )
    .await;
    seed_contact(
        &api,
        json!({"first_name": "Bruno", "last_name": "Lima", "phone": ec_phone(6_001),
               "email": "bruno@old.com"}),
    )
    .await;
    let bytes = file(&[
        "First Name,Last Name,Phone,Email".into(),
        format!("Anita,Silva,{},ana@new.com", ec_phone(6_000)),
        format!("Bruno,,{},", ec_phone(6_001)),
        format!("Carla,Costa,{},carla@new.com", ec_phone(6_002)),
    ]);
    let mapping = json!([
        {"column": "First Name", "field": "first_name", "overwrite": false},
        {"column": "Last Name", "field": "last_name", "overwrite": false},
        {"column": "Phone", "field": "phone"},
        {"column": "Email", "field": "email", "overwrite": false},
    ]);
    let import = reviewed(
        &api,
        "rellenar.csv",
        &bytes,
        Some(json!({"mapping": mapping})),
    )
    .await;
    let entries = import["mapping"].as_array().expect("the mapping in force");
    assert!(
        entries
            .iter()
            .any(|e| e["column"] == "Email" && e["overwrite"] == false),
        "{import}"
    );
    assert_eq!(review_counts(&import), [3, 1, 2, 0, 0]);
    let done = confirmed(&api, &id_of(&import)).await;
    assert_eq!(result_counts(&done), [1, 2, 0, 0]);

    let ana = one_by_phone(&api, &ec_phone(6_000)).await;
    assert_eq!(ana["first_name"], "Ana", "a value is kept");
    assert_eq!(ana["last_name"], "Silva", "an empty field is filled");
    assert_eq!(ana["email"], "ana@old.com");
    let bruno = one_by_phone(&api, &ec_phone(6_001)).await;
    assert_eq!(bruno["last_name"], "Lima", "an empty cell clears nothing");
    assert_eq!(bruno["email"], "bruno@old.com");
    let carla = one_by_phone(&api, &ec_phone(6_002)).await;
    assert_eq!(
        (
            carla["first_name"].as_str(),
            carla["last_name"].as_str(),
            carla["email"].as_str()
        ),
        (Some("Carla"), Some("Costa"), Some("carla@new.com"))
    );

    // The same rows with overwrite on replace and clear. The mapping is
    // given: the workspace remembers the fill-only choices confirmed above,
    // and would map these headers so by itself.
    let remembered = reviewed(&api, "recordado.csv", &bytes, None).await;
    let first_name = &remembered["mapping"][0];
    assert_eq!(
        (&first_name["overwrite"], &first_name["remembered"]),
        (&json!(false), &json!(true))
    );
    ok(api
        .call(
            "DELETE",
            &format!("/v1/imports/{}", id_of(&remembered)),
            None,
        )
        .await);
    let overwrite = json!({"mapping": [
        {"column": "First Name", "field": "first_name"},
        {"column": "Last Name", "field": "last_name"},
        {"column": "Phone", "field": "phone"},
        {"column": "Email", "field": "email"},
    ]});
    let again = reviewed(&api, "reemplazar.csv", &bytes, Some(overwrite)).await;
    let done = confirmed(&api, &id_of(&again)).await;
    assert_eq!(result_counts(&done), [0, 3, 0, 0]);
    let ana = one_by_phone(&api, &ec_phone(6_000)).await;
    assert_eq!(ana["first_name"], "Anita");
    assert_eq!(ana["email"], "ana@new.com");
    let bruno = one_by_phone(&api, &ec_phone(6_001)).await;
    assert_eq!(bruno["last_name"], Value::Null, "an empty cell clears");
    assert_eq!(bruno["email"], Value::Null);
}

/// New options in review validate again, each time: `PATCH` sends the
/// re-validation message before it stores the change, so the validator
/// often meets the message first and must wait for the change rather than
/// drop the message (which once left imports in `validating` for ever).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn new_options_in_review_validate_again() {
    let ws = "rows-patch";
    let api = shared().owner(ws);
    seed_contact(&api, json!({"first_name": "Ya", "phone": ec_phone(7_000)})).await;
    let bytes = file(&[
        "First Name,Phone".into(),
        format!("Ya Otra Vez,{}", ec_phone(7_000)),
        format!("Nuevo,{}", ec_phone(7_001)),
        format!("Nueva,{}", ec_phone(7_002)),
    ]);
    let import = reviewed(&api, "cambios.csv", &bytes, None).await;
    let id = id_of(&import);
    assert_eq!(review_counts(&import), [3, 2, 1, 0, 0]);

    let mut last = import;
    for (options, counts) in [
        (json!({"purpose": "update_existing"}), [3, 0, 1, 2, 0]),
        (json!({"purpose": "add_all"}), [3, 3, 0, 0, 0]),
        (json!({"purpose": "add_and_update"}), [3, 2, 1, 0, 0]),
        (json!({"purpose": "add_new"}), [3, 2, 0, 1, 0]),
    ] {
        let patched = ok(api
            .call(
                "PATCH",
                &format!("/v1/imports/{id}"),
                Some(&json!({"options": options})),
            )
            .await);
        assert_eq!(patched.status, 200, "{}", patched.body);
        assert_eq!(patched.body["options"]["purpose"], options["purpose"]);
        assert!(
            matches!(
                patched.body["status"].as_str(),
                Some("validating" | "review")
            ),
            "{}",
            patched.body
        );
        // While it validates again it shows no counts of the review before.
        if patched.body["status"] == "validating" {
            assert_eq!(patched.body["review"], Value::Null, "{}", patched.body);
            assert_eq!(patched.body["mapping"], Value::Null, "{}", patched.body);
        }
        // A first validation of this file takes well under a second.
        let waited = api
            .wait_for(&id, Duration::from_secs(20), |i| {
                i["status"] == "review" && review_counts(i) == counts
            })
            .await;
        let now = match waited {
            Ok(now) => now,
            Err(e) => {
                let stored = shared()
                    .service
                    .store()
                    .imports
                    .import(ws, &id)
                    .await
                    .unwrap();
                // Messages waiting or in flight on the uploads queue (other
                // tests' too): none means nothing will ever validate it.
                let queue = shared()
                    .clients
                    .sqs
                    .get_queue_attributes()
                    .queue_url(&shared().uploads_queue_url)
                    .attribute_names(QueueAttributeName::ApproximateNumberOfMessages)
                    .attribute_names(QueueAttributeName::ApproximateNumberOfMessagesNotVisible)
                    .send()
                    .await
                    .unwrap();
                panic!(
                    "BUG: the new options {options} were not validated within 20 s; \
                     the record (status, generation, validating_message): {:?}; \
                     the uploads queue: {:?}; {e}",
                    stored.map(|r| (r.status, r.generation, r.validating_message)),
                    queue.attributes()
                );
            }
        };
        assert!(
            now["expires_at"].as_str() >= last["expires_at"].as_str(),
            "the hour restarts: {} then {}",
            last["expires_at"],
            now["expires_at"]
        );
        last = now;
    }

    let done = confirmed(&api, &id).await;
    assert_eq!(result_counts(&done), [2, 0, 1, 0]);
    let result = result_file(&api, &id, b',').await;
    assert_eq!(
        result.values("Import Status"),
        ["Skipped", "Imported", "Imported"]
    );
    assert!(result.cell(0, "Errors").contains("already exists"));
    assert_eq!(
        one_by_phone(&api, &ec_phone(7_000)).await["first_name"],
        "Ya"
    );

    // Options change only in review.
    let late = ok(api
        .call(
            "PATCH",
            &format!("/v1/imports/{id}"),
            Some(&json!({"options": {}})),
        )
        .await);
    assert_eq!(late.status, 409, "{}", late.body);
    assert_eq!(late.code(), "not_in_review");
}
