//! Helpers for the end-to-end tests: where the sample files are, running
//! validation to a preview whose rows the tests read back, and driving the
//! local stack (moto's server, the API, the pollers) through HTTP as a
//! client would: start an import, wait for its review, confirm, read the
//! result and error files and the contacts.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use aws_sdk_dynamodb::types::AttributeValue;
use contact_engine::lookup::ContactLookup;
use contact_engine::lookup::EmptyWorkspace;
use contact_engine::options::{ImportOptions, Workspace};
use contact_engine::reader::{FileSource, Source};
use contact_engine::{ValidationSummary, validate};
use contact_service::http::auth::Auth;
use contact_service::operations::{Role, Service};
use contact_service::records::{ImportRecord, JobRecord, Notification};
use contact_service::store::Clients;
use contact_service::store::keys;
use contacts::client::{Answer, ApiClient};
use contacts::stack::local::{Stack, StackOptions};
use serde_json::Value;

/// The product's sample files, kept beside the repository.
pub fn sample(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../shared/samples")
        .join(name)
}

/// One row of a preview: its first value, predicted status and errors.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PreviewRow {
    pub first: String,
    pub status: String,
    pub errors: String,
}

/// Validates `path` and reads back the preview file the engine writes.
pub fn preview(
    path: &Path,
    options: &ImportOptions,
    workspace: &Workspace,
    lookup: &impl ContactLookup,
) -> (ValidationSummary, Vec<PreviewRow>) {
    preview_of(&FileSource(path.to_path_buf()), options, workspace, lookup)
}

/// Each data row's (status, errors) in the preview of `file`, validated
/// against a workspace without contacts.
pub fn row_outcomes(
    file: &[u8],
    options: &ImportOptions,
    workspace: &Workspace,
) -> Vec<(String, String)> {
    preview_of(file, options, workspace, &EmptyWorkspace)
        .1
        .into_iter()
        .map(|row| (row.status, row.errors))
        .collect()
}

/// Validates `source` and reads back the preview file the engine writes.
pub fn preview_of(
    source: &(impl Source + ?Sized),
    options: &ImportOptions,
    workspace: &Workspace,
    lookup: &impl ContactLookup,
) -> (ValidationSummary, Vec<PreviewRow>) {
    let validation = validate(source, options, workspace, lookup).expect("validates");
    let mut out = Vec::new();
    validation
        .write_files(source, None, Some(&mut out))
        .expect("writes the preview");
    let text = String::from_utf8(out).expect("previews are UTF-8");
    let text = text
        .strip_prefix('\u{FEFF}')
        .expect("previews start with a BOM");
    let delimiter = validation.dialect.delimiter.byte();
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .from_reader(text.as_bytes());
    let headers = reader.headers().expect("header").clone();
    let n = headers.len();
    assert_eq!(&headers[n - 2], "Predicted Status");
    assert_eq!(&headers[n - 1], "Errors");
    let rows = reader
        .records()
        .map(|r| {
            let r = r.expect("preview row");
            PreviewRow {
                first: r[0].to_string(),
                status: r[n - 2].to_string(),
                errors: r[n - 1].to_string(),
            }
        })
        .collect();
    (validation.summary(), rows)
}

// ---- The local stack: moto's server, the API and the pollers ------------

/// How long a test waits for the pipeline (validation, an import) before it
/// gives up: generous, since the tests of a file share one moto server.
pub const PIPELINE_TIMEOUT: Duration = Duration::from_secs(120);

/// What the tests of one test binary share: a stack on its own thread and
/// runtime, alive until the process ends (moto dies with that thread).
#[derive(Clone)]
pub struct Shared {
    pub api_url: String,
    pub service: Arc<Service>,
    pub auth: Auth,
    pub clients: Clients,
    pub uploads_queue_url: String,
    pub rows_queue_url: String,
}

impl Shared {
    /// A client calling as `role` of workspace `ws`.
    pub fn client(&self, ws: &str, role: Role) -> ApiClient {
        client(&self.api_url, &self.auth, ws, role)
    }

