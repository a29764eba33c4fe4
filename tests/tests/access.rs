//! The access matrix: every route the API documents, called by every role of
//! the workspace, by every role of another workspace, and without a valid
//! token.
//!
//! - In its own workspace an owner or a manager may call every route; an
//!   agent reads and edits contacts, reads the settings and notifications,
//!   and is answered 403 `forbidden` everywhere else.
//! - A record of another workspace (import, contact, export) answers 404
//!   to its owner, manager and agent alike, exactly as an id that never
//!   existed answers (an agent is refused a manager's route with 403
//!   before anything is looked up, again whatever the id): nothing tells
//!   whether the record exists. Workspace-wide routes act on the caller's
//!   own workspace and show nothing of another.
//! - Without a token, with a malformed one or one signed with another key,
//!   every route but the health check and the API description answers 401.
//!
//! After every refused call the workspace is read back whole: nothing
//! changed. The routes come from the OpenAPI document the API serves, so a
//! route added without its line here fails the test.

use std::collections::BTreeSet;
use std::sync::atomic::{AtomicU32, Ordering};

use contact_service::http::auth::Keys;
use contact_service::operations::Role;
use contact_service::store::keys;
use contacts::client::{Answer, ApiClient};
use end_to_end::{
    PIPELINE_TIMEOUT, completed, ec_phone, file, id_of, ok, query_value, reviewed, seed_contact,
    shared,
};
use serde_json::{Value, json};

/// Who may call a route in their own workspace.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Who {
    /// No token needed.
    Anyone,
    /// Any role: owner, manager or agent.
    Everyone,
    /// Owner or manager.
    Managers,
}

/// The record a route's `{id}` names, if any. A route that changes or ends
/// its record gets one of its own on every call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Needs {
    Nothing,
    Contact,
    FreshContact,
    /// An import in review.
    Review,
    FreshReview,
    /// A completed import.
    Completed,
    /// An import waiting for its upload.
    AwaitingUpload,
    Export,
    /// A contact with a fresh one to merge into it (the body names it).
    MergePair,
    Merge,
    FreshMerge,
    /// A bulk action run in the background.
    Bulk,
    Group,
    FreshGroup,
}

impl Needs {
    /// An id of the record's kind that no workspace holds.
    fn unknown_id(self) -> String {
        match self {
            Needs::Nothing => String::new(),
            Needs::Contact | Needs::FreshContact | Needs::MergePair => {
                contact_service::records::ids::new_id("c")
            }
            Needs::Merge | Needs::FreshMerge => contact_service::records::ids::new_id("mrg"),
            Needs::Review | Needs::FreshReview | Needs::Completed | Needs::AwaitingUpload => {
                contact_service::records::ids::new_id("imp")
            }
            Needs::Export => contact_service::records::ids::new_id("exp"),
            Needs::Bulk => contact_service::records::ids::new_id("blk"),
            Needs::Group | Needs::FreshGroup => contact_service::records::ids::new_id("grp"),
        }
    }
}

struct Route {
    method: &'static str,
    /// The path as the OpenAPI document writes it.
    template: &'static str,
    who: Who,
    needs: Needs,
    /// The answer's status when the call is allowed.
    ok: u16,
    query: fn(&Fixture) -> String,
    /// The body, given the id the path names.
    body: fn(&str) -> Option<Value>,
}

fn no_query(_: &Fixture) -> String {
    String::new()
}

fn no_body(_: &str) -> Option<Value> {
    None
}

/// Phones for the contacts the matrix creates, distinct across the run.
fn next_phone() -> String {
    static NEXT: AtomicU32 = AtomicU32::new(7_100_000);
    ec_phone(NEXT.fetch_add(1, Ordering::Relaxed))
}

/// Group names the matrix creates, distinct across the run.
fn next_group_name() -> String {
    static NEXT: AtomicU32 = AtomicU32::new(1);
    format!("Grupo {}", NEXT.fetch_add(1, Ordering::Relaxed))
}

