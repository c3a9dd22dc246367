// The TCF v2.2 consent source against a real CMP implementation: IAB's @iabtcf/cmpapi
// (bundled for the browser here with esbuild) answering __tcfapi on the page, and TC strings
// encoded with @iabtcf/core from a minimal vendor list of our own (TOOLCHAIN.md).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as core from '@iabtcf/core';
import { build } from 'esbuild';
import { launch, startServer } from './harness.mjs';
import { emmaCall, emmaSettled, storedAnything, watchedPage } from './embed-kit.mjs';

const CMP_ID = 300;
const text = (id) => ({ id, name: `Purpose ${id}`, description: `Purpose ${id}`, illustrations: [] });

function tcString(purposes) {
  const gvl = new core.GVL({
    gvlSpecificationVersion: 3, vendorListVersion: 1, tcfPolicyVersion: 5, lastUpdated: '2026-11-01T00:00:00Z',
    purposes: Object.fromEntries(Array.from({ length: 11 }, (_, i) => [i + 1, text(i + 1)])),
    specialPurposes: {}, features: {}, specialFeatures: {}, stacks: {}, dataCategories: {}, vendors: {},
  });
  const model = new core.TCModel(gvl);
  model.cmpId = CMP_ID;
  model.cmpVersion = 1;
  model.purposeConsents.set(purposes);
  return core.TCString.encode(model);
}

// The CMP as a shop would run it: installed before Emma, showing its UI until the shopper
// decides, or loading a stored decision (?tc=…), or saying GDPR does not apply (?gdpr=0).
const CMP_ENTRY = `import { CmpApi } from '@iabtcf/cmpapi';
const params = new URLSearchParams(location.search);
window.cmp = new CmpApi(${CMP_ID}, 1, true);
if (params.get('gdpr') === '0') window.cmp.update(null, false);
else if (params.get('tc')) window.cmp.update(params.get('tc'), false);
else window.cmp.update('', true);
`;

const PAGE = `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Shop with a TCF CMP</title>
<script src="/tcf/cmp.js"></script>
<script src="/emma/emma.js" data-bundle="/emma/shop.bundle" data-shop="tcf-test" async></script>
</head>
<body data-emma-page="product" data-emma-item="85123A">
<div id="similar" data-emma-slot="similar" data-emma-item="85123A"><p>fallback</p></div>
</body></html>
`;

test('a real TCF CMP decides: no Emma banner, consent from useractioncomplete and tcloaded, withdrawal erases', async (t) => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'emma-tcf-'));
  await writeFile(path.join(dir, 'entry.js'), CMP_ENTRY);
  await writeFile(path.join(dir, 'shop.html'), PAGE);
  await build({ entryPoints: [path.join(dir, 'entry.js')], bundle: true, format: 'iife', outfile: path.join(dir, 'cmp.js'), logLevel: 'warning', nodePaths: [fileURLToPath(new URL('../../node_modules', import.meta.url))] });
  const server = await startServer({ mounts: [['/tcf/', dir]], headers: { 'Content-Security-Policy': "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; style-src 'self'" } });
  const browser = await launch();
  t.after(async () => {
    await browser.close();
    await server.close();
    await rm(dir, { recursive: true, force: true });
  });
  const granted = tcString([1, 5, 6]);
  const refused = tcString([1]);
  const { page, seen } = await watchedPage(browser.context);
  const state = () => emmaCall(page, 'consent.state');

  // The CMP's UI is up (cmpuishown): Emma shows no banner of its own and decides nothing yet.
  await page.goto(`${server.origin}/tcf/shop.html`);
  assert.equal(await emmaSettled(page), 'ready');
  assert.equal(await page.evaluate(() => typeof window.__tcfapi), 'function');
  assert.equal(await page.$('[data-emma-ui="banner"]'), null);
  assert.equal((await state()).personalization.granted, false);

  // The shopper accepts purposes 1, 5 and 6 in the CMP.
  await page.evaluate((s) => window.cmp.update(s, false), granted);
  await page.waitForFunction(() => new Promise((r) => window.emma('consent.state', (e, s) => r(s.personalization.granted))));
  const s1 = (await state()).personalization;
  assert.deepEqual([s1.source, s1.version], ['tcf', `tcf:policy-5:cmp-${CMP_ID}`]);
  assert.deepEqual((await emmaCall(page, 'track', { type: 'view', item: '20725' })), { recorded: true, stored: true });
  assert.deepEqual((await storedAnything(page)).indexedDB, ['tante-emma:tcf-test']);

  // Next page: the CMP loads the stored decision (tcloaded); the profile is there.
  await page.goto(`${server.origin}/tcf/shop.html?tc=${granted}`);
  assert.equal(await emmaSettled(page), 'ready');
  assert.equal((await state()).personalization.granted, true);
  const exported = await emmaCall(page, 'profile.export');
  assert.ok(exported.interests.items['20725'] > 0, 'the profile survived the page change');
  assert.equal(await page.$('[data-emma-ui="banner"]'), null);

  // The shopper changes their mind in the CMP: purpose 5 and 6 gone, storage erased.
  await page.evaluate((s) => window.cmp.update(s, false), refused);
  await page.waitForFunction(() => new Promise((r) => window.emma('consent.state', (e, s) => r(!s.personalization.granted))));
  await page.waitForFunction(async () => (await indexedDB.databases()).length === 0);
  const records = await emmaCall(page, 'consent.records');
  assert.deepEqual(records.map((r) => [r.purpose, r.granted, r.source]), [['personalization', true, 'tcf'], ['personalization', false, 'tcf']]);

  // Where GDPR does not apply the CMP decides nothing: Emma's own banner asks.
  const { page: other } = await watchedPage(browser.context);
  await other.goto(`${server.origin}/tcf/shop.html?gdpr=0`);
  assert.equal(await emmaSettled(other), 'ready');
  assert.ok(await other.isVisible('[data-emma-ui="banner"]'));
  assert.deepEqual(seen.errors, []);
});
