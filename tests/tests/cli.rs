//! The README's command-line flow with the real `inlet` binary: create, post, show, map, post
//! again, read the records. Plus `--json` shapes, INLET_DB, and errors on stderr with a failure code.

mod common;

use common::*;
use serde_json::json;

#[tokio::test]
async fn the_readme_flow_creates_posts_maps_posts_again_and_lists_records() {
    let store = TestDb::fresh();
    let (dir, db) = (&store.dir, store.arg().to_path_buf());
    let created = create_connection(&db, "CRM accounts", "accounts");
    for k in [
        "id",
        "webhook_url",
        "authorization",
        "enabled",
        "enforce_auth",
    ] {
        assert!(
            created.get(k).is_some(),
            "connections create --json has {k}"
        );
    }
    assert_eq!(
        (created["enabled"].clone(), created["enforce_auth"].clone()),
        (json!(false), json!(true))
    );
    let id = created["id"].as_str().unwrap().to_string();
    let auth = created["authorization"].as_str().unwrap().to_string();

    let _serve = ServeProcess::start(&db, &[]);
    // The listener saved where it listens: the webhook URL the CLI shows now points at it.
    let shown = inlet_json(&db, &["connections", "show", &id]);
    let url = shown["webhook_url"].as_str().unwrap().to_string();
    assert!(url.starts_with(&_serve.base), "{url} vs {}", _serve.base);

    let batch =
        json!({"rows": [{"account_id": 1, "name": "Acme"}, {"account_id": 2, "name": "Globex"}]});
    let (status, body) = post_json(&url, &auth, &batch).await;
    assert_eq!((status, body["written"].clone()), (202, json!(false)));
    let shown = inlet_json(&db, &["connections", "show", &id]);
    assert_eq!(
        (shown["requests"].as_u64(), shown["has_mapping"].clone()),
        (Some(1), json!(false))
    );

    let mapping = dir.path().join("mapping.json");
    std::fs::write(&mapping, json!({"version": 1, "kind": "accounts", "wrapper_path": "rows", "match": {"id": "account_id", "name": "name"}}).to_string()).unwrap();
    let set = inlet_json(
        &db,
        &["mapping", "set", &id, "--file", mapping.to_str().unwrap()],
    );
    assert_eq!(set["enabled"], true);
    assert_eq!(
        inlet_json(&db, &["mapping", "show", &id])["document"]["wrapper_path"],
        "rows"
    );

    let (status, body) = post_json(&url, &auth, &batch).await;
    assert_eq!((status, body["created"].as_u64()), (200, Some(2)));
    let accounts = inlet_json(&db, &["records", "accounts"]);
    let mut names: Vec<&str> = accounts
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["name"].as_str().unwrap())
        .collect();
    names.sort();
    assert_eq!(names, ["Acme", "Globex"]);
    let (ok, table, _) = inlet(&db, &["records", "accounts", "--search", "glob"]);
    assert!(ok && table.contains("Globex") && !table.contains("Acme"));

    let log = inlet_json(&db, &["requests", &id, "--limit", "10"]);
    let statuses: Vec<u64> = log
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["status"].as_u64().unwrap())
        .collect();
    assert_eq!(statuses, [200, 202], "newest first");
    let first = log[1]["id"].as_str().unwrap();
    let detail = inlet_json(&db, &["request", first]);
    assert_eq!(detail["headers"]["authorization"], "[redacted]");

    let replayed = inlet_json(&db, &["replay", &id, "--request", first]);
    assert_eq!(
        (
            replayed["replayed"][0]["status"].as_u64(),
            replayed["written"].as_u64()
        ),
        (Some(200), Some(1))
    );
    assert_eq!(
        inlet_json(&db, &["records", "accounts"])
            .as_array()
            .unwrap()
            .len(),
        2,
        "a replay upserts"
    );

    let listed = inlet_json(&db, &["connections", "list"]);
    assert_eq!(listed.as_array().unwrap().len(), 1);
}

#[test]
fn update_rotate_and_delete_work_from_the_command_line() {
    let store = TestDb::fresh();
    let db = store.arg().to_path_buf();
    let c = inlet_json(
        &db,
        &[
            "connections",
            "create",
            "--name",
            "People",
            "--kind",
            "contacts",
            "--behavior",
            "update",
        ],
    );
    let id = c["id"].as_str().unwrap();
    assert_eq!(c["behavior"], "update");
    let u = inlet_json(
        &db,
        &[
            "connections",
            "update",
            id,
            "--name",
            "Staff",
            "--enabled",
            "true",
            "--enforce-auth",
            "false",
            "--rotate-auth",
            "--public-url",
            "https://t.example/",
        ],
    );
    assert_eq!(
        (
            u["name"].as_str(),
            u["enabled"].clone(),
            u["enforce_auth"].clone()
        ),
        (Some("Staff"), json!(true), json!(false))
    );
    assert_ne!(u["authorization"], c["authorization"]);
    assert_eq!(
        u["webhook_url"].as_str().unwrap(),
        format!("https://t.example/hooks/{id}")
    );
    let s = inlet_json(&db, &["settings"]);
    assert_eq!(s["public_base_url"], "https://t.example");
    assert_eq!(
        inlet_json(&db, &["connections", "delete", id])["deleted"],
        true
    );
    assert_eq!(inlet_json(&db, &["connections", "list"]), json!([]));
}

