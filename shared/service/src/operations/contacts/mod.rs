//! The contacts API's operations: create, read, look up, list, edit, tag,
//! delete, and merge suggestions. Values are normalised and checked by the
//! rules an import's rows meet (`checker`), and every write that changes a
//! phone or email moves its claims in the same transaction (the store's),
//! so identifiers stay unique whatever runs beside it (an import, another
//! request).

mod checker;
mod cursor;
pub mod requests;

use std::collections::BTreeSet;

use contact_engine::normalize;
use contact_engine::options::Identifier;

use self::checker::{Checker, next_stamp, requested_tags, tags_to_change, with_tags, without_tags};
use self::cursor::Cursor;
pub use self::requests::{
    ContactList, ContactPage, ContactPatch, ContactQuery, NewContact, TagsChange,
};
use super::caller::Caller;
use super::error::{AtStep, ServiceError};
use crate::records::Contact;
use crate::records::ids::{is_safe_id, new_id};
use crate::records::time::{month, now, rfc3339};
use crate::store::{CONTACT_SHARDS, Creation, Edit, Store};
use contact_engine::limits::{DEFAULT_PAGE, MAX_PAGE};

/// Most shard queries one listing request makes: enough to cross every
/// shard once with room for reads cut short by size, and a bound on the
/// work of a tag that few contacts carry (the page then ends early, with a
/// cursor to go on from).
const LIST_QUERIES: usize = 24;
/// Contacts read per query while filtering by tag.
const TAG_READ: i32 = 100;
/// Tries of an edit that meets a concurrent write to the same contact: one
/// more on the contact as it then is.
const EDIT_TRIES: usize = 2;

fn contact_limit_reached(limit: Option<u64>) -> ServiceError {
    let message = match limit {
        Some(limit) => format!(
            "plan contact limit reached: the workspace may add {limit} new contacts a month, and this month's are used up; existing contacts can still be edited"
        ),
        None => "plan contact limit reached".to_string(),
    };
    ServiceError::conflict("contact_limit_reached", message)
}

fn contact_changed() -> ServiceError {
    ServiceError::conflict(
        "contact_changed",
        "the contact changed while this request ran; read it again and retry",
    )
}

#[derive(Debug, Clone)]
pub struct Contacts {
    store: Store,
}

impl Contacts {
    pub(crate) fn new(store: Store) -> Self {
        Self { store }
    }

    async fn checker(&self, ws: &str) -> Result<(Checker, Option<u64>), ServiceError> {
        let settings = self
            .store
            .workspaces
            .settings(ws)
            .await
            .at("reading the settings")?;
        Ok((Checker::new(&settings), settings.contact_limit))
    }

    /// `POST /v1/contacts`.
    pub async fn create(&self, caller: &Caller, new: NewContact) -> Result<Contact, ServiceError> {
        let ws = &caller.workspace;
        let (checker, limit) = self.checker(ws).await?;
        let tags = requested_tags(&new.tags)?;
        let stamp = rfc3339(now());
        let blank = Contact {
            id: new_id("c"),
            created_at: stamp.clone(),
            updated_at: stamp,
            ..Contact::default()
        };
        let mut contact = checker.apply(&blank, &ContactPatch::from(new))?;
        contact.tags = tags;
        let created = self
            .store
            .contacts
            .create(ws, &contact, &month(now()), limit)
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
        if !is_safe_id(id) {
            return Err(ServiceError::NotFound("contact"));
        }
        self.store
            .contacts
            .contact(&caller.workspace, id)
            .await
            .at("reading the contact")?
            .ok_or(ServiceError::NotFound("contact"))
    }

