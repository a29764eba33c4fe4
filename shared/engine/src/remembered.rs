//! Remembered mappings: when a workspace confirms an import, each column it
//! mapped otherwise than the automatic mapping would (a header the
//! vocabularies do not know, mapped by hand; a column skipped that would
//! have been mapped; "keep existing values" ticked) is remembered as header
//! → field, and the next file with that header is mapped the same way, its
//! mapping entry saying so (`remembered`, and a note). A column confirmed
//! as the automatic mapping maps it is forgotten, so the memory holds only
//! the workspace's own choices, newest first, at most
//! [`MAX_REMEMBERED`]. Headers match folded, as the vocabularies do.

use std::collections::HashSet;

use crate::fields::FieldRef;
use crate::mapping;
use crate::normalize::fold;
use crate::options::{MappingEntry, RememberedColumn, Workspace};

/// How many headers a workspace remembers; the oldest go first.
pub const MAX_REMEMBERED: usize = 200;
/// The longest header remembered, in characters.
pub const MAX_HEADER_CHARS: usize = 200;

/// The workspace's memory once an import of `headers` is confirmed with
/// `confirmed` (one entry per header): this file's choices that differ from
/// the automatic mapping first, then what was remembered of headers this
/// file does not have.
pub fn after_confirming(
    headers: &[String],
    confirmed: &[MappingEntry],
    workspace: &Workspace,
) -> Vec<RememberedColumn> {
    let forgetful = Workspace {
        remembered: Vec::new(),
        ..workspace.clone()
    };
    let automatic = mapping::automatic_fields(headers, &forgetful);
    let mut memory: Vec<RememberedColumn> = Vec::new();
    for (column, header) in headers.iter().enumerate() {
        let Some(entry) = confirmed.iter().find(|e| e.column.trim() == header.trim()) else {
            continue;
        };
        let chosen = entry.field.clone().map(|f| (f, entry.overwrite));
        if fold(header).is_empty() || header.chars().count() > MAX_HEADER_CHARS {
            continue;
        }
        if chosen != automatic.fields[column] {
            memory.push(RememberedColumn {
                header: header.trim().to_string(),
                field: entry.field.clone(),
                overwrite: entry.overwrite,
            });
        }
    }
    let in_file: HashSet<String> = headers.iter().map(|h| fold(h)).collect();
    memory.extend(
        workspace
            .remembered
            .iter()
            .filter(|m| !in_file.contains(&fold(&m.header)))
            .cloned(),
    );
    memory.truncate(MAX_REMEMBERED);
    memory
}

