// What differs between the engines in ways that matter to a shop using Emma, checked on the
// real browsers so the README's table ("Browser differences that matter to shops") stays
// true: Global Privacy Control, indexedDB.databases(), the StorageManager and whether asking
// for persistent storage would prompt. After consent Emma asks only where no prompt can
// appear, so storage.info() answers in every engine (Firefox would wait for a doorhanger).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ENGINES } from './drivers/index.mjs';
import { GRANT, openEnginePage, setupEngine } from './storage-helpers.mjs';

const EXPECTED = {
  chromium: { gpc: 'undefined', databases: 'function', storageManager: true, persistentStoragePermission: 'prompt', persistedAfterConsent: false },
  firefox: { gpc: 'boolean', databases: 'function', storageManager: true, persistentStoragePermission: 'prompt', persistedAfterConsent: false },
  webkit: { gpc: 'undefined', databases: 'function', storageManager: false, persistentStoragePermission: 'no such permission', persistedAfterConsent: false },
};

for (const engine of ENGINES) {
  test(`${engine}: the engine's differences are the ones the README lists`, async (t) => {
    const { server, browser } = await setupEngine(t, engine);
    const page = await openEnginePage(browser, server.origin);
    const seen = await page.evaluate(async (grant) => {
      let permission;
      try {
        permission = (await navigator.permissions.query({ name: 'persistent-storage' })).state;
      } catch {
        permission = 'no such permission';
      }
      const before = await window.emma.storage.info();
      await window.emma.consent.grant('personalization', grant);
      const after = await window.emma.storage.info();
      return {
        gpc: typeof navigator.globalPrivacyControl,
        databases: typeof indexedDB.databases,
        storageManager: typeof navigator.storage === 'object' && typeof navigator.storage.persist === 'function',
        persistentStoragePermission: permission,
        persistedBefore: before.persisted,
        persistedAfterConsent: after.persisted,
      };
    }, GRANT);
    assert.equal(seen.persistedBefore, false, 'a fresh profile is not persisted');
    delete seen.persistedBefore;
    assert.deepEqual(seen, EXPECTED[engine]);
  });
}
