// Browser tests: the built playground (ui/dist) served over HTTP, driven in headless Chromium with
// the real WebAssembly core. Screenshots go to ui/screenshots/.
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { serve } from '../../scripts/serve.mjs';
import { launch } from './browser.mjs';

const ui = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const shots = join(ui, 'screenshots');
mkdirSync(shots, { recursive: true });

const { server, url } = await serve(join(ui, 'dist'), 0);
const browser = await launch();
const errors = [];
let failed = 0;

async function page() {
  const p = await browser.context.newPage();
  p.on('pageerror', (e) => errors.push(e.message));
  p.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
  return p;
}

async function test(name, fn) {
  const p = await page();
  try {
    await fn(p);
    console.log(`ok   ${name}`);
  } catch (e) {
    failed++;
    console.error(`FAIL ${name}\n${e.stack ?? e}`);
    await p
      .screenshot({ path: join(shots, `failed-${name.replace(/\W+/g, '-')}.png`), fullPage: true })
      .catch(() => {});
  } finally {
    await p.close();
  }
}

const open = async (p, hash = '') => {
  await p.goto(`${url}playground.html${hash}`);
  await p.waitForSelector('body[data-ready]', { timeout: 5000 });
};
const summary = (p) => p.locator('[data-testid=summary]').innerText();
const byId = (p, id) => p.locator(`[id="${id}"]`);
/** Picks `path` for the field `id` from the suggestions list, by typing part of it. */
async function pick(p, id, typed, path) {
  await byId(p, id).click();
  await byId(p, id).fill(typed);
  await p.locator(`[id="${id}-list"] li`, { hasText: path }).first().click();
  assert.equal(await byId(p, id).inputValue(), path);
}

const ACCOUNTS = JSON.stringify(
  {
    sync: 'nightly',
    items: [
      { acct_no: 'A-1', company: 'Initech', tier: 'gold', active: true },
      { acct_no: 'A-2', company: 'Globex', tier: 'silver', active: false },
      { acct_no: 'A-3', company: 'Umbrella', tier: null, active: true },
    ],
  },
  null,
  2,
);

await test('the page loads with a sample and its preview', async (p) => {
  await open(p);
  assert.match(await summary(p), /1 row/);
  assert.match(await summary(p), /1 create/);
  assert.equal(
    await p
      .locator('[data-sample=hightouch-row]')
      .getAttribute('class')
      .then((c) => c.includes('active')),
    true,
  );
  assert.match(
    await p.locator('[data-testid=liquid]').innerText(),
    /"email": \{\{ row\.email \| json \}\}/,
  );
  // The notes under the template quote template text as code, not between backticks.
  const notes = p.locator('[data-testid=liquid-notes] li');
  assert.ok((await notes.count()) > 0);
  assert.doesNotMatch((await notes.allInnerTexts()).join('\n'), /`/);
  assert.ok((await p.locator('[data-testid=liquid-notes] li code').count()) > 0);
  await p.screenshot({ path: join(shots, 'playground.png'), fullPage: true });
});

await test('paste a payload, pick fields, and the preview follows every edit', async (p) => {
  await open(p);
  await byId(p, 'payload').fill(ACCOUNTS);
  await p.locator('[data-kind=accounts]').click();
  // The wrapper is found in the pasted body; the suggested mapping reads it.
  assert.equal(await byId(p, 'wrapper_path').inputValue(), 'items');
  assert.match(await summary(p), /3 rows/);

  await pick(p, 'match.id', 'acct', 'acct_no');
  await pick(p, 'match.name', 'comp', 'company');
  assert.match(await summary(p), /3 creates/);
  const firstKey = await p
    .locator('[data-testid=preview] tbody tr')
    .first()
    .locator('.key')
    .innerText();
  assert.match(firstKey, /id = A-1/);

  // The option list shows the type and an example value.
  await byId(p, 'operation_path').click();
  const option = await p.locator('[id="operation_path-list"] li', { hasText: 'tier' }).innerText();
  assert.match(option, /string\|null/);
  assert.match(option, /"gold"/);
  await p.keyboard.press('Escape');

  // Update only: nothing exists yet, so every row is skipped.
  await p.getByRole('radio', { name: 'Update only' }).click();
  assert.match(await summary(p), /3 skips/);
  // With existing records from the payload, the first two rows update.
  await p.locator('#h-existing').click();
  await p.locator('[data-testid=fill-existing]').click();
  assert.match(await summary(p), /2 updates/);
  assert.match(await summary(p), /1 skip\b/);
  assert.deepEqual(
    await p
      .locator('[data-testid=preview] tbody tr')
      .evaluateAll((rows) => rows.map((r) => r.dataset.action)),
    ['update', 'update', 'skip'],
  );

  // Leave a property out: it disappears from the preview.
  assert.match(await p.locator('[data-testid=preview] tbody tr').first().innerText(), /tier/);
  await p.locator('.chip[data-key=tier]').click();
  assert.doesNotMatch(
    await p.locator('[data-testid=preview] tbody tr').first().locator('.props').innerText(),
    /tier/,
  );

  // A field that holds a boolean cannot be a key: a row error, highlighted with its path.
  await byId(p, 'match.name').fill('active');
  await byId(p, 'match.name').press('Enter');
  await byId(p, 'match.id').locator('..').locator('.clear').click();
  assert.match(await summary(p), /errors?/);
  const err = p.locator('tr[data-action=error]').first();
  // The message names the path as code, once: no backticks shown, no second "at active".
  const text = await err.innerText();
  assert.doesNotMatch(text, /`/);
  assert.equal(text.match(/active/g)?.length, 1, text);
  assert.equal(await err.locator('.message code').first().innerText(), 'active');
  await p.screenshot({ path: join(shots, 'row-errors.png'), fullPage: false });
});

