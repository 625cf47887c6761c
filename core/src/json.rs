//! The one writer of the formats the core hands across a boundary: the plan, the preview's
//! answer and the request log's per-row outcomes, written as JSON text directly (compact, as
//! `serde_json` writes), without serde's generic machinery. There is no second, derived copy:
//! these types implement `Serialize` by handing this text over as raw JSON, so `serde_json` (the
//! window's IPC, `to_value` in the golden cases) writes exactly these bytes. The derived
//! `Deserialize` is the format's reader, and the property tests hold the two to each other: what
//! is written reads back to the same plan. The golden cases fix the bytes themselves.
//!
//! The preview answers a JSON string of about 450 bytes per row, so how fast strings are escaped
//! and fields are written is a large share of it in WebAssembly, where serde_json's
//! byte-at-a-time escaping and `#[serde(flatten)]` are slow.

use crate::mapping::{Behavior, Kind};
use crate::plan::{By, Key, Link, NewAccount, Outcome, Plan, RowPlan, Summary, Target, Write};
use crate::preview::{PreviewOutput, Problem};
use serde::{Serialize, Serializer};
use serde_json::value::RawValue;
use serde_json::{Map, Value};

/// `Serialize` for a type this module writes: its text handed to the serializer as raw JSON.
/// `serde_json` copies raw JSON as it is (and `to_value` reads it), so every JSON path out of
/// the core writes the same bytes.
macro_rules! serialize_with {
    ($($ty:ty => $write:ident),* $(,)?) => {$(
        impl Serialize for $ty {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                let mut out = Vec::with_capacity(128);
                $write(&mut out, self);
                raw(out, s)
            }
        }
    )*};
}

serialize_with! {
    Target => write_target,
    Key => write_key,
    NewAccount => write_new_account,
    Link => write_link,
    Write => write_write,
    RowPlan => write_row,
    Summary => write_summary,
    Plan => write_plan,
    Problem => write_problem,
    PreviewOutput => write_output,
}

impl Serialize for By {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

fn raw<S: Serializer>(out: Vec<u8>, s: S) -> Result<S::Ok, S::Error> {
    let raw = RawValue::from_string(into_string(out)).map_err(serde::ser::Error::custom)?;
    raw.serialize(s)
}

/// What `serde_json` escapes: `"`, `\` and the control characters below 0x20.
#[inline]
fn needs_escape(b: u8) -> bool {
    b < 0x20 || b == b'"' || b == b'\\'
}

/// The bytes of `w` (8 bytes, little-endian) that need escaping, as the high bit of each (SWAR: a
/// byte below 0x20, or equal to `"` or `\`). Bits above the lowest set one may be false alarms
/// (borrows); the lowest set bit is always exact, so it finds the first such byte.
#[inline]
fn escape_mask(w: u64) -> u64 {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    let has_zero = |x: u64| x.wrapping_sub(ONES) & !x & HIGH;
    let below_space = w.wrapping_sub(ONES * 0x20) & !w & HIGH;
    below_space | has_zero(w ^ (ONES * b'"' as u64)) | has_zero(w ^ (ONES * b'\\' as u64))
}

/// Where the run of bytes from `j` that need no escaping (not `"`, `\\` or a control character)
/// ends: 8 bytes at a time, the first such byte of a word found from its mask, and byte by byte
/// only in the last few bytes. The writer copies such runs whole; the reader finds a string's end
/// with it.
#[inline]
pub(crate) fn plain_run(s: &[u8], mut j: usize) -> usize {
    while let Some(w) = s.get(j..j + 8) {
        let m = escape_mask(u64::from_le_bytes([
            w[0], w[1], w[2], w[3], w[4], w[5], w[6], w[7],
        ]));
        if m != 0 {
            return j + (m.trailing_zeros() / 8) as usize;
        }
        j += 8;
    }
    while let Some(&b) = s.get(j) {
        if needs_escape(b) {
            break;
        }
        j += 1;
    }
    j
}

/// Whether no byte of `bytes` needs escaping. The last word overlaps the one before it rather
/// than being copied into a padded buffer: the copy was a `memcpy` call and a stalled load of a
/// word just written byte by byte, more than half of this function's time on short strings.
#[inline]
pub(crate) fn is_clean(bytes: &[u8]) -> bool {
    let n = bytes.len();
    let word = |i: usize| {
        let w = &bytes[i..i + 8];
        u64::from_le_bytes([w[0], w[1], w[2], w[3], w[4], w[5], w[6], w[7]])
    };
    if n >= 8 {
        let mut i = 0;
        while i + 8 <= n {
            if escape_mask(word(i)) != 0 {
                return false;
            }
            i += 8;
        }
        return i == n || escape_mask(word(n - 8)) == 0;
    }
    if n >= 4 {
        let half =
            |i: usize| u32::from_le_bytes([bytes[i], bytes[i + 1], bytes[i + 2], bytes[i + 3]]);
        return escape_mask(u64::from(half(0)) | u64::from(half(n - 4)) << 32) == 0;
    }
    !bytes.iter().any(|&b| needs_escape(b))
}

/// A string of a `Node` (a key or a value): a borrowed one needs no escaping (`Node`'s rule), so
/// its text is written as it is, without looking at its bytes again.
#[inline]
#[expect(
    clippy::ptr_arg,
    reason = "whether the text is borrowed is what this function reads; a &str would lose it"
)]
pub(crate) fn write_text(out: &mut Vec<u8>, s: &std::borrow::Cow<'_, str>) {
    match s {
        std::borrow::Cow::Borrowed(s) => {
            out.reserve(s.len() + 2);
            out.push(b'"');
            out.extend_from_slice(s.as_bytes());
            out.push(b'"');
        }
        std::borrow::Cow::Owned(s) => write_str(out, s),
    }
}

