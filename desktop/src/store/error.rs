use serde::{Serialize, Serializer};

/// What can go wrong in the store. Serialises as its message.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("cannot open the database {path}: {message}")]
    Open { path: String, message: String },
    #[error("database migration {version} failed: {message}")]
    Migration { version: String, message: String },
    #[error("the database was written by a newer Inlet (schema {0}); update Inlet")]
    TooNew(String),
    #[error("stored data is not readable: {0}")]
    Corrupt(String),
    #[error("database error: {0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error("database error: {}", pg_message(.0))]
    Postgres(#[from] postgres::Error),
    /// The database cannot be reached (down, or the network); the listener answers 503.
    #[error("the database is unavailable: {0}")]
    Unavailable(String),
}

impl StoreError {
    /// Another writer held the database longer than the busy timeout.
    pub fn is_busy(&self) -> bool {
        matches!(
            self,
            StoreError::Sqlite(rusqlite::Error::SqliteFailure(e, _))
                if matches!(e.code, rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked)
        )
    }
}

impl StoreError {
    /// A race between writers that running the same work again resolves (PostgreSQL: deadlock,
    /// serialization failure, a unique index that caught a concurrent insert, a lock timeout).
    pub fn is_retryable(&self) -> bool {
        match self {
            StoreError::Postgres(e) => super::pg::is_retryable(e),
            _ => false,
        }
    }

    /// The database is down or unreachable (as opposed to a statement it refused).
    pub fn is_unavailable(&self) -> bool {
        match self {
            StoreError::Unavailable(_) => true,
            StoreError::Postgres(e) => e.is_closed() || e.code().is_none(),
            _ => self.is_busy(),
        }
    }

    /// What this failure means for the request that met it: whether the same request may succeed
    /// later (the listener answers 503 with `Retry-After`) or not (500).
    pub fn fault(&self) -> Fault {
        use postgres::error::SqlState;
        let transient = match self {
            StoreError::Sqlite(rusqlite::Error::SqliteFailure(e, _)) => matches!(
                e.code,
                rusqlite::ErrorCode::DatabaseBusy
                    | rusqlite::ErrorCode::DatabaseLocked
                    | rusqlite::ErrorCode::DiskFull
                    | rusqlite::ErrorCode::SystemIoFailure
            ),
            StoreError::Postgres(e) => {
                self.is_unavailable()
                    || self.is_retryable()
                    || e.code().is_some_and(|c| {
                        // Class 53: out of connections, memory or disk; 57P0x: shutting down,
                        // starting up.
                        c.code().starts_with("53")
                            || *c == SqlState::ADMIN_SHUTDOWN
                            || *c == SqlState::CRASH_SHUTDOWN
                            || *c == SqlState::CANNOT_CONNECT_NOW
                            || *c == SqlState::QUERY_CANCELED
                    })
            }
            _ => self.is_unavailable(),
        };
        if transient {
            Fault::Unavailable
        } else {
            Fault::Internal
        }
    }
}

/// The two answers a store failure can get.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// Busy, locked, down, out of space: the same request may succeed later.
    Unavailable,
    /// Unreadable data, or a statement the store refused: sending it again will not help.
    Internal,
}

impl Serialize for StoreError {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_string())
    }
}

/// The server's own message and code (the client's `Display` says only "db error").
fn pg_message(e: &postgres::Error) -> String {
    match e.as_db_error() {
        Some(db) => format!("{} ({})", db.message(), db.code().code()),
        None => e.to_string(),
    }
}
