//! The single writer (docs/design.md §6–7): one thread owns a write connection and commits concurrent
//! requests in groups. It drains the queue, runs each request in a savepoint of one transaction (a
//! request whose store work fails is rolled back alone), commits once, and only then answers every
//! request of the group. A 2xx therefore means the rows are on disk.
//!
//! On PostgreSQL, where other receivers write to the same database, the group first takes
//! advisory locks on every key its rows may create a record under (sorted, in one statement), so
//! that two receivers given the same new key run one after the other; a group that meets a
//! deadlock, a serialization failure or a unique-index race is rolled back and run again.

use super::{process, Activity, Answer, IngestError, Job};
use crate::store::queries::requests;
use crate::store::{pg, GroupConn, Store, StoreError};
use std::collections::BTreeSet;
use std::panic::{catch_unwind, AssertUnwindSafe};
use tokio::sync::{broadcast, mpsc, oneshot};

#[derive(Debug, Clone, Copy)]
pub struct WriterConfig {
    /// Requests waiting for the writer; one more is answered 429.
    pub queue: usize,
    /// Requests committed together at most.
    pub max_group: usize,
    /// Requests kept in the log per connection.
    pub keep_requests: usize,
}

impl Default for WriterConfig {
    fn default() -> Self {
        WriterConfig {
            queue: 4096,
            max_group: 512,
            keep_requests: requests::DEFAULT_KEEP,
        }
    }
}

struct Envelope {
    job: Job,
    /// The answer, and the job handed back: the request's parsed body is freed by the task
    /// that waits for it, not on the writer's thread (freeing a 1,000-row body there cost
    /// the writer a few percent).
    reply: oneshot::Sender<(Answer, Job)>,
}

/// The queue into the writer. Cloning shares it.
#[derive(Clone)]
pub struct Writer {
    tx: mpsc::Sender<Envelope>,
}

impl Writer {
    /// Starts the writer thread on its own connection. It stops when every `Writer` is dropped.
    pub fn spawn(
        store: &Store,
        config: WriterConfig,
        activity: broadcast::Sender<Activity>,
    ) -> Result<Writer, StoreError> {
        let conn = store.group_conn()?;
        let (tx, rx) = mpsc::channel(config.queue.max(1));
        let store = store.clone_for_writer()?;
        std::thread::Builder::new()
            .name("inlet-writer".into())
            .spawn(move || run(store, conn, rx, config, activity))
            .map_err(|e| StoreError::Open {
                path: "the database".into(),
                message: format!("writer thread: {e}"),
            })?;
        Ok(Writer { tx })
    }

    /// Queues a job and waits for its answer, which comes after its group is committed.
    pub async fn submit(&self, job: Job) -> Answer {
        let rid = job.incoming.request_id.clone();
        let (reply, answer) = oneshot::channel();
        match self.tx.try_send(Envelope { job, reply }) {
            Ok(()) => {}
            Err(mpsc::error::TrySendError::Full(_)) => return IngestError::Overloaded.answer(&rid),
            Err(mpsc::error::TrySendError::Closed(_)) => {
                return IngestError::StoreUnavailable.answer(&rid)
            }
        }
        match answer.await {
            Ok((answer, job)) => {
                drop(job);
                answer
            }
            Err(_) => IngestError::StoreUnavailable.answer(&rid),
        }
    }
}

/// Groups smaller than this wait `JOIN_WAIT` once for more requests (only when several are
/// already waiting: a lone request is committed at once).
const SMALL_GROUP: usize = 16;
const JOIN_WAIT: std::time::Duration = std::time::Duration::from_micros(250);

fn drain(rx: &mut mpsc::Receiver<Envelope>, group: &mut Vec<Envelope>, max: usize) {
    while group.len() < max {
        match rx.try_recv() {
            Ok(e) => group.push(e),
            Err(_) => break,
        }
    }
}

fn run(
    store: Option<Store>,
    mut conn: GroupConn,
    mut rx: mpsc::Receiver<Envelope>,
    config: WriterConfig,
    activity: broadcast::Sender<Activity>,
) {
    let mut group: Vec<Envelope> = Vec::with_capacity(config.max_group);
    while let Some(first) = rx.blocking_recv() {
        group.push(first);
        drain(&mut rx, &mut group, config.max_group);
        // A commit costs an fsync whatever its size: when only a few requests are waiting, give
        // the others that are being read a moment to join this group.
        if group.len() > 1 && group.len() < config.max_group.min(SMALL_GROUP) {
            std::thread::sleep(JOIN_WAIT);
            drain(&mut rx, &mut group, config.max_group);
        }
        let answers = match &store {
            Some(store) => commit_shared(store, &mut conn, &mut group, config.keep_requests),
            None => commit_group(&conn, &mut group, config.keep_requests).unwrap_or_else(|e| e),
        };
        for (env, (answer, logged)) in group.drain(..).zip(answers) {
            if logged {
                let i = &env.job.incoming;
                let _ = activity.send(Activity {
                    connection_id: i.connection_id.clone(),
                    request_id: i.request_id.clone(),
                    status: answer.status,
                    received_at: i.received_at.clone(),
                });
            }
            let _ = env.reply.send((answer, env.job));
        }
    }
}

/// Each request's answer and whether it was logged.
type Answers = Vec<(Answer, bool)>;

/// Every request of a group the store failed as a whole: 503 or 500 by the failure's kind.
fn failed(g: &[Envelope], e: &StoreError) -> Answers {
    let err = IngestError::from_store(e);
    g.iter()
        .map(|env| (err.answer(&env.job.incoming.request_id), false))
        .collect()
}

