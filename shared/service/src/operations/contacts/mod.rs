//! The contacts API's operations: create, read, look up, search (`search`),
//! edit, tag, delete, and merge suggestions (merging is `merges`). Values are normalised and checked by the
//! rules an import's rows meet (`checker`), and every write that changes a
//! phone or email moves its claims in the same transaction (the store's),
//! so identifiers stay unique whatever runs beside it (an import, another
//! request).

mod bulk;
mod checker;
mod conflicts;
mod merge_plan;
pub mod merges;
pub mod requests;
pub mod search;

use crate::operations::reads::read_settings;
use std::collections::BTreeSet;

use contact_engine::normalize;
use contact_engine::options::Identifier;

pub(crate) use self::bulk::bulk_action;
pub use self::bulk::{BulkItem, BulkOutcome, BulkResult, ContactActions, MAX_BULK_IDS};
use self::checker::{Checker, requested_tags, tags_to_change, with_tags, without_tags};
use self::conflicts::{EDIT_TRIES, contact_changed, contact_limit_reached, contact_or_404};
pub use self::merges::{ActivityPage, MergePage, MergeRequest, Merges};
pub use self::requests::{
    ContactPage, ContactPatch, ContactQuery, FilterNames, MergeCandidate, MergeCandidates,
    NewContact, SharedValue, TagsChange,
};
pub use self::search::PageReads;
use self::search::search;
use super::caller::Caller;
use super::error::{AtStep, ServiceError};
use crate::operations::plan::{open_now, open_now_with};
use crate::records::ids::new_id;
use crate::records::time::{next_stamp, now, rfc3339};
use crate::records::{Activity, Actor};
use crate::records::{Contact, ContactFilter, Settings};
use crate::store::{ActivityEntry, Creation, Edit, Store};

#[derive(Debug, Clone)]
pub struct Contacts {
    store: Store,
}

impl Contacts {
    pub(crate) fn new(store: Store) -> Self {
        Self { store }
    }

    async fn checker(&self, ws: &str) -> Result<(Checker, Settings), ServiceError> {
        let settings = read_settings(&self.store, ws).await?;
        Ok((Checker::new(&settings), settings))
    }

    /// `POST /v1/contacts`.
    pub async fn create(&self, caller: &Caller, new: NewContact) -> Result<Contact, ServiceError> {
        let ws = &caller.workspace;
        let (checker, settings) = self.checker(ws).await?;
        let limit = settings.contact_limit;
        let tags = requested_tags(&new.tags)?;
        let stamp = rfc3339(now());
        let blank = Contact {
            id: new_id("c"),
            created_by: Some(Actor::api(caller.user.as_deref())),
            created_at: stamp.clone(),
            updated_at: stamp,
            ..Contact::default()
        };
        let mut contact = checker.apply(&blank, &ContactPatch::from(new))?;
        contact.tags = tags;
        let (month, _) = open_now_with(&self.store, ws, &settings).await?;
        let created = self
            .store
            .contacts
            .create(ws, &contact, &month, limit)
            .await
            .at("creating the contact")?;
        match created {
            Creation::Created => {
                tracing::info!(workspace = %ws, contact = %contact.id, "contact created");
                Ok(contact)
            }
            Creation::IdentifierTaken => Err(self.identifier_taken(ws, &contact).await),
            Creation::LimitReached => Err(contact_limit_reached(limit)),
        }
    }

    /// The refusal of a write whose phone or email another contact holds,
    /// naming the value and the contact (an extra read, on this path only).
    async fn identifier_taken(&self, ws: &str, contact: &Contact) -> ServiceError {
        let wanted = [
            (Identifier::Phone, "phone", &contact.phone),
            (Identifier::Email, "email", &contact.email),
        ];
        for (identifier, words, value) in wanted {
            let Some(value) = value else { continue };
            let holders = self
                .store
                .contacts
                .holders(ws, identifier, &[value.as_str()])
                .await;
            let other = holders
                .ok()
                .and_then(|mut found| found.pop())
                .and_then(|ids| ids.into_iter().find(|id| *id != contact.id));
            if let Some(other) = other {
                return ServiceError::conflict(
                    "identifier_taken",
                    format!("contact {other} already has the {words} {value}"),
                );
            }
        }
        ServiceError::conflict(
            "identifier_taken",
            "another contact already has this phone or email",
        )
    }

    /// `GET /v1/contacts/{id}`.
    pub async fn contact(&self, caller: &Caller, id: &str) -> Result<Contact, ServiceError> {
        contact_or_404(&self.store, &caller.workspace, id).await
    }

