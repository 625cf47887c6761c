//! Settings: the listen address, the public base URL (webhook URLs start with it), and which
//! database file the app opens next time. Also where the running listeners are (the window's,
//! each `inlet serve`'s) and their tunnels: each records itself here so that every process shows
//! webhook URLs that reach a listener that answers.

use super::{Result, ServiceError, Services};
use crate::paths;
use crate::store::queries::settings as q;
use crate::tunnel::{Status, TunnelState};
use serde::{Deserialize, Serialize};
use std::net::SocketAddr;

pub const DEFAULT_LISTEN: &str = "127.0.0.1:8750";
const LISTEN: &str = "listen_address";
const PUBLIC: &str = "public_base_url";
/// A JSON array of [`ListenerRecord`]s, one per running listener process.
const LISTENERS: &str = "running_listeners";
/// The tunnel the window starts again at its next launch (a `TunnelSpec` as text).
const WINDOW_TUNNEL: &str = "window_tunnel";

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Settings {
    /// Where the listener binds (`inlet serve` and the app).
    pub listen_address: String,
    /// The base of every webhook URL: the one set, else `http://{listen_address}`.
    pub public_base_url: String,
    /// True when `public_base_url` was set (a tunnel), false when it follows the listen address.
    pub public_base_url_set: bool,
    /// The database this process has open.
    pub data_file: String,
    /// The database the app opens next time without `--db` / `INLET_DB` (None: the default).
    pub configured_data_file: Option<String>,
    /// The listeners running now (the window's, each `inlet serve`'s), with their tunnels.
    #[serde(default)]
    pub listeners: Vec<ListenerRecord>,
    /// The tunnel webhook URLs go through (or, when down, its state and last error).
    #[serde(default)]
    pub tunnel: Option<TunnelState>,
}

/// A running listener, as it recorded itself; records of processes that are gone are ignored.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct ListenerRecord {
    pub pid: u32,
    /// Where it listens, `HOST:PORT`.
    pub listen: String,
    /// `window` or `serve`.
    pub process: String,
    /// The value it answers `HEAD` with in `x-inlet-instance` (see "check from outside").
    pub instance: String,
    pub started_at: String,
    pub tunnel: Option<TunnelState>,
}

/// Where webhook URLs point now, and through which tunnel.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Reach {
    pub base: String,
    pub tunnel: Option<TunnelState>,
}

/// Fields to change; absent fields stay. An empty `public_base_url` goes back to the listen address.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct SettingsPatch {
    #[serde(default)]
    pub listen_address: Option<String>,
    #[serde(default)]
    pub public_base_url: Option<String>,
    #[serde(default)]
    pub data_file: Option<String>,
}

fn trimmed(url: &str) -> String {
    url.trim().trim_end_matches('/').to_string()
}

/// The base URL webhook URLs start with, read in the caller's transaction: a tunnel that is up wins (it is what answers from outside); then the public URL the user set;
/// then the saved listen address if a listener runs there, else where one does run (a one-off
/// `serve --listen` elsewhere), else the saved address.
pub(crate) fn reach(c: crate::store::Tx) -> Result<Reach> {
    let live = live_listeners(c)?;
    let up = live
        .iter()
        .filter_map(|l| l.tunnel.as_ref())
        .find(|t| t.status == Status::Up && t.url.is_some());
    let tunnel = up
        .or_else(|| live.iter().find_map(|l| l.tunnel.as_ref()))
        .cloned();
    if let Some(url) = up.and_then(|t| t.url.clone()) {
        return Ok(Reach { base: url, tunnel });
    }
    if let Some(u) = q::get(c, PUBLIC)? {
        return Ok(Reach { base: u, tunnel });
    }
    let saved = q::get(c, LISTEN)?.unwrap_or_else(|| DEFAULT_LISTEN.into());
    let listen = match live.iter().any(|l| l.listen == saved) {
        true => saved,
        false => live.first().map_or(saved, |l| l.listen.clone()),
    };
    Ok(Reach {
        base: format!("http://{listen}"),
        tunnel,
    })
}

fn read_listeners(c: crate::store::Tx) -> Result<Vec<ListenerRecord>> {
    Ok(q::get(c, LISTENERS)?
        .and_then(|v| serde_json::from_str(&v).ok())
        .unwrap_or_default())
}

