// The mapping session the playground and the desktop mapping screen share, on the real
// WebAssembly core: each edit of the payload, mapping or existing records re-runs the preview.
import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadCore, type Core } from './core';
import { MappingSession } from './session.svelte';

let core: Core;
beforeAll(async () => {
  core = await loadCore(readFileSync(new URL('../wasm-pkg/inlet_wasm_bg.wasm', import.meta.url)));
});

const payload = JSON.stringify({ rows: [{ id: 'a1', name: 'Acme' }, { id: 'a2' }] });

describe('MappingSession', () => {
  it('previews the payload through the mapping, and again after each edit', () => {
    const s = new MappingSession(core, {
      payload,
      mapping: { version: 1, kind: 'accounts', wrapper_path: 'rows', match: { id: 'id' } },
    });
    if (!('plan' in s.result)) throw new Error(JSON.stringify(s.result));
    expect(s.result.plan.summary.create).toBe(2);
    expect(s.fields.map((f) => f.path)).toEqual(['id', 'name']);

    s.fillExisting();
    expect(JSON.parse(s.existing).accounts).toEqual([
      { id: 'a1', external_id: 'a1' },
      { id: 'a2', external_id: 'a2' },
    ]);
    if (!('plan' in s.result)) throw new Error(JSON.stringify(s.result));
    expect(s.result.plan.summary.update).toBe(2);

    s.mapping = { ...s.mapping, match: { custom: { path: 'id', property: '' } } };
    expect(s.mappingError?.field).toMatch(/^match/);
  });

  it('keeps the last good fields while the payload does not parse', () => {
    const s = new MappingSession(core, { payload, mapping: s0() });
    expect(s.fields.length).toBe(2);
    s.payload = '{"rows": [';
    expect(s.payloadError?.code).toBe('invalid_json');
    expect(s.fields.length).toBe(2);
  });

  it('suggests a mapping for a kind and keeps the behavior', () => {
    const s = new MappingSession(core, { payload, mapping: s0() });
    const m = s.suggest('accounts', 'update');
    expect([m.kind, m.wrapper_path, m.behavior, m.match?.id]).toEqual([
      'accounts',
      'rows',
      'update',
      'id',
    ]);
  });
});

function s0() {
  return { version: 1 as const, kind: 'accounts' as const, wrapper_path: 'rows' };
}
