// De-noising the collector's sums (docs/insights.md). Everything here works on sums only
// (counts of reports and of 1-bits per position), so any number of collector shards can add
// their sums and get the same estimate as one big table.
//
// Categories: Optimized Unary Encoding at ε/2 (p = 1/2, q = 1/(e^(ε/2) + 1)). For n reports
// with y ones at position i, ĉ = (y − n·q)/(p − q) is unbiased for the number c of reports
// whose true bit is i, with Var = (n·q(1−q) + c·(p−q)(1−p−q)) / (p−q)² (Wang et al. 2017).
// Segments: one drawn segment per report, randomized response at ε/2 (keep k = e^(ε/2)/(e^(ε/2)+1)).
// Of the n_j reports that drew segment j, y_j say 1: m̂ = (y_j − n_j(1−k))/(2k−1), with
// Var = n_j·k(1−k)/(2k−1)² exactly.

export const Z95 = 1.959963984540054;

export function oueParams(epsilon) {
  const half = epsilon / 2;
  return { p: 0.5, q: 1 / (Math.exp(half) + 1) };
}

export function rrKeep(epsilon) {
  const half = epsilon / 2;
  return Math.exp(half) / (Math.exp(half) + 1);
}

// groups: [{ epsilon, audienceEpsilon?, n, ones: [y_i per category], segN: [n_j], segOnes: [y_j] }],
// one per ε (reports made with different ε are de-noised apart and then added). The audience
// bits were noised at `audienceEpsilon` (ε less what an experiment's outcome bits took).
// Returns raw estimates (no threshold): counts and shares with 95% confidence intervals.
export function estimate(domain, groups) {
  const n = groups.reduce((s, g) => s + g.n, 0);
  const categories = domain.categories.map((label, i) => {
    let est = 0;
    let variance = 0;
    for (const g of groups) {
      if (g.n === 0) continue;
      const { p, q } = oueParams(g.audienceEpsilon ?? g.epsilon);
      const c = (g.ones[i] - g.n * q) / (p - q);
      // The variance's second term needs the true count: the estimate, kept within [0, n].
      const cPlug = Math.min(Math.max(c, 0), g.n);
      est += c;
      variance += (g.n * q * (1 - q) + cPlug * (p - q) * (1 - p - q)) / ((p - q) ** 2);
    }
    const sd = Math.sqrt(variance);
    return withShares({ label, count: est, sd, low: est - Z95 * sd, high: est + Z95 * sd }, n);
  });
  const segments = domain.segments.map((label, j) => {
    let drew = 0;
    let members = 0;
    let variance = 0;
    for (const g of groups) {
      const nj = g.segN[j];
      if (!nj) continue;
      const k = rrKeep(g.audienceEpsilon ?? g.epsilon);
      drew += nj;
      members += (g.segOnes[j] - nj * (1 - k)) / (2 * k - 1);
      variance += (nj * k * (1 - k)) / ((2 * k - 1) ** 2);
    }
    // The share among the reports that drew this segment stands for the share of all reports.
    const share = drew ? members / drew : 0;
    const shareSd = drew ? Math.sqrt(variance) / drew : Infinity;
    const count = share * n;
    const sd = shareSd * n;
    return withShares({ label, count, sd, low: count - Z95 * sd, high: count + Z95 * sd, drew }, n);
  });
  return { reports: n, epsilons: [...new Set(groups.map((g) => g.epsilon))], confidence: 0.95, categories, segments };
}

function withShares(row, n) {
  return { ...row, share: n ? row.count / n : 0, shareLow: n ? row.low / n : 0, shareHigh: n ? row.high / n : 0 };
}

// What the shop is shown: an estimate below k reports (or from fewer than k reports in all)
// is withheld. Noise protects every shopper already; k keeps the shop from reading meaning
// into groups so small that the estimate is mostly noise.
export function withholdBelow(result, k) {
  const hide = (row) => (result.reports >= k && row.count >= k
    ? { ...row, shown: true }
    : { label: row.label, shown: false });
  return { ...result, k, categories: result.categories.map(hide), segments: result.segments.map(hide) };
}
