//! Matching and planning, docs/design.md §5, row by row in order. Rows of one batch see each other: a
//! record created or given an ID by an earlier row is found by a later one (an overlay on the
//! directory), so a batch never creates the same record twice.

use crate::directory::{BatchKeys, Directory, DirectoryError, Found};
use crate::json::write_text;
use crate::mapping::{Behavior, Compiled, Keys, Kind, OnRemoved, PropertySource, TypeSource};
use crate::node::{get_in, write_node, Entries, Node};
use crate::normalize::{fold, node_key, KeyValue};
use crate::path::Path;
use crate::payload::{node_rows, NodeSlot, PayloadError};
use crate::plan::{By, Key, Link, NewAccount, Outcome, Plan, Properties, RowPlan, Target, Write};
use crate::timestamp::{canonical, parse_timestamp_node};
use foldhash::{HashMap, HashSet};
use hashbrown::HashTable;
use std::hash::BuildHasher;

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
    fn existing(f: &Found) -> Cand {
        Cand {
            target: Target::Existing(f.id.clone()),
            external_id: f.external_id.clone(),
            account: f.account.clone().map(Target::Existing),
        }
    }
}

/// What a look-up found, as far as planning asks: nothing, the one candidate, or several (the
/// key is ambiguous; which they are does not matter, so none is kept past the first).
#[derive(Default)]
struct Hits {
    first: Option<Cand>,
    several: bool,
}

