//! A delimited file's dialect — encoding, delimiter, enclosure — and its
//! detection from the first bytes of the file.

use serde::{Deserialize, Serialize};

use crate::refusal::Refusal;
use crate::single_byte;

/// The character encodings the reader accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Encoding {
    #[serde(rename = "utf-8")]
    Utf8,
    #[serde(rename = "utf-16le")]
    Utf16Le,
    #[serde(rename = "utf-16be")]
    Utf16Be,
    /// Also read for ISO-8859-1, whose printable characters it shares.
    #[serde(rename = "windows-1252")]
    Windows1252,
    /// Mac Roman, what Excel for Mac saves as CSV (its WHATWG name).
    #[serde(rename = "macintosh")]
    MacRoman,
}

impl Encoding {
    pub const ALL: [Self; 5] = [
        Self::Utf8,
        Self::Utf16Le,
        Self::Utf16Be,
        Self::Windows1252,
        Self::MacRoman,
    ];

    /// Reads a WHATWG label (`utf8`, `latin1`, `cp1252`, `utf-16`,
    /// `macintosh`, `mac`, `x-mac-roman`, …).
    pub fn from_label(label: &str) -> Option<Self> {
        let found = encoding_rs::Encoding::for_label(label.trim().as_bytes())?;
        Self::ALL.into_iter().find(|e| e.codec() == found)
    }

    pub(crate) fn codec(self) -> &'static encoding_rs::Encoding {
        match self {
            Self::Utf8 => encoding_rs::UTF_8,
            Self::Utf16Le => encoding_rs::UTF_16LE,
            Self::Utf16Be => encoding_rs::UTF_16BE,
            Self::Windows1252 => encoding_rs::WINDOWS_1252,
            Self::MacRoman => encoding_rs::MACINTOSH,
        }
    }

    /// The byte-order mark that starts a file in this encoding, if any.
    fn bom(self) -> &'static [u8] {
        match self {
            Self::Utf8 => b"\xEF\xBB\xBF",
            Self::Utf16Le => b"\xFF\xFE",
            Self::Utf16Be => b"\xFE\xFF",
            Self::Windows1252 | Self::MacRoman => b"",
        }
    }
}

/// The value separator.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Delimiter {
    #[serde(rename = ",")]
    Comma,
    #[serde(rename = ";")]
    Semicolon,
    #[serde(rename = "|")]
    Pipe,
    #[serde(rename = "\t", alias = "tab")]
    Tab,
}

impl Delimiter {
    pub const ALL: [Self; 4] = [Self::Comma, Self::Semicolon, Self::Pipe, Self::Tab];

    pub fn byte(self) -> u8 {
        match self {
            Self::Comma => b',',
            Self::Semicolon => b';',
            Self::Pipe => b'|',
            Self::Tab => b'\t',
        }
    }

    /// Reads `,` `;` `|`, a tab, or the word `tab`.
    pub fn from_text(text: &str) -> Option<Self> {
        match text {
            "tab" | "\\t" => Some(Self::Tab),
            _ => Self::ALL
                .into_iter()
                .find(|d| text.as_bytes() == [d.byte()]),
        }
    }
}

/// The quote character around values that hold delimiters or line breaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Enclosure {
    #[serde(rename = "\"")]
    Double,
    #[serde(rename = "'")]
    Single,
    /// No quoting: every quote character is part of a value.
    #[serde(rename = "none", alias = "")]
    None,
}

impl Enclosure {
    pub fn byte(self) -> Option<u8> {
        match self {
            Self::Double => Some(b'"'),
            Self::Single => Some(b'\''),
            Self::None => None,
        }
    }

    /// Reads `"`, `'`, or `none` (also the empty string).
    pub fn from_text(text: &str) -> Option<Self> {
        match text {
            "\"" => Some(Self::Double),
            "'" => Some(Self::Single),
            "" | "none" => Some(Self::None),
            _ => None,
        }
    }
}

/// The dialect a file is read in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Dialect {
    pub delimiter: Delimiter,
    pub enclosure: Enclosure,
    pub encoding: Encoding,
}

/// What the user fixed of the dialect; the rest is detected.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct DialectOptions {
    #[serde(default)]
    pub delimiter: Option<Delimiter>,
    #[serde(default)]
    pub enclosure: Option<Enclosure>,
    #[serde(default)]
    pub encoding: Option<Encoding>,
}

/// How many leading bytes detection looks at.
pub const SNIFF_BYTES: usize = 64 * 1024;
/// How many leading lines delimiter detection compares.
const SNIFF_LINES: usize = 50;

