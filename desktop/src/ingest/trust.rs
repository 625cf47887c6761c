//! The write-time halves of the signature and drift checks (docs/design.md §12–13), run by `process`
//! inside the request's transaction: a Standard Webhooks redelivery is found (and a new delivery
//! kept) in the same transaction as the rows, and the drift state moves with the request.

use super::Guard;
use crate::signature::TOLERANCE_SECS;
use crate::store::queries::drift as q;
use crate::store::{StoreError, Tx};
use inlet_core::drift::{compare, Drift, DriftState, Shape};
use std::sync::{Arc, Mutex};

/// A connection's drift state as the listener last read or wrote it, kept with the connection's
/// cached configuration: a request in steady use then costs no read and no write. It is dropped
/// with the configuration (a new mapping, an acknowledgement and any connection change bump the
/// config version), and only the single writer thread uses it.
pub type DriftCache = Arc<Mutex<Option<DriftState>>>;

/// Deliveries are kept this long: past twice the tolerance a signed request cannot come back.
const KEEP_DELIVERIES_SECS: i64 = 3 * TOLERANCE_SECS;

fn ago(secs: i64) -> String {
    (chrono::Utc::now() - chrono::Duration::seconds(secs))
        .to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

/// The request that already wrote this message id, within the tolerance.
pub fn written_delivery(
    c: Tx,
    connection_id: &str,
    webhook_id: &str,
) -> Result<Option<String>, StoreError> {
    q::delivery(c, connection_id, webhook_id, &ago(2 * TOLERANCE_SECS))
}

pub fn put_delivery(
    c: Tx,
    connection_id: &str,
    webhook_id: &str,
    request_id: &str,
    at: &str,
) -> Result<(), StoreError> {
    q::prune_deliveries(c, &ago(KEEP_DELIVERIES_SECS))?;
    q::put_delivery(c, connection_id, webhook_id, request_id, at)
}

/// One request's drift check: compared when it starts (so that `refuse` can answer before
/// planning), learned from and recorded when it finishes.
pub struct DriftCheck<'g> {
    connection_id: String,
    at: String,
    state: DriftState,
    /// Where `state` came from and goes back to when the check ends.
    cache: Option<&'g DriftCache>,
    shape: &'g Shape,
    found: Vec<Drift>,
    pub refuse: bool,
}

impl Drop for DriftCheck<'_> {
    fn drop(&mut self) {
        if let Some(cache) = self.cache {
            if let Ok(mut c) = cache.lock() {
                *c = Some(std::mem::take(&mut self.state));
            }
        }
    }
}

impl<'g> DriftCheck<'g> {
    pub fn start(
        c: Tx,
        connection_id: &str,
        at: &str,
        guard: Option<&'g Guard>,
    ) -> Result<Option<DriftCheck<'g>>, StoreError> {
        let Some(g) = guard.filter(|g| g.check_drift) else {
            return Ok(None);
        };
        let Some(shape) = g.shape.as_ref().filter(|s| s.rows > 0) else {
            return Ok(None);
        };
        let cache = g.drift_cache.as_ref();
        let cached = cache.and_then(|c| c.lock().ok().and_then(|mut s| s.take()));
        let state = match cached {
            Some(s) => s,
            None => q::state(c, connection_id)?,
        };
        let found = compare(&state.baseline, shape);
        Ok(Some(DriftCheck {
            connection_id: connection_id.to_string(),
            at: at.to_string(),
            state,
            cache,
            shape,
            found,
            refuse: g.refuse_drift,
        }))
    }

    pub fn found(&self) -> bool {
        !self.found.is_empty()
    }

    pub fn drift(&self) -> &[Drift] {
        &self.found
    }

    pub fn messages(&self) -> Vec<&str> {
        self.found.iter().map(|d| d.message.as_str()).collect()
    }

    /// Learns from the request (`accepted`: its rows are written) and records its drift.
    pub fn finish(
        &mut self,
        c: Tx,
        request_id: &str,
        accepted: bool,
    ) -> Result<&[Drift], StoreError> {
        let observed = self.state.observe(self.shape, accepted);
        if observed.changed {
            q::put_state(c, &self.connection_id, &self.state, &self.at)?;
        }
        for d in &observed.drift {
            q::record(c, &self.connection_id, d, request_id, &self.at)?;
        }
        self.found = observed.drift;
        Ok(&self.found)
    }
}
