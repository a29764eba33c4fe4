//! Every sample file, its outcomes asserted row by row: against an empty
//! workspace, and against one that already holds some of its contacts.

use contact_engine::lookup::{EmptyWorkspace, KnownContacts};
use contact_engine::options::{Identifier, ImportOptions, Purpose, Workspace};
use end_to_end::{PreviewRow, preview, sample};

fn in_country(code: &str) -> Workspace {
    Workspace {
        default_country: Some(code.into()),
        ..Default::default()
    }
}

/// (first value, status, errors) of each row.
fn outcomes(rows: &[PreviewRow]) -> Vec<(&str, &str, &str)> {
    rows.iter()
        .map(|r| (r.first.as_str(), r.status.as_str(), r.errors.as_str()))
        .collect()
}

#[test]
fn ecuador_windows_1252_semicolons_national_numbers() {
    let (summary, rows) = preview(
        &sample("clientes-ecuador.csv"),
        &ImportOptions::default(),
        &in_country("EC"),
        &EmptyWorkspace,
    );
    let d = serde_json::to_value(summary.dialect).unwrap();
    assert_eq!(
        d,
        serde_json::json!({"delimiter": ";", "enclosure": "\"", "encoding": "windows-1252"})
    );
    assert_eq!(
        summary.headers,
        [
            "Nombre",
            "Apellido",
            "Celular",
            "Correo",
            "Etiquetas",
            "Empresa"
        ]
    );
    let repeated = |other: u32| {
        format!(
            "Celular: +593991234501 is on 2 rows of the file (also row {other}); keep it on one"
        )
    };
    assert_eq!(
        outcomes(&rows),
        [
            ("María José", "Error", repeated(10).as_str()),
            ("Raúl", "Imported", ""),
            ("Inés", "Imported", ""),
            ("Óscar", "Imported", ""),
            ("Ximena", "Imported", ""),
            (
                "",
                "Error",
                "Nombre: empty, but a new contact needs a first name"
            ),
            ("Tomás", "Error", "Celular: \"12345\" is not a phone number"),
            (
                "Diana",
                "Error",
                "Correo: \"diana@@correo\" is not an email address"
            ),
            ("Jorge", "Error", repeated(2).as_str()),
            (
                "Lucía",
                "Error",
                "Celular: empty, but the phone number identifies each contact"
            ),
        ]
    );
    let r = summary.review;
    assert_eq!(
        (r.rows, r.to_add, r.to_update, r.to_skip, r.errors),
        (10, 4, 0, 0, 6)
    );
}

#[test]
fn ecuador_against_a_workspace_that_has_some_of_them() {
    let mut known = KnownContacts::default();
    known
        .add(Identifier::Phone, "+593991234502", "c_raul")
        .add(Identifier::Phone, "+593991234503", "c_ines_1")
        .add(Identifier::Phone, "+593991234503", "c_ines_2");
    let path = sample("clientes-ecuador.csv");
    let (summary, rows) = preview(&path, &ImportOptions::default(), &in_country("EC"), &known);
    assert_eq!(rows[1].status, "Updated");
    assert_eq!(rows[2].status, "Error");
    assert_eq!(
        rows[2].errors,
        "Celular: +593991234503 belongs to 2 contacts; merge them first"
    );
    assert_eq!(rows[3].status, "Imported");
    assert_eq!(
        (
            summary.review.to_add,
            summary.review.to_update,
            summary.review.errors
        ),
        (2, 1, 7)
    );

    let add_new = ImportOptions {
        purpose: Purpose::AddNew,
        ..Default::default()
    };
    let (_, rows) = preview(&path, &add_new, &in_country("EC"), &known);
    assert_eq!(
        (rows[1].status.as_str(), rows[1].errors.as_str()),
        (
            "Skipped",
            "Celular: a contact with +593991234502 already exists"
        )
    );

    let update = ImportOptions {
        purpose: Purpose::UpdateExisting,
        ..Default::default()
    };
    let (summary, rows) = preview(&path, &update, &in_country("EC"), &known);
    assert_eq!(rows[1].status, "Updated");
    assert_eq!(
        (rows[3].status.as_str(), rows[3].errors.as_str()),
        ("Skipped", "Celular: no contact has +593991234504")
    );
    // An update needs no first name: the nameless row is skipped, not an error.
    assert_eq!(rows[5].status, "Skipped");
    assert_eq!((summary.review.to_update, summary.review.to_skip), (1, 3));

    let quota = Workspace {
        remaining_quota: Some(1),
        ..in_country("EC")
    };
    let (_, rows) = preview(&path, &ImportOptions::default(), &quota, &known);
    assert_eq!(rows[3].status, "Imported");
    assert_eq!(
        (rows[4].status.as_str(), rows[4].errors.as_str()),
        (
            "Error",
            "plan contact limit reached: no new contact can be added this month"
        )
    );
}

