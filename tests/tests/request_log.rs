//! The request log and replay from the outside (docs/design.md §14): a real listener over a real store (a
//! SQLite file, or PostgreSQL with INLET_TEST_STORE=postgres), requests over real HTTP, and the
//! real `inlet` binary to search, page, keep and replay.

mod common;

use common::*;
use inlet_core::Kind;
use serde_json::{json, Value};

fn ids(v: &Value) -> Vec<String> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_str().unwrap().to_string())
        .collect()
}

#[tokio::test]
async fn the_log_is_searched_by_text_status_and_time_and_paged_past_two_hundred() {
    let s = Server::start().await;
    let c = s.connection(Kind::Accounts, Some(accounts_mapping()));
    let db = s.db_path();
    for i in 0..230 {
        let r = s
            .post(&c, &json!({"id": i, "name": format!("Acme {i}")}))
            .await;
        assert_eq!(r.status, 200);
    }
    let needle = s
        .post(&c, &json!({"id": 999, "name": "Initech Ünïcode"}))
        .await;
    let bad = s.post(&c, &json!({"id": true})).await;
    assert_eq!(bad.status, 422);
    assert_eq!(s.post_raw(&c, None, b"").await.status, 200);

    // Text in the body, without case.
    let found = inlet_json(&db, &["requests", &c.id, "--search", "initech"]);
    assert_eq!(ids(&found), [needle.body["request_id"].as_str().unwrap()]);
    let found = inlet_json(&db, &["requests", &c.id, "--search", "Ünïcode"]);
    assert_eq!(found.as_array().unwrap().len(), 1);
    // Status and class.
    let failed = inlet_json(&db, &["requests", &c.id, "--status", "4xx"]);
    assert_eq!(ids(&failed), [bad.body["request_id"].as_str().unwrap()]);
    assert_eq!(
        inlet_json(&db, &["requests", &c.id, "--status", "422"]),
        failed
    );
    assert!(inlet_json(&db, &["requests", &c.id, "--status", "202"])
        .as_array()
        .unwrap()
        .is_empty());
    let (ok, _, err) = inlet(&db, &["requests", &c.id, "--status", "teapot"]);
    assert!(!ok && err.contains("2xx"), "{err}");

    // Time range: nothing after now, everything up to now.
    let all = inlet_json(&db, &["requests", &c.id, "--limit", "100000"]);
    assert_eq!(
        all.as_array().unwrap().len(),
        233,
        "every request kept, no cap"
    );
    let newest = all[0]["received_at"].as_str().unwrap().to_string();
    let oldest = all[232]["received_at"].as_str().unwrap().to_string();
    let window = inlet_json(
        &db,
        &[
            "requests", &c.id, "--since", &oldest, "--until", &newest, "--limit", "1000",
        ],
    );
    assert_eq!(window.as_array().unwrap().len(), 233);
    let later = inlet_json(&db, &["requests", &c.id, "--since", "2999-01-01"]);
    assert!(later.as_array().unwrap().is_empty());
    let (ok, _, err) = inlet(&db, &["requests", &c.id, "--until", "yesterday"]);
    assert!(!ok && err.contains("until"), "{err}");

    // Pages of 100 with --before reach all 233 once each, in order.
    let mut paged = Vec::new();
    let mut before: Option<String> = None;
    loop {
        let mut args = vec!["requests", c.id.as_str(), "--limit", "100"];
        if let Some(b) = &before {
            args.extend(["--before", b.as_str()]);
        }
        let page = ids(&inlet_json(&db, &args));
        if page.is_empty() {
            break;
        }
        before = page.last().cloned();
        paged.extend(page);
    }
    assert_eq!(paged, ids(&all));
    // The text output says where the next page starts.
    let (ok, out, _) = inlet(&db, &["requests", &c.id, "--limit", "2"]);
    assert!(ok, "{out}");
    assert!(
        out.contains(&format!("older requests match: add --before {}", paged[1])),
        "{out}"
    );
    let (ok, _, err) = inlet(&db, &["requests", &c.id, "--before", "no-such-request"]);
    assert!(!ok && err.contains("no-such-request"), "{err}");
}

#[tokio::test]
async fn what_a_connection_keeps_is_set_from_the_command_line_and_applied_by_the_listener() {
    let s = Server::start().await;
    let c = s.connection(Kind::Accounts, Some(accounts_mapping()));
    let db = s.db_path();
    let shown = inlet_json(&db, &["connections", "show", &c.id]);
    assert_eq!(
        shown["retention"],
        json!({"keep_requests": 1000, "keep_days": null, "keep_bytes": 1073741824u64}),
        "the defaults"
    );

    let updated = inlet_json(
        &db,
        &[
            "connections",
            "update",
            &c.id,
            "--keep-requests",
            "3",
            "--keep-days",
            "30",
            "--keep-bytes",
            "1KiB",
        ],
    );
    assert_eq!(
        updated["retention"],
        json!({"keep_requests": 3, "keep_days": 30, "keep_bytes": 1024})
    );
    let payload = s.post(&c, &json!({"id": 1})).await;
    for _ in 0..6 {
        assert_eq!(s.post_raw(&c, None, b"").await.status, 200);
    }
    let log = s.log(&c);
    assert_eq!(log.len(), 4, "three newest and the latest payload");
    assert_eq!(
        log.last().unwrap().id,
        payload.body["request_id"].as_str().unwrap()
    );

    // 1 KiB of bodies: of 300-byte bodies, the three newest fit.
    inlet_json(
        &db,
        &["connections", "update", &c.id, "--keep-requests", "0"],
    );
    let mut last = String::new();
    for i in 0..6 {
        let body = json!({"id": i, "name": format!("{i}{}", "x".repeat(280))});
        let r = s.post(&c, &body).await;
        assert_eq!(r.status, 200);
        last = r.body["request_id"].as_str().unwrap().to_string();
    }
    let log = s.log(&c);
    let sizes: Vec<usize> = log.iter().map(|r| r.size).collect();
    assert!(sizes.iter().sum::<usize>() <= 1024, "{sizes:?}");
    assert_eq!(log.len(), 3, "{sizes:?}");
    assert_eq!(log[0].id, last);

    let (ok, _, err) = inlet(
        &db,
        &["connections", "update", &c.id, "--keep-bytes", "lots"],
    );
    assert!(!ok && err.contains("1GiB"), "{err}");
    let (ok, out, _) = inlet(&db, &["connections", "show", &c.id]);
    assert!(
        ok && out.contains("every request, of the last 30 days, bodies up to 1 KiB in all"),
        "{out}"
    );
}

