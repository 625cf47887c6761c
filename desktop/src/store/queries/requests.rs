use crate::store::{StoreError, Tx};
use rusqlite::{OptionalExtension, Row};
use serde_json::Value;

/// Requests kept per connection unless told otherwise (docs/design.md §2).
pub const DEFAULT_KEEP: usize = 1_000;

/// One admitted request, as logged.
#[derive(Debug, Clone, PartialEq)]
pub struct RequestRow {
    pub seq: i64,
    pub id: String,
    pub connection_id: String,
    pub received_at: String,
    pub method: String,
    pub content_type: Option<String>,
    /// JSON object of header name → value, Authorization redacted.
    pub headers: Value,
    pub query: Option<String>,
    pub body: Vec<u8>,
    pub has_payload: bool,
    pub status: u16,
    /// `{"code", "detail"}` when the answer was not a success.
    pub error: Option<Value>,
    /// Per-row outcomes: `[{"index", "action", ...}]`.
    pub outcomes: Option<Value>,
    /// Counts: `{"rows", "created", ...}`.
    pub summary: Option<Value>,
    pub replay_of: Option<String>,
}

const COLUMNS: &str =
    "seq, id, connection_id, received_at, method, content_type, headers, query, body, has_payload,
    status, error, outcomes, summary, replay_of";
/// Every column but the body (lists do not need it).
const LIST_COLUMNS: &str = "seq, id, connection_id, received_at, method, content_type, headers, query, zeroblob(0), has_payload,
    status, error, outcomes, summary, replay_of, length(body)";

fn json_col(r: &Row, i: usize) -> rusqlite::Result<Option<Value>> {
    let t: Option<String> = r.get(i)?;
    Ok(t.and_then(|t| serde_json::from_str(&t).ok()))
}

fn from_row(r: &Row) -> rusqlite::Result<RequestRow> {
    Ok(RequestRow {
        seq: r.get(0)?,
        id: r.get(1)?,
        connection_id: r.get(2)?,
        received_at: r.get(3)?,
        method: r.get(4)?,
        content_type: r.get(5)?,
        headers: json_col(r, 6)?.unwrap_or(Value::Null),
        query: r.get(7)?,
        body: r.get(8)?,
        has_payload: r.get(9)?,
        status: r.get(10)?,
        error: json_col(r, 11)?,
        outcomes: json_col(r, 12)?,
        summary: json_col(r, 13)?,
        replay_of: r.get(14)?,
    })
}

/// A request to log, borrowed from wherever it is held; JSON columns already as text.
#[derive(Debug, Clone, Copy)]
pub struct NewRequest<'a> {
    pub id: &'a str,
    pub connection_id: &'a str,
    pub received_at: &'a str,
    pub method: &'a str,
    pub content_type: Option<&'a str>,
    pub headers: &'a str,
    pub query: Option<&'a str>,
    pub body: &'a [u8],
    pub has_payload: bool,
    pub status: u16,
    pub error: Option<&'a str>,
    pub outcomes: Option<&'a str>,
    pub summary: Option<&'a str>,
    pub replay_of: Option<&'a str>,
}

pub fn insert(tx: Tx, row: &RequestRow) -> Result<i64, StoreError> {
    let c = match tx {
        Tx::Sqlite(c) => c,
        Tx::Postgres(p) => return pg::insert(p, row),
    };
    let text = |v: &Option<Value>| v.as_ref().map(|v| v.to_string());
    let (error, outcomes, summary) = (text(&row.error), text(&row.outcomes), text(&row.summary));
    insert_new(
        Tx::Sqlite(c),
        &NewRequest {
            id: &row.id,
            connection_id: &row.connection_id,
            received_at: &row.received_at,
            method: &row.method,
            content_type: row.content_type.as_deref(),
            headers: &row.headers.to_string(),
            query: row.query.as_deref(),
            body: &row.body,
            has_payload: row.has_payload,
            status: row.status,
            error: error.as_deref(),
            outcomes: outcomes.as_deref(),
            summary: summary.as_deref(),
            replay_of: row.replay_of.as_deref(),
        },
    )
}