/// A JSON string literal, escaped as `serde_json` escapes it.
pub(crate) fn write_str(out: &mut Vec<u8>, s: &str) {
    let bytes = s.as_bytes();
    out.reserve(bytes.len() + 2);
    out.push(b'"');
    // Nearly every string needs no escape: checked a word at a time (the last few bytes padded
    // into a word of their own), then copied in one piece.
    if is_clean(bytes) {
        out.extend_from_slice(bytes);
        out.push(b'"');
        return;
    }
    let mut start = 0;
    loop {
        let i = plain_run(bytes, start);
        out.extend_from_slice(&bytes[start..i]);
        let Some(&b) = bytes.get(i) else { break };
        match b {
            b'"' => out.extend_from_slice(b"\\\""),
            b'\\' => out.extend_from_slice(b"\\\\"),
            0x08 => out.extend_from_slice(b"\\b"),
            0x0c => out.extend_from_slice(b"\\f"),
            b'\n' => out.extend_from_slice(b"\\n"),
            b'\r' => out.extend_from_slice(b"\\r"),
            b'\t' => out.extend_from_slice(b"\\t"),
            _ => {
                const HEX: &[u8; 16] = b"0123456789abcdef";
                out.extend_from_slice(&[
                    b'\\',
                    b'u',
                    b'0',
                    b'0',
                    HEX[usize::from(b >> 4)],
                    HEX[usize::from(b & 0xf)],
                ]);
            }
        }
        start = i + 1;
    }
    out.push(b'"');
}

fn write_usize(out: &mut Vec<u8>, n: usize) {
    write_u64(out, n as u64);
}

/// `"key":` (keys here are fixed identifiers that need no escaping), preceded by a comma unless
/// it is the first field of its object.
fn field(out: &mut Vec<u8>, first: &mut bool, key: &str) {
    if !*first {
        out.push(b',');
    }
    *first = false;
    out.push(b'"');
    out.extend_from_slice(key.as_bytes());
    out.extend_from_slice(b"\":");
}

fn opt_str(out: &mut Vec<u8>, first: &mut bool, key: &str, v: &Option<String>) {
    if let Some(s) = v {
        field(out, first, key);
        write_str(out, s);
    }
}

fn write_bool(out: &mut Vec<u8>, b: bool) {
    out.extend_from_slice(if b { b"true" } else { b"false" });
}

