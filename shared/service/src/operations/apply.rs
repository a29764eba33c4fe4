//! Row application: what a row's values do to a contact, by the import's
//! options (`overwrite` per field, `overwrite_tags`, `tags`, the import tag,
//! `group`). Pure, so a worker that runs a row twice gets the same contact.

use contact_engine::fields::{ContactField, FieldRef};
use contact_engine::options::{ImportOptions, MappingEntry};
use contact_engine::row::ContactDraft;

use crate::records::Contact;

/// The options that decide how a row changes a contact.
#[derive(Debug, Clone)]
pub struct ApplyRules<'a> {
    pub mapping: &'a [MappingEntry],
    pub overwrite_tags: bool,
    /// The import's `tags`, then its import tag.
    pub added_tags: Vec<String>,
    pub group: Option<&'a str>,
}

impl<'a> ApplyRules<'a> {
    pub fn new(
        options: &'a ImportOptions,
        mapping: &'a [MappingEntry],
        import_tag: Option<&str>,
    ) -> Self {
        let mut added_tags: Vec<String> =
            options.tags.iter().map(|t| t.trim().to_string()).collect();
        added_tags.extend(import_tag.map(str::to_string));
        Self {
            mapping,
            overwrite_tags: options.overwrite_tags,
            added_tags,
            group: options
                .group
                .as_deref()
                .map(str::trim)
                .filter(|g| !g.is_empty()),
        }
    }
}

/// Applies a row to `contact`: a mapped field with `overwrite` takes the
/// row's value (an empty cell clears it), without it only fills what is
/// empty; fields the file does not map are left alone.
pub fn apply(contact: &mut Contact, draft: &ContactDraft, rules: &ApplyRules<'_>) {
    let mut tags_mapped = false;
    for entry in rules.mapping {
        let Some(field) = &entry.field else { continue };
        let overwrite = entry.overwrite;
        match field {
            FieldRef::Contact(ContactField::Tags) => tags_mapped = true,
            FieldRef::Contact(f) => {
                // The contact's own values; the id is no value to write.
                let (Some(slot), Some(value)) = (contact.field_mut(*f), draft.field(*f)) else {
                    continue;
                };
                if overwrite || slot.is_none() {
                    *slot = value.clone();
                }
            }
            FieldRef::Custom(key) => {
                let value = draft.custom_fields.get(key);
                let present = contact.custom_fields.contains_key(key);
                match value {
                    Some(v) if overwrite || !present => {
                        contact.custom_fields.insert(key.clone(), v.clone());
                    }
                    None if overwrite => {
                        contact.custom_fields.remove(key);
                    }
                    _ => {}
                }
            }
        }
    }
    // The country the phone implies fills an empty one, mapped or not.
    if contact.country.is_none() {
        contact.country = draft.country.clone();
    }
    let row_tags = if tags_mapped {
        draft.tags.as_slice()
    } else {
        &[]
    };
    let kept = if rules.overwrite_tags {
        Vec::new()
    } else {
        std::mem::take(&mut contact.tags)
    };
    contact.tags = union(kept, row_tags.iter().chain(&rules.added_tags));
    if let Some(group) = rules.group {
        contact.groups = union(
            std::mem::take(&mut contact.groups),
            [group.to_string()].iter(),
        );
    }
}

/// `base` then each of `more` not already there, compared case-insensitively.
fn union<'t>(mut base: Vec<String>, more: impl Iterator<Item = &'t String>) -> Vec<String> {
    for tag in more {
        if !contact_engine::normalize::has_tag(&base, tag) {
            base.push(tag.clone());
        }
    }
    base
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(column: &str, field: ContactField, overwrite: bool) -> MappingEntry {
        MappingEntry {
            column: column.into(),
            field: Some(FieldRef::Contact(field)),
            overwrite,
            note: None,
            remembered: false,
            suggestion: None,
        }
    }

    fn existing() -> Contact {
        Contact {
            id: "c_1".into(),
            first_name: Some("Ana".into()),
            last_name: None,
            phone: Some("+593991234501".into()),
            country: Some("EC".into()),
            tags: vec!["VIP".into(), "old".into()],
            ..Contact::default()
        }
    }

    #[test]
    fn overwrite_replaces_and_clears_while_fill_only_fills() {
        let mapping = vec![
            entry("Nombre", ContactField::FirstName, true),
            entry("Apellido", ContactField::LastName, false),
            entry("Correo", ContactField::Email, true),
        ];
        let options = ImportOptions::default();
        let rules = ApplyRules::new(&options, &mapping, None);
        let draft = ContactDraft {
            first_name: None,
            last_name: Some("Silva".into()),
            email: Some("ana@x.com".into()),
            ..ContactDraft::default()
        };
        let mut c = existing();
        apply(&mut c, &draft, &rules);
        assert_eq!(c.first_name, None, "an empty cell clears with overwrite");
        assert_eq!(c.last_name.as_deref(), Some("Silva"), "fills what is empty");
        assert_eq!(c.email.as_deref(), Some("ana@x.com"));
        assert_eq!(c.phone.as_deref(), Some("+593991234501"), "unmapped stays");
        let mut again = c.clone();
        apply(&mut again, &draft, &rules);
        assert_eq!(again, c, "applying twice changes nothing more");
    }

    #[test]
    fn tags_replace_or_merge_case_insensitively() {
        let mapping = vec![entry("Etiquetas", ContactField::Tags, true)];
        let mut options = ImportOptions {
            tags: vec!["feria".into()],
            group: Some("Clientes".into()),
            ..ImportOptions::default()
        };
        let draft = ContactDraft {
            tags: vec!["vip".into(), "nuevo".into()],
            ..ContactDraft::default()
        };
        let rules = ApplyRules::new(&options, &mapping, Some("import-2026-11-21-1405"));
        let mut c = existing();
        apply(&mut c, &draft, &rules);
        assert_eq!(c.tags, ["vip", "nuevo", "feria", "import-2026-11-21-1405"]);
        assert_eq!(c.groups, ["Clientes"]);

        options.overwrite_tags = false;
        let rules = ApplyRules::new(&options, &mapping, None);
        let mut c = existing();
        apply(&mut c, &draft, &rules);
        assert_eq!(c.tags, ["VIP", "old", "nuevo", "feria"]);
    }
}
