//! Which single-byte encoding a file that is not UTF-8 was saved in:
//! Windows-1252 (Excel on Windows, and ISO-8859-1's printable characters)
//! or Mac Roman (Excel for Mac's "CSV" and "Comma Separated Values"). Both
//! read every byte, so decoding never fails: a wrong choice garbles names
//! silently (`João` written on a Mac read as Windows-1252 is `Jo‹o`), which
//! is the worst outcome a file can have. So the bytes above ASCII are
//! weighed in their words under each reading, and the file is read in the
//! one whose words look like words; when neither does better, it is refused
//! with the word both ways and the encoding to choose — never guessed.
//!
//! The weights: an accented letter of the languages people write contacts
//! in, inside a word and in its case (`é` in `Teléfono`), is evidence — the
//! more, the more common the letter; a case that breaks inside a word
//! (`TelÈfono`, `IÒaki`, `çLVARO`), a symbol between two letters (`Jo‹o`) or
//! a control character is evidence against; anything else (a bullet alone,
//! a letter standing alone, `ç` starting a word, `õ` before a letter it
//! never comes before) says nothing. A currency sign beside a digit or a
//! space is weak evidence for. One reading must score [`MARGIN`] more than
//! the other to be taken.

use std::sync::OnceLock;

/// The two readings weighed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SingleByte {
    Windows1252,
    MacRoman,
}

impl SingleByte {
    fn codec(self) -> &'static encoding_rs::Encoding {
        match self {
            Self::Windows1252 => encoding_rs::WINDOWS_1252,
            Self::MacRoman => encoding_rs::MACINTOSH,
        }
    }
}

/// The two readings weighed, in this order.
const CANDIDATES: [SingleByte; 2] = [SingleByte::Windows1252, SingleByte::MacRoman];

/// Accented letters of Spanish and Portuguese, which most contact files
/// here are written in: the strongest evidence.
const FREQUENT_LETTERS: &str = "áéíóúñãõçâêôàüäößÁÉÍÓÚÑÃÕÇÂÊÔÀÜÄÖ";
/// Accented letters of French, German, Italian, Catalan and the Nordic
/// languages.
const OTHER_LETTERS: &str = "èìòùëïîûøåæœÈÌÒÙËÏÎÛØÅÆŒ";
/// Small letters no word of those languages starts with.
const NEVER_FIRST: &str = "çãõßÿîïìòùœ";
/// How much better one reading must score than the other to be taken.
const MARGIN: i64 = 2;

/// What the bytes of a file say about its single-byte encoding.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reading {
    /// One encoding's words look like words, the other's do not.
    Clear(SingleByte),
    /// Both readings look alike: the first such word, read each way
    /// (Windows-1252, Mac Roman).
    Uncertain { windows: String, mac: String },
}

/// Weighs a file's bytes as they come, a piece at a time.
#[derive(Debug, Default)]
pub struct Weigher {
    scores: [i64; 2],
    /// The byte before the one not weighed yet, and it.
    before: Option<u8>,
    pending: Option<u8>,
    /// The bytes of the current word, to show an uncertain one.
    word: Vec<u8>,
    first_word: Option<Vec<u8>>,
    word_has_high: bool,
}

impl Weigher {
    pub fn feed(&mut self, bytes: &[u8]) {
        for &next in bytes {
            self.step(Some(next));
        }
    }

    /// The verdict once every byte has been fed.
    pub fn finish(mut self) -> Reading {
        self.step(None);
        if self.first_word.is_none() && self.word_has_high {
            self.first_word = Some(std::mem::take(&mut self.word));
        }
        let [windows, mac] = self.scores;
        if windows >= mac + MARGIN {
            return Reading::Clear(SingleByte::Windows1252);
        }
        if mac >= windows + MARGIN {
            return Reading::Clear(SingleByte::MacRoman);
        }
        match self.first_word {
            // Nothing above ASCII: the two readings are the same text.
            None => Reading::Clear(SingleByte::Windows1252),
            Some(word) => Reading::Uncertain {
                windows: decode(SingleByte::Windows1252, &word),
                mac: decode(SingleByte::MacRoman, &word),
            },
        }
    }

    fn step(&mut self, next: Option<u8>) {
        if let Some(current) = self.pending {
            if current >= 0x80 {
                for (i, encoding) in CANDIDATES.into_iter().enumerate() {
                    let at = |b: Option<u8>| b.map(|b| char_of(encoding, b));
                    self.scores[i] += weight(at(self.before), char_of(encoding, current), at(next));
                }
            }
            self.remember_word(current);
        }
        self.before = self.pending;
        self.pending = next;
    }

    /// Keeps the first word holding a byte above ASCII, for the message.
    fn remember_word(&mut self, byte: u8) {
        if self.first_word.is_some() {
            return;
        }
        let ends_word = byte.is_ascii() && !byte.is_ascii_alphanumeric();
        if ends_word {
            if self.word_has_high {
                self.first_word = Some(std::mem::take(&mut self.word));
            }
            self.word.clear();
            self.word_has_high = false;
        } else if self.word.len() < 40 {
            self.word.push(byte);
            self.word_has_high |= byte >= 0x80;
        }
    }
}

/// Weighs a whole piece of text at once (a file's first bytes).
pub fn weigh(bytes: &[u8]) -> Reading {
    let mut weigher = Weigher::default();
    weigher.feed(bytes);
    weigher.finish()
}

