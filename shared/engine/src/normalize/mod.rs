//! Cell values to the forms contacts store: one function per field type.
//!
//! Every function takes a trimmed, non-empty cell and answers the stored value
//! or why the cell cannot be one. Empty cells never reach them.

mod geo_data;
pub mod phone;

use std::collections::BTreeSet;
use std::sync::OnceLock;

use unicode_normalization::UnicodeNormalization;
use unicode_normalization::char::is_combining_mark;

pub use phone::Phone;

pub use crate::limits::{MAX_TAG_CHARS, MAX_TAGS_PER_ROW, MAX_TEXT_CHARS};

/// Folds text for matching names: Unicode NFKD, combining marks dropped,
/// lower-cased, only letters and digits kept. "Teléfono" and "TELEFONO " fold
/// alike, and so do "E-mail" and "email".
pub fn fold(text: &str) -> String {
    text.nfkd()
        .filter(|c| !is_combining_mark(*c))
        .flat_map(char::to_lowercase)
        .filter(|c| c.is_alphanumeric())
        .collect()
}

/// Why a cell's value cannot be stored, in words that follow the column name.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ValueError {
    /// Why the phone number cannot be read ([`phone::PhoneError`]).
    #[error("{0}")]
    Phone(phone::PhoneError),
    #[error("is not an email address")]
    Email,
    #[error("is not a country (use an ISO code such as EC or a country name)")]
    Country,
    #[error("is not a language (use an ISO 639-1 code such as es)")]
    Language,
    #[error("is not a user of this workspace")]
    Assignee,
    #[error("is longer than {max} characters")]
    TooLong { max: usize },
    #[error("has more than {max} tags")]
    TooManyTags { max: usize },
    #[error("has a tag longer than {max} characters")]
    TagTooLong { max: usize },
    #[error("is not a number")]
    Number,
    #[error("is not a date (use YYYY-MM-DD or DD/MM/YYYY)")]
    Date,
    #[error("is not yes or no")]
    Boolean,
    #[error("is not a web address")]
    Url,
    #[error("is not one of the field's options")]
    ListOption,
}

/// A text value within [`MAX_TEXT_CHARS`].
pub fn text(value: &str) -> Result<&str, ValueError> {
    within(value, MAX_TEXT_CHARS)
}

fn within(value: &str, max: usize) -> Result<&str, ValueError> {
    // Byte length bounds character count from above: skip counting short values.
    if value.len() > max && value.chars().count() > max {
        return Err(ValueError::TooLong { max });
    }
    Ok(value)
}

/// An email address, lower-cased: matched case-insensitively everywhere.
pub fn email(value: &str) -> Result<String, ValueError> {
    within(value, MAX_TEXT_CHARS)?;
    let parsed: email_address::EmailAddress = value.parse().map_err(|_| ValueError::Email)?;
    // The RFC allows dot-less and bracketed domains; contacts' inboxes never use them.
    let domain = parsed.domain();
    let labels_ok = domain.split('.').all(|label| {
        !label.is_empty()
            && !label.starts_with('-')
            && !label.ends_with('-')
            && label.chars().all(|c| c.is_alphanumeric() || c == '-')
    });
    if !labels_ok || !domain.contains('.') || parsed.local_part().starts_with('"') {
        return Err(ValueError::Email);
    }
    Ok(value.to_lowercase())
}

fn country_codes() -> &'static BTreeSet<&'static str> {
    static CODES: OnceLock<BTreeSet<&'static str>> = OnceLock::new();
    CODES.get_or_init(|| {
        geo_data::COUNTRY_NAMES
            .iter()
            .map(|(_, code)| *code)
            .collect()
    })
}

/// An ISO 3166-1 alpha-2 code, from a code in any case, a country name in
/// English, Spanish or Portuguese, or a calling code (`593`, `+55`, as
/// WhatsApp tools write a `Country Code` column): the region the calling
/// code is first dialled in (`1` is the United States, `44` the United
/// Kingdom, `7` Russia).
pub fn country(value: &str) -> Result<&'static str, ValueError> {
    let digits = value.strip_prefix('+').unwrap_or(value);
    if (1..=3).contains(&digits.len()) && digits.bytes().all(|b| b.is_ascii_digit()) {
        let code = digits.parse().map_err(|_| ValueError::Country)?;
        return phone::main_region(code)
            .filter(|r| country_codes().contains(r))
            .ok_or(ValueError::Country);
    }
    if value.len() == 2 {
        let upper = value.to_ascii_uppercase();
        if let Some(code) = country_codes().get(upper.as_str()) {
            return Ok(code);
        }
    }
    lookup(geo_data::COUNTRY_NAMES, &fold(value)).ok_or(ValueError::Country)
}

/// An ISO 639-1 code, from a code, a locale tag (`pt-BR`, `es_EC`) or a
/// language name in English, Spanish or Portuguese.
pub fn language(value: &str) -> Result<&'static str, ValueError> {
    let primary = value
        .split(['-', '_'])
        .next()
        .unwrap_or(value)
        .to_ascii_lowercase();
    if let Ok(i) = geo_data::LANGUAGE_CODES.binary_search(&primary.as_str()) {
        return Ok(geo_data::LANGUAGE_CODES[i]);
    }
    lookup(geo_data::LANGUAGE_NAMES, &fold(value)).ok_or(ValueError::Language)
}

