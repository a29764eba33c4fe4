//! IMPORT.md's rules through the engine's front door, `validate`, on small
//! in-memory files: file refusals, options, value checks, and arbitrary bytes.

use contact_engine::fields::{CustomField, CustomType};
use contact_engine::lookup::EmptyWorkspace;
use contact_engine::options::{ImportOptions, OptionsError, Purpose, Workspace};
use contact_engine::refusal::Refusal;
use contact_engine::{StageOut, ValidateError, Validation, validate};
use end_to_end::row_outcomes;
use proptest::prelude::*;

fn run(
    file: &[u8],
    options: &ImportOptions,
    workspace: &Workspace,
) -> Result<Validation, ValidateError> {
    validate(file, options, workspace, &EmptyWorkspace)
}

fn ec() -> Workspace {
    Workspace {
        default_country: Some("EC".into()),
        ..Default::default()
    }
}

fn refusal(file: &[u8]) -> Refusal {
    match run(file, &ImportOptions::default(), &ec()) {
        Err(ValidateError::Refused(r)) => r,
        Err(other) => panic!("not a refusal: {other}"),
        Ok(_) => panic!("the file was accepted"),
    }
}

#[test]
fn file_refusals_name_their_rule() {
    assert_eq!(refusal(b""), Refusal::NoDataRows);
    assert_eq!(refusal(b"Nombre,Celular\n"), Refusal::NoDataRows);
    assert!(matches!(
        refusal(b"Nombre,nombre\nAna,Ana\n"),
        Refusal::RepeatedHeader { .. }
    ));
    assert!(matches!(
        refusal(b"\x00\x01\x02\x03\x04\x05\x06\x07\x08"),
        Refusal::NotDelimitedText { .. }
    ));
    assert!(matches!(
        refusal(b"PK\x03\x04rest-of-a-workbook"),
        Refusal::NotDelimitedText { .. }
    ));
    let unclosed = b"Nombre,Celular,Correo\nAna,\"0991234501,a@b.ec\nLuis,0991234502,l@b.ec\n";
    assert_eq!(refusal(unclosed), Refusal::UnclosedQuote { line: 2 });
    for r in [
        Refusal::NoDataRows,
        Refusal::TooManyRows,
        Refusal::TooLarge { size: 1 },
    ] {
        assert!(r.to_string().len() > 20 && !r.code().is_empty());
    }
}

#[test]
fn options_errors_come_before_reading() {
    let file = b"Nombre,Celular\nAna,0991234501\n";
    let o = ImportOptions {
        default_country: Some("Ecuador".into()),
        ..Default::default()
    };
    assert!(matches!(
        run(file, &o, &ec()),
        Err(ValidateError::Options(OptionsError::UnknownCountry(_)))
    ));
}

#[test]
fn a_file_no_mapping_fits_says_what_to_change_and_which_headers_could() {
    let file = b"Notas,Ciudad\nx,y\n";
    let Err(ValidateError::Mapping(found)) = run(file, &ImportOptions::default(), &ec()) else {
        panic!("nothing mapped is a mapping problem");
    };
    assert_eq!(found.headers, ["Notas", "Ciudad"]);
    assert_eq!(found.problems.len(), 1);
    assert_eq!(found.problems[0].code, "nothing_mapped");
    assert_eq!(found.problems[0].candidates, ["Notas", "Ciudad"]);

    // No column for the phone: the columns holding phone numbers are the
    // candidates, the one holding most first; a column of words is not one.
    let file = "Nombre,Notas,Tel fijo,Móvil personal\n\
                Ana,hola,022345678,0991234501\n\
                Luis,adiós,,0991234502\n\
                Eva,sí,no tiene,0991234503\n";
    let Err(ValidateError::Mapping(found)) = run(file.as_bytes(), &ImportOptions::default(), &ec())
    else {
        panic!("an unmapped identifier is a mapping problem");
    };
    let problem = &found.problems[0];
    assert_eq!(problem.code, "identifier_not_mapped");
    assert!(
        problem.message.contains("phone number"),
        "{}",
        problem.message
    );
    assert_eq!(problem.candidates, ["Móvil personal", "Tel fijo"]);
    assert_eq!(
        found.mapping[0]
            .field
            .as_ref()
            .map(ToString::to_string)
            .as_deref(),
        Some("first_name")
    );
}

