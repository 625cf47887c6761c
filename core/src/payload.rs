//! Reading a request body (docs/design.md §3): JSON or a form, the connection test, and the rows found at
//! the mapping's wrapper path.

use crate::node::{Entries, Node};
use crate::path::Path;
use serde_json::{Map, Value};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ContentKind {
    Json,
    Form,
}

/// Request-level problems: each becomes one HTTP answer, and nothing of the request is written.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PayloadError {
    #[error("content type {0:?} is not supported; send application/json or application/x-www-form-urlencoded")]
    UnsupportedContentType(String),
    #[error("body is not valid JSON: {0}")]
    InvalidJson(String),
    #[error("body is not valid form data: {0}")]
    InvalidForm(String),
    #[error("the data wrapper path `{0}` is not in the body; check the sender's template or the mapping")]
    WrapperMissing(String),
    #[error("the data wrapper path `{path}` holds {found}; expected an object (one row) or an array of rows")]
    WrapperNotRows { path: String, found: &'static str },
    #[error("{rows} rows in one request; the limit is {limit}: split the batch")]
    TooManyRows { rows: usize, limit: usize },
}

impl PayloadError {
    /// Stable machine-readable code (the `error.code` of an HTTP answer).
    pub fn code(&self) -> &'static str {
        match self {
            PayloadError::UnsupportedContentType(_) => "unsupported_content_type",
            PayloadError::InvalidJson(_) => "invalid_json",
            PayloadError::InvalidForm(_) => "invalid_form",
            PayloadError::WrapperMissing(_) => "wrapper_missing",
            PayloadError::WrapperNotRows { .. } => "wrapper_not_rows",
            PayloadError::TooManyRows { .. } => "too_many_rows",
        }
    }

    /// The HTTP status docs/design.md §6 gives this problem.
    pub fn status(&self) -> u16 {
        match self {
            PayloadError::UnsupportedContentType(_) => 415,
            PayloadError::InvalidJson(_) | PayloadError::InvalidForm(_) => 400,
            PayloadError::WrapperMissing(_) | PayloadError::WrapperNotRows { .. } => 422,
            PayloadError::TooManyRows { .. } => 413,
        }
    }
}

/// JSON unless the type says form; a missing type is read as JSON (curl without -H does that).
pub fn content_kind(content_type: Option<&str>) -> Result<ContentKind, PayloadError> {
    let Some(raw) = content_type else {
        return Ok(ContentKind::Json);
    };
    let mime = raw
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    match mime.as_str() {
        "" | "application/json" | "text/json" => Ok(ContentKind::Json),
        "application/x-www-form-urlencoded" => Ok(ContentKind::Form),
        m if m.starts_with("application/") && m.ends_with("+json") => Ok(ContentKind::Json),
        _ => Err(PayloadError::UnsupportedContentType(raw.to_string())),
    }
}

/// JSON's whitespace only (`is_ascii_whitespace` also counts form feed, which JSON refuses).
pub(crate) fn is_blank(bytes: &[u8]) -> bool {
    bytes
        .iter()
        .all(|b| matches!(b, b' ' | b'\t' | b'\n' | b'\r'))
}

/// A parsed body; `None` means a connection test (empty, `{}` or `[]`).
pub fn parse_body(bytes: &[u8], kind: ContentKind) -> Result<Option<Value>, PayloadError> {
    if is_blank(bytes) {
        return Ok(None);
    }
    let value = match kind {
        ContentKind::Json => {
            parse_json(bytes).map_err(|e| PayloadError::InvalidJson(e.to_string()))?
        }
        ContentKind::Form => Value::Object(parse_form(bytes)?),
    };
    let empty = match &value {
        Value::Object(m) => m.is_empty(),
        Value::Array(a) => a.is_empty(),
        _ => false,
    };
    Ok(if empty { None } else { Some(value) })
}

/// A body read in place: `parse_body`'s answers (the same connection tests, the same errors),
/// but the rows borrow their keys and strings from `bytes` (what the planner reads).
pub fn parse_doc(bytes: &[u8], kind: ContentKind) -> Result<Option<Node<'_>>, PayloadError> {
    if is_blank(bytes) {
        return Ok(None);
    }
    let node = match kind {
        ContentKind::Json => {
            parse_json_node(bytes).map_err(|e| PayloadError::InvalidJson(e.to_string()))?
        }
        ContentKind::Form => Node::from_owned(Value::Object(parse_form(bytes)?)),
    };
    let empty = match &node {
        Node::Object(m) => m.is_empty(),
        Node::Array(a) => a.is_empty(),
        _ => false,
    };
    Ok(if empty { None } else { Some(node) })
}

