//! Merging contacts and undoing a merge, the merge history, and a
//! contact's activity. The rules of what a merge makes and what an undo
//! gives back are `merge_plan`'s; here the contacts and claims are read,
//! the plan is written in one transaction (the store's), and a write that
//! met a concurrent change is planned again over what is there now.
//!
//! A merge sent twice ends as one: the second finds the others merged away
//! into this contact by the same merge and answers that merge. An undo sent
//! twice finds the merge undone and answers it as it ended.

use crate::operations::reads::read_settings;
use std::collections::{BTreeMap, BTreeSet};

use contact_engine::limits::MAX_PAGE;
use contact_engine::options::Identifier;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::conflicts::{EDIT_TRIES, contact_changed, contact_limit_reached, contact_or_404};
use super::merge_plan::{merge_claims, merged_contact, restoration, undo_values};
use crate::operations::caller::Caller;
use crate::operations::error::{AtStep, ListedAt, ServiceError};
use crate::operations::plan::{open_now, open_now_with};
use crate::records::ids::{is_safe_id, new_id};
use crate::records::time::{next_stamp, now, parse_rfc3339, rfc3339};
use crate::records::{Activity, ActivityKind, Actor, Contact, MergeRecord, MergeStatus};
use crate::store::{ActivityEntry, MergeEnd, MergeWrite, Store, UndoWrite};

/// Most contacts merged into one at once.
pub const MAX_MERGED: usize = 9;
/// How long a merge may be undone (its record is kept as long).
pub const MERGE_DAYS: i64 = 90;
/// How long an agent may undo a merge they made.
pub const OWN_UNDO_SECONDS: i64 = 3600;

/// `POST /v1/contacts/{id}/merge`.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MergeRequest {
    /// The contacts merged into this one (1 to 9); they are removed, and
    /// their phones and emails are held by this one.
    pub others: Vec<String>,
    /// Per field, the id of the contact whose value the merged contact
    /// keeps: `first_name`, `last_name`, `phone`, `email`, `country`,
    /// `language`, `assignee` or `custom:<key>`. A field left out keeps
    /// this contact's value, or the first other's when it has none; tags
    /// and groups are united.
    #[serde(default)]
    pub fields: BTreeMap<String, String>,
}

/// A page of the merge history, newest first.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct MergePage {
    pub items: Vec<MergeRecord>,
    pub cursor: Option<String>,
}

/// A page of a contact's activity, newest first.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ActivityPage {
    pub items: Vec<crate::records::Activity>,
    pub cursor: Option<String>,
}

/// A merge (or its undo) that would write more than one transaction takes.
fn too_large() -> ServiceError {
    ServiceError::bad_request(
        "invalid_merge",
        "these contacts hold too many tags, phones and emails to merge (or split) at once: merge fewer at a time",
    )
}

fn not_undoable(message: impl Into<String>) -> ServiceError {
    ServiceError::conflict("merge_not_undoable", message)
}

/// Merges, their undoing and history, and contacts' activity.
#[derive(Debug, Clone)]
pub struct Merges {
    store: Store,
}

impl Merges {
    pub(crate) fn new(store: Store) -> Self {
        Self { store }
    }

    async fn contact(&self, caller: &Caller, id: &str) -> Result<Contact, ServiceError> {
        contact_or_404(&self.store, &caller.workspace, id).await
    }

    /// Who holds each identifier value now.
    async fn holders_of(
        &self,
        ws: &str,
        values: &[(Identifier, String)],
    ) -> Result<BTreeMap<(Identifier, String), Vec<String>>, ServiceError> {
        let mut read = BTreeMap::new();
        for identifier in [Identifier::Phone, Identifier::Email] {
            let of_kind: Vec<&str> = values
                .iter()
                .filter(|(i, _)| *i == identifier)
                .map(|(_, v)| v.as_str())
                .collect();
            if of_kind.is_empty() {
                continue;
            }
            let found = self
                .store
                .contacts
                .holders(ws, identifier, &of_kind)
                .await
                .at("looking up who holds the identifiers")?;
            for (value, holders) in of_kind.into_iter().zip(found) {
                read.insert((identifier, value.to_string()), holders);
            }
        }
        Ok(read)
    }

