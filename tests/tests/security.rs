//! Security properties through the front doors, on the local stack:
//!
//! - presigned URLs: the upload is one `PUT` of one key with the declared
//!   length, downloads are one `GET` of one key, none lives past 15
//!   minutes. moto checks none of it, so each URL's SigV4 signature is
//!   recomputed here from the stack's credentials: it holds for exactly
//!   that request and for no other method, key, length or expiry;
//! - object keys: every object of a workspace carries 80 random bits;
//! - tokens: expired, unsigned, or naming no role or an unsafe workspace,
//!   are refused;
//! - logs: every `tracing` event of this process is captured (in the JSON
//!   format Lambda's JSON logs use) and holds no phone number or email in
//!   clear;
//! - value limits: each at its limit is taken, one over is refused with
//!   the API's error shape (or, in a file, the row ends `Error`).

use std::io::Write;
use std::sync::{Arc, Mutex, OnceLock};

use contact_engine::fields::{CustomField, CustomType};
use contact_engine::limits;
use contact_engine::lookup::EmptyWorkspace;
use contact_engine::options::{ImportOptions, Workspace};
use contact_engine::refusal::Refusal;
use contact_engine::{ValidateError, validate};
use contact_service::records::time::{month, now};
use contacts::client::{Answer, ApiClient};
use end_to_end::{
    PIPELINE_TIMEOUT, Shared, confirmed, ec_phone, eventually, file, id_of, ok, query_value,
    result_file, reviewed, shared,
};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

// ---- The stack, with every log line of the process captured ------------

/// What the process's `tracing` subscriber wrote.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Captured {
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap()).into_owned()
    }
}

/// Installed before the stack starts, so nothing it logs escapes.
fn logs() -> &'static Captured {
    static LOGS: OnceLock<Captured> = OnceLock::new();
    LOGS.get_or_init(|| {
        let captured = Captured::default();
        assert!(
            contact_service::logging::init_to(
                captured.clone(),
                contact_service::logging::Format::Json
            ),
            "the capture is the process's only subscriber"
        );
        captured
    })
}

fn stack() -> &'static Shared {
    logs();
    shared()
}

fn assert_error(answer: &Answer, status: u16, code: &str, what: &str) {
    assert_eq!(answer.status, status, "{what}: {}", answer.body);
    assert_eq!(answer.code(), code, "{what}: {}", answer.body);
    let message = answer.body["error"]["message"].as_str().unwrap_or("");
    assert!(
        !message.trim().is_empty(),
        "{what}: a message in {}",
        answer.body
    );
}

// ---- SigV4, recomputed ---------------------------------------------------

/// The credentials the local stack signs with (`Clients::local`).
const ACCESS_KEY: &str = "test";
const SECRET_KEY: &str = "test";

