// Entry point for browsers and bundlers (the "browser"/"default" export condition).
import { startConsentSources } from './consent-sources.js';
import { browserEnv } from './browser-env.js';
import { createEmmaWith } from './emma.js';
import { createWorkerEmma } from './worker-client.js';

export { EmmaError } from './errors.js';

const env = browserEnv(() => import('../dist/emma.mjs'));

export async function createEmma(options) {
  // `worker: true | url`: the whole instance in a Web Worker, the page gets a proxy.
  if (options && options.worker) return createWorkerEmma(options);
  const emma = await createEmmaWith(env, options);
  // The page's consent tools (TCF, Consent Mode, GPC), listened to until close().
  const stop = startConsentSources(emma, options.consent, { onError: (e) => options.on?.error?.(e) });
  const close = emma.close.bind(emma);
  emma.close = async () => {
    stop();
    return close();
  };
  return emma;
}
