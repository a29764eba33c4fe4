//! Object keys: every object of a workspace carries 80 random bits.

use super::*;

// ---- Object keys -------------------------------------------------------------

/// Crockford's base32 as ULIDs are written here (lower case).
fn is_ulid(part: &str) -> bool {
    part.len() == 26
        && part
            .bytes()
            .all(|b| b.is_ascii_digit() || (b.is_ascii_lowercase() && !b"ilou".contains(&b)))
}

fn is_token(part: &str) -> bool {
    part.len() == 20 && part.bytes().all(|b| b.is_ascii_hexdigit())
}

/// Random bits a key carries: 80 for each ULID or token in it.
fn random_bits(key: &str) -> u32 {
    key.split(['/', '-', '_', '.'])
        .filter(|part| is_ulid(part) || is_token(part))
        .count() as u32
        * 80
}

async fn object_keys(s: &Shared, ws: &str) -> Vec<String> {
    let buckets = s.clients.s3.list_buckets().send().await.unwrap();
    let bucket = buckets.buckets()[0].name().unwrap().to_string();
    let mut keys = Vec::new();
    for top in ["uploads", "work", "results", "exports"] {
        let listed = s
            .clients
            .s3
            .list_objects_v2()
            .bucket(&bucket)
            .prefix(format!("{top}/{ws}/"))
            .send()
            .await
            .unwrap();
        keys.extend(
            listed
                .contents()
                .iter()
                .filter_map(|o| o.key().map(str::to_string)),
        );
    }
    keys
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_object_key_carries_eighty_random_bits() {
    let s = stack();
    let ws = "sec-keys";
    let api = s.owner(ws);
    let mut seen = Vec::new();
    let bytes = file(&[
        "Nombre,Teléfono".into(),
        format!("Ana,{}", ec_phone(810_201)),
    ]);
    let import = reviewed(&api, "claves.csv", &bytes, None).await;
    let id = id_of(&import);
    seen.extend(object_keys(s, ws).await);
    assert!(
        seen.iter().any(|k| k.starts_with("uploads/"))
            && seen.iter().any(|k| k.ends_with("stage.jsonl")),
        "{seen:?}"
    );
    confirmed(&api, &id).await;
    result_file(&api, &id, b',').await;
    let export = ok(api.call("POST", "/v1/exports", Some(&json!({}))).await);
    export_done(&api, export.body["id"].as_str().unwrap()).await;
    // This month's reset: its job id is the month, its backup's key is not.
    let settings = json!({"monthly_reset": {"mode": "all"}});
    let answer = ok(api.call("PUT", "/v1/settings", Some(&settings)).await);
    assert_eq!(answer.status, 200, "{}", answer.body);
    let month = month(now());
    s.service.resets.start(ws, &month).await.unwrap();
    let backup = eventually(PIPELINE_TIMEOUT, "the reset", || async {
        let answer = ok(api
            .call("GET", &format!("/v1/exports/rst_{month}"), None)
            .await);
        (answer.status == 200 && answer.body["status"] == "completed").then_some(answer.body)
    })
    .await;
    let backup_key = object_key(backup["url"].as_str().expect("the backup's link"));
    assert!(
        backup_key.starts_with(&format!("exports/{ws}/rst_{month}-")),
        "{backup_key}"
    );
    let fetched = reqwest::get(backup["url"].as_str().unwrap()).await.unwrap();
    assert_eq!(fetched.status(), 200, "the backup is where its key says");
    seen.extend(object_keys(s, ws).await);
    for top in ["results/", "exports/"] {
        assert!(seen.iter().any(|k| k.starts_with(top)), "{top} in {seen:?}");
    }
    for key in &seen {
        assert_eq!(
            key.split('/').nth(1),
            Some(ws),
            "{key} begins with its workspace"
        );
        assert!(random_bits(key) >= 80, "{key} is guessable");
    }
}
