//! `search-bench [CONTACTS]`: fills one workspace of the local stack with
//! generated contacts (200,000 unless told) through the store's own write
//! path (each contact with its claims and index entries, in transactions),
//! then runs each kind of search the API offers and prints, per query, what
//! one page of 50 read: index entries, contacts, queries and rounds, with
//! the page's time on moto, then again with every call waiting AWS's latency
//! (`stack/latency.rs`): the difference is what the page's round trips add
//! on AWS. A report, not a test.
//!
//! The contacts follow a workspace's usual shape: names from common Spanish
//! and Portuguese first and last names, a country for all (Ecuador for most),
//! one to three tags of twenty with skewed frequencies, groups, a plan, an
//! assignee for half, a few blocked; creation times spread over a year.

use std::collections::BTreeMap;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Instant;

use contact_service::operations::contacts::{ContactPage, ContactQuery, PageReads};
use contact_service::operations::{Caller, Role};
use contact_service::records::Contact;
use contact_service::records::time::rfc3339;
use contact_service::store::RowWrite;
use contacts::stack::latency::LatencyProfile;
use contacts::stack::local::{Stack, StackOptions};

type Res<T> = Result<T, String>;

const WS: &str = "search-bench";
const FIRST: [&str; 24] = [
    "Ana",
    "María",
    "José",
    "Luis",
    "Carlos",
    "Lucía",
    "Sofía",
    "Mateo",
    "Valentina",
    "Diego",
    "Camila",
    "Andrés",
    "Gabriela",
    "João",
    "Beatriz",
    "Pedro",
    "Fernanda",
    "Jorge",
    "Paula",
    "Ricardo",
    "Isabel",
    "Tomás",
    "Daniela",
    "Zuleika",
];
const LAST: [&str; 20] = [
    "García",
    "Rodríguez",
    "Martínez",
    "López",
    "González",
    "Pérez",
    "Sánchez",
    "Ramírez",
    "Torres",
    "Flores",
    "Silva",
    "Souza",
    "Oliveira",
    "Costa",
    "Mora",
    "Vega",
    "Castro",
    "Ortiz",
    "Núñez",
    "Zambrano",
];
const COUNTRIES: [(&str, u32); 5] = [("EC", 60), ("CO", 20), ("PE", 10), ("BR", 5), ("MX", 5)];
const GROUPS: [(&str, u32); 3] = [("Clientes", 200), ("Distribuidores", 50), ("Prensa", 10)];

/// A small deterministic generator (xorshift), so every run seeds the same
/// workspace.
struct Draw(u64);

impl Draw {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
    fn weighted<'a>(&mut self, choices: &[(&'a str, u32)]) -> &'a str {
        let total: u32 = choices.iter().map(|(_, w)| w).sum();
        let mut at = self.below(u64::from(total)) as u32;
        for (choice, weight) in choices {
            if at < *weight {
                return choice;
            }
            at -= weight;
        }
        choices[0].0
    }
}

fn contact(i: u64, draw: &mut Draw, year_start: i64) -> Contact {
    let created = year_start + (i as i64 * 365 * 86_400) / 200_000;
    let mut tags = Vec::new();
    // Tag k is carried by about 40 % / (k + 1) of the contacts.
    for k in 0..20u64 {
        if draw.below(1000) < 400 / (k + 1) {
            tags.push(format!("tag{k:02}"));
        }
        if tags.len() == 3 {
            break;
        }
    }
    let mut groups = Vec::new();
    for (group, per_thousand) in GROUPS {
        if draw.below(1000) < u64::from(per_thousand) {
            groups.push(group.to_string());
        }
    }
    let mut custom = BTreeMap::new();
    let plan = match draw.below(100) {
        0 => "enterprise",
        1..=29 => "pro",
        _ => "básico",
    };
    custom.insert("plan".to_string(), serde_json::json!(plan));
    Contact {
        id: format!("c_bench{i:08}"),
        first_name: Some(FIRST[draw.below(FIRST.len() as u64) as usize].to_string()),
        last_name: Some(LAST[draw.below(LAST.len() as u64) as usize].to_string()),
        phone: Some(format!("+59399{:07}", i)),
        country: Some(draw.weighted(&COUNTRIES).to_string()),
        language: Some(if draw.below(10) < 7 { "es" } else { "pt" }.to_string()),
        assignee: (draw.below(2) == 0).then(|| format!("agente{}@example.com", draw.below(10))),
        tags,
        groups,
        custom_fields: custom,
        blocked: draw.below(200) == 0,
        created_at: rfc3339(created),
        updated_at: rfc3339(created),
        ..Contact::default()
    }
}