async fn fresh_group(owner: &ApiClient) -> String {
    let body = json!({"name": next_group_name()});
    let answer = ok(owner.call("POST", "/v1/groups", Some(&body)).await);
    assert_eq!(answer.status, 201, "{}", answer.body);
    answer.body["id"].as_str().unwrap().to_string()
}

fn matrix() -> Vec<Route> {
    let route = |method, template, who, needs, ok| Route {
        method,
        template,
        who,
        needs,
        ok,
        query: no_query,
        body: no_body,
    };
    use Needs::*;
    use Who::*;
    vec![
        route("GET", "/v1/health", Anyone, Nothing, 200),
        route("GET", "/v1/openapi.json", Anyone, Nothing, 200),
        route("GET", "/v1/imports", Managers, Nothing, 200),
        Route {
            body: |_| Some(json!({"file_name": "x.csv", "size_bytes": 10})),
            ..route("POST", "/v1/imports", Managers, Nothing, 201)
        },
        route("GET", "/v1/imports/{id}", Managers, Review, 200),
        Route {
            body: |_| Some(json!({"options": {"tags": ["cambio"]}})),
            ..route("PATCH", "/v1/imports/{id}", Managers, FreshReview, 200)
        },
        route("DELETE", "/v1/imports/{id}", Managers, FreshReview, 200),
        route(
            "POST",
            "/v1/imports/{id}/upload",
            Managers,
            AwaitingUpload,
            200,
        ),
        route(
            "POST",
            "/v1/imports/{id}/confirm",
            Managers,
            FreshReview,
            200,
        ),
        Route {
            query: |_| "?status=error".into(),
            ..route("GET", "/v1/imports/{id}/rows", Managers, Review, 200)
        },
        Route {
            body: |_| Some(json!({"drop": [3]})),
            ..route(
                "POST",
                "/v1/imports/{id}/corrections",
                Managers,
                FreshReview,
                200,
            )
        },
        route("GET", "/v1/imports/{id}/errors", Managers, Review, 302),
        route("GET", "/v1/imports/{id}/result", Managers, Completed, 302),
        Route {
            query: |_| "?tag=vip".into(),
            ..route("GET", "/v1/contacts", Everyone, Nothing, 200)
        },
        Route {
            query: |f| format!("?phone={}", query_value(&f.phone)),
            ..route("GET", "/v1/contacts", Everyone, Nothing, 200)
        },
        Route {
            query: |f| format!("?email={}", query_value(&f.email)),
            ..route("GET", "/v1/contacts", Everyone, Nothing, 200)
        },
        Route {
            body: |_| Some(json!({"first_name": "Nuevo", "phone": next_phone()})),
            ..route("POST", "/v1/contacts", Everyone, Nothing, 201)
        },
        route("GET", "/v1/contacts/{id}", Everyone, Contact, 200),
        Route {
            body: |_| Some(json!({"last_name": "Silva"})),
            ..route("PATCH", "/v1/contacts/{id}", Everyone, Contact, 200)
        },
        route("DELETE", "/v1/contacts/{id}", Managers, FreshContact, 204),
        Route {
            body: |_| Some(json!({"tags": ["nueva"]})),
            ..route("POST", "/v1/contacts/{id}/tags", Everyone, Contact, 200)
        },
        Route {
            body: |_| Some(json!({"tags": ["nueva"]})),
            ..route("DELETE", "/v1/contacts/{id}/tags", Everyone, Contact, 200)
        },
        route(
            "GET",
            "/v1/contacts/{id}/merge-suggestions",
            Everyone,
            Contact,
            200,
        ),
        Route {
            body: |id| Some(json!({"others": [partner_of(id)]})),
            ..route("POST", "/v1/contacts/{id}/merge", Everyone, MergePair, 200)
        },
        route("GET", "/v1/contacts/{id}/activity", Everyone, Contact, 200),
        route("GET", "/v1/merges", Managers, Nothing, 200),
        route("GET", "/v1/merges/{id}", Managers, Merge, 200),
        route("POST", "/v1/merges/{id}/undo", Managers, FreshMerge, 200),
        Route {
            body: |_| {
                Some(
                    json!({"action": "add_tags", "tags": ["masiva"], "filter": {"tags": [UNUSED_TAG]}}),
                )
            },
            ..route("POST", "/v1/bulk-actions", Everyone, Nothing, 202)
        },
        Route {
            body: |_| Some(json!({"action": "delete", "filter": {"tags": [UNUSED_TAG]}})),
            ..route("POST", "/v1/bulk-actions", Managers, Nothing, 202)
        },
        route("GET", "/v1/bulk-actions", Everyone, Nothing, 200),
        route("GET", "/v1/bulk-actions/{id}", Everyone, Bulk, 200),
        route("GET", "/v1/groups", Everyone, Nothing, 200),
        Route {
            body: |_| Some(json!({"name": next_group_name()})),
            ..route("POST", "/v1/groups", Managers, Nothing, 201)
        },
        route("GET", "/v1/groups/{id}", Everyone, Group, 200),
        Route {
            body: |_| Some(json!({"name": next_group_name()})),
            ..route("PATCH", "/v1/groups/{id}", Managers, FreshGroup, 200)
        },
        route("DELETE", "/v1/groups/{id}", Managers, FreshGroup, 200),
        route("GET", "/v1/settings", Everyone, Nothing, 200),
        Route {
            body: |_| Some(json!({"default_country": "EC"})),
            ..route("PUT", "/v1/settings", Managers, Nothing, 200)
        },
        Route {
            body: |_| Some(json!({"default_country": "EC"})),
            ..route("PATCH", "/v1/settings", Managers, Nothing, 200)
        },
        route("GET", "/v1/settings/mappings", Everyone, Nothing, 200),
        Route {
            body: |_| Some(json!({"columns": [{"header": "Segmento", "field": "tags"}]})),
            ..route("PUT", "/v1/settings/mappings", Managers, Nothing, 200)
        },
        route("DELETE", "/v1/settings/mappings", Managers, Nothing, 204),
        Route {
            body: |_| Some(json!({})),
            ..route("POST", "/v1/exports", Managers, Nothing, 202)
        },
        route("GET", "/v1/exports", Managers, Nothing, 200),
        route("GET", "/v1/exports/{id}", Managers, Export, 200),
        route("GET", "/v1/notifications", Everyone, Nothing, 200),
        route("GET", "/v1/plan", Everyone, Nothing, 200),
    ]
}