await test('a shared link reopens the same state', async (p) => {
  await open(p);
  await p.locator('[data-sample=census]').click();
  await p.locator('[data-kind=contacts]').click();
  await pick(p, 'match.id', 'unique', 'unique_id');
  await byId(p, 'match.email').locator('..').locator('.clear').click();
  await p.getByRole('radio', { name: 'Update only' }).click();
  await p.locator('#h-existing').click();
  await p.locator('[data-testid=fill-existing]').click();
  const before = {
    payload: await byId(p, 'payload').inputValue(),
    id: await byId(p, 'match.id').inputValue(),
    email: await byId(p, 'match.email').inputValue(),
    summary: await summary(p),
    existing: await byId(p, 'existing').inputValue(),
  };
  await p.context().grantPermissions(['clipboard-read', 'clipboard-write'], { origin: url });
  await p.locator('[data-testid=share]').click();
  // The address bar may already hold an earlier edit's link: read both once the copy is done.
  await p.locator('[data-testid=share].done').waitFor();
  await p.waitForFunction(() => location.hash.startsWith('#s='));
  const link = await p.evaluate(() => location.href);
  const copied = await p.evaluate(() => navigator.clipboard.readText());
  assert.equal(copied, link);

  const q = await page();
  await open(q, new URL(link).hash);
  assert.equal(await byId(q, 'payload').inputValue(), before.payload);
  assert.equal(await byId(q, 'match.id').inputValue(), before.id);
  assert.equal(await byId(q, 'match.email').inputValue(), before.email);
  assert.equal(await byId(q, 'existing').inputValue(), before.existing);
  assert.equal(await summary(q), before.summary);
  assert.match(before.summary, /2 updates/);
  assert.equal(
    await q.getByRole('radio', { name: 'Update only' }).getAttribute('aria-checked'),
    'true',
  );
  await q.close();
});

await test('invalid JSON says where, and the preview says the listener would refuse it', async (p) => {
  await open(p);
  await byId(p, 'payload').fill('{\n  "email": "a@b.example",\n  "id": 7,\n}');
  const msg = p.locator('[data-testid=payload-error]');
  await msg.waitFor();
  assert.match(await msg.innerText(), /line 4, column 1/);
  assert.match(await msg.innerText(), /trailing comma/);
  assert.match(await p.locator('[data-testid=preview-error]').innerText(), /HTTP 400/);
  // The fields detected before stay available while the JSON is being fixed.
  await byId(p, 'match.id').click();
  assert.ok((await p.locator('[id="match.id-list"] li').count()) > 3);
  await p.keyboard.press('Escape');
  await p.screenshot({ path: join(shots, 'invalid-json.png'), fullPage: false });
  await byId(p, 'payload').fill('{"email": "a@b.example", "id": 7}');
  assert.equal(await msg.count(), 0);
  assert.match(await summary(p), /1 create/);
});