fn lookup(table: &'static [(&'static str, &'static str)], folded: &str) -> Option<&'static str> {
    table
        .binary_search_by(|(name, _)| (*name).cmp(folded))
        .ok()
        .map(|i| table[i].1)
}

/// Whether `tags` holds `tag`: tags always compare case-insensitively.
pub fn has_tag(tags: &[String], tag: &str) -> bool {
    let tag = tag.to_lowercase();
    tags.iter().any(|t| t.to_lowercase() == tag)
}

/// The group Google Contacts puts every contact in (`* myContacts`, `* My
/// Contacts` in older exports), folded: no tag of anyone's.
const GOOGLE_ALL_CONTACTS: &str = "mycontacts";

/// The tags of one cell: split on `,` `;` `|` or Google's ` ::: `, trimmed,
/// empties and Google's all-contacts group dropped, the star of Google's
/// own groups taken off (`* starred` is `starred`), repeats (compared
/// case-insensitively) dropped keeping the first spelling.
pub fn tags(value: &str) -> Result<Vec<String>, ValueError> {
    let mut out: Vec<String> = Vec::new();
    // Each tag lower-cased once, and no more than one past the limit kept:
    // a cell may hold a megabyte of tags, which must cost its length, not
    // its length squared.
    let mut lower: Vec<String> = Vec::new();
    let mut too_many = false;
    for tag in value
        .split(":::")
        .flat_map(|part| part.split([',', ';', '|']))
        .map(str::trim)
        .filter(|t| !t.is_empty())
        // Google marks its own groups (`* starred`) with a star.
        .filter_map(|t| match t.strip_prefix("* ") {
            Some(group) if fold(group) == GOOGLE_ALL_CONTACTS => None,
            Some(group) => Some(group),
            None => Some(t),
        })
    {
        within(tag, MAX_TAG_CHARS).map_err(|_| ValueError::TagTooLong { max: MAX_TAG_CHARS })?;
        if too_many {
            continue;
        }
        let folded = tag.to_lowercase();
        if !lower.contains(&folded) {
            too_many = out.len() == MAX_TAGS_PER_ROW;
            lower.push(folded);
            out.push(tag.to_string());
        }
    }
    if too_many {
        return Err(ValueError::TooManyTags {
            max: MAX_TAGS_PER_ROW,
        });
    }
    Ok(out)
}

/// A number, written with a decimal point or (as Spanish and Portuguese
/// spreadsheets do) a decimal comma; thousands separators are not guessed.
pub fn number(value: &str) -> Result<f64, ValueError> {
    let compact: String = value.chars().filter(|c| !c.is_whitespace()).collect();
    let normal = if !compact.contains('.') && compact.matches(',').count() == 1 {
        compact.replace(',', ".")
    } else {
        compact
    };
    let plain = normal.trim_start_matches(['-', '+']);
    if plain.is_empty() || !plain.chars().all(|c| c.is_ascii_digit() || c == '.') {
        return Err(ValueError::Number);
    }
    normal
        .parse::<f64>()
        .ok()
        .filter(|n| n.is_finite())
        .ok_or(ValueError::Number)
}

/// A calendar date as `YYYY-MM-DD`, from ISO form or day-first `DD/MM/YYYY`
/// (also with `-` or `.`), as Latin American and European spreadsheets write it.
pub fn date(value: &str) -> Result<String, ValueError> {
    let parts: Vec<&str> = value.split(['-', '/', '.']).collect();
    let [a, b, c] = parts.as_slice() else {
        return Err(ValueError::Date);
    };
    let num = |s: &str| -> Option<u32> {
        (!s.is_empty() && s.len() <= 4 && s.chars().all(|c| c.is_ascii_digit()))
            .then(|| s.parse().ok())
            .flatten()
    };
    let (y, m, d) = match (num(a), num(b), num(c)) {
        (Some(y), Some(m), Some(d)) if a.len() == 4 => (y, m, d),
        (Some(d), Some(m), Some(y)) if c.len() == 4 => (y, m, d),
        _ => return Err(ValueError::Date),
    };
    let leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    let days = match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => return Err(ValueError::Date),
    };
    if !(1..=days).contains(&d) || !(1000..=9999).contains(&y) {
        return Err(ValueError::Date);
    }
    Ok(format!("{y:04}-{m:02}-{d:02}"))
}

/// Yes or no, in English, Spanish or Portuguese, or as 1/0.
pub fn boolean(value: &str) -> Result<bool, ValueError> {
    match fold(value).as_str() {
        "true" | "yes" | "y" | "1" | "si" | "s" | "sim" | "verdadero" | "verdadeiro" | "x" => {
            Ok(true)
        }
        "false" | "no" | "n" | "0" | "nao" | "falso" => Ok(false),
        _ => Err(ValueError::Boolean),
    }
}

