//! Which column feeds which field: automatic by header name, or as the user
//! said, and the rules every mapping keeps.

use std::collections::HashSet;

use crate::fields::{ContactField, FieldRef};
use crate::headers;
use crate::normalize::fold;
use crate::options::{ImportOptions, MappingEntry, OptionsError, Workspace};
use crate::suggestions;

/// A mapped column's destination.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    Field(ContactField),
    /// An index into the workspace's custom fields.
    Custom(usize),
}

/// The mapping in force for one file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plan {
    /// One entry per header column, in file order, as the API shows it.
    pub entries: Vec<MappingEntry>,
    /// The mapped columns: (column index, destination).
    pub columns: Vec<(usize, Target)>,
    pub identifier_column: Option<usize>,
    pub first_name_column: Option<usize>,
    /// The column a row's own country comes from: its phone is read there.
    pub country_column: Option<usize>,
}

impl Plan {
    pub fn column_of(&self, field: ContactField) -> Option<usize> {
        self.columns
            .iter()
            .find(|(_, t)| *t == Target::Field(field))
            .map(|(c, _)| *c)
    }
}

/// Resolves the mapping for `headers`: the options' explicit mapping when
/// given (columns it leaves out are skipped), else automatic.
pub fn plan(
    headers: &[String],
    options: &ImportOptions,
    workspace: &Workspace,
) -> Result<Plan, OptionsError> {
    let Automatic {
        fields,
        notes,
        remembered,
    } = match &options.mapping {
        Some(explicit) => Automatic::explicit(explicit_fields(headers, explicit)?),
        None => automatic_fields(headers, workspace),
    };
    let mut columns = Vec::new();
    let mut seen = HashSet::new();
    for (column, field) in fields.iter().enumerate() {
        let Some((field, _)) = field else { continue };
        if !seen.insert(field.clone()) {
            return Err(OptionsError::FieldMappedTwice(field.to_string()));
        }
        let target = match field {
            FieldRef::Contact(f) => Target::Field(*f),
            FieldRef::Custom(key) => Target::Custom(
                workspace
                    .custom_fields
                    .iter()
                    .position(|c| c.key == *key)
                    .ok_or_else(|| OptionsError::UnknownCustomField(key.clone()))?,
            ),
        };
        columns.push((column, target));
    }
    if columns.is_empty() {
        return Err(OptionsError::NothingMapped);
    }
    let entries = entries(headers, &fields, notes, &remembered, workspace);
    let mut plan = Plan {
        entries,
        columns,
        identifier_column: None,
        first_name_column: None,
        country_column: None,
    };
    plan.first_name_column = plan.column_of(ContactField::FirstName);
    plan.country_column = plan.column_of(ContactField::Country);
    if let Some(identifier) = options.identifier_in_force() {
        plan.identifier_column = plan.column_of(identifier.field());
        if plan.identifier_column.is_none() {
            return Err(OptionsError::IdentifierNotMapped(
                identifier.field().words(),
            ));
        }
    }
    Ok(plan)
}

fn explicit_fields(
    headers: &[String],
    explicit: &[MappingEntry],
) -> Result<Vec<Option<(FieldRef, bool)>>, OptionsError> {
    let mut fields = vec![None; headers.len()];
    let mut named = HashSet::new();
    for entry in explicit {
        let column = headers
            .iter()
            .position(|h| *h == entry.column.trim())
            .ok_or_else(|| OptionsError::UnknownColumn(entry.column.clone()))?;
        if !named.insert(column) {
            return Err(OptionsError::ColumnMappedTwice(entry.column.clone()));
        }
        fields[column] = entry.field.clone().map(|f| (f, entry.overwrite));
    }
    Ok(fields)
}

