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
use crate::records::time::{next_stamp, now, rfc3339};
use crate::records::{Activity, Actor, Contact, ImportRecord};
use crate::store::{ActivityEntry, RowWrite, Store};

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

/// A row's write, planned: the contact as it will be, over what was read
/// (none: a new one), the end it makes and its history entry.
struct RowChange<'a> {
    row: usize,
    end: RowEnd,
    contact: Contact,
    before: Option<&'a Contact>,
    entry: Option<ActivityEntry>,
}

/// What a row will write, when it writes.
enum Plan {
    Done(RowEnd),
    Create,
    Update(String),
}

/// The actor of an import's row.
fn row_actor(record: &ImportRecord, row: u64) -> Actor {
    Actor::import(&record.id, row, record.created_by.as_deref())
}

/// The history entry of a row's write to an existing contact: at a key
/// made of the import and the row, so a row written twice leaves one
/// entry. (A contact the row creates keeps its creator instead.)
fn entry_of(
    record: &ImportRecord,
    row: u64,
    before: &Contact,
    after: &Contact,
) -> Option<ActivityEntry> {
    Activity::of_write(before, after, row_actor(record, row))
        .map(|a| ActivityEntry::of_row(&after.id, &record.id, record.created_at, row, a))
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
    for round in 0..WRITE_ROUNDS {
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
        // The contacts rows update, read in batches; and, from the second
        // round on, those a row creating may have created on an earlier run
        // (its id is fixed by the import and the row). The first round
        // does not look for them: a creation is written only where its
        // contact is not there yet, so a row an earlier run created fails
        // that condition and comes back in the next round, which reads it.
        // A first delivery, nearly every delivery, reads nothing for them.
        let to_read: Vec<String> = plans
            .iter()
            .filter_map(|(i, p)| match p {
                Plan::Update(id) => Some(id.clone()),
                Plan::Create if round > 0 => Some(created_contact_id(&record.id, rows[*i].row)),
                Plan::Create | Plan::Done(_) => None,
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
        let mut changes: Vec<RowChange<'_>> = Vec::new();
        for (i, plan) in plans {
            let row = &rows[i];
            let draft = row.draft.clone().unwrap_or_default();
            match plan {
                Plan::Done(end) => ends[i] = Some(end),
                Plan::Create => {
                    let id = created_contact_id(&record.id, row.row);
                    // A run before this one may have created it already:
                    // then it keeps its creation time (its index entries
                    // sort by it) and is written over what it is, or not
                    // at all when it already holds what the row says.
                    let earlier = current.get(&id);
                    let created = earlier.map_or(&stamp, |c| &c.created_at);
                    let mut contact = Contact {
                        id: id.clone(),
                        created_by: Some(row_actor(record, row.row)),
                        created_at: created.clone(),
                        updated_at: earlier.map_or(&stamp, |c| &c.updated_at).clone(),
                        ..Contact::default()
                    };
                    apply(&mut contact, &draft, &rules);
                    if let Some(earlier) = earlier {
                        if contact == *earlier {
                            ends[i] = Some(RowEnd::written(Status::Imported, &id));
                            continue;
                        }
                        contact.updated_at = next_stamp(&earlier.updated_at);
                    }
                    // Its history's first line is the contact's own
                    // `created_by`: no entry item.
                    changes.push(RowChange {
                        row: i,
                        end: RowEnd::written(Status::Imported, &id),
                        contact,
                        before: earlier,
                        entry: None,
                    });
                }
                Plan::Update(id) => {
                    // Deleted between the two reads: look again next round.
                    let Some(before) = current.get(&id) else {
                        continue;
                    };
                    let mut after = before.clone();
                    apply(&mut after, &draft, &rules);
                    after.keep_merged(before);
                    if after == *before {
                        // Nothing to change (a row run again after its
                        // write, or a file that says what the contact
                        // already holds): no write, and the history entry
                        // of the write that did change it stays.
                        ends[i] = Some(RowEnd::written(Status::Updated, &id));
                        continue;
                    }
                    after.updated_at = next_stamp(&before.updated_at);
                    let entry = entry_of(record, row.row, before, &after);
                    changes.push(RowChange {
                        row: i,
                        end: RowEnd::written(Status::Updated, &id),
                        contact: after,
                        before: Some(before),
                        entry,
                    });
                }
            }
        }
        let writes: Vec<RowWrite<'_>> = changes
            .iter()
            .map(|change| RowWrite {
                contact: &change.contact,
                before: change.before,
                entry: change.entry.as_ref(),
            })
            .collect();
        let written = store
            .contacts
            .write_rows(ws, &writes, identifier)
            .await
            .at("writing the rows")?;
        for (change, written) in changes.into_iter().zip(written) {
            if written {
                ends[change.row] = Some(change.end);
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
