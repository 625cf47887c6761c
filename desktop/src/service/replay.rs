//! Replay (docs/design.md §8): logged payloads run again through the connection's current mapping, each in
//! its own transaction, through exactly the code the listener's writer runs. Each replay is logged
//! as a new request pointing at the original, and the report says what changed: the answer, and
//! per row the action before → after.

use super::connections::load;
use super::{Result, ServiceError, Services};
use crate::ids::{ConnectionId, RequestId};
use crate::ingest::{self, Activity, Incoming, LoggedSummary};
use crate::store::now;
use crate::store::queries::{mappings, requests};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::BTreeMap;

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ReplayInput {
    /// One logged request.
    #[serde(default)]
    pub request: Option<String>,
    /// Every logged payload received at or after this time (RFC 3339, or a date).
    #[serde(default)]
    pub all_since: Option<String>,
    /// With `all_since`: also requests already written (200, or by an earlier replay). Off by default, so that
    /// events without an ID are not stored twice.
    #[serde(default)]
    pub include_written: bool,
}

/// An answer as the log keeps it: the status, the row counts when planned, the error when not written.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct LoggedAnswer {
    pub status: u16,
    #[cfg_attr(feature = "ts", ts(as = "Option<crate::ipc::LoggedCounts>"))]
    pub summary: Option<LoggedSummary>,
    pub error: Option<crate::ingest::Problem>,
}

/// One row's action before and after (`None`: the row was not planned, e.g. under a 202).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct RowChange {
    pub index: u64,
    pub before: Option<String>,
    pub after: Option<String>,
    /// The skip reason, error or duplicate event ID, before and after.
    pub before_detail: Option<String>,
    pub after_detail: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct ReplayItem {
    /// The logged request that was replayed.
    pub request_id: String,
    /// The replay's own entry in the log.
    pub replay_id: String,
    /// When the original request arrived (events without a timestamp take this time).
    pub received_at: String,
    pub status: u16,
    pub written: bool,
    /// What the webhook would have answered.
    #[cfg_attr(feature = "ts", ts(type = "unknown"))]
    pub response: Value,
    /// The original's answer, as logged, and the replay's.
    pub before: LoggedAnswer,
    pub after: LoggedAnswer,
    /// Per row, the action before → after.
    pub rows: Vec<RowChange>,
    /// Whether the status or any row's action differs.
    pub changed: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct ReplayReport {
    pub connection_id: String,
    pub replayed: Vec<ReplayItem>,
    pub written: usize,
    pub not_written: usize,
    /// Replays whose answer or row actions differ from the original's.
    pub changed: usize,
}

fn since_text(t: &str) -> Result<String> {
    let dt = inlet_core::timestamp::parse_timestamp(&Value::String(t.trim().to_string()))
        .map_err(|e| ServiceError::Invalid(format!("--all-since: {e}")))?;
    Ok(dt.to_rfc3339_opts(chrono::SecondsFormat::Millis, true))
}

fn logged(r: &requests::RequestRow) -> LoggedAnswer {
    LoggedAnswer {
        status: r.status,
        summary: r.summary.as_ref().and_then(LoggedSummary::from_json),
        error: r
            .error
            .as_ref()
            .and_then(crate::ingest::Problem::from_stored),
    }
}

/// `index → (action, detail)` of logged outcomes.
fn actions(outcomes: &Option<Value>) -> BTreeMap<u64, (String, Option<String>)> {
    let mut out = BTreeMap::new();
    for o in outcomes
        .as_ref()
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let (Some(i), Some(a)) = (o["index"].as_u64(), o["action"].as_str()) else {
            continue;
        };
        let detail = ["error", "reason", "event_id"]
            .iter()
            .find_map(|k| o.get(*k).and_then(Value::as_str))
            .map(str::to_string);
        out.insert(i, (a.to_string(), detail));
    }
    out
}

fn row_changes(before: &Option<Value>, after: &Option<Value>) -> Vec<RowChange> {
    let (mut b, mut a) = (actions(before), actions(after));
    let indexes: std::collections::BTreeSet<u64> = b.keys().chain(a.keys()).copied().collect();
    indexes
        .into_iter()
        .map(|i| {
            let (before, before_detail) = b.remove(&i).unzip();
            let (after, after_detail) = a.remove(&i).unzip();
            RowChange {
                index: i,
                before,
                after,
                before_detail: before_detail.flatten(),
                after_detail: after_detail.flatten(),
            }
        })
        .collect()
}

fn replay_one(s: &Services, original: &requests::RequestRow) -> Result<ReplayItem> {
    let replay_id = RequestId::generate();
    let done = s.store().write(|tx| {
        let conn = load(tx, &original.connection_id)?;
        let mapping = mappings::get(tx, &conn.id)?;
        // A replay of a replay happened when the first request arrived.
        let first_received = match &original.replay_of {
            Some(first) => requests::get(tx, first)?
                .map_or_else(|| original.received_at.clone(), |f| f.received_at),
            None => original.received_at.clone(),
        };
        let incoming = Incoming {
            request_id: replay_id.clone(),
            connection_id: ConnectionId::from_stored(conn.id.clone()),
            received_at: now(),
            method: original.method.clone(),
            content_type: original.content_type.clone(),
            headers: original.headers.clone(),
            query: original.query.clone(),
            body: original.body.clone().into(),
            replay_of: Some(original.id.clone()),
            event_time: Some(first_received),
        };
        let job = ingest::prepare(&conn, mapping.as_ref(), incoming);
        let answer = ingest::process_alone(tx, &job)?;
        let entry = requests::get(tx, &replay_id)?;
        requests::prune(tx, &conn.id, requests::DEFAULT_KEEP)?;
        Ok::<_, ServiceError>((answer, job.incoming.received_at, entry))
    })?;
    let (answer, received_at, entry) = done;
    s.publish(Activity {
        connection_id: ConnectionId::from_stored(original.connection_id.clone()),
        request_id: replay_id.clone(),
        status: answer.status,
        received_at,
    });
    let after = match &entry {
        Some(e) => logged(e),
        None => LoggedAnswer {
            status: answer.status,
            summary: None,
            error: answer
                .body
                .get("error")
                .and_then(crate::ingest::Problem::from_stored),
        },
    };
    let rows = row_changes(
        &original.outcomes,
        &entry.as_ref().and_then(|e| e.outcomes.clone()),
    );
    let changed = original.status != answer.status || rows.iter().any(|r| r.before != r.after);
    Ok(ReplayItem {
        request_id: original.id.clone(),
        replay_id: replay_id.into_string(),
        received_at: original.received_at.clone(),
        status: answer.status,
        written: answer.status == 200 && answer.body.get("connection_test").is_none(),
        response: answer.body,
        before: logged(original),
        after,
        rows,
        changed,
    })
}