/// The records of listeners whose process still runs.
pub(crate) fn live_listeners(c: crate::store::Tx) -> Result<Vec<ListenerRecord>> {
    let mut l = read_listeners(c)?;
    l.retain(|r| process_alive(r.pid));
    Ok(l)
}

/// True while process `pid` exists (on this machine: the store is a local file).
fn process_alive(pid: u32) -> bool {
    if pid == std::process::id() {
        return true;
    }
    #[cfg(unix)]
    {
        // SAFETY: signal 0 only asks whether the process exists; nothing is sent.
        let r = unsafe { libc::kill(pid as libc::pid_t, 0) };
        r == 0 || std::io::Error::last_os_error().raw_os_error() == Some(libc::EPERM)
    }
    #[cfg(not(unix))]
    {
        true
    }
}

/// Records (or replaces) this process's listener; records of dead processes are dropped.
pub fn record_listener(s: &Services, rec: &ListenerRecord) -> Result<()> {
    s.store().write(|tx| {
        let mut l = live_listeners(tx)?;
        l.retain(|r| r.pid != rec.pid);
        l.push(rec.clone());
        let v = serde_json::to_string(&l).map_err(|e| ServiceError::Invalid(e.to_string()))?;
        q::set(tx, LISTENERS, &v)?;
        Ok::<_, ServiceError>(())
    })
}

/// Removes process `pid`'s record (its listener stopped).
pub fn forget_listener(s: &Services, pid: u32) -> Result<()> {
    s.store().write(|tx| {
        let mut l = live_listeners(tx)?;
        l.retain(|r| r.pid != pid);
        let v = serde_json::to_string(&l).map_err(|e| ServiceError::Invalid(e.to_string()))?;
        q::set(tx, LISTENERS, &v)?;
        Ok::<_, ServiceError>(())
    })
}

/// The running listeners (for "check from outside" in another process).
pub fn listeners(s: &Services) -> Result<Vec<ListenerRecord>> {
    s.store().read(live_listeners)
}

/// The tunnel the window starts at launch (None: none).
pub fn window_tunnel(s: &Services) -> Result<Option<String>> {
    s.store().read(|tx| Ok(q::get(tx, WINDOW_TUNNEL)?))
}

pub fn set_window_tunnel(s: &Services, spec: Option<&str>) -> Result<()> {
    s.store().write(|tx| {
        match spec {
            Some(v) => q::set(tx, WINDOW_TUNNEL, v)?,
            None => q::remove(tx, WINDOW_TUNNEL)?,
        }
        Ok::<_, ServiceError>(())
    })
}

pub fn get(s: &Services) -> Result<Settings> {
    s.store().read(|tx| {
        let public = q::get(tx, PUBLIC)?;
        let reach = reach(tx)?;
        Ok(Settings {
            listen_address: q::get(tx, LISTEN)?.unwrap_or_else(|| DEFAULT_LISTEN.into()),
            public_base_url: reach.base,
            public_base_url_set: public.is_some(),
            data_file: s.db_path().display().to_string(),
            configured_data_file: paths::read_config()
                .data_file
                .map(|p| p.display().to_string()),
            listeners: live_listeners(tx)?,
            tunnel: reach.tunnel,
        })
    })
}

pub fn validate_listen(addr: &str) -> Result<SocketAddr> {
    addr.trim().parse().map_err(|_| {
        ServiceError::Invalid(format!(
            "listen address {addr:?} is not HOST:PORT with an IP address, e.g. 127.0.0.1:8750"
        ))
    })
}

pub fn validate_public_url(url: &str) -> Result<String> {
    let u = trimmed(url);
    let rest = u
        .strip_prefix("https://")
        .or_else(|| u.strip_prefix("http://"));
    match rest {
        Some(host) if !host.is_empty() && !host.contains(char::is_whitespace) => Ok(u),
        _ => Err(ServiceError::Invalid(format!(
            "public URL {url:?} must start with http:// or https:// and name a host"
        ))),
    }
}

