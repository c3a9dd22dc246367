// Issue #14: track() once re-sealed and rewrote the whole profile on every event, so its cost
// grew with the profile. Now an event is appended to the stored record as a small sealed
// frame (src/core/vault.hpp), and what track() calls stored is still on storage. The speed
// itself is measured by the benchmark (npm run bench: track_ms_first_1k / track_ms_last_1k).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFile, mkdir, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createEmma } from 'tante-emma';
import { FsStorage } from '../../js-bindings/src/storage/fs.js';
import { smallCatalog } from './engine-node.mjs';

const GRANT = { version: '2026-11', text: 'Personalize my shop with what I view here.', source: 'banner' };
const NOW = Date.UTC(2026, 5, 1);  // the fixture's time: a fixed clock keeps it within retention
const ITEMS = smallCatalog().items.map((i) => i.id);

async function tempDir(t) {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'emma-track-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

const start = (dir, now = () => NOW) => createEmma({ bundle: smallCatalog(), shop: 'shop', storage: `fs:${dir}`, now });
const stored = async (dir) => (await FsStorage.create(dir, 'shop')).get('profile');

test('one more event adds a small frame to the stored record instead of rewriting it; a new instance sees every event', async (t) => {
  const dir = await tempDir(t);
  let clock = NOW;
  const emma = await start(dir, () => clock);
  await emma.consent.grant('personalization', GRANT);
  let rewritten = 0;
  let before = await stored(dir);
  for (let k = 0; k < 400; k++) {
    clock += 1000;
    const event = k % 5 === 4 ? { type: 'purchase', item: ITEMS[k % 8], quantity: 1 } : { type: 'view', item: ITEMS[(k * 3) % 8] };
    assert.deepEqual(await emma.track(event), { recorded: true, stored: true });
    const after = await stored(dir);
    // The previous record up to its end frame (44 bytes) is still there, byte for byte.
    const kept = after.length > before.length && Buffer.from(after.subarray(0, before.length - 44)).equals(Buffer.from(before.subarray(0, before.length - 44)));
    if (kept) assert.ok(after.length - before.length < 200, `one event grew the record by ${after.length - before.length} bytes`);
    else rewritten++;
    before = after;
  }
  // A whole new snapshot only now and then (when the frames add up to its size).
  assert.ok(rewritten < 25, `${rewritten} of 400 writes sealed the whole profile again`);
  const live = await emma.profile.export();
  await emma.close();

  const again = await start(dir, () => clock);
  const reopened = await again.profile.export();
  assert.equal(reopened.event_count, 400);
  assert.deepEqual(reopened, live);
  await again.close();
});

test('a store written by version 0.1.0 (one sealed snapshot) opens, and its next write keeps every event', async (t) => {
  const dir = await tempDir(t);
  await mkdir(path.join(dir, 'shop'), { recursive: true });
  await copyFile(new URL('fixtures/store-0.1.0.emma', import.meta.url), path.join(dir, 'shop', 'store.emma'));
  const errors = [];
  const emma = await createEmma({ bundle: smallCatalog(), shop: 'shop', storage: `fs:${dir}`, now: () => NOW, on: { error: (e) => errors.push(e.code) } });
  assert.deepEqual(errors, []);
  const old = await emma.profile.export();
  assert.equal(old.event_count, 5);
  assert.deepEqual(old.recently_viewed.map((r) => r.item), ['37370', '22720']);
  assert.deepEqual(old.purchases.map((p) => p.item), ['85099B']);
  assert.deepEqual(old.searches.map((s) => s.query), ['cake tin']);
  assert.equal((await emma.consent.state()).personalization.granted, true);
  assert.deepEqual(await emma.track({ type: 'view', item: '71053' }), { recorded: true, stored: true });
  await emma.close();
  const again = await createEmma({ bundle: smallCatalog(), shop: 'shop', storage: `fs:${dir}`, now: () => NOW });
  const now = await again.profile.export();
  assert.equal(now.event_count, 6);
  assert.deepEqual(now.recently_viewed.map((r) => r.item), ['71053', '37370', '22720']);
  await again.close();
});
