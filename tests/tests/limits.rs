//! A receiver on a network (docs/http.md, "Limits"): the real `inlet serve`, real sockets. Clients
//! that never finish their headers are dropped, idle keep-alive connections are closed, the
//! connection cap holds, and 32 concurrent 8 MiB batches stay under 512 MB with every request
//! answered 200 or 429 and nothing acknowledged lost.

mod common;

use common::*;
use serde_json::{json, Value};
use std::collections::HashSet;
use std::io::{ErrorKind, Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

/// Connections the process holds on its listening `port` (its database sessions, also sockets,
/// are not counted), read from its descriptors and the kernel's TCP tables.
fn client_sockets(pid: u32, port: u16) -> usize {
    let inodes: HashSet<String> = std::fs::read_dir(format!("/proc/{pid}/fd"))
        .unwrap()
        .filter_map(|e| std::fs::read_link(e.ok()?.path()).ok())
        .filter_map(|l| {
            let l = l.to_string_lossy().into_owned();
            Some(l.strip_prefix("socket:[")?.strip_suffix(']')?.to_string())
        })
        .collect();
    let mut n = 0;
    for table in ["/proc/net/tcp", "/proc/net/tcp6"] {
        let Ok(text) = std::fs::read_to_string(table) else {
            continue;
        };
        for line in text.lines().skip(1) {
            let f: Vec<&str> = line.split_whitespace().collect();
            let (Some(local), Some(state), Some(inode)) = (f.get(1), f.get(3), f.get(9)) else {
                continue;
            };
            let local_port = local
                .rsplit(':')
                .next()
                .and_then(|p| u16::from_str_radix(p, 16).ok());
            // 0A is LISTEN: the listening socket itself is not a client.
            if local_port == Some(port) && *state != "0A" && inodes.contains(*inode) {
                n += 1;
            }
        }
    }
    n
}

fn port_of(base: &str) -> u16 {
    base.rsplit(':').next().unwrap().parse().unwrap()
}

fn vm_hwm_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("VmHWM in /proc/PID/status")
}

fn host_port(base: &str) -> String {
    base.trim_start_matches("http://").to_string()
}

/// True once the server has closed `s` (EOF or reset), false if it is still open at `within`.
fn closed_by_server(s: &mut TcpStream, within: Duration) -> bool {
    let deadline = Instant::now() + within;
    let mut buf = [0u8; 512];
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return false;
        }
        s.set_read_timeout(Some(left.min(Duration::from_millis(200))))
            .unwrap();
        match s.read(&mut buf) {
            Ok(0) => return true,
            Ok(_) => continue,
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {
                // A slow-loris client keeps trickling; a closed socket makes the write fail.
                if s.write_all(b"X").is_err() {
                    return true;
                }
            }
            Err(_) => return true,
        }
    }
}

fn accounts_db() -> (TestDb, String, String) {
    let db = TestDb::fresh();
    let c = create_connection(db.arg(), "l", "accounts");
    let id = c["id"].as_str().unwrap().to_string();
    let mapping = db.dir.path().join("m.json");
    std::fs::write(&mapping, accounts_mapping().to_string()).unwrap();
    inlet_json(
        db.arg(),
        &["mapping", "set", &id, "--file", mapping.to_str().unwrap()],
    );
    let auth = c["authorization"].as_str().unwrap().to_string();
    (db, id, auth)
}

