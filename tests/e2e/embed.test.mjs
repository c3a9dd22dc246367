// The embed script on shop pages (the first cases in Chromium, Firefox and WebKit, the
// rest in Chromium): strict CSP (and a page nonce), the queue stub,
// slots and templates, auto-tracking and bad input, a hostile product title, a blocked
// engine (blocked, 404, no WebAssembly), the keyboard-only consent flow in German, and
// the Consent Mode and GPC sources. Pages are written per test into a temporary folder.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { ENGINES, serverAndEngine, storedAnything as storedIn } from './drivers/index.mjs';
import { launch, startServer } from './harness.mjs';
import { emmaCall, emmaSettled, storedAnything, watchedPage } from './embed-kit.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const STRICT_CSP = "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; style-src 'self'";
const FALLBACK = '<p class="fallback">The shop\'s own list</p>';

// The shop's own script: the queue stub from the README and calls made before emma.js ran.
const SHOP_SCRIPT = `window.emma = window.emma || function () { (emma.q = emma.q || []).push(arguments); };
window.queued = [];
emma('recommend', { scenario: 'trending', limit: 2 }, function (err, r) { window.queued.push(err ? 'error:' + err.code : 'ok:' + r.items.length); });
emma('ready', function (err) { window.queued.push(err ? 'ready-error:' + err.code : 'ready'); });
document.addEventListener('click', function (e) { if (e.target.id === 'own') e.target.textContent = 'the shop still works'; });
`;

function shopPage({ lang = 'en', script = '', head = '', nonce = '', bundle = '/emma/shop.bundle' } = {}) {
  const n = nonce ? ` nonce="${nonce}"` : '';
  return `<!DOCTYPE html>
<html lang="${lang}">
<head>
<meta charset="utf-8"><title>Embed test shop</title>
${head}<script src="/t/shop.js"${n}></script>
<script src="/emma/emma.js" data-bundle="${bundle}" data-shop="embed-test" ${script}${n} async></script>
</head>
<body data-emma-page="product" data-emma-item="85123A">
<a href="/t/other.html" id="first">Shop home</a>
<button type="button" id="own">The shop's own button</button>
<button type="button" data-emma-track="add_to_cart" data-emma-item="85123A" id="buy">Add to cart</button>
<button type="button" data-emma-track="bogus_event" data-emma-item="85123A" id="bad">Badly tagged button</button>
<a href="/t/privacy.html" data-emma-privacy id="privacy">Privacy</a>
<div id="similar" data-emma-slot="similar" data-emma-item="85123A" data-emma-limit="4" data-emma-template="card">${FALLBACK}</div>
<div id="plain" data-emma-slot="trending" data-emma-limit="3">${FALLBACK}</div>
<div id="unknown" data-emma-slot="no_such_scenario">${FALLBACK}</div>
<div id="distinct" data-emma-slot="trending" data-emma-limit="3" data-emma-distinct>${FALLBACK}</div>
<div id="bags" data-emma-slot="trending" data-emma-limit="3" data-emma-rules='{"categories":["Bags"]}'>${FALLBACK}</div>
<div id="badrules" data-emma-slot="trending" data-emma-rules="{not json">${FALLBACK}</div>
<template id="card"><a class="card" data-emma-field="url"><span class="t" data-emma-field="title"></span> <span data-emma-field="price"></span> <em data-emma-field="reasons"></em></a></template>
</body>
</html>
`;
}

async function site(t, files, serverOptions = {}) {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'emma-embed-'));
  await writeFile(path.join(dir, 'shop.js'), SHOP_SCRIPT);
  for (const [name, text] of Object.entries(files)) await writeFile(path.join(dir, name), text);
  const server = await startServer({ ...serverOptions, mounts: [['/t/', dir], ...(serverOptions.mounts || [])] });
  const browser = await launch();
  t.after(async () => {
    await browser.close();
    await server.close();
    await rm(dir, { recursive: true, force: true });
  });
  return { dir, server, browser, origin: server.origin };
}

