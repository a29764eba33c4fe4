//! An import's options, as the API and the command line take them, and the
//! workspace facts validation needs.

use serde::{Deserialize, Serialize};

use crate::dialect::DialectOptions;
use crate::fields::{ContactField, CustomField, FieldRef};
use crate::{limits, normalize};

/// What an import does with each row.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Purpose {
    AddNew,
    UpdateExisting,
    #[default]
    AddAndUpdate,
    AddAll,
}

/// The field that says which contact a row is.
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize,
)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Identifier {
    #[default]
    Phone,
    Email,
    ContactId,
}

impl Identifier {
    pub fn field(self) -> ContactField {
        match self {
            Self::Phone => ContactField::Phone,
            Self::Email => ContactField::Email,
            Self::ContactId => ContactField::ContactId,
        }
    }
}

/// One column's mapping.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct MappingEntry {
    pub column: String,
    /// A contact field key (`first_name`, `last_name`, `phone`, `email`,
    /// `country`, `language`, `assignee`, `tags`, `contact_id`),
    /// `custom:<key>` for a custom field, or `null` to skip the column.
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>))]
    pub field: Option<FieldRef>,
    /// `true` (the default) replaces the contact's value; `false` only
    /// fills what is empty.
    #[serde(default = "yes")]
    pub overwrite: bool,
    /// Why the column was mapped so, when the service chose it among
    /// several that name the same field ("chosen over Home Phone: …");
    /// ignored when sent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    /// `true` when the column is mapped as the workspace mapped this header
    /// in an earlier import ([`Workspace::remembered`]); ignored when sent.
    #[serde(default, skip_serializing_if = "is_false")]
    pub remembered: bool,
    /// For a column left unmapped whose header is close to a field's name
    /// (`Emial`, `Customer Phone`): that field and why. Never applied by
    /// itself; ignored when sent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub suggestion: Option<Suggestion>,
}

/// A field a column could be mapped to, and why it is suggested.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Suggestion {
    /// A contact field key or `custom:<key>`, as in `field`.
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub field: FieldRef,
    /// In plain words: "\"Emial\" is one letter away from \"email\", …".
    pub why: String,
}

fn yes() -> bool {
    true
}

fn is_false(value: &bool) -> bool {
    !value
}

/// An import's options; every one may be left out.
// Each field names its own default (rather than the struct as a whole) so
// that the OpenAPI schema derived from it states no default values: the
// words of each field say them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
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
    #[serde(default = "yes")]
    pub import_tag: bool,
    #[serde(default = "yes")]
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
    /// The sheet of a spreadsheet upload to read, by name (case aside);
    /// the first sheet when `null`. The review lists the workbook's sheets.
    /// Ignored for delimited text.
    #[serde(default)]
    pub sheet: Option<String>,
}

impl Default for ImportOptions {
    fn default() -> Self {
        Self {
            purpose: Purpose::default(),
            identifier: Identifier::default(),
            tags: Vec::new(),
            import_tag: true,
            overwrite_tags: true,
            group: None,
            default_country: None,
            dialect: None,
            mapping: None,
            sheet: None,
        }
    }
}

/// What validation needs to know of the workspace besides its contacts.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Workspace {
    /// ISO 3166-1 alpha-2 for numbers written without `+country`.
    pub default_country: Option<String>,
    /// New contacts the workspace may still create this month; `None` is unlimited.
    pub remaining_quota: Option<u64>,
    pub custom_fields: Vec<CustomField>,
    /// The emails and ids an assignee may name; `None` accepts any.
    pub users: Option<Vec<String>>,
    /// How the workspace's earlier imports mapped headers the automatic
    /// mapping maps otherwise ([`crate::remembered`]).
    pub remembered: Vec<RememberedColumn>,
}

/// A header and the field the workspace chose for it when it confirmed an
/// import (or set through the API): a file with that header is mapped so.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct RememberedColumn {
    /// The header as the file wrote it; matched folded (case, accents,
    /// spaces and punctuation aside).
    pub header: String,
    /// A contact field key, `custom:<key>`, or `null`: the column is skipped.
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>))]
    pub field: Option<FieldRef>,
    /// `false`: the column only fills what is empty.
    #[serde(default = "yes")]
    pub overwrite: bool,
}

