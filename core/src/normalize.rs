//! Key normalisation (docs/design.md §5): numbers become their decimal string, strings are trimmed,
//! blank or null counts as absent, and booleans, objects or arrays are errors.

use crate::node::Node;
use serde_json::Value;

/// What a row holds where a key (ID, name, email, custom value) is expected.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeyValue {
    Absent,
    Present(String),
    /// The JSON type found, for the error message.
    Invalid(&'static str),
}

pub fn json_type(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

pub fn key_value(v: Option<&Value>) -> KeyValue {
    match v {
        None => KeyValue::Absent,
        // Containers are refused whole (not viewed, which would walk them).
        Some(Value::Array(_) | Value::Object(_)) => {
            KeyValue::Invalid(json_type(v.unwrap_or(&Value::Null)))
        }
        Some(v) => node_key(Some(&Node::from_value(v))),
    }
}

/// `key_value` for a row read in place.
pub fn node_key(v: Option<&Node<'_>>) -> KeyValue {
    match v {
        None | Some(Node::Null) => KeyValue::Absent,
        Some(Node::String(s)) => {
            let t = s.trim();
            if t.is_empty() {
                KeyValue::Absent
            } else {
                KeyValue::Present(t.to_string())
            }
        }
        Some(Node::Number(n)) => KeyValue::Present(number_key(n)),
        Some(other) => KeyValue::Invalid(other.json_type()),
    }
}

/// `42`, `42.0` and `4.2e1` all name the same ID: integral floats print without a fraction.
pub fn number_key(n: &serde_json::Number) -> String {
    if let Some(i) = n.as_i64() {
        return i.to_string();
    }
    if let Some(u) = n.as_u64() {
        return u.to_string();
    }
    match n.as_f64() {
        Some(f) if f.fract() == 0.0 && f.abs() < 1e15 => format!("{}", f as i64),
        Some(f) => format!("{f}"),
        None => n.to_string(),
    }
}

/// Names and emails compare without case.
pub fn fold(s: &str) -> String {
    s.trim().to_lowercase()
}

/// `fold`, without a copy when there is nothing to fold (most emails are lower-case ASCII).
pub fn folded(s: &str) -> std::borrow::Cow<'_, str> {
    let t = s.trim();
    if t.bytes().all(|b| b.is_ascii() && !b.is_ascii_uppercase()) {
        std::borrow::Cow::Borrowed(t)
    } else {
        std::borrow::Cow::Owned(t.to_lowercase())
    }
}

/// The comparable form of a stored property for custom matching; `None` never matches.
pub fn property_key(v: &Value) -> Option<String> {
    match key_value(Some(v)) {
        KeyValue::Present(s) => Some(s),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn numbers_and_strings_become_the_same_id() {
        assert_eq!(key_value(Some(&json!(42))), KeyValue::Present("42".into()));
        assert_eq!(
            key_value(Some(&json!(42.0))),
            KeyValue::Present("42".into())
        );
        assert_eq!(
            key_value(Some(&json!(" 42 "))),
            KeyValue::Present("42".into())
        );
        assert_eq!(
            key_value(Some(&json!(1.5))),
            KeyValue::Present("1.5".into())
        );
    }

    #[test]
    fn folding_lowers_every_case_and_borrows_only_what_is_folded_already() {
        assert_eq!(folded("ACME"), "acme");
        assert_eq!(folded(" Ada@Example.com "), "ada@example.com");
        assert_eq!(folded("ÉCOLE"), "école");
        assert!(matches!(
            folded(" ada@example.com"),
            std::borrow::Cow::Borrowed("ada@example.com")
        ));
        assert_eq!(fold(" ACME "), "acme");
    }

    #[test]
    fn integral_floats_name_the_integer_and_large_ones_are_not_clamped() {
        let key = |text: &str| number_key(&serde_json::from_str(text).unwrap());
        assert_eq!(key("4.2e1"), "42");
        assert_eq!(key("-0.0"), "0");
        assert_eq!(key("-7.0"), "-7");
        assert_eq!(key("1e15"), "1000000000000000");
        // Past what an i64 holds: written as the float it is, never clamped to i64::MAX.
        assert_eq!(key("1e19"), "10000000000000000000");
        assert_eq!(key("-1e19"), "-10000000000000000000");
        assert_eq!(key("0.5"), "0.5");
    }

    #[test]
    fn blank_and_null_count_as_absent_and_containers_are_invalid() {
        assert_eq!(key_value(Some(&json!("  "))), KeyValue::Absent);
        assert_eq!(key_value(Some(&json!(null))), KeyValue::Absent);
        assert_eq!(key_value(None), KeyValue::Absent);
        assert_eq!(key_value(Some(&json!(true))), KeyValue::Invalid("boolean"));
        assert_eq!(key_value(Some(&json!({}))), KeyValue::Invalid("object"));
        assert_eq!(key_value(Some(&json!([1]))), KeyValue::Invalid("array"));
    }
}
