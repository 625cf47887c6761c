//! The desktop shell (docs/design.md §9): a Tauri window over the same service layer and listener as
//! `inlet serve`, in one process. Commands are thin dispatchers (`commands.rs`); the listener's
//! activity feed becomes the `inlet://activity` event so the screens update live.

mod commands;

use crate::listener::{self, Handle, ListenConfig};
use crate::service::{settings, Services};
use crate::tunnel::{supervisor::OnChange, Recorder, Supervisor, TunnelSpec, TunnelState};
use std::net::SocketAddr;
use std::sync::Arc;
use tauri::{AppHandle, Emitter, Manager};
use tokio::sync::Mutex;

pub const ACTIVITY_EVENT: &str = "inlet://activity";
/// A tunnel's state changed (starting, up with its URL, down with its error).
pub const TUNNEL_EVENT: &str = "inlet://tunnel";

#[derive(Debug, thiserror::Error)]
pub enum GuiError {
    #[error("the desktop window failed: {0}")]
    Tauri(#[from] tauri::Error),
}

/// What the commands share: the services, and the listener this window runs.
pub struct Shell {
    pub services: Arc<Services>,
    /// Limits and queue sizes for the listener; its address changes with the settings.
    config: ListenConfig,
    listener: Mutex<Listening>,
    /// The tunnel this window runs, and what it runs.
    tunnel: Mutex<Option<(TunnelSpec, Supervisor)>>,
    /// This window's listener record (where it listens, its tunnel) for other processes.
    recorder: Mutex<Option<Arc<Recorder>>>,
    app: std::sync::OnceLock<AppHandle>,
}

#[derive(Default)]
struct Listening {
    handle: Option<Handle>,
    error: Option<String>,
}

impl Shell {
    /// (Re)starts the listener on `addr`; the old one stops first so the port can be reused.
    async fn listen(&self, addr: SocketAddr) {
        let mut l = self.listener.lock().await;
        if let Some(h) = l.handle.take() {
            h.shutdown().await;
        }
        match listener::start_with(
            self.services.clone(),
            ListenConfig {
                addr,
                ..self.config.clone()
            },
        )
        .await
        {
            Ok(h) => {
                eprintln!("inlet: listening on http://{}", h.local_addr());
                let mut r = self.recorder.lock().await;
                match &*r {
                    Some(r) => r.listen(h.local_addr()),
                    None => {
                        let rec =
                            Recorder::start(self.services.clone(), "window", Some(h.local_addr()))
                                .await;
                        *r = Some(Arc::new(rec));
                    }
                }
                l.handle = Some(h);
                l.error = None;
            }
            Err(e) => {
                eprintln!("inlet: {e}");
                l.error = Some(e.to_string());
            }
        }
    }

    /// Starts `spec` for this window's listener, in place of the tunnel running now.
    pub(crate) async fn start_tunnel(&self, spec: TunnelSpec) -> Result<TunnelState, String> {
        let port = {
            let l = self.listener.lock().await;
            l.handle
                .as_ref()
                .map(|h| h.local_addr().port())
                .ok_or("the listener is not running (see Listen address), so there is nothing to tunnel to")?
        };
        let mut t = self.tunnel.lock().await;
        if let Some((_, old)) = t.take() {
            old.stop().await;
        }
        let recorder = self.recorder.lock().await.clone();
        let app = self.app.get().cloned();
        let on_change: OnChange = Arc::new(move |st: &TunnelState| {
            if let Some(r) = &recorder {
                r.tunnel(Some(st.clone()));
            }
            if let Some(a) = &app {
                let _ = a.emit(TUNNEL_EVENT, st);
            }
        });
        let sup = Supervisor::start(&spec, port, on_change).map_err(|e| e.to_string())?;
        let state = sup.state();
        *t = Some((spec, sup));
        Ok(state)
    }

    /// Stops this window's tunnel; webhook URLs go back to the public URL set, or the listener.
    pub(crate) async fn stop_tunnel(&self) {
        if let Some((_, sup)) = self.tunnel.lock().await.take() {
            sup.stop().await;
        }
        if let Some(r) = &*self.recorder.lock().await {
            r.tunnel(None);
        }
        if let Some(a) = self.app.get() {
            let _ = a.emit(TUNNEL_EVENT, serde_json::Value::Null);
        }
    }

    pub(crate) async fn tunnel_spec(&self) -> Option<TunnelSpec> {
        self.tunnel.lock().await.as_ref().map(|(t, _)| t.clone())
    }

    pub(crate) async fn tunnel_state(&self) -> Option<TunnelState> {
        self.tunnel.lock().await.as_ref().map(|(_, s)| s.state())
    }

    /// The window closes: the tunnel program ends with it, and the listener record goes.
    async fn shutdown(&self) {
        if let Some((_, sup)) = self.tunnel.lock().await.take() {
            sup.stop().await;
        }
        if let Some(r) = self.recorder.lock().await.take() {
            if let Ok(r) = Arc::try_unwrap(r) {
                r.forget().await;
            }
        }
    }

