// A sharded catalog through the embed script (issue 11; docs/catalog-size.md "The embed
// script"): a shop page includes emma-shards.js with the head's URL as data-bundle. Product
// pages fetch their item's shard (two rounds for a variant's SKU) and fill their slots; the
// privacy centre opens; the page requests static files only, and two shoppers with very
// different stored profiles visiting the same pages in the same order cause the same
// requests, URL by URL; a shard that answers 404 is reported with its URL and the slot fills
// from what is loaded. Everything is served `no-store`, so that every fetch the page makes
// reaches the server (with caching, a file fetched earlier would not be asked for again, in
// the same way for both shoppers).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { mkdtemp, readFile, rename, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ENGINES, launchEngine } from './drivers/index.mjs';
import { startServer } from './harness.mjs';
import { emmaCall, emmaSettled } from './embed-kit.mjs';
import { createEmma } from '../../js-bindings/src/node.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const emmaModel = path.join(root, 'build/native/emma-model');
const ids = JSON.parse(await readFile(path.join(root, 'demo/catalog.json'), 'utf8')).items.map((i) => i.id);

// The console's warnings, kept in the page (WebKit's driver has no console events).
const WATCH = `<script>window.warnings = []; { const w = console.warn; console.warn = (...a) => { window.warnings.push(a.join(' ')); w.apply(console, a); }; }</script>`;
// A trap inside the engine later in a session, as WebKit's baseline compiler causes now and then
// (docs/browsers.md, "A WebKit trap"): the engine's instances are wrapped so that the next call
// of the op in `window.trap.op` throws the RuntimeError JSC throws; `window.trap.instances`
// counts the instances. emma_call is the export with five parameters (session, request, its
// length, bytes, their length); the request's op is read from the engine's memory.
const TRAP = `<script>window.trap = { op: null, instances: 0 }; { const instantiate = WebAssembly.instantiate;
WebAssembly.instantiate = async (...a) => { const instance = await instantiate.apply(WebAssembly, a); if (instance.instance) return instance;
  window.trap.instances++; const x = instance.exports; const mem = Object.values(x).find((v) => v instanceof WebAssembly.Memory); const exports = {};
  for (const [k, f] of Object.entries(x)) exports[k] = typeof f === 'function' && f.length === 5 ? (...args) => {
    if (JSON.parse(new TextDecoder().decode(new Uint8Array(mem.buffer, args[1], args[2]))).op === window.trap.op) { window.trap.op = null; throw new WebAssembly.RuntimeError('Out of bounds memory access'); }
    return f(...args); } : f;
  return { exports }; }; }</script>`;
const page = (title, body, slots, head = '') => `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>${title}</title><link rel="icon" href="data:,">
${WATCH}${head}
<script src="/emma/emma-shards.js" data-bundle="/s/shop.bundle" data-shop="sharded-embed" async></script>
</head>
<body${body}>
<a href="/s/privacy.html" id="privacy" data-emma-privacy>Privacy</a>
${slots}
</body></html>
`;
const slot = (id, scenario, item, limit = 4) =>
  `<div id="${id}" data-emma-slot="${scenario}"${item ? ` data-emma-item="${item}"` : ''} data-emma-limit="${limit}"><p>The shop's own list</p></div>`;
const productPage = (item, head) => page(item, ` data-emma-page="product" data-emma-item="${item}"`, slot('similar', 'similar', item) + slot('together', 'bought_together', item), head);
const homePage = () => page('Home', '', slot('foryou', 'for_you', null, 6) + slot('trending', 'trending', null));

async function site(t, writeBundle, head = '') {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'emma-embed-shards-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const pages = new Map();
  const pageOf = (item) => {
    if (!pages.has(item)) pages.set(item, `p${pages.size}.html`);
    return pages.get(item);
  };
  writeBundle(dir);
  const server = await startServer({ mounts: [['/s/', dir]], headers: { 'Cache-Control': 'no-store' } });
  t.after(() => server.close());
  // A product page per item, written when first visited; `null`: the home page.
  const url = async (item) => {
    const name = item === null ? 'home.html' : pageOf(item);
    await writeFile(path.join(dir, name), item === null ? homePage() : productPage(item, head));
    return `${server.origin}/s/${name}`;
  };
  return { dir, server, url };
}

