// Exposes a ready Emma instance with sync (and GPC read from the browser) as window.emmaReady.
import { createEmma } from '/pkg/src/browser.js';

window.emmaErrors = [];
window.emmaReady = createEmma({
  bundle: '/emma/shop.bundle',
  shop: 'sync-test-shop',
  storage: 'indexeddb',
  sync: { endpoint: '/emma/sync' },
  consent: { sources: ['gpc'] },
  on: { error: (e) => window.emmaErrors.push(`${e.code}: ${e.message}`) },
}).then((emma) => (window.emma = emma));
