// The npm package as users get it: `npm pack`, unpacked into a fresh app's node_modules.
// 1. A tiny Vite app (no config file) is built and run in Chromium: Vite finds the wasm
//    through `new URL('../dist/emma.wasm', import.meta.url)` and the browser export condition,
//    and the worker of `worker: true` through `new Worker(new URL('./worker.js', …))`.
// 2. A plain Node script uses it with file storage (the node export condition).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { copyFile, mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { launch, startServer } from './harness.mjs';

const run = promisify(execFile);
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const BUNDLE = path.join(root, 'build/demo/shop.bundle');
const BAGS = ['85099B', '20725', '22383', '20727'];

// A folder with node_modules/tante-emma unpacked from the tarball npm would publish.
async function appWithPackage(t) {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'emma-pkg-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const { stdout } = await run('npm', ['pack', '--json', '--pack-destination', dir], { cwd: root });
  const tarball = path.join(dir, JSON.parse(stdout)[0].filename);
  const app = path.join(dir, 'app');
  const pkg = path.join(app, 'node_modules/tante-emma');
  await mkdir(pkg, { recursive: true });
  await run('tar', ['xzf', tarball, '--strip-components=1', '-C', pkg]);
  await writeFile(path.join(app, 'package.json'), JSON.stringify({ name: 'smoke-app', private: true, type: 'module' }));
  return app;
}

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
  await run(process.execPath, [path.join(root, 'node_modules/vite/bin/vite.js'), 'build', '--logLevel', 'warn'], { cwd: app });
  const assets = await readdir(path.join(app, 'dist/assets'));
  assert.ok(assets.some((f) => f.endsWith('.wasm')), `Vite emitted the engine: ${assets.join(', ')}`);
  assert.ok(assets.some((f) => /^worker-.*\.js$/.test(f)), `Vite emitted the worker: ${assets.join(', ')}`);

  const server = await startServer({ mounts: [['/', path.join(app, 'dist')]], headers: { 'Content-Security-Policy': "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; style-src 'self'" } });
  const browser = await launch();
  t.after(async () => {
    await browser.close();
    await server.close();
  });
  const page = await browser.context.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
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
console.log(JSON.stringify({ personalized: second.personalized, same: JSON.stringify(first.items.map((i) => i.id)) === JSON.stringify(second.items.map((i) => i.id)), categories: second.items.map((i) => i.category[0]), bad }));
await again.close();
`);
  const { stdout } = await run(process.execPath, ['index.mjs', BUNDLE, store], { cwd: app });
  assert.deepEqual(JSON.parse(stdout), { personalized: true, same: true, categories: ['Bags', 'Bags', 'Bags', 'Bags'], bad: 'BAD_REQUEST' });
});
