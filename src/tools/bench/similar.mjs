// npm run bench:similar [-- --bundle build/demo/shop.bundle] [--dist <engine build dir>] [--json]
// npm run bench:similar -- --scale 10000,100000 [--json]
//
// "Similar" vs "bought together" on the demo catalog (issue 18), through the real wasm engine
// without consent (what every product page shows first), for every product:
// - overlap: how many of the top 4 of `similar` are also in the top 4 of `bought_together`
//   (target: at most 1 of 4 on average);
// - title-sibling recall@4: the items whose titles differ from the product's in exactly one
//   word, in the same place ("WHITE HANGING HEART T-LIGHT HOLDER" / "RED HANGING HEART
//   T-LIGHT HOLDER"), found in the top 4 of `similar`: siblings found / siblings findable
//   (at most 4 per product), over every product (target: >= 0.8).
// --scale: the cost of the content neighbours in emma-model (pack) on synthetic catalogs
// (synth.mjs) of those sizes: seconds, peak memory, and the SIMS section's bytes per item
// (the bundle with --similar 8 minus the bundle with --similar 0, raw and brotli -9).
// --dist names another build of the engine (a folder with emma.wasm and emma-node.cjs, e.g.
// the main branch's js-bindings/dist) to measure the figures before a change.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import zlib from 'node:zlib';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Boundary } from '../../../js-bindings/src/boundary.js';
import { catalog } from './synth.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const require = createRequire(import.meta.url);

function parseArgs(argv) {
  const a = { bundle: path.join(root, 'build/demo/shop.bundle'), dist: path.join(root, 'js-bindings/dist'), json: false, k: 4 };
  for (let i = 0; i < argv.length; i++) {
    const x = argv[i];
    if (x === '--bundle') a.bundle = path.resolve(argv[++i]);
    else if (x === '--dist') a.dist = path.resolve(argv[++i]);
    else if (x === '--json') a.json = true;
    else if (x === '--scale') a.scale = argv[++i].split(',').map(Number);
    else throw new Error(`unknown argument ${x} (use --bundle FILE, --dist DIR, --scale N,N, --json)`);
  }
  return a;
}

async function openEngine(dist) {
  const wasmBinary = new Uint8Array(readFileSync(path.join(dist, 'emma.wasm')));
  const module = await require(path.join(dist, 'emma-node.cjs'))({ wasmBinary, print: () => {}, printErr: () => {} });
  return new Boundary(module);
}

const words = (title) => String(title).trim().split(/\s+/);

// Same number of words, exactly one position different.
export function titleSiblings(items, anchor) {
  const a = words(anchor.title);
  return items.filter((x) => {
    if (x.id === anchor.id) return false;
    const b = words(x.title);
    if (b.length !== a.length) return false;
    let diff = 0;
    for (let k = 0; k < a.length; k++) diff += a[k] !== b[k];
    return diff === 1;
  }).map((x) => x.id);
}

export async function measureSimilar({ bundle, dist, k = 4 }) {
  const engine = await openEngine(dist);
  const call = (msg, bytes) => {
    const r = engine.call(msg, bytes);
    if (r.error) throw new Error(`${r.error.code}: ${r.error.message}`);
    return r.result;
  };
  call({ op: 'configure', shop: 'bench-similar' });
  call({ op: 'bundle.load' }, new Uint8Array(readFileSync(bundle)));
  const items = call({ op: 'recommend', request: { scenario: 'trending', limit: 100 } }).items;  // ids and titles
  // Every product: the catalog through "trending" is capped at 100, so ask for the rest by
  // excluding what was already listed.
  const all = [...items];
  for (;;) {
    const more = call({ op: 'recommend', request: { scenario: 'trending', limit: 100, rules: { excludeItems: all.map((x) => x.id) } } }).items;
    if (!more.length || all.length >= 1e5) break;
    all.push(...more);
  }
  let overlap = 0, sibFound = 0, sibFindable = 0, withSiblings = 0, reasonsDiffer = 0;
  const examples = {};
  for (const it of all) {
    const sim = call({ op: 'recommend', request: { scenario: 'similar', item: it.id, limit: k } }).items;
    const bt = call({ op: 'recommend', request: { scenario: 'bought_together', item: it.id, limit: k } }).items;
    const btIds = new Set(bt.map((x) => x.id));
    overlap += sim.filter((x) => btIds.has(x.id)).length;
    const simKinds = new Set(sim.flatMap((x) => x.reasons.map((r) => r.kind)));
    const btKinds = new Set(bt.flatMap((x) => x.reasons.map((r) => r.kind)));
    reasonsDiffer += [...simKinds].some((kd) => !btKinds.has(kd)) ? 1 : 0;
    const sibs = titleSiblings(all, it);
    if (sibs.length) {
      withSiblings++;
      const top = new Set(sim.map((x) => x.id));
      sibFound += sibs.filter((s) => top.has(s)).length;
      sibFindable += Math.min(sibs.length, k);
    }
    if (it.id === '85123A') examples[it.id] = { similar: sim.map((x) => x.title), bought_together: bt.map((x) => x.title) };
  }
  const round = (x) => Math.round(x * 1000) / 1000;
  return {
    bundle: path.relative(root, bundle), products: all.length, k,
    mean_overlap: round(overlap / all.length),
    title_sibling_recall: round(sibFindable ? sibFound / sibFindable : 0),
    products_with_siblings: withSiblings,
    products_with_own_reason_kinds: reasonsDiffer,
    examples,
  };
}

