//! The contacts API: create, read, look up, list, edit, tag, delete, and
//! merge suggestions. Values are normalised and checked by the rules an
//! import's rows meet, and every write that changes a phone or email moves
//! its claims in the same transaction, so identifiers stay unique whatever
//! runs beside it (an import, another request).

use std::collections::{BTreeMap, BTreeSet, HashMap};

use aws_sdk_dynamodb::types::TransactWriteItem;
use serde::{Deserialize, Deserializer, Serialize};
use utoipa::ToSchema;

use super::Service;
use super::auth::Caller;
use super::error::ServiceError;
use super::model::{self, Contact, Settings, now};
use crate::store::table::is_condition_failure;
use crate::store::{StoreError, keys};
use contact_engine::fields::ContactField;
use contact_engine::mapping::{Plan, Target};
use contact_engine::normalize::{self, phone};
use contact_engine::options::{Identifier, Workspace};
use contact_engine::row::{RowRules, Stored};

pub use contact_engine::limits::{DEFAULT_PAGE, MAX_PAGE};
/// Most shard queries one listing request makes: enough to cross every
/// shard once with room for reads cut short by size, and a bound on the
/// work of a tag that few contacts carry (the page then ends early, with a
/// cursor to go on from).
const LIST_QUERIES: usize = 24;
/// Contacts read per query while filtering by tag.
const TAG_READ: i32 = 100;
/// Tries of an edit that meets a concurrent write to the same contact.
const EDIT_TRIES: usize = 2;
/// Tries of a transaction cancelled only by another transaction in flight.
const BUSY_TRIES: u32 = 5;

/// `POST /v1/contacts`.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields, default)]
pub struct NewContact {
    /// Every contact has one.
    #[schema(value_type = String, required = true, min_length = 1, pattern = r"\S")]
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub phone: Option<String>,
    pub email: Option<String>,
    pub country: Option<String>,
    pub language: Option<String>,
    pub assignee: Option<String>,
    pub tags: Vec<String>,
    #[schema(value_type = Object)]
    pub custom_fields: BTreeMap<String, serde_json::Value>,
}

/// `PATCH /v1/contacts/{id}`: a field left out stays as it is; `null` or an
/// empty string clears it.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields, default)]
pub struct ContactPatch {
    /// May change, never be cleared.
    #[serde(deserialize_with = "given")]
    #[schema(value_type = String, min_length = 1, pattern = r"\S")]
    pub first_name: Option<Option<String>>,
    #[serde(deserialize_with = "given")]
    #[schema(value_type = Option<String>)]
    pub last_name: Option<Option<String>>,
    #[serde(deserialize_with = "given")]
    #[schema(value_type = Option<String>)]
    pub phone: Option<Option<String>>,
    #[serde(deserialize_with = "given")]
    #[schema(value_type = Option<String>)]
    pub email: Option<Option<String>>,
    #[serde(deserialize_with = "given")]
    #[schema(value_type = Option<String>)]
    pub country: Option<Option<String>>,
    #[serde(deserialize_with = "given")]
    #[schema(value_type = Option<String>)]
    pub language: Option<Option<String>>,
    #[serde(deserialize_with = "given")]
    #[schema(value_type = Option<String>)]
    pub assignee: Option<Option<String>>,
    /// Custom fields to set, by key; a key given `null` or `""` is cleared,
    /// and `null` for the whole object clears them all. Keys left out stay.
    #[serde(deserialize_with = "given")]
    #[schema(value_type = Option<Object>)]
    pub custom_fields: Option<Option<BTreeMap<String, serde_json::Value>>>,
    /// `true` blocks the contact; `false` (or `null`) unblocks it.
    #[serde(deserialize_with = "given")]
    #[schema(value_type = Option<bool>)]
    pub blocked: Option<Option<bool>>,
}

/// A field present in the body, even as `null`, is `Some`: that is what
/// tells "clear it" from "leave it".
fn given<'de, D, T>(d: D) -> Result<Option<Option<T>>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    Option::<T>::deserialize(d).map(Some)
}

