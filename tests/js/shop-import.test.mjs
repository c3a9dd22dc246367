// A shop's own files through emma-model (the native build) into bundles, checked field by
// field through `emma-model inspect` and through the engine (wasm): Google Merchant feeds in
// RSS, Atom and TSV, Shopify and WooCommerce product exports, Shopify's orders export and a
// CSV with a column mapping. Fixtures: tests/fixtures/shop (written for these tests).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createEmma } from 'tante-emma';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const fixtures = path.join(root, 'tests/fixtures/shop');
const emmaModel = path.join(root, 'build/native/emma-model');

function run(args, env = {}) {
  const r = spawnSync(emmaModel, args, { cwd: fixtures, env: { ...process.env, ...env }, encoding: 'utf8' });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

function tempDir(t) {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'emma-shop-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

// pack (or build) then inspect; returns the inspect document.
function bundleOf(t, args) {
  const dir = tempDir(t);
  const out = path.join(dir, 'shop.bundle');
  const r = run([...args, '--out', out]);
  assert.equal(r.code, 0, r.stderr);
  const i = run(['inspect', '--bundle', out, '--out', path.join(dir, 'shop.json')]);
  assert.equal(i.code, 0, i.stderr);
  return { doc: JSON.parse(readFileSync(path.join(dir, 'shop.json'), 'utf8')), stderr: r.stderr, stdout: r.stdout, bundle: out };
}

const byId = (doc) => Object.fromEntries(doc.items.map((i) => [i.id, i]));

test('a Google feed reads the same in RSS, Atom (Windows-1252) and TSV: every mapped field', (t) => {
  const docs = {};
  for (const f of ['google-feed.rss.xml', 'google-feed.atom.xml', 'google-feed.tsv']) {
    const { doc, stderr } = bundleOf(t, ['pack', '--catalog', f, '--max-bad-rows', '2']);
    docs[f] = doc;
    // Both broken entries are counted and named with file, line, field and value.
    assert.match(stderr, /2 bad catalog entries of 7/);
    assert.match(stderr, new RegExp(`${f.replace(/\./g, '\\.')}:\\d+: (g:)?price "twelve": not an amount`));
    assert.match(stderr, new RegExp(`${f.replace(/\./g, '\\.')}:\\d+: (g:)?id: is missing`));
  }
  const rss = docs['google-feed.rss.xml'];
  assert.deepEqual(rss.items.map((i) => i.id), ['MUG-1', 'SHIRT', 'HEAD-1']);
  const { 'MUG-1': mug, SHIRT: shirt, 'HEAD-1': head } = byId(rss);
  assert.equal(mug.title, 'Café mug & saucer');
  assert.equal(mug.url, 'https://shop.example/p/mug-1');
  assert.equal(mug.image, 'https://shop.example/i/mug-1.jpg');
  assert.deepEqual(mug.category, ['Home', 'Kitchen', 'Mugs']);
  assert.equal(mug.brand, 'Emma Ceramics');
  assert.equal(mug.price, 9.99, 'sale_price is the price a shopper pays now (not g:shipping\'s g:price either)');
  assert.equal(mug.currency, 'EUR');
  assert.deepEqual(mug.attributes, { list_price: 12.99 });
  assert.deepEqual(mug.tags, ['bestseller', 'summer']);
  assert.equal(mug.in_stock, true);
  // Three sizes of one shirt are one product: in stock because M and L are, at the lowest
  // price of a size in stock (S at 18.00 is sold out).
  assert.deepEqual(shirt.attributes.variants, ['SHIRT-S', 'SHIRT-M', 'SHIRT-L']);
  assert.equal(shirt.in_stock, true);
  assert.equal(shirt.price, 21);
  assert.deepEqual(shirt.tags, ['linen']);
  assert.equal(shirt.image, 'https://shop.example/i/shirt.jpg');
  // Preorder: orderable (recommendable), and the page can tell.
  assert.equal(head.in_stock, true);
  assert.deepEqual(head.attributes, { availability: 'preorder' });
  assert.deepEqual(head.category, ['Electronics', 'Audio'], 'google_product_category when there is no product_type');
  assert.equal(head.title, 'Headphones "Quiet" <wireless>');
  assert.deepEqual(docs['google-feed.atom.xml'].items, rss.items);
  assert.deepEqual(docs['google-feed.tsv'].items, rss.items);
});

test('too many bad rows fail the build with a clear message and write nothing; --catalog-format overrides detection', (t) => {
  const dir = tempDir(t);
  const out = path.join(dir, 'shop.bundle');
  const r = run(['pack', '--catalog', 'google-feed.rss.xml', '--out', out]);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /2 of 7 catalog entries were bad, more than --max-bad-rows allows \(1% of the rows\); nothing was written/);
  assert.equal(existsSync(out), false);
  // A feed under a name that says nothing is still recognised from its content.
  copyFileSync(path.join(fixtures, 'google-feed.tsv'), path.join(dir, 'export.txt'));
  const c = run(['check', '--catalog', path.join(dir, 'export.txt'), '--max-bad-rows', '2', '--json']);
  assert.equal(c.code, 0, c.stderr);
  const summary = JSON.parse(c.stdout.trim());
  assert.equal(summary.format, 'google-tsv');
  assert.equal(summary.items, 3);
  assert.equal(summary.variants_folded, 2);
  // Forced to the wrong format, it is refused by that format's rules, not guessed around.
  const forced = run(['check', '--catalog', path.join(dir, 'export.txt'), '--catalog-format', 'shopify']);
  assert.equal(forced.code, 1);
  assert.match(forced.stderr, /no "Handle" column/);
  assert.match(run(['check', '--catalog', 'x', '--catalog-format', 'excel']).stderr, /--catalog-format "excel": use json, jsonl, csv, google/);
});

test('Shopify product export: one product per Handle, variants folded, drafts and archived products left out', (t) => {
  const { doc, stderr } = bundleOf(t, ['pack', '--catalog', 'shopify-products.csv', '--max-bad-rows', '1']);
  assert.match(stderr, /read as shopify: 8 entries, 3 items \(2 variants folded into their products\), 2 left out/);
  assert.match(stderr, /shopify-products\.csv:11: Variant Price "nine": not an amount/, 'the line counts the body that spans two lines');
  assert.deepEqual(doc.items.map((i) => i.id), ['linen-shirt', 'enamel-mug', 'wool-socks']);
  const { 'linen-shirt': shirt, 'enamel-mug': mug, 'wool-socks': socks } = byId(doc);
  assert.equal(shirt.title, 'Linen Shirt');
  assert.equal(shirt.url, '/products/linen-shirt');
  assert.equal(shirt.image, 'https://cdn.shop.example/ls-1.jpg');
  assert.equal(shirt.brand, 'Emma Textiles');
  assert.deepEqual(shirt.category, ['Shirts'], 'Type, the shop\'s own, before Google\'s Product Category');
  assert.deepEqual(shirt.tags, ['linen', 'summer']);
  assert.deepEqual(shirt.attributes.variants, ['LS-S', 'LS-M', 'LS-L']);
  assert.equal(shirt.price, 24, 'the cheapest size in stock (S is sold out at 19.00)');
  assert.equal(shirt.in_stock, true);
  assert.deepEqual(mug.category, ['Home & Garden', 'Kitchen & Dining'], 'Product Category when Type is empty');
  assert.equal(mug.in_stock, true, 'stock not tracked: available');
  assert.equal(mug.price, 12.5);
  assert.equal(socks.in_stock, true, 'none left, but the policy lets shoppers order');
  assert.deepEqual(socks.attributes.variants, ['SOCK-1'], 'a product of one variant: its SKU, which a cart names, resolves to it too');
});

test('WooCommerce product export in Windows-1252: categories, sale price, variations tied to their parent', (t) => {
  const { doc, stderr } = bundleOf(t, ['pack', '--catalog', 'woocommerce-products.csv', '--max-bad-rows', '1']);
  assert.match(stderr, /read as woocommerce: 7 entries, 3 items \(2 variants folded into their products\), 1 left out/);
  assert.match(stderr, /woocommerce-products\.csv:7: In stock\? "vielleicht": not 1, 0 or backorder/);
  const { 'TEA-1': tea, HOODIE: hoodie, 41: honey } = byId(doc);
  assert.equal(tea.title, 'Rooibos Tee – 100 g');
  assert.deepEqual(tea.category, ['Lebensmittel', 'Tee'], 'the first of "A > B, C"');
  assert.deepEqual(tea.tags, ['bio', 'tee']);
  assert.equal(tea.image, 'https://shop.example/tee.jpg');
  assert.equal(tea.brand, 'Teehaus');
  assert.equal(tea.price, 4.5);
  assert.deepEqual(tea.attributes, { list_price: 5.9 });
  assert.equal(hoodie.title, 'Hoodie Müller');
  assert.deepEqual(hoodie.attributes.variants, ['HOODIE-M', 'HOODIE-L'], 'by "id:20" and by the parent SKU');
  assert.equal(hoodie.in_stock, true);
  assert.equal(hoodie.price, 45, 'L on sale; M is out of stock');
  assert.deepEqual(honey.attributes, { availability: 'backorder' });
});

test('Shopify orders export: baskets by order Name, SKUs counted for their product, cancelled and refunded orders left out', (t) => {
  const { doc, stderr } = bundleOf(t, ['build', '--orders', 'shopify-orders.csv', '--catalog', 'shopify-products.csv', '--k', '1', '--max-bad-rows', '1']);
  assert.match(stderr, /shopify-orders\.csv:17: Lineitem quantity "zwei": not a number/);
  assert.deepEqual(doc.items.map((i) => i.id), ['linen-shirt', 'enamel-mug', 'wool-socks']);
  // Five paid orders: the shirt (any size) in all five, the mug in two, the socks in four.
  assert.deepEqual(doc.popularity.all, [5, 2, 4]);
  assert.equal(doc.meta.stats.baskets, 5);
  assert.equal(doc.meta.stats.customers, 5);
  assert.equal(doc.meta.stats.unknown_items, 0, 'every SKU maps to its product');
  assert.equal(doc.meta.until_ms, Date.UTC(2026, 2, 5, 9, 14) + 1, 'Created at with its +0100 offset');
  assert.deepEqual(doc.neighbours[0].map(([i]) => i).sort(), [1, 2]);
});

test('no e-mail address reaches the bundle, the output, the log or a temporary file', (t) => {
  const dir = tempDir(t);
  const tmp = path.join(dir, 'tmp');
  const out = path.join(dir, 'shop.bundle');
  const json = path.join(dir, 'shop.json');
  rmSync(tmp, { recursive: true, force: true });
  spawnSync('mkdir', [tmp]);
  const csv = readFileSync(path.join(fixtures, 'shopify-orders.csv'), 'utf8');
  const emails = [...new Set(csv.match(/[\w.+-]+@[\w.-]+/g))];
  assert.ok(emails.length >= 8, 'the fixture holds the addresses this test looks for');
  const r = run(['build', '--orders', 'shopify-orders.csv', '--catalog', 'shopify-products.csv', '--k', '1', '--max-bad-rows', '1', '--json', '--out', out], { TMPDIR: tmp, TMP: tmp, TEMP: tmp });
  assert.equal(r.code, 0, r.stderr);
  const g = run(['build', '--orders', 'generic-orders.csv', '--orders-columns', 'customer=Kunde,basket=Bestellnummer,item=Artikelnummer,at=Datum,quantity=Menge',
    '--catalog', 'shopify-products.csv', '--k', '1', '--max-bad-rows', '3', '--json', '--out', path.join(dir, 'g.bundle')], { TMPDIR: tmp });
  assert.equal(g.code, 0, g.stderr);
  assert.match(g.stderr, /generic-orders\.csv:8: Kunde: is empty/);
  assert.equal(run(['inspect', '--bundle', out, '--out', json]).code, 0);
  const places = {
    bundle: readFileSync(out).toString('latin1'),
    generic_bundle: readFileSync(path.join(dir, 'g.bundle')).toString('latin1'),
    inspect: readFileSync(json, 'utf8'),
    stdout: r.stdout + g.stdout,
    stderr: r.stderr + g.stderr,
    temp_files: readdirSync(tmp).map((f) => readFileSync(path.join(tmp, f)).toString('latin1')).join('\n'),
  };
  const generic = readFileSync(path.join(fixtures, 'generic-orders.csv'), 'utf8').match(/[\w.+-]+@[\w.-]+/g);
  for (const email of [...emails, ...generic]) {
    const local = email.split('@')[0].toLowerCase();
    for (const [where, text] of Object.entries(places)) {
      assert.ok(!text.toLowerCase().includes(email.toLowerCase()), `${email} found in ${where}`);
      assert.ok(!text.toLowerCase().includes(local), `${local} (an address's local part) found in ${where}`);
    }
  }
});

test('a bundle packed from a feed answers through the engine with the feed\'s fields, one item per product', async (t) => {
  const { bundle } = bundleOf(t, ['pack', '--catalog', 'google-feed.rss.xml', '--max-bad-rows', '2']);
  const emma = await createEmma({ bundle: new Uint8Array(readFileSync(bundle)), storage: 'memory', shop: 'feed-shop' });
  t.after(() => emma.close());
  const recs = await emma.recommend({ limit: 10 });
  const ids = recs.items.map((i) => i.id).sort();
  assert.deepEqual(ids, ['HEAD-1', 'MUG-1', 'SHIRT'], 'the shirt once, not once per size');
  const mug = recs.items.find((i) => i.id === 'MUG-1');
  assert.equal(mug.price, 9.99);
  assert.equal(mug.currency, 'EUR');
  assert.deepEqual(mug.tags, ['bestseller', 'summer']);
  assert.equal(mug.url, 'https://shop.example/p/mug-1');
});
