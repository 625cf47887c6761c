//! `connection_trust`: a connection's signature settings and what it does on drift. A connection
//! without a row verifies nothing and warns on drift.

use crate::store::{StoreError, Tx};
use rusqlite::OptionalExtension;

#[derive(Clone, PartialEq, Eq)]
pub struct TrustRow {
    pub connection_id: String,
    /// `none`, `standard-webhooks`, `segment` or `hmac-sha256`.
    pub verify: String,
    pub signing_secret: Option<String>,
    pub signature_header: Option<String>,
    /// `hex` or `base64`.
    pub signature_encoding: String,
    pub signature_prefix: Option<String>,
    /// `warn` or `refuse`.
    pub on_drift: String,
    pub updated_at: String,
}

impl std::fmt::Debug for TrustRow {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TrustRow")
            .field("connection_id", &self.connection_id)
            .field("verify", &self.verify)
            .field(
                "signing_secret",
                &self.signing_secret.as_ref().map(|_| "[redacted]"),
            )
            .field("signature_header", &self.signature_header)
            .field("signature_encoding", &self.signature_encoding)
            .field("signature_prefix", &self.signature_prefix)
            .field("on_drift", &self.on_drift)
            .finish()
    }
}

impl TrustRow {
    pub fn default_for(connection_id: &str) -> TrustRow {
        TrustRow {
            connection_id: connection_id.to_string(),
            verify: "none".into(),
            signing_secret: None,
            signature_header: None,
            signature_encoding: "hex".into(),
            signature_prefix: None,
            on_drift: "warn".into(),
            updated_at: String::new(),
        }
    }
}

const COLUMNS: &str = "connection_id, verify, signing_secret, signature_header, signature_encoding,
    signature_prefix, on_drift, updated_at";

pub fn get(tx: Tx, connection_id: &str) -> Result<Option<TrustRow>, StoreError> {
    let c = match tx {
        Tx::Sqlite(c) => c,
        Tx::Postgres(p) => return pg::get(p, connection_id),
    };
    Ok(c.prepare_cached(&format!(
        "SELECT {COLUMNS} FROM connection_trust WHERE connection_id = ?1"
    ))?
    .query_row([connection_id], |r| {
        Ok(TrustRow {
            connection_id: r.get(0)?,
            verify: r.get(1)?,
            signing_secret: r.get(2)?,
            signature_header: r.get(3)?,
            signature_encoding: r.get(4)?,
            signature_prefix: r.get(5)?,
            on_drift: r.get(6)?,
            updated_at: r.get(7)?,
        })
    })
    .optional()?)
}

const PUT: &str =
    "INSERT INTO connection_trust (connection_id, verify, signing_secret, signature_header,
        signature_encoding, signature_prefix, on_drift, updated_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
     ON CONFLICT (connection_id) DO UPDATE SET verify = excluded.verify,
        signing_secret = excluded.signing_secret, signature_header = excluded.signature_header,
        signature_encoding = excluded.signature_encoding,
        signature_prefix = excluded.signature_prefix, on_drift = excluded.on_drift,
        updated_at = excluded.updated_at";

/// Marks the settings as changed (a new config version), so that every receiver drops what it
/// keeps of the connection at its next request.
const TOUCH: &str = "INSERT INTO connection_trust (connection_id, updated_at) VALUES ($1, $2)
     ON CONFLICT (connection_id) DO UPDATE SET updated_at = excluded.updated_at";

pub fn put(tx: Tx, row: &TrustRow) -> Result<(), StoreError> {
    let c = match tx {
        Tx::Sqlite(c) => c,
        Tx::Postgres(p) => return pg::put(p, row),
    };
    // SQLite reads `$N` as numbered parameters too: one text for both stores.
    c.prepare_cached(PUT)?.execute((
        &row.connection_id,
        &row.verify,
        &row.signing_secret,
        &row.signature_header,
        &row.signature_encoding,
        &row.signature_prefix,
        &row.on_drift,
        &row.updated_at,
    ))?;
    Ok(())
}

pub fn touch(tx: Tx, connection_id: &str, at: &str) -> Result<(), StoreError> {
    let c = match tx {
        Tx::Sqlite(c) => c,
        Tx::Postgres(p) => return pg::touch(p, connection_id, at),
    };
    c.prepare_cached(TOUCH)?.execute((connection_id, at))?;
    Ok(())
}

pub(crate) mod pg {
    use super::{TrustRow, COLUMNS, PUT, TOUCH};
    use crate::store::pg::PgConn;
    use crate::store::StoreError;

    pub fn get(p: &PgConn, connection_id: &str) -> Result<Option<TrustRow>, StoreError> {
        Ok(p.query_opt(
            &format!("SELECT {COLUMNS} FROM connection_trust WHERE connection_id = $1"),
            &[&connection_id],
        )?
        .map(|r| TrustRow {
            connection_id: r.get(0),
            verify: r.get(1),
            signing_secret: r.get(2),
            signature_header: r.get(3),
            signature_encoding: r.get(4),
            signature_prefix: r.get(5),
            on_drift: r.get(6),
            updated_at: r.get(7),
        }))
    }

    pub fn put(p: &PgConn, row: &TrustRow) -> Result<(), StoreError> {
        p.execute(
            PUT,
            &[
                &row.connection_id,
                &row.verify,
                &row.signing_secret,
                &row.signature_header,
                &row.signature_encoding,
                &row.signature_prefix,
                &row.on_drift,
                &row.updated_at,
            ],
        )?;
        Ok(())
    }

    pub fn touch(p: &PgConn, connection_id: &str, at: &str) -> Result<(), StoreError> {
        p.execute(TOUCH, &[&connection_id, &at])?;
        Ok(())
    }
}
