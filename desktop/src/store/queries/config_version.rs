use crate::store::StoreError;
use rusqlite::Connection;

/// The counter every change to a connection or a mapping bumps (triggers of migration
/// `20261129_0001_config_version`), in whichever process it is made.
pub fn get(c: &Connection) -> Result<i64, StoreError> {
    Ok(
        c.prepare_cached("SELECT version FROM config_version WHERE id = 1")?
            .query_row([], |r| r.get(0))?,
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::migrations;
    use crate::store::queries::{connections, mappings};

    #[test]
    fn every_change_to_a_connection_or_its_mapping_bumps_the_version() {
        let mut c = Connection::open_in_memory().unwrap();
        migrations::run(&mut c).unwrap();
        c.execute_batch("PRAGMA foreign_keys = ON").unwrap();
        let mut seen = vec![get(&c).unwrap()];
        let mut row = connections::sample("c1", inlet_core::Kind::Accounts);
        connections::insert(&c, &row).unwrap();
        seen.push(get(&c).unwrap());
        row.enabled = false;
        connections::update(&c, &row).unwrap();
        seen.push(get(&c).unwrap());
        mappings::set(&c, "c1", "{}").unwrap();
        seen.push(get(&c).unwrap());
        mappings::set(&c, "c1", "{\"a\":1}").unwrap();
        seen.push(get(&c).unwrap());
        connections::delete(&c, "c1").unwrap();
        seen.push(get(&c).unwrap());
        assert!(seen.windows(2).all(|w| w[1] > w[0]), "{seen:?}");
    }
}
