// Browser tests run Debian's Chromium through playwright-core against the demo server on
// a free loopback port. Each test gets a fresh profile directory (no leftover storage).
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { createDemoServer } from '../../demo/server.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));

const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync'];

export async function startServer(options = {}) {
  const server = createDemoServer({ mounts: [['/test/', path.join(here, 'pages')]], ...options });
  // What reached the server, in every engine alike: method, path and query, cookies sent.
  const requests = [];
  server.on('request', (req) => requests.push({ method: req.method, url: req.url, cookie: req.headers.cookie || '' }));
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const origin = `http://127.0.0.1:${server.address().port}`;
  return { origin, requests, close: () => new Promise((resolve) => server.close(resolve)) };
}

// A persistent context so that storage survives a reload and can be inspected.
export async function launch() {
  const userDataDir = await mkdtemp(path.join(os.tmpdir(), 'emma-chromium-'));
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: '/usr/bin/chromium',
    headless: true,
    args: CHROMIUM_ARGS,
  });
  return {
    context,
    async close() {
      await context.close();
      await rm(userDataDir, { recursive: true, force: true });
    },
  };
}

// A demo server and a fresh browser profile for one test, both closed after it.
export async function serverAndBrowser(t, serverOptions) {
  const server = await startServer(serverOptions);
  const browser = await launch();
  t.after(async () => {
    await browser.close();
    await server.close();
  });
  return { server, browser };
}

// Every record of every IndexedDB database of the page's origin, with bytes as latin1
// text so that a plaintext search can run over them. CryptoKeys are described, not read.
export async function dumpIndexedDb(page) {
  return page.evaluate(async () => {
    const out = {};
    for (const { name } of await indexedDB.databases()) {
      const db = await new Promise((res, rej) => {
        const r = indexedDB.open(name);
        r.onsuccess = () => res(r.result);
        r.onerror = () => rej(r.error);
      });
      out[name] = {};
      for (const store of db.objectStoreNames) {
        const tx = db.transaction(store, 'readonly');
        const os = tx.objectStore(store);
        const [keys, values] = await Promise.all(
          [os.getAllKeys(), os.getAll()].map((r) => new Promise((res) => { r.onsuccess = () => res(r.result); })),
        );
        const show = (v) => {
          if (v instanceof Uint8Array || v instanceof ArrayBuffer) {
            const b = new Uint8Array(v);
            let s = '';
            for (const x of b) s += String.fromCharCode(x);
            return { bytes: b.length, latin1: s };
          }
          if (v instanceof CryptoKey) return { cryptoKey: { extractable: v.extractable, algorithm: v.algorithm.name, usages: v.usages } };
          if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, show(x)]));
          return v;
        };
        out[name][store] = Object.fromEntries(keys.map((k, i) => [String(k), show(values[i])]));
      }
      db.close();
    }
    return out;
  });
}
