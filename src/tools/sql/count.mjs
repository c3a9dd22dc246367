// Runs the bundle's counting (src/sql/) on a database engine and writes the aggregates that
// `emma-model build --aggregates <dir> --catalog <file>` packs into a bundle.
//
//   node src/tools/sql/count.mjs --engine duckdb|postgres|clickhouse --orders orders.csv|.parquet \
//        --catalog <catalog file> --until YYYY-MM-DD [--k 5] [--max-basket 100] --out <dir>
//
// `--orders` holds customer,basket,item,at,quantity,line (what `emma-model export-orders`
// writes; DuckDB also reads such a Parquet file directly). DuckDB runs embedded; PostgreSQL
// and ClickHouse are started here from Debian's binaries in a temporary folder on free ports
// and always stopped (engines.mjs). ClickHouse runs as a two-shard cluster with a
// Distributed table sharded by customer.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { openEngine } from './engines.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const sqlDir = path.join(root, 'src/sql');
const emmaModel = path.join(root, 'build/native/emma-model');

// The statistics in order; a file's last statement is the SELECT whose rows are its output.
const STEPS = [
  ['1_basket_items', null],
  ['2_popularity', 'popularity.csv'],
  ['3_pairs', 'pairs.csv'],
  ['4_repurchase', 'repurchase.csv'],
  ['5_stats', 'stats.csv'],
];

function statements(engine, name, params) {
  const variant = path.join(sqlDir, `${name}.${engine}.sql`);
  const file = readdirSync(sqlDir).includes(`${name}.${engine}.sql`) ? variant : path.join(sqlDir, `${name}.sql`);
  let text = readFileSync(file, 'utf8');
  for (const [k, v] of Object.entries(params)) {
    if (!Number.isSafeInteger(v)) throw new Error(`${k} must be an integer`);
    text = text.replaceAll(`{{${k}}}`, String(v));
  }
  // A statement under a "-- on each shard" line runs on every shard (ClickHouse's local tables).
  return text.split(/;\s*$/m).map((chunk) => {
    const each = /^\s*-- on each shard\s*$/m.test(chunk);
    const body = chunk.replace(/^\s*--.*$/gm, '').trim().replace(/\s+/g, ' ');
    return body && (each ? `ON EACH SHARD ${body}` : body);
  }).filter(Boolean);
}

// The catalog's item ids in bundle order, as emma-model reads the file (any format).
export function catalogIds(catalog, tmp) {
  const bundle = path.join(tmp, 'catalog.bundle');
  const json = path.join(tmp, 'catalog.json');
  execFileSync(emmaModel, ['pack', '--catalog', catalog, '--max-bad-rows', '100%', '--out', bundle], { stdio: 'ignore' });
  execFileSync(emmaModel, ['inspect', '--bundle', bundle, '--out', json], { stdio: 'ignore' });
  return JSON.parse(readFileSync(json, 'utf8')).items.map((i) => i.id);
}

export async function count({ engine, orders, catalog, untilMs, k = 5, maxBasket = 100, out, progress = () => {} }) {
  // 3_pairs.clickhouse.sql counts a pair's customers with uniqUpTo(k), whose parameter 18.16 caps.
  if (engine === 'clickhouse' && k > 100) throw new Error(`--k ${k}: ClickHouse 18.16 counts a pair's customers up to 100 at most (uniqUpTo); use --engine duckdb or postgres`);
  mkdirSync(out, { recursive: true });
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'emma-sql-'));
  const db = await openEngine(engine, tmp);
  try {
    const ids = catalogIds(catalog, tmp);
    const catalogCsv = path.join(tmp, 'catalog-ids.csv');
    writeFileSync(catalogCsv, `item,idx\n${ids.map((id, i) => `"${id.replaceAll('"', '""')}",${i}`).join('\n')}\n`);
    const t0 = Date.now();
    await db.load(path.resolve(orders), catalogCsv);
    progress(`loaded in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    const params = { until_ms: untilMs, k, max_basket: maxBasket };
    for (const [name, output] of STEPS) {
      const list = statements(db.dialect, name, params);
      for (let s = 0; s < list.length; s++) {
        const last = s === list.length - 1;
        if (output && last) await db.selectToCsv(list[s], path.join(out, output));
        else await db.exec(list[s]);
      }
      progress(`${name} done at ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    }
    writeFileSync(path.join(out, 'aggregates.json'), `${JSON.stringify({ engine: db.name, until_ms: untilMs, k, max_basket: maxBasket })}\n`);
    // Peak memory: this process (DuckDB runs inside it) or, for servers, theirs.
    const serverKb = db.peakKb ? db.peakKb() : 0;
    return { seconds: (Date.now() - t0) / 1000, peak_kb: serverKb || process.resourceUsage().maxRSS };
  } finally {
    await db.close();
    rmSync(tmp, { recursive: true, force: true });
  }
}

// "2011-09-01" -> ms (UTC), as emma-model reads --until.
export function untilOf(text) {
  const ms = /^\d+$/.test(text) ? Number(text) : Date.parse(`${text.slice(0, 10)}T00:00:00Z`);
  if (!Number.isSafeInteger(ms)) throw new Error(`--until "${text}" is not a date (YYYY-MM-DD)`);
  return ms;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const args = process.argv.slice(2);
  const value = (flag, dflt) => (args.includes(flag) ? args[args.indexOf(flag) + 1] : dflt);
  for (const f of ['--engine', '--orders', '--catalog', '--until', '--out']) {
    if (!value(f)) {
      console.error('usage: node src/tools/sql/count.mjs --engine duckdb|postgres|clickhouse --orders <orders.csv|.parquet> --catalog <file> --until YYYY-MM-DD [--k 5] [--max-basket 100] --out <dir>');
      process.exit(2);
    }
  }
  const r = await count({
    engine: value('--engine'), orders: value('--orders'), catalog: value('--catalog'), untilMs: untilOf(value('--until')),
    k: Number(value('--k', '5')), maxBasket: Number(value('--max-basket', '100')), out: value('--out'),
    progress: (m) => console.error(`count: ${m}`),
  });
  console.log(JSON.stringify(r));
}
