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
pub mod listeners;
pub mod mappings;
pub mod requests;
pub mod settings;
pub mod trust;

use super::StoreError;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// A stored account or contact as an update needs it: its properties (JSON text, as stored,
/// which the update merges into: `inlet_core::Properties::merge_into`), the connection that
/// last wrote it, and its keys, so that the update sets only the keys that change (and an index
/// is touched only when its key changes).
#[derive(Debug, Clone, Default)]
pub struct Stored {
    pub properties: String,
    pub connection_id: Option<String>,
    pub external_id: Option<String>,
    /// The account's name or the contact's email.
    pub label: Option<String>,
    /// A contact's account.
    pub account_id: Option<i64>,
}

impl Stored {
    /// From a row selected as `id, external_id, label, account_id, properties, connection_id`
    /// (accounts select NULL for the account): the look-ups' and `for_update`'s columns.
    fn read(r: &rusqlite::Row) -> rusqlite::Result<Stored> {
        Ok(Stored {
            external_id: r.get(1)?,
            label: r.get(2)?,
            account_id: r.get(3)?,
            properties: r.get(4)?,
            connection_id: r.get(5)?,
        })
    }
}

/// The records of one table that a plan's look-ups read, kept for the plan's updates: a record
/// is read once, not again just before its update. `apply` takes each at most once (a second
/// update of the same record reads what the first wrote) and reads any it was not given.
#[derive(Debug, Default)]
pub struct Kept(std::collections::HashMap<i64, Stored>);

impl Kept {
    pub(crate) fn take(&mut self, id: i64) -> Option<Stored> {
        self.0.remove(&id)
    }
}

/// `found_by` for a plan that may update what it finds: `sql` selects the columns
/// `Stored::read` reads, and the records go to `kept`.
pub(crate) fn found_keeping(
    c: &rusqlite::Connection,
    sql: &str,
    p: impl rusqlite::Params,
    found: fn(&rusqlite::Row) -> rusqlite::Result<inlet_core::Found>,
    kept: &mut Kept,
) -> Result<Vec<inlet_core::Found>, StoreError> {
    let mut st = c.prepare_cached(sql)?;
    let mut rows = st.query(p)?;
    let mut out = Vec::new();
    while let Some(r) = rows.next()? {
        out.push(found(r)?);
        kept.0.insert(r.get(0)?, Stored::read(r)?);
    }
    Ok(out)
}

/// Reads a stored record with `sql` (`SELECT id, external_id, label, account_id, properties,
/// connection_id … WHERE id = ?1`, one literal per table): what an update the plan's look-ups
/// did not read needs.
pub(crate) fn for_update(
    c: &rusqlite::Connection,
    sql: &str,
    id: i64,
) -> Result<Option<Stored>, StoreError> {
    use rusqlite::OptionalExtension;
    Ok(c.prepare_cached(sql)?
        .query_row([id], Stored::read)
        .optional()?)
}

