pub use super::RecordFilter;
use super::{listed, properties_from, Listed, Where};
use crate::store::{StoreError, Tx};
use inlet_core::normalize::{fold, property_key};
use inlet_core::Found;
use rusqlite::Connection;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// An account as the Data screen and `inlet records accounts` show it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct AccountRecord {
    pub id: i64,
    pub external_id: Option<String>,
    pub name: Option<String>,
    #[cfg_attr(feature = "ts", ts(type = "Record<string, unknown>"))]
    pub properties: Map<String, Value>,
    pub connection_id: Option<String>,
    /// The request that last wrote it (none when written by hand or before requests were linked).
    pub request_id: Option<String>,
    pub created_at: String,
    pub updated_at: String,
}

impl Listed for AccountRecord {
    fn cursor(&self) -> String {
        self.id.to_string()
    }

    fn haystack(&self) -> String {
        super::folded(
            &[self.external_id.as_deref(), self.name.as_deref()],
            &self.properties,
        )
    }
}

/// The filter as SQL conditions, `mark` numbering the parameters.
fn filter_where<P>(
    f: &RecordFilter,
    mark: char,
    text: impl Fn(String) -> P,
    int: impl Fn(i64) -> P,
) -> Result<Where<P>, StoreError> {
    let mut w = Where::new();
    if let Some(v) = &f.connection {
        w.add("connection_id = {0}", mark, vec![text(v.clone())]);
    }
    if let Some(v) = &f.request {
        w.add("request_id = {0}", mark, vec![text(v.clone())]);
    }
    if let Some(v) = f.id {
        w.add("id = {0}", mark, vec![int(v)]);
    }
    if let Some((_, id)) = f.store_cursor()? {
        w.add("id < {0}", mark, vec![int(id)]);
    }
    Ok(w)
}

fn found(r: &rusqlite::Row) -> rusqlite::Result<Found> {
    Ok(Found {
        id: r.get::<_, i64>(0)?.to_string(),
        external_id: r.get(1)?,
        label: r.get(2)?,
        account: None,
    })
}

pub fn by_external_id(tx: Tx, external_id: &str) -> Result<Vec<Found>, StoreError> {
    let c = match tx {
        Tx::Sqlite(c) => c,
        Tx::Postgres(p) => return pg::by_external_id(p, external_id),
    };
    super::found_by(
        c,
        "SELECT id, external_id, name FROM accounts WHERE external_id = ?1 LIMIT 2",
        [external_id],
        found,
    )
}

/// `by_external_id` keeping what it reads for the plan's updates (`super::Kept`).
pub(crate) fn by_external_id_keeping(
    c: &Connection,
    external_id: &str,
    kept: &mut super::Kept,
) -> Result<Vec<Found>, StoreError> {
    super::found_keeping(
        c,
        "SELECT id, external_id, name, NULL, properties, connection_id FROM accounts WHERE external_id = ?1 LIMIT 2",
        [external_id],
        found,
        kept,
    )
}

/// `by_name` keeping what it reads for the plan's updates.
pub(crate) fn by_name_keeping(
    c: &Connection,
    name: &str,
    kept: &mut super::Kept,
) -> Result<Vec<Found>, StoreError> {
    super::found_keeping(
        c,
        "SELECT id, external_id, name, NULL, properties, connection_id FROM accounts WHERE name_fold = ?1 LIMIT 2",
        [fold(name)],
        found,
        kept,
    )
}

pub fn by_name(tx: Tx, name: &str) -> Result<Vec<Found>, StoreError> {
    let c = match tx {
        Tx::Sqlite(c) => c,
        Tx::Postgres(p) => return pg::by_name(p, name),
    };
    super::found_by(
        c,
        "SELECT id, external_id, name FROM accounts WHERE name_fold = ?1 LIMIT 2",
        [fold(name)],
        found,
    )
}

