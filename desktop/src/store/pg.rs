//! The PostgreSQL store (docs/design.md §11): the same tables as the SQLite file, reached through the
//! blocking `postgres` client on the threads that already run SQLite work (the writer thread,
//! blocking tasks, the CLI). Every statement is prepared once per connection and kept.
//!
//! Connections have a connect timeout, TCP keepalives and a server-side statement timeout, so a
//! database that is down or unreachable fails a request within seconds (503), and a broken
//! connection is dropped and replaced on the next use: no restart is needed when it comes back.

use super::StoreError;
use postgres::types::ToSql;
use postgres::{Client, Config, Row, Statement};
use std::cell::RefCell;
use std::collections::HashMap;
use std::sync::{Condvar, Mutex};
use std::time::Duration;

/// How long connecting may take before the store answers "unavailable".
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(3);
/// Statements running longer than this are cancelled by the server. JIT compilation is off for
/// the sessions: it costs tens of milliseconds per statement and pays only for long analytics.
pub const STATEMENT_TIMEOUT_MS: u64 = 5_000;
/// Lock waits (advisory and row locks) give up sooner than a sender's timeout.
pub const LOCK_TIMEOUT_MS: u64 = 4_000;

/// Whether `db` names a PostgreSQL database rather than a SQLite file.
pub fn is_url(db: &str) -> bool {
    db.starts_with("postgres://") || db.starts_with("postgresql://")
}

/// The URL without its password, for messages.
pub fn redact(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_string();
    };
    let (auth, tail) = match rest.split_once('@') {
        Some((a, t)) if !a.contains('/') => (a, t),
        _ => return url.to_string(),
    };
    match auth.split_once(':') {
        Some((user, _)) => format!("{scheme}://{user}:***@{tail}"),
        None => format!("{scheme}://{auth}@{tail}"),
    }
}

/// One session, with its prepared statements.
pub struct PgConn {
    /// Always `Some` until dropped.
    client: RefCell<Option<Client>>,
    statements: RefCell<HashMap<String, Statement>>,
}

impl Drop for PgConn {
    /// Closing a session blocks on the client's own runtime, which may not run inside another
    /// one (a store dropped at the end of an async block): close it on a thread of its own then.
    fn drop(&mut self) {
        if let Some(client) = self.client.get_mut().take() {
            if tokio::runtime::Handle::try_current().is_ok() {
                let _ = std::thread::Builder::new()
                    .name("inlet-pg-close".into())
                    .spawn(move || drop(client));
            }
        }
    }
}

impl std::fmt::Debug for PgConn {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PgConn").finish_non_exhaustive()
    }
}

impl PgConn {
    fn statement(&self, sql: &str) -> Result<Statement, StoreError> {
        if let Some(s) = self.statements.borrow().get(sql) {
            return Ok(s.clone());
        }
        let s = self.with(|c| c.prepare(sql))?;
        let mut cache = self.statements.borrow_mut();
        if cache.len() >= 256 {
            cache.clear();
        }
        cache.insert(sql.to_string(), s.clone());
        Ok(s)
    }

    fn with<T>(
        &self,
        f: impl FnOnce(&mut Client) -> Result<T, postgres::Error>,
    ) -> Result<T, StoreError> {
        match self.client.borrow_mut().as_mut() {
            Some(c) => Ok(f(c)?),
            None => Err(StoreError::Unavailable("the session is closed".into())),
        }
    }

    pub fn query(&self, sql: &str, params: &[&(dyn ToSql + Sync)]) -> Result<Vec<Row>, StoreError> {
        let st = self.statement(sql)?;
        self.with(|c| c.query(&st, params))
    }

    pub fn query_opt(
        &self,
        sql: &str,
        params: &[&(dyn ToSql + Sync)],
    ) -> Result<Option<Row>, StoreError> {
        let st = self.statement(sql)?;
        self.with(|c| c.query_opt(&st, params))
    }

    pub fn query_one(&self, sql: &str, params: &[&(dyn ToSql + Sync)]) -> Result<Row, StoreError> {
        let st = self.statement(sql)?;
        self.with(|c| c.query_one(&st, params))
    }

