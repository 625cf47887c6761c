//! Baseline for `make bench-host`: the same 1,000-row batches upserted straight into the same schema
//! with rusqlite (one transaction per batch, WAL, synchronous=FULL), no HTTP, no planning.
//!
//! `cargo run --release -p inlet-desktop --example bench_raw_upsert -- DB ROWS_FILE SECONDS`
//! ROWS_FILE holds `{"rows": [...]}`; prints `rows_per_sec=N`.

use inlet_desktop::store::Store;
use serde_json::Value;
use std::time::{Duration, Instant};

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let (db, file, secs) = (&args[1], &args[2], args[3].parse::<u64>().unwrap());
    let body: Value = serde_json::from_str(&std::fs::read_to_string(file).unwrap()).unwrap();
    let rows: Vec<(String, String, String)> = body["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            let id = r["id"].as_str().unwrap().to_string();
            let name = r["name"].as_str().unwrap().to_string();
            (id, name, r.to_string())
        })
        .collect();
    let store = Store::open(std::path::Path::new(db)).unwrap();
    let mut c = store.connect().unwrap();
    let batch = |c: &mut rusqlite::Connection| {
        let tx = c
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
            .unwrap();
        let now = inlet_desktop::store::now();
        {
            let mut upd = tx
                .prepare_cached(
                    "UPDATE accounts SET name = ?2, name_fold = lower(?2), properties = json_patch(properties, ?3), updated_at = ?4
                     WHERE external_id = ?1",
                )
                .unwrap();
            let mut ins = tx
                .prepare_cached(
                    "INSERT INTO accounts (external_id, name, name_fold, properties, created_at, updated_at)
                     VALUES (?1, ?2, lower(?2), ?3, ?4, ?4)",
                )
                .unwrap();
            for (id, name, props) in &rows {
                if upd.execute((id, name, props, &now)).unwrap() == 0 {
                    ins.execute((id, name, props, &now)).unwrap();
                }
            }
        }
        tx.commit().unwrap();
    };
    batch(&mut c); // the first batch creates, as the first request does
    let start = Instant::now();
    let mut batches = 0u64;
    while start.elapsed() < Duration::from_secs(secs) {
        batch(&mut c);
        batches += 1;
    }
    let rate = (batches * rows.len() as u64) as f64 / start.elapsed().as_secs_f64();
    println!("rows_per_sec={rate:.0}");
}
