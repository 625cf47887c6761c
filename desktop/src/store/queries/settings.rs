use crate::store::{now, StoreError};
use rusqlite::{Connection, OptionalExtension};

pub fn get(c: &Connection, key: &str) -> Result<Option<String>, StoreError> {
    Ok(
        c.prepare_cached("SELECT value FROM settings WHERE key = ?1")?
            .query_row([key], |r| r.get(0))
            .optional()?,
    )
}

pub fn set(c: &Connection, key: &str, value: &str) -> Result<(), StoreError> {
    c.prepare_cached(
        "INSERT INTO settings (key, value, updated_at) VALUES (?1, ?2, ?3)
         ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at",
    )?
    .execute((key, value, now()))?;
    Ok(())
}

pub fn remove(c: &Connection, key: &str) -> Result<(), StoreError> {
    c.prepare_cached("DELETE FROM settings WHERE key = ?1")?
        .execute([key])?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::migrations;

    #[test]
    fn a_setting_is_absent_until_set_and_then_overwritten() {
        let mut c = Connection::open_in_memory().unwrap();
        migrations::run(&mut c).unwrap();
        assert_eq!(get(&c, "listen_address").unwrap(), None);
        set(&c, "listen_address", "127.0.0.1:1").unwrap();
        set(&c, "listen_address", "127.0.0.1:2").unwrap();
        assert_eq!(
            get(&c, "listen_address").unwrap().as_deref(),
            Some("127.0.0.1:2")
        );
        remove(&c, "listen_address").unwrap();
        assert_eq!(get(&c, "listen_address").unwrap(), None);
    }
}
