// npm run eval -- --orders <dir> [<dir> ...] --split <YYYY-MM-DD> [--k 10] [--json] [--users N]
// npm run eval -- --movielens <dir> [--k 10] [--json]
//
// Offline quality through the real engine: builds the shop's bundle with emma-model from the
// rows before the split, replays each test customer's history into a fresh profile in the
// wasm engine, asks for_you, and scores it next to the protocol's baselines
// (shared/eval/README.md). The request uses the engine's defaults, as the demo does.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { openEngine } from './engine.mjs';
import { Mean, scoreList } from './metrics.mjs';
import { itemKnn, loadRows, personalTopFreq, popularity30, splitProtocol } from './retail.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const emmaModel = path.join(root, 'build/native/emma-model');
// The one for_you request of the evaluation: defaults only, so the demo gets the same.
export const EVAL_REQUEST = { scenario: 'for_you' };
// "New for you": the engine's discovery scenario, defaults only.
export const DISCOVER_REQUEST = { scenario: 'discover' };
// "Time to reorder": the engine's due items, defaults only.
export const REORDER_REQUEST = { scenario: 'reorder' };
const FOR_YOU_EXCLUDING = { scenario: 'for_you', rules: { excludePurchased: true } };

function parseArgs(argv) {
  const a = { orders: [], k: 10, json: false, users: Infinity };
  for (let i = 0; i < argv.length; i++) {
    const x = argv[i];
    if (x === '--orders') { while (argv[i + 1] && !argv[i + 1].startsWith('--')) a.orders.push(argv[++i]); }
    else if (x === '--split') a.split = argv[++i];
    else if (x === '--k') a.k = Number(argv[++i]);
    else if (x === '--json') a.json = true;
    else if (x === '--users') a.users = Number(argv[++i]);
    else if (x === '--movielens') a.movielens = argv[++i];
    else if (x === '--sharded') a.sharded = true;
    else if (x === '--lists') a.lists = argv[++i];
    else if (x === '--per-event') a.perEvent = true;
    else throw new Error(`unknown argument ${x}`);
  }
  if (!a.movielens && (!a.orders.length || !/^\d{4}-\d{2}-\d{2}$/.test(a.split || ''))) {
    throw new Error('usage: eval --orders <dir> [<dir> ...] --split YYYY-MM-DD [--k 10] [--json] | --movielens <dir>');
  }
  if (!(a.k >= 1 && a.k <= 100)) throw new Error('--k must be from 1 to 100');
  return a;
}

const tty = process.stderr.isTTY;
function progress(done, total, what) {
  if (tty && (done % 50 === 0 || done === total)) process.stderr.write(`\reval: ${what} ${done}/${total}   `);
  if (tty && done === total) process.stderr.write('\n');
}

function buildBundle(args, dir) {
  const out = path.join(dir, 'shop.bundle');
  const flags = ['build', ...args, '--out', out, '--json'];
  const summary = JSON.parse(execFileSync(emmaModel, flags, { stdio: ['ignore', 'pipe', 'inherit'] }).toString().trim().split('\n').pop());
  return { bytes: new Uint8Array(readFileSync(out)), summary };
}

// --sharded (issue 11): the same bundle as a head and shards (emma-model shard, defaults);
// the engine starts from the head, and each purchase is tracked as a page would: on its
// item's page, whose shard that page fetched (so the shard is remembered with the profile).
function shardBundle(dir) {
  const out = path.join(dir, 'sharded');
  mkdirSync(out, { recursive: true });
  execFileSync(emmaModel, ['shard', '--bundle', path.join(dir, 'shop.bundle'), '--out', path.join(out, 'shop.bundle'), '--json'], { stdio: ['ignore', 'pipe', 'inherit'] });
  return { head: new Uint8Array(readFileSync(path.join(out, 'shop.bundle'))), shard: (name) => new Uint8Array(readFileSync(path.join(out, name))) };
}