/// The mapping as far as it can be made when [`plan`] refuses it: the
/// explicit entries that name a column of the file and a field not taken
/// yet (the first of each wins), else the automatic mapping; one entry per
/// header, as the API shows a mapping. It is what a review with mapping
/// problems shows, for the user to change.
pub fn draft(
    headers: &[String],
    options: &ImportOptions,
    workspace: &Workspace,
) -> Vec<MappingEntry> {
    let Automatic {
        fields,
        notes,
        remembered,
    } = match &options.mapping {
        Some(explicit) => {
            let mut fields: Vec<Option<(FieldRef, bool)>> = vec![None; headers.len()];
            let mut named = HashSet::new();
            let mut taken = HashSet::new();
            for entry in explicit {
                let Some(column) = headers.iter().position(|h| *h == entry.column.trim()) else {
                    continue;
                };
                if !named.insert(column) {
                    continue;
                }
                let Some(field) = &entry.field else { continue };
                let known = match field {
                    FieldRef::Contact(_) => true,
                    FieldRef::Custom(key) => workspace.custom_fields.iter().any(|c| c.key == *key),
                };
                if known && taken.insert(field.clone()) {
                    fields[column] = Some((field.clone(), entry.overwrite));
                }
            }
            Automatic::explicit(fields)
        }
        None => automatic_fields(headers, workspace),
    };
    entries(headers, &fields, notes, &remembered, workspace)
}

/// One entry per header, as the API shows a mapping; columns left
/// unmapped carry a suggestion when their header is close to a field's
/// name ([`suggestions`]).
fn entries(
    headers: &[String],
    fields: &[Option<(FieldRef, bool)>],
    notes: Vec<Option<String>>,
    remembered: &[bool],
    workspace: &Workspace,
) -> Vec<MappingEntry> {
    let mapped: Vec<Option<FieldRef>> = fields
        .iter()
        .map(|f| f.as_ref().map(|(f, _)| f.clone()))
        .collect();
    // A column the workspace chose to skip is not suggested again.
    let suggested = suggestions::suggest(headers, &mapped, workspace)
        .into_iter()
        .zip(remembered)
        .map(|(suggestion, remembered)| suggestion.filter(|_| !remembered));
    headers
        .iter()
        .zip(fields)
        .zip(notes)
        .zip(suggested)
        .zip(remembered)
        .map(
            |((((header, field), note), suggestion), remembered)| MappingEntry {
                column: header.clone(),
                field: field.as_ref().map(|(f, _)| f.clone()),
                overwrite: field.as_ref().is_none_or(|(_, overwrite)| *overwrite),
                note,
                remembered: *remembered,
                suggestion,
            },
        )
        .collect()
}

/// Merges mapping entries column by column: an entry of `changes` replaces
/// the entry of `base` for the same column (or is added), and every other
/// column keeps its entry. When the file's `headers` are known, entries of
/// `base` for columns the file does not have are dropped.
pub fn merge_entries(
    base: &[MappingEntry],
    changes: &[MappingEntry],
    headers: Option<&[String]>,
) -> Vec<MappingEntry> {
    let in_file =
        |e: &MappingEntry| headers.is_none_or(|h| h.iter().any(|h| *h == e.column.trim()));
    let mut merged: Vec<MappingEntry> = base.iter().filter(|e| in_file(e)).cloned().collect();
    for change in changes {
        match merged
            .iter_mut()
            .find(|e| e.column.trim() == change.column.trim())
        {
            Some(entry) => *entry = change.clone(),
            None => merged.push(change.clone()),
        }
    }
    merged
}

/// A mapping made without the user: each column's field, a note on each
/// column chosen among several or remembered, and which were remembered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Automatic {
    pub fields: Vec<Option<(FieldRef, bool)>>,
    pub notes: Vec<Option<String>>,
    pub remembered: Vec<bool>,
}

/// What the mapping notes on a column mapped from memory.
pub const REMEMBERED_NOTE: &str =
    "mapped as this workspace mapped this header in an earlier import";

