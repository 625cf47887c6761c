//! Every matching rule of DESIGN §5, end to end over HTTP for accounts, contacts and events.

mod common;

use common::*;
use inlet_core::Kind;
use serde_json::{json, Value};

fn accounts(behavior: &str) -> Value {
    json!({"version": 1, "kind": "accounts", "behavior": behavior, "match": {"id": "id", "name": "name"}})
}

fn props(v: &serde_json::Map<String, Value>) -> Value {
    Value::Object(v.clone())
}

#[tokio::test]
async fn accounts_match_by_id_then_by_name_and_upsert_creates_the_rest() {
    let s = Server::start().await;
    let c = s.connection(Kind::Accounts, Some(accounts("upsert")));
    assert_eq!(
        s.post(&c, &json!([{"id": 42, "name": "Wayne"}, {"name": "Stark"}]))
            .await
            .body["created"],
        2
    );
    // 42.0 and " 42 " are the ID 42; "STARK" is Stark's name; a new ID with a known name matches by name.
    let r = s.post(&c, &json!([{"id": 42.0, "tier": 1}, {"id": " 42 ", "tier": 2}, {"name": "  STARK ", "tier": 3}, {"id": 99, "name": "stark"}])).await;
    assert_eq!(
        (
            r.status,
            r.body["updated"].as_u64(),
            r.body["created"].as_u64()
        ),
        (200, Some(4), Some(0))
    );
    let all = s.accounts();
    assert_eq!(all.len(), 2);
    let stark = all
        .iter()
        .find(|a| {
            a.name
                .as_deref()
                .is_some_and(|n| n.eq_ignore_ascii_case("stark"))
        })
        .unwrap();
    assert_eq!(
        stark.external_id.as_deref(),
        Some("99"),
        "an ID learned from the row fills an empty external ID"
    );
    let wayne = all
        .iter()
        .find(|a| a.external_id.as_deref() == Some("42"))
        .unwrap();
    assert_eq!(wayne.properties["tier"], 2);
}

#[tokio::test]
async fn a_different_stored_id_is_never_overwritten() {
    let s = Server::start().await;
    let c = s.connection(Kind::Accounts, Some(accounts("upsert")));
    s.post(&c, &json!({"id": 1, "name": "Acme"})).await;
    let r = s.post(&c, &json!({"id": 2, "name": "acme"})).await;
    assert_eq!(r.body["updated"], 1);
    let all = s.accounts();
    assert_eq!((all.len(), all[0].external_id.as_deref()), (1, Some("1")));
    let d =
        inlet_desktop::service::requests::show(&s.services, r.body["request_id"].as_str().unwrap())
            .unwrap();
    assert!(d.outcomes.unwrap()[0]["warnings"][0]
        .as_str()
        .unwrap()
        .contains("kept the stored ID"));
}

#[tokio::test]
async fn update_behavior_skips_rows_without_a_match() {
    let s = Server::start().await;
    let c = s.connection(Kind::Accounts, Some(accounts("update")));
    let r = s.post(&c, &json!([{"id": 1, "name": "Nobody"}])).await;
    assert_eq!((r.status, r.body["skipped"].as_u64()), (200, Some(1)));
    assert!(s.accounts().is_empty());
}

