// Sends the engine's `insights` reports to the shop's collector (README "Insights"). The
// engine decides everything about the shopper: whether a report is due (consent, the daily
// ε budget), what it holds and how it is noised. This file only picks a moment and sends the
// bytes: once per page, after a random delay (so a report cannot be matched to the page view
// that loaded the page), in one POST without cookies, referrer or credentials.
import { EmmaError } from './errors.js';

const DEFAULT_JITTER_MS = [5_000, 60_000];

// What createEmma's `insights` option sets in the engine (validated there).
export function insightsEngineConfig(options) {
  if (!options) return undefined;
  readOptions(options);  // a wrong option fails createEmma before anything starts
  return { epsilon: options.epsilon, daily_epsilon: options.dailyEpsilon };
}

function readOptions(options) {
  if (options === null || typeof options !== 'object') throw new EmmaError('BAD_REQUEST', 'createEmma: options.insights must be an object { endpoint }');
  const { endpoint, jitterMs = DEFAULT_JITTER_MS } = options;
  if (options.fetch !== undefined && typeof options.fetch !== 'function') throw new EmmaError('BAD_REQUEST', 'createEmma: options.insights.fetch must be a function');
  if (endpoint !== undefined && typeof endpoint !== 'string' && !(endpoint instanceof URL)) {
    throw new EmmaError('BAD_REQUEST', 'createEmma: options.insights.endpoint must be the collector\'s URL');
  }
  // Test hook (documented): a number (or [max]) is the largest delay, [min, max] a range.
  const range = typeof jitterMs === 'number' ? [0, jitterMs] : Array.isArray(jitterMs) && jitterMs.length === 1 ? [0, jitterMs[0]] : jitterMs;
  if (!Array.isArray(range) || range.length !== 2 || !range.every((x) => Number.isFinite(x) && x >= 0) || range[0] > range[1]) {
    throw new EmmaError('BAD_REQUEST', 'createEmma: options.insights.jitterMs must be a number of ms or [min, max]');
  }
  return { endpoint: endpoint === undefined ? null : String(endpoint), range };
}

// A uniform delay from the platform's secure random source.
function jitter([min, max]) {
  const x = new Uint32Array(1);
  globalThis.crypto.getRandomValues(x);
  return min + (max - min) * (x[0] / 2 ** 32);
}

// hooks: { report(), domain(), state(), on(event, handler), emit(event, detail) } from the
// Emma instance. Returns the public `emma.insights` and a stop function for close().
export function attachInsights(options, hooks, fetchImpl) {
  const api = {
    // What a report's bits mean, and this shop's ε settings.
    domain: () => hooks.domain(),
    // The reports due now (spends today's budget; the caller sends them).
    report: () => hooks.report().then((r) => r.reports),
  };
  if (!options) return { api, stop: () => {} };
  const { endpoint, range } = readOptions(options);
  if (!endpoint) return { api, stop: () => {} };
  // Looked up when sending, so the page's fetch is used as it is then.
  const post = options.fetch || fetchImpl || ((...args) => globalThis.fetch(...args));
  let timer = null;
  let inFlight = null;
  let stopped = false;

  const allowed = (state) => state && state.insights && state.insights.granted === true &&
    state.personalization && state.personalization.granted === true;

  const cancel = () => {
    if (timer !== null) clearTimeout(timer);
    timer = null;
    if (inFlight) inFlight.abort();
    inFlight = null;
  };

  async function send() {
    timer = null;
    try {
      // Consent is read again at the last moment: a withdrawal during the delay wins.
      if (stopped || !allowed(await hooks.state())) return;
      const answer = await hooks.report();
      if (stopped || !answer.reports.length) return;
      if (!allowed(await hooks.state())) return;
      inFlight = new AbortController();
      const res = await post(endpoint, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ reports: answer.reports }),
        credentials: 'omit',
        referrerPolicy: 'no-referrer',
        cache: 'no-store',
        keepalive: true,
        signal: inFlight.signal,
      });
      inFlight = null;
      if (!res.ok) {
        let detail = '';
        try {
          const body = await res.json();
          if (body && body.error) detail = `: ${body.error.code}: ${body.error.message}`;
        } catch {
          // not JSON: the status says enough
        }
        throw new EmmaError('INSIGHTS_FAILED', `the collector ${endpoint} answered HTTP ${res.status}${detail}`);
      }
    } catch (err) {
      inFlight = null;
      if (err && err.name === 'AbortError') return;  // withdrawn or closed while sending
      if (err instanceof EmmaError && (err.code === 'NO_CONSENT' || err.code === 'CLOSED')) return;
      // Never breaks the page: the shop hears of it through on('error').
      hooks.emit('error', err instanceof EmmaError ? err
        : new EmmaError('INSIGHTS_FAILED', `sending insights to ${endpoint} failed: ${err && err.message}`, { cause: err }));
    }
  }

  const schedule = () => {
    if (stopped || timer !== null) return;
    timer = setTimeout(() => { send(); }, jitter(range));
  };

  // A grant (also from another tab) starts the delay; a withdrawal, GPC or erase stops
  // everything at once, also a request already on its way.
  const off = hooks.on('consent', (state) => {
    if (allowed(state)) schedule();
    else cancel();
  });
  hooks.state().then((state) => { if (allowed(state)) schedule(); }, () => {});
  return {
    api,
    stop: () => {
      stopped = true;
      off();
      cancel();
    },
  };
}