pub fn insert_new(tx: Tx, row: &NewRequest) -> Result<i64, StoreError> {
    let c = match tx {
        Tx::Sqlite(c) => c,
        Tx::Postgres(p) => return pg::insert_new(p, row),
    };
    c.prepare_cached(
        "INSERT INTO requests (id, connection_id, received_at, method, content_type, headers, query, body, has_payload,
         status, error, outcomes, summary, replay_of, size) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)",
    )?
    .execute(rusqlite::params![
        row.id,
        row.connection_id,
        row.received_at,
        row.method,
        row.content_type,
        row.headers,
        row.query,
        row.body,
        row.has_payload,
        row.status,
        row.error,
        row.outcomes,
        row.summary,
        row.replay_of,
        row.body.len() as i64,
    ])?;
    Ok(c.last_insert_rowid())
}

/// Total size of kept bodies per connection unless told otherwise (docs/design.md §14).
pub const DEFAULT_KEEP_BYTES: u64 = 1 << 30;

/// What a connection keeps, as stored: `None` is the default, `Some(0)` no limit on that measure.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Retention {
    pub keep_requests: Option<u64>,
    pub keep_days: Option<u64>,
    pub keep_bytes: Option<u64>,
}

/// The limits a prune applies: `None` is no limit.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Limits {
    keep: Option<i64>,
    /// RFC 3339 UTC: requests received before it go.
    cutoff: Option<String>,
    bytes: Option<i64>,
}

impl Retention {
    /// `default_keep` stands for an unset request count (the listener's own default).
    fn limits(&self, default_keep: usize) -> Limits {
        let given = |v: Option<u64>, default: Option<u64>| match v {
            None => default,
            Some(0) => None,
            Some(n) => Some(n),
        };
        let as_i64 = |n: u64| i64::try_from(n).unwrap_or(i64::MAX);
        Limits {
            keep: given(self.keep_requests, Some(default_keep.max(1) as u64)).map(as_i64),
            cutoff: given(self.keep_days, None).map(|d| {
                let days = chrono::Duration::days(as_i64(d.min(1_000_000)));
                (chrono::Utc::now() - days).to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
            }),
            bytes: given(self.keep_bytes, Some(DEFAULT_KEEP_BYTES)).map(as_i64),
        }
    }
}

