//! The mapping document of docs/design.md §4 and its validation. A document that breaks a rule is refused
//! with a message naming the field; `compile` turns a valid one into parsed paths for the planner.

use crate::path::Path;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(optional_fields))]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    Accounts,
    Contacts,
    Events,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Accounts => "accounts",
            Kind::Contacts => "contacts",
            Kind::Events => "events",
        }
    }
    pub fn parse(s: &str) -> Option<Kind> {
        match s {
            "accounts" => Some(Kind::Accounts),
            "contacts" => Some(Kind::Contacts),
            "events" => Some(Kind::Events),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(optional_fields))]
#[serde(rename_all = "lowercase")]
pub enum Behavior {
    #[default]
    Upsert,
    Update,
}

impl Behavior {
    pub fn as_str(self) -> &'static str {
        match self {
            Behavior::Upsert => "upsert",
            Behavior::Update => "update",
        }
    }
    pub fn parse(s: &str) -> Option<Behavior> {
        match s {
            "upsert" => Some(Behavior::Upsert),
            "update" => Some(Behavior::Update),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(optional_fields))]
#[serde(rename_all = "lowercase")]
pub enum OnRemoved {
    #[default]
    Ignore,
    Delete,
}

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(optional_fields))]
#[serde(deny_unknown_fields)]
pub struct MatchSpec {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub custom: Option<CustomMatch>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(optional_fields))]
#[serde(deny_unknown_fields)]
pub struct CustomMatch {
    pub path: String,
    pub property: String,
}

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(optional_fields))]
#[serde(deny_unknown_fields)]
pub struct AccountLink {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(optional_fields))]
#[serde(deny_unknown_fields)]
pub struct EventType {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(optional_fields))]
#[serde(deny_unknown_fields)]
pub struct EventSpec {
    #[serde(rename = "type", default, skip_serializing_if = "Option::is_none")]
    pub event_type: Option<EventType>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub contact_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timestamp: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(optional_fields))]
#[serde(deny_unknown_fields)]
pub struct PropertiesSpec {
    #[serde(default)]
    #[cfg_attr(feature = "ts", ts(as = "Option<String>"))]
    pub path: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub include: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[cfg_attr(feature = "ts", ts(as = "Option<Vec<String>>"))]
    pub exclude: Vec<String>,
}

/// The mapping document, exactly as users write it (docs/design.md §4).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(optional_fields))]
#[serde(deny_unknown_fields)]
pub struct Mapping {
    #[cfg_attr(feature = "ts", ts(type = "1"))]
    pub version: u32,
    pub kind: Kind,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub behavior: Option<Behavior>,
    #[serde(default)]
    #[cfg_attr(feature = "ts", ts(as = "Option<String>"))]
    pub wrapper_path: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub operation_path: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub on_removed: Option<OnRemoved>,
    #[serde(rename = "match", default, skip_serializing_if = "Option::is_none")]
    pub match_on: Option<MatchSpec>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account: Option<AccountLink>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub event: Option<EventSpec>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub properties: Option<PropertiesSpec>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, Serialize)]
#[error("{field}: {message}")]
pub struct MappingError {
    /// Where in the document, e.g. `match.email` or `event.type`.
    pub field: String,
    pub message: String,
}

fn err(field: &str, message: impl Into<String>) -> MappingError {
    MappingError {
        field: field.to_string(),
        message: message.into(),
    }
}

/// How rows find their record.
#[derive(Debug, Clone, PartialEq)]
pub enum Keys {
    /// ID first, then the second key (name for accounts, email for contacts).
    Standard {
        id: Option<Path>,
        second: Option<Path>,
    },
    Custom {
        path: Path,
        property: String,
    },
    /// Events do not match.
    None,
}

#[derive(Debug, Clone, PartialEq)]
pub enum TypeSource {
    Path(Path),
    Value(String),
}

