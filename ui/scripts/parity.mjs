// Parity: every golden case in tests/cases/ replayed through the WebAssembly core in Node must give
// exactly the case's `expect` (the native core is held to the same file by `cargo test`).
// Compares JSON.stringify of both sides: key order is part of the contract.
import { readdirSync, readFileSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadCore } from './load-wasm.mjs';

const casesDir =
  process.argv[2] ?? join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'tests', 'cases');
const core = await loadCore();

/** A line diff of two pretty-printed documents (LCS; cases are small). */
function diff(a, b) {
  const x = a.split('\n');
  const y = b.split('\n');
  const n = x.length;
  const m = y.length;
  const t = Array.from({ length: n + 1 }, () => new Int32Array(m + 1));
  for (let i = n - 1; i >= 0; i--)
    for (let j = m - 1; j >= 0; j--)
      t[i][j] = x[i] === y[j] ? t[i + 1][j + 1] + 1 : Math.max(t[i + 1][j], t[i][j + 1]);
  const out = [];
  let i = 0;
  let j = 0;
  while (i < n || j < m) {
    if (i < n && j < m && x[i] === y[j]) {
      out.push('  ' + x[i]);
      i++;
      j++;
    } else if (i < n && (j === m || t[i + 1][j] >= t[i][j + 1])) out.push('- ' + x[i++]);
    else out.push('+ ' + y[j++]);
  }
  return out.join('\n');
}

const files = readdirSync(casesDir)
  .filter((f) => f.endsWith('.json'))
  .sort();
if (files.length === 0) {
  console.error(`parity: no cases in ${casesDir}`);
  process.exit(1);
}
/**
 * The paged answer the page reads (`preview_page`), two rows at a time: its pages together must
 * be the case's rows, and everything else the case's answer (a `page` object added). Returns what
 * differs, or null.
 */
function checkPages(kase) {
  if (!kase.mapping) return null;
  let payload;
  let contentType = null;
  if (typeof kase.payload_raw === 'string') {
    payload = kase.payload_raw;
    contentType = kase.content_type ?? null;
  } else if (typeof kase.payload_form === 'string') {
    payload = kase.payload_form;
    contentType = 'application/x-www-form-urlencoded';
  } else if ('payload' in kase) payload = JSON.stringify(kase.payload);
  else return null;
  const existing = kase.existing == null ? null : JSON.stringify(kase.existing);
  const mapping = JSON.stringify(kase.mapping);
  const page = (offset) =>
    JSON.parse(core.preview_page(payload, mapping, existing, contentType, offset, 2));
  const first = page(0);
  const allRows = kase.expect.plan?.rows;
  if (!allRows) {
    return JSON.stringify(first) === JSON.stringify(kase.expect)
      ? null
      : `answer without a plan differs: ${JSON.stringify(first).slice(0, 300)}`;
  }
  const rows = [];
  for (let offset = 0, p = first; ; p = page(offset)) {
    if (p.page?.offset !== offset) return `page at ${offset} says offset ${p.page?.offset}`;
    rows.push(...p.plan.rows);
    offset += p.plan.rows.length;
    if (p.plan.rows.length < 2) break;
  }
  if (JSON.stringify(rows) !== JSON.stringify(allRows)) return 'the pages are not the rows';
  const errors = allRows.filter((r) => r.action === 'error').slice(0, 2);
  if (JSON.stringify(first.page.errors) !== JSON.stringify(errors)) return 'errors differ';
  if (first.page.warned !== allRows.filter((r) => r.warnings).length) return 'warned differs';
  const { page: _, ...rest } = first;
  const want = { ...kase.expect, plan: { ...kase.expect.plan, rows: first.plan.rows } };
  return JSON.stringify(rest) === JSON.stringify(want) ? null : 'the plan around the rows differs';
}

let failed = 0;
let paged = 0;
for (const file of files) {
  const text = readFileSync(join(casesDir, file), 'utf8');
  let kase;
  try {
    kase = JSON.parse(text);
  } catch (e) {
    console.error(`FAIL ${file}: not valid JSON: ${e.message}`);
    failed++;
    continue;
  }
  if (!('expect' in kase)) {
    console.error(`FAIL ${file}: no \`expect\``);
    failed++;
    continue;
  }
  const actual = JSON.parse(core.run_case(text));
  const want = JSON.stringify(kase.expect);
  const got = JSON.stringify(actual);
  if (want !== got) {
    failed++;
    console.error(
      `FAIL ${file}\n--- expected (native)\n+++ actual (wasm)\n${diff(JSON.stringify(kase.expect, null, 2), JSON.stringify(actual, null, 2))}\n`,
    );
    continue;
  }
  const pageProblem = checkPages(kase);
  if (pageProblem) {
    failed++;
    console.error(`FAIL ${file} (paged answer): ${pageProblem}`);
  } else if (kase.expect.plan) paged++;
}
if (failed) {
  console.error(
    `parity: ${failed} of ${files.length} golden cases differ between the wasm core and their expect`,
  );
  process.exit(1);
}
console.log(
  `parity: ${files.length} golden cases give the same output in wasm (Node) as natively; the paged answers of the ${paged} with a plan add up to it`,
);
