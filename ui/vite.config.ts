import { defineConfig } from 'vitest/config';
import { svelte } from '@sveltejs/vite-plugin-svelte';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';

// Multi-page build to dist/: the browser playground and the desktop configurator (index.html).
// INLET_UI_PAGES=playground builds only the named pages.
const only = process.env.INLET_UI_PAGES?.split(',').map((s) => s.trim());
const pages: Record<string, string> = {};
for (const name of ['index', 'playground']) {
  const file = resolve(import.meta.dirname, `${name}.html`);
  if (existsSync(file) && (!only || only.includes(name))) pages[name] = file;
}

export default defineConfig({
  plugins: [svelte()],
  base: './',
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2022',
    rollupOptions: { input: pages },
  },
  server: { host: '127.0.0.1' },
  test: {
    include: ['src/**/*.test.ts'],
    environment: 'node',
  },
});
