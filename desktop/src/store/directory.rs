//! The planner's only view of stored records. On SQLite, `inlet_core::Directory` through indexed
//! look-ups in the caller's transaction (in-process, a look-up costs microseconds, so one per key
//! is the fastest way). On PostgreSQL, where each look-up is a round trip, the batch's keys are
//! gathered first (`inlet_core::batch_keys`), fetched in a few set queries (`= ANY($1)`), and the
//! plan is made from that snapshot. Either way a plan made inside the write transaction sees the
//! writes made before it in that transaction.

use super::pg::PgConn;
use super::queries::{accounts, contacts, events, Kept};
use super::{StoreError, Tx};
use inlet_core::directory::{SampleAccount, SampleContact};
use inlet_core::{
    BatchKeys, Compiled, Directory, DirectoryError, Found, Kind, MemoryDirectory, Node, Plan,
    PlanError, Snapshot,
};
use rusqlite::Connection;
use std::cell::RefCell;
use std::collections::BTreeMap;

/// Plans `body` against the store in `tx`: the one way the listener and replay plan a write.
/// The outer error is the store's (the request fails with 503), the inner one the payload's.
/// On SQLite the records the look-ups read come back too, for `apply` to update without
/// reading them again.
pub fn plan(
    tx: Tx,
    body: &Node,
    m: &Compiled,
    connection_id: Option<&str>,
) -> Result<Result<(Plan, Kept), PlanError>, StoreError> {
    let planned = match tx {
        Tx::Sqlite(c) => {
            let dir = StoreDirectory::keeping(c, connection_id, m.kind);
            let planned = inlet_core::plan(body, m, &dir);
            dir.failed()?;
            let kept = dir.keep.map(|(_, k)| k.into_inner()).unwrap_or_default();
            return Ok(planned.map(|p| (p, kept)));
        }
        Tx::Postgres(p) => {
            let keys = match inlet_core::batch_keys(body, m) {
                Ok(k) => k,
                Err(e) => return Ok(Err(e)),
            };
            let dir = MemoryDirectory::new(&snapshot(p, &keys, connection_id)?);
            inlet_core::plan(body, m, &dir)
        }
    };
    Ok(planned.map(|p| (p, Kept::default())))
}

/// Runs `f` (a preview) with the directory a preview against the store plans with: the store's
/// look-ups on SQLite; on PostgreSQL, the snapshot of the keys the payload holds (read once, as a
/// real write would). A look-up that failed is the store's error, as it is for a write.
pub fn with_preview_directory<T>(
    tx: Tx,
    payload: &[u8],
    content_type: Option<&str>,
    mapping: &inlet_core::Mapping,
    max_rows: usize,
    connection_id: Option<&str>,
    f: impl FnOnce(&dyn Directory) -> T,
) -> Result<T, StoreError> {
    match tx {
        Tx::Sqlite(c) => {
            let dir = StoreDirectory::new(c, connection_id);
            let out = f(&dir);
            dir.failed()?;
            Ok(out)
        }
        Tx::Postgres(p) => {
            let body = inlet_core::payload::content_kind(content_type)
                .and_then(|k| inlet_core::payload::parse_doc(payload, k))
                .ok()
                .flatten();
            let keys = match (body, mapping.compile()) {
                (Some(b), Ok(m)) => {
                    inlet_core::batch_keys(&b, &inlet_core::Compiled { max_rows, ..m })
                        .unwrap_or_default()
                }
                _ => BatchKeys::default(),
            };
            Ok(f(&MemoryDirectory::new(&snapshot(
                p,
                &keys,
                connection_id,
            )?)))
        }
    }
}

fn texts(set: &std::collections::BTreeSet<String>) -> Vec<&str> {
    set.iter().map(String::as_str).collect()
}

