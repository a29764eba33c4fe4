//! Phone numbers to E.164, through `rlibphonenumber`.
//!
//! The acceptance rule is "possible number" (the length fits the numbering
//! plan), not "valid number": metadata lags real numbering plans, and a
//! rejected row costs a user more than a number that later fails delivery.

use rlibphonenumber::{
    NumberLengthType, PHONE_NUMBER_UTIL, PhoneNumber, PhoneNumberFormat, Region,
};

/// A phone number in E.164 form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Phone {
    pub e164: String,
}

impl Phone {
    /// ISO 3166-1 alpha-2 of the number's region, when one region owns it.
    /// Worked out on demand: for calling codes several regions share (+1,
    /// +44, +7) it tries each region's patterns, which validation never needs.
    pub fn region(&self) -> Option<String> {
        let number = PHONE_NUMBER_UTIL.parse(&self.e164, None).ok()?;
        number
            .get_region_code()
            .map(|r| r.as_region_str().to_string())
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum PhoneError {
    #[error("is not a phone number")]
    NotAPhoneNumber,
    /// Digits without `+` that are no international number, read with no
    /// default country: most likely a national number, which needs one.
    #[error(
        "is not a phone number without a country code: write it with one (+593…) or set a default country (default_country in the import's options or the workspace's settings)"
    )]
    NeedsCountry,
}

/// The characters people write inside numbers that carry no digits.
fn is_filler(c: char) -> bool {
    c.is_whitespace()
        || matches!(
            c,
            '.' | '-' | '(' | ')' | '[' | ']' | '/' | '\u{2010}'..='\u{2015}'
        )
}

/// Normalises `raw` to E.164. Without a leading `+` the number is read in
/// `default_country` first; when it cannot be a number there it is read as
/// international (`5511987654321` → `+5511987654321`). Returns `Ok(None)` for a
/// cell with no digits and nothing else.
pub fn normalize(raw: &str, default_country: Option<&str>) -> Result<Option<Phone>, PhoneError> {
    let mut compact = String::with_capacity(raw.len() + 1);
    for (i, c) in raw.trim().char_indices() {
        match c {
            '0'..='9' => compact.push(c),
            '+' if i == 0 => compact.push(c),
            c if is_filler(c) => {}
            _ => return Err(PhoneError::NotAPhoneNumber),
        }
    }
    if compact.is_empty() {
        return Ok(None);
    }
    if compact == "+" {
        return Err(PhoneError::NotAPhoneNumber);
    }
    if compact.starts_with('+') {
        return possible(&compact, None)
            .map(Some)
            .ok_or(PhoneError::NotAPhoneNumber);
    }
    let region = default_country.and_then(|c| Region::from_code(c).ok());
    if let Some(phone) = region.and_then(|r| possible(&compact, Some(r))) {
        return Ok(Some(phone));
    }
    compact.insert(0, '+');
    possible(&compact, None)
        .map(Some)
        .ok_or(match default_country {
            Some(_) => PhoneError::NotAPhoneNumber,
            None => PhoneError::NeedsCountry,
        })
}

fn possible(digits: &str, region: Option<Region>) -> Option<Phone> {
    let number: PhoneNumber = PHONE_NUMBER_UTIL.parse(digits, region).ok()?;
    match number.is_possible_with_reason() {
        Ok(NumberLengthType::IsPossible) => Some(Phone {
            e164: number.format_as(PhoneNumberFormat::E164).into_owned(),
        }),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn e164(raw: &str, country: Option<&str>) -> Result<Option<String>, PhoneError> {
        normalize(raw, country).map(|p| p.map(|p| p.e164))
    }

    #[test]
    fn national_numbers_read_in_the_default_country() {
        assert_eq!(
            e164("0991234501", Some("EC")),
            Ok(Some("+593991234501".into()))
        );
        assert_eq!(
            e164("099 123 4502", Some("EC")),
            Ok(Some("+593991234502".into()))
        );
        assert_eq!(
            e164("(04) 260-1234", Some("EC")),
            Ok(Some("+59342601234".into()))
        );
        assert_eq!(
            e164("(21) 99876-0102", Some("BR")),
            Ok(Some("+5521998760102".into()))
        );
        assert_eq!(
            e164("0123450103", Some("MY")),
            Ok(Some("+60123450103".into()))
        );
        // A possible Malaysian national number: the default country's reading wins.
        assert_eq!(
            e164("601010101", Some("MY")),
            Ok(Some("+60601010101".into()))
        );
    }

    #[test]
    fn international_when_it_cannot_be_national() {
        assert_eq!(
            e164("5511987650101", Some("EC")),
            Ok(Some("+5511987650101".into()))
        );
        assert_eq!(
            e164("5511987650101", None),
            Ok(Some("+5511987650101".into()))
        );
        assert_eq!(
            e164("+60 12-345 0102", Some("EC")),
            Ok(Some("+60123450102".into()))
        );
        assert_eq!(
            e164("60189988776", Some("MY")),
            Ok(Some("+60189988776".into()))
        );
    }

    #[test]
    fn impossible_numbers_are_errors_and_blank_is_none() {
        for bad in [
            "12345",
            "5599",
            "+",
            "abc",
            "0991234501 ext",
            "++593991234501",
        ] {
            assert_eq!(
                e164(bad, Some("EC")),
                Err(PhoneError::NotAPhoneNumber),
                "{bad}"
            );
        }
        // Without a default country, a national number says what it needs.
        assert_eq!(e164("0991234501", None), Err(PhoneError::NeedsCountry));
        assert_eq!(e164("099 123 4501", None), Err(PhoneError::NeedsCountry));
        assert_eq!(e164("abc", None), Err(PhoneError::NotAPhoneNumber));
        assert_eq!(e164("+12", None), Err(PhoneError::NotAPhoneNumber));
        assert_eq!(e164("  ", Some("EC")), Ok(None));
        assert_eq!(e164("-", Some("EC")), Ok(None));
    }

    #[test]
    fn the_region_comes_with_the_number() {
        let p = normalize("+5511987650101", None).unwrap().unwrap();
        assert_eq!(p.region().as_deref(), Some("BR"));
    }
}
