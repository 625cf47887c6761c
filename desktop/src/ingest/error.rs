//! Every answer the webhook gives, in one place: the HTTP status, the stable `error.code`, the
//! `detail` a sender can act on, and the JSON body (docs/design.md §6). Store internals never reach a body:
//! a store failure says only "unavailable" (503) or "internal" (500), and its cause goes to the log.

use crate::signature::SignatureError;
use crate::store::{Fault, StoreError};
use axum::body::Body;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use inlet_core::drift::{Drift, DriftKind};
use inlet_core::{PayloadError, Plan, Summary};
use serde::{Deserialize, Serialize};
use serde_json::Value;

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

/// The `error` of every failure body, and a request's `error` in the request log (docs/http.md,
/// "Bodies"): a stable `code` a sender's code can branch on and a `detail` a person can act on.
/// Made only from an `IngestError` or a fixed code, never from a store's or a library's own
/// message: a store failure says `store_unavailable` or `internal`, and its cause goes to the log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(rename = "LoggedError"))]
pub struct Problem {
    pub code: String,
    pub detail: String,
}

impl Problem {
    /// A request's `error` as the log stores it (JSON written from a `Problem`); `None` for a
    /// value of another shape, which Inlet never writes.
    pub fn from_stored(v: &Value) -> Option<Problem> {
        Problem::deserialize(v).ok()
    }

    /// A request logged but not written (202), and why.
    pub fn not_written(reason: &str) -> Problem {
        Problem {
            code: "not_written".to_string(),
            detail: reason.to_string(),
        }
    }
}

/// The body of every 4xx and 5xx, in docs/http.md's order.
#[derive(Serialize)]
struct Failure<'a> {
    ok: bool,
    request_id: &'a str,
    error: Problem,
    /// Row errors (422 only; otherwise empty).
    rows: &'a [RowError],
    #[serde(skip_serializing_if = "Option::is_none")]
    drift: Option<&'a [Drift]>,
}

/// The body of a 202: logged, nothing written.
#[derive(Serialize)]
struct NotWritten<'a> {
    ok: bool,
    request_id: &'a str,
    written: bool,
    reason: &'a str,
}

/// The body of HEAD and GET on an existing connection.
#[derive(Serialize)]
struct Exists {
    ok: bool,
}

/// A schema drift warning a 200 carries (docs/http.md, "Schema drift").
#[derive(Serialize)]
struct Warning<'a> {
    code: &'static str,
    kind: DriftKind,
    field: &'a str,
    detail: &'a str,
}

/// A body as the answer holds it. These bodies are plain structs of strings, numbers and lists,
/// which always serialise.
fn to_body(body: &impl Serialize) -> Value {
    serde_json::to_value(body).unwrap_or(Value::Null)
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

    /// The `error` of its answer, and what the request log keeps.
    pub fn problem(&self) -> Problem {
        Problem {
            code: self.code().to_string(),
            detail: self.to_string(),
        }
    }

    pub fn rows(&self) -> &[RowError] {
        match self {
            IngestError::RowErrors { rows, .. } => rows,
            _ => &[],
        }
    }

    pub fn answer(&self, request_id: &str) -> Answer {
        let body = Failure {
            ok: false,
            request_id,
            error: self.problem(),
            rows: self.rows(),
            drift: match self {
                IngestError::Drift(d) => Some(d),
                _ => None,
            },
        };
        Answer {
            status: self.status(),
            body: to_body(&body),
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

/// How many rows a request had and what was done with them: the one shape of the counts in a
/// 200's body (docs/http.md), in the request log's summary and in the window. The core's `Summary`
/// names the actions (`create`); these name what happened (`created`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct RowCounts {
    pub rows: usize,
    pub created: usize,
    pub updated: usize,
    pub deleted: usize,
    pub skipped: usize,
    pub duplicates: usize,
}

impl From<Summary> for RowCounts {
    fn from(s: Summary) -> RowCounts {
        RowCounts {
            rows: s.rows,
            created: s.create,
            updated: s.update,
            deleted: s.delete,
            skipped: s.skip,
            duplicates: s.duplicate,
        }
    }
}

/// What the request log keeps as a request's `summary`: the counts of a planned request (with its
/// row errors), the drift it showed, or the request a redelivery repeats.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct LoggedSummary {
    #[serde(flatten)]
    pub counts: Option<RowCounts>,
    /// Rows with an error; present whenever the counts are.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub errors: Option<usize>,
    /// Schema drift the request showed, one sentence per kind and field.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub drift: Vec<String>,
    /// A Standard Webhooks redelivery: the request that wrote the message first.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub redelivery_of: Option<String>,
}

impl LoggedSummary {
    pub fn of_plan(plan: &Plan) -> LoggedSummary {
        LoggedSummary {
            counts: Some(plan.summary.into()),
            errors: Some(plan.summary.error),
            ..Default::default()
        }
    }

    /// A summary as stored (JSON text written by `ingest::process`).
    pub fn from_json(v: &Value) -> Option<LoggedSummary> {
        LoggedSummary::deserialize(v).ok()
    }
}

/// The body of a 200: what was done, in docs/http.md's order.
#[derive(Serialize)]
struct Done<'a> {
    ok: bool,
    request_id: &'a str,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    connection_test: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    redelivery_of: Option<&'a str>,
    #[serde(flatten)]
    counts: RowCounts,
}