impl From<NewContact> for ContactPatch {
    fn from(new: NewContact) -> Self {
        Self {
            first_name: Some(new.first_name),
            last_name: Some(new.last_name),
            phone: Some(new.phone),
            email: Some(new.email),
            country: Some(new.country),
            language: Some(new.language),
            assignee: Some(new.assignee),
            custom_fields: Some(Some(new.custom_fields)),
            blocked: None,
        }
    }
}

/// `POST /v1/contacts/{id}/tags` and `DELETE /v1/contacts/{id}/tags`.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TagsChange {
    /// Each may hold several tags separated by `,` `;` or `|`, as an
    /// import's tags cell may.
    #[schema(min_items = 1)]
    pub tags: Vec<String>,
}

/// A page of contacts.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ContactPage {
    pub items: Vec<Contact>,
    /// Where the next page starts; `null` on the last page. Opaque.
    pub cursor: Option<String>,
}

/// Contacts, in id order.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ContactList {
    pub items: Vec<Contact>,
}

/// `GET /v1/contacts`: a look-up by `phone` or `email`, or else a listing
/// (every contact, or those tagged `tag`) a page at a time.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ContactQuery {
    pub phone: Option<String>,
    pub email: Option<String>,
    pub tag: Option<String>,
    pub cursor: Option<String>,
    pub limit: Option<usize>,
}

impl ContactQuery {
    /// Reads the query string's parameters; a name it does not know, or a
    /// mix of modes, is refused rather than quietly ignored.
    pub fn from_params(params: HashMap<String, String>) -> Result<Self, ServiceError> {
        let bad = |message: String| ServiceError::bad_request("invalid_query", message);
        let mut query = Self::default();
        for (name, value) in params {
            match name.as_str() {
                "phone" => query.phone = Some(value),
                "email" => query.email = Some(value),
                "tag" => query.tag = Some(value),
                "cursor" => query.cursor = Some(value),
                "limit" => {
                    query.limit = Some(
                        value
                            .trim()
                            .parse::<usize>()
                            .ok()
                            .filter(|l| (1..=MAX_PAGE).contains(l))
                            .ok_or_else(|| {
                                bad(format!("limit must be a number from 1 to {MAX_PAGE}"))
                            })?,
                    )
                }
                other => {
                    let other: String = other.chars().take(40).collect();
                    return Err(bad(format!(
                        "unknown query parameter \"{other}\": use phone, email, tag, cursor or limit"
                    )));
                }
            }
        }
        let too_long = |value: &Option<String>, max: usize| {
            value
                .as_ref()
                .is_some_and(|v| v.trim().chars().count() > max)
        };
        if too_long(&query.phone, contact_engine::limits::MAX_TEXT_CHARS)
            || too_long(&query.email, contact_engine::limits::MAX_TEXT_CHARS)
        {
            return Err(bad(format!(
                "phone= and email= hold at most {} characters",
                contact_engine::limits::MAX_TEXT_CHARS
            )));
        }
        if too_long(&query.tag, contact_engine::limits::MAX_TAG_CHARS) {
            return Err(bad(format!(
                "tag= holds at most {} characters",
                contact_engine::limits::MAX_TAG_CHARS
            )));
        }
        match (&query.phone, &query.email) {
            (Some(_), Some(_)) => Err(bad(
                "look contacts up with exactly one of phone= or email=".into()
            )),
            (Some(_), None) | (None, Some(_))
                if query.tag.is_some() || query.cursor.is_some() || query.limit.is_some() =>
            {
                Err(bad(
                    "a look-up by phone= or email= takes no tag, cursor or limit".into(),
                ))
            }
            _ => Ok(query),
        }
    }
}

/// Where a listing goes on: a shard, and the last contact id read in it
/// (none: from the shard's start). Only the shard and id travel; the keys
/// are rebuilt from the caller's workspace.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Cursor {
    shard: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    id: Option<String>,
}

impl Cursor {
    /// base64url, unpadded: safe in a query string as it is.
    fn encode(&self) -> String {
        let json = serde_json::to_vec(self).expect("a cursor serialises");
        aws_smithy_types::base64::encode(json)
            .trim_end_matches('=')
            .replace('+', "-")
            .replace('/', "_")
    }

