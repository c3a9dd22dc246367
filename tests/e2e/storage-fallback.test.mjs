// When storage fails: a full quota (Chromium's own quota, lowered through the DevTools
// protocol), IndexedDB missing, IndexedDB throwing (as in some private modes), and
// localStorage blocked as well. Each time: a clear `storage` event and error code, the page
// keeps working with Emma in memory (or localStorage, in its weaker key mode), and a profile
// already stored is never destroyed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { GRANT, HIDE, allStorage, openPage, setup } from './storage-helpers.mjs';

async function use(page) {
  return page.evaluate(async (grant) => {
    const emma = window.emma;
    await emma.consent.grant('personalization', grant);
    const tracked = [];
    for (const item of ['85123A', '22423', '85099B']) tracked.push(await emma.track({ type: 'view', item }));
    const recs = await emma.recommend({ limit: 4 });
    return { tracked, personalized: recs.personalized, items: recs.items.length, info: await emma.storage.info(), events: (await emma.profile.export()).event_count };
  }, GRANT);
}

test('a full quota: STORAGE_QUOTA, Emma goes on in memory, the stored profile survives, erase() still clears it', async (t) => {
  const { server, browser } = await setup(t);
  let context = browser.context;
  const page0 = await openPage(context, server.origin);
  const before = await use(page0);
  assert.ok(before.tracked.every((r) => r.stored), JSON.stringify(before.tracked));

  // Chromium's own quota for this origin, lowered to 1 byte through the DevTools protocol
  // (what a full disk or a strict private mode does). The browser reads an origin's quota
  // when it opens the origin's IndexedDB, so the browser is restarted on the same profile
  // and the quota lowered before the page loads.
  context = await browser.restart();
  const page = await context.newPage();
  const cdp = await context.newCDPSession(page);
  await cdp.send('Storage.overrideQuotaForOrigin', { origin: server.origin, quotaSize: 1 });
  await page.goto(`${server.origin}/test/storage.html?start=1`);
  await page.evaluate(() => window.emmaReady);
  const during = await page.evaluate(async () => {
    const restored = (await window.emma.profile.export()).event_count;
    const r = await window.emma.track({ type: 'view', item: '47566' });
    const r2 = await window.emma.track({ type: 'view', item: '20725' });
    return {
      restored, r, r2, storage: window.seen.storage.filter((e) => e.ok === false), errors: window.seen.error.map((e) => e.code),
      info: await window.emma.storage.info(), events: (await window.emma.profile.export()).event_count,
      recs: await window.emma.recommend({ limit: 4 }),
    };
  });
  assert.equal(during.restored, 3, 'reading works under the quota');
  assert.deepEqual(during.r, { recorded: true, stored: false });
  assert.deepEqual(during.r2, { recorded: true, stored: false });
  assert.deepEqual(during.storage.map((e) => [e.code, e.fallback]), [['STORAGE_QUOTA', 'memory']], JSON.stringify(during.storage));
  assert.match(during.storage[0].message, /IndexedDB is full/);
  assert.deepEqual(during.errors, ['STORAGE_QUOTA']);
  assert.equal(during.info.kind, 'memory');
  assert.equal(during.events, 5, 'the page keeps every event in memory');
  assert.equal(during.recs.personalized, true);

  // The stored profile is the one from before the quota ran out: not destroyed, not torn.
  const other = await openPage(context, server.origin);
  const restored = await other.evaluate(async () => ({ events: (await window.emma.profile.export()).event_count, errors: window.seen.error }));
  assert.deepEqual(restored, { events: 3, errors: [] });
  await other.close();

  // Erasing from the page that fell back still removes the database.
  await page.evaluate(() => window.emma.erase());
  assert.deepEqual((await allStorage(page)).indexedDB, []);
});

test('a full quota before the first write: STORAGE_QUOTA, nothing half-written', async (t) => {
  const { server, context } = await setup(t);
  const page = await context.newPage();
  const cdp = await context.newCDPSession(page);
  await cdp.send('Storage.overrideQuotaForOrigin', { origin: server.origin, quotaSize: 1 });
  await page.goto(`${server.origin}/test/storage.html?start=1`);
  await page.evaluate(() => window.emmaReady);
  const r = await use(page);
  assert.equal(r.tracked.some((x) => x.stored), false);
  assert.equal(r.personalized, true);
  assert.equal(r.events, 3);
  assert.deepEqual(await page.evaluate(() => window.seen.error.map((e) => e.code)), ['STORAGE_QUOTA']);
  // At most an empty database is left (the browser creates it before refusing the write); no record.
  const text = await page.evaluate(async () => (await indexedDB.databases()).map((d) => d.name));
  if (text.length) {
    const keys = await page.evaluate(() => new Promise((res) => {
      const o = indexedDB.open('tante-emma:storage-test-shop');
      o.onsuccess = () => {
        const q = o.result.transaction('records').objectStore('records').getAllKeys();
        q.onsuccess = () => { o.result.close(); res(q.result); };
      };
    }));
    assert.deepEqual(keys, []);
  }
  await page.evaluate(() => window.emma.erase());
  assert.deepEqual((await allStorage(page)).indexedDB, []);
});

