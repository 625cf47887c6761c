//! One call from body bytes to an answer, shared by the golden cases, the WASM face and the CLI's
//! pure preview. The JSON it returns is the contract the playground reads.

use crate::directory::{Directory, EmptyDirectory, MemoryDirectory};
use crate::json;
use crate::mapping::{Compiled, Mapping, MappingError, PropertySource};
use crate::node::Node;
use crate::path::Segment;
use crate::payload::{content_kind, is_blank, not_a_row, parse_doc, ContentKind};
use crate::plan::{Plan, Summary};
use crate::planner::{plan, Ahead, Batch, PlanError, DEFAULT_MAX_ROWS};
use crate::reader;
use serde::Deserialize;
use serde_json::Value;

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(optional_fields))]
pub struct Problem {
    pub code: String,
    /// The HTTP status the listener would answer.
    pub status: u16,
    pub detail: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(optional_fields))]
#[serde(untagged)]
pub enum PreviewOutput {
    Plan {
        ok: bool,
        plan: Plan,
    },
    ConnectionTest {
        #[cfg_attr(feature = "ts", ts(type = "true"))]
        ok: bool,
        #[cfg_attr(feature = "ts", ts(type = "true"))]
        connection_test: bool,
    },
    Failed {
        #[cfg_attr(feature = "ts", ts(type = "false"))]
        ok: bool,
        error: Problem,
    },
}

impl PreviewOutput {
    /// The answer as JSON text: the same bytes as `serde_json::to_string(self)`, written directly
    /// (what the WebAssembly preview returns).
    pub fn to_json(&self) -> String {
        let rows = match self {
            PreviewOutput::Plan { plan, .. } => plan.rows.len(),
            _ => 0,
        };
        let mut out = Vec::with_capacity(128 + rows * 512);
        crate::json::write_output(&mut out, self);
        crate::json::into_string(out)
    }

    /// The answer as the CLI writes it, to `w` a chunk at a time (never held whole): as
    /// [`to_json`](Self::to_json), except that a plan's `ok` comes after the plan, as in
    /// [`write_file_preview`] (where it is known only once every row is planned).
    pub fn write_ok_last(&self, w: &mut dyn std::io::Write) -> std::io::Result<()> {
        crate::json::write_output_ok_last_to(w, self)
    }

    /// `write_ok_last`, for a file answered whole by [`write_file_preview`].
    pub fn write_whole(&self, w: &mut dyn std::io::Write) -> std::io::Result<FilePreview> {
        self.write_ok_last(w)?;
        Ok(FilePreview {
            summary: match self {
                PreviewOutput::Plan { plan, .. } => Some(plan.summary),
                _ => None,
            },
            streamed: false,
        })
    }

    /// The answer as the page reads it: the same as [`to_json`](Self::to_json) except that a
    /// plan's `rows` hold only the rows from `offset` (at most `limit` of them; the summary still
    /// counts them all), followed by a `page` object: `offset` (where the rows start, at most the
    /// number of rows), `limit`, `warned` (how many rows of the whole plan have warnings) and
    /// `errors` (the first `limit` rows that fail, wherever they are). Answers without a plan are
    /// written as `to_json` writes them. Reading a 1,000-row answer costs the page about as much
    /// as the preview itself; a page of it costs a tenth.
    pub fn to_json_page(&self, offset: usize, limit: usize) -> String {
        let rows = match self {
            PreviewOutput::Plan { plan, .. } => plan.rows.len().min(limit),
            _ => 0,
        };
        let mut out = Vec::with_capacity(256 + rows * 512);
        crate::json::write_output_page(&mut out, self, offset, limit);
        crate::json::into_string(out)
    }

    pub fn failed(code: &str, status: u16, detail: String, field: Option<String>) -> Self {
        PreviewOutput::Failed {
            ok: false,
            error: Problem {
                code: code.into(),
                status,
                detail,
                field,
            },
        }
    }
}

