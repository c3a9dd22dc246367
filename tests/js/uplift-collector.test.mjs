// The collector's side of an A/B experiment (docs/insights.md "Experiments"): reports made by
// the real wasm engine (npm package, `experiment` option) carry the arm and two noised
// outcome bits; the collector validates them (all five fields or none, naming the field),
// stores them in its SQLite file (an older file gets the columns), estimates per-arm rates and
// the uplift with intervals, withholds arms under k, and shows them on /audience as an SVG
// chart under the demo's CSP and in /audience.json.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { createEmma } from 'tante-emma';
import { createDemoServer } from '../../demo/server.mjs';
import { estimateExperiments, uplift } from '../../demo/server/uplift-estimate.mjs';
import { rrKeep } from '../../demo/server/insights-estimate.mjs';

const bundlePath = new URL('../../build/demo/shop.bundle', import.meta.url);

async function start() {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'emma-uplift-collector-'));
  const file = path.join(dir, 'insights.sqlite');
  const server = createDemoServer({ insights: { file } });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const origin = `http://127.0.0.1:${server.address().port}`;
  return {
    origin, file, dir,
    post: (body) => fetch(`${origin}/insights/reports`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) }),
    async close() {
      await new Promise((resolve) => server.close(resolve));
      await rm(dir, { recursive: true, force: true });
    },
  };
}

// Shoppers in the real engine with an experiment (most in `control` when control ≈ 1).
async function experimentReports(count, { control = 0.5, buy = false } = {}) {
  const now = Date.now();
  const emma = await createEmma({ bundle: new Uint8Array(await readFile(bundlePath)), shop: 'uplift-test', now: () => now,
    insights: {}, experiment: { id: 'exp-test', control, ends: new Date(now + 30 * 86_400_000).toISOString().slice(0, 10) } });
  const out = [];
  try {
    for (let k = 0; k < count; k++) {
      await emma.erase();
      await emma.consent.grant('personalization', { version: 't', source: 'api' });
      await emma.consent.grant('insights', { version: 't', source: 'api' });
      await emma.track({ type: 'view', item: '85099B' });
      const { items } = await emma.recommend({ scenario: 'similar', item: '85099B', limit: 3 });
      if (buy) await emma.track({ type: 'purchase', item: items[0].id });
      out.push(...await emma.insights.report());
    }
    return out;
  } finally {
    await emma.close();
  }
}

test('experiment reports: the engine adds arm and outcome bits; the collector validates, stores and estimates them', async (t) => {
  const c = await start();
  t.after(() => c.close());
  const reports = await experimentReports(60, { control: 0.5, buy: true });
  for (const r of reports) {
    assert.equal(r.experiment, 'exp-test');
    assert.ok(r.arm === 'control' || r.arm === 'personalized');
    assert.equal(r.epsilon, 2);
    assert.equal(r.outcome_epsilon, 1);
    assert.ok(r.bought === 0 || r.bought === 1);
  }
  // All five fields or none; each is checked and named.
  const bad = async (change, field) => {
    const r = { ...reports[0], nonce: reports[0].nonce.replace(/^./, (x) => (x === 'a' ? 'b' : 'a')) };
    change(r);
    const res = await c.post({ reports: [r] });
    assert.equal(res.status, 400);
    const body = await res.json();
    assert.match(body.error.message, new RegExp(`reports\\[0\\]\\.${field}`), body.error.message);
  };
  await bad((r) => delete r.bought, 'bought');
  await bad((r) => { r.opened = 2; }, 'opened');
  await bad((r) => { r.arm = 'Control'; }, 'arm');
  await bad((r) => { r.outcome_epsilon = 2; }, 'outcome_epsilon');
  await bad((r) => { r.experiment = ''; }, 'experiment');
  for (let i = 0; i < reports.length; i += 16) assert.equal((await c.post({ reports: reports.slice(i, i + 16) })).status, 202);
  const db = new Database(c.file, { readonly: true });
  const stored = db.prepare('SELECT arm, COUNT(*) AS n, SUM(bought) AS b FROM reports WHERE experiment = ? GROUP BY arm').all('exp-test');
  db.close();
  assert.equal(stored.reduce((s, r) => s + r.n, 0), 60);
  const json = await (await fetch(`${c.origin}/audience.json`)).json();
  const x = json.experiments.find((e) => e.id === 'exp-test');
  assert.ok(x, 'the experiment is in /audience.json');
  assert.equal(x.k, 50);
  // Neither arm has 50 reports (60 split about in half): both withheld, no uplift.
  for (const a of x.arms) assert.equal(a.shown, a.reports !== null && a.reports >= 50);
  const page = await (await fetch(`${c.origin}/audience`)).text();
  assert.match(page, /Experiment <code>exp-test<\/code>/);
  assert.doesNotMatch(page, /style=|<script/i, 'CSP-safe: no inline style or script');
});

