// The Hightouch templates through a real Liquid engine (liquidjs) at a real batch size: 1,000 rows
// per request. Hightouch has failed loop templates with "Maximum call stack size exceeded" at large
// batches; a mapping that reads the columns as they are gets one `rows | json` call instead.
import { readFileSync } from 'node:fs';
import { Liquid } from 'liquidjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadCore, type Core } from './core';
import type { Mapping } from './types';

let core: Core;
beforeAll(async () => {
  core = await loadCore(readFileSync(new URL('../wasm-pkg/inlet_wasm_bg.wasm', import.meta.url)));
});

const ROWS = 1000;

/** A warehouse row for each column the template names, with awkward values. */
function rows(columns: string[]): Record<string, unknown>[] {
  return Array.from({ length: ROWS }, (_, i) =>
    Object.fromEntries([
      ...columns.map((c) => [
        c,
        c.includes('email')
          ? `user${i}@x.example`
          : c.includes('id')
            ? i
            : i % 3 === 0
              ? null
              : `Zoë "${c}"\n${i} \\ ✓`,
      ]),
      ['a_column_the_template_does_not_name', i],
    ]),
  );
}

async function renderAndPreview(mapping: Mapping, extra: string[]) {
  const t = core.liquidTemplate(mapping, extra);
  if (!t.ok) throw new Error(t.error.detail);
  const data = rows(t.columns.map((c) => c.column));
  const text = await new Liquid().parseAndRender(t.batch, { rows: data });
  const out = core.preview(text, mapping);
  if (!('plan' in out)) throw new Error(JSON.stringify(out));
  return { t, data, body: JSON.parse(text), plan: out.plan };
}

describe('the batched Hightouch template at 1,000 rows', () => {
  it('is one filter call where the mapping reads the columns as they are', async () => {
    const mapping: Mapping = {
      version: 1,
      kind: 'contacts',
      wrapper_path: 'rows',
      match: { id: 'user_id', email: 'email' },
      account: { name: 'company_name' },
    };
    const { t, data, body, plan } = await renderAndPreview(mapping, ['plan']);
    expect(t.batch).toBe('{\n  "rows": {{ rows | json }}\n}\n');
    expect(t.notes.join('\n')).toMatch(/one filter call.*any batch size/);
    expect(t.notes.join('\n')).not.toMatch(/100 rows/);
    expect(body.rows).toEqual(data);
    expect(plan.summary.rows).toBe(ROWS);
    expect(plan.summary.create).toBe(ROWS);
    expect(plan.summary.error).toBe(0);
    // A row with no nulls: every column it had is a property, exactly.
    const row = plan.rows[ROWS - 2];
    if (row.action !== 'create') throw new Error(JSON.stringify(row));
    expect(row.record.properties).toEqual(data[ROWS - 2]);
  });

  it('keeps the loop otherwise, and its notes say to stay at 100 rows per request', async () => {
    const mapping: Mapping = {
      version: 1,
      kind: 'contacts',
      wrapper_path: 'data',
      match: { id: 'user_id', email: 'traits.email' },
      account: { name: 'company.name' },
    };
    const { t, body, plan } = await renderAndPreview(mapping, ['plan']);
    expect(t.batch).toContain('{% for row in rows %}');
    expect(t.notes.join('\n')).toMatch(/100 rows per request or fewer/);
    expect(body.data).toHaveLength(ROWS);
    expect(body.data[7].traits.email).toBe('user7@x.example');
    expect(plan.summary.create).toBe(ROWS);
    expect(plan.summary.error).toBe(0);
  });
});
