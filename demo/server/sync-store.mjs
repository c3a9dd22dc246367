// The shop's sync store: one sealed copy per random handle, nothing else. It cannot read a
// copy (the key never leaves the shopper's devices), so all it checks is shape and size.
// Its own SQLite file: sync is a purpose of its own and is kept apart from anything else.
//
//   PUT    /emma/sync/<handle>       store or replace the copy      -> 204 | 412
//   GET    /emma/sync/<handle>       the copy, with its ETag        -> 200 | 404
//   DELETE /emma/sync/<handle>       forget it                      -> 204
//   PUT    /emma/sync/pair/<slot>    a one-time pairing copy         -> 204 (kept 10 minutes)
//   GET    /emma/sync/pair/<slot>    given out once, then deleted   -> 200 | 404
// A PUT with If-Match: "<etag>" replaces the copy only if it is still that one, and with
// If-None-Match: * only stores when there is none (412 CHANGED otherwise): so a device that
// merged the copy it read cannot overwrite one another device pushed meanwhile.
// Errors: JSON { error: { code, message } }. No IP address or cookie is stored with a copy,
// and of time only the day it was last written or read: a copy nobody has used for
// `retainDays` (default 395, the profile's own inactivity limit in src/core/profile.hpp) is
// deleted, so a shopper who cleared their browser and never came back leaves nothing behind.
// The in-memory rate limit forgets addresses after a minute.
import { createHash } from 'node:crypto';
import Database from 'better-sqlite3';
import { readLimitedBody } from './body.mjs';

export const SYNC_PREFIX = '/emma/sync/';
export const MAX_COPY_BYTES = 4 << 20;
const MIN_COPY_BYTES = 54 + 16;  // backup header + tag (src/core/backup.hpp)
const PAIRING_MS = 10 * 60 * 1000;
const DAY_MS = 24 * 60 * 60 * 1000;
const PURGE_EVERY_MS = 60 * 60 * 1000;
const HEX32 = /^[0-9a-f]{32}$/;

// The copy's version for If-Match: a hash of its bytes (quoted, as HTTP has it).
const etagOf = (copy) => `"${createHash('sha256').update(copy).digest('hex').slice(0, 32)}"`;

// Whether a PUT's If-Match / If-None-Match condition holds for the current copy (or none).
function conditionHolds(req, current) {
  const ifMatch = req.headers['if-match'];
  const ifNoneMatch = req.headers['if-none-match'];
  if (ifMatch !== undefined) return current !== undefined && (ifMatch.trim() === '*' || ifMatch.split(',').some((t) => t.trim() === etagOf(current)));
  if (ifNoneMatch !== undefined && ifNoneMatch.trim() === '*') return current === undefined;
  return true;
}

function fail(res, status, code, message) {
  res.writeHead(status, { 'Content-Type': 'application/json', 'Cache-Control': 'no-store', ...(status === 413 ? { Connection: 'close' } : {}) });
  res.end(JSON.stringify({ error: { code, message } }));
}

// At most `limit` requests per minute from one address; the address lives only in memory.
function rateLimiter(limit) {
  let window = new Map();
  let started = Date.now();
  return (req) => {
    if (Date.now() - started > 60_000) {
      window = new Map();
      started = Date.now();
    }
    const who = req.socket.remoteAddress || '?';
    const n = (window.get(who) || 0) + 1;
    window.set(who, n);
    return n <= limit;
  };
}

// A copy over the limit is refused with 413 TOO_LARGE (and the connection closed), never
// with a reset connection, so the page can tell "refused" from "unreachable".
const readBody = (req, max) => readLimitedBody(req, max, (size) =>
  Object.assign(new Error(`the copy is too large: ${size} bytes or more; at most ${max} are accepted`), { status: 413, code: 'TOO_LARGE' }));

