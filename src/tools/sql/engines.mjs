// The database engines the counting SQL runs on, behind one small interface: load the orders
// and the catalog, run a statement, write a SELECT's rows as CSV with a header, close.
// PostgreSQL and ClickHouse are started from Debian's packages in a private temporary folder
// on free ports, and always stopped (TOOLCHAIN.md has the facts this relies on).
import { execFileSync } from 'node:child_process';
import { chownSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

export async function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

const sql = (s) => `'${s.replaceAll("'", "''")}'`;

async function duckdb(tmp) {
  const { DuckDBInstance } = await import('@duckdb/node-api');
  const instance = await DuckDBInstance.create(':memory:');
  const c = await instance.connect();
  // A shared machine: a bounded share of memory, the rest spilled to the temporary folder;
  // one thread per core. Row order of intermediate tables never matters to the counts, so
  // DuckDB need not keep it (less memory). The pair keys of 3_pairs.duckdb.sql come out of
  // list functions, which carry no value ranges, so DuckDB's perfect hash table (an array
  // indexed by the group) cannot be used for them whatever perfect_ht_threshold says; its
  // default is kept (a wider one made small logs slower: a 16 M-entry array per thread).
  await c.run(`SET memory_limit = '4GB'`);
  await c.run(`SET threads = ${Math.max(1, os.availableParallelism())}`);
  await c.run('SET preserve_insertion_order = false');
  await c.run(`SET temp_directory = ${sql(path.join(tmp, 'duckdb-spill'))}`);
  return {
    name: 'duckdb',
    dialect: 'duckdb',
    async load(orders, catalogCsv) {
      // A Parquet file is queried where it is (columnar: the counting reads only the columns it
      // uses, the line count comes from the file's metadata; copying 43 M rows into a table first
      // cost ~7 s at 100x); a CSV file is parsed once into a table. Either way the SQL sees a view
      // `orders` (1_basket_items.duckdb.sql drops both when it is done with them).
      if (orders.endsWith('.parquet')) {
        await c.run(`CREATE VIEW orders AS SELECT customer, basket, item, "at" AS at_ms, quantity, line FROM read_parquet(${sql(orders)})`);
      } else {
        await c.run(`CREATE TABLE orders_loaded AS SELECT customer, basket, item, "at" AS at_ms, quantity, line FROM read_csv(${sql(orders)}, header = true, columns = {'customer': 'VARCHAR', 'basket': 'VARCHAR', 'item': 'VARCHAR', 'at': 'BIGINT', 'quantity': 'DOUBLE', 'line': 'BIGINT'})`);
        await c.run('CREATE VIEW orders AS SELECT * FROM orders_loaded');
      }
      await c.run(`CREATE TABLE catalog AS SELECT * FROM read_csv(${sql(catalogCsv)}, header = true, columns = {'item': 'VARCHAR', 'idx': 'INTEGER'})`);
    },
    exec: (s) => c.run(s),
    selectToCsv: (s, file) => c.run(`COPY (${s}) TO ${sql(file)} (HEADER, DELIMITER ',')`),
    async close() {
      c.closeSync?.();
      instance.closeSync?.();
    },
  };
}

function bin(dir, name) {
  return path.join(dir, name);
}

async function postgres(tmp) {
  const pgBin = '/usr/lib/postgresql/15/bin';
  if (!existsSync(bin(pgBin, 'postgres'))) throw new Error('PostgreSQL 15 is not installed (Debian postgresql-15; npm run setup)');
  const dir = path.join(tmp, 'pg');
  mkdirSync(dir);
  const asRoot = process.getuid?.() === 0;
  // initdb and postgres refuse to run as root: as the postgres user, in a folder it owns.
  if (asRoot) {
    const uid = Number(execFileSync('id', ['-u', 'postgres']).toString());
    const gid = Number(execFileSync('id', ['-g', 'postgres']).toString());
    chownSync(tmp, uid, gid);
    chownSync(dir, uid, gid);
  }
  const as = (cmd, args, opts = {}) => (asRoot ? execFileSync('runuser', ['-u', 'postgres', '--', cmd, ...args], opts) : execFileSync(cmd, args, opts));
  as(bin(pgBin, 'initdb'), ['-A', 'trust', '-U', 'postgres', '--locale=C', '--no-sync', '-D', path.join(dir, 'data')], { stdio: 'ignore' });
  const port = await freePort();
  as(bin(pgBin, 'pg_ctl'), ['-w', '-D', path.join(dir, 'data'), '-l', path.join(dir, 'log'), '-o', `-p ${port} -k ${dir} -c fsync=off -c listen_addresses=''`, 'start'], { stdio: 'ignore' });
  const psql = (args, opts = {}) => execFileSync(bin(pgBin, 'psql'), ['-X', '-q', '-v', 'ON_ERROR_STOP=1', '-h', dir, '-p', String(port), '-U', 'postgres', ...args], { maxBuffer: 1 << 28, ...opts });
  let open = true;
  return {
    name: 'postgresql',
    dialect: 'postgres',
    async load(orders, catalogCsv) {
      if (orders.endsWith('.parquet')) throw new Error('PostgreSQL reads the orders as CSV (emma-model export-orders)');
      psql(['-c', 'CREATE TABLE orders (customer text, basket text, item text, at_ms bigint, quantity double precision, line bigint)',
        '-c', `\\copy orders FROM ${sql(orders)} CSV HEADER`,
        '-c', 'CREATE TABLE catalog (item text PRIMARY KEY, idx integer)',
        '-c', `\\copy catalog FROM ${sql(catalogCsv)} CSV HEADER`, '-c', 'ANALYZE']);
    },
    async exec(s) {
      psql(['-c', s]);
    },
    async selectToCsv(s, file) {
      writeFileSync(file, psql(['-c', `COPY (${s}) TO STDOUT WITH CSV HEADER`]));
    },
    async close() {
      if (!open) return;
      open = false;
      as(bin(pgBin, 'pg_ctl'), ['-D', path.join(dir, 'data'), '-m', 'immediate', 'stop'], { stdio: 'ignore' });
    },
  };
}

export async function openEngine(name, tmp) {
  if (name === 'duckdb') return duckdb(tmp);
  if (name === 'postgres' || name === 'postgresql') return postgres(tmp);
  if (name === 'clickhouse') return (await import('./clickhouse.mjs')).clickhouse(tmp);
  throw new Error(`--engine "${name}": use duckdb, postgres or clickhouse`);
}


