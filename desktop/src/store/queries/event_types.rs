use crate::store::{StoreError, Tx};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct EventTypeRecord {
    pub id: i64,
    pub name: String,
    pub events: u64,
}

/// The id of the event type with this name, created when new.
pub fn ensure(tx: Tx, name: &str, now: &str) -> Result<i64, StoreError> {
    let c = match tx {
        Tx::Sqlite(c) => c,
        Tx::Postgres(p) => return pg::ensure(p, name, now),
    };
    Ok(c.prepare_cached(
        "INSERT INTO event_types (name, created_at) VALUES (?1, ?2)
         ON CONFLICT (name) DO UPDATE SET name = excluded.name RETURNING id",
    )?
    .query_row((name, now), |r| r.get(0))?)
}

pub fn list(tx: Tx) -> Result<Vec<EventTypeRecord>, StoreError> {
    let c = match tx {
        Tx::Sqlite(c) => c,
        Tx::Postgres(p) => return pg::list(p),
    };
    let mut st = c.prepare_cached(
        "SELECT t.id, t.name, (SELECT count(*) FROM events e WHERE e.event_type_id = t.id) FROM event_types t ORDER BY t.name",
    )?;
    let rows = st.query_map([], |r| {
        Ok(EventTypeRecord {
            id: r.get(0)?,
            name: r.get(1)?,
            events: r.get::<_, i64>(2)? as u64,
        })
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

pub(crate) mod pg {
    use super::EventTypeRecord;
    use crate::store::pg::PgConn;
    use crate::store::StoreError;

    pub fn ensure(p: &PgConn, name: &str, now: &str) -> Result<i64, StoreError> {
        Ok(p.query_one(
            "INSERT INTO event_types (name, created_at) VALUES ($1, $2)
             ON CONFLICT (name) DO UPDATE SET name = excluded.name RETURNING id",
            &[&name, &now],
        )?
        .get(0))
    }

    pub fn list(p: &PgConn) -> Result<Vec<EventTypeRecord>, StoreError> {
        let rows = p.query(
            "SELECT t.id, t.name, (SELECT count(*) FROM events e WHERE e.event_type_id = t.id) FROM event_types t ORDER BY t.name COLLATE \"C\"",
            &[],
        )?;
        Ok(rows
            .iter()
            .map(|r| EventTypeRecord {
                id: r.get(0),
                name: r.get(1),
                events: r.get::<_, i64>(2) as u64,
            })
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    #[allow(unused_imports)]
    use crate::store::Tx;
    #[allow(unused_imports)]
    use rusqlite::Connection;

    #[test]
    fn an_event_type_is_created_once_and_then_reused() {
        let mut c = Connection::open_in_memory().unwrap();
        crate::store::migrations::run(&mut c).unwrap();
        let a = ensure(Tx::Sqlite(&c), "Signed Up", "t").unwrap();
        assert_eq!(ensure(Tx::Sqlite(&c), "Signed Up", "t").unwrap(), a);
        assert_ne!(ensure(Tx::Sqlite(&c), "Churned", "t").unwrap(), a);
        assert_eq!(list(Tx::Sqlite(&c)).unwrap().len(), 2);
    }
}
