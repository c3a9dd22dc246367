// The npm package as a stranger gets it: `npm pack`, then `npm install <tarball>` into a fresh
// project with PATH reduced to node and npm (no compiler: nothing can be built at install).
// 1. A tiny Vite app (no config file) is built and run in Chromium: Vite finds the wasm
//    through `new URL('../dist/emma.wasm', import.meta.url)` and the browser export condition,
//    and the worker of `worker: true` through `new Worker(new URL('./worker.js', …))`.
// 2. A plain Node script uses it with file storage (the node export condition).
// 3. The embed, deployed from node_modules/tante-emma/web/dist with the generated snippet
//    (Subresource Integrity on every file), fills a slot; a changed engine file is refused.
// 4. `tante-emma/react` in a Vite React app: the slot's fallback first (also from the
//    server-side render), the engine's items after.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { copyFile, cp, mkdir, mkdtemp, readdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { launch, startServer } from './harness.mjs';

const run = promisify(execFile);
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const BUNDLE = path.join(root, 'build/demo/shop.bundle');
const BAGS = ['85099B', '20725', '22383', '20727'];
const CSP = "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; style-src 'self'";
// What the tarball may weigh (gzip): the package's engine, the embeds' (emma.js and, for sharded
// catalogs, emma-shards.js: each with its engine, under plain and hashed names; and the engine
// with the shopper's rights both load on demand, emma-rights.wasm, under its hashed name only),
// the JS. (The shards embed took it from about 506,000 to 820,000 bytes; the rights engine to
// about 911,000.)
const MAX_TARBALL_BYTES = 1_000_000;

let packed = null;
// The tarball npm would publish, made once per run.
async function tarball() {
  packed ??= (async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'emma-pack-'));
    const { stdout } = await run('npm', ['pack', '--json', '--pack-destination', dir], { cwd: root });
    const [info] = JSON.parse(stdout);
    return { dir, file: path.join(dir, info.filename), info };
  })();
  return packed;
}

