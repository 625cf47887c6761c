// Loads the built WebAssembly core in Node (the same files the browser loads).
import { readFileSync, existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';

export const pkgDir = join(dirname(fileURLToPath(import.meta.url)), '..', 'src', 'wasm-pkg');

export async function loadCore() {
  const wasmPath = join(pkgDir, 'inlet_wasm_bg.wasm');
  if (!existsSync(wasmPath)) {
    throw new Error(`${wasmPath} is missing: run \`make wasm\` first`);
  }
  const core = await import(join(pkgDir, 'inlet_wasm.js'));
  core.initSync({ module: readFileSync(wasmPath) });
  return core;
}
