//! Applying a Plan on PostgreSQL in a few set statements instead of one round trip per row.
//!
//! The rows are walked in order in memory, exactly as `apply` writes them one by one on SQLite:
//! ids for the records the plan creates are taken from the tables' sequences up front (so they
//! ascend in row order, as SQLite's do), the records it updates are read once (`FOR UPDATE`), and
//! each record's final state is merged here. Then each table gets one multi-row INSERT and one
//! multi-row UPDATE, event types and events one statement each, and deletes go last. The stored
//! result is the one the row-by-row writes would leave.

use super::apply::{merged, Applied, ApplyContext};
use super::pg::PgConn;
use super::StoreError;
use inlet_core::normalize::fold;
use inlet_core::{Kind, Link, Outcome, Plan, Target};
use std::collections::{BTreeMap, HashMap, VecDeque};

#[derive(Default)]
struct Rec {
    new: bool,
    /// Existing records: only the fields this batch sets (None keeps the stored value).
    external_id: Option<String>,
    label: Option<String>,
    account_id: Option<i64>,
    /// The record's properties as JSON text: the stored or created ones, with the batch's
    /// later rows merged in (as SQLite's `apply` merges them, `inlet_core::Properties::merge_into`).
    properties: String,
}

#[derive(Default)]
struct Table {
    recs: BTreeMap<i64, Rec>,
    /// Stored properties (JSON text) of the existing records the plan updates, read once.
    stored: HashMap<i64, String>,
    deletes: Vec<i64>,
    ids: VecDeque<i64>,
}

struct NewEventRow {
    id: i64,
    type_name: String,
    account_id: Option<i64>,
    contact_id: Option<i64>,
    timestamp: String,
    event_id: Option<String>,
    properties: String,
}

fn next_ids(p: &PgConn, table: &str, n: usize) -> Result<VecDeque<i64>, StoreError> {
    if n == 0 {
        return Ok(VecDeque::new());
    }
    let rows = p.query(
        "SELECT nextval(pg_get_serial_sequence($1, 'id')) FROM generate_series(1, $2::int8)",
        &[&table, &(n as i64)],
    )?;
    Ok(rows.iter().map(|r| r.get::<_, i64>(0)).collect())
}

fn stored(p: &PgConn, table: &str, ids: &[i64]) -> Result<HashMap<i64, String>, StoreError> {
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    // `table` is one of two literals; the row locks keep another receiver's merge out until commit.
    let sql =
        format!("SELECT id, properties FROM {table} WHERE id = ANY($1) ORDER BY id FOR UPDATE");
    let rows = p.query(&sql, &[&ids])?;
    Ok(rows.iter().map(|r| (r.get(0), r.get(1))).collect())
}

fn existing_id(s: &str) -> Result<i64, StoreError> {
    s.parse()
        .map_err(|_| StoreError::Corrupt(format!("record id {s:?} is not a store id")))
}

struct Applier {
    accounts: Table,
    contacts: Table,
    new_ids: HashMap<usize, i64>,
}

impl Applier {
    fn table(&mut self, kind: Kind) -> &mut Table {
        match kind {
            Kind::Accounts => &mut self.accounts,
            _ => &mut self.contacts,
        }
    }

    fn resolve(&self, t: &Target) -> Result<i64, StoreError> {
        match t {
            Target::Existing(s) => existing_id(s),
            Target::New(n) => self.new_ids.get(n).copied().ok_or_else(|| {
                StoreError::Corrupt(format!(
                    "the plan refers to new record {n} before creating it"
                ))
            }),
        }
    }

    fn take_id(&mut self, kind: Kind) -> Result<i64, StoreError> {
        self.table(kind)
            .ids
            .pop_front()
            .ok_or_else(|| StoreError::Corrupt("more records created than counted".into()))
    }

    fn link(&mut self, link: Option<&Link>) -> Result<Option<i64>, StoreError> {
        match link {
            None => Ok(None),
            Some(Link {
                target,
                create: Some(a),
                ..
            }) => {
                let id = self.take_id(Kind::Accounts)?;
                self.accounts.recs.insert(
                    id,
                    Rec {
                        new: true,
                        external_id: a.external_id.clone(),
                        label: a.name.clone(),
                        properties: "{}".into(),
                        ..Rec::default()
                    },
                );
                if let Target::New(n) = target {
                    self.new_ids.insert(*n, id);
                }
                Ok(Some(id))
            }
            Some(Link { target, .. }) => self.resolve(target).map(Some),
        }
    }
}

