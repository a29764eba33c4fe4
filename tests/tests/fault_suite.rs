//! The fault suite: DESIGN.md's invariants at scale, under random faults.
//!
//! Four imports run at once, one per purpose (`add_new`, `update_existing`,
//! `add_and_update`, `add_all`), each in a workspace of its own with its own
//! options, dialect and contacts known beforehand, 2,000 rows each. They run
//! on a clean stack and, side by side, on a stack where 10 % of the
//! functions' DynamoDB, S3 and SQS calls fail at random (throttled, a 500, or
//! carried out with the answer lost), messages are handed to two handlers at
//! once and in shuffled batches, and handlers are killed in the middle of
//! their work (their batch comes back after the visibility timeout).
//!
//! For each import, in both runs: no row lost (every row once, in file
//! order, in the result file; progress counts every row), no contact doubled
//! (one contact per imported row, none stray; each identifier claimed by
//! exactly the contacts that hold it, and by one alone where the purpose
//! keeps identifiers unique), the month's counter equal to the contacts
//! created, one completion notification, the lock released, every queue
//! empty at the end (a dead-lettered message would have failed its import).
//! Then the faulted run must equal the clean one: the review, the counts per
//! status, every row's status, reason and contact, every contact's values
//! and every claim.
//!
//! The seed is fixed; `FAULT_SUITE_SEED=<n>` draws other faults. Run it
//! alone with `cargo test -p end-to-end --test fault_suite -- --nocapture`.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::future::Future;
use std::pin::Pin;
use std::task::Poll;
use std::time::{Duration, Instant};

use contact_engine::options::Identifier;
use contact_service::operations::Role;
use contact_service::records::Settings;
use contact_service::records::ids::created_contact_id;
use contact_service::records::time::{month, now};
use contact_service::store::keys;
use contacts::client::{Answer, ApiClient};
use contacts::stack::calls::{FaultKind, RandomFaults};
use contacts::stack::local::{DeliveryFaults, Stack, StackOptions};
use end_to_end::{
    Item, batch_get, client, ec_phone, file, id_of, import_tag_of, own_stack, queue_depth,
    result_counts, result_file, review_counts, s, scan_items,
};
use serde_json::{Value, json};

/// Data rows of each import: four chunks of 500.
const ROWS: u32 = 2_000;
/// The share of DynamoDB, S3 and SQS calls that fail.
const FAULT_RATE: f64 = 0.10;
const SEED_VAR: &str = "FAULT_SUITE_SEED";
const DEFAULT_SEED: u64 = 20_261_121;
/// The faulted stack's queue visibility timeout, in seconds: how long a
/// killed handler's batch, or a message its handler gave back, stays away
/// (the pollers keep a live handler's batch hidden however long it takes).
const VISIBILITY_SECONDS: i32 = 4;
/// How long a stage (validation, an import, the queues draining) may take
/// before the suite gives up.
const STAGE_TIMEOUT: Duration = Duration::from_secs(150);

fn seed() -> u64 {
    match std::env::var(SEED_VAR) {
        Ok(v) if !v.trim().is_empty() => v
            .trim()
            .parse()
            .unwrap_or_else(|_| panic!("{SEED_VAR}={v} is not a number")),
        _ => DEFAULT_SEED,
    }
}

// ---- The imports ---------------------------------------------------------

/// One import and its workspace.
#[derive(Clone)]
struct Case {
    /// The workspace, which also names the case.
    ws: &'static str,
    file_name: &'static str,
    delimiter: u8,
    bytes: Vec<u8>,
    options: Value,
    /// Contacts the workspace has before the import, as a comma-separated
    /// file imported with `add_all` (so two may share a phone).
    known: Vec<String>,
    contact_limit: Option<u64>,
    /// The identifier in force, which the import keeps unique (`None` for
    /// `add_all`).
    unique: Option<Identifier>,
}

/// `+593 99 …`: phones of case `base`, distinct for each `n` below 10^6.
fn phone(base: u32, n: u32) -> String {
    ec_phone(base + n)
}

/// The same phone as an Ecuadorian writes it at home: `099 123 4567`.
fn local_phone(base: u32, n: u32) -> String {
    let digits = format!("{:07}", base + n);
    format!("099 {} {}", &digits[..3], &digits[3..])
}

const KNOWN_HEADER: &str = "First Name,Last Name,Phone,Email,Tags";

