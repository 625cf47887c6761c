//! The store boundary (docs/design.md §7, §11). Two stores behind one face: a SQLite file (WAL,
//! `synchronous=FULL`, foreign keys, embedded migrations run at open; several processes may open
//! the same file, SQLite serialises writers and the busy timeout makes them wait for each other),
//! or a PostgreSQL database shared by any number of receivers (`pg`). Everything above the store
//! (the writer, the services, the CLI, the window) reaches either through `Store` and `Tx`; every
//! statement of both lives in `queries`, one function per statement with an arm per store.

pub mod apply;
pub mod directory;
mod error;
pub mod migrations;
pub mod pg;
mod pg_apply;
pub mod pg_migrations;
pub mod queries;

#[cfg(test)]
mod both_tests;

pub use apply::{apply, Applied, ApplyContext};
pub use directory::StoreDirectory;
pub use error::{Fault, StoreError};

use rusqlite::{Connection, OpenFlags, TransactionBehavior};
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::Duration;

/// How long a statement waits for another writer before giving up with "busy".
pub const DEFAULT_BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// One transaction (or, for the writer, one group of them) on either store: what every function
/// in `queries` takes. Reads see the writes made before them in the same transaction.
#[derive(Clone, Copy)]
pub enum Tx<'a> {
    Sqlite(&'a Connection),
    Postgres(&'a pg::PgConn),
}

impl std::fmt::Debug for Tx<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Tx::Sqlite(_) => "Tx::Sqlite",
            Tx::Postgres(_) => "Tx::Postgres",
        })
    }
}

impl Tx<'_> {
    /// Runs SQL text without parameters, valid on both stores (tests and tools that set up
    /// unusual data; the product's own statements live in `queries`).
    pub fn execute_batch(&self, sql: &str) -> Result<(), StoreError> {
        match self {
            Tx::Sqlite(c) => Ok(c.execute_batch(sql)?),
            Tx::Postgres(p) => p.batch(sql),
        }
    }
}

/// The database a `--db` value names: a `postgres://` or `postgresql://` URL, else a SQLite file.
pub fn is_postgres(db: &Path) -> bool {
    db.to_str().is_some_and(pg::is_url)
}

/// A `--db` value as messages show it: a PostgreSQL URL without its password.
pub fn shown(db: &Path) -> String {
    match db.to_str() {
        Some(s) if pg::is_url(s) => pg::redact(s),
        _ => db.display().to_string(),
    }
}

/// Opens connections to one database and lends them out for reads and short writes.
pub struct Store {
    /// The SQLite file, or the PostgreSQL URL without its password (for messages).
    path: PathBuf,
    busy_timeout: Duration,
    backend: Backend,
}

enum Backend {
    Sqlite(Mutex<Vec<Connection>>),
    Postgres(Box<pg::PgStore>),
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
    // journal_mode answers with a row; WAL is persistent in the file once set. Switching a new
    // file to WAL takes its exclusive lock, and SQLite answers "database is locked" at once,
    // without the busy handler, when another process opening the file at the same moment holds
    // a lock: several receivers started together failed one of them in about one start in
    // five. Wait and ask again, for as long as any other lock is waited for.
    let started = std::time::Instant::now();
    let mode: String = loop {
        match conn.query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0)) {
            Err(rusqlite::Error::SqliteFailure(e, _))
                if e.code == rusqlite::ErrorCode::DatabaseBusy
                    && started.elapsed() < busy_timeout =>
            {
                std::thread::sleep(Duration::from_millis(5));
            }
            r => break r?,
        }
    };
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

/// The writer's own session, kept for its lifetime, committing groups of requests.
pub enum GroupConn {
    Sqlite(Connection),
    /// Replaced after the database dropped it, at the next group.
    Postgres(Option<Box<pg::PgConn>>),
}

impl Store {
    /// Opens (creating if needed) the database at `path` and brings its schema up to date. A
    /// `postgres://` or `postgresql://` URL opens the PostgreSQL store.
    pub fn open(path: &Path) -> Result<Store, StoreError> {
        Store::open_with(path, DEFAULT_BUSY_TIMEOUT)
    }

