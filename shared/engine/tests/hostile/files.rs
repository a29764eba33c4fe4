//! The hostile files, generated: nothing large is committed. The engine's
//! `hostile_files` test holds each to an exact outcome, and
//! `tests/fuzz/write_seeds.rs` writes them out as the fuzzers' seeds; this
//! file needs nothing but `std`, so that program builds in a second.

pub const MIB: usize = 1024 * 1024;

pub fn utf16(text: &str, little_endian: bool) -> Vec<u8> {
    text.encode_utf16()
        .flat_map(|unit| match little_endian {
            true => unit.to_le_bytes(),
            false => unit.to_be_bytes(),
        })
        .collect()
}

/// Valid rows, each with its own phone, until the file passes `bytes`.
pub fn filler(file: &mut Vec<u8>, bytes: usize, line_end: &str) {
    let mut n = 0;
    while file.len() <= bytes {
        n += 1;
        let row = format!("Zoë;09{:08}{line_end}", 10_000_000 + n);
        file.extend_from_slice(row.as_bytes());
    }
}

pub fn nul_in_a_cell() -> Vec<u8> {
    b"Nombre,Celular\nAna\0Maria,0991234501\n".to_vec()
}

pub fn nul_in_the_header() -> Vec<u8> {
    b"Nom\0bre,Celular\nAna,0991234501\n".to_vec()
}

/// Past the first 64 KiB, which detection looks at.
pub fn nul_past_the_head() -> Vec<u8> {
    let mut file = b"Nombre;Celular\n".to_vec();
    filler(&mut file, 64 * 1024, "\n");
    file.extend_from_slice(b"Ana;0991234501\nLu\0is;0991234502\n");
    file
}

pub fn megabyte_cell() -> Vec<u8> {
    let notes = "x".repeat(MIB);
    format!("Nombre,Celular,Notas\nAna,0991234501,{notes}\nLuis,0991234502,corta\n").into_bytes()
}

/// A megabyte of `ñ` as a first name: 524,288 characters.
pub fn megabyte_name() -> Vec<u8> {
    let name = "ñ".repeat(MIB / 2);
    format!("Nombre,Celular\n{name},0991234501\nLuis,0991234502\n").into_bytes()
}

/// A quoted megabyte holding every kind of line break, then another row.
pub fn megabyte_of_lines() -> Vec<u8> {
    let notes = "una línea\r\notra\nmás\r".repeat(MIB / 22);
    format!("Nombre,Celular,Notas\r\nAna,0991234501,\"{notes}\"\r\nLuis,0991234502,x\r\n")
        .into_bytes()
}

/// A megabyte of distinct tags in one cell.
pub fn megabyte_of_tags() -> Vec<u8> {
    let mut tags = String::new();
    let mut i = 0;
    while tags.len() < MIB {
        tags.push_str(&format!("etiqueta{i},"));
        i += 1;
    }
    format!("Nombre,Celular,Etiquetas\nAna,0991234501,\"{tags}\"\n").into_bytes()
}

/// A megabyte of digits as a phone number.
pub fn megabyte_phone() -> Vec<u8> {
    let digits = "9".repeat(MIB);
    format!("Nombre,Celular\nAna,{digits}\nLuis,0991234502\n").into_bytes()
}

pub fn ten_thousand_columns() -> Vec<u8> {
    let names: Vec<String> = (0..10_000).map(|i| format!("c{i}")).collect();
    format!("{}\n{}\n", names.join(","), names.join(",")).into_bytes()
}

/// Two header columns; a row of 10,000 values, then one of 10,000 whose
/// extra values are all empty.
pub fn ten_thousand_values() -> Vec<u8> {
    let extra: Vec<String> = (2..10_000).map(|i| format!("v{i}")).collect();
    let empty = ",".repeat(9_998);
    format!(
        "Nombre,Celular\nAna,0991234501,{}\nLuis,0991234502{empty}\n",
        extra.join(",")
    )
    .into_bytes()
}

/// `\r\n`, `\n` and `\r` in one file, with empty lines of each kind.
pub fn mixed_line_ends() -> Vec<u8> {
    b"Nombre;Celular\r\nAna;0991234501\nLuis;0991234502\rEva;0991234503\r\n\r\nPia;12\n\rSol;0991234505"
        .to_vec()
}

/// Quoted values holding `\r\n`, `\n` and `\r`, in a file of `\r` line ends.
pub fn line_breaks_in_values() -> Vec<u8> {
    b"Nombre;Celular;Notas\rAna;0991234501;\"uno\r\ndos\"\rLuis;0991234502;\"tres\ncuatro\rcinco\"\rEva;x;y\r"
        .to_vec()
}

/// A quote opened on line 3 of a file of `\r` line ends and never closed.
pub fn unclosed_quote_in_cr_lines() -> Vec<u8> {
    b"Nombre;Celular;Notas\rAna;0991234501;x\rLuis;\"0991234502;y\rEva;0991234503;z\r".to_vec()
}