// Visits a page and waits until the embed has filled its slots (the page view, and with it
// the item's shard, is tracked before). Returns what the slots show and the requests it caused.
async function visit(s, browser, item) {
  const from = s.server.requests.length;
  const p = await browser.newPage();
  await p.goto(await s.url(item));
  assert.equal(await emmaSettled(p), 'ready', `${item ?? 'home'}: ${JSON.stringify(await p.evaluate(() => window.warnings))}`);
  const shown = await p.evaluate(() => Object.fromEntries([...document.querySelectorAll('[data-emma-slot]')].map((el) =>
    [el.id, { state: el.dataset.emmaState, items: [...el.querySelectorAll('[data-emma-item]')].map((x) => x.dataset.emmaItem) }])));
  const warnings = await p.evaluate(() => window.warnings);
  const requests = s.server.requests.slice(from).map((r) => `${r.method} ${r.url}`);
  return { p, shown, warnings, requests };
}

const DATA = /^GET \/s\/shop(\.[0-9a-f]{16}\.\d+)?\.bundle$/;
// What a page may ask for: itself, the embed's files, the head and its shards (no query, no POST).
const STATIC = [/^GET \/s\/(p\d+|home)\.html$/, /^GET \/emma\/emma-shards\.js$/, /^GET \/emma\/emma-shards\.[0-9a-f]{12}\.wasm$/,
  /^GET \/emma\/emma\.[0-9a-f]{12}\.css$/, /^GET \/emma\/emma-centre\.[0-9a-f]{12}\.js$/, DATA];

function shardDemo(dir) {
  execFileSync(emmaModel, ['shard', '--bundle', path.join(root, 'build/demo/shop.bundle'), '--out', path.join(dir, 'shop.bundle'),
    '--shard-items', '8', '--head-items', '24', '--head-per-category', '4'], { stdio: 'pipe' });
}

