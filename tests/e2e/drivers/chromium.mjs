// Debian's Chromium through playwright-core (the flags of harness.mjs).
import { chromium } from 'playwright-core';
import { Page } from './page.mjs';

const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync'];

class ChromiumPage extends Page {
  constructor(raw) {
    super('chromium');
    this.raw = raw;
    raw.on('pageerror', (e) => this.seen.errors.push(e.message));
    raw.on('console', (m) => {
      if (m.type() === 'warning' || m.type() === 'error') this.seen.warnings.push(m.text());
    });
    raw.on('dialog', (d) => {
      this.seen.errors.push(`dialog: ${d.message()}`);
      d.dismiss().catch(() => {});
    });
  }

  _evaluate(fn, arg) { return this.raw.evaluate(fn, arg); }
  async goto(url) { await this.raw.goto(url, { timeout: 30000 }); }
  async reload() { await this.raw.reload({ timeout: 30000 }); }
  async click(sel) { await this.raw.click(sel, { timeout: 10000 }); }
  async press(key) { await this.raw.keyboard.press(key); }
  async fill(sel, text) { await this.raw.fill(sel, text, { timeout: 10000 }); }
  async addInitScript(fn, arg) { await this.raw.addInitScript(fn, arg); }
  async _screenshot(file) { await this.raw.screenshot({ path: file }); }
  async setViewport(width, height) { await this.raw.setViewportSize({ width, height }); }
  async close() { await this.raw.close(); }
}

// A persistent profile in userDataDir; restart() closes the browser and opens it again on it.
export async function launchChromium(userDataDir) {
  const start = () => chromium.launchPersistentContext(userDataDir, { executablePath: '/usr/bin/chromium', headless: true, args: ARGS, timeout: 60000 });
  let context = await start();
  return {
    get raw() { return context; },
    async newPage() { return new ChromiumPage(await context.newPage()); },
    async restart() {
      await context.close();
      context = await start();
    },
    async close() { await context.close(); },
  };
}
