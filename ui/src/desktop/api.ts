// The desktop app's only door to the host: Tauri commands named `<area>_<verb>`, each a thin
// dispatcher into the same service layer the CLI uses. Errors arrive as strings to show.

export type Kind = 'accounts' | 'contacts' | 'events';
export type Behavior = 'upsert' | 'update';

export interface LatestPayload {
  request_id: string;
  received_at: string;
  content_type: string | null;
  status: number;
  body: string;
  json: unknown | null;
  error: { code: string; detail: string } | null;
}

export interface Connection {
  id: string;
  name: string;
  kind: Kind;
  behavior: Behavior;
  enabled: boolean;
  enforce_auth: boolean;
  authorization: string;
  webhook_url: string;
  has_mapping: boolean;
  mapping?: unknown;
  created_at: string;
  updated_at: string;
  requests: number;
  last_request_at: string | null;
  last_status: number | null;
  /** True while the webhook URL reaches only this computer; the warning says what to do. */
  loopback_only: boolean;
  loopback_warning: string | null;
  /** Public URL, and neither the Authorization header enforced nor a signature checked. */
  unprotected: boolean;
  unprotected_warning: string | null;
  tunnel: TunnelState | null;
  /** What the request log keeps (null: no limit on that measure). */
  retention: Retention;
}

export interface Retention {
  keep_requests: number | null;
  keep_days: number | null;
  keep_bytes: number | null;
}

export type TunnelProgram = 'cloudflared' | 'ngrok' | 'bore';

export interface TunnelState {
  tunnel: string;
  program: TunnelProgram;
  status: 'starting' | 'up' | 'down';
  url: string | null;
  error: string | null;
  restarts: number;
  pid: number | null;
  since: string;
}

export interface InstalledProgram {
  program: TunnelProgram;
  path: string | null;
  install: { debian: string; macos: string; cost: string };
}

export interface CheckReport {
  url: string;
  ok: boolean;
  reached: boolean;
  status: number | null;
  elapsed_ms: number;
  message: string;
}

export interface ListenerRecord {
  pid: number;
  listen: string;
  process: string;
  started_at: string;
  tunnel: TunnelState | null;
}

export interface RowCounts {
  rows: number;
  created: number;
  updated: number;
  deleted: number;
  skipped: number;
  duplicates: number;
  errors: number;
}

export interface RequestSummary {
  id: string;
  connection_id: string;
  received_at: string;
  method: string;
  content_type: string | null;
  status: number;
  size: number;
  summary: RowCounts | null;
  error: { code: string; detail: string } | null;
  replay_of: string | null;
}

export interface RequestDetail extends RequestSummary {
  headers: Record<string, string>;
  query: string | null;
  body: string;
  body_is_utf8: boolean;
  outcomes: unknown;
}

/** A search of the request log; every part is optional. */
export interface RequestQuery {
  search?: string;
  /** A status (202) or a class (2xx, 4xx). */
  status?: string;
  /** RFC 3339. */
  since?: string;
  until?: string;
  limit?: number;
  /** The next page: requests older than this request id. */
  before?: string;
}

export interface RequestPage {
  requests: RequestSummary[];
  next_before: string | null;
}

export interface LoggedAnswer {
  status: number;
  summary: RowCounts | null;
  error: { code: string; detail: string } | null;
}

export interface RowChange {
  index: number;
  before: string | null;
  after: string | null;
  before_detail: string | null;
  after_detail: string | null;
}

export interface ReplayItem {
  request_id: string;
  replay_id: string;
  received_at: string;
  status: number;
  written: boolean;
  before: LoggedAnswer;
  after: LoggedAnswer;
  rows: RowChange[];
  changed: boolean;
}

export interface ReplayReport {
  connection_id: string;
  replayed: ReplayItem[];
  written: number;
  not_written: number;
  changed: number;
}

export interface Settings {
  listen_address: string;
  public_base_url: string;
  public_base_url_set: boolean;
  data_file: string;
  configured_data_file: string | null;
  /** Where this app's listener is bound right now (null: not running, see listen_error). */
  listening_on: string | null;
  listen_error: string | null;
  /** Every running listener (this window's, each `inlet serve`'s). */
  listeners: ListenerRecord[];
  /** The tunnel webhook URLs go through (maybe another process's). */
  tunnel: TunnelState | null;
  /** The tunnel this window runs. */
  window_tunnel: TunnelState | null;
}

export type RecordRow = Record<string, unknown>;

/** Which records the Data screen shows; `after` is the `next` cursor of the previous page. */
export interface RecordFilter {
  search?: string;
  type?: string;
  request?: string;
  account?: number;
  contact?: number;
  after?: string;
  limit?: number;
}

export interface RecordPage {
  records: RecordRow[];
  next: string | null;
}

export interface EventType {
  id: number;
  name: string;
  events: number;
}

export interface ActivityEvent {
  connection_id: string;
  request_id: string;
  status: number;
}

