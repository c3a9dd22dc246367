// `createEmma({ worker: true })`: the whole Emma instance runs in a dedicated Web Worker
// (worker.js) and the page gets a proxy with the same API, so the engine's work never
// blocks the page's main thread.
//
// Messages (structured clone):
//   page -> worker  { t: 'start', id, options }            -> { t: 'done', id, value: method paths }
//                   { t: 'call', id, path, args }          -> { t: 'done', id, value } | { t: 'done', id, error }
//   worker -> page  { t: 'event', event, detail }          every event of the instance, as it happens
// Errors travel as data (worker-wire.js) and become EmmaErrors again with the same code and
// message. The page's consent tools are read here, on the page, and relayed through
// consent.signal, as on the main thread.
import { VERSION } from './version.js';
import { checkConsentOption, startConsentSources } from './consent-sources.js';
import { EmmaError, closedError } from './errors.js';
import { EVENTS, errorFromWire } from './worker-wire.js';

// The worker script is found beside this file; bundlers that understand
// `new Worker(new URL(…, import.meta.url))` (Vite, webpack 5, esbuild's and Rollup's plugins)
// bundle it as a worker. `worker: '<url>'` overrides it (a page's CSP, a CDN, a bundler that
// does not).
function startWorker(spec) {
  if (spec === true) return new Worker(new URL('./worker.js', import.meta.url), { type: 'module' });
  return new Worker(spec, { type: 'module' });
}

function absolute(url) {
  // Relative URLs mean the page's, not the worker script's; a malformed one goes on as
  // written and fails where it is loaded, with an error naming it.
  try {
    return new URL(url, document.baseURI).href;
  } catch {
    return String(url);
  }
}

// The options as the worker gets them: data only.
function workerOptions(options) {
  const { worker, on, consent, now, storage, bundle, wasmUrl, ...rest } = options;
  if (now !== undefined) throw new EmmaError('BAD_REQUEST', 'createEmma: options.now (a function) cannot be sent to a worker; leave it out or run without worker');
  if (storage && typeof storage === 'object') {
    throw new EmmaError('BAD_REQUEST', 'createEmma: a storage adapter object cannot be sent to a worker; use storage "indexeddb" or "memory", or run without worker');
  }
  if (storage === 'localstorage') {
    throw new EmmaError('STORAGE_UNAVAILABLE', 'createEmma: localStorage does not exist in Web Workers; use storage "indexeddb" or "memory" with worker, or run without worker');
  }
  const out = { ...rest };
  if (rest.sync && typeof rest.sync === 'object') {
    if (rest.sync.fetch !== undefined) throw new EmmaError('BAD_REQUEST', 'createEmma: options.sync.fetch (a function) cannot be sent to a worker; leave it out or run without worker');
    if (typeof rest.sync.endpoint === 'string') out.sync = { ...rest.sync, endpoint: absolute(rest.sync.endpoint) };
  }
  if (storage !== undefined) out.storage = storage;
  out.bundle = typeof bundle === 'string' || bundle instanceof URL ? absolute(bundle) : bundle;
  if (wasmUrl !== undefined) out.wasmUrl = absolute(wasmUrl);
  return out;
}

export async function createWorkerEmma(options) {
  checkConsentOption(options.consent);
  const data = workerOptions(options);
  const where = options.worker === true ? "the package's worker.js" : String(options.worker);
  const handlers = new Map(EVENTS.map((e) => [e, new Set()]));
  const on = (event, handler) => {
    const set = handlers.get(event);
    if (!set) throw new EmmaError('BAD_REQUEST', `on(): "${event}" is not an event; use ${EVENTS.join(', ')}`);
    set.add(handler);
    return () => set.delete(handler);
  };
  // Handlers given here hear what happens while starting, as on the main thread.
  for (const [event, handler] of Object.entries(options.on || {})) on(event, handler);

  let worker;
  try {
    worker = startWorker(options.worker);
  } catch (err) {
    throw new EmmaError('WASM_LOAD', `could not start the engine's worker (${where}): ${err.message}`, { cause: err });
  }
  const pending = new Map();
  let nextId = 1;
  let started = false;
  let broken = null;  // once set, every call fails with it
  const breakWith = (err) => {
    broken = broken || err;
    for (const { reject } of pending.values()) reject(broken);
    pending.clear();
  };
  worker.addEventListener('message', ({ data: m }) => {
    if (m.t === 'event') {
      const detail = m.event === 'error' ? errorFromWire(m.detail) : m.detail;
      for (const h of handlers.get(m.event) || []) {
        try {
          h(detail);
        } catch {
          // A shop's handler must not break Emma.
        }
      }
    } else if (m.t === 'done' && pending.has(m.id)) {
      const { resolve, reject } = pending.get(m.id);
      pending.delete(m.id);
      if (m.error) reject(errorFromWire(m.error));
      else resolve(m.value);
    }
  });
  // The script did not load (404, CSP, a syntax error) or the worker died.
  worker.addEventListener('error', (e) => {
    e.preventDefault();
    const detail = e.message ? `: ${e.message}` : ' (the script did not load or failed)';
    breakWith(new EmmaError(started ? 'ENGINE_FAILED' : 'WASM_LOAD', `the engine's worker (${where}) stopped${detail}`));
  });
  worker.addEventListener('messageerror', () => breakWith(new EmmaError('ENGINE_FAILED', "a message from the engine's worker could not be read")));

  const send = (message) => new Promise((resolve, reject) => {
    if (broken) return reject(broken);
    const id = nextId++;
    pending.set(id, { resolve, reject });
    try {
      worker.postMessage({ ...message, id });
    } catch (err) {
      pending.delete(id);
      reject(new EmmaError('BAD_REQUEST', `${message.path || 'createEmma'}: what was passed cannot be sent to the worker (${err.message})`, { cause: err }));
    }
  });

  let paths;
  try {
    paths = await send({ t: 'start', options: data });
  } catch (err) {
    worker.terminate();
    throw err;
  }
  started = true;

  const emma = { on, version: VERSION };
  for (const path of paths) {
    const fn = (...args) => send({ t: 'call', path, args });
    const dot = path.indexOf('.');
    if (dot < 0) emma[path] = fn;
    else (emma[path.slice(0, dot)] ||= {})[path.slice(dot + 1)] = fn;
  }
  const stop = startConsentSources(emma, options.consent, { onError: (e) => options.on?.error?.(e) });
  const close = emma.close;
  let closed = null;
  // Waits for the worker's close (the last write), then ends the worker.
  emma.close = () => {
    closed = closed || (async () => {
      stop();
      try {
        await close();
      } finally {
        worker.terminate();
        breakWith(closedError());
      }
    })();
    return closed;
  };
  return emma;
}