/// Every stored record a batch with these keys may find (two per key at most, as the indexed
/// look-ups return), in at most four queries. Each look-up is an index scan on (key, id) (see
/// pg_migrations/20261201_0020_lookup_indexes.sql); the records are kept by id (a BTreeMap), so
/// the queries need no ORDER BY.
pub fn snapshot(
    p: &PgConn,
    keys: &BatchKeys,
    connection_id: Option<&str>,
) -> Result<Snapshot, StoreError> {
    let mut accounts_by_id: BTreeMap<i64, SampleAccount> = BTreeMap::new();
    let mut contacts_by_id: BTreeMap<i64, SampleContact> = BTreeMap::new();
    if !keys.account_ids.is_empty() || !keys.names.is_empty() {
        let rows = p.query(
            "SELECT x.id, x.external_id, x.name FROM unnest($1::text[]) k,
                 LATERAL (SELECT id, external_id, name FROM accounts
                          WHERE external_id = k ORDER BY id LIMIT 2) x
             UNION
             SELECT x.id, x.external_id, x.name FROM unnest($2::text[]) k,
                 LATERAL (SELECT id, external_id, name FROM accounts
                          WHERE name_fold = k ORDER BY id LIMIT 2) x",
            &[&texts(&keys.account_ids), &texts(&keys.names)],
        )?;
        for r in &rows {
            let id: i64 = r.get(0);
            accounts_by_id.insert(
                id,
                SampleAccount {
                    id: Some(id.to_string()),
                    external_id: r.get(1),
                    name: r.get(2),
                    properties: Default::default(),
                },
            );
        }
    }
    if !keys.contact_ids.is_empty() || !keys.emails.is_empty() {
        let rows = p.query(
            "SELECT x.id, x.external_id, x.email, x.account_id FROM unnest($1::text[]) k,
                 LATERAL (SELECT id, external_id, email, account_id FROM contacts
                          WHERE external_id = k ORDER BY id LIMIT 2) x
             UNION
             SELECT x.id, x.external_id, x.email, x.account_id FROM unnest($2::text[]) k,
                 LATERAL (SELECT id, external_id, email, account_id FROM contacts
                          WHERE email_fold = k ORDER BY id LIMIT 2) x",
            &[&texts(&keys.contact_ids), &texts(&keys.emails)],
        )?;
        for r in &rows {
            let id: i64 = r.get(0);
            contacts_by_id.insert(
                id,
                SampleContact {
                    id: Some(id.to_string()),
                    external_id: r.get(1),
                    email: r.get(2),
                    account: r.get::<_, Option<i64>>(3).map(|a| a.to_string()),
                    properties: Default::default(),
                },
            );
        }
    }
    if let Some((kind, property, values)) = &keys.custom {
        let (table, label) = match kind {
            Kind::Accounts => ("accounts", "name"),
            _ => ("contacts", "email"),
        };
        let hits = accounts::pg::by_property_in(p, table, label, property, &texts(values))?;
        for (f, properties) in hits {
            let id: i64 =
                f.id.parse()
                    .map_err(|_| StoreError::Corrupt(format!("record id {:?}", f.id)))?;
            if *kind == Kind::Accounts {
                accounts_by_id.insert(
                    id,
                    SampleAccount {
                        id: Some(f.id),
                        external_id: f.external_id,
                        name: f.label,
                        properties,
                    },
                );
            } else {
                contacts_by_id.insert(
                    id,
                    SampleContact {
                        id: Some(f.id),
                        external_id: f.external_id,
                        email: f.label,
                        account: f.account,
                        properties,
                    },
                );
            }
        }
    }
    let event_ids = match connection_id {
        Some(c) if !keys.event_ids.is_empty() => p
            .query(
                "SELECT event_id FROM events WHERE connection_id = $1 AND event_id = ANY($2)",
                &[&c, &texts(&keys.event_ids)],
            )?
            .iter()
            .map(|r| r.get(0))
            .collect(),
        _ => Vec::new(),
    };
    Ok(Snapshot {
        accounts: accounts_by_id.into_values().collect(),
        contacts: contacts_by_id.into_values().collect(),
        event_ids,
    })
}

pub struct StoreDirectory<'a> {
    conn: &'a Connection,
    /// Event IDs are unique per connection; without one (a preview with no connection) no event
    /// counts as already stored.
    connection_id: Option<&'a str>,
    /// The first look-up that failed, kept whole: the core's error carries only its text, and
    /// whether the request may be sent again (busy) or not (unreadable data) is in the kind.
    failure: RefCell<Option<StoreError>>,
    /// For a write: the kind of record the plan may update, and those of it read so far.
    keep: Option<(Kind, RefCell<Kept>)>,
}

impl<'a> StoreDirectory<'a> {
    pub fn new(conn: &'a Connection, connection_id: Option<&'a str>) -> Self {
        StoreDirectory {
            conn,
            connection_id,
            failure: RefCell::new(None),
            keep: None,
        }
    }

    /// For a plan that will be written: the records of `kind` its look-ups read are kept.
    fn keeping(conn: &'a Connection, connection_id: Option<&'a str>, kind: Kind) -> Self {
        StoreDirectory {
            keep: (kind != Kind::Events).then(|| (kind, RefCell::default())),
            ..StoreDirectory::new(conn, connection_id)
        }
    }

