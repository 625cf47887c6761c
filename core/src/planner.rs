//! Matching and planning, DESIGN §5, row by row in order. Rows of one batch see each other: a
//! record created or given an ID by an earlier row is found by a later one (an overlay on the
//! directory), so a batch never creates the same record twice.

use crate::directory::{BatchKeys, Directory, DirectoryError, Found};
use crate::mapping::{Behavior, Compiled, Keys, Kind, OnRemoved, PropertySource, TypeSource};
use crate::normalize::{fold, json_type, key_value, KeyValue};
use crate::path::Path;
use crate::payload::{rows, rows_mut, PayloadError};
use crate::plan::{By, Key, Link, NewAccount, Outcome, Plan, RowPlan, Target, Write};
use crate::timestamp::{canonical, parse_timestamp};
use foldhash::{HashMap, HashSet};
use serde_json::{Map, Value};

pub const DEFAULT_MAX_ROWS: usize = 10_000;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PlanError {
    #[error(transparent)]
    Payload(#[from] PayloadError),
    #[error(transparent)]
    Directory(#[from] DirectoryError),
}

/// A candidate record: from the store, or from earlier rows of this batch.
#[derive(Debug, Clone, PartialEq)]
struct Cand {
    target: Target,
    external_id: Option<String>,
    account: Option<Target>,
}

impl Cand {
    fn existing(f: Found) -> Cand {
        Cand {
            target: Target::Existing(f.id),
            external_id: f.external_id,
            account: f.account.map(Target::Existing),
        }
    }
}

/// What earlier rows of this batch did, laid over the directory. Candidates live once in `cands`;
/// the indexes map a key to the newest candidate with it, and `chain` links to the previous one
/// with the same key, so recording a row costs no allocation beyond the keys themselves.
#[derive(Default)]
struct Overlay {
    next_new: usize,
    cands: Vec<Cand>,
    /// Per candidate: the previous candidate with the same external ID / label.
    chain_id: Vec<Option<usize>>,
    chain_label: Vec<Option<usize>>,
    /// Per kind (`slot`), looked up by `&str`.
    by_external_id: [HashMap<String, usize>; 2],
    by_label: [HashMap<String, usize>; 2],
    /// IDs learned by records that had none (they patch what the directory returns).
    external_id_of: HashMap<Target, String>,
    deleted: HashSet<Target>,
    event_ids: HashSet<String>,
}

fn slot(kind: Kind) -> usize {
    usize::from(kind != Kind::Accounts)
}

impl Overlay {
    /// Room for one record per row in the kinds this mapping writes, so the indexes never grow
    /// and rehash while a batch is planned.
    fn for_batch(m: &Compiled, rows: usize) -> Overlay {
        let mut o = Overlay {
            cands: Vec::with_capacity(rows),
            chain_id: Vec::with_capacity(rows),
            chain_label: Vec::with_capacity(rows),
            ..Overlay::default()
        };
        match m.kind {
            Kind::Events => o.event_ids.reserve(rows),
            kind => {
                let mut kinds = vec![kind];
                if m.account.is_some() {
                    kinds.push(Kind::Accounts);
                }
                for k in kinds {
                    o.by_external_id[slot(k)].reserve(rows);
                    o.by_label[slot(k)].reserve(rows);
                }
            }
        }
        o
    }

    /// A record this batch creates, or an existing one that learned its external ID.
    fn add(&mut self, kind: Kind, cand: Cand, label: Option<&str>) {
        let i = self.cands.len();
        let id_head = match &cand.external_id {
            Some(id) => self.by_external_id[slot(kind)].insert(id.clone(), i),
            None => None,
        };
        let label_head = match label {
            Some(l) => self.by_label[slot(kind)].insert(fold(l), i),
            None => None,
        };
        self.chain_id.push(id_head);
        self.chain_label.push(label_head);
        self.cands.push(cand);
    }

    fn learn(&mut self, kind: Kind, cand: Cand) {
        if let Some(id) = &cand.external_id {
            self.external_id_of.insert(cand.target.clone(), id.clone());
        }
        self.add(kind, cand, None);
    }

    /// Every candidate recorded under a key, following the chain.
    fn chained<'o>(
        &'o self,
        head: Option<usize>,
        chain: &'o [Option<usize>],
    ) -> impl Iterator<Item = &'o Cand> + 'o {
        std::iter::successors(head, move |&i| chain[i]).map(move |i| &self.cands[i])
    }

    fn new_target(&mut self) -> (usize, Target) {
        let n = self.next_new;
        self.next_new += 1;
        (n, Target::New(n))
    }
}

struct Planner<'a> {
    m: &'a Compiled,
    dir: &'a dyn Directory,
    /// The operation found on the body around the rows (Census's envelope), read once.
    envelope_op: Option<Value>,
    overlay: Overlay,
}