// The same for a test looped over engines: the page's own browser of `engine`. CSP
// violations are reported to the server (report-uri), so its log shows them in every engine.
async function siteIn(t, engine, files, serverOptions = {}) {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'emma-embed-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  await writeFile(path.join(dir, 'shop.js'), SHOP_SCRIPT);
  for (const [name, text] of Object.entries(files)) await writeFile(path.join(dir, name), text);
  const { server, browser } = await serverAndEngine(t, engine, { ...serverOptions, mounts: [['/t/', dir], ...(serverOptions.mounts || [])] });
  return { server, browser, origin: server.origin, page: await browser.newPage() };
}
const REPORTED_CSP = `${STRICT_CSP}; report-uri /csp-report`;
const cspReports = (server) => server.requests.filter((r) => r.url.startsWith('/csp-report'));
const NOTHING_STORED = { indexedDB: [], localStorage: [], sessionStorage: [], cookie: '', cookies: [] };

for (const engine of ENGINES) test(`${engine}: strict CSP page: queued calls run, slots fill from templates, bad input is reported and the page goes on`, async (t) => {
  const { origin, server, page } = await siteIn(t, engine, { 'p.html': shopPage() }, { headers: { 'Content-Security-Policy': REPORTED_CSP } });
  await page.goto(`${origin}/t/p.html`);
  assert.equal(await emmaSettled(page), 'ready');

  assert.deepEqual((await page.evaluate(() => window.queued)).sort(), ['ok:2', 'ready'], 'calls made before emma.js loaded were kept');
  assert.equal(await page.getAttribute('#similar', 'data-emma-state'), 'filled');
  const cards = await page.$$eval('#similar a.card', (as) => as.map((a) => ({ href: a.getAttribute('href'), item: a.dataset.emmaItem, title: a.querySelector('.t').textContent })));
  assert.equal(cards.length, 4);
  for (const c of cards) {
    assert.equal(c.href, `${origin}/product/${c.item}`);
    assert.ok(c.title.length > 0);
  }
  assert.equal(await page.exists('#similar .fallback'), false, 'the fallback was replaced');
  assert.equal(await page.count('#plain .emma-list li'), 3, 'a slot without a template gets the default list');
  assert.equal(await page.getAttribute('#unknown', 'data-emma-state'), 'fallback');
  assert.equal(await page.getAttribute('#unknown', 'data-emma-error'), 'BAD_REQUEST');
  assert.equal(await page.innerHTML('#unknown'), FALLBACK, 'an unknown scenario keeps the shop content');
  const ids = (sel) => page.$$eval(`${sel} [data-emma-item]`, (els) => els.map((e) => e.dataset.emmaItem));
  const above = new Set([...(await ids('#similar')), ...(await ids('#plain'))]);
  const distinct = await ids('#distinct');
  assert.equal(distinct.length, 3);
  assert.ok(distinct.every((id) => !above.has(id)), 'a distinct slot repeats nothing shown above it');
  assert.deepEqual(await page.$$eval('#bags .emma-item', (els) => els.length), 3);
  const bagCategories = await page.evaluate(() => new Promise((r) => window.emma('recommend', { scenario: 'trending', limit: 3, rules: { categories: ['Bags'] } }, (e, x) => r(x.items.map((i) => i.category[0])))));
  assert.deepEqual(bagCategories, ['Bags', 'Bags', 'Bags'], 'rules from data-emma-rules reach the engine');
  assert.deepEqual(await ids('#bags'), await page.evaluate(() => new Promise((r) => window.emma('recommend', { scenario: 'trending', limit: 3, rules: { categories: ['Bags'] } }, (e, x) => r(x.items.map((i) => i.id))))));
  assert.equal(await page.getAttribute('#badrules', 'data-emma-error'), 'BAD_REQUEST');
  assert.equal(await page.innerHTML('#badrules'), FALLBACK);

  // Emma's stylesheet applies (same origin, no inline styles anywhere) and CSP saw nothing to block.
  assert.equal(await page.$eval('[data-emma-ui="banner"]', (b) => getComputedStyle(b).position), 'fixed');
  assert.equal(await page.evaluate(() => document.querySelectorAll('[style]').length), 0);

  // Warnings are read in the page (WebKit's driver has no console events).
  await page.evaluate(() => {
    window.__warned = [];
    const warn = console.warn;
    console.warn = (...a) => { window.__warned.push(a.map(String).join(' ')); warn.apply(console, a); };
  });
  await page.click('#bad');
  await page.click('#own');
  assert.equal(await page.textContent('#own'), 'the shop still works');
  await page.waitFor(() => window.__warned.some((w) => w.includes('bogus_event') && w.includes('is not an event type')), null, { what: 'the warning about bogus_event' });
  assert.equal((await emmaCall(page, 'recommend', { scenario: 'trending', limit: 1 })).items.length, 1, 'the engine still answers');
  await assert.rejects(emmaCall(page, 'nonsense'), /BAD_REQUEST: emma\("nonsense"\): not a command/);

  // Tracking before consent is validated and dropped: nothing is stored.
  await page.click('#buy');
  assert.deepEqual(await storedIn(page, server), NOTHING_STORED);
  assert.deepEqual(cspReports(server), [], 'the CSP blocked nothing');
  assert.deepEqual(page.seen.warnings.filter((w) => /Content Security Policy|Refused/.test(w)), []);
  assert.deepEqual(page.seen.errors, []);
});

