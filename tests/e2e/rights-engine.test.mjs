// The embed's page engine leaves the shopper's rights out (src/core/engine_rights.cpp): the
// engine that has them (emma-rights.<hash>.wasm) is fetched at the first right or record
// asked for (export, explain, forget, object, backup, the records), and the page's session
// moves there. In Chromium, Firefox and WebKit: it
// is not fetched before, the session that moves is the same one and goes on there, and what
// is stored after the move opens on the next page view's page engine. In Chromium: the live
// GPC signal moves with the session, and an engine with rights that cannot be loaded fails
// that call only.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { ENGINES, serverAndEngine } from './drivers/index.mjs';
import { launch, startServer } from './harness.mjs';
import { emmaCall, emmaSettled, watchedPage } from './embed-kit.mjs';

const GRANT = { version: '2026-11', text: 'Emma may personalize this shop.', source: 'banner', lang: 'en' };
const QUEUE = 'window.emma = window.emma || function () { (emma.q = emma.q || []).push(arguments); };';
const PAGE = `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Rights engine</title>
<script src="/t/shop.js"></script>
<script src="/emma/emma.js" data-bundle="/emma/shop.bundle" data-shop="rights-test" async></script>
</head><body>
<div id="home" data-emma-slot="for_you" data-emma-limit="3"><p>The shop's own list</p></div>
</body></html>
`;
const RIGHTS = /\/emma\/emma-rights\.[0-9a-f]{12}\.wasm$/;

async function pageDir(t) {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'emma-rights-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  await writeFile(path.join(dir, 'p.html'), PAGE);
  await writeFile(path.join(dir, 'shop.js'), QUEUE);
  return dir;
}

for (const engine of ENGINES) {
  test(`${engine}: the engine with the shopper's rights comes at the first export; the session goes on there and its writes open on the next page`, async (t) => {
    const dir = await pageDir(t);
    const { server, browser } = await serverAndEngine(t, engine, { mounts: [['/t/', dir]] });
    const fetchedRights = () => server.requests.filter((r) => RIGHTS.test(r.url)).length;
    const page = await browser.newPage();
    await page.goto(`${server.origin}/t/p.html`);
    assert.equal(await emmaSettled(page), 'ready');
    await emmaCall(page, 'consent.grant', 'personalization', GRANT);
    await emmaCall(page, 'track', { type: 'view', item: '71053' });
    await emmaCall(page, 'recommend', { scenario: 'for_you', limit: 3 });
    assert.equal(fetchedRights(), 0, 'a page view without a right asked for does not fetch it');

    const first = await emmaCall(page, 'profile.export');
    assert.equal(fetchedRights(), 1);
    assert.ok(first.interests.items['71053'] > 0, JSON.stringify(first.interests));
    assert.equal(first.consent.state.personalization.granted, true);
    // The session goes on on the engine with rights: tracked, stored, no second fetch.
    await emmaCall(page, 'track', { type: 'view', item: '22720' });
    const second = await emmaCall(page, 'profile.export');
    assert.equal(second.event_count, first.event_count + 1);
    assert.ok(second.interests.items['22720'] > 0);
    assert.equal(fetchedRights(), 1);
    const records = await emmaCall(page, 'consent.records');
    assert.equal(records.filter((r) => r.purpose === 'personalization' && r.granted).length, 1);

    // The next page view starts on the page's engine and opens what the other one wrote; its
    // first right asked for is another one (why an item is there, then forgetting one).
    const before = server.requests.length;
    await page.goto(`${server.origin}/t/p.html`);
    assert.equal(await emmaSettled(page), 'ready');
    assert.equal(server.requests.slice(before).filter((r) => RIGHTS.test(r.url)).length, 0);
    const why = await emmaCall(page, 'explain', '22720');
    assert.deepEqual([why.item, why.personalized], ['22720', true]);
    assert.ok(why.signals.own > 0, JSON.stringify(why.signals));
    const forgot = await emmaCall(page, 'profile.forget', { item: '71053' });
    assert.ok(forgot.forgotten > 0 && forgot.stored);
    const reopened = await emmaCall(page, 'profile.export');
    assert.deepEqual(reopened.set_aside, [], 'the stored profile opened (nothing set aside)');
    assert.equal(reopened.interests.items['71053'], undefined);
    assert.ok(reopened.interests.items['22720'] > 0);
  });
}

test('chromium: GPC moves with the session; an engine with rights that cannot load fails that call only, and the next one loads it', async (t) => {
  const dir = await pageDir(t);
  const server = await startServer({ mounts: [['/t/', dir]] });
  const browser = await launch();
  t.after(async () => {
    await browser.close();
    await server.close();
  });
  const { page, seen } = await watchedPage(browser.context);
  await page.addInitScript(() => Object.defineProperty(Navigator.prototype, 'globalPrivacyControl', { get: () => true }));
  let blocked = true;
  await page.route(RIGHTS, (r) => (blocked ? r.abort('blockedbyclient') : r.continue()));
  await page.goto(`${server.origin}/t/p.html`);
  assert.equal(await emmaSettled(page), 'ready');
  await emmaCall(page, 'consent.grant', 'personalization', GRANT);
  await emmaCall(page, 'track', { type: 'view', item: '71053' });

  await assert.rejects(emmaCall(page, 'profile.export'), /WASM_LOAD: .*emma-rights\.[0-9a-f]{12}\.wasm/);
  // The page's engine goes on, and so does storage.
  await emmaCall(page, 'track', { type: 'view', item: '22720' });
  assert.ok((await emmaCall(page, 'recommend', { scenario: 'trending', limit: 2 })).items.length > 0);

  blocked = false;
  const exported = await emmaCall(page, 'profile.export');
  assert.ok(exported.interests.items['71053'] > 0 && exported.interests.items['22720'] > 0, JSON.stringify(exported.interests));
  // GPC was heard once, at start, by the page's engine; the engine with rights still refuses
  // what GPC refuses.
  await assert.rejects(emmaCall(page, 'consent.grant', 'insights', { version: 'v1', text: 'Share noised statistics.', source: 'banner' }), /NO_CONSENT/);
  assert.deepEqual(seen.errors, []);
});