// Tauri's IPC as the window injects it (the app runs without `withGlobalTauri`, so no
// `window.__TAURI__` for a script that got into the page; these two calls are what
// @tauri-apps/api's `invoke` and `listen` do).
interface TauriInternals {
  invoke<T>(cmd: string, args?: Record<string, unknown>): Promise<T>;
  transformCallback(cb: (e: unknown) => void, once?: boolean): number;
}

function tauri(): TauriInternals {
  const t = (window as unknown as { __TAURI_INTERNALS__?: TauriInternals }).__TAURI_INTERNALS__;
  if (!t) throw new Error('Inlet desktop API is not available (open this page in the Inlet app)');
  return t;
}

async function call<T>(cmd: string, args: Record<string, unknown> = {}): Promise<T> {
  try {
    return await tauri().invoke<T>(cmd, args);
  } catch (e) {
    throw new Error(typeof e === 'string' ? e : e instanceof Error ? e.message : JSON.stringify(e));
  }
}

async function listen<T>(event: string, cb: (payload: T) => void): Promise<() => void> {
  const t = tauri();
  const handler = t.transformCallback((e) => cb((e as { payload: T }).payload));
  const eventId = await t.invoke<number>('plugin:event|listen', {
    event,
    target: { kind: 'Any' },
    handler,
  });
  return () => {
    void t.invoke('plugin:event|unlisten', { event, eventId }).catch(() => {});
  };
}

export const api = {
  connectionsList: () => call<Connection[]>('connections_list'),
  connectionsCreate: (name: string, kind: Kind) =>
    call<Connection>('connections_create', { name, kind }),
  connectionsShow: (id: string) => call<Connection>('connections_show', { id }),
  connectionsUpdate: (
    id: string,
    patch: {
      name?: string;
      behavior?: Behavior;
      enabled?: boolean;
      enforce_auth?: boolean;
      keep_requests?: number;
      keep_days?: number;
      keep_bytes?: number;
    },
  ) => call<Connection>('connections_update', { id, patch }),
  connectionsRotate: (id: string) => call<Connection>('connections_rotate', { id }),
  connectionsDelete: (id: string) => call<void>('connections_delete', { id }),
  payloadLatest: (id: string) => call<LatestPayload | null>('payload_latest', { id }),
  mappingSave: (id: string, mapping: unknown) => call<Connection>('mapping_save', { id, mapping }),
  mappingCheck: (id: string, mapping: unknown, payload: string, contentType: string | null) =>
    call<unknown>('mapping_check', { id, mapping, payload, contentType }),
  requestsList: (id: string, limit = 100) => call<RequestSummary[]>('requests_list', { id, limit }),
  requestsShow: (requestId: string) => call<RequestDetail>('requests_show', { requestId }),
  requestsSearch: (id: string, query: RequestQuery) =>
    call<RequestPage>('requests_search', { id, query }),
  requestsReplay: (id: string, requestId: string | null, includeWritten = false) =>
    call<ReplayReport>('requests_replay', { id, requestId, includeWritten }),
  recordsList: (kind: Kind, search: string, limit = 200) =>
    call<RecordRow[]>('records_list', { kind, search, limit }),
  recordsPage: (kind: Kind, filter: RecordFilter) =>
    call<RecordPage>('records_page', { kind, filter }),
  recordsRecord: (kind: Kind, id: number) =>
    call<Record<string, unknown>>('records_record', { kind, id }),
  recordsTypes: () => call<EventType[]>('records_types'),
  recordsExport: (kind: Kind, filter: RecordFilter, format: 'csv' | 'ndjson') =>
    call<{ path: string; rows: number } | null>('records_export', { kind, filter, format }),
  settingsGet: () => call<Settings>('settings_get'),
  settingsSet: (patch: { listen_address?: string; public_base_url?: string }) =>
    call<Settings>('settings_set', { patch }),
  tunnelPrograms: () => call<InstalledProgram[]>('tunnel_programs'),
  tunnelStart: (tunnel: string) => call<TunnelState>('tunnel_start', { tunnel }),
  tunnelStop: () => call<void>('tunnel_stop'),
  connectionsCheck: (id: string) => call<CheckReport>('connections_check', { id }),
  /** A request was logged, or a tunnel changed (which moves every webhook URL): screens reload. */
  onActivity: async (cb: (e: ActivityEvent | null) => void) => {
    const a = await listen<ActivityEvent>('inlet://activity', cb);
    const t = await listen<TunnelState | null>('inlet://tunnel', () => cb(null));
    return () => {
      a();
      t();
    };
  },
  onTunnel: (cb: (t: TunnelState | null) => void) =>
    listen<TunnelState | null>('inlet://tunnel', cb),
};

export function ago(iso: string | null): string {
  if (!iso) return 'never';
  const s = Math.max(0, (Date.now() - new Date(iso).getTime()) / 1000);
  if (s < 60) return `${Math.floor(s)}s ago`;
  if (s < 3600) return `${Math.floor(s / 60)} min ago`;
  if (s < 86400) return `${Math.floor(s / 3600)} h ago`;
  return new Date(iso).toLocaleString();
}

export function pretty(body: string): string {
  try {
    return JSON.stringify(JSON.parse(body), null, 2);
  } catch {
    return body;
  }
}
