// A scripted shopping session on the demo shop (npm run demo), in each engine, through the
// embed script: before consent only the shop's own static files are fetched and nothing is
// stored; after consent recommendations follow what was browsed, with reasons; a reload
// keeps them; withdrawal in the privacy centre clears storage. (Screenshots: screens.test.mjs.)
// The demo pages' own controls (category order, search, cart, simulation) in Chromium.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { ENGINES, serverAndEngine, storedAnything } from './drivers/index.mjs';
import { serverAndBrowser } from './harness.mjs';
import { emmaCall, emmaSettled, watchedPage } from './embed-kit.mjs';
import { checkShopRequests } from './demo-requests.mjs';

const catalog = JSON.parse(await readFile(new URL('../../demo/catalog.json', import.meta.url), 'utf8'));
const categoryOf = new Map(catalog.items.map((i) => [i.id, i.category]));
const bags = catalog.items.filter((i) => i.category === 'Bags').slice(0, 4).map((i) => i.id);
const baking = catalog.items.find((i) => i.category === 'Kitchen > Baking').id;


async function visit(page, origin, where) {
  await page.goto(origin + where);
  assert.equal(await emmaSettled(page), 'ready', `Emma did not start on ${where}`);
}

const forYou = (page) => page.$$eval('#for-you [data-emma-slot] [data-emma-item]', (els) => els.map((e) => e.dataset.emmaItem));

for (const engine of ENGINES) test(`${engine}: a shopping session: nothing before consent, personal after, kept on reload, cleared on withdrawal`, async (t) => {
  const { server, browser } = await serverAndEngine(t, engine);
  const page = await browser.newPage();
  const seen = page.seen;

  // --- before consent -------------------------------------------------------------------
  await visit(page, server.origin, '/');
  assert.ok(await page.isVisible('[data-emma-ui="banner"]'), 'the consent banner is shown');
  const before = await forYou(page);
  assert.equal(before.length, 8, 'the for-you slot was filled (popular items)');
  await visit(page, server.origin, '/category/bags');
  for (const id of bags.slice(0, 3)) await visit(page, server.origin, `/product/${id}`);
  assert.deepEqual(await storedAnything(page, server), { indexedDB: [], localStorage: [], sessionStorage: [], cookie: '', cookies: [] });
  checkShopRequests(server);
  assert.match(await page.textContent('#request-verdict'), /all from this shop/);

  // --- consent, then browsing -----------------------------------------------------------
  await visit(page, server.origin, '/');
  await page.click('[data-emma-choice="yes"]');
  await page.waitForSelector('[data-emma-ui="banner"]', { state: 'detached' });
  // The banner goes only once the consent is on storage: a click on a link right after it
  // must not lose it.
  assert.deepEqual((await storedAnything(page, server)).indexedDB, ['tante-emma:tante-emma-demo']);
  const state = await emmaCall(page, 'consent.state');
  assert.equal(state.personalization.granted, true);
  assert.equal(state.personalization.source, 'banner');
  await visit(page, server.origin, '/category/bags');
  await visit(page, server.origin, `/product/${baking}`);
  for (const id of bags) await visit(page, server.origin, `/product/${id}`);
    assert.equal(await page.getAttribute('#similar [data-emma-slot]', 'data-emma-state'), 'filled');

  await visit(page, server.origin, '/');
  const after = await forYou(page);
  const share = (ids) => ids.filter((id) => categoryOf.get(id) === 'Bags').length;
  assert.equal(await page.getAttribute('#for-you [data-emma-slot]', 'data-emma-personalized'), 'true', `not personalized; console: ${seen.warnings.join(' | ')}; stored: ${JSON.stringify(await storedAnything(page, server))}`);
  assert.ok(share(after) > share(before) && share(after) >= 6, `bags before ${share(before)}, after ${share(after)} of 8`);
  const reasons = await page.$$eval('#for-you .why', (els) => els.map((e) => e.textContent));
  assert.ok(reasons.some((r) => r.includes('You like Bags')), `reasons shown: ${reasons.join(' | ')}`);
  assert.ok(await page.isVisible('#for-you .if-personal'), 'the heading says "For you"');
  assert.equal(await page.exists('[data-emma-ui="banner"]'), false, 'no banner once consent is given');
  
  // --- reload: the same recommendations from the sealed profile ------------------------
  await page.reload();
  assert.equal(await emmaSettled(page), 'ready');
  assert.deepEqual(await forYou(page), after);
  assert.equal(await page.exists('[data-emma-ui="banner"]'), false);
  const stored = await storedAnything(page, server);
  assert.deepEqual(stored.indexedDB, ['tante-emma:tante-emma-demo']);

  // --- the privacy centre: what Emma knows, export, withdrawal ---------------------------
  await page.click('header [data-emma-privacy]');
  await page.waitForSelector('dialog.emma-centre[open] .emma-chart');
  const chart = await page.textContent('.emma-chart');
  assert.match(chart, /Bags/);
  assert.match(chart, /Kitchen › Baking/);
  assert.ok((await page.count('.emma-chart rect')) >= 2, 'interests are drawn as SVG bars');
  assert.match(await page.textContent('.emma-why-list'), /You like Bags/);
  const exported = JSON.parse(await page.download('[data-emma-action="export"]'));
  assert.equal(exported.format, 'tante-emma-export/1');
  assert.ok(exported.interests.categories.Bags > 0, JSON.stringify(exported.interests));

  await page.click('[data-emma-action="withdraw"]');
  await page.waitForSelector('[data-emma-status="off"]');
  await page.waitForFunction(async () => (await indexedDB.databases()).length === 0);
  await page.press('Escape');
  await page.waitForSelector('#for-you [data-emma-personalized="false"]');
  assert.deepEqual((await storedAnything(page, server)).indexedDB, []);
  assert.equal((await emmaCall(page, 'consent.state')).personalization.granted, false);

  checkShopRequests(server);
  assert.deepEqual(seen.errors, []);
});

