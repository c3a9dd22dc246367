// The `insights` simulation (docs/insights.md, RESULTS.md): shoppers with known interests
// browse the demo shop's real bundle through the real wasm engine (the npm package, memory
// storage), their engines make the day's reports, and the reports go over HTTP into the real
// collector (demo/server, its own SQLite file). Then:
//   1. coverage: for every day, every category and segment, is the truth inside the
//      collector's stated 95% confidence interval?
//   2. the guessing attack: how often does the best guesser, from one report alone, name the
//      shopper's top category, against what ε allows?
//
//   npm run sim:insights [-- --shoppers 20000 --days 5 --epsilon 2 --json]
import { createServer } from 'node:http';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createEmma } from 'tante-emma';
import { createInsightsCollector } from '../../../demo/server/insights-collector.mjs';
import { oueParams } from '../../../demo/server/insights-estimate.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const DAY = 86_400_000;

// A small seeded generator for the population (who likes what); the noise itself is the
// engine's (libsodium), never seeded.
function mulberry32(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const topLevel = (category) => category.split('>')[0].trim();

// P(X <= x) for X ~ Binomial(n, p); terms in logs, so large n does not underflow to 0.
export function binomialCdf(x, n, p) {
  let sum = 0;
  let logTerm = n * Math.log(1 - p);
  for (let k = 0; k <= x; k++) {
    sum += Math.exp(logTerm);
    logTerm += Math.log((n - k) / (k + 1)) + Math.log(p / (1 - p));
  }
  return Math.min(1, sum);
}

// The smallest number of covered intervals out of n that a 95% procedure still produces
// with probability at least 1 − alpha: fewer means the intervals are too narrow or biased.
export function coverageFloor(n, alpha = 0.001, level = 0.95) {
  let x = 0;
  while (x < n && binomialCdf(x, n, level) < alpha) x++;
  return x;
}

export async function simulate({ shoppers = 20000, days = 5, epsilon = 2, seed = 1, log = () => {} } = {}) {
  const started = Date.now();
  const bundle = new Uint8Array(await readFile(path.join(root, 'build/demo/shop.bundle')));
  const catalog = JSON.parse(await readFile(path.join(root, 'demo/catalog.json'), 'utf8'));
  const rand = mulberry32(seed);
  let clock = Date.UTC(2026, 10, 2, 12);
  const emma = await createEmma({ bundle, shop: 'insights-sim', storage: 'memory', now: () => clock,
    insights: { epsilon, dailyEpsilon: epsilon } });
  const domain = await emma.insights.domain();
  const d = domain.categories.length;
  const byTop = new Map(domain.categories.map((c) => [c, catalog.items.filter((i) => topLevel(i.category) === c).map((i) => i.id)]));
  // Known interests: a skewed audience, as shops have (weights 9, 8, … 1 in domain order).
  const weights = domain.categories.map((_, i) => d - i);
  const total = weights.reduce((a, b) => a + b, 0);
  const prior = weights.map((w) => w / total);
  const pick = (list) => list[Math.floor(rand() * list.length)];
  const drawTop = () => {
    let u = rand() * total;
    for (let i = 0; i < d; i++) if ((u -= weights[i]) < 0) return i;
    return d - 1;
  };

  const dir = await mkdtemp(path.join(os.tmpdir(), 'emma-insights-sim-'));
  const file = path.join(dir, 'insights.sqlite');
  const start = Date.UTC(2026, 10, 2, 12);
  // The collector's "today" is the last simulated day (it refuses reports from its future).
  if (days > 7) throw new Error('days: at most 7 (the collector refuses reports older than 7 days)');
  const collector = createInsightsCollector({ file, domains: [domain], requestsPerMinute: Infinity, now: () => start + (days - 1) * DAY });
  const server = createServer((req, res) => {
    const url = new URL(req.url, 'http://x');
    collector.handle(req, res, url.pathname, url.searchParams).then((handled) => { if (!handled) res.writeHead(404).end(); });
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const endpoint = `http://127.0.0.1:${server.address().port}/insights/reports`;

  // Reports go out in batches (one request per 16 reports, from different shoppers) only to
  // keep the run short; the collector validates each report the same way.
  let pending = [];
  const flush = async () => {
    if (!pending.length) return;
    const res = await fetch(endpoint, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ reports: pending }) });
    if (res.status !== 202) throw new Error(`collector: HTTP ${res.status} ${await res.text()}`);
    pending = [];
  };

  const truth = Array.from({ length: days }, () => ({ categories: new Array(d).fill(0), segments: new Array(domain.segments.length).fill(0), n: 0 }));
  const attack = { uniform: { hits: new Array(d).fill(0), seen: new Array(d).fill(0) }, bayes: { hits: 0, seen: 0 } };
  const { p, q } = oueParams(epsilon);
  const gain = Math.log((p * (1 - q)) / (q * (1 - p)));  // = ε/2: the likelihood ratio of a 1 at the true position

  try {
    for (let s = 0; s < shoppers; s++) {
      clock = start;
      await emma.erase();
      await emma.consent.grant('personalization', { version: 'sim', source: 'api' });
      await emma.consent.grant('insights', { version: 'sim', source: 'api' });
      const top = drawTop();
      const returning = rand() < 0.5;
      const at = clock - (returning ? 3 * DAY : 0);
      // 3–6 views in the top category; up to 2 in others (never as many: the top stays the top).
      const views = 3 + Math.floor(rand() * 4);
      for (let k = 0; k < views; k++) await emma.track({ type: 'view', item: pick(byTop.get(domain.categories[top])), at });
      const others = Math.floor(rand() * 3);
      for (let k = 0; k < others; k++) {
        const c = Math.floor(rand() * d);
        if (c !== top) await emma.track({ type: 'view', item: pick(byTop.get(domain.categories[c])), at });
      }
      if (rand() < 0.3) await emma.track({ type: 'add_to_cart', item: pick(byTop.get(domain.categories[top])), at });
      for (let day = 0; day < days; day++) {
        clock = start + day * DAY;
        // What the engine itself says about the shopper's segments today (the truth the
        // noised bit stands for).
        const { segments } = await emma.recommend({ scenario: 'segments' });
        const reports = await emma.insights.report();
        if (reports.length !== 1) throw new Error(`shopper ${s}, day ${day}: ${reports.length} reports (expected 1)`);
        const r = reports[0];
        const t = truth[day];
        t.n += 1;
        t.categories[top] += 1;
        domain.segments.forEach((id, j) => { if (segments.find((x) => x.id === id).member) t.segments[j] += 1; });
        // The attack on the categories vector of this one report.
        const ones = [];
        for (let i = 0; i < d; i++) if (r.categories[i] === '1') ones.push(i);
        const guess = ones.length ? ones[Math.floor(rand() * ones.length)] : Math.floor(rand() * d);
        attack.uniform.seen[top] += 1;
        if (guess === top) attack.uniform.hits[top] += 1;
        let best = 0;
        let bestScore = -Infinity;
        for (let i = 0; i < d; i++) {
          const score = Math.log(prior[i]) + (r.categories[i] === '1' ? gain : 0);
          if (score > bestScore) { bestScore = score; best = i; }
        }
        attack.bayes.seen += 1;
        if (best === top) attack.bayes.hits += 1;
        pending.push(r);
        if (pending.length === 16) await flush();
      }
      if (s % 2000 === 1999) log(`${s + 1} shoppers, ${((Date.now() - started) / 1000).toFixed(0)} s`);
    }
    await flush();

    // --- the collector's estimates against the truth -------------------------------------
    const rows = [];
    for (let day = 0; day < days; day++) {
      const dayText = new Date(start + day * DAY).toISOString().slice(0, 10);
      const est = await collector.estimates({ from: dayText, to: dayText });
      if (est.reports !== truth[day].n) throw new Error(`day ${dayText}: the collector holds ${est.reports} reports, ${truth[day].n} were sent`);
      est.categories.forEach((e, i) => rows.push({ day: dayText, kind: 'category', label: e.label, truth: truth[day].categories[i], ...pickEst(e) }));
      est.segments.forEach((e, j) => rows.push({ day: dayText, kind: 'segment', label: e.label, truth: truth[day].segments[j], ...pickEst(e) }));
    }
    const covered = rows.filter((r) => r.truth >= r.low && r.truth <= r.high).length;
    const eCat = epsilon / 2;
    const uniformRate = attack.uniform.hits.reduce((a, h, i) => a + h / Math.max(1, attack.uniform.seen[i]), 0) / d;
    // OUE's exact success for this guesser: the true bit is 1 (p) and K ~ Bin(d−1, q) others
    // are: 1/(1+K) on average; all bits 0 ((1−p)(1−q)^(d−1)): a uniform guess.
    let oueExact = 0;
    for (let k = 0; k < d; k++) oueExact += p * binom(d - 1, k) * q ** k * (1 - q) ** (d - 1 - k) / (1 + k);
    oueExact += (1 - p) * (1 - q) ** (d - 1) / d;
    const result = {
      shoppers, days, epsilon, reports: shoppers * days, domain: domain.id, categories: domain.categories,
      seconds: (Date.now() - started) / 1000,
      coverage: { intervals: rows.length, covered, rate: covered / rows.length, stated: 0.95,
        floor: coverageFloor(rows.length),
        // Mean half-width of the stated 95% intervals, as a share of the day's reports.
        halfWidth: {
          category: meanHalfWidth(rows.filter((r) => r.kind === 'category'), shoppers),
          segment: meanHalfWidth(rows.filter((r) => r.kind === 'segment'), shoppers) },
        perKind: {
          category: rate(rows.filter((r) => r.kind === 'category')), segment: rate(rows.filter((r) => r.kind === 'segment')) } },
      attack: {
        uniformPrior: { success: uniformRate, oueExact, bound: Math.exp(eCat) / (Math.exp(eCat) + d - 1),
          boundWholeReport: Math.exp(epsilon) / (Math.exp(epsilon) + d - 1), chance: 1 / d },
        knownPrior: { success: attack.bayes.hits / attack.bayes.seen, bound: Math.min(1, Math.exp(eCat) * Math.max(...prior)),
          noReport: Math.max(...prior) },
      },
      rows,
      file,
    };
    return result;
  } finally {
    await emma.close();
    await new Promise((resolve) => server.close(resolve));
    collector.close();
    await rm(dir, { recursive: true, force: true });
  }
}

