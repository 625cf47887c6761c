//! The Plan: what each row would do. The core decides everything here; a store only applies it,
//! and the preview shows it, so a dry run cannot disagree with a real write.

use crate::mapping::{Behavior, Kind};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// The properties a create or update writes, as the JSON text of one object: compact, keys in
/// the row's order, written as `serde_json` writes them. The planner writes it once from the
/// row it reads in place; the store writes the text as it is (a create) or merges its entries
/// into the stored record's (an update); the preview copies it into its answer.
// `None` is `{}`: a plan makes one per row (`Write::default`, rows without properties), and it
// costs no allocation.
#[derive(Clone, PartialEq, Eq, Default)]
pub struct Properties(Option<Box<str>>);

impl Properties {
    /// The text of the object (`{}` when empty).
    pub fn as_str(&self) -> &str {
        self.0.as_deref().unwrap_or("{}")
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_none()
    }

    /// The entries as a map (an update merges them into what is stored).
    pub fn to_map(&self) -> Map<String, Value> {
        // Written by this crate from a value it read, so it always reads back as an object.
        match serde_json::from_str(self.as_str()) {
            Ok(Value::Object(m)) => m,
            _ => Map::new(),
        }
    }

    pub fn from_map(m: &Map<String, Value>) -> Properties {
        let mut out = Vec::with_capacity(2 + m.len() * 16);
        crate::json::write_value_map(&mut out, m);
        Properties::from_text(&out)
    }

    /// Text the core wrote itself (valid JSON, UTF-8), copied at its size.
    pub(crate) fn from_text(out: &[u8]) -> Properties {
        // Always UTF-8 (written from `str`s); a lossy reading would only ever be the fallback.
        if out == b"{}" {
            return Properties(None);
        }
        Properties(Some(match std::str::from_utf8(out) {
            Ok(text) => text.into(),
            Err(_) => String::from_utf8_lossy(out).into(),
        }))
    }
}

/// Why stored properties could not take an update's entries.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MergeError {
    #[error("properties: {0}")]
    NotJson(String),
    #[error("properties are not a JSON object")]
    NotObject,
}

impl Properties {
    /// `stored` (a record's properties, as JSON text) with these entries merged in, as text:
    /// a key given overwrites in its place, a new key goes at the end, and `null` removes the
    /// key, moving the last entry into its place (what `serde_json::Map::remove` does, so
    /// records merged before keep their order). Values are copied as the text they are, so a
    /// stored value an update does not give is kept exactly, never read and written again.
    pub fn merge_into(&self, stored: &str) -> Result<String, MergeError> {
        let (Some(base), Some(patch)) = (
            crate::reader::read_entries(stored),
            crate::reader::read_entries(self.as_str()),
        ) else {
            return self.merge_read_whole(stored);
        };
        let mut entries = Entries::with_capacity(base.len() + patch.len());
        for (k, v) in base {
            // A repeated key keeps its first place and its last value, as serde_json reads it.
            entries.set(k, v);
        }
        for (k, v) in patch {
            if v == "null" {
                entries.remove(&k);
            } else {
                entries.set(k, v);
            }
        }
        let mut out = Vec::with_capacity(stored.len() + self.as_str().len());
        out.push(b'{');
        for (i, (k, v)) in entries.items.iter().enumerate() {
            if i > 0 {
                out.push(b',');
            }
            // Read without an escape when borrowed, so written as it is.
            crate::json::write_text(&mut out, k);
            out.push(b':');
            out.extend_from_slice(v.as_bytes());
        }
        out.push(b'}');
        Ok(text(out))
    }

