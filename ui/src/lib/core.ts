// Loads the WebAssembly core once and wraps its JSON-string functions with types.
// Used by the playground and the desktop configurator alike: no state besides the module itself.
import init, * as wasm from '../wasm-pkg/inlet_wasm.js';
import type {
  DriftResult,
  Failed,
  Inspection,
  Kind,
  LiquidTemplate,
  Mapping,
  PreviewResult,
} from './types';

export interface Core {
  version: string;
  inspect(payload: string, wrapperPath?: string): Inspection | Failed;
  validateMapping(mapping: Mapping | string): { ok: true; mapping: Mapping } | Failed;
  preview(
    payload: string,
    mapping: Mapping | string,
    directory?: string,
    contentType?: string,
  ): PreviewResult;
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
  runCase: (c) => JSON.parse(wasm.run_case(c)),
  suggestMapping: (payload, kind) => JSON.parse(wasm.suggest_mapping(payload, kind)),
  liquidTemplate: (m, extra) =>
    JSON.parse(wasm.liquid_template(text(m), extra ? JSON.stringify(extra) : null)),
  drift: (before, now, m) => JSON.parse(wasm.drift(before, now, text(m))),
};

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

export type { Failed, Inspection, LiquidTemplate, Mapping, PreviewResult };
