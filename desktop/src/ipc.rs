//! What the window's commands send that is not a service type of its own: the one error every
//! command answers with, the settings with this window's listener, the export's answer. These
//! live outside `gui` (which needs the `gui` feature and Tauri) so that `tests/ipc_types.rs` can
//! generate their TypeScript (`ui/src/desktop/ipc-types.ts`) in a plain build.

use crate::service::{settings, ServiceError};
use crate::store::StoreError;
use crate::tunnel::TunnelState;
use serde::{Deserialize, Serialize};

/// What kind of failure a command met; the UI words it by `message` and may act on the code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    /// No such connection, request or record.
    NotFound,
    /// The input was refused (a value out of range, a bad address, an unknown tunnel program).
    Invalid,
    /// The mapping document was refused.
    InvalidMapping,
    /// A file could not be read or written (the export).
    File,
    /// Another writer held the database past the busy timeout.
    Busy,
    /// The database cannot be reached.
    Unavailable,
    /// Stored data could not be read back.
    Corrupt,
    /// Any other database failure.
    Store,
    /// The tunnel program could not be started.
    Tunnel,
    /// The system dialog failed.
    Dialog,
    /// A bug: a task panicked or the window's plumbing failed.
    Internal,
}

/// The error every window command answers with, instead of a bare string: what kind it is, the
/// sentence to show, and whether doing the same again may succeed (the database was busy).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[error("{message}")]
pub struct CommandError {
    pub code: ErrorCode,
    pub message: String,
    pub retry: bool,
}

impl CommandError {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> CommandError {
        let retry = matches!(code, ErrorCode::Busy | ErrorCode::Unavailable);
        CommandError {
            code,
            message: message.into(),
            retry,
        }
    }
}

impl From<ServiceError> for CommandError {
    fn from(e: ServiceError) -> CommandError {
        let code = match &e {
            ServiceError::NotFound(_) => ErrorCode::NotFound,
            ServiceError::Invalid(_) => ErrorCode::Invalid,
            ServiceError::Mapping(_) => ErrorCode::InvalidMapping,
            ServiceError::File { .. } => ErrorCode::File,
            ServiceError::Store(s) => store_code(s),
        };
        let mut out = CommandError::new(code, e.to_string());
        if let ServiceError::Store(s) = &e {
            // A PostgreSQL serialization failure or deadlock resolves when run again.
            out.retry |= s.is_retryable();
        }
        out
    }
}

fn store_code(e: &StoreError) -> ErrorCode {
    if e.is_busy() {
        ErrorCode::Busy
    } else if e.is_unavailable() {
        ErrorCode::Unavailable
    } else if matches!(e, StoreError::Corrupt(_)) {
        ErrorCode::Corrupt
    } else {
        ErrorCode::Store
    }
}

/// The settings as the window shows them: the stored ones, and this window's own listener and
/// tunnel.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct ShellSettings {
    #[serde(flatten)]
    pub settings: settings::Settings,
    /// Where this window's listener is bound now (`None`: not running, see `listen_error`).
    pub listening_on: Option<String>,
    pub listen_error: Option<String>,
    /// The tunnel this window runs (`settings.tunnel` may be another process's).
    pub window_tunnel: Option<TunnelState>,
}

/// An export written where the save dialog said.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct ExportDone {
    pub path: String,
    pub rows: u64,
}

/// The TypeScript shape of `ingest::LoggedSummary` (the request log's `summary`), which ts-rs
/// cannot derive (an optional struct flattened into it). `ipc_types` checks both against the same
/// stored JSON, so the two cannot drift apart unnoticed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct LoggedCounts {
    pub rows: u64,
    pub created: u64,
    pub updated: u64,
    pub deleted: u64,
    pub skipped: u64,
    pub duplicates: u64,
    pub errors: u64,
    /// Schema drift this request showed, one sentence per kind and field.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub drift: Option<Vec<String>>,
    /// A Standard Webhooks redelivery: the request that wrote the message first.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub redelivery_of: Option<String>,
}

/// Why a logged request was not written, as the log keeps it: the `error` of the webhook's
/// answer, one type for both.
pub use crate::ingest::Problem as LoggedError;

#[cfg(test)]
mod tests {
    use super::*;

    /// `LoggedCounts` is the declared TypeScript shape of `LoggedSummary`: what the host stores
    /// must read as it, field for field, and back.
    #[test]
    fn the_declared_counts_read_what_the_log_stores() {
        use crate::ingest::{LoggedSummary, RowCounts};
        let stored = LoggedSummary {
            counts: Some(RowCounts {
                rows: 7,
                created: 1,
                updated: 2,
                deleted: 1,
                skipped: 1,
                duplicates: 1,
            }),
            errors: Some(1),
            drift: vec!["a new field".into()],
            redelivery_of: None,
        };
        let json = serde_json::to_value(&stored).unwrap();
        let read: LoggedCounts = serde_json::from_value(json.clone()).unwrap();
        assert_eq!(serde_json::to_value(&read).unwrap(), json);
        assert_eq!((read.rows, read.errors), (7, 1));
    }

    fn sqlite_failure(code: std::ffi::c_int) -> ServiceError {
        ServiceError::Store(StoreError::Sqlite(rusqlite::Error::SqliteFailure(
            rusqlite::ffi::Error::new(code),
            None,
        )))
    }

    #[test]
    fn a_busy_database_is_said_so_and_may_be_retried() {
        let e = CommandError::from(sqlite_failure(rusqlite::ffi::SQLITE_BUSY));
        assert_eq!((e.code, e.retry), (ErrorCode::Busy, true), "{e:?}");
    }

    #[test]
    fn refused_input_and_broken_data_are_not_worth_retrying() {
        let cases = [
            (ServiceError::not_found_connection("x"), ErrorCode::NotFound),
            (ServiceError::Invalid("no".into()), ErrorCode::Invalid),
            (
                ServiceError::Store(StoreError::Corrupt("bad json".into())),
                ErrorCode::Corrupt,
            ),
            (
                sqlite_failure(rusqlite::ffi::SQLITE_IOERR),
                ErrorCode::Store,
            ),
        ];
        for (e, code) in cases {
            let message = e.to_string();
            let c = CommandError::from(e);
            assert_eq!(
                c,
                CommandError {
                    code,
                    message,
                    retry: false
                }
            );
        }
    }

    #[test]
    fn it_crosses_the_ipc_as_code_message_and_retry() {
        let e = CommandError::new(ErrorCode::InvalidMapping, "the mapping is refused: x");
        assert_eq!(
            serde_json::to_value(&e).unwrap(),
            serde_json::json!({"code": "invalid_mapping", "message": "the mapping is refused: x", "retry": false})
        );
    }
}
