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
use inlet_core::Node;
use std::borrow::Cow;
use std::hint::black_box;
use std::time::{Duration, Instant};

const ROWS: f64 = 10_000.0;

/// A reader's name and one call of it.
type Reader<'a> = (&'static str, Box<dyn FnMut() + 'a>);

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
    let mut readers: Vec<Reader> = vec![
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
            "sonic_rs::from_slice (Node)",
            Box::new(|| {
                drop(black_box(
                    sonic_rs::from_slice::<AsNode>(black_box(&bytes)).unwrap(),
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

/// What the planner reads (`Node`, strings borrowed where the text has no escape), built by
/// sonic-rs through serde: the fair comparison with `parse_doc`, which builds the same. (Repeated
/// keys are not merged here, which only flatters sonic-rs.)
struct AsNode<'a>(#[allow(dead_code)] inlet_core::Node<'a>);

impl<'de> serde::Deserialize<'de> for AsNode<'de> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(NodeVisitor).map(AsNode)
    }
}

struct NodeVisitor;

impl<'de> serde::de::Visitor<'de> for NodeVisitor {
    type Value = inlet_core::Node<'de>;
    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("JSON")
    }
    fn visit_unit<E>(self) -> Result<Self::Value, E> {
        Ok(Node::Null)
    }
    fn visit_bool<E>(self, b: bool) -> Result<Self::Value, E> {
        Ok(Node::Bool(b))
    }
    fn visit_u64<E>(self, n: u64) -> Result<Self::Value, E> {
        Ok(Node::Number(n.into()))
    }
    fn visit_i64<E>(self, n: i64) -> Result<Self::Value, E> {
        Ok(Node::Number(n.into()))
    }
    fn visit_f64<E: serde::de::Error>(self, n: f64) -> Result<Self::Value, E> {
        serde_json::Number::from_f64(n)
            .map(Node::Number)
            .ok_or_else(|| E::custom("not a finite number"))
    }
    fn visit_borrowed_str<E>(self, s: &'de str) -> Result<Self::Value, E> {
        Ok(Node::String(Cow::Borrowed(s)))
    }
    fn visit_str<E>(self, s: &str) -> Result<Self::Value, E> {
        Ok(Node::String(Cow::Owned(s.to_owned())))
    }
    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut a: A) -> Result<Self::Value, A::Error> {
        let mut items = Vec::with_capacity(a.size_hint().unwrap_or(0));
        while let Some(AsNode(n)) = a.next_element()? {
            items.push(n);
        }
        Ok(Node::Array(items))
    }
    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut a: A) -> Result<Self::Value, A::Error> {
        let mut entries = Vec::with_capacity(a.size_hint().unwrap_or(0));
        while let Some((Key(k), AsNode(v))) = a.next_entry()? {
            entries.push((k, v));
        }
        Ok(Node::Object(entries))
    }
}

/// A key, borrowed where sonic-rs lends it.
struct Key<'a>(Cow<'a, str>);

impl<'de> serde::Deserialize<'de> for Key<'de> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> serde::de::Visitor<'de> for V {
            type Value = Key<'de>;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a key")
            }
            fn visit_borrowed_str<E>(self, s: &'de str) -> Result<Key<'de>, E> {
                Ok(Key(Cow::Borrowed(s)))
            }
            fn visit_str<E>(self, s: &str) -> Result<Key<'de>, E> {
                Ok(Key(Cow::Owned(s.to_owned())))
            }
        }
        d.deserialize_str(V)
    }
}
