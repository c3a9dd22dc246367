// A trap while Emma starts (docs/browsers.md, "A WebKit trap": WebKit's baseline wasm compiler
// now and then traps inside BLAKE2b while it checks the bundle) costs one fresh instance, not
// the shopper's personalisation: createEmma starts the real engine again, once, and says so
// on the `error` event. A trap that repeats is reported as ENGINE_FAILED, as before.
// The trap is simulated (a wrapper around the real Node engine throws the RuntimeError JSC
// throws, on the instance's bundle.load); everything else is the real engine.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { createEmmaWith } from '../../js-bindings/src/emma.js';
import { MemoryStorage } from '../../js-bindings/src/storage/memory.js';
import { EmmaError } from '../../js-bindings/src/errors.js';

const require = createRequire(import.meta.url);
const wasmBinary = new Uint8Array(await readFile(new URL('../../js-bindings/dist/emma.wasm', import.meta.url)));
const factory = require('../../js-bindings/dist/emma-node.cjs');

// The second call of an instance is bundle.load (after configure): `trapping(n)` makes the
// first n instances trap there, the way JSC's does. `trapOn(op, n)`: the next n calls of that
// op, in whichever instance, trap (a trap later in a session).
function env(trapping) {
  let instances = 0;
  const pending = new Map();
  return {
    instances: () => instances,
    trapOn: (op, n = 1) => pending.set(op, n),
    defaultStorage: 'memory',
    openStorage: () => MemoryStorage.create(),
    fetchBytes: async () => { throw new Error('not used'); },
    async loadModule() {
      const real = await factory({ wasmBinary, print: () => {}, printErr: () => {} });
      const traps = instances++ < trapping;
      let calls = 0;
      return new Proxy(real, {
        get(target, name) {
          if (name !== '_emma_call') return target[name];
          return (...args) => {
            const [, ptr, len] = args;
            const op = JSON.parse(new TextDecoder().decode(real.HEAPU8.subarray(ptr, ptr + len))).op;
            const trapOp = pending.get(op) > 0 && pending.set(op, pending.get(op) - 1);
            if ((traps && ++calls === 2) || trapOp) throw new WebAssembly.RuntimeError('Out of bounds memory access');
            return target._emma_call(...args);
          };
        },
      });
    },
  };
}

const bundle = new Uint8Array(await readFile(new URL('../../build/demo/shop.bundle', import.meta.url)));

test('a trap while the bundle loads: a fresh instance starts, the page hears it once, Emma answers', async () => {
  const e = env(1);
  const heard = [];
  const emma = await createEmmaWith(e, { shop: 'restart.example', bundle, on: { error: (err) => heard.push(err) } });
  assert.equal(e.instances(), 2);
  assert.equal(heard.length, 1);
  assert.equal(heard[0].code, 'ENGINE_FAILED');
  assert.match(heard[0].message, /started again with a fresh instance after: .*bundle\.load.*Out of bounds memory access/);
  const answer = await emma.recommend({ scenario: 'trending', limit: 3 });
  assert.equal(answer.items.length, 3);
  await emma.close();
});

test('a trap that repeats is reported as ENGINE_FAILED, after one more try', async () => {
  const e = env(2);
  await assert.rejects(createEmmaWith(e, { shop: 'restart.example', bundle }), (err) => err.code === 'ENGINE_FAILED' && /bundle\.load/.test(err.message));
  assert.equal(e.instances(), 2);
});

test('a bad bundle is not retried: its error is the bundle\'s', async () => {
  const e = env(0);
  await assert.rejects(createEmmaWith(e, { shop: 'restart.example', bundle: new Uint8Array(64) }), (err) => err.code === 'BAD_BUNDLE');
  assert.equal(e.instances(), 1);
});

// A trap later in the session (docs/browsers.md, "A WebKit trap"): the stored profile is what
// every change wrote before it returned, so a fresh instance opens it and the call runs again.
const grant = { version: 'v1', text: 'Personalised recommendations', source: 'banner' };
const items = JSON.parse(await readFile(new URL('../../demo/catalog.json', import.meta.url), 'utf8')).items.map((i) => i.id);

async function shopper(e, heard) {
  // A store that outlives the engine instance (as IndexedDB does): records in memory here.
  const storage = await MemoryStorage.create();
  storage.persistent = true;
  e.openStorage = () => storage;
  const emma = await createEmmaWith(e, { shop: 'restart.example', bundle, on: { error: (err) => heard.push(err) } });
  await emma.consent.grant('personalization', grant);
  for (const item of items.slice(0, 3)) assert.equal((await emma.track({ type: 'view', item })).stored, true);
  return { emma, storage };
}