    fn decode(text: &str) -> Result<Self, ServiceError> {
        let invalid = || {
            ServiceError::bad_request(
                "invalid_cursor",
                "the cursor is not one this listing gave; list again without it",
            )
        };
        if text.is_empty()
            || text.len() > contact_engine::limits::MAX_CURSOR_CHARS
            || !text
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        {
            return Err(invalid());
        }
        let mut standard = text.replace('-', "+").replace('_', "/");
        while !standard.len().is_multiple_of(4) {
            standard.push('=');
        }
        let bytes = aws_smithy_types::base64::decode(standard).map_err(|_| invalid())?;
        let cursor: Self = serde_json::from_slice(&bytes).map_err(|_| invalid())?;
        let id_ok = cursor.id.as_deref().is_none_or(keys::is_safe_id);
        if cursor.shard >= keys::CONTACT_SHARDS || !id_ok {
            return Err(invalid());
        }
        Ok(cursor)
    }
}

fn invalid(field: &str, e: impl std::fmt::Display) -> ServiceError {
    ServiceError::bad_request("invalid_contact", format!("{field}: {e}"))
}

fn identifier_taken() -> ServiceError {
    ServiceError::conflict(
        "identifier_taken",
        "another contact already has this phone or email",
    )
}

fn contact_limit_reached() -> ServiceError {
    ServiceError::conflict("contact_limit_reached", "plan contact limit reached")
}

fn contact_changed() -> ServiceError {
    ServiceError::conflict(
        "contact_changed",
        "the contact changed while this request ran; read it again and retry",
    )
}

/// A value as given, trimmed; blank is no value.
fn filled(value: &Option<String>) -> Option<&str> {
    value.as_deref().map(str::trim).filter(|v| !v.is_empty())
}

fn text(field: &str, value: &Option<String>) -> Result<Option<String>, ServiceError> {
    filled(value)
        .map(|v| {
            normalize::text(v)
                .map(str::to_string)
                .map_err(|e| invalid(field, e))
        })
        .transpose()
}

/// Tags as a request gives them, each split and trimmed as an import's tags
/// cell is, repeats dropped.
fn requested_tags(raw: &[String]) -> Result<Vec<String>, ServiceError> {
    let mut tags = Vec::new();
    for tag in raw {
        tags.extend(normalize::tags(tag).map_err(|e| invalid("tags", e))?);
    }
    with_tags(Vec::new(), &tags)
}

/// `tags` with `more` added; a tag already there in another case keeps its
/// spelling. Refuses to take a contact past the tag limit (one already past
/// it, through an import, may still lose or keep tags).
fn with_tags(mut tags: Vec<String>, more: &[String]) -> Result<Vec<String>, ServiceError> {
    let before = tags.len();
    for tag in more {
        if !normalize::has_tag(&tags, tag) {
            tags.push(tag.clone());
        }
    }
    if tags.len() > before && tags.len() > normalize::MAX_TAGS_PER_ROW {
        return Err(invalid(
            "tags",
            format!(
                "a contact may carry at most {} tags",
                normalize::MAX_TAGS_PER_ROW
            ),
        ));
    }
    Ok(tags)
}

/// The tags a tags request names; naming none is a mistake worth saying.
fn tags_to_change(change: &TagsChange) -> Result<Vec<String>, ServiceError> {
    let tags = requested_tags(&change.tags)?;
    if tags.is_empty() {
        return Err(invalid("tags", "name at least one tag"));
    }
    Ok(tags)
}

fn without_tags(mut tags: Vec<String>, gone: &[String]) -> Vec<String> {
    tags.retain(|t| !normalize::has_tag(gone, t));
    tags
}

fn failed_at(reasons: &[Option<String>], index: usize) -> bool {
    reasons.get(index).is_some_and(is_condition_failure)
}

fn failed_from(reasons: &[Option<String>], index: usize) -> bool {
    reasons.iter().skip(index).any(is_condition_failure)
}

