//! A body read in place: what the planner reads rows from. Keys and strings borrow from the
//! request's text (only a string with an escape is its own copy), and an object is a small
//! vector in document order rather than a hashed map: a row's ten-odd keys are found faster by
//! a scan than by hashing, and reading a body allocates about once per object instead of once per
//! key and string. The planner writes the properties it keeps as JSON text (`plan::Properties`),
//! so no tree outlives the request.

use crate::path::{Path, Segment};
use serde_json::{Map, Number, Value};
use std::borrow::Cow;

#[derive(Debug, Clone, PartialEq)]
pub enum Node<'a> {
    Null,
    Bool(bool),
    Number(Number),
    /// Borrowed only when its text needs no escaping in JSON (no quote, backslash or control
    /// character): a plain string of a body (the reader borrows only strings without an escape,
    /// and JSON has none of those raw), or a view's string that has none. Keys likewise. The
    /// writers copy a borrowed string as it is (`json::write_text`).
    String(Cow<'a, str>),
    Array(Vec<Node<'a>>),
    /// Keys are unique: a repeated key keeps its first place and its last value, as
    /// `serde_json` reads it.
    Object(Vec<(Cow<'a, str>, Node<'a>)>),
}

/// One bit of 64 for a key, from its length and its first and last bytes: keys with different
/// bits differ, so only keys whose bit an earlier key set need comparing.
#[inline]
fn signature_bit(b: &[u8]) -> u64 {
    let sig = b.len() as u64
        | u64::from(b.first().copied().unwrap_or(0)) << 32
        | u64::from(b.last().copied().unwrap_or(0)) << 40;
    1u64 << (sig.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 58)
}

/// `s` borrowed if its text needs no escaping in JSON, else a copy (the rule of `Node::String`).
fn view(s: &str) -> Cow<'_, str> {
    if crate::json::is_clean(s.as_bytes()) {
        Cow::Borrowed(s)
    } else {
        Cow::Owned(s.to_owned())
    }
}

/// An object's entries (a row is one).
pub type Entries<'a> = [(Cow<'a, str>, Node<'a>)];

/// Above this many entries an object finds repeated keys by hashing instead of a scan.
const SCAN: usize = 16;

