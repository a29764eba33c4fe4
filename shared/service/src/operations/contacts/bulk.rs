//! A bulk action done to one contact, and to a list of ids at once.
//!
//! Each contact is its own write, over the version read (the same
//! transaction an edit or a delete makes: claims, index items and history
//! move with it), so a bulk action never half-writes a contact, and one
//! racing an edit either sees the edit or is tried again over it. The
//! actions are idempotent; done twice, a contact ends as done once.

use std::collections::{HashMap, HashSet};

use futures_util::stream::{self, StreamExt};
use serde::Serialize;
use utoipa::ToSchema;

use super::checker::{requested_tags, with_tags, without_tags};
use super::conflicts::EDIT_TRIES;
use crate::operations::caller::Caller;
use crate::operations::error::{AtStep, ServiceError};
use crate::operations::plan::open_now;
use crate::records::ids::is_safe_id;
use crate::records::time::next_stamp;
use crate::records::{Activity, Actor, BulkAction, BulkActionName, Contact};
use crate::store::{ActivityEntry, Edit, Store};
use contact_engine::normalize;

/// Most ids one bulk request names: a page of contacts.
pub const MAX_BULK_IDS: usize = contact_engine::limits::MAX_PAGE;

/// Contacts written side by side while a bulk action runs.
const SIDE_BY_SIDE: usize = 8;

/// What a bulk action did to one contact.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum BulkOutcome {
    /// Changed as asked.
    Changed,
    /// Already as asked: nothing written.
    Unchanged,
    Deleted,
    /// No such contact in the workspace (or deleted meanwhile).
    NotFound,
    /// The action would take it past a limit (a contact carries at most
    /// 50 tags): left as it was.
    Refused,
    /// It kept changing while the action tried: left as it was; try again.
    Busy,
}

/// One id of a bulk request and what happened to its contact.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct BulkItem {
    pub id: String,
    pub outcome: BulkOutcome,
}

/// The answer to a bulk action over a list of ids: each id's outcome, in
/// the order given.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct BulkResult {
    pub action: BulkActionName,
    pub items: Vec<BulkItem>,
}

fn invalid(message: impl Into<String>) -> ServiceError {
    ServiceError::bad_request("invalid_bulk_action", message)
}

/// The action a request names, with its tags or its group, checked: the
/// tag actions take tags (normalised as a contact's are) and no group, the
/// group actions a group and no tags, the others neither.
pub(crate) fn bulk_action(
    name: BulkActionName,
    tags: Option<&[String]>,
    group: Option<&str>,
) -> Result<BulkAction, ServiceError> {
    let wants_tags = matches!(name, BulkActionName::AddTags | BulkActionName::RemoveTags);
    let wants_group = matches!(
        name,
        BulkActionName::AddToGroup | BulkActionName::RemoveFromGroup
    );
    if tags.is_some() && !wants_tags {
        return Err(invalid("tags go with add_tags and remove_tags only"));
    }
    if group.is_some() && !wants_group {
        return Err(invalid(
            "group goes with add_to_group and remove_from_group only",
        ));
    }
    let tags = match tags {
        Some(tags) => requested_tags(tags)?,
        None => Vec::new(),
    };
    if wants_tags && tags.is_empty() {
        return Err(invalid(format!(
            "{} names at least one tag in tags",
            serde_json::to_value(name).unwrap_or_default()
        )));
    }
    let group = group.map(str::trim).unwrap_or_default().to_string();
    if wants_group
        && (group.is_empty() || group.chars().count() > contact_engine::limits::MAX_TEXT_CHARS)
    {
        return Err(invalid(format!(
            "group names the group, in 1 to {} characters",
            contact_engine::limits::MAX_TEXT_CHARS
        )));
    }
    Ok(match name {
        BulkActionName::RenameGroup => {
            return Err(invalid("rename a group with PATCH /v1/groups/{id}"));
        }
        BulkActionName::AddTags => BulkAction::AddTags { tags },
        BulkActionName::RemoveTags => BulkAction::RemoveTags { tags },
        BulkActionName::AddToGroup => BulkAction::AddToGroup { group },
        BulkActionName::RemoveFromGroup => BulkAction::RemoveFromGroup { group },
        BulkActionName::Block => BulkAction::Block,
        BulkActionName::Unblock => BulkAction::Unblock,
        BulkActionName::Delete => BulkAction::Delete,
    })
}

