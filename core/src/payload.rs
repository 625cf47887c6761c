//! Reading a request body (DESIGN §3): JSON or a form, the connection test, and the rows found at
//! the mapping's wrapper path.

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

    /// The HTTP status DESIGN §6 gives this problem.
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
    let Some(raw) = content_type else { return Ok(ContentKind::Json) };
    let mime = raw.split(';').next().unwrap_or("").trim().to_ascii_lowercase();
    match mime.as_str() {
        "" | "application/json" | "text/json" => Ok(ContentKind::Json),
        "application/x-www-form-urlencoded" => Ok(ContentKind::Form),
        m if m.starts_with("application/") && m.ends_with("+json") => Ok(ContentKind::Json),
        _ => Err(PayloadError::UnsupportedContentType(raw.to_string())),
    }
}

/// A parsed body; `None` means a connection test (empty, `{}` or `[]`).
pub fn parse_body(bytes: &[u8], kind: ContentKind) -> Result<Option<Value>, PayloadError> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Ok(None);
    }
    let value = match kind {
        ContentKind::Json => serde_json::from_slice::<Value>(bytes).map_err(|e| PayloadError::InvalidJson(e.to_string()))?,
        ContentKind::Form => Value::Object(parse_form(bytes)?),
    };
    let empty = match &value {
        Value::Object(m) => m.is_empty(),
        Value::Array(a) => a.is_empty(),
        _ => false,
    };
    Ok(if empty { None } else { Some(value) })
}

/// `a=1&b=x+y` → `{"a": "1", "b": "x y"}`. A repeated key keeps its last value, as most web
/// frameworks do.
pub fn parse_form(bytes: &[u8]) -> Result<Map<String, Value>, PayloadError> {
    let text = std::str::from_utf8(bytes).map_err(|_| PayloadError::InvalidForm("not UTF-8".into()))?;
    let mut map = Map::new();
    for pair in text.trim().split('&').filter(|p| !p.is_empty()) {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        let k = percent_decode(k)?;
        if k.is_empty() {
            return Err(PayloadError::InvalidForm(format!("empty field name in {pair:?}")));
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
                    .ok_or_else(|| PayloadError::InvalidForm(format!("bad percent escape in {s:?}")))?;
                out.push(hex);
                i += 2;
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8(out).map_err(|_| PayloadError::InvalidForm(format!("{s:?} does not decode to UTF-8")))
}

/// One element of the rows: an object, or why it is not one (an error for that row alone).
pub type RowSlot<'a> = Result<&'a Map<String, Value>, String>;

/// The rows at the wrapper path: one row for an object, each element of an array.
pub fn rows<'a>(body: &'a Value, wrapper: &Path, limit: usize) -> Result<Vec<RowSlot<'a>>, PayloadError> {
    let at = wrapper.get(body).ok_or_else(|| PayloadError::WrapperMissing(wrapper.to_string()))?;
    match at {
        Value::Object(m) => Ok(vec![Ok(m)]),
        Value::Array(items) => {
            if items.len() > limit {
                return Err(PayloadError::TooManyRows { rows: items.len(), limit });
            }
            Ok(items
                .iter()
                .map(|v| match v {
                    Value::Object(m) => Ok(m),
                    other => Err(format!("row is {}, expected an object", crate::normalize::json_type(other))),
                })
                .collect())
        }
        other => Err(PayloadError::WrapperNotRows {
            path: if wrapper.is_root() { "(body)".into() } else { wrapper.to_string() },
            found: crate::normalize::json_type(other),
        }),
    }
}

/// One element of rows the caller owns: the planner may move properties out of it.
pub type RowSlotMut<'a> = Result<&'a mut Map<String, Value>, String>;

/// `rows`, for a body the caller owns: the same rows, the same errors.
pub fn rows_mut<'a>(body: &'a mut Value, wrapper: &Path, limit: usize) -> Result<Vec<RowSlotMut<'a>>, PayloadError> {
    if let Err(e) = rows(body, wrapper, limit) {
        return Err(e);
    }
    let Some(at) = wrapper.get_mut(body) else { return Err(PayloadError::WrapperMissing(wrapper.to_string())) };
    Ok(match at {
        Value::Object(m) => vec![Ok(m)],
        Value::Array(items) => items
            .iter_mut()
            .map(|v| match v {
                Value::Object(m) => Ok(m),
                other => Err(format!("row is {}, expected an object", crate::normalize::json_type(other))),
            })
            .collect(),
        // `rows` refused every other shape above.
        _ => Vec::new(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn empty_bodies_and_empty_json_are_connection_tests() {
        assert_eq!(parse_body(b"", ContentKind::Json).unwrap(), None);
        assert_eq!(parse_body(b"  \n", ContentKind::Json).unwrap(), None);
        assert_eq!(parse_body(b"{}", ContentKind::Json).unwrap(), None);
        assert_eq!(parse_body(b"[ ]", ContentKind::Json).unwrap(), None);
        assert_eq!(parse_body(b"", ContentKind::Form).unwrap(), None);
    }

    #[test]
    fn forms_become_one_flat_row_of_strings() {
        let v = parse_body(b"email=a%40b.example&name=Ada+Lovelace&n=3", ContentKind::Form).unwrap().unwrap();
        assert_eq!(v, json!({"email": "a@b.example", "name": "Ada Lovelace", "n": "3"}));
        assert!(parse_body(b"a=%zz", ContentKind::Form).is_err());
    }

    #[test]
    fn content_types_are_read_leniently_but_not_blindly() {
        assert_eq!(content_kind(Some("application/json; charset=utf-8")).unwrap(), ContentKind::Json);
        assert_eq!(content_kind(Some("application/vnd.api+json")).unwrap(), ContentKind::Json);
        assert_eq!(content_kind(None).unwrap(), ContentKind::Json);
        assert_eq!(content_kind(Some("application/x-www-form-urlencoded")).unwrap(), ContentKind::Form);
        assert_eq!(content_kind(Some("text/csv")).unwrap_err().status(), 415);
    }

    #[test]
    fn a_missing_wrapper_is_an_error_and_an_empty_array_is_zero_rows() {
        let body = json!({"rows": [], "x": 1});
        assert_eq!(rows(&body, &Path::parse("rows").unwrap(), 10).unwrap().len(), 0);
        assert_eq!(rows(&body, &Path::parse("data").unwrap(), 10).unwrap_err().status(), 422);
        assert_eq!(rows(&body, &Path::parse("x").unwrap(), 10).unwrap_err().code(), "wrapper_not_rows");
        let many = json!([{}, {}, {}]);
        assert_eq!(rows(&many, &Path::root(), 2).unwrap_err().status(), 413);
        let mixed = json!([{"a": 1}, 3]);
        let r = rows(&mixed, &Path::root(), 10).unwrap();
        assert!(r[0].is_ok() && r[1].is_err());
    }
}