pub fn replay(s: &Services, connection_id: &str, input: &ReplayInput) -> Result<ReplayReport> {
    let originals = s.store().read(|tx| {
        let conn = load(tx, connection_id)?;
        match (&input.request, &input.all_since) {
            (Some(rid), None) => {
                let r = requests::get(tx, rid.trim())?
                    .filter(|r| r.connection_id == conn.id)
                    .ok_or_else(|| {
                        ServiceError::NotFound(format!("no request {rid:?} on this connection"))
                    })?;
                Ok((conn.id, vec![r]))
            }
            (None, Some(since)) => {
                let all = requests::payloads_since(tx, &conn.id, &since_text(since)?)?;
                // "Not written" means neither when it arrived nor by an earlier replay: replaying
                // one request and then "all" must not write it twice.
                let replayed = if input.include_written {
                    Default::default()
                } else {
                    requests::written_by_replay(tx, &conn.id)?
                };
                Ok((
                    conn.id,
                    all.into_iter()
                        .filter(|r| {
                            input.include_written || (r.status != 200 && !replayed.contains(&r.id))
                        })
                        .collect(),
                ))
            }
            _ => Err(ServiceError::Invalid(
                "give one request id or a time to replay everything since".into(),
            )),
        }
    })?;
    let (connection_id, originals) = originals;
    let mut replayed = Vec::new();
    for r in &originals {
        replayed.push(replay_one(s, r)?);
    }
    let written = replayed.iter().filter(|r| r.written).count();
    Ok(ReplayReport {
        connection_id,
        not_written: replayed.len() - written,
        written,
        changed: replayed.iter().filter(|r| r.changed).count(),
        replayed,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::service::records::{accounts, RecordFilter};
    use crate::service::testing::{accounts_connection, map_accounts_by_id, temp_services};
    use serde_json::json;

    fn post(s: &Services, connection_id: &str, body: &str) -> ingest::Answer {
        s.store()
            .write(|tx| {
                let conn = load(tx, connection_id)?;
                let mapping = mappings::get(tx, &conn.id)?;
                let incoming = Incoming {
                    request_id: RequestId::generate(),
                    connection_id: ConnectionId::from_stored(conn.id.clone()),
                    received_at: now(),
                    method: "POST".into(),
                    content_type: Some("application/json".into()),
                    headers: json!({}),
                    query: None,
                    body: body.as_bytes().to_vec().into(),
                    replay_of: None,
                    event_time: None,
                };
                Ok::<_, ServiceError>(ingest::process(
                    tx,
                    &ingest::prepare(&conn, mapping.as_ref(), incoming),
                )?)
            })
            .unwrap()
    }

    #[test]
    fn replaying_after_enabling_writes_what_arrived_while_disabled() {
        let s = temp_services();
        let c = accounts_connection(&s);
        assert_eq!(post(&s, &c.id, r#"[{"id": 1}, {"id": 2}]"#).status, 202);
        assert_eq!(post(&s, &c.id, "").status, 200);
        map_accounts_by_id(&s, &c.id);
        let report = replay(
            &s,
            &c.id,
            &ReplayInput {
                all_since: Some("2000-01-01".into()),
                ..Default::default()
            },
        )
        .unwrap();
        assert_eq!((report.replayed.len(), report.written), (1, 1));
        assert_eq!(accounts(&s, &RecordFilter::default()).unwrap().len(), 2);
        let again = replay(
            &s,
            &c.id,
            &ReplayInput {
                all_since: Some("2000-01-01".into()),
                ..Default::default()
            },
        )
        .unwrap();
        assert_eq!(
            again.replayed.len(),
            0,
            "the 202 was written by the first replay, and a replay is never replayed itself"
        );
        assert_eq!(
            accounts(&s, &RecordFilter::default()).unwrap().len(),
            2,
            "upserts do not duplicate"
        );
    }

    #[test]
    fn replaying_one_request_by_id_reports_its_new_answer() {
        let s = temp_services();
        let c = accounts_connection(&s);
        map_accounts_by_id(&s, &c.id);
        let first = post(&s, &c.id, r#"{"id": true}"#);
        assert_eq!(first.status, 422);
        let rid = first.body["request_id"].as_str().unwrap().to_string();
        let r = replay(
            &s,
            &c.id,
            &ReplayInput {
                request: Some(rid.clone()),
                ..Default::default()
            },
        )
        .unwrap();
        assert_eq!(
            (r.replayed[0].status, r.replayed[0].request_id.as_str()),
            (422, rid.as_str())
        );
        assert!(replay(&s, &c.id, &ReplayInput::default()).is_err());
    }
}