/// `add_new` by phone, comma-separated UTF-8: new contacts, known phones
/// (skipped), rows without a first name, with an invalid email, a phone
/// repeated on two rows or none at all (errors).
fn add_new() -> Case {
    let base = 1_000_000;
    let mut lines = vec!["Ref,Nombre,Apellido,Teléfono,Correo,Etiquetas".to_string()];
    let mut known = vec![KNOWN_HEADER.to_string()];
    for i in 0..ROWS {
        let phone = if i % 301 == 150 {
            String::new()
        } else if i % 211 == 5 {
            phone(base, i - 1)
        } else {
            phone(base, i)
        };
        if i % 50 == 7 {
            known.push(format!(
                "Conocida {i},Antes,{phone},k{i}@ejemplo.com,antigua"
            ));
        }
        let first = if i % 97 == 3 {
            String::new()
        } else {
            format!("Ana {i}")
        };
        let email = if i % 89 == 11 {
            format!("correo-{i}-sin-arroba")
        } else {
            format!("a{i}@ejemplo.com")
        };
        let tags = if i % 5 == 0 { "vip;nuevo" } else { "" };
        lines.push(format!("R{i},{first},Apellido {i},{phone},{email},{tags}"));
    }
    Case {
        ws: "suite-add-new",
        file_name: "nuevos.csv",
        delimiter: b',',
        bytes: file(&lines),
        options: json!({"purpose": "add_new", "tags": ["feria"]}),
        known,
        contact_limit: None,
        unique: Some(Identifier::Phone),
    }
}

/// `update_existing` by email, semicolon-separated Windows-1252 with an
/// explicit mapping (the last name only filled where empty; the first name
/// and phone replaced, an empty cell clearing them) and tags added to the
/// contact's: a third of the rows update a known contact, some moving its
/// phone claim to another number or dropping it; the rest are skipped, or
/// errors (an invalid or a repeated email).
fn update_existing() -> Case {
    let base = 2_000_000;
    let mut lines = vec!["Ref;Nombre;Apellido;Correo;Teléfono;Ciudad".to_string()];
    let mut known = vec![KNOWN_HEADER.to_string()];
    for i in 0..ROWS {
        let email = if i % 211 == 5 {
            format!("b{}@exemplo.com.br", i - 1)
        } else if i % 97 == 3 {
            "não-é-email".to_string()
        } else {
            format!("b{i}@exemplo.com.br")
        };
        if i % 3 == 0 {
            // A quarter of them had another phone.
            let before = if i % 4 == 0 {
                phone(base, 500_000 + i)
            } else {
                phone(base, i)
            };
            let last = if i % 9 == 0 {
                String::new()
            } else {
                format!("Anterior {i}")
            };
            known.push(format!(
                "Semente,{last},{before},b{i}@exemplo.com.br,antigo"
            ));
        }
        let last = if i % 7 == 0 {
            String::new()
        } else {
            format!("Conceição {i}")
        };
        let phone = if i % 5 == 0 {
            String::new()
        } else {
            phone(base, i)
        };
        lines.push(format!("R{i};João {i};{last};{email};{phone};São Paulo"));
    }
    let text = lines.join("\n") + "\n";
    let column = |name: &str, field: Value, overwrite: bool| json!({"column": name, "field": field, "overwrite": overwrite});
    Case {
        ws: "suite-update",
        file_name: "atualizar.csv",
        delimiter: b';',
        bytes: windows_1252(&text),
        options: json!({
            "purpose": "update_existing",
            "identifier": "email",
            "overwrite_tags": false,
            "tags": ["atualizado"],
            "mapping": [
                column("Ref", Value::Null, true),
                column("Nombre", json!("first_name"), true),
                column("Apellido", json!("last_name"), false),
                column("Correo", json!("email"), true),
                column("Teléfono", json!("phone"), true),
                column("Ciudad", Value::Null, true),
            ],
        }),
        known,
        contact_limit: None,
        unique: Some(Identifier::Email),
    }
}

/// `add_and_update` by phone, tab-separated, numbers written the local way
/// (read in the import's default country), a group and tags: a quarter of
/// the rows update known contacts, a few name a phone two known contacts
/// share (errors), the rest create contacts or are errors (no first name,
/// an unknown language, a repeated or missing phone).
fn add_and_update() -> Case {
    let base = 3_000_000;
    let shared_phone = 900_000;
    let mut lines = vec!["Ref\tNombre\tCelular\tE-mail\tIdioma".to_string()];
    let mut known = vec![
        KNOWN_HEADER.to_string(),
        format!(
            "Gemelo A,Uno,{},gemelo.a@ejemplo.ec,",
            phone(base, shared_phone)
        ),
        format!(
            "Gemelo B,Dos,{},gemelo.b@ejemplo.ec,",
            phone(base, shared_phone)
        ),
    ];
    for i in 0..ROWS {
        let phone_cell = if i % 301 == 150 {
            String::new()
        } else if i % 211 == 5 {
            local_phone(base, i - 1)
        } else if i % 500 == 250 {
            local_phone(base, shared_phone)
        } else {
            local_phone(base, i)
        };
        if i % 4 == 1 && i % 211 != 5 {
            known.push(format!(
                "Viejo {i},Cliente,{},old{i}@ejemplo.ec,cliente",
                phone(base, i)
            ));
        }
        let first = if i % 97 == 3 {
            String::new()
        } else {
            format!("Carlos {i}")
        };
        let language = match i % 89 {
            11 => "xx",
            n if n % 2 == 0 => "es",
            _ => "pt",
        };
        lines.push(format!(
            "R{i}\t{first}\t{phone_cell}\tc{i}@ejemplo.ec\t{language}"
        ));
    }
    Case {
        ws: "suite-add-update",
        file_name: "clientes.txt",
        delimiter: b'\t',
        bytes: file(&lines),
        options: json!({
            "purpose": "add_and_update",
            "default_country": "EC",
            "group": "Clientes",
            "tags": ["feria-2026"],
        }),
        known,
        contact_limit: None,
        unique: Some(Identifier::Phone),
    }
}

