//! One module per table: every statement is here, parameterised, and nowhere else. Each function
//! takes a `Tx` and has one arm per store: the SQLite statement inline, the PostgreSQL one in the
//! module's `pg` submodule (same name, same arguments, same answer).

pub mod accounts;
pub mod config_version;
pub mod connections;
pub mod contacts;
pub mod drift;
pub mod event_types;
pub mod events;
pub mod mappings;
pub mod requests;
pub mod settings;
pub mod trust;

use super::StoreError;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// A stored record's properties and the connection that last wrote it: what an update merges into.
pub type ForUpdate = (Map<String, Value>, Option<String>);

/// Reads a record's `ForUpdate` with `sql` (`SELECT properties, connection_id … WHERE id = ?1`,
/// one literal per table).
pub(crate) fn for_update(
    c: &rusqlite::Connection,
    sql: &str,
    id: i64,
) -> Result<Option<ForUpdate>, StoreError> {
    use rusqlite::OptionalExtension;
    let row: Option<(String, Option<String>)> = c
        .prepare_cached(sql)?
        .query_row([id], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?;
    row.map(|(p, conn)| Ok((properties_from(&p)?, conn)))
        .transpose()
}

/// Properties are stored as a JSON object in text.
pub(crate) fn properties_from(text: &str) -> Result<Map<String, Value>, StoreError> {
    match serde_json::from_str::<Value>(text) {
        Ok(Value::Object(m)) => Ok(m),
        Ok(_) => Err(StoreError::Corrupt(
            "properties are not a JSON object".into(),
        )),
        Err(e) => Err(StoreError::Corrupt(format!("properties: {e}"))),
    }
}

/// Runs an UPDATE whose SET list depends on which fields are given: `sql` numbers its parameters
/// `?1…?N` in the order of `params`, and only those it uses are bound.
pub(crate) fn execute_partial(
    c: &rusqlite::Connection,
    sql: &str,
    params: &[&dyn rusqlite::ToSql],
) -> Result<(), StoreError> {
    let mut st = c.prepare_cached(sql)?;
    let used = st.parameter_count();
    for (i, p) in params.iter().enumerate().take(used) {
        st.raw_bind_parameter(i + 1, p)?;
    }
    st.raw_execute()?;
    Ok(())
}

/// Rows read with their properties as JSON text, each record given its parsed properties.
pub(crate) fn with_properties<R>(
    rows: impl Iterator<Item = rusqlite::Result<(R, String)>>,
    set: impl Fn(&mut R, Map<String, Value>),
) -> Result<Vec<R>, StoreError> {
    let mut out = Vec::new();
    for row in rows {
        let (mut rec, props) = row?;
        set(&mut rec, properties_from(&props)?);
        out.push(rec);
    }
    Ok(out)
}

pub(crate) fn json_text(v: &impl serde::Serialize) -> String {
    serde_json::to_string(v).unwrap_or_else(|_| "null".into())
}

/// `col LIKE` without LIKE's wildcards: a case-insensitive substring test on a parameter.
pub(crate) const CONTAINS: &str = "instr(lower(coalesce({col}, '')), lower(?{n})) > 0";

pub(crate) fn contains(col: &str, n: usize) -> String {
    CONTAINS
        .replace("{col}", col)
        .replace("{n}", &n.to_string())
}

/// `contains` on PostgreSQL (`strpos` has no wildcards either).
pub(crate) fn pg_contains(col: &str, n: usize) -> String {
    format!("strpos(lower(coalesce({col}, '')), lower(${n})) > 0")
}

/// Which records a list shows.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct RecordFilter {
    #[serde(default)]
    pub connection: Option<String>,
    #[serde(default)]
    pub search: Option<String>,
    #[serde(default)]
    pub limit: Option<usize>,
}

impl RecordFilter {
    pub fn limit(&self) -> i64 {
        self.limit.unwrap_or(100).min(100_000) as i64
    }
}
