//! Export of a records view (its filters and search applied) as CSV or NDJSON, streamed: rows are
//! written as the store reads them, one chunk in memory at a time, inside one read transaction so
//! that the file is one consistent snapshot.
//!
//! CSV (RFC 4180, CRLF, fields quoted when needed) has the record's own columns, then one column
//! per property key found, named `properties.KEY` and sorted; nested values are JSON text. The key
//! set takes a first pass over the same rows (only the keys are kept), so memory stays flat in the
//! number of rows. NDJSON is one record per line, the shape of `inlet records --json`.

use super::records::{checked, RecordFilter};
use super::{Result, ServiceError, Services};
use crate::store::queries::{accounts, contacts, events};
use crate::store::{StoreError, Tx};
use inlet_core::Kind;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use std::collections::BTreeSet;
use std::io::Write;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[cfg_attr(feature = "ts", ts(rename = "ExportFormat"))]
#[serde(rename_all = "lowercase")]
pub enum Format {
    #[default]
    Csv,
    Ndjson,
}

impl Format {
    pub fn extension(self) -> &'static str {
        match self {
            Format::Csv => "csv",
            Format::Ndjson => "ndjson",
        }
    }
}

/// What an export wrote.
#[derive(Debug, Clone, Serialize)]
pub struct Exported {
    pub rows: u64,
    pub columns: Option<usize>,
}

/// Writing failed (the disk, a closed pipe): the export stops with this message.
fn io(e: std::io::Error) -> StoreError {
    StoreError::Corrupt(format!("cannot write the export: {e}"))
}

/// Every record of the view written to `out`; the limit of the filter is ignored (an export is
/// the whole view).
pub fn export(
    s: &Services,
    kind: Kind,
    filter: &RecordFilter,
    format: Format,
    out: &mut dyn Write,
) -> Result<Exported> {
    let mut f = checked(filter)?;
    f.limit = None;
    let mut out = std::io::BufWriter::with_capacity(1 << 16, out);
    let done = s.store().read(|tx| match format {
        Format::Ndjson => ndjson(tx, kind, &f, &mut out),
        Format::Csv => csv(tx, kind, &f, &mut out),
    })?;
    out.flush().map_err(|e| ServiceError::Store(io(e)))?;
    Ok(done)
}

fn line(out: &mut impl Write, v: &impl Serialize) -> std::result::Result<(), StoreError> {
    serde_json::to_writer(&mut *out, v).map_err(|e| io(e.into()))?;
    out.write_all(b"\n").map_err(io)
}

fn ndjson(
    tx: Tx,
    kind: Kind,
    f: &RecordFilter,
    out: &mut impl Write,
) -> std::result::Result<Exported, ServiceError> {
    let mut rows = 0u64;
    let mut w = |v: Value| {
        line(out, &v)?;
        rows += 1;
        Ok(true)
    };
    let json = |e: serde_json::Error| StoreError::Corrupt(e.to_string());
    match kind {
        Kind::Accounts => accounts::each(tx, f, |r| w(serde_json::to_value(r).map_err(json)?))?,
        Kind::Contacts => contacts::each(tx, f, |r| w(serde_json::to_value(r).map_err(json)?))?,
        Kind::Events => events::each(tx, f, |r| w(serde_json::to_value(r).map_err(json)?))?,
    }
    Ok(Exported {
        rows,
        columns: None,
    })
}

/// One CSV field, quoted when it holds a comma, a quote or a line break (RFC 4180 §2).
fn field(out: &mut impl Write, s: &str) -> std::io::Result<()> {
    if s.contains([',', '"', '\r', '\n']) {
        out.write_all(b"\"")?;
        out.write_all(s.replace('"', "\"\"").as_bytes())?;
        out.write_all(b"\"")
    } else {
        out.write_all(s.as_bytes())
    }
}

fn record(out: &mut impl Write, fields: &[String]) -> std::result::Result<(), StoreError> {
    for (i, v) in fields.iter().enumerate() {
        if i > 0 {
            out.write_all(b",").map_err(io)?;
        }
        field(out, v).map_err(io)?;
    }
    out.write_all(b"\r\n").map_err(io)
}

/// A property as a cell: text as it is, other values as JSON text, null and missing empty.
fn cell(v: Option<&Value>) -> String {
    match v {
        None | Some(Value::Null) => String::new(),
        Some(Value::String(s)) => s.clone(),
        Some(v) => v.to_string(),
    }
}