impl Done<'_> {
    fn answer(&self) -> Answer {
        Answer {
            status: 200,
            body: to_body(self),
            retry_after: None,
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
        Done {
            ok: true,
            request_id,
            connection_test: false,
            redelivery_of: None,
            counts: plan.summary.into(),
        }
        .answer()
    }

    pub fn connection_test(request_id: &str) -> Answer {
        Done {
            ok: true,
            request_id,
            connection_test: true,
            redelivery_of: None,
            counts: RowCounts::default(),
        }
        .answer()
    }

    pub fn not_written(request_id: &str, reason: &str) -> Answer {
        Answer {
            status: 202,
            body: to_body(&NotWritten {
                ok: true,
                request_id,
                written: false,
                reason,
            }),
            retry_after: None,
        }
    }

    /// A Standard Webhooks message written before: answered as accepted, nothing written again.
    pub fn redelivered(request_id: &str, original: &str) -> Answer {
        Done {
            ok: true,
            request_id,
            connection_test: false,
            redelivery_of: Some(original),
            counts: RowCounts::default(),
        }
        .answer()
    }

    /// HEAD and GET on an existing connection: nothing but that it exists.
    pub fn exists() -> Answer {
        Answer {
            status: 200,
            body: to_body(&Exists { ok: true }),
            retry_after: None,
        }
    }

    /// The answer with the request's drift as warnings a sender's log shows (docs/design.md §13).
    pub fn with_drift_warnings(mut self, drift: &[Drift]) -> Answer {
        if drift.is_empty() {
            return self;
        }
        let warnings: Vec<Warning> = drift
            .iter()
            .map(|d| Warning {
                code: "schema_drift",
                kind: d.kind,
                field: &d.field,
                detail: &d.message,
            })
            .collect();
        if let Value::Object(body) = &mut self.body {
            body.insert("warnings".to_string(), to_body(&warnings));
        }
        self
    }

    /// The counts of a 200's body.
    pub fn counts(&self) -> Option<RowCounts> {
        (self.status == 200)
            .then(|| RowCounts::deserialize(&self.body).ok())
            .flatten()
    }

    /// The response without its body (HEAD): the same status and headers.
    pub fn into_head_response(self) -> Response {
        let mut res = self.into_response();
        *res.body_mut() = Body::empty();
        res
    }
}

impl IntoResponse for Answer {
    fn into_response(self) -> Response {
        let status = StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let mut res = (status, Body::from(self.body.to_string())).into_response();
        let h = res.headers_mut();
        h.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        );
        if let Some(secs) = self.retry_after {
            h.insert(header::RETRY_AFTER, HeaderValue::from(secs));
        }
        if self.status == 408 {
            // The rest of a late body may still arrive: the connection cannot carry another request.
            h.insert(header::CONNECTION, HeaderValue::from_static("close"));
        }
        if self.status == 405 {
            h.insert(header::ALLOW, HeaderValue::from_static("POST, GET, HEAD"));
        }
        res
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
    fn the_counts_are_written_in_the_answers_documented_shape_and_read_back() {
        let counts = RowCounts {
            rows: 3,
            created: 2,
            updated: 1,
            ..Default::default()
        };
        let done = Done {
            ok: true,
            request_id: "r",
            connection_test: false,
            redelivery_of: None,
            counts,
        }
        .answer();
        assert_eq!(
            done.body.to_string(),
            r#"{"ok":true,"request_id":"r","rows":3,"created":2,"updated":1,"deleted":0,"skipped":0,"duplicates":0}"#
        );
        assert_eq!(done.counts(), Some(counts));
        assert_eq!(
            Answer::connection_test("r").body.to_string(),
            r#"{"ok":true,"request_id":"r","connection_test":true,"rows":0,"created":0,"updated":0,"deleted":0,"skipped":0,"duplicates":0}"#
        );
        assert_eq!(
            Answer::redelivered("r", "o").body.to_string(),
            r#"{"ok":true,"request_id":"r","redelivery_of":"o","rows":0,"created":0,"updated":0,"deleted":0,"skipped":0,"duplicates":0}"#
        );
        assert_eq!(IngestError::Internal.answer("r").counts(), None);
    }