    /// `POST /v1/contacts/{id}/merge`.
    pub async fn merge(
        &self,
        caller: &Caller,
        id: &str,
        request: MergeRequest,
    ) -> Result<MergeRecord, ServiceError> {
        let ws = &caller.workspace;
        // The contact first: another workspace's id answers 404 whatever
        // the body says. A try that met a concurrent change reads it again.
        let mut survivor = self.contact(caller, id).await?;
        let others = checked_others(id, &request.others)?;
        // A merge deletes the others: their month is opened first.
        open_now(&self.store, ws).await?;
        for attempt in 0..EDIT_TRIES {
            if attempt > 0 {
                survivor = self.contact(caller, id).await?;
            }
            let found = self
                .store
                .contacts
                .contacts(ws, &others)
                .await
                .at("reading the contacts to merge")?;
            let missing: Vec<String> = others
                .iter()
                .filter(|o| !found.iter().any(|c| c.id == **o))
                .cloned()
                .collect();
            if !missing.is_empty() {
                return self.merged_before(ws, id, &others, &missing).await;
            }
            // In the order asked.
            let others_read: Vec<Contact> = others
                .iter()
                .filter_map(|o| found.iter().find(|c| c.id == *o).cloned())
                .collect();
            if let Some(blocked) = std::iter::once(&survivor)
                .chain(&others_read)
                .find(|c| c.blocked)
            {
                return Err(ServiceError::conflict(
                    "contact_blocked",
                    format!(
                        "contact {} is blocked: unblock it before merging",
                        blocked.id
                    ),
                ));
            }
            let stamp = next_stamp(&survivor.updated_at);
            let after = merged_contact(&survivor, &others_read, &request.fields, stamp)?;
            let values: Vec<(Identifier, String)> = others_read
                .iter()
                .flat_map(|c| {
                    [Identifier::Phone, Identifier::Email]
                        .into_iter()
                        .flat_map(move |i| c.held(i).into_iter().map(move |v| (i, v.to_string())))
                })
                .collect();
            let read = self.holders_of(ws, &values).await?;
            let claims = merge_claims(id, &others_read, &read);
            let created = now();
            let record = MergeRecord {
                id: new_id("mrg"),
                contact: id.to_string(),
                merged: others.clone(),
                status: MergeStatus::Merged,
                before: std::iter::once(survivor.clone())
                    .chain(others_read.iter().cloned())
                    .collect(),
                after: after.clone(),
                created_at: rfc3339(created),
                created_by: caller.user.clone(),
                undone_at: None,
                undone_by: None,
                not_restored: Vec::new(),
                undoable_until: rfc3339(created + MERGE_DAYS * 86_400),
            };
            let by = || Actor::api(caller.user.as_deref());
            let mut entries = vec![ActivityEntry::now(
                id,
                Activity::of_merge(
                    ActivityKind::Merged,
                    &survivor,
                    &after,
                    &others,
                    &record.id,
                    by(),
                ),
            )];
            for other in &others_read {
                let mut entry =
                    Activity::new(ActivityKind::MergedInto, after.updated_at.clone(), by());
                entry.contacts = vec![id.to_string()];
                entry.merge = Some(record.id.clone());
                entries.push(ActivityEntry::now(&other.id, entry));
            }
            let write = MergeWrite {
                record: &record,
                claims: &claims,
                entries: &entries,
            };
            match self
                .store
                .merges
                .merge(ws, &write)
                .await
                .at("writing the merge")?
            {
                MergeEnd::Done => {
                    tracing::info!(workspace = %ws, contact = %id, merge = %record.id, merged = others.len(), "contacts merged");
                    return Ok(record);
                }
                MergeEnd::TooLarge => return Err(too_large()),
                _ => continue,
            }
        }
        Err(contact_changed())
    }