/// How much `c`, between `before` and `after`, says for the reading that
/// gave it.
fn weight(before: Option<char>, c: char, after: Option<char>) -> i64 {
    let letter = |x: Option<char>| x.is_some_and(is_letter);
    let lower = |x: Option<char>| x.is_some_and(char::is_lowercase);
    let upper = |x: Option<char>| x.is_some_and(char::is_uppercase);
    if c.is_control() {
        return -3;
    }
    if !is_letter(c) {
        if letter(before) && letter(after) {
            // `Jo‹o`: no symbol sits inside a word.
            return -2;
        }
        let beside_amount = |x: Option<char>| x.is_some_and(|x| x.is_ascii_digit() || x == ' ');
        if "€£¥¢".contains(c) && (beside_amount(before) || beside_amount(after)) {
            return 1;
        }
        return 0;
    }
    // `TelÈfono`, `IÒaki`, `çLVARO`, `ANTïNIO`: the case breaks inside a
    // word (`ß` has no capital in use, so `STRAßE` is fine).
    let case_breaks = c != 'ß'
        && ((c.is_uppercase() && (lower(before) || (letter(before) && lower(after))))
            || (c.is_lowercase() && (upper(after) || (upper(before) && !lower(after)))));
    if case_breaks {
        return -2;
    }
    let first = !letter(before);
    if first && (!letter(after) || NEVER_FIRST.contains(c)) {
        return 0;
    }
    // `ã` before o, e, i, s or the word's end (João, mães, irmãs, manhã);
    // `õ` before e (Simões, põe); `œ` before u or i (cœur, œil); `à`, `ì`,
    // `ò`, `ù` end words (città, così, Niccolò, più).
    let next = after
        .filter(|a| is_letter(*a))
        .map(|a| a.to_lowercase().next().unwrap_or(a));
    let unlikely_next = match c.to_lowercase().next().unwrap_or(c) {
        'ã' => next.is_some_and(|n| !"oeis".contains(n)),
        'õ' => next != Some('e'),
        'œ' => !next.is_some_and(|n| "ui".contains(n)),
        'à' | 'ì' | 'ò' | 'ù' => next.is_some(),
        _ => false,
    };
    if unlikely_next {
        return 0;
    }
    if FREQUENT_LETTERS.contains(c) {
        3
    } else if OTHER_LETTERS.contains(c) {
        2
    } else {
        1
    }
}

/// A letter of a word: modifier letters (`ˆ`, `˜`), ligatures (`ﬂ`) and the
/// ordinal indicators (`º`, `ª`) count as symbols.
fn is_letter(c: char) -> bool {
    c.is_alphabetic() && !matches!(c, '\u{02B0}'..='\u{02FF}' | '\u{FB00}'..='\u{FB06}' | 'º' | 'ª')
}

/// The character `byte` stands for in `encoding` (one of [`CANDIDATES`]).
fn char_of(encoding: SingleByte, byte: u8) -> char {
    if byte.is_ascii() {
        return char::from(byte);
    }
    static TABLES: OnceLock<[[char; 128]; 2]> = OnceLock::new();
    let tables = TABLES.get_or_init(|| {
        CANDIDATES.map(|encoding| {
            std::array::from_fn(|i| {
                let byte = [0x80 + i as u8];
                let (text, _) = encoding.codec().decode_without_bom_handling(&byte);
                text.chars().next().unwrap_or('\u{FFFD}')
            })
        })
    });
    let table = if encoding == SingleByte::MacRoman {
        1
    } else {
        0
    };
    tables[table][usize::from(byte - 0x80)]
}

fn decode(encoding: SingleByte, bytes: &[u8]) -> String {
    bytes.iter().map(|b| char_of(encoding, *b)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn encoded(encoding: SingleByte, text: &str) -> Vec<u8> {
        let (bytes, _, unmappable) = encoding.codec().encode(text);
        assert!(!unmappable, "{text} in {encoding:?}");
        bytes.into_owned()
    }

    const NAMES: &[&str] = &[
        "Nombre;Teléfono\nJosé Ñuño;0991\n",
        "Nome,Telefone\nJoão Conceição,11\n",
        "Nombre;Apellido\nMARÍA;PEÑA\n",
        "Vorname;Straße\nJürgen;Müller\n",
        "Prénom,Ville\nFrançoise,Besançon\n",
        "Nome;Cidade\nLetícia;Maceió\n",
    ];

    #[test]
    fn names_read_right_in_the_encoding_they_were_saved_in() {
        for text in NAMES {
            for encoding in CANDIDATES {
                assert_eq!(
                    weigh(&encoded(encoding, text)),
                    Reading::Clear(encoding),
                    "{text:?} saved as {encoding:?}"
                );
            }
        }
    }

    #[test]
    fn a_file_whose_accents_read_as_well_both_ways_is_uncertain() {
        // A bullet alone: `•` in Windows-1252, `ï` in Mac Roman.
        let bytes = b"Nombre,Nota\nAna,\x95 cliente\n";
        assert_eq!(
            weigh(bytes),
            Reading::Uncertain {
                windows: "\u{2022}".into(),
                mac: "ï".into()
            }
        );
        // Plain ASCII is the same text either way.
        assert_eq!(
            weigh(b"Name,Phone\nAna,1\n"),
            Reading::Clear(SingleByte::Windows1252)
        );
    }

    #[test]
    fn the_verdict_does_not_depend_on_how_the_bytes_are_cut() {
        let bytes = encoded(SingleByte::MacRoman, NAMES[1]);
        for cut in 0..bytes.len() {
            let mut w = Weigher::default();
            w.feed(&bytes[..cut]);
            w.feed(&bytes[cut..]);
            assert_eq!(w.finish(), Reading::Clear(SingleByte::MacRoman));
        }
    }
}
