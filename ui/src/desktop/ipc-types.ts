// Generated from the Rust types of inlet-desktop by `cargo test -p inlet-desktop --features ts --test ipc_types`
// (INLET_BLESS=1 rewrites it). Do not edit: change the Rust type.

import type { Behavior, DriftKind, Kind, Mapping } from '../lib/types';

/**
 * What kind of failure a command met; the UI words it by `message` and may act on the code.
 */
export type ErrorCode = "not_found" | "invalid" | "invalid_mapping" | "file" | "busy" | "unavailable" | "corrupt" | "store" | "tunnel" | "dialog" | "internal";

/**
 * The error every window command answers with, instead of a bare string: what kind it is, the
 * sentence to show, and whether doing the same again may succeed (the database was busy).
 */
export type CommandError = { code: ErrorCode, message: string, retry: boolean, };

/**
 * Which signature a connection requires.
 */
export type Scheme = "standard-webhooks" | "segment" | "hmac-sha256";

/**
 * How an `hmac-sha256` signature is written.
 */
export type Encoding = "hex" | "base64";

/**
 * The signature a connection requires.
 */
export type SignatureView = { scheme: Scheme, secret: string, 
/**
 * The header the signature is read from.
 */
header: string, 
/**
 * `hex` or `base64` (`hmac-sha256` only).
 */
encoding?: Encoding | null, 
/**
 * `hmac-sha256` only.
 */
prefix?: string | null, };

/**
 * One kind of drift in one field, as `connections show` reports it.
 */
export type DriftRecord = { kind: DriftKind, field: string, first_seen: string, last_seen: string, 
/**
 * Requests that showed it.
 */
requests: number, 
/**
 * Rows, over those requests, that showed it.
 */
rows: number, 
/**
 * The first request that showed it.
 */
example_request_id: string, expected: string, 
/**
 * As in the latest request that showed it.
 */
found: string, message: string, };

/**
 * What `connections show` and the window add to a connection.
 */
export type TrustView = { 
/**
 * `null` when no signature is required.
 */
signature: SignatureView | null, 
/**
 * `warn` or `refuse`.
 */
on_drift: "warn" | "refuse", 
/**
 * Drift not yet acknowledged, per kind and field.
 */
drift: Array<DriftRecord>, };

/**
 * What a connection keeps, as it applies: `None` is no limit on that measure.
 */
export type RetentionView = { keep_requests: number | null, keep_days: number | null, keep_bytes: number | null, };

export type ConnectionView = { id: string, name: string, kind: Kind, behavior: Behavior, enabled: boolean, enforce_auth: boolean, 
/**
 * The full header value senders must send, e.g. `Bearer inl_…`.
 */
authorization: string, webhook_url: string, has_mapping: boolean, 
/**
 * The saved mapping document (`show` only; lists leave it out).
 */
mapping?: Mapping, created_at: string, updated_at: string, 
/**
 * Requests in the log.
 */
requests: number, last_request_at: string | null, last_status: number | null, 
/**
 * True while the webhook URL reaches only this machine; `loopback_warning` says what to do.
 */
loopback_only: boolean, loopback_warning: string | null, 
/**
 * True when the webhook URL is reachable from outside and the connection neither enforces
 * its Authorization header nor checks a signature: anyone who learns the URL can post.
 */
unprotected: boolean, unprotected_warning: string | null, 
/**
 * The tunnel the webhook URL goes through (its state), while one runs.
 */
tunnel: TunnelState | null, 
/**
 * What the request log keeps (`null`: no limit on that measure).
 */
retention: RetentionView, 
/**
 * `null` when no signature is required.
 */
signature: SignatureView | null, 
/**
 * `warn` or `refuse`.
 */
on_drift: "warn" | "refuse", 
/**
 * Drift not yet acknowledged, per kind and field.
 */
drift: Array<DriftRecord>, };

/**
 * Changes to what a connection keeps; absent fields stay, 0 means no limit.
 */
export type RetentionPatch = { keep_requests: number | null, keep_days: number | null, keep_bytes: number | null, };

/**
 * Changes to the signature and drift settings; absent fields stay.
 */
export type TrustPatch = { 
/**
 * `none`, `standard-webhooks`, `segment` or `hmac-sha256`.
 */
verify?: Scheme | "none", 
/**
 * A secret to use (pasted from the sender).
 */
signing_secret?: string | null, 
/**
 * A new secret from the OS CSPRNG; the old one stops working at once.
 */
rotate_signing_secret?: boolean, 
/**
 * The header an `hmac-sha256` (or `segment`) signature comes in; empty for the default.
 */
signature_header?: string | null, 
/**
 * `hex` or `base64` (`hmac-sha256`).
 */
signature_encoding?: Encoding | null, 
/**
 * Text before the signature, e.g. `sha256=` (`hmac-sha256`); empty for none.
 */
signature_prefix?: string | null, 
/**
 * `warn` or `refuse`.
 */
on_drift?: "warn" | "refuse", };

