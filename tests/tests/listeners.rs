//! The record of running listeners when several `inlet serve` receivers share one database
//! (docs/design.md §11, §15): real processes, each told by `INLET_HOSTNAME` that it runs on a
//! machine of its own, so that every reader judges the others by their heartbeat and not by a
//! process id it cannot see. `INLET_LISTENER_STALE_SECS` shortens the staleness window (30 s by
//! default) so that a receiver killed with `kill -9` is seen gone within seconds.
//! Runs on the store `INLET_TEST_STORE` names, like the other black-box suites.

mod common;

use common::*;
use serde_json::Value;
use std::io::BufRead;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// Seconds a heartbeat counts in these tests; listeners beat every third of it.
const STALE_SECS: u64 = 6;

/// A real `inlet serve` that says it runs on `host`; SIGKILLed when dropped.
struct Receiver {
    child: Child,
    listen: String,
}

impl Drop for Receiver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Receiver {
    fn start(db: &Path, host: &str) -> Receiver {
        let mut child = Command::new(inlet_bin())
            .arg("--db")
            .arg(db)
            .args(["serve", "--listen", "127.0.0.1:0"])
            .env("INLET_HOSTNAME", host)
            .env("INLET_LISTENER_STALE_SECS", STALE_SECS.to_string())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("inlet serve starts");
        let out = child.stdout.take().unwrap();
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let mut tx = Some(tx);
            for line in std::io::BufReader::new(out).lines().map_while(Result::ok) {
                if let Some(addr) = line.strip_prefix("inlet: listening on http://") {
                    if let Some(tx) = tx.take() {
                        let _ = tx.send(addr.trim().to_string());
                    }
                }
            }
        });
        let listen = rx
            .recv_timeout(Duration::from_secs(60))
            .expect("inlet serve prints where it listens");
        Receiver { child, listen }
    }

    fn kill9(&mut self) {
        self.child.kill().unwrap();
        self.child.wait().unwrap();
    }
}

/// `inlet … --json` run as a process on yet another host.
fn cli_json(db: &Path, args: &[&str]) -> Value {
    let out = Command::new(inlet_bin())
        .arg("--db")
        .arg(db)
        .args(args)
        .arg("--json")
        .env("INLET_HOSTNAME", "reader-host")
        .env("INLET_LISTENER_STALE_SECS", STALE_SECS.to_string())
        .output()
        .expect("inlet runs");
    assert!(
        out.status.success(),
        "inlet {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "inlet {args:?} printed no JSON ({e}): {}",
            String::from_utf8_lossy(&out.stdout)
        )
    })
}

/// (host, listen) of each listener `inlet settings` shows, sorted.
fn shown(db: &Path) -> Vec<(String, String)> {
    let s = cli_json(db, &["settings"]);
    let mut v: Vec<_> = s["listeners"]
        .as_array()
        .unwrap_or_else(|| panic!("settings without listeners: {s}"))
        .iter()
        .map(|l| {
            (
                l["host"].as_str().unwrap().to_string(),
                l["listen"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    v.sort();
    v
}

fn sorted(mut v: Vec<(String, String)>) -> Vec<(String, String)> {
    v.sort();
    v
}

#[test]
fn receivers_on_two_hosts_are_both_shown_and_one_killed_goes_when_its_heartbeat_is_stale() {
    let db = TestDb::fresh();
    let c = cli_json(
        db.arg(),
        &["connections", "create", "--name", "A", "--kind", "accounts"],
    );
    let id = c["id"].as_str().unwrap().to_string();
    let a = Receiver::start(db.arg(), "host-a");
    let mut b = Receiver::start(db.arg(), "host-b");
    let both = sorted(vec![
        ("host-a".to_string(), a.listen.clone()),
        ("host-b".to_string(), b.listen.clone()),
    ]);
    assert_eq!(shown(db.arg()), both);

    // Webhook URLs point at one of them, and "check from outside" knows both as ours.
    let url = cli_json(db.arg(), &["connections", "show", &id])["webhook_url"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(
        [&a.listen, &b.listen]
            .iter()
            .any(|l| url == format!("http://{l}/hooks/{id}")),
        "{url} points at neither {} nor {}",
        a.listen,
        b.listen
    );
    let check = cli_json(db.arg(), &["connections", "check", &id]);
    assert_eq!(check["ok"], true, "{check}");

    // Killed on "its machine": this reader cannot see that process, so the record stays until
    // its heartbeat is stale, then it goes; the other receiver's heartbeat keeps it.
    let killed = Instant::now();
    b.kill9();
    let end = killed + Duration::from_secs(STALE_SECS * 5);
    let a_only = vec![("host-a".to_string(), a.listen.clone())];
    loop {
        let now = shown(db.arg());
        if now == a_only {
            break;
        }
        assert_eq!(now, both, "only the killed receiver may go");
        assert!(
            Instant::now() < end,
            "the killed receiver is still shown {:?} after kill -9",
            killed.elapsed()
        );
        std::thread::sleep(Duration::from_millis(250));
    }
    let gone_after = killed.elapsed();
    eprintln!("the killed receiver left `inlet settings` {gone_after:?} after kill -9 (window {STALE_SECS} s)");
    assert!(
        gone_after >= Duration::from_secs(STALE_SECS * 2 / 3),
        "gone after {gone_after:?}: judged by something other than its heartbeat"
    );
    // Two windows later the live one is still shown: its heartbeat runs.
    std::thread::sleep(Duration::from_secs(STALE_SECS * 2));
    assert_eq!(shown(db.arg()), a_only);
    let shown_url = &cli_json(db.arg(), &["connections", "show", &id])["webhook_url"];
    assert_eq!(
        shown_url,
        &format!("http://{}/hooks/{id}", a.listen).as_str()
    );
}

#[test]
fn receivers_started_at_once_each_keep_their_record() {
    let db = TestDb::fresh();
    // Migrated first, so that only the records race.
    cli_json(db.arg(), &["settings"]);
    let target = db.target.clone();
    let receivers: Vec<Receiver> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..6)
            .map(|n| {
                let target = target.clone();
                s.spawn(move || Receiver::start(Path::new(&target), &format!("host-{}", n % 3)))
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let want = sorted(
        receivers
            .iter()
            .enumerate()
            .map(|(n, r)| (format!("host-{}", n % 3), r.listen.clone()))
            .collect(),
    );
    assert_eq!(shown(db.arg()), want);

    // One stops cleanly (SIGTERM): its record goes at once, the others stay.
    let mut receivers = receivers;
    let mut stopped = receivers.remove(2);
    Command::new("kill")
        .args(["-TERM", &stopped.child.id().to_string()])
        .status()
        .unwrap();
    assert!(stopped.child.wait().unwrap().success());
    let want: Vec<_> = want
        .into_iter()
        .filter(|(_, l)| *l != stopped.listen)
        .collect();
    assert_eq!(shown(db.arg()), want);
}
