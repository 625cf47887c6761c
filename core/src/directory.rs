//! What the planner may ask of the records that already exist. The store implements this with
//! indexed SQL; `MemoryDirectory` implements it over a snapshot (tests, preview, playground, and a
//! store that fetched a batch's `BatchKeys` in set queries).

use crate::mapping::Kind;
use crate::normalize::{fold, folded, property_key};
use foldhash::{HashMap, HashSet};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use std::collections::BTreeSet;

/// A record a look-up found: its internal id and the keys the planner reasons about.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Found {
    pub id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub external_id: Option<String>,
    /// Accounts: the name. Contacts: the email.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
    /// Contacts: the internal id of their account.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("store look-up failed: {0}")]
pub struct DirectoryError(pub String);

/// Look-ups return at most a few hits: two are enough to call a key ambiguous. The planner hands
/// names and emails over folded (`normalize::fold`) and a directory folds them again to compare;
/// folding is idempotent, so that second fold finds nothing to do.
pub trait Directory {
    /// `kind` is accounts or contacts.
    fn by_external_id(&self, kind: Kind, external_id: &str) -> Result<Vec<Found>, DirectoryError>;
    /// Accounts by name, compared without case.
    fn accounts_by_name(&self, name: &str) -> Result<Vec<Found>, DirectoryError>;
    /// Contacts by email, compared without case.
    fn contacts_by_email(&self, email: &str) -> Result<Vec<Found>, DirectoryError>;
    /// Records whose stored property `property`, normalised like a key, equals `value`.
    fn by_property(
        &self,
        kind: Kind,
        property: &str,
        value: &str,
    ) -> Result<Vec<Found>, DirectoryError>;
    /// Whether this connection already stored an event with this ID.
    fn event_exists(&self, event_id: &str) -> Result<bool, DirectoryError>;

    /// `by_external_id`'s hits handed to `f` in turn, borrowed: a directory that holds its
    /// records (`MemoryDirectory`, what a batch is planned from) then copies none of a hit's
    /// fields that planning does not keep.
    fn each_by_external_id(
        &self,
        kind: Kind,
        external_id: &str,
        f: &mut dyn FnMut(&Found),
    ) -> Result<(), DirectoryError> {
        self.by_external_id(kind, external_id)?.iter().for_each(f);
        Ok(())
    }

    /// Accounts by name or contacts by email (`label`), handed over like `each_by_external_id`.
    fn each_by_label(
        &self,
        kind: Kind,
        label: &str,
        f: &mut dyn FnMut(&Found),
    ) -> Result<(), DirectoryError> {
        let hits = match kind {
            Kind::Accounts => self.accounts_by_name(label)?,
            _ => self.contacts_by_email(label)?,
        };
        hits.iter().for_each(f);
        Ok(())
    }
}

/// Every key a batch's rows may look up, gathered before planning (`planner::batch_keys`) so that
/// a store can answer them all in a few set queries and plan from that snapshot
/// (`MemoryDirectory`) instead of one round trip per row. Sorted sets: a store that locks the keys
/// takes them in this fixed order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BatchKeys {
    /// External IDs of accounts (rows, account links, events' account IDs).
    pub account_ids: BTreeSet<String>,
    /// External IDs of contacts (rows, events' contact IDs).
    pub contact_ids: BTreeSet<String>,
    /// Account names, folded.
    pub names: BTreeSet<String>,
    /// Contact emails, folded.
    pub emails: BTreeSet<String>,
    /// Custom matching: the kind, the stored property and the values sought (normalised keys).
    pub custom: Option<(Kind, String, BTreeSet<String>)>,
    pub event_ids: BTreeSet<String>,
    /// Whether rows may create accounts or contacts with these keys (accounts and contacts under
    /// upsert): what a store must serialise across writers.
    pub creates: bool,
}

impl BatchKeys {
    pub fn is_empty(&self) -> bool {
        self.account_ids.is_empty()
            && self.contact_ids.is_empty()
            && self.names.is_empty()
            && self.emails.is_empty()
            && self.custom.as_ref().is_none_or(|c| c.2.is_empty())
            && self.event_ids.is_empty()
    }
}

