// What is written, proven by looking at every kind of browser storage: before consent
// nothing at all (not an empty database, not a key); after consent no plaintext item id,
// title, category, search or purpose name; after erase() and after withdrawal nothing left.
// Run for IndexedDB (the default) and for the localStorage fallback, in each engine.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ENGINES } from './drivers/index.mjs';
import { GRANT, HIDE, NOTHING, allStorage, assertNoPlaintext, catalog, holdsWord, openEnginePage, secrets, setupEngine, storageText } from './storage-helpers.mjs';

const QUERY = 'retrospot lunchbag';

async function everyCallWithoutConsent(page) {
  await page.evaluate(async (query) => {
    const emma = window.emma;
    await emma.track({ type: 'view', item: '85123A' });
    await emma.track({ type: 'add_to_cart', item: '22423', quantity: 2 });
    await emma.track({ type: 'search', query });
    await emma.track({ type: 'category_view', category: 'Bags' });
    await emma.recommend({ scenario: 'for_you', limit: 4 });
    await emma.consent.state();
    await emma.consent.records();
    await emma.profile.export();
    await emma.profile.object(true);
    await emma.profile.object(false);
    await emma.storage.info();
    await emma.storage.setAside();
    await emma.consent.grant('insights', { version: '1', text: 'Noised statistics' }).catch(() => {});
    await emma.consent.withdraw('insights').catch(() => {});
  }, QUERY);
}

async function personalize(page) {
  const items = catalog.items.slice(0, 12).map((i) => i.id);
  await page.evaluate(async ({ grant, items, query }) => {
    const emma = window.emma;
    await emma.consent.grant('personalization', grant);
    for (const item of items) await emma.track({ type: 'view', item });
    await emma.track({ type: 'purchase', item: items[0], quantity: 3 });
    await emma.track({ type: 'search', query });
    await emma.track({ type: 'category_view', category: 'Bags' });
  }, { grant: GRANT, items, query: QUERY });
}

test('the plaintext search finds a leaked id and title, not an id inside a longer number', () => {
  assert.equal(holdsWord('{"item":"22652","at":1796422652123}', '22652'), true);
  assert.equal(holdsWord('x\u0001\u009f22652\u00ffy', '22652'), true, 'between ciphertext bytes');
  assert.equal(holdsWord('created=1796422652123 id=k1', '22652'), false);
  assert.equal(holdsWord('title=JUMBO BAG RED RETROSPOT', 'JUMBO BAG RED RETROSPOT'), true);
  assert.throws(() => assertNoPlaintext(`${'.'.repeat(200)}"85123A"`, ['85123A'], 'self-check'), /"85123A" appears in plaintext/);
});

for (const engine of ENGINES) for (const [mode, query] of [
  ['indexeddb', 'start=1'],
  ['localstorage fallback (IndexedDB missing)', 'start=1&hide=idb'],
]) {
  test(`${engine}: storage, all of it: nothing before consent, no plaintext after, nothing after erase or withdrawal (${mode})`, async (t) => {
    const hiding = query.includes('hide=');
    const { server, browser } = await setupEngine(t, engine);
    if (hiding && !browser.can.initScripts) return t.skip(`${engine}: the driver has no init scripts to hide IndexedDB with`);
    const page = await openEnginePage(browser, server.origin, query, { init: hiding ? HIDE : undefined });
    const allStorageNow = () => allStorage(page, { browser, server });
    assert.deepEqual(await allStorageNow(), NOTHING, 'a fresh browser profile');

    await everyCallWithoutConsent(page);
    assert.deepEqual(await allStorageNow(), NOTHING, 'before consent: every API call, nothing in any storage');
    await page.reload();
    await page.waitFor(() => window.emmaReady && window.emmaReady.then(() => true));
    assert.deepEqual(await allStorageNow(), NOTHING, 'before consent: a reload (restore) writes nothing');

    await personalize(page);
    const held = await allStorageNow();
    const isIdb = mode === 'indexeddb';
    assert.deepEqual(held, { ...NOTHING, ...(isIdb ? { indexedDB: ['tante-emma:storage-test-shop'] } : { localStorage: ['tante-emma:storage-test-shop'] }) });
    const text = await storageText(page, { browser });
    assertNoPlaintext(text, secrets([QUERY, 'retrospot', GRANT.text]), `after consent (${mode})`);
    assert.ok((await page.evaluate(async () => (await window.emma.profile.export()).event_count)) >= 15, 'the profile did record the events');

    await page.evaluate(() => window.emma.erase());
    assert.deepEqual(await allStorageNow(), NOTHING, 'after erase()');
    await page.reload();
    await page.waitFor(() => window.emmaReady && window.emmaReady.then(() => true));
    assert.deepEqual(await allStorageNow(), NOTHING, 'after erase() and a reload');
    assert.equal(await page.evaluate(async () => (await window.emma.profile.export()).event_count), 0);

    await personalize(page);
    assert.notDeepEqual(await allStorageNow(), NOTHING);
    await page.evaluate(() => window.emma.consent.withdraw('personalization'));
    assert.deepEqual(await allStorageNow(), NOTHING, 'after withdrawal');
    await page.reload();
    await page.waitFor(() => window.emmaReady && window.emmaReady.then(() => true));
    assert.deepEqual(await allStorageNow(), NOTHING, 'after withdrawal and a reload');
    assert.deepEqual(await page.evaluate(() => window.seen.error.filter((e) => e.code !== 'STORAGE_UNAVAILABLE')), []);
  });
}