impl<'a> Node<'a> {
    pub(crate) fn object_from(
        entries: impl ExactSizeIterator<Item = (Cow<'a, str>, Node<'a>)>,
    ) -> Node<'a> {
        let mut out: Vec<(Cow<'a, str>, Node<'a>)> = Vec::with_capacity(entries.len());
        if entries.len() <= SCAN {
            // One bit per key (from its length and its first and last bytes): a key whose bit
            // no earlier key set cannot repeat one, so it is pushed without a scan. A row's
            // keys nearly all differ there, so the scan runs about once per row, not per key.
            let mut seen = 0u64;
            for (k, v) in entries {
                let b = k.as_bytes();
                let first = b.first().copied();
                let bit = signature_bit(b);
                if seen & bit == 0 {
                    seen |= bit;
                    out.push((k, v));
                    continue;
                }
                // Lengths and first bytes before whole keys.
                match out.iter_mut().find(|(x, _)| {
                    x.len() == b.len() && x.as_bytes().first().copied() == first && *x == k
                }) {
                    Some(slot) => slot.1 = v,
                    None => out.push((k, v)),
                }
            }
        } else {
            let mut at: foldhash::HashMap<Cow<'a, str>, usize> = Default::default();
            at.reserve(entries.len());
            for (k, v) in entries {
                match at.get(&k) {
                    Some(&i) => out[i].1 = v,
                    None => {
                        at.insert(k.clone(), out.len());
                        out.push((k, v));
                    }
                }
            }
        }
        Node::Object(out)
    }

    /// `object_from` for entries already in a vector of their own: kept as it is when no key
    /// repeats (the common case: no entry moves again), else rebuilt by `object_from`.
    pub(crate) fn object_from_vec(entries: Vec<(Cow<'a, str>, Node<'a>)>) -> Node<'a> {
        if entries.len() <= SCAN {
            let mut seen = 0u64;
            let repeats = entries.iter().enumerate().any(|(i, (k, _))| {
                let bit = signature_bit(k.as_bytes());
                let maybe = seen & bit != 0;
                seen |= bit;
                maybe && entries[..i].iter().any(|(x, _)| x == k)
            });
            if !repeats {
                return Node::Object(entries);
            }
        }
        Node::object_from(entries.into_iter())
    }

    /// A view of a value the caller keeps: its strings are borrowed, not copied, except the few
    /// that need escaping in JSON (the rule of `Node::String`).
    pub fn from_value(v: &'a Value) -> Node<'a> {
        match v {
            Value::Null => Node::Null,
            Value::Bool(b) => Node::Bool(*b),
            Value::Number(n) => Node::Number(n.clone()),
            Value::String(s) => Node::String(view(s)),
            Value::Array(items) => Node::Array(items.iter().map(Node::from_value).collect()),
            // A map's keys are unique already.
            Value::Object(m) => Node::Object(
                m.iter()
                    .map(|(k, v)| (view(k), Node::from_value(v)))
                    .collect(),
            ),
        }
    }

    /// A value taken over whole (a form, or a body only `serde_json` could read).
    pub fn from_owned(v: Value) -> Node<'static> {
        match v {
            Value::Null => Node::Null,
            Value::Bool(b) => Node::Bool(b),
            Value::Number(n) => Node::Number(n),
            Value::String(s) => Node::String(Cow::Owned(s)),
            Value::Array(items) => Node::Array(items.into_iter().map(Node::from_owned).collect()),
            Value::Object(m) => Node::Object(
                m.into_iter()
                    .map(|(k, v)| (Cow::Owned(k), Node::from_owned(v)))
                    .collect(),
            ),
        }
    }

    /// The same value as `serde_json::Value` (for the few readers that take one).
    pub fn to_value(&self) -> Value {
        match self {
            Node::Null => Value::Null,
            Node::Bool(b) => Value::Bool(*b),
            Node::Number(n) => Value::Number(n.clone()),
            Node::String(s) => Value::String(s.to_string()),
            Node::Array(items) => Value::Array(items.iter().map(Node::to_value).collect()),
            Node::Object(entries) => {
                let mut m = Map::with_capacity(entries.len());
                for (k, v) in entries {
                    m.insert(k.to_string(), v.to_value());
                }
                Value::Object(m)
            }
        }
    }

    pub fn is_null(&self) -> bool {
        matches!(self, Node::Null)
    }

    /// The JSON type's name, as error messages give it.
    pub fn json_type(&self) -> &'static str {
        match self {
            Node::Null => "null",
            Node::Bool(_) => "boolean",
            Node::Number(_) => "number",
            Node::String(_) => "string",
            Node::Array(_) => "array",
            Node::Object(_) => "object",
        }
    }

    /// The value at `path`, if every step exists (the root path is the node itself).
    pub fn get(&self, path: &Path) -> Option<&Node<'a>> {
        let mut n = self;
        for seg in path.segments() {
            n = n.step(seg)?;
        }
        Some(n)
    }

    fn step(&self, seg: &Segment) -> Option<&Node<'a>> {
        match (seg, self) {
            (Segment::Key(k), Node::Object(entries)) => field(entries, k),
            (Segment::Index(i), Node::Array(items)) => items.get(*i),
            _ => None,
        }
    }
}

/// The value of `key` in an object's entries.
pub fn field<'n, 'a>(entries: &'n Entries<'a>, key: &str) -> Option<&'n Node<'a>> {
    entries.iter().find(|(k, _)| k == key).map(|(_, v)| v)
}

/// The value at `path` inside a row object; the root path names no field (`None`).
pub fn get_in<'n, 'a>(row: &'n Entries<'a>, path: &Path) -> Option<&'n Node<'a>> {
    let (Segment::Key(k), rest) = path.segments().split_first()? else {
        return None;
    };
    let mut n = field(row, k)?;
    for seg in rest {
        n = n.step(seg)?;
    }
    Some(n)
}

