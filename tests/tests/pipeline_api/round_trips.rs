//! IMPORT.md: "The files the product writes (error, result, export)
//! re-import with exactly the values they came from". Each kind of file is
//! downloaded as a user would, imported again as it is, and every contact
//! compared field by field with what it was; a result file of a result file
//! keeps one `Import Status`, `Errors` and `Contact ID` column each.

use std::collections::BTreeMap;

use contact_engine::files::unescape_formula;
use contact_service::records::Contact;
use end_to_end::{CsvFile, export_done, one_by_phone};

use super::*;

/// The cells of the first import: values a spreadsheet would run as
/// formulas (so every written file guards them), a delimiter and quotes
/// inside a cell, and phones written with `+` and spaces or dashes.
const ORIGINAL: &str = "\
Nombre;Apellido;Celular;Correo;Etiquetas;Empresa
\"=SUMA(1;2)\";Pérez;+593 99 123 4601;ana@example.com;vip, nuevo;\"Tienda \"\"La Ñ\"\"; S.A.\"
@Luis;-Vera;+593-99-123-4602;;;\"=HYPERLINK(\"\"x\"\")\"
+Marta;Ñuño;0991234603;marta@example.com;;-12
Jo;Sin Correo;0991234604;jo@@example;;@empresa
Eva;Plain;+593991234605;eva@example.com;* starred;Plain
";

async fn put_settings(api: &ApiClient, settings: Value) {
    let answer = ok(api.call("PUT", "/v1/settings", Some(&settings)).await);
    assert_eq!(answer.status, 200, "PUT /v1/settings: {}", answer.body);
}

async fn raw_download(api: &ApiClient, path: &str) -> Vec<u8> {
    let (status, bytes) = ok(api.download(path).await);
    assert_eq!(status, 200, "GET {path} then its URL");
    bytes
}

/// Every contact named, by id, as the API shows it; `updated_at` left out
/// (an update with the same values is still an update).
async fn contacts(api: &ApiClient, ids: &[&str]) -> BTreeMap<String, Contact> {
    let mut found = BTreeMap::new();
    for id in ids {
        let answer = ok(api.call("GET", &format!("/v1/contacts/{id}"), None).await);
        assert_eq!(answer.status, 200, "GET /v1/contacts/{id}: {}", answer.body);
        let mut contact: Contact = serde_json::from_value(answer.body).unwrap();
        contact.updated_at.clear();
        found.insert(id.to_string(), contact);
    }
    found
}

