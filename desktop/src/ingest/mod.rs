//! From an admitted request to a logged, written (or refused) one. The listener's writer and the
//! replay service both run a request through `prepare` then `process`, so a replay is exactly a
//! real write. `process` runs inside the caller's transaction; nothing here commits.

mod body;
pub mod error;
mod trust;
pub mod writer;

pub use body::ParsedBody;
pub use trust::DriftCache;

pub use error::{Answer, IngestError, LoggedSummary, Problem, RowCounts, RowError};

use crate::ids::{ConnectionId, RequestId};
use crate::store::queries::{connections::ConnectionRow, mappings::MappingRow, requests};
use crate::store::{apply, directory, ApplyContext, StoreError, Tx};
use axum::body::Bytes;
use inlet_core::drift::{Drift, Shape};
use inlet_core::payload::content_kind;
use inlet_core::{Compiled, Mapping, PlanError};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::sync::Arc;

/// An admitted request, as it will be logged.
#[derive(Debug, Clone)]
pub struct Incoming {
    pub request_id: RequestId,
    pub connection_id: ConnectionId,
    pub received_at: String,
    pub method: String,
    pub content_type: Option<String>,
    /// Header name → value, Authorization redacted.
    pub headers: Value,
    pub query: Option<String>,
    pub body: Bytes,
    /// Set when this is a replay of a logged request.
    pub replay_of: Option<String>,
    /// When the rows happened, if not at `received_at` (a replay: the original's time of receipt);
    /// events without a timestamp take it.
    pub event_time: Option<String>,
}

/// What to do with an admitted request.
#[derive(Debug, Clone)]
pub enum Work {
    /// Log it and answer; no records are written (400, 202, connection test).
    LogOnly {
        answer: Answer,
        has_payload: bool,
        error: Option<Problem>,
    },
    /// Plan it against the store and write it.
    Write {
        body: ParsedBody,
        mapping: Arc<Compiled>,
    },
}

#[derive(Debug, Clone)]
pub struct Job {
    pub incoming: Incoming,
    pub work: Work,
    /// The listener's checks beyond the mapping (docs/design.md §12–13); replays have none.
    pub guard: Option<Guard>,
}

/// What a request brings to the signature and drift checks made at write time.
#[derive(Debug, Clone, Default)]
pub struct Guard {
    /// The Standard Webhooks message id of a verified request: one already written is answered
    /// again without writing twice.
    pub webhook_id: Option<String>,
    /// Compare the rows with the connection's baseline.
    pub check_drift: bool,
    /// Answer 422 on drift instead of warning.
    pub refuse_drift: bool,
    /// The rows' shape, taken where the body is parsed (off the writer).
    pub shape: Option<Shape>,
    /// The connection's drift state kept between requests.
    pub drift_cache: Option<DriftCache>,
}

/// The advisory lock keys a job needs on a shared store (`store::pg::lock_keys`): its
/// connection's, then the keys its rows may create a record under, and its event IDs.
///
/// The connection's key comes first because every request also writes rows kept per connection
/// (its drift state, the request log it prunes): two receivers whose groups touched two
/// connections in opposite orders deadlocked on those rows, again on every retry. Taken with the
/// rest, sorted, they make one order.
pub fn lock_keys(job: &Job, out: &mut Vec<i64>) {
    out.push(crate::store::pg::lock_key(&[
        "connection",
        &job.incoming.connection_id,
    ]));
    let Work::Write { body, mapping } = &job.work else {
        return;
    };
    if let Ok(keys) = inlet_core::batch_keys(body.node(), mapping) {
        crate::store::pg::batch_lock_keys(&job.incoming.connection_id, &keys, out);
    }
}

/// Published after each logged request has been committed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Activity {
    #[cfg_attr(feature = "ts", ts(type = "string"))]
    pub connection_id: ConnectionId,
    #[cfg_attr(feature = "ts", ts(type = "string"))]
    pub request_id: RequestId,
    pub status: u16,
    pub received_at: String,
}

/// The mapping a connection runs: its stored document with the connection's own kind and behavior.
pub fn runtime_mapping(conn: &ConnectionRow, mapping: &MappingRow) -> Result<Compiled, String> {
    let mut m = Mapping::from_json(&mapping.document).map_err(|e| e.to_string())?;
    if m.kind != conn.kind {
        return Err(format!(
            "the mapping is for {}, the connection takes {}",
            m.kind.as_str(),
            conn.kind.as_str()
        ));
    }
    m.behavior = Some(conn.behavior);
    m.compile().map_err(|e| e.to_string())
}

