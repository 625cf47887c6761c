//! Embedded, versioned migrations for the PostgreSQL store: the same versions as the SQLite
//! file's (`migrations.rs`), each in its own transaction, recorded in `schema_migrations`.
//! Receivers starting together take one session advisory lock around migrating, so exactly one
//! applies each version and the others wait for it and then find nothing left to do.

use super::pg::PgConn;
use super::StoreError;

/// `(version, sql)`, oldest first; a version also names the SQLite migration it mirrors.
pub const MIGRATIONS: &[(&str, &str)] = &[
    (
        "20261128_0001_init",
        include_str!("pg_migrations/20261128_0001_init.sql"),
    ),
    (
        "20261129_0001_config_version",
        include_str!("pg_migrations/20261129_0001_config_version.sql"),
    ),
    (
        "20261201_0001_signatures_drift",
        include_str!("pg_migrations/20261201_0001_signatures_drift.sql"),
    ),
    (
        "20261201_0002_record_requests",
        include_str!("pg_migrations/20261201_0002_record_requests.sql"),
    ),
    (
        "20261201_0010_request_log",
        include_str!("pg_migrations/20261201_0010_request_log.sql"),
    ),
    (
        "20261201_0020_lookup_indexes",
        include_str!("pg_migrations/20261201_0020_lookup_indexes.sql"),
    ),
    (
        "20261202_0001_listeners",
        include_str!("pg_migrations/20261202_0001_listeners.sql"),
    ),
    (
        "20261202_0002_request_index",
        include_str!("pg_migrations/20261202_0002_request_index.sql"),
    ),
];

/// The advisory lock key migrations hold ("inlet-migrate").
const MIGRATION_LOCK: i64 = 0x696e_6c65_746d_6967;

pub fn run(conn: &PgConn) -> Result<(), StoreError> {
    conn.execute("SELECT pg_advisory_lock($1)", &[&MIGRATION_LOCK])?;
    let result = apply(conn);
    let _ = conn.execute("SELECT pg_advisory_unlock($1)", &[&MIGRATION_LOCK]);
    result
}

fn apply(conn: &PgConn) -> Result<(), StoreError> {
    conn.batch(
        "CREATE TABLE IF NOT EXISTS schema_migrations (version TEXT PRIMARY KEY, applied_at TEXT NOT NULL)",
    )?;
    let applied: Vec<String> = conn
        .query(
            "SELECT version FROM schema_migrations ORDER BY version",
            &[],
        )?
        .iter()
        .map(|r| r.get(0))
        .collect();
    if let Some(last) = applied.last() {
        if !MIGRATIONS.iter().any(|(v, _)| v == last) {
            return Err(StoreError::TooNew(last.clone()));
        }
    }
    for (version, sql) in MIGRATIONS {
        if applied.iter().any(|a| a == version) {
            continue;
        }
        let failed = |e: StoreError| StoreError::Migration {
            version: version.to_string(),
            message: e.to_string(),
        };
        conn.batch("BEGIN").map_err(failed)?;
        let step = conn.batch(sql).and_then(|()| {
            conn.execute(
                "INSERT INTO schema_migrations (version, applied_at) VALUES ($1, $2)",
                &[version, &super::now()],
            )
            .map(|_| ())
        });
        match step {
            Ok(()) => conn.batch("COMMIT").map_err(failed)?,
            Err(e) => {
                let _ = conn.batch("ROLLBACK");
                return Err(failed(e));
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_stores_have_the_same_migration_versions() {
        let pg: Vec<_> = MIGRATIONS.iter().map(|(v, _)| *v).collect();
        let sqlite: Vec<_> = super::super::migrations::MIGRATIONS
            .iter()
            .map(|(v, _)| *v)
            .collect();
        assert_eq!(pg, sqlite);
    }
}
