// What a page might pass to the public API by mistake or on purpose, as fast-check
// arbitraries: values JSON cannot carry (BigInt, cycles, symbols, functions, undefined),
// values that stress the parser (deep nesting, huge strings, lone UTF-16 surrogates), objects
// whose getters or toJSON throw, and "almost valid" calls (a valid call with one field
// replaced) so that inputs reach the engine's deep validation. Shared by the Node fuzz and
// the browser fuzz (bundled for the page by tests/e2e/api-fuzz.test.mjs).
import fc from 'fast-check';

// Builds `depth` levels of nesting around `leaf` without recursion (a 6,000-deep value must
// not overflow this side's stack before it reaches Emma's).
export function nest(depth, kind, leaf = 0) {
  let v = leaf;
  for (let i = 0; i < depth; i++) v = kind === 'array' ? [v] : { a: v };
  return v;
}

// The first object or array inside `root` (or root itself) gets a property pointing back to
// root: a cycle JSON.stringify refuses.
export function withCycle(root) {
  const holder = root !== null && typeof root === 'object' ? root : { value: root };
  if (Array.isArray(holder)) holder.push(holder);
  else holder.self = holder;
  return holder;
}

const loneSurrogate = fc
  .tuple(fc.string({ maxLength: 6 }), fc.integer({ min: 0xd800, max: 0xdfff }), fc.string({ maxLength: 6 }))
  .map(([a, unit, b]) => a + String.fromCharCode(unit) + b);

// Up to ~2 million UTF-16 units: well past every documented length limit.
const hugeString = fc
  .tuple(fc.constantFrom('a', 'é', '\u{1d11e}', '\u0000', '"', '\\', '\ud800'), fc.integer({ min: 257, max: 2_000_000 }))
  .map(([unit, n]) => unit.repeat(n));

const deep = fc
  .tuple(fc.integer({ min: 60, max: 6000 }), fc.constantFrom('array', 'object'))
  .map(([depth, kind]) => nest(depth, kind));

const hugeArray = fc.integer({ min: 1000, max: 300_000 }).map((n) => new Array(n).fill('85123A'));

const oddNumber = fc.constantFrom(NaN, Infinity, -Infinity, -0, Number.MAX_VALUE, Number.MIN_VALUE, 2 ** 53 + 1, -(2 ** 63), 1e308);

const symbol = fc.string({ maxLength: 4 }).map((s) => Symbol(s));
// eslint-disable-next-line no-empty-function
const fn = fc.constantFrom(() => 1, function named() {}, async () => {}, class Klass {});
const bigint = fc.bigInt({ min: -(2n ** 70n), max: 2n ** 70n });

// Objects a page can build that break whoever reads them: a throwing getter, a throwing or
// hostile toJSON, a Proxy that throws on every access, a null-prototype object. Each says
// what it is to fast-check's printer (which would otherwise trip over it too).
const printsAs = (value, text) => Object.defineProperty(value, fc.toStringMethod, { value: () => text });
const trap = fc.constantFrom('getter', 'toJSON', 'toJSON-bigint', 'proxy', 'null-proto', 'date-invalid').map((kind) => {
  switch (kind) {
    case 'getter': return printsAs(Object.defineProperty({}, 'item', { enumerable: true, get() { throw new Error('getter says no'); } }), 'throwingGetter()');
    case 'toJSON': return printsAs({ toJSON() { throw new Error('toJSON says no'); } }, 'throwingToJSON()');
    case 'toJSON-bigint': return printsAs({ toJSON() { return 1n; } }, 'toJSONgivingBigInt()');
    case 'proxy': return throwingProxy();
    case 'null-proto': return Object.assign(Object.create(null), { type: 'view', item: '85123A' });
    default: return new Date(NaN);
  }
});

export function throwingProxy() {
  return new Proxy({}, {
    get(_, key) {
      if (key === fc.toStringMethod) return () => 'throwingProxy()';
      throw new Error('proxy says no');
    },
    has(_, key) { return key === fc.toStringMethod; },
    ownKeys() { throw new Error('proxy says no'); },
  });
}

