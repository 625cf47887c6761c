use crate::store::{StoreError, Tx};
use inlet_core::{Behavior, Kind};
use rusqlite::{OptionalExtension, Row};

/// A connection as stored (docs/design.md §2), without its mapping.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConnectionRow {
    pub id: String,
    pub name: String,
    pub kind: Kind,
    pub behavior: Behavior,
    pub enabled: bool,
    pub authorization: String,
    pub enforce_auth: bool,
    pub created_at: String,
    pub updated_at: String,
}

const COLUMNS: &str =
    "id, name, kind, behavior, enabled, authorization, enforce_auth, created_at, updated_at";

fn from_row(r: &Row) -> rusqlite::Result<ConnectionRow> {
    let kind: String = r.get(2)?;
    let behavior: String = r.get(3)?;
    let bad = |col: usize, what: &str, v: &str| {
        rusqlite::Error::FromSqlConversionFailure(
            col,
            rusqlite::types::Type::Text,
            format!("unknown {what} {v:?}").into(),
        )
    };
    Ok(ConnectionRow {
        id: r.get(0)?,
        name: r.get(1)?,
        kind: Kind::parse(&kind).ok_or_else(|| bad(2, "kind", &kind))?,
        behavior: Behavior::parse(&behavior).ok_or_else(|| bad(3, "behavior", &behavior))?,
        enabled: r.get(4)?,
        authorization: r.get(5)?,
        enforce_auth: r.get(6)?,
        created_at: r.get(7)?,
        updated_at: r.get(8)?,
    })
}

pub fn insert(tx: Tx, row: &ConnectionRow) -> Result<(), StoreError> {
    let c = match tx {
        Tx::Sqlite(c) => c,
        Tx::Postgres(p) => return pg::insert(p, row),
    };
    c.prepare_cached(&format!(
        "INSERT INTO connections ({COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)"
    ))?
    .execute((
        &row.id,
        &row.name,
        row.kind.as_str(),
        row.behavior.as_str(),
        row.enabled,
        &row.authorization,
        row.enforce_auth,
        &row.created_at,
        &row.updated_at,
    ))?;
    Ok(())
}

/// Writes every field but the id and creation time; false when no such connection.
pub fn update(tx: Tx, row: &ConnectionRow) -> Result<bool, StoreError> {
    let c = match tx {
        Tx::Sqlite(c) => c,
        Tx::Postgres(p) => return pg::update(p, row),
    };
    let n = c
        .prepare_cached(
            "UPDATE connections SET name = ?2, behavior = ?3, enabled = ?4, authorization = ?5, enforce_auth = ?6,
             updated_at = ?7 WHERE id = ?1",
        )?
        .execute((&row.id, &row.name, row.behavior.as_str(), row.enabled, &row.authorization, row.enforce_auth, &row.updated_at))?;
    Ok(n == 1)
}

pub fn get(tx: Tx, id: &str) -> Result<Option<ConnectionRow>, StoreError> {
    let c = match tx {
        Tx::Sqlite(c) => c,
        Tx::Postgres(p) => return pg::get(p, id),
    };
    Ok(
        c.prepare_cached(&format!("SELECT {COLUMNS} FROM connections WHERE id = ?1"))?
            .query_row([id], from_row)
            .optional()?,
    )
}

pub fn list(tx: Tx) -> Result<Vec<ConnectionRow>, StoreError> {
    let c = match tx {
        Tx::Sqlite(c) => c,
        Tx::Postgres(p) => return pg::list(p),
    };
    let mut st = c.prepare_cached(&format!(
        "SELECT {COLUMNS} FROM connections ORDER BY created_at, id"
    ))?;
    let rows = st.query_map([], from_row)?;
    Ok(rows.collect::<Result<_, _>>()?)
}

pub fn delete(tx: Tx, id: &str) -> Result<bool, StoreError> {
    let c = match tx {
        Tx::Sqlite(c) => c,
        Tx::Postgres(p) => return pg::delete(p, id),
    };
    Ok(c.prepare_cached("DELETE FROM connections WHERE id = ?1")?
        .execute([id])?
        == 1)
}

