//! The field picker's data: every path in the rows with its JSON type and an example value, and
//! suggestions (wrapper path, a mapping per kind) from the names people use.

use crate::mapping::{AccountLink, EventSpec, EventType, Kind, Mapping, MatchSpec, PropertiesSpec};
use crate::normalize::json_type;
use crate::path::Path;
use serde::Serialize;
use serde_json::{Map, Value};

const MAX_ROWS_SCANNED: usize = 200;
const MAX_FIELDS: usize = 500;
const MAX_DEPTH: usize = 6;

#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(optional_fields))]
pub struct Field {
    /// Relative to a row, in canonical path syntax.
    pub path: String,
    /// `string`, `number`, … or several joined with `|` when rows disagree.
    #[serde(rename = "type")]
    pub field_type: String,
    /// The first non-null value seen (containers are not repeated here).
    #[cfg_attr(feature = "ts", ts(type = "unknown"))]
    pub example: Value,
    /// How many of the scanned rows have it.
    pub present: usize,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(optional_fields))]
pub struct Inspection {
    /// The wrapper path the rows were read from.
    pub wrapper_path: String,
    pub suggested_wrapper_path: String,
    /// Paths in the body that hold rows (arrays of objects, or objects), for the wrapper picker.
    pub wrapper_candidates: Vec<String>,
    pub rows: usize,
    pub fields: Vec<Field>,
    /// Why no rows could be read at this wrapper path, if so.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// Inspects a body at `wrapper` (or at the suggested wrapper when `None`).
pub fn inspect(body: &Value, wrapper: Option<&str>) -> Inspection {
    let suggested = suggest_wrapper(body);
    let wrapper_path = wrapper
        .map(str::to_string)
        .unwrap_or_else(|| suggested.clone());
    let mut out = Inspection {
        wrapper_path: wrapper_path.clone(),
        suggested_wrapper_path: suggested,
        wrapper_candidates: wrapper_candidates(body),
        rows: 0,
        fields: Vec::new(),
        error: None,
    };
    let path = match Path::parse(&wrapper_path) {
        Ok(p) => p,
        Err(e) => {
            out.error = Some(e.to_string());
            return out;
        }
    };
    match crate::payload::rows(body, &path, usize::MAX) {
        Ok(rows) => {
            out.rows = rows.len();
            out.fields = fields(
                rows.iter()
                    .filter_map(|r| r.as_ref().ok().copied())
                    .take(MAX_ROWS_SCANNED),
            );
        }
        Err(e) => out.error = Some(e.to_string()),
    }
    out
}

pub fn fields<'a>(rows: impl Iterator<Item = &'a Map<String, Value>>) -> Vec<Field> {
    let mut out: Vec<Field> = Vec::new();
    let mut index = std::collections::HashMap::new();
    for row in rows {
        walk_object(row, &Path::root(), 0, &mut out, &mut index);
    }
    out
}

fn walk_object(
    map: &Map<String, Value>,
    at: &Path,
    depth: usize,
    out: &mut Vec<Field>,
    index: &mut std::collections::HashMap<String, usize>,
) {
    for (k, v) in map {
        let p = at.child_key(k);
        walk_value(v, &p, depth, out, index);
    }
}

fn walk_value(
    v: &Value,
    p: &Path,
    depth: usize,
    out: &mut Vec<Field>,
    index: &mut std::collections::HashMap<String, usize>,
) {
    let key = p.to_string();
    let t = json_type(v);
    match index.get(&key) {
        Some(&i) => {
            let f = &mut out[i];
            f.present += 1;
            if !f.field_type.split('|').any(|x| x == t) {
                f.field_type = format!("{}|{t}", f.field_type);
            }
            if f.example.is_null() && !v.is_null() {
                f.example = example(v);
            }
        }
        None if out.len() < MAX_FIELDS => {
            index.insert(key.clone(), out.len());
            out.push(Field {
                path: key,
                field_type: t.to_string(),
                example: example(v),
                present: 1,
            });
        }
        None => return,
    }
    if depth + 1 >= MAX_DEPTH {
        return;
    }
    match v {
        Value::Object(m) => walk_object(m, p, depth + 1, out, index),
        Value::Array(items) => {
            if let Some(first) = items.first() {
                walk_value(first, &p.child_index(0), depth + 1, out, index);
            }
        }
        _ => {}
    }
}

