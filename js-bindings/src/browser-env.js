// What Emma needs from a browser (page or worker): the engine loader, storage, fetching
// the bundle. browser.js (the page) and worker.js (a Web Worker) build their instances on it;
// they differ only in how they reach the engine's glue (see browserEnv).
import { EmmaError } from './errors.js';
import { checkWasmBytes, wasmLoadError } from './load-errors.js';
import { IndexedDbStorage } from './storage/indexeddb.js';
import { LocalStorageStorage } from './storage/localstorage.js';
import { MemoryStorage } from './storage/memory.js';

const DEFAULT_WASM_URL = new URL('../dist/emma.wasm', import.meta.url);

// `integrity`: an SRI hash the browser checks the bytes against (the embed's own engine).
async function fetchOk(url, what, integrity) {
  let res;
  try {
    res = await fetch(url, { credentials: 'same-origin', integrity });
  } catch (err) {
    throw new EmmaError(what === 'engine' ? 'WASM_LOAD' : 'BAD_BUNDLE', `could not fetch the ${what} from ${url}: ${err.message}`, { cause: err });
  }
  if (!res.ok) {
    throw new EmmaError(what === 'engine' ? 'WASM_LOAD' : 'BAD_BUNDLE', `could not fetch the ${what} from ${url}: HTTP ${res.status} ${res.statusText}`.trim());
  }
  return res;
}

async function fetchBytes(url, what, integrity) {
  return new Uint8Array(await (await fetchOk(url, what, integrity)).arrayBuffer());
}

// Loads the glue and the wasm ourselves, so every failure (404, HTML instead of wasm,
// CSP, an old browser) becomes one WASM_LOAD error naming the URL. With an integrity hash
// the browser hands over the response only once every byte matched it, so compiling it
// with compileStreaming runs no unchecked code and spares a copy through JavaScript; a
// server that does not say application/wasm gets the checked byte-by-byte path.
async function loadModule(loadGlue, { wasmUrl = DEFAULT_WASM_URL, _wasmIntegrity } = {}) {
  const where = String(wasmUrl);
  if (typeof WebAssembly !== 'object') throw new EmmaError('WASM_LOAD', 'this browser has no WebAssembly');
  let compiled;
  let glue;
  try {
    const glueLoading = loadGlue();
    glueLoading.catch(() => {});  // reported below, after a failed fetch would be
    const res = await fetchOk(where, 'engine', _wasmIntegrity);
    if (WebAssembly.compileStreaming && /^application\/wasm\b/.test(res.headers.get('content-type'))) {
      compiled = await WebAssembly.compileStreaming(res);
    } else {
      const bytes = new Uint8Array(await res.arrayBuffer());
      checkWasmBytes(bytes, where);
      compiled = await WebAssembly.compile(bytes);
    }
    glue = await glueLoading;
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

// loadGlue: () => Promise<{ default: factory }>. The page imports the glue when it is first
// needed; a worker imports it statically, because bundlers build workers as one file.
export function browserEnv(loadGlue) {
  return {
    loadModule: (options) => loadModule(loadGlue, options),
    openStorage,
    fetchBytes: (url) => fetchBytes(url, 'bundle'),
    defaultStorage: 'indexeddb',
  };
}