/// Writes a plan without row errors in the caller's transaction (see the module comment).
pub fn apply(p: &PgConn, plan: &Plan, ctx: ApplyContext) -> Result<Applied, StoreError> {
    let creates_account = |l: Option<&Link>| {
        matches!(
            l,
            Some(Link {
                create: Some(_),
                ..
            })
        )
    };
    let (mut n_accounts, mut n_contacts, mut n_events) = (0, 0, 0);
    let (mut upd_accounts, mut upd_contacts) = (Vec::new(), Vec::new());
    for row in &plan.rows {
        match &row.outcome {
            Outcome::Create { record, .. } => {
                match plan.kind {
                    Kind::Accounts => n_accounts += 1,
                    Kind::Contacts => n_contacts += 1,
                    Kind::Events => n_events += 1,
                }
                n_accounts += usize::from(creates_account(record.account.as_deref()));
            }
            Outcome::Update { target, record, .. } => {
                n_accounts += usize::from(creates_account(record.account.as_deref()));
                if let Target::Existing(s) = target {
                    match plan.kind {
                        Kind::Accounts => upd_accounts.push(existing_id(s)?),
                        Kind::Contacts => upd_contacts.push(existing_id(s)?),
                        Kind::Events => {}
                    }
                }
            }
            Outcome::Error { error, .. } => {
                return Err(StoreError::Corrupt(format!(
                    "row {} has an error and cannot be written: {error}",
                    row.index
                )))
            }
            _ => {}
        }
    }
    upd_accounts.sort_unstable();
    upd_accounts.dedup();
    upd_contacts.sort_unstable();
    upd_contacts.dedup();
    let mut a = Applier {
        accounts: Table {
            ids: next_ids(p, "accounts", n_accounts)?,
            stored: stored(p, "accounts", &upd_accounts)?,
            ..Table::default()
        },
        contacts: Table {
            ids: next_ids(p, "contacts", n_contacts)?,
            stored: stored(p, "contacts", &upd_contacts)?,
            ..Table::default()
        },
        new_ids: HashMap::new(),
    };
    let mut event_ids = next_ids(p, "events", n_events)?;
    let mut events: Vec<NewEventRow> = Vec::new();
    let mut record_ids = Vec::with_capacity(plan.rows.len());
    for row in &plan.rows {
        let id = match &row.outcome {
            Outcome::Create { new, record: w, .. } => {
                let id = match plan.kind {
                    Kind::Events => {
                        let account_id = a.link(w.account.as_deref())?;
                        let contact_id = a.link(w.contact.as_deref())?;
                        let id = event_ids.pop_front().ok_or_else(|| {
                            StoreError::Corrupt("more events created than counted".into())
                        })?;
                        events.push(NewEventRow {
                            id,
                            type_name: w.event_type.clone().unwrap_or_else(|| "event".into()),
                            account_id,
                            contact_id,
                            timestamp: w.timestamp.clone().unwrap_or_else(|| {
                                ctx.event_time.unwrap_or(ctx.received_at).into()
                            }),
                            event_id: w.event_id.clone(),
                            properties: w.properties.as_str().to_string(),
                        });
                        id
                    }
                    kind => {
                        let account_id = if kind == Kind::Contacts {
                            a.link(w.account.as_deref())?
                        } else {
                            None
                        };
                        let id = a.take_id(kind)?;
                        let label = if kind == Kind::Accounts {
                            &w.name
                        } else {
                            &w.email
                        };
                        a.table(kind).recs.insert(
                            id,
                            Rec {
                                new: true,
                                external_id: w.external_id.clone(),
                                label: label.clone(),
                                account_id,
                                properties: w.properties.as_str().to_string(),
                            },
                        );
                        id
                    }
                };
                a.new_ids.insert(*new, id);
                Some(id)
            }
            Outcome::Update {
                target, record: w, ..
            } => {
                let kind = plan.kind;
                if kind == Kind::Events {
                    return Err(StoreError::Corrupt("events are never updated".into()));
                }
                let account_id = if kind == Kind::Contacts {
                    a.link(w.account.as_deref())?
                } else {
                    None
                };
                let id = a.resolve(target)?;
                let t = a.table(kind);
                let rec = match t.recs.get_mut(&id) {
                    Some(r) => Some(r),
                    // A record removed since the plan was made is left alone, as an UPDATE of
                    // no row would.
                    None => match t.stored.remove(&id) {
                        Some(properties) => Some(t.recs.entry(id).or_insert(Rec {
                            properties,
                            ..Rec::default()
                        })),
                        None => None,
                    },
                };
                if let Some(rec) = rec {
                    rec.properties = merged(&w.properties, &rec.properties)?;
                    if w.external_id.is_some() {
                        rec.external_id = w.external_id.clone();
                    }
                    let label = if kind == Kind::Accounts {
                        &w.name
                    } else {
                        &w.email
                    };
                    if label.is_some() {
                        rec.label = label.clone();
                    }
                    if account_id.is_some() {
                        rec.account_id = account_id;
                    }
                }
                Some(id)
            }
            Outcome::Delete { target, .. } => {
                let id = a.resolve(target)?;
                match plan.kind {
                    Kind::Events => {
                        return Err(StoreError::Corrupt("events are never deleted".into()))
                    }
                    kind => a.table(kind).deletes.push(id),
                }
                None
            }
            Outcome::Skip { .. } | Outcome::Duplicate { .. } | Outcome::Error { .. } => None,
        };
        record_ids.push(id);
    }
    write_accounts(p, &a.accounts, ctx)?;
    write_contacts(p, &a.contacts, ctx)?;
    write_events(p, &events, ctx)?;
    for (table, t) in [("contacts", &a.contacts), ("accounts", &a.accounts)] {
        if !t.deletes.is_empty() {
            p.execute(
                &format!("DELETE FROM {table} WHERE id = ANY($1)"),
                &[&t.deletes],
            )?;
        }
    }
    Ok(Applied { record_ids })
}

