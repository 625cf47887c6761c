// The Data screen in the real window: records written through the window's own listener (real
// HTTP, connections made with the real `inlet` CLI on the same database), then paging, the
// account page (its contacts and its events, newest first), the contact page (its account), the
// request that wrote a record and that request's records, the event-type filter with its counts,
// and Export through GTK's save dialog (driven with xdotool, as a user's keyboard would) read back
// with Python's csv module.

import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import assert from 'node:assert/strict';
import { sleep } from './webdriver.mjs';

export async function dataPages({ session, shot, step, bin, env, listenPort }) {
  step('data: records for the record pages');
  const work = mkdtempSync(join(tmpdir(), 'inlet-e2e-data-'));
  const cli = (...args) => JSON.parse(execFileSync(bin, ['--json', ...args], { env, encoding: 'utf8' }));
  const connection = (name, kind, mapping) => {
    const c = cli('connections', 'create', '--name', name, '--kind', kind);
    const file = join(work, `${name}.json`);
    writeFileSync(file, JSON.stringify(mapping));
    cli('mapping', 'set', c.id, '--file', file);
    return c;
  };
  const post = async (c, body) => {
    const r = await fetch(`http://127.0.0.1:${listenPort}/hooks/${c.id}`, {
      method: 'POST',
      headers: {
        authorization: c.authorization,
        'content-type': 'application/json',
      },
      body: JSON.stringify(body),
    });
    assert.equal(r.status, 200, `${c.id}: ${await r.text()}`);
  };
  const accounts = connection('CRM accounts', 'accounts', {
    version: 1,
    kind: 'accounts',
    match: { id: 'id', name: 'name' },
  });
  const industries = ['Aerospace', 'Banking', 'Retail', 'Software'];
  await post(
    accounts,
    Array.from({ length: 60 }, (_, i) => ({
      id: `org-${i}`,
      name: i === 7 ? 'Globex Corporation' : `Company ${i}`,
      industry: industries[i % 4],
      plan: i % 3 ? 'growth' : 'enterprise',
      seats: 10 + i,
      address: { city: 'Springfield', country: 'US' },
    })),
  );
  const people = connection('CRM contacts', 'contacts', {
    version: 1,
    kind: 'contacts',
    match: { id: 'id', email: 'email' },
    account: { id: 'org' },
  });
  await post(people, [
    {
      id: 'p-1',
      email: 'hank.scorpio@globex.example',
      org: 'org-7',
      title: 'CEO',
      first_name: 'Hank',
    },
    {
      id: 'p-2',
      email: 'frank.grimes@globex.example',
      org: 'org-7',
      title: 'Engineer',
      first_name: 'Frank',
    },
  ]);
  const events = connection('Product events', 'events', {
    version: 1,
    kind: 'events',
    event: {
      type: { path: 'event' },
      contact_id: 'user',
      timestamp: 'at',
      id: 'mid',
    },
  });
  const evs = [
    ['Signed Up', '2026-11-02T09:00:00Z'],
    ['Invited Teammate', '2026-11-03T10:30:00Z'],
    ['Paid Invoice', '2026-11-05T14:00:00Z'],
    ['Paid Invoice', '2026-11-20T14:00:00Z'],
    ['Opened Ticket', '2026-11-24T08:15:00Z'],
  ];
  await post(
    events,
    evs.map(([event, at], i) => ({
      event,
      at,
      user: 'p-1',
      mid: `m-${i}`,
      amount: event === 'Paid Invoice' ? 1200 + i : undefined,
    })),
  );
  await post(events, [{ event: 'Signed Up', at: '2026-11-04T12:00:00Z', user: 'p-2', mid: 'm-9' }]);

  const nav = (name) =>
    session.exec(`[...document.querySelectorAll('nav button')].find(b => b.textContent.trim() === '${name}').click()`);
  const rowsShown = () => session.exec(`return document.querySelectorAll('[data-test=records] tbody tr').length`);
  await nav('Data');

  step('data: paging');
  await session.click('[data-test=data-accounts]');
  await session.waitText('[data-test=records]', 'Company 59');
  assert.equal(await rowsShown(), 50, 'a page of 50');
  assert.equal(await session.exec(`return document.querySelector('[data-test=page-next]').disabled`), false);
  await session.click('[data-test=page-next]');
  await session.waitText('[data-test=page-number]', 'Page 2');
  await session.waitText('[data-test=records]', 'Company 0');
  const second = await session.text('[data-test=records]');
  assert.ok(!second.includes('Company 59'), 'the second page does not repeat the first');
  await session.click('[data-test=page-prev]');
  await session.waitText('[data-test=records]', 'Company 59');

  step('data: account page');
  await session.type('[data-test=data-search]', 'GLOBEX CORP');
  await session.waitText('[data-test=records]', 'Globex Corporation');
  for (let i = 0; (await rowsShown()) !== 1; i++) {
    assert.ok(i < 50, 'the search narrows to one account');
    await sleep(100);
  }
  await session.exec(`document.querySelector('[data-test=records] tbody tr').click()`);
  await session.waitText('[data-test=record-title]', 'Globex Corporation');
  await session.waitText('[data-test=account-contacts]', 'hank.scorpio@globex.example');
  await session.waitText('[data-test=account-contacts]', 'frank.grimes@globex.example');
  const props = await session.text('[data-test=record-properties]');
  assert.ok(props.includes('industry') && props.includes('Software') && props.includes('Springfield'), props);
  const timeline = await session.exec(
    `return [...document.querySelectorAll('[data-test=timeline] li .pill')].map(p => p.textContent.trim())`,
  );
  assert.deepEqual(
    timeline,
    ['Opened Ticket', 'Paid Invoice', 'Paid Invoice', 'Signed Up', 'Invited Teammate', 'Signed Up'],
    'the account’s events, newest first',
  );
  await session.waitText('[data-test=written-by]', 'request');
  await shot('8b-data-account-page');

  step('data: contact page');
  await session.exec(
    `[...document.querySelectorAll('[data-test=account-contacts] tbody tr')].find(r => r.textContent.includes('hank.scorpio')).click()`,
  );
  await session.waitText('[data-test=record-title]', 'hank.scorpio@globex.example');
  await session.waitText('[data-test=contact-account]', 'Globex Corporation');
  assert.equal(await session.exec(`return document.querySelectorAll('[data-test=timeline] li').length`), 5);
  await shot('8c-data-contact-page');
  // Back from a contact reached from its account's page returns to that page, not the list.
  assert.equal((await session.text('[data-test=record-back]')).trim(), '← Back');
  await session.click('[data-test=record-back]');
  await session.waitText('[data-test=record-title]', 'Globex Corporation');
  await session.exec(
    `[...document.querySelectorAll('[data-test=account-contacts] tbody tr')].find(r => r.textContent.includes('hank.scorpio')).click()`,
  );
  await session.waitText('[data-test=record-title]', 'hank.scorpio@globex.example');
  await session.click('[data-test=contact-account]');
  await session.waitText('[data-test=record-title]', 'Globex Corporation');

  step('data: the request that wrote a record, and its records');
  await session.click('[data-test=request-records]');
  await session.find('[data-test=request-filter]');
  await session.waitText('[data-test=records]', 'Company 59');
  assert.equal(await rowsShown(), 50, 'the batch of 60 accounts, first page');
  await session.click('[data-test=page-next]');
  await session.waitText('[data-test=page-number]', 'Page 2');
  for (let i = 0; (await rowsShown()) !== 10; i++) {
    assert.ok(i < 50, `that request wrote 60 accounts (page 2 shows ${await rowsShown()})`);
    await sleep(100);
  }

  step('data: event types as a filter');
  await session.click('[data-test=data-events]');
  await session.waitText('[data-test=event-types]', 'Paid Invoice');
  const chip = await session.text('[data-test=event-type][data-name="Paid Invoice"]');
  assert.match(chip, /Paid Invoice\s*2/);
  await session.click('[data-test=event-type][data-name="Paid Invoice"]');
  for (let i = 0; (await rowsShown()) !== 2; i++) {
    assert.ok(i < 50, 'two Paid Invoice events');
    await sleep(100);
  }
  const types = await session.exec(
    `return [...document.querySelectorAll('[data-test=records] tbody tr td:first-child')].map(t => t.textContent.trim())`,
  );
  assert.deepEqual(types, ['Paid Invoice', 'Paid Invoice']);
  // An event's time is shown whole, never cut to "11/20/2026, 2:…".
  const cutTimes = await session.exec(`
    const at = [...document.querySelectorAll('[data-test=records] thead th')].findIndex(t => t.textContent.trim() === 'Time');
    return [...document.querySelectorAll('[data-test=records] tbody tr')]
      .map(r => r.children[at]).filter(td => td.scrollWidth > td.clientWidth).map(td => td.textContent);`);
  assert.deepEqual(cutTimes, [], 'times cut short in the events list');
  await shot('8d-data-events-by-type');

  step('data: Export with the save dialog');
  const out = join(work, 'paid-invoices.csv');
  await session.click('[data-test=export]');
  const x = (...a) => execFileSync('xdotool', a, { env, encoding: 'utf8' }).trim();
  const dialog = x('search', '--sync', '--name', '^Export$').split('\n')[0];
  x('windowfocus', '--sync', dialog);
  await sleep(500);
  x('key', '--clearmodifiers', 'ctrl+a');
  x('type', '--delay', '20', out);
  await sleep(300);
  x('key', 'Return');
  await session.waitText('[data-test=exported]', 'Exported 2 events', 20000);
  assert.ok(existsSync(out));
  const parsed = spawnSync(
    'python3',
    [
      '-c',
      "import csv, json, sys\nwith open(sys.argv[1], newline='', encoding='utf-8') as f: print(json.dumps(list(csv.DictReader(f, strict=True))))",
      out,
    ],
    { encoding: 'utf8' },
  );
  assert.equal(parsed.status, 0, parsed.stderr);
  const rows = JSON.parse(parsed.stdout);
  assert.deepEqual(
    rows.map((r) => [r.type, r.timestamp, r.contact_email, r['properties.amount']]),
    [
      ['Paid Invoice', '2026-11-20T14:00:00Z', 'hank.scorpio@globex.example', '1203'],
      ['Paid Invoice', '2026-11-05T14:00:00Z', 'hank.scorpio@globex.example', '1202'],
    ],
    'the view as shown: its filter applied, newest first',
  );
  await shot('8e-data-exported');
}
