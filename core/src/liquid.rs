//! The Hightouch body template for a mapping: the Liquid that a Hightouch HTTP Request destination
//! needs so that its requests have exactly the shape this mapping reads (docs/design.md §9, the playground).
//!
//! Every field the mapping reads becomes a JSON key filled with `{{ row.<column> | json }}`, nested
//! as the path says (`company.name` → `{"company": {"name": …}}`), under the data wrapper path. The
//! batch body loops `{% for row in rows %}`. The `json` filter writes strings quoted and escaped and
//! numbers, booleans and nulls as they are, so any value makes valid JSON. The column names are a
//! guess from the path (`company.name` → `company_name`): the user renames them to their model's.

use crate::mapping::{Compiled, Keys, Mapping, MappingError, TypeSource};
use crate::path::{Path, Segment};
use serde::Serialize;

/// What the template reads from a row, for the UI's column list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(optional_fields))]
pub struct Column {
    /// Where the mapping reads it, relative to a row (`company.name`).
    pub path: String,
    /// The Hightouch column the template fills it from (`company_name`).
    pub column: String,
    /// What the mapping uses it for (`match.id`, `account.name`, `property`, …).
    pub used_for: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(optional_fields))]
pub struct Template {
    /// One row per request.
    pub single: String,
    /// Hightouch batching: every row of the batch in one request.
    pub batch: String,
    pub columns: Vec<Column>,
    /// Things the user should know when pasting the template (operation values, extra columns).
    pub notes: Vec<String>,
}

/// The operation value a template sends; the user sends the other values from the other triggers.
pub const OPERATION_ADDED: &str = "added";

#[derive(Debug, Clone, PartialEq)]
enum Node {
    Object(Vec<(String, Node)>),
    Array(Vec<Node>),
    /// Raw Liquid output, e.g. `{{ row.email | json }}` or `"added"`.
    Raw(String),
    Null,
    /// The batch loop over `rows`, each element rendered as the inner node.
    Rows(Box<Node>),
}

impl Node {
    /// Places `leaf` at `segments`, creating objects and arrays on the way. A path that runs into a
    /// value placed before (e.g. `company` and then `company.name`) is refused: first one wins.
    fn insert(&mut self, segments: &[Segment], leaf: Node) -> bool {
        let Some((first, rest)) = segments.split_first() else {
            return false;
        };
        let slot: &mut Node = match (first, &mut *self) {
            (Segment::Key(k), Node::Object(entries)) => {
                let i = match entries.iter().position(|(key, _)| key == k) {
                    Some(i) => i,
                    None => {
                        entries.push((k.clone(), Node::Null));
                        entries.len() - 1
                    }
                };
                &mut entries[i].1
            }
            (Segment::Index(i), Node::Array(items)) => {
                if items.len() <= *i {
                    items.resize(*i + 1, Node::Null);
                }
                &mut items[*i]
            }
            _ => return false,
        };
        if rest.is_empty() {
            if *slot != Node::Null {
                return false;
            }
            *slot = leaf;
            return true;
        }
        if *slot == Node::Null {
            *slot = match rest[0] {
                Segment::Key(_) => Node::Object(Vec::new()),
                Segment::Index(_) => Node::Array(Vec::new()),
            };
        }
        let ok = slot.insert(rest, leaf);
        if !ok && slot.is_empty_container() {
            *slot = Node::Null;
        }
        ok
    }

    fn is_empty_container(&self) -> bool {
        matches!(self, Node::Object(e) if e.is_empty())
            || matches!(self, Node::Array(a) if a.is_empty())
    }