/// The `updated_at` of a write over the version stamped `seen`: now, yet
/// always after `seen`. Writes are conditioned on the stamp they read, so
/// two edits within one second must still leave different stamps.
fn next_stamp(seen: &str) -> String {
    let seen =
        aws_smithy_types::DateTime::from_str(seen, aws_smithy_types::date_time::Format::DateTime)
            .map_or(0, |t| t.secs());
    model::rfc3339(now().max(seen + 1))
}

/// What checking a contact's values takes of its workspace. The API meets
/// the rules an import's rows meet, through the same checker.
struct Checker {
    workspace: Workspace,
    /// Values are checked one at a time: no file columns are mapped.
    plan: Plan,
    default_country: Option<&'static str>,
}

impl Checker {
    fn new(settings: &Settings) -> Self {
        Self {
            workspace: Workspace {
                default_country: settings.default_country.clone(),
                remaining_quota: None,
                custom_fields: settings.custom_fields.clone(),
                users: settings.users.clone(),
            },
            plan: Plan {
                entries: Vec::new(),
                columns: Vec::new(),
                identifier_column: None,
                first_name_column: None,
            },
            default_country: settings
                .default_country
                .as_deref()
                .and_then(|c| normalize::country(c).ok()),
        }
    }

    fn rules(&self) -> RowRules<'_> {
        RowRules {
            plan: &self.plan,
            workspace: &self.workspace,
            default_country: self.default_country,
        }
    }

    /// A phone as imports store it; only fillers (e.g. "-") are no phone.
    fn phone(&self, raw: &str) -> Result<Option<String>, ServiceError> {
        match phone::normalize(raw, self.default_country) {
            Ok(p) => Ok(p.map(|p| p.e164)),
            Err(e) => Err(invalid("phone", e)),
        }
    }

    /// `contact` with `patch` applied, every value normalised and checked;
    /// nothing of it when any value is refused.
    fn apply(&self, contact: &Contact, patch: &ContactPatch) -> Result<Contact, ServiceError> {
        let mut next = contact.clone();
        if let Some(v) = &patch.first_name {
            next.first_name = text("first_name", v)?;
        }
        if let Some(v) = &patch.last_name {
            next.last_name = text("last_name", v)?;
        }
        if let Some(v) = &patch.phone {
            next.phone = match filled(v) {
                Some(raw) => self.phone(raw)?,
                None => None,
            };
        }
        if let Some(v) = &patch.email {
            next.email = filled(v)
                .map(|e| normalize::email(e).map_err(|err| invalid("email", err)))
                .transpose()?;
        }
        if let Some(v) = &patch.country {
            next.country = filled(v)
                .map(|c| {
                    normalize::country(c)
                        .map(str::to_string)
                        .map_err(|e| invalid("country", e))
                })
                .transpose()?;
        }
        if let Some(v) = &patch.language {
            next.language = filled(v)
                .map(|l| {
                    normalize::language(l)
                        .map(str::to_string)
                        .map_err(|e| invalid("language", e))
                })
                .transpose()?;
        }
        if let Some(v) = &patch.assignee {
            next.assignee = filled(v)
                .map(|a| {
                    self.rules()
                        .value(Target::Field(ContactField::Assignee), a)
                        .map(Stored::into_text)
                        .map_err(|e| invalid("assignee", e))
                })
                .transpose()?;
        }
        match &patch.custom_fields {
            None => {}
            Some(None) => next.custom_fields.clear(),
            Some(Some(values)) => {
                for (key, value) in values {
                    self.custom(&mut next.custom_fields, key, value)?;
                }
            }
        }
        if let Some(blocked) = patch.blocked {
            next.blocked = blocked.unwrap_or(false);
        }
        // Asked of the request that names the field only: an imported contact
        // without one can still be edited otherwise.
        if next.first_name.is_none() && patch.first_name.is_some() {
            return Err(invalid("first_name", "a contact needs a first name"));
        }
        if next.country.is_none() {
            next.country = next
                .phone
                .as_deref()
                .and_then(|p| phone::normalize(p, None).ok().flatten())
                .and_then(|p| p.region());
        }
        Ok(next)
    }

    /// Sets or clears one custom field, its value checked by the field's
    /// type and stored as an import stores it.
    fn custom(
        &self,
        fields: &mut BTreeMap<String, serde_json::Value>,
        key: &str,
        value: &serde_json::Value,
    ) -> Result<(), ServiceError> {
        use serde_json::Value;
        let name = format!("custom_fields.{}", key.chars().take(64).collect::<String>());
        let Some(index) = self
            .workspace
            .custom_fields
            .iter()
            .position(|f| f.key == key)
        else {
            return Err(ServiceError::bad_request(
                "unknown_custom_field",
                format!("{name}: is not a custom field of this workspace"),
            ));
        };
        // Scalars are read as the text a file cell would hold.
        let raw = match value {
            Value::Null => None,
            Value::String(s) => Some(s.trim().to_string()).filter(|s| !s.is_empty()),
            Value::Number(n) => Some(n.to_string()),
            Value::Bool(b) => Some(b.to_string()),
            Value::Array(_) | Value::Object(_) => {
                return Err(invalid(&name, "must be a single value"));
            }
        };
        let Some(raw) = raw else {
            fields.remove(key);
            return Ok(());
        };
        let stored = self
            .rules()
            .value(Target::Custom(index), &raw)
            .map_err(|e| invalid(&name, e))?;
        let json = match stored {
            Stored::Number(n) => serde_json::json!(n),
            Stored::Boolean(b) => serde_json::json!(b),
            other => serde_json::json!(other.into_text()),
        };
        fields.insert(key.to_string(), json);
        Ok(())
    }
}

