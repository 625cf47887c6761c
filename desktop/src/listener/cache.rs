//! Connections and their compiled mappings, kept in memory by the listener so that a request does
//! not read and compile them again. Every change to a connection or a mapping, from any process,
//! bumps `config_version` in the store (a trigger); each request reads that one integer, and a
//! different value drops the whole cache, so a change takes effect on the very next request
//! (DESIGN §6).

use crate::ingest::runnable;
use crate::store::queries::{config_version, connections, connections::ConnectionRow, mappings};
use crate::store::{Store, StoreError};
use inlet_core::Compiled;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// One connection as the listener runs it.
#[derive(Debug)]
pub struct Entry {
    pub conn: ConnectionRow,
    /// The compiled mapping, or why the connection writes nothing (disabled, no mapping, a mapping
    /// that cannot run).
    pub runnable: Result<Arc<Compiled>, String>,
}

#[derive(Default)]
struct Inner {
    version: i64,
    entries: HashMap<String, Arc<Entry>>,
}

#[derive(Default)]
pub struct ConfigCache {
    inner: Mutex<Inner>,
}

/// Connections kept at most; past this the cache starts over (ids that do not exist are not kept).
const MAX_ENTRIES: usize = 4096;

impl ConfigCache {
    /// The connection `id` as of now, or None when there is none.
    pub fn get(&self, store: &Store, id: &str) -> Result<Option<Arc<Entry>>, StoreError> {
        let version = store.config_version()?;
        if let Ok(mut inner) = self.inner.lock() {
            if inner.version != version {
                inner.entries.clear();
                inner.version = version;
            } else if let Some(e) = inner.entries.get(id) {
                return Ok(Some(e.clone()));
            }
        }
        let found = store.read(|tx| {
            let version = config_version::get(tx)?;
            let Some(conn) = connections::get(tx, id)? else {
                return Ok::<_, StoreError>((version, None));
            };
            let mapping = mappings::get(tx, &conn.id)?;
            Ok((version, Some((conn, mapping))))
        })?;
        let (version, Some((conn, mapping))) = found else {
            return Ok(None);
        };
        let runnable = runnable(&conn, mapping.as_ref());
        let entry = Arc::new(Entry { conn, runnable });
        if let Ok(mut inner) = self.inner.lock() {
            // Keep it only if it is as new as what the cache holds; an older read is still this
            // request's answer (it is at least as new as the version this request started with).
            if version > inner.version || inner.entries.len() >= MAX_ENTRIES {
                inner.entries.clear();
                inner.version = inner.version.max(version);
            }
            if version == inner.version {
                inner.entries.insert(id.to_string(), entry.clone());
            }
        }
        Ok(Some(entry))
    }
}
