// npm run bench:scale [-- --factors 1,10,100] [-- --engines native,duckdb,clickhouse,postgres] [-- --json]
//
// How emma-model's cost grows with the log: the Online Retail log as it is, and synthetic
// logs 10x and 100x larger (the log replayed with new customer and invoice ids, so the
// catalog stays the same), streamed through standard input. Reports rows per second and
// peak memory per size: time should grow with rows, memory should not.
//
// --engines adds the counting SQL (src/sql/) on DuckDB, ClickHouse (two shards) or PostgreSQL
// over the same synthetic logs: the orders as emma-model reads them (export-orders), copied
// with new customer and invoice ids by DuckDB into a Parquet file (CSV for ClickHouse and
// PostgreSQL); timed is src/tools/sql/count.mjs from that file to the aggregates (load and
// count), peak memory is the runner's (with DuckDB inside) or the ClickHouse servers' own.
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const args = process.argv.slice(2);
const value = (flag, dflt) => (args.includes(flag) ? args[args.indexOf(flag) + 1] : dflt);
const factors = value('--factors', '1,10,100').split(',').map(Number);
const engines = value('--engines', 'native').split(',');
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

// One engine over the synthetic log of `factor` copies: count.mjs in a child process.
let baseOrders = null;
async function runEngine(engine, factor) {
  if (!baseOrders) {
    baseOrders = path.join(tmp, 'base.csv');
    execFileSync(emmaModel, ['export-orders', '--orders', orders, '--out', baseOrders], { stdio: 'ignore' });
  }
  const ext = engine === 'duckdb' ? 'parquet' : 'csv';
  const file = path.join(tmp, `orders-${factor}.${ext}`);
  const { DuckDBInstance } = await import('@duckdb/node-api');
  const db = await DuckDBInstance.create(':memory:');
  const c = await db.connect();
  const q = (x) => `'${x}'`;
  // Copy r of the log: customers and invoices renamed (as the native run does), lines after the
  // previous copies'. Generated before the clock starts.
  await c.run(`COPY (SELECT CASE WHEN r = 0 THEN customer ELSE customer || 'r' || r END AS customer,
      CASE WHEN r = 0 THEN basket ELSE basket || 'r' || r END AS basket, item, "at", quantity, line + r * 100000000 AS line
      FROM read_csv(${q(baseOrders)}, header = true, columns = {'customer': 'VARCHAR', 'basket': 'VARCHAR', 'item': 'VARCHAR', 'at': 'BIGINT', 'quantity': 'DOUBLE', 'line': 'BIGINT'}), range(${factor}) t(r))
      TO ${q(file)} ${ext === 'parquet' ? '(FORMAT parquet)' : '(HEADER, DELIMITER \',\')'}`);
  c.closeSync?.();
  db.closeSync?.();
  const t0 = process.hrtime.bigint();
  const out = execFileSync('node', [path.join(root, 'src/tools/sql/count.mjs'), '--engine', engine, '--orders', file,
    '--catalog', path.join(tmp, 'catalog.json'), '--until', '2011-11-01', '--out', path.join(tmp, `agg-${engine}-${factor}`)],
  { stdio: ['ignore', 'pipe', 'inherit'], maxBuffer: 1 << 24 }).toString();
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  rmSync(file, { force: true });
  const r = JSON.parse(out.trim().split('\n').pop());
  return { rows: rowsPerCopy * factor, seconds, peak_mb: Number((r.peak_kb / 1024).toFixed(1)) };
}

const results = [];
const byEngine = {};
for (const engine of engines) byEngine[engine] = { rows: [], rows_per_s: [], peak_mb: [], seconds: [] };
for (const factor of factors) {
  for (const engine of engines.filter((e) => e !== 'native')) {
    const r = await runEngine(engine, factor);
    const e = byEngine[engine];
    e.rows.push(r.rows);
    e.rows_per_s.push(Math.round(r.rows / r.seconds));
    e.peak_mb.push(r.peak_mb);
    e.seconds.push(Number(r.seconds.toFixed(1)));
    console.log(`${String(factor).padStart(4)}x ${engine}: ${r.rows} rows in ${r.seconds.toFixed(1)} s, ${Math.round(r.rows / r.seconds)} rows/s, peak ${r.peak_mb} MB`);
  }
  if (!engines.includes('native')) continue;
  const s = await run(factor);
  results.push({ factor, rows: s.rows, rows_per_second: Math.round(s.rows_per_second), peak_mb: Number((s.peak_rss_kb / 1024).toFixed(1)), seconds: Number(s.seconds.toFixed(1)), pairs_kept: s.pairs_kept, customer_sampling: s.customer_sampling });
  const r = results[results.length - 1];
  console.log(`${String(factor).padStart(4)}x native: ${r.rows} rows in ${r.seconds} s, ${r.rows_per_second} rows/s, peak ${r.peak_mb} MB, ${r.pairs_kept} pairs kept`);
  const e = byEngine.native;
  e.rows.push(r.rows);
  e.rows_per_s.push(r.rows_per_second);
  e.peak_mb.push(r.peak_mb);
  e.seconds.push(r.seconds);
}
rmSync(tmp, { recursive: true, force: true });
if (args.includes('--json')) console.log(JSON.stringify({ factors, engines: byEngine, rows_per_copy: rowsPerCopy, results }));
