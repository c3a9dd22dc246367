// Tailored offers and personal service on the demo shop (issue 15), in each engine, through
// the embed script: the personal hero and greeting (data-emma-choose) per shopper (none
// without consent, new, a replayed returning customer, a Garden lover), the offers strip
// (never an expired offer), the "time to reorder" strip, the chosen variant's reason in the
// privacy centre, and only the shop's static files requested throughout. A page whose engine
// cannot load keeps the shop's default content.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { readFile } from 'node:fs/promises';
import { ENGINES, serverAndEngine } from './drivers/index.mjs';
import { emmaCall, emmaSettled } from './embed-kit.mjs';
import { checkShopRequests } from './demo-requests.mjs';

const catalog = JSON.parse(await readFile(new URL('../../demo/catalog.json', import.meta.url), 'utf8'));
const garden = catalog.items.filter((i) => i.category === 'Garden').map((i) => i.id);
const returning = JSON.parse(await readFile(new URL('../../demo/returning-shopper.json', import.meta.url), 'utf8'));
const bought = new Set(returning.orders.flatMap((o) => o.items));


async function home(page, origin) {
  await page.goto(`${origin}/`);
  assert.equal(await emmaSettled(page), 'ready');
}

const state = (page) => page.evaluate(() => Object.fromEntries([...document.querySelectorAll('[data-emma-choose]')].map((e) => [e.dataset.emmaChoose, e.dataset.emmaChosen || e.dataset.emmaState])));
const ids = (page, sel) => page.evaluate((s) => [...document.querySelectorAll(`${s} [data-emma-item]`)].map((e) => e.dataset.emmaItem), sel);

for (const engine of ENGINES) test(`${engine}: personal hero, greeting, offers and reorder on the demo shop; reasons in the privacy centre; only static files requested`, async (t) => {
  const { server, browser } = await serverAndEngine(t, engine);
  const page = await browser.newPage();

  // --- without consent: the shop's defaults, the generally valid offers, never an expired one
  await home(page, server.origin);
  assert.deepEqual(await state(page), { greeting: 'default', hero: 'default' });
  assert.match(await page.textContent('[data-emma-choose="hero"]'), /Tante Emma demo shop/);
  assert.deepEqual(await ids(page, '#offers'), ['free-delivery'], 'untargeted offers only, the expired one never');
  assert.equal(await page.getAttribute('#reorder [data-emma-slot]', 'data-emma-state'), 'fallback');

  // --- a new shopper: consent given today
  await page.click('[data-emma-choice="yes"]');
  await page.waitFor(() => document.querySelector('[data-emma-choose="greeting"]').dataset.emmaChosen === 'new', null, { what: 'the greeting for a new shopper' });
  assert.deepEqual(await state(page), { greeting: 'new', hero: 'default' });
  assert.match(await page.textContent('[data-emma-choose="greeting"]'), /Welcome to Tante Emma/);

  // --- a returning customer: a real customer's orders replayed (demo panel)
  await page.click('#simulate-returning');
  await page.waitFor(() => document.getElementById('simulate-status').textContent.startsWith('Replayed'), null, { timeout: 30000, what: 'the replay' });
  await home(page, server.origin);
  assert.deepEqual(await state(page), { greeting: 'returning', hero: 'baking' }, 'this customer mostly bought baking goods');
  const due = await ids(page, '#reorder');
  assert.ok(due.length >= 1 && due.every((id) => bought.has(id)), `reorder strip: ${due}`);
  assert.match(await page.textContent('#reorder .why'), /(You|Customers) usually reorder this about every \d+ (days|weeks); last time \d+ (days|weeks) ago/);
  const offers = await ids(page, '#offers');
  assert.equal(offers[0], 'baking-season', `offers: ${offers}`);
  const all = (await emmaCall(page, 'recommend', { scenario: 'offers', limit: 20 })).items.map((o) => o.id);
  assert.ok(all.includes('welcome-back') && !all.includes('gift-wrap') && !all.includes('summer-sale-2025'), `all fitting offers: ${all}`);

  // --- a Garden lover (a fresh profile: erase, consent again, four Garden products)
  await emmaCall(page, 'erase');
  await emmaCall(page, 'consent.grant', 'personalization', { version: 'test', text: 'test', source: 'api' });
  for (const id of garden) {
    await page.goto(`${server.origin}/product/${id}`);
    assert.equal(await emmaSettled(page), 'ready');  // the view is tracked before the page is ready
  }
  await home(page, server.origin);
  assert.deepEqual(await state(page), { greeting: 'new', hero: 'garden' });
  assert.match(await page.textContent('[data-emma-choose="hero"]'), /Spring in the garden/);
  assert.deepEqual((await ids(page, '#offers'))[0], 'garden-week');
  assert.match(await page.textContent('#offers'), /You like Garden/);
  assert.equal(await page.getAttribute('#reorder [data-emma-slot]', 'data-emma-state'), 'fallback', 'nothing bought, nothing due');

  // --- the privacy centre says why this hero was shown
  await page.click('header [data-emma-privacy]');
  await page.waitForSelector('dialog.emma-centre[open] [data-emma-chosen-list]');
  const why = await page.textContent('[data-emma-chosen-list]');
  assert.match(why, /hero: garden: You like Garden/);
  assert.match(why, /greeting: new: Chosen for shoppers like you/);

  // A control character goes through the embed's engine and back intact (its JSON escapes
  // are written by src/wasm/snprintf.c).
  await assert.rejects(emmaCall(page, 'recommend', { scenario: 'x\u0001y' }), (e) => e.message.includes('"x\u0001y" is not a scenario'));

  checkShopRequests(server, { cookieless: true });
  assert.deepEqual(page.seen.errors, []);
});

// The shop's default content stays when the engine cannot run (the wasm file is missing).
const CHOOSE_PAGE = `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>choose</title>
<script src="/emma/emma.js" data-bundle="/emma/shop.bundle" data-shop="choose-test" data-wasm="/nowhere/emma.wasm" async></script>
</head><body>
<div id="hero" data-emma-choose="hero"><template data-emma-variant="garden" data-emma-when='{"categories":["Garden"]}'><p>garden</p></template><template data-emma-variant="any" data-emma-when='{}'><p>any</p></template><p class="default">The shop's own hero</p></div>
</body></html>`;

for (const engine of ENGINES) test(`${engine}: data-emma-choose keeps the shop's default when the engine cannot load`, async (t) => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'emma-choose-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  await writeFile(path.join(dir, 'p.html'), CHOOSE_PAGE);
  const { server, browser } = await serverAndEngine(t, engine, { mounts: [['/t/', dir]] });
  const page = await browser.newPage();
  await page.goto(`${server.origin}/t/p.html`);
  assert.equal(await emmaSettled(page), 'unavailable');
  assert.match(await page.innerHTML('#hero'), /<p class="default">The shop's own hero<\/p>$/);
  assert.equal(await page.count('#hero > p'), 1);
});
