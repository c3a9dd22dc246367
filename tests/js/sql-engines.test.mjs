// The bundle's counting defined once as SQL (src/sql/) gives the same bundle as the native
// counter, byte for byte, on DuckDB (embedded), PostgreSQL 15 and a two-shard ClickHouse
// cluster with Distributed tables (both started here on free ports, always stopped). The
// orders: a slice of the Online Retail log (two months: enough baskets for pairs above k and
// items bought again by 5+ customers). The full log runs in npm run bench:scale.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { csvParts } from '../../src/tools/sql/clickhouse.mjs';
import { count, untilOf } from '../../src/tools/sql/count.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const emmaModel = path.join(root, 'build/native/emma-model');
const retail = path.join(root, '../shared/datasets/online-retail-uci/by-day');
const skip = !existsSync(retail) && 'shared/ datasets not present';
const UNTIL = '2011-05-01';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'emma-sql-test-'));
process.on('exit', () => rmSync(tmp, { recursive: true, force: true }));
const em = (...args) => execFileSync(emmaModel, args, { stdio: ['ignore', 'pipe', 'pipe'] }).toString();

let prepared;
function prepare() {
  if (prepared) return prepared;
  const days = readdirSync(retail).filter((f) => f >= '2011-03-01' && f < '2011-05-08').map((f) => ['--orders', path.join(retail, f)]).flat();
  // The catalog: the slice's own items (what emma-model derives without --catalog).
  em('build', ...days, '--out', path.join(tmp, 'derive.bundle'));
  em('inspect', '--bundle', path.join(tmp, 'derive.bundle'), '--out', path.join(tmp, 'derive.json'));
  writeFileSync(path.join(tmp, 'catalog.json'), JSON.stringify({ items: JSON.parse(readFileSync(path.join(tmp, 'derive.json'), 'utf8')).items }));
  const catalog = path.join(tmp, 'catalog.json');
  em('build', ...days, '--catalog', catalog, '--until', UNTIL, '--k', '3', '--out', path.join(tmp, 'native.bundle'));
  em('export-orders', ...days, '--out', path.join(tmp, 'orders.csv'));
  prepared = { catalog, native: readFileSync(path.join(tmp, 'native.bundle')) };
  return prepared;
}

async function viaEngine(engine) {
  const { catalog, native } = prepare();
  const out = path.join(tmp, engine);
  await count({ engine, orders: path.join(tmp, 'orders.csv'), catalog, untilMs: untilOf(UNTIL), k: 3, out });
  em('build', '--aggregates', out, '--catalog', catalog, '--out', path.join(tmp, `${engine}.bundle`));
  const bundle = readFileSync(path.join(tmp, `${engine}.bundle`));
  // The slice exercises every statistic: pairs kept and dropped by k, large baskets, repurchases.
  const stats = readFileSync(path.join(out, 'stats.csv'), 'utf8').trim().split('\n').map((l) => l.split(',').map((v) => v.replace(/^"|"$/g, '')));
  const s = Object.fromEntries(stats[0].map((k, i) => [k, Number(stats[1][i])]));
  assert.ok(s.pairs_below_k > 0 && s.pairs_seen > s.pairs_below_k && s.large_baskets > 0, JSON.stringify(s));
  const rebought = readFileSync(path.join(out, 'repurchase.csv'), 'utf8').trim().split('\n').slice(1).filter((l) => Number(l.split(',')[2]) >= 5);
  assert.ok(rebought.length > 10, `${rebought.length} items bought again by 5+ customers`);
  return { native, bundle };
}

function assertSame(engine, { native, bundle }) {
  if (native.equals(bundle)) return;
  for (const [name, bytes] of [['native', native], [engine, bundle]]) writeFileSync(path.join(tmp, `${name}.cmp.bundle`), bytes);
  em('inspect', '--bundle', path.join(tmp, 'native.cmp.bundle'), '--out', path.join(tmp, 'a.json'));
  em('inspect', '--bundle', path.join(tmp, `${engine}.cmp.bundle`), '--out', path.join(tmp, 'b.json'));
  const a = JSON.parse(readFileSync(path.join(tmp, 'a.json'), 'utf8'));
  const b = JSON.parse(readFileSync(path.join(tmp, 'b.json'), 'utf8'));
  for (const key of Object.keys(a)) assert.deepEqual(b[key], a[key], `${engine}: inspect "${key}" differs from the native counter's`);
  assert.fail(`${engine}: inspect output is the same, but the repurchase figures (RPCH) differ`);
}

test('DuckDB counts the same bundle as the native counter', { skip }, async () => {
  assertSame('duckdb', await viaEngine('duckdb'));
});