    /// A client calling as the owner of `ws`.
    pub fn owner(&self, ws: &str) -> ApiClient {
        self.client(ws, Role::Owner)
    }
}

/// The stack every test of this binary may share; started on first use.
/// Tests keep to their own workspace ids, so they never see each other.
pub fn shared() -> &'static Shared {
    static SHARED: OnceLock<Shared> = OnceLock::new();
    SHARED.get_or_init(|| {
        let (sender, receiver) = std::sync::mpsc::channel();
        std::thread::Builder::new()
            .name("shared-stack".into())
            .spawn(move || {
                let runtime = tokio::runtime::Builder::new_multi_thread()
                    .worker_threads(4)
                    .enable_all()
                    .build()
                    .expect("a runtime builds");
                // moto is spawned from this thread (block_on runs here) and
                // dies with it, that is with the test process.
                runtime.block_on(async move {
                    match Stack::start(StackOptions::default()).await {
                        Ok(stack) => {
                            let shared = Shared {
                                api_url: stack.api_url.clone(),
                                service: stack.service.clone(),
                                auth: stack.auth.clone(),
                                clients: stack.clients.clone(),
                                uploads_queue_url: stack.resources.uploads_queue_url.clone(),
                                rows_queue_url: stack.resources.rows_queue_url.clone(),
                            };
                            let _ = sender.send(Ok(shared));
                            let _keep = stack;
                            std::future::pending::<()>().await;
                        }
                        Err(e) => {
                            let _ = sender.send(Err(e.to_string()));
                        }
                    }
                });
            })
            .expect("the stack thread starts");
        match receiver.recv() {
            Ok(Ok(shared)) => shared,
            Ok(Err(e)) => panic!("the local stack does not start: {e}"),
            Err(_) => panic!("the local stack's thread ended without a word"),
        }
    })
}

/// A stack of the test's own (faults, short timeouts…), on the test's runtime.
pub async fn own_stack(options: StackOptions) -> Stack {
    Stack::start(options)
        .await
        .unwrap_or_else(|e| panic!("the local stack does not start: {e}"))
}

/// A client of the API at `api_url` calling as `role` of workspace `ws`.
pub fn client(api_url: &str, auth: &Auth, ws: &str, role: Role) -> ApiClient {
    ApiClient::new(api_url, Some(auth.keys.sign(ws, role, 3600)))
}

/// An item of the table, as a test reads it with its own client.
pub type Item = HashMap<String, AttributeValue>;

/// A string attribute value.
pub fn s(value: impl Into<String>) -> AttributeValue {
    AttributeValue::S(value.into())
}

// ---- Files -----------------------------------------------------------

/// A valid Ecuadorian mobile number, distinct for each `n` below 10^7.
pub fn ec_phone(n: u32) -> String {
    format!("+59399{n:07}")
}

/// A file from its lines (the header first), `\n`-terminated.
pub fn file(lines: &[String]) -> Vec<u8> {
    let mut text = lines.join("\n");
    text.push('\n');
    text.into_bytes()
}

/// A comma-separated file of `rows` new contacts, `First Name,Phone,Email`,
/// phones `ec_phone(base + i)`.
pub fn generated_file(base: u32, rows: u32) -> Vec<u8> {
    let mut lines = vec!["First Name,Phone,Email".to_string()];
    for i in 0..rows {
        let n = base + i;
        lines.push(format!("Person {n},{},p{n}@example.com", ec_phone(n)));
    }
    file(&lines)
}

/// A CSV file the service wrote, read back.
#[derive(Debug, Clone)]
pub struct CsvFile {
    pub headers: Vec<String>,
    pub rows: Vec<Vec<String>>,
}