// A fresh project with tante-emma installed from the tarball by npm, offline, with only node
// and npm on PATH.
async function appWithPackage(t) {
  const { file } = await tarball();
  const dir = await mkdtemp(path.join(os.tmpdir(), 'emma-pkg-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const bin = path.join(dir, 'bin');
  await mkdir(bin);
  await symlink(process.execPath, path.join(bin, 'node'));
  await symlink('/usr/bin/npm', path.join(bin, 'npm'));
  const app = path.join(dir, 'app');
  await mkdir(app);
  await writeFile(path.join(app, 'package.json'), JSON.stringify({ name: 'smoke-app', private: true, type: 'module' }));
  await run(path.join(bin, 'npm'), ['install', file, '--offline', '--no-audit', '--no-fund', '--loglevel=error'], {
    cwd: app, env: { PATH: bin, HOME: dir, npm_config_cache: path.join(dir, 'npm-cache') },
  });
  return app;
}

// Vite builds the app in `app`; its dist/ is served under the strict CSP, and a fresh
// browser page opens it. Both are closed after the test; `errors` collects page errors.
async function buildAndOpen(t, app) {
  await run(process.execPath, [path.join(root, 'node_modules/vite/bin/vite.js'), 'build', '--logLevel', 'warn'], { cwd: app });
  return servedPage(t, path.join(app, 'dist'));
}

async function servedPage(t, folder) {
  const server = await startServer({ mounts: [['/', folder]], headers: { 'Content-Security-Policy': CSP } });
  const browser = await launch();
  t.after(async () => {
    await browser.close();
    await server.close();
  });
  const page = await browser.context.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  return { server, browser, page, errors };
}

test('the tarball holds the package and its licence, and nothing of tests, build or demo', async () => {
  const { info, file } = await tarball();
  const names = info.files.map((f) => f.path);
  for (const must of ['package.json', 'LICENSE', 'CHANGELOG.md', 'README.md', 'js-bindings/index.d.ts', 'js-bindings/react.d.ts',
    'js-bindings/src/react.js', 'js-bindings/dist/emma.wasm', 'web/dist/emma.js', 'web/dist/snippet.html', 'web/dist/manifest.json',
    'web/dist/emma-shards.js', 'web/dist/emma-shards.wasm', 'web/dist/snippet-shards.html']) {
    assert.ok(names.includes(must), `${must} is in the tarball`);
  }
  assert.deepEqual(names.filter((n) => /^(tests|build|demo|src|node_modules)\//.test(n)), []);
  const bytes = (await readFile(file)).length;
  assert.ok(bytes < MAX_TARBALL_BYTES, `the tarball is ${bytes} bytes`);
  const pkg = JSON.parse(await readFile(path.join(root, 'package.json'), 'utf8'));
  assert.equal(pkg.license, 'Apache-2.0');
  assert.equal(pkg.private, undefined);
  const { VERSION } = await import('../../js-bindings/src/version.js');
  assert.equal(VERSION, pkg.version, 'js-bindings/src/version.js says the package.json version');
  assert.match(await readFile(path.join(root, 'CHANGELOG.md'), 'utf8'), new RegExp(`^## ${pkg.version.replace(/\./g, '\\.')}$`, 'm'));
});

test('the packed package in a Vite app (no config) runs in Chromium', async (t) => {
  const app = await appWithPackage(t);
  await writeFile(path.join(app, 'index.html'), `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Vite smoke test</title></head>
<body><ul id="recs"></ul><script type="module" src="/main.js"></script></body></html>
`);
  await writeFile(path.join(app, 'main.js'), `import { createEmma, EmmaError } from 'tante-emma';

async function main(worker) {
  const emma = await createEmma({ bundle: '/shop.bundle', shop: 'vite-smoke', storage: 'memory', worker });
  await emma.consent.grant('personalization', { version: '1', text: 'Personalise.', source: 'banner' });
  for (const item of ${JSON.stringify(BAGS)}) await emma.track({ type: 'view', item });
  const recs = await emma.recommend({ scenario: 'for_you', limit: 4 });
  document.getElementById('recs').replaceChildren(...recs.items.map((i) => {
    const li = document.createElement('li');
    li.textContent = i.title;
    return li;
  }));
  let bad = null;
  try {
    await emma.track({ type: 'teleport', item: 'x' });
  } catch (err) {
    bad = err instanceof EmmaError ? err.code : String(err);
  }
  return { personalized: recs.personalized, categories: recs.items.map((i) => i.category[0]), bad };
}

Promise.all([main(false), main(true)]).then(([page, worker]) => { document.body.dataset.result = JSON.stringify({ page, worker }); }, (e) => { document.body.dataset.result = JSON.stringify({ error: e.code || e.message }); });
`);
  await mkdir(path.join(app, 'public'));
  await copyFile(BUNDLE, path.join(app, 'public/shop.bundle'));
  const { server, page, errors } = await buildAndOpen(t, app);
  const assets = await readdir(path.join(app, 'dist/assets'));
  assert.ok(assets.some((f) => f.endsWith('.wasm')), `Vite emitted the engine: ${assets.join(', ')}`);
  assert.ok(assets.some((f) => /^worker-.*\.js$/.test(f)), `Vite emitted the worker: ${assets.join(', ')}`);
  await page.goto(`${server.origin}/`);
  await page.waitForFunction(() => document.body.dataset.result, null, { timeout: 20000 });
  const result = JSON.parse(await page.evaluate(() => document.body.dataset.result));
  const expected = { personalized: true, categories: ['Bags', 'Bags', 'Bags', 'Bags'], bad: 'BAD_EVENT' };
  assert.deepEqual(result, { page: expected, worker: expected });
  assert.equal((await page.$$('#recs li')).length, 4);
  assert.deepEqual(errors, []);
});

test('the packed package from plain Node, with file storage', async (t) => {
  const app = await appWithPackage(t);
  const store = path.join(app, 'profiles');
  await writeFile(path.join(app, 'index.mjs'), `import { createEmma, EmmaError } from 'tante-emma';
const [bundle, store] = process.argv.slice(2);
const open = () => createEmma({ bundle, shop: 'node-smoke', storage: 'fs:' + store });
const emma = await open();
await emma.consent.grant('personalization', { version: '1', text: 'Personalise.', source: 'api' });
for (const item of ${JSON.stringify(BAGS)}) await emma.track({ type: 'view', item });
const first = await emma.recommend({ limit: 4 });
await emma.close();
const again = await open();
const second = await again.recommend({ limit: 4 });
let bad = null;
try { await createEmma({ bundle, shop: '' }); } catch (err) { bad = err instanceof EmmaError ? err.code : String(err); }
console.log(JSON.stringify({ version: again.version, personalized: second.personalized, same: JSON.stringify(first.items.map((i) => i.id)) === JSON.stringify(second.items.map((i) => i.id)), categories: second.items.map((i) => i.category[0]), bad }));
await again.close();
`);
  const { stdout } = await run(process.execPath, ['index.mjs', BUNDLE, store], { cwd: app });
  const { version } = JSON.parse(await readFile(path.join(root, 'package.json'), 'utf8'));
  assert.deepEqual(JSON.parse(stdout), { version, personalized: true, same: true, categories: ['Bags', 'Bags', 'Bags', 'Bags'], bad: 'BAD_REQUEST' });
});

// A shop page that includes the embed exactly as web/dist/snippet.html says.
async function embedPage(dist, snippet) {
  await writeFile(path.join(dist, '..', 'index.html'), `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Embed from the package</title>
${snippet}</head>
<body><div id="slot" data-emma-slot="trending" data-emma-limit="4"><p>Our bestsellers</p></div></body></html>
`);
}

test('the embed deployed from the package with its snippet (SRI on every file) fills a slot; a changed engine is refused', async (t) => {
  const app = await appWithPackage(t);
  const site = path.join(app, 'site');
  const dist = path.join(site, 'emma');
  await cp(path.join(app, 'node_modules/tante-emma/web/dist'), dist, { recursive: true });
  await copyFile(BUNDLE, path.join(dist, 'shop.bundle'));
  const snippet = (await readFile(path.join(dist, 'snippet.html'), 'utf8')).replace(/<!--.*?-->\n/, '');
  const manifest = JSON.parse(await readFile(path.join(dist, 'manifest.json'), 'utf8'));
  assert.match(snippet, new RegExp(`src="/emma/${manifest.files['emma.js'].file}" integrity="sha384-`));
  assert.match(snippet, new RegExp(`href="/emma/${manifest.files['emma.css'].file}" integrity="sha384-`));
  await embedPage(dist, snippet);
  const { server, browser, page, errors } = await servedPage(t, site);
  const fetched = [];
  page.on('requestfinished', (r) => fetched.push(new URL(r.url()).pathname));
  await page.goto(`${server.origin}/index.html`);
  await page.waitForFunction(() => document.getElementById('slot').dataset.emmaState, null, { timeout: 20000 });
  assert.equal(await page.evaluate(() => document.getElementById('slot').dataset.emmaState), 'filled');
  assert.ok(fetched.includes(`/emma/${manifest.files['emma.wasm'].file}`), `the engine came by its hashed name: ${fetched.join(', ')}`);
  assert.deepEqual(errors, []);

  // One byte of the engine changed (a compromised CDN): emma.js refuses it and the shop's
  // fallback stays.
  const wasmFile = path.join(dist, manifest.files['emma.wasm'].file);
  const wasm = await readFile(wasmFile);
  wasm[wasm.length - 1] ^= 1;
  await writeFile(wasmFile, wasm);
  const second = await browser.context.newPage();
  // A browser that has the engine cached under its hashed name (immutable) would not even
  // ask for it again: this one comes to the changed file with an empty cache.
  await (await browser.context.newCDPSession(second)).send('Network.clearBrowserCache');
  await second.goto(`${server.origin}/index.html`);
  await second.waitForFunction(() => document.getElementById('slot').dataset.emmaState, null, { timeout: 20000 });
  assert.deepEqual(await second.evaluate(() => ({ state: document.getElementById('slot').dataset.emmaState, text: document.getElementById('slot').textContent })),
    { state: 'fallback', text: 'Our bestsellers' });
});

test('tante-emma/react: the fallback first (also rendered on the server), the engine\'s items and chosen variant after', async (t) => {
  const app = await appWithPackage(t);
  // React itself, as the app would have it (from this repository's dev dependencies).
  for (const dep of ['react', 'react-dom', 'scheduler']) {
    await symlink(path.join(root, 'node_modules', dep), path.join(app, 'node_modules', dep)).catch(() => {});
  }
  const appCode = `import { createElement as h } from 'react';
import { EmmaChoose, EmmaProvider, EmmaSlot } from 'tante-emma/react';

const always = [{ id: 'everyone', render: () => h('p', { className: 'variant' }, 'For everyone') }];
const personal = [{ id: 'returning', returning: true, render: () => h('p', { className: 'variant' }, 'Welcome back') }];
export function App({ bundle }) {
  return h(EmmaProvider, { options: { bundle, shop: 'react-smoke', storage: 'memory' } },
    h(EmmaSlot, { id: 'slot', request: { scenario: 'trending', limit: 4 }, renderItem: (item) => h('p', { className: 'rec' }, item.title) },
      h('p', { id: 'fallback' }, 'Our bestsellers')),
    h(EmmaChoose, { id: 'choose', variants: always }, h('p', null, 'Default hero')),
    h(EmmaChoose, { id: 'choose-personal', variants: personal }, h('p', null, 'Default greeting')));
}
`;
  await writeFile(path.join(app, 'app.js'), appCode);
  // Server-side rendering in Node: nothing touches window; the fallback is what is rendered.
  await writeFile(path.join(app, 'ssr.mjs'), `import { createElement as h } from 'react';
import { renderToString } from 'react-dom/server';
import { App } from './app.js';
console.log(renderToString(h(App, { bundle: '/shop.bundle' })));
`);
  const { stdout: html } = await run(process.execPath, ['ssr.mjs'], { cwd: app });
  assert.match(html, /<div id="slot"><p id="fallback">Our bestsellers<\/p><\/div>/);
  assert.match(html, /<div id="choose"><p>Default hero<\/p><\/div><div id="choose-personal"><p>Default greeting<\/p><\/div>/);

  await writeFile(path.join(app, 'index.html'), `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>React smoke test</title></head>
<body><div id="root">${html}</div><script type="module" src="/main.js"></script></body></html>
`);
  await writeFile(path.join(app, 'main.js'), `import { createElement as h } from 'react';
import { hydrateRoot } from 'react-dom/client';
import { App } from './app.js';
hydrateRoot(document.getElementById('root'), h(App, { bundle: '/shop.bundle' }));
`);
  await mkdir(path.join(app, 'public'));
  await copyFile(BUNDLE, path.join(app, 'public/shop.bundle'));
  const { server, page, errors } = await buildAndOpen(t, app);
  // (the browser's own favicon request is not the app's)
  page.on('response', (r) => r.status() >= 400 && !r.url().endsWith('/favicon.ico') && errors.push(`${r.status()} ${r.url()}`));
  await page.addInitScript(() => document.addEventListener('DOMContentLoaded', () => {
    window.firstText = document.getElementById('slot').textContent;
  }));
  await page.goto(`${server.origin}/`);
  assert.equal(await page.evaluate(() => window.firstText), 'Our bestsellers', 'the server-rendered fallback is there first');
  await page.waitForSelector('#slot .rec', { timeout: 20000 });
  const shown = await page.evaluate(() => ({ filled: document.getElementById('slot').dataset.emmaFilled, recs: document.querySelectorAll('#slot .rec').length, fallback: !!document.getElementById('fallback') }));
  assert.deepEqual(shown, { filled: 'true', recs: 4, fallback: false });
  // EmmaChoose: a variant without conditions fits everyone; a personal one never without consent.
  await page.waitForSelector('#choose .variant', { timeout: 20000 });
  assert.deepEqual(await page.evaluate(() => [document.getElementById('choose').dataset.emmaChosen, document.getElementById('choose').textContent, document.getElementById('choose-personal').textContent]),
    ['everyone', 'For everyone', 'Default greeting']);
  assert.deepEqual(errors, []);
});
