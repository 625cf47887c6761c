//! Connections and their compiled mappings, kept in memory by the listener so that a request does
//! not read and compile them again. Every change to a connection or a mapping, from any process,
//! bumps `config_version` in the store (a trigger); each request reads that one integer, and a
//! different value drops the whole cache, so a change takes effect on the very next request
//! (docs/design.md §6).

use crate::ingest::runnable;
use crate::signature::Verifier;
use crate::store::queries::trust::TrustRow;
use crate::store::queries::{
    config_version, connections, connections::ConnectionRow, mappings, trust,
};
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
    /// The signature the connection requires (docs/design.md §12), if any.
    pub verifier: Option<Verifier>,
    /// On schema drift, answer 422 instead of warning (docs/design.md §13).
    pub refuse_drift: bool,
    /// The drift state, read on the first request that needs it.
    pub drift: crate::ingest::DriftCache,
}

/// The connection's signature check; settings that cannot verify refuse every request rather
/// than let them through unchecked (they are validated when saved, so this means a damaged row).
fn verifier(t: &TrustRow) -> Result<Option<Verifier>, StoreError> {
    let Some(scheme) = crate::signature::Scheme::parse(&t.verify) else {
        return Ok(None);
    };
    let encoding = crate::signature::Encoding::parse(&t.signature_encoding).unwrap_or_default();
    Verifier::new(
        scheme,
        t.signing_secret.as_deref().unwrap_or(""),
        t.signature_header.as_deref(),
        encoding,
        t.signature_prefix.as_deref(),
    )
    .map(Some)
    .map_err(|e| StoreError::Corrupt(format!("signature settings of {}: {e}", t.connection_id)))
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
            let trust = trust::get(tx, &conn.id)?;
            Ok((version, Some((conn, mapping, trust))))
        })?;
        let (version, Some((conn, mapping, trust))) = found else {
            return Ok(None);
        };
        let runnable = runnable(&conn, mapping.as_ref());
        let (verifier, refuse_drift) = match &trust {
            Some(t) => (verifier(t)?, t.on_drift == "refuse"),
            None => (None, false),
        };
        let entry = Arc::new(Entry {
            conn,
            runnable,
            verifier,
            refuse_drift,
            drift: Default::default(),
        });
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