    pub fn execute(&self, sql: &str, params: &[&(dyn ToSql + Sync)]) -> Result<u64, StoreError> {
        let st = self.statement(sql)?;
        self.with(|c| c.execute(&st, params))
    }

    /// Statements without parameters (transaction control, migrations), in one round trip.
    pub fn batch(&self, sql: &str) -> Result<(), StoreError> {
        self.with(|c| c.batch_execute(sql))
    }

    pub fn is_closed(&self) -> bool {
        self.client.borrow().as_ref().is_none_or(Client::is_closed)
    }
}

/// Sessions one pool keeps open at most. Requests beyond it wait for a free one (up to
/// `CONNECT_TIMEOUT`, then the store is busy: 503) instead of opening sessions of their own: a
/// receiver under 64 concurrent senders once opened and closed a session per request, and three
/// receivers could pass PostgreSQL's default `max_connections` (100).
pub const POOL_SESSIONS: usize = 16;

/// Opens sessions to one database and lends them out, at most `POOL_SESSIONS` at a time.
pub struct PgStore {
    config: Config,
    shown: String,
    /// Built once: building a connector loads the system's certificate store, which cost more
    /// than the rest of a connect.
    tls: postgres_native_tls::MakeTlsConnector,
    pool: Mutex<Pool>,
    freed: Condvar,
}

#[derive(Default)]
struct Pool {
    idle: Vec<PgConn>,
    /// Sessions lent out or idle.
    open: usize,
}

impl std::fmt::Debug for PgStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PgStore").field("db", &self.shown).finish()
    }
}

fn tls() -> Result<postgres_native_tls::MakeTlsConnector, String> {
    native_tls::TlsConnector::builder()
        .build()
        .map(postgres_native_tls::MakeTlsConnector::new)
        .map_err(|e| format!("TLS setup failed: {e}"))
}

impl PgStore {
    /// Connects to `url` and brings the schema up to date.
    pub fn open(url: &str) -> Result<PgStore, StoreError> {
        let shown = redact(url);
        let mut config: Config = url.parse().map_err(|e| StoreError::Open {
            path: shown.clone(),
            message: format!("not a valid PostgreSQL URL: {e}"),
        })?;
        config
            .connect_timeout(CONNECT_TIMEOUT)
            .keepalives(true)
            .keepalives_idle(Duration::from_secs(10))
            .tcp_user_timeout(Duration::from_secs(10))
            .options(&format!(
                "-c statement_timeout={STATEMENT_TIMEOUT_MS} -c lock_timeout={LOCK_TIMEOUT_MS} -c idle_in_transaction_session_timeout=60000 -c jit=off"
            ))
            .application_name("inlet");
        let tls = tls().map_err(|message| StoreError::Open {
            path: shown.clone(),
            message,
        })?;
        let store = PgStore {
            config,
            shown,
            tls,
            pool: Mutex::default(),
            freed: Condvar::new(),
        };
        let conn = store.take()?;
        super::pg_migrations::run(&conn).map_err(|e| match e {
            StoreError::Postgres(p) => StoreError::Migration {
                version: "(lock)".into(),
                message: p.to_string(),
            },
            other => other,
        })?;
        store.give_back(conn);
        Ok(store)
    }

    /// The same database with a pool of its own.
    pub fn fork(&self) -> PgStore {
        PgStore {
            config: self.config.clone(),
            shown: self.shown.clone(),
            tls: self.tls.clone(),
            pool: Mutex::default(),
            freed: Condvar::new(),
        }
    }

    pub fn shown(&self) -> &str {
        &self.shown
    }

    /// A new session of its own, outside the pool (the listener's writer keeps one).
    pub fn connect(&self) -> Result<PgConn, StoreError> {
        let client = self
            .config
            .connect(self.tls.clone())
            .map_err(|e| StoreError::Unavailable(format!("{}: {e}", self.shown)))?;
        Ok(PgConn {
            client: RefCell::new(Some(client)),
            statements: RefCell::new(HashMap::new()),
        })
    }

