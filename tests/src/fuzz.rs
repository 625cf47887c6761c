//! The properties the fuzz targets (`fuzz/`, `make fuzz`) hold the core to, one function per
//! target, each taking the fuzzer's raw bytes and panicking when a property breaks. They live here,
//! not in the fuzz crate, so that the stable `fuzz_corpus` test replays the saved corpora through
//! the very same checks (a crash once found stays fixed without a nightly toolchain).

use inlet_core::directory::MemoryDirectory;
use inlet_core::payload::{content_kind, parse_body, parse_json, parse_json_node, ContentKind};
use inlet_core::preview::{preview_bytes, preview_value, PreviewOutput};
use inlet_core::timestamp::{canonical, parse_timestamp};
use inlet_core::{Mapping, Path};
use serde_json::Value;

/// One target's check: the fuzzer's bytes in, a panic when a property breaks.
pub type Check = fn(&[u8]);

/// The targets, by the name of their corpus folder.
pub const TARGETS: &[(&str, Check)] = &[
    ("body_reader", body_reader),
    ("path", path),
    ("timestamp", timestamp),
    ("mapping", mapping),
    ("preview", preview),
];

/// Differential: Inlet's body reader (the hand-written reader with its `serde_json` fallback)
/// gives exactly what `serde_json` gives for every input: the same value with its keys in the same
/// order, or the same error message.
pub fn body_reader(data: &[u8]) {
    let ours = parse_json(data);
    let theirs = serde_json::from_slice::<Value>(data);
    match (&ours, &theirs) {
        (Ok(a), Ok(b)) => {
            assert_eq!(a, b, "values differ");
            assert_eq!(
                serde_json::to_string(a).ok(),
                serde_json::to_string(b).ok(),
                "key order differs"
            );
        }
        (Err(a), Err(b)) => assert_eq!(a.to_string(), b.to_string(), "errors differ"),
        _ => panic!("one accepted what the other refused: ours {ours:?}, serde_json {theirs:?}"),
    }
    // The same reader building rows in place reads the same values, with the same errors.
    match (parse_json_node(data), &theirs) {
        (Ok(n), Ok(b)) => assert_eq!(
            serde_json::to_string(&n.to_value()).ok(),
            serde_json::to_string(b).ok(),
            "the in-place reading differs"
        ),
        (Err(a), Err(b)) => assert_eq!(a.to_string(), b.to_string(), "errors differ in place"),
        (n, _) => panic!("the in-place reader disagrees: {n:?}, serde_json {theirs:?}"),
    }
    // The connection-test check agrees with the reader: a body is blank only if JSON calls it so.
    if let Ok(None) = parse_body(data, ContentKind::Json) {
        let empty = matches!(&theirs, Ok(Value::Object(m)) if m.is_empty())
            || matches!(&theirs, Ok(Value::Array(a)) if a.is_empty())
            || data
                .iter()
                .all(|b| matches!(b, b' ' | b'\t' | b'\n' | b'\r'));
        assert!(empty, "taken for a connection test: {data:?}");
    }
    // A file's preview, streamed row by row after a check of the whole document, writes what
    // the preview of the body whole writes: the check takes no document the reader refuses.
    for mapping in [
        r#"{"version": 1, "kind": "accounts", "match": {"id": "id"}}"#,
        r#"{"version": 1, "kind": "contacts", "wrapper_path": "rows", "operation_path": "op", "match": {"email": "email"}}"#,
    ] {
        let m = Mapping::from_json(mapping).unwrap();
        let mut streamed = Vec::new();
        inlet_core::preview::write_file_preview(data, None, &m, &mut streamed)
            .expect("a streamed preview is written whole");
        let mut whole = Vec::new();
        inlet_core::preview::preview_bytes_up_to(
            data,
            None,
            &m,
            &inlet_core::directory::EmptyDirectory,
            usize::MAX,
        )
        .write_ok_last(&mut whole)
        .unwrap();
        assert_eq!(
            String::from_utf8_lossy(&streamed),
            String::from_utf8_lossy(&whole),
            "the streamed preview differs"
        );
    }
}