test('a nonce on the embed script is copied to the stylesheet it adds and to the privacy centre, loaded only when opened', async (t) => {
  const csp = "default-src 'self'; script-src 'nonce-r4nd0m' 'wasm-unsafe-eval'; style-src 'nonce-r4nd0m'";
  const { origin, browser } = await site(t, { 'p.html': shopPage({ nonce: 'r4nd0m' }) }, { headers: { 'Content-Security-Policy': csp } });
  const { page, seen } = await watchedPage(browser.context);
  await page.goto(`${origin}/t/p.html`);
  assert.equal(await emmaSettled(page), 'ready');
  assert.equal(await page.$eval('link[rel="stylesheet"][href*="/emma/emma."]', (l) => l.nonce), 'r4nd0m');
  assert.equal(await page.$eval('[data-emma-ui="banner"]', (b) => getComputedStyle(b).position), 'fixed');
  // The centre's code is not part of a page view: it comes when the shopper opens it.
  const centreRequested = () => page.evaluate(() => performance.getEntriesByType('resource').some((r) => /\/emma-centre\.[0-9a-f]{12}\.js$/.test(r.name)));
  assert.equal(await centreRequested(), false);
  await page.evaluate(() => window.emma('privacy'));
  await page.waitForSelector('dialog.emma-centre[open]');
  assert.equal(await centreRequested(), true);
  assert.equal(await page.$eval('script[src*="/emma/emma-centre."]', (s) => s.nonce), 'r4nd0m');
  assert.deepEqual(await page.evaluate(() => window.__violations), []);
  assert.deepEqual(seen.errors, []);
});

