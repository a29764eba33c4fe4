//! Phone numbers to E.164, through `rlibphonenumber`.
//!
//! The acceptance rule is "possible number" (the length fits the numbering
//! plan), not "valid number": metadata lags real numbering plans, and a
//! rejected row costs a user more than a number that later fails delivery.
//! One exception: a possible number that keeps its country's trunk prefix
//! inside it is no real number unless it is valid ([`trunk_prefix`]).

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
    /// `5,93991E+11`: Excel showed a long number in scientific notation and
    /// saved it so; the digits past the sixth are gone for good.
    #[error(
        "is a number Excel wrote in scientific notation, which has lost its last digits: in Excel, format the column as Text (or as Number with 0 decimals) before typing or pasting the numbers, then save the file again"
    )]
    ScientificNotation,
    /// `099 123 4501 ext. 12`: messaging reaches no extension, and a contact
    /// holds one number, so the row is refused rather than the extension
    /// silently dropped.
    #[error(
        "has an extension (ext., x, #): a messaging number has none; write the number without it (keep the extension in another column if you need it)"
    )]
    HasExtension,
}

/// The characters people write inside numbers that carry no digits.
fn is_filler(c: char) -> bool {
    c.is_whitespace()
        || matches!(
            c,
            '.' | '-' | '(' | ')' | '[' | ']' | '/' | '\u{2010}'..='\u{2015}' | '\u{2212}'
        )
}

/// The first code point of each run of ten Unicode decimal digits (general
/// category Nd, Unicode 14: ASCII, Arabic-Indic, Persian, Devanagari, Thai,
/// full-width and the others), so that a number typed on any keyboard reads
/// as the digits it shows.
const DIGIT_ZEROS: [u32; 66] = [
    0x30, 0x660, 0x6F0, 0x7C0, 0x966, 0x9E6, 0xA66, 0xAE6, 0xB66, 0xBE6, 0xC66, 0xCE6, 0xD66,
    0xDE6, 0xE50, 0xED0, 0xF20, 0x1040, 0x1090, 0x17E0, 0x1810, 0x1946, 0x19D0, 0x1A80, 0x1A90,
    0x1B50, 0x1BB0, 0x1C40, 0x1C50, 0xA620, 0xA8D0, 0xA900, 0xA9D0, 0xA9F0, 0xAA50, 0xABF0, 0xFF10,
    0x104A0, 0x10D30, 0x11066, 0x110F0, 0x11136, 0x111D0, 0x112F0, 0x11450, 0x114D0, 0x11650,
    0x116C0, 0x11730, 0x118E0, 0x11950, 0x11C50, 0x11D50, 0x11DA0, 0x16A60, 0x16AC0, 0x16B50,
    0x1D7CE, 0x1D7D8, 0x1D7E2, 0x1D7EC, 0x1D7F6, 0x1E140, 0x1E2F0, 0x1E950, 0x1FBF0,
];

/// The ASCII digit a Unicode decimal digit stands for.
fn decimal_digit(c: char) -> Option<char> {
    if c.is_ascii_digit() {
        return Some(c);
    }
    let code = u32::from(c);
    let i = DIGIT_ZEROS
        .partition_point(|&zero| zero <= code)
        .checked_sub(1)?;
    let value = code - DIGIT_ZEROS[i];
    (value < 10).then(|| char::from(b'0' + value as u8))
}

/// `5,93991E+11`, `5.5119e+12`: a number as Excel shows it in scientific
/// notation.
fn is_scientific(cell: &str) -> bool {
    let Some((mantissa, exponent)) = cell.split_once(['E', 'e']) else {
        return false;
    };
    let exponent = exponent.strip_prefix('+').unwrap_or(exponent);
    let (whole, fraction) = mantissa.split_once(['.', ',']).unwrap_or((mantissa, "0"));
    [whole, fraction, exponent]
        .iter()
        .all(|part| !part.is_empty() && part.bytes().all(|b| b.is_ascii_digit()))
}

/// The words people put before an extension, lower-case.
const EXTENSION_MARKS: [&str; 9] = [
    ";ext=",
    "extension",
    "extensión",
    "ext",
    "ramal",
    "anexo",
    "x",
    "#",
    "int",
];

