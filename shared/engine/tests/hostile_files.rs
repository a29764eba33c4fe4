//! Hostile files through the engine, each generated in `hostile/files.rs`
//! (nothing large is committed) and held to an exact outcome: refused with
//! the documented reason, or every row accounted for with the right status
//! and message.
//!
//! Every file also goes through the fuzz targets' own checks
//! (`tests/fuzz/src/lib.rs`, compiled in below): the counts add up, the
//! preview, error, stage and result files hold one line per row in order,
//! and no output cell would run as a spreadsheet formula. The fuzzers'
//! minimized findings in `tests/fuzz/regressions/` are replayed the same way.

#[allow(dead_code)]
#[path = "../../../tests/fuzz/src/lib.rs"]
mod checks;
#[path = "hostile/files.rs"]
mod files;

use checks::{HashedHolders, Outcome, Reviewed, case_from, default_case, run};
use contact_engine::dialect::{DialectOptions, Encoding};
use contact_engine::lookup::EmptyWorkspace;
use contact_engine::options::ImportOptions;
use contact_engine::refusal::Refusal;
use files::*;

/// Runs a file with the default options in an Ecuadorian workspace.
fn outcome(file: &[u8]) -> Outcome {
    let (options, workspace) = default_case();
    run(file, &options, &workspace, &EmptyWorkspace)
}

fn outcome_with(file: &[u8], options: &ImportOptions) -> Outcome {
    let (_, workspace) = default_case();
    run(file, options, &workspace, &EmptyWorkspace)
}

fn refusal_message(file: &[u8]) -> String {
    outcome(file).refusal().to_string()
}

/// Each row's (number, status, errors) from the preview.
fn rows(reviewed: &Reviewed) -> Vec<(u64, String, String)> {
    let n = reviewed.headers.len();
    reviewed
        .staged
        .iter()
        .zip(&reviewed.preview)
        .map(|(staged, cells)| (staged.row, cells[n].clone(), cells[n + 1].clone()))
        .collect()
}

fn row(number: u64, status: &str, errors: &str) -> (u64, String, String) {
    (number, status.to_string(), errors.to_string())
}

/// The line the first `byte` of `file` is on (these files end lines in
/// `\n` or `\r\n`).
fn line_of(file: &[u8], byte: u8) -> u64 {
    let at = file.iter().position(|b| *b == byte).expect("the byte");
    file[..at].iter().filter(|b| **b == b'\n').count() as u64 + 1
}

// ---- NUL bytes ---------------------------------------------------------

#[test]
fn nul_bytes_in_a_cell_or_the_header_refuse_the_file() {
    for file in [nul_in_a_cell(), nul_in_the_header()] {
        assert_eq!(
            refusal_message(&file),
            "the file is not delimited text: it holds NUL bytes, as binary files do"
        );
    }
}

#[test]
fn a_nul_byte_past_the_first_64_kib_refuses_the_file_naming_its_line() {
    let file = nul_past_the_head();
    let line = line_of(&file, 0);
    assert!(line > 4000);
    assert_eq!(
        refusal_message(&file),
        format!("the file is not delimited text: line {line} holds NUL bytes, as binary files do")
    );
}

#[test]
fn a_nul_byte_refuses_the_file_whatever_encoding_is_declared() {
    let mut file = b"Nombre;Celular\n".to_vec();
    filler(&mut file, 200, "\n");
    file.extend_from_slice(b"A\0na;0991234501\n");
    let options = ImportOptions {
        dialect: Some(DialectOptions {
            encoding: Some(Encoding::Utf8),
            ..Default::default()
        }),
        ..Default::default()
    };
    let line = line_of(&file, 0);
    assert_eq!(
        outcome_with(&file, &options).refusal(),
        Refusal::NotDelimitedText {
            why: format!("line {line} holds NUL bytes, as binary files do")
        }
    );
}

// ---- One-megabyte cells ------------------------------------------------

#[test]
fn a_megabyte_in_an_unmapped_column_is_kept_whole() {
    let r = outcome(&megabyte_cell()).reviewed();
    assert_eq!(rows(&r), [row(2, "Imported", ""), row(3, "Imported", "")]);
    assert_eq!(r.preview[0][2].len(), MIB);
    assert_eq!(r.result[0][2].len(), MIB);
}

#[test]
fn a_megabyte_first_name_is_a_row_error_quoting_40_characters() {
    let r = outcome(&megabyte_name()).reviewed();
    let quoted = "ñ".repeat(40);
    assert_eq!(
        rows(&r),
        [
            row(
                2,
                "Error",
                &format!("Nombre: \"{quoted}…\" is longer than 255 characters")
            ),
            row(3, "Imported", ""),
        ]
    );
    assert_eq!(r.errors.len(), 1);
    assert_eq!(r.errors[0][0].len(), MIB);
}

