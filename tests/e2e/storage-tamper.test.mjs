// A tampered record in the browser: one byte of the sealed profile in IndexedDB is flipped.
// On reload the instance reports TAMPERED (error and storage events), keeps the damaged
// record aside (listed, exported, deletable), starts a fresh profile, and the page keeps
// working; the next reload finds no error. In each engine.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ENGINES } from './drivers/index.mjs';
import { GRANT, openEnginePage, setupEngine } from './storage-helpers.mjs';

const DB = 'tante-emma:storage-test-shop';

for (const engine of ENGINES) test(`${engine}: a flipped byte in the stored profile: TAMPERED, set aside and kept, a fresh profile, the page keeps working`, async (t) => {
  const { server, browser } = await setupEngine(t, engine);
  const page = await openEnginePage(browser, server.origin);
  await page.evaluate(async (grant) => {
    await window.emma.consent.grant('personalization', grant);
    for (const item of ['85123A', '22423']) await window.emma.track({ type: 'view', item });
    await window.emma.close();
  }, GRANT);

  // Flip one byte in the ciphertext of the stored record, as a disk error or an attacker would.
  const damaged = await page.evaluate(async (name) => {
    const db = await new Promise((res, rej) => {
      const r = indexedDB.open(name);
      r.onsuccess = () => res(r.result);
      r.onerror = () => rej(r.error);
    });
    const store = db.transaction('records', 'readwrite').objectStore('records');
    const bytes = await new Promise((res) => { store.get('profile').onsuccess = (e) => res(e.target.result); });
    bytes[bytes.length - 20] ^= 0x01;
    await new Promise((res) => { store.put(bytes, 'profile').onsuccess = res; });
    db.close();
    return Array.from(bytes);
  }, DB);

  await page.reload();
  await page.waitFor(() => window.emmaReady && window.emmaReady.then(() => true));
  const after = await page.evaluate(async () => {
    const emma = window.emma;
    const aside = await emma.storage.setAside();
    return {
      errors: window.seen.error,
      storage: window.seen.storage.filter((e) => !e.ok),
      aside: aside.map((a) => ({ id: a.id, code: a.code, profile: Array.from(a.profile), hasKey: !!a.key })),
      exported: await emma.profile.export(),
      recs: await emma.recommend({ limit: 4 }),
      keys: await new Promise((res) => {
        const r = indexedDB.open('tante-emma:storage-test-shop');
        r.onsuccess = () => {
          const q = r.result.transaction('records').objectStore('records').getAllKeys();
          q.onsuccess = () => { r.result.close(); res(q.result); };
        };
      }),
    };
  });
  assert.deepEqual(after.errors.map((e) => e.code), ['TAMPERED']);
  assert.match(after.errors[0].message, /failed authentication/);
  assert.equal(after.storage.length, 1);
  assert.equal(after.storage[0].code, 'TAMPERED');
  assert.match(after.storage[0].setAside, /^quarantine\.\d+$/);
  // Kept byte for byte, with the key record that went with it.
  assert.equal(after.aside.length, 1);
  assert.deepEqual(after.aside[0], { id: after.storage[0].setAside, code: 'TAMPERED', profile: damaged, hasKey: true });
  assert.equal(after.exported.set_aside.length, 1);
  assert.equal(after.exported.set_aside[0].id, after.aside[0].id);
  assert.deepEqual(Array.from(Buffer.from(after.exported.set_aside[0].profile_base64, 'base64')), damaged);
  // A fresh profile: no consent, no events; the active records are gone, the aside ones stay.
  assert.equal(after.exported.event_count, 0);
  assert.equal(after.exported.consent.state.personalization.granted, false);
  assert.equal(after.recs.items.length, 4);
  const id = after.aside[0].id;
  assert.deepEqual(after.keys.sort(), [`${id}.key`, `${id}.profile`, `${id}.reason`]);

  // The page keeps working: consent again, track, and the new profile survives a reload.
  const again = await page.evaluate(async (grant) => {
    await window.emma.consent.grant('personalization', grant);
    return window.emma.track({ type: 'view', item: '85099B' });
  }, GRANT);
  assert.deepEqual(again, { recorded: true, stored: true });
  await page.reload();
  await page.waitFor(() => window.emmaReady && window.emmaReady.then(() => true));
  const third = await page.evaluate(async () => ({
    errors: window.seen.error, events: (await window.emma.profile.export()).event_count, aside: (await window.emma.storage.setAside()).length,
  }));
  assert.deepEqual(third, { errors: [], events: 1, aside: 1 });

  // Deletable on its own, and erase() leaves nothing at all.
  const deleted = await page.evaluate(async (setAsideId) => {
    await window.emma.storage.deleteSetAside(setAsideId);
    const bad = await window.emma.storage.deleteSetAside(setAsideId).then(() => 'resolved', (e) => e.code);
    return { left: (await window.emma.storage.setAside()).length, bad, events: (await window.emma.profile.export()).event_count };
  }, id);
  assert.deepEqual(deleted, { left: 0, bad: 'BAD_REQUEST', events: 1 });
  await page.evaluate(() => window.emma.erase());
  assert.deepEqual(await page.evaluate(async () => (await indexedDB.databases()).map((d) => d.name)), []);
});
