//! Thin WebAssembly face over `inlet-core`: JSON strings in, JSON strings out (docs/design.md §1).
//!
//! Every function answers `{"ok": true, …}` or `{"ok": false, "error": {"code", "detail", …}}`;
//! nothing panics across the boundary (the functions below never unwrap, and the core's own
//! entry points return errors as values). The plain functions in [`api`] hold the logic so that
//! they are tested natively; the `#[wasm_bindgen]` exports only forward to them.

use wasm_bindgen::prelude::*;

pub mod arena;

#[cfg(target_arch = "wasm32")]
#[global_allocator]
static ALLOC: arena::Arena<std::alloc::System> = arena::Arena::new(std::alloc::System);

/// Runs one exported call with its allocations in the arena (see [`arena`]).
#[cfg(target_arch = "wasm32")]
fn call<R>(f: impl FnOnce() -> R) -> R {
    ALLOC.scope(f)
}

#[cfg(not(target_arch = "wasm32"))]
fn call<R>(f: impl FnOnce() -> R) -> R {
    f()
}

pub mod api {
    use inlet_core::directory::MemoryDirectory;
    use inlet_core::inventory::{inspect as core_inspect, suggest_mapping as core_suggest};
    use inlet_core::mapping::{Kind, Mapping, OnRemoved};
    use inlet_core::preview::{preview_bytes, PreviewOutput};
    use inlet_core::Path;
    use inlet_core::{drift, liquid, EmptyDirectory};
    use serde_json::{json, Map, Value};

    fn text(v: &Value) -> String {
        serde_json::to_string(v).unwrap_or_else(|_| {
            r#"{"ok":false,"error":{"code":"internal","detail":"could not encode the answer"}}"#
                .into()
        })
    }

    fn failed(code: &str, detail: impl Into<String>, extra: Value) -> Value {
        let mut error = json!({"code": code, "detail": detail.into()});
        if let (Some(e), Value::Object(x)) = (error.as_object_mut(), extra) {
            e.extend(x);
        }
        json!({"ok": false, "error": error})
    }

    fn output(o: PreviewOutput) -> Value {
        serde_json::to_value(o).unwrap_or_else(|e| failed("internal", e.to_string(), Value::Null))
    }

    /// The answer written straight to text: the same bytes as `text(&output(o))` (the tests check
    /// it), without building and then freeing a `Value` tree as large as the plan.
    fn output_text(o: &PreviewOutput) -> String {
        o.to_json()
    }

    /// Parses a JSON document typed by a user; the error says where (1-based line and column).
    fn parse_json(what: &str, code: &str, s: &str) -> Result<Value, Value> {
        if s.trim().is_empty() {
            return Err(failed(
                code,
                format!("the {what} is empty"),
                json!({"line": 1, "column": 1}),
            ));
        }
        serde_json::from_str(s).map_err(|e| {
            let detail = format!("the {what} is not valid JSON: {e}");
            failed(
                code,
                detail,
                json!({"line": e.line(), "column": e.column()}),
            )
        })
    }

    fn parse_mapping(s: &str) -> Result<Mapping, Value> {
        let m = Mapping::from_json(s).map_err(|e| {
            output(PreviewOutput::failed(
                "invalid_mapping",
                400,
                e.to_string(),
                Some(e.field),
            ))
        })?;
        Ok(m)
    }

    fn parse_kind(kind: &str) -> Result<Kind, Value> {
        Kind::parse(kind.trim()).ok_or_else(|| {
            failed(
                "invalid_kind",
                format!("kind {kind:?} is not one of accounts, contacts, events"),
                json!({"field": "kind"}),
            )
        })
    }

    fn mapping_value(m: &Mapping) -> Value {
        serde_json::to_value(m).unwrap_or(Value::Null)
    }

    /// The field picker's data at `wrapper_path` (the suggested wrapper when `None`), with a
    /// suggested mapping for each kind.
    pub fn inspect(payload: &str, wrapper_path: Option<&str>) -> String {
        let body = match parse_json("payload", "invalid_json", payload) {
            Ok(b) => b,
            Err(e) => return text(&e),
        };
        let ins = core_inspect(&body, wrapper_path);
        let mut out = Map::new();
        out.insert("ok".into(), Value::Bool(true));
        if let Ok(Value::Object(m)) = serde_json::to_value(&ins) {
            out.extend(m);
        }
        let mut suggestions = Map::new();
        for kind in [Kind::Accounts, Kind::Contacts, Kind::Events] {
            suggestions.insert(
                kind.as_str().into(),
                mapping_value(&core_suggest(&body, kind)),
            );
        }
        out.insert("suggestions".into(), Value::Object(suggestions));
        text(&Value::Object(out))
    }

