//! Runs a tunnel program as a child process: reads its public URL from its output, reports its
//! state, starts it again (with backoff) when it exits, and stops it with the app or `serve`.

use super::{parse, Program, Status, TunnelSpec, TunnelState};
use std::collections::VecDeque;
use std::path::PathBuf;
use std::process::Stdio;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::io::{AsyncBufReadExt, AsyncRead, BufReader};
use tokio::process::{Child, Command};
use tokio::sync::{mpsc, watch};
use tokio::task::JoinHandle;

/// How long a program may take to print its URL (cloudflared's quick tunnel takes a few seconds).
pub const URL_TIMEOUT: Duration = Duration::from_secs(30);
/// The first wait before starting an exited program again; it doubles up to [`MAX_BACKOFF`].
pub const FIRST_BACKOFF: Duration = Duration::from_secs(1);
pub const MAX_BACKOFF: Duration = Duration::from_secs(60);
/// Up this long, the program counts as healthy again: the next exit waits FIRST_BACKOFF.
const HEALTHY: Duration = Duration::from_secs(30);
/// How long a program may take to end after SIGTERM before it is killed.
const GRACE: Duration = Duration::from_secs(3);

pub type OnChange = Arc<dyn Fn(&TunnelState) + Send + Sync>;

#[derive(Debug, thiserror::Error)]
pub enum TunnelError {
    #[error("{program} is not installed (not found on the PATH). Install it: on Debian/Ubuntu {debian}; on macOS {macos}. See docs/tunnel.md.", debian = program.install().debian, macos = program.install().macos)]
    NotInstalled { program: Program },
}

/// What to run: the resolved program path and its arguments.
#[derive(Debug, Clone)]
pub struct Launch {
    pub program: Program,
    /// Shown in the state, e.g. `bore=127.0.0.1`.
    pub label: String,
    pub path: PathBuf,
    pub args: Vec<String>,
    pub url_timeout: Duration,
}

impl Launch {
    /// The tunnel `spec` for the listener on `port`, with the program found on the PATH.
    pub fn for_spec(spec: &TunnelSpec, port: u16) -> Result<Launch, TunnelError> {
        let path = super::find_on_path(spec.program.name()).ok_or(TunnelError::NotInstalled {
            program: spec.program,
        })?;
        Ok(Launch {
            program: spec.program,
            label: spec.to_string(),
            path,
            args: spec.args(port),
            url_timeout: URL_TIMEOUT,
        })
    }
}

/// A running tunnel. `stop` ends it; dropping it without `stop` still kills the child (the
/// child is killed on drop, and on Linux also when this process dies).
pub struct Supervisor {
    state: Arc<Mutex<TunnelState>>,
    stop: watch::Sender<bool>,
    task: JoinHandle<()>,
}

impl Supervisor {
    /// Starts `spec` for the listener on `port`. Must be called inside a tokio runtime.
    pub fn start(spec: &TunnelSpec, port: u16, on_change: OnChange) -> Result<Self, TunnelError> {
        Ok(Self::launch(Launch::for_spec(spec, port)?, on_change))
    }

    pub fn launch(launch: Launch, on_change: OnChange) -> Self {
        let state = Arc::new(Mutex::new(TunnelState {
            tunnel: launch.label.clone(),
            program: launch.program,
            status: Status::Starting,
            url: None,
            error: None,
            restarts: 0,
            pid: None,
            since: crate::store::now(),
            seq: next_seq(),
        }));
        let (stop, stopped) = watch::channel(false);
        let task = tokio::spawn(run(launch, state.clone(), on_change, stopped));
        Supervisor { state, stop, task }
    }

    pub fn state(&self) -> TunnelState {
        lock(&self.state).clone()
    }

    /// Stops the program (SIGTERM, then SIGKILL after a grace period) and waits until it is gone.
    pub async fn stop(self) {
        let _ = self.stop.send(true);
        let _ = self.task.await;
    }
}

fn lock(m: &Mutex<TunnelState>) -> std::sync::MutexGuard<'_, TunnelState> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// The last `seq` given out. One task makes all of a tunnel's changes, so they count up in the
/// order its `on_change` sees them.
static SEQ: AtomicU64 = AtomicU64::new(0);