for (const how of ['missing', 'throwing']) {
  test(`IndexedDB ${how}: STORAGE_UNAVAILABLE, Emma falls back to localStorage and says the key is kept unwrapped`, async (t) => {
    const { server, context } = await setup(t);
    await context.addInitScript(HIDE);
    const page = await openPage(context, server.origin, `start=1&hide=idb&how=${how}`);
    const start = await page.evaluate(() => ({ storage: window.seen.storage, errors: window.seen.error.map((e) => e.code) }));
    assert.equal(start.storage[0].code, 'STORAGE_UNAVAILABLE');
    assert.equal(start.storage[0].fallback, 'localstorage');
    assert.match(start.storage[0].message, /IndexedDB/);
    assert.equal(start.storage[1].ok, true);
    assert.equal(start.storage[1].keyProtection, 'raw');
    assert.match(start.storage[1].message, /unwrapped/);
    assert.deepEqual(start.errors, ['STORAGE_UNAVAILABLE']);
    // Nothing written before consent, even in the fallback.
    assert.deepEqual(await page.evaluate(() => Object.keys(localStorage)), []);
    const r = await use(page);
    assert.ok(r.tracked.every((x) => x.stored && x.recorded), JSON.stringify(r.tracked));
    assert.equal(r.info.kind, 'localstorage');
    assert.equal(r.info.keyProtection, 'raw');
    assert.deepEqual(await page.evaluate(() => Object.keys(localStorage)), ['tante-emma:storage-test-shop']);
    await page.reload();
    await page.evaluate(() => window.emmaReady);
    const again = await page.evaluate(async () => ({ events: (await window.emma.profile.export()).event_count, kind: (await window.emma.storage.info()).kind }));
    assert.deepEqual(again, { events: 3, kind: 'localstorage' });
    // A later page that has IndexedDB again keeps using the profile where it is, rather than
    // hiding it behind an empty database.
    const withIdb = await openPage(context, server.origin, 'start=1');
    assert.deepEqual(await withIdb.evaluate(async () => ({
      events: (await window.emma.profile.export()).event_count, kind: (await window.emma.storage.info()).kind, errors: window.seen.error,
    })), { events: 3, kind: 'localstorage', errors: [] });
    await withIdb.close();
    await page.evaluate(() => window.emma.erase());
    assert.deepEqual(await page.evaluate(() => Object.keys(localStorage)), []);
  });
}

test('IndexedDB and localStorage both unusable: Emma works in memory for the page and writes nothing', async (t) => {
  const { server, context } = await setup(t);
  await context.addInitScript(HIDE);
  const page = await openPage(context, server.origin, 'start=1&hide=idb,ls&how=throwing');
  const start = await page.evaluate(() => window.seen.storage.map((e) => [e.code, e.fallback]));
  assert.deepEqual(start, [['STORAGE_UNAVAILABLE', 'localstorage'], ['STORAGE_UNAVAILABLE', 'memory']]);
  const r = await use(page);
  assert.deepEqual(r.tracked, [{ recorded: true, stored: false }, { recorded: true, stored: false }, { recorded: true, stored: false }]);
  assert.equal(r.personalized, true);
  assert.equal(r.events, 3);
  assert.deepEqual(r.info, { kind: 'memory', persistent: false, keyProtection: 'memory', crossTab: 'none', persisted: false });
});

test('IndexedDB that lists but refuses to open: the first write fails with STORAGE_UNAVAILABLE, Emma goes on in memory', async (t) => {
  const { server, context } = await setup(t);
  await context.addInitScript(() => {
    const real = window.indexedDB;
    const fake = {
      databases: () => real.databases(),
      cmp: (a, b) => real.cmp(a, b),
      deleteDatabase: (n) => real.deleteDatabase(n),
      open: () => {
        const req = { result: undefined, error: new DOMException('A mutation operation was attempted on a database that did not allow mutations.', 'InvalidStateError') };
        setTimeout(() => req.onerror && req.onerror({ target: req }), 0);
        return req;
      },
    };
    Object.defineProperty(window, 'indexedDB', { get: () => fake, configurable: true });
  });
  const page = await openPage(context, server.origin);
  assert.deepEqual(await page.evaluate(() => window.seen.storage), []);
  const r = await use(page);
  assert.equal(r.tracked.some((x) => x.stored), false);
  assert.equal(r.info.kind, 'memory');
  assert.equal(r.events, 3);
  const seen = await page.evaluate(() => ({ storage: window.seen.storage.filter((e) => !e.ok), errors: window.seen.error.map((e) => e.code) }));
  assert.deepEqual(seen.storage.map((e) => [e.code, e.fallback]), [['STORAGE_UNAVAILABLE', 'memory']]);
  assert.deepEqual(seen.errors, ['STORAGE_UNAVAILABLE']);
});
