//! JSON text → a value, the fast way for the common case: a hand-written reader for documents
//! that are valid JSON, which answers `None` at the first thing it does not handle itself (any
//! error, a lone surrogate escape, a very deep document). The caller then reads the text with
//! `serde_json`, which gives the value or the error it always gave, so what is read never
//! differs (a property test holds this reader to `serde_json` on arbitrary documents).
//!
//! One reader builds both forms the core reads: `serde_json::Value` (what the host keeps) and the
//! borrowed `Node` the planner reads in place (keys and plain strings are slices of the text, an
//! object a small vector). Each object's entries are gathered on one stack for the whole document
//! and its container is built once, at its final size.

use crate::json::plain_run;
use crate::node::Node;
use serde_json::{Map, Number, Value};
use std::borrow::Cow;

/// Nesting deeper than this is left to `serde_json` (which has its own limit and error).
const MAX_DEPTH: usize = 100;

/// What the reader builds a document into.
pub(crate) trait Sink<'a> {
    type V;
    fn null() -> Self::V;
    fn bool(b: bool) -> Self::V;
    fn number(n: Number) -> Self::V;
    fn string(s: Cow<'a, str>) -> Self::V;
    fn array(items: Vec<Self::V>) -> Self::V;
    /// The entries from `start` to the end of the reader's stack (taken off it), in document
    /// order; a repeated key keeps its first place and its last value, as `serde_json` does.
    fn object(entries: &mut Vec<(Cow<'a, str>, Self::V)>, start: usize) -> Self::V;
}

pub(crate) struct ValueSink;

impl<'a> Sink<'a> for ValueSink {
    type V = Value;
    fn null() -> Value {
        Value::Null
    }
    fn bool(b: bool) -> Value {
        Value::Bool(b)
    }
    fn number(n: Number) -> Value {
        Value::Number(n)
    }
    fn string(s: Cow<'a, str>) -> Value {
        Value::String(s.into_owned())
    }
    fn array(items: Vec<Value>) -> Value {
        Value::Array(items)
    }
    fn object(entries: &mut Vec<(Cow<'a, str>, Value)>, start: usize) -> Value {
        let mut map = Map::with_capacity(entries.len() - start);
        for (k, v) in entries.drain(start..) {
            map.insert(k.into_owned(), v);
        }
        Value::Object(map)
    }
}

pub(crate) struct NodeSink;

impl<'a> Sink<'a> for NodeSink {
    type V = Node<'a>;
    fn null() -> Node<'a> {
        Node::Null
    }
    fn bool(b: bool) -> Node<'a> {
        Node::Bool(b)
    }
    fn number(n: Number) -> Node<'a> {
        Node::Number(n)
    }
    fn string(s: Cow<'a, str>) -> Node<'a> {
        Node::String(s)
    }
    fn array(items: Vec<Node<'a>>) -> Node<'a> {
        Node::Array(items)
    }
    fn object(entries: &mut Vec<(Cow<'a, str>, Node<'a>)>, start: usize) -> Node<'a> {
        // One copy of the entries, as a block, into a vector of their size (moving them one by
        // one went through a stack slot, and reading it back stalled on the store). `start` is
        // never 0 (`Reader::new`), where `split_off` would hand over the whole stack instead.
        Node::object_from_vec(entries.split_off(start))
    }
}

/// Reads a value only to check it and find where it ends.
struct SkipSink;

impl<'a> Sink<'a> for SkipSink {
    type V = ();
    fn null() {}
    fn bool(_: bool) {}
    fn number(_: Number) {}
    fn string(_: Cow<'a, str>) {}
    fn array(_: Vec<()>) {}
    fn object(entries: &mut Vec<(Cow<'a, str>, ())>, start: usize) {
        entries.truncate(start);
    }
}

/// A JSON object's entries in document order, each value as its text (checked, not built), a
/// repeated key as often as it occurs: what merging two objects kept as text needs. `None` for
/// anything else, as `read` (the caller then reads it whole).
pub(crate) fn read_entries(text: &str) -> Option<Vec<(Cow<'_, str>, &str)>> {
    let mut r = Reader::<SkipSink>::new(text);
    let mut out = Vec::new();
    r.ws();
    if r.peek()? != b'{' {
        return None;
    }
    r.i += 1;
    r.ws();
    if r.peek()? == b'}' {
        r.i += 1;
    } else {
        loop {
            r.ws();
            if r.peek()? != b'"' {
                return None;
            }
            let key = r.string()?;
            r.ws();
            if r.peek()? != b':' {
                return None;
            }
            r.i += 1;
            r.ws();
            let start = r.i;
            r.i = skip_value(r.s, r.i, 1)?;
            out.push((key, text.get(start..r.i)?));
            r.ws();
            match r.peek()? {
                b',' => r.i += 1,
                b'}' => {
                    r.i += 1;
                    break;
                }
                _ => return None,
            }
        }
    }
    r.ws();
    (r.i == r.s.len()).then_some(out)
}

/// Whether the reader takes `text` whole, building nothing: valid JSON it handles itself.
pub(crate) fn check(text: &str) -> bool {
    let s = text.as_bytes();
    skip_value(s, 0, 0).is_some_and(|i| ws(s, i) == s.len())
}

fn ws(s: &[u8], mut i: usize) -> usize {
    while let Some(b' ' | b'\n' | b'\r' | b'\t') = s.get(i) {
        i += 1;
    }
    i
}

/// Where the value at `i` (after any white space) ends, if the reader takes it at `depth`:
/// the reader's own rules, building nothing. A check of a whole export runs before the first
/// byte of its preview is written, so it costs the whole command its time; building entries
/// only to drop them made it half again as slow. `s` is valid UTF-8 (a `str`'s bytes).
fn skip_value(s: &[u8], i: usize, depth: usize) -> Option<usize> {
    let i = ws(s, i);
    match *s.get(i)? {
        b'"' => skip_string(s, i),
        b'{' => skip_object(s, i, depth + 1),
        b'[' => skip_array(s, i, depth + 1),
        b't' => skip_word(s, i, b"true"),
        b'f' => skip_word(s, i, b"false"),
        b'n' => skip_word(s, i, b"null"),
        b'-' | b'0'..=b'9' => skip_number(s, i),
        _ => None,
    }
}

fn skip_word(s: &[u8], i: usize, word: &[u8]) -> Option<usize> {
    (s.get(i..i + word.len())? == word).then_some(i + word.len())
}

fn skip_object(s: &[u8], mut i: usize, depth: usize) -> Option<usize> {
    if depth > MAX_DEPTH {
        return None;
    }
    i = ws(s, i + 1);
    if *s.get(i)? == b'}' {
        return Some(i + 1);
    }
    loop {
        i = ws(s, i);
        if *s.get(i)? != b'"' {
            return None;
        }
        i = ws(s, skip_string(s, i)?);
        if *s.get(i)? != b':' {
            return None;
        }
        i = ws(s, skip_value(s, i + 1, depth)?);
        match *s.get(i)? {
            b',' => i += 1,
            b'}' => return Some(i + 1),
            _ => return None,
        }
    }
}

fn skip_array(s: &[u8], mut i: usize, depth: usize) -> Option<usize> {
    if depth > MAX_DEPTH {
        return None;
    }
    i = ws(s, i + 1);
    if *s.get(i)? == b']' {
        return Some(i + 1);
    }
    loop {
        i = ws(s, skip_value(s, i, depth)?);
        match *s.get(i)? {
            b',' => i += 1,
            b']' => return Some(i + 1),
            _ => return None,
        }
    }
}

/// A string at `i` as `Reader::string` and `Reader::escaped` take it.
#[inline]
fn skip_string(s: &[u8], i: usize) -> Option<usize> {
    let mut j = plain_run(s, i + 1);
    loop {
        match *s.get(j)? {
            b'"' => return Some(j + 1),
            b'\\' => {
                j += match *s.get(j + 1)? {
                    b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't' => 2,
                    b'u' => {
                        let hex = s.get(j + 2..j + 6)?;
                        if !hex.iter().all(u8::is_ascii_hexdigit) {
                            return None;
                        }
                        // As the reader: a surrogate (a pair or a lone one) is left to serde_json.
                        let code = u32::from_str_radix(std::str::from_utf8(hex).ok()?, 16).ok()?;
                        char::from_u32(code)?;
                        6
                    }
                    _ => return None,
                };
            }
            b if b < 0x20 => return None,
            _ => j = plain_run(s, j),
        }
    }
}

/// A number at `i` as `Reader::number` takes it: the same grammar, and a number it would hand
/// to `serde_json` is handed to it here too (which refuses `1e400`).
fn skip_number(s: &[u8], i: usize) -> Option<usize> {
    let negative = s[i] == b'-';
    let mut j = i + usize::from(negative);
    let int = j;
    match s.get(j)? {
        b'0' => j += 1,
        b'1'..=b'9' => j = digit_run(s, j)?,
        _ => return None,
    }
    let int = int..j;
    let mut frac = j..j;
    if s.get(j) == Some(&b'.') {
        j = digit_run(s, j + 1)?;
        frac = frac.start + 1..j;
    }
    let mut exp = None;
    if let Some(b'e' | b'E') = s.get(j) {
        j += 1;
        let minus = s.get(j) == Some(&b'-');
        if let Some(b'+' | b'-') = s.get(j) {
            j += 1;
        }
        let from = j;
        j = digit_run(s, j)?;
        exp = Some((minus, from..j));
    }
    let simple = frac.is_empty() && exp.is_none() && int.len() <= 18;
    if !simple && short_float(s, negative, int, frac, exp).is_none() {
        serde_json::from_slice::<Number>(&s[i..j]).ok()?;
    }
    Some(j)
}

/// The text of the value at `path` in a JSON document the reader takes whole, found as
/// `Node::get` finds it (a repeated key: its last value), from the document's top-level
/// `entries` (`read_entries`). `Some(None)`: nothing there. `None`: a path this does not follow
/// (a step into an array), for the caller to read the document whole instead.
pub(crate) fn text_at<'t>(
    entries: &[(Cow<'t, str>, &'t str)],
    path: &crate::path::Path,
) -> Option<Option<&'t str>> {
    use crate::path::Segment;
    let key = |entries: &[(Cow<'t, str>, &'t str)], k: &str| {
        entries.iter().rev().find(|(e, _)| e == k).map(|(_, v)| *v)
    };
    let (first, rest) = match path.segments().split_first() {
        None => return None,
        Some((Segment::Key(k), rest)) => (key(entries, k), rest),
        Some((Segment::Index(_), _)) => return None,
    };
    let mut at = first;
    for seg in rest {
        let Segment::Key(k) = seg else { return None };
        at = match at {
            // A step into anything but an object finds nothing, as `Node::get`.
            Some(t) => read_entries(t).and_then(|e| key(&e, k)),
            None => None,
        };
    }
    Some(at)
}

/// The elements of a JSON array, each read in place only when its turn comes. The text must be
/// one the reader took whole already (`check`, `read_entries`): an element it then fails to read
/// would be a fault of this module, and ends the iteration with `Err`.
pub(crate) struct Elements<'a> {
    r: Reader<'a, NodeSink>,
    first: bool,
    done: bool,
}