for (const op of ['track', 'profile.seal']) {
  test(`a trap mid-session in ${op}: the stored profile opens in a fresh instance, the change is made once, the page hears it`, async () => {
    const e = env(0);
    const heard = [];
    const { emma, storage } = await shopper(e, heard);
    assert.equal((await emma.profile.export()).event_count, 3);
    e.trapOn(op);
    const tracked = await emma.track({ type: 'view', item: items[3] });
    assert.deepEqual(tracked, { recorded: true, stored: true });
    assert.equal(e.instances(), 2);
    assert.equal(heard.length, 1);
    assert.equal(heard[0].code, 'ENGINE_FAILED');
    assert.match(heard[0].message, new RegExp(`stored profile reopened, after: .*\\(${op.replace('.', '\\.')}\\).*Out of bounds`));
    const exported = await emma.profile.export();
    assert.equal(exported.event_count, 4);
    assert.deepEqual(exported.recently_viewed.map((v) => v.item ?? v.id ?? v).slice(0, 4).sort(), items.slice(0, 4).sort());
    assert.equal((await emma.consent.state()).personalization.granted, true);
    assert.ok((await emma.recommend({ scenario: 'for_you', limit: 4 })).personalized);
    // And the new instance is what storage now holds: a third instance opens the same profile.
    const e2 = env(0);
    e2.openStorage = () => storage;
    const again = await createEmmaWith(e2, { shop: 'restart.example', bundle });
    assert.equal((await again.profile.export()).event_count, 4);
    await again.close();
    await emma.close();
  });
}

test('a trap that repeats mid-session: twice a page, then ENGINE_FAILED; the stored profile is kept', async () => {
  const e = env(0);
  const heard = [];
  const { emma, storage } = await shopper(e, heard);
  const stored = new Uint8Array(storage.records.get('profile'));
  e.trapOn('track', 100);
  await assert.rejects(emma.track({ type: 'view', item: items[3] }), (err) => err.code === 'ENGINE_FAILED' && /\(track\)/.test(err.message));
  await assert.rejects(emma.track({ type: 'view', item: items[4] }), (err) => err.code === 'ENGINE_FAILED');
  await assert.rejects(emma.recommend({ scenario: 'trending' }), (err) => err.code === 'ENGINE_FAILED');
  assert.equal(e.instances(), 3);
  assert.equal(heard.filter((x) => x.code === 'ENGINE_FAILED').length, 2);
  assert.deepEqual(new Uint8Array(storage.records.get('profile')), stored);
  await emma.close();
});

test('an error of the request is not a trap: no fresh instance', async () => {
  const e = env(0);
  const heard = [];
  const { emma } = await shopper(e, heard);
  await assert.rejects(emma.track({ type: 'teleport', item: items[0] }), (err) => err.code === 'BAD_EVENT');
  assert.equal(e.instances(), 1);
  assert.equal(heard.length, 0);
  await emma.close();
});

test('a change that traps while it is stored runs again, and the page hears its consent event once', async () => {
  const e = env(0);
  const heard = [];
  const storage = await MemoryStorage.create();
  storage.persistent = true;
  e.openStorage = () => storage;
  const emma = await createEmmaWith(e, { shop: 'restart.example', bundle, on: { error: (err) => heard.push(err.code) } });
  const consents = [];
  emma.on('consent', (state) => consents.push(state.personalization.granted));
  e.trapOn('profile.seal');
  await emma.consent.grant('personalization', grant);
  assert.deepEqual(consents, [true]);
  assert.deepEqual(heard, ['ENGINE_FAILED']);
  assert.equal((await emma.consent.records()).filter((r) => r.purpose === 'personalization').length, 1);
  await emma.close();
});

test('a trap after storage failed: the page hears that this page\'s state is gone, and the consent it has now', async () => {
  const e = env(0);
  const heard = [];
  const { emma, storage } = await shopper(e, heard);
  const stored = new Uint8Array(storage.records.get('profile'));
  storage.putMany = async () => { throw new EmmaError('STORAGE_QUOTA', 'the store is full'); };
  const consents = [];
  emma.on('consent', (state) => consents.push(state.personalization.granted));
  assert.equal((await emma.track({ type: 'view', item: items[3] })).stored, false);
  e.trapOn('recommend');
  await emma.recommend({ scenario: 'trending', limit: 2 });
  assert.deepEqual(heard.map((x) => x.code), ['STORAGE_QUOTA', 'ENGINE_FAILED']);
  assert.match(heard[1].message, /in memory \(storage had failed\): what this page held since may be lost/);
  assert.deepEqual(consents, [false]);
  assert.deepEqual(new Uint8Array(storage.records.get('profile')), stored);  // the stored profile, kept for the next page
  await emma.close();
});

