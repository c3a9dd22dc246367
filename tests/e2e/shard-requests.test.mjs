// Catalogs of any size (issue 11): what a page requests of a sharded catalog depends only on
// the pages visited, never on the stored profile. Two shoppers with very different profiles
// (one with consent and a history of views and purchases, one without consent) visit the same
// pages in the same order; the server sees the same requests, URL by URL. Shards are served
// `no-store` here, so that every fetch Emma makes reaches the server (with caching, a shard
// fetched earlier would not be asked for again, in the same way for both).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ENGINES, launchEngine } from './drivers/index.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const TYPES = { '.js': 'text/javascript', '.mjs': 'text/javascript', '.wasm': 'application/wasm', '.html': 'text/html' };
const PAGE = `<!DOCTYPE html><html><head><meta charset="utf-8"><title>Shards</title>
<script type="module" src="/main.js"></script></head><body></body></html>`;
// One page of the shop: a product page (?item=) tracks the view (or a purchase) and fills its
// two rows; the home page fills "for you". ?grant=1 gives consent first.
const MAIN = `import { createEmma } from '/pkg/src/browser.js';
const q = new URL(location.href).searchParams;
const errors = [];
const out = {};
try {
  const emma = await createEmma({ bundle: '/data/shop.bundle', shop: 'shards', storage: 'indexeddb', on: { error: (e) => errors.push(e.code + ' ' + e.message) } });
  if (q.get('grant')) await emma.consent.grant('personalization', { version: 't', text: 'test', source: 'banner' });
  const item = q.get('item');
  if (item) {
    await emma.track(q.get('buy') ? { type: 'purchase', item, quantity: 1 } : { type: 'view', item });
    out.similar = (await emma.recommend({ scenario: 'similar', item, limit: 4 })).items.map((x) => x.id);
    out.together = (await emma.recommend({ scenario: 'bought_together', item, limit: 4 })).items.map((x) => x.id);
  } else {
    const r = await emma.recommend({ scenario: 'for_you', limit: 6 });
    Object.assign(out, { forYou: r.items.map((x) => x.id), personalized: r.personalized, partial: r.partial });
  }
} catch (e) {
  errors.push(e.code + ' ' + e.message);
}
window.result = { ...out, errors };`;

function shardDemoBundle(dir) {
  execFileSync(path.join(root, 'build/native/emma-model'), ['shard', '--bundle', path.join(root, 'build/demo/shop.bundle'),
    '--out', path.join(dir, 'shop.bundle'), '--shard-items', '8', '--head-items', '24', '--head-per-category', '4', '--json'], { stdio: 'pipe' });
}

async function startServer(dir) {
  const log = [];
  const server = http.createServer(async (req, res) => {
    const url = new URL(req.url, 'http://x');
    log.push(url.pathname + url.search);
    const send = async (file, body) => {
      res.writeHead(200, { 'Content-Type': TYPES[path.extname(file)] || 'application/octet-stream', 'Cache-Control': 'no-store' });
      res.end(body ?? (await readFile(file)));
    };
    try {
      if (url.pathname === '/') return await send('index.html', PAGE);
      if (url.pathname === '/main.js') return await send('main.js', MAIN);
      if (url.pathname.includes('..')) throw new Error('no');
      if (url.pathname.startsWith('/data/')) return await send(path.join(dir, url.pathname.slice(6)));
      if (url.pathname.startsWith('/pkg/')) return await send(path.join(root, 'js-bindings', url.pathname.slice(5)));
      res.writeHead(404).end();
    } catch {
      res.writeHead(404).end();
    }
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { origin: `http://127.0.0.1:${server.address().port}`, log, close: () => new Promise((resolve) => server.close(resolve)) };
}

const ids = JSON.parse(readFileSync(path.join(root, 'demo/catalog.json'), 'utf8')).items.map((i) => i.id);

for (const engine of ENGINES.filter((e) => e === 'chromium')) {
  test(`${engine}: two shoppers with different profiles cause the same requests on the same pages`, async (t) => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'emma-shards-'));
    shardDemoBundle(dir);
    const server = await startServer(dir);
    const browsers = [await launchEngine(engine), await launchEngine(engine)];
    t.after(async () => {
      for (const b of browsers) await b.close();
      await server.close();
      rmSync(dir, { recursive: true, force: true });
    });
    const visit = async (browser, query) => {
      const page = await browser.newPage();
      await page.goto(`${server.origin}/?${query}`);
      const result = await page.waitFor(() => window.result, null, { timeout: 30000, what: `the page ?${query}` });
      await page.close();
      assert.deepEqual(result.errors, [], `?${query}`);
      return result;
    };
    // Before: shopper A consents and builds a history; shopper B only looks at two other items.
    await visit(browsers[0], `grant=1&item=${ids[3]}`);
    for (const [k, i] of [10, 11, 40, 41, 42, 90].entries()) await visit(browsers[0], `item=${ids[i]}${k % 2 ? '&buy=1' : ''}`);
    await visit(browsers[1], `item=${ids[200]}`);
    await visit(browsers[1], `item=${ids[201]}`);
    const homeA = await visit(browsers[0], '');
    assert.equal(homeA.personalized, true);

    // The same pages in the same order.
    const pages = ['', `item=${ids[11]}`, `item=${ids[120]}`, '', `item=${ids[40]}`, `item=${ids[7]}&buy=1`, ''];
    const seen = [];
    const answers = [];
    for (const browser of browsers) {
      const log = [];
      const got = [];
      for (const p of pages) {
        const from = server.log.length;
        got.push(await visit(browser, p));
        // The page's own module scripts arrive in any order; Emma's data requests in order.
        const urls = server.log.slice(from);
        log.push({ page: p, data: urls.filter((u) => u.startsWith('/data/')), all: [...urls].sort() });
      }
      seen.push(log);
      answers.push(got);
    }
    assert.deepEqual(seen[0], seen[1], 'the request sequences differ');
    const shards = seen[0].flatMap((x) => x.data).filter((u) => /^\/data\/shop\.[0-9a-f]{16}\.\d+\.bundle$/.test(u));
    assert.ok(shards.length >= 3, `product pages fetched their shards: ${JSON.stringify(seen[0])}`);
    // What the shoppers saw did differ: A's home page is personal, from A's remembered items.
    assert.notDeepEqual(answers[0][0].forYou, answers[1][0].forYou);
    assert.equal(answers[0][0].personalized, true);
    assert.equal(answers[1][0].personalized, false);
  });
}
