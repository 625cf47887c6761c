//! Diagnostics: `tracing` events written as lines on standard error, chosen by `INLET_LOG` (or
//! `RUST_LOG`) in `RUST_LOG`'s syntax (docs/cli.md). What a command prints as its result is not
//! logging and does not go through here.
//!
//! What is never logged, at any level: Authorization values, signing secrets, request bodies and
//! headers. A request is logged by its connection, its request id, its status, its row count and
//! the time it took; an error by its cause.

use tracing_subscriber::EnvFilter;

/// The variable that chooses what is logged; `RUST_LOG` is read when it is not set.
pub const ENV: &str = "INLET_LOG";

/// Warnings and errors only: a receiver taking thousands of requests a second writes no line per
/// request unless asked to (the request log in the store has every request anyway).
pub const DEFAULT_FILTER: &str = "warn";

/// Installs the process's subscriber. Called once by the binary; a second call does nothing.
pub fn init() {
    let spec = std::env::var(ENV)
        .or_else(|_| std::env::var("RUST_LOG"))
        .unwrap_or_default();
    let spec = if spec.trim().is_empty() {
        DEFAULT_FILTER.to_string()
    } else {
        spec
    };
    let filter = EnvFilter::try_new(&spec).unwrap_or_else(|e| {
        eprintln!("inlet: {ENV}={spec:?} is not a log filter ({e}); logging warnings and errors");
        EnvFilter::new(DEFAULT_FILTER)
    });
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .try_init();
}