/// Whether the cell ends in an extension: one of [`EXTENSION_MARKS`] after
/// some digits, then (after `.`, `:` or spaces) 1 to 6 digits and nothing else.
fn has_extension(cell: &str) -> bool {
    let lower = cell.to_lowercase();
    EXTENSION_MARKS.iter().any(|mark| {
        lower.match_indices(mark).any(|(at, _)| {
            let before = &lower[..at];
            let after = lower[at + mark.len()..].trim_start_matches(['.', ':', '=', ' ']);
            before.chars().any(|c| decimal_digit(c).is_some())
                && (1..=6).contains(&after.chars().count())
                && after.chars().all(|c| decimal_digit(c).is_some())
        })
    })
}

/// A `tel:` URI's number (RFC 3966), without its parameters; an extension
/// parameter is an extension.
fn tel_uri_number(cell: &str) -> Result<&str, PhoneError> {
    let Some(scheme) = cell.get(..4).filter(|s| s.eq_ignore_ascii_case("tel:")) else {
        return Ok(cell);
    };
    let mut parts = cell[scheme.len()..].split(';');
    let number = parts.next().unwrap_or_default();
    if parts.any(|p| p.to_ascii_lowercase().starts_with("ext=")) {
        return Err(PhoneError::HasExtension);
    }
    Ok(number)
}

/// Why a cell holding something besides digits and fillers is no number.
fn why_not_a_number(cell: &str) -> PhoneError {
    if is_scientific(cell) {
        PhoneError::ScientificNotation
    } else if has_extension(cell) {
        PhoneError::HasExtension
    } else {
        PhoneError::NotAPhoneNumber
    }
}

/// The first step of [`normalize`]: the cell's digits, with a leading `+`
/// when it has one, or why it is no number; `Ok(None)` when nothing is left.
/// Excel's scientific notation and extensions are told apart; a `tel:` URI
/// gives its number; digits of any script count; a `+` may come before the
/// first digit only (`(+55) 11 …`); fillers are dropped.
pub fn compact(raw: &str) -> Result<Option<String>, PhoneError> {
    let cell = tel_uri_number(raw.trim())?;
    let mut compact = String::with_capacity(cell.len() + 1);
    for c in cell.chars() {
        match c {
            // Before any digit only: `(+55)`, never `+5+5`.
            '+' | '\u{FF0B}' if compact.is_empty() => compact.push('+'),
            c => match decimal_digit(c) {
                Some(digit) => compact.push(digit),
                None if is_filler(c) => {}
                // Only a cell that is no plain number is asked why: the
                // marks of both are no digits and no fillers.
                None => return Err(why_not_a_number(cell)),
            },
        }
    }
    match compact.as_str() {
        "" => Ok(None),
        "+" => Err(PhoneError::NotAPhoneNumber),
        _ => Ok(Some(compact)),
    }
}

/// Digits without `+` read as international: `+` before them, or in place
/// of `00`, the international prefix of most of the world.
pub fn international(digits: &str) -> String {
    match digits.strip_prefix("00") {
        Some(rest) => format!("+{rest}"),
        None => format!("+{digits}"),
    }
}

/// Normalises `raw` to E.164. Without a leading `+` the number is read in
/// `default_country` first; when it cannot be a number there it is read as
/// international (`5511987654321` → `+5511987654321`, `00593…` →
/// `+593…`). Returns `Ok(None)` for a cell with no digits and nothing else.
pub fn normalize(raw: &str, default_country: Option<&str>) -> Result<Option<Phone>, PhoneError> {
    let Some(compact) = compact(raw)? else {
        return Ok(None);
    };
    if compact.starts_with('+') {
        return possible(&compact, None)
            .map(Some)
            .ok_or(PhoneError::NotAPhoneNumber);
    }
    let region = default_country.and_then(|c| Region::from_code(c).ok());
    if let Some(phone) = region.and_then(|r| possible(&compact, Some(r))) {
        return Ok(Some(phone));
    }
    possible(&international(&compact), None)
        .map(Some)
        .ok_or(match default_country {
            Some(_) => PhoneError::NotAPhoneNumber,
            None => PhoneError::NeedsCountry,
        })
}

