// npm run soak [-- --calls 200000] [-- --json] [-- --window 10000] [-- --seed 1]
//
// A long-run soak of one Node instance on fs storage, through the real wasm engine: mixed
// calls (track of every event type, recommend of every scenario, explain, export, forget,
// objection on and off, consent withdrawn and granted again, a reload every 5,000 calls or
// every window when shorter, a key rotation now and then), on a clock that runs 90 s per
// call (200,000 calls: ~208 days, so decay, the 180-day raw-event window and automatic key
// rotation all happen).
// Per window of calls it prints the engine's heap in use, the process RSS, the size of the
// store file and p50/p95/p99 latency per call kind; the last line is JSON.
//
// The profile's documented caps (src/core/profile.hpp: items, categories, recent views,
// purchase lines, searches, cart; src/core/consent.cpp: the consent proof log) bound what
// it holds. Once the calls sent have passed every
// cap (counted since the last time personalization was granted), the file and the heap must
// plateau: the run fails (exit 1) when the last window's file size or heap is more than 1.2x
// its value at the window where the caps were reached. Runs too short to reach the caps are
// reported, not judged.
import { mkdtemp, readdir, rm, stat, readFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createEmma } from '../../../js-bindings/src/node.js';

const args = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? Number(args[i + 1]) : dflt;
};
const CALLS = opt('calls', 200_000);
const WINDOW = opt('window', Math.min(10_000, Math.max(500, Math.round(CALLS / 10))));
const RELOAD_EVERY = Math.min(5000, WINDOW);
const GROWTH_LIMIT = 1.2;
const json = args.includes('--json');

// The caps, read from the engine's own header so that this check follows them.
const header = await readFile(new URL('../../core/profile.hpp', import.meta.url), 'utf8');
const cap = (name) => Number(new RegExp(`${name}\\s*=\\s*(\\d+)`).exec(header)[1]);
const CAPS = { items: cap('max_items'), categories: cap('max_categories'), recent: cap('max_recent'), purchases: cap('max_purchases'), searches: cap('max_searches'), cart: cap('max_cart') };
// The consent proof log has its own cap (src/core/consent.cpp), reached last here: every
// withdrawal and grant adds a proof.
CAPS.consent_records = Number(/kMaxRecords\s*=\s*(\d+)/.exec(await readFile(new URL('../../core/consent.cpp', import.meta.url), 'utf8'))[1]);

// A deterministic generator (mulberry32) so that two runs send the same calls.
let seed = opt('seed', 1) >>> 0;
function random() {
  seed = (seed + 0x6d2b79f5) >>> 0;
  let t = seed;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
}
const pick = (xs) => xs[Math.floor(random() * xs.length)];

// A catalog of 3,000 items in 600 categories (two levels); tracked ids also come from a
// wider pool, so the item cap (2,000) and the category cap (500) are passed.
const CATEGORIES = Array.from({ length: 600 }, (_, k) => `Dept ${k % 30}/Shelf ${k}`);
const items = Array.from({ length: 3000 }, (_, k) => ({
  id: `i${k}`, title: `Item ${k}`, category: CATEGORIES[k % CATEGORIES.length], brand: `b${k % 40}`,
  price: 1 + (k % 50), currency: 'EUR', in_stock: k % 9 !== 0, popularity: (k * 7919) % 1000,
}));
const POOL = [...items.map((i) => i.id), ...Array.from({ length: 2500 }, (_, k) => `gone-${k}`)];
const GRANT = { version: '2026-11', text: 'Personalise my shop.', source: 'banner' };

let clock = Date.UTC(2026, 0, 1);
const now = () => clock;
const dir = await mkdtemp(path.join(os.tmpdir(), 'emma-soak-'));
const open = () => createEmma({ bundle: { items }, shop: 'soak', storage: `fs:${dir}`, now, on: { error: (e) => errors.push(`${e.code}: ${e.message}`) } });
const errors = [];

// What the calls sent since personalization was last granted add up to, per cap.
let sent;
const resetSent = () => { sent = { items: new Set(), categories: new Set(), recent: 0, purchases: 0, searches: 0, cart: new Set(), consent_records: 0 }; };
resetSent();
const capsPassed = () => sent.items.size > CAPS.items && sent.categories.size > CAPS.categories && sent.recent > CAPS.recent &&
  sent.purchases > CAPS.purchases && sent.searches > CAPS.searches && sent.cart.size > CAPS.cart && sent.consent_records > CAPS.consent_records;

