//! The WebAssembly module's allocator, installed here as this test binary's global allocator
//! (a plain `main`, so no test threads allocate behind its back): previews made inside scopes
//! give the same answers, reuse the same memory, and never reset under a live value.

use inlet_wasm::arena::Arena;
use std::alloc::System;

#[global_allocator]
static ALLOC: Arena<System> = Arena::new(System);

const MAPPING: &str = r#"{"version":1,"kind":"contacts","behavior":"upsert","wrapper_path":"rows","operation_path":"op","match":{"id":"user_id","email":"email"},"account":{"id":"company_id","name":"company_name"}}"#;

fn payload(rows: usize) -> String {
    let rows: Vec<String> = (0..rows)
        .map(|i| format!(r#"{{"user_id":"u_{i}","email":"Person{i}@Example.com","name":"Prénom \"{i}\"","company_id":"c_{}","company_name":"Co {}","mrr":{}.5}}"#, i % 7, i % 7, i))
        .collect();
    format!(r#"{{"op":"added","rows":[{}]}}"#, rows.join(","))
}

fn main() {
    let body = payload(2_000);
    let outside = inlet_wasm::api::preview(&body, MAPPING, None, None);
    assert!(outside.starts_with(r#"{"ok":true"#), "{}", &outside[..200]);

    // Same answer, and once it is dropped nothing of the arena is alive and it starts over.
    let before = ALLOC.stats();
    let inside = ALLOC.scope(|| inlet_wasm::api::preview(&body, MAPPING, None, None));
    assert_eq!(inside, outside);
    assert!(
        ALLOC.stats().live > 0,
        "the answer lives in the arena until it is dropped"
    );
    drop(inside);
    let after = ALLOC.stats();
    assert_eq!(after.live, 0);
    assert!(after.resets > before.resets);
    assert!(after.chunks >= 1);

    // Twenty more previews reuse those chunks instead of reserving more.
    for _ in 0..20 {
        let out = ALLOC.scope(|| inlet_wasm::api::preview(&body, MAPPING, None, None));
        assert_eq!(out, outside);
    }
    assert_eq!(
        ALLOC.stats().reserved,
        after.reserved,
        "memory is reused between previews"
    );

    // A value made in a scope and kept afterwards is never overwritten: the arena does not start
    // over while it is alive, even across other scopes.
    let kept: Vec<u64> = ALLOC.scope(|| (0..10_000u64).map(|i| i * 3).collect());
    let mut grown = ALLOC.scope(|| String::from("start"));
    for _ in 0..3 {
        let out = ALLOC.scope(|| inlet_wasm::api::preview(&body, MAPPING, None, None));
        assert_eq!(out, outside);
        drop(out);
        // Growing a block outside a scope moves it out of the arena with its contents.
        grown.push_str(&"x".repeat(1000));
    }
    assert!(
        kept.iter().enumerate().all(|(i, &v)| v == i as u64 * 3),
        "a live value was overwritten"
    );
    assert_eq!(grown.len(), 5 + 3000);
    assert!(grown.starts_with("startxxx"));
    drop(kept);
    drop(grown);
    assert_eq!(ALLOC.stats().live, 0);

    // A block larger than any chunk gets a chunk of its own; a payload larger than the first
    // chunk still previews the same.
    let big = payload(30_000);
    let want = inlet_wasm::api::preview(&big, MAPPING, None, None);
    let got = ALLOC.scope(|| inlet_wasm::api::preview(&big, MAPPING, None, None));
    assert_eq!(got, want);
    drop(got);
    let s = ALLOC.stats();
    assert_eq!(s.live, 0);
    assert!(s.chunks > after.chunks, "{s:?}");
    println!(
        "arena: ok ({} chunks, {} MB reserved, {} resets)",
        s.chunks,
        s.reserved >> 20,
        s.resets
    );
}