/// A tag no contact of the matrix carries: bulk actions over it change
/// nothing.
const UNUSED_TAG: &str = "nunca-usada";

/// A workspace with one record of every kind, made by its owner.
struct Fixture {
    ws: String,
    owner: ApiClient,
    contact: String,
    phone: String,
    email: String,
    review: String,
    completed: String,
    export: String,
    /// An import waiting for its upload.
    awaiting: String,
    merge: String,
    bulk: String,
    group: String,
}

/// A two-row file: one good row, one in error (so the error file has a row).
fn one_contact_file() -> Vec<u8> {
    file(&[
        "Nombre,Teléfono".into(),
        format!("Luis,{}", next_phone()),
        "Sin número,no es un número".into(),
    ])
}

async fn fresh_review(owner: &ApiClient) -> String {
    id_of(&reviewed(owner, "acceso.csv", &one_contact_file(), None).await)
}

async fn awaiting_upload(owner: &ApiClient) -> String {
    let body = json!({"file_name": "espera.csv", "size_bytes": 10});
    let created = ok(owner.call("POST", "/v1/imports", Some(&body)).await);
    assert_eq!(created.status, 201, "{}", created.body);
    id_of(&created.body)
}

async fn fresh_contact(owner: &ApiClient) -> String {
    let contact = seed_contact(
        owner,
        json!({"first_name": "Ana", "phone": next_phone(), "tags": ["vip"]}),
    )
    .await;
    contact["id"].as_str().unwrap().to_string()
}

