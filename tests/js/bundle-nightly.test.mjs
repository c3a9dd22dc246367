// For a shop that rebuilds its bundle every night: the same input gives the same bytes (also
// with e-mails hashed under a salt made per run), --hashed-name writes a content-named
// bundle and a manifest naming it, and `emma-model diff` says what changed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import sodium from 'libsodium-wrappers-sumo';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const fixtures = path.join(root, 'tests/fixtures/shop');
const emmaModel = path.join(root, 'build/native/emma-model');
const retail = path.join(root, '../shared/datasets/online-retail-uci/by-day');

function run(args) {
  const r = spawnSync(emmaModel, args, { cwd: fixtures, encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  return r;
}

function tempDir(t) {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'emma-nightly-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

const shopify = ['build', '--orders', 'shopify-orders.csv', '--catalog', 'shopify-products.csv', '--k', '1', '--max-bad-rows', '1'];

test('the same input gives the same bundle, byte for byte', (t) => {
  const dir = tempDir(t);
  const builds = [
    ['shopify', shopify],
    ...(existsSync(retail) ? [['retail', ['build', '--orders', path.join(retail, '2011-03-01.csv'), '--orders', path.join(retail, '2011-03-02.csv'), '--orders', path.join(retail, '2011-03-03.csv'), '--k', '2']]] : []),
    ['feed', ['pack', '--catalog', 'google-feed.rss.xml', '--max-bad-rows', '2']],
  ];
  for (const [name, args] of builds) {
    run([...args, '--out', path.join(dir, `${name}-1.bundle`)]);
    run([...args, '--out', path.join(dir, `${name}-2.bundle`)]);
    assert.ok(readFileSync(path.join(dir, `${name}-1.bundle`)).equals(readFileSync(path.join(dir, `${name}-2.bundle`))), `${name}: two builds differ`);
  }
});

test('--hashed-name: a bundle named by its content and a manifest naming it, replaced only when the content changes', async (t) => {
  await sodium.ready;
  const dir = tempDir(t);
  const out = path.join(dir, 'shop.bundle');
  const first = JSON.parse(run([...shopify, '--hashed-name', '--json', '--out', out]).stdout.trim());
  const manifest = JSON.parse(readFileSync(path.join(dir, 'shop.manifest.json'), 'utf8'));
  const bytes = readFileSync(path.join(dir, manifest.bundle));
  const digest = sodium.to_hex(sodium.crypto_generichash(16, bytes));
  assert.deepEqual(manifest, { bundle: `shop.${digest.slice(0, 16)}.bundle`, bytes: bytes.length, blake2b_128: digest, items: 3, format_version: 3 });
  assert.equal(first.out, path.join(dir, manifest.bundle));
  assert.equal(existsSync(out), false, 'no unhashed copy');
  // Tonight's build of the same data: the same name. Different data: a new name beside it
  // (yesterday's stays for pages still loading it), and the manifest moves on.
  run([...shopify, '--hashed-name', '--out', out]);
  assert.deepEqual(readdirSync(dir).sort(), [manifest.bundle, 'shop.manifest.json'].sort());
  run([...shopify.slice(0, -4), '--k', '2', '--max-bad-rows', '1', '--hashed-name', '--out', out]);
  const next = JSON.parse(readFileSync(path.join(dir, 'shop.manifest.json'), 'utf8'));
  assert.notEqual(next.bundle, manifest.bundle);
  assert.deepEqual(readdirSync(dir).sort(), [manifest.bundle, next.bundle, 'shop.manifest.json'].sort());
});

test('emma-model diff: items added, removed and changed; pairs; who entered and left the top', (t) => {
  const dir = tempDir(t);
  run([...shopify, '--out', path.join(dir, 'old.bundle')]);
  // Tomorrow: the socks are gone, the mug costs more, a new product, and one more order.
  const products = readFileSync(path.join(fixtures, 'shopify-products.csv'), 'utf8').split('\n');
  const edited = products.filter((l) => !l.startsWith('wool-socks,')).map((l) => (l.startsWith('enamel-mug,') ? l.replace(',12.50,', ',14.00,') : l));
  const header = products[0].replace(/^\uFEFF/, '').split(',');
  const row = header.map((h) => ({ Handle: 'tin-cup', Title: 'Tin Cup', Published: 'true', 'Variant SKU': 'CUP-1', 'Variant Price': '7.00', Status: 'active' }[h] ?? ''));
  edited.splice(edited.length - 1, 0, row.join(','));
  writeFileSync(path.join(dir, 'products.csv'), edited.join('\n'));
  const orders = readFileSync(path.join(fixtures, 'shopify-orders.csv'), 'utf8').trimEnd().split('\n');
  const oh = orders[0].split(',');
  const line = (sku) => oh.map((h) => ({ Name: '#2001', Email: 'new@example.org', 'Financial Status': 'paid', 'Created at': '2026-03-06 10:00:00 +0100', 'Lineitem quantity': '1', 'Lineitem sku': sku }[h] ?? '')).join(',');
  writeFileSync(path.join(dir, 'orders.csv'), [...orders, line('CUP-1'), line('enamel-mug')].join('\n') + '\n');
  run(['build', '--orders', path.join(dir, 'orders.csv'), '--catalog', path.join(dir, 'products.csv'), '--k', '1', '--max-bad-rows', '10', '--out', path.join(dir, 'new.bundle')]);
  const d = JSON.parse(run(['diff', path.join(dir, 'old.bundle'), path.join(dir, 'new.bundle'), '--json']).stdout.trim());
  assert.deepEqual(d.items.added_ids, ['tin-cup']);
  assert.deepEqual(d.items.removed_ids, ['wool-socks']);
  assert.equal(d.items.changed.price, 1);
  assert.equal(d.items.changed.in_stock, 0);
  assert.equal(d.pairs.old, 3);
  assert.equal(d.pairs.added, 1, 'tin-cup with the mug');
  assert.equal(d.pairs.removed, 2, 'the socks\' pairs');
  assert.equal(d.popularity.window, '30d');
  assert.deepEqual(d.popularity.entered_top, ['tin-cup']);
  assert.deepEqual(d.popularity.left_top, ['wool-socks']);
  const text = run(['diff', path.join(dir, 'old.bundle'), path.join(dir, 'new.bundle')]).stdout;
  assert.match(text, /items: 3 -> 3 \(1 added, 1 removed; changed: 1 price/);
});
