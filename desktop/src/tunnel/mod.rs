//! Tunnels Inlet starts (docs/design.md §15): a tunnel program the user has installed (`cloudflared`,
//! `ngrok` or `bore`) runs as a child of this process for the listener's port; its public URL,
//! read from its output, becomes the base of every webhook URL while it runs.
//!
//! The state lives here, in this process; what other processes must see (where this listener
//! is, the tunnel's state and URL) is recorded through `service::settings`.

pub mod parse;
pub mod supervisor;

use crate::service::settings::{self, ListenerRecord};
use crate::service::Services;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::str::FromStr;
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

pub use supervisor::Supervisor;

/// The response header in which the listener names this process on every `HEAD`; "check from
/// outside" compares it with the value it expects, so another server answering the public URL
/// (another Inlet, a stale tunnel, a parked domain) does not pass for this one.
pub const INSTANCE_HEADER: &str = "x-inlet-instance";

/// This process's instance value: random, made once.
pub fn instance_nonce() -> &'static str {
    static NONCE: OnceLock<String> = OnceLock::new();
    NONCE.get_or_init(|| {
        let mut b = [0u8; 12];
        // A nonce that only tells processes apart; should the OS give no randomness, the pid
        // and the time still do.
        if getrandom::fill(&mut b).is_err() {
            let t = chrono::Utc::now().timestamp_nanos_opt().unwrap_or_default() as u64;
            b[..8].copy_from_slice(&t.to_le_bytes());
            b[8..].copy_from_slice(&std::process::id().to_le_bytes());
        }
        b.iter().map(|x| format!("{x:02x}")).collect()
    })
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[cfg_attr(feature = "ts", ts(rename = "TunnelProgram"))]
#[serde(rename_all = "lowercase")]
pub enum Program {
    Cloudflared,
    Ngrok,
    Bore,
}

impl Program {
    pub const ALL: [Program; 3] = [Program::Cloudflared, Program::Ngrok, Program::Bore];

    pub fn name(self) -> &'static str {
        match self {
            Program::Cloudflared => "cloudflared",
            Program::Ngrok => "ngrok",
            Program::Bore => "bore",
        }
    }

    /// How to install it, for the settings page and errors (docs/tunnel.md says more).
    pub fn install(self) -> Install {
        match self {
            Program::Cloudflared => Install {
                debian: "sudo apt-get install cloudflared (after adding Cloudflare's apt repository, pkg.cloudflare.com)",
                macos: "brew install cloudflared",
                cost: "free quick tunnels, no account; a random *.trycloudflare.com URL that changes on each start",
            },
            Program::Ngrok => Install {
                debian: "sudo apt-get install ngrok (after adding ngrok's apt repository), then ngrok config add-authtoken TOKEN",
                macos: "brew install ngrok, then ngrok config add-authtoken TOKEN",
                cost: "needs a free ngrok account and its authtoken; the free plan has request limits",
            },
            Program::Bore => Install {
                debian: "cargo install bore-cli",
                macos: "brew install bore-cli (or cargo install bore-cli)",
                cost: "free and open source; forwards to a relay you name (bore server on a machine you run, or the public bore.pub)",
            },
        }
    }
}

impl fmt::Display for Program {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Install {
    pub debian: &'static str,
    pub macos: &'static str,
    pub cost: &'static str,
}

/// The tunnel to run: the program and, for bore, the relay (`bore=HOST`; default `bore.pub`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TunnelSpec {
    pub program: Program,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub host: Option<String>,
}

pub const DEFAULT_BORE_RELAY: &str = "bore.pub";

impl TunnelSpec {
    /// The program's arguments for a tunnel to the listener on `port` of this machine.
    pub fn args(&self, port: u16) -> Vec<String> {
        let local = format!("http://127.0.0.1:{port}");
        match self.program {
            // A quick tunnel; --no-autoupdate: the app decides what runs, not the tunnel program.
            Program::Cloudflared => vec![
                "tunnel".into(),
                "--no-autoupdate".into(),
                "--url".into(),
                local,
            ],
            // logfmt on stdout instead of ngrok's full-screen console (documented by ngrok).
            Program::Ngrok => vec![
                "http".into(),
                local,
                "--log".into(),
                "stdout".into(),
                "--log-format".into(),
                "logfmt".into(),
            ],
            Program::Bore => vec![
                "local".into(),
                port.to_string(),
                "--local-host".into(),
                "127.0.0.1".into(),
                "--to".into(),
                self.host
                    .clone()
                    .unwrap_or_else(|| DEFAULT_BORE_RELAY.into()),
            ],
        }
    }
}

