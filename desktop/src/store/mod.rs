//! The SQLite store (DESIGN §7): one file, WAL, `synchronous=FULL`, foreign keys, embedded
//! migrations run at open. Several processes may open the same file; SQLite serialises writers and
//! the busy timeout makes them wait for each other.

pub mod apply;
pub mod directory;
mod error;
pub mod migrations;
pub mod queries;

pub use apply::{apply, merge_properties, Applied, ApplyContext};
pub use directory::StoreDirectory;
pub use error::StoreError;

use rusqlite::{Connection, OpenFlags, Transaction, TransactionBehavior};
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::Duration;

/// How long a statement waits for another writer before giving up with "busy".
pub const DEFAULT_BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// Opens connections to one database file and lends them out for reads and short writes.
pub struct Store {
    path: PathBuf,
    busy_timeout: Duration,
    idle: Mutex<Vec<Connection>>,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store").field("path", &self.path).finish()
    }
}

/// Opens one connection with Inlet's pragmas.
pub fn connect(path: &Path, busy_timeout: Duration) -> Result<Connection, StoreError> {
    let conn = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_WRITE
            | OpenFlags::SQLITE_OPEN_CREATE
            | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .map_err(|e| StoreError::Open {
        path: path.display().to_string(),
        message: e.to_string(),
    })?;
    conn.busy_timeout(busy_timeout)?;
    // journal_mode answers with a row; WAL is persistent in the file once set.
    let mode: String = conn.query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0))?;
    if !mode.eq_ignore_ascii_case("wal") && !mode.eq_ignore_ascii_case("memory") {
        return Err(StoreError::Open {
            path: path.display().to_string(),
            message: format!("journal mode is {mode}, not WAL"),
        });
    }
    conn.execute_batch("PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON;")?;
    conn.set_prepared_statement_cache_capacity(64);
    Ok(conn)
}

impl Store {
    /// Opens (creating if needed) the database at `path` and brings its schema up to date.
    pub fn open(path: &Path) -> Result<Store, StoreError> {
        Store::open_with(path, DEFAULT_BUSY_TIMEOUT)
    }

    pub fn open_with(path: &Path, busy_timeout: Duration) -> Result<Store, StoreError> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|e| StoreError::Open {
                path: path.display().to_string(),
                message: e.to_string(),
            })?;
        }
        let mut conn = connect(path, busy_timeout)?;
        migrations::run(&mut conn)?;
        Ok(Store {
            path: path.to_path_buf(),
            busy_timeout,
            idle: Mutex::new(vec![conn]),
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn busy_timeout(&self) -> Duration {
        self.busy_timeout
    }

    /// A new connection of its own (the listener's writer keeps one for its lifetime).
    pub fn connect(&self) -> Result<Connection, StoreError> {
        connect(&self.path, self.busy_timeout)
    }

    fn take(&self) -> Result<Connection, StoreError> {
        let pooled = self.idle.lock().map(|mut v| v.pop()).unwrap_or(None);
        match pooled {
            Some(c) => Ok(c),
            None => self.connect(),
        }
    }

    fn give_back(&self, conn: Connection) {
        if let Ok(mut v) = self.idle.lock() {
            if v.len() < 8 {
                v.push(conn);
            }
        }
    }

    /// Runs `f` in a read transaction (one consistent snapshot).
    pub fn read<T, E>(&self, f: impl FnOnce(&Transaction) -> Result<T, E>) -> Result<T, E>
    where
        E: From<StoreError>,
    {
        let mut conn = self.take()?;
        let result = (|| {
            let tx = conn
                .transaction_with_behavior(TransactionBehavior::Deferred)
                .map_err(StoreError::from)?;
            let out = f(&tx)?;
            tx.finish().map_err(StoreError::from)?;
            Ok(out)
        })();
        self.give_back(conn);
        result
    }

    /// The connections-and-mappings version (`queries::config_version`): one indexed read in its own
    /// implicit read transaction, without the explicit BEGIN/COMMIT of `read`.
    pub fn config_version(&self) -> Result<i64, StoreError> {
        let conn = self.take()?;
        let result = queries::config_version::get(&conn);
        self.give_back(conn);
        result
    }

    /// Runs `f` in a write transaction, committed when `f` succeeds, rolled back otherwise.
    pub fn write<T, E>(&self, f: impl FnOnce(&Transaction) -> Result<T, E>) -> Result<T, E>
    where
        E: From<StoreError>,
    {
        let mut conn = self.take()?;
        let result = (|| {
            let tx = conn
                .transaction_with_behavior(TransactionBehavior::Immediate)
                .map_err(StoreError::from)?;
            let out = f(&tx)?;
            tx.commit().map_err(StoreError::from)?;
            Ok(out)
        })();
        self.give_back(conn);
        result
    }
}

/// The current time as stored: RFC 3339 UTC with milliseconds.
pub fn now() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

#[cfg(test)]
pub(crate) mod testing {
    use super::*;

    /// A store on a fresh file in a temporary directory, removed when dropped.
    pub struct TempStore {
        pub store: Store,
        dir: PathBuf,
    }

    impl std::ops::Deref for TempStore {
        type Target = Store;
        fn deref(&self) -> &Store {
            &self.store
        }
    }

    impl Drop for TempStore {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.dir);
        }
    }

    pub fn temp_store() -> TempStore {
        let dir = std::env::temp_dir().join(format!("inlet-test-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&dir).unwrap();
        let store = Store::open(&dir.join("inlet.db")).unwrap();
        TempStore { store, dir }
    }
}

#[cfg(test)]
mod tests {
    use super::testing::temp_store;

    #[test]
    fn opening_sets_wal_full_sync_and_foreign_keys() {
        let s = temp_store();
        s.read(|tx| {
            let mode: String = tx.query_row("PRAGMA journal_mode", [], |r| r.get(0))?;
            let sync: i64 = tx.query_row("PRAGMA synchronous", [], |r| r.get(0))?;
            let fk: i64 = tx.query_row("PRAGMA foreign_keys", [], |r| r.get(0))?;
            assert_eq!((mode.as_str(), sync, fk), ("wal", 2, 1));
            Ok::<_, super::StoreError>(())
        })
        .unwrap();
    }

    #[test]
    fn a_second_store_on_the_same_file_sees_the_first_ones_writes() {
        let s = temp_store();
        let other = super::Store::open(s.path()).unwrap();
        s.write(|tx| super::queries::settings::set(tx, "public_base_url", "https://x.example"))
            .unwrap();
        let v = other
            .read(|tx| super::queries::settings::get(tx, "public_base_url"))
            .unwrap();
        assert_eq!(v.as_deref(), Some("https://x.example"));
    }
}