    /// `merge_into` for text the quick reader leaves to serde_json (a lone surrogate escape, a
    /// very deep value) or refuses: read whole, and its error when it is not an object.
    fn merge_read_whole(&self, stored: &str) -> Result<String, MergeError> {
        use crate::node::{write_node, Node};
        let base = crate::payload::parse_json_node(stored.as_bytes())
            .map_err(|e| MergeError::NotJson(e.to_string()))?;
        let Node::Object(base) = base else {
            return Err(MergeError::NotObject);
        };
        let mut entries = Entries::with_capacity(base.len());
        for (k, v) in base {
            entries.set(k, v);
        }
        // Written by the core from an object, so it always reads back as one.
        if let Ok(Node::Object(patch)) = crate::payload::parse_json_node(self.as_str().as_bytes()) {
            for (k, v) in patch {
                if v.is_null() {
                    entries.remove(&k);
                } else {
                    entries.set(k, v);
                }
            }
        }
        let mut out = Vec::with_capacity(stored.len() + self.as_str().len());
        write_node(&mut out, &Node::Object(entries.items));
        Ok(text(out))
    }
}

/// Text written from `str`s only.
fn text(out: Vec<u8>) -> String {
    String::from_utf8(out).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into())
}

/// An object's entries being merged, in order, each key once: found by a scan while there are
/// few (a record's usual size), through a hash past that, so that merging two large objects is
/// not quadratic.
struct Entries<'a, V> {
    items: Vec<(std::borrow::Cow<'a, str>, V)>,
    index: Option<foldhash::HashMap<std::borrow::Cow<'a, str>, usize>>,
}

impl<'a, V> Entries<'a, V> {
    const SCAN: usize = 32;

    fn with_capacity(n: usize) -> Self {
        Entries {
            items: Vec::with_capacity(n),
            index: None,
        }
    }

    fn find(&self, key: &str) -> Option<usize> {
        match &self.index {
            None => self.items.iter().position(|(k, _)| k == key),
            Some(m) => m.get(key).copied(),
        }
    }

    fn set(&mut self, key: std::borrow::Cow<'a, str>, v: V) {
        if let Some(i) = self.find(&key) {
            self.items[i].1 = v;
            return;
        }
        if let Some(m) = &mut self.index {
            m.insert(key.clone(), self.items.len());
        }
        self.items.push((key, v));
        if self.index.is_none() && self.items.len() > Self::SCAN {
            let m = self.items.iter().enumerate();
            self.index = Some(m.map(|(i, (k, _))| (k.clone(), i)).collect());
        }
    }

    fn remove(&mut self, key: &str) {
        let Some(i) = self.find(key) else { return };
        let removed = self.items.swap_remove(i);
        if let Some(m) = &mut self.index {
            m.remove(&removed.0);
            if let Some((moved, _)) = self.items.get(i) {
                m.insert(moved.clone(), i);
            }
        }
    }
}

impl std::fmt::Debug for Properties {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for Properties {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        // Handed over as raw JSON: serde_json copies the text, other serializers read it.
        let raw: &serde_json::value::RawValue =
            serde_json::from_str(self.as_str()).map_err(serde::ser::Error::custom)?;
        raw.serialize(s)
    }
}

impl<'de> Deserialize<'de> for Properties {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        // Rewritten in the compact form, so that what is written again is what the core writes.
        Map::<String, Value>::deserialize(d).map(|m| Properties::from_map(&m))
    }
}

/// A record the plan touches: one that exists, or the n-th record this plan creates.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(optional_fields))]
#[serde(rename_all = "lowercase")]
pub enum Target {
    Existing(String),
    New(usize),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(optional_fields))]
#[serde(rename_all = "lowercase")]
pub enum By {
    Id,
    Name,
    Email,
    /// A stored property (custom matching); `Key::property` names it.
    Property,
    /// An event's account taken from its contact.
    Contact,
}

impl By {
    pub fn as_str(self) -> &'static str {
        match self {
            By::Id => "id",
            By::Name => "name",
            By::Email => "email",
            By::Property => "property",
            By::Contact => "contact",
        }
    }
}

/// The normalised key a row was matched (or created) by.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(optional_fields))]
pub struct Key {
    pub by: By,
    pub value: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub property: Option<String>,
}

/// An account a contact row creates on the way (contacts with `account` under upsert).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(optional_fields))]
pub struct NewAccount {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub external_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
}

/// A link from a contact to its account, or from an event to its contact or account.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(optional_fields))]
pub struct Link {
    pub target: Target,
    pub key: Key,
    /// Set when this row creates the account (it becomes `target`, which is then `new`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub create: Option<NewAccount>,
}

