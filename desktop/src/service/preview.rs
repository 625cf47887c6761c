//! The dry run (DESIGN §4, §9): the core's preview, either pure (no records) or against the store
//! through the same `StoreDirectory` a real write plans with, in a read transaction.

use super::{Result, ServiceError, Services};
use crate::ids::ConnectionId;
use crate::store::directory;
use inlet_core::preview::{preview_bytes, PreviewOutput};
use inlet_core::{EmptyDirectory, Mapping};
use serde::{Deserialize, Serialize};
use serde_json::Value;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PreviewInput {
    /// The mapping document to try.
    pub mapping: Value,
    /// The body, exactly as a sender would post it.
    pub payload: String,
    /// Defaults to JSON.
    #[serde(default)]
    pub content_type: Option<String>,
    /// Plan against the stored records instead of an empty store.
    #[serde(default)]
    pub against_store: bool,
    /// With `against_store`: whose event IDs count as already stored.
    #[serde(default)]
    pub connection_id: Option<String>,
}

/// A preview with no store: every row is new.
pub fn pure(input: &PreviewInput) -> Result<PreviewOutput> {
    let mapping = Mapping::from_value(&input.mapping)?;
    Ok(preview_bytes(
        input.payload.as_bytes(),
        input.content_type.as_deref(),
        &mapping,
        &EmptyDirectory,
    ))
}

pub fn preview(s: &Services, input: &PreviewInput) -> Result<PreviewOutput> {
    if !input.against_store {
        return pure(input);
    }
    let mapping = Mapping::from_value(&input.mapping)?;
    let connection = match &input.connection_id {
        None => None,
        Some(id) => {
            Some(ConnectionId::parse(id).ok_or_else(|| ServiceError::not_found_connection(id))?)
        }
    };
    s.store().read(|tx| {
        if let Some(c) = &connection {
            super::connections::load(tx, c.as_str())?;
        }
        let dir = directory::for_preview(
            tx,
            input.payload.as_bytes(),
            input.content_type.as_deref(),
            &mapping,
            connection.as_ref().map(|c| c.as_str()),
        )?;
        Ok(preview_bytes(
            input.payload.as_bytes(),
            input.content_type.as_deref(),
            &mapping,
            dir.as_ref(),
        ))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::service::testing::temp_services;
    use crate::store::queries::accounts;
    use serde_json::json;

    #[test]
    fn against_the_store_a_known_account_is_an_update_and_without_it_a_create() {
        let s = temp_services();
        s.store()
            .write(|tx| {
                accounts::insert(
                    tx,
                    Some("42"),
                    Some("Wayne"),
                    &Default::default(),
                    None,
                    "t",
                )
            })
            .unwrap();
        let input = PreviewInput {
            mapping: json!({"version": 1, "kind": "accounts", "match": {"id": "id"}}),
            payload: r#"{"id": 42}"#.into(),
            content_type: None,
            against_store: false,
            connection_id: None,
        };
        let action = |o: PreviewOutput| {
            serde_json::to_value(o).unwrap()["plan"]["rows"][0]["action"].clone()
        };
        assert_eq!(action(preview(&s, &input).unwrap()), "create");
        let input = PreviewInput {
            against_store: true,
            ..input
        };
        assert_eq!(action(preview(&s, &input).unwrap()), "update");
    }
}