/// Body bytes + content type + mapping + directory → what the listener would do. The mapping is
/// checked first: a preview of an invalid mapping says so whatever the body holds.
pub fn preview_bytes(
    body: &[u8],
    content_type: Option<&str>,
    mapping: &Mapping,
    dir: &dyn Directory,
) -> PreviewOutput {
    preview_bytes_up_to(body, content_type, mapping, dir, DEFAULT_MAX_ROWS)
}

/// `preview_bytes` with another limit on the rows of one body than the listener's (the CLI
/// previews a file of any size, and says when the listener would refuse it).
pub fn preview_bytes_up_to(
    body: &[u8],
    content_type: Option<&str>,
    mapping: &Mapping,
    dir: &dyn Directory,
    max_rows: usize,
) -> PreviewOutput {
    let compiled = match mapping.compile() {
        Ok(c) => Compiled { max_rows, ..c },
        Err(e) => return invalid_mapping(e),
    };
    let parsed = content_kind(content_type).and_then(|k| parse_doc(body, k));
    match parsed {
        Err(e) => PreviewOutput::failed(e.code(), e.status(), e.to_string(), None),
        Ok(None) => PreviewOutput::ConnectionTest {
            ok: true,
            connection_test: true,
        },
        // Planned where it was read: the rows borrow from `body`.
        Ok(Some(doc)) => answer(plan(&doc, &compiled, dir)),
    }
}

/// The CLI's pure preview of a file (every row new; no row limit), written to `w` as
/// [`PreviewOutput::write_ok_last`] writes the answer of `preview_bytes_up_to(.., usize::MAX)`,
/// but each row is read from the body, planned and written when its turn comes: a file may be
/// a whole export, and neither the body's tree nor its plan is ever held whole (what stays is
/// the body itself and the batch's keys, which later rows match against). The pieces are
/// [`file_preview`], [`FileRows`] and [`FileWriter`]; the CLI runs the same pieces with the rows
/// read on a second thread.
pub fn write_file_preview(
    body: &[u8],
    content_type: Option<&str>,
    mapping: &Mapping,
    w: &mut dyn std::io::Write,
) -> std::io::Result<FilePreview> {
    match file_preview(body, content_type, mapping) {
        FileAnswer::Whole(out) => out.write_whole(w),
        FileAnswer::Rows(setup, rows) => {
            let mut writer = setup.writer();
            for row in rows {
                writer.row(&mut row?, w)?;
            }
            writer.finish(w)
        }
    }
}

/// How [`file_preview`] answers a file: whole (a form, a connection test, an error, rows at a
/// path with an index, a single row), or row by row.
// Made once per preview and moved once: its size costs nothing.
#[allow(clippy::large_enum_variant)]
pub enum FileAnswer<'t> {
    Whole(PreviewOutput),
    Rows(FileSetup<'t>, FileRows<'t>),
}

