// The insights simulation (src/tools/bench/insights-sim.mjs) as a smoke run inside npm test:
// shoppers with known interests through the real wasm engine, their reports over HTTP into
// the real collector and its SQLite file. The full run (20,000 shoppers, ~8 minutes here) is
// `npm run sim:insights`; its figures are in src/tools/bench/RESULTS.md.
//
// Coverage is tested soundly, not as "≥ 95% of ~14 intervals" (which a correct procedure fails
// about half the time): every day × category/segment interval is one trial, and the run fails
// only when fewer are covered than a 95% procedure gives with probability 0.999 (a one-sided
// binomial test). Intervals that are too narrow or biased fall far below that floor.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { simulate } from '../../src/tools/bench/insights-sim.mjs';

test('insights simulation: estimates within their stated intervals, the guessing attack within what ε allows', async (t) => {
  const r = await simulate({ shoppers: 1500, days: 5, epsilon: 2, seed: 7 });
  const c = r.coverage;
  t.diagnostic(`${r.reports} reports in ${r.seconds.toFixed(1)} s; coverage ${c.covered}/${c.intervals} = ${c.rate.toFixed(4)} (floor ${c.floor}); ` +
    `attack ${r.attack.uniformPrior.success.toFixed(4)} vs bound ${r.attack.uniformPrior.bound.toFixed(4)} (chance ${r.attack.uniformPrior.chance.toFixed(4)}); ` +
    `known prior ${r.attack.knownPrior.success.toFixed(4)} vs bound ${r.attack.knownPrior.bound.toFixed(4)}`);
  assert.equal(c.intervals, 5 * (r.categories.length + 5));
  assert.ok(c.covered >= c.floor, `only ${c.covered} of ${c.intervals} intervals hold the truth; a 95% procedure gives at least ${c.floor} (p = 0.999)`);
  const a = r.attack.uniformPrior;
  assert.ok(a.success <= a.bound, `one report names the top category ${a.success} of the time; ε/2 allows at most ${a.bound}`);
  // The attack is real: far better than chance, near OUE's exact success (about 10 standard
  // deviations from either threshold at this size).
  assert.ok(a.success > (a.chance + a.oueExact) / 2, `attack success ${a.success}: the reports carry no signal?`);
  assert.ok(r.attack.knownPrior.success <= r.attack.knownPrior.bound);
  assert.ok(r.attack.knownPrior.success > r.attack.knownPrior.noReport, 'with the report the guess is better than the prior alone');
});