fn example(v: &Value) -> Value {
    match v {
        Value::Object(m) => Value::String(format!("{{…{} keys}}", m.len())),
        Value::Array(a) => Value::String(format!("[…{} items]", a.len())),
        Value::String(s) if s.chars().count() > 80 => {
            Value::String(s.chars().take(80).collect::<String>() + "…")
        }
        other => other.clone(),
    }
}

const WRAPPER_NAMES: &[&str] = &[
    "data", "rows", "batch", "records", "items", "results", "events", "users", "accounts",
    "contacts",
];

fn is_rows(v: &Value) -> bool {
    match v {
        Value::Array(a) => !a.is_empty() && a.iter().all(Value::is_object),
        _ => false,
    }
}

/// Keys under which a row keeps its own data: rows are never looked for inside them.
const ROW_DATA_NAMES: &[&str] = &["properties", "traits", "context", "fields", "attributes"];

/// How deep below the body rows are looked for (`object.records`, `payload.data.items`).
const MAX_WRAPPER_DEPTH: usize = 4;

/// Every array of objects in the body reached through objects (not arrays), shallowest first, as
/// (path, depth, last key).
fn row_arrays(body: &Value) -> Vec<(Path, usize, String)> {
    fn walk(
        map: &Map<String, Value>,
        at: &Path,
        depth: usize,
        out: &mut Vec<(Path, usize, String)>,
    ) {
        for (k, v) in map {
            let p = at.child_key(k);
            if is_rows(v) {
                out.push((p.clone(), depth, k.clone()));
            }
            if let Value::Object(inner) = v {
                let row_data = ROW_DATA_NAMES.contains(&k.to_ascii_lowercase().as_str());
                if depth < MAX_WRAPPER_DEPTH && !row_data {
                    walk(inner, &p, depth + 1, out);
                }
            }
        }
    }
    let mut out = Vec::new();
    if let Value::Object(top) = body {
        walk(top, &Path::root(), 1, &mut out);
    }
    out.sort_by_key(|(_, depth, _)| *depth);
    out
}

/// Paths holding rows, for the wrapper picker: the body, every array of objects at any depth
/// (through objects), and a conventionally named object at the top level.
pub fn wrapper_candidates(body: &Value) -> Vec<String> {
    let mut out = Vec::new();
    if matches!(body, Value::Array(_) | Value::Object(_)) {
        out.push(String::new());
    }
    let Value::Object(top) = body else { return out };
    for (k, v) in top {
        if v.is_object() && !is_rows(v) && WRAPPER_NAMES.contains(&k.to_ascii_lowercase().as_str())
        {
            out.push(Path::root().child_key(k).to_string());
        }
    }
    for (p, _, _) in row_arrays(body) {
        let p = p.to_string();
        if !out.contains(&p) {
            out.push(p);
        }
    }
    out
}

