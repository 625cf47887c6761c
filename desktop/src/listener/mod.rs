//! The webhook listener (docs/design.md §6): axum on tokio, usable in-process by the desktop app
//! (`start` → `Handle`) or headless through `inlet serve`.

mod admit;
mod cache;
mod hooks;

pub use hooks::redacted_headers;

use crate::ingest::writer::{Writer, WriterConfig};
use crate::ingest::IngestError;
use crate::service::Services;
use crate::store::StoreError;
use axum::routing::any;
use axum::Router;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{oneshot, watch, Semaphore};
use tokio::task::JoinHandle;
use tower_http::catch_panic::CatchPanicLayer;

/// Default body limit (docs/design.md §6): 10 MiB.
pub const DEFAULT_BODY_LIMIT: usize = 10 * 1024 * 1024;

/// What a slow, idle or crowding client may hold (docs/http.md, "Limits").
#[derive(Debug, Clone)]
pub struct Limits {
    /// From the accept, or from the end of the previous response on a kept-alive connection, until
    /// the request's headers are complete; an idle keep-alive connection is closed after it too.
    pub header_timeout: Duration,
    /// From the end of the headers until the whole body has arrived (else 408).
    pub body_timeout: Duration,
    /// Open connections at most; past it the listener stops accepting until one closes.
    pub max_connections: usize,
    /// Body bytes held by requests in flight (read, parsed, waiting for the writer) at most.
    pub body_bytes_in_flight: usize,
    /// How long a request waits for room under `body_bytes_in_flight` before it is answered 429.
    pub body_wait: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            header_timeout: Duration::from_secs(10),
            body_timeout: Duration::from_secs(60),
            max_connections: 1024,
            body_bytes_in_flight: 64 * 1024 * 1024,
            body_wait: Duration::from_secs(5),
        }
    }
}

#[derive(Debug, Clone)]
pub struct ListenConfig {
    /// Where to bind; `127.0.0.1:0` picks a free port (see `Handle::local_addr`).
    pub addr: SocketAddr,
    pub body_limit: usize,
    pub writer: WriterConfig,
    pub limits: Limits,
    /// Compare each request with its connection's baseline (docs/design.md §13). Off only to measure
    /// what the check costs.
    pub check_drift: bool,
}