pub fn retention(tx: Tx, connection_id: &str) -> Result<Retention, StoreError> {
    let c = match tx {
        Tx::Sqlite(c) => c,
        Tx::Postgres(p) => return pg::retention(p, connection_id),
    };
    let row: Option<(Option<i64>, Option<i64>, Option<i64>)> = c
        .prepare_cached(
            "SELECT keep_requests, keep_days, keep_bytes FROM request_retention WHERE connection_id = ?1",
        )?
        .query_row([connection_id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .optional()?;
    Ok(retention_from(row))
}

fn retention_from(row: Option<(Option<i64>, Option<i64>, Option<i64>)>) -> Retention {
    let u = |v: Option<i64>| v.map(|n| n.max(0) as u64);
    row.map_or_else(Retention::default, |(n, d, b)| Retention {
        keep_requests: u(n),
        keep_days: u(d),
        keep_bytes: u(b),
    })
}

pub fn set_retention(
    tx: Tx,
    connection_id: &str,
    r: &Retention,
    updated_at: &str,
) -> Result<(), StoreError> {
    let c = match tx {
        Tx::Sqlite(c) => c,
        Tx::Postgres(p) => return pg::set_retention(p, connection_id, r, updated_at),
    };
    let i = |v: Option<u64>| v.map(|n| i64::try_from(n).unwrap_or(i64::MAX));
    c.prepare_cached(
        "INSERT INTO request_retention (connection_id, keep_requests, keep_days, keep_bytes, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5)
         ON CONFLICT (connection_id) DO UPDATE SET keep_requests = excluded.keep_requests,
           keep_days = excluded.keep_days, keep_bytes = excluded.keep_bytes, updated_at = excluded.updated_at",
    )?
    .execute((
        connection_id,
        i(r.keep_requests),
        i(r.keep_days),
        i(r.keep_bytes),
        updated_at,
    ))?;
    Ok(())
}

/// Applies the connection's retention (docs/design.md §14): the newest N requests (`default_keep` unless
/// the connection sets its own), those of the last N days, and the newest bodies up to a total
/// size; the latest payload is always kept. Returns how many requests went.
pub fn prune(tx: Tx, connection_id: &str, default_keep: usize) -> Result<usize, StoreError> {
    let limits = retention(tx, connection_id)?.limits(default_keep);
    let c = match tx {
        Tx::Sqlite(c) => c,
        Tx::Postgres(p) => return pg::prune(p, connection_id, &limits),
    };
    const LATEST: &str = "coalesce((SELECT max(seq) FROM requests WHERE connection_id = ?1 AND has_payload = 1), -1)";
    let mut gone = 0;
    if let Some(keep) = limits.keep {
        gone += c
            .prepare_cached(&format!(
                "DELETE FROM requests WHERE connection_id = ?1
                   AND seq < (SELECT seq FROM requests WHERE connection_id = ?1 ORDER BY seq DESC LIMIT 1 OFFSET ?2 - 1)
                   AND seq <> {LATEST}"
            ))?
            .execute((connection_id, keep))?;
    }
    if let Some(cutoff) = &limits.cutoff {
        gone += c
            .prepare_cached(&format!(
                "DELETE FROM requests WHERE connection_id = ?1 AND received_at < ?2 AND seq <> {LATEST}"
            ))?
            .execute((connection_id, cutoff))?;
    }
    // The window over the whole log runs only once the log is over its size: it cost more with
    // every request kept (a 1 GiB default holds many), and ran after every group.
    let over = |bytes: i64| -> Result<bool, StoreError> {
        let total: i64 = c
            .prepare_cached("SELECT coalesce(sum(size), 0) FROM requests WHERE connection_id = ?1")?
            .query_row([connection_id], |r| r.get(0))?;
        Ok(total > bytes)
    };
    if let Some(bytes) = limits.bytes.filter(|&b| over(b).unwrap_or(true)) {
        gone += c
            .prepare_cached(&format!(
                "DELETE FROM requests WHERE connection_id = ?1 AND seq <> {LATEST} AND seq IN (
                   SELECT seq FROM (SELECT seq, sum(size) OVER (ORDER BY seq DESC) AS kept
                                    FROM requests WHERE connection_id = ?1)
                   WHERE kept > ?2)"
            ))?
            .execute((connection_id, bytes))?;
    }
    Ok(gone)
}

/// Which requests of a connection a search finds; every part is optional.
#[derive(Debug, Clone, Default)]
pub struct Search<'a> {
    /// Text in the body or the error (without case, ASCII letters).
    pub text: Option<&'a str>,
    /// Inclusive status range.
    pub status: Option<(u16, u16)>,
    /// RFC 3339 UTC, inclusive.
    pub since: Option<&'a str>,
    pub until: Option<&'a str>,
    /// Only requests older than this one (its `seq`): the next page.
    pub before_seq: Option<i64>,
    pub limit: usize,
}

impl Search<'_> {
    fn status_range(&self) -> (i64, i64) {
        self.status
            .map_or((0, 999), |(a, b)| (i64::from(a), i64::from(b)))
    }
}

