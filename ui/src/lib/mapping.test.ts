// The helpers around the mapping document, with the real WebAssembly core underneath.
import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { cleanMapping, exampleRecords, loadCore, readPath } from './core';
import { topLevelKeys } from './mapping';
import type { Mapping } from './types';

beforeAll(async () => {
  await loadCore(readFileSync(new URL('../wasm-pkg/inlet_wasm_bg.wasm', import.meta.url)));
});

describe('mapping helpers', () => {
  it('cleanMapping drops unset references and what the kind does not use', () => {
    const m: Mapping = {
      version: 1,
      kind: 'accounts',
      wrapper_path: '',
      match: { id: 'id', name: undefined, email: '' },
      account: { id: 'x' },
      properties: { path: '', exclude: [] },
      on_removed: 'delete',
    };
    expect(cleanMapping(m)).toEqual({
      version: 1,
      kind: 'accounts',
      wrapper_path: '',
      match: { id: 'id' },
    });
    // A document without a wrapper path (as an older link may hold) gets the root.
    const e = cleanMapping({
      version: 1,
      kind: 'events',
      behavior: 'update',
      match: {},
      event: { type: { path: 'event' }, contact_id: '' },
    });
    expect(e).toEqual({
      version: 1,
      kind: 'events',
      wrapper_path: '',
      event: { type: { path: 'event' } },
    });
  });

  it('readPath reads the path syntax of the spec', () => {
    const v = { a: { 'b.c': [{ d: 1 }] }, x: 2 };
    expect(readPath(v, 'a["b.c"][0].d')).toBe(1);
    expect(readPath(v, '$.x')).toBe(2);
    expect(readPath(v, 'a.missing.deeper')).toBeUndefined();
    expect(readPath(v, '')).toEqual(v);
    // A path the core refuses reads nothing (the form shows the core's error elsewhere).
    expect(readPath(v, 'a["b.c"')).toBeUndefined();
  });

  it('topLevelKeys lists the keys of a row (or of a sub-object)', () => {
    const fields = [
      'id',
      'traits',
      'traits.email',
      'traits.company',
      'traits.company.id',
      'tags[0]',
    ].map((path) => ({ path, type: 'string', example: '', present: 1 }));
    expect(topLevelKeys(fields)).toEqual(['id', 'traits']);
    expect(topLevelKeys(fields, 'traits')).toEqual(['email', 'company']);
  });

  it('existing records from a payload make the first rows match', () => {
    const body = { data: [{ uid: 7, email: 'A@x' }, { uid: 8 }, { uid: 9 }] };
    const m: Mapping = {
      version: 1,
      kind: 'contacts',
      wrapper_path: 'data',
      match: { id: 'uid', email: 'email' },
    };
    expect(exampleRecords(JSON.stringify(body), m)).toEqual({
      accounts: [],
      contacts: [
        { id: 'c1', external_id: '7', email: 'A@x' },
        { id: 'c2', external_id: '8' },
      ],
      event_ids: [],
    });
    const ev: Mapping = {
      version: 1,
      kind: 'events',
      event: { type: { value: 'X' }, contact_id: 'u', id: 'mid' },
    };
    expect(
      exampleRecords(JSON.stringify([{ u: 'a', mid: 'm1' }, { u: 'a' }, { u: 'b' }]), ev),
    ).toEqual({
      accounts: [],
      contacts: [
        { id: 'c1', external_id: 'a' },
        { id: 'c2', external_id: 'b' },
      ],
      event_ids: ['m1'],
    });
  });
});