/// `text` (an array) as its elements; `None` if it is not an array.
pub(crate) fn elements(text: &str) -> Option<Elements<'_>> {
    let mut r = Reader::<NodeSink>::new(text);
    r.ws();
    if r.peek()? != b'[' {
        return None;
    }
    r.i += 1;
    Some(Elements {
        r,
        first: true,
        done: false,
    })
}

impl<'a> Elements<'a> {
    /// How far into the array's text reading has come.
    pub(crate) fn position(&self) -> usize {
        self.r.i
    }
}

impl<'a> Iterator for Elements<'a> {
    type Item = Result<Node<'a>, ()>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        let r = &mut self.r;
        r.ws();
        if self.first {
            self.first = false;
            if r.peek() == Some(b']') {
                self.done = true;
                return None;
            }
        }
        let Some(v) = r.value(1) else {
            self.done = true;
            return Some(Err(()));
        };
        r.ws();
        match r.peek() {
            Some(b',') => r.i += 1,
            Some(b']') => self.done = true,
            _ => {
                self.done = true;
                return Some(Err(()));
            }
        }
        Some(Ok(v))
    }
}

pub fn read(text: &str) -> Option<Value> {
    read_into::<ValueSink>(text)
}

pub(crate) fn read_node(text: &str) -> Option<Node<'_>> {
    read_into::<NodeSink>(text)
}