/// The streamed preview's start: the document is checked whole first, so an invalid one gets its
/// usual answer before anything is written; then the rows are found where the mapping says.
pub fn file_preview<'t>(
    body: &'t [u8],
    content_type: Option<&str>,
    mapping: &Mapping,
) -> FileAnswer<'t> {
    let whole = || {
        FileAnswer::Whole(preview_bytes_up_to(
            body,
            content_type,
            mapping,
            &EmptyDirectory,
            usize::MAX,
        ))
    };
    let Ok(m) = mapping.compile() else {
        return whole();
    };
    let m = Compiled {
        max_rows: usize::MAX,
        ..m
    };
    let text = match std::str::from_utf8(body) {
        Ok(t) if content_kind(content_type) == Ok(ContentKind::Json) && !is_blank(body) => t,
        _ => return whole(),
    };
    // Where the rows and the envelope's operation are, as text; the document is checked whole
    // on the way (`check`, or reading its top-level entries).
    let (rows, op) = if m.wrapper.is_root() {
        // Rows at the root have no envelope around them: an operation path that starts with a
        // key finds nothing there (one that starts with an index would find a row's field).
        let envelope_op = match m.operation.as_ref().map(|p| p.segments().first()) {
            None | Some(Some(Segment::Key(_))) => false,
            Some(_) => true,
        };
        if envelope_op || !reader::check(text) {
            return whole();
        }
        (text, None)
    } else {
        let Some(top) = reader::read_entries(text) else {
            return whole();
        };
        let op = match &m.operation {
            None => None,
            Some(p) => match reader::text_at(&top, p) {
                None => return whole(),
                Some(None) => None,
                Some(Some(t)) => match reader::read_node(t) {
                    Some(n) => Some(n),
                    None => return whole(),
                },
            },
        };
        match reader::text_at(&top, &m.wrapper) {
            Some(Some(rows)) => (rows, op),
            _ => return whole(),
        }
    };
    let Some(mut elements) = reader::elements(rows) else {
        return whole();
    };
    let Some(Ok(first)) = elements.next() else {
        return whole();
    };
    // Room for as many rows as the first one's size suggests.
    let hint = rows.len() / elements.position().max(1);
    let properties = m.properties.clone();
    FileAnswer::Rows(
        FileSetup { m, op, hint },
        FileRows {
            first: Some(first),
            elements,
            properties,
            scratch: Vec::new(),
        },
    )
}

/// What a file's rows are planned with: the compiled mapping and the envelope's operation.
pub struct FileSetup<'t> {
    m: Compiled,
    op: Option<Node<'t>>,
    hint: usize,
}

impl<'t> FileSetup<'t> {
    pub fn writer(&self) -> FileWriter<'_, 't> {
        FileWriter {
            batch: Batch::new(&self.m, &EmptyDirectory, self.op.as_ref(), self.hint),
            stream: json::PlanStream::new(self.m.kind, self.m.behavior),
        }
    }
}

/// A file's rows, each read in place when asked for, with its properties written ahead of its
/// plan (what the row alone decides). They may be read on another thread than the one that
/// plans them (the CLI does): that thread then writes the properties too.
pub struct FileRows<'t> {
    first: Option<Node<'t>>,
    elements: reader::Elements<'t>,
    properties: PropertySource,
    scratch: Vec<u8>,
}

/// A row as [`FileRows`] reads it.
pub struct FileRow<'t> {
    node: Node<'t>,
    ahead: Option<Ahead>,
}

impl<'t> Iterator for FileRows<'t> {
    type Item = std::io::Result<FileRow<'t>>;

    fn next(&mut self) -> Option<Self::Item> {
        let node = match self.first.take() {
            Some(n) => n,
            // The document was checked whole, so an error is never expected; if one happens,
            // the answer already written is cut short with it, never finished as if the rows
            // ended.
            None => match self.elements.next()? {
                Ok(n) => n,
                Err(()) => {
                    return Some(Err(std::io::Error::other(
                        "the body could not be read again row by row",
                    )))
                }
            },
        };
        let ahead = Ahead::of(&mut self.scratch, &node, &self.properties);
        Some(Ok(FileRow { node, ahead }))
    }
}

/// Plans a file's rows in turn and writes each, a chunk at a time.
pub struct FileWriter<'a, 't> {
    batch: Batch<'a, 't>,
    stream: json::PlanStream,
}

impl<'a, 't> FileWriter<'a, 't> {
    /// Plans a row and writes its plan. The row is only borrowed: the caller frees it where it
    /// suits (the CLI, on the thread that read it).
    pub fn row(
        &mut self,
        row: &mut FileRow<'t>,
        w: &mut dyn std::io::Write,
    ) -> std::io::Result<()> {
        let slot = match &row.node {
            Node::Object(entries) => Ok(&entries[..]),
            other => Err(not_a_row(other.json_type())),
        };
        let row = self
            .batch
            .next_with(slot, row.ahead.take())
            .map_err(|e| std::io::Error::other(format!("the body could not be planned: {e}")))?;
        self.stream.row(&row, w)
    }

