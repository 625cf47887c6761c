//! Every answer the webhook gives, in one place: the HTTP status, the stable `error.code`, the
//! `detail` a sender can act on, and the JSON body (docs/design.md §6). Store internals never reach a body:
//! a store failure says "unavailable" and the details go to the log.

use crate::signature::SignatureError;
use crate::store::{Fault, StoreError};
use inlet_core::drift::Drift;
use inlet_core::{PayloadError, Plan};
use serde::Serialize;
use serde_json::{json, Value};

/// Seconds a sender should wait after a 429 or 503.
pub const RETRY_AFTER_SECS: u64 = 1;

/// A request that is not written, and why.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum IngestError {
    #[error("no connection with this id")]
    NotFound,
    #[error("this endpoint accepts POST (and HEAD or GET to test the connection)")]
    MethodNotAllowed,
    #[error("the Authorization header is missing or wrong")]
    Unauthorized,
    #[error(transparent)]
    Signature(#[from] SignatureError),
    #[error("the body is larger than {limit} bytes")]
    BodyTooLarge { limit: usize },
    #[error("the body could not be read: {0}")]
    BodyUnreadable(String),
    #[error("the body did not arrive within {secs} seconds")]
    BodyTimeout { secs: u64 },
    #[error(transparent)]
    Payload(#[from] PayloadError),
    #[error("the rows' shape changed since the mapping was saved ({}); nothing was written: fix the sender, or acknowledge the new shape in Inlet", drift_summary(.0))]
    Drift(Vec<Drift>),
    #[error("{count} of the rows have errors; nothing was written")]
    RowErrors { count: usize, rows: Vec<RowError> },
    #[error("too many requests are waiting to be written; retry later")]
    Overloaded,
    #[error("the store is unavailable; retry later")]
    StoreUnavailable,
    #[error("something went wrong inside Inlet; the request was not written")]
    Internal,
}

fn drift_summary(d: &[Drift]) -> String {
    d.iter()
        .map(|d| d.message.as_str())
        .collect::<Vec<_>>()
        .join("; ")
}

/// One row's error as a 422 lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RowError {
    pub index: usize,
    pub error: String,
    pub path: Option<String>,
}

impl IngestError {
    /// The answer to a request the store failed: 503 when it may succeed later, 500 when not.
    /// Neither says anything of the store's own message, which goes to the log.
    pub fn from_store(e: &StoreError) -> IngestError {
        match e.fault() {
            Fault::Unavailable => IngestError::StoreUnavailable,
            Fault::Internal => IngestError::Internal,
        }
    }

    pub fn status(&self) -> u16 {
        match self {
            IngestError::NotFound => 404,
            IngestError::MethodNotAllowed => 405,
            IngestError::Unauthorized => 401,
            IngestError::Signature(_) => 401,
            IngestError::Drift(_) => 422,
            IngestError::BodyTooLarge { .. } => 413,
            IngestError::BodyUnreadable(_) => 400,
            IngestError::BodyTimeout { .. } => 408,
            IngestError::Payload(e) => e.status(),
            IngestError::RowErrors { .. } => 422,
            IngestError::Overloaded => 429,
            IngestError::StoreUnavailable => 503,
            IngestError::Internal => 500,
        }
    }

    pub fn code(&self) -> &'static str {
        match self {
            IngestError::NotFound => "not_found",
            IngestError::MethodNotAllowed => "method_not_allowed",
            IngestError::Unauthorized => "unauthorized",
            IngestError::Signature(e) => e.code(),
            IngestError::Drift(_) => "schema_drift",
            IngestError::BodyTooLarge { .. } => "body_too_large",
            IngestError::BodyUnreadable(_) => "body_unreadable",
            IngestError::BodyTimeout { .. } => "body_timeout",
            IngestError::Payload(e) => e.code(),
            IngestError::RowErrors { .. } => "row_errors",
            IngestError::Overloaded => "overloaded",
            IngestError::StoreUnavailable => "store_unavailable",
            IngestError::Internal => "internal",
        }
    }

    pub fn retry_after(&self) -> Option<u64> {
        matches!(
            self,
            IngestError::Overloaded | IngestError::StoreUnavailable
        )
        .then_some(RETRY_AFTER_SECS)
    }

    /// `{"code", "detail"}`, as logged and answered.
    pub fn problem(&self) -> Value {
        json!({"code": self.code(), "detail": self.to_string()})
    }

    pub fn rows(&self) -> &[RowError] {
        match self {
            IngestError::RowErrors { rows, .. } => rows,
            _ => &[],
        }
    }

    pub fn answer(&self, request_id: &str) -> Answer {
        let mut body = json!({"ok": false, "request_id": request_id, "error": self.problem(), "rows": self.rows()});
        if let IngestError::Drift(d) = self {
            body["drift"] = json!(d);
        }
        Answer {
            status: self.status(),
            body,
            retry_after: self.retry_after(),
        }
    }

    /// The row errors of a plan (every one of them).
    pub fn from_plan(plan: &Plan) -> IngestError {
        let rows: Vec<RowError> = plan
            .rows
            .iter()
            .filter_map(|r| match &r.outcome {
                inlet_core::Outcome::Error { error, path } => Some(RowError {
                    index: r.index,
                    error: error.clone(),
                    path: path.clone(),
                }),
                _ => None,
            })
            .collect();
        IngestError::RowErrors {
            count: rows.len(),
            rows,
        }
    }
}

