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
let failed = 0;
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
  }
}
if (failed) {
  console.error(
    `parity: ${failed} of ${files.length} golden cases differ between the wasm core and their expect`,
  );
  process.exit(1);
}
console.log(`parity: ${files.length} golden cases give the same output in wasm (Node) as natively`);