/// What a connection runs, or why it writes nothing (docs/design.md §6: enabled and mapped, else 202).
pub fn runnable(
    conn: &ConnectionRow,
    mapping: Option<&MappingRow>,
) -> Result<Arc<Compiled>, String> {
    match (conn.enabled, mapping) {
        (false, _) => Err("the connection is disabled; enable it to write rows".to_string()),
        (true, None) => Err("no mapping is set; set one to write rows".to_string()),
        (true, Some(m)) => runtime_mapping(conn, m)
            .map(Arc::new)
            .map_err(|e| format!("the saved mapping cannot run: {e}")),
    }
}

/// Reads the body and decides what the request needs (docs/design.md §6 order after admission: JSON 400 →
/// enabled and mapped 202 → rows and write in `process`).
pub fn prepare(conn: &ConnectionRow, mapping: Option<&MappingRow>, incoming: Incoming) -> Job {
    prepare_runnable(|| runnable(conn, mapping), incoming)
}

/// `prepare` with what the connection runs already known (the listener caches it per connection);
/// `runnable` is asked only when the body has rows.
pub fn prepare_runnable(
    runnable: impl FnOnce() -> Result<Arc<Compiled>, String>,
    incoming: Incoming,
) -> Job {
    prepare_guarded(runnable, incoming, None)
}

/// `prepare_runnable` for the listener: with its checks, and the rows' shape taken here when
/// drift is to be checked.
pub fn prepare_guarded(
    runnable: impl FnOnce() -> Result<Arc<Compiled>, String>,
    incoming: Incoming,
    mut guard: Option<Guard>,
) -> Job {
    let rid = &incoming.request_id;
    let parsed = content_kind(incoming.content_type.as_deref())
        .and_then(|k| ParsedBody::parse(&incoming.body, k));
    let work = match parsed {
        Err(e) => {
            let err = IngestError::Payload(e);
            Work::LogOnly {
                answer: err.answer(rid),
                has_payload: true,
                error: Some(err.problem()),
            }
        }
        Ok(None) => Work::LogOnly {
            answer: Answer::connection_test(rid),
            has_payload: false,
            error: None,
        },
        Ok(Some(body)) => match runnable() {
            Ok(mapping) => Work::Write { body, mapping },
            Err(reason) => Work::LogOnly {
                answer: Answer::not_written(rid, &reason),
                has_payload: true,
                error: Some(Problem::not_written(&reason)),
            },
        },
    };
    if let (Some(g), Work::Write { body, mapping }) = (guard.as_mut(), &work) {
        if g.check_drift {
            g.shape = Some(Shape::of_body(body.node(), mapping));
        }
    }
    Job {
        incoming,
        work,
        guard,
    }
}

struct LogEntry<'a> {
    status: u16,
    has_payload: bool,
    error: Option<Problem>,
    /// Per-row outcomes as logged, written by the core (`Plan::outcomes_json`).
    outcomes: Option<String>,
    summary: Option<LoggedSummary>,
    incoming: &'a Incoming,
}

fn log(c: Tx, e: LogEntry) -> Result<(), StoreError> {
    let i = e.incoming;
    let summary = stored_text(&e.summary)?;
    let error = stored_text(&e.error)?;
    requests::insert_new(
        c,
        &requests::NewRequest {
            id: &i.request_id,
            connection_id: &i.connection_id,
            received_at: &i.received_at,
            method: &i.method,
            content_type: i.content_type.as_deref(),
            headers: &i.headers.to_string(),
            query: i.query.as_deref(),
            body: &i.body,
            has_payload: e.has_payload,
            status: e.status,
            error: error.as_deref(),
            outcomes: e.outcomes.as_deref(),
            summary: summary.as_deref(),
            replay_of: i.replay_of.as_deref(),
        },
    )?;
    Ok(())
}

/// A typed column as the log stores it: JSON text.
fn stored_text(v: &Option<impl Serialize>) -> Result<Option<String>, StoreError> {
    v.as_ref()
        .map(|v| serde_json::to_string(v).map_err(|e| StoreError::Corrupt(e.to_string())))
        .transpose()
}

/// Plans, writes and logs one request inside the caller's transaction. An `Err` means the store
/// failed: the caller rolls this request back and answers 503.
pub fn process(c: Tx, job: &Job) -> Result<Answer, StoreError> {
    process_body(c, &job.incoming, &job.work, job.guard.as_ref())
}

/// `process` for a request written on its own (a replay): on a shared store it first locks its
/// keys, as the writer does for a group.
pub fn process_alone(c: Tx, job: &Job) -> Result<Answer, StoreError> {
    if let Tx::Postgres(p) = c {
        let mut keys = Vec::new();
        lock_keys(job, &mut keys);
        crate::store::pg::lock_keys(p, &mut keys)?;
    }
    process(c, job)
}

