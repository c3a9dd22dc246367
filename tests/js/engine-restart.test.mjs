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

const require = createRequire(import.meta.url);
const wasmBinary = new Uint8Array(await readFile(new URL('../../js-bindings/dist/emma.wasm', import.meta.url)));
const factory = require('../../js-bindings/dist/emma-node.cjs');

// The second call of an instance is bundle.load (after configure): `trapping(n)` makes the
// first n instances trap there, the way JSC's does.
function env(trapping) {
  let instances = 0;
  return {
    instances: () => instances,
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
            if (traps && ++calls === 2) throw new WebAssembly.RuntimeError('Out of bounds memory access');
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
