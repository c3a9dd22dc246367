// Sync through the real wasm engine and the demo server's real sync store (its SQLite
// file): devices join by sync id + passphrase or by a one-time pairing code, changes travel,
// withdrawal and erase delete the server copy, and the store holds nothing readable.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createEmma } from 'tante-emma';
import { createDemoServer } from '../../demo/server.mjs';
import { smallCatalog } from './engine-node.mjs';

const GRANT = { version: '2026-11', text: 'Personalize my shop with what I view here.', source: 'banner' };
const SYNC = { version: '2026-11', text: 'Keep my shop profile in step on my devices, end-to-end encrypted.', source: 'banner' };
const PASS = 'Tante Emma kennt mich';

let server;
let origin;
let dataDir;
const requests = [];

before(async () => {
  dataDir = await mkdtemp(path.join(os.tmpdir(), 'emma-sync-store-'));
  server = createDemoServer({ dataDir });
  server.on('request', (req) => requests.push(`${req.method} ${req.url}`));
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  origin = `http://127.0.0.1:${server.address().port}`;
});

after(async () => {
  await new Promise((resolve) => server.close(resolve));
  await rm(dataDir, { recursive: true, force: true });
});

async function device(t, extra = {}) {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'emma-device-'));
  const errors = [];
  const emma = await createEmma({
    bundle: smallCatalog(), shop: 'shop', storage: `fs:${dir}`, sync: { endpoint: `${origin}/emma/sync` },
    on: { error: (e) => errors.push(e) }, ...extra,
  });
  t.after(async () => {
    await emma.close();
    await rm(dir, { recursive: true, force: true });
  });
  emma.errors = errors;
  return emma;
}

// A device whose shopper granted personalization and sync.
async function consentingDevice(t) {
  const emma = await device(t);
  await emma.consent.grant('personalization', GRANT);
  await emma.consent.grant('sync', SYNC);
  return emma;
}

const top = async (emma) => (await emma.recommend({ scenario: 'for_you', limit: 5 })).items.map((i) => i.id);
const syncRequests = () => requests.filter((r) => r.includes('/emma/sync/'));
const serverCopy = async (id) => (await fetch(`${origin}/emma/sync/${id}`)).status;

test('without the sync purpose nothing is sent', async (t) => {
  requests.length = 0;
  const a = await device(t);
  await a.consent.grant('personalization', GRANT);
  await a.track({ type: 'view', item: '22720' });
  await assert.rejects(a.sync.enable({ passphrase: PASS }), (e) => e.code === 'NO_CONSENT');
  await assert.rejects(a.sync.pair(), (e) => e.code === 'NO_CONSENT');
  await assert.rejects(a.sync.push(), (e) => e.code === 'NO_CONSENT');
  // One rule for every sync.* that moves a copy: NO_CONSENT without both purposes.
  await assert.rejects(a.sync.pull(), (e) => e.code === 'NO_CONSENT');
  await assert.rejects(a.sync.join({ syncId: 'a'.repeat(32), passphrase: PASS }), (e) => e.code === 'NO_CONSENT');
  assert.deepEqual(await a.sync.state(), { enabled: false, syncId: null, updatedAt: 0, allowed: false, pending: 0 });
  assert.deepEqual(await a.sync.disable(), { deleted: false });
  assert.deepEqual(syncRequests(), []);
  assert.deepEqual(a.errors, [], 'no error event at start or since');
  const noEndpoint = await createEmma({ bundle: smallCatalog(), shop: 'shop', storage: 'memory' });
  await assert.rejects(noEndpoint.sync.enable({ passphrase: PASS }), (e) => e.code === 'BAD_REQUEST' && /endpoint/.test(e.message));
  await noEndpoint.close();
});

test('a second device joins with sync id and passphrase, and changes travel both ways', async (t) => {
  const a = await consentingDevice(t);
  for (const item of ['22720', '22423', '37370']) await a.track({ type: 'view', item });
  requests.length = 0;
  const { syncId } = await a.sync.enable({ passphrase: PASS });
  assert.match(syncId, /^[0-9a-f]{32}$/);
  // The first push reads first (there is no copy yet), then stores only if still none.
  assert.deepEqual(syncRequests(), [`GET /emma/sync/${syncId}`, `PUT /emma/sync/${syncId}`]);

  const b = await device(t);
  await b.consent.grant('personalization', GRANT);
  await assert.rejects(b.sync.join({ syncId, passphrase: PASS }), (e) => e.code === 'NO_CONSENT');
  await b.consent.grant('sync', SYNC);
  await assert.rejects(b.sync.join({ syncId, passphrase: 'not the passphrase' }), (e) => e.code === 'WRONG_PASSPHRASE');
  const joined = await b.sync.join({ syncId: syncId.toUpperCase(), passphrase: PASS });
  assert.equal(joined.events, 3);
  assert.deepEqual(await top(b), await top(a));

  // A change on b is sent by itself (about a second later); a takes it in on pull.
  await b.track({ type: 'view', item: '85099B' });
  const deadline = Date.now() + 10_000;
  let pulled;
  do {
    await new Promise((r) => setTimeout(r, 300));
    pulled = await a.sync.pull();
  } while (!pulled.applied && Date.now() < deadline);
  assert.equal(pulled.applied, true);
  assert.equal(pulled.events, 4);
  assert.deepEqual(await top(a), await top(b));
  assert.deepEqual(a.errors, []);
  assert.deepEqual(b.errors, []);

  // Withdrawing sync on one device deletes the server copy.
  assert.equal(await serverCopy(syncId), 200);
  await a.consent.withdraw('sync');
  assert.equal(await serverCopy(syncId), 404);
  assert.equal((await a.sync.state()).enabled, false);
});