/// Options that cannot work together, or mappings that break the rules.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OptionsError {
    #[error("the contact_id identifier works only with the update_existing purpose")]
    ContactIdNeedsUpdateExisting,
    #[error("default_country \"{0}\" {UNKNOWN_COUNTRY_WORDS}")]
    UnknownCountry(String),
    #[error("tag \"{0}\" is empty or longer than {max} characters", max = normalize::MAX_TAG_CHARS)]
    BadTag(String),
    #[error("an import adds at most {max} tags", max = limits::MAX_TAGS_PER_ROW)]
    TooManyTags,
    #[error("the group's name must hold 1 to {max} characters", max = limits::MAX_TEXT_CHARS)]
    BadGroup,
    #[error(
        "the mapping holds at most {max} columns, each named in at most {chars} characters",
        max = limits::MAX_MAPPING_ENTRIES,
        chars = limits::MAX_TEXT_CHARS
    )]
    MappingTooLarge,
    #[error("the options take more than {max} KiB", max = limits::MAX_OPTIONS_BYTES / 1024)]
    TooLarge,
    #[error("the mapping names the column \"{0}\", which the file does not have")]
    UnknownColumn(String),
    #[error("the mapping names the column \"{0}\" twice")]
    ColumnMappedTwice(String),
    #[error("the field {0} is mapped to more than one column; map each field once")]
    FieldMappedTwice(String),
    #[error("the mapping names the custom field \"{0}\", which the workspace does not define")]
    UnknownCustomField(String),
    #[error("no column is mapped to a contact field; map at least one")]
    NothingMapped,
    #[error(
        "no column is mapped to the {0}, which identifies each contact; map one or choose another identifier"
    )]
    IdentifierNotMapped(&'static str),
}

impl OptionsError {
    /// Whether the file's headers are what is wrong with the mapping (the
    /// options alone are fine): such a file stops in review with the
    /// problem said, for the mapping to be changed, rather than failing.
    pub fn is_mapping_problem(&self) -> bool {
        matches!(
            self,
            Self::UnknownColumn(_)
                | Self::ColumnMappedTwice(_)
                | Self::FieldMappedTwice(_)
                | Self::UnknownCustomField(_)
                | Self::NothingMapped
                | Self::IdentifierNotMapped(_)
        )
    }

    /// A stable snake_case code for the API's error body.
    pub fn code(&self) -> &'static str {
        match self {
            Self::ContactIdNeedsUpdateExisting => "contact_id_needs_update_existing",
            Self::UnknownCountry(_) => "unknown_country",
            Self::BadTag(_) => "bad_tag",
            Self::TooManyTags => "too_many_tags",
            Self::BadGroup => "bad_group",
            Self::MappingTooLarge => "mapping_too_large",
            Self::TooLarge => "options_too_large",
            Self::UnknownColumn(_) => "unknown_column",
            Self::ColumnMappedTwice(_) => "column_mapped_twice",
            Self::FieldMappedTwice(_) => "field_mapped_twice",
            Self::UnknownCustomField(_) => "unknown_custom_field",
            Self::NothingMapped => "nothing_mapped",
            Self::IdentifierNotMapped(_) => "identifier_not_mapped",
        }
    }
}

impl ImportOptions {
    /// Checks what can be checked without the file, and answers the default
    /// country in force (the import's, else the workspace's).
    pub fn check(&self, workspace: &Workspace) -> Result<Option<&'static str>, OptionsError> {
        if self.identifier == Identifier::ContactId && self.purpose != Purpose::UpdateExisting {
            return Err(OptionsError::ContactIdNeedsUpdateExisting);
        }
        if self.tags.len() > limits::MAX_TAGS_PER_ROW {
            return Err(OptionsError::TooManyTags);
        }
        for tag in &self.tags {
            let t = tag.trim();
            if t.is_empty() || t.chars().count() > normalize::MAX_TAG_CHARS {
                return Err(OptionsError::BadTag(tag.clone()));
            }
        }
        if let Some(group) = &self.group {
            let g = group.trim();
            if g.is_empty() || g.chars().count() > limits::MAX_TEXT_CHARS {
                return Err(OptionsError::BadGroup);
            }
        }
        if let Some(mapping) = &self.mapping {
            let too_long = |e: &MappingEntry| e.column.chars().count() > limits::MAX_TEXT_CHARS;
            if mapping.len() > limits::MAX_MAPPING_ENTRIES || mapping.iter().any(too_long) {
                return Err(OptionsError::MappingTooLarge);
            }
        }
        let stored = serde_json::to_vec(self).map_or(usize::MAX, |json| json.len());
        if stored > limits::MAX_OPTIONS_BYTES {
            return Err(OptionsError::TooLarge);
        }
        self.default_country
            .as_deref()
            .or(workspace.default_country.as_deref())
            .map(|code| {
                default_country_code(code)
                    .ok_or_else(|| OptionsError::UnknownCountry(code.to_string()))
            })
            .transpose()
    }

    /// The identifier in force: none for `add_all`.
    pub fn identifier_in_force(&self) -> Option<Identifier> {
        (self.purpose != Purpose::AddAll).then_some(self.identifier)
    }
}

