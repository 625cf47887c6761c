use super::{contacts::AccountRef, listed, Listed, RecordFilter, Where};
use crate::store::{StoreError, Tx};
use rusqlite::OptionalExtension;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct ContactRef {
    pub id: i64,
    pub external_id: Option<String>,
    pub email: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct EventRecord {
    pub id: i64,
    #[serde(rename = "type")]
    pub event_type: String,
    pub contact: Option<ContactRef>,
    pub account: Option<AccountRef>,
    pub timestamp: String,
    pub event_id: Option<String>,
    #[cfg_attr(feature = "ts", ts(type = "Record<string, unknown>"))]
    pub properties: Map<String, Value>,
    pub received_at: String,
    pub connection_id: Option<String>,
    pub request_id: Option<String>,
}

impl Listed for EventRecord {
    fn cursor(&self) -> String {
        format!("{}~{}", self.timestamp, self.id)
    }

    fn haystack(&self) -> String {
        let c = self.contact.as_ref();
        let a = self.account.as_ref();
        super::folded(
            &[
                Some(self.event_type.as_str()),
                self.event_id.as_deref(),
                c.and_then(|c| c.email.as_deref()),
                c.and_then(|c| c.external_id.as_deref()),
                a.and_then(|a| a.name.as_deref()),
                a.and_then(|a| a.external_id.as_deref()),
            ],
            &self.properties,
        )
    }
}

/// `ts` is the timestamp column as each store orders it (PostgreSQL in byte order, as SQLite).
fn filter_where<P>(
    f: &RecordFilter,
    mark: char,
    ts: &str,
    text: impl Fn(String) -> P,
    int: impl Fn(i64) -> P,
) -> Result<Where<P>, StoreError> {
    let mut w = Where::new();
    if let Some(v) = &f.connection {
        w.add("e.connection_id = {0}", mark, vec![text(v.clone())]);
    }
    if let Some(v) = &f.event_type {
        w.add(
            "e.event_type_id = (SELECT id FROM event_types WHERE name = {0})",
            mark,
            vec![text(v.clone())],
        );
    }
    if let Some(v) = &f.request {
        w.add("e.request_id = {0}", mark, vec![text(v.clone())]);
    }
    if let Some(v) = f.account {
        w.add("e.account_id = {0}", mark, vec![int(v)]);
    }
    if let Some(v) = f.contact {
        w.add("e.contact_id = {0}", mark, vec![int(v)]);
    }
    if let Some(v) = f.id {
        w.add("e.id = {0}", mark, vec![int(v)]);
    }
    match f.store_cursor()? {
        Some((Some(t), id)) => w.add(
            &format!("({ts}, e.id) < ({{0}}, {{1}})"),
            mark,
            vec![text(t), int(id)],
        ),
        Some((None, _)) => {
            return Err(StoreError::Corrupt(
                "an events cursor has a time and an id".into(),
            ))
        }
        None => {}
    }
    Ok(w)
}

/// The row to insert for one event.
#[derive(Debug, Clone, PartialEq)]
pub struct NewEvent<'a, P: serde::Serialize = Map<String, Value>> {
    pub connection_id: &'a str,
    pub event_type_id: i64,
    pub account_id: Option<i64>,
    pub contact_id: Option<i64>,
    pub timestamp: &'a str,
    pub event_id: Option<&'a str>,
    /// A map, or the plan's properties text.
    pub properties: &'a P,
    pub received_at: &'a str,
    pub request_id: Option<&'a str>,
}

pub fn exists(tx: Tx, connection_id: &str, event_id: &str) -> Result<bool, StoreError> {
    let c = match tx {
        Tx::Sqlite(c) => c,
        Tx::Postgres(p) => return pg::exists(p, connection_id, event_id),
    };
    Ok(
        c.prepare_cached("SELECT 1 FROM events WHERE connection_id = ?1 AND event_id = ?2")?
            .query_row((connection_id, event_id), |_| Ok(()))
            .optional()?
            .is_some(),
    )
}

