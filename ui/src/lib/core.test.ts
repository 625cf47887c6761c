// The real WebAssembly core in Node, through the typed wrapper the pages use.
import { readFileSync } from 'node:fs';
import { Liquid } from 'liquidjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { exampleRecords, loadCore, type Core } from './core';
import { topLevelKeys } from './mapping';
import { SAMPLES } from './samples';
import type { Kind } from './types';

let core: Core;
beforeAll(async () => {
  core = await loadCore(readFileSync(new URL('../wasm-pkg/inlet_wasm_bg.wasm', import.meta.url)));
});

describe('core', () => {
  it('inspects a payload: rows, fields with type and example, a mapping per kind', () => {
    const ins = core.inspect(SAMPLES.find((s) => s.id === 'hightouch-batch')!.body);
    if (!ins.ok) throw new Error(ins.error.detail);
    expect(ins.suggested_wrapper_path).toBe('rows');
    expect(ins.rows).toBe(3);
    expect(ins.fields.find((f) => f.path === 'seats')).toEqual({
      path: 'seats',
      type: 'number|null',
      example: 1200,
      present: 3,
    });
    expect(Object.keys(ins.suggestions)).toEqual(['accounts', 'contacts', 'events']);
  });

  it('answers errors as values with where they are', () => {
    const bad = core.inspect('{"a": }');
    expect(bad.ok).toBe(false);
    if (!bad.ok)
      expect([bad.error.code, bad.error.line, bad.error.column]).toEqual(['invalid_json', 1, 7]);
    const refused = core.validateMapping({ version: 1, kind: 'accounts', match: {} });
    expect(refused.ok).toBe(false);
    if (!refused.ok) expect(refused.error.field).toBe('match');
  });

  it('previews with existing records: update, create and skip', () => {
    const mapping = {
      version: 1 as const,
      kind: 'accounts' as Kind,
      behavior: 'update' as const,
      wrapper_path: 'rows',
      match: { id: 'account_id' },
    };
    const body = SAMPLES.find((s) => s.id === 'hightouch-batch')!.body;
    const out = core.preview(
      body,
      mapping,
      JSON.stringify({ accounts: [{ id: 'a1', external_id: '42' }] }),
    );
    if (!('plan' in out)) throw new Error(JSON.stringify(out));
    expect(out.plan.rows.map((r) => r.action)).toEqual(['update', 'skip', 'skip']);
  });

  it('pages a large preview: the first rows, then more on demand, the same rows as the full answer', () => {
    const rows = Array.from({ length: 250 }, (_, i) =>
      i === 180 || i === 240 ? { name: `no id ${i}` } : { account_id: i, name: `A${i}` },
    );
    const body = JSON.stringify({ rows });
    const mapping = {
      version: 1 as const,
      kind: 'accounts' as Kind,
      wrapper_path: 'rows',
      match: { id: 'account_id' },
    };
    const full = core.preview(body, mapping);
    const paged = core.previewPage(body, mapping);
    if (!('plan' in full) || !('page' in paged)) throw new Error(JSON.stringify(paged));
    expect(paged.plan.rows).toEqual(full.plan.rows.slice(0, 100));
    expect(paged.plan.summary).toEqual(full.plan.summary);
    expect(paged.plan.summary.error).toBe(2);
    expect([paged.page.offset, paged.page.limit]).toEqual([0, 100]);
    // The failing rows, though neither is on the first page.
    expect(paged.page.errors.map((r) => r.index)).toEqual([180, 240]);
    const rest = [...paged.more(100), ...paged.more(200)];
    expect(rest).toEqual(full.plan.rows.slice(100));
    expect(paged.more(250)).toEqual([]);
    expect(paged.more(10, 3).map((r) => r.index)).toEqual([10, 11, 12]);
    // What the page reads is a fraction of the full answer.
    expect(JSON.stringify(paged).length).toBeLessThan(JSON.stringify(full).length / 2);
    const refused = core.previewPage(body, { version: 1, kind: 'accounts', match: {} });
    expect('page' in refused).toBe(false);
    expect(refused.ok).toBe(false);
  });

  // The template run through a real Liquid engine must produce a body the mapping reads without error.
  it.each(SAMPLES.map((s) => [s.id, s] as const))(
    'the Hightouch template of the %s mapping renders to a body it reads',
    async (_id, sample) => {
      const engine = new Liquid();
      const suggestion = core.suggestMapping(sample.body, sample.kind);
      if (!suggestion.ok) throw new Error(suggestion.error.detail);
      const mapping = suggestion.mapping;
      if (mapping.kind === 'events') mapping.event!.type = { value: 'Synced' };
      const ins = core.inspect(sample.body, mapping.wrapper_path);
      if (!ins.ok) throw new Error('sample is valid');
      const t = core.liquidTemplate(mapping, topLevelKeys(ins.fields));
      if (!t.ok) throw new Error(t.error.detail);
      // A warehouse row: every column the template names, with awkward values.
      const row = Object.fromEntries(
        t.columns.map((c, i) => [
          c.column,
          c.used_for === 'event.timestamp'
            ? '2024-05-01T12:00:00Z'
            : i % 2
              ? `va"lue ${i}\n`
              : i + 1,
        ]),
      );
      const single = JSON.parse(await engine.parseAndRender(t.single, { row }));
      const batch = JSON.parse(await engine.parseAndRender(t.batch, { rows: [row, row, row] }));
      // Events refer to contacts and accounts that exist already.
      const existing =
        mapping.kind === 'events'
          ? JSON.stringify(exampleRecords(JSON.stringify(batch), mapping))
          : undefined;
      const one = core.preview(JSON.stringify(single), mapping, existing);
      const three = core.preview(JSON.stringify(batch), mapping, existing);
      for (const [out, n] of [
        [one, 1],
        [three, 3],
      ] as const) {
        if (!('plan' in out)) throw new Error(JSON.stringify(out));
        expect(out.plan.summary.rows).toBe(n);
        expect(out.plan.summary.error, JSON.stringify(out.plan.rows)).toBe(0);
      }
    },
  );
});
