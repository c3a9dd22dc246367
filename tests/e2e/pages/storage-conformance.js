// One conformance suite for every storage adapter: memory and fs run it in Node (node:test,
// tests/js/storage-conformance.test.mjs), indexeddb and localstorage in Chromium (this file
// loaded by storage-conformance.html, tests/e2e/storage-conformance.test.mjs). It depends on
// nothing but the adapter, so the same cases run unchanged everywhere.
//
// target: {
//   create(shop)    -> a new adapter instance for that shop (the same place each time)
//   residue(shop)   -> what the backend still holds for that shop, as a list of names
//                      (database names, localStorage keys, files); [] when nothing is left
//   persistent      -> a second instance sees what the first wrote
//   largeBytes      -> how many bytes the "large value" case writes
//   cryptoKeys      -> the adapter keeps CryptoKey objects
// }

class Failure extends Error {}

function fail(message) {
  throw new Failure(message);
}

function show(v) {
  if (v instanceof Uint8Array) return `Uint8Array(${v.length})[${Array.from(v.subarray(0, 8)).join(',')}${v.length > 8 ? ',…' : ''}]`;
  try {
    const s = JSON.stringify(v);
    return s === undefined ? String(v) : s.length > 200 ? `${s.slice(0, 200)}…` : s;
  } catch {
    return String(v);
  }
}

// Deep equality that tells Uint8Array from arrays and objects, and reports the first path
// where two values differ.
function diff(a, b, where = 'value') {
  if (a instanceof Uint8Array || b instanceof Uint8Array) {
    if (!(a instanceof Uint8Array) || !(b instanceof Uint8Array)) return `${where}: ${show(a)} vs ${show(b)}`;
    if (a.length !== b.length) return `${where}: ${a.length} bytes vs ${b.length} bytes`;
    for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return `${where}[${i}]: ${a[i]} vs ${b[i]}`;
    return null;
  }
  if (Array.isArray(a) || Array.isArray(b)) {
    if (!Array.isArray(a) || !Array.isArray(b) || a.length !== b.length) return `${where}: ${show(a)} vs ${show(b)}`;
    for (let i = 0; i < a.length; i++) {
      const d = diff(a[i], b[i], `${where}[${i}]`);
      if (d) return d;
    }
    return null;
  }
  if (a && b && typeof a === 'object' && typeof b === 'object') {
    const ka = Object.keys(a).sort();
    const kb = Object.keys(b).sort();
    if (ka.join('\u0000') !== kb.join('\u0000')) return `${where}: keys ${show(ka)} vs ${show(kb)}`;
    for (const k of ka) {
      const d = diff(a[k], b[k], `${where}.${k}`);
      if (d) return d;
    }
    return null;
  }
  return Object.is(a, b) ? null : `${where}: ${show(a)} vs ${show(b)}`;
}

function same(actual, expected, what) {
  const d = diff(actual, expected);
  if (d) fail(`${what}: ${d}`);
}

async function rejects(promise, code, words, what) {
  let err = null;
  try {
    await promise;
  } catch (e) {
    err = e;
  }
  if (!err) fail(`${what}: expected a rejection with ${code}, but it resolved`);
  if (err.code !== code) fail(`${what}: expected ${code}, got ${err.code || err.name}: ${err.message}`);
  if (words && !words.test(err.message)) fail(`${what}: the message "${err.message}" does not match ${words}`);
}

function bytesOf(n, seed = 1) {
  const b = new Uint8Array(n);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    b[i] = x & 255;
  }
  return b;
}

const ALL_BYTES = Uint8Array.from({ length: 256 }, (_, i) => i);
const OBJECT = {
  id: 'k-01',
  text: 'Grüße, 東京, emoji \u{1F600}, quote " backslash \\ newline \n',
  n: -12.5,
  big: 2 ** 52,
  yes: true,
  no: false,
  nothing: null,
  list: [1, 'two', { three: 3 }, []],
  nested: { deeper: { raw: Uint8Array.from([0, 255, 1, 254]) }, empty: {} },
  iv: bytesOf(12, 7),
};
const ODD_NAMES = ['profile', 'quarantine.1764000000000.profile', 'ünïcødé / ../ name', 'a b%2E.json', 'key.bin'];

