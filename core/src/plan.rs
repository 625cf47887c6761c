//! The Plan: what each row would do. The core decides everything here; a store only applies it,
//! and the preview shows it, so a dry run cannot disagree with a real write.

use crate::mapping::{Behavior, Kind};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// A record the plan touches: one that exists, or the n-th record this plan creates.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(optional_fields))]
#[serde(rename_all = "lowercase")]
pub enum Target {
    Existing(String),
    New(usize),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
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

/// The normalised key a row was matched (or created) by.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(optional_fields))]
pub struct Key {
    pub by: By,
    pub value: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub property: Option<String>,
}

/// An account a contact row creates on the way (contacts with `account` under upsert).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(optional_fields))]
pub struct NewAccount {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub external_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
}

/// A link from a contact to its account, or from an event to its contact or account.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(optional_fields))]
pub struct Link {
    pub target: Target,
    pub key: Key,
    /// Set when this row creates the account (it becomes `target`, which is then `new`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub create: Option<NewAccount>,
}

/// The fields a create or update writes. Which are set depends on the kind.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
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
    /// Contacts: their account. Events: the account they belong to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account: Option<Link>,
    /// Events.
    #[serde(rename = "type", default, skip_serializing_if = "Option::is_none")]
    pub event_type: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub contact: Option<Link>,
    /// Events: RFC 3339 UTC; absent means the time the request was received.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timestamp: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub event_id: Option<String>,
    /// Top-level keys overwrite; `null` removes the key (never present on a create).
    #[cfg_attr(feature = "ts", ts(type = "Record<string, unknown>"))]
    pub properties: Map<String, Value>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
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

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(optional_fields))]
pub struct RowPlan {
    pub index: usize,
    #[serde(flatten)]
    pub outcome: Outcome,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[cfg_attr(feature = "ts", ts(as = "Option<Vec<String>>"))]
    pub warnings: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
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

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
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

    pub fn has_errors(&self) -> bool {
        self.summary.error > 0
    }

    pub(crate) fn summarise(rows: &[RowPlan]) -> Summary {
        let mut s = Summary {
            rows: rows.len(),
            ..Summary::default()
        };
        for r in rows {
            match r.outcome {
                Outcome::Create { .. } => s.create += 1,
                Outcome::Update { .. } => s.update += 1,
                Outcome::Delete { .. } => s.delete += 1,
                Outcome::Skip { .. } => s.skip += 1,
                Outcome::Duplicate { .. } => s.duplicate += 1,
                Outcome::Error { .. } => s.error += 1,
            }
        }
        s
    }
}