/// The dialect detected from a file's first bytes, and whether the encoding
/// was a guess that a later byte may prove wrong (UTF-8 read from a prefix).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Detected {
    pub dialect: Dialect,
    pub encoding_guessed: bool,
    /// The file starts with a `sep=X` line, which is no row.
    pub separator_line: bool,
}

/// `sep=;` alone on the first line, as many "CSV for Excel" downloads start:
/// Excel reads the delimiter from it and shows no row for it. The
/// delimiter it names, when it is one this service reads.
fn separator_line(text: &str) -> Option<Delimiter> {
    let first = text.split(['\n', '\r']).next()?;
    let named = first.get(..4).filter(|s| s.eq_ignore_ascii_case("sep="))?;
    let rest = &first[named.len()..];
    let mut chars = rest.chars();
    let delimiter = chars.next()?;
    if chars.next().is_some() {
        return None;
    }
    Delimiter::ALL
        .into_iter()
        .find(|d| char::from(d.byte()) == delimiter)
}

/// Detects the dialect from `head`, the file's first [`SNIFF_BYTES`] bytes
/// (fewer when the file is shorter). `overrides` win over detection.
pub fn detect(head: &[u8], overrides: DialectOptions) -> Result<Detected, Refusal> {
    refuse_known_binary(head)?;
    let (encoding, encoding_guessed) = match overrides.encoding {
        Some(e) => (e, false),
        None => detect_encoding(head)?,
    };
    let body = head.strip_prefix(encoding.bom()).unwrap_or(head);
    // A prefix may end inside a character; decoding with replacement is fine
    // for counting delimiters.
    let (text, _) = encoding.codec().decode_without_bom_handling(body);
    if encoding != Encoding::Utf16Le && encoding != Encoding::Utf16Be {
        refuse_control_characters(&text)?;
    }
    let named = separator_line(&text);
    // Detection reads the file after that line.
    let text: &str = match named {
        Some(_) => text.split_once(['\n', '\r']).map_or("", |(_, rest)| rest),
        None => &text,
    };
    let enclosure = overrides
        .enclosure
        .unwrap_or_else(|| detect_enclosure(text));
    let delimiter = overrides
        .delimiter
        .or(named)
        .unwrap_or_else(|| detect_delimiter(text, enclosure.byte().map(char::from)));
    Ok(Detected {
        dialect: Dialect {
            delimiter,
            enclosure,
            encoding,
        },
        encoding_guessed,
        separator_line: named.is_some(),
    })
}

fn refuse_known_binary(head: &[u8]) -> Result<(), Refusal> {
    let kind = if head.starts_with(b"PK\x03\x04") {
        Some("an Excel workbook or another zip archive; save it as CSV")
    } else if head.starts_with(b"\xD0\xCF\x11\xE0") {
        Some("an old Excel workbook (.xls); save it as CSV")
    } else if head.starts_with(b"%PDF") {
        Some("a PDF document")
    } else {
        None
    };
    match kind {
        Some(kind) => Err(Refusal::NotDelimitedText {
            why: format!("the file is {kind}"),
        }),
        None => Ok(()),
    }
}

fn detect_encoding(head: &[u8]) -> Result<(Encoding, bool), Refusal> {
    for encoding in [Encoding::Utf8, Encoding::Utf16Le, Encoding::Utf16Be] {
        if head.starts_with(encoding.bom()) {
            return Ok((encoding, false));
        }
    }
    if head.contains(&0) {
        return utf16_without_bom(head).map(|e| (e, false)).ok_or_else(|| {
            Refusal::NotDelimitedText {
                why: "it holds NUL bytes, as binary files do".into(),
            }
        });
    }
    // Valid UTF-8 so far (a character cut by the prefix's end is fine), or
    // real UTF-8 characters before the first bad byte: a UTF-8 file, which
    // the reader refuses at that byte's line rather than read the
    // characters before it as Windows-1252 mojibake (`JosÃ©`).
    match std::str::from_utf8(head) {
        Ok(_) => Ok((Encoding::Utf8, true)),
        Err(e) if e.error_len().is_none() => Ok((Encoding::Utf8, true)),
        Err(e) if !head[..e.valid_up_to()].is_ascii() => Ok((Encoding::Utf8, true)),
        Err(_) => single_byte_encoding(single_byte::weigh(head)).map(|e| (e, false)),
    }
}

/// The encoding a file that is not UTF-8 is read in, or the refusal that
/// asks which it is ([`single_byte`]).
pub(crate) fn single_byte_encoding(reading: single_byte::Reading) -> Result<Encoding, Refusal> {
    match reading {
        single_byte::Reading::Clear(single_byte::SingleByte::Windows1252) => {
            Ok(Encoding::Windows1252)
        }
        single_byte::Reading::Clear(single_byte::SingleByte::MacRoman) => Ok(Encoding::MacRoman),
        single_byte::Reading::Uncertain { windows, mac } => {
            Err(Refusal::UncertainEncoding { windows, mac })
        }
    }
}