#[test]
fn a_megabyte_of_line_breaks_stays_in_its_cell_and_the_next_row_is_row_3() {
    let r = outcome(&megabyte_of_lines()).reviewed();
    assert_eq!(rows(&r), [row(2, "Imported", ""), row(3, "Imported", "")]);
    let notes = "una línea\r\notra\nmás\r".repeat(MIB / 22);
    assert_eq!(r.preview[0][2], notes);
}

#[test]
fn a_megabyte_of_tags_is_a_row_error_in_linear_time() {
    let r = outcome(&megabyte_of_tags()).reviewed();
    assert_eq!(
        rows(&r),
        [row(
            2,
            "Error",
            "Etiquetas: \"etiqueta0,etiqueta1,etiqueta2,etiqueta3,…\" has more than 50 tags"
        )]
    );
}

#[test]
fn a_megabyte_of_digits_is_not_a_phone_number() {
    let r = outcome(&megabyte_phone()).reviewed();
    let quoted = "9".repeat(40);
    assert_eq!(
        rows(&r),
        [
            row(
                2,
                "Error",
                &format!("Celular: \"{quoted}…\" is not a phone number")
            ),
            row(3, "Imported", ""),
        ]
    );
}

// ---- 10,000 columns ------------------------------------------------------

#[test]
fn a_header_of_ten_thousand_columns_is_refused() {
    assert_eq!(
        refusal_message(&ten_thousand_columns()),
        "the header has 10000 columns; files may have at most 500"
    );
}

#[test]
fn a_row_of_ten_thousand_values_is_a_row_error_unless_the_extra_are_empty() {
    let r = outcome(&ten_thousand_values()).reviewed();
    assert_eq!(
        rows(&r),
        [
            row(
                2,
                "Error",
                "the row has 9998 more values than the header has columns"
            ),
            row(3, "Imported", ""),
        ]
    );
    // The outputs keep the header's two columns only.
    assert!(r.staged.iter().all(|s| s.cells.len() == 2));
    assert_eq!(r.errors[0].len(), 3);
}

// ---- Line ends -------------------------------------------------------------

#[test]
fn mixed_line_ends_read_every_row_numbered_as_a_spreadsheet_shows_it() {
    let r = outcome(&mixed_line_ends()).reviewed();
    assert_eq!(
        rows(&r),
        [
            row(2, "Imported", ""),
            row(3, "Imported", ""),
            row(4, "Imported", ""),
            row(6, "Error", "Celular: \"12\" is not a phone number"),
            row(8, "Imported", ""),
        ]
    );
    assert_eq!(
        r.errors[0][2],
        "Row 6: Celular: \"12\" is not a phone number"
    );
}

#[test]
fn line_breaks_inside_values_are_kept_and_do_not_count_as_rows() {
    let r = outcome(&line_breaks_in_values()).reviewed();
    assert_eq!(
        rows(&r),
        [
            row(2, "Imported", ""),
            row(3, "Imported", ""),
            row(4, "Error", "Celular: \"x\" is not a phone number"),
        ]
    );
    assert_eq!(r.preview[0][2], "uno\r\ndos");
    assert_eq!(r.preview[1][2], "tres\ncuatro\rcinco");
    assert_eq!(r.staged[1].cells[2], "tres\ncuatro\rcinco");
}

#[test]
fn an_unclosed_quote_is_refused_naming_its_line_whatever_the_line_ends() {
    for (file, line) in [
        (unclosed_quote_in_cr_lines(), 3),
        (unclosed_quote_in_crlf_lines(), 4),
    ] {
        assert_eq!(outcome(&file).refusal(), Refusal::UnclosedQuote { line });
    }
}

// ---- Invalid UTF-8 -----------------------------------------------------------

#[test]
fn invalid_utf8_in_a_utf8_file_is_refused_naming_its_line() {
    assert_eq!(
        refusal_message(&invalid_utf8_after_accents()),
        "line 4 holds bytes that are not valid UTF-8; save the file as UTF-8 and upload it again"
    );
    let file = invalid_utf8_past_the_head();
    let line = line_of(&file, 0xFF);
    assert!(line > 4000);
    assert_eq!(
        outcome(&file).refusal(),
        Refusal::Undecodable {
            line,
            encoding: "UTF-8"
        }
    );
}

#[test]
fn a_windows_1252_accent_in_plain_ascii_reads_as_windows_1252() {
    let r = outcome(&windows_1252_accent_in_ascii()).reviewed();
    assert_eq!(r.dialect.encoding, Encoding::Windows1252);
    assert_eq!(r.preview[1][0], "Béatriz");
    assert_eq!(rows(&r), [row(2, "Imported", ""), row(3, "Imported", "")]);
}

