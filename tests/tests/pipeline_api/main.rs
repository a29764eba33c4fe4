//! API.md's promises around the import journey, through HTTP on the local
//! stack: refusals, expiry, one import at a time, who may call what, the
//! error shape, the file links, history, cancelling and the notification.
//!
//! Most tests share one stack, each in its own workspace; the expiry test
//! starts its own with a two-second review.

use std::time::Duration;

use contact_service::http::auth::Keys;
use contact_service::operations::Role;
use contacts::client::{Answer, ApiClient};
use contacts::stack::local::StackOptions;
use end_to_end::{
    PIPELINE_TIMEOUT, assert_error, client, completed, confirmed, ec_phone, error_file, file,
    generated_file, id_of, ok, own_stack, result_counts, result_file, review_counts, reviewed,
    seed_contact, shared, stored_notifications, validated,
};
use serde_json::{Value, json};

mod capacity;
mod changes;
mod chunk_reads;
mod countries;
mod lookups;
mod remembered;
mod requests;
mod review_rows;
mod round_trips;
mod uploads;

/// Decodes `%XX` escapes.
fn percent_decode(text: &str) -> String {
    percent_encoding::percent_decode_str(text)
        .decode_utf8_lossy()
        .into_owned()
}

/// A plain HTTP client that does not follow redirects.
fn raw() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