// One hostile value. `fc.anything` brings plain JSON-ish trees with BigInt, boxed values,
// Maps, Sets, typed arrays, sparse arrays and null-prototype objects.
export function hostileValue() {
  const leaf = fc.oneof(
    { arbitrary: fc.anything({ withBigInt: true, withBoxedValues: true, withMap: true, withSet: true, withTypedArray: true, withSparseArray: true, withNullPrototype: true, withDate: true, maxDepth: 3 }), weight: 4 },
    { arbitrary: fc.oneof(symbol, fn, fc.constant(undefined), bigint, oddNumber), weight: 3 },
    { arbitrary: loneSurrogate, weight: 3 },
    { arbitrary: fc.oneof(hugeString, hugeArray), weight: 1 },
    { arbitrary: deep, weight: 1 },
    { arbitrary: trap, weight: 1 },
  );
  // A cycle around a hostile leaf, built after generation (fast-check values are trees).
  const cyclic = fc.tuple(fc.constantFrom('object', 'array'), leaf).map(([kind, v]) => withCycle(kind === 'array' ? [v] : { v }));
  return fc.oneof({ arbitrary: leaf, weight: 6 }, { arbitrary: cyclic, weight: 1 });
}

// Every path to a replaceable field of `args` (arrays and plain objects, not bytes), the
// top-level argument positions first. A path one past the end of an array, or a new key,
// adds a field instead.
function fieldPaths(value, prefix = [], out = []) {
  if (Array.isArray(value)) {
    value.forEach((v, i) => { out.push([...prefix, i]); fieldPaths(v, [...prefix, i], out); });
    out.push([...prefix, value.length]);
  } else if (value && typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype) {
    for (const [k, v] of Object.entries(value)) { out.push([...prefix, k]); fieldPaths(v, [...prefix, k], out); }
    out.push([...prefix, 'extra']);
  }
  return out;
}

function replaceAt(args, path, value) {
  let parent = args;
  for (const step of path.slice(0, -1)) parent = parent[step];
  parent[path[path.length - 1]] = value;
  return args;
}

