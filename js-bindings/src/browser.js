// Entry point for browsers and bundlers (the "browser"/"default" export condition).
import { checkConsentOption, startConsentSources } from './consent-sources.js';
import { createEmmaWith } from './emma.js';
import { EmmaError } from './errors.js';
import { checkWasmBytes, wasmLoadError } from './load-errors.js';
import { IndexedDbStorage } from './storage/indexeddb.js';
import { LocalStorageStorage } from './storage/localstorage.js';
import { MemoryStorage } from './storage/memory.js';
import { createWorkerEmma } from './worker-client.js';

export { EmmaError } from './errors.js';

const DEFAULT_WASM_URL = new URL('../dist/emma.wasm', import.meta.url);

async function fetchBytes(url, what) {
  let res;
  try {
    res = await fetch(url, { credentials: 'same-origin' });
  } catch (err) {
    throw new EmmaError(what === 'engine' ? 'WASM_LOAD' : 'BAD_BUNDLE', `could not fetch the ${what} from ${url}: ${err.message}`, { cause: err });
  }
  if (!res.ok) {
    throw new EmmaError(what === 'engine' ? 'WASM_LOAD' : 'BAD_BUNDLE', `could not fetch the ${what} from ${url}: HTTP ${res.status} ${res.statusText}`.trim());
  }
  return new Uint8Array(await res.arrayBuffer());
}

// Loads the glue and the wasm ourselves, so every failure (404, HTML instead of wasm,
// CSP, an old browser) becomes one WASM_LOAD error naming the URL.
async function loadModule({ wasmUrl = DEFAULT_WASM_URL } = {}) {
  const where = String(wasmUrl);
  if (typeof WebAssembly !== 'object') throw new EmmaError('WASM_LOAD', 'this browser has no WebAssembly');
  let compiled;
  let glue;
  try {
    const bytes = await fetchBytes(where, 'engine');
    checkWasmBytes(bytes, where);
    compiled = await WebAssembly.compile(bytes);
    glue = await import('../dist/emma.mjs');
  } catch (err) {
    throw wasmLoadError(err, where);
  }
  return new Promise((resolve, reject) => {
    glue
      .default({
        instantiateWasm(imports, done) {
          WebAssembly.instantiate(compiled, imports).then((instance) => done(instance, compiled), (err) => reject(wasmLoadError(err, where)));
          return {};
        },
        onAbort: (what) => reject(wasmLoadError(new Error(String(what)), where)),
        print: () => {},
        printErr: () => {},
      })
      .then(resolve, (err) => reject(wasmLoadError(err, where)));
  });
}

// 'indexeddb' falls back to localStorage when IndexedDB is missing or throws (some private
// modes), and Emma falls back to memory when that fails too. `notice(error, fallback)`
// reports a fallback taken here; nothing is written by any of these probes.
async function openStorage(spec, shop, notice = () => {}) {
  if (spec && typeof spec === 'object') return spec;
  if (spec === 'memory') return MemoryStorage.create();
  if (spec === 'localstorage') return LocalStorageStorage.create(shop);
  if (spec === 'indexeddb') {
    let idb;
    try {
      idb = await IndexedDbStorage.create(shop);
    } catch (err) {
      notice(err, 'localstorage');
      return LocalStorageStorage.create(shop);
    }
    // A profile that an earlier page kept in localStorage (IndexedDB was unusable then) stays
    // in use rather than being hidden behind an empty database.
    if (LocalStorageStorage.holds(shop)) {
      try {
        if ((await idb.keys()).length === 0) return LocalStorageStorage.create(shop);
      } catch {
        // IndexedDB cannot even list: use what holds the profile
        return LocalStorageStorage.create(shop);
      }
    }
    return idb;
  }
  throw new EmmaError('BAD_REQUEST', `storage "${spec}" is not available in browsers; use indexeddb, localstorage, memory or an adapter object`);
}

// The instance on this thread, without the page's consent tools: what the worker runs.
export function createEmmaHere(options) {
  return createEmmaWith(env, options);
}

const env = {
  loadModule,
  openStorage,
  fetchBytes: (url) => fetchBytes(url, 'bundle'),
  defaultStorage: 'indexeddb',
};

export async function createEmma(options) {
  // `worker: true | url`: the whole instance in a Web Worker, the page gets a proxy.
  if (options && options.worker) return createWorkerEmma(options);
  checkConsentOption(options && options.consent);
  const emma = await createEmmaHere(options);
  // The page's consent tools (TCF, Consent Mode, GPC), listened to until close().
  const stop = startConsentSources(emma, options.consent, { onError: (e) => options.on?.error?.(e) });
  const close = emma.close.bind(emma);
  emma.close = async () => {
    stop();
    return close();
  };
  return emma;
}