/// Text in UTF-16 without a byte-order mark shows as ASCII with a NUL beside
/// every character: on odd offsets for little-endian, even for big-endian.
fn utf16_without_bom(head: &[u8]) -> Option<Encoding> {
    let pairs = head.len() / 2;
    if pairs < 2 {
        return None;
    }
    let nul_at = |parity: usize| {
        head.iter()
            .skip(parity)
            .step_by(2)
            .filter(|b| **b == 0)
            .count()
    };
    let (even, odd) = (nul_at(0), nul_at(1));
    // Nearly every unit is ASCII; the other half of the pair is clean.
    if odd * 10 >= pairs * 9 && even * 10 < pairs {
        Some(Encoding::Utf16Le)
    } else if even * 10 >= pairs * 9 && odd * 10 < pairs {
        Some(Encoding::Utf16Be)
    } else {
        None
    }
}

/// Text files hold almost no control characters besides tab and line ends.
fn refuse_control_characters(text: &str) -> Result<(), Refusal> {
    let total = text.chars().count().max(1);
    let control = text
        .chars()
        .filter(|c| c.is_control() && !matches!(c, '\t' | '\n' | '\r' | '\x0C'))
        .count();
    if control * 100 > total {
        return Err(Refusal::NotDelimitedText {
            why: "it holds control characters, as binary files do".into(),
        });
    }
    Ok(())
}

/// `'` only when values are wrapped in it and never in `"`.
fn detect_enclosure(text: &str) -> Enclosure {
    let wrapped = |q: char| {
        text.lines()
            .take(SNIFF_LINES)
            .flat_map(|line| line.split([',', ';', '|', '\t']))
            .filter(|v| {
                let v = v.trim();
                v.len() >= 2 && v.starts_with(q) && v.ends_with(q)
            })
            .count()
    };
    if wrapped('"') == 0 && wrapped('\'') >= 2 {
        Enclosure::Single
    } else {
        Enclosure::Double
    }
}

