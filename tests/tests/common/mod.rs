//! Shared by the black-box tests: a real listener on 127.0.0.1:0 over a real store, a real HTTP
//! client, and the real `inlet` binary.
//!
//! The store is chosen by `INLET_TEST_STORE`: `sqlite` (the default: a file in a temporary
//! directory) or `postgres` (a fresh database of its own on the server `INLET_TEST_POSTGRES_URL`
//! names, a superuser URL on a throwaway cluster). `make test` runs the suites once per store.
#![allow(dead_code)]

use inlet_core::Kind;
use inlet_desktop::listener::{self, Handle, ListenConfig};
use inlet_desktop::service::{connections, mappings, records, requests};
use inlet_desktop::store::Store;
use inlet_desktop::Services;
use serde_json::{json, Value};
use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

/// Runs `f` on a thread of its own: the PostgreSQL client blocks on a runtime of its own, which it
/// cannot do on a thread that is driving the test's async runtime.
pub fn blocking<T: Send>(f: impl FnOnce() -> T + Send) -> T {
    std::thread::scope(|s| {
        s.spawn(f)
            .join()
            .unwrap_or_else(|p| std::panic::resume_unwind(p))
    })
}

/// A value whose drop may block (a second `Services`, whose PostgreSQL sessions say goodbye to the
/// server): dropped on a thread of its own, wherever it goes out of scope.
pub struct OffRuntime<T: Send + 'static>(Option<T>);

impl<T: Send + 'static> OffRuntime<T> {
    pub fn new(value: T) -> Self {
        OffRuntime(Some(value))
    }
}

impl<T: Send + 'static> std::ops::Deref for OffRuntime<T> {
    type Target = T;
    fn deref(&self) -> &T {
        self.0.as_ref().expect("present until dropped")
    }
}

impl<T: Send + 'static> Drop for OffRuntime<T> {
    fn drop(&mut self) {
        if let Some(v) = self.0.take() {
            blocking(move || drop(v));
        }
    }
}

/// Which store the suites run against this time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StoreKind {
    Sqlite,
    Postgres,
}

pub fn store_kind() -> StoreKind {
    match std::env::var("INLET_TEST_STORE").as_deref() {
        Ok("postgres") => StoreKind::Postgres,
        Ok("sqlite") | Ok("") | Err(_) => StoreKind::Sqlite,
        Ok(other) => panic!("INLET_TEST_STORE is {other:?}; expected sqlite or postgres"),
    }
}

/// The PostgreSQL server for tests, or `None` (with a notice) when none is configured.
pub fn postgres_server(test: &str) -> Option<String> {
    match std::env::var("INLET_TEST_POSTGRES_URL") {
        Ok(u) if !u.is_empty() => Some(u),
        _ => {
            eprintln!("skipped {test}: INLET_TEST_POSTGRES_URL is not set (make test sets it)");
            None
        }
    }
}

