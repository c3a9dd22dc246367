// Atomic writes of the Node file adapter, proven by failing every file-system call of a
// write in turn (fault-injecting wrapper around node:fs/promises), in three ways:
//   throw  the call fails and the process goes on (disk full, I/O error)
//   crash  the call and every later one fail: the process died right there, no clean-up ran
//   torn   a file write stores only its first half, then the process dies
// After each, a fresh instance with the real file system must read the old records or the
// new ones, never a mix (a key from one write and a profile from another).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { promises as fsp } from 'node:fs';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createEmma } from 'tante-emma';
import { FsStorage, STORE_FILE } from '../../js-bindings/src/storage/fs.js';
import { smallCatalog } from './engine-node.mjs';

const GRANT = { version: '2026-11', text: 'Personalize my shop with what I view here.', source: 'banner' };

async function tempDir(t) {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'emma-atomic-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

class InjectedFault extends Error {
  constructor(step, name) {
    super(`injected fault at call ${step} (${name})`);
    this.code = 'EIO';
  }
}

// A stand-in for node:fs/promises that numbers every call (file-handle calls included) and
// fails call number `failAt` (1-based) the way `mode` says. failAt = 0 never fails;
// arm(failAt, mode) starts counting again from the next call.
export function faultyFs({ failAt = 0, mode = 'throw' } = {}) {
  const state = { calls: [], dead: false, failAt, mode };
  const arm = (at, how) => Object.assign(state, { calls: [], dead: false, failAt: at, mode: how });
  const step = async (name, real, torn) => {
    state.calls.push(name);
    const n = state.calls.length;
    if (state.dead) throw new InjectedFault(n, `${name}, after the crash`);
    if (n === state.failAt) {
      if (state.mode !== 'throw') state.dead = true;
      if (state.mode === 'torn' && torn) await torn();
      throw new InjectedFault(n, name);
    }
    return real();
  };
  const wrapHandle = (fh, what) => ({
    writeFile: (data, ...rest) => step(`write ${what}`, () => fh.writeFile(data, ...rest), () => fh.writeFile(data.subarray(0, data.length >> 1))),
    sync: () => step(`fsync ${what}`, () => fh.sync()),
    // A handle is closed even when the process "died" (the OS closes it); the call still counts.
    close: () => step(`close ${what}`, () => fh.close()).catch((err) => fh.close().then(() => { throw err; })),
  });
  const label = (p) => path.basename(p).replace(/\.\d+\.[a-z0-9]+\.tmp$/, '.<tmp>');
  const fs = {
    readFile: (p, ...rest) => step(`readFile ${label(p)}`, () => fsp.readFile(p, ...rest)),
    readdir: (p, ...rest) => step(`readdir ${label(p)}`, () => fsp.readdir(p, ...rest)),
    mkdir: (p, ...rest) => step(`mkdir ${label(p)}`, () => fsp.mkdir(p, ...rest)),
    stat: (p, ...rest) => step(`stat ${label(p)}`, () => fsp.stat(p, ...rest)),
    rm: (p, ...rest) => step(`rm ${label(p)}`, () => fsp.rm(p, ...rest)),
    rename: (a, b) => step(`rename ${label(a)} -> ${label(b)}`, () => fsp.rename(a, b)),
    link: (a, b) => step(`link ${label(a)} -> ${label(b)}`, () => fsp.link(a, b)),
    open: async (p, ...rest) => wrapHandle(await step(`open ${label(p)}`, () => fsp.open(p, ...rest)), label(p)),
  };
  return { fs, state, arm };
}

const OLD = [['key', { id: 'old-key', raw: new Uint8Array(32).fill(1) }], ['profile', new Uint8Array(3000).fill(0x0a)]];
const NEW = [['key', { id: 'new-key', raw: new Uint8Array(32).fill(2) }], ['profile', new Uint8Array(4000).fill(0x0b)]];

async function readBack(dir) {
  const s = await FsStorage.create(dir, 'shop');
  const [key, profile] = await s.getMany(['key', 'profile']);
  if (key === undefined && profile === undefined) return 'nothing';
  if (key?.id === 'old-key' && profile?.length === 3000 && profile.every((b) => b === 0x0a)) return 'old';
  if (key?.id === 'new-key' && profile?.length === 4000 && profile.every((b) => b === 0x0b)) return 'new';
  return `a mix: key ${key?.id}, profile of ${profile?.length} bytes`;
}

// The calls one putMany makes, with nothing failing, and the index of the commit (rename).
async function tracePutMany(dir, before) {
  await rm(dir, { recursive: true, force: true });
  if (before) await (await FsStorage.create(dir, 'shop')).putMany(before);
  const { fs, state } = faultyFs();
  await (await FsStorage.create(dir, 'shop', { fs })).putMany(NEW);
  const rename = state.calls.findIndex((c) => c.startsWith('rename')) + 1;
  assert.ok(rename > 0, state.calls.join('\n'));
  return { calls: state.calls, rename };
}

for (const [label, before, old] of [['over an existing store', OLD, 'old'], ['the first write (key and profile together)', null, 'nothing']]) {
  test(`fs putMany ${label}: a fault at any call leaves the old records or the new ones`, async (t) => {
    const dir = await tempDir(t);
    const { calls, rename } = await tracePutMany(dir, before);
    let points = 0;
    for (const mode of ['throw', 'crash', 'torn']) {
      for (let failAt = 1; failAt <= calls.length; failAt++) {
        if (mode === 'torn' && !calls[failAt - 1].startsWith('write')) continue;
        await rm(dir, { recursive: true, force: true });
        if (before) await (await FsStorage.create(dir, 'shop')).putMany(before);
        const { fs } = faultyFs({ failAt, mode });
        const s = await FsStorage.create(dir, 'shop', { fs });
        let error = null;
        await s.putMany(NEW).catch((e) => (error = e));
        const seen = await readBack(dir);
        const where = `${mode} at call ${failAt} of ${calls.length} (${calls[failAt - 1]})`;
        // Before the rename the old file is in place; from the rename's success on, the new one.
        assert.equal(seen, failAt <= rename ? old : 'new', where);
        // The caller hears of every failure that kept the new records off the disk; after the
        // commit only flushing the folder or tidying up can fail, which is not an error.
        if (failAt <= rename) assert.ok(error && /injected fault/.test(error.message) && error.code === 'STORAGE_FAILED', `${where}: ${error}`);
        else assert.equal(error, null, `${where}: ${error && error.message}`);
        if (mode === 'throw') {
          // The process goes on: nothing half-written lingers, and the next write succeeds.
          const left = (await readdir(path.join(dir, 'shop')).catch(() => [])).filter((f) => f.endsWith('.tmp'));
          assert.deepEqual(left, [], `${where}: temporary files left behind`);
          await (await FsStorage.create(dir, 'shop')).putMany(NEW);
          assert.equal(await readBack(dir), 'new', `${where}: the next write`);
        }
        points++;
      }
    }
    t.diagnostic(`${points} fault points over ${calls.length} calls: ${calls.join(' | ')}`);
    assert.ok(points >= 2 * calls.length);
  });
}

test('an interrupted write through Emma: a fresh instance restores the old profile or the new one, never TAMPERED', async (t) => {
  const dir = await tempDir(t);
  const shopDir = path.join(dir, 'shop');
  // The calls of one profile write through Emma (after the first, so the key exists).
  const trace = faultyFs();
  {
    const emma = await createEmma({ bundle: smallCatalog(), shop: 'shop', storage: await FsStorage.create(dir, 'shop', { fs: trace.fs }) });
    await emma.consent.grant('personalization', GRANT);
    await emma.track({ type: 'view', item: '22720' });
    trace.state.calls.length = 0;
    await emma.track({ type: 'view', item: '37370' });
    await emma.close();
  }
  const calls = [...trace.state.calls];
  const rename = calls.findIndex((c) => c.startsWith('rename')) + 1;
  const saved = await readFile(path.join(shopDir, STORE_FILE));
  let points = 0;
  for (const mode of ['throw', 'crash', 'torn']) {
    for (let failAt = 1; failAt <= calls.length; failAt++) {
      if (mode === 'torn' && !calls[failAt - 1].startsWith('write')) continue;
      const where = `${mode} at call ${failAt} of ${calls.length} (${calls[failAt - 1]})`;
      await rm(shopDir, { recursive: true, force: true });
      await fsp.mkdir(shopDir, { recursive: true });
      await writeFile(path.join(shopDir, STORE_FILE), saved);  // two events stored
      const faults = faultyFs();
      const events = [];
      const emma = await createEmma({
        bundle: smallCatalog(), shop: 'shop', storage: await FsStorage.create(dir, 'shop', { fs: faults.fs }),
        on: { storage: (e) => events.push(e) },
      });
      // The fault is armed for the next write only (the restore above made calls already).
      faults.arm(failAt, mode);
      const r = await emma.track({ type: 'view', item: '85099B' });
      await emma.close();
      const errors = [];
      const fresh = await createEmma({ bundle: smallCatalog(), shop: 'shop', storage: `fs:${dir}`, on: { error: (e) => errors.push(e.code) } });
      const { event_count: count } = await fresh.profile.export();
      await fresh.close();
      assert.deepEqual(errors, [], where);
      // A lock file that cannot be made or removed (the process goes on) does not stop the
      // write; everything else before the rename keeps the old profile.
      const kept = failAt <= rename && !(mode === 'throw' && calls[failAt - 1].includes('store.lock'));
      assert.equal(count, kept ? 2 : 3, where);
      assert.equal(r.stored, !kept, `${where}: track() said stored: ${r.stored}`);
      if (kept) assert.ok(events.some((e) => e.ok === false && e.fallback === 'memory'), `${where}: no storage event`);
      points++;
    }
  }
  t.diagnostic(`${points} fault points over ${calls.length} calls: ${calls.join(' | ')}`);
});
