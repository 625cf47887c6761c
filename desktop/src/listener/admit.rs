//! The one guard chain every hook request passes, in DESIGN §6's order: connection (404) →
//! Authorization (401, compared in constant time) → signature (401: its headers and timestamp
//! first, then the MAC over the raw bytes once they are read) → size (413) → content type (415).
//! It reads the body as raw bytes only after the connection and the secret are known to be right,
//! and nothing is parsed before the signature matches.

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

/// What passed the guards.
pub enum Admitted {
    /// HEAD or GET on an existing connection: answer that it exists, nothing else.
    Probe,
    Post {
        entry: Arc<Entry>,
        body: Bytes,
        content_type: Option<String>,
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
            eprintln!("inlet: reading connection {id} failed: {e}");
            Err(IngestError::StoreUnavailable)
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

async fn read_body(headers: &HeaderMap, body: Body, limit: usize) -> Result<Bytes, IngestError> {
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok());
    if declared.is_some_and(|n| n > limit as u64) {
        return Err(IngestError::BodyTooLarge { limit });
    }
    match Limited::new(body, limit).collect().await {
        Ok(collected) => Ok(collected.to_bytes()),
        Err(e) if e.downcast_ref::<LengthLimitError>().is_some() => {
            Err(IngestError::BodyTooLarge { limit })
        }
        Err(e) => Err(IngestError::BodyUnreadable(e.to_string())),
    }
}

pub async fn admit(
    services: &Arc<Services>,
    cache: &Arc<ConfigCache>,
    id: &str,
    method: &Method,
    headers: &HeaderMap,
    body: Body,
    body_limit: usize,
) -> Result<Admitted, IngestError> {
    let entry = if services.store().is_postgres() {
        // The PostgreSQL client blocks: never on a runtime worker.
        let (s, c, id) = (services.clone(), cache.clone(), id.to_string());
        tokio::task::spawn_blocking(move || lookup(&s, &c, &id))
            .await
            .unwrap_or(Err(IngestError::Internal))?
    } else {
        lookup(services, cache, id)?
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
    let body = read_body(headers, body, body_limit).await?;
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
        webhook_id,
    })
}
