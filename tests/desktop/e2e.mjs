// The real Inlet window under Xvfb, driven through tauri-driver: a new user's first run.
// Create a connection, post what Hightouch would post to the URL and with the Authorization
// value the window shows, watch the payload appear live, finish setup, save, post again, and
// find the records under Data. Then what strangers post shows as text and runs nothing, and a
// real bore tunnel (to a `bore server` relay this test runs) gives the public URL, which the
// Copy button copies and "check from outside" reaches. Screenshots of every screen go to
// $SCREENSHOTS.
//
// Usage (the Makefile does this): xvfb-run -a node tests/desktop/e2e.mjs <path to gui binary>

import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, writeFileSync, readFileSync } from 'node:fs';
import { connect } from 'node:net';
import { networkInterfaces, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import assert from 'node:assert/strict';
import { Session, sleep } from './webdriver.mjs';
import { logSteps } from './log.mjs';
import { appEnv, freePort } from './app.mjs';

const bin = resolve(process.argv[2] ?? 'target/gui/debug/inlet');
const shots = resolve(process.env.SCREENSHOTS ?? 'target/screenshots');
mkdirSync(shots, { recursive: true });

const home = mkdtempSync(join(tmpdir(), 'inlet-e2e-'));
const listenPort = await freePort();
const driverPort = await freePort();
const nativePort = await freePort(); // WebKitWebDriver's own port: never the shared default
const env = appEnv(home, join(home, 'inlet.db'), listenPort);
// The app decides WebKit's compositing itself (off); nothing from outside may decide it for it.
delete env.WEBKIT_DISABLE_COMPOSITING_MODE;
delete env.INLET_WEBKIT_COMPOSITING;

/** The environment of the window's WebKit web process (a child of the app process). */
function webProcessEnv() {
  const app = execFileSync('pgrep', ['-f', '-x', `${bin}( .*)?`], { encoding: 'utf8' }).trim().split('\n');
  for (const pid of app) {
    const kids = spawnSync('pgrep', ['-P', pid], { encoding: 'utf8' }).stdout.trim().split('\n').filter(Boolean);
    for (const kid of kids) {
      if (readFileSync(`/proc/${kid}/comm`, 'utf8').startsWith('WebKitWebProces')) {
        return readFileSync(`/proc/${kid}/environ`, 'utf8').split('\0');
      }
    }
  }
  throw new Error(`no WebKit web process under ${bin}`);
}
// The bore relay: on this machine's own network address when it has one, so that the tunnel's
// URL is not a loopback one (as a relay elsewhere would not be).
const relayHost =
  Object.values(networkInterfaces())
    .flat()
    .find((i) => i && i.family === 'IPv4' && !i.internal)?.address ?? '127.0.0.1';
const portOpen = (port, host) =>
  new Promise((res) => {
    const c = connect({ port, host }, () => {
      c.destroy();
      res(true);
    });
    c.on('error', () => res(false));
  });
for (let i = 0; (await portOpen(7835, relayHost)) || (await portOpen(7835, '127.0.0.1')); i++) {
  if (i > 150) throw new Error("bore's control port 7835 stays taken");
  await sleep(200); // another relay (the black-box tunnel test) is finishing
}
const relay = spawn('bore', ['server', '--bind-addr', relayHost, '--min-port', '43000', '--max-port', '43999'], {
  stdio: ['ignore', 'pipe', 'pipe'],
});
relay.on('error', (e) => {
  throw new Error(`bore is not installed (scripts/setup.sh installs it): ${e.message}`);
});
// What the relay said, for the message when the tunnel does not come up.
let relaySaid = '';
const heard = (chunk) => (relaySaid = (relaySaid + chunk).slice(-4000));
relay.stdout.on('data', heard);
relay.stderr.on('data', heard);
relay.on('exit', (code, signal) => heard(`\n[bore server exited: ${code ?? signal}]\n`));
for (let i = 0; !(await portOpen(7835, relayHost)); i++) {
  if (i > 100) throw new Error(`bore server never listened on ${relayHost}:7835: ${relaySaid}`);
  await sleep(50);
}
const driver = spawn('tauri-driver', ['--port', String(driverPort), '--native-port', String(nativePort)], { env, stdio: ['ignore', 'inherit', 'inherit'] });
let session;
const t0 = Date.now();
const step = (what) => console.log(`[e2e +${((Date.now() - t0) / 1000).toFixed(1)}s] ${what}`);
const shot = async (name) => {
  await sleep(400); // WebKit's screenshot can lag the DOM by a frame or two
  writeFileSync(join(shots, `${name}.png`), await session.screenshot());
  step(`screenshot ${name}`);
};

try {
  await sleep(800);
  const started = Date.now();
  session = await Session.start(`http://127.0.0.1:${driverPort}`, bin);
  await session.find('[data-test=add-connection]', 20000);
  console.log(`window ready ${Date.now() - started} ms after the session request`);
  assert.ok(webProcessEnv().includes('WEBKIT_DISABLE_COMPOSITING_MODE=1'), 'the window runs WebKit without accelerated compositing');
  await shot('1-connections-empty');

  step('add a connection');
  await session.click('[data-test=add-connection]');
  await session.type('[data-test=new-name]', 'Hightouch users');
  await session.exec(
    `const s = document.querySelector('[data-test=new-kind]'); s.value = 'contacts'; s.dispatchEvent(new Event('change', {bubbles: true}));`,
  );
  await session.click('[data-test=create]');

  // The settings page shows the URL and the Authorization value to paste into Hightouch.
  const url = await session.attr('[data-test=webhook-url]', 'data-value');
  const authorization = await session.attr('[data-test=authorization]', 'data-value');
  assert.match(url, new RegExp(`^http://127\\.0\\.0\\.1:${listenPort}/hooks/[0-9a-f-]{36}$`));
  assert.match(authorization, /^Bearer inl_[A-Za-z0-9_-]{43}$/);
  await session.find('[data-test=latest-payload-empty]');
  // Not mapped yet: the page's header says so in the connections list's words.
  assert.equal((await session.text('[data-test=enabled-pill]')).trim(), 'Needs mapping');
  // A loopback URL: the page says that a cloud sender cannot reach it, and what to do.
  const warning = await session.waitText('[data-test=loopback-warning]', 'only this computer');
  assert.match(warning, /Settings → Public URL/);
  // The suggested test request masks the secret, as its field does; Copy command has it whole.
  const curlShown = await session.text('[data-test=curl-example]');
  assert.ok(curlShown.includes(url), curlShown);
  assert.ok(!curlShown.includes(authorization), 'the curl example shows the whole secret');
  assert.ok(curlShown.includes(authorization.slice(0, 11) + '•'), curlShown);
  await session.find('[data-testid=curl-copy]');
  await shot('2-connection-new');
  // A page longer than the window: scrolled to its end, the nav and the listener's status stay
  // in view.
  const side = await session.exec(`
    window.scrollTo(0, document.body.scrollHeight);
    const s = document.querySelector('nav.side').getBoundingClientRect();
    const st = document.querySelector('nav.side .status').getBoundingClientRect();
    return {scrolled: window.scrollY, top: s.top, statusBottom: st.bottom, height: window.innerHeight};`);
  assert.ok(side.scrolled > 0, `the connection page is longer than the window (${JSON.stringify(side)})`);
  assert.equal(side.top, 0, `the nav scrolled away: ${JSON.stringify(side)}`);
  assert.ok(side.statusBottom <= side.height, `the status is off screen: ${JSON.stringify(side)}`);
  await session.exec('window.scrollTo(0, 0)');

  step('post as the sender would');
  // Without the header: refused. With it: accepted but not written (not mapped yet).
  const row = JSON.parse(readFileSync(new URL('../../ui/src/lib/samples/hightouch-row.json', import.meta.url), 'utf8'));
  const post = (body, auth = authorization) =>
    fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...(auth ? { authorization: auth } : {}) }, body: JSON.stringify(body) });
  assert.equal((await post(row, null)).status, 401);
  const first = await post(row);
  assert.equal(first.status, 202, await first.text());

  // The latest payload appears live, without a reload.
  await session.waitText('[data-test=latest-payload]', row.email);
  await shot('3-connection-latest-payload');

  step('finish setup');
  // Finish setup: the mapping screen suggests a mapping and previews it through the WASM core.
  await session.click('[data-test=finish-setup]');
  await session.waitText('[data-test=preview-summary]', '1 create');
  // Beside the payload the preview has half the window: the row's properties are on screen, under
  // what it writes, not in a column scrolled out of sight.
  const props = await session.exec(`
    const table = document.querySelector('[data-testid=preview] .scroll');
    const props = table.querySelector('tbody tr .props');
    const box = table.getBoundingClientRect(), p = props.getBoundingClientRect();
    return { text: props.innerText, inside: p.right <= box.right + 1, scrolls: table.scrollWidth > table.clientWidth + 1 };`);
  assert.match(props.text, /first_name\s+Grace/);
  assert.ok(props.inside && !props.scrolls, `the preview's properties are out of sight: ${JSON.stringify(props)}`);
  await shot('4-mapping');
  await session.click('[data-test=check-store]');
  await session.waitText('[data-test=store-check]', 'create');
  await session.click('[data-test=save-mapping]');
  await session.waitText('[data-test=enabled-pill]', 'Enabled');
  await shot('5-connection-enabled');

  step('post again');
  const second = await post(row);
  const answer = await second.json();
  assert.equal(second.status, 200, JSON.stringify(answer));
  assert.equal(answer.created, 1, JSON.stringify(answer));

  // Requests: the log, live.
  await session.click('[data-test=tab-requests]');
  await session.waitText('[data-test=requests]', '200');
  await session.exec(`document.querySelector('[data-test=requests] tbody tr').click()`);
  await session.waitText("[data-test=request-body]", row.email);
  await sleep(300);
  await shot('6-requests');

  step('what strangers post shows as text and runs nothing');
  // The window runs without the global Tauri object and under a strict CSP: a script element
  // that gets into the page does not run.
  assert.equal(await session.exec('return typeof window.__TAURI__'), 'undefined');
  const inline = await session.exec(
    `const s = document.createElement('script'); s.textContent = 'window.__inline = 1'; document.body.append(s); return window.__inline ?? null`,
  );
  assert.equal(inline, null, 'an inline script runs despite the Content-Security-Policy');
  const hostile = {
    ...row,
    id: 'u_hostile',
    email: 'mallory@example.com',
    first_name: '<script>window.__xss = "script"</script>',
    last_name: '<img src=x onerror="window.__xss = \'img\'">',
    website: 'javascript:window.__xss="link"',
    bio: '<a href="javascript:window.__xss=\'a\'">click</a><svg onload="window.__xss=\'svg\'"></svg>',
  };
  const evil = await fetch(url, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      authorization,
      'x-note': '<img src=x onerror="window.__xss=\'header\'">',
      referer: 'javascript:window.__xss="referer"',
    },
    body: JSON.stringify(hostile),
  });
  assert.equal(evil.status, 200, await evil.text());
  for (let i = 0; (await session.exec(`return document.querySelectorAll('[data-test=requests] tbody tr').length`)) < 3; i++) {
    if (i > 60) throw new Error('the hostile request never appeared in the log');
    await sleep(150);
  }
  await session.exec(`document.querySelector('[data-test=requests] tbody tr').click()`);
  const shownBody = await session.waitText('[data-test=request-body]', 'mallory@example.com');
  assert.ok(shownBody.includes('<script>window.__xss = \\"script\\"</script>'), shownBody);
  assert.ok(shownBody.includes('<img src=x onerror=') && shownBody.includes('javascript:window.__xss'), shownBody);
  const detail = await session.text('.card.detail');
  assert.ok(detail.includes(`x-note: <img src=x onerror="window.__xss='header'">`), detail);
  await sleep(300);
  await shot('6b-requests-hostile');
  const ran = await session.exec(
    `return { xss: window.__xss ?? null, imgs: document.querySelectorAll('main img, main svg[onload]').length, js: document.querySelectorAll('a[href^="javascript:"]').length }`,
  );
  assert.deepEqual(ran, { xss: null, imgs: 0, js: 0 }, 'hostile bytes became markup');

  step('data');
  await session.exec(`[...document.querySelectorAll('nav button')].find(b => b.textContent.trim() === 'Data').click()`);
  await session.click('[data-test=data-contacts]');
  await session.waitText('[data-test=records]', row.email);
  await shot('7-data-contacts');
  await session.click('[data-test=data-accounts]');
  await session.waitText('[data-test=records]', row.company_name ?? '');
  // The account was made from the contact's row and has no properties: a dash, as any empty cell.
  const accountProps = await session.exec(`return document.querySelector('[data-test=records] tbody td.props').textContent`);
  assert.equal(accountProps, '–', 'an account without properties shows a dash');
  await shot('8-data-accounts');

  // The hostile row's properties show as text in the data browser too.
  await session.click('[data-test=data-contacts]');
  await session.waitText('[data-test=records]', 'mallory@example.com');
  assert.equal(await session.exec('return window.__xss ?? null'), null);
  await (await import('./data.mjs')).dataPages({ session, shot, step, bin, env, listenPort });

  const nav = (name) =>
    session.exec(`[...document.querySelectorAll('nav button')].find(b => b.textContent.trim() === '${name}').click()`);
  step('signature and schema drift');
  const openFirst = () => session.exec(`document.querySelector('[data-test=connections] tbody tr').click()`);
  const choose = (css, value) =>
    session.exec(
      `const s = document.querySelector(arguments[0]); s.value = arguments[1]; s.dispatchEvent(new Event('change', {bubbles: true}));`,
      [css, value],
    );
  const until = async (what, check) => {
    for (let i = 0; !(await check()); i++) {
      assert.ok(i < 100, what);
      await sleep(100);
    }
  };
  const present = (css) => session.exec(`return !!document.querySelector(arguments[0])`, [css]);
  const valueOf = (css) => session.exec(`return document.querySelector(arguments[0])?.value ?? null`, [css]);
  const ack = async () => {
    await session.click('[data-test=drift-ack]');
    await until('the banner goes once acknowledged', async () => !(await present('[data-test=drift-banner]')));
  };
  // The hostile row above brought two top-level fields no row had before: drift, marked in the
  // list and detailed on the connection page until acknowledged.
  await nav('Connections');
  await session.waitText('[data-test=drift-mark]', 'Drift');
  assert.match(await session.attr('[data-test=drift-mark]', 'title'), /website is new/);
  await openFirst();
  const firstBanner = await session.waitText('[data-test=drift-banner]', 'website');
  assert.match(firstBanner, /2 changes since the mapping was saved/);
  assert.match(firstBanner, /bio is new/);

  // Shopify's form of HMAC-SHA256, set with the row's header options and signed with Node's crypto.
  await session.find('[data-test=verify]');
  await choose('[data-test=verify]', 'hmac-sha256');
  await until('the HMAC options show GitHub defaults', async () => (await valueOf('[data-test=signature-header]')) === 'x-hub-signature-256');
  assert.equal(await valueOf('[data-test=signature-prefix]'), 'sha256=');
  await choose('[data-test=signature-header]', 'X-Shopify-Hmac-Sha256');
  await until('the header is saved', async () => (await valueOf('[data-test=signature-header]')) === 'x-shopify-hmac-sha256');
  assert.equal(await valueOf('[data-test=signature-prefix]'), '', 'a header of its own means no prefix');
  await choose('[data-test=signature-encoding]', 'base64');
  const hmacSecret = await session.attr('[data-test=signing-secret]', 'data-value');
  assert.match(hmacSecret, /^[A-Za-z0-9_-]{43}$/);
  const { createHmac } = await import('node:crypto');
  const shopifyBody = JSON.stringify(row);
  const shopifySig = createHmac('sha256', hmacSecret).update(shopifyBody).digest('base64');
  const shopify = (sig) =>
    fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization, 'x-shopify-hmac-sha256': sig },
      body: shopifyBody,
    });
  let shopifyAnswer;
  for (let i = 0; ; i++) {
    // The encoding is saved a moment after the select changes: until then hex is expected.
    const r = await shopify(shopifySig);
    shopifyAnswer = { status: r.status, body: await r.json() };
    if (r.status === 200 || i > 50) break;
    await sleep(100);
  }
  assert.equal(shopifyAnswer.status, 200, JSON.stringify(shopifyAnswer.body));
  assert.equal(shopifyAnswer.body.warnings, undefined, 'the usual shape is no drift');
  const forged = await shopify(createHmac('sha256', 'not the secret').update(shopifyBody).digest('base64'));
  assert.deepEqual([forged.status, (await forged.json()).error.code], [401, 'signature_mismatch']);
  await session.exec(`document.querySelector('[data-test=signature]').scrollIntoView({block: 'center'})`);
  await shot('8a-signature-hmac');
  // Acknowledged after a usual row came too: the baseline is both shapes, the extra fields optional.
  await ack();

  // Standard Webhooks: a new scheme gets a secret of its form.
  await choose('[data-test=verify]', 'standard-webhooks');
  await until('a whsec_ secret', async () => /^whsec_/.test((await session.attr('[data-test=signing-secret]', 'data-value')) ?? ''));
  const signingSecret = await session.attr('[data-test=signing-secret]', 'data-value');
  assert.match(signingSecret, /^whsec_[A-Za-z0-9+/]{43}=$/);
  await session.exec(`document.querySelector('[data-test=signature]').scrollIntoView({block: 'center'})`);
  await shot('8b-signature');
  // Unsigned: refused. Signed by the spec's own library, with a column renamed upstream: written,
  // and flagged as drift.
  assert.equal((await post(row)).status, 401);
  const { Webhook } = await import(new URL('../../ui/node_modules/standardwebhooks/dist/index.js', import.meta.url).href);
  const { first_name, ...rest } = row;
  const renamed = JSON.stringify({ ...rest, firstName: first_name });
  const msgId = 'msg_e2e_1';
  const now = new Date();
  const signed = await fetch(url, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      authorization,
      'webhook-id': msgId,
      'webhook-timestamp': String(Math.floor(now.getTime() / 1000)),
      'webhook-signature': new Webhook(signingSecret).sign(msgId, now, renamed),
    },
    body: renamed,
  });
  const signedAnswer = await signed.json();
  assert.equal(signed.status, 200, JSON.stringify(signedAnswer));
  assert.deepEqual(signedAnswer.warnings.map((w) => w.field), ['firstName', 'first_name']);
  const banner = await session.waitText('[data-test=drift-banner]', 'firstName');
  assert.match(banner, /2 changes since the mapping was saved/);
  assert.match(banner, /first_name is gone from 1 of 1 row/);
  assert.ok(!banner.includes('website'), 'acknowledged drift stays acknowledged');
  await session.exec(`window.scrollTo(0, 0)`);
  await shot('8c-drift-banner');
  // The same message delivered again is answered 200 and not written twice.
  const again = await fetch(url, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      authorization,
      'webhook-id': msgId,
      'webhook-timestamp': String(Math.floor(now.getTime() / 1000)),
      'webhook-signature': new Webhook(signingSecret).sign(msgId, now, renamed),
    },
    body: renamed,
  });
  const againAnswer = await again.json();
  assert.equal(again.status, 200, JSON.stringify(againAnswer));
  assert.equal(againAnswer.redelivery_of, signedAnswer.request_id);
  // The request log says which request drifted, and which was a redelivery.
  await session.click('[data-test=tab-requests]');
  const logged = await session.waitText('[data-test=request-drift]', 'firstName');
  assert.match(logged, /Drift: first_name is gone/);
  assert.match(await session.waitText('[data-test=redelivery]', 'redelivery'), new RegExp(`redelivery of ${signedAnswer.request_id.slice(0, 8)}`));
  await sleep(300);
  await shot('8d-requests-drift');
  await nav('Connections');
  await session.waitText('[data-test=drift-mark]', 'Drift');
  await shot('8e-connections-drift-mark');
  await openFirst();
  // Back to no signature for the steps below, and to the sender's usual shape beside the renamed
  // one before acknowledging, so that both are the baseline.
  await session.find('[data-test=verify]');
  await choose('[data-test=verify]', 'none');
  await until('the signature row goes back to None', async () => !(await present('[data-test=signing-secret]')));
  const usual = await post(row);
  assert.equal(usual.status, 200, await usual.text());
  await ack();
  await nav('Connections');
  await session.find('[data-test=connections] tbody tr');
  await until('the mark goes once acknowledged', async () => !(await present('[data-test=drift-mark]')));

  await logSteps({ session, shot, step, nav, firstName: 'Hightouch users' });
  await nav('Settings');
  await session.find('#listen');
  await shot('9-settings');

  step('a refused setting comes back as the typed command error, shown by the one error message');
  const listenWas = await session.exec(`return document.querySelector('#listen').value`);
  await session.type('#listen', 'not an address');
  await session.exec(`document.querySelector('form.settings').requestSubmit()`);
  await session.waitText('[role=alert][data-code=invalid]', 'is not HOST:PORT');
  await shot('9a-settings-refused');
  await session.type('#listen', listenWas);

  step('start a bore tunnel');
  await session.click('[data-test=mode-tunnel]');
  await session.find('[data-test=tunnel-program]');
  await session.exec(
    `const s = document.querySelector('[data-test=tunnel-program]'); s.value = 'bore'; s.dispatchEvent(new Event('change', {bubbles: true}));`,
  );
  await session.type('[data-test=bore-relay]', relayHost);
  await session.click('[data-test=tunnel-start]');
  await session.waitText('[data-test=tunnel-state]', 'Up', 30000).catch((e) => {
    throw new Error(`${e.message}\nthe relay said: ${relaySaid || '(nothing)'}`);
  });
  const publicBase = await session.attr('[data-test=tunnel-url]', 'data-value');
  assert.match(publicBase, new RegExp(`^http://${relayHost.replace(/\./g, '\\.')}:43\\d{3}$`));
  await shot('10-settings-tunnel-up');

  step('the connection page uses the tunnel URL');
  await nav('Connections');
  await session.find('[data-test=connections] tbody tr');
  await session.exec(`document.querySelector('[data-test=connections] tbody tr').click()`);
  const end = Date.now() + 10000;
  let publicUrl = '';
  while (!publicUrl.startsWith(publicBase) && Date.now() < end) {
    publicUrl = (await session.attr('[data-test=webhook-url]', 'data-value')) ?? '';
    await sleep(150);
  }
  assert.equal(publicUrl, `${publicBase}${new URL(url).pathname}`);
  // The Copy button copies exactly that: paste it into a field of the page.
  await session.click('[data-test=webhook-url-copy]');
  await session.exec(
    `const t = document.createElement('textarea'); t.id = 'paste-here'; document.querySelector('main').append(t); t.focus();`,
  );
  const pasteEl = await session.find('#paste-here');
  await session.cmd('POST', `/element/${pasteEl}/value`, { text: '\uE009v\uE009' });
  const pasted = await session.exec(`const t = document.getElementById('paste-here'); const v = t.value; t.remove(); return v`);
  assert.equal(pasted, publicUrl, 'the Copy button copies the public webhook URL');
  // A row through the tunnel lands.
  const through = await fetch(publicUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization },
    body: JSON.stringify({ ...row, id: 'u_tunnel', email: 'tunnel@example.com' }),
  });
  assert.equal(through.status, 200, await through.text());
  step('check from outside');
  await session.click('[data-test=check-outside]');
  const checked = await session.waitText('[data-test=check-result]', 'came back to this listener', 20000);
  assert.match(checked, /✓ came back to this listener \(127\.0\.0\.1:\d+\) in \d+ ms/);
  await shot('11-connection-tunnel-check');

  step('a public connection without authorization is flagged');
  await session.exec(
    `[...document.querySelectorAll('.switch input[type=checkbox]')].find(i => i.closest('.row').textContent.includes('Enforce authorization')).click()`,
  );
  await session.waitText('[data-test=unprotected-flag]', 'Open to anyone');
  await shot('12-connection-open-to-anyone');
  await nav('Connections');
  await session.waitText('[data-test=open-flag]', 'Open to anyone');
  await shot('13-connections-flagged');

  step('the tunnel ends with the window and starts again with it');
  const boreBefore = spawnSync('pgrep', ['-f', `bore local ${listenPort} --local-host`], { encoding: 'utf8' }).stdout.trim();
  assert.ok(boreBefore, 'the bore client runs while the window does');
  await session.quit();
  session = null;
  const boreClient = () => spawnSync('pgrep', ['-f', `bore local ${listenPort} --local-host`], { encoding: 'utf8' }).stdout.trim();
  for (let i = 0; boreClient(); i++) {
    if (i > 50) throw new Error(`the bore client outlived the window: pid ${boreClient()}`);
    await sleep(100);
  }
  session = await Session.start(`http://127.0.0.1:${driverPort}`, bin);
  await session.find('[data-test=add-connection]', 20000);
  await nav('Settings');
  await session.waitText('[data-test=tunnel-state]', 'Up', 30000);
  assert.match(await session.attr('[data-test=tunnel-url]', 'data-value'), /^http:\/\/.+:43\d{3}$/);
  assert.ok(boreClient(), 'the window started its bore client again');
  console.log(`desktop e2e: passed; screenshots in ${shots}`);
} catch (e) {
  if (session) {
    await shot('failure').catch(() => {});
    const html = await session.exec('return document.documentElement.outerHTML.slice(0, 3000)').catch(() => '');
    console.error(`page at failure: ${html}`);
  }
  throw e;
} finally {
  if (session) await session.quit();
  driver.kill('SIGTERM');
  relay.kill('SIGTERM');
}
