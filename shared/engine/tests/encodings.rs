//! Every encoding the reader promises reads back every character: a file
//! of names in the languages contacts are written in, saved in each
//! encoding (with and without its byte-order mark where it has one), is
//! read by detection alone, and each header and cell must come back
//! exactly as written — never a character changed, as a wrong guess
//! between Windows-1252 and Mac Roman would change it. A generated test
//! does the same with rows drawn at random from the same names.

use contact_engine::dialect::{DialectOptions, Encoding};
use contact_engine::reader::with_records;
use contact_engine::single_byte::{Reading, SingleByte, weigh};
use csv::StringRecord;
use proptest::prelude::*;

/// Names and words with the accents of Spanish, Portuguese, French,
/// German and Italian, each one both single-byte encodings can hold.
const WORDS: &[&str] = &[
    "José",
    "María",
    "Ñuño",
    "PEÑA",
    "Muñoz",
    "Begoña",
    "Ramón",
    "Iñaki",
    "Bogotá",
    "Perú",
    "João",
    "Conceição",
    "Letícia",
    "Maceió",
    "Gonçalves",
    "Araújo",
    "Simões",
    "ANTÔNIO",
    "Françoise",
    "Hélène",
    "Zoë",
    "Besançon",
    "Noël",
    "Jürgen",
    "Müller",
    "Straße",
    "Köln",
    "Nicolò",
    "Perù",
    "Ana",
    "Luis",
];

fn file_text(rows: &[Vec<&str>]) -> String {
    let mut text = String::from("Nombre;Apellido;Ciudad\n");
    for row in rows {
        text.push_str(&row.join(";"));
        text.push('\n');
    }
    text
}

/// `text` saved in `encoding`, with its byte-order mark when `bom`.
fn saved(text: &str, encoding: Encoding, bom: bool) -> Vec<u8> {
    let mut bytes = Vec::new();
    match encoding {
        Encoding::Utf16Le | Encoding::Utf16Be => {
            let le = encoding == Encoding::Utf16Le;
            if bom {
                bytes.extend(if le { [0xFF, 0xFE] } else { [0xFE, 0xFF] });
            }
            for unit in text.encode_utf16() {
                bytes.extend(if le {
                    unit.to_le_bytes()
                } else {
                    unit.to_be_bytes()
                });
            }
        }
        _ => {
            if bom {
                bytes.extend(b"\xEF\xBB\xBF");
            }
            let codec = encoding_rs::Encoding::for_label(match encoding {
                Encoding::Utf8 => b"utf-8".as_slice(),
                Encoding::Windows1252 => b"windows-1252",
                _ => b"macintosh",
            })
            .unwrap();
            let (encoded, _, unmappable) = codec.encode(text);
            assert!(!unmappable, "{text:?} in {encoding:?}");
            bytes.extend_from_slice(&encoded);
        }
    }
    bytes
}

/// The ways each encoding is saved: with a byte-order mark only where the
/// encoding has one.
fn variants() -> Vec<(Encoding, bool)> {
    Encoding::ALL
        .into_iter()
        .flat_map(|e| match e {
            Encoding::Windows1252 | Encoding::MacRoman => vec![(e, false)],
            _ => vec![(e, true), (e, false)],
        })
        .collect()
}

/// The file read by detection alone: its encoding, headers and rows.
fn read_back(bytes: &[u8]) -> (Encoding, Vec<String>, Vec<Vec<String>>) {
    with_records(bytes, DialectOptions::default(), |records| {
        let mut rows = Vec::new();
        let mut record = StringRecord::new();
        while records.next(&mut record)?.is_some() {
            rows.push(record.iter().map(String::from).collect());
        }
        Ok((records.dialect.encoding, records.headers.clone(), rows))
    })
    .unwrap_or_else(|e| panic!("refused: {e}"))
}

fn assert_round_trip(rows: &[Vec<&str>], encoding: Encoding, bom: bool) {
    let text = file_text(rows);
    let (read_as, headers, read) = read_back(&saved(&text, encoding, bom));
    assert_eq!(
        headers,
        ["Nombre", "Apellido", "Ciudad"],
        "{encoding:?}, BOM {bom}"
    );
    assert_eq!(read, rows, "{encoding:?}, BOM {bom}");
    // UTF-8 without a mark is also plain ASCII's reading: either is right
    // when every character came back.
    if encoding != Encoding::Utf8 || bom {
        assert_eq!(read_as, encoding, "BOM {bom}");
    }
}

