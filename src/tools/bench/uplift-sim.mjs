// The A/B uplift simulation (docs/insights.md "Experiments", RESULTS.md): shoppers with a
// known behaviour per arm go through the real wasm engine (the Node build, driven at its
// boundary exactly as js-bindings drives it: the arm is drawn by the engine with libsodium,
// slots are answered by it, outcomes counted and noised by it), and their reports go through
// the real collector's validation into its real SQLite store; the estimates are the
// collector's (demo/server/uplift-estimate.mjs). Per seed two experiments of `shoppers` each:
//   - "effect": the personalized arm buys a recommended item with probability
//     base·(1 + uplift), control with `base`: does the stated 95% interval of the difference
//     hold the true difference base·uplift (coverage), and how often is it significant (power)?
//   - "null": both arms buy with `base`: how often does the collector call a difference
//     significant (the false-positive rate, 5% for a sound test)?
//
//   npm run sim:uplift [-- --shoppers 20000 --seeds 100 --base 0.1 --uplift 0.5 --control 0.5 --epsilon 2 --workers 2 --json --runs FILE]
//   node src/tools/bench/uplift-sim.mjs --summarize FILE [--shoppers N …]   (the figures of a --runs file)
//
// What is left out, and why it does not matter here: storage and sealing (the sim keeps each
// shopper in one engine session: nothing is reloaded; reloads are tested in Catch2 and the
// browser), HTTP (the collector's handler only parses the body before validateBatch), and
// the report's random 5–60 s delay (a browser matter).
import { readFile, writeFile, mkdtemp, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { appendFileSync, readFileSync } from 'node:fs';
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';
import { Boundary } from '../../../js-bindings/src/boundary.js';
import { validateBatch, LIMITS } from '../../../demo/server/insights-collector.mjs';
import { InsightsStore } from '../../../demo/server/insights-store.mjs';
import { estimateExperiments } from '../../../demo/server/uplift-estimate.mjs';
import { rrKeep, Z95 } from '../../../demo/server/insights-estimate.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const require = createRequire(import.meta.url);
const DAY = 86_400_000;
const Z80 = 0.8416212335729143;

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

export async function loadEngine() {
  const wasmBinary = new Uint8Array(await readFile(path.join(root, 'js-bindings/dist/emma.wasm')));
  const factory = require(path.join(root, 'js-bindings/dist/emma-node.cjs'));
  return new Boundary(await factory({ wasmBinary, print: () => {}, printErr: () => {} }));
}

// Shoppers needed (both arms together) to detect a true difference `delta` between rates p1
// and p0 of a bit sent by randomized response at `bitEpsilon` (two-sided 5%, `power`), with a
// share `control` of shoppers in control: n = (z_.975 + z_power)² · (π1(1−π1)/(1−c) + π0(1−π0)/c) / ((2k−1)² δ²),
// π = (1−k) + (2k−1)p: the variance the collector's estimator has (uplift-estimate.mjs).
export function shoppersNeeded({ p0, relative = 0.05, bitEpsilon, control = 0.5, power = 0.8 }) {
  const k = bitEpsilon === Infinity ? 1 : rrKeep(2 * bitEpsilon);  // rrKeep halves its argument
  const p1 = p0 * (1 + relative);
  const pi = (p) => (1 - k) + (2 * k - 1) * p;
  const zPower = power === 0.8 ? Z80 : normalQuantile(power);
  const v = (pi(p1) * (1 - pi(p1))) / (1 - control) + (pi(p0) * (1 - pi(p0))) / control;
  return Math.ceil(((Z95 + zPower) ** 2 * v) / ((2 * k - 1) ** 2 * (p1 - p0) ** 2));
}

// The power the estimator has at n shoppers (both arms): P(|d̂/sd| > 1.96) under the truth.
export function powerAt({ n, p0, p1, bitEpsilon, control = 0.5 }) {
  const k = rrKeep(2 * bitEpsilon);
  const pi = (p) => (1 - k) + (2 * k - 1) * p;
  const sd = Math.sqrt((pi(p1) * (1 - pi(p1))) / ((1 - control) * n) + (pi(p0) * (1 - pi(p0))) / (control * n)) / (2 * k - 1);
  const z = (p1 - p0) / sd;
  return normalCdf(z - Z95) + normalCdf(-z - Z95);
}

function normalCdf(x) {
  // Abramowitz–Stegun 7.1.26 on erf: |error| < 1.5e-7, plenty for a power figure.
  const t = 1 / (1 + 0.3275911 * Math.abs(x) / Math.SQRT2);
  const y = 1 - ((((1.061405429 * t - 1.453152027) * t + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t * Math.exp(-(x * x) / 2);
  return x >= 0 ? (1 + y) / 2 : (1 - y) / 2;
}

function normalQuantile(p) {
  let lo = -10;
  let hi = 10;
  for (let i = 0; i < 100; i++) {
    const mid = (lo + hi) / 2;
    if (normalCdf(mid) < p) lo = mid; else hi = mid;
  }
  return (lo + hi) / 2;
}

// Seeds run on `workers` worker threads (one engine and one collector store each), seed i on
// worker i mod workers; the runs come back in seed order whatever the number of workers.
export async function simulate({ shoppers = 20000, seeds = 100, firstSeed = 1, base = 0.1, uplift = 0.5, clickBase = 0.3,
  control = 0.5, epsilon = 2, workers = 1, log = () => {}, onRuns = () => {} } = {}) {
  const started = Date.now();
  const opts = { shoppers, base, uplift, clickBase, control, epsilon };
  const all = Array.from({ length: seeds }, (_, i) => firstSeed + i);
  const n = Math.max(1, Math.min(workers, seeds));
  const parts = Array.from({ length: n }, (_, w) => all.filter((_, i) => i % n === w));
  let done = 0;
  const progress = (seedRuns) => {
    onRuns(seedRuns);
    done++;
    if (done % 10 === 0) log(`${done} seeds, ${((Date.now() - started) / 1000).toFixed(0)} s`);
  };
  const results = n === 1
    ? [await runSeeds({ ...opts, seeds: parts[0], onSeed: (seed, seedRuns) => progress(seedRuns) })]
    : await Promise.all(parts.map((part) => new Promise((resolve, reject) => {
      const w = new Worker(new URL(import.meta.url), { workerData: { ...opts, seeds: part } });
      let result;
      w.on('message', (m) => { if (m.seed) progress(m.runs); else result = m; });
      w.on('error', reject);
      w.on('exit', (code) => (result ? resolve(result) : reject(new Error(`uplift worker exited with ${code} and no result`))));
    })));
  const runs = results.flatMap((r) => r.runs).sort((x, y) => x.seed - y.seed || (x.scenario < y.scenario ? -1 : 1));
  return {
    ...summarize(runs, { shoppers, base, uplift, control, epsilon }), workers: n,
    seconds: (Date.now() - started) / 1000,
    engine_seconds: results.reduce((s, r) => s + r.engineMs, 0) / 1000,
    collector_seconds: results.reduce((s, r) => s + r.collectorMs, 0) / 1000,
    ms_per_shopper: results.reduce((s, r) => s + r.engineMs, 0) / (seeds * 2 * shoppers),
    runs,
  };
}

// The figures over the runs of the seeds with both experiments done (also of a `--runs` file
// of a run stopped early: `--summarize FILE`).
export function summarize(all, { shoppers, base = 0.1, uplift = 0.5, control = 0.5, epsilon = 2 }) {
  const done = new Set(all.filter((r) => r.scenario === 'effect').map((r) => r.seed));
  const runs = all.filter((r) => done.has(r.seed) && all.some((x) => x.seed === r.seed && x.scenario === 'null'));
  const effect = runs.filter((r) => r.scenario === 'effect');
  const nul = runs.filter((r) => r.scenario === 'null');
  const bitEpsilon = epsilon / 4;  // the default split: half the report's ε for two outcome bits
  const mean = (xs) => xs.reduce((a, b) => a + b, 0) / xs.length;
  // The coverage's own 95% interval over the seeds (Wilson: sound at 100 runs near 0.95).
  const wilson = (k, m) => {
    const z2 = Z95 * Z95;
    const c = (k + z2 / 2) / (m + z2);
    const h = (Z95 * Math.sqrt((k * (m - k)) / m + z2 / 4)) / (m + z2);
    return [c - h, c + h];
  };
  const nullEstimates = nul.map((r) => r.estimate);
  const nullMean = mean(nullEstimates);
  return {
    shoppers, seeds: effect.length, epsilon, outcome_bit_epsilon: bitEpsilon, base, uplift, control_share: control,
    coverage: effect.filter((r) => r.covered).length / effect.length,
    coverage_interval: wilson(effect.filter((r) => r.covered).length, effect.length),
    null_significant_rate: nul.filter((r) => r.significant).length / nul.length,
    null_coverage: nul.filter((r) => r.covered).length / nul.length,
    // The null estimates' sign and mean (with its standard error): a biased engine or estimator leans one way.
    null_mean_estimate: nullMean, null_positive: nullEstimates.filter((x) => x > 0).length,
    null_mean_se: Math.sqrt(nullEstimates.reduce((a, x) => a + (x - nullMean) ** 2, 0) / (nullEstimates.length - 1) / nullEstimates.length),
    power_observed: effect.filter((r) => r.significant).length / effect.length,
    power_predicted: powerAt({ n: shoppers, p0: base, p1: base * (1 + uplift), bitEpsilon, control }),
    mean_estimate: mean(effect.map((r) => r.estimate)), true_difference: base * uplift,
    mean_half_width: mean(effect.map((r) => (r.high - r.low) / 2)),
  };
}

// One worker's seeds: one engine (a fresh session per shopper: `erase`, no new instance) and
// one collector store per seed (a new SQLite file: the estimate reads only that seed's
// reports, as the collector reads one experiment; one store for all seeds made every read
// scan all earlier seeds).
// One shopper's visit, the simulation's unit (also uplift-null-check.mjs's): a new shopper
// (erase: profile, arm, budget, consent; the grants draw a new arm), a product page and its
// `similar` answer, then a click and a purchase with the rates of the arm the engine drew.
// Returns the answer's items and that arm.
export function shopperVisit({ call, clock, advance, grant, ids, rand, click, buy }) {
  call({ op: 'erase' });
  call({ op: 'consent.grant', purpose: 'personalization', ...grant });
  call({ op: 'consent.grant', purpose: 'insights', ...grant });
  const item = ids[Math.floor(rand() * ids.length)];
  call({ op: 'track', event: { type: 'view', item } });
  const { items, personalized } = call({ op: 'recommend', request: { scenario: 'similar', item, limit: 4 } });
  // The arm the engine drew, as the shopper sees it: control answers are never personalised,
  // and a personalized shopper's answer after a view always is (measured against
  // profile.export's arm: 0 differences in 1,000 shoppers; reading the export per shopper
  // would add a fifth of the run time).
  const arm = personalized ? 'personalized' : 'control';
  // The shopper's behaviour depends on the arm the engine drew, and on nothing else. The
  // click and the purchase, each a millisecond later than the step before, go in one `track`
  // call (a batch of events with their times), as a page sends a queue.
  const events = [];
  if (items.length && rand() < click[arm]) events.push({ type: 'click', item: items[0].id, at: clock() + 1 + events.length });
  if (items.length && rand() < buy[arm]) {
    events.push({ type: 'purchase', item: items[Math.floor(rand() * items.length)].id, quantity: 1, at: clock() + 1 + events.length });
  }
  if (events.length) {
    advance(events.length);
    call({ op: 'track', events });
  }
  advance(1);
  return { items, arm };
}

async function runSeeds({ shoppers, seeds, base, uplift, clickBase, control, epsilon, onSeed = () => {} }) {
  const bundle = new Uint8Array(await readFile(path.join(root, 'build/demo/shop.bundle')));
  const catalog = JSON.parse(await readFile(path.join(root, 'demo/catalog.json'), 'utf8'));
  const ids = catalog.items.map((i) => i.id);
  const engine = await loadEngine();
  const now = Date.UTC(2026, 10, 2, 12);
  const today = Math.floor(now / DAY);
  const day = new Date(now).toISOString().slice(0, 10);
  let clock = now;
  const call = (msg, bytes) => engine.call({ now: clock, ...msg }, bytes).result;
  const configure = (id) => call({ op: 'configure', shop: 'uplift-sim', insights: { epsilon, daily_epsilon: epsilon },
    experiment: { id, control, ends: '2026-12-31' } });
  configure('warm-up');
  call({ op: 'bundle.load' }, bundle);
  const domain = call({ op: 'insights.domain' });
  const domains = new Map([[domain.id, { id: domain.id, categories: domain.categories, segments: domain.segments }]]);

  const dir = await mkdtemp(path.join(os.tmpdir(), 'emma-uplift-sim-'));
  const grant = { version: 'sim', text: 'sim', source: 'api' };
  const runs = [];
  let engineMs = 0;
  let collectorMs = 0;
  try {
    for (const seed of seeds) {
      const t0 = Date.now();
      const made = [];
      for (const scenario of ['effect', 'null']) {
        const rand = mulberry32(seed * 2 + (scenario === 'null' ? 1 : 0));
        const id = `sim-${seed}-${scenario}`;
        const p = { control: base, personalized: scenario === 'null' ? base : base * (1 + uplift) };
        const c = { control: clickBase, personalized: scenario === 'null' ? clickBase : clickBase * (1 + uplift) };
        // One engine for all shoppers: configure starts an empty session (profile, consent
        // and experiment state), like a new browser; the bundle stays loaded.
        configure(id);
        const reports = [];
        for (let s = 0; s < shoppers; s++) {
          // A new shopper: erase (profile, arm, budget, consent); the grant draws a new arm.
          // Each step a little later than the one before (a purchase the same millisecond as
          // the draw or a report is not "after" it), all within the day.
          clock = now + s * 20;
          shopperVisit({ call, clock: () => clock, advance: (ms) => { clock += ms; }, grant, ids, rand, click: c, buy: p });
          const r = call({ op: 'insights.report', max: 1 }).reports;
          if (r.length !== 1) throw new Error(`seed ${seed}, shopper ${s}: ${r.length} reports`);
          reports.push(r[0]);
        }
        made.push({ scenario, id, p, reports });
      }
      const t1 = Date.now();
      // The collector's validation, 16 reports per batch as over HTTP, then one transaction
      // for the seed's reports, in a store of its own.
      const store = new InsightsStore(path.join(dir, `seed-${seed}.sqlite`));
      try {
        store.addDomain(domain);
        const valid = [];
        for (const { reports } of made) {
          for (let i = 0; i < reports.length; i += LIMITS.reportsPerBatch) {
            valid.push(...validateBatch({ reports: reports.slice(i, i + LIMITS.reportsPerBatch) }, domains, today));
          }
        }
        store.append(valid);
        const sums = store.outcomeSums(domain.id, { from: day, to: day });
        for (const { scenario, id, p } of made) {
          const est = estimateExperiments(sums.filter((g) => g.experiment === id), { k: 50 })[0];
          const up = est.uplift.find((u) => u.metric === 'bought');
          const truth = p.personalized - p.control;
          runs.push({ seed, scenario, truth, estimate: up.difference.estimate, low: up.difference.low, high: up.difference.high,
            covered: truth >= up.difference.low && truth <= up.difference.high, significant: up.significant,
            ratio: up.ratio, arms: est.arms.map((a) => ({ arm: a.arm, reports: a.reports, bought: a.bought.rate })) });
        }
      } finally {
        store.close();
        await rm(path.join(dir, `seed-${seed}.sqlite`), { force: true });
        await rm(path.join(dir, `seed-${seed}.sqlite-wal`), { force: true });
        await rm(path.join(dir, `seed-${seed}.sqlite-shm`), { force: true });
      }
      collectorMs += Date.now() - t1;
      engineMs += t1 - t0;
      onSeed(seed, runs.slice(-2));
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
    engine.destroy?.();
  }
  return { runs, engineMs, collectorMs };
}

if (!isMainThread && workerData?.seeds) {
  const result = await runSeeds({ ...workerData, onSeed: (seed, runs) => parentPort.postMessage({ seed, runs }) });
  parentPort.postMessage(result);
}

// The smallest relative uplift a shop of n consenting shoppers detects with 80% power.
export function smallestDetectable({ n, p0, bitEpsilon, control = 0.5 }) {
  let lo = 0;
  let hi = 100;
  for (let i = 0; i < 60; i++) {
    const mid = (lo + hi) / 2;
    if (powerAt({ n, p0, p1: p0 * (1 + mid), bitEpsilon, control }) < 0.8) lo = mid; else hi = mid;
  }
  return hi;
}

// The power table: shoppers (both arms) for +5% relative in the purchase rate, 80% power.
export function powerTable() {
  const rows = [];
  for (const p0 of [0.02, 0.05, 0.1, 0.2]) {
    for (const control of [0.5, 0.1]) {
      rows.push({ p0, control, noPrivacy: shoppersNeeded({ p0, control, bitEpsilon: Infinity }),
        // ε = 2 per report: the default split (bought at 0.5), or 1.9 of it on the outcomes (bought at 0.95).
        defaultSplit: shoppersNeeded({ p0, control, bitEpsilon: 0.5 }),
        outcomeHeavy: shoppersNeeded({ p0, control, bitEpsilon: 0.95 }) });
    }
  }
  return rows;
}

if (isMainThread && process.argv[1] === fileURLToPath(import.meta.url)) {
  const arg = (name, def) => {
    const i = process.argv.indexOf(`--${name}`);
    return i > 0 ? Number(process.argv[i + 1]) : def;
  };
  // --runs FILE: every run's estimate and interval as a line, written as each seed ends (a
  // long run stopped early keeps what it did).
  const runsAt = process.argv.indexOf('--runs');
  const runsFile = runsAt > 0 ? process.argv[runsAt + 1] : null;
  if (runsFile) await writeFile(runsFile, '');
  // --summarize FILE: the figures of a `--runs` file (a run stopped early), as the last line.
  const sumAt = process.argv.indexOf('--summarize');
  if (sumAt > 0) {
    const lines = readFileSync(process.argv[sumAt + 1], 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l));
    console.log(JSON.stringify({ ...summarize(lines, { shoppers: arg('shoppers', 20000), base: arg('base', 0.1), uplift: arg('uplift', 0.5),
      control: arg('control', 0.5), epsilon: arg('epsilon', 2) }), from_runs: process.argv[sumAt + 1] }));
    process.exit(0);
  }
  const r = await simulate({ onRuns: (runs) => runsFile && appendFileSync(runsFile, runs.map((x) => `${JSON.stringify(x)}\n`).join('')), shoppers: arg('shoppers', 20000), seeds: arg('seeds', 100), firstSeed: arg('seed', 1),
    base: arg('base', 0.1), uplift: arg('uplift', 0.5), control: arg('control', 0.5), epsilon: arg('epsilon', 2),
    workers: arg('workers', 2), log: (m) => process.stderr.write(`${m}\n`) });
  const { runs, ...summary } = r;
  if (process.argv.includes('--table') || !process.argv.includes('--json')) {
    const f = (n) => n.toLocaleString('en');
    console.log('shoppers (both arms) for +5% relative purchase rate, 80% power, two-sided 5%:');
    console.log('| base rate | control share | without noise | ε = 2, default split (bought at ε 0.5) | ε = 2, 1.9 on outcomes (bought at ε 0.95) |');
    for (const row of powerTable()) console.log(`| ${row.p0} | ${row.control} | ${f(row.noPrivacy)} | ${f(row.defaultSplit)} | ${f(row.outcomeHeavy)} |`);
  }
  if (process.argv.includes('--json')) {
    console.log(JSON.stringify(summary));
  } else {
    const f = (x) => x.toFixed(4);
    console.log(`${r.shoppers} shoppers x ${r.seeds} seeds x 2 experiments, ε = ${r.epsilon} per report, ${r.seconds.toFixed(0)} s ` +
      `(engine ${r.engine_seconds.toFixed(0)} s, collector ${r.collector_seconds.toFixed(0)} s)`);
    console.log(`coverage of the true difference ${f(r.true_difference)}: ${f(r.coverage)} (95%: ${f(r.coverage_interval[0])}–${f(r.coverage_interval[1])}); mean estimate ${f(r.mean_estimate)}, ` +
      `mean half-width ${f(r.mean_half_width)}`);
    console.log(`no true uplift: significant in ${f(r.null_significant_rate)} (coverage of 0: ${f(r.null_coverage)}); ` +
      `mean estimate ${f(r.null_mean_estimate)} ± ${f(r.null_mean_se)}, ${r.null_positive} of ${r.seeds} positive`);
    console.log(`power at this size: observed ${f(r.power_observed)}, predicted ${f(r.power_predicted)}`);
  }
}
