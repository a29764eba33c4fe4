//! A contact's values checked and normalised by the rules an import's rows
//! meet, through the engine's own checker: a request's fields, custom
//! fields by their type, tags, and the stamp of the version written.

use std::collections::BTreeMap;

use contact_engine::fields::ContactField;
use contact_engine::mapping::{Plan, Target};
use contact_engine::normalize::{self, phone};
use contact_engine::options::Workspace;
use contact_engine::row::{RowRules, Stored};

use super::requests::{ContactPatch, TagsChange};
use crate::operations::error::ServiceError;
use crate::records::{Contact, Settings};

fn invalid(field: &str, e: impl std::fmt::Display) -> ServiceError {
    ServiceError::bad_request("invalid_contact", format!("{field}: {e}"))
}

/// A value as given, trimmed; blank is no value.
fn filled(value: &Option<String>) -> Option<&str> {
    value.as_deref().map(str::trim).filter(|v| !v.is_empty())
}

/// Tags as a request gives them, each split and trimmed as an import's tags
/// cell is, repeats dropped.
pub(super) fn requested_tags(raw: &[String]) -> Result<Vec<String>, ServiceError> {
    let mut tags = Vec::new();
    for tag in raw {
        tags.extend(normalize::tags(tag).map_err(|e| invalid("tags", e))?);
    }
    with_tags(Vec::new(), &tags)
}

/// `tags` with `more` added; a tag already there in another case keeps its
/// spelling. Refuses to take a contact past the tag limit (one already past
/// it, through an import, may still lose or keep tags).
pub(super) fn with_tags(
    mut tags: Vec<String>,
    more: &[String],
) -> Result<Vec<String>, ServiceError> {
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
pub(super) fn tags_to_change(change: &TagsChange) -> Result<Vec<String>, ServiceError> {
    let tags = requested_tags(&change.tags)?;
    if tags.is_empty() {
        return Err(invalid("tags", "name at least one tag"));
    }
    Ok(tags)
}

pub(super) fn without_tags(mut tags: Vec<String>, gone: &[String]) -> Vec<String> {
    tags.retain(|t| !normalize::has_tag(gone, t));
    tags
}
/// What checking a contact's values takes of its workspace. The API meets
/// the rules an import's rows meet, through the same checker.
pub(super) struct Checker {
    workspace: Workspace,
    /// Values are checked one at a time: no file columns are mapped.
    plan: Plan,
    default_country: Option<&'static str>,
}

impl Checker {
    pub(super) fn new(settings: &Settings) -> Self {
        Self {
            workspace: Workspace {
                default_country: settings.default_country.clone(),
                remaining_quota: None,
                custom_fields: settings.custom_fields.clone(),
                users: settings.users.clone(),
                remembered: Vec::new(),
            },
            plan: Plan {
                entries: Vec::new(),
                columns: Vec::new(),
                identifier_column: None,
                first_name_column: None,
                country_column: None,
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
    pub(super) fn phone(&self, raw: &str) -> Result<Option<String>, ServiceError> {
        self.phone_value(raw).map_err(|e| invalid("phone", e))
    }

    /// [`Self::phone`], with the number's own reason when it is none.
    pub(super) fn phone_value(&self, raw: &str) -> Result<Option<String>, phone::PhoneError> {
        phone::normalize(raw, self.default_country).map(|p| p.map(|p| p.e164))
    }

    /// `contact` with `patch` applied, every value normalised and checked;
    /// nothing of it when any value is refused.
    pub(super) fn apply(
        &self,
        contact: &Contact,
        patch: &ContactPatch,
    ) -> Result<Contact, ServiceError> {
        let mut next = contact.clone();
        for field in ContactField::own_values() {
            let Some(Some(given)) = patch.field(field) else {
                continue;
            };
            let value = match filled(given) {
                None => None,
                // A phone's own words say why it is none.
                Some(raw) if field == ContactField::Phone => self.phone(raw)?,
                Some(raw) => Some(
                    self.rules()
                        .value(Target::Field(field), raw)
                        .map(Stored::into_text)
                        .map_err(|e| invalid(field.key(), e))?,
                ),
            };
            *next
                .field_mut(field)
                .expect("one of the contact's own fields") = value;
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

    /// A custom field's value as the workspace stores it, read from a
    /// search's text (checked by the field's type, as an import's cell).
    pub(super) fn custom_value(
        &self,
        key: &str,
        raw: &str,
    ) -> Result<serde_json::Value, ServiceError> {
        let mut fields = BTreeMap::new();
        self.custom(
            &mut fields,
            key,
            &serde_json::Value::String(raw.to_string()),
        )?;
        Ok(fields.remove(key).unwrap_or(serde_json::Value::Null))
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
        fields.insert(key.to_string(), stored.into_json());
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use contact_engine::fields::{CustomField, CustomType};

    fn patch(json: serde_json::Value) -> ContactPatch {
        serde_json::from_value(json).unwrap()
    }

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
}