fn read_into<'a, S: Sink<'a>>(text: &'a str) -> Option<S::V> {
    let mut r = Reader::<S>::new(text);
    let v = r.value(0)?;
    r.ws();
    (r.i == r.s.len()).then_some(v)
}

struct Reader<'a, S: Sink<'a>> {
    s: &'a [u8],
    text: &'a str,
    i: usize,
    /// Entries of the objects being read, innermost last (one buffer for the whole document).
    entries: Vec<(Cow<'a, str>, S::V)>,
}

impl<'a, S: Sink<'a>> Reader<'a, S> {
    fn new(text: &'a str) -> Self {
        Reader {
            s: text.as_bytes(),
            text,
            i: 0,
            entries: {
                // A placeholder at the bottom of the stack, so that every object's entries
                // start above it and are taken off as one block (`NodeSink::object`); room for a
                // row's entries from the start.
                let mut e = Vec::with_capacity(16);
                e.push((Cow::Borrowed(""), S::null()));
                e
            },
        }
    }

    #[inline]
    fn ws(&mut self) {
        while let Some(b' ' | b'\n' | b'\r' | b'\t') = self.s.get(self.i) {
            self.i += 1;
        }
    }

    #[inline]
    fn peek(&self) -> Option<u8> {
        self.s.get(self.i).copied()
    }