impl CsvFile {
    /// Reads a file the service wrote: a UTF-8 BOM, then `delimiter`-separated rows.
    pub fn parse(bytes: &[u8], delimiter: u8) -> Self {
        let text = std::str::from_utf8(bytes).expect("the service writes UTF-8");
        let text = text.strip_prefix('\u{FEFF}').unwrap_or_else(|| {
            panic!(
                "the file starts with a BOM: {:?}",
                &text[..text.len().min(40)]
            )
        });
        let mut reader = csv::ReaderBuilder::new()
            .delimiter(delimiter)
            .flexible(true)
            .from_reader(text.as_bytes());
        let headers = reader
            .headers()
            .expect("a header row")
            .iter()
            .map(str::to_string)
            .collect();
        let rows = reader
            .records()
            .map(|r| r.expect("a row").iter().map(str::to_string).collect())
            .collect();
        Self { headers, rows }
    }

    /// The index of column `name`.
    pub fn column(&self, name: &str) -> usize {
        self.headers
            .iter()
            .position(|h| h == name)
            .unwrap_or_else(|| panic!("no column {name} in {:?}", self.headers))
    }

    /// Row `i`'s value in column `name`.
    pub fn cell(&self, i: usize, name: &str) -> &str {
        let c = self.column(name);
        self.rows[i].get(c).map_or("", String::as_str)
    }

    /// Every row's value in column `name`.
    pub fn values(&self, name: &str) -> Vec<&str> {
        let c = self.column(name);
        self.rows
            .iter()
            .map(|r| r.get(c).map_or("", String::as_str))
            .collect()
    }

    /// A result file's rows by `Import Status`: imported, updated, skipped,
    /// errors (the order of [`result_counts`]).
    pub fn status_counts(&self) -> [u64; 4] {
        let statuses = self.values("Import Status");
        ["Imported", "Updated", "Skipped", "Error"]
            .map(|status| statuses.iter().filter(|s| **s == status).count() as u64)
    }
}

// ---- The import journey through the API -------------------------------

/// Panics with the answer when a call did not get through.
pub fn ok<T>(result: Result<T, contacts::client::ClientError>) -> T {
    result.unwrap_or_else(|e| panic!("the API call failed: {e}"))
}

/// Starts an import of `bytes` and waits for its validation to end; answers
/// the import (in review, or failed).
pub async fn validated(api: &ApiClient, name: &str, bytes: &[u8], options: Option<Value>) -> Value {
    let created = ok(api.start_import(name, bytes, options).await);
    assert_eq!(created.status, 201, "POST /v1/imports: {}", created.body);
    assert_eq!(created.body["status"], "awaiting_upload");
    let id = created.body["id"].as_str().expect("an id").to_string();
    // moto applies an update's attributes one at a time, so a read racing
    // the update that ends validation can see `review` before the headers
    // that come with it (DynamoDB applies an update whole).
    ok(api
        .wait_for(&id, PIPELINE_TIMEOUT, |i| {
            let ended = !matches!(i["status"].as_str(), Some("awaiting_upload" | "validating"));
            ended && (i["status"] != "review" || !i["headers"].is_null())
        })
        .await)
}

/// Starts an import and answers it in review (panics otherwise).
pub async fn reviewed(api: &ApiClient, name: &str, bytes: &[u8], options: Option<Value>) -> Value {
    let import = validated(api, name, bytes, options).await;
    assert_eq!(import["status"], "review", "validation ended: {import}");
    import
}

/// The id of an import view.
pub fn id_of(import: &Value) -> String {
    import["id"].as_str().expect("an import id").to_string()
}

/// Confirms an import in review and waits until it completes.
pub async fn confirmed(api: &ApiClient, id: &str) -> Value {
    let answer = ok(api
        .call("POST", &format!("/v1/imports/{id}/confirm"), None)
        .await);
    assert_eq!(answer.status, 200, "confirm: {}", answer.body);
    completed(api, id).await
}

/// Waits until an import completes (panics if it fails or takes too long).
pub async fn completed(api: &ApiClient, id: &str) -> Value {
    let import = ok(api
        .wait_for(id, PIPELINE_TIMEOUT, |i| {
            !matches!(i["status"].as_str(), Some("importing"))
        })
        .await);
    assert_eq!(import["status"], "completed", "the import ended: {import}");
    import
}