/// A header the workspace remembered ([`crate::remembered`]) is mapped as it was;
/// then a header matches a field no remembered column took by any of its
/// names ([`headers::names`]), and a custom field by its key or label,
/// folded. When several columns name one field, the best-ranked name wins
/// (the first column among equals), and its note says which columns it was
/// chosen over and why.
pub(crate) fn automatic_fields(headers: &[String], workspace: &Workspace) -> Automatic {
    let memory = remembered_choices(headers, workspace);
    let taken: HashSet<&FieldRef> = memory
        .iter()
        .flatten()
        .filter_map(|(field, _)| field.as_ref())
        .collect();
    // Each column's field and rank (custom fields rank after every name).
    let candidates: Vec<Option<(FieldRef, usize)>> = headers
        .iter()
        .zip(&memory)
        .map(|(header, remembered)| {
            let folded = fold(header);
            if folded.is_empty() || remembered.is_some() {
                return None;
            }
            let contact = ContactField::ALL
                .into_iter()
                .find_map(|f| headers::rank(f, &folded).map(|rank| (FieldRef::Contact(f), rank)));
            // `custom:<key>`, as exports name a custom field's column.
            let named = header.trim().strip_prefix("custom:");
            contact
                .or_else(|| {
                    workspace
                        .custom_fields
                        .iter()
                        .find(|c| {
                            named == Some(c.key.as_str())
                                || fold(&c.key) == folded
                                || fold(&c.label) == folded
                        })
                        .map(|c| (FieldRef::Custom(c.key.clone()), usize::MAX))
                })
                .filter(|(field, _)| !taken.contains(field))
        })
        .collect();
    let mut fields = vec![None; headers.len()];
    let mut notes = vec![None; headers.len()];
    for (column, candidate) in candidates.iter().enumerate() {
        let Some((field, _)) = candidate else {
            continue;
        };
        let rivals: Vec<(usize, usize)> = candidates
            .iter()
            .enumerate()
            .filter_map(|(c, other)| match other {
                Some((f, rank)) if f == field => Some((*rank, c)),
                _ => None,
            })
            .collect();
        let winner = rivals.iter().min().map(|(_, c)| *c);
        if winner != Some(column) {
            continue;
        }
        fields[column] = Some((field.clone(), true));
        if rivals.len() > 1 {
            let others: Vec<&str> = rivals
                .iter()
                .filter(|(_, c)| *c != column)
                .map(|(_, c)| headers[*c].as_str())
                .collect();
            let why = match field {
                FieldRef::Contact(f) => headers::why_chosen(*f),
                FieldRef::Custom(_) => "its header names the field most closely",
            };
            notes[column] = Some(format!("chosen over {}: {why}", others.join(", ")));
        }
    }
    let mut remembered = vec![false; headers.len()];
    for (column, choice) in memory.into_iter().enumerate() {
        if let Some((field, overwrite)) = choice {
            fields[column] = field.map(|f| (f, overwrite));
            notes[column] = Some(REMEMBERED_NOTE.to_string());
            remembered[column] = true;
        }
    }
    Automatic {
        fields,
        notes,
        remembered,
    }
}

/// Each column's remembered choice (field or skip, and overwrite), `None`
/// for a header the workspace never chose. A remembered custom field the
/// workspace no longer has is no choice; of two columns remembered to one
/// field, the first keeps it.
fn remembered_choices(
    headers: &[String],
    workspace: &Workspace,
) -> Vec<Option<(Option<FieldRef>, bool)>> {
    let mut taken = HashSet::new();
    headers
        .iter()
        .map(|header| {
            let folded = fold(header);
            if folded.is_empty() {
                return None;
            }
            let memory = workspace
                .remembered
                .iter()
                .find(|m| fold(&m.header) == folded)?;
            let usable = match &memory.field {
                Some(FieldRef::Custom(key)) => {
                    workspace.custom_fields.iter().any(|c| c.key == *key)
                }
                _ => true,
            };
            if !usable {
                return None;
            }
            if let Some(field) = &memory.field
                && !taken.insert(field.clone())
            {
                return None;
            }
            Some((memory.field.clone(), memory.overwrite))
        })
        .collect()
}

