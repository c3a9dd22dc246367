// Issue 18 in the browser: the demo's product page shows two rows that differ, each with its
// own reasons: "Similar products" are alternatives (other heart T-light holders, "Same kind:
// …"), "Often bought together" are complements ("Often bought with …"). Before consent, in each
// engine, through the embed script and the demo's real bundle.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ENGINES, serverAndEngine } from './drivers/index.mjs';
import { emmaSettled } from './embed-kit.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const orders = path.join(root, '../shared/datasets/online-retail-uci/by-day');

const row = (page, id) => page.$$eval(`#${id} [data-emma-slot] [data-emma-item]`, (els) => els.map((e) => ({
  id: e.dataset.emmaItem,
  title: (e.querySelector('[data-emma-field="title"]') || e).textContent.trim(),
  why: (e.querySelector('.why') || { textContent: '' }).textContent,
})));

for (const engine of ENGINES) test(`${engine}: a product page shows alternatives and complements, each with its own reasons`, { skip: !existsSync(orders) && 'shared/ datasets not present (no baskets: no bought-together row)' }, async (t) => {
  const { server, browser } = await serverAndEngine(t, engine);
  const page = await browser.newPage();
  await page.goto(`${server.origin}/product/85123A`);  // WHITE HANGING HEART T-LIGHT HOLDER
  assert.equal(await emmaSettled(page), 'ready');
  for (const id of ['similar', 'together']) {
    await page.waitForFunction((sel) => document.querySelector(sel)?.dataset.emmaState === 'filled', `#${id} [data-emma-slot]`);
  }
  const similar = await row(page, 'similar');
  const together = await row(page, 'together');
  const shown = JSON.stringify({ similar, together });
  assert.equal(similar.length, 4, shown);
  assert.ok(together.length >= 2, shown);
  assert.equal(similar.filter((x) => together.some((y) => y.id === x.id)).length, 0, shown);
  // Alternatives: the other heart holders, the red one first among them; said so.
  assert.ok(similar.some((x) => x.title === 'RED HANGING HEART T-LIGHT HOLDER'), shown);
  assert.ok(similar.every((x) => /T-LIGHT|HOLDER|CANDLE/.test(x.title)), shown);
  assert.ok(similar.every((x) => x.why.includes('Same kind: Candles & Lights')), shown);
  assert.ok(similar.every((x) => !x.why.includes('Often bought')), shown);
  // Complements: what the shop's customers buy with it, not another colour of it.
  assert.ok(together.every((x) => x.why.startsWith('Often bought with WHITE HANGING HEART T-LIGHT HOLDER')), shown);
  assert.ok(together.every((x) => !/HANGING HEART T-LIGHT HOLDER/.test(x.title)), shown);
});