/// Downloads a file link (`/v1/imports/{id}/result` or `…/errors`) and reads it.
pub async fn download(api: &ApiClient, path: &str, delimiter: u8) -> CsvFile {
    let (status, bytes) = ok(api.download(path).await);
    assert_eq!(status, 200, "GET {path} then its URL");
    CsvFile::parse(&bytes, delimiter)
}

/// The result file of a completed import, its added columns checked.
pub async fn result_file(api: &ApiClient, id: &str, delimiter: u8) -> CsvFile {
    let file = download(api, &format!("/v1/imports/{id}/result"), delimiter).await;
    let n = file.headers.len();
    assert!(n >= 3, "{:?}", file.headers);
    assert_eq!(
        file.headers[n - 3..],
        ["Import Status", "Errors", "Contact ID"],
        "the result file's added columns"
    );
    file
}

/// The review's error file, its added column checked.
pub async fn error_file(api: &ApiClient, id: &str, delimiter: u8) -> CsvFile {
    let file = download(api, &format!("/v1/imports/{id}/errors"), delimiter).await;
    assert_eq!(file.headers.last().map(String::as_str), Some("Error"));
    file
}

/// Waits for an export (or a reset's backup) to end; answers it.
pub async fn export_done(api: &ApiClient, id: &str) -> Value {
    job_done(api, &format!("/v1/exports/{id}")).await
}

/// Waits until a bulk action's job ends, and answers it.
pub async fn bulk_done(api: &ApiClient, id: &str) -> Value {
    job_done(api, &format!("/v1/bulk-actions/{id}")).await
}

