// Helpers of the embed and demo browser tests (the harness's server and Chromium).
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const artifacts = path.join(path.dirname(fileURLToPath(import.meta.url)), 'artifacts');

// A page that records console warnings, page errors, CSP violations and dialogs (an
// alert() from injected markup would show up here).
export async function watchedPage(context) {
  const page = await context.newPage();
  const seen = { warnings: [], errors: [], dialogs: [], requests: [] };
  page.on('console', (m) => {
    if (m.type() === 'warning' || m.type() === 'error') seen.warnings.push(m.text());
  });
  page.on('pageerror', (e) => seen.errors.push(e.message));
  page.on('dialog', (d) => {
    seen.dialogs.push(d.message());
    d.dismiss().catch(() => {});
  });
  page.on('request', (r) => seen.requests.push({ url: r.url(), method: r.method(), type: r.resourceType() }));
  await page.addInitScript(() => {
    window.__violations = [];
    document.addEventListener('securitypolicyviolation', (e) => window.__violations.push(`${e.violatedDirective} ${e.blockedURI}`));
  });
  return { page, seen };
}

// Resolves when the embed has finished starting: 'ready' or 'unavailable'.
export async function emmaSettled(page) {
  await page.waitForFunction(() => document.documentElement.dataset.emma, null, { timeout: 20000 });
  return page.evaluate(() => document.documentElement.dataset.emma);
}

// window.emma(command, ...args) through the embed's queue API, resolved in Node.
export function emmaCall(page, command, ...args) {
  return page.evaluate(
    ({ command, args }) =>
      new Promise((resolve, reject) => {
        window.emma(command, ...args, (err, result) => (err ? reject(new Error(`${err.code}: ${err.message}`)) : resolve(result)));
      }),
    { command, args },
  );
}

// What the page's origin has stored: IndexedDB databases, Web Storage keys and cookies.
export async function storedAnything(page) {
  const inPage = await page.evaluate(async () => ({
    indexedDB: (await indexedDB.databases()).map((d) => d.name),
    localStorage: Object.keys(localStorage),
    sessionStorage: Object.keys(sessionStorage),
    cookie: document.cookie,
  }));
  return { ...inPage, cookies: (await page.context().cookies()).map((c) => c.name) };
}

export async function screenshot(page, name, { fullPage = true } = {}) {
  await mkdir(artifacts, { recursive: true });
  const file = path.join(artifacts, name);
  await page.screenshot({ path: file, fullPage });
  return file;
}
