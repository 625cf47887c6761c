//! Inlet's host: the store (a SQLite file or PostgreSQL), the webhook listener, the service layer
//! shared by the CLI and the desktop shell. Data flows one way: HTTP body → `listener` (admit) → `ingest` → `inlet_core`
//! (plan) → `store` (apply), answered after commit.

#[cfg(feature = "gui")]
pub mod gui;
pub mod ids;
pub mod ingest;
pub mod ipc;
pub mod listener;
pub mod log;
pub mod paths;
pub mod secret;
pub mod service;
pub mod signature;
pub mod store;
pub mod tunnel;

pub use service::{ServiceError, Services};