/// JSON text read in place; what the hand-written reader does not take is read by serde_json
/// (its value, or its error), exactly as `parse_json`.
pub fn parse_json_node(bytes: &[u8]) -> Result<Node<'_>, serde_json::Error> {
    match std::str::from_utf8(bytes) {
        Ok(text) => match crate::reader::read_node(text) {
            Some(n) => Ok(n),
            None => parse_with(serde_json::Deserializer::from_str(text)).map(Node::from_owned),
        },
        Err(_) => parse_with(serde_json::Deserializer::from_slice(bytes)).map(Node::from_owned),
    }
}

/// JSON text → `Value`, exactly as `serde_json::from_slice` reads it, but each object's entries are
/// gathered first (in one scratch buffer reused by the whole body) and its map is then built at
/// its final size: no growing and rehashing as keys arrive, which was a large share of parsing.
pub fn parse_json(bytes: &[u8]) -> Result<Value, serde_json::Error> {
    // A body that is valid UTF-8 as a whole (nearly all are) is read as text, which spares
    // serde_json checking each string on its own; the same reader underneath, so the same values
    // and the same errors. Any other body is read as bytes, exactly as before.
    match std::str::from_utf8(bytes) {
        // The hand-written reader takes valid documents; serde_json reads the rest (and says
        // what is wrong with an invalid one).
        Ok(text) => match crate::reader::read(text) {
            Some(v) => Ok(v),
            None => parse_with(serde_json::Deserializer::from_str(text)),
        },
        Err(_) => parse_with(serde_json::Deserializer::from_slice(bytes)),
    }
}

fn parse_with<'de, R: serde_json::de::Read<'de>>(
    mut de: serde_json::Deserializer<R>,
) -> Result<Value, serde_json::Error> {
    use serde::de::DeserializeSeed;
    let mut scratch = Vec::new();
    let value = ValueSeed(&mut scratch).deserialize(&mut de)?;
    de.end()?;
    Ok(value)
}

struct ValueSeed<'s>(&'s mut Vec<(String, Value)>);

impl<'de> serde::de::DeserializeSeed<'de> for ValueSeed<'_> {
    type Value = Value;
    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> serde::de::Visitor<'de> for ValueSeed<'_> {
    type Value = Value;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_bool<E>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Value, E> {
        Ok(Value::Number(v.into()))
    }
    fn visit_u64<E>(self, v: u64) -> Result<Value, E> {
        Ok(Value::Number(v.into()))
    }
    fn visit_f64<E>(self, v: f64) -> Result<Value, E> {
        Ok(serde_json::Number::from_f64(v).map_or(Value::Null, Value::Number))
    }
    fn visit_str<E>(self, v: &str) -> Result<Value, E> {
        Ok(Value::String(v.to_owned()))
    }
    fn visit_string<E>(self, v: String) -> Result<Value, E> {
        Ok(Value::String(v))
    }
    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_none<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_some<D: serde::Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        serde::de::DeserializeSeed::deserialize(self, d)
    }
    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut items = Vec::with_capacity(seq.size_hint().unwrap_or(0));
        while let Some(v) = seq.next_element_seed(ValueSeed(&mut *self.0))? {
            items.push(v);
        }
        Ok(Value::Array(items))
    }
    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        // Nested objects finish (and drain their entries) before this one takes its next key,
        // so one stack serves the whole body.
        let start = self.0.len();
        while let Some(k) = map.next_key::<String>()? {
            let v = map.next_value_seed(ValueSeed(&mut *self.0))?;
            self.0.push((k, v));
        }
        let mut out = Map::with_capacity(self.0.len() - start);
        for (k, v) in self.0.drain(start..) {
            // A repeated key keeps its first place and its last value, as `serde_json` does.
            out.insert(k, v);
        }
        Ok(Value::Object(out))
    }
}

/// `a=1&b=x+y` → `{"a": "1", "b": "x y"}`. A repeated key keeps its last value, as most web
/// frameworks do.
pub fn parse_form(bytes: &[u8]) -> Result<Map<String, Value>, PayloadError> {
    let text =
        std::str::from_utf8(bytes).map_err(|_| PayloadError::InvalidForm("not UTF-8".into()))?;
    let mut map = Map::new();
    for pair in text.trim().split('&').filter(|p| !p.is_empty()) {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        let k = percent_decode(k)?;
        if k.is_empty() {
            return Err(PayloadError::InvalidForm(format!(
                "empty field name in {pair:?}"
            )));
        }
        map.insert(k, Value::String(percent_decode(v)?));
    }
    Ok(map)
}

