//! What the contact routes take: a new contact, a patch, a tags change and
//! a listing query, each read strictly (an unknown field or parameter is
//! refused, never ignored); and the pages they answer.

use std::collections::{BTreeMap, HashMap};

use serde::{Deserialize, Deserializer, Serialize};
use utoipa::ToSchema;

use contact_engine::contact_fields;
use contact_engine::fields::ContactField;
use contact_engine::limits::{MAX_PAGE, MAX_TAG_CHARS, MAX_TEXT_CHARS};

use crate::operations::error::ServiceError;
use crate::records::Contact;

contact_fields! {
    /// `POST /v1/contacts`.
    #[derive(Debug, Clone, Default, Deserialize, ToSchema)]
    #[serde(deny_unknown_fields, default)]
    pub struct NewContact {
        .. Option<String>,
            first_name {
                /// Every contact has one.
                #[schema(value_type = String, required = true, min_length = 1, pattern = r"\S")]
            },
            others { };
        pub tags: Vec<String>,
        #[schema(value_type = Object)]
        pub custom_fields: BTreeMap<String, serde_json::Value>,
    }
}

contact_fields! {
    /// `PATCH /v1/contacts/{id}`: a field left out stays as it is; `null` or an
    /// empty string clears it.
    #[derive(Debug, Clone, Default, Deserialize, ToSchema)]
    #[serde(deny_unknown_fields, default)]
    pub struct ContactPatch {
        .. #[serde(deserialize_with = "given")] Option<Option<String>>,
            first_name {
                /// May change, never be cleared.
                #[schema(value_type = String, min_length = 1, pattern = r"\S")]
            },
            others { #[schema(value_type = Option<String>)] };
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
    /// A new contact is a patch of a blank one that names every field.
    fn from(mut new: NewContact) -> Self {
        let mut patch = Self {
            custom_fields: Some(Some(std::mem::take(&mut new.custom_fields))),
            ..Self::default()
        };
        for field in ContactField::own_values() {
            let value = new.field_mut(field).and_then(Option::take);
            *patch
                .field_mut(field)
                .expect("one of the contact's own fields") = Some(value);
        }
        patch
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

/// Contacts that could be merged with one, in id order.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct MergeCandidates {
    pub items: Vec<MergeCandidate>,
}

/// A contact that shares a phone or an email with the one asked about.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct MergeCandidate {
    #[serde(flatten)]
    pub contact: Contact,
    /// The values it shares, each with its field (`phone`, `email`).
    pub shared: Vec<SharedValue>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct SharedValue {
    pub field: String,
    pub value: String,
}

/// `GET /v1/contacts`: a look-up by `phone` or `email`, or else a search
/// (every contact, or those the filters keep) a page at a time.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ContactQuery {
    pub phone: Option<String>,
    pub email: Option<String>,
    /// A prefix of the first or the last name.
    pub name: Option<String>,
    /// Tags, any of them (or all, with `tag_match=all`).
    pub tags: Vec<String>,
    pub all_tags: bool,
    pub group: Option<String>,
    /// `key:value` of a custom field.
    pub custom: Option<String>,
    pub country: Option<String>,
    pub language: Option<String>,
    pub assignee: Option<String>,
    pub blocked: Option<bool>,
    pub created_after: Option<String>,
    pub created_before: Option<String>,
    pub sort: Option<String>,
    pub cursor: Option<String>,
    pub limit: Option<usize>,
}

/// How a reader of search filters names them in its messages: the query
/// string's `tag=`, or a JSON body's `filter.tags`.
#[derive(Debug, Clone, Copy)]
pub struct FilterNames {
    /// The name a message gives parameter `name`.
    pub label: fn(&str) -> String,
    /// How several tags are written, as a message says it.
    pub tag_list: &'static str,
}

impl FilterNames {
    /// The query string's names: `tag=`, `limit=`.
    pub const QUERY: Self = Self {
        label: |name| format!("{name}="),
        tag_list: "separated by commas",
    };
}

/// The query parameters a search takes besides `phone` and `email`.
const SEARCH_PARAMETERS: &str = "name, tag, tag_match, group, custom, country, language, assignee, blocked, created_after, created_before, sort, cursor or limit";

impl ContactQuery {
    /// Reads the query string's parameters; a name it does not know, or a
    /// mix of modes, is refused rather than quietly ignored.
    pub fn from_params(params: HashMap<String, String>) -> Result<Self, ServiceError> {
        Self::from_named(params, FilterNames::QUERY)
    }

    /// Reads filters by the query string's rules, its messages naming them
    /// as `names` says (a bulk action's body reads its filter so).
    pub fn from_named(
        params: HashMap<String, String>,
        names: FilterNames,
    ) -> Result<Self, ServiceError> {
        let bad = |message: String| ServiceError::bad_request("invalid_query", message);
        let label = names.label;
        let mut query = Self::default();
        let mut searching = false;
        for (name, value) in params {
            let short = |max: usize| -> Result<String, ServiceError> {
                if value.trim().chars().count() > max {
                    return Err(bad(format!(
                        "{} holds at most {max} characters",
                        label(&name)
                    )));
                }
                Ok(value.clone())
            };
            if !matches!(name.as_str(), "phone" | "email") {
                searching = true;
            }
            match name.as_str() {
                "phone" => query.phone = Some(short(MAX_TEXT_CHARS)?),
                "email" => query.email = Some(short(MAX_TEXT_CHARS)?),
                "name" => query.name = Some(short(MAX_TEXT_CHARS)?),
                "tag" => {
                    query.tags = short(MAX_TAG_CHARS * 10)?
                        .split(',')
                        .map(|t| t.trim().to_string())
                        .collect();
                    if query.tags.iter().any(|t| t.is_empty()) || query.tags.len() > 10 {
                        return Err(bad(format!(
                            "{} names 1 to 10 tags, {}, none empty",
                            label("tag"),
                            names.tag_list
                        )));
                    }
                    if query.tags.iter().any(|t| t.chars().count() > MAX_TAG_CHARS) {
                        return Err(bad(format!(
                            "{} holds tags of at most {MAX_TAG_CHARS} characters",
                            label("tag")
                        )));
                    }
                }
                "tag_match" => {
                    query.all_tags = match value.as_str() {
                        "any" => false,
                        "all" => true,
                        _ => return Err(bad(format!("{} is any or all", label("tag_match")))),
                    }
                }
                "group" => query.group = Some(short(MAX_TAG_CHARS)?),
                "custom" => query.custom = Some(short(MAX_TEXT_CHARS)?),
                "country" => query.country = Some(short(60)?),
                "language" => query.language = Some(short(60)?),
                "assignee" => query.assignee = Some(short(MAX_TEXT_CHARS)?),
                "blocked" => {
                    query.blocked = Some(match value.as_str() {
                        "true" => true,
                        "false" => false,
                        _ => return Err(bad(format!("{} is true or false", label("blocked")))),
                    })
                }
                "created_after" => query.created_after = Some(short(40)?),
                "created_before" => query.created_before = Some(short(40)?),
                "sort" => query.sort = Some(short(20)?),
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
                        "unknown query parameter \"{other}\": use phone or email to look up, or {SEARCH_PARAMETERS}"
                    )));
                }
            }
        }
        match (&query.phone, &query.email) {
            (Some(_), Some(_)) => Err(bad(
                "look contacts up with exactly one of phone= or email=".into()
            )),
            (Some(_), None) | (None, Some(_)) if searching => Err(bad(format!(
                "a look-up by phone= or email= takes none of {SEARCH_PARAMETERS}"
            ))),
            _ => Ok(query),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
            vec![("tag", "vip,")],
            vec![("blocked", "yes")],
            vec![("colour", "red")],
        ] {
            assert_eq!(q(&bad).unwrap_err().code(), "invalid_query", "{bad:?}");
        }
    }
}