test('shop data is rendered as text: a hostile title shows as characters, unsafe URLs are dropped', async (t) => {
  const evil = {
    items: [
      { id: 'X1', title: '<img src=x onerror=alert(1)>', url: 'javascript:alert(1)', category: 'Evil', price: 1, currency: 'EUR', popularity: 100 },
      { id: 'X2', title: '"><script>alert(2)</script>', url: '/product/X2', category: 'Evil', price: 2, currency: 'EUR', popularity: 90 },
      { id: 'X3', title: 'Data link', url: 'data:text/html,<script>alert(3)</script>', category: 'Evil', price: 3, currency: '<b>', popularity: 80 },
      { id: 'X4', title: 'Plain', url: 'https://shop.example/x4', category: 'Evil', price: 4, popularity: 70 },
    ],
  };
  const dir = await mkdtemp(path.join(os.tmpdir(), 'emma-evil-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  await writeFile(path.join(dir, 'evil.json'), JSON.stringify(evil));
  await promisify(execFile)(path.join(root, 'build/native/emma-model'), ['pack', '--catalog', path.join(dir, 'evil.json'), '--out', path.join(dir, 'evil.bundle')]);
  const page0 = shopPage({ bundle: '/evil/evil.bundle' }).replaceAll('85123A', 'X4');
  const { origin, browser } = await site(t, { 'p.html': page0 }, { headers: { 'Content-Security-Policy': STRICT_CSP }, mounts: [['/evil/', dir]] });
  const { page, seen } = await watchedPage(browser.context);
  await page.goto(`${origin}/t/p.html`);
  assert.equal(await emmaSettled(page), 'ready');
  const cards = await page.$$eval('#similar a.card', (as) => as.map((a) => ({ item: a.dataset.emmaItem, href: a.getAttribute('href'), title: a.querySelector('.t').textContent })));
  const byId = Object.fromEntries(cards.map((c) => [c.item, c]));
  assert.equal(byId.X1.title, '<img src=x onerror=alert(1)>');
  assert.equal(byId.X1.href, null, 'a javascript: URL is not linked');
  assert.equal(byId.X2.title, '"><script>alert(2)</script>');
  assert.equal(byId.X2.href, `${origin}/product/X2`, 'a relative URL is kept');
  assert.equal(byId.X3.href, null, 'a data: URL is not linked');
  assert.equal(await page.$$eval('#similar img, #similar script, #plain img, #plain script', (x) => x.length), 0);
  await page.click('#privacy');
  await page.waitForSelector('dialog.emma-centre[open]');
  assert.match(await page.textContent('.emma-why-list'), /<img src=x onerror=alert\(1\)>/);
  assert.equal(await page.$$eval('dialog img, dialog script', (x) => x.length), 0);
  assert.deepEqual(seen.dialogs, [], 'no script from the catalog ran');
  assert.deepEqual(seen.errors, []);
});

for (const [name, setup] of [
  ['blocked', { route: true }],
  ['a 404', { script: 'data-wasm="/nowhere/emma.wasm"' }],
  ['a browser without WebAssembly', { init: () => delete globalThis.WebAssembly }],
  ['a missing bundle', { bundle: '/nowhere/shop.bundle', code: 'BAD_BUNDLE' }],
  ['a misspelt data-consent-sources', { script: 'data-consent-sources="banner cmp"', code: 'BAD_REQUEST', says: 'options.consent.sources[1] is "cmp"' }],
]) {
  test(`when the engine cannot run (${name}) the page keeps working and every slot keeps its fallback`, async (t) => {
    const code = setup.code || 'WASM_LOAD';
    const { origin, browser } = await site(t, { 'p.html': shopPage({ script: setup.script || '', bundle: setup.bundle }) }, { headers: { 'Content-Security-Policy': STRICT_CSP } });
    const { page, seen } = await watchedPage(browser.context);
    if (setup.route) await page.route(/\/emma\/emma(\.[0-9a-f]{12})?\.wasm$/, (r) => r.abort('blockedbyclient'));
    if (setup.init) await page.addInitScript(setup.init);
    await page.goto(`${origin}/t/p.html`);
    assert.equal(await emmaSettled(page), 'unavailable');
    for (const id of ['similar', 'plain', 'unknown']) assert.equal(await page.innerHTML(`#${id}`), FALLBACK, `#${id} kept the shop's content`);
    assert.equal(await page.$('[data-emma-ui="banner"]'), null, 'no banner without an engine');
    await page.waitForFunction(() => window.queued.length === 2);
    assert.deepEqual((await page.evaluate(() => window.queued)).sort(), [`error:${code}`, `ready-error:${code}`]);
    await page.click('#own');
    assert.equal(await page.textContent('#own'), 'the shop still works');
    await page.click('#privacy');
    await page.waitForSelector('dialog.emma-centre[open]');
    assert.match(await page.textContent('dialog.emma-centre'), /not available on this page/);
    assert.ok(seen.warnings.some((w) => w.includes(code) && w.includes(setup.says || '')), seen.warnings.join('\n'));
    assert.deepEqual(await storedAnything(page), { indexedDB: [], localStorage: [], sessionStorage: [], cookie: '', cookies: [] });
    assert.deepEqual(seen.errors, []);
  });
}

for (const engine of ENGINES) {
  for (const [name, script, csp] of [
    ['a 404', 'data-wasm="/nowhere/emma.wasm"', REPORTED_CSP],
    ["a CSP without 'wasm-unsafe-eval'", '', "default-src 'self'; script-src 'self'; style-src 'self'"],
  ]) {
    test(`${engine}: when the engine cannot run (${name}) the page keeps working and every slot keeps its fallback`, async (t) => {
      const { origin, server, page } = await siteIn(t, engine, { 'p.html': shopPage({ script }) }, { headers: { 'Content-Security-Policy': csp } });
      await page.goto(`${origin}/t/p.html`);
      assert.equal(await emmaSettled(page), 'unavailable');
      for (const id of ['similar', 'plain', 'unknown']) assert.equal(await page.innerHTML(`#${id}`), FALLBACK, `#${id} kept the shop's content`);
      assert.equal(await page.exists('[data-emma-ui="banner"]'), false, 'no banner without an engine');
      await page.waitFor(() => window.queued.length === 2);
      assert.deepEqual((await page.evaluate(() => window.queued)).sort(), ['error:WASM_LOAD', 'ready-error:WASM_LOAD']);
      await page.click('#own');
      assert.equal(await page.textContent('#own'), 'the shop still works');
      await page.click('#privacy');
      await page.waitForSelector('dialog.emma-centre[open]');
      assert.match(await page.textContent('dialog.emma-centre'), /not available on this page/);
      assert.deepEqual(await storedIn(page, server), NOTHING_STORED);
      // Firefox reports the CSP's refusal of WebAssembly as an error of the page; nothing else.
      assert.deepEqual(page.seen.errors.filter((e) => !/Content-Security-Policy/.test(e)), []);
    });
  }
}

for (const engine of ENGINES) test(`${engine}: keyboard only: the German banner, consent, focus, and the privacy centre`, async (t) => {
  const { origin, page } = await siteIn(t, engine, { 'p.html': shopPage({ lang: 'de', script: 'data-lang="de"' }) }, { headers: { 'Content-Security-Policy': STRICT_CSP } });
  await page.goto(`${origin}/t/p.html`);
  assert.equal(await emmaSettled(page), 'ready');
  const active = () => page.active();
  const banner = '[data-emma-ui="banner"]';
  assert.equal(await page.getAttribute(banner, 'role'), 'region');
  assert.equal(await page.getAttribute(banner, 'aria-label'), 'Einwilligung zur Personalisierung');
  assert.match(await page.textContent(banner), /Darf sich dieser Shop merken/);
  const reasons = await page.$$eval('#similar em', (els) => els.map((e) => e.textContent));
  assert.ok(reasons.length > 0 && reasons.every((r) => r && !/Often bought|Similar to|Popular in|Trending now|From this shop/.test(r)), `German reasons: ${reasons.join(' | ')}`);

  await page.press('Tab');
  assert.deepEqual(await active().then((a) => [a.choice, a.text]), ['yes', 'Ja, personalisieren'], 'the first Tab reaches the banner');
  await page.press('Tab');
  assert.equal((await active()).choice, 'no');
  await page.press('Tab');
  assert.equal((await active()).choice, 'more');
  await page.press('Shift+Tab');
  await page.press('Shift+Tab');
  assert.equal((await active()).choice, 'yes');
  await page.press('Enter');
  await page.waitForSelector('[data-emma-ui="banner"]', { state: 'detached' });
  assert.equal((await active()).id, 'first', 'focus moves on to the page, not to <body>');
  await page.waitForFunction(() => document.querySelector('[role="status"]')?.textContent === 'Personalisierung ist eingeschaltet.');
  const records = await emmaCall(page, 'consent.records');
  assert.deepEqual(records.map((r) => [r.purpose, r.granted, r.source, r.lang, r.version]), [['personalization', true, 'banner', 'de', 'emma-banner-2026-11']]);
  assert.match(records[0].text_hash, /^[0-9a-f]{64}$/);

  // Tab to the privacy link, open it with Enter; focus stays in the dialog; Escape returns it.
  for (let i = 0; i < 10 && (await active()).id !== 'privacy'; i++) await page.press('Tab');
  assert.equal((await active()).id, 'privacy');
  await page.press('Enter');
  await page.waitForSelector('dialog.emma-centre[open]');
  assert.deepEqual(await active().then((a) => [a.label, a.inDialog]), ['Schließen', true]);
  assert.equal(await page.getAttribute('dialog.emma-centre', 'aria-labelledby'), 'emma-centre-title');
  for (let i = 0; i < 6; i++) {
    await page.press('Tab');
    const a = await active();
    assert.ok(a.inDialog || a.tag === 'body', `focus left the dialog: ${JSON.stringify(a)}`);
  }
  // Objection (Art. 21) by keyboard: profiling pauses without a reload.
  await page.focus('#emma-object');
  await page.evaluate(() => { document.querySelector('#emma-object').dataset.before = ''; });
  await page.press('Space');
  await page.waitForFunction(async () => (await new Promise((r) => window.emma('profile.export', (e, x) => r(x)))).objected === true);
  // The centre redraws itself after the change and keeps focus inside; Escape before that
  // would reach a removed checkbox (WebKit then does not close the dialog). The checkbox
  // pressed is marked: the redrawn one is a new element.
  await page.waitFor(() => {
    const box = document.querySelector('#emma-object');
    return document.activeElement.closest('dialog') && box.checked && !('before' in box.dataset);
  }, null, { what: 'focus in the redrawn centre' });
  await page.press('Escape');
  await page.waitForSelector('dialog.emma-centre', { state: 'hidden' });
  // The dialog's close event (which returns focus) may come a task after it is hidden (WebKit).
  await page.waitFor(() => document.activeElement.id === 'privacy', null, { what: 'focus to return to the opener' });
});

test('Consent Mode v2: a personalization_storage update grants; the banner leaves', async (t) => {
  const gtag = `window.dataLayer = window.dataLayer || []; function gtag(){ dataLayer.push(arguments); }
gtag('consent', 'default', { personalization_storage: 'denied', ad_storage: 'denied' });`;
  const { origin, browser } = await site(t, { 'p.html': shopPage({ head: '<script src="/t/gtag.js"></script>\n' }), 'gtag.js': gtag }, { headers: { 'Content-Security-Policy': STRICT_CSP } });
  const { page } = await watchedPage(browser.context);
  await page.goto(`${origin}/t/p.html`);
  assert.equal(await emmaSettled(page), 'ready');
  assert.equal((await emmaCall(page, 'consent.state')).personalization.granted, false, "a 'default' is not the shopper's choice");
  await page.evaluate(() => window.gtag('consent', 'update', { personalization_storage: 'granted' }));
  await page.waitForSelector('[data-emma-ui="banner"]', { state: 'detached' });
  const state = await emmaCall(page, 'consent.state');
  assert.deepEqual([state.personalization.granted, state.personalization.source], [true, 'consent-mode']);
  await page.evaluate(() => window.gtag('consent', 'update', { personalization_storage: 'denied' }));
  await page.waitForFunction(() => new Promise((r) => window.emma('consent.state', (e, s) => r(!s.personalization.granted))));
  assert.deepEqual((await storedAnything(page)).indexedDB, []);
});

test('Global Privacy Control withdraws sharing purposes but leaves personalisation', async (t) => {
  const { origin, browser } = await site(t, { 'p.html': shopPage() }, { headers: { 'Content-Security-Policy': STRICT_CSP } });
  const { page } = await watchedPage(browser.context);
  await page.goto(`${origin}/t/p.html`);
  assert.equal(await emmaSettled(page), 'ready');
  await emmaCall(page, 'consent.grant', 'personalization', { version: 'v1', text: 'Personalise.', source: 'banner' });
  await emmaCall(page, 'consent.grant', 'insights', { version: 'v1', text: 'Share noised statistics.', source: 'banner' });
  await page.close();

  const { page: gpcPage } = await watchedPage(browser.context);
  await gpcPage.addInitScript(() => Object.defineProperty(Navigator.prototype, 'globalPrivacyControl', { get: () => true }));
  await gpcPage.goto(`${origin}/t/p.html`);
  assert.equal(await emmaSettled(gpcPage), 'ready');
  await gpcPage.waitForFunction(() => new Promise((r) => window.emma('consent.state', (e, s) => r(s.insights.source === 'gpc'))));
  const state = await emmaCall(gpcPage, 'consent.state');
  assert.deepEqual([state.personalization.granted, state.insights.granted, state.insights.source], [true, false, 'gpc']);
});