fn next_seq() -> u64 {
    SEQ.fetch_add(1, Ordering::Relaxed) + 1
}

fn update(state: &Mutex<TunnelState>, on_change: &OnChange, f: impl FnOnce(&mut TunnelState)) {
    let now = {
        let mut s = lock(state);
        let before = s.status;
        f(&mut s);
        if s.status != before {
            s.since = crate::store::now();
        }
        s.seq = next_seq();
        s.clone()
    };
    on_change(&now);
}

/// How one run of the program ended.
enum Ended {
    Stopped,
    Failed(String),
}

async fn run(
    launch: Launch,
    state: Arc<Mutex<TunnelState>>,
    on_change: OnChange,
    mut stopped: watch::Receiver<bool>,
) {
    let mut backoff = FIRST_BACKOFF;
    let mut first = true;
    loop {
        if !first {
            update(&state, &on_change, |s| {
                s.status = Status::Starting;
                s.restarts += 1;
            });
        }
        first = false;
        let started = Instant::now();
        let (ended, was_up) = run_once(&launch, &state, &on_change, &mut stopped).await;
        match ended {
            Ended::Stopped => {
                update(&state, &on_change, |s| {
                    s.status = Status::Down;
                    s.url = None;
                    s.pid = None;
                    s.error = Some("stopped".into());
                });
                return;
            }
            Ended::Failed(why) => {
                update(&state, &on_change, |s| {
                    s.status = Status::Down;
                    s.url = None;
                    s.pid = None;
                    s.error = Some(why);
                });
            }
        }
        if was_up && started.elapsed() >= HEALTHY {
            backoff = FIRST_BACKOFF;
        }
        tokio::select! {
            _ = tokio::time::sleep(backoff) => {}
            _ = stopped.changed() => {
                update(&state, &on_change, |s| s.error = Some("stopped".into()));
                return;
            }
        }
        backoff = (backoff * 2).min(MAX_BACKOFF);
    }
}

fn spawn(launch: &Launch) -> std::io::Result<Child> {
    let mut cmd = Command::new(&launch.path);
    cmd.args(&launch.args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        // A Rust program (bore) would print a backtrace after its error instead of the error.
        .env_remove("RUST_BACKTRACE")
        .env_remove("RUST_LIB_BACKTRACE")
        .kill_on_drop(true);
    #[cfg(target_os = "linux")]
    // SAFETY: the closure runs in the forked child before exec and only calls prctl, which is
    // async-signal-safe; it asks the kernel to end the tunnel program when this process dies,
    // so a crash or SIGKILL of Inlet leaves no orphan forwarding to a dead port.
    unsafe {
        cmd.pre_exec(|| {
            libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGTERM);
            Ok(())
        });
    }
    cmd.spawn()
}

fn forward_lines(r: impl AsyncRead + Unpin + Send + 'static, tx: mpsc::Sender<String>) {
    tokio::spawn(async move {
        let mut r = BufReader::new(r);
        let mut buf = Vec::new();
        loop {
            buf.clear();
            match r.read_until(b'\n', &mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(_) => {
                    let line = String::from_utf8_lossy(&buf).trim_end().to_string();
                    if tx.send(line).await.is_err() {
                        break;
                    }
                }
            }
        }
    });
}

/// The last lines the program printed, and its last error line, for the error when it goes down.
#[derive(Default)]
struct Tail {
    last: VecDeque<String>,
    error: Option<String>,
}

/// cloudflared logs `ERR`, ngrok `lvl=eror` / `ERROR:`, bore `Error:` / `ERROR`.
fn is_error_line(l: &str) -> bool {
    let lower = l.to_ascii_lowercase();
    l.contains(" ERR ")
        || lower.contains("error")
        || lower.contains("lvl=eror")
        || lower.contains("failed")
}

impl Tail {
    fn push(&mut self, line: &str) {
        let clean = parse::strip_ansi(line);
        let clean: String = clean.trim().chars().take(500).collect();
        if clean.is_empty() {
            return;
        }
        if is_error_line(&clean) {
            self.error = Some(clean.clone());
        }
        if self.last.len() == 3 {
            self.last.pop_front();
        }
        self.last.push_back(clean);
    }

