//! Runs the wasm face's `preview` natively on the benchmark's 1,000-row payload, a given number
//! of times (for instruction counts under `valgrind --tool=callgrind`, which are repeatable on a
//! loaded machine where wall-clock times are not). Usage: preview_once [RUNS]; prints the answer's
//! length and a checksum so that two builds can be compared.

// The allocator the WebAssembly module uses, so that native instruction counts stand for it.
#[global_allocator]
static ALLOC: inlet_wasm::arena::Arena<std::alloc::System> =
    inlet_wasm::arena::Arena::new(std::alloc::System);

fn payload() -> String {
    let plans = ["free", "team", "enterprise"];
    let rows: Vec<String> = (0..1000)
        .map(|i| {
            let mrr = (i as f64 * 7.5) % 1000.0;
            format!(
                r#"{{"user_id":"u_{i}","email":"person{i}@example.com","first_name":"First{i}","last_name":"Last{i}","company_id":"c_{c}","company_name":"Company {c}","plan":"{p}","mrr":{mrr},"active":{a},"signed_up_at":"2026-0{m}-1{d}T10:00:00Z"}}"#,
                c = i % 50,
                p = plans[i % 3],
                a = i % 4 != 0,
                m = 1 + i % 9,
                d = i % 10,
            )
        })
        .collect();
    format!(r#"{{"op":"added","rows":[{}]}}"#, rows.join(","))
}

const MAPPING: &str = r#"{"version":1,"kind":"contacts","behavior":"upsert","wrapper_path":"rows","operation_path":"op","match":{"id":"user_id","email":"email"},"account":{"id":"company_id","name":"company_name"}}"#;

fn main() {
    let runs: usize = std::env::args()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(1);
    let payload = payload();
    let mut sum = 0u64;
    let mut len = 0;
    for _ in 0..runs {
        let out = ALLOC.scope(|| inlet_wasm::api::preview(&payload, MAPPING, None, None));
        len = out.len();
        sum = out
            .bytes()
            .fold(sum, |h, b| h.wrapping_mul(31).wrapping_add(u64::from(b)));
    }
    println!("{len} {sum:x}");
}