/**
 * Fields to change; absent fields stay.
 */
export type ConnectionPatch = { name: string | null, behavior: Behavior | null, enabled: boolean | null, enforce_auth: boolean | null, 
/**
 * A new Authorization value; the old one stops working at once.
 */
rotate_auth: boolean, 
/**
 * Sets the public base URL (a setting shared by every connection's webhook URL).
 */
public_url: string | null, keep_requests: number | null, keep_days: number | null, keep_bytes: number | null, 
/**
 * `none`, `standard-webhooks`, `segment` or `hmac-sha256`.
 */
verify?: Scheme | "none", 
/**
 * A secret to use (pasted from the sender).
 */
signing_secret?: string | null, 
/**
 * A new secret from the OS CSPRNG; the old one stops working at once.
 */
rotate_signing_secret?: boolean, 
/**
 * The header an `hmac-sha256` (or `segment`) signature comes in; empty for the default.
 */
signature_header?: string | null, 
/**
 * `hex` or `base64` (`hmac-sha256`).
 */
signature_encoding?: Encoding | null, 
/**
 * Text before the signature, e.g. `sha256=` (`hmac-sha256`); empty for none.
 */
signature_prefix?: string | null, 
/**
 * `warn` or `refuse`.
 */
on_drift?: "warn" | "refuse", };

export type Deleted = { id: string, deleted: boolean, };

export type PayloadView = { request_id: string, received_at: string, content_type: string | null, status: number, 
/**
 * The body's length in bytes, as received.
 */
size: number, 
/**
 * The body as text (invalid UTF-8 replaced).
 */
body: string, 
/**
 * The body read as JSON (a form becomes one object), when it could be read.
 */
json: unknown, 
/**
 * Why it could not be read, or why it was not written.
 */
error: LoggedError | null, };

/**
 * The TypeScript shape of `ingest::LoggedSummary` (the request log's `summary`), which ts-rs
 * cannot derive (an optional struct flattened into it). `ipc_types` checks both against the same
 * stored JSON, so the two cannot drift apart unnoticed.
 */
export type LoggedCounts = { rows: number, created: number, updated: number, deleted: number, skipped: number, duplicates: number, errors: number, 
/**
 * Schema drift this request showed, one sentence per kind and field.
 */
drift?: Array<string> | null, 
/**
 * A Standard Webhooks redelivery: the request that wrote the message first.
 */
redelivery_of?: string | null, };

/**
 * The `error` of every failure body, and a request's `error` in the request log (docs/http.md,
 * "Bodies"): a stable `code` a sender's code can branch on and a `detail` a person can act on.
 * Made only from an `IngestError` or a fixed code, never from a store's or a library's own
 * message: a store failure says `store_unavailable` or `internal`, and its cause goes to the log.
 */
export type LoggedError = { code: string, detail: string, };

export type RequestSummary = { id: string, connection_id: string, received_at: string, method: string, content_type: string | null, status: number, 
/**
 * Body size in bytes.
 */
size: number, 
/**
 * The counts when planned, the drift, or the request a redelivery repeats.
 */
summary: LoggedCounts | null, 
/**
 * Why it was not written.
 */
error: LoggedError | null, replay_of: string | null, };

export type RequestDetail = { 
/**
 * Header name → value; Authorization is redacted.
 */
headers: Record<string, string>, query: string | null, 
/**
 * The raw body as text (invalid UTF-8 replaced; see `body_is_utf8`).
 */
body: string, body_is_utf8: boolean, 
/**
 * Per row: `{"index", "action", "reason"?, "error"?, "path"?, "warnings"?, "record_id"?}`.
 */
outcomes: unknown, id: string, connection_id: string, received_at: string, method: string, content_type: string | null, status: number, 
/**
 * Body size in bytes.
 */
size: number, 
/**
 * The counts when planned, the drift, or the request a redelivery repeats.
 */
summary: LoggedCounts | null, 
/**
 * Why it was not written.
 */
error: LoggedError | null, replay_of: string | null, };

/**
 * Which requests to list (docs/design.md §14); every part is optional.
 */
