// The opt-in statistics collector (docs/insights.md): POST /insights/reports takes a batch
// of locally noised reports, GET /audience shows the de-noised audience, GET /audience.json
// the same as data. Every report is validated; bad input gets a JSON error (status, code,
// message) and the collector keeps serving. No IP address is stored or logged: the rate
// limiter keeps a keyed hash of it in memory, for a minute.
import { createHmac, randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { readLimitedBody } from './body.mjs';
import { estimate, withholdBelow } from './insights-estimate.mjs';
import { estimateExperiments } from './uplift-estimate.mjs';
import { InsightsStore } from './insights-store.mjs';
import { audiencePage } from './insights-page.mjs';

export const REPORTS_PATH = '/insights/reports';
export const LIMITS = {
  bodyBytes: 8192,       // 16 reports of ~230 bytes fit four times over
  reportsPerBatch: 16,   // the engine's own cap per call
  maxEpsilon: 8,         // what the engine accepts (src/core/insights.cpp)
  minEpsilon: 0.1,
  oldestDays: 7,         // a report kept unsent longer than this is refused
  requestsPerMinute: 30, // per client address, in memory only
};
const KEYS = ['v', 'domain', 'day', 'epsilon', 'categories', 'segment', 'segment_bit', 'nonce'];
// A report of a shopper in an A/B experiment has all of these as well, or none.
const EXPERIMENT_KEYS = ['experiment', 'arm', 'outcome_epsilon', 'opened', 'bought'];
const DAY_MS = 86_400_000;

class ReportError extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

function dayNumber(text) {
  const ms = Date.parse(`${text}T00:00:00Z`);
  // Date.parse rolls "2026-02-30" over; a real day prints back as itself.
  if (!Number.isFinite(ms) || new Date(ms).toISOString().slice(0, 10) !== text) return null;
  return ms / DAY_MS;
}

// Throws ReportError naming the report and field; returns the reports as stored.
export function validateBatch(body, domains, today) {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) throw new ReportError(400, 'BAD_SCHEMA', 'the body must be a JSON object {"reports": [...]}');
  const extra = Object.keys(body).filter((k) => k !== 'reports');
  if (extra.length) throw new ReportError(400, 'BAD_SCHEMA', `unexpected field "${extra[0]}"; the body holds "reports" only`);
  const { reports } = body;
  if (!Array.isArray(reports) || reports.length === 0) throw new ReportError(400, 'BAD_SCHEMA', 'reports: must be a non-empty array');
  if (reports.length > LIMITS.reportsPerBatch) throw new ReportError(400, 'BAD_SCHEMA', `reports: holds ${reports.length} reports; at most ${LIMITS.reportsPerBatch} are accepted per request`);
  return reports.map((r, k) => {
    const at = `reports[${k}]`;
    const bad = (field, problem, code = 'BAD_SCHEMA') => new ReportError(400, code, `${at}.${field}: ${problem}`);
    if (r === null || typeof r !== 'object' || Array.isArray(r)) throw new ReportError(400, 'BAD_SCHEMA', `${at}: must be an object`);
    for (const key of Object.keys(r)) if (!KEYS.includes(key) && !EXPERIMENT_KEYS.includes(key)) throw bad(key, 'is not a field of a report (no identifiers or extra data are accepted)');
    const inExperiment = EXPERIMENT_KEYS.some((key) => key in r);
    for (const key of inExperiment ? [...KEYS, ...EXPERIMENT_KEYS] : KEYS) if (!(key in r)) throw bad(key, inExperiment && EXPERIMENT_KEYS.includes(key) ? 'is missing (a report of an experiment has experiment, arm, outcome_epsilon, opened and bought)' : 'is missing');
    if (r.v !== 1) throw bad('v', `is ${JSON.stringify(r.v)}; this collector reads version 1`, 'UNSUPPORTED_VERSION');
    if (typeof r.domain !== 'string' || !domains.has(r.domain)) throw bad('domain', `${JSON.stringify(r.domain)} is not a domain this collector knows (the shop's current bundle)`, 'UNKNOWN_DOMAIN');
    const domain = domains.get(r.domain);
    if (typeof r.day !== 'string' || !/^\d{4}-\d{2}-\d{2}$/.test(r.day) || dayNumber(r.day) === null) throw bad('day', 'must be a calendar day YYYY-MM-DD');
    const age = today - dayNumber(r.day);
    if (age < -1) throw bad('day', `${r.day} is in the future`, 'BAD_DAY');  // one day of clock and time-zone slack
    if (age > LIMITS.oldestDays) throw bad('day', `${r.day} is more than ${LIMITS.oldestDays} days old`, 'BAD_DAY');
    if (typeof r.epsilon !== 'number' || !(r.epsilon >= LIMITS.minEpsilon && r.epsilon <= LIMITS.maxEpsilon)) {
      throw bad('epsilon', `must be a number from ${LIMITS.minEpsilon} to ${LIMITS.maxEpsilon}`, 'BAD_EPSILON');
    }
    const d = domain.categories.length;
    if (typeof r.categories !== 'string' || r.categories.length !== d || !/^[01]+$/.test(r.categories)) {
      throw bad('categories', `must be ${d} characters 0 or 1 (one per category of the domain)`);
    }
    if (!Number.isInteger(r.segment) || r.segment < 0 || r.segment >= domain.segments.length) throw bad('segment', `must be an integer from 0 to ${domain.segments.length - 1}`);
    if (r.segment_bit !== 0 && r.segment_bit !== 1) throw bad('segment_bit', 'must be 0 or 1');
    if (typeof r.nonce !== 'string' || !/^[0-9a-f]{32}$/.test(r.nonce)) throw bad('nonce', 'must be 32 lowercase hex digits');
    const out = { nonce: r.nonce, domain: r.domain, day: r.day, epsilon: r.epsilon, categories: r.categories, segment: r.segment, segment_bit: r.segment_bit };
    if (!inExperiment) return out;
    // The engine's limits (src/core/experiment.cpp): ids of 64 bytes, arm names of a-z0-9_-.
    if (typeof r.experiment !== 'string' || !r.experiment || r.experiment.length > 64 || /[\u0000-\u001f]/.test(r.experiment)) throw bad('experiment', 'must be the experiment id (1 to 64 characters)');
    if (typeof r.arm !== 'string' || !/^[a-z0-9_-]{1,32}$/.test(r.arm)) throw bad('arm', 'must be an arm name (1 to 32 of a-z, 0-9, _ and -)');
    if (typeof r.outcome_epsilon !== 'number' || !(r.outcome_epsilon > 0 && r.outcome_epsilon <= r.epsilon - LIMITS.minEpsilon + 1e-9)) {
      throw bad('outcome_epsilon', `must be more than 0 and leave at least ${LIMITS.minEpsilon} of epsilon`, 'BAD_EPSILON');
    }
    if (r.opened !== 0 && r.opened !== 1) throw bad('opened', 'must be 0 or 1');
    if (r.bought !== 0 && r.bought !== 1) throw bad('bought', 'must be 0 or 1');
    return { ...out, experiment: r.experiment, arm: r.arm, outcome_epsilon: r.outcome_epsilon, opened: r.opened, bought: r.bought };
  });
}

