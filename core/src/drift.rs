//! Schema drift (docs/design.md §13): the shape of the rows a connection has accepted (its baseline), the
//! shape of one request's rows, and what differs between the two:
//!
//! - a field the mapping reads is absent or blank in rows where the baseline had it;
//! - a top-level field the baseline never had appears, or one it always had vanishes;
//! - a field changes JSON type (number → string).
//!
//! Pure like the rest of the core: the host keeps the state, this module only counts and compares.
//! A request's shape is one pass over its rows (a map lookup per top-level key and per mapped
//! field), and comparing two shapes touches each distinct field once, not each row.

use crate::mapping::{Compiled, Keys, TypeSource};
use crate::node::{Entries, Node};
use crate::path::Path;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Rows the baseline (or the shape since a drift began) learns from; past this it stays as it is
/// until the user acknowledges, so that a connection in steady use costs no write per request.
pub const LEARN_ROWS: u64 = 1000;

/// A field the baseline sometimes had is reported blank only when a whole request without it
/// would be this unlikely under the baseline's fill rate.
const UNLIKELY: f64 = 0.001;

const TYPES: [&str; 6] = ["null", "boolean", "number", "string", "array", "object"];

fn type_index(v: &Node) -> usize {
    match v {
        Node::Null => 0,
        Node::Bool(_) => 1,
        Node::Number(_) => 2,
        Node::String(_) => 3,
        Node::Array(_) => 4,
        Node::Object(_) => 5,
    }
}

fn blank(v: &Node) -> bool {
    match v {
        Node::Null => true,
        Node::String(s) => s.trim().is_empty(),
        _ => false,
    }
}

/// How one field looked across some rows.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldStats {
    /// Rows in which the field is there (whatever its value, null included).
    pub present: u64,
    /// Rows in which it holds something other than null or a blank string.
    pub filled: u64,
    /// Rows per JSON type, null included.
    #[serde(with = "type_counts")]
    pub types: [u64; 6],
}

impl FieldStats {
    fn add(&mut self, v: &Node) {
        self.present += 1;
        self.filled += u64::from(!blank(v));
        self.types[type_index(v)] += 1;
    }

    fn merge(&mut self, o: &FieldStats) {
        self.present += o.present;
        self.filled += o.filled;
        for (a, b) in self.types.iter_mut().zip(o.types) {
            *a += b;
        }
    }

    /// The types other than null seen, as a bit set.
    fn type_bits(&self) -> u8 {
        self.types
            .iter()
            .enumerate()
            .skip(1)
            .filter(|(_, n)| **n > 0)
            .fold(0u8, |acc, (i, _)| acc | (1 << i))
    }
}

fn type_names(bits: u8) -> String {
    let names: Vec<&str> = (1..TYPES.len())
        .filter(|i| bits & (1 << i) != 0)
        .map(|i| TYPES[i])
        .collect();
    names.join(" or ")
}

mod type_counts {
    use super::TYPES;
    use serde::{Deserialize, Deserializer, Serialize, Serializer};
    use std::collections::BTreeMap;

    pub fn serialize<S: Serializer>(t: &[u64; 6], s: S) -> Result<S::Ok, S::Error> {
        let m: BTreeMap<&str, u64> = TYPES
            .iter()
            .zip(t)
            .filter(|(_, n)| **n > 0)
            .map(|(k, n)| (*k, *n))
            .collect();
        m.serialize(s)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<[u64; 6], D::Error> {
        let m = BTreeMap::<String, u64>::deserialize(d)?;
        let mut out = [0u64; 6];
        for (k, n) in m {
            match TYPES.iter().position(|t| *t == k) {
                Some(i) => out[i] = n,
                None => return Err(serde::de::Error::custom(format!("unknown JSON type {k:?}"))),
            }
        }
        Ok(out)
    }
}

/// The fields, types and fill rates of some rows.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Shape {
    pub rows: u64,
    /// The rows' top-level keys, as they are written.
    pub fields: BTreeMap<String, FieldStats>,
    /// The fields the mapping reads, by path (canonical syntax); absent rows count as unfilled.
    pub mapped: BTreeMap<String, FieldStats>,
}