/// Any JSON value, as `serde_json` writes it (compact; object keys in their order).
pub(crate) fn write_value(out: &mut Vec<u8>, v: &Value) {
    match v {
        Value::Null => out.extend_from_slice(b"null"),
        Value::Bool(b) => write_bool(out, *b),
        Value::Number(n) => write_number(out, n),
        Value::String(s) => write_str(out, s),
        Value::Array(items) => write_list(out, items, write_value),
        Value::Object(m) => write_value_map(out, m),
    }
}

pub(crate) fn write_number(out: &mut Vec<u8>, n: &serde_json::Number) {
    if let Some(u) = n.as_u64() {
        write_u64(out, u);
    } else {
        // Negative integers and floats: serde_json's own formatting, whatever it is.
        let _ = serde_json::to_writer(&mut *out, n);
    }
}

fn write_u64(out: &mut Vec<u8>, n: u64) {
    let mut buf = [0u8; 20];
    let mut i = buf.len();
    let mut n = n;
    loop {
        i -= 1;
        buf[i] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    out.extend_from_slice(&buf[i..]);
}

pub(crate) fn write_value_map(out: &mut Vec<u8>, m: &Map<String, Value>) {
    out.push(b'{');
    for (i, (k, v)) in m.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        write_str(out, k);
        out.push(b':');
        write_value(out, v);
    }
    out.push(b'}');
}

fn write_target(out: &mut Vec<u8>, t: &Target) {
    match t {
        Target::Existing(id) => {
            out.extend_from_slice(b"{\"existing\":");
            write_str(out, id);
        }
        Target::New(n) => {
            out.extend_from_slice(b"{\"new\":");
            write_usize(out, *n);
        }
    }
    out.push(b'}');
}

fn write_key(out: &mut Vec<u8>, k: &Key) {
    out.extend_from_slice(b"{\"by\":\"");
    out.extend_from_slice(k.by.as_str().as_bytes());
    out.extend_from_slice(b"\",\"value\":");
    write_str(out, &k.value);
    if let Some(p) = &k.property {
        out.extend_from_slice(b",\"property\":");
        write_str(out, p);
    }
    out.push(b'}');
}

fn write_new_account(out: &mut Vec<u8>, a: &NewAccount) {
    out.push(b'{');
    let mut first = true;
    opt_str(out, &mut first, "external_id", &a.external_id);
    opt_str(out, &mut first, "name", &a.name);
    out.push(b'}');
}

fn write_link(out: &mut Vec<u8>, l: &Link) {
    out.extend_from_slice(b"{\"target\":");
    write_target(out, &l.target);
    out.extend_from_slice(b",\"key\":");
    write_key(out, &l.key);
    if let Some(c) = &l.create {
        out.extend_from_slice(b",\"create\":");
        write_new_account(out, c);
    }
    out.push(b'}');
}

fn write_write(out: &mut Vec<u8>, w: &Write) {
    out.push(b'{');
    let mut first = true;
    opt_str(out, &mut first, "external_id", &w.external_id);
    opt_str(out, &mut first, "name", &w.name);
    opt_str(out, &mut first, "email", &w.email);
    if let Some(l) = &w.account {
        field(out, &mut first, "account");
        write_link(out, l);
    }
    opt_str(out, &mut first, "type", &w.event_type);
    if let Some(l) = &w.contact {
        field(out, &mut first, "contact");
        write_link(out, l);
    }
    opt_str(out, &mut first, "timestamp", &w.timestamp);
    opt_str(out, &mut first, "event_id", &w.event_id);
    field(out, &mut first, "properties");
    out.extend_from_slice(w.properties.as_str().as_bytes());
    out.push(b'}');
}

/// `{"index":…,"action":"…"`: how a row starts in the plan and in the request log's outcomes.
fn write_row_head(out: &mut Vec<u8>, r: &RowPlan) {
    out.extend_from_slice(b"{\"index\":");
    write_usize(out, r.index);
    out.extend_from_slice(b",\"action\":\"");
    out.extend_from_slice(r.outcome.action().as_bytes());
    out.push(b'"');
}

