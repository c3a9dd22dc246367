// Exposes a ready Emma instance to the browser test as window.emmaReady.
import { createEmma } from '/pkg/src/browser.js';

const params = new URLSearchParams(location.search);
window.emmaErrors = [];
window.emmaReady = createEmma({
  bundle: params.get('bundle') || '/emma/shop.bundle',
  shop: 'slice-test-shop',
  storage: params.get('storage') || 'indexeddb',
  wasmUrl: params.get('wasm') || undefined,
  on: { error: (e) => window.emmaErrors.push(e.code) },
}).then((emma) => (window.emma = emma));