/// Why a default country is refused, after its quoted value.
pub const UNKNOWN_COUNTRY_WORDS: &str = "is not a country code: use the two letters of ISO 3166-1 (EC, BR, MX…) or another region phone numbers know (XK, AC, TA)";

/// A default country, upper case: an ISO 3166-1 alpha-2 code, or any other
/// region the phone metadata knows (Kosovo `XK`, Ascension `AC`, Tristan
/// da Cunha `TA`).
pub fn default_country_code(code: &str) -> Option<&'static str> {
    (code.len() == 2)
        .then(|| normalize::country(code).ok())
        .flatten()
        .or_else(|| normalize::phone::phone_region(code))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_match_the_api() {
        let o: ImportOptions = serde_json::from_str("{}").unwrap();
        assert_eq!(o, ImportOptions::default());
        assert_eq!(
            (o.purpose, o.identifier, o.import_tag, o.overwrite_tags),
            (Purpose::AddAndUpdate, Identifier::Phone, true, true)
        );
        let o: ImportOptions = serde_json::from_str(
            r#"{"purpose":"update_existing","identifier":"contact_id","tags":["nov"],
                "dialect":{"delimiter":";"},"mapping":[{"column":"Contact ID","field":"contact_id"}]}"#,
        )
        .unwrap();
        assert!(o.mapping.unwrap()[0].overwrite);
        assert!(serde_json::from_str::<ImportOptions>(r#"{"purpose":"merge"}"#).is_err());
        assert!(serde_json::from_str::<ImportOptions>(r#"{"colour":"red"}"#).is_err());
    }

    #[test]
    fn option_rules() {
        let ws = Workspace {
            default_country: Some("EC".into()),
            ..Default::default()
        };
        let mut o = ImportOptions {
            identifier: Identifier::ContactId,
            ..Default::default()
        };
        assert_eq!(
            o.check(&ws),
            Err(OptionsError::ContactIdNeedsUpdateExisting)
        );
        o.purpose = Purpose::UpdateExisting;
        assert_eq!(o.check(&ws), Ok(Some("EC")));
        o.default_country = Some("br".into());
        assert_eq!(o.check(&ws), Ok(Some("BR")));
        o.default_country = Some("Brasil".into());
        assert_eq!(
            o.check(&ws),
            Err(OptionsError::UnknownCountry("Brasil".into()))
        );
        let o = ImportOptions {
            tags: vec![" ".into()],
            ..Default::default()
        };
        assert!(matches!(o.check(&ws), Err(OptionsError::BadTag(_))));
        // Each limit at its value passes, one over is refused.
        let with = |f: &dyn Fn(&mut ImportOptions, usize), n: usize| {
            let mut o = ImportOptions::default();
            f(&mut o, n);
            o.check(&ws)
        };
        let tags =
            |o: &mut ImportOptions, n: usize| o.tags = (0..n).map(|i| format!("t{i}")).collect();
        let group = |o: &mut ImportOptions, n: usize| o.group = Some("g".repeat(n));
        let mapping = |o: &mut ImportOptions, n: usize| {
            o.mapping = Some(
                (0..n)
                    .map(|i| MappingEntry {
                        column: format!("c{i}"),
                        field: None,
                        overwrite: true,
                        note: None,
                        remembered: false,
                        suggestion: None,
                    })
                    .collect(),
            )
        };
        let column = |o: &mut ImportOptions, n: usize| {
            o.mapping = Some(vec![MappingEntry {
                column: "é".repeat(n),
                field: None,
                overwrite: true,
                note: None,
                remembered: false,
                suggestion: None,
            }])
        };
        for (f, max, refusal) in [
            (
                &tags as &dyn Fn(&mut ImportOptions, usize),
                limits::MAX_TAGS_PER_ROW,
                OptionsError::TooManyTags,
            ),
            (&group, limits::MAX_TEXT_CHARS, OptionsError::BadGroup),
            (
                &mapping,
                limits::MAX_MAPPING_ENTRIES,
                OptionsError::MappingTooLarge,
            ),
            (
                &column,
                limits::MAX_TEXT_CHARS,
                OptionsError::MappingTooLarge,
            ),
        ] {
            assert!(with(f, max).is_ok(), "{refusal}");
            assert_eq!(with(f, max + 1), Err(refusal));
        }
        assert_eq!(
            ImportOptions::default().check(&Workspace::default()),
            Ok(None)
        );
    }
}