/// A path either fails with an error that points inside the input, or prints in a canonical form
/// that parses back to the same path.
pub fn path(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    match Path::parse(text) {
        Ok(p) => {
            let printed = p.to_string();
            assert_eq!(
                Path::parse(&printed).as_ref(),
                Ok(&p),
                "printed {printed:?}"
            );
        }
        Err(e) => assert!(
            e.position <= text.chars().count(),
            "error position {} past the end of {text:?}",
            e.position
        ),
    }
}

/// A timestamp is refused, or accepted as a time whose canonical text has a four-digit year and
/// reads back as the same instant.
pub fn timestamp(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(dt) = parse_timestamp(&Value::String(text.to_string())) else {
        return;
    };
    let stored = canonical(dt);
    assert!(
        stored.len() >= 20 && stored.as_bytes()[..4].iter().all(u8::is_ascii_digit),
        "{text:?} stored as {stored:?}"
    );
    let back = parse_timestamp(&Value::String(stored.clone()));
    assert_eq!(back, Ok(dt), "{text:?} stored as {stored:?}");
}

/// A mapping document is refused with an error, or read; a read mapping compiles or is refused
/// (never a panic), and writing it out and reading it again gives the same mapping.
pub fn mapping(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(m) = Mapping::from_json(text) else {
        return;
    };
    let compiled = m.compile();
    let written = serde_json::to_string(&m).expect("a mapping always serialises");
    let again = Mapping::from_json(&written).expect("a written mapping reads back");
    assert_eq!(again, m, "written as {written}");
    assert_eq!(again.compile().is_ok(), compiled.is_ok());
}

/// The whole preview: the input is a golden-case document (`mapping`, `existing`, `payload` or
/// `payload_raw` with `content_type`), or else a raw body for a plain accounts mapping. Whatever
/// it holds, the preview answers (never a panic); the answer written by hand is the same text
/// `serde_json` writes; and planning from the bytes agrees with planning from the parsed value.
pub fn preview(data: &[u8]) {
    let case = serde_json::from_slice::<Value>(data)
        .ok()
        .filter(|c| c.get("mapping").is_some());
    let (mapping, existing, body, content_type) = match &case {
        Some(c) => {
            let Ok(m) = Mapping::from_value(&c["mapping"]) else {
                return;
            };
            let body = match (
                c.get("payload_raw").and_then(Value::as_str),
                c.get("payload"),
            ) {
                (Some(raw), _) => raw.as_bytes().to_vec(),
                (None, Some(v)) => serde_json::to_vec(v).expect("a value serialises"),
                (None, None) => return,
            };
            let ct = c.get("content_type").and_then(Value::as_str);
            (m, c.get("existing").cloned(), body, ct.map(str::to_string))
        }
        None => {
            let m = Mapping::from_json(
                r#"{"version":1,"kind":"accounts","wrapper_path":"data",
                    "operation_path":"op","match":{"id":"id","name":"name"}}"#,
            )
            .expect("the default mapping is valid");
            (m, None, data.to_vec(), None)
        }
    };
    let dir = match existing {
        None | Some(Value::Null) => MemoryDirectory::new(&Default::default()),
        Some(v) => match MemoryDirectory::from_json(&v) {
            Ok(d) => d,
            Err(_) => return,
        },
    };
    let out = preview_bytes(&body, content_type.as_deref(), &mapping, &dir);
    // The one writer of the answer, held to the format its types declare: it reads back to
    // the same answer, and serde's path writes the same bytes.
    let text = out.to_json();
    let back: PreviewOutput = serde_json::from_str(&text).expect("the answer reads back");
    assert_eq!(back, out, "the answer does not read back to itself");
    assert_eq!(
        serde_json::to_string(&out).expect("an answer serialises"),
        text
    );
    // Planning the rows read in place agrees with planning a view of the parsed `Value`.
    let json_body = content_kind(content_type.as_deref()) == Ok(ContentKind::Json);
    if let (true, Ok(Some(v))) = (json_body, parse_body(&body, ContentKind::Json)) {
        if mapping.compile().is_ok() {
            let borrowed = preview_value(&v, &mapping, &dir);
            assert_eq!(
                borrowed, out,
                "planning from the value differs from planning from the bytes"
            );
        }
    }
    if let PreviewOutput::Plan { ok, plan } = &out {
        assert_eq!(*ok, !plan.has_errors());
    }
}