/// A directory with nothing in it: every row is new.
pub struct EmptyDirectory;

impl Directory for EmptyDirectory {
    fn by_external_id(&self, _: Kind, _: &str) -> Result<Vec<Found>, DirectoryError> {
        Ok(Vec::new())
    }
    fn accounts_by_name(&self, _: &str) -> Result<Vec<Found>, DirectoryError> {
        Ok(Vec::new())
    }
    fn contacts_by_email(&self, _: &str) -> Result<Vec<Found>, DirectoryError> {
        Ok(Vec::new())
    }
    fn by_property(&self, _: Kind, _: &str, _: &str) -> Result<Vec<Found>, DirectoryError> {
        Ok(Vec::new())
    }
    fn event_exists(&self, _: &str) -> Result<bool, DirectoryError> {
        Ok(false)
    }
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SampleAccount {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub external_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Map::is_empty")]
    pub properties: Map<String, Value>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SampleContact {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub external_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    /// The internal id of the contact's account.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account: Option<String>,
    #[serde(default, skip_serializing_if = "Map::is_empty")]
    pub properties: Map<String, Value>,
}

/// Existing records given as JSON: `{"accounts": [...], "contacts": [...], "event_ids": [...]}`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Snapshot {
    #[serde(default)]
    pub accounts: Vec<SampleAccount>,
    #[serde(default)]
    pub contacts: Vec<SampleContact>,
    /// Event IDs the connection already stored.
    #[serde(default)]
    pub event_ids: Vec<String>,
}

struct Entry {
    found: Found,
    properties: Map<String, Value>,
}

/// Entries of one kind with hash indexes on the external ID and the folded name or email, so a
/// look-up costs the same with ten records or a million (as the store's indexed SQL does).
#[derive(Default)]
struct Table {
    entries: Vec<Entry>,
    by_external_id: HashMap<String, Vec<usize>>,
    by_label: HashMap<String, Vec<usize>>,
}

impl Table {
    fn new(entries: Vec<Entry>) -> Table {
        let mut t = Table {
            entries,
            ..Table::default()
        };
        for (i, e) in t.entries.iter().enumerate() {
            if let Some(id) = &e.found.external_id {
                t.by_external_id.entry(id.clone()).or_default().push(i);
            }
            if let Some(l) = &e.found.label {
                t.by_label.entry(fold(l)).or_default().push(i);
            }
        }
        t
    }

    fn each(&self, index: Option<&Vec<usize>>, f: &mut dyn FnMut(&Found)) {
        for &i in index.into_iter().flatten().take(2) {
            f(&self.entries[i].found);
        }
    }

    fn hits(&self, index: Option<&Vec<usize>>) -> Vec<Found> {
        index.map_or_else(Vec::new, |ix| {
            ix.iter()
                .take(2)
                .map(|&i| self.entries[i].found.clone())
                .collect()
        })
    }
}

pub struct MemoryDirectory {
    accounts: Table,
    contacts: Table,
    event_ids: HashSet<String>,
}

fn blank_to_none(s: &Option<String>) -> Option<String> {
    s.as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
}

impl MemoryDirectory {
    pub fn new(snapshot: &Snapshot) -> Self {
        let accounts = snapshot
            .accounts
            .iter()
            .enumerate()
            .map(|(i, a)| Entry {
                found: Found {
                    id: a.id.clone().unwrap_or_else(|| format!("a{}", i + 1)),
                    external_id: blank_to_none(&a.external_id),
                    label: blank_to_none(&a.name),
                    account: None,
                },
                properties: a.properties.clone(),
            })
            .collect();
        let contacts = snapshot
            .contacts
            .iter()
            .enumerate()
            .map(|(i, c)| Entry {
                found: Found {
                    id: c.id.clone().unwrap_or_else(|| format!("c{}", i + 1)),
                    external_id: blank_to_none(&c.external_id),
                    label: blank_to_none(&c.email),
                    account: c.account.clone(),
                },
                properties: c.properties.clone(),
            })
            .collect();
        MemoryDirectory {
            accounts: Table::new(accounts),
            contacts: Table::new(contacts),
            event_ids: snapshot.event_ids.iter().cloned().collect(),
        }
    }