export type RequestQuery = { 
/**
 * Text in the body (or the error), without case.
 */
search: string | null, 
/**
 * A status (`202`) or a class (`2xx`, `4xx`).
 */
status: string | null, 
/**
 * Received at or after (RFC 3339, or a date: midnight UTC).
 */
since: string | null, 
/**
 * Received at or before.
 */
until: string | null, limit: number | null, 
/**
 * Only requests older than this request id: the next page.
 */
before: string | null, };

/**
 * One page of the log, newest first.
 */
export type RequestPage = { requests: Array<RequestSummary>, 
/**
 * The `before` that gives the next page, when there are older matches.
 */
next_before: string | null, };

/**
 * An answer as the log keeps it: the status, the row counts when planned, the error when not written.
 */
export type LoggedAnswer = { status: number, summary: LoggedCounts | null, error: LoggedError | null, };

/**
 * One row's action before and after (`None`: the row was not planned, e.g. under a 202).
 */
export type RowChange = { index: number, before: string | null, after: string | null, 
/**
 * The skip reason, error or duplicate event ID, before and after.
 */
before_detail: string | null, after_detail: string | null, };

export type ReplayItem = { 
/**
 * The logged request that was replayed.
 */
request_id: string, 
/**
 * The replay's own entry in the log.
 */
replay_id: string, 
/**
 * When the original request arrived (events without a timestamp take this time).
 */
received_at: string, status: number, written: boolean, 
/**
 * What the webhook would have answered.
 */
response: unknown, 
/**
 * The original's answer, as logged, and the replay's.
 */
before: LoggedAnswer, after: LoggedAnswer, 
/**
 * Per row, the action before → after.
 */
rows: Array<RowChange>, 
/**
 * Whether the status or any row's action differs.
 */
changed: boolean, };

export type ReplayReport = { connection_id: string, replayed: Array<ReplayItem>, written: number, not_written: number, 
/**
 * Replays whose answer or row actions differ from the original's.
 */
changed: number, };

/**
 * Which records a list shows. `after` is the cursor of the last record of the previous page
 * (`records` returns it as `next`): pages are read by key, never by offset.
 */
export type RecordFilter = { connection: string | null, search: string | null, limit: number | null, after: string | null, 
/**
 * Events of this type only.
 */
type: string | null, 
/**
 * Records that this request wrote last.
 */
request: string | null, 
/**
 * Contacts and events of this account.
 */
account: number | null, 
/**
 * Events of this contact.
 */
contact: number | null, 
/**
 * The one record with this internal id.
 */
id: number | null, };

/**
 * One page of a list and the cursor of the next (`None` on the last page).
 */
export type Page<R> = { records: Array<R>, next: string | null, };

/**
 * The account a contact or an event belongs to, as lists show it.
 */
export type AccountRef = { id: number, external_id: string | null, name: string | null, };

export type ContactRef = { id: number, external_id: string | null, email: string | null, };

/**
 * An account as the Data screen and `inlet records accounts` show it.
 */
export type AccountRecord = { id: number, external_id: string | null, name: string | null, properties: Record<string, unknown>, connection_id: string | null, 
/**
 * The request that last wrote it (none when written by hand or before requests were linked).
 */
request_id: string | null, created_at: string, updated_at: string, };

export type ContactRecord = { id: number, external_id: string | null, email: string | null, account: AccountRef | null, properties: Record<string, unknown>, connection_id: string | null, 
/**
 * The request that last wrote it.
 */
request_id: string | null, created_at: string, updated_at: string, };

export type EventRecord = { id: number, type: string, contact: ContactRef | null, account: AccountRef | null, timestamp: string, event_id: string | null, properties: Record<string, unknown>, received_at: string, connection_id: string | null, request_id: string | null, };

/**
 * An account, its contacts and the timeline of its events (newest first).
 */
export type AccountPage = { account: AccountRecord, contacts: Page<ContactRecord>, events: Page<EventRecord>, };

/**
 * A contact, its account and the timeline of its events (newest first).
 */
export type ContactPage = { contact: ContactRecord, account: AccountRecord | null, events: Page<EventRecord>, };

export type EventTypeRecord = { id: number, name: string, events: number, };

export type ExportFormat = "csv" | "ndjson";

/**
 * An export written where the save dialog said.
 */
export type ExportDone = { path: string, rows: number, };

export type TunnelProgram = "cloudflared" | "ngrok" | "bore";

/**
 * Where a tunnel is.
 */
export type TunnelStatus = "starting" | "up" | "down";

/**
 * A tunnel's state, as the settings page, `--json` and other processes see it.
 */
