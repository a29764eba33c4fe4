//! The header names that map a column to a field by themselves: the plain
//! words in English, Spanish and Portuguese, and the headers the tools
//! people export from write (Google Contacts, Outlook, HubSpot; sources in
//! docs/HEADERS.md). Every name is folded (see [`crate::normalize::fold`]),
//! so "E-mail 1 - Value" is `email1value` and "Teléfono móvil" is
//! `telefonomovil`.
//!
//! Each list is in order of preference: when several columns of one file
//! name the same field, the column whose name comes first here wins, and
//! the mapping says which it was chosen over — a mobile phone over a home
//! or work phone (messages reach mobiles), a given name over a full name.
//! A name that is only close to one of these is never mapped by itself.

use crate::fields::ContactField;

/// The names of `field`, most preferred first.
pub fn names(field: ContactField) -> &'static [&'static str] {
    match field {
        ContactField::FirstName => &[
            "firstname",
            "givenname",
            "first",
            "primernombre",
            "primeironome",
            "nombre",
            "nombres",
            "nome",
            "contactname",
            // A whole name only when the file has no first name of its own
            // (Google's older export has both "Name" and "Given Name").
            "name",
            "fullname",
            "nombrecompleto",
            "nomecompleto",
        ],
        ContactField::LastName => &[
            "lastname",
            "familyname",
            "surname",
            "last",
            "apellido",
            "apellidos",
            "sobrenome",
            "ultimonome",
        ],
        ContactField::Phone => &[
            // Mobiles first: the numbers WhatsApp and SMS reach.
            "mobilephone",
            "mobile",
            "mobilenumber",
            "mobilephonenumber",
            "cellphone",
            "cell",
            "whatsapp",
            "whatsappnumber",
            "celular",
            "numerodecelular",
            "telefonocelular",
            "telefonecelular",
            "telefonomovil",
            "movil",
            "numerodewhatsapp",
            // Apple's labels and vCard's `TEL;TYPE=CELL`, as vCard-to-CSV
            // converters name the columns of an iCloud export.
            "iphone",
            "phoneiphone",
            "phonemobile",
            "phonecell",
            "teltypecell",
            // A phone of no stated kind.
            "phone",
            "phonenumber",
            "telephone",
            "tel",
            "contactnumber",
            "primaryphone",
            "phone1value",
            "telefono",
            "numerodetelefono",
            "numero",
            "telefone",
            "numerodetelefone",
            "fone",
            "telefonoprincipal",
            "telefoneprincipal",
            "phonemain",
            // Home and work lines, when the file has nothing better.
            "homephone",
            "businessphone",
            "workphone",
            "companymainphone",
            "otherphone",
            "phone2value",
            "phone3value",
            "telefonoparticular",
            "telefonodeltrabajo",
            "telefonodelaorganizacion",
            "telefonoresidencial",
            "telefonocomercial",
            "homephone2",
            "businessphone2",
            "carphone",
            "phonehome",
            "phonework",
            "teltypehome",
            "teltypework",
        ],
        ContactField::Email => &[
            "email",
            "emailaddress",
            "mail",
            "email1value",
            "correo",
            "correoelectronico",
            "direcciondecorreoelectronico",
            "direcciondecorreo",
            "enderecodeemail",
            "enderecodeemail1",
            "emaildocontato",
            "email2address",
            "email2value",
            "email3address",
            "email3value",
            // vCard's `EMAIL;TYPE=…`, as converters of iCloud exports name them.
            "emailhome",
            "emailinternet",
            "emailtypeinternet",
            "emailwork",
            "emailother",
        ],
        ContactField::Country => &["country", "countrycode", "pais", "countryregion"],
        ContactField::Language => &["language", "lang", "locale", "idioma", "lengua", "lingua"],
        ContactField::Assignee => &[
            "assignee",
            "assignedto",
            "contactowner",
            "asignado",
            "asignadoa",
            "responsable",
            "responsavel",
            "atribuidoa",
        ],
        ContactField::Tags => &[
            "tags",
            "tag",
            "labels",
            "etiquetas",
            "etiqueta",
            "marcadores",
            "groupmembership",
            "categories",
            "categorias",
        ],
        ContactField::ContactId => &["contactid", "id", "idcontacto", "idcontato", "iddocontato"],
    }
}

/// How well a folded header names `field`: its place in [`names`], `None`
/// when it does not.
pub fn rank(field: ContactField, folded: &str) -> Option<usize> {
    names(field).iter().position(|name| *name == folded)
}

/// Why the column mapped to `field` was chosen over the others that name it.
pub fn why_chosen(field: ContactField) -> &'static str {
    match field {
        ContactField::Phone => "a mobile number is the one messages reach",
        ContactField::FirstName => "a first name over a whole name",
        _ => "its header names the field most closely",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::normalize::fold;

    #[test]
    fn every_name_is_folded_and_names_one_field() {
        let mut seen = std::collections::HashSet::new();
        for field in ContactField::ALL {
            for name in names(field) {
                assert_eq!(fold(name), *name);
                assert!(seen.insert(*name), "{name} names two fields, or twice");
            }
        }
    }

    #[test]
    fn the_tools_headers_fold_to_their_names() {
        for (header, field) in [
            ("Phone 1 - Value", ContactField::Phone),
            ("E-mail 1 - Value", ContactField::Email),
            ("Given Name", ContactField::FirstName),
            ("Family Name", ContactField::LastName),
            ("Mobile Phone", ContactField::Phone),
            ("E-mail Address", ContactField::Email),
            ("Teléfono móvil", ContactField::Phone),
            ("Dirección de correo electrónico", ContactField::Email),
            ("Telefone celular", ContactField::Phone),
            ("Endereço de email", ContactField::Email),
            ("Mobile Phone Number", ContactField::Phone),
            ("Categories", ContactField::Tags),
        ] {
            assert!(rank(field, &fold(header)).is_some(), "{header}");
        }
        assert!(
            rank(ContactField::Phone, &fold("Mobile Phone"))
                < rank(ContactField::Phone, &fold("Home Phone"))
        );
        // A consent column is never the address.
        assert_eq!(rank(ContactField::Email, &fold("Email consent")), None);
    }
}