test('aggregates written as Parquet (by DuckDB) pack into the same bundle through npm run model; emma-model alone says to use it', { skip }, async () => {
  const { catalog, native } = prepare();
  const csvDir = path.join(tmp, 'parquet-src');
  await count({ engine: 'duckdb', orders: path.join(tmp, 'orders.csv'), catalog, untilMs: untilOf(UNTIL), k: 3, out: csvDir });
  // A warehouse's export: each table as a real Parquet file, no CSV beside it.
  const dir = path.join(tmp, 'parquet-aggregates');
  mkdirSync(dir);
  const { DuckDBInstance } = await import('@duckdb/node-api');
  const db = await DuckDBInstance.create(':memory:');
  const c = await db.connect();
  for (const t of ['popularity', 'pairs', 'repurchase', 'stats']) {
    await c.run(`COPY (SELECT * FROM read_csv('${path.join(csvDir, `${t}.csv`)}', header = true)) TO '${path.join(dir, `${t}.parquet`)}' (FORMAT parquet)`);
  }
  c.closeSync?.();
  db.closeSync?.();
  copyFileSync(path.join(csvDir, 'aggregates.json'), path.join(dir, 'aggregates.json'));
  assert.equal(readFileSync(path.join(dir, 'pairs.parquet')).subarray(0, 4).toString(), 'PAR1');
  const out = path.join(tmp, 'parquet.bundle');
  execFileSync('node', [path.join(root, 'src/tools/model.mjs'), '--aggregates', dir, '--catalog', catalog, '--out', out], { stdio: 'ignore' });
  assertSame('parquet', { native, bundle: readFileSync(out) });
  const e = (() => { try { em('build', '--aggregates', dir, '--catalog', catalog, '--out', path.join(tmp, 'x.bundle')); } catch (err) { return err.stderr.toString(); } return ''; })();
  assert.match(e, /popularity\.parquet is Parquet; emma-model reads CSV .*npm run model -- --aggregates/);
});

test('PostgreSQL 15 counts the same bundle as the native counter', { skip }, async () => {
  assertSame('postgres', await viaEngine('postgres'));
});

test('a two-shard ClickHouse cluster with Distributed tables counts the same bundle as the native counter', { skip }, async () => {
  assertSame('clickhouse', await viaEngine('clickhouse'));
  // Both servers were stopped: nothing of ours listens any more.
  const { execFileSync: run } = await import('node:child_process');
  const left = run('sh', ['-c', `pgrep -f "[c]lickhouse-server --config-file=${tmp}" || true`]).toString().trim();
  assert.equal(left, '', 'clickhouse-server processes left running');
});

test('ClickHouse refuses a k above what its uniqUpTo counts, before starting a server', async () => {
  await assert.rejects(count({ engine: 'clickhouse', orders: 'orders.csv', catalog: 'catalog.json', untilMs: 0, k: 101, out: path.join(tmp, 'k101') }),
    /--k 101: ClickHouse 18\.16 counts a pair's customers up to 100 at most \(uniqUpTo\); use --engine duckdb or postgres/);
});

test('the ClickHouse loader cuts the orders file between records only (quoted newlines and quotes in a field)', () => {
  // Every record holds two newlines inside quotes, so most newlines are not a record's end; each
  // part goes to a different server, and a cut inside a field would corrupt both parts' rows.
  const file = path.join(tmp, 'quoted.csv');
  const records = Array.from({ length: 5000 }, (_, i) => `c${i},"b""${i}\nx\n""",item ${i},1300000000000,1,${i + 1}\n`);
  writeFileSync(file, `customer,basket,item,at,quantity,line\n${records.join('')}`);
  const bytes = readFileSync(file);
  const naive = bytes.indexOf(10, Math.floor(bytes.length / 2)) + 1;
  assert.doesNotMatch(bytes.subarray(naive, naive + 8).toString(), /^c\d+,/, 'the first newline after the middle is inside a field');
  for (const parts of [2, 3]) {
    const { header, cuts } = csvParts(file, parts);
    assert.equal(header.toString(), 'customer,basket,item,at,quantity,line\n');
    assert.equal(cuts.length, parts + 1);
    assert.equal(cuts[0], 0);
    assert.equal(cuts[parts], bytes.length);
    for (let p = 1; p < parts; p++) {
      assert.ok(cuts[p] > cuts[p - 1]);
      assert.match(bytes.subarray(cuts[p], cuts[p] + 8).toString(), /^c\d+,"b/, `part ${p} starts at a record`);
    }
  }
});

test('npm run model: a Shopify export counted on DuckDB gives the native bundle (variant SKUs counted for their product)', async () => {
  const fixtures = path.join(root, 'tests/fixtures/shop');
  const common = ['--orders', 'shopify-orders.csv', '--catalog', 'shopify-products.csv', '--until', '2026-03-06', '--k', '1', '--max-bad-rows', '2'];
  execFileSync('node', [path.join(root, 'src/tools/model.mjs'), ...common, '--engine', 'duckdb', '--out', path.join(tmp, 'model-duckdb.bundle')], { cwd: fixtures, stdio: 'ignore' });
  execFileSync('node', [path.join(root, 'src/tools/model.mjs'), ...common, '--out', path.join(tmp, 'model-native.bundle')], { cwd: fixtures, stdio: 'ignore' });
  const a = readFileSync(path.join(tmp, 'model-native.bundle'));
  assert.ok(a.equals(readFileSync(path.join(tmp, 'model-duckdb.bundle'))));
  em('inspect', '--bundle', path.join(tmp, 'model-native.bundle'), '--out', path.join(tmp, 'model.json'));
  assert.deepEqual(JSON.parse(readFileSync(path.join(tmp, 'model.json'), 'utf8')).popularity.all, [5, 2, 4]);
});
