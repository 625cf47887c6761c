// The desktop app's only door to the host: Tauri commands named `<area>_<verb>`, each a thin
// dispatcher into the same service layer the CLI uses. What they take and answer is generated
// from the Rust types (ipc-types.ts); a failed command throws a `CommandFailed` (its code, the
// sentence to show, whether retrying may help), which `ErrorMessage` shows.
import type { Kind, Mapping, PreviewOutput } from '../lib/types';
import type * as ipc from './ipc-types';

export type { Behavior, Kind } from '../lib/types';
export type {
  CheckReport,
  CommandError,
  DriftRecord,
  ErrorCode,
  ExportFormat,
  InstalledProgram,
  ListenerRecord,
  LoggedAnswer,
  ReplayItem,
  ReplayReport,
  RequestDetail,
  RequestPage,
  RequestSummary,
  RowChange,
  Scheme,
  SignatureView,
  TunnelProgram,
  TunnelState,
} from './ipc-types';

export type Connection = ipc.ConnectionView;
export type LatestPayload = ipc.PayloadView;
/** The settings with this window's listener and tunnel. */
export type Settings = ipc.ShellSettings;
export type RowCounts = ipc.LoggedCounts;
export type EventType = ipc.EventTypeRecord;
export type ActivityEvent = ipc.Activity;

// What the commands take: every field may be left out (the host takes its default).
export type ConnectionPatch = Partial<ipc.ConnectionPatch>;
export type SettingsPatch = Partial<ipc.SettingsPatch>;
export type RequestQuery = Partial<ipc.RequestQuery>;
/** Which records the Data screen shows; `after` is the `next` cursor of the previous page. */
export type RecordFilter = Partial<ipc.RecordFilter>;

/** The records of each kind, as lists show them. */
export interface RecordOf {
  accounts: ipc.AccountRecord;
  contacts: ipc.ContactRecord;
  events: ipc.EventRecord;
}
/** A record page: an account with its contacts and events, a contact with its account, an event. */
export interface RecordPageOf {
  accounts: ipc.AccountPage;
  contacts: ipc.ContactPage;
  events: ipc.EventRecord;
}
/** A row of the Data screen's list, whatever its kind: the screen reads it column by column. */
export type RecordRow = Record<string, unknown>;

/** A command that failed, as the host said: a kind, the sentence, whether retrying may help. */
export class CommandFailed extends Error implements ipc.CommandError {
  code: ipc.ErrorCode;
  retry: boolean;
  constructor(e: ipc.CommandError) {
    super(e.message);
    this.name = 'CommandFailed';
    this.code = e.code;
    this.retry = e.retry;
  }
}

function isCommandError(e: unknown): e is ipc.CommandError {
  const o = e as Partial<ipc.CommandError> | null;
  return (
    !!o && typeof o === 'object' && typeof o.code === 'string' && typeof o.message === 'string'
  );
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
    if (isCommandError(e)) throw new CommandFailed(e);
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
  connectionsUpdate: (id: string, patch: ConnectionPatch) =>
    call<Connection>('connections_update', { id, patch }),
  connectionsDriftAck: (id: string) => call<Connection>('connections_drift_ack', { id }),
  connectionsRotate: (id: string) => call<Connection>('connections_rotate', { id }),
  connectionsDelete: (id: string) => call<ipc.Deleted>('connections_delete', { id }),
  payloadLatest: (id: string) => call<LatestPayload | null>('payload_latest', { id }),
  mappingSave: (id: string, mapping: Mapping) => call<Connection>('mapping_save', { id, mapping }),
  mappingCheck: (id: string, mapping: Mapping, payload: string, contentType: string | null) =>
    call<PreviewOutput>('mapping_check', { id, mapping, payload, contentType }),
  requestsList: (id: string, limit = 100) =>
    call<ipc.RequestSummary[]>('requests_list', { id, limit }),
  requestsShow: (requestId: string) => call<ipc.RequestDetail>('requests_show', { requestId }),
  requestsSearch: (id: string, query: RequestQuery) =>
    call<ipc.RequestPage>('requests_search', { id, query }),
  requestsReplay: (id: string, requestId: string | null, includeWritten = false) =>
    call<ipc.ReplayReport>('requests_replay', { id, requestId, includeWritten }),
  recordsList: <K extends Kind>(kind: K, search: string, limit = 200) =>
    call<RecordOf[K][]>('records_list', { kind, search, limit }),
  recordsPage: <K extends Kind>(kind: K, filter: RecordFilter) =>
    call<ipc.Page<RecordOf[K]>>('records_page', { kind, filter }),
  recordsRecord: <K extends Kind>(kind: K, id: number) =>
    call<RecordPageOf[K]>('records_record', { kind, id }),
  recordsTypes: () => call<EventType[]>('records_types'),
  recordsExport: (kind: Kind, filter: RecordFilter, format: ipc.ExportFormat) =>
    call<ipc.ExportDone | null>('records_export', { kind, filter, format }),
  settingsGet: () => call<Settings>('settings_get'),
  settingsSet: (patch: SettingsPatch) => call<Settings>('settings_set', { patch }),
  tunnelPrograms: () => call<ipc.InstalledProgram[]>('tunnel_programs'),
  tunnelStart: (tunnel: string) => call<ipc.TunnelState>('tunnel_start', { tunnel }),
  tunnelStop: () => call<void>('tunnel_stop'),
  connectionsCheck: (id: string) => call<ipc.CheckReport>('connections_check', { id }),
  /** A request was logged, or a tunnel changed (which moves every webhook URL): screens reload. */
  onActivity: async (cb: (e: ActivityEvent | null) => void) => {
    const a = await listen<ActivityEvent>('inlet://activity', cb);
    const t = await listen<ipc.TunnelState | null>('inlet://tunnel', () => cb(null));
    return () => {
      a();
      t();
    };
  },
  onTunnel: (cb: (t: ipc.TunnelState | null) => void) =>
    listen<ipc.TunnelState | null>('inlet://tunnel', cb),
};

/** A secret as the window shows it until asked: its prefix (`Bearer inl_`), then dots. */
export function masked(secret: string): string {
  return secret.slice(0, 11) + '•'.repeat(16);
}

export function ago(iso: string | null): string {
  if (!iso) return 'never';
  const s = Math.max(0, (Date.now() - new Date(iso).getTime()) / 1000);
  // A request that just arrived is not "0s ago".
  if (s < 5) return 'just now';
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
