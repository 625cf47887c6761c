//! A request's rows read in place, kept together with the bytes they borrow from.

use axum::body::Bytes;
use inlet_core::payload::{parse_doc, ContentKind, PayloadError};
use inlet_core::Node;

/// A body read in place (`inlet_core::payload::parse_doc`: keys and strings borrowed from the
/// body, objects small vectors), carried with the bytes it borrows from, so that a job takes its
/// rows from the request's task to the writer without building an owned tree of them: building
/// and freeing `serde_json::Value` trees was the largest cost of reading a batch.
pub struct ParsedBody {
    // Declared first, so dropped before the bytes it borrows from.
    node: Node<'static>,
    bytes: Bytes,
}

impl ParsedBody {
    /// `parse_doc` over `bytes`: `Ok(None)` is a connection test (empty, `{}` or `[]`).
    pub fn parse(bytes: &Bytes, kind: ContentKind) -> Result<Option<ParsedBody>, PayloadError> {
        let bytes = bytes.clone();
        // SAFETY: `Bytes` is a handle to memory that never moves or changes while any handle
        // to it lives. This handle lives in the struct beside `node`, which is dropped first
        // (field order), is never moved out, and is lent only for as long as `&self`.
        let text: &'static [u8] =
            unsafe { std::slice::from_raw_parts(bytes.as_ptr(), bytes.len()) };
        Ok(parse_doc(text, kind)?.map(|node| ParsedBody { node, bytes }))
    }

    /// The rows, borrowed for as long as `self`.
    pub fn node(&self) -> &Node<'_> {
        &self.node
    }
}

impl Clone for ParsedBody {
    fn clone(&self) -> Self {
        // The clone's handle is to the same memory, which the cloned node borrows.
        ParsedBody {
            node: self.node.clone(),
            bytes: self.bytes.clone(),
        }
    }
}

impl std::fmt::Debug for ParsedBody {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("ParsedBody").field(&self.node).finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_rows_outlive_every_other_handle_to_the_body() {
        let body = Bytes::from(br#"{"rows":[{"id":"a\u0041","name":"Acme"}]}"#.to_vec());
        let parsed = ParsedBody::parse(&body, ContentKind::Json)
            .unwrap()
            .unwrap();
        drop(body);
        let copy = parsed.clone();
        drop(parsed);
        assert_eq!(
            copy.node().to_value(),
            serde_json::json!({"rows": [{"id": "aA", "name": "Acme"}]})
        );
    }

    #[test]
    fn a_connection_test_and_bad_json_read_as_parse_doc_reads_them() {
        let empty = Bytes::from_static(b" {} ");
        assert!(ParsedBody::parse(&empty, ContentKind::Json)
            .unwrap()
            .is_none());
        let bad = Bytes::from_static(b"{\"a\":");
        assert_eq!(
            ParsedBody::parse(&bad, ContentKind::Json).unwrap_err(),
            parse_doc(&bad, ContentKind::Json).unwrap_err()
        );
    }
}