#[test]
fn ecuador_identified_by_email() {
    let by_email = ImportOptions {
        identifier: Identifier::Email,
        ..Default::default()
    };
    let mut known = KnownContacts::default();
    known.add(Identifier::Email, "oscar@correo.ec", "c_oscar");
    let (_, rows) = preview(
        &sample("clientes-ecuador.csv"),
        &by_email,
        &in_country("EC"),
        &known,
    );
    // Upper-case OSCAR@CORREO.EC matches the stored lower-case address.
    assert_eq!(rows[3].status, "Updated");
    // Jorge's repeated phone is no longer an identifier clash.
    assert_eq!(rows[8].status, "Imported");
    // Lucía has an email, so her empty phone is fine.
    assert_eq!(rows[9].status, "Imported");
}

#[test]
fn brazil_utf8_bom_portuguese_headers_13_digit_numbers() {
    let (summary, rows) = preview(
        &sample("contatos-brasil.txt"),
        &ImportOptions::default(),
        &in_country("BR"),
        &EmptyWorkspace,
    );
    assert_eq!(
        summary.headers,
        ["Nome", "Telefone", "E-mail", "Cidade", "Empresa"]
    );
    let mapped: Vec<Option<String>> = summary
        .mapping
        .iter()
        .map(|m| m.field.as_ref().map(|f| f.to_string()))
        .collect();
    assert_eq!(
        mapped,
        [
            Some("first_name".into()),
            Some("phone".into()),
            Some("email".into()),
            None,
            None
        ]
    );
    let repeated = |other: u32| {
        format!(
            "Telefone: +5511987650101 is on 2 rows of the file (also row {other}); keep it on one"
        )
    };
    assert_eq!(
        outcomes(&rows),
        [
            ("Ana Paula", "Error", repeated(6).as_str()),
            ("João", "Imported", ""),
            ("Conceição", "Imported", ""),
            ("Thiago", "Imported", ""),
            ("Fernanda", "Error", repeated(2).as_str()),
            ("Luíza", "Error", "Telefone: \"5599\" is not a phone number"),
        ]
    );
}

#[test]
fn malaysia_respond_io_export() {
    let (summary, rows) = preview(
        &sample("contacts-malaysia.csv"),
        &ImportOptions::default(),
        &in_country("MY"),
        &EmptyWorkspace,
    );
    assert_eq!(
        outcomes(&rows),
        [
            ("Siti", "Imported", ""),
            ("Ahmad", "Imported", ""),
            ("Wei", "Imported", ""),
            ("Priya", "Imported", ""),
            (
                "Contact",
                "Error",
                "Phone Number: empty, but the phone number identifies each contact"
            ),
        ]
    );
    assert_eq!(summary.review.to_add, 4);
    // The same export as add_all: no identifier, so the row without a phone is created too.
    let add_all = ImportOptions {
        purpose: Purpose::AddAll,
        ..Default::default()
    };
    let (summary, _) = preview(
        &sample("contacts-malaysia.csv"),
        &add_all,
        &in_country("MY"),
        &EmptyWorkspace,
    );
    assert_eq!((summary.review.to_add, summary.review.errors), (5, 0));
}

#[test]
fn broadcast_failures_reimported_by_contact_id() {
    let options = ImportOptions {
        purpose: Purpose::UpdateExisting,
        identifier: Identifier::ContactId,
        tags: vec!["failed-broadcast".into()],
        ..Default::default()
    };
    let mut known = KnownContacts::default();
    known.add(Identifier::ContactId, "c_0001", "c_0001").add(
        Identifier::ContactId,
        "c_0002",
        "c_0002",
    );
    let (summary, rows) = preview(
        &sample("broadcast-failed-messages.csv"),
        &options,
        &Workspace::default(),
        &known,
    );
    let mapped: Vec<&str> = summary
        .mapping
        .iter()
        .filter(|m| m.field.is_some())
        .map(|m| m.column.as_str())
        .collect();
    assert_eq!(mapped, ["Contact ID"], "every other column is skipped");
    let statuses: Vec<(&str, &str)> = rows
        .iter()
        .map(|r| (r.status.as_str(), r.errors.as_str()))
        .collect();
    assert_eq!(
        statuses,
        [
            ("Updated", ""),
            ("Updated", ""),
            ("Skipped", "Contact ID: no contact has c_9999")
        ]
    );
}