    fn value(&mut self, depth: usize) -> Option<S::V> {
        self.ws();
        match self.peek()? {
            b'"' => self.string().map(S::string),
            b'{' => self.object(depth + 1),
            b'[' => self.array(depth + 1),
            b't' => self.literal(b"true", S::bool(true)),
            b'f' => self.literal(b"false", S::bool(false)),
            b'n' => self.literal(b"null", S::null()),
            b'-' | b'0'..=b'9' => self.number().map(S::number),
            _ => None,
        }
    }

    /// An object's entry: its value read and pushed where it is built. Returned through `value`
    /// instead, a string or number went through a stack slot written in one width and read back
    /// in another, which stalled on every entry (a profile put a third of reading there).
    #[inline(always)]
    fn entry(&mut self, key: Cow<'a, str>, depth: usize) -> Option<()> {
        self.ws();
        match self.peek()? {
            b'"' => {
                let s = self.string()?;
                self.entries.push((key, S::string(s)));
            }
            b'-' | b'0'..=b'9' => {
                let n = self.number()?;
                self.entries.push((key, S::number(n)));
            }
            b't' => {
                self.word(b"true")?;
                self.entries.push((key, S::bool(true)));
            }
            b'f' => {
                self.word(b"false")?;
                self.entries.push((key, S::bool(false)));
            }
            b'n' => {
                self.word(b"null")?;
                self.entries.push((key, S::null()));
            }
            _ => {
                let v = self.value(depth)?;
                self.entries.push((key, v));
            }
        }
        Some(())
    }

    fn word(&mut self, word: &[u8]) -> Option<()> {
        if self.s.get(self.i..self.i + word.len())? == word {
            self.i += word.len();
            Some(())
        } else {
            None
        }
    }

