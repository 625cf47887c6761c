//! Every row of the table of checks in docs/http.md, in its order, against the real listener.

mod common;

use common::*;
use inlet_core::Kind;
use inlet_desktop::service::payloads;
use reqwest::Method;
use serde_json::json;
use std::io::{Read, Write};
use std::time::Duration;

#[tokio::test]
async fn head_and_get_answer_200_without_authorization_and_reveal_nothing() {
    let s = Server::start().await;
    let c = s.connection(Kind::Accounts, Some(accounts_mapping()));
    let head = s.send(Method::HEAD, &c.url, None, None, vec![]).await;
    assert_eq!(
        (head.status, head.body.clone()),
        (200, serde_json::Value::Null)
    );
    let get = s.send(Method::GET, &c.url, None, None, vec![]).await;
    assert_eq!((get.status, get.body), (200, json!({"ok": true})));
    assert!(s.log(&c).is_empty(), "probes are not logged");
}

#[tokio::test]
async fn an_unknown_connection_is_404_for_every_method_even_with_a_bad_body() {
    let s = Server::start().await;
    let known = s.connection(Kind::Accounts, None);
    let urls = [
        format!("{}/hooks/00000000-0000-4000-8000-000000000000", s.base),
        format!("{}/hooks/not-a-uuid", s.base),
        format!("{}/hooks/{}/extra", s.base, known.id),
        format!("{}/elsewhere", s.base),
    ];
    for url in &urls {
        for m in [
            Method::GET,
            Method::HEAD,
            Method::POST,
            Method::PUT,
            Method::DELETE,
            Method::PATCH,
        ] {
            let r = s
                .send(
                    m.clone(),
                    url,
                    Some("Bearer nope"),
                    Some("text/csv"),
                    vec![b'x'; 64],
                )
                .await;
            assert_eq!(r.status, 404, "{m} {url}");
            if m != Method::HEAD {
                assert_eq!(r.body["error"]["code"], "not_found");
            }
        }
    }
}

#[tokio::test]
async fn other_methods_on_a_known_connection_are_405() {
    let s = Server::start().await;
    let c = s.connection(Kind::Accounts, None);
    assert_eq!(
        s.send(Method::PUT, &c.url, Some(&c.auth), None, vec![])
            .await
            .status,
        405
    );
}

#[tokio::test]
async fn a_wrong_or_missing_authorization_is_401_and_is_not_logged() {
    let s = Server::start().await;
    let c = s.connection(Kind::Accounts, Some(accounts_mapping()));
    let body = br#"{"id": 1}"#.to_vec();
    let missing = s
        .send(
            Method::POST,
            &c.url,
            None,
            Some("application/json"),
            body.clone(),
        )
        .await;
    let wrong = s
        .send(
            Method::POST,
            &c.url,
            Some("Bearer inl_wrong"),
            Some("application/json"),
            body.clone(),
        )
        .await;
    let prefix = s
        .send(
            Method::POST,
            &c.url,
            Some(&c.auth[..c.auth.len() - 1]),
            Some("application/json"),
            body,
        )
        .await;
    for r in [&missing, &wrong, &prefix] {
        assert_eq!(r.status, 401);
        assert_eq!(r.body["error"]["code"], "unauthorized");
        assert!(r.body["request_id"].is_string());
    }
    assert!(s.log(&c).is_empty());
    assert!(blocking(|| payloads::latest(&s.services, &c.id)
        .unwrap()
        .is_none()));
    assert!(s.accounts().is_empty());
}

#[tokio::test]
async fn authorization_is_not_needed_when_not_enforced() {
    let s = Server::start().await;
    let c = s.connection(Kind::Accounts, Some(accounts_mapping()));
    let patch = inlet_desktop::service::connections::ConnectionPatch {
        enforce_auth: Some(false),
        ..Default::default()
    };
    blocking(|| inlet_desktop::service::connections::update(&s.services, &c.id, patch).unwrap());
    let r = s
        .send(
            Method::POST,
            &c.url,
            None,
            Some("application/json"),
            br#"{"id": 1}"#.to_vec(),
        )
        .await;
    assert_eq!(
        r.status, 200,
        "the next request sees the change: {:?}",
        r.body
    );
}

