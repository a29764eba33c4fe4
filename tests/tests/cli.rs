//! `contacts validate`, the offline dry run, as a user runs it.

use std::path::Path;
use std::process::ExitCode;

use end_to_end::sample;

fn run(args: &[&str]) -> (ExitCode, String, String) {
    let (mut out, mut err) = (Vec::new(), Vec::new());
    let code = contacts::run(
        std::iter::once("contacts").chain(args.iter().copied()),
        &mut out,
        &mut err,
    );
    (
        code,
        String::from_utf8(out).unwrap(),
        String::from_utf8(err).unwrap(),
    )
}

fn scratch(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("contacts-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir.join(name)
}

#[test]
fn prints_the_review_shaped_like_the_api_and_writes_the_files() {
    let file = sample("clientes-ecuador.csv");
    let (errors, preview) = (scratch("errors.csv"), scratch("preview.csv"));
    let (code, out, err) = run(&[
        "validate",
        file.to_str().unwrap(),
        "--default-country",
        "EC",
        "--errors",
        errors.to_str().unwrap(),
        "--preview",
        preview.to_str().unwrap(),
    ]);
    assert_eq!(code, ExitCode::SUCCESS, "{err}");
    let json: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(json["dialect"]["encoding"], "windows-1252");
    assert_eq!(json["headers"][2], "Celular");
    assert_eq!(
        json["mapping"][2],
        serde_json::json!({"column": "Celular", "field": "phone", "overwrite": true})
    );
    assert_eq!(json["mapping"][5]["field"], serde_json::Value::Null);
    assert_eq!(
        json["review"],
        serde_json::json!({"rows": 10, "to_add": 4, "to_update": 0, "to_skip": 0, "errors": 6})
    );

    let errors = std::fs::read_to_string(&errors).unwrap();
    let lines: Vec<&str> = errors.lines().collect();
    assert_eq!(
        lines[0],
        "\u{FEFF}Nombre;Apellido;Celular;Correo;Etiquetas;Empresa;Error"
    );
    assert_eq!(lines.len(), 1 + 6, "the header and the six rows in error");
    assert!(lines[1].starts_with("María José;Cevallos;0991234501;"));
    assert!(
        lines[1].ends_with(
            ";\"Row 2: Celular: +593991234501 is on 2 rows of the file (also row 10); keep it on one\""
        ),
        "{}",
        lines[1]
    );
    assert!(
        lines[6].ends_with(";Row 11: Celular: empty, but the phone number identifies each contact"),
        "{}",
        lines[6]
    );
    assert_eq!(
        std::fs::read_to_string(&preview).unwrap().lines().count(),
        11
    );
}

#[test]
fn a_refused_file_exits_non_zero_with_the_reason_and_writes_nothing() {
    let empty = scratch("empty.csv");
    std::fs::write(&empty, "Nombre;Celular\r\n").unwrap();
    let errors = scratch("never.csv");
    let (code, out, err) = run(&[
        "validate",
        empty.to_str().unwrap(),
        "--errors",
        errors.to_str().unwrap(),
    ]);
    assert_eq!(code, ExitCode::from(2));
    assert!(out.is_empty());
    assert!(err.contains("no data rows"), "{err}");
    assert!(!Path::new(&errors).exists());
    assert!(!errors.with_file_name("never.csv.partial").exists());

    // A zip archive that is no workbook, whatever its name.
    let workbook = scratch("contacts.csv");
    std::fs::write(&workbook, b"PK\x03\x04\x14\x00\x06\x00").unwrap();
    let (code, _, err) = run(&["validate", workbook.to_str().unwrap()]);
    assert_eq!(code, ExitCode::from(2));
    assert!(
        err.contains("the spreadsheet cannot be read") && err.contains("CSV UTF-8"),
        "{err}"
    );
}

#[test]
fn options_are_checked() {
    let file = sample("contacts-malaysia.csv");
    let f = file.to_str().unwrap();
    let (code, _, err) = run(&["validate", f, "--identifier", "contact_id"]);
    assert_eq!(code, ExitCode::from(2));
    assert!(err.contains("update_existing"), "{err}");
    let (code, _, err) = run(&["validate", f, "--purpose", "merge"]);
    assert_eq!(code, ExitCode::from(2));
    assert!(err.contains("--purpose"), "{err}");
    let (code, _, err) = run(&[
        "validate",
        f,
        "--mapping",
        r#"[{"column":"Email","field":"email"}]"#,
    ]);
    assert_eq!(code, ExitCode::from(2));
    assert!(
        err.contains("phone number, which identifies each contact"),
        "{err}"
    );
    let (code, out, _) = run(&[
        "validate",
        f,
        "--default-country",
        "MY",
        "--identifier",
        "email",
        "--delimiter",
        ",",
    ]);
    assert_eq!(code, ExitCode::SUCCESS);
    let json: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(json["review"]["to_add"], 5);
    let (code, _, err) = run(&["validate", "/no/such/file.csv"]);
    assert_eq!(code, ExitCode::from(1));
    assert!(err.contains("/no/such/file.csv"), "{err}");
}

#[test]
fn the_example_file_validates() {
    let example = Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/clientes.csv");
    let (code, out, err) = run(&[
        "validate",
        example.to_str().unwrap(),
        "--default-country",
        "EC",
    ]);
    assert_eq!(code, ExitCode::SUCCESS, "{err}");
    let json: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert!(json["review"]["rows"].as_u64().unwrap() >= 10);
}