/// `add_all`, pipe-separated, under a contact limit the file outgrows:
/// repeated phones make two contacts on purpose, rows without a first name
/// are errors, and the rows past the limit end "plan contact limit reached".
fn add_all() -> Case {
    let base = 4_000_000;
    let mut lines = vec!["Ref|First Name|Last Name|Phone|Email|Tags".to_string()];
    for i in 0..ROWS {
        let phone = if i % 301 == 150 {
            String::new()
        } else if i % 211 == 5 {
            phone(base, i - 1)
        } else {
            phone(base, i)
        };
        let first = if i % 97 == 3 {
            String::new()
        } else {
            format!("Dewi {i}")
        };
        let tags = if i % 3 == 0 { "lead" } else { "" };
        lines.push(format!(
            "R{i}|{first}|Santoso {i}|{phone}|d{i}@contoh.co.id|{tags}"
        ));
    }
    Case {
        ws: "suite-add-all",
        file_name: "semua.csv",
        delimiter: b'|',
        bytes: file(&lines),
        options: json!({"purpose": "add_all", "tags": ["lote"], "overwrite_tags": false}),
        known: Vec::new(),
        contact_limit: Some(u64::from(ROWS) - 200),
        unique: None,
    }
}

fn cases() -> Vec<Case> {
    vec![add_new(), update_existing(), add_and_update(), add_all()]
}

/// Text in Windows-1252 (Latin-1 letters only).
fn windows_1252(text: &str) -> Vec<u8> {
    text.chars()
        .map(|c| u8::try_from(u32::from(c)).expect("a Latin-1 letter"))
        .collect()
}

// ---- Driving the API as a client does -------------------------------------