fn unavailable(g: &[Envelope]) -> Answers {
    failed(g, &StoreError::Unavailable("retries exhausted".into()))
}

/// Attempts at a group on a shared store before its requests are answered 503.
const ATTEMPTS: usize = 4;

/// A group on PostgreSQL: reconnect if the session was lost, lock the group's keys, run it, and
/// run it again from the start after a race with another receiver.
fn commit_shared(
    store: &Store,
    conn: &mut GroupConn,
    group: &mut [Envelope],
    keep: usize,
) -> Vec<(Answer, bool)> {
    let mut keys = Vec::new();
    for env in group.iter() {
        super::lock_keys(&env.job, &mut keys);
    }
    for attempt in 1..=ATTEMPTS {
        if let Err(e) = store.revive(conn) {
            tracing::error!(requests = group.len(), cause = %e, "the writer cannot reach the database");
            return failed(group, &e);
        }
        let locked = conn.begin().and_then(|()| match conn.tx() {
            Some(crate::store::Tx::Postgres(p)) => pg::lock_keys(p, &mut keys),
            _ => Ok(()),
        });
        let result = match locked {
            Ok(()) => commit_group_in(conn, group, keep),
            Err(e) => Err(Failed::Store(e)),
        };
        match result {
            Ok(answers) => return answers,
            Err(Failed::Store(e)) if e.is_retryable() && attempt < ATTEMPTS => {
                conn.rollback();
                continue;
            }
            // The session was lost (a database restart): once more on a new one.
            Err(Failed::Store(e)) if e.is_unavailable() && attempt == 1 => {
                conn.reset();
                continue;
            }
            Err(Failed::Store(e)) => {
                tracing::error!(requests = group.len(), cause = %e, "the writer could not commit a group");
                conn.rollback();
                return failed(group, &e);
            }
            Err(Failed::Answered(a)) => return a,
        }
    }
    unavailable(group)
}

enum Failed {
    /// The whole group failed on the store (retry it, or answer 503).
    Store(StoreError),
    /// The group was rolled back and already has its answers.
    Answered(Vec<(Answer, bool)>),
}

/// Answers for each job (and whether it was logged), valid only once this returns: after commit.
fn commit_group(conn: &GroupConn, group: &mut [Envelope], keep: usize) -> Result<Answers, Answers> {
    if let Err(e) = conn.begin() {
        tracing::error!(requests = group.len(), cause = %e, "the writer could not start a transaction");
        return Err(failed(group, &e));
    }
    match commit_group_in(conn, group, keep) {
        Ok(a) => Ok(a),
        Err(Failed::Answered(a)) => Err(a),
        Err(Failed::Store(e)) => {
            tracing::error!(requests = group.len(), cause = %e, "the writer's commit failed");
            conn.rollback();
            Err(failed(group, &e))
        }
    }
}

/// The group inside its begun transaction.
fn commit_group_in(
    conn: &GroupConn,
    group: &mut [Envelope],
    keep: usize,
) -> Result<Vec<(Answer, bool)>, Failed> {
    let Some(tx) = conn.tx() else {
        return Err(Failed::Store(StoreError::Unavailable(
            "not connected".into(),
        )));
    };
    let shared = conn.shared();
    let mut answers = Vec::with_capacity(group.len());
    for env in group.iter_mut() {
        if let Err(e) = conn.exec("SAVEPOINT request") {
            if shared {
                return Err(Failed::Store(e));
            }
            let rid = &env.job.incoming.request_id;
            tracing::error!(request_id = %rid, cause = %e, "the writer's savepoint failed");
            answers.push((IngestError::from_store(&e).answer(rid), false));
            continue;
        }
        let result = catch_unwind(AssertUnwindSafe(|| process(tx, &env.job)));
        let rid = &env.job.incoming.request_id;
        let (answer, ok) = match result {
            Ok(Ok(a)) => (a, true),
            Ok(Err(e)) if shared && (e.is_retryable() || e.is_unavailable()) => {
                return Err(Failed::Store(e));
            }
            Ok(Err(e)) => {
                tracing::error!(
                    connection = %env.job.incoming.connection_id,
                    request_id = %rid,
                    cause = %e,
                    "request not written"
                );
                (IngestError::from_store(&e).answer(rid), false)
            }
            Err(_) => {
                tracing::error!(
                    connection = %env.job.incoming.connection_id,
                    request_id = %rid,
                    cause = "a panic while planning or writing",
                    "request not written"
                );
                (IngestError::Internal.answer(rid), false)
            }
        };
        let end = if ok {
            conn.exec("RELEASE request")
        } else {
            conn.exec("ROLLBACK TO request")
                .and_then(|()| conn.exec("RELEASE request"))
        };
        if let Err(e) = end {
            tracing::error!(cause = %e, "the writer could not close a savepoint");
            conn.rollback();
            return Err(Failed::Answered(failed(group, &e)));
        }
        answers.push((answer, ok));
    }
    let touched: BTreeSet<&str> = group
        .iter()
        .map(|e| e.job.incoming.connection_id.as_str())
        .collect();
    for c in touched {
        if let Err(e) = requests::prune(tx, c, keep) {
            if shared {
                return Err(Failed::Store(e));
            }
            tracing::warn!(connection = %c, cause = %e, "pruning the request log failed");
        }
    }
    conn.exec("COMMIT").map_err(Failed::Store)?;
    Ok(answers)
}