#[tokio::test]
async fn checks_run_in_order_auth_before_size_before_content_type() {
    let s = Server::start_with(|c| c.body_limit = 1024, None).await;
    let c = s.connection(Kind::Accounts, Some(accounts_mapping()));
    let big = vec![b'x'; 4096];
    assert_eq!(
        s.send(
            Method::POST,
            &c.url,
            Some("Bearer no"),
            Some("text/csv"),
            big.clone()
        )
        .await
        .status,
        401
    );
    let too_big = s
        .send(Method::POST, &c.url, Some(&c.auth), Some("text/csv"), big)
        .await;
    assert_eq!(
        (too_big.status, too_big.body["error"]["code"].as_str()),
        (413, Some("body_too_large"))
    );
    let csv = s
        .send(
            Method::POST,
            &c.url,
            Some(&c.auth),
            Some("text/csv"),
            b"{not json".to_vec(),
        )
        .await;
    assert_eq!(
        (csv.status, csv.body["error"]["code"].as_str()),
        (415, Some("unsupported_content_type"))
    );
    assert!(s.log(&c).is_empty(), "401, 413 and 415 are not logged");
}

#[tokio::test]
async fn a_body_over_the_default_10_mib_limit_is_413() {
    let s = Server::start().await;
    let c = s.connection(Kind::Accounts, Some(accounts_mapping()));
    let body = vec![b' '; 10 * 1024 * 1024 + 1];
    let r = s.post_raw(&c, Some("application/json"), &body).await;
    assert_eq!(r.status, 413);
    let r = s
        .post_raw(&c, Some("application/json"), &vec![b' '; 10 * 1024 * 1024])
        .await;
    assert_eq!(
        r.status, 200,
        "exactly the limit is a (blank) connection test"
    );
}

#[tokio::test]
async fn a_chunked_body_without_a_length_is_cut_at_the_limit() {
    let s = Server::start_with(|c| c.body_limit = 1000, None).await;
    let c = s.connection(Kind::Accounts, Some(accounts_mapping()));
    let addr = s.base.trim_start_matches("http://").to_string();
    let status = tokio::task::spawn_blocking(move || {
        let mut tcp = std::net::TcpStream::connect(addr).unwrap();
        tcp.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
        let path = c.url.split_once("/hooks/").map(|(_, id)| format!("/hooks/{id}")).unwrap();
        let head = format!(
            "POST {path} HTTP/1.1\r\nHost: x\r\nAuthorization: {}\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n",
            c.auth
        );
        tcp.write_all(head.as_bytes()).unwrap();
        for _ in 0..4 {
            let chunk = vec![b' '; 400];
            let _ = tcp.write_all(format!("{:x}\r\n", chunk.len()).as_bytes());
            let _ = tcp.write_all(&chunk);
            let _ = tcp.write_all(b"\r\n");
        }
        let _ = tcp.write_all(b"0\r\n\r\n");
        let mut out = String::new();
        let _ = tcp.read_to_string(&mut out);
        out
    })
    .await
    .unwrap();
    assert!(status.starts_with("HTTP/1.1 413"), "{status}");
}

#[tokio::test]
async fn more_than_10000_rows_is_413_and_nothing_is_written() {
    let s = Server::start().await;
    let c = s.connection(Kind::Accounts, Some(accounts_mapping()));
    let rows: Vec<_> = (0..10_001).map(|i| json!({"id": i})).collect();
    let r = s.post(&c, &json!(rows)).await;
    assert_eq!(
        (r.status, r.body["error"]["code"].as_str()),
        (413, Some("too_many_rows"))
    );
    assert!(s.accounts().is_empty());
    let rows: Vec<_> = (0..10_000).map(|i| json!({"id": i})).collect();
    assert_eq!(s.post(&c, &json!(rows)).await.status, 200);
    assert_eq!(s.accounts().len(), 10_000);
}

#[tokio::test]
async fn malformed_json_is_400_and_becomes_the_latest_payload_with_its_error() {
    let s = Server::start().await;
    let c = s.connection(Kind::Accounts, Some(accounts_mapping()));
    let r = s.post_raw(&c, Some("application/json"), b"{\"id\": ").await;
    assert_eq!(
        (r.status, r.body["error"]["code"].as_str()),
        (400, Some("invalid_json"))
    );
    let latest = blocking(|| payloads::latest(&s.services, &c.id).unwrap().unwrap());
    assert_eq!(latest.body, "{\"id\": ");
    assert_eq!(latest.status, 400);
    assert_eq!(latest.error.unwrap().code, "invalid_json");
    assert_eq!(latest.request_id, r.body["request_id"].as_str().unwrap());
}