    fn literal(&mut self, word: &[u8], v: S::V) -> Option<S::V> {
        self.word(word).map(|()| v)
    }

    fn object(&mut self, depth: usize) -> Option<S::V> {
        if depth > MAX_DEPTH {
            return None;
        }
        self.i += 1;
        let start = self.entries.len();
        self.ws();
        if self.peek()? == b'}' {
            self.i += 1;
            return Some(S::object(&mut self.entries, start));
        }
        loop {
            self.ws();
            if self.peek()? != b'"' {
                return None;
            }
            let key = self.string()?;
            self.ws();
            if self.peek()? != b':' {
                return None;
            }
            self.i += 1;
            self.entry(key, depth)?;
            self.ws();
            match self.peek()? {
                b',' => self.i += 1,
                b'}' => {
                    self.i += 1;
                    break;
                }
                _ => return None,
            }
        }
        Some(S::object(&mut self.entries, start))
    }

    fn array(&mut self, depth: usize) -> Option<S::V> {
        if depth > MAX_DEPTH {
            return None;
        }
        self.i += 1;
        let mut items = Vec::new();
        self.ws();
        if self.peek()? == b']' {
            self.i += 1;
            return Some(S::array(items));
        }
        loop {
            items.push(self.value(depth)?);
            self.ws();
            match self.peek()? {
                b',' => self.i += 1,
                b']' => {
                    self.i += 1;
                    return Some(S::array(items));
                }
                _ => return None,
            }
        }
    }

    /// A string literal at the cursor; plain ones (no escape) are one copy of their slice.
    /// Inlined, so that the common plain string is built where it is kept instead of being
    /// returned through memory; one with an escape is read apart (`escaped`).
    #[inline(always)]
    fn string(&mut self) -> Option<Cow<'a, str>> {
        let start = self.i + 1;
        let mut j = plain_run(self.s, start);
        loop {
            match *self.s.get(j)? {
                b'"' => {
                    self.i = j + 1;
                    return Some(Cow::Borrowed(self.text.get(start..j)?));
                }
                b'\\' => return self.escaped(start, j).map(Cow::Owned),
                b if b < 0x20 => return None,
                _ => j += 1,
            }
        }
    }

    /// The rest of a string from its first escape at `j` (`start`: where its text begins).
    #[inline(never)]
    fn escaped(&mut self, start: usize, mut j: usize) -> Option<String> {
        let mut out = String::with_capacity(j - start + 16);
        out.push_str(self.text.get(start..j)?);
        loop {
            match *self.s.get(j)? {
                b'"' => {
                    self.i = j + 1;
                    return Some(out);
                }
                b'\\' => {
                    let c = match *self.s.get(j + 1)? {
                        b'"' => '"',
                        b'\\' => '\\',
                        b'/' => '/',
                        b'b' => '\u{8}',
                        b'f' => '\u{c}',
                        b'n' => '\n',
                        b'r' => '\r',
                        b't' => '\t',
                        b'u' => {
                            let hex = self.text.get(j + 2..j + 6)?;
                            if !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
                                return None;
                            }
                            // Surrogates (pairs and lone ones) are left to serde_json.
                            let c = char::from_u32(u32::from_str_radix(hex, 16).ok()?)?;
                            j += 4;
                            c
                        }
                        _ => return None,
                    };
                    out.push(c);
                    j += 2;
                }
                b if b < 0x20 => return None,
                _ => {
                    // Up to the next quote or escape in one piece (never splits a character:
                    // both are ASCII).
                    let k = plain_run(self.s, j);
                    out.push_str(self.text.get(j..k)?);
                    j = k;
                }
            }
        }
    }

    /// Integers and decimals of up to 18 digits are computed here, as `serde_json` computes
    /// them; any other number is handed to `serde_json` on its own, so that it rounds exactly as
    /// it rounds them.
    fn number(&mut self) -> Option<Number> {
        let start = self.i;
        let mut j = start;
        let negative = self.s[j] == b'-';
        if negative {
            j += 1;
        }
        let int = j;
        match self.s.get(j)? {
            b'0' => j += 1,
            b'1'..=b'9' => j = digit_run(self.s, j)?,
            _ => return None,
        }
        let int = int..j;
        let mut frac = j..j;
        if self.s.get(j) == Some(&b'.') {
            j = digit_run(self.s, j + 1)?;
            frac = frac.start + 1..j;
        }
        let mut exp = None;
        if let Some(b'e' | b'E') = self.s.get(j) {
            j += 1;
            let minus = self.s.get(j) == Some(&b'-');
            if let Some(b'+' | b'-') = self.s.get(j) {
                j += 1;
            }
            let from = j;
            j = digit_run(self.s, j)?;
            exp = Some((minus, from..j));
        }
        let n = if frac.is_empty() && exp.is_none() && int.len() <= 18 {
            let n = decimal(&self.s[int]);
            // `-0` is a float to serde_json (-0.0).
            match (negative, n) {
                (false, n) => Number::from(n),
                (true, 0) => Number::from_f64(-0.0)?,
                (true, n) => Number::from(-(n as i64)),
            }
        } else {
            match short_float(self.s, negative, int, frac, exp) {
                Some(f) => Number::from_f64(f)?,
                None => serde_json::from_str(self.text.get(start..j)?).ok()?,
            }
        };
        self.i = j;
        Some(n)
    }
}

