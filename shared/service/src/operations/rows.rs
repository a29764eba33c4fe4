//! A chunk's rows checked again and written. Each row is classified against
//! the workspace as it is at write time (IMPORT.md's table, as at review),
//! then written with its claims; a row whose claim was taken meanwhile is
//! checked again in the next round. The contacts rows create have ids fixed
//! by (import, row), so a row run twice finds its own earlier write.

use std::collections::{HashMap, HashSet};

use contact_engine::classify::{IdentifierFacts, Quota, RowFacts, Status, classify};
use contact_engine::validation::{StagedRow, Wording};

use super::apply::{ApplyRules, apply};
use super::error::{AtStep, ServiceError};
use crate::records::ids::created_contact_id;
use crate::records::time::{now, rfc3339};
use crate::records::{Contact, ImportRecord};
use crate::store::{RowWrite, Store};

/// Rounds of checking and writing a chunk's rows before giving the message
/// back to the queue.
const WRITE_ROUNDS: usize = 5;

/// How a row ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RowEnd {
    pub status: Status,
    pub message: String,
    pub contact: Option<String>,
}

impl RowEnd {
    fn written(status: Status, contact: &str) -> Self {
        Self {
            status,
            message: String::new(),
            contact: Some(contact.to_string()),
        }
    }
}

/// What a row will write, when it writes.
enum Plan {
    Done(RowEnd),
    Create,
    Update(String),
}

/// Checks and writes rows, in order; answers how each ended.
pub(crate) async fn write_rows(
    store: &Store,
    record: &ImportRecord,
    allowance: Option<u64>,
    rows: &[StagedRow],
) -> Result<Vec<RowEnd>, ServiceError> {
    let ws = &record.workspace;
    let options = &record.options;
    let mapping = record.mapping.as_deref().unwrap_or_default();
    let identifier = options.identifier_in_force();
    let wording = Wording::new(identifier, mapping);
    let rules = ApplyRules::new(options, mapping, record.import_tag.as_deref());
    let mut ends: Vec<Option<RowEnd>> = rows
        .iter()
        .map(|r| {
            let fixed = match (&r.error, &r.skipped) {
                (Some(message), _) => Some((Status::Error, message)),
                (None, Some(message)) => Some((Status::Skipped, message)),
                (None, None) => None,
            };
            fixed.map(|(status, message)| RowEnd {
                status,
                message: message.clone(),
                contact: None,
            })
        })
        .collect();
    for _round in 0..WRITE_ROUNDS {
        let pending: Vec<usize> = (0..rows.len()).filter(|i| ends[*i].is_none()).collect();
        if pending.is_empty() {
            break;
        }
        // Who holds each pending row's identifier now.
        let holders: HashMap<usize, Vec<String>> = match identifier {
            None => HashMap::new(),
            Some(identifier) => {
                let values: Vec<&str> = pending
                    .iter()
                    .map(|i| rows[*i].key.as_deref().unwrap_or(""))
                    .collect();
                let found = store
                    .contacts
                    .holders(ws, identifier, &values)
                    .await
                    .at("looking up the rows' identifiers")?;
                pending.iter().copied().zip(found).collect()
            }
        };
        // Classify in file order: the allowance goes to the first rows that
        // create, on every run alike. Rows that ended in an earlier round
        // keep the allowance they took.
        let mut quota = Quota(allowance.map(|a| {
            a.saturating_sub(
                ends.iter()
                    .flatten()
                    .filter(|e| e.status == Status::Imported)
                    .count() as u64,
            )
        }));
        let mut plans: Vec<(usize, Plan)> = Vec::new();
        for &i in &pending {
            let row = &rows[i];
            let mine = created_contact_id(&record.id, row.row);
            let held = holders.get(&i).cloned().unwrap_or_default();
            // A contact this row created on an earlier run is not "existing".
            let others: Vec<String> = held.into_iter().filter(|h| *h != mine).collect();
            let draft = row.draft.as_ref();
            let facts = RowFacts {
                invalid_values: false,
                identifier: match identifier {
                    None => IdentifierFacts::NotUsed,
                    Some(_) => IdentifierFacts::Present {
                        rows_in_file: 1,
                        holders: others.len() as u32,
                    },
                },
                has_first_name: draft.is_some_and(|d| d.first_name.is_some()),
            };
            let verdict = classify(options.purpose, facts, &mut quota);
            let id_value = row.key.as_deref().unwrap_or("");
            let plan = match (verdict.status, verdict.reason) {
                (Status::Imported, _) => Plan::Create,
                (Status::Updated, _) => Plan::Update(others[0].clone()),
                (status, Some(reason)) => Plan::Done(RowEnd {
                    status,
                    message: wording.reason(reason, id_value),
                    contact: match status {
                        Status::Skipped => others.first().cloned(),
                        _ => None,
                    },
                }),
                (status, None) => Plan::Done(RowEnd {
                    status,
                    message: String::new(),
                    contact: None,
                }),
            };
            plans.push((i, plan));
        }
        // The contacts rows update, read in batches.
        let to_read: Vec<String> = plans
            .iter()
            .filter_map(|(_, p)| match p {
                Plan::Update(id) => Some(id.clone()),
                _ => None,
            })
            .collect::<HashSet<_>>()
            .into_iter()
            .collect();
        let mut current: HashMap<String, Contact> = HashMap::new();
        for contact in store
            .contacts
            .contacts(ws, &to_read)
            .await
            .at("reading the contacts rows update")?
        {
            current.insert(contact.id.clone(), contact);
        }
        // Each row's contact as it will be, with the end it makes.
        let stamp = rfc3339(now());
        let mut changes: Vec<(usize, RowEnd, Contact, Option<&Contact>)> = Vec::new();
        for (i, plan) in plans {
            let row = &rows[i];
            let draft = row.draft.clone().unwrap_or_default();
            match plan {
                Plan::Done(end) => ends[i] = Some(end),
                Plan::Create => {
                    let id = created_contact_id(&record.id, row.row);
                    let mut contact = Contact {
                        id: id.clone(),
                        created_at: stamp.clone(),
                        updated_at: stamp.clone(),
                        ..Contact::default()
                    };
                    apply(&mut contact, &draft, &rules);
                    changes.push((i, RowEnd::written(Status::Imported, &id), contact, None));
                }
                Plan::Update(id) => {
                    // Deleted between the two reads: look again next round.
                    let Some(before) = current.get(&id) else {
                        continue;
                    };
                    let mut after = before.clone();
                    apply(&mut after, &draft, &rules);
                    after.updated_at = stamp.clone();
                    changes.push((
                        i,
                        RowEnd::written(Status::Updated, &id),
                        after,
                        Some(before),
                    ));
                }
            }
        }
        let writes: Vec<RowWrite<'_>> = changes
            .iter()
            .map(|(_, _, contact, before)| RowWrite {
                contact,
                before: *before,
            })
            .collect();
        let written = store
            .contacts
            .write_rows(ws, &writes, identifier)
            .await
            .at("writing the rows")?;
        for ((i, end, _, _), written) in changes.into_iter().zip(written) {
            if written {
                ends[i] = Some(end);
            }
        }
    }
    if ends.iter().any(Option::is_none) {
        return Err(ServiceError::failed(
            "writing the rows",
            "rows kept meeting concurrent changes; the chunk will run again",
        ));
    }
    Ok(ends.into_iter().flatten().collect())
}
