// Key rotation and passphrase backups through the real wasm engine and the Node file
// store: rotation re-seals in one atomic write, a failed rotation keeps the old pair, and a
// backup opens on another device — and with an independent libsodium given only the
// documented format (docs/sync-and-backups.md "Backup format").
import { test } from 'node:test';
import { execFileSync } from 'node:child_process';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import sodium from 'libsodium-wrappers-sumo';
import { createEmma } from 'tante-emma';
import { FsStorage, STORE_FILE } from '../../js-bindings/src/storage/fs.js';
import { smallCatalog } from './engine-node.mjs';

const GRANT = { version: '2026-11', text: 'Personalize my shop with what I view here.', source: 'banner' };
const PASS = 'Tante Emma kennt mich';
// The floor the engine accepts keeps the test fast; the default (64 MiB, 3 passes) is
// measured by src/tools/bench (docs/sync-and-backups.md "Backup format").
const FAST = { opslimit: 2, memlimit_kib: 19 * 1024 };
const DAY = 86_400_000;

async function tempDir(t) {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'emma-keys-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

function start(storage, extra = {}) {
  return createEmma({ bundle: smallCatalog(), shop: 'shop', storage, ...extra });
}

async function storedKey(dir) {
  const store = await FsStorage.create(dir, 'shop');
  try {
    return await store.get('key');
  } finally {
    await store.close?.();
  }
}

const top = async (emma) => (await emma.recommend({ scenario: 'for_you', limit: 5 })).items.map((i) => i.id);

test('rotateKey re-seals under a new key; the old key bytes are gone from the store', async (t) => {
  const dir = await tempDir(t);
  const emma = await start(`fs:${dir}`);
  await emma.consent.grant('personalization', GRANT);
  for (const item of ['22720', '22423', '37370']) await emma.track({ type: 'view', item });
  const before = await storedKey(dir);
  const recs = await top(emma);
  const r = await emma.storage.rotateKey();
  assert.equal(r.rotated, true);
  assert.notEqual(r.keyId, before.id);
  const after = await storedKey(dir);
  assert.equal(after.id, r.keyId);
  const file = await readFile(path.join(dir, 'shop', STORE_FILE));
  assert.equal(file.indexOf(Buffer.from(before.raw)), -1, 'the old data key is not in the store any more');
  assert.notEqual(file.indexOf(Buffer.from(after.raw)), -1);
  await emma.close();

  const again = await start(`fs:${dir}`);
  assert.deepEqual(await top(again), recs);
  assert.equal((await again.profile.export()).event_count, 3);
  await again.close();
});

test('without a stored profile there is nothing to rotate', async (t) => {
  const dir = await tempDir(t);
  const emma = await start(`fs:${dir}`);
  assert.deepEqual(await emma.storage.rotateKey(), { rotated: false, keyId: null });
  await emma.close();
});

test('a key older than keys.rotation_days is replaced at the next write', async (t) => {
  const dir = await tempDir(t);
  let now = 1_764_000_000_000;
  const emma = await start(`fs:${dir}`, { now: () => now, keys: { rotation_days: 30 } });
  await emma.consent.grant('personalization', GRANT);
  await emma.track({ type: 'view', item: '22720' });
  const first = await storedKey(dir);
  assert.equal(first.created, now);
  now += 29 * DAY;
  await emma.track({ type: 'view', item: '22423' });
  assert.equal((await storedKey(dir)).id, first.id, 'not due yet');
  now += 2 * DAY;
  await emma.track({ type: 'view', item: '37370' });
  const second = await storedKey(dir);
  assert.notEqual(second.id, first.id);
  assert.equal(second.created, now);
  await emma.close();
  const again = await start(`fs:${dir}`, { now: () => now });
  assert.equal((await again.profile.export()).event_count, 3);
  await again.close();
  await assert.rejects(start('memory', { keys: { rotation_days: 0 } }), (e) => e.code === 'BAD_REQUEST' && /rotation_days/.test(e.message));
});

test('a rotation whose write fails keeps the old key and profile, byte for byte', async (t) => {
  const dir = await tempDir(t);
  const inner = await FsStorage.create(dir, 'shop');
  let failNext = false;
  // The real file store, with one write made to fail as a full disk would.
  const adapter = new Proxy(inner, {
    get(target, prop) {
      if (prop === 'putMany') {
        return async (entries) => {
          if (failNext) {
            failNext = false;
            throw Object.assign(new Error('disk full (injected)'), { name: 'QuotaExceededError' });
          }
          return target.putMany(entries);
        };
      }
      const v = Reflect.get(target, prop);
      return typeof v === 'function' ? v.bind(target) : v;
    },
  });
  const errors = [];
  const emma = await start(adapter, { on: { error: (e) => errors.push(e.code) } });
  await emma.consent.grant('personalization', GRANT);
  await emma.track({ type: 'view', item: '22720' });
  const before = await storedKey(dir);
  const bytesBefore = await readFile(path.join(dir, 'shop', STORE_FILE));
  failNext = true;
  const r = await emma.storage.rotateKey();
  assert.equal(r.rotated, false);
  assert.ok(errors.length > 0, 'the failed write is reported');
  assert.deepEqual(await readFile(path.join(dir, 'shop', STORE_FILE)), bytesBefore, 'storage is exactly as before');
  assert.equal((await storedKey(dir)).id, before.id);
  await emma.close();
  const again = await start(`fs:${dir}`);
  assert.equal((await again.profile.export()).event_count, 1);
  await again.close();
});

test('a passphrase backup restores on another device with the same recommendations', async (t) => {
  const a = await start(`fs:${await tempDir(t)}`);
  await a.consent.grant('personalization', GRANT);
  for (const item of ['22720', '22423', '37370']) await a.track({ type: 'view', item });
  const backup = await a.profile.backup({ passphrase: PASS, kdf: FAST });
  assert.ok(backup instanceof Uint8Array);
  assert.equal(Buffer.from(backup.subarray(0, 4)).toString(), 'EMBK');
  const expected = await top(a);

  const dirB = await tempDir(t);
  const b = await start(`fs:${dirB}`);
  await assert.rejects(b.profile.restore(backup, { passphrase: PASS }), (e) => e.code === 'NO_CONSENT');
  await b.consent.grant('personalization', GRANT);
  await b.track({ type: 'view', item: '85099B' });
  const own = await top(b);
  await assert.rejects(b.profile.restore(backup, { passphrase: 'not the passphrase' }), (e) => e.code === 'WRONG_PASSPHRASE');
  await assert.rejects(b.profile.restore(backup, { passphrase: 'short' }), (e) => e.code === 'BAD_REQUEST');
  await assert.rejects(b.profile.restore(backup.subarray(0, 40), { passphrase: PASS }), (e) => e.code === 'BAD_BACKUP');
  assert.deepEqual(await top(b), own, 'failed restores change nothing');
  // The same passphrase typed in another Unicode form (NFD) opens it.
  const restored = await b.profile.restore(backup, { passphrase: PASS.normalize('NFD') });
  assert.deepEqual(restored, { restored: true, events: 3, stored: true });
  assert.deepEqual(await top(b), expected);
  await b.close();
  const reopened = await start(`fs:${dirB}`);
  assert.deepEqual(await top(reopened), expected, 'the restored profile was stored');
  await reopened.close();
  await a.close();
});

test('an independent libsodium opens a backup from the documented format alone', async () => {
  const emma = await start('memory');
  await emma.consent.grant('personalization', GRANT);
  await emma.track({ type: 'view', item: '85099B' });
  const passphrase = 'Grüße aus dem Laden';  // non-ASCII: UTF-8 of the NFC form
  const backup = await emma.profile.backup({ passphrase, kdf: FAST });
  await emma.close();

  await sodium.ready;
  const view = new DataView(backup.buffer, backup.byteOffset, backup.byteLength);
  assert.equal(Buffer.from(backup.subarray(0, 4)).toString(), 'EMBK');
  assert.equal(backup[4], 1, 'format version');
  assert.equal(backup[5], 1, 'Argon2id v1.3');
  const opslimit = view.getUint32(6, true);
  const memlimit = view.getUint32(10, true) * 1024;
  const salt = backup.subarray(14, 30);
  const nonce = backup.subarray(30, 54);
  const key = sodium.crypto_pwhash(32, new TextEncoder().encode(passphrase.normalize('NFC')), salt, opslimit, memlimit,
    sodium.crypto_pwhash_ALG_ARGON2ID13);
  const plain = sodium.crypto_aead_xchacha20poly1305_ietf_decrypt(null, backup.subarray(54), backup.subarray(0, 30), nonce, key);
  const doc = JSON.parse(new TextDecoder().decode(plain));
  assert.equal(doc.format, 'tante-emma-backup/1');
  assert.equal(doc.shop, 'shop');
  assert.ok('85099B' in doc.profile.items);
  assert.throws(() => sodium.crypto_aead_xchacha20poly1305_ietf_decrypt(null, backup.subarray(54), backup.subarray(0, 29), nonce, key),
    'the header is authenticated');
});

test('backup benchmark smoke run: a kept-key sync copy costs far less than a derivation', () => {
  const out = execFileSync('node', ['src/tools/bench/backup.mjs', '--smoke', '--json'], { cwd: new URL('../..', import.meta.url), stdio: ['ignore', 'pipe', 'ignore'] });
  const r = JSON.parse(out.toString().trim().split('\n').pop());
  assert.ok(r.copy_bytes > 54 + 16);
  // Relations, not timings: the default costs more than the floor, and both far more than
  // sealing under the kept key (which is why sync keeps it).
  assert.ok(r.backup_default_ms > r.backup_floor_ms, JSON.stringify(r));
  assert.ok(r.backup_floor_ms > 5 * r.sync_copy_ms, JSON.stringify(r));
});
