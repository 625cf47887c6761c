//! A store that fails under a running listener, through the real listener: a store that is busy,
//! locked with `Retry-After` (the same request may succeed later), data that cannot be read
//! is 500 without it; neither answer says anything of the store's inside.

mod common;

use common::*;
use inlet_core::Kind;
use serde_json::{json, Value};
use std::io::Write;
use std::time::Duration;

/// What an answer must never show: the store's words, its statements, where it lives.
fn says_nothing_of_the_inside(r: &Reply, db: &TestDb) {
    let text = r.body.to_string();
    let lower = text.to_lowercase();
    for word in [
        "sqlite",
        "postgres",
        "database",
        "malformed",
        "locked",
        "busy",
        "select",
        "column",
        "table",
        "external_id",
        "index",
        "sqlstate",
        ".db",
    ] {
        assert!(!lower.contains(word), "the answer says {word:?}: {text}");
    }
    assert!(
        !text.contains(&db.target),
        "the answer names the store: {text}"
    );
    assert!(
        !text.contains(&*db.dir.path().to_string_lossy()),
        "the answer names a path: {text}"
    );
    let keys: Vec<&String> = r.body["error"].as_object().unwrap().keys().collect();
    assert_eq!(keys, ["code", "detail"], "{text}");
}

fn sqlite(s: &Server) -> rusqlite::Connection {
    let c = rusqlite::Connection::open(s.db_path()).unwrap();
    c.busy_timeout(Duration::from_secs(5)).unwrap();
    c
}

/// A session of `psql` that keeps its transaction open until `release`.
struct HeldLock {
    child: std::process::Child,
}

impl HeldLock {
    /// `lock` (a `LOCK TABLE` statement) taken on `table` in a transaction left open.
    fn take(url: &str, table: &str, lock: &str) -> HeldLock {
        let mut child = std::process::Command::new("psql")
            .args(["-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", url])
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::null())
            .spawn()
            .expect("psql runs");
        let stdin = child.stdin.as_mut().unwrap();
        writeln!(stdin, "BEGIN; {lock};").unwrap();
        stdin.flush().unwrap();
        let held = format!(
            "SELECT count(*) FROM pg_locks l JOIN pg_class c ON c.oid = l.relation
             WHERE c.relname = '{table}' AND l.mode = 'AccessExclusiveLock' AND l.granted"
        );
        let deadline = std::time::Instant::now() + Duration::from_secs(30);
        while psql_value(url, &held) != "1" {
            assert!(
                std::time::Instant::now() < deadline,
                "psql did not take the lock"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        HeldLock { child }
    }

    fn release(mut self) {
        let mut stdin = self.child.stdin.take().unwrap();
        writeln!(stdin, "ROLLBACK;").unwrap();
        drop(stdin);
        let _ = self.child.wait();
    }
}

impl Drop for HeldLock {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

async fn a_first_row_is_written(s: &Server, c: &Conn) {
    let r = s.post(c, &json!({"id": "a1", "name": "Acme"})).await;
    assert_eq!(r.status, 200, "{}", r.body);
}

#[tokio::test]
async fn a_store_locked_by_another_process_is_503_with_retry_after_and_nothing_of_the_inside() {
    let s = Server::start_with(|_| {}, Some(Duration::from_millis(200))).await;
    let c = s.connection(Kind::Accounts, Some(accounts_mapping()));
    a_first_row_is_written(&s, &c).await;
    let held = match &s.db.pg {
        None => {
            // Another process's exclusive transaction: the writer cannot take the file.
            let blocker = sqlite(&s);
            blocker.execute_batch("BEGIN EXCLUSIVE").unwrap();
            Err(blocker)
        }
        Some(pg) => Ok(blocking(|| {
            HeldLock::take(
                &pg.url,
                "accounts",
                "LOCK TABLE accounts IN ACCESS EXCLUSIVE MODE",
            )
        })),
    };
    let r = s.post(&c, &json!({"id": "a2", "name": "Globex"})).await;
    assert_eq!(r.status, 503, "{}", r.body);
    assert_eq!(r.retry_after.as_deref(), Some("1"));
    assert_eq!(r.body["ok"], false);
    assert_eq!(r.body["error"]["code"], "store_unavailable");
    assert!(r.body["request_id"].is_string());
    says_nothing_of_the_inside(&r, &s.db);
    match held {
        Err(blocker) => blocker.execute_batch("ROLLBACK").unwrap(),
        Ok(lock) => blocking(|| lock.release()),
    }
    let names: Vec<Option<String>> = s.accounts().into_iter().map(|a| a.name).collect();
    assert_eq!(
        names,
        [Some("Acme".to_string())],
        "nothing of the 503 was written"
    );
    let again = s.post(&c, &json!({"id": "a2", "name": "Globex"})).await;
    assert_eq!(
        again.status, 200,
        "the same request succeeds once the store is free"
    );
}

#[tokio::test]
async fn stored_data_that_cannot_be_read_is_500_without_retry_after_and_nothing_of_the_inside() {
    let s = Server::start().await;
    let c = s.connection(Kind::Accounts, Some(accounts_mapping()));
    a_first_row_is_written(&s, &c).await;
    match &s.db.pg {
        None => {
            // The index the look-up by external ID reads now points at the table's own pages: a
            // damaged file, as a disk or a copy half made leaves one. The schema version moves so
            // that the listener's connections read the schema again.
            let w = sqlite(&s);
            w.execute_batch(
                "PRAGMA writable_schema = ON;
                 UPDATE sqlite_schema SET rootpage =
                     (SELECT rootpage FROM sqlite_schema WHERE type = 'table' AND name = 'accounts')
                   WHERE name = 'accounts_by_external_id';",
            )
            .unwrap();
            let v: i64 = w
                .query_row("PRAGMA schema_version", [], |r| r.get(0))
                .unwrap();
            w.execute_batch(&format!(
                "PRAGMA schema_version = {}; PRAGMA writable_schema = OFF;",
                v + 1
            ))
            .unwrap();
        }
        Some(pg) => psql(
            &pg.url,
            "ALTER TABLE accounts RENAME COLUMN external_id TO external_id_gone",
        ),
    }
    let r = s.post(&c, &json!({"id": "a2", "name": "Globex"})).await;
    assert_eq!(r.status, 500, "{}", r.body);
    assert_eq!(r.retry_after, None, "sending it again will not help");
    assert_eq!(r.body["ok"], false);
    assert_eq!(r.body["error"]["code"], "internal");
    assert!(r.body["request_id"].is_string());
    says_nothing_of_the_inside(&r, &s.db);
    // The listener itself is still up: what does not touch the damaged part is answered.
    let probe = s
        .send(reqwest::Method::GET, &c.url, None, None, Vec::new())
        .await;
    assert_eq!(probe.status, 200);
    let test: Value = s.post(&c, &json!({})).await.body;
    assert_eq!(test["connection_test"], true);
}
