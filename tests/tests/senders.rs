//! Real sender shapes (tests/fixtures, copied from the senders' documented payloads): Hightouch
//! single rows and batches, Census's envelope and connection test, a Segment batch, a form post.

mod common;

use common::*;
use inlet_core::Kind;
use inlet_desktop::service::{mappings, replay};
use reqwest::Method;
use serde_json::json;

#[tokio::test]
async fn a_hightouch_single_row_creates_a_contact_and_its_account() {
    let s = Server::start().await;
    let m = json!({"version": 1, "kind": "contacts", "match": {"id": "id", "email": "email"},
                   "account": {"id": "company_id", "name": "company_name"},
                   "properties": {"exclude": ["company_id", "company_name"]}});
    let c = s.connection(Kind::Contacts, Some(m));
    let r = s.post(&c, &sample("hightouch-row.json")).await;
    assert_eq!((r.status, r.body["created"].as_u64()), (200, Some(1)));
    let contact = &s.contacts()[0];
    assert_eq!(contact.email.as_deref(), Some("grace.hopper@navy.example"));
    assert_eq!(
        contact.account.as_ref().unwrap().name.as_deref(),
        Some("Eckert-Mauchly")
    );
    assert_eq!(contact.properties["mrr"], 1250.5);
    assert!(contact.properties.get("company_id").is_none());
}

#[tokio::test]
async fn a_hightouch_batch_posted_twice_leaves_no_duplicates() {
    let s = Server::start().await;
    let m = json!({"version": 1, "kind": "accounts", "wrapper_path": "rows", "operation_path": "op",
                   "match": {"id": "account_id", "name": "name"}, "properties": {"exclude": ["op"]}});
    let c = s.connection(Kind::Accounts, Some(m));
    let batch = sample("hightouch-batch.json");
    let first = s.post(&c, &batch).await;
    assert_eq!(
        (first.status, first.body["created"].as_u64()),
        (200, Some(3))
    );
    let second = s.post(&c, &batch).await;
    assert_eq!(
        (
            second.status,
            second.body["created"].as_u64(),
            second.body["updated"].as_u64()
        ),
        (200, Some(0), Some(3))
    );
    let all = s.accounts();
    assert_eq!(all.len(), 3);
    let oscorp = all
        .iter()
        .find(|a| a.name.as_deref() == Some("Oscorp"))
        .unwrap();
    assert!(
        oscorp.properties.get("seats").is_none(),
        "a null seat count is not stored"
    );
}

#[tokio::test]
async fn the_census_envelope_tests_the_connection_then_changes_and_deletes() {
    let s = Server::start().await;
    let m = json!({"version": 1, "kind": "contacts", "wrapper_path": "data", "operation_path": "operation",
                   "on_removed": "delete", "match": {"id": "unique_id", "email": "email"}});
    let c = s.connection(Kind::Contacts, Some(m));
    assert_eq!(
        s.send(Method::HEAD, &c.url, None, None, vec![])
            .await
            .status,
        200
    );
    let empty = s.post_raw(&c, Some("application/json"), b"").await;
    assert_eq!(
        (empty.status, empty.body["connection_test"].clone()),
        (200, json!(true))
    );
    let changed = s.post(&c, &sample("census-envelope-changed.json")).await;
    assert_eq!(
        (changed.status, changed.body["created"].as_u64()),
        (200, Some(2))
    );
    let deleted = s.post(&c, &sample("census-envelope-deleted.json")).await;
    assert_eq!(
        (deleted.status, deleted.body["deleted"].as_u64()),
        (200, Some(1))
    );
    let left = s.contacts();
    assert_eq!(left.len(), 1);
    assert_eq!(left[0].external_id.as_deref(), Some("u_001"));
}

#[tokio::test]
async fn a_census_single_object_is_one_row() {
    let s = Server::start().await;
    let m = json!({"version": 1, "kind": "accounts", "wrapper_path": "data", "operation_path": "operation",
                   "match": {"id": "unique_id", "name": "name"}});
    let c = s.connection(Kind::Accounts, Some(m));
    let r = s.post(&c, &sample("census-single.json")).await;
    assert_eq!(
        (
            r.status,
            r.body["rows"].as_u64(),
            r.body["created"].as_u64()
        ),
        (200, Some(1), Some(1))
    );
    assert_eq!(s.accounts()[0].properties["employees"], 310);
}