    fn render(&self, indent: usize, out: &mut String) {
        let pad = |n: usize| "  ".repeat(n);
        match self {
            Node::Raw(s) => out.push_str(s),
            Node::Null => out.push_str("null"),
            Node::Object(entries) if entries.is_empty() => out.push_str("{}"),
            Node::Object(entries) => {
                out.push_str("{\n");
                for (i, (k, v)) in entries.iter().enumerate() {
                    out.push_str(&pad(indent + 1));
                    out.push_str(&serde_json::Value::String(k.clone()).to_string());
                    out.push_str(": ");
                    v.render(indent + 1, out);
                    if i + 1 < entries.len() {
                        out.push(',');
                    }
                    out.push('\n');
                }
                out.push_str(&pad(indent));
                out.push('}');
            }
            Node::Array(items) => {
                out.push('[');
                for (i, v) in items.iter().enumerate() {
                    if i > 0 {
                        out.push_str(", ");
                    }
                    v.render(indent, out);
                }
                out.push(']');
            }
            Node::Rows(row) => {
                out.push_str("[\n");
                out.push_str(&pad(indent + 1));
                out.push_str("{% for row in rows %}\n");
                out.push_str(&pad(indent + 1));
                row.render(indent + 1, out);
                out.push_str("{% unless forloop.last %},{% endunless %}\n");
                out.push_str(&pad(indent + 1));
                out.push_str("{% endfor %}\n");
                out.push_str(&pad(indent));
                out.push(']');
            }
        }
    }
}

/// `company.name` → `company_name`, `items[0].sku` → `items_0_sku`, `traits["first name"]` →
/// `traits_first_name`; a single plain key stays as it is (`userId`).
pub fn column_name(path: &Path) -> String {
    let parts: Vec<String> = path
        .segments()
        .iter()
        .map(|s| match s {
            Segment::Key(k) => k.clone(),
            Segment::Index(i) => i.to_string(),
        })
        .collect();
    let joined = parts.join("_");
    let mut out = String::with_capacity(joined.len());
    for c in joined.chars() {
        if c.is_ascii_alphanumeric() || c == '_' {
            out.push(c);
        } else if !out.ends_with('_') {
            out.push('_');
        }
    }
    let trimmed = out.trim_matches('_');
    if trimmed.is_empty() {
        "column".to_string()
    } else {
        trimmed.to_string()
    }
}

/// The Liquid expression that reads a column of `row`.
fn row_expr(column: &str) -> String {
    let plain = column
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && column
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_');
    if plain {
        format!("{{{{ row.{column} | json }}}}")
    } else {
        format!("{{{{ row[\"{column}\"] | json }}}}")
    }
}

/// What a compiled mapping reads from each row, in the order a reader expects (keys first).
fn mapped_fields(c: &Compiled) -> Vec<(Path, String)> {
    let mut out: Vec<(Path, String)> = Vec::new();
    match &c.keys {
        Keys::Standard { id, second } => {
            let second_name = if c.kind == crate::mapping::Kind::Accounts {
                "match.name"
            } else {
                "match.email"
            };
            out.extend(id.clone().map(|p| (p, "match.id".to_string())));
            out.extend(second.clone().map(|p| (p, second_name.to_string())));
        }
        Keys::Custom { path, property } => {
            out.push((path.clone(), format!("match.custom ({property})")))
        }
        Keys::None => {}
    }
    if let Some((id, name)) = &c.account {
        out.extend(id.clone().map(|p| (p, "account.id".to_string())));
        out.extend(name.clone().map(|p| (p, "account.name".to_string())));
    }
    if let Some(e) = &c.event {
        if let TypeSource::Path(p) = &e.event_type {
            out.push((p.clone(), "event.type".to_string()));
        }
        out.extend(
            e.contact_id
                .clone()
                .map(|p| (p, "event.contact_id".to_string())),
        );
        out.extend(
            e.account_id
                .clone()
                .map(|p| (p, "event.account_id".to_string())),
        );
        out.extend(
            e.timestamp
                .clone()
                .map(|p| (p, "event.timestamp".to_string())),
        );
        out.extend(e.id.clone().map(|p| (p, "event.id".to_string())));
    }
    if let Some(include) = &c.properties.include {
        for k in include {
            out.push((c.properties.path.child_key(k), "property".to_string()));
        }
    }
    out
}

