//! The request log (DESIGN §2, §9 Requests): newest first, and one request in full.

use super::connections::load;
use super::{Result, ServiceError, Services};
use crate::store::queries::requests::{self, RequestRow};
use serde::{Deserialize, Serialize};
use serde_json::Value;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RequestSummary {
    pub id: String,
    pub connection_id: String,
    pub received_at: String,
    pub method: String,
    pub content_type: Option<String>,
    pub status: u16,
    /// Body size in bytes.
    pub size: usize,
    /// `{"rows", "created", "updated", "deleted", "skipped", "duplicates", "errors"}` when planned.
    pub summary: Option<Value>,
    /// `{"code", "detail"}` when not written.
    pub error: Option<Value>,
    pub replay_of: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RequestDetail {
    #[serde(flatten)]
    pub request: RequestSummary,
    /// Header name → value; Authorization is redacted.
    pub headers: Value,
    pub query: Option<String>,
    /// The raw body as text (invalid UTF-8 replaced; see `body_is_utf8`).
    pub body: String,
    pub body_is_utf8: bool,
    /// Per row: `{"index", "action", "reason"?, "error"?, "path"?, "warnings"?, "record_id"?}`.
    pub outcomes: Option<Value>,
}

pub const DEFAULT_LIMIT: usize = 50;

fn summary(r: &RequestRow, size: usize) -> RequestSummary {
    RequestSummary {
        id: r.id.clone(),
        connection_id: r.connection_id.clone(),
        received_at: r.received_at.clone(),
        method: r.method.clone(),
        content_type: r.content_type.clone(),
        status: r.status,
        size,
        summary: r.summary.clone(),
        error: r.error.clone(),
        replay_of: r.replay_of.clone(),
    }
}

pub fn list(
    s: &Services,
    connection_id: &str,
    limit: Option<usize>,
) -> Result<Vec<RequestSummary>> {
    s.store().read(|tx| {
        let conn = load(tx, connection_id)?;
        let rows = requests::list(tx, &conn.id, limit.unwrap_or(DEFAULT_LIMIT))?;
        Ok(rows.iter().map(|(r, size)| summary(r, *size)).collect())
    })
}

pub fn show(s: &Services, request_id: &str) -> Result<RequestDetail> {
    s.store().read(|tx| {
        let r = requests::get(tx, request_id.trim())?
            .ok_or_else(|| ServiceError::NotFound(format!("no request {request_id:?}")))?;
        let text = std::str::from_utf8(&r.body);
        Ok(RequestDetail {
            request: summary(&r, r.body.len()),
            headers: r.headers.clone(),
            query: r.query.clone(),
            body_is_utf8: text.is_ok(),
            body: String::from_utf8_lossy(&r.body).into_owned(),
            outcomes: r.outcomes.clone(),
        })
    })
}
