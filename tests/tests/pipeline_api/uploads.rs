//! Uploads as clients really send them: the bytes stored whatever the
//! `Content-Type` of the `PUT`, and a stored size that is not the declared
//! one said plainly.

use super::*;
use end_to_end::one_by_phone;

/// Creates an import declaring `declared` bytes; answers its id and the
/// presigned upload.
async fn create(api: &ApiClient, name: &str, declared: usize) -> (String, Value) {
    let body = json!({"file_name": name, "size_bytes": declared});
    let created = ok(api.call("POST", "/v1/imports", Some(&body)).await);
    assert_eq!(created.status, 201, "{}", created.body);
    (id_of(&created.body), created.body["upload"].clone())
}

/// The import once validation has ended.
async fn validated_import(api: &ApiClient, id: &str) -> Value {
    ok(api
        .wait_for(id, PIPELINE_TIMEOUT, |i| {
            !matches!(i["status"].as_str(), Some("awaiting_upload" | "validating"))
        })
        .await)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_put_declared_as_a_form_stores_the_whole_file() {
    let api = shared().owner("api-upload-form");
    // Windows-1252 bytes, as Excel saves a Spanish file; `curl -X PUT
    // --data-binary` sends them declared as a form.
    let mut bytes = b"Nombre;Tel\xe9fono\r\n".to_vec();
    for n in 0..3u32 {
        bytes.extend(b"Jos\xe9");
        bytes.extend(format!(" {n};{}\r\n", ec_phone(40 + n)).bytes());
    }
    let (id, upload) = create(&api, "formulario.csv", bytes.len()).await;
    let url = upload["url"].as_str().unwrap();
    let put = raw()
        .put(url)
        .header("content-type", "application/x-www-form-urlencoded")
        .body(bytes.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(put.status().as_u16(), 200);
    let import = validated_import(&api, &id).await;
    assert_eq!(import["status"], "review", "{import}");
    assert_eq!(import["review"]["rows"], 3, "{import}");
    assert_eq!(import["dialect"]["encoding"], "windows-1252", "{import}");
    assert_eq!(import["headers"], json!(["Nombre", "Teléfono"]));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_upload_of_another_size_than_declared_fails_saying_so() {
    let ws = "api-upload-size";
    let api = shared().owner(ws);
    let bytes = file(&["First Name,Phone".into(), format!("Ana,{}", ec_phone(50))]);
    for (declared, said) in [
        (
            bytes.len() + 100,
            format!(
                "received {} of the {} bytes declared",
                bytes.len(),
                bytes.len() + 100
            ),
        ),
        (
            bytes.len() - 5,
            format!(
                "received {} bytes, more than the {} declared",
                bytes.len(),
                bytes.len() - 5
            ),
        ),
    ] {
        let (id, upload) = create(&api, "corto.csv", declared).await;
        assert_eq!(ok(api.upload(&upload, bytes.clone()).await), 200);
        let import = validated_import(&api, &id).await;
        assert_eq!(import["status"], "failed", "{import}");
        let error = import["error"].as_str().unwrap();
        assert!(error.starts_with(&said), "{error}");
        assert!(error.ends_with("upload the whole file again"), "{error}");
        let files = &shared().service.store().files;
        assert_eq!(files.upload_size(ws, &id).await.unwrap(), None);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_import_waits_for_its_upload_a_session_long_and_a_fresh_url_restarts_the_wait() {
    let stack = own_stack(StackOptions {
        review_ttl: Duration::from_secs(3),
        ..StackOptions::default()
    })
    .await;
    let ws = "api-upload-wait";
    let api = client(&stack.api_url, &stack.auth, ws, Role::Owner);
    let bytes = file(&["First Name,Phone".into(), format!("Ana,{}", ec_phone(60))]);

    // An import that waits says until when.
    let (id, _) = create(&api, "espera.csv", bytes.len()).await;
    let first = ok(api.import(&id).await);
    let first_deadline = first.body["expires_at"].as_str().unwrap().to_string();

    // A fresh URL while it waits: a new presigned PUT and a later deadline.
    tokio::time::sleep(Duration::from_millis(1_100)).await;
    let fresh = ok(api
        .call("POST", &format!("/v1/imports/{id}/upload"), None)
        .await);
    assert_eq!(fresh.status, 200, "{}", fresh.body);
    assert_eq!(fresh.body["status"], "awaiting_upload");
    assert_eq!(fresh.body["upload"]["method"], "PUT");
    let deadline = fresh.body["expires_at"].as_str().unwrap();
    assert!(
        deadline > first_deadline.as_str(),
        "{deadline} after {first_deadline}"
    );

    // The fresh URL uploads the file, past the first deadline.
    tokio::time::sleep(Duration::from_millis(2_100)).await;
    assert_eq!(
        ok(api.upload(&fresh.body["upload"], bytes.clone()).await),
        200
    );
    let import = ok(api
        .wait_for(&id, PIPELINE_TIMEOUT, |i| i["status"] == "review")
        .await);
    assert_eq!(import["review"]["rows"], 1, "{import}");
    // Once the file is in, there is no new upload URL.
    let late = ok(api
        .call("POST", &format!("/v1/imports/{id}/upload"), None)
        .await);
    assert_error(&late, 409, "not_awaiting_upload");

    // An import whose file never comes ends, saying so, in its page of the
    // history as when read alone; it gives no URL any more.
    let (idle, _) = create(&api, "nunca.csv", 10).await;
    tokio::time::sleep(Duration::from_secs(4)).await;
    let history = ok(api.call("GET", "/v1/imports", None).await);
    let listed = history.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["id"] == idle.as_str())
        .cloned()
        .unwrap();
    assert_eq!(listed["status"], "expired", "{listed}");
    assert_eq!(
        listed["error"],
        "no file was uploaded within 3 seconds; start a new import"
    );
    assert_eq!(listed["expires_at"], Value::Null);
    assert_eq!(ok(api.import(&idle).await).body["status"], "expired");
    let gone = ok(api
        .call("POST", &format!("/v1/imports/{idle}/upload"), None)
        .await);
    assert_error(&gone, 410, "session_expired");
    assert!(
        gone.body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("within 3 seconds"),
        "{}",
        gone.body
    );
    stack.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tab_separated_tsv_file_is_taken() {
    let api = shared().owner("api-upload-tsv");
    let bytes = format!(
        "Nombre\tCelular\nAna\t{}\nLuis\t{}\n",
        ec_phone(61),
        ec_phone(62)
    )
    .into_bytes();
    let import = reviewed(&api, "contactos.tsv", &bytes, None).await;
    assert_eq!(import["dialect"]["delimiter"], "\t", "{import}");
    assert_eq!(import["review"]["to_add"], 2, "{import}");
    // Refused types say how to make a file that is taken.
    let refused = ok(api
        .call(
            "POST",
            "/v1/imports",
            Some(&json!({"file_name": "contactos.numbers", "size_bytes": 10})),
        )
        .await);
    assert_error(&refused, 415, "unsupported_file_type");
    let message = refused.body["error"]["message"].as_str().unwrap();
    assert!(
        message.contains(".tsv") && message.contains(".xlsx"),
        "{message}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_mac_roman_file_is_read_right_and_an_uncertain_one_asks_for_its_encoding() {
    let api = shared().owner("api-mac-roman");
    // Excel for Mac's CSV: `João Conceição`, `Peña` in Mac Roman, a short
    // file that used to be refused as binary.
    let mut bytes = b"Nome,Celular\r".to_vec();
    bytes.extend(b"Jo\x8Bo Concei\x8D\x8Bo,");
    bytes.extend(format!("{}\r", ec_phone(60)).bytes());
    bytes.extend(b"Pe\x96a,");
    bytes.extend(format!("{}\r", ec_phone(61)).bytes());
    let options = json!({"default_country": "EC", "import_tag": false});
    let import = reviewed(&api, "mac.csv", &bytes, Some(options.clone())).await;
    assert_eq!(import["dialect"]["encoding"], "macintosh", "{import}");
    confirmed(&api, &id_of(&import)).await;
    let joao = one_by_phone(&api, &ec_phone(60)).await;
    assert_eq!(joao["first_name"], "João Conceição");
    assert_eq!(
        one_by_phone(&api, &ec_phone(61)).await["first_name"],
        "Peña"
    );

    // A bullet alone reads as `•` in Windows-1252 and `ï` in Mac Roman:
    // refused, naming both readings and the encodings to choose.
    let mut uncertain = b"Nombre,Celular,Nota\n".to_vec();
    uncertain.extend(format!("Ana,{},", ec_phone(62)).bytes());
    uncertain.extend(b"\x95 cliente\n");
    let failed = validated(&api, "nota.csv", &uncertain, Some(options.clone())).await;
    assert_eq!(failed["status"], "failed", "{failed}");
    let error = failed["error"].as_str().unwrap();
    for word in [
        "Windows-1252 (\"•\")",
        "Mac Roman (\"ï\")",
        "windows-1252",
        "macintosh",
    ] {
        assert!(error.contains(word), "{error:?} should say {word:?}");
    }
    // Chosen, it imports.
    let mut chosen = options;
    chosen["dialect"] = json!({"encoding": "windows-1252"});
    let import = reviewed(&api, "nota.csv", &uncertain, Some(chosen)).await;
    assert_eq!(import["review"]["rows"], 1, "{import}");
}

/// A workbook as Excel saves one: a cover sheet first, then the contacts,
/// the phones stored as numbers and a date column.
fn workbook() -> Vec<u8> {
    use rust_xlsxwriter::{ExcelDateTime, Format, Workbook};
    let mut book = Workbook::new();
    let cover = book.add_worksheet();
    cover.set_name("Portada").unwrap();
    cover.write_string(0, 0, "Clientes de la feria").unwrap();
    let sheet = book.add_worksheet();
    sheet.set_name("Clientes").unwrap();
    let date = Format::new().set_num_format("dd/mm/yyyy");
    for (c, name) in ["Nombre", "Celular", "Alta"].iter().enumerate() {
        sheet.write_string(0, c as u16, *name).unwrap();
    }
    let rows = [
        ("José Peña", 593991234801.0),
        ("Íñigo Ibáñez", 593991234802.0),
    ];
    for (r, (name, phone)) in rows.iter().enumerate() {
        let r = r as u32 + 1;
        sheet.write_string(r, 0, *name).unwrap();
        sheet.write_number(r, 1, *phone).unwrap();
        let day = ExcelDateTime::from_ymd(2026, 11, 20 + r as u8).unwrap();
        sheet.write_datetime_with_format(r, 2, &day, &date).unwrap();
    }
    // Row 4 empty; row 5 has a phone Excel cannot hold as a number.
    sheet.write_string(4, 0, "Ana").unwrap();
    sheet.write_string(4, 1, "no tiene").unwrap();
    book.save_to_buffer().unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_excel_workbook_imports_from_its_first_sheet_with_rows_with_its_cells_as_shown() {
    let api = shared().owner("api-xlsx");
    let bytes = workbook();
    let options = json!({"default_country": "EC", "import_tag": false});
    // The first sheet is a cover: passed over for the first with rows, and
    // the review lists the sheets.
    let import = reviewed(&api, "clientes.xlsx", &bytes, Some(options.clone())).await;
    assert_eq!(
        import["sheets"],
        json!({"names": ["Portada", "Clientes"], "read": "Clientes"})
    );
    assert_eq!(import["headers"], json!(["Nombre", "Celular", "Alta"]));
    assert_eq!(
        import["samples"][1],
        json!(["593991234801", "593991234802", "no tiene"])
    );
    assert_eq!(import["samples"][2], json!(["2026-11-21", "2026-11-22"]));
    assert_eq!(review_counts(&import), [3, 2, 0, 0, 1]);
    // Errors name the row as the sheet numbers it.
    let id = id_of(&import);
    let errors = error_file(&api, &id, b',').await;
    assert!(
        errors.rows[0].last().unwrap().starts_with("Row 5: "),
        "{:?}",
        errors.rows
    );

    // Imported; the result file is CSV with every row of the sheet.
    confirmed(&api, &id).await;
    assert_eq!(
        one_by_phone(&api, "+593991234801").await["first_name"],
        "José Peña"
    );
    let result = result_file(&api, &id, b',').await;
    assert_eq!(
        result.values("Celular"),
        ["593991234801", "593991234802", "no tiene"]
    );
    assert_eq!(
        result.values("Import Status"),
        ["Imported", "Imported", "Error"]
    );

    // The cover named: it has no rows, and the refusal says which sheet
    // was read and which others there are.
    let mut cover = options;
    cover["sheet"] = json!("Portada");
    let import = validated(&api, "clientes.xlsx", &bytes, Some(cover)).await;
    assert_eq!(import["status"], "failed", "{import}");
    let error = import["error"].as_str().unwrap();
    assert!(error.contains("no data rows"), "{error}");
    assert!(
        error.ends_with("(read from sheet \"Portada\" of Portada, Clientes; choose another with the sheet option)"),
        "{error}"
    );

    // A sheet the workbook does not have is refused naming those it has.
    let import = validated(
        &api,
        "clientes.xlsx",
        &bytes,
        Some(json!({"sheet": "Ventas"})),
    )
    .await;
    assert_eq!(import["status"], "failed");
    assert_eq!(
        import["error"],
        "the workbook has no sheet \"Ventas\"; its sheets are: Portada, Clientes"
    );
}
