//! Several receivers on one PostgreSQL database (docs/design.md §11): real `inlet serve` processes, a real
//! PostgreSQL server, real HTTP. Needs `INLET_TEST_POSTGRES_URL` (make test sets it); without it
//! every test here says it was skipped.

mod common;

use common::*;
use serde_json::{json, Value};
use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// `n` receivers on one fresh database.
struct Fleet {
    db: TestDb,
    receivers: Vec<ServeProcess>,
}

impl Fleet {
    fn start(server: &str, n: usize) -> Fleet {
        let db = TestDb::postgres(server, tempfile::tempdir().unwrap());
        Fleet::on(db, n)
    }

    fn on(db: TestDb, n: usize) -> Fleet {
        // Started side by side: migrations must be safe when several receivers start at once.
        let handles: Vec<_> = (0..n)
            .map(|_| {
                let target = db.target.clone();
                std::thread::spawn(move || ServeProcess::start(Path::new(&target), &[]))
            })
            .collect();
        let receivers = handles.into_iter().map(|h| h.join().unwrap()).collect();
        Fleet { db, receivers }
    }

    /// A connection made with the CLI, with `mapping` set (which enables it).
    fn connection(&self, kind: &str, mapping: Value) -> (String, String) {
        let c = inlet_json(
            self.db.arg(),
            &["connections", "create", "--name", kind, "--kind", kind],
        );
        let id = c["id"].as_str().unwrap().to_string();
        let file = self.db.dir.path().join(format!("{id}.json"));
        std::fs::write(&file, mapping.to_string()).unwrap();
        inlet_json(
            self.db.arg(),
            &["mapping", "set", &id, "--file", file.to_str().unwrap()],
        );
        (id, c["authorization"].as_str().unwrap().to_string())
    }

    fn url(&self, receiver: usize, id: &str) -> String {
        format!("{}/hooks/{id}", self.receivers[receiver].base)
    }

    fn records(&self, kind: &str) -> Vec<Value> {
        inlet_json(self.db.arg(), &["records", kind, "--limit", "1000000"])
            .as_array()
            .unwrap()
            .clone()
    }
}

struct Answer {
    status: u16,
    retry_after: Option<String>,
}

async fn post(
    client: &reqwest::Client,
    url: &str,
    auth: &str,
    body: &Value,
) -> Result<Answer, reqwest::Error> {
    let res = client
        .post(url)
        .header("authorization", auth)
        .header("content-type", "application/json")
        .body(body.to_string())
        .send()
        .await?;
    let status = res.status().as_u16();
    let retry_after = res
        .headers()
        .get("retry-after")
        .map(|v| v.to_str().unwrap_or_default().to_string());
    let _ = res.bytes().await?;
    Ok(Answer {
        status,
        retry_after,
    })
}

fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .build()
        .unwrap()
}

fn rt() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
}

const KEYS: usize = 60;
const SENDERS: usize = 64;