/// Imports `bytes` by `Contact ID` (update only, no automatic tag) and
/// answers the completed import.
async fn updated_by_id(api: &ApiClient, name: &str, bytes: &[u8]) -> Value {
    let options = json!({"purpose": "update_existing", "identifier": "contact_id",
                         "import_tag": false, "default_country": "EC"});
    let import = reviewed(api, name, bytes, Some(options)).await;
    confirmed(api, &id_of(&import)).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn files_the_service_writes_import_again_with_the_values_they_came_from() {
    let api = shared().owner("api-round-trips");
    put_settings(
        &api,
        json!({"custom_fields": [{"key": "empresa", "label": "Empresa", "type": "text"}]}),
    )
    .await;
    let options = json!({"import_tag": false, "default_country": "EC"});
    let import = reviewed(&api, "clientes.csv", ORIGINAL.as_bytes(), Some(options)).await;
    let first = id_of(&import);
    assert_eq!(review_counts(&import), [5, 4, 0, 0, 1], "{import}");

    // The error file, its bad address mended, imports its row.
    let errors = raw_download(&api, &format!("/v1/imports/{first}/errors")).await;
    let done = confirmed(&api, &first).await;
    assert_eq!(result_counts(&done), [4, 0, 0, 1]);

    // The result file holds every original cell, guarded where a
    // spreadsheet would run it, and reads back to the original.
    let result = raw_download(&api, &format!("/v1/imports/{first}/result")).await;
    let written = CsvFile::parse(&result, b';');
    let original = CsvFile::parse(format!("\u{FEFF}{ORIGINAL}").as_bytes(), b';');
    assert_eq!(written.headers[..6], original.headers[..]);
    for (row, cells) in original.rows.iter().enumerate() {
        for (column, cell) in cells.iter().enumerate() {
            let shown = &written.rows[row][column];
            assert_eq!(unescape_formula(shown), cell, "row {row}, column {column}");
            if cell.starts_with(['=', '@']) || ["-Vera", "+Marta"].contains(&cell.as_str()) {
                assert_eq!(*shown, format!("'{cell}"), "guarded: {cell}");
            }
        }
    }
    assert_eq!(written.cell(1, "Celular"), "'+593-99-123-4602");
    assert_eq!(
        written.cell(4, "Celular"),
        "+593991234605",
        "a plain number is not guarded"
    );
    assert_eq!(written.cell(2, "Empresa"), "-12");
    let ids: Vec<&str> = written
        .values("Contact ID")
        .into_iter()
        .filter(|id| !id.is_empty())
        .collect();
    assert_eq!(ids.len(), 4);
    let before = contacts(&api, &ids).await;
    assert_eq!(before[ids[0]].first_name.as_deref(), Some("=SUMA(1;2)"));
    assert_eq!(before[ids[0]].phone.as_deref(), Some("+593991234601"));
    assert_eq!(
        before[ids[0]].custom_fields["empresa"],
        json!("Tienda \"La Ñ\"; S.A.")
    );

    // The result file by `Contact ID`: the same contacts, the same values;
    // the row that was in error has no id and says so again.
    let again = updated_by_id(&api, "resultado.csv", &result).await;
    let second = raw_download(&api, &format!("/v1/imports/{}/result", id_of(&again))).await;
    assert_eq!(
        result_counts(&again),
        [0, 4, 0, 1],
        "{}",
        String::from_utf8_lossy(&second)
    );
    assert_eq!(contacts(&api, &ids).await, before);

    // Its own result file keeps the columns once, filled anew, and imports
    // again the same way.
    let second_file = CsvFile::parse(&second, b';');
    assert_eq!(second_file.headers, written.headers);
    assert_eq!(
        second_file.values("Import Status"),
        ["Updated", "Updated", "Updated", "Error", "Updated"]
    );
    assert_eq!(
        second_file.values("Contact ID")[..3],
        written.values("Contact ID")[..3]
    );
    let third = updated_by_id(&api, "resultado-2.csv", &second).await;
    assert_eq!(result_counts(&third), [0, 4, 0, 1], "{third}");
    assert_eq!(contacts(&api, &ids).await, before);

    // An export of the workspace, by its `id` column.
    let started = ok(api.call("POST", "/v1/exports", Some(&json!({}))).await);
    assert_eq!(started.status, 202, "{}", started.body);
    let exported = export_done(&api, started.body["id"].as_str().unwrap()).await;
    assert_eq!(exported["status"], "completed", "{exported}");
    let export = reqwest::get(exported["url"].as_str().unwrap())
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    let from_export = updated_by_id(&api, "export.csv", &export).await;
    assert_eq!(result_counts(&from_export), [0, 4, 0, 0], "{from_export}");
    assert_eq!(contacts(&api, &ids).await, before);

    // The error file: its one row, the address mended, imports with the
    // values it came from.
    let error_file = CsvFile::parse(&errors, b';');
    assert_eq!(error_file.headers.last().map(String::as_str), Some("Error"));
    assert_eq!(error_file.rows.len(), 1);
    let mended = String::from_utf8(errors)
        .unwrap()
        .replace("jo@@example", "jo@example.com");
    let options = json!({"import_tag": false, "default_country": "EC"});
    let import = reviewed(&api, "errores.csv", mended.as_bytes(), Some(options)).await;
    let done = confirmed(&api, &id_of(&import)).await;
    assert_eq!(result_counts(&done), [1, 0, 0, 0], "{done}");
    let jo = one_by_phone(&api, "+593991234604").await;
    assert_eq!(jo["first_name"], "Jo");
    assert_eq!(jo["last_name"], "Sin Correo");
    assert_eq!(jo["email"], "jo@example.com");
    assert_eq!(jo["custom_fields"]["empresa"], "@empresa");
}