#[test]
fn errors_go_to_stderr_with_a_failure_exit_code() {
    let store = TestDb::fresh();
    let (dir, db) = (&store.dir, store.arg().to_path_buf());
    let (ok, out, err) = inlet(&db, &["connections", "show", "nope"]);
    assert!(
        !ok && out.is_empty() && err.contains("no connection"),
        "{err}"
    );
    let c = create_connection(&db, "A", "accounts");
    let bad = dir.path().join("bad.json");
    std::fs::write(
        &bad,
        r#"{"version": 1, "kind": "accounts", "match": {"idd": "id"}}"#,
    )
    .unwrap();
    let (ok, _, err) = inlet(
        &db,
        &[
            "mapping",
            "set",
            c["id"].as_str().unwrap(),
            "--file",
            bad.to_str().unwrap(),
        ],
    );
    assert!(!ok && err.contains("match"), "{err}");
    let (ok, _, err) = inlet(&db, &["mapping", "show", c["id"].as_str().unwrap()]);
    assert!(!ok && err.contains("no mapping"), "{err}");
    let (ok, _, _) = inlet(
        &db,
        &["connections", "create", "--name", "A", "--kind", "widgets"],
    );
    assert!(!ok);
}

#[test]
fn a_reader_that_stops_reading_ends_the_command_quietly() {
    // `inlet connections list | head -1`: the pipe closes while inlet still writes.
    let store = TestDb::fresh();
    let db = store.arg().to_path_buf();
    for i in 0..40 {
        create_connection(&db, &format!("Connection {i}"), "contacts");
    }
    for args in [
        &["connections", "list"][..],
        &["connections", "list", "--json"],
    ] {
        let mut child = std::process::Command::new(inlet_bin())
            .arg("--db")
            .arg(&db)
            .args(args)
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        drop(child.stdout.take());
        let out = child.wait_with_output().unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "{args:?}: {:?} {err}", out.status);
        assert!(!err.contains("panicked"), "{args:?}: {err}");
    }
}

#[test]
fn inlet_db_in_the_environment_chooses_the_file() {
    let store = TestDb::fresh();
    let db = store.arg().to_path_buf();
    let out = std::process::Command::new(inlet_bin())
        .env("INLET_DB", &db)
        .args([
            "connections",
            "create",
            "--name",
            "E",
            "--kind",
            "events",
            "--json",
        ])
        .output()
        .unwrap();
    assert!(out.status.success());
    if store.is_sqlite() {
        assert!(db.exists());
    }
    assert_eq!(
        inlet_json(&db, &["connections", "list"])
            .as_array()
            .unwrap()
            .len(),
        1
    );
}

/// A fresh store with a mapping file and a payload file beside it: (store, db, mapping, payload).
fn preview_files(
    mapping: &str,
    payload: &[u8],
) -> (
    TestDb,
    std::path::PathBuf,
    std::path::PathBuf,
    std::path::PathBuf,
) {
    let store = TestDb::fresh();
    let db = store.arg().to_path_buf();
    let (m, p) = (
        store.dir.path().join("m.json"),
        store.dir.path().join("p.json"),
    );
    std::fs::write(&m, mapping).unwrap();
    std::fs::write(&p, payload).unwrap();
    (store, db, m, p)
}

/// `inlet preview --mapping M --payload P` with `more` after it: (success, stdout, stderr).
fn preview(
    db: &std::path::Path,
    mapping: &std::path::Path,
    payload: &std::path::Path,
    more: &[&str],
) -> (bool, String, String) {
    let mut args = vec![
        "preview",
        "--mapping",
        mapping.to_str().unwrap(),
        "--payload",
        payload.to_str().unwrap(),
    ];
    args.extend_from_slice(more);
    inlet(db, &args)
}

