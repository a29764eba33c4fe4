//! The plan's count as the product defines it: the contacts carried over
//! into a month plus those created in it, deleting giving nothing back,
//! months turning at the workspace's own midnight; the hourly schedule
//! resetting each workspace at its midnight; counters from before months
//! were opened migrating without a gap or a double count.

use aws_sdk_dynamodb::types::AttributeValue;
use contact_service::records::Settings;
use contact_service::records::zones::default_zone;
use contact_service::store::keys;
use contacts::client::Answer;
use end_to_end::assert_error;

use super::*;

async fn plan(api: &ApiClient) -> Value {
    let answer = ok(api.call("GET", "/v1/plan", None).await);
    assert_eq!(answer.status, 200, "{}", answer.body);
    answer.body
}

fn counts(plan: &Value) -> (u64, u64, u64, Option<u64>) {
    (
        plan["carried"].as_u64().unwrap(),
        plan["created"].as_u64().unwrap(),
        plan["count"].as_u64().unwrap(),
        plan["remaining"].as_u64(),
    )
}

async fn create(api: &ApiClient, i: u32) -> Answer {
    ok(api
        .call(
            "POST",
            "/v1/contacts",
            Some(&json!({"first_name": format!("P{i}"), "phone": ec_phone(900 + i)})),
        )
        .await)
}

