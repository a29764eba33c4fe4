//! Files shaped exactly as the tools people export from write them
//! (`tests/files/exports/`, sources in docs/HEADERS.md), through the
//! engine's front door: each column mapped as the tool means it, the mobile
//! phone chosen over the others and the mapping saying so, several values
//! in one cell read as the first, and every row's contact checked.

use std::path::PathBuf;

use contact_engine::lookup::EmptyWorkspace;
use contact_engine::options::{ImportOptions, MappingEntry, Workspace};
use contact_engine::{StageOut, StagedRow, validate};

fn export(name: &str) -> Vec<u8> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("files/exports")
        .join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn in_country(code: &str) -> Workspace {
    Workspace {
        default_country: Some(code.into()),
        ..Default::default()
    }
}

/// The mapping the file got by itself, and its staged rows.
fn imported(name: &str, workspace: &Workspace) -> (Vec<MappingEntry>, Vec<StagedRow>) {
    let file = export(name);
    let options = ImportOptions::default();
    let validation = validate(&file[..], &options, workspace, &EmptyWorkspace)
        .unwrap_or_else(|e| panic!("{name}: {e}"));
    let mut stage = Vec::new();
    validation
        .write_stage(
            &file[..],
            &options,
            workspace,
            100,
            StageOut {
                stage: &mut stage,
                errors: None,
                rows: None,
            },
        )
        .unwrap();
    let rows = stage
        .split(|b| *b == b'\n')
        .filter(|l| !l.is_empty())
        .map(|l| serde_json::from_slice(l).unwrap())
        .collect();
    (validation.summary().mapping, rows)
}

/// (column, field) of every mapped column.
fn mapped(mapping: &[MappingEntry]) -> Vec<(&str, String)> {
    mapping
        .iter()
        .filter_map(|e| Some((e.column.as_str(), e.field.as_ref()?.to_string())))
        .collect()
}

fn note<'m>(mapping: &'m [MappingEntry], column: &str) -> &'m str {
    mapping
        .iter()
        .find(|e| e.column == column)
        .and_then(|e| e.note.as_deref())
        .unwrap_or("")
}

/// A row's (first name, phone, email, tags), or its error.
type Outcome = Result<(String, String, String, Vec<String>), String>;

/// Each row's outcome.
fn contacts(rows: &[StagedRow]) -> Vec<Outcome> {
    rows.iter()
        .map(|r| match (&r.draft, &r.error) {
            (Some(d), None) => Ok((
                d.first_name.clone().unwrap_or_default(),
                d.phone.clone().unwrap_or_default(),
                d.email.clone().unwrap_or_default(),
                d.tags.clone(),
            )),
            (_, error) => Err(error.clone().unwrap_or_default()),
        })
        .collect()
}

fn ok(first: &str, phone: &str, email: &str, tags: &[&str]) -> Outcome {
    Ok((
        first.into(),
        phone.into(),
        email.into(),
        tags.iter().map(|t| t.to_string()).collect(),
    ))
}

#[test]
fn a_google_contacts_export_imports_with_its_first_phone_email_and_labels() {
    let (mapping, rows) = imported("google-contacts.csv", &in_country("EC"));
    assert_eq!(
        mapped(&mapping),
        [
            ("First Name", "first_name".to_string()),
            ("Last Name", "last_name".to_string()),
            ("Labels", "tags".to_string()),
            ("E-mail 1 - Value", "email".to_string()),
            ("Phone 1 - Value", "phone".to_string()),
        ]
    );
    assert!(note(&mapping, "Phone 1 - Value").starts_with("chosen over Phone 2 - Value"));
    assert_eq!(
        contacts(&rows),
        [
            // ` ::: ` joins a contact's phones: the first is kept; Google's
            // all-contacts group is no tag.
            ok("María", "+593991234501", "maria@example.com", &["Clientes"]),
            // A bracketed country code; a starred group keeps its name.
            ok("João", "+5511987654329", "joao@example.com", &["starred"]),
            ok("Ana", "+593991234503", "", &[]),
        ]
    );
}

#[test]
fn googles_older_export_takes_the_given_name_not_the_whole_name() {
    let (mapping, rows) = imported("google-contacts-legacy.csv", &in_country("EC"));
    assert_eq!(
        mapped(&mapping),
        [
            ("Given Name", "first_name".to_string()),
            ("Family Name", "last_name".to_string()),
            ("Group Membership", "tags".to_string()),
            ("E-mail 1 - Value", "email".to_string()),
            ("Phone 1 - Value", "phone".to_string()),
        ]
    );
    assert_eq!(
        note(&mapping, "Given Name"),
        "chosen over Name: a first name over a whole name"
    );
    assert_eq!(
        contacts(&rows),
        [
            ok(
                "María José",
                "+593991234501",
                "mj@example.com",
                &["Clientes VIP"]
            ),
            ok("Pedro", "+593991234502", "", &[]),
        ]
    );
}