/// The look-up rows `sql` finds, read by `found` (each table reads its own columns).
pub(crate) fn found_by(
    c: &rusqlite::Connection,
    sql: &str,
    p: impl rusqlite::Params,
    found: fn(&rusqlite::Row) -> rusqlite::Result<inlet_core::Found>,
) -> Result<Vec<inlet_core::Found>, StoreError> {
    let mut st = c.prepare_cached(sql)?;
    let rows = st.query_map(p, found)?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// Links records to the request that wrote them last with `sql` (`UPDATE … SET request_id = ?2
/// WHERE id IN (SELECT value FROM json_each(?1))`, one literal per table): one statement per
/// request, not one per record.
pub(crate) fn set_request(
    c: &rusqlite::Connection,
    sql: &str,
    ids: &[i64],
    request_id: &str,
) -> Result<(), StoreError> {
    if ids.is_empty() {
        return Ok(());
    }
    let ids = serde_json::to_string(ids).map_err(|e| StoreError::Corrupt(e.to_string()))?;
    c.prepare_cached(sql)?.execute((ids, request_id))?;
    Ok(())
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

/// The statements the record tables share, on PostgreSQL: each takes its table's literal SQL.
pub(crate) mod pg {
    use crate::store::pg::PgConn;
    use crate::store::StoreError;

    /// `super::set_request` with `sql` as `… SET request_id = $2 WHERE id = ANY($1)`.
    pub fn set_request(
        p: &PgConn,
        sql: &str,
        ids: &[i64],
        request_id: &str,
    ) -> Result<(), StoreError> {
        p.execute(sql, &[&ids, &request_id])?;
        Ok(())
    }
}

/// Which records a list shows. `after` is the cursor of the last record of the previous page
/// (`records` returns it as `next`): pages are read by key, never by offset.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct RecordFilter {
    #[serde(default)]
    pub connection: Option<String>,
    #[serde(default)]
    pub search: Option<String>,
    #[serde(default)]
    pub limit: Option<usize>,
    #[serde(default)]
    pub after: Option<String>,
    /// Events of this type only.
    #[serde(default, rename = "type")]
    pub event_type: Option<String>,
    /// Records that this request wrote last.
    #[serde(default)]
    pub request: Option<String>,
    /// Contacts and events of this account.
    #[serde(default)]
    pub account: Option<i64>,
    /// Events of this contact.
    #[serde(default)]
    pub contact: Option<i64>,
    /// The one record with this internal id.
    #[serde(default)]
    pub id: Option<i64>,
}

impl RecordFilter {
    pub fn limit(&self) -> i64 {
        self.limit.unwrap_or(100).min(100_000) as i64
    }

    /// The cursor as `(timestamp, id)`: accounts and contacts page by id alone (`"123"`), events
    /// by time then id (`"2024-01-01T00:00:00Z~123"`).
    pub fn cursor(&self) -> Result<Option<(Option<String>, i64)>, String> {
        let Some(a) = self.after.as_deref() else {
            return Ok(None);
        };
        let bad = || format!("{a:?} is not a page cursor (use the `next` value of a page)");
        let (ts, id) = match a.rsplit_once('~') {
            Some((ts, id)) => (Some(ts.to_string()), id),
            None => (None, a),
        };
        let id = id.parse::<i64>().map_err(|_| bad())?;
        Ok(Some((ts, id)))
    }

    fn store_cursor(&self) -> Result<Option<(Option<String>, i64)>, StoreError> {
        self.cursor().map_err(StoreError::Corrupt)
    }
}

/// A listed record: where the next page starts after it, and the text a search looks in.
pub trait Listed {
    fn cursor(&self) -> String;
    /// Every field a search matches, each folded (`fold`) and separated by a newline.
    fn haystack(&self) -> String;
}

/// The searchable text of a record: each part folded the way matching folds names and emails
/// (Unicode lower case), so that "ÉMILE" finds "émile" on either store.
pub(crate) fn folded(parts: &[Option<&str>], properties: &Map<String, Value>) -> String {
    let mut s = String::new();
    for p in parts.iter().flatten() {
        s.push_str(&inlet_core::normalize::fold(p));
        s.push('\n');
    }
    if !properties.is_empty() {
        s.push_str(&json_text(properties).to_lowercase());
    }
    s
}

/// Calls `visit` with each record of the filter in list order, from its cursor on, until `visit`
/// answers false or the records end. `chunk` reads one page by key from a cursor (without the
/// search); the search is applied here, in Rust, so that both stores fold case alike. Memory holds
/// one chunk at a time.
pub(crate) fn scan<R: Listed>(
    f: &RecordFilter,
    chunk_size: i64,
    mut chunk: impl FnMut(&RecordFilter, i64) -> Result<Vec<R>, StoreError>,
    mut visit: impl FnMut(R) -> Result<bool, StoreError>,
) -> Result<(), StoreError> {
    let needle = f
        .search
        .as_deref()
        .map(inlet_core::normalize::fold)
        .filter(|s| !s.is_empty());
    let mut page = f.clone();
    loop {
        let rows = chunk(&page, chunk_size)?;
        let n = rows.len() as i64;
        let mut last = None;
        for r in rows {
            last = Some(r.cursor());
            if let Some(q) = &needle {
                if !r.haystack().contains(q.as_str()) {
                    continue;
                }
            }
            if !visit(r)? {
                return Ok(());
            }
        }
        match last {
            Some(c) if n == chunk_size => page.after = Some(c),
            _ => return Ok(()),
        }
    }
}

/// Records read per statement by `listed`.
const LIST_PAGE: i64 = 1000;

/// The first `f.limit()` records of `scan`.
pub(crate) fn listed<R: Listed>(
    f: &RecordFilter,
    chunk: impl FnMut(&RecordFilter, i64) -> Result<Vec<R>, StoreError>,
) -> Result<Vec<R>, StoreError> {
    let limit = f.limit().max(0) as usize;
    let mut out = Vec::new();
    if limit == 0 {
        return Ok(out);
    }
    // Pages of at most a thousand, however large the limit: each statement stays short (on
    // PostgreSQL, under its statement timeout even when the records are large), and a search
    // reads whole pages anyway.
    let size = if f.search.is_some() {
        LIST_PAGE
    } else {
        f.limit().clamp(1, LIST_PAGE)
    };
    scan(f, size, chunk, |r| {
        out.push(r);
        Ok(out.len() < limit)
    })?;
    Ok(out)
}

/// A WHERE clause built from fixed fragments, each with its parameter: the SQL text depends on
/// which filters are given (so that SQLite can choose the index for each), never on their values.
pub(crate) struct Where<P> {
    pub clauses: Vec<String>,
    pub params: Vec<P>,
}

impl<P> Where<P> {
    pub fn new() -> Self {
        Where {
            clauses: Vec::new(),
            params: Vec::new(),
        }
    }

    /// Adds `fragment` with `{0}`, `{1}`… standing for the given parameters, in order (`?N` on
    /// SQLite, `$N` on PostgreSQL, chosen by `mark`).
    pub fn add(&mut self, fragment: &str, mark: char, ps: Vec<P>) {
        let mut sql = fragment.to_string();
        for (i, p) in ps.into_iter().enumerate() {
            self.params.push(p);
            sql = sql.replace(&format!("{{{i}}}"), &format!("{mark}{}", self.params.len()));
        }
        self.clauses.push(sql);
    }

    pub fn next(&self, mark: char) -> String {
        format!("{mark}{}", self.params.len() + 1)
    }

    pub fn sql(&self) -> String {
        if self.clauses.is_empty() {
            String::new()
        } else {
            format!("WHERE {}", self.clauses.join(" AND "))
        }
    }
}
