//! One test body, two stores: each test runs on a fresh SQLite file and, when
//! `INLET_TEST_POSTGRES_URL` names a PostgreSQL server (a superuser on a throwaway cluster), on a
//! fresh database of its own there. Without the variable the PostgreSQL half is skipped with a
//! printed notice.

use super::{Store, Tx};
use crate::ingest::writer::{Writer, WriterConfig};
use crate::ingest::{self, Incoming};
use crate::service::{self, Services};
use crate::store::queries::RecordFilter;
use crate::store::queries::{accounts, config_version, connections, events, mappings, requests};
use inlet_core::Kind;
use serde_json::json;
use std::path::PathBuf;
use std::sync::Arc;

/// A database for one test, dropped (file removed, database dropped) at the end.
pub struct TestDb {
    pub db: PathBuf,
    pub name: &'static str,
    cleanup: Option<Box<dyn FnOnce()>>,
}

impl Drop for TestDb {
    fn drop(&mut self) {
        if let Some(f) = self.cleanup.take() {
            f();
        }
    }
}

impl TestDb {
    pub fn open(&self) -> Store {
        Store::open(&self.db).unwrap()
    }
}

fn sqlite_db() -> TestDb {
    let dir = std::env::temp_dir().join(format!("inlet-both-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).unwrap();
    let cleanup_dir = dir.clone();
    TestDb {
        db: dir.join("inlet.db"),
        name: "sqlite",
        cleanup: Some(Box::new(move || {
            let _ = std::fs::remove_dir_all(cleanup_dir);
        })),
    }
}

/// A fresh database on the test server: `CREATE DATABASE` through the given URL, then the same
/// URL with that database's name.
fn postgres_db(url: &str) -> TestDb {
    let name = format!("inlet_test_{}", uuid::Uuid::new_v4().simple());
    let mut admin = postgres::Client::connect(url, postgres::NoTls).unwrap();
    admin
        .batch_execute(&format!("CREATE DATABASE {name}"))
        .unwrap();
    let (base, query) = match url.split_once('?') {
        Some((b, q)) => (b, format!("?{q}")),
        None => (url, String::new()),
    };
    let host_end = base.find("://").map(|i| i + 3).unwrap_or(0);
    let base = match base[host_end..].find('/') {
        Some(i) => &base[..host_end + i],
        None => base,
    };
    let admin_url = url.to_string();
    TestDb {
        db: PathBuf::from(format!("{base}/{name}{query}")),
        name: "postgres",
        cleanup: Some(Box::new(move || {
            if let Ok(mut c) = postgres::Client::connect(&admin_url, postgres::NoTls) {
                let _ = c.batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"));
            }
        })),
    }
}

/// Runs `body` once per store.
pub fn each_store(mut body: impl FnMut(&TestDb)) {
    body(&sqlite_db());
    match std::env::var("INLET_TEST_POSTGRES_URL") {
        Ok(url) if !url.is_empty() => body(&postgres_db(&url)),
        _ => eprintln!("note: INLET_TEST_POSTGRES_URL is not set; skipping the PostgreSQL store"),
    }
}

fn incoming(connection_id: &str, body: &str) -> Incoming {
    Incoming {
        request_id: crate::ids::RequestId::generate(),
        connection_id: crate::ids::ConnectionId::from_stored(connection_id.into()),
        received_at: crate::store::now(),
        method: "POST".into(),
        content_type: Some("application/json".into()),
        headers: json!({}),
        query: None,
        body: body.as_bytes().to_vec().into(),
        replay_of: None,
        event_time: None,
    }
}

/// A connection of `kind` with `mapping`, enabled.
fn connection(s: &Services, kind: Kind, mapping: serde_json::Value) -> String {
    let c = service::connections::create(
        s,
        service::connections::NewConnection {
            name: "feed".into(),
            kind,
            behavior: None,
        },
    )
    .unwrap();
    service::mappings::set(
        s,
        &c.id,
        service::mappings::SetMapping {
            document: mapping,
            no_enable: false,
        },
    )
    .unwrap();
    c.id
}

fn post(store: &Store, connection_id: &str, body: &str) -> ingest::Answer {
    store
        .write(|tx| {
            let conn = connections::get(tx, connection_id)?.unwrap();
            let mapping = mappings::get(tx, connection_id)?;
            let job = ingest::prepare(&conn, mapping.as_ref(), incoming(connection_id, body));
            ingest::process_alone(tx, &job)
        })
        .unwrap()
}

#[test]
fn connections_mappings_settings_and_the_config_version_behave_alike() {
    each_store(|db| {
        let s = Services::with_store(db.open());
        let v0 = s.store().config_version().unwrap();
        let id = connection(
            &s,
            Kind::Accounts,
            json!({"version": 1, "kind": "accounts", "match": {"id": "id"}}),
        );
        let v1 = s.store().config_version().unwrap();
        assert!(v1 > v0, "{}: {v0} -> {v1}", db.name);
        let shown = service::connections::show(&s, &id).unwrap();
        assert!(shown.enabled && shown.has_mapping, "{}", db.name);
        assert!(shown.authorization.starts_with("Bearer inl_"));
        let rotated = service::connections::rotate_auth(&s, &id).unwrap();
        assert_ne!(rotated.authorization, shown.authorization);
        assert!(s.store().config_version().unwrap() > v1, "{}", db.name);
        let patch = service::settings::SettingsPatch {
            public_base_url: Some("https://in.example".into()),
            ..Default::default()
        };
        service::settings::set(&s, patch).unwrap();
        let listed = service::connections::list(&s).unwrap();
        assert_eq!(listed.len(), 1);
        assert_eq!(
            listed[0].webhook_url,
            format!("https://in.example/hooks/{id}")
        );
        // A second handle (another receiver) sees the change and the same version.
        let other = db.open();
        assert_eq!(
            other.config_version().unwrap(),
            s.store().config_version().unwrap(),
            "{}",
            db.name
        );
        assert!(service::connections::delete(&s, &id).unwrap().deleted);
        assert!(service::connections::list(&s).unwrap().is_empty());
    });
}

#[test]
fn batches_create_then_update_and_the_log_keeps_its_bound() {
    each_store(|db| {
        let s = Services::with_store(db.open());
        let id = connection(
            &s,
            Kind::Contacts,
            json!({"version": 1, "kind": "contacts", "wrapper_path": "rows", "match": {"id": "id", "email": "email"},
                   "account": {"id": "org", "name": "company"}}),
        );
        let a = post(
            s.store(),
            &id,
            r#"{"rows": [{"id": "u1", "email": "Ada@X.example", "org": "o1", "company": "Acme"},
                         {"id": "u2", "email": "bob@x.example", "company": "ACME "},
                         {"email": "ada@x.EXAMPLE", "plan": "gold"}]}"#,
        );
        assert_eq!(a.status, 200, "{}: {}", db.name, a.body);
        assert_eq!(
            (a.body["created"].as_u64(), a.body["updated"].as_u64()),
            (Some(2), Some(1)),
            "{}",
            db.name
        );
        let b = post(
            s.store(),
            &id,
            r#"{"rows": [{"id": "u2", "email": "bob@x.example", "seats": null, "n": 3}]}"#,
        );
        assert_eq!(b.body["updated"], 1, "{}", db.name);
        let contacts = service::records::contacts(&s, &RecordFilter::default()).unwrap();
        assert_eq!(contacts.len(), 2, "{}", db.name);
        assert!(contacts
            .iter()
            .all(|c| c.account.as_ref().and_then(|a| a.name.as_deref()) == Some("Acme")));
        let ada = contacts
            .iter()
            .find(|c| c.external_id.as_deref() == Some("u1"))
            .unwrap();
        assert_eq!(ada.properties["plan"], "gold", "{}", db.name);
        let found = service::records::contacts(
            &s,
            &RecordFilter {
                search: Some("BOB@".into()),
                ..Default::default()
            },
        )
        .unwrap();
        assert_eq!(found.len(), 1, "{}", db.name);
        let bad = post(s.store(), &id, r#"{"rows": [{"id": true}]}"#);
        assert_eq!(bad.status, 422, "{}", db.name);
        s.store()
            .write(|tx| {
                for i in 0..5 {
                    requests::insert(tx, &requests::sample(&format!("t{i}"), &id, false))?;
                }
                requests::prune(tx, &id, 3)
            })
            .unwrap();
        let log = service::requests::list(&s, &id, None).unwrap();
        let ids: Vec<_> = log.iter().map(|r| r.status).collect();
        assert_eq!(
            ids.len(),
            4,
            "{}: the 3 newest and the latest payload ({ids:?})",
            db.name
        );
        let latest = s
            .store()
            .read(|tx| requests::latest_payload(tx, &id))
            .unwrap()
            .unwrap();
        assert_eq!(latest.status, 422, "{}", db.name);
    });
}

#[test]
fn events_are_unique_per_connection_and_preview_reads_the_store() {
    each_store(|db| {
        let s = Services::with_store(db.open());
        let accounts_conn = connection(
            &s,
            Kind::Accounts,
            json!({"version": 1, "kind": "accounts", "match": {"id": "id"}}),
        );
        post(
            s.store(),
            &accounts_conn,
            r#"[{"id": "o1", "name": "Org"}]"#,
        );
        let m = json!({"version": 1, "kind": "events", "event": {"type": {"path": "event"}, "account_id": "org", "id": "mid"}});
        let id = connection(&s, Kind::Events, m.clone());
        let body = r#"[{"event": "Paid", "org": "o1", "mid": "m1"}, {"event": "Paid", "org": "o1", "mid": "m1"}]"#;
        let a = post(s.store(), &id, body);
        assert_eq!(
            (a.body["created"].as_u64(), a.body["duplicates"].as_u64()),
            (Some(1), Some(1)),
            "{}: {}",
            db.name,
            a.body
        );
        let again = post(s.store(), &id, body);
        assert_eq!(again.body["duplicates"], 2, "{}", db.name);
        let unknown = post(s.store(), &id, r#"[{"event": "Paid", "org": "nope"}]"#);
        assert_eq!(unknown.status, 422, "{}", db.name);
        let ev = s
            .store()
            .read(|tx| events::list(tx, &RecordFilter::default()))
            .unwrap();
        assert_eq!(ev.len(), 1);
        assert_eq!(
            ev[0].account.as_ref().map(|a| a.external_id.as_deref()),
            Some(Some("o1"))
        );
        let types = service::records::event_types(&s).unwrap();
        assert_eq!((types.len(), types[0].events), (1, 1), "{}", db.name);
        let p = service::preview::preview(
            &s,
            &service::preview::PreviewInput {
                mapping: m,
                payload: r#"[{"event": "Paid", "org": "o1", "mid": "m1"}, {"event": "Paid", "org": "o1", "mid": "m2"}]"#.into(),
                content_type: Some("application/json".into()),
                against_store: true,
                connection_id: Some(id.clone()),
            },
        )
        .unwrap();
        let v = serde_json::to_value(&p).unwrap();
        assert!(v.to_string().contains("duplicate"), "{}: {v}", db.name);
        // Custom matching reads stored properties the same way.
        let custom = connection(
            &s,
            Kind::Accounts,
            json!({"version": 1, "kind": "accounts", "match": {"custom": {"path": "n", "property": "n"}}}),
        );
        post(s.store(), &accounts_conn, r#"[{"id": "o2", "n": 42.0}]"#);
        let c = post(s.store(), &custom, r#"[{"n": "42", "tier": 1}, {"n": 7}]"#);
        assert_eq!(
            (c.body["updated"].as_u64(), c.body["skipped"].as_u64()),
            (Some(1), Some(1)),
            "{}: {}",
            db.name,
            c.body
        );
    });
}

/// Two receivers' writers on one database, each given every key at the same moment.
#[test]
fn two_writers_racing_on_the_same_new_keys_create_one_record_each() {
    each_store(|db| {
        let first = Arc::new(Services::with_store(db.open()));
        let second = Arc::new(Services::with_store(db.open()));
        let accounts_id = connection(
            &first,
            Kind::Accounts,
            json!({"version": 1, "kind": "accounts", "match": {"id": "id", "name": "name"}}),
        );
        let events_id = connection(
            &first,
            Kind::Events,
            json!({"version": 1, "kind": "events", "event": {"type": {"value": "Seen"}, "account_id": "org", "id": "mid"}}),
        );
        post(
            first.store(),
            &accounts_id,
            r#"[{"id": "base", "name": "Base"}]"#,
        );
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        let writers: Vec<Writer> = [&first, &second]
            .iter()
            .map(|s| {
                Writer::spawn(s.store(), WriterConfig::default(), s.activity_sender()).unwrap()
            })
            .collect();
        let job = |s: &Services, cid: &str, body: String| {
            s.store()
                .read(|tx| {
                    let conn = connections::get(tx, cid)?.unwrap();
                    let m = mappings::get(tx, cid)?;
                    Ok::<_, super::StoreError>(ingest::prepare(
                        &conn,
                        m.as_ref(),
                        incoming(cid, &body),
                    ))
                })
                .unwrap()
        };
        let keys = 40;
        let rounds = 12;
        let mut pending = Vec::new();
        for round in 0..rounds {
            for (w, (writer, s)) in writers.iter().zip([&first, &second]).enumerate() {
                // New keys every round, the same ones to both writers at once: half the rows name
                // the account by ID, half by name only; the orders differ per writer.
                let rows: Vec<_> = (0..keys)
                    .map(|k| if w % 2 == 0 { k } else { keys - 1 - k })
                    .map(|k| {
                        if k % 2 == 0 {
                            json!({"id": format!("r{round}k{k}"), "name": format!("Name {round} {k}")})
                        } else {
                            json!({"name": format!("NAME {round} {k} ")})
                        }
                    })
                    .collect();
                pending.push((
                    writer.clone(),
                    job(s, &accounts_id, json!(rows).to_string()),
                ));
                let evs: Vec<_> = (0..keys)
                    .map(|k| json!({"org": "base", "mid": format!("r{round}m{k}")}))
                    .collect();
                pending.push((writer.clone(), job(s, &events_id, json!(evs).to_string())));
            }
        }
        // Every job is ready before the first is submitted, so the two writers run side by side.
        let pending: Vec<_> = pending
            .into_iter()
            .map(|(w, j)| rt.spawn(async move { w.submit(j).await }))
            .collect();
        for p in pending {
            let a = rt.block_on(p).unwrap();
            assert_eq!(a.status, 200, "{}: {}", db.name, a.body);
        }
        let all = first
            .store()
            .read(|tx| {
                accounts::list(
                    tx,
                    &RecordFilter {
                        limit: Some(1000),
                        ..Default::default()
                    },
                )
            })
            .unwrap();
        assert_eq!(
            all.len(),
            keys * rounds + 1,
            "{}: one account per key",
            db.name
        );
        let ev = first
            .store()
            .read(|tx| {
                events::list(
                    tx,
                    &RecordFilter {
                        limit: Some(1000),
                        ..Default::default()
                    },
                )
            })
            .unwrap();
        assert_eq!(
            ev.len(),
            keys * rounds,
            "{}: one event per event ID",
            db.name
        );
        drop(writers);
        rt.shutdown_timeout(std::time::Duration::from_secs(5));
    });
}

#[test]
fn a_transaction_reads_its_own_writes_on_both_stores() {
    each_store(|db| {
        let store = db.open();
        let n = store
            .write(|tx| {
                connections::insert(tx, &connections::sample("c1", Kind::Accounts))?;
                accounts::insert(
                    tx,
                    Some("1"),
                    Some("A"),
                    &serde_json::Map::new(),
                    Some("c1"),
                    "t",
                )?;
                let v = config_version::get(tx)?;
                assert!(v > 0);
                accounts::count(tx)
            })
            .unwrap();
        assert_eq!(n, 1, "{}", db.name);
        let _ = Tx::Sqlite;
    });
}

/// What a user sees of the stored records, without ids and times (SQLite reuses a deleted
/// record's id, PostgreSQL never does).
fn visible(s: &Services) -> serde_json::Value {
    let all = RecordFilter {
        limit: Some(1000),
        ..Default::default()
    };
    let accounts: Vec<_> = service::records::accounts(s, &all)
        .unwrap()
        .into_iter()
        .map(|a| json!([a.external_id, a.name, a.properties]))
        .collect();
    let contacts: Vec<_> = service::records::contacts(s, &all)
        .unwrap()
        .into_iter()
        .map(|c| {
            json!([
                c.external_id,
                c.email,
                c.account.map(|a| a.name),
                c.properties
            ])
        })
        .collect();
    let events: Vec<_> = service::records::events(s, &all)
        .unwrap()
        .into_iter()
        .map(|e| {
            json!([
                e.event_type,
                e.event_id,
                e.contact.map(|c| c.email),
                e.account.map(|a| a.name),
                e.properties
            ])
        })
        .collect();
    json!({"accounts": accounts, "contacts": contacts, "events": events})
}

#[test]
fn the_same_requests_leave_the_same_records_on_both_stores() {
    let mut seen = Vec::new();
    each_store(|db| {
        let s = Services::with_store(db.open());
        let contacts = connection(
            &s,
            Kind::Contacts,
            json!({"version": 1, "kind": "contacts", "operation_path": "op", "on_removed": "delete",
                   "match": {"id": "id", "email": "email"}, "account": {"id": "org", "name": "co"}}),
        );
        let events = connection(
            &s,
            Kind::Events,
            json!({"version": 1, "kind": "events", "event": {"type": {"path": "t"}, "contact_id": "u", "id": "mid"}}),
        );
        let mut answers = Vec::new();
        for body in [
            r#"[{"op": "added", "id": "u1", "email": "a@x.example", "co": "Acme", "n": 1},
                {"op": "added", "id": "u1", "n": 2, "m": 1}, {"op": "added", "email": "B@x.example", "org": "o2", "co": "Beta"},
                {"op": "deleted", "email": "b@X.example"}, {"op": "added", "email": "b@x.example", "co": "acme ", "k": null},
                {"op": "added", "id": "u3", "org": "o2", "x": {"deep": [1, 2]}}]"#,
            r#"[{"op": "changed", "email": "a@x.example", "id": "u1", "n": null, "co": "Gamma"},
                {"op": "deleted", "id": "u3"}, {"op": "added", "id": "u3", "email": "c@x.example"}]"#,
        ] {
            let a = post(s.store(), &contacts, body);
            answers.push(json!([
                a.status,
                a.body["created"],
                a.body["updated"],
                a.body["deleted"]
            ]));
        }
        let a = post(
            s.store(),
            &events,
            r#"[{"t": "Paid", "u": "u1", "mid": "e1", "v": 1}, {"t": "Seen", "u": "u3"}, {"t": "Paid", "u": "u1", "mid": "e1"}]"#,
        );
        answers.push(json!([a.status, a.body["created"], a.body["duplicates"]]));
        seen.push((db.name, json!({"answers": answers, "records": visible(&s)})));
    });
    for (name, v) in &seen[1..] {
        assert_eq!(v, &seen[0].1, "{name} differs from {}", seen[0].0);
    }
    assert_eq!(
        seen[0].1["records"]["contacts"].as_array().unwrap().len(),
        3
    );
}

#[test]
fn receivers_starting_together_migrate_once() {
    each_store(|db| {
        let path = &db.db;
        let stores: Vec<_> = std::thread::scope(|s| {
            let handles: Vec<_> = (0..4).map(|_| s.spawn(|| Store::open(path))).collect();
            handles.into_iter().map(|h| h.join().unwrap()).collect()
        });
        for s in &stores {
            assert!(s.as_ref().is_ok(), "{}: {:?}", db.name, s.as_ref().err());
        }
        let n = stores[0]
            .as_ref()
            .unwrap()
            .read(|tx| match tx {
                Tx::Sqlite(c) => Ok(c.query_row(
                    "SELECT count(*) FROM schema_migrations",
                    [],
                    |r| r.get::<_, i64>(0),
                )?),
                Tx::Postgres(p) => Ok::<_, super::StoreError>(
                    p.query_one("SELECT count(*) FROM schema_migrations", &[])?
                        .get(0),
                ),
            })
            .unwrap();
        assert_eq!(
            n as usize,
            super::migrations::MIGRATIONS.len(),
            "{}",
            db.name
        );
    });
}

#[test]
fn a_database_that_cannot_be_reached_is_unavailable_within_seconds() {
    // A loopback port nothing listens on: refused at once, never a hang.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let url = format!("postgres://inlet:secret@127.0.0.1:{port}/inlet");
    let started = std::time::Instant::now();
    let err = Store::open(std::path::Path::new(&url)).unwrap_err();
    assert!(err.is_unavailable(), "{err}");
    assert!(started.elapsed() < super::pg::CONNECT_TIMEOUT * 2);
    let message = err.to_string();
    assert!(
        message.contains("unavailable") && !message.contains("secret"),
        "{message}"
    );
}

#[test]
fn records_page_by_key_search_folds_unicode_and_export_streams_on_both_stores() {
    use crate::service::{export, records};
    use crate::store::queries::{contacts, event_types};
    each_store(|db| {
        let s = Services::with_store(db.open());
        let props = |v: serde_json::Value| v.as_object().unwrap().clone();
        s.store()
            .write(|tx| {
                connections::insert(tx, &connections::sample("c1", Kind::Accounts))?;
                for i in 0..25 {
                    accounts::insert(
                        tx,
                        Some(&format!("a{i}")),
                        Some(&format!("Acme {i}")),
                        &props(json!({"n": i})),
                        Some("c1"),
                        "t",
                    )?;
                }
                let a = accounts::insert(tx, None, Some("émile"), &props(json!({})), None, "t")?;
                accounts::set_request(tx, &[a], "r1")?;
                let c =
                    contacts::insert(tx, Some("u1"), None, Some(a), &props(json!({})), None, "t")?;
                let t = event_types::ensure(tx, "Paid", "t")?;
                for (i, ts) in ["2024-01-02", "2024-01-01", "2024-01-02", "2024-01-03"]
                    .iter()
                    .enumerate()
                {
                    events::insert(
                        tx,
                        &events::NewEvent {
                            connection_id: "c1",
                            event_type_id: t,
                            account_id: Some(a),
                            contact_id: Some(c),
                            timestamp: ts,
                            event_id: Some(&format!("m{i}")),
                            properties: &props(json!({"i": i})),
                            received_at: "t",
                            request_id: None,
                        },
                    )?;
                }
                Ok::<_, crate::store::StoreError>(())
            })
            .unwrap();
        let mut f = RecordFilter {
            limit: Some(10),
            ..Default::default()
        };
        let mut seen = Vec::new();
        loop {
            let p = records::accounts_page(&s, &f).unwrap();
            seen.extend(p.records.iter().map(|a| a.id));
            match p.next {
                Some(n) => f.after = Some(n),
                None => break,
            }
        }
        assert_eq!(seen.len(), 26, "{}", db.name);
        assert!(seen.windows(2).all(|w| w[0] > w[1]), "{}", db.name);

        let mut f = RecordFilter {
            limit: Some(3),
            ..Default::default()
        };
        let first = records::events_page(&s, &f).unwrap();
        f.after = first.next.clone();
        let second = records::events_page(&s, &f).unwrap();
        let order: Vec<(String, i64)> = first
            .records
            .iter()
            .chain(&second.records)
            .map(|e| (e.timestamp.clone(), e.properties["i"].as_i64().unwrap()))
            .collect();
        assert_eq!(
            order,
            [
                ("2024-01-03".to_string(), 3),
                ("2024-01-02".to_string(), 2),
                ("2024-01-02".to_string(), 0),
                ("2024-01-01".to_string(), 1)
            ],
            "{}: newest first, ties by id, across pages",
            db.name
        );
        assert!(second.next.is_none(), "{}", db.name);

        let found = records::accounts(
            &s,
            &RecordFilter {
                search: Some("ÉMILE".into()),
                ..Default::default()
            },
        )
        .unwrap();
        assert_eq!(found.len(), 1, "{}: Unicode case folding", db.name);
        assert_eq!(found[0].request_id.as_deref(), Some("r1"), "{}", db.name);
        let page = records::account_page(&s, found[0].id).unwrap();
        assert_eq!(page.contacts.records.len(), 1, "{}", db.name);
        assert_eq!(page.events.records.len(), 4, "{}", db.name);

        let mut out = Vec::new();
        let done = export::export(
            &s,
            Kind::Events,
            &RecordFilter::default(),
            export::Format::Csv,
            &mut out,
        )
        .unwrap();
        assert_eq!(done.rows, 4, "{}", db.name);
        let text = String::from_utf8(out).unwrap();
        assert!(
            text.lines()
                .next()
                .unwrap()
                .ends_with(",request_id,properties.i"),
            "{}: {text}",
            db.name
        );
        assert_eq!(text.lines().count(), 5, "{}", db.name);
    });
}

#[test]
fn the_request_log_is_searched_paged_and_kept_as_each_connection_says() {
    use service::requests::{search, RequestQuery, RetentionPatch};
    each_store(|db| {
        let s = Services::with_store(db.open());
        let id = connection(
            &s,
            Kind::Accounts,
            json!({"version": 1, "kind": "accounts", "match": {"id": "id"}}),
        );
        for i in 0..12 {
            post(
                s.store(),
                &id,
                &format!(r#"{{"id": {i}, "name": "Acme {i}"}}"#),
            );
        }
        post(s.store(), &id, r#"{"id": true}"#);
        post(s.store(), &id, "");
        let q = |f: fn(&mut RequestQuery)| {
            let mut q = RequestQuery::default();
            f(&mut q);
            search(&s, &id, &q).unwrap()
        };
        let found = q(|q| q.search = Some("ACME 7".into()));
        assert_eq!(found.requests.len(), 1, "{}", db.name);
        let failed = q(|q| q.status = Some("4xx".into()));
        assert_eq!(
            failed.requests.iter().map(|r| r.status).collect::<Vec<_>>(),
            [422],
            "{}",
            db.name
        );
        assert_eq!(q(|q| q.status = Some("2xx".into())).requests.len(), 13);
        // Pages of 5 reach every request exactly once, newest first.
        let mut seen = Vec::new();
        let mut before = None;
        loop {
            let page = search(
                &s,
                &id,
                &RequestQuery {
                    limit: Some(5),
                    before: before.clone(),
                    ..Default::default()
                },
            )
            .unwrap();
            seen.extend(page.requests.iter().map(|r| r.id.clone()));
            match page.next_before {
                Some(n) => before = Some(n),
                None => break,
            }
        }
        assert_eq!(seen.len(), 14, "{}", db.name);
        let all = q(|q| q.limit = Some(100));
        assert_eq!(
            seen,
            all.requests
                .iter()
                .map(|r| r.id.clone())
                .collect::<Vec<_>>()
        );
        let future = q(|q| q.since = Some("2999-01-01".into()));
        assert!(future.requests.is_empty(), "{}", db.name);
        assert_eq!(
            q(|q| q.until = Some("2999-01-01".into())).requests.len(),
            14
        );

        // Retention: the last 4 requests; the latest payload (the 422's body) is among them.
        let patch = service::connections::ConnectionPatch {
            retention: RetentionPatch {
                keep_requests: Some(4),
                ..Default::default()
            },
            ..Default::default()
        };
        let v = service::connections::update(&s, &id, patch).unwrap();
        assert_eq!(v.retention.keep_requests, Some(4), "{}", db.name);
        assert_eq!(q(|q| q.limit = Some(100)).requests.len(), 4, "{}", db.name);
        // Bodies up to 60 bytes in all, pruned after each request as the writer does: the two
        // newest 27-byte bodies stay.
        let patch = service::connections::ConnectionPatch {
            retention: RetentionPatch {
                keep_requests: Some(0),
                keep_bytes: Some(60),
                ..Default::default()
            },
            ..Default::default()
        };
        service::connections::update(&s, &id, patch).unwrap();
        let post_pruned = |body: &str| {
            post(s.store(), &id, body);
            s.store()
                .write(|tx| requests::prune(tx, &id, requests::DEFAULT_KEEP))
                .unwrap();
        };
        for i in 0..3 {
            post_pruned(&format!(r#"{{"id": {i}, "name": "Globex"}}"#));
        }
        let kept = q(|q| q.limit = Some(100)).requests;
        assert_eq!(
            kept.iter().map(|r| r.size).collect::<Vec<_>>(),
            [27, 27],
            "{}",
            db.name
        );
        // A body over the limit on its own is still kept while it is the latest payload.
        let big = format!(r#"{{"id": 99, "name": "{}"}}"#, "x".repeat(60));
        post_pruned(&big);
        let kept = q(|q| q.limit = Some(100)).requests;
        assert_eq!(kept.len(), 1, "{}: {kept:?}", db.name);
        assert_eq!(kept[0].size, big.len(), "{}", db.name);
    });
}

/// A request as the listener hands it to the writer: with its drift check and, when signed by
/// Standard Webhooks, its message id.
fn post_guarded(
    store: &Store,
    connection_id: &str,
    body: &str,
    webhook_id: Option<&str>,
) -> ingest::Answer {
    store
        .write(|tx| {
            let conn = connections::get(tx, connection_id)?.unwrap();
            let mapping = mappings::get(tx, connection_id)?;
            let runnable = ingest::runnable(&conn, mapping.as_ref());
            let guard = ingest::Guard {
                webhook_id: webhook_id.map(str::to_string),
                check_drift: true,
                ..Default::default()
            };
            let job =
                ingest::prepare_guarded(|| runnable, incoming(connection_id, body), Some(guard));
            ingest::process_alone(tx, &job)
        })
        .unwrap()
}

#[test]
fn signature_settings_drift_and_redeliveries_behave_alike() {
    use service::trust::{acknowledge_drift, TrustPatch};
    each_store(|db| {
        let s = Services::with_store(db.open());
        let id = connection(
            &s,
            Kind::Events,
            json!({"version": 1, "kind": "events", "event": {"type": {"path": "event"}, "account_id": "account"}}),
        );
        let accounts = connection(
            &s,
            Kind::Accounts,
            json!({"version": 1, "kind": "accounts", "match": {"id": "id"}}),
        );
        assert_eq!(post(s.store(), &accounts, r#"{"id": "a1"}"#).status, 200);

        let v0 = s.store().config_version().unwrap();
        let patch = |t: TrustPatch| service::connections::ConnectionPatch {
            trust: t,
            ..Default::default()
        };
        let shown = service::connections::update(
            &s,
            &id,
            patch(TrustPatch {
                verify: Some("standard-webhooks".into()),
                on_drift: Some("warn".into()),
                ..Default::default()
            }),
        )
        .unwrap();
        let sig = shown.trust.signature.expect("a signature");
        assert!(sig.secret.starts_with("whsec_"), "{}", db.name);
        assert!(s.store().config_version().unwrap() > v0, "{}", db.name);

        // Redelivery: the same message id is written once.
        let body = r#"{"event": "Signed Up", "account": "a1", "plan": "pro"}"#;
        let first = post_guarded(s.store(), &id, body, Some("msg_1"));
        assert_eq!(first.status, 200, "{}: {}", db.name, first.body);
        let again = post_guarded(s.store(), &id, body, Some("msg_1"));
        assert_eq!(
            again.body["redelivery_of"], first.body["request_id"],
            "{}",
            db.name
        );
        let events = |s: &Services| {
            service::records::events(
                s,
                &RecordFilter {
                    limit: Some(100),
                    ..Default::default()
                },
            )
            .unwrap()
            .len()
        };
        assert_eq!(events(&s), 1, "{}", db.name);

        // Drift: `plan` renamed; counted per request, cleared by acknowledging.
        let renamed = r#"{"event": "Signed Up", "account": "a1", "tier": "pro"}"#;
        for _ in 0..2 {
            let r = post_guarded(s.store(), &id, renamed, None);
            assert_eq!(r.status, 200, "{}: {}", db.name, r.body);
            assert_eq!(
                r.body["warnings"].as_array().map(Vec::len),
                Some(2),
                "{}",
                db.name
            );
        }
        let drift = service::connections::show(&s, &id).unwrap().trust.drift;
        let got: Vec<(&str, &str, u64)> = drift
            .iter()
            .map(|d| (d.kind.as_str(), d.field.as_str(), d.requests))
            .collect();
        assert_eq!(
            got,
            [("field_added", "tier", 2), ("field_removed", "plan", 2)],
            "{}",
            db.name
        );
        let v1 = s.store().config_version().unwrap();
        assert!(acknowledge_drift(&s, &id).unwrap().trust.drift.is_empty());
        assert!(s.store().config_version().unwrap() > v1, "{}", db.name);
        let r = post_guarded(s.store(), &id, renamed, None);
        assert!(r.body.get("warnings").is_none(), "{}: {}", db.name, r.body);
    });
}

#[test]
fn a_list_longer_than_a_page_is_read_whole_in_order() {
    each_store(|db| {
        let store = db.open();
        let none = serde_json::Map::new();
        store
            .write(|tx| {
                for i in 0..2_345 {
                    accounts::insert(tx, Some(&format!("a{i}")), None, &none, None, "t")?;
                }
                Ok::<_, crate::store::StoreError>(())
            })
            .unwrap();
        let listed = |limit: usize| {
            let f = RecordFilter {
                limit: Some(limit),
                ..Default::default()
            };
            store.read(|tx| accounts::list(tx, &f)).unwrap()
        };
        let all = listed(100_000);
        assert_eq!(all.len(), 2_345, "{}", db.name);
        assert!(all.windows(2).all(|w| w[0].id > w[1].id), "{}", db.name);
        let some = listed(1_500);
        assert_eq!(some.len(), 1_500, "{}", db.name);
        assert_eq!(some[..], all[..1_500], "{}", db.name);
    });
}

/// Many callers at once share a bounded set of sessions instead of opening one each (once a
/// session per request under load, past `max_connections` with three receivers).
#[test]
fn concurrent_readers_share_at_most_the_pools_sessions() {
    let Ok(url) = std::env::var("INLET_TEST_POSTGRES_URL") else {
        eprintln!("note: INLET_TEST_POSTGRES_URL is not set; skipping");
        return;
    };
    let db = postgres_db(&url);
    let store = Arc::new(db.open());
    let url = db.db.to_string_lossy().to_string();
    let done = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let monitor = {
        let done = done.clone();
        std::thread::spawn(move || {
            let mut c = postgres::Client::connect(&url, postgres::NoTls).unwrap();
            let mut most = 0i64;
            while !done.load(std::sync::atomic::Ordering::Relaxed) {
                let n: i64 = c
                    .query_one(
                        "SELECT count(*) FROM pg_stat_activity
                         WHERE datname = current_database() AND application_name = 'inlet'",
                        &[],
                    )
                    .unwrap()
                    .get(0);
                most = most.max(n);
                std::thread::sleep(std::time::Duration::from_millis(2));
            }
            most
        })
    };
    let readers: Vec<_> = (0..48)
        .map(|_| {
            let store = store.clone();
            std::thread::spawn(move || {
                for _ in 0..40 {
                    store.config_version().unwrap();
                }
            })
        })
        .collect();
    for r in readers {
        r.join().unwrap();
    }
    done.store(true, std::sync::atomic::Ordering::Relaxed);
    let most = monitor.join().unwrap();
    // Sessions ever opened to this database (the monitor's own included), from the statistics
    // PostgreSQL flushes when a session ends: close the pool's first.
    drop(store);
    let mut c = postgres::Client::connect(&db.db.to_string_lossy(), postgres::NoTls).unwrap();
    let opened = (0..50)
        .map(|_| {
            std::thread::sleep(std::time::Duration::from_millis(100));
            c.query_one(
                "SELECT pg_stat_clear_snapshot(), sessions FROM pg_stat_database
                 WHERE datname = current_database()",
                &[],
            )
            .unwrap()
            .get::<_, i64>(1)
        })
        .find(|&n| n > 1)
        .unwrap_or(0);
    assert!(
        (1..=super::pg::POOL_SESSIONS as i64).contains(&most),
        "{most} sessions were open at once"
    );
    // The pool's sessions, the monitor's and this one: no session per read.
    assert!(
        opened <= super::pg::POOL_SESSIONS as i64 + 2,
        "{opened} sessions were opened for 1,920 reads"
    );
}

/// A listener row as another machine's `inlet serve` writes it.
fn listener_on(host: &str, n: u32) -> service::settings::ListenerRecord {
    service::settings::ListenerRecord {
        pid: 1000 + n,
        listen: format!("10.0.0.{n}:8750"),
        process: "serve".into(),
        instance: format!("{host}-{n}"),
        started_at: crate::store::now(),
        tunnel: None,
        host: host.into(),
        heartbeat_at: String::new(),
    }
}

#[test]
fn listeners_starting_together_on_several_hosts_each_keep_their_row() {
    each_store(|db| {
        let s = Arc::new(Services::with_store(db.open()));
        // Sixteen starts at once, each on its own connection: one row each, none lost.
        std::thread::scope(|scope| {
            for n in 0..16 {
                let s = s.clone();
                scope.spawn(move || {
                    let host = format!("host-{}", n % 4);
                    service::settings::record_listener(&s, &listener_on(&host, n)).unwrap();
                });
            }
        });
        let live = service::settings::listeners(&s).unwrap();
        let mut got: Vec<_> = live.iter().map(|l| l.instance.clone()).collect();
        got.sort();
        let mut want: Vec<_> = (0..16).map(|n| format!("host-{}-{n}", n % 4)).collect();
        want.sort();
        assert_eq!(got, want, "{}", db.name);
        // Pids of other hosts are not this machine's: they are judged by heartbeat, not pid.
        assert!(
            live.iter().all(|l| !l.heartbeat_at.is_empty()),
            "{}",
            db.name
        );

        // One stops cleanly, the others stay.
        service::settings::forget_listener(&s, "host-1-5").unwrap();
        assert_eq!(
            service::settings::listeners(&s).unwrap().len(),
            15,
            "{}",
            db.name
        );
    });
}

#[test]
fn a_listener_whose_heartbeat_is_stale_is_not_shown_and_its_row_goes() {
    use crate::store::queries::listeners as lq;
    each_store(|db| {
        let s = Services::with_store(db.open());
        let fresh = listener_on("far-away", 1);
        let old = listener_on("far-away", 2);
        service::settings::record_listener(&s, &fresh).unwrap();
        service::settings::record_listener(&s, &old).unwrap();
        // Its last heartbeat long ago: killed with `kill -9` on its machine.
        s.store()
            .write(|tx| lq::heartbeat(tx, &old.instance, "2000-01-01T00:00:00.000Z"))
            .unwrap();
        let live = service::settings::listeners(&s).unwrap();
        assert_eq!(
            live.iter().map(|l| l.instance.as_str()).collect::<Vec<_>>(),
            [fresh.instance.as_str()],
            "{}",
            db.name
        );
        let rows = s.store().read(lq::list).unwrap();
        assert_eq!(
            rows.len(),
            1,
            "{}: the reader removed the stale row",
            db.name
        );
        // The settings and the webhook URLs read the same rows.
        let got = service::settings::get(&s).unwrap();
        assert_eq!(got.listeners.len(), 1, "{}", db.name);

        // A removal judged on an old heartbeat leaves a row that beat since.
        s.store()
            .write(|tx| lq::delete_stale(tx, &fresh.instance, "2000-01-01T00:00:00.000Z"))
            .unwrap();
        assert_eq!(s.store().read(lq::list).unwrap().len(), 1, "{}", db.name);

        // A listener whose row was removed while it could not beat writes it whole again.
        service::settings::heartbeat_listener(&s, &old).unwrap();
        let live = service::settings::listeners(&s).unwrap();
        assert_eq!(live.len(), 2, "{}", db.name);
        let back = live.iter().find(|l| l.instance == old.instance).unwrap();
        assert_eq!(
            (back.listen.as_str(), back.host.as_str()),
            ("10.0.0.2:8750", "far-away")
        );
    });
}

#[test]
fn on_this_host_a_listener_whose_process_is_gone_goes_at_once() {
    each_store(|db| {
        let s = Services::with_store(db.open());
        let mut dead = std::process::Command::new("true").spawn().unwrap();
        let pid = dead.id();
        dead.wait().unwrap();
        let mut r = listener_on(service::settings::host_name(), 3);
        r.pid = pid;
        // A fresh heartbeat does not keep it: on this host the process itself is the test.
        service::settings::record_listener(&s, &r).unwrap();
        assert!(
            service::settings::listeners(&s).unwrap().is_empty(),
            "{}",
            db.name
        );
        let rows = s
            .store()
            .read(crate::store::queries::listeners::list)
            .unwrap();
        assert!(rows.is_empty(), "{}", db.name);

        // A live pid whose heartbeat stopped (the pid given to another process since, say) does
        // not keep the record either.
        let mut reused = listener_on(service::settings::host_name(), 4);
        reused.pid = std::process::id();
        service::settings::record_listener(&s, &reused).unwrap();
        assert_eq!(
            service::settings::listeners(&s).unwrap().len(),
            1,
            "{}",
            db.name
        );
        s.store()
            .write(|tx| {
                crate::store::queries::listeners::heartbeat(
                    tx,
                    &reused.instance,
                    "2000-01-01T00:00:00.000Z",
                )
            })
            .unwrap();
        assert!(
            service::settings::listeners(&s).unwrap().is_empty(),
            "{}",
            db.name
        );
    });
}