for (const engine of ENGINES) {
  test(`${engine}: a sharded catalog through the embed: slots fill, the centre opens, and two shoppers cause the same requests`, async (t) => {
    const s = await site(t, shardDemo);
    // Two shoppers, each with consent and a history of their own: A views and buys in some
    // categories, B in others.
    const histories = [
      { views: [3, 10, 40, 41, 42, 90], buys: [10, 41] },
      { views: [200, 201, 215, 216, 230], buys: [215] },
    ];
    const pages = [null, ids[11], ids[120], null, ids[40], ids[7], null];
    const seen = [];
    for (const [who, history] of histories.entries()) {
      const browser = await launchEngine(engine);
      try {
        const first = await visit(s, browser, ids[history.views[0]]);
        await emmaCall(first.p, 'consent.grant', 'personalization', { version: 't', text: 'test', source: 'banner' });
        await first.p.close();
        for (const i of history.views.slice(1)) {
          const v = await visit(s, browser, ids[i]);
          if (history.buys.includes(i)) await emmaCall(v.p, 'track', { type: 'purchase', item: ids[i], quantity: 1 });
          await v.p.close();
        }
        // The privacy centre of a product page shows what is kept.
        const centre = await visit(s, browser, ids[history.views[0]]);
        await centre.p.click('#privacy');
        await centre.p.waitForSelector('dialog.emma-centre[open]');
        const exported = await emmaCall(centre.p, 'profile.export');
        assert.ok(exported.recently_viewed.length >= history.views.length - 1, JSON.stringify(exported.recently_viewed));
        await centre.p.close();

        // The same pages in the same order.
        const log = [];
        for (const item of pages) {
          const v = await visit(s, browser, item);
          await v.p.close();
          for (const r of v.requests) assert.ok(STATIC.some((re) => re.test(r)), `${engine}: not a static file: ${r}`);
          assert.deepEqual(v.warnings, [], `${item}`);
          if (item !== null) assert.equal(v.shown.similar.state, 'filled', `${item}: ${JSON.stringify(v.shown)}`);
          else assert.equal(v.shown.foryou.state, 'filled');
          // The page's own files arrive in any order; the head and the shards in order.
          log.push({ page: item, data: v.requests.filter((r) => DATA.test(r)), all: [...v.requests].sort(), shown: v.shown });
        }
        seen.push(log);
      } finally {
        await browser.close();
      }
    }
    const requestsOf = (log) => log.map(({ page: p, data, all }) => ({ page: p, data, all }));
    assert.deepEqual(requestsOf(seen[1]), requestsOf(seen[0]), 'the request sequences differ');
    const shards = seen[0].flatMap((x) => x.data).filter((r) => r !== 'GET /s/shop.bundle');
    assert.ok(shards.length >= 3, `product pages fetched their shards: ${JSON.stringify(seen[0])}`);
    // The profiles did make a difference: the home pages' "for you" rows differ.
    assert.notDeepEqual(seen[1][0].shown.foryou.items, seen[0][0].shown.foryou.items);
  });

  test(`${engine}: a shard that answers 404 is reported with its URL; the slot fills from what is loaded`, async (t) => {
    const s = await site(t, shardDemo);
    const browser = await launchEngine(engine);
    t.after(() => browser.close());
    // An item of the head (the home page's "trending", before any shard is loaded), and its shard.
    const home = await visit(s, browser, null);
    await home.p.close();
    const item = home.shown.trending.items[0];
    assert.ok(item, JSON.stringify(home.shown));
    const before = await visit(s, browser, item);
    await before.p.close();
    const [shard] = before.requests.filter((r) => DATA.test(r) && r !== 'GET /s/shop.bundle');
    assert.ok(shard, JSON.stringify(before.requests));
    const name = shard.replace('GET /s/', '');
    await rename(path.join(s.dir, name), path.join(s.dir, `${name}.gone`));

    const after = await visit(s, browser, item);
    await after.p.close();
    assert.ok(after.requests.includes(shard), `the page asked for its shard: ${JSON.stringify(after.requests)}`);
    assert.ok(after.warnings.some((w) => w.includes('BAD_BUNDLE') && w.includes(`${s.server.origin}/s/${name}`) && w.includes('404')),
      `a warning names the shard's URL: ${JSON.stringify(after.warnings)}`);
    assert.equal(after.shown.similar.state, 'filled', JSON.stringify(after.shown));
    assert.ok(after.shown.similar.items.length > 0 && !after.shown.similar.items.includes(item));
  });
}

// A catalog of 120 products with three sizes each (as tests/js/variants.test.mjs): a variant's
// SKU hashes to another shard than its product, whose shard the engine names once the first
// has told it the product.
function shardedShirts(dir) {
  const items = [];
  const orders = [];
  for (let i = 0; i < 120; i++) {
    const id = `shirt-${i}`;
    items.push({ id, title: `Shirt ${i}`, category: `Shirts > Line ${i % 6}`, price: 20 + (i % 7),
      attributes: { variants: ['S', 'M', 'L'].map((size) => `SH${i}-${size}`) } });
    for (let k = 1; k <= 3; k++) {
      const j = (i + 6 * k) % 120;
      orders.push({ customer: `c${i}-${k}`, basket: `b${i}-${k}`, item: id, at: Date.UTC(2026, 2, 1 + k) });
      orders.push({ customer: `c${i}-${k}`, basket: `b${i}-${k}`, item: `shirt-${j}`, at: Date.UTC(2026, 2, 1 + k) });
    }
  }
  mkdirSync(path.join(dir, 'src'));
  const catalog = path.join(dir, 'src/catalog.json');
  const ordersFile = path.join(dir, 'src/orders.jsonl');
  writeFileSync(catalog, JSON.stringify({ items }));
  writeFileSync(ordersFile, `${orders.map((o) => JSON.stringify(o)).join('\n')}\n`);
  execFileSync(emmaModel, ['build', '--catalog', catalog, '--orders', ordersFile, '--k', '1', '--out', path.join(dir, 'src/whole.bundle')], { stdio: 'ignore' });
  execFileSync(emmaModel, ['shard', '--bundle', path.join(dir, 'src/whole.bundle'), '--out', path.join(dir, 'shop.bundle'), '--shard-items', '8',
    '--head-items', '10', '--head-per-category', '1'], { stdio: 'ignore' });
}