    /// `{"ok": true, "mapping": <the document as the core reads it>}` or the first rule it breaks.
    pub fn validate_mapping(mapping: &str) -> String {
        let m = match parse_mapping(mapping) {
            Ok(m) => m,
            Err(e) => return text(&e),
        };
        match m.compile() {
            Ok(_) => text(&json!({"ok": true, "mapping": mapping_value(&m)})),
            Err(e) => text(&output(PreviewOutput::failed(
                "invalid_mapping",
                400,
                e.to_string(),
                Some(e.field),
            ))),
        }
    }

    /// The Plan the listener would make of this body: exactly the native `preview_bytes`.
    /// `directory` is the existing records (`{"accounts": […], "contacts": […], "event_ids": […]}`).
    pub fn preview(
        payload: &str,
        mapping: &str,
        directory: Option<&str>,
        content_type: Option<&str>,
    ) -> String {
        match planned(payload, mapping, directory, content_type) {
            Ok(out) => output_text(&out),
            Err(e) => e,
        }
    }

    /// The same preview as the page reads it: the rows from `offset` (at most `limit`), the
    /// summary of all of them, and the rows that fail (see `PreviewOutput::to_json_page`). Each
    /// call plans the whole body again, so the module keeps nothing between calls: the page asks
    /// for the next rows with the inputs it showed, and planning is deterministic.
    pub fn preview_page(
        payload: &str,
        mapping: &str,
        directory: Option<&str>,
        content_type: Option<&str>,
        offset: usize,
        limit: usize,
    ) -> String {
        match planned(payload, mapping, directory, content_type) {
            Ok(out) => out.to_json_page(offset, limit),
            Err(e) => e,
        }
    }

    /// The preview's output, or the answer (as text) for inputs that are not a mapping or a
    /// directory.
    fn planned(
        payload: &str,
        mapping: &str,
        directory: Option<&str>,
        content_type: Option<&str>,
    ) -> Result<PreviewOutput, String> {
        let m = parse_mapping(mapping).map_err(|e| text(&e))?;
        let content_type = content_type.or(Some("application/json"));
        match directory.map(str::trim).filter(|d| !d.is_empty()) {
            None => Ok(preview_bytes(
                payload.as_bytes(),
                content_type,
                &m,
                &EmptyDirectory,
            )),
            Some(d) => {
                let v =
                    parse_json("existing records", "invalid_directory", d).map_err(|e| text(&e))?;
                let dir = MemoryDirectory::from_json(&v)
                    .map_err(|e| text(&failed("invalid_directory", e, Value::Null)))?;
                Ok(preview_bytes(payload.as_bytes(), content_type, &m, &dir))
            }
        }
    }

    /// One golden case document → the output its `expect` holds (the parity check).
    pub fn run_case(case: &str) -> String {
        match parse_json("case", "invalid_case", case) {
            Ok(c) => text(&inlet_core::preview::run_case(&c)),
            Err(e) => text(&e),
        }
    }

    pub fn suggest_mapping(payload: &str, kind: &str) -> String {
        let body = match parse_json("payload", "invalid_json", payload) {
            Ok(b) => b,
            Err(e) => return text(&e),
        };
        match parse_kind(kind) {
            Ok(k) => text(&json!({"ok": true, "mapping": mapping_value(&core_suggest(&body, k))})),
            Err(e) => text(&e),
        }
    }

    /// A mapping as the form should show and send it: blank references dropped, and the sections
    /// the kind does not read removed (an event mapping has no `match`, an account mapping no
    /// `account`, `on_removed` only with an operation path). `{"ok": true, "mapping": …}`, or the
    /// error when the document is not a mapping at all.
    pub fn clean_mapping(mapping: &str) -> String {
        match parse_mapping(mapping) {
            Ok(m) => text(&json!({"ok": true, "mapping": mapping_value(&tidy(m))})),
            Err(e) => text(&e),
        }
    }

