//! docs/design.md §6: changes to a connection made from the UI or the CLI take effect on the next request.
//! The listener keeps connections and compiled mappings in memory; these tests warm that memory
//! with a request, change the connection from elsewhere (a second `Services` on the same file, as
//! another process would, and the real `inlet` binary), and check the very next request.

mod common;

use common::*;
use inlet_core::Kind;
use inlet_desktop::service::{connections, mappings};
use inlet_desktop::Services;
use serde_json::json;

#[tokio::test]
async fn a_change_from_a_second_services_on_the_same_file_takes_effect_on_the_next_request() {
    let s = Server::start().await;
    let mut c = s.connection(
        Kind::Accounts,
        Some(json!({"version": 1, "kind": "accounts", "match": {"id": "id"}})),
    );
    let other = OffRuntime::new(blocking(|| Services::open(&s.db_path()).unwrap()));
    assert_eq!(s.post(&c, &json!({"id": 1})).await.status, 200);

    // Disabled: 202, nothing written.
    let patch = connections::ConnectionPatch {
        enabled: Some(false),
        ..Default::default()
    };
    blocking(|| connections::update(&other, &c.id, patch).unwrap());
    let r = s.post(&c, &json!({"id": 2})).await;
    assert_eq!(
        (r.status, &r.body["written"]),
        (202, &json!(false)),
        "{:?}",
        r.body
    );

    // Enabled again: written.
    let patch = connections::ConnectionPatch {
        enabled: Some(true),
        ..Default::default()
    };
    blocking(|| connections::update(&other, &c.id, patch).unwrap());
    assert_eq!(s.post(&c, &json!({"id": 3})).await.status, 200);

    // A rotated secret: the old one is refused at once, the new one works.
    let rotated = blocking(|| connections::rotate_auth(&other, &c.id).unwrap());
    assert_ne!(rotated.authorization, c.auth);
    assert_eq!(s.post(&c, &json!({"id": 4})).await.status, 401);
    c.auth = rotated.authorization;
    assert_eq!(s.post(&c, &json!({"id": 4})).await.status, 200);

    // Authorization no longer enforced: a request without it is written.
    let patch = connections::ConnectionPatch {
        enforce_auth: Some(false),
        ..Default::default()
    };
    blocking(|| connections::update(&other, &c.id, patch).unwrap());
    let r = s
        .send(
            reqwest::Method::POST,
            &c.url,
            None,
            Some("application/json"),
            br#"{"id": 5}"#.to_vec(),
        )
        .await;
    assert_eq!(r.status, 200, "{:?}", r.body);

    // A new mapping: the next request runs it, not the compiled one from before.
    let doc =
        json!({"version": 1, "kind": "accounts", "wrapper_path": "data", "match": {"id": "uid"}});
    blocking(|| {
        mappings::set(
            &other,
            &c.id,
            mappings::SetMapping {
                document: doc,
                no_enable: false,
            },
        )
        .unwrap()
    });
    let r = s
        .post(&c, &json!({"data": [{"uid": "a"}, {"uid": "b"}]}))
        .await;
    assert_eq!(
        (
            r.status,
            r.body["rows"].as_u64(),
            r.body["created"].as_u64()
        ),
        (200, Some(2), Some(2)),
        "{:?}",
        r.body
    );

    // Deleted: 404 for every method.
    blocking(|| connections::delete(&other, &c.id).unwrap());
    assert_eq!(s.post(&c, &json!({"uid": "c"})).await.status, 404);
    assert_eq!(
        s.send(reqwest::Method::GET, &c.url, None, None, vec![])
            .await
            .status,
        404
    );

    let ids: Vec<_> = s
        .accounts()
        .into_iter()
        .filter_map(|a| a.external_id)
        .collect();
    for id in ["1", "3", "4", "5", "a", "b"] {
        assert!(ids.iter().any(|x| x == id), "{id} written: {ids:?}");
    }
    assert!(
        !ids.iter().any(|x| x == "2"),
        "nothing written while disabled: {ids:?}"
    );
}

#[tokio::test]
async fn a_change_from_the_cli_in_another_process_takes_effect_on_the_next_request() {
    let s = Server::start().await;
    let c = s.connection(Kind::Accounts, Some(accounts_mapping()));
    let db = s.db_path();
    assert_eq!(s.post(&c, &json!({"id": 1})).await.status, 200);

    inlet_json(&db, &["connections", "update", &c.id, "--enabled", "false"]);
    let r = s.post(&c, &json!({"id": 2})).await;
    assert_eq!(
        (r.status, &r.body["written"]),
        (202, &json!(false)),
        "{:?}",
        r.body
    );

    inlet_json(&db, &["connections", "update", &c.id, "--enabled", "true"]);
    assert_eq!(s.post(&c, &json!({"id": 3})).await.status, 200);

    inlet_json(&db, &["connections", "update", &c.id, "--rotate-auth"]);
    assert_eq!(s.post(&c, &json!({"id": 4})).await.status, 401);
}