/// A web address: `http(s)://host…` or a bare `host.tld/…`; no spaces.
pub fn url(value: &str) -> Result<&str, ValueError> {
    within(value, MAX_TEXT_CHARS)?;
    let rest = value
        .strip_prefix("https://")
        .or_else(|| value.strip_prefix("http://"))
        .unwrap_or(value);
    let host = rest.split(['/', '?', '#']).next().unwrap_or("");
    let host = host.rsplit_once(':').map_or(host, |(h, port)| {
        if port.chars().all(|c| c.is_ascii_digit()) {
            h
        } else {
            host
        }
    });
    let host_ok = host.contains('.')
        && host
            .split('.')
            .all(|l| !l.is_empty() && l.chars().all(|c| c.is_alphanumeric() || c == '-'));
    if !host_ok || value.chars().any(char::is_whitespace) {
        return Err(ValueError::Url);
    }
    Ok(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fold_ignores_case_accents_spaces_and_punctuation() {
        assert_eq!(fold("Teléfono"), "telefono");
        assert_eq!(fold(" E-mail "), "email");
        assert_eq!(fold("Número de Telefone"), "numerodetelefone");
        assert_eq!(fold("CORREO ELECTRÓNICO"), "correoelectronico");
    }

    #[test]
    fn emails_are_checked_and_lower_cased() {
        assert_eq!(email("OSCAR@CORREO.EC").unwrap(), "oscar@correo.ec");
        assert_eq!(
            email("ana.paula+promo@loja.com.br").unwrap(),
            "ana.paula+promo@loja.com.br"
        );
        for bad in [
            "diana@@correo",
            "user@@broken",
            "no-at-sign",
            "a@b",
            "a@-b.com",
            "a b@c.com",
            "@x.com",
        ] {
            assert_eq!(email(bad), Err(ValueError::Email), "{bad}");
        }
    }

    #[test]
    fn countries_from_codes_and_names_in_three_languages() {
        for (value, code) in [
            ("EC", "EC"),
            ("br", "BR"),
            ("Brasil", "BR"),
            ("Brazil", "BR"),
            ("México", "MX"),
            ("Estados Unidos", "US"),
            ("EUA", "US"),
            ("españa", "ES"),
            ("Malásia", "MY"),
        ] {
            assert_eq!(country(value), Ok(code), "{value}");
        }
        assert_eq!(country("XX"), Err(ValueError::Country));
        assert_eq!(country("Atlantis"), Err(ValueError::Country));
    }

    #[test]
    fn a_calling_code_is_the_country_it_is_first_dialled_in() {
        for (value, code) in [
            ("593", "EC"),
            ("+55", "BR"),
            ("1", "US"),
            ("44", "GB"),
            ("91", "IN"),
        ] {
            assert_eq!(country(value), Ok(code), "{value}");
        }
        // Non-geographic services, and codes no one has.
        for value in ["800", "999", "0", "+"] {
            assert_eq!(country(value), Err(ValueError::Country), "{value}");
        }
    }

    #[test]
    fn languages_from_codes_tags_and_names() {
        assert_eq!(language("ES"), Ok("es"));
        assert_eq!(language("pt-BR"), Ok("pt"));
        assert_eq!(language("Español"), Ok("es"));
        assert_eq!(language("Português"), Ok("pt"));
        assert_eq!(language("ms"), Ok("ms"));
        assert_eq!(language("Klingon"), Err(ValueError::Language));
        assert_eq!(language("xx"), Err(ValueError::Language));
    }

    #[test]
    fn tags_split_trim_and_drop_repeats() {
        assert_eq!(tags("lead;whatsapp").unwrap(), ["lead", "whatsapp"]);
        assert_eq!(tags(" vip , VIP| lead;;").unwrap(), ["vip", "lead"]);
        assert!(tags(&"x".repeat(65)).is_err());
        let many: Vec<String> = (0..51).map(|i| format!("t{i}")).collect();
        assert_eq!(
            tags(&many.join(",")),
            Err(ValueError::TooManyTags { max: 50 })
        );
    }

    #[test]
    fn custom_value_types() {
        assert_eq!(number("1234,5"), Ok(1234.5));
        assert_eq!(number("-3.25"), Ok(-3.25));
        assert!(number("12a").is_err() && number("1.234,5").is_err() && number("NaN").is_err());
        assert_eq!(date("2026-11-21").unwrap(), "2026-11-21");
        assert_eq!(date("21/11/2026").unwrap(), "2026-11-21");
        assert_eq!(date("29.02.2024").unwrap(), "2024-02-29");
        assert!(date("29/02/2026").is_err() && date("2026-13-01").is_err() && date("hoy").is_err());
        assert_eq!(boolean("Sí"), Ok(true));
        assert_eq!(boolean("Não"), Ok(false));
        assert!(boolean("maybe").is_err());
        assert!(url("https://loja.com.br/x?y=1").is_ok() && url("www.loja.com").is_ok());
        assert!(url("not a url").is_err() && url("http://").is_err());
    }

    #[test]
    fn text_length_is_counted_in_characters() {
        assert!(text(&"é".repeat(255)).is_ok());
        assert_eq!(
            text(&"é".repeat(256)),
            Err(ValueError::TooLong { max: 255 })
        );
    }
}
