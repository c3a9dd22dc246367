// npm run model -- --orders <orders> --catalog <catalog> [--engine native|duckdb|clickhouse|postgres]
//                  --out shop.bundle [--until YYYY-MM-DD] [--k 5] [any other emma-model build flag]
// npm run model -- --aggregates <dir> --catalog <catalog> --out shop.bundle   (CSV or Parquet)
//
// One command for the common case. The native counter (the default) reads the orders itself;
// an engine counts with the SQL of src/sql/: orders that are already Emma's columns
// (customer,basket,item,at,quantity,line; .parquet or .csv) go to the engine directly, any
// other export is first read by emma-model (export-orders: same readers, customers hashed).
// Progress goes to stderr.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, openSync, readSync, closeSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { count, untilOf } from './sql/count.mjs';
import { hasParquet, parquetToCsv } from './sql/parquet-aggregates.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const emmaModel = path.join(root, 'build/native/emma-model');
const args = process.argv.slice(2);
const take = (flag) => {
  const i = args.indexOf(flag);
  if (i < 0) return undefined;
  const [, v] = args.splice(i, 2);
  return v;
};
const engine = take('--engine') ?? 'native';
const say = (m) => process.stderr.write(`model: ${m}\n`);

function canonical(file) {
  if (file.endsWith('.parquet')) return true;
  const fd = openSync(file, 'r');
  const buf = Buffer.alloc(200);
  readSync(fd, buf, 0, 200, 0);
  closeSync(fd);
  return buf.toString('utf8').split('\n')[0].trim() === 'customer,basket,item,at,quantity,line';
}

try {
const aggregates = args.includes('--aggregates') ? args[args.indexOf('--aggregates') + 1] : undefined;
if (engine === 'native' && aggregates && hasParquet(aggregates)) {
  // A warehouse's aggregates as Parquet: converted to the CSV emma-model reads, then packed.
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'emma-model-'));
  try {
    say(`reading Parquet aggregates in ${aggregates}`);
    await parquetToCsv(aggregates, tmp);
    args[args.indexOf('--aggregates') + 1] = tmp;
    execFileSync(emmaModel, ['build', ...args], { stdio: 'inherit' });
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
} else if (engine === 'native') {
  execFileSync(emmaModel, ['build', ...args], { stdio: 'inherit' });
} else {
  const orders = take('--orders');
  const catalog = take('--catalog');
  const out = take('--out');
  const until = take('--until');
  const k = Number(take('--k') ?? 5);
  const columns = take('--orders-columns');
  const maxBad = take('--max-bad-rows');
  const bad = maxBad ? ['--max-bad-rows', maxBad] : [];
  if (!orders || !catalog || !out || !until) {
    say('with --engine, give --orders, --catalog, --until and --out');
    process.exit(2);
  }
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'emma-model-'));
  try {
    let file = orders;
    if (!canonical(orders)) {
      say(`reading ${orders} with emma-model`);
      file = path.join(tmp, 'orders.csv');
      execFileSync(emmaModel, ['export-orders', '--orders', orders, '--catalog', catalog, ...(columns ? ['--orders-columns', columns] : []), ...bad, '--out', file], { stdio: 'inherit' });
    }
    say(`counting on ${engine}`);
    const agg = path.join(tmp, 'aggregates');
    await count({ engine, orders: file, catalog, untilMs: untilOf(until), k, out: agg, progress: say });
    execFileSync(emmaModel, ['build', '--aggregates', agg, '--catalog', catalog, ...bad, '--out', out, ...args], { stdio: 'inherit' });
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}
} catch (e) {
  // emma-model has said what went wrong on stderr already.
  if (e.status === undefined) say(e.message);
  process.exit(e.status || 1);
}