    /// Where to keep what a look-up of `kind` reads, if anywhere.
    fn kept(&self, kind: Kind) -> Option<std::cell::RefMut<'_, Kept>> {
        match &self.keep {
            Some((k, kept)) if *k == kind => Some(kept.borrow_mut()),
            _ => None,
        }
    }

    /// The store's own error, if a look-up failed.
    pub fn failed(&self) -> Result<(), StoreError> {
        match self.failure.borrow_mut().take() {
            Some(e) => Err(e),
            None => Ok(()),
        }
    }

    fn lift<T>(&self, r: Result<T, StoreError>) -> Result<T, DirectoryError> {
        r.map_err(|e| {
            let lifted = DirectoryError(e.to_string());
            self.failure.borrow_mut().get_or_insert(e);
            lifted
        })
    }
}

impl Directory for StoreDirectory<'_> {
    fn by_external_id(&self, kind: Kind, external_id: &str) -> Result<Vec<Found>, DirectoryError> {
        let (c, tx) = (self.conn, Tx::Sqlite(self.conn));
        self.lift(match (kind, self.kept(kind)) {
            (Kind::Accounts, Some(mut k)) => {
                accounts::by_external_id_keeping(c, external_id, &mut k)
            }
            (Kind::Accounts, None) => accounts::by_external_id(tx, external_id),
            (_, Some(mut k)) => contacts::by_external_id_keeping(c, external_id, &mut k),
            (_, None) => contacts::by_external_id(tx, external_id),
        })
    }

    fn accounts_by_name(&self, name: &str) -> Result<Vec<Found>, DirectoryError> {
        self.lift(match self.kept(Kind::Accounts) {
            Some(mut k) => accounts::by_name_keeping(self.conn, name, &mut k),
            None => accounts::by_name(Tx::Sqlite(self.conn), name),
        })
    }

    fn contacts_by_email(&self, email: &str) -> Result<Vec<Found>, DirectoryError> {
        self.lift(match self.kept(Kind::Contacts) {
            Some(mut k) => contacts::by_email_keeping(self.conn, email, &mut k),
            None => contacts::by_email(Tx::Sqlite(self.conn), email),
        })
    }

    fn by_property(
        &self,
        kind: Kind,
        property: &str,
        value: &str,
    ) -> Result<Vec<Found>, DirectoryError> {
        self.lift(match kind {
            Kind::Accounts => accounts::by_property(Tx::Sqlite(self.conn), property, value),
            _ => contacts::by_property(Tx::Sqlite(self.conn), property, value),
        })
    }

    fn event_exists(&self, event_id: &str) -> Result<bool, DirectoryError> {
        match self.connection_id {
            Some(c) => self.lift(events::exists(Tx::Sqlite(self.conn), c, event_id)),
            None => Ok(false),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::testing::temp_store;
    use crate::store::{connect, Fault};

    use serde_json::json;
    use std::time::Duration;

    fn accounts_by_id() -> Compiled {
        inlet_core::Mapping::from_value(
            &json!({"version": 1, "kind": "accounts", "match": {"id": "id"}}),
        )
        .unwrap()
        .compile()
        .unwrap()
    }

    #[test]
    fn a_look_up_that_meets_a_locked_file_fails_with_the_stores_busy_error_not_a_text() {
        let dir = std::env::temp_dir().join(format!("inlet-test-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("inlet.db");
        drop(crate::store::Store::open(&path).unwrap());
        // In a rollback journal (not WAL), another process's exclusive transaction keeps readers
        // out too: the look-up itself meets the lock.
        let blocker = rusqlite::Connection::open(&path).unwrap();
        let mode: String = blocker
            .query_row("PRAGMA journal_mode = DELETE", [], |r| r.get(0))
            .unwrap();
        assert_eq!(mode, "delete");
        blocker.execute_batch("BEGIN EXCLUSIVE").unwrap();
        let c = rusqlite::Connection::open(&path).unwrap();
        c.busy_timeout(Duration::from_millis(10)).unwrap();
        let err = plan(
            Tx::Sqlite(&c),
            &Node::from_value(&json!({"id": 1})),
            &accounts_by_id(),
            None,
        )
        .expect_err("the look-up cannot read the file");
        assert!(err.is_busy(), "the kind is kept: {err:?}");
        assert_eq!(err.fault(), Fault::Unavailable);
        drop((c, blocker));
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn a_look_up_on_unreadable_data_is_an_internal_fault() {
        let s = temp_store();
        let c = connect(s.path(), Duration::from_millis(10)).unwrap();
        c.execute_batch("PRAGMA foreign_keys = OFF; DROP TABLE accounts;")
            .unwrap();
        let err = plan(
            Tx::Sqlite(&c),
            &Node::from_value(&json!({"id": 1})),
            &accounts_by_id(),
            None,
        )
        .expect_err("no table to look in");
        assert!(matches!(err, StoreError::Sqlite(_)), "{err:?}");
        assert_eq!(err.fault(), Fault::Internal);
    }
}
