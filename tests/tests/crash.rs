//! Durability (docs/design.md §6–7): `kill -9` the real `inlet serve` under concurrent load, restart it, and
//! every row that was answered 2xx is in the database.

mod common;

use common::*;
use inlet_core::Kind;
use inlet_desktop::service::{connections, mappings, records};
use inlet_desktop::Services;
use serde_json::json;
use std::collections::HashSet;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_row_answered_2xx_survives_a_kill_9_under_load() {
    let store = TestDb::fresh();
    let db = store.arg().to_path_buf();
    let (id, auth) = blocking(|| {
        let s = Services::open(&db).unwrap();
        let c = connections::create(
            &s,
            connections::NewConnection {
                name: "load".into(),
                kind: Kind::Accounts,
                behavior: None,
            },
        )
        .unwrap();
        let m = json!({"version": 1, "kind": "accounts", "match": {"id": "id"}});
        mappings::set(
            &s,
            &c.id,
            mappings::SetMapping {
                document: m,
                no_enable: false,
            },
        )
        .unwrap();
        (c.id, c.authorization)
    });
    let mut serve = ServeProcess::start(&db, &[]);
    let url = format!("{}/hooks/{id}", serve.base);
    let acked: Arc<Mutex<Vec<String>>> = Arc::default();
    let stop = Arc::new(AtomicBool::new(false));
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .build()
        .unwrap();
    let mut senders = Vec::new();
    for t in 0..32 {
        let (client, url, auth, acked, stop) = (
            client.clone(),
            url.clone(),
            auth.clone(),
            acked.clone(),
            stop.clone(),
        );
        senders.push(tokio::spawn(async move {
            let mut n = 0;
            while !stop.load(Ordering::Relaxed) {
                let key = format!("t{t}-{n}");
                n += 1;
                let body = json!({"id": key, "n": n}).to_string();
                let sent = client
                    .post(&url)
                    .header("authorization", &auth)
                    .header("content-type", "application/json")
                    .body(body)
                    .send()
                    .await;
                match sent {
                    Ok(r) if r.status().is_success() => acked.lock().unwrap().push(key),
                    Ok(r) => panic!("unexpected status {} under load", r.status()),
                    Err(_) => break,
                }
            }
        }));
    }
    // Under load for at least 1.5 s and 100 answers (a fresh receiver on a database server warms
    // up its sessions first), then killed mid-stream.
    let loaded = std::time::Instant::now();
    while loaded.elapsed() < Duration::from_millis(1500)
        || (acked.lock().unwrap().len() < 100 && loaded.elapsed() < Duration::from_secs(60))
    {
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    serve.kill9();
    stop.store(true, Ordering::Relaxed);
    for s in senders {
        s.await.unwrap();
    }
    let acked = acked.lock().unwrap().clone();
    eprintln!("{} requests answered 2xx before the kill", acked.len());
    assert!(
        acked.len() >= 100,
        "only {} requests were answered before the kill",
        acked.len()
    );

    // Restart the listener on the same store: it opens (on SQLite recovering the WAL) and serves again.
    let serve = ServeProcess::start(&db, &[]);
    let url = format!("{}/hooks/{id}", serve.base);
    let r = client
        .post(&url)
        .header("authorization", &auth)
        .header("content-type", "application/json")
        .body(r#"{"id": "after"}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);

    let stored: HashSet<String> = blocking(|| {
        let s = Services::open(&db).unwrap();
        records::accounts(
            &s,
            &records::RecordFilter {
                limit: Some(1_000_000),
                ..Default::default()
            },
        )
        .unwrap()
        .into_iter()
        .filter_map(|a| a.external_id)
        .collect()
    });
    let missing: Vec<&String> = acked.iter().filter(|k| !stored.contains(*k)).collect();
    assert!(
        missing.is_empty(),
        "{} of {} acknowledged rows are missing, e.g. {:?}",
        missing.len(),
        acked.len(),
        &missing[..missing.len().min(5)]
    );
    assert!(stored.contains("after"));
}
