// The A/B uplift simulation (src/tools/bench/uplift-sim.mjs) as a smoke run inside npm test:
// shoppers through the real wasm engine (arm drawn, slots answered, outcomes counted and
// noised there) into the real collector's validation, SQLite store and estimate. The full run
// (20,000 shoppers x 100 seeds x 2 experiments) is `npm run sim:uplift`; RESULTS.md has it.
//
// Few seeds cannot show 95% coverage; what they can show soundly: the JSON has its shape, the
// collector saw every report in both arms in the drawn proportions, and the estimates sit
// where the truth is (the mean over the seeds within 4 standard errors of the truth). At ε = 8
// per report (outcome bits at 2) the noise is small enough that an engine which drops the
// purchases, or a collector that de-noises them wrongly, lands far outside.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { simulate, shoppersNeeded, powerAt } from '../../src/tools/bench/uplift-sim.mjs';

test('uplift simulation: shape, arms in proportion, estimates around the true difference', async (t) => {
  const shoppers = 1500;
  // Two workers, as the full run: each its own engine and collector stores; the runs come back in seed order.
  const r = await simulate({ shoppers, seeds: 3, base: 0.2, uplift: 1, control: 0.5, epsilon: 8, workers: 2 });
  t.diagnostic(`${r.seconds.toFixed(1)} s (engine ${r.engine_seconds.toFixed(1)} s); mean estimate ${r.mean_estimate.toFixed(4)} vs ${r.true_difference}; ` +
    `coverage ${r.coverage}, null significant ${r.null_significant_rate}, power ${r.power_observed} (predicted ${r.power_predicted.toFixed(3)})`);
  for (const key of ['shoppers', 'seeds', 'coverage', 'null_significant_rate']) assert.equal(typeof r[key], 'number', key);
  assert.equal(r.shoppers, shoppers);
  assert.equal(r.seeds, 3);
  assert.equal(r.runs.length, 6);
  assert.equal(r.workers, 2);
  assert.deepEqual(r.runs.map((x) => `${x.seed} ${x.scenario}`), ['1 effect', '1 null', '2 effect', '2 null', '3 effect', '3 null']);
  assert.ok(r.coverage_interval[0] <= r.coverage && r.coverage <= r.coverage_interval[1]);
  for (const run of r.runs) {
    const n = run.arms.reduce((s, a) => s + a.reports, 0);
    assert.equal(n, shoppers, `seed ${run.seed} ${run.scenario}: every report arrived`);
    const control = run.arms.find((a) => a.arm === 'control').reports;
    // Binomial(1500, 0.5): sd 19.4; 5 sd.
    assert.ok(Math.abs(control - shoppers / 2) < 97, `control drew ${control} of ${shoppers}`);
    assert.ok(run.low < run.estimate && run.estimate < run.high);
  }
  // One estimate's sd here is about 0.03 (bits at ε 2); the mean of 3 about 0.018.
  const sd = (r.mean_half_width / 1.96) / Math.sqrt(3);
  assert.ok(Math.abs(r.mean_estimate - r.true_difference) < 4 * sd, `mean estimate ${r.mean_estimate}, truth ${r.true_difference} (sd ${sd})`);
  const nullMean = r.runs.filter((x) => x.scenario === 'null').reduce((s, x) => s + x.estimate, 0) / 3;
  assert.ok(Math.abs(nullMean) < 4 * sd, `no uplift, yet a mean estimate of ${nullMean}`);
});

test('the power formula agrees with itself: at the size it names, the power is 80%', () => {
  const n = shoppersNeeded({ p0: 0.05, relative: 0.05, bitEpsilon: 0.5, control: 0.5 });
  assert.ok(Math.abs(powerAt({ n, p0: 0.05, p1: 0.0525, bitEpsilon: 0.5, control: 0.5 }) - 0.8) < 0.005);
  // Without noise the textbook figure: ~ 2 x 122,000 for 5.00% vs 5.25%.
  const plain = shoppersNeeded({ p0: 0.05, relative: 0.05, bitEpsilon: Infinity, control: 0.5 });
  assert.ok(plain > 230_000 && plain < 250_000, `${plain}`);
});
