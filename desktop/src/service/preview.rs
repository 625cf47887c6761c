//! The dry run (docs/design.md §4, §9): the core's preview, either pure (no records) or against the store
//! through the same `StoreDirectory` a real write plans with, in a read transaction.

use super::{Result, ServiceError, Services};
use crate::ids::ConnectionId;
use crate::store::directory;
use inlet_core::preview::{file_preview, preview_bytes_up_to, FileAnswer, PreviewOutput};
use inlet_core::{EmptyDirectory, Mapping, DEFAULT_MAX_ROWS};
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
    Ok(preview_bytes_up_to(
        input.payload.as_bytes(),
        input.content_type.as_deref(),
        &mapping,
        &EmptyDirectory,
        DEFAULT_MAX_ROWS,
    ))
}

/// `pure` for a file given as bytes, read as the listener reads a request (not UTF-8 is the
/// listener's own 400, not an I/O error), of any number of rows: the listener's limit
/// (`DEFAULT_MAX_ROWS`) is the caller's to report, since a file is often a whole export that a
/// sender would post in batches. The same holds for `as_connection` and `against_store_body`.
pub fn pure_body(
    mapping: &Value,
    body: &[u8],
    content_type: Option<&str>,
) -> Result<PreviewOutput> {
    let mapping = Mapping::from_value(mapping)?;
    Ok(preview_bytes_up_to(
        body,
        content_type,
        &mapping,
        &EmptyDirectory,
        usize::MAX,
    ))
}

/// `pure_body`, written to `w` as each row is planned: the CLI's `--json` preview of a file with
/// no store. The same pieces as `inlet_core::preview::write_file_preview`, with the rows read
/// (and their properties written) on a second thread while this one plans and writes them. The
/// plan's summary, if it is one; the inner error is writing's.
pub fn write_pure_file(
    mapping: &Value,
    body: &[u8],
    content_type: Option<&str>,
    w: &mut dyn std::io::Write,
) -> Result<std::io::Result<Option<inlet_core::Summary>>> {
    let mapping = Mapping::from_value(mapping)?;
    let (setup, rows) = match file_preview(body, content_type, &mapping) {
        FileAnswer::Whole(out) => return Ok(out.write_whole(w).map(|f| f.summary)),
        FileAnswer::Rows(setup, rows) => (setup, rows),
    };
    const ROWS_PER_CHUNK: usize = 256;
    let mut writer = setup.writer();
    let written = std::thread::scope(|scope| {
        // A few chunks in flight at most: the reader never runs far ahead of the planner.
        let (tx, rx) = std::sync::mpsc::sync_channel(4);
        // Planned chunks go back to the reader, which frees their rows: the allocator frees
        // fastest on the thread that allocated, the reader has time to spare, and the chunk's
        // room is used again. One comes back for each one sent, so few are ever queued.
        let (done_tx, done_rx) = std::sync::mpsc::channel::<Vec<_>>();
        scope.spawn(move || {
            let fresh = || match done_rx.try_recv() {
                Ok(mut planned) => {
                    planned.clear();
                    planned
                }
                Err(_) => Vec::with_capacity(ROWS_PER_CHUNK),
            };
            let mut chunk = fresh();
            for row in rows {
                chunk.push(row);
                if chunk.len() == ROWS_PER_CHUNK {
                    let full = std::mem::replace(&mut chunk, fresh());
                    // The planner stopped (an error): nothing more to read for.
                    if tx.send(full).is_err() {
                        return;
                    }
                }
            }
            let _ = tx.send(chunk);
        });
        for mut chunk in rx {
            for row in &mut chunk {
                let row = row
                    .as_mut()
                    .map_err(|e| std::io::Error::new(e.kind(), e.to_string()))?;
                writer.row(row, w)?;
            }
            // Back to the reader to be freed; once it has finished, this fails and the chunk
            // is freed here.
            let _ = done_tx.send(chunk);
        }
        Ok::<_, std::io::Error>(())
    });
    Ok(written.and_then(|()| writer.finish(w)).map(|f| f.summary))
}

pub fn preview(s: &Services, input: &PreviewInput) -> Result<PreviewOutput> {
    if !input.against_store {
        return pure(input);
    }
    let mapping = Mapping::from_value(&input.mapping)?;
    against_store(
        s,
        mapping,
        input.payload.as_bytes(),
        input.content_type.as_deref(),
        input.connection_id.as_deref(),
        false,
        DEFAULT_MAX_ROWS,
    )
}

/// What connection `connection_id`'s listener would do with `body`: planned against the store with
/// the connection's own kind and behavior, as the listener runs a saved mapping (a mapping of
/// another kind is refused, as saving it would be). The mapping's `behavior`, if any, is not used:
/// the connection's is.
pub fn as_connection(
    s: &Services,
    connection_id: &str,
    mapping: &Value,
    body: &[u8],
    content_type: Option<&str>,
) -> Result<PreviewOutput> {
    let mapping = Mapping::from_value(mapping)?;
    against_store(
        s,
        mapping,
        body,
        content_type,
        Some(connection_id),
        true,
        usize::MAX,
    )
}

/// `preview` against the store, for a body given as bytes, with no connection.
pub fn against_store_body(
    s: &Services,
    mapping: &Value,
    body: &[u8],
    content_type: Option<&str>,
) -> Result<PreviewOutput> {
    let mapping = Mapping::from_value(mapping)?;
    against_store(s, mapping, body, content_type, None, false, usize::MAX)
}

fn against_store(
    s: &Services,
    mut mapping: Mapping,
    body: &[u8],
    content_type: Option<&str>,
    connection_id: Option<&str>,
    adopt_connection: bool,
    max_rows: usize,
) -> Result<PreviewOutput> {
    let connection = match connection_id {
        None => None,
        Some(id) => {
            Some(ConnectionId::parse(id).ok_or_else(|| ServiceError::not_found_connection(id))?)
        }
    };
    s.store().read(|tx| {
        if let Some(c) = &connection {
            let conn = super::connections::load(tx, c.as_str())?;
            if adopt_connection {
                if mapping.kind != conn.kind {
                    return Err(ServiceError::Invalid(format!(
                        "the mapping is for {}, but connection {} takes {}: set \"kind\": \"{}\" in the mapping",
                        mapping.kind.as_str(),
                        conn.id,
                        conn.kind.as_str(),
                        conn.kind.as_str()
                    )));
                }
                mapping.behavior = Some(conn.behavior);
            }
        }
        let out = directory::with_preview_directory(
            tx,
            body,
            content_type,
            &mapping,
            max_rows,
            connection.as_ref().map(|c| c.as_str()),
            |dir| preview_bytes_up_to(body, content_type, &mapping, dir, max_rows),
        )?;
        Ok(out)
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
                    &serde_json::Map::new(),
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
