//! The README's flow without a window, run as it is written: its shell block through `bash`, with
//! the real `inlet` on PATH, a real `inlet serve` and a real SQLite file; and `connections show`
//! with the latest payload (time, content type, status, body), in text and `--json`.

mod common;

use common::*;
use serde_json::Value;
use std::path::Path;

/// The README's `sh` block that follows "The same flow without a window".
fn readme_flow() -> String {
    let readme =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("../README.md"))
            .unwrap();
    let from = readme
        .find("The same flow without a window")
        .expect("the README has the headless flow");
    let rest = &readme[from..];
    let start = rest.find("```sh\n").expect("an sh block") + "```sh\n".len();
    let end = rest[start..].find("\n```").unwrap() + start;
    rest[start..end].to_string()
}

/// Runs `script` in `dir` through bash (stopping at the first failing command), with the real
/// `inlet` first on PATH and `INLET_DB` naming `db`.
fn run_shell(dir: &Path, db: &Path, script: &str) -> (bool, String, String) {
    let bin = dir.join("bin");
    std::fs::create_dir_all(&bin).unwrap();
    let link = bin.join("inlet");
    if !link.exists() {
        std::os::unix::fs::symlink(inlet_bin(), &link).unwrap();
    }
    let path = format!(
        "{}:{}",
        bin.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let out = std::process::Command::new("bash")
        .args(["-euo", "pipefail", "-c", script])
        .current_dir(dir)
        .env("PATH", path)
        .env("INLET_DB", db)
        .output()
        .expect("bash runs");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn the_readme_headless_flow_works_as_written() {
    let flow = readme_flow();
    let (first, rest) = flow.split_once('\n').unwrap();
    // The listener runs as the block's first line starts it, on a port of its own so that tests
    // never meet another listener; it saves where it listens, as on 8750.
    assert!(first.starts_with("inlet serve &"), "{first}");
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("inlet.db");
    let _serve = ServeProcess::start(&db, &[]);

    let (ok, out, err) = run_shell(dir.path(), &db, rest);
    assert!(
        ok,
        "the README flow failed:\n{flow}\n--- stdout\n{out}\n--- stderr\n{err}"
    );

    // First post: not mapped yet, so 202 and nothing written.
    assert!(
        out.contains(r#""written":false"#),
        "the first post is answered 202 not written:\n{out}"
    );
    // `connections show` has the latest payload: its time, status, content type and body.
    let shown = &out[out
        .find("latest payload")
        .expect("show prints the latest payload")..];
    assert!(shown.contains("status 202"), "{shown}");
    assert!(shown.contains("application/json"), "{shown}");
    assert!(shown.contains(r#""email": "ada@example.com""#), "{shown}");
    assert!(shown.contains("the connection is disabled"), "{shown}");
    // The dry run says what the write then does.
    let preview = &out[out.find("ROW  ACTION").expect("the preview table")..];
    // Rows counted from 1, as in the window.
    assert!(
        preview
            .lines()
            .nth(1)
            .is_some_and(|l| l.starts_with("1    create  id=u_1")
                && l.contains("account: new Analytical Engines · c_1")),
        "{preview}"
    );
    assert!(preview.contains("1 row: 1 create"), "{preview}");
    // The second post writes; the record is there.
    assert!(out.contains(r#""created":1"#), "{out}");
    let records = &out[out.rfind("EXTERNAL ID").unwrap()..];
    assert!(
        records.contains("u_1") && records.contains("ada@example.com"),
        "{records}"
    );
    assert!(records.contains("Analytical Engines"), "{records}");
}

#[tokio::test]
async fn connections_show_includes_the_latest_payload_in_text_and_json() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("inlet.db");
    let serve = ServeProcess::start(&db, &[]);
    let created = create_connection(&db, "Form", "contacts");
    let id = created["id"].as_str().unwrap();
    let url = inlet_json(&db, &["connections", "show", id])["webhook_url"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(url.starts_with(&serve.base), "{url}");

    // Before anything arrives, `show` says so.
    let shown = inlet_json(&db, &["connections", "show", id]);
    assert_eq!(shown["latest_payload"], Value::Null);
    let (ok, text, _) = inlet(&db, &["connections", "show", id]);
    assert!(ok && text.contains("latest payload none yet"), "{text}");

    let post = |body: String, ctype: &'static str| {
        let url = url.clone();
        let auth = created["authorization"].as_str().unwrap().to_string();
        async move {
            reqwest::Client::new()
                .post(url)
                .header("authorization", auth)
                .header("content-type", ctype)
                .body(body)
                .send()
                .await
                .unwrap()
                .status()
                .as_u16()
        }
    };
    assert_eq!(
        post(r#"{"email": "a@x.example"}"#.into(), "application/json").await,
        202
    );
    // Malformed JSON is logged as the latest payload with why it could not be read.
    assert_eq!(
        post(r#"{"email": "b@x.example","#.into(), "application/json").await,
        400
    );
    let shown = inlet_json(&db, &["connections", "show", id]);
    let p = &shown["latest_payload"];
    assert_eq!(p["status"], 400, "{shown}");
    assert_eq!(p["content_type"], "application/json");
    assert_eq!(p["body"], r#"{"email": "b@x.example","#);
    assert_eq!(p["size"], 24);
    assert_eq!(p["error"]["code"], "invalid_json", "{p}");
    assert!(p["received_at"].as_str().unwrap().ends_with('Z'), "{p}");
    // The connection's own fields are still at the top level.
    assert_eq!(
        (shown["id"].as_str(), shown["requests"].as_u64()),
        (Some(id), Some(2))
    );

    // A form body: the text shows it as it arrived.
    assert_eq!(
        post(
            "email=c%40x.example&plan=pro".into(),
            "application/x-www-form-urlencoded"
        )
        .await,
        202
    );
    let (ok, text, err) = inlet(&db, &["connections", "show", id]);
    assert!(ok, "{err}");
    let latest = &text[text.find("latest payload").unwrap()..];
    assert!(latest.contains("status 202"), "{latest}");
    assert!(
        latest.contains("application/x-www-form-urlencoded"),
        "{latest}"
    );
    assert!(latest.contains("28 bytes"), "{latest}");
    assert!(latest.contains("email=c%40x.example&plan=pro"), "{latest}");
    let p = &inlet_json(&db, &["connections", "show", id])["latest_payload"];
    assert_eq!(p["json"]["email"], "c@x.example", "{p}");

    // A large batch: the text shows its start and where the rest is; --json has all of it.
    let rows: Vec<Value> = (0..5000)
        .map(|i| serde_json::json!({"email": format!("u{i}@x.example"), "plan": "pro"}))
        .collect();
    let big = serde_json::json!({ "rows": rows }).to_string();
    assert_eq!(post(big.clone(), "application/json").await, 202);
    let (ok, text, _) = inlet(&db, &["connections", "show", id]);
    assert!(ok);
    assert!(text.contains("u0@x.example") && !text.contains("u4999@x.example"));
    assert!(
        text.contains("--json` prints all of it"),
        "{}",
        &text[text.len() - 300..]
    );
    let p = &inlet_json(&db, &["connections", "show", id])["latest_payload"];
    assert_eq!(p["body"].as_str(), Some(big.as_str()));
}