#[tokio::test]
async fn a_disabled_or_unmapped_connection_answers_202_and_keeps_the_payload() {
    let s = Server::start().await;
    let unmapped = s.connection(Kind::Accounts, None);
    let r = s.post(&unmapped, &json!({"id": 1})).await;
    assert_eq!((r.status, r.body["written"].clone()), (202, json!(false)));
    assert!(r.body["reason"].as_str().unwrap().contains("disabled"));
    assert_eq!(
        blocking(|| payloads::latest(&s.services, &unmapped.id)
            .unwrap()
            .unwrap())
        .json,
        Some(json!({"id": 1}))
    );

    let enabled_unmapped = s.connection(Kind::Accounts, None);
    let patch = inlet_desktop::service::connections::ConnectionPatch {
        enabled: Some(true),
        ..Default::default()
    };
    blocking(|| {
        inlet_desktop::service::connections::update(&s.services, &enabled_unmapped.id, patch)
            .unwrap()
    });
    let r = s.post(&enabled_unmapped, &json!({"id": 2})).await;
    assert_eq!(r.status, 202);
    assert!(r.body["reason"].as_str().unwrap().contains("mapping"));
    assert!(s.accounts().is_empty());
    assert_eq!(s.log(&unmapped).len(), 1);
}

#[tokio::test]
async fn an_empty_body_or_empty_json_is_a_connection_test_that_writes_nothing() {
    let s = Server::start().await;
    let c = s.connection(Kind::Accounts, Some(accounts_mapping()));
    for body in [&b""[..], b"{}", b"[]", b"  \n"] {
        let r = s.post_raw(&c, Some("application/json"), body).await;
        assert_eq!(
            (r.status, r.body["connection_test"].clone()),
            (200, json!(true))
        );
    }
    let r = s.post_raw(&c, None, b"").await;
    assert_eq!(r.status, 200);
    assert!(s.accounts().is_empty());
    assert!(
        blocking(|| payloads::latest(&s.services, &c.id).unwrap().is_none()),
        "a test is no payload"
    );
}

#[tokio::test]
async fn any_row_error_is_422_listing_every_row_error_and_nothing_is_written() {
    let s = Server::start().await;
    let c = s.connection(Kind::Accounts, Some(accounts_mapping()));
    let body = json!([{"id": 1, "name": "ok"}, {"id": true}, {"name": "  "}, 7, {"id": 2}]);
    let r = s.post(&c, &body).await;
    assert_eq!(r.status, 422);
    assert_eq!(r.body["ok"], false);
    let rows = r.body["rows"].as_array().unwrap();
    let idx: Vec<u64> = rows.iter().map(|r| r["index"].as_u64().unwrap()).collect();
    assert_eq!(idx, [1, 2, 3]);
    assert_eq!(rows[0]["path"], "id");
    assert!(rows.iter().all(|r| r["error"].is_string()));
    assert!(s.accounts().is_empty(), "nothing of the batch is written");
    assert_eq!(s.log(&c)[0].status, 422);
}

#[tokio::test]
async fn a_missing_wrapper_path_is_422_naming_the_path() {
    let s = Server::start().await;
    let m =
        json!({"version": 1, "kind": "accounts", "wrapper_path": "data", "match": {"id": "id"}});
    let c = s.connection(Kind::Accounts, Some(m));
    let r = s.post(&c, &json!({"rows": [{"id": 1}]})).await;
    assert_eq!(r.status, 422);
    assert!(r.body["error"]["detail"].as_str().unwrap().contains("data"));
    let empty = s.post(&c, &json!({"data": []})).await;
    assert_eq!((empty.status, empty.body["rows"].clone()), (200, json!(0)));
}

