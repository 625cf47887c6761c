//! The desktop window's commands (`desktop/src/gui/commands.rs`) are one-line dispatchers into the
//! service layer; these tests run each command's service call with the arguments the window sends,
//! on a real SQLite file behind a real listener, in the order a new user clicks through.

mod common;

use common::Server;
use inlet_core::{Behavior, Kind};
use inlet_desktop::service::{
    connections, mappings, payloads, preview, records, replay, requests, settings,
};
use serde_json::json;

fn contacts_mapping() -> serde_json::Value {
    json!({"version": 1, "kind": "contacts", "match": {"id": "id", "email": "email"},
           "account": {"id": "company_id", "name": "company_name"}})
}

#[test]
fn every_window_command_does_what_its_screen_shows() {
    // The commands run as the window runs them, on a thread of their own, off the runtime that
    // serves the webhook (the PostgreSQL client blocks).
    let rt = tokio::runtime::Runtime::new().unwrap();
    let server = rt.block_on(Server::start());
    let s = &server.services;

    // connections_create / connections_list: a new connection is off, enforces auth, has a secret.
    let created = connections::create(
        s,
        connections::NewConnection {
            name: "Hightouch users".into(),
            kind: Kind::Contacts,
            behavior: None,
        },
    )
    .unwrap();
    assert!(!created.enabled && created.enforce_auth && !created.has_mapping);
    assert!(
        created.authorization.starts_with("Bearer inl_"),
        "{}",
        created.authorization
    );
    assert!(created
        .webhook_url
        .ends_with(&format!("/hooks/{}", created.id)));
    let listed = connections::list(s).unwrap();
    assert_eq!(
        listed.iter().map(|c| c.id.as_str()).collect::<Vec<_>>(),
        vec![created.id.as_str()]
    );

    // payload_latest: nothing until a request arrives; then exactly what was posted.
    assert_eq!(payloads::latest(s, &created.id).unwrap(), None);
    let conn = common::Conn {
        id: created.id.clone(),
        auth: created.authorization.clone(),
        url: format!("{}/hooks/{}", server.base, created.id),
    };
    let row = json!({"id": "u_1", "email": "Ada@Example.com", "company_id": "c_1", "company_name": "Analytical Engines", "plan": "pro"});
    assert_eq!(rt.block_on(server.post(&conn, &row)).status, 202);
    let latest = payloads::latest(s, &created.id)
        .unwrap()
        .expect("the payload is kept");
    assert_eq!(latest.json, Some(row.clone()));
    assert_eq!(latest.status, 202);

    // mapping_check: the native dry run against the store — nothing there yet, so a create.
    let check = |payload: &serde_json::Value| {
        let input = preview::PreviewInput {
            mapping: contacts_mapping(),
            payload: payload.to_string(),
            content_type: None,
            against_store: true,
            connection_id: Some(created.id.clone()),
        };
        serde_json::to_value(preview::preview(s, &input).unwrap()).unwrap()
    };
    assert_eq!(check(&row)["plan"]["summary"]["create"], 1);

    // mapping_save: validate, save, enable; connections_show then carries the mapping.
    mappings::set(
        s,
        &created.id,
        mappings::SetMapping {
            document: contacts_mapping(),
            no_enable: false,
        },
    )
    .unwrap();
    let shown = connections::show(s, &created.id).unwrap();
    assert!(shown.enabled && shown.has_mapping);
    assert_eq!(shown.mapping.as_ref().unwrap()["match"]["email"], "email");
    // A mapping of another kind is refused with the field named, and nothing changes.
    let wrong = json!({"version": 1, "kind": "accounts", "match": {"id": "id"}});
    let err = mappings::set(
        s,
        &created.id,
        mappings::SetMapping {
            document: wrong,
            no_enable: false,
        },
    )
    .unwrap_err();
    assert!(
        err.to_string().contains("kind") || err.to_string().contains("accounts"),
        "{err}"
    );
    assert_eq!(
        connections::show(s, &created.id).unwrap().mapping,
        shown.mapping
    );

    // The sender posts again: written. mapping_check now sees the stored contact: an update.
    let reply = rt.block_on(server.post(&conn, &row));
    assert_eq!(
        (reply.status, reply.body["created"].clone()),
        (200, json!(1)),
        "{}",
        reply.body
    );
    assert_eq!(check(&row)["plan"]["summary"]["update"], 1);

    // records_list for each kind: the contact with its account, the account it created.
    let filter = records::RecordFilter {
        search: Some("ada@".into()),
        ..Default::default()
    };
    let contacts = records::contacts(s, &filter).unwrap();
    assert_eq!(contacts.len(), 1);
    assert_eq!(
        contacts[0].account.as_ref().and_then(|a| a.name.as_deref()),
        Some("Analytical Engines")
    );
    let accounts = records::accounts(s, &records::RecordFilter::default()).unwrap();
    assert_eq!(
        accounts
            .iter()
            .filter_map(|a| a.external_id.as_deref())
            .collect::<Vec<_>>(),
        vec!["c_1"]
    );
    assert!(records::events(s, &records::RecordFilter::default())
        .unwrap()
        .is_empty());

    // requests_list / requests_show: newest first, Authorization never shown.
    let log = requests::list(s, &created.id, Some(100)).unwrap();
    assert_eq!(
        log.iter().map(|r| r.status).collect::<Vec<_>>(),
        vec![200, 202]
    );
    let detail = requests::show(s, &log[1].id).unwrap();
    let headers = detail.headers.to_string();
    assert!(
        !headers.contains(&created.authorization["Bearer ".len()..]),
        "the secret leaked into the log: {headers}"
    );
    assert_eq!(
        serde_json::from_str::<serde_json::Value>(&detail.body).unwrap(),
        row
    );

    // requests_replay: "Replay" on the 202 request writes it now (an update: same contact);
    // "Replay all" finds nothing left unwritten.
    let one = replay::replay(
        s,
        &created.id,
        &replay::ReplayInput {
            request: Some(log[1].id.clone()),
            ..Default::default()
        },
    )
    .unwrap();
    assert_eq!((one.written, one.not_written), (1, 0), "{one:?}");
    assert_eq!(
        records::contacts(s, &records::RecordFilter::default())
            .unwrap()
            .len(),
        1,
        "a replay never duplicates"
    );
    let all = replay::replay(
        s,
        &created.id,
        &replay::ReplayInput {
            all_since: Some("1970-01-01".into()),
            ..Default::default()
        },
    )
    .unwrap();
    assert_eq!(all.replayed.len(), 0, "{all:?}");

    // connections_update: rename, update-only, and auth off take effect on the next request.
    let patch = connections::ConnectionPatch {
        name: Some("Renamed".into()),
        behavior: Some(Behavior::Update),
        ..Default::default()
    };
    let updated = connections::update(s, &created.id, patch).unwrap();
    assert_eq!(
        (updated.name.as_str(), updated.behavior),
        ("Renamed", Behavior::Update)
    );
    let new_row = json!({"id": "u_2", "email": "grace@example.com"});
    let reply = rt.block_on(server.post(&conn, &new_row));
    assert_eq!(
        (reply.status, reply.body["skipped"].clone()),
        (200, json!(1)),
        "update only: {}",
        reply.body
    );

    // connections_rotate: the old value stops working at once; the new one works.
    let rotated = connections::rotate_auth(s, &created.id).unwrap();
    assert_ne!(rotated.authorization, created.authorization);
    assert_eq!(rt.block_on(server.post(&conn, &row)).status, 401);
    let conn2 = common::Conn {
        auth: rotated.authorization.clone(),
        ..conn
    };
    assert_eq!(rt.block_on(server.post(&conn2, &row)).status, 200);

    // settings_get / settings_set: the public URL (a tunnel) changes every webhook URL.
    let before = settings::get(s).unwrap();
    assert!(!before.public_base_url_set);
    let patch = settings::SettingsPatch {
        public_base_url: Some("https://inlet.tunnel.example".into()),
        ..Default::default()
    };
    assert_eq!(
        settings::set(s, patch).unwrap().public_base_url,
        "https://inlet.tunnel.example"
    );
    assert_eq!(
        connections::show(s, &created.id).unwrap().webhook_url,
        format!("https://inlet.tunnel.example/hooks/{}", created.id)
    );
    let bad = settings::SettingsPatch {
        listen_address: Some("somewhere".into()),
        ..Default::default()
    };
    assert!(
        settings::set(s, bad).is_err(),
        "a bad listen address is refused"
    );

    // connections_delete: gone (404 for the sender too); the records it wrote stay.
    assert!(connections::delete(s, &created.id).unwrap().deleted);
    assert!(connections::show(s, &created.id).is_err());
    assert_eq!(rt.block_on(server.post(&conn2, &row)).status, 404);
    assert_eq!(
        records::contacts(s, &records::RecordFilter::default())
            .unwrap()
            .len(),
        1
    );
}