fn hmac(key: &[u8], data: &[u8]) -> [u8; 32] {
    let mut block = [0u8; 64];
    if key.len() > 64 {
        block[..32].copy_from_slice(&Sha256::digest(key));
    } else {
        block[..key.len()].copy_from_slice(key);
    }
    let pad = |byte: u8| block.iter().map(|b| b ^ byte).collect::<Vec<u8>>();
    let inner = Sha256::new()
        .chain_update(pad(0x36))
        .chain_update(data)
        .finalize();
    Sha256::new()
        .chain_update(pad(0x5c))
        .chain_update(inner)
        .finalize()
        .into()
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// A presigned URL taken apart: host, path and query pairs as sent.
struct SignedUrl {
    host: String,
    path: String,
    query: Vec<(String, String)>,
}

impl SignedUrl {
    fn parse(url: &str) -> Self {
        let rest = url.strip_prefix("http://").expect("an http URL");
        let (host, rest) = rest.split_once('/').expect("a path");
        let (path, query) = rest.split_once('?').expect("a query");
        let query = query
            .split('&')
            .map(|p| {
                let (k, v) = p.split_once('=').unwrap_or((p, ""));
                (k.to_string(), v.to_string())
            })
            .collect();
        Self {
            host: host.to_string(),
            path: format!("/{path}"),
            query,
        }
    }

    /// A query parameter, percent-decoded.
    fn param(&self, name: &str) -> String {
        let raw = self
            .query
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
            .unwrap_or_else(|| panic!("no {name} in the URL"));
        percent_encoding::percent_decode_str(raw)
            .decode_utf8()
            .unwrap()
            .into_owned()
    }

    fn with_param(&self, name: &str, value: &str) -> Self {
        let query = self
            .query
            .iter()
            .map(|(k, v)| (k.clone(), if k == name { value.into() } else { v.clone() }))
            .collect();
        Self {
            host: self.host.clone(),
            path: self.path.clone(),
            query,
        }
    }

    fn with_path(&self, path: &str) -> Self {
        Self {
            host: self.host.clone(),
            path: path.to_string(),
            query: self.query.clone(),
        }
    }

    /// Whether the URL's signature holds for `method` with `headers` (the
    /// signed ones besides `host`), as S3 would check it.
    fn signature_holds(&self, method: &str, headers: &[(&str, &str)]) -> bool {
        let signed = self.param("X-Amz-SignedHeaders");
        let mut canonical_headers = String::new();
        for name in signed.split(';') {
            let value = if name == "host" {
                self.host.clone()
            } else {
                match headers.iter().find(|(n, _)| *n == name) {
                    Some((_, v)) => v.to_string(),
                    None => return false,
                }
            };
            canonical_headers.push_str(&format!("{name}:{}\n", value.trim()));
        }
        let mut pairs: Vec<&(String, String)> = self
            .query
            .iter()
            .filter(|(k, _)| k != "X-Amz-Signature")
            .collect();
        pairs.sort();
        let query: Vec<String> = pairs.iter().map(|(k, v)| format!("{k}={v}")).collect();
        let canonical = format!(
            "{method}\n{}\n{}\n{canonical_headers}\n{signed}\nUNSIGNED-PAYLOAD",
            self.path,
            query.join("&")
        );
        let credential = self.param("X-Amz-Credential");
        let scope = credential
            .strip_prefix(&format!("{ACCESS_KEY}/"))
            .expect("the stack's access key");
        let mut parts = scope.split('/');
        let (date, region, service) = (
            parts.next().unwrap(),
            parts.next().unwrap(),
            parts.next().unwrap(),
        );
        let to_sign = format!(
            "AWS4-HMAC-SHA256\n{}\n{scope}\n{}",
            self.param("X-Amz-Date"),
            hex(&Sha256::digest(canonical.as_bytes()))
        );
        let mut key = hmac(format!("AWS4{SECRET_KEY}").as_bytes(), date.as_bytes());
        for part in [region, service, "aws4_request"] {
            key = hmac(&key, part.as_bytes());
        }
        hex(&hmac(&key, to_sign.as_bytes())) == self.param("X-Amz-Signature")
    }
}

/// A download link: one `GET` of `key`, for at most 15 minutes, and for
/// nothing else.
fn assert_download_link(url: &str, key: &str) {
    let link = SignedUrl::parse(url);
    assert!(
        link.path.ends_with(&format!("/{key}")),
        "{url} is a link to {key}"
    );
    let expires: u64 = link.param("X-Amz-Expires").parse().unwrap();
    assert!(expires <= 15 * 60, "{url} lives {expires} s");
    assert_eq!(link.param("X-Amz-SignedHeaders"), "host");
    assert!(
        link.signature_holds("GET", &[]),
        "{url}: the GET it was made for"
    );
    for method in ["PUT", "DELETE", "POST", "HEAD"] {
        assert!(!link.signature_holds(method, &[]), "{url} signs {method}");
    }
    let other_key = link.path.replace(key, &format!("{key}x"));
    assert!(!link.with_path(&other_key).signature_holds("GET", &[]));
    assert!(
        !link
            .with_param("X-Amz-Expires", "604800")
            .signature_holds("GET", &[]),
        "{url}: its expiry is signed"
    );
}

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

/// The object key a presigned URL names (after the bucket).
fn object_key(url: &str) -> String {
    let path = SignedUrl::parse(url).path;
    let decoded = percent_encoding::percent_decode_str(&path)
        .decode_utf8()
        .unwrap()
        .into_owned();
    let (_, key) = decoded[1..].split_once('/').expect("/bucket/key");
    key.to_string()
}

async fn export_done(api: &ApiClient, id: &str) -> Value {
    eventually(PIPELINE_TIMEOUT, "the export", || async {
        let answer = ok(api.call("GET", &format!("/v1/exports/{id}"), None).await);
        assert_eq!(answer.status, 200, "{}", answer.body);
        (answer.body["status"] != "running").then_some(answer.body)
    })
    .await
}

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

// ---- Tokens ----------------------------------------------------------------

fn base64url(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |n, (i, b)| n | (u32::from(*b) << (16 - 8 * i)));
        for i in 0..=chunk.len() {
            out.push(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize] as char);
        }
    }
    out
}