impl ListenConfig {
    pub fn new(addr: SocketAddr) -> Self {
        ListenConfig {
            addr,
            body_limit: DEFAULT_BODY_LIMIT,
            writer: WriterConfig::default(),
            limits: Limits::default(),
            check_drift: true,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ListenError {
    #[error("cannot listen on {addr}: {message}")]
    Bind { addr: SocketAddr, message: String },
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl serde::Serialize for ListenError {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_string())
    }
}

#[derive(Clone)]
pub(crate) struct AppState {
    services: Arc<Services>,
    cache: Arc<cache::ConfigCache>,
    writer: Writer,
    body_limit: usize,
    budget: Arc<admit::BodyBudget>,
    body_timeout: Duration,
    check_drift: bool,
}

/// A running listener. Dropping it leaves the server running; call `shutdown` to stop it.
pub struct Handle {
    pub local_addr: SocketAddr,
    shutdown: oneshot::Sender<()>,
    task: JoinHandle<()>,
}

impl Handle {
    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// Stops accepting, lets requests in flight finish, and waits for the server to end.
    pub async fn shutdown(self) {
        let _ = self.shutdown.send(());
        let _ = self.task.await;
    }
}

fn panic_response(_: Box<dyn std::any::Any + Send + 'static>) -> axum::response::Response {
    hooks::respond(IngestError::Internal.answer(""), false)
}

pub fn router(services: Arc<Services>, writer: Writer, config: &ListenConfig) -> Router {
    let limits = &config.limits;
    let body_limit = config.body_limit;
    let state = AppState {
        services,
        cache: Arc::default(),
        writer,
        body_limit,
        // A body as large as the limit must always fit, or it would wait for nothing.
        budget: Arc::new(admit::BodyBudget::new(
            limits.body_bytes_in_flight.max(body_limit),
            limits.body_wait,
        )),
        body_timeout: limits.body_timeout,
        check_drift: config.check_drift,
    };
    Router::new()
        .route("/hooks/{id}", any(hooks::hook))
        .fallback(hooks::not_found)
        .with_state(state)
        .layer(axum::middleware::map_response(instance_header))
        .layer(CatchPanicLayer::custom(panic_response))
}

/// Every answer names this process (see `tunnel::INSTANCE_HEADER`): "check from outside" tells
/// this listener from any other server that answers the public URL.
async fn instance_header(mut res: axum::response::Response) -> axum::response::Response {
    res.headers_mut().insert(
        crate::tunnel::INSTANCE_HEADER,
        axum::http::HeaderValue::from_static(crate::tunnel::instance_nonce()),
    );
    res
}

/// Starts the listener on `addr` with the default limits.
pub async fn start(services: Arc<Services>, addr: SocketAddr) -> Result<Handle, ListenError> {
    start_with(services, ListenConfig::new(addr)).await
}

pub async fn start_with(
    services: Arc<Services>,
    config: ListenConfig,
) -> Result<Handle, ListenError> {
    let writer = Writer::spawn(services.store(), config.writer, services.activity_sender())?;
    let listener = tokio::net::TcpListener::bind(config.addr)
        .await
        .map_err(|e| ListenError::Bind {
            addr: config.addr,
            message: e.to_string(),
        })?;
    let local_addr = listener.local_addr().map_err(|e| ListenError::Bind {
        addr: config.addr,
        message: e.to_string(),
    })?;
    raise_open_files_limit();
    let app = router(services, writer, &config);
    let (tx, rx) = oneshot::channel::<()>();
    let task = tokio::spawn(serve(listener, app, config.limits, rx));
    Ok(Handle {
        local_addr,
        shutdown: tx,
        task,
    })
}

/// The accept loop. `axum::serve` sets no timer (so hyper's header timeout never fires) and accepts
/// without bound; this serves HTTP/1.1 — what webhook senders and reverse proxies speak — with both.
async fn serve(
    listener: tokio::net::TcpListener,
    app: Router,
    limits: Limits,
    mut stop: oneshot::Receiver<()>,
) {
    let max = limits.max_connections.clamp(1, Semaphore::MAX_PERMITS);
    let open = Arc::new(Semaphore::new(max));
    // Closed (by dropping the sender) when the listener stops: every connection then finishes
    // the request it is on and closes.
    let (closing_tx, closing_rx) = watch::channel(());
    loop {
        // At the cap the listener stops accepting: new connections wait in the kernel's backlog
        // rather than costing memory here.
        let permit = tokio::select! {
            p = open.clone().acquire_owned() => match p {
                Ok(p) => p,
                Err(_) => break,
            },
            _ = &mut stop => break,
        };
        let tcp = tokio::select! {
            r = listener.accept() => match r {
                Ok((tcp, _)) => tcp,
                Err(e) => {
                    // Out of file descriptors or a connection reset before accept: wait a moment
                    // rather than spin.
                    if !is_connection_error(&e) {
                        tracing::warn!(cause = %e, "accepting a connection failed");
                        tokio::time::sleep(Duration::from_millis(50)).await;
                    }
                    continue;
                }
            },
            _ = &mut stop => break,
        };
        let _ = tcp.set_nodelay(true);
        let service = TowerToHyperService::new(app.clone());
        let header_timeout = limits.header_timeout;
        let mut closing = closing_rx.clone();
        tokio::spawn(async move {
            let _permit = permit;
            let mut builder = hyper::server::conn::http1::Builder::new();
            builder
                .timer(TokioTimer::new())
                .header_read_timeout(header_timeout)
                // Headers and read buffering per connection stay small however many are open.
                .max_buf_size(64 * 1024);
            let conn = builder.serve_connection(TokioIo::new(tcp), service);
            tokio::pin!(conn);
            tokio::select! {
                _ = conn.as_mut() => {}
                _ = closing.changed() => {
                    conn.as_mut().graceful_shutdown();
                    let _ = conn.await;
                }
            }
        });
    }
    drop(listener);
    drop(closing_tx);
    // Every connection holds a permit until it ends: having them all back means all have ended.
    let _ = open.acquire_many(max as u32).await;
}

fn is_connection_error(e: &std::io::Error) -> bool {
    matches!(
        e.kind(),
        std::io::ErrorKind::ConnectionRefused
            | std::io::ErrorKind::ConnectionAborted
            | std::io::ErrorKind::ConnectionReset
    )
}

/// Lifts the soft open-files limit to the hard one, so that the connection cap, not a default of
/// 1,024 descriptors, decides how many senders a receiver holds.
fn raise_open_files_limit() {
    #[cfg(target_os = "linux")]
    // SAFETY: getrlimit/setrlimit only read and write the struct passed to them.
    unsafe {
        let mut l = libc::rlimit {
            rlim_cur: 0,
            rlim_max: 0,
        };
        if libc::getrlimit(libc::RLIMIT_NOFILE, &mut l) == 0 && l.rlim_cur < l.rlim_max {
            l.rlim_cur = l.rlim_max;
            let _ = libc::setrlimit(libc::RLIMIT_NOFILE, &l);
        }
    }
}

/// mimalloc for the whole `inlet` process (this library is all of it): the listener allocates a few
/// dozen small blocks per request on two threads at once, and glibc's malloc spent ~10% of the
/// writer's samples there (`malloc_consolidate`, `_int_malloc`, `_int_free`).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;