pub fn insert<P: serde::Serialize>(tx: Tx, e: &NewEvent<P>) -> Result<i64, StoreError> {
    let c = match tx {
        Tx::Sqlite(c) => c,
        Tx::Postgres(p) => return pg::insert(p, e),
    };
    c.prepare_cached(
        "INSERT INTO events (connection_id, event_type_id, account_id, contact_id, timestamp, event_id, properties,
         received_at, request_id) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
    )?
    .execute(rusqlite::params![
        e.connection_id,
        e.event_type_id,
        e.account_id,
        e.contact_id,
        e.timestamp,
        e.event_id,
        super::json_text(e.properties),
        e.received_at,
        e.request_id
    ])?;
    Ok(c.last_insert_rowid())
}

/// Newest first (by timestamp, then id), from the filter's cursor, searched in Rust.
pub fn list(tx: Tx, f: &RecordFilter) -> Result<Vec<EventRecord>, StoreError> {
    listed(f, |f, n| chunk(tx, f, n))
}

/// Every event of the filter (the search applied), newest first, one chunk in memory at a time.
pub fn each(
    tx: Tx,
    f: &RecordFilter,
    visit: impl FnMut(EventRecord) -> Result<bool, StoreError>,
) -> Result<(), StoreError> {
    super::scan(f, 1000, |f, n| chunk(tx, f, n), visit)
}

fn chunk(tx: Tx, f: &RecordFilter, n: i64) -> Result<Vec<EventRecord>, StoreError> {
    let c = match tx {
        Tx::Sqlite(c) => c,
        Tx::Postgres(p) => return pg::chunk(p, f, n),
    };
    let mut w = filter_where::<Box<dyn rusqlite::ToSql>>(
        f,
        '?',
        "e.timestamp",
        |s| Box::new(s),
        |i| Box::new(i),
    )?;
    let sql = format!(
        "SELECT e.id, t.name, e.timestamp, e.event_id, e.properties, e.received_at, e.connection_id, e.request_id,
                c.id, c.external_id, c.email, a.id, a.external_id, a.name
         FROM events e JOIN event_types t ON t.id = e.event_type_id
         LEFT JOIN contacts c ON c.id = e.contact_id LEFT JOIN accounts a ON a.id = e.account_id
         {} ORDER BY e.timestamp DESC, e.id DESC LIMIT {}",
        w.sql(),
        w.next('?')
    );
    w.params.push(Box::new(n));
    let mut st = c.prepare_cached(&sql)?;
    let rows = st.query_map(rusqlite::params_from_iter(w.params.iter()), |r| {
        let contact = match r.get::<_, Option<i64>>(8)? {
            Some(id) => Some(ContactRef {
                id,
                external_id: r.get(9)?,
                email: r.get(10)?,
            }),
            None => None,
        };
        let account = match r.get::<_, Option<i64>>(11)? {
            Some(id) => Some(AccountRef {
                id,
                external_id: r.get(12)?,
                name: r.get(13)?,
            }),
            None => None,
        };
        Ok((
            EventRecord {
                id: r.get(0)?,
                event_type: r.get(1)?,
                contact,
                account,
                timestamp: r.get(2)?,
                event_id: r.get(3)?,
                properties: Map::new(),
                received_at: r.get(5)?,
                connection_id: r.get(6)?,
                request_id: r.get(7)?,
            },
            r.get::<_, String>(4)?,
        ))
    })?;
    super::with_properties(rows, |rec, p| rec.properties = p)
}

/// The same statements on PostgreSQL.
pub(crate) mod pg {
    use super::{AccountRef, ContactRef, EventRecord, NewEvent, RecordFilter};
    use crate::store::pg::PgConn;
    use crate::store::queries::properties_from;
    use crate::store::StoreError;

    pub fn exists(p: &PgConn, connection_id: &str, event_id: &str) -> Result<bool, StoreError> {
        Ok(p.query_opt(
            "SELECT 1 FROM events WHERE connection_id = $1 AND event_id = $2",
            &[&connection_id, &event_id],
        )?
        .is_some())
    }

