//! Settings, exports, notifications, the month-end reset and the contact
//! limit at write time, on the local stack.
//!
//! Resets and the write-time limit need a say over when messages run: those
//! tests build a second `Service` on the same stack whose jobs (or rows)
//! queue nobody polls, and hand its messages to the handlers themselves —
//! twice, out of order, or not at all (a function that dies) — exactly as
//! Lambda's event source mapping would, over the real SQS wire protocol.

use std::collections::{BTreeSet, HashMap};
use std::time::Duration;

use aws_lambda_events::event::sqs::{SqsEvent, SqsMessage};
use aws_sdk_sqs::types::QueueAttributeName;
use contact_service::lambda;
use contact_service::operations::{Caller, Role};
use contact_service::operations::{Config, Service};
use contact_service::records::time::{local_month, month, now, rfc3339};
use contact_service::records::{Contact, JobStatus};
use contact_service::store::{Resources, RowWrite, Store};
use contacts::client::ApiClient;
use contacts::stack::local::{Stack, StackOptions};
use end_to_end::{
    CsvFile, ec_phone, export_done, file, id_of, lock_holder, ok, own_stack, result_file, reviewed,
    seed_contact, shared, stored_job,
};
use serde_json::{Value, json};

mod bulk;
mod listings;
mod plan;
mod resets;
mod settings;
mod upgrades;

use self::resets::*;

async fn put_settings(api: &ApiClient, settings: Value) -> Value {
    let answer = ok(api.call("PUT", "/v1/settings", Some(&settings)).await);
    assert_eq!(
        answer.status, 200,
        "PUT /v1/settings {settings}: {}",
        answer.body
    );
    answer.body
}

async fn fetch_csv(url: &str) -> CsvFile {
    let answer = reqwest::get(url).await.expect("the presigned link answers");
    assert_eq!(answer.status(), 200, "GET {url}");
    CsvFile::parse(&answer.bytes().await.unwrap(), b',')
}

async fn notifications(api: &ApiClient) -> Vec<Value> {
    let answer = ok(api.call("GET", "/v1/notifications", None).await);
    assert_eq!(answer.status, 200, "{}", answer.body);
    answer.body["items"].as_array().cloned().unwrap_or_default()
}

/// Every contact of a workspace, straight from the table's shards.
async fn all_contacts(service: &Service, ws: &str) -> Vec<Contact> {
    let mut all = Vec::new();
    for shard in 0..contact_service::store::keys::CONTACT_SHARDS {
        let mut after = None;
        loop {
            let page = service
                .store()
                .contacts
                .read_shard(ws, shard, after.as_deref(), 100)
                .await
                .unwrap();
            all.extend(page.contacts);
            match page.stopped_after {
                Some(id) => after = Some(id),
                None => break,
            }
        }
    }
    all
}

/// Changes a stored contact behind the API's back, as another writer would.
async fn edit_stored(stack: &Stack, ws: &str, id: &str, change: impl FnOnce(&mut Contact)) {
    let contacts = &stack.service.store().contacts;
    let before = contacts.contact(ws, id).await.unwrap().unwrap();
    let mut contact = before.clone();
    change(&mut contact);
    let write = RowWrite {
        contact: &contact,
        before: Some(&before),
        entry: None,
    };
    let written = contacts.write_rows(ws, &[write], None).await.unwrap();
    assert_eq!(written, [true]);
}

/// Contacts the workspace created this month (its count less those
/// carried over), as the limit counts them.
async fn created_this_month(stack: &Stack, ws: &str) -> u64 {
    let store = stack.service.store();
    let settings = store.workspaces.settings(ws).await.unwrap();
    let month = local_month(now(), settings.zone());
    store
        .plan
        .month(ws, &month)
        .await
        .unwrap()
        .map_or(0, |count| count.created())
}