    fn tidy(mut m: Mapping) -> Mapping {
        fn blank(s: &mut Option<String>) {
            if s.as_deref() == Some("") {
                *s = None;
            }
        }
        blank(&mut m.operation_path);
        if let Some(k) = m.match_on.as_mut() {
            [&mut k.id, &mut k.name, &mut k.email]
                .into_iter()
                .for_each(blank);
        }
        if let Some(a) = m.account.as_mut() {
            [&mut a.id, &mut a.name].into_iter().for_each(blank);
        }
        if let Some(e) = m.event.as_mut() {
            [
                &mut e.account_id,
                &mut e.contact_id,
                &mut e.timestamp,
                &mut e.id,
            ]
            .into_iter()
            .for_each(blank);
            if let Some(t) = e.event_type.as_mut() {
                [&mut t.path, &mut t.value].into_iter().for_each(blank);
            }
        }
        if m.properties
            .as_ref()
            .is_some_and(|p| p.path.is_empty() && p.include.is_none() && p.exclude.is_empty())
        {
            m.properties = None;
        }
        if m.kind == Kind::Events {
            m.match_on = None;
            m.account = None;
            m.behavior = None;
            if m.on_removed == Some(OnRemoved::Delete) {
                m.on_removed = None;
            }
        } else {
            m.event = None;
            if m.kind == Kind::Accounts {
                m.account = None;
            }
        }
        if m.operation_path.is_none() {
            m.on_removed = None;
        }
        m
    }

    /// The value at `path` (docs/design.md §3) in the JSON document `value`:
    /// `{"ok": true, "found": true, "value": …}`, `{"ok": true, "found": false}` when a step is
    /// missing, or an `invalid_path` error that says where the path is wrong.
    pub fn read_path(value: &str, path: &str) -> String {
        let doc = match parse_json("value", "invalid_json", value) {
            Ok(v) => v,
            Err(e) => return text(&e),
        };
        match Path::parse(path) {
            Ok(p) => match p.get(&doc) {
                Some(v) => text(&json!({"ok": true, "found": true, "value": v})),
                None => text(&json!({"ok": true, "found": false})),
            },
            Err(e) => text(&failed(
                "invalid_path",
                e.to_string(),
                json!({"position": e.position}),
            )),
        }
    }

    /// The Hightouch Liquid bodies (single row and batch) that produce what `mapping` reads.
    /// `extra_fields` is an optional JSON array of more row paths to send as properties.
    pub fn liquid_template(mapping: &str, extra_fields: Option<&str>) -> String {
        let m = match parse_mapping(mapping) {
            Ok(m) => m,
            Err(e) => return text(&e),
        };
        let extra: Vec<String> = match extra_fields.map(str::trim).filter(|s| !s.is_empty()) {
            None => Vec::new(),
            Some(s) => match serde_json::from_str(s) {
                Ok(v) => v,
                Err(e) => {
                    return text(&failed(
                        "invalid_fields",
                        format!("extra fields must be a JSON array of paths: {e}"),
                        Value::Null,
                    ))
                }
            },
        };
        match liquid::template(&m, &extra) {
            Ok(t) => {
                let mut v = serde_json::to_value(t).unwrap_or(Value::Null);
                if let Some(o) = v.as_object_mut() {
                    o.insert("ok".into(), Value::Bool(true));
                }
                text(&v)
            }
            Err(e) => text(&output(PreviewOutput::failed(
                "invalid_mapping",
                400,
                e.to_string(),
                Some(e.field),
            ))),
        }
    }

    /// What the listener would flag as drift (docs/design.md §13) if `before` were the rows accepted so
    /// far and `now` the next request: `{"ok": true, "baseline_rows", "rows", "drift": […]}`.
    pub fn drift(before: &str, now: &str, mapping: &str) -> String {
        let m = match parse_mapping(mapping) {
            Ok(m) => m,
            Err(e) => return text(&e),
        };
        let compiled = match m.compile() {
            Ok(c) => c,
            Err(e) => {
                return text(&output(PreviewOutput::failed(
                    "invalid_mapping",
                    400,
                    e.to_string(),
                    Some(e.field),
                )))
            }
        };
        let before = match parse_json("first payload", "invalid_json", before) {
            Ok(b) => b,
            Err(e) => return text(&e),
        };
        let now = match parse_json("second payload", "invalid_json", now) {
            Ok(b) => b,
            Err(e) => return text(&e),
        };
        let baseline = drift::Shape::of_body(&inlet_core::Node::from_value(&before), &compiled);
        let request = drift::Shape::of_body(&inlet_core::Node::from_value(&now), &compiled);
        let found = drift::compare(&baseline, &request);
        text(&json!({
            "ok": true,
            "baseline_rows": baseline.rows,
            "rows": request.rows,
            "drift": found,
        }))
    }
}

#[wasm_bindgen]
pub fn inspect(payload: &str, wrapper_path: Option<String>) -> String {
    call(|| api::inspect(payload, wrapper_path.as_deref()))
}

