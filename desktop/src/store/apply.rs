//! Applying a Plan: the core decided every row; this only writes what it says, in the caller's
//! transaction. `Target::New(n)` is the n-th record the plan creates; it is mapped to the id SQLite
//! gives it, in order, so later rows of the same plan can refer to it. On PostgreSQL the same
//! plan is written in a few set statements (`pg_apply`).

use super::queries::{accounts, contacts, event_types, events, Kept, Stored};
use super::{StoreError, Tx};
use inlet_core::plan::NewAccount;
use inlet_core::{Kind, Link, Outcome, Plan, Target, Write};
use serde_json::Map;
use std::collections::HashMap;

/// Who and when, for the rows a plan writes.
#[derive(Debug, Clone, Copy)]
pub struct ApplyContext<'a> {
    pub connection_id: &'a str,
    /// RFC 3339 UTC: when the rows were received (and written).
    pub received_at: &'a str,
    /// The time events without a timestamp take when it is not `received_at`: a replay's
    /// events happened when the original request arrived.
    pub event_time: Option<&'a str>,
    pub request_id: Option<&'a str>,
}

/// The id of the record each row wrote (None for skips, duplicates and deletes).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Applied {
    pub record_ids: Vec<Option<i64>>,
}

/// A key the update gives, if it differs from the stored one.
fn changed<'a>(given: &'a Option<String>, stored: &Option<String>) -> Option<&'a str> {
    given.as_deref().filter(|g| stored.as_deref() != Some(*g))
}

/// The stored properties with an update's merged in, read and written as text: top-level keys
/// of the update overwrite, `null` removes the key (both stores).
pub(super) fn merged(patch: &inlet_core::Properties, stored: &str) -> Result<String, StoreError> {
    patch
        .merge_into(stored)
        .map_err(|e| StoreError::Corrupt(e.to_string()))
}

struct Applier<'a> {
    c: Tx<'a>,
    ctx: ApplyContext<'a>,
    /// The plan's records as its look-ups read them.
    kept: Kept,
    new_ids: HashMap<usize, i64>,
    types: HashMap<String, i64>,
    /// Accounts and contacts created, linked to the request in one statement each at the end
    /// (an update sets it in its own statement).
    linked: [Vec<i64>; 2],
}

impl<'a> Applier<'a> {
    fn resolve(&self, t: &Target) -> Result<i64, StoreError> {
        match t {
            Target::Existing(s) => s
                .parse()
                .map_err(|_| StoreError::Corrupt(format!("record id {s:?} is not a store id"))),
            Target::New(n) => self.new_ids.get(n).copied().ok_or_else(|| {
                StoreError::Corrupt(format!(
                    "the plan refers to new record {n} before creating it"
                ))
            }),
        }
    }

    fn create_account(&mut self, target: &Target, a: &NewAccount) -> Result<i64, StoreError> {
        let id = accounts::insert(
            self.c,
            a.external_id.as_deref(),
            a.name.as_deref(),
            &Map::new(),
            Some(self.ctx.connection_id),
            self.ctx.received_at,
        )?;
        self.link_request(Kind::Accounts, id)?;
        if let Target::New(n) = target {
            self.new_ids.insert(*n, id);
        }
        Ok(id)
    }

    /// Records the request that wrote the record last (events carry it from their insert).
    fn link_request(&mut self, kind: Kind, id: i64) -> Result<(), StoreError> {
        match kind {
            Kind::Accounts => self.linked[0].push(id),
            Kind::Contacts => self.linked[1].push(id),
            Kind::Events => {}
        }
        Ok(())
    }

    fn link(&mut self, link: Option<&Link>) -> Result<Option<i64>, StoreError> {
        match link {
            None => Ok(None),
            Some(Link {
                target,
                create: Some(a),
                ..
            }) => self.create_account(target, a).map(Some),
            Some(Link { target, .. }) => self.resolve(target).map(Some),
        }
    }

