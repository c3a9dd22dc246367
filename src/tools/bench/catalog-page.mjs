// npm run bench:catalog-page [-- --json] [-- --items 1000000] [-- --runs 5] [-- --smoke]
//                            [-- --json-items 300000]
//
// Issue 11's browser benchmark: a returning shopper's HOME page over a synthetic shop of N
// items (synth.mjs; default 1,000,000), in Chromium (tests/e2e/drivers), two pages side by side
// in one run, loads alternated, medians:
// - Emma: the npm package's browser build (/pkg/src/browser.js) with a sharded catalog
//   (`emma-model shard`, default options): the page loads the head and opens the profile; the
//   profile was seeded, untimed, by a first visit to a few product pages with consent (each
//   view fetches its item's shard, remembered with the profile).
// - JSON: the page fetches the whole catalog as JSON (`emma-model inspect`'s output of the same
//   bundle) and scores for_you with js-baseline.mjs over the same shopper's events, kept plainly
//   in localStorage by the same first visit.
// Per load: ms from navigation start (performance.timeOrigin) to the 8th for_you slot in the
// DOM, and the bytes the server sent for the page's Emma files and data (/pkg/, /data/) or its
// JSON files (/json/, the baseline module), brotli as a CDN would serve them. The HTTP cache is
// off (`Cache-Control: no-store`): every load counts every byte, as a returning shopper whose
// cache was emptied (with caching, the shards and the engine would come from the cache; the
// JSON would too, but would still be parsed and scored).
// The shop is built once into build/bench-cache/<N>-<emma-model hash>/ (whole bundle, sharded dir, JSON and its
// brotli copy) and reused. Above 300k items the order log has one basket an item (as bench.mjs).
// `--json-items M`: the JSON page uses the shop of M items (when the N-item JSON cannot be made
// or parsed in the browser); the output says so (`json_items`). The last line is one JSON object:
//   {"items":N,"json_items":M,"emma_ms":x,"json_ms":y,"ratio":y/x,"emma_bytes":a,"json_bytes":b,
//    "bytes_ratio":b/a,"emma_raw_bytes":…,"json_raw_bytes":…,"emma_data_bytes":…,"json_data_bytes":…,
//    "emma_requests":…,"runs":R,"personalized":…,"partial":…,"same_top8":…,"json_brotli_quality":…}
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import http from 'node:http';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { fileURLToPath } from 'node:url';
import { brotliCompressSync, constants, createBrotliCompress } from 'node:zlib';
import { launchEngine } from '../../../tests/e2e/drivers/index.mjs';
import { catalog, orders, profileEvents } from './synth.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const emmaModel = process.env.EMMA_MODEL || path.join(root, 'build/native/emma-model');
const args = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : dflt;
};
const smoke = args.includes('--smoke');
const json = args.includes('--json');
const N = Number(opt('items', smoke ? 20000 : 1000000));
const JSON_N = Number(opt('json-items', N));
const RUNS = Number(opt('runs', smoke ? 1 : 5));
const SEED_PAGES = 4;
const log = (line) => (json ? console.error(line) : console.log(line));
const median = (xs) => {
  const s = xs.filter((x) => typeof x === 'number').sort((a, b) => a - b);
  return s.length ? s[Math.floor((s.length - 1) / 2)] : null;
};

async function writeLines(file, lines) {
  const ws = createWriteStream(file);
  for (const line of lines) if (!ws.write(`${line}\n`)) await new Promise((r) => ws.once('drain', r));
  await new Promise((r) => ws.end(r));
}

