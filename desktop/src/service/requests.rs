//! The request log (docs/design.md §2, §9 Requests, §14): newest first, searched and paged, one request in
//! full, and what each connection keeps.

use super::connections::load;
use super::{Result, ServiceError, Services};
use crate::ingest::{LoggedSummary, Problem};
use crate::store::queries::requests::{self, RequestRow, Retention};
use crate::store::Tx;
use serde::{Deserialize, Serialize};
use serde_json::Value;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct RequestSummary {
    pub id: String,
    pub connection_id: String,
    pub received_at: String,
    pub method: String,
    pub content_type: Option<String>,
    pub status: u16,
    /// Body size in bytes.
    pub size: usize,
    /// The counts when planned, the drift, or the request a redelivery repeats.
    #[cfg_attr(feature = "ts", ts(as = "Option<crate::ipc::LoggedCounts>"))]
    pub summary: Option<LoggedSummary>,
    /// Why it was not written.
    pub error: Option<Problem>,
    pub replay_of: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct RequestDetail {
    #[serde(flatten)]
    pub request: RequestSummary,
    /// Header name → value; Authorization is redacted.
    #[cfg_attr(feature = "ts", ts(type = "Record<string, string>"))]
    pub headers: Value,
    pub query: Option<String>,
    /// The raw body as text (invalid UTF-8 replaced; see `body_is_utf8`).
    pub body: String,
    pub body_is_utf8: bool,
    /// Per row: `{"index", "action", "reason"?, "error"?, "path"?, "warnings"?, "record_id"?}`.
    #[cfg_attr(feature = "ts", ts(type = "unknown"))]
    pub outcomes: Option<Value>,
}

pub const DEFAULT_LIMIT: usize = 50;
/// The most a page holds; the rest is reached with `before`.
pub const MAX_LIMIT: usize = 100_000;

fn summary(r: &RequestRow, size: usize) -> RequestSummary {
    RequestSummary {
        id: r.id.clone(),
        connection_id: r.connection_id.clone(),
        received_at: r.received_at.clone(),
        method: r.method.clone(),
        content_type: r.content_type.clone(),
        status: r.status,
        size,
        summary: r.summary.as_ref().and_then(LoggedSummary::from_json),
        error: r.error.as_ref().and_then(Problem::from_stored),
        replay_of: r.replay_of.clone(),
    }
}

pub fn list(
    s: &Services,
    connection_id: &str,
    limit: Option<usize>,
) -> Result<Vec<RequestSummary>> {
    s.store().read(|tx| {
        let conn = load(tx, connection_id)?;
        let rows = requests::list(tx, &conn.id, limit.unwrap_or(DEFAULT_LIMIT))?;
        Ok(rows.iter().map(|(r, size)| summary(r, *size)).collect())
    })
}

pub fn show(s: &Services, request_id: &str) -> Result<RequestDetail> {
    s.store().read(|tx| {
        let r = requests::get(tx, request_id.trim())?
            .ok_or_else(|| ServiceError::NotFound(format!("no request {request_id:?}")))?;
        let text = std::str::from_utf8(&r.body);
        Ok(RequestDetail {
            request: summary(&r, r.body.len()),
            headers: r.headers.clone(),
            query: r.query.clone(),
            body_is_utf8: text.is_ok(),
            body: String::from_utf8_lossy(&r.body).into_owned(),
            outcomes: r.outcomes.clone(),
        })
    })
}

/// Which requests to list (docs/design.md §14); every part is optional.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct RequestQuery {
    /// Text in the body (or the error), without case.
    #[serde(default)]
    pub search: Option<String>,
    /// A status (`202`) or a class (`2xx`, `4xx`).
    #[serde(default)]
    pub status: Option<String>,
    /// Received at or after (RFC 3339, or a date: midnight UTC).
    #[serde(default)]
    pub since: Option<String>,
    /// Received at or before.
    #[serde(default)]
    pub until: Option<String>,
    #[serde(default)]
    pub limit: Option<usize>,
    /// Only requests older than this request id: the next page.
    #[serde(default)]
    pub before: Option<String>,
}

/// One page of the log, newest first.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct RequestPage {
    pub requests: Vec<RequestSummary>,
    /// The `before` that gives the next page, when there are older matches.
    pub next_before: Option<String>,
}

fn blank(v: &Option<String>) -> Option<&str> {
    v.as_deref().map(str::trim).filter(|t| !t.is_empty())
}