/// The fields a mapping reads from each row: its keys, its account link, its event fields and the
/// properties it includes by name. Properties taken from the whole row are not "read" one by
/// one; a change to them shows as a field that appears or vanishes.
pub fn mapped_paths(m: &Compiled) -> Vec<Path> {
    let mut out: Vec<Path> = Vec::new();
    let mut push = |p: &Option<Path>| {
        if let Some(p) = p {
            if !p.is_root() && !out.contains(p) {
                out.push(p.clone());
            }
        }
    };
    match &m.keys {
        Keys::Standard { id, second } => {
            push(id);
            push(second);
        }
        Keys::Custom { path, .. } => push(&Some(path.clone())),
        Keys::None => {}
    }
    if let Some((id, name)) = &m.account {
        push(id);
        push(name);
    }
    if let Some(e) = &m.event {
        if let TypeSource::Path(p) = &e.event_type {
            push(&Some(p.clone()));
        }
        push(&e.account_id);
        push(&e.contact_id);
        push(&e.timestamp);
        push(&e.id);
    }
    for k in m.properties.include.iter().flatten() {
        push(&Some(m.properties.path.child_key(k)));
    }
    out
}

impl Shape {
    /// The shape of a request's rows (those at the mapping's wrapper path that are objects),
    /// removals left out: a deleted row carries only its key, and counting it would flag every
    /// other field as gone (and, on the next write, as new again). A body without rows there
    /// has an empty shape: it is refused or answered elsewhere.
    pub fn of_body(body: &Node, m: &Compiled) -> Shape {
        let paths = mapped_paths(m);
        let mut shape = Shape::default();
        let Ok(slots) = crate::payload::node_rows(body, &m.wrapper, usize::MAX) else {
            return shape;
        };
        let envelope_op = m.operation.as_ref().and_then(|p| body.get(p));
        let mut mapped: Vec<FieldStats> = vec![FieldStats::default(); paths.len()];
        for row in slots
            .iter()
            .filter_map(|s| s.as_ref().ok())
            .filter(|row| !crate::planner::is_removal(row, m, envelope_op))
        {
            shape.add_row(row);
            for (p, stats) in paths.iter().zip(mapped.iter_mut()) {
                if let Some(v) = crate::node::get_in(row, p) {
                    stats.add(v);
                }
            }
        }
        shape.mapped = paths.iter().map(Path::to_string).zip(mapped).collect();
        shape
    }

    fn add_row(&mut self, row: &Entries) {
        self.rows += 1;
        for (k, v) in row {
            match self.fields.get_mut(&**k) {
                Some(s) => s.add(v),
                None => {
                    let mut s = FieldStats::default();
                    s.add(v);
                    self.fields.insert(k.to_string(), s);
                }
            }
        }
    }

    pub fn merge(&mut self, o: &Shape) {
        self.rows += o.rows;
        for (k, s) in &o.fields {
            self.fields.entry(k.clone()).or_default().merge(s);
        }
        for (k, s) in &o.mapped {
            self.mapped.entry(k.clone()).or_default().merge(s);
        }
    }
}

/// The three kinds of drift of DESIGN §13 (the second in its two directions).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum DriftKind {
    /// A field the mapping reads is absent or blank where the baseline had it.
    MappedFieldBlank,
    /// A top-level field the baseline never had.
    FieldAdded,
    /// A top-level field the baseline always had is gone.
    FieldRemoved,
    /// A field holds a JSON type the baseline never saw there.
    TypeChanged,
}

impl DriftKind {
    pub fn as_str(self) -> &'static str {
        match self {
            DriftKind::MappedFieldBlank => "mapped_field_blank",
            DriftKind::FieldAdded => "field_added",
            DriftKind::FieldRemoved => "field_removed",
            DriftKind::TypeChanged => "type_changed",
        }
    }

    pub fn parse(s: &str) -> Option<DriftKind> {
        [
            DriftKind::MappedFieldBlank,
            DriftKind::FieldAdded,
            DriftKind::FieldRemoved,
            DriftKind::TypeChanged,
        ]
        .into_iter()
        .find(|k| k.as_str() == s)
    }
}

