//! Walks `tests/cases/*.json`: each file holds a payload, a mapping and existing records, and the
//! output the core must produce. A failing case prints its file and a diff. `INLET_BLESS=1`
//! writes the current output into cases that have no `expect` yet (never over an existing one).

use serde_json::Value;
use std::path::PathBuf;

fn cases_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("cases")
}

#[test]
fn every_golden_case_produces_its_expected_plan() {
    let mut files: Vec<_> = std::fs::read_dir(cases_dir())
        .expect("tests/cases exists")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    files.sort();
    let bless = std::env::var("INLET_BLESS").is_ok_and(|v| v == "1");
    let mut failures = Vec::new();
    for file in &files {
        let text = std::fs::read_to_string(file).unwrap();
        let mut case: Value = match serde_json::from_str(&text) {
            Ok(v) => v,
            Err(e) => {
                failures.push(format!("{}: not valid JSON: {e}", file.display()));
                continue;
            }
        };
        let actual = inlet_core::preview::run_case(&case);
        match case.get("expect") {
            None if bless => {
                case["expect"] = actual;
                std::fs::write(file, serde_json::to_string_pretty(&case).unwrap() + "\n").unwrap();
            }
            None => failures.push(format!(
                "{}: no `expect` (run with INLET_BLESS=1 and review)",
                file.display()
            )),
            // Equal as text, not only as values: key order is part of the answer.
            Some(expected)
                if serde_json::to_string(expected).ok() == serde_json::to_string(&actual).ok() => {}
            Some(expected) => {
                let e = serde_json::to_string_pretty(expected).unwrap();
                let a = serde_json::to_string_pretty(&actual).unwrap();
                let diff = similar::TextDiff::from_lines(&e, &a)
                    .unified_diff()
                    .header("expected", "actual")
                    .to_string();
                failures.push(format!("{}:\n{diff}", file.display()));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} golden cases failed:\n\n{}",
        failures.len(),
        files.len(),
        failures.join("\n")
    );
    assert!(
        files.len() >= 60,
        "the corpus must hold at least 60 cases, found {}",
        files.len()
    );
}
