//! Event timestamps: ISO 8601 / RFC 3339 only (DESIGN §5). A date alone is midnight UTC, no offset
//! means UTC, epoch numbers are refused (seconds or milliseconds? a guess would silently corrupt).

use chrono::{DateTime, NaiveDate, NaiveDateTime, SecondsFormat, Utc};
use serde_json::Value;

/// The canonical form stored and shown: RFC 3339 in UTC, fractions kept when present.
pub fn canonical(dt: DateTime<Utc>) -> String {
    dt.to_rfc3339_opts(SecondsFormat::AutoSi, true)
}

pub fn parse_timestamp(v: &Value) -> Result<DateTime<Utc>, String> {
    let s = match v {
        Value::String(s) => s.trim(),
        Value::Number(n) => {
            return Err(format!("timestamp {n} is a number; send ISO 8601 such as 2024-05-01T12:00:00Z"))
        }
        other => {
            return Err(format!(
                "timestamp is {}; send ISO 8601 such as 2024-05-01T12:00:00Z",
                crate::normalize::json_type(other)
            ))
        }
    };
    parse_str(s).ok_or_else(|| format!("timestamp {s:?} is not ISO 8601 (e.g. 2024-05-01T12:00:00Z)"))
}

fn parse_str(s: &str) -> Option<DateTime<Utc>> {
    if let Ok(dt) = DateTime::parse_from_rfc3339(s) {
        return Some(dt.with_timezone(&Utc));
    }
    // RFC 3339 allows a space for `T`; ISO 8601 allows `+0100` and `+01`.
    for fmt in ["%Y-%m-%dT%H:%M:%S%.f%z", "%Y-%m-%d %H:%M:%S%.f%z", "%Y-%m-%dT%H:%M:%S%.f%#z", "%Y-%m-%d %H:%M:%S%.f%:z"] {
        if let Ok(dt) = DateTime::parse_from_str(s, fmt) {
            return Some(dt.with_timezone(&Utc));
        }
    }
    for fmt in ["%Y-%m-%dT%H:%M:%S%.f", "%Y-%m-%d %H:%M:%S%.f", "%Y-%m-%dT%H:%M"] {
        if let Ok(naive) = NaiveDateTime::parse_from_str(s, fmt) {
            return Some(naive.and_utc());
        }
    }
    if let Ok(d) = NaiveDate::parse_from_str(s, "%Y-%m-%d") {
        if s.len() == 10 {
            return d.and_hms_opt(0, 0, 0).map(|n| n.and_utc());
        }
    }
    None
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
    fn epochs_and_garbage_are_refused() {
        assert!(parse_timestamp(&json!(1714564800)).is_err());
        assert!(parse_timestamp(&json!("1714564800")).is_err());
        assert!(parse_timestamp(&json!("yesterday")).is_err());
        assert!(parse_timestamp(&json!("2024-13-01")).is_err());
        assert!(parse_timestamp(&json!(true)).is_err());
    }
}