/// Newest first, without bodies, with each body's size in bytes.
pub fn search(
    tx: Tx,
    connection_id: &str,
    q: &Search,
) -> Result<Vec<(RequestRow, usize)>, StoreError> {
    let c = match tx {
        Tx::Sqlite(c) => c,
        Tx::Postgres(p) => return pg::search(p, connection_id, q),
    };
    let (lo, hi) = q.status_range();
    let mut st = c.prepare_cached(&format!(
        "SELECT {LIST_COLUMNS} FROM requests WHERE connection_id = ?1
           AND seq < coalesce(?2, 9223372036854775807)
           AND received_at >= coalesce(?3, '') AND received_at <= coalesce(?4, '~')
           AND status BETWEEN ?5 AND ?6
           AND (?7 IS NULL OR instr(lower(CAST(body AS TEXT)), lower(?7)) > 0
                OR instr(lower(coalesce(error, '')), lower(?7)) > 0)
         ORDER BY seq DESC LIMIT ?8"
    ))?;
    let rows = st.query_map(
        rusqlite::params![
            connection_id,
            q.before_seq,
            q.since,
            q.until,
            lo,
            hi,
            q.text,
            q.limit as i64
        ],
        |r| Ok((from_row(r)?, r.get::<_, i64>(15)? as usize)),
    )?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// The `seq` of one of a connection's requests (where a page starts).
pub fn seq_of(tx: Tx, connection_id: &str, id: &str) -> Result<Option<i64>, StoreError> {
    let c = match tx {
        Tx::Sqlite(c) => c,
        Tx::Postgres(p) => return pg::seq_of(p, connection_id, id),
    };
    Ok(
        c.prepare_cached("SELECT seq FROM requests WHERE connection_id = ?1 AND id = ?2")?
            .query_row([connection_id, id], |r| r.get(0))
            .optional()?,
    )
}

/// The newest request whose body can serve as the latest payload.
pub fn latest_payload(tx: Tx, connection_id: &str) -> Result<Option<RequestRow>, StoreError> {
    let c = match tx {
        Tx::Sqlite(c) => c,
        Tx::Postgres(p) => return pg::latest_payload(p, connection_id),
    };
    Ok(c.prepare_cached(&format!(
        "SELECT {COLUMNS} FROM requests WHERE connection_id = ?1 AND has_payload = 1 ORDER BY seq DESC LIMIT 1"
    ))?
    .query_row([connection_id], from_row)
    .optional()?)
}

/// Newest first, without bodies; the second value is each body's size in bytes.
pub fn list(
    tx: Tx,
    connection_id: &str,
    limit: usize,
) -> Result<Vec<(RequestRow, usize)>, StoreError> {
    let c = match tx {
        Tx::Sqlite(c) => c,
        Tx::Postgres(p) => return pg::list(p, connection_id, limit),
    };
    let mut st = c.prepare_cached(&format!(
        "SELECT {LIST_COLUMNS} FROM requests WHERE connection_id = ?1 ORDER BY seq DESC LIMIT ?2"
    ))?;
    let rows = st.query_map((connection_id, limit as i64), |r| {
        Ok((from_row(r)?, r.get::<_, i64>(15)? as usize))
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

pub fn get(tx: Tx, id: &str) -> Result<Option<RequestRow>, StoreError> {
    let c = match tx {
        Tx::Sqlite(c) => c,
        Tx::Postgres(p) => return pg::get(p, id),
    };
    Ok(
        c.prepare_cached(&format!("SELECT {COLUMNS} FROM requests WHERE id = ?1"))?
            .query_row([id], from_row)
            .optional()?,
    )
}

/// Payload requests received at or after `since` (RFC 3339 UTC), oldest first; replays excluded.
pub fn payloads_since(
    tx: Tx,
    connection_id: &str,
    since: &str,
) -> Result<Vec<RequestRow>, StoreError> {
    let c = match tx {
        Tx::Sqlite(c) => c,
        Tx::Postgres(p) => return pg::payloads_since(p, connection_id, since),
    };
    let mut st = c.prepare_cached(&format!(
        "SELECT {COLUMNS} FROM requests WHERE connection_id = ?1 AND has_payload = 1 AND received_at >= ?2
         AND replay_of IS NULL ORDER BY seq"
    ))?;
    let rows = st.query_map((connection_id, since), from_row)?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// Ids of this connection's requests that a later replay wrote (a replay logged with 200).
pub fn written_by_replay(
    tx: Tx,
    connection_id: &str,
) -> Result<std::collections::HashSet<String>, StoreError> {
    let c = match tx {
        Tx::Sqlite(c) => c,
        Tx::Postgres(p) => return pg::written_by_replay(p, connection_id),
    };
    let mut st = c.prepare_cached(
        "SELECT DISTINCT replay_of FROM requests WHERE connection_id = ?1 AND replay_of IS NOT NULL AND status = 200",
    )?;
    let rows = st.query_map([connection_id], |r| r.get::<_, String>(0))?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// `(count, newest received_at)` of a connection's log.
pub fn stats(
    tx: Tx,
    connection_id: &str,
) -> Result<(u64, Option<String>, Option<u16>), StoreError> {
    let c = match tx {
        Tx::Sqlite(c) => c,
        Tx::Postgres(p) => return pg::stats(p, connection_id),
    };
    let (n, last): (i64, Option<String>) = c
        .prepare_cached("SELECT count(*), max(received_at) FROM requests WHERE connection_id = ?1")?
        .query_row([connection_id], |r| Ok((r.get(0)?, r.get(1)?)))?;
    let status: Option<u16> = c
        .prepare_cached(
            "SELECT status FROM requests WHERE connection_id = ?1 ORDER BY seq DESC LIMIT 1",
        )?
        .query_row([connection_id], |r| r.get(0))
        .optional()?;
    Ok((n as u64, last, status))
}

/// The same statements on PostgreSQL.
pub(crate) mod pg {
    use super::{NewRequest, RequestRow};
    use crate::store::pg::PgConn;
    use crate::store::StoreError;
    use serde_json::Value;

    const COLUMNS: &str = "seq, id, connection_id, received_at, method, content_type, headers, query, body, has_payload,
        status, error, outcomes, summary, replay_of";
    const LIST_COLUMNS: &str = "seq, id, connection_id, received_at, method, content_type, headers, query, ''::bytea, has_payload,
        status, error, outcomes, summary, replay_of, length(body)::int8";

    fn json_col(r: &postgres::Row, i: usize) -> Option<Value> {
        r.get::<_, Option<String>>(i)
            .and_then(|t| serde_json::from_str(&t).ok())
    }

    fn from_row(r: &postgres::Row) -> RequestRow {
        RequestRow {
            seq: r.get(0),
            id: r.get(1),
            connection_id: r.get(2),
            received_at: r.get(3),
            method: r.get(4),
            content_type: r.get(5),
            headers: json_col(r, 6).unwrap_or(Value::Null),
            query: r.get(7),
            body: r.get(8),
            has_payload: r.get(9),
            status: r.get::<_, i32>(10) as u16,
            error: json_col(r, 11),
            outcomes: json_col(r, 12),
            summary: json_col(r, 13),
            replay_of: r.get(14),
        }
    }

    pub fn insert(p: &PgConn, row: &RequestRow) -> Result<i64, StoreError> {
        let text = |v: &Option<Value>| v.as_ref().map(|v| v.to_string());
        let (error, outcomes, summary) =
            (text(&row.error), text(&row.outcomes), text(&row.summary));
        insert_new(
            p,
            &NewRequest {
                id: &row.id,
                connection_id: &row.connection_id,
                received_at: &row.received_at,
                method: &row.method,
                content_type: row.content_type.as_deref(),
                headers: &row.headers.to_string(),
                query: row.query.as_deref(),
                body: &row.body,
                has_payload: row.has_payload,
                status: row.status,
                error: error.as_deref(),
                outcomes: outcomes.as_deref(),
                summary: summary.as_deref(),
                replay_of: row.replay_of.as_deref(),
            },
        )
    }

    pub fn insert_new(p: &PgConn, row: &NewRequest) -> Result<i64, StoreError> {
        Ok(p.query_one(
            "INSERT INTO requests (id, connection_id, received_at, method, content_type, headers, query, body, has_payload,
             status, error, outcomes, summary, replay_of, size) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)
             RETURNING seq",
            &[&row.id, &row.connection_id, &row.received_at, &row.method, &row.content_type, &row.headers, &row.query,
              &row.body, &row.has_payload, &i32::from(row.status), &row.error, &row.outcomes, &row.summary, &row.replay_of,
              &(row.body.len() as i64)],
        )?
        .get(0))
    }

    const LATEST: &str =
        "coalesce((SELECT max(seq) FROM requests WHERE connection_id = $1 AND has_payload), -1)";

    pub(super) fn prune(
        p: &PgConn,
        connection_id: &str,
        limits: &super::Limits,
    ) -> Result<usize, StoreError> {
        let mut gone = 0;
        if let Some(keep) = limits.keep {
            gone += p.execute(
                &format!("DELETE FROM requests WHERE connection_id = $1
                   AND seq < (SELECT seq FROM requests WHERE connection_id = $1 ORDER BY seq DESC LIMIT 1 OFFSET $2::int8 - 1)
                   AND seq <> {LATEST}"),
                &[&connection_id, &keep],
            )? as usize;
        }
        if let Some(cutoff) = &limits.cutoff {
            gone += p.execute(
                &format!("DELETE FROM requests WHERE connection_id = $1 AND received_at COLLATE \"C\" < $2 AND seq <> {LATEST}"),
                &[&connection_id, cutoff],
            )? as usize;
        }
        // As on SQLite: the window over the whole log only once the log is over its size.
        let over = |bytes: i64| -> Result<bool, StoreError> {
            let total: i64 = p
                .query_one(
                    "SELECT coalesce(sum(size), 0)::int8 FROM requests WHERE connection_id = $1",
                    &[&connection_id],
                )?
                .get(0);
            Ok(total > bytes)
        };
        if let Some(bytes) = limits.bytes.filter(|&b| over(b).unwrap_or(true)) {
            gone += p.execute(
                &format!(
                    "DELETE FROM requests WHERE connection_id = $1 AND seq <> {LATEST} AND seq IN (
                   SELECT seq FROM (SELECT seq, sum(size) OVER (ORDER BY seq DESC) AS kept
                                    FROM requests WHERE connection_id = $1) k
                   WHERE kept > $2::int8)"
                ),
                &[&connection_id, &bytes],
            )? as usize;
        }
        Ok(gone)
    }

    pub fn retention(p: &PgConn, connection_id: &str) -> Result<super::Retention, StoreError> {
        let row = p.query_opt(
            "SELECT keep_requests, keep_days, keep_bytes FROM request_retention WHERE connection_id = $1",
            &[&connection_id],
        )?;
        Ok(super::retention_from(
            row.map(|r| (r.get(0), r.get(1), r.get(2))),
        ))
    }

    pub fn set_retention(
        p: &PgConn,
        connection_id: &str,
        r: &super::Retention,
        updated_at: &str,
    ) -> Result<(), StoreError> {
        let i = |v: Option<u64>| v.map(|n| i64::try_from(n).unwrap_or(i64::MAX));
        p.execute(
            "INSERT INTO request_retention (connection_id, keep_requests, keep_days, keep_bytes, updated_at)
             VALUES ($1, $2, $3, $4, $5)
             ON CONFLICT (connection_id) DO UPDATE SET keep_requests = excluded.keep_requests,
               keep_days = excluded.keep_days, keep_bytes = excluded.keep_bytes, updated_at = excluded.updated_at",
            &[&connection_id, &i(r.keep_requests), &i(r.keep_days), &i(r.keep_bytes), &updated_at],
        )?;
        Ok(())
    }

    pub fn search(
        p: &PgConn,
        connection_id: &str,
        q: &super::Search,
    ) -> Result<Vec<(RequestRow, usize)>, StoreError> {
        let (lo, hi) = q.status_range();
        let (lo, hi) = (lo as i32, hi as i32);
        // `escape` spells bytes that are not ASCII the same way in the body and in the text
        // searched for, so a body that is not UTF-8 is still searched and letters fold as on SQLite.
        let rows = p.query(
            &format!(
                "SELECT {LIST_COLUMNS} FROM requests WHERE connection_id = $1
                   AND seq < coalesce($2::int8, 9223372036854775807)
                   AND received_at COLLATE \"C\" >= coalesce($3::text, '')
                   AND received_at COLLATE \"C\" <= coalesce($4::text, '~')
                   AND status BETWEEN $5::int4 AND $6::int4
                   AND ($7::text IS NULL
                        OR strpos(lower(encode(body, 'escape')), lower(encode(convert_to($7::text, 'UTF8'), 'escape'))) > 0
                        OR strpos(lower(coalesce(error, '')), lower($7::text)) > 0)
                 ORDER BY seq DESC LIMIT $8"
            ),
            &[&connection_id, &q.before_seq, &q.since, &q.until, &lo, &hi, &q.text, &(q.limit as i64)],
        )?;
        Ok(rows
            .iter()
            .map(|r| (from_row(r), r.get::<_, i64>(15) as usize))
            .collect())
    }

    pub fn seq_of(p: &PgConn, connection_id: &str, id: &str) -> Result<Option<i64>, StoreError> {
        Ok(p.query_opt(
            "SELECT seq FROM requests WHERE connection_id = $1 AND id = $2",
            &[&connection_id, &id],
        )?
        .map(|r| r.get(0)))
    }

    pub fn latest_payload(
        p: &PgConn,
        connection_id: &str,
    ) -> Result<Option<RequestRow>, StoreError> {
        Ok(p
            .query_opt(
                &format!("SELECT {COLUMNS} FROM requests WHERE connection_id = $1 AND has_payload ORDER BY seq DESC LIMIT 1"),
                &[&connection_id],
            )?
            .as_ref()
            .map(from_row))
    }

    pub fn list(
        p: &PgConn,
        connection_id: &str,
        limit: usize,
    ) -> Result<Vec<(RequestRow, usize)>, StoreError> {
        let rows = p.query(
            &format!("SELECT {LIST_COLUMNS} FROM requests WHERE connection_id = $1 ORDER BY seq DESC LIMIT $2"),
            &[&connection_id, &(limit as i64)],
        )?;
        Ok(rows
            .iter()
            .map(|r| (from_row(r), r.get::<_, i64>(15) as usize))
            .collect())
    }

    pub fn get(p: &PgConn, id: &str) -> Result<Option<RequestRow>, StoreError> {
        Ok(p.query_opt(
            &format!("SELECT {COLUMNS} FROM requests WHERE id = $1"),
            &[&id],
        )?
        .as_ref()
        .map(from_row))
    }

    pub fn payloads_since(
        p: &PgConn,
        connection_id: &str,
        since: &str,
    ) -> Result<Vec<RequestRow>, StoreError> {
        let rows = p.query(
            &format!(
                "SELECT {COLUMNS} FROM requests WHERE connection_id = $1 AND has_payload
                 AND received_at COLLATE \"C\" >= $2 AND replay_of IS NULL ORDER BY seq"
            ),
            &[&connection_id, &since],
        )?;
        Ok(rows.iter().map(from_row).collect())
    }

    pub fn written_by_replay(
        p: &PgConn,
        connection_id: &str,
    ) -> Result<std::collections::HashSet<String>, StoreError> {
        let rows = p.query(
            "SELECT DISTINCT replay_of FROM requests WHERE connection_id = $1 AND replay_of IS NOT NULL AND status = 200",
            &[&connection_id],
        )?;
        Ok(rows.iter().map(|r| r.get(0)).collect())
    }

    pub fn stats(
        p: &PgConn,
        connection_id: &str,
    ) -> Result<(u64, Option<String>, Option<u16>), StoreError> {
        let r = p.query_one(
            "SELECT count(*), max(received_at COLLATE \"C\"),
                    (SELECT status FROM requests WHERE connection_id = $1 ORDER BY seq DESC LIMIT 1)
             FROM requests WHERE connection_id = $1",
            &[&connection_id],
        )?;
        Ok((
            r.get::<_, i64>(0) as u64,
            r.get(1),
            r.get::<_, Option<i32>>(2).map(|s| s as u16),
        ))
    }
}

#[cfg(test)]
pub(crate) fn sample(id: &str, connection_id: &str, has_payload: bool) -> RequestRow {
    RequestRow {
        seq: 0,
        id: id.into(),
        connection_id: connection_id.into(),
        received_at: crate::store::now(),
        method: "POST".into(),
        content_type: Some("application/json".into()),
        headers: serde_json::json!({"authorization": "[redacted]"}),
        query: None,
        body: if has_payload {
            b"{\"a\":1}".to_vec()
        } else {
            Vec::new()
        },
        has_payload,
        status: 200,
        error: None,
        outcomes: None,
        summary: None,
        replay_of: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    #[allow(unused_imports)]
    use crate::store::Tx;
    use crate::store::{migrations, queries::connections};
    #[allow(unused_imports)]
    use rusqlite::Connection;

    fn db() -> Connection {
        let mut c = Connection::open_in_memory().unwrap();
        migrations::run(&mut c).unwrap();
        connections::insert(
            Tx::Sqlite(&c),
            &connections::sample("c1", inlet_core::Kind::Accounts),
        )
        .unwrap();
        c
    }

    #[test]
    fn pruning_keeps_the_newest_requests_and_the_latest_payload() {
        let c = db();
        insert(Tx::Sqlite(&c), &sample("payload", "c1", true)).unwrap();
        for i in 0..5 {
            insert(Tx::Sqlite(&c), &sample(&format!("test{i}"), "c1", false)).unwrap();
        }
        assert_eq!(prune(Tx::Sqlite(&c), "c1", 3).unwrap(), 2);
        let ids: Vec<String> = list(Tx::Sqlite(&c), "c1", 10)
            .unwrap()
            .into_iter()
            .map(|(r, _)| r.id)
            .collect();
        assert_eq!(ids, ["test4", "test3", "test2", "payload"]);
        assert_eq!(
            latest_payload(Tx::Sqlite(&c), "c1").unwrap().unwrap().id,
            "payload"
        );
        assert_eq!(
            get(Tx::Sqlite(&c), "payload").unwrap().unwrap().body,
            b"{\"a\":1}"
        );
    }

    #[test]
    fn requests_older_than_the_days_kept_go_but_the_latest_payload_stays() {
        let c = db();
        let at = |id: &str, days: i64, payload: bool| {
            let mut r = sample(id, "c1", payload);
            r.received_at = (chrono::Utc::now() - chrono::Duration::days(days))
                .to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
            insert(Tx::Sqlite(&c), &r).unwrap();
        };
        at("old", 40, false);
        at("old-payload", 35, true);
        at("recent", 2, false);
        let keep_days = |d| Retention {
            keep_days: Some(d),
            ..Default::default()
        };
        set_retention(Tx::Sqlite(&c), "c1", &keep_days(30), "t").unwrap();
        assert_eq!(prune(Tx::Sqlite(&c), "c1", 1000).unwrap(), 1);
        let ids: Vec<String> = list(Tx::Sqlite(&c), "c1", 10)
            .unwrap()
            .into_iter()
            .map(|(r, _)| r.id)
            .collect();
        assert_eq!(ids, ["recent", "old-payload"]);
        set_retention(Tx::Sqlite(&c), "c1", &keep_days(0), "t").unwrap();
        assert_eq!(retention(Tx::Sqlite(&c), "c1").unwrap(), keep_days(0));
    }

    #[test]
    fn pruning_a_short_log_removes_nothing() {
        let c = db();
        insert(Tx::Sqlite(&c), &sample("a", "c1", true)).unwrap();
        assert_eq!(prune(Tx::Sqlite(&c), "c1", 1000).unwrap(), 0);
        assert_eq!(stats(Tx::Sqlite(&c), "c1").unwrap().0, 1);
    }

    #[test]
    fn lists_are_newest_first_and_carry_the_body_size() {
        let c = db();
        insert(Tx::Sqlite(&c), &sample("old", "c1", true)).unwrap();
        insert(Tx::Sqlite(&c), &sample("new", "c1", false)).unwrap();
        let l = list(Tx::Sqlite(&c), "c1", 10).unwrap();
        assert_eq!(l[0].0.id, "new");
        assert_eq!(l[1].1, 7);
        assert!(l[1].0.body.is_empty());
    }
}