#[test]
fn every_supported_encoding_reads_back_every_character() {
    let rows: Vec<Vec<&str>> = WORDS
        .chunks(3)
        .map(|c| c.to_vec())
        .filter(|r| r.len() == 3)
        .collect();
    for (encoding, bom) in variants() {
        assert_round_trip(&rows, encoding, bom);
    }
}

#[test]
fn an_accent_after_the_first_64_kib_is_read_in_the_file_s_own_encoding() {
    let mut rows: Vec<Vec<&str>> = vec![vec!["Ana", "Luis", "Quito"]; 5000];
    rows.push(vec!["João", "Conceição", "Maceió"]);
    for encoding in [Encoding::Windows1252, Encoding::MacRoman] {
        assert_round_trip(&rows, encoding, false);
    }
}

/// Names and places of Latin America, Spain, Portugal, France, Germany and
/// Italy, for the single-word files below.
const MORE_WORDS: &[&str] = &[
    "Sebastián",
    "Martínez",
    "González",
    "Rodríguez",
    "Hernández",
    "Pérez",
    "Gómez",
    "Díaz",
    "Sánchez",
    "Ramírez",
    "Jiménez",
    "Vásquez",
    "Núñez",
    "Fernández",
    "Lucía",
    "Sofía",
    "Valentín",
    "Andrés",
    "Nicolás",
    "Tomás",
    "Joaquín",
    "Agustín",
    "Matías",
    "Adrián",
    "Inés",
    "Belén",
    "Mónica",
    "Verónica",
    "Ángela",
    "Héctor",
    "César",
    "Raúl",
    "Óscar",
    "Íñigo",
    "ÁLVARO",
    "Sebastião",
    "Brandão",
    "Magalhães",
    "Guimarães",
    "Leão",
    "Falcão",
    "Cristóvão",
    "Estêvão",
    "Luís",
    "Antônio",
    "Márcio",
    "Cássio",
    "Flávio",
    "Otávio",
    "Júlio",
    "Cecília",
    "Vitória",
    "Lígia",
    "Kauê",
    "São Paulo",
    "Belém",
    "Goiânia",
    "Florianópolis",
    "Brasília",
    "Niterói",
    "Ribeirão",
    "Uberlândia",
    "Jundiaí",
    "Guarujá",
    "Itajaí",
    "Paraná",
    "Ceará",
    "Piauí",
    "Amapá",
    "Pará",
    "Ñandú",
    "año",
    "niño",
    "Cañón",
    "Ibáñez",
    "Ordóñez",
    "Yáñez",
    "Zúñiga",
    "Ñuflo",
    "Gérard",
    "Chloé",
    "Loïc",
    "Schröder",
    "Böhm",
    "Günther",
    "Weiß",
    "Niccolò",
    "Açaí",
    "Coração",
    "Mãe",
    "Irmão",
    "Øyvind",
    "Åsa",
];

/// The few single words whose two readings are both plausible: each is
/// refused with both readings shown, never read wrong.
const UNCERTAIN_ALONE: &[&str] = &["SIMÕES", "ZOË", "PERÙ", "óscar", "åsa"];

#[test]
fn a_single_accented_word_is_read_right_or_refused_never_misread() {
    let mut uncertain = Vec::new();
    for word in WORDS.iter().chain(MORE_WORDS) {
        for variant in [word.to_string(), word.to_uppercase(), word.to_lowercase()] {
            for encoding in [Encoding::Windows1252, Encoding::MacRoman] {
                let bytes = saved(&format!("Nombre\n{variant}\n"), encoding, false);
                if bytes.is_ascii() {
                    continue; // `STRASSE`: the same text either way
                }
                match weigh(&bytes) {
                    Reading::Clear(read_as) => {
                        let read_as = match read_as {
                            SingleByte::Windows1252 => Encoding::Windows1252,
                            SingleByte::MacRoman => Encoding::MacRoman,
                        };
                        assert_eq!(read_as, encoding, "{variant} saved as {encoding:?}")
                    }
                    Reading::Uncertain { .. } => uncertain.push(variant.clone()),
                }
            }
        }
    }
    uncertain.dedup();
    assert_eq!(uncertain, UNCERTAIN_ALONE);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn generated_names_read_back_in_every_encoding(
        picks in prop::collection::vec(prop::collection::vec(0..WORDS.len(), 3), 1..12),
    ) {
        let rows: Vec<Vec<&str>> = picks
            .iter()
            .map(|row| row.iter().map(|i| WORDS[*i]).collect())
            .collect();
        for (encoding, bom) in variants() {
            assert_round_trip(&rows, encoding, bom);
        }
    }
}
