// Sync in Chromium: what leaves the page (every request body captured and checked), GPC,
// and a restore into a second browser context that reproduces the recommendations.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launch, startServer } from './harness.mjs';

const PASS = 'Tante Emma kennt mich';
let server;

before(async () => {
  server = await startServer();
});
after(() => server.close());

// Every request the context makes, with its body.
function capture(context) {
  const seen = [];
  context.on('request', (req) => {
    seen.push({ method: req.method(), url: new URL(req.url()), body: req.postDataBuffer() });
  });
  return seen;
}

async function openPage(context, { gpc = false } = {}) {
  if (gpc) await context.addInitScript(() => Object.defineProperty(Navigator.prototype, 'globalPrivacyControl', { get: () => true }));
  const page = await context.newPage();
  await page.goto(`${server.origin}/test/sync.html`);
  await page.evaluate(() => window.emmaReady);
  return page;
}

const GRANT = { version: '2026-11', text: 'Personalize my shop.', source: 'banner' };
const SYNC = { version: '2026-11', text: 'Keep my profile in step on my devices.', source: 'banner' };

async function shopAround(page) {
  return page.evaluate(async ({ GRANT }) => {
    await window.emma.consent.grant('personalization', GRANT);
    const popular = (await window.emma.recommend({ scenario: 'trending', limit: 40 })).items;
    // Views in one category, so for_you clearly moves.
    const cat = popular[5].category;
    for (const it of popular.filter((i) => i.category === cat).slice(0, 4)) await window.emma.track({ type: 'view', item: it.id });
    return (await window.emma.recommend({ scenario: 'for_you', limit: 8 })).items.map((i) => i.id);
  }, { GRANT });
}

const syncRequests = (seen) => seen.filter((r) => r.url.pathname.startsWith('/emma/sync/'));

test('without the sync purpose, or with GPC on, nothing is sent', async () => {
  for (const gpc of [false, true]) {
    const browser = await launch();
    try {
      const seen = capture(browser.context);
      const page = await openPage(browser.context, { gpc });
      await shopAround(page);
      const outcome = await page.evaluate(async ({ PASS, SYNC, gpc }) => {
        const out = {};
        if (gpc) out.grant = await window.emma.consent.grant('sync', SYNC).then(() => 'granted', (e) => e.code);
        out.enable = await window.emma.sync.enable({ passphrase: PASS }).then(() => 'enabled', (e) => e.code);
        out.state = await window.emma.sync.state();
        return out;
      }, { PASS, SYNC, gpc });
      if (gpc) assert.equal(outcome.grant, 'NO_CONSENT', 'GPC: sync cannot be granted');
      assert.equal(outcome.enable, 'NO_CONSENT');
      assert.equal(outcome.state.allowed, false);
      assert.deepEqual(syncRequests(seen), []);
      // Nothing but same-origin GETs of static files left the page.
      for (const r of seen) {
        assert.equal(r.url.origin, server.origin, `${r.url}`);
        assert.equal(r.method, 'GET', `${r.method} ${r.url}`);
      }
    } finally {
      await browser.close();
    }
  }
});

test('with consent only sealed copies leave; a second browser restores the same recommendations', async () => {
  const first = await launch();
  const second = await launch();
  try {
    const seen = capture(first.context);
    const page = await openPage(first.context);
    const recs = await shopAround(page);
    const { syncId } = await page.evaluate(async ({ PASS, SYNC }) => {
      await window.emma.consent.grant('sync', SYNC);
      return window.emma.sync.enable({ passphrase: PASS });
    }, { PASS, SYNC });
    const { code } = await page.evaluate(() => window.emma.sync.pair());

    // Every request that carried a body: a PUT of a sealed copy to a random handle or slot.
    const titles = await page.evaluate(async () => (await window.emma.recommend({ scenario: 'for_you', limit: 8 })).items.map((i) => i.title));
    const sent = seen.filter((r) => r.body);
    assert.equal(sent.length, 2);
    for (const r of sent) {
      assert.equal(r.method, 'PUT');
      assert.match(r.url.pathname, /^\/emma\/sync\/(pair\/)?[0-9a-f]{32}$/);
      assert.equal(r.url.search, '');
      assert.equal(r.body.subarray(0, 4).toString('latin1'), 'EMBK');
      const text = r.body.toString('latin1');
      for (const needle of [...recs, ...titles.map((t) => t.slice(0, 10)), 'profile', 'items', PASS, 'sync-test-shop']) {
        assert.equal(text.includes(needle), false, `"${needle}" readable in a request body`);
      }
    }
    assert.equal(sent[0].url.pathname, `/emma/sync/${syncId}`);

    // Another browser (another device): joins with the pairing code.
    const other = await openPage(second.context);
    const restored = await other.evaluate(async ({ GRANT, SYNC, code }) => {
      await window.emma.consent.grant('personalization', GRANT);
      await window.emma.consent.grant('sync', SYNC);
      const joined = await window.emma.sync.join({ code });
      return { joined, recs: (await window.emma.recommend({ scenario: 'for_you', limit: 8 })).items.map((i) => i.id) };
    }, { GRANT, SYNC, code });
    assert.equal(restored.joined.syncId, syncId);
    assert.deepEqual(restored.recs, recs);
    // And it stays after a reload (stored in that browser's IndexedDB).
    await other.reload();
    await other.evaluate(() => window.emmaReady);
    assert.deepEqual(await other.evaluate(async () => (await window.emma.recommend({ scenario: 'for_you', limit: 8 })).items.map((i) => i.id)), recs);
    assert.deepEqual(await other.evaluate(() => window.emmaErrors), []);
    assert.deepEqual(await page.evaluate(() => window.emmaErrors), []);
  } finally {
    await first.close();
    await second.close();
  }
});
