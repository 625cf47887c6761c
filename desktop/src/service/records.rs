//! The Data screen and `inlet records`: accounts, contacts with their account, events with their
//! type, contact, account and time. Newest first, paged by key (`RecordFilter::after`), searched
//! with the same case folding as matching; record pages link an account to its contacts and its
//! events, a contact to its account and events, each record to the request that wrote it last.

use super::{Result, ServiceError, Services};
use crate::ids::ConnectionId;
use crate::store::queries::{accounts, contacts, event_types, events, Listed};
pub use crate::store::queries::{
    accounts::AccountRecord, contacts::AccountRef, contacts::ContactRecord,
    event_types::EventTypeRecord, events::EventRecord, RecordFilter,
};
use crate::store::{StoreError, Tx};
use serde::Serialize;

/// How many contacts and events a record page shows before its `next` cursor.
pub const PAGE_LINKS: usize = 50;

pub(crate) fn checked(f: &RecordFilter) -> Result<RecordFilter> {
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
    f.event_type = f.event_type.filter(|s| !s.is_empty());
    f.request = f.request.filter(|s| !s.trim().is_empty());
    f.after = f.after.filter(|s| !s.is_empty());
    f.cursor().map_err(ServiceError::Invalid)?;
    Ok(f)
}

/// One page of a list and the cursor of the next (`None` on the last page).
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Page<R> {
    pub records: Vec<R>,
    pub next: Option<String>,
}

fn page<R: Listed>(
    s: &Services,
    f: &RecordFilter,
    list: impl Fn(Tx, &RecordFilter) -> std::result::Result<Vec<R>, StoreError>,
) -> Result<Page<R>> {
    let f = checked(f)?;
    // One more than the page is read to know whether a next page exists; the cap leaves room.
    let limit = (f.limit().max(0) as usize).min(99_999);
    let mut g = f.clone();
    g.limit = Some(limit + 1);
    let mut records = s.store().read(|tx| Ok::<_, ServiceError>(list(tx, &g)?))?;
    let next = if records.len() > limit {
        records.truncate(limit);
        records.last().map(Listed::cursor)
    } else {
        None
    };
    Ok(Page { records, next })
}

pub fn accounts_page(s: &Services, f: &RecordFilter) -> Result<Page<AccountRecord>> {
    page(s, f, accounts::list)
}

pub fn contacts_page(s: &Services, f: &RecordFilter) -> Result<Page<ContactRecord>> {
    page(s, f, contacts::list)
}

pub fn events_page(s: &Services, f: &RecordFilter) -> Result<Page<EventRecord>> {
    page(s, f, events::list)
}

pub fn accounts(s: &Services, f: &RecordFilter) -> Result<Vec<AccountRecord>> {
    Ok(accounts_page(s, f)?.records)
}

pub fn contacts(s: &Services, f: &RecordFilter) -> Result<Vec<ContactRecord>> {
    Ok(contacts_page(s, f)?.records)
}

pub fn events(s: &Services, f: &RecordFilter) -> Result<Vec<EventRecord>> {
    Ok(events_page(s, f)?.records)
}

pub fn event_types(s: &Services) -> Result<Vec<EventTypeRecord>> {
    s.store().read(|tx| Ok(event_types::list(tx)?))
}

/// An account, its contacts and the timeline of its events (newest first).
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct AccountPage {
    pub account: AccountRecord,
    pub contacts: Page<ContactRecord>,
    pub events: Page<EventRecord>,
}

/// A contact, its account and the timeline of its events (newest first).
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct ContactPage {
    pub contact: ContactRecord,
    pub account: Option<AccountRecord>,
    pub events: Page<EventRecord>,
}

fn one<R>(v: Vec<R>, what: &str, id: i64) -> Result<R> {
    v.into_iter()
        .next()
        .ok_or_else(|| ServiceError::NotFound(format!("no {what} {id}")))
}

fn by_id(id: i64) -> RecordFilter {
    RecordFilter {
        id: Some(id),
        limit: Some(1),
        ..Default::default()
    }
}

fn links(f: impl FnOnce(&mut RecordFilter)) -> RecordFilter {
    let mut r = RecordFilter {
        limit: Some(PAGE_LINKS),
        ..Default::default()
    };
    f(&mut r);
    r
}

pub fn account_page(s: &Services, id: i64) -> Result<AccountPage> {
    let account = one(accounts(s, &by_id(id))?, "account", id)?;
    Ok(AccountPage {
        account,
        contacts: contacts_page(s, &links(|f| f.account = Some(id)))?,
        events: events_page(s, &links(|f| f.account = Some(id)))?,
    })
}

pub fn contact_page(s: &Services, id: i64) -> Result<ContactPage> {
    let contact = one(contacts(s, &by_id(id))?, "contact", id)?;
    let account = match &contact.account {
        Some(a) => accounts(s, &by_id(a.id))?.into_iter().next(),
        None => None,
    };
    Ok(ContactPage {
        contact,
        account,
        events: events_page(s, &links(|f| f.contact = Some(id)))?,
    })
}

pub fn event(s: &Services, id: i64) -> Result<EventRecord> {
    one(events(s, &by_id(id))?, "event", id)
}