/// The fields a create or update writes. Which are set depends on the kind.
#[derive(Debug, Clone, PartialEq, Default, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(optional_fields))]
pub struct Write {
    /// Create: the row's ID. Update: only when it fills an empty stored ID.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub external_id: Option<String>,
    /// Accounts.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Contacts.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    // Boxed, as is `contact`: most rows link nothing, and a plan's rows are moved and held by
    // the thousand (a row of a plan is 288 bytes so, 528 with the links inline).
    /// Contacts: their account. Events: the account they belong to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account: Option<Box<Link>>,
    /// Events.
    #[serde(rename = "type", default, skip_serializing_if = "Option::is_none")]
    pub event_type: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub contact: Option<Box<Link>>,
    /// Events: RFC 3339 UTC; absent means the time the request was received.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timestamp: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub event_id: Option<String>,
    /// Top-level keys overwrite; `null` removes the key (never present on a create).
    #[cfg_attr(feature = "ts", ts(type = "Record<string, unknown>"))]
    pub properties: Properties,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(optional_fields))]
#[serde(tag = "action", rename_all = "lowercase")]
pub enum Outcome {
    Create {
        new: usize,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        key: Option<Key>,
        record: Write,
    },
    Update {
        target: Target,
        key: Key,
        record: Write,
    },
    Delete {
        target: Target,
        key: Key,
    },
    Skip {
        reason: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        key: Option<Key>,
    },
    Duplicate {
        event_id: String,
    },
    Error {
        error: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        path: Option<String>,
    },
}

impl Outcome {
    pub fn action(&self) -> &'static str {
        match self {
            Outcome::Create { .. } => "create",
            Outcome::Update { .. } => "update",
            Outcome::Delete { .. } => "delete",
            Outcome::Skip { .. } => "skip",
            Outcome::Duplicate { .. } => "duplicate",
            Outcome::Error { .. } => "error",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(optional_fields))]
pub struct RowPlan {
    pub index: usize,
    #[serde(flatten)]
    pub outcome: Outcome,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[cfg_attr(feature = "ts", ts(as = "Option<Vec<String>>"))]
    pub warnings: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(optional_fields))]
pub struct Summary {
    pub rows: usize,
    pub create: usize,
    pub update: usize,
    pub delete: usize,
    pub skip: usize,
    pub duplicate: usize,
    pub error: usize,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(optional_fields))]
pub struct Plan {
    pub kind: Kind,
    pub behavior: Behavior,
    pub rows: Vec<RowPlan>,
    pub summary: Summary,
}

impl Plan {
    /// The plan as JSON text: the same bytes as `serde_json::to_string(self)`, written directly.
    pub fn to_json(&self) -> String {
        let mut out = Vec::with_capacity(64 + self.rows.len() * 512);
        crate::json::write_plan(&mut out, self);
        crate::json::into_string(out)
    }

    /// The per-row outcomes the request log keeps (see the request log in `docs/http.md`), as
    /// JSON text; `record_ids[i]` is the stored record the i-th row wrote, once it is applied.
    pub fn outcomes_json(&self, record_ids: Option<&[Option<i64>]>) -> String {
        let mut out = Vec::with_capacity(2 + self.rows.len() * 40);
        crate::json::write_outcomes(&mut out, self, record_ids);
        crate::json::into_string(out)
    }

    pub fn has_errors(&self) -> bool {
        self.summary.error > 0
    }
}

impl Summary {
    /// One more row, with this outcome.
    pub(crate) fn count(&mut self, o: &Outcome) {
        self.rows += 1;
        match o {
            Outcome::Create { .. } => self.create += 1,
            Outcome::Update { .. } => self.update += 1,
            Outcome::Delete { .. } => self.delete += 1,
            Outcome::Skip { .. } => self.skip += 1,
            Outcome::Duplicate { .. } => self.duplicate += 1,
            Outcome::Error { .. } => self.error += 1,
        }
    }
}
