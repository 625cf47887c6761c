//! Event timestamps: ISO 8601 / RFC 3339 only (docs/design.md §5). A date alone is midnight UTC, no offset
//! means UTC, epoch numbers are refused (seconds or milliseconds? a guess would silently corrupt).

use crate::node::Node;
use chrono::{DateTime, Datelike, FixedOffset, NaiveDate, NaiveTime, SecondsFormat, TimeZone, Utc};
use serde_json::Value;

/// The canonical form stored and shown: RFC 3339 in UTC, fractions kept when present.
pub fn canonical(dt: DateTime<Utc>) -> String {
    dt.to_rfc3339_opts(SecondsFormat::AutoSi, true)
}

pub fn parse_timestamp(v: &Value) -> Result<DateTime<Utc>, String> {
    parse_timestamp_node(&Node::from_value(v))
}

/// `parse_timestamp` for a row read in place.
pub fn parse_timestamp_node(v: &Node<'_>) -> Result<DateTime<Utc>, String> {
    let s = match v {
        Node::String(s) => s.trim(),
        Node::Number(n) => {
            return Err(format!(
                "timestamp {n} is a number; send ISO 8601 such as 2024-05-01T12:00:00Z"
            ))
        }
        other => {
            return Err(format!(
                "timestamp is {}; send ISO 8601 such as 2024-05-01T12:00:00Z",
                other.json_type()
            ))
        }
    };
    let dt = parse_str(s)
        .ok_or_else(|| format!("timestamp {s:?} is not ISO 8601 (e.g. 2024-05-01T12:00:00Z)"))?;
    // An offset can carry a year-0000 or year-9999 time across the edge. Stored as `-0001-…` or
    // `+10000-…`, it would be text that this parser refuses and that sorts out of order.
    if !(0..=9999).contains(&dt.year()) {
        return Err(format!(
            "timestamp {s:?} falls outside the years 0000 to 9999 once converted to UTC"
        ));
    }
    Ok(dt)
}

fn parse_str(s: &str) -> Option<DateTime<Utc>> {
    if let Ok(dt) = DateTime::parse_from_rfc3339(s) {
        return Some(dt.with_timezone(&Utc));
    }
    // ISO 8601 extended format, read strictly by hand: `YYYY-MM-DD`, then `T`, `t` or a space,
    // `hh:mm[:ss[.fff]]`, then `Z`, `±hh:mm`, `±hhmm`, `±hh` or nothing (UTC).
    let b = s.as_bytes();
    let date = parse_date(b.get(..10)?)?;
    if b.len() == 10 {
        return date.and_hms_opt(0, 0, 0).map(|n| n.and_utc());
    }
    if !matches!(b[10], b'T' | b't' | b' ') {
        return None;
    }
    let rest = &s[11..];
    let (time, offset) = split_zone(rest)?;
    let naive = date.and_time(parse_time(time)?);
    let zone = FixedOffset::east_opt(offset)?;
    zone.from_local_datetime(&naive)
        .single()
        .map(|dt| dt.with_timezone(&Utc))
}

fn all_digits(b: &[u8]) -> bool {
    !b.is_empty() && b.iter().all(u8::is_ascii_digit)
}

/// The value of a fixed-width field (two or four digits, so it cannot overflow).
fn digits(b: &[u8]) -> Option<u32> {
    if b.len() > 4 || !all_digits(b) {
        return None;
    }
    Some(b.iter().fold(0u32, |n, d| n * 10 + u32::from(d - b'0')))
}

fn parse_date(b: &[u8]) -> Option<NaiveDate> {
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    NaiveDate::from_ymd_opt(
        digits(&b[..4])? as i32,
        digits(&b[5..7])?,
        digits(&b[8..10])?,
    )
}

/// `hh:mm`, `hh:mm:ss`, `hh:mm:ss.f…` (a comma works too, as ISO 8601 allows).
fn parse_time(t: &str) -> Option<NaiveTime> {
    let b = t.as_bytes();
    if b.len() < 5 || b[2] != b':' {
        return None;
    }
    let (h, m) = (digits(&b[..2])?, digits(&b[3..5])?);
    let (mut sec, mut nano) = (0, 0);
    if b.len() > 5 {
        if b[5] != b':' || b.len() < 8 {
            return None;
        }
        sec = digits(&b[6..8])?;
        if b.len() > 8 {
            if !matches!(b[8], b'.' | b',') {
                return None;
            }
            // Any number of fraction digits is allowed; only the first nine are read.
            let frac = &b[9..];
            if !all_digits(frac) {
                return None;
            }
            // Nanoseconds: the first nine digits, right-padded.
            nano = frac
                .iter()
                .take(9)
                .chain(std::iter::repeat(&b'0'))
                .take(9)
                .fold(0u32, |n, d| n * 10 + u32::from(d - b'0'));
        }
    }
    NaiveTime::from_hms_nano_opt(h, m, sec, nano)
}

