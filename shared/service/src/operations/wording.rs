//! serde's words about a JSON value that does not fit, in the product's
//! words: a caller reads "expected an object", never the name of a Rust
//! type ("expected struct MonthlyReset", "expected u64").

/// What serde said, with every Rust type's name replaced by what a JSON
/// caller would call it.
pub fn json_error_words(e: &serde_json::Error) -> String {
    plain_words(&e.to_string())
}

fn plain_words(said: &str) -> String {
    // A named type's words: "expected struct Settings" and the like.
    const NAMED: [(&str, &str); 3] = [
        (
            "expected internally tagged enum ",
            "expected an object with its type",
        ),
        ("expected struct ", "expected an object"),
        (
            "expected enum ",
            "expected one of the values the API document lists",
        ),
    ];
    // Primitive types, longest first.
    const PRIMITIVE: [(&str, &str); 13] = [
        ("expected a borrowed string", "expected a string"),
        ("expected a sequence", "expected a list"),
        ("expected a map", "expected an object"),
        ("expected usize", "expected a whole number, 0 or more"),
        ("expected u64", "expected a whole number, 0 or more"),
        ("expected u32", "expected a whole number, 0 or more"),
        ("expected u16", "expected a whole number, 0 or more"),
        ("expected u8", "expected a whole number, 0 or more"),
        ("expected i64", "expected a whole number"),
        ("expected i32", "expected a whole number"),
        ("expected f64", "expected a number"),
        ("expected f32", "expected a number"),
        ("expected unit", "expected null"),
    ];
    let mut text = said.to_string();
    for (from, to) in NAMED {
        while let Some(at) = text.find(from) {
            let name_end = text[at + from.len()..]
                .find(|c: char| !(c.is_alphanumeric() || c == '_'))
                .map_or(text.len(), |end| at + from.len() + end);
            text.replace_range(at..name_end, to);
        }
    }
    for (from, to) in PRIMITIVE {
        text = text.replace(from, to);
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rust_type_names_become_json_words() {
        assert_eq!(
            plain_words(
                "invalid type: integer `5`, expected struct MonthlyReset at line 1 column 20"
            ),
            "invalid type: integer `5`, expected an object at line 1 column 20"
        );
        assert_eq!(
            plain_words("invalid value: integer `-1`, expected u64"),
            "invalid value: integer `-1`, expected a whole number, 0 or more"
        );
        assert_eq!(
            plain_words("invalid type: string \"a\", expected a sequence"),
            "invalid type: string \"a\", expected a list"
        );
        assert_eq!(
            plain_words("expected internally tagged enum CustomType"),
            "expected an object with its type"
        );
        let untouched = "unknown field `colour`, expected one of `default_country`, `users`";
        assert_eq!(plain_words(untouched), untouched);
    }

    #[test]
    fn serde_errors_read_plainly() {
        let e = serde_json::from_str::<crate::records::Settings>(r#"{"contact_limit": "ten"}"#)
            .unwrap_err();
        let words = json_error_words(&e);
        assert!(words.contains("expected a whole number"), "{words}");
        let e = serde_json::from_str::<crate::records::Settings>(r#"{"monthly_reset": 5}"#)
            .unwrap_err();
        let words = json_error_words(&e);
        assert!(words.contains("expected an object"), "{words}");
        assert!(!words.contains("MonthlyReset"), "{words}");
    }
}
