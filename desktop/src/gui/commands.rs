//! Tauri commands, named `<area>_<verb>`: each one hands its arguments to a service function on a
//! blocking thread (SQLite) and returns its result; errors cross as a [`CommandError`] (a code, the
//! sentence to show, whether retrying may help). The types they answer with are generated to
//! TypeScript by `tests/ipc_types.rs`.

use super::Shell;
use crate::ipc::{CommandError, ErrorCode, ExportDone, ShellSettings};
use crate::service::{
    self, connections, mappings, payloads, preview, records, replay, requests, settings, Services,
};
use crate::store::queries::RecordFilter;
use crate::tunnel::{self, TunnelSpec, TunnelState};
use inlet_core::Kind;
use serde_json::Value;
use std::sync::Arc;
use tauri::State;

type Reply<T> = Result<T, CommandError>;

async fn run<T: Send + 'static>(
    shell: &State<'_, Arc<Shell>>,
    f: impl FnOnce(&Services) -> service::Result<T> + Send + 'static,
) -> Reply<T> {
    let services = shell.services.clone();
    tauri::async_runtime::spawn_blocking(move || f(&services))
        .await
        .map_err(|e| CommandError::new(ErrorCode::Internal, format!("internal error: {e}")))?
        .map_err(CommandError::from)
}

#[tauri::command]
pub async fn connections_list(
    shell: State<'_, Arc<Shell>>,
) -> Reply<Vec<connections::ConnectionView>> {
    run(&shell, connections::list).await
}

#[tauri::command]
pub async fn connections_create(
    shell: State<'_, Arc<Shell>>,
    name: String,
    kind: Kind,
) -> Reply<connections::ConnectionView> {
    run(&shell, move |s| {
        connections::create(
            s,
            connections::NewConnection {
                name,
                kind,
                behavior: None,
            },
        )
    })
    .await
}

#[tauri::command]
pub async fn connections_show(
    shell: State<'_, Arc<Shell>>,
    id: String,
) -> Reply<connections::ConnectionView> {
    run(&shell, move |s| connections::show(s, &id)).await
}

#[tauri::command]
pub async fn connections_update(
    shell: State<'_, Arc<Shell>>,
    id: String,
    patch: connections::ConnectionPatch,
) -> Reply<connections::ConnectionView> {
    run(&shell, move |s| connections::update(s, &id, patch)).await
}

/// Schema drift seen: the current shape becomes the baseline (docs/design.md §13).
#[tauri::command]
pub async fn connections_drift_ack(
    shell: State<'_, Arc<Shell>>,
    id: String,
) -> Reply<connections::ConnectionView> {
    run(&shell, move |s| service::trust::acknowledge_drift(s, &id)).await
}

#[tauri::command]
pub async fn connections_rotate(
    shell: State<'_, Arc<Shell>>,
    id: String,
) -> Reply<connections::ConnectionView> {
    run(&shell, move |s| connections::rotate_auth(s, &id)).await
}

#[tauri::command]
pub async fn connections_delete(
    shell: State<'_, Arc<Shell>>,
    id: String,
) -> Reply<connections::Deleted> {
    run(&shell, move |s| connections::delete(s, &id)).await
}

#[tauri::command]
pub async fn payload_latest(
    shell: State<'_, Arc<Shell>>,
    id: String,
) -> Reply<Option<payloads::PayloadView>> {
    run(&shell, move |s| payloads::latest(s, &id)).await
}

/// Saves the mapping (validate, save, enable) and answers with the connection as it now is.
#[tauri::command]
pub async fn mapping_save(
    shell: State<'_, Arc<Shell>>,
    id: String,
    mapping: Value,
) -> Reply<connections::ConnectionView> {
    run(&shell, move |s| {
        mappings::set(
            s,
            &id,
            mappings::SetMapping {
                document: mapping,
                no_enable: false,
            },
        )?;
        connections::show(s, &id)
    })
    .await
}

/// "Check against my data": the native dry run against the store, through the planning code a
/// real write uses.
#[tauri::command]
pub async fn mapping_check(
    shell: State<'_, Arc<Shell>>,
    id: String,
    mapping: Value,
    payload: String,
    content_type: Option<String>,
) -> Reply<inlet_core::preview::PreviewOutput> {
    run(&shell, move |s| {
        preview::preview(
            s,
            &preview::PreviewInput {
                mapping,
                payload,
                content_type,
                against_store: true,
                connection_id: Some(id),
            },
        )
    })
    .await
}

#[tauri::command]
pub async fn requests_list(
    shell: State<'_, Arc<Shell>>,
    id: String,
    limit: Option<usize>,
) -> Reply<Vec<requests::RequestSummary>> {
    run(&shell, move |s| requests::list(s, &id, limit)).await
}