/// A row the planner reads; when the caller handed over the body, the properties are moved out
/// of the row instead of copied.
enum Row<'r> {
    Shared(&'r Map<String, Value>),
    Owned(&'r mut Map<String, Value>),
}

impl Row<'_> {
    fn map(&self) -> &Map<String, Value> {
        match self {
            Row::Shared(m) => m,
            Row::Owned(m) => m,
        }
    }
}

/// Why a row could not be planned: its own fault (message, path), or the store's.
enum RowError {
    Row(String, Option<String>),
    Store(DirectoryError),
}

type RowResult = Result<(Outcome, Vec<String>), RowError>;

impl From<DirectoryError> for RowError {
    fn from(e: DirectoryError) -> Self {
        RowError::Store(e)
    }
}

fn row_err(msg: impl Into<String>, path: &Path) -> RowError {
    RowError::Row(msg.into(), Some(path.to_string()))
}

/// Plans every row of `body` (a parsed, non-empty payload) through the mapping.
pub fn plan(body: &Value, m: &Compiled, dir: &dyn Directory) -> Result<Plan, PlanError> {
    plan_with_limit(body, m, dir, DEFAULT_MAX_ROWS)
}

pub fn plan_with_limit(
    body: &Value,
    m: &Compiled,
    dir: &dyn Directory,
    max_rows: usize,
) -> Result<Plan, PlanError> {
    let slots = rows(body, &m.wrapper, max_rows)?;
    let slots = slots.into_iter().map(|s| s.map(Row::Shared));
    plan_rows(slots, envelope_op(body, m), m, dir)
}

/// `plan` for a body the caller no longer needs: the same plan, but each row's properties are
/// moved into it rather than copied (the listener and the preview own the body they parsed).
pub fn plan_owned(body: Value, m: &Compiled, dir: &dyn Directory) -> Result<Plan, PlanError> {
    plan_owned_with_limit(body, m, dir, DEFAULT_MAX_ROWS)
}

pub fn plan_owned_with_limit(
    mut body: Value,
    m: &Compiled,
    dir: &dyn Directory,
    max_rows: usize,
) -> Result<Plan, PlanError> {
    let op = envelope_op(&body, m);
    let slots = rows_mut(&mut body, &m.wrapper, max_rows)?;
    let slots = slots.into_iter().map(|s| s.map(Row::Owned));
    plan_rows(slots, op, m, dir)
}

/// The keys `plan` may look up for `body`, gathered without a directory: a store fetches them in
/// a few set queries, then plans from that snapshot. Rows that are not objects and values that
/// cannot be keys are left out (they are row errors, which look nothing up). A body the planner
/// refuses gives the same error here.
pub fn batch_keys(body: &Value, m: &Compiled, max_rows: usize) -> Result<BatchKeys, PlanError> {
    let slots = rows(body, &m.wrapper, max_rows)?;
    let mut k = BatchKeys {
        creates: m.kind != Kind::Events && m.behavior == Behavior::Upsert,
        ..BatchKeys::default()
    };
    let value = |row: &Map<String, Value>, p: &Option<Path>| match p {
        Some(p) => match key_value(get(row, p)) {
            KeyValue::Present(s) => Some(s),
            _ => None,
        },
        None => None,
    };
    for row in slots.into_iter().flatten() {
        match &m.keys {
            Keys::Custom { path, property } => {
                if let KeyValue::Present(v) = key_value(get(row, path)) {
                    k.custom
                        .get_or_insert_with(|| (m.kind, property.clone(), Default::default()))
                        .2
                        .insert(v);
                }
            }
            Keys::Standard { id, second } => {
                let accounts = m.kind == Kind::Accounts;
                if let Some(v) = value(row, id) {
                    if accounts {
                        &mut k.account_ids
                    } else {
                        &mut k.contact_ids
                    }
                    .insert(v);
                }
                if let Some(v) = value(row, second) {
                    if accounts {
                        &mut k.names
                    } else {
                        &mut k.emails
                    }
                    .insert(fold(&v));
                }
            }
            Keys::None => {}
        }
        if let Some((id, name)) = &m.account {
            if let Some(v) = value(row, id) {
                k.account_ids.insert(v);
            }
            if let Some(v) = value(row, name) {
                k.names.insert(fold(&v));
            }
        }
        if let Some(e) = &m.event {
            if let Some(v) = value(row, &e.contact_id) {
                k.contact_ids.insert(v);
            }
            if let Some(v) = value(row, &e.account_id) {
                k.account_ids.insert(v);
            }
            if let Some(v) = value(row, &e.id) {
                k.event_ids.insert(v);
            }
        }
    }
    Ok(k)
}