/// Checks a memory set through the API: headers of 1 to
/// [`MAX_HEADER_CHARS`] characters, each once (folded), at most
/// [`MAX_REMEMBERED`], custom fields the workspace has. Answers it trimmed,
/// or what is wrong.
pub fn checked(
    mut columns: Vec<RememberedColumn>,
    workspace: &Workspace,
) -> Result<Vec<RememberedColumn>, String> {
    if columns.len() > MAX_REMEMBERED {
        return Err(format!(
            "a workspace remembers at most {MAX_REMEMBERED} headers"
        ));
    }
    let mut seen = HashSet::new();
    for column in &mut columns {
        column.header = column.header.trim().to_string();
        let header = &column.header;
        if fold(header).is_empty() || header.chars().count() > MAX_HEADER_CHARS {
            return Err(format!(
                "header \"{header}\" must hold 1 to {MAX_HEADER_CHARS} characters, a letter or digit among them"
            ));
        }
        if !seen.insert(fold(header)) {
            return Err(format!(
                "header \"{header}\" is given twice (headers match regardless of case, accents and punctuation)"
            ));
        }
        if let Some(FieldRef::Custom(key)) = &column.field
            && !workspace.custom_fields.iter().any(|c| c.key == *key)
        {
            return Err(format!(
                "header \"{header}\" names custom field \"{key}\", which the workspace does not define"
            ));
        }
    }
    Ok(columns)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fields::{ContactField, CustomField, CustomType};
    use crate::mapping::{REMEMBERED_NOTE, draft};
    use crate::options::ImportOptions;

    fn headers(names: &[&str]) -> Vec<String> {
        names.iter().map(|s| s.to_string()).collect()
    }

    fn entry(column: &str, field: Option<FieldRef>, overwrite: bool) -> MappingEntry {
        MappingEntry {
            column: column.into(),
            field,
            overwrite,
            note: None,
            remembered: false,
            suggestion: None,
        }
    }

    fn workspace() -> Workspace {
        Workspace {
            custom_fields: vec![CustomField {
                key: "segmento".into(),
                label: "Segmento del cliente".into(),
                kind: CustomType::Text,
            }],
            ..Default::default()
        }
    }

    const TAGS: FieldRef = FieldRef::Contact(ContactField::Tags);
    const PHONE: FieldRef = FieldRef::Contact(ContactField::Phone);

    #[test]
    fn only_choices_that_differ_from_the_automatic_mapping_are_remembered() {
        let h = headers(&["Nombre", "Celular", "Grupo", "Fijo"]);
        let confirmed = [
            entry(
                "Nombre",
                Some(FieldRef::Contact(ContactField::FirstName)),
                true,
            ),
            // Automatic: phone; confirmed keeping existing values.
            entry("Celular", Some(PHONE), false),
            // Unknown to the vocabularies, mapped by hand.
            entry("Grupo", Some(TAGS), true),
            entry("Fijo", None, true),
        ];
        let old = RememberedColumn {
            header: "Región".into(),
            field: None,
            overwrite: true,
        };
        let ws = Workspace {
            remembered: vec![old.clone()],
            ..workspace()
        };
        let memory = after_confirming(&h, &confirmed, &ws);
        assert_eq!(
            memory,
            [
                RememberedColumn {
                    header: "Celular".into(),
                    field: Some(PHONE),
                    overwrite: false
                },
                RememberedColumn {
                    header: "Grupo".into(),
                    field: Some(TAGS),
                    overwrite: true
                },
                old,
            ]
        );
        // Confirmed as the automatic mapping maps it: forgotten.
        let again = after_confirming(
            &headers(&["GRUPO", "Celular"]),
            &[
                entry("GRUPO", None, true),
                entry("Celular", Some(PHONE), true),
            ],
            &Workspace {
                remembered: memory,
                ..workspace()
            },
        );
        assert_eq!(
            again.iter().map(|m| m.header.as_str()).collect::<Vec<_>>(),
            ["Región"]
        );
    }

    #[test]
    fn a_remembered_header_is_mapped_so_and_said_so() {
        let ws = Workspace {
            remembered: vec![
                RememberedColumn {
                    header: "grupo".into(),
                    field: Some(TAGS),
                    overwrite: true,
                },
                // Skipped, though the vocabularies know it.
                RememberedColumn {
                    header: "Teléfono".into(),
                    field: None,
                    overwrite: true,
                },
                RememberedColumn {
                    header: "Tel 2".into(),
                    field: Some(PHONE),
                    overwrite: false,
                },
                RememberedColumn {
                    header: "Borrado".into(),
                    field: Some(FieldRef::Custom("gone".into())),
                    overwrite: true,
                },
            ],
            ..workspace()
        };
        let h = headers(&["Nombre", "Grupo", "Telefono", "Tel-2", "Borrado"]);
        let mapping = draft(&h, &ImportOptions::default(), &ws);
        let got: Vec<(Option<String>, bool, bool)> = mapping
            .iter()
            .map(|e| {
                (
                    e.field.as_ref().map(ToString::to_string),
                    e.overwrite,
                    e.remembered,
                )
            })
            .collect();
        assert_eq!(
            got,
            [
                (Some("first_name".into()), true, false),
                (Some("tags".into()), true, true),
                (None, true, true),
                (Some("phone".into()), false, true),
                // A custom field the workspace no longer has is no memory.
                (None, true, false),
            ]
        );
        assert_eq!(mapping[1].note.as_deref(), Some(REMEMBERED_NOTE));
        // An explicit mapping is the user's: nothing from memory.
        let explicit = ImportOptions {
            mapping: Some(vec![entry(
                "Nombre",
                Some(FieldRef::Contact(ContactField::FirstName)),
                true,
            )]),
            ..Default::default()
        };
        assert!(draft(&h, &explicit, &ws).iter().all(|e| !e.remembered));
    }

    #[test]
    fn a_memory_set_through_the_api_is_checked() {
        let column = |header: &str, field: Option<FieldRef>| RememberedColumn {
            header: header.into(),
            field,
            overwrite: true,
        };
        let ws = workspace();
        assert_eq!(
            checked(vec![column(" Grupo ", Some(TAGS))], &ws).unwrap()[0].header,
            "Grupo"
        );
        for bad in [
            vec![column("  ", None)],
            vec![column("Grupo", None), column("GRUPO", Some(TAGS))],
            vec![column("Plan", Some(FieldRef::Custom("plan".into())))],
            vec![column(&"x".repeat(201), None)],
        ] {
            assert!(checked(bad.clone(), &ws).is_err(), "{bad:?}");
        }
        let many = (0..=MAX_REMEMBERED)
            .map(|i| column(&format!("h{i}"), None))
            .collect();
        assert!(checked(many, &ws).is_err());
    }
}
