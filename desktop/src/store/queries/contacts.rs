use super::{contains, RecordFilter};
use crate::store::StoreError;
use inlet_core::normalize::fold;
use inlet_core::Found;
use rusqlite::{Connection, OptionalExtension};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// The account a contact or an event belongs to, as lists show it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AccountRef {
    pub id: i64,
    pub external_id: Option<String>,
    pub name: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ContactRecord {
    pub id: i64,
    pub external_id: Option<String>,
    pub email: Option<String>,
    pub account: Option<AccountRef>,
    pub properties: Map<String, Value>,
    pub connection_id: Option<String>,
    pub created_at: String,
    pub updated_at: String,
}

fn found(r: &rusqlite::Row) -> rusqlite::Result<Found> {
    Ok(Found {
        id: r.get::<_, i64>(0)?.to_string(),
        external_id: r.get(1)?,
        label: r.get(2)?,
        account: r.get::<_, Option<i64>>(3)?.map(|a| a.to_string()),
    })
}

fn collect(
    st: &mut rusqlite::CachedStatement,
    p: impl rusqlite::Params,
) -> Result<Vec<Found>, StoreError> {
    let rows = st.query_map(p, found)?;
    Ok(rows.collect::<Result<_, _>>()?)
}

pub fn by_external_id(c: &Connection, external_id: &str) -> Result<Vec<Found>, StoreError> {
    collect(
        &mut c.prepare_cached("SELECT id, external_id, email, account_id FROM contacts WHERE external_id = ?1 LIMIT 2")?,
        [external_id],
    )
}

pub fn by_email(c: &Connection, email: &str) -> Result<Vec<Found>, StoreError> {
    collect(
        &mut c.prepare_cached(
            "SELECT id, external_id, email, account_id FROM contacts WHERE email_fold = ?1 LIMIT 2",
        )?,
        [fold(email)],
    )
}

pub fn by_property(c: &Connection, property: &str, value: &str) -> Result<Vec<Found>, StoreError> {
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
    c: &Connection,
    external_id: Option<&str>,
    email: Option<&str>,
    account_id: Option<i64>,
    properties: &Map<String, Value>,
    connection_id: Option<&str>,
    now: &str,
) -> Result<i64, StoreError> {
    c.prepare_cached(
        "INSERT INTO contacts (external_id, email, email_fold, account_id, properties, connection_id, created_at, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?7)",
    )?
    .execute((external_id, email, email.map(fold), account_id, super::json_text(properties), connection_id, now))?;
    Ok(c.last_insert_rowid())
}

/// The stored properties and last writer of a contact, for an update to merge into.
pub fn for_update(c: &Connection, id: i64) -> Result<Option<super::ForUpdate>, StoreError> {
    super::for_update(
        c,
        "SELECT properties, connection_id FROM contacts WHERE id = ?1",
        id,
    )
}

/// Sets the merged properties and only the other fields given (see `accounts::update`).
#[allow(clippy::too_many_arguments)]
pub fn update(
    c: &Connection,
    id: i64,
    external_id: Option<&str>,
    email: Option<&str>,
    account_id: Option<i64>,
    properties: &Map<String, Value>,
    connection_id: Option<&str>,
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
    sql.push_str(" WHERE id = ?1");
    let fold_email = email.map(fold);
    super::execute_partial(
        c,
        &sql,
        &[
            &id,
            &super::json_text(properties),
            &now,
            &external_id,
            &email,
            &fold_email,
            &account_id,
            &connection_id,
        ],
    )
}

pub fn delete(c: &Connection, id: i64) -> Result<(), StoreError> {
    c.prepare_cached("DELETE FROM contacts WHERE id = ?1")?
        .execute([id])?;
    Ok(())
}

pub fn list(c: &Connection, f: &RecordFilter) -> Result<Vec<ContactRecord>, StoreError> {
    let sql = format!(
        "SELECT c.id, c.external_id, c.email, c.properties, c.connection_id, c.created_at, c.updated_at,
                a.id, a.external_id, a.name
         FROM contacts c LEFT JOIN accounts a ON a.id = c.account_id
         WHERE (?1 IS NULL OR c.connection_id = ?1)
           AND (?2 IS NULL OR {} OR {} OR {} OR {})
         ORDER BY c.id DESC LIMIT ?3",
        contains("c.external_id", 2),
        contains("c.email", 2),
        contains("c.properties", 2),
        contains("a.name", 2)
    );
    let mut st = c.prepare_cached(&sql)?;
    let rows = st.query_map((&f.connection, &f.search, f.limit()), |r| {
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
                created_at: r.get(5)?,
                updated_at: r.get(6)?,
            },
            r.get::<_, String>(3)?,
        ))
    })?;
    super::with_properties(rows, |rec, p| rec.properties = p)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::{migrations, queries::accounts};

    #[test]
    fn contacts_carry_their_account_in_look_ups_and_lists() {
        let mut c = Connection::open_in_memory().unwrap();
        migrations::run(&mut c).unwrap();
        let a = accounts::insert(
            &c,
            Some("org_1"),
            Some("Kernel Org"),
            &Map::new(),
            None,
            "t",
        )
        .unwrap();
        insert(
            &c,
            Some("u_9"),
            Some("Linus@Kernel.example"),
            Some(a),
            &Map::new(),
            None,
            "t",
        )
        .unwrap();
        let hit = &by_email(&c, "linus@kernel.EXAMPLE").unwrap()[0];
        assert_eq!(hit.account.as_deref(), Some(a.to_string().as_str()));
        assert_eq!(by_external_id(&c, "u_9").unwrap().len(), 1);
        let l = list(
            &c,
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
        let a = accounts::insert(&c, Some("org_1"), None, &Map::new(), None, "t").unwrap();
        insert(&c, Some("u_9"), None, Some(a), &Map::new(), None, "t").unwrap();
        accounts::delete(&c, a).unwrap();
        assert_eq!(by_external_id(&c, "u_9").unwrap()[0].account, None);
    }
}