test('per-arm rates and the uplift: unbiased on known sums, intervals by the stated formulas, withheld under k', () => {
  const k = rrKeep(1);  // bits at 0.5
  // 10,000 reports per arm with true rates 0.10 and 0.20: the expected number of 1s.
  const ones = (n, r) => Math.round(n * ((1 - k) + (2 * k - 1) * r));
  const rows = [
    { experiment: 'x', arm: 'control', epsilon: 1, n: 10000, opened: ones(10000, 0.3), bought: ones(10000, 0.1) },
    { experiment: 'x', arm: 'personalized', epsilon: 1, n: 10000, opened: ones(10000, 0.3), bought: ones(10000, 0.2) },
    { experiment: 'small', arm: 'control', epsilon: 1, n: 49, opened: 20, bought: 20 },
    { experiment: 'small', arm: 'personalized', epsilon: 1, n: 4000, opened: 2000, bought: 2000 },
  ];
  const [x, small] = estimateExperiments(rows, { k: 50 });
  const ctl = x.arms.find((a) => a.arm === 'control');
  const per = x.arms.find((a) => a.arm === 'personalized');
  assert.ok(Math.abs(ctl.bought.rate - 0.1) < 1e-3 && Math.abs(per.bought.rate - 0.2) < 1e-3);
  const y = ones(10000, 0.1) / 10000;
  assert.ok(Math.abs(ctl.bought.sd - Math.sqrt(y * (1 - y) / 10000) / (2 * k - 1)) < 1e-12);
  const u = x.uplift.find((v) => v.metric === 'bought');
  assert.ok(Math.abs(u.difference.estimate - 0.1) < 2e-3);
  assert.equal(u.significant, true);
  assert.ok(u.ratio.low < 2 && u.ratio.high > 2);
  const clicks = x.uplift.find((v) => v.metric === 'opened');
  assert.equal(clicks.significant, false);
  // Under k: the arm is withheld (not even its count) and there is no uplift.
  assert.deepEqual(small.arms.find((a) => a.arm === 'control'), { arm: 'control', shown: false, reports: null });
  assert.deepEqual(small.uplift, []);
  // A rate estimated at or below 0 has no ratio (its logarithm is undefined), only a difference.
  assert.equal(uplift({ rate: 0.1, sd: 0.01 }, { rate: -0.01, sd: 0.02 }).ratio, null);
});

test('an insights file from before experiments gets the columns and keeps its reports', async () => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'emma-uplift-migrate-'));
  try {
    const file = path.join(dir, 'insights.sqlite');
    const old = new Database(file);
    old.exec(`CREATE TABLE domains (id TEXT PRIMARY KEY, labels TEXT NOT NULL) STRICT;
      CREATE TABLE reports (nonce TEXT PRIMARY KEY, domain TEXT NOT NULL REFERENCES domains(id), day TEXT NOT NULL, epsilon REAL NOT NULL,
        categories TEXT NOT NULL, segment INTEGER NOT NULL, segment_bit INTEGER NOT NULL) STRICT, WITHOUT ROWID;
      INSERT INTO domains VALUES ('d', '{"categories":["A"],"segments":["new"]}');
      INSERT INTO reports VALUES ('00000000000000000000000000000000', 'd', '2026-11-29', 2, '1', 0, 1);`);
    old.close();
    const { InsightsStore } = await import('../../demo/server/insights-store.mjs');
    const store = new InsightsStore(file);
    store.append([{ nonce: '1'.repeat(32), domain: 'd', day: '2026-11-29', epsilon: 2, categories: '0', segment: 0, segment_bit: 0,
      experiment: 'e', arm: 'control', outcome_epsilon: 1, opened: 0, bought: 1 }]);
    const sums = store.sums({ id: 'd', categories: ['A'], segments: ['new'] });
    assert.deepEqual(sums.map((g) => [g.epsilon, g.audienceEpsilon, g.n]).sort(), [[2, 1, 1], [2, 2, 1]]);
    assert.deepEqual(store.outcomeSums('d'), [{ experiment: 'e', arm: 'control', epsilon: 1, n: 1, opened: 0, bought: 1 }]);
    store.close();
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
