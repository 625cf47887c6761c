use super::{contacts::AccountRef, contains, RecordFilter};
use crate::store::{StoreError, Tx};
use rusqlite::OptionalExtension;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ContactRef {
    pub id: i64,
    pub external_id: Option<String>,
    pub email: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EventRecord {
    pub id: i64,
    #[serde(rename = "type")]
    pub event_type: String,
    pub contact: Option<ContactRef>,
    pub account: Option<AccountRef>,
    pub timestamp: String,
    pub event_id: Option<String>,
    pub properties: Map<String, Value>,
    pub received_at: String,
    pub connection_id: Option<String>,
    pub request_id: Option<String>,
}

/// The row to insert for one event.
#[derive(Debug, Clone, PartialEq)]
pub struct NewEvent<'a> {
    pub connection_id: &'a str,
    pub event_type_id: i64,
    pub account_id: Option<i64>,
    pub contact_id: Option<i64>,
    pub timestamp: &'a str,
    pub event_id: Option<&'a str>,
    pub properties: &'a Map<String, Value>,
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

pub fn insert(tx: Tx, e: &NewEvent) -> Result<i64, StoreError> {
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

pub fn list(tx: Tx, f: &RecordFilter) -> Result<Vec<EventRecord>, StoreError> {
    let c = match tx {
        Tx::Sqlite(c) => c,
        Tx::Postgres(p) => return pg::list(p, f),
    };
    let sql = format!(
        "SELECT e.id, t.name, e.timestamp, e.event_id, e.properties, e.received_at, e.connection_id, e.request_id,
                c.id, c.external_id, c.email, a.id, a.external_id, a.name
         FROM events e JOIN event_types t ON t.id = e.event_type_id
         LEFT JOIN contacts c ON c.id = e.contact_id LEFT JOIN accounts a ON a.id = e.account_id
         WHERE (?1 IS NULL OR e.connection_id = ?1)
           AND (?2 IS NULL OR {} OR {} OR {} OR {} OR {} OR {})
         ORDER BY e.timestamp DESC, e.id DESC LIMIT ?3",
        contains("t.name", 2),
        contains("e.event_id", 2),
        contains("e.properties", 2),
        contains("c.email", 2),
        contains("c.external_id", 2),
        contains("a.name", 2)
    );
    let mut st = c.prepare_cached(&sql)?;
    let rows = st.query_map((&f.connection, &f.search, f.limit()), |r| {
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
    use crate::store::queries::{pg_contains, properties_from};
    use crate::store::StoreError;

    pub fn exists(p: &PgConn, connection_id: &str, event_id: &str) -> Result<bool, StoreError> {
        Ok(p.query_opt(
            "SELECT 1 FROM events WHERE connection_id = $1 AND event_id = $2",
            &[&connection_id, &event_id],
        )?
        .is_some())
    }

    pub fn insert(p: &PgConn, e: &NewEvent) -> Result<i64, StoreError> {
        Ok(p.query_one(
            "INSERT INTO events (connection_id, event_type_id, account_id, contact_id, timestamp, event_id, properties,
             received_at, request_id) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id",
            &[&e.connection_id, &e.event_type_id, &e.account_id, &e.contact_id, &e.timestamp, &e.event_id,
              &super::super::json_text(e.properties), &e.received_at, &e.request_id],
        )?
        .get(0))
    }

    pub fn list(p: &PgConn, f: &RecordFilter) -> Result<Vec<EventRecord>, StoreError> {
        let sql = format!(
            "SELECT e.id, t.name, e.timestamp, e.event_id, e.properties, e.received_at, e.connection_id, e.request_id,
                    c.id, c.external_id, c.email, a.id, a.external_id, a.name
             FROM events e JOIN event_types t ON t.id = e.event_type_id
             LEFT JOIN contacts c ON c.id = e.contact_id LEFT JOIN accounts a ON a.id = e.account_id
             WHERE ($1::text IS NULL OR e.connection_id = $1)
               AND ($2::text IS NULL OR {} OR {} OR {} OR {} OR {} OR {})
             ORDER BY e.timestamp COLLATE \"C\" DESC, e.id DESC LIMIT $3",
            pg_contains("t.name", 2),
            pg_contains("e.event_id", 2),
            pg_contains("e.properties", 2),
            pg_contains("c.email", 2),
            pg_contains("c.external_id", 2),
            pg_contains("a.name", 2)
        );
        let rows = p.query(&sql, &[&f.connection, &f.search, &f.limit()])?;
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