impl fmt::Display for TunnelSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.host {
            Some(h) => write!(f, "{}={h}", self.program),
            None => write!(f, "{}", self.program),
        }
    }
}

impl FromStr for TunnelSpec {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        let (name, host) = match s.split_once('=') {
            Some((n, h)) => (n.trim(), Some(h.trim().to_string())),
            None => (s.trim(), None),
        };
        let program = Program::ALL
            .into_iter()
            .find(|p| p.name() == name)
            .ok_or_else(|| {
                format!("unknown tunnel program {name:?}: choose cloudflared, ngrok or bore[=HOST]")
            })?;
        match (&host, program) {
            (Some(h), Program::Bore) if h.is_empty() || h.contains(char::is_whitespace) => {
                Err(format!("bore needs a relay host after '=', got {h:?}"))
            }
            (Some(_), Program::Bore) | (None, _) => Ok(TunnelSpec { program, host }),
            (Some(_), p) => Err(format!(
                "{p} takes no host (only bore forwards to a relay you name)"
            )),
        }
    }
}

/// Where a tunnel is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[cfg_attr(feature = "ts", ts(rename = "TunnelStatus"))]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Starting,
    Up,
    Down,
}

/// A tunnel's state, as the settings page, `--json` and other processes see it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct TunnelState {
    /// What runs, e.g. `bore=127.0.0.1`.
    pub tunnel: String,
    pub program: Program,
    pub status: Status,
    /// The public base URL while up.
    pub url: Option<String>,
    /// Why it went down the last time (the program's last words, or why Inlet stopped it).
    pub error: Option<String>,
    /// Times the program was started again after it stopped.
    pub restarts: u32,
    /// The tunnel program's process id while it runs.
    pub pid: Option<u32>,
    /// When `status` last changed (RFC 3339).
    pub since: String,
    /// Grows with every change of any tunnel in this process: of two states, the one with the
    /// higher `seq` is newer. The window gets states both as events and as command answers, in
    /// no fixed order, and keeps the newest.
    #[serde(default)]
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub seq: u64,
}

/// A program found on the PATH.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[cfg_attr(feature = "ts", ts(rename = "InstalledProgram"))]
pub struct Installed {
    pub program: Program,
    /// Its full path; None: not installed.
    pub path: Option<String>,
    pub install: Install,
}

/// Looks for an executable `name` on the PATH.
pub fn find_on_path(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|d| d.join(name))
        .find(|p| is_executable(p))
}

fn is_executable(p: &std::path::Path) -> bool {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        p.metadata()
            .map(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
            .unwrap_or(false)
    }
    #[cfg(not(unix))]
    {
        p.is_file() || p.with_extension("exe").is_file()
    }
}

/// Which of the three programs are installed.
pub fn installed() -> Vec<Installed> {
    Program::ALL
        .into_iter()
        .map(|program| Installed {
            program,
            path: find_on_path(program.name()).map(|p| p.display().to_string()),
            install: program.install(),
        })
        .collect()
}

enum Note {
    Listen(SocketAddr),
    Tunnel(Option<TunnelState>),
}

/// Keeps this process's listener row (`service::settings`) in step with where it listens and its
/// tunnel, and refreshes its heartbeat every `settings::heartbeat_every()`, writing in order on a
/// blocking thread (the store must not be called on the runtime's threads); `forget` removes it.
pub struct Recorder {
    tx: mpsc::UnboundedSender<Note>,
    task: JoinHandle<()>,
}

/// Runs a store call off the runtime's threads; a failure is logged, the listener goes on.
async fn off_runtime(
    services: &Arc<Services>,
    rec: &ListenerRecord,
    f: fn(&Services, &ListenerRecord) -> crate::service::Result<()>,
) {
    let (s, r) = (services.clone(), rec.clone());
    match tokio::task::spawn_blocking(move || f(&s, &r)).await {
        Ok(Ok(())) => {}
        Ok(Err(e)) => tracing::warn!(cause = %e, "cannot record where this listener runs"),
        Err(e) => tracing::warn!(cause = %e, "recording where this listener runs failed"),
    }
}