/// `contact` as `action` leaves it (delete aside), or why it cannot be.
fn acted(action: &BulkAction, contact: &Contact) -> Result<Contact, ServiceError> {
    let mut next = contact.clone();
    match action {
        BulkAction::AddTags { tags } => next.tags = with_tags(next.tags, tags)?,
        BulkAction::RemoveTags { tags } => next.tags = without_tags(next.tags, tags),
        BulkAction::AddToGroup { group } => {
            if !normalize::has_tag(&next.groups, group) {
                next.groups.push(group.clone());
            }
        }
        BulkAction::RemoveFromGroup { group } => {
            next.groups
                .retain(|g| !normalize::has_tag(std::slice::from_ref(group), g));
        }
        BulkAction::RenameGroup { from, to } => {
            let from = std::slice::from_ref(from);
            if next.groups.iter().any(|g| normalize::has_tag(from, g)) {
                next.groups.retain(|g| !normalize::has_tag(from, g));
                if !normalize::has_tag(&next.groups, to) {
                    next.groups.push(to.clone());
                }
            }
        }
        BulkAction::Block => next.blocked = true,
        BulkAction::Unblock => next.blocked = false,
        BulkAction::Delete => {}
    }
    Ok(next)
}

impl BulkAction {
    /// Whether doing it would change `contact` (a delete always does; an
    /// action it refuses does not).
    pub(crate) fn would_change(&self, contact: &Contact) -> bool {
        *self == BulkAction::Delete || acted(self, contact).is_ok_and(|after| after != *contact)
    }
}

/// Bulk actions done to contacts, one write each.
#[derive(Debug, Clone)]
pub struct ContactActions {
    store: Store,
}

impl ContactActions {
    pub(crate) fn new(store: Store) -> Self {
        Self { store }
    }

    /// Does `action` to `contact`, read a moment ago, writing over that
    /// version; a concurrent write gets it read again and tried once more.
    pub(crate) async fn act_on(
        &self,
        ws: &str,
        by: &Actor,
        action: &BulkAction,
        mut contact: Contact,
    ) -> Result<BulkOutcome, ServiceError> {
        let store = &self.store.contacts;
        for attempt in 0..EDIT_TRIES {
            if attempt > 0 {
                match store
                    .contact(ws, &contact.id)
                    .await
                    .at("reading the contact")?
                {
                    Some(now) => contact = now,
                    None => return Ok(BulkOutcome::NotFound),
                }
            }
            if *action == BulkAction::Delete {
                let deleted = store
                    .delete(ws, &contact)
                    .await
                    .at("deleting the contact")?;
                if deleted == Edit::Done {
                    // Its history goes with it; a failure here leaves
                    // entries that expire on their own.
                    if let Err(e) = self.store.activity.purge(ws, &contact.id).await {
                        tracing::warn!(workspace = %ws, contact = %contact.id, error = %e, "history not purged");
                    }
                    return Ok(BulkOutcome::Deleted);
                }
                continue;
            }
            let mut after = match acted(action, &contact) {
                Ok(after) => after,
                Err(_) => return Ok(BulkOutcome::Refused),
            };
            if after == contact {
                return Ok(BulkOutcome::Unchanged);
            }
            after.updated_at = next_stamp(&contact.updated_at);
            let entry = Activity::of_write(&contact, &after, by.clone())
                .map(|a| ActivityEntry::now(&after.id, a));
            match store
                .replace(ws, &contact, &after, entry.as_ref())
                .await
                .at("writing the contact")?
            {
                Edit::Done => return Ok(BulkOutcome::Changed),
                // No identifier moves in a bulk action; another writer's
                // claim says the contact changed under it.
                Edit::Changed | Edit::IdentifierTaken => continue,
            }
        }
        Ok(BulkOutcome::Busy)
    }

