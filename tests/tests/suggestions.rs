//! The golden cases marked `"suggested": true` hold real senders' bodies (Polytomic, Segment and
//! RudderStack calls) with the mapping a user gets from "Suggest from the payload": the core must
//! still suggest exactly that mapping for that body, and the golden run checks what it writes.

use inlet_core::inventory::suggest_mapping;
use inlet_core::Mapping;
use serde_json::Value;
use std::path::PathBuf;

#[test]
fn each_suggested_case_mapping_is_what_the_payload_suggests() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("cases");
    let mut checked = Vec::new();
    let mut failures = Vec::new();
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        let case: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
        if case.get("suggested") != Some(&Value::Bool(true)) {
            continue;
        }
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let expected = Mapping::from_value(&case["mapping"]).unwrap();
        let suggested = suggest_mapping(&case["payload"], expected.kind);
        if suggested != expected {
            failures.push(format!(
                "{name}: suggested\n{}\nbut the case holds\n{}",
                serde_json::to_string_pretty(&suggested).unwrap(),
                serde_json::to_string_pretty(&expected).unwrap()
            ));
        }
        checked.push(name);
    }
    checked.sort();
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
    for sender in [
        "polytomic",
        "segment-identify",
        "segment-track",
        "rudderstack-identify",
        "rudderstack-track",
    ] {
        assert!(
            checked.iter().any(|c| c.contains(sender)),
            "no suggested case for {sender}: {checked:?}"
        );
    }
}
