// npm run bench [-- --json] [-- --sizes 10000,100000,1000000] [-- --smoke]
//
// for_you over synthetic catalogs with a 500-event profile: the wasm engine (through the
// real boundary, JSON in and out) against a straightforward JavaScript implementation of the
// same scoring (js-baseline.mjs), side by side in one Node run, medians of repeated runs.
// Also the bundle's bytes per item and its load time against JSON.parse of the same content,
// and the cost of track() as a profile grows (issue #14): mean ms per `await emma.track()`
// over the first and the last 1,000 of 20,000 events (smoke: 100 of 3,000) with memory storage;
// with file storage (one fsync per event) the first and last 200 of 5,000.
import { execFileSync } from 'node:child_process';
import { createWriteStream, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { brotliCompressSync, constants, gzipSync } from 'node:zlib';
import { createEmma } from '../../../js-bindings/src/node.js';
import { openEngine } from '../eval/engine.mjs';
import { forYou } from './js-baseline.mjs';
import { catalog, orders, profileEvents, rng } from './synth.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const emmaModel = path.join(root, 'build/native/emma-model');

const args = process.argv.slice(2);
const smoke = args.includes('--smoke');
const json = args.includes('--json');
const sizesArg = args.includes('--sizes') ? args[args.indexOf('--sizes') + 1] : null;
const sizes = sizesArg ? sizesArg.split(',').map(Number) : smoke ? [2000] : [10000, 100000];
const RUNS = smoke ? 3 : 15;
const EVENTS = 500;

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

function time(fn, runs) {
  const out = [];
  for (let r = 0; r < runs; r++) {
    const t0 = process.hrtime.bigint();
    fn();
    out.push(Number(process.hrtime.bigint() - t0) / 1e6);
  }
  return median(out);
}

async function writeLines(file, lines) {
  const ws = createWriteStream(file);
  for (const line of lines) if (!ws.write(`${line}\n`)) await new Promise((r) => ws.once('drain', r));
  await new Promise((r) => ws.end(r));
}

async function benchSize(n, dir) {
  const now = Date.UTC(2026, 6, 1);
  writeFileSync(path.join(dir, 'catalog.json'), JSON.stringify(catalog(n)));
  // Above 300k items the JSON side is left out (its text nears V8's string limit) and the log
  // has one basket an item instead of three (a 1M-item log of 3M baskets is 1.2 GB of text).
  const withJs = n <= 300000;
  await writeLines(path.join(dir, 'orders.jsonl'), orders(n, withJs ? n * 3 : n, Math.max(2000, n / 5)));
  const bundlePath = path.join(dir, 'shop.bundle');
  const jsonPath = path.join(dir, 'shop.json');
  execFileSync(emmaModel, ['build', '--catalog', path.join(dir, 'catalog.json'), '--orders', path.join(dir, 'orders.jsonl'), '--out', bundlePath, '--json'], { stdio: ['ignore', 'pipe', 'pipe'] });
  if (withJs) execFileSync(emmaModel, ['inspect', '--bundle', bundlePath, '--out', jsonPath], { stdio: 'ignore' });
  const bundle = new Uint8Array(readFileSync(bundlePath));
  const jsonText = withJs ? readFileSync(jsonPath, 'utf8') : '';
  const shop = withJs ? JSON.parse(jsonText) : null;

  const engine = await openEngine();
  engine.call({ op: 'configure', shop: 'bench' });
  const loadWasm = time(() => engine.call({ op: 'bundle.load' }, bundle), smoke ? 2 : 5);
  const loadJson = withJs ? time(() => JSON.parse(jsonText), smoke ? 2 : 5) : null;
  const events = profileEvents(n, EVENTS, now);
  engine.call({ op: 'consent.grant', purpose: 'personalization', version: 'bench', now });
  engine.call({ op: 'track', events, now });
  const request = { op: 'recommend', request: { scenario: 'for_you', limit: 8 }, now };
  let wasmTop;
  let jsTop;
  // Alternate the two in one run so that machine noise hits both alike.
  const wasmTimes = [];
  const jsTimes = [];
  for (let r = 0; r < RUNS; r++) {
    wasmTimes.push(time(() => { wasmTop = engine.call(request).result.items.map((x) => x.id); }, 1));
    if (withJs) jsTimes.push(time(() => { jsTop = forYou(shop, events, now, 8).map((x) => x.id); }, 1));
  }
  const compressed = (b) => ({ gzip: gzipSync(b, { level: 9 }).length, brotli: brotliCompressSync(b, { params: { [constants.BROTLI_PARAM_QUALITY]: 11 } }).length });
  const bz = compressed(bundle);
  const jz = withJs ? compressed(Buffer.from(jsonText)) : null;
  const wholeHeapMb = engine.module.HEAPU8.length / 2 ** 20;
  const sharded = await benchShards(n, dir, bundlePath, events, now, (b) => compressed(b).brotli);
  return {
    ...sharded,
    whole_heap_mb: wholeHeapMb,
    items: n,
    wasm_ms: median(wasmTimes),
    js_ms: withJs ? median(jsTimes) : null,
    same_top8: !withJs || JSON.stringify(wasmTop) === JSON.stringify(jsTop),
    bundle_bytes_per_item: { raw: bundle.length / n, gzip: bz.gzip / n, brotli: bz.brotli / n },
    json_bytes_per_item: withJs ? { raw: jsonText.length / n, gzip: jz.gzip / n, brotli: jz.brotli / n } : null,
    load_wasm_ms: loadWasm,
    load_json_parse_ms: loadJson,
    wasmTop,
    jsTop,
  };
}

// Issue 11: the same catalog as a head and shards (emma-model shard, defaults). A shopper's
// first product page loads the head and that item's shard: the first personalised slot
// (for_you after the view) costs those bytes. Then 40 more product pages: the engine keeps at
// most 16 shards, so its heap stays bounded whatever the catalog's size.
async function benchShards(n, dir, bundlePath, events, now, brotli) {
  const out = path.join(dir, `sharded-${n}`);
  mkdirSync(out, { recursive: true });
  const summary = JSON.parse(execFileSync(emmaModel, ['shard', '--bundle', bundlePath, '--out', path.join(out, 'shop.bundle'), '--json'], { encoding: 'utf8' }).trim().split('\n').pop());
  const head = new Uint8Array(readFileSync(path.join(out, 'shop.bundle')));
  const headBr = brotli(head);
  const engine = await openEngine();
  engine.call({ op: 'configure', shop: 'bench' });
  engine.call({ op: 'bundle.load' }, head);
  engine.call({ op: 'consent.grant', purpose: 'personalization', version: 'bench', now });
  let firstSlot = headBr;
  let firstAnswer = null;
  const shardBr = [];
  const products = [...new Set(events.map((e) => e.item))].slice(0, 41);
  for (const [k, item] of products.entries()) {
    for (const name of engine.call({ op: 'shards.needed', request: { scenario: 'similar', item } }).result.fetch) {
      const bytes = new Uint8Array(readFileSync(path.join(out, name)));
      if (k === 0) shardBr.push(brotli(bytes));
      engine.call({ op: 'shard.load', name }, bytes);
    }
    engine.call({ op: 'track', event: { type: 'view', item }, now });
    if (k === 0) {
      firstSlot += shardBr.reduce((a, b) => a + b, 0);
      firstAnswer = engine.call({ op: 'recommend', request: { scenario: 'for_you', limit: 8 }, now }).result;
    }
  }
  return {
    shards: summary.shards,
    head_items: summary.head_items,
    head_bytes_br: headBr,
    first_slot_bytes_br: firstSlot,
    first_slot_personalized: firstAnswer.personalized && firstAnswer.items.length === 8,
    shard_bytes_br: shardBr[0],
    wasm_heap_mb: engine.module.HEAPU8.length / 2 ** 20,
  };
}

// A plain catalog object (createEmma({ bundle: { items } })) loaded at n and 8n items: a
// linear load takes ~8x as long, a quadratic one ~64x (the parser once was, see
// src/core/json_input.cpp).
async function catalogObjectLoad(n) {
  const engine = await openEngine();
  engine.call({ op: 'configure', shop: 'bench' });
  const at = (k) => {
    const doc = catalog(k);
    return time(() => engine.call({ op: 'catalog.load', catalog: doc }), 3);
  };
  at(n);  // warm-up: the first calls run before the wasm is optimized
  const small = at(n);
  const large = at(8 * n);
  return { items: [n, 8 * n], ms: [small, large], ratio: large / small };
}

// Sequential track() calls of a realistic mix over the demo shop's catalog, each awaited
// (so each is written before the next); personalization granted.
async function trackCost(storage, count, window) {
  const shop = JSON.parse(readFileSync(path.join(root, 'demo/catalog.json'), 'utf8'));
  const ids = shop.items.map((i) => i.id);
  const emma = await createEmma({ bundle: shop, shop: 'bench', storage });
  await emma.consent.grant('personalization', { version: 'bench', text: 'bench', source: 'banner' });
  const r = rng(11);
  const words = ['heart', 'candle', 'bag', 'lunch box', 'cake', 'mug'];
  const ms = [];
  for (let k = 0; k < count; k++) {
    const x = r();
    const item = ids[Math.floor(r() * ids.length)];
    const event = x < 0.6 ? { type: 'view', item } : x < 0.75 ? { type: 'add_to_cart', item }
      : x < 0.9 ? { type: 'purchase', item, quantity: 1 + Math.floor(r() * 3) } : { type: 'search', query: words[Math.floor(r() * words.length)] };
    const t0 = process.hrtime.bigint();
    const { stored } = await emma.track(event);
    ms.push(Number(process.hrtime.bigint() - t0) / 1e6);
    if (!stored && storage !== 'memory') throw new Error(`bench: event ${k} was not stored`);
  }
  await emma.close();
  const mean = (xs) => xs.reduce((a, b) => a + b, 0) / xs.length;
  return { first: mean(ms.slice(0, window)), last: mean(ms.slice(-window)) };
}

const dir = mkdtempSync(path.join(os.tmpdir(), 'emma-bench-'));
try {
  const [trackCount, trackWindow, fsCount] = smoke ? [3000, 100, 600] : [20000, 1000, 5000];
  await trackCost('memory', 300, 100);  // warm-up: the first calls run before the wasm is optimized
  const trackMem = await trackCost('memory', trackCount, trackWindow);
  const trackFs = await trackCost(`fs:${dir}`, fsCount, trackWindow / 5);
  console.log(`track(), ${trackCount} events, mean of the first / last ${trackWindow}: memory ${trackMem.first.toFixed(3)} / ${trackMem.last.toFixed(3)} ms ` +
    `(ratio ${(trackMem.last / trackMem.first).toFixed(2)}), fs (${fsCount} events, first / last ${trackWindow / 5}) ${trackFs.first.toFixed(3)} / ${trackFs.last.toFixed(3)} ms`);
  const catalogLoad = await catalogObjectLoad(smoke ? 1000 : 5000);
  console.log(`catalog object load: ${catalogLoad.items[0]} items ${catalogLoad.ms[0].toFixed(1)} ms, ${catalogLoad.items[1]} items ${catalogLoad.ms[1].toFixed(1)} ms (ratio ${catalogLoad.ratio.toFixed(2)}; linear is 8)`);
  const results = [];
  for (const n of sizes) {
    const r = await benchSize(n, dir);
    results.push(r);
    const f = (x) => (x === null || Number.isNaN(x) ? '-' : x.toFixed(2));
    console.log(`${String(n).padStart(7)} items: for_you wasm ${f(r.wasm_ms)} ms, JS ${f(r.js_ms)} ms, ratio ${f(r.js_ms / r.wasm_ms)}x; same top 8: ${r.same_top8}`);
    console.log(`${' '.repeat(14)}sharded: head ${r.head_items} items ${r.head_bytes_br} B brotli, ${r.shards} shards (one ${r.shard_bytes_br} B);` +
      ` first personalised slot after ${r.first_slot_bytes_br} B; heap ${f(r.wasm_heap_mb)} MB after 41 product pages (whole bundle: ${f(r.whole_heap_mb)} MB)`);
    console.log(`${' '.repeat(14)}bundle ${f(r.bundle_bytes_per_item.raw)} B/item raw, ${f(r.bundle_bytes_per_item.gzip)} gzip, ${f(r.bundle_bytes_per_item.brotli)} brotli` +
      (r.json_bytes_per_item ? ` (JSON: ${f(r.json_bytes_per_item.raw)} / ${f(r.json_bytes_per_item.gzip)} / ${f(r.json_bytes_per_item.brotli)});` : ' (no JSON at this size);') +
      ` load ${f(r.load_wasm_ms)} ms vs JSON.parse ${f(r.load_json_parse_ms)} ms`);
    if (!r.same_top8) console.log(`  wasm top 8: ${r.wasmTop.join(' ')}\n  JS top 8:   ${r.jsTop.join(' ')}`);
  }
  const round = (x) => (x === null ? null : Number(x.toFixed(3)));
  if (json) {
    console.log(JSON.stringify({ items: sizes, wasm_ms: results.map((r) => round(r.wasm_ms)), js_ms: results.map((r) => round(r.js_ms)), ratio: results.map((r) => (r.js_ms === null ? null : round(r.js_ms / r.wasm_ms))),
      head_bytes_br: results.map((r) => r.head_bytes_br), bytes_per_item_br: results.map((r) => round(r.bundle_bytes_per_item.brotli)),
      first_slot_bytes_br: results.map((r) => r.first_slot_bytes_br), wasm_heap_mb: results.map((r) => round(r.wasm_heap_mb)),
      whole_heap_mb: results.map((r) => round(r.whole_heap_mb)), shards: results.map((r) => r.shards),
      catalog_object_load: { items: catalogLoad.items, ms: catalogLoad.ms.map(round), ratio: round(catalogLoad.ratio) },
      track_events: trackCount, track_window: trackWindow,
      track_ms_first_1k: round(trackMem.first), track_ms_last_1k: round(trackMem.last), track_ratio: round(trackMem.last / trackMem.first),
      track_fs: { events: fsCount, window: trackWindow / 5, ms_first: round(trackFs.first), ms_last: round(trackFs.last) } }));
  }
  if (results.some((r) => !r.first_slot_personalized)) {
    console.error('bench: the first product page of a sharded catalog did not give a personalised for_you slot');
    process.exitCode = 1;
  }
  if (results.some((r) => !r.same_top8)) {
    console.error('bench: the JS baseline and the engine disagree: the baseline is not the same scoring');
    process.exitCode = 1;
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
