//! Walks `tests/cases/*.json`: each file holds a payload, a mapping and existing records, and the
//! output the core must produce. A failing case prints its file and a diff. `INLET_BLESS=1`
//! writes the current output into cases that have no `expect` yet (never over an existing one).

use serde_json::Value;
use std::path::PathBuf;

fn cases_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("cases")
}

/// Every case file, in name order.
fn case_files() -> Vec<PathBuf> {
    let mut files: Vec<_> = std::fs::read_dir(cases_dir())
        .expect("tests/cases exists")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    files.sort();
    files
}

#[test]
fn every_golden_case_produces_its_expected_plan() {
    let files = case_files();
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

/// The CLI's streamed preview of a file (each row read, planned and written in its turn) writes
/// exactly what planning the whole body writes, for every golden case's body and mapping (with
/// no stored records: the streamed preview is the pure one); those with an array of rows under
/// a key stream.
#[test]
fn every_golden_case_previews_the_same_when_streamed() {
    use inlet_core::preview::{preview_bytes_up_to, write_file_preview};
    let files = case_files();
    let (mut compared, mut streamed) = (0, 0);
    for file in &files {
        let case: Value = serde_json::from_str(&std::fs::read_to_string(file).unwrap()).unwrap();
        let Some(Ok(mapping)) = case.get("mapping").map(inlet_core::Mapping::from_value) else {
            continue;
        };
        let (body, ct) = if let Some(raw) = case.get("payload_raw").and_then(Value::as_str) {
            let ct = case.get("content_type").and_then(Value::as_str);
            (raw.as_bytes().to_vec(), ct.map(str::to_string))
        } else if let Some(form) = case.get("payload_form").and_then(Value::as_str) {
            let ct = "application/x-www-form-urlencoded".to_string();
            (form.as_bytes().to_vec(), Some(ct))
        } else if let Some(v) = case.get("payload") {
            (serde_json::to_vec(v).unwrap(), None)
        } else {
            continue;
        };
        let whole = preview_bytes_up_to(
            &body,
            ct.as_deref(),
            &mapping,
            &inlet_core::EmptyDirectory,
            usize::MAX,
        );
        let mut expected = Vec::new();
        whole.write_ok_last(&mut expected).unwrap();
        let mut actual = Vec::new();
        let written = write_file_preview(&body, ct.as_deref(), &mapping, &mut actual).unwrap();
        assert_eq!(
            String::from_utf8(actual).unwrap(),
            String::from_utf8(expected).unwrap(),
            "{}",
            file.display()
        );
        compared += 1;
        streamed += usize::from(written.streamed);
    }
    assert!(compared >= 100, "{compared} cases compared");
    // The rest are single rows, forms, connection tests and refusals, answered whole.
    assert!(
        streamed >= 60,
        "only {streamed} of {compared} cases streamed"
    );
}
