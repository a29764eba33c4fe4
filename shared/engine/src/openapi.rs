//! OpenAPI schemas of the engine's types that the API reads and writes
//! (with the `openapi` feature). Most are derived beside their types; the
//! ones here are written by hand because the JSON a type reads is not what
//! a derive would declare: separators and quotes as words (a derive would
//! declare a tab or a quote by its escape), and a custom field, whose
//! `type` and `options` are one internally tagged enum in Rust.

use std::borrow::Cow;

use utoipa::openapi::schema::{ArrayBuilder, ObjectBuilder, Schema, SchemaType, Type};
use utoipa::openapi::{Ref, RefOr};
use utoipa::{PartialSchema, ToSchema};

use crate::dialect::{Delimiter, Enclosure, Encoding};
use crate::fields::{CustomField, CustomType};

/// A string schema of these words.
fn one_of(words: &[&str]) -> RefOr<Schema> {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .enum_values(Some(words.iter().copied()))
        .into()
}

/// The value separator: `,` `;` `|` or a tab (also read as `tab`).
impl PartialSchema for Delimiter {
    fn schema() -> RefOr<Schema> {
        one_of(&[",", ";", "|", "\t", "tab"])
    }
}

impl ToSchema for Delimiter {}

/// The quote character around values: `"`, `'` or `none`.
impl PartialSchema for Enclosure {
    fn schema() -> RefOr<Schema> {
        one_of(&["\"", "'", "none"])
    }
}

impl ToSchema for Enclosure {}

impl PartialSchema for Encoding {
    fn schema() -> RefOr<Schema> {
        one_of(&["utf-8", "utf-16le", "utf-16be", "windows-1252", "macintosh"])
    }
}

impl ToSchema for Encoding {}

impl PartialSchema for CustomType {
    fn schema() -> RefOr<Schema> {
        one_of(&[
            "text", "number", "date", "boolean", "url", "email", "phone", "list",
        ])
    }
}

impl ToSchema for CustomType {}

/// A custom field as JSON holds it: its type's name under `type`, and a
/// `list`'s options beside it.
impl PartialSchema for CustomField {
    fn schema() -> RefOr<Schema> {
        let text = || ObjectBuilder::new().schema_type(Type::String);
        let options = ArrayBuilder::new()
            .schema_type(SchemaType::from_iter([Type::Array, Type::Null]))
            .items(text())
            .description(Some("A `list`'s options; only a `list` has them."));
        ObjectBuilder::new()
            .description(Some("A custom field a workspace defines."))
            .property("key", text().pattern(Some(r"^[a-z][a-z0-9_]{0,39}$")))
            .required("key")
            .property("label", text().min_length(Some(1)).max_length(Some(100)))
            .required("label")
            .property("options", options)
            .property("type", Ref::from_schema_name(CustomType::name()))
            .required("type")
            .into()
    }
}

impl ToSchema for CustomField {
    fn name() -> Cow<'static, str> {
        Cow::Borrowed("CustomField")
    }

    fn schemas(schemas: &mut Vec<(String, RefOr<Schema>)>) {
        schemas.push((CustomType::name().into_owned(), CustomType::schema()));
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use serde_json::{Value, json};

    use crate::dialect::{Delimiter, Dialect, DialectOptions, Enclosure, Encoding};
    use crate::fields::{ContactField, CustomField, CustomType, FieldRef};
    use crate::options::{Identifier, ImportOptions, MappingEntry, Purpose};
    use crate::validation::Review;

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
            dialect: Some(DialectOptions::default()),
            mapping: Some(vec![]),
            ..ImportOptions::default()
        };
        let options = written(&options);
        assert_eq!(properties::<ImportOptions>(), keys(&options));
        assert_eq!(properties::<DialectOptions>(), keys(&options["dialect"]));
        // Every option may be left out: the shape requires none.
        assert!(serde_json::from_value::<ImportOptions>(json!({})).is_ok());
        assert_eq!(schema::<ImportOptions>().get("required"), None);

        let dialect = Dialect {
            delimiter: Delimiter::Comma,
            enclosure: Enclosure::Double,
            encoding: Encoding::Utf8,
        };
        assert_eq!(properties::<Dialect>(), keys(&written(dialect)));
        let entry = MappingEntry {
            column: "Nombre".into(),
            field: Some(FieldRef::Contact(ContactField::FirstName)),
            overwrite: true,
            note: Some("chosen over Nome".into()),
            remembered: true,
            suggestion: Some(crate::options::Suggestion {
                field: FieldRef::Contact(ContactField::LastName),
                why: "close".into(),
            }),
        };
        assert_eq!(properties::<MappingEntry>(), keys(&written(entry)));
        assert_eq!(properties::<Review>(), keys(&written(Review::default())));
        let list = CustomField {
            key: "plan".into(),
            label: "Plan".into(),
            kind: CustomType::List {
                options: vec!["pro".into()],
            },
        };
        assert_eq!(properties::<CustomField>(), keys(&written(list)));

        let delimiters = values::<Delimiter>();
        assert!(delimiters.is_superset(&json_text(Delimiter::ALL)));
        assert_eq!(
            values::<Enclosure>(),
            json_text([Enclosure::Double, Enclosure::Single, Enclosure::None])
        );
        assert_eq!(
            values::<Encoding>(),
            json_text([
                Encoding::Utf8,
                Encoding::Utf16Le,
                Encoding::Utf16Be,
                Encoding::Windows1252,
                Encoding::MacRoman
            ])
        );
        let reads = |text: &str| -> Value { serde_json::from_str(text).unwrap() };
        for value in delimiters {
            let delimiter = serde_json::from_value::<Delimiter>(reads(&value));
            assert!(delimiter.is_ok(), "delimiter {value}");
        }
        for value in values::<Purpose>() {
            let purpose = serde_json::from_value::<Purpose>(reads(&value));
            assert!(purpose.is_ok(), "purpose {value}");
        }
        for value in values::<Identifier>() {
            let identifier = serde_json::from_value::<Identifier>(reads(&value));
            assert!(identifier.is_ok(), "identifier {value}");
        }
        for value in values::<CustomType>() {
            let mut field = json!({"key": "k", "label": "K", "type": reads(&value)});
            if value == "\"list\"" {
                field["options"] = json!(["a"]);
            }
            let read = serde_json::from_value::<CustomField>(field.clone());
            assert!(read.is_ok(), "custom field {field}");
        }
    }
}
