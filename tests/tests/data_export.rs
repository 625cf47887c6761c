//! The data browser and export (docs/design.md §14) from the outside: records written by a real listener
//! over real HTTP into a real SQLite file, then read with the real `inlet` binary: paging by cursor
//! through every record, record pages with their links, the request that wrote each record,
//! Unicode case folding in search, and exports read back by Python's `csv` module.

mod common;

use common::*;
use inlet_core::Kind;
use serde_json::{json, Value};
use std::collections::BTreeSet;
use std::path::Path;

/// `inlet records …` followed page by page (`--after` the printed cursor) to the end.
fn every_page(db: &Path, args: &[&str]) -> (Vec<Value>, usize) {
    let mut out = Vec::new();
    let mut after: Option<String> = None;
    let mut pages = 0;
    loop {
        let mut a: Vec<String> = args.iter().map(|s| s.to_string()).collect();
        a.push("--json".into());
        if let Some(c) = &after {
            a.push("--after".into());
            a.push(c.clone());
        }
        let refs: Vec<&str> = a.iter().map(|s| s.as_str()).collect();
        let (ok, stdout, stderr) = inlet(db, &refs);
        assert!(ok, "inlet {a:?}: {stderr}");
        let page: Vec<Value> = serde_json::from_str(&stdout).unwrap();
        out.extend(page);
        pages += 1;
        after = stderr
            .lines()
            .find_map(|l| l.strip_prefix("next page: --after "))
            .map(|s| s.trim().to_string());
        if after.is_none() {
            return (out, pages);
        }
        assert!(pages < 1000, "paging does not end");
    }
}

struct Seeded {
    s: Server,
    accounts: Conn,
    contacts: Conn,
}

/// 250 accounts (one with an accented name), a contact of account a1, four events of it.
async fn seed() -> Seeded {
    let s = Server::start().await;
    let accounts = s.connection(Kind::Accounts, Some(accounts_mapping()));
    let rows: Vec<Value> = (0..250)
        .map(|i| json!({"id": format!("a{i}"), "name": format!("Acme {i}"), "plan": if i % 2 == 0 {"gold"} else {"free"}, "seats": i}))
        .collect();
    assert_eq!(s.post(&accounts, &json!(rows)).await.status, 200);
    let tricky = json!({"id": "zola", "name": "Émile Zola SARL", "note": "a, \"quoted\"\nline", "address": {"city": "Besançon", "zip": "25000"}, "tags": ["x", "y"]});
    assert_eq!(s.post(&accounts, &tricky).await.status, 200);
    let contacts = s.connection(
        Kind::Contacts,
        Some(json!({"version": 1, "kind": "contacts", "match": {"id": "id", "email": "email"}, "account": {"id": "org"}})),
    );
    let r = s
        .post(
            &contacts,
            &json!([{"id": "u1", "email": "emile@example.com", "org": "a1", "prénom": "émile"}, {"id": "u2", "email": "other@example.com", "org": "a2"}]),
        )
        .await;
    assert_eq!(r.status, 200);
    let events = s.connection(
        Kind::Events,
        Some(json!({"version": 1, "kind": "events", "event": {"type": {"path": "event"}, "contact_id": "user", "timestamp": "at", "id": "mid"}})),
    );
    let r = s
        .post(
            &events,
            &json!([
                {"event": "Signed Up", "user": "u1", "at": "2024-05-01T10:00:00Z", "mid": "m1"},
                {"event": "Paid", "user": "u1", "at": "2024-05-03T10:00:00Z", "mid": "m2", "amount": 10},
                {"event": "Churned", "user": "u1", "at": "2024-05-04T10:00:00Z", "mid": "m3"},
                {"event": "Paid", "user": "u1", "at": "2024-05-02T10:00:00Z", "mid": "m4", "amount": 5},
                {"event": "Paid", "user": "u2", "at": "2024-05-05T10:00:00Z", "mid": "m5"}
            ]),
        )
        .await;
    assert_eq!(r.status, 200);
    Seeded {
        s,
        accounts,
        contacts,
    }
}

