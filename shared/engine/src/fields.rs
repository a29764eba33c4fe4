//! The fields a contact has, and the custom fields a workspace defines.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A built-in contact field, by its API key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ContactField {
    FirstName,
    LastName,
    Phone,
    Email,
    Country,
    Language,
    Assignee,
    Tags,
    ContactId,
}

impl ContactField {
    pub const ALL: [Self; 9] = [
        Self::FirstName,
        Self::LastName,
        Self::Phone,
        Self::Email,
        Self::Country,
        Self::Language,
        Self::Assignee,
        Self::Tags,
        Self::ContactId,
    ];

    /// The contact's own values, one text each, in order: every field but
    /// its tags and its id. Every struct that holds them is declared
    /// through [`contact_fields!`].
    pub fn own_values() -> impl Iterator<Item = Self> {
        Self::ALL
            .into_iter()
            .filter(|f| !matches!(f, Self::Tags | Self::ContactId))
    }

    pub fn key(self) -> &'static str {
        match self {
            Self::FirstName => "first_name",
            Self::LastName => "last_name",
            Self::Phone => "phone",
            Self::Email => "email",
            Self::Country => "country",
            Self::Language => "language",
            Self::Assignee => "assignee",
            Self::Tags => "tags",
            Self::ContactId => "contact_id",
        }
    }

    /// The field in plain words, for messages.
    pub fn words(self) -> &'static str {
        match self {
            Self::FirstName => "first name",
            Self::LastName => "last name",
            Self::Phone => "phone number",
            Self::Email => "email",
            Self::Country => "country",
            Self::Language => "language",
            Self::Assignee => "assignee",
            Self::Tags => "tags",
            Self::ContactId => "contact ID",
        }
    }
}

/// Declares a struct that holds the contact's own values
/// ([`ContactField::own_values`]: `first_name`, `last_name`, `phone`, `email`,
/// `country`, `language` and `assignee`, in this order) between its other
/// fields: the one place that list is written, for a contact as stored, a
/// row's draft, and the API's new contact and patch. Each of the seven is of
/// the type after `..`; the attributes beside it go on every one of them,
/// those in `first_name { }` on the first name only and those in
/// `others { }` on the six others. The struct gets [`ContactField`]
/// accessors to them, `field` and `field_mut`.
///
/// ```
/// contact_engine::contact_fields! {
///     #[derive(Default)]
///     pub struct Card {
///         pub id: String,
///         .. Option<String>, first_name { /** Always given. */ }, others { };
///         pub tags: Vec<String>,
///     }
/// }
/// let mut card = Card::default();
/// *card.field_mut(contact_engine::fields::ContactField::Email).unwrap() = Some("a@b.co".into());
/// assert_eq!(card.email.as_deref(), Some("a@b.co"));
/// ```
#[macro_export]
macro_rules! contact_fields {
    (
        $(#[$meta:meta])*
        pub struct $name:ident {
            $( $(#[$before_meta:meta])* pub $before:ident : $before_ty:ty, )*
            .. $(#[$each:meta])* $text:ty,
                first_name { $(#[$first:meta])* },
                others { $(#[$other:meta])* };
            $( $(#[$after_meta:meta])* pub $after:ident : $after_ty:ty, )*
        }
    ) => {
        $(#[$meta])*
        pub struct $name {
            $( $(#[$before_meta])* pub $before: $before_ty, )*
            $(#[$each])* $(#[$first])* pub first_name: $text,
            $(#[$each])* $(#[$other])* pub last_name: $text,
            $(#[$each])* $(#[$other])* pub phone: $text,
            $(#[$each])* $(#[$other])* pub email: $text,
            $(#[$each])* $(#[$other])* pub country: $text,
            $(#[$each])* $(#[$other])* pub language: $text,
            $(#[$each])* $(#[$other])* pub assignee: $text,
            $( $(#[$after_meta])* pub $after: $after_ty, )*
        }

        impl $name {
            /// One of the contact's own values; `None` for a field that
            /// is not among them (tags, the contact id).
            #[allow(dead_code)]
            pub fn field(&self, field: $crate::fields::ContactField) -> Option<&$text> {
                use $crate::fields::ContactField as F;
                match field {
                    F::FirstName => Some(&self.first_name),
                    F::LastName => Some(&self.last_name),
                    F::Phone => Some(&self.phone),
                    F::Email => Some(&self.email),
                    F::Country => Some(&self.country),
                    F::Language => Some(&self.language),
                    F::Assignee => Some(&self.assignee),
                    F::Tags | F::ContactId => None,
                }
            }

            /// One of the contact's own values, to change.
            #[allow(dead_code)]
            pub fn field_mut(
                &mut self,
                field: $crate::fields::ContactField,
            ) -> Option<&mut $text> {
                use $crate::fields::ContactField as F;
                match field {
                    F::FirstName => Some(&mut self.first_name),
                    F::LastName => Some(&mut self.last_name),
                    F::Phone => Some(&mut self.phone),
                    F::Email => Some(&mut self.email),
                    F::Country => Some(&mut self.country),
                    F::Language => Some(&mut self.language),
                    F::Assignee => Some(&mut self.assignee),
                    F::Tags | F::ContactId => None,
                }
            }
        }
    };
}

/// What a column maps to: a contact field or a workspace's custom field.
/// In JSON: `"first_name"` or `"custom:<key>"`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum FieldRef {
    Contact(ContactField),
    Custom(String),
}

impl fmt::Display for FieldRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Contact(field) => f.write_str(field.key()),
            Self::Custom(key) => write!(f, "custom:{key}"),
        }
    }
}

impl Serialize for FieldRef {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for FieldRef {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        if let Some(key) = text.strip_prefix("custom:") {
            return Ok(Self::Custom(key.to_string()));
        }
        ContactField::ALL
            .into_iter()
            .find(|f| f.key() == text)
            .map(Self::Contact)
            .ok_or_else(|| serde::de::Error::custom(format!("unknown field \"{text}\"")))
    }
}

/// The type of a custom field, which its values are checked against.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum CustomType {
    Text,
    Number,
    Date,
    Boolean,
    Url,
    Email,
    Phone,
    List { options: Vec<String> },
}

/// A custom field a workspace defines.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CustomField {
    pub key: String,
    pub label: String,
    #[serde(flatten)]
    pub kind: CustomType,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn field_refs_in_json() {
        let refs: Vec<Option<FieldRef>> =
            serde_json::from_str(r#"["phone", "custom:empresa", null]"#).unwrap();
        assert_eq!(
            refs,
            [
                Some(FieldRef::Contact(ContactField::Phone)),
                Some(FieldRef::Custom("empresa".into())),
                None
            ]
        );
        assert_eq!(
            serde_json::to_string(&refs).unwrap(),
            r#"["phone","custom:empresa",null]"#
        );
        assert!(serde_json::from_str::<FieldRef>(r#""nickname""#).is_err());
    }

    #[test]
    fn custom_fields_in_json() {
        let f: CustomField = serde_json::from_str(
            r#"{"key":"plan","label":"Plan","type":"list","options":["basic","pro"]}"#,
        )
        .unwrap();
        assert_eq!(
            f.kind,
            CustomType::List {
                options: vec!["basic".into(), "pro".into()]
            }
        );
    }
}