fn names(contacts: &[Contact]) -> BTreeSet<String> {
    contacts
        .iter()
        .filter_map(|c| c.first_name.clone())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn settings_are_checked_stored_and_kept_from_agents() {
    let s = shared();
    let ws = "ws_settings";
    let owner = s.owner(ws);
    let agent = s.client(ws, Role::Agent);

    let defaults = ok(agent.call("GET", "/v1/settings", None).await);
    assert_eq!(defaults.status, 200);
    assert_eq!(
        defaults.body["monthly_reset"],
        json!({"mode": "off", "tag": "Borrar"})
    );
    assert_eq!(defaults.body["contact_limit"], Value::Null);

    let stored = put_settings(
        &owner,
        json!({"default_country": "ec", "contact_limit": 500,
               "monthly_reset": {"mode": "tagged", "tag": " Baja "},
               "custom_fields": [
                   {"key": "empresa", "label": "Empresa", "type": "text"},
                   {"key": "plan", "label": "Plan", "type": "list", "options": ["básico", "pro"]},
                   {"key": "visita", "label": "Última visita", "type": "date"}]}),
    )
    .await;
    assert_eq!(stored["default_country"], "EC");
    assert_eq!(stored["monthly_reset"]["tag"], "Baja");
    let read = ok(owner.call("GET", "/v1/settings", None).await).body;
    assert_eq!(read, stored);

    for bad in [
        json!({"default_country": "Ecuador"}),
        json!({"contact_limit": -3}),
        json!({"monthly_reset": {"mode": "weekly"}}),
        json!({"custom_fields": [{"key": "a b", "label": "x", "type": "text"}]}),
        json!({"custom_fields": [{"key": "n", "label": "x", "type": "list", "options": []}]}),
        json!({"colour": "red"}),
    ] {
        let answer = ok(owner.call("PUT", "/v1/settings", Some(&bad)).await);
        assert_eq!(answer.status, 400, "{bad}: {}", answer.body);
        assert!(answer.body["error"]["code"].is_string(), "{}", answer.body);
    }
    let answer = ok(agent.call("PUT", "/v1/settings", Some(&json!({}))).await);
    assert_eq!(answer.status, 403, "{}", answer.body);
    // Nothing a refused call sent was kept.
    assert_eq!(
        ok(owner.call("GET", "/v1/settings", None).await).body,
        stored
    );

    // Imports use them: the custom field maps and its values are checked
    // by type, the default country reads local numbers.
    let bytes = file(&[
        "Nombre,Teléfono,Empresa,Visita".to_string(),
        format!("Ana,{},Loja,2026-11-02", &ec_phone(1)[4..]),
        format!("Luis,{},Tienda,ayer", &ec_phone(2)[4..]),
    ]);
    let import = reviewed(&owner, "clientes.csv", &bytes, None).await;
    assert_eq!(import["review"]["errors"], 1, "{import}");
    let mapping = import["mapping"].to_string();
    assert!(
        mapping.contains("custom:empresa") && mapping.contains("custom:visita"),
        "{mapping}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn exports_write_every_matching_contact_with_formulas_escaped() {
    let s = shared();
    let ws = "ws_export";
    let owner = s.owner(ws);
    put_settings(
        &owner,
        json!({"custom_fields": [{"key": "empresa", "label": "Empresa", "type": "text"}]}),
    )
    .await;
    let mut vip = BTreeSet::new();
    for i in 0..45u32 {
        let tags = if i % 3 == 0 {
            json!(["VIP"])
        } else {
            json!(["otro"])
        };
        let name = if i == 7 {
            "=HYPERLINK(\"x\")".to_string()
        } else {
            format!("Cliente {i}")
        };
        let contact = seed_contact(
            &owner,
            json!({"first_name": name, "phone": ec_phone(100 + i), "tags": tags,
                   "custom_fields": {"empresa": format!("@empresa {i}")}}),
        )
        .await;
        if i % 3 == 0 {
            vip.insert(contact["id"].as_str().unwrap().to_string());
        }
    }

    let started = ok(owner.call("POST", "/v1/exports", Some(&json!({}))).await);
    assert_eq!(started.status, 202, "{}", started.body);
    assert_eq!(started.body["status"], "running");
    let done = export_done(&owner, started.body["id"].as_str().unwrap()).await;
    assert_eq!(done["status"], "completed", "{done}");
    assert_eq!(done["rows"], 45);
    assert!(done["available_until"].is_string(), "{done}");
    let csv = fetch_csv(done["url"].as_str().unwrap()).await;
    assert_eq!(csv.rows.len(), 45);
    assert_eq!(csv.headers[..4], ["id", "first_name", "last_name", "phone"]);
    // A custom field's column has the name a mapping gives it.
    assert_eq!(
        csv.headers.last().map(String::as_str),
        Some("custom:empresa")
    );
    let ids: BTreeSet<&str> = csv.values("id").into_iter().collect();
    assert_eq!(ids.len(), 45, "every contact exactly once");
    // A cell a spreadsheet would run is escaped; an E.164 phone is not.
    assert!(csv.values("first_name").contains(&"'=HYPERLINK(\"x\")"));
    assert!(
        csv.values("custom:empresa")
            .iter()
            .all(|v| v.starts_with("'@empresa"))
    );
    assert!(
        csv.values("phone").iter().all(|p| p.starts_with("+593")),
        "{:?}",
        csv.values("phone")
    );

    // By tag (any case), in the columns asked for.
    let started = ok(owner
        .call(
            "POST",
            "/v1/exports",
            Some(&json!({"tag": "vip", "columns": ["id", "phone"]})),
        )
        .await);
    assert_eq!(started.status, 202, "{}", started.body);
    let done = export_done(&owner, started.body["id"].as_str().unwrap()).await;
    let csv = fetch_csv(done["url"].as_str().unwrap()).await;
    assert_eq!(csv.headers, ["id", "phone"]);
    let ids: BTreeSet<String> = csv.values("id").into_iter().map(str::to_string).collect();
    assert_eq!(ids, vip);

    // The workspace is told, with a link.
    let notes = notifications(&owner).await;
    let ready: Vec<&Value> = notes
        .iter()
        .filter(|n| n["kind"] == "export_ready")
        .collect();
    assert_eq!(ready.len(), 2, "{notes:?}");
    assert!(ready.iter().all(|n| n["url"].is_string()), "{ready:?}");

    // Refusals: bad columns, agents, another workspace.
    for bad in [
        json!({"columns": ["nickname"]}),
        json!({"columns": ["empresa"]}),
        json!({"columns": []}),
        json!({"tag": ""}),
        json!({"columns": ["id", "id"]}),
        json!({"format": "xlsx"}),
    ] {
        let answer = ok(owner.call("POST", "/v1/exports", Some(&bad)).await);
        assert_eq!(answer.status, 400, "{bad}: {}", answer.body);
    }
    let agent = s.client(ws, Role::Agent);
    assert_eq!(
        ok(agent.call("POST", "/v1/exports", Some(&json!({}))).await).status,
        403
    );
    let path = format!("/v1/exports/{}", started.body["id"].as_str().unwrap());
    assert_eq!(ok(agent.call("GET", &path, None).await).status, 403);
    assert_eq!(
        ok(s.owner("ws_export_other").call("GET", &path, None).await).status,
        404
    );
    assert_eq!(
        ok(owner.call("GET", "/v1/exports/exp_nothing", None).await).status,
        404
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_contact_limit_holds_at_write_time() {
    let stack = own_stack(StackOptions::default()).await;
    let manual = Manual::new(&stack, "limit").await;
    let ws = "ws_limit_write";
    let owner = end_to_end::client(&stack.api_url, &stack.auth, ws, Role::Owner);
    put_settings(&owner, json!({"contact_limit": 6})).await;
    let lines: Vec<String> = std::iter::once("Nombre,Teléfono".to_string())
        .chain((0..5u32).map(|i| format!("Fila {i},{}", ec_phone(700 + i))))
        .collect();
    let import = reviewed(&owner, "limite.csv", &file(&lines), None).await;
    assert_eq!(
        import["review"]["to_add"], 5,
        "the review predicts 5: {import}"
    );
    // Confirmed; its fan-out waits on a queue nobody polls…
    let caller = Caller {
        workspace: ws.into(),
        role: Role::Owner,
        user: None,
    };
    manual
        .service
        .imports
        .confirm(&caller, &id_of(&import))
        .await
        .unwrap();
    // …while the API creates 4 contacts: 2 new contacts are left this month.
    for i in 0..4u32 {
        seed_contact(
            &owner,
            json!({"first_name": "API", "phone": ec_phone(800 + i)}),
        )
        .await;
    }
    // …then the confirm's fan-out sends the chunk…
    let fan_out = manual.receive(&manual.jobs_url).await;
    assert_eq!(fan_out.len(), 1, "the confirm queued one fan-out");
    lambda::jobs(&manual.service, event(&fan_out.iter().collect::<Vec<_>>())).await;
    manual.delete(&manual.jobs_url, &fan_out[0]).await;
    // …and the chunk is delivered twice.
    loop {
        let messages = manual.receive(&manual.rows_url).await;
        if messages.is_empty() {
            break;
        }
        let all: Vec<&aws_sdk_sqs::types::Message> = messages.iter().collect();
        for _ in 0..2 {
            lambda::rows(&manual.service, event(&all)).await;
        }
        for m in &messages {
            manual.delete(&manual.rows_url, m).await;
        }
    }
    let done = ok(owner.import(&id_of(&import)).await).body;
    assert_eq!(done["status"], "completed", "{done}");
    assert_eq!(done["result"]["imported"], 2, "{done}");
    assert_eq!(done["result"]["errors"], 3, "{done}");
    let result = result_file(&owner, &id_of(&import), b',').await;
    let errors: Vec<&str> = result
        .values("Errors")
        .into_iter()
        .filter(|e| !e.is_empty())
        .collect();
    assert_eq!(errors.len(), 3);
    assert!(
        errors.iter().all(|e| e.contains("contact limit")),
        "{errors:?}"
    );
    assert_eq!(created_this_month(&stack, ws).await, 6);
    // The limit is reached for the API as well.
    let answer = ok(owner
        .call(
            "POST",
            "/v1/contacts",
            Some(&json!({"first_name": "Y", "phone": ec_phone(898)})),
        )
        .await);
    assert_eq!(
        (answer.status, answer.body["error"]["code"].as_str()),
        (409, Some("contact_limit_reached")),
        "{}",
        answer.body
    );
    stack.stop().await;
}
