// The tab coordinator (js-bindings/src/storage/tabs.js) against a lock manager that behaves
// like navigator.locks (exclusive locks granted in request order, query() of held locks):
// the browser tests show the outcome (no lost events); this shows the announcement rules.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TabSync, digest } from '../../js-bindings/src/storage/tabs.js';

function fakeLocks() {
  const held = new Map();  // name -> queue of waiting grants
  const locks = {
    async request(name, ...rest) {
      const cb = rest.at(-1);
      while (held.has(name)) await held.get(name);
      let done;
      held.set(name, new Promise((r) => (done = r)));
      try {
        return await cb({ name });
      } finally {
        held.delete(name);
        done();
      }
    },
    async query() {
      return { held: [...held.keys()].map((name) => ({ name, mode: 'exclusive' })), pending: [] };
    },
  };
  return locks;
}

function withNavigator(locks, fn) {
  const before = Object.getOwnPropertyDescriptor(globalThis, 'navigator');
  Object.defineProperty(globalThis, 'navigator', { value: { locks }, configurable: true });
  try {
    return fn();
  } finally {
    if (before) Object.defineProperty(globalThis, 'navigator', before);
    else delete globalThis.navigator;
  }
}

test('a tab waits only for a newer write announced by another tab, and lets its own go when superseded', async () => {
  const locks = fakeLocks();
  const [a, b] = withNavigator(locks, () => [new TabSync('tante-emma:s', () => {}), new TabSync('tante-emma:s', () => {})]);
  assert.equal(a.locking, true);
  assert.equal(await a.lastWrite(), null, 'nothing announced yet');
  await a.announce('d1');
  assert.equal(await a.lastWrite(), null, 'its own write is not waited for');
  assert.deepEqual(await b.lastWrite(), { seq: 1, digest: 'd1', name: 'tante-emma:s#wrote:1:d1' });
  await b.announce('d2');
  assert.deepEqual((await locks.query()).held.map((l) => l.name), ['tante-emma:s#wrote:1:d1', 'tante-emma:s#wrote:2:d2']);
  assert.deepEqual(await a.lastWrite(), { seq: 2, digest: 'd2', name: 'tante-emma:s#wrote:2:d2' });
  await new Promise((r) => setImmediate(r));
  assert.deepEqual((await locks.query()).held.map((l) => l.name), ['tante-emma:s#wrote:2:d2'], 'the superseded announcement is released');
  await b.announce('none');
  assert.deepEqual((await locks.query()).held.map((l) => l.name), ['tante-emma:s#wrote:3:none'], 'a tab holds one announcement');
  b.close();
  a.close();
  await new Promise((r) => setImmediate(r));
  assert.deepEqual((await locks.query()).held, []);
});

test('withLock runs one holder at a time, in order', async () => {
  const locks = fakeLocks();
  const [a, b] = withNavigator(locks, () => [new TabSync('tante-emma:s', () => {}), new TabSync('tante-emma:s', () => {})]);
  const log = [];
  const work = (who) => async () => {
    log.push(`${who} in`);
    await new Promise((r) => setTimeout(r, 5));
    log.push(`${who} out`);
  };
  await Promise.all([a.withLock(work('a')), b.withLock(work('b')), a.withLock(work('c'))]);
  assert.deepEqual(log, ['a in', 'a out', 'b in', 'b out', 'c in', 'c out']);
  a.close();
  b.close();
});

test('without Web Locks nothing is announced and nothing waits', async () => {
  const t = withNavigator(undefined, () => new TabSync('tante-emma:s', () => {}));
  assert.equal(t.locking, false);
  await t.announce('d');
  assert.equal(await t.lastWrite(), null);
  assert.equal(await t.withLock(async () => 7), 7);
  t.close();
});

test('digest tells sealed profiles apart and says none for no profile', () => {
  assert.equal(digest(undefined), 'none');
  assert.notEqual(digest(Uint8Array.from([1, 2, 3])), digest(Uint8Array.from([1, 2, 4])));
  assert.notEqual(digest(new Uint8Array(3)), digest(new Uint8Array(4)));
  assert.equal(digest(Uint8Array.from([9, 9])), digest(Uint8Array.from([9, 9])));
});
