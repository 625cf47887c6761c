//! `inlet preview`'s table: one line per row, saying what the window's preview says of it (the
//! record an update or delete reaches, the account or contact a record is linked to, and the
//! properties written).

use inlet_core::{Key, Link, Outcome, Plan, Target, Write};

/// The ROW, ACTION, KEY and DETAIL cells of each row.
pub(super) fn lines(plan: &Plan) -> Vec<Vec<String>> {
    plan.rows
        .iter()
        .map(|r| {
            let (detail, key) = match &r.outcome {
                Outcome::Create { key, record, .. } => (written(None, record), key.as_ref()),
                Outcome::Update {
                    key,
                    record,
                    target: t,
                } => (written(Some(t), record), Some(key)),
                Outcome::Delete { key, target: t } => (target(t), Some(key)),
                Outcome::Skip { reason, key } => (reason.clone(), key.as_ref()),
                Outcome::Error { error, path } => (
                    format!("{error} (at {})", path.as_deref().unwrap_or("-")),
                    None,
                ),
                Outcome::Duplicate { event_id } => (
                    format!("event {}", serde_json::Value::String(event_id.clone())),
                    None,
                ),
            };
            let key = key
                .map(|k| format!("{}={}", k.by.as_str(), k.value))
                .unwrap_or_default();
            // Counted from 1, as the window counts them; `--json` keeps the 0-based `index`.
            vec![
                (r.index + 1).to_string(),
                r.outcome.action().into(),
                key,
                detail,
            ]
        })
        .collect()
}

/// Whether a row failed on a link to a record that is not there (an event's contact or
/// account), which only a preview against the store can find.
pub(super) fn links_unknown(plan: &Plan) -> bool {
    plan.rows.iter().any(|r| match &r.outcome {
        Outcome::Error { error, .. } => {
            error.starts_with("unknown contact ") || error.starts_with("unknown account ")
        }
        _ => false,
    })
}

/// What a create or update writes: the record it reaches (an update), its links, and its
/// properties as the JSON object the store keeps.
fn written(reaches: Option<&Target>, w: &Write) -> String {
    let mut parts = Vec::new();
    parts.extend(reaches.map(target));
    if let Some(t) = &w.event_type {
        parts.push(format!("type: {t}"));
    }
    if let Some(l) = &w.contact {
        parts.push(format!("contact: {}", link(l)));
    }
    if let Some(l) = &w.account {
        parts.push(format!("account: {}", link(l)));
    }
    parts.push(w.properties.as_str().to_string());
    parts.join("; ")
}

/// As the window says it: `record 12` (stored) or `new record #2` (created by this batch's
/// second create).
fn target(t: &Target) -> String {
    match t {
        Target::Existing(id) => format!("record {id}"),
        Target::New(n) => format!("new record #{}", n + 1),
    }
}

fn link(l: &Link) -> String {
    match &l.create {
        Some(a) => {
            let said: Vec<&str> = [a.name.as_deref(), a.external_id.as_deref()]
                .into_iter()
                .flatten()
                .collect();
            format!("new {}", said.join(" · "))
        }
        None => format!("{} ({})", key(&l.key), target(&l.target)),
    }
}

fn key(k: &Key) -> String {
    match &k.property {
        Some(p) => format!("property {p} = {}", k.value),
        None => format!("{} = {}", k.by.as_str(), k.value),
    }
}
