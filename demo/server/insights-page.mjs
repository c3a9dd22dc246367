// The demo's /audience page: what the shop learns from the opt-in reports, de-noised, with
// 95% confidence intervals, estimates under the k-threshold withheld. Plain HTML and SVG
// attributes (no script, no inline style): it is served under the demo's strict CSP.
import { html, raw } from '../render.mjs';

const pct = (x) => `${(100 * x).toFixed(1)}%`;

function bar(row) {
  // The estimate as a bar and its interval as a line, on a 0–100% scale 200 units wide.
  const x = (v) => Math.max(0, Math.min(200, 200 * v)).toFixed(1);
  return html`<svg class="ci" viewBox="0 0 200 12" width="200" height="12" role="img" aria-label="${pct(row.share)}, 95% interval ${pct(Math.max(0, row.shareLow))} to ${pct(row.shareHigh)}"><rect x="0" y="2" width="${x(row.share)}" height="8" fill="#4a7"></rect><line x1="${x(row.shareLow)}" x2="${x(row.shareHigh)}" y1="6" y2="6" stroke="#222" stroke-width="1.5"></line></svg>`;
}

function table(caption, rows, k) {
  return html`<table class="audience">
    <caption>${caption}</caption>
    <thead><tr><th scope="col">group</th><th scope="col">estimated share</th><th scope="col">95% interval</th><th scope="col">reports (est.)</th><th scope="col"></th></tr></thead>
    <tbody>${rows.map((r) => (r.shown
    ? html`<tr><th scope="row">${r.label}</th><td>${pct(r.share)}</td><td>${pct(Math.max(0, r.shareLow))} – ${pct(r.shareHigh)}</td><td>${Math.round(r.count)}</td><td>${bar(r)}</td></tr>`
    : html`<tr><th scope="row">${r.label}</th><td colspan="4">fewer than ${k}: not shown</td></tr>`))}</tbody>
  </table>`;
}

const pp = (x) => `${x >= 0 ? '+' : '−'}${Math.abs(100 * x).toFixed(2)} pp`;

// One experiment's arms as bars (the de-noised purchase rate) with their 95% intervals as
// lines, on one scale: what the shop compares at a glance. SVG attributes only (CSP).
function armsChart(arms) {
  const shown = arms.filter((a) => a.shown);
  const top = Math.max(0.01, ...shown.map((a) => a.bought.high)) * 1.1;
  const x = (v) => (100 + Math.max(0, Math.min(300, (300 * v) / top))).toFixed(1);
  const rows = shown.map((a, i) => {
    const y = 10 + i * 26;
    return html`<g><text x="0" y="${y + 12}" font-size="12">${a.arm}</text><rect x="100" y="${y}" width="${(x(a.bought.rate) - 100).toFixed(1)}" height="16" fill="${a.arm === 'control' ? '#999' : '#4a7'}"></rect><line x1="${x(a.bought.low)}" x2="${x(a.bought.high)}" y1="${y + 8}" y2="${y + 8}" stroke="#222" stroke-width="1.5"></line><text x="${Number(x(a.bought.high)) + 4}" y="${y + 12}" font-size="11">${pct(a.bought.rate)}</text></g>`;
  });
  return html`<svg class="uplift" viewBox="0 0 460 ${20 + 26 * shown.length}" width="460" height="${20 + 26 * shown.length}" role="img" aria-label="purchase rate per arm with 95% intervals">${rows}</svg>`;
}

function experimentSection(x) {
  const bought = x.uplift.filter((u) => u.metric === 'bought');
  return html`<section class="experiment">
    <h2>Experiment <code>${x.id}</code></h2>
    <table class="audience">
      <caption>Per arm: the share of reports (shopper-days) that opened (viewed or clicked), or bought, an item recommended to them within the attribution window, since their previous report, de-noised, with 95% intervals</caption>
      <thead><tr><th scope="col">arm</th><th scope="col">reports</th><th scope="col">bought</th><th scope="col">95% interval</th><th scope="col">opened</th><th scope="col">95% interval</th></tr></thead>
      <tbody>${x.arms.map((a) => (a.shown
    ? html`<tr><th scope="row">${a.arm}</th><td>${a.reports}</td><td>${pct(a.bought.rate)}</td><td>${pct(a.bought.low)} – ${pct(a.bought.high)}</td><td>${pct(a.opened.rate)}</td><td>${pct(a.opened.low)} – ${pct(a.opened.high)}</td></tr>`
    : html`<tr><th scope="row">${a.arm}</th><td colspan="5">fewer than ${x.k} reports: not shown</td></tr>`))}</tbody>
    </table>
    ${armsChart(x.arms)}
    ${bought.length ? bought.map((u) => html`<p class="uplift-result" data-significant="${String(u.significant)}">Uplift of <strong>${u.arm}</strong> over ${u.control} in purchases: ${pp(u.difference.estimate)} (95% interval ${pp(u.difference.low)} to ${pp(u.difference.high)})${u.ratio ? html`, ratio ${u.ratio.estimate.toFixed(3)} (${u.ratio.low.toFixed(3)} to ${u.ratio.high.toFixed(3)})` : ''}: ${u.significant ? 'a significant difference at the 5% level' : 'not significant: the data cannot tell the arms apart yet'}.</p>`)
    : html`<p>The uplift is shown once both arms have ${x.k} reports.</p>`}
  </section>`;
}

export function audiencePage(result) {
  const body = !result
    ? html`<p>The collector knows no domain yet (no bundle).</p>`
    : result.reports < result.k
      ? html`<p>${result.reports} reports so far: estimates are shown from ${result.k} reports on.</p>`
      : html`<p>${result.reports} reports (shopper-days). Each report is noised in the shopper's browser before it is sent (local differential privacy, ε = ${result.epsilons.join(', ')} per report), so no single report says what a shopper likes; only the sum over many does.</p>
    ${table('Strongest interest (top-level category)', result.categories, result.k)}
    ${table('Segments', result.segments, result.k)}`;
  const experiments = result && result.experiments && result.experiments.length
    ? html`<h2>What personalization earns (A/B experiments)</h2>
    <p>Shoppers were drawn at random in their own browser into the arms; the <code>control</code> arm saw non-personalised recommendations.
    Rates are per report; the difference's interval is Wald's, the ratio's by the delta method on its logarithm (docs/insights.md).</p>
    ${result.experiments.map(experimentSection)}`
    : '';
  return html`<!DOCTYPE html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>Audience · Tante Emma demo shop</title>
  <link rel="icon" href="/favicon.svg">
  <link rel="stylesheet" href="/shop.css">
</head>
<body>
  <header class="top"><a href="/" class="brand">Tante Emma <small>demo shop</small></a></header>
  <main id="main">
    <h1>Audience (opt-in insights)</h1>
    <p>What this shop learns from shoppers who allowed <code>insights</code>: estimates de-noised from locally
    randomized reports, with 95% confidence intervals. Groups estimated below ${result ? result.k : 50} reports are not shown.
    No report carries an identifier or a time finer than its day, and the collector stores no IP address.</p>
    ${body}
    ${experiments}
  </main>
</body>
</html>
`.html;
}