#[test]
fn invalid_values_make_the_row_an_error_naming_the_column() {
    let file = "Nombre;Celular;Correo;País;Idioma;Etiquetas\n\
                Ana;0991234501;ana@x.ec;Narnia;es;vip\n\
                Luis;0991234502;luis@x.ec;EC;klingon;vip\n\
                Eva;0991234503;eva@x.ec;Ecuador;Español;vip|lead\n"
        .as_bytes();
    let rows = row_outcomes(file, &ImportOptions::default(), &ec());
    assert_eq!(rows[0].0, "Error");
    assert!(
        rows[0].1.starts_with("País: \"Narnia\" is not a country"),
        "{}",
        rows[0].1
    );
    assert!(
        rows[1]
            .1
            .starts_with("Idioma: \"klingon\" is not a language"),
        "{}",
        rows[1].1
    );
    assert_eq!(rows[2], ("Imported".to_string(), String::new()));
}

#[test]
fn several_problems_are_all_told() {
    let file = b"Nombre,Celular,Correo\nAna,12,a@@b\n";
    let rows = row_outcomes(file, &ImportOptions::default(), &ec());
    assert_eq!(
        rows[0].1,
        "Celular: \"12\" is not a phone number; Correo: \"a@@b\" is not an email address"
    );
}

#[test]
fn value_length_tag_and_column_limits_are_row_errors_not_cuts() {
    let long_name = "A".repeat(256);
    let many_tags = (0..51)
        .map(|i| format!("t{i}"))
        .collect::<Vec<_>>()
        .join("|");
    let file = format!(
        "Nombre,Celular,Etiquetas\n{long_name},0991234501,\nAna,0991234502,{many_tags}\nLuis,0991234503,vip,extra\n"
    );
    let rows = row_outcomes(file.as_bytes(), &ImportOptions::default(), &ec());
    assert!(
        rows[0].1.contains("is longer than 255 characters"),
        "{}",
        rows[0].1
    );
    assert!(rows[1].1.contains("has more than 50 tags"), "{}", rows[1].1);
    assert_eq!(
        rows[2].1,
        "the row has 1 more values than the header has columns"
    );
    assert!(rows.iter().all(|r| r.0 == "Error"));
}

#[test]
fn custom_fields_are_checked_by_type() {
    let field = |key: &str, kind| CustomField {
        key: key.into(),
        label: key.into(),
        kind,
    };
    let ws = Workspace {
        custom_fields: vec![
            field("monto", CustomType::Number),
            field("fecha", CustomType::Date),
            field("activo", CustomType::Boolean),
            field("web", CustomType::Url),
            field(
                "plan",
                CustomType::List {
                    options: vec!["Básico".into(), "Pro".into()],
                },
            ),
            field("alterno", CustomType::Phone),
            field("otro_correo", CustomType::Email),
            field("notas", CustomType::Text),
        ],
        ..ec()
    };
    let file = "Nombre;Celular;Monto;Fecha;Activo;Web;Plan;Alterno;Otro_correo;Notas\n\
                Ana;0991234501;1234,50;21/11/2026;sí;loja.com.br;basico;042601234;a@b.ec;hola\n\
                Luis;0991234502;mil;31/02/2026;quizás;no es web;Gold;12;a@;ok\n"
        .as_bytes();
    let rows = row_outcomes(file, &ImportOptions::default(), &ws);
    assert_eq!(rows[0], ("Imported".to_string(), String::new()));
    let problems: Vec<&str> = rows[1].1.split("; ").collect();
    assert_eq!(problems.len(), 7, "{problems:?}");
    for column in [
        "Monto",
        "Fecha",
        "Activo",
        "Web",
        "Plan",
        "Alterno",
        "Otro_correo",
    ] {
        assert!(
            problems.iter().any(|p| p.starts_with(column)),
            "{column} in {problems:?}"
        );
    }
}

#[test]
fn assignees_must_be_users_when_the_workspace_lists_them() {
    let file =
        b"Nombre,Celular,Asignado\nAna,0991234501,maria@loja.ec\nLuis,0991234502,nadie@x.ec\n";
    let ws = Workspace {
        users: Some(vec!["MARIA@loja.ec".into(), "u_42".into()]),
        ..ec()
    };
    let rows = row_outcomes(file, &ImportOptions::default(), &ws);
    assert_eq!(rows[0].0, "Imported");
    assert_eq!(
        rows[1].1,
        "Asignado: \"nadie@x.ec\" is not a user of this workspace"
    );
}