/// A page of the log matching a search (text, status or class, time range), older than `before`.
#[tauri::command]
pub async fn requests_search(
    shell: State<'_, Arc<Shell>>,
    id: String,
    query: requests::RequestQuery,
) -> Reply<requests::RequestPage> {
    run(&shell, move |s| requests::search(s, &id, &query)).await
}

#[tauri::command]
pub async fn requests_show(
    shell: State<'_, Arc<Shell>>,
    request_id: String,
) -> Reply<requests::RequestDetail> {
    run(&shell, move |s| requests::show(s, &request_id)).await
}

/// Replays one logged request, or (without `request_id`) every one not yet written, and with
/// `include_written` those written too.
#[tauri::command]
pub async fn requests_replay(
    shell: State<'_, Arc<Shell>>,
    id: String,
    request_id: Option<String>,
    include_written: Option<bool>,
) -> Reply<replay::ReplayReport> {
    let input = match request_id {
        Some(r) => replay::ReplayInput {
            request: Some(r),
            ..Default::default()
        },
        None => replay::ReplayInput {
            all_since: Some("1970-01-01".into()),
            include_written: include_written.unwrap_or(false),
            ..Default::default()
        },
    };
    run(&shell, move |s| replay::replay(s, &id, &input)).await
}

#[tauri::command]
pub async fn records_list(
    shell: State<'_, Arc<Shell>>,
    kind: Kind,
    search: Option<String>,
    limit: Option<usize>,
) -> Reply<Value> {
    let filter = RecordFilter {
        search,
        limit,
        ..Default::default()
    };
    run(&shell, move |s| {
        let v = match kind {
            Kind::Accounts => serde_json::to_value(records::accounts(s, &filter)?),
            Kind::Contacts => serde_json::to_value(records::contacts(s, &filter)?),
            Kind::Events => serde_json::to_value(records::events(s, &filter)?),
        };
        v.map_err(|e| service::ServiceError::Invalid(e.to_string()))
    })
    .await
}

async fn shell_settings(shell: &State<'_, Arc<Shell>>, s: settings::Settings) -> ShellSettings {
    let (listening_on, listen_error) = shell.listening_on().await;
    ShellSettings {
        settings: s,
        listening_on,
        listen_error,
        window_tunnel: shell.tunnel_state().await,
    }
}

#[tauri::command]
pub async fn settings_get(shell: State<'_, Arc<Shell>>) -> Reply<ShellSettings> {
    let s = run(&shell, settings::get).await?;
    Ok(shell_settings(&shell, s).await)
}

/// The three tunnel programs, where each is installed (or how to install it).
#[tauri::command]
pub async fn tunnel_programs() -> Reply<Vec<tunnel::Installed>> {
    Ok(tunnel::installed())
}

/// Starts a tunnel (`cloudflared`, `ngrok` or `bore=HOST`) for this window's listener; the
/// window starts it again at its next launch until it is stopped.
#[tauri::command]
pub async fn tunnel_start(shell: State<'_, Arc<Shell>>, tunnel: String) -> Reply<TunnelState> {
    let spec: TunnelSpec = tunnel
        .parse()
        .map_err(|e: String| CommandError::new(ErrorCode::Invalid, e))?;
    let state = shell
        .start_tunnel(spec.clone())
        .await
        .map_err(tunnel_error)?;
    let text = spec.to_string();
    run(&shell, move |s| settings::set_window_tunnel(s, Some(&text))).await?;
    Ok(state)
}

fn tunnel_error(message: String) -> CommandError {
    CommandError::new(ErrorCode::Tunnel, message)
}

#[tauri::command]
pub async fn tunnel_stop(shell: State<'_, Arc<Shell>>) -> Reply<()> {
    shell.stop_tunnel().await;
    run(&shell, |s| settings::set_window_tunnel(s, None)).await
}

/// Check from outside: a HEAD to the connection's public webhook URL must come back to a
/// running listener (this window's, or an `inlet serve` on the same data file).
#[tauri::command]
pub async fn connections_check(
    shell: State<'_, Arc<Shell>>,
    id: String,
) -> Reply<tunnel::CheckReport> {
    let (c, live) = run(&shell, move |s| {
        Ok((connections::show(s, &id)?, settings::listeners(s)?))
    })
    .await?;
    Ok(tunnel::check(&c.webhook_url, &tunnel::expected_listeners(&live)).await)
}

/// Saves the settings; a new listen address moves this window's listener at once.
#[tauri::command]
pub async fn settings_set(
    shell: State<'_, Arc<Shell>>,
    patch: settings::SettingsPatch,
) -> Reply<ShellSettings> {
    let moved = patch.listen_address.is_some();
    let s = run(&shell, move |svc| settings::set(svc, patch)).await?;
    let (now, _) = shell.listening_on().await;
    if moved && now.as_deref() != Some(s.listen_address.as_str()) {
        if let Ok(addr) = s.listen_address.parse() {
            shell.listen(addr).await;
            // The tunnel forwards to a port: it follows the listener to its new one.
            if let Some(spec) = shell.tunnel_spec().await {
                shell.start_tunnel(spec).await.map_err(tunnel_error)?;
            }
        }
    }
    Ok(shell_settings(&shell, s).await)
}

