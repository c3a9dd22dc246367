// One way to drive Chromium, Firefox and WebKit from a browser test: a test is written once
// and looped over ENGINES. Each browser gets a profile folder of its own (persistent: a
// reload and a restart() keep its storage), removed when the test ends, pass or fail.
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { startServer } from '../harness.mjs';
import { launchChromium } from './chromium.mjs';
import { launchFirefox } from './firefox.mjs';
import { launchWebKit } from './webkit.mjs';

const LAUNCH = { chromium: launchChromium, firefox: launchFirefox, webkit: launchWebKit };

// EMMA_ENGINES=chromium,firefox narrows a run; npm test runs all three.
export const ENGINES = (process.env.EMMA_ENGINES || 'chromium,firefox,webkit').split(',').map((s) => s.trim()).filter(Boolean);
for (const e of ENGINES) if (!LAUNCH[e]) throw new Error(`EMMA_ENGINES: unknown engine "${e}" (chromium, firefox, webkit)`);

// What each driver can do beyond the common operations. WebKitWebDriver has no init
// scripts and no console or page-error events, and one session runs one command at a time
// (two tabs can take turns, not run at once).
export const CAN = {
  chromium: { initScripts: true, logs: true, parallelTabs: true },
  firefox: { initScripts: true, logs: true, parallelTabs: true },
  webkit: { initScripts: false, logs: false, parallelTabs: false },
};

export async function launchEngine(engine) {
  const dir = await mkdtemp(path.join(os.tmpdir(), `emma-${engine}-`));
  let raw;
  try {
    raw = await LAUNCH[engine](dir);
  } catch (e) {
    await rm(dir, { recursive: true, force: true });
    throw e;
  }
  return {
    engine,
    can: CAN[engine],
    raw,
    newPage: () => raw.newPage(),
    restart: () => raw.restart(),
    async close() {
      try {
        await raw.close();
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    },
  };
}

// A demo server (with its request log) and a fresh browser of `engine`, both closed after
// the test, also when it fails.
export async function serverAndEngine(t, engine, serverOptions) {
  const server = await startServer(serverOptions);
  let browser = null;
  t.after(async () => {
    if (browser) await browser.close();
    await server.close();
  });
  browser = await launchEngine(engine);
  return { server, browser };
}

// What the page's origin has stored: IndexedDB databases, Web Storage keys and cookies
// (the page's, and any the browser sent to the server since `since` requests).
export async function storedAnything(page, server, since = 0) {
  const inPage = await page.evaluate(async () => ({
    indexedDB: (await indexedDB.databases()).map((d) => d.name),
    localStorage: Object.keys(localStorage),
    sessionStorage: Object.keys(sessionStorage),
    cookie: document.cookie,
  }));
  return { ...inPage, cookies: server.requests.slice(since).map((r) => r.cookie).filter(Boolean) };
}