pub(crate) fn write_row(out: &mut Vec<u8>, r: &RowPlan) {
    write_row_head(out, r);
    match &r.outcome {
        Outcome::Create { new, key, record } => {
            out.extend_from_slice(b",\"new\":");
            write_usize(out, *new);
            if let Some(k) = key {
                out.extend_from_slice(b",\"key\":");
                write_key(out, k);
            }
            out.extend_from_slice(b",\"record\":");
            write_write(out, record);
        }
        Outcome::Update {
            target,
            key,
            record,
        } => {
            out.extend_from_slice(b",\"target\":");
            write_target(out, target);
            out.extend_from_slice(b",\"key\":");
            write_key(out, key);
            out.extend_from_slice(b",\"record\":");
            write_write(out, record);
        }
        Outcome::Delete { target, key } => {
            out.extend_from_slice(b",\"target\":");
            write_target(out, target);
            out.extend_from_slice(b",\"key\":");
            write_key(out, key);
        }
        Outcome::Skip { reason, key } => {
            out.extend_from_slice(b",\"reason\":");
            write_str(out, reason);
            if let Some(k) = key {
                out.extend_from_slice(b",\"key\":");
                write_key(out, k);
            }
        }
        Outcome::Duplicate { event_id } => {
            out.extend_from_slice(b",\"event_id\":");
            write_str(out, event_id);
        }
        Outcome::Error { error, path } => {
            out.extend_from_slice(b",\"error\":");
            write_str(out, error);
            if let Some(p) = path {
                out.extend_from_slice(b",\"path\":");
                write_str(out, p);
            }
        }
    }
    write_warnings(out, &r.warnings);
    out.push(b'}');
}

fn write_summary(out: &mut Vec<u8>, s: &Summary) {
    let fields = [
        ("rows", s.rows),
        ("create", s.create),
        ("update", s.update),
        ("delete", s.delete),
        ("skip", s.skip),
        ("duplicate", s.duplicate),
        ("error", s.error),
    ];
    out.push(b'{');
    let mut first = true;
    for (k, n) in fields {
        field(out, &mut first, k);
        write_usize(out, n);
    }
    out.push(b'}');
}

pub(crate) fn write_plan(out: &mut Vec<u8>, p: &Plan) {
    write_plan_rows(out, p, &p.rows);
}

/// The plan with `rows` (a window of `p.rows`) in place of all of them.
fn write_plan_rows(out: &mut Vec<u8>, p: &Plan, rows: &[RowPlan]) {
    write_plan_head(out, p.kind, p.behavior);
    write_list(out, rows, write_row);
    write_plan_tail(out, &p.summary);
}

/// A plan's fields before its rows: `{"kind":…,"behavior":…,"rows":`.
fn write_plan_head(out: &mut Vec<u8>, kind: Kind, behavior: Behavior) {
    out.extend_from_slice(b"{\"kind\":\"");
    out.extend_from_slice(kind.as_str().as_bytes());
    out.extend_from_slice(b"\",\"behavior\":\"");
    out.extend_from_slice(behavior.as_str().as_bytes());
    out.extend_from_slice(b"\",\"rows\":");
}

/// A plan's fields after its rows: `,"summary":{…}}`.
fn write_plan_tail(out: &mut Vec<u8>, s: &Summary) {
    out.extend_from_slice(b",\"summary\":");
    write_summary(out, s);
    out.push(b'}');
}

/// `[a,b,…]`, each item written by `each`.
#[inline]
pub(crate) fn write_list<T>(
    out: &mut Vec<u8>,
    items: impl IntoIterator<Item = T>,
    mut each: impl FnMut(&mut Vec<u8>, T),
) {
    out.push(b'[');
    for (i, item) in items.into_iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        each(out, item);
    }
    out.push(b']');
}

/// An answer as the CLI streams it: a plan as `{"plan":…,"ok":…}` (`ok`, known only once every
/// row is planned, last, so that rows are written as they are planned), anything else as
/// `write_output` writes it.
pub(crate) fn write_output_ok_last_to(
    w: &mut dyn std::io::Write,
    o: &PreviewOutput,
) -> std::io::Result<()> {
    let PreviewOutput::Plan { ok, plan } = o else {
        let mut out = Vec::new();
        write_output(&mut out, o);
        return w.write_all(&out);
    };
    let mut stream = PlanStream::new(plan.kind, plan.behavior);
    for r in &plan.rows {
        stream.row(r, w)?;
    }
    stream.finish(&plan.summary, *ok, w)
}