    fn pool(&self) -> std::sync::MutexGuard<'_, Pool> {
        // A panic while holding the lock leaves the pool consistent (every change is one step).
        self.pool.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// An idle session, else a new one while fewer than `POOL_SESSIONS` are open, else the first
    /// one given back.
    fn take(&self) -> Result<PgConn, StoreError> {
        let deadline = std::time::Instant::now() + CONNECT_TIMEOUT;
        let mut pool = self.pool();
        loop {
            if let Some(c) = pool.idle.pop() {
                if c.is_closed() {
                    pool.open -= 1;
                    continue;
                }
                return Ok(c);
            }
            if pool.open < POOL_SESSIONS {
                pool.open += 1;
                drop(pool);
                return self.connect().inspect_err(|_| self.discard());
            }
            let now = std::time::Instant::now();
            if now >= deadline {
                return Err(StoreError::Unavailable(format!(
                    "all {POOL_SESSIONS} sessions to {} are busy",
                    self.shown
                )));
            }
            pool = self
                .freed
                .wait_timeout(pool, deadline - now)
                .unwrap_or_else(|e| e.into_inner())
                .0;
        }
    }

    /// A pooled session that will not be given back (closed, or dropped by the caller).
    fn discard(&self) {
        self.pool().open -= 1;
        self.freed.notify_one();
    }

    fn give_back(&self, conn: PgConn) {
        if conn.is_closed() {
            drop(conn);
            return self.discard();
        }
        self.pool().idle.push(conn);
        self.freed.notify_one();
    }

    /// A session the database dropped (a restart) is closed and replaced by a new one.
    fn replace(&self, conn: PgConn) -> Result<PgConn, StoreError> {
        drop(conn);
        self.discard();
        self.take()
    }

    /// A pooled session that is still open, else a new one. A session the database dropped
    /// while idle (a restart) shows only at its next statement: `started` runs that first
    /// statement and, when it fails that way, runs it once more on a fresh session.
    fn start(
        &self,
        first: impl Fn(&PgConn) -> Result<(), StoreError>,
    ) -> Result<PgConn, StoreError> {
        let conn = self.take()?;
        match first(&conn) {
            Ok(()) => Ok(conn),
            Err(e) if e.is_unavailable() => {
                let fresh = self.replace(conn)?;
                match first(&fresh) {
                    Ok(()) => Ok(fresh),
                    Err(e) => {
                        self.give_back(fresh);
                        Err(e)
                    }
                }
            }
            Err(e) => {
                self.give_back(conn);
                Err(e)
            }
        }
    }

    /// Runs `f` in a transaction that begins with `begin`, committed when `f` succeeds.
    pub fn run<T, E>(&self, begin: &str, f: impl FnOnce(&PgConn) -> Result<T, E>) -> Result<T, E>
    where
        E: From<StoreError>,
    {
        let conn = self.start(|c| c.batch(begin))?;
        let result = match f(&conn) {
            Ok(out) => conn.batch("COMMIT").map(|()| out).map_err(E::from),
            Err(e) => {
                let _ = conn.batch("ROLLBACK");
                Err(e)
            }
        };
        self.give_back(conn);
        result
    }

    /// One read outside an explicit transaction (safe to run again on a fresh session).
    pub fn with<T>(&self, f: impl Fn(&PgConn) -> Result<T, StoreError>) -> Result<T, StoreError> {
        let conn = self.take()?;
        let result = match f(&conn) {
            Err(e) if e.is_unavailable() => {
                let fresh = self.replace(conn)?;
                let r = f(&fresh);
                self.give_back(fresh);
                return r;
            }
            r => r,
        };
        self.give_back(conn);
        result
    }
}

