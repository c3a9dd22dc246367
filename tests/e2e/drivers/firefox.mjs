// Debian's firefox-esr, headless, through puppeteer-core over WebDriver BiDi.
import puppeteer from 'puppeteer-core';
import { Page } from './page.mjs';

class FirefoxPage extends Page {
  constructor(raw) {
    super('firefox');
    this.raw = raw;
    raw.on('pageerror', (e) => this.seen.errors.push(e.message));
    raw.on('console', (m) => {
      if (m.type() === 'warn' || m.type() === 'warning' || m.type() === 'error') this.seen.warnings.push(m.text());
    });
    raw.on('dialog', (d) => {
      this.seen.errors.push(`dialog: ${d.message()}`);
      d.dismiss().catch(() => {});
    });
  }

  _evaluate(fn, arg) { return this.raw.evaluate(fn, arg); }
  async goto(url) { await this.raw.goto(url, { timeout: 30000 }); }
  async reload() { await this.raw.reload({ timeout: 30000 }); }
  async click(sel) {
    await this.raw.waitForSelector(sel, { visible: true, timeout: 10000 });
    await this.raw.click(sel);
  }

  // 'Shift+Tab': modifiers held down around the key.
  async press(key) {
    const keys = key.split('+');
    const last = keys.pop().replace(/^Space$/, ' ');  // puppeteer's name for it over BiDi
    for (const k of keys) await this.raw.keyboard.down(k);
    await this.raw.keyboard.press(last);
    for (const k of keys.reverse()) await this.raw.keyboard.up(k);
  }

  async fill(sel, text) {
    await this.$eval(sel, (el) => { el.value = ''; });
    await this.raw.type(sel, text);
  }

  async addInitScript(fn, arg) { await this.raw.evaluateOnNewDocument(fn, arg); }
  async _screenshot(file) { await this.raw.screenshot({ path: file }); }
  async setViewport(width, height) { await this.raw.setViewport({ width, height }); }
  async close() { await this.raw.close(); }
}

export async function launchFirefox(userDataDir) {
  const start = () => puppeteer.launch({
    browser: 'firefox', executablePath: '/usr/bin/firefox-esr', headless: true, userDataDir, timeout: 60000, protocolTimeout: 60000,
  });
  let browser = await start();
  return {
    get raw() { return browser; },
    async newPage() { return new FirefoxPage(await browser.newPage()); },
    async restart() {
      await browser.close();
      browser = await start();
    },
    async close() { await browser.close(); },
  };
}