    pub fn open_with(path: &Path, busy_timeout: Duration) -> Result<Store, StoreError> {
        if let Some(url) = path.to_str().filter(|s| pg::is_url(s)) {
            let pg = pg::PgStore::open(url)?;
            return Ok(Store {
                path: PathBuf::from(pg.shown()),
                busy_timeout,
                backend: Backend::Postgres(Box::new(pg)),
            });
        }
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
            backend: Backend::Sqlite(Mutex::new(vec![conn])),
        })
    }

    /// The SQLite file, or the PostgreSQL URL with its password hidden.
    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn is_postgres(&self) -> bool {
        matches!(self.backend, Backend::Postgres(_))
    }

    pub fn busy_timeout(&self) -> Duration {
        self.busy_timeout
    }

    /// A new SQLite connection of its own (benchmarks' raw baseline). PostgreSQL has none.
    pub fn connect(&self) -> Result<Connection, StoreError> {
        match &self.backend {
            Backend::Sqlite(_) => connect(&self.path, self.busy_timeout),
            Backend::Postgres(_) => Err(StoreError::Open {
                path: self.path.display().to_string(),
                message: "not a SQLite file".into(),
            }),
        }
    }

    /// The listener writer's session.
    pub fn group_conn(&self) -> Result<GroupConn, StoreError> {
        match &self.backend {
            Backend::Sqlite(_) => {
                let conn = connect(&self.path, self.busy_timeout)?;
                // Checkpoint less often than every 1,000 pages: request bodies fill the WAL
                // quickly, and each checkpoint syncs the database file inside a commit.
                conn.pragma_update(None, "wal_autocheckpoint", 8192)?;
                Ok(GroupConn::Sqlite(conn))
            }
            // Connected by the writer thread at its first group (this may run on the runtime,
            // where the blocking client must not), and again whenever the database dropped it.
            Backend::Postgres(_) => Ok(GroupConn::Postgres(None)),
        }
    }

    /// For the writer thread of a shared store: a handle that can open sessions again after the
    /// database dropped them. None for SQLite, whose writer keeps its one connection.
    pub fn clone_for_writer(&self) -> Result<Option<Store>, StoreError> {
        Ok(match &self.backend {
            Backend::Sqlite(_) => None,
            Backend::Postgres(pg) => Some(Store {
                path: self.path.clone(),
                busy_timeout: self.busy_timeout,
                backend: Backend::Postgres(Box::new(pg.fork())),
            }),
        })
    }

    /// Reconnects the writer's PostgreSQL session when it is missing or broken.
    pub(crate) fn revive(&self, g: &mut GroupConn) -> Result<(), StoreError> {
        if let (Backend::Postgres(pg), GroupConn::Postgres(slot)) = (&self.backend, g) {
            if slot.as_ref().is_none_or(|c| c.is_closed()) {
                *slot = None;
                *slot = Some(Box::new(pg.connect()?));
            }
        }
        Ok(())
    }

    fn take(pool: &Mutex<Vec<Connection>>, store: &Store) -> Result<Connection, StoreError> {
        let pooled = pool.lock().map(|mut v| v.pop()).unwrap_or(None);
        match pooled {
            Some(c) => Ok(c),
            None => connect(&store.path, store.busy_timeout),
        }
    }

    fn give_back(pool: &Mutex<Vec<Connection>>, conn: Connection) {
        if let Ok(mut v) = pool.lock() {
            if v.len() < 8 {
                v.push(conn);
            }
        }
    }

    /// Runs `f` in a read transaction (one consistent snapshot).
    pub fn read<T, E>(&self, f: impl FnOnce(Tx) -> Result<T, E>) -> Result<T, E>
    where
        E: From<StoreError>,
    {
        match &self.backend {
            Backend::Sqlite(pool) => {
                let mut conn = Store::take(pool, self)?;
                let result = (|| {
                    let tx = conn
                        .transaction_with_behavior(TransactionBehavior::Deferred)
                        .map_err(StoreError::from)?;
                    let out = f(Tx::Sqlite(&tx))?;
                    tx.finish().map_err(StoreError::from)?;
                    Ok(out)
                })();
                Store::give_back(pool, conn);
                result
            }
            Backend::Postgres(pg) => pg
                .run("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", |c| {
                    f(Tx::Postgres(c))
                }),
        }
    }

    /// The connections-and-mappings version (`queries::config_version`): one indexed read in its own
    /// implicit read transaction, without the explicit BEGIN/COMMIT of `read`.
    pub fn config_version(&self) -> Result<i64, StoreError> {
        match &self.backend {
            Backend::Sqlite(pool) => {
                let conn = Store::take(pool, self)?;
                let result = queries::config_version::get(Tx::Sqlite(&conn));
                Store::give_back(pool, conn);
                result
            }
            Backend::Postgres(pg) => pg.with(|c| queries::config_version::get(Tx::Postgres(c))),
        }
    }

    /// Runs `f` in a write transaction, committed when `f` succeeds, rolled back otherwise.
    pub fn write<T, E>(&self, f: impl FnOnce(Tx) -> Result<T, E>) -> Result<T, E>
    where
        E: From<StoreError>,
    {
        match &self.backend {
            Backend::Sqlite(pool) => {
                let mut conn = Store::take(pool, self)?;
                let result = (|| {
                    let tx = conn
                        .transaction_with_behavior(TransactionBehavior::Immediate)
                        .map_err(StoreError::from)?;
                    let out = f(Tx::Sqlite(&tx))?;
                    tx.commit().map_err(StoreError::from)?;
                    Ok(out)
                })();
                Store::give_back(pool, conn);
                result
            }
            Backend::Postgres(pg) => pg.run("BEGIN", |c| f(Tx::Postgres(c))),
        }
    }
}