/// An array body is the rows; otherwise a conventional key holding rows at the top level, the one
/// array of objects at the top level, a conventional key holding rows deeper down (Polytomic's
/// `object.records`), a conventional object enveloped by scalars (Census single); otherwise the body.
pub fn suggest_wrapper(body: &Value) -> String {
    let Value::Object(top) = body else {
        return String::new();
    };
    let named = |pred: &dyn Fn(&Value) -> bool| {
        WRAPPER_NAMES.iter().find_map(|n| {
            top.iter()
                .find(|(k, v)| k.eq_ignore_ascii_case(n) && pred(v))
                .map(|(k, _)| k.clone())
        })
    };
    if let Some(k) = named(&is_rows) {
        return Path::root().child_key(&k).to_string();
    }
    let arrays: Vec<&String> = top
        .iter()
        .filter(|(_, v)| is_rows(v))
        .map(|(k, _)| k)
        .collect();
    if arrays.len() == 1 {
        return Path::root().child_key(arrays[0]).to_string();
    }
    let deeper = row_arrays(body);
    for depth in 2..=MAX_WRAPPER_DEPTH {
        let found = WRAPPER_NAMES.iter().find_map(|n| {
            deeper
                .iter()
                .find(|(_, d, k)| *d == depth && k.eq_ignore_ascii_case(n))
        });
        if let Some((p, _, _)) = found {
            return p.to_string();
        }
    }
    if let Some(k) = named(&|v: &Value| v.is_object()) {
        // Only when the rest looks like an envelope (scalars around one object), e.g. Census single.
        if top.iter().filter(|(_, v)| v.is_object()).count() == 1 {
            return Path::root().child_key(&k).to_string();
        }
    }
    String::new()
}

/// Objects in which senders keep a row's own fields (Polytomic `fields`, Segment `traits` and
/// `properties`, RudderStack `context.traits`), in the order a kind prefers them.
fn holder_names(kind: Kind) -> &'static [&'static str] {
    match kind {
        Kind::Events => &["properties", "fields", "attributes", "record", "values"],
        Kind::Accounts | Kind::Contacts => &[
            "fields",
            "traits",
            "context.traits",
            "attributes",
            "record",
            "values",
            "properties",
        ],
    }
}

fn is_scalar_type(t: &str) -> bool {
    t.split('|')
        .any(|t| t != "object" && t != "array" && t != "null")
}

/// The nested object that holds a row's fields, if there is one: a conventionally named object
/// (`fields`, `traits`, …) present in most rows with fields in it. Only named ones: an object that
/// merely holds many fields may be another record (`company: {id, name, domain}`), whose `id` must
/// not become the row's.
pub fn property_holder(fields: &[Field], scanned: usize, kind: Kind) -> Option<String> {
    let has_fields = |prefix: &str| {
        let dotted = format!("{prefix}.");
        fields
            .iter()
            .any(|f| f.path.starts_with(&dotted) && is_scalar_type(&f.field_type))
    };
    holder_names(kind).iter().find_map(|n| {
        fields
            .iter()
            .find(|f| {
                f.path.eq_ignore_ascii_case(n)
                    && f.field_type.split('|').any(|t| t == "object")
                    && f.present * 2 > scanned
                    && has_fields(&f.path)
            })
            .map(|f| f.path.clone())
    })
}

fn norm(s: &str) -> String {
    s.chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_lowercase)
        .collect()
}

/// The first field whose path matches a name in `names`, in the names' order: at the row's top
/// level first, then inside `holder` (`email` → `fields.email`). Names are compared without case,
/// `_` or `.`; a leading `*` matches any suffix of a key (`*_id`).
fn pick(
    fields: &[Field],
    names: &[&str],
    scalar: bool,
    used: &[String],
    holder: Option<&str>,
) -> Option<String> {
    let ok = |f: &&Field| {
        let t = f
            .field_type
            .split('|')
            .find(|t| *t != "null")
            .unwrap_or("null");
        !used.contains(&f.path)
            && (!scalar || t == "string" || t == "number")
            && !f.path.contains('[')
    };
    let prefix = holder.map(|h| format!("{h}."));
    // The path relative to the row's top level, and relative to the holder.
    let scopes = |f: &Field| -> [Option<String>; 2] {
        [
            Some(f.path.clone()),
            prefix
                .as_ref()
                .and_then(|p| f.path.strip_prefix(p.as_str()).map(str::to_string)),
        ]
    };
    for n in names {
        for scope in 0..2 {
            let rel = |f: &Field| scopes(f)[scope].clone();
            if let Some(suffix) = n.strip_prefix('*') {
                let sfx = suffix.to_ascii_lowercase();
                if let Some(f) = fields.iter().filter(ok).find(|f| {
                    rel(f)
                        .is_some_and(|r| !r.contains('.') && r.to_ascii_lowercase().ends_with(&sfx))
                }) {
                    return Some(f.path.clone());
                }
                continue;
            }
            let want = norm(n);
            if let Some(f) = fields
                .iter()
                .filter(ok)
                .find(|f| rel(f).is_some_and(|r| norm(&r) == want))
            {
                return Some(f.path.clone());
            }
        }
    }
    None
}