/// A fixed 64-bit hash (FNV-1a) of a lock key: the same in every process and version, unlike the
/// standard library's seeded hasher.
pub fn lock_key(parts: &[&str]) -> i64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for (i, p) in parts.iter().enumerate() {
        if i > 0 {
            h ^= 0x1f;
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
        for b in p.bytes() {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
    }
    h as i64
}

/// The lock keys of a batch: every key under which its rows may create an account or a contact,
/// and its event IDs (unique per connection). Updates need none: they lock the row they merge into.
pub fn batch_lock_keys(connection_id: &str, keys: &inlet_core::BatchKeys, out: &mut Vec<i64>) {
    if keys.creates {
        out.extend(keys.account_ids.iter().map(|v| lock_key(&["a", "id", v])));
        out.extend(keys.names.iter().map(|v| lock_key(&["a", "name", v])));
        out.extend(keys.contact_ids.iter().map(|v| lock_key(&["c", "id", v])));
        out.extend(keys.emails.iter().map(|v| lock_key(&["c", "email", v])));
    }
    out.extend(
        keys.event_ids
            .iter()
            .map(|v| lock_key(&["e", connection_id, v])),
    );
}

/// Takes transaction-scoped advisory locks on `keys` in ascending order, in one statement. Two
/// writers whose batches share a key run one after the other; the second's look-ups (READ
/// COMMITTED, after the lock) see what the first committed.
pub fn lock_keys(conn: &PgConn, keys: &mut Vec<i64>) -> Result<(), StoreError> {
    if keys.is_empty() {
        return Ok(());
    }
    // Every advisory lock takes a slot of the server's shared lock table (64 × max_connections by
    // default), which table locks of every session need too: a group of large batches holding
    // one lock per key filled it ("out of shared memory"), failing other receivers' reads. Keys
    // share a fixed number of buckets instead: the same key always lands in the same bucket (so
    // two writers of one key still run one after the other), and a group holds at most
    // LOCK_BUCKETS locks whatever its size; unrelated keys in one bucket only wait for each other.
    for k in keys.iter_mut() {
        *k = bucket(*k);
    }
    keys.sort_unstable();
    keys.dedup();
    conn.query_one(
        "SELECT count(pg_advisory_xact_lock(k)) FROM (SELECT k FROM unnest($1::int8[]) WITH ORDINALITY AS u(k, i) ORDER BY i) s",
        &[keys],
    )?;
    Ok(())
}

/// Advisory lock buckets for record keys (see `lock_keys`).
pub const LOCK_BUCKETS: i64 = 1024;
/// The bucket locks' own key range, clear of the migration lock's key.
const LOCK_BUCKET_BASE: i64 = 0x696e_6c65_7400_0000;

fn bucket(k: i64) -> i64 {
    LOCK_BUCKET_BASE + k.rem_euclid(LOCK_BUCKETS)
}

/// SQLSTATEs after which the whole group is run again: serialization failure, deadlock, a unique
/// index that caught a race, and a lock wait that timed out.
pub fn is_retryable(e: &postgres::Error) -> bool {
    use postgres::error::SqlState;
    e.code().is_some_and(|c| {
        *c == SqlState::T_R_SERIALIZATION_FAILURE
            || *c == SqlState::T_R_DEADLOCK_DETECTED
            || *c == SqlState::UNIQUE_VIOLATION
            || *c == SqlState::LOCK_NOT_AVAILABLE
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_are_told_from_paths_and_passwords_are_hidden() {
        assert!(is_url("postgres://u@h/db") && is_url("postgresql://h/db"));
        assert!(!is_url("/var/lib/inlet.db") && !is_url("postgres.db"));
        assert_eq!(
            redact("postgres://inlet:s3cret@db.example:5432/inlet?sslmode=require"),
            "postgres://inlet:***@db.example:5432/inlet?sslmode=require"
        );
        assert_eq!(redact("postgres://u@h/db"), "postgres://u@h/db");
    }

    #[test]
    fn a_key_always_takes_the_same_bucket_and_buckets_are_bounded() {
        let k = lock_key(&["a", "id", "42"]);
        assert_eq!(bucket(k), bucket(lock_key(&["a", "id", "42"])));
        let all: std::collections::BTreeSet<i64> = (0..100_000i64)
            .map(|i| bucket(lock_key(&["a", "id", &i.to_string()])))
            .collect();
        assert_eq!(all.len() as i64, LOCK_BUCKETS);
        assert!(
            !all.contains(&0x696e_6c65_746d_6967),
            "clear of the migration lock"
        );
    }

    #[test]
    fn lock_keys_are_stable_and_distinguish_their_parts() {
        assert_eq!(lock_key(&["a", "id", "42"]), lock_key(&["a", "id", "42"]));
        assert_ne!(lock_key(&["a", "id", "42"]), lock_key(&["a", "id4", "2"]));
        assert_ne!(lock_key(&["a", "id", "42"]), lock_key(&["c", "id", "42"]));
    }
}