#[test]
fn outlook_exports_in_english_spanish_and_portuguese_take_the_mobile_phone() {
    let (mapping, rows) = imported("outlook.csv", &in_country("EC"));
    assert_eq!(
        mapped(&mapping),
        [
            ("First Name", "first_name".to_string()),
            ("Last Name", "last_name".to_string()),
            ("E-mail Address", "email".to_string()),
            ("Mobile Phone", "phone".to_string()),
            ("Categories", "tags".to_string()),
        ]
    );
    assert_eq!(
        note(&mapping, "Mobile Phone"),
        "chosen over Primary Phone, Home Phone, Business Phone: a mobile number is the one messages reach"
    );
    assert_eq!(
        contacts(&rows),
        [
            ok(
                "Lucía",
                "+593991234505",
                "lucia@example.com",
                &["Clientes", "Feria"]
            ),
            ok("Rui", "+351912345678", "rui@example.com", &[]),
        ]
    );

    let (mapping, rows) = imported("outlook-es.csv", &in_country("EC"));
    assert_eq!(
        mapped(&mapping),
        [
            ("Nombre", "first_name".to_string()),
            ("Apellidos", "last_name".to_string()),
            ("Dirección de correo electrónico", "email".to_string()),
            ("Teléfono móvil", "phone".to_string()),
            ("Categorías", "tags".to_string()),
        ]
    );
    assert_eq!(
        contacts(&rows),
        [ok(
            "Íñigo",
            "+593991234506",
            "inigo@example.com",
            &["Proveedores"]
        )]
    );

    let (mapping, rows) = imported("outlook-pt.csv", &in_country("BR"));
    assert_eq!(
        mapped(&mapping),
        [
            ("Nome", "first_name".to_string()),
            ("Sobrenome", "last_name".to_string()),
            ("Endereço de email", "email".to_string()),
            ("Telefone celular", "phone".to_string()),
            ("Categorias", "tags".to_string()),
        ]
    );
    assert_eq!(
        contacts(&rows),
        [ok(
            "Conceição",
            "+5511987650107",
            "conceicao@example.com",
            &["Clientes"]
        )]
    );
}

#[test]
fn a_hubspot_export_takes_the_mobile_phone_number_and_the_owner() {
    let (mapping, rows) = imported("hubspot.csv", &in_country("BR"));
    assert_eq!(
        mapped(&mapping),
        [
            ("First Name", "first_name".to_string()),
            ("Last Name", "last_name".to_string()),
            ("Email", "email".to_string()),
            ("Mobile Phone Number", "phone".to_string()),
            ("Contact owner", "assignee".to_string()),
        ]
    );
    assert_eq!(
        contacts(&rows),
        [ok("Carla", "+5521998760109", "carla@example.com", &[])]
    );
}

#[test]
fn an_excel_file_with_a_separator_line_is_read_by_it_and_scientific_numbers_say_why() {
    let (mapping, rows) = imported("excel-sep-line.csv", &in_country("EC"));
    assert_eq!(
        mapped(&mapping),
        [
            ("Nombre", "first_name".to_string()),
            ("Celular", "phone".to_string()),
            ("Correo", "email".to_string()),
        ]
    );
    assert_eq!(rows.iter().map(|r| r.row).collect::<Vec<_>>(), [2, 3]);
    let contacts = contacts(&rows);
    assert_eq!(
        contacts[0],
        ok("Óscar", "+593991234510", "oscar@example.com", &[])
    );
    let ximena = contacts[1].clone().unwrap_err();
    assert!(
        ximena.contains("Excel wrote in scientific notation")
            && ximena.contains("format the column as Text"),
        "{ximena}"
    );
}

#[test]
fn a_whatsapp_tool_s_country_code_column_reads_each_row_s_phone() {
    // Interakt's contact upload: the calling code without `+` in `Country
    // Code`, the number without it in `Phone Number`, consent in `WhatsApp
    // Opted` (never mapped, nor suggested as the phone).
    let (mapping, rows) = imported("interakt.csv", &in_country("EC"));
    assert_eq!(
        mapped(&mapping),
        [
            ("Name", "first_name".to_string()),
            ("Country Code", "country".to_string()),
            ("Phone Number", "phone".to_string()),
            ("Email", "email".to_string()),
        ]
    );
    let opted = mapping
        .iter()
        .find(|e| e.column == "WhatsApp Opted")
        .unwrap();
    assert_eq!((&opted.field, &opted.suggestion), (&None, &None));
    assert_eq!(
        contacts(&rows),
        [
            ok("Asha Rao", "+919876543210", "asha@example.com", &[]),
            ok("Luis Vera", "+593991234520", "", &[]),
        ]
    );
    let countries: Vec<_> = rows
        .iter()
        .map(|r| r.draft.as_ref().unwrap().country.clone())
        .collect();
    assert_eq!(countries, [Some("IN".into()), Some("EC".into())]);
}

#[test]
fn a_respond_io_style_export_maps_by_its_field_names() {
    let (mapping, rows) = imported("respondio.csv", &in_country("EC"));
    assert_eq!(
        mapped(&mapping),
        [
            ("id", "contact_id".to_string()),
            ("firstName", "first_name".to_string()),
            ("lastName", "last_name".to_string()),
            ("phone", "phone".to_string()),
            ("email", "email".to_string()),
            ("language", "language".to_string()),
            ("countryCode", "country".to_string()),
            ("assignee", "assignee".to_string()),
            ("tags", "tags".to_string()),
        ]
    );
    assert_eq!(
        contacts(&rows),
        [
            ok(
                "María",
                "+593991234521",
                "maria@example.com",
                &["vip", "feria"]
            ),
            ok("Siti", "+60189988777", "", &[]),
        ]
    );
}

#[test]
fn an_icloud_export_through_a_vcard_converter_takes_the_iphone_number() {
    let (mapping, rows) = imported("icloud-vcard-converter.csv", &in_country("BR"));
    assert_eq!(
        mapped(&mapping),
        [
            ("First Name", "first_name".to_string()),
            ("Last Name", "last_name".to_string()),
            ("Phone (iPhone)", "phone".to_string()),
            ("Email (Home)", "email".to_string()),
        ]
    );
    assert!(note(&mapping, "Phone (iPhone)").contains("Phone (Home)"));
    assert_eq!(
        contacts(&rows),
        [ok("João", "+5511998760111", "joao@example.com", &[])]
    );
}