fn process_body(
    c: Tx,
    i: &Incoming,
    work: &Work,
    guard: Option<&Guard>,
) -> Result<Answer, StoreError> {
    let (body, mapping) = match work {
        Work::LogOnly {
            answer,
            has_payload,
            error,
        } => {
            let entry = LogEntry {
                status: answer.status,
                has_payload: *has_payload,
                error: error.clone(),
                outcomes: None,
                summary: None,
                incoming: i,
            };
            log(c, entry)?;
            return Ok(answer.clone());
        }
        Work::Write { body, mapping } => (body, mapping),
    };
    let webhook_id = guard.and_then(|g| g.webhook_id.as_deref());
    if let Some(wid) = webhook_id {
        if let Some(original) = trust::written_delivery(c, &i.connection_id, wid)? {
            log(
                c,
                LogEntry {
                    status: 200,
                    has_payload: false,
                    error: None,
                    outcomes: None,
                    summary: Some(LoggedSummary {
                        redelivery_of: Some(original.clone()),
                        ..Default::default()
                    }),
                    incoming: i,
                },
            )?;
            return Ok(Answer::redelivered(&i.request_id, &original));
        }
    }
    let mut drift = trust::DriftCheck::start(c, &i.connection_id, &i.received_at, guard)?;
    if let Some(d) = drift.as_mut() {
        if d.refuse && d.found() {
            d.finish(c, &i.request_id, false)?;
            let err = IngestError::Drift(d.drift().to_vec());
            log(
                c,
                LogEntry {
                    status: err.status(),
                    has_payload: true,
                    error: Some(err.problem()),
                    outcomes: None,
                    summary: Some(LoggedSummary {
                        drift: d.messages().into_iter().map(str::to_string).collect(),
                        ..Default::default()
                    }),
                    incoming: i,
                },
            )?;
            return Ok(err.answer(&i.request_id));
        }
    }
    let planned = directory::plan(c, body.node(), mapping, Some(&i.connection_id))?;
    let (plan, kept) = match planned {
        Ok(p) => p,
        Err(PlanError::Payload(e)) => {
            let err = IngestError::Payload(e);
            log(
                c,
                LogEntry {
                    status: err.status(),
                    has_payload: true,
                    error: Some(err.problem()),
                    outcomes: None,
                    summary: None,
                    incoming: i,
                },
            )?;
            return Ok(err.answer(&i.request_id));
        }
        // The store's directory hands back its own error (`directory::plan`); any other
        // directory's failure has only its text.
        Err(PlanError::Directory(e)) => return Err(StoreError::Corrupt(e.0)),
    };
    if plan.has_errors() {
        let drifted = match drift.as_mut() {
            Some(d) => d.finish(c, &i.request_id, false)?,
            None => &[],
        };
        let err = IngestError::from_plan(&plan);
        let entry = LogEntry {
            status: 422,
            has_payload: true,
            error: Some(err.problem()),
            outcomes: Some(plan.outcomes_json(None)),
            summary: Some(with_drift(LoggedSummary::of_plan(&plan), drifted)),
            incoming: i,
        };
        log(c, entry)?;
        return Ok(err.answer(&i.request_id).with_drift_warnings(drifted));
    }
    let ctx = ApplyContext {
        connection_id: &i.connection_id,
        received_at: &i.received_at,
        event_time: i.event_time.as_deref(),
        request_id: Some(&i.request_id),
    };
    let applied = apply(c, &plan, ctx, kept)?;
    let drifted = match drift.as_mut() {
        Some(d) => d.finish(c, &i.request_id, true)?,
        None => &[],
    };
    if let Some(wid) = webhook_id {
        trust::put_delivery(c, &i.connection_id, wid, &i.request_id, &i.received_at)?;
    }
    let entry = LogEntry {
        status: 200,
        has_payload: true,
        error: None,
        outcomes: Some(plan.outcomes_json(Some(&applied.record_ids))),
        summary: Some(with_drift(LoggedSummary::of_plan(&plan), drifted)),
        incoming: i,
    };
    log(c, entry)?;
    Ok(Answer::written(&i.request_id, &plan).with_drift_warnings(drifted))
}

/// The logged summary with the request's drift, one sentence per kind and field.
fn with_drift(mut summary: LoggedSummary, drift: &[Drift]) -> LoggedSummary {
    summary.drift = drift.iter().map(|d| d.message.clone()).collect();
    summary
}
