// What a browser test may do with a page, the same in every engine. Each engine's page class
// supplies a few primitives (_evaluate, goto, reload, click, press, fill, _screenshot,
// setViewport, close, url); everything else is built here from evaluate(), so it behaves
// alike everywhere. Every wait is bounded: a browser that hangs fails the test, not the run.
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const artifacts = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'artifacts');

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// A page function made from the source of `fn`, run on the elements `sel` matches. The
// drivers send a function's source text to the page, so it may use only its arguments.
function onElements(fn, all) {
  // eslint-disable-next-line no-new-func
  return new Function(`return ({ sel, arg }) => {
    const els = ${all ? '[...document.querySelectorAll(sel)]' : 'document.querySelector(sel)'};
    if (!${all} && !els) throw new Error('no element matches ' + sel);
    return (${fn.toString()})(els, arg);
  }`)();
}

export class Page {
  constructor(engine) {
    this.engine = engine;
    // Page errors and console warnings/errors, where the engine's driver reports them
    // (Chromium, Firefox; WebKitWebDriver has no log events).
    this.seen = { errors: [], warnings: [] };
  }

  evaluate(fn, arg) {
    return this._evaluate(fn, arg === undefined ? null : arg);
  }

  // Polls fn(arg) in the page until it returns something truthy; errors while the page is
  // navigating count as "not yet".
  async waitFor(fn, arg, { timeout = 15000, what } = {}) {
    const end = Date.now() + timeout;
    let last;
    for (;;) {
      try {
        const v = await this.evaluate(fn, arg);
        if (v) return v;
        last = null;
      } catch (e) {
        last = e;
      }
      if (Date.now() > end) {
        throw new Error(`${this.engine}: timed out after ${timeout} ms waiting for ${what || fn.toString().slice(0, 160)}${last ? ` (last error: ${last.message})` : ''}`);
      }
      await sleep(100);
    }
  }

  // Playwright's name for it, so helpers such as embed-kit.mjs's take either kind of page.
  waitForFunction(fn, arg, options) {
    return this.waitFor(fn, arg, options);
  }

  // state: 'visible' (default), 'hidden', 'attached' or 'detached'.
  waitForSelector(sel, { state = 'visible', timeout } = {}) {
    return this.waitFor(({ sel, state }) => {
      const el = document.querySelector(sel);
      const visible = !!el && el.getClientRects().length > 0 && getComputedStyle(el).visibility !== 'hidden';
      return { attached: !!el, detached: !el, visible, hidden: !visible }[state];
    }, { sel, state }, { timeout, what: `${sel} to be ${state}` });
  }

  $eval(sel, fn, arg) {
    return this.evaluate(onElements(fn, false), { sel, arg: arg === undefined ? null : arg });
  }

  $$eval(sel, fn, arg) {
    return this.evaluate(onElements(fn, true), { sel, arg: arg === undefined ? null : arg });
  }

  count(sel) {
    return this.$$eval(sel, (els) => els.length);
  }

  async exists(sel) {
    return (await this.count(sel)) > 0;
  }

  isVisible(sel) {
    return this.evaluate((sel) => {
      const el = document.querySelector(sel);
      return !!el && el.getClientRects().length > 0 && getComputedStyle(el).visibility !== 'hidden';
    }, sel);
  }

  getAttribute(sel, name) {
    return this.$eval(sel, (el, name) => el.getAttribute(name), name);
  }

  textContent(sel) {
    return this.$eval(sel, (el) => el.textContent);
  }

  innerHTML(sel) {
    return this.$eval(sel, (el) => el.innerHTML);
  }

  focus(sel) {
    return this.$eval(sel, (el) => el.focus());
  }

  // The element that has focus, described.
  active() {
    return this.evaluate(() => {
      const a = document.activeElement;
      return { tag: a.localName, id: a.id, choice: a.dataset.emmaChoice || null, action: a.dataset.emmaAction || null,
        text: a.textContent, label: a.getAttribute('aria-label'), inDialog: !!a.closest('dialog'), inBanner: !!a.closest('[data-emma-ui="banner"]') };
    });
  }

  // Saves what the viewport shows as tests/e2e/artifacts/<name>, after two animation frames
  // (a driver's screenshot can otherwise predate the last DOM change).
  async screenshot(name) {
    await this.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(() => r(true)))));
    await mkdir(artifacts, { recursive: true });
    const file = path.join(artifacts, name);
    await this._screenshot(file);
    return file;
  }

  // Clicks `sel` and returns the bytes the page handed the browser to save (the Blob behind
  // the download link, read in the page): the drivers differ in where, and whether, they
  // save a download.
  async download(sel) {
    await this.evaluate(() => {
      window.__downloads = [];
      const create = URL.createObjectURL;
      URL.createObjectURL = (blob) => {
        window.__downloads.push(blob);
        return create.call(URL, blob);
      };
    });
    await this.click(sel);
    const b64 = await this.waitFor(async () => {
      const blob = window.__downloads[0];
      if (!blob) return null;
      let s = '';
      for (const x of new Uint8Array(await blob.arrayBuffer())) s += String.fromCharCode(x);
      return btoa(s) || 'empty';
    }, null, { timeout: 60000, what: `a download from ${sel}` });
    return Buffer.from(b64 === 'empty' ? '' : b64, 'base64');
  }

  // Gives the file input `sel` a file of these bytes, as a shopper choosing it would
  // (a change event follows).
  setFile(sel, bytes, name) {
    return this.$eval(sel, (input, { b64, name }) => {
      const bin = atob(b64);
      const data = new Uint8Array(bin.length);
      for (let i = 0; i < bin.length; i++) data[i] = bin.charCodeAt(i);
      const dt = new DataTransfer();
      dt.items.add(new File([data], name));
      input.files = dt.files;
      input.dispatchEvent(new Event('change', { bubbles: true }));
    }, { b64: Buffer.from(bytes).toString('base64'), name });
  }

  url() {
    return this.evaluate(() => location.href);
  }

  viewport() {
    return this.evaluate(() => ({ width: innerWidth, height: innerHeight }));
  }
}
