//! `inlet_core::Directory` on SQLite: the planner's only view of stored records, through indexed
//! look-ups. It reads through whatever connection or transaction it is given, so a plan made inside
//! the write transaction sees the writes made before it in that transaction.

use super::queries::{accounts, contacts, events};
use super::StoreError;
use inlet_core::{Directory, DirectoryError, Found, Kind};
use rusqlite::Connection;

pub struct StoreDirectory<'a> {
    conn: &'a Connection,
    /// Event IDs are unique per connection; without one (a preview with no connection) no event
    /// counts as already stored.
    connection_id: Option<&'a str>,
}

impl<'a> StoreDirectory<'a> {
    pub fn new(conn: &'a Connection, connection_id: Option<&'a str>) -> Self {
        StoreDirectory {
            conn,
            connection_id,
        }
    }
}

fn lift<T>(r: Result<T, StoreError>) -> Result<T, DirectoryError> {
    r.map_err(|e| DirectoryError(e.to_string()))
}

impl Directory for StoreDirectory<'_> {
    fn by_external_id(&self, kind: Kind, external_id: &str) -> Result<Vec<Found>, DirectoryError> {
        lift(match kind {
            Kind::Accounts => accounts::by_external_id(self.conn, external_id),
            _ => contacts::by_external_id(self.conn, external_id),
        })
    }

    fn accounts_by_name(&self, name: &str) -> Result<Vec<Found>, DirectoryError> {
        lift(accounts::by_name(self.conn, name))
    }

    fn contacts_by_email(&self, email: &str) -> Result<Vec<Found>, DirectoryError> {
        lift(contacts::by_email(self.conn, email))
    }

    fn by_property(
        &self,
        kind: Kind,
        property: &str,
        value: &str,
    ) -> Result<Vec<Found>, DirectoryError> {
        lift(match kind {
            Kind::Accounts => accounts::by_property(self.conn, property, value),
            _ => contacts::by_property(self.conn, property, value),
        })
    }

    fn event_exists(&self, event_id: &str) -> Result<bool, DirectoryError> {
        match self.connection_id {
            Some(c) => lift(events::exists(self.conn, c, event_id)),
            None => Ok(false),
        }
    }
}
