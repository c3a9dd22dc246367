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

export function audiencePage(result) {
  const body = !result
    ? html`<p>The collector knows no domain yet (no bundle).</p>`
    : result.reports < result.k
      ? html`<p>${result.reports} reports so far: estimates are shown from ${result.k} reports on.</p>`
      : html`<p>${result.reports} reports (shopper-days). Each report is noised in the shopper's browser before it is sent (local differential privacy, ε = ${result.epsilons.join(', ')} per report), so no single report says what a shopper likes; only the sum over many does.</p>
    ${table('Strongest interest (top-level category)', result.categories, result.k)}
    ${table('Segments', result.segments, result.k)}`;
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
  </main>
</body>
</html>
`.html;
}