type Columns<'a> = (
    Vec<i64>,
    Vec<Option<&'a str>>,
    Vec<Option<&'a str>>,
    Vec<Option<String>>,
    Vec<String>,
);

fn split<'a>(t: &'a Table, new: bool) -> (Columns<'a>, Vec<Option<i64>>) {
    let mut c: Columns = Default::default();
    let mut accounts = Vec::new();
    for (id, r) in t.recs.iter().filter(|(_, r)| r.new == new) {
        c.0.push(*id);
        c.1.push(r.external_id.as_deref());
        c.2.push(r.label.as_deref());
        c.3.push(r.label.as_deref().map(fold));
        c.4.push(r.properties.clone());
        accounts.push(r.account_id);
    }
    (c, accounts)
}

fn write_accounts(p: &PgConn, t: &Table, ctx: ApplyContext) -> Result<(), StoreError> {
    let ((ids, ext, name, fold, props), _) = split(t, true);
    if !ids.is_empty() {
        p.execute(
            "INSERT INTO accounts (id, external_id, name, name_fold, properties, connection_id, created_at, updated_at, request_id)
             SELECT u.id, u.e, u.n, u.f, u.p, $6, $7, $7, $8
             FROM unnest($1::int8[], $2::text[], $3::text[], $4::text[], $5::text[]) AS u(id, e, n, f, p)",
            &[&ids, &ext, &name, &fold, &props, &ctx.connection_id, &ctx.received_at, &ctx.request_id],
        )?;
    }
    let ((ids, ext, name, fold, props), _) = split(t, false);
    if !ids.is_empty() {
        p.execute(
            "UPDATE accounts a SET properties = u.p, updated_at = $7, external_id = coalesce(u.e, a.external_id),
                 name = coalesce(u.n, a.name), name_fold = coalesce(u.f, a.name_fold), connection_id = $6,
                 request_id = coalesce($8, a.request_id)
             FROM unnest($1::int8[], $2::text[], $3::text[], $4::text[], $5::text[]) AS u(id, e, n, f, p)
             WHERE a.id = u.id",
            &[&ids, &ext, &name, &fold, &props, &ctx.connection_id, &ctx.received_at, &ctx.request_id],
        )?;
    }
    Ok(())
}

