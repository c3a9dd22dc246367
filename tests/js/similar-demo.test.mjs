// Issue 18, "similar" means alike: on the demo catalog, through the real wasm engine (Node
// build) and the demo's bundle as setup.sh builds it (emma-model with the Online Retail
// orders), `similar` and `bought_together` show different items, and `similar` finds the
// products that differ by one word (another colour, another print). Before the change the
// same measurement gave 2.63 of 4 shared and a recall of 0.62 (src/tools/bench/RESULTS.md).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { measureSimilar } from '../../src/tools/bench/similar.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const orders = path.join(root, '../shared/datasets/online-retail-uci/by-day');
const bundle = path.join(root, 'build/demo/shop.bundle');

test('demo catalog: similar and bought_together share at most 1 of 4; title siblings found', { skip: !existsSync(orders) && 'shared/ datasets not present (the demo bundle has no baskets)' }, async () => {
  const r = await measureSimilar({ bundle, dist: path.join(root, 'js-bindings/dist') });
  assert.equal(r.products, 240);
  assert.ok(r.mean_overlap <= 1, `mean overlap ${r.mean_overlap} of 4 (${JSON.stringify(r)})`);
  assert.ok(r.title_sibling_recall >= 0.8, `title-sibling recall@4 ${r.title_sibling_recall} (${JSON.stringify(r)})`);
  // The issue's own example: the white heart's alternatives are other heart holders; the red
  // one is an alternative, not a complement.
  const ex = r.examples['85123A'];
  assert.ok(ex.similar.includes('RED HANGING HEART T-LIGHT HOLDER'), JSON.stringify(ex));
  assert.ok(!ex.bought_together.includes('RED HANGING HEART T-LIGHT HOLDER'), JSON.stringify(ex));
  assert.ok(ex.similar.every((t) => /T-LIGHT|CANDLE|HOLDER/.test(t)), JSON.stringify(ex));
});