/// Runs SQL on the test server's maintenance database with `psql`.
pub fn psql(server: &str, sql: &str) {
    let out = std::process::Command::new("psql")
        .args(["-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", server, "-c", sql])
        .output()
        .expect("psql runs");
    assert!(
        out.status.success(),
        "psql {sql:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// The single value a query prints.
pub fn psql_value(url: &str, sql: &str) -> String {
    let out = std::process::Command::new("psql")
        .args([
            "-X",
            "-q",
            "-t",
            "-A",
            "-v",
            "ON_ERROR_STOP=1",
            "-d",
            url,
            "-c",
            sql,
        ])
        .output()
        .expect("psql runs");
    assert!(
        out.status.success(),
        "psql {sql:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

/// `server`'s URL with its database replaced by `db`.
pub fn with_database(server: &str, db: &str) -> String {
    let (base, query) = match server.split_once('?') {
        Some((b, q)) => (b, Some(q)),
        None => (server, None),
    };
    let authority_end = base
        .find("://")
        .map(|i| i + 3 + base[i + 3..].find('/').unwrap_or(base.len() - i - 3))
        .unwrap_or(base.len());
    let mut url = format!("{}/{db}", &base[..authority_end]);
    if let Some(q) = query {
        url.push('?');
        url.push_str(q);
    }
    url
}

/// A fresh PostgreSQL database on `server`, dropped at the end.
pub struct PgDatabase {
    pub server: String,
    pub name: String,
    pub url: String,
}

impl PgDatabase {
    pub fn create(server: &str) -> PgDatabase {
        static N: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        let name = format!(
            "inlet_test_{}_{}_{}",
            std::process::id(),
            N.fetch_add(1, std::sync::atomic::Ordering::Relaxed),
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .subsec_nanos()
        );
        psql(server, &format!("CREATE DATABASE {name}"));
        PgDatabase {
            server: server.to_string(),
            url: with_database(server, &name),
            name,
        }
    }
}

impl Drop for PgDatabase {
    fn drop(&mut self) {
        let _ = std::process::Command::new("psql")
            .args(["-X", "-q", "-d", &self.server, "-c"])
            .arg(format!(
                "DROP DATABASE IF EXISTS {} WITH (FORCE)",
                self.name
            ))
            .output();
    }
}

/// A fresh store of the kind this run tests, for the `inlet` binary and the services alike.
pub struct TestDb {
    /// A scratch directory (the SQLite file lives here; tests put mapping files here too).
    pub dir: tempfile::TempDir,
    /// What `--db` takes: the SQLite path or the PostgreSQL URL.
    pub target: String,
    pub pg: Option<PgDatabase>,
}

impl TestDb {
    pub fn fresh() -> TestDb {
        let dir = tempfile::tempdir().unwrap();
        match store_kind() {
            StoreKind::Sqlite => TestDb {
                target: dir.path().join("inlet.db").to_string_lossy().into_owned(),
                dir,
                pg: None,
            },
            StoreKind::Postgres => {
                let server = std::env::var("INLET_TEST_POSTGRES_URL").expect(
                    "INLET_TEST_STORE=postgres needs INLET_TEST_POSTGRES_URL (a superuser URL)",
                );
                TestDb::postgres(&server, dir)
            }
        }
    }

    /// A fresh database on `server`, whatever store this run tests (the scale-out tests).
    pub fn postgres(server: &str, dir: tempfile::TempDir) -> TestDb {
        let pg = PgDatabase::create(server);
        TestDb {
            target: pg.url.clone(),
            dir,
            pg: Some(pg),
        }
    }

    /// `--db`'s value, as the path-typed helpers take it.
    pub fn arg(&self) -> &Path {
        Path::new(&self.target)
    }

    pub fn is_sqlite(&self) -> bool {
        self.pg.is_none()
    }

    /// Nothing has created the store yet: no SQLite file, or no table in the database.
    pub fn untouched(&self) -> bool {
        match &self.pg {
            None => !self.arg().exists(),
            Some(pg) => {
                psql_value(
                    &pg.url,
                    "SELECT count(*) FROM pg_tables WHERE schemaname NOT IN ('pg_catalog', 'information_schema')",
                ) == "0"
            }
        }
    }
}

pub struct Server {
    pub services: Arc<Services>,
    pub handle: Option<Handle>,
    pub base: String,
    pub client: reqwest::Client,
    pub db: TestDb,
}

pub struct Conn {
    pub id: String,
    pub auth: String,
    pub url: String,
}

pub struct Reply {
    pub status: u16,
    pub body: Value,
    pub retry_after: Option<String>,
}

impl Server {
    pub async fn start() -> Server {
        Server::start_with(|_| {}, None).await
    }

    /// `tune` adjusts the listen configuration; `busy` sets the store's busy timeout (SQLite).
    pub async fn start_with(
        tune: impl FnOnce(&mut ListenConfig),
        busy: Option<Duration>,
    ) -> Server {
        let db = TestDb::fresh();
        let store = blocking(|| match busy {
            Some(b) if db.is_sqlite() => Store::open_with(db.arg(), b).unwrap(),
            _ => Store::open(db.arg()).unwrap(),
        });
        let services = Arc::new(Services::with_store(store));
        let mut config = ListenConfig::new("127.0.0.1:0".parse().unwrap());
        tune(&mut config);
        let handle = listener::start_with(services.clone(), config)
            .await
            .unwrap();
        let base = format!("http://{}", handle.local_addr);
        Server {
            services,
            handle: Some(handle),
            base,
            client: reqwest::Client::new(),
            db,
        }
    }

    pub fn db_path(&self) -> PathBuf {
        PathBuf::from(&self.db.target)
    }

    /// A connection of `kind`; with a mapping (enabled) when one is given.
    pub fn connection(&self, kind: Kind, mapping: Option<Value>) -> Conn {
        blocking(|| self.connection_now(kind, mapping))
    }

    fn connection_now(&self, kind: Kind, mapping: Option<Value>) -> Conn {
        let c = connections::create(
            &self.services,
            connections::NewConnection {
                name: "test".into(),
                kind,
                behavior: None,
            },
        )
        .unwrap();
        if let Some(m) = mapping {
            mappings::set(
                &self.services,
                &c.id,
                mappings::SetMapping {
                    document: m,
                    no_enable: false,
                },
            )
            .unwrap();
        }
        Conn {
            url: format!("{}/hooks/{}", self.base, c.id),
            id: c.id,
            auth: c.authorization,
        }
    }

    pub async fn send(
        &self,
        method: reqwest::Method,
        url: &str,
        auth: Option<&str>,
        ctype: Option<&str>,
        body: Vec<u8>,
    ) -> Reply {
        let mut req = self.client.request(method, url).body(body);
        if let Some(a) = auth {
            req = req.header("authorization", a);
        }
        if let Some(t) = ctype {
            req = req.header("content-type", t);
        }
        let res = req.send().await.unwrap();
        let status = res.status().as_u16();
        let retry_after = res
            .headers()
            .get("retry-after")
            .map(|v| v.to_str().unwrap().to_string());
        let bytes = res.bytes().await.unwrap();
        let body = if bytes.is_empty() {
            Value::Null
        } else {
            serde_json::from_slice(&bytes)
                .unwrap_or(Value::String(String::from_utf8_lossy(&bytes).into()))
        };
        Reply {
            status,
            body,
            retry_after,
        }
    }

    pub async fn post(&self, c: &Conn, body: &Value) -> Reply {
        self.send(
            reqwest::Method::POST,
            &c.url,
            Some(&c.auth),
            Some("application/json"),
            body.to_string().into_bytes(),
        )
        .await
    }

    pub async fn post_raw(&self, c: &Conn, ctype: Option<&str>, body: &[u8]) -> Reply {
        self.send(
            reqwest::Method::POST,
            &c.url,
            Some(&c.auth),
            ctype,
            body.to_vec(),
        )
        .await
    }

    pub fn accounts(&self) -> Vec<records::AccountRecord> {
        blocking(|| {
            records::accounts(
                &self.services,
                &records::RecordFilter {
                    limit: Some(100_000),
                    ..Default::default()
                },
            )
            .unwrap()
        })
    }

    pub fn contacts(&self) -> Vec<records::ContactRecord> {
        blocking(|| {
            records::contacts(
                &self.services,
                &records::RecordFilter {
                    limit: Some(100_000),
                    ..Default::default()
                },
            )
            .unwrap()
        })
    }

    pub fn events(&self) -> Vec<records::EventRecord> {
        blocking(|| {
            records::events(
                &self.services,
                &records::RecordFilter {
                    limit: Some(100_000),
                    ..Default::default()
                },
            )
            .unwrap()
        })
    }

    pub fn log(&self, c: &Conn) -> Vec<requests::RequestSummary> {
        blocking(|| requests::list(&self.services, &c.id, Some(10_000)).unwrap())
    }
}

/// For a test that reaches into the SQLite file itself (locks it, reads it with rusqlite): true,
/// with a notice, when this run tests another store.
pub fn not_sqlite(test: &str) -> bool {
    let other = store_kind() != StoreKind::Sqlite;
    if other {
        eprintln!(
            "skipped {test}: it inspects the SQLite file itself (INLET_TEST_STORE=sqlite runs it)"
        );
    }
    other
}

pub fn sample(name: &str) -> Value {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures")
        .join(name);
    serde_json::from_str(
        &std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display())),
    )
    .unwrap()
}

/// The `inlet` binary of this build, built once if missing.
pub fn inlet_bin() -> PathBuf {
    static BIN: OnceLock<PathBuf> = OnceLock::new();
    BIN.get_or_init(|| {
        let exe = std::env::current_exe().unwrap();
        let profile_dir = exe.parent().unwrap().parent().unwrap().to_path_buf();
        let target_dir = profile_dir.parent().unwrap().to_path_buf();
        let release = profile_dir.file_name().is_some_and(|n| n == "release");
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
        let mut cmd = std::process::Command::new(cargo);
        cmd.args([
            "build",
            "-q",
            "-p",
            "inlet-desktop",
            "--bin",
            "inlet",
            "--target-dir",
        ])
        .arg(&target_dir);
        if release {
            cmd.arg("--release");
        }
        let status = cmd
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .status()
            .expect("cargo runs");
        assert!(status.success(), "building the inlet binary failed");
        profile_dir.join("inlet")
    })
    .clone()
}

pub fn accounts_mapping() -> Value {
    json!({"version": 1, "kind": "accounts", "match": {"id": "id", "name": "name"}})
}

/// `inlet connections create --name NAME --kind KIND --json`, parsed.
pub fn create_connection(db: &Path, name: &str, kind: &str) -> Value {
    inlet_json(
        db,
        &["connections", "create", "--name", name, "--kind", kind],
    )
}

/// The address a starting `inlet serve` prints on `stdout` ("inlet: listening on ADDR"); the
/// rest of its output is read and dropped, so that the pipe never fills.
pub fn listening_address(stdout: std::process::ChildStdout) -> String {
    use std::io::BufRead;
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut tx = Some(tx);
        for line in std::io::BufReader::new(stdout)
            .lines()
            .map_while(Result::ok)
        {
            if let Some(addr) = line.strip_prefix("inlet: listening on ") {
                if let Some(tx) = tx.take() {
                    let _ = tx.send(addr.trim().to_string());
                }
            }
        }
    });
    rx.recv_timeout(Duration::from_secs(60))
        .expect("inlet serve prints where it listens on stdout")
}