/// The contact each `MergePair` id is to be merged with.
static PARTNERS: std::sync::LazyLock<std::sync::Mutex<std::collections::HashMap<String, String>>> =
    std::sync::LazyLock::new(Default::default);

/// The contact to merge into `id` (one no workspace holds, for an id not
/// made as a `MergePair`).
fn partner_of(id: &str) -> String {
    PARTNERS
        .lock()
        .unwrap()
        .get(id)
        .cloned()
        .unwrap_or_else(|| contact_service::records::ids::new_id("c"))
}

/// Two fresh contacts: the first, and the one to merge into it.
async fn fresh_pair(owner: &ApiClient) -> (String, String) {
    (fresh_contact(owner).await, fresh_contact(owner).await)
}

/// Two fresh contacts merged: the merge's id.
async fn fresh_merge(owner: &ApiClient) -> String {
    let (into, other) = fresh_pair(owner).await;
    let answer = ok(owner
        .call(
            "POST",
            &format!("/v1/contacts/{into}/merge"),
            Some(&json!({"others": [other]})),
        )
        .await);
    assert_eq!(answer.status, 200, "merge: {}", answer.body);
    answer.body["id"].as_str().unwrap().to_string()
}

async fn fixture(ws: &str) -> Fixture {
    let owner = shared().owner(ws);
    let phone = next_phone();
    let email = format!("ana.{}@example.com", &phone[1..]);
    let contact = seed_contact(
        &owner,
        json!({"first_name": "Ana", "phone": phone, "email": email, "tags": ["vip"]}),
    )
    .await["id"]
        .as_str()
        .unwrap()
        .to_string();
    let done = fresh_review(&owner).await;
    let answer = ok(owner
        .call("POST", &format!("/v1/imports/{done}/confirm"), None)
        .await);
    assert_eq!(answer.status, 200, "confirm: {}", answer.body);
    completed(&owner, &done).await;
    let review = fresh_review(&owner).await;
    let awaiting = awaiting_upload(&owner).await;
    let merge = fresh_merge(&owner).await;
    let export = ok(owner.call("POST", "/v1/exports", Some(&json!({}))).await);
    assert_eq!(export.status, 202, "{}", export.body);
    let export = export.body["id"].as_str().unwrap().to_string();
    let group = fresh_group(&owner).await;
    let bulk = json!({"action": "block", "filter": {"tags": [UNUSED_TAG]}});
    let bulk = ok(owner.call("POST", "/v1/bulk-actions", Some(&bulk)).await);
    assert_eq!(bulk.status, 202, "{}", bulk.body);
    let bulk = bulk.body["id"].as_str().unwrap().to_string();
    // Both run in the background: wait for them, so that reading the
    // workspace before and after the refused calls compares like with like.
    for path in [
        format!("/v1/exports/{export}"),
        format!("/v1/bulk-actions/{bulk}"),
    ] {
        let start = std::time::Instant::now();
        loop {
            let answer = ok(owner.call("GET", &path, None).await);
            if answer.body["status"] != "running" {
                assert_eq!(answer.body["status"], "completed", "{}", answer.body);
                break;
            }
            assert!(start.elapsed() < PIPELINE_TIMEOUT, "{path}");
            tokio::time::sleep(std::time::Duration::from_millis(200)).await;
        }
    }
    Fixture {
        ws: ws.to_string(),
        owner,
        contact,
        phone,
        email,
        review,
        completed: done,
        export,
        awaiting,
        merge,
        bulk,
        group,
    }
}

impl Fixture {
    /// The id a route names in this workspace; the records a call changes
    /// are made afresh.
    async fn id_for(&self, needs: Needs) -> String {
        match needs {
            Needs::Nothing => String::new(),
            Needs::Contact => self.contact.clone(),
            Needs::FreshContact => fresh_contact(&self.owner).await,
            Needs::Review => self.review.clone(),
            Needs::FreshReview => fresh_review(&self.owner).await,
            Needs::Completed => self.completed.clone(),
            Needs::AwaitingUpload => awaiting_upload(&self.owner).await,
            Needs::Export => self.export.clone(),
            Needs::MergePair => {
                let (into, other) = fresh_pair(&self.owner).await;
                PARTNERS.lock().unwrap().insert(into.clone(), other);
                into
            }
            Needs::Merge => self.merge.clone(),
            Needs::FreshMerge => fresh_merge(&self.owner).await,
            Needs::Bulk => self.bulk.clone(),
            Needs::Group => self.group.clone(),
            Needs::FreshGroup => fresh_group(&self.owner).await,
        }
    }

