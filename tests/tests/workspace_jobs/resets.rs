//! The month-end reset, driven by hand: every message delivered twice,
//! interrupted midway and resumed; and the schedule that starts it.

use super::*;

/// A second service on `stack` whose jobs and rows queues nobody polls:
/// the test delivers their messages itself.
pub(crate) struct Manual {
    pub(crate) service: Service,
    pub(crate) sqs: aws_sdk_sqs::Client,
    pub(crate) jobs_url: String,
    pub(crate) rows_url: String,
}

impl Manual {
    pub(crate) async fn new(stack: &Stack, name: &str) -> Self {
        let sqs = stack.clients.sqs.clone();
        let mut urls = Vec::new();
        for queue in ["jobs", "rows"] {
            let out = sqs
                .create_queue()
                .queue_name(format!("manual-{name}-{queue}"))
                // What is received and not deleted (a function that died)
                // comes back after a second.
                .attributes(QueueAttributeName::VisibilityTimeout, "1")
                .send()
                .await
                .unwrap();
            urls.push(out.queue_url.unwrap());
        }
        let resources = Resources {
            table: stack.resources.names.table.clone(),
            bucket: stack.resources.names.bucket.clone(),
            uploads_queue_url: stack.resources.uploads_queue_url.clone(),
            rows_queue_url: urls[1].clone(),
            jobs_queue_url: urls[0].clone(),
        };
        let service = Service::new(
            Store::new(&stack.clients, &resources),
            Config::new(Duration::from_secs(3600)),
        );
        Self {
            service,
            sqs,
            jobs_url: urls[0].clone(),
            rows_url: urls[1].clone(),
        }
    }

    /// Receives what is waiting on `queue` (up to 10 messages).
    pub(crate) async fn receive(&self, queue: &str) -> Vec<aws_sdk_sqs::types::Message> {
        self.sqs
            .receive_message()
            .queue_url(queue)
            .max_number_of_messages(10)
            .wait_time_seconds(1)
            .send()
            .await
            .unwrap()
            .messages
            .unwrap_or_default()
    }

    pub(crate) async fn delete(&self, queue: &str, message: &aws_sdk_sqs::types::Message) {
        self.sqs
            .delete_message()
            .queue_url(queue)
            .receipt_handle(message.receipt_handle().unwrap())
            .send()
            .await
            .unwrap();
    }
}

pub(crate) fn event(messages: &[&aws_sdk_sqs::types::Message]) -> SqsEvent {
    let mut event = SqsEvent::default();
    event.records = messages
        .iter()
        .map(|m| {
            let mut message = SqsMessage::default();
            message.message_id = m.message_id().map(str::to_string);
            message.body = m.body().map(str::to_string);
            message
        })
        .collect();
    event
}

pub(crate) fn phase_of(message: &aws_sdk_sqs::types::Message) -> Option<String> {
    let body: Value = serde_json::from_str(message.body()?).ok()?;
    body["phase"].as_str().map(str::to_string)
}