/// A plan written as `{"plan":…,"ok":…}` a row at a time, to a writer a chunk at a time: the one
/// writer of the CLI's answer, for a plan held whole and for rows planned as they are read.
pub(crate) struct PlanStream {
    out: Vec<u8>,
    rows: usize,
}

impl PlanStream {
    const CHUNK: usize = 64 * 1024;

    pub(crate) fn new(kind: Kind, behavior: Behavior) -> PlanStream {
        let mut out = Vec::with_capacity(Self::CHUNK + 4096);
        out.extend_from_slice(b"{\"plan\":");
        write_plan_head(&mut out, kind, behavior);
        out.push(b'[');
        PlanStream { out, rows: 0 }
    }

    pub(crate) fn row(&mut self, r: &RowPlan, w: &mut dyn std::io::Write) -> std::io::Result<()> {
        if self.rows > 0 {
            self.out.push(b',');
        }
        self.rows += 1;
        write_row(&mut self.out, r);
        if self.out.len() >= Self::CHUNK {
            w.write_all(&self.out)?;
            self.out.clear();
        }
        Ok(())
    }

    pub(crate) fn finish(
        mut self,
        summary: &Summary,
        ok: bool,
        w: &mut dyn std::io::Write,
    ) -> std::io::Result<()> {
        self.out.push(b']');
        write_plan_tail(&mut self.out, summary);
        self.out.extend_from_slice(b",\"ok\":");
        write_bool(&mut self.out, ok);
        self.out.push(b'}');
        w.write_all(&self.out)
    }
}

fn write_problem(out: &mut Vec<u8>, p: &Problem) {
    out.extend_from_slice(b"{\"code\":");
    write_str(out, &p.code);
    out.extend_from_slice(b",\"status\":");
    write_usize(out, usize::from(p.status));
    out.extend_from_slice(b",\"detail\":");
    write_str(out, &p.detail);
    if let Some(f) = &p.field {
        out.extend_from_slice(b",\"field\":");
        write_str(out, f);
    }
    out.push(b'}');
}

pub(crate) fn write_output(out: &mut Vec<u8>, o: &PreviewOutput) {
    match o {
        PreviewOutput::Plan { ok, plan } => {
            out.extend_from_slice(b"{\"ok\":");
            write_bool(out, *ok);
            out.extend_from_slice(b",\"plan\":");
            write_plan(out, plan);
        }
        PreviewOutput::ConnectionTest {
            ok,
            connection_test,
        } => {
            out.extend_from_slice(b"{\"ok\":");
            write_bool(out, *ok);
            out.extend_from_slice(b",\"connection_test\":");
            write_bool(out, *connection_test);
        }
        PreviewOutput::Failed { ok, error } => {
            out.extend_from_slice(b"{\"ok\":");
            write_bool(out, *ok);
            out.extend_from_slice(b",\"error\":");
            write_problem(out, error);
        }
    }
    out.push(b'}');
}

/// The paged answer (see [`PreviewOutput::to_json_page`]): a plan's answer with the rows from
/// `offset` (at most `limit`) and a `page` object after the plan; any other answer as it is.
pub(crate) fn write_output_page(out: &mut Vec<u8>, o: &PreviewOutput, offset: usize, limit: usize) {
    let PreviewOutput::Plan { ok, plan } = o else {
        return write_output(out, o);
    };
    let start = offset.min(plan.rows.len());
    let end = start.saturating_add(limit).min(plan.rows.len());
    out.extend_from_slice(b"{\"ok\":");
    write_bool(out, *ok);
    out.extend_from_slice(b",\"plan\":");
    write_plan_rows(out, plan, &plan.rows[start..end]);
    out.extend_from_slice(b",\"page\":{\"offset\":");
    write_usize(out, start);
    out.extend_from_slice(b",\"limit\":");
    write_usize(out, limit);
    out.extend_from_slice(b",\"warned\":");
    write_usize(
        out,
        plan.rows.iter().filter(|r| !r.warnings.is_empty()).count(),
    );
    out.extend_from_slice(b",\"errors\":");
    let errors = plan
        .rows
        .iter()
        .filter(|r| matches!(r.outcome, Outcome::Error { .. }));
    write_list(out, errors.take(limit), write_row);
    out.extend_from_slice(b"}}");
}