    #[test]
    fn a_logged_summary_keeps_the_stored_shape() {
        let planned = LoggedSummary {
            counts: Some(RowCounts {
                rows: 1,
                skipped: 1,
                ..Default::default()
            }),
            errors: Some(0),
            drift: vec!["`a` is new".into()],
            redelivery_of: None,
        };
        let text = serde_json::to_string(&planned).unwrap();
        assert_eq!(
            text,
            r#"{"rows":1,"created":0,"updated":0,"deleted":0,"skipped":1,"duplicates":0,"errors":0,"drift":["`a` is new"]}"#
        );
        let back = LoggedSummary::from_json(&serde_json::from_str(&text).unwrap());
        assert_eq!(back, Some(planned));
        let redelivery =
            LoggedSummary::from_json(&serde_json::json!({"redelivery_of": "o"})).unwrap();
        assert_eq!(
            (redelivery.counts, redelivery.redelivery_of.as_deref()),
            (None, Some("o"))
        );
        assert_eq!(
            serde_json::to_string(&redelivery).unwrap(),
            r#"{"redelivery_of":"o"}"#
        );
    }

    #[test]
    fn an_internal_error_says_nothing_about_the_inside() {
        let a = IngestError::Internal.answer("r");
        let text = a.body.to_string().to_lowercase();
        assert!(!text.contains("sqlite") && !text.contains("panic"));
    }

    fn drift() -> Drift {
        Drift {
            kind: inlet_core::drift::DriftKind::TypeChanged,
            field: "user_id".into(),
            rows: 1,
            expected: "number".into(),
            found: "string".into(),
            message: "`user_id` is a string in 1 row; before, it was always a number".into(),
        }
    }

    /// The bodies docs/http.md documents, byte for byte: a sender's code parses these.
    #[test]
    fn every_answer_body_is_written_byte_for_byte_as_documented() {
        let rows = IngestError::RowErrors {
            count: 2,
            rows: vec![
                RowError {
                    index: 0,
                    error: "the ID at `account_id` is boolean; expected text or a number".into(),
                    path: Some("account_id".into()),
                },
                RowError {
                    index: 1,
                    error: "no key".into(),
                    path: None,
                },
            ],
        };
        let cases = [
            (
                IngestError::NotFound.answer("r1"),
                r#"{"ok":false,"request_id":"r1","error":{"code":"not_found","detail":"no connection with this id"},"rows":[]}"#,
            ),
            (
                rows.answer("r2"),
                r#"{"ok":false,"request_id":"r2","error":{"code":"row_errors","detail":"2 of the rows have errors; nothing was written"},"rows":[{"index":0,"error":"the ID at `account_id` is boolean; expected text or a number","path":"account_id"},{"index":1,"error":"no key","path":null}]}"#,
            ),
            (
                IngestError::Drift(vec![drift()]).answer("r3"),
                r#"{"ok":false,"request_id":"r3","error":{"code":"schema_drift","detail":"the rows' shape changed since the mapping was saved (`user_id` is a string in 1 row; before, it was always a number); nothing was written: fix the sender, or acknowledge the new shape in Inlet"},"rows":[],"drift":[{"kind":"type_changed","field":"user_id","rows":1,"expected":"number","found":"string","message":"`user_id` is a string in 1 row; before, it was always a number"}]}"#,
            ),
            (
                IngestError::StoreUnavailable.answer("r4"),
                r#"{"ok":false,"request_id":"r4","error":{"code":"store_unavailable","detail":"the store is unavailable; retry later"},"rows":[]}"#,
            ),
            (
                IngestError::Internal.answer(""),
                r#"{"ok":false,"request_id":"","error":{"code":"internal","detail":"something went wrong inside Inlet; the request was not written"},"rows":[]}"#,
            ),
            (
                Answer::not_written("r5", "the connection is disabled; enable it to write rows"),
                r#"{"ok":true,"request_id":"r5","written":false,"reason":"the connection is disabled; enable it to write rows"}"#,
            ),
            (Answer::exists(), r#"{"ok":true}"#),
        ];
        for (answer, text) in cases {
            assert_eq!(answer.body.to_string(), text);
        }
    }

    #[test]
    fn drift_warnings_are_written_as_documented() {
        let written = Answer::exists().with_drift_warnings(&[drift()]);
        assert_eq!(
            written.body.to_string(),
            r#"{"ok":true,"warnings":[{"code":"schema_drift","kind":"type_changed","field":"user_id","detail":"`user_id` is a string in 1 row; before, it was always a number"}]}"#
        );
        assert_eq!(Answer::exists().with_drift_warnings(&[]), Answer::exists());
    }

    /// What the request log keeps as a request's `error`: the answer's own `error`.
    #[test]
    fn the_logged_error_is_the_answers_error() {
        let e = IngestError::Payload(PayloadError::InvalidJson("eof".into()));
        assert_eq!(
            serde_json::to_string(&e.problem()).unwrap(),
            r#"{"code":"invalid_json","detail":"body is not valid JSON: eof"}"#
        );
        assert_eq!(
            e.answer("r").body["error"],
            serde_json::to_value(e.problem()).unwrap()
        );
        let stored = serde_json::to_value(e.problem()).unwrap();
        assert_eq!(Problem::from_stored(&stored), Some(e.problem()));
        assert_eq!(Problem::from_stored(&serde_json::json!("text")), None);
    }
}