/// Delivers the jobs queue's messages until none is left, each three times:
/// two copies at once (two functions given the same message), then once
/// more after both finished (a redelivery). Holds back those of `hold`
/// phase (they stay on the queue). Every copy must succeed.
pub(crate) async fn pump_jobs(manual: &Manual, hold: Option<&str>) {
    let mut idle = 0;
    while idle < 3 {
        let messages = manual.receive(&manual.jobs_url).await;
        let runnable: Vec<&aws_sdk_sqs::types::Message> = messages
            .iter()
            .filter(|m| hold.is_none() || phase_of(m).as_deref() != hold)
            .collect();
        if runnable.is_empty() {
            idle += 1;
            if !messages.is_empty() {
                // Only held messages: let them go back.
                tokio::time::sleep(Duration::from_millis(1100)).await;
            }
            continue;
        }
        idle = 0;
        let batch = event(&runnable);
        let (one, two) = tokio::join!(
            lambda::jobs(&manual.service, batch.clone()),
            lambda::jobs(&manual.service, batch.clone())
        );
        let again = lambda::jobs(&manual.service, batch).await;
        for response in [one, two, again] {
            assert!(response.batch_item_failures.is_empty(), "{response:?}");
        }
        for m in runnable {
            manual.delete(&manual.jobs_url, m).await;
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
pub(crate) async fn an_interrupted_reset_resumes_and_deletes_only_what_it_chose() {
    let stack = own_stack(StackOptions::default()).await;
    let manual = Manual::new(&stack, "reset").await;
    let ws = "ws_reset_resume";
    let owner = end_to_end::client(&stack.api_url, &stack.auth, ws, Role::Owner);
    put_settings(&owner, json!({"monthly_reset": {"mode": "tagged"}})).await;

    let mut chosen = BTreeSet::new();
    let mut ids = HashMap::new();
    for i in 0..60u32 {
        let name = format!("Cliente {i:02}");
        let tags = match i % 4 {
            0 => json!(["Borrar"]),
            1 => json!(["borrar", "vip"]),
            _ => json!(["vip"]),
        };
        if i % 4 < 2 {
            chosen.insert(name.clone());
        }
        let c = seed_contact(
            &owner,
            json!({"first_name": name, "phone": ec_phone(300 + i), "tags": tags}),
        )
        .await;
        ids.insert(name, c["id"].as_str().unwrap().to_string());
    }
    let month = month(now());
    assert_eq!(created_this_month(&stack, ws).await, 60);

    // The schedule's message for this workspace, run by hand.
    manual.service.resets.start(ws, &month).await.unwrap();
    // Resets hold the import lock: no import runs while contacts go.
    let holder = lock_holder(&stack.service, ws).await;
    assert_eq!(holder.as_deref(), Some(format!("rst_{month}").as_str()));
    // Choosing, with every message delivered twice; deletions held back.
    pump_jobs(&manual, Some("delete")).await;
    let job = stored_job(&stack.service, ws, &format!("rst_{month}")).await;
    assert_eq!(job.rows, 30, "{job:?}");
    assert_eq!(
        all_contacts(&stack.service, ws).await.len(),
        60,
        "nothing deleted yet"
    );

    // Between the backup and the deletions: a chosen contact changes, and
    // one that was not chosen gets the tag.
    let changed = "Cliente 04";
    edit_stored(&stack, ws, &ids[changed], |c| {
        c.last_name = Some("Cambiado".into());
        c.updated_at = rfc3339(now() + 5);
    })
    .await;
    let late = "Cliente 02";
    edit_stored(&stack, ws, &ids[late], |c| {
        c.tags.push("Borrar".into());
    })
    .await;

    // Deleting, interrupted: the first batch of deletions runs but the
    // function dies before SQS hears of it, so every message comes back.
    let messages = loop {
        let m = manual.receive(&manual.jobs_url).await;
        if !m.is_empty() {
            break m;
        }
    };
    let first: Vec<&aws_sdk_sqs::types::Message> = messages.iter().take(3).collect();
    lambda::jobs(&manual.service, event(&first)).await;
    let part_way = all_contacts(&stack.service, ws).await.len();
    assert!(
        part_way < 60 && part_way > 31,
        "some deleted: {part_way} left"
    );
    tokio::time::sleep(Duration::from_millis(1100)).await;
    // Resumed: everything delivered again (twice), to the end.
    pump_jobs(&manual, None).await;

    let job = stored_job(&stack.service, ws, &format!("rst_{month}")).await;
    assert_eq!(job.status, JobStatus::Completed, "{job:?}");
    assert_eq!((job.rows, job.deleted, job.kept), (30, 29, 1), "{job:?}");
    let left = names(&all_contacts(&stack.service, ws).await);
    let expected: BTreeSet<String> = (0..60u32)
        .map(|i| format!("Cliente {i:02}"))
        .filter(|n| !chosen.contains(n) || n == changed)
        .collect();
    assert_eq!(
        left, expected,
        "exactly the chosen, unchanged contacts are gone"
    );
    assert!(
        left.contains(late),
        "a contact tagged after the choice stays"
    );

    // Identifiers released: a deleted contact's phone is free again.
    let reused = ok(owner
        .call(
            "POST",
            "/v1/contacts",
            Some(&json!({"first_name": "Nuevo", "phone": ec_phone(300)})),
        )
        .await);
    assert_eq!(reused.status, 201, "{}", reused.body);
    // The month's count is what remained, carried over (31), and then the
    // new contact; the lock is free.
    assert_eq!(created_this_month(&stack, ws).await, 1);
    let plan = ok(owner.call("GET", "/v1/plan", None).await).body;
    assert_eq!(
        (plan["carried"].as_u64(), plan["count"].as_u64()),
        (Some(31), Some(32)),
        "{plan}"
    );
    assert_eq!(lock_holder(&stack.service, ws).await, None);

    // The notification links the backup: the 30 chosen, as they were.
    let notes = notifications(&owner).await;
    let done = notes
        .iter()
        .find(|n| n["kind"] == "reset_completed")
        .expect("notified");
    assert!(
        done["message"]
            .as_str()
            .unwrap()
            .contains("29 contacts deleted"),
        "{done}"
    );
    let backup = fetch_csv(done["url"].as_str().expect("a backup link")).await;
    let backed_up: BTreeSet<String> = backup
        .values("first_name")
        .into_iter()
        .map(str::to_string)
        .collect();
    assert_eq!(backed_up, chosen);
    let export = ok(owner
        .call("GET", &format!("/v1/exports/rst_{month}"), None)
        .await)
    .body;
    assert_eq!(
        (export["kind"].as_str(), export["rows"].as_u64()),
        (Some("reset"), Some(30))
    );

    // A second schedule run in the same month starts nothing new.
    manual.service.resets.start(ws, &month).await.unwrap();
    pump_jobs(&manual, None).await;
    assert_eq!(all_contacts(&stack.service, ws).await.len(), 32);
    stack.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
pub(crate) async fn the_month_end_schedule_resets_only_workspaces_that_asked() {
    let stack = own_stack(StackOptions::default()).await;
    let client = |ws: &str| end_to_end::client(&stack.api_url, &stack.auth, ws, Role::Owner);
    let (all, tagged, off) = (
        client("ws_m_all"),
        client("ws_m_tagged"),
        client("ws_m_off"),
    );
    put_settings(&all, json!({"monthly_reset": {"mode": "all"}})).await;
    put_settings(
        &tagged,
        json!({"monthly_reset": {"mode": "tagged", "tag": "Baja"}}),
    )
    .await;
    // Turned on, then off again: it leaves the schedule's list.
    put_settings(&off, json!({"monthly_reset": {"mode": "all"}})).await;
    put_settings(&off, json!({"monthly_reset": {"mode": "off"}})).await;
    for (n, api) in [&all, &tagged, &off].into_iter().enumerate() {
        for i in 0..6u32 {
            let tags = if i < 2 { json!(["baja"]) } else { json!([]) };
            seed_contact(api, json!({"first_name": format!("C{i}"), "phone": ec_phone(500 + 10 * n as u32 + i), "tags": tags})).await;
        }
    }
    // What `make reset` does: the schedule's handler, through the stack.
    let month_end = || async {
        let answer = reqwest::Client::new()
            .post(format!(
                "{}{}",
                stack.api_url,
                contacts::stack::local::MONTH_END_PATH
            ))
            .send()
            .await
            .unwrap();
        answer.json::<Value>().await.unwrap()
    };
    let body = month_end().await;
    assert_eq!(
        body["started"],
        json!(["ws_m_all", "ws_m_tagged"]),
        "{body}"
    );
    assert_eq!(body["already_this_month"], json!([]), "{body}");
    for (ws, api, left) in [("ws_m_all", &all, 0), ("ws_m_tagged", &tagged, 4)] {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(120);
        while !notifications(api)
            .await
            .iter()
            .any(|n| n["kind"] == "reset_completed")
        {
            assert!(tokio::time::Instant::now() < deadline, "{ws} reset");
            tokio::time::sleep(Duration::from_millis(300)).await;
        }
        assert_eq!(all_contacts(&stack.service, ws).await.len(), left, "{ws}");
    }
    assert_eq!(
        all_contacts(&stack.service, "ws_m_off").await.len(),
        6,
        "off deletes nothing"
    );
    assert!(notifications(&off).await.is_empty());

    // Asked again in the same month: nothing starts, and the answer says so.
    let again = month_end().await;
    assert_eq!(again["started"], json!([]), "{again}");
    assert_eq!(
        again["already_this_month"],
        json!([
            {"workspace": "ws_m_all", "status": "completed"},
            {"workspace": "ws_m_tagged", "status": "completed"}
        ]),
        "{again}"
    );
    assert_eq!(all_contacts(&stack.service, "ws_m_tagged").await.len(), 4);
    stack.stop().await;
}