for (const engine of ENGINES) test(`${engine}: a variant's product page fetches two shards and answers as the whole bundle`, async (t) => {
  const s = await site(t, shardedShirts);
  const whole = await createEmma({ bundle: await readFile(path.join(s.dir, 'src/whole.bundle')), shop: 'whole', storage: 'memory' });
  t.after(() => whole.close());
  const browser = await launchEngine(engine);
  t.after(() => browser.close());
  let twoRounds = 0;
  for (const variant of ['SH3-M', 'SH41-S', 'SH77-L', 'SH118-M']) {
    const v = await visit(s, browser, variant);
    const answer = await emmaCall(v.p, 'recommend', { scenario: 'bought_together', item: variant, limit: 4 });
    await v.p.close();
    const expected = await whole.recommend({ scenario: 'bought_together', item: variant, limit: 4 });
    assert.deepEqual(answer.items.map((i) => i.id), expected.items.map((i) => i.id), variant);
    assert.equal(answer.partial, false, variant);
    assert.equal(v.shown.together.state, 'filled', `${variant}: ${JSON.stringify(v.shown)}`);
    assert.deepEqual(v.shown.together.items, expected.items.map((i) => i.id), variant);
    for (const r of v.requests) assert.ok(STATIC.some((re) => re.test(r)), `not a static file: ${r}`);
    if (v.requests.filter((r) => DATA.test(r) && r !== 'GET /s/shop.bundle').length === 2) twoRounds++;
  }
  assert.ok(twoRounds > 0, 'some variant page fetched its shard and then its product\'s');
});

// A trap later in the session (createEmma's restart, docs/browsers.md "A WebKit trap"): the
// fresh instance fetches the head again and knows it is sharded, so the call that trapped runs
// again after fetching the shards its page names (the old instance's died with it), and
// answers as before the trap; the stored profile is reopened; the page hears it once.
for (const engine of ENGINES) test(`${engine}: a trap later in the session: a fresh instance fetches the head and the page's shards again, and answers as before`, async (t) => {
  const s = await site(t, shardedShirts, TRAP);
  const browser = await launchEngine(engine);
  t.after(() => browser.close());
  const variant = 'SH41-S';
  const request = { scenario: 'bought_together', item: variant, limit: 4 };
  const v = await visit(s, browser, variant);
  await emmaCall(v.p, 'consent.grant', 'personalization', { version: 't', text: 'test', source: 'banner' });
  assert.equal((await emmaCall(v.p, 'track', { type: 'view', item: variant })).stored, true);
  const before = await emmaCall(v.p, 'recommend', request);
  const shards = v.requests.filter((r) => DATA.test(r) && r !== 'GET /s/shop.bundle');
  assert.ok(shards.length >= 1, JSON.stringify(v.requests));
  assert.equal(await v.p.evaluate(() => window.trap.instances), 1);

  const from = s.server.requests.length;
  await v.p.evaluate(() => { window.trap.op = 'recommend'; });
  const after = await emmaCall(v.p, 'recommend', request);
  const requests = s.server.requests.slice(from).map((r) => `${r.method} ${r.url}`);
  assert.equal(await v.p.evaluate(() => window.trap.instances), 2);
  assert.deepEqual(after.items.map((i) => i.id), before.items.map((i) => i.id));
  assert.equal(after.partial, false);
  const data = requests.filter((r) => DATA.test(r));
  assert.equal(data[0], 'GET /s/shop.bundle', `the head first: ${JSON.stringify(requests)}`);
  assert.deepEqual(data.slice(1).sort(), [...shards].sort(), `then the page's shards: ${JSON.stringify(requests)}`);
  for (const r of requests) assert.ok(STATIC.some((re) => re.test(r)), `not a static file: ${r}`);
  const warnings = await v.p.evaluate(() => window.warnings);
  assert.equal(warnings.filter((w) => w.includes('ENGINE_FAILED')).length, 1, JSON.stringify(warnings));
  assert.ok(warnings.some((w) => /started again with a fresh instance, the stored profile reopened, after: .*\(recommend\)/.test(w)), JSON.stringify(warnings));
  // The stored profile is the new instance's: the page view and the consent are there.
  const exported = await emmaCall(v.p, 'profile.export');
  assert.ok(exported.recently_viewed.length >= 1, JSON.stringify(exported.recently_viewed));
  assert.equal((await emmaCall(v.p, 'consent.state')).personalization.granted, true);
  await v.p.close();
});