/// A JWT with `header` and `claims`, signed HS256 with `secret`.
fn jwt(header: &Value, claims: &Value, secret: &[u8]) -> String {
    let signing = format!(
        "{}.{}",
        base64url(header.to_string().as_bytes()),
        base64url(claims.to_string().as_bytes())
    );
    format!("{signing}.{}", base64url(&hmac(secret, signing.as_bytes())))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forged_and_stale_tokens_are_refused() {
    let s = stack();
    let secret = contacts::stack::local::DEFAULT_SECRET.as_bytes();
    let hs256 = json!({"alg": "HS256", "typ": "JWT"});
    let later = now() + 3600;
    let claims =
        |ws: &str, role: &str, exp: i64| json!({"workspace_id": ws, "role": role, "exp": exp});
    // The crafting is right: a well-formed token is taken.
    let good = jwt(&hs256, &claims("sec-tokens", "owner", later), secret);
    let answer = ok(ApiClient::new(&s.api_url, Some(good))
        .call("GET", "/v1/settings", None)
        .await);
    assert_eq!(answer.status, 200, "{}", answer.body);
    let refused = [
        (
            "expired",
            jwt(&hs256, &claims("sec-tokens", "owner", now() - 3600), secret),
        ),
        (
            "no expiry",
            jwt(
                &hs256,
                &json!({"workspace_id": "sec-tokens", "role": "owner"}),
                secret,
            ),
        ),
        (
            "an unknown role",
            jwt(&hs256, &claims("sec-tokens", "admin", later), secret),
        ),
        (
            "no workspace",
            jwt(&hs256, &json!({"role": "owner", "exp": later}), secret),
        ),
        (
            "an unsafe workspace",
            jwt(&hs256, &claims("a#b", "owner", later), secret),
        ),
        (
            "an empty workspace",
            jwt(&hs256, &claims("", "owner", later), secret),
        ),
        (
            "no signature",
            format!(
                "{}.{}.",
                base64url(json!({"alg": "none", "typ": "JWT"}).to_string().as_bytes()),
                base64url(claims("sec-tokens", "owner", later).to_string().as_bytes())
            ),
        ),
        (
            "another algorithm",
            jwt(
                &json!({"alg": "HS512", "typ": "JWT"}),
                &claims("sec-tokens", "owner", later),
                secret,
            ),
        ),
    ];
    for (what, token) in refused {
        let answer = ok(ApiClient::new(&s.api_url, Some(token))
            .call("GET", "/v1/settings", None)
            .await);
        assert_error(&answer, 401, "unauthorized", what);
    }
}

// ---- Logs ------------------------------------------------------------------

/// Every `+` followed by eight digits or more: an E.164 number in clear.
fn numbers_in_clear(text: &str) -> Vec<String> {
    let bytes = text.as_bytes();
    let mut found = Vec::new();
    for (i, b) in bytes.iter().enumerate() {
        if *b == b'+' {
            let digits = bytes[i + 1..]
                .iter()
                .take_while(|c| c.is_ascii_digit())
                .count();
            if digits >= 8 {
                found.push(text[i..i + 1 + digits].to_string());
            }
        }
    }
    found
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn logs_name_ids_and_counts_never_a_phone_or_an_email() {
    let s = stack();
    let ws = "sec-logs";
    let api = s.owner(ws);
    let settings = json!({"default_country": "EC"});
    assert_eq!(
        ok(api.call("PUT", "/v1/settings", Some(&settings)).await).status,
        200
    );
    let bytes = file(&[
        "Nombre,Teléfono,Correo".into(),
        "Ana,+593 99 765 4321,Ana.Log@Example.com".into(),
        "Bruno,099 765 4322,bruno.log@example.com".into(),
        "Caro,no es un número,caro.log@@example.com".into(),
        "Dani,+5511987654323,dani.log@loja.com.br".into(),
        "Eva,+5511987654323,eva.log@loja.com.br".into(),
    ]);
    let mut secrets: Vec<String> = [
        "+593997654321",
        "593997654321",
        "+593 99 765 4321",
        "+593997654322",
        "099 765 4322",
        "+5511987654323",
        "5511987654323",
        "Ana.Log@Example.com",
        "ana.log@example.com",
        "bruno.log@example.com",
        "caro.log@@example.com",
        "dani.log@loja.com.br",
        "eva.log@loja.com.br",
    ]
    .map(String::from)
    .to_vec();
    let import = reviewed(&api, "registros.csv", &bytes, None).await;
    let id = id_of(&import);
    let done = confirmed(&api, &id).await;
    assert_eq!(done["result"]["imported"], 2, "{done}");

    // The contacts API, with values it refuses and values it takes.
    for (method, path, body, status) in [
        (
            "POST",
            "/v1/contacts".to_string(),
            json!({"first_name": "Fe", "phone": "+593 99 765 43ab"}),
            400,
        ),
        (
            "POST",
            "/v1/contacts".to_string(),
            json!({"first_name": "Fe", "email": "fe.log@@example.com"}),
            400,
        ),
        (
            "POST",
            "/v1/contacts".to_string(),
            json!({"first_name": "Fe", "phone": "+593997654330", "email": "fe.log@example.com"}),
            201,
        ),
        (
            "POST",
            "/v1/contacts".to_string(),
            json!({"first_name": "Gil", "phone": "+593997654330"}),
            409,
        ),
    ] {
        let answer = ok(api.call(method, &path, Some(&body)).await);
        assert_eq!(answer.status, status, "{body}: {}", answer.body);
    }
    secrets.extend(
        [
            "+593 99 765 43ab",
            "fe.log@@example.com",
            "+593997654330",
            "fe.log@example.com",
        ]
        .map(String::from),
    );
    let fe = ok(api
        .call(
            "GET",
            &format!("/v1/contacts?phone={}", query_value("+593997654330")),
            None,
        )
        .await);
    let fe = fe.body["items"][0]["id"].as_str().unwrap().to_string();
    for (body, status) in [
        (json!({"phone": "099 765 43xx"}), 400),
        (
            json!({"email": "fe.nuevo@example.com", "phone": "0997654331"}),
            200,
        ),
    ] {
        let answer = ok(api
            .call("PATCH", &format!("/v1/contacts/{fe}"), Some(&body))
            .await);
        assert_eq!(answer.status, status, "{body}: {}", answer.body);
    }
    secrets.extend(
        [
            "099 765 43xx",
            "fe.nuevo@example.com",
            "+593997654331",
            "0997654331",
        ]
        .map(String::from),
    );

    // A message a parser echoes back into its error: the error is logged
    // with the number masked.
    let poison = json!({"workspace": ws, "import": id, "generation": "+593997654399"}).to_string();
    s.clients
        .sqs
        .send_message()
        .queue_url(&s.rows_queue_url)
        .message_body(poison)
        .send()
        .await
        .unwrap();
    secrets.push("+593997654399".into());
    let captured = logs();
    eventually(PIPELINE_TIMEOUT, "the worker's complaint", || async {
        captured.text().contains("+593*******99").then_some(())
    })
    .await;

    let text = captured.text();
    for expected in [
        id.as_str(),
        "upload reviewed",
        "import completed",
        "contact created",
        "invalid_contact",
        "message not handled",
    ] {
        assert!(text.contains(expected), "the logs name {expected}");
    }
    for secret in &secrets {
        assert!(!text.contains(secret.as_str()), "{secret} is in the logs");
    }
    assert_eq!(numbers_in_clear(&text), Vec::<String>::new());
    // One JSON object a line, its fields apart from its message.
    for line in text.lines() {
        let event: Value = serde_json::from_str(line).unwrap_or_else(|e| panic!("{e}: {line}"));
        assert!(event["level"].is_string(), "{line}");
        assert!(event["fields"]["message"].is_string(), "{line}");
    }
    let reviewed_event = text
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap())
        .find(|e| {
            e["fields"]["message"] == "upload reviewed" && e["fields"]["import"] == id.as_str()
        })
        .expect("the review's event");
    assert_eq!(reviewed_event["fields"]["rows"], 5, "{reviewed_event}");
    assert_eq!(
        reviewed_event["fields"]["workspace"], ws,
        "{reviewed_event}"
    );
}

// ---- Value limits ------------------------------------------------------------

fn chars(c: char, n: usize) -> String {
    std::iter::repeat_n(c, n).collect()
}

/// An email address of exactly `n` characters (n from 10 to 255), its
/// local part made of `c`.
fn email_of(n: usize, c: char) -> String {
    let local = chars(c, 64.min(n - 10));
    let mut domain = String::new();
    let mut left = n - local.len() - 1 - 4;
    while left > 0 {
        if !domain.is_empty() {
            domain.push('.');
            left -= 1;
        }
        let label = left.min(63);
        domain.push_str(&chars('b', label));
        left -= label;
    }
    let email = format!("{local}@{domain}.com");
    assert_eq!(email.chars().count(), n, "{email}");
    email
}

/// A call whose body holds a value at its limit, or one over.
struct Limited<'a> {
    method: &'a str,
    path: &'a str,
    /// The status of the call at the limit.
    ok: u16,
    /// The error code of the call one over.
    code: &'a str,
}

