//! Suggestions for columns no header name maps: a header that is close to a
//! field's name — one letter off (`Emial`, `Celualr`), or holding the name
//! as one of its words (`Customer Phone`, `WhatsApp del cliente`) — is
//! offered to the user with why, and never mapped by itself: a wrong guess
//! would import wrong data silently, where a suggestion costs one click.
//!
//! A header with a word that says the column is *about* the value rather
//! than the value (`Email consent`, `Phone type`, `Email verified`) gets no
//! suggestion at all, and neither does a name-like word in a header about a
//! company (`Nombre de la empresa`).

use std::collections::HashSet;

use crate::fields::{ContactField, FieldRef};
use crate::headers;
use crate::normalize::fold;
use crate::options::{Suggestion, Workspace};

/// Words that make a column something about the value, not the value.
const NOT_THE_VALUE: &[&str] = &[
    "consent",
    "consentimiento",
    "consentimento",
    "optin",
    "opt",
    "optout",
    "subscribed",
    "subscription",
    "suscrito",
    "suscripcion",
    "unsubscribed",
    "status",
    "estado",
    "type",
    "tipo",
    "label",
    "etiqueta",
    "verified",
    "verificado",
    "valid",
    "valido",
    "bounce",
    "bounced",
    "date",
    "fecha",
    "data",
    "count",
    "permission",
    "permiso",
    "marketing",
    "source",
    "origen",
    "origem",
    "preference",
    "preferencia",
    "format",
    "formato",
    "last",
    "ultimo",
    "ultima",
    "sent",
    "enviado",
    "domain",
    "dominio",
    "code",
    "codigo",
    "prefix",
    "prefijo",
    "extension",
    "ext",
    "opted",
    "optado",
    "country",
    "pais",
];

/// Words that make a name-like column the name of something else.
const NOT_A_PERSON: &[&str] = &[
    "empresa",
    "company",
    "organization",
    "organizacion",
    "organizacao",
    "compania",
    "companhia",
    "negocio",
    "business",
    "user",
    "usuario",
    "campaign",
    "campana",
    "product",
    "producto",
    "produto",
    "list",
    "lista",
    "file",
    "archivo",
    "arquivo",
    "sheet",
    "hoja",
    "group",
    "grupo",
    "agent",
    "agente",
    "owner",
    "dueno",
    "vendedor",
    "seller",
    "referido",
    "referrer",
    "contacto2",
    "emergency",
    "emergencia",
];

/// A suggestion for each column the mapping leaves unmapped (`None` for
/// mapped ones), never one for a field another column already feeds.
pub fn suggest(
    headers: &[String],
    mapped: &[Option<FieldRef>],
    workspace: &Workspace,
) -> Vec<Option<Suggestion>> {
    let taken: HashSet<&FieldRef> = mapped.iter().flatten().collect();
    headers
        .iter()
        .zip(mapped)
        .map(|(header, field)| match field {
            Some(_) => None,
            None => suggestion(header, &taken, workspace),
        })
        .collect()
}