test('two devices changing at the same time both keep every change', async (t) => {
  const a = await consentingDevice(t);
  await a.track({ type: 'view', item: '22720' });
  const { syncId } = await a.sync.enable({ passphrase: PASS });
  const b = await consentingDevice(t);
  await b.sync.join({ syncId, passphrase: PASS });

  // Both shop at once; each device's own pushes (about a second later) race on the server.
  await Promise.all([
    (async () => {
      for (const item of ['22423', '37370', '71053']) await a.track({ type: 'view', item });
    })(),
    (async () => {
      await b.track({ type: 'purchase', item: '85099B', quantity: 2 });
      await b.track({ type: 'search', query: 'retrospot lantern' });
    })(),
  ]);
  // Both pushes, then a's push once more if b's merge overtook it; then each device pulls.
  await Promise.all([a.sync.push(), b.sync.push()]);
  await a.sync.pull();
  await b.sync.pull();
  const [ea, eb] = [await a.profile.export(), await b.profile.export()];
  assert.equal(ea.event_count, 6, 'a holds 1 + 3 + 2 events');
  assert.equal(eb.event_count, 6, 'b holds 1 + 3 + 2 events');
  // The same interests (read a few milliseconds apart, so decayed a hair differently).
  const rounded = (weights) => Object.fromEntries(Object.entries(weights).map(([k, w]) => [k, w.toFixed(4)]));
  assert.deepEqual(rounded(ea.interests.items), rounded(eb.interests.items));
  assert.deepEqual(rounded(ea.interests.categories), rounded(eb.interests.categories));
  assert.deepEqual(ea.searches.map((x) => x.query), ['retrospot lantern']);
  assert.deepEqual(await top(a), await top(b));
  assert.equal((await a.sync.state()).pending, 0, "a's changes are all in the server copy");
  assert.equal((await b.sync.state()).pending, 0, "b's changes are all in the server copy");
  assert.deepEqual([...a.errors, ...b.errors], []);
});

test('a server copy that does not open is replaced by the next push, and the page hears why', async (t) => {
  const a = await consentingDevice(t);
  await a.track({ type: 'view', item: '22720' });
  const { syncId } = await a.sync.enable({ passphrase: PASS });
  // Anyone who learns the sync id can put bytes there (the store cannot tell): a junk copy.
  // ("EMBK", format 1, Argon2id, then junk; a copy with a newer format byte would be kept.)
  const junk = new Uint8Array(120).fill(7);
  junk.set([69, 77, 66, 75, 1, 1, 3, 0, 0, 0, 0, 0, 1, 0]);
  assert.equal((await fetch(`${origin}/emma/sync/${syncId}`, { method: 'PUT', body: junk })).status, 204);
  await a.track({ type: 'view', item: '22423' });
  assert.deepEqual(await a.sync.push().then((r) => r.pushed), true);
  assert.equal(a.errors.length, 1);
  assert.ok(['WRONG_PASSPHRASE', 'BAD_BACKUP'].includes(a.errors[0].code), a.errors[0].code);
  assert.match(a.errors[0].message, /could not be read and is replaced/);
  // The server holds a's copy again: another device joins from it.
  const b = await consentingDevice(t);
  assert.equal((await b.sync.join({ syncId, passphrase: PASS })).events, 2);
});

test('a one-time pairing code brings in a device; the code works once', async (t) => {
  const a = await consentingDevice(t);
  await a.track({ type: 'view', item: '85099B' });
  const { syncId } = await a.sync.enable();  // no passphrase: pairing is the only way in
  const { code } = await a.sync.pair();
  assert.match(code, /^([0-9A-HJKMNP-TV-Z]{4}-){5}[0-9A-HJKMNP-TV-Z]{4}$/);

  const b = await consentingDevice(t);
  const joined = await b.sync.join({ code: code.toLowerCase() });
  assert.equal(joined.syncId, syncId);
  assert.deepEqual(await top(b), await top(a));

  const c = await consentingDevice(t);
  await assert.rejects(c.sync.join({ code }), (e) => e.code === 'SYNC_FAILED' && /once/.test(e.message));
  await assert.rejects(c.sync.join({ code: 'ABCD' }), (e) => e.code === 'BAD_REQUEST');

  // Erase on b deletes the copy for every device (it is the shopper's data).
  await b.erase();
  assert.equal(await serverCopy(syncId), 404);
});