impl Hits {
    /// Whether `target` adds nothing: the hits are already several, or it is the first again.
    fn has(&self, target: impl FnOnce(&Target) -> bool) -> bool {
        self.several || self.first.as_ref().is_some_and(|c| target(&c.target))
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
    /// Per kind (`slot`): the candidate, whose own `external_id` is the key (so that recording
    /// one copies no key), and the hasher its hashes come from.
    by_external_id: [HashTable<usize>; 2],
    hasher: foldhash::fast::RandomState,
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
                    // Empty yet, so there is nothing to rehash.
                    o.by_external_id[slot(k)].reserve(rows, |_| 0);
                    o.by_label[slot(k)].reserve(rows);
                }
            }
        }
        o
    }

    /// A record this batch creates, or an existing one that learned its external ID; `label`
    /// is its name or email, folded (`normalize::fold`).
    fn add(&mut self, kind: Kind, cand: Cand, label: Option<String>) {
        let i = self.cands.len();
        let id_head = match &cand.external_id {
            Some(id) => {
                let (cands, hasher) = (&self.cands, &self.hasher);
                let hash_of = |&j: &usize| hasher.hash_one(cands[j].external_id.as_deref());
                let table = &mut self.by_external_id[slot(kind)];
                let key = Some(id.as_str());
                match table.find_mut(hasher.hash_one(key), |&j| {
                    cands[j].external_id.as_deref() == key
                }) {
                    Some(head) => Some(std::mem::replace(head, i)),
                    None => {
                        table.insert_unique(hasher.hash_one(key), i, hash_of);
                        None
                    }
                }
            }
            None => None,
        };
        let label_head = match label {
            Some(l) => self.by_label[slot(kind)].insert(l, i),
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

    /// The newest candidate this batch recorded with `id`.
    fn with_external_id(&self, kind: Kind, id: &str) -> Option<usize> {
        let key = Some(id);
        self.by_external_id[slot(kind)]
            .find(self.hasher.hash_one(key), |&j| {
                self.cands[j].external_id.as_deref() == key
            })
            .copied()
    }

    /// A stored hit, added to `hits` as `push_hit` says; copied only when it is kept.
    fn push_found(&self, hits: &mut Hits, f: &Found) {
        if !hits.has(|t| matches!(t, Target::Existing(id) if *id == f.id)) {
            self.push_hit(hits, Cand::existing(f));
        }
    }

    /// This batch's candidates under a key, after the stored ones.
    fn push_pending<'o>(&'o self, hits: &mut Hits, pending: impl Iterator<Item = &'o Cand>) {
        for c in pending {
            if !hits.has(|t| *t == c.target) && !self.deleted.contains(&c.target) {
                self.push_hit(hits, c.clone());
            }
        }
    }

    /// A hit, unless a row earlier in the batch deleted it or it is there already, with the
    /// external ID an earlier row gave it.
    fn push_hit(&self, hits: &mut Hits, mut c: Cand) {
        if hits.has(|t| *t == c.target)
            || (!self.deleted.is_empty() && self.deleted.contains(&c.target))
        {
            return;
        }
        if hits.first.is_some() {
            hits.several = true;
            return;
        }
        if !self.external_id_of.is_empty() {
            if let Some(id) = self.external_id_of.get(&c.target) {
                c.external_id = Some(id.clone());
            }
        }
        hits.first = Some(c);
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

struct Planner<'a, 'b> {
    m: &'a Compiled,
    dir: &'a dyn Directory,
    /// The operation found on the body around the rows (Census's envelope), read once.
    envelope_op: Option<&'a Node<'b>>,
    overlay: Overlay,
    /// Where each row's properties are written before they are copied out at their size.
    scratch: Vec<u8>,
    /// The current row's properties, when they were written before its turn (`Ahead`).
    ahead: Option<Ahead>,
}

/// A row's properties, written before the row is planned: they depend on the row alone, never
/// on earlier rows, so a caller that reads rows on one thread and plans them on another (the
/// CLI's preview of a file) writes them on the reading side, and planning in order is left
/// with only what order decides. A plan with them is the plan without them.
pub(crate) struct Ahead {
    /// What a create writes (without nulls).
    create: Properties,
    /// Whether an update writes the same (no null among them).
    same_for_update: bool,
}

impl Ahead {
    /// `row`'s properties under `src`, written with `scratch` as room.
    pub(crate) fn of(scratch: &mut Vec<u8>, row: &Node<'_>, src: &PropertySource) -> Option<Ahead> {
        let Node::Object(row) = row else {
            return None;
        };
        let mut nulls = false;
        let create = write_properties(scratch, row, src, true, &mut nulls);
        Some(Ahead {
            create,
            same_for_update: !nulls,
        })
    }
}

/// A row: an object's entries, read in place.
type Row<'r, 'b> = &'r Entries<'b>;

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

fn skip(reason: &str, key: Option<Key>) -> (Outcome, Vec<String>) {
    (
        Outcome::Skip {
            reason: reason.into(),
            key,
        },
        Vec::new(),
    )
}

/// Plans every row of `body` (a parsed, non-empty payload) through the mapping: the one way a
/// body becomes a plan. A body read from bytes (`payload::parse_doc`) is planned in place; a
/// caller holding a `serde_json::Value` passes `Node::from_value(&v)`, which borrows its strings.
pub fn plan(body: &Node<'_>, m: &Compiled, dir: &dyn Directory) -> Result<Plan, PlanError> {
    let slots = node_rows(body, &m.wrapper, m.max_rows)?;
    let envelope_op = m.operation.as_ref().and_then(|p| body.get(p));
    let mut batch = Batch::new(m, dir, envelope_op, slots.len());
    let mut out = Vec::with_capacity(slots.len());
    for slot in slots {
        out.push(batch.next(slot)?);
    }
    Ok(Plan {
        kind: m.kind,
        behavior: m.behavior,
        rows: out,
        summary: batch.summary,
    })
}

/// Rows planned one at a time, in order: what `plan` runs over a body's rows, and what a caller
/// runs that reads each row only when its turn comes (the CLI's streamed preview of a file of
/// any size, `preview::write_file_preview`), so that neither the body's tree nor the plan is
/// held whole. Both see the same rows plan the same way.
pub(crate) struct Batch<'a, 'b> {
    p: Planner<'a, 'b>,
    index: usize,
    pub(crate) summary: crate::plan::Summary,
}

impl<'a, 'b> Batch<'a, 'b> {
    /// `rows`: how many rows are expected (room is made for them; more may come).
    pub(crate) fn new(
        m: &'a Compiled,
        dir: &'a dyn Directory,
        envelope_op: Option<&'a Node<'b>>,
        rows: usize,
    ) -> Self {
        Batch {
            p: Planner {
                m,
                dir,
                envelope_op,
                overlay: Overlay::for_batch(m, rows),
                scratch: Vec::new(),
                ahead: None,
            },
            index: 0,
            summary: Default::default(),
        }
    }

    /// The plan of the next row: an object's entries, or why the element is not a row.
    pub(crate) fn next(&mut self, slot: NodeSlot<'_, 'b>) -> Result<RowPlan, PlanError> {
        self.next_with(slot, None)
    }

    /// `next`, with the row's properties written ahead (`Ahead::of` the same row and mapping).
    pub(crate) fn next_with(
        &mut self,
        slot: NodeSlot<'_, 'b>,
        ahead: Option<Ahead>,
    ) -> Result<RowPlan, PlanError> {
        self.p.ahead = ahead;
        let planned = self.plan_next(slot);
        // Unused (a skip, an error): never another row's.
        self.p.ahead = None;
        planned
    }

    fn plan_next(&mut self, slot: NodeSlot<'_, 'b>) -> Result<RowPlan, PlanError> {
        let index = self.index;
        self.index += 1;
        let result = match slot {
            Ok(row) => self.p.row(row),
            // The element is not a row, so its path is its place in the body (`data[3]`).
            Err(msg) => Err(RowError::Row(
                msg,
                Some(self.p.m.wrapper.child_index(index).to_string()),
            )),
        };
        let (outcome, warnings) = match result {
            Ok(ok) => ok,
            Err(RowError::Row(error, path)) => (Outcome::Error { error, path }, Vec::new()),
            // A failing store fails the request (503), not rows the sender can't fix.
            Err(RowError::Store(e)) => return Err(PlanError::Directory(e)),
        };
        self.summary.count(&outcome);
        Ok(RowPlan {
            index,
            outcome,
            warnings,
        })
    }
}

/// The keys `plan` may look up for `body`, gathered without a directory: a store fetches them in
/// a few set queries, then plans from that snapshot. Rows that are not objects and values that
/// cannot be keys are left out (they are row errors, which look nothing up). A body the planner
/// refuses gives the same error here.
pub fn batch_keys(body: &Node<'_>, m: &Compiled) -> Result<BatchKeys, PlanError> {
    let slots = node_rows(body, &m.wrapper, m.max_rows)?;
    let mut k = BatchKeys {
        creates: m.kind != Kind::Events && m.behavior == Behavior::Upsert,
        ..BatchKeys::default()
    };
    let value = |row: Row, p: &Option<Path>| match p {
        Some(p) => match node_key(get(row, p)) {
            KeyValue::Present(s) => Some(s),
            _ => None,
        },
        None => None,
    };
    let accounts = m.kind == Kind::Accounts;
    for row in slots.into_iter().flatten() {
        match &m.keys {
            Keys::Custom { path, property } => {
                if let KeyValue::Present(v) = node_key(get(row, path)) {
                    k.custom
                        .get_or_insert_with(|| (m.kind, property.clone(), Default::default()))
                        .2
                        .insert(v);
                }
            }
            Keys::Standard { id, second } => {
                let (ids, labels) = if accounts {
                    (&mut k.account_ids, &mut k.names)
                } else {
                    (&mut k.contact_ids, &mut k.emails)
                };
                ids.extend(value(row, id));
                labels.extend(value(row, second).map(|v| fold(&v)));
            }
            Keys::None => {}
        }
        if let Some((id, name)) = &m.account {
            k.account_ids.extend(value(row, id));
            k.names.extend(value(row, name).map(|v| fold(&v)));
        }
        if let Some(e) = &m.event {
            k.contact_ids.extend(value(row, &e.contact_id));
            k.account_ids.extend(value(row, &e.account_id));
            k.event_ids.extend(value(row, &e.id));
        }
    }
    Ok(k)
}

const WRITES: [&str; 5] = ["added", "changed", "created", "updated", "upsert"];
const REMOVES: [&str; 2] = ["removed", "deleted"];

/// Whether `row` is a removal under `m` (its operation, or the envelope's, is `removed` or
/// `deleted`), as `Planner::operation` reads it. A removed row carries little more than its
/// key (Census sends only the ID), so its shape says nothing about the rows written.
pub(crate) fn is_removal(row: &Entries<'_>, m: &Compiled, envelope_op: Option<&Node<'_>>) -> bool {
    let Some(path) = &m.operation else {
        return false;
    };
    match get_in(row, path).or(envelope_op) {
        Some(Node::String(s)) => {
            let s = s.trim();
            REMOVES.iter().any(|x| s.eq_ignore_ascii_case(x))
        }
        _ => false,
    }
}

enum Op {
    Write,
    Remove,
}

fn get<'r, 'b>(row: Row<'r, 'b>, path: &Path) -> Option<&'r Node<'b>> {
    get_in(row, path)
}

/// The normalised key at `path` (`what` names it in the error for a value that cannot be one).
fn key_at(row: Row, path: &Path, what: &str) -> Result<Option<String>, RowError> {
    match node_key(get(row, path)) {
        KeyValue::Absent => Ok(None),
        KeyValue::Present(s) => Ok(Some(s)),
        KeyValue::Invalid(t) => Err(row_err(
            format!("{what} at `{path}` is {t}; expected text or a number"),
            path,
        )),
    }
}

/// `key_at` for a key the mapping may leave out: the value with the path it came from.
fn mapped_key<'p>(
    row: Row,
    path: &'p Option<Path>,
    what: &str,
) -> Result<Option<(String, &'p Path)>, RowError> {
    match path {
        Some(p) => Ok(key_at(row, p, what)?.map(|v| (v, p))),
        None => Ok(None),
    }
}

/// The error for a row that has none of the keys the mapping names: "{lead}: `a` and `b` blank
/// or missing", at the first of them.
fn no_key(lead: &str, paths: [&Option<Path>; 2]) -> RowError {
    let mapped: Vec<String> = paths
        .into_iter()
        .flatten()
        .map(|p| format!("`{p}`"))
        .collect();
    let first = paths
        .into_iter()
        .flatten()
        .next()
        .cloned()
        .unwrap_or_default();
    row_err(
        format!("{lead}: {} blank or missing", mapped.join(" and ")),
        &first,
    )
}

/// The one candidate of a look-up, none, or the row's ambiguity error (`what` says what they
/// share, e.g. "have ID \"u1\"").
fn one(
    hits: Hits,
    noun: &str,
    what: impl FnOnce() -> String,
    path: &Path,
) -> Result<Option<Cand>, RowError> {
    if hits.several {
        return Err(row_err(
            format!("ambiguous: several {noun} {}", what()),
            path,
        ));
    }
    Ok(hits.first)
}

fn id_key(value: &str) -> Key {
    Key {
        by: By::Id,
        value: value.to_string(),
        property: None,
    }
}

/// The key a row that found nothing is shown with: its ID, else its name or email.
fn tried(kind: Kind, id: &Option<String>, label: &Option<String>) -> Option<Key> {
    match (id, label) {
        (Some(v), _) => Some(id_key(v)),
        (None, Some(v)) => Some(Key {
            by: label_by(kind),
            value: v.clone(),
            property: None,
        }),
        (None, None) => None,
    }
}

/// What matching a record row came to.
enum Matched {
    /// The row's keys (for a record created or updated) and what they found.
    Keys {
        id: Option<String>,
        label: Option<String>,
        /// `label`, folded (`normalize::fold`), if a look-up needed it: what it matched by, and
        /// what a record this row creates is found by later in the batch (folded then if not yet).
        folded: Option<String>,
        found: Option<(Cand, Key)>,
    },
    /// The row ends here (custom matching found nothing).
    Done(Box<(Outcome, Vec<String>)>),
}

impl<'a, 'b> Planner<'a, 'b> {
    fn row(&mut self, row: Row<'_, 'b>) -> RowResult {
        let op = self.operation(row)?;
        match (self.m.kind, op) {
            (Kind::Events, Op::Remove) => Ok(skip("removed rows are ignored for events", None)),
            (Kind::Events, Op::Write) => self.event(row),
            (kind, op) => self.record(kind, row, op),
        }
    }

    /// The operation field is read from the row, then from the body around it (Census and
    /// batched Hightouch templates put it on the envelope).
    fn operation(&self, row: Row<'_, 'b>) -> Result<Op, RowError> {
        let Some(path) = &self.m.operation else {
            return Ok(Op::Write);
        };
        match get(row, path).or(self.envelope_op) {
            None | Some(Node::Null) => Err(row_err(format!("no operation at `{path}`"), path)),
            Some(Node::String(s)) => match s.trim() {
                w if WRITES.iter().any(|x| w.eq_ignore_ascii_case(x)) => Ok(Op::Write),
                r if REMOVES.iter().any(|x| r.eq_ignore_ascii_case(x)) => Ok(Op::Remove),
                other => Err(row_err(
                    format!("unknown operation {other:?}; expected added, changed, created, updated, upsert, removed or deleted"),
                    path,
                )),
            },
            Some(other) => Err(row_err(format!("operation at `{path}` is {}; expected text", other.json_type()), path)),
        }
    }

    fn lookup_external_id(&mut self, kind: Kind, id: &str) -> Result<Hits, RowError> {
        let o = &self.overlay;
        let mut hits = Hits::default();
        self.dir
            .each_by_external_id(kind, id, &mut |f| o.push_found(&mut hits, f))?;
        let head = o.with_external_id(kind, id);
        o.push_pending(&mut hits, o.chained(head, &o.chain_id));
        Ok(hits)
    }

    /// `folded`: the row's name or email, folded once for every look-up (the directory's own
    /// folding then finds nothing to do).
    fn lookup_label(&mut self, kind: Kind, folded: &str) -> Result<Hits, RowError> {
        let o = &self.overlay;
        let mut hits = Hits::default();
        self.dir
            .each_by_label(kind, folded, &mut |f| o.push_found(&mut hits, f))?;
        let index = &o.by_label[slot(kind)];
        let head = if index.is_empty() {
            None
        } else {
            index.get(folded).copied()
        };
        o.push_pending(&mut hits, o.chained(head, &o.chain_label));
        Ok(hits)
    }

    /// ID first, then name (accounts) or email (contacts): the label as written and where it
    /// was. `folded` gets the label folded when a look-up needs it (a row found by its ID never
    /// does), for the caller to reuse.
    fn find(
        &mut self,
        kind: Kind,
        id: Option<(&str, &Path)>,
        label: Option<(&str, &Path)>,
        folded: &mut Option<String>,
    ) -> Result<Option<(Cand, Key)>, RowError> {
        let noun = kind.as_str();
        if let Some((id, path)) = id {
            let hits = self.lookup_external_id(kind, id)?;
            if let Some(c) = one(hits, noun, || format!("have ID {id:?}"), path)? {
                return Ok(Some((c, id_key(id))));
            }
        }
        if let Some((label, path)) = label {
            let folded = folded.get_or_insert_with(|| fold(label));
            let hits = self.lookup_label(kind, folded)?;
            let what = if kind == Kind::Accounts {
                "are named"
            } else {
                "have the email"
            };
            if let Some(c) = one(hits, noun, || format!("{what} {label:?}"), path)? {
                let key = Key {
                    by: label_by(kind),
                    value: label.to_string(),
                    property: None,
                };
                return Ok(Some((c, key)));
            }
        }
        Ok(None)
    }

    /// Custom matching: the one stored record whose property holds the row's value; a row that
    /// finds none is skipped (custom matching never creates).
    fn match_custom(
        &mut self,
        kind: Kind,
        row: Row<'_, 'b>,
        op: &Op,
        path: &Path,
        property: &str,
    ) -> Result<Matched, RowError> {
        let Some(v) = key_at(row, path, "the custom match value")? else {
            return Err(row_err(
                format!("no value at `{path}` to match on property {property:?}"),
                path,
            ));
        };
        let mut hits = Hits::default();
        for f in &self.dir.by_property(kind, property, &v)? {
            self.overlay.push_found(&mut hits, f);
        }
        let found = one(
            hits,
            kind.as_str(),
            || format!("have {property} = {v:?}"),
            path,
        )?;
        let key = Key {
            by: By::Property,
            value: v,
            property: Some(property.to_string()),
        };
        Ok(match found {
            Some(c) => Matched::Keys {
                id: None,
                label: None,
                folded: None,
                found: Some((c, key)),
            },
            None => Matched::Done(Box::new(skip(
                match op {
                    Op::Remove => "no match to delete",
                    Op::Write => "no match (custom matching only updates)",
                },
                Some(key),
            ))),
        })
    }

    /// ID and name (accounts) or email (contacts): at least one must be in the row.
    fn match_standard(
        &mut self,
        kind: Kind,
        row: Row<'_, 'b>,
        id: &Option<Path>,
        second: &Option<Path>,
    ) -> Result<Matched, RowError> {
        let label_what = if kind == Kind::Accounts {
            "the name"
        } else {
            "the email"
        };
        let id_val = mapped_key(row, id, "the ID")?;
        let label_val = mapped_key(row, second, label_what)?;
        if id_val.is_none() && label_val.is_none() {
            return Err(no_key("no key to match", [id, second]));
        }
        let mut folded = None;
        let found = self.find(
            kind,
            id_val.as_ref().map(|(v, p)| (v.as_str(), *p)),
            label_val.as_ref().map(|(v, p)| (v.as_str(), *p)),
            &mut folded,
        )?;
        Ok(Matched::Keys {
            id: id_val.map(|(v, _)| v),
            label: label_val.map(|(v, _)| v),
            folded,
            found,
        })
    }

    fn record(&mut self, kind: Kind, row: Row<'_, 'b>, op: Op) -> RowResult {
        let m = self.m;
        if matches!(op, Op::Remove) && m.on_removed == OnRemoved::Ignore {
            return Ok(skip("removed row ignored (on_removed: ignore)", None));
        }
        let matched = match &m.keys {
            Keys::Custom { path, property } => self.match_custom(kind, row, &op, path, property)?,
            Keys::Standard { id, second } => self.match_standard(kind, row, id, second)?,
            Keys::None => return Err(RowError::Row("events are not matched".into(), None)),
        };
        let (id_val, label_val, folded, found) = match matched {
            Matched::Done(done) => return Ok(*done),
            Matched::Keys {
                id,
                label,
                folded,
                found,
            } => (id, label, folded, found),
        };
        match op {
            Op::Remove => Ok(self.remove(kind, found, &id_val, &label_val)),
            Op::Write => self.write(kind, row, id_val, (label_val, folded), found),
        }
    }

    fn remove(
        &mut self,
        kind: Kind,
        found: Option<(Cand, Key)>,
        id_val: &Option<String>,
        label_val: &Option<String>,
    ) -> (Outcome, Vec<String>) {
        match found {
            Some((c, key)) => {
                self.overlay.deleted.insert(c.target.clone());
                (
                    Outcome::Delete {
                        target: c.target,
                        key,
                    },
                    Vec::new(),
                )
            }
            None => skip("no match to delete", tried(kind, id_val, label_val)),
        }
    }

    /// A create or update of a matched (or unmatched) record row.
    fn write(
        &mut self,
        kind: Kind,
        row: Row<'_, 'b>,
        id_val: Option<String>,
        (label_val, folded): (Option<String>, Option<String>),
        found: Option<(Cand, Key)>,
    ) -> RowResult {
        let m = self.m;
        let mut warnings = Vec::new();
        // Checked before the account link, which may add an account to this batch's overlay.
        check_properties(row, &m.properties, &mut warnings)?;
        let account = if kind == Kind::Contacts {
            self.account_link(row, &mut warnings)?
        } else {
            None
        };
        // The name or email goes to the record it writes (after the key that may show it).
        let name_email = |label: Option<String>| match kind {
            Kind::Accounts => (label, None),
            _ => (None, label),
        };
        match found {
            Some((cand, key)) => {
                let external_id = self.learn_id(kind, &cand, &id_val, &mut warnings);
                let (name, email) = name_email(label_val);
                let record = Write {
                    external_id,
                    name,
                    email,
                    account: account.map(Box::new),
                    properties: self.properties(row, false),
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
            None if m.behavior == Behavior::Update => Ok(skip(
                "no match (update only)",
                tried(kind, &id_val, &label_val),
            )),
            None => {
                let (n, target) = self.overlay.new_target();
                let cand = Cand {
                    target,
                    external_id: id_val.clone(),
                    account: account.as_ref().map(|l| l.target.clone()),
                };
                let folded = folded.or_else(|| label_val.as_deref().map(fold));
                self.overlay.add(kind, cand, folded);
                let key = tried(kind, &id_val, &label_val);
                let (name, email) = name_email(label_val);
                let record = Write {
                    external_id: id_val,
                    name,
                    email,
                    account: account.map(Box::new),
                    // A create never writes nulls (nothing to remove).
                    properties: self.properties(row, true),
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

    /// The ID an update writes: the row's, when the stored record has none (later rows then find
    /// it by that ID); a different stored ID is kept, with a warning.
    fn learn_id(
        &mut self,
        kind: Kind,
        cand: &Cand,
        id_val: &Option<String>,
        warnings: &mut Vec<String>,
    ) -> Option<String> {
        let id = id_val.as_ref()?;
        match &cand.external_id {
            None => {
                let learned = Cand {
                    external_id: Some(id.clone()),
                    ..cand.clone()
                };
                self.overlay.learn(kind, learned);
                Some(id.clone())
            }
            Some(kept) if kept != id => {
                // Where the kept ID comes from: the store, or an earlier row of this batch (which
                // created the record, or gave a stored one its first ID).
                let earlier = matches!(cand.target, Target::New(_))
                    || self.overlay.external_id_of.contains_key(&cand.target);
                warnings.push(if earlier {
                    format!("kept the ID {kept:?} an earlier row of this batch gave the record; the row's ID {id:?} was not written")
                } else {
                    format!("kept the stored ID {kept:?}; the row's ID {id:?} was not written")
                });
                None
            }
            Some(_) => None,
        }
    }

    /// Contacts with `account` mapped: found by ID then name; created under upsert.
    fn account_link(
        &mut self,
        row: Row<'_, 'b>,
        warnings: &mut Vec<String>,
    ) -> Result<Option<Link>, RowError> {
        let Some((id_path, name_path)) = &self.m.account else {
            return Ok(None);
        };
        let id = mapped_key(row, id_path, "the account ID")?;
        let name = mapped_key(row, name_path, "the account name")?;
        if id.is_none() && name.is_none() {
            warnings.push("not linked to an account: no account ID or name in this row".into());
            return Ok(None);
        }
        let mut folded = None;
        let found = self.find(
            Kind::Accounts,
            id.as_ref().map(|(v, p)| (v.as_str(), *p)),
            name.as_ref().map(|(v, p)| (v.as_str(), *p)),
            &mut folded,
        )?;
        if let Some((c, key)) = found {
            return Ok(Some(Link {
                target: c.target,
                key,
                create: None,
            }));
        }
        let id_v = id.map(|(v, _)| v);
        let name_v = name.map(|(v, _)| v);
        if self.m.behavior == Behavior::Update {
            let shown = id_v
                .as_ref()
                .or(name_v.as_ref())
                .cloned()
                .unwrap_or_default();
            warnings.push(format!(
                "account {shown:?} not found; the contact stays unlinked (update only)"
            ));
            return Ok(None);
        }
        let (_, target) = self.overlay.new_target();
        let cand = Cand {
            target: target.clone(),
            external_id: id_v.clone(),
            account: None,
        };
        let folded = folded.or_else(|| name_v.as_deref().map(fold));
        self.overlay.add(Kind::Accounts, cand, folded);
        let key = tried(Kind::Accounts, &id_v, &name_v).unwrap_or_else(|| Key {
            by: By::Name,
            value: String::new(),
            property: None,
        });
        Ok(Some(Link {
            target,
            key,
            create: Some(NewAccount {
                external_id: id_v,
                name: name_v,
            }),
        }))
    }

    fn event(&mut self, row: Row<'_, 'b>) -> RowResult {
        let Some(e) = &self.m.event else {
            return Err(RowError::Row("no event mapping".into(), None));
        };
        let mut warnings = Vec::new();
        let event_type = event_type(row, &e.event_type)?;
        let contact_id = mapped_key(row, &e.contact_id, "the contact ID")?;
        let account_id = mapped_key(row, &e.account_id, "the account ID")?;
        if contact_id.is_none() && account_id.is_none() {
            return Err(no_key(
                "no contact or account ID",
                [&e.contact_id, &e.account_id],
            ));
        }
        let (contact, account) = self.event_links(contact_id, account_id)?;
        let timestamp = match &e.timestamp {
            None => None,
            Some(p) => match get(row, p) {
                None | Some(Node::Null) => None,
                Some(Node::String(s)) if s.trim().is_empty() => None,
                Some(v) => Some(canonical(
                    parse_timestamp_node(v).map_err(|msg| row_err(msg, p))?,
                )),
            },
        };
        let event_id = match &e.id {
            Some(p) => key_at(row, p, "the event ID")?,
            None => None,
        };
        check_properties(row, &self.m.properties, &mut warnings)?;
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
            contact: contact.map(Box::new),
            account: account.map(Box::new),
            timestamp,
            event_id,
            properties: self.properties(row, true),
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

    /// An event's contact and account, each by its ID; without an account ID, the contact's
    /// account.
    fn event_links(
        &mut self,
        contact_id: Option<(String, &Path)>,
        account_id: Option<(String, &Path)>,
    ) -> Result<(Option<Link>, Option<Link>), RowError> {
        let mut link = |kind: Kind, id: &str, path: &Path| -> Result<Cand, RowError> {
            let hits = self.lookup_external_id(kind, id)?;
            let noun = kind.as_str();
            match one(hits, noun, || format!("have ID {id:?}"), path)? {
                Some(c) => Ok(c),
                None => Err(row_err(
                    format!("unknown {} {id:?}", &noun[..noun.len() - 1]),
                    path,
                )),
            }
        };
        let mut contact = None;
        let mut account = None;
        if let Some((id, p)) = &contact_id {
            let c = link(Kind::Contacts, id, p)?;
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
                key: id_key(id),
                create: None,
            });
        }
        if let Some((id, p)) = &account_id {
            let c = link(Kind::Accounts, id, p)?;
            account = Some(Link {
                target: c.target,
                key: id_key(id),
                create: None,
            });
        }
        Ok((contact, account))
    }
}

/// An event's type: the mapping's fixed value, or the row's text (or number) at its path.
fn event_type(row: Row, src: &TypeSource) -> Result<String, RowError> {
    let p = match src {
        TypeSource::Value(v) => return Ok(v.clone()),
        TypeSource::Path(p) => p,
    };
    match get(row, p) {
        Some(Node::String(s)) if !s.trim().is_empty() => Ok(s.trim().to_string()),
        Some(Node::Number(n)) => Ok(n.to_string()),
        None | Some(Node::Null) | Some(Node::String(_)) => Err(row_err(
            format!("event type at `{p}` is blank or missing"),
            p,
        )),
        Some(other) => Err(row_err(
            format!(
                "event type at `{p}` is {}; expected text",
                other.json_type()
            ),
            p,
        )),
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
    row: Row,
    src: &PropertySource,
    warnings: &mut Vec<String>,
) -> Result<(), RowError> {
    if src.path.is_root() {
        return Ok(());
    }
    match get(row, &src.path) {
        Some(Node::Object(_)) => Ok(()),
        None | Some(Node::Null) => {
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
                other.json_type()
            ),
            &src.path,
        )),
    }
}

impl Planner<'_, '_> {
    /// The row's properties: written ahead, or now. Call `check_properties` first.
    fn properties(&mut self, row: Row, drop_nulls: bool) -> Properties {
        match self.ahead.take() {
            Some(a) if drop_nulls || a.same_for_update => a.create,
            _ => write_properties(
                &mut self.scratch,
                row,
                &self.m.properties,
                drop_nulls,
                &mut false,
            ),
        }
    }
}

/// The row's properties per the mapping: `path` (default the row), then `include` / `exclude`,
/// without nulls when `drop_nulls` (`dropped` is set when one was), written as JSON text.
fn write_properties(
    out: &mut Vec<u8>,
    row: Row,
    src: &PropertySource,
    drop_nulls: bool,
    dropped: &mut bool,
) -> Properties {
    let base: &Entries = if src.path.is_root() {
        row
    } else {
        match get(row, &src.path) {
            Some(Node::Object(m)) => m,
            _ => &[],
        }
    };
    out.clear();
    out.push(b'{');
    let mut first = true;
    for (k, v) in base {
        let keep = src
            .include
            .as_ref()
            .is_none_or(|inc| inc.iter().any(|i| i == k))
            && !src.exclude.iter().any(|x| x == k);
        if keep && drop_nulls && v.is_null() {
            *dropped = true;
            continue;
        }
        if keep {
            if !first {
                out.push(b',');
            }
            first = false;
            write_text(out, k);
            out.push(b':');
            write_node(out, v);
        }
    }
    out.push(b'}');
    Properties::from_text(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::directory::MemoryDirectory;
    use crate::mapping::Mapping;
    use serde_json::{json, Value};

    /// What a store fetches for a batch: only the records one of its keys names.
    fn restricted(existing: &Value, keys: &BatchKeys) -> Value {
        let kept = |list: &Value,
                    ids: &std::collections::BTreeSet<String>,
                    labels: &std::collections::BTreeSet<String>,
                    label: &str,
                    kind: Kind| {
            let list = list.as_array().cloned().unwrap_or_default();
            Value::Array(
                list.into_iter()
                    .filter(|r| {
                        let id = r["external_id"].as_str().is_some_and(|v| ids.contains(v));
                        let l = r[label].as_str().is_some_and(|v| labels.contains(&fold(v)));
                        let custom = keys.custom.as_ref().is_some_and(|(k, p, vals)| {
                            *k == kind
                                && crate::normalize::property_key(&r["properties"][p.as_str()])
                                    .is_some_and(|v| vals.contains(&v))
                        });
                        id || l || custom
                    })
                    .collect(),
            )
        };
        let events: Vec<Value> = existing["event_ids"]
            .as_array()
            .cloned()
            .unwrap_or_default()
            .into_iter()
            .filter(|e| e.as_str().is_some_and(|e| keys.event_ids.contains(e)))
            .collect();
        json!({
            "accounts": kept(&existing["accounts"], &keys.account_ids, &keys.names, "name", Kind::Accounts),
            "contacts": kept(&existing["contacts"], &keys.contact_ids, &keys.emails, "email", Kind::Contacts),
            "event_ids": events,
        })
    }

    #[test]
    fn planning_from_the_records_a_batch_keys_name_equals_planning_against_everything() {
        let existing = json!({
            "accounts": [{"id": "a1", "external_id": "o1", "name": "Acme"}, {"id": "a2", "external_id": "o2", "name": "Other"},
                         {"id": "a3", "name": " ACME"}, {"id": "a4", "external_id": "o4", "properties": {"domain": "d.example", "n": 42}},
                         {"id": "a5", "external_id": "unrelated", "name": "Unrelated"}],
            "contacts": [{"id": "c1", "external_id": "u1", "email": "Ada@X.example", "account": "a1", "properties": {"n": 7}},
                         {"id": "c2", "email": "bob@x.example"}, {"id": "c3", "external_id": "u3", "account": "a2"},
                         {"id": "c9", "external_id": "zz", "email": "zz@x.example"}],
            "event_ids": ["m1", "m9"]
        });
        let cases = [
            (
                json!({"version": 1, "kind": "accounts", "match": {"id": "id", "name": "name"}}),
                json!([{"id": "o1"}, {"name": "acme"}, {"id": 99, "name": "Other"}, {"name": "New"}, {"id": "o9"}, {"id": true}, 5]),
            ),
            (
                json!({"version": 1, "kind": "contacts", "operation_path": "op", "on_removed": "delete", "match": {"id": "id", "email": "email"}, "account": {"id": "org", "name": "co"}}),
                json!([{"op": "added", "id": "u1", "org": "o2"}, {"op": "added", "email": "BOB@x.example", "co": "acme"},
                    {"op": "deleted", "id": "u3"}, {"op": "added", "id": "u3", "co": "Brand New"}, {"op": "added", "email": "new@x.example", "co": "brand new"}]),
            ),
            (
                json!({"version": 1, "kind": "accounts", "match": {"custom": {"path": "d", "property": "domain"}}}),
                json!([{"d": "d.example"}, {"d": " d.example "}, {"d": "nope.example"}]),
            ),
            (
                json!({"version": 1, "kind": "contacts", "behavior": "update", "match": {"custom": {"path": "n", "property": "n"}}}),
                json!([{"n": 7.0}, {"n": "7"}, {"n": 8}]),
            ),
            (
                json!({"version": 1, "kind": "events", "event": {"type": {"value": "Seen"}, "contact_id": "u", "account_id": "o", "id": "mid"}}),
                json!([{"u": "u1", "mid": "m1"}, {"u": "u3", "mid": "m2"}, {"o": "o2", "mid": "m2"}, {"o": "o1"}, {"u": "nobody"}, {"o": "o9", "mid": "m9"}]),
            ),
        ];
        for (mapping, body) in cases {
            let m = Mapping::from_value(&mapping).unwrap().compile().unwrap();
            let everything = MemoryDirectory::from_json(&existing).unwrap();
            let body = Node::from_value(&body);
            let keys = batch_keys(&body, &m).unwrap();
            let some = MemoryDirectory::from_json(&restricted(&existing, &keys)).unwrap();
            assert_eq!(
                plan(&body, &m, &some).unwrap(),
                plan(&body, &m, &everything).unwrap(),
                "{mapping}"
            );
        }
    }

    #[test]
    fn batch_keys_say_whether_rows_may_create_records() {
        // What a store serialises across writers: only accounts and contacts under upsert create.
        let creates = |mapping: Value| {
            let m = Mapping::from_value(&mapping).unwrap().compile().unwrap();
            let body = json!([{"id": "x", "email": "a@example.com", "name": "A", "u": "x"}]);
            batch_keys(&Node::from_value(&body), &m).unwrap().creates
        };
        assert!(creates(
            json!({"version": 1, "kind": "accounts", "match": {"id": "id", "name": "name"}})
        ));
        assert!(creates(
            json!({"version": 1, "kind": "contacts", "match": {"id": "id", "email": "email"}})
        ));
        assert!(!creates(
            json!({"version": 1, "kind": "contacts", "behavior": "update", "match": {"id": "id"}})
        ));
        assert!(!creates(
            json!({"version": 1, "kind": "accounts", "behavior": "update", "match": {"name": "name"}})
        ));
        assert!(!creates(
            json!({"version": 1, "kind": "events", "event": {"type": {"value": "Seen"}, "contact_id": "u"}})
        ));
    }

    fn run(mapping: Value, existing: Value, body: Value) -> Plan {
        let m = Mapping::from_value(&mapping).unwrap().compile().unwrap();
        let dir = MemoryDirectory::from_json(&existing).unwrap();
        plan(&Node::from_value(&body), &m, &dir).unwrap()
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