// The valid calls the fuzz starts from, per public method. `world`: { items, categories,
// query, backup: { bytes, passphrase }, sync: { syncId, passphrase } | null }. Each entry
// is a function so that every call gets fresh argument objects.
export function validCalls(world) {
  const [a, b, c] = world.items;
  const grant = (p) => ({ version: '2026-11', text: `Yes to ${p}.`, source: 'banner', lang: 'en' });
  const sync = world.sync || { syncId: '0123456789abcdef0123456789abcdef', passphrase: 'a sync passphrase' };
  return {
    track: [
      () => [{ type: 'view', item: a }], () => [{ type: 'click', item: b, at: world.now() }],
      () => [{ type: 'add_to_cart', item: c, quantity: 2 }], () => [{ type: 'remove_from_cart', item: c }],
      () => [{ type: 'purchase', item: a, quantity: 1 }], () => [{ type: 'search', query: world.query }],
      () => [{ type: 'category_view', category: world.categories[0] }], () => [{ type: 'dwell', item: b, seconds: 30 }],
    ],
    recommend: [
      () => [{ scenario: 'for_you', limit: 4 }], () => [{ scenario: 'similar', item: a, limit: 3 }],
      () => [{ scenario: 'bought_together', items: [a, b] }], () => [{ scenario: 'trending', window: '7d' }],
      () => [{ scenario: 'recently_viewed' }], () => [{ scenario: 'rerank', items: [a, b, c], query: world.query }],
      () => [{ scenario: 'pick_variant', variants: [{ id: 'v1', categories: [world.categories[0]] }, { id: 'v2', segments: ['new'] }] }],
      () => [{ scenario: 'segments' }],
      () => [{
        scenario: 'for_you', limit: 8, seed: 7, rules: {
          inStock: true, categories: { include: [world.categories[0]], exclude: [] }, brands: [], tags: { exclude: ['x'] },
          price: { min: 0, max: 100 }, excludePurchased: true, repurchaseWindowDays: 30, excludeItems: [c], excludeCurrent: true,
          excludeCart: false, boost: [{ field: 'category', value: world.categories[0], factor: 2 }], pin: [{ item: b, position: 0 }],
          diversity: { maxPerCategory: 2, lambda: 0.5 },
        },
      }],
    ],
    explain: [() => [a]],
    'consent.grant': [() => ['personalization', grant('personalization')], () => ['insights', grant('insights')], () => ['sync', grant('sync')]],
    'consent.withdraw': [() => ['insights'], () => ['sync', { source: 'privacy-centre' }], () => ['personalization', { source: 'banner' }]],
    'consent.state': [() => []],
    'consent.records': [() => []],
    'consent.signal': [
      () => ['tcf', { gdprApplies: true, eventStatus: 'useractioncomplete', purpose: { consents: { 1: true, 5: true, 6: true } } }],
      () => ['consent-mode', { personalization_storage: 'granted' }], () => ['gpc', { enabled: true }],
    ],
    'profile.export': [() => []],
    'profile.object': [() => [true], () => [false]],
    'profile.forget': [() => [{ item: a }], () => [{ category: world.categories[0] }], () => [{ search: world.query }]],
    'profile.backup': [() => [{ passphrase: 'a long passphrase', kdf: { opslimit: 2, memlimit_kib: 19456 } }]],
    'profile.restore': [() => [world.backup.bytes.slice(), { passphrase: world.backup.passphrase }]],
    'storage.info': [() => []],
    'storage.setAside': [() => []],
    'storage.deleteSetAside': [() => ['quarantine.1']],
    'storage.rotateKey': [() => []],
    'sync.state': [() => []],
    'sync.enable': [() => [{ passphrase: 'a sync passphrase' }], () => [{}]],
    'sync.pair': [() => []],
    'sync.join': [() => [{ syncId: sync.syncId, passphrase: sync.passphrase }], () => [{ code: 'ABCD-EFGH-JKLM-NPQR-STUV' }]],
    'sync.push': [() => []],
    'sync.pull': [() => []],
    'sync.disable': [() => []],
    'insights.domain': [() => []],
    'insights.report': [() => []],
    processingRecord: [() => []],
    erase: [() => []],
    on: [() => ['error', () => {}], () => ['storage', () => {}]],
  };
}

// Methods whose valid form runs Argon2id (seconds each): drawn less often.
const SLOW = new Set(['profile.backup', 'profile.restore', 'sync.enable', 'sync.join', 'sync.pair']);

// One call: { method, args } where args is either a valid call with one field replaced by
// a hostile value, the valid call itself, or a list of wholly hostile arguments.
export function callArbitrary(world) {
  const calls = validCalls(world);
  const methods = Object.keys(calls);
  const hostile = hostileValue();
  const method = fc.oneof(
    { arbitrary: fc.constantFrom(...methods.filter((m) => !SLOW.has(m))), weight: 8 },
    { arbitrary: fc.constantFrom(...methods.filter((m) => SLOW.has(m))), weight: 1 },
  );
  return method.chain((name) => {
    const templates = calls[name];
    const almost = fc.tuple(fc.nat(templates.length - 1), fc.nat(), hostile).map(([t, p, value]) => {
      const args = templates[t]();
      const paths = fieldPaths(args);
      return { method: name, args: paths.length ? replaceAt(args, paths[p % paths.length], value) : [value] };
    });
    const valid = fc.nat(templates.length - 1).map((t) => ({ method: name, args: templates[t]() }));
    const wild = fc.array(hostile, { maxLength: 3 }).map((args) => ({ method: name, args }));
    const kinds = [{ arbitrary: almost, weight: 5 }, { arbitrary: wild, weight: 2 }];
    if (!SLOW.has(name)) kinds.push({ arbitrary: valid, weight: 1 });
    return fc.oneof(...kinds);
  });
}
