// The storage test page. With ?start=1 it starts Emma at once (window.emmaReady) with the
// storage named by ?storage= (default indexeddb) for the shop ?shop=; every event Emma emits
// is kept in window.seen. window.lib gives tests the package's parts to build their own
// instances (fault-injected adapters), window.faults the fault injectors.
import { createEmma, EmmaError } from '/pkg/src/browser.js';
import { IndexedDbStorage } from '/pkg/src/storage/indexeddb.js';
import { LocalStorageStorage } from '/pkg/src/storage/localstorage.js';
import { MemoryStorage } from '/pkg/src/storage/memory.js';
import * as faults from '/test/storage-faults.js';

const params = new URLSearchParams(location.search);
export const SHOP = params.get('shop') || 'storage-test-shop';

window.lib = { createEmma, EmmaError, IndexedDbStorage, LocalStorageStorage, MemoryStorage };
window.faults = faults;
// `restarted`: the engine trapped while starting and a fresh instance took over (WebKit's
// baseline compiler, docs/browsers.md "A WebKit trap"; tests/js/engine-restart.test.mjs tests
// the restart itself). Kept apart from `error`, so that the storage tests count only their
// own subject's errors, and still visible to any test that asks.
window.seen = { storage: [], error: [], consent: [], restarted: [] };
const restart = (e) => e.code === 'ENGINE_FAILED' && e.message.startsWith('started again with a fresh instance');

// Starts an instance whose events are recorded in window.seen; options override the defaults.
window.startEmma = (options = {}) =>
  createEmma({
    bundle: '/emma/shop.bundle',
    shop: SHOP,
    storage: params.get('storage') || 'indexeddb',
    _tabSync: params.get('tabsync') !== 'off',
    ...options,
    on: {
      storage: (d) => window.seen.storage.push(JSON.parse(JSON.stringify(d))),
      error: (e) => window.seen[restart(e) ? 'restarted' : 'error'].push({ code: e.code, message: e.message }),
      consent: (s) => window.seen.consent.push(s.personalization.granted),
    },
  });

if (params.get('start') === '1') {
  window.emmaReady = window.startEmma().then((emma) => (window.emma = emma));
  window.emmaReady.catch((e) => window.seen.error.push({ code: e.code, message: e.message, fatal: true }));
}
