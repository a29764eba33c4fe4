//! The OpenAPI shapes of the engine's types that the API reads and writes.
//! The engine's types stay free of the documentation crate; each shape
//! here mirrors the JSON its type reads or writes, and the tests below hold
//! the two together, so the document can be checked against real answers.

#![allow(dead_code)] // Only the derived schemas are used, never the values.

use utoipa::ToSchema;
use utoipa::openapi::RefOr;
use utoipa::openapi::schema::{ObjectBuilder, Schema, Type};

/// What an import does with each row.
#[derive(ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Purpose {
    AddNew,
    UpdateExisting,
    AddAndUpdate,
    AddAll,
}

/// The field that says which contact a row is.
#[derive(ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Identifier {
    Phone,
    Email,
    ContactId,
}

/// A string schema of these words; written by hand where a derive would
/// declare an escaped character (a tab, a quote) as its escape.
fn one_of(words: &[&str]) -> RefOr<Schema> {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .enum_values(Some(words.iter().copied()))
        .into()
}

/// The value separator: `,` `;` `|` or a tab (also read as `tab`).
pub struct Delimiter;

impl utoipa::PartialSchema for Delimiter {
    fn schema() -> RefOr<Schema> {
        one_of(&[",", ";", "|", "\t", "tab"])
    }
}

impl ToSchema for Delimiter {}

/// The quote character around values: `"`, `'` or `none`.
pub struct Enclosure;

impl utoipa::PartialSchema for Enclosure {
    fn schema() -> RefOr<Schema> {
        one_of(&["\"", "'", "none"])
    }
}

impl ToSchema for Enclosure {}

#[derive(ToSchema)]
pub enum Encoding {
    #[serde(rename = "utf-8")]
    Utf8,
    #[serde(rename = "utf-16le")]
    Utf16Le,
    #[serde(rename = "utf-16be")]
    Utf16Be,
    #[serde(rename = "windows-1252")]
    Windows1252,
}

/// The dialect a file is read in.
#[derive(ToSchema)]
pub struct Dialect {
    pub delimiter: Delimiter,
    pub enclosure: Enclosure,
    pub encoding: Encoding,
}

/// What the user fixed of the dialect; the rest is detected.
#[derive(ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DialectOptions {
    pub delimiter: Option<Delimiter>,
    pub enclosure: Option<Enclosure>,
    pub encoding: Option<Encoding>,
}

/// One column's mapping.
#[derive(ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MappingEntry {
    pub column: String,
    /// A contact field key (`first_name`, `last_name`, `phone`, `email`,
    /// `country`, `language`, `assignee`, `tags`, `contact_id`),
    /// `custom:<key>` for a custom field, or `null` to skip the column.
    pub field: Option<String>,
    /// `true` (the default) replaces the contact's value; `false` only
    /// fills what is empty.
    #[serde(default)]
    pub overwrite: bool,
}

/// An import's options; every one may be left out.
#[derive(ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ImportOptions {
    /// `add_and_update` by default.
    #[serde(default)]
    pub purpose: Purpose,
    /// `phone` by default.
    #[serde(default)]
    pub identifier: Identifier,
    #[serde(default)]
    pub tags: Vec<String>,
    /// Tag every contact with `import-yyyy-mm-dd-hhmm` (on by default).
    #[serde(default)]
    pub import_tag: bool,
    #[serde(default)]
    pub overwrite_tags: bool,
    #[serde(default)]
    pub group: Option<String>,
    /// ISO 3166-1 alpha-2; the workspace's when `null`.
    #[serde(default)]
    pub default_country: Option<String>,
    /// `null` detects the whole dialect.
    #[serde(default)]
    pub dialect: Option<DialectOptions>,
    /// `null` maps the columns automatically.
    #[serde(default)]
    pub mapping: Option<Vec<MappingEntry>>,
}

/// Counts of the rows' predicted outcomes.
#[derive(ToSchema)]
pub struct Review {
    pub rows: u64,
    pub to_add: u64,
    pub to_update: u64,
    pub to_skip: u64,
    pub errors: u64,
}

#[derive(ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum CustomType {
    Text,
    Number,
    Date,
    Boolean,
    Url,
    Email,
    Phone,
    List,
}

/// A custom field a workspace defines.
#[derive(ToSchema)]
pub struct CustomField {
    #[schema(pattern = r"^[a-z][a-z0-9_]{0,39}$")]
    pub key: String,
    #[schema(min_length = 1, max_length = 100)]
    pub label: String,
    #[serde(rename = "type")]
    pub kind: CustomType,
    /// A `list`'s options; only a `list` has them.
    #[serde(default)]
    pub options: Option<Vec<String>>,
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use serde_json::{Value, json};