// emma.js (whose engine reads whole bundles only) given a head: the page keeps its content and
// the warning names the script that reads it.
for (const engine of ENGINES) test(`${engine}: emma.js given a head refuses it, naming emma-shards.js`, async (t) => {
  const s = await site(t, shardDemo);
  await writeFile(path.join(s.dir, 'whole-script.html'), productPage(ids[11]).replace('/emma/emma-shards.js', '/emma/emma.js'));
  const browser = await launchEngine(engine);
  t.after(() => browser.close());
  const p = await browser.newPage();
  await p.goto(`${s.server.origin}/s/whole-script.html`);
  assert.equal(await emmaSettled(p), 'unavailable');
  const warnings = await p.evaluate(() => window.warnings);
  assert.ok(warnings.some((w) => w.includes('UNSUPPORTED') && w.includes('use emma-shards.js')), JSON.stringify(warnings));
  assert.equal(await p.evaluate(() => document.querySelector('#similar').textContent), 'The shop\'s own list');
  await p.close();
});

// The shopper's rights on a sharded page (src/core/engine_rights.cpp): the first right asked
// for moves the session to emma-rights.wasm, which reads sharded catalogs too. An item of the
// tail (from a shard, not the head) tracked before the move is in the export and in the
// remembered items there; what the rights engine stores opens on the next page view's page
// engine (emma-shards.wasm).
const RIGHTS = /^GET \/emma\/emma-rights\.[0-9a-f]{12}\.wasm$/;
for (const engine of ENGINES) test(`${engine}: a sharded page's export after a tail item: the rights engine has the item, and the next page view opens its record`, async (t) => {
  const s = await site(t, shardedShirts);
  const browser = await launchEngine(engine);
  t.after(() => browser.close());
  const item = 'shirt-77';
  const v = await visit(s, browser, item);
  assert.ok(v.requests.some((r) => DATA.test(r) && r !== 'GET /s/shop.bundle'), `a tail item: its shard was fetched: ${JSON.stringify(v.requests)}`);
  await emmaCall(v.p, 'consent.grant', 'personalization', { version: 't', text: 'test', source: 'banner' });
  assert.equal((await emmaCall(v.p, 'track', { type: 'view', item })).stored, true);
  assert.ok(!v.requests.some((r) => RIGHTS.test(r)), 'not fetched before a right is asked for');
  const from = s.server.requests.length;
  const exported = await emmaCall(v.p, 'profile.export');
  assert.equal(s.server.requests.slice(from).filter((r) => RIGHTS.test(`${r.method} ${r.url}`)).length, 1, 'the rights engine is fetched at the export');
  assert.ok(exported.interests.items[item] > 0, JSON.stringify(exported.interests));
  assert.ok(exported.recently_viewed.some((x) => (x.item ?? x.id ?? x) === item), JSON.stringify(exported.recently_viewed));
  // The session goes on there: the tail item's title comes from the remembered items.
  const together = await emmaCall(v.p, 'recommend', { scenario: 'bought_together', item, limit: 4 });
  assert.ok(together.items.length > 0, JSON.stringify(together));
  assert.equal((await emmaCall(v.p, 'track', { type: 'view', item: 'shirt-78' })).stored, true);
  await v.p.close();

  // The next page view (the page engine again) opens what the rights engine stored.
  const next = await visit(s, browser, null);
  assert.ok(!next.requests.some((r) => RIGHTS.test(r)), JSON.stringify(next.requests));
  assert.equal(next.shown.foryou.state, 'filled', JSON.stringify(next.shown));
  const reopened = await emmaCall(next.p, 'profile.export');
  assert.deepEqual(reopened.set_aside, [], 'the stored profile opened (nothing set aside)');
  assert.ok(reopened.interests.items[item] > 0 && reopened.interests.items['shirt-78'] > 0, JSON.stringify(reopened.interests));
  assert.deepEqual(await next.p.evaluate(() => window.warnings), []);
  await next.p.close();
});