    pub fn finish(self, w: &mut dyn std::io::Write) -> std::io::Result<FilePreview> {
        let summary = self.batch.summary;
        self.stream.finish(&summary, summary.error == 0, w)?;
        Ok(FilePreview {
            summary: Some(summary),
            streamed: true,
        })
    }
}

/// What [`write_file_preview`] wrote.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FilePreview {
    /// The plan's summary, when the answer is a plan.
    pub summary: Option<Summary>,
    /// Whether the rows were read and planned one at a time (else the body was answered whole).
    pub streamed: bool,
}

pub fn preview_value(body: &Value, mapping: &Mapping, dir: &dyn Directory) -> PreviewOutput {
    match mapping.compile() {
        Ok(c) => answer(plan(&Node::from_value(body), &c, dir)),
        Err(e) => invalid_mapping(e),
    }
}

fn invalid_mapping(e: MappingError) -> PreviewOutput {
    PreviewOutput::failed("invalid_mapping", 400, e.to_string(), Some(e.field))
}

fn answer(planned: Result<Plan, PlanError>) -> PreviewOutput {
    match planned {
        Ok(plan) => PreviewOutput::Plan {
            ok: !plan.has_errors(),
            plan,
        },
        Err(PlanError::Payload(e)) => {
            PreviewOutput::failed(e.code(), e.status(), e.to_string(), None)
        }
        Err(PlanError::Directory(e)) => {
            PreviewOutput::failed("store_unavailable", 503, e.to_string(), None)
        }
    }
}

/// Runs one golden case document: `{payload | payload_raw | payload_form, mapping, existing?}`.
/// Returns the output as JSON (compared with the case's `expect`).
pub fn run_case(case: &Value) -> Value {
    let out = run_case_inner(case);
    serde_json::to_value(out).unwrap_or(Value::Null)
}

