//! Replays each fuzz target's saved corpus (`fuzz/corpus/<target>/`, minimised by `make fuzz`),
//! the inputs of past findings (`fuzz/findings/<target>/`, kept by name) and the golden cases
//! through the fuzz targets' checks, on the stable toolchain: an input that once broke a property
//! cannot break it again unnoticed. The golden cases' bodies and the sender samples go through
//! the body reader's differential check too, so every JSON corpus of the tests agrees with
//! serde_json.

use inlet_tests::fuzz::{self, Check, TARGETS};
use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn files(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_file())
        .collect();
    files.sort();
    files
}

/// Runs one input, turning a panic into a failure that names the input.
fn run(name: String, check: Check, data: &[u8], failures: &mut Vec<String>) {
    if let Err(e) = std::panic::catch_unwind(|| check(data)) {
        let why = e
            .downcast_ref::<String>()
            .cloned()
            .or_else(|| e.downcast_ref::<&str>().map(|s| s.to_string()))
            .unwrap_or_default();
        failures.push(format!("{name}: {why}"));
    }
}

/// `run` on a saved input file.
fn replay(target: &str, check: Check, file: &Path, failures: &mut Vec<String>) {
    let data = std::fs::read(file).unwrap();
    run(
        format!("{target} {}", file.display()),
        check,
        &data,
        failures,
    );
}

#[test]
fn every_saved_fuzz_input_still_holds_its_target_properties() {
    let mut failures = Vec::new();
    for (target, check) in TARGETS {
        let inputs = files(&root().join("fuzz/corpus").join(target));
        assert!(
            inputs.len() >= 10,
            "fuzz/corpus/{target} holds {} inputs; run make fuzz",
            inputs.len()
        );
        for file in &inputs {
            replay(target, *check, file, &mut failures);
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn no_past_fuzz_finding_comes_back() {
    let mut failures = Vec::new();
    let mut count = 0;
    for (target, check) in TARGETS {
        let dir = root().join("fuzz/findings").join(target);
        if !dir.exists() {
            continue;
        }
        for file in files(&dir) {
            count += 1;
            replay(target, *check, &file, &mut failures);
        }
    }
    assert!(count >= 4, "fuzz/findings holds {count} inputs");
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn every_golden_case_holds_the_preview_and_reader_properties() {
    let mut failures = Vec::new();
    for file in files(&root().join("tests/cases")) {
        replay("preview", fuzz::preview, &file, &mut failures);
        replay("body_reader", fuzz::body_reader, &file, &mut failures);
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// The bodies of the other test corpora, read by the body reader as serde_json reads them: each
/// golden case's payload as it is posted (its raw text, or its JSON compact and spaced) and every
/// sender sample the window and the playground offer.
#[test]
fn every_golden_body_and_sender_sample_reads_as_serde_json_reads_it() {
    let mut failures = Vec::new();
    let mut count = 0;
    let mut check = |name: String, data: &[u8]| {
        count += 1;
        run(name, fuzz::body_reader, data, &mut failures);
    };
    for file in files(&root().join("tests/cases")) {
        let case: serde_json::Value =
            serde_json::from_slice(&std::fs::read(&file).unwrap()).unwrap();
        let name = file.display().to_string();
        if let Some(raw) = case.get("payload_raw").and_then(|r| r.as_str()) {
            check(format!("{name} (payload_raw)"), raw.as_bytes());
        }
        if let Some(p) = case.get("payload") {
            check(
                format!("{name} (payload)"),
                serde_json::to_string(p).unwrap().as_bytes(),
            );
            check(
                format!("{name} (payload, spaced)"),
                serde_json::to_string_pretty(p).unwrap().as_bytes(),
            );
        }
    }
    for file in files(&root().join("ui/src/lib/samples")) {
        check(file.display().to_string(), &std::fs::read(&file).unwrap());
    }
    assert!(count >= 150, "only {count} bodies were found to read");
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
