//! The running listeners, one row each (`migrations/20261202_0001_listeners.sql`). Every write is
//! one statement on one row, by instance id: no listener reads and rewrites another's record.

use crate::store::{StoreError, Tx};

/// A listener's row as stored; `tunnel` is its tunnel state as JSON text.
#[derive(Debug, Clone, PartialEq)]
pub struct ListenerRow {
    pub instance: String,
    pub host: String,
    pub pid: i64,
    pub listen: String,
    pub process: String,
    pub started_at: String,
    pub tunnel: Option<String>,
    pub heartbeat_at: String,
}

const COLUMNS: &str = "instance, host, pid, listen, process, started_at, tunnel, heartbeat_at";

/// Writes the whole row: creates it, or replaces the one with this instance id.
pub fn upsert(tx: Tx, r: &ListenerRow) -> Result<(), StoreError> {
    let c = match tx {
        Tx::Sqlite(c) => c,
        Tx::Postgres(p) => return pg::upsert(p, r),
    };
    c.prepare_cached(
        "INSERT INTO listeners (instance, host, pid, listen, process, started_at, tunnel, heartbeat_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)
         ON CONFLICT (instance) DO UPDATE SET host = excluded.host, pid = excluded.pid,
             listen = excluded.listen, process = excluded.process, started_at = excluded.started_at,
             tunnel = excluded.tunnel, heartbeat_at = excluded.heartbeat_at",
    )?
    .execute((
        &r.instance,
        &r.host,
        r.pid,
        &r.listen,
        &r.process,
        &r.started_at,
        &r.tunnel,
        &r.heartbeat_at,
    ))?;
    Ok(())
}

/// Moves the row's heartbeat to `at`; false when there is no such row (a reader removed it as
/// stale, say while the database was out of reach), so the caller writes it whole again.
pub fn heartbeat(tx: Tx, instance: &str, at: &str) -> Result<bool, StoreError> {
    let c = match tx {
        Tx::Sqlite(c) => c,
        Tx::Postgres(p) => return pg::heartbeat(p, instance, at),
    };
    let n = c
        .prepare_cached("UPDATE listeners SET heartbeat_at = ?2 WHERE instance = ?1")?
        .execute((instance, at))?;
    Ok(n > 0)
}

/// Removes the row (its listener stopped, or its process is gone).
pub fn delete(tx: Tx, instance: &str) -> Result<(), StoreError> {
    let c = match tx {
        Tx::Sqlite(c) => c,
        Tx::Postgres(p) => return pg::delete(p, instance),
    };
    c.prepare_cached("DELETE FROM listeners WHERE instance = ?1")?
        .execute([instance])?;
    Ok(())
}

/// Removes the row if its heartbeat is still older than `before`: a heartbeat written since the
/// reader judged it stale keeps it.
pub fn delete_stale(tx: Tx, instance: &str, before: &str) -> Result<(), StoreError> {
    let c = match tx {
        Tx::Sqlite(c) => c,
        Tx::Postgres(p) => return pg::delete_stale(p, instance, before),
    };
    c.prepare_cached("DELETE FROM listeners WHERE instance = ?1 AND heartbeat_at < ?2")?
        .execute((instance, before))?;
    Ok(())
}

/// Every row, oldest start first.
pub fn list(tx: Tx) -> Result<Vec<ListenerRow>, StoreError> {
    let c = match tx {
        Tx::Sqlite(c) => c,
        Tx::Postgres(p) => return pg::list(p),
    };
    let mut st = c.prepare_cached(&format!(
        "SELECT {COLUMNS} FROM listeners ORDER BY started_at, instance"
    ))?;
    let rows = st.query_map([], |r| {
        Ok(ListenerRow {
            instance: r.get(0)?,
            host: r.get(1)?,
            pid: r.get(2)?,
            listen: r.get(3)?,
            process: r.get(4)?,
            started_at: r.get(5)?,
            tunnel: r.get(6)?,
            heartbeat_at: r.get(7)?,
        })
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

pub(crate) mod pg {
    use super::{ListenerRow, COLUMNS};
    use crate::store::pg::PgConn;
    use crate::store::StoreError;

    pub fn upsert(p: &PgConn, r: &ListenerRow) -> Result<(), StoreError> {
        p.execute(
            "INSERT INTO listeners (instance, host, pid, listen, process, started_at, tunnel, heartbeat_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
             ON CONFLICT (instance) DO UPDATE SET host = excluded.host, pid = excluded.pid,
                 listen = excluded.listen, process = excluded.process,
                 started_at = excluded.started_at, tunnel = excluded.tunnel,
                 heartbeat_at = excluded.heartbeat_at",
            &[
                &r.instance,
                &r.host,
                &r.pid,
                &r.listen,
                &r.process,
                &r.started_at,
                &r.tunnel,
                &r.heartbeat_at,
            ],
        )?;
        Ok(())
    }

    pub fn heartbeat(p: &PgConn, instance: &str, at: &str) -> Result<bool, StoreError> {
        let n = p.execute(
            "UPDATE listeners SET heartbeat_at = $2 WHERE instance = $1",
            &[&instance, &at],
        )?;
        Ok(n > 0)
    }

    pub fn delete(p: &PgConn, instance: &str) -> Result<(), StoreError> {
        p.execute("DELETE FROM listeners WHERE instance = $1", &[&instance])?;
        Ok(())
    }

    pub fn delete_stale(p: &PgConn, instance: &str, before: &str) -> Result<(), StoreError> {
        p.execute(
            "DELETE FROM listeners WHERE instance = $1 AND heartbeat_at < $2",
            &[&instance, &before],
        )?;
        Ok(())
    }

    pub fn list(p: &PgConn) -> Result<Vec<ListenerRow>, StoreError> {
        Ok(p.query(
            &format!("SELECT {COLUMNS} FROM listeners ORDER BY started_at, instance"),
            &[],
        )?
        .iter()
        .map(|r| ListenerRow {
            instance: r.get(0),
            host: r.get(1),
            pid: r.get(2),
            listen: r.get(3),
            process: r.get(4),
            started_at: r.get(5),
            tunnel: r.get(6),
            heartbeat_at: r.get(7),
        })
        .collect())
    }
}
