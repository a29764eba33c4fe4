//! One row's mapped values, checked and normalised to what a contact stores.
//! Validation uses it to find problems and identifiers; imports use it to
//! build the contact a row writes.

use std::borrow::Cow;
use std::collections::BTreeMap;

use csv::StringRecord;
use serde::{Deserialize, Serialize};

use crate::fields::{ContactField, CustomType};
use crate::files;
use crate::mapping::{Plan, Target};
use crate::normalize::{self, Phone, ValueError, phone};
use crate::options::Workspace;

/// A cell's value as a contact stores it.
#[derive(Debug, Clone, PartialEq)]
pub enum Stored<'v> {
    Text(Cow<'v, str>),
    Phone(Phone),
    /// An ISO country or language code.
    Code(&'static str),
    Tags(Vec<String>),
    Number(f64),
    Boolean(bool),
}

impl Stored<'_> {
    /// The value as a custom field holds it in JSON: numbers and booleans
    /// as themselves, anything else as its text.
    pub fn into_json(self) -> serde_json::Value {
        match self {
            Self::Number(n) => serde_json::json!(n),
            Self::Boolean(b) => serde_json::json!(b),
            other => serde_json::json!(other.into_text()),
        }
    }

    /// The value as one string: E.164 for phones, tags joined with `,`.
    pub fn into_text(self) -> String {
        match self {
            Self::Text(t) => t.into_owned(),
            Self::Phone(p) => p.e164,
            Self::Code(c) => c.to_string(),
            Self::Tags(t) => t.join(","),
            Self::Number(n) => n.to_string(),
            Self::Boolean(b) => b.to_string(),
        }
    }
}

crate::contact_fields! {
    /// The normalised values of one row, ready to write to a contact. Empty
    /// cells are `None` (the import's `overwrite` option decides what they do).
    #[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
    pub struct ContactDraft {
        pub contact_id: Option<String>,
        .. Option<String>, first_name { }, others { };
        pub tags: Vec<String>,
        pub custom_fields: BTreeMap<String, serde_json::Value>,
    }
}

/// An email address, or the first of several in one cell.
fn email<'v>(value: &str) -> Result<Stored<'v>, ValueError> {
    first_of_several(value, &[":::", ";", ",", " "], |v| {
        normalize::email(v).map(|e| Stored::Text(e.into()))
    })
}

/// Reads `value`, or — when it cannot be read whole — the first of the
/// several values it holds: Google Contacts joins a contact's phones or
/// emails with ` ::: `, people write `099… / 098…`. A contact holds one
/// phone and one email, so the first is kept; the cell stays whole in the
/// result file. When the first cannot be read either, the whole cell's
/// reason is given.
fn first_of_several<T>(
    value: &str,
    separators: &[&str],
    read: impl Fn(&str) -> Result<T, ValueError>,
) -> Result<T, ValueError> {
    let whole = read(value);
    if whole.is_ok() {
        return whole;
    }
    separators
        .iter()
        .find_map(|separator| {
            let mut parts = value.split(separator).map(str::trim);
            let first = parts.next()?;
            let more = parts.any(|p| !p.is_empty());
            (more && !first.is_empty())
                .then(|| read(first).ok())
                .flatten()
        })
        .map_or(whole, Ok)
}

/// What checking a row needs: the mapping, the workspace and the default country.
#[derive(Debug, Clone, Copy)]
pub struct RowRules<'a> {
    pub plan: &'a Plan,
    pub workspace: &'a Workspace,
    pub default_country: Option<&'static str>,
}

