//! The patterns the disagreements follow, the ones known, and how a
//! disagreement is told and reported.

use super::*;

// ---------------------------------------------------------------------------
// Disagreement patterns.

/// The patterns the measured disagreements follow. docs/PHONES.md explains
/// each one and which answer we keep.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Pattern {
    /// The two metadata snapshots give the calling code different possible
    /// lengths (rlibphonenumber ships libphonenumber metadata v9.0.42,
    /// phonenumber 0.3.10 ships v9.0.33). Only Zimbabwe (+263) so far.
    MetadataLengths,
    /// The only national reading libphonenumber finds keeps the trunk
    /// prefix inside the number (taking it off leaves too few digits for
    /// the region), and that is no valid number: ours refuses it (or reads
    /// the digits as international), where phonenumber strips the prefix
    /// and reads a shorter number, which is not valid either but for a UK
    /// number libphonenumber places in another region (docs/PHONES.md).
    TrunkPrefixRefused,
    /// Digits without `+` that begin with the default country's calling code
    /// and also form a possible national number there: ours reads them as a
    /// national number (libphonenumber strips the code only when the digits
    /// do not match the national pattern and the rest does, or when they are
    /// too long); phonenumber always strips it.
    CallingCodeReadNationally,
    /// phonenumber removes leading digits libphonenumber keeps: it strips
    /// national prefixes (sometimes twice) without checking that the rest is
    /// still a number (RU/KZ `8 800 …`, BY `8 801 …`, LT `808 …`), or applies
    /// the default country's prefix to a number dialled abroad with the IDD.
    /// Ours is valid in all but a few garbage inputs.
    OracleOverStrips,
}

impl Pattern {
    /// Most disagreements of this pattern the generated set may show.
    pub(crate) fn bound(self) -> usize {
        match self {
            Pattern::MetadataLengths => 12,
            Pattern::TrunkPrefixRefused => 30,
            Pattern::CallingCodeReadNationally => 30,
            Pattern::OracleOverStrips => 65,
        }
    }
}

/// Most disagreements, all patterns together, in the generated set.
pub(crate) const MAX_GENERATED_DISAGREEMENTS: usize = 130;

/// An E.164 answer split into calling code and national significant number
/// (calling codes are prefix-free), without parsing it again: a new parse
/// would apply the national-prefix rules a second time.
#[derive(Debug, Clone)]
pub(crate) struct Split {
    pub(crate) calling_code: i32,
    pub(crate) nsn: String,
    /// rlibphonenumber's `is_valid` for exactly these digits.
    pub(crate) valid: bool,
}

pub(crate) fn split_e164(e164: &str) -> Option<Split> {
    let digits = e164.strip_prefix('+')?;
    let util = &*PHONE_NUMBER_UTIL;
    let calling_code = (1..=3.min(digits.len()))
        .filter_map(|n| digits[..n].parse::<i32>().ok())
        .find(|&code| {
            util.get_supported_calling_codes().any(|c| c == code)
                || util
                    .get_supported_global_network_calling_codes()
                    .any(|c| c == code)
        })?;
    let nsn = digits[calling_code.to_string().len()..].to_string();
    let zeros = nsn.chars().take_while(|&c| c == '0').count();
    let number = rlibphonenumber::PhoneNumber {
        country_code: calling_code,
        national_number: nsn.parse().ok()?,
        italian_leading_zero: (zeros > 0).then_some(true),
        number_of_leading_zeros: (zeros > 1).then_some(zeros as i32),
        ..Default::default()
    };
    Some(Split {
        calling_code,
        nsn,
        valid: number.is_valid(),
    })
}

pub(crate) fn is_valid_e164(outcome: &Outcome) -> bool {
    match outcome {
        Outcome::E164(e) => split_e164(e).is_some_and(|s| s.valid),
        _ => false,
    }
}

/// Whether a national significant number of `len` digits is possible for
/// `calling_code` according to rlibphonenumber's metadata.
pub(crate) fn ours_length_possible(calling_code: i32, len: usize) -> bool {
    let number = rlibphonenumber::PhoneNumber {
        country_code: calling_code,
        national_number: "1".repeat(len).parse().unwrap_or(0),
        ..Default::default()
    };
    matches!(
        number.is_possible_with_reason(),
        Ok(NumberLengthType::IsPossible)
    )
}