#[tokio::test]
async fn replay_shows_the_answer_and_each_row_s_action_before_and_after() {
    let s = Server::start().await;
    let db = s.db_path();
    // Update only: a row for an account that does not exist is skipped.
    let c = s.connection(Kind::Accounts, Some(accounts_mapping()));
    inlet_json(
        &db,
        &["connections", "update", &c.id, "--behavior", "update"],
    );
    let first = s
        .post(&c, &json!([{"id": "a1", "name": "Acme"}, {"id": true}]))
        .await;
    assert_eq!(first.status, 422);
    let skipped = s.post(&c, &json!([{"id": "a1", "name": "Acme"}])).await;
    assert_eq!(
        (skipped.status, skipped.body["skipped"].as_u64()),
        (200, Some(1))
    );
    let rid = skipped.body["request_id"].as_str().unwrap();

    // Upsert now: the same request creates the account.
    inlet_json(
        &db,
        &["connections", "update", &c.id, "--behavior", "upsert"],
    );
    let r = inlet_json(&db, &["replay", &c.id, "--request", rid]);
    let item = &r["replayed"][0];
    assert_eq!(item["before"]["status"], 200);
    assert_eq!(item["before"]["summary"]["skipped"], 1);
    assert_eq!(item["after"]["status"], 200);
    assert_eq!(item["after"]["summary"]["created"], 1);
    assert_eq!(item["rows"][0]["index"], 0);
    assert_eq!(item["rows"][0]["before"], "skip");
    assert!(item["rows"][0]["before_detail"]
        .as_str()
        .unwrap()
        .contains("no match"));
    assert_eq!(item["rows"][0]["after"], "create");
    assert_eq!(
        (item["changed"].clone(), r["changed"].clone()),
        (json!(true), json!(1))
    );

    // The text output: the answer before → after, then each row.
    let (ok, out, err) = inlet(
        &db,
        &[
            "replay",
            &c.id,
            "--all-since",
            "2000-01-01",
            "--include-written",
        ],
    );
    assert!(ok, "{err}");
    let lines: Vec<&str> = out.lines().collect();
    assert!(
        lines
            .iter()
            .any(|l| l.contains("422 1 of the rows have errors") && l.contains("→ 422")),
        "{out}"
    );
    assert!(
        lines.iter().any(|l| l.trim_start().starts_with("row 1")
            && l.contains("error")
            && l.contains("→ error")),
        "{out}"
    );
    assert!(
        lines.iter().any(|l| l.trim_start().starts_with("row 0")
            && l.contains("skip")
            && l.contains("→ update")),
        "the written request, with --include-written, updates now: {out}"
    );
    assert!(
        out.contains("2 replayed: 1 written, 1 not written, 2 changed"),
        "{out}"
    );
}

#[tokio::test]
async fn a_replayed_event_without_a_timestamp_happened_when_the_original_arrived() {
    let s = Server::start().await;
    let db = s.db_path();
    let accounts = s.connection(Kind::Accounts, Some(accounts_mapping()));
    assert_eq!(s.post(&accounts, &json!({"id": "org1"})).await.status, 200);
    let c = s.connection(Kind::Events, None);
    let sent = s
        .post(&c, &json!({"event": "Signed Up", "org": "org1"}))
        .await;
    assert_eq!(sent.status, 202, "not mapped yet: logged, not written");
    let rid = sent.body["request_id"].as_str().unwrap().to_string();
    let received = inlet_json(&db, &["request", &rid])["received_at"]
        .as_str()
        .unwrap()
        .to_string();
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;

    let tmp = tempfile::tempdir().unwrap();
    let mapping = tmp.path().join("events.json");
    std::fs::write(
        &mapping,
        json!({"version": 1, "kind": "events", "event": {"type": {"path": "event"}, "account_id": "org"}})
            .to_string(),
    )
    .unwrap();
    inlet_json(
        &db,
        &["mapping", "set", &c.id, "--file", mapping.to_str().unwrap()],
    );
    let r = inlet_json(&db, &["replay", &c.id, "--all-since", "2000-01-01"]);
    let item = &r["replayed"][0];
    assert_eq!(
        (
            item["before"]["status"].clone(),
            item["after"]["status"].clone()
        ),
        (json!(202), json!(200))
    );
    assert_eq!(item["before"]["error"]["code"], "not_written");
    assert_eq!(
        item["rows"],
        json!([{"index": 0, "before": null, "after": "create", "before_detail": null, "after_detail": null}])
    );
    assert_eq!(item["received_at"], received.as_str());

    let events = inlet_json(&db, &["records", "events"]);
    assert_eq!(events.as_array().unwrap().len(), 1);
    assert_eq!(
        events[0]["timestamp"],
        received.as_str(),
        "the event happened when the request arrived, not when it was replayed"
    );
    assert_ne!(events[0]["received_at"], received.as_str());
}