/// One difference between a request and the baseline.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Drift {
    pub kind: DriftKind,
    /// The field, in path syntax (`first_name`, `traits.email`, `["first.name"]`).
    pub field: String,
    /// Rows of this request that show it.
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub rows: u64,
    /// What the baseline had, in words (`filled in 100% of 40 rows`, `number`).
    pub expected: String,
    /// What this request has (`blank in 3 of 3 rows`, `string`).
    pub found: String,
    /// One sentence a sender or a user can act on.
    pub message: String,
}

fn percent(n: u64, of: u64) -> String {
    if of == 0 {
        return "0%".into();
    }
    let p = n as f64 * 100.0 / of as f64;
    if p > 99.0 && n < of {
        format!("{p:.1}%")
    } else {
        format!("{}%", p.round() as u64)
    }
}

fn n_rows(n: u64) -> String {
    if n == 1 {
        "1 row".into()
    } else {
        format!("{n} rows")
    }
}

fn label(key: &str) -> String {
    Path::root().child_key(key).to_string()
}

/// What differs between a request's rows and the baseline, ordered by kind then field. Nothing
/// when either has no rows: a first request is the baseline, not a drift.
pub fn compare(baseline: &Shape, request: &Shape) -> Vec<Drift> {
    let mut out: Found = BTreeMap::new();
    if baseline.rows == 0 || request.rows == 0 {
        return Vec::new();
    }
    let (b_rows, r_rows) = (baseline.rows, request.rows);

    for (path, b) in &baseline.mapped {
        if b.filled == 0 {
            continue;
        }
        let filled = request.mapped.get(path).map_or(0, |s| s.filled);
        let missing = r_rows - filled.min(r_rows);
        if missing == 0 {
            continue;
        }
        let always = b.filled >= b_rows;
        let p = b.filled as f64 / b_rows as f64;
        let unlikely = filled == 0 && (1.0 - p).powf(r_rows as f64) < UNLIKELY;
        if always || unlikely {
            let expected = format!(
                "filled in {} of {}",
                percent(b.filled, b_rows),
                n_rows(b_rows)
            );
            let found = format!("missing or blank in {missing} of {}", n_rows(r_rows));
            add(
                &mut out,
                Drift {
                    kind: DriftKind::MappedFieldBlank,
                    field: path.clone(),
                    rows: missing,
                    message: format!(
                        "`{path}`, which the mapping reads, is {found}; before, it was {expected}"
                    ),
                    expected,
                    found,
                },
            );
        }
    }

    for (key, r) in &request.fields {
        match baseline.fields.get(key) {
            None => {
                let field = label(key);
                add(
                    &mut out,
                    Drift {
                        kind: DriftKind::FieldAdded,
                        message: format!(
                            "`{field}` is new: {} of {} {} it, and no row before did",
                            r.present,
                            n_rows(r_rows),
                            if r.present == 1 { "has" } else { "have" }
                        ),
                        field,
                        rows: r.present,
                        expected: "absent".into(),
                        found: format!("in {} of {}", r.present, n_rows(r_rows)),
                    },
                );
            }
            Some(b) => type_change(&label(key), b, r, &mut out),
        }
    }
    for (path, r) in &request.mapped {
        if let Some(b) = baseline.mapped.get(path) {
            type_change(path, b, r, &mut out);
        }
    }

    for (key, b) in &baseline.fields {
        if b.present < b_rows {
            continue;
        }
        let present = request.fields.get(key).map_or(0, |s| s.present);
        if present >= r_rows {
            continue;
        }
        let field = label(key);
        // A mapped field that went missing is already reported as such, with its consequence.
        if out.contains_key(&(DriftKind::MappedFieldBlank, field.clone())) {
            continue;
        }
        let gone = r_rows - present;
        add(
            &mut out,
            Drift {
                kind: DriftKind::FieldRemoved,
                message: format!(
                    "`{field}` is gone from {gone} of {}; every row before had it ({})",
                    n_rows(r_rows),
                    n_rows(b_rows)
                ),
                field,
                rows: gone,
                expected: format!("in every row ({})", n_rows(b_rows)),
                found: format!("absent from {gone} of {}", n_rows(r_rows)),
            },
        );
    }
    out.into_values().collect()
}