#[test]
fn a_windows_1252_accent_as_the_last_byte_reads_as_windows_1252() {
    let r = outcome(&windows_1252_accent_last()).reviewed();
    assert_eq!(r.dialect.encoding, Encoding::Windows1252);
    let last = r.preview.last().unwrap();
    assert_eq!(last[..3], ["Luis", "0991234501", "Bogotá"]);
    let lines = windows_1252_accent_last()
        .iter()
        .filter(|b| **b == b'\n')
        .count();
    assert_eq!(r.review.rows, lines as u64);
    assert_eq!(r.review.to_add, r.review.rows);
}

// ---- UTF-16 without a BOM -------------------------------------------------

#[test]
fn utf16_without_a_bom_reads_in_either_byte_order() {
    for (file, encoding) in [
        (utf16le_without_bom(), Encoding::Utf16Le),
        (utf16be_without_bom(), Encoding::Utf16Be),
    ] {
        let r = outcome(&file).reviewed();
        assert_eq!(r.dialect.encoding, encoding);
        assert_eq!(r.headers, ["Nombre", "Celular", "Ciudad"]);
        assert_eq!(
            r.preview,
            [
                ["José", "0991234501", "São Paulo", "Imported", ""],
                ["María", "0991234502", "Bogotá", "Imported", ""],
            ]
        );
    }
}

#[test]
fn utf16_cut_in_the_middle_of_a_character_is_refused_naming_its_line() {
    assert_eq!(
        outcome(&utf16le_cut_short()).refusal(),
        Refusal::Undecodable {
            line: 4,
            encoding: "UTF-16LE"
        }
    );
}

// ---- Formula-looking cells -------------------------------------------------

#[test]
fn formula_looking_cells_are_escaped_in_every_file() {
    let r = outcome(&formula_cells()).reviewed();
    assert_eq!(
        r.headers,
        [
            "Nombre", "Apellido", "Celular", "=Correo", "Notas", "@Extra"
        ]
    );
    let bad_email = "'=Correo: \"-bad@@x\" is not an email address";
    assert_eq!(
        r.preview,
        [
            vec![
                "'=HYPERLINK(\"http://x.example\",\"y\")",
                "'+Perez",
                "0991234501",
                "ana@x.com",
                "'=cmd|' /C calc'!A0",
                "'@SUM(1+1)",
                "Imported",
                "",
            ],
            vec![
                "'\tTab",
                "'-Lopez",
                "'+593 99 123 4502",
                "'-bad@@x",
                "'\rcr",
                "'-1+2",
                "Error",
                bad_email,
            ],
            // Plain numbers, an E.164 phone among them, are left alone.
            vec![
                "Eva",
                "Ruiz",
                "+593991234503",
                "eva@x.com",
                "-12.5",
                "+7",
                "Imported",
                "",
            ],
        ]
    );
    assert_eq!(r.errors.len(), 1);
    assert_eq!(r.errors[0][..6], r.preview[1][..6]);
    assert_eq!(
        r.errors[0][6],
        "Row 3: =Correo: \"-bad@@x\" is not an email address"
    );
    assert_eq!(r.result[2][..6], r.preview[2][..6]);
    // The header row of every file escapes the same way.
    for file in &r.raw_files {
        let text = String::from_utf8(file.clone()).unwrap();
        assert!(text.starts_with("\u{FEFF}Nombre,Apellido,Celular,'=Correo,Notas,'@Extra,"));
    }
}

// ---- Every file, every option set --------------------------------------

/// Each file above through the `options` target's case under the option
/// bytes `tests/fuzz/smoke.sh` seeds it with (other purposes, identifiers,
/// declared dialects, a quota, a mapping by hand): whatever the outcome, the
/// fuzz checks hold.
#[test]
fn every_hostile_file_keeps_the_fuzz_properties_under_other_options() {
    let selectors: [&[u8]; 3] = [
        b"\x02\x00\x01\x80\x00\x00\x00\x00",
        b"\x00\x02\x02\x80\x01\x13\x01\x00",
        b"\x01\x53\x03\x03\x00\x00\x02\x00",
    ];
    for (name, file) in all_files() {
        for selector in selectors {
            let input = [selector, file.as_slice()].concat();
            let (options, workspace, data) = case_from(&input);
            // A panic here names neither; say which.
            eprintln!("{name} with {selector:?}");
            run(data, &options, &workspace, &HashedHolders);
        }
    }
}

// ---- Findings ------------------------------------------------------------

/// Replays the fuzzers' minimized findings: `engine-*` files through the
/// `engine` target's case, `options-*` through the `options` target's.
#[test]
fn fuzz_regressions_replay_clean() {
    let folder = concat!(env!("CARGO_MANIFEST_DIR"), "/../../tests/fuzz/regressions");
    for entry in std::fs::read_dir(folder).expect("the regressions folder") {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        if name.starts_with("engine-") {
            outcome(&std::fs::read(&path).unwrap());
        } else if name.starts_with("options-") {
            let input = std::fs::read(&path).unwrap();
            let (options, workspace, file) = case_from(&input);
            run(file, &options, &workspace, &HashedHolders);
        }
    }
}