// The shop of n items, built once per emma-model (a rebuilt tool may write another bundle
// format: a cache from the one before would be refused). Each step leaves its file whole or
// not at all; caches of an earlier emma-model are removed.
async function prepare(n) {
  const tool = createHash('sha256').update(readFileSync(emmaModel)).digest('hex').slice(0, 12);
  const cache = path.join(root, 'build/bench-cache');
  const dir = path.join(cache, `${n}-${tool}`);
  for (const old of existsSync(cache) ? readdirSync(cache) : []) {
    if ((old === String(n) || old.startsWith(`${n}-`)) && old !== `${n}-${tool}`) rmSync(path.join(cache, old), { recursive: true, force: true });
  }
  const done = path.join(dir, 'done.json');
  if (existsSync(done)) return { dir, ...JSON.parse(readFileSync(done, 'utf8')) };
  mkdirSync(dir, { recursive: true });
  const t0 = Date.now();
  const step = (what) => log(`  ${n} items: ${what} (${Math.round((Date.now() - t0) / 1000)} s)`);
  const whole = path.join(dir, 'whole.bundle');
  if (!existsSync(whole)) {
    writeFileSync(path.join(dir, 'catalog.json'), JSON.stringify(catalog(n)));
    await writeLines(path.join(dir, 'orders.jsonl'), orders(n, n <= 300000 ? n * 3 : n, Math.max(2000, n / 5)));
    step('catalog and orders written');
    execFileSync(emmaModel, ['build', '--catalog', path.join(dir, 'catalog.json'), '--orders', path.join(dir, 'orders.jsonl'), '--out', `${whole}.tmp`, '--json'], { stdio: ['ignore', 'pipe', 'pipe'] });
    execFileSync('mv', [`${whole}.tmp`, whole]);
    rmSync(path.join(dir, 'orders.jsonl'));
    step('whole bundle built');
  }
  const sharded = path.join(dir, 'sharded');
  if (!existsSync(path.join(sharded, 'shop.bundle'))) {
    rmSync(sharded, { recursive: true, force: true });
    mkdirSync(sharded);
    execFileSync(emmaModel, ['shard', '--bundle', whole, '--out', path.join(sharded, 'shop.bundle'), '--json'], { stdio: ['ignore', 'pipe', 'pipe'] });
    step('sharded');
  }
  // inspect's JSON (~400 bytes an item) and its brotli copy (quality 11 up to 64 MB, beyond it
  // quality 9 with a 16 MB window: quality 11 over hundreds of MB takes the better part of an hour).
  const jsonFile = path.join(dir, 'shop.json');
  let jsonError = null;
  const jsonQuality = (size) => (size <= 64 << 20 ? 11 : 9);
  try {
    if (!existsSync(`${jsonFile}.br`)) {
      execFileSync(emmaModel, ['inspect', '--bundle', whole, '--out', `${jsonFile}.tmp`], { stdio: ['ignore', 'ignore', 'pipe'] });
      execFileSync('mv', [`${jsonFile}.tmp`, jsonFile]);
      step(`JSON written (${statSync(jsonFile).size} bytes)`);
      await pipeline(createReadStream(jsonFile), createBrotliCompress({ params: { [constants.BROTLI_PARAM_QUALITY]: jsonQuality(statSync(jsonFile).size), [constants.BROTLI_PARAM_LGWIN]: 24, [constants.BROTLI_PARAM_SIZE_HINT]: statSync(jsonFile).size } }), createWriteStream(`${jsonFile}.br.tmp`));
      execFileSync('mv', [`${jsonFile}.br.tmp`, `${jsonFile}.br`]);
      step('JSON compressed');
    }
  } catch (e) {
    jsonError = String(e.stderr || e.message).trim().slice(0, 300);
  }
  const jsonRaw = existsSync(jsonFile) ? statSync(jsonFile).size : null;
  const meta = { items: n, json_error: jsonError, json_quality: jsonRaw && jsonQuality(jsonRaw), json_raw: jsonRaw };
  writeFileSync(done, JSON.stringify(meta));
  return { dir, ...meta };
}