    fn create(&mut self, kind: Kind, new: usize, w: &Write) -> Result<i64, StoreError> {
        let conn = Some(self.ctx.connection_id);
        let now = self.ctx.received_at;
        let id = match kind {
            Kind::Accounts => accounts::insert(
                self.c,
                w.external_id.as_deref(),
                w.name.as_deref(),
                &w.properties,
                conn,
                now,
            )?,
            Kind::Contacts => {
                let account = self.link(w.account.as_deref())?;
                contacts::insert(
                    self.c,
                    w.external_id.as_deref(),
                    w.email.as_deref(),
                    account,
                    &w.properties,
                    conn,
                    now,
                )?
            }
            Kind::Events => {
                let name = w.event_type.as_deref().unwrap_or("event");
                let type_id = match self.types.get(name) {
                    Some(id) => *id,
                    None => {
                        let id = event_types::ensure(self.c, name, now)?;
                        self.types.insert(name.to_string(), id);
                        id
                    }
                };
                let account_id = self.link(w.account.as_deref())?;
                let contact_id = self.link(w.contact.as_deref())?;
                events::insert(
                    self.c,
                    &events::NewEvent {
                        connection_id: self.ctx.connection_id,
                        event_type_id: type_id,
                        account_id,
                        contact_id,
                        timestamp: w
                            .timestamp
                            .as_deref()
                            .unwrap_or(self.ctx.event_time.unwrap_or(now)),
                        event_id: w.event_id.as_deref(),
                        properties: &w.properties,
                        received_at: now,
                        request_id: self.ctx.request_id,
                    },
                )?
            }
        };
        self.link_request(kind, id)?;
        self.new_ids.insert(new, id);
        Ok(id)
    }

    /// The SQLite connection (a plan on PostgreSQL is written by `pg_apply`).
    fn sqlite(&self) -> Result<&'a rusqlite::Connection, StoreError> {
        match self.c {
            Tx::Sqlite(c) => Ok(c),
            Tx::Postgres(_) => Err(StoreError::Corrupt(
                "a PostgreSQL plan is written by pg_apply".into(),
            )),
        }
    }

    /// The record as the plan's look-ups read it, else as `read` reads it now.
    fn stored(
        &mut self,
        id: i64,
        read: fn(&rusqlite::Connection, i64) -> Result<Option<Stored>, StoreError>,
    ) -> Result<Option<Stored>, StoreError> {
        match self.kept.take(id) {
            Some(s) => Ok(Some(s)),
            None => read(self.sqlite()?, id),
        }
    }

    fn update(&mut self, kind: Kind, target: &Target, w: &Write) -> Result<i64, StoreError> {
        let id = self.resolve(target)?;
        let conn = Some(self.ctx.connection_id);
        let now = self.ctx.received_at;
        match kind {
            Kind::Accounts => {
                let Some(s) = self.stored(id, accounts::for_update)? else {
                    // Removed since the plan was made: left alone, as an UPDATE of no row would.
                    return Ok(id);
                };
                accounts::update(
                    self.sqlite()?,
                    id,
                    changed(&w.external_id, &s.external_id),
                    changed(&w.name, &s.label),
                    &merged(&w.properties, &s.properties)?,
                    conn.filter(|c| s.connection_id.as_deref() != Some(*c)),
                    self.ctx.request_id,
                    now,
                )?;
            }
            Kind::Contacts => {
                let account = self.link(w.account.as_deref())?;
                let Some(s) = self.stored(id, contacts::for_update)? else {
                    return Ok(id);
                };
                contacts::update(
                    self.sqlite()?,
                    id,
                    changed(&w.external_id, &s.external_id),
                    changed(&w.email, &s.label),
                    account.filter(|a| s.account_id != Some(*a)),
                    &merged(&w.properties, &s.properties)?,
                    conn.filter(|c| s.connection_id.as_deref() != Some(*c)),
                    self.ctx.request_id,
                    now,
                )?;
            }
            Kind::Events => return Err(StoreError::Corrupt("events are never updated".into())),
        }
        Ok(id)
    }

    fn delete(&mut self, kind: Kind, target: &Target) -> Result<(), StoreError> {
        let id = self.resolve(target)?;
        self.kept.take(id);
        match kind {
            Kind::Accounts => accounts::delete(self.c, id),
            Kind::Contacts => contacts::delete(self.c, id),
            Kind::Events => Err(StoreError::Corrupt("events are never deleted".into())),
        }
    }
}

