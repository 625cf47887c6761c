//! `/hooks/{id}`: admit, then hand the request to the writer and answer once it is committed.

use super::admit::{admit, Admitted, Gate};
use super::AppState;
use crate::ids::{ConnectionId, RequestId};
use crate::ingest::{prepare_guarded, Answer, Guard, Incoming, IngestError};
use crate::store::now;
use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, Method, Uri};
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value};
use std::time::Instant;

/// Headers never written to the log as they came.
const REDACTED: &[&str] = &["authorization", "proxy-authorization", "cookie"];

/// Bodies larger than this are parsed off the async workers.
const PARSE_INLINE_MAX: usize = 256 * 1024;

pub fn redacted_headers(headers: &HeaderMap) -> Value {
    let mut m = Map::new();
    for (name, value) in headers {
        let v = if REDACTED.contains(&name.as_str()) {
            "[redacted]".to_string()
        } else {
            String::from_utf8_lossy(value.as_bytes()).into_owned()
        };
        match m.get_mut(name.as_str()) {
            Some(Value::String(prev)) => {
                prev.push_str(", ");
                prev.push_str(&v);
            }
            _ => {
                m.insert(name.as_str().to_string(), Value::String(v));
            }
        }
    }
    Value::Object(m)
}

pub fn respond(answer: Answer, head: bool) -> Response {
    if head {
        answer.into_head_response()
    } else {
        answer.into_response()
    }
}

pub async fn hook(
    State(state): State<AppState>,
    Path(id): Path<String>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let started = Instant::now();
    let request_id = RequestId::generate();
    let head = method == Method::HEAD;
    let answer = handle(state, &id, &request_id, &method, uri, headers, body).await;
    log_request(&id, &request_id, &method, &answer, started);
    respond(answer, head)
}

/// The one line a request leaves in the log (at info): never a header or the body.
fn log_request(
    id: &str,
    request_id: &RequestId,
    method: &Method,
    answer: &Answer,
    started: Instant,
) {
    // The path's id is the sender's text: shown escaped and cut short, as it may be anything.
    let connection: String = id.chars().take(40).collect();
    tracing::info!(
        connection = ?connection,
        request_id = request_id.as_str(),
        method = %method,
        status = answer.status,
        rows = answer.counts().map(|c| c.rows),
        ms = started.elapsed().as_micros() as f64 / 1000.0,
        "request"
    );
}

async fn handle(
    state: AppState,
    id: &str,
    request_id: &RequestId,
    method: &Method,
    uri: Uri,
    headers: HeaderMap,
    body: Body,
) -> Answer {
    let received_at = now();
    let gate = Gate {
        services: &state.services,
        cache: &state.cache,
        budget: &state.budget,
        body_limit: state.body_limit,
        body_timeout: state.body_timeout,
    };
    let admitted = admit(gate, id, method, &headers, body).await;
    let (entry, body, content_type, _budget, webhook_id) = match admitted {
        Err(e) => return e.answer(request_id),
        Ok(Admitted::Probe) => return Answer::exists(),
        Ok(Admitted::Post {
            entry,
            body,
            content_type,
            budget,
            webhook_id,
        }) => (entry, body, content_type, budget, webhook_id),
    };
    let guard = Guard {
        webhook_id,
        check_drift: state.check_drift,
        refuse_drift: entry.refuse_drift,
        shape: None,
        drift_cache: Some(entry.drift.clone()),
    };
    let incoming = Incoming {
        request_id: request_id.clone(),
        connection_id: ConnectionId::from_stored(entry.conn.id.clone()),
        received_at,
        method: method.as_str().to_string(),
        content_type,
        headers: redacted_headers(&headers),
        query: uri.query().map(str::to_string),
        body,
        replay_of: None,
        event_time: None,
    };
    let job = if incoming.body.len() > PARSE_INLINE_MAX {
        match tokio::task::spawn_blocking(move || {
            prepare_guarded(|| entry.runnable.clone(), incoming, Some(guard))
        })
        .await
        {
            Ok(job) => job,
            Err(_) => return IngestError::Internal.answer(request_id),
        }
    } else {
        prepare_guarded(|| entry.runnable.clone(), incoming, Some(guard))
    };
    state.writer.submit(job).await
}

/// Any other path: a JSON 404 like an unknown connection's.
pub async fn not_found(method: Method) -> Response {
    let started = Instant::now();
    let rid = RequestId::generate();
    let answer = IngestError::NotFound.answer(&rid);
    log_request("", &rid, &method, &answer, started);
    respond(answer, method == Method::HEAD)
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::{header, HeaderValue};

    #[test]
    fn the_authorization_header_is_redacted_and_repeated_headers_are_joined() {
        let mut h = HeaderMap::new();
        h.insert(
            header::AUTHORIZATION,
            HeaderValue::from_static("Bearer inl_secret"),
        );
        h.append("x-tag", HeaderValue::from_static("a"));
        h.append("x-tag", HeaderValue::from_static("b"));
        let v = redacted_headers(&h);
        assert_eq!(v["authorization"], "[redacted]");
        assert_eq!(v["x-tag"], "a, b");
        assert!(!v.to_string().contains("inl_secret"));
    }
}
