//! `inlet serve` (headless listener) and `inlet` with no command (the app, or serve without it).

use super::args::ServeArgs;
use anyhow::{Context, Result};
use inlet_desktop::listener::{self, ListenConfig};
use inlet_desktop::service::settings;
use inlet_desktop::Services;
use std::path::Path;
use std::sync::Arc;

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
    let services =
        Arc::new(Services::open(db).with_context(|| format!("opening {}", db.display()))?);
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
    let rt = runtime()?;
    rt.block_on(async move {
        let handle = listener::start_with(services.clone(), config).await?;
        let addr = handle.local_addr;
        let patch = settings::SettingsPatch {
            listen_address: a.listen.as_ref().map(|_| addr.to_string()),
            public_base_url: a.public_url.clone(),
            data_file: None,
        };
        // The store may block (PostgreSQL): off the runtime's threads.
        let svc = services.clone();
        let s = tokio::task::spawn_blocking(move || {
            if patch.listen_address.is_some() || patch.public_base_url.is_some() {
                settings::set(&svc, patch)
            } else {
                settings::get(&svc)
            }
        })
        .await??;
        println!("inlet: listening on http://{addr}");
        println!(
            "inlet: webhook URLs are {}/hooks/<connection id>",
            s.public_base_url
        );
        println!("inlet: data file {}", services.db_path().display());
        stop_signal().await;
        println!("inlet: stopping");
        handle.shutdown().await;
        Ok(())
    })
}

/// `inlet` alone: the desktop app when built with it, else the headless listener.
pub fn app(db: &Path) -> Result<()> {
    #[cfg(feature = "gui")]
    {
        inlet_desktop::gui::prepare_environment();
        let services =
            Arc::new(Services::open(db).with_context(|| format!("opening {}", db.display()))?);
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
                queue: None,
                max_group: None,
                body_limit: None,
                no_drift_check: false,
            },
        )
    }
}
