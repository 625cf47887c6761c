//! Schema drift (docs/design.md §13), black-box: Hightouch syncs whose shape changes mid-way, against the
//! real listener; what the answer, the request log, `connections show` and the CLI say.

mod common;

use common::*;
use inlet_core::Kind;
use inlet_desktop::service::{connections, trust};
use serde_json::{json, Value};

fn contacts_mapping() -> Value {
    json!({"version": 1, "kind": "contacts", "match": {"id": "user_id", "email": "email"}})
}

fn row(i: u64) -> Value {
    json!({"user_id": i, "email": format!("u{i}@example.com"), "first_name": format!("Name{i}"), "plan": "pro"})
}

fn drift_of(s: &Server, c: &Conn) -> Vec<(String, String, u64, u64)> {
    blocking(|| {
        connections::show(&s.services, &c.id)
            .unwrap()
            .trust
            .drift
            .iter()
            .map(|d| (d.kind.clone(), d.field.clone(), d.requests, d.rows))
            .collect()
    })
}

fn warnings(r: &Reply) -> Vec<(String, String)> {
    r.body["warnings"]
        .as_array()
        .map(|w| {
            w.iter()
                .map(|w| {
                    (
                        w["kind"].as_str().unwrap().to_string(),
                        w["field"].as_str().unwrap().to_string(),
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}

/// `on_drift: refuse` for `c`.
fn refuse_drift(s: &Server, c: &Conn) {
    blocking(|| {
        connections::update(
            &s.services,
            &c.id,
            connections::ConnectionPatch {
                trust: trust::TrustPatch {
                    on_drift: Some("refuse".into()),
                    ..Default::default()
                },
                ..Default::default()
            },
        )
        .unwrap()
    });
}

fn t(kind: &str, field: &str, requests: u64, rows: u64) -> (String, String, u64, u64) {
    (kind.into(), field.into(), requests, rows)
}

#[tokio::test]
async fn a_column_renamed_mid_sync_is_flagged_once_with_counts_and_an_example() {
    let s = Server::start().await;
    let c = s.connection(Kind::Contacts, Some(contacts_mapping()));
    for i in 1..=5 {
        let r = s.post(&c, &row(i)).await;
        assert_eq!(r.status, 200);
        assert!(r.body.get("warnings").is_none(), "{}", r.body);
    }
    assert!(drift_of(&s, &c).is_empty());

    let renamed = |i: u64| json!({"user_id": i, "email": format!("u{i}@example.com"), "firstName": format!("Name{i}"), "plan": "pro"});
    let first = s.post(&c, &renamed(6)).await;
    assert_eq!(first.status, 200, "warn still writes");
    assert_eq!(
        warnings(&first),
        [
            ("field_added".to_string(), "firstName".to_string()),
            ("field_removed".to_string(), "first_name".to_string())
        ]
    );
    for i in 7..=8 {
        assert_eq!(s.post(&c, &renamed(i)).await.status, 200);
    }
    assert_eq!(
        drift_of(&s, &c),
        [
            t("field_added", "firstName", 3, 3),
            t("field_removed", "first_name", 3, 3)
        ]
    );
    let shown = blocking(|| connections::show(&s.services, &c.id).unwrap());
    let added = &shown.trust.drift[0];
    assert_eq!(
        added.example_request_id,
        first.body["request_id"].as_str().unwrap()
    );
    assert!(added.first_seen <= added.last_seen);
    assert!(
        shown.trust.drift[1]
            .message
            .contains("every row before had it (5 rows)"),
        "{}",
        shown.trust.drift[1].message
    );
    assert_eq!(s.contacts().len(), 8);

    // The request log says so on the request.
    let logged = &s.log(&c)[0];
    let lines = &logged.summary.as_ref().unwrap().drift;
    assert_eq!(lines.len(), 2);

    // Acknowledged: the new shape is the baseline, and the old one is now the drift.
    blocking(|| trust::acknowledge_drift(&s.services, &c.id).unwrap());
    assert!(drift_of(&s, &c).is_empty());
    let r = s.post(&c, &renamed(9)).await;
    assert!(r.body.get("warnings").is_none(), "{}", r.body);
    let back = s.post(&c, &row(10)).await;
    assert_eq!(warnings(&back).len(), 2);
}

#[tokio::test]
async fn values_that_turn_blank_in_a_mapped_field_are_counted_by_row() {
    let s = Server::start().await;
    let m = json!({"version": 1, "kind": "contacts", "wrapper_path": "rows",
                   "match": {"id": "user_id", "email": "email"}});
    let c = s.connection(Kind::Contacts, Some(m));
    let batch = |from: u64, blank: bool| {
        let rows: Vec<Value> = (from..from + 4)
            .map(|i| {
                let mut r = row(i);
                if blank && i % 2 == 0 {
                    r["email"] = json!("");
                } else if blank {
                    r["email"] = Value::Null;
                }
                r
            })
            .collect();
        json!({"rows": rows})
    };
    assert_eq!(s.post(&c, &batch(1, false)).await.status, 200);
    assert_eq!(s.post(&c, &batch(5, false)).await.status, 200);
    // The ID still matches, so the rows write; the email is gone from all four.
    let r = s.post(&c, &batch(1, true)).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(
        warnings(&r),
        [("mapped_field_blank".to_string(), "email".to_string())]
    );
    let r2 = s.post(&c, &batch(5, true)).await;
    assert_eq!(warnings(&r2).len(), 1);
    assert_eq!(drift_of(&s, &c), [t("mapped_field_blank", "email", 2, 8)]);
    let shown = blocking(|| connections::show(&s.services, &c.id).unwrap());
    let d = &shown.trust.drift[0];
    assert_eq!(d.expected, "filled in 100% of 8 rows");
    assert_eq!(d.found, "missing or blank in 4 of 4 rows");
    assert_eq!(d.example_request_id, r.body["request_id"].as_str().unwrap());
}

#[tokio::test]
async fn an_id_that_turns_from_number_to_string_is_a_type_change() {
    let s = Server::start().await;
    let c = s.connection(Kind::Contacts, Some(contacts_mapping()));
    for i in 1..=3 {
        assert_eq!(s.post(&c, &row(i)).await.status, 200);
    }
    let mut r = row(2);
    r["user_id"] = json!("2");
    let a = s.post(&c, &r).await;
    // "2" and 2 name the same contact (docs/design.md §5): an update, and a warning.
    assert_eq!((a.status, a.body["updated"].as_u64()), (200, Some(1)));
    assert_eq!(
        warnings(&a),
        [("type_changed".to_string(), "user_id".to_string())]
    );
    assert!(a.body["warnings"][0]["detail"]
        .as_str()
        .unwrap()
        .contains("is a string in 1 row; before, it was always a number"));
    assert_eq!(drift_of(&s, &c), [t("type_changed", "user_id", 1, 1)]);
}

#[tokio::test]
async fn refuse_answers_422_with_the_reason_writes_nothing_and_acknowledging_lets_it_through() {
    let s = Server::start().await;
    let c = s.connection(Kind::Contacts, Some(contacts_mapping()));
    refuse_drift(&s, &c);
    for i in 1..=3 {
        assert_eq!(s.post(&c, &row(i)).await.status, 200);
    }
    let mut changed = row(4);
    changed["user_id"] = json!("4");
    let r = s.post(&c, &changed).await;
    assert_eq!(r.status, 422, "{}", r.body);
    assert_eq!(r.body["error"]["code"], "schema_drift");
    let detail = r.body["error"]["detail"].as_str().unwrap();
    assert!(
        detail.contains("`user_id` is a string in 1 row"),
        "{detail}"
    );
    assert!(detail.contains("nothing was written"), "{detail}");
    assert_eq!(r.body["drift"][0]["kind"], "type_changed");
    assert_eq!(s.contacts().len(), 3);
    // The sender retries: refused again, counted again.
    assert_eq!(s.post(&c, &changed).await.status, 422);
    assert_eq!(drift_of(&s, &c), [t("type_changed", "user_id", 2, 2)]);
    // It is in the request log as the refusal it was.
    let logged = &s.log(&c)[0];
    assert_eq!(logged.status, 422);
    assert_eq!(logged.error.as_ref().unwrap().code, "schema_drift");

    blocking(|| trust::acknowledge_drift(&s.services, &c.id).unwrap());
    let r = s.post(&c, &changed).await;
    assert_eq!(
        (r.status, r.body["created"].as_u64()),
        (200, Some(1)),
        "{}",
        r.body
    );
}

#[tokio::test]
async fn saving_a_new_mapping_starts_a_new_baseline() {
    let s = Server::start().await;
    let c = s.connection(Kind::Contacts, Some(contacts_mapping()));
    assert_eq!(s.post(&c, &row(1)).await.status, 200);
    let r = s
        .post(&c, &json!({"user_id": 2, "email": "b@example.com"}))
        .await;
    assert_eq!(warnings(&r).len(), 2, "first_name and plan are gone");
    blocking(|| {
        inlet_desktop::service::mappings::set(
            &s.services,
            &c.id,
            inlet_desktop::service::mappings::SetMapping {
                document: contacts_mapping(),
                no_enable: false,
            },
        )
        .unwrap()
    });
    assert!(drift_of(&s, &c).is_empty());
    let r = s
        .post(&c, &json!({"user_id": 3, "email": "c@example.com"}))
        .await;
    assert!(r.body.get("warnings").is_none(), "{}", r.body);
}

#[tokio::test]
async fn the_cli_shows_drift_in_show_json_and_requests_and_acknowledges_it() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("inlet.db");
    let created = create_connection(&db, "Drifting", "contacts");
    let id = created["id"].as_str().unwrap().to_string();
    let auth = created["authorization"].as_str().unwrap().to_string();
    let mapping = dir.path().join("m.json");
    std::fs::write(&mapping, contacts_mapping().to_string()).unwrap();
    inlet_json(
        &db,
        &["mapping", "set", &id, "--file", mapping.to_str().unwrap()],
    );
    inlet_json(&db, &["connections", "update", &id, "--on-drift", "warn"]);

    let serve = ServeProcess::start(&db, &[]);
    let url = format!("{}/hooks/{id}", serve.base);
    let client = reqwest::Client::new();
    for body in [
        row(1),
        json!({"user_id": 2, "email": "b@example.com", "firstName": "B", "plan": "pro"}),
    ] {
        let r = client
            .post(&url)
            .header("authorization", &auth)
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status().as_u16(), 200);
    }

    let shown = inlet_json(&db, &["connections", "show", &id]);
    assert_eq!(shown["on_drift"], "warn");
    let kinds: Vec<&str> = shown["drift"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["field_added", "field_removed"]);
    for k in [
        "field",
        "first_seen",
        "last_seen",
        "requests",
        "rows",
        "example_request_id",
        "message",
    ] {
        assert!(
            shown["drift"][0].get(k).is_some(),
            "{k} in {}",
            shown["drift"][0]
        );
    }
    let (ok, text, _) = inlet(&db, &["connections", "show", &id]);
    assert!(ok);
    assert!(
        text.contains("drift          2 (acknowledge: inlet connections drift ack"),
        "{text}"
    );
    let (ok, text, _) = inlet(&db, &["requests", &id]);
    assert!(ok);
    assert!(text.contains("drift: `firstName` is new"), "{text}");

    let (ok, text, _) = inlet(&db, &["connections", "drift", "ack", &id]);
    assert!(ok && text.contains("drift acknowledged"), "{text}");
    assert_eq!(
        inlet_json(&db, &["connections", "drift", "show", &id]),
        json!([])
    );
    // Acknowledged from another process: the running listener compares with the new baseline at
    // its very next request.
    let r = client
        .post(&url)
        .header("authorization", &auth)
        .json(&json!({"user_id": 3, "email": "c@example.com", "firstName": "C", "plan": "pro"}))
        .send()
        .await
        .unwrap();
    let v: Value = r.json().await.unwrap();
    assert!(v.get("warnings").is_none(), "{v}");
    let (ok, _, err) = inlet(&db, &["connections", "update", &id, "--on-drift", "stop"]);
    assert!(!ok && err.contains("use warn or refuse"), "{err}");
}

/// Census sends a deleted row with its ID alone: its shape is not the rows' shape, so deletes
/// and changes alternate under `refuse` without either refusing the other.
#[tokio::test]
async fn census_deletes_are_not_drift_even_under_refuse() {
    let s = Server::start().await;
    let m = json!({"version": 1, "kind": "contacts", "wrapper_path": "data", "operation_path": "operation",
                   "on_removed": "delete", "match": {"id": "unique_id", "email": "email"}});
    let c = s.connection(Kind::Contacts, Some(m));
    refuse_drift(&s, &c);
    for _ in 0..2 {
        let changed = s.post(&c, &sample("census-envelope-changed.json")).await;
        assert_eq!(changed.status, 200, "{}", changed.body);
        let deleted = s.post(&c, &sample("census-envelope-deleted.json")).await;
        assert_eq!(
            (deleted.status, deleted.body["deleted"].as_u64()),
            (200, Some(1)),
            "{}",
            deleted.body
        );
        assert!(deleted.body.get("warnings").is_none(), "{}", deleted.body);
    }
    assert!(drift_of(&s, &c).is_empty());
}