fn envelope_op(body: &Value, m: &Compiled) -> Option<Value> {
    m.operation.as_ref().and_then(|p| p.get(body)).cloned()
}

fn plan_rows<'r>(
    slots: impl ExactSizeIterator<Item = Result<Row<'r>, String>>,
    envelope_op: Option<Value>,
    m: &Compiled,
    dir: &dyn Directory,
) -> Result<Plan, PlanError> {
    let mut p = Planner {
        m,
        dir,
        envelope_op,
        overlay: Overlay::for_batch(m, slots.len()),
    };
    let mut out = Vec::with_capacity(slots.len());
    for (index, slot) in slots.enumerate() {
        let result = match slot {
            Ok(row) => p.row(row),
            // The element is not a row, so its path is its place in the body (`data[3]`).
            Err(msg) => Err(RowError::Row(
                msg,
                Some(m.wrapper.child_index(index).to_string()),
            )),
        };
        let (outcome, warnings) = match result {
            Ok(ok) => ok,
            Err(RowError::Row(error, path)) => (Outcome::Error { error, path }, Vec::new()),
            // A failing store fails the request (503), not rows the sender can't fix.
            Err(RowError::Store(e)) => return Err(PlanError::Directory(e)),
        };
        out.push(RowPlan {
            index,
            outcome,
            warnings,
        });
    }
    let summary = Plan::summarise(&out);
    Ok(Plan {
        kind: m.kind,
        behavior: m.behavior,
        rows: out,
        summary,
    })
}

const WRITES: [&str; 5] = ["added", "changed", "created", "updated", "upsert"];
const REMOVES: [&str; 2] = ["removed", "deleted"];

enum Op {
    Write,
    Remove,
}

fn key_at(row: &Map<String, Value>, path: &Path, what: &str) -> Result<Option<String>, RowError> {
    match key_value(get(row, path)) {
        KeyValue::Absent => Ok(None),
        KeyValue::Present(s) => Ok(Some(s)),
        KeyValue::Invalid(t) => Err(row_err(
            format!("{what} at `{path}` is {t}; expected text or a number"),
            path,
        )),
    }
}

fn get<'v>(row: &'v Map<String, Value>, path: &Path) -> Option<&'v Value> {
    path.get_in(row)
}