    async fn listening_on(&self) -> (Option<String>, Option<String>) {
        let l = self.listener.lock().await;
        (
            l.handle.as_ref().map(|h| h.local_addr().to_string()),
            l.error.clone(),
        )
    }
}

/// The environment variable that overrides the stored listen address for this run only (as
/// `inlet serve --listen` does; the saved address changes only in Settings).
pub const LISTEN_ENV: &str = "INLET_LISTEN";

/// When set, the app prints `inlet: window ready` once the page has loaded (benchmarks).
pub const READY_ENV: &str = "INLET_REPORT_READY";

/// Set to `1` to keep WebKitGTK's accelerated compositing (see [`prepare_environment`]).
pub const COMPOSITING_ENV: &str = "INLET_WEBKIT_COMPOSITING";

/// Called first thing, while the process has one thread: WebKitGTK's accelerated compositing is
/// turned off unless the user asks for it. The window is forms and tables, which WebKit paints as
/// well without it, and compositing costs about 70 MB of the web process (its GL surfaces; under
/// software GL, also llvmpipe's buffers). A user who sets `WEBKIT_DISABLE_COMPOSITING_MODE`
/// themselves decides.
pub fn prepare_environment() {
    let keep = std::env::var(COMPOSITING_ENV).is_ok_and(|v| v == "1");
    if !keep && std::env::var_os("WEBKIT_DISABLE_COMPOSITING_MODE").is_none() {
        std::env::set_var("WEBKIT_DISABLE_COMPOSITING_MODE", "1");
    }
}

/// Opens the window and runs the listener in this process until the window closes.
pub fn run(services: Arc<Services>, config: ListenConfig) -> Result<(), GuiError> {
    let listen: Option<SocketAddr> = std::env::var(LISTEN_ENV)
        .ok()
        .and_then(|v| settings::validate_listen(&v).ok());
    let default_addr = config.addr;
    let shell = Arc::new(Shell {
        services: services.clone(),
        config,
        listener: Mutex::new(Listening::default()),
        tunnel: Mutex::new(None),
        recorder: Mutex::new(None),
        app: std::sync::OnceLock::new(),
    });
    let app = tauri::Builder::default()
        .manage(shell.clone())
        .invoke_handler(tauri::generate_handler![
            commands::connections_list,
            commands::connections_create,
            commands::connections_show,
            commands::connections_update,
            commands::connections_rotate,
            commands::connections_drift_ack,
            commands::connections_delete,
            commands::payload_latest,
            commands::mapping_save,
            commands::mapping_check,
            commands::requests_list,
            commands::requests_search,
            commands::requests_show,
            commands::requests_replay,
            commands::records_list,
            commands::records_page,
            commands::records_record,
            commands::records_types,
            commands::records_export,
            commands::settings_get,
            commands::settings_set,
            commands::tunnel_programs,
            commands::tunnel_start,
            commands::tunnel_stop,
            commands::connections_check,
        ])
        .on_page_load(|_, payload| {
            // For `make bench` (window start-up time): the page has loaded and is drawn.
            if payload.event() == tauri::webview::PageLoadEvent::Finished
                && std::env::var_os(READY_ENV).is_some()
            {
                eprintln!("inlet: window ready");
            }
        })
        .setup(move |app| {
            let handle = app.handle().clone();
            let shell = app.state::<Arc<Shell>>().inner().clone();
            let _ = shell.app.set(handle.clone());
            tauri::async_runtime::spawn(async move {
                shell.listen(listen.unwrap_or(default_addr)).await;
                // The tunnel chosen in Settings starts again with the window. The store is read
                // off the async threads, as the commands read it: PostgreSQL's client blocks on
                // its own runtime, which cannot start inside this one.
                let services = shell.services.clone();
                let saved = tauri::async_runtime::spawn_blocking(move || {
                    settings::window_tunnel(&services)
                })
                .await
                .ok()
                .and_then(|r| r.ok())
                .flatten();
                if let Some(spec) = saved.and_then(|t| t.parse::<TunnelSpec>().ok()) {
                    if let Err(e) = shell.start_tunnel(spec).await {
                        eprintln!("inlet: tunnel: {e}");
                    }
                }
            });
            // Forward what the listener (and replays) log to the window: the screens reload live.
            let mut feed = services.subscribe();
            tauri::async_runtime::spawn(async move {
                loop {
                    match feed.recv().await {
                        Ok(a) => {
                            let _ = handle.emit(ACTIVITY_EVENT, &a);
                        }
                        Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => {
                            let _ =
                                handle.emit(ACTIVITY_EVENT, serde_json::json!({"lagged": true}));
                        }
                        Err(_) => break,
                    }
                }
            });
            Ok(())
        })
        .build(tauri::generate_context!())?;
    app.run(move |_, event| {
        if let tauri::RunEvent::Exit = event {
            tauri::async_runtime::block_on(shell.shutdown());
        }
    });
    Ok(())
}
