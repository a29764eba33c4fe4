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

use contact_engine::normalize::phone::{normalize, trunk_prefix};
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

/// The trunk prefixes the engine knows (`phone::trunk_prefix`, a table,
/// since rlibphonenumber does not export them) are the metadata's, as
/// phonenumber carries it, for every calling code.
#[test]
fn the_engine_s_trunk_prefixes_are_the_metadata_s() {
    for code in 1..1000 {
        let mut theirs = national_prefixes(code);
        theirs.sort();
        theirs.dedup();
        let ours: Vec<String> = trunk_prefix(code).map(String::from).into_iter().collect();
        assert_eq!(ours, theirs, "+{code}");
    }
}

/// No answer of ours keeps a trunk prefix inside a number that is not
/// valid, on the samples and the generated set; and the rule changes only
/// such answers of libphonenumber's, never a valid one.
#[test]
fn no_answer_keeps_a_trunk_prefix_inside_a_number_that_is_not_valid() {
    let mut cases = sample_cases();
    cases.extend(generated_cases());
    // `ours` is the "oracle" side here: what the rule makes of each answer.
    let changed = compare(&cases, false, ours_keeping_trunk_prefixes, ours);
    eprintln!(
        "the trunk prefix rule changes {} of {} answers",
        changed.len(),
        cases.len()
    );
    for d in &changed {
        let before = match &d.ours {
            Outcome::E164(e) => split_e164(e),
            _ => None,
        };
        assert!(
            before.is_some_and(|s| keeps_trunk_prefix(&s)),
            "only answers that kept a trunk prefix change: {d}"
        );
    }
    let rescued = changed.iter().filter(|d| is_valid_e164(&d.oracle)).count();
    let refused = changed
        .iter()
        .filter(|d| d.oracle == Outcome::Reject)
        .count();
    eprintln!(
        "  {refused} refused, {rescued} valid without the prefix, {} read as international",
        changed.len() - refused - rescued
    );
    for case in &cases {
        if let Outcome::E164(e) = ours(&case.raw, case.default_country.as_deref()) {
            assert!(
                !split_e164(&e).is_some_and(|s| keeps_trunk_prefix(&s)),
                "{case:?} answers {e}"
            );
        }
    }
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