export type TunnelState = { 
/**
 * What runs, e.g. `bore=127.0.0.1`.
 */
tunnel: string, program: TunnelProgram, status: TunnelStatus, 
/**
 * The public base URL while up.
 */
url: string | null, 
/**
 * Why it went down the last time (the program's last words, or why Inlet stopped it).
 */
error: string | null, 
/**
 * Times the program was started again after it stopped.
 */
restarts: number, 
/**
 * The tunnel program's process id while it runs.
 */
pid: number | null, 
/**
 * When `status` last changed (RFC 3339).
 */
since: string, 
/**
 * Grows with every change of any tunnel in this process: of two states, the one with the
 * higher `seq` is newer. The window gets states both as events and as command answers, in
 * no fixed order, and keeps the newest.
 */
seq: number, };

export type Install = { debian: string, macos: string, cost: string, };

/**
 * A program found on the PATH.
 */
export type InstalledProgram = { program: TunnelProgram, 
/**
 * Its full path; None: not installed.
 */
path: string | null, install: Install, };

/**
 * What "check from outside" found.
 */
export type CheckReport = { url: string, 
/**
 * True when the webhook URL answered 200 from the listener it was meant to reach.
 */
ok: boolean, 
/**
 * True when the answer came from that listener (whatever its status).
 */
reached: boolean, status: number | null, 
/**
 * Round trip of the HEAD, in milliseconds.
 */
elapsed_ms: number, 
/**
 * What it means, in a sentence.
 */
message: string, };

/**
 * A running listener, as it recorded itself; records of listeners that are gone are ignored.
 */
export type ListenerRecord = { 
/**
 * Its process id on `host`.
 */
pid: number, 
/**
 * Where it listens, `HOST:PORT`.
 */
listen: string, 
/**
 * `window` or `serve`.
 */
process: string, 
/**
 * The value it answers `HEAD` with in `x-inlet-instance` (see "check from outside").
 */
instance: string, started_at: string, tunnel: TunnelState | null, 
/**
 * The machine it runs on (`INLET_HOSTNAME` when set, else the system's host name).
 */
host: string, 
/**
 * When it last said it runs; a listener counts as running while this is younger than the
 * staleness window (`INLET_LISTENER_STALE_SECS`, 30 s by default) and, on this host, while
 * its process exists.
 */
heartbeat_at: string, };

export type Settings = { 
/**
 * Where the listener binds (`inlet serve` and the app).
 */
listen_address: string, 
/**
 * The base of every webhook URL: the one set, else `http://{listen_address}`.
 */
public_base_url: string, 
/**
 * True when `public_base_url` was set (a tunnel), false when it follows the listen address.
 */
public_base_url_set: boolean, 
/**
 * The database this process has open.
 */
data_file: string, 
/**
 * The database the app opens next time without `--db` / `INLET_DB` (None: the default).
 */
configured_data_file: string | null, 
/**
 * The listeners running now (the window's, each `inlet serve`'s), with their tunnels.
 */
listeners: Array<ListenerRecord>, 
/**
 * The tunnel webhook URLs go through (or, when down, its state and last error).
 */
tunnel: TunnelState | null, };

/**
 * Fields to change; absent fields stay. An empty `public_base_url` goes back to the listen address.
 */
export type SettingsPatch = { listen_address: string | null, public_base_url: string | null, data_file: string | null, };

/**
 * The settings as the window shows them: the stored ones, and this window's own listener and
 * tunnel.
 */
export type ShellSettings = { 
/**
 * Where this window's listener is bound now (`None`: not running, see `listen_error`).
 */
listening_on: string | null, listen_error: string | null, 
/**
 * The tunnel this window runs (`settings.tunnel` may be another process's).
 */
window_tunnel: TunnelState | null, 
/**
 * Where the listener binds (`inlet serve` and the app).
 */
listen_address: string, 
/**
 * The base of every webhook URL: the one set, else `http://{listen_address}`.
 */
public_base_url: string, 
/**
 * True when `public_base_url` was set (a tunnel), false when it follows the listen address.
 */
public_base_url_set: boolean, 
/**
 * The database this process has open.
 */
data_file: string, 
/**
 * The database the app opens next time without `--db` / `INLET_DB` (None: the default).
 */
configured_data_file: string | null, 
/**
 * The listeners running now (the window's, each `inlet serve`'s), with their tunnels.
 */
listeners: Array<ListenerRecord>, 
/**
 * The tunnel webhook URLs go through (or, when down, its state and last error).
 */
tunnel: TunnelState | null, };

/**
 * Published after each logged request has been committed.
 */
export type Activity = { connection_id: string, request_id: string, status: number, received_at: string, };