export function measureScale(sizes) {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'emma-similar-'));
  const emmaModel = path.join(root, 'build/native/emma-model');
  const results = [];
  try {
    for (const n of sizes) {
      const file = path.join(dir, `catalog-${n}.json`);
      writeFileSync(file, JSON.stringify(catalog(n)));
      const pack = (similar) => {
        const out = path.join(dir, `shop-${n}-${similar}.bundle`);
        const t0 = process.hrtime.bigint();
        const run = spawnSync('/usr/bin/time', ['-f', 'peak_kb=%M', emmaModel, 'pack', '--catalog', file, '--similar', String(similar), '--out', out],
          { stdio: ['ignore', 'ignore', 'pipe'] });
        const err = run.stderr.toString();
        if (run.status !== 0) throw new Error(`emma-model pack failed: ${err}`);
        const ms = Number(process.hrtime.bigint() - t0) / 1e6;
        const m = /content neighbours: (\d+) for (\d+) items \((\d+) with none\) in ([\d.]+) s/.exec(err);
        const br = zlib.brotliCompressSync(readFileSync(out), { params: { [zlib.constants.BROTLI_PARAM_QUALITY]: 9 } }).length;
        return { bytes: statSync(out).size, br, ms, peak_kb: Number(/peak_kb=(\d+)/.exec(err)[1]),
          neighbours: m ? Number(m[1]) : 0, without: m ? Number(m[3]) : n, seconds: m ? Number(m[4]) : 0 };
      };
      const off = pack(0), on = pack(8);
      results.push({ items: n, similar_seconds: on.seconds, pack_seconds_with: Math.round(on.ms) / 1000, pack_seconds_without: Math.round(off.ms) / 1000,
        peak_mb_with: Math.round(on.peak_kb / 102.4) / 10, peak_mb_without: Math.round(off.peak_kb / 102.4) / 10,
        neighbours: on.neighbours, items_without: on.without, sims_bytes_per_item: Math.round(((on.bytes - off.bytes) / n) * 10) / 10,
        sims_brotli9_bytes_per_item: Math.round(((on.br - off.br) / n) * 10) / 10 });
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return { scale: results };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const a = parseArgs(process.argv.slice(2));
  if (a.scale) {
    const r = measureScale(a.scale);
    if (!a.json) {
      for (const x of r.scale) {
        console.log(`${x.items} items: content neighbours in ${x.similar_seconds} s (pack ${x.pack_seconds_without} s -> ${x.pack_seconds_with} s, ` +
          `peak ${x.peak_mb_without} -> ${x.peak_mb_with} MB), ${x.neighbours} neighbours, ${x.items_without} items with none, SIMS ${x.sims_bytes_per_item} bytes/item (brotli -9: ${x.sims_brotli9_bytes_per_item})`);
      }
    }
    console.log(JSON.stringify(r));
    process.exit(0);
  }
  const r = await measureSimilar(a);
  if (!a.json) {
    console.log(`${r.products} products of ${r.bundle}: mean overlap of the top ${r.k} of similar and bought_together ` +
      `${r.mean_overlap} of ${r.k} (target <= 1); title-sibling recall@${r.k} ${r.title_sibling_recall} over ` +
      `${r.products_with_siblings} products with a sibling (target >= 0.8)`);
    for (const [id, ex] of Object.entries(r.examples)) {
      console.log(`${id}: similar: ${ex.similar.join(' | ')}\n${' '.repeat(id.length)}  bought together: ${ex.bought_together.join(' | ')}`);
    }
  }
  console.log(JSON.stringify(r));
}