    /// The id of the fixture's own record of the kind a route names, never
    /// a fresh one: for calls that must change nothing.
    fn standing_id(&self, needs: Needs) -> String {
        match needs {
            Needs::Nothing => String::new(),
            Needs::Contact | Needs::FreshContact | Needs::MergePair => self.contact.clone(),
            Needs::Review | Needs::FreshReview => self.review.clone(),
            Needs::Completed => self.completed.clone(),
            Needs::AwaitingUpload => self.awaiting.clone(),
            Needs::Export => self.export.clone(),
            Needs::Merge | Needs::FreshMerge => self.merge.clone(),
            Needs::Bulk => self.bulk.clone(),
            Needs::Group | Needs::FreshGroup => self.group.clone(),
        }
    }

    /// The ids of its records: none may show in another workspace's answers.
    fn ids(&self) -> [&str; 8] {
        [
            &self.bulk,
            &self.group,
            &self.contact,
            &self.review,
            &self.completed,
            &self.export,
            &self.awaiting,
            &self.merge,
        ]
    }
}

async fn call(api: &ApiClient, route: &Route, fx: &Fixture, id: &str) -> Answer {
    let path = format!(
        "{}{}",
        route.template.replace("{id}", id),
        (route.query)(fx)
    );
    ok(api
        .call(route.method, &path, (route.body)(id).as_ref())
        .await)
}

fn describe(route: &Route) -> String {
    format!("{} {}", route.method, route.template)
}

/// The workspace as its owner reads it, links left out (each read signs a
/// fresh one).
async fn snapshot(fx: &Fixture) -> Value {
    let mut reads = Vec::new();
    for path in [
        format!("/v1/contacts/{}", fx.contact),
        format!("/v1/imports/{}", fx.review),
        format!("/v1/imports/{}", fx.completed),
        format!("/v1/exports/{}", fx.export),
        format!("/v1/merges/{}", fx.merge),
        format!("/v1/bulk-actions/{}", fx.bulk),
        format!("/v1/groups/{}", fx.group),
        format!("/v1/contacts/{}/activity", fx.contact),
        "/v1/settings".to_string(),
        "/v1/settings/mappings".to_string(),
        "/v1/merges?limit=100".to_string(),
        "/v1/bulk-actions?limit=100".to_string(),
        "/v1/groups?limit=100".to_string(),
        "/v1/contacts?limit=100".to_string(),
        "/v1/imports?limit=100".to_string(),
        "/v1/notifications".to_string(),
    ] {
        let answer = ok(fx.owner.call("GET", &path, None).await);
        assert_eq!(answer.status, 200, "{path}: {}", answer.body);
        let mut body = answer.body;
        strip_links(&mut body);
        reads.push(json!({"path": path, "body": body}));
    }
    Value::Array(reads)
}

fn strip_links(value: &mut Value) {
    match value {
        Value::Object(map) => {
            map.remove("url");
            map.values_mut().for_each(strip_links);
        }
        Value::Array(items) => items.iter_mut().for_each(strip_links),
        _ => {}
    }
}