/// One page of the Data screen's list: `{records, next}`.
#[tauri::command]
pub async fn records_page(
    shell: State<'_, Arc<Shell>>,
    kind: Kind,
    filter: RecordFilter,
) -> Reply<Value> {
    run(&shell, move |s| {
        let v = match kind {
            Kind::Accounts => serde_json::to_value(records::accounts_page(s, &filter)?),
            Kind::Contacts => serde_json::to_value(records::contacts_page(s, &filter)?),
            Kind::Events => serde_json::to_value(records::events_page(s, &filter)?),
        };
        v.map_err(|e| service::ServiceError::Invalid(e.to_string()))
    })
    .await
}

/// A record page: an account with its contacts and events, a contact with its account and
/// events, an event.
#[tauri::command]
pub async fn records_record(shell: State<'_, Arc<Shell>>, kind: Kind, id: i64) -> Reply<Value> {
    run(&shell, move |s| {
        let v = match kind {
            Kind::Accounts => serde_json::to_value(records::account_page(s, id)?),
            Kind::Contacts => serde_json::to_value(records::contact_page(s, id)?),
            Kind::Events => serde_json::to_value(records::event(s, id)?),
        };
        v.map_err(|e| service::ServiceError::Invalid(e.to_string()))
    })
    .await
}

#[tauri::command]
pub async fn records_types(shell: State<'_, Arc<Shell>>) -> Reply<Vec<records::EventTypeRecord>> {
    run(&shell, records::event_types).await
}

/// Export of the view: the system save dialog asks where, then the rows stream to that file.
/// `None` when the dialog is cancelled.
#[tauri::command]
pub async fn records_export(
    app: tauri::AppHandle,
    shell: State<'_, Arc<Shell>>,
    kind: Kind,
    filter: RecordFilter,
    format: service::export::Format,
) -> Reply<Option<ExportDone>> {
    let name = format!(
        "inlet-{}-{}.{}",
        kind.as_str(),
        chrono::Utc::now().format("%Y-%m-%d"),
        format.extension()
    );
    let Some(path) = save_dialog(&app, name).await? else {
        return Ok(None);
    };
    run(&shell, move |s| {
        let file_error = |e: std::io::Error| service::ServiceError::File {
            path: path.display().to_string(),
            message: e.to_string(),
        };
        let mut file = std::fs::File::create(&path).map_err(file_error)?;
        let done = service::export::export(s, kind, &filter, format, &mut file)?;
        file.sync_all().map_err(file_error)?;
        Ok(Some(ExportDone {
            path: path.display().to_string(),
            rows: done.rows,
        }))
    })
    .await
}

/// GTK's save dialog over the window (on the main thread, as GTK requires); the chosen path.
#[cfg(target_os = "linux")]
async fn save_dialog(
    app: &tauri::AppHandle,
    suggested: String,
) -> Reply<Option<std::path::PathBuf>> {
    use tauri::Manager;
    let (tx, rx) = tokio::sync::oneshot::channel();
    let window = app.get_webview_window("main");
    app.run_on_main_thread(move || {
        use gtk::prelude::*;
        let parent = window.and_then(|w| w.gtk_window().ok());
        let d = gtk::FileChooserDialog::with_buttons(
            Some("Export"),
            parent.as_ref(),
            gtk::FileChooserAction::Save,
            &[
                ("_Cancel", gtk::ResponseType::Cancel),
                ("_Save", gtk::ResponseType::Accept),
            ],
        );
        d.set_do_overwrite_confirmation(true);
        d.set_current_name(&suggested);
        d.set_default_response(gtk::ResponseType::Accept);
        let tx = std::cell::RefCell::new(Some(tx));
        d.connect_response(move |d, r| {
            let path = (r == gtk::ResponseType::Accept)
                .then(|| d.filename())
                .flatten();
            if let Some(tx) = tx.borrow_mut().take() {
                let _ = tx.send(path);
            }
            // SAFETY: the dialog is ours alone and nothing uses it after its answer.
            unsafe { d.destroy() };
        });
        d.show();
    })
    .map_err(|e| {
        CommandError::new(
            ErrorCode::Dialog,
            format!("cannot open the save dialog: {e}"),
        )
    })?;
    rx.await.map_err(|_| {
        CommandError::new(
            ErrorCode::Dialog,
            "the save dialog closed without an answer",
        )
    })
}

#[cfg(not(target_os = "linux"))]
async fn save_dialog(
    _app: &tauri::AppHandle,
    _suggested: String,
) -> Reply<Option<std::path::PathBuf>> {
    Err(CommandError::new(
        ErrorCode::Invalid,
        "export from the window needs the Linux build; use `inlet export`",
    ))
}