/// What the webhook answers: status, JSON body, and `Retry-After` seconds when it asks to retry.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Answer {
    pub status: u16,
    pub body: Value,
    pub retry_after: Option<u64>,
}

impl Answer {
    pub fn written(request_id: &str, plan: &Plan) -> Answer {
        let s = plan.summary;
        Answer {
            status: 200,
            body: json!({
                "ok": true, "request_id": request_id, "rows": s.rows, "created": s.create, "updated": s.update,
                "deleted": s.delete, "skipped": s.skip, "duplicates": s.duplicate,
            }),
            retry_after: None,
        }
    }

    pub fn connection_test(request_id: &str) -> Answer {
        Answer {
            status: 200,
            body: json!({
                "ok": true, "request_id": request_id, "connection_test": true, "rows": 0, "created": 0, "updated": 0,
                "deleted": 0, "skipped": 0, "duplicates": 0,
            }),
            retry_after: None,
        }
    }

    pub fn not_written(request_id: &str, reason: &str) -> Answer {
        Answer {
            status: 202,
            body: json!({"ok": true, "request_id": request_id, "written": false, "reason": reason}),
            retry_after: None,
        }
    }

    /// A Standard Webhooks message written before: answered as accepted, nothing written again.
    pub fn redelivered(request_id: &str, original: &str) -> Answer {
        Answer {
            status: 200,
            body: json!({
                "ok": true, "request_id": request_id, "redelivery_of": original, "rows": 0, "created": 0,
                "updated": 0, "deleted": 0, "skipped": 0, "duplicates": 0,
            }),
            retry_after: None,
        }
    }

    /// HEAD and GET on an existing connection: nothing but that it exists.
    pub fn exists() -> Answer {
        Answer {
            status: 200,
            body: json!({"ok": true}),
            retry_after: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_error_body_has_ok_false_a_code_a_detail_and_rows() {
        let errors = [
            IngestError::NotFound,
            IngestError::Unauthorized,
            IngestError::BodyTooLarge { limit: 10 },
            IngestError::Payload(PayloadError::UnsupportedContentType("text/csv".into())),
            IngestError::Payload(PayloadError::InvalidJson("eof".into())),
            IngestError::RowErrors {
                count: 1,
                rows: vec![RowError {
                    index: 3,
                    error: "bad".into(),
                    path: Some("id".into()),
                }],
            },
            IngestError::Overloaded,
            IngestError::StoreUnavailable,
            IngestError::Internal,
        ];
        let statuses: Vec<u16> = errors.iter().map(|e| e.status()).collect();
        assert_eq!(statuses, [404, 401, 413, 415, 400, 422, 429, 503, 500]);
        for e in &errors {
            let a = e.answer("r1");
            assert_eq!(a.body["ok"], false);
            assert_eq!(a.body["request_id"], "r1");
            assert!(a.body["error"]["code"].is_string() && a.body["error"]["detail"].is_string());
            assert!(a.body["rows"].is_array());
        }
        assert_eq!(
            IngestError::Overloaded.answer("r").retry_after,
            Some(RETRY_AFTER_SECS)
        );
        assert_eq!(errors[5].answer("r").body["rows"][0]["index"], 3);
    }

    #[test]
    fn an_internal_error_says_nothing_about_the_inside() {
        let a = IngestError::Internal.answer("r");
        let text = a.body.to_string().to_lowercase();
        assert!(!text.contains("sqlite") && !text.contains("panic"));
    }
}