    fn said(&self) -> String {
        let last = self.last.iter().cloned().collect::<Vec<_>>().join(" / ");
        match &self.error {
            Some(e) if !self.last.contains(e) => format!("its error: {e}; its last output: {last}"),
            _ if self.last.is_empty() => "it printed nothing".into(),
            _ => format!("its last output: {last}"),
        }
    }
}

async fn run_once(
    launch: &Launch,
    state: &Mutex<TunnelState>,
    on_change: &OnChange,
    stopped: &mut watch::Receiver<bool>,
) -> (Ended, bool) {
    let name = launch.program.name();
    let mut child = match spawn(launch) {
        Ok(c) => c,
        Err(e) => {
            return (
                Ended::Failed(format!("cannot start {}: {e}", launch.path.display())),
                false,
            )
        }
    };
    let pid = child.id();
    update(state, on_change, |s| s.pid = pid);
    let (tx, mut rx) = mpsc::channel::<String>(64);
    if let Some(out) = child.stdout.take() {
        forward_lines(out, tx.clone());
    }
    if let Some(err) = child.stderr.take() {
        forward_lines(err, tx);
    }
    let started = Instant::now();
    let deadline = tokio::time::sleep(launch.url_timeout);
    tokio::pin!(deadline);
    let mut tail = Tail::default();
    let mut up = false;
    let mut lines_open = true;
    let status = loop {
        tokio::select! {
            line = rx.recv(), if lines_open => match line {
                Some(l) => {
                    tail.push(&l);
                    if !up {
                        if let Some(url) = parse::public_url(launch.program, &l) {
                            up = true;
                            update(state, on_change, |s| {
                                s.status = Status::Up;
                                s.url = Some(url);
                                s.error = None;
                            });
                        }
                    }
                }
                None => lines_open = false,
            },
            _ = &mut deadline, if !up => {
                terminate(&mut child).await;
                return (
                    Ended::Failed(format!(
                        "{name} printed no public URL within {}, so Inlet stopped it; {}",
                        seconds(launch.url_timeout),
                        tail.said()
                    )),
                    false,
                );
            }
            _ = stopped.changed() => {
                terminate(&mut child).await;
                return (Ended::Stopped, up);
            }
            status = child.wait() => break status,
        }
    };
    // What it printed just before it exited explains why.
    let drain = tokio::time::sleep(Duration::from_millis(300));
    tokio::pin!(drain);
    if lines_open {
        loop {
            tokio::select! {
                line = rx.recv() => match line { Some(l) => tail.push(&l), None => break },
                _ = &mut drain => break,
            }
        }
    }
    let how = match status {
        Ok(s) => s.to_string(),
        Err(e) => format!("wait failed: {e}"),
    };
    let when = if up {
        "exited"
    } else if started.elapsed() < Duration::from_secs(5) {
        "exited at once"
    } else {
        "exited before printing a public URL"
    };
    (
        Ended::Failed(format!("{name} {when} ({how}); {}", tail.said())),
        up,
    )
}

fn seconds(d: Duration) -> String {
    if d.subsec_millis() == 0 {
        format!("{} s", d.as_secs())
    } else {
        format!("{:.1} s", d.as_secs_f64())
    }
}