    /// A merge whose other contacts are gone: the same merge sent again
    /// (answered as it was), or a mistake worth naming.
    async fn merged_before(
        &self,
        ws: &str,
        id: &str,
        others: &[String],
        missing: &[String],
    ) -> Result<MergeRecord, ServiceError> {
        let away = self
            .store
            .merges
            .merged_away(ws, missing)
            .await
            .at("reading where the contacts went")?;
        for gone in missing {
            match away.iter().find(|a| a.contact == *gone) {
                None => return Err(ServiceError::NotFound("contact")),
                Some(a) if a.into != id => {
                    return Err(ServiceError::conflict(
                        "contact_merged",
                        format!(
                            "contact {gone} was merged into {} (merge {})",
                            a.into, a.merge
                        ),
                    ));
                }
                Some(_) => {}
            }
        }
        let merges: BTreeSet<&str> = away.iter().map(|a| a.merge.as_str()).collect();
        if let [merge] = merges.into_iter().collect::<Vec<_>>()[..]
            && let Some(record) = self
                .store
                .merges
                .record(ws, merge)
                .await
                .at("reading the merge")?
        {
            let same: BTreeSet<&String> = record.merged.iter().collect();
            let asked: BTreeSet<&String> = others.iter().collect();
            if record.status == MergeStatus::Merged && same == asked {
                return Ok(record);
            }
        }
        Err(ServiceError::conflict(
            "contact_merged",
            format!(
                "contacts {} were merged into {id} already",
                missing.join(", ")
            ),
        ))
    }

    /// `GET /v1/merges/{id}`.
    pub async fn merge_record(
        &self,
        caller: &Caller,
        id: &str,
    ) -> Result<MergeRecord, ServiceError> {
        caller.may_manage()?;
        self.read_merge(caller, id).await
    }

    async fn read_merge(&self, caller: &Caller, id: &str) -> Result<MergeRecord, ServiceError> {
        if !is_safe_id(id) {
            return Err(ServiceError::NotFound("merge"));
        }
        self.store
            .merges
            .record(&caller.workspace, id)
            .await
            .at("reading the merge")?
            .ok_or(ServiceError::NotFound("merge"))
    }

    /// `GET /v1/merges`: the merge history, newest first.
    pub async fn merges(
        &self,
        caller: &Caller,
        limit: Option<usize>,
        cursor: Option<&str>,
    ) -> Result<MergePage, ServiceError> {
        caller.may_manage()?;
        let limit = limit.unwrap_or(20).clamp(1, MAX_PAGE) as i32;
        let page = self
            .store
            .merges
            .list(&caller.workspace, limit, cursor)
            .await
            .listed_at("listing the merges")?;
        Ok(MergePage {
            items: page.items,
            cursor: page.cursor,
        })
    }

    /// `POST /v1/merges/{id}/undo`.
    pub async fn undo_merge(&self, caller: &Caller, id: &str) -> Result<MergeRecord, ServiceError> {
        let ws = &caller.workspace;
        // An agent may undo a merge of their own, for an hour; any other
        // merge (or none) answers them 403 alike, as a manager's route does.
        let record = match (caller.may_manage(), self.read_merge(caller, id).await) {
            (Ok(()), read) => read?,
            (Err(forbidden), Ok(record)) if !own_and_recent(caller, &record) => {
                return Err(forbidden);
            }
            (Err(forbidden), Err(ServiceError::NotFound(_))) => return Err(forbidden),
            (Err(_), read) => read?,
        };
        if record.status == MergeStatus::Undone {
            return Ok(record);
        }
        if parse_rfc3339(&record.undoable_until).is_some_and(|until| now() > until) {
            return Err(not_undoable(format!(
                "a merge may be undone for {MERGE_DAYS} days; this one is older"
            )));
        }
        let settings = read_settings(&self.store, ws).await?;
        for _ in 0..EDIT_TRIES {
            let Some(current) = self
                .store
                .contacts
                .contact(ws, &record.contact)
                .await
                .at("reading the merged contact")?
            else {
                let away = self
                    .store
                    .merges
                    .merged_away(ws, std::slice::from_ref(&record.contact))
                    .await
                    .at("reading where the merged contact went")?;
                return Err(match away.first() {
                    Some(a) => not_undoable(format!(
                        "contact {} was merged into {} since (merge {}): undo that merge first",
                        record.contact, a.into, a.merge
                    )),
                    None => not_undoable(format!(
                        "contact {} was deleted since the merge",
                        record.contact
                    )),
                });
            };
            let read = self.holders_of(ws, &undo_values(&record)).await?;
            let plan = restoration(&record, &current, &read, next_stamp);
            let stamp = rfc3339(now());
            let undone = MergeRecord {
                status: MergeStatus::Undone,
                undone_at: Some(stamp.clone()),
                undone_by: caller.user.clone(),
                not_restored: plan.not_restored.clone(),
                ..record.clone()
            };
            let by = || Actor::api(caller.user.as_deref());
            let mut entries = vec![ActivityEntry::now(
                &record.contact,
                Activity::of_merge(
                    ActivityKind::Unmerged,
                    &current,
                    &plan.survivor,
                    &record.merged,
                    &record.id,
                    by(),
                ),
            )];
            for (back, before) in plan.brought_back.iter().zip(record.before.iter().skip(1)) {
                entries.push(ActivityEntry::now(
                    &back.id,
                    Activity::of_merge(
                        ActivityKind::Restored,
                        before,
                        back,
                        std::slice::from_ref(&record.contact),
                        &record.id,
                        by(),
                    ),
                ));
            }
            let (month, _) = open_now_with(&self.store, ws, &settings).await?;
            let write = UndoWrite {
                record: &undone,
                current: &current,
                restored: &plan.survivor,
                brought_back: &plan.brought_back,
                claims: &plan.claims,
                entries: &entries,
                month: &month,
                limit: settings.contact_limit,
            };
            match self
                .store
                .merges
                .undo(ws, &write)
                .await
                .at("undoing the merge")?
            {
                MergeEnd::Done => {
                    tracing::info!(workspace = %ws, merge = %record.id, "merge undone");
                    return Ok(undone);
                }
                MergeEnd::AlreadyUndone => return self.read_merge(caller, id).await,
                MergeEnd::LimitReached => {
                    return Err(contact_limit_reached(settings.contact_limit));
                }
                MergeEnd::TooLarge => return Err(too_large()),
                MergeEnd::Changed => continue,
            }
        }
        Err(contact_changed())
    }