impl GroupConn {
    /// The transaction the group's requests run in, once `begin` succeeded.
    pub fn tx(&self) -> Option<Tx<'_>> {
        match self {
            GroupConn::Sqlite(c) => Some(Tx::Sqlite(c)),
            GroupConn::Postgres(c) => c.as_deref().map(Tx::Postgres),
        }
    }

    /// Runs one transaction-control statement (`BEGIN`, `SAVEPOINT request`, `COMMIT` …).
    pub fn exec(&self, sql: &str) -> Result<(), StoreError> {
        match self {
            // Through the statement cache: parsed once per writer.
            GroupConn::Sqlite(c) => {
                c.prepare_cached(sql)?.execute([])?;
                Ok(())
            }
            GroupConn::Postgres(Some(c)) => c.batch(sql),
            GroupConn::Postgres(None) => Err(StoreError::Unavailable("not connected".into())),
        }
    }

    /// Starts the group's transaction. SQLite takes the write lock at once (one writer per file).
    pub fn begin(&self) -> Result<(), StoreError> {
        match self {
            GroupConn::Sqlite(_) => self.exec("BEGIN IMMEDIATE"),
            GroupConn::Postgres(_) => self.exec("BEGIN"),
        }
    }

    pub fn rollback(&self) {
        let _ = match self {
            GroupConn::Sqlite(c) => c.execute_batch("ROLLBACK").map_err(StoreError::from),
            GroupConn::Postgres(_) => self.exec("ROLLBACK"),
        };
    }

    /// Drops a PostgreSQL session that failed, so that the next group opens a new one.
    pub fn reset(&mut self) {
        if let GroupConn::Postgres(slot) = self {
            *slot = None;
        }
    }

    /// Whether writers on other machines share this database, so that a group must lock the keys
    /// it touches (`pg::lock_keys`) before it looks them up.
    pub fn shared(&self) -> bool {
        matches!(self, GroupConn::Postgres(_))
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
    use super::Tx;

    #[test]
    fn opening_sets_wal_full_sync_and_foreign_keys() {
        let s = temp_store();
        s.read(|tx| {
            let Tx::Sqlite(tx) = tx else { unreachable!() };
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