impl Automatic {
    /// The user's own mapping: no notes, nothing remembered.
    fn explicit(fields: Vec<Option<(FieldRef, bool)>>) -> Self {
        let columns = fields.len();
        Self {
            fields,
            notes: vec![None; columns],
            remembered: vec![false; columns],
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fields::{CustomField, CustomType};
    use crate::options::{Identifier, Purpose};

    fn headers(names: &[&str]) -> Vec<String> {
        names.iter().map(|s| s.to_string()).collect()
    }

    fn mapped(plan: &Plan) -> Vec<Option<String>> {
        plan.entries
            .iter()
            .map(|e| e.field.as_ref().map(ToString::to_string))
            .collect()
    }

    #[test]
    fn automatic_in_three_languages_ignoring_case_accents_spaces() {
        let ws = Workspace {
            custom_fields: vec![CustomField {
                key: "empresa".into(),
                label: "Empresa".into(),
                kind: CustomType::Text,
            }],
            ..Default::default()
        };
        let h = headers(&[
            "NOMBRE",
            "Apellido",
            "Teléfono",
            "Correo Electrónico",
            "País",
            "Etiquetas",
            "Empresa",
            "Notas",
        ]);
        let p = plan(&h, &ImportOptions::default(), &ws).unwrap();
        let want = [
            "first_name",
            "last_name",
            "phone",
            "email",
            "country",
            "tags",
            "custom:empresa",
        ];
        let got = mapped(&p);
        assert_eq!(got[..7], want.map(|s| Some(s.to_string())));
        assert_eq!(got[7], None);
        // An export's column for a custom field maps back to it.
        let h = headers(&["Phone", "custom:empresa"]);
        let p = plan(&h, &ImportOptions::default(), &ws).unwrap();
        assert_eq!(mapped(&p)[1].as_deref(), Some("custom:empresa"));
        let h = headers(&["Nome", "Telefone", "E-mail", "Cidade"]);
        assert_eq!(
            mapped(&plan(&h, &ImportOptions::default(), &Workspace::default()).unwrap()),
            [
                Some("first_name".into()),
                Some("phone".into()),
                Some("email".into()),
                None
            ]
        );
    }

    #[test]
    fn automatic_maps_each_field_once_the_best_named_column_winning() {
        let h = headers(&["Phone", "Mobile", "Name"]);
        let p = plan(&h, &ImportOptions::default(), &Workspace::default()).unwrap();
        assert_eq!(
            mapped(&p),
            [None, Some("phone".into()), Some("first_name".into())]
        );
        assert_eq!(p.identifier_column, Some(1));
        assert_eq!(
            p.entries[1].note.as_deref(),
            Some("chosen over Phone: a mobile number is the one messages reach")
        );
        // Among equally named columns, the first.
        let h = headers(&["Celular", "Móvil"]);
        let p = plan(&h, &ImportOptions::default(), &Workspace::default()).unwrap();
        assert_eq!(mapped(&p), [Some("phone".into()), None]);
    }

    #[test]
    fn explicit_mapping_rules() {
        let h = headers(&["A", "B"]);
        let entry = |column: &str, field: Option<&str>| MappingEntry {
            column: column.into(),
            field: field.map(|f| serde_json::from_value(serde_json::json!(f)).unwrap()),
            overwrite: false,
            note: None,
            remembered: false,
            suggestion: None,
        };
        let with = |m: Vec<MappingEntry>| ImportOptions {
            mapping: Some(m),
            ..Default::default()
        };
        let ws = Workspace::default();
        let p = plan(&h, &with(vec![entry("B", Some("phone"))]), &ws).unwrap();
        assert_eq!(mapped(&p), [None, Some("phone".into())]);
        assert!(!p.entries[1].overwrite && p.entries[0].overwrite);
        assert_eq!(
            plan(
                &h,
                &with(vec![entry("A", Some("phone")), entry("B", Some("phone"))]),
                &ws
            ),
            Err(OptionsError::FieldMappedTwice("phone".into()))
        );
        assert_eq!(
            plan(&h, &with(vec![entry("C", Some("phone"))]), &ws),
            Err(OptionsError::UnknownColumn("C".into()))
        );
        assert_eq!(
            plan(
                &h,
                &with(vec![entry("A", Some("phone")), entry("A", None)]),
                &ws
            ),
            Err(OptionsError::ColumnMappedTwice("A".into()))
        );
        assert_eq!(
            plan(&h, &with(vec![entry("A", None)]), &ws),
            Err(OptionsError::NothingMapped)
        );
        assert_eq!(
            plan(&h, &with(vec![entry("A", Some("custom:x"))]), &ws),
            Err(OptionsError::UnknownCustomField("x".into()))
        );
        assert_eq!(
            plan(&h, &with(vec![entry("A", Some("first_name"))]), &ws),
            Err(OptionsError::IdentifierNotMapped("phone number"))
        );
        let add_all = ImportOptions {
            purpose: Purpose::AddAll,
            ..with(vec![entry("A", Some("first_name"))])
        };
        assert!(plan(&h, &add_all, &ws).unwrap().identifier_column.is_none());
    }

    #[test]
    fn mapping_changes_merge_column_by_column() {
        let entry = |column: &str, field: Option<&str>| MappingEntry {
            column: column.into(),
            field: field.map(|f| serde_json::from_value(serde_json::json!(f)).unwrap()),
            overwrite: true,
            note: None,
            remembered: false,
            suggestion: None,
        };
        let base = [
            entry("Nombre", Some("first_name")),
            entry("Celular", None),
            entry("Viejo", Some("email")),
        ];
        let h = headers(&["Nombre", "Celular", "Correo"]);
        let merged = merge_entries(
            &base,
            &[
                entry("Celular", Some("phone")),
                entry("Correo", Some("email")),
            ],
            Some(&h),
        );
        assert_eq!(
            merged,
            [
                entry("Nombre", Some("first_name")),
                entry("Celular", Some("phone")),
                entry("Correo", Some("email")),
            ]
        );
    }

    #[test]
    fn a_draft_keeps_what_can_be_mapped() {
        let h = headers(&["Nombre", "Celular"]);
        let auto = draft(&h, &ImportOptions::default(), &Workspace::default());
        assert_eq!(
            auto[0].field.as_ref().map(ToString::to_string).as_deref(),
            Some("first_name")
        );
        let explicit = ImportOptions {
            mapping: Some(vec![
                MappingEntry {
                    column: "Tel".into(),
                    field: Some(FieldRef::Contact(ContactField::Phone)),
                    overwrite: true,
                    note: None,
                    remembered: false,
                    suggestion: None,
                },
                MappingEntry {
                    column: "Celular".into(),
                    field: Some(FieldRef::Custom("nope".into())),
                    overwrite: true,
                    note: None,
                    remembered: false,
                    suggestion: None,
                },
                MappingEntry {
                    column: "Nombre".into(),
                    field: Some(FieldRef::Contact(ContactField::LastName)),
                    overwrite: false,
                    note: None,
                    remembered: false,
                    suggestion: None,
                },
            ]),
            ..Default::default()
        };
        let drafted = draft(&h, &explicit, &Workspace::default());
        assert_eq!(drafted.len(), 2);
        assert_eq!(
            drafted[0].field,
            Some(FieldRef::Contact(ContactField::LastName))
        );
        assert!(!drafted[0].overwrite);
        assert_eq!(drafted[1].field, None);
    }

    #[test]
    fn a_close_header_is_suggested_never_mapped() {
        let h = headers(&["Nombre", "Celualr", "Email consent", "Correo"]);
        let drafted = draft(&h, &ImportOptions::default(), &Workspace::default());
        assert_eq!(drafted[1].field, None, "a suggestion is never applied");
        let suggestion = drafted[1].suggestion.as_ref().expect("a suggestion");
        assert_eq!(suggestion.field, FieldRef::Contact(ContactField::Phone));
        assert!(suggestion.why.contains("one letter away from \"celular\""));
        // A consent column is neither mapped nor suggested; a mapped column
        // has no suggestion.
        assert_eq!((&drafted[2].field, &drafted[2].suggestion), (&None, &None));
        assert_eq!(
            drafted[3].field,
            Some(FieldRef::Contact(ContactField::Email))
        );
        assert!(drafted[3].suggestion.is_none());
        // The plan is refused (no phone), as without the suggestion.
        assert_eq!(
            plan(&h, &ImportOptions::default(), &Workspace::default()),
            Err(OptionsError::IdentifierNotMapped("phone number"))
        );
    }

    #[test]
    fn nothing_recognised_is_refused() {
        let h = headers(&["Foo", "Bar"]);
        assert_eq!(
            plan(&h, &ImportOptions::default(), &Workspace::default()),
            Err(OptionsError::NothingMapped)
        );
        let by_id = ImportOptions {
            purpose: Purpose::UpdateExisting,
            identifier: Identifier::ContactId,
            ..Default::default()
        };
        let h = headers(&["Sender ID", "Contact ID", "Message ID"]);
        let p = plan(&h, &by_id, &Workspace::default()).unwrap();
        assert_eq!(mapped(&p), [None, Some("contact_id".into()), None]);
    }
}
