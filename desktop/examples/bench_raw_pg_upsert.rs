//! Baseline for `make bench-scaleout`: the same 1,000-row batches upserted straight into the same
//! PostgreSQL schema with the `postgres` client (one transaction per batch: an `UPDATE … FROM
//! unnest` of the rows whose ID is stored, then an `INSERT … SELECT` of the rest), no HTTP, no
//! planning, no request log.
//!
//! `cargo run --release -p inlet-desktop --example bench_raw_pg_upsert -- URL ROWS_FILE SECONDS`
//! URL names a database whose schema `inlet` has created; ROWS_FILE holds `{"rows": [...]}`;
//! prints `rows_per_sec=N`.

use serde_json::Value;
use std::time::{Duration, Instant};

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let (url, file, secs) = (&args[1], &args[2], args[3].parse::<u64>().unwrap());
    let body: Value = serde_json::from_str(&std::fs::read_to_string(file).unwrap()).unwrap();
    let rows = body["rows"].as_array().unwrap();
    let ids: Vec<String> = rows
        .iter()
        .map(|r| r["id"].as_str().unwrap().to_string())
        .collect();
    let names: Vec<String> = rows
        .iter()
        .map(|r| r["name"].as_str().unwrap().to_string())
        .collect();
    let props: Vec<String> = rows.iter().map(|r| r.to_string()).collect();
    let mut c = postgres::Client::connect(url, postgres::NoTls).unwrap();
    let update = c
        .prepare(
            "UPDATE accounts a SET name = u.name, name_fold = lower(u.name),
                    properties = (a.properties::jsonb || u.props::jsonb)::text, updated_at = $4
             FROM unnest($1::text[], $2::text[], $3::text[]) AS u(id, name, props)
             WHERE a.external_id = u.id",
        )
        .unwrap();
    let insert = c
        .prepare(
            "INSERT INTO accounts (external_id, name, name_fold, properties, created_at, updated_at)
             SELECT u.id, u.name, lower(u.name), u.props, $4, $4
             FROM unnest($1::text[], $2::text[], $3::text[]) AS u(id, name, props)
             WHERE NOT EXISTS (SELECT 1 FROM accounts a WHERE a.external_id = u.id)",
        )
        .unwrap();
    let batch = |c: &mut postgres::Client| {
        let now = inlet_desktop::store::now();
        let mut tx = c.transaction().unwrap();
        tx.execute(&update, &[&ids, &names, &props, &now]).unwrap();
        tx.execute(&insert, &[&ids, &names, &props, &now]).unwrap();
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
