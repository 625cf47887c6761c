//! The writer's share of a 1,000-row batch, without HTTP or other threads: for `make bench-host`
//! and for comparing two builds of the write path on a noisy machine, where the listener's
//! throughput moves by a fifth from run to run and this moves by a few percent.
//!
//! `cargo run --release -p inlet-desktop --example bench_writer -- DB CONNECTION_ID ROWS_FILE SECONDS`
//! DB holds the connection, mapped (as `make bench-host` sets it up). Each round plans, writes and
//! logs the batch in one transaction, exactly as the writer does for a group of one request, and
//! commits. Prints `ms_per_batch=N` (the fastest round), `mean_ms_per_batch=N` and `rows_per_sec=N`
//! (at the fastest rate).

use inlet_desktop::ids::{ConnectionId, RequestId};
use inlet_desktop::ingest::{prepare, process, Incoming};
use inlet_desktop::store::queries::{connections, mappings};
use inlet_desktop::store::{now, Store, Tx};
use std::time::{Duration, Instant};

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let (db, id, file) = (&args[1], &args[2], &args[3]);
    let secs: u64 = args[4].parse().expect("SECONDS");
    let body = std::fs::read(file).expect("ROWS_FILE");
    let rows = serde_json::from_slice::<serde_json::Value>(&body).expect("JSON")["rows"]
        .as_array()
        .map_or(0, Vec::len);
    let store = Store::open(std::path::Path::new(db)).expect("DB");
    let c = store.connect().expect("connect");
    let conn = connections::get(Tx::Sqlite(&c), id)
        .expect("read")
        .expect("the connection");
    let mapping = mappings::get(Tx::Sqlite(&c), id).expect("read");
    let batch = |c: &rusqlite::Connection| {
        let incoming = Incoming {
            request_id: RequestId::generate(),
            connection_id: ConnectionId::from_stored(id.clone()),
            received_at: now(),
            method: "POST".into(),
            content_type: Some("application/json".into()),
            headers: serde_json::json!({}),
            query: None,
            body: body.clone().into(),
            replay_of: None,
            event_time: None,
        };
        // Parsed off the writer in the listener: outside the timed part here too.
        let job = prepare(&conn, mapping.as_ref(), incoming);
        let start = Instant::now();
        c.execute_batch("BEGIN IMMEDIATE").expect("begin");
        let answer = process(Tx::Sqlite(c), &job).expect("write");
        assert_eq!(answer.status, 200, "{:?}", answer);
        c.execute_batch("COMMIT").expect("commit");
        start.elapsed()
    };
    batch(&c); // the first batch creates, as the first request does
    let (mut best, mut total, mut n) = (Duration::MAX, Duration::ZERO, 0u32);
    let until = Instant::now() + Duration::from_secs(secs);
    while Instant::now() < until {
        let t = batch(&c);
        best = best.min(t);
        total += t;
        n += 1;
    }
    println!("ms_per_batch={:.3}", best.as_secs_f64() * 1e3);
    println!(
        "mean_ms_per_batch={:.3}",
        total.as_secs_f64() * 1e3 / f64::from(n)
    );
    println!("rows_per_sec={:.0}", rows as f64 / best.as_secs_f64());
}