// --per-event: each event in its own track call, as pages track (and as --sharded must); the
// profile a history builds depends on it (batches of 5,000 give other for_you and reorder answers
// for some customers), so a comparison with --sharded replays the whole bundle this way too.
function replay(engine, events, now, sharded, perEvent) {
  engine.call({ op: 'erase' });
  engine.call({ op: 'consent.grant', purpose: 'personalization', version: 'eval', source: 'api', now });
  if (sharded) {
    for (const event of events) {
      for (const name of engine.call({ op: 'shards.needed', request: { item: event.item } }).result.fetch) engine.call({ op: 'shard.load', name }, sharded.shard(name));
      engine.call({ op: 'track', event, now });
    }
    // A new visit: the head and the sealed record, nothing the pages fetched. (Sealed once here:
    // sealing after every page, as the npm package does, gave the same answers for 100
    // customers and took 3x as long; tests/core/shards.tests.cpp covers the appended frames.)
    engine.call({ op: 'vault.set_key', key_id: 'eval', created_at: now }, new Uint8Array(32).fill(1));
    const record = engine.call({ op: 'profile.seal', now }).bytes;
    engine.call({ op: 'bundle.load' }, sharded.head);
    engine.call({ op: 'profile.open', now }, record);
    return;
  }
  const batch = perEvent ? 1 : 5000;
  for (let i = 0; i < events.length; i += batch) engine.call({ op: 'track', events: events.slice(i, i + batch), now });
}

// --lists <file>: every answer, customer by customer (JSON lines), to compare two runs (a
// sharded catalog against the whole bundle: docs/catalog-size.md); `partial` when the engine said so.
let lists = null;
function ask(engine, now, k, request = EVAL_REQUEST) {
  const r = engine.call({ op: 'recommend', request: { ...request, limit: k }, now }).result;
  const ids = r.items.map((x) => x.id);
  if (lists) {
    const name = `${request.scenario}${request.rules ? '_excluding' : ''}`;
    lists.current[name in lists.current ? `${name}_2` : name] = r.partial ? { ids, partial: true } : ids;
  }
  return ids;
}

// Reorder ("time to reorder"): only the items the shopper bought before count (the repeat
// part of the target); the engine's due items against the shopper's most frequent items
// (distinct orders, then the earlier first purchase), both cut at k = 5. Precision is hits
// over k (a shorter list is not excused), recall hits over the repeat items. "Due" depends on
// when the strip is seen: the engine is asked on the day of the customer's next order (the
// visit that ends in the target basket; only its date is used), and, as `reorder_at_split`,
// at the split like the other scenarios.
export const REORDER_K = 5;
class Reorder {
  constructor() {
    this.m = { emma: { precision: 0, recall: 0 }, frequent: { precision: 0, recall: 0 } };
    this.users = 0;
    this.shown = 0;
  }
  add(name, list, repeat) {
    const top = list.slice(0, REORDER_K);
    const hits = top.filter((it) => repeat.has(it)).length;
    this.m[name].precision += hits / REORDER_K;
    this.m[name].recall += hits / repeat.size;
    if (name === 'emma') {
      this.users += 1;
      this.shown += top.length;
    }
  }
  value() {
    const avg = (v) => Object.fromEntries(Object.entries(v).map(([k, x]) => [k, Number((x / Math.max(1, this.users)).toFixed(4))]));
    return { k: REORDER_K, users: this.users, emma: avg(this.m.emma), frequent: avg(this.m.frequent), emma_items_shown: Number((this.shown / Math.max(1, this.users)).toFixed(2)) };
  }
}

function frequentItems(hist) {
  const orders = new Map();
  hist.forEach(([, invoice, it], i) => {
    const o = orders.get(it) || orders.set(it, { invoices: new Set(), first: i }).get(it);
    o.invoices.add(invoice);
  });
  return [...orders].sort((a, b) => b[1].invoices.size - a[1].invoices.size || a[1].first - b[1].first).map(([it]) => it);
}