#[wasm_bindgen]
pub fn validate_mapping(mapping: &str) -> String {
    call(|| api::validate_mapping(mapping))
}

#[wasm_bindgen]
pub fn preview(
    payload: &str,
    mapping: &str,
    directory: Option<String>,
    content_type: Option<String>,
) -> String {
    call(|| {
        api::preview(
            payload,
            mapping,
            directory.as_deref(),
            content_type.as_deref(),
        )
    })
}

/// The preview as the page reads it: `limit` rows from `offset` (see `api::preview_page`).
#[wasm_bindgen]
pub fn preview_page(
    payload: &str,
    mapping: &str,
    directory: Option<String>,
    content_type: Option<String>,
    offset: u32,
    limit: u32,
) -> String {
    call(|| {
        api::preview_page(
            payload,
            mapping,
            directory.as_deref(),
            content_type.as_deref(),
            offset as usize,
            limit as usize,
        )
    })
}

#[wasm_bindgen]
pub fn run_case(case: &str) -> String {
    call(|| api::run_case(case))
}

#[wasm_bindgen]
pub fn suggest_mapping(payload: &str, kind: &str) -> String {
    call(|| api::suggest_mapping(payload, kind))
}

#[wasm_bindgen]
pub fn liquid_template(mapping: &str, extra_fields: Option<String>) -> String {
    call(|| api::liquid_template(mapping, extra_fields.as_deref()))
}

#[wasm_bindgen]
pub fn clean_mapping(mapping: &str) -> String {
    call(|| api::clean_mapping(mapping))
}

#[wasm_bindgen]
pub fn read_path(value: &str, path: &str) -> String {
    call(|| api::read_path(value, path))
}

#[wasm_bindgen]
pub fn drift(before: &str, now: &str, mapping: &str) -> String {
    call(|| api::drift(before, now, mapping))
}

/// The version of the core this module was built from.
#[wasm_bindgen]
pub fn core_version() -> String {
    env!("CARGO_PKG_VERSION").to_string()
}

#[cfg(test)]
mod tests {
    use super::api;
    use serde_json::{json, Value};

    fn v(s: String) -> Value {
        serde_json::from_str(&s).expect("every answer is JSON")
    }

    #[test]
    fn inspect_finds_rows_fields_and_suggestions() {
        let out = v(api::inspect(
            r#"{"op":"added","rows":[{"account_id":42,"name":"Wayne"}]}"#,
            None,
        ));
        assert_eq!(out["ok"], true);
        assert_eq!(out["suggested_wrapper_path"], "rows");
        assert_eq!(out["rows"], 1);
        assert_eq!(
            out["fields"][0],
            json!({"path": "account_id", "type": "number", "example": 42, "present": 1})
        );
        assert_eq!(
            out["suggestions"]["accounts"]["match"],
            json!({"id": "account_id", "name": "name"})
        );
        assert!(out["suggestions"]["events"].is_object());
    }

