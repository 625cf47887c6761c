//! The command line of docs/design.md §8.

use clap::{Args, Parser, Subcommand, ValueEnum};
use std::path::PathBuf;

#[derive(Debug, Parser)]
#[command(
    name = "inlet",
    version,
    about = "Receive reverse-ETL webhooks and write them into a local SQLite store"
)]
pub struct Cli {
    /// The database file (default: $XDG_DATA_HOME/inlet/inlet.db, else ~/.local/share/inlet/inlet.db),
    /// or a PostgreSQL URL (postgres://user@host:5432/inlet, ?sslmode=require for TLS).
    #[arg(long, global = true, env = "INLET_DB", value_name = "PATH|URL")]
    pub db: Option<PathBuf>,
    /// Print machine-readable JSON (stable; see docs/cli.md).
    #[arg(long, global = true)]
    pub json: bool,
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the webhook listener without a window.
    Serve(ServeArgs),
    /// Create, list, show, update and delete connections.
    #[command(subcommand)]
    Connections(ConnectionsCmd),
    /// Set or show a connection's mapping.
    #[command(subcommand)]
    Mapping(MappingCmd),
    /// Dry run: what a payload would do under a mapping (the same code as a real write).
    Preview(PreviewArgs),
    /// List stored records, or show one with its links (`inlet records accounts ID`).
    Records(RecordsArgs),
    /// Write a records view (filters and search applied) as CSV or NDJSON, streamed.
    Export(ExportArgs),
    /// A connection's request log, newest first.
    Requests(RequestsArgs),
    /// One logged request in full: headers, body and per-row outcomes.
    Request {
        /// The request id.
        id: String,
    },
    /// Re-run logged payloads through the connection's current mapping.
    Replay(ReplayArgs),
    /// Show or change settings.
    Settings(SettingsArgs),
}

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Address to listen on for this run (default: the saved listen address, 127.0.0.1:8750;
    /// `inlet settings --listen` changes that).
    #[arg(long, value_name = "ADDR")]
    pub listen: Option<String>,
    /// The public base URL senders use (e.g. your own reverse proxy). Saved when given.
    #[arg(long, value_name = "URL")]
    pub public_url: Option<String>,
    /// Start a tunnel for this listener and use its public URL for webhook URLs while it runs:
    /// cloudflared, ngrok, or bore[=HOST] (HOST: the bore relay, default bore.pub). See docs/tunnel.md.
    #[arg(long, value_name = "PROGRAM")]
    pub tunnel: Option<inlet_desktop::tunnel::TunnelSpec>,
    /// Requests waiting for the writer before answering 429.
    #[arg(long, hide = true)]
    pub queue: Option<usize>,
    /// Requests committed together at most (1 = one commit per request).
    #[arg(long, hide = true)]
    pub max_group: Option<usize>,
    /// Body limit in bytes.
    #[arg(long, hide = true)]
    pub body_limit: Option<usize>,
    /// Seconds a client has to send a request's headers; also how long an idle keep-alive
    /// connection stays open [default: 10].
    #[arg(long, value_name = "SECS")]
    pub header_timeout: Option<u64>,
    /// Seconds a client has to send a request's body once its headers are in [default: 60].
    #[arg(long, value_name = "SECS")]
    pub body_timeout: Option<u64>,
    /// Open connections at most; more wait to be accepted [default: 1024].
    #[arg(long, value_name = "N")]
    pub max_connections: Option<usize>,
    /// Body bytes held by requests in flight at most; past it requests wait, then get 429
    /// [default: 67108864 (64 MiB)].
    #[arg(long, value_name = "BYTES")]
    pub max_body_in_flight: Option<usize>,
    /// Skip the schema drift check (to measure what it costs; scripts/bench-host.sh).
    #[arg(long, hide = true)]
    pub no_drift_check: bool,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum KindArg {
    Accounts,
    Contacts,
    Events,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum BehaviorArg {
    Upsert,
    Update,
}

#[derive(Debug, Subcommand)]
// One command is parsed per process: the size of the largest variant costs nothing.
#[allow(clippy::large_enum_variant)]
pub enum ConnectionsCmd {
    /// Create a connection (disabled until a mapping is set; authorization enforced).
    Create {
        #[arg(long)]
        name: String,
        #[arg(long, value_enum)]
        kind: KindArg,
        #[arg(long, value_enum)]
        behavior: Option<BehaviorArg>,
    },
    /// List connections.
    List,
    /// Show one connection with its mapping.
    Show { id: String },
    /// Change a connection.
    Update {
        id: String,
        #[arg(long)]
        name: Option<String>,
        #[arg(long, value_enum)]
        behavior: Option<BehaviorArg>,
        #[arg(long, value_name = "BOOL", action = clap::ArgAction::Set)]
        enabled: Option<bool>,
        #[arg(long, value_name = "BOOL", action = clap::ArgAction::Set)]
        enforce_auth: Option<bool>,
        /// Replace the Authorization secret (the old one stops working at once).
        #[arg(long)]
        rotate_auth: bool,
        /// Set the public base URL of webhook URLs (shared by all connections).
        #[arg(long, value_name = "URL")]
        public_url: Option<String>,
        /// Keep the last N requests in the log (default 1000; 0: no limit on the count).
        #[arg(long, value_name = "N")]
        keep_requests: Option<u64>,
        /// Keep requests of the last N days only (default: no age limit; 0 goes back to that).
        #[arg(long, value_name = "N")]
        keep_days: Option<u64>,
        /// Keep bodies up to this total size, newest first (default 1GiB; 500MB, 2GiB…; 0: no limit).
        #[arg(long, value_name = "SIZE", value_parser = size_arg)]
        keep_bytes: Option<u64>,
        #[command(flatten)]
        trust: TrustArgs,
    },
    /// Delete a connection, its mapping and its request log (records stay).
    Delete { id: String },
    /// Schema drift: show it, or acknowledge it (the current shape becomes the baseline).
    #[command(subcommand)]
    Drift(DriftCmd),
    /// Check from outside: a HEAD to the public webhook URL must come back to a running listener.
    Check { id: String },
}

/// Signed webhooks (docs/design.md §12) and schema drift (§13).
#[derive(Debug, Args)]
pub struct TrustArgs {
    /// Require a signature: none, standard-webhooks, segment or hmac-sha256.
    #[arg(long, value_name = "SCHEME")]
    pub verify: Option<String>,
    /// The signing secret the sender uses (Standard Webhooks: whsec_…); generated when omitted.
    #[arg(long, value_name = "S", conflicts_with = "rotate_signing_secret")]
    pub signing_secret: Option<String>,
    /// Replace the signing secret with a new random one (the old one stops working at once).
    #[arg(long)]
    pub rotate_signing_secret: bool,
    /// The header the signature comes in (hmac-sha256; default X-Hub-Signature-256).
    #[arg(long, value_name = "H")]
    pub signature_header: Option<String>,
    /// How the signature is written (hmac-sha256): hex or base64.
    #[arg(long, value_name = "ENC")]
    pub signature_encoding: Option<String>,
    /// Text before the signature (hmac-sha256; default sha256= with the default header, else none).
    #[arg(long, value_name = "P", allow_hyphen_values = true)]
    pub signature_prefix: Option<String>,
    /// On schema drift: warn (write, and say so) or refuse (answer 422).
    #[arg(long, value_name = "warn|refuse")]
    pub on_drift: Option<String>,
}

#[derive(Debug, Subcommand)]
pub enum DriftCmd {
    /// The drift recorded since the mapping was saved or last acknowledged.
    Show { id: String },
    /// Accept the new shape: it becomes the baseline, and the records are cleared.
    Ack { id: String },
}

#[derive(Debug, Subcommand)]
pub enum MappingCmd {
    /// Validate, save and enable.
    Set {
        id: String,
        #[arg(long, value_name = "FILE")]
        file: PathBuf,
        /// Save without enabling the connection.
        #[arg(long)]
        no_enable: bool,
    },
    /// Print the saved mapping.
    Show { id: String },
}

#[derive(Debug, Args)]
pub struct PreviewArgs {
    #[arg(long, value_name = "FILE")]
    pub mapping: PathBuf,
    #[arg(long, value_name = "FILE")]
    pub payload: PathBuf,
    /// Plan against the stored records instead of an empty store.
    #[arg(long)]
    pub against_store: bool,
    /// With --against-store: plan as this connection's listener would (its kind and behavior, its
    /// stored event IDs).
    #[arg(long, value_name = "ID", requires = "against_store")]
    pub connection: Option<String>,
    /// The payload's content type (default: JSON; a .form / .txt file with `a=1&b=2` needs
    /// application/x-www-form-urlencoded).
    #[arg(long, value_name = "TYPE")]
    pub content_type: Option<String>,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum RecordKindArg {
    Accounts,
    Contacts,
    Events,
}

#[derive(Debug, Args)]
pub struct RecordsArgs {
    #[arg(value_enum)]
    pub kind: RecordKindArg,
    /// Show this record (its internal id) with its links instead of a list.
    #[arg(value_name = "ID")]
    pub id: Option<i64>,
    #[arg(long, value_name = "N", default_value_t = 100)]
    pub limit: usize,
    /// Start after this cursor (the `next page` a previous page printed).
    #[arg(long, value_name = "CURSOR")]
    pub after: Option<String>,
    #[command(flatten)]
    pub view: ViewArgs,
}

/// Which records a list or an export holds.
#[derive(Debug, Args)]
pub struct ViewArgs {
    #[arg(long, value_name = "ID")]
    pub connection: Option<String>,
    /// Only records whose ID, name/email, account or properties contain this text (any case).
    #[arg(long, value_name = "TEXT")]
    pub search: Option<String>,
    /// Events of this type only.
    #[arg(long = "type", value_name = "T")]
    pub event_type: Option<String>,
    /// Contacts or events of this account (internal id).
    #[arg(long, value_name = "ID")]
    pub account: Option<i64>,
    /// Events of this contact (internal id).
    #[arg(long, value_name = "ID")]
    pub contact: Option<i64>,
    /// Records that this request wrote last.
    #[arg(long, value_name = "RID")]
    pub request: Option<String>,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum ExportFormatArg {
    Csv,
    Ndjson,
}

#[derive(Debug, Args)]
pub struct ExportArgs {
    #[arg(value_enum)]
    pub kind: RecordKindArg,
    #[arg(long, value_enum, default_value = "csv")]
    pub format: ExportFormatArg,
    /// The file to write (default: standard output).
    #[arg(long, short, value_name = "FILE")]
    pub output: Option<PathBuf>,
    #[command(flatten)]
    pub view: ViewArgs,
}

#[derive(Debug, Args)]
pub struct RequestsArgs {
    /// The connection id.
    pub id: String,
    /// Requests on this page.
    #[arg(long, value_name = "N", default_value_t = 50)]
    pub limit: usize,
    /// Only requests whose body (or error) contains this text, without case.
    #[arg(long, value_name = "TEXT")]
    pub search: Option<String>,
    /// Only this status (202) or class (2xx, 4xx, 5xx).
    #[arg(long, value_name = "STATUS")]
    pub status: Option<String>,
    /// Only requests received at or after T (RFC 3339, or a date: midnight UTC).
    #[arg(long, value_name = "T")]
    pub since: Option<String>,
    /// Only requests received at or before T.
    #[arg(long, value_name = "T")]
    pub until: Option<String>,
    /// The next page: requests older than RID (the last one shown).
    #[arg(long, value_name = "RID")]
    pub before: Option<String>,
}

fn size_arg(s: &str) -> Result<u64, String> {
    inlet_desktop::service::requests::parse_size(s).map_err(|e| e.to_string())
}

#[derive(Debug, Args)]
pub struct ReplayArgs {
    /// The connection id.
    pub id: String,
    /// Replay one logged request.
    #[arg(
        long,
        value_name = "RID",
        conflicts_with = "all_since",
        required_unless_present = "all_since"
    )]
    pub request: Option<String>,
    /// Replay every logged payload received since TIME (RFC 3339 or a date) that was not written.
    #[arg(long, value_name = "TIME")]
    pub all_since: Option<String>,
    /// With --all-since: also replay requests that were written (200).
    #[arg(long, requires = "all_since")]
    pub include_written: bool,
}

#[derive(Debug, Args)]
pub struct SettingsArgs {
    #[arg(long, value_name = "ADDR")]
    pub listen: Option<String>,
    /// Public base URL of webhook URLs; "" goes back to the listen address.
    #[arg(long, value_name = "URL")]
    pub public_url: Option<String>,
    /// The database the app opens next time (without --db / INLET_DB).
    #[arg(long, value_name = "PATH")]
    pub data_file: Option<String>,
}