    /// `GET /v1/contacts`, in whichever mode the query asks for.
    pub async fn query(
        &self,
        caller: &Caller,
        query: ContactQuery,
    ) -> Result<ContactPage, ServiceError> {
        Ok(self.query_reads(caller, query).await?.0)
    }

    /// `GET /v1/contacts`, with what a search page read (for the logs and
    /// the benchmarks).
    pub async fn query_reads(
        &self,
        caller: &Caller,
        query: ContactQuery,
    ) -> Result<(ContactPage, PageReads), ServiceError> {
        if query.phone.is_some() || query.email.is_some() {
            let found = self
                .find(caller, query.phone.as_deref(), query.email.as_deref())
                .await?;
            return Ok((found, PageReads::default()));
        }
        let (checker, _) = self.checker(&caller.workspace).await?;
        search(&self.store, &caller.workspace, &checker, &query).await
    }

    /// A search's filters read from `query` and checked, for a job that
    /// applies them to every contact (a bulk action by filter).
    pub(crate) async fn filter(
        &self,
        ws: &str,
        query: &ContactQuery,
    ) -> Result<ContactFilter, ServiceError> {
        let (checker, _) = self.checker(ws).await?;
        ContactFilter::read(query, &checker)
    }

    /// The contacts holding a phone or an email.
    pub async fn find(
        &self,
        caller: &Caller,
        phone: Option<&str>,
        email: Option<&str>,
    ) -> Result<ContactPage, ServiceError> {
        let ws = &caller.workspace;
        // A value that cannot be anyone's identifier is refused, saying why,
        // rather than answered with no one: "no such contact" would hide a
        // typing mistake or a missing default country.
        let quoted = |raw: &str| raw.trim().chars().take(40).collect::<String>();
        let (identifier, value) = match (phone, email) {
            (Some(raw), None) => {
                let (checker, _) = self.checker(ws).await?;
                match checker.phone_value(raw.trim()) {
                    Ok(Some(p)) => (Identifier::Phone, p),
                    Ok(None) => {
                        return Err(ServiceError::bad_request(
                            "invalid_query",
                            "phone= holds no digits: give the number to look up",
                        ));
                    }
                    Err(why) => {
                        return Err(ServiceError::bad_request(
                            "invalid_query",
                            format!("phone=\"{}\" {why}", quoted(raw)),
                        ));
                    }
                }
            }
            (None, Some(raw)) => match normalize::email(raw.trim()) {
                Ok(e) => (Identifier::Email, e),
                Err(why) => {
                    return Err(ServiceError::bad_request(
                        "invalid_query",
                        format!("email=\"{}\" {why}", quoted(raw)),
                    ));
                }
            },
            _ => {
                return Err(ServiceError::bad_request(
                    "invalid_query",
                    "look contacts up with exactly one of phone= or email=",
                ));
            }
        };
        let contacts = &self.store.contacts;
        let holders = contacts
            .holders(ws, identifier, &[value.as_str()])
            .await
            .at("looking up the identifier")?
            .pop()
            .unwrap_or_default();
        let mut items = contacts
            .contacts(ws, &holders)
            .await
            .at("reading the contacts found")?;
        items.sort_by(|a, b| a.id.cmp(&b.id));
        Ok(ContactPage {
            items,
            cursor: None,
        })
    }

    /// `PATCH /v1/contacts/{id}`.
    pub async fn update(
        &self,
        caller: &Caller,
        id: &str,
        patch: ContactPatch,
    ) -> Result<Contact, ServiceError> {
        let (checker, _) = self.checker(&caller.workspace).await?;
        self.edit(caller, id, |contact| checker.apply(contact, &patch))
            .await
    }

    /// `POST /v1/contacts/{id}/tags`.
    pub async fn add_tags(
        &self,
        caller: &Caller,
        id: &str,
        change: TagsChange,
    ) -> Result<Contact, ServiceError> {
        self.change_tags(caller, id, &change, with_tags).await
    }

    /// `DELETE /v1/contacts/{id}/tags`.
    pub async fn remove_tags(
        &self,
        caller: &Caller,
        id: &str,
        change: TagsChange,
    ) -> Result<Contact, ServiceError> {
        let without = |tags, gone: &[String]| Ok(without_tags(tags, gone));
        self.change_tags(caller, id, &change, without).await
    }

    /// A contact's tags changed by `how`, with the tags a request names.
    async fn change_tags(
        &self,
        caller: &Caller,
        id: &str,
        change: &TagsChange,
        how: impl Fn(Vec<String>, &[String]) -> Result<Vec<String>, ServiceError>,
    ) -> Result<Contact, ServiceError> {
        self.edit(caller, id, |contact| {
            Ok(Contact {
                tags: how(contact.tags.clone(), &tags_to_change(change)?)?,
                ..contact.clone()
            })
        })
        .await
    }