#[cfg(test)]
pub(crate) fn sample(id: &str, kind: Kind) -> ConnectionRow {
    ConnectionRow {
        id: id.into(),
        name: format!("{} feed", kind.as_str()),
        kind,
        behavior: Behavior::Upsert,
        enabled: true,
        authorization: "Bearer inl_test".into(),
        enforce_auth: true,
        created_at: crate::store::now(),
        updated_at: crate::store::now(),
    }
}

/// The same statements on PostgreSQL.
pub(crate) mod pg {
    use super::ConnectionRow;
    use crate::store::pg::PgConn;
    use crate::store::StoreError;
    use inlet_core::{Behavior, Kind};

    const COLUMNS: &str = "id, name, kind, behavior, enabled, \"authorization\", enforce_auth, created_at, updated_at";

    fn from_row(r: &postgres::Row) -> Result<ConnectionRow, StoreError> {
        let kind: String = r.get(2);
        let behavior: String = r.get(3);
        Ok(ConnectionRow {
            id: r.get(0),
            name: r.get(1),
            kind: Kind::parse(&kind)
                .ok_or_else(|| StoreError::Corrupt(format!("unknown kind {kind:?}")))?,
            behavior: Behavior::parse(&behavior)
                .ok_or_else(|| StoreError::Corrupt(format!("unknown behavior {behavior:?}")))?,
            enabled: r.get(4),
            authorization: r.get(5),
            enforce_auth: r.get(6),
            created_at: r.get(7),
            updated_at: r.get(8),
        })
    }

    pub fn insert(p: &PgConn, row: &ConnectionRow) -> Result<(), StoreError> {
        p.execute(
            &format!(
                "INSERT INTO connections ({COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)"
            ),
            &[
                &row.id,
                &row.name,
                &row.kind.as_str(),
                &row.behavior.as_str(),
                &row.enabled,
                &row.authorization,
                &row.enforce_auth,
                &row.created_at,
                &row.updated_at,
            ],
        )?;
        Ok(())
    }

    pub fn update(p: &PgConn, row: &ConnectionRow) -> Result<bool, StoreError> {
        let n = p.execute(
            "UPDATE connections SET name = $2, behavior = $3, enabled = $4, \"authorization\" = $5, enforce_auth = $6,
             updated_at = $7 WHERE id = $1",
            &[&row.id, &row.name, &row.behavior.as_str(), &row.enabled, &row.authorization, &row.enforce_auth, &row.updated_at],
        )?;
        Ok(n == 1)
    }

    pub fn get(p: &PgConn, id: &str) -> Result<Option<ConnectionRow>, StoreError> {
        p.query_opt(
            &format!("SELECT {COLUMNS} FROM connections WHERE id = $1"),
            &[&id],
        )?
        .as_ref()
        .map(from_row)
        .transpose()
    }

    pub fn list(p: &PgConn) -> Result<Vec<ConnectionRow>, StoreError> {
        p.query(&format!("SELECT {COLUMNS} FROM connections ORDER BY created_at COLLATE \"C\", id COLLATE \"C\""), &[])?
            .iter()
            .map(from_row)
            .collect()
    }

    pub fn delete(p: &PgConn, id: &str) -> Result<bool, StoreError> {
        Ok(p.execute("DELETE FROM connections WHERE id = $1", &[&id])? == 1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::migrations;
    #[allow(unused_imports)]
    use crate::store::Tx;
    #[allow(unused_imports)]
    use rusqlite::Connection;

    #[test]
    fn a_connection_round_trips_and_can_be_updated_and_deleted() {
        let mut c = Connection::open_in_memory().unwrap();
        migrations::run(&mut c).unwrap();
        let mut row = sample("c1", Kind::Contacts);
        insert(Tx::Sqlite(&c), &row).unwrap();
        assert_eq!(get(Tx::Sqlite(&c), "c1").unwrap().as_ref(), Some(&row));
        row.name = "renamed".into();
        row.behavior = Behavior::Update;
        assert!(update(Tx::Sqlite(&c), &row).unwrap());
        assert_eq!(
            get(Tx::Sqlite(&c), "c1").unwrap().unwrap().behavior,
            Behavior::Update
        );
        assert_eq!(list(Tx::Sqlite(&c)).unwrap().len(), 1);
        assert!(delete(Tx::Sqlite(&c), "c1").unwrap());
        assert!(get(Tx::Sqlite(&c), "c1").unwrap().is_none());
        assert!(!delete(Tx::Sqlite(&c), "c1").unwrap());
    }
}