#[test]
fn three_receivers_64_senders_the_same_keys_everywhere_one_record_per_key() {
    let Some(server) = postgres_server("three_receivers_64_senders") else {
        return;
    };
    let fleet = Fleet::start(&server, 3);
    let ids = fleet.connection(
        "accounts",
        json!({"version": 1, "kind": "accounts", "match": {"id": "id"}}),
    );
    let names = fleet.connection(
        "accounts",
        json!({"version": 1, "kind": "accounts", "match": {"name": "name"}}),
    );
    let emails = fleet.connection(
        "contacts",
        json!({"version": 1, "kind": "contacts", "match": {"email": "email"}}),
    );
    let events = fleet.connection(
        "events",
        json!({"version": 1, "kind": "events",
               "event": {"type": {"value": "Seen"}, "account_id": "acct", "id": "eid"}}),
    );
    let rt = rt();
    let client = client();
    rt.block_on(async {
        let seed = post(
            &client,
            &fleet.url(0, &ids.0),
            &ids.1,
            &json!({"id": "acct-ev"}),
        )
        .await
        .unwrap();
        assert_eq!(seed.status, 200);
    });

    // Every sender sends every key of every kind, in batches of ten, each batch to another
    // receiver than the sender before it: each key reaches all three receivers many times over,
    // at the same moment. Case differs between senders: names and emails fold.
    let statuses: Arc<Mutex<HashMap<u16, usize>>> = Arc::default();
    let kinds = [ids.clone(), names.clone(), emails.clone(), events.clone()];
    let urls: Vec<Vec<String>> = (0..3)
        .map(|r| kinds.iter().map(|(id, _)| fleet.url(r, id)).collect())
        .collect();
    rt.block_on(async {
        let mut tasks = Vec::new();
        for s in 0..SENDERS {
            let (client, statuses, kinds, urls) =
                (client.clone(), statuses.clone(), kinds.clone(), urls.clone());
            tasks.push(tokio::spawn(async move {
                for batch in 0..KEYS / 10 {
                    let keys: Vec<usize> = (0..10).map(|i| ((batch + s) % (KEYS / 10)) * 10 + i).collect();
                    let upper = s % 2 == 0;
                    let bodies = [
                        json!(keys.iter().map(|k| json!({"id": format!("acct-{k}")})).collect::<Vec<_>>()),
                        json!(keys.iter().map(|k| json!({"name": if upper { format!("NAME {k}") } else { format!("name {k}") }})).collect::<Vec<_>>()),
                        json!(keys.iter().map(|k| json!({"email": if upper { format!("User-{k}@Example.COM") } else { format!("user-{k}@example.com") }})).collect::<Vec<_>>()),
                        json!(keys.iter().map(|k| json!({"acct": "acct-ev", "eid": format!("ev-{k}")})).collect::<Vec<_>>()),
                    ];
                    for (kind, body) in bodies.iter().enumerate() {
                        let receiver = (s + batch + kind) % 3;
                        loop {
                            let a = post(&client, &urls[receiver][kind], &kinds[kind].1, body)
                                .await
                                .unwrap_or_else(|e| panic!("sender {s}: no answer: {e}"));
                            *statuses.lock().unwrap().entry(a.status).or_default() += 1;
                            if a.status == 429 {
                                assert!(a.retry_after.is_some(), "429 without Retry-After");
                                tokio::time::sleep(Duration::from_millis(200)).await;
                                continue;
                            }
                            assert_eq!(a.status, 200, "sender {s}, kind {kind}");
                            break;
                        }
                    }
                }
            }));
        }
        for t in tasks {
            t.await.unwrap();
        }
    });
    let statuses = statuses.lock().unwrap().clone();
    eprintln!("answers: {statuses:?}");
    assert!(
        statuses.keys().all(|s| *s == 200 || *s == 429),
        "{statuses:?}"
    );

    let accounts = fleet.records("accounts");
    let by_id: Vec<&str> = accounts
        .iter()
        .filter_map(|a| a["external_id"].as_str())
        .filter(|e| e.starts_with("acct-") && *e != "acct-ev")
        .collect();
    let distinct: HashSet<&&str> = by_id.iter().collect();
    assert_eq!(
        (by_id.len(), distinct.len()),
        (KEYS, KEYS),
        "one account per ID"
    );
    let by_name: Vec<String> = accounts
        .iter()
        .filter(|a| a["external_id"].is_null())
        .map(|a| a["name"].as_str().unwrap().to_lowercase())
        .collect();
    let distinct: HashSet<&String> = by_name.iter().collect();
    assert_eq!(
        (by_name.len(), distinct.len()),
        (KEYS, KEYS),
        "one account per name"
    );
    let contacts = fleet.records("contacts");
    let emails_seen: HashSet<String> = contacts
        .iter()
        .map(|c| c["email"].as_str().unwrap().to_lowercase())
        .collect();
    assert_eq!(
        (contacts.len(), emails_seen.len()),
        (KEYS, KEYS),
        "one contact per email"
    );
    let evs = fleet.records("events");
    let eids: HashSet<&str> = evs.iter().filter_map(|e| e["event_id"].as_str()).collect();
    assert_eq!(
        (evs.len(), eids.len()),
        (KEYS, KEYS),
        "one event per event ID"
    );
}

/// One answer a sender got: (receiver, status, Retry-After, when).
type Seen = (usize, u16, Option<String>, Instant);

/// Senders that post new keys round robin over the receivers until `stop`, moving on to the next
/// receiver when one does not answer (as a load balancer would). Acknowledged keys go to `acked`.
struct Load {
    acked: Arc<Mutex<HashSet<String>>>,
    /// (receiver, status, time) of every answer.
    answers: Arc<Mutex<Vec<Seen>>>,
    stop: Arc<AtomicBool>,
    tasks: Vec<tokio::task::JoinHandle<()>>,
}