/// `202` → 202..=202, `4xx` → 400..=499.
pub fn parse_status(text: &str) -> Result<(u16, u16)> {
    let t = text.trim().to_ascii_lowercase();
    let bad = || {
        ServiceError::Invalid(format!(
            "status {text:?}: give a status such as 202 or a class such as 2xx or 4xx"
        ))
    };
    if let Some(class) = t.strip_suffix("xx") {
        let d: u16 = class.parse().map_err(|_| bad())?;
        return if (1..=5).contains(&d) {
            Ok((d * 100, d * 100 + 99))
        } else {
            Err(bad())
        };
    }
    let code: u16 = t.parse().map_err(|_| bad())?;
    if (100..=599).contains(&code) {
        Ok((code, code))
    } else {
        Err(bad())
    }
}

fn time(what: &str, t: &str) -> Result<String> {
    let dt = inlet_core::timestamp::parse_timestamp(&Value::String(t.to_string()))
        .map_err(|e| ServiceError::Invalid(format!("{what}: {e}")))?;
    Ok(dt.to_rfc3339_opts(chrono::SecondsFormat::Millis, true))
}

/// A page of a connection's log that matches `q`, newest first.
pub fn search(s: &Services, connection_id: &str, q: &RequestQuery) -> Result<RequestPage> {
    let status = blank(&q.status).map(parse_status).transpose()?;
    let since = blank(&q.since).map(|t| time("since", t)).transpose()?;
    let until = blank(&q.until).map(|t| time("until", t)).transpose()?;
    let limit = q.limit.unwrap_or(DEFAULT_LIMIT).clamp(1, MAX_LIMIT);
    s.store().read(|tx| {
        let conn = load(tx, connection_id)?;
        let before_seq = match blank(&q.before) {
            None => None,
            Some(rid) => Some(requests::seq_of(tx, &conn.id, rid)?.ok_or_else(|| {
                ServiceError::NotFound(format!(
                    "no request {rid:?} in this connection's log (it may have been pruned)"
                ))
            })?),
        };
        let mut rows = requests::search(
            tx,
            &conn.id,
            &requests::Search {
                text: blank(&q.search),
                status,
                since: since.as_deref(),
                until: until.as_deref(),
                before_seq,
                limit: limit + 1,
            },
        )?;
        let more = rows.len() > limit;
        rows.truncate(limit);
        let requests: Vec<RequestSummary> = rows.iter().map(|(r, n)| summary(r, *n)).collect();
        Ok(RequestPage {
            next_before: if more {
                requests.last().map(|r| r.id.clone())
            } else {
                None
            },
            requests,
        })
    })
}

/// What a connection keeps, as it applies: `None` is no limit on that measure.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct RetentionView {
    pub keep_requests: Option<u64>,
    pub keep_days: Option<u64>,
    pub keep_bytes: Option<u64>,
}

/// Changes to what a connection keeps; absent fields stay, 0 means no limit.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct RetentionPatch {
    #[serde(default)]
    pub keep_requests: Option<u64>,
    #[serde(default)]
    pub keep_days: Option<u64>,
    #[serde(default)]
    pub keep_bytes: Option<u64>,
}

impl RetentionPatch {
    pub fn is_empty(&self) -> bool {
        *self == RetentionPatch::default()
    }
}

pub(crate) fn retention_view(c: Tx, connection_id: &str) -> Result<RetentionView> {
    let r = requests::retention(c, connection_id)?;
    let given = |v: Option<u64>, default: Option<u64>| match v {
        None => default,
        Some(0) => None,
        Some(n) => Some(n),
    };
    Ok(RetentionView {
        keep_requests: given(r.keep_requests, Some(requests::DEFAULT_KEEP as u64)),
        keep_days: given(r.keep_days, None),
        keep_bytes: given(r.keep_bytes, Some(requests::DEFAULT_KEEP_BYTES)),
    })
}

/// Saves the fields given; the next request the connection logs prunes by them.
pub(crate) fn set_retention(c: Tx, connection_id: &str, p: &RetentionPatch) -> Result<()> {
    if p.is_empty() {
        return Ok(());
    }
    let mut r: Retention = requests::retention(c, connection_id)?;
    if let Some(n) = p.keep_requests {
        r.keep_requests = Some(n);
    }
    if let Some(n) = p.keep_days {
        r.keep_days = Some(n);
    }
    if let Some(n) = p.keep_bytes {
        r.keep_bytes = Some(n);
    }
    requests::set_retention(c, connection_id, &r, &crate::store::now())?;
    requests::prune(c, connection_id, requests::DEFAULT_KEEP)?;
    Ok(())
}