/// POSTs `body` as JSON with `auth` as the Authorization header; the status and the JSON answer.
pub async fn post_json(url: &str, auth: &str, body: &Value) -> (u16, Value) {
    let r = reqwest::Client::new()
        .post(url)
        .header("authorization", auth)
        .header("content-type", "application/json")
        .body(body.to_string())
        .send()
        .await
        .unwrap();
    (r.status().as_u16(), r.json().await.unwrap())
}

/// A running `inlet serve`, killed (SIGKILL) when dropped.
pub struct ServeProcess {
    pub child: std::process::Child,
    pub base: String,
}

impl ServeProcess {
    pub fn start(db: &Path, extra: &[&str]) -> ServeProcess {
        let mut child = std::process::Command::new(inlet_bin())
            .arg("--db")
            .arg(db)
            .args(["serve", "--listen", "127.0.0.1:0"])
            .args(extra)
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::inherit())
            .spawn()
            .expect("inlet serve starts");
        let base = listening_address(child.stdout.take().unwrap());
        ServeProcess { child, base }
    }

    /// SIGKILL: no chance to flush or clean up.
    pub fn kill9(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for ServeProcess {
    fn drop(&mut self) {
        self.kill9();
    }
}

/// Runs the real `inlet` with `--db db`; returns (exit ok, stdout, stderr).
pub fn inlet(db: &Path, args: &[&str]) -> (bool, String, String) {
    let out = std::process::Command::new(inlet_bin())
        .arg("--db")
        .arg(db)
        .args(args)
        .output()
        .expect("inlet runs");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// `inlet … --json`, parsed; panics with stderr when it fails.
pub fn inlet_json(db: &Path, args: &[&str]) -> Value {
    let mut a = args.to_vec();
    a.push("--json");
    let (ok, out, err) = inlet(db, &a);
    assert!(ok, "inlet {args:?} failed: {err}");
    serde_json::from_str(&out)
        .unwrap_or_else(|e| panic!("inlet {args:?} printed no JSON ({e}): {out}"))
}