    /// `DELETE /v1/contacts/{id}`: the contact and its claims go together.
    pub async fn delete(&self, caller: &Caller, id: &str) -> Result<(), ServiceError> {
        caller.may_manage()?;
        let ws = &caller.workspace;
        open_now(&self.store, ws).await?;
        for _ in 0..EDIT_TRIES {
            let contact = self.contact(caller, id).await?;
            let deleted = self
                .store
                .contacts
                .delete(ws, &contact)
                .await
                .at("deleting the contact")?;
            if deleted == Edit::Done {
                tracing::info!(workspace = %ws, contact = %contact.id, "contact deleted");
                // Its history goes with it; a failure here leaves entries
                // that expire on their own, under a contact that is gone.
                if let Err(e) = self.store.activity.purge(ws, &contact.id).await {
                    tracing::warn!(workspace = %ws, contact = %contact.id, error = %e, "history not purged");
                }
                return Ok(());
            }
        }
        Err(contact_changed())
    }

    /// The other contacts that share one of the contact's phones or emails
    /// (the duplicates an `add_all` import makes), in id order, each with
    /// the values it shares. Blocked contacts are never suggested (nor is
    /// anything for a blocked contact): they cannot be merged.
    pub async fn merge_suggestions(
        &self,
        caller: &Caller,
        id: &str,
    ) -> Result<MergeCandidates, ServiceError> {
        let ws = &caller.workspace;
        let contact = self.contact(caller, id).await?;
        if contact.blocked {
            return Ok(MergeCandidates { items: Vec::new() });
        }
        let contacts = &self.store.contacts;
        let mut others = BTreeSet::new();
        for identifier in [Identifier::Phone, Identifier::Email] {
            let values = contact.held(identifier);
            if values.is_empty() {
                continue;
            }
            let holders = contacts
                .holders(ws, identifier, &values)
                .await
                .at("looking up the contact's identifiers")?;
            others.extend(holders.into_iter().flatten());
        }
        others.remove(&contact.id);
        let others: Vec<String> = others.into_iter().collect();
        let found = contacts
            .contacts(ws, &others)
            .await
            .at("reading the contacts that share them")?;
        // A claim may outlive a change it missed; the contacts say what
        // they hold.
        let mut items: Vec<MergeCandidate> = found
            .into_iter()
            .filter(|c| !c.blocked)
            .filter_map(|c| {
                let mut shared = Vec::new();
                for (identifier, field) in
                    [(Identifier::Phone, "phone"), (Identifier::Email, "email")]
                {
                    let mine = contact.held(identifier);
                    for value in c.held(identifier) {
                        if mine.contains(&value) {
                            shared.push(SharedValue {
                                field: field.to_string(),
                                value: value.to_string(),
                            });
                        }
                    }
                }
                (!shared.is_empty()).then_some(MergeCandidate { contact: c, shared })
            })
            .collect();
        items.sort_by(|a, b| a.contact.id.cmp(&b.contact.id));
        Ok(MergeCandidates { items })
    }

    /// Reads a contact, changes it, and writes it back over the version read
    /// with its claim moves, in one transaction. A concurrent write to the
    /// contact gets one more try on the contact as it then is. The contact
    /// is read before `change` checks anything, so another workspace's id
    /// answers 404 whatever the request holds.
    async fn edit(
        &self,
        caller: &Caller,
        id: &str,
        change: impl Fn(&Contact) -> Result<Contact, ServiceError>,
    ) -> Result<Contact, ServiceError> {
        let ws = &caller.workspace;
        for _ in 0..EDIT_TRIES {
            let before = self.contact(caller, id).await?;
            let mut after = change(&before)?;
            after.keep_merged(&before);
            if after == before {
                return Ok(before);
            }
            after.updated_at = next_stamp(&before.updated_at);
            let entry = Activity::of_write(&before, &after, Actor::api(caller.user.as_deref()))
                .map(|a| ActivityEntry::now(&after.id, a));
            let edited = self
                .store
                .contacts
                .replace(ws, &before, &after, entry.as_ref())
                .await
                .at("writing the contact")?;
            match edited {
                Edit::Done => {
                    tracing::info!(workspace = %ws, contact = %after.id, "contact updated");
                    return Ok(after);
                }
                Edit::Changed => continue,
                Edit::IdentifierTaken => return Err(self.identifier_taken(ws, &after).await),
            }
        }
        Err(contact_changed())
    }
}