/// The templates for `mapping`. `extra` are more row fields to send as properties (paths relative to
/// a row, e.g. the payload's top-level keys); excluded or not-included keys are left out.
pub fn template(mapping: &Mapping, extra: &[String]) -> Result<Template, MappingError> {
    let c = mapping.compile()?;
    let mut fields = mapped_fields(&c);
    for e in extra {
        let Ok(mut p) = Path::parse(e) else { continue };
        // Properties are taken from `properties.path`; a field elsewhere is not a property. A
        // single key that is not under it is a key of it (the field picker lists them so).
        if strip_prefix(&p, &c.properties.path).is_none() {
            match p.segments() {
                [Segment::Key(k)] if !c.properties.path.is_root() => {
                    p = c.properties.path.child_key(k)
                }
                _ => continue,
            }
        }
        let Some(rel) = strip_prefix(&p, &c.properties.path) else {
            continue;
        };
        let Some(Segment::Key(top)) = rel.first() else {
            continue;
        };
        let top = top.clone();
        let top = &top;
        if c.properties.exclude.iter().any(|x| x == top) {
            continue;
        }
        if c.properties
            .include
            .as_ref()
            .is_some_and(|inc| !inc.iter().any(|x| x == top))
        {
            continue;
        }
        fields.push((p, "property".to_string()));
    }

    let mut row = Node::Object(Vec::new());
    let mut columns: Vec<Column> = Vec::new();
    let mut notes = Vec::new();
    for (path, used_for) in fields {
        if path.is_root() {
            continue;
        }
        let path_text = path.to_string();
        if let Some(col) = columns.iter_mut().find(|c| c.path == path_text) {
            if col.used_for == "property" && used_for != "property" {
                col.used_for = used_for;
            }
            continue;
        }
        let mut column = column_name(&path);
        let mut n = 2;
        while columns.iter().any(|c| c.column == column) {
            column = format!("{}_{n}", column_name(&path));
            n += 1;
        }
        if row.insert(path.segments(), Node::Raw(row_expr(&column))) {
            columns.push(Column {
                path: path_text,
                column,
                used_for,
            });
        } else {
            notes.push(format!(
                "`{path_text}` overlaps another field of the template and was left out."
            ));
        }
    }

    let op = c.operation.clone();
    let op_value = Node::Raw(format!("\"{OPERATION_ADDED}\""));
    let wrapper_segments = c.wrapper.segments();
    let build = |batch: bool| -> String {
        let mut row = row.clone();
        let mut body = if wrapper_segments.is_empty() {
            // The rows are the body: the operation (if any) rides on each row.
            if let Some(op) = &op {
                row.insert(op.segments(), op_value.clone());
            }
            if batch {
                Node::Rows(Box::new(row))
            } else {
                row
            }
        } else {
            let mut env = Node::Object(Vec::new());
            let rows = if batch {
                Node::Rows(Box::new(row))
            } else {
                row
            };
            if matches!(wrapper_segments[0], Segment::Index(_)) {
                env = Node::Array(Vec::new());
            }
            env.insert(wrapper_segments, rows);
            env
        };
        if !wrapper_segments.is_empty() {
            if let Some(op) = &op {
                // On the envelope, next to the rows: one trigger, one operation for the whole request.
                body.insert(op.segments(), op_value.clone());
            }
        }
        let mut out = String::new();
        body.render(0, &mut out);
        out.push('\n');
        out
    };
    let single = build(false);
    // Hightouch has failed loop templates (`| json` per field inside `{% for row in rows %}`) with
    // "Maximum call stack size exceeded" at large batches; one `rows | json` has no loop to blow.
    // It sends each row's columns as they are, so it fits only a mapping that reads them so.
    let as_is = columns_as_they_are(&c, &columns, &notes);
    let batch = if as_is {
        let rows = Node::Raw("{{ rows | json }}".to_string());
        let mut body = if wrapper_segments.is_empty() {
            rows
        } else {
            let mut env = Node::Object(Vec::new());
            env.insert(wrapper_segments, rows);
            env
        };
        if let (Some(op), false) = (&op, wrapper_segments.is_empty()) {
            body.insert(op.segments(), op_value.clone());
        }
        let mut out = String::new();
        body.render(0, &mut out);
        out.push('\n');
        out
    } else {
        build(true)
    };

    if let Some(op) = &c.operation {
        notes.push(format!(
            "`{op}` is set to \"added\": use this body for the Added rows trigger and send \"changed\" or \"removed\" from the other triggers."
        ));
    }
    if c.properties.include.is_none() {
        let of = if c.properties.path.is_root() {
            "a row".to_string()
        } else {
            format!("`{}`", c.properties.path)
        };
        notes.push(format!("Every key of {of} is stored as a property: add more columns the same way, `\"key\": {{{{ row.column | json }}}}`."));
    }
    if as_is {
        let names: Vec<String> = columns.iter().map(|c| format!("`{}`", c.column)).collect();
        notes.push(format!(
            "The batched body is one filter call, `{{{{ rows | json }}}}`: it sends every column of each row as it is, at any batch size (1,000 rows per request and more). Your model's columns must then be named as the mapping reads them ({}).",
            names.join(", ")
        ));
        notes.push(
            "Column names are guessed from the field paths: rename `row.…` in the one-row body to your model's columns."
                .to_string(),
        );
    } else {
        notes.push(
            "The batched body loops over the rows field by field: Hightouch has failed such templates with \"Maximum call stack size exceeded\" at large batches, so set the batch size to 100 rows per request or fewer. A mapping that reads each column as it is, at the top level of a row (no nested paths, no properties path), gets a one-filter batched body that works at any batch size."
                .to_string(),
        );
        notes.push(
            "Column names are guessed from the field paths: rename `row.…` to your model's columns."
                .to_string(),
        );
    }
    Ok(Template {
        single,
        batch,
        columns,
        notes,
    })
}

