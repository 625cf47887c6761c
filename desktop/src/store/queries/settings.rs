use crate::store::{now, StoreError, Tx};
use rusqlite::OptionalExtension;

pub fn get(tx: Tx, key: &str) -> Result<Option<String>, StoreError> {
    let c = match tx {
        Tx::Sqlite(c) => c,
        Tx::Postgres(p) => return pg::get(p, key),
    };
    Ok(
        c.prepare_cached("SELECT value FROM settings WHERE key = ?1")?
            .query_row([key], |r| r.get(0))
            .optional()?,
    )
}

pub fn set(tx: Tx, key: &str, value: &str) -> Result<(), StoreError> {
    let c = match tx {
        Tx::Sqlite(c) => c,
        Tx::Postgres(p) => return pg::set(p, key, value),
    };
    c.prepare_cached(
        "INSERT INTO settings (key, value, updated_at) VALUES (?1, ?2, ?3)
         ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at",
    )?
    .execute((key, value, now()))?;
    Ok(())
}

pub fn remove(tx: Tx, key: &str) -> Result<(), StoreError> {
    let c = match tx {
        Tx::Sqlite(c) => c,
        Tx::Postgres(p) => return pg::remove(p, key),
    };
    c.prepare_cached("DELETE FROM settings WHERE key = ?1")?
        .execute([key])?;
    Ok(())
}

pub(crate) mod pg {
    use crate::store::pg::PgConn;
    use crate::store::{now, StoreError};

    pub fn get(p: &PgConn, key: &str) -> Result<Option<String>, StoreError> {
        Ok(
            p.query_opt("SELECT value FROM settings WHERE key = $1", &[&key])?
                .map(|r| r.get(0)),
        )
    }

    pub fn set(p: &PgConn, key: &str, value: &str) -> Result<(), StoreError> {
        p.execute(
            "INSERT INTO settings (key, value, updated_at) VALUES ($1, $2, $3)
             ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at",
            &[&key, &value, &now()],
        )?;
        Ok(())
    }

    pub fn remove(p: &PgConn, key: &str) -> Result<(), StoreError> {
        p.execute("DELETE FROM settings WHERE key = $1", &[&key])?;
        Ok(())
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
    fn a_setting_is_absent_until_set_and_then_overwritten() {
        let mut c = Connection::open_in_memory().unwrap();
        migrations::run(&mut c).unwrap();
        assert_eq!(get(Tx::Sqlite(&c), "listen_address").unwrap(), None);
        set(Tx::Sqlite(&c), "listen_address", "127.0.0.1:1").unwrap();
        set(Tx::Sqlite(&c), "listen_address", "127.0.0.1:2").unwrap();
        assert_eq!(
            get(Tx::Sqlite(&c), "listen_address").unwrap().as_deref(),
            Some("127.0.0.1:2")
        );
        remove(Tx::Sqlite(&c), "listen_address").unwrap();
        assert_eq!(get(Tx::Sqlite(&c), "listen_address").unwrap(), None);
    }
}
