// Variant ids a page may name (docs/bundle-tool.md, "Variants"), through the npm package and
// the real wasm engine, with bundles built by emma-model: the Shopify product export of
// tests/fixtures/shop (the linen shirt's sizes LS-S, LS-M, LS-L fold into "linen-shirt"), and
// a sharded catalog whose variants hash to other shards than their products.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createEmma } from '../../js-bindings/src/node.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const fixtures = path.join(root, 'tests/fixtures/shop');
const emmaModel = path.join(root, 'build/native/emma-model');
const consent = { version: '2026-11', text: 'Personalize my shop', source: 'banner' };

function tempDir(t) {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'emma-variants-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

function shopifyBundle(t) {
  const out = path.join(tempDir(t), 'shop.bundle');
  execFileSync(emmaModel, ['build', '--orders', 'shopify-orders.csv', '--catalog', 'shopify-products.csv', '--k', '1',
    '--max-bad-rows', '1', '--out', out], { cwd: fixtures, stdio: 'ignore' });
  return new Uint8Array(readFileSync(out));
}

test('a Shopify export: variant SKUs name their product in events and requests', async (t) => {
  const emma = await createEmma({ shop: 'v', bundle: shopifyBundle(t), storage: 'memory' });
  // A product page of one size: the product's alternatives, never the product itself.
  const similar = await emma.recommend({ scenario: 'similar', item: 'LS-M', limit: 4 });
  assert.ok(similar.items.length > 0);
  assert.ok(!similar.items.some((i) => i.id === 'linen-shirt'), JSON.stringify(similar.items.map((i) => i.id)));
  // A size the export does not have is still refused, naming the field.
  await assert.rejects(emma.recommend({ scenario: 'similar', item: 'LS-XXL' }),
    (e) => e.code === 'BAD_REQUEST' && /request\.item: "LS-XXL" is not in the catalog/.test(e.message));

  await emma.consent.grant('personalization', consent);
  await emma.track({ type: 'view', item: 'LS-M' });
  await emma.track({ type: 'add_to_cart', item: 'LS-S' });
  await emma.track({ type: 'purchase', item: 'LS-S' });
  await emma.track({ type: 'purchase', item: 'LS-L' });
  const exported = await emma.profile.export();
  assert.deepEqual(Object.keys(exported.interests.items), ['linen-shirt']);
  assert.deepEqual(exported.purchases.map((p) => [p.item, p.title]), [['linen-shirt', 'Linen Shirt'], ['linen-shirt', 'Linen Shirt']]);
  assert.deepEqual(exported.recently_viewed.map((r) => r.item), ['linen-shirt']);
  assert.deepEqual(exported.cart, []);

  // rerank: a listing of variant SKUs gets its own SKUs back (SOCK-1 is the socks' only SKU),
  // the shopper's product before the mug the shop listed first.
  const listing = await emma.recommend({ scenario: 'rerank', items: ['enamel-mug', 'SOCK-1', 'LS-L'] });
  const ids = listing.items.map((i) => i.id);
  assert.deepEqual(ids.slice().sort(), ['LS-L', 'SOCK-1', 'enamel-mug']);
  assert.ok(ids.indexOf('LS-L') < ids.indexOf('enamel-mug'), JSON.stringify(ids));
  assert.equal(listing.items[ids.indexOf('LS-L')].title, 'Linen Shirt');
  assert.equal(listing.items[ids.indexOf('SOCK-1')].title, 'Wool Socks');
  await emma.close();
});

// A catalog of 120 products with three sizes each, built and split by emma-model.
function shardedShop(dir) {
  const items = [];
  const orders = [];
  for (let i = 0; i < 120; i++) {
    const id = `shirt-${i}`;
    items.push({ id, title: `Shirt ${i}`, category: `Shirts > Line ${i % 6}`, price: 20 + i % 7,
      attributes: { variants: ['S', 'M', 'L'].map((s) => `SH${i}-${s}`) } });
    // Baskets within a line, so every product has co-purchase neighbours.
    for (let k = 1; k <= 3; k++) {
      const j = (i + 6 * k) % 120;
      orders.push({ customer: `c${i}-${k}`, basket: `b${i}-${k}`, item: id, at: Date.UTC(2026, 2, 1 + k) });
      orders.push({ customer: `c${i}-${k}`, basket: `b${i}-${k}`, item: `shirt-${j}`, at: Date.UTC(2026, 2, 1 + k) });
    }
  }
  writeFileSync(path.join(dir, 'catalog.json'), JSON.stringify({ items }));
  writeFileSync(path.join(dir, 'orders.jsonl'), orders.map((o) => JSON.stringify(o)).join('\n') + '\n');
  const whole = path.join(dir, 'whole.bundle');
  execFileSync(emmaModel, ['build', '--catalog', path.join(dir, 'catalog.json'), '--orders', path.join(dir, 'orders.jsonl'),
    '--k', '1', '--out', whole], { stdio: 'ignore' });
  execFileSync(emmaModel, ['shard', '--bundle', whole, '--out', path.join(dir, 'shop.bundle'), '--shard-items', '8',
    '--head-items', '10', '--head-per-category', '1'], { stdio: 'ignore' });
  return whole;
}

// The page names a variant only: its product's lists come with the second round of fetching
// (js-bindings/src/shards.js), so the answer is the whole bundle's and not partial.
test('a sharded catalog: a variant page answers as the whole bundle does', async (t) => {
  const dir = tempDir(t);
  const whole = shardedShop(dir);
  const a = await createEmma({ shop: 's', bundle: whole, storage: 'memory' });
  const b = await createEmma({ shop: 's', bundle: path.join(dir, 'shop.bundle'), storage: 'memory' });
  const errors = [];
  b.on('error', (e) => errors.push(e));
  for (const variant of ['SH3-M', 'SH41-S', 'SH77-L', 'SH118-M']) {
    const x = await a.recommend({ scenario: 'bought_together', item: variant, limit: 4 });
    const y = await b.recommend({ scenario: 'bought_together', item: variant, limit: 4 });
    assert.deepEqual(y.items.map((i) => i.id), x.items.map((i) => i.id), variant);
    assert.equal(y.partial, false, variant);
  }
  assert.deepEqual(errors, []);
  await b.consent.grant('personalization', consent);
  await b.track({ type: 'view', item: 'SH5-L' });
  assert.deepEqual(Object.keys((await b.profile.export()).interests.items), ['shirt-5']);
  await a.close();
  await b.close();
});