/// Custom matching: SQL narrows the candidates, Rust applies the core's key normalisation.
pub(crate) fn by_property_in(
    c: &Connection,
    table: &str,
    label: &str,
    property: &str,
    value: &str,
) -> Result<Vec<Found>, StoreError> {
    // json_each compares the key literally: dots and quotes in a property name are just characters.
    let sql = format!(
        "SELECT id, external_id, {label}, properties FROM {table}
         WHERE EXISTS (SELECT 1 FROM json_each({table}.properties) j WHERE j.key = ?1
                       AND (trim(CAST(j.atom AS TEXT)) = ?2 OR (j.type IN ('integer', 'real') AND j.atom = CAST(?2 AS REAL))))"
    );
    let mut st = c.prepare_cached(&sql)?;
    let mut rows = st.query((property, value))?;
    let mut out = Vec::new();
    while let Some(r) = rows.next()? {
        let props = properties_from(&r.get::<_, String>(3)?)?;
        if props.get(property).and_then(property_key).as_deref() == Some(value) {
            out.push(Found {
                id: r.get::<_, i64>(0)?.to_string(),
                external_id: r.get(1)?,
                label: r.get(2)?,
                account: None,
            });
            if out.len() == 2 {
                break;
            }
        }
    }
    Ok(out)
}

pub fn by_property(tx: Tx, property: &str, value: &str) -> Result<Vec<Found>, StoreError> {
    let c = match tx {
        Tx::Sqlite(c) => c,
        Tx::Postgres(p) => return pg::by_property(p, property, value),
    };
    by_property_in(c, "accounts", "name", property, value)
}

pub fn insert(
    tx: Tx,
    external_id: Option<&str>,
    name: Option<&str>,
    properties: &impl serde::Serialize,
    connection_id: Option<&str>,
    now: &str,
) -> Result<i64, StoreError> {
    let c = match tx {
        Tx::Sqlite(c) => c,
        Tx::Postgres(p) => return pg::insert(p, external_id, name, properties, connection_id, now),
    };
    c.prepare_cached(
        "INSERT INTO accounts (external_id, name, name_fold, properties, connection_id, created_at, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?6)",
    )?
    .execute((external_id, name, name.map(fold), super::json_text(properties), connection_id, now))?;
    Ok(c.last_insert_rowid())
}

/// An account as an update needs it (on PostgreSQL, `pg_apply` reads a plan's records at once).
pub fn for_update(c: &Connection, id: i64) -> Result<Option<super::Stored>, StoreError> {
    super::for_update(
        c,
        "SELECT id, external_id, name, NULL, properties, connection_id FROM accounts WHERE id = ?1",
        id,
    )
}

