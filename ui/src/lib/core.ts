// Loads the WebAssembly core once and wraps its JSON-string functions with types.
// Used by the playground and the desktop configurator alike: no state besides the module itself.
import init, * as wasm from '../wasm-pkg/inlet_wasm.js';
import type {
  Drift,
  Inspection,
  Kind,
  Mapping,
  PreviewOutput,
  Problem as CoreProblem,
  RowPlan,
  Template,
} from './types';

// The answers' envelopes, which the WebAssembly face adds around the core's own (generated) types.

/** An error answer: the core's problem, or a JSON syntax error with where it is (1-based). */
export interface Problem extends Omit<CoreProblem, 'status' | 'field'> {
  status?: number;
  /** The mapping field a mapping error concerns, e.g. `match.email`. */
  field?: string;
  line?: number;
  column?: number;
}

export interface Failed {
  ok: false;
  error: Problem;
}

/** The field picker's data, with a suggested mapping per kind. */
export type Inspected = Inspection & { ok: true; suggestions: Record<Kind, Mapping> };

export type LiquidTemplate = Template & { ok: true };

export type PreviewResult = PreviewOutput | Failed;

/** Rows of a plan the page reads at a time. */
export const PAGE_ROWS = 100;

/** What a paged answer says of the plan beyond its rows. */
export interface Page {
  /** The index of the first row of `plan.rows` (at most the number of rows). */
  offset: number;
  /** At most this many rows are in `plan.rows`. */
  limit: number;
  /** How many rows of the whole plan have warnings. */
  warned: number;
  /** The first `limit` rows that fail, wherever they are in the plan. */
  errors: RowPlan[];
}

type PlanOutput = Extract<PreviewOutput, { plan: unknown }>;

/**
 * The preview as the page reads it: a plan's first rows, its summary of all of them, and
 * `more(offset, limit)` to read further rows (the same inputs planned again: the plan is
 * deterministic, so the rows are those of this answer). Answers without a plan are the same as
 * `preview`'s.
 */
export type PreviewPage =
  | (PlanOutput & { page: Page; more(offset: number, limit?: number): RowPlan[] })
  | Exclude<PreviewOutput, PlanOutput>
  | Failed;

/** What the playground's drift comparison answers. */
export interface DriftResult {
  ok: true;
  baseline_rows: number;
  rows: number;
  drift: Drift[];
}

export interface Core {
  version: string;
  inspect(payload: string, wrapperPath?: string): Inspected | Failed;
  validateMapping(mapping: Mapping | string): { ok: true; mapping: Mapping } | Failed;
  preview(
    payload: string,
    mapping: Mapping | string,
    directory?: string,
    contentType?: string,
  ): PreviewResult;
  /**
   * The same preview with only the first `limit` rows of the plan in it: reading the answer of a
   * large batch costs the page as much as planning it, a page of it a fraction of that.
   */
  previewPage(
    payload: string,
    mapping: Mapping | string,
    directory?: string,
    contentType?: string,
    limit?: number,
  ): PreviewPage;
  runCase(caseJson: string): unknown;
  suggestMapping(payload: string, kind: Kind): { ok: true; mapping: Mapping } | Failed;
  liquidTemplate(mapping: Mapping | string, extraFields?: string[]): LiquidTemplate | Failed;
  /** What the listener would flag if `before` were the rows accepted so far and `now` the next request. */
  drift(before: string, now: string, mapping: Mapping | string): DriftResult | Failed;
}

const text = (m: Mapping | string) => (typeof m === 'string' ? m : JSON.stringify(m));

const core: Core = {
  get version() {
    return wasm.core_version();
  },
  inspect: (payload, wrapperPath) => JSON.parse(wasm.inspect(payload, wrapperPath ?? null)),
  validateMapping: (m) => JSON.parse(wasm.validate_mapping(text(m))),
  preview: (payload, m, directory, contentType) =>
    JSON.parse(
      wasm.preview(payload, text(m), directory?.trim() ? directory : null, contentType ?? null),
    ),
  previewPage: (payload, m, directory, contentType, limit = PAGE_ROWS) => {
    const args = [
      payload,
      text(m),
      directory?.trim() ? directory : null,
      contentType ?? null,
    ] as const;
    const read = (offset: number, n: number) => JSON.parse(wasm.preview_page(...args, offset, n));
    const out = read(0, limit);
    if ('page' in out)
      out.more = (offset: number, n = limit): RowPlan[] => {
        const next = read(offset, n);
        return 'page' in next ? next.plan.rows : [];
      };
    return out;
  },
  runCase: (c) => JSON.parse(wasm.run_case(c)),
  suggestMapping: (payload, kind) => JSON.parse(wasm.suggest_mapping(payload, kind)),
  liquidTemplate: (m, extra) =>
    JSON.parse(wasm.liquid_template(text(m), extra ? JSON.stringify(extra) : null)),
  drift: (before, now, m) => JSON.parse(wasm.drift(before, now, text(m))),
};

/**
 * The mapping as the form shows and sends it, tidied by the core: blank references dropped, the
 * sections the kind does not read removed. Needs the module loaded (see `loadCore`).
 */
export function cleanMapping(m: Mapping): Mapping {
  const r = JSON.parse(wasm.clean_mapping(JSON.stringify(m)));
  return r.ok ? r.mapping : m;
}

/**
 * The value at a path of the core's path language (`a.b`, `items[0]`, `traits["first.name"]`,
 * `$.`), read by the core; undefined if a step is missing or the path is not valid.
 */
export function readPath(value: unknown, path: string): unknown {
  const r = JSON.parse(wasm.read_path(JSON.stringify(value) ?? 'null', path));
  return r.ok && r.found ? r.value : undefined;
}

/** Existing records as the core's preview reads them (its directory JSON). */
export interface ExistingRecords {
  accounts: { id: string; external_id?: string; name?: string }[];
  contacts: { id: string; external_id?: string; email?: string }[];
  event_ids: string[];
}

/**
 * Example existing records from a payload, so that a preview shows updates (and, with
 * `update`, skips) as well as creates: the first two rows' records, or for events the contacts
 * and accounts they refer to (and the first event's ID unless `eventIds` is false). The core
 * reads the rows and their keys, as it reads a request's.
 */
export function exampleRecords(
  payload: string,
  m: Mapping,
  opts: { eventIds?: boolean } = {},
): ExistingRecords {
  const r = JSON.parse(wasm.example_directory(payload, JSON.stringify(m), opts.eventIds !== false));
  return r.directory;
}

let loading: Promise<Core> | null = null;

/**
 * Loads the module (fetched next to the script in a browser; pass the bytes in Node).
 * Every later call returns the same promise.
 */
export function loadCore(source?: BufferSource | WebAssembly.Module): Promise<Core> {
  if (!loading) {
    loading = (async () => {
      if (source) wasm.initSync({ module: source });
      else await init();
      return core;
    })();
  }
  return loading;
}

export type { Mapping };
