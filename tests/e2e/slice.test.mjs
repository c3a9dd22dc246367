// The first slice, end to end in headless Chromium: load the demo bundle, consent, track
// views, recommend, reload, and find the profile restored from its sealed IndexedDB record.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { dumpIndexedDb, serverAndBrowser } from './harness.mjs';

const catalog = JSON.parse(await readFile(new URL('../../demo/catalog.json', import.meta.url), 'utf8'));
const GRANT = { version: '2026-11', text: 'Emma may personalize this shop from what I view here.', source: 'banner', lang: 'en' };

test('views personalize, the sealed profile survives a reload, and storage holds no plaintext', async (t) => {
  const { server, browser } = await serverAndBrowser(t);
  const page = await browser.context.newPage();
  await page.goto(`${server.origin}/test/slice.html`);
  await page.evaluate(() => window.emmaReady);

  // Before consent: nothing in IndexedDB at all, not even an empty database.
  await page.evaluate(() => window.emma.track({ type: 'view', item: '85123A' }));
  assert.deepEqual(await dumpIndexedDb(page), {});

  // Views of Bags items after consent pull "for you" towards bags.
  const bags = catalog.items.filter((i) => i.category === 'Bags').slice(0, 3).map((i) => i.id);
  const recs = await page.evaluate(async ({ grant, bags }) => {
    await window.emma.consent.grant('personalization', grant);
    for (const item of bags) await window.emma.track({ type: 'view', item });
    return window.emma.recommend({ scenario: 'for_you', limit: 8 });
  }, { grant: GRANT, bags });
  assert.equal(recs.personalized, true);
  const bagShare = recs.items.filter((i) => i.category[0] === 'Bags').length;
  assert.ok(bagShare >= 6, `only ${bagShare} of 8 recommendations are bags`);
  assert.ok(recs.items[0].reasons.some((r) => r.kind === 'category'), JSON.stringify(recs.items[0].reasons));

  // The raw record: sealed bytes and a wrapped key under a non-extractable CryptoKey.
  const dump = await dumpIndexedDb(page);
  const records = dump['tante-emma:slice-test-shop'].records;
  assert.deepEqual(Object.keys(records).sort(), ['key', 'profile']);
  assert.equal(records.profile.latin1.slice(0, 4), 'EMPF');
  assert.equal(records.key.wrappingKey.cryptoKey.extractable, false);
  const raw = JSON.stringify(dump);
  const secrets = new Set(['personalization', 'Bags', ...bags]);
  for (const item of catalog.items) {
    secrets.add(item.id);
    secrets.add(item.title);
    for (const part of item.category.split(' > ')) secrets.add(part);
  }
  for (const s of secrets) {
    // Short ids could match random ciphertext by chance; 5+ characters cannot in practice.
    if (s.length >= 5) assert.ok(!raw.includes(s), `"${s}" appears in plaintext in IndexedDB`);
  }

  // Reload: a new engine instance restores the profile from the sealed record.
  await page.reload();
  const after = await page.evaluate(async () => {
    const emma = await window.emmaReady;
    return { recs: await emma.recommend({ scenario: 'for_you', limit: 8 }), state: await emma.consent.state(), errors: window.emmaErrors };
  });
  assert.deepEqual(after.errors, []);
  assert.equal(after.state.personalization.granted, true);
  assert.deepEqual(after.recs.items.map((i) => i.id), recs.items.map((i) => i.id));
});