/// Calls the API again while it answers 503 (a store unavailable for a
/// moment), as a client would.
async fn call(api: &ApiClient, method: &str, path: &str, body: Option<&Value>) -> Answer {
    let start = Instant::now();
    loop {
        let answer = api
            .call(method, path, body)
            .await
            .unwrap_or_else(|e| panic!("{method} {path}: {e}"));
        if answer.status != 503 {
            return answer;
        }
        assert!(
            start.elapsed() < STAGE_TIMEOUT,
            "{method} {path} answered 503 for {STAGE_TIMEOUT:?}: {}",
            answer.body
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Reads the import until its status satisfies `done`.
async fn wait(api: &ApiClient, id: &str, what: &str, done: impl Fn(&str) -> bool) -> Value {
    let start = Instant::now();
    loop {
        let answer = call(api, "GET", &format!("/v1/imports/{id}"), None).await;
        assert_eq!(answer.status, 200, "GET /v1/imports/{id}: {}", answer.body);
        if done(answer.body["status"].as_str().unwrap_or("")) {
            return answer.body;
        }
        assert!(
            start.elapsed() < STAGE_TIMEOUT,
            "waited {STAGE_TIMEOUT:?} for {what}; the import is {}",
            answer.body
        );
        // Once a second, as a person would look: the suite's faults are
        // for the pipeline's calls more than for the client's reads.
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
}

/// Creates an import, uploads the file, waits for the review, confirms and
/// waits for completion; answers the import in review and completed.
async fn import(
    run: &str,
    api: ApiClient,
    name: String,
    bytes: Vec<u8>,
    options: Value,
) -> (Value, Value) {
    let started = Instant::now();
    // A 503 may hide an import that was stored: it stays awaiting its
    // upload, as a client's abandoned attempt would.
    let request = json!({"file_name": name, "size_bytes": bytes.len(), "options": options});
    let created = call(&api, "POST", "/v1/imports", Some(&request)).await;
    assert_eq!(created.status, 201, "POST /v1/imports: {}", created.body);
    let id = id_of(&created.body);
    let uploaded = api
        .upload(&created.body["upload"], bytes)
        .await
        .unwrap_or_else(|e| panic!("the upload of {name}: {e}"));
    assert_eq!(uploaded, 200, "the upload of {name}");
    let reviewed = wait(&api, &id, &format!("the review of {name}"), |s| {
        !matches!(s, "awaiting_upload" | "validating")
    })
    .await;
    assert_eq!(reviewed["status"], "review", "{name}: {reviewed}");
    let review_took = started.elapsed();
    let confirmed = call(&api, "POST", &format!("/v1/imports/{id}/confirm"), None).await;
    match confirmed.status {
        200 => {}
        // A confirm retried after a 503 finds its own first attempt done.
        409 if confirmed.code() == "not_in_review" => {}
        _ => panic!("confirm {name}: {}", confirmed.body),
    }
    let done = wait(&api, &id, &format!("the import of {name}"), |s| {
        s != "importing" && s != "review"
    })
    .await;
    assert_eq!(done["status"], "completed", "{name}: {done}");
    eprintln!(
        "fault suite: {run}:   {name} reviewed in {:.1} s, completed {:.1} s later",
        review_took.as_secs_f64(),
        (started.elapsed() - review_took).as_secs_f64()
    );
    (reviewed, done)
}

// ---- One run --------------------------------------------------------------

/// How one import ended, with contact ids replaced by labels that name the
/// same contact in every run: `known:<first name>|<phone>|<email>` for the
/// workspace's contacts from before, `row:<n>` for those the import created.
#[derive(Debug)]
struct Outcome {
    review: [u64; 5],
    counts: [u64; 4],
    /// Every row of the result file: the file's cells, then the status,
    /// the reason and the contact's label.
    rows: Vec<Vec<String>>,
    /// Every contact of the workspace afterwards: its label and values.
    contacts: BTreeMap<String, Value>,
    /// Every claimed phone and email and the labels of its holders.
    claims: BTreeMap<String, Vec<String>>,
}

/// Labels for the workspace's contacts before the import.
type Labels = HashMap<String, String>;

fn client_of(stack: &Stack, ws: &str) -> ApiClient {
    client(&stack.api_url, &stack.auth, ws, Role::Owner)
}

/// The known contacts (an `add_all` import) and the contact limit.
async fn prepare(stack: &Stack, run: &str, case: &Case) {
    let api = client_of(stack, case.ws);
    if case.known.len() > 1 {
        let (_, done) = import(
            run,
            api.clone(),
            "conocidos.csv".into(),
            file(&case.known),
            json!({"purpose": "add_all", "import_tag": false}),
        )
        .await;
        let [imported, ..] = result_counts(&done);
        assert_eq!(imported as usize, case.known.len() - 1, "{done}");
    }
    if let Some(limit) = case.contact_limit {
        let settings = Settings {
            contact_limit: Some(limit),
            ..Settings::default()
        };
        stack
            .service
            .store()
            .workspaces
            .put_settings(case.ws, &settings)
            .await
            .expect("settings stored");
    }
}

/// The workspace's contacts before its import, labelled by their values.
fn known_labels(contacts: &[(String, Value)]) -> Labels {
    let mut labels = Labels::new();
    for (id, values) in contacts {
        let value = |field: &str| values[field].as_str().unwrap_or("").to_string();
        let label = format!(
            "known:{}|{}|{}",
            value("first_name"),
            value("phone"),
            value("email")
        );
        assert!(
            !labels.values().any(|l| *l == label),
            "two known contacts look alike: {label}"
        );
        labels.insert(id.clone(), label);
    }
    labels
}

/// The cases' contacts and claims as the table holds them.
#[derive(Default)]
struct Snapshot {
    /// Per workspace: each contact's id and values (without its keys).
    contacts: HashMap<&'static str, Vec<(String, Value)>>,
    /// Per workspace: each claim (`phone:<e164>`, `email:<address>`) and the
    /// ids of its holders.
    claims: HashMap<&'static str, Vec<(String, Vec<String>)>>,
}

impl Snapshot {
    /// Files a contact or claim item under its case's workspace.
    fn add(&mut self, cases: &[Case], item: &Item) {
        let pk = item["pk"].as_s().expect("a key");
        for case in cases {
            if pk.starts_with(&keys::contact(case.ws, "")) {
                let id = item["id"].as_s().expect("a contact id").clone();
                let values: serde_json::Map<String, Value> = item
                    .iter()
                    .filter(|(name, _)| !matches!(name.as_str(), "pk" | "sk" | "gsi1pk" | "gsi1sk"))
                    .map(|(name, value)| (name.clone(), json_of(value)))
                    .collect();
                let contacts = self.contacts.entry(case.ws).or_default();
                contacts.push((id, Value::Object(values)));
            }
            for (kind, identifier) in [("phone", Identifier::Phone), ("email", Identifier::Email)] {
                if let Some(value) = pk.strip_prefix(&keys::claim(case.ws, identifier, "")) {
                    let ids = item
                        .get("ids")
                        .and_then(|v| v.as_ss().ok())
                        .cloned()
                        .unwrap_or_default();
                    let claims = self.claims.entry(case.ws).or_default();
                    claims.push((format!("{kind}:{value}"), ids));
                }
            }
        }
    }

    /// Every phone and email the workspace's contacts hold.
    fn identifiers(&self, ws: &str) -> BTreeSet<(&'static str, String)> {
        let mut found = BTreeSet::new();
        for (_, values) in self.contacts.get(ws).into_iter().flatten() {
            for field in ["phone", "email"] {
                if let Some(value) = values[field].as_str() {
                    found.insert((field, value.to_string()));
                }
            }
        }
        found
    }
}

/// Every contact and claim of the cases' workspaces, by scanning the table:
/// every item, whatever its key (slow on moto, which reads the whole table
/// page after page: used while the table is small).
async fn scanned(stack: &Stack, cases: &[Case]) -> Snapshot {
    let table = stack.service.store().table_name();
    let mut snapshot = Snapshot::default();
    for sk in [keys::SK_CONTACT, keys::SK_CLAIM] {
        for item in scan_items(&stack.clients, table, "W#", sk).await {
            snapshot.add(cases, &item);
        }
    }
    snapshot
}

/// The contacts and claims after the imports `imports` (one per case), read
/// by key: the contacts from before, every contact an import may have
/// created (its ids are fixed by (import, row)), and the claims of every
/// phone and email any of them held before or holds now.
async fn read_back(
    stack: &Stack,
    cases: &[Case],
    before: &Snapshot,
    imports: &[String],
) -> Snapshot {
    let table = stack.service.store().table_name();
    let key = |pk: String, sk: &str| -> Item {
        HashMap::from([("pk".to_string(), s(pk)), ("sk".to_string(), s(sk))])
    };
    // One workspace at a time would leave moto waiting on the client.
    let contacts = cases.iter().zip(imports).map(|(case, import)| {
        let known = before.contacts.get(case.ws).into_iter().flatten();
        let ids: BTreeSet<String> = known
            .map(|(id, _)| id.clone())
            .chain((0..=u64::from(ROWS) + 2).map(|row| created_contact_id(import, row)))
            .collect();
        let keys = ids
            .iter()
            .map(|id| key(keys::contact(case.ws, id), keys::SK_CONTACT))
            .collect();
        batch_get(&stack.clients, table, keys)
    });
    let mut after = Snapshot::default();
    for items in all(contacts.collect()).await {
        for item in items.expect("contacts read") {
            after.add(cases, &item);
        }
    }
    let claims = cases.iter().map(|case| {
        let mut identifiers = before.identifiers(case.ws);
        identifiers.extend(after.identifiers(case.ws));
        let keys = identifiers
            .iter()
            .map(|(field, value)| {
                let identifier = match *field {
                    "email" => Identifier::Email,
                    _ => Identifier::Phone,
                };
                key(keys::claim(case.ws, identifier, value), keys::SK_CLAIM)
            })
            .collect();
        batch_get(&stack.clients, table, keys)
    });
    for items in all(claims.collect()).await {
        for item in items.expect("claims read") {
            after.add(cases, &item);
        }
    }
    after
}

/// The SDK's attribute value.
type Attribute = aws_sdk_dynamodb::types::AttributeValue;

/// An attribute as JSON, to compare and print.
fn json_of(value: &Attribute) -> Value {
    if let Ok(text) = value.as_s() {
        json!(text)
    } else if let Ok(number) = value.as_n() {
        serde_json::from_str(number).unwrap_or_else(|_| json!(number))
    } else if let Ok(flag) = value.as_bool() {
        json!(flag)
    } else if let Ok(list) = value.as_l() {
        Value::Array(list.iter().map(json_of).collect())
    } else if let Ok(map) = value.as_m() {
        let sorted: BTreeMap<&String, Value> = map.iter().map(|(k, v)| (k, json_of(v))).collect();
        json!(sorted)
    } else if let Ok(set) = value.as_ss() {
        let mut set = set.clone();
        set.sort();
        json!(set)
    } else if value.is_null() {
        Value::Null
    } else {
        json!(format!("{value:?}"))
    }
}

/// The label of contact `id` after import `import`.
fn label(labels: &Labels, import: &str, id: &str) -> String {
    if id.is_empty() {
        return String::new();
    }
    let created = created_contact_id(import, 0);
    let prefix = created.strip_suffix("000000").expect("row-numbered ids");
    match (labels.get(id), id.strip_prefix(prefix)) {
        (Some(label), _) => label.clone(),
        (None, Some(row)) => format!("row:{row}"),
        (None, None) => format!("stray:{id}"),
    }
}

/// Everything the suite checks of a stack, and the checks that hold in any
/// run: every row once, counts that agree, contacts and claims that agree,
/// one contact per imported row.
async fn outcome(
    stack: &Stack,
    case: &Case,
    snapshot: &Snapshot,
    labels: &Labels,
    reviewed: &Value,
    done: &Value,
) -> Outcome {
    let ws = case.ws;
    let api = client_of(stack, ws);
    let import_id = id_of(done);
    let id = &import_id;
    let rows_total = u64::from(ROWS);
    let counts = result_counts(done);
    assert_eq!(done["progress"]["rows_done"], rows_total, "{ws}: {done}");
    assert_eq!(counts.iter().sum::<u64>(), rows_total, "{ws}: {done}");

    // Every row once, in file order, its status counted.
    let result = result_file(&api, id, case.delimiter).await;
    assert_eq!(result.rows.len(), ROWS as usize, "{ws}: every row once");
    assert_eq!(
        result.status_counts(),
        counts,
        "{ws}: the counts are the result file's"
    );
    let contact_column = result.column("Contact ID");
    let mut rows = Vec::new();
    for (i, row) in result.rows.iter().enumerate() {
        assert_eq!(row[0], format!("R{i}"), "{ws}: row {} in place", i + 2);
        let mut row = row.clone();
        row[contact_column] = label(labels, id, &row[contact_column]);
        rows.push(row);
    }

    // Contacts: the known ones, plus one per imported row, none stray.
    let tag = import_tag_of(done);
    let mut contacts = BTreeMap::new();
    let mut holders: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (contact, values) in snapshot.contacts.get(ws).into_iter().flatten() {
        let name = label(labels, id, contact);
        for kind in ["phone", "email"] {
            if let Some(value) = values[kind].as_str() {
                holders
                    .entry(format!("{kind}:{value}"))
                    .or_default()
                    .insert(name.clone());
            }
        }
        let mut values = values.clone();
        let fields = values.as_object_mut().expect("an object");
        for moment in ["id", "created_at", "updated_at"] {
            fields.remove(moment);
        }
        // The import tag names the minute the import began.
        for t in fields["tags"].as_array_mut().into_iter().flatten() {
            if *t == tag {
                *t = json!("import-tag");
            }
        }
        assert!(contacts.insert(name.clone(), values).is_none(), "{name}");
    }
    let created: BTreeSet<String> = rows
        .iter()
        .filter(|row| row[contact_column - 2] == "Imported")
        .map(|row| row[contact_column].clone())
        .collect();
    assert_eq!(created.len() as u64, counts[0], "{ws}: one contact per row");
    let stored: BTreeSet<String> = contacts
        .keys()
        .filter(|l| !l.starts_with("known:"))
        .cloned()
        .collect();
    assert_eq!(
        stored, created,
        "{ws}: the contacts made are the imported rows'"
    );
    assert_eq!(
        contacts.len(),
        labels.len() + created.len(),
        "{ws}: no known contact lost"
    );

    // Claims: each phone and email claimed by exactly the contacts holding it.
    let mut claims = BTreeMap::new();
    for (value, ids) in snapshot.claims.get(ws).into_iter().flatten() {
        let mut ids: Vec<String> = ids.iter().map(|holder| label(labels, id, holder)).collect();
        ids.sort();
        if !ids.is_empty() {
            claims.insert(value.clone(), ids);
        }
    }
    let expected: BTreeMap<String, Vec<String>> = holders
        .into_iter()
        .map(|(value, names)| (value, names.into_iter().collect()))
        .collect();
    assert_eq!(
        claims, expected,
        "{ws}: the claims are the contacts' identifiers"
    );
    if let Some(identifier) = case.unique {
        let kind = match identifier {
            Identifier::Email => "email:",
            _ => "phone:",
        };
        for (value, ids) in &claims {
            let known_before = ids.iter().all(|l| l.starts_with("known:"));
            assert!(
                !value.starts_with(kind) || ids.len() == 1 || known_before,
                "{ws}: {value} held by {ids:?}"
            );
        }
    }

    // The month's counter is the contacts created; completion happened once.
    let month = month(now());
    let created_this_month = stack
        .service
        .store()
        .workspaces
        .contacts_created(ws, &month)
        .await
        .expect("the counter read");
    assert_eq!(
        created_this_month as usize,
        labels.len() + created.len(),
        "{ws}: the month's counter"
    );
    let notes = stack
        .service
        .store()
        .workspaces
        .notifications(ws)
        .await
        .expect("notifications read");
    let ours = notes
        .iter()
        .filter(|n| n.import.as_ref() == Some(&import_id))
        .count();
    assert_eq!(ours, 1, "{ws}: one notification of the import");
    assert_eq!(
        stack
            .service
            .store()
            .workspaces
            .lock_holder(ws)
            .await
            .expect("lock read"),
        None,
        "{ws}: the lock is released"
    );
    Outcome {
        review: review_counts(reviewed),
        counts,
        rows,
        contacts,
        claims,
    }
}

/// Waits until no message is left in any queue: late copies and
/// redeliveries are handled, and so is anything dead-lettered (which would
/// have failed its import).
async fn drained(stack: &Stack) {
    let r = &stack.resources;
    let queues = [
        &r.uploads_queue_url,
        &r.rows_queue_url,
        &r.jobs_queue_url,
        &r.uploads_dlq_url,
        &r.rows_dlq_url,
        &r.jobs_dlq_url,
    ];
    let start = Instant::now();
    loop {
        let mut left = 0;
        for url in queues {
            left += queue_depth(&stack.clients, url).await;
        }
        if left == 0 {
            return;
        }
        assert!(
            start.elapsed() < STAGE_TIMEOUT,
            "{left} messages still in the queues after {STAGE_TIMEOUT:?}"
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

/// Every case on `stack`: known contacts first (without faults), then the
/// imports at once, faults let loose; answers how each ended.
async fn run(stack: &Stack, cases: &[Case], name: &str) -> Vec<Outcome> {
    let _report = ReportOnPanic(stack);
    let started = Instant::now();
    let lap = |what: &str| {
        eprintln!(
            "fault suite: {name}: {what} after {:.1} s",
            started.elapsed().as_secs_f64()
        );
    };
    stack.calls.pause_random(true);
    all(cases
        .iter()
        .map(|case| prepare(stack, name, case))
        .collect())
    .await;
    let before = scanned(stack, cases).await;
    let labels: Vec<Labels> = cases
        .iter()
        .map(|case| known_labels(before.contacts.get(case.ws).map_or(&[], Vec::as_slice)))
        .collect();
    lap("known contacts in place");
    stack.calls.pause_random(false);
    let imports = cases.iter().map(|case| {
        import(
            name,
            client_of(stack, case.ws),
            case.file_name.to_string(),
            case.bytes.clone(),
            case.options.clone(),
        )
    });
    let ended = all(imports.collect()).await;
    lap("imports completed");
    drained(stack).await;
    lap("queues drained");
    // What is left to read is the end state, not the system under test.
    stack.calls.pause_random(true);
    let imports: Vec<String> = ended.iter().map(|(_, done)| id_of(done)).collect();
    let after = read_back(stack, cases, &before, &imports).await;
    lap("table read");
    let mut outcomes = Vec::new();
    for ((case, labels), (reviewed, done)) in cases.iter().zip(&labels).zip(&ended) {
        outcomes.push(outcome(stack, case, &after, labels, reviewed, done).await);
    }
    lap("end state checked");
    outcomes
}

/// Runs `futures` at once on this task; answers their outputs in order.
async fn all<F: Future>(futures: Vec<F>) -> Vec<F::Output> {
    let mut futures: Vec<Pin<Box<F>>> = futures.into_iter().map(Box::pin).collect();
    let mut outputs: Vec<Option<F::Output>> = futures.iter().map(|_| None).collect();
    std::future::poll_fn(|context| {
        let mut pending = false;
        for (future, output) in futures.iter_mut().zip(outputs.iter_mut()) {
            if output.is_none() {
                match future.as_mut().poll(context) {
                    Poll::Ready(value) => *output = Some(value),
                    Poll::Pending => pending = true,
                }
            }
        }
        if pending {
            Poll::Pending
        } else {
            Poll::Ready(())
        }
    })
    .await;
    outputs.into_iter().flatten().collect()
}

/// Prints what the faults did when the suite fails on the way.
struct ReportOnPanic<'a>(&'a Stack);

impl Drop for ReportOnPanic<'_> {
    fn drop(&mut self) {
        if std::thread::panicking() {
            report(self.0);
        }
    }
}

/// The faults injected and what the pollers did, for the log.
fn report(stack: &Stack) -> u64 {
    let log = stack.calls.fault_log();
    let calls = stack.calls.counts();
    for service in ["DynamoDB", "S3", "SQS"] {
        let made: u64 = calls
            .iter()
            .filter(|((s, _), _)| s == service)
            .map(|(_, n)| n)
            .sum();
        let kinds: Vec<String> = [
            FaultKind::Throttle,
            FaultKind::Unavailable,
            FaultKind::LostAnswer,
        ]
        .iter()
        .map(|kind| {
            let n = log
                .injected
                .get(&(service.to_string(), *kind))
                .copied()
                .unwrap_or(0);
            format!("{n} {}", kind.name())
        })
        .collect();
        eprintln!(
            "fault suite:   {service:<8} {made:>6} calls, faults: {}",
            kinds.join(", ")
        );
    }
    let p = &stack.pollers;
    let n = |a: &std::sync::atomic::AtomicU64| a.load(std::sync::atomic::Ordering::Relaxed);
    eprintln!(
        "fault suite:   {} faults reached the service's code (the SDK's retries absorbed the rest); \
         {} messages handed to two handlers at once, {} handlers killed mid-work, \
         {} messages handed back for another delivery; the most deliveries of one message: {} \
         (the dead-letter queues take a message at its sixth)",
        log.surfaced_total(),
        n(&p.copies),
        n(&p.killed),
        n(&p.handed_back),
        n(&p.most_receives),
    );
    log.total()
}

fn summary(case: &Case, outcome: &Outcome) -> String {
    let [imported, updated, skipped, errors] = outcome.counts;
    format!(
        "{}: {imported} imported, {updated} updated, {skipped} skipped, {errors} errors",
        case.ws
    )
}

/// The faulted run ended exactly as the clean one did.
fn assert_same(case: &Case, clean: &Outcome, faulted: &Outcome) {
    let ws = case.ws;
    assert_eq!(faulted.review, clean.review, "{ws}: the review");
    assert_eq!(faulted.counts, clean.counts, "{ws}: the counts per status");
    for (i, (a, b)) in clean.rows.iter().zip(&faulted.rows).enumerate() {
        assert_eq!(a, b, "{ws}: row {} (status, reason, contact)", i + 2);
    }
    assert_eq!(
        faulted.contacts.len(),
        clean.contacts.len(),
        "{ws}: contacts"
    );
    for (name, values) in &clean.contacts {
        assert_eq!(
            faulted.contacts.get(name),
            Some(values),
            "{ws}: contact {name}"
        );
    }
    assert_eq!(faulted.claims, clean.claims, "{ws}: the claims");
}

/// The faulted stack: random faults on 10 % of the functions' calls,
/// copies, shuffled batches and killed handlers.
fn faulted_stack(seed: u64) -> StackOptions {
    StackOptions {
        visibility_timeout: Some(VISIBILITY_SECONDS),
        random_faults: Some(RandomFaults {
            seed,
            probability: FAULT_RATE,
        }),
        delivery_faults: Some(DeliveryFaults {
            seed,
            copies: 0.4,
            shuffle: true,
            kills: 0.5,
            kill_within: 40,
            kills_per_message: 2,
        }),
        ..StackOptions::default()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn imports_under_random_faults_end_as_clean_runs() {
    let seed = seed();
    let cases = cases();
    eprintln!(
        "fault suite: seed {seed} ({SEED_VAR} to replay another), {} imports × {ROWS} rows",
        cases.len()
    );
    let started = Instant::now();
    // Each run has a moto server of its own, so the two run side by side.
    let clean = async {
        let stack = own_stack(StackOptions::default()).await;
        let outcomes = run(&stack, &cases, "clean").await;
        stack.stop().await;
        (outcomes, started.elapsed())
    };
    let faulted = async {
        let stack = own_stack(faulted_stack(seed)).await;
        let outcomes = run(&stack, &cases, "faulted").await;
        let injected = report(&stack);
        stack.stop().await;
        (outcomes, injected, started.elapsed())
    };
    let ((clean, clean_took), (faulted, injected, faulted_took)) = tokio::join!(clean, faulted);

    for (case, outcome) in cases.iter().zip(&clean) {
        eprintln!("fault suite: clean   {}", summary(case, outcome));
    }
    for (case, outcome) in cases.iter().zip(&faulted) {
        eprintln!("fault suite: faulted {}", summary(case, outcome));
    }
    // Each import meets every way its rows can end, or the comparison
    // proves little.
    for (case, outcome) in cases.iter().zip(&clean) {
        let [imported, updated, skipped, errors] = outcome.counts;
        let every_end = match case.options["purpose"].as_str() {
            Some("add_new") => imported > 0 && skipped > 0 && errors > 0,
            Some("update_existing") => updated > 0 && skipped > 0 && errors > 0,
            Some("add_and_update") => imported > 0 && updated > 0 && errors > 0,
            _ => imported > 0 && errors > 0,
        };
        assert!(every_end, "{}: {:?}", case.ws, outcome.counts);
    }
    for ((case, clean), faulted) in cases.iter().zip(&clean).zip(&faulted) {
        assert_same(case, clean, faulted);
    }
    assert!(injected > 0, "no fault was injected");
    eprintln!(
        "fault suite: {injected} faults injected, {injected} survived: {} imports of {ROWS} rows \
         ended as their clean runs (clean run {:.1} s, faulted run {:.1} s, side by side)",
        cases.len(),
        clean_took.as_secs_f64(),
        faulted_took.as_secs_f64()
    );
}