#[tokio::test]
async fn a_written_request_answers_200_with_counts_after_commit() {
    let s = Server::start().await;
    let c = s.connection(Kind::Accounts, Some(accounts_mapping()));
    let r = s.post(&c, &json!([{"id": 1}, {"id": 2}])).await;
    assert_eq!(r.status, 200);
    assert_eq!(r.body["ok"], true);
    for k in [
        "rows",
        "created",
        "updated",
        "deleted",
        "skipped",
        "duplicates",
    ] {
        assert!(r.body[k].is_u64(), "{k}");
    }
    assert_eq!(
        (r.body["rows"].as_u64(), r.body["created"].as_u64()),
        (Some(2), Some(2))
    );
    // Another connection to the same file sees the rows: they were committed before the answer.
    let other = OffRuntime::new(blocking(|| {
        inlet_desktop::Services::open(&s.db_path()).unwrap()
    }));
    let n = blocking(|| {
        inlet_desktop::service::records::accounts(&other, &Default::default())
            .unwrap()
            .len()
    });
    assert_eq!(n, 2);
}

#[tokio::test]
async fn a_full_queue_answers_429_with_retry_after() {
    if not_sqlite("a_full_queue_answers_429_with_retry_after") {
        return;
    }
    let s = Server::start_with(|c| c.writer.queue = 1, None).await;
    let c = s.connection(Kind::Accounts, Some(accounts_mapping()));
    // Another process's write transaction holds the file: the writer waits on it.
    let blocker = rusqlite::Connection::open(s.db_path()).unwrap();
    blocker.execute_batch("BEGIN IMMEDIATE").unwrap();
    let s = std::sync::Arc::new(s);
    let (s1, s2) = (s.clone(), s.clone());
    let (c1, c2) = (Conn { ..clone_conn(&c) }, clone_conn(&c));
    let first = tokio::spawn(async move { s1.post(&c1, &json!({"id": 1})).await.status });
    tokio::time::sleep(Duration::from_millis(300)).await;
    let second = tokio::spawn(async move { s2.post(&c2, &json!({"id": 2})).await.status });
    tokio::time::sleep(Duration::from_millis(300)).await;
    let third = s.post(&c, &json!({"id": 3})).await;
    assert_eq!(third.status, 429);
    assert_eq!(third.retry_after.as_deref(), Some("1"));
    assert_eq!(third.body["error"]["code"], "overloaded");
    blocker.execute_batch("ROLLBACK").unwrap();
    assert_eq!((first.await.unwrap(), second.await.unwrap()), (200, 200));
    assert_eq!(s.accounts().len(), 2);
}

#[tokio::test]
async fn an_unavailable_store_answers_503_with_retry_after_and_writes_nothing() {
    if not_sqlite("an_unavailable_store_answers_503_with_retry_after_and_writes_nothing") {
        return;
    }
    let s = Server::start_with(|_| {}, Some(Duration::from_millis(200))).await;
    let c = s.connection(Kind::Accounts, Some(accounts_mapping()));
    let blocker = rusqlite::Connection::open(s.db_path()).unwrap();
    blocker.execute_batch("BEGIN IMMEDIATE").unwrap();
    let r = s.post(&c, &json!({"id": 1})).await;
    assert_eq!(r.status, 503);
    assert_eq!(r.retry_after.as_deref(), Some("1"));
    assert_eq!(r.body["error"]["code"], "store_unavailable");
    assert!(
        !r.body.to_string().to_lowercase().contains("sqlite"),
        "no internals: {}",
        r.body
    );
    blocker.execute_batch("ROLLBACK").unwrap();
    assert!(s.accounts().is_empty());
    assert_eq!(
        s.post(&c, &json!({"id": 1})).await.status,
        200,
        "it recovers once the file is free"
    );
}

#[tokio::test]
async fn a_connection_changed_by_another_process_takes_effect_on_the_next_request() {
    let s = Server::start().await;
    let c = s.connection(Kind::Accounts, Some(accounts_mapping()));
    assert_eq!(s.post(&c, &json!({"id": 1})).await.status, 200);
    let other = OffRuntime::new(blocking(|| {
        inlet_desktop::Services::open(&s.db_path()).unwrap()
    }));
    let patch = inlet_desktop::service::connections::ConnectionPatch {
        enabled: Some(false),
        ..Default::default()
    };
    blocking(|| inlet_desktop::service::connections::update(&other, &c.id, patch).unwrap());
    assert_eq!(s.post(&c, &json!({"id": 2})).await.status, 202);
    let rotated =
        blocking(|| inlet_desktop::service::connections::rotate_auth(&other, &c.id).unwrap());
    assert_eq!(
        s.post(&c, &json!({"id": 3})).await.status,
        401,
        "the old secret stops working at once"
    );
    let fresh = Conn {
        auth: rotated.authorization,
        ..clone_conn(&c)
    };
    assert_eq!(s.post(&fresh, &json!({"id": 3})).await.status, 202);
}