#[tokio::test]
async fn paging_by_cursor_reaches_every_record_once() {
    let d = seed().await;
    let db = d.s.db_path();
    let (all, pages) = every_page(&db, &["records", "accounts", "--limit", "40"]);
    assert_eq!(pages, 7, "251 accounts at 40 a page");
    let ids: BTreeSet<i64> = all.iter().map(|a| a["id"].as_i64().unwrap()).collect();
    assert_eq!(
        (all.len(), ids.len()),
        (251, 251),
        "no record twice, none missing"
    );
    let newest_first: Vec<i64> = all.iter().map(|a| a["id"].as_i64().unwrap()).collect();
    assert!(newest_first.windows(2).all(|w| w[0] > w[1]));

    // Events page by time then id, newest first, across page boundaries.
    let (ev, pages) = every_page(&db, &["records", "events", "--limit", "2"]);
    assert_eq!(pages, 3);
    let times: Vec<&str> = ev
        .iter()
        .map(|e| e["timestamp"].as_str().unwrap())
        .collect();
    assert_eq!(
        times,
        [
            "2024-05-05T10:00:00Z",
            "2024-05-04T10:00:00Z",
            "2024-05-03T10:00:00Z",
            "2024-05-02T10:00:00Z",
            "2024-05-01T10:00:00Z"
        ]
    );
    // A page that follows a filter keeps it.
    let (paid, _) = every_page(
        &db,
        &["records", "events", "--type", "Paid", "--limit", "1"],
    );
    assert_eq!(paid.len(), 3);
    assert!(paid.iter().all(|e| e["type"] == "Paid"));

    let (ok, _, err) = inlet(&db, &["records", "events", "--after", "nonsense"]);
    assert!(!ok && err.contains("cursor"), "{err}");
}

#[tokio::test]
async fn record_pages_link_accounts_contacts_events_and_the_request_that_wrote_them() {
    let d = seed().await;
    let db = d.s.db_path();
    let a1 = inlet_json(
        &db,
        &["records", "accounts", "--search", "a1", "--limit", "1000"],
    );
    let a1 = a1
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["external_id"] == "a1")
        .unwrap()
        .clone();
    let id = a1["id"].as_i64().unwrap().to_string();

    let page = inlet_json(&db, &["records", "accounts", &id]);
    assert_eq!(page["account"]["name"], "Acme 1");
    assert_eq!(page["account"]["properties"]["plan"], "free");
    let contacts = page["contacts"]["records"].as_array().unwrap();
    assert_eq!(contacts.len(), 1);
    assert_eq!(contacts[0]["external_id"], "u1");
    let timeline: Vec<(&str, &str)> = page["events"]["records"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["type"].as_str().unwrap(),
                e["timestamp"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        timeline,
        [
            ("Churned", "2024-05-04T10:00:00Z"),
            ("Paid", "2024-05-03T10:00:00Z"),
            ("Paid", "2024-05-02T10:00:00Z"),
            ("Signed Up", "2024-05-01T10:00:00Z")
        ],
        "the account's events, newest first, and no one else's"
    );

    // The account links to the request that wrote it, and that request to its records.
    let accounts_log = d.s.log(&d.accounts);
    let rid = page["account"]["request_id"]
        .as_str()
        .expect("a request id");
    assert!(accounts_log.iter().any(|r| r.id == rid));
    let written = inlet_json(
        &db,
        &["records", "accounts", "--request", rid, "--limit", "1000"],
    );
    assert_eq!(written.as_array().unwrap().len(), 250, "the batch of 250");

    // The contact page: its account and its events.
    let cid = contacts[0]["id"].as_i64().unwrap().to_string();
    let cp = inlet_json(&db, &["records", "contacts", &cid]);
    assert_eq!(cp["account"]["external_id"], "a1");
    assert_eq!(cp["events"]["records"].as_array().unwrap().len(), 4);
    let contact_rid = cp["contact"]["request_id"].as_str().unwrap();
    assert!(d.s.log(&d.contacts).iter().any(|r| r.id == contact_rid));

    // Text output reads as fields, the properties one per line.
    let (ok, text, _) = inlet(&db, &["records", "contacts", &cid]);
    assert!(ok);
    assert!(
        text.lines()
            .any(|l| l.trim_start().starts_with("prénom") && l.trim_end().ends_with("émile")),
        "{text}"
    );
    assert!(text.contains(&format!("request {contact_rid}")), "{text}");

    let (ok, _, err) = inlet(&db, &["records", "accounts", "999999"]);
    assert!(!ok && err.contains("no account 999999"), "{err}");
}

#[tokio::test]
async fn search_folds_case_beyond_ascii() {
    let d = seed().await;
    let db = d.s.db_path();
    let found = inlet_json(&db, &["records", "accounts", "--search", "ÉMILE ZOLA"]);
    assert_eq!(found.as_array().unwrap().len(), 1, "{found}");
    assert_eq!(found[0]["external_id"], "zola");
    let found = inlet_json(&db, &["records", "accounts", "--search", "BESANÇON"]);
    assert_eq!(found.as_array().unwrap().len(), 1, "properties fold too");
    let found = inlet_json(&db, &["records", "contacts", "--search", "ÉMILE"]);
    assert_eq!(found.as_array().unwrap().len(), 1);
    assert_eq!(found[0]["external_id"], "u1");
    // A search pages too: 125 gold accounts, 50 a page.
    let (gold, pages) = every_page(
        &db,
        &["records", "accounts", "--search", "GOLD", "--limit", "50"],
    );
    assert_eq!((gold.len(), pages), (125, 3));
}