/// Writes a plan without row errors, given the records its look-ups read (`directory::plan`).
/// The caller owns the transaction (and rolls it back on error).
pub fn apply(c: Tx, plan: &Plan, ctx: ApplyContext, kept: Kept) -> Result<Applied, StoreError> {
    if let Tx::Postgres(p) = c {
        return super::pg_apply::apply(p, plan, ctx);
    }
    let mut a = Applier {
        c,
        ctx,
        kept,
        new_ids: HashMap::new(),
        types: HashMap::new(),
        linked: [Vec::new(), Vec::new()],
    };
    let mut record_ids = Vec::with_capacity(plan.rows.len());
    for row in &plan.rows {
        let id = match &row.outcome {
            Outcome::Create { new, record, .. } => Some(a.create(plan.kind, *new, record)?),
            Outcome::Update { target, record, .. } => Some(a.update(plan.kind, target, record)?),
            Outcome::Delete { target, .. } => {
                a.delete(plan.kind, target)?;
                None
            }
            Outcome::Skip { .. } | Outcome::Duplicate { .. } => None,
            Outcome::Error { error, .. } => {
                return Err(StoreError::Corrupt(format!(
                    "row {} has an error and cannot be written: {error}",
                    row.index
                )))
            }
        };
        record_ids.push(id);
    }
    if let Some(r) = ctx.request_id {
        accounts::set_request(c, &a.linked[0], r)?;
        contacts::set_request(c, &a.linked[1], r)?;
    }
    Ok(Applied { record_ids })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::queries::{connections, RecordFilter};
    #[allow(unused_imports)]
    use crate::store::Tx;
    use crate::store::{migrations, StoreDirectory};
    use inlet_core::{plan, Mapping, Node};
    use rusqlite::Connection;
    use serde_json::json;

    fn db(kind: Kind) -> Connection {
        let mut c = Connection::open_in_memory().unwrap();
        migrations::run(&mut c).unwrap();
        c.execute_batch("PRAGMA foreign_keys = ON").unwrap();
        connections::insert(Tx::Sqlite(&c), &connections::sample("c1", kind)).unwrap();
        c
    }

    fn run(c: &Connection, mapping: serde_json::Value, body: serde_json::Value) -> Plan {
        let m = Mapping::from_value(&mapping).unwrap().compile().unwrap();
        let tx = c.unchecked_transaction().unwrap();
        // As the listener writes: planned in the write's transaction, the records its look-ups
        // read handed to `apply`.
        let (p, kept) = crate::store::directory::plan(
            Tx::Sqlite(&tx),
            &Node::from_value(&body),
            &m,
            Some("c1"),
        )
        .unwrap()
        .unwrap();
        apply(
            Tx::Sqlite(&tx),
            &p,
            ApplyContext {
                connection_id: "c1",
                received_at: "2026-01-01T00:00:00.000Z",
                event_time: None,
                request_id: Some("r"),
            },
            kept,
        )
        .unwrap();
        tx.commit().unwrap();
        p
    }

    #[test]
    fn merging_properties_overwrites_top_level_keys_and_removes_nulls() {
        let patch = inlet_core::Properties::from_map(
            json!({"b": {"y": 2}, "c": null, "d": 4})
                .as_object()
                .unwrap(),
        );
        let out = merged(&patch, r#"{"a":1,"b":{"x":1},"c":3}"#).unwrap();
        assert_eq!(out, r#"{"a":1,"b":{"y":2},"d":4}"#);
        assert!(merged(&patch, "[]")
            .unwrap_err()
            .to_string()
            .contains("not a JSON object"));
    }

    #[test]
    fn a_batch_creates_then_a_second_batch_updates_the_same_accounts() {
        let c = db(Kind::Accounts);
        let m = json!({"version": 1, "kind": "accounts", "wrapper_path": "rows", "match": {"id": "account_id", "name": "name"}});
        let body = json!({"rows": [{"account_id": 42, "name": "Wayne", "seats": 1}, {"account_id": 43, "name": "Stark"}]});
        assert_eq!(run(&c, m.clone(), body).summary.create, 2);
        let again = run(
            &c,
            m,
            json!({"rows": [{"account_id": "42", "name": "Wayne", "seats": null, "plan": "gold"}]}),
        );
        assert_eq!(again.summary.update, 1);
        let l = accounts::list(Tx::Sqlite(&c), &RecordFilter::default()).unwrap();
        assert_eq!(l.len(), 2);
        let wayne = l
            .iter()
            .find(|a| a.external_id.as_deref() == Some("42"))
            .unwrap();
        assert_eq!(
            serde_json::Value::Object(wayne.properties.clone()),
            json!({"account_id": "42", "name": "Wayne", "plan": "gold"})
        );
    }

    #[test]
    fn two_rows_for_one_stored_record_both_reach_it() {
        // The second update reads what the first wrote, not the record as the plan's look-up
        // read it.
        let c = db(Kind::Accounts);
        let m = json!({"version": 1, "kind": "accounts", "match": {"id": "id"}});
        run(&c, m.clone(), json!([{"id": "1", "keep": true}]));
        let p = run(
            &c,
            m,
            json!([{"id": "1", "a": 1, "keep": null}, {"id": "1", "b": 2}]),
        );
        assert_eq!(p.summary.update, 2, "{p:?}");
        let l = accounts::list(Tx::Sqlite(&c), &RecordFilter::default()).unwrap();
        assert_eq!(
            serde_json::Value::Object(l[0].properties.clone()),
            json!({"id": "1", "a": 1, "b": 2})
        );
        assert_eq!(l[0].request_id.as_deref(), Some("r"));
    }

    #[test]
    fn an_update_writes_a_key_that_changes_only_in_case_and_keeps_one_not_given() {
        // Keys equal to the stored ones are left out of the UPDATE; one that differs at all
        // (here only in case) is written.
        let c = db(Kind::Contacts);
        let m = json!({"version": 1, "kind": "contacts", "match": {"id": "id", "email": "email"}});
        run(&c, m.clone(), json!([{"id": "u1", "email": "a@x.example"}]));
        run(&c, m.clone(), json!([{"id": "u1", "email": "A@x.example"}]));
        let l = contacts::list(Tx::Sqlite(&c), &RecordFilter::default()).unwrap();
        assert_eq!(l[0].email.as_deref(), Some("A@x.example"));
        run(&c, m, json!([{"id": "u1", "plan": "gold"}]));
        let l = contacts::list(Tx::Sqlite(&c), &RecordFilter::default()).unwrap();
        assert_eq!(
            (l.len(), l[0].email.as_deref(), l[0].external_id.as_deref()),
            (1, Some("A@x.example"), Some("u1"))
        );
    }

    #[test]
    fn contacts_create_their_account_once_and_link_to_it() {
        let c = db(Kind::Contacts);
        let m = json!({"version": 1, "kind": "contacts", "match": {"email": "email"}, "account": {"id": "org"}});
        let p = run(
            &c,
            m,
            json!([{"email": "a@x.example", "org": "o1"}, {"email": "b@x.example", "org": "o1"}]),
        );
        assert_eq!(p.summary.create, 2);
        let l = contacts::list(Tx::Sqlite(&c), &RecordFilter::default()).unwrap();
        assert_eq!(l.len(), 2);
        assert_eq!(l[0].account, l[1].account);
        assert_eq!(
            accounts::list(Tx::Sqlite(&c), &RecordFilter::default())
                .unwrap()
                .len(),
            1
        );
    }

    #[test]
    fn events_link_their_contact_and_its_account_and_skip_duplicates() {
        let c = db(Kind::Events);
        let a = accounts::insert(
            Tx::Sqlite(&c),
            Some("org"),
            Some("Org"),
            &Map::new(),
            None,
            "t",
        )
        .unwrap();
        contacts::insert(
            Tx::Sqlite(&c),
            Some("u1"),
            None,
            Some(a),
            &Map::new(),
            None,
            "t",
        )
        .unwrap();
        let m = json!({"version": 1, "kind": "events", "event": {"type": {"path": "event"}, "contact_id": "user", "id": "mid", "timestamp": "ts"}});
        let body = json!([{"event": "Signed Up", "user": "u1", "mid": "m1", "ts": "2024-05-01"}]);
        assert_eq!(run(&c, m.clone(), body.clone()).summary.create, 1);
        assert_eq!(run(&c, m, body).summary.duplicate, 1);
        let e = events::list(Tx::Sqlite(&c), &RecordFilter::default()).unwrap();
        assert_eq!(e.len(), 1);
        assert_eq!(e[0].account.as_ref().unwrap().id, a);
        assert_eq!(e[0].event_type, "Signed Up");
        assert_eq!(e[0].timestamp, "2024-05-01T00:00:00Z");
    }

    #[test]
    fn a_removed_row_deletes_the_matched_contact() {
        let c = db(Kind::Contacts);
        let m = json!({"version": 1, "kind": "contacts", "wrapper_path": "data", "operation_path": "operation",
                       "on_removed": "delete", "match": {"id": "unique_id"}});
        run(
            &c,
            m.clone(),
            json!({"operation": "changed", "data": [{"unique_id": "u1"}, {"unique_id": "u2"}]}),
        );
        let p = run(
            &c,
            m,
            json!({"operation": "deleted", "data": [{"unique_id": "u2"}]}),
        );
        assert_eq!(p.summary.delete, 1);
        assert_eq!(
            contacts::list(Tx::Sqlite(&c), &RecordFilter::default())
                .unwrap()
                .len(),
            1
        );
    }

    #[test]
    fn a_plan_with_a_row_error_is_refused() {
        let c = db(Kind::Accounts);
        let m =
            Mapping::from_value(&json!({"version": 1, "kind": "accounts", "match": {"id": "id"}}))
                .unwrap()
                .compile()
                .unwrap();
        let p = plan(
            &Node::from_value(&json!([{"id": true}])),
            &m,
            &StoreDirectory::new(&c, Some("c1")),
        )
        .unwrap();
        assert!(apply(
            Tx::Sqlite(&c),
            &p,
            ApplyContext {
                connection_id: "c1",
                received_at: "t",
                event_time: None,
                request_id: None
            },
            Kept::default(),
        )
        .is_err());
    }
}