impl Service {
    pub async fn create_contact(
        &self,
        caller: &Caller,
        new: NewContact,
    ) -> Result<Contact, ServiceError> {
        let ws = &caller.workspace;
        let settings = self.table.settings(ws).await?;
        let tags = requested_tags(&new.tags)?;
        let stamp = model::rfc3339(now());
        let blank = Contact {
            id: keys::new_id("c"),
            created_at: stamp.clone(),
            updated_at: stamp,
            ..Contact::default()
        };
        let mut contact = Checker::new(&settings).apply(&blank, &ContactPatch::from(new))?;
        contact.tags = tags;
        let count = self
            .table
            .count_new_contacts(ws, &model::month(now()), 1, settings.contact_limit)
            .ok_or_else(contact_limit_reached)?;
        // In this order: a cancellation's reasons, item by item, tell the
        // month's count (1) from the claims (2 on).
        let mut items = vec![self.table.put_contact(ws, &contact)?, count];
        items.extend(self.claim_moves(ws, &Contact::default(), &contact));
        match self.write_contact(items).await? {
            None => {
                tracing::info!(workspace = %ws, contact = %contact.id, "contact created");
                Ok(contact)
            }
            Some(reasons) if failed_from(&reasons, 2) => Err(identifier_taken()),
            Some(reasons) if failed_at(&reasons, 1) => Err(contact_limit_reached()),
            Some(reasons) => Err(StoreError::Cancelled(reasons).into()),
        }
    }

    pub async fn contact(&self, caller: &Caller, id: &str) -> Result<Contact, ServiceError> {
        if !keys::is_safe_id(id) {
            return Err(ServiceError::NotFound("contact"));
        }
        self.table
            .contact(&caller.workspace, id)
            .await?
            .ok_or(ServiceError::NotFound("contact"))
    }

    /// `GET /v1/contacts`, in whichever mode the query asks for.
    pub async fn query_contacts(
        &self,
        caller: &Caller,
        query: ContactQuery,
    ) -> Result<ContactPage, ServiceError> {
        if query.phone.is_some() || query.email.is_some() {
            return self
                .find_contacts(caller, query.phone.as_deref(), query.email.as_deref())
                .await;
        }
        self.list_contacts(
            caller,
            query.tag.as_deref(),
            query.cursor.as_deref(),
            query.limit.unwrap_or(DEFAULT_PAGE),
        )
        .await
    }