test('the sync store file holds no plaintext profile field', async (t) => {
  const a = await consentingDevice(t);
  const catalog = smallCatalog();
  for (const it of catalog.items) await a.track({ type: 'view', item: it.id });
  await a.track({ type: 'search', query: 'retrospot lantern' });
  await a.sync.enable({ passphrase: PASS });
  await a.sync.pair();
  let bytes = Buffer.alloc(0);
  for (const f of await readdir(dataDir)) {
    if (f.startsWith('sync.sqlite')) bytes = Buffer.concat([bytes, await readFile(path.join(dataDir, f))]);
  }
  assert.ok(bytes.includes(Buffer.from('EMBK')), 'the copies are in the file');
  const text = bytes.toString('latin1');
  const needles = ['retrospot', 'Kitchen', 'Candles', 'view', 'items', 'categories', 'profile', 'consent', 'shop', PASS];
  for (const it of catalog.items) needles.push(it.id, it.title.slice(0, 12));
  for (const n of needles) assert.equal(text.includes(n), false, `"${n}" is in the sync store`);
});

test('the sync store refuses bad requests clearly and keeps serving', async () => {
  const id = 'a'.repeat(32);
  const res1 = await fetch(`${origin}/emma/sync/not-a-handle`, { method: 'PUT', body: 'x' });
  assert.equal(res1.status, 400);
  assert.equal((await res1.json()).error.code, 'BAD_HANDLE');
  const res2 = await fetch(`${origin}/emma/sync/${id}`, { method: 'PUT', body: '{"profile":{"items":{}}}' });
  assert.equal(res2.status, 400);
  assert.match((await res2.json()).error.message, /EMBK/);
  const big = new Uint8Array((4 << 20) + 1);
  big.set([69, 77, 66, 75]);
  // Refused with an answer, not a reset connection (which a page sees as "unreachable").
  const res3 = await fetch(`${origin}/emma/sync/${id}`, { method: 'PUT', body: big });
  assert.equal(res3.status, 413);
  const refusal = await res3.json();
  assert.equal(refusal.error.code, 'TOO_LARGE');
  assert.match(refusal.error.message, /too large.*at most 4194304/);
  const res4 = await fetch(`${origin}/emma/sync/pair/${id}`, { method: 'DELETE' });
  assert.equal(res4.status, 405);
  const ok = new Uint8Array(80);
  ok.set([69, 77, 66, 75, 1, 1]);
  assert.equal((await fetch(`${origin}/emma/sync/${id}`, { method: 'PUT', body: ok })).status, 204);
  assert.equal(await serverCopy(id), 200);
  assert.equal((await fetch(`${origin}/emma/sync/${id}`, { method: 'DELETE' })).status, 204);
  assert.equal(await serverCopy(id), 404);
});

test('a copy over the store limit is refused as too large, and the page hears why', async (t) => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'emma-small-store-'));
  const small = createDemoServer({ dataDir: dir, sync: { maxCopyBytes: 600 } });
  await new Promise((resolve) => small.listen(0, '127.0.0.1', resolve));
  t.after(async () => {
    await new Promise((resolve) => small.close(resolve));
    await rm(dir, { recursive: true, force: true });
  });
  const endpoint = `http://127.0.0.1:${small.address().port}/emma/sync`;
  const a = await device(t, { sync: { endpoint } });
  await a.consent.grant('personalization', GRANT);
  await a.consent.grant('sync', SYNC);
  for (const it of smallCatalog().items) await a.track({ type: 'view', item: it.id });
  await assert.rejects(a.sync.enable({ passphrase: PASS }), (e) => e.code === 'SYNC_FAILED' && /413.*too large/.test(e.message) && !/reached/.test(e.message));
  // The automatic push after a change says the same through the error event.
  a.errors.length = 0;
  await a.track({ type: 'view', item: '22720' });
  const deadline = Date.now() + 5000;
  while (!a.errors.length && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
  assert.ok(a.errors.some((e) => e.code === 'SYNC_FAILED' && /too large/.test(e.message)), a.errors.map((e) => e.message).join('; '));
});

test('a push that the store took leaves nothing pending, and disabling sends one DELETE', async (t) => {
  const a = await consentingDevice(t);
  const { syncId } = await a.sync.enable({ passphrase: PASS });
  for (const item of ['22423', '37370']) await a.track({ type: 'view', item });
  assert.equal((await a.sync.state()).pending, 2, 'two changes wait for the server');
  assert.equal((await a.sync.push()).pushed, true);
  assert.equal((await a.sync.state()).pending, 0, 'the pushed copy holds them: nothing is kept for a merge');
  requests.length = 0;
  assert.deepEqual(await a.sync.disable(), { deleted: true });
  assert.deepEqual(syncRequests(), [`DELETE /emma/sync/${syncId}`]);
  assert.equal(await serverCopy(syncId), 404);
});
