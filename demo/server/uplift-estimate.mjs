// De-noising an A/B experiment's outcome bits (docs/insights.md "Experiments"), from sums only.
//
// Each report of a shopper in an experiment carries the arm in clear and two bits about the
// time since the shopper's previous report, `opened` (a recommendation) and `bought` (an item
// recommended within the attribution window), each by randomized response at
// outcome_epsilon/2: kept with k = e^(ε_o/2)/(e^(ε_o/2)+1). Among an arm's n reports, with
// ȳ the share of 1s, r̂ = (ȳ − (1−k))/(2k−1) is unbiased for the true rate r. Reports are a
// random sample of the arm's shopper-days, so each observed bit is Bernoulli(π) with
// π = (1−k) + (2k−1)r, and Var(r̂) = π(1−π)/(n(2k−1)²), estimated with ȳ for π: sampling and
// noise together, no assumption about r.
//
// Uplift of an arm over `control`: the difference d = r̂_a − r̂_c with the Wald interval
// d ± 1.96·√(Var_a + Var_c) (the arms are independent samples), and the ratio R = r̂_a/r̂_c
// with the delta-method interval on log R: exp(log R ± 1.96·√(Var_a/r̂_a² + Var_c/r̂_c²)),
// given only when both rates are estimated above 0. "Significant" means the difference's
// 95% interval excludes 0 (a two-sided test at 5%).
import { Z95, rrKeep } from './insights-estimate.mjs';

const METRICS = ['bought', 'opened'];

// groups: rows of InsightsStore.outcomeSums: { experiment, arm, epsilon (outcome ε), n, opened, bought }.
function armRate(groups, metric) {
  let n = 0;
  let weighted = 0;
  let variance = 0;
  for (const g of groups) {
    const k = rrKeep(g.epsilon);
    const y = g[metric] / g.n;
    n += g.n;
    weighted += g.n * ((y - (1 - k)) / (2 * k - 1));
    variance += g.n * g.n * ((y * (1 - y)) / (g.n * (2 * k - 1) ** 2));
  }
  const rate = weighted / n;
  const sd = Math.sqrt(variance) / n;
  return { rate, sd, low: rate - Z95 * sd, high: rate + Z95 * sd };
}

export function uplift(a, c) {
  const estimate = a.rate - c.rate;
  const sd = Math.sqrt(a.sd ** 2 + c.sd ** 2);
  const difference = { estimate, sd, low: estimate - Z95 * sd, high: estimate + Z95 * sd };
  let ratio = null;
  if (a.rate > 0 && c.rate > 0) {
    const r = a.rate / c.rate;
    const sdLog = Math.sqrt((a.sd / a.rate) ** 2 + (c.sd / c.rate) ** 2);
    ratio = { estimate: r, low: r * Math.exp(-Z95 * sdLog), high: r * Math.exp(Z95 * sdLog) };
  }
  return { difference, ratio, significant: difference.low > 0 || difference.high < 0 };
}

// Per experiment: each arm's rates (withheld under k reports), and each arm's uplift over
// the arm named `control` (withheld unless both arms are shown).
export function estimateExperiments(rows, { k = 50, control = 'control' } = {}) {
  const byExperiment = new Map();
  for (const r of rows) {
    if (!byExperiment.has(r.experiment)) byExperiment.set(r.experiment, new Map());
    const arms = byExperiment.get(r.experiment);
    if (!arms.has(r.arm)) arms.set(r.arm, []);
    arms.get(r.arm).push(r);
  }
  return [...byExperiment].map(([id, arms]) => {
    const rates = new Map();
    const out = [];
    for (const [arm, groups] of arms) {
      const reports = groups.reduce((s, g) => s + g.n, 0);
      if (reports < k || reports === 0) {
        out.push({ arm, shown: false, reports: reports < k ? null : reports });
        continue;
      }
      const row = { arm, shown: true, reports };
      for (const m of METRICS) row[m] = armRate(groups, m);
      rates.set(arm, row);
      out.push(row);
    }
    const base = rates.get(control);
    const uplifts = [];
    for (const [arm, row] of rates) {
      if (arm === control || !base) continue;
      for (const m of METRICS) uplifts.push({ arm, control, metric: m, ...uplift(row[m], base[m]) });
    }
    return { id, confidence: 0.95, k, arms: out, uplift: uplifts };
  });
}
