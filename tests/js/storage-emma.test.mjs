// Emma over the Node file store: what happens to damaged, newer and old-layout stores, a
// full disk, and the records set aside. Never a silent loss: a store that cannot be read is
// kept, byte for byte, and a store from a newer version is not touched at all.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { promises as fsp } from 'node:fs';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createEmma } from 'tante-emma';
import { FsStorage, STORE_FILE } from '../../js-bindings/src/storage/fs.js';
import { MemoryStorage } from '../../js-bindings/src/storage/memory.js';
import { smallCatalog } from './engine-node.mjs';

const GRANT = { version: '2026-11', text: 'Personalize my shop with what I view here.', source: 'banner' };

async function tempDir(t) {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'emma-store-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

function start(storage, seen = { storage: [], error: [] }) {
  return createEmma({
    bundle: smallCatalog(), shop: 'shop', storage,
    on: { storage: (e) => seen.storage.push(e), error: (e) => seen.error.push(e.code) },
  });
}

async function withProfile(storage, items = ['22720', '37370']) {
  const emma = await start(storage);
  await emma.consent.grant('personalization', GRANT);
  for (const item of items) await emma.track({ type: 'view', item });
  await emma.close();
}

test('file storage says that its data key is kept unwrapped', async (t) => {
  const dir = await tempDir(t);
  const seen = { storage: [], error: [] };
  const emma = await start(`fs:${dir}`, seen);
  assert.deepEqual(await emma.storage.info(), { kind: 'fs', persistent: true, keyProtection: 'raw', crossTab: 'locked', persisted: true });
  assert.equal(seen.storage[0].keyProtection, 'raw');
  assert.match(seen.storage[0].message, /unwrapped/);
  assert.deepEqual(seen.error, []);
  await emma.close();
  const memory = await start('memory');
  assert.deepEqual(await memory.storage.info(), { kind: 'memory', persistent: false, keyProtection: 'memory', crossTab: 'none', persisted: false });
  await memory.close();
});

test('a damaged store file is kept as a record, reported as TAMPERED, and a fresh profile starts', async (t) => {
  const dir = await tempDir(t);
  await withProfile(`fs:${dir}`);
  const file = path.join(dir, 'shop', STORE_FILE);
  const original = await readFile(file);
  const damaged = original.subarray(0, original.length - 7);  // truncated, as a broken disk might
  await writeFile(file, damaged);

  const seen = { storage: [], error: [] };
  const emma = await start(`fs:${dir}`, seen);
  assert.deepEqual(seen.error, ['TAMPERED']);
  const problem = seen.storage.find((e) => e.code === 'TAMPERED');
  assert.match(problem.message, /store\.emma is damaged \(.*runs past the end/);
  assert.equal((await emma.profile.export()).event_count, 0);
  const aside = await emma.storage.setAside();
  assert.equal(aside.length, 1);
  assert.equal(aside[0].code, 'TAMPERED');
  assert.deepEqual(Buffer.from(aside[0].store), damaged, 'the damaged file is kept byte for byte');
  // The page goes on and writes a new profile next to what was set aside.
  await emma.consent.grant('personalization', GRANT);
  assert.deepEqual(await emma.track({ type: 'view', item: '85099B' }), { recorded: true, stored: true });
  await emma.close();
  const again = await start(`fs:${dir}`);
  assert.equal((await again.profile.export()).event_count, 1);
  assert.equal((await again.storage.setAside()).length, 1);
  await again.erase();
  assert.deepEqual(await readdir(dir), [], 'erase() removes the set-aside records too');
  await again.close();
});

test('a store written by a newer version is left untouched; Emma works in memory', async (t) => {
  const dir = await tempDir(t);
  await withProfile(`fs:${dir}`);
  const file = path.join(dir, 'shop', STORE_FILE);
  const bytes = await readFile(file);
  bytes[8] = 2;  // format version 2
  await writeFile(file, bytes);
  const seen = { storage: [], error: [] };
  const emma = await start(`fs:${dir}`, seen);
  assert.deepEqual(seen.error, ['UNSUPPORTED']);
  assert.equal(seen.storage.at(-1).fallback, 'memory');
  assert.match(seen.storage.at(-1).message, /format 2, newer than this version reads \(1\); it was left as it is/);
  await emma.consent.grant('personalization', GRANT);
  assert.deepEqual(await emma.track({ type: 'view', item: '85099B' }), { recorded: true, stored: false });
  await emma.close();
  assert.deepEqual(await readFile(file), bytes, 'not a byte changed');
});

test('a store of version 0.1.0 (one file per record) is read, and moved into store.emma by the next write', async (t) => {
  const dir = await tempDir(t);
  // Make the 0.1.0 layout from a real profile: profile.bin (sealed bytes) and key.json.
  const memory = await MemoryStorage.create();
  await withProfile(memory, ['22720', '37370', '22423']);
  const shopDir = path.join(dir, 'shop');
  await fsp.mkdir(shopDir);
  await writeFile(path.join(shopDir, 'profile.bin'), await memory.get('profile'));
  const key = await memory.get('key');
  await writeFile(path.join(shopDir, 'key.json'), JSON.stringify({ id: key.id, raw: Array.from(key.raw) }));

  const seen = { storage: [], error: [] };
  const emma = await start(`fs:${dir}`, seen);
  assert.deepEqual(seen.error, []);
  assert.equal((await emma.profile.export()).event_count, 3);
  assert.deepEqual((await readdir(shopDir)).sort(), ['key.json', 'profile.bin'], 'reading changes nothing');
  await emma.track({ type: 'view', item: '85099B' });
  await emma.close();
  assert.deepEqual(await readdir(shopDir), [STORE_FILE]);
  const again = await start(`fs:${dir}`);
  assert.equal((await again.profile.export()).event_count, 4);
  await again.close();
});

test('a full disk (ENOSPC) is STORAGE_QUOTA; the stored profile stays as it was', async (t) => {
  const dir = await tempDir(t);
  await withProfile(`fs:${dir}`);
  const full = {
    ...fsp,
    readFile: fsp.readFile, readdir: fsp.readdir, mkdir: fsp.mkdir, rm: fsp.rm, rename: fsp.rename, stat: fsp.stat,
    open: async (p, flags, mode) => {
      const fh = await fsp.open(p, flags, mode);
      if (flags !== 'wx') return fh;
      return {
        writeFile: async () => {
          throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
        },
        sync: () => fh.sync(),
        close: () => fh.close(),
      };
    },
  };
  const seen = { storage: [], error: [] };
  const emma = await start(await FsStorage.create(dir, 'shop', { fs: full }), seen);
  assert.deepEqual(await emma.track({ type: 'view', item: '85099B' }), { recorded: true, stored: false });
  assert.deepEqual(seen.error, ['STORAGE_QUOTA']);
  assert.match(seen.storage.at(-1).message, /no space left/);
  assert.equal(seen.storage.at(-1).fallback, 'memory');
  assert.equal((await emma.profile.export()).event_count, 3, 'the page keeps the event in memory');
  await emma.close();
  assert.deepEqual(await readdir(path.join(dir, 'shop')), [STORE_FILE], 'no temporary file is left');
  const again = await start(`fs:${dir}`);
  assert.equal((await again.profile.export()).event_count, 2);
  await again.close();
});

test('calls keep their order: an export asked right after track() sees the event', async () => {
  const emma = await start('memory');
  await emma.consent.grant('personalization', GRANT);
  const tracked = emma.track({ type: 'view', item: '22720' });
  const exported = emma.profile.export();
  await tracked;
  assert.equal((await exported).event_count, 1);
  await assert.rejects(emma.track({ type: 'view', item: 42 }), (e) => e.code === 'BAD_EVENT');
  assert.equal((await emma.profile.export()).event_count, 1, 'a refused event changes nothing and the queue goes on');
  await emma.close();
});

test('retention, decided by the engine: an expired profile is erased on restore, a folded one is stored again', async (t) => {
  const DAY = 86_400_000;
  const T = Date.UTC(2026, 0, 5);
  const at = (ms) => () => ms;
  const open = (now, seen) => createEmma({
    bundle: smallCatalog(), shop: 'shop', storage: `fs:${dir}`, now,
    on: { storage: (e) => seen.push(e), error: (e) => seen.push({ error: e.code }) },
  });
  const dir = await tempDir(t);
  const first = await open(at(T), []);
  await first.consent.grant('personalization', GRANT);
  await first.track({ type: 'view', item: '22720' });
  await first.track({ type: 'search', query: 'cake tins' });
  await first.close();

  // 200 days later (past the 180 days of raw events): searches and recent views are folded
  // away, and the reduced profile is written back at once.
  const seen = [];
  const later = await open(at(T + 200 * DAY), seen);
  const folded = await later.profile.export();
  assert.equal(folded.event_count, 2);
  assert.deepEqual(folded.recently_viewed, []);
  assert.ok(seen.some((e) => e.ok === true && e.bytes > 0), `the folded profile was not written: ${JSON.stringify(seen)}`);
  await later.close();
  const reread = await FsStorage.create(dir, 'shop').then((s) => s.get('profile'));
  assert.ok(reread instanceof Uint8Array);

  // 400 days after the last use (past 395 days): erased, not restored; nothing left on disk.
  const gone = [];
  const much = await open(at(T + 200 * DAY + 400 * DAY), gone);
  assert.equal((await much.profile.export()).event_count, 0);
  assert.equal((await much.consent.state()).personalization.granted, false);
  assert.ok(gone.some((e) => e.ok === true && e.erased === true && e.expired === true), JSON.stringify(gone));
  assert.deepEqual(gone.filter((e) => e.error), []);
  assert.deepEqual(await readdir(dir), [], 'the expired profile is erased from storage');
  await much.close();
});
