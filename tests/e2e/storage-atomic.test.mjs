// Atomic writes in the browser, proven by failing each step of a write in turn and then
// checking what a fresh instance restores: the old profile or the new one, never a torn one
// and never TAMPERED. IndexedDB: a fault-injecting wrapper around the real IndexedDB
// (tests/e2e/pages/storage-faults.js) fails the transaction at every step; localStorage:
// the one setItem fails. Then the real thing: the page is closed while writes are under way.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { GRANT, openPage, setup } from './storage-helpers.mjs';

// In the page: an instance on a fault-injected adapter grants and tracks two views (stored),
// then the fault is armed for the next write; a fresh instance on the real storage reports
// what it restored. `first` arms the fault for the very first write (key and profile).
async function interruptedWrite(page, { adapter, plan, first = false }) {
  return page.evaluate(async ({ adapter, plan, first, grant }) => {
    const { IndexedDbStorage, LocalStorageStorage } = window.lib;
    const shop = `atomic-${Math.random().toString(36).slice(2)}`;
    const p = { ...plan, armed: false };
    const storage = adapter === 'indexeddb'
      ? await IndexedDbStorage.create(shop, { indexedDB: window.faults.faultyIndexedDB(p) })
      : await LocalStorageStorage.create(shop, { localStorage: window.faults.faultyLocalStorage(p) });
    window.seen.storage.length = 0;
    const emma = await window.startEmma({ shop, storage });
    if (first) p.armed = true;
    await emma.consent.grant('personalization', grant);
    await emma.track({ type: 'view', item: '85123A' });
    const second = await emma.track({ type: 'view', item: '22423' });
    p.armed = true;
    const third = first ? null : await emma.track({ type: 'view', item: '85099B' });
    const fellBack = window.seen.storage.filter((e) => e.ok === false).map((e) => `${e.code} -> ${e.fallback}`);
    const log = p.log;
    await emma.close();
    const errors = [];
    const fresh = await window.lib.createEmma({
      bundle: '/emma/shop.bundle', shop, storage: adapter, on: { error: (e) => errors.push(`${e.code}: ${e.message}`) },
    });
    const exported = await fresh.profile.export();
    const result = {
      second: second.stored, third: third && third.stored, fellBack, log, errors,
      events: exported.event_count, granted: exported.consent.state.personalization.granted,
    };
    await fresh.erase();
    await fresh.close();
    return result;
  }, { adapter, plan, first, grant: GRANT });
}

test('IndexedDB: a write failing at any step leaves the old profile, and a fresh instance restores it', async (t) => {
  const { server, context } = await setup(t);
  const page = await openPage(context, server.origin, 'start=0');
  // A profile write is one transaction with one put (the profile); the first write has two
  // (the key and the profile).
  const plans = [
    { at: 'transaction' },
    { at: 'put', n: 1 },
    { at: 'abort', n: 1 },
  ];
  for (const plan of plans) {
    const r = await interruptedWrite(page, { adapter: 'indexeddb', plan });
    const where = JSON.stringify(plan);
    assert.equal(r.second, true, where);
    assert.equal(r.third, false, `${where}: the failed write was reported as stored`);
    assert.ok(r.log.some((l) => l.startsWith('fault:')), `${where}: the fault never fired: ${r.log.join(', ')}`);
    assert.deepEqual(r.fellBack, ['STORAGE_FAILED -> memory'], where);
    assert.deepEqual(r.errors, [], where);
    assert.equal(r.events, 2, `${where}: a fresh instance restored ${r.events} events`);
  }
  const firstPlans = [
    { at: 'transaction' },
    { at: 'put', n: 1 },
    { at: 'put', n: 2 },
    { at: 'abort', n: 1 },
    { at: 'abort', n: 2 },
  ];
  for (const plan of firstPlans) {
    const r = await interruptedWrite(page, { adapter: 'indexeddb', plan, first: true });
    const where = `first write ${JSON.stringify(plan)}`;
    assert.ok(r.log.some((l) => l.startsWith('fault:')), `${where}: the fault never fired: ${r.log.join(', ')}`);
    assert.deepEqual(r.errors, [], `${where}: a key without its profile, or a profile without its key, was left`);
    assert.equal(r.events, 0, where);
    assert.equal(r.granted, false, where);
  }
  t.diagnostic(`${plans.length + firstPlans.length} fault points`);
});

test('localStorage: a refused setItem leaves the old profile, and a fresh instance restores it', async (t) => {
  const { server, context } = await setup(t);
  const page = await openPage(context, server.origin, 'start=0');
  for (const [error, code] of [['QuotaExceededError', 'STORAGE_QUOTA'], ['UnknownError', 'STORAGE_FAILED']]) {
    const r = await interruptedWrite(page, { adapter: 'localstorage', plan: { error } });
    assert.equal(r.third, false, error);
    assert.deepEqual(r.fellBack, [`${code} -> memory`], error);
    assert.deepEqual(r.errors, [], error);
    assert.equal(r.events, 2, error);
    const first = await interruptedWrite(page, { adapter: 'localstorage', plan: { error }, first: true });
    assert.deepEqual(first.errors, [], `first write, ${error}`);
    assert.equal(first.events, 0, `first write, ${error}`);
  }
  assert.deepEqual(await page.evaluate(() => Object.keys(localStorage)), []);
});

test('IndexedDB: closing the page in the middle of writes leaves the old or the new profile', async (t) => {
  const { server, context } = await setup(t);
  const counts = [];
  for (let round = 0; round < 6; round++) {
    const page = await openPage(context, server.origin);
    if (round === 0) await page.evaluate((grant) => window.emma.consent.grant('personalization', grant), GRANT);
    const before = await page.evaluate(async () => (await window.emma.profile.export()).event_count);
    // Track without waiting, then close the page after a varying delay: some writes have
    // committed, one may be in flight, the rest never start.
    await page.evaluate(() => {
      for (let i = 0; i < 40; i++) window.emma.track({ type: 'view', item: i % 2 ? '85123A' : '22423' });
    });
    await new Promise((r) => setTimeout(r, 5 + round * 7));
    await page.close({ runBeforeUnload: false });
    const check = await openPage(context, server.origin);
    const after = await check.evaluate(async () => ({ events: (await window.emma.profile.export()).event_count, errors: window.seen.error }));
    await check.close();
    assert.deepEqual(after.errors, [], `round ${round}`);
    assert.ok(after.events >= before && after.events <= before + 40, `round ${round}: ${before} -> ${after.events}`);
    counts.push(`${before}->${after.events}`);
  }
  t.diagnostic(`events before -> after each closed page: ${counts.join(', ')}`);
});