impl<'a> RowRules<'a> {
    /// The rules for one row: a row whose country column reads as a
    /// country (a code, a name or a calling code) has its phones read in
    /// that country rather than in the import's default one — a Spanish
    /// row's `612 345 678` is `+34612345678` in an Ecuadorian workspace,
    /// and a file that writes the calling code in a column of its own
    /// (`Country Code` `91`, `Phone Number` `9876543210`) reads whole.
    pub fn for_row(&self, record: &StringRecord) -> RowRules<'a> {
        let own = self
            .plan
            .country_column
            .map(|c| cell_value(record, c))
            .filter(|value| !value.is_empty())
            .and_then(|value| normalize::country(value).ok());
        match own {
            Some(country) => RowRules {
                default_country: Some(country),
                ..*self
            },
            None => *self,
        }
    }

    /// Checks one trimmed, non-empty value bound for `target`.
    pub fn value<'v>(&self, target: Target, value: &'v str) -> Result<Stored<'v>, ValueError> {
        let text = |v: &'v str| normalize::text(v).map(|t| Stored::Text(Cow::Borrowed(t)));
        match target {
            Target::Field(ContactField::Phone) => self.phone(value),
            Target::Field(ContactField::Email) => email(value),
            Target::Field(ContactField::Country) => normalize::country(value).map(Stored::Code),
            Target::Field(ContactField::Language) => normalize::language(value).map(Stored::Code),
            Target::Field(ContactField::Tags) => normalize::tags(value).map(Stored::Tags),
            Target::Field(ContactField::Assignee) => match &self.workspace.users {
                Some(users) if !users.iter().any(|u| u.eq_ignore_ascii_case(value)) => {
                    Err(ValueError::Assignee)
                }
                _ => text(value),
            },
            Target::Field(
                ContactField::FirstName | ContactField::LastName | ContactField::ContactId,
            ) => text(value),
            Target::Custom(index) => match &self.workspace.custom_fields[index].kind {
                CustomType::Text => text(value),
                CustomType::Number => normalize::number(value).map(Stored::Number),
                CustomType::Date => normalize::date(value).map(|d| Stored::Text(d.into())),
                CustomType::Boolean => normalize::boolean(value).map(Stored::Boolean),
                CustomType::Url => normalize::url(value).and_then(text),
                CustomType::Email => email(value),
                CustomType::Phone => self.phone(value),
                CustomType::List { options } => {
                    let folded = normalize::fold(value);
                    options
                        .iter()
                        .find(|o| normalize::fold(o) == folded)
                        .map(|o| Stored::Text(o.clone().into()))
                        .ok_or(ValueError::ListOption)
                }
            },
        }
    }

    fn phone<'v>(&self, value: &str) -> Result<Stored<'v>, ValueError> {
        first_of_several(value, &[":::", "/", ";", ",", "|"], |v| {
            match phone::normalize(v, self.default_country) {
                Ok(Some(p)) => Ok(Stored::Phone(p)),
                // Only fillers (e.g. "-"): no number, but not a phone number either.
                Ok(None) => Err(ValueError::Phone(phone::PhoneError::NotAPhoneNumber)),
                Err(e) => Err(ValueError::Phone(e)),
            }
        })
    }

    /// The contact a row describes, or each (column, problem) that stops it.
    /// The country is filled from the phone's region when the row has none.
    pub fn draft(&self, record: &StringRecord) -> Result<ContactDraft, Vec<(usize, ValueError)>> {
        let rules = self.for_row(record);
        let mut draft = ContactDraft::default();
        let mut problems = Vec::new();
        let mut phone = None;
        for &(column, target) in &self.plan.columns {
            let value = cell_value(record, column);
            if value.is_empty() {
                continue;
            }
            let stored = match rules.value(target, value) {
                Ok(stored) => stored,
                Err(e) => {
                    problems.push((column, e));
                    continue;
                }
            };
            let slot = match target {
                Target::Field(ContactField::Tags) => {
                    if let Stored::Tags(tags) = stored {
                        draft.tags = tags;
                    }
                    continue;
                }
                Target::Custom(index) => {
                    let key = self.workspace.custom_fields[index].key.clone();
                    draft.custom_fields.insert(key, stored.into_json());
                    continue;
                }
                Target::Field(ContactField::ContactId) => &mut draft.contact_id,
                Target::Field(field) => {
                    if let Stored::Phone(p) = &stored {
                        phone = Some(p.clone());
                    }
                    draft
                        .field_mut(field)
                        .expect("one of the contact's own fields")
                }
            };
            *slot = Some(stored.into_text());
        }
        if !problems.is_empty() {
            return Err(problems);
        }
        if draft.country.is_none() {
            draft.country = phone.and_then(|p| p.region());
        }
        Ok(draft)
    }
}

