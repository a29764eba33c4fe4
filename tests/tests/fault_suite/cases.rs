//! The four imports the suite runs, one per purpose, each with its file,
//! its known contacts and its options.

use super::*;

// ---- The imports ---------------------------------------------------------

/// One import and its workspace.
#[derive(Clone)]
pub(crate) struct Case {
    /// The workspace, which also names the case.
    pub(crate) ws: &'static str,
    pub(crate) file_name: &'static str,
    pub(crate) delimiter: u8,
    pub(crate) bytes: Vec<u8>,
    pub(crate) options: Value,
    /// Contacts the workspace has before the import, as a comma-separated
    /// file imported with `add_all` (so two may share a phone).
    pub(crate) known: Vec<String>,
    pub(crate) contact_limit: Option<u64>,
    /// The identifier in force, which the import keeps unique (`None` for
    /// `add_all`).
    pub(crate) unique: Option<Identifier>,
}

/// `+593 99 …`: phones of case `base`, distinct for each `n` below 10^6.
pub(crate) fn phone(base: u32, n: u32) -> String {
    ec_phone(base + n)
}

/// The same phone as an Ecuadorian writes it at home: `099 123 4567`.
pub(crate) fn local_phone(base: u32, n: u32) -> String {
    let digits = format!("{:07}", base + n);
    format!("099 {} {}", &digits[..3], &digits[3..])
}

pub(crate) const KNOWN_HEADER: &str = "First Name,Last Name,Phone,Email,Tags";

/// `add_new` by phone, comma-separated UTF-8: new contacts, known phones
/// (skipped), rows without a first name, with an invalid email, a phone
/// repeated on two rows or none at all (errors).
pub(crate) fn add_new() -> Case {
    let base = 1_000_000;
    let mut lines = vec!["Ref,Nombre,Apellido,Teléfono,Correo,Etiquetas".to_string()];
    let mut known = vec![KNOWN_HEADER.to_string()];
    for i in 0..ROWS {
        let phone = if i % 301 == 150 {
            String::new()
        } else if i % 211 == 5 {
            phone(base, i - 1)
        } else {
            phone(base, i)
        };
        if i % 50 == 7 {
            known.push(format!(
                "Conocida {i},Antes,{phone},k{i}@ejemplo.com,antigua"
            ));
        }
        let first = if i % 97 == 3 {
            String::new()
        } else {
            format!("Ana {i}")
        };
        let email = if i % 89 == 11 {
            format!("correo-{i}-sin-arroba")
        } else {
            format!("a{i}@ejemplo.com")
        };
        let tags = if i % 5 == 0 { "vip;nuevo" } else { "" };
        lines.push(format!("R{i},{first},Apellido {i},{phone},{email},{tags}"));
    }
    Case {
        ws: "suite-add-new",
        file_name: "nuevos.csv",
        delimiter: b',',
        bytes: file(&lines),
        options: json!({"purpose": "add_new", "tags": ["feria"]}),
        known,
        contact_limit: None,
        unique: Some(Identifier::Phone),
    }
}

/// `update_existing` by email, semicolon-separated Windows-1252 with an
/// explicit mapping (the last name only filled where empty; the first name
/// and phone replaced, an empty cell clearing them) and tags added to the
/// contact's: a third of the rows update a known contact, some moving its
/// phone claim to another number or dropping it; the rest are skipped, or
/// errors (an invalid or a repeated email).
pub(crate) fn update_existing() -> Case {
    let base = 2_000_000;
    let mut lines = vec!["Ref;Nombre;Apellido;Correo;Teléfono;Ciudad".to_string()];
    let mut known = vec![KNOWN_HEADER.to_string()];
    for i in 0..ROWS {
        let email = if i % 211 == 5 {
            format!("b{}@exemplo.com.br", i - 1)
        } else if i % 97 == 3 {
            "não-é-email".to_string()
        } else {
            format!("b{i}@exemplo.com.br")
        };
        if i % 3 == 0 {
            // A quarter of them had another phone.
            let before = if i % 4 == 0 {
                phone(base, 500_000 + i)
            } else {
                phone(base, i)
            };
            let last = if i % 9 == 0 {
                String::new()
            } else {
                format!("Anterior {i}")
            };
            known.push(format!(
                "Semente,{last},{before},b{i}@exemplo.com.br,antigo"
            ));
        }
        let last = if i % 7 == 0 {
            String::new()
        } else {
            format!("Conceição {i}")
        };
        let phone = if i % 5 == 0 {
            String::new()
        } else {
            phone(base, i)
        };
        lines.push(format!("R{i};João {i};{last};{email};{phone};São Paulo"));
    }
    let text = lines.join("\n") + "\n";
    let column = |name: &str, field: Value, overwrite: bool| json!({"column": name, "field": field, "overwrite": overwrite});
    Case {
        ws: "suite-update",
        file_name: "atualizar.csv",
        delimiter: b';',
        bytes: windows_1252(&text),
        options: json!({
            "purpose": "update_existing",
            "identifier": "email",
            "overwrite_tags": false,
            "tags": ["atualizado"],
            "mapping": [
                column("Ref", Value::Null, true),
                column("Nombre", json!("first_name"), true),
                column("Apellido", json!("last_name"), false),
                column("Correo", json!("email"), true),
                column("Teléfono", json!("phone"), true),
                column("Ciudad", Value::Null, true),
            ],
        }),
        known,
        contact_limit: None,
        unique: Some(Identifier::Email),
    }
}