/// The region a calling code is first dialled in (`1` → `US`, `44` →
/// `GB`), `None` for a code no region has (or only non-geographic
/// services, `800`).
pub fn main_region(calling_code: i32) -> Option<&'static str> {
    let region = PHONE_NUMBER_UTIL.get_region_for_country_code(calling_code)?;
    phone_region(region.as_region_str().as_str())
}

/// The region code (ISO 3166-1 alpha-2, or `XK`, `AC`, `TA`…) of a region
/// the phone metadata knows, in upper case.
pub fn phone_region(code: &str) -> Option<&'static str> {
    static REGIONS: std::sync::OnceLock<std::collections::BTreeSet<String>> =
        std::sync::OnceLock::new();
    let regions = REGIONS.get_or_init(|| {
        PHONE_NUMBER_UTIL
            .get_supported_regions()
            .map(|r| r.as_region_str().as_str().to_string())
            .collect()
    });
    regions
        .get(code.to_ascii_uppercase().as_str())
        .map(String::as_str)
}

fn possible(digits: &str, region: Option<Region>) -> Option<Phone> {
    let number: PhoneNumber = PHONE_NUMBER_UTIL.parse(digits, region).ok()?;
    if number.is_possible_with_reason() != Ok(NumberLengthType::IsPossible) {
        return None;
    }
    // libphonenumber keeps a trunk prefix inside the national number when
    // taking it off would leave too few digits for the region read in
    // (`012345678` in France is `+33012345678`): no E.164 number has one.
    // Such an answer is taken when it is a valid number (Russia's `8 800`
    // numbers really begin with the trunk digit); else the number without
    // the prefix, when that is valid in the calling code (a UK freephone
    // `0800 735456` read in Jersey); else none.
    let e164 = number.format_as(PhoneNumberFormat::E164).into_owned();
    // `+`, the calling code (1 to 3 digits), then the national number.
    let code_digits = match number.country_code {
        0..=9 => 1,
        10..=99 => 2,
        _ => 3,
    };
    let nsn = e164.get(1 + code_digits..).unwrap_or_default();
    let kept = trunk_prefix(number.country_code).filter(|p| nsn.starts_with(p));
    if let Some(prefix) = kept
        && !number.is_valid()
    {
        let without = format!("+{}{}", number.country_code, &nsn[prefix.len()..]);
        let number = PHONE_NUMBER_UTIL.parse(&without, None).ok()?;
        return number.is_valid().then(|| Phone {
            e164: number.format_as(PhoneNumberFormat::E164).into_owned(),
        });
    }
    Some(Phone { e164 })
}

/// The trunk (national) prefix dialled before national numbers in the
/// regions of `calling_code`, from libphonenumber's metadata (which
/// `rlibphonenumber` does not export; `tests/phone_oracle` checks this
/// table against `phonenumber`'s copy of it): `1` in NANPA and the
/// Marshall Islands, `8` in Russia and Kazakhstan, Belarus and
/// Turkmenistan, `06` in Hungary, `0` in [`TRUNK_ZERO`], none elsewhere (a
/// leading `0` is part of Italian numbers).
pub fn trunk_prefix(calling_code: i32) -> Option<&'static str> {
    match calling_code {
        1 | 692 => Some("1"),
        7 | 375 | 993 => Some("8"),
        36 => Some("06"),
        c if TRUNK_ZERO.binary_search(&c).is_ok() => Some("0"),
        _ => None,
    }
}

