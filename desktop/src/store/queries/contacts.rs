use super::{Listed, RecordFilter, Where};
use crate::store::{StoreError, Tx};
use inlet_core::normalize::fold;
use inlet_core::Found;
use rusqlite::OptionalExtension;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// The account a contact or an event belongs to, as lists show it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct AccountRef {
    pub id: i64,
    pub external_id: Option<String>,
    pub name: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct ContactRecord {
    pub id: i64,
    pub external_id: Option<String>,
    pub email: Option<String>,
    pub account: Option<AccountRef>,
    #[cfg_attr(feature = "ts", ts(type = "Record<string, unknown>"))]
    pub properties: Map<String, Value>,
    pub connection_id: Option<String>,
    /// The request that last wrote it.
    pub request_id: Option<String>,
    pub created_at: String,
    pub updated_at: String,
}

impl Listed for ContactRecord {
    fn cursor(&self) -> String {
        self.id.to_string()
    }

    fn haystack(&self) -> String {
        let a = self.account.as_ref();
        super::folded(
            &[
                self.external_id.as_deref(),
                self.email.as_deref(),
                a.and_then(|a| a.name.as_deref()),
                a.and_then(|a| a.external_id.as_deref()),
            ],
            &self.properties,
        )
    }
}

fn filter_where<P>(
    f: &RecordFilter,
    mark: char,
    text: impl Fn(String) -> P,
    int: impl Fn(i64) -> P,
) -> Result<Where<P>, StoreError> {
    let mut w = Where::new();
    if let Some(v) = &f.connection {
        w.add("c.connection_id = {0}", mark, vec![text(v.clone())]);
    }
    if let Some(v) = &f.request {
        w.add("c.request_id = {0}", mark, vec![text(v.clone())]);
    }
    if let Some(v) = f.account {
        w.add("c.account_id = {0}", mark, vec![int(v)]);
    }
    if let Some(v) = f.id {
        w.add("c.id = {0}", mark, vec![int(v)]);
    }
    if let Some((_, id)) = f.store_cursor()? {
        w.add("c.id < {0}", mark, vec![int(id)]);
    }
    Ok(w)
}

fn found(r: &rusqlite::Row) -> rusqlite::Result<Found> {
    Ok(Found {
        id: r.get::<_, i64>(0)?.to_string(),
        external_id: r.get(1)?,
        label: r.get(2)?,
        account: r.get::<_, Option<i64>>(3)?.map(|a| a.to_string()),
    })
}

pub fn by_external_id(tx: Tx, external_id: &str) -> Result<Vec<Found>, StoreError> {
    let c = match tx {
        Tx::Sqlite(c) => c,
        Tx::Postgres(p) => return pg::by_external_id(p, external_id),
    };
    super::found_by(
        c,
        "SELECT id, external_id, email, account_id FROM contacts WHERE external_id = ?1 LIMIT 2",
        [external_id],
        found,
    )
}

/// `by_external_id` keeping what it reads for the plan's updates (`super::Kept`).
pub(crate) fn by_external_id_keeping(
    c: &rusqlite::Connection,
    external_id: &str,
    kept: &mut super::Kept,
) -> Result<Vec<Found>, StoreError> {
    super::found_keeping(
        c,
        "SELECT id, external_id, email, account_id, properties, connection_id FROM contacts WHERE external_id = ?1 LIMIT 2",
        [external_id],
        found,
        kept,
    )
}

/// `by_email` keeping what it reads for the plan's updates.
pub(crate) fn by_email_keeping(
    c: &rusqlite::Connection,
    email: &str,
    kept: &mut super::Kept,
) -> Result<Vec<Found>, StoreError> {
    super::found_keeping(
        c,
        "SELECT id, external_id, email, account_id, properties, connection_id FROM contacts WHERE email_fold = ?1 LIMIT 2",
        [fold(email)],
        found,
        kept,
    )
}

pub fn by_email(tx: Tx, email: &str) -> Result<Vec<Found>, StoreError> {
    let c = match tx {
        Tx::Sqlite(c) => c,
        Tx::Postgres(p) => return pg::by_email(p, email),
    };
    super::found_by(
        c,
        "SELECT id, external_id, email, account_id FROM contacts WHERE email_fold = ?1 LIMIT 2",
        [fold(email)],
        found,
    )
}

