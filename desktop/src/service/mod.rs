//! The functions the CLI and the desktop shell's commands call. Inputs and outputs are serde
//! structs (they cross the Tauri IPC as JSON). A `ServiceError` reaches the window as a typed
//! `ipc::CommandError` (its kind, its message, whether a retry may help); the CLI prints it.
//!
//! Every function takes `&Services` and is synchronous (SQLite, or PostgreSQL's blocking client);
//! an async caller runs it on a blocking thread.

pub mod connections;
pub mod export;
pub mod mappings;
pub mod payloads;
pub mod preview;
pub mod records;
pub mod replay;
pub mod requests;
pub mod settings;
pub mod trust;

use crate::ingest::Activity;
use crate::store::{Store, StoreError};
use inlet_core::MappingError;
use serde::{Serialize, Serializer};
use std::path::Path;
use tokio::sync::broadcast;

/// The open store and the activity feed: everything the service functions and the listener share.
pub struct Services {
    store: Store,
    activity: broadcast::Sender<Activity>,
}

impl std::fmt::Debug for Services {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Services")
            .field("store", &self.store)
            .finish()
    }
}

impl Services {
    /// Opens (creating and migrating if needed) the database file.
    pub fn open(path: &Path) -> Result<Services, ServiceError> {
        Ok(Services::with_store(Store::open(path)?))
    }

    pub fn with_store(store: Store) -> Services {
        let (activity, _) = broadcast::channel(1024);
        Services { store, activity }
    }

    pub fn store(&self) -> &Store {
        &self.store
    }

    pub fn db_path(&self) -> &Path {
        self.store.path()
    }

    /// Every request logged by this process's listener or replays, after it is committed.
    pub fn subscribe(&self) -> broadcast::Receiver<Activity> {
        self.activity.subscribe()
    }

    pub(crate) fn publish(&self, a: Activity) {
        let _ = self.activity.send(a);
    }

    pub fn activity_sender(&self) -> broadcast::Sender<Activity> {
        self.activity.clone()
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    Invalid(String),
    #[error("the mapping is refused: {0}")]
    Mapping(#[from] MappingError),
    #[error("cannot read {path}: {message}")]
    File { path: String, message: String },
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl ServiceError {
    pub fn not_found_connection(id: &str) -> ServiceError {
        ServiceError::NotFound(format!("no connection {id:?}"))
    }
}

impl Serialize for ServiceError {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_string())
    }
}

pub type Result<T, E = ServiceError> = std::result::Result<T, E>;

#[cfg(test)]
pub(crate) mod testing {
    use super::Services;
    use std::path::PathBuf;

    /// Services on a fresh database file, removed when dropped.
    pub struct TempServices {
        pub services: Services,
        pub dir: PathBuf,
    }

    impl std::ops::Deref for TempServices {
        type Target = Services;
        fn deref(&self) -> &Services {
            &self.services
        }
    }

    impl Drop for TempServices {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.dir);
        }
    }

    /// A fresh accounts connection named "a" (upsert, disabled, no mapping).
    pub fn accounts_connection(s: &Services) -> super::connections::ConnectionView {
        let input = super::connections::NewConnection {
            name: "a".into(),
            kind: inlet_core::Kind::Accounts,
            behavior: None,
        };
        super::connections::create(s, input).unwrap()
    }

    /// Saves the accounts-by-ID mapping on connection `id` and turns it on.
    pub fn map_accounts_by_id(s: &Services, id: &str) {
        let document = serde_json::json!({"version": 1, "kind": "accounts", "match": {"id": "id"}});
        super::mappings::set(
            s,
            id,
            super::mappings::SetMapping {
                document,
                no_enable: false,
            },
        )
        .unwrap();
    }

    pub fn temp_services() -> TempServices {
        let dir = std::env::temp_dir().join(format!("inlet-svc-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&dir).unwrap();
        TempServices {
            services: Services::open(&dir.join("inlet.db")).unwrap(),
            dir,
        }
    }
}
