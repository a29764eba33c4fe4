//! Presigned URLs: the upload is one `PUT` of one key with the declared
//! length; downloads are one `GET` of one key; none lives past 15 minutes.

use super::*;

// ---- Presigned URLs --------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_upload_url_is_one_put_of_one_key_and_the_declared_length() {
    let s = stack();
    let ws = "sec-upload";
    let api = s.owner(ws);
    let bytes = file(&[
        "Nombre,Teléfono".into(),
        format!("Ana,{}", ec_phone(810_001)),
    ]);
    let size = bytes.len().to_string();
    let created = ok(api
        .call(
            "POST",
            "/v1/imports",
            Some(&json!({"file_name": "subida.csv", "size_bytes": bytes.len()})),
        )
        .await);
    assert_eq!(created.status, 201, "{}", created.body);
    let id = id_of(&created.body);
    let upload = &created.body["upload"];
    assert_eq!(upload["method"], "PUT");
    assert_eq!(upload["headers"]["content-length"], size.as_str());
    let url = SignedUrl::parse(upload["url"].as_str().unwrap());
    let key = format!("uploads/{ws}/{id}");
    assert!(url.path.ends_with(&format!("/{key}")), "{}", url.path);
    let expires: u64 = url.param("X-Amz-Expires").parse().unwrap();
    assert!(expires <= 15 * 60, "the upload URL lives {expires} s");
    assert_eq!(url.param("X-Amz-SignedHeaders"), "content-length;host");

    let length = [("content-length", size.as_str())];
    assert!(
        url.signature_holds("PUT", &length),
        "the PUT it was made for"
    );
    let longer = (bytes.len() + 1).to_string();
    assert!(
        !url.signature_holds("PUT", &[("content-length", longer.as_str())]),
        "another length"
    );
    assert!(!url.signature_holds("PUT", &[]), "no length");
    for method in ["GET", "POST", "DELETE"] {
        assert!(!url.signature_holds(method, &length), "{method}");
    }
    let next_door = url.path.replace(&key, &format!("uploads/{ws}/imp_other"));
    assert!(!url.with_path(&next_door).signature_holds("PUT", &length));
    assert!(
        !url.with_param("X-Amz-Expires", "604800")
            .signature_holds("PUT", &length),
        "the expiry is signed"
    );

    // The URL does what it says: the file lands and is validated.
    let status = ok(api.upload(upload, bytes).await);
    assert!((200..300).contains(&status), "S3 answered {status}");
    let import = ok(api.wait_for_review(&id).await);
    assert_eq!(import["status"], "review", "{import}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_size_over_the_limit_gets_no_url_and_no_import() {
    let s = stack();
    let api = s.owner("sec-too-large");
    let over = limits::MAX_FILE_BYTES + 1;
    let answer = ok(api
        .call(
            "POST",
            "/v1/imports",
            Some(&json!({"file_name": "grande.csv", "size_bytes": over})),
        )
        .await);
    assert_error(&answer, 413, "file_too_large", "over 20 MiB");
    assert!(answer.body.get("upload").is_none(), "{}", answer.body);
    let history = ok(api.call("GET", "/v1/imports", None).await);
    assert_eq!(history.body["items"], json!([]), "{}", history.body);
    let at = ok(api
        .call(
            "POST",
            "/v1/imports",
            Some(&json!({"file_name": "justo.csv", "size_bytes": limits::MAX_FILE_BYTES})),
        )
        .await);
    assert_eq!(at.status, 201, "{}", at.body);
    let url = SignedUrl::parse(at.body["upload"]["url"].as_str().unwrap());
    let size = limits::MAX_FILE_BYTES.to_string();
    assert!(url.signature_holds("PUT", &[("content-length", size.as_str())]));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn download_links_are_one_get_of_one_key_for_minutes() {
    let s = stack();
    let ws = "sec-links";
    let api = s.owner(ws);
    let bytes = file(&[
        "Nombre,Teléfono".into(),
        format!("Ana,{}", ec_phone(810_101)),
        "Bruno,no es un número".into(),
    ]);
    let import = reviewed(&api, "enlaces.csv", &bytes, None).await;
    let id = id_of(&import);
    let link = |answer: Answer| -> String {
        assert_eq!(answer.status, 302, "{}", answer.body);
        answer.body["url"].as_str().unwrap().to_string()
    };
    let errors = link(ok(api
        .call("GET", &format!("/v1/imports/{id}/errors"), None)
        .await));
    assert_download_link(&errors, &format!("work/{ws}/{id}/g1/errors.csv"));
    confirmed(&api, &id).await;
    let result = link(ok(api
        .call("GET", &format!("/v1/imports/{id}/result"), None)
        .await));
    assert_download_link(&result, &format!("results/{ws}/{id}.csv"));

    let export = ok(api.call("POST", "/v1/exports", Some(&json!({}))).await);
    let export_id = export.body["id"].as_str().unwrap().to_string();
    let done = export_done(&api, &export_id).await;
    let url = done["url"].as_str().expect("a link once completed");
    let key = object_key(url);
    assert!(
        key.starts_with(&format!("exports/{ws}/{export_id}-")),
        "{key}"
    );
    assert_download_link(url, &key);
    let notes = ok(api.call("GET", "/v1/notifications", None).await);
    let mut links = 0;
    for note in notes.body["items"].as_array().unwrap() {
        if let Some(url) = note["url"].as_str() {
            assert_download_link(url, &object_key(url));
            links += 1;
        }
    }
    assert!(
        links >= 1,
        "the export's notification links it: {}",
        notes.body
    );
}
