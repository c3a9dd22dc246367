// Helpers shared by the storage browser tests (tests/e2e/storage-*.test.mjs).
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { chromium } from 'playwright-core';
import { startServer } from './harness.mjs';
import { serverAndEngine } from './drivers/index.mjs';

export const GRANT = { version: '2026-11', text: 'Emma may personalize this shop from what I view here.', source: 'banner', lang: 'en' };
export const catalog = JSON.parse(await readFile(new URL('../../demo/catalog.json', import.meta.url), 'utf8'));

// The same Chromium flags as harness.mjs.
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync'];

// Like harness.mjs launch(), plus restart(): the browser closed and started again on the
// same profile directory, as when the shopper comes back the next day.
async function launch() {
  const userDataDir = await mkdtemp(path.join(os.tmpdir(), 'emma-chromium-'));
  const start = () => chromium.launchPersistentContext(userDataDir, { executablePath: '/usr/bin/chromium', headless: true, args: CHROMIUM_ARGS });
  let context = await start();
  return {
    userDataDir,
    get context() {
      return context;
    },
    async restart() {
      await context.close();
      context = await start();
      return context;
    },
    async close() {
      await context.close();
      await rm(userDataDir, { recursive: true, force: true });
    },
  };
}

// A server and a fresh browser profile for one test, closed after it.
export async function setup(t) {
  const server = await startServer();
  const browser = await launch();
  t.after(async () => {
    await browser.close();
    await server.close();
  });
  return { server, browser, context: browser.context };
}

export async function openPage(context, origin, query = 'start=1') {
  const page = await context.newPage();
  page.on('pageerror', (err) => console.error('page error:', err.message));
  await page.goto(`${origin}/test/storage.html?${query}`);
  if (/start=1/.test(query)) await page.evaluate(() => window.emmaReady);
  return page;
}

// The same for a test looped over engines (drivers/): a server and a fresh browser of
// `engine`; pages are opened with openEnginePage(browser, ...).
export const setupEngine = (t, engine) => serverAndEngine(t, engine);

export async function openEnginePage(browser, origin, query = 'start=1', { init } = {}) {
  const page = await browser.newPage();
  if (init) await page.addInitScript(init);
  await page.goto(`${origin}/test/storage.html?${query}`);
  if (/start=1/.test(query)) await page.waitFor(() => window.emmaReady && window.emmaReady.then(() => true), null, { what: 'window.emmaReady' });
  return page;
}

// Init scripts that take storage away from pages opened with ?hide=idb or ?hide=idb,ls
// (context.addInitScript(HIDE)), as private modes and blocked storage do. Pages without the
// parameter, such as the inspector below, see the origin's real storage.
export function HIDE() {
  const hide = (new URLSearchParams(location.search).get('hide') || '').split(',');
  const how = new URLSearchParams(location.search).get('how') || 'missing';
  if (hide.includes('idb') && how === 'missing') {
    Object.defineProperty(window, 'indexedDB', { value: undefined, configurable: true });
  }
  if (hide.includes('idb') && how === 'throwing') {
    const fail = () => {
      throw new DOMException('The user denied permission to access the database.', 'InvalidStateError');
    };
    const fake = { open: fail, deleteDatabase: fail, cmp: fail, databases: () => Promise.reject(new DOMException('denied', 'InvalidStateError')) };
    Object.defineProperty(window, 'indexedDB', { get: () => fake, configurable: true });
  }
  if (hide.includes('ls')) {
    Object.defineProperty(window, 'localStorage', {
      get: () => {
        throw new DOMException('Access is denied for this document.', 'SecurityError');
      },
      configurable: true,
    });
  }
}

// Everything the page's origin keeps in every kind of browser storage, listed by name:
// IndexedDB databases, localStorage and sessionStorage keys, cookies (both as the page and
// as the browser sees them), Cache Storage caches, the origin private file system, and
// service worker registrations. Looked at from a separate page of the same origin that runs
// no Emma and hides nothing.
// For a driver page (drivers/), pass { browser, server }: cookies are then those the browser
// sent to the server.
export async function allStorage(page, { browser, server } = {}) {
  const origin = new URL(await page.url()).origin;
  const inspector = browser ? await browser.newPage() : await page.context().newPage();
  await inspector.goto(`${origin}/test/storage.html?start=0`);
  const inPage = await inspector.evaluate(async () => {
    const opfs = [];
    if (navigator.storage && navigator.storage.getDirectory) {
      const root = await navigator.storage.getDirectory();
      for await (const name of root.keys()) opfs.push(name);
    }
    return {
      indexedDB: (await indexedDB.databases()).map((d) => d.name),
      localStorage: Object.keys(localStorage),
      sessionStorage: Object.keys(sessionStorage),
      documentCookie: document.cookie ? document.cookie.split('; ') : [],
      cacheStorage: typeof caches === 'object' ? await caches.keys() : [],
      opfs,
      serviceWorkers: navigator.serviceWorker ? (await navigator.serviceWorker.getRegistrations()).map((r) => r.scope) : [],
    };
  });
  // sessionStorage is per tab: the page's own counts, not the inspector's.
  inPage.sessionStorage = await page.evaluate(() => Object.keys(sessionStorage));
  await inspector.close();
  inPage.cookies = server ? server.requests.map((r) => r.cookie).filter(Boolean) : (await page.context().cookies()).map((c) => `${c.domain} ${c.name}`);
  return inPage;
}