    /// The contacts holding a phone or an email.
    pub async fn find_contacts(
        &self,
        caller: &Caller,
        phone: Option<&str>,
        email: Option<&str>,
    ) -> Result<ContactPage, ServiceError> {
        let ws = &caller.workspace;
        let nobody = ContactPage {
            items: Vec::new(),
            cursor: None,
        };
        let (identifier, value) = match (phone, email) {
            (Some(raw), None) => {
                let settings = self.table.settings(ws).await?;
                match Checker::new(&settings).phone(raw.trim()) {
                    Ok(Some(p)) => (Identifier::Phone, p),
                    // A number that cannot be anyone's finds no one.
                    _ => return Ok(nobody),
                }
            }
            (None, Some(raw)) => match normalize::email(raw.trim()) {
                Ok(e) => (Identifier::Email, e),
                Err(_) => return Ok(nobody),
            },
            _ => {
                return Err(ServiceError::bad_request(
                    "invalid_query",
                    "look contacts up with exactly one of phone= or email=",
                ));
            }
        };
        let holders = self
            .table
            .holders(ws, identifier, &[value.as_str()])
            .await?
            .pop()
            .unwrap_or_default();
        let mut items = self.table.contacts(ws, &holders).await?;
        items.sort_by(|a, b| a.id.cmp(&b.id));
        Ok(ContactPage {
            items,
            cursor: None,
        })
    }

