// One mapping session: a payload, the mapping being edited, the existing records to match
// against, and everything the WebAssembly core derives from them on each edit (the detected
// fields, the preview, the refused field, the Hightouch template). The playground and the
// desktop mapping screen each hold one; only their surroundings differ.
import {
  cleanMapping,
  exampleRecords,
  type Core,
  type Failed,
  type Inspected,
  type Problem,
} from './core';
import { blank, topLevelKeys } from './mapping';
import type { Field, Kind, Mapping } from './types';

export interface SessionStart {
  payload: string;
  mapping: Mapping;
  /** Existing records as the core's directory JSON; empty: none. */
  existing?: string;
  /** The payload's Content-Type, when it came with one (a form body reads differently). */
  contentType?: string;
}

export class MappingSession {
  readonly core: Core;
  payload = $state('');
  mapping = $state<Mapping>(blank('contacts'));
  existing = $state('');
  contentType = $state<string | undefined>(undefined);

  // The last good fields stay while the JSON is being typed.
  #fields: Field[] = [];
  #candidates: string[] = [];

  constructor(core: Core, start: SessionStart) {
    this.core = core;
    this.payload = start.payload;
    this.mapping = start.mapping;
    this.existing = start.existing ?? '';
    this.contentType = start.contentType;
  }

  readonly inspection = $derived.by((): Inspected | Failed =>
    this.core.inspect(this.payload, this.mapping.wrapper_path ?? ''),
  );
  readonly payloadError = $derived(this.inspection.ok ? null : this.inspection.error);
  readonly fields = $derived.by(() => {
    if (this.inspection.ok) this.#fields = this.inspection.fields;
    return this.#fields;
  });
  readonly candidates = $derived.by(() => {
    if (this.inspection.ok) this.#candidates = this.inspection.wrapper_candidates;
    return this.#candidates;
  });
  /** The preview's first page of rows (the table reads more on demand). */
  readonly result = $derived.by(() =>
    this.core.previewPage(this.payload, this.mapping, this.existing, this.contentType),
  );
  /** The core refused the mapping: its problem, with the field it concerns. */
  readonly mappingError = $derived(this.#problem('invalid_mapping'));
  /** The existing records are not a valid directory. */
  readonly existingError = $derived(
    this.existing.trim() ? this.#problem('invalid_directory') : null,
  );
  readonly template = $derived.by(() =>
    this.core.liquidTemplate(
      this.mapping,
      topLevelKeys(this.fields, this.mapping.properties?.path ?? ''),
    ),
  );

  #problem(code: string): Problem | null {
    const r = this.result;
    return !r.ok && 'error' in r && r.error.code === code ? r.error : null;
  }

  /** The mapping the core suggests for this payload and kind (tidied), keeping `behavior`. */
  suggest(kind: Kind, behavior?: Mapping['behavior'], payload = this.payload): Mapping {
    const s = this.core.suggestMapping(payload, kind);
    const m = s.ok ? s.mapping : blank(kind);
    if (behavior && kind !== 'events') m.behavior = behavior;
    return cleanMapping(m);
  }

  /** Example existing records from the payload, so the preview shows updates and skips too. */
  fillExisting(opts: { eventIds?: boolean } = {}) {
    const records = exampleRecords(this.payload, $state.snapshot(this.mapping) as Mapping, opts);
    this.existing = JSON.stringify(records, null, 2);
  }
}