    /// `GET /v1/contacts/{id}/activity`: the contact's history, newest first.
    pub async fn activity(
        &self,
        caller: &Caller,
        id: &str,
        limit: Option<usize>,
        cursor: Option<&str>,
    ) -> Result<ActivityPage, ServiceError> {
        let contact = self.contact(caller, id).await?;
        let limit = limit.unwrap_or(20).clamp(1, MAX_PAGE) as i32;
        let mut page = self
            .store
            .activity
            .page(&caller.workspace, id, limit, cursor)
            .await
            .listed_at("reading the contact's activity")?;
        // The creation is the history's last line (the oldest), kept on
        // the contact: it ends the last page. A page of `limit` entries
        // always has a cursor, so the line never makes a page longer than
        // asked.
        if page.cursor.is_none()
            && let Some(created) = Activity::creation(&contact)
        {
            page.items.push(created);
        }
        Ok(ActivityPage {
            items: page.items,
            cursor: page.cursor,
        })
    }
}

/// Whether `caller` made the merge, within [`OWN_UNDO_SECONDS`].
fn own_and_recent(caller: &Caller, record: &MergeRecord) -> bool {
    let created = parse_rfc3339(&record.created_at).unwrap_or(0);
    caller.user.is_some() && record.created_by == caller.user && now() - created <= OWN_UNDO_SECONDS
}

/// The other contacts of a merge request, checked: 1 to [`MAX_MERGED`]
/// distinct ids, none of them the contact merged into.
fn checked_others(id: &str, others: &[String]) -> Result<Vec<String>, ServiceError> {
    let invalid = |m: String| ServiceError::bad_request("invalid_merge", m);
    if others.is_empty() || others.len() > MAX_MERGED {
        return Err(invalid(format!(
            "others: name 1 to {MAX_MERGED} contacts to merge into {id}"
        )));
    }
    let mut seen = BTreeSet::new();
    for other in others {
        if !is_safe_id(other) {
            return Err(invalid(format!(
                "others: \"{}\" is not a contact id",
                other.chars().take(70).collect::<String>()
            )));
        }
        if other == id {
            return Err(invalid(format!(
                "others: {id} cannot be merged into itself"
            )));
        }
        if !seen.insert(other) {
            return Err(invalid(format!("others: {other} is named twice")));
        }
    }
    Ok(others.to_vec())
}
