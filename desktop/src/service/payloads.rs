//! The latest payload of a connection: the newest logged request with a body (docs/design.md §2).

use super::connections::load;
use super::{Result, Services};
use crate::store::queries::requests;
use inlet_core::payload::{content_kind, parse_body};
use serde::{Deserialize, Serialize};
use serde_json::Value;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct PayloadView {
    pub request_id: String,
    pub received_at: String,
    pub content_type: Option<String>,
    pub status: u16,
    /// The body's length in bytes, as received.
    pub size: usize,
    /// The body as text (invalid UTF-8 replaced).
    pub body: String,
    /// The body read as JSON (a form becomes one object), when it could be read.
    #[cfg_attr(feature = "ts", ts(type = "unknown"))]
    pub json: Option<Value>,
    /// Why it could not be read, or why it was not written.
    pub error: Option<crate::ingest::Problem>,
}

pub fn latest(s: &Services, connection_id: &str) -> Result<Option<PayloadView>> {
    s.store().read(|tx| {
        let conn = load(tx, connection_id)?;
        let Some(r) = requests::latest_payload(tx, &conn.id)? else {
            return Ok(None);
        };
        let json = content_kind(r.content_type.as_deref())
            .and_then(|k| parse_body(&r.body, k))
            .ok()
            .flatten();
        Ok(Some(PayloadView {
            request_id: r.id,
            received_at: r.received_at,
            content_type: r.content_type,
            status: r.status,
            size: r.body.len(),
            body: String::from_utf8_lossy(&r.body).into_owned(),
            json,
            error: r
                .error
                .as_ref()
                .and_then(crate::ingest::Problem::from_stored),
        }))
    })
}