    pub fn from_json(v: &Value) -> Result<Self, String> {
        let s: Snapshot =
            serde_json::from_value(v.clone()).map_err(|e| format!("existing records: {e}"))?;
        Ok(Self::new(&s))
    }

    fn table(&self, kind: Kind) -> &Table {
        match kind {
            Kind::Accounts => &self.accounts,
            _ => &self.contacts,
        }
    }
}

impl Directory for MemoryDirectory {
    fn by_external_id(&self, kind: Kind, external_id: &str) -> Result<Vec<Found>, DirectoryError> {
        let t = self.table(kind);
        Ok(t.hits(t.by_external_id.get(external_id)))
    }
    fn accounts_by_name(&self, name: &str) -> Result<Vec<Found>, DirectoryError> {
        Ok(self
            .accounts
            .hits(self.accounts.by_label.get(&*folded(name))))
    }
    fn contacts_by_email(&self, email: &str) -> Result<Vec<Found>, DirectoryError> {
        Ok(self
            .contacts
            .hits(self.contacts.by_label.get(&*folded(email))))
    }
    /// Custom matching scans: properties are free-form, and previews hold few records.
    fn by_property(
        &self,
        kind: Kind,
        property: &str,
        value: &str,
    ) -> Result<Vec<Found>, DirectoryError> {
        Ok(self
            .table(kind)
            .entries
            .iter()
            .filter(|e| e.properties.get(property).and_then(property_key).as_deref() == Some(value))
            .take(2)
            .map(|e| e.found.clone())
            .collect())
    }
    fn event_exists(&self, event_id: &str) -> Result<bool, DirectoryError> {
        Ok(self.event_ids.contains(event_id))
    }
    fn each_by_external_id(
        &self,
        kind: Kind,
        external_id: &str,
        f: &mut dyn FnMut(&Found),
    ) -> Result<(), DirectoryError> {
        let t = self.table(kind);
        t.each(t.by_external_id.get(external_id), f);
        Ok(())
    }
    fn each_by_label(
        &self,
        kind: Kind,
        label: &str,
        f: &mut dyn FnMut(&Found),
    ) -> Result<(), DirectoryError> {
        let t = self.table(kind);
        t.each(t.by_label.get(&*folded(label)), f);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn indexed_look_ups_fold_case_skip_blanks_and_stop_at_two() {
        let d = MemoryDirectory::from_json(&json!({
            "accounts": [{"id": "a1", "external_id": "7", "name": "Acme"}, {"external_id": "7", "name": " ACME "}, {"external_id": "7"}, {"name": "  "}],
            "contacts": [{"id": "c1", "email": "Ada@Example.com", "external_id": "7", "properties": {"n": 42}}],
            "event_ids": ["e1"]
        }))
        .unwrap();
        let ids = |v: Vec<Found>| v.into_iter().map(|f| f.id).collect::<Vec<_>>();
        assert_eq!(
            ids(d.by_external_id(Kind::Accounts, "7").unwrap()),
            ["a1", "a2"]
        );
        assert_eq!(ids(d.by_external_id(Kind::Contacts, "7").unwrap()), ["c1"]);
        assert_eq!(ids(d.accounts_by_name("acme").unwrap()), ["a1", "a2"]);
        assert!(d.accounts_by_name("").unwrap().is_empty());
        assert!(d.accounts_by_name("  ").unwrap().is_empty());
        assert_eq!(
            ids(d.contacts_by_email(" ada@EXAMPLE.com").unwrap()),
            ["c1"]
        );
        assert_eq!(
            ids(d.by_property(Kind::Contacts, "n", "42").unwrap()),
            ["c1"]
        );
        assert!(d.event_exists("e1").unwrap() && !d.event_exists("e2").unwrap());
    }

    /// A directory with only the methods a store must write (SQLite's and PostgreSQL's are such):
    /// the handing-over ones come from the trait.
    struct Required(MemoryDirectory);

    impl Directory for Required {
        fn by_external_id(&self, kind: Kind, id: &str) -> Result<Vec<Found>, DirectoryError> {
            self.0.by_external_id(kind, id)
        }
        fn accounts_by_name(&self, name: &str) -> Result<Vec<Found>, DirectoryError> {
            self.0.accounts_by_name(name)
        }
        fn contacts_by_email(&self, email: &str) -> Result<Vec<Found>, DirectoryError> {
            self.0.contacts_by_email(email)
        }
        fn by_property(&self, k: Kind, p: &str, v: &str) -> Result<Vec<Found>, DirectoryError> {
            self.0.by_property(k, p, v)
        }
        fn event_exists(&self, event_id: &str) -> Result<bool, DirectoryError> {
            self.0.event_exists(event_id)
        }
    }

    #[test]
    fn a_store_that_writes_only_the_required_look_ups_plans_as_the_memory_directory_does() {
        let existing = json!({
            "accounts": [{"id": "a1", "external_id": "o1", "name": "Acme"}, {"id": "a2", "name": "Other"}],
            "contacts": [{"id": "c1", "external_id": "u1", "email": "ada@example.com"}, {"id": "c2", "email": "bob@example.com"}]
        });
        let mapping = json!({"version": 1, "kind": "contacts", "match": {"id": "id", "email": "email"},
                             "account": {"id": "org", "name": "co"}});
        let body = json!([{"id": "u1", "org": "o1"}, {"email": "BOB@example.com", "co": "other"},
                          {"id": "u9", "email": "new@example.com", "co": "acme"}]);
        let m = crate::Mapping::from_value(&mapping)
            .unwrap()
            .compile()
            .unwrap();
        let body = crate::Node::from_value(&body);
        let memory = MemoryDirectory::from_json(&existing).unwrap();
        let expected = crate::plan(&body, &m, &memory).unwrap();
        assert_eq!(expected.summary.update, 2, "{expected:?}");
        let required = Required(MemoryDirectory::from_json(&existing).unwrap());
        assert_eq!(crate::plan(&body, &m, &required).unwrap(), expected);
    }

    #[test]
    fn the_empty_directory_finds_nothing_and_knows_no_event() {
        // What the pure preview plans against: every record is new, no event is stored yet.
        let d = EmptyDirectory;
        assert!(d.by_external_id(Kind::Contacts, "u1").unwrap().is_empty());
        assert!(d.accounts_by_name("acme").unwrap().is_empty());
        assert!(d.contacts_by_email("a@example.com").unwrap().is_empty());
        assert!(d
            .by_property(Kind::Accounts, "domain", "d")
            .unwrap()
            .is_empty());
        assert!(!d.event_exists("m1").unwrap());
    }

    #[test]
    fn batch_keys_are_empty_only_with_no_key_of_any_kind() {
        let one = |s: &str| BTreeSet::from([s.to_string()]);
        assert!(BatchKeys::default().is_empty());
        // Custom matching with no values sought looks nothing up either.
        let no_values = BatchKeys {
            custom: Some((Kind::Accounts, "domain".into(), BTreeSet::new())),
            creates: true,
            ..BatchKeys::default()
        };
        assert!(no_values.is_empty());
        let each = [
            BatchKeys {
                account_ids: one("o1"),
                ..Default::default()
            },
            BatchKeys {
                contact_ids: one("u1"),
                ..Default::default()
            },
            BatchKeys {
                names: one("acme"),
                ..Default::default()
            },
            BatchKeys {
                emails: one("a@example.com"),
                ..Default::default()
            },
            BatchKeys {
                custom: Some((Kind::Accounts, "domain".into(), one("d"))),
                ..Default::default()
            },
            BatchKeys {
                event_ids: one("m1"),
                ..Default::default()
            },
        ];
        for keys in each {
            assert!(!keys.is_empty(), "{keys:?}");
        }
    }
}