fn main() -> ExitCode {
    let count: u64 = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(200_000);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("a runtime");
    match runtime.block_on(run(count)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("search-bench: {e}");
            ExitCode::FAILURE
        }
    }
}

async fn run(count: u64) -> Res<()> {
    eprintln!("search-bench: starting the local stack …");
    let stack = Stack::start(StackOptions {
        latency: Some(LatencyProfile::AWS),
        ..StackOptions::default()
    })
    .await
    .map_err(|e| e.to_string())?;
    let result = measure(&stack, count).await;
    stack.stop().await;
    result
}

async fn seed(stack: &Stack, count: u64) -> Res<f64> {
    let start = Instant::now();
    let year_start = 1_764_547_200; // 2025-12-01
    let mut draw = Draw(0x9E37_79B9_7F4A_7C15);
    let all: Vec<Contact> = (0..count)
        .map(|i| contact(i, &mut draw, year_start))
        .collect();
    let all = Arc::new(all);
    let service = stack.service.clone();
    let mut running = tokio::task::JoinSet::new();
    const WRITERS: usize = 4;
    for writer in 0..WRITERS {
        let (all, service) = (all.clone(), service.clone());
        running.spawn(async move {
            let mine: Vec<&Contact> = all.iter().skip(writer).step_by(WRITERS).collect();
            for batch in mine.chunks(100) {
                let rows: Vec<RowWrite<'_>> = batch
                    .iter()
                    .map(|c| RowWrite {
                        contact: c,
                        before: None,
                        entry: None,
                    })
                    .collect();
                service
                    .store()
                    .contacts
                    .write_rows(WS, &rows, None)
                    .await
                    .map_err(|e| e.to_string())?;
            }
            Ok::<(), String>(())
        });
    }
    let mut done = 0;
    while let Some(joined) = running.join_next().await {
        joined.map_err(|e| e.to_string())??;
        done += 1;
        eprintln!("search-bench: writer {done}/{WRITERS} done");
    }
    Ok(start.elapsed().as_secs_f64())
}

fn query(pairs: &[(&str, &str)]) -> Res<ContactQuery> {
    ContactQuery::from_params(
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
    )
    .map_err(|e| e.to_string())
}

/// Sets whether the functions' calls wait AWS's latency.
fn latency(stack: &Stack, on: bool) {
    if let Some(delayed) = &stack.latency {
        delayed.set_paused(!on);
    }
}

/// One page of a search, with or without AWS's latency, and its time in ms.
async fn timed_page(
    stack: &Stack,
    caller: &Caller,
    kind: &str,
    pairs: &[(&str, &str)],
    latency_on: bool,
) -> Res<((ContactPage, PageReads), f64)> {
    latency(stack, latency_on);
    let start = Instant::now();
    let answer = stack
        .service
        .contacts
        .query_reads(caller, query(pairs)?)
        .await
        .map_err(|e| format!("{kind}: {e}"))?;
    Ok((answer, start.elapsed().as_secs_f64() * 1000.0))
}