impl Planner<'_> {
    fn row(&mut self, row: Row<'_>) -> RowResult {
        let op = self.operation(row.map())?;
        match self.m.kind {
            Kind::Events => match op {
                Op::Remove => Ok((
                    Outcome::Skip {
                        reason: "removed rows are ignored for events".into(),
                        key: None,
                    },
                    vec![],
                )),
                Op::Write => self.event(row),
            },
            kind => self.record(kind, row, op),
        }
    }

    /// The operation field is read from the row, then from the body around it (Census and
    /// batched Hightouch templates put it on the envelope).
    fn operation(&self, row: &Map<String, Value>) -> Result<Op, RowError> {
        let Some(path) = &self.m.operation else {
            return Ok(Op::Write);
        };
        let v = get(row, path).or(self.envelope_op.as_ref());
        match v {
            None | Some(Value::Null) => Err(row_err(format!("no operation at `{path}`"), path)),
            Some(Value::String(s)) => match s.trim() {
                w if WRITES.iter().any(|x| w.eq_ignore_ascii_case(x)) => Ok(Op::Write),
                r if REMOVES.iter().any(|x| r.eq_ignore_ascii_case(x)) => Ok(Op::Remove),
                other => Err(row_err(
                    format!("unknown operation {other:?}; expected added, changed, created, updated, upsert, removed or deleted"),
                    path,
                )),
            },
            Some(other) => Err(row_err(format!("operation at `{path}` is {}; expected text", json_type(other)), path)),
        }
    }

    fn lookup_external_id(&mut self, kind: Kind, id: &str) -> Result<Vec<Cand>, RowError> {
        let stored = self.dir.by_external_id(kind, id)?;
        let o = &self.overlay;
        let head = o.by_external_id[slot(kind)].get(id).copied();
        Ok(self.merge(stored, o.chained(head, &o.chain_id)))
    }

    fn lookup_label(&mut self, kind: Kind, label: &str) -> Result<Vec<Cand>, RowError> {
        let stored = match kind {
            Kind::Accounts => self.dir.accounts_by_name(label)?,
            _ => self.dir.contacts_by_email(label)?,
        };
        let o = &self.overlay;
        let index = &o.by_label[slot(kind)];
        let head = if index.is_empty() {
            None
        } else {
            // Most labels are folded already (lower-case ASCII emails): no copy to look them up.
            let t = label.trim();
            if t.bytes().all(|b| b.is_ascii() && !b.is_ascii_uppercase()) {
                index.get(t).copied()
            } else {
                index.get(&fold(label)).copied()
            }
        };
        Ok(self.merge(stored, o.chained(head, &o.chain_label)))
    }

    /// Stored hits and this batch's, without records deleted earlier in the batch, each once,
    /// with the external ID an earlier row gave it.
    fn merge<'o>(
        &'o self,
        stored: Vec<Found>,
        pending: impl Iterator<Item = &'o Cand>,
    ) -> Vec<Cand> {
        let o = &self.overlay;
        let mut out: Vec<Cand> = Vec::with_capacity(stored.len());
        for c in stored.into_iter().map(Cand::existing) {
            self.push_hit(&mut out, c);
        }
        for c in pending {
            if !o.deleted.contains(&c.target) && !out.iter().any(|x| x.target == c.target) {
                self.push_hit(&mut out, c.clone());
            }
        }
        out
    }

    fn push_hit(&self, out: &mut Vec<Cand>, mut c: Cand) {
        let o = &self.overlay;
        if (!o.deleted.is_empty() && o.deleted.contains(&c.target))
            || out.iter().any(|x| x.target == c.target)
        {
            return;
        }
        if !o.external_id_of.is_empty() {
            if let Some(id) = o.external_id_of.get(&c.target) {
                c.external_id = Some(id.clone());
            }
        }
        out.push(c);
    }

    /// ID first, then name (accounts) or email (contacts).
    fn find(
        &mut self,
        kind: Kind,
        id: Option<(&str, &Path)>,
        label: Option<(&str, &Path)>,
    ) -> Result<Option<(Cand, Key)>, RowError> {
        let noun = if kind == Kind::Accounts {
            "accounts"
        } else {
            "contacts"
        };
        if let Some((id, path)) = id {
            let hits = self.lookup_external_id(kind, id)?;
            if hits.len() > 1 {
                return Err(row_err(
                    format!("ambiguous: several {noun} have ID {id:?}"),
                    path,
                ));
            }
            if let Some(c) = hits.into_iter().next() {
                return Ok(Some((
                    c,
                    Key {
                        by: By::Id,
                        value: id.to_string(),
                        property: None,
                    },
                )));
            }
        }
        if let Some((label, path)) = label {
            let hits = self.lookup_label(kind, label)?;
            let (by, what) = if kind == Kind::Accounts {
                (By::Name, "are named")
            } else {
                (By::Email, "have the email")
            };
            if hits.len() > 1 {
                return Err(row_err(
                    format!("ambiguous: several {noun} {what} {label:?}"),
                    path,
                ));
            }
            if let Some(c) = hits.into_iter().next() {
                return Ok(Some((
                    c,
                    Key {
                        by,
                        value: label.to_string(),
                        property: None,
                    },
                )));
            }
        }
        Ok(None)
    }

    fn record(&mut self, kind: Kind, owned_row: Row<'_>, op: Op) -> RowResult {
        let m = self.m;
        let row = owned_row.map();
        if matches!(op, Op::Remove) && m.on_removed == OnRemoved::Ignore {
            return Ok((
                Outcome::Skip {
                    reason: "removed row ignored (on_removed: ignore)".into(),
                    key: None,
                },
                vec![],
            ));
        }
        let mut warnings = Vec::new();
        let (id_val, label_val, found) = match &m.keys {
            Keys::Custom { path, property } => {
                let Some(v) = key_at(row, path, "the custom match value")? else {
                    return Err(row_err(
                        format!("no value at `{path}` to match on property {property:?}"),
                        path,
                    ));
                };
                let hits = self.dir.by_property(kind, property, &v)?;
                let hits = self.merge(hits, std::iter::empty());
                if hits.len() > 1 {
                    return Err(row_err(
                        format!(
                            "ambiguous: several {} have {property} = {v:?}",
                            kind.as_str()
                        ),
                        path,
                    ));
                }
                let key = Key {
                    by: By::Property,
                    value: v,
                    property: Some(property.clone()),
                };
                match hits.into_iter().next() {
                    Some(c) => (None, None, Some((c, key))),
                    None => {
                        let reason = match op {
                            Op::Remove => "no match to delete",
                            Op::Write => "no match (custom matching only updates)",
                        };
                        return Ok((
                            Outcome::Skip {
                                reason: reason.into(),
                                key: Some(key),
                            },
                            vec![],
                        ));
                    }
                }
            }
            Keys::Standard { id, second } => {
                let label_what = if kind == Kind::Accounts {
                    "the name"
                } else {
                    "the email"
                };
                let id_val = match id {
                    Some(p) => key_at(row, p, "the ID")?.map(|v| (v, p)),
                    None => None,
                };
                let label_val = match second {
                    Some(p) => key_at(row, p, label_what)?.map(|v| (v, p)),
                    None => None,
                };
                if id_val.is_none() && label_val.is_none() {
                    let mapped: Vec<String> = [id, second]
                        .into_iter()
                        .flatten()
                        .map(|p| format!("`{p}`"))
                        .collect();
                    let first = id.as_ref().or(second.as_ref()).cloned().unwrap_or_default();
                    return Err(row_err(
                        format!("no key to match: {} blank or missing", mapped.join(" and ")),
                        &first,
                    ));
                }
                let found = self.find(
                    kind,
                    id_val.as_ref().map(|(v, p)| (v.as_str(), *p)),
                    label_val.as_ref().map(|(v, p)| (v.as_str(), *p)),
                )?;
                (id_val.map(|(v, _)| v), label_val.map(|(v, _)| v), found)
            }
            Keys::None => return Err(RowError::Row("events are not matched".into(), None)),
        };

        // The key a row that found nothing is shown with: its ID, else its name or email.
        let tried = |id_val: &Option<String>, label_val: &Option<String>| {
            id_val
                .clone()
                .map(|v| Key {
                    by: By::Id,
                    value: v,
                    property: None,
                })
                .or_else(|| {
                    label_val.clone().map(|v| Key {
                        by: label_by(kind),
                        value: v,
                        property: None,
                    })
                })
        };

        if matches!(op, Op::Remove) {
            return Ok(match found {
                Some((c, key)) => {
                    self.overlay.deleted.insert(c.target.clone());
                    (
                        Outcome::Delete {
                            target: c.target,
                            key,
                        },
                        warnings,
                    )
                }
                None => (
                    Outcome::Skip {
                        reason: "no match to delete".into(),
                        key: tried(&id_val, &label_val),
                    },
                    warnings,
                ),
            });
        }

        // Checked before the account link, which may add an account to this batch's overlay.
        check_properties(row, &m.properties, &mut warnings)?;
        let account = if kind == Kind::Contacts {
            self.account_link(row, &mut warnings)?
        } else {
            None
        };
        // A create never writes nulls (nothing to remove), so they are left out as the map is built.
        let properties = properties(owned_row, &m.properties, found.is_none());
        let (name, email) = match kind {
            Kind::Accounts => (label_val.clone(), None),
            _ => (None, label_val.clone()),
        };

        match found {
            Some((cand, key)) => {
                let mut external_id = None;
                if let Some(id) = &id_val {
                    match &cand.external_id {
                        None => {
                            external_id = Some(id.clone());
                            let learned = Cand {
                                external_id: Some(id.clone()),
                                ..cand.clone()
                            };
                            self.overlay.learn(kind, learned);
                        }
                        Some(stored) if stored != id => warnings.push(format!(
                            "kept the stored ID {stored:?}; the row's ID {id:?} was not written"
                        )),
                        Some(_) => {}
                    }
                }
                let record = Write {
                    external_id,
                    name,
                    email,
                    account,
                    properties,
                    ..Write::default()
                };
                Ok((
                    Outcome::Update {
                        target: cand.target,
                        key,
                        record,
                    },
                    warnings,
                ))
            }
            // Nothing is written, so warnings about what would have been (an unlinked account,
            // missing properties) would only mislead; errors in the row were reported above.
            None if m.behavior == Behavior::Update => Ok((
                Outcome::Skip {
                    reason: "no match (update only)".into(),
                    key: tried(&id_val, &label_val),
                },
                Vec::new(),
            )),
            None => {
                let (n, target) = self.overlay.new_target();
                let cand = Cand {
                    target,
                    external_id: id_val.clone(),
                    account: account.as_ref().map(|l| l.target.clone()),
                };
                self.overlay.add(kind, cand, label_val.as_deref());
                let key = tried(&id_val, &label_val);
                let record = Write {
                    external_id: id_val,
                    name,
                    email,
                    account,
                    properties,
                    ..Write::default()
                };
                Ok((
                    Outcome::Create {
                        new: n,
                        key,
                        record,
                    },
                    warnings,
                ))
            }
        }
    }

    /// Contacts with `account` mapped: found by ID then name; created under upsert.
    fn account_link(
        &mut self,
        row: &Map<String, Value>,
        warnings: &mut Vec<String>,
    ) -> Result<Option<Link>, RowError> {
        let Some((id_path, name_path)) = &self.m.account else {
            return Ok(None);
        };
        let id = match id_path {
            Some(p) => key_at(row, p, "the account ID")?.map(|v| (v, p)),
            None => None,
        };
        let name = match name_path {
            Some(p) => key_at(row, p, "the account name")?.map(|v| (v, p)),
            None => None,
        };
        if id.is_none() && name.is_none() {
            warnings.push("not linked to an account: no account ID or name in this row".into());
            return Ok(None);
        }
        let found = self.find(
            Kind::Accounts,
            id.as_ref().map(|(v, p)| (v.as_str(), *p)),
            name.as_ref().map(|(v, p)| (v.as_str(), *p)),
        )?;
        if let Some((c, key)) = found {
            return Ok(Some(Link {
                target: c.target,
                key,
                create: None,
            }));
        }
        let shown = id
            .as_ref()
            .or(name.as_ref())
            .map(|(v, _)| v.clone())
            .unwrap_or_default();
        if self.m.behavior == Behavior::Update {
            warnings.push(format!(
                "account {shown:?} not found; the contact stays unlinked (update only)"
            ));
            return Ok(None);
        }
        let (_, target) = self.overlay.new_target();
        let id_v = id.map(|(v, _)| v);
        let name_v = name.map(|(v, _)| v);
        let cand = Cand {
            target: target.clone(),
            external_id: id_v.clone(),
            account: None,
        };
        self.overlay.add(Kind::Accounts, cand, name_v.as_deref());
        let key = match &id_v {
            Some(v) => Key {
                by: By::Id,
                value: v.clone(),
                property: None,
            },
            None => Key {
                by: By::Name,
                value: name_v.clone().unwrap_or_default(),
                property: None,
            },
        };
        Ok(Some(Link {
            target,
            key,
            create: Some(NewAccount {
                external_id: id_v,
                name: name_v,
            }),
        }))
    }

    fn event(&mut self, owned_row: Row<'_>) -> RowResult {
        let row = owned_row.map();
        let Some(e) = &self.m.event else {
            return Err(RowError::Row("no event mapping".into(), None));
        };
        let mut warnings = Vec::new();
        let event_type = match &e.event_type {
            TypeSource::Value(v) => v.clone(),
            TypeSource::Path(p) => match get(row, p) {
                Some(Value::String(s)) if !s.trim().is_empty() => s.trim().to_string(),
                Some(Value::Number(n)) => n.to_string(),
                None | Some(Value::Null) | Some(Value::String(_)) => {
                    return Err(row_err(
                        format!("event type at `{p}` is blank or missing"),
                        p,
                    ))
                }
                Some(other) => {
                    return Err(row_err(
                        format!("event type at `{p}` is {}; expected text", json_type(other)),
                        p,
                    ))
                }
            },
        };
        let contact_id = match &e.contact_id {
            Some(p) => key_at(row, p, "the contact ID")?.map(|v| (v, p)),
            None => None,
        };
        let account_id = match &e.account_id {
            Some(p) => key_at(row, p, "the account ID")?.map(|v| (v, p)),
            None => None,
        };
        if contact_id.is_none() && account_id.is_none() {
            let mapped: Vec<String> = [&e.contact_id, &e.account_id]
                .into_iter()
                .flatten()
                .map(|p| format!("`{p}`"))
                .collect();
            let first = e
                .contact_id
                .as_ref()
                .or(e.account_id.as_ref())
                .cloned()
                .unwrap_or_default();
            return Err(row_err(
                format!(
                    "no contact or account ID: {} blank or missing",
                    mapped.join(" and ")
                ),
                &first,
            ));
        }
        let mut contact = None;
        let mut account = None;
        if let Some((id, p)) = &contact_id {
            let hits = self.lookup_external_id(Kind::Contacts, id)?;
            if hits.len() > 1 {
                return Err(row_err(
                    format!("ambiguous: several contacts have ID {id:?}"),
                    p,
                ));
            }
            let Some(c) = hits.into_iter().next() else {
                return Err(row_err(format!("unknown contact {id:?}"), p));
            };
            if account_id.is_none() {
                account = c.account.clone().map(|t| Link {
                    target: t,
                    key: Key {
                        by: By::Contact,
                        value: id.clone(),
                        property: None,
                    },
                    create: None,
                });
            }
            contact = Some(Link {
                target: c.target,
                key: Key {
                    by: By::Id,
                    value: id.clone(),
                    property: None,
                },
                create: None,
            });
        }
        if let Some((id, p)) = &account_id {
            let hits = self.lookup_external_id(Kind::Accounts, id)?;
            if hits.len() > 1 {
                return Err(row_err(
                    format!("ambiguous: several accounts have ID {id:?}"),
                    p,
                ));
            }
            let Some(c) = hits.into_iter().next() else {
                return Err(row_err(format!("unknown account {id:?}"), p));
            };
            account = Some(Link {
                target: c.target,
                key: Key {
                    by: By::Id,
                    value: id.clone(),
                    property: None,
                },
                create: None,
            });
        }
        let timestamp = match &e.timestamp {
            None => None,
            Some(p) => match get(row, p) {
                None | Some(Value::Null) => None,
                Some(Value::String(s)) if s.trim().is_empty() => None,
                Some(v) => Some(canonical(
                    parse_timestamp(v).map_err(|msg| row_err(msg, p))?,
                )),
            },
        };
        let event_id = match &e.id {
            Some(p) => key_at(row, p, "the event ID")?,
            None => None,
        };
        check_properties(row, &self.m.properties, &mut warnings)?;
        let properties = properties(owned_row, &self.m.properties, true);
        if let Some(id) = &event_id {
            if self.overlay.event_ids.contains(id) || self.dir.event_exists(id)? {
                return Ok((
                    Outcome::Duplicate {
                        event_id: id.clone(),
                    },
                    warnings,
                ));
            }
            self.overlay.event_ids.insert(id.clone());
        }
        let (n, _) = self.overlay.new_target();
        let record = Write {
            event_type: Some(event_type),
            contact,
            account,
            timestamp,
            event_id,
            properties,
            ..Write::default()
        };
        Ok((
            Outcome::Create {
                new: n,
                key: None,
                record,
            },
            warnings,
        ))
    }
}