#[test]
fn clients_that_never_finish_their_headers_are_dropped_after_the_header_timeout() {
    let (db, id, auth) = accounts_db();
    let serve = ServeProcess::start(db.arg(), &["--header-timeout", "1"]);
    let addr = host_port(&serve.base);
    let (pid, port) = (serve.child.id(), port_of(&serve.base));
    let mut loris = Vec::new();
    for i in 0..300 {
        let mut s = TcpStream::connect(&addr).unwrap();
        // Half a request line for some, half the headers for others: neither ever ends.
        if i % 2 == 0 {
            s.write_all(b"POST /hooks/").unwrap();
        } else {
            s.write_all(format!("POST /hooks/{id} HTTP/1.1\r\nHost: x\r\nX-A: ").as_bytes())
                .unwrap();
        }
        loris.push(s);
    }
    // Trickling a byte now and then does not keep a connection past the timeout either.
    for s in &mut loris {
        assert!(
            closed_by_server(s, Duration::from_secs(30)),
            "a connection that never finished its headers was still open after 30 s"
        );
    }
    drop(loris);
    // A sender is still served, and the server holds no socket of the dropped clients.
    let rt = tokio::runtime::Runtime::new().unwrap();
    let status = rt.block_on(async {
        reqwest::Client::new()
            .post(format!("{}/hooks/{id}", serve.base))
            .header("authorization", &auth)
            .json(&json!({"id": "after", "name": "After"}))
            .send()
            .await
            .unwrap()
            .status()
            .as_u16()
    });
    assert_eq!(status, 200);
    let deadline = Instant::now() + Duration::from_secs(10);
    while client_sockets(pid, port) > 1 && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(100));
    }
    assert!(
        client_sockets(pid, port) <= 1,
        "client sockets left: {}",
        client_sockets(pid, port)
    );
}

#[test]
fn an_idle_keep_alive_connection_is_closed_and_a_slow_body_gets_408() {
    let (db, id, auth) = accounts_db();
    let serve = ServeProcess::start(db.arg(), &["--header-timeout", "1", "--body-timeout", "1"]);
    let addr = host_port(&serve.base);
    // One full request on a keep-alive connection, answered; then the connection idles.
    let body = json!({"id": "k1", "name": "Kept"}).to_string();
    let mut s = TcpStream::connect(&addr).unwrap();
    write!(
        s,
        "POST /hooks/{id} HTTP/1.1\r\nHost: x\r\nAuthorization: {auth}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    let mut buf = [0u8; 4096];
    s.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
    let n = s.read(&mut buf).unwrap();
    assert!(String::from_utf8_lossy(&buf[..n]).starts_with("HTTP/1.1 200"));
    assert!(closed_by_server(&mut s, Duration::from_secs(30)));

    // Headers complete, body promised but never sent in full: 408, and nothing written.
    let mut s = TcpStream::connect(&addr).unwrap();
    let body = json!({"id": "slow", "name": "Slow"}).to_string();
    write!(
        s,
        "POST /hooks/{id} HTTP/1.1\r\nHost: x\r\nAuthorization: {auth}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{}",
        body.len(),
        &body[..5]
    )
    .unwrap();
    let mut answer = Vec::new();
    s.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
    let _ = s.read_to_end(&mut answer);
    let answer = String::from_utf8_lossy(&answer);
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    assert!(answer.contains("body_timeout"), "{answer}");
    let names: Vec<String> = inlet_json(db.arg(), &["records", "accounts"])
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["external_id"].as_str().unwrap_or_default().to_string())
        .collect();
    assert_eq!(names, vec!["k1".to_string()]);
}

#[test]
fn the_connection_cap_holds_and_a_waiting_sender_is_served_once_a_slot_frees() {
    let (db, id, auth) = accounts_db();
    let serve = ServeProcess::start(
        db.arg(),
        &["--max-connections", "20", "--header-timeout", "60"],
    );
    let addr = host_port(&serve.base);
    let (pid, port) = (serve.child.id(), port_of(&serve.base));
    let mut idle: Vec<TcpStream> = (0..60)
        .map(|_| TcpStream::connect(&addr).unwrap())
        .collect();
    std::thread::sleep(Duration::from_millis(500));
    // 60 clients connected (the kernel completes the handshakes), at most 20 held by the server.
    let held = client_sockets(pid, port);
    assert!(
        (1..=20).contains(&held),
        "the server holds {held} client connections with a cap of 20"
    );
    let rt = tokio::runtime::Runtime::new().unwrap();
    let url = format!("{}/hooks/{id}", serve.base);
    let post = |timeout: Duration| {
        let (url, auth) = (url.clone(), auth.clone());
        rt.block_on(async move {
            reqwest::Client::builder()
                .timeout(timeout)
                .build()
                .unwrap()
                .post(url)
                .header("authorization", auth)
                .json(&json!({"id": "capped", "name": "Capped"}))
                .send()
                .await
                .map(|r| r.status().as_u16())
        })
    };
    assert!(
        post(Duration::from_secs(2)).is_err(),
        "a 61st connection was served while 20 idle ones held every slot"
    );
    // Closing every idle client frees the slots: the next sender is served.
    idle.clear();
    assert_eq!(post(Duration::from_secs(30)).unwrap(), 200);
    assert!(client_sockets(pid, port) <= 20);
}