/// The same for phonenumber's metadata.
pub(crate) fn oracle_length_possible(calling_code: i32, len: usize) -> bool {
    u16::try_from(calling_code)
        .ok()
        .and_then(|c| DATABASE.by_code(&c))
        .and_then(|m| m.into_iter().next())
        .is_some_and(|meta| length_check(meta, len) == Length::Possible)
}

/// The national (trunk) prefixes of the regions that share `calling_code`:
/// `0` for most, `06` for Hungary, `1` for NANPA and the Marshall Islands,
/// `8` for Russia, Kazakhstan, Belarus and Turkmenistan. rlibphonenumber
/// 2.2.15 does not export them, so they come from phonenumber's metadata.
pub(crate) fn national_prefixes(calling_code: i32) -> Vec<String> {
    u16::try_from(calling_code)
        .ok()
        .and_then(|c| DATABASE.by_code(&c))
        .unwrap_or_default()
        .into_iter()
        .filter_map(|m| m.national_prefix().map(str::to_string))
        .filter(|p| !p.is_empty())
        .collect()
}

/// Whether a number is not valid and its national significant number begins
/// with the trunk prefix of its country.
pub(crate) fn keeps_trunk_prefix(split: &Split) -> bool {
    !split.valid
        && national_prefixes(split.calling_code)
            .iter()
            .any(|p| split.nsn.starts_with(p.as_str()))
}

pub(crate) fn classify(d: &Disagreement) -> Option<Pattern> {
    let split = |o: &Outcome| match o {
        Outcome::E164(e) => split_e164(e),
        _ => None,
    };
    let (ours, oracle) = (split(&d.ours), split(&d.oracle));
    // 1. One of the answers has a length only one library's metadata allows.
    for a in ours.iter().chain(oracle.iter()) {
        let len = a.nsn.len();
        if ours_length_possible(a.calling_code, len) != oracle_length_possible(a.calling_code, len)
        {
            return Some(Pattern::MetadataLengths);
        }
    }
    // 2. libphonenumber's own reading keeps a trunk prefix inside a number
    //    that is not valid, and ours refused it.
    let libphonenumber = ours_keeping_trunk_prefixes(&d.raw, d.default_country.as_deref());
    let kept = split(&libphonenumber).is_some_and(|s| keeps_trunk_prefix(&s));
    if kept && d.ours != libphonenumber {
        return Some(Pattern::TrunkPrefixRefused);
    }
    let ours = ours?;
    let digits = compact_cell(&d.raw).ok().flatten()?;
    let Split {
        calling_code: cc,
        nsn,
        valid,
    } = ours;
    // 3. Calling code written without `+`, read as a national number.
    let default_code = d
        .default_country
        .as_deref()
        .and_then(|r| Region::from_code(r).ok())
        .and_then(|r| PHONE_NUMBER_UTIL.get_country_code_for_region(r));
    if let Some(code) = default_code
        && digits.starts_with(&code.to_string())
        && cc == code
        && nsn == digits
    {
        return Some(Pattern::CallingCodeReadNationally);
    }
    // 4. Ours is valid and the oracle lost it; or the oracle stripped the
    //    default country's prefix twice, or stripped it from a number dialled
    //    abroad.
    if valid {
        return Some(Pattern::OracleOverStrips);
    }
    let prefix = d
        .default_country
        .as_deref()
        .and_then(|r| DATABASE.by_id(r))
        .and_then(|m| m.national_prefix())
        .unwrap_or_default();
    if prefix.is_empty() {
        return None;
    }
    let twice = prefix.repeat(2);
    match oracle {
        Some(o) if digits.starts_with(&twice) && o.nsn == digits[twice.len()..] => {
            Some(Pattern::OracleOverStrips)
        }
        None if d.oracle == Outcome::Reject && nsn.starts_with(prefix) => {
            Some(Pattern::OracleOverStrips)
        }
        _ => None,
    }
}

// ---------------------------------------------------------------------------
// Known disagreements.

/// Every disagreement on the sample files, as
/// `(input, default country, ours, oracle)`. See docs/PHONES.md.
pub(crate) const KNOWN_SAMPLE_DISAGREEMENTS: &[(&str, Option<&str>, &str, &str)] = &[
    // A possible Malaysian national number (9 digits) that starts with 60:
    // libphonenumber keeps the national reading; phonenumber strips "60"
    // and finds 7 digits, too short.
    ("601010101", Some("MY"), "+60601010101", "reject"),
];

