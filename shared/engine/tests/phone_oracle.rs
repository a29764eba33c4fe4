//! Differential test of the phone normaliser against an independent oracle.
//!
//! `contact_engine::normalize::phone::normalize` is built on `rlibphonenumber`.
//! The oracle below applies the same acceptance rule with the `phonenumber`
//! crate (another port of Google's libphonenumber, with its own parser and its
//! own copy of the metadata), and the test compares the E.164 answers of both
//! on the sample files and on a deterministic generated set that covers every
//! region. Where they disagree the disagreement must be a documented one: see
//! `docs/PHONES.md` for what each one means and which answer we keep.
//!
//! Run: `cargo test -p contact-import --test phone_oracle`.
//! Set `PHONE_ORACLE_REPORT=1` to print every case and every disagreement.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::path::PathBuf;
use std::time::Instant;

use contact_engine::normalize::phone::normalize;
use phonenumber::country;
use phonenumber::metadata::DATABASE;
use phonenumber::{Metadata, Mode};
use rlibphonenumber::{
    NumberLengthType, PHONE_NUMBER_UTIL, PhoneNumberFormat, PhoneNumberType, Region,
    get_national_significant_number_owned,
};

// ---------------------------------------------------------------------------
// Outcomes of the two implementations.

/// What one implementation answers for one cell.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
enum Outcome {
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

fn ours(raw: &str, default_country: Option<&str>) -> Outcome {
    match normalize(raw, default_country) {
        Ok(None) => Outcome::Empty,
        Ok(Some(phone)) => Outcome::E164(phone.e164),
        Err(_) => Outcome::Reject,
    }
}

// ---------------------------------------------------------------------------
// The oracle: the same rule, written with the `phonenumber` crate.

/// Same filler set as the normaliser: whitespace, `. - ( ) [ ] /` and the
/// Unicode dashes U+2010..U+2015.
fn is_filler(c: char) -> bool {
    c.is_whitespace()
        || matches!(
            c,
            '.' | '-' | '(' | ')' | '[' | ']' | '/' | '\u{2010}'..='\u{2015}'
        )
}

/// The cell as digits with at most one leading `+`: fillers dropped,
/// `Ok(None)` when nothing is left, `Err(())` for any other character or a
/// lone `+`. The same rule as the first half of `normalize`.
fn compact_cell(raw: &str) -> Result<Option<String>, ()> {
    let mut compact = String::with_capacity(raw.len() + 1);
    for (i, c) in raw.trim().char_indices() {
        match c {
            '0'..='9' => compact.push(c),
            '+' if i == 0 => compact.push(c),
            c if is_filler(c) => {}
            _ => return Err(()),
        }
    }
    match compact.as_str() {
        "" => Ok(None),
        "+" => Err(()),
        _ => Ok(Some(compact)),
    }
}

/// The acceptance rule of `normalize`, with `phonenumber` as the library:
/// strip fillers; anything else but digits and one leading `+` rejects the
/// cell; a leading `+` is read as international; otherwise the digits are read
/// in the default country and accepted when they make a *possible* number
/// there, else read again as `+digits`.
fn oracle(raw: &str, default_country: Option<&str>) -> Outcome {
    let mut compact = match compact_cell(raw) {
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
    compact.insert(0, '+');
    oracle_possible(&compact, None)
}

/// Parses `text` with `phonenumber` and accepts it when its national
/// significant number has a possible length for its country calling code.
fn oracle_possible(text: &str, id: Option<country::Id>) -> Outcome {
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
enum Length {
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
fn length_check(meta: &Metadata, len: usize) -> Length {
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

// ---------------------------------------------------------------------------
// Cases.

#[derive(Debug, Clone)]
struct Case {
    raw: String,
    default_country: Option<String>,
    /// Where the case comes from, for the report.
    origin: &'static str,
}

fn case(raw: impl Into<String>, cc: Option<&str>, origin: &'static str) -> Case {
    Case {
        raw: raw.into(),
        default_country: cc.map(str::to_string),
        origin,
    }
}

fn samples_dir() -> PathBuf {
    match std::env::var_os("CONTACT_IMPORT_SAMPLES") {
        Some(dir) => PathBuf::from(dir),
        // shared/ → the workspace → its parent, where `shared/samples` lives.
        None => PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/samples"),
    }
}

/// Reads one column of a sample file: decoded with `encoding` (BOM removed),
/// split with `delimiter`, the header row skipped.
fn sample_column(
    file: &str,
    encoding: &'static encoding_rs::Encoding,
    delimiter: u8,
    column: usize,
) -> Vec<String> {
    let path = samples_dir().join(file);
    let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let (text, _, had_errors) = encoding.decode(&bytes);
    assert!(!had_errors, "{file}: not {}", encoding.name());
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .has_headers(true)
        .flexible(true)
        .from_reader(text.as_bytes());
    reader
        .records()
        .map(|r| r.unwrap_or_else(|e| panic!("{file}: {e}")))
        .map(|r| r.get(column).unwrap_or("").to_string())
        .collect()
}

fn sample_cases() -> Vec<Case> {
    let mut cases = Vec::new();
    for (file, encoding, delimiter, column, cc) in [
        (
            "clientes-ecuador.csv",
            encoding_rs::WINDOWS_1252,
            b';',
            2,
            "EC",
        ),
        ("contatos-brasil.txt", encoding_rs::UTF_8, b',', 1, "BR"),
        ("contacts-malaysia.csv", encoding_rs::UTF_8, b',', 2, "MY"),
    ] {
        let column = sample_column(file, encoding, delimiter, column);
        assert!(!column.is_empty(), "{file}: no rows");
        cases.extend(column.into_iter().map(|raw| case(raw, Some(cc), "sample")));
    }
    cases
}

/// xorshift64*: deterministic, no `rand`.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
    fn digits(&mut self, n: usize) -> String {
        (0..n)
            .map(|_| char::from(b'0' + self.below(10) as u8))
            .collect()
    }
}

/// `digits` cut in groups of 2 to 4 joined by `sep`.
fn grouped(rng: &mut Rng, digits: &str, sep: &str) -> String {
    let mut out = String::new();
    let mut rest = digits;
    while !rest.is_empty() {
        let take = (2 + rng.below(3)).min(rest.len());
        if !out.is_empty() {
            out.push_str(sep);
        }
        out.push_str(&rest[..take]);
        rest = &rest[take..];
    }
    out
}

/// A human way to write `+cc nsn`.
fn written_international(rng: &mut Rng, cc: i32, nsn: &str) -> String {
    match rng.below(5) {
        0 => format!("+{cc} {}", grouped(rng, nsn, " ")),
        1 => format!("+{cc}-{}", grouped(rng, nsn, "-")),
        2 => format!(
            "+{cc} ({}) {}",
            &nsn[..nsn.len().min(2)],
            grouped(rng, &nsn[nsn.len().min(2)..], "-")
        ),
        3 => format!("+{cc}.{}", grouped(rng, nsn, ".")),
        _ => format!("+{cc} {}", grouped(rng, nsn, "\u{2013}")),
    }
}

const NUMBER_TYPES: [PhoneNumberType; 10] = [
    PhoneNumberType::FixedLine,
    PhoneNumberType::Mobile,
    PhoneNumberType::TollFree,
    PhoneNumberType::PremiumRate,
    PhoneNumberType::SharedCost,
    PhoneNumberType::VoIP,
    PhoneNumberType::PersonalNumber,
    PhoneNumberType::Pager,
    PhoneNumberType::UAN,
    PhoneNumberType::VoiceMail,
];

/// Default countries used to read numbers of *other* regions written without
/// `+` (the international fallback).
const FOREIGN_DEFAULTS: [&str; 4] = ["EC", "BR", "MY", "US"];

/// The generated set, grouped by region so that the oracle's regex cache
/// stays warm.
fn generated_cases() -> Vec<Case> {
    let util = &*PHONE_NUMBER_UTIL;
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let mut regions: Vec<Region> = util.get_supported_regions().collect();
    regions.sort_by_key(|r| r.as_region_str().to_string());
    let mut cases = Vec::new();
    let mut foreign = Vec::new();

    for region in regions {
        let code = region.as_region_str().to_string();
        let cc = Some(code.as_str());
        let Some(calling_code) = util.get_country_code_for_region(region) else {
            continue;
        };
        // `rlibphonenumber` 2.2.15 does not export the national prefix: the
        // trunk prefix used to *write* national numbers comes from
        // phonenumber's copy of the metadata.
        let ndd = DATABASE
            .by_id(code.as_str())
            .and_then(|m| m.national_prefix())
            .unwrap_or_default()
            .to_string();
        let supported = util
            .get_supported_types_for_region(region)
            .unwrap_or_default();
        let examples: Vec<String> = NUMBER_TYPES
            .iter()
            .filter(|t| supported.contains(t))
            .filter_map(|&t| util.get_example_number_for_type_and_region(region, t).ok())
            .map(|n| get_national_significant_number_owned(&n))
            .collect();
        // The first two types the region has (fixed line and mobile, mostly)
        // plus up to two more drawn at random.
        let mut chosen: Vec<&String> = examples.iter().take(2).collect();
        for _ in 0..2 {
            if examples.len() > 2 {
                chosen.push(&examples[2 + rng.below(examples.len() - 2)]);
            }
        }
        chosen.dedup();
        for nsn in chosen {
            cases.push(case(format!("+{calling_code}{nsn}"), cc, "example e164"));
            cases.push(case(
                written_international(&mut rng, calling_code, nsn),
                cc,
                "example written",
            ));
            cases.push(case(format!("{ndd}{nsn}"), cc, "example national"));
            let sep = *rng.pick(&[" ", "-", "."]);
            cases.push(case(
                format!("{ndd}{}", grouped(&mut rng, nsn, sep)),
                cc,
                "example national written",
            ));
            if !ndd.is_empty() {
                cases.push(case(nsn.clone(), cc, "example nsn"));
            }
            cases.push(case(
                format!("{calling_code}{nsn}"),
                cc,
                "example cc digits",
            ));
            cases.push(case(
                format!("{calling_code}{nsn}"),
                None,
                "example cc digits",
            ));
            foreign.push(case(
                format!("{calling_code}{nsn}"),
                Some(*rng.pick(&FOREIGN_DEFAULTS)),
                "example cc digits foreign",
            ));

            // Same length, random tail: possible but rarely valid.
            let keep = nsn.len() / 2;
            let same = format!("{}{}", &nsn[..keep], rng.digits(nsn.len() - keep));
            cases.push(case(format!("+{calling_code}{same}"), cc, "mutated e164"));
            cases.push(case(format!("{ndd}{same}"), cc, "mutated national"));
            // One digit more, one digit less.
            let longer = format!("{nsn}{}", rng.digits(1));
            let shorter = &nsn[..nsn.len() - 1];
            cases.push(case(format!("+{calling_code}{longer}"), cc, "longer e164"));
            cases.push(case(format!("{ndd}{longer}"), cc, "longer national"));
            cases.push(case(
                format!("+{calling_code}{shorter}"),
                cc,
                "shorter e164",
            ));
            cases.push(case(format!("{ndd}{shorter}"), cc, "shorter national"));
        }
        // Random digits after the calling code, of various lengths.
        for _ in 0..3 {
            let len = 4 + rng.below(11);
            let digits = rng.digits(len);
            cases.push(case(format!("+{calling_code}{digits}"), cc, "random e164"));
            cases.push(case(digits, cc, "random national"));
        }
    }

    // Non-geographic entities (+800, +808, +870, …): E.164 only.
    let mut codes: Vec<i32> = util.get_supported_global_network_calling_codes().collect();
    codes.sort_unstable();
    for calling_code in codes {
        let Ok(n) = util.get_example_number_for_non_geo_entity(calling_code) else {
            continue;
        };
        let nsn = get_national_significant_number_owned(&n);
        cases.push(case(format!("+{calling_code}{nsn}"), None, "non-geo e164"));
        cases.push(case(
            written_international(&mut rng, calling_code, &nsn),
            None,
            "non-geo written",
        ));
        cases.push(case(
            format!("{calling_code}{nsn}"),
            None,
            "non-geo cc digits",
        ));
        cases.push(case(
            format!("{calling_code}{nsn}"),
            Some("US"),
            "non-geo cc digits",
        ));
        cases.push(case(
            format!("+{calling_code}{nsn}{}", rng.digits(1)),
            None,
            "non-geo longer",
        ));
        cases.push(case(
            format!("+{calling_code}{}", &nsn[..nsn.len() - 1]),
            None,
            "non-geo shorter",
        ));
    }

    // Foreign-default cases last, grouped by their default country.
    foreign.sort_by(|a, b| a.default_country.cmp(&b.default_country));
    cases.extend(foreign);
    cases.extend(garbage_cases(&mut rng));
    cases
}

fn garbage_cases(rng: &mut Rng) -> Vec<Case> {
    let mut cases = Vec::new();
    let defaults = [
        None,
        Some("EC"),
        Some("BR"),
        Some("MY"),
        Some("US"),
        Some("GB"),
    ];
    for &cc in &defaults {
        for raw in [
            "",
            " ",
            "+",
            "++",
            "-",
            "( )",
            "0",
            "1",
            "12",
            "123",
            "+1",
            "+12",
            "+123",
            "00",
            "000000",
            "+0",
            "+0123456789",
            "abc",
            "12a34567",
            "phone",
            "n/a",
            "099 123 4501 ext 2",
            "+593 99 123 4501 x2",
            "+55 11 98765+0101",
            "0991234501;0991234502",
            "#123456789",
            "*100#",
            "tel:+593991234501",
            "+593\u{00A0}99 123 4501",
            "\u{FF0B}593991234501",
            "(0) 99 123 4501",
            "[099] 123/4501",
            "0 0 0 0 0 0 0 0",
            "1-800-FLOWERS",
        ] {
            cases.push(case(raw, cc, "garbage fixed"));
        }
        for _ in 0..12 {
            // Too short.
            let len = 1 + rng.below(4);
            cases.push(case(rng.digits(len), cc, "garbage short"));
            cases.push(case(format!("+{}", rng.digits(len)), cc, "garbage short"));
            // Too long.
            let len = 16 + rng.below(8);
            cases.push(case(rng.digits(len), cc, "garbage long"));
            cases.push(case(format!("+{}", rng.digits(len)), cc, "garbage long"));
            // Letters in the middle.
            let digits = rng.digits(10);
            let at = 1 + rng.below(8);
            let letter = *rng.pick(&['a', 'O', 'l', 'x', 'e']);
            cases.push(case(
                format!("{}{letter}{}", &digits[..at], &digits[at..]),
                cc,
                "garbage letters",
            ));
            // Plus in the middle.
            cases.push(case(
                format!("{}+{}", &digits[..at], &digits[at..]),
                cc,
                "garbage plus",
            ));
        }
    }
    cases
}

// ---------------------------------------------------------------------------
// Disagreement patterns.

/// The patterns the measured disagreements follow. docs/PHONES.md explains
/// each one and which answer we keep.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Pattern {
    /// The two metadata snapshots give the calling code different possible
    /// lengths (rlibphonenumber ships libphonenumber metadata v9.0.42,
    /// phonenumber 0.3.10 ships v9.0.33). Only Zimbabwe (+263) so far.
    MetadataLengths,
    /// Ours keeps the national (trunk) prefix inside the national significant
    /// number, because stripping it would leave a number too short for the
    /// region, and the result is not a valid number. phonenumber strips the
    /// prefix and rejects (or reads a shorter number). Ours is the reference
    /// libphonenumber behaviour, but the answer cannot be a real number.
    TrunkPrefixKept,
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
    fn bound(self) -> usize {
        match self {
            Pattern::MetadataLengths => 12,
            Pattern::TrunkPrefixKept => 400,
            Pattern::CallingCodeReadNationally => 30,
            Pattern::OracleOverStrips => 65,
        }
    }
}

/// Most disagreements, all patterns together, in the generated set.
const MAX_GENERATED_DISAGREEMENTS: usize = 480;

/// An E.164 answer split into calling code and national significant number
/// (calling codes are prefix-free), without parsing it again: a new parse
/// would apply the national-prefix rules a second time.
#[derive(Debug, Clone)]
struct Split {
    calling_code: i32,
    nsn: String,
    /// rlibphonenumber's `is_valid` for exactly these digits.
    valid: bool,
}

fn split_e164(e164: &str) -> Option<Split> {
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

fn is_valid_e164(outcome: &Outcome) -> bool {
    match outcome {
        Outcome::E164(e) => split_e164(e).is_some_and(|s| s.valid),
        _ => false,
    }
}

/// Whether a national significant number of `len` digits is possible for
/// `calling_code` according to rlibphonenumber's metadata.
fn ours_length_possible(calling_code: i32, len: usize) -> bool {
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
fn oracle_length_possible(calling_code: i32, len: usize) -> bool {
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
fn national_prefixes(calling_code: i32) -> Vec<String> {
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
fn keeps_trunk_prefix(split: &Split) -> bool {
    !split.valid
        && national_prefixes(split.calling_code)
            .iter()
            .any(|p| split.nsn.starts_with(p.as_str()))
}

fn classify(d: &Disagreement) -> Option<Pattern> {
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
    let ours = ours?;
    let digits = compact_cell(&d.raw).ok().flatten()?;
    // 2. A trunk prefix inside our national significant number, not valid.
    if keeps_trunk_prefix(&ours) {
        return Some(Pattern::TrunkPrefixKept);
    }
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
const KNOWN_SAMPLE_DISAGREEMENTS: &[(&str, Option<&str>, &str, &str)] = &[
    // A possible Malaysian national number (9 digits) that starts with 60:
    // libphonenumber keeps the national reading; phonenumber strips "60"
    // and finds 7 digits, too short.
    ("601010101", Some("MY"), "+60601010101", "reject"),
];

/// Documented examples of each pattern: each must still be measured, and
/// classified as documented.
const PATTERN_EXAMPLES: &[(Pattern, &str, Option<&str>, &str, &str)] = &[
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
        "+263071234567",
        "+26371234567",
    ),
    (
        Pattern::TrunkPrefixKept,
        "012345678",
        Some("FR"),
        "+33012345678",
        "reject",
    ),
    (
        Pattern::TrunkPrefixKept,
        "1201555012",
        Some("US"),
        "+11201555012",
        "reject",
    ),
    (
        Pattern::TrunkPrefixKept,
        "0 0 0 0 0 0 0 0",
        Some("BR"),
        "+5500000000",
        "reject",
    ),
    (
        Pattern::TrunkPrefixKept,
        "0153445678",
        Some("JE"),
        "+440153445678",
        "+44153445678",
    ),
    (
        Pattern::TrunkPrefixKept,
        "8101234566",
        Some("ES"),
        "+8101234566",
        "reject",
    ),
    (
        Pattern::TrunkPrefixKept,
        "+385000373913",
        Some("HR"),
        "+38500373913",
        "+3850373913",
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
        "0068506089",
        Some("FR"),
        "+68506089",
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
struct Disagreement {
    raw: String,
    default_country: Option<String>,
    ours: Outcome,
    oracle: Outcome,
}

impl Disagreement {
    fn new(raw: &str, cc: Option<&str>, ours: &str, oracle: &str) -> Self {
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

fn parse_outcome(s: &str) -> Outcome {
    match s {
        "empty" => Outcome::Empty,
        "reject" => Outcome::Reject,
        "panic" => Outcome::Panic,
        e => Outcome::E164(e.to_string()),
    }
}

fn compare(
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

fn report_enabled() -> bool {
    std::env::var_os("PHONE_ORACLE_REPORT").is_some()
}

fn print_list(title: &str, list: &[Disagreement]) {
    eprintln!("{title}: {}", list.len());
    for d in list {
        eprintln!("    {d},");
    }
}

// ---------------------------------------------------------------------------
// Tests.

#[test]
fn samples_match_the_documented_examples() {
    for (raw, cc, want) in [
        ("0991234501", "EC", "+593991234501"),
        ("099 123 4502", "EC", "+593991234502"),
        ("593991234504", "EC", "+593991234504"),
        ("(04) 260-1234", "EC", "+59342601234"),
        ("5511987650101", "BR", "+5511987650101"),
        ("(21) 99876-0102", "BR", "+5521998760102"),
        ("11 3456-0104", "BR", "+551134560104"),
        ("+60 12-345 0102", "MY", "+60123450102"),
        ("0123450103", "MY", "+60123450103"),
        ("601010101", "MY", "+60601010101"),
    ] {
        assert_eq!(
            ours(raw, Some(cc)),
            Outcome::E164(want.into()),
            "{raw} in {cc}"
        );
    }
    for (raw, cc) in [("12345", "EC"), ("5599", "BR")] {
        assert_eq!(ours(raw, Some(cc)), Outcome::Reject, "{raw} in {cc}");
    }
    // Possible, not valid: accepted all the same.
    assert!(!is_valid_e164(&ours("601010101", Some("MY"))));
    // Too long for Ecuador: the international reading.
    assert_eq!(
        ours("5511987650101", Some("EC")),
        Outcome::E164("+5511987650101".into())
    );
    assert_eq!(
        ours("5511987650101", None),
        Outcome::E164("+5511987650101".into())
    );
    // "Possible" is about length only: ten digits are a possible NANPA
    // number, even with a leading 0 no NANPA number has (both libraries).
    for answer in [
        ours("099 123 4501", Some("US")),
        oracle("099 123 4501", Some("US")),
    ] {
        assert_eq!(answer, Outcome::E164("+10991234501".into()));
    }
}

#[test]
fn sample_files_agree_with_the_oracle_but_for_known_cells() {
    let samples = sample_cases();
    let measured = compare(&samples, report_enabled(), ours, oracle);
    print_list("sample disagreements", &measured);
    let mut known: Vec<Disagreement> = KNOWN_SAMPLE_DISAGREEMENTS
        .iter()
        .map(|&(raw, cc, a, b)| Disagreement::new(raw, cc, a, b))
        .collect();
    known.sort();
    assert_eq!(measured, known, "see docs/PHONES.md");
}

#[test]
fn generated_numbers_agree_with_the_oracle_but_for_documented_patterns() {
    let report = report_enabled();
    let started = Instant::now();
    let generated = generated_cases();
    let defaults: BTreeSet<_> = generated
        .iter()
        .filter_map(|c| c.default_country.clone())
        .collect();
    let measured = compare(&generated, report, ours, oracle);
    eprintln!(
        "{} generated cases over {} default countries: {} disagreements, in {:.1?}",
        generated.len(),
        defaults.len(),
        measured.len(),
        started.elapsed()
    );
    assert!(
        generated.len() >= 3000,
        "only {} generated cases",
        generated.len()
    );
    assert!(defaults.len() >= 200, "only {} regions", defaults.len());

    let mut by_pattern: BTreeMap<Option<Pattern>, Vec<&Disagreement>> = BTreeMap::new();
    for d in &measured {
        by_pattern.entry(classify(d)).or_default().push(d);
    }
    for (pattern, list) in &by_pattern {
        eprintln!(
            "{pattern:?}: {} (ours valid {}, oracle valid {}, oracle rejects {})",
            list.len(),
            list.iter().filter(|d| is_valid_e164(&d.ours)).count(),
            list.iter().filter(|d| is_valid_e164(&d.oracle)).count(),
            list.iter().filter(|d| d.oracle == Outcome::Reject).count(),
        );
        if report || pattern.is_none() {
            for d in list {
                eprintln!(
                    "    {pattern:?} {d}, // valid: ours {}, oracle {}",
                    is_valid_e164(&d.ours),
                    is_valid_e164(&d.oracle)
                );
            }
        }
    }

    let unexplained = by_pattern.get(&None).map_or(0, Vec::len);
    assert_eq!(
        unexplained, 0,
        "disagreements that follow no documented pattern (see stderr)"
    );
    for (pattern, list) in &by_pattern {
        let pattern = pattern.expect("checked above");
        assert!(
            list.len() <= pattern.bound(),
            "{pattern:?}: {} disagreements, bound {}",
            list.len(),
            pattern.bound()
        );
    }
    assert!(
        measured.len() <= MAX_GENERATED_DISAGREEMENTS,
        "{} disagreements, bound {MAX_GENERATED_DISAGREEMENTS}",
        measured.len()
    );
    for &(pattern, raw, cc, a, b) in PATTERN_EXAMPLES {
        let d = Disagreement::new(raw, cc, a, b);
        assert!(
            measured.contains(&d),
            "documented example no longer measured: {d}"
        );
        assert_eq!(classify(&d), Some(pattern), "{d}");
    }
}

/// `normalize` with the fix docs/PHONES.md proposes for `TrunkPrefixKept`:
/// a number whose national significant number starts with its country's
/// trunk prefix is accepted only when it is valid.
fn ours_with_trunk_fix(raw: &str, default_country: Option<&str>) -> Outcome {
    fn possible(digits: &str, region: Option<Region>) -> Option<String> {
        let number = PHONE_NUMBER_UTIL.parse(digits, region).ok()?;
        if number.is_possible_with_reason() != Ok(NumberLengthType::IsPossible) {
            return None;
        }
        let nsn = get_national_significant_number_owned(&number);
        let trunk = national_prefixes(number.country_code)
            .iter()
            .any(|p| nsn.starts_with(p.as_str()));
        if trunk && !number.is_valid() {
            return None;
        }
        Some(number.format_as(PhoneNumberFormat::E164).into_owned())
    }
    let mut compact = match compact_cell(raw) {
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
                compact.insert(0, '+');
                possible(&compact, None)
            })
    };
    answer.map_or(Outcome::Reject, Outcome::E164)
}

/// The figures docs/PHONES.md gives for the proposed trunk-prefix fix.
#[test]
fn proposed_trunk_prefix_fix() {
    let mut cases = sample_cases();
    cases.extend(generated_cases());
    // What the fix changes in our own answers.
    let changed = compare(&cases, false, ours, ours_with_trunk_fix);
    let lost_valid = changed.iter().filter(|d| is_valid_e164(&d.ours)).count();
    let kept_trunk = changed
        .iter()
        .filter(|d| match &d.ours {
            Outcome::E164(e) => split_e164(e).is_some_and(|s| keeps_trunk_prefix(&s)),
            _ => false,
        })
        .count();
    // What is left of the disagreements with the oracle.
    let before = compare(&cases, false, ours, oracle);
    let after = compare(&cases, false, ours_with_trunk_fix, oracle);
    let trunk_before = before
        .iter()
        .filter(|d| classify(d) == Some(Pattern::TrunkPrefixKept))
        .count();
    eprintln!(
        "trunk fix: {} answers change ({} had a trunk prefix kept, {} were valid); \
         disagreements {} -> {} (TrunkPrefixKept before: {trunk_before})",
        changed.len(),
        kept_trunk,
        lost_valid,
        before.len(),
        after.len()
    );
    if report_enabled() {
        print_list("changed by the fix (ours, fixed)", &changed);
        print_list("disagreements left with the fix", &after);
    }
    assert_eq!(lost_valid, 0, "the fix must not reject a valid number");
    assert_eq!(
        kept_trunk,
        changed.len(),
        "the fix must change nothing else"
    );
    assert!(after.len() < before.len());
}

/// Calling codes whose possible national lengths differ between the two
/// metadata snapshots, with the lengths only rlibphonenumber allows and the
/// lengths only phonenumber allows.
const KNOWN_LENGTH_DIFFERENCES: &[(i32, &[usize], &[usize])] = &[
    // Gambia: 9-digit numbers added after v9.0.33.
    (220, &[9], &[]),
    // Zimbabwe: the 5-, 6- and 8-digit fixed-line lengths are gone in v9.0.42.
    (263, &[], &[5, 6, 8]),
];

#[test]
fn metadata_length_differences_are_known() {
    let util = &*PHONE_NUMBER_UTIL;
    let mut codes: Vec<i32> = util
        .get_supported_calling_codes()
        .chain(util.get_supported_global_network_calling_codes())
        .collect();
    codes.sort_unstable();
    codes.dedup();
    let mut measured = Vec::new();
    for code in codes {
        let only_ours: Vec<usize> = (1..=17)
            .filter(|&l| ours_length_possible(code, l) && !oracle_length_possible(code, l))
            .collect();
        let only_oracle: Vec<usize> = (1..=17)
            .filter(|&l| !ours_length_possible(code, l) && oracle_length_possible(code, l))
            .collect();
        if !only_ours.is_empty() || !only_oracle.is_empty() {
            eprintln!("    ({code}, &{only_ours:?}, &{only_oracle:?}),");
            measured.push((code, only_ours, only_oracle));
        }
    }
    let known: Vec<(i32, Vec<usize>, Vec<usize>)> = KNOWN_LENGTH_DIFFERENCES
        .iter()
        .map(|&(c, a, b)| (c, a.to_vec(), b.to_vec()))
        .collect();
    assert_eq!(measured, known, "see docs/PHONES.md");
}