fn write_contacts(p: &PgConn, t: &Table, ctx: ApplyContext) -> Result<(), StoreError> {
    let ((ids, ext, email, fold, props), account) = split(t, true);
    if !ids.is_empty() {
        p.execute(
            "INSERT INTO contacts (id, external_id, email, email_fold, account_id, properties, connection_id, created_at, updated_at, request_id)
             SELECT u.id, u.e, u.m, u.f, u.a, u.p, $7, $8, $8, $9
             FROM unnest($1::int8[], $2::text[], $3::text[], $4::text[], $5::int8[], $6::text[]) AS u(id, e, m, f, a, p)",
            &[&ids, &ext, &email, &fold, &account, &props, &ctx.connection_id, &ctx.received_at, &ctx.request_id],
        )?;
    }
    let ((ids, ext, email, fold, props), account) = split(t, false);
    if !ids.is_empty() {
        p.execute(
            "UPDATE contacts c SET properties = u.p, updated_at = $8, external_id = coalesce(u.e, c.external_id),
                 email = coalesce(u.m, c.email), email_fold = coalesce(u.f, c.email_fold),
                 account_id = coalesce(u.a, c.account_id), connection_id = $7,
                 request_id = coalesce($9, c.request_id)
             FROM unnest($1::int8[], $2::text[], $3::text[], $4::text[], $5::int8[], $6::text[]) AS u(id, e, m, f, a, p)
             WHERE c.id = u.id",
            &[&ids, &ext, &email, &fold, &account, &props, &ctx.connection_id, &ctx.received_at, &ctx.request_id],
        )?;
    }
    Ok(())
}

fn write_events(p: &PgConn, events: &[NewEventRow], ctx: ApplyContext) -> Result<(), StoreError> {
    if events.is_empty() {
        return Ok(());
    }
    let mut names: Vec<&str> = events.iter().map(|e| e.type_name.as_str()).collect();
    names.sort_unstable();
    names.dedup();
    let types: HashMap<String, i64> = p
        .query(
            "INSERT INTO event_types (name, created_at) SELECT n, $2 FROM unnest($1::text[]) AS n
             ON CONFLICT (name) DO UPDATE SET name = excluded.name RETURNING name, id",
            &[&names, &ctx.received_at],
        )?
        .iter()
        .map(|r| (r.get(0), r.get(1)))
        .collect();
    let type_id = |n: &str| {
        types
            .get(n)
            .copied()
            .ok_or_else(|| StoreError::Corrupt(format!("event type {n:?} was not stored")))
    };
    let ids: Vec<i64> = events.iter().map(|e| e.id).collect();
    let type_ids: Vec<i64> = events
        .iter()
        .map(|e| type_id(&e.type_name))
        .collect::<Result<_, _>>()?;
    let account: Vec<Option<i64>> = events.iter().map(|e| e.account_id).collect();
    let contact: Vec<Option<i64>> = events.iter().map(|e| e.contact_id).collect();
    let ts: Vec<&str> = events.iter().map(|e| e.timestamp.as_str()).collect();
    let event_id: Vec<Option<&str>> = events.iter().map(|e| e.event_id.as_deref()).collect();
    let props: Vec<&str> = events.iter().map(|e| e.properties.as_str()).collect();
    p.execute(
        "INSERT INTO events (id, connection_id, event_type_id, account_id, contact_id, timestamp, event_id, properties,
             received_at, request_id)
         SELECT u.id, $8, u.t, u.a, u.c, u.ts, u.e, u.p, $9, $10
         FROM unnest($1::int8[], $2::int8[], $3::int8[], $4::int8[], $5::text[], $6::text[], $7::text[])
             AS u(id, t, a, c, ts, e, p)",
        &[&ids, &type_ids, &account, &contact, &ts, &event_id, &props, &ctx.connection_id, &ctx.received_at, &ctx.request_id],
    )?;
    Ok(())
}