await test('events from the Segment sample, and the templates and mapping document', async (p) => {
  await open(p);
  await p.locator('[data-sample=segment]').click();
  assert.equal(await p.locator('[data-kind=events]').getAttribute('aria-checked'), 'true');
  assert.match(await summary(p), /4 rows/);
  // Identify, group and page calls carry no `event`: a constant type makes every row an event.
  await p.getByRole('radio', { name: 'Always the same' }).click();
  await byId(p, 'event.type.value').fill('Segment call');
  assert.match(await summary(p), /4 creates/);
  await p.getByRole('radio', { name: 'Batched' }).click();
  // The mapping reads the columns as they are: the batch is one filter call, at any batch size.
  assert.equal(
    (await p.locator('[data-testid=liquid]').innerText()).trim(),
    '{\n  "batch": {{ rows | json }}\n}',
  );
  assert.match(await p.locator('[data-testid=batch-advice]').innerText(), /any batch size/);
  await p.locator('[data-testid=batch-advice]').scrollIntoViewIfNeeded();
  await p.screenshot({ path: join(shots, 'liquid-batched-filter.png'), fullPage: false });
  // A nested path makes it a loop, with the advice to stay at 100 rows per request.
  await byId(p, 'event.contact_id').fill('context.user');
  await byId(p, 'event.contact_id').press('Enter');
  assert.match(await p.locator('[data-testid=liquid]').innerText(), /\{% for row in rows %\}/);
  assert.match(
    await p.locator('[data-testid=batch-advice]').innerText(),
    /100 rows per request or fewer/,
  );
  await p.locator('[data-testid=batch-advice]').scrollIntoViewIfNeeded();
  await p.screenshot({ path: join(shots, 'liquid-batched-loop.png'), fullPage: false });
  await byId(p, 'event.contact_id').fill('userId');
  await byId(p, 'event.contact_id').press('Enter');
  await p.getByRole('tab', { name: 'Mapping JSON' }).click();
  const doc = JSON.parse(await p.locator('[data-testid=mapping-json]').innerText());
  assert.deepEqual(doc.event.type, { value: 'Segment call' });
  assert.equal(doc.wrapper_path, 'batch');
  await p.screenshot({ path: join(shots, 'events.png'), fullPage: true });
});

// Polytomic's webhook body (its docs' shape): rows at object.records, each row's fields in `fields`.
const POLYTOMIC = JSON.stringify({
  event: 'sync.records',
  object: {
    id: '1ea8f90a-b22e-4218-86d5-c3c109e1fbb7',
    name: 'Webhook HTTP Endpoint sync',
    records: [
      {
        hash: 'b7421c6c57bd49f7',
        fields: { email: 'nathan@x.example', last_login: '2020-12-02T00:00:00Z' },
      },
      {
        hash: '5e1f0c2a9d8b7a61',
        fields: { email: 'rosa@x.example', last_login: '2020-12-03T00:00:00Z' },
      },
    ],
  },
});

await test('a pasted Polytomic body: rows and fields found below the top level', async (p) => {
  await open(p);
  await byId(p, 'payload').fill(POLYTOMIC);
  await p.locator('[data-kind=contacts]').click();
  assert.equal(await byId(p, 'wrapper_path').inputValue(), 'object.records');
  assert.equal(await byId(p, 'match.email').inputValue(), 'fields.email');
  assert.match(await summary(p), /2 rows/);
  assert.match(await summary(p), /2 creates/);
  assert.equal(await p.locator('[data-testid=preview-error]').count(), 0);
  const first = p.locator('[data-testid=preview] tbody tr').first();
  assert.match(await first.locator('.key').innerText(), /email = nathan@x\.example/);
  assert.match(await first.locator('.props').innerText(), /last_login/);
  // After an edit, "Suggest from the payload" maps the email again.
  await byId(p, 'match.email').locator('..').locator('.clear').click();
  assert.match(await p.locator('[data-testid=preview-error]').innerText(), /incomplete/);
  await p.getByRole('button', { name: 'Suggest from the payload' }).click();
  assert.equal(await byId(p, 'match.email').inputValue(), 'fields.email');
  assert.match(await summary(p), /2 creates/);
});

await test('the sender samples: Polytomic, Segment and RudderStack calls preview without errors', async (p) => {
  await open(p);
  for (const [id, kind, rows] of [
    ['polytomic', 'contacts', /2 creates/],
    ['segment-identify', 'contacts', /1 create/],
    ['segment-track', 'events', /1 create/],
    ['rudderstack-identify', 'contacts', /1 create/],
    ['rudderstack-track', 'events', /1 create/],
  ]) {
    await p.locator(`[data-sample=${id}]`).click();
    assert.equal(await p.locator(`[data-kind=${kind}]`).getAttribute('aria-checked'), 'true', id);
    assert.match(await summary(p), rows, id);
    assert.doesNotMatch(await summary(p), /error/, id);
  }
  await p.locator('[data-sample=rudderstack-identify]').click();
  assert.equal(await byId(p, 'match.email').inputValue(), 'context.traits.email');
  await p.locator('[data-sample=polytomic]').click();
  assert.equal(await byId(p, 'wrapper_path').inputValue(), 'object.records');
  await p.screenshot({ path: join(shots, 'playground-polytomic.png'), fullPage: true });
});

