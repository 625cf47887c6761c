//! `inlet serve` (headless listener) and `inlet` with no command (the app, or serve without it).

use super::args::ServeArgs;
use anyhow::{Context, Result};
use inlet_desktop::listener::{self, ListenConfig};
use inlet_desktop::service::settings;
use inlet_desktop::tunnel::{self, Recorder, Status, Supervisor, TunnelSpec, TunnelState};
use inlet_desktop::Services;
use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

fn runtime() -> Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")
}

async fn stop_signal() {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut term =
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(t) => t,
                Err(_) => {
                    let _ = ctrl_c.await;
                    return;
                }
            };
        tokio::select! {
            _ = ctrl_c => {},
            _ = term.recv() => {},
        }
    }
    #[cfg(not(unix))]
    let _ = ctrl_c.await;
}

/// The listen configuration the saved settings give (the app and `inlet serve` without flags).
pub fn listen_config(services: &Services) -> Result<ListenConfig> {
    let s = settings::get(services)?;
    let addr = settings::validate_listen(&s.listen_address)?;
    Ok(ListenConfig::new(addr))
}

pub fn serve(db: &Path, a: ServeArgs) -> Result<()> {
    let services = Arc::new(
        Services::open(db)
            .with_context(|| format!("opening {}", inlet_desktop::store::shown(db)))?,
    );
    let mut config = listen_config(&services)?;
    if let Some(l) = &a.listen {
        config.addr = settings::validate_listen(l)?;
    }
    if let Some(q) = a.queue {
        config.writer.queue = q;
    }
    if let Some(g) = a.max_group {
        config.writer.max_group = g.max(1);
    }
    config.check_drift = !a.no_drift_check;
    if let Some(b) = a.body_limit {
        config.body_limit = b;
    }
    a.apply_limits(&mut config.limits);
    let rt = runtime()?;
    rt.block_on(async move {
        let handle = listener::start_with(services.clone(), config).await?;
        let addr = handle.local_addr;
        // `--listen` is for this run: the saved address (the app's) changes only through
        // `inlet settings --listen`; the record tells other processes where this one is.
        let recorder = Recorder::start(services.clone(), "serve", Some(addr)).await;
        // The store may block (PostgreSQL): off the runtime's threads.
        let svc = services.clone();
        let public_url = a.public_url.clone();
        let s = tokio::task::spawn_blocking(move || match public_url {
            Some(u) => settings::set(
                &svc,
                settings::SettingsPatch {
                    public_base_url: Some(u),
                    ..Default::default()
                },
            ),
            None => settings::get(&svc),
        })
        .await??;
        println!("inlet: listening on http://{addr}");
        let recorder = Arc::new(recorder);
        let tunnel = match &a.tunnel {
            Some(spec) => Some(start_tunnel(spec, addr, recorder.clone())?),
            None => {
                println!(
                    "inlet: webhook URLs are {}/hooks/<connection id>",
                    s.public_base_url
                );
                None
            }
        };
        println!("inlet: data file {}", services.db_path().display());
        stop_signal().await;
        println!("inlet: stopping");
        if let Some(t) = tunnel {
            t.stop().await;
        }
        if let Ok(r) = Arc::try_unwrap(recorder) {
            r.forget().await;
        }
        handle.shutdown().await;
        Ok(())
    })
}

/// Starts the tunnel and says on stdout what it does: starting, up (with the URL and a check
/// from outside), down (with the program's last words) and starting again.
fn start_tunnel(
    spec: &TunnelSpec,
    addr: SocketAddr,
    recorder: Arc<Recorder>,
) -> Result<Supervisor> {
    let nonce = tunnel::instance_nonce().to_string();
    let me = format!("this listener ({addr})");
    let on_change: tunnel::supervisor::OnChange = Arc::new(move |t: &TunnelState| {
        recorder.tunnel(Some(t.clone()));
        match (t.status, &t.url) {
            (Status::Starting, _) => println!("inlet: tunnel {} starting", t.tunnel),
            (Status::Up, Some(url)) => {
                println!("inlet: tunnel up: {url}");
                println!("inlet: webhook URLs are {url}/hooks/<connection id>");
                let (url, expected) = (url.clone(), vec![(nonce.clone(), me.clone())]);
                tokio::spawn(async move {
                    let r = tunnel::check(&format!("{url}/hooks/check"), &expected).await;
                    if r.reached {
                        println!("inlet: check from outside ok: the tunnel reaches this listener ({} ms)", r.elapsed_ms);
                    } else {
                        println!("inlet: check from outside failed: {}", r.message);
                    }
                });
            }
            (Status::Up, None) => {}
            (Status::Down, _) => println!(
                "inlet: tunnel down: {}",
                t.error.as_deref().unwrap_or("stopped")
            ),
        }
    });
    Ok(Supervisor::start(spec, addr.port(), on_change)?)
}

impl ServeArgs {
    fn apply_limits(&self, l: &mut listener::Limits) {
        if let Some(s) = self.header_timeout {
            l.header_timeout = Duration::from_secs(s.max(1));
        }
        if let Some(s) = self.body_timeout {
            l.body_timeout = Duration::from_secs(s.max(1));
        }
        if let Some(n) = self.max_connections {
            l.max_connections = n.max(1);
        }
        if let Some(b) = self.max_body_in_flight {
            l.body_bytes_in_flight = b;
        }
    }
}

/// `inlet` alone: the desktop app when built with it, else the headless listener.
pub fn app(db: &Path) -> Result<()> {
    #[cfg(feature = "gui")]
    {
        inlet_desktop::gui::prepare_environment();
        let services = Arc::new(
            Services::open(db)
                .with_context(|| format!("opening {}", inlet_desktop::store::shown(db)))?,
        );
        let config = listen_config(&services)?;
        inlet_desktop::gui::run(services, config).map_err(|e| anyhow::anyhow!("{e}"))
    }
    #[cfg(not(feature = "gui"))]
    {
        eprintln!("inlet: this build has no window; running `inlet serve` instead");
        serve(
            db,
            ServeArgs {
                listen: None,
                public_url: None,
                tunnel: None,
                queue: None,
                max_group: None,
                body_limit: None,
                header_timeout: None,
                body_timeout: None,
                max_connections: None,
                max_body_in_flight: None,
                no_drift_check: false,
            },
        )
    }
}