/// One batch of ~8 MiB: 2,000 accounts of ~4 KiB each.
fn big_batch(b: usize) -> Vec<u8> {
    let pad = "x".repeat(4_150);
    let rows: Vec<Value> = (0..2_000)
        .map(|i| json!({"id": format!("b{b}-{i}"), "name": format!("Big {b} {i}"), "note": pad}))
        .collect();
    let body = serde_json::to_vec(&rows).unwrap();
    assert!(body.len() > 8 * 1024 * 1024 && body.len() < 9 * 1024 * 1024);
    body
}

#[test]
fn thirty_two_concurrent_8_mib_batches_stay_under_512_mb_and_lose_nothing() {
    let (db, id, auth) = accounts_db();
    let serve = ServeProcess::start(db.arg(), &[]);
    let pid = serve.child.id();
    let url = format!("{}/hooks/{id}", serve.base);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    // Built before sending, so that no sender is slowed down by building the others' bodies.
    let bodies: Vec<Vec<u8>> = (0..32).map(big_batch).collect();
    let (acked, answers) = rt.block_on(async {
        let client = reqwest::Client::builder()
            .timeout(Duration::from_secs(600))
            .build()
            .unwrap();
        let mut tasks = Vec::new();
        for (b, body) in bodies.into_iter().enumerate() {
            let (client, url, auth) = (client.clone(), url.clone(), auth.clone());
            tasks.push(tokio::spawn(async move {
                let mut statuses = Vec::new();
                let t0 = Instant::now();
                // A 429 asks to retry after Retry-After; a sender does, until it is written.
                for _ in 0..200 {
                    let res = client
                        .post(&url)
                        .header("authorization", &auth)
                        .header("content-type", "application/json")
                        .body(body.clone())
                        .send()
                        .await
                        .unwrap_or_else(|e| {
                            panic!(
                                "batch {b} attempt {} after {:?}: {e:?}",
                                statuses.len(),
                                t0.elapsed()
                            )
                        });
                    let status = res.status().as_u16();
                    let retry = res.headers().get("retry-after").cloned();
                    statuses.push(status);
                    match status {
                        200 => return (Some(b), statuses),
                        429 => {
                            let secs: u64 = retry
                                .expect("a 429 carries Retry-After")
                                .to_str()
                                .unwrap()
                                .parse()
                                .unwrap();
                            tokio::time::sleep(Duration::from_secs(secs)).await;
                        }
                        other => panic!("batch {b} answered {other}"),
                    }
                }
                (None, statuses)
            }));
        }
        let mut acked = Vec::new();
        let mut answers = Vec::new();
        for t in tasks {
            let (b, statuses) = t.await.unwrap();
            acked.extend(b);
            answers.extend(statuses);
        }
        (acked, answers)
    });
    let hwm_mib = vm_hwm_kib(pid) / 1024;
    eprintln!(
        "32 × 8 MiB: peak {hwm_mib} MiB, {} answers, {} of them 429",
        answers.len(),
        answers.iter().filter(|s| **s == 429).count()
    );
    assert!(hwm_mib <= 512, "inlet serve peaked at {hwm_mib} MiB");
    assert_eq!(acked.len(), 32, "every batch is written in the end");
    let stored: HashSet<String> =
        inlet_json(db.arg(), &["records", "accounts", "--limit", "100000"])
            .as_array()
            .unwrap()
            .iter()
            .map(|a| a["external_id"].as_str().unwrap().to_string())
            .collect();
    for b in &acked {
        for i in 0..2_000 {
            assert!(
                stored.contains(&format!("b{b}-{i}")),
                "b{b}-{i} was acknowledged but is missing"
            );
        }
    }
    assert_eq!(stored.len(), 32 * 2_000);
}