#[test]
fn numbers_written_every_way_are_one_contact() {
    let file = b"Name,Phone\nA,+60 18-998 8776\nB,60189988776\nC,018-998 8776\n";
    let ws = Workspace {
        default_country: Some("MY".into()),
        ..Default::default()
    };
    let rows = row_outcomes(file, &ImportOptions::default(), &ws);
    let repeated = |other: u32| {
        format!("Phone: +60189988776 is on 3 rows of the file (also row {other}); keep it on one")
    };
    let said: Vec<&str> = rows.iter().map(|r| r.1.as_str()).collect();
    assert_eq!(said, [repeated(3), repeated(2), repeated(2)], "{rows:?}");
}

#[test]
fn without_a_default_country_numbers_are_read_as_international() {
    let file = b"Nome,Telefone\nAna,5511987654321\nJo,0991234501\n";
    let rows = row_outcomes(file, &ImportOptions::default(), &Workspace::default());
    assert_eq!(rows[0].0, "Imported");
    // A national number needs a country: no country code starts with 0.
    assert_eq!(rows[1].0, "Error");
}

#[test]
fn dialects_utf16_single_quotes_pipes_and_cr_line_ends() {
    let text = "\u{FEFF}Nome\tTelefone\r\nAna\t+5511987654321\r\n";
    let utf16: Vec<u8> = text.encode_utf16().flat_map(u16::to_le_bytes).collect();
    let v = run(&utf16, &ImportOptions::default(), &Workspace::default()).unwrap();
    assert_eq!(v.review.to_add, 1);
    let quoted = b"'Name'|'Phone'\r'Ana|Maria'|'+5511987654321'\r'Luis'|'+5511987654322'\r";
    let v = run(quoted, &ImportOptions::default(), &Workspace::default()).unwrap();
    let d = serde_json::to_value(v.dialect).unwrap();
    assert_eq!(
        d,
        serde_json::json!({"delimiter": "|", "enclosure": "'", "encoding": "utf-8"})
    );
    assert_eq!(v.review.to_add, 2);
}

#[test]
fn add_all_needs_no_identifier_but_still_checks_values() {
    let file = b"Nombre,Celular\nAna,\nLuis,0991234501\nEva,0991234501\nPia,12\n";
    let o = ImportOptions {
        purpose: Purpose::AddAll,
        ..Default::default()
    };
    let statuses: Vec<String> = row_outcomes(file, &o, &ec())
        .into_iter()
        .map(|r| r.0)
        .collect();
    assert_eq!(statuses, ["Imported", "Imported", "Imported", "Error"]);
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    /// Arbitrary bytes never panic the reader: they validate or are refused.
    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..2048)) {
        let _ = run(&bytes, &ImportOptions::default(), &ec());
    }

    /// Text-like bytes (delimiters, quotes, line ends, accents) never panic,
    /// and when accepted, every row gets exactly one outcome.
    #[test]
    fn delimited_noise_is_read_or_refused(
        cells in proptest::collection::vec(
            prop_oneof![
                Just("Nombre".to_string()), Just("Celular".to_string()), Just(";".to_string()),
                Just(",".to_string()), Just("\"".to_string()), Just("'".to_string()), Just("\r\n".to_string()),
                Just("\n".to_string()), Just("\r".to_string()), Just("0991234501".to_string()),
                Just("é".to_string()), "[a-z0-9@.+ ]{0,12}",
            ],
            0..200,
        )
    ) {
        let file = format!("Nombre;Celular\n{}", cells.concat());
        if let Ok(v) = run(file.as_bytes(), &ImportOptions::default(), &ec()) {
            let mut preview = Vec::new();
            v.write_files(file.as_bytes(), None, Some(&mut preview)).unwrap();
            prop_assert_eq!(v.statuses().count() as u64, v.review.rows);
        }
    }
}