type Found = BTreeMap<(DriftKind, String), Drift>;

fn add(out: &mut Found, d: Drift) {
    out.entry((d.kind, d.field.clone())).or_insert(d);
}

fn type_change(field: &str, b: &FieldStats, r: &FieldStats, out: &mut Found) {
    let (before, now) = (b.type_bits(), r.type_bits());
    let new = now & !before;
    if before == 0 || new == 0 {
        return;
    }
    let rows: u64 = (1..TYPES.len())
        .filter(|i| new & (1 << i) != 0)
        .map(|i| r.types[i])
        .sum();
    let (expected, found) = (type_names(before), type_names(new));
    add(
        out,
        Drift {
            kind: DriftKind::TypeChanged,
            field: field.to_string(),
            rows,
            message: format!(
                "`{field}` is a {found} in {}; before, it was always a {expected}",
                n_rows(rows)
            ),
            expected,
            found,
        },
    );
}

/// A connection's drift state between requests: the baseline, and the shape of what it has
/// received since a drift began (which acknowledging makes the new baseline).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DriftState {
    pub baseline: Shape,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub current: Option<Shape>,
}

/// What one request did to the state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Observed {
    pub drift: Vec<Drift>,
    /// The state changed and should be kept.
    pub changed: bool,
}

impl DriftState {
    /// Compares a request with the baseline and learns from it. `accepted` says whether its rows
    /// are written: only accepted requests without drift teach the baseline; every request that
    /// drifts (written or refused) and every one after it, until acknowledged, shapes `current`.
    pub fn observe(&mut self, request: &Shape, accepted: bool) -> Observed {
        let drift = compare(&self.baseline, request);
        if request.rows == 0 {
            return Observed {
                drift,
                changed: false,
            };
        }
        let mut changed = false;
        if drift.is_empty() && self.current.is_none() {
            if accepted && self.baseline.rows < LEARN_ROWS {
                self.baseline.merge(request);
                changed = true;
            }
        } else if accepted || !drift.is_empty() {
            let cur = self.current.get_or_insert_with(Shape::default);
            if cur.rows < LEARN_ROWS {
                cur.merge(request);
                changed = true;
            }
        }
        Observed { drift, changed }
    }

    /// The user has seen the drift: what the connection receives now becomes the baseline.
    pub fn acknowledge(&mut self) {
        if let Some(cur) = self.current.take() {
            self.baseline = cur;
        }
    }