fn percent_decode(s: &str) -> Result<String, PayloadError> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' => {
                let hex = bytes
                    .get(i + 1..i + 3)
                    .and_then(|h| std::str::from_utf8(h).ok())
                    .and_then(|h| u8::from_str_radix(h, 16).ok())
                    .ok_or_else(|| {
                        PayloadError::InvalidForm(format!("bad percent escape in {s:?}"))
                    })?;
                out.push(hex);
                i += 2;
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8(out)
        .map_err(|_| PayloadError::InvalidForm(format!("{s:?} does not decode to UTF-8")))
}

/// One element of the rows: an object, or why it is not one (an error for that row alone).
pub type RowSlot<'a> = Result<&'a Map<String, Value>, String>;

/// The rows at the wrapper path: one row for an object, each element of an array.
pub fn rows<'a>(
    body: &'a Value,
    wrapper: &Path,
    limit: usize,
) -> Result<Vec<RowSlot<'a>>, PayloadError> {
    let at = wrapper
        .get(body)
        .ok_or_else(|| PayloadError::WrapperMissing(wrapper.to_string()))?;
    match at {
        Value::Object(m) => Ok(vec![Ok(m)]),
        Value::Array(items) => {
            check_rows(items.len(), limit)?;
            Ok(items
                .iter()
                .map(|v| match v {
                    Value::Object(m) => Ok(m),
                    other => Err(not_a_row(crate::normalize::json_type(other))),
                })
                .collect())
        }
        other => Err(not_rows(wrapper, crate::normalize::json_type(other))),
    }
}

/// One element of a body read in place: a row's entries, or why it is not a row.
pub type NodeSlot<'r, 'b> = Result<&'r Entries<'b>, String>;

/// `rows`, for a body read in place: the same rows, the same errors.
pub fn node_rows<'r, 'b>(
    body: &'r Node<'b>,
    wrapper: &Path,
    limit: usize,
) -> Result<Vec<NodeSlot<'r, 'b>>, PayloadError> {
    let at = body
        .get(wrapper)
        .ok_or_else(|| PayloadError::WrapperMissing(wrapper.to_string()))?;
    match at {
        Node::Object(m) => Ok(vec![Ok(&m[..])]),
        Node::Array(items) => {
            check_rows(items.len(), limit)?;
            Ok(items
                .iter()
                .map(|v| match v {
                    Node::Object(m) => Ok(&m[..]),
                    other => Err(not_a_row(other.json_type())),
                })
                .collect())
        }
        other => Err(not_rows(wrapper, other.json_type())),
    }
}

fn check_rows(rows: usize, limit: usize) -> Result<(), PayloadError> {
    if rows > limit {
        return Err(PayloadError::TooManyRows { rows, limit });
    }
    Ok(())
}

pub(crate) fn not_a_row(found: &str) -> String {
    format!("row is {found}, expected an object")
}

