//! Contact values as logs may show them: never in clear.
//!
//! Logs name records by id and count rows; they never need a phone number
//! or an email address. Where a value could still reach a log line (an
//! error's words, an object key, a message body echoed back by a parser),
//! it goes through this module first:
//!
//! - [`phone`] keeps a leading `+`, the first three digits (the country
//!   code, or part of it) and the last two: `+593987654321` →
//!   `+593*******21`. Shorter numbers show less: fewer than 10 digits keep
//!   two at the start, fewer than 8 none, fewer than 6 nothing at all.
//! - [`email`] keeps the first character of the local part and of the
//!   domain, and the top-level domain: `ana@example.com` →
//!   `a**@e******.com`.
//! - [`scrub`] finds what looks like an email address or a phone number in
//!   free text (seven digits or more, possibly split by spaces, dots,
//!   dashes or brackets) and masks it as above; everything else is kept,
//!   so ids, counts and dates stay readable.

/// Digits at least this many, in one run of a number, make it a phone
/// number in free text.
const PHONE_MIN_DIGITS: usize = 7;

/// A phone number with all but a few digits hidden (see the module's
/// notes); separators are dropped, the count of hidden digits kept.
pub fn phone(raw: &str) -> String {
    let digits: Vec<char> = raw.chars().filter(char::is_ascii_digit).collect();
    let n = digits.len();
    if n == 0 {
        return "***".to_string();
    }
    let head = match n {
        10.. => 3,
        8..=9 => 2,
        _ => 0,
    };
    let tail = if n >= 6 { 2 } else { 0 };
    let mut out = String::with_capacity(n + 1);
    if raw.trim_start().starts_with('+') {
        out.push('+');
    }
    out.extend(&digits[..head]);
    out.extend(std::iter::repeat_n('*', n - head - tail));
    out.extend(&digits[n - tail..]);
    out
}

/// An email address with all but its first characters and its top-level
/// domain hidden (see the module's notes).
pub fn email(raw: &str) -> String {
    let Some((local, domain)) = raw.rsplit_once('@') else {
        return first_and_stars(raw);
    };
    let domain = match domain.rsplit_once('.') {
        Some((name, top)) if !name.is_empty() => format!("{}.{top}", first_and_stars(name)),
        _ => first_and_stars(domain),
    };
    format!("{}@{domain}", first_and_stars(local))
}

/// The first character, then a star for every other one.
fn first_and_stars(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => std::iter::once(first).chain(chars.map(|_| '*')).collect(),
        None => String::new(),
    }
}

/// `text` with every email address and phone number in it masked.
pub fn scrub(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < chars.len() {
        if let Some(end) = email_at(&chars, i) {
            let found: String = chars[i..end].iter().collect();
            out.push_str(&email(&found));
            i = end;
        } else if let Some(end) = phone_at(&chars, i) {
            let found: String = chars[i..end].iter().collect();
            out.push_str(&phone(&found));
            i = end;
        } else {
            out.push(chars[i]);
            i += 1;
        }
    }
    out
}

fn is_local_char(c: char) -> bool {
    c.is_alphanumeric() || matches!(c, '.' | '_' | '%' | '+' | '-' | '\'')
}

fn is_domain_char(c: char) -> bool {
    c.is_alphanumeric() || matches!(c, '.' | '-')
}