pub fn by_property(tx: Tx, property: &str, value: &str) -> Result<Vec<Found>, StoreError> {
    let c = match tx {
        Tx::Sqlite(c) => c,
        Tx::Postgres(p) => return pg::by_property(p, property, value),
    };
    let mut hits = super::accounts::by_property_in(c, "contacts", "email", property, value)?;
    for h in &mut hits {
        h.account = c
            .prepare_cached("SELECT account_id FROM contacts WHERE id = ?1")?
            .query_row([&h.id], |r| r.get::<_, Option<i64>>(0))
            .optional()?
            .flatten()
            .map(|a| a.to_string());
    }
    Ok(hits)
}

pub fn insert(
    tx: Tx,
    external_id: Option<&str>,
    email: Option<&str>,
    account_id: Option<i64>,
    properties: &impl serde::Serialize,
    connection_id: Option<&str>,
    now: &str,
) -> Result<i64, StoreError> {
    let c = match tx {
        Tx::Sqlite(c) => c,
        Tx::Postgres(p) => {
            return pg::insert(
                p,
                external_id,
                email,
                account_id,
                properties,
                connection_id,
                now,
            )
        }
    };
    c.prepare_cached(
        "INSERT INTO contacts (external_id, email, email_fold, account_id, properties, connection_id, created_at, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?7)",
    )?
    .execute((external_id, email, email.map(fold), account_id, super::json_text(properties), connection_id, now))?;
    Ok(c.last_insert_rowid())
}

/// The stored properties and last writer of a contact, for an update to merge into.
pub fn for_update(c: &rusqlite::Connection, id: i64) -> Result<Option<super::Stored>, StoreError> {
    super::for_update(
        c,
        "SELECT id, external_id, email, account_id, properties, connection_id FROM contacts WHERE id = ?1",
        id,
    )
}

/// Sets the merged properties and only the other fields given (see `accounts::update`).
#[allow(clippy::too_many_arguments)]
pub fn update(
    c: &rusqlite::Connection,
    id: i64,
    external_id: Option<&str>,
    email: Option<&str>,
    account_id: Option<i64>,
    properties: &str,
    connection_id: Option<&str>,
    request_id: Option<&str>,
    now: &str,
) -> Result<(), StoreError> {
    let mut sql = String::from("UPDATE contacts SET properties = ?2, updated_at = ?3");
    if external_id.is_some() {
        sql.push_str(", external_id = ?4");
    }
    if email.is_some() {
        sql.push_str(", email = ?5, email_fold = ?6");
    }
    if account_id.is_some() {
        sql.push_str(", account_id = ?7");
    }
    if connection_id.is_some() {
        sql.push_str(", connection_id = ?8");
    }
    if request_id.is_some() {
        sql.push_str(", request_id = ?9");
    }
    sql.push_str(" WHERE id = ?1");
    let fold_email = email.map(fold);
    super::execute_partial(
        c,
        &sql,
        &[
            &id,
            &properties,
            &now,
            &external_id,
            &email,
            &fold_email,
            &account_id,
            &connection_id,
            &request_id,
        ],
    )
}

pub fn delete(tx: Tx, id: i64) -> Result<(), StoreError> {
    let c = match tx {
        Tx::Sqlite(c) => c,
        Tx::Postgres(p) => return pg::delete(p, id),
    };
    c.prepare_cached("DELETE FROM contacts WHERE id = ?1")?
        .execute([id])?;
    Ok(())
}

/// Newest first, from the filter's cursor, searched in Rust (`queries::scan`).
pub fn list(tx: Tx, f: &RecordFilter) -> Result<Vec<ContactRecord>, StoreError> {
    super::listed(f, |f, n| chunk(tx, f, n))
}

/// Every record of the filter (the search applied), newest first, one chunk in memory at a time.
pub fn each(
    tx: Tx,
    f: &RecordFilter,
    visit: impl FnMut(ContactRecord) -> Result<bool, StoreError>,
) -> Result<(), StoreError> {
    super::scan(f, 1000, |f, n| chunk(tx, f, n), visit)
}