/// `add_and_update` by phone, tab-separated, numbers written the local way
/// (read in the import's default country), a group and tags: a quarter of
/// the rows update known contacts, a few name a phone two known contacts
/// share (errors), the rest create contacts or are errors (no first name,
/// an unknown language, a repeated or missing phone).
pub(crate) fn add_and_update() -> Case {
    let base = 3_000_000;
    let shared_phone = 900_000;
    let mut lines = vec!["Ref\tNombre\tCelular\tE-mail\tIdioma".to_string()];
    let mut known = vec![
        KNOWN_HEADER.to_string(),
        format!(
            "Gemelo A,Uno,{},gemelo.a@ejemplo.ec,",
            phone(base, shared_phone)
        ),
        format!(
            "Gemelo B,Dos,{},gemelo.b@ejemplo.ec,",
            phone(base, shared_phone)
        ),
    ];
    for i in 0..ROWS {
        let phone_cell = if i % 301 == 150 {
            String::new()
        } else if i % 211 == 5 {
            local_phone(base, i - 1)
        } else if i % 500 == 250 {
            local_phone(base, shared_phone)
        } else {
            local_phone(base, i)
        };
        if i % 4 == 1 && i % 211 != 5 {
            known.push(format!(
                "Viejo {i},Cliente,{},old{i}@ejemplo.ec,cliente",
                phone(base, i)
            ));
        }
        let first = if i % 97 == 3 {
            String::new()
        } else {
            format!("Carlos {i}")
        };
        let language = match i % 89 {
            11 => "xx",
            n if n % 2 == 0 => "es",
            _ => "pt",
        };
        lines.push(format!(
            "R{i}\t{first}\t{phone_cell}\tc{i}@ejemplo.ec\t{language}"
        ));
    }
    Case {
        ws: "suite-add-update",
        file_name: "clientes.txt",
        delimiter: b'\t',
        bytes: file(&lines),
        options: json!({
            "purpose": "add_and_update",
            "default_country": "EC",
            "group": "Clientes",
            "tags": ["feria-2026"],
        }),
        known,
        contact_limit: None,
        unique: Some(Identifier::Phone),
    }
}

/// `add_all`, pipe-separated, under a contact limit the file outgrows:
/// repeated phones make two contacts on purpose, rows without a first name
/// are errors, and the rows past the limit end "plan contact limit reached".
pub(crate) fn add_all() -> Case {
    let base = 4_000_000;
    let mut lines = vec!["Ref|First Name|Last Name|Phone|Email|Tags".to_string()];
    for i in 0..ROWS {
        let phone = if i % 301 == 150 {
            String::new()
        } else if i % 211 == 5 {
            phone(base, i - 1)
        } else {
            phone(base, i)
        };
        let first = if i % 97 == 3 {
            String::new()
        } else {
            format!("Dewi {i}")
        };
        let tags = if i % 3 == 0 { "lead" } else { "" };
        lines.push(format!(
            "R{i}|{first}|Santoso {i}|{phone}|d{i}@contoh.co.id|{tags}"
        ));
    }
    Case {
        ws: "suite-add-all",
        file_name: "semua.csv",
        delimiter: b'|',
        bytes: file(&lines),
        options: json!({"purpose": "add_all", "tags": ["lote"], "overwrite_tags": false}),
        known: Vec::new(),
        contact_limit: Some(u64::from(ROWS) - 200),
        unique: None,
    }
}

pub(crate) fn cases() -> Vec<Case> {
    vec![add_new(), update_existing(), add_and_update(), add_all()]
}

/// Text in Windows-1252 (Latin-1 letters only).
pub(crate) fn windows_1252(text: &str) -> Vec<u8> {
    text.chars()
        .map(|c| u8::try_from(u32::from(c)).expect("a Latin-1 letter"))
        .collect()
}