impl Load {
    fn start(
        rt: &tokio::runtime::Runtime,
        urls: Vec<String>,
        auth: String,
        senders: usize,
    ) -> Load {
        let acked: Arc<Mutex<HashSet<String>>> = Arc::default();
        let answers: Arc<Mutex<Vec<_>>> = Arc::default();
        let stop = Arc::new(AtomicBool::new(false));
        let seq = Arc::new(AtomicUsize::new(0));
        let client = reqwest::Client::builder()
            .timeout(Duration::from_secs(10))
            .build()
            .unwrap();
        let tasks = (0..senders)
            .map(|s| {
                let (client, urls, auth, acked, answers, stop, seq) = (
                    client.clone(),
                    urls.clone(),
                    auth.clone(),
                    acked.clone(),
                    answers.clone(),
                    stop.clone(),
                    seq.clone(),
                );
                rt.spawn(async move {
                    let mut r = s % urls.len();
                    while !stop.load(Ordering::Relaxed) {
                        let n = seq.fetch_add(1, Ordering::Relaxed);
                        let keys: Vec<String> = (0..5).map(|i| format!("k{n}-{i}")).collect();
                        let body = json!(keys.iter().map(|k| json!({"id": k})).collect::<Vec<_>>());
                        match post(&client, &urls[r], &auth, &body).await {
                            Ok(a) => {
                                if (200..300).contains(&a.status) {
                                    acked.lock().unwrap().extend(keys);
                                }
                                let wait = a.status == 429 || a.status == 503;
                                answers.lock().unwrap().push((
                                    r,
                                    a.status,
                                    a.retry_after,
                                    Instant::now(),
                                ));
                                if wait {
                                    tokio::time::sleep(Duration::from_millis(100)).await;
                                }
                            }
                            Err(_) => {
                                // No answer within the client's timeout, or no connection: 0.
                                answers.lock().unwrap().push((r, 0, None, Instant::now()));
                                tokio::time::sleep(Duration::from_millis(20)).await
                            }
                        }
                        r = (r + 1) % urls.len();
                    }
                })
            })
            .collect();
        Load {
            acked,
            answers,
            stop,
            tasks,
        }
    }

    fn finish(self, rt: &tokio::runtime::Runtime) -> (HashSet<String>, Vec<Seen>) {
        self.stop.store(true, Ordering::Relaxed);
        rt.block_on(async {
            for t in self.tasks {
                t.await.unwrap();
            }
        });
        let acked = self.acked.lock().unwrap().clone();
        let answers = self.answers.lock().unwrap().clone();
        (acked, answers)
    }
}

fn stored_ids(fleet: &Fleet) -> HashSet<String> {
    fleet
        .records("accounts")
        .iter()
        .filter_map(|a| a["external_id"].as_str().map(str::to_string))
        .collect()
}

fn assert_all_there(acked: &HashSet<String>, stored: &HashSet<String>) {
    let missing: Vec<&String> = acked.iter().filter(|k| !stored.contains(*k)).collect();
    assert!(
        missing.is_empty(),
        "{} of {} acknowledged rows are missing, e.g. {:?}",
        missing.len(),
        acked.len(),
        &missing[..missing.len().min(5)]
    );
}

#[test]
fn a_receiver_killed_under_load_loses_nothing_it_acknowledged_and_the_others_keep_answering() {
    let Some(server) = postgres_server("a_receiver_killed_under_load") else {
        return;
    };
    let mut fleet = Fleet::start(&server, 3);
    let (id, auth) = fleet.connection(
        "accounts",
        json!({"version": 1, "kind": "accounts", "match": {"id": "id"}}),
    );
    let rt = rt();
    let urls = (0..3).map(|r| fleet.url(r, &id)).collect();
    let load = Load::start(&rt, urls, auth, 32);
    std::thread::sleep(Duration::from_secs(3));
    fleet.receivers[0].kill9();
    let killed_at = Instant::now();
    std::thread::sleep(Duration::from_secs(3));
    let (acked, answers) = load.finish(&rt);

    let after: Vec<&Seen> = answers.iter().filter(|a| a.3 > killed_at).collect();
    for r in [1, 2] {
        let ok = after.iter().filter(|a| a.0 == r && a.1 == 200).count();
        assert!(
            ok > 0,
            "receiver {r} answered no 200 after receiver 0 was killed"
        );
        assert!(
            answers.iter().all(|a| a.0 != r || a.1 != 0),
            "receiver {r} left a request unanswered"
        );
    }
    assert!(
        answers.iter().all(|a| a.1 < 500),
        "a 5xx: {:?}",
        answers.iter().find(|a| a.1 >= 500).map(|a| a.1)
    );
    assert!(acked.len() >= 100, "only {} rows acknowledged", acked.len());
    assert_all_there(&acked, &stored_ids(&fleet));
}

