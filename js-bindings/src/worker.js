// The worker side of `createEmma({ worker: true })`: this script runs one whole Emma instance
// (engine, storage, keys, tab sync) in a dedicated Web Worker, so the page's main thread
// stays free while the engine computes. The page talks to it through the proxy of
// worker-client.js; the messages are described there.
//
// IndexedDB, WebCrypto, Web Locks and BroadcastChannel exist in workers; localStorage does
// not (worker-client.js refuses storage: 'localstorage' before starting, and the IndexedDB
// fallback ends in memory here). The page's consent tools (TCF, Consent Mode, GPC) live on
// the page: the proxy listens to them there and relays through consent.signal.
// The glue is imported statically: bundlers (Vite by default) build a worker as one file.
import glue from '../dist/emma.mjs';
import { browserEnv } from './browser-env.js';
import { createEmmaWith } from './emma.js';
import { EVENTS, errorToWire, methodPaths, resolvePath } from './worker-wire.js';

const env = browserEnv(async () => ({ default: glue }));

let emma = null;

function reply(message) {
  self.postMessage(message);
}

async function start(options) {
  const on = {};
  // Every event goes to the page, including those heard while starting.
  for (const event of EVENTS) on[event] = (detail) => reply({ t: 'event', event, detail: event === 'error' ? errorToWire(detail) : detail });
  emma = await createEmmaWith(env, { ...options, on });
  return methodPaths(emma);
}

async function call(path, args) {
  if (!emma) throw new Error('the engine has not started');
  const fn = resolvePath(emma, path);
  return fn(...args);
}

self.addEventListener('message', async ({ data }) => {
  if (!data || typeof data !== 'object') return;
  const { id, t } = data;
  try {
    const value = t === 'start' ? await start(data.options) : await call(data.path, data.args || []);
    try {
      reply({ t: 'done', id, value });
    } catch (err) {
      // An answer that cannot be copied to the page (it should not happen: answers are data).
      reply({ t: 'done', id, error: errorToWire(err) });
    }
  } catch (err) {
    reply({ t: 'done', id, error: errorToWire(err) });
  }
});