/// The same in `\r\n` lines, after an empty line: the quote opens on line 4.
pub fn unclosed_quote_in_crlf_lines() -> Vec<u8> {
    b"Nombre;Celular;Notas\r\nAna;0991234501;x\r\n\r\nLuis;\"0991234502;y\r\nEva;0991234503;z\r\n"
        .to_vec()
}

/// UTF-8 with accents, then a byte that is not UTF-8 on line 4.
pub fn invalid_utf8_after_accents() -> Vec<u8> {
    let mut file = "Nombre;Celular\nJosé;0991234501\nMaría;0991234502\n"
        .as_bytes()
        .to_vec();
    file.extend_from_slice(b"B\xE9at;0991234503\n");
    file
}

/// UTF-8 with accents for more than 64 KiB, then a stray byte.
pub fn invalid_utf8_past_the_head() -> Vec<u8> {
    let mut file = "Nombre;Celular\n".as_bytes().to_vec();
    filler(&mut file, 70 * 1024, "\r\n");
    file.extend_from_slice(b"Ana;0991234501\r\nB\xFFad;0991234502\r\n");
    file
}

/// Plain ASCII, then one Windows-1252 accent: a Windows-1252 file.
pub fn windows_1252_accent_in_ascii() -> Vec<u8> {
    b"Nombre;Celular\nJose;0991234501\nB\xE9atriz;0991234502\n".to_vec()
}

/// Plain ASCII for 64 KiB, then a Windows-1252 accent as the very last
/// byte, with no line end after it: `á` is also a UTF-8 lead byte, cut off.
pub fn windows_1252_accent_last() -> Vec<u8> {
    let mut file = b"Nombre;Celular;Ciudad\n".to_vec();
    let mut i = 0;
    while file.len() <= 64 * 1024 {
        i += 1;
        file.extend_from_slice(format!("Ana;09{:08};Quito\n", 10_000_000 + i).as_bytes());
    }
    file.extend_from_slice(b"Luis;0991234501;Bogot\xE1");
    file
}

pub const UTF16_TEXT: &str =
    "Nombre;Celular;Ciudad\r\nJosé;0991234501;São Paulo\r\nMaría;0991234502;Bogotá\r\n";

pub fn utf16le_without_bom() -> Vec<u8> {
    utf16(UTF16_TEXT, true)
}

pub fn utf16be_without_bom() -> Vec<u8> {
    utf16(UTF16_TEXT, false)
}

/// A UTF-16 file cut in the middle of its last character.
pub fn utf16le_cut_short() -> Vec<u8> {
    let mut file = utf16(UTF16_TEXT, true);
    file.extend_from_slice(b"E");
    file
}

/// Cells a spreadsheet would run: `=`, `+`, `-`, `@`, tab and CR first, in
/// values and in header names (`=Correo` still maps to the email).
pub fn formula_cells() -> Vec<u8> {
    b"Nombre,Apellido,Celular,=Correo,Notas,@Extra\n\
      \"=HYPERLINK(\"\"http://x.example\"\",\"\"y\"\")\",+Perez,0991234501,ana@x.com,\"=cmd|' /C calc'!A0\",@SUM(1+1)\n\
      \"\tTab\",-Lopez,+593 99 123 4502,-bad@@x,\"\rcr\",-1+2\n\
      Eva,Ruiz,+593991234503,eva@x.com,-12.5,+7\n"
        .to_vec()
}

/// Every file above, by name: the fuzzers' seeds.
pub fn all_files() -> Vec<(&'static str, Vec<u8>)> {
    vec![
        ("nul-in-a-cell.csv", nul_in_a_cell()),
        ("nul-in-the-header.csv", nul_in_the_header()),
        ("nul-past-the-head.csv", nul_past_the_head()),
        ("megabyte-cell.csv", megabyte_cell()),
        ("megabyte-name.csv", megabyte_name()),
        ("megabyte-of-lines.csv", megabyte_of_lines()),
        ("megabyte-of-tags.csv", megabyte_of_tags()),
        ("megabyte-phone.csv", megabyte_phone()),
        ("ten-thousand-columns.csv", ten_thousand_columns()),
        ("ten-thousand-values.csv", ten_thousand_values()),
        ("mixed-line-ends.csv", mixed_line_ends()),
        ("line-breaks-in-values.csv", line_breaks_in_values()),
        ("unclosed-quote-cr.csv", unclosed_quote_in_cr_lines()),
        ("unclosed-quote-crlf.csv", unclosed_quote_in_crlf_lines()),
        (
            "invalid-utf8-after-accents.csv",
            invalid_utf8_after_accents(),
        ),
        (
            "invalid-utf8-past-the-head.csv",
            invalid_utf8_past_the_head(),
        ),
        ("windows-1252-in-ascii.csv", windows_1252_accent_in_ascii()),
        ("windows-1252-last-byte.csv", windows_1252_accent_last()),
        ("utf16le-without-bom.csv", utf16le_without_bom()),
        ("utf16be-without-bom.csv", utf16be_without_bom()),
        ("utf16le-cut-short.csv", utf16le_cut_short()),
        ("formula-cells.csv", formula_cells()),
    ]
}