/// Sets the merged properties (JSON text) and only the other fields given (the caller gives
/// only those that change), so that an update which changes no key leaves its indexes alone.
/// The request that wrote it is set in the same statement: linking it afterwards wrote every
/// updated row a second time.
#[allow(clippy::too_many_arguments)]
pub fn update(
    c: &Connection,
    id: i64,
    external_id: Option<&str>,
    name: Option<&str>,
    properties: &str,
    connection_id: Option<&str>,
    request_id: Option<&str>,
    now: &str,
) -> Result<(), StoreError> {
    let mut sql = String::from("UPDATE accounts SET properties = ?2, updated_at = ?3");
    if external_id.is_some() {
        sql.push_str(", external_id = ?4");
    }
    if name.is_some() {
        sql.push_str(", name = ?5, name_fold = ?6");
    }
    if connection_id.is_some() {
        sql.push_str(", connection_id = ?7");
    }
    if request_id.is_some() {
        sql.push_str(", request_id = ?8");
    }
    sql.push_str(" WHERE id = ?1");
    let fold_name = name.map(fold);
    super::execute_partial(
        c,
        &sql,
        &[
            &id,
            &properties,
            &now,
            &external_id,
            &name,
            &fold_name,
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
    c.prepare_cached("DELETE FROM accounts WHERE id = ?1")?
        .execute([id])?;
    Ok(())
}

/// Newest first, from the filter's cursor, searched in Rust (`queries::scan`).
pub fn list(tx: Tx, f: &RecordFilter) -> Result<Vec<AccountRecord>, StoreError> {
    listed(f, |f, n| chunk(tx, f, n))
}

/// Every record of the filter (the search applied), newest first, one chunk in memory at a time.
pub fn each(
    tx: Tx,
    f: &RecordFilter,
    visit: impl FnMut(AccountRecord) -> Result<bool, StoreError>,
) -> Result<(), StoreError> {
    super::scan(f, 1000, |f, n| chunk(tx, f, n), visit)
}

fn chunk(tx: Tx, f: &RecordFilter, n: i64) -> Result<Vec<AccountRecord>, StoreError> {
    let c = match tx {
        Tx::Sqlite(c) => c,
        Tx::Postgres(p) => return pg::chunk(p, f, n),
    };
    let mut w = filter_where::<Box<dyn rusqlite::ToSql>>(f, '?', |s| Box::new(s), |i| Box::new(i))?;
    let sql = format!(
        "SELECT id, external_id, name, properties, connection_id, created_at, updated_at, request_id
         FROM accounts {} ORDER BY id DESC LIMIT {}",
        w.sql(),
        w.next('?')
    );
    w.params.push(Box::new(n));
    let mut st = c.prepare_cached(&sql)?;
    let rows = st.query_map(rusqlite::params_from_iter(w.params.iter()), |r| {
        Ok((
            AccountRecord {
                id: r.get(0)?,
                external_id: r.get(1)?,
                name: r.get(2)?,
                properties: Map::new(),
                connection_id: r.get(4)?,
                request_id: r.get(7)?,
                created_at: r.get(5)?,
                updated_at: r.get(6)?,
            },
            r.get::<_, String>(3)?,
        ))
    })?;
    super::with_properties(rows, |rec, p| rec.properties = p)
}

/// Links the account to the request that wrote it last.
/// One statement per request, not one per record: it runs once after a plan is applied.
pub fn set_request(tx: Tx, ids: &[i64], request_id: &str) -> Result<(), StoreError> {
    let c = match tx {
        Tx::Sqlite(c) => c,
        Tx::Postgres(p) => return pg::set_request(p, ids, request_id),
    };
    super::set_request(
        c,
        "UPDATE accounts SET request_id = ?2 WHERE id IN (SELECT value FROM json_each(?1))",
        ids,
        request_id,
    )
}

pub fn count(tx: Tx) -> Result<u64, StoreError> {
    let c = match tx {
        Tx::Sqlite(c) => c,
        Tx::Postgres(p) => return pg::count(p),
    };
    Ok(c.prepare_cached("SELECT count(*) FROM accounts")?
        .query_row([], |r| r.get::<_, i64>(0))? as u64)
}

/// The same statements on PostgreSQL.
pub(crate) mod pg {
    use super::{AccountRecord, RecordFilter};
    use crate::store::pg::PgConn;
    use crate::store::queries::properties_from;
    use crate::store::StoreError;
    use inlet_core::normalize::{fold, property_key};
    use inlet_core::Found;
    use serde_json::{Map, Value};

    fn found(r: &postgres::Row) -> Found {
        Found {
            id: r.get::<_, i64>(0).to_string(),
            external_id: r.get(1),
            label: r.get(2),
            account: None,
        }
    }

    pub fn by_external_id(p: &PgConn, external_id: &str) -> Result<Vec<Found>, StoreError> {
        let rows = p.query(
            "SELECT id, external_id, name FROM accounts WHERE external_id = $1 ORDER BY id LIMIT 2",
            &[&external_id],
        )?;
        Ok(rows.iter().map(found).collect())
    }

    pub fn by_name(p: &PgConn, name: &str) -> Result<Vec<Found>, StoreError> {
        let rows = p.query(
            "SELECT id, external_id, name FROM accounts WHERE name_fold = $1 ORDER BY id LIMIT 2",
            &[&fold(name)],
        )?;
        Ok(rows.iter().map(found).collect())
    }

    /// A record custom matching found, with its properties.
    pub(crate) type Candidate = (Found, Map<String, Value>);

    /// Candidates whose property `property` may equal one of `values` (text trimmed, or the same
    /// number), each with its properties, for the core's normalisation to decide. `label` and
    /// `table` are literals of this crate, never input.
    pub(crate) fn by_property_in(
        p: &PgConn,
        table: &str,
        label: &str,
        property: &str,
        values: &[&str],
    ) -> Result<Vec<Candidate>, StoreError> {
        let account = if table == "contacts" {
            "account_id"
        } else {
            "NULL::int8"
        };
        let sql = format!(
            "SELECT id, external_id, {label}, {account}, properties FROM {table} t
             WHERE (t.properties::jsonb -> $1) IS NOT NULL
               AND (btrim(t.properties::jsonb ->> $1) = ANY($2)
                    OR (jsonb_typeof(t.properties::jsonb -> $1) = 'number'
                        AND (t.properties::jsonb ->> $1)::numeric = ANY(
                            SELECT v::numeric FROM unnest($2::text[]) v
                            WHERE v ~ '^-?[0-9]+(\\.[0-9]+)?([eE][-+]?[0-9]+)?$')))
             ORDER BY id"
        );
        let rows = p.query(&sql, &[&property, &values])?;
        let mut out = Vec::new();
        for r in &rows {
            let props = properties_from(&r.get::<_, String>(4))?;
            if props
                .get(property)
                .and_then(property_key)
                .is_some_and(|k| values.contains(&k.as_str()))
            {
                let f = Found {
                    id: r.get::<_, i64>(0).to_string(),
                    external_id: r.get(1),
                    label: r.get(2),
                    account: r.get::<_, Option<i64>>(3).map(|a| a.to_string()),
                };
                out.push((f, props));
            }
        }
        Ok(out)
    }

    pub fn by_property(p: &PgConn, property: &str, value: &str) -> Result<Vec<Found>, StoreError> {
        let hits = by_property_in(p, "accounts", "name", property, &[value])?;
        Ok(hits.into_iter().take(2).map(|(f, _)| f).collect())
    }

    pub fn insert(
        p: &PgConn,
        external_id: Option<&str>,
        name: Option<&str>,
        properties: &impl serde::Serialize,
        connection_id: Option<&str>,
        now: &str,
    ) -> Result<i64, StoreError> {
        let row = p.query_one(
            "INSERT INTO accounts (external_id, name, name_fold, properties, connection_id, created_at, updated_at)
             VALUES ($1, $2, $3, $4, $5, $6, $6) RETURNING id",
            &[&external_id, &name, &name.map(fold), &super::super::json_text(properties), &connection_id, &now],
        )?;
        Ok(row.get(0))
    }

    pub fn delete(p: &PgConn, id: i64) -> Result<(), StoreError> {
        p.execute("DELETE FROM accounts WHERE id = $1", &[&id])?;
        Ok(())
    }

    pub fn chunk(p: &PgConn, f: &RecordFilter, n: i64) -> Result<Vec<AccountRecord>, StoreError> {
        type P = Box<dyn postgres::types::ToSql + Sync>;
        let mut w = super::filter_where::<P>(f, '$', |s| Box::new(s), |i| Box::new(i))?;
        let sql = format!(
            "SELECT id, external_id, name, properties, connection_id, created_at, updated_at, request_id
             FROM accounts {} ORDER BY id DESC LIMIT {}",
            w.sql(),
            w.next('$')
        );
        w.params.push(Box::new(n));
        let params: Vec<&(dyn postgres::types::ToSql + Sync)> =
            w.params.iter().map(|b| b.as_ref()).collect();
        let rows = p.query(&sql, &params)?;
        rows.iter()
            .map(|r| {
                Ok(AccountRecord {
                    id: r.get(0),
                    external_id: r.get(1),
                    name: r.get(2),
                    properties: properties_from(&r.get::<_, String>(3))?,
                    connection_id: r.get(4),
                    request_id: r.get(7),
                    created_at: r.get(5),
                    updated_at: r.get(6),
                })
            })
            .collect()
    }

    pub fn set_request(p: &PgConn, ids: &[i64], request_id: &str) -> Result<(), StoreError> {
        super::super::pg::set_request(
            p,
            "UPDATE accounts SET request_id = $2 WHERE id = ANY($1)",
            ids,
            request_id,
        )
    }

    pub fn count(p: &PgConn) -> Result<u64, StoreError> {
        Ok(p.query_one("SELECT count(*) FROM accounts", &[])?
            .get::<_, i64>(0) as u64)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::migrations;
    #[allow(unused_imports)]
    use crate::store::Tx;
    #[allow(unused_imports)]
    use rusqlite::Connection;
    use serde_json::json;

    fn db() -> Connection {
        let mut c = Connection::open_in_memory().unwrap();
        migrations::run(&mut c).unwrap();
        c
    }

    fn props(v: Value) -> Map<String, Value> {
        v.as_object().unwrap().clone()
    }

    #[test]
    fn accounts_are_found_by_external_id_and_by_name_without_case() {
        let c = db();
        let id = insert(
            Tx::Sqlite(&c),
            Some("42"),
            Some("Wayne Enterprises"),
            &Map::new(),
            None,
            "t",
        )
        .unwrap();
        assert_eq!(
            by_external_id(Tx::Sqlite(&c), "42").unwrap()[0].id,
            id.to_string()
        );
        assert_eq!(
            by_name(Tx::Sqlite(&c), "  wayne ENTERPRISES ").unwrap()[0]
                .label
                .as_deref(),
            Some("Wayne Enterprises")
        );
        assert!(by_external_id(Tx::Sqlite(&c), "43").unwrap().is_empty());
    }

    #[test]
    fn accented_names_fold_like_the_core_does() {
        let c = db();
        insert(
            Tx::Sqlite(&c),
            None,
            Some("ÉCOLE Ünïon"),
            &Map::new(),
            None,
            "t",
        )
        .unwrap();
        assert_eq!(by_name(Tx::Sqlite(&c), "école ünïon").unwrap().len(), 1);
    }

    #[test]
    fn custom_matching_normalises_numbers_and_trims_strings_but_ignores_booleans() {
        let c = db();
        insert(
            Tx::Sqlite(&c),
            None,
            Some("a"),
            &props(json!({"domain": " wayne.example ", "n": 42.0, "b": true})),
            None,
            "t",
        )
        .unwrap();
        insert(
            Tx::Sqlite(&c),
            None,
            Some("b"),
            &props(json!({"domain": "stark.example", "n": "43"})),
            None,
            "t",
        )
        .unwrap();
        assert_eq!(
            by_property(Tx::Sqlite(&c), "domain", "wayne.example")
                .unwrap()
                .len(),
            1
        );
        assert_eq!(
            by_property(Tx::Sqlite(&c), "n", "42").unwrap()[0]
                .label
                .as_deref(),
            Some("a")
        );
        assert_eq!(
            by_property(Tx::Sqlite(&c), "n", "43").unwrap()[0]
                .label
                .as_deref(),
            Some("b")
        );
        assert!(by_property(Tx::Sqlite(&c), "b", "1").unwrap().is_empty());
        assert!(by_property(Tx::Sqlite(&c), "missing", "x")
            .unwrap()
            .is_empty());
    }

    #[test]
    fn property_names_with_dots_and_quotes_are_taken_literally() {
        let c = db();
        insert(
            Tx::Sqlite(&c),
            None,
            Some("a"),
            &props(json!({"a.b\"c": "v", "a": {"b\"c": "w"}})),
            None,
            "t",
        )
        .unwrap();
        assert_eq!(by_property(Tx::Sqlite(&c), "a.b\"c", "v").unwrap().len(), 1);
        assert!(by_property(Tx::Sqlite(&c), "a.b\"c", "w")
            .unwrap()
            .is_empty());
    }

    #[test]
    fn an_update_keeps_fields_it_does_not_set() {
        let c = db();
        let id = insert(
            Tx::Sqlite(&c),
            Some("1"),
            Some("Old"),
            &Map::new(),
            None,
            "t",
        )
        .unwrap();
        update(
            &c,
            id,
            None,
            Some("New"),
            r#"{"x":1}"#,
            None,
            Some("r2"),
            "t2",
        )
        .unwrap();
        let l = list(Tx::Sqlite(&c), &RecordFilter::default()).unwrap();
        assert_eq!(
            (l[0].external_id.as_deref(), l[0].name.as_deref()),
            (Some("1"), Some("New"))
        );
        assert_eq!(l[0].request_id.as_deref(), Some("r2"));
        assert_eq!(
            for_update(&c, id).unwrap().unwrap().properties,
            r#"{"x":1}"#
        );
        assert_eq!(by_name(Tx::Sqlite(&c), "new").unwrap().len(), 1);
    }

    #[test]
    fn a_search_matches_ids_names_and_property_text() {
        let c = db();
        insert(
            Tx::Sqlite(&c),
            Some("acme-1"),
            Some("Acme"),
            &props(json!({"plan": "gold"})),
            None,
            "t",
        )
        .unwrap();
        insert(
            Tx::Sqlite(&c),
            Some("x-2"),
            Some("Other"),
            &Map::new(),
            None,
            "t",
        )
        .unwrap();
        let s = |q: &str| {
            list(
                Tx::Sqlite(&c),
                &RecordFilter {
                    search: Some(q.into()),
                    ..Default::default()
                },
            )
            .unwrap()
            .len()
        };
        assert_eq!((s("ACME"), s("gold"), s("x-2"), s("%")), (1, 1, 1, 0));
    }
}
