//! The native baseline for the WebAssembly preview benchmark: the same call the wasm `preview`
//! makes (`preview_bytes` over an in-memory directory), on the same payload and mapping files.
//! Usage: bench_preview PAYLOAD_FILE MAPPING_FILE [RUNS]; prints JSON with the median in ms.

use inlet_core::directory::MemoryDirectory;
use inlet_core::mapping::Mapping;
use inlet_core::preview::{preview_bytes, PreviewOutput};
use std::time::Instant;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.len() < 3 {
        eprintln!("usage: bench_preview PAYLOAD_FILE MAPPING_FILE [RUNS]");
        std::process::exit(2);
    }
    let payload = std::fs::read(&args[1]).expect("payload file");
    let mapping = Mapping::from_json(&std::fs::read_to_string(&args[2]).expect("mapping file"))
        .expect("valid mapping");
    let runs: usize = args.get(3).and_then(|s| s.parse().ok()).unwrap_or(300);
    let dir = MemoryDirectory::new(&Default::default());
    let once = || {
        let out = preview_bytes(&payload, Some("application/json"), &mapping, &dir);
        // Serialising is part of what the wasm face does too (it answers a JSON string, written
        // by `to_json` as here).
        let text = out.to_json();
        assert!(
            matches!(out, PreviewOutput::Plan { .. }),
            "{}",
            &text[..text.len().min(300)]
        );
        text.len()
    };
    for _ in 0..20 {
        once();
    }
    let mut times: Vec<f64> = (0..runs)
        .map(|_| {
            let t = Instant::now();
            std::hint::black_box(once());
            t.elapsed().as_secs_f64() * 1000.0
        })
        .collect();
    times.sort_by(|a, b| a.total_cmp(b));
    // Where the time goes: parsing the body, planning, writing the answer.
    let compiled = mapping.compile().expect("valid mapping");
    let median_of = |f: &mut dyn FnMut()| {
        let mut t: Vec<f64> = (0..runs.min(100))
            .map(|_| {
                let s = Instant::now();
                f();
                s.elapsed().as_secs_f64() * 1000.0
            })
            .collect();
        t.sort_by(|a, b| a.total_cmp(b));
        t[t.len() / 2]
    };
    use inlet_core::payload::{parse_doc, ContentKind};
    let body = parse_doc(&payload, ContentKind::Json)
        .expect("json")
        .expect("rows");
    let parse = median_of(&mut || {
        std::hint::black_box(parse_doc(&payload, ContentKind::Json).expect("json"));
    });
    let plan_ms = median_of(&mut || {
        std::hint::black_box(inlet_core::plan(&body, &compiled, &dir).expect("plan"));
    });
    let plan = inlet_core::plan(&body, &compiled, &dir).expect("plan");
    let write = median_of(&mut || {
        std::hint::black_box(plan.to_json());
    });
    println!(
        "{{\"median_ms\": {:.4}, \"runs\": {runs}, \"parse_ms\": {parse:.4}, \"plan_ms\": {plan_ms:.4}, \"serialize_ms\": {write:.4}}}",
        times[runs / 2]
    );
}