pub fn set(s: &Services, patch: SettingsPatch) -> Result<Settings> {
    let listen = patch
        .listen_address
        .as_deref()
        .map(validate_listen)
        .transpose()?;
    let public = match patch.public_base_url.as_deref() {
        None => None,
        Some(u) if u.trim().is_empty() => Some(None),
        Some(u) => Some(Some(validate_public_url(u)?)),
    };
    s.store().write(|tx| {
        if let Some(addr) = listen {
            q::set(tx, LISTEN, &addr.to_string())?;
        }
        match &public {
            Some(Some(u)) => q::set(tx, PUBLIC, u)?,
            Some(None) => q::remove(tx, PUBLIC)?,
            None => {}
        }
        Ok::<_, ServiceError>(())
    })?;
    if let Some(file) = patch.data_file.filter(|f| !f.trim().is_empty()) {
        let mut c = paths::read_config();
        c.data_file = Some(file.trim().into());
        paths::write_config(&c).map_err(|e| ServiceError::File {
            path: "config".into(),
            message: e.to_string(),
        })?;
    }
    get(s)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::service::testing::temp_services;

    #[test]
    fn the_public_url_follows_the_listen_address_until_it_is_set() {
        let s = temp_services();
        assert_eq!(get(&s).unwrap().public_base_url, "http://127.0.0.1:8750");
        let patch = SettingsPatch {
            listen_address: Some("127.0.0.1:9000".into()),
            ..Default::default()
        };
        assert_eq!(
            set(&s, patch).unwrap().public_base_url,
            "http://127.0.0.1:9000"
        );
        let patch = SettingsPatch {
            public_base_url: Some("https://abc.tunnel.example/".into()),
            ..Default::default()
        };
        let got = set(&s, patch).unwrap();
        assert_eq!(
            (got.public_base_url.as_str(), got.public_base_url_set),
            ("https://abc.tunnel.example", true)
        );
        let patch = SettingsPatch {
            public_base_url: Some("".into()),
            ..Default::default()
        };
        assert_eq!(
            set(&s, patch).unwrap().public_base_url,
            "http://127.0.0.1:9000"
        );
    }

    fn record(pid: u32, listen: &str, tunnel: Option<TunnelState>) -> ListenerRecord {
        ListenerRecord {
            pid,
            listen: listen.into(),
            process: "serve".into(),
            instance: "n".into(),
            started_at: "t".into(),
            tunnel,
        }
    }

    #[test]
    fn webhook_urls_follow_a_running_listener_and_a_tunnel_while_it_is_up() {
        let s = temp_services();
        let me = std::process::id();
        // A one-off listener elsewhere: URLs point at it, the saved address stays.
        record_listener(&s, &record(me, "127.0.0.1:9100", None)).unwrap();
        let got = get(&s).unwrap();
        assert_eq!(
            (got.public_base_url.as_str(), got.listen_address.as_str()),
            ("http://127.0.0.1:9100", DEFAULT_LISTEN)
        );
        let mut t = TunnelState {
            tunnel: "bore=127.0.0.1".into(),
            program: crate::tunnel::Program::Bore,
            status: Status::Up,
            url: Some("http://127.0.0.1:41000".into()),
            error: None,
            restarts: 0,
            pid: Some(1),
            since: "t".into(),
        };
        record_listener(&s, &record(me, "127.0.0.1:9100", Some(t.clone()))).unwrap();
        assert_eq!(get(&s).unwrap().public_base_url, "http://127.0.0.1:41000");
        t.status = Status::Down;
        t.url = None;
        record_listener(&s, &record(me, "127.0.0.1:9100", Some(t))).unwrap();
        let got = get(&s).unwrap();
        assert_eq!(got.public_base_url, "http://127.0.0.1:9100");
        assert_eq!(got.tunnel.unwrap().status, Status::Down);
        forget_listener(&s, me).unwrap();
        assert_eq!(get(&s).unwrap().public_base_url, "http://127.0.0.1:8750");
    }

    #[test]
    fn records_of_processes_that_are_gone_are_ignored() {
        let s = temp_services();
        let mut dead = std::process::Command::new("true").spawn().unwrap();
        let pid = dead.id();
        dead.wait().unwrap();
        record_listener(&s, &record(pid, "127.0.0.1:9200", None)).unwrap();
        let got = get(&s).unwrap();
        assert!(got.listeners.is_empty(), "{:?}", got.listeners);
        assert_eq!(got.public_base_url, "http://127.0.0.1:8750");
    }

    #[test]
    fn bad_addresses_and_urls_are_refused() {
        let s = temp_services();
        assert!(set(
            &s,
            SettingsPatch {
                listen_address: Some("localhost".into()),
                ..Default::default()
            }
        )
        .is_err());
        assert!(set(
            &s,
            SettingsPatch {
                public_base_url: Some("ftp://x".into()),
                ..Default::default()
            }
        )
        .is_err());
        assert_eq!(get(&s).unwrap().listen_address, DEFAULT_LISTEN);
    }
}
