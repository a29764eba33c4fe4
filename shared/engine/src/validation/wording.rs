//! The words a mapping gives the outcomes that depend on the workspace.

use crate::classify::Reason;
use crate::fields::{ContactField, FieldRef};
use crate::options::{Identifier, MappingEntry};

/// The words a mapping gives the outcomes that depend on the workspace: the
/// validation's review and the workers' re-check say them alike.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Wording {
    id_column: String,
    id_words: &'static str,
    first_name_column: Option<String>,
}

impl Wording {
    pub fn new(identifier: Option<Identifier>, mapping: &[MappingEntry]) -> Self {
        let column_of = |field: ContactField| {
            mapping
                .iter()
                .find(|e| e.field == Some(FieldRef::Contact(field)))
                .map(|e| e.column.clone())
        };
        Self {
            id_column: identifier
                .and_then(|i| column_of(i.field()))
                .unwrap_or_default(),
            id_words: identifier.map_or("", |i| i.field().words()),
            first_name_column: column_of(ContactField::FirstName),
        }
    }

    /// Why a row ends with `reason`; `id_value` is its normalised identifier.
    pub fn reason(&self, reason: Reason, id_value: &str) -> String {
        let id_column = &self.id_column;
        match reason {
            Reason::InvalidValues => "the row has invalid values".to_string(),
            Reason::IdentifierEmpty => {
                format!(
                    "{id_column}: empty, but the {} identifies each contact",
                    self.id_words
                )
            }
            Reason::RepeatedInFile { rows } => self.repeated(rows, id_value, None),
            Reason::SharedByContacts { contacts } => {
                format!("{id_column}: {id_value} belongs to {contacts} contacts; merge them first")
            }
            Reason::AlreadyExists => {
                format!("{id_column}: a contact with {id_value} already exists")
            }
            Reason::NotFound => format!("{id_column}: no contact has {id_value}"),
            Reason::NoFirstName => match &self.first_name_column {
                Some(c) => format!("{c}: empty, but a new contact needs a first name"),
                None => "no column is mapped to first name, which a new contact needs".to_string(),
            },
            Reason::Dropped => "removed from the import in the review".to_string(),
            Reason::QuotaReached => {
                "plan contact limit reached: no new contact can be added this month".to_string()
            }
        }
    }

    /// Why a row whose identifier is on `rows` rows of the file is an error,
    /// naming another of them when known.
    pub fn repeated(&self, rows: u32, id_value: &str, other_row: Option<u64>) -> String {
        let id_column = &self.id_column;
        match other_row {
            Some(other) => format!(
                "{id_column}: {id_value} is on {rows} rows of the file (also row {other}); keep it on one"
            ),
            None => {
                format!("{id_column}: {id_value} is on {rows} rows of the file; keep it on one")
            }
        }
    }
}