#[derive(Debug, Clone, PartialEq)]
pub struct EventKeys {
    pub event_type: TypeSource,
    pub account_id: Option<Path>,
    pub contact_id: Option<Path>,
    pub timestamp: Option<Path>,
    pub id: Option<Path>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct PropertySource {
    pub path: Path,
    pub include: Option<Vec<String>>,
    pub exclude: Vec<String>,
}

/// A validated mapping with its paths parsed: the planner's input.
#[derive(Debug, Clone, PartialEq)]
pub struct Compiled {
    pub kind: Kind,
    pub behavior: Behavior,
    pub wrapper: Path,
    pub operation: Option<Path>,
    pub on_removed: OnRemoved,
    pub keys: Keys,
    pub account: Option<(Option<Path>, Option<Path>)>,
    pub event: Option<EventKeys>,
    pub properties: PropertySource,
    /// The most rows one body may hold (more is a 413, `PayloadError::TooManyRows`): the
    /// listener's limit, `DEFAULT_MAX_ROWS`, unless the caller sets another (the CLI previews a
    /// file of any size).
    pub max_rows: usize,
}

fn path(field: &str, s: &str) -> Result<Path, MappingError> {
    Path::parse(s).map_err(|e| {
        err(
            field,
            format!("{} (at character {})", e.message, e.position),
        )
    })
}

/// A field reference must point somewhere: empty means "not mapped", so it is refused, not ignored.
fn field_path(field: &str, s: &Option<String>) -> Result<Option<Path>, MappingError> {
    match s {
        None => Ok(None),
        Some(s) if s.trim().is_empty() => Err(err(field, "is empty; remove it or name a field")),
        Some(s) => path(field, s).map(Some),
    }
}

impl Mapping {
    /// Reads a mapping document; a type or unknown-field error names the field.
    pub fn from_json(text: &str) -> Result<Mapping, MappingError> {
        let de = &mut serde_json::Deserializer::from_str(text);
        serde_path_to_error::deserialize(de).map_err(|e| {
            let field = e.path().to_string();
            let field = if field == "." {
                "mapping".to_string()
            } else {
                field
            };
            let msg = e.inner().to_string();
            // serde's message ends with " at line X column Y", which helps in a file.
            err(&field, msg)
        })
    }

    pub fn from_value(v: &serde_json::Value) -> Result<Mapping, MappingError> {
        Mapping::from_json(&v.to_string())
    }

    pub fn validate(&self) -> Result<(), MappingError> {
        self.compile().map(|_| ())
    }

    pub fn compile(&self) -> Result<Compiled, MappingError> {
        if self.version != 1 {
            return Err(err(
                "version",
                format!(
                    "unsupported version {}; this Inlet reads version 1",
                    self.version
                ),
            ));
        }
        let wrapper = path("wrapper_path", &self.wrapper_path)?;
        let operation = match &self.operation_path {
            Some(s) if !s.trim().is_empty() => Some(path("operation_path", s)?),
            _ => None,
        };
        let on_removed = self.on_removed.unwrap_or_default();
        let behavior = self.behavior.unwrap_or_default();
        // Checked in this order, so that a document with several faults names the first.
        let keys = self.keys()?;
        let account = self.account_paths()?;
        let event = self.event_keys()?;
        if self.kind == Kind::Events && on_removed == OnRemoved::Delete {
            return Err(err("on_removed", "events are never deleted; use `ignore`"));
        }
        let properties = self.property_source()?;
        Ok(Compiled {
            kind: self.kind,
            behavior,
            wrapper,
            operation,
            on_removed,
            keys,
            account,
            event,
            properties,
            max_rows: crate::planner::DEFAULT_MAX_ROWS,
        })
    }

    fn keys(&self) -> Result<Keys, MappingError> {
        let m = match (self.kind, &self.match_on) {
            (Kind::Events, Some(_)) => {
                return Err(err(
                    "match",
                    "events are not matched; use `event.contact_id` / `event.account_id`",
                ))
            }
            (Kind::Events, None) => return Ok(Keys::None),
            (kind, None) => {
                let need = if kind == Kind::Accounts {
                    "`id` or `name`"
                } else {
                    "`id` or `email`"
                };
                return Err(err(
                    "match",
                    format!("is required for {}: map {need}, or `custom`", kind.as_str()),
                ));
            }
            (_, Some(m)) => m,
        };
        if let Some(c) = &m.custom {
            if m.id.is_some() || m.name.is_some() || m.email.is_some() {
                return Err(err(
                    "match.custom",
                    "cannot be combined with `id`, `name` or `email`",
                ));
            }
            not_blank(
                "match.custom.path",
                &c.path,
                "is empty; name the field in the payload",
            )?;
            not_blank(
                "match.custom.property",
                &c.property,
                "is empty; name the stored property to match",
            )?;
            return Ok(Keys::Custom {
                path: path("match.custom.path", &c.path)?,
                property: c.property.trim().to_string(),
            });
        }
        let (second_name, second, wrong_name, wrong) = match self.kind {
            Kind::Accounts => ("name", &m.name, "email", &m.email),
            _ => ("email", &m.email, "name", &m.name),
        };
        if wrong.is_some() {
            return Err(err(
                &format!("match.{wrong_name}"),
                format!(
                    "{} match by `id` or `{second_name}`, not `{wrong_name}`",
                    self.kind.as_str()
                ),
            ));
        }
        let id = field_path("match.id", &m.id)?;
        let second = field_path(&format!("match.{second_name}"), second)?;
        if id.is_none() && second.is_none() {
            return Err(err(
                "match",
                format!("map `id` or `{second_name}` (or `custom`)"),
            ));
        }
        Ok(Keys::Standard { id, second })
    }

