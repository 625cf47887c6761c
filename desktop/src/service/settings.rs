//! Settings: the listen address, the public base URL (webhook URLs start with it), and which
//! database file the app opens next time. Also where the running listeners are (the window's,
//! each `inlet serve`'s, on this machine or, on PostgreSQL, on others) and their tunnels: each
//! keeps a row of its own in the store so that every process shows webhook URLs that reach a
//! listener that answers.

use super::{Result, ServiceError, Services};
use crate::paths;
use crate::store::queries::listeners::{self as lq, ListenerRow};
use crate::store::queries::settings as q;
use crate::tunnel::{Status, TunnelState};
use serde::{Deserialize, Serialize};
use std::net::SocketAddr;
use std::sync::OnceLock;
use std::time::Duration;

pub const DEFAULT_LISTEN: &str = "127.0.0.1:8750";
const LISTEN: &str = "listen_address";
const PUBLIC: &str = "public_base_url";
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

/// A running listener, as it recorded itself; records of listeners that are gone are ignored.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct ListenerRecord {
    /// Its process id on `host`.
    pub pid: u32,
    /// Where it listens, `HOST:PORT`.
    pub listen: String,
    /// `window` or `serve`.
    pub process: String,
    /// The value it answers `HEAD` with in `x-inlet-instance` (see "check from outside").
    pub instance: String,
    pub started_at: String,
    pub tunnel: Option<TunnelState>,
    /// The machine it runs on (`INLET_HOSTNAME` when set, else the system's host name).
    #[serde(default)]
    pub host: String,
    /// When it last said it runs; a listener counts as running while this is younger than the
    /// staleness window (`INLET_LISTENER_STALE_SECS`, 30 s by default) and, on this host, while
    /// its process exists.
    #[serde(default)]
    pub heartbeat_at: String,
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

/// The name this process records as its host: `INLET_HOSTNAME` when set (tests, or machines that
/// share a host name), else the system's host name.
pub fn host_name() -> &'static str {
    static HOST: OnceLock<String> = OnceLock::new();
    HOST.get_or_init(|| {
        std::env::var("INLET_HOSTNAME")
            .ok()
            .map(|h| h.trim().to_string())
            .filter(|h| !h.is_empty())
            .or_else(system_host_name)
            .unwrap_or_else(|| "localhost".into())
    })
}

fn system_host_name() -> Option<String> {
    #[cfg(unix)]
    {
        let mut b = [0u8; 256];
        // SAFETY: the buffer is valid for its length; the name is cut at its first NUL below.
        let r = unsafe { libc::gethostname(b.as_mut_ptr().cast(), b.len()) };
        if r != 0 {
            return None;
        }
        let n = b.iter().position(|&c| c == 0).unwrap_or(b.len());
        Some(String::from_utf8_lossy(&b[..n]).into_owned()).filter(|h| !h.is_empty())
    }
    #[cfg(not(unix))]
    {
        std::env::var("COMPUTERNAME").ok()
    }
}

/// How long a heartbeat counts: `INLET_LISTENER_STALE_SECS` (seconds, fractions allowed; tests
/// shorten it), else 30 s.
pub fn stale_after() -> Duration {
    static STALE: OnceLock<Duration> = OnceLock::new();
    *STALE.get_or_init(|| {
        let default = Duration::from_secs(30);
        match std::env::var("INLET_LISTENER_STALE_SECS") {
            Err(_) => default,
            Ok(v) => match v.trim().parse::<f64>() {
                Ok(s) if s.is_finite() && s > 0.0 && s < 1e9 => Duration::from_secs_f64(s),
                _ => {
                    tracing::warn!(
                        value = %v,
                        "INLET_LISTENER_STALE_SECS is not a positive number of seconds; using 30"
                    );
                    default
                }
            },
        }
    })
}

/// How often a listener refreshes its heartbeat: a third of the window, so that two missed
/// beats (a slow database, a busy machine) do not yet make it look gone.
pub fn heartbeat_every() -> Duration {
    stale_after() / 3
}

fn record_from(r: ListenerRow) -> Result<ListenerRecord> {
    let corrupt = |what: String| {
        ServiceError::Store(crate::store::StoreError::Corrupt(format!(
            "listener {}: {what}",
            r.instance
        )))
    };
    let pid =
        u32::try_from(r.pid).map_err(|_| corrupt(format!("pid {} is out of range", r.pid)))?;
    let tunnel = match &r.tunnel {
        None => None,
        Some(t) => Some(
            serde_json::from_str::<TunnelState>(t).map_err(|e| corrupt(format!("tunnel: {e}")))?,
        ),
    };
    Ok(ListenerRecord {
        pid,
        listen: r.listen,
        process: r.process,
        instance: r.instance,
        started_at: r.started_at,
        tunnel,
        host: r.host,
        heartbeat_at: r.heartbeat_at,
    })
}

fn row_from(r: &ListenerRecord, heartbeat_at: String) -> ListenerRow {
    ListenerRow {
        instance: r.instance.clone(),
        host: r.host.clone(),
        pid: i64::from(r.pid),
        listen: r.listen.clone(),
        process: r.process.clone(),
        started_at: r.started_at.clone(),
        tunnel: r.tunnel.as_ref().map(crate::store::queries::json_text),
        heartbeat_at,
    }
}

/// A record that no longer stands for a running listener, and how to remove it.
#[derive(Debug, Clone, PartialEq)]
enum Gone {
    /// On this host and its process is gone: removed outright.
    Dead(String),
    /// On another host and its heartbeat is older than the cutoff: removed unless it beat since.
    Stale { instance: String, before: String },
}