    /// A page of the workspace's contacts (those tagged `tag`, compared
    /// case-insensitively, when given): the listing shards in order, each in
    /// id order.
    pub async fn list_contacts(
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
                .table
                .read_contact_shard(ws, here.shard, here.id.as_deref(), want)
                .await?;
            // Where the listing goes on once this read is used up.
            let after_read = match read.stopped_after {
                Some(id) => Some(Cursor {
                    shard: here.shard,
                    id: Some(id),
                }),
                None if here.shard + 1 < keys::CONTACT_SHARDS => Some(Cursor {
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
    pub async fn update_contact(
        &self,
        caller: &Caller,
        id: &str,
        patch: ContactPatch,
    ) -> Result<Contact, ServiceError> {
        let settings = self.table.settings(&caller.workspace).await?;
        let checker = Checker::new(&settings);
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
        self.edit(caller, id, |contact| {
            Ok(Contact {
                tags: with_tags(contact.tags.clone(), &tags_to_change(&change)?)?,
                ..contact.clone()
            })
        })
        .await
    }

    /// `DELETE /v1/contacts/{id}/tags`.
    pub async fn remove_tags(
        &self,
        caller: &Caller,
        id: &str,
        change: TagsChange,
    ) -> Result<Contact, ServiceError> {
        self.edit(caller, id, |contact| {
            Ok(Contact {
                tags: without_tags(contact.tags.clone(), &tags_to_change(&change)?),
                ..contact.clone()
            })
        })
        .await
    }

    /// `DELETE /v1/contacts/{id}`: the contact and its claims go together.
    pub async fn delete_contact(&self, caller: &Caller, id: &str) -> Result<(), ServiceError> {
        caller.may_manage()?;
        let ws = &caller.workspace;
        for _ in 0..EDIT_TRIES {
            let contact = self.contact(caller, id).await?;
            let gone = Contact {
                id: contact.id.clone(),
                ..Contact::default()
            };
            let mut items = vec![
                self.table
                    .remove_contact(ws, &contact.id, &contact.updated_at),
            ];
            items.extend(self.claim_moves(ws, &contact, &gone));
            if self.write_contact(items).await?.is_none() {
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
        let mut others = BTreeSet::new();
        for (identifier, value) in [
            (Identifier::Phone, &contact.phone),
            (Identifier::Email, &contact.email),
        ] {
            if let Some(value) = value {
                let holders = self
                    .table
                    .holders(ws, identifier, &[value.as_str()])
                    .await?;
                others.extend(holders.into_iter().flatten());
            }
        }
        others.remove(&contact.id);
        let others: Vec<String> = others.into_iter().collect();
        let mut items = self.table.contacts(ws, &others).await?;
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
            // The contact first: its reason tells a concurrent edit from a
            // taken identifier.
            let mut items = vec![self.table.replace_contact(ws, &after, &before.updated_at)?];
            items.extend(self.claim_moves(ws, &before, &after));
            match self.write_contact(items).await? {
                None => {
                    tracing::info!(workspace = %ws, contact = %after.id, "contact updated");
                    return Ok(after);
                }
                Some(reasons) if failed_at(&reasons, 0) => continue,
                Some(_) => return Err(identifier_taken()),
            }
        }
        Err(contact_changed())
    }

    /// The claim moves of an API write: the phone and the email are each
    /// held by one contact.
    fn claim_moves(&self, ws: &str, before: &Contact, after: &Contact) -> Vec<TransactWriteItem> {
        self.claims(ws, before, after, &[Identifier::Phone, Identifier::Email])
            .into_iter()
            .map(|(_, item)| item)
            .collect()
    }

    /// Sends a contact's transaction. A cancellation for a condition answers
    /// its reasons, item by item, for the caller to read; one caused only
    /// by another transaction in flight on the same items is tried again.
    async fn write_contact(
        &self,
        items: Vec<TransactWriteItem>,
    ) -> Result<Option<Vec<Option<String>>>, ServiceError> {
        let mut busy = 0;
        loop {
            match self.table.transact(items.clone()).await {
                Ok(()) => return Ok(None),
                Err(StoreError::Cancelled(reasons)) if reasons.iter().any(is_condition_failure) => {
                    return Ok(Some(reasons));
                }
                Err(StoreError::Cancelled(_)) if busy + 1 < BUSY_TRIES => {
                    busy += 1;
                    tokio::time::sleep(std::time::Duration::from_millis(20 << busy)).await;
                }
                Err(e) => return Err(e.into()),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use contact_engine::fields::{CustomField, CustomType};

    fn settings() -> Settings {
        Settings {
            default_country: Some("EC".into()),
            custom_fields: vec![
                CustomField {
                    key: "monto".into(),
                    label: "Monto".into(),
                    kind: CustomType::Number,
                },
                CustomField {
                    key: "plan".into(),
                    label: "Plan".into(),
                    kind: CustomType::List {
                        options: vec!["Básico".into(), "Pro".into()],
                    },
                },
            ],
            ..Settings::default()
        }
    }

    fn ana() -> Contact {
        Contact {
            id: "c_1".into(),
            first_name: Some("Ana".into()),
            phone: Some("+593991234503".into()),
            country: Some("EC".into()),
            ..Contact::default()
        }
    }

    fn patch(json: serde_json::Value) -> ContactPatch {
        serde_json::from_value(json).unwrap()
    }

    #[test]
    fn a_patch_tells_absent_from_null() {
        let p = patch(serde_json::json!({"last_name": null, "phone": "099 123 4504"}));
        assert_eq!(p.last_name, Some(None));
        assert_eq!(p.phone, Some(Some("099 123 4504".into())));
        assert_eq!(p.first_name, None);
        assert!(
            serde_json::from_value::<ContactPatch>(serde_json::json!({"nickname": "x"})).is_err()
        );
    }

    #[test]
    fn patches_are_normalised_as_imports_normalise() {
        let checker = Checker::new(&settings());
        let mut before = ana();
        before.last_name = Some("Silva".into());
        let after = checker
            .apply(
                &before,
                &patch(serde_json::json!({
                    "last_name": "", "phone": "099 123 4504", "email": "ANA@Correo.EC",
                    "custom_fields": {"monto": "12,5", "plan": "basico"}, "blocked": true
                })),
            )
            .unwrap();
        assert_eq!(after.last_name, None);
        assert_eq!(after.phone.as_deref(), Some("+593991234504"));
        assert_eq!(after.email.as_deref(), Some("ana@correo.ec"));
        assert_eq!(after.custom_fields["monto"], serde_json::json!(12.5));
        assert_eq!(after.custom_fields["plan"], serde_json::json!("Básico"));
        assert!(after.blocked);
        let cleared = checker
            .apply(
                &after,
                &patch(serde_json::json!({"custom_fields": {"monto": null}})),
            )
            .unwrap();
        assert!(!cleared.custom_fields.contains_key("monto"));
        assert!(cleared.custom_fields.contains_key("plan"));
    }

    #[test]
    fn bad_values_are_refused_with_their_field() {
        let checker = Checker::new(&settings());
        for (json, code, words) in [
            (
                serde_json::json!({"phone": "12"}),
                "invalid_contact",
                "phone",
            ),
            (
                serde_json::json!({"email": "a@@b"}),
                "invalid_contact",
                "email",
            ),
            (
                serde_json::json!({"first_name": null}),
                "invalid_contact",
                "first_name",
            ),
            (
                serde_json::json!({"custom_fields": {"monto": "mil"}}),
                "invalid_contact",
                "custom_fields.monto",
            ),
            (
                serde_json::json!({"custom_fields": {"plan": ["Pro"]}}),
                "invalid_contact",
                "custom_fields.plan",
            ),
            (
                serde_json::json!({"custom_fields": {"nope": "x"}}),
                "unknown_custom_field",
                "custom_fields.nope",
            ),
        ] {
            let e = checker.apply(&ana(), &patch(json.clone())).unwrap_err();
            assert_eq!(e.code(), code, "{json}");
            assert!(e.to_string().starts_with(words), "{json}: {e}");
        }
    }

    #[test]
    fn tags_merge_case_insensitively_keeping_the_first_spelling() {
        let tags = requested_tags(&["VIP; lead".into(), "vip".into()]).unwrap();
        assert_eq!(tags, ["VIP", "lead"]);
        let merged = with_tags(vec!["vip".into()], &tags).unwrap();
        assert_eq!(merged, ["vip", "lead"]);
        assert_eq!(without_tags(merged, &["LEAD".into()]), ["vip"]);
        let full: Vec<String> = (0..50).map(|i| format!("t{i}")).collect();
        assert!(with_tags(full.clone(), &["T1".into()]).is_ok());
        assert!(with_tags(full, &["new".into()]).is_err());
    }

    #[test]
    fn cursors_round_trip_and_refuse_anything_else() {
        for cursor in [
            Cursor { shard: 0, id: None },
            Cursor {
                shard: 15,
                id: Some("c_01jabc".into()),
            },
        ] {
            let text = cursor.encode();
            assert!(
                text.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
            );
            assert_eq!(Cursor::decode(&text).unwrap(), cursor);
        }
        let forged = |json: &str| {
            aws_smithy_types::base64::encode(json)
                .trim_end_matches('=')
                .to_string()
        };
        for bad in [
            "".to_string(),
            "nonsense!".to_string(),
            "abc".to_string(),
            forged(r#"{"shard":16}"#),
            forged(r#"{"shard":1,"id":"W#other#C#x"}"#),
            forged(r#"{"shard":1,"pk":"x"}"#),
        ] {
            let e = Cursor::decode(&bad).unwrap_err();
            assert_eq!(e.code(), "invalid_cursor", "{bad}");
        }
    }

    #[test]
    fn queries_take_one_mode() {
        let q = |pairs: &[(&str, &str)]| {
            ContactQuery::from_params(
                pairs
                    .iter()
                    .map(|(k, v)| (k.to_string(), v.to_string()))
                    .collect(),
            )
        };
        assert_eq!(
            q(&[("tag", "vip"), ("limit", "10")]).unwrap().limit,
            Some(10)
        );
        for bad in [
            vec![("phone", "1"), ("email", "a@b.co")],
            vec![("phone", "1"), ("tag", "vip")],
            vec![("limit", "0")],
            vec![("limit", "101")],
            vec![("limit", "x")],
            vec![("sort", "name")],
        ] {
            assert_eq!(q(&bad).unwrap_err().code(), "invalid_query", "{bad:?}");
        }
    }

    #[test]
    fn stamps_always_move_on() {
        assert_eq!(next_stamp("2100-01-01T00:00:00Z"), "2100-01-01T00:00:01Z");
        let before = model::rfc3339(now());
        assert!(next_stamp("2020-01-01T00:00:00Z") >= before);
    }
}