await test('a large batch: a page of rows, the failing rows further down, more on demand', async (p) => {
  await open(p);
  const rows = Array.from({ length: 250 }, (_, i) => ({
    email: i === 180 || i === 240 ? true : `p${i}@x.example`,
    plan: 'team',
  }));
  await byId(p, 'payload').fill(JSON.stringify({ rows }, null, 2));
  await p.locator('[data-kind=contacts]').click();
  assert.equal(await byId(p, 'match.email').inputValue(), 'email');
  assert.match(await summary(p), /250 rows/);
  assert.match(await summary(p), /2 errors/);
  const shown = (n) =>
    p.waitForFunction(
      (n) => document.querySelectorAll('[data-testid=preview] tbody tr').length === n,
      n,
      { timeout: 5000 },
    );
  const failing = p.locator('[data-testid=failing-below]');
  await shown(100);
  assert.match(await failing.innerText(), /Row 181:[\s\S]*Row 241:/);
  await p.locator('[data-testid=preview]').screenshot({ path: join(shots, 'preview-paged.png') });
  await p.locator('[data-testid=show-more]').click();
  await shown(200);
  assert.doesNotMatch(await failing.innerText(), /Row 181/);
  assert.match(await failing.innerText(), /Row 241/);
  await p.locator('[data-testid=show-more]').click();
  await shown(250);
  assert.equal(await p.locator('[data-testid=show-more]').count(), 0);
  assert.equal(await failing.count(), 0);
  const last = p.locator('[data-testid=preview] tbody tr').nth(249);
  assert.equal(await last.locator('td').first().innerText(), '250');
  assert.match(await last.innerText(), /p249@x\.example/);
  // An edit is a new preview: it starts again from its first page.
  await p.getByRole('radio', { name: 'Update only' }).click();
  assert.match(await summary(p), /248 skips/);
  await shown(100);
});

await test('a second payload shows the drift the listener would flag', async (p) => {
  await open(p);
  await p.locator('[data-sample=hightouch-batch]').click();
  assert.equal(await byId(p, 'match.id').inputValue(), 'account_id');
  await p.locator('#h-drift').click();
  await p.locator('[data-testid=drift-copy]').click();
  assert.match(await p.locator('[data-testid=drift-summary]').innerText(), /No drift/);

  // The sender's warehouse renamed `domain`, blanked the mapped `name`, and sends IDs as strings.
  const now = JSON.parse(await byId(p, 'payload').inputValue());
  now.rows = now.rows.map((r) => {
    const { domain, ...rest } = r;
    return { ...rest, account_id: String(r.account_id), name: '', website: domain };
  });
  await byId(p, 'drift-now').fill(JSON.stringify(now, null, 2));
  assert.match(
    await p.locator('[data-testid=drift-summary]').innerText(),
    /4 changes would be flagged \(3 rows against 3\)/,
  );
  const items = await p
    .locator('[data-testid=drift-list] li')
    .evaluateAll((li) => li.map((l) => `${l.dataset.kind} ${l.dataset.field}`));
  assert.deepEqual(items, [
    'mapped_field_blank name',
    'field_added website',
    'field_removed domain',
    'type_changed account_id',
  ]);
  assert.match(
    await p.locator('[data-testid=drift-list] li[data-kind=type_changed]').innerText(),
    /string in 3 rows; before, it was always a number/,
  );
  await p.locator('#h-drift').scrollIntoViewIfNeeded();
  await p.screenshot({ path: join(shots, 'drift.png'), fullPage: true });

  // A body that is not JSON says so in the second editor, not in the first.
  await byId(p, 'drift-now').fill('{"rows": [');
  await p.locator('[data-testid=drift-now-error]').waitFor();
  assert.equal(await p.locator('[data-testid=payload-error]').count(), 0);
});

await browser.close();
server.close();
if (errors.length) {
  failed++;
  console.error(`FAIL the page logged errors:\n${errors.join('\n')}`);
}
if (failed) {
  console.error(`browser tests: ${failed} failed`);
  process.exit(1);
}
console.log('browser tests: all passed');