#[tokio::test]
async fn a_segment_batch_fills_contacts_then_events_and_a_repeat_is_all_duplicates() {
    let s = Server::start().await;
    let people = json!({"version": 1, "kind": "contacts", "wrapper_path": "batch", "match": {"id": "userId", "email": "traits.email"},
                        "account": {"id": "traits.company.id", "name": "traits.company.name"}, "properties": {"path": "traits", "exclude": ["company"]}});
    let pc = s.connection(Kind::Contacts, Some(people));
    let batch = sample("segment-batch.json");
    let r = s.post(&pc, &batch).await;
    assert_eq!(
        (
            r.status,
            r.body["created"].as_u64(),
            r.body["updated"].as_u64()
        ),
        (200, Some(1), Some(3))
    );
    let events = json!({"version": 1, "kind": "events", "wrapper_path": "batch",
                        "event": {"type": {"path": "type"}, "contact_id": "userId", "timestamp": "timestamp", "id": "messageId"},
                        "properties": {"path": "properties"}});
    let ec = s.connection(Kind::Events, Some(events));
    let r = s.post(&ec, &batch).await;
    assert_eq!(
        (r.status, r.body["created"].as_u64()),
        (200, Some(4)),
        "{}",
        r.body
    );
    let again = s.post(&ec, &batch).await;
    assert_eq!(
        (
            again.status,
            again.body["duplicates"].as_u64(),
            again.body["created"].as_u64()
        ),
        (200, Some(4), Some(0))
    );
    let ev = s.events();
    assert_eq!(ev.len(), 4);
    assert!(ev
        .iter()
        .all(|e| e.account.as_ref().and_then(|a| a.external_id.as_deref()) == Some("org_1")));
    let track = ev.iter().find(|e| e.event_type == "track").unwrap();
    assert_eq!(track.timestamp, "2026-11-02T08:05:00Z");
    assert_eq!(track.properties["project"], "git");
}

#[tokio::test]
async fn a_form_encoded_body_is_one_flat_row_of_strings() {
    let s = Server::start().await;
    let m = json!({"version": 1, "kind": "contacts", "match": {"email": "email"}});
    let c = s.connection(Kind::Contacts, Some(m));
    let r = s
        .post_raw(
            &c,
            Some("application/x-www-form-urlencoded"),
            b"email=ada%40example.com&name=Ada+Lovelace&age=36",
        )
        .await;
    assert_eq!((r.status, r.body["created"].as_u64()), (200, Some(1)));
    let contact = &s.contacts()[0];
    assert_eq!(contact.email.as_deref(), Some("ada@example.com"));
    assert_eq!(contact.properties["name"], "Ada Lovelace");
    assert_eq!(contact.properties["age"], "36");
}

#[tokio::test]
async fn a_replay_after_enabling_writes_what_arrived_while_disabled() {
    let s = Server::start().await;
    let c = s.connection(Kind::Accounts, None);
    let since = inlet_desktop::store::now();
    assert_eq!(
        s.post(&c, &sample("hightouch-batch.json")).await.status,
        202
    );
    assert_eq!(
        s.post(
            &c,
            &json!({"rows": [{"account_id": 50, "name": "Umbrella"}]})
        )
        .await
        .status,
        202
    );
    assert!(s.accounts().is_empty());
    let m = json!({"version": 1, "kind": "accounts", "wrapper_path": "rows", "match": {"id": "account_id", "name": "name"}});
    blocking(|| {
        mappings::set(
            &s.services,
            &c.id,
            mappings::SetMapping {
                document: m,
                no_enable: false,
            },
        )
        .unwrap()
    });
    let report = blocking(|| {
        replay::replay(
            &s.services,
            &c.id,
            &replay::ReplayInput {
                all_since: Some(since),
                ..Default::default()
            },
        )
        .unwrap()
    });
    assert_eq!((report.replayed.len(), report.written), (2, 2));
    assert_eq!(s.accounts().len(), 4);
    let log = s.log(&c);
    assert_eq!(
        log.iter().filter(|r| r.replay_of.is_some()).count(),
        2,
        "each replay is logged, pointing at its original"
    );
}