// A fixed-window counter per keyed hash of the client address. The key is random per process
// and never leaves memory, so the map cannot be turned back into addresses; entries go after
// their minute.
class RateLimiter {
  #key = randomBytes(32);
  #windows = new Map();
  #limit;

  constructor(limit) {
    this.#limit = limit;
  }

  allow(address, now = Date.now()) {
    const id = createHmac('sha256', this.#key).update(String(address)).digest('base64');
    const minute = Math.floor(now / 60_000);
    if (this.#windows.size > 100_000) this.#sweep(minute);
    const w = this.#windows.get(id);
    if (!w || w.minute !== minute) {
      this.#windows.set(id, { minute, count: 1 });
      return true;
    }
    w.count += 1;
    return w.count <= this.#limit;
  }

  #sweep(minute) {
    for (const [id, w] of this.#windows) if (w.minute !== minute) this.#windows.delete(id);
  }
}

function sendJson(res, status, body, extra = {}) {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'Content-Type': 'application/json', 'Cache-Control': 'no-store', 'X-Content-Type-Options': 'nosniff', ...extra });
  res.end(text);
}

const fail = (res, status, code, message, extra) => sendJson(res, status, { error: { code, message } }, extra);

// A longer body is refused (413) without keeping it.
const readBody = (req, limit) => readLimitedBody(req, limit, (size) =>
  new ReportError(413, 'TOO_LARGE', `the body is ${size} bytes or more; at most ${limit} are accepted`));

