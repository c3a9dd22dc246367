// npm run bench:scale [-- --factors 1,10,100] [-- --json]
//
// How emma-model's cost grows with the log: the Online Retail log as it is, and synthetic
// logs 10x and 100x larger (the log replayed with new customer and invoice ids, so the
// catalog stays the same), streamed through standard input. Reports rows per second and
// peak memory per size: time should grow with rows, memory should not.
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const args = process.argv.slice(2);
const value = (flag, dflt) => (args.includes(flag) ? args[args.indexOf(flag) + 1] : dflt);
const factors = value('--factors', '1,10,100').split(',').map(Number);
const orders = value('--orders', path.join(root, '../shared/datasets/online-retail-uci/by-day'));

const files = readdirSync(orders).filter((f) => f.endsWith('.csv')).sort();
const header = 'InvoiceNo,StockCode,Description,Quantity,InvoiceDate,UnitPrice,CustomerID,Country';
const body = files.map((f) => readFileSync(path.join(orders, f), 'utf8').split('\n').slice(1).filter(Boolean));
const rowsPerCopy = body.reduce((s, b) => s + b.length, 0);

// The catalog: the items of the log itself (what emma-model derives when given no catalog).
const tmp = mkdtempSync(path.join(os.tmpdir(), 'emma-scale-'));
const emmaModel = path.join(root, 'build/native/emma-model');
execFileSync(emmaModel, ['build', '--orders', orders, '--out', path.join(tmp, 'log.bundle')], { stdio: 'ignore' });
execFileSync(emmaModel, ['inspect', '--bundle', path.join(tmp, 'log.bundle'), '--out', path.join(tmp, 'log.json')], { stdio: 'ignore' });
const { items } = JSON.parse(readFileSync(path.join(tmp, 'log.json'), 'utf8'));
writeFileSync(path.join(tmp, 'catalog.json'), JSON.stringify({ items }));

async function run(factor) {
  const out = path.join(tmp, 'shop.bundle');
  const child = spawn(emmaModel, ['build', '--orders', '-', '--catalog', path.join(tmp, 'catalog.json'), '--until', '2011-11-01', '--out', out, '--json'], { stdio: ['pipe', 'pipe', 'inherit'] });
  let stdout = '';
  child.stdout.on('data', (d) => { stdout += d; });
  const write = (s) => (child.stdin.write(s) ? null : new Promise((r) => child.stdin.once('drain', r)));
  await write(`${header}\n`);
  for (let r = 0; r < factor; r++) {
    // Copy r of each day, so that baskets stay in time order across copies.
    for (const lines of body) {
      let chunk = '';
      for (const line of lines) {
        if (r === 0) chunk += `${line}\n`;
        else {
          const f = line.split(',');
          // InvoiceNo and CustomerID are simple fields in this log (no quotes).
          f[0] = `${f[0]}r${r}`;
          const c = f.length - 2;
          if (f[c]) f[c] = `${f[c]}r${r}`;
          chunk += `${f.join(',')}\n`;
        }
      }
      const p = write(chunk);
      if (p) await p;
    }
  }
  child.stdin.end();
  const code = await new Promise((r) => child.on('close', r));
  if (code !== 0) throw new Error(`emma-model exited with ${code}`);
  return JSON.parse(stdout.trim().split('\n').pop());
}

const results = [];
for (const factor of factors) {
  const s = await run(factor);
  results.push({ factor, rows: s.rows, rows_per_second: Math.round(s.rows_per_second), peak_mb: Number((s.peak_rss_kb / 1024).toFixed(1)), seconds: Number(s.seconds.toFixed(1)), pairs_kept: s.pairs_kept, customer_sampling: s.customer_sampling });
  const r = results[results.length - 1];
  console.log(`${String(factor).padStart(4)}x: ${r.rows} rows in ${r.seconds} s, ${r.rows_per_second} rows/s, peak ${r.peak_mb} MB, ${r.pairs_kept} pairs kept`);
}
rmSync(tmp, { recursive: true, force: true });
if (args.includes('--json')) console.log(JSON.stringify({ rows_per_copy: rowsPerCopy, results }));