    pub fn insert<P: serde::Serialize>(p: &PgConn, e: &NewEvent<P>) -> Result<i64, StoreError> {
        Ok(p.query_one(
            "INSERT INTO events (connection_id, event_type_id, account_id, contact_id, timestamp, event_id, properties,
             received_at, request_id) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id",
            &[&e.connection_id, &e.event_type_id, &e.account_id, &e.contact_id, &e.timestamp, &e.event_id,
              &super::super::json_text(e.properties), &e.received_at, &e.request_id],
        )?
        .get(0))
    }

    pub fn chunk(p: &PgConn, f: &RecordFilter, n: i64) -> Result<Vec<EventRecord>, StoreError> {
        type P = Box<dyn postgres::types::ToSql + Sync>;
        let mut w = super::filter_where::<P>(
            f,
            '$',
            "e.timestamp COLLATE \"C\"",
            |s| Box::new(s),
            |i| Box::new(i),
        )?;
        let sql = format!(
            "SELECT e.id, t.name, e.timestamp, e.event_id, e.properties, e.received_at, e.connection_id, e.request_id,
                    c.id, c.external_id, c.email, a.id, a.external_id, a.name
             FROM events e JOIN event_types t ON t.id = e.event_type_id
             LEFT JOIN contacts c ON c.id = e.contact_id LEFT JOIN accounts a ON a.id = e.account_id
             {} ORDER BY e.timestamp COLLATE \"C\" DESC, e.id DESC LIMIT {}",
            w.sql(),
            w.next('$')
        );
        w.params.push(Box::new(n));
        let params: Vec<&(dyn postgres::types::ToSql + Sync)> =
            w.params.iter().map(|b| b.as_ref()).collect();
        let rows = p.query(&sql, &params)?;
        rows.iter()
            .map(|r| {
                Ok(EventRecord {
                    id: r.get(0),
                    event_type: r.get(1),
                    contact: r.get::<_, Option<i64>>(8).map(|id| ContactRef {
                        id,
                        external_id: r.get(9),
                        email: r.get(10),
                    }),
                    account: r.get::<_, Option<i64>>(11).map(|id| AccountRef {
                        id,
                        external_id: r.get(12),
                        name: r.get(13),
                    }),
                    timestamp: r.get(2),
                    event_id: r.get(3),
                    properties: properties_from(&r.get::<_, String>(4))?,
                    received_at: r.get(5),
                    connection_id: r.get(6),
                    request_id: r.get(7),
                })
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    #[allow(unused_imports)]
    use crate::store::Tx;
    use crate::store::{
        migrations,
        queries::{connections, event_types},
    };
    #[allow(unused_imports)]
    use rusqlite::Connection;

    #[test]
    fn an_event_id_is_unique_per_connection_only() {
        let mut c = Connection::open_in_memory().unwrap();
        migrations::run(&mut c).unwrap();
        connections::insert(
            Tx::Sqlite(&c),
            &connections::sample("c1", inlet_core::Kind::Events),
        )
        .unwrap();
        connections::insert(
            Tx::Sqlite(&c),
            &connections::sample("c2", inlet_core::Kind::Events),
        )
        .unwrap();
        let t = event_types::ensure(Tx::Sqlite(&c), "Signed Up", "t").unwrap();
        let props = Map::new();
        let mut e = NewEvent {
            connection_id: "c1",
            event_type_id: t,
            account_id: None,
            contact_id: None,
            timestamp: "2024-01-01T00:00:00Z",
            event_id: Some("m1"),
            properties: &props,
            received_at: "t",
            request_id: None,
        };
        insert(Tx::Sqlite(&c), &e).unwrap();
        assert!(exists(Tx::Sqlite(&c), "c1", "m1").unwrap());
        assert!(!exists(Tx::Sqlite(&c), "c2", "m1").unwrap());
        assert!(insert(Tx::Sqlite(&c), &e).is_err());
        e.connection_id = "c2";
        insert(Tx::Sqlite(&c), &e).unwrap();
        assert_eq!(
            list(
                Tx::Sqlite(&c),
                &RecordFilter {
                    search: Some("signed".into()),
                    ..Default::default()
                }
            )
            .unwrap()
            .len(),
            2
        );
    }
}
