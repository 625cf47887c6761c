//! Core throughput (docs/design.md §10): a 10,000-row flat 10-field payload, bytes → rows → plan, against
//! a directory that already holds some of the contacts. Measurements, so the report can say where
//! the time goes: parsing alone (the rows read in place, and for comparison into a
//! `serde_json::Value`), planning alone (from the rows read in place, and from a view of a parsed
//! `Value`, as the host plans), and both (`parse_plan`, the headline).
//!
//! The payload is written to `INLET_BENCH_PAYLOAD` (default `target/bench-core/payload.json`) so
//! that `scripts/bench-core.sh` can time jq on the very same bytes.

use criterion::{black_box, criterion_group, criterion_main, Criterion, Throughput};
use inlet_core::directory::{MemoryDirectory, SampleContact, Snapshot};
use inlet_core::payload::{parse_body, parse_doc, ContentKind};
use inlet_core::{plan, Mapping, Node};
use std::time::Duration;

/// The allocator of every native program that runs the core (the desktop crate's): measured
/// with glibc's malloc, a third of planning's time was the allocator's, which no shipped build
/// spends (the WebAssembly build has its own arena).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

pub const ROWS: usize = 10_000;

const PLANS: [&str; 4] = ["free", "team", "pro", "enterprise"];
const FIRST: [&str; 8] = [
    "Ada", "Grace", "Alan", "Joan", "Linus", "Hedy", "Barbara", "Edsger",
];
const LAST: [&str; 8] = [
    "Lovelace", "Hopper", "Turing", "Clarke", "Torvalds", "Lamarr", "Liskov", "Dijkstra",
];

/// Ten fields per row, the shape of a Hightouch batch: strings, numbers, a boolean, a timestamp.
fn payload() -> Vec<u8> {
    let mut rows = Vec::with_capacity(ROWS);
    for i in 0..ROWS {
        rows.push(serde_json::json!({
            "id": format!("u{i:06}"),
            "email": format!("{}.{}{}@Example.com", FIRST[i % 8], LAST[(i / 8) % 8], i),
            "first_name": FIRST[i % 8],
            "last_name": LAST[(i / 8) % 8],
            "company": format!("Company {}", i % 500),
            "plan": PLANS[i % 4],
            "seats": (i % 97) + 1,
            "mrr": (i % 1000) as f64 * 1.5,
            "active": i % 3 != 0,
            "signed_up_at": format!("2024-{:02}-{:02}T{:02}:{:02}:00Z", i % 12 + 1, i % 28 + 1, i % 24, i % 60),
        }));
    }
    serde_json::to_vec(&serde_json::json!({ "op": "changed", "rows": rows })).unwrap()
}

/// A third of the rows exist: half of those by ID, half by email only (so the email fallback and
/// the "fill an empty ID" path both run); the rest are created.
fn directory() -> MemoryDirectory {
    let mut contacts = Vec::new();
    for i in (0..ROWS).step_by(3) {
        let by_id = i % 2 == 0;
        contacts.push(SampleContact {
            id: Some(format!("c{i}")),
            external_id: by_id.then(|| format!("u{i:06}")),
            email: Some(
                format!("{}.{}{}@example.com", FIRST[i % 8], LAST[(i / 8) % 8], i).to_lowercase(),
            ),
            account: None,
            properties: Default::default(),
        });
    }
    MemoryDirectory::new(&Snapshot {
        accounts: vec![],
        contacts,
        event_ids: vec![],
    })
}

fn mapping() -> inlet_core::Compiled {
    Mapping::from_json(
        r#"{"version": 1, "kind": "contacts", "behavior": "upsert", "wrapper_path": "rows", "operation_path": "op",
            "match": {"id": "id", "email": "email"}, "properties": {"exclude": ["id", "email"]}}"#,
    )
    .unwrap()
    .compile()
    .unwrap()
}

fn bench(c: &mut Criterion) {
    let bytes = payload();
    let out = std::env::var("INLET_BENCH_PAYLOAD").unwrap_or_else(|_| {
        concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../target/bench-core/payload.json"
        )
        .to_string()
    });
    if let Some(dir) = std::path::Path::new(&out).parent() {
        std::fs::create_dir_all(dir).unwrap();
    }
    std::fs::write(&out, &bytes).unwrap();
    let m = mapping();
    let dir = directory();

    // The plan must be the one we think we measure.
    let body = parse_doc(&bytes, ContentKind::Json).unwrap().unwrap();
    let p = plan(&body, &m, &dir).unwrap();
    assert_eq!(p.summary.rows, ROWS);
    assert_eq!(p.summary.error, 0);
    assert_eq!(p.summary.update, ROWS.div_ceil(3));
    eprintln!(
        "payload: {} bytes, {} rows; plan: {:?}",
        bytes.len(),
        ROWS,
        p.summary
    );

    let mut g = c.benchmark_group("core");
    g.throughput(Throughput::Elements(ROWS as u64));
    // INLET_BENCH_QUICK=1: the short rounds `scripts/bench-core.sh` alternates with jq.
    if std::env::var("INLET_BENCH_QUICK").is_ok_and(|v| v == "1") {
        g.sample_size(10)
            .warm_up_time(Duration::from_secs(1))
            .measurement_time(Duration::from_secs(3));
    } else {
        g.sample_size(20)
            .warm_up_time(Duration::from_secs(2))
            .measurement_time(Duration::from_secs(6));
    }
    // The rows read in place (what the planner reads).
    g.bench_function("parse", |b| {
        b.iter(|| parse_doc(black_box(&bytes), ContentKind::Json).unwrap())
    });
    // The same bytes into a `serde_json::Value` by the same reader (what the host keeps today).
    g.bench_function("parse_value", |b| {
        b.iter(|| parse_body(black_box(&bytes), ContentKind::Json).unwrap())
    });
    // Stock `serde_json` parsing of the same bytes.
    g.bench_function("parse_serde_json", |b| {
        b.iter(|| serde_json::from_slice::<serde_json::Value>(black_box(&bytes)).unwrap())
    });
    // Planning alone, from the rows read in place (dropping the plan is timed too).
    g.bench_function("plan", |b| {
        b.iter(|| plan(black_box(&body), &m, &dir).unwrap())
    });
    // Planning a view of a parsed `Value` (the listener's path): the view is built and timed.
    let value = parse_body(&bytes, ContentKind::Json).unwrap().unwrap();
    g.bench_function("plan_value", |b| {
        b.iter(|| plan(&Node::from_value(black_box(&value)), &m, &dir).unwrap())
    });
    // The headline: bytes to plan.
    g.bench_function("parse_plan", |b| {
        b.iter(|| {
            let body = parse_doc(black_box(&bytes), ContentKind::Json)
                .unwrap()
                .unwrap();
            plan(&body, &m, &dir).unwrap()
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
