//! The single writer (DESIGN §7): one thread owns a write connection and commits concurrent
//! requests in groups. It drains the queue, runs each request in a savepoint of one transaction (a
//! request whose store work fails is rolled back alone), commits once, and only then answers every
//! request of the group. A 2xx therefore means the rows are on disk.

use super::{process_owned, Activity, Answer, IngestError, Job};
use crate::store::queries::requests;
use crate::store::{Store, StoreError};
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
    reply: oneshot::Sender<Answer>,
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
        let conn = store.connect()?;
        // Checkpoint less often than every 1,000 pages: request bodies fill the WAL quickly, and
        // each checkpoint syncs the database file inside a commit.
        conn.pragma_update(None, "wal_autocheckpoint", 8192)?;
        let (tx, rx) = mpsc::channel(config.queue.max(1));
        std::thread::Builder::new()
            .name("inlet-writer".into())
            .spawn(move || run(conn, rx, config, activity))
            .map_err(|e| StoreError::Open {
                path: store.path().display().to_string(),
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
        answer
            .await
            .unwrap_or_else(|_| IngestError::StoreUnavailable.answer(&rid))
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
    mut conn: rusqlite::Connection,
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
        let answers = commit_group(&mut conn, &mut group, config.keep_requests);
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
            let _ = env.reply.send(answer);
        }
    }
}

/// Runs one transaction-control statement through the statement cache (parsed once per writer).
fn exec(conn: &rusqlite::Connection, sql: &str) -> rusqlite::Result<()> {
    conn.prepare_cached(sql)?.execute([])?;
    Ok(())
}

/// Answers for each job (and whether it was logged), valid only once this returns: after commit.
fn commit_group(
    conn: &mut rusqlite::Connection,
    group: &mut [Envelope],
    keep: usize,
) -> Vec<(Answer, bool)> {
    let unavailable = |g: &[Envelope]| {
        g.iter()
            .map(|e| {
                (
                    IngestError::StoreUnavailable.answer(&e.job.incoming.request_id),
                    false,
                )
            })
            .collect()
    };
    if let Err(e) = exec(conn, "BEGIN IMMEDIATE") {
        eprintln!("inlet: writer could not start a transaction: {e}");
        return unavailable(group);
    }
    let mut answers = Vec::with_capacity(group.len());
    for env in group.iter_mut() {
        if let Err(e) = exec(conn, "SAVEPOINT request") {
            let rid = &env.job.incoming.request_id;
            eprintln!("inlet: writer savepoint failed: {e}");
            answers.push((IngestError::StoreUnavailable.answer(rid), false));
            continue;
        }
        let result = catch_unwind(AssertUnwindSafe(|| process_owned(conn, &mut env.job)));
        let rid = &env.job.incoming.request_id;
        let (answer, ok) = match result {
            Ok(Ok(a)) => (a, true),
            Ok(Err(e)) => {
                eprintln!("inlet: request {rid} not written: {e}");
                (IngestError::StoreUnavailable.answer(rid), false)
            }
            Err(_) => {
                eprintln!("inlet: request {rid} not written: internal error");
                (IngestError::Internal.answer(rid), false)
            }
        };
        let end = if ok {
            exec(conn, "RELEASE request")
        } else {
            exec(conn, "ROLLBACK TO request").and_then(|()| exec(conn, "RELEASE request"))
        };
        if let Err(e) = end {
            eprintln!("inlet: writer could not close a savepoint: {e}");
            let _ = conn.execute_batch("ROLLBACK");
            return unavailable(group);
        }
        answers.push((answer, ok));
    }
    let touched: BTreeSet<&str> = group
        .iter()
        .map(|e| e.job.incoming.connection_id.as_str())
        .collect();
    for c in touched {
        if let Err(e) = requests::prune(conn, c, keep) {
            eprintln!("inlet: pruning the request log failed: {e}");
        }
    }
    if let Err(e) = exec(conn, "COMMIT") {
        eprintln!("inlet: writer commit failed: {e}");
        let _ = conn.execute_batch("ROLLBACK");
        return unavailable(group);
    }
    answers
}
