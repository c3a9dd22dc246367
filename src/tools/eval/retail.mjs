// The Online Retail protocol (shared/eval/README.md): rows, split, targets and baselines.
import { readFileSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';

function splitCsv(line) {
  const out = [];
  let cur = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (quoted) {
      if (c === '"' && line[i + 1] === '"') { cur += '"'; i++; } else if (c === '"') quoted = false; else cur += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') { out.push(cur); cur = ''; } else cur += c;
  }
  out.push(cur);
  return out;
}

export function orderFiles(dirs) {
  return dirs.flatMap((d) => (statSync(d).isDirectory() ? readdirSync(d).filter((f) => f.endsWith('.csv')).sort().map((f) => path.join(d, f)) : [d]));
}

// Rows kept by the protocol, sorted by (date, invoice, customer, code) as strings.
export function loadRows(dirs) {
  const rows = [];
  for (const file of orderFiles(dirs)) {
    const lines = readFileSync(file, 'utf8').split('\n');
    for (const line of lines.slice(1)) {
      if (!line) continue;
      const [invoice, code, , qty, date, , customer] = splitCsv(line);
      if (!customer || invoice.startsWith('C')) continue;
      if (!/^-?\d+$/.test(qty) || Number(qty) <= 0) continue;
      if (!/\d/.test(code)) continue;
      rows.push([date, invoice, customer, code, Number(qty)]);
    }
  }
  rows.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : a[2] < b[2] ? -1 : a[2] > b[2] ? 1 : a[3] < b[3] ? -1 : a[3] > b[3] ? 1 : 0));
  return rows;
}

export function splitProtocol(rows, split) {
  const history = new Map();  // customer -> [[date, invoice, item, qty]]
  const train = [];
  for (const r of rows) {
    if (r[0] >= split) continue;
    train.push(r);
    if (!history.has(r[2])) history.set(r[2], []);
    history.get(r[2]).push([r[0], r[1], r[3], r[4]]);
  }
  const first = new Map();  // customer -> {invoice, items}
  for (const r of rows) {
    if (r[0] < split || !history.has(r[2])) continue;
    const f = first.get(r[2]);
    if (!f) first.set(r[2], { invoice: r[1], items: new Set([r[3]]) });
    else if (f.invoice === r[1]) f.items.add(r[3]);
  }
  return { train, history, targets: new Map([...first].map(([c, f]) => [c, f.items])) };
}

// Popularity over the last 30 days of train, by distinct baskets (the reference baseline).
export function popularity30(train) {
  const last = train[train.length - 1][0].slice(0, 10);
  const from = new Date(Date.parse(`${last}T00:00:00Z`) - 30 * 86400000).toISOString().slice(0, 10);
  const count = new Map();
  const seen = new Set();
  for (const [d, inv, , it] of train) {
    if (d < from || seen.has(`${inv}\u0000${it}`)) continue;
    seen.add(`${inv}\u0000${it}`);
    count.set(it, (count.get(it) || 0) + 1);
  }
  // Python's Counter.most_common keeps first-insertion order among equal counts.
  return [...count.entries()].map(([it, n], i) => [it, n, i]).sort((a, b) => b[1] - a[1] || a[2] - b[2]).slice(0, 200).map((x) => x[0]);
}

export function personalTopFreq(hist, topPop) {
  const count = new Map();
  hist.forEach(([, , it], i) => {
    const c = count.get(it);
    if (c) c[0] += 1;
    else count.set(it, [1, i]);
  });
  const mine = [...count.entries()].sort((a, b) => b[1][0] - a[1][0] || a[1][1] - b[1][1]).map(([it]) => it);
  const have = new Set(mine);
  return [...mine, ...topPop.filter((it) => !have.has(it))];
}

// The reference item-kNN (shared/eval/retail_baselines.py): co-occurrence within train
// baskets of at most 60 distinct items, each item's 100 most frequent partners, cosine
// n / sqrt(cnt(i) cnt(j)) summed over the customer's last 50 purchase lines, then popularity.
// Ties keep first-insertion order, as Python's Counter.most_common does.
export function itemKnn(train, topPop) {
  const baskets = new Map();
  for (const [, inv, , it] of train) (baskets.get(inv) || baskets.set(inv, new Set()).get(inv)).add(it);
  const cnt = new Map();
  const co = new Map();
  for (const set of baskets.values()) {
    if (set.size > 60) continue;
    const b = [...set];
    for (const i of b) {
      cnt.set(i, (cnt.get(i) || 0) + 1);
      const row = co.get(i) || co.set(i, new Map()).get(i);
      for (const j of b) if (i !== j) row.set(j, (row.get(j) || 0) + 1);
    }
  }
  const top = new Map();
  for (const [i, row] of co) top.set(i, [...row].map(([j, n], k) => [j, n, k]).sort((x, y) => y[1] - x[1] || x[2] - y[2]).slice(0, 100));
  return (hist) => {
    const s = new Map();
    for (const [, , it] of hist.slice(-50)) {
      for (const [j, n] of top.get(it) || []) s.set(j, (s.get(j) || 0) + n / Math.sqrt(cnt.get(it) * cnt.get(j)));
    }
    const ranked = [...s].map(([j, v], k) => [j, v, k]).sort((x, y) => y[1] - x[1] || x[2] - y[2]).map((x) => x[0]);
    return [...ranked, ...topPop.filter((it) => !s.has(it))];
  };
}