/// The CSV file as Python's `csv` module reads it: a list of {column: value}.
fn python_csv(path: &Path) -> Vec<serde_json::Map<String, Value>> {
    let out = std::process::Command::new("python3")
        .arg("-c")
        .arg("import csv, json, sys\nwith open(sys.argv[1], newline='', encoding='utf-8') as f:\n    print(json.dumps(list(csv.DictReader(f, strict=True))))")
        .arg(path)
        .output()
        .expect("python3 runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice::<Vec<serde_json::Map<String, Value>>>(&out.stdout).unwrap()
}

fn cell(v: &Value) -> String {
    match v {
        Value::Null => String::new(),
        Value::String(s) => s.clone(),
        v => v.to_string(),
    }
}

#[tokio::test]
async fn a_csv_export_of_the_view_reads_back_as_the_records() {
    let d = seed().await;
    let db = d.s.db_path();
    let file = d.s.db.dir.path().join("accounts.csv");
    let f = file.to_str().unwrap();
    let (ok, _, err) = inlet(&db, &["export", "accounts", "--output", f]);
    assert!(ok, "{err}");
    let rows = python_csv(&file);
    let records = inlet_json(&db, &["records", "accounts", "--limit", "100000"]);
    let records = records.as_array().unwrap();
    assert_eq!(rows.len(), records.len());
    assert!(
        err.starts_with(&format!("wrote {} accounts to ", rows.len())),
        "{err}"
    );
    // One record is counted as one.
    let (ok, _, err) = inlet(
        &db,
        &["export", "accounts", "--search", "ÉMILE", "--output", f],
    );
    assert!(ok && err.starts_with("wrote 1 account to "), "{err}");
    let keys: BTreeSet<String> = records
        .iter()
        .flat_map(|r| r["properties"].as_object().unwrap().keys().cloned())
        .collect();
    let header: BTreeSet<String> = rows[0].keys().cloned().collect();
    for k in &keys {
        assert!(
            header.contains(&format!("properties.{k}")),
            "a column for {k}"
        );
    }
    for (row, rec) in rows.iter().zip(records) {
        assert_eq!(row["id"], rec["id"].to_string());
        assert_eq!(
            row["external_id"].as_str().unwrap(),
            cell(&rec["external_id"])
        );
        assert_eq!(row["name"].as_str().unwrap(), cell(&rec["name"]));
        assert_eq!(
            row["request_id"].as_str().unwrap(),
            cell(&rec["request_id"])
        );
        for k in &keys {
            let want = cell(rec["properties"].get(k).unwrap_or(&Value::Null));
            assert_eq!(
                row[&format!("properties.{k}")].as_str().unwrap(),
                want,
                "{k}"
            );
        }
    }
    let zola = rows.iter().find(|r| r["external_id"] == "zola").unwrap();
    assert_eq!(zola["properties.note"], "a, \"quoted\"\nline");
    let address: Value =
        serde_json::from_str(zola["properties.address"].as_str().unwrap()).unwrap();
    assert_eq!(
        address,
        json!({"city": "Besançon", "zip": "25000"}),
        "nested values as JSON text"
    );

    // The view's filters and search apply: events of one type, accounts of one search.
    let (ok, out, _) = inlet(&db, &["export", "events", "--type", "Paid"]);
    assert!(ok);
    let paid = d.s.db.dir.path().join("paid.csv");
    std::fs::write(&paid, out).unwrap();
    let rows = python_csv(&paid);
    assert_eq!(rows.len(), 3);
    assert!(rows.iter().all(|r| r["type"] == "Paid"));
    assert!(rows[0].contains_key("properties.amount"));
    let (ok, out, _) = inlet(&db, &["export", "accounts", "--search", "ÉMILE"]);
    assert!(ok);
    std::fs::write(&paid, out).unwrap();
    assert_eq!(python_csv(&paid).len(), 1);
}

#[tokio::test]
async fn an_ndjson_export_is_one_record_a_line_as_records_json_shows_it() {
    let d = seed().await;
    let db = d.s.db_path();
    for kind in ["accounts", "contacts", "events"] {
        let (ok, out, err) = inlet(&db, &["export", kind, "--format", "ndjson"]);
        assert!(ok, "{err}");
        let lines: Vec<Value> = out
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        let records = inlet_json(&db, &["records", kind, "--limit", "100000"]);
        assert_eq!(Value::Array(lines), records, "{kind}");
    }
    let (ok, out, _) = inlet(
        &db,
        &[
            "export", "contacts", "--format", "ndjson", "--search", "ÉMILE",
        ],
    );
    assert!(ok);
    assert_eq!(out.lines().count(), 1);
}
