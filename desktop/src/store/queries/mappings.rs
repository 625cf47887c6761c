use crate::store::{now, StoreError, Tx};
use rusqlite::OptionalExtension;

/// The stored mapping document of a connection (JSON text, as the user wrote it) and when it was set.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MappingRow {
    pub connection_id: String,
    pub document: String,
    pub updated_at: String,
}

pub fn get(tx: Tx, connection_id: &str) -> Result<Option<MappingRow>, StoreError> {
    let c = match tx {
        Tx::Sqlite(c) => c,
        Tx::Postgres(p) => return pg::get(p, connection_id),
    };
    Ok(c.prepare_cached(
        "SELECT connection_id, document, updated_at FROM mappings WHERE connection_id = ?1",
    )?
    .query_row([connection_id], |r| {
        Ok(MappingRow {
            connection_id: r.get(0)?,
            document: r.get(1)?,
            updated_at: r.get(2)?,
        })
    })
    .optional()?)
}

pub fn set(tx: Tx, connection_id: &str, document: &str) -> Result<(), StoreError> {
    let c = match tx {
        Tx::Sqlite(c) => c,
        Tx::Postgres(p) => return pg::set(p, connection_id, document),
    };
    c.prepare_cached(
        "INSERT INTO mappings (connection_id, document, updated_at) VALUES (?1, ?2, ?3)
         ON CONFLICT (connection_id) DO UPDATE SET document = excluded.document, updated_at = excluded.updated_at",
    )?
    .execute((connection_id, document, now()))?;
    Ok(())
}

pub(crate) mod pg {
    use super::MappingRow;
    use crate::store::pg::PgConn;
    use crate::store::{now, StoreError};

    pub fn get(p: &PgConn, connection_id: &str) -> Result<Option<MappingRow>, StoreError> {
        Ok(p.query_opt(
            "SELECT connection_id, document, updated_at FROM mappings WHERE connection_id = $1",
            &[&connection_id],
        )?
        .map(|r| MappingRow {
            connection_id: r.get(0),
            document: r.get(1),
            updated_at: r.get(2),
        }))
    }

    pub fn set(p: &PgConn, connection_id: &str, document: &str) -> Result<(), StoreError> {
        p.execute(
            "INSERT INTO mappings (connection_id, document, updated_at) VALUES ($1, $2, $3)
             ON CONFLICT (connection_id) DO UPDATE SET document = excluded.document, updated_at = excluded.updated_at",
            &[&connection_id, &document, &now()],
        )?;
        Ok(())
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

    #[test]
    fn a_mapping_is_replaced_and_goes_away_with_its_connection() {
        let mut c = Connection::open_in_memory().unwrap();
        migrations::run(&mut c).unwrap();
        c.execute_batch("PRAGMA foreign_keys = ON").unwrap();
        connections::insert(
            Tx::Sqlite(&c),
            &connections::sample("c1", inlet_core::Kind::Accounts),
        )
        .unwrap();
        assert!(get(Tx::Sqlite(&c), "c1").unwrap().is_none());
        set(Tx::Sqlite(&c), "c1", "{\"a\":1}").unwrap();
        set(Tx::Sqlite(&c), "c1", "{\"a\":2}").unwrap();
        assert_eq!(
            get(Tx::Sqlite(&c), "c1").unwrap().unwrap().document,
            "{\"a\":2}"
        );
        connections::delete(Tx::Sqlite(&c), "c1").unwrap();
        assert!(get(Tx::Sqlite(&c), "c1").unwrap().is_none());
    }
}
