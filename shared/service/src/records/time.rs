//! Times as the service keeps them (Unix seconds) and as the API writes
//! them (RFC 3339, UTC, to the second), and the months the plan's contact
//! count turns on, in a workspace's own time zone.

use chrono::{DateTime, Datelike, SecondsFormat, Timelike};
use chrono_tz::Tz;

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

/// The month a time falls in, `yyyy-mm`, in UTC.
pub fn month(unix_seconds: i64) -> String {
    rfc3339(unix_seconds).chars().take(7).collect()
}

/// The month a time falls in where the workspace is (`zone`), `yyyy-mm`:
/// the plan's count turns at local midnight, not at UTC's.
pub fn local_month(unix_seconds: i64, zone: Tz) -> String {
    DateTime::from_timestamp(unix_seconds, 0)
        .map(|t| t.with_timezone(&zone).format("%Y-%m").to_string())
        .unwrap_or_default()
}

/// The months it is somewhere on Earth at `unix_seconds` (local times run
/// from UTC−12 to UTC+14): one, or two around a month's turn. A
/// workspace's month, in whatever zone it keeps, is one of them.
pub fn months_anywhere(unix_seconds: i64) -> Vec<String> {
    let mut months: Vec<String> = [-12 * 3600, 14 * 3600]
        .iter()
        .map(|offset| local_month(unix_seconds + offset, Tz::UTC))
        .collect();
    months.dedup();
    months
}

/// The month that ended at the last local midnight, when `unix_seconds`
/// falls in the first hour of a month's first day in `zone`: the hour the
/// hourly schedule starts that workspace's month-end reset. `None` at any
/// other time.
pub fn month_just_ended(unix_seconds: i64, zone: Tz) -> Option<String> {
    let local = DateTime::from_timestamp(unix_seconds, 0)?.with_timezone(&zone);
    if local.day() != 1 || local.hour() != 0 {
        return None;
    }
    Some(previous_month(&local_month(unix_seconds, zone)))
}

/// The month before `yyyy-mm`.
pub fn previous_month(month: &str) -> String {
    let year: i32 = month.get(..4).and_then(|y| y.parse().ok()).unwrap_or(1970);
    let number: u32 = month.get(5..7).and_then(|m| m.parse().ok()).unwrap_or(1);
    if number <= 1 {
        format!("{:04}-12", year - 1)
    } else {
        format!("{year:04}-{:02}", number - 1)
    }
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
    fn every_zone_s_month_is_one_of_the_months_anywhere() {
        // Around a month's turn (2026-12-01 00:00 UTC, and the hours
        // either side) and in the middle of one.
        let turn = 1_796_083_200;
        assert_eq!(rfc3339(turn), "2026-12-01T00:00:00Z");
        for at in [
            turn - 13 * 3600,
            turn - 3600,
            turn,
            turn + 11 * 3600,
            turn + 15 * 86_400,
        ] {
            let anywhere = months_anywhere(at);
            for zone in chrono_tz::TZ_VARIANTS {
                let month = local_month(at, zone);
                assert!(
                    anywhere.contains(&month),
                    "{zone} {month} at {at}: {anywhere:?}"
                );
            }
        }
        assert_eq!(months_anywhere(turn), ["2026-11", "2026-12"]);
        assert_eq!(months_anywhere(turn + 15 * 86_400), ["2026-12"]);
    }

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
        assert_eq!(local_month(t, Tz::UTC), "2026-11");
        assert_eq!(import_tag(t), "import-2026-11-22-1405");
        assert_eq!(parse_rfc3339("2026-11-22T14:05:00Z"), Some(t));
    }

    /// 22:00 UTC on the last day of November is 17:00 that day in Ecuador
    /// and 06:00 on 1 December in Malaysia: each turns at its own midnight.
    #[test]
    fn months_turn_at_the_workspace_s_own_midnight() {
        let t = parse_rfc3339("2026-11-30T22:00:00Z").unwrap();
        assert_eq!(local_month(t, Tz::America__Guayaquil), "2026-11");
        assert_eq!(local_month(t, Tz::Asia__Kuala_Lumpur), "2026-12");
        let ecuador_midnight = parse_rfc3339("2026-12-01T05:00:00Z").unwrap();
        assert_eq!(
            local_month(ecuador_midnight - 1, Tz::America__Guayaquil),
            "2026-11"
        );
        assert_eq!(
            local_month(ecuador_midnight, Tz::America__Guayaquil),
            "2026-12"
        );
    }

    #[test]
    fn the_reset_hour_is_the_first_hour_of_the_first_day_where_the_workspace_is() {
        let at = |t: &str| parse_rfc3339(t).unwrap();
        let ec = Tz::America__Guayaquil;
        assert_eq!(month_just_ended(at("2026-11-30T22:00:00Z"), ec), None);
        assert_eq!(
            month_just_ended(at("2026-12-01T05:00:00Z"), ec).as_deref(),
            Some("2026-11")
        );
        assert_eq!(
            month_just_ended(at("2026-12-01T05:59:59Z"), ec).as_deref(),
            Some("2026-11")
        );
        assert_eq!(month_just_ended(at("2026-12-01T06:00:00Z"), ec), None);
        let my = Tz::Asia__Kuala_Lumpur;
        assert_eq!(
            month_just_ended(at("2026-11-30T16:00:00Z"), my).as_deref(),
            Some("2026-11")
        );
        assert_eq!(
            month_just_ended(at("2026-12-31T16:30:00Z"), my).as_deref(),
            Some("2026-12")
        );
        // India is 5:30 ahead: the hourly run at 19:00 UTC is 00:30 there,
        // still the first hour (every zone's offset is whole quarter hours).
        assert_eq!(
            month_just_ended(at("2026-12-31T19:00:00Z"), Tz::Asia__Kolkata).as_deref(),
            Some("2026-12")
        );
        assert_eq!(previous_month("2027-01"), "2026-12");
        assert_eq!(previous_month("2026-10"), "2026-09");
    }
}
