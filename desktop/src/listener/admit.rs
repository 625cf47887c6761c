//! The one guard chain every hook request passes, in docs/design.md §6's order: connection (404) →
//! Authorization (401, compared in constant time) → signature (401: its headers and timestamp
//! first, then the MAC over the raw bytes once they are read) → size (413) → content type (415).
//! It reads the body as raw bytes only after the connection and the secret are known to be right,
//! and only once it fits under the bytes-in-flight budget; nothing is parsed before the signature
//! matches.

use super::cache::{ConfigCache, Entry};
use crate::ids::ConnectionId;
use crate::ingest::IngestError;
use crate::secret::constant_time_eq;
use crate::service::Services;
use crate::store::queries::connections::ConnectionRow;
use axum::body::{Body, Bytes};
use axum::http::{header, HeaderMap, Method};
use http_body_util::{BodyExt, LengthLimitError, Limited};
use inlet_core::payload::content_kind;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// Body bytes in flight, counted in KiB (a semaphore's permits are `u32`-sized): a request holds
/// its share from before its body is read until it is answered, so that parsed rows, plans and
/// queued writes are bounded along with the bytes.
pub struct BodyBudget {
    kib: Arc<Semaphore>,
    total_kib: u32,
    wait: Duration,
}

fn kib(bytes: usize) -> u32 {
    bytes.div_ceil(1024).clamp(1, u32::MAX as usize) as u32
}

impl BodyBudget {
    pub fn new(bytes: usize, wait: Duration) -> BodyBudget {
        let total_kib = kib(bytes).min(Semaphore::MAX_PERMITS as u32);
        BodyBudget {
            kib: Arc::new(Semaphore::new(total_kib as usize)),
            total_kib,
            wait,
        }
    }

    /// Room for `bytes`, waiting up to the budget's wait; `None` when there is none by then.
    async fn reserve(&self, bytes: usize) -> Option<OwnedSemaphorePermit> {
        let n = kib(bytes).min(self.total_kib);
        tokio::time::timeout(self.wait, self.kib.clone().acquire_many_owned(n))
            .await
            .ok()?
            .ok()
    }
}

/// What passed the guards.
pub enum Admitted {
    /// HEAD or GET on an existing connection: answer that it exists, nothing else.
    Probe,
    Post {
        entry: Arc<Entry>,
        body: Bytes,
        content_type: Option<String>,
        /// Held until the request is answered.
        budget: OwnedSemaphorePermit,
        /// The Standard Webhooks message id of a verified request.
        webhook_id: Option<String>,
    },
}

fn lookup(services: &Services, cache: &ConfigCache, id: &str) -> Result<Arc<Entry>, IngestError> {
    let Some(cid) = ConnectionId::parse(id) else {
        return Err(IngestError::NotFound);
    };
    match cache.get(services.store(), cid.as_str()) {
        Ok(Some(e)) => Ok(e),
        Ok(None) => Err(IngestError::NotFound),
        Err(e) => {
            tracing::error!(connection = %cid, cause = %e, "reading the connection failed");
            Err(IngestError::from_store(&e))
        }
    }
}

fn authorized(conn: &ConnectionRow, headers: &HeaderMap) -> bool {
    if !conn.enforce_auth {
        return true;
    }
    match headers.get(header::AUTHORIZATION) {
        Some(v) => constant_time_eq(v.as_bytes(), conn.authorization.as_bytes()),
        None => false,
    }
}

fn declared_length(headers: &HeaderMap) -> Option<u64> {
    headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok())
}

async fn read_body(body: Body, limit: usize, timeout: Duration) -> Result<Bytes, IngestError> {
    match tokio::time::timeout(timeout, Limited::new(body, limit).collect()).await {
        Err(_) => Err(IngestError::BodyTimeout {
            secs: timeout.as_secs(),
        }),
        Ok(Ok(collected)) => Ok(collected.to_bytes()),
        Ok(Err(e)) if e.downcast_ref::<LengthLimitError>().is_some() => {
            Err(IngestError::BodyTooLarge { limit })
        }
        Ok(Err(e)) => Err(IngestError::BodyUnreadable(e.to_string())),
    }
}

/// Reads and drops a body that will not be used, a frame at a time, so that the sender, still
/// writing it, reads the answer rather than a reset connection.
async fn discard_body(mut body: Body, limit: usize, timeout: Duration) {
    let _ = tokio::time::timeout(timeout, async {
        let mut seen = 0usize;
        while let Some(Ok(frame)) = body.frame().await {
            seen += frame.data_ref().map_or(0, |d| d.len());
            if seen > limit {
                break;
            }
        }
    })
    .await;
}

/// Everything `admit` needs besides the request.
pub struct Gate<'a> {
    pub services: &'a Arc<Services>,
    pub cache: &'a Arc<ConfigCache>,
    pub budget: &'a BodyBudget,
    pub body_limit: usize,
    pub body_timeout: Duration,
}

pub async fn admit(
    gate: Gate<'_>,
    id: &str,
    method: &Method,
    headers: &HeaderMap,
    body: Body,
) -> Result<Admitted, IngestError> {
    let entry = if gate.services.store().is_postgres() {
        // The PostgreSQL client blocks: never on a runtime worker.
        let (s, c, id) = (gate.services.clone(), gate.cache.clone(), id.to_string());
        tokio::task::spawn_blocking(move || lookup(&s, &c, &id))
            .await
            .unwrap_or(Err(IngestError::Internal))?
    } else {
        lookup(gate.services, gate.cache, id)?
    };
    if method == Method::HEAD || method == Method::GET {
        return Ok(Admitted::Probe);
    }
    if method != Method::POST {
        return Err(IngestError::MethodNotAllowed);
    }
    if !authorized(&entry.conn, headers) {
        return Err(IngestError::Unauthorized);
    }
    let now = chrono::Utc::now().timestamp();
    // Missing headers and a stale timestamp are refused before the body is read at all.
    if let Some(v) = &entry.verifier {
        v.check_headers(headers, now)?;
    }
    let limit = gate.body_limit;
    let declared = declared_length(headers);
    if declared.is_some_and(|n| n > limit as u64) {
        return Err(IngestError::BodyTooLarge { limit });
    }
    // Without a Content-Length the body may be as large as the limit: reserve that much, and give
    // back what it did not use once it has been read.
    let reserved = declared.map_or(limit, |n| n as usize);
    let Some(mut budget) = gate.budget.reserve(reserved).await else {
        discard_body(body, limit, gate.body_timeout).await;
        return Err(IngestError::Overloaded);
    };
    let body = read_body(body, limit, gate.body_timeout).await?;
    let unused = budget
        .num_permits()
        .saturating_sub(kib(body.len()) as usize);
    if unused > 0 {
        drop(budget.split(unused));
    }
    let webhook_id = match &entry.verifier {
        Some(v) => v.verify(headers, &body, now)?.webhook_id,
        None => None,
    };
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned());
    content_kind(content_type.as_deref())?;
    Ok(Admitted::Post {
        entry,
        body,
        content_type,
        budget,
        webhook_id,
    })
}