fn word_char(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

/// Where an email address starting at `start` ends, if one does: a local
/// part, `@`, and a domain with a dot and a top-level label of letters.
fn email_at(chars: &[char], start: usize) -> Option<usize> {
    if start > 0 && is_local_char(chars[start - 1]) {
        return None;
    }
    let mut at = start;
    while at < chars.len() && is_local_char(chars[at]) {
        at += 1;
    }
    if at == start || chars.get(at) != Some(&'@') {
        return None;
    }
    let mut end = at + 1;
    while end < chars.len() && is_domain_char(chars[end]) {
        end += 1;
    }
    // A sentence's full stop is not part of the domain.
    while end > at + 1 && matches!(chars[end - 1], '.' | '-') {
        end -= 1;
    }
    let domain: String = chars[at + 1..end].iter().collect();
    let (name, top) = domain.rsplit_once('.')?;
    let top_ok = top.chars().count() >= 2 && top.chars().all(char::is_alphabetic);
    (!name.is_empty() && top_ok).then_some(end)
}

/// Where a phone number starting at `start` ends, if one does: digits, an
/// optional leading `+`, single separators between them, standing alone
/// (not inside a word or an id) and holding enough digits.
fn phone_at(chars: &[char], start: usize) -> Option<usize> {
    let first = chars[start];
    if !(first.is_ascii_digit() || first == '+' || first == '(') {
        return None;
    }
    if start > 0 && (word_char(chars[start - 1]) || chars[start - 1] == '+') {
        return None;
    }
    let mut i = start + usize::from(first == '+');
    let mut digits = 0;
    let mut end = start;
    let mut groups = Vec::new();
    let mut group = 0;
    let mut separators = Vec::new();
    while i < chars.len() {
        let c = chars[i];
        if c.is_ascii_digit() {
            digits += 1;
            group += 1;
            i += 1;
            end = i;
        } else if matches!(c, ' ' | '-' | '.' | '(' | ')')
            && chars
                .get(i + 1)
                .is_some_and(|n| n.is_ascii_digit() || *n == '(')
        {
            if group > 0 {
                groups.push(group);
                separators.push(c);
            }
            group = 0;
            i += 1;
        } else if c == ')' {
            // A closing bracket before a separator: "(099) 123 4567".
            i += 1;
        } else {
            break;
        }
    }
    if group > 0 {
        groups.push(group);
    }
    if digits < PHONE_MIN_DIGITS || end == start {
        return None;
    }
    if chars.get(end).is_some_and(|c| word_char(*c)) {
        return None;
    }
    // Dates and network addresses have digits enough, but are not numbers
    // anyone dials.
    let date = groups == [4, 2, 2] && separators.iter().all(|s| *s == '-' || *s == '/');
    let address =
        groups.len() == 4 && groups.iter().all(|g| *g <= 3) && separators.iter().all(|s| *s == '.');
    (!date && !address).then_some(end)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phones_keep_a_few_digits() {
        assert_eq!(phone("+593987654321"), "+593*******21");
        assert_eq!(phone("+5511987654321"), "+551********21");
        assert_eq!(phone("099 123 4567"), "099*****67");
        assert_eq!(phone("12345678"), "12****78");
        assert_eq!(phone("1234567"), "*****67");
        assert_eq!(phone("12345"), "*****");
        assert_eq!(phone("no es un número"), "***");
    }

    #[test]
    fn emails_keep_their_first_letters_and_top_level_domain() {
        assert_eq!(email("ana@example.com"), "a**@e******.com");
        assert_eq!(email("jose.perez@loja.com.br"), "j*********@l*******.br");
        assert_eq!(email("x@localhost"), "x@l********");
        assert_eq!(email("not an email"), "n***********");
        assert_eq!(email("ñandú@correo.ec"), "ñ****@c*****.ec");
    }

    #[test]
    fn scrub_masks_values_in_words_and_keeps_the_rest() {
        assert_eq!(
            scrub("contact +593987654321 (ana@example.com) exists."),
            "contact +593*******21 (a**@e******.com) exists."
        );
        assert_eq!(
            scrub("invalid type: string \"099 123 4567\", expected u32"),
            "invalid type: string \"099*****67\", expected u32"
        );
        assert_eq!(scrub("call (099) 123-4567 now"), "call 099*****67 now");
        assert_eq!(
            scrub("write to Ana.Silva@Loja.com.br."),
            "write to A********@L*******.br."
        );
        // Ids, counts, dates, times and addresses stay as they are.
        for kept in [
            "import imp_01jc5z8k9m2n3p4q5r6s7t8v9w: 1200 rows, 3 errors",
            "contact c_01jc5z8k9m2n3p4q5r6s7t8v9w000012",
            "at 2026-11-21T14:03:10Z, on 2026-11-21",
            "connection refused: 127.0.0.1:49152",
            "chunk 00012 of W#acme#IMPORT#imp_1",
            "x@y",
        ] {
            assert_eq!(scrub(kept), kept);
        }
    }

    #[test]
    fn scrub_masks_every_value_a_contact_could_hold() {
        for (value, shown) in [
            ("+5511987654321", "+551********21"),
            ("5511987654321", "551********21"),
            ("+60 18-998 8776", "+601******76"),
            ("0991234567", "099*****67"),
            ("ANA@CORREO.EC", "A**@C*****.EC"),
        ] {
            let line = format!("value {value} refused");
            let scrubbed = scrub(&line);
            assert_eq!(scrubbed, format!("value {shown} refused"));
            assert!(!scrubbed.contains(value));
        }
    }
}
