//! The cells both are asked about: the sample files' phone columns, and a
//! deterministic generated set over every region, garbage included.

use super::*;

// ---------------------------------------------------------------------------
// Cases.

#[derive(Debug, Clone)]
pub(crate) struct Case {
    pub(crate) raw: String,
    pub(crate) default_country: Option<String>,
    /// Where the case comes from, for the report.
    pub(crate) origin: &'static str,
}

pub(crate) fn case(raw: impl Into<String>, cc: Option<&str>, origin: &'static str) -> Case {
    Case {
        raw: raw.into(),
        default_country: cc.map(str::to_string),
        origin,
    }
}

pub(crate) fn samples_dir() -> PathBuf {
    match std::env::var_os("CONTACT_IMPORT_SAMPLES") {
        Some(dir) => PathBuf::from(dir),
        // shared/ → the workspace → its parent, where `shared/samples` lives.
        None => PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/samples"),
    }
}

/// Reads one column of a sample file: decoded with `encoding` (BOM removed),
/// split with `delimiter`, the header row skipped.
pub(crate) fn sample_column(
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

pub(crate) fn sample_cases() -> Vec<Case> {
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
pub(crate) struct Rng(u64);

impl Rng {
    pub(crate) fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    pub(crate) fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
    pub(crate) fn digits(&mut self, n: usize) -> String {
        (0..n)
            .map(|_| char::from(b'0' + self.below(10) as u8))
            .collect()
    }
}

/// `digits` cut in groups of 2 to 4 joined by `sep`.
pub(crate) fn grouped(rng: &mut Rng, digits: &str, sep: &str) -> String {
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
pub(crate) fn written_international(rng: &mut Rng, cc: i32, nsn: &str) -> String {
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

pub(crate) const NUMBER_TYPES: [PhoneNumberType; 10] = [
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
pub(crate) const FOREIGN_DEFAULTS: [&str; 4] = ["EC", "BR", "MY", "US"];

/// The generated set, grouped by region so that the oracle's regex cache
/// stays warm.
pub(crate) fn generated_cases() -> Vec<Case> {
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

pub(crate) fn garbage_cases(rng: &mut Rng) -> Vec<Case> {
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