fn chunk(tx: Tx, f: &RecordFilter, n: i64) -> Result<Vec<ContactRecord>, StoreError> {
    let c = match tx {
        Tx::Sqlite(c) => c,
        Tx::Postgres(p) => return pg::chunk(p, f, n),
    };
    let mut w = filter_where::<Box<dyn rusqlite::ToSql>>(f, '?', |s| Box::new(s), |i| Box::new(i))?;
    let sql = format!(
        "SELECT c.id, c.external_id, c.email, c.properties, c.connection_id, c.created_at, c.updated_at,
                a.id, a.external_id, a.name, c.request_id
         FROM contacts c LEFT JOIN accounts a ON a.id = c.account_id
         {} ORDER BY c.id DESC LIMIT {}",
        w.sql(),
        w.next('?')
    );
    w.params.push(Box::new(n));
    let mut st = c.prepare_cached(&sql)?;
    let rows = st.query_map(rusqlite::params_from_iter(w.params.iter()), |r| {
        let account = match r.get::<_, Option<i64>>(7)? {
            Some(id) => Some(AccountRef {
                id,
                external_id: r.get(8)?,
                name: r.get(9)?,
            }),
            None => None,
        };
        Ok((
            ContactRecord {
                id: r.get(0)?,
                external_id: r.get(1)?,
                email: r.get(2)?,
                account,
                properties: Map::new(),
                connection_id: r.get(4)?,
                request_id: r.get(10)?,
                created_at: r.get(5)?,
                updated_at: r.get(6)?,
            },
            r.get::<_, String>(3)?,
        ))
    })?;
    super::with_properties(rows, |rec, p| rec.properties = p)
}

/// Links the contact to the request that wrote it last.
/// One statement per request, not one per record: it runs once after a plan is applied.
pub fn set_request(tx: Tx, ids: &[i64], request_id: &str) -> Result<(), StoreError> {
    let c = match tx {
        Tx::Sqlite(c) => c,
        Tx::Postgres(p) => return pg::set_request(p, ids, request_id),
    };
    super::set_request(
        c,
        "UPDATE contacts SET request_id = ?2 WHERE id IN (SELECT value FROM json_each(?1))",
        ids,
        request_id,
    )
}

/// The same statements on PostgreSQL.
pub(crate) mod pg {
    use super::{AccountRef, ContactRecord, RecordFilter};
    use crate::store::pg::PgConn;
    use crate::store::queries::properties_from;
    use crate::store::StoreError;
    use inlet_core::normalize::fold;
    use inlet_core::Found;

    fn found(r: &postgres::Row) -> Found {
        Found {
            id: r.get::<_, i64>(0).to_string(),
            external_id: r.get(1),
            label: r.get(2),
            account: r.get::<_, Option<i64>>(3).map(|a| a.to_string()),
        }
    }

    pub fn by_external_id(p: &PgConn, external_id: &str) -> Result<Vec<Found>, StoreError> {
        let rows = p.query(
            "SELECT id, external_id, email, account_id FROM contacts WHERE external_id = $1 ORDER BY id LIMIT 2",
            &[&external_id],
        )?;
        Ok(rows.iter().map(found).collect())
    }

    pub fn by_email(p: &PgConn, email: &str) -> Result<Vec<Found>, StoreError> {
        let rows = p.query(
            "SELECT id, external_id, email, account_id FROM contacts WHERE email_fold = $1 ORDER BY id LIMIT 2",
            &[&fold(email)],
        )?;
        Ok(rows.iter().map(found).collect())
    }

    pub fn by_property(p: &PgConn, property: &str, value: &str) -> Result<Vec<Found>, StoreError> {
        let hits =
            super::super::accounts::pg::by_property_in(p, "contacts", "email", property, &[value])?;
        Ok(hits.into_iter().take(2).map(|(f, _)| f).collect())
    }

    pub fn insert(
        p: &PgConn,
        external_id: Option<&str>,
        email: Option<&str>,
        account_id: Option<i64>,
        properties: &impl serde::Serialize,
        connection_id: Option<&str>,
        now: &str,
    ) -> Result<i64, StoreError> {
        let row = p.query_one(
            "INSERT INTO contacts (external_id, email, email_fold, account_id, properties, connection_id, created_at, updated_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $7) RETURNING id",
            &[&external_id, &email, &email.map(fold), &account_id, &super::super::json_text(properties), &connection_id, &now],
        )?;
        Ok(row.get(0))
    }