    /// Drift reported but not yet acknowledged.
    pub fn pending(&self) -> bool {
        self.current.is_some()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mapping::Mapping;
    use serde_json::{json, Value};

    fn contacts() -> Compiled {
        Mapping::from_value(&json!({
            "version": 1, "kind": "contacts", "wrapper_path": "data",
            "match": {"id": "user_id", "email": "email"},
            "properties": {"exclude": ["op"]}
        }))
        .unwrap()
        .compile()
        .unwrap()
    }

    fn shape(rows: Value) -> Shape {
        Shape::of_body(&Node::from_value(&json!({ "data": rows })), &contacts())
    }

    fn rows(n: usize, f: impl Fn(usize) -> Value) -> Value {
        Value::Array((0..n).map(f).collect())
    }

    /// Census's envelope: the operation beside the rows, a removal carrying only its ID.
    #[test]
    fn removed_rows_are_not_a_shape() {
        let m = Mapping::from_value(&json!({
            "version": 1, "kind": "contacts", "wrapper_path": "data",
            "operation_path": "operation", "on_removed": "delete",
            "match": {"id": "unique_id", "email": "email"}
        }))
        .unwrap()
        .compile()
        .unwrap();
        let body = |op: &str, rows: Value| {
            Shape::of_body(
                &Node::from_value(&json!({"operation": op, "data": rows})),
                &m,
            )
        };
        let written = body(
            "changed",
            rows(
                20,
                |i| json!({"unique_id": i, "email": format!("u{i}@x.com"), "company": "A"}),
            ),
        );
        let deleted = body("deleted", rows(5, |i| json!({"unique_id": i})));
        assert_eq!(deleted.rows, 0);
        assert!(compare(&written, &deleted).is_empty());
        // A row's own operation counts as well as the envelope's, in any case.
        let mixed = body(
            "changed",
            json!([{"unique_id": 1, "operation": " Removed "},
                   {"unique_id": 2, "email": "b@x.com", "company": "B"}]),
        );
        assert_eq!(mixed.rows, 1);
        assert!(compare(&written, &mixed).is_empty());
        // Without the rule the removal would have been "email and company gone".
        let as_rows = body("changed", rows(5, |i| json!({"unique_id": i})));
        assert!(!compare(&written, &as_rows).is_empty());
    }

    fn kinds(d: &[Drift]) -> Vec<(DriftKind, &str, u64)> {
        d.iter()
            .map(|d| (d.kind, d.field.as_str(), d.rows))
            .collect()
    }

    fn usual(i: usize) -> Value {
        json!({"user_id": i, "email": format!("u{i}@example.com"), "first_name": "Ann", "plan": null})
    }

    /// `usual(i)`, changed by `edit` in the rows `pick` chooses.
    fn usual_but(
        pick: impl Fn(usize) -> bool,
        edit: impl Fn(&mut Value),
    ) -> impl Fn(usize) -> Value {
        move |i| {
            let mut r = usual(i);
            if pick(i) {
                edit(&mut r);
            }
            r
        }
    }

    #[test]
    fn drift_kinds_read_back_from_their_names_and_nothing_else() {
        // How a store reads an acknowledged drift back.
        for k in [
            DriftKind::MappedFieldBlank,
            DriftKind::FieldAdded,
            DriftKind::FieldRemoved,
            DriftKind::TypeChanged,
        ] {
            assert_eq!(DriftKind::parse(k.as_str()), Some(k));
            assert_eq!(serde_json::to_value(k).unwrap(), json!(k.as_str()));
        }
        assert_eq!(DriftKind::parse("field_renamed"), None);
        assert_eq!(DriftKind::parse(""), None);
    }

    #[test]
    fn fill_rates_round_but_never_to_100_percent_when_a_row_is_missing() {
        assert_eq!(percent(200, 200), "100%");
        assert_eq!(percent(199, 200), "99.5%");
        assert_eq!(percent(999, 1000), "99.9%");
        assert_eq!(percent(99, 100), "99%");
        assert_eq!(percent(1, 3), "33%");
        assert_eq!(percent(0, 0), "0%");
    }

    #[test]
    fn a_field_the_mapping_reads_twice_is_counted_once() {
        // The row's ID is also its account's ID: one mapped field, not two.
        let m = Mapping::from_value(&json!({
            "version": 1, "kind": "contacts", "match": {"id": "id", "email": "email"},
            "account": {"id": "id", "name": "company"}
        }))
        .unwrap()
        .compile()
        .unwrap();
        let paths: Vec<String> = mapped_paths(&m).iter().map(|p| p.to_string()).collect();
        assert_eq!(paths, ["id", "email", "company"]);
    }

    #[test]
    fn merged_shapes_add_up_their_rows() {
        let mut a = shape(rows(3, usual));
        let b = shape(rows(
            2,
            |i| json!({"user_id": i, "email": null, "plan": "pro"}),
        ));
        a.merge(&b);
        assert_eq!(
            a,
            shape(rows(5, |i| if i < 3 {
                usual(i)
            } else {
                json!({"user_id": i - 3, "email": null, "plan": "pro"})
            }))
        );
        let email = &a.fields["email"];
        assert_eq!((email.present, email.filled), (5, 3));
    }

    #[test]
    fn the_same_shape_is_no_drift() {
        let base = shape(rows(20, usual));
        assert!(compare(&base, &shape(rows(3, usual))).is_empty());
        assert!(compare(&Shape::default(), &shape(rows(3, usual))).is_empty());
    }

    #[test]
    fn a_renamed_column_is_one_field_gone_and_one_new() {
        let base = shape(rows(20, usual));
        let renamed = shape(rows(
            4,
            |i| json!({"user_id": i, "email": format!("u{i}@example.com"), "firstName": "Ann", "plan": null}),
        ));
        let d = compare(&base, &renamed);
        assert_eq!(
            kinds(&d),
            [
                (DriftKind::FieldAdded, "firstName", 4),
                (DriftKind::FieldRemoved, "first_name", 4)
            ]
        );
        assert!(
            d[1].message.contains("every row before had it (20 rows)"),
            "{}",
            d[1].message
        );
    }

    #[test]
    fn a_mapped_field_turning_blank_is_reported_once() {
        let base = shape(rows(20, usual));
        let blank = shape(rows(
            5,
            |i| json!({"user_id": i, "email": if i < 2 { json!("  ") } else { json!(null) }, "first_name": "Ann", "plan": null}),
        ));
        let d = compare(&base, &blank);
        assert_eq!(kinds(&d), [(DriftKind::MappedFieldBlank, "email", 5)]);
        assert_eq!(d[0].expected, "filled in 100% of 20 rows");
        // Gone entirely: still the mapped-field drift, not a second "removed" for the same field.
        let gone = shape(rows(
            2,
            |i| json!({"user_id": i, "first_name": "A", "plan": null}),
        ));
        assert_eq!(
            kinds(&compare(&base, &gone)),
            [(DriftKind::MappedFieldBlank, "email", 2)]
        );
    }

    #[test]
    fn a_field_that_was_often_blank_is_reported_only_when_a_request_without_it_is_unlikely() {
        // Email filled in half of the baseline's rows.
        let base = shape(rows(
            20,
            |i| json!({"user_id": i, "email": if i % 2 == 0 { json!("a@b.c") } else { json!(null) }}),
        ));
        let none = |n| shape(rows(n, |i| json!({"user_id": i, "email": null})));
        assert!(compare(&base, &none(1)).is_empty());
        assert!(compare(&base, &none(5)).is_empty());
        assert_eq!(
            kinds(&compare(&base, &none(10))),
            [(DriftKind::MappedFieldBlank, "email", 10)]
        );
    }

    #[test]
    fn a_number_turning_into_a_string_is_a_type_change_and_null_is_not() {
        let base = shape(rows(20, usual));
        let strings = shape(rows(
            3,
            |i| json!({"user_id": format!("{i}"), "email": "a@b.c", "first_name": "Ann", "plan": "pro"}),
        ));
        let d = compare(&base, &strings);
        assert_eq!(kinds(&d), [(DriftKind::TypeChanged, "user_id", 3)]);
        assert_eq!(
            (d[0].expected.as_str(), d[0].found.as_str()),
            ("number", "string")
        );
        // `plan` was only ever null: a value there is not a change of type.
    }

    #[test]
    fn awkward_keys_are_named_in_path_syntax() {
        let base = shape(rows(2, usual));
        let d = compare(
            &base,
            &shape(rows(1, |i| {
                let mut r = usual(i);
                r["first.name"] = json!("x");
                r
            })),
        );
        assert_eq!(kinds(&d), [(DriftKind::FieldAdded, "[\"first.name\"]", 1)]);
    }

    #[test]
    fn nested_mapped_fields_are_followed() {
        let m = Mapping::from_value(&json!({
            "version": 1, "kind": "contacts",
            "match": {"email": "traits.email"}, "account": {"name": "company.name"}
        }))
        .unwrap()
        .compile()
        .unwrap();
        let row = |email: Value| json!({"traits": {"email": email}, "company": {"name": "Acme"}});
        let base = Shape::of_body(
            &Node::from_value(&json!([row(json!("a@b.c")), row(json!("d@e.f"))])),
            &m,
        );
        assert_eq!(base.mapped["traits.email"].filled, 2);
        let now = Shape::of_body(&Node::from_value(&json!([row(json!(7))])), &m);
        assert_eq!(
            kinds(&compare(&base, &now)),
            [(DriftKind::TypeChanged, "traits.email", 1)]
        );
    }

    #[test]
    fn the_state_learns_from_clean_requests_and_acknowledging_adopts_the_new_shape() {
        let mut s = DriftState::default();
        let first = s.observe(&shape(rows(3, usual)), true);
        assert!(first.drift.is_empty() && first.changed);
        assert_eq!(s.baseline.rows, 3);
        // A refused clean request teaches nothing.
        assert!(!s.observe(&shape(rows(3, usual)), false).changed);
        let renamed = shape(rows(
            2,
            |i| json!({"user_id": i, "email": "a@b.c", "firstName": "A", "plan": null}),
        ));
        let o = s.observe(&renamed, true);
        assert_eq!(o.drift.len(), 2);
        assert!(s.pending());
        // Still drifting next time: the baseline did not absorb it.
        assert_eq!(s.observe(&renamed, false).drift.len(), 2);
        assert_eq!(s.baseline.rows, 3);
        s.acknowledge();
        assert!(!s.pending());
        assert!(s.observe(&renamed, true).drift.is_empty());
    }

    #[test]
    fn a_drifting_shape_is_learned_as_current_from_every_request_until_the_limit() {
        let mut s = DriftState::default();
        s.observe(&shape(rows(20, usual)), true);
        let renamed = |n| {
            shape(rows(
                n,
                |i| json!({"user_id": i, "email": "a@b.c", "firstName": "A", "plan": null}),
            ))
        };
        // Refused because it drifts: still what the connection now receives.
        let o = s.observe(&renamed(3), false);
        assert!(!o.drift.is_empty() && o.changed);
        assert_eq!(s.current.as_ref().map(|c| c.rows), Some(3));
        // Written (warn): learned too; a refused request without drift is not.
        assert!(s.observe(&renamed(2), true).changed);
        assert!(!s.observe(&shape(rows(4, usual)), false).changed);
        assert_eq!(s.current.as_ref().map(|c| c.rows), Some(5));
        // Up to the limit, then no more.
        assert!(s.observe(&renamed(LEARN_ROWS as usize - 6), true).changed);
        assert!(s.observe(&renamed(1), true).changed);
        assert!(!s.observe(&renamed(1), true).changed);
        assert_eq!(s.current.as_ref().map(|c| c.rows), Some(LEARN_ROWS));
        assert_eq!(s.baseline.rows, 20);
    }

    #[test]
    fn a_field_gone_from_some_rows_counts_them_and_a_sometimes_field_is_never_gone() {
        let base = shape(rows(
            20,
            usual_but(|i| i % 2 == 0, |r| r["nickname"] = json!("n")),
        ));
        // `first_name` was in every row; now in 1 of 3. `nickname` was in half: not "gone".
        let now = shape(rows(
            3,
            usual_but(
                |i| i > 0,
                |r| {
                    r.as_object_mut().unwrap().remove("first_name");
                },
            ),
        ));
        let d = compare(&base, &now);
        assert_eq!(kinds(&d), [(DriftKind::FieldRemoved, "first_name", 2)]);
        assert!(
            d[0].message.contains("gone from 2 of 3 rows"),
            "{}",
            d[0].message
        );
    }

    #[test]
    fn a_type_change_names_only_the_new_type() {
        let base = shape(rows(20, usual));
        // One row of three now sends its ID as text: that row, not the two that still send numbers.
        let now = shape(rows(
            3,
            usual_but(|i| i == 0, |r| r["user_id"] = json!("u0")),
        ));
        let d = compare(&base, &now);
        assert_eq!(kinds(&d), [(DriftKind::TypeChanged, "user_id", 1)]);
        assert_eq!(
            (d[0].expected.as_str(), d[0].found.as_str()),
            ("number", "string")
        );
    }

    #[test]
    fn learning_stops_at_the_limit() {
        let mut s = DriftState::default();
        let big = shape(rows(LEARN_ROWS as usize, usual));
        assert!(s.observe(&big, true).changed);
        assert!(!s.observe(&shape(rows(1, usual)), true).changed);
        assert_eq!(s.baseline.rows, LEARN_ROWS);
    }

    #[test]
    fn the_state_round_trips_through_json() {
        let mut s = DriftState::default();
        s.observe(&shape(rows(3, usual)), true);
        let text = serde_json::to_string(&s).unwrap();
        assert!(text.contains(r#""types":{"number":3}"#), "{text}");
        assert_eq!(serde_json::from_str::<DriftState>(&text).unwrap(), s);
    }
}
