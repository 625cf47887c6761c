// The connection settings, the request log and replay in the real window, as a user drives them
// (docs/design.md §9, §14): the Connections list with a connection in it, a second connection's Name,
// Behavior, Enable, Enforce, Rotate (the old Authorization value is refused at once), Copy, the
// Requests search, Replay and Replay all with their before → after tables. Every effect is
// checked with real HTTP against the window's own listener. Called once from e2e.mjs.

import assert from 'node:assert/strict';
import { sleep } from './webdriver.mjs';

/**
 * @param {object} t
 * @param {import('./webdriver.mjs').Session} t.session
 * @param {(name: string) => Promise<void>} t.shot
 * @param {(what: string) => void} t.step
 * @param {(name: string) => Promise<unknown>} t.nav  clicks a button of the side navigation
 * @param {string} t.firstName  the name of the connection that already exists
 */
export async function logSteps({ session, shot, step, nav, firstName }) {
  const s = session;
  const byText = (css, text) =>
    s.exec(
      `return [...document.querySelectorAll(arguments[0])].find(e => e.textContent.includes(arguments[1])) ? true : false`,
      [css, text],
    );
  const clickText = (css, text) =>
    s.exec(`[...document.querySelectorAll(arguments[0])].find(e => e.textContent.includes(arguments[1])).click()`, [
      css,
      text,
    ]);
  const until = async (what, check, ms = 10000) => {
    const end = Date.now() + ms;
    while (Date.now() < end) {
      if (await check()) return;
      await sleep(150);
    }
    throw new Error(`never: ${what}`);
  };
  const switchIn = (rowText) =>
    `[...document.querySelectorAll('.switch input[type=checkbox]')].find(i => i.closest('.row').textContent.includes(${JSON.stringify(rowText)}))`;

  step('the Connections list with a connection in it');
  await nav('Connections');
  await s.waitText('[data-test=connections] tbody', firstName);
  const listed = await s.text('[data-test=connections] tbody tr');
  assert.match(listed, /contacts/);
  assert.match(listed, /Enabled/);
  await shot('20-connections-list');

  step('a second connection: name, behavior, enable, enforce, rotate, copy');
  await s.click('[data-test=add-connection]');
  await s.type('[data-test=new-name]', 'CRM accounts');
  await s.exec(
    `const k = document.querySelector('[data-test=new-kind]'); k.value = 'accounts'; k.dispatchEvent(new Event('change', {bubbles: true}));`,
  );
  await s.click('[data-test=create]');
  const url = await s.attr('[data-test=webhook-url]', 'data-value');
  let auth = await s.attr('[data-test=authorization]', 'data-value');
  const post = (body, a = auth) =>
    fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(a ? { authorization: a } : {}) },
      body: JSON.stringify(body),
    });
  const status = async (body, a = auth) => (await post(body, a)).status;

  // Name: the header and the list follow the field.
  await s.type('[data-test=name]', 'Salesforce accounts');
  await s.exec(`document.querySelector('[data-test=name]').dispatchEvent(new Event('change', {bubbles: true}))`);
  await s.waitText('.page-head h1', 'Salesforce accounts');

  // What arrived while nothing was mapped is logged, not written (202).
  assert.equal(await status([{ id: 'a1', name: 'Acme' }, { id: 'a2', name: 'Globex' }]), 202);
  await s.waitText('[data-test=latest-payload]', 'Globex');
  await s.click('[data-test=finish-setup]');
  await s.waitText('[data-test=preview-summary]', 'create');
  await s.click('[data-test=save-mapping]');
  await s.waitText('[data-test=enabled-pill]', 'Enabled');

  // Behavior: update only skips a row that matches nothing; upsert creates it.
  await s.exec(`document.querySelectorAll('[data-test=behavior] [role=radio]')[1].click()`);
  await until('update only saved', async () => (await s.exec(`return document.querySelectorAll('[data-test=behavior] [role=radio]')[1].getAttribute('aria-checked')`)) === 'true');
  await sleep(300);
  const skipped = await (await post([{ id: 'a3', name: 'Initech' }])).json();
  assert.equal(skipped.skipped, 1, JSON.stringify(skipped));
  await s.exec(`document.querySelectorAll('[data-test=behavior] [role=radio]')[0].click()`);
  await sleep(500);
  const created = await (await post([{ id: 'a4', name: 'Umbrella' }])).json();
  assert.equal(created.created, 1, JSON.stringify(created));

  // Enable: off → logged only (202); on → written again.
  await s.exec(`document.querySelector('[data-test=enabled]').click()`);
  await s.waitText('[data-test=enabled-pill]', 'Disabled');
  assert.equal(await status([{ id: 'a5', name: 'Hooli' }]), 202);
  // The page reloads the connection when a request arrives; switch it on once that is shown.
  await s.waitText('[data-test=latest-payload]', 'Hooli');
  await sleep(300);
  await s.exec(`document.querySelector('[data-test=enabled]').click()`);
  await s.waitText('[data-test=enabled-pill]', 'Enabled');

  // Enforce: off → a request without the header is taken; on → refused (401).
  await s.exec(`${switchIn('Enforce authorization')}.click()`);
  await until('enforce off', () => byText('.row', 'Any request is accepted'));
  await sleep(300);
  assert.equal(await status([{ id: 'a6', name: 'Stark' }], null), 200);
  // As above: the request reloads the page; a click before that reload shows can be undone by it.
  await s.waitText('[data-test=latest-payload]', 'Stark');
  await sleep(300);
  await s.exec(`${switchIn('Enforce authorization')}.click()`);
  await until('enforce back on', () => byText('.row', 'Requests without this header are refused'));
  await sleep(300);
  assert.equal(await status([{ id: 'a6', name: 'Stark' }], null), 401);

  // Rotate: the old value stops working at once, the new one works.
  await s.exec(`window.confirm = () => true`);
  await s.click('[data-test=rotate]');
  const old = auth;
  await until('a new Authorization value', async () => (await s.attr('[data-test=authorization]', 'data-value')) !== old);
  auth = await s.attr('[data-test=authorization]', 'data-value');
  assert.match(auth, /^Bearer inl_[A-Za-z0-9_-]{43}$/);
  assert.equal(await status([{ id: 'a7', name: 'Wayne' }], old), 401, 'the old Authorization value still works');
  assert.equal(await status([{ id: 'a7', name: 'Wayne' }]), 200);

  // Copy: the button copies the whole (new) value, though the page shows it masked.
  await s.click('[data-test=authorization-copy]');
  await s.exec(
    `const t = document.createElement('textarea'); t.id = 'paste-auth'; document.querySelector('main').append(t); t.focus();`,
  );
  const paste = await s.find('#paste-auth');
  await s.cmd('POST', `/element/${paste}/value`, { text: '\uE009v\uE009' });
  const pasted = await s.exec(`const t = document.getElementById('paste-auth'); const v = t.value; t.remove(); return v`);
  assert.equal(pasted, auth, 'Copy copies the Authorization value');

  // Retention: the connection keeps what the user sets.
  await s.type('[data-test=keep-days]', '30');
  await s.exec(`document.querySelector('[data-test=keep-days]').dispatchEvent(new Event('change', {bubbles: true}))`);
  await s.waitText('[data-test=retention]', 'Saved');
  await shot('21-connection-settings');

  // What typing does to the search field: its value, then an input event.
  const search = (text) =>
    s.exec(
      `const i = document.querySelector('[data-test=request-search]'); i.value = arguments[0]; i.dispatchEvent(new Event('input', {bubbles: true}));`,
      [text],
    );

  step('the Requests search');
  await s.click('[data-test=tab-requests]');
  await s.waitText('[data-test=requests]', '200');
  const rows = () => s.exec(`return document.querySelectorAll('[data-test=requests] tbody tr').length`);
  const all = await rows();
  // 401s are refused before the log: two 202s and four 200s.
  assert.equal(all, 6, 'the log shows every request');
  await s.type('[data-test=request-search]', 'initech');
  await until('one request matches "initech"', async () => (await rows()) === 1);
  await s.waitText('[data-test=requests] tbody', 'skipped');
  await search('');
  await s.exec(
    `const x = document.querySelector('[data-test=request-status]'); x.value = '202'; x.dispatchEvent(new Event('change', {bubbles: true}));`,
  );
  await until('only the two 202s', async () => (await rows()) === 2);
  const shown = await s.text('[data-test=requests] tbody');
  assert.ok(!shown.includes('200') && !shown.includes('401'), shown);
  await shot('22-requests-search');

  step('replay one request: the skip is a create now');
  await s.exec(
    `const x = document.querySelector('[data-test=request-status]'); x.value = ''; x.dispatchEvent(new Event('change', {bubbles: true}));`,
  );
  await search('initech');
  await until('the skipped request alone', async () => (await rows()) === 1);
  await s.exec(`document.querySelector('[data-test=requests] tbody tr').click()`);
  await s.waitText('[data-test=request-outcomes]', 'skip');
  // Rows are counted from 1 here too, as the mapping preview counts them ("Row 1").
  const firstRow = (css) => s.exec(`return document.querySelector('${css} tbody tr td.num').textContent.trim()`);
  assert.equal(await firstRow('[data-test=request-outcomes]'), '1');
  await s.click('[data-test=replay-one]');
  const one = await s.waitText('[data-test=replay-rows]', 'create');
  assert.equal(await firstRow('[data-test=replay-rows]'), '1');
  assert.match(one, /skip/);
  assert.match(await s.text('[data-test=replay-answer]'), /1 skipped[\s\S]*1 created/);
  const flat = async (css) => (await s.text(css)).replace(/\s+/g, ' ');
  assert.match(await flat('[data-test=replay-totals]'), /1 replayed · 1 written · 0 not written · 1 changed/);
  await shot('23-replay-one');

  step('replay all, with the requests already written');
  await search('');
  await s.click('[data-test=replay-all]');
  await s.find('[data-test=replay-all-ask]');
  await s.click('[data-test=include-written]');
  await shot('24-replay-all-ask');
  await s.click('[data-test=replay-all-go]');
  // Every payload logged on this connection, replayed and written (the earlier report is replaced).
  await until('the Replay all report', async () =>
    /6 replayed · 6 written · 0 not written/.test(await flat('[data-test=replay-totals]')),
  );
  // The rows that came in while nothing was mapped (202) were not planned then; now they are created.
  const report = await s.text('[data-test=replay-report]');
  assert.match(report, /202[\s\S]*not planned[\s\S]*create/);
  await shot('25-replay-all');
}