    #[test]
    fn clean_mapping_drops_blanks_and_what_the_kind_does_not_read() {
        let out = v(api::clean_mapping(
            r#"{"version":1,"kind":"accounts","wrapper_path":"","match":{"id":"id","email":""},
                "account":{"id":"x"},"properties":{"path":"","exclude":[]},"on_removed":"delete"}"#,
        ));
        assert_eq!(
            out,
            json!({"ok": true, "mapping": {"version": 1, "kind": "accounts", "wrapper_path": "",
                "match": {"id": "id"}}})
        );
        let out = v(api::clean_mapping(
            r#"{"version":1,"kind":"events","behavior":"update","match":{},"operation_path":"op",
                "on_removed":"delete","event":{"type":{"path":"event","value":""},"contact_id":""}}"#,
        ));
        assert_eq!(
            out["mapping"],
            json!({"version": 1, "kind": "events", "wrapper_path": "", "operation_path": "op",
                "event": {"type": {"path": "event"}}})
        );
        let out = v(api::clean_mapping(
            r#"{"version":1,"kind":"contacts","operation_path":"","on_removed":"delete",
                "account":{"name":"company.name","id":""},"properties":{"path":"traits"}}"#,
        ));
        assert_eq!(
            out["mapping"],
            json!({"version": 1, "kind": "contacts", "wrapper_path": "",
                "account": {"name": "company.name"}, "properties": {"path": "traits"}})
        );
        let out = v(api::clean_mapping(r#"{"version":1,"kind":"people"}"#));
        assert_eq!(out["error"]["code"], "invalid_mapping");
    }

    #[test]
    fn read_path_reads_the_path_syntax_of_the_core() {
        let doc = r#"{"a":{"b.c":[{"d":1}]},"x":2,"n":null}"#;
        assert_eq!(v(api::read_path(doc, r#"a["b.c"][0].d"#))["value"], 1);
        assert_eq!(v(api::read_path(doc, "$.x"))["value"], 2);
        assert_eq!(
            v(api::read_path(doc, "n")),
            json!({"ok": true, "found": true, "value": null})
        );
        assert_eq!(
            v(api::read_path(doc, "a.missing.deeper")),
            json!({"ok": true, "found": false})
        );
        assert_eq!(v(api::read_path(doc, ""))["value"]["x"], 2);
        let bad = v(api::read_path(doc, "a[\"b"));
        assert_eq!(bad["error"]["code"], "invalid_path");
        assert!(bad["error"]["position"].is_number());
    }

    #[test]
    fn bad_json_says_where() {
        let out = v(api::inspect("{\n  \"a\": 1,\n}", None));
        assert_eq!(out["ok"], false);
        assert_eq!(out["error"]["code"], "invalid_json");
        assert_eq!(out["error"]["line"], 3);
        let out = v(api::preview("[]", "{", None, None));
        assert_eq!(out["error"]["code"], "invalid_mapping");
        let out = v(api::preview(
            "[{\"id\":1}]",
            r#"{"version":1,"kind":"accounts","match":{"id":"id"}}"#,
            Some("{\"people\":[]}"),
            None,
        ));
        assert_eq!(out["error"]["code"], "invalid_directory");
        assert_eq!(v(api::inspect("  ", None))["error"]["code"], "invalid_json");
        assert_eq!(
            v(api::suggest_mapping("{}", "people"))["error"]["code"],
            "invalid_kind"
        );
        assert_eq!(v(api::run_case("nope"))["error"]["code"], "invalid_case");
        assert_eq!(
            v(api::liquid_template(
                r#"{"version":1,"kind":"accounts"}"#,
                None
            ))["error"]["field"],
            "match"
        );
    }

    #[test]
    fn preview_is_the_native_plan() {
        let mapping =
            r#"{"version":1,"kind":"accounts","match":{"id":"account_id","name":"name"}}"#;
        let dir = r#"{"accounts":[{"id":"a1","external_id":"42"}]}"#;
        let out = v(api::preview(
            r#"[{"account_id":42,"name":"W"},{"account_id":43}]"#,
            mapping,
            Some(dir),
            None,
        ));
        assert_eq!(out["ok"], true);
        assert_eq!(out["plan"]["rows"][0]["action"], "update");
        assert_eq!(out["plan"]["rows"][1]["action"], "create");
        assert_eq!(
            v(api::preview("", mapping, None, None)),
            json!({"ok": true, "connection_test": true})
        );
        let form = v(api::preview(
            "account_id=7&name=X",
            mapping,
            None,
            Some("application/x-www-form-urlencoded"),
        ));
        assert_eq!(
            form["plan"]["rows"][0]["key"],
            json!({"by": "id", "value": "7"})
        );
    }

    /// A golden case as the playground calls `preview` with it.
    struct Golden {
        path: std::path::PathBuf,
        payload: String,
        mapping: String,
        existing: Option<String>,
        content_type: Option<String>,
        expect: Value,
    }

    fn golden_cases() -> Vec<Golden> {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../tests/cases");
        let mut out = Vec::new();
        for entry in std::fs::read_dir(dir).expect("golden cases") {
            let path = entry.unwrap().path();
            if path.extension().and_then(|e| e.to_str()) != Some("json") {
                continue;
            }
            let case: Value =
                serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
            let Some(mapping) = case.get("mapping") else {
                continue;
            };
            let existing = case
                .get("existing")
                .filter(|e| !e.is_null())
                .map(|e| e.to_string());
            let (payload, content_type) =
                if let Some(raw) = case.get("payload_raw").and_then(Value::as_str) {
                    (
                        raw.to_string(),
                        case.get("content_type").and_then(Value::as_str),
                    )
                } else if let Some(form) = case.get("payload_form").and_then(Value::as_str) {
                    (form.to_string(), Some("application/x-www-form-urlencoded"))
                } else if let Some(p) = case.get("payload") {
                    (p.to_string(), None)
                } else {
                    continue;
                };
            out.push(Golden {
                mapping: mapping.to_string(),
                existing,
                content_type: content_type.map(str::to_string),
                payload,
                expect: case["expect"].clone(),
                path,
            });
        }
        assert!(out.len() >= 100, "only {} golden cases found", out.len());
        out
    }

    /// `preview` writes its answer straight to text: every golden case, run through `preview` as
    /// the playground calls it, must give the case's `expect` byte for byte (key order included).
    #[test]
    fn preview_answers_every_golden_case_byte_for_byte() {
        for g in golden_cases() {
            let got = api::preview(
                &g.payload,
                &g.mapping,
                g.existing.as_deref(),
                g.content_type.as_deref(),
            );
            assert_eq!(got, g.expect.to_string(), "{}", g.path.display());
        }
    }

    /// The paged answer of every golden case: its pages, read one after the other, are the
    /// case's rows; the rest of the plan is the case's, byte for byte; `page` says where the rows
    /// start, how many rows warn, and lists the failing rows. Answers without a plan are the
    /// full answer's bytes.
    #[test]
    fn pages_of_every_golden_case_add_up_to_its_answer() {
        let mut paged = 0;
        for g in golden_cases() {
            let page = |offset: usize, limit: usize| {
                api::preview_page(
                    &g.payload,
                    &g.mapping,
                    g.existing.as_deref(),
                    g.content_type.as_deref(),
                    offset,
                    limit,
                )
            };
            let name = g.path.display();
            let Some(all) = g.expect["plan"]["rows"].as_array() else {
                assert_eq!(page(0, 1), g.expect.to_string(), "{name}");
                continue;
            };
            for limit in [1, 2, 100] {
                let mut rows = Vec::new();
                let mut offset = 0;
                loop {
                    let text = page(offset, limit);
                    let mut got = v(text.clone());
                    // Written as serde_json writes it, key order included.
                    assert_eq!(got.to_string(), text, "{name}");
                    let p = got.as_object_mut().unwrap().remove("page").unwrap();
                    assert_eq!(p["offset"], offset, "{name}");
                    assert_eq!(p["limit"], limit, "{name}");
                    let warned = all.iter().filter(|r| r.get("warnings").is_some()).count();
                    assert_eq!(p["warned"], warned, "{name}");
                    let errors: Vec<&Value> = all
                        .iter()
                        .filter(|r| r["action"] == "error")
                        .take(limit)
                        .collect();
                    assert_eq!(
                        p["errors"].as_array().unwrap().iter().collect::<Vec<_>>(),
                        errors,
                        "{name}"
                    );
                    let Value::Array(got_rows) = got["plan"]["rows"].take() else {
                        panic!("{name}: no rows");
                    };
                    assert!(got_rows.len() <= limit, "{name}");
                    let mut want = g.expect.clone();
                    want["plan"]["rows"] = Value::Null;
                    assert_eq!(got.to_string(), want.to_string(), "{name}");
                    let done = got_rows.len() < limit;
                    offset += got_rows.len();
                    rows.extend(got_rows);
                    if done {
                        break;
                    }
                }
                assert_eq!(&rows, all, "{name} in pages of {limit}");
            }
            paged += 1;
        }
        assert!(paged >= 50, "only {paged} golden cases have a plan");
    }

    #[test]
    fn a_page_past_the_end_has_no_rows_and_starts_at_the_end() {
        let mapping = r#"{"version":1,"kind":"accounts","match":{"id":"id"}}"#;
        let out = v(api::preview_page(
            r#"[{"id":1},{"id":2},{"name":"no id"}]"#,
            mapping,
            None,
            None,
            10,
            5,
        ));
        assert_eq!(out["plan"]["rows"], json!([]));
        assert_eq!(out["plan"]["summary"]["rows"], 3);
        assert_eq!(out["page"]["offset"], 3);
        assert_eq!(out["page"]["errors"].as_array().unwrap().len(), 1);
        assert_eq!(out["page"]["errors"][0]["index"], 2);
        let none = v(api::preview_page("[{\"id\":1}]", mapping, None, None, 0, 0));
        assert_eq!(none["plan"]["rows"], json!([]));
        assert_eq!(none["page"]["errors"], json!([]));
        assert_eq!(
            v(api::preview_page("[]", "{", None, None, 0, 10))["error"]["code"],
            "invalid_mapping"
        );
    }

    #[test]
    fn validate_and_template() {
        let ok = v(api::validate_mapping(
            r#"{"version":1,"kind":"contacts","match":{"email":"email"}}"#,
        ));
        assert_eq!(
            ok,
            json!({"ok": true, "mapping": {"version": 1, "kind": "contacts", "wrapper_path": "", "match": {"email": "email"}}})
        );
        let bad = v(api::validate_mapping(
            r#"{"version":1,"kind":"contacts","match":{"name":"n"}}"#,
        ));
        assert_eq!(bad["error"]["field"], "match.name");
        let t = v(api::liquid_template(
            r#"{"version":1,"kind":"contacts","wrapper_path":"data","match":{"email":"email"}}"#,
            Some(r#"["plan"]"#),
        ));
        assert_eq!(t["ok"], true);
        assert!(t["single"]
            .as_str()
            .unwrap()
            .contains("{{ row.plan | json }}"));
        // Columns read as they are: the batch is one filter call.
        assert_eq!(t["batch"], "{\n  \"data\": {{ rows | json }}\n}\n");
        let nested = v(api::liquid_template(
            r#"{"version":1,"kind":"contacts","wrapper_path":"data","match":{"email":"traits.email"}}"#,
            None,
        ));
        assert!(nested["batch"]
            .as_str()
            .unwrap()
            .contains("{% for row in rows %}"));
    }

    #[test]
    fn drift_compares_a_second_payload_with_the_first() {
        let mapping = r#"{"version":1,"kind":"contacts","wrapper_path":"data","match":{"id":"user_id","email":"email"}}"#;
        let before = r#"{"data":[{"user_id":1,"email":"a@b.c","first_name":"Ann"},{"user_id":2,"email":"d@e.f","first_name":"Bo"}]}"#;
        let now = r#"{"data":[{"user_id":"3","email":"","firstName":"Cy"}]}"#;
        let out = v(api::drift(before, now, mapping));
        assert_eq!(out["ok"], true);
        assert_eq!(
            (out["baseline_rows"].as_u64(), out["rows"].as_u64()),
            (Some(2), Some(1))
        );
        let kinds: Vec<(&str, &str)> = out["drift"]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| (d["kind"].as_str().unwrap(), d["field"].as_str().unwrap()))
            .collect();
        assert_eq!(
            kinds,
            [
                ("mapped_field_blank", "email"),
                ("field_added", "firstName"),
                ("field_removed", "first_name"),
                ("type_changed", "user_id")
            ]
        );
        assert_eq!(v(api::drift(before, before, mapping))["drift"], json!([]));
        assert_eq!(
            v(api::drift(before, "{", mapping))["error"]["code"],
            "invalid_json"
        );
        assert_eq!(
            v(api::drift(
                before,
                now,
                r#"{"version":1,"kind":"contacts"}"#
            ))["error"]["code"],
            "invalid_mapping"
        );
    }
}

/// Example existing records from a payload, so that a preview shows updates (and, under `update`,
/// skips) as well as creates: the first two rows' records, or for events the contacts and
/// accounts they refer to (and the first row's event ID unless `event_ids` is false). The rows
/// and their keys are read by the core, as a request's are.
pub mod example {
    use inlet_core::directory::{SampleAccount, SampleContact, Snapshot};
    use inlet_core::mapping::{Kind, Mapping};
    use inlet_core::normalize::{key_value, KeyValue};
    use inlet_core::payload::rows;
    use inlet_core::Path;
    use serde_json::{json, Map, Value};

    fn key(row: &Map<String, Value>, path: Option<&str>) -> Option<String> {
        let p = Path::parse(path.map(str::trim).filter(|p| !p.is_empty())?).ok()?;
        match key_value(p.get_in(row)) {
            KeyValue::Present(k) => Some(k),
            KeyValue::Absent | KeyValue::Invalid(_) => None,
        }
    }

    fn account(out: &mut Snapshot, external_id: Option<String>, name: Option<String>) {
        out.accounts.push(SampleAccount {
            id: Some(format!("a{}", out.accounts.len() + 1)),
            external_id,
            name,
            ..SampleAccount::default()
        });
    }

    fn contact(out: &mut Snapshot, external_id: Option<String>, email: Option<String>) {
        out.contacts.push(SampleContact {
            id: Some(format!("c{}", out.contacts.len() + 1)),
            external_id,
            email,
            ..SampleContact::default()
        });
    }

    pub fn directory(body: &Value, m: &Mapping, event_ids: bool) -> Snapshot {
        let mut out = Snapshot::default();
        let Ok(wrapper) = Path::parse(&m.wrapper_path) else {
            return out;
        };
        let Ok(slots) = rows(body, &wrapper, usize::MAX) else {
            return out;
        };
        let rows: Vec<&Map<String, Value>> = slots.into_iter().filter_map(Result::ok).collect();
        if m.kind == Kind::Events {
            let e = m.event.clone().unwrap_or_default();
            for r in &rows {
                let c = key(r, e.contact_id.as_deref());
                if c.is_some() && !out.contacts.iter().any(|x| x.external_id == c) {
                    contact(&mut out, c, None);
                }
                let a = key(r, e.account_id.as_deref());
                if a.is_some() && !out.accounts.iter().any(|x| x.external_id == a) {
                    account(&mut out, a, None);
                }
            }
            // The first row's event ID, so that the preview shows a duplicate too.
            if event_ids {
                out.event_ids
                    .extend(rows.first().and_then(|r| key(r, e.id.as_deref())));
            }
            return out;
        }
        let keys = m.match_on.clone().unwrap_or_default();
        for r in rows.iter().take(2) {
            let id = key(r, keys.id.as_deref());
            let label = match m.kind {
                Kind::Accounts => key(r, keys.name.as_deref()),
                _ => key(r, keys.email.as_deref()),
            };
            if id.is_none() && label.is_none() {
                continue;
            }
            match m.kind {
                Kind::Accounts => account(&mut out, id, label),
                _ => contact(&mut out, id, label),
            }
        }
        out
    }

    /// `{"ok": true, "directory": {"accounts", "contacts", "event_ids"}}`; a payload or mapping
    /// that cannot be read gives an empty directory (there is nothing to take examples from).
    pub fn example_directory(payload: &str, mapping: &str, event_ids: bool) -> String {
        let snapshot = match (
            serde_json::from_str::<Value>(payload),
            Mapping::from_json(mapping),
        ) {
            (Ok(body), Ok(m)) => directory(&body, &m, event_ids),
            _ => Snapshot::default(),
        };
        json!({"ok": true, "directory": snapshot}).to_string()
    }

    #[cfg(test)]
    mod tests {
        use super::example_directory;
        use serde_json::{json, Value};

        fn dir(payload: Value, mapping: Value, event_ids: bool) -> Value {
            let out: Value = serde_json::from_str(&example_directory(
                &payload.to_string(),
                &mapping.to_string(),
                event_ids,
            ))
            .unwrap();
            out["directory"].clone()
        }

        #[test]
        fn the_first_two_rows_become_existing_records_with_core_normalised_keys() {
            let body = json!({"data": [{"uid": 7, "email": " A@x "}, {"uid": 8.0}, {"uid": 9}]});
            let m = json!({"version": 1, "kind": "contacts", "wrapper_path": "data",
                           "match": {"id": "uid", "email": "email"}});
            assert_eq!(
                dir(body, m, true),
                json!({"accounts": [], "contacts": [
                    {"id": "c1", "external_id": "7", "email": "A@x"},
                    {"id": "c2", "external_id": "8"}
                ], "event_ids": []})
            );
        }

        #[test]
        fn events_give_the_contacts_and_accounts_they_name_once_and_the_first_event_id() {
            let body = json!([{"u": "a", "mid": "m1", "acc": 1}, {"u": "a"}, {"u": "b", "acc": 1}]);
            let m = json!({"version": 1, "kind": "events",
                           "event": {"type": {"value": "X"}, "contact_id": "u", "account_id": "acc", "id": "mid"}});
            assert_eq!(
                dir(body.clone(), m.clone(), true),
                json!({"accounts": [{"id": "a1", "external_id": "1"}], "contacts": [
                    {"id": "c1", "external_id": "a"}, {"id": "c2", "external_id": "b"}
                ], "event_ids": ["m1"]})
            );
            assert_eq!(dir(body, m, false)["event_ids"], json!([]));
        }

        #[test]
        fn what_cannot_be_read_gives_no_examples() {
            let empty = json!({"accounts": [], "contacts": [], "event_ids": []});
            let m = json!({"version": 1, "kind": "accounts", "match": {"id": "id"}});
            assert_eq!(dir(json!("text"), m.clone(), true), empty);
            assert_eq!(dir(json!({"id": true}), m, true), empty);
            let out = example_directory("{", r#"{"version":1,"kind":"accounts"}"#, true);
            assert_eq!(
                serde_json::from_str::<Value>(&out).unwrap()["directory"],
                empty
            );
        }
    }
}

#[wasm_bindgen]
pub fn example_directory(payload: &str, mapping: &str, event_ids: bool) -> String {
    call(|| example::example_directory(payload, mapping, event_ids))
}
