//! Parsing alone, side by side, on the `## Core` payload of BENCHMARKS.md (10,000 flat 10-field
//! rows under `rows`, written by `cargo bench -p inlet-core` to `target/bench-core/payload.json`):
//! the core's reader in place (`parse_doc`, what the planner reads), the same reader into a
//! `serde_json::Value`, stock `serde_json`, and the two SIMD readers the data-model issue names.
//!
//! `cargo run --release -p inlet-core --example parsers --features compare-parsers [payload.json]`
//!
//! Each reader runs in interleaved rounds (the machine is shared and its speed moves); the
//! fastest round of each is printed, in rows/s and MB/s.

use inlet_core::payload::{parse_body, parse_doc, ContentKind};
use std::hint::black_box;
use std::time::{Duration, Instant};

const ROWS: f64 = 10_000.0;

fn time(f: &mut dyn FnMut()) -> Duration {
    // Enough calls for a measurable span; the median call of the round.
    let mut spans: Vec<Duration> = (0..15)
        .map(|_| {
            let t = Instant::now();
            f();
            t.elapsed()
        })
        .collect();
    spans.sort();
    spans[spans.len() / 2]
}

fn main() {
    let path = std::env::args().nth(1).unwrap_or_else(|| {
        concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../target/bench-core/payload.json"
        )
        .to_string()
    });
    let bytes = std::fs::read(&path).unwrap_or_else(|e| {
        panic!("{path}: {e} (run `cargo bench -p inlet-core` once to write it)")
    });
    let mb = bytes.len() as f64 / 1e6;
    let mut readers: Vec<(&str, Box<dyn FnMut()>)> = vec![
        (
            "inlet parse_doc (in place)",
            Box::new(|| {
                drop(black_box(
                    parse_doc(black_box(&bytes), ContentKind::Json).unwrap(),
                ))
            }),
        ),
        (
            "inlet parse_body (Value)",
            Box::new(|| {
                drop(black_box(
                    parse_body(black_box(&bytes), ContentKind::Json).unwrap(),
                ))
            }),
        ),
        (
            "serde_json::from_slice (Value)",
            Box::new(|| {
                drop(black_box(
                    serde_json::from_slice::<serde_json::Value>(black_box(&bytes)).unwrap(),
                ))
            }),
        ),
        (
            "sonic_rs::from_slice (Value)",
            Box::new(|| {
                drop(black_box(
                    sonic_rs::from_slice::<sonic_rs::Value>(black_box(&bytes)).unwrap(),
                ))
            }),
        ),
        (
            "simd_json::to_borrowed_value",
            Box::new(|| {
                // simd-json reads in place into a mutable copy (the copy is timed: the body
                // arrives borrowed).
                let mut copy = bytes.clone();
                drop(black_box(
                    simd_json::to_borrowed_value(black_box(&mut copy)).unwrap(),
                ));
            }),
        ),
        (
            "simd_json::to_owned_value",
            Box::new(|| {
                let mut copy = bytes.clone();
                drop(black_box(
                    simd_json::to_owned_value(black_box(&mut copy)).unwrap(),
                ));
            }),
        ),
    ];
    let mut best = vec![Duration::MAX; readers.len()];
    for _round in 0..7 {
        for (i, (_, f)) in readers.iter_mut().enumerate() {
            best[i] = best[i].min(time(f.as_mut()));
        }
    }
    println!(
        "{} bytes, 10,000 rows; fastest round of 7 (median of 15 calls each)",
        bytes.len()
    );
    for ((name, _), d) in readers.iter().zip(&best) {
        let s = d.as_secs_f64();
        println!(
            "{name:32} {:8.2} ms  {:>10.0} rows/s  {:7.1} MB/s",
            s * 1e3,
            ROWS / s,
            mb / s
        );
    }
}