fn suggestion(
    header: &str,
    taken: &HashSet<&FieldRef>,
    workspace: &Workspace,
) -> Option<Suggestion> {
    let words: Vec<String> = header
        .split(|c: char| !c.is_alphanumeric())
        .map(fold)
        .filter(|w| !w.is_empty())
        .collect();
    if words.iter().any(|w| NOT_THE_VALUE.contains(&w.as_str())) {
        return None;
    }
    let folded = fold(header);
    if folded.len() < 3 {
        return None;
    }
    let about_a_person = !words.iter().any(|w| NOT_A_PERSON.contains(&w.as_str()));
    let mut candidates: Vec<(FieldRef, String)> = ContactField::ALL
        .into_iter()
        .filter(|f| {
            about_a_person || !matches!(f, ContactField::FirstName | ContactField::LastName)
        })
        .flat_map(|f| {
            headers::names(f)
                .iter()
                .map(move |n| (FieldRef::Contact(f), n.to_string()))
        })
        .collect();
    for custom in &workspace.custom_fields {
        for name in [fold(&custom.key), fold(&custom.label)] {
            candidates.push((FieldRef::Custom(custom.key.clone()), name));
        }
    }
    let free = |field: &FieldRef| !taken.contains(field);

    // One letter off (two in a long name) from a name of five letters or
    // more: a misspelling (`List` is not `Last`).
    let misspelt = candidates
        .iter()
        .filter(|(field, name)| free(field) && name.len() >= 5)
        .filter_map(|(field, name)| {
            let distance = strsim::damerau_levenshtein(&folded, name);
            let allowed = if name.chars().count() >= 8 { 2 } else { 1 };
            (distance >= 1 && distance <= allowed).then_some((distance, field, name))
        })
        .min_by_key(|(distance, _, _)| *distance);
    if let Some((distance, field, name)) = misspelt {
        let letters = if distance == 1 {
            "one letter"
        } else {
            "two letters"
        };
        return Some(Suggestion {
            field: field.clone(),
            why: format!("\"{header}\" is {letters} away from \"{name}\""),
        });
    }

    // A word of the header (or two words together) is a field's name.
    let phrases = words
        .iter()
        .map(String::clone)
        .chain(words.windows(2).map(|pair| pair.concat()));
    for phrase in phrases.filter(|p| p.len() >= 3) {
        let hit = candidates
            .iter()
            .find(|(field, name)| free(field) && *name == phrase);
        if let Some((field, _)) = hit {
            return Some(Suggestion {
                field: field.clone(),
                why: format!("\"{header}\" holds the word \"{phrase}\""),
            });
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fields::{CustomField, CustomType};

    fn suggested(header: &str) -> Option<String> {
        let ws = Workspace {
            custom_fields: vec![CustomField {
                key: "empresa".into(),
                label: "Empresa".into(),
                kind: CustomType::Text,
            }],
            ..Default::default()
        };
        suggestion(header, &HashSet::new(), &ws).map(|s| s.field.to_string())
    }

    #[test]
    fn close_headers_are_suggested_with_why() {
        for (header, field) in [
            ("Emial", "email"),
            ("Celualr", "phone"),
            ("Telefno", "phone"),
            ("Apelido", "last_name"),
            ("Customer Phone", "phone"),
            ("WhatsApp del cliente", "phone"),
            ("Correo del cliente", "email"),
            ("E-mail principal", "email"),
            ("First name (legal)", "first_name"),
            ("Empresas", "custom:empresa"),
            // A company's name is no person's name, but it is the company.
            ("Nombre de la empresa", "custom:empresa"),
        ] {
            assert_eq!(suggested(header).as_deref(), Some(field), "{header}");
        }
        let ws = Workspace::default();
        let why = suggestion("Emial", &HashSet::new(), &ws).unwrap().why;
        assert_eq!(why, "\"Emial\" is one letter away from \"email\"");
        let why = suggestion("Customer Phone", &HashSet::new(), &ws)
            .unwrap()
            .why;
        assert_eq!(why, "\"Customer Phone\" holds the word \"phone\"");
    }

    #[test]
    fn columns_about_a_value_or_a_company_get_no_suggestion() {
        for header in [
            "Email consent",
            "Email Opt-in",
            "Phone type",
            "Phone 1 - Label",
            "E-mail verified",
            "Estado del correo",
            "Company name",
            "Nombre del negocio",
            "Notas",
            "Ciudad",
            "ID",
            "Fecha de alta",
        ] {
            assert_eq!(suggested(header), None, "{header}");
        }
    }

    #[test]
    fn a_field_another_column_feeds_is_not_suggested() {
        let email = FieldRef::Contact(ContactField::Email);
        let taken = HashSet::from([&email]);
        assert!(suggestion("Emial", &taken, &Workspace::default()).is_none());
    }
}