/// The calling codes whose regions dial `0` before national numbers.
const TRUNK_ZERO: [i32; 103] = [
    20, 27, 31, 32, 33, 40, 41, 43, 44, 46, 49, 51, 53, 54, 55, 57, 58, 60, 61, 62, 63, 64, 66, 81,
    82, 84, 86, 90, 91, 92, 93, 94, 95, 98, 211, 212, 213, 218, 231, 232, 233, 234, 243, 249, 250,
    251, 252, 254, 255, 256, 260, 261, 262, 263, 264, 265, 291, 353, 355, 358, 359, 370, 373, 374,
    377, 380, 381, 382, 383, 385, 386, 387, 389, 421, 423, 508, 590, 591, 593, 594, 595, 596, 598,
    686, 850, 855, 856, 880, 886, 961, 962, 963, 964, 966, 967, 970, 971, 972, 976, 977, 994, 995,
    996,
];

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
    fn a_number_that_keeps_its_trunk_prefix_is_taken_only_when_valid() {
        // One digit short once the trunk prefix is off: libphonenumber would
        // keep the prefix inside the number.
        for (bad, country) in [
            ("012345678", "FR"),
            ("1201555012", "US"),
            ("0 0 0 0 0 0 0 0", "BR"),
            ("0153445678", "JE"),
        ] {
            assert_eq!(
                e164(bad, Some(country)),
                Err(PhoneError::NotAPhoneNumber),
                "{bad} in {country}"
            );
        }
        // A real number whose digits begin with the trunk digit stays.
        assert_eq!(
            e164("8 800 555 35 35", Some("RU")),
            Ok(Some("+78005553535".into()))
        );
        // Valid once the prefix is off, in the calling code's other region.
        assert_eq!(
            e164("0800735456", Some("JE")),
            Ok(Some("+44800735456".into()))
        );
        // Italy dials no trunk prefix: its leading 0 is the number's own.
        assert_eq!(
            e164("06 6982 1234", Some("IT")),
            Ok(Some("+390669821234".into()))
        );
        assert_eq!(trunk_prefix(36), Some("06"));
        assert_eq!(trunk_prefix(39), None);
    }

    #[test]
    fn numbers_as_people_write_them_in_latin_america_and_on_any_keyboard() {
        for (raw, country, want) in [
            ("(+55) 11 98765-4329", Some("EC"), "+5511987654329"),
            ("(+593) 99-123-4612", None, "+593991234612"),
            ("[+60] 12-345 0102", Some("BR"), "+60123450102"),
            // Full-width, Arabic-Indic and Persian digits.
            ("０９９１２３４５０１", Some("EC"), "+593991234501"),
            ("+٥٩٣٩٩١٢٣٤٥٠١", None, "+593991234501"),
            ("۰۹۹۱۲۳۴۵۰۱", Some("EC"), "+593991234501"),
            ("＋593 99 123 4501", None, "+593991234501"),
            // RFC 3966 URIs.
            ("tel:+593-99-123-4501", None, "+593991234501"),
            (
                "TEL:+55-11-98765-4329;phone-context=example.com",
                None,
                "+5511987654329",
            ),
            // `00` for `+`, with or without a default country.
            ("00593991234501", None, "+593991234501"),
            ("00 55 11 98765 4329", Some("EC"), "+5511987654329"),
        ] {
            assert_eq!(e164(raw, country), Ok(Some(want.into())), "{raw}");
        }
    }

    #[test]
    fn extensions_and_excel_scientific_notation_say_what_happened() {
        for raw in [
            "099 123 4501 ext. 12",
            "+1 202 555 0123 x45",
            "+1 202 555 0123 #45",
            "(11) 3456-0104 ramal 22",
            "tel:+1-202-555-0123;ext=45",
        ] {
            assert_eq!(
                e164(raw, Some("EC")),
                Err(PhoneError::HasExtension),
                "{raw}"
            );
        }
        for raw in ["5,93991E+11", "5.5119E+12", "5.5119e12"] {
            assert_eq!(
                e164(raw, Some("EC")),
                Err(PhoneError::ScientificNotation),
                "{raw}"
            );
        }
        assert!(
            PhoneError::ScientificNotation
                .to_string()
                .contains("format the column as Text")
        );
        // A `+` after a digit is still no number, nor letters that are no
        // extension mark.
        for raw in ["59+3991234501", "0991234501 ext", "0991234501 abc"] {
            assert_eq!(
                e164(raw, Some("EC")),
                Err(PhoneError::NotAPhoneNumber),
                "{raw}"
            );
        }
    }

    #[test]
    fn every_region_the_metadata_knows_is_a_region() {
        for code in ["XK", "ac", "TA", "EC", "BR"] {
            assert_eq!(
                phone_region(code),
                Some(code.to_ascii_uppercase().as_str()),
                "{code}"
            );
        }
        assert_eq!(phone_region("ZZ"), None);
        assert_eq!(
            e164("044 123 456", Some("XK")),
            Ok(Some("+38344123456".into()))
        );
    }

    #[test]
    fn the_region_comes_with_the_number() {
        let p = normalize("+5511987650101", None).unwrap().unwrap();
        assert_eq!(p.region().as_deref(), Some("BR"));
    }
}