fn label_by(kind: Kind) -> By {
    if kind == Kind::Accounts {
        By::Name
    } else {
        By::Email
    }
}

/// Whether the row has properties where the mapping says: an object (fine), missing or null
/// (warning, no properties), anything else (row error).
fn check_properties(
    row: &Map<String, Value>,
    src: &PropertySource,
    warnings: &mut Vec<String>,
) -> Result<(), RowError> {
    if src.path.is_root() {
        return Ok(());
    }
    match get(row, &src.path) {
        Some(Value::Object(_)) => Ok(()),
        None | Some(Value::Null) => {
            warnings.push(format!(
                "no properties: `{}` is missing or null in this row",
                src.path
            ));
            Ok(())
        }
        Some(other) => Err(row_err(
            format!(
                "properties at `{}` are {}; expected an object",
                src.path,
                json_type(other)
            ),
            &src.path,
        )),
    }
}

/// The row's properties per the mapping: `path` (default the row), then `include` / `exclude`,
/// without nulls when `drop_nulls`. Moved out of an owned row, copied from a shared one. Call
/// `check_properties` first.
fn properties(row: Row<'_>, src: &PropertySource, drop_nulls: bool) -> Map<String, Value> {
    let keep = |k: &String, v: &Value| {
        !(drop_nulls && v.is_null())
            && src
                .include
                .as_ref()
                .is_none_or(|inc| inc.iter().any(|i| i == k))
            && !src.exclude.iter().any(|x| x == k)
    };
    match row {
        Row::Shared(row) => {
            let base = if src.path.is_root() {
                row
            } else {
                match get(row, &src.path) {
                    Some(Value::Object(m)) => m,
                    _ => return Map::new(),
                }
            };
            let mut out = Map::with_capacity(base.len());
            for (k, v) in base {
                if keep(k, v) {
                    out.insert(k.clone(), v.clone());
                }
            }
            out
        }
        Row::Owned(row) => {
            let mut out = if src.path.is_root() {
                std::mem::take(row)
            } else {
                match src.path.get_in_mut(row) {
                    Some(Value::Object(m)) => std::mem::take(m),
                    _ => return Map::new(),
                }
            };
            out.retain(|k, v| keep(k, v));
            out
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::directory::MemoryDirectory;
    use crate::mapping::Mapping;
    use serde_json::json;

    fn run(mapping: Value, existing: Value, body: Value) -> Plan {
        let m = Mapping::from_value(&mapping).unwrap().compile().unwrap();
        let dir = MemoryDirectory::from_json(&existing).unwrap();
        plan(&body, &m, &dir).unwrap()
    }

    #[test]
    fn an_update_only_skip_carries_no_warnings_about_what_it_did_not_write() {
        let p = run(
            json!({"version": 1, "kind": "contacts", "behavior": "update", "match": {"id": "id"}, "account": {"name": "company"},
                   "properties": {"path": "traits"}}),
            json!({}),
            json!({"id": "u1", "company": "Nowhere"}),
        );
        assert_eq!(
            p.rows[0].outcome,
            Outcome::Skip {
                reason: "no match (update only)".into(),
                key: Some(Key {
                    by: By::Id,
                    value: "u1".into(),
                    property: None
                })
            }
        );
        assert!(p.rows[0].warnings.is_empty(), "{:?}", p.rows[0].warnings);
    }

    #[test]
    fn a_non_object_element_is_named_by_its_place_in_the_body() {
        let p = run(
            json!({"version": 1, "kind": "accounts", "wrapper_path": "data", "match": {"id": "id"}}),
            json!({}),
            json!({"data": [{"id": 1}, 7]}),
        );
        match &p.rows[1].outcome {
            Outcome::Error { path, .. } => assert_eq!(path.as_deref(), Some("data[1]")),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn a_delete_that_finds_nothing_says_so_and_shows_the_key() {
        let custom = run(
            json!({"version": 1, "kind": "accounts", "operation_path": "op", "on_removed": "delete", "match": {"custom": {"path": "d", "property": "d"}}}),
            json!({}),
            json!({"op": "deleted", "d": "x"}),
        );
        assert!(
            matches!(&custom.rows[0].outcome, Outcome::Skip { reason, key: Some(_) } if reason == "no match to delete")
        );
        let standard = run(
            json!({"version": 1, "kind": "contacts", "operation_path": "op", "on_removed": "delete", "match": {"email": "e"}}),
            json!({}),
            json!({"op": "removed", "e": "a@example.com"}),
        );
        assert_eq!(
            standard.rows[0].outcome,
            Outcome::Skip {
                reason: "no match to delete".into(),
                key: Some(Key {
                    by: By::Email,
                    value: "a@example.com".into(),
                    property: None
                })
            }
        );
    }

    #[test]
    fn custom_ambiguity_names_the_kind() {
        let p = run(
            json!({"version": 1, "kind": "contacts", "match": {"custom": {"path": "d", "property": "d"}}}),
            json!({"contacts": [{"properties": {"d": "x"}}, {"properties": {"d": "x"}}]}),
            json!({"d": "x"}),
        );
        assert!(
            matches!(&p.rows[0].outcome, Outcome::Error { error, .. } if error.starts_with("ambiguous: several contacts"))
        );
    }
}