// options: { file: the SQLite file, domains: [domain] and/or bundle: a bundle file whose domain
// the engine computes, k: the threshold (50), now: () => ms, requestsPerMinute, pageHeaders:
// added to the /audience page (the demo's CSP) }.
export function createInsightsCollector({ file, domains = [], bundle, k = 50, now = () => Date.now(),
  requestsPerMinute = LIMITS.requestsPerMinute, pageHeaders = {} } = {}) {
  const known = new Map();
  let store = null;
  const limiter = new RateLimiter(requestsPerMinute);
  // The domain is the engine's answer for the shop's bundle, so the collector never
  // re-implements what a report's bits mean.
  // Started on first use, so a server that never sees a report never loads the engine.
  let started = null;
  const ready = () => started ??= (async () => {
    for (const d of domains) known.set(d.id, d);
    if (bundle) {
      const { createEmma } = await import('tante-emma');
      const emma = await createEmma({ bundle: new Uint8Array(await readFile(bundle)), shop: 'insights-collector', storage: 'memory' });
      try {
        const d = await emma.insights.domain();
        known.set(d.id, d);
      } finally {
        await emma.close();
      }
    }
  })();
  const open = async () => {
    await ready();
    if (!store) {
      store = new InsightsStore(file);
      for (const d of known.values()) store.addDomain(d);
    }
    return store;
  };

  async function receive(req, res) {
    if (!limiter.allow(req.socket.remoteAddress, now())) {
      fail(res, 429, 'RATE_LIMITED', `more than ${requestsPerMinute} requests a minute from one client; try again in a minute`, { 'Retry-After': '60' });
      return;
    }
    const type = String(req.headers['content-type'] || '').split(';')[0].trim().toLowerCase();
    if (type !== 'application/json') {
      req.resume();
      fail(res, 415, 'BAD_CONTENT_TYPE', `Content-Type is "${type}"; send application/json`);
      return;
    }
    let reports;
    try {
      const raw = await readBody(req, LIMITS.bodyBytes);
      let body;
      try {
        body = JSON.parse(raw.toString('utf8'));
      } catch (err) {
        throw new ReportError(400, 'BAD_JSON', `the body is not JSON: ${err.message}`);
      }
      const s = await open();
      reports = validateBatch(body, known, Math.floor(now() / DAY_MS));
      const replays = s.replayed(reports);
      if (replays.length) throw new ReportError(409, 'REPLAYED', `report nonce ${replays[0]} was received before; nothing of this batch was stored`);
      try {
        s.append(reports);
      } catch (err) {
        if (/UNIQUE/.test(String(err.message))) throw new ReportError(409, 'REPLAYED', 'a report of this batch was received before; nothing of this batch was stored');
        throw err;
      }
    } catch (err) {
      if (err instanceof ReportError) fail(res, err.status, err.code, err.message, err.status === 413 ? { Connection: 'close' } : {});
      else fail(res, 500, 'INTERNAL', 'the collector could not store the reports');
      return;
    }
    sendJson(res, 202, { accepted: reports.length });
  }

  async function audience(searchParams) {
    const s = await open();
    const domain = [...known.values()][0];
    if (!domain) return null;
    const from = searchParams.get('from') || undefined;
    const to = searchParams.get('to') || undefined;
    return { domain: domain.id, from: from || null, to: to || null, ...withholdBelow(estimate(domain, s.sums(domain, { from, to })), k),
      experiments: estimateExperiments(s.outcomeSums(domain.id, { from, to }), { k }) };
  }

  return {
    // True when the request was the collector's (answered here).
    async handle(req, res, pathname, searchParams) {
      if (pathname === REPORTS_PATH) {
        if (req.method !== 'POST') {
          fail(res, 405, 'METHOD', 'POST the reports', { Allow: 'POST' });
          return true;
        }
        await receive(req, res);
        return true;
      }
      if (pathname === '/audience' || pathname === '/audience.json') {
        if (req.method !== 'GET' && req.method !== 'HEAD') {
          fail(res, 405, 'METHOD', 'GET only', { Allow: 'GET, HEAD' });
          return true;
        }
        let result;
        try {
          result = await audience(searchParams || new URLSearchParams());
        } catch {
          fail(res, 500, 'INTERNAL', 'the estimates could not be computed');
          return true;
        }
        if (pathname === '/audience.json') {
          sendJson(res, 200, result);
        } else {
          res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8', 'Cache-Control': 'no-cache', 'X-Content-Type-Options': 'nosniff', ...pageHeaders });
          res.end(req.method === 'HEAD' ? undefined : audiencePage(result));
        }
        return true;
      }
      return false;
    },
    // For the shop's own analysis and the tests: estimates without the threshold.
    async estimates({ domain: id, from, to } = {}) {
      const s = await open();
      const domain = id ? known.get(id) : [...known.values()][0];
      return estimate(domain, s.sums(domain, { from, to }));
    },
    // Per experiment: per-arm rates and the uplift, without the threshold.
    async experiments({ domain: id, from, to } = {}) {
      const s = await open();
      const domain = id ? known.get(id) : [...known.values()][0];
      return estimateExperiments(s.outcomeSums(domain.id, { from, to }), { k: 0 });
    },
    async domains() {
      await ready();
      return [...known.values()];
    },
    close() {
      if (store) store.close();
      store = null;
    },
  };
}
