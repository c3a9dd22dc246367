// The demo shop in each engine at a desktop's and a phone's viewport: screenshots of the
// home page with the consent banner, the home and product pages after consent and the privacy
// centre, saved as tests/e2e/artifacts/<engine>-<viewport>-<page>.png. The banner must leave
// most of a phone's screen usable (at most half the viewport's height), and Tab must reach
// every control of the banner and of the privacy centre.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { ENGINES, launchEngine, serverAndEngine } from './drivers/index.mjs';
import { emmaSettled } from './embed-kit.mjs';

const catalog = JSON.parse(await readFile(new URL('../../demo/catalog.json', import.meta.url), 'utf8'));
const VIEWPORTS = { desktop: [1280, 800], phone: [375, 667] };

// Presses Tab until focus has been on every control inside `scope` (or gives up after
// twice their number of presses); returns the controls never reached.
async function unreachedByTab(page, scope) {
  const total = await page.evaluate((scope) => {
    const els = document.querySelectorAll(`${scope} :is(a[href], button, input, select, textarea)`);
    els.forEach((el, i) => { el.dataset.tabCheck = String(i); });
    // The control that has focus already (the centre's close button) counts as reached.
    window.__reached = new Set([document.activeElement && document.activeElement.dataset.tabCheck].filter(Boolean));
    document.addEventListener('focusin', (e) => { if (e.target.dataset && e.target.dataset.tabCheck) window.__reached.add(e.target.dataset.tabCheck); });
    return els.length;
  }, scope);
  assert.ok(total > 0, `${scope} has controls`);
  for (let i = 0; i < 2 * total + 4; i++) {
    await page.press('Tab');
    if (await page.evaluate((n) => window.__reached.size === n, total)) return [];
  }
  return page.evaluate((scope) => [...document.querySelectorAll(`${scope} [data-tab-check]`)]
    .filter((el) => !window.__reached.has(el.dataset.tabCheck)).map((el) => el.outerHTML.slice(0, 120)), scope);
}

for (const engine of ENGINES) {
  test(`${engine}: screenshots at desktop and phone size; the banner leaves the screen usable; Tab reaches every control`, async (t) => {
    const { server, browser: first } = await serverAndEngine(t, engine);
    const product = catalog.items.find((i) => i.category === 'Bags').id;
    for (const [name, [width, height]] of Object.entries(VIEWPORTS)) {
      // Each viewport starts without consent: a fresh profile.
      let browser = first;
      if (name !== 'desktop') {
        browser = await launchEngine(engine);
        t.after(() => browser.close());
      }
      const page = await browser.newPage();
      await page.setViewport(width, height);
      assert.deepEqual(await page.viewport(), { width, height });
      const shot = (what) => page.screenshot(`${engine}-${name}-${what}.png`);
      const visit = async (where) => {
        await page.goto(server.origin + where);
        assert.equal(await emmaSettled(page), 'ready');
      };

      await visit('/');
      await page.waitForSelector('[data-emma-ui="banner"]');
      await shot('banner');
      const box = await page.$eval('[data-emma-ui="banner"]', (b) => {
        const r = b.getBoundingClientRect();
        return { top: r.top, height: r.height, width: r.width, scrollWidth: document.documentElement.scrollWidth };
      });
      assert.ok(box.height <= height / 2, `${name}: the banner is ${box.height} px high in a ${height} px viewport`);
      assert.ok(box.top + box.height <= height + 1 && box.width <= width, `${name}: the banner fits the viewport: ${JSON.stringify(box)}`);
      assert.ok(box.scrollWidth <= width, `${name}: the page scrolls sideways (${box.scrollWidth} px wide)`);
      assert.deepEqual(await unreachedByTab(page, '[data-emma-ui="banner"]'), [], `${name}: Tab reaches every banner control`);

      await page.click('[data-emma-choice="yes"]');
      await page.waitForSelector('[data-emma-ui="banner"]', { state: 'detached' });
      await visit(`/product/${product}`);
      await shot('product');
      await visit('/');
      await shot('home');

      await page.click('header [data-emma-privacy]');
      await page.waitForSelector('dialog.emma-centre[open] #emma-pass');
      await shot('privacy-centre');
      const dialog = await page.$eval('dialog.emma-centre', (d) => ({ width: d.getBoundingClientRect().width, right: d.getBoundingClientRect().right }));
      assert.ok(dialog.right <= width, `${name}: the privacy centre fits the viewport: ${JSON.stringify(dialog)}`);
      assert.deepEqual(await unreachedByTab(page, 'dialog.emma-centre'), [], `${name}: Tab reaches every privacy-centre control`);
      await page.close();
    }
  });
}