const viewed = [];
// Each kind: [weight, call]. The call returns the promise of one public method.
const KINDS = {
  view: [30, (e) => { const item = pick(POOL); sent.items.add(item); sent.recent++; viewed.push(item); return e.track({ type: 'view', item }); }],
  click: [6, (e) => { const item = pick(POOL); sent.items.add(item); sent.recent++; return e.track({ type: 'click', item }); }],
  add_to_cart: [5, (e) => { const item = pick(POOL); sent.items.add(item); sent.cart.add(item); return e.track({ type: 'add_to_cart', item, quantity: 1 + Math.floor(random() * 3) }); }],
  remove_from_cart: [2, (e) => e.track({ type: 'remove_from_cart', item: pick(POOL) })],
  purchase: [6, (e) => { const item = pick(POOL); sent.items.add(item); sent.purchases++; return e.track({ type: 'purchase', item, quantity: 1 }); }],
  search: [4, (e) => { sent.searches++; return e.track({ type: 'search', query: `query ${Math.floor(random() * 5000)}` }); }],
  category_view: [4, (e) => { const category = pick(CATEGORIES); sent.categories.add(category); return e.track({ type: 'category_view', category }); }],
  dwell: [3, (e) => e.track({ type: 'dwell', item: pick(POOL), seconds: 5 + Math.floor(random() * 300) })],
  recommend: [25, (e) => e.recommend(pick([
    { scenario: 'for_you', limit: 8 }, { scenario: 'similar', item: pick(items).id }, { scenario: 'bought_together', items: [pick(items).id] },
    { scenario: 'trending' }, { scenario: 'recently_viewed' },
    { scenario: 'rerank', items: Array.from({ length: 12 }, () => pick(items).id) },
    { scenario: 'pick_variant', variants: [{ id: 'a', categories: [pick(CATEGORIES)] }, { id: 'b', segments: ['returning'] }] },
    { scenario: 'segments' }, { scenario: 'for_you', limit: 12, rules: { inStock: true, diversity: { maxPerCategory: 2 }, price: { max: 30 } } },
  ]))],
  explain: [4, (e) => e.explain(pick(items).id)],
  export: [1, (e) => e.profile.export()],
  forget: [1, (e) => e.profile.forget(pick([{ item: viewed.length ? pick(viewed) : 'i1' }, { category: pick(CATEGORIES) }, { search: 'query 1' }]))],
  // Objection (Art. 21) on and off again: profiling pauses, nothing is lost.
  object: [1, (e) => e.profile.object(true).then(() => e.profile.object(false))],
  consent: [1, (e) => {
    if (random() < 0.5) return e.consent.state();
    sent.consent_records += 2;
    return e.consent.withdraw('insights').then(() => e.consent.grant('insights', GRANT));
  }],
  rotate_key: [0.05, (e) => e.storage.rotateKey()],
};
const table = [];
for (const [kind, [weight, call]] of Object.entries(KINDS)) table.push({ kind, weight, call });
const totalWeight = table.reduce((s, k) => s + k.weight, 0);
function drawKind() {
  let r = random() * totalWeight;
  for (const k of table) if ((r -= k.weight) < 0) return k;
  return table[0];
}

async function storeBytes() {
  let total = 0;
  for (const entry of await readdir(dir, { recursive: true, withFileTypes: true })) {
    if (entry.isFile()) total += (await stat(path.join(entry.parentPath ?? entry.path, entry.name))).size;
  }
  return total;
}

function percentiles(ms) {
  const s = [...ms].sort((a, b) => a - b);
  const at = (q) => +s[Math.min(s.length - 1, Math.floor(q * s.length))].toFixed(3);
  return { n: s.length, p50: at(0.5), p95: at(0.95), p99: at(0.99) };
}