// Discovery ("repeat/explore" split of Li et al., A Next Basket Recommendation Reality
// Check, TOIS 2023): only the items new to the shopper count, and every list is scored
// without the items the shopper bought. Slots showing a bought item are counted: the
// engine's answers must have none (the baselines drop them).
class Discovery {
  constructor(k) {
    this.k = k;
    this.m = { emma: new Mean(), for_you_exclude_purchased: new Mean(), popularity: new Mean(), item_knn: new Mean() };
    this.bought_slots = { emma: 0, for_you_exclude_purchased: 0 };
  }
  add(name, list, target, bought) {
    const top = list.slice(0, this.k);
    if (name in this.bought_slots) this.bought_slots[name] += top.filter((it) => bought.has(it)).length;
    this.m[name].add(scoreList(list.filter((it) => !bought.has(it)), target, this.k));
  }
  value() {
    return { k: this.k, users: this.m.emma.n, ...Object.fromEntries(Object.entries(this.m).map(([n, v]) => [n, v.value()])), bought_slots: this.bought_slots };
  }
}

async function retail(a) {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'emma-eval-'));
  try {
    const { bytes, summary } = buildBundle([...a.orders.flatMap((o) => ['--orders', o]), '--until', a.split], dir);
    const rows = loadRows(a.orders);
    const { train, history, targets } = splitProtocol(rows, a.split);
    const sharded = a.sharded ? shardBundle(dir) : null;
    const engine = await openEngine();
    engine.call({ op: 'configure', shop: 'eval' });
    engine.call({ op: 'bundle.load' }, sharded ? sharded.head : bytes);
    const now = Date.parse(`${a.split}T00:00:00Z`);
    const topPop = popularity30(train);
    const knn = itemKnn(train, topPop);
    const m = { emma: new Mean(), popularity: new Mean(), personal_topfreq: new Mean() };
    const discovery = new Discovery(a.k);
    const reorder = new Reorder();
    const reorderAtSplit = new Reorder();
    const nextOrderDay = new Map();
    for (const r of rows) if (r[0] >= a.split && !nextOrderDay.has(r[2])) nextOrderDay.set(r[2], Date.parse(`${r[0].slice(0, 10)}T00:00:00Z`));
    const customers = [...targets.keys()].slice(0, a.users);
    if (a.lists) lists = { rows: [] };
    customers.forEach((c, n) => {
      const target = targets.get(c);
      const hist = history.get(c);
      const events = hist.map(([d, , item, qty]) => ({ type: 'purchase', item, quantity: qty, at: Date.parse(`${d.replace(' ', 'T')}Z`) }));
      replay(engine, events, now, sharded, a.perEvent);
      if (lists) lists.rows.push(lists.current = { customer: c, items: [...new Set(hist.map((h) => h[2]))] });
      m.emma.add(scoreList(ask(engine, now, a.k), target, a.k));
      m.popularity.add(scoreList(topPop, target, a.k));
      m.personal_topfreq.add(scoreList(personalTopFreq(hist, topPop), target, a.k));
      const bought = new Set(hist.map((h) => h[2]));
      const fresh = new Set([...target].filter((it) => !bought.has(it)));
      const repeat = new Set([...target].filter((it) => bought.has(it)));
      if (repeat.size) {
        reorder.add('emma', ask(engine, nextOrderDay.get(c), REORDER_K, REORDER_REQUEST), repeat);
        reorder.add('frequent', frequentItems(hist), repeat);
        reorderAtSplit.add('emma', ask(engine, now, REORDER_K, REORDER_REQUEST), repeat);
        reorderAtSplit.add('frequent', frequentItems(hist), repeat);
      }
      if (fresh.size) {
        discovery.add('emma', ask(engine, now, a.k, DISCOVER_REQUEST), fresh, bought);
        discovery.add('for_you_exclude_purchased', ask(engine, now, a.k, FOR_YOU_EXCLUDING), fresh, bought);
        discovery.add('popularity', topPop, fresh, bought);
        discovery.add('item_knn', knn(hist), fresh, bought);
      }
      progress(n + 1, customers.length, 'customers');
    });
    if (lists) writeFileSync(a.lists, lists.rows.map((x) => JSON.stringify(x)).join('\n') + '\n');
    return { k: a.k, users: customers.length, split: a.split, bundle: summary, methods: Object.fromEntries(Object.entries(m).map(([k, v]) => [k, v.value()])), discovery: discovery.value(), reorder: reorder.value(), reorder_at_split: reorderAtSplit.value() };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

// MovieLens (ml-latest-small): genres as categories, leave-last-out per user (the latest
// rating; ties by movie id), items rated before are excluded from the answer.
async function movielens(a) {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'emma-eval-'));
  try {
    const parse = (file) => readFileSync(path.join(a.movielens, file), 'utf8').trim().split('\n').slice(1);
    const splitLine = (line) => {
      const out = [];
      let cur = '';
      let q = false;
      for (const ch of line) {
        if (ch === '"') q = !q;
        else if (ch === ',' && !q) { out.push(cur); cur = ''; } else cur += ch;
      }
      out.push(cur);
      return out;
    };
    const movies = parse('movies.csv').map(splitLine).map(([id, title, genres]) => {
      const g = genres === '(no genres listed)' ? [] : genres.split('|');
      return { id, title, category: g[0] || 'Other', tags: g };
    });
    const ratings = parse('ratings.csv').map((l) => l.split(',')).map(([u, m, r, t]) => ({ u, m, r: Number(r), t: Number(t) * 1000 }));
    const byUser = new Map();
    for (const x of ratings) (byUser.get(x.u) || byUser.set(x.u, []).get(x.u)).push(x);
    const held = new Map();
    const train = [];
    for (const [u, list] of byUser) {
      list.sort((x, y) => x.t - y.t || Number(x.m) - Number(y.m));
      held.set(u, list[list.length - 1]);
      train.push(...list.slice(0, -1));
    }
    // A "basket" is one user's ratings of one day: co-watching within a session.
    train.sort((x, y) => x.t - y.t || (x.u < y.u ? -1 : 1));
    const events = train.map((x) => JSON.stringify({ customer: x.u, basket: `${x.u}-${Math.floor(x.t / 86400000)}`, item: x.m, at: x.t }));
    writeFileSync(path.join(dir, 'ratings.jsonl'), `${events.join('\n')}\n`);
    writeFileSync(path.join(dir, 'movies.json'), JSON.stringify({ items: movies }));
    const { bytes, summary } = buildBundle(['--orders', path.join(dir, 'ratings.jsonl'), '--catalog', path.join(dir, 'movies.json')], dir);
    const engine = await openEngine();
    engine.call({ op: 'configure', shop: 'eval' });
    engine.call({ op: 'bundle.load' }, bytes);
    const pop = new Map();
    for (const x of train) pop.set(x.m, (pop.get(x.m) || 0) + 1);
    const popular = [...pop.entries()].sort((x, y) => y[1] - x[1] || Number(x[0]) - Number(y[0])).map(([m]) => m);
    const genreOf = new Map(movies.map((mv) => [mv.id, mv.category]));
    const m = { emma: new Mean(), for_you_exclude_purchased: new Mean(), popularity: new Mean(), genre_popularity: new Mean() };
    let seenSlots = 0;
    const users = [...held.keys()].slice(0, a.users);
    users.forEach((u, n) => {
      const target = new Set([held.get(u).m]);
      const mine = byUser.get(u).slice(0, -1);
      const seen = new Set(mine.map((x) => x.m));
      const now = held.get(u).t;
      // Every rating is a film watched (a "purchase"); films seen are excluded by rule, as a
      // shop excludes what was bought. Low ratings say little about taste, but they do say "seen".
      const evs = mine.map((x) => ({ type: 'purchase', item: x.m, at: x.t }));
      replay(engine, evs, now);
      const recs = ask(engine, now, a.k, DISCOVER_REQUEST);
      const old = ask(engine, now, a.k, FOR_YOU_EXCLUDING);
      seenSlots += [...recs, ...old].filter((id) => seen.has(id)).length;
      m.emma.add(scoreList(recs, target, a.k));
      m.for_you_exclude_purchased.add(scoreList(old, target, a.k));
      const unseenPop = popular.filter((id) => !seen.has(id));
      m.popularity.add(scoreList(unseenPop, target, a.k));
      const genres = new Map();
      for (const x of mine) genres.set(genreOf.get(x.m), (genres.get(genreOf.get(x.m)) || 0) + 1);
      const fav = [...genres.entries()].sort((x, y) => y[1] - x[1])[0]?.[0];
      m.genre_popularity.add(scoreList([...unseenPop.filter((id) => genreOf.get(id) === fav), ...unseenPop.filter((id) => genreOf.get(id) !== fav)], target, a.k));
      progress(n + 1, users.length, 'users');
    });
    return { dataset: 'ml-latest-small', k: a.k, users: users.length, bundle: summary, methods: Object.fromEntries(Object.entries(m).map(([k, v]) => [k, v.value()])), bought_slots: seenSlots };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function main() {
  const a = parseArgs(process.argv.slice(2));
  const result = a.movielens ? await movielens(a) : await retail(a);
  const rows = Object.entries(result.methods).map(([name, v]) => `${name.padEnd(18)} HR@${a.k}=${v.hr.toFixed(4)} Recall@${a.k}=${v.recall.toFixed(4)} NDCG@${a.k}=${v.ndcg.toFixed(4)}`);
  console.log(`eval: ${result.users} ${a.movielens ? 'users' : 'test customers'}, k=${a.k}; bundle: ${result.bundle.items} items, ${result.bundle.pairs_kept} pairs kept, ${result.bundle.pairs_dropped_below_k} dropped below k`);
  for (const r of rows) console.log(r);
  const d = result.discovery;
  if (d) {
    console.log(`discovery: ${d.users} customers with an item new to them in the target, k=${d.k}, bought items removed`);
    for (const name of ['emma', 'for_you_exclude_purchased', 'popularity', 'item_knn']) {
      const v = d[name];
      console.log(`  ${name.padEnd(26)} HR@${a.k}=${v.hr.toFixed(4)} Recall@${a.k}=${v.recall.toFixed(4)} NDCG@${a.k}=${v.ndcg.toFixed(4)}`);
    }
  }
  const r = result.reorder;
  if (r) {
    console.log(`reorder: ${r.users} customers with an item bought before in the target, k=${r.k}, asked on the day of their next order (emma shows ${r.emma_items_shown} items on average)`);
    for (const name of ['emma', 'frequent']) console.log(`  ${name.padEnd(26)} Precision@${r.k}=${r[name].precision.toFixed(4)} Recall@${r.k}=${r[name].recall.toFixed(4)}`);
    const e = result.reorder_at_split.emma;
    console.log(`  ${'emma, asked at the split'.padEnd(26)} Precision@${r.k}=${e.precision.toFixed(4)} Recall@${r.k}=${e.recall.toFixed(4)}`);
  }
  const slots = d ? d.bought_slots.emma + d.bought_slots.for_you_exclude_purchased : result.bought_slots;
  if (a.json) console.log(JSON.stringify({ k: result.k, users: result.users, methods: result.methods, ...(d ? { discovery: d, reorder: r, reorder_at_split: result.reorder_at_split } : { bought_slots: slots }) }));
  // An answer that shows a bought item as new is a bug, whatever the figures.
  if (slots > 0) throw new Error(`${slots} slots of the answers without bought items show an item the customer bought`);
}

main().catch((err) => {
  console.error(`eval: ${err.message}`);
  process.exit(1);
});