    #[allow(clippy::type_complexity)]
    fn account_paths(&self) -> Result<Option<(Option<Path>, Option<Path>)>, MappingError> {
        let Some(a) = &self.account else {
            return Ok(None);
        };
        if self.kind != Kind::Contacts {
            return Err(err(
                "account",
                "only contacts link to an account; events use `event.account_id`",
            ));
        }
        let id = field_path("account.id", &a.id)?;
        let name = field_path("account.name", &a.name)?;
        if id.is_none() && name.is_none() {
            return Err(err("account", "map `id` or `name`, or remove `account`"));
        }
        Ok(Some((id, name)))
    }

    fn event_keys(&self) -> Result<Option<EventKeys>, MappingError> {
        let e = match (&self.event, self.kind) {
            (Some(_), k) if k != Kind::Events => {
                return Err(err("event", "is only for events connections"))
            }
            (None, Kind::Events) => {
                return Err(err(
                    "event",
                    "is required for events: at least `type` and a contact or account ID",
                ))
            }
            (None, _) => return Ok(None),
            (Some(e), _) => e,
        };
        let event_type = match &e.event_type {
            None => {
                return Err(err(
                    "event.type",
                    "is required: `{\"path\": …}` or `{\"value\": …}`",
                ))
            }
            Some(EventType {
                path: Some(_),
                value: Some(_),
            }) => return Err(err("event.type", "give `path` or `value`, not both")),
            Some(EventType {
                path: Some(p),
                value: None,
            }) => {
                not_blank(
                    "event.type.path",
                    p,
                    "is empty; name the field that holds the event type",
                )?;
                TypeSource::Path(path("event.type.path", p)?)
            }
            Some(EventType {
                path: None,
                value: Some(v),
            }) => {
                not_blank("event.type.value", v, "is blank; name the event type")?;
                TypeSource::Value(v.trim().to_string())
            }
            Some(EventType {
                path: None,
                value: None,
            }) => return Err(err("event.type", "give `path` or `value`")),
        };
        let account_id = field_path("event.account_id", &e.account_id)?;
        let contact_id = field_path("event.contact_id", &e.contact_id)?;
        if account_id.is_none() && contact_id.is_none() {
            return Err(err(
                "event",
                "map `contact_id` or `account_id` (at least one)",
            ));
        }
        Ok(Some(EventKeys {
            event_type,
            account_id,
            contact_id,
            timestamp: field_path("event.timestamp", &e.timestamp)?,
            id: field_path("event.id", &e.id)?,
        }))
    }

