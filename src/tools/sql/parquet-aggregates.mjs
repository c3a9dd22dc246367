// Aggregates written as Parquet (a warehouse's usual export: popularity, pairs, repurchase and
// stats as `<name>.parquet` beside aggregates.json) turned into the CSV files that `emma-model
// build --aggregates` reads. emma-model has no Parquet reader; DuckDB (already the embedded
// engine) reads the files and writes CSV with a header, values unchanged.
import { copyFileSync, existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';

export const TABLES = ['popularity', 'pairs', 'repurchase', 'stats'];

// True when `dir` holds at least one table as Parquet and not as CSV.
export function hasParquet(dir) {
  return TABLES.some((t) => existsSync(path.join(dir, `${t}.parquet`)) && !existsSync(path.join(dir, `${t}.csv`)));
}

// Writes `out` with every table as CSV (converted from Parquet, or copied) and aggregates.json.
export async function parquetToCsv(dir, out) {
  mkdirSync(out, { recursive: true });
  const { DuckDBInstance } = await import('@duckdb/node-api');
  const instance = await DuckDBInstance.create(':memory:');
  const c = await instance.connect();
  const q = (s) => `'${s.replaceAll("'", "''")}'`;
  try {
    for (const t of TABLES) {
      const csv = path.join(dir, `${t}.csv`);
      const parquet = path.join(dir, `${t}.parquet`);
      if (existsSync(csv)) copyFileSync(csv, path.join(out, `${t}.csv`));
      else if (existsSync(parquet)) {
        try {
          await c.run(`COPY (SELECT * FROM read_parquet(${q(parquet)})) TO ${q(path.join(out, `${t}.csv`))} (HEADER, DELIMITER ',')`);
        } catch (e) {
          throw new Error(`${parquet}: not a readable Parquet file (${e.message.split('\n')[0]})`);
        }
      }
      // Neither: emma-model names the missing file.
    }
  } finally {
    c.closeSync?.();
    instance.closeSync?.();
  }
  if (existsSync(path.join(dir, 'aggregates.json'))) copyFileSync(path.join(dir, 'aggregates.json'), path.join(out, 'aggregates.json'));
}