    /// Does `action` to each contact of `contacts` (a page read a moment
    /// ago), a few side by side; the outcomes in the same order.
    pub(crate) async fn act_on_all(
        &self,
        ws: &str,
        by: &Actor,
        action: &BulkAction,
        contacts: Vec<Contact>,
    ) -> Result<Vec<BulkOutcome>, ServiceError> {
        if *action == BulkAction::Delete && !contacts.is_empty() {
            // Their month is opened before any is deleted.
            open_now(&self.store, ws).await?;
        }
        stream::iter(contacts)
            .map(|contact| self.act_on(ws, by, action, contact))
            .buffered(SIDE_BY_SIDE)
            .collect::<Vec<_>>()
            .await
            .into_iter()
            .collect()
    }

    /// A bulk action over a list of ids (checked by the caller: at most
    /// [`MAX_BULK_IDS`], none twice), answered at once.
    pub(crate) async fn act_on_ids(
        &self,
        caller: &Caller,
        action: &BulkAction,
        ids: &[String],
    ) -> Result<BulkResult, ServiceError> {
        let ws = &caller.workspace;
        let wanted: Vec<String> = ids.iter().filter(|id| is_safe_id(id)).cloned().collect();
        let found = self
            .store
            .contacts
            .contacts(ws, &wanted)
            .await
            .at("reading the contacts")?;
        let mut found: HashMap<String, Contact> =
            found.into_iter().map(|c| (c.id.clone(), c)).collect();
        let ordered: Vec<Contact> = ids.iter().filter_map(|id| found.remove(id)).collect();
        let acted: HashSet<String> = ordered.iter().map(|c| c.id.clone()).collect();
        let by = Actor::api(caller.user.as_deref());
        let mut outcomes = self.act_on_all(ws, &by, action, ordered).await?.into_iter();
        let items = ids
            .iter()
            .map(|id| BulkItem {
                id: id.clone(),
                outcome: if acted.contains(id) {
                    outcomes.next().unwrap_or(BulkOutcome::Busy)
                } else {
                    BulkOutcome::NotFound
                },
            })
            .collect();
        tracing::info!(workspace = %ws, action = ?action.name(), contacts = ids.len(), "bulk action done");
        Ok(BulkResult {
            action: action.name(),
            items,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn contact() -> Contact {
        Contact {
            id: "c_1".into(),
            tags: vec!["VIP".into()],
            groups: vec!["Clientes".into()],
            ..Contact::default()
        }
    }

    #[test]
    fn each_action_done_twice_leaves_the_contact_as_done_once() {
        let actions = [
            BulkAction::AddTags {
                tags: vec!["vip".into(), "nuevo".into()],
            },
            BulkAction::RemoveTags {
                tags: vec!["vip".into()],
            },
            BulkAction::AddToGroup {
                group: "Fornecedores".into(),
            },
            BulkAction::RemoveFromGroup {
                group: "clientes".into(),
            },
            BulkAction::RenameGroup {
                from: "CLIENTES".into(),
                to: "Clientes VIP".into(),
            },
            BulkAction::Block,
            BulkAction::Unblock,
        ];
        for action in actions {
            let once = acted(&action, &contact()).unwrap();
            let twice = acted(&action, &once).unwrap();
            assert_eq!(once, twice, "{action:?}");
        }
        let tagged = acted(
            &BulkAction::AddTags {
                tags: vec!["vip".into(), "nuevo".into()],
            },
            &contact(),
        )
        .unwrap();
        assert_eq!(
            tagged.tags,
            ["VIP", "nuevo"],
            "a tag there in another case keeps its spelling"
        );
        let left = acted(
            &BulkAction::RemoveFromGroup {
                group: "clientes".into(),
            },
            &contact(),
        )
        .unwrap();
        assert!(left.groups.is_empty(), "groups compare case aside");
    }

    #[test]
    fn a_contact_is_never_taken_past_the_tag_limit() {
        let full = Contact {
            tags: (0..normalize::MAX_TAGS_PER_ROW)
                .map(|i| format!("t{i}"))
                .collect(),
            ..contact()
        };
        let more = BulkAction::AddTags {
            tags: vec!["one more".into()],
        };
        assert!(acted(&more, &full).is_err());
    }
}
