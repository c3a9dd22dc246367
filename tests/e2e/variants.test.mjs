// A shop page that names a variant's SKU (docs/bundle-tool.md, "Variants"), through the embed
// script and a bundle emma-model built from the Shopify export of tests/fixtures/shop (the
// linen shirt's sizes LS-S, LS-M, LS-L fold into "linen-shirt"): the product page of size M
// fills its "similar" slot and, with consent, its view is kept as the product's, and a listing
// of SKUs (data-emma-rerank) moves that shirt's size L up.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ENGINES, serverAndEngine } from './drivers/index.mjs';
import { emmaCall, emmaSettled } from './embed-kit.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

const PAGE = `<!DOCTYPE html>
<html lang="en">
<head><meta charset="utf-8"><title>Linen Shirt, size M</title>
<script src="/emma/emma.js" data-bundle="/v/shop.bundle" data-shop="variant-test" async></script>
</head>
<body data-emma-page="product" data-emma-item="LS-M">
<div id="similar" data-emma-slot="similar" data-emma-item="LS-M" data-emma-limit="3"><p class="fallback">The shop's own list</p></div>
<ol id="listing" data-emma-rerank><li data-emma-item="enamel-mug">Mug</li><li data-emma-item="SOCK-1">Socks</li><li data-emma-item="LS-L">Linen Shirt L</li></ol>
</body>
</html>
`;

for (const engine of ENGINES) test(`${engine}: a product page naming a variant SKU fills its slot and tracks the product`, async (t) => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'emma-variant-page-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  execFileSync(path.join(root, 'build/native/emma-model'), ['build', '--orders', 'shopify-orders.csv', '--catalog', 'shopify-products.csv',
    '--k', '1', '--max-bad-rows', '1', '--out', path.join(dir, 'shop.bundle')], { cwd: path.join(root, 'tests/fixtures/shop'), stdio: 'ignore' });
  await writeFile(path.join(dir, 'p.html'), PAGE);
  const { server, browser } = await serverAndEngine(t, engine, { mounts: [['/v/', dir]] });
  const page = await browser.newPage();
  await page.goto(`${server.origin}/v/p.html`);
  assert.equal(await emmaSettled(page), 'ready');
  await page.waitForFunction(() => ['filled', 'fallback'].includes(document.querySelector('#similar').dataset.emmaState));
  assert.equal(await page.getAttribute('#similar', 'data-emma-state'), 'filled', 'LS-M is the linen shirt, not an unknown item');
  const shown = await page.$$eval('#similar [data-emma-item]', (els) => els.map((e) => e.dataset.emmaItem));
  assert.ok(shown.length > 0 && !shown.includes('linen-shirt') && !shown.includes('LS-M'), JSON.stringify(shown));

  await emmaCall(page, 'consent.grant', 'personalization', { version: 'v1', text: 'Personalise.', source: 'banner' });
  await page.reload();
  assert.equal(await emmaSettled(page), 'ready');
  await page.waitForFunction(() => document.querySelector('#similar').dataset.emmaState === 'filled');
  const exported = await emmaCall(page, 'profile.export');
  assert.deepEqual(exported.recently_viewed.map((r) => r.item), ['linen-shirt'], JSON.stringify(exported.recently_viewed));
  assert.deepEqual(Object.keys(exported.interests.items), ['linen-shirt']);
  // The next page: the listing, answered with its own SKUs, moves the viewed shirt (and the
  // socks bought with it) before the mug; SKUs the engine did not know would stay last.
  await page.reload();
  assert.equal(await emmaSettled(page), 'ready');
  await page.waitForFunction(() => document.querySelector('#listing').dataset.emmaState === 'personalized');
  const order = await page.$$eval('#listing li', (els) => els.map((e) => e.dataset.emmaItem));
  assert.deepEqual(order.slice().sort(), ['LS-L', 'SOCK-1', 'enamel-mug']);
  assert.ok(order.indexOf('LS-L') < order.indexOf('enamel-mug'), JSON.stringify(order));
});
