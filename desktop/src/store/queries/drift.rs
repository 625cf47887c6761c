//! Schema drift as stored (DESIGN §13): each connection's `DriftState` (JSON), the drift records
//! per kind and field, and the Standard Webhooks deliveries already written.

use crate::store::StoreError;
use inlet_core::drift::{Drift, DriftState};
use rusqlite::{Connection, OptionalExtension};
use serde::{Deserialize, Serialize};

pub fn state(c: &Connection, connection_id: &str) -> Result<DriftState, StoreError> {
    let text: Option<String> = c
        .prepare_cached("SELECT state FROM drift_state WHERE connection_id = ?1")?
        .query_row([connection_id], |r| r.get(0))
        .optional()?;
    match text {
        None => Ok(DriftState::default()),
        Some(t) => serde_json::from_str(&t)
            .map_err(|e| StoreError::Corrupt(format!("drift state of {connection_id}: {e}"))),
    }
}

pub fn put_state(
    c: &Connection,
    connection_id: &str,
    state: &DriftState,
    at: &str,
) -> Result<(), StoreError> {
    c.prepare_cached(
        "INSERT INTO drift_state (connection_id, state, updated_at) VALUES (?1, ?2, ?3)
         ON CONFLICT (connection_id) DO UPDATE SET state = excluded.state, updated_at = excluded.updated_at",
    )?
    .execute((connection_id, super::json_text(state), at))?;
    Ok(())
}

/// One kind of drift in one field, as `connections show` reports it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DriftRecord {
    pub kind: String,
    pub field: String,
    pub first_seen: String,
    pub last_seen: String,
    /// Requests that showed it.
    pub requests: u64,
    /// Rows, over those requests, that showed it.
    pub rows: u64,
    /// The first request that showed it.
    pub example_request_id: String,
    pub expected: String,
    /// As in the latest request that showed it.
    pub found: String,
    pub message: String,
}

/// Counts one request's drift: a new record, or one more request on the existing one.
pub fn record(
    c: &Connection,
    connection_id: &str,
    d: &Drift,
    request_id: &str,
    at: &str,
) -> Result<(), StoreError> {
    c.prepare_cached(
        "INSERT INTO drift_records (connection_id, kind, field, first_seen, last_seen, requests, rows,
                example_request_id, expected, found, message)
         VALUES (?1, ?2, ?3, ?4, ?4, 1, ?5, ?6, ?7, ?8, ?9)
         ON CONFLICT (connection_id, kind, field) DO UPDATE SET last_seen = excluded.last_seen,
                requests = requests + 1, rows = rows + excluded.rows, found = excluded.found,
                message = excluded.message",
    )?
    .execute((
        connection_id,
        d.kind.as_str(),
        &d.field,
        at,
        d.rows as i64,
        request_id,
        &d.expected,
        &d.found,
        &d.message,
    ))?;
    Ok(())
}

pub fn records(c: &Connection, connection_id: &str) -> Result<Vec<DriftRecord>, StoreError> {
    let mut st = c.prepare_cached(
        "SELECT kind, field, first_seen, last_seen, requests, rows, example_request_id, expected,
                found, message
         FROM drift_records WHERE connection_id = ?1 ORDER BY first_seen, kind, field",
    )?;
    let rows = st.query_map([connection_id], |r| {
        Ok(DriftRecord {
            kind: r.get(0)?,
            field: r.get(1)?,
            first_seen: r.get(2)?,
            last_seen: r.get(3)?,
            requests: r.get::<_, i64>(4)? as u64,
            rows: r.get::<_, i64>(5)? as u64,
            example_request_id: r.get(6)?,
            expected: r.get(7)?,
            found: r.get(8)?,
            message: r.get(9)?,
        })
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// Connections with drift not yet acknowledged (for the Connections list).
pub fn counts(c: &Connection) -> Result<Vec<(String, u64)>, StoreError> {
    let mut st = c.prepare_cached(
        "SELECT connection_id, count(*) FROM drift_records GROUP BY connection_id",
    )?;
    let rows = st.query_map([], |r| Ok((r.get(0)?, r.get::<_, i64>(1)? as u64)))?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// Forgets the drift records (acknowledged, or a new mapping saved).
pub fn clear_records(c: &Connection, connection_id: &str) -> Result<usize, StoreError> {
    Ok(
        c.prepare_cached("DELETE FROM drift_records WHERE connection_id = ?1")?
            .execute([connection_id])?,
    )
}

/// A new mapping: the baseline starts again from the rows accepted from now on.
pub fn reset(c: &Connection, connection_id: &str) -> Result<(), StoreError> {
    c.prepare_cached("DELETE FROM drift_state WHERE connection_id = ?1")?
        .execute([connection_id])?;
    clear_records(c, connection_id)?;
    Ok(())
}

/// The request that wrote this Standard Webhooks message id, if one did since `since`.
pub fn delivery(
    c: &Connection,
    connection_id: &str,
    webhook_id: &str,
    since: &str,
) -> Result<Option<String>, StoreError> {
    Ok(c.prepare_cached(
        "SELECT request_id FROM webhook_deliveries
             WHERE connection_id = ?1 AND webhook_id = ?2 AND received_at >= ?3",
    )?
    .query_row((connection_id, webhook_id, since), |r| r.get(0))
    .optional()?)
}

pub fn put_delivery(
    c: &Connection,
    connection_id: &str,
    webhook_id: &str,
    request_id: &str,
    at: &str,
) -> Result<(), StoreError> {
    c.prepare_cached(
        "INSERT INTO webhook_deliveries (connection_id, webhook_id, request_id, received_at)
         VALUES (?1, ?2, ?3, ?4)
         ON CONFLICT (connection_id, webhook_id) DO UPDATE SET request_id = excluded.request_id,
                received_at = excluded.received_at",
    )?
    .execute((connection_id, webhook_id, request_id, at))?;
    Ok(())
}

/// Drops deliveries older than `before` (past the tolerance they can no longer be replayed).
pub fn prune_deliveries(c: &Connection, before: &str) -> Result<usize, StoreError> {
    Ok(
        c.prepare_cached("DELETE FROM webhook_deliveries WHERE received_at < ?1")?
            .execute([before])?,
    )
}
