use crate::store::StoreError;
use rusqlite::Connection;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EventTypeRecord {
    pub id: i64,
    pub name: String,
    pub events: u64,
}

/// The id of the event type with this name, created when new.
pub fn ensure(c: &Connection, name: &str, now: &str) -> Result<i64, StoreError> {
    Ok(c.prepare_cached(
        "INSERT INTO event_types (name, created_at) VALUES (?1, ?2)
         ON CONFLICT (name) DO UPDATE SET name = excluded.name RETURNING id",
    )?
    .query_row((name, now), |r| r.get(0))?)
}

pub fn list(c: &Connection) -> Result<Vec<EventTypeRecord>, StoreError> {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_event_type_is_created_once_and_then_reused() {
        let mut c = Connection::open_in_memory().unwrap();
        crate::store::migrations::run(&mut c).unwrap();
        let a = ensure(&c, "Signed Up", "t").unwrap();
        assert_eq!(ensure(&c, "Signed Up", "t").unwrap(), a);
        assert_ne!(ensure(&c, "Churned", "t").unwrap(), a);
        assert_eq!(list(&c).unwrap().len(), 2);
    }
}