test('the demo pages: category order, search, cart, simulate a shopper', async (t) => {
  const { server, browser } = await serverAndBrowser(t);
  const { page, seen } = await watchedPage(browser.context);
  const shopOrder = async () => page.$$eval('[data-emma-rerank] > li', (els) => els.map((e) => e.dataset.emmaItem));

  // Without consent: the shop's order; the simulation explains that it needs consent.
  await visit(page, server.origin, '/category/kitchen-baking');
  const popularity = await shopOrder();
  assert.equal(await page.getAttribute('[data-emma-rerank]', 'data-emma-state'), 'shop-order');
  await page.click('#simulate button');
  await page.waitForFunction(() => document.getElementById('simulate-status').textContent.includes('Allow personalisation first'));
  assert.deepEqual((await storedAnything(page, server)).indexedDB, []);

  // With consent: simulate a shopper who likes Kitchen > Baking; the list follows.
  await page.click('[data-emma-choice="yes"]');
  await page.selectOption('#persona', 'Kitchen > Baking');
  await page.click('#simulate button');
  await page.waitForFunction(() => document.getElementById('simulate-status').textContent.startsWith('Viewed 5 products'));
  await page.reload();
  assert.equal(await emmaSettled(page), 'ready');
  assert.equal(await page.getAttribute('[data-emma-rerank]', 'data-emma-state'), 'personalized');
  assert.match(await page.textContent('#order-note'), /Sorted for you/);
  assert.deepEqual([...(await shopOrder())].sort(), [...popularity].sort(), 'the same products, reordered');

  // Search is tracked and shows results; the cart works and fills its slots.
  await page.fill('#q', 'cake');
  await page.press('#q', 'Enter');
  await page.waitForURL(/\/search\?q=cake/);
  assert.equal(await emmaSettled(page), 'ready');
  assert.ok((await page.$$('main .grid .card')).length > 0);
  const id = bags[0];
  await visit(page, server.origin, `/product/${id}`);
  await page.click('button[data-cart-add]');
  await page.waitForFunction(() => document.getElementById('cart-count').textContent === '1');
  await visit(page, server.origin, '/cart');
  assert.match(await page.textContent('#cart-items'), new RegExp(catalog.items.find((i) => i.id === id).title));
  assert.equal(await page.getAttribute('#for-you [data-emma-slot]', 'data-emma-state'), 'filled');
  const exported = await emmaCall(page, 'profile.export');
  assert.ok(exported.event_count >= 8, `events recorded: ${exported.event_count}`);
  await visit(page, server.origin, '/privacy');
  await page.click('main [data-emma-privacy]');
  await page.waitForSelector('dialog.emma-centre[open]');
  checkShopRequests(server);
  assert.deepEqual(seen.errors, []);
});