    use contact_engine::dialect::{Delimiter, Dialect, Enclosure, Encoding};
    use contact_engine::fields::{ContactField, CustomField, CustomType, FieldRef};
    use contact_engine::options::{ImportOptions, MappingEntry};
    use contact_engine::validation::Review;

    fn schema<T: utoipa::ToSchema>() -> Value {
        serde_json::to_value(T::schema()).unwrap()
    }

    /// The property names of a shape's object schema.
    fn properties<T: utoipa::ToSchema>() -> BTreeSet<String> {
        keys(&schema::<T>()["properties"])
    }

    /// The enum values of a shape's string schema, as JSON text.
    fn values<T: utoipa::ToSchema>() -> BTreeSet<String> {
        let schema = schema::<T>();
        assert_eq!(schema["type"], "string", "{schema}");
        let values = schema["enum"].as_array().expect("enum values").iter();
        values.map(Value::to_string).collect()
    }

    fn keys(value: &Value) -> BTreeSet<String> {
        let object = value.as_object();
        object.expect("an object").keys().cloned().collect()
    }

    fn written<T: serde::Serialize>(value: T) -> Value {
        serde_json::to_value(value).unwrap()
    }

    fn json_text(values: impl IntoIterator<Item = impl serde::Serialize>) -> BTreeSet<String> {
        values.into_iter().map(|v| written(v).to_string()).collect()
    }

    #[test]
    fn shapes_name_what_the_engine_reads_and_writes() {
        let options = ImportOptions {
            dialect: Some(contact_engine::dialect::DialectOptions::default()),
            mapping: Some(vec![]),
            ..ImportOptions::default()
        };
        let options = written(&options);
        assert_eq!(properties::<super::ImportOptions>(), keys(&options));
        assert_eq!(
            properties::<super::DialectOptions>(),
            keys(&options["dialect"])
        );
        // Every option may be left out: the shape requires none.
        assert!(serde_json::from_value::<ImportOptions>(json!({})).is_ok());
        assert_eq!(schema::<super::ImportOptions>().get("required"), None);

        let dialect = Dialect {
            delimiter: Delimiter::Comma,
            enclosure: Enclosure::Double,
            encoding: Encoding::Utf8,
        };
        assert_eq!(properties::<super::Dialect>(), keys(&written(dialect)));
        let entry = MappingEntry {
            column: "Nombre".into(),
            field: Some(FieldRef::Contact(ContactField::FirstName)),
            overwrite: true,
        };
        assert_eq!(properties::<super::MappingEntry>(), keys(&written(entry)));
        assert_eq!(
            properties::<super::Review>(),
            keys(&written(Review::default()))
        );
        let list = CustomField {
            key: "plan".into(),
            label: "Plan".into(),
            kind: CustomType::List {
                options: vec!["pro".into()],
            },
        };
        assert_eq!(properties::<super::CustomField>(), keys(&written(list)));

        let delimiters = values::<super::Delimiter>();
        assert!(delimiters.is_superset(&json_text(Delimiter::ALL)));
        assert_eq!(
            values::<super::Enclosure>(),
            json_text([Enclosure::Double, Enclosure::Single, Enclosure::None])
        );
        assert_eq!(
            values::<super::Encoding>(),
            json_text([
                Encoding::Utf8,
                Encoding::Utf16Le,
                Encoding::Utf16Be,
                Encoding::Windows1252
            ])
        );
        let reads = |text: &str| -> Value { serde_json::from_str(text).unwrap() };
        for value in delimiters {
            let delimiter = serde_json::from_value::<Delimiter>(reads(&value));
            assert!(delimiter.is_ok(), "delimiter {value}");
        }
        for value in values::<super::Purpose>() {
            let purpose = serde_json::from_value::<contact_engine::options::Purpose>(reads(&value));
            assert!(purpose.is_ok(), "purpose {value}");
        }
        for value in values::<super::Identifier>() {
            let identifier =
                serde_json::from_value::<contact_engine::options::Identifier>(reads(&value));
            assert!(identifier.is_ok(), "identifier {value}");
        }
        for value in values::<super::CustomType>() {
            let mut field = json!({"key": "k", "label": "K", "type": reads(&value)});
            if value == "\"list\"" {
                field["options"] = json!(["a"]);
            }
            let read = serde_json::from_value::<CustomField>(field.clone());
            assert!(read.is_ok(), "custom field {field}");
        }
    }
}
