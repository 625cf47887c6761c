//! Through a real tunnel: `bore server` on loopback is the relay, `inlet serve --tunnel
//! bore=127.0.0.1` starts the real `bore` client for its listener. A Hightouch row posted to the
//! relay's public port lands; "check from outside" comes back to this listener; the bore client
//! killed, Inlet reports it down, starts it again, and the new URL works the same.

mod common;

use common::*;
use serde_json::{json, Value};
use std::io::BufRead;
use std::net::TcpListener;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// bore's control port: fixed in bore (no flag), so one relay at a time on this machine.
const BORE_CONTROL: u16 = 7835;

struct Killed(Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn bore_relay() -> Killed {
    assert!(
        Command::new("bore").arg("--version").output().is_ok(),
        "bore is not installed: run scripts/setup.sh (cargo install bore-cli)"
    );
    let end = Instant::now() + Duration::from_secs(60);
    while TcpListener::bind(("127.0.0.1", BORE_CONTROL)).is_err() {
        assert!(
            Instant::now() < end,
            "port {BORE_CONTROL} (bore's control port) stays taken"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
    let child = Command::new("bore")
        .args(["server", "--bind-addr", "127.0.0.1"])
        .args(["--min-port", "42000", "--max-port", "42999"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("bore server starts");
    let relay = Killed(child);
    let end = Instant::now() + Duration::from_secs(10);
    while std::net::TcpStream::connect(("127.0.0.1", BORE_CONTROL)).is_err() {
        assert!(Instant::now() < end, "bore server never listened");
        std::thread::sleep(Duration::from_millis(50));
    }
    relay
}

/// `inlet serve --tunnel …` with every line it prints sent to `lines`.
fn serve_with_tunnel(db: &Path, tunnel: &str) -> (Killed, mpsc::Receiver<String>) {
    let mut child = Command::new(inlet_bin())
        .arg("--db")
        .arg(db)
        .args(["serve", "--listen", "127.0.0.1:0", "--tunnel", tunnel])
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("inlet serve starts");
    let out = child.stdout.take().unwrap();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in std::io::BufReader::new(out).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    (Killed(child), rx)
}

fn wait_line(rx: &mpsc::Receiver<String>, prefix: &str, seen: &mut Vec<String>) -> String {
    let end = Instant::now() + Duration::from_secs(40);
    loop {
        let left = end.saturating_duration_since(Instant::now());
        match rx.recv_timeout(left) {
            Ok(l) => {
                seen.push(l.clone());
                if let Some(rest) = l.strip_prefix(prefix) {
                    return rest.trim().to_string();
                }
            }
            Err(_) => panic!("inlet serve never printed {prefix:?}; it printed {seen:#?}"),
        }
    }
}

fn tunnel_state(db: &Path) -> Value {
    inlet_json(db, &["settings"])["tunnel"].clone()
}

fn check(db: &Path, id: &str) -> Value {
    inlet_json(db, &["connections", "check", id])
}

#[tokio::test]
async fn a_row_through_a_real_bore_tunnel_lands_and_the_tunnel_comes_back_after_it_dies() {
    let _relay = bore_relay();
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("inlet.db");
    let c = create_connection(&db, "HT", "contacts");
    let id = c["id"].as_str().unwrap().to_string();
    let auth = c["authorization"].as_str().unwrap().to_string();
    assert!(c["loopback_only"] == true && c["loopback_warning"].is_string());
    let mapping = dir.path().join("m.json");
    std::fs::write(
        &mapping,
        json!({"version": 1, "kind": "contacts", "match": {"id": "id", "email": "email"}})
            .to_string(),
    )
    .unwrap();
    inlet_json(
        &db,
        &["mapping", "set", &id, "--file", mapping.to_str().unwrap()],
    );

    let (mut serve, lines) = serve_with_tunnel(&db, "bore=127.0.0.1");
    let mut seen = Vec::new();
    let listening = wait_line(&lines, "inlet: listening on ", &mut seen);
    let url = wait_line(&lines, "inlet: tunnel up: ", &mut seen);
    assert!(url.starts_with("http://127.0.0.1:42"), "{url}");
    assert_ne!(url, listening, "the public URL is the relay's port");
    let checked = wait_line(&lines, "inlet: check from outside ", &mut seen);
    assert!(checked.starts_with("ok"), "{checked}");

    // Every process shows the tunnel's URL while it runs.
    let shown = inlet_json(&db, &["connections", "show", &id]);
    assert_eq!(shown["webhook_url"], format!("{url}/hooks/{id}"));
    assert_eq!(
        (
            shown["tunnel"]["status"].as_str(),
            shown["tunnel"]["url"].as_str()
        ),
        (Some("up"), Some(url.as_str()))
    );
    let (ok, text, _) = inlet(&db, &["connections", "show", &id]);
    assert!(
        ok && text.contains(&format!("bore=127.0.0.1 up at {url}")),
        "{text}"
    );

    // A Hightouch row, posted to the relay's public port, is written.
    let row = sample("hightouch-row.json");
    let (status, body) = post_json(&format!("{url}/hooks/{id}"), &auth, &row).await;
    assert_eq!((status, body["created"].as_u64()), (200, Some(1)), "{body}");
    let contacts = inlet_json(&db, &["records", "contacts"]);
    assert_eq!(contacts[0]["email"], row["email"]);

    let report = check(&db, &id);
    assert_eq!(report["ok"], true, "{report}");
    assert!(
        report["message"]
            .as_str()
            .unwrap()
            .contains("the listener of serve"),
        "{report}"
    );
    assert_eq!(report["url"], format!("{url}/hooks/{id}"));

    // The bore client dies: the state says down, then Inlet starts it again on a new port.
    let pid = tunnel_state(&db)["pid"].as_u64().expect("the tunnel's pid") as i32;
    Command::new("kill")
        .args(["-9", &pid.to_string()])
        .status()
        .unwrap();
    let end = Instant::now() + Duration::from_secs(20);
    let down = loop {
        let t = tunnel_state(&db);
        if t["status"] == "down" {
            break t;
        }
        assert!(Instant::now() < end, "the tunnel never showed down: {t}");
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(
        down["error"].as_str().unwrap().contains("bore exited"),
        "{down}"
    );
    let down_line = wait_line(&lines, "inlet: tunnel down: ", &mut seen);
    assert!(down_line.contains("signal: 9"), "{down_line}");
    let new_url = wait_line(&lines, "inlet: tunnel up: ", &mut seen);
    // The record other processes read is written just after the line is printed (off the
    // runtime, slower on PostgreSQL): wait for it to say up, then check what it says.
    let end = Instant::now() + Duration::from_secs(10);
    let up = loop {
        let t = tunnel_state(&db);
        if t["status"] == "up" || Instant::now() > end {
            break t;
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    assert_eq!(
        (
            up["status"].as_str(),
            up["url"].as_str(),
            up["restarts"].as_u64()
        ),
        (Some("up"), Some(new_url.as_str()), Some(1))
    );
    assert_ne!(new_url, url, "the relay gave the new client another port");
    assert_eq!(
        inlet_json(&db, &["connections", "show", &id])["webhook_url"],
        format!("{new_url}/hooks/{id}")
    );
    assert_eq!(check(&db, &id)["ok"], true);
    let mut again = row.clone();
    again["first_name"] = json!("Grace B.");
    let (status, body) = post_json(&format!("{new_url}/hooks/{id}"), &auth, &again).await;
    assert_eq!((status, body["updated"].as_u64()), (200, Some(1)), "{body}");

    // Stopped with `serve`: the tunnel program goes too, and the record with it.
    let bore_pid = tunnel_state(&db)["pid"].as_u64().unwrap();
    Command::new("kill")
        .args(["-TERM", &serve.0.id().to_string()])
        .status()
        .unwrap();
    let status = serve.0.wait().unwrap();
    assert!(status.success(), "{status}");
    assert!(
        !Path::new(&format!("/proc/{bore_pid}")).exists(),
        "bore outlived inlet serve"
    );
    let s = inlet_json(&db, &["settings"]);
    assert_eq!(
        (s["listeners"].clone(), s["tunnel"].clone()),
        (json!([]), Value::Null)
    );
    let (ok, _, err) = inlet(&db, &["connections", "check", &id]);
    assert!(!ok && err.contains("no listener is running"), "{err}");
}

#[test]
fn a_tunnel_program_that_is_not_installed_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("inlet.db");
    let out = Command::new(inlet_bin())
        .arg("--db")
        .arg(&db)
        .args(["serve", "--listen", "127.0.0.1:0", "--tunnel", "ngrok"])
        .env("PATH", dir.path())
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(
        err.contains("ngrok is not installed") && err.contains("brew install ngrok"),
        "{err}"
    );
}

#[test]
fn a_one_off_serve_listen_leaves_the_saved_address_and_urls_follow_the_listener() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("inlet.db");
    let c = create_connection(&db, "A", "accounts");
    let id = c["id"].as_str().unwrap();
    assert_eq!(
        c["webhook_url"],
        format!("http://127.0.0.1:8750/hooks/{id}")
    );
    let mut serve = ServeProcess::start(&db, &[]);
    let s = inlet_json(&db, &["settings"]);
    assert_eq!(s["listen_address"], "127.0.0.1:8750", "not saved");
    assert_eq!(s["listeners"][0]["process"], "serve");
    let shown = inlet_json(&db, &["connections", "show", id]);
    assert_eq!(shown["webhook_url"], format!("{}/hooks/{id}", serve.base));
    // Gone (SIGKILL, no clean-up): its record is ignored, URLs go back to the saved address.
    serve.kill9();
    let shown = inlet_json(&db, &["connections", "show", id]);
    assert_eq!(
        shown["webhook_url"],
        format!("http://127.0.0.1:8750/hooks/{id}")
    );
}

#[test]
fn a_tunnel_program_that_exits_at_once_is_reported_down_with_its_error() {
    // No relay on 127.0.0.3: the real bore client gives up at once.
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("inlet.db");
    let started = Instant::now();
    let (_serve, lines) = serve_with_tunnel(&db, "bore=127.0.0.3");
    let mut seen = Vec::new();
    let down = wait_line(&lines, "inlet: tunnel down: ", &mut seen);
    assert!(
        down.starts_with("bore exited at once (exit status: 1)") && down.contains("127.0.0.3"),
        "{down}"
    );
    assert!(started.elapsed() < Duration::from_secs(20));
    let t = tunnel_state(&db);
    assert!(
        t["status"] != "up" && t["url"].is_null(),
        "a tunnel that never came up gives no URL: {t}"
    );
    // It is tried again, and says so.
    wait_line(&lines, "inlet: tunnel bore=127.0.0.3 starting", &mut seen);
}
