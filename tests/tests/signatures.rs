//! Signed webhooks (docs/design.md §12), black-box: requests signed by the senders' own code (the
//! `standardwebhooks` package, `@octokit/webhooks-methods`, and Segment's and Shopify's documented
//! HMACs through Node's crypto; `ui/scripts/sign-webhook.mjs`) against the real listener.

mod common;

use common::*;
use inlet_core::Kind;
use inlet_desktop::service::{connections, trust::TrustPatch};
use reqwest::Method;
use serde_json::{json, Value};
use std::path::Path;

/// Headers for `req` from the senders' libraries.
fn sign(req: Value) -> Vec<(String, String)> {
    use std::io::Write;
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../ui/scripts/sign-webhook.mjs");
    let mut child = std::process::Command::new("node")
        .arg(&script)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("node runs (make setup installs ui/node_modules)");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(req.to_string().as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "signing failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    v.as_object()
        .unwrap()
        .iter()
        .map(|(k, v)| (k.clone(), v.as_str().unwrap().to_string()))
        .collect()
}

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

/// Requires `scheme` on connection `c` and returns the signing secret Inlet generated or took.
fn require(s: &Server, c: &Conn, patch: TrustPatch) -> String {
    let v = blocking(|| {
        connections::update(
            &s.services,
            &c.id,
            connections::ConnectionPatch {
                trust: patch,
                ..Default::default()
            },
        )
        .unwrap()
    });
    v.trust.signature.expect("a signature is required").secret
}

fn scheme(name: &str) -> TrustPatch {
    TrustPatch {
        verify: Some(name.into()),
        ..Default::default()
    }
}

async fn post_signed(
    s: &Server,
    c: &Conn,
    ctype: &str,
    body: &[u8],
    headers: &[(String, String)],
) -> Reply {
    let mut req = s
        .client
        .request(Method::POST, &c.url)
        .header("authorization", &c.auth)
        .header("content-type", ctype)
        .body(body.to_vec());
    for (k, v) in headers {
        req = req.header(k.as_str(), v.as_str());
    }
    let res = req.send().await.unwrap();
    let status = res.status().as_u16();
    let body = res.json().await.unwrap_or(Value::Null);
    Reply {
        status,
        body,
        retry_after: None,
    }
}

fn events_mapping() -> Value {
    json!({"version": 1, "kind": "events", "event": {"type": {"path": "event"}, "account_id": "account"}})
}

fn accounts() -> Value {
    accounts_mapping()
}

fn code(r: &Reply) -> &str {
    r.body["error"]["code"].as_str().unwrap_or("")
}

/// The database file and its WAL, as bytes: a refused body must be in neither.
fn stored_bytes(s: &Server) -> Vec<u8> {
    if !s.db.is_sqlite() {
        // Everything the request log keeps, as text: bodies, headers, errors and outcomes.
        let url = s.db.arg().to_str().unwrap().to_string();
        return psql_value(
            &url,
            "SELECT coalesce(string_agg(encode(body, 'escape') || headers || coalesce(error, '') \
             || coalesce(outcomes, '') || coalesce(summary, ''), ' '), '') FROM requests",
        )
        .into_bytes();
    }
    let db = s.db_path();
    let mut all = std::fs::read(&db).unwrap();
    if let Ok(wal) = std::fs::read(db.with_extension("db-wal")) {
        all.extend(wal);
    }
    all
}

fn contains(hay: &[u8], needle: &str) -> bool {
    hay.windows(needle.len()).any(|w| w == needle.as_bytes())
}

#[tokio::test]
async fn standard_webhooks_valid_wrong_changed_stale_future_missing_and_several() {
    let s = Server::start().await;
    let c = s.connection(Kind::Accounts, Some(accounts()));
    let secret = require(&s, &c, scheme("standard-webhooks"));
    assert!(secret.starts_with("whsec_"));
    let body = r#"[{"id": 1, "name": "Initech"}]"#;
    let signed = |id: &str, ts: i64, secret: &str, body: &str| {
        sign(
            json!({"scheme": "standard-webhooks", "secret": secret, "body": body, "id": id, "timestamp": ts}),
        )
    };

    let ok = post_signed(
        &s,
        &c,
        "application/json",
        body.as_bytes(),
        &signed("msg_1", now(), &secret, body),
    )
    .await;
    assert_eq!(
        (ok.status, ok.body["created"].as_u64()),
        (200, Some(1)),
        "{}",
        ok.body
    );

    let other = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
    let r = post_signed(
        &s,
        &c,
        "application/json",
        body.as_bytes(),
        &signed("msg_2", now(), other, body),
    )
    .await;
    assert_eq!((r.status, code(&r)), (401, "signature_mismatch"));

    // One byte changed after signing (a re-serialised body would be the same kind of change).
    let changed = body.replace("Initech", "Initecx");
    let r = post_signed(
        &s,
        &c,
        "application/json",
        changed.as_bytes(),
        &signed("msg_3", now(), &secret, body),
    )
    .await;
    assert_eq!((r.status, code(&r)), (401, "signature_mismatch"));
    let spaced = body.replace(": ", ":");
    let r = post_signed(
        &s,
        &c,
        "application/json",
        spaced.as_bytes(),
        &signed("msg_3", now(), &secret, body),
    )
    .await;
    assert_eq!((r.status, code(&r)), (401, "signature_mismatch"));

    for ts in [now() - 6 * 60, now() + 6 * 60] {
        let r = post_signed(
            &s,
            &c,
            "application/json",
            body.as_bytes(),
            &signed("msg_4", ts, &secret, body),
        )
        .await;
        assert_eq!(
            (r.status, code(&r)),
            (401, "timestamp_out_of_tolerance"),
            "{}",
            r.body
        );
        assert!(r.body["error"]["detail"]
            .as_str()
            .unwrap()
            .contains("300 seconds"));
    }
    // Within the tolerance either way is fine.
    let r = post_signed(
        &s,
        &c,
        "application/json",
        body.as_bytes(),
        &signed("msg_5", now() + 4 * 60, &secret, body),
    )
    .await;
    assert_eq!(r.status, 200);

    let full = signed("msg_6", now(), &secret, body);
    for missing in ["webhook-id", "webhook-timestamp", "webhook-signature"] {
        let h: Vec<_> = full.iter().filter(|(k, _)| k != missing).cloned().collect();
        let r = post_signed(&s, &c, "application/json", body.as_bytes(), &h).await;
        assert_eq!(
            (r.status, code(&r)),
            (401, "signature_missing"),
            "without {missing}"
        );
        assert!(r.body["error"]["detail"]
            .as_str()
            .unwrap()
            .contains(missing));
    }

    // Several signatures (a sender rotating its key sends both): one valid is enough.
    let wrong = signed("msg_7", now(), other, body);
    let right = signed("msg_7", now(), &secret, body);
    let sig = |h: &[(String, String)]| {
        h.iter()
            .find(|(k, _)| k == "webhook-signature")
            .unwrap()
            .1
            .clone()
    };
    let both: Vec<_> = right
        .iter()
        .map(|(k, v)| {
            if k == "webhook-signature" {
                (k.clone(), format!("{} {}", sig(&wrong), sig(&right)))
            } else {
                (k.clone(), v.clone())
            }
        })
        .collect();
    let r = post_signed(&s, &c, "application/json", body.as_bytes(), &both).await;
    assert_eq!(r.status, 200, "{}", r.body);
    let only_wrong: Vec<_> = right
        .iter()
        .map(|(k, v)| {
            if k == "webhook-signature" {
                (k.clone(), format!("{} v1,AAAA", sig(&wrong)))
            } else {
                (k.clone(), v.clone())
            }
        })
        .collect();
    let r = post_signed(&s, &c, "application/json", body.as_bytes(), &only_wrong).await;
    assert_eq!((r.status, code(&r)), (401, "signature_mismatch"));

    // The Authorization check still comes first.
    let mut req = s.client.post(&c.url).body(body);
    for (k, v) in &full {
        req = req.header(k.as_str(), v.as_str());
    }
    let res = req.send().await.unwrap();
    assert_eq!(res.status().as_u16(), 401);
    let v: Value = res.json().await.unwrap();
    assert_eq!(v["error"]["code"], "unauthorized");

    // Only the three accepted requests are in the log.
    assert_eq!(s.log(&c).len(), 3);
    assert!(s.log(&c).iter().all(|r| r.status == 200));
}

#[tokio::test]
async fn a_redelivered_webhook_id_is_answered_200_without_writing_twice() {
    let s = Server::start().await;
    let c = s.connection(Kind::Events, Some(events_mapping()));
    let secret = require(&s, &c, scheme("standard-webhooks"));
    // An account for the events to point at.
    let a = s.connection(Kind::Accounts, Some(accounts()));
    assert_eq!(
        s.post(&a, &json!({"id": "acme", "name": "Acme"}))
            .await
            .status,
        200
    );

    let body = r#"{"event": "Signed Up", "account": "acme"}"#;
    let h = sign(
        json!({"scheme": "standard-webhooks", "secret": secret, "body": body, "id": "msg_once", "timestamp": now()}),
    );
    let first = post_signed(&s, &c, "application/json", body.as_bytes(), &h).await;
    assert_eq!(
        (first.status, first.body["created"].as_u64()),
        (200, Some(1))
    );
    let again = post_signed(&s, &c, "application/json", body.as_bytes(), &h).await;
    assert_eq!(again.status, 200, "{}", again.body);
    assert_eq!(again.body["redelivery_of"], first.body["request_id"]);
    assert_eq!(again.body["created"], 0);
    assert_eq!(
        s.events().len(),
        1,
        "events are always inserted: a second write would show"
    );

    // A new message id with the same body is a new event.
    let h2 = sign(
        json!({"scheme": "standard-webhooks", "secret": secret, "body": body, "id": "msg_twice", "timestamp": now()}),
    );
    let r = post_signed(&s, &c, "application/json", body.as_bytes(), &h2).await;
    assert_eq!((r.status, r.body["created"].as_u64()), (200, Some(1)));
    assert_eq!(s.events().len(), 2);
}

#[tokio::test]
async fn a_message_refused_with_row_errors_is_written_when_it_comes_back_fixed_later() {
    let s = Server::start().await;
    let c = s.connection(Kind::Events, Some(events_mapping()));
    let secret = require(&s, &c, scheme("standard-webhooks"));
    let body = r#"{"event": "Signed Up", "account": "not-yet"}"#;
    let h = sign(
        json!({"scheme": "standard-webhooks", "secret": secret, "body": body, "id": "msg_retry", "timestamp": now()}),
    );
    let first = post_signed(&s, &c, "application/json", body.as_bytes(), &h).await;
    assert_eq!(first.status, 422, "the account does not exist yet");
    let a = s.connection(Kind::Accounts, Some(accounts()));
    assert_eq!(
        s.post(&a, &json!({"id": "not-yet", "name": "Later"}))
            .await
            .status,
        200
    );
    // The sender retries the same message: it was never accepted, so now it is written.
    let retry = post_signed(&s, &c, "application/json", body.as_bytes(), &h).await;
    assert_eq!(
        (retry.status, retry.body["created"].as_u64()),
        (200, Some(1)),
        "{}",
        retry.body
    );
}

#[tokio::test]
async fn github_style_hmac_sha256_and_a_form_encoded_body() {
    let s = Server::start().await;
    let c = s.connection(
        Kind::Contacts,
        Some(json!({"version": 1, "kind": "contacts", "match": {"email": "email"}})),
    );
    let secret = require(&s, &c, scheme("hmac-sha256"));
    let v = blocking(|| connections::show(&s.services, &c.id).unwrap());
    let sig = v.trust.signature.unwrap();
    assert_eq!(
        (
            sig.header.as_str(),
            sig.encoding.as_deref(),
            sig.prefix.as_deref()
        ),
        ("x-hub-signature-256", Some("hex"), Some("sha256="))
    );
    let form = "email=ann%40example.com&first_name=Ann&note=caf%C3%A9+%26+more";
    let h = sign(json!({"scheme": "github", "secret": secret, "body": form}));
    let r = post_signed(
        &s,
        &c,
        "application/x-www-form-urlencoded",
        form.as_bytes(),
        &h,
    )
    .await;
    assert_eq!(
        (r.status, r.body["created"].as_u64()),
        (200, Some(1)),
        "{}",
        r.body
    );
    let contact = &s.contacts()[0];
    assert_eq!(contact.email.as_deref(), Some("ann@example.com"));
    assert_eq!(contact.properties["note"], "café & more");

    // The same form, one byte different.
    let r = post_signed(
        &s,
        &c,
        "application/x-www-form-urlencoded",
        form.replace("Ann", "Anm").as_bytes(),
        &h,
    )
    .await;
    assert_eq!((r.status, code(&r)), (401, "signature_mismatch"));
    let r = post_signed(
        &s,
        &c,
        "application/x-www-form-urlencoded",
        form.as_bytes(),
        &[],
    )
    .await;
    assert_eq!((r.status, code(&r)), (401, "signature_missing"));
}

#[tokio::test]
async fn shopify_style_base64_in_its_own_header_and_segment_hex_sha1() {
    let s = Server::start().await;
    let shop = s.connection(Kind::Accounts, Some(accounts()));
    let secret = require(
        &s,
        &shop,
        TrustPatch {
            verify: Some("hmac-sha256".into()),
            signing_secret: Some("shpss_0123456789abcdef".into()),
            signature_header: Some("X-Shopify-Hmac-Sha256".into()),
            signature_encoding: Some("base64".into()),
            ..Default::default()
        },
    );
    assert_eq!(secret, "shpss_0123456789abcdef");
    let body = r#"{"id": 820982911946154508, "name": "Shop"}"#;
    let h = sign(json!({"scheme": "shopify", "secret": secret, "body": body}));
    let r = post_signed(&s, &shop, "application/json", body.as_bytes(), &h).await;
    assert_eq!(r.status, 200, "{}", r.body);
    let github_style = sign(json!({"scheme": "github", "secret": secret, "body": body}));
    let r = post_signed(
        &s,
        &shop,
        "application/json",
        body.as_bytes(),
        &github_style,
    )
    .await;
    assert_eq!(
        (r.status, code(&r)),
        (401, "signature_missing"),
        "another header"
    );

    let seg = s.connection(Kind::Accounts, Some(accounts()));
    let secret = require(&s, &seg, scheme("segment"));
    let body = r#"{"id": "s1", "name": "Seg"}"#;
    let h = sign(json!({"scheme": "segment", "secret": secret, "body": body}));
    assert_eq!(h[0].0, "X-Signature");
    let r = post_signed(&s, &seg, "application/json", body.as_bytes(), &h).await;
    assert_eq!(r.status, 200, "{}", r.body);
    let wrong = sign(json!({"scheme": "segment", "secret": "not-the-secret", "body": body}));
    let r = post_signed(&s, &seg, "application/json", body.as_bytes(), &wrong).await;
    assert_eq!((r.status, code(&r)), (401, "signature_mismatch"));
}

#[tokio::test]
async fn a_rotated_secret_refuses_the_old_one_and_nothing_refused_is_kept() {
    let s = Server::start().await;
    let c = s.connection(Kind::Accounts, Some(accounts()));
    let old = require(&s, &c, scheme("standard-webhooks"));
    let new = require(
        &s,
        &c,
        TrustPatch {
            rotate_signing_secret: true,
            ..Default::default()
        },
    );
    assert_ne!(old, new);
    let marker = "REFUSED-BODY-7f3a9c";
    let body = format!(r#"[{{"id": 9, "name": "{marker}"}}]"#);
    let with = |secret: &str, id: &str| {
        sign(
            json!({"scheme": "standard-webhooks", "secret": secret, "body": body, "id": id, "timestamp": now()}),
        )
    };
    let r = post_signed(
        &s,
        &c,
        "application/json",
        body.as_bytes(),
        &with(&old, "m1"),
    )
    .await;
    assert_eq!((r.status, code(&r)), (401, "signature_mismatch"));
    let r = post_signed(&s, &c, "application/json", body.as_bytes(), &[]).await;
    assert_eq!((r.status, code(&r)), (401, "signature_missing"));

    // Nothing of the refused requests: not in the log, not as the latest payload, not in the file.
    assert!(s.log(&c).is_empty());
    assert!(!contains(&stored_bytes(&s), marker));
    assert!(s.accounts().is_empty());

    let ok = post_signed(
        &s,
        &c,
        "application/json",
        body.as_bytes(),
        &with(&new, "m2"),
    )
    .await;
    assert_eq!(ok.status, 200, "{}", ok.body);
    // The secret itself is never in a logged request.
    let detail = blocking(|| {
        inlet_desktop::service::requests::show(&s.services, ok.body["request_id"].as_str().unwrap())
            .unwrap()
    });
    let logged = serde_json::to_string(&detail).unwrap();
    assert!(!logged.contains(&new) && !logged.contains(new.trim_start_matches("whsec_")));
}

#[tokio::test]
async fn the_cli_sets_shows_and_rotates_the_signature() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("inlet.db");
    let created = create_connection(&db, "Signed", "accounts");
    let id = created["id"].as_str().unwrap();
    assert_eq!(created["signature"], Value::Null);
    assert_eq!(created["on_drift"], "warn");

    let v = inlet_json(
        &db,
        &["connections", "update", id, "--verify", "standard-webhooks"],
    );
    let secret = v["signature"]["secret"].as_str().unwrap().to_string();
    assert!(secret.starts_with("whsec_"), "{v}");
    assert_eq!(v["signature"]["scheme"], "standard-webhooks");

    let v = inlet_json(
        &db,
        &["connections", "update", id, "--rotate-signing-secret"],
    );
    assert_ne!(v["signature"]["secret"].as_str().unwrap(), secret);

    let v = inlet_json(
        &db,
        &[
            "connections",
            "update",
            id,
            "--verify",
            "hmac-sha256",
            "--signing-secret",
            "pasted",
            "--signature-header",
            "X-Signature-256",
            "--signature-encoding",
            "base64",
            "--signature-prefix",
            "",
        ],
    );
    assert_eq!(
        v["signature"],
        json!({"scheme": "hmac-sha256", "secret": "pasted", "header": "x-signature-256", "encoding": "base64", "prefix": ""})
    );

    let (ok, out, _) = inlet(&db, &["connections", "show", id]);
    assert!(ok);
    assert!(
        out.contains("signature      hmac-sha256 (header x-signature-256)"),
        "{out}"
    );
    assert!(out.contains("signing secret pasted"), "{out}");

    let (ok, _, err) = inlet(&db, &["connections", "update", id, "--verify", "md5"]);
    assert!(!ok);
    assert!(
        err.contains("use none, standard-webhooks, segment or hmac-sha256"),
        "{err}"
    );
    let (ok, _, err) = inlet(
        &db,
        &[
            "connections",
            "update",
            id,
            "--verify",
            "standard-webhooks",
            "--signing-secret",
            "whsec_***",
        ],
    );
    assert!(!ok);
    assert!(err.contains("base64"), "{err}");

    // Another scheme chosen without a secret gets one of its own form.
    let v = inlet_json(&db, &["connections", "update", id, "--verify", "segment"]);
    let seg = v["signature"]["secret"].as_str().unwrap();
    assert!(
        seg != "pasted" && !seg.starts_with("whsec_") && seg.len() == 43,
        "{v}"
    );
    assert_eq!(v["signature"]["header"], "x-signature");

    let v = inlet_json(&db, &["connections", "update", id, "--verify", "none"]);
    assert_eq!(v["signature"], Value::Null);
}