/// The month's count item, as the table holds it.
fn counter_key(ws: &str, month: &str) -> HashMap<String, AttributeValue> {
    HashMap::from([
        ("pk".to_string(), AttributeValue::S(keys::workspace(ws))),
        (
            "sk".to_string(),
            AttributeValue::S(keys::counters_sk(month)),
        ),
    ])
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_month_counts_the_contacts_carried_over_plus_those_created_and_deleting_gives_nothing_back()
 {
    let stack = own_stack(StackOptions::default()).await;
    let ws = "ws_plan_count";
    let owner = end_to_end::client(&stack.api_url, &stack.auth, ws, Role::Owner);
    put_settings(&owner, json!({"contact_limit": 5, "default_country": "EC"})).await;

    // The zone comes from the country; the month is Ecuador's.
    let first = plan(&owner).await;
    assert_eq!(first["time_zone"], "America/Guayaquil", "{first}");
    let month = local_month(now(), default_zone("EC").unwrap());
    assert_eq!(first["month"], month.as_str(), "{first}");
    assert_eq!(counts(&first), (0, 0, 0, Some(5)));

    // 3 created, 1 deleted: the count stays 3.
    let mut ids = Vec::new();
    for i in 0..3 {
        let made = create(&owner, i).await;
        assert_eq!(made.status, 201, "{}", made.body);
        ids.push(made.body["id"].as_str().unwrap().to_string());
    }
    let deleted = ok(owner
        .call("DELETE", &format!("/v1/contacts/{}", ids[0]), None)
        .await);
    assert_eq!(deleted.status, 204, "{}", deleted.body);
    assert_eq!(counts(&plan(&owner).await), (0, 3, 3, Some(2)));
    // 2 more reach the limit, though the workspace holds 4.
    for i in 3..5 {
        assert_eq!(create(&owner, i).await.status, 201);
    }
    assert_error(&create(&owner, 5).await, 409, "contact_limit_reached");
    assert_eq!(counts(&plan(&owner).await), (0, 5, 5, Some(0)));

    // The month turns: the next month's count does not exist yet. (The
    // current month's item removed stands in for it: a month nothing has
    // opened.) Its first write is a deletion, which opens it first, so the
    // 4 contacts held at the turn are carried over and the deletion frees
    // nothing.
    stack
        .clients
        .dynamodb
        .delete_item()
        .table_name(&stack.resources.names.table)
        .set_key(Some(counter_key(ws, &month)))
        .send()
        .await
        .unwrap();
    let deleted = ok(owner
        .call("DELETE", &format!("/v1/contacts/{}", ids[1]), None)
        .await);
    assert_eq!(deleted.status, 204, "{}", deleted.body);
    assert_eq!(all_contacts(&stack.service, ws).await.len(), 3);
    assert_eq!(counts(&plan(&owner).await), (4, 0, 4, Some(1)));
    assert_eq!(create(&owner, 6).await.status, 201);
    assert_error(&create(&owner, 7).await, 409, "contact_limit_reached");
    assert_eq!(counts(&plan(&owner).await), (4, 1, 5, Some(0)));

    // A limit raised mid-month counts the same month: 2 more.
    put_settings(&owner, json!({"contact_limit": 7, "default_country": "EC"})).await;
    assert_eq!(counts(&plan(&owner).await), (4, 1, 5, Some(2)));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_counter_written_before_months_were_opened_migrates_without_a_gap_or_a_double_count() {
    let stack = own_stack(StackOptions::default()).await;
    let ws = "ws_plan_migrate";
    let owner = end_to_end::client(&stack.api_url, &stack.auth, ws, Role::Owner);
    put_settings(&owner, json!({"contact_limit": 10})).await;
    for i in 0..4 {
        assert_eq!(create(&owner, i).await.status, 201);
    }
    // As the table held it before: contacts created this month, no count.
    let month = local_month(now(), Settings::default().zone());
    let mut legacy = counter_key(ws, &month);
    legacy.insert("contacts_created".into(), AttributeValue::N("4".into()));
    stack
        .clients
        .dynamodb
        .put_item()
        .table_name(&stack.resources.names.table)
        .set_item(Some(legacy))
        .send()
        .await
        .unwrap();
    // Each of the 4 is counted once, as held; the next creation adds one.
    assert_eq!(counts(&plan(&owner).await), (4, 0, 4, Some(6)));
    assert_eq!(create(&owner, 4).await.status, 201);
    assert_eq!(counts(&plan(&owner).await), (4, 1, 5, Some(5)));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_hourly_schedule_resets_each_workspace_at_its_own_midnight() {
    let stack = own_stack(StackOptions::default()).await;
    let manual = Manual::new(&stack, "zones").await;
    let api = |ws: &str| end_to_end::client(&stack.api_url, &stack.auth, ws, Role::Owner);
    let (ecuador, malaysia, utc) = (api("ws_tz_ec"), api("ws_tz_my"), api("ws_tz_utc"));
    put_settings(
        &ecuador,
        json!({"default_country": "EC", "monthly_reset": {"mode": "all"}}),
    )
    .await;
    put_settings(
        &malaysia,
        json!({"default_country": "EC", "time_zone": " Asia/Kuala_Lumpur ", "monthly_reset": {"mode": "all"}}),
    )
    .await;
    put_settings(&utc, json!({"monthly_reset": {"mode": "all"}})).await;
    // A name the time zone database does not know is refused, whole.
    let bad = ok(malaysia
        .call(
            "PATCH",
            "/v1/settings",
            Some(&json!({"time_zone": "America/Quito City"})),
        )
        .await);
    assert_error(&bad, 400, "invalid_settings");
    assert!(
        bad.body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("time_zone"),
        "{}",
        bad.body
    );
    let stored = ok(malaysia.call("GET", "/v1/settings", None).await).body;
    assert_eq!(
        stored["time_zone"], "Asia/Kuala_Lumpur",
        "trimmed, kept: {stored}"
    );
    assert_eq!(plan(&malaysia).await["time_zone"], "Asia/Kuala_Lumpur");

    // Which resets each hourly run asks for.
    let asked = |at: &'static str| {
        let manual = &manual;
        async move {
            let at = contact_service::records::time::parse_rfc3339(at).unwrap();
            manual.service.resets.start_due(at).await.unwrap();
            let mut asked = BTreeSet::new();
            loop {
                let messages = manual.receive(&manual.jobs_url).await;
                if messages.is_empty() {
                    return asked;
                }
                for m in &messages {
                    let body: Value = serde_json::from_str(m.body().unwrap()).unwrap();
                    asked.insert(format!(
                        "{} {}",
                        body["workspace"].as_str().unwrap(),
                        body["month"].as_str().unwrap()
                    ));
                    manual.delete(&manual.jobs_url, m).await;
                }
            }
        }
    };
    let set = |items: &[&str]| items.iter().map(|s| s.to_string()).collect::<BTreeSet<_>>();
    // 22:00 UTC on 30 November: 17:00 in Ecuador, 06:00 on 1 December in
    // Malaysia — past Malaysia's first hour. Nothing is due.
    assert_eq!(asked("2026-11-30T22:00:00Z").await, set(&[]));
    // 16:00 UTC is Malaysia's midnight.
    assert_eq!(
        asked("2026-11-30T16:00:00Z").await,
        set(&["ws_tz_my 2026-11"])
    );
    // Midnight UTC, then Ecuador's midnight five hours later.
    assert_eq!(
        asked("2026-12-01T00:00:00Z").await,
        set(&["ws_tz_utc 2026-11"])
    );
    assert_eq!(
        asked("2026-12-01T05:00:00Z").await,
        set(&["ws_tz_ec 2026-11"])
    );
    assert_eq!(asked("2026-12-01T12:00:00Z").await, set(&[]));
}
