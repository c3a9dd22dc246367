// The bundle is fetched while the engine loads, not after it (issue 19: the three files used
// to load one after another). A server of this test's own holds back the engine's wasm until
// the bundle has been asked for (at most 5 s): with the parallel start the bundle request
// comes while the wasm is held; with the old order it comes only after the wasm arrived.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import http from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ENGINES, launchEngine } from './drivers/index.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const TYPES = { '.js': 'text/javascript', '.mjs': 'text/javascript', '.wasm': 'application/wasm', '.html': 'text/html' };
const PAGE = `<!DOCTYPE html><html><head><meta charset="utf-8"><title>Parallel start</title>
<script type="module" src="/main.js"></script></head><body></body></html>`;
const MAIN = `import { createEmma } from '/pkg/src/browser.js';
createEmma({ bundle: '/shop.bundle', shop: 'parallel-start', storage: 'memory' })
  .then((emma) => emma.recommend({ scenario: 'trending', limit: 2 }))
  .then((r) => { window.result = { items: r.items.length }; }, (e) => { window.result = { error: e.code + ' ' + e.message }; });`;

async function startServer() {
  const log = [];
  let bundleAsked;
  const asked = new Promise((resolve) => { bundleAsked = resolve; });
  const server = http.createServer(async (req, res) => {
    const url = new URL(req.url, 'http://x').pathname;
    log.push(url);
    const send = async (file, body) => {
      res.writeHead(200, { 'Content-Type': TYPES[path.extname(file)] || 'application/octet-stream', 'Cache-Control': 'no-store' });
      res.end(body ?? (await readFile(file)));
    };
    try {
      if (url === '/') return await send('index.html', PAGE);
      if (url === '/main.js') return await send('main.js', MAIN);
      if (url === '/shop.bundle') {
        bundleAsked();
        return await send(path.join(root, 'build/demo/shop.bundle'));
      }
      if (url.startsWith('/pkg/') && !url.includes('..')) {
        if (url.endsWith('.wasm')) {
          const held = await Promise.race([asked.then(() => true), new Promise((r) => setTimeout(() => r(false), 5000))]);
          log.push(held ? 'wasm sent after the bundle was asked for' : 'wasm sent after 5 s without a bundle request');
        }
        return await send(path.join(root, 'js-bindings', url.slice(5)));
      }
      res.writeHead(404).end();
    } catch {
      res.writeHead(404).end();
    }
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { origin: `http://127.0.0.1:${server.address().port}`, log, close: () => new Promise((resolve) => server.close(resolve)) };
}

for (const engine of ENGINES) {
  test(`${engine}: createEmma asks for the bundle while the engine is still loading`, async (t) => {
    const server = await startServer();
    const browser = await launchEngine(engine);
    t.after(async () => {
      await browser.close();
      await server.close();
    });
    const page = await browser.newPage();
    await page.goto(`${server.origin}/`);
    const result = await page.waitFor(() => window.result, null, { timeout: 30000, what: 'createEmma and a recommendation' });
    assert.deepEqual(result, { items: 2 });
    const wasm = server.log.findIndex((l) => l.startsWith('wasm sent'));
    assert.equal(server.log[wasm], 'wasm sent after the bundle was asked for', server.log.join('\n'));
    assert.ok(server.log.indexOf('/shop.bundle') < wasm, server.log.join('\n'));
  });
}