export const NOTHING = { indexedDB: [], localStorage: [], sessionStorage: [], documentCookie: [], cacheStorage: [], opfs: [], serviceWorkers: [], cookies: [] };

// The content of every storage of the page's origin as one text, with bytes as latin1, for a
// plaintext search. CryptoKeys are described (type, extractable), not read.
export async function storageText(page, { browser } = {}) {
  const inspector = browser ? await browser.newPage() : await page.context().newPage();
  await inspector.goto(`${new URL(await page.url()).origin}/test/storage.html?start=0`);
  const text = await inspector.evaluate(async () => {
    const show = (v) => {
      if (v instanceof Uint8Array || v instanceof ArrayBuffer) {
        let s = '';
        for (const x of new Uint8Array(v)) s += String.fromCharCode(x);
        return s;
      }
      if (typeof CryptoKey === 'function' && v instanceof CryptoKey) return `[CryptoKey extractable=${v.extractable}]`;
      if (Array.isArray(v)) return v.map(show).join(' ');
      if (v && typeof v === 'object') return Object.entries(v).map(([k, x]) => `${k}=${show(x)}`).join(' ');
      return String(v);
    };
    let text = '';
    for (const { name } of await indexedDB.databases()) {
      const db = await new Promise((res, rej) => {
        const r = indexedDB.open(name);
        r.onsuccess = () => res(r.result);
        r.onerror = () => rej(r.error);
      });
      for (const store of db.objectStoreNames) {
        const os = db.transaction(store, 'readonly').objectStore(store);
        const [keys, values] = await Promise.all(
          [os.getAllKeys(), os.getAll()].map((r) => new Promise((res) => { r.onsuccess = () => res(r.result); })),
        );
        keys.forEach((k, i) => { text += `\n${name}/${store}/${k}: ${show(values[i])}`; });
      }
      db.close();
    }
    for (const area of [localStorage, sessionStorage]) {
      for (let i = 0; i < area.length; i++) text += `\n${area.key(i)}: ${area.getItem(area.key(i))}`;
      // localStorage holds base64: decode every base64 run too, so bytes are searched as bytes.
    }
    // Bytes kept as base64 are searched as bytes: each run is replaced by its decoded bytes
    // (a short numeric id turns up in a few KB of base64 text by chance far more often).
    text = text.replace(/"\$bytes":"([A-Za-z0-9+/=]+)"/g, (_, b64) => `"$bytes":[decoded] ${atob(b64)}`);
    return text + '\n' + document.cookie;
  });
  await inspector.close();
  return text + (await page.evaluate(() => Object.keys(sessionStorage).map((k) => `\n${k}: ${sessionStorage.getItem(k)}`).join('')));
}

// Words that must never appear in storage in plaintext: every item id, title and category
// of the demo catalog, the purpose name and a search query. Ids shorter than 5 characters
// could match random ciphertext by chance and are left out.
export function secrets(extra = []) {
  const out = new Set(['personalization', ...extra]);
  for (const item of catalog.items) {
    out.add(item.id);
    out.add(item.title);
    for (const part of String(item.category).split(' > ')) out.add(part);
  }
  return [...out].filter((s) => s.length >= 5);
}

// Whether `word` is in `text`. An all-digit word counts only where no digit touches it: the
// key record's creation time is kept as a number (ms, shown here in decimal), and a 13-digit
// time holds one of the catalog's 224 numeric ids about 2% of the time by chance (CI once
// failed on "22652" inside it). A leaked id stands apart from other digits: {"item":"22652"}.
export function holdsWord(text, word) {
  if (!/^[0-9]+$/.test(word)) return text.includes(word);
  for (let at = text.indexOf(word); at >= 0; at = text.indexOf(word, at + 1)) {
    if (!/[0-9]/.test(text[at - 1] ?? '') && !/[0-9]/.test(text[at + word.length] ?? '')) return true;
  }
  return false;
}

export function assertNoPlaintext(text, words, where) {
  assert.ok(text.length > 100, `${where}: storage holds only ${text.length} characters; the search would prove nothing`);
  for (const w of words) assert.ok(!holdsWord(text, w), `${where}: "${w}" appears in plaintext`);
}