/// ASCII digits (at most 19) as an integer.
fn decimal(digits: &[u8]) -> u64 {
    digits.iter().fold(0, |n, &b| n * 10 + u64::from(b - b'0'))
}

/// The exact powers of ten an `f64` holds.
const POW10: [f64; 23] = [
    1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16,
    1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
];

/// A float of at most 18 significant digits and a decimal exponent within 22 (`1.5`, `-0.25`,
/// `3e5`), from the parts of a number already read, computed as `serde_json` computes it: the
/// digits as an integer, converted to `f64`, then multiplied or divided by the power of ten once.
/// `None` for anything longer or larger, which `serde_json` reads instead. (A deserializer per
/// float was a visible share of reading a batch with a price in each row.)
fn short_float(
    s: &[u8],
    negative: bool,
    int: std::ops::Range<usize>,
    frac: std::ops::Range<usize>,
    exp: Option<(bool, std::ops::Range<usize>)>,
) -> Option<f64> {
    if int.len() + frac.len() > 18 {
        return None;
    }
    let m = decimal(&s[int]) * 10u64.pow(frac.len() as u32) + decimal(&s[frac.clone()]);
    let mut e = -(frac.len() as i32);
    if let Some((minus, digits)) = exp {
        if digits.len() > 4 {
            return None;
        }
        let d = decimal(&s[digits]) as i32;
        e += if minus { -d } else { d };
    }
    let pow = *POW10.get(e.unsigned_abs() as usize)?;
    let f = m as f64;
    let f = if e >= 0 { f * pow } else { f / pow };
    Some(if negative { -f } else { f })
}

/// The end of the run of ASCII digits starting at `j`, which must hold at least one.
fn digit_run(s: &[u8], j: usize) -> Option<usize> {
    let end = j + s[j.min(s.len())..]
        .iter()
        .take_while(|b| b.is_ascii_digit())
        .count();
    (end > j).then_some(end)
}

#[cfg(test)]
mod tests {
    use super::{check, read, read_entries};
    use proptest::prelude::*;
    use serde_json::Value;

    /// The check that runs before a file's preview is written takes exactly what the reader
    /// takes: were it to take more, a streamed preview would fail halfway; were it to take less,
    /// a valid file would lose the streamed preview.
    fn checks_as_read(text: &str) -> Result<(), TestCaseError> {
        prop_assert_eq!(check(text), read(text).is_some(), "{:?}", text);
        if text.trim_start().starts_with('{') {
            prop_assert_eq!(
                read_entries(text).is_some(),
                read(text).is_some(),
                "{:?}",
                text
            );
        }
        Ok(())
    }

