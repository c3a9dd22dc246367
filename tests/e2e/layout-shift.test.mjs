// Emma fills the demo's slots without moving the page: a new visitor's home, product and
// category pages, at a desktop's and a phone's viewport, in each engine, score a cumulative
// layout shift of at most 0.02 (Google's "good" ends at 0.1; issue 19 measured 0.05–0.115
// on product pages before the slots held their space). The score is demo/public/vitals.js's:
// the Layout Instability API's in Chromium, computed from element positions frame by frame
// in Firefox and WebKit, which have no layout-shift entries (in Chromium both are checked).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { ENGINES, launchEngine, serverAndEngine } from './drivers/index.mjs';

const catalog = JSON.parse(await readFile(new URL('../../demo/catalog.json', import.meta.url), 'utf8'));
const VIEWPORTS = { desktop: [1280, 800], phone: [375, 667] };
const MAX_CLS = 0.02;
const slug = (c) => c.toLowerCase().replace(/&/g, 'and').replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '');
const bag = catalog.items.find((i) => i.category === 'Bags');
const PAGES = { home: '/', product: `/product/${bag.id}`, category: `/category/${slug(bag.category)}` };

// Loads `where` and returns the page's vitals once vitals.js has stopped measuring.
export async function vitalsOf(page, url) {
  await page.goto(url);
  await page.waitFor(() => window.demoVitals && window.demoVitals.done, null, { timeout: 30000, what: `demoVitals.done on ${url}` });
  return page.evaluate(() => ({ ...window.demoVitals, emma: document.documentElement.dataset.emma,
    slots: [...document.querySelectorAll('[data-emma-slot]')].map((s) => `${s.dataset.emmaSlot}:${s.dataset.emmaState}`) }));
}

for (const engine of ENGINES) {
  test(`${engine}: filling the slots does not move the page (CLS <= ${MAX_CLS} on home, product, category; desktop and phone)`, async (t) => {
    const { server, browser: first } = await serverAndEngine(t, engine);
    const seen = [];
    for (const [name, [width, height]] of Object.entries(VIEWPORTS)) {
      // A new visitor each time: a fresh profile, nothing cached.
      let browser = first;
      if (name !== 'desktop') {
        browser = await launchEngine(engine);
        t.after(() => browser.close());
      }
      const page = await browser.newPage();
      await page.setViewport(width, height);
      for (const [what, where] of Object.entries(PAGES)) {
        const v = await vitalsOf(page, server.origin + where);
        seen.push({ name, what, cls: v.cls, clsGeometry: v.clsGeometry, method: v.clsMethod, slots: v.slots });
        assert.equal(v.emma, 'ready', `${name} ${what}: Emma ran`);
        if (what !== 'category') assert.ok(v.slots.some((s) => s.endsWith(':filled')), `${name} ${what}: a slot was filled (${v.slots})`);
        assert.equal(v.clsMethod, engine === 'chromium' ? 'layout-shift' : 'geometry');
        assert.ok(v.cls <= MAX_CLS, `${engine} ${name} ${what}: CLS ${v.cls.toFixed(4)} > ${MAX_CLS} (${v.clsMethod}; slots ${v.slots})`);
        assert.ok(v.clsGeometry <= MAX_CLS, `${engine} ${name} ${what}: computed CLS ${v.clsGeometry.toFixed(4)} > ${MAX_CLS} (slots ${v.slots})`);
      }
    }
    t.diagnostic(JSON.stringify(seen));
  });
}

// The embed's own part, on any shop page: an answer with fewer items than the fallback showed
// keeps the room the fallback took (data-emma-hold and a rule in the embed's constructed
// stylesheet; the fallback's paragraphs' margins count), under a strict CSP that refuses
// inline styles: what follows does not move.
const CSP = "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; style-src 'self'";
const HOLD_PAGE = `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Hold</title>
<script src="/t/watch.js"></script>
<script src="/emma/emma.js" data-bundle="/emma/shop.bundle" data-shop="hold-test" data-consent-sources="gpc" async></script>
</head><body>
<div id="slot" data-emma-slot="trending" data-emma-limit="1">${'<p>Our bestseller</p>'.repeat(8)}</div>
<p id="below">What the shop shows below the slot</p>
</body></html>
`;
const WATCH = `document.addEventListener('DOMContentLoaded', function () {
  window.before = { below: document.getElementById('below').getBoundingClientRect().top, slot: document.getElementById('slot').getBoundingClientRect().height };
});
`;

for (const engine of ENGINES) {
  test(`${engine}: a slot answered with fewer items than its fallback keeps the fallback's height (strict CSP)`, async (t) => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'emma-hold-'));
    t.after(() => rm(dir, { recursive: true, force: true }));
    await writeFile(path.join(dir, 'hold.html'), HOLD_PAGE);
    await writeFile(path.join(dir, 'watch.js'), WATCH);
    const { server, browser } = await serverAndEngine(t, engine, { mounts: [['/t/', dir]], headers: { 'Content-Security-Policy': CSP } });
    const page = await browser.newPage();
    await page.goto(`${server.origin}/t/hold.html`);
    await page.waitFor(() => document.documentElement.dataset.emma, null, { what: 'Emma to start' });
    const r = await page.evaluate(() => {
      const slot = document.getElementById('slot');
      return { state: slot.dataset.emmaState, items: slot.querySelectorAll('li').length, hold: slot.dataset.emmaHold || null, before: window.before,
        below: document.getElementById('below').getBoundingClientRect().top, slot: slot.getBoundingClientRect().height };
    });
    assert.equal(r.state, 'filled');
    assert.equal(r.items, 1);
    assert.ok(r.before.slot > 100, `the fallback is taller than one item: ${r.before.slot}`);
    assert.ok(Number(r.hold) >= r.before.slot - 1 && Math.abs(r.slot - Number(r.hold)) < 1, `held at ${r.hold} px (the fallback had ${r.before.slot}, the slot has ${r.slot})`);
    assert.ok(Math.abs(r.below - r.before.below) < 1, `what follows stayed: ${r.before.below} -> ${r.below}`);
    assert.deepEqual(page.seen.errors, []);
  });
}