fn pg_cluster(args: &[&str]) -> String {
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../scripts/pg-cluster.sh");
    let out = std::process::Command::new(script)
        .args(args)
        .output()
        .expect("pg-cluster.sh runs");
    assert!(
        out.status.success(),
        "pg-cluster.sh {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

/// A cluster of its own, so that stopping it disturbs no other test.
struct OwnCluster {
    dir: tempfile::TempDir,
    url: String,
}

impl OwnCluster {
    fn start() -> OwnCluster {
        let dir = tempfile::tempdir().unwrap();
        let url = pg_cluster(&["start", dir.path().to_str().unwrap()]);
        OwnCluster { dir, url }
    }

    fn stop_immediate(&self) {
        pg_cluster(&["stop", self.dir.path().to_str().unwrap(), "immediate"]);
    }

    fn start_again(&self) {
        pg_cluster(&["start", self.dir.path().to_str().unwrap()]);
    }
}

impl Drop for OwnCluster {
    fn drop(&mut self) {
        let _ = std::process::Command::new(
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../scripts/pg-cluster.sh"),
        )
        .args(["stop", self.dir.path().to_str().unwrap(), "immediate"])
        .output();
    }
}

#[test]
fn the_database_stopped_under_load_means_503_with_retry_after_then_2xx_again_without_a_restart() {
    if postgres_server("the_database_stopped_under_load").is_none() {
        return;
    }
    let cluster = OwnCluster::start();
    let fleet = Fleet::start(&cluster.url, 2);
    let (id, auth) = fleet.connection(
        "accounts",
        json!({"version": 1, "kind": "accounts", "match": {"id": "id"}}),
    );
    let rt = rt();
    let urls = (0..2).map(|r| fleet.url(r, &id)).collect();
    let load = Load::start(&rt, urls, auth, 16);
    std::thread::sleep(Duration::from_secs(2));
    cluster.stop_immediate();
    let down_at = Instant::now();
    // Longer than a request takes to find the database gone (connect and statement timeouts).
    std::thread::sleep(Duration::from_secs(8));
    let up_at = Instant::now();
    cluster.start_again();
    // Back: the receivers answer 2xx again by themselves.
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        std::thread::sleep(Duration::from_millis(500));
        let ok_since = load
            .answers
            .lock()
            .unwrap()
            .iter()
            .filter(|a| a.3 > up_at && a.1 == 200)
            .map(|a| a.0)
            .collect::<HashSet<usize>>();
        if ok_since.len() == 2 {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the receivers did not answer 200 again within 60 s of the database coming back"
        );
    }
    std::thread::sleep(Duration::from_secs(1));
    let (acked, answers) = load.finish(&rt);

    // While it was down (after the stop had finished, before the start began): 503 with
    // Retry-After, never a 2xx.
    let down: Vec<_> = answers
        .iter()
        .filter(|a| a.3 > down_at + Duration::from_millis(500) && a.3 < up_at)
        .collect();
    assert!(
        !down.is_empty(),
        "no answer at all while the database was down"
    );
    for a in &down {
        assert!(
            a.1 != 0,
            "a request had no answer within 10 s while the database was down"
        );
        assert!(
            a.1 == 503 || a.1 == 429,
            "answered {} while the database was down",
            a.1
        );
        assert!(a.2.is_some(), "{} without Retry-After", a.1);
    }
    assert!(down.iter().any(|a| a.1 == 503));
    assert!(answers.iter().all(|a| a.1 != 500), "a 500");
    assert_all_there(&acked, &stored_ids(&fleet));
}

#[test]
fn a_rotated_authorization_is_refused_by_every_receiver_at_its_next_request() {
    let Some(server) = postgres_server("a_rotated_authorization_is_refused") else {
        return;
    };
    let fleet = Fleet::start(&server, 3);
    let (id, old) = fleet.connection(
        "accounts",
        json!({"version": 1, "kind": "accounts", "match": {"id": "id"}}),
    );
    let rt = rt();
    let client = client();
    rt.block_on(async {
        // Every receiver has seen (and may have cached) the connection with the old secret.
        for r in 0..3 {
            let a = post(
                &client,
                &fleet.url(r, &id),
                &old,
                &json!({"id": format!("before-{r}")}),
            )
            .await
            .unwrap();
            assert_eq!(a.status, 200);
        }
    });
    let rotated = inlet_json(
        fleet.db.arg(),
        &["connections", "update", &id, "--rotate-auth"],
    );
    let new = rotated["authorization"].as_str().unwrap().to_string();
    assert_ne!(new, old);
    rt.block_on(async {
        for r in 0..3 {
            let a = post(
                &client,
                &fleet.url(r, &id),
                &old,
                &json!({"id": format!("old-{r}")}),
            )
            .await
            .unwrap();
            assert_eq!(a.status, 401, "receiver {r} took the old secret");
            let a = post(
                &client,
                &fleet.url(r, &id),
                &new,
                &json!({"id": format!("new-{r}")}),
            )
            .await
            .unwrap();
            assert_eq!(a.status, 200, "receiver {r} refused the new secret");
        }
    });
    let stored = stored_ids(&fleet);
    assert!((0..3).all(|r| !stored.contains(&format!("old-{r}"))));
    assert!((0..3).all(|r| stored.contains(&format!("new-{r}"))));
}
