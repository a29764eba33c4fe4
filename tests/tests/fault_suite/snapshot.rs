//! The cases' contacts and claims as the table holds them, read back with
//! the test's own client.

use super::*;

/// The cases' contacts and claims as the table holds them.
#[derive(Default)]
pub(crate) struct Snapshot {
    /// Per workspace: each contact's id and values (without its keys).
    pub(crate) contacts: HashMap<&'static str, Vec<(String, Value)>>,
    /// Per workspace: each claim (`phone:<e164>`, `email:<address>`) and the
    /// ids of its holders.
    pub(crate) claims: HashMap<&'static str, Vec<(String, Vec<String>)>>,
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
                    // Keys, and the search index's keys (made of the id).
                    .filter(|(name, _)| {
                        !matches!(name.as_str(), "pk" | "sk" | "gsi1pk" | "gsi1sk")
                            && !name.starts_with("ix_")
                    })
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
pub(crate) async fn scanned(stack: &Stack, cases: &[Case]) -> Snapshot {
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
pub(crate) async fn read_back(
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
pub(crate) type Attribute = aws_sdk_dynamodb::types::AttributeValue;

/// An attribute as JSON, to compare and print.
pub(crate) fn json_of(value: &Attribute) -> Value {
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
pub(crate) fn label(labels: &Labels, import: &str, id: &str) -> String {
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

/// The search index's own items of each case's workspace are exactly those
/// its contacts (as read back in `after`) call for: none missing, none left
/// behind. (The one-value entries are keys on the contact's item, so they
/// cannot disagree with it.) One scan of the table reads them all.
pub(crate) async fn assert_index_matches(stack: &Stack, cases: &[Case], after: &Snapshot) {
    let table = stack.service.store().table_name();
    let mut found: BTreeSet<(String, String)> = BTreeSet::new();
    let mut start = None;
    loop {
        let out = stack
            .clients
            .dynamodb
            .scan()
            .table_name(table)
            .filter_expression("contains(pk, :ix)")
            .expression_attribute_values(":ix", s("#IX#"))
            .set_exclusive_start_key(start)
            .send()
            .await
            .unwrap_or_else(|e| panic!("scan: {e:?}"));
        for item in out.items() {
            let pk = item["pk"].as_s().expect("a key").clone();
            let sk = item["sk"].as_s().expect("a sort key").clone();
            found.insert((pk, sk));
        }
        start = out.last_evaluated_key;
        if start.is_none() {
            break;
        }
    }
    for case in cases {
        let expected: BTreeSet<(String, String)> = after
            .contacts
            .get(case.ws)
            .into_iter()
            .flatten()
            .map(|(_, values)| {
                serde_json::from_value::<Contact>(values.clone())
                    .expect("a stored contact reads back")
            })
            .flat_map(|c| own_items(case.ws, &c))
            .collect();
        let prefix = format!("W#{}#IX#", case.ws);
        let mine: BTreeSet<(String, String)> = found
            .iter()
            .filter(|(pk, _)| pk.starts_with(&prefix))
            .cloned()
            .collect();
        let missing: Vec<_> = expected.difference(&mine).collect();
        let stale: Vec<_> = mine.difference(&expected).collect();
        assert!(
            missing.is_empty(),
            "{}: index items missing: {missing:?}",
            case.ws
        );
        assert!(
            stale.is_empty(),
            "{}: index items left behind: {stale:?}",
            case.ws
        );
    }
}
