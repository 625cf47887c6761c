//! `inlet preview --against-store --connection ID` previews what that connection's listener does:
//! its kind and its behavior, the payload file read as bytes as a request body is. Real `inlet
//! serve`, real SQLite file, real HTTP, the real CLI.

mod common;

use common::*;
use serde_json::{json, Value};
use std::path::Path;

fn preview_json(db: &Path, mapping: &Path, payload: &Path, connection: &str) -> Value {
    inlet_json(
        db,
        &[
            "preview",
            "--mapping",
            mapping.to_str().unwrap(),
            "--payload",
            payload.to_str().unwrap(),
            "--against-store",
            "--connection",
            connection,
        ],
    )
}

async fn post(url: &str, auth: &str, body: Vec<u8>) -> (u16, Value) {
    let r = reqwest::Client::new()
        .post(url)
        .header("authorization", auth)
        .header("content-type", "application/json")
        .body(body)
        .send()
        .await
        .unwrap();
    (r.status().as_u16(), r.json().await.unwrap())
}

#[tokio::test]
async fn on_an_update_only_connection_the_preview_skips_where_the_listener_skips() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("inlet.db");
    let serve = ServeProcess::start(&db, &[]);
    let c = inlet_json(
        &db,
        &[
            "connections",
            "create",
            "--name",
            "CRM",
            "--kind",
            "contacts",
            "--behavior",
            "update",
        ],
    );
    let id = c["id"].as_str().unwrap();
    let auth = c["authorization"].as_str().unwrap();
    let url = format!("{}/hooks/{id}", serve.base);

    // A mapping file as the playground writes it: it names no behavior, so it means upsert.
    let mapping = dir.path().join("mapping.json");
    std::fs::write(
        &mapping,
        json!({"version": 1, "kind": "contacts", "match": {"email": "email"}}).to_string(),
    )
    .unwrap();
    let payload = dir.path().join("body.json");
    let body = json!({"email": "new@x.example", "plan": "pro"}).to_string();
    std::fs::write(&payload, &body).unwrap();

    let v = preview_json(&db, &mapping, &payload, id);
    assert_eq!(v["plan"]["behavior"], "update", "{v}");
    assert_eq!(v["plan"]["rows"][0]["action"], "skip", "{v}");
    let (ok, text, _) = inlet(
        &db,
        &[
            "preview",
            "--mapping",
            mapping.to_str().unwrap(),
            "--payload",
            payload.to_str().unwrap(),
            "--against-store",
            "--connection",
            id,
        ],
    );
    assert!(ok && text.contains("1 skip"), "{text}");

    // The listener, with the same file saved, does what the preview said.
    let set = inlet_json(
        &db,
        &["mapping", "set", id, "--file", mapping.to_str().unwrap()],
    );
    assert_eq!(set["behavior"], "update");
    let (status, answer) = post(&url, auth, body.into_bytes()).await;
    assert_eq!(
        (status, &answer["skipped"], &answer["created"]),
        (200, &json!(1), &json!(0)),
        "{answer}"
    );

    // A file that names another behavior is planned with the connection's, and says so.
    std::fs::write(
        &mapping,
        json!({"version": 1, "kind": "contacts", "behavior": "upsert", "match": {"email": "email"}})
            .to_string(),
    )
    .unwrap();
    let (ok, out, err) = inlet(
        &db,
        &[
            "preview",
            "--mapping",
            mapping.to_str().unwrap(),
            "--payload",
            payload.to_str().unwrap(),
            "--against-store",
            "--connection",
            id,
            "--json",
        ],
    );
    assert!(ok, "{err}");
    let v: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["plan"]["rows"][0]["action"], "skip", "{v}");
    assert!(err.contains("connection's behavior (update)"), "{err}");
}

#[test]
fn a_mapping_of_another_kind_is_refused_with_both_kinds() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("inlet.db");
    let c = create_connection(&db, "Accounts", "accounts");
    let id = c["id"].as_str().unwrap();
    let mapping = dir.path().join("mapping.json");
    std::fs::write(
        &mapping,
        json!({"version": 1, "kind": "contacts", "match": {"email": "email"}}).to_string(),
    )
    .unwrap();
    let payload = dir.path().join("body.json");
    std::fs::write(&payload, r#"{"email": "a@x.example"}"#).unwrap();
    let (ok, out, err) = inlet(
        &db,
        &[
            "preview",
            "--mapping",
            mapping.to_str().unwrap(),
            "--payload",
            payload.to_str().unwrap(),
            "--against-store",
            "--connection",
            id,
        ],
    );
    assert!(!ok, "{out}");
    assert!(
        err.contains("the mapping is for contacts") && err.contains("takes accounts"),
        "{err}"
    );
    // `--connection` alone would silently plan against nothing: it needs --against-store.
    let (ok, _, err) = inlet(
        &db,
        &[
            "preview",
            "--mapping",
            mapping.to_str().unwrap(),
            "--payload",
            payload.to_str().unwrap(),
            "--connection",
            id,
        ],
    );
    assert!(!ok && err.contains("--against-store"), "{err}");
}

#[tokio::test]
async fn a_payload_file_that_is_not_utf8_gets_the_listeners_own_answer() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("inlet.db");
    let serve = ServeProcess::start(&db, &[]);
    let c = create_connection(&db, "Latin-1", "contacts");
    let id = c["id"].as_str().unwrap();
    let mapping = dir.path().join("mapping.json");
    std::fs::write(
        &mapping,
        json!({"version": 1, "kind": "contacts", "match": {"email": "email"}}).to_string(),
    )
    .unwrap();
    inlet_json(
        &db,
        &["mapping", "set", id, "--file", mapping.to_str().unwrap()],
    );
    // "José" in Latin-1: the é is the single byte 0xE9, which is not UTF-8.
    let body = b"{\"email\": \"jos\xe9@x.example\"}".to_vec();
    let payload = dir.path().join("latin1.json");
    std::fs::write(&payload, &body).unwrap();

    let (status, answer) = post(
        &format!("{}/hooks/{id}", serve.base),
        c["authorization"].as_str().unwrap(),
        body,
    )
    .await;
    assert_eq!(status, 400, "{answer}");

    for args in [
        vec!["--against-store", "--connection", id],
        vec!["--against-store"],
        vec![],
    ] {
        let mut a = vec![
            "preview",
            "--mapping",
            mapping.to_str().unwrap(),
            "--payload",
            payload.to_str().unwrap(),
        ];
        a.extend(args.iter().copied());
        let v = inlet_json(&db, &a);
        assert_eq!(v["error"]["status"], 400, "{args:?}: {v}");
        assert_eq!(v["error"]["code"], answer["error"]["code"], "{args:?}: {v}");
        assert_eq!(
            v["error"]["detail"], answer["error"]["detail"],
            "{args:?}: {v}"
        );
        // Without --json: the listener's answer, not an I/O error.
        a.retain(|x| *x != "--json");
        let (ok, _, err) = inlet(&db, &a);
        assert!(
            !ok && err.contains("(400)") && !err.contains("reading"),
            "{err}"
        );
    }
}