    pub fn delete(p: &PgConn, id: i64) -> Result<(), StoreError> {
        p.execute("DELETE FROM contacts WHERE id = $1", &[&id])?;
        Ok(())
    }

    pub fn chunk(p: &PgConn, f: &RecordFilter, n: i64) -> Result<Vec<ContactRecord>, StoreError> {
        type P = Box<dyn postgres::types::ToSql + Sync>;
        let mut w = super::filter_where::<P>(f, '$', |s| Box::new(s), |i| Box::new(i))?;
        let sql = format!(
            "SELECT c.id, c.external_id, c.email, c.properties, c.connection_id, c.created_at, c.updated_at,
                    a.id, a.external_id, a.name, c.request_id
             FROM contacts c LEFT JOIN accounts a ON a.id = c.account_id
             {} ORDER BY c.id DESC LIMIT {}",
            w.sql(),
            w.next('$')
        );
        w.params.push(Box::new(n));
        let params: Vec<&(dyn postgres::types::ToSql + Sync)> =
            w.params.iter().map(|b| b.as_ref()).collect();
        let rows = p.query(&sql, &params)?;
        rows.iter()
            .map(|r| {
                Ok(ContactRecord {
                    id: r.get(0),
                    external_id: r.get(1),
                    email: r.get(2),
                    account: r.get::<_, Option<i64>>(7).map(|id| AccountRef {
                        id,
                        external_id: r.get(8),
                        name: r.get(9),
                    }),
                    properties: properties_from(&r.get::<_, String>(3))?,
                    connection_id: r.get(4),
                    request_id: r.get(10),
                    created_at: r.get(5),
                    updated_at: r.get(6),
                })
            })
            .collect()
    }

    pub fn set_request(p: &PgConn, ids: &[i64], request_id: &str) -> Result<(), StoreError> {
        super::super::pg::set_request(
            p,
            "UPDATE contacts SET request_id = $2 WHERE id = ANY($1)",
            ids,
            request_id,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    #[allow(unused_imports)]
    use crate::store::Tx;
    use crate::store::{migrations, queries::accounts};
    #[allow(unused_imports)]
    use rusqlite::Connection;

    #[test]
    fn contacts_carry_their_account_in_look_ups_and_lists() {
        let mut c = Connection::open_in_memory().unwrap();
        migrations::run(&mut c).unwrap();
        let a = accounts::insert(
            Tx::Sqlite(&c),
            Some("org_1"),
            Some("Kernel Org"),
            &Map::new(),
            None,
            "t",
        )
        .unwrap();
        insert(
            Tx::Sqlite(&c),
            Some("u_9"),
            Some("Linus@Kernel.example"),
            Some(a),
            &Map::new(),
            None,
            "t",
        )
        .unwrap();
        let hit = &by_email(Tx::Sqlite(&c), "linus@kernel.EXAMPLE").unwrap()[0];
        assert_eq!(hit.account.as_deref(), Some(a.to_string().as_str()));
        assert_eq!(by_external_id(Tx::Sqlite(&c), "u_9").unwrap().len(), 1);
        let l = list(
            Tx::Sqlite(&c),
            &RecordFilter {
                search: Some("kernel org".into()),
                ..Default::default()
            },
        )
        .unwrap();
        assert_eq!(
            l[0].account.as_ref().unwrap().name.as_deref(),
            Some("Kernel Org")
        );
    }

    #[test]
    fn deleting_an_account_unlinks_its_contacts() {
        let mut c = Connection::open_in_memory().unwrap();
        migrations::run(&mut c).unwrap();
        c.execute_batch("PRAGMA foreign_keys = ON").unwrap();
        let a =
            accounts::insert(Tx::Sqlite(&c), Some("org_1"), None, &Map::new(), None, "t").unwrap();
        insert(
            Tx::Sqlite(&c),
            Some("u_9"),
            None,
            Some(a),
            &Map::new(),
            None,
            "t",
        )
        .unwrap();
        accounts::delete(Tx::Sqlite(&c), a).unwrap();
        assert_eq!(
            by_external_id(Tx::Sqlite(&c), "u_9").unwrap()[0].account,
            None
        );
    }
}