export function conformanceCases(target) {
  const shop = (suffix) => `conformance-${suffix}`;
  const cases = [];
  const add = (name, fn) => cases.push({ name, fn });

  add('a missing record reads as undefined; an empty store lists no keys', async () => {
    const s = await target.create(shop('missing'));
    same(await s.get('profile'), undefined, 'get of a missing record');
    same(await s.keys(), [], 'keys of an empty store');
    if (s.getMany) same(await s.getMany(['profile', 'key']), [undefined, undefined], 'getMany of missing records');
    await s.delete('profile');  // not an error
    same(await target.residue(shop('missing')), [], 'reading and deleting must not create anything');
    await s.destroy();
  });

  add('bytes round-trip exactly, as a Uint8Array', async () => {
    const s = await target.create(shop('bytes'));
    const empty = new Uint8Array(0);
    await s.putMany([['all', ALL_BYTES], ['empty', empty], ['random', bytesOf(4099)]]);
    same(await s.get('all'), ALL_BYTES, 'all 256 byte values');
    same(await s.get('empty'), empty, 'zero bytes');
    same(await s.get('random'), bytesOf(4099), '4,099 random bytes');
    await s.destroy();
  });

  add('JSON objects round-trip, with bytes nested inside', async () => {
    const s = await target.create(shop('objects'));
    await s.putMany([['obj', OBJECT], ['str', 'just a string'], ['num', 0], ['arr', [ALL_BYTES, 'x']]]);
    same(await s.get('obj'), OBJECT, 'object');
    same(await s.get('str'), 'just a string', 'string');
    same(await s.get('num'), 0, 'number');
    same(await s.get('arr'), [ALL_BYTES, 'x'], 'array with bytes');
    await s.destroy();
  });

  add('putMany writes every entry, and a later putMany overwrites', async () => {
    const s = await target.create(shop('overwrite'));
    await s.putMany([['key', { id: 'a' }], ['profile', bytesOf(100, 1)]]);
    await s.putMany([['key', { id: 'b' }], ['profile', bytesOf(50, 2)]]);
    same(await s.get('key'), { id: 'b' }, 'key after the second write');
    same(await s.get('profile'), bytesOf(50, 2), 'profile after the second write');
    if (s.getMany) same(await s.getMany(['key', 'profile', 'none']), [{ id: 'b' }, bytesOf(50, 2), undefined], 'getMany');
    await s.destroy();
  });

  add('putMany is all-or-nothing: one entry that cannot be stored fails the whole write', async () => {
    const s = await target.create(shop('atomic'));
    await s.putMany([['key', { id: 'old' }], ['profile', bytesOf(10, 1)]]);
    const bad = [
      ['a function', () => 1],
      ['NaN', Number.NaN],
      ['a Date', new Date(0)],
      ['a nested Map', { inner: new Map() }],
      ['the reserved key', { $bytes: 'AAAA' }],
    ];
    for (const [what, value] of bad) {
      await rejects(
        s.putMany([['key', { id: 'new' }], ['profile', bytesOf(10, 2)], ['extra', 'x'], ['broken', value]]),
        'BAD_REQUEST',
        /"broken"/,
        `putMany with ${what}`,
      );
      same(await s.get('key'), { id: 'old' }, `key after the refused write with ${what}`);
      same(await s.get('profile'), bytesOf(10, 1), `profile after the refused write with ${what}`);
      same(await s.get('extra'), undefined, `a new record of the refused write with ${what}`);
    }
    same((await s.keys()).sort(), ['key', 'profile'], 'keys after the refused writes');
    await s.destroy();
  });

  add('putMany with an undefined value deletes that record in the same write', async () => {
    const s = await target.create(shop('put-delete'));
    await s.putMany([['profile', bytesOf(10, 1)], ['key', { id: 'k' }]]);
    await s.putMany([['quarantine.1.profile', bytesOf(10, 1)], ['profile', undefined], ['key', undefined], ['never', undefined]]);
    same((await s.keys()).sort(), ['quarantine.1.profile'], 'keys after moving a record');
    same(await s.get('quarantine.1.profile'), bytesOf(10, 1), 'the moved record');
    await s.destroy();
  });

  add('delete removes one record and leaves the others', async () => {
    const s = await target.create(shop('delete'));
    await s.putMany([['a', 'A'], ['b', bytesOf(3)], ['c', { c: 1 }]]);
    await s.delete('b');
    same(await s.get('b'), undefined, 'deleted record');
    same(await s.get('a'), 'A', 'other record a');
    same(await s.get('c'), { c: 1 }, 'other record c');
    await s.delete('b');  // again: not an error
    same((await s.keys()).sort(), ['a', 'c'], 'keys after delete');
    await s.destroy();
  });

  add('keys lists exactly the stored names, odd names included', async () => {
    const s = await target.create(shop('keys'));
    await s.putMany(ODD_NAMES.map((n, i) => [n, i % 2 ? { i } : bytesOf(i + 1, i + 1)]));
    same((await s.keys()).sort(), [...ODD_NAMES].sort(), 'keys');
    for (const [i, n] of ODD_NAMES.entries()) same(await s.get(n), i % 2 ? { i } : bytesOf(i + 1, i + 1), `record "${n}"`);
    await s.destroy();
  });

  add('values are copies: changing what was put or read changes nothing stored', async () => {
    const s = await target.create(shop('copies'));
    const bytes = bytesOf(16);
    const obj = { list: [1, 2], raw: bytesOf(4) };
    await s.putMany([['b', bytes], ['o', obj]]);
    bytes.fill(0);
    obj.list.push(3);
    obj.raw[0] ^= 0xff;
    same(await s.get('b'), bytesOf(16), 'bytes after changing the original');
    same(await s.get('o'), { list: [1, 2], raw: bytesOf(4) }, 'object after changing the original');
    const read = await s.get('b');
    read.fill(9);
    same(await s.get('b'), bytesOf(16), 'bytes after changing what was read');
    await s.destroy();
  });

  add('destroy removes every record and the container itself', async () => {
    const s = await target.create(shop('destroy'));
    await s.putMany([['key', { id: 'k' }], ['profile', bytesOf(64)], ['quarantine.5.profile', bytesOf(8)]]);
    if (target.persistent && (await target.residue(shop('destroy'))).length === 0) fail('residue() sees nothing after a write: it cannot prove destroy works');
    await s.destroy();
    same(await s.keys(), [], 'keys after destroy');
    same(await s.get('profile'), undefined, 'profile after destroy');
    same(await target.residue(shop('destroy')), [], 'what the backend still holds after destroy');
    if (target.persistent) {
      const fresh = await target.create(shop('destroy'));
      same(await fresh.keys(), [], 'keys seen by a new instance after destroy');
      same(await target.residue(shop('destroy')), [], 'what the backend holds after a new instance looked');
    }
  });

  add('the store works again after destroy (consent granted again)', async () => {
    const s = await target.create(shop('again'));
    await s.putMany([['profile', bytesOf(8, 1)]]);
    await s.destroy();
    await s.putMany([['profile', bytesOf(8, 2)]]);
    same(await s.get('profile'), bytesOf(8, 2), 'profile written after destroy');
    await s.destroy();
    same(await target.residue(shop('again')), [], 'after the second destroy');
  });

  add('large values round-trip', async () => {
    const s = await target.create(shop('large'));
    const big = bytesOf(target.largeBytes, 99);
    const wide = {};
    for (let i = 0; i < 5000; i++) wide[`item-${i}`] = { w: i / 7, at: 1764000000000 + i };
    await s.putMany([['profile', big], ['wide', wide]]);
    same(await s.get('profile'), big, `${target.largeBytes} bytes`);
    same(await s.get('wide'), wide, 'an object of 5,000 entries');
    await s.destroy();
  });

  add('shops are kept apart, also when one is destroyed', async () => {
    const a = await target.create(shop('apart'));
    const b = await target.create(shop('apart-2'));
    await a.putMany([['profile', bytesOf(8, 1)]]);
    await b.putMany([['profile', bytesOf(8, 2)]]);
    same(await a.get('profile'), bytesOf(8, 1), 'shop A');
    same(await b.get('profile'), bytesOf(8, 2), 'shop B');
    await a.destroy();
    same(await b.get('profile'), bytesOf(8, 2), 'shop B after A was destroyed');
    same(await target.residue(shop('apart')), [], 'shop A residue');
    await b.destroy();
  });

  if (target.persistent) {
    add('a new instance sees what another wrote, deletes included', async () => {
      const first = await target.create(shop('reopen'));
      await first.putMany([['key', OBJECT], ['profile', bytesOf(300, 3)], ['gone', 'x']]);
      await first.delete('gone');
      if (first.close) await first.close();
      const second = await target.create(shop('reopen'));
      same(await second.get('key'), OBJECT, 'key seen by the new instance');
      same(await second.get('profile'), bytesOf(300, 3), 'profile seen by the new instance');
      same((await second.keys()).sort(), ['key', 'profile'], 'keys seen by the new instance');
      await second.putMany([['profile', bytesOf(5, 4)]]);
      same(await first.get('profile'), bytesOf(5, 4), 'the first instance sees the second one\'s write');
      await second.destroy();
    });
  }

  add(target.cryptoKeys ? 'a non-extractable CryptoKey is kept and still works' : 'a CryptoKey is refused with BAD_REQUEST', async () => {
    if (!globalThis.crypto || !crypto.subtle || typeof CryptoKey !== 'function') fail('this environment has no WebCrypto');
    const key = await crypto.subtle.generateKey({ name: 'AES-GCM', length: 256 }, false, ['encrypt', 'decrypt']);
    const s = await target.create(shop('cryptokey'));
    if (!target.cryptoKeys) {
      await rejects(s.putMany([['key', { wrappingKey: key }]]), 'BAD_REQUEST', /CryptoKey/, 'putMany of a CryptoKey');
      same(await s.keys(), [], 'keys after the refused CryptoKey');
      await s.destroy();
      return;
    }
    const iv = bytesOf(12, 5);
    const sealed = new Uint8Array(await crypto.subtle.encrypt({ name: 'AES-GCM', iv }, key, bytesOf(32, 6)));
    await s.putMany([['key', { wrappingKey: key, iv, sealed }]]);
    if (s.close) await s.close();
    const again = await target.create(shop('cryptokey'));
    const rec = await again.get('key');
    if (!(rec.wrappingKey instanceof CryptoKey)) fail(`the stored key came back as ${show(rec.wrappingKey)}`);
    same(rec.wrappingKey.extractable, false, 'extractable');
    const opened = new Uint8Array(await crypto.subtle.decrypt({ name: 'AES-GCM', iv: rec.iv }, rec.wrappingKey, rec.sealed));
    same(opened, bytesOf(32, 6), 'what the stored key decrypts');
    await again.destroy();
  });

  return cases;
}

// Runs every case in order (browsers): [{ name, ok, error }].
export async function runConformance(target) {
  const results = [];
  for (const c of conformanceCases(target)) {
    try {
      await c.fn();
      results.push({ name: c.name, ok: true });
    } catch (err) {
      results.push({ name: c.name, ok: false, error: `${err.name === 'Error' || err instanceof Failure ? '' : `${err.name}: `}${err.message}` });
    }
  }
  return results;
}