/// `at` is taken, `over` refused with 400 and the call's code.
async fn at_and_over(api: &ApiClient, call: &Limited<'_>, what: &str, at: Value, over: Value) {
    let answer = ok(api.call(call.method, call.path, Some(&at)).await);
    assert_eq!(
        answer.status, call.ok,
        "{what} at its limit: {}",
        answer.body
    );
    let answer = ok(api.call(call.method, call.path, Some(&over)).await);
    assert_error(
        &answer,
        400,
        call.code,
        &format!("{what} one over its limit"),
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn contact_values_at_their_limit_are_taken_and_one_over_refused() {
    let s = stack();
    let api = s.owner("sec-limits-contacts");
    let custom = json!({"custom_fields": [{"key": "nota", "label": "Nota", "type": "text"}]});
    assert_eq!(
        ok(api.call("PUT", "/v1/settings", Some(&custom)).await).status,
        200
    );
    let text = limits::MAX_TEXT_CHARS;
    let tag = limits::MAX_TAG_CHARS;
    let tags = limits::MAX_TAGS_PER_ROW;
    let many = |n: usize| (0..n).map(|i| format!("t{i}")).collect::<Vec<_>>();
    // Characters, not bytes: "é" is two bytes in UTF-8.
    let cases = [
        (
            "first_name",
            json!({"first_name": chars('é', text)}),
            json!({"first_name": chars('é', text + 1)}),
        ),
        (
            "last_name",
            json!({"first_name": "A", "last_name": chars('x', text)}),
            json!({"first_name": "A", "last_name": chars('x', text + 1)}),
        ),
        (
            "email",
            json!({"first_name": "A", "email": email_of(text, 'a')}),
            json!({"first_name": "A", "email": format!("z{}", email_of(text, 'a'))}),
        ),
        (
            "assignee",
            json!({"first_name": "A", "assignee": chars('u', text)}),
            json!({"first_name": "A", "assignee": chars('u', text + 1)}),
        ),
        (
            "a text custom field",
            json!({"first_name": "A", "custom_fields": {"nota": chars('n', text)}}),
            json!({"first_name": "A", "custom_fields": {"nota": chars('n', text + 1)}}),
        ),
        (
            "a tag",
            json!({"first_name": "A", "tags": [chars('t', tag)]}),
            json!({"first_name": "A", "tags": [chars('t', tag + 1)]}),
        ),
        (
            "the tags",
            json!({"first_name": "A", "tags": many(tags)}),
            json!({"first_name": "A", "tags": many(tags + 1)}),
        ),
    ];
    for (what, at, over) in cases {
        let create = Limited {
            method: "POST",
            path: "/v1/contacts",
            ok: 201,
            code: "invalid_contact",
        };
        at_and_over(&api, &create, what, at, over).await;
    }
    // The same limits on an edit, and on the tags routes.
    let created = ok(api
        .call(
            "POST",
            "/v1/contacts",
            Some(&json!({"first_name": "Editada"})),
        )
        .await);
    let id = created.body["id"].as_str().unwrap().to_string();
    let path = format!("/v1/contacts/{id}");
    let patch = Limited {
        method: "PATCH",
        path: &path,
        ok: 200,
        code: "invalid_contact",
    };
    at_and_over(
        &api,
        &patch,
        "last_name",
        json!({"last_name": chars('y', text)}),
        json!({"last_name": chars('y', text + 1)}),
    )
    .await;
    at_and_over(
        &api,
        &patch,
        "email",
        json!({"email": email_of(text, 'e')}),
        json!({"email": format!("z{}", email_of(text, 'e'))}),
    )
    .await;
    let tags_path = format!("/v1/contacts/{id}/tags");
    let add = Limited {
        method: "POST",
        path: &tags_path,
        ok: 200,
        code: "invalid_contact",
    };
    at_and_over(
        &api,
        &add,
        "a tag",
        json!({"tags": [chars('q', tag)]}),
        json!({"tags": [chars('q', tag + 1)]}),
    )
    .await;
    let remove = Limited {
        method: "DELETE",
        ..add
    };
    at_and_over(
        &api,
        &remove,
        "the tags named",
        json!({"tags": many(tags)}),
        json!({"tags": many(tags + 1)}),
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn query_parameters_are_bounded() {
    let s = stack();
    let api = s.owner("sec-limits-queries");
    let get = |path: String| {
        let api = api.clone();
        async move { ok(api.call("GET", &path, None).await) }
    };
    let tag = limits::MAX_TAG_CHARS;
    let text = limits::MAX_TEXT_CHARS;
    for (at, over) in [
        (
            format!("/v1/contacts?tag={}", chars('t', tag)),
            format!("/v1/contacts?tag={}", chars('t', tag + 1)),
        ),
        (
            format!("/v1/contacts?phone={}", chars('1', text)),
            format!("/v1/contacts?phone={}", chars('1', text + 1)),
        ),
        (
            format!("/v1/contacts?email={}", query_value(&email_of(text, 'a'))),
            format!("/v1/contacts?email=z{}", query_value(&email_of(text, 'a'))),
        ),
        (
            format!("/v1/contacts?limit={}", limits::MAX_PAGE),
            format!("/v1/contacts?limit={}", limits::MAX_PAGE + 1),
        ),
        (
            "/v1/imports?limit=100".to_string(),
            "/v1/imports?limit=101".to_string(),
        ),
    ] {
        let answer = get(at.clone()).await;
        assert_eq!(answer.status, 200, "{at}: {}", answer.body);
        assert_error(&get(over.clone()).await, 400, "invalid_query", &over);
    }
    let long_cursor = chars('A', limits::MAX_CURSOR_CHARS + 1);
    assert_error(
        &get(format!("/v1/contacts?cursor={long_cursor}")).await,
        400,
        "invalid_cursor",
        "an over-long cursor",
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn import_inputs_at_their_limit_are_taken_and_one_over_refused() {
    let s = stack();
    let api = s.owner("sec-limits-imports");
    let name = |n: usize| format!("{}.csv", chars('ñ', n - 4));
    let create = |extra: Value| {
        let mut body = json!({"file_name": "a.csv", "size_bytes": 100});
        body.as_object_mut()
            .unwrap()
            .extend(extra.as_object().unwrap().clone());
        body
    };
    let max = limits::MAX_FILE_NAME_CHARS;
    let start = Limited {
        method: "POST",
        path: "/v1/imports",
        ok: 201,
        code: "invalid_file_name",
    };
    at_and_over(
        &api,
        &start,
        "file_name",
        create(json!({"file_name": name(max)})),
        create(json!({"file_name": name(max + 1)})),
    )
    .await;
    let tags = |n: usize| (0..n).map(|i| format!("t{i}")).collect::<Vec<_>>();
    let mapping = |n: usize| {
        (0..n)
            .map(|i| json!({"column": format!("c{i}"), "field": null}))
            .collect::<Vec<_>>()
    };
    let options = [
        (
            "the tags",
            json!({"tags": tags(limits::MAX_TAGS_PER_ROW)}),
            json!({"tags": tags(limits::MAX_TAGS_PER_ROW + 1)}),
        ),
        (
            "a tag",
            json!({"tags": [chars('t', limits::MAX_TAG_CHARS)]}),
            json!({"tags": [chars('t', limits::MAX_TAG_CHARS + 1)]}),
        ),
        (
            "the group",
            json!({"group": chars('g', limits::MAX_TEXT_CHARS)}),
            json!({"group": chars('g', limits::MAX_TEXT_CHARS + 1)}),
        ),
        (
            "the mapping",
            json!({"mapping": mapping(limits::MAX_MAPPING_ENTRIES)}),
            json!({"mapping": mapping(limits::MAX_MAPPING_ENTRIES + 1)}),
        ),
        (
            "a mapped column",
            json!({"mapping": [{"column": chars('c', limits::MAX_TEXT_CHARS), "field": "phone"}]}),
            json!({"mapping": [{"column": chars('c', limits::MAX_TEXT_CHARS + 1), "field": "phone"}]}),
        ),
    ];
    for (what, at, over) in options {
        let start = Limited {
            code: "invalid_options",
            ..start
        };
        at_and_over(
            &api,
            &start,
            what,
            create(json!({"options": at})),
            create(json!({"options": over})),
        )
        .await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn settings_and_exports_at_their_limit_are_taken_and_one_over_refused() {
    let s = stack();
    let api = s.owner("sec-limits-settings");
    let field = |key: String, label: String| json!({"key": key, "label": label, "type": "text"});
    let fields = |n: usize| {
        let all: Vec<Value> = (0..n)
            .map(|i| field(format!("f{i}"), format!("F{i}")))
            .collect();
        json!({"custom_fields": all})
    };
    let list = |options: Vec<String>| json!({"custom_fields": [{"key": "plan", "label": "Plan", "type": "list", "options": options}]});
    let options = |n: usize| (0..n).map(|i| format!("o{i}")).collect::<Vec<_>>();
    let key = |n: usize| format!("k{}", chars('x', n - 1));
    let cases = [
        (
            "a key",
            json!({"custom_fields": [field(key(limits::MAX_CUSTOM_FIELD_KEY_CHARS), "K".into())]}),
            json!({"custom_fields": [field(key(limits::MAX_CUSTOM_FIELD_KEY_CHARS + 1), "K".into())]}),
        ),
        (
            "a label",
            json!({"custom_fields": [field("k".into(), chars('l', limits::MAX_CUSTOM_FIELD_LABEL_CHARS))]}),
            json!({"custom_fields": [field("k".into(), chars('l', limits::MAX_CUSTOM_FIELD_LABEL_CHARS + 1))]}),
        ),
        (
            "the custom fields",
            fields(limits::MAX_CUSTOM_FIELDS),
            fields(limits::MAX_CUSTOM_FIELDS + 1),
        ),
        (
            "a list's options",
            list(options(limits::MAX_LIST_OPTIONS)),
            list(options(limits::MAX_LIST_OPTIONS + 1)),
        ),
        (
            "a list option",
            list(vec![chars('o', limits::MAX_TEXT_CHARS)]),
            list(vec![chars('o', limits::MAX_TEXT_CHARS + 1)]),
        ),
        (
            "the reset tag",
            json!({"monthly_reset": {"mode": "tagged", "tag": chars('b', limits::MAX_TAG_CHARS)}}),
            json!({"monthly_reset": {"mode": "tagged", "tag": chars('b', limits::MAX_TAG_CHARS + 1)}}),
        ),
        (
            "a user",
            json!({"users": [chars('u', limits::MAX_TEXT_CHARS)]}),
            json!({"users": [chars('u', limits::MAX_TEXT_CHARS + 1)]}),
        ),
    ];
    for (what, at, over) in cases {
        let put = Limited {
            method: "PUT",
            path: "/v1/settings",
            ok: 200,
            code: "invalid_settings",
        };
        at_and_over(&api, &put, what, at, over).await;
    }
    // Values each within their limit that add up past what one stored item
    // holds: refused whole, nothing stored.
    let big_lists: Vec<Value> = (0..8)
        .map(|f| {
            let options: Vec<String> = (0..limits::MAX_LIST_OPTIONS)
                .map(|i| format!("{i:03}{}", chars('o', limits::MAX_TEXT_CHARS - 3)))
                .collect();
            json!({"key": format!("l{f}"), "label": "L", "type": "list", "options": options})
        })
        .collect();
    let before = ok(api.call("GET", "/v1/settings", None).await).body;
    let answer = ok(api
        .call(
            "PUT",
            "/v1/settings",
            Some(&json!({"custom_fields": big_lists})),
        )
        .await);
    assert_error(
        &answer,
        400,
        "invalid_settings",
        "settings past what an item holds",
    );
    assert_eq!(ok(api.call("GET", "/v1/settings", None).await).body, before);

    let export = Limited {
        method: "POST",
        path: "/v1/exports",
        ok: 202,
        code: "invalid_export",
    };
    at_and_over(
        &api,
        &export,
        "an export's tag",
        json!({"tag": chars('e', limits::MAX_TAG_CHARS)}),
        json!({"tag": chars('e', limits::MAX_TAG_CHARS + 1)}),
    )
    .await;
}

/// Each data row's (status, errors) once `file` is validated.
fn outcomes_with_notes(file: &[u8]) -> Vec<(String, String)> {
    let workspace = Workspace {
        default_country: Some("EC".into()),
        custom_fields: vec![CustomField {
            key: "nota".into(),
            label: "Nota".into(),
            kind: CustomType::Text,
        }],
        ..Default::default()
    };
    end_to_end::row_outcomes(file, &ImportOptions::default(), &workspace)
}

#[test]
fn file_values_at_their_limit_are_taken_and_one_over_ends_the_row_in_error() {
    let text = limits::MAX_TEXT_CHARS;
    let tag = limits::MAX_TAG_CHARS;
    let tags = |n: usize| {
        (0..n)
            .map(|i| format!("t{i}"))
            .collect::<Vec<_>>()
            .join("|")
    };
    let mut lines = vec!["Nombre;Apellido;Teléfono;Correo;Etiquetas;Nota".to_string()];
    let mut expect = Vec::new();
    let mut row = |first: String,
                   last: String,
                   email: String,
                   tags: String,
                   note: String,
                   error: Option<&str>| {
        let n = lines.len() as u32;
        lines.push(format!(
            "{first};{last};{};{email};{tags};{note}",
            ec_phone(820_000 + n)
        ));
        expect.push(error.map(str::to_string));
    };
    let fine = || {
        (
            "A".to_string(),
            String::new(),
            String::new(),
            String::new(),
            String::new(),
        )
    };
    let (f, l, e, t, n) = fine();
    row(
        chars('é', text),
        l.clone(),
        e.clone(),
        t.clone(),
        n.clone(),
        None,
    );
    row(
        chars('é', text + 1),
        l.clone(),
        e.clone(),
        t.clone(),
        n.clone(),
        Some("is longer than 255 characters"),
    );
    row(
        f.clone(),
        chars('x', text),
        e.clone(),
        t.clone(),
        n.clone(),
        None,
    );
    row(
        f.clone(),
        chars('x', text + 1),
        e.clone(),
        t.clone(),
        n.clone(),
        Some("is longer than 255 characters"),
    );
    row(
        f.clone(),
        l.clone(),
        email_of(text, 'a'),
        t.clone(),
        n.clone(),
        None,
    );
    row(
        f.clone(),
        l.clone(),
        format!("z{}", email_of(text, 'a')),
        t.clone(),
        n.clone(),
        Some("is longer than 255 characters"),
    );
    row(
        f.clone(),
        l.clone(),
        e.clone(),
        tags(limits::MAX_TAGS_PER_ROW),
        n.clone(),
        None,
    );
    row(
        f.clone(),
        l.clone(),
        e.clone(),
        tags(limits::MAX_TAGS_PER_ROW + 1),
        n.clone(),
        Some("has more than 50 tags"),
    );
    row(
        f.clone(),
        l.clone(),
        e.clone(),
        chars('t', tag),
        n.clone(),
        None,
    );
    row(
        f.clone(),
        l.clone(),
        e.clone(),
        chars('t', tag + 1),
        n.clone(),
        Some("has a tag longer than 64 characters"),
    );
    row(
        f.clone(),
        l.clone(),
        e.clone(),
        t.clone(),
        chars('n', text),
        None,
    );
    row(
        f,
        l,
        e,
        t,
        chars('n', text + 1),
        Some("is longer than 255 characters"),
    );
    let outcomes = outcomes_with_notes(&file(&lines));
    assert_eq!(outcomes.len(), expect.len());
    for (i, ((status, errors), expected)) in outcomes.iter().zip(&expect).enumerate() {
        match expected {
            None => assert_eq!(status, "Imported", "row {}: {errors}", i + 2),
            Some(words) => {
                assert_eq!(status, "Error", "row {}", i + 2);
                assert!(errors.contains(words), "row {}: {errors}", i + 2);
            }
        }
    }

    // Columns: the file's header may hold 500, not 501.
    let header = |n: usize| {
        (0..n)
            .map(|i| format!("c{i}"))
            .collect::<Vec<_>>()
            .join(",")
    };
    let body = |n: usize| {
        let mut cells = vec![String::new(); n];
        cells[0] = ec_phone(829_999);
        cells.join(",")
    };
    let columns = limits::MAX_COLUMNS;
    let wide = |n: usize| {
        let mut h = header(n);
        h.replace_range(0..2, "Teléfono");
        file(&[h, body(n)])
    };
    assert!(
        validate(
            &wide(columns)[..],
            &ImportOptions::default(),
            &Workspace::default(),
            &EmptyWorkspace
        )
        .is_ok()
    );
    match validate(
        &wide(columns + 1)[..],
        &ImportOptions::default(),
        &Workspace::default(),
        &EmptyWorkspace,
    ) {
        Err(ValidateError::Refused(Refusal::TooManyColumns { count })) => {
            assert_eq!(count, columns + 1)
        }
        Err(other) => panic!("{other}"),
        Ok(_) => panic!("{} columns were taken", columns + 1),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_file_row_over_a_limit_ends_in_error_through_the_pipeline() {
    let s = stack();
    let api = s.owner("sec-limits-rows");
    let bytes = file(&[
        "Nombre,Teléfono".into(),
        format!(
            "{},{}",
            chars('é', limits::MAX_TEXT_CHARS),
            ec_phone(830_001)
        ),
        format!(
            "{},{}",
            chars('é', limits::MAX_TEXT_CHARS + 1),
            ec_phone(830_002)
        ),
    ]);
    let import = reviewed(&api, "largos.csv", &bytes, None).await;
    let done = confirmed(&api, &id_of(&import)).await;
    assert_eq!(done["result"]["imported"], 1, "{done}");
    assert_eq!(done["result"]["errors"], 1, "{done}");
    let result = result_file(&api, &id_of(&import), b',').await;
    assert_eq!(result.values("Import Status"), ["Imported", "Error"]);
    assert!(
        result
            .cell(1, "Errors")
            .contains("is longer than 255 characters"),
        "{:?}",
        result.rows[1]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_body_past_the_limit_is_refused_in_the_error_shape() {
    let s = stack();
    let api = s.owner("sec-limits-body");
    let max = contact_service::http::MAX_BODY_BYTES;
    let huge = json!({"first_name": "A", "last_name": chars('x', max)});
    let answer = ok(api.call("POST", "/v1/contacts", Some(&huge)).await);
    assert_error(&answer, 413, "body_too_large", "a body past the limit");
}