fn run_case_inner(case: &Value) -> PreviewOutput {
    let mapping = match case.get("mapping").map(Mapping::from_value) {
        None => {
            return PreviewOutput::failed("invalid_case", 400, "case has no mapping".into(), None)
        }
        Some(Err(e)) => {
            return PreviewOutput::failed("invalid_mapping", 400, e.to_string(), Some(e.field))
        }
        Some(Ok(m)) => m,
    };
    let dir = match case.get("existing") {
        None | Some(Value::Null) => MemoryDirectory::new(&Default::default()),
        Some(v) => match MemoryDirectory::from_json(v) {
            Ok(d) => d,
            Err(e) => return PreviewOutput::failed("invalid_case", 400, e, None),
        },
    };
    if let Some(raw) = case.get("payload_raw").and_then(Value::as_str) {
        let ct = case.get("content_type").and_then(Value::as_str);
        return preview_bytes(raw.as_bytes(), ct, &mapping, &dir);
    }
    if let Some(form) = case.get("payload_form").and_then(Value::as_str) {
        return preview_bytes(
            form.as_bytes(),
            Some("application/x-www-form-urlencoded"),
            &mapping,
            &dir,
        );
    }
    match case.get("payload") {
        None => PreviewOutput::failed("invalid_case", 400, "case has no payload".into(), None),
        Some(v) => {
            let bytes = serde_json::to_vec(v).unwrap_or_default();
            preview_bytes(&bytes, Some("application/json"), &mapping, &dir)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::directory::EmptyDirectory;

    /// The streamed preview of `body`, beside the whole one's text.
    fn streamed_and_whole(body: &[u8], m: &Mapping) -> (FilePreview, String, String) {
        let mut streamed = Vec::new();
        let f = write_file_preview(body, None, m, &mut streamed).unwrap();
        let mut whole = Vec::new();
        preview_bytes_up_to(body, None, m, &EmptyDirectory, usize::MAX)
            .write_ok_last(&mut whole)
            .unwrap();
        (
            f,
            String::from_utf8(streamed).unwrap(),
            String::from_utf8(whole).unwrap(),
        )
    }

    #[test]
    fn a_body_of_exactly_the_row_limit_is_planned_and_one_more_is_refused() {
        let m =
            Mapping::from_json(r#"{"version":1,"kind":"accounts","match":{"id":"id"}}"#).unwrap();
        let answer = |body: &[u8]| preview_bytes_up_to(body, None, &m, &EmptyDirectory, 2);
        match answer(br#"[{"id":"a"},{"id":"b"}]"#) {
            PreviewOutput::Plan { plan, .. } => assert_eq!(plan.summary.create, 2),
            other => panic!("{other:?}"),
        }
        match answer(br#"[{"id":"a"},{"id":"b"},{"id":"c"}]"#) {
            PreviewOutput::Failed { error, .. } => {
                assert_eq!(
                    (error.code.as_str(), error.status),
                    ("too_many_rows", 413),
                    "{error:?}"
                )
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn rows_under_a_key_are_streamed_and_a_form_is_never_read_as_json() {
        let m = Mapping::from_json(
            r#"{"version":1,"kind":"accounts","wrapper_path":"data","operation_path":"op","match":{"id":"id"}}"#,
        )
        .unwrap();
        let body = br#"{"op":"added","data":[{"id":"a"},{"id":"b"}]}"#;
        let (f, streamed, whole) = streamed_and_whole(body, &m);
        assert!(f.streamed);
        assert_eq!(streamed, whole);
        // A body that looks like JSON, sent as a form, is read as the form it says it is.
        let m =
            Mapping::from_json(r#"{"version":1,"kind":"accounts","match":{"id":"id"}}"#).unwrap();
        let form = Some("application/x-www-form-urlencoded");
        let body = br#"[{"id":"a"}]"#;
        let mut streamed = Vec::new();
        let f = write_file_preview(body, form, &m, &mut streamed).unwrap();
        let mut whole = Vec::new();
        preview_bytes_up_to(body, form, &m, &EmptyDirectory, usize::MAX)
            .write_ok_last(&mut whole)
            .unwrap();
        assert!(!f.streamed);
        assert_eq!(
            String::from_utf8(streamed).unwrap(),
            String::from_utf8(whole).unwrap()
        );
    }

    #[test]
    fn a_page_of_the_answer_holds_its_rows_and_the_whole_plans_counts() {
        let m =
            Mapping::from_json(r#"{"version":1,"kind":"accounts","match":{"id":"id"}}"#).unwrap();
        let out = preview_bytes(
            br#"[{"id":"a"},{"id":true},{"id":"c"},{"id":[]}]"#,
            None,
            &m,
            &EmptyDirectory,
        );
        let page: serde_json::Value = serde_json::from_str(&out.to_json_page(2, 1)).unwrap();
        let whole: serde_json::Value = serde_json::from_str(&out.to_json()).unwrap();
        assert_eq!(
            page["plan"]["rows"],
            serde_json::json!([whole["plan"]["rows"][2]])
        );
        assert_eq!(page["plan"]["summary"], whole["plan"]["summary"]);
        assert_eq!(page["ok"], false);
        // The first `limit` failing rows, wherever they are.
        assert_eq!(
            page["page"],
            serde_json::json!({"offset": 2, "limit": 1, "warned": 0,
            "errors": [whole["plan"]["rows"][1]]})
        );
    }

    #[test]
    fn an_answer_written_whole_says_its_plans_summary() {
        let m =
            Mapping::from_json(r#"{"version":1,"kind":"accounts","match":{"id":"id"}}"#).unwrap();
        let out = preview_bytes(br#"{"id":"a"}"#, None, &m, &EmptyDirectory);
        let written = out.write_whole(&mut Vec::new()).unwrap();
        assert_eq!(written.summary.map(|s| (s.rows, s.create)), Some((1, 1)));
        assert!(!written.streamed);
    }

    #[test]
    fn properties_read_back_in_the_form_the_core_writes() {
        let p: crate::plan::Properties =
            serde_json::from_str(r#"{ "a" : 1, "b": [true, null], "c": {"d": "caf\u00e9"} }"#)
                .unwrap();
        assert_eq!(p.as_str(), r#"{"a":1,"b":[true,null],"c":{"d":"café"}}"#);
    }

    #[test]
    fn no_properties_are_empty_and_any_are_not() {
        let m = Mapping::from_json(r#"{"version":1,"kind":"accounts","match":{"id":"id"},"properties":{"exclude":["id"]}}"#).unwrap();
        let PreviewOutput::Plan { plan, .. } = preview_bytes(
            br#"[{"id":"a"},{"id":"b","seats":2}]"#,
            None,
            &m,
            &EmptyDirectory,
        ) else {
            panic!("no plan");
        };
        let props: Vec<bool> = plan
            .rows
            .iter()
            .map(|r| match &r.outcome {
                crate::plan::Outcome::Create { record, .. } => record.properties.is_empty(),
                other => panic!("{other:?}"),
            })
            .collect();
        assert_eq!(props, [true, false]);
    }

    #[test]
    fn properties_written_ahead_keep_an_updates_nulls_and_drop_a_creates() {
        let m =
            Mapping::from_json(r#"{"version":1,"kind":"accounts","match":{"id":"id"}}"#).unwrap();
        // The second row updates the record the first creates: its null removes `plan`.
        let body = br#"[{"id":"a","plan":null,"seats":1},{"id":"a","plan":null,"seats":2}]"#;
        let (f, streamed, whole) = streamed_and_whole(body, &m);
        assert!(f.streamed);
        assert_eq!(streamed, whole);
        assert!(
            streamed.contains(r#""properties":{"id":"a","seats":1}"#),
            "{streamed}"
        );
        assert!(
            streamed.contains(r#""properties":{"id":"a","plan":null,"seats":2}"#),
            "{streamed}"
        );
    }

    #[test]
    fn rows_at_the_root_with_an_operation_each_are_streamed() {
        let mapping = |op: &str| {
            Mapping::from_json(&format!(
                r#"{{"version":1,"kind":"accounts","operation_path":"{op}","on_removed":"delete","match":{{"id":"id"}}}}"#
            ))
            .unwrap()
        };
        let body = br#"[{"id":"a","op":"added"},{"id":"a","op":"removed"},{"id":"b"}]"#;
        let (f, streamed, whole) = streamed_and_whole(body, &mapping("op"));
        assert!(f.streamed);
        assert_eq!(streamed, whole);
        assert!(streamed.contains(r#""action":"delete""#), "{streamed}");
        assert!(streamed.contains("no operation at `op`"), "{streamed}");
        // A path that starts with an index reads the body around the rows: answered whole.
        let (f, streamed, whole) = streamed_and_whole(body, &mapping("[0].op"));
        assert!(!f.streamed);
        assert_eq!(streamed, whole);
    }

    #[test]
    fn an_invalid_mapping_is_reported_before_the_body_is_read() {
        let m = Mapping::from_json(r#"{"version":1,"kind":"accounts","match":{}}"#).unwrap();
        for body in [&b"not json"[..], b"", b"{}"] {
            match preview_bytes(body, Some("application/json"), &m, &EmptyDirectory) {
                PreviewOutput::Failed { error, .. } => assert_eq!(
                    (error.code.as_str(), error.field.as_deref()),
                    ("invalid_mapping", Some("match"))
                ),
                other => panic!("{other:?}"),
            }
        }
    }
}
