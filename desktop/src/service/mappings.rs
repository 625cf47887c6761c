//! A connection's mapping (docs/design.md §4): validated, saved, and the connection enabled.

use super::connections::load;
use super::{Result, ServiceError, Services};
use crate::store::now;
use crate::store::queries::{connections as cq, mappings as q};
use inlet_core::{Behavior, Mapping};
use serde::{Deserialize, Serialize};
use serde_json::Value;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SetMapping {
    /// The mapping document (docs/design.md §4).
    pub document: Value,
    /// Save without turning the connection on.
    #[serde(default)]
    pub no_enable: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MappingView {
    pub connection_id: String,
    pub document: Value,
    pub updated_at: String,
    /// The connection's state after saving.
    pub enabled: bool,
    pub behavior: Behavior,
}

/// Validates and saves; a refused document is never saved. A `kind` other than the connection's
/// is refused; a `behavior` given becomes the connection's.
pub fn set(s: &Services, connection_id: &str, input: SetMapping) -> Result<MappingView> {
    let mapping = Mapping::from_value(&input.document)?;
    mapping.validate()?;
    s.store().write(|tx| {
        let mut conn = load(tx, connection_id)?;
        if mapping.kind != conn.kind {
            return Err(ServiceError::Invalid(format!(
                "the mapping is for {} but this connection takes {}; create a connection of kind {} instead",
                mapping.kind.as_str(),
                conn.kind.as_str(),
                mapping.kind.as_str()
            )));
        }
        if let Some(b) = mapping.behavior {
            conn.behavior = b;
        }
        if !input.no_enable {
            conn.enabled = true;
        }
        conn.updated_at = now();
        cq::update(tx, &conn)?;
        q::set(tx, &conn.id, &input.document.to_string())?;
        // The baseline is the rows accepted since this mapping was saved (docs/design.md §13).
        crate::store::queries::drift::reset(tx, &conn.id)?;
        let saved = q::get(tx, &conn.id)?.ok_or_else(|| ServiceError::NotFound("the mapping was not saved".into()))?;
        Ok(MappingView {
            connection_id: conn.id,
            document: input.document.clone(),
            updated_at: saved.updated_at,
            enabled: conn.enabled,
            behavior: conn.behavior,
        })
    })
}

/// The saved mapping, or None when none is set.
pub fn show(s: &Services, connection_id: &str) -> Result<Option<MappingView>> {
    s.store().read(|tx| {
        let conn = load(tx, connection_id)?;
        let Some(m) = q::get(tx, &conn.id)? else {
            return Ok(None);
        };
        let document = serde_json::from_str(&m.document)
            .map_err(|e| crate::store::StoreError::Corrupt(format!("mapping: {e}")))?;
        Ok(Some(MappingView {
            connection_id: conn.id,
            document,
            updated_at: m.updated_at,
            enabled: conn.enabled,
            behavior: conn.behavior,
        }))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::service::connections::{create, show as show_conn, NewConnection};
    use crate::service::testing::{accounts_connection, temp_services};
    use inlet_core::Kind;
    use serde_json::json;

    #[test]
    fn saving_a_mapping_enables_the_connection_and_takes_its_behavior() {
        let s = temp_services();
        let c = accounts_connection(&s);
        let doc =
            json!({"version": 1, "kind": "accounts", "behavior": "update", "match": {"id": "id"}});
        let v = set(
            &s,
            &c.id,
            SetMapping {
                document: doc.clone(),
                no_enable: false,
            },
        )
        .unwrap();
        assert!(v.enabled);
        assert_eq!(v.behavior, Behavior::Update);
        assert_eq!(show(&s, &c.id).unwrap().unwrap().document, doc);
        assert_eq!(show_conn(&s, &c.id).unwrap().mapping, Some(doc));
    }

    #[test]
    fn a_mapping_of_another_kind_or_with_a_bad_field_is_refused_and_not_saved() {
        let s = temp_services();
        let c = accounts_connection(&s);
        let other = json!({"version": 1, "kind": "contacts", "match": {"email": "email"}});
        assert!(matches!(
            set(
                &s,
                &c.id,
                SetMapping {
                    document: other,
                    no_enable: false
                }
            ),
            Err(ServiceError::Invalid(_))
        ));
        let typo = json!({"version": 1, "kind": "accounts", "match": {"idd": "id"}});
        let e = set(
            &s,
            &c.id,
            SetMapping {
                document: typo,
                no_enable: false,
            },
        )
        .unwrap_err();
        assert!(e.to_string().contains("match"), "{e}");
        assert!(show(&s, &c.id).unwrap().is_none());
        assert!(!show_conn(&s, &c.id).unwrap().enabled);
    }

    #[test]
    fn no_enable_saves_without_turning_the_connection_on() {
        let s = temp_services();
        let c = create(
            &s,
            NewConnection {
                name: "a".into(),
                kind: Kind::Events,
                behavior: None,
            },
        )
        .unwrap();
        let doc = json!({"version": 1, "kind": "events", "event": {"type": {"value": "Hit"}, "contact_id": "u"}});
        assert!(
            !set(
                &s,
                &c.id,
                SetMapping {
                    document: doc,
                    no_enable: true
                }
            )
            .unwrap()
            .enabled
        );
    }
}
