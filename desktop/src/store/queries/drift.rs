//! Schema drift as stored (docs/design.md §13): each connection's `DriftState` (JSON), the drift records
//! per kind and field, and the Standard Webhooks deliveries already written. The statements are
//! written once with `$N` parameters, which SQLite reads as numbered parameters too.

use crate::store::{StoreError, Tx};
use inlet_core::drift::{Drift, DriftState};
use rusqlite::OptionalExtension;
use serde::{Deserialize, Serialize};

const STATE: &str = "SELECT state FROM drift_state WHERE connection_id = $1";
const PUT_STATE: &str = "INSERT INTO drift_state (connection_id, state, updated_at) VALUES ($1, $2, $3)
     ON CONFLICT (connection_id) DO UPDATE SET state = excluded.state, updated_at = excluded.updated_at";
const RECORD: &str = "INSERT INTO drift_records (connection_id, kind, field, first_seen, last_seen,
        requests, rows, example_request_id, expected, found, message)
     VALUES ($1, $2, $3, $4, $4, 1, $5, $6, $7, $8, $9)
     ON CONFLICT (connection_id, kind, field) DO UPDATE SET last_seen = excluded.last_seen,
        requests = drift_records.requests + 1, rows = drift_records.rows + excluded.rows,
        found = excluded.found, message = excluded.message";
const RECORDS: &str =
    "SELECT kind, field, first_seen, last_seen, requests, rows, example_request_id,
        expected, found, message
     FROM drift_records WHERE connection_id = $1 ORDER BY first_seen, kind, field";
const CLEAR: &str = "DELETE FROM drift_records WHERE connection_id = $1";
const RESET: &str = "DELETE FROM drift_state WHERE connection_id = $1";
const DELIVERY: &str = "SELECT request_id FROM webhook_deliveries
     WHERE connection_id = $1 AND webhook_id = $2 AND received_at >= $3";
const PUT_DELIVERY: &str =
    "INSERT INTO webhook_deliveries (connection_id, webhook_id, request_id, received_at)
     VALUES ($1, $2, $3, $4)
     ON CONFLICT (connection_id, webhook_id) DO UPDATE SET request_id = excluded.request_id,
        received_at = excluded.received_at";
const PRUNE_DELIVERIES: &str = "DELETE FROM webhook_deliveries WHERE received_at < $1";

fn parse_state(connection_id: &str, text: Option<String>) -> Result<DriftState, StoreError> {
    match text {
        None => Ok(DriftState::default()),
        Some(t) => serde_json::from_str(&t)
            .map_err(|e| StoreError::Corrupt(format!("drift state of {connection_id}: {e}"))),
    }
}

pub fn state(tx: Tx, connection_id: &str) -> Result<DriftState, StoreError> {
    let text: Option<String> = match tx {
        Tx::Sqlite(c) => c
            .prepare_cached(STATE)?
            .query_row([connection_id], |r| r.get(0))
            .optional()?,
        Tx::Postgres(p) => p.query_opt(STATE, &[&connection_id])?.map(|r| r.get(0)),
    };
    parse_state(connection_id, text)
}

pub fn put_state(
    tx: Tx,
    connection_id: &str,
    state: &DriftState,
    at: &str,
) -> Result<(), StoreError> {
    let text = super::json_text(state);
    match tx {
        Tx::Sqlite(c) => {
            c.prepare_cached(PUT_STATE)?
                .execute((connection_id, &text, at))?;
        }
        Tx::Postgres(p) => {
            p.execute(PUT_STATE, &[&connection_id, &text, &at])?;
        }
    }
    Ok(())
}

/// One kind of drift in one field, as `connections show` reports it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct DriftRecord {
    #[cfg_attr(feature = "ts", ts(as = "inlet_core::drift::DriftKind"))]
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
    tx: Tx,
    connection_id: &str,
    d: &Drift,
    request_id: &str,
    at: &str,
) -> Result<(), StoreError> {
    let rows = d.rows as i64;
    let kind = d.kind.as_str();
    match tx {
        Tx::Sqlite(c) => {
            c.prepare_cached(RECORD)?.execute((
                connection_id,
                kind,
                &d.field,
                at,
                rows,
                request_id,
                &d.expected,
                &d.found,
                &d.message,
            ))?;
        }
        Tx::Postgres(p) => {
            p.execute(
                RECORD,
                &[
                    &connection_id,
                    &kind,
                    &d.field,
                    &at,
                    &rows,
                    &request_id,
                    &d.expected,
                    &d.found,
                    &d.message,
                ],
            )?;
        }
    }
    Ok(())
}

pub fn records(tx: Tx, connection_id: &str) -> Result<Vec<DriftRecord>, StoreError> {
    match tx {
        Tx::Sqlite(c) => {
            let mut st = c.prepare_cached(RECORDS)?;
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
        Tx::Postgres(p) => Ok(p
            .query(RECORDS, &[&connection_id])?
            .iter()
            .map(|r| DriftRecord {
                kind: r.get(0),
                field: r.get(1),
                first_seen: r.get(2),
                last_seen: r.get(3),
                requests: r.get::<_, i64>(4) as u64,
                rows: r.get::<_, i64>(5) as u64,
                example_request_id: r.get(6),
                expected: r.get(7),
                found: r.get(8),
                message: r.get(9),
            })
            .collect()),
    }
}

fn execute1(tx: Tx, sql: &str, a: &str) -> Result<u64, StoreError> {
    Ok(match tx {
        Tx::Sqlite(c) => c.prepare_cached(sql)?.execute([a])? as u64,
        Tx::Postgres(p) => p.execute(sql, &[&a])?,
    })
}

/// Forgets the drift records (acknowledged, or a new mapping saved).
pub fn clear_records(tx: Tx, connection_id: &str) -> Result<u64, StoreError> {
    execute1(tx, CLEAR, connection_id)
}

/// A new mapping: the baseline starts again from the rows accepted from now on.
pub fn reset(tx: Tx, connection_id: &str) -> Result<(), StoreError> {
    execute1(tx, RESET, connection_id)?;
    clear_records(tx, connection_id)?;
    Ok(())
}

/// The request that wrote this Standard Webhooks message id, if one did since `since`.
pub fn delivery(
    tx: Tx,
    connection_id: &str,
    webhook_id: &str,
    since: &str,
) -> Result<Option<String>, StoreError> {
    Ok(match tx {
        Tx::Sqlite(c) => c
            .prepare_cached(DELIVERY)?
            .query_row((connection_id, webhook_id, since), |r| r.get(0))
            .optional()?,
        Tx::Postgres(p) => p
            .query_opt(DELIVERY, &[&connection_id, &webhook_id, &since])?
            .map(|r| r.get(0)),
    })
}

pub fn put_delivery(
    tx: Tx,
    connection_id: &str,
    webhook_id: &str,
    request_id: &str,
    at: &str,
) -> Result<(), StoreError> {
    match tx {
        Tx::Sqlite(c) => {
            c.prepare_cached(PUT_DELIVERY)?
                .execute((connection_id, webhook_id, request_id, at))?;
        }
        Tx::Postgres(p) => {
            p.execute(
                PUT_DELIVERY,
                &[&connection_id, &webhook_id, &request_id, &at],
            )?;
        }
    }
    Ok(())
}

/// Drops deliveries older than `before` (past the tolerance they can no longer be replayed).
pub fn prune_deliveries(tx: Tx, before: &str) -> Result<u64, StoreError> {
    execute1(tx, PRUNE_DELIVERIES, before)
}
