// The real window on a PostgreSQL store (`INLET_DB=postgres://…`), under Xvfb: it starts, its
// listener takes a sender's post into the database, and nothing it does at start-up panics (the
// PostgreSQL client blocks on a runtime of its own, which cannot start inside the window's async
// threads: a store read made there panicked). A screenshot of the window goes to $SCREENSHOTS.
//
// Usage (the Makefile does this, inside `scripts/pg-cluster.sh run`, which sets
// INLET_TEST_POSTGRES_URL): xvfb-run -a node tests/desktop/postgres.mjs <path to gui binary>

import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, mkdirSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import assert from 'node:assert/strict';
import { appEnv, freePort } from './app.mjs';

const bin = resolve(process.argv[2] ?? 'target/gui/debug/inlet');
const shots = resolve(process.env.SCREENSHOTS ?? 'target/screenshots');
const server = process.env.INLET_TEST_POSTGRES_URL;
if (!server) {
  console.log('note: INLET_TEST_POSTGRES_URL is not set; skipping the window on PostgreSQL');
  process.exit(0);
}
mkdirSync(shots, { recursive: true });

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
// A database of its own on the test server.
const pgBin = readdirSync('/usr/lib/postgresql')
  .sort((a, b) => Number(a) - Number(b))
  .map((v) => `/usr/lib/postgresql/${v}/bin`)
  .pop();
const u = new URL(server);
const dbName = `inlet_window_${process.pid}`;
const pgArgs = ['-h', u.hostname, '-p', u.port, '-U', decodeURIComponent(u.username)];
const pgEnv = { ...process.env, PGPASSWORD: decodeURIComponent(u.password) };
execFileSync(join(pgBin, 'createdb'), [...pgArgs, dbName], { env: pgEnv });
const db = new URL(server);
db.pathname = `/${dbName}`;

const home = mkdtempSync(join(tmpdir(), 'inlet-window-pg-'));
const port = await freePort();
const env = appEnv(home, db.href, port);

const app = spawn(bin, [], { env, stdio: ['ignore', 'pipe', 'pipe'] });
let stderr = '';
app.stderr.on('data', (d) => (stderr += d));
app.stdout.on('data', (d) => (stderr += d));
const exited = new Promise((r) => app.on('exit', r));

try {
  for (let i = 0; !stderr.includes('inlet: listening on'); i++) {
    assert.ok(i < 600, `the window did not start listening within 60 s; it said:\n${stderr}`);
    assert.equal(app.exitCode, null, `the window exited at start-up; it said:\n${stderr}`);
    await sleep(100);
  }

  // A connection made in the same database (as a second receiver or the CLI would), then a
  // sender's post to the window's listener: the payload is captured in PostgreSQL.
  const cli = (...args) => JSON.parse(execFileSync(bin, [...args, '--json'], { env, encoding: 'utf8' }));
  const conn = cli('connections', 'create', '--name', 'Warehouse users', '--kind', 'contacts');
  const shown = cli('connections', 'show', conn.id);
  const url = `http://127.0.0.1:${port}${new URL(shown.webhook_url).pathname}`;
  const res = await fetch(url, {
    method: 'POST',
    headers: { Authorization: shown.authorization, 'Content-Type': 'application/json' },
    body: JSON.stringify({ id: 'u_1', email: 'ada@example.com' }),
  });
  const answer = await res.json();
  assert.equal(res.status, 202, JSON.stringify(answer));
  assert.equal(answer.written, false);
  const after = cli('connections', 'show', conn.id);
  assert.equal(after.requests, 1, `the request is not in the log: ${JSON.stringify(after)}`);

  // The window draws its list from the same store.
  await sleep(3000);
  execFileSync('import', ['-window', 'root', join(shots, '30-window-on-postgres.png')]);
  assert.equal(app.exitCode, null, `the window exited; it said:\n${stderr}`);
  assert.ok(!stderr.includes('panicked'), `the window panicked on PostgreSQL:\n${stderr}`);
  console.log('ok   the window runs on PostgreSQL: started, took a post, nothing panicked');
} finally {
  app.kill('SIGTERM');
  await Promise.race([exited, sleep(5000)]);
  if (app.exitCode === null) app.kill('SIGKILL');
  execFileSync(join(pgBin, 'dropdb'), [...pgArgs, '--if-exists', '--force', dbName], { env: pgEnv });
}