// The two pages. Each fills 8 slots and reports the time of the 8th, from navigation start.
const PAGE = (main) => `<!DOCTYPE html><html><head><meta charset="utf-8"><title>Catalog page</title>
<script type="module" src="${main}"></script></head><body><ol id="for-you"></ol></body></html>`;
const FILL = `const fill = (items) => {
  const ol = document.getElementById('for-you');
  for (const it of items) { const li = document.createElement('li'); li.textContent = it.title; li.dataset.id = it.id; ol.append(li); }
  performance.mark('first-slot-filled');
  return performance.getEntriesByName('first-slot-filled')[0].startTime;
};`;
const EMMA_MAIN = `import { createEmma } from '/pkg/src/browser.js';
${FILL}
const seed = new URL(location.href).searchParams.get('seed');
try {
  const emma = await createEmma({ bundle: '/data/shop.bundle', shop: 'catpage', storage: 'indexeddb' });
  if (seed) {
    await emma.consent.grant('personalization', { version: 'bench', text: 'bench', source: 'banner' });
    for (const item of seed.split(',')) await emma.track({ type: 'view', item });
    window.result = { seeded: true };
  } else {
    const r = await emma.recommend({ scenario: 'for_you', limit: 8 });
    const ms = fill(r.items);
    window.result = { ms, ids: r.items.map((x) => x.id), personalized: r.personalized, partial: r.partial };
  }
} catch (e) {
  window.result = { error: e.code + ' ' + e.message };
}`;
const JSON_MAIN = `import { forYou } from '/json/js-baseline.mjs';
${FILL}
const seed = new URL(location.href).searchParams.get('seed');
try {
  const events = JSON.parse(localStorage.getItem('events') || '[]');
  if (seed) {
    for (const item of seed.split(',')) events.push({ type: 'view', item, at: Date.now() });
    localStorage.setItem('events', JSON.stringify(events));
    window.result = { seeded: true };
  } else {
    const shop = await (await fetch('/json/shop.json')).json();
    const items = forYou(shop, events, Date.now(), 8);
    const ms = fill(items);
    window.result = { ms, ids: items.map((x) => x.id), personalized: events.length > 0 };
  }
} catch (e) {
  window.result = { error: String(e && e.message || e) };
}`;

// brotli at quality 11 once per file (the engine, the modules, the head, each shard asked for).
const brCache = new Map();
function brotli(file, bytes) {
  if (!brCache.has(file)) brCache.set(file, brotliCompressSync(bytes, { params: { [constants.BROTLI_PARAM_QUALITY]: 11 } }));
  return brCache.get(file);
}

function startServer(emmaDir, jsonDir) {
  const sent = [];
  const TYPES = { '.js': 'text/javascript', '.mjs': 'text/javascript', '.wasm': 'application/wasm', '.html': 'text/html', '.json': 'application/json' };
  const server = http.createServer(async (req, res) => {
    const url = new URL(req.url, 'http://x');
    const p = url.pathname;
    const send = (type, body, raw, enc) => {
      res.writeHead(200, { 'Content-Type': type, 'Cache-Control': 'no-store', ...(enc ? { 'Content-Encoding': enc } : {}), 'Content-Length': body.length });
      res.end(body);
      sent.push({ url: p, bytes: body.length, raw });
    };
    const file = async (f) => {
      const bytes = await readFile(f);
      const br = /\bbr\b/.test(req.headers['accept-encoding'] || '') && bytes.length > 256 ? brotli(f, bytes) : null;
      send(TYPES[path.extname(f)] || 'application/octet-stream', br || bytes, bytes.length, br ? 'br' : null);
    };
    try {
      if (p.includes('..')) throw new Error('no');
      if (p === '/') return send('text/html', Buffer.from(PAGE('/emma-main.js')), 0);
      if (p === '/json-page') return send('text/html', Buffer.from(PAGE('/json-main.js')), 0);
      if (p === '/emma-main.js') return send('text/javascript', Buffer.from(EMMA_MAIN), 0);
      if (p === '/json-main.js') return send('text/javascript', Buffer.from(JSON_MAIN), 0);
      if (p.startsWith('/pkg/')) return await file(path.join(root, 'js-bindings', p.slice(5)));
      if (p.startsWith('/data/')) return await file(path.join(emmaDir, 'sharded', p.slice(6)));
      if (p === '/json/js-baseline.mjs') return await file(path.join(root, 'src/tools/bench/js-baseline.mjs'));
      if (p === '/json/shop.json') {
        // Streamed from its brotli copy (hundreds of MB do not go through one Buffer twice).
        const f = path.join(jsonDir, 'shop.json.br');
        const size = statSync(f).size;
        res.writeHead(200, { 'Content-Type': 'application/json', 'Cache-Control': 'no-store', 'Content-Encoding': 'br', 'Content-Length': size });
        await pipeline(createReadStream(f), res);
        sent.push({ url: p, bytes: size, raw: statSync(path.join(jsonDir, 'shop.json')).size });
        return;
      }
      res.writeHead(404).end();
    } catch {
      if (!res.headersSent) res.writeHead(404).end();
    }
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve({
    origin: `http://127.0.0.1:${server.address().port}`, sent, close: () => new Promise((r) => server.close(r)),
  })));
}