/// The value of a row's cell as every rule reads it: trimmed, and without
/// the guard spreadsheets need (`'+593 …`, `'=…`), which is no part of it.
pub(crate) fn cell_value(record: &StringRecord, column: usize) -> &str {
    files::unescape_formula(record.get(column).unwrap_or("").trim()).trim()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fields::CustomField;
    use crate::mapping;
    use crate::options::ImportOptions;

    fn headers(names: &[&str]) -> Vec<String> {
        names.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn a_row_s_own_country_reads_its_phone() {
        let ws = Workspace::default();
        let h = headers(&["Name", "Country Code", "Phone Number"]);
        let plan = mapping::plan(&h, &ImportOptions::default(), &ws).unwrap();
        let rules = RowRules {
            plan: &plan,
            workspace: &ws,
            default_country: Some("EC"),
        };
        let phone = |row: Vec<&str>| {
            rules
                .draft(&StringRecord::from(row))
                .map(|d| (d.phone, d.country))
        };
        let some = |s: &str| Some(s.to_string());
        // The calling code in a column of its own, as WhatsApp tools write it.
        assert_eq!(
            phone(vec!["Asha", "91", "9876543210"]),
            Ok((some("+919876543210"), some("IN")))
        );
        // A Spanish row in an Ecuadorian import.
        assert_eq!(
            phone(vec!["Lola", "ES", "612 345 678"]),
            Ok((some("+34612345678"), some("ES")))
        );
        // No country of its own: the import's default.
        assert_eq!(
            phone(vec!["Ana", "", "0991234503"]),
            Ok((some("+593991234503"), some("EC")))
        );
        // A number written with + is what it says, whatever the column.
        assert_eq!(
            phone(vec!["Rui", "BR", "+593991234504"]),
            Ok((some("+593991234504"), some("BR")))
        );
    }

    #[test]
    fn drafts_hold_normalised_values_and_fill_the_country_from_the_phone() {
        let ws = Workspace {
            custom_fields: vec![
                CustomField {
                    key: "monto".into(),
                    label: "Monto".into(),
                    kind: CustomType::Number,
                },
                CustomField {
                    key: "vip".into(),
                    label: "VIP".into(),
                    kind: CustomType::Boolean,
                },
            ],
            ..Default::default()
        };
        let h = headers(&[
            "Nombre",
            "Celular",
            "Correo",
            "País",
            "Etiquetas",
            "Monto",
            "VIP",
        ]);
        let plan = mapping::plan(&h, &ImportOptions::default(), &ws).unwrap();
        let rules = RowRules {
            plan: &plan,
            workspace: &ws,
            default_country: Some("EC"),
        };
        let row = StringRecord::from(vec![
            " Inés ",
            "099 123 4503",
            "INES@Correo.ec",
            "",
            "vip; lead",
            "12,5",
            "sí",
        ]);
        let draft = rules.draft(&row).unwrap();
        assert_eq!(draft.first_name.as_deref(), Some("Inés"));
        assert_eq!(draft.phone.as_deref(), Some("+593991234503"));
        assert_eq!(draft.email.as_deref(), Some("ines@correo.ec"));
        assert_eq!(
            draft.country.as_deref(),
            Some("EC"),
            "filled from the phone"
        );
        assert_eq!(draft.tags, ["vip", "lead"]);
        assert_eq!(draft.custom_fields["monto"], serde_json::json!(12.5));
        assert_eq!(draft.custom_fields["vip"], serde_json::json!(true));

        let brazilian =
            StringRecord::from(vec!["João", "+55 11 98765 0101", "", "Brasil", "", "", ""]);
        assert_eq!(
            rules.draft(&brazilian).unwrap().country.as_deref(),
            Some("BR")
        );
        let foreign = StringRecord::from(vec!["João", "+55 11 98765 0101", "", "Perú", "", "", ""]);
        assert_eq!(
            rules.draft(&foreign).unwrap().country.as_deref(),
            Some("PE"),
            "a given country wins"
        );

        let bad = StringRecord::from(vec!["Ana", "12", "a@@b", "", "", "mil", ""]);
        let problems = rules.draft(&bad).unwrap_err();
        assert_eq!(
            problems,
            [
                (1, ValueError::Phone(phone::PhoneError::NotAPhoneNumber)),
                (2, ValueError::Email),
                (5, ValueError::Number)
            ]
        );
    }
}