/// The request log's per-row outcomes: `[{index, action, reason | error + path | event_id,
/// record_id?, warnings?}]`, where `path` is `null` for an error at no path and `record_id` is the
/// stored record a written row touched (`record_ids[i]` for the i-th row, when given).
pub(crate) fn write_outcomes(out: &mut Vec<u8>, p: &Plan, record_ids: Option<&[Option<i64>]>) {
    write_list(out, p.rows.iter().enumerate(), |out, (i, r)| {
        write_row_head(out, r);
        match &r.outcome {
            Outcome::Skip { reason, .. } => {
                out.extend_from_slice(b",\"reason\":");
                write_str(out, reason);
            }
            Outcome::Error { error, path } => {
                out.extend_from_slice(b",\"error\":");
                write_str(out, error);
                out.extend_from_slice(b",\"path\":");
                match path {
                    Some(p) => write_str(out, p),
                    None => out.extend_from_slice(b"null"),
                }
            }
            Outcome::Duplicate { event_id } => {
                out.extend_from_slice(b",\"event_id\":");
                write_str(out, event_id);
            }
            _ => {}
        }
        if let Some(Some(id)) = record_ids.and_then(|ids| ids.get(i)) {
            out.extend_from_slice(b",\"record_id\":");
            write_i64(out, *id);
        }
        write_warnings(out, &r.warnings);
        out.push(b'}');
    });
}

fn write_i64(out: &mut Vec<u8>, n: i64) {
    if n < 0 {
        out.push(b'-');
    }
    write_u64(out, n.unsigned_abs());
}

fn write_warnings(out: &mut Vec<u8>, warnings: &[String]) {
    if warnings.is_empty() {
        return;
    }
    out.extend_from_slice(b",\"warnings\":");
    write_list(out, warnings, |out, w| write_str(out, w));
}

/// Everything written above is valid UTF-8: the input strings are, and the rest is ASCII.
pub(crate) fn into_string(out: Vec<u8>) -> String {
    String::from_utf8(out).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strings_escape_exactly_as_serde_json_escapes_them() {
        let mut every: String = (0u8..0x80).map(char::from).collect();
        every.push_str("é名🙂\u{7f}\u{2028}");
        let mut samples = vec![String::new(), every.clone()];
        // Each special byte at every position of strings of every length up to 24 (the short
        // strings checked bytewise or in two overlapping halves, longer ones in words with an
        // overlapping last word).
        let letters = "abcdefghijklmnopqrstuvwx";
        for special in ['"', '\\', '\n', '\u{1}', '\u{1f}', ' ', 'é'] {
            for len in 0..letters.len() {
                samples.push(letters[..len].to_string());
                for at in 0..=len {
                    let mut s = letters[..len].to_string();
                    s.insert(at, special);
                    samples.push(s);
                }
            }
        }
        for s in samples {
            let mut out = Vec::new();
            write_str(&mut out, &s);
            assert_eq!(
                String::from_utf8(out).unwrap(),
                serde_json::to_string(&s).unwrap(),
                "{s:?}"
            );
        }
    }

    #[test]
    fn values_write_exactly_as_serde_json_writes_them() {
        let v: Value = serde_json::from_str(
            r#"{"a": [1, -2, 3.5, 1e300, 18446744073709551615, -9223372036854775808, 0.1, -0.0, 1e-7, "x\u00e9\n", null, true, false, {}, []], "b": {"z": {"y": []}}}"#,
        )
        .unwrap();
        let mut out = Vec::new();
        write_value(&mut out, &v);
        assert_eq!(
            String::from_utf8(out).unwrap(),
            serde_json::to_string(&v).unwrap()
        );
    }
}
