//! Embedded, timestamped schema migrations, applied in order at open. Each runs once, recorded in
//! `schema_migrations`; processes opening the file together serialise on the write lock.

use super::StoreError;
use rusqlite::{Connection, TransactionBehavior};

/// `(version, sql)`, oldest first. Versions are `YYYYMMDD_NNNN_name` and never change once shipped.
pub const MIGRATIONS: &[(&str, &str)] = &[
    (
        "20261128_0001_init",
        include_str!("migrations/20261128_0001_init.sql"),
    ),
    (
        "20261129_0001_config_version",
        include_str!("migrations/20261129_0001_config_version.sql"),
    ),
    (
        "20261201_0001_signatures_drift",
        include_str!("migrations/20261201_0001_signatures_drift.sql"),
    ),
    (
        "20261201_0002_record_requests",
        include_str!("migrations/20261201_0002_record_requests.sql"),
    ),
    (
        "20261201_0010_request_log",
        include_str!("migrations/20261201_0010_request_log.sql"),
    ),
    (
        "20261201_0020_lookup_indexes",
        include_str!("migrations/20261201_0020_lookup_indexes.sql"),
    ),
    (
        "20261202_0001_listeners",
        include_str!("migrations/20261202_0001_listeners.sql"),
    ),
    (
        "20261202_0002_request_index",
        include_str!("migrations/20261202_0002_request_index.sql"),
    ),
];

pub fn run(conn: &mut Connection) -> Result<(), StoreError> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    tx.execute_batch("CREATE TABLE IF NOT EXISTS schema_migrations (version TEXT PRIMARY KEY, applied_at TEXT NOT NULL)")?;
    let applied: Vec<String> = {
        let mut st = tx.prepare("SELECT version FROM schema_migrations ORDER BY version")?;
        let rows = st.query_map([], |r| r.get(0))?;
        rows.collect::<Result<_, _>>()?
    };
    if let Some(last) = applied.last() {
        if !MIGRATIONS.iter().any(|(v, _)| v == last) {
            return Err(StoreError::TooNew(last.clone()));
        }
    }
    for (version, sql) in MIGRATIONS {
        if applied.iter().any(|a| a == version) {
            continue;
        }
        tx.execute_batch(sql).map_err(|e| StoreError::Migration {
            version: version.to_string(),
            message: e.to_string(),
        })?;
        tx.execute(
            "INSERT INTO schema_migrations (version, applied_at) VALUES (?1, ?2)",
            (version, super::now()),
        )?;
    }
    tx.commit()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn migrations_run_once_and_are_recorded() {
        let mut c = Connection::open_in_memory().unwrap();
        run(&mut c).unwrap();
        run(&mut c).unwrap();
        let n: i64 = c
            .query_row("SELECT count(*) FROM schema_migrations", [], |r| r.get(0))
            .unwrap();
        assert_eq!(n as usize, MIGRATIONS.len());
        let t: i64 = c
            .query_row(
                "SELECT count(*) FROM sqlite_master WHERE name = 'events'",
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(t, 1);
    }

    #[test]
    fn a_database_from_a_newer_version_is_refused() {
        let mut c = Connection::open_in_memory().unwrap();
        run(&mut c).unwrap();
        c.execute(
            "INSERT INTO schema_migrations VALUES ('29990101_0001_future', 'x')",
            [],
        )
        .unwrap();
        assert!(matches!(run(&mut c), Err(StoreError::TooNew(_))));
    }

    #[test]
    fn migration_versions_are_sorted_and_unique() {
        let mut v: Vec<_> = MIGRATIONS.iter().map(|(v, _)| *v).collect();
        let orig = v.clone();
        v.sort();
        v.dedup();
        assert_eq!(v, orig);
    }
}