export function createSyncStore({ file, rateLimit = 600, retainDays = 395, maxCopyBytes = MAX_COPY_BYTES, now = () => Date.now() } = {}) {
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.exec(`CREATE TABLE IF NOT EXISTS copies (handle TEXT PRIMARY KEY, copy BLOB NOT NULL, day INTEGER NOT NULL) WITHOUT ROWID;
           CREATE TABLE IF NOT EXISTS pairings (slot TEXT PRIMARY KEY, copy BLOB NOT NULL, expires INTEGER NOT NULL) WITHOUT ROWID;`);
  const today = () => Math.floor(now() / DAY_MS);
  // Files from before copies had a day: their copies count as used today (not deleted at once).
  if (!db.prepare('SELECT name FROM pragma_table_info(\'copies\')').all().some((c) => c.name === 'day')) {
    db.exec(`ALTER TABLE copies ADD COLUMN day INTEGER NOT NULL DEFAULT ${today()}`);
  }
  const q = {
    put: db.prepare('INSERT INTO copies (handle, copy, day) VALUES (?, ?, ?) ON CONFLICT(handle) DO UPDATE SET copy = excluded.copy, day = excluded.day'),
    get: db.prepare('SELECT copy FROM copies WHERE handle = ?'),
    touch: db.prepare('UPDATE copies SET day = ? WHERE handle = ? AND day < ?'),
    del: db.prepare('DELETE FROM copies WHERE handle = ?'),
    purgeCopies: db.prepare('DELETE FROM copies WHERE day < ?'),
    putPair: db.prepare('INSERT OR REPLACE INTO pairings (slot, copy, expires) VALUES (?, ?, ?)'),
    getPair: db.prepare('SELECT copy FROM pairings WHERE slot = ? AND expires > ?'),
    delPair: db.prepare('DELETE FROM pairings WHERE slot = ?'),
    purge: db.prepare('DELETE FROM pairings WHERE expires <= ?'),
  };
  const takePair = db.transaction((slot, at) => {
    const row = q.getPair.get(slot, at);
    q.delPair.run(slot);
    return row;
  });
  // The condition and the write in one transaction: no other PUT comes in between.
  const putIf = db.transaction((req, handle, copy, day) => {
    if (!conditionHolds(req, q.get.get(handle)?.copy)) return false;
    q.put.run(handle, copy, day);
    return true;
  });
  const readCopy = db.transaction((handle, day) => {
    const row = q.get.get(handle);
    if (row) q.touch.run(day, handle, day);
    return row;
  });
  // Unused copies go at the first request of each hour (a full scan: not on every request).
  let purgedAt = -Infinity;
  const purgeUnused = () => {
    if (now() - purgedAt < PURGE_EVERY_MS) return;
    purgedAt = now();
    q.purgeCopies.run(today() - retainDays);
  };
  const allowed = rateLimiter(rateLimit);

  // Answers a request under SYNC_PREFIX; `rest` is the path after it.
  async function handle(req, res, rest) {
    if (!allowed(req)) return fail(res, 429, 'RATE_LIMITED', 'too many sync requests from this address; try again in a minute');
    const pairing = rest.startsWith('pair/');
    const id = pairing ? rest.slice(5) : rest;
    if (!HEX32.test(id)) return fail(res, 400, 'BAD_HANDLE', `a sync ${pairing ? 'slot' : 'handle'} is 32 lowercase hex characters`);
    try {
      q.purge.run(now());
      purgeUnused();
      if (req.method === 'PUT') {
        const body = await readBody(req, maxCopyBytes);
        if (body.length < MIN_COPY_BYTES || body.subarray(0, 4).toString('latin1') !== 'EMBK') {
          return fail(res, 400, 'BAD_COPY', `a sync copy is a sealed Tante Emma backup ("EMBK", at least ${MIN_COPY_BYTES} bytes); got ${body.length} bytes`);
        }
        if (pairing) q.putPair.run(id, body, now() + PAIRING_MS);
        else if (!putIf(req, id, body, today())) {
          return fail(res, 412, 'CHANGED', 'the sync copy changed since it was read; fetch it, merge and send again');
        }
        res.writeHead(204, { 'Cache-Control': 'no-store' }).end();
        return;
      }
      if (req.method === 'GET') {
        const row = pairing ? takePair(id, now()) : readCopy(id, today());
        if (!row) return fail(res, 404, 'NOT_FOUND', pairing ? 'no pairing copy waits here (codes work once, for 10 minutes)' : 'no sync copy under this handle');
        res.writeHead(200, { 'Content-Type': 'application/octet-stream', 'Content-Length': row.copy.length, 'Cache-Control': 'no-store', ETag: etagOf(row.copy) });
        res.end(row.copy);
        return;
      }
      if (req.method === 'DELETE' && !pairing) {
        q.del.run(id);
        res.writeHead(204, { 'Cache-Control': 'no-store' }).end();
        return;
      }
      res.setHeader('Allow', pairing ? 'GET, PUT' : 'GET, PUT, DELETE');
      return fail(res, 405, 'METHOD', `${req.method} is not a sync operation`);
    } catch (err) {
      return fail(res, err.status || 500, err.code && typeof err.code === 'string' && err.status ? err.code : 'STORE_FAILED', err.message);
    }
  }

  return { handle, close: () => db.close(), file };
}