function pickEst(e) {
  return { estimate: e.count, low: e.low, high: e.high };
}

function meanHalfWidth(rows, n) {
  return rows.reduce((a, r) => a + (r.high - r.low) / 2 / n, 0) / rows.length;
}

function rate(rows) {
  return rows.filter((r) => r.truth >= r.low && r.truth <= r.high).length / rows.length;
}

function binom(n, k) {
  let c = 1;
  for (let i = 1; i <= k; i++) c = (c * (n - k + i)) / i;
  return c;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const arg = (name, def) => {
    const i = process.argv.indexOf(`--${name}`);
    return i > 0 ? Number(process.argv[i + 1]) : def;
  };
  const r = await simulate({ shoppers: arg('shoppers', 20000), days: arg('days', 5), epsilon: arg('epsilon', 2),
    seed: arg('seed', 1), log: (m) => process.stderr.write(`${m}\n`) });
  const { rows, file, ...summary } = r;
  if (process.argv.includes('--json')) {
    console.log(JSON.stringify(summary));
  } else {
    const f = (x) => x.toFixed(4);
    console.log(`${r.shoppers} shoppers x ${r.days} days = ${r.reports} reports, ε = ${r.epsilon} per report, ${r.seconds.toFixed(1)} s`);
    console.log(`coverage of the stated 95% intervals: ${r.coverage.covered}/${r.coverage.intervals} = ${f(r.coverage.rate)} ` +
      `(categories ${f(r.coverage.perKind.category)}, segments ${f(r.coverage.perKind.segment)}; a sound 95% procedure gives at least ${r.coverage.floor} with probability 0.999)`);
    console.log(`interval half-width (share of a day's reports): categories ±${f(r.coverage.halfWidth.category)}, segments ±${f(r.coverage.halfWidth.segment)}`);
    const a = r.attack;
    console.log(`attack, uniform prior: ${f(a.uniformPrior.success)} (OUE exact ${f(a.uniformPrior.oueExact)}; ε/2 bound ${f(a.uniformPrior.bound)}; chance ${f(a.uniformPrior.chance)})`);
    console.log(`attack, known prior: ${f(a.knownPrior.success)} (bound e^(ε/2)·max prior ${f(a.knownPrior.bound)}; without the report ${f(a.knownPrior.noReport)})`);
  }
}