#[test]
fn preview_is_a_dry_run_with_the_listeners_answers() {
    let (store, db, mapping, payload) = preview_files(
        r#"{"version": 1, "kind": "accounts", "match": {"id": "id"}}"#,
        br#"[{"id": 1}, {"id": 1}, {"id": true}]"#,
    );
    let v = inlet_json(
        &db,
        &[
            "preview",
            "--mapping",
            mapping.to_str().unwrap(),
            "--payload",
            payload.to_str().unwrap(),
        ],
    );
    let actions: Vec<&str> = v["plan"]["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["action"].as_str().unwrap())
        .collect();
    assert_eq!(actions, ["create", "update", "error"]);
    assert!(store.untouched(), "a pure preview does not touch the store");
    let (ok, out, err) = preview(&db, &mapping, &payload, &["--against-store"]);
    assert!(
        !ok && out.contains("error") && err.contains("422"),
        "{out}\n{err}"
    );
}

#[test]
fn the_preview_table_says_what_each_row_reaches_and_links_to() {
    let (_store, db, mapping, payload) = preview_files(
        r#"{"version": 1, "kind": "contacts", "match": {"id": "id"},
            "account": {"id": "company_id", "name": "company"},
            "properties": {"include": ["plan"]}}"#,
        br#"[{"id": "u_1", "company_id": "c_1", "company": "Analytical Engines", "plan": "pro"},
             {"id": "u_2", "company_id": "c_1"},
             {"id": "u_1", "plan": "team"}]"#,
    );
    let (ok, out, err) = preview(&db, &mapping, &payload, &[]);
    assert!(ok, "{out}\n{err}");
    let rows: Vec<&str> = out.lines().skip(1).take(3).collect();
    // The first row creates the account it links to; the second links to that new account
    // (this batch's first create); the third updates the contact the first created.
    assert!(
        rows[0].ends_with(r#"account: new Analytical Engines · c_1; {"plan":"pro"}"#),
        "{out}"
    );
    assert!(
        rows[1].ends_with(r#"account: id = c_1 (new record #1); {}"#),
        "{out}"
    );
    assert!(
        rows[2].starts_with("3    update  id=u_1")
            && rows[2].ends_with(r#"new record #2; {"plan":"team"}"#),
        "{out}"
    );
}

#[test]
fn a_pure_preview_of_events_says_their_links_need_the_store() {
    let (_store, db, mapping, payload) = preview_files(
        r#"{"version": 1, "kind": "events", "event": {"type": {"path": "event"}, "contact_id": "user"}}"#,
        br#"{"event": "signup", "user": "u_1"}"#,
    );
    let (ok, out, err) = preview(&db, &mapping, &payload, &[]);
    assert!(
        !ok && out.contains(r#"unknown contact "u_1""#),
        "{out}\n{err}"
    );
    assert!(
        err.contains("without --against-store") && err.contains("422"),
        "{err}"
    );
    // Against the store the contact is as unknown (none is stored), but that is the answer.
    let (ok, out, err) = preview(&db, &mapping, &payload, &["--against-store"]);
    assert!(
        !ok && out.contains(r#"unknown contact "u_1""#),
        "{out}\n{err}"
    );
    assert!(!err.contains("without --against-store"), "{err}");
}

#[test]
fn preview_plans_a_file_of_any_size_and_says_the_listener_would_refuse_it_as_one_batch() {
    // One more row than the listener takes in one request; the last repeats the first's email.
    // A note in each row makes the file over 1 MiB, which the command maps instead of reading.
    let note = "n".repeat(100);
    let mut rows: Vec<serde_json::Value> = (0..10_000)
        .map(|i| serde_json::json!({"id": i, "email": format!("u{i}@example.com"), "note": note}))
        .collect();
    rows.push(serde_json::json!({"email": "U0@example.com"}));
    let (_store, db, mapping, payload) = preview_files(
        r#"{"version": 1, "kind": "contacts", "match": {"id": "id", "email": "email"}}"#,
        &serde_json::to_vec(&rows).unwrap(),
    );
    let args = [
        "preview",
        "--mapping",
        mapping.to_str().unwrap(),
        "--payload",
        payload.to_str().unwrap(),
    ];
    let (ok, out, err) = inlet(&db, &[&args[..], &["--json"]].concat());
    assert!(ok, "{err}");
    assert!(err.contains("413") && err.contains("10000"), "{err}");
    // Rows read on a second thread while the first plans them: the same text as the core's
    // streamed preview on one thread, byte for byte.
    let m = inlet_core::Mapping::from_json(&std::fs::read_to_string(&mapping).unwrap()).unwrap();
    let mut one_thread = Vec::new();
    inlet_core::preview::write_file_preview(
        &std::fs::read(&payload).unwrap(),
        None,
        &m,
        &mut one_thread,
    )
    .unwrap();
    assert_eq!(out.trim_end().as_bytes(), &one_thread[..]);
    assert!(std::fs::metadata(&payload).unwrap().len() > 1 << 20);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["plan"]["rows"][3]["record"]["properties"]["note"], note);
    assert_eq!(v["plan"]["summary"]["rows"], 10_001);
    assert_eq!(v["plan"]["summary"]["create"], 10_000);
    let last = &v["plan"]["rows"][10_000];
    assert_eq!(
        (&last["action"], &last["target"]["new"]),
        (&"update".into(), &0.into())
    );
    // The table plans every row too, and exits 1: the listener would write nothing.
    let (ok, out, err) = inlet(&db, &args);
    assert!(!ok && err.contains("413"), "{err}");
    assert!(
        out.contains("10001 rows: 10000 create, 1 update"),
        "{}",
        &out[out.len().saturating_sub(300)..]
    );
}

#[test]
fn output_cut_short_by_its_reader_is_not_an_error() {
    // `inlet preview --json big.json | head -c 100`: the reader closes the pipe early.
    let rows: Vec<serde_json::Value> = (0..20_000)
        .map(|i| serde_json::json!({"id": i, "email": format!("u{i}@example.com")}))
        .collect();
    let (_store, db, mapping, payload) = preview_files(
        r#"{"version": 1, "kind": "contacts", "match": {"id": "id", "email": "email"}}"#,
        &serde_json::to_vec(&rows).unwrap(),
    );
    let mut child = std::process::Command::new(inlet_bin())
        .arg("--db")
        .arg(&db)
        .args(["preview", "--json", "--mapping"])
        .arg(&mapping)
        .arg("--payload")
        .arg(&payload)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut first = [0u8; 100];
    std::io::Read::read_exact(child.stdout.as_mut().unwrap(), &mut first).unwrap();
    assert!(first.starts_with(br#"{"plan":"#));
    drop(child.stdout.take());
    let out = child.wait_with_output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{:?}: {err}", out.status);
    assert!(!err.contains("error"), "{err}");
}

#[test]
fn preview_says_the_listener_would_refuse_a_body_over_its_size_limit() {
    // 2,000 rows (well under the row limit) of 6 KB each: 12 MB, over the listener's 10 MiB.
    let note = "n".repeat(6_000);
    let rows: Vec<serde_json::Value> = (0..2_000)
        .map(|i| serde_json::json!({"id": i, "email": format!("u{i}@example.com"), "note": note}))
        .collect();
    let (_store, db, mapping, payload) = preview_files(
        r#"{"version": 1, "kind": "contacts", "match": {"id": "id", "email": "email"}}"#,
        &serde_json::to_vec(&rows).unwrap(),
    );
    let mib = std::fs::metadata(&payload).unwrap().len() as f64 / (1 << 20) as f64;
    assert!(mib > 10.0);
    let (ok, out, err) = preview(&db, &mapping, &payload, &[]);
    assert!(!ok, "the listener would answer 413: {err}");
    assert!(
        out.contains("2000 rows: 2000 create"),
        "{}",
        &out[out.len().saturating_sub(300)..]
    );
    assert!(
        err.contains(&format!("this body is {mib:.1} MiB"))
            && err.contains("at most 10 MiB")
            && err.contains("body_too_large"),
        "{err}"
    );
    // The plan is still printed whole with --json, with the same note.
    let (ok, out, err) = preview(&db, &mapping, &payload, &["--json"]);
    assert!(ok && err.contains("body_too_large"), "{err}");
    assert_eq!(
        serde_json::from_str::<serde_json::Value>(&out).unwrap()["plan"]["summary"]["create"],
        2000
    );
    // Under the limit: no note.
    let small = payload.with_file_name("small.json");
    std::fs::write(&small, serde_json::to_vec(&rows[..10]).unwrap()).unwrap();
    let (ok, _, err) = preview(&db, &mapping, &small, &[]);
    assert!(ok && !err.contains("MiB"), "{err}");
}

/// The allocator's arenas would otherwise sit on 2 MiB pages where transparent huge pages are on
/// (10 of an idle `inlet serve`'s 16 MB); the binary turns them off for itself before it allocates.
#[cfg(target_os = "linux")]
#[test]
fn the_listener_process_runs_without_transparent_huge_pages() {
    let store = TestDb::fresh();
    let serve = ServeProcess::start(store.arg(), &[]);
    let status = std::fs::read_to_string(format!("/proc/{}/status", serve.child.id())).unwrap();
    let thp = status
        .lines()
        .find(|l| l.starts_with("THP_enabled:"))
        .expect("the kernel reports THP_enabled");
    assert_eq!(thp.split_whitespace().nth(1), Some("0"), "{thp}");
}