impl Recorder {
    /// `process`: `window` or `serve`; `listen`: where it listens, recorded before this returns.
    /// Must be called inside a tokio runtime.
    pub async fn start(
        services: Arc<Services>,
        process: &str,
        listen: Option<SocketAddr>,
    ) -> Recorder {
        let (tx, mut rx) = mpsc::unbounded_channel::<Note>();
        let mut rec = ListenerRecord {
            pid: std::process::id(),
            listen: String::new(),
            process: process.into(),
            instance: instance_nonce().into(),
            started_at: crate::store::now(),
            tunnel: None,
            host: settings::host_name().into(),
            heartbeat_at: String::new(),
        };
        // Reading the listeners removes the records of those that are gone (a `kill -9`).
        let s = services.clone();
        if let Ok(Err(e)) = tokio::task::spawn_blocking(move || settings::listeners(&s)).await {
            tracing::warn!(cause = %e, "cannot read the running listeners");
        }
        if let Some(a) = listen {
            rec.listen = a.to_string();
            off_runtime(&services, &rec, settings::record_listener).await;
        }
        let task = tokio::spawn(async move {
            let every = settings::heartbeat_every();
            let mut beat = tokio::time::interval_at(tokio::time::Instant::now() + every, every);
            beat.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                tokio::select! {
                    n = rx.recv() => {
                        let Some(n) = n else { break };
                        match n {
                            Note::Listen(a) => rec.listen = a.to_string(),
                            Note::Tunnel(t) => rec.tunnel = t,
                        }
                        if !rec.listen.is_empty() {
                            off_runtime(&services, &rec, settings::record_listener).await;
                        }
                    }
                    _ = beat.tick() => {
                        if !rec.listen.is_empty() {
                            off_runtime(&services, &rec, settings::heartbeat_listener).await;
                        }
                    }
                }
            }
            let s = services.clone();
            let _ = tokio::task::spawn_blocking(move || {
                settings::forget_listener(&s, instance_nonce())
            })
            .await;
        });
        Recorder { tx, task }
    }

    pub fn listen(&self, addr: SocketAddr) {
        let _ = self.tx.send(Note::Listen(addr));
    }

    pub fn tunnel(&self, t: Option<TunnelState>) {
        let _ = self.tx.send(Note::Tunnel(t));
    }

    /// Writes what is pending, then removes this process's record.
    pub async fn forget(self) {
        drop(self.tx);
        let _ = self.task.await;
    }
}

/// Who the running listeners are, as "check from outside" expects them: (instance, description).
pub fn expected_listeners(records: &[ListenerRecord]) -> Vec<(String, String)> {
    let here = settings::host_name();
    records
        .iter()
        .map(|r| {
            let who = if r.instance == instance_nonce() {
                format!("this listener ({})", r.listen)
            } else if r.host == here || r.host.is_empty() {
                format!(
                    "the listener of {} (pid {}, {})",
                    r.process, r.pid, r.listen
                )
            } else {
                format!(
                    "the listener of {} on {} (pid {}, {})",
                    r.process, r.host, r.pid, r.listen
                )
            };
            (r.instance.clone(), who)
        })
        .collect()
}

/// What "check from outside" found.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct CheckReport {
    pub url: String,
    /// True when the webhook URL answered 200 from the listener it was meant to reach.
    pub ok: bool,
    /// True when the answer came from that listener (whatever its status).
    pub reached: bool,
    pub status: Option<u16>,
    /// Round trip of the HEAD, in milliseconds.
    pub elapsed_ms: u64,
    /// What it means, in a sentence.
    pub message: String,
}