/// A node as `serde_json` writes it (compact; object keys in their order).
pub(crate) fn write_node(out: &mut Vec<u8>, n: &Node<'_>) {
    match n {
        Node::Null => out.extend_from_slice(b"null"),
        Node::Bool(b) => out.extend_from_slice(if *b { b"true" } else { b"false" }),
        Node::Number(n) => crate::json::write_number(out, n),
        Node::String(s) => crate::json::write_text(out, s),
        Node::Array(items) => crate::json::write_list(out, items, write_node),
        Node::Object(entries) => {
            out.push(b'{');
            for (i, (k, v)) in entries.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                crate::json::write_text(out, k);
                out.push(b':');
                write_node(out, v);
            }
            out.push(b'}');
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_view_of_a_value_and_the_read_text_are_the_same_node() {
        let text = r#"{"b":1,"a":[1,-2,3.5,"x\u00e9",null,true,{}],"b":{"z":"y"},"s":"pl\"ain"}"#;
        let v: Value = serde_json::from_str(text).unwrap();
        let read = crate::reader::read_node(text).unwrap();
        assert_eq!(read, Node::from_value(&v));
        assert_eq!(read.to_value(), v);
        assert_eq!(Node::from_owned(v.clone()), read);
        let mut out = Vec::new();
        write_node(&mut out, &read);
        assert_eq!(
            String::from_utf8(out).unwrap(),
            serde_json::to_string(&v).unwrap()
        );
    }

    #[test]
    fn a_view_writes_strings_that_need_escaping_escaped() {
        // A view borrows only what needs no escaping: these are copies, written escaped.
        let v = serde_json::json!({"q\"k": "a\"b", "nl": "x\ny", "bs\\": ["\\", "\u{1}", "plain"]});
        let view = Node::from_value(&v);
        let mut out = Vec::new();
        write_node(&mut out, &view);
        assert_eq!(
            String::from_utf8(out).unwrap(),
            serde_json::to_string(&v).unwrap()
        );
        let Node::Object(entries) = &view else {
            panic!("an object")
        };
        assert!(matches!(entries[0].0, Cow::Owned(_)));
        assert!(matches!(&entries[1].1, Node::String(Cow::Owned(_))));
        assert!(matches!(entries[1].0, Cow::Borrowed("nl")));
    }

    #[test]
    fn large_objects_keep_the_first_place_and_the_last_value_of_a_repeated_key() {
        let mut text = String::from("{");
        for i in 0..40 {
            text.push_str(&format!("\"k{}\":{i},", i % 25));
        }
        text.push_str("\"end\":0}");
        let v: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(crate::reader::read_node(&text).unwrap().to_value(), v);
        let mut out = Vec::new();
        write_node(&mut out, &crate::reader::read_node(&text).unwrap());
        assert_eq!(
            String::from_utf8(out).unwrap(),
            serde_json::to_string(&v).unwrap()
        );
    }

    #[test]
    fn small_objects_keep_the_first_place_and_the_last_value_of_a_repeated_key() {
        // Every way of repeating keys among up to 6 entries drawn from keys that share lengths
        // and first and last bytes (where the quick check cannot tell them apart) and keys that
        // do not.
        let keys = ["a", "ab", "ba", "aa", "abca", "", "a\\u0061"];
        let mut n = 0;
        for len in 0..=6u32 {
            for pick in 0..keys.len().pow(len) {
                let mut text = String::from("{");
                let mut p = pick;
                for i in 0..len {
                    text.push_str(&format!("\"{}\":{i},", keys[p % keys.len()]));
                    p /= keys.len();
                }
                text.push_str("\"z\":0}");
                let v: Value = serde_json::from_str(&text).unwrap();
                let read = crate::reader::read_node(&text).unwrap();
                let mut out = Vec::new();
                write_node(&mut out, &read);
                assert_eq!(out, serde_json::to_vec(&v).unwrap(), "{text}");
                n += 1;
            }
        }
        assert!(n > 100_000);
    }
}