/// Whether `rows | json` yields what the mapping reads: every column is a top-level key of the row
/// named as the column, properties come from the row itself, the rows sit under plain keys (or are
/// the body), and an operation, if any, goes on the envelope rather than on each row.
fn columns_as_they_are(c: &Compiled, columns: &[Column], notes: &[String]) -> bool {
    let plain = |text: &str| {
        Path::parse(text).is_ok_and(
            |p| matches!(p.segments(), [Segment::Key(k)] if *k == text && column_name(&p) == *k),
        )
    };
    let wrapper = c.wrapper.segments();
    notes.is_empty()
        && !columns.is_empty()
        && columns
            .iter()
            .all(|col| plain(&col.path) && col.column == col.path)
        && c.properties.path.is_root()
        && wrapper.iter().all(|s| matches!(s, Segment::Key(_)))
        && (c.operation.is_none() || !wrapper.is_empty())
}

fn strip_prefix<'a>(p: &'a Path, prefix: &Path) -> Option<&'a [Segment]> {
    p.segments().strip_prefix(prefix.segments())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::directory::EmptyDirectory;
    use crate::preview::{preview_value, PreviewOutput};
    use serde_json::{json, Map, Value};

    /// A Liquid renderer for just what `template` writes: `{{ row.x | json }}`, `row["x"]` and one
    /// `{% for row in rows %}` loop with `{% unless forloop.last %},{% endunless %}`.
    fn render(tpl: &str, rows: &[Map<String, Value>]) -> String {
        let fill = |body: &str, row: &Map<String, Value>| -> String {
            let mut out = String::new();
            let mut rest = body;
            while let Some(i) = rest.find("{{ row") {
                out.push_str(&rest[..i]);
                let end = rest[i..].find("}}").unwrap() + i + 2;
                let expr = &rest[i + 6..end - 2];
                let col = expr.trim_end().strip_suffix("| json").unwrap().trim();
                let col = col
                    .strip_prefix('.')
                    .map(str::to_string)
                    .unwrap_or_else(|| {
                        col.trim_start_matches("[\"")
                            .trim_end_matches("\"]")
                            .to_string()
                    });
                out.push_str(&row.get(&col).cloned().unwrap_or(Value::Null).to_string());
                rest = &rest[end..];
            }
            out.push_str(rest);
            out
        };
        if tpl.contains("{{ rows | json }}") {
            let all = Value::Array(rows.iter().cloned().map(Value::Object).collect());
            return tpl.replace("{{ rows | json }}", &all.to_string());
        }
        match (tpl.find("{% for row in rows %}"), tpl.find("{% endfor %}")) {
            (Some(a), Some(b)) => {
                let inner = &tpl[a + "{% for row in rows %}".len()..b];
                let mut mid = String::new();
                for (i, r) in rows.iter().enumerate() {
                    let sep = if i + 1 < rows.len() { "," } else { "" };
                    mid.push_str(
                        &fill(inner, r).replace("{% unless forloop.last %},{% endunless %}", sep),
                    );
                }
                format!("{}{}{}", &tpl[..a], mid, &tpl[b + "{% endfor %}".len()..])
            }
            _ => fill(tpl, &rows[0]),
        }
    }

    fn row(v: Value) -> Map<String, Value> {
        v.as_object().unwrap().clone()
    }

    fn plan_of(m: &Mapping, body: &Value) -> Value {
        plan_against(m, body, &EmptyDirectory)
    }

    fn plan_against(m: &Mapping, body: &Value, dir: &dyn crate::directory::Directory) -> Value {
        let out = preview_value(body, m, dir);
        assert!(
            matches!(out, PreviewOutput::Plan { ok: true, .. }),
            "{out:?}"
        );
        serde_json::to_value(out).unwrap()
    }

    #[test]
    fn a_contact_mapping_nests_paths_and_reads_back_as_the_same_rows() {
        let m = Mapping::from_json(
            r#"{"version":1,"kind":"contacts","wrapper_path":"data","operation_path":"op",
            "match":{"id":"user_id","email":"traits.email"},"account":{"name":"company.name"}}"#,
        )
        .unwrap();
        let t = template(&m, &["plan".into()]).unwrap();
        assert!(
            t.single
                .contains("\"email\": {{ row.traits_email | json }}"),
            "{}",
            t.single
        );
        assert!(t.batch.contains("{% for row in rows %}"), "{}", t.batch);
        let cols: Vec<_> = t
            .columns
            .iter()
            .map(|c| (c.column.as_str(), c.used_for.as_str()))
            .collect();
        assert_eq!(
            cols,
            [
                ("user_id", "match.id"),
                ("traits_email", "match.email"),
                ("company_name", "account.name"),
                ("plan", "property")
            ]
        );
        let rows = [
            row(
                json!({"user_id": 7, "traits_email": "a@x.example", "company_name": "Acme \"A\"", "plan": "pro"}),
            ),
            row(
                json!({"user_id": "8", "traits_email": "b@x.example", "company_name": null, "plan": null}),
            ),
        ];
        let single: Value = serde_json::from_str(&render(&t.single, &rows[..1])).unwrap();
        assert_eq!(
            single,
            json!({"data": {"user_id": 7, "traits": {"email": "a@x.example"}, "company": {"name": "Acme \"A\""}, "plan": "pro"}, "op": "added"})
        );
        let batch: Value = serde_json::from_str(&render(&t.batch, &rows)).unwrap();
        assert_eq!(batch["data"].as_array().unwrap().len(), 2);
        assert_eq!(batch["op"], "added");
        let plan = plan_of(&m, &batch);
        assert_eq!(plan["plan"]["summary"]["create"], 2, "{plan}");
        assert_eq!(
            plan["plan"]["rows"][0]["key"],
            json!({"by": "id", "value": "7"})
        );
    }

    #[test]
    fn a_root_wrapper_batches_as_a_top_level_array_with_the_operation_on_each_row() {
        let m = Mapping::from_json(
            r#"{"version":1,"kind":"accounts","operation_path":"op","match":{"id":"account_id","name":"name"},
            "properties":{"exclude":["op"]}}"#,
        )
        .unwrap();
        let t = template(&m, &["op".into(), "seats".into()]).unwrap();
        assert!(
            t.batch.starts_with("[\n  {% for row in rows %}"),
            "{}",
            t.batch
        );
        let rows = [
            row(json!({"account_id": 1, "name": "A", "seats": 3})),
            row(json!({"account_id": 2, "name": "B", "seats": 4})),
        ];
        let batch: Value = serde_json::from_str(&render(&t.batch, &rows)).unwrap();
        assert_eq!(
            batch,
            json!([{"account_id": 1, "name": "A", "op": "added", "seats": 3}, {"account_id": 2, "name": "B", "op": "added", "seats": 4}])
        );
        assert!(
            !t.columns.iter().any(|c| c.path == "op"),
            "the operation is a constant, not a column"
        );
        assert_eq!(plan_of(&m, &batch)["plan"]["summary"]["create"], 2);
    }

    #[test]
    fn events_with_a_constant_type_and_awkward_keys() {
        let m = Mapping::from_json(
            r#"{"version":1,"kind":"events","wrapper_path":"batch","event":{"type":{"value":"Signed Up"},
            "contact_id":"userId","timestamp":"meta[\"sent at\"]","id":"ids[0]"}}"#,
        )
        .unwrap();
        let t = template(&m, &[]).unwrap();
        assert!(
            t.single
                .contains("\"sent at\": {{ row.meta_sent_at | json }}"),
            "{}",
            t.single
        );
        assert!(
            t.single.contains("\"ids\": [{{ row.ids_0 | json }}]"),
            "{}",
            t.single
        );
        let rows = [row(
            json!({"userId": "u1", "meta_sent_at": "2024-05-01T12:00:00Z", "ids_0": "e1"}),
        )];
        let body: Value = serde_json::from_str(&render(&t.single, &rows)).unwrap();
        assert_eq!(
            body,
            json!({"batch": {"userId": "u1", "meta": {"sent at": "2024-05-01T12:00:00Z"}, "ids": ["e1"]}})
        );
        let dir = crate::directory::MemoryDirectory::from_json(
            &json!({"contacts": [{"external_id": "u1"}]}),
        )
        .unwrap();
        let plan = plan_against(&m, &body, &dir);
        assert_eq!(plan["plan"]["rows"][0]["record"]["type"], "Signed Up");
        assert_eq!(plan["plan"]["rows"][0]["record"]["event_id"], "e1");
    }

    #[test]
    fn include_limits_the_properties_and_overlaps_are_reported() {
        let m = Mapping::from_json(
            r#"{"version":1,"kind":"accounts","match":{"id":"company","name":"company.name"},
            "properties":{"path":"traits","include":["industry"]}}"#,
        )
        .unwrap();
        let t = template(
            &m,
            &[
                "traits.industry".into(),
                "traits.other".into(),
                "elsewhere".into(),
            ],
        )
        .unwrap();
        let paths: Vec<_> = t.columns.iter().map(|c| c.path.as_str()).collect();
        assert_eq!(paths, ["company", "traits.industry"]);
        assert!(
            t.notes.iter().any(|n| n.contains("company.name")),
            "{:?}",
            t.notes
        );
        assert!(
            !t.notes.iter().any(|n| n.contains("Every key")),
            "{:?}",
            t.notes
        );
    }

    #[test]
    fn an_invalid_mapping_is_refused_with_its_field() {
        let m = Mapping::from_json(r#"{"version":1,"kind":"accounts"}"#).unwrap();
        assert_eq!(template(&m, &[]).unwrap_err().field, "match");
    }

    #[test]
    fn column_names_are_identifiers() {
        let p = |s: &str| Path::parse(s).unwrap();
        assert_eq!(column_name(&p("userId")), "userId");
        assert_eq!(column_name(&p("company.name")), "company_name");
        assert_eq!(
            column_name(&p("traits[\"first.name\"]")),
            "traits_first_name"
        );
        assert_eq!(column_name(&p("items[0].sku")), "items_0_sku");
        assert_eq!(row_expr("2fa"), "{{ row[\"2fa\"] | json }}");
    }
    #[test]
    fn columns_read_as_they_are_batch_as_one_filter_call_at_any_size() {
        let m = Mapping::from_json(
            r#"{"version":1,"kind":"contacts","wrapper_path":"rows","operation_path":"op",
            "match":{"id":"user_id","email":"email"},"account":{"name":"company_name"}}"#,
        )
        .unwrap();
        let t = template(&m, &["plan".into()]).unwrap();
        assert_eq!(
            t.batch,
            "{\n  \"rows\": {{ rows | json }},\n  \"op\": \"added\"\n}\n"
        );
        assert!(!t.batch.contains("{% for"), "{}", t.batch);
        assert!(
            t.notes.iter().any(|n| n.contains("any batch size")
                && n.contains("`user_id`, `email`, `company_name`, `plan`")),
            "{:?}",
            t.notes
        );
        assert!(
            !t.notes.iter().any(|n| n.contains("100 rows")),
            "{:?}",
            t.notes
        );
        let rows: Vec<Map<String, Value>> = (0..1000)
            .map(|i| {
                row(json!({"user_id": i, "email": format!("u{i}@x.example"),
                    "company_name": if i % 2 == 0 { json!("Acme \"A\"") } else { Value::Null },
                    "plan": "pro", "column_not_in_the_template": i}))
            })
            .collect();
        let body: Value = serde_json::from_str(&render(&t.batch, &rows)).unwrap();
        let plan = plan_of(&m, &body);
        assert_eq!(
            plan["plan"]["summary"]["create"], 1000,
            "{}",
            plan["plan"]["summary"]
        );

        // Rows as the body: one top-level array.
        let root = Mapping::from_json(
            r#"{"version":1,"kind":"accounts","match":{"id":"account_id","name":"name"}}"#,
        )
        .unwrap();
        assert_eq!(template(&root, &[]).unwrap().batch, "{{ rows | json }}\n");
    }

    #[test]
    fn other_mappings_keep_the_loop_and_say_to_stay_at_100_rows() {
        let nested = Mapping::from_json(
            r#"{"version":1,"kind":"contacts","wrapper_path":"data","match":{"email":"traits.email"}}"#,
        )
        .unwrap();
        let renamed =
            Mapping::from_json(r#"{"version":1,"kind":"contacts","match":{"email":"e-mail"}}"#)
                .unwrap();
        let op_on_each_row = Mapping::from_json(
            r#"{"version":1,"kind":"contacts","operation_path":"op","match":{"email":"email"}}"#,
        )
        .unwrap();
        let traits = Mapping::from_json(
            r#"{"version":1,"kind":"contacts","match":{"email":"email"},"properties":{"path":"traits"}}"#,
        )
        .unwrap();
        for m in [nested, renamed, op_on_each_row, traits] {
            let t = template(&m, &[]).unwrap();
            assert!(t.batch.contains("{% for row in rows %}"), "{}", t.batch);
            assert!(
                t.notes
                    .iter()
                    .any(|n| n.contains("100 rows per request or fewer")),
                "{:?}",
                t.notes
            );
        }
    }
    #[test]
    fn keys_of_the_properties_object_are_sent_under_it() {
        let m = Mapping::from_json(
            r#"{"version":1,"kind":"contacts","wrapper_path":"object.records","match":{"email":"fields.email"},
            "properties":{"path":"fields"}}"#,
        )
        .unwrap();
        // The field picker lists the keys of `fields` as they are under it.
        let t = template(&m, &["email".into(), "plan".into(), "fields.seats".into()]).unwrap();
        let paths: Vec<_> = t.columns.iter().map(|c| c.path.as_str()).collect();
        assert_eq!(paths, ["fields.email", "fields.plan", "fields.seats"]);
        assert!(
            t.notes
                .iter()
                .any(|n| n.starts_with("Every key of `fields`")),
            "{:?}",
            t.notes
        );
        let rows = [row(
            json!({"fields_email": "a@x.example", "fields_plan": "pro", "fields_seats": 3}),
        )];
        let body: Value = serde_json::from_str(&render(&t.single, &rows)).unwrap();
        let plan = plan_of(&m, &body);
        assert_eq!(
            plan["plan"]["rows"][0]["record"]["properties"],
            json!({"email": "a@x.example", "plan": "pro", "seats": 3})
        );
    }
}
