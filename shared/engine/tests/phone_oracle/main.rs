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
//! Run: `cargo test -p contact-engine --test phone_oracle`.
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

mod cases;
mod outcomes;
mod patterns;

use self::cases::*;
use self::outcomes::*;
use self::patterns::*;

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
