// The storage conformance suite (tests/e2e/pages/storage-conformance.js, the same module
// that tests/js/storage-conformance.test.mjs runs in Node) against the browser adapters,
// IndexedDB and localStorage, in Chromium. Each case is reported as its own subtest.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setup } from './storage-helpers.mjs';

for (const adapter of ['indexeddb', 'localstorage']) {
  test(`storage conformance in Chromium: ${adapter}`, async (t) => {
    const { server, context } = await setup(t);
    const page = await context.newPage();
    await page.goto(`${server.origin}/test/storage-conformance.html`);
    await page.waitForFunction(() => window.suiteReady === true);
    const results = await page.evaluate((name) => window.runSuite(name), adapter);
    assert.ok(results.length >= 14, `only ${results.length} cases ran`);
    for (const r of results) {
      await t.test(r.name, () => assert.ok(r.ok, r.error));
    }
    // Nothing of the suite is left behind.
    const left = await page.evaluate(async () => ({ idb: (await indexedDB.databases()).map((d) => d.name), ls: Object.keys(localStorage) }));
    assert.deepEqual(left, { idb: [], ls: [] });
  });
}
