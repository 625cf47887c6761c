//! The webhook listener (DESIGN §6): axum on tokio, usable in-process by the desktop app
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
use axum::serve::ListenerExt;
use axum::Router;
use std::net::SocketAddr;
use std::sync::Arc;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;
use tower_http::catch_panic::CatchPanicLayer;

/// Default body limit (DESIGN §6): 10 MiB.
pub const DEFAULT_BODY_LIMIT: usize = 10 * 1024 * 1024;

#[derive(Debug, Clone)]
pub struct ListenConfig {
    /// Where to bind; `127.0.0.1:0` picks a free port (see `Handle::local_addr`).
    pub addr: SocketAddr,
    pub body_limit: usize,
    pub writer: WriterConfig,
    /// Compare each request with its connection's baseline (DESIGN §13). Off only to measure
    /// what the check costs.
    pub check_drift: bool,
}

impl ListenConfig {
    pub fn new(addr: SocketAddr) -> Self {
        ListenConfig {
            addr,
            body_limit: DEFAULT_BODY_LIMIT,
            writer: WriterConfig::default(),
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

    /// Runs until the server ends (it ends only through `shutdown` or an accept failure).
    pub async fn wait(self) {
        let _ = self.task.await;
    }

    /// Splits off the stop signal, for a caller that waits on the server elsewhere.
    pub fn into_parts(self) -> (SocketAddr, oneshot::Sender<()>, JoinHandle<()>) {
        (self.local_addr, self.shutdown, self.task)
    }
}

fn panic_response(_: Box<dyn std::any::Any + Send + 'static>) -> axum::response::Response {
    hooks::respond(IngestError::Internal.answer(""), false)
}

pub fn router(services: Arc<Services>, writer: Writer, config: &ListenConfig) -> Router {
    let state = AppState {
        services,
        cache: Arc::default(),
        writer,
        body_limit: config.body_limit,
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
    let listener = listener.tap_io(|tcp| {
        let _ = tcp.set_nodelay(true);
    });
    let app = router(services, writer, &config);
    let (tx, rx) = oneshot::channel::<()>();
    let task = tokio::spawn(async move {
        let server = axum::serve(listener, app).with_graceful_shutdown(async {
            let _ = rx.await;
        });
        if let Err(e) = server.await {
            eprintln!("inlet: listener stopped: {e}");
        }
    });
    Ok(Handle {
        local_addr,
        shutdown: tx,
        task,
    })
}

/// mimalloc for the whole `inlet` process (this library is all of it): the listener allocates a few
/// dozen small blocks per request on two threads at once, and glibc's malloc spent ~10% of the
/// writer's samples there (`malloc_consolidate`, `_int_malloc`, `_int_free`).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;