const emmaShop = await prepare(N);
const jsonShop = JSON_N === N ? emmaShop : await prepare(JSON_N);
if (jsonShop.json_error) throw new Error(`bench: no JSON for ${JSON_N} items (${jsonShop.json_error}); try --json-items with a smaller size`);
const now = Date.now();
// The shopper's first visit: a few product pages of items that have neighbours (synth's shopper).
const seedItems = (n) => [...new Set(profileEvents(n, 40, now).map((e) => e.item))].slice(0, SEED_PAGES);
const server = await startServer(emmaShop.dir, jsonShop.dir);
const browser = await launchEngine('chromium');
const out = { items: N, json_items: JSON_N };
try {
  const visit = async (where, timeout) => {
    const from = server.sent.length;
    const page = await browser.newPage();
    try {
      await page.goto(server.origin + where);
      const r = await page.waitFor(() => window.result, null, { timeout, what: where });
      const files = server.sent.slice(from).filter((s) => /^\/(pkg|data|json)\//.test(s.url));
      const data = files.filter((s) => s.url.startsWith('/data/') || s.url === '/json/shop.json');
      return { ...r, bytes: files.reduce((a, s) => a + s.bytes, 0), raw: files.reduce((a, s) => a + s.raw, 0), data: data.reduce((a, s) => a + s.bytes, 0), requests: files.length };
    } finally {
      await page.close();
    }
  };
  for (const [where, items] of [['/', seedItems(N)], ['/json-page', seedItems(JSON_N)]]) {
    const r = await visit(`${where}?seed=${items.join(',')}`, 120000);
    if (r.error) throw new Error(`bench: seeding ${where}: ${r.error}`);
  }
  const emma = [];
  const js = [];
  for (let k = 0; k < RUNS; k++) {
    // Alternated in one run, so that machine noise hits both alike.
    for (const [where, list] of [['/', emma], ['/json-page', js]]) {
      const r = await visit(where, 600000);
      if (r.error) throw new Error(`bench: ${where}: ${r.error}`);
      if (r.ids.length !== 8) throw new Error(`bench: ${where} filled ${r.ids.length} slots`);
      list.push(r);
      log(`  run ${k + 1} ${where === '/' ? 'emma' : 'json'}: ${Math.round(r.ms)} ms, ${r.bytes} bytes (${r.raw} raw) in ${r.requests} requests`);
    }
  }
  Object.assign(out, {
    emma_ms: median(emma.map((r) => r.ms)),
    json_ms: median(js.map((r) => r.ms)),
  });
  out.ratio = out.json_ms / out.emma_ms;
  Object.assign(out, { emma_bytes: median(emma.map((r) => r.bytes)), json_bytes: median(js.map((r) => r.bytes)) });
  out.bytes_ratio = out.json_bytes / out.emma_bytes;
  Object.assign(out, {
    emma_raw_bytes: median(emma.map((r) => r.raw)),
    json_raw_bytes: median(js.map((r) => r.raw)),
    // Of those bytes, the catalog's (the head and shards; the JSON): the rest is code (the
    // engine's wasm and the package's modules; the baseline module).
    emma_data_bytes: median(emma.map((r) => r.data)),
    json_data_bytes: median(js.map((r) => r.data)),
    emma_requests: median(emma.map((r) => r.requests)),
    runs: RUNS,
    personalized: emma.every((r) => r.personalized),
    partial: emma.some((r) => r.partial),
    same_top8: JSON_N === N && JSON.stringify(emma[0].ids) === JSON.stringify(js[0].ids),
    json_brotli_quality: jsonShop.json_quality ?? null,
  });
  log(`catalog page, ${N} items${JSON_N !== N ? ` (JSON page: ${JSON_N} items)` : ''}: Emma ${Math.round(out.emma_ms)} ms, ${out.emma_bytes} bytes; ` +
    `JSON ${Math.round(out.json_ms)} ms, ${out.json_bytes} bytes; ratio ${out.ratio.toFixed(1)}x time, ${out.bytes_ratio.toFixed(0)}x bytes (medians of ${RUNS})`);
} finally {
  await browser.close();
  await server.close();
}
console.log(JSON.stringify(out));