/// Reads a job at `path` until it is no longer running.
async fn job_done(api: &ApiClient, path: &str) -> Value {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(120);
    loop {
        let answer = ok(api.call("GET", path, None).await);
        assert_eq!(answer.status, 200, "{}", answer.body);
        if answer.body["status"] != "running" {
            return answer.body;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "{path} still running"
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

/// The review counts `[rows, to_add, to_update, to_skip, errors]`.
pub fn review_counts(import: &Value) -> [u64; 5] {
    let r = &import["review"];
    ["rows", "to_add", "to_update", "to_skip", "errors"].map(|k| {
        r[k].as_u64()
            .unwrap_or_else(|| panic!("review.{k} in {import}"))
    })
}

/// The result counts `[imported, updated, skipped, errors]`.
pub fn result_counts(import: &Value) -> [u64; 4] {
    let r = &import["result"];
    ["imported", "updated", "skipped", "errors"].map(|k| {
        r[k].as_u64()
            .unwrap_or_else(|| panic!("result.{k} in {import}"))
    })
}

/// `value` percent-encoded for a query string.
pub fn query_value(value: &str) -> String {
    value
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// The contacts holding `phone`, through `GET /v1/contacts?phone=`.
pub async fn by_phone(api: &ApiClient, phone: &str) -> Vec<Value> {
    let answer = ok(api
        .call(
            "GET",
            &format!("/v1/contacts?phone={}", query_value(phone)),
            None,
        )
        .await);
    assert_eq!(
        answer.status, 200,
        "GET /v1/contacts?phone={phone}: {}",
        answer.body
    );
    answer.body["items"].as_array().cloned().unwrap_or_default()
}

/// The one contact holding `phone` (panics unless exactly one does).
pub async fn one_by_phone(api: &ApiClient, phone: &str) -> Value {
    let mut found = by_phone(api, phone).await;
    assert_eq!(found.len(), 1, "contacts with {phone}: {found:?}");
    found.remove(0)
}

/// Every item whose partition key begins with `pk_prefix` and whose sort
/// key is `sk`, as the table holds it (a scan: test use only).
pub async fn scan_items(clients: &Clients, table: &str, pk_prefix: &str, sk: &str) -> Vec<Item> {
    let mut found = Vec::new();
    let mut start = None;
    loop {
        let out = clients
            .dynamodb
            .scan()
            .table_name(table)
            .filter_expression("begins_with(pk, :p) AND sk = :s")
            .expression_attribute_values(":p", s(pk_prefix))
            .expression_attribute_values(":s", s(sk))
            .set_exclusive_start_key(start)
            .send()
            .await
            .unwrap_or_else(|e| panic!("scan: {e:?}"));
        found.extend(out.items().iter().cloned());
        start = out.last_evaluated_key;
        if start.is_none() {
            return found;
        }
    }
}

/// Items by key, read with the test's own client (a hundred keys a call,
/// unprocessed keys asked again), in any order; missing ones left out.
pub async fn batch_get(
    clients: &Clients,
    table: &str,
    keys: Vec<Item>,
) -> Result<Vec<Item>, String> {
    use aws_sdk_dynamodb::types::KeysAndAttributes;
    let mut found = Vec::new();
    for batch in keys.chunks(100) {
        let mut pending = Some(batch.to_vec());
        while let Some(keys) = pending.take() {
            let request = KeysAndAttributes::builder()
                .set_keys(Some(keys))
                .consistent_read(true)
                .build()
                .map_err(|e| e.to_string())?;
            let out = clients
                .dynamodb
                .batch_get_item()
                .request_items(table, request)
                .send()
                .await
                .map_err(|e| format!("{e:?}"))?;
            found.extend(
                out.responses
                    .and_then(|mut r| r.remove(table))
                    .unwrap_or_default(),
            );
            pending = out
                .unprocessed_keys
                .and_then(|mut u| u.remove(table))
                .map(|k| k.keys)
                .filter(|k| !k.is_empty());
        }
    }
    Ok(found)
}

/// An answer in the API's error shape, with this status and code and a
/// message in words.
pub fn assert_error(answer: &Answer, status: u16, code: &str) {
    assert_eq!(answer.status, status, "{}", answer.body);
    assert_eq!(answer.code(), code, "{}", answer.body);
    let message = answer.body["error"]["message"].as_str().unwrap_or("");
    assert!(!message.trim().is_empty(), "a message in {}", answer.body);
}

/// Who holds workspace `ws`'s import lock (an import or a reset), as the
/// store says.
pub async fn lock_holder(service: &Service, ws: &str) -> Option<String> {
    let workspaces = &service.store().workspaces;
    workspaces.lock_holder(ws).await.expect("the lock read")
}

/// An import as the store keeps it.
pub async fn stored_import(service: &Service, ws: &str, id: &str) -> ImportRecord {
    let imports = &service.store().imports;
    let found = imports.import(ws, id).await.expect("the import read");
    found.unwrap_or_else(|| panic!("no import {id}"))
}

/// An export or a reset as the store keeps it.
pub async fn stored_job(service: &Service, ws: &str, id: &str) -> JobRecord {
    let jobs = &service.store().jobs;
    let found = jobs.job(ws, id).await.expect("the job read");
    found.unwrap_or_else(|| panic!("no job {id}"))
}

/// Workspace `ws`'s notifications as the store keeps them, newest first.
pub async fn stored_notifications(service: &Service, ws: &str) -> Vec<Notification> {
    let workspaces = &service.store().workspaces;
    workspaces
        .notifications(ws)
        .await
        .expect("the notifications read")
}

/// Every contact of a workspace as the table holds it (a scan: test use
/// only), as `id → phone`.
pub async fn stored_contacts(
    clients: &Clients,
    table: &str,
    ws: &str,
) -> HashMap<String, Option<String>> {
    let mut found = HashMap::new();
    let prefix = keys::contact(ws, "");
    for item in scan_items(clients, table, &prefix, keys::SK_CONTACT).await {
        let id = item["id"].as_s().expect("a contact id").clone();
        let phone = item.get("phone").and_then(|p| p.as_s().ok()).cloned();
        assert!(
            found.insert(id.clone(), phone).is_none(),
            "contact {id} twice"
        );
    }
    found
}

/// Messages in a queue, visible or taken by a handler and not yet deleted.
pub async fn queue_depth(clients: &Clients, queue_url: &str) -> u64 {
    let out = clients
        .sqs
        .get_queue_attributes()
        .queue_url(queue_url)
        .attribute_names("ApproximateNumberOfMessages".into())
        .attribute_names("ApproximateNumberOfMessagesNotVisible".into())
        .send()
        .await
        .unwrap_or_else(|e| panic!("the attributes of {queue_url}: {e:?}"));
    out.attributes()
        .into_iter()
        .flatten()
        .filter(|(name, _)| name.as_str().starts_with("ApproximateNumberOfMessages"))
        .filter_map(|(_, v)| v.parse::<u64>().ok())
        .sum()
}

/// Polls `check` until it answers `Some` or `timeout` passes.
pub async fn eventually<T, F, Fut>(timeout: Duration, what: &str, mut check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    let start = Instant::now();
    loop {
        if let Some(v) = check().await {
            return v;
        }
        assert!(start.elapsed() < timeout, "waited {timeout:?} for {what}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// The automatic tag of an import: `import-yyyy-mm-dd-hhmm` of its creation.
pub fn import_tag_of(import: &Value) -> String {
    let created = import["created_at"].as_str().expect("created_at");
    assert!(created.len() >= 16, "created_at {created}");
    format!(
        "import-{}-{}{}",
        &created[..10],
        &created[11..13],
        &created[14..16]
    )
}

/// Gives workspace `ws` of the shared stack a contact limit and no other
/// setting.
pub async fn set_contact_limit(ws: &str, limit: u64) {
    let settings = contact_service::records::Settings {
        contact_limit: Some(limit),
        ..Default::default()
    };
    let workspaces = &shared().service.store().workspaces;
    let (_, version) = workspaces.versioned_settings(ws).await.unwrap();
    workspaces
        .put_settings(ws, &settings, version)
        .await
        .unwrap();
}

/// Creates a contact through `POST /v1/contacts`; answers it.
pub async fn seed_contact(api: &ApiClient, contact: Value) -> Value {
    let answer = ok(api.call("POST", "/v1/contacts", Some(&contact)).await);
    assert_eq!(
        answer.status, 201,
        "POST /v1/contacts {contact}: {}",
        answer.body
    );
    answer.body
}

/// Makes two contacts share `phone`, as only an `add_all` import can.
pub async fn two_contacts_sharing(api: &ApiClient, phone: &str) {
    let bytes = file(&[
        "First Name,Phone".to_string(),
        format!("Twin A,{phone}"),
        format!("Twin B,{phone}"),
    ]);
    let import = reviewed(
        api,
        "twins.csv",
        &bytes,
        Some(serde_json::json!({"purpose": "add_all"})),
    )
    .await;
    let done = confirmed(api, &id_of(&import)).await;
    assert_eq!(result_counts(&done), [2, 0, 0, 0], "{done}");
    assert_eq!(by_phone(api, phone).await.len(), 2);
}

/// A contact's tags.
pub fn tags_of(contact: &Value) -> Vec<String> {
    contact["tags"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|t| t.as_str().map(str::to_string))
        .collect()
}

/// Deletes the stage file of an import in review once no validation of it
/// can run any more (the uploads queue is empty, so no redelivery writes the
/// file again): every chunk of it then fails, as a chunk that keeps failing
/// on AWS would.
pub async fn break_stage(stack: &contacts::stack::local::Stack, ws: &str, import: &str) {
    eventually(
        Duration::from_secs(30),
        "the uploads queue drains",
        || async {
            (queue_depth(&stack.clients, &stack.resources.uploads_queue_url).await == 0)
                .then_some(())
        },
    )
    .await;
    stack
        .clients
        .s3
        .delete_object()
        .bucket(&stack.resources.names.bucket)
        .key(contact_service::store::keys::stage_object(ws, import, 1))
        .send()
        .await
        .unwrap();
}