    /// `GET /v1/contacts`, in whichever mode the query asks for.
    pub async fn query(
        &self,
        caller: &Caller,
        query: ContactQuery,
    ) -> Result<ContactPage, ServiceError> {
        if query.phone.is_some() || query.email.is_some() {
            return self
                .find(caller, query.phone.as_deref(), query.email.as_deref())
                .await;
        }
        self.list(
            caller,
            query.tag.as_deref(),
            query.cursor.as_deref(),
            query.limit.unwrap_or(DEFAULT_PAGE),
        )
        .await
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

    /// A page of the workspace's contacts (those tagged `tag`, compared
    /// case-insensitively, when given): the listing shards in order, each in
    /// id order.
    pub async fn list(
        &self,
        caller: &Caller,
        tag: Option<&str>,
        cursor: Option<&str>,
        limit: usize,
    ) -> Result<ContactPage, ServiceError> {
        let ws = &caller.workspace;
        let tag = match tag.map(str::trim) {
            Some("") => {
                return Err(ServiceError::bad_request(
                    "invalid_query",
                    "tag must not be empty",
                ));
            }
            other => other,
        };
        let limit = limit.clamp(1, MAX_PAGE);
        let mut at = Some(match cursor {
            Some(c) => Cursor::decode(c)?,
            None => Cursor { shard: 0, id: None },
        });
        let mut items = Vec::with_capacity(limit);
        let mut queries = 0;
        'shards: while let Some(here) = at.take() {
            if queries == LIST_QUERIES {
                at = Some(here);
                break;
            }
            queries += 1;
            let want = match tag {
                Some(_) => TAG_READ,
                None => (limit - items.len()) as i32,
            };
            let read = self
                .store
                .contacts
                .read_shard(ws, here.shard, here.id.as_deref(), want)
                .await
                .at("reading a shard of the listing")?;
            // Where the listing goes on once this read is used up.
            let after_read = match read.stopped_after {
                Some(id) => Some(Cursor {
                    shard: here.shard,
                    id: Some(id),
                }),
                None if here.shard + 1 < CONTACT_SHARDS => Some(Cursor {
                    shard: here.shard + 1,
                    id: None,
                }),
                None => None,
            };
            let read_count = read.contacts.len();
            for (i, contact) in read.contacts.into_iter().enumerate() {
                if tag.is_some_and(|t| !normalize::has_tag(&contact.tags, t)) {
                    continue;
                }
                let id = contact.id.clone();
                items.push(contact);
                if items.len() == limit {
                    at = if i + 1 == read_count {
                        after_read
                    } else {
                        Some(Cursor {
                            shard: here.shard,
                            id: Some(id),
                        })
                    };
                    break 'shards;
                }
            }
            at = after_read;
        }
        Ok(ContactPage {
            items,
            cursor: at.map(|c| c.encode()),
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
                return Ok(());
            }
        }
        Err(contact_changed())
    }

    /// The other contacts that share the contact's phone or email (the
    /// duplicates an `add_all` import makes), in id order.
    pub async fn merge_suggestions(
        &self,
        caller: &Caller,
        id: &str,
    ) -> Result<ContactList, ServiceError> {
        let ws = &caller.workspace;
        let contact = self.contact(caller, id).await?;
        let contacts = &self.store.contacts;
        let mut others = BTreeSet::new();
        for (identifier, value) in [
            (Identifier::Phone, &contact.phone),
            (Identifier::Email, &contact.email),
        ] {
            if let Some(value) = value {
                let holders = contacts
                    .holders(ws, identifier, &[value.as_str()])
                    .await
                    .at("looking up the contact's identifiers")?;
                others.extend(holders.into_iter().flatten());
            }
        }
        others.remove(&contact.id);
        let others: Vec<String> = others.into_iter().collect();
        let mut items = contacts
            .contacts(ws, &others)
            .await
            .at("reading the contacts that share them")?;
        // A claim may outlive a change it missed; the contacts say what they hold.
        let shares = |c: &Contact| {
            (c.phone.is_some() && c.phone == contact.phone)
                || (c.email.is_some() && c.email == contact.email)
        };
        items.retain(shares);
        items.sort_by(|a, b| a.id.cmp(&b.id));
        Ok(ContactList { items })
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
            if after == before {
                return Ok(before);
            }
            after.updated_at = next_stamp(&before.updated_at);
            let edited = self
                .store
                .contacts
                .replace(ws, &before, &after)
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