/// A size as people write it: `1073741824`, `500MB`, `1 GiB`, `64k` (k, M, G are powers of 1024
/// with or without `i`; `kB`, `MB`, `GB` powers of 1000).
pub fn parse_size(text: &str) -> Result<u64> {
    let t = text.trim();
    let split = t
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(t.len());
    let (num, unit) = (t[..split].trim(), t[split..].trim());
    let bad = || {
        ServiceError::Invalid(format!(
            "size {text:?}: give bytes or a size such as 500MB, 1GiB or 0 (no limit)"
        ))
    };
    let n: f64 = num.parse().map_err(|_| bad())?;
    let factor: f64 = match unit.to_ascii_lowercase().as_str() {
        "" | "b" | "byte" | "bytes" => 1.0,
        "k" | "kib" | "ki" => 1024.0,
        "m" | "mib" | "mi" => 1024.0 * 1024.0,
        "g" | "gib" | "gi" => 1024.0 * 1024.0 * 1024.0,
        "t" | "tib" | "ti" => 1024.0_f64.powi(4),
        "kb" => 1e3,
        "mb" => 1e6,
        "gb" => 1e9,
        "tb" => 1e12,
        _ => return Err(bad()),
    };
    let bytes = (n * factor).round();
    if !bytes.is_finite() || bytes < 0.0 || bytes > u64::MAX as f64 {
        return Err(bad());
    }
    Ok(bytes as u64)
}

/// A size as `parse_size` reads it back, exactly: the largest unit that divides it (`1 GiB`,
/// `500 MB`, `1536 KiB`), else bytes.
pub fn size_text(bytes: u64) -> String {
    const UNITS: [(u64, &str); 6] = [
        (1 << 30, "GiB"),
        (1 << 20, "MiB"),
        (1_000_000_000, "GB"),
        (1_000_000, "MB"),
        (1 << 10, "KiB"),
        (1_000, "kB"),
    ];
    match UNITS
        .iter()
        .find(|(u, _)| bytes >= *u && bytes.is_multiple_of(*u))
    {
        Some((u, name)) => format!("{} {name}", bytes / u),
        None if bytes == 1 => "1 byte".into(),
        None => format!("{bytes} bytes"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_and_classes_parse_and_nonsense_is_named() {
        assert_eq!(parse_status("2xx").unwrap(), (200, 299));
        assert_eq!(parse_status(" 4XX ").unwrap(), (400, 499));
        assert_eq!(parse_status("202").unwrap(), (202, 202));
        for bad in ["6xx", "20", "ok", "2x", "700"] {
            assert!(parse_status(bad).unwrap_err().to_string().contains(bad));
        }
    }

    #[test]
    fn sizes_parse_as_written() {
        assert_eq!(parse_size("1GiB").unwrap(), 1 << 30);
        assert_eq!(parse_size("1 G").unwrap(), 1 << 30);
        assert_eq!(parse_size("500MB").unwrap(), 500_000_000);
        assert_eq!(parse_size("64k").unwrap(), 65_536);
        assert_eq!(parse_size("1.5MiB").unwrap(), 1_572_864);
        assert_eq!(parse_size("0").unwrap(), 0);
        assert!(
            parse_size("lots").is_err() && parse_size("-1").is_err() && parse_size("1 XB").is_err()
        );
    }

    #[test]
    fn sizes_are_shown_as_people_write_them_and_read_back_exactly() {
        assert_eq!(size_text(1 << 30), "1 GiB");
        assert_eq!(size_text(500_000_000), "500 MB");
        assert_eq!(size_text(1_572_864), "1536 KiB");
        assert_eq!(size_text(1024), "1 KiB");
        assert_eq!(size_text(1500), "1500 bytes");
        assert_eq!(size_text(1), "1 byte");
        for n in [
            1,
            999,
            1000,
            1024,
            1500,
            1_572_864,
            500_000_000,
            1 << 30,
            3 << 40,
        ] {
            assert_eq!(parse_size(&size_text(n)).unwrap(), n, "{}", size_text(n));
        }
    }
}