/// Splits the zone off a time: seconds east of UTC (`Z` and no zone are UTC).
fn split_zone(rest: &str) -> Option<(&str, i32)> {
    if let Some(t) = rest.strip_suffix(['Z', 'z']) {
        return Some((t, 0));
    }
    let Some(pos) = rest.rfind(['+', '-']) else {
        return Some((rest, 0));
    };
    let (time, zone) = rest.split_at(pos);
    let sign = if zone.starts_with('-') { -1 } else { 1 };
    let z = &zone.as_bytes()[1..];
    let (h, m) = match z.len() {
        2 => (digits(z)?, 0),
        4 => (digits(&z[..2])?, digits(&z[2..])?),
        5 if z[2] == b':' => (digits(&z[..2])?, digits(&z[3..])?),
        _ => return None,
    };
    if h > 23 || m > 59 {
        return None;
    }
    Some((time, sign * (h * 3600 + m * 60) as i32))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn ok(s: &str) -> String {
        canonical(parse_timestamp(&json!(s)).unwrap())
    }

    #[test]
    fn every_iso_form_the_spec_names_is_accepted() {
        assert_eq!(ok("2024-05-01T12:00:00Z"), "2024-05-01T12:00:00Z");
        assert_eq!(ok("2024-05-01T12:00:00+02:00"), "2024-05-01T10:00:00Z");
        assert_eq!(ok("2024-05-01T12:00:00.123Z"), "2024-05-01T12:00:00.123Z");
        assert_eq!(ok("2024-05-01"), "2024-05-01T00:00:00Z");
        assert_eq!(ok("2024-05-01T12:00:00"), "2024-05-01T12:00:00Z");
        assert_eq!(ok("2024-05-01 12:00:00"), "2024-05-01T12:00:00Z");
        assert_eq!(ok("2024-05-01T12:00:00+0200"), "2024-05-01T10:00:00Z");
    }

    #[test]
    fn iso_forms_beyond_rfc_3339_are_accepted() {
        // Seconds left out, with and without a zone (they were refused with a zone before).
        assert_eq!(ok("2024-05-01T12:00Z"), "2024-05-01T12:00:00Z");
        assert_eq!(ok("2024-05-01T12:00+01:00"), "2024-05-01T11:00:00Z");
        assert_eq!(ok("2024-05-01T12:00"), "2024-05-01T12:00:00Z");
        assert_eq!(ok("2024-05-01 12:00-0130"), "2024-05-01T13:30:00Z");
        assert_eq!(ok("2024-05-01T12:00:00+01"), "2024-05-01T11:00:00Z");
        assert_eq!(ok("2024-05-01T12:00:00.5"), "2024-05-01T12:00:00.500Z");
        assert_eq!(
            ok("2024-05-01T12:00:00,25+00:00"),
            "2024-05-01T12:00:00.250Z"
        );
        assert_eq!(
            ok("2024-05-01T12:00:00.1234567891Z"),
            "2024-05-01T12:00:00.123456789Z"
        );
        assert_eq!(ok("2024-05-01t12:00:00z"), "2024-05-01T12:00:00Z");
        assert_eq!(ok("2024-12-31T23:30:00-01:00"), "2025-01-01T00:30:00Z");
    }

    #[test]
    fn long_fractions_without_a_zone_are_read_not_overflowed() {
        // Ten digits and more once overflowed the digit check (a panic with overflow checks on).
        assert_eq!(
            ok("2020-05-31T15:00:00.5152000550"),
            "2020-05-31T15:00:00.515200055Z"
        );
        assert_eq!(
            ok(&format!("2020-05-31T15:00:00.{}+01:00", "9".repeat(40))),
            "2020-05-31T14:00:00.999999999Z"
        );
        assert!(parse_timestamp(&json!("2020-05-31T15:00:00.51520005x0")).is_err());
    }

    #[test]
    fn offsets_that_leave_years_0000_to_9999_are_refused() {
        for s in [
            "0000-01-01T00:00:00+01:00",
            "0000-01-01T00:59+01",
            "9999-12-31T23:30:00-01:00",
            "9999-12-31 23:59:59.5-0001",
        ] {
            let e = parse_timestamp(&json!(s)).unwrap_err();
            assert!(e.contains("outside the years 0000 to 9999"), "{s}: {e}");
        }
        // The edges themselves are kept.
        assert_eq!(ok("0000-01-01T01:00:00+01:00"), "0000-01-01T00:00:00Z");
        assert_eq!(ok("9999-12-31T22:59:59-01:00"), "9999-12-31T23:59:59Z");
    }

    #[test]
    fn near_misses_are_refused() {
        for s in [
            "2024-5-1",
            "2024-05-1",
            "2024-05-01T1:00:00Z",
            "2024-05-01T12",
            "2024-05-01T12Z",
            "2024-05-01T12:00:0Z",
            "2024-05-01T12:00:00+25:00",
            "2024-05-01T12:00:00+01:0",
            "2024-05-01T12:00:00.Z",
            "2024-05-01T24:00:00Z",
            "2024-05-01X12:00:00Z",
            "2024-05-01T12:00:00ZZ",
            "+2024-05-01",
            "2024-05-01T12:00:00 +01:00",
            "",
            "2024-05-01T12:60Z",
            "2024-02-30T00:00:00Z",
            "１２３４-05-01",
        ] {
            assert!(
                parse_timestamp(&json!(s)).is_err(),
                "{s:?} should be refused"
            );
        }
    }

    #[test]
    fn epochs_and_garbage_are_refused() {
        assert!(parse_timestamp(&json!(1714564800)).is_err());
        assert!(parse_timestamp(&json!("1714564800")).is_err());
        assert!(parse_timestamp(&json!("yesterday")).is_err());
        assert!(parse_timestamp(&json!("2024-13-01")).is_err());
        assert!(parse_timestamp(&json!(true)).is_err());
    }
}