fn not_rows(wrapper: &Path, found: &'static str) -> PayloadError {
    PayloadError::WrapperNotRows {
        path: if wrapper.is_root() {
            "(body)".into()
        } else {
            wrapper.to_string()
        },
        found,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_document_too_deep_for_the_hand_written_reader_reads_as_serde_json_reads_it() {
        // 110 levels: past the hand-written reader's depth, within serde_json's; every kind of
        // value at the bottom.
        let inner = r#"{"t": true, "f": false, "n": null, "i": -3, "u": 18446744073709551615,
                        "x": 1.5, "s": "caf\u00e9", "a": [1, "two", {}], "k": "v", "k": "last"}"#;
        let text = format!("{}{inner}{}", "[".repeat(110), "]".repeat(110));
        let expected: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(parse_json(text.as_bytes()).unwrap(), expected);
        assert_eq!(
            parse_json_node(text.as_bytes()).unwrap().to_value(),
            expected
        );
    }

    #[test]
    fn json_is_read_from_json_types_only() {
        for json_type in [
            None,
            Some("application/json"),
            Some("Application/JSON; charset=utf-8"),
            Some("text/json"),
            Some("application/vnd.api+json"),
        ] {
            assert_eq!(
                content_kind(json_type).unwrap(),
                ContentKind::Json,
                "{json_type:?}"
            );
        }
        for other in [
            "application/xml",
            "text/plain",
            "text/x+json",
            "application/json-seq",
        ] {
            assert!(content_kind(Some(other)).is_err(), "{other}");
        }
    }

    #[test]
    fn empty_bodies_and_empty_json_are_connection_tests() {
        assert_eq!(parse_body(b"", ContentKind::Json).unwrap(), None);
        assert_eq!(parse_body(b"  \n", ContentKind::Json).unwrap(), None);
        assert_eq!(parse_body(b"{}", ContentKind::Json).unwrap(), None);
        assert_eq!(parse_body(b"[ ]", ContentKind::Json).unwrap(), None);
        assert_eq!(parse_body(b"", ContentKind::Form).unwrap(), None);
    }

    #[test]
    fn a_form_feed_body_is_invalid_json_not_a_connection_test() {
        for body in [&b"\x0c"[..], b" \x0c\n", b"\x0b"] {
            assert!(
                matches!(
                    parse_body(body, ContentKind::Json),
                    Err(PayloadError::InvalidJson(_))
                ),
                "{body:?}"
            );
        }
    }

    #[test]
    fn json_reads_exactly_as_serde_json_does() {
        for text in [
            r#"{"b": 1, "a": [1, -2, 3.5, 1e300, 18446744073709551615, "x\u00e9", null, true, {}], "b": {"z": {"y": []}}}"#,
            r#"[{"id": 1, "id": 2}, "s", 0.1, -0.0, 12345678901234567890]"#,
            "  \"just text\" ",
        ] {
            let want: Result<Value, _> = serde_json::from_str(text);
            let got = parse_json(text.as_bytes());
            assert_eq!(got.as_ref().ok(), want.as_ref().ok(), "{text}");
            // Key order is kept, not only equality.
            assert_eq!(
                serde_json::to_string(&got.unwrap()).unwrap(),
                serde_json::to_string(&want.unwrap()).unwrap()
            );
        }
        for bad in ["{\"a\": 1,}", "[1, 2", "{} {}", "nul", "[1e400x]"] {
            assert_eq!(
                parse_json(bad.as_bytes()).map_err(|e| e.to_string()),
                serde_json::from_str::<Value>(bad).map_err(|e| e.to_string())
            );
        }
    }

    #[test]
    fn forms_become_one_flat_row_of_strings() {
        let v = parse_body(
            b"email=a%40b.example&name=Ada+Lovelace&n=3",
            ContentKind::Form,
        )
        .unwrap()
        .unwrap();
        assert_eq!(
            v,
            json!({"email": "a@b.example", "name": "Ada Lovelace", "n": "3"})
        );
        assert!(parse_body(b"a=%zz", ContentKind::Form).is_err());
    }

    #[test]
    fn content_types_are_read_leniently_but_not_blindly() {
        assert_eq!(
            content_kind(Some("application/json; charset=utf-8")).unwrap(),
            ContentKind::Json
        );
        assert_eq!(
            content_kind(Some("application/vnd.api+json")).unwrap(),
            ContentKind::Json
        );
        assert_eq!(content_kind(None).unwrap(), ContentKind::Json);
        assert_eq!(
            content_kind(Some("application/x-www-form-urlencoded")).unwrap(),
            ContentKind::Form
        );
        assert_eq!(content_kind(Some("text/csv")).unwrap_err().status(), 415);
    }

    #[test]
    fn a_missing_wrapper_is_an_error_and_an_empty_array_is_zero_rows() {
        let body = json!({"rows": [], "x": 1});
        assert_eq!(
            rows(&body, &Path::parse("rows").unwrap(), 10)
                .unwrap()
                .len(),
            0
        );
        assert_eq!(
            rows(&body, &Path::parse("data").unwrap(), 10)
                .unwrap_err()
                .status(),
            422
        );
        assert_eq!(
            rows(&body, &Path::parse("x").unwrap(), 10)
                .unwrap_err()
                .code(),
            "wrapper_not_rows"
        );
        let many = json!([{}, {}, {}]);
        assert_eq!(rows(&many, &Path::root(), 2).unwrap_err().status(), 413);
        let mixed = json!([{"a": 1}, 3]);
        let r = rows(&mixed, &Path::root(), 10).unwrap();
        assert!(r[0].is_ok() && r[1].is_err());
    }
}