const log = (line) => { if (!json) console.log(line); };
let emma = await open();
await emma.consent.grant('personalization', GRANT);
// Withdrawn and granted again once, at a tenth of the run: everything starts again from nothing.
const RESTART_AT = Math.round(CALLS / 10);
const windows = [];
let latencies = {};
let capsAt = null;
let failedCalls = 0;
const started = performance.now();
log(`soak: ${CALLS} calls, windows of ${WINDOW}, store ${dir}; caps ${JSON.stringify(CAPS)}`);
for (let n = 1; n <= CALLS; n++) {
  clock += 90_000;
  let kind;
  let t0;
  try {
    if (n === RESTART_AT) {
      kind = 'withdraw_grant';
      t0 = performance.now();
      await emma.consent.withdraw('personalization');
      await emma.consent.grant('personalization', GRANT);
      resetSent();
      capsAt = null;
    } else if (n % RELOAD_EVERY === 0) {
      kind = 'reload';
      t0 = performance.now();
      await emma.close();
      emma = await open();
    } else {
      const k = drawKind();
      kind = k.kind;
      t0 = performance.now();
      await k.call(emma);
    }
  } catch (err) {
    failedCalls++;
    if (failedCalls <= 5) errors.push(`call ${n} (${kind}): ${err.code || err.name}: ${err.message}`);
  }
  (latencies[kind] ||= []).push(performance.now() - t0);
  if (n % WINDOW === 0 || n === CALLS) {
    const w = {
      calls: n, heap_in_use: emma._heapInUse(), rss: process.memoryUsage().rss, file_bytes: await storeBytes(),
      events: (await emma.profile.export()).event_count, caps_passed: capsPassed(), seconds: +((performance.now() - started) / 1000).toFixed(1),
      latency_ms: Object.fromEntries(Object.entries(latencies).sort().map(([k, v]) => [k, percentiles(v)])),
    };
    if (w.caps_passed && capsAt === null) capsAt = w;
    windows.push(w);
    latencies = {};
    const lat = ['view', 'recommend', 'export', 'reload'].filter((k) => w.latency_ms[k]).map((k) => `${k} ${w.latency_ms[k].p50}/${w.latency_ms[k].p95}/${w.latency_ms[k].p99}`).join(', ');
    log(`${String(n).padStart(7)} calls  heap ${(w.heap_in_use / 1e6).toFixed(2)} MB  rss ${(w.rss / 1e6).toFixed(0)} MB  file ${(w.file_bytes / 1e3).toFixed(1)} kB  events ${w.events}${w.caps_passed ? '  (caps passed)' : ''}  ms p50/p95/p99: ${lat}`);
  }
}
await emma.close();
await rm(dir, { recursive: true, force: true });

const last = windows[windows.length - 1];
let verdict;
if (!capsAt) {
  verdict = { checked: false, reason: 'the run ended before the calls passed every cap' };
} else {
  const fileRatio = last.file_bytes / capsAt.file_bytes;
  const heapRatio = last.heap_in_use / capsAt.heap_in_use;
  verdict = {
    checked: true, caps_passed_at: capsAt.calls, file_ratio: +fileRatio.toFixed(3), heap_ratio: +heapRatio.toFixed(3),
    ok: fileRatio <= GROWTH_LIMIT && heapRatio <= GROWTH_LIMIT,
  };
}
const summary = {
  calls: CALLS, window: WINDOW, seconds: last.seconds, failed_calls: failedCalls, errors: errors.slice(0, 5), caps: CAPS, growth_limit: GROWTH_LIMIT, verdict,
  windows: windows.map(({ calls, heap_in_use, rss, file_bytes, events, caps_passed, latency_ms }) => ({ calls, heap_in_use, rss, file_bytes, events, caps_passed, latency_ms })),
};
if (!json) {
  log(verdict.checked ? `caps passed at call ${verdict.caps_passed_at}; last window vs then: file x${verdict.file_ratio}, heap x${verdict.heap_ratio} (limit x${GROWTH_LIMIT}): ${verdict.ok ? 'bounded' : 'GROWING'}` : `growth not judged: ${verdict.reason}`);
  if (failedCalls) log(`${failedCalls} calls failed: ${errors.slice(0, 5).join(' | ')}`);
}
console.log(JSON.stringify(summary));
process.exitCode = failedCalls || errors.length || (verdict.checked && !verdict.ok) ? 1 : 0;