fn o<T: ToString>(v: Option<T>) -> String {
    v.map(|v| v.to_string()).unwrap_or_default()
}

/// The record's own columns, for each kind.
pub fn fixed_columns(kind: Kind) -> &'static [&'static str] {
    match kind {
        Kind::Accounts => &[
            "id",
            "external_id",
            "name",
            "connection_id",
            "request_id",
            "created_at",
            "updated_at",
        ],
        Kind::Contacts => &[
            "id",
            "external_id",
            "email",
            "account_id",
            "account_external_id",
            "account_name",
            "connection_id",
            "request_id",
            "created_at",
            "updated_at",
        ],
        Kind::Events => &[
            "id",
            "type",
            "timestamp",
            "event_id",
            "contact_id",
            "contact_external_id",
            "contact_email",
            "account_id",
            "account_external_id",
            "account_name",
            "received_at",
            "connection_id",
            "request_id",
        ],
    }
}

fn csv(
    tx: Tx,
    kind: Kind,
    f: &RecordFilter,
    out: &mut impl Write,
) -> std::result::Result<Exported, ServiceError> {
    // First pass: the property keys of the view (the same rows, in the same snapshot).
    let mut keys = BTreeSet::new();
    let mut add = |p: &Map<String, Value>| {
        for k in p.keys() {
            if !keys.contains(k) {
                keys.insert(k.clone());
            }
        }
        Ok(true)
    };
    match kind {
        Kind::Accounts => accounts::each(tx, f, |r| add(&r.properties))?,
        Kind::Contacts => contacts::each(tx, f, |r| add(&r.properties))?,
        Kind::Events => events::each(tx, f, |r| add(&r.properties))?,
    }
    let keys: Vec<String> = keys.into_iter().collect();
    let mut header: Vec<String> = fixed_columns(kind).iter().map(|s| s.to_string()).collect();
    header.extend(keys.iter().map(|k| format!("properties.{k}")));
    record(out, &header)?;
    let mut rows = 0u64;
    let mut write = |mut fields: Vec<String>, p: &Map<String, Value>| {
        fields.extend(keys.iter().map(|k| cell(p.get(k))));
        record(out, &fields)?;
        rows += 1;
        Ok(true)
    };
    match kind {
        Kind::Accounts => accounts::each(tx, f, |r| {
            write(
                vec![
                    r.id.to_string(),
                    o(r.external_id),
                    o(r.name),
                    o(r.connection_id),
                    o(r.request_id),
                    r.created_at,
                    r.updated_at,
                ],
                &r.properties,
            )
        })?,
        Kind::Contacts => contacts::each(tx, f, |r| {
            let a = r.account.as_ref();
            write(
                vec![
                    r.id.to_string(),
                    o(r.external_id),
                    o(r.email),
                    o(a.map(|a| a.id)),
                    o(a.and_then(|a| a.external_id.clone())),
                    o(a.and_then(|a| a.name.clone())),
                    o(r.connection_id),
                    o(r.request_id),
                    r.created_at,
                    r.updated_at,
                ],
                &r.properties,
            )
        })?,
        Kind::Events => events::each(tx, f, |r| {
            let c = r.contact.as_ref();
            let a = r.account.as_ref();
            write(
                vec![
                    r.id.to_string(),
                    r.event_type,
                    r.timestamp,
                    o(r.event_id),
                    o(c.map(|c| c.id)),
                    o(c.and_then(|c| c.external_id.clone())),
                    o(c.and_then(|c| c.email.clone())),
                    o(a.map(|a| a.id)),
                    o(a.and_then(|a| a.external_id.clone())),
                    o(a.and_then(|a| a.name.clone())),
                    r.received_at,
                    o(r.connection_id),
                    o(r.request_id),
                ],
                &r.properties,
            )
        })?,
    }
    Ok(Exported {
        rows,
        columns: Some(header.len()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_with_commas_quotes_and_line_breaks_are_quoted_and_others_are_not() {
        let mut v = Vec::new();
        record(
            &mut v,
            &[
                "a".into(),
                "b,c".into(),
                "say \"hi\"".into(),
                "x\ny".into(),
                "".into(),
            ],
        )
        .unwrap();
        assert_eq!(
            String::from_utf8(v).unwrap(),
            "a,\"b,c\",\"say \"\"hi\"\"\",\"x\ny\",\r\n"
        );
    }
}