    proptest! {
        #[test]
        fn the_check_takes_what_the_reader_takes_from_any_token_soup(bytes in prop::collection::vec(prop::sample::select(b"{}[]\",:0123456789.eE-+ truefalsnul\\u/bx\n\x01".to_vec()), 0..40)) {
            if let Ok(text) = std::str::from_utf8(&bytes) {
                checks_as_read(text)?;
            }
        }

        #[test]
        fn the_check_takes_what_the_reader_takes_from_strings_and_numbers(chars in prop::collection::vec((any::<char>(), 0u8..5), 0..10), hex in "[0-9a-fA-FdD]{4}", number in "-?(0|[1-9][0-9]{0,20})(\\.[0-9]{0,20})?([eE][+-]?[0-9]{0,5})?") {
            let mut lit = String::from("\"");
            for (c, how) in &chars {
                match how {
                    0 => lit.push(*c),
                    1 => { lit.push('\\'); lit.push(*c) }
                    2 => lit.push_str(&format!("\\u{hex}")),
                    3 => lit.push_str(&format!("\\u{:04x}", *c as u32 & 0xffff)),
                    _ => lit.push_str("\\u12"),
                }
            }
            lit.push('"');
            checks_as_read(&lit)?;
            checks_as_read(&format!("{{{lit}: [{number}, {lit}]}}"))?;
            checks_as_read(&number)?;
        }
    }

    #[test]
    fn the_check_takes_what_the_reader_takes_at_the_depth_limit() {
        for n in [99, 100, 101] {
            for (open, close) in [("[", "]"), ("{\"a\":", "}")] {
                let text = format!("{}1{}", open.repeat(n), close.repeat(n));
                checks_as_read(&text).unwrap();
            }
        }
    }

    fn same(text: &str) {
        let want: Value = serde_json::from_str(text).unwrap();
        let got = read(text).unwrap_or_else(|| panic!("not read: {text}"));
        assert_eq!(
            serde_json::to_string(&got).unwrap(),
            serde_json::to_string(&want).unwrap(),
            "{text}"
        );
        assert_eq!(got, want, "{text}");
    }

    #[test]
    fn reads_valid_documents_exactly_as_serde_json() {
        for text in [
            r#"{"op":"added","rows":[{"id":1,"email":"a@b.example","mrr":22.5,"ok":true,"x":null}]}"#,
            r#" [ 1 , -2 , 0 , -0 , 123456789012345678 , 1234567890123456789012 , -9223372036854775809 ] "#,
            r#"[1.5e3, 2E-2, -0.0, 1e-400, 0.1, 3.141592653589793238462643383279]"#,
            r#"{"a":1,"b":2,"a":3}"#,
            r#"{"s":"tab\there \"quoted\" back\\slash \/ \u00e9 \u4e2d \b\f\n\r","k\u0041":"é中😀"}"#,
            r#""just text""#,
            "true",
            "{}",
            "[[], {}, [{}]]",
        ] {
            same(text);
        }
    }

    #[test]
    fn leaves_everything_else_to_serde_json() {
        for text in [
            "",
            " ",
            "{",
            "[1,]",
            r#"{"a":1,}"#,
            "{} {}",
            "nul",
            "01",
            "1.",
            "1e",
            "-",
            "[1e400]",
            r#""\ud83d\ude00""#,
            r#""\ud800""#,
            "\"a\u{1}b\"",
            r#""\x""#,
            r#""\u12""#,
            r#"{"a" 1}"#,
            "[1 2]",
            "+1",
            ".5",
        ] {
            assert!(read(text).is_none(), "{text:?}");
        }
        let deep = format!("{}{}", "[".repeat(150), "]".repeat(150));
        assert!(read(&deep).is_none());
        let ok = format!("{}{}", "[".repeat(50), "]".repeat(50));
        same(&ok);
    }
}
