// node src/tools/bench/variants.mjs [--items 100000] [--variants 4] [--json]
//
// Variant ids in a sharded catalog (docs/catalog-size.md, "Variants"): the synthetic shop of
// synth.mjs, once without variants and once with `--variants` sizes per product (ids
// "<SKU>-<k>", listed in attributes.variants as emma-model writes them), each built and split
// with emma-model at its defaults. Reports the head's and the shards' bytes (brotli), the cost
// of the choice made (a variant's shard carries its product's record, a redirect) and of the
// choice not made (the head carrying every variant id: estimated from below as the brotli of
// the variant ids alone, in item order, one per line), and what a variant's product page
// fetches (the engine through the real wasm boundary, both rounds).
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { brotliCompressSync, constants } from 'node:zlib';
import { openEngine } from '../eval/engine.mjs';
import { catalog, orders } from './synth.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const emmaModel = path.join(root, 'build/native/emma-model');
const args = process.argv.slice(2);
const arg = (name, d) => (args.includes(name) ? Number(args[args.indexOf(name) + 1]) : d);
const n = arg('--items', 100000);
const perProduct = arg('--variants', 4);

const brotli = (b) => brotliCompressSync(b, { params: { [constants.BROTLI_PARAM_QUALITY]: 11, [constants.BROTLI_PARAM_SIZE_HINT]: b.length } }).length;
const variantIds = (id) => Array.from({ length: perProduct }, (_, k) => `${id}-${k + 1}`);

async function build(dir, withVariants) {
  mkdirSync(dir, { recursive: true });
  const cat = catalog(n);
  if (withVariants) for (const it of cat.items) it.attributes = { variants: variantIds(it.id) };
  writeFileSync(path.join(dir, 'catalog.json'), JSON.stringify(cat));
  writeFileSync(path.join(dir, 'orders.jsonl'), [...orders(n, n, Math.max(2000, n / 5))].join('\n') + '\n');
  const whole = path.join(dir, 'shop.bundle');
  execFileSync(emmaModel, ['build', '--catalog', path.join(dir, 'catalog.json'), '--orders', path.join(dir, 'orders.jsonl'), '--out', whole], { stdio: 'ignore' });
  const out = path.join(dir, 'sharded');
  mkdirSync(out);
  execFileSync(emmaModel, ['shard', '--bundle', whole, '--out', path.join(out, 'shop.bundle')], { stdio: 'ignore' });
  const shards = readdirSync(out).filter((f) => f !== 'shop.bundle');
  // Every 50th shard's brotli size, and the raw size of all (a CDN's storage).
  const sample = shards.filter((_, k) => k % 50 === 0).map((f) => brotli(readFileSync(path.join(out, f))));
  return {
    dir: out,
    whole_br: brotli(readFileSync(whole)),
    head_br: brotli(readFileSync(path.join(out, 'shop.bundle'))),
    shards: shards.length,
    shard_mean_br: Math.round(sample.reduce((a, b) => a + b, 0) / sample.length),
    shards_raw_total: shards.reduce((s, f) => s + statSync(path.join(out, f)).size, 0),
  };
}

// A variant's product page: what the engine names to fetch, round by round, and the answer.
async function variantPage(dir, items) {
  const engine = await openEngine();
  engine.call({ op: 'configure', shop: 'bench' });
  engine.call({ op: 'bundle.load' }, new Uint8Array(readFileSync(path.join(dir, 'shop.bundle'))));
  const pages = [];
  for (const item of items) {
    const request = { scenario: 'similar', item, limit: 8 };
    const rounds = [];
    for (let round = 0; round < 2; round++) {
      const names = engine.call({ op: 'shards.needed', request }).result.fetch;
      if (!names.length) break;
      rounds.push(names.map((name) => {
        const bytes = new Uint8Array(readFileSync(path.join(dir, name)));
        engine.call({ op: 'shard.load', name }, bytes);
        return brotli(bytes);
      }));
    }
    const answer = engine.call({ op: 'recommend', request, now: Date.UTC(2026, 6, 1) }).result;
    pages.push({ item, rounds, items: answer.items.length, partial: answer.partial });
  }
  return pages;
}

const tmp = mkdtempSync(path.join(os.tmpdir(), 'emma-variants-'));
try {
  const plain = await build(path.join(tmp, 'plain'), false);
  const varied = await build(path.join(tmp, 'varied'), true);
  const allVariantIds = catalog(n).items.flatMap((it) => variantIds(it.id)).join('\n');
  const result = {
    items: n,
    variants_per_item: perProduct,
    without_variants: { ...plain, dir: undefined },
    with_variants: { ...varied, dir: undefined },
    head_alias_map_br_at_least: brotli(Buffer.from(allVariantIds)),
    variant_pages: await variantPage(varied.dir, ['SKU0000007-2', 'SKU0012345-4', 'SKU0099998-1']),
  };
  if (args.includes('--json')) console.log(JSON.stringify(result));
  else console.log(JSON.stringify(result, null, 2));
} finally {
  rmSync(tmp, { recursive: true, force: true });
}
