//! How a run ended, and the checks that hold in any run.

use super::*;

/// Everything the suite checks of a stack, and the checks that hold in any
/// run: every row once, counts that agree, contacts and claims that agree,
/// one contact per imported row.
pub(crate) async fn outcome(
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
        // The import tag names the minute the import began (a contact
        // without tags stores none).
        for t in fields
            .get_mut("tags")
            .and_then(Value::as_array_mut)
            .into_iter()
            .flatten()
        {
            if *t == tag {
                *t = json!("import-tag");
            }
        }
        // A contact an import created names it as its creator, row and
        // all: the imports' ids (this one's, the one that made the known
        // contacts) are the run's own.
        if let Some(creator) = fields
            .get_mut("created_by")
            .and_then(|c| c.get_mut("import"))
        {
            *creator = json!(if *creator == json!(import_id) {
                "this-import"
            } else {
                "an-earlier-import"
            });
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

    // The month's count grew by the contacts created (over those carried
    // in); completion happened once.
    let store = stack.service.store();
    let settings = store
        .workspaces
        .settings(ws)
        .await
        .expect("the settings read");
    let month = local_month(now(), settings.zone());
    let created_this_month = store
        .plan
        .month(ws, &month)
        .await
        .expect("the count read")
        .map_or(0, |count| count.created());
    assert_eq!(
        created_this_month as usize,
        labels.len() + created.len(),
        "{ws}: the month's counter"
    );
    let notes = stored_notifications(&stack.service, ws).await;
    let ours = notes
        .iter()
        .filter(|n| n.import.as_ref() == Some(&import_id))
        .count();
    assert_eq!(ours, 1, "{ws}: one notification of the import");
    assert_eq!(
        lock_holder(&stack.service, ws).await,
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