/// Reads a raw response as an `Answer`.
async fn answer(response: reqwest::Response) -> Answer {
    let status = response.status().as_u16();
    let bytes = response.bytes().await.unwrap();
    let body = serde_json::from_slice(&bytes).unwrap_or_else(|_| {
        panic!(
            "a JSON body (status {status}): {:?}",
            String::from_utf8_lossy(&bytes)
        )
    });
    Answer { status, body }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn files_that_break_the_rules_are_refused_when_declared() {
    let api = shared().owner("api-refusals");
    let create = |name: &str, size: u64| {
        let body = json!({"file_name": name, "size_bytes": size});
        let api = api.clone();
        async move { ok(api.call("POST", "/v1/imports", Some(&body)).await) }
    };
    let mib20 = 20 * 1024 * 1024;
    assert_error(
        &create("grande.csv", mib20 + 1).await,
        413,
        "file_too_large",
    );
    for name in ["contactos.numbers", "lista.pdf", "sin-extension"] {
        assert_error(&create(name, 100).await, 415, "unsupported_file_type");
    }
    assert_error(&create("vacio.csv", 0).await, 400, "empty_file");
    // At the limits, and a .txt file, it is taken.
    for (name, size) in [
        ("justo.csv", mib20),
        ("texto.TXT", 10),
        ("lista.tsv", 10),
        ("libro.xlsx", 10),
        ("viejo.XLS", 10),
        ("hoja.ods", 10),
    ] {
        let created = create(name, size).await;
        assert_eq!(created.status, 201, "{name}: {}", created.body);
        assert_eq!(created.body["status"], "awaiting_upload");
        assert_eq!(created.body["upload"]["method"], "PUT");
        assert!(
            created.body["upload"]["url"]
                .as_str()
                .unwrap()
                .contains("X-Amz-Signature"),
            "a presigned URL: {}",
            created.body
        );
        assert_eq!(created.body["file"]["size_bytes"], size);
        // The URL accepts exactly the declared file, for a short time: the
        // length is signed (S3 refuses any other body; moto does not check)
        // and the URL expires within 15 minutes.
        let url = created.body["upload"]["url"].as_str().unwrap();
        let signed = percent_decode(url);
        let signed_headers = signed
            .split('&')
            .find_map(|p| p.strip_prefix("X-Amz-SignedHeaders="))
            .unwrap_or("");
        assert!(
            signed_headers.split(';').any(|h| h == "content-length"),
            "{signed}"
        );
        let expires: u64 = signed
            .split('&')
            .find_map(|p| p.strip_prefix("X-Amz-Expires="))
            .and_then(|v| v.parse().ok())
            .unwrap();
        assert!(expires <= 15 * 60, "{expires}");
        assert_eq!(
            created.body["upload"]["headers"]["content-length"],
            size.to_string()
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn uploads_refused_by_validation_fail_with_a_plain_reason() {
    let ws = "api-bad-files";
    let api = shared().owner(ws);
    let mut binary: Vec<u8> = b"PK\x03\x04\x14\x00\x06\x00".to_vec();
    binary.extend((0..2_000u32).map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8));
    let cases: [(&str, Vec<u8>, &[&str]); 3] = [
        (
            "solo-cabecera.csv",
            b"First Name,Phone\n".to_vec(),
            &["no data rows"],
        ),
        (
            "cabecera-repetida.csv",
            file(&[
                "Phone,First Name,Phone".into(),
                format!("{},Ana,{}", ec_phone(1), ec_phone(2)),
            ]),
            &["repeats the column", "Phone"],
        ),
        ("binario.csv", binary, &[]),
    ];
    for (name, bytes, words) in cases {
        let import = validated(&api, name, &bytes, None).await;
        assert_eq!(import["status"], "failed", "{name}: {import}");
        let error = import["error"]
            .as_str()
            .unwrap_or_else(|| panic!("{import}"));
        assert!(
            !error.is_empty() && error.len() < 300 && !error.contains('{'),
            "{name}: a plain reason, not {error:?}"
        );
        for word in words {
            assert!(
                error.contains(word),
                "{name}: {error:?} should say {word:?}"
            );
        }
        if words.is_empty() {
            assert!(
                error.contains("not delimited text")
                    || error.contains("not valid")
                    || error.contains("spreadsheet cannot be read"),
                "{name}: {error:?}"
            );
        }
        assert_eq!(import["review"], Value::Null);
        // Nothing to confirm, and the upload is not kept.
        let id = id_of(&import);
        let confirm = ok(api
            .call("POST", &format!("/v1/imports/{id}/confirm"), None)
            .await);
        assert_error(&confirm, 409, "not_in_review");
        let files = &shared().service.store().files;
        assert_eq!(
            files.upload_size(ws, &id).await.unwrap(),
            None,
            "{name}: the refused upload is deleted"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unconfirmed_review_expires() {
    let stack = own_stack(StackOptions {
        review_ttl: Duration::from_secs(2),
        ..StackOptions::default()
    })
    .await;
    let ws = "api-expiry";
    let api = client(&stack.api_url, &stack.auth, ws, Role::Owner);
    let bytes = file(&["First Name,Phone".into(), format!("Ana,{}", ec_phone(10))]);
    let import = reviewed(&api, "caduca.csv", &bytes, None).await;
    let id = id_of(&import);
    assert!(import["expires_at"].is_string(), "{import}");
    let files = &stack.service.store().files;
    assert!(files.upload_size(ws, &id).await.unwrap().is_some());

    // Past the review's life (2 s, and expires_at is to the second).
    tokio::time::sleep(Duration::from_secs(3)).await;
    let confirm = ok(api
        .call("POST", &format!("/v1/imports/{id}/confirm"), None)
        .await);
    assert_error(&confirm, 410, "session_expired");
    assert!(
        confirm.body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("session expired")
    );
    let now = ok(api.import(&id).await);
    assert_eq!(now.body["status"], "expired", "{}", now.body);
    assert_eq!(
        now.body["error"],
        "the review was not confirmed within 2 seconds; start a new import"
    );
    let patch = ok(api
        .call(
            "PATCH",
            &format!("/v1/imports/{id}"),
            Some(&json!({"options": {"purpose": "add_new"}})),
        )
        .await);
    assert_error(&patch, 410, "session_expired");
    assert_eq!(
        files.upload_size(ws, &id).await.unwrap(),
        None,
        "the expired import's upload is deleted"
    );
    assert!(
        by_phone_empty(&api, &ec_phone(10)).await,
        "nothing was imported"
    );
    stack.stop().await;
}

async fn by_phone_empty(api: &ApiClient, phone: &str) -> bool {
    end_to_end::by_phone(api, phone).await.is_empty()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_import_at_a_time_per_workspace() {
    let ws = "api-one-at-a-time";
    let api = shared().owner(ws);
    let small = file(&[
        "First Name,Phone".into(),
        format!("Ana,{}", ec_phone(20_000)),
    ]);
    let waiting = reviewed(&api, "despues.csv", &small, None).await;
    let big = generated_file(100_000, 2_500);
    let first = reviewed(&api, "grande.csv", &big, None).await;
    let (a, b) = (id_of(&first), id_of(&waiting));

    let confirm = ok(api
        .call("POST", &format!("/v1/imports/{a}/confirm"), None)
        .await);
    assert_eq!(confirm.status, 200, "{}", confirm.body);
    assert_eq!(confirm.body["status"], "importing");
    let status = |api: &ApiClient, id: String| {
        let api = api.clone();
        async move { ok(api.import(&id).await).body["status"].clone() }
    };
    assert_eq!(status(&api, a.clone()).await, "importing");
    let another = ok(api
        .call(
            "POST",
            "/v1/imports",
            Some(&json!({"file_name": "otro.csv", "size_bytes": 10})),
        )
        .await);
    let confirm_b = ok(api
        .call("POST", &format!("/v1/imports/{b}/confirm"), None)
        .await);
    // A was importing before and after both calls: they met its lock.
    assert_eq!(
        status(&api, a.clone()).await,
        "importing",
        "the big import must still be importing for this test to prove anything"
    );
    assert_error(&another, 409, "import_in_progress");
    assert_error(&confirm_b, 409, "import_in_progress");
    // Both say which import holds the workspace.
    for refused in [&another, &confirm_b] {
        let message = refused.body["error"]["message"].as_str().unwrap();
        assert!(
            message.starts_with(&format!("import {a} is importing")),
            "{message}"
        );
    }
    assert_eq!(status(&api, b.clone()).await, "review", "B is untouched");
    // An import that is importing cannot be cancelled.
    let cancel = ok(api.call("DELETE", &format!("/v1/imports/{a}"), None).await);
    assert_error(&cancel, 409, "not_cancellable");
    // Another workspace is not held back.
    let elsewhere = shared().owner("api-one-at-a-time-other");
    let free = ok(elsewhere
        .call(
            "POST",
            "/v1/imports",
            Some(&json!({"file_name": "libre.csv", "size_bytes": 10})),
        )
        .await);
    assert_eq!(free.status, 201, "{}", free.body);

    let done = completed(&api, &a).await;
    assert_eq!(result_counts(&done), [2_500, 0, 0, 0]);
    // The lock is released with the completion: B goes through now.
    let done_b = confirmed(&api, &b).await;
    assert_eq!(result_counts(&done_b), [1, 0, 0, 0]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_file_links_redirect_to_presigned_urls_and_a_notification_follows() {
    let s = shared();
    let ws = "api-links";
    let api = s.owner(ws);
    let bytes = file(&[
        "Nombre;Teléfono".into(),
        format!("Ana;{}", ec_phone(40_001)),
        format!(";{}", ec_phone(40_002)),
        "Caro;no es un número".into(),
    ]);
    let import = reviewed(&api, "enlaces.csv", &bytes, None).await;
    let id = id_of(&import);
    // Before completion there is no result file.
    let early = ok(api
        .call("GET", &format!("/v1/imports/{id}/result"), None)
        .await);
    assert_error(&early, 409, "result_not_ready");

    let token = s.auth.keys.sign(ws, Role::Owner, 3600);
    let http = raw();
    let link = |path: String| {
        let request = http.get(format!("{}{path}", s.api_url)).bearer_auth(&token);
        async move {
            let response = request.send().await.unwrap();
            assert_eq!(response.status().as_u16(), 302, "{path}");
            let location = response
                .headers()
                .get("location")
                .and_then(|v| v.to_str().ok())
                .unwrap_or_else(|| panic!("{path}: a Location"))
                .to_string();
            assert!(location.contains("X-Amz-Signature"), "{location}");
            assert!(location.contains("X-Amz-Expires"), "{location}");
            let body = answer(response).await;
            assert_eq!(body.body["url"], location.as_str());
            let fetched = reqwest::get(&location).await.unwrap();
            assert_eq!(fetched.status().as_u16(), 200, "{location}");
            // The download's name rides in the signed URL (moto does not
            // echo response overrides back, S3 does).
            let named = percent_decode(&location);
            (named, fetched.bytes().await.unwrap().to_vec())
        }
    };
    let (named, errors) = link(format!("/v1/imports/{id}/errors")).await;
    assert!(
        named.contains("attachment; filename=\"enlaces-errors.csv\""),
        "{named}"
    );
    let errors = end_to_end::CsvFile::parse(&errors, b';');
    assert_eq!(errors.headers, ["Nombre", "Teléfono", "Error"]);
    assert_eq!(errors.rows.len(), 2);
    assert!(
        errors.rows[0][2].starts_with("Row 3: Nombre"),
        "{:?}",
        errors.rows
    );
    assert!(
        errors.rows[1][2].starts_with("Row 4: Teléfono"),
        "{:?}",
        errors.rows
    );

    let done = confirmed(&api, &id).await;
    assert_eq!(result_counts(&done), [1, 0, 0, 2]);
    assert!(done["result"]["available_until"].is_string(), "{done}");
    let (named, result) = link(format!("/v1/imports/{id}/result")).await;
    assert!(
        named.contains("attachment; filename=\"enlaces-result.csv\""),
        "{named}"
    );
    let result = end_to_end::CsvFile::parse(&result, b';');
    assert_eq!(
        result.headers,
        [
            "Nombre",
            "Teléfono",
            "Import Status",
            "Errors",
            "Contact ID"
        ]
    );
    assert_eq!(
        result.values("Import Status"),
        ["Imported", "Error", "Error"]
    );
    assert_eq!(result.values("Nombre"), ["Ana", "", "Caro"]);

    // The workspace is told, once.
    let notes = stored_notifications(&s.service, ws).await;
    let ours: Vec<_> = notes
        .iter()
        .filter(|n| n.import.as_ref() == Some(&id))
        .collect();
    assert_eq!(ours.len(), 1, "{notes:?}");
    let note = ours[0];
    assert_eq!(Some(note.kind.as_str()), Some("import_completed"));
    let message = &note.message;
    assert!(message.contains("enlaces.csv"), "{message}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn history_lists_the_workspace_imports_newest_first() {
    let api = shared().owner("api-history");
    let mut ids = Vec::new();
    for i in 0..3 {
        let created = ok(api
            .call(
                "POST",
                "/v1/imports",
                Some(&json!({"file_name": format!("h{i}.csv"), "size_bytes": 10})),
            )
            .await);
        assert_eq!(created.status, 201);
        // Within one second the newest is the one with the greater id (ids
        // begin with their creation's millisecond).
        ids.push(id_of(&created.body));
    }
    ids.reverse();
    let all = ok(api.call("GET", "/v1/imports", None).await);
    assert_eq!(all.status, 200, "{}", all.body);
    let listed: Vec<String> = all.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(id_of)
        .collect();
    assert_eq!(listed, ids, "newest first");

    let page = ok(api.call("GET", "/v1/imports?limit=2", None).await);
    let first: Vec<String> = page.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(id_of)
        .collect();
    assert_eq!(first, ids[..2]);
    let cursor = page.body["cursor"].as_str().expect("a cursor to the rest");
    // Pasted into the URL as given: it needs no encoding.
    assert_eq!(end_to_end::query_value(cursor), cursor, "URL-safe");
    let rest = ok(api
        .call("GET", &format!("/v1/imports?limit=2&cursor={cursor}"), None)
        .await);
    assert_eq!(rest.status, 200, "{}", rest.body);
    let second: Vec<String> = rest.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(id_of)
        .collect();
    assert_eq!(second, ids[2..]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_history_says_who_started_each_import_as_their_token_names_them() {
    let s = shared();
    let ws = "api-history-who";
    let ana = ApiClient::new(
        &s.api_url,
        Some(
            s.auth
                .keys
                .sign_for(ws, Role::Manager, Some("ana@example.com"), 3600),
        ),
    );
    let nobody = s.owner(ws);
    for (api, name) in [(&ana, "ana.csv"), (&nobody, "service.csv")] {
        let created = ok(api
            .call(
                "POST",
                "/v1/imports",
                Some(&json!({"file_name": name, "size_bytes": 10})),
            )
            .await);
        assert_eq!(created.status, 201, "{}", created.body);
    }
    let all = ok(nobody.call("GET", "/v1/imports", None).await);
    let who: Vec<(String, Value)> = all.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| {
            (
                i["file"]["name"].as_str().unwrap().to_string(),
                i["created_by"].clone(),
            )
        })
        .collect();
    assert_eq!(
        who,
        [
            ("service.csv".to_string(), Value::Null),
            ("ana.csv".to_string(), json!("ana@example.com")),
        ],
        "a token naming nobody leaves created_by null"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn delete_cancels_an_import_that_is_not_importing() {
    let ws = "api-cancel";
    let api = shared().owner(ws);
    let bytes = file(&[
        "First Name,Phone".into(),
        format!("Ana,{}", ec_phone(50_001)),
    ]);
    let import = reviewed(&api, "cancelar.csv", &bytes, None).await;
    let id = id_of(&import);
    let cancelled = ok(api.call("DELETE", &format!("/v1/imports/{id}"), None).await);
    assert_eq!(cancelled.status, 200, "{}", cancelled.body);
    assert_eq!(cancelled.body["status"], "cancelled");
    assert_eq!(ok(api.import(&id).await).body["status"], "cancelled");
    assert_eq!(
        shared()
            .service
            .store()
            .files
            .upload_size(ws, &id)
            .await
            .unwrap(),
        None,
        "the upload is deleted"
    );
    let confirm = ok(api
        .call("POST", &format!("/v1/imports/{id}/confirm"), None)
        .await);
    assert_error(&confirm, 409, "not_in_review");
    let again = ok(api.call("DELETE", &format!("/v1/imports/{id}"), None).await);
    assert_error(&again, 409, "not_cancellable");
    assert!(by_phone_empty(&api, &ec_phone(50_001)).await);

    // One awaiting its upload may be cancelled too.
    let created = ok(api
        .call(
            "POST",
            "/v1/imports",
            Some(&json!({"file_name": "nunca.csv", "size_bytes": 10})),
        )
        .await);
    let pending = id_of(&created.body);
    let cancelled = ok(api
        .call("DELETE", &format!("/v1/imports/{pending}"), None)
        .await);
    assert_eq!(cancelled.body["status"], "cancelled", "{}", cancelled.body);

    // A completed one may not.
    let import = reviewed(&api, "hecho.csv", &bytes, None).await;
    let id = id_of(&import);
    confirmed(&api, &id).await;
    let late = ok(api.call("DELETE", &format!("/v1/imports/{id}"), None).await);
    assert_error(&late, 409, "not_cancellable");
    assert_eq!(ok(api.import(&id).await).body["status"], "completed");
}