    fn property_source(&self) -> Result<PropertySource, MappingError> {
        let Some(p) = &self.properties else {
            return Ok(PropertySource {
                path: Path::root(),
                include: None,
                exclude: Vec::new(),
            });
        };
        let lists = [
            ("include", p.include.as_deref().unwrap_or_default()),
            ("exclude", &p.exclude[..]),
        ];
        for (list, keys) in lists {
            if let Some(i) = keys.iter().position(|k| k.is_empty()) {
                return Err(err(&format!("properties.{list}[{i}]"), "is empty"));
            }
        }
        Ok(PropertySource {
            path: path("properties.path", &p.path)?,
            include: p.include.clone(),
            exclude: p.exclude.clone(),
        })
    }
}

/// A text field that must say something (blank is refused with `msg`).
fn not_blank(field: &str, s: &str, msg: &str) -> Result<(), MappingError> {
    if s.trim().is_empty() {
        return Err(err(field, msg));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_blank_operation_path_means_every_row_is_a_write() {
        for blank in ["", "  "] {
            let m = Mapping::from_value(&serde_json::json!({"version": 1, "kind": "accounts",
                "operation_path": blank, "match": {"id": "id"}}))
            .unwrap();
            assert!(m.compile().unwrap().operation.is_none(), "{blank:?}");
        }
    }

    #[test]
    fn custom_matching_is_refused_beside_any_standard_key() {
        for key in ["id", "name", "email"] {
            let mut doc = serde_json::json!({"version": 1, "kind": "accounts",
                "match": {"custom": {"path": "d", "property": "domain"}}});
            doc["match"][key] = serde_json::json!("k");
            let e = Mapping::from_value(&doc).unwrap().validate().unwrap_err();
            assert_eq!(e.field, "match.custom", "{key}: {e}");
        }
        let unsupported =
            Mapping::from_value(&serde_json::json!({"version": 2, "kind": "accounts",
            "match": {"id": "id"}}))
            .unwrap();
        assert_eq!(unsupported.validate().unwrap_err().field, "version");
    }

    #[test]
    fn kinds_and_behaviors_read_back_from_their_names_and_nothing_else() {
        // How a store reads them back from its rows.
        for k in [Kind::Accounts, Kind::Contacts, Kind::Events] {
            assert_eq!(Kind::parse(k.as_str()), Some(k));
        }
        for b in [Behavior::Upsert, Behavior::Update] {
            assert_eq!(Behavior::parse(b.as_str()), Some(b));
        }
        for bad in ["", "Accounts", "account", "event", " contacts"] {
            assert_eq!(Kind::parse(bad), None, "{bad:?}");
        }
        assert_eq!(Behavior::parse("insert"), None);
    }

    #[test]
    fn the_example_of_the_spec_is_valid() {
        let m = Mapping::from_json(
            r#"{"version":1,"kind":"contacts","behavior":"upsert","wrapper_path":"data","operation_path":"op",
            "on_removed":"ignore","match":{"id":"user_id","email":"email"},
            "account":{"id":"company_id","name":"company.name"},"properties":{"path":"","exclude":["op"]}}"#,
        )
        .unwrap();
        m.validate().unwrap();
    }

    #[test]
    fn an_unknown_field_is_named() {
        let e = Mapping::from_json(r#"{"version":1,"kind":"accounts","match":{"idd":"x"}}"#)
            .unwrap_err();
        assert_eq!(e.field, "match.idd");
        assert!(e.message.contains("unknown field"), "{e}");
    }

    #[test]
    fn rules_name_the_offending_field() {
        let cases = [
            (
                r#"{"version":2,"kind":"accounts","match":{"id":"a"}}"#,
                "version",
            ),
            (r#"{"version":1,"kind":"accounts"}"#, "match"),
            (
                r#"{"version":1,"kind":"accounts","match":{"email":"e"}}"#,
                "match.email",
            ),
            (
                r#"{"version":1,"kind":"accounts","match":{"id":"a["}}"#,
                "match.id",
            ),
            (
                r#"{"version":1,"kind":"contacts","match":{"id":"a","custom":{"path":"d","property":"d"}}}"#,
                "match.custom",
            ),
            (
                r#"{"version":1,"kind":"accounts","match":{"id":"a"},"account":{"id":"x"}}"#,
                "account",
            ),
            (
                r#"{"version":1,"kind":"events","event":{"account_id":"a"}}"#,
                "event.type",
            ),
            (
                r#"{"version":1,"kind":"events","event":{"type":{"value":"X"}}}"#,
                "event",
            ),
            (
                r#"{"version":1,"kind":"events","match":{"id":"a"},"event":{"type":{"value":"X"},"account_id":"a"}}"#,
                "match",
            ),
            (
                r#"{"version":1,"kind":"people","match":{"id":"a"}}"#,
                "kind",
            ),
            (
                r#"{"version":1,"kind":"accounts","wrapper_path":"a..b","match":{"id":"a"}}"#,
                "wrapper_path",
            ),
            (
                r#"{"version":1,"kind":"accounts","match":{"id":""}}"#,
                "match.id",
            ),
        ];
        for (doc, field) in cases {
            let e = Mapping::from_json(doc)
                .and_then(|m| m.compile().map(|_| ()))
                .unwrap_err();
            assert_eq!(e.field, field, "{doc}: {e}");
        }
    }
}