/// The earliest heartbeat that still counts, as stored times compare (RFC 3339, milliseconds).
fn cutoff() -> String {
    let window = chrono::Duration::from_std(stale_after()).unwrap_or(chrono::Duration::MAX);
    let at = chrono::Utc::now()
        .checked_sub_signed(window)
        .unwrap_or(chrono::DateTime::<chrono::Utc>::MIN_UTC);
    at.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

/// Which listener is running: one whose heartbeat is younger than the staleness window, and on
/// this host also only while its process exists (exact, and at once after a `kill -9`). The
/// heartbeat counts on this host too, so that a pid the system gave to another process since
/// does not keep a dead listener's record.
fn judge(r: &ListenerRecord, here: &str, cutoff: &str) -> Option<Gone> {
    if r.host == here && !process_alive(r.pid) {
        return Some(Gone::Dead(r.instance.clone()));
    }
    let fresh = match (
        chrono::DateTime::parse_from_rfc3339(&r.heartbeat_at),
        chrono::DateTime::parse_from_rfc3339(cutoff),
    ) {
        (Ok(beat), Ok(cut)) => beat >= cut,
        _ => false,
    };
    (!fresh).then(|| Gone::Stale {
        instance: r.instance.clone(),
        before: cutoff.to_string(),
    })
}

/// The running listeners, and the records of those that are gone.
fn judged(c: crate::store::Tx) -> Result<(Vec<ListenerRecord>, Vec<Gone>)> {
    let (here, cut) = (host_name(), cutoff());
    let mut live = Vec::new();
    let mut gone = Vec::new();
    for row in lq::list(c)? {
        let r = record_from(row)?;
        match judge(&r, here, &cut) {
            None => live.push(r),
            Some(g) => gone.push(g),
        }
    }
    Ok((live, gone))
}

/// The records of listeners that still run.
pub(crate) fn live_listeners(c: crate::store::Tx) -> Result<Vec<ListenerRecord>> {
    Ok(judged(c)?.0)
}

/// Removes the records a reader found gone, each by its own statement. What this cannot remove
/// now (the store busy or down) is ignored in the meantime and removed by a later reader.
fn remove_gone(s: &Services, gone: &[Gone]) {
    if gone.is_empty() {
        return;
    }
    let done = s.store().write(|tx| {
        for g in gone {
            match g {
                Gone::Dead(i) => lq::delete(tx, i)?,
                Gone::Stale { instance, before } => lq::delete_stale(tx, instance, before)?,
            }
        }
        Ok::<_, ServiceError>(())
    });
    if let Err(e) = done {
        tracing::warn!(cause = %e, "cannot remove the records of listeners that are gone");
    }
}

/// True while process `pid` exists on this machine.
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

/// Writes this listener's row whole (where it listens, its tunnel), with a fresh heartbeat.
pub fn record_listener(s: &Services, rec: &ListenerRecord) -> Result<()> {
    let row = row_from(rec, crate::store::now());
    s.store()
        .write(|tx| Ok::<_, ServiceError>(lq::upsert(tx, &row)?))
}

/// Refreshes this listener's heartbeat; writes its row whole again if a reader removed it (its
/// heartbeat looked stale, e.g. while the database was out of reach).
pub fn heartbeat_listener(s: &Services, rec: &ListenerRecord) -> Result<()> {
    let at = crate::store::now();
    s.store().write(|tx| {
        if !lq::heartbeat(tx, &rec.instance, &at)? {
            lq::upsert(tx, &row_from(rec, at.clone()))?;
        }
        Ok::<_, ServiceError>(())
    })
}

/// Removes the row of listener `instance` (it stopped).
pub fn forget_listener(s: &Services, instance: &str) -> Result<()> {
    s.store()
        .write(|tx| Ok::<_, ServiceError>(lq::delete(tx, instance)?))
}

/// The running listeners (for "check from outside" in another process); the records of those
/// that are gone are removed on the way.
pub fn listeners(s: &Services) -> Result<Vec<ListenerRecord>> {
    let (live, gone) = s.store().read(judged)?;
    remove_gone(s, &gone);
    Ok(live)
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
    let (settings, gone) = s.store().read(|tx| {
        let public = q::get(tx, PUBLIC)?;
        let reach = reach(tx)?;
        let (live, gone) = judged(tx)?;
        let settings = Settings {
            listen_address: q::get(tx, LISTEN)?.unwrap_or_else(|| DEFAULT_LISTEN.into()),
            public_base_url: reach.base,
            public_base_url_set: public.is_some(),
            data_file: s.db_path().display().to_string(),
            configured_data_file: paths::read_config()
                .data_file
                .map(|p| p.display().to_string()),
            listeners: live,
            tunnel: reach.tunnel,
        };
        Ok::<_, ServiceError>((settings, gone))
    })?;
    remove_gone(s, &gone);
    Ok(settings)
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
            host: host_name().into(),
            heartbeat_at: String::new(),
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
            seq: 1,
        };
        record_listener(&s, &record(me, "127.0.0.1:9100", Some(t.clone()))).unwrap();
        assert_eq!(get(&s).unwrap().public_base_url, "http://127.0.0.1:41000");
        t.status = Status::Down;
        t.url = None;
        record_listener(&s, &record(me, "127.0.0.1:9100", Some(t))).unwrap();
        let got = get(&s).unwrap();
        assert_eq!(got.public_base_url, "http://127.0.0.1:9100");
        assert_eq!(got.tunnel.unwrap().status, Status::Down);
        forget_listener(&s, "n").unwrap();
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
