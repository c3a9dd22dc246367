// The Web Worker test page: window.lib has the package's createEmma and EmmaError,
// window.start(mode, options) starts an instance on the main thread ('main') or in a worker
// ('worker') with the demo bundle and records its events in window.seen[<shop>].
import { createEmma, EmmaError } from '/pkg/src/browser.js';

window.lib = { createEmma, EmmaError };
window.seen = {};

window.start = (mode, options = {}) => {
  const shop = options.shop || `worker-test-${mode}`;
  const seen = (window.seen[shop] = { error: [], consent: [], storage: [], recommendations: 0 });
  return createEmma({
    bundle: '/emma/shop.bundle',
    shop,
    worker: mode === 'worker',
    ...options,
    on: {
      error: (e) => seen.error.push({ code: e.code, message: e.message, emma: e instanceof EmmaError }),
      consent: (s) => seen.consent.push(s.personalization.granted),
      storage: (d) => seen.storage.push(d),
      recommendations: () => seen.recommendations++,
    },
  });
};

// A page's own failure as data a test can compare.
window.failure = async (promise) => {
  try {
    await promise;
    return null;
  } catch (e) {
    return { code: e.code, message: e.message, emma: e instanceof EmmaError, name: e.name };
  }
};
window.pageReady = true;
