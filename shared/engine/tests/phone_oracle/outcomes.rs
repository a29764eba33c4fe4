//! What each implementation answers for one cell: ours, and the oracle's
//! same acceptance rule on the `phonenumber` crate.

use super::*;

// ---------------------------------------------------------------------------
// Outcomes of the two implementations.

/// What one implementation answers for one cell.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Outcome {
    /// No digits and nothing else: an empty cell.
    Empty,
    /// Accepted, in E.164.
    E164(String),
    /// Rejected: not a phone number.
    Reject,
    /// The oracle library panicked on the input (counted as a disagreement).
    Panic,
}

impl fmt::Display for Outcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Outcome::Empty => f.write_str("empty"),
            Outcome::E164(e) => f.write_str(e),
            Outcome::Reject => f.write_str("reject"),
            Outcome::Panic => f.write_str("panic"),
        }
    }
}

pub(crate) fn ours(raw: &str, default_country: Option<&str>) -> Outcome {
    match normalize(raw, default_country) {
        Ok(None) => Outcome::Empty,
        Ok(Some(phone)) => Outcome::E164(phone.e164),
        Err(_) => Outcome::Reject,
    }
}

/// Ours without the trunk-prefix rule: libphonenumber's "possible number"
/// alone, which keeps a trunk prefix inside a number when taking it off
/// leaves too few digits. What the rule is measured against.
pub(crate) fn ours_keeping_trunk_prefixes(raw: &str, default_country: Option<&str>) -> Outcome {
    fn possible(digits: &str, region: Option<Region>) -> Option<String> {
        let number = PHONE_NUMBER_UTIL.parse(digits, region).ok()?;
        (number.is_possible_with_reason() == Ok(NumberLengthType::IsPossible))
            .then(|| number.format_as(PhoneNumberFormat::E164).into_owned())
    }
    let compact = match compact_cell(raw) {
        Ok(Some(compact)) => compact,
        Ok(None) => return Outcome::Empty,
        Err(()) => return Outcome::Reject,
    };
    let answer = if compact.starts_with('+') {
        possible(&compact, None)
    } else {
        let region = default_country.and_then(|c| Region::from_code(c).ok());
        region
            .and_then(|r| possible(&compact, Some(r)))
            .or_else(|| {
                possible(
                    &contact_engine::normalize::phone::international(&compact),
                    None,
                )
            })
    };
    answer.map_or(Outcome::Reject, Outcome::E164)
}

// ---------------------------------------------------------------------------
// The oracle: the same rule, written with the `phonenumber` crate.

/// The cell as digits with at most one leading `+`: the engine's own
/// cleaning (`phone::compact`), shared, since the two sides compare
/// libraries, not cleanings.
pub(crate) fn compact_cell(raw: &str) -> Result<Option<String>, ()> {
    contact_engine::normalize::phone::compact(raw).map_err(|_| ())
}

/// The acceptance rule of `normalize`, with `phonenumber` as the library:
/// strip fillers; anything else but digits and one leading `+` rejects the
/// cell; a leading `+` is read as international; otherwise the digits are read
/// in the default country and accepted when they make a *possible* number
/// there, else read again as `+digits`.
pub(crate) fn oracle(raw: &str, default_country: Option<&str>) -> Outcome {
    let compact = match compact_cell(raw) {
        Ok(Some(compact)) => compact,
        Ok(None) => return Outcome::Empty,
        Err(()) => return Outcome::Reject,
    };
    if compact.starts_with('+') {
        return oracle_possible(&compact, None);
    }
    let id = default_country.and_then(|c| c.parse::<country::Id>().ok());
    if let Some(id) = id {
        match oracle_possible(&compact, Some(id)) {
            Outcome::Reject => {}
            other => return other,
        }
    }
    oracle_possible(
        &contact_engine::normalize::phone::international(&compact),
        None,
    )
}

/// Parses `text` with `phonenumber` and accepts it when its national
/// significant number has a possible length for its country calling code.
pub(crate) fn oracle_possible(text: &str, id: Option<country::Id>) -> Outcome {
    let parsed = std::panic::catch_unwind(|| phonenumber::parse(id, text));
    let number = match parsed {
        Err(_) => return Outcome::Panic,
        Ok(Err(_)) => return Outcome::Reject,
        Ok(Ok(number)) => number,
    };
    let code = number.code().value();
    let nsn = number.national().to_string();
    // libphonenumber checks lengths against the main region of the calling
    // code (US for +1, RU for +7), or the non-geographic entity's metadata.
    let Some(meta) = DATABASE.by_code(&code).and_then(|m| m.into_iter().next()) else {
        return Outcome::Reject;
    };
    if length_check(meta, nsn.len()) != Length::Possible {
        return Outcome::Reject;
    }
    Outcome::E164(number.format().mode(Mode::E164).to_string())
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Length {
    Possible,
    LocalOnly,
    TooShort,
    TooLong,
    Invalid,
}

/// libphonenumber's `testNumberLength` for the UNKNOWN type.
///
/// `phonenumber` keeps the metadata as written in `PhoneNumberMetadata.xml`,
/// where `generalDesc` carries no `possibleLengths`: libphonenumber's metadata
/// builder computes them as the union over the number types except
/// `noInternationalDialling`, and drops from the local-only lengths any length
/// that is also a full length. We do the same here. (`phonenumber`'s own
/// `validator::length` is private and reads the general lengths directly.)
pub(crate) fn length_check(meta: &Metadata, len: usize) -> Length {
    let d = meta.descriptors();
    let types = [
        d.fixed_line(),
        d.mobile(),
        d.toll_free(),
        d.premium_rate(),
        d.shared_cost(),
        d.personal_number(),
        d.voip(),
        d.pager(),
        d.uan(),
        d.voicemail(),
    ];
    let mut possible: Vec<usize> = d
        .general()
        .possible_length()
        .iter()
        .map(|&l| l as usize)
        .collect();
    let mut local: Vec<usize> = d
        .general()
        .possible_local_length()
        .iter()
        .map(|&l| l as usize)
        .collect();
    for desc in types.into_iter().flatten() {
        possible.extend(desc.possible_length().iter().map(|&l| l as usize));
        local.extend(desc.possible_local_length().iter().map(|&l| l as usize));
    }
    possible.sort_unstable();
    possible.dedup();
    local.retain(|l| !possible.contains(l));
    if local.contains(&len) {
        return Length::LocalOnly;
    }
    let (Some(&min), Some(&max)) = (possible.first(), possible.last()) else {
        return Length::Invalid;
    };
    if len < min {
        Length::TooShort
    } else if len > max {
        Length::TooLong
    } else if possible.contains(&len) {
        Length::Possible
    } else {
        Length::Invalid
    }
}