#[tokio::test]
async fn several_hits_are_ambiguous_and_missing_or_wrong_keys_are_row_errors() {
    let s = Server::start().await;
    let c = s.connection(Kind::Accounts, Some(accounts("upsert")));
    let setup = s.connection(
        Kind::Accounts,
        Some(json!({"version": 1, "kind": "accounts", "match": {"id": "id"}})),
    );
    s.post(
        &setup,
        &json!([{"id": "a", "name": "Twin"}, {"id": "b", "name": "twin"}]),
    )
    .await;
    s.services
        .store()
        .write(|tx| tx.execute_batch("UPDATE accounts SET name = 'Twin', name_fold = 'twin'"))
        .unwrap();
    let r = s.post(&c, &json!([{"name": "TWIN"}, {"id": null, "name": ""}, {"id": {"x": 1}}, {"id": [1]}, {"id": false}])).await;
    assert_eq!(r.status, 422);
    let errors: Vec<&str> = r.body["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["error"].as_str().unwrap())
        .collect();
    assert_eq!(errors.len(), 5);
    assert!(errors[0].contains("ambiguous"));
    assert!(errors[1].contains("no key"));
    assert!(
        errors[2].contains("object")
            && errors[3].contains("array")
            && errors[4].contains("boolean")
    );
}

#[tokio::test]
async fn properties_merge_top_level_keys_and_null_removes_a_key() {
    let s = Server::start().await;
    let m = json!({"version": 1, "kind": "accounts", "match": {"id": "id"}, "properties": {"exclude": ["id"]}});
    let c = s.connection(Kind::Accounts, Some(m));
    s.post(
        &c,
        &json!({"id": 1, "a": 1, "b": {"x": 1}, "c": 3, "gone": null}),
    )
    .await;
    assert_eq!(
        props(&s.accounts()[0].properties),
        json!({"a": 1, "b": {"x": 1}, "c": 3})
    );
    s.post(&c, &json!({"id": 1, "b": {"y": 2}, "c": null, "d": 4}))
        .await;
    assert_eq!(
        props(&s.accounts()[0].properties),
        json!({"a": 1, "b": {"y": 2}, "d": 4})
    );
}

#[tokio::test]
async fn properties_can_come_from_a_path_with_include() {
    let s = Server::start().await;
    let m = json!({"version": 1, "kind": "accounts", "match": {"id": "id"}, "properties": {"path": "traits", "include": ["plan"]}});
    let c = s.connection(Kind::Accounts, Some(m));
    s.post(
        &c,
        &json!({"id": 1, "traits": {"plan": "gold", "secret": "x"}}),
    )
    .await;
    assert_eq!(props(&s.accounts()[0].properties), json!({"plan": "gold"}));
}

#[tokio::test]
async fn custom_matching_updates_one_hit_skips_none_and_refuses_several_but_never_creates() {
    let s = Server::start().await;
    let seed = s.connection(
        Kind::Accounts,
        Some(json!({"version": 1, "kind": "accounts", "match": {"id": "id"}})),
    );
    s.post(&seed, &json!([{"id": 1, "domain": "wayne.example"}, {"id": 2, "domain": "dup.example"}, {"id": 3, "domain": "dup.example"}])).await;
    let m = json!({"version": 1, "kind": "accounts", "match": {"custom": {"path": "site", "property": "domain"}}});
    let c = s.connection(Kind::Accounts, Some(m));
    let r = s
        .post(
            &c,
            &json!([{"site": " wayne.example ", "seats": 5}, {"site": "new.example"}]),
        )
        .await;
    assert_eq!(
        (
            r.status,
            r.body["updated"].as_u64(),
            r.body["skipped"].as_u64()
        ),
        (200, Some(1), Some(1))
    );
    assert_eq!(s.accounts().len(), 3);
    let wayne = s
        .accounts()
        .into_iter()
        .find(|a| a.external_id.as_deref() == Some("1"))
        .unwrap();
    assert_eq!(wayne.properties["seats"], 5);
    let r = s.post(&c, &json!({"site": "dup.example"})).await;
    assert_eq!(r.status, 422);
    assert!(r.body["rows"][0]["error"]
        .as_str()
        .unwrap()
        .contains("ambiguous"));
}

#[tokio::test]
async fn on_removed_delete_removes_the_matched_record_and_ignore_skips() {
    let s = Server::start().await;
    let del = json!({"version": 1, "kind": "accounts", "operation_path": "op", "on_removed": "delete", "match": {"id": "id"}});
    let c = s.connection(Kind::Accounts, Some(del));
    s.post(
        &c,
        &json!([{"op": "added", "id": 1}, {"op": "upsert", "id": 2}]),
    )
    .await;
    let r = s
        .post(
            &c,
            &json!([{"op": "removed", "id": 1}, {"op": "deleted", "id": 77}]),
        )
        .await;
    assert_eq!(
        (r.body["deleted"].as_u64(), r.body["skipped"].as_u64()),
        (Some(1), Some(1))
    );
    assert_eq!(s.accounts().len(), 1);
    let ign =
        json!({"version": 1, "kind": "accounts", "operation_path": "op", "match": {"id": "id"}});
    let c2 = s.connection(Kind::Accounts, Some(ign));
    let r = s.post(&c2, &json!({"op": "removed", "id": 2})).await;
    assert_eq!(r.body["skipped"], 1);
    assert_eq!(s.accounts().len(), 1);
    let bad = s.post(&c2, &json!({"op": "archived", "id": 2})).await;
    assert_eq!(bad.status, 422, "an unknown operation is a row error");
}

#[tokio::test]
async fn contacts_match_email_without_case_and_link_or_create_their_account() {
    let s = Server::start().await;
    let m = json!({"version": 1, "kind": "contacts", "match": {"id": "user_id", "email": "email"},
                   "account": {"id": "company_id", "name": "company.name"}});
    let c = s.connection(Kind::Contacts, Some(m));
    let r = s
        .post(&c, &json!([
            {"user_id": "u1", "email": "Ada@Example.com", "company_id": "c1", "company": {"name": "Analytical"}},
            {"email": "grace@example.com", "company": {"name": "ANALYTICAL"}},
            {"user_id": "u3", "email": "solo@example.com"}
        ]))
        .await;
    assert_eq!((r.status, r.body["created"].as_u64()), (200, Some(3)));
    assert_eq!(
        s.accounts().len(),
        1,
        "the account is created once and found by name for the next row"
    );
    let contacts = s.contacts();
    let linked = contacts.iter().filter(|c| c.account.is_some()).count();
    assert_eq!(linked, 2);
    let r = s
        .post(&c, &json!({"email": " ADA@example.COM ", "plan": "pro"}))
        .await;
    assert_eq!(r.body["updated"], 1);
    assert_eq!(s.contacts().len(), 3);
}

#[tokio::test]
async fn under_update_a_contact_with_an_unknown_account_stays_unlinked() {
    let s = Server::start().await;
    let m = json!({"version": 1, "kind": "contacts", "behavior": "update", "match": {"email": "email"}, "account": {"id": "org"}});
    let seed = s.connection(
        Kind::Contacts,
        Some(json!({"version": 1, "kind": "contacts", "match": {"email": "email"}})),
    );
    s.post(&seed, &json!({"email": "a@x.example"})).await;
    let c = s.connection(Kind::Contacts, Some(m));
    let r = s.post(&c, &json!([{"email": "a@x.example", "org": "nope"}, {"email": "b@x.example", "org": "nope"}])).await;
    assert_eq!(
        (r.body["updated"].as_u64(), r.body["skipped"].as_u64()),
        (Some(1), Some(1))
    );
    assert!(s.accounts().is_empty());
    assert!(s.contacts()[0].account.is_none());
}

fn events(extra: Value) -> Value {
    let mut e =
        json!({"type": {"path": "event"}, "contact_id": "user", "timestamp": "at", "id": "mid"});
    for (k, v) in extra.as_object().unwrap() {
        e[k] = v.clone();
    }
    json!({"version": 1, "kind": "events", "event": e})
}

async fn seed_people(s: &Server) {
    let m =
        json!({"version": 1, "kind": "contacts", "match": {"id": "id"}, "account": {"id": "org"}});
    let c = s.connection(Kind::Contacts, Some(m));
    assert_eq!(
        s.post(&c, &json!([{"id": "u1", "org": "o1"}, {"id": "u2"}]))
            .await
            .status,
        200
    );
}

#[tokio::test]
async fn events_take_their_contacts_account_and_an_account_alone_has_no_contact() {
    let s = Server::start().await;
    seed_people(&s).await;
    let c = s.connection(Kind::Events, Some(events(json!({}))));
    let r = s.post(&c, &json!([{"event": "Signed Up", "user": "u1", "at": "2024-05-01T12:00:00Z"}, {"event": 7, "user": "u2"}])).await;
    assert_eq!((r.status, r.body["created"].as_u64()), (200, Some(2)));
    let ev = s.events();
    let signed = ev.iter().find(|e| e.event_type == "Signed Up").unwrap();
    assert_eq!(
        signed.account.as_ref().unwrap().external_id.as_deref(),
        Some("o1")
    );
    assert_eq!(signed.timestamp, "2024-05-01T12:00:00Z");
    let seven = ev.iter().find(|e| e.event_type == "7").unwrap();
    assert!(seven.account.is_none());
    assert_eq!(
        seven.timestamp, seven.received_at,
        "no timestamp: the time received"
    );

    let acc = s.connection(Kind::Events, Some(json!({"version": 1, "kind": "events", "event": {"type": {"value": "Renewed"}, "account_id": "org"}})));
    let r = s.post(&acc, &json!({"org": "o1"})).await;
    assert_eq!(r.status, 200);
    let renewed = s
        .events()
        .into_iter()
        .find(|e| e.event_type == "Renewed")
        .unwrap();
    assert!(renewed.contact.is_none() && renewed.account.is_some());
    let types = inlet_desktop::service::records::event_types(&s.services).unwrap();
    assert_eq!(types.len(), 3);
}

#[tokio::test]
async fn event_row_errors_unknown_people_blank_types_and_bad_timestamps() {
    let s = Server::start().await;
    seed_people(&s).await;
    let c = s.connection(Kind::Events, Some(events(json!({"account_id": "org"}))));
    let r = s
        .post(
            &c,
            &json!([
                {"event": "X", "user": "ghost"},
                {"event": "X", "org": "ghost"},
                {"event": "  ", "user": "u1"},
                {"event": "X", "user": "u1", "at": 1714564800},
                {"event": "X", "user": "u1", "at": "yesterday"},
                {"event": "X"},
                {"event": "X", "user": "u1", "at": "2024-05-01T12:00:00+02:00"}
            ]),
        )
        .await;
    assert_eq!(r.status, 422);
    let idx: Vec<u64> = r.body["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["index"].as_u64().unwrap())
        .collect();
    assert_eq!(idx, [0, 1, 2, 3, 4, 5]);
    assert!(s.events().is_empty());
}

#[tokio::test]
async fn timestamps_accept_offsets_fractions_and_dates() {
    let s = Server::start().await;
    seed_people(&s).await;
    let c = s.connection(Kind::Events, Some(events(json!({}))));
    let r = s
        .post(
            &c,
            &json!([
                {"event": "A", "user": "u1", "at": "2024-05-01T12:00:00+02:00"},
                {"event": "B", "user": "u1", "at": "2024-05-01T12:00:00.250Z"},
                {"event": "C", "user": "u1", "at": "2024-05-01"},
                {"event": "D", "user": "u1", "at": "2024-05-01T12:00:00"}
            ]),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let mut got: Vec<(String, String)> = s
        .events()
        .into_iter()
        .map(|e| (e.event_type, e.timestamp))
        .collect();
    got.sort();
    let want = [
        ("A", "2024-05-01T10:00:00Z"),
        ("B", "2024-05-01T12:00:00.250Z"),
        ("C", "2024-05-01T00:00:00Z"),
        ("D", "2024-05-01T12:00:00Z"),
    ];
    assert_eq!(got, want.map(|(a, b)| (a.to_string(), b.to_string())));
}

#[tokio::test]
async fn event_ids_seen_before_or_twice_in_a_batch_are_duplicates_not_errors() {
    let s = Server::start().await;
    seed_people(&s).await;
    let c = s.connection(Kind::Events, Some(events(json!({}))));
    let r = s.post(&c, &json!([{"event": "A", "user": "u1", "mid": "m1"}, {"event": "A", "user": "u1", "mid": "m1"}])).await;
    assert_eq!(
        (r.body["created"].as_u64(), r.body["duplicates"].as_u64()),
        (Some(1), Some(1))
    );
    let r = s
        .post(&c, &json!({"event": "A", "user": "u1", "mid": "m1"}))
        .await;
    assert_eq!((r.status, r.body["duplicates"].as_u64()), (200, Some(1)));
    let other = s.connection(Kind::Events, Some(events(json!({}))));
    assert_eq!(
        s.post(&other, &json!({"event": "A", "user": "u1", "mid": "m1"}))
            .await
            .body["created"],
        1,
        "IDs are per connection"
    );
    assert_eq!(s.events().len(), 2);
}