async fn measure(stack: &Stack, count: u64) -> Res<()> {
    latency(stack, false);
    let settings = contact_service::records::Settings {
        custom_fields: vec![contact_engine::fields::CustomField {
            key: "plan".into(),
            label: "Plan".into(),
            kind: contact_engine::fields::CustomType::Text,
        }],
        ..Default::default()
    };
    stack
        .service
        .store()
        .workspaces
        .put_settings(WS, &settings, 0)
        .await
        .map_err(|e| e.to_string())?;
    eprintln!("search-bench: writing {count} contacts …");
    let seeded = seed(stack, count).await?;
    let caller = Caller {
        workspace: WS.into(),
        role: Role::Owner,
        user: None,
    };
    let kinds: Vec<(&str, Vec<(&str, &str)>)> = vec![
        ("everyone, newest first", vec![]),
        ("everyone, by name", vec![("sort", "name")]),
        ("name prefix, common (`mar`)", vec![("name", "mar")]),
        ("name prefix, another (`zul`)", vec![("name", "zul")]),
        ("last name prefix (`zamb`)", vec![("name", "zamb")]),
        ("tag, common (40 %)", vec![("tag", "tag00")]),
        ("tag, rare (2 %)", vec![("tag", "tag19")]),
        ("any of two tags", vec![("tag", "tag18,tag19")]),
        (
            "all of two tags, rarest first",
            vec![("tag", "tag19,tag00"), ("tag_match", "all")],
        ),
        (
            "all of two tags, commonest first",
            vec![("tag", "tag00,tag19"), ("tag_match", "all")],
        ),
        ("group, large (20 %)", vec![("group", "Clientes")]),
        ("group, small (1 %)", vec![("group", "Prensa")]),
        ("custom field (1 %)", vec![("custom", "plan:enterprise")]),
        ("country, common (60 %)", vec![("country", "EC")]),
        ("country, rare (5 %)", vec![("country", "BR")]),
        ("language", vec![("language", "pt")]),
        ("assignee (5 %)", vec![("assignee", "agente3@example.com")]),
        ("blocked (0.5 %)", vec![("blocked", "true")]),
        (
            "created in one week",
            vec![
                ("created_after", "2026-06-01T00:00:00Z"),
                ("created_before", "2026-06-07T23:59:59Z"),
            ],
        ),
        (
            "rare tag in a common country",
            vec![("tag", "tag19"), ("country", "EC")],
        ),
        (
            "common tag, by name (filtered)",
            vec![("tag", "tag00"), ("sort", "name")],
        ),
        (
            "rare tag, by name (filtered)",
            vec![("tag", "tag19"), ("sort", "name")],
        ),
    ];
    println!("## Search benchmark: {count} contacts in one workspace\n");
    println!(
        "Seeded through the store's write path in {seeded:.0} s on moto. Each row: one page of 50 (the first, then the next from its cursor); entries are index items read, contacts the contacts read; ms on moto, a single Python process, then with AWS's latency on every call, and what that added (one run each, after one that warms moto's index maps).\n"
    );
    println!(
        "| query | page | items | entries | contacts | queries | rounds | ms | with latency | added |\n| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
    );
    for (kind, pairs) in kinds {
        let mut cursor: Option<String> = None;
        for page in 1..=2 {
            let mut pairs = pairs.clone();
            pairs.push(("limit", "50"));
            if let Some(c) = &cursor {
                pairs.push(("cursor", c.as_str()));
            }
            // The first page once untimed: moto builds its map of an index
            // on the first query after the writes.
            if page == 1 {
                timed_page(stack, &caller, kind, &pairs, false).await?;
            }
            let (_, ms) = timed_page(stack, &caller, kind, &pairs, false).await?;
            let ((found, reads), with_latency) =
                timed_page(stack, &caller, kind, &pairs, true).await?;
            latency(stack, false);
            println!(
                "| {kind} | {page} | {} | {} | {} | {} | {} | {ms:.0} | {with_latency:.0} | {:.0} |",
                found.items.len(),
                reads.entries,
                reads.contacts,
                reads.queries,
                reads.rounds,
                with_latency - ms
            );
            cursor = found.cursor;
            if cursor.is_none() {
                break;
            }
        }
    }
    Ok(())
}
