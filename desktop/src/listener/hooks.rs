//! `/hooks/{id}`: admit, then hand the request to the writer and answer once it is committed.

use super::admit::{admit, Admitted, Gate};
use super::AppState;
use crate::ids::RequestId;
use crate::ingest::{prepare_runnable, Answer, Incoming, IngestError};
use crate::store::now;
use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value};

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
    let status = StatusCode::from_u16(answer.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let body = if head {
        Body::empty()
    } else {
        Body::from(answer.body.to_string())
    };
    let mut res = (status, body).into_response();
    res.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    if let Some(secs) = answer.retry_after {
        res.headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from(secs));
    }
    if answer.status == 408 {
        // The rest of a late body may still arrive: the connection cannot carry another request.
        res.headers_mut()
            .insert(header::CONNECTION, HeaderValue::from_static("close"));
    }
    if answer.status == 405 {
        res.headers_mut()
            .insert(header::ALLOW, HeaderValue::from_static("POST, GET, HEAD"));
    }
    res
}

pub async fn hook(
    State(state): State<AppState>,
    Path(id): Path<String>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let request_id = RequestId::generate().into_string();
    let head = method == Method::HEAD;
    let received_at = now();
    let gate = Gate {
        services: &state.services,
        cache: &state.cache,
        budget: &state.budget,
        body_limit: state.body_limit,
        body_timeout: state.body_timeout,
    };
    let admitted = admit(gate, &id, &method, &headers, body).await;
    let (entry, body, content_type, _budget) = match admitted {
        Err(e) => return respond(e.answer(&request_id), head),
        Ok(Admitted::Probe) => return respond(Answer::exists(), head),
        Ok(Admitted::Post {
            entry,
            body,
            content_type,
            budget,
        }) => (entry, body, content_type, budget),
    };
    let incoming = Incoming {
        request_id: request_id.clone(),
        connection_id: entry.conn.id.clone(),
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
            prepare_runnable(|| entry.runnable.clone(), incoming)
        })
        .await
        {
            Ok(job) => job,
            Err(_) => return respond(IngestError::Internal.answer(&request_id), head),
        }
    } else {
        prepare_runnable(|| entry.runnable.clone(), incoming)
    };
    respond(state.writer.submit(job).await, head)
}

/// Any other path: a JSON 404 like an unknown connection's.
pub async fn not_found(method: Method) -> Response {
    let rid = RequestId::generate().into_string();
    respond(IngestError::NotFound.answer(&rid), method == Method::HEAD)
}

#[cfg(test)]
mod tests {
    use super::*;

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
