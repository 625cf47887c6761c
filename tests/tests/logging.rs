//! The real `inlet serve`'s log on standard error: one line per request at info, with its
//! connection, request id, status and rows, and at no level a secret, a header or a body.

mod common;

use common::*;
use hmac::{Hmac, Mac};
use serde_json::{json, Value};
use std::io::BufRead;
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// A running `inlet serve` whose standard error is kept, line by line.
struct Logged {
    child: std::process::Child,
    base: String,
    stderr: Arc<Mutex<Vec<String>>>,
}

impl Logged {
    fn start(db: &TestDb, filter: &str) -> Logged {
        let mut child = Command::new(inlet_bin())
            .arg("--db")
            .arg(db.arg())
            .args(["serve", "--listen", "127.0.0.1:0"])
            .env("INLET_LOG", filter)
            .env_remove("RUST_LOG")
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("inlet serve starts");
        let stderr = Arc::new(Mutex::new(Vec::new()));
        let (lines, pipe) = (stderr.clone(), child.stderr.take().unwrap());
        std::thread::spawn(move || {
            for line in std::io::BufReader::new(pipe).lines().map_while(Result::ok) {
                lines.lock().unwrap().push(line);
            }
        });
        let base = listening_address(child.stdout.take().unwrap());
        Logged {
            child,
            base,
            stderr,
        }
    }

    /// Standard error once it holds a line with each of `needles` (or after 10 s).
    fn stderr_with(&self, needles: &[&str]) -> String {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let text = self.stderr.lock().unwrap().join("\n");
            if needles.iter().all(|n| text.contains(n)) || Instant::now() > deadline {
                return text;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Logged {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[tokio::test]
async fn debug_logging_has_a_line_per_request_and_never_a_secret_a_header_or_a_body() {
    let db = TestDb::fresh();
    let c = create_connection(db.arg(), "log", "accounts");
    let id = c["id"].as_str().unwrap().to_string();
    let auth = c["authorization"].as_str().unwrap().to_string();
    let mapping = db.dir.path().join("m.json");
    std::fs::write(&mapping, accounts_mapping().to_string()).unwrap();
    inlet_json(
        db.arg(),
        &["mapping", "set", &id, "--file", mapping.to_str().unwrap()],
    );
    let secret = "signing-secret-5d1f0c7a-never-in-a-log";
    inlet_json(
        db.arg(),
        &[
            "connections",
            "update",
            &id,
            "--verify",
            "hmac-sha256",
            "--signing-secret",
            secret,
        ],
    );
    let serve = Logged::start(&db, "debug");
    let url = format!("{}/hooks/{id}", serve.base);
    let client = reqwest::Client::new();
    let marker = "BODY-MARKER-3e9b";
    let body = json!({"id": "acct-1", "name": marker, "note": "x-tag-value-77c2"}).to_string();
    let mut mac = Hmac::<sha2::Sha256>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(body.as_bytes());
    let signature = format!("sha256={}", hex(&mac.finalize().into_bytes()));
    let post = |auth: &str, sig: &str, body: &str| {
        client
            .post(&url)
            .header("authorization", auth)
            .header("content-type", "application/json")
            .header("x-hub-signature-256", sig)
            .header("x-custom-header", "HEADER-MARKER-a81d")
            .body(body.to_string())
            .send()
    };
    let written = post(&auth, &signature, &body).await.unwrap();
    assert_eq!(written.status(), 200);
    let written: Value = written.json().await.unwrap();
    assert_eq!(written["created"], 1, "{written}");
    let wrong_auth = "Bearer wrong-authorization-9f4e";
    let refused = post(wrong_auth, &signature, &body).await.unwrap();
    assert_eq!(refused.status(), 401);
    let refused: Value = refused.json().await.unwrap();
    let unsigned = post(&auth, "sha256=00", &body).await.unwrap();
    assert_eq!(unsigned.status(), 401);
    let unsigned: Value = unsigned.json().await.unwrap();

    let rids: Vec<String> = [&written, &refused, &unsigned]
        .iter()
        .map(|v| v["request_id"].as_str().unwrap().to_string())
        .collect();
    let needles: Vec<&str> = rids.iter().map(String::as_str).collect();
    let log = serve.stderr_with(&needles);
    let line_of = |rid: &str| {
        log.lines()
            .find(|l| l.contains(rid))
            .unwrap_or_else(|| panic!("no log line for request {rid}:\n{log}"))
            .to_string()
    };
    let line = line_of(&rids[0]);
    for part in ["INFO", "request", &id, "status=200", "rows=1", "ms="] {
        assert!(line.contains(part), "{part:?} is missing from {line:?}");
    }
    assert!(line_of(&rids[1]).contains("status=401"));
    assert!(line_of(&rids[2]).contains("status=401"));
    for leak in [
        auth.as_str(),
        wrong_auth,
        secret,
        signature.as_str(),
        marker,
        "x-tag-value-77c2",
        "HEADER-MARKER-a81d",
    ] {
        assert!(!log.contains(leak), "the log holds {leak:?}:\n{log}");
    }
}

#[tokio::test]
async fn by_default_only_warnings_and_errors_are_logged_not_a_line_per_request() {
    let db = TestDb::fresh();
    let c = create_connection(db.arg(), "quiet", "accounts");
    let (id, auth) = (
        c["id"].as_str().unwrap(),
        c["authorization"].as_str().unwrap(),
    );
    let serve = Logged::start(&db, "");
    let r = reqwest::Client::new()
        .post(format!("{}/hooks/{id}", serve.base))
        .header("authorization", auth)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200, "a connection test");
    let rid = r.json::<Value>().await.unwrap()["request_id"]
        .as_str()
        .unwrap()
        .to_string();
    // Nothing is waited for: give a line that should not come the time it would take to come.
    std::thread::sleep(Duration::from_millis(500));
    let log = serve.stderr_with(&[]);
    assert!(!log.contains(&rid) && !log.contains(" INFO "), "{log}");
}
