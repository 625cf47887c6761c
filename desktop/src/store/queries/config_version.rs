use crate::store::{StoreError, Tx};

/// The counter every change to a connection or a mapping bumps (triggers of migration
/// `20261129_0001_config_version`), in whichever process it is made.
pub fn get(tx: Tx) -> Result<i64, StoreError> {
    let c = match tx {
        Tx::Sqlite(c) => c,
        Tx::Postgres(p) => return pg::get(p),
    };
    Ok(
        c.prepare_cached("SELECT version FROM config_version WHERE id = 1")?
            .query_row([], |r| r.get(0))?,
    )
}

pub(crate) mod pg {
    use crate::store::pg::PgConn;
    use crate::store::StoreError;

    pub fn get(p: &PgConn) -> Result<i64, StoreError> {
        Ok(
            p.query_one("SELECT version FROM config_version WHERE id = 1", &[])?
                .get(0),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::migrations;
    use crate::store::queries::{connections, mappings};
    #[allow(unused_imports)]
    use crate::store::Tx;
    #[allow(unused_imports)]
    use rusqlite::Connection;

    #[test]
    fn every_change_to_a_connection_or_its_mapping_bumps_the_version() {
        let mut c = Connection::open_in_memory().unwrap();
        migrations::run(&mut c).unwrap();
        c.execute_batch("PRAGMA foreign_keys = ON").unwrap();
        let mut seen = vec![get(Tx::Sqlite(&c)).unwrap()];
        let mut row = connections::sample("c1", inlet_core::Kind::Accounts);
        connections::insert(Tx::Sqlite(&c), &row).unwrap();
        seen.push(get(Tx::Sqlite(&c)).unwrap());
        row.enabled = false;
        connections::update(Tx::Sqlite(&c), &row).unwrap();
        seen.push(get(Tx::Sqlite(&c)).unwrap());
        mappings::set(Tx::Sqlite(&c), "c1", "{}").unwrap();
        seen.push(get(Tx::Sqlite(&c)).unwrap());
        mappings::set(Tx::Sqlite(&c), "c1", "{\"a\":1}").unwrap();
        seen.push(get(Tx::Sqlite(&c)).unwrap());
        connections::delete(Tx::Sqlite(&c), "c1").unwrap();
        seen.push(get(Tx::Sqlite(&c)).unwrap());
        assert!(seen.windows(2).all(|w| w[1] > w[0]), "{seen:?}");
    }
}
