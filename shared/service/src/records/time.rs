//! Times as the service keeps them (Unix seconds) and as the API writes
//! them (RFC 3339, UTC, to the second), and the month the contact count
//! restarts on.

use chrono::{DateTime, SecondsFormat};

/// Now, in Unix seconds.
pub fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

/// Times as the API writes them: RFC 3339, UTC, to the second.
pub fn rfc3339(unix_seconds: i64) -> String {
    DateTime::from_timestamp(unix_seconds, 0)
        .map(|t| t.to_rfc3339_opts(SecondsFormat::Secs, true))
        .unwrap_or_default()
}

/// Reads a time the API wrote back into Unix seconds.
pub fn parse_rfc3339(text: &str) -> Option<i64> {
    DateTime::parse_from_rfc3339(text)
        .ok()
        .map(|t| t.timestamp())
}

/// The `updated_at` of a write over the version stamped `seen`: now, yet
/// always after `seen`. Writes are conditioned on the stamp they read, so
/// two edits within one second must still leave different stamps.
pub fn next_stamp(seen: &str) -> String {
    let seen = parse_rfc3339(seen).unwrap_or(0);
    rfc3339(now().max(seen + 1))
}

/// The month a time falls in, `yyyy-mm`, which the contact count restarts on.
pub fn month(unix_seconds: i64) -> String {
    rfc3339(unix_seconds).chars().take(7).collect()
}

/// The automatic tag naming an import's contacts: `import-yyyy-mm-dd-hhmm`.
pub fn import_tag(unix_seconds: i64) -> String {
    let t = rfc3339(unix_seconds);
    format!("import-{}-{}{}", &t[..10], &t[11..13], &t[14..16])
}

/// A length of time in words, as messages say it: "1 hour", "90 minutes",
/// "45 seconds" (whole hours, else whole minutes, else seconds).
pub fn duration_words(seconds: u64) -> String {
    let (count, unit) = if seconds >= 3600 && seconds.is_multiple_of(3600) {
        (seconds / 3600, "hour")
    } else if seconds >= 60 && seconds.is_multiple_of(60) {
        (seconds / 60, "minute")
    } else {
        (seconds, "second")
    };
    let plural = if count == 1 { "" } else { "s" };
    format!("{count} {unit}{plural}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stamps_always_move_on() {
        assert_eq!(next_stamp("2100-01-01T00:00:00Z"), "2100-01-01T00:00:01Z");
        let before = rfc3339(now());
        assert!(next_stamp("2020-01-01T00:00:00Z") >= before);
    }

    #[test]
    fn durations_read_as_people_say_them() {
        assert_eq!(duration_words(3600), "1 hour");
        assert_eq!(duration_words(7200), "2 hours");
        assert_eq!(duration_words(5400), "90 minutes");
        assert_eq!(duration_words(60), "1 minute");
        assert_eq!(duration_words(2), "2 seconds");
        assert_eq!(duration_words(1), "1 second");
    }

    #[test]
    fn times_read_as_the_api_writes_them() {
        let t = 1_795_356_300; // 2026-11-22T14:05:00Z
        assert_eq!(rfc3339(t), "2026-11-22T14:05:00Z");
        assert_eq!(month(t), "2026-11");
        assert_eq!(import_tag(t), "import-2026-11-22-1405");
        assert_eq!(parse_rfc3339("2026-11-22T14:05:00Z"), Some(t));
    }
}
