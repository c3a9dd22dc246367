// Inputs the API fuzz found (issue #14), minimized by hand and kept: each runs as its own
// test through the same properties (tests/js/api-fuzz.test.mjs). Values JSON cannot hold
// are written as the code that builds them. `args(world)` gets the fuzz's world (valid item
// ids, a backup); `closed`: the call is made after close(); `storage: 'memory'` skips the
// reopen check; `withSync`: the instance has a sync endpoint.
import { nest, throwingProxy, withCycle } from './hostile.mjs';

const throwingGetter = () => Object.defineProperty({ type: 'view' }, 'item', { enumerable: true, get() { throw new Error('getter says no'); } });

export const REGRESSIONS = [
  // Values JSON.stringify cannot serialise escaped as TypeError / RangeError / Error.
  { name: 'track: a BigInt item', method: 'track', args: () => [{ type: 'view', item: 1n }] },
  { name: 'recommend: a cycle in the rules', method: 'recommend', args: () => [{ scenario: 'for_you', rules: withCycle({}) }] },
  { name: 'profile.object: a BigInt flag', method: 'profile.object', args: () => [10n] },
  { name: 'explain: an item nested 5,000 arrays deep', method: 'explain', args: () => [nest(5000, 'array')] },
  { name: 'track: an event nested 5,000 objects deep', method: 'track', args: () => [nest(5000, 'object')] },
  { name: 'track: a toJSON that throws', method: 'track', args: () => [{ toJSON() { throw new Error('toJSON says no'); } }] },
  { name: 'track: a getter that throws', method: 'track', args: () => [throwingGetter()] },
  { name: 'recommend: a Proxy that throws on every read', method: 'recommend', args: () => [throwingProxy()] },
  // Lone UTF-16 surrogates: the engine could not parse the request Emma wrote.
  { name: 'track: a search query with a lone high surrogate', method: 'track', args: () => [{ type: 'search', query: 'mug\ud800' }] },
  { name: 'consent.grant: a text with a lone low surrogate', method: 'consent.grant', args: () => ['personalization', { version: '1', text: 'a\udc00', source: 'banner' }] },
  // Arguments read in emma.js before anything is validated.
  { name: 'profile.backup(null)', method: 'profile.backup', args: () => [null] },
  { name: 'profile.restore(bytes, null)', method: 'profile.restore', args: (world) => [world.backup.bytes.slice(), null] },
  { name: 'sync.enable(null)', method: 'sync.enable', withSync: true, args: () => [null] },
  { name: 'profile.forget: a Proxy that throws on every read', method: 'profile.forget', args: () => [throwingProxy()] },
  { name: 'consent.grant: details a Proxy that throws on every read', method: 'consent.grant', args: () => ['personalization', throwingProxy()] },
  { name: 'on: a Symbol as the event name', method: 'on', args: () => [Symbol('error'), () => {}] },
  { name: 'on: a null-prototype object as the event name', method: 'on', args: () => [Object.create(null), () => {}] },
  { name: 'storage.deleteSetAside: a BigInt id (the error message serialises it)', method: 'storage.deleteSetAside', args: () => [1n] },
  // After close(), methods that resolved or answered another code.
  { name: 'after close: storage.info', closed: true, storage: 'memory', method: 'storage.info', args: () => [] },
  { name: 'after close: storage.setAside', closed: true, storage: 'memory', method: 'storage.setAside', args: () => [] },
  { name: 'after close: storage.rotateKey', closed: true, storage: 'memory', method: 'storage.rotateKey', args: () => [] },
  { name: 'after close: storage.deleteSetAside', closed: true, storage: 'memory', method: 'storage.deleteSetAside', args: () => ['quarantine.1'] },
  { name: 'after close: sync.push without a sync endpoint', closed: true, storage: 'memory', method: 'sync.push', args: () => [] },
];
