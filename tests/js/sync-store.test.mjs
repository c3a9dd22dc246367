// The demo's sync store on its own, on a real SQLite file and a clock the test moves: a copy
// in use is kept, a copy nobody used for `retainDays` is deleted, pairing copies last ten
// minutes, and a file written before copies had a day keeps its copies.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { SYNC_PREFIX, createSyncStore } from '../../demo/server/sync-store.mjs';

const DAY = 24 * 60 * 60 * 1000;
const COPY = Buffer.concat([Buffer.from('EMBK'), Buffer.alloc(76, 7)]);
const handle = (n) => n.toString(16).padStart(32, '0');

// A store behind a real HTTP server; `clock.at` is the store's now().
async function storeOnDisk(t, options = {}) {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'emma-sync-store-'));
  const file = path.join(dir, 'sync.sqlite');
  const clock = { at: Date.UTC(2026, 10, 29, 12) };
  const store = createSyncStore({ file, now: () => clock.at, ...options });
  const server = http.createServer((req, res) => store.handle(req, res, req.url.slice(SYNC_PREFIX.length)));
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const base = `http://127.0.0.1:${server.address().port}${SYNC_PREFIX}`;
  t.after(async () => {
    await new Promise((resolve) => server.close(resolve));
    store.close();
    await rm(dir, { recursive: true, force: true });
  });
  const put = async (where) => (await fetch(base + where, { method: 'PUT', body: COPY })).status;
  const get = async (where) => (await fetch(base + where)).status;
  return { clock, put, get, file, base };
}

test('a copy in use is kept; one unused for retainDays is deleted', async (t) => {
  const s = await storeOnDisk(t, { retainDays: 30 });
  assert.equal(await s.put(handle(1)), 204);
  assert.equal(await s.put(handle(2)), 204);
  // Device 1 pulls every 20 days (a read counts as use); nobody touches copy 2.
  for (let i = 0; i < 3; i++) {
    s.clock.at += 20 * DAY;
    assert.equal(await s.get(handle(1)), 200, `copy 1 after ${20 * (i + 1)} days of regular use`);
  }
  assert.equal(await s.get(handle(2)), 404, 'copy 2, unused for 60 days, is gone');
  s.clock.at += 31 * DAY;
  assert.equal(await s.put(handle(3)), 204);
  assert.equal(await s.get(handle(1)), 404, 'copy 1, unused for 31 days, is gone');
  assert.equal(await s.get(handle(3)), 200);
  const rows = new Database(s.file, { readonly: true }).prepare('SELECT handle FROM copies').all();
  assert.deepEqual(rows.map((r) => r.handle), [handle(3)], 'deleted from the file, not only hidden');
});

test('the default keeps a copy unused for 395 days and deletes one unused for 396', async (t) => {
  const s = await storeOnDisk(t);
  assert.equal(await s.put(handle(1)), 204);
  s.clock.at += 395 * DAY;
  assert.equal(await s.put(handle(9)), 204);
  assert.equal(await s.get(handle(1)), 200);
  s.clock.at += 396 * DAY;  // the read above counted as use
  assert.equal(await s.put(handle(9)), 204);
  assert.equal(await s.get(handle(1)), 404);
});

test('a pairing copy is given out once, and only for ten minutes', async (t) => {
  const s = await storeOnDisk(t);
  assert.equal(await s.put(`pair/${handle(5)}`), 204);
  assert.equal(await s.put(`pair/${handle(6)}`), 204);
  s.clock.at += 9 * 60 * 1000;
  assert.equal(await s.get(`pair/${handle(5)}`), 200);
  assert.equal(await s.get(`pair/${handle(5)}`), 404, 'once');
  s.clock.at += 2 * 60 * 1000;
  assert.equal(await s.get(`pair/${handle(6)}`), 404, 'after ten minutes');
});

test('a PUT replaces a copy only if it is still the one the device read (If-Match)', async (t) => {
  const s = await storeOnDisk(t);
  const url = (n) => s.base + handle(n);
  const putWith = async (headers, body = COPY) => fetch(url(4), { method: 'PUT', body, headers });
  assert.equal((await putWith({ 'If-None-Match': '*' })).status, 204, 'stored: there was none');
  const conflict = await putWith({ 'If-None-Match': '*' });
  assert.equal(conflict.status, 412, 'not stored: one appeared meanwhile');
  assert.equal((await conflict.json()).error.code, 'CHANGED');
  const first = await fetch(url(4));
  const etag = first.headers.get('ETag');
  assert.match(etag, /^"[0-9a-f]{32}"$/);
  const other = Buffer.concat([Buffer.from('EMBK'), Buffer.alloc(76, 9)]);
  assert.equal((await putWith({ 'If-Match': etag }, other)).status, 204, 'replaced: still the copy read');
  assert.equal((await putWith({ 'If-Match': etag })).status, 412, 'refused: the copy read is gone');
  assert.deepEqual(Buffer.from(await (await fetch(url(4))).arrayBuffer()), other, 'the newer copy stays');
  assert.equal((await putWith({})).status, 204, 'no condition: replaced');
});

test('a store file from before copies had a day keeps its copies', async (t) => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'emma-sync-old-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const file = path.join(dir, 'sync.sqlite');
  const old = new Database(file);
  old.exec('CREATE TABLE copies (handle TEXT PRIMARY KEY, copy BLOB NOT NULL) WITHOUT ROWID');
  old.prepare('INSERT INTO copies VALUES (?, ?)').run(handle(7), COPY);
  old.close();
  const s = await storeOnDisk(t, { file });
  assert.equal(await s.get(handle(7)), 200);
  s.clock.at += 100 * DAY;
  assert.equal(await s.put(handle(8)), 204);
  assert.equal(await s.get(handle(7)), 200, 'counted from the day the store was upgraded, not from 1970');
});
