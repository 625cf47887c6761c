//! The Data screen and `inlet records`: accounts, contacts with their account, events with their
//! type, contact, account and time. Newest first.

use super::{Result, ServiceError, Services};
use crate::ids::ConnectionId;
use crate::store::queries::{accounts, contacts, event_types, events};
pub use crate::store::queries::{
    accounts::AccountRecord, contacts::ContactRecord, event_types::EventTypeRecord,
    events::EventRecord, RecordFilter,
};

fn checked(f: &RecordFilter) -> Result<RecordFilter> {
    let mut f = f.clone();
    if let Some(c) = &f.connection {
        f.connection = Some(
            ConnectionId::parse(c)
                .ok_or_else(|| ServiceError::not_found_connection(c))?
                .into_string(),
        );
    }
    f.search = f
        .search
        .filter(|s| !s.trim().is_empty())
        .map(|s| s.trim().to_string());
    Ok(f)
}

pub fn accounts(s: &Services, f: &RecordFilter) -> Result<Vec<AccountRecord>> {
    let f = checked(f)?;
    s.store().read(|tx| Ok(accounts::list(tx, &f)?))
}

pub fn contacts(s: &Services, f: &RecordFilter) -> Result<Vec<ContactRecord>> {
    let f = checked(f)?;
    s.store().read(|tx| Ok(contacts::list(tx, &f)?))
}

pub fn events(s: &Services, f: &RecordFilter) -> Result<Vec<EventRecord>> {
    let f = checked(f)?;
    s.store().read(|tx| Ok(events::list(tx, &f)?))
}

pub fn event_types(s: &Services) -> Result<Vec<EventTypeRecord>> {
    s.store().read(|tx| Ok(event_types::list(tx)?))
}