/// Documented examples of each pattern: each must still be measured, and
/// classified as documented.
pub(crate) const PATTERN_EXAMPLES: &[(Pattern, &str, Option<&str>, &str, &str)] = &[
    (
        Pattern::MetadataLengths,
        "+263131234",
        Some("ZW"),
        "reject",
        "+263131234",
    ),
    (
        Pattern::MetadataLengths,
        "071234567",
        Some("ZW"),
        "reject",
        "+26371234567",
    ),
    (
        Pattern::TrunkPrefixRefused,
        "0153445678",
        Some("JE"),
        "reject",
        "+44153445678",
    ),
    (
        Pattern::TrunkPrefixRefused,
        "+385000373913",
        Some("HR"),
        "reject",
        "+3850373913",
    ),
    (
        Pattern::TrunkPrefixRefused,
        "8902123456",
        Some("BY"),
        "reject",
        "+375902123456",
    ),
    (
        Pattern::TrunkPrefixRefused,
        "82949119114",
        Some("BY"),
        "+82949119114",
        "+3752949119114",
    ),
    (
        Pattern::CallingCodeReadNationally,
        "262161234",
        Some("RE"),
        "+262262161234",
        "reject",
    ),
    (
        Pattern::CallingCodeReadNationally,
        "7123456789",
        Some("KZ"),
        "+77123456789",
        "reject",
    ),
    (
        Pattern::CallingCodeReadNationally,
        "4915123456789",
        Some("DE"),
        "+494915123456789",
        "+4915123456789",
    ),
    (
        Pattern::CallingCodeReadNationally,
        "5540041234",
        Some("BR"),
        "+555540041234",
        "+5540041234",
    ),
    (
        Pattern::OracleOverStrips,
        "+78001234567",
        Some("KZ"),
        "+78001234567",
        "reject",
    ),
    (
        Pattern::OracleOverStrips,
        "88001234567",
        Some("KZ"),
        "+78001234567",
        "+8801234567",
    ),
    (
        Pattern::OracleOverStrips,
        "8011234567",
        Some("BY"),
        "+3758011234567",
        "+37511234567",
    ),
    (
        Pattern::OracleOverStrips,
        "+37080812345",
        Some("LT"),
        "+37080812345",
        "reject",
    ),
    (
        Pattern::OracleOverStrips,
        "880912345678",
        Some("RU"),
        "+880912345678",
        "+70912345678",
    ),
];

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct Disagreement {
    pub(crate) raw: String,
    pub(crate) default_country: Option<String>,
    pub(crate) ours: Outcome,
    pub(crate) oracle: Outcome,
}

impl Disagreement {
    pub(crate) fn new(raw: &str, cc: Option<&str>, ours: &str, oracle: &str) -> Self {
        Disagreement {
            raw: raw.into(),
            default_country: cc.map(str::to_string),
            ours: parse_outcome(ours),
            oracle: parse_outcome(oracle),
        }
    }
}

impl fmt::Display for Disagreement {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "({:?}, {:?}, {:?}, {:?})",
            self.raw,
            self.default_country,
            self.ours.to_string(),
            self.oracle.to_string()
        )
    }
}

pub(crate) fn parse_outcome(s: &str) -> Outcome {
    match s {
        "empty" => Outcome::Empty,
        "reject" => Outcome::Reject,
        "panic" => Outcome::Panic,
        e => Outcome::E164(e.to_string()),
    }
}

pub(crate) fn compare(
    cases: &[Case],
    report: bool,
    ours: impl Fn(&str, Option<&str>) -> Outcome,
    oracle: impl Fn(&str, Option<&str>) -> Outcome,
) -> Vec<Disagreement> {
    let mut out = Vec::new();
    for c in cases {
        let cc = c.default_country.as_deref();
        let (a, b) = (ours(&c.raw, cc), oracle(&c.raw, cc));
        if report {
            eprintln!("case {:?} {cc:?} [{}] ours={a} oracle={b}", c.raw, c.origin);
        }
        if a != b {
            out.push(Disagreement {
                raw: c.raw.clone(),
                default_country: c.default_country.clone(),
                ours: a,
                oracle: b,
            });
        }
    }
    out.sort();
    out.dedup();
    out
}

pub(crate) fn report_enabled() -> bool {
    std::env::var_os("PHONE_ORACLE_REPORT").is_some()
}

pub(crate) fn print_list(title: &str, list: &[Disagreement]) {
    eprintln!("{title}: {}", list.len());
    for d in list {
        eprintln!("    {d},");
    }
}