/// `HEAD url` through the public internet (or whatever the URL names), and whether the answer
/// came back to a listener whose instance value is one of `expected` (value, description).
pub async fn check(url: &str, expected: &[(String, String)]) -> CheckReport {
    let client = match reqwest::Client::builder()
        .timeout(Duration::from_secs(15))
        .redirect(reqwest::redirect::Policy::none())
        .build()
    {
        Ok(c) => c,
        Err(e) => return failed(url, None, 0, format!("no HTTP client: {e}")),
    };
    let started = Instant::now();
    let answer = client.head(url).send().await;
    let elapsed_ms = started.elapsed().as_millis() as u64;
    let r = match answer {
        Ok(r) => r,
        Err(e) => {
            let why = if e.is_timeout() {
                "no answer within 15 s".to_string()
            } else {
                format!("no answer: {}", error_chain(&e))
            };
            return failed(url, None, elapsed_ms, why);
        }
    };
    let status = r.status().as_u16();
    let seen = r
        .headers()
        .get(INSTANCE_HEADER)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    match seen {
        Some(v) => match expected.iter().find(|(n, _)| *n == v) {
            Some((_, who)) if status == 200 => CheckReport {
                url: url.into(),
                ok: true,
                reached: true,
                status: Some(status),
                elapsed_ms,
                message: format!("came back to {who} in {elapsed_ms} ms"),
            },
            Some((_, who)) => CheckReport {
                reached: true,
                ..failed(
                    url,
                    Some(status),
                    elapsed_ms,
                    format!("came back to {who} in {elapsed_ms} ms, which answered HTTP {status} (no such connection)"),
                )
            },
            None => failed(
                url,
                Some(status),
                elapsed_ms,
                "an Inlet answered, but not this one (another Inlet process, or a tunnel left from an earlier run)".into(),
            ),
        },
        None => failed(
            url,
            Some(status),
            elapsed_ms,
            format!("HTTP {status} from a server that is not Inlet (the tunnel or proxy is not forwarding to this listener)"),
        ),
    }
}

fn failed(url: &str, status: Option<u16>, elapsed_ms: u64, message: String) -> CheckReport {
    CheckReport {
        url: url.into(),
        ok: false,
        reached: false,
        status,
        elapsed_ms,
        message,
    }
}

fn error_chain(e: &dyn std::error::Error) -> String {
    let mut s = e.to_string();
    let mut src = e.source();
    while let Some(c) = src {
        s.push_str(": ");
        s.push_str(&c.to_string());
        src = c.source();
    }
    s
}

/// True when `url` reaches only this machine (127.0.0.0/8, ::1, localhost, 0.0.0.0).
pub fn is_loopback_url(url: &str) -> bool {
    let rest = url
        .strip_prefix("http://")
        .or_else(|| url.strip_prefix("https://"))
        .unwrap_or(url);
    let authority = rest.split('/').next().unwrap_or("");
    let host = if let Some(v6) = authority.strip_prefix('[') {
        v6.split(']').next().unwrap_or("")
    } else {
        authority.rsplit_once(':').map_or(authority, |(h, _)| h)
    };
    let host = host.to_ascii_lowercase();
    if host == "localhost" || host.ends_with(".localhost") {
        return true;
    }
    match host.parse::<std::net::IpAddr>() {
        Ok(ip) => ip.is_loopback() || ip.is_unspecified(),
        Err(_) => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tunnel_flags_parse_and_bad_ones_say_why() {
        let b: TunnelSpec = "bore=127.0.0.1".parse().unwrap();
        assert_eq!(
            (b.program, b.host.as_deref()),
            (Program::Bore, Some("127.0.0.1"))
        );
        assert_eq!(b.to_string(), "bore=127.0.0.1");
        assert_eq!(
            "ngrok".parse::<TunnelSpec>().unwrap().program,
            Program::Ngrok
        );
        assert!("frp"
            .parse::<TunnelSpec>()
            .unwrap_err()
            .contains("cloudflared, ngrok or bore"));
        assert!("ngrok=x"
            .parse::<TunnelSpec>()
            .unwrap_err()
            .contains("takes no host"));
        assert!("bore=".parse::<TunnelSpec>().is_err());
    }

    #[test]
    fn loopback_urls_are_told_from_public_ones() {
        for u in [
            "http://127.0.0.1:8750/hooks/x",
            "http://localhost:8750",
            "http://[::1]:8750/hooks/x",
            "http://0.0.0.0:8750",
        ] {
            assert!(is_loopback_url(u), "{u}");
        }
        for u in [
            "https://a-b.trycloudflare.com/hooks/x",
            "http://192.168.1.4:8750",
            "http://bore.pub:4113",
        ] {
            assert!(!is_loopback_url(u), "{u}");
        }
    }

    #[test]
    fn the_instance_value_is_stable_within_the_process() {
        assert_eq!(instance_nonce(), instance_nonce());
        assert_eq!(instance_nonce().len(), 24);
    }
}
