// Sends the engine's `insights` reports to the shop's collector (docs/insights.md). The
// engine decides everything about the shopper: whether a report is due (consent, the daily
// ε budget), what it holds and how it is noised. This file only picks a moment and sends the
// bytes: once per page, after a random delay (so a report cannot be matched to the page view
// that loaded the page), in one POST without cookies, referrer or credentials. (Every byte
// here is downloaded by every shop page: docs/benchmarks.md "Sizes".)
import { EmmaError } from './errors.js';

const bad = (what) => new EmmaError('BAD_REQUEST', `createEmma: options.insights${what}`);

// Validates the option (a wrong one fails createEmma before anything starts) and returns what
// the engine is configured with, and the delay range. `jitterMs` (test hook, documented): a
// number or [max] is the largest delay, [min, max] a range; default 5–60 s.
export function insightsOptions(options) {
  if (!options) return undefined;
  if (typeof options !== 'object') throw bad(' must be an object');
  const { endpoint, fetch, jitterMs: j = [5e3, 6e4] } = options;
  if (fetch !== undefined && typeof fetch !== 'function') throw bad('.fetch must be a function');
  if (endpoint !== undefined && typeof endpoint !== 'string' && !(endpoint instanceof URL)) throw bad('.endpoint must be the collector\'s URL');
  const range = typeof j === 'number' ? [0, j] : j && j.length === 1 ? [0, j[0]] : j;
  if (!Array.isArray(range) || range.length !== 2 || !(range[0] >= 0 && range[1] >= range[0] && range[1] < Infinity)) {
    throw bad('.jitterMs must be a number of ms or [min, max]');
  }
  return { engine: { epsilon: options.epsilon, daily_epsilon: options.dailyEpsilon }, range };
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
  const endpoint = options && options.endpoint;
  if (!endpoint) return { api, stop: () => {} };
  const { range } = insightsOptions(options);
  // Looked up when sending, so the page's fetch is used as it is then.
  const post = options.fetch || fetchImpl || ((...args) => globalThis.fetch(...args));
  let timer = null;
  let inFlight = null;
  let stopped = false;
  const allowed = (s) => !!(s && s.insights && s.insights.granted && s.personalization && s.personalization.granted);
  const cancel = () => {
    clearTimeout(timer);
    timer = null;
    if (inFlight) inFlight.abort();
    inFlight = null;
  };

  async function send() {
    timer = null;
    try {
      // Consent is read again at the last moment: a withdrawal during the delay wins.
      if (stopped || !allowed(await hooks.state())) return;
      const { reports } = await hooks.report();
      if (stopped || !reports.length || !allowed(await hooks.state())) return;
      inFlight = new AbortController();
      const res = await post(String(endpoint), {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ reports }),
        credentials: 'omit',
        referrerPolicy: 'no-referrer',
        keepalive: true,
        signal: inFlight.signal,
      });
      inFlight = null;
      if (!res.ok) throw new Error(`HTTP ${res.status}`);
    } catch (err) {
      inFlight = null;
      // Withdrawn, closed or refused by the engine meanwhile: nothing to report.
      if (err.name === 'AbortError' || err.code === 'NO_CONSENT' || err.code === 'CLOSED') return;
      // Never breaks the page: the shop hears of it through on('error').
      hooks.emit('error', new EmmaError('INSIGHTS_FAILED', `insights to ${endpoint}: ${err.message}`, { cause: err }));
    }
  }

  // A grant (also from another tab) starts the delay; a withdrawal, GPC or erase stops
  // everything at once, also a request already on its way.
  const onConsent = (state) => {
    if (!allowed(state)) return cancel();
    if (stopped || timer !== null) return;
    const x = new Uint32Array(1);
    crypto.getRandomValues(x);  // a uniform delay from the platform's secure source
    timer = setTimeout(send, range[0] + (range[1] - range[0]) * (x[0] / 2 ** 32));
  };
  const off = hooks.on('consent', onConsent);
  hooks.state().then(onConsent, () => {});
  return {
    api,
    stop: () => {
      stopped = true;
      off();
      cancel();
    },
  };
}