/// SIGTERM (so ngrok and cloudflared close their sessions), SIGKILL after the grace period.
async fn terminate(child: &mut Child) {
    #[cfg(unix)]
    if let Some(pid) = child.id() {
        // SAFETY: kill(2) with a pid this process spawned and has not yet reaped.
        unsafe {
            libc::kill(pid as libc::pid_t, libc::SIGTERM);
        }
        if tokio::time::timeout(GRACE, child.wait()).await.is_ok() {
            return;
        }
    }
    let _ = child.kill().await;
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sh(script: &str, timeout: Duration) -> Launch {
        Launch {
            program: Program::Bore,
            label: "bore".into(),
            path: "/bin/sh".into(),
            args: vec!["-c".into(), script.into()],
            url_timeout: timeout,
        }
    }

    async fn until_down(s: &Supervisor, within: Duration) -> TunnelState {
        let end = Instant::now() + within;
        loop {
            let st = s.state();
            if st.status == Status::Down {
                return st;
            }
            assert!(
                Instant::now() < end,
                "still {:?} after {within:?}",
                st.status
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    fn quiet() -> OnChange {
        Arc::new(|_| {})
    }

    #[tokio::test]
    async fn a_program_that_exits_at_once_is_down_with_its_own_words() {
        let s = Supervisor::launch(
            sh(
                "echo 'error: server requires authentication' >&2; exit 3",
                URL_TIMEOUT,
            ),
            quiet(),
        );
        let st = until_down(&s, Duration::from_secs(5)).await;
        let e = st.error.unwrap();
        assert!(e.contains("exited at once"), "{e}");
        assert!(e.contains("exit status: 3"), "{e}");
        assert!(e.contains("server requires authentication"), "{e}");
        s.stop().await;
    }

    #[tokio::test]
    async fn a_program_that_prints_no_url_is_stopped_after_the_timeout() {
        let s = Supervisor::launch(
            sh("echo connecting; exec sleep 60", Duration::from_millis(500)),
            quiet(),
        );
        let pid = loop {
            if let Some(p) = s.state().pid {
                break p;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        };
        let st = until_down(&s, Duration::from_secs(5)).await;
        let e = st.error.unwrap();
        assert!(e.contains("printed no public URL within 0.5 s"), "{e}");
        assert!(e.contains("connecting"), "{e}");
        // The silent program is gone (killed and reaped), not left running.
        #[cfg(target_os = "linux")]
        assert!(!std::path::Path::new(&format!("/proc/{pid}")).exists());
        s.stop().await;
    }

    #[tokio::test]
    async fn the_url_is_read_and_a_program_that_exits_is_started_again() {
        let s = Supervisor::launch(
            sh(
                "echo 'INFO bore_cli::client: listening at relay.example:4242'; sleep 0.3",
                URL_TIMEOUT,
            ),
            quiet(),
        );
        let end = Instant::now() + Duration::from_secs(10);
        let mut saw_up = false;
        while Instant::now() < end {
            let st = s.state();
            if st.status == Status::Up {
                assert_eq!(st.url.as_deref(), Some("http://relay.example:4242"));
                saw_up = true;
            }
            if saw_up && st.restarts >= 1 {
                break;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        let st = s.state();
        assert!(saw_up && st.restarts >= 1, "{st:?}");
        s.stop().await;
    }

    /// The window keeps the state with the highest `seq`: the answer to "start" (Starting) can
    /// reach it after the event that says Up, and must not put the spinner back.
    #[tokio::test]
    async fn every_change_is_newer_than_the_state_it_replaces_across_tunnels() {
        let seen = Arc::new(Mutex::new(Vec::<TunnelState>::new()));
        let record: OnChange = {
            let seen = seen.clone();
            Arc::new(move |st| seen.lock().unwrap().push(st.clone()))
        };
        let line = "echo 'INFO bore_cli::client: listening at relay.example:4242'; exec sleep 60";
        let first = Supervisor::launch(sh(line, URL_TIMEOUT), record.clone());
        let answered = first.state();
        let end = Instant::now() + Duration::from_secs(10);
        while first.state().status != Status::Up {
            assert!(Instant::now() < end, "never up: {:?}", first.state());
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        first.stop().await;
        let last_of_first = seen.lock().unwrap().last().unwrap().seq;
        let second = Supervisor::launch(sh(line, URL_TIMEOUT), record);
        let next = second.state();
        second.stop().await;
        let seen = seen.lock().unwrap();
        let up = seen.iter().find(|s| s.status == Status::Up).unwrap();
        assert!(up.seq > answered.seq, "{up:?} after {answered:?}");
        let seqs: Vec<u64> = seen.iter().map(|s| s.seq).collect();
        assert!(seqs.windows(2).all(|w| w[0] < w[1]), "{seqs:?}");
        // A new tunnel's first state is newer than the last word of the one it replaced.
        assert!(next.seq > last_of_first, "{next:?} after {last_of_first}");
    }
}