#[tokio::test]
async fn the_request_log_redacts_authorization_and_keeps_body_query_and_outcomes() {
    let s = Server::start().await;
    let c = s.connection(Kind::Accounts, Some(accounts_mapping()));
    let url = format!("{}?source=hightouch", c.url);
    let r = s
        .send(
            Method::POST,
            &url,
            Some(&c.auth),
            Some("application/json"),
            br#"[{"id": 1}]"#.to_vec(),
        )
        .await;
    let d = blocking(|| {
        inlet_desktop::service::requests::show(&s.services, r.body["request_id"].as_str().unwrap())
            .unwrap()
    });
    assert_eq!(d.headers["authorization"], "[redacted]");
    assert!(!serde_json::to_string(&d)
        .unwrap()
        .contains(&c.auth["Bearer ".len()..]));
    assert_eq!(d.query.as_deref(), Some("source=hightouch"));
    assert_eq!(d.body, r#"[{"id": 1}]"#);
    assert_eq!(d.outcomes.unwrap()[0]["action"], "create");
    assert_eq!(d.request.status, 200);
}

#[tokio::test]
async fn the_log_is_bounded_per_connection_but_keeps_the_latest_payload() {
    let s = Server::start_with(|c| c.writer.keep_requests = 5, None).await;
    let c = s.connection(Kind::Accounts, Some(accounts_mapping()));
    let payload = s.post(&c, &json!({"id": 1})).await;
    for _ in 0..8 {
        assert_eq!(s.post_raw(&c, None, b"").await.status, 200);
    }
    let log = s.log(&c);
    assert_eq!(log.len(), 6, "five newest and the latest payload");
    assert_eq!(
        log.last().unwrap().id,
        payload.body["request_id"].as_str().unwrap()
    );
}

#[tokio::test]
async fn activity_is_broadcast_after_each_logged_request() {
    let s = Server::start().await;
    let mut rx = s.services.subscribe();
    let c = s.connection(Kind::Accounts, Some(accounts_mapping()));
    let r = s.post(&c, &json!({"id": 1})).await;
    let a = tokio::time::timeout(Duration::from_secs(5), rx.recv())
        .await
        .unwrap()
        .unwrap();
    assert_eq!((a.connection_id.as_str(), a.status), (c.id.as_str(), 200));
    assert_eq!(
        a.request_id.as_str(),
        r.body["request_id"].as_str().unwrap()
    );
}

#[tokio::test]
async fn no_input_makes_the_listener_fail() {
    let s = Server::start().await;
    let c = s.connection(Kind::Contacts, Some(json!({"version": 1, "kind": "contacts", "match": {"email": "e"}, "account": {"id": "a"}})));
    let bodies: Vec<Vec<u8>> = vec![
        vec![0xff, 0xfe, 0x00],
        b"\"just a string\"".to_vec(),
        b"12345".to_vec(),
        b"null".to_vec(),
        b"[[[[[[[[[[]]]]]]]]]]".to_vec(),
        "[".repeat(100_000).into_bytes(),
        br#"{"e": {"deep": [1, {"x": null}]}, "a": []}"#.to_vec(),
        br#"[{"e": "\u0000"}, {"e": 1e400}]"#.to_vec(),
    ];
    for b in bodies {
        for ct in ["application/json", "application/x-www-form-urlencoded"] {
            let r = s.post_raw(&c, Some(ct), &b).await;
            assert!(
                matches!(r.status, 200 | 400 | 413 | 422),
                "{} for {:?}",
                r.status,
                String::from_utf8_lossy(&b[..b.len().min(40)])
            );
        }
    }
    assert_eq!(
        s.send(Method::GET, &c.url, None, None, vec![]).await.status,
        200,
        "still serving"
    );
}

fn clone_conn(c: &Conn) -> Conn {
    Conn {
        id: c.id.clone(),
        auth: c.auth.clone(),
        url: c.url.clone(),
    }
}