test('a trap mid-session keeps what the consent sources said: GPC, never stored, still refuses insights', async () => {
  const e = env(0);
  const heard = [];
  const { emma } = await shopper(e, heard);
  await emma.consent.signal('gpc', { enabled: true });
  const refused = (err) => err.code === 'NO_CONSENT';
  await assert.rejects(emma.consent.grant('insights', grant), refused);
  e.trapOn('track');
  assert.deepEqual(await emma.track({ type: 'view', item: items[3] }), { recorded: true, stored: true });
  assert.equal(e.instances(), 2);
  await assert.rejects(emma.consent.grant('insights', grant), refused);
  assert.equal((await emma.consent.state()).insights.granted, false);
  await emma.close();
});

test('a trap mid-session does not replay a CMP\'s older signal over a later grant', async () => {
  const e = env(0);
  const storage = await MemoryStorage.create();
  storage.persistent = true;
  e.openStorage = () => storage;
  const emma = await createEmmaWith(e, { shop: 'restart.example', bundle });
  await emma.consent.signal('consent-mode', { personalization_storage: 'denied' });
  await emma.consent.grant('personalization', grant);
  e.trapOn('track');
  assert.deepEqual(await emma.track({ type: 'view', item: items[0] }), { recorded: true, stored: true });
  assert.equal(e.instances(), 2);
  assert.equal((await emma.consent.state()).personalization.granted, true);
  assert.deepEqual(await emma.track({ type: 'view', item: items[1] }), { recorded: true, stored: true });
  await emma.close();
});

// The embed's move to the engine with the shopper's rights (js-bindings/src/emma.js
// #withRights; here both roles are the package's engine, which has every operation): a trap in
// the new instance while it starts or takes the session in costs one more fresh instance.
for (const op of ['bundle.load', 'state.adopt']) {
  test(`moving to the engine with rights: a trap in the new instance (${op}) is retried once, the session arrives whole`, async () => {
    const e = env(0);
    const heard = [];
    const storage = await MemoryStorage.create();
    storage.persistent = true;
    e.openStorage = () => storage;
    const emma = await createEmmaWith(e, { shop: 'restart.example', bundle, _rights: {}, on: { error: (err) => heard.push(err) } });
    await emma.consent.grant('personalization', grant);
    for (const item of items.slice(0, 3)) await emma.track({ type: 'view', item });
    e.trapOn(op);
    const exported = await emma.profile.export();
    assert.equal(exported.event_count, 3);
    assert.equal(e.instances(), 3, 'the page engine, a trapped instance, a fresh one');
    assert.deepEqual((await emma.track({ type: 'view', item: items[3] })).stored, true);
    assert.equal((await emma.profile.export()).event_count, 4);
    assert.equal(e.instances(), 3, 'the session stays on the engine with rights');
    if (op === 'bundle.load') assert.match(heard.map((x) => x.message).join('\n'), /rights started again with a fresh instance/);
    await emma.close();
  });
}

// The data key is read again for the engine with rights. When that read fails, the move still
// happens, the page hears why, and nothing is lost: the next write stores a new key with the
// profile in one write, and the next page view opens all of it.
test('moving to the engine with rights: a data key that cannot be read is reported, and the next write keeps everything', async () => {
  const e = env(0);
  const heard = [];
  const storage = await MemoryStorage.create();
  storage.persistent = true;
  const get = storage.get.bind(storage);
  let keyFails = false;
  storage.get = async (name) => {
    if (name === 'key' && keyFails) throw new Error('the disk said no');
    return get(name);
  };
  e.openStorage = () => storage;
  const emma = await createEmmaWith(e, { shop: 'restart.example', bundle, _rights: {}, on: { error: (err) => heard.push(err) } });
  await emma.consent.grant('personalization', grant);
  for (const item of items.slice(0, 3)) await emma.track({ type: 'view', item });
  const keyBefore = (await get('key')).id;
  keyFails = true;
  assert.equal((await emma.profile.export()).event_count, 3);
  keyFails = false;
  assert.equal(heard.length, 1);
  assert.equal(heard[0].code, 'STORAGE_FAILED');
  assert.match(heard[0].message, /the data key could not be read \(.*the disk said no\); the next write stores the profile under a new key/);
  assert.equal((await emma.track({ type: 'view', item: items[3] })).stored, true);
  assert.notEqual((await get('key')).id, keyBefore, 'a new key, stored with the profile');
  await emma.close();
  const again = await createEmmaWith({ ...env(0), openStorage: () => storage }, { shop: 'restart.example', bundle, _rights: {} });
  assert.equal((await again.profile.export()).event_count, 4);
  await again.close();
});