fn assert_forbidden(answer: &Answer, what: &str) {
    assert_eq!(answer.status, 403, "{what}: {}", answer.body);
    assert_eq!(answer.code(), "forbidden", "{what}: {}", answer.body);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_matrix_covers_every_route_the_api_documents() {
    let s = shared();
    let anonymous = ApiClient::new(&s.api_url, None);
    let doc = ok(anonymous.call("GET", "/v1/openapi.json", None).await);
    assert_eq!(doc.status, 200, "{}", doc.body);
    let mut documented = BTreeSet::new();
    for (path, item) in doc.body["paths"].as_object().expect("paths") {
        for method in ["get", "put", "post", "delete", "patch", "head", "options"] {
            if item.get(method).is_some() {
                documented.insert((method.to_uppercase(), path.clone()));
            }
        }
    }
    let covered: BTreeSet<(String, String)> = matrix()
        .iter()
        .map(|r| (r.method.to_string(), r.template.to_string()))
        .collect();
    let missing: Vec<_> = documented.difference(&covered).collect();
    assert!(
        missing.is_empty(),
        "routes with no line in the matrix: {missing:?}"
    );
    let undocumented: Vec<_> = covered.difference(&documented).collect();
    assert!(
        undocumented.is_empty(),
        "lines of the matrix the document does not describe: {undocumented:?}"
    );
    // Every line of the matrix is a route the router serves: none answers
    // the router's own "no such route" or "method not allowed".
    let owner = s.owner("acc-routes");
    for route in matrix() {
        let id = route.needs.unknown_id();
        let path = route.template.replace("{id}", &id);
        let answer = ok(owner
            .call(route.method, &path, (route.body)(&id).as_ref())
            .await);
        assert!(
            answer.status != 405 && answer.body["error"]["message"] != "no such route",
            "{}: {} {}",
            describe(&route),
            answer.status,
            answer.body
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn owners_and_managers_may_call_every_route_of_their_workspace() {
    let s = shared();
    let run = |role: Role, ws: &'static str| async move {
        let fx = fixture(ws).await;
        let api = s.client(ws, role);
        for route in matrix() {
            let id = fx.id_for(route.needs).await;
            let answer = call(&api, &route, &fx, &id).await;
            assert_eq!(
                answer.status,
                route.ok,
                "{role:?}, {}: {}",
                describe(&route),
                answer.body
            );
            if route.template.ends_with("/confirm") {
                // One import at a time: let it finish before the next call.
                completed(&api, &id).await;
            }
        }
    };
    tokio::join!(
        run(Role::Owner, "acc-own-owner"),
        run(Role::Manager, "acc-own-manager")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn agents_read_and_edit_contacts_and_are_refused_the_rest() {
    let s = shared();
    let fx = fixture("acc-own-agent").await;
    let agent = s.client(&fx.ws, Role::Agent);
    let before = snapshot(&fx).await;
    for route in matrix().iter().filter(|r| r.who == Who::Managers) {
        let id = fx.id_for(route.needs).await;
        let answer = call(&agent, route, &fx, &id).await;
        assert_forbidden(&answer, &format!("agent, {}", describe(route)));
    }
    // The fresh records the refused calls were given are the owner's own
    // doing; nothing else may differ.
    let after = snapshot(&fx).await;
    assert_same_except_new_records(&before, &after);
    for route in matrix().iter().filter(|r| r.who != Who::Managers) {
        let id = fx.id_for(route.needs).await;
        let answer = call(&agent, route, &fx, &id).await;
        assert_eq!(
            answer.status,
            route.ok,
            "agent, {}: {}",
            describe(route),
            answer.body
        );
    }
}

/// `before` and `after` agree on every record `before` read; listings may
/// only have gained the records made for the refused calls.
fn assert_same_except_new_records(before: &Value, after: &Value) {
    for (b, a) in before
        .as_array()
        .unwrap()
        .iter()
        .zip(after.as_array().unwrap())
    {
        let path = b["path"].as_str().unwrap();
        if path.contains('?') {
            let items = |v: &Value| -> Vec<Value> {
                v["body"]["items"].as_array().cloned().unwrap_or_default()
            };
            for item in items(b) {
                assert!(
                    items(a).contains(&item),
                    "{path}: {item} changed or went missing"
                );
            }
        } else {
            assert_eq!(b, a, "{path} changed");
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn another_workspace_finds_nothing_and_changes_nothing() {
    let s = shared();
    let fx = fixture("acc-victim").await;
    let before = snapshot(&fx).await;
    // A cursor of the victim's listing, to be handed to the strangers.
    let first_page = ok(fx.owner.call("GET", "/v1/contacts?limit=1", None).await);
    let cursor = first_page.body["cursor"].as_str().map(str::to_string);
    for role in [Role::Owner, Role::Manager, Role::Agent] {
        let stranger = s.client("acc-stranger", role);
        for route in &matrix() {
            let what = format!("{role:?} of another workspace, {}", describe(route));
            if route.needs == Needs::Nothing {
                // The caller's own workspace is acted on: nothing of the
                // victim's shows.
                let answer = call(&stranger, route, &fx, "").await;
                for id in fx.ids() {
                    assert!(
                        !answer.body.to_string().contains(id),
                        "{what}: {id} in {}",
                        answer.body
                    );
                }
                continue;
            }
            // The victim's own record, even for the routes that change it.
            let id = fx.standing_id(route.needs);
            let theirs = call(&stranger, route, &fx, &id).await;
            let nobodys = call(&stranger, route, &fx, &route.needs.unknown_id()).await;
            if role == Role::Agent && route.who == Who::Managers {
                assert_forbidden(&theirs, &what);
            } else {
                assert_eq!(theirs.status, 404, "{what}: {}", theirs.body);
                assert_eq!(theirs.code(), "not_found", "{what}: {}", theirs.body);
            }
            assert_eq!(
                (theirs.status, &theirs.body),
                (nobodys.status, &nobodys.body),
                "{what}: a record of another workspace answers as one that never existed"
            );
        }
        // Ids written as keys, and the victim's cursor, reach nothing either.
        for forged in [
            format!(
                "/v1/contacts/{}",
                keys::contact(&fx.ws, &fx.contact).replace('#', "%23")
            ),
            format!("/v1/contacts/..%2F{}", fx.contact),
            format!("/v1/imports/{}%23IMPORT", fx.review),
        ] {
            let answer = ok(stranger.call("GET", &forged, None).await);
            assert!(
                [403, 404].contains(&answer.status),
                "{role:?} {forged}: {} {}",
                answer.status,
                answer.body
            );
        }
        if let Some(cursor) = &cursor {
            let page = ok(stranger
                .call("GET", &format!("/v1/contacts?cursor={cursor}"), None)
                .await);
            assert!(
                !page.body.to_string().contains(&fx.contact),
                "{role:?}: the victim's cursor listed {}",
                page.body
            );
        }
    }
    assert_eq!(
        before,
        snapshot(&fx).await,
        "the victim's workspace changed"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn calls_without_a_valid_token_are_refused() {
    let s = shared();
    let fx = fixture("acc-no-token").await;
    let before = snapshot(&fx).await;
    let forged = Keys::new(b"not the stack's key").sign(&fx.ws, Role::Owner, 3600);
    let callers = [
        ("no token", ApiClient::new(&s.api_url, None)),
        (
            "a malformed token",
            ApiClient::new(&s.api_url, Some("not-a-jwt".into())),
        ),
        (
            "a token signed with another key",
            ApiClient::new(&s.api_url, Some(forged)),
        ),
    ];
    for route in &matrix() {
        let id = fx.standing_id(route.needs);
        for (how, api) in &callers {
            let answer = call(api, route, &fx, &id).await;
            if route.who == Who::Anyone {
                assert_eq!(answer.status, route.ok, "{how}, {}", describe(route));
            } else {
                assert_eq!(
                    answer.status,
                    401,
                    "{how}, {}: {}",
                    describe(route),
                    answer.body
                );
                assert_eq!(answer.code(), "unauthorized", "{}", answer.body);
            }
        }
    }
    // Another scheme than Bearer is no token at all.
    let basic = reqwest::Client::new()
        .get(format!("{}/v1/settings", s.api_url))
        .header("authorization", "Basic b3duZXI6b3duZXI=")
        .send()
        .await
        .unwrap();
    assert_eq!(basic.status().as_u16(), 401);
    assert_eq!(before, snapshot(&fx).await, "the workspace changed");
}
