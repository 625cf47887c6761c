// A small W3C WebDriver client over fetch: enough to drive the real Inlet window through
// tauri-driver (WebKitWebDriver underneath) without extra npm packages; screenshots come from
// the X display through ImageMagick (installed by the set-up).

import { execFileSync } from 'node:child_process';

const ELEMENT = 'element-6066-11e4-a52e-4f405d5d2b8f';

export class Session {
  constructor(base, id) {
    this.base = base;
    this.id = id;
  }

  static async start(base, application, retries = 3) {
    let last;
    for (let i = 0; i < retries; i++) {
      try {
        const r = await fetch(`${base}/session`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ capabilities: { alwaysMatch: { 'tauri:options': { application } } } }),
        });
        const body = await r.json();
        if (body.value?.sessionId) return new Session(base, body.value.sessionId);
        last = new Error(JSON.stringify(body));
      } catch (e) {
        last = e; // the first session after the driver starts can be reset; try again
      }
      await sleep(1500);
    }
    throw last;
  }

  async cmd(method, path, body) {
    const r = await fetch(`${this.base}/session/${this.id}${path}`, {
      signal: AbortSignal.timeout(120_000), // a hung driver fails the test instead of stalling it
      method,
      headers: { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const json = await r.json();
    if (json.value && json.value.error) throw new Error(`${method} ${path}: ${json.value.error}: ${json.value.message}`);
    return json.value;
  }

  async find(css, timeoutMs = 10000) {
    const end = Date.now() + timeoutMs;
    for (;;) {
      try {
        const v = await this.cmd('POST', '/element', { using: 'css selector', value: css });
        const id = v?.[ELEMENT] ?? v?.ELEMENT ?? (v && Object.values(v)[0]);
        if (!id) throw new Error(`unexpected element reference ${JSON.stringify(v)}`);
        return id;
      } catch (e) {
        if (Date.now() > end) throw new Error(`no element ${css} after ${timeoutMs} ms: ${e.message}`);
        await sleep(150);
      }
    }
  }

  async click(css) {
    const el = await this.find(css);
    await this.cmd('POST', `/element/${el}/click`, {});
  }

  async type(css, text) {
    const el = await this.find(css);
    await this.cmd('POST', `/element/${el}/clear`, {});
    await this.cmd('POST', `/element/${el}/value`, { text });
  }

  /** The element's text content (all of it, also what is scrolled or clipped out of view). */
  async text(css) {
    await this.find(css);
    return this.exec('return document.querySelector(arguments[0]).textContent', [css]);
  }

  async attr(css, name) {
    return this.cmd('GET', `/element/${await this.find(css)}/attribute/${name}`);
  }

  async exec(script, args = []) {
    return this.cmd('POST', '/execute/sync', { script, args });
  }

  /** Waits until `css` exists and its text contains `needle`. */
  async waitText(css, needle, timeoutMs = 10000) {
    const end = Date.now() + timeoutMs;
    let seen = '';
    while (Date.now() < end) {
      try {
        seen = await this.text(css);
        if (seen.includes(needle)) return seen;
      } catch {
        /* not there yet */
      }
      await sleep(150);
    }
    throw new Error(`${css} never contained ${JSON.stringify(needle)}; last text: ${seen.slice(0, 300)}`);
  }

  /**
   * A PNG of the window as the X display shows it (ImageMagick's `import`, cropped to the
   * window's rectangle). Not WebDriver's own screenshot: WebKit takes that as a snapshot of the
   * page through its compositor, and the app runs with compositing off (see docs/decisions.md),
   * where that snapshot never completes. This is also what a user sees, window and all.
   */
  async screenshot() {
    const r = await this.cmd('GET', '/window/rect');
    const crop = `${Math.round(r.width)}x${Math.round(r.height)}+${Math.max(0, Math.round(r.x))}+${Math.max(0, Math.round(r.y))}`;
    return execFileSync('import', ['-silent', '-window', 'root', '-crop', crop, '+repage', 'png:-'], { maxBuffer: 64 << 20 });
  }

  async quit() {
    await fetch(`${this.base}/session/${this.id}`, { method: 'DELETE' }).catch(() => {});
  }
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