const OPERATIONS: &[&str] = &[
    "added", "changed", "created", "updated", "upsert", "removed", "deleted",
];

fn operation_field(body: &Value, fields: &[Field]) -> Option<String> {
    let looks = |v: Option<&Value>| {
        v.and_then(Value::as_str)
            .is_some_and(|s| OPERATIONS.contains(&s.trim().to_ascii_lowercase().as_str()))
    };
    for name in ["op", "operation", "action", "change_type"] {
        if fields
            .iter()
            .any(|f| f.path == name && looks(Some(&f.example)))
        {
            return Some(name.to_string());
        }
        if let Value::Object(top) = body {
            if looks(top.get(name)) {
                return Some(name.to_string());
            }
        }
    }
    None
}

/// A starting mapping for `kind` from the body's field names; the user then adjusts it.
pub fn suggest_mapping(body: &Value, kind: Kind) -> Mapping {
    let wrapper_path = suggest_wrapper(body);
    let ins = inspect(body, Some(&wrapper_path));
    let f = &ins.fields;
    let operation_path = operation_field(body, f);
    let holder = property_holder(f, ins.rows.min(MAX_ROWS_SCANNED), kind);
    let mut used: Vec<String> = operation_path.iter().cloned().collect();
    let mut take = |names: &[&str]| {
        let p = pick(f, names, true, &used, holder.as_deref());
        if let Some(p) = &p {
            used.push(p.clone());
        }
        p
    };
    let mut m = Mapping {
        version: 1,
        kind,
        behavior: None,
        wrapper_path,
        operation_path: operation_path.clone(),
        on_removed: None,
        match_on: None,
        account: None,
        event: None,
        properties: None,
    };
    match kind {
        Kind::Accounts => {
            let id = take(&[
                "account_id",
                "accountId",
                "company_id",
                "companyId",
                "organization_id",
                "org_id",
                "groupId",
                "group_id",
                "unique_id",
                "external_id",
                "id",
                "uuid",
                "*_id",
            ]);
            let name = take(&[
                "name",
                "account_name",
                "company_name",
                "organization_name",
                "org_name",
                "company.name",
                "traits.name",
                "company",
                "organization",
            ]);
            m.match_on = Some(MatchSpec {
                id,
                name,
                ..MatchSpec::default()
            });
        }
        Kind::Contacts => {
            let id = take(&[
                "user_id",
                "userId",
                "contact_id",
                "contactId",
                "person_id",
                "unique_id",
                "external_id",
                "id",
                "uuid",
            ]);
            let email = take(&[
                "email",
                "email_address",
                "emailAddress",
                "traits.email",
                "*email",
            ]);
            m.match_on = Some(MatchSpec {
                id,
                email,
                ..MatchSpec::default()
            });
            let acc_id = take(&[
                "company_id",
                "account_id",
                "companyId",
                "accountId",
                "organization_id",
                "org_id",
                "groupId",
                "company.id",
                "traits.company.id",
            ]);
            let acc_name = take(&[
                "company_name",
                "account_name",
                "companyName",
                "organization_name",
                "company.name",
                "traits.company.name",
                "company",
                "organization",
            ]);
            if acc_id.is_some() || acc_name.is_some() {
                m.account = Some(AccountLink {
                    id: acc_id,
                    name: acc_name,
                });
            }
        }
        Kind::Events => {
            let event_type = take(&[
                "event",
                "event_name",
                "eventName",
                "event_type",
                "eventType",
                "type",
                "name",
                "action",
            ]);
            let contact_id = take(&["userId", "user_id", "contact_id", "contactId", "person_id"]);
            let account_id = take(&[
                "account_id",
                "accountId",
                "groupId",
                "group_id",
                "company_id",
                "companyId",
                "org_id",
            ]);
            let timestamp = take(&[
                "timestamp",
                "occurred_at",
                "occurredAt",
                "event_time",
                "created_at",
                "createdAt",
                "originalTimestamp",
                "time",
                "sent_at",
            ]);
            let id = take(&[
                "messageId",
                "message_id",
                "event_id",
                "eventId",
                "id",
                "uuid",
            ]);
            m.event = Some(EventSpec {
                event_type: Some(match event_type {
                    Some(p) => EventType {
                        path: Some(p),
                        value: None,
                    },
                    None => EventType {
                        path: None,
                        value: Some("Event".into()),
                    },
                }),
                contact_id,
                account_id,
                timestamp,
                id,
            });
        }
    }
    if let Some(h) = holder {
        m.properties = Some(PropertiesSpec {
            path: h,
            include: None,
            exclude: Vec::new(),
        });
    } else if let Some(op) = &operation_path {
        if f.iter().any(|x| &x.path == op) {
            m.properties = Some(PropertiesSpec {
                path: String::new(),
                include: None,
                exclude: vec![op.clone()],
            });
        }
    }
    m
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn examples_stop_at_80_characters() {
        let s80 = "é".repeat(80);
        assert_eq!(example(&json!(s80)), json!(s80));
        assert_eq!(example(&json!("é".repeat(81))), json!(format!("{s80}…")));
        assert_eq!(example(&json!({"a": 1, "b": 2})), json!("{…2 keys}"));
    }

    #[test]
    fn only_non_empty_arrays_of_objects_are_rows_and_named_objects_are_candidates() {
        assert!(is_rows(&json!([{"id": 1}])));
        assert!(!is_rows(&json!([])));
        assert!(!is_rows(&json!([{"id": 1}, 2])));
        let body = json!({"data": {"id": 1}, "meta": {"n": 1}, "list": [], "mixed": [{"a": 1}, 2],
                          "outer": {"records": [{"id": 1}]}});
        assert_eq!(wrapper_candidates(&body), ["", "data", "outer.records"]);
        // Neither conventional nor alone: two arrays of rows at the top leave the choice to the user.
        assert_eq!(
            suggest_wrapper(&json!({"a": [{"id": 1}], "b": [{"id": 2}]})),
            ""
        );
        assert_eq!(
            suggest_wrapper(&json!({"a": [{"id": 1}], "rows": [{"id": 2}]})),
            "rows"
        );
    }

    #[test]
    fn a_field_of_several_types_lists_each_once_and_the_list_stops_at_its_limit() {
        let rows = [
            json!({"a": 1, "b": null}),
            json!({"a": "x", "b": 2}),
            json!({"a": 3}),
        ];
        let maps: Vec<_> = rows.iter().filter_map(Value::as_object).collect();
        let f = fields(maps.into_iter());
        let a = f.iter().find(|f| f.path == "a").unwrap();
        assert_eq!((a.field_type.as_str(), a.present), ("number|string", 3));
        let b = f.iter().find(|f| f.path == "b").unwrap();
        assert_eq!(
            (b.field_type.as_str(), b.example.clone()),
            ("null|number", json!(2))
        );
        let wide: serde_json::Map<String, Value> = (0..MAX_FIELDS + 50)
            .map(|i| (format!("f{i}"), json!(i)))
            .collect();
        assert_eq!(fields(std::iter::once(&wide)).len(), MAX_FIELDS);
    }

    #[test]
    fn fields_carry_type_example_and_count() {
        let body = json!([{"id": 1, "c": {"name": "A"}, "tags": ["x"]}, {"id": "2", "c": null}]);
        let ins = inspect(&body, None);
        assert_eq!(ins.rows, 2);
        let id = ins.fields.iter().find(|f| f.path == "id").unwrap();
        assert_eq!(
            (id.field_type.as_str(), id.present, &id.example),
            ("number|string", 2, &json!(1))
        );
        assert!(ins
            .fields
            .iter()
            .any(|f| f.path == "c.name" && f.example == json!("A")));
        assert!(ins.fields.iter().any(|f| f.path == "tags[0]"));
    }

    #[test]
    fn wrappers_are_suggested_from_envelopes() {
        assert_eq!(
            suggest_wrapper(&json!({"operation": "changed", "data": [{"a": 1}]})),
            "data"
        );
        assert_eq!(
            suggest_wrapper(&json!({"operation": "changed", "data": {"a": 1}})),
            "data"
        );
        assert_eq!(
            suggest_wrapper(&json!({"op": "added", "rows": [{"a": 1}]})),
            "rows"
        );
        assert_eq!(suggest_wrapper(&json!({"batch": [{"a": 1}]})), "batch");
        assert_eq!(suggest_wrapper(&json!([{"a": 1}])), "");
        assert_eq!(
            suggest_wrapper(&json!({"email": "a@b", "traits": {"x": 1}})),
            ""
        );
    }

    #[test]
    fn a_hightouch_row_suggests_a_contact_mapping() {
        let body =
            json!({"id": "u1", "email": "a@b.example", "company_id": "c1", "company_name": "Acme"});
        let m = suggest_mapping(&body, Kind::Contacts);
        let mo = m.match_on.clone().unwrap();
        assert_eq!(
            (mo.id.as_deref(), mo.email.as_deref()),
            (Some("id"), Some("email"))
        );
        assert_eq!(
            m.account,
            Some(AccountLink {
                id: Some("company_id".into()),
                name: Some("company_name".into())
            })
        );
        m.validate().unwrap();
    }

    #[test]
    fn a_segment_batch_suggests_an_event_mapping() {
        let body = json!({"batch": [{"type": "track", "userId": "u", "event": "Signed Up", "messageId": "m1", "timestamp": "2024-01-01T00:00:00Z"}]});
        let m = suggest_mapping(&body, Kind::Events);
        let e = m.event.clone().unwrap();
        assert_eq!(e.event_type.unwrap().path.as_deref(), Some("event"));
        assert_eq!(
            (
                e.contact_id.as_deref(),
                e.id.as_deref(),
                e.timestamp.as_deref()
            ),
            (Some("userId"), Some("messageId"), Some("timestamp"))
        );
        assert_eq!(m.wrapper_path, "batch");
    }
    #[test]
    fn rows_are_found_at_any_depth_but_never_inside_a_rows_own_data() {
        let polytomic = json!({"event": "sync.records", "object": {"id": "s1", "name": "n",
            "records": [{"hash": "h1", "fields": {"email": "a@x.example"}}]}});
        assert_eq!(suggest_wrapper(&polytomic), "object.records");
        assert!(wrapper_candidates(&polytomic).contains(&"object.records".to_string()));
        assert_eq!(
            suggest_wrapper(&json!({"type": "batch", "payload": {"data": [{"a": 1}]}})),
            "payload.data"
        );
        // A Segment track whose properties hold a list of products is one row, not the products.
        let track = json!({"type": "track", "event": "Order Completed", "userId": "u1",
            "properties": {"items": [{"sku": "a"}], "total": 3}});
        assert_eq!(suggest_wrapper(&track), "");
        // A top-level conventional name still wins over a deeper one.
        assert_eq!(
            suggest_wrapper(&json!({"rows": [{"a": 1}], "meta": {"data": [{"b": 1}]}})),
            "rows"
        );
    }

    #[test]
    fn a_polytomic_body_suggests_keys_inside_fields() {
        let body = json!({"event": "sync.records", "object": {"id": "s1", "name": "n", "records": [
            {"hash": "h1", "fields": {"user_id": "u1", "email": "a@x.example", "company": "Acme"}},
            {"hash": "h2", "fields": {"user_id": "u2", "email": "b@x.example", "company": "Acme"}}]}});
        let m = suggest_mapping(&body, Kind::Contacts);
        assert_eq!(m.wrapper_path, "object.records");
        let mo = m.match_on.clone().unwrap();
        assert_eq!(
            (mo.id.as_deref(), mo.email.as_deref()),
            (Some("fields.user_id"), Some("fields.email"))
        );
        assert_eq!(
            m.account.clone().unwrap().name.as_deref(),
            Some("fields.company")
        );
        assert_eq!(m.properties.clone().unwrap().path, "fields");
        m.validate().unwrap();
    }

    #[test]
    fn segment_and_rudderstack_calls_suggest_from_traits_and_properties() {
        let identify = json!({"type": "identify", "userId": "u1", "messageId": "m1",
            "context": {"ip": "203.0.113.7", "library": {"name": "analytics.js", "version": "2"}},
            "traits": {"email": "p@x.example", "name": "Peter", "company": {"id": "o1", "name": "Initech"}}});
        let m = suggest_mapping(&identify, Kind::Contacts);
        let mo = m.match_on.clone().unwrap();
        assert_eq!(
            (mo.id.as_deref(), mo.email.as_deref()),
            (Some("userId"), Some("traits.email"))
        );
        assert_eq!(
            m.account,
            Some(AccountLink {
                id: Some("traits.company.id".into()),
                name: Some("traits.company.name".into())
            })
        );
        assert_eq!(m.properties.clone().unwrap().path, "traits");

        let rudder = json!({"type": "identify", "userId": "u1", "anonymousId": "a1",
            "context": {"traits": {"email": "r@x.example", "company": {"id": "c-A"}}, "locale": "en-US"}});
        let m = suggest_mapping(&rudder, Kind::Contacts);
        assert_eq!(
            m.match_on.clone().unwrap().email.as_deref(),
            Some("context.traits.email")
        );
        assert_eq!(m.properties.clone().unwrap().path, "context.traits");

        let track = json!({"type": "track", "event": "Product Reviewed", "userId": "u1",
            "messageId": "m2", "originalTimestamp": "2026-11-02T08:10:04.124Z",
            "sentAt": "2026-11-02T08:10:04.125Z", "properties": {"rating": 3}});
        let m = suggest_mapping(&track, Kind::Events);
        let e = m.event.clone().unwrap();
        assert_eq!(e.timestamp.as_deref(), Some("originalTimestamp"));
        assert_eq!(e.contact_id.as_deref(), Some("userId"));
        assert_eq!(m.properties.clone().unwrap().path, "properties");
    }

    #[test]
    fn a_holder_in_few_rows_or_an_unnamed_object_is_not_taken() {
        // A mixed Segment batch: traits in half the rows, properties in the other half.
        let batch = json!({"batch": [
            {"type": "identify", "userId": "u1", "traits": {"email": "a@x.example"}},
            {"type": "track", "userId": "u1", "event": "E", "properties": {"p": 1}}]});
        assert_eq!(suggest_mapping(&batch, Kind::Events).properties, None);
        // A nested record is not the row's fields: its id is not the contact's.
        let row =
            json!({"email": "a@x.example", "company": {"id": "c1", "name": "A", "domain": "a"}});
        let m = suggest_mapping(&row, Kind::Contacts);
        assert_eq!(m.match_on.clone().unwrap().id, None);
        assert_eq!(m.properties, None);
    }
}