/// Rows are checked in batches on several threads; merged back, the outcome
/// must be the one file order gives: the quota goes to the first new
/// contacts, a repeat across batches is caught on both rows, and every row
/// comes back once, in place.
#[test]
fn a_file_of_many_batches_is_classified_in_file_order() {
    const ROWS: usize = 5_000;
    let mut file = String::from("Nombre;Celular\n");
    for i in 0..ROWS {
        let phone = match i {
            7 | 4_321 => "0990000007".to_string(), // the same number, batches apart
            2_500 => "12".to_string(),             // impossible
            _ => format!("09{:08}", 10_000_000 + i),
        };
        file.push_str(&format!("n{i};{phone}\n"));
    }
    let workspace = Workspace {
        remaining_quota: Some(3_000),
        ..ec()
    };
    let v = run(file.as_bytes(), &ImportOptions::default(), &workspace).unwrap();
    let mut preview = Vec::new();
    v.write_files(file.as_bytes(), None, Some(&mut preview))
        .unwrap();
    let text = String::from_utf8(preview).unwrap();
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(b';')
        .from_reader(text.trim_start_matches('\u{FEFF}').as_bytes());
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    assert_eq!(rows.len(), ROWS);
    let mut created = 0;
    for (i, row) in rows.iter().enumerate() {
        assert_eq!(&row[0], format!("n{i}"), "row {i} in place");
        let expected = match i {
            7 | 4_321 | 2_500 => "Error",
            _ if created < 3_000 => {
                created += 1;
                "Imported"
            }
            _ => "Error",
        };
        assert_eq!(&row[2], expected, "row {i}: {}", &row[3]);
    }
    assert!(
        rows[4_321][3].contains("is on 2 rows"),
        "{}",
        &rows[4_321][3]
    );
    assert_eq!(
        &rows[3_003][3],
        "plan contact limit reached: no new contact can be added this month"
    );
    assert_eq!((v.review.to_add, v.review.errors), (3_000, 2_000));
}

#[test]
fn the_stage_file_is_cut_into_chunks_and_written_with_the_error_file_in_one_reading() {
    let mut file = String::from("Nombre;Celular;Correo\n");
    for n in 0..7 {
        file.push_str(&format!("Ana {n};099{:07};ana{n}@x.ec\n", 1_234_500 + n));
    }
    file.push_str("Luis;no es un número;\n");
    file.push_str("Eva;0991234500;\n"); // the first row's phone again
    let options = ImportOptions::default();
    let v = run(file.as_bytes(), &options, &ec()).expect("validates");
    let (mut stage, mut errors) = (Vec::new(), Vec::new());
    let chunks = v
        .write_stage(
            file.as_bytes(),
            &options,
            &ec(),
            4,
            StageOut {
                stage: &mut stage,
                errors: Some(&mut errors),
                rows: None,
            },
        )
        .unwrap()
        .chunks;

    // The same error file as the review's own writer gives.
    let mut expected = Vec::new();
    v.write_files(file.as_bytes(), Some(&mut expected), None)
        .unwrap();
    assert_eq!(
        String::from_utf8(errors).unwrap(),
        String::from_utf8(expected).unwrap()
    );

    // Chunks of 4 rows that cover the stage file end to end, each range
    // holding exactly its rows, in file order.
    assert_eq!(chunks.iter().map(|c| c.rows).collect::<Vec<_>>(), [4, 4, 1]);
    assert_eq!(chunks.first().unwrap().start, 0);
    assert_eq!(chunks.last().unwrap().end, stage.len() as u64);
    let mut next_row = 2;
    for pair in chunks.windows(2) {
        assert_eq!(pair[0].end, pair[1].start);
    }
    for chunk in &chunks {
        let lines = &stage[chunk.start as usize..chunk.end as usize];
        let rows: Vec<contact_engine::StagedRow> = lines
            .split(|b| *b == b'\n')
            .filter(|l| !l.is_empty())
            .map(|l| serde_json::from_slice(l).unwrap())
            .collect();
        assert_eq!(rows.len(), chunk.rows as usize);
        assert_eq!(rows[0].row, chunk.first_row);
        for row in rows {
            assert_eq!(row.row, next_row);
            next_row += 1;
        }
    }
    // Fixed errors travel as text; the others carry their contact.
    let rows: Vec<contact_engine::StagedRow> = stage
        .split(|b| *b == b'\n')
        .filter(|l| !l.is_empty())
        .map(|l| serde_json::from_slice(l).unwrap())
        .collect();
    assert!(rows[0].error.as_deref().unwrap().contains("is on 2 rows"));
    assert!(rows[7].error.as_deref().unwrap().starts_with("Celular"));
    assert_eq!(rows[1].key.as_deref(), Some("+593991234501"));
    let draft = rows[1].draft.as_ref().unwrap();
    assert_eq!(draft.email.as_deref(), Some("ana1@x.ec"));
    assert_eq!(draft.country.as_deref(), Some("EC"));
    assert_eq!(chunks.iter().map(|c| c.adds).sum::<u32>(), 6);
}
