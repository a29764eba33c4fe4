//! The contact routes the import journey needs: create one, read one, look
//! one up by phone or email (normalised exactly as imports normalise).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::Service;
use super::auth::Caller;
use super::error::ServiceError;
use super::model::{self, Contact, now};
use crate::normalize::{self, phone};
use crate::options::Identifier;
use crate::store::{StoreError, keys};

/// `POST /v1/contacts`.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields, default)]
pub struct NewContact {
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

/// A page of contacts.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ContactPage {
    pub items: Vec<Contact>,
    pub cursor: Option<String>,
}

fn invalid(field: &str, e: impl std::fmt::Display) -> ServiceError {
    ServiceError::bad_request("invalid_contact", format!("{field}: {e}"))
}

fn text(field: &str, value: Option<String>) -> Result<Option<String>, ServiceError> {
    value
        .as_deref()
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .map(|v| {
            normalize::text(v)
                .map(str::to_string)
                .map_err(|e| invalid(field, e))
        })
        .transpose()
}

impl Service {
    /// A phone as imports store it, read in the workspace's default country.
    async fn normalised_phone(&self, ws: &str, raw: &str) -> Result<Option<String>, ServiceError> {
        let settings = self.table.settings(ws).await?;
        let country = settings
            .default_country
            .as_deref()
            .and_then(|c| normalize::country(c).ok());
        match phone::normalize(raw, country) {
            Ok(Some(p)) => Ok(Some(p.e164)),
            Ok(None) => Ok(None),
            Err(e) => Err(invalid("phone", e)),
        }
    }

    pub async fn create_contact(
        &self,
        caller: &Caller,
        new: NewContact,
    ) -> Result<Contact, ServiceError> {
        let ws = &caller.workspace;
        let phone = match new
            .phone
            .as_deref()
            .map(str::trim)
            .filter(|p| !p.is_empty())
        {
            Some(raw) => self.normalised_phone(ws, raw).await?,
            None => None,
        };
        let email = new
            .email
            .as_deref()
            .map(str::trim)
            .filter(|e| !e.is_empty())
            .map(|e| normalize::email(e).map_err(|err| invalid("email", err)))
            .transpose()?;
        let first_name = text("first_name", new.first_name)?;
        if first_name.is_none() {
            return Err(invalid("first_name", "a contact needs a first name"));
        }
        let country = match new
            .country
            .as_deref()
            .map(str::trim)
            .filter(|c| !c.is_empty())
        {
            Some(c) => Some(
                normalize::country(c)
                    .map_err(|e| invalid("country", e))?
                    .to_string(),
            ),
            None => phone
                .as_deref()
                .and_then(|p| phone::normalize(p, None).ok().flatten())
                .and_then(|p| p.region()),
        };
        let language = new
            .language
            .as_deref()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .map(|l| {
                normalize::language(l)
                    .map(str::to_string)
                    .map_err(|e| invalid("language", e))
            })
            .transpose()?;
        let mut tags = Vec::new();
        for tag in &new.tags {
            tags.extend(normalize::tags(tag).map_err(|e| invalid("tags", e))?);
        }
        let stamp = model::rfc3339(now());
        let contact = Contact {
            id: format!("c_{}", ulid::Ulid::new().to_string().to_lowercase()),
            first_name,
            last_name: text("last_name", new.last_name)?,
            phone,
            email,
            country,
            language,
            assignee: text("assignee", new.assignee)?,
            tags,
            groups: Vec::new(),
            custom_fields: new.custom_fields,
            blocked: false,
            created_at: stamp.clone(),
            updated_at: stamp,
        };
        let mut items = vec![self.table.put_contact(ws, &contact)?];
        for (identifier, value) in [
            (Identifier::Phone, &contact.phone),
            (Identifier::Email, &contact.email),
        ] {
            if let Some(value) = value {
                items.push(self.table.claim(ws, identifier, value, &contact.id, true));
            }
        }
        match self.table.transact(items).await {
            Ok(()) => Ok(contact),
            Err(StoreError::Cancelled(reasons))
                if reasons
                    .iter()
                    .any(|r| r.as_deref() == Some("ConditionalCheckFailed")) =>
            {
                Err(ServiceError::conflict(
                    "identifier_taken",
                    "another contact already has this phone or email",
                ))
            }
            Err(e) => Err(e.into()),
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

    /// The contacts holding a phone or an email.
    pub async fn find_contacts(
        &self,
        caller: &Caller,
        phone: Option<&str>,
        email: Option<&str>,
    ) -> Result<ContactPage, ServiceError> {
        let ws = &caller.workspace;
        let (identifier, value) = match (phone, email) {
            (Some(raw), None) => match self.normalised_phone(ws, raw).await {
                Ok(Some(p)) => (Identifier::Phone, p),
                // A number that cannot be anyone's finds no one.
                _ => {
                    return Ok(ContactPage {
                        items: Vec::new(),
                        cursor: None,
                    });
                }
            },
            (None, Some(raw)) => match normalize::email(raw.trim()) {
                Ok(e) => (Identifier::Email, e),
                Err(_) => {
                    return Ok(ContactPage {
                        items: Vec::new(),
                        cursor: None,
                    });
                }
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
}