/// The candidate that splits the header into the most columns and splits the
/// most following lines the same way; `,` when nothing splits the header.
fn detect_delimiter(text: &str, quote: Option<char>) -> Delimiter {
    let lines: Vec<&str> = text
        .split(['\n', '\r'])
        .filter(|l| !l.trim().is_empty())
        .take(SNIFF_LINES)
        .collect();
    let Some((header, rest)) = lines.split_first() else {
        return Delimiter::Comma;
    };
    let count = |line: &str, d: char| {
        let mut quoted = false;
        line.chars()
            .filter(|&c| {
                if Some(c) == quote {
                    quoted = !quoted;
                }
                c == d && !quoted
            })
            .count()
    };
    Delimiter::ALL
        .into_iter()
        .filter_map(|d| {
            let d_char = char::from(d.byte());
            let in_header = count(header, d_char);
            (in_header > 0).then(|| {
                let agreeing = rest
                    .iter()
                    .filter(|l| count(l, d_char) == in_header)
                    .count();
                (d, agreeing, in_header)
            })
        })
        .max_by_key(|&(d, agreeing, in_header)| {
            // Prefer agreement, then more columns, then the earlier candidate.
            let order =
                Delimiter::ALL.len() - Delimiter::ALL.iter().position(|x| *x == d).unwrap_or(0);
            (agreeing, in_header, order)
        })
        .map_or(Delimiter::Comma, |(d, _, _)| d)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn detected(bytes: &[u8]) -> Dialect {
        detect(bytes, DialectOptions::default()).unwrap().dialect
    }

    #[test]
    fn encodings_by_bom_validity_and_nul_pattern() {
        assert_eq!(detected(b"\xEF\xBB\xBFNome,Tel\n").encoding, Encoding::Utf8);
        assert_eq!(
            detected(b"Nombre;Tel\xE9fono\r\n").encoding,
            Encoding::Windows1252
        );
        assert_eq!(
            detected("Nombre;Teléfono\n".as_bytes()).encoding,
            Encoding::Utf8
        );
        let le: Vec<u8> = "\u{FEFF}a,b\n1,2\n"
            .encode_utf16()
            .flat_map(u16::to_le_bytes)
            .collect();
        assert_eq!(detected(&le).encoding, Encoding::Utf16Le);
        let be: Vec<u8> = "\u{FEFF}a,b\n1,2\n"
            .encode_utf16()
            .flat_map(u16::to_be_bytes)
            .collect();
        assert_eq!(detected(&be).encoding, Encoding::Utf16Be);
        let le_no_bom: Vec<u8> = "a;b\n1;2\n"
            .encode_utf16()
            .flat_map(u16::to_le_bytes)
            .collect();
        let d = detected(&le_no_bom);
        assert_eq!(
            (d.encoding, d.delimiter),
            (Encoding::Utf16Le, Delimiter::Semicolon)
        );
    }

    #[test]
    fn utf8_from_a_prefix_is_a_guess() {
        let d = detect(b"a,b\n", DialectOptions::default()).unwrap();
        assert!(d.encoding_guessed);
        let d = detect(b"\xEF\xBB\xBFa,b\n", DialectOptions::default()).unwrap();
        assert!(!d.encoding_guessed);
    }

    #[test]
    fn delimiters_by_agreement_across_lines() {
        assert_eq!(detected(b"a,b,c\n1,2,3\n").delimiter, Delimiter::Comma);
        assert_eq!(
            detected(b"Nombre;Precio\nAna;1,5\nLuis;2,5\n").delimiter,
            Delimiter::Semicolon
        );
        assert_eq!(detected(b"a|b\n1|x, y\n").delimiter, Delimiter::Pipe);
        assert_eq!(detected(b"a\tb\n1\t2\n").delimiter, Delimiter::Tab);
        assert_eq!(
            detected(b"\"a;b\",c\n\"1;2\",3\n").delimiter,
            Delimiter::Comma
        );
        assert_eq!(
            detected(b"Phone\n+593991234501\n").delimiter,
            Delimiter::Comma
        );
    }

    #[test]
    fn enclosure_single_only_when_used_and_double_absent() {
        assert_eq!(detected(b"'a','b'\n'1','2'\n").enclosure, Enclosure::Single);
        assert_eq!(detected(b"a,b\nO'Brien,x\n").enclosure, Enclosure::Double);
    }

    #[test]
    fn a_separator_line_names_the_delimiter_and_is_no_row() {
        let d = detect(
            b"sep=;\r\nNombre;Celular\r\nAna;0991234501\r\n",
            DialectOptions::default(),
        )
        .unwrap();
        assert_eq!(d.dialect.delimiter, Delimiter::Semicolon);
        assert!(d.separator_line);
        // Even when the rows would say otherwise, the line decides.
        let d = detect(b"SEP=|\nName|Notes, more\n", DialectOptions::default()).unwrap();
        assert_eq!(d.dialect.delimiter, Delimiter::Pipe);
        // Not a separator line: longer, or a delimiter this service does not read.
        for head in [
            &b"sep=;;\na;b\n"[..],
            b"sep=:\na,b\n",
            b"separator,b\n1,2\n",
        ] {
            assert!(
                !detect(head, DialectOptions::default())
                    .unwrap()
                    .separator_line
            );
        }
    }

    #[test]
    fn overrides_win() {
        let o = DialectOptions {
            delimiter: Some(Delimiter::Pipe),
            enclosure: Some(Enclosure::None),
            encoding: Some(Encoding::Windows1252),
        };
        let d = detect(b"a,b\n", o).unwrap();
        assert_eq!(
            d.dialect,
            Dialect {
                delimiter: Delimiter::Pipe,
                enclosure: Enclosure::None,
                encoding: Encoding::Windows1252
            }
        );
        assert!(!d.encoding_guessed);
    }

    #[test]
    fn binary_files_are_refused_with_a_reason() {
        for head in [
            &b"PK\x03\x04rest"[..],
            b"%PDF-1.7",
            b"\xD0\xCF\x11\xE0",
            b"\x00\x01\x02\x03\xFF\x00\x10",
        ] {
            assert!(matches!(
                detect(head, DialectOptions::default()),
                Err(Refusal::NotDelimitedText { .. })
            ));
        }
        let noisy: Vec<u8> = (0..200u8)
            .map(|i| if i % 3 == 0 { 1 } else { b'a' })
            .collect();
        assert!(detect(&noisy, DialectOptions::default()).is_err());
    }

    #[test]
    fn labels_and_texts() {
        assert_eq!(Encoding::from_label("latin1"), Some(Encoding::Windows1252));
        assert_eq!(Encoding::from_label("UTF8"), Some(Encoding::Utf8));
        assert_eq!(Encoding::from_label("shift_jis"), None);
        assert_eq!(Delimiter::from_text("tab"), Some(Delimiter::Tab));
        assert_eq!(Enclosure::from_text("none"), Some(Enclosure::None));
        let json = serde_json::to_string(&Dialect {
            delimiter: Delimiter::Semicolon,
            enclosure: Enclosure::Double,
            encoding: Encoding::Windows1252,
        })
        .unwrap();
        assert_eq!(
            json,
            r#"{"delimiter":";","enclosure":"\"","encoding":"windows-1252"}"#
        );
    }
}
