// Prints the size of every shipped file: raw, gzip -9 and brotli -q 11 (as Plausible does),
// and as the last line one JSON object:
//   {"files":[{"name","raw","gzip","brotli","page","sharded_page"}],"page_total_brotli":N,
//    "sharded_page_total_brotli":S,"budget_brotli":B}
// `page` marks what a shop page downloads for Emma through the embed script (web/dist:
// the script with the npm API and glue inside, the wasm, the CSS; the shop's bundle is not
// counted). `sharded_page` marks what the page of a shop with a sharded catalog downloads
// instead (emma-shards.js and emma-shards.wasm, the same CSS; its head and shards are not
// counted): a shop's page loads one or the other, so each total has the whole budget.
// The npm package's files are listed too (page: false): an app that bundles the
// package itself downloads its share of them instead.
// Exit code 1 when either page total is over the budget (`--check`, used by npm test).
import { readFileSync, readdirSync, statSync, existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync, brotliCompressSync, constants } from 'node:zlib';

export const PAGE_BUDGET_BROTLI = 120_000;

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

function walk(dir) {
  if (!existsSync(dir)) return [];
  return readdirSync(dir).flatMap((name) => {
    const p = path.join(dir, name);
    return statSync(p).isDirectory() ? walk(p) : [p];
  });
}

const shipped = (dir) => walk(path.join(root, dir)).filter((p) => /\.(m?js|cjs|wasm|css)$/.test(p)).sort();

function measure(p, page) {
  const data = readFileSync(p);
  return {
    name: path.relative(root, p),
    raw: data.length,
    gzip: gzipSync(data, { level: 9 }).length,
    brotli: brotliCompressSync(data, { params: { [constants.BROTLI_PARAM_QUALITY]: 11, [constants.BROTLI_PARAM_SIZE_HINT]: data.length } }).length,
    page,
  };
}

export function sizeReport() {
  // The page loads each file once: its content-hashed name (emma.<hash>.js) is a copy of the
  // plain one, so only the plain names are counted.
  // Loaded only on demand, listed with `page: false` and `on_demand` (when), not counted in the
  // page totals: emma-centre.js when a shopper opens the privacy centre; emma-rights.wasm, the
  // engine with the shopper's rights, at the first right or record asked for (the
  // centre asks for the export when it opens; src/core/engine_rights.cpp).
  // emma-shards.js and emma-shards.wasm are the sharded catalog's page instead of emma.js and
  // emma.wasm (`sharded_page`), with the same emma.css.
  const ON_DEMAND = { 'emma-centre.js': 'the privacy centre is opened', 'emma-rights.wasm': 'the privacy centre is opened, or a right or record is asked for' };
  const plain = (p) => p.replace(/\.[0-9a-f]{12}(\.\w+)$/, '$1');
  const all = shipped('web/dist');
  // (A file shipped only under its hashed name, the rights engine, is listed by its plain name.)
  const page = all.filter((p) => plain(p) === p || !all.includes(plain(p))).map((p) => {
    const when = ON_DEMAND[path.basename(plain(p))];
    if (when) return { ...measure(p, false), name: path.relative(root, plain(p)), on_demand: when, sharded_page: false };
    const shards = /emma-shards\.\w+$/.test(p);
    return { ...measure(p, !shards), sharded_page: shards || /\.css$/.test(p) };
  });
  const pkg = [...shipped('js-bindings/dist'), ...shipped('js-bindings/src')].map((p) => measure(p, false));
  const files = [...page, ...pkg];
  const total = (key) => page.filter((f) => f[key]).reduce((s, f) => s + f.brotli, 0);
  return { files, page_total_brotli: total('page'), sharded_page_total_brotli: total('sharded_page'), budget_brotli: PAGE_BUDGET_BROTLI };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const report = sizeReport();
  const pad = (s, n) => String(s).padStart(n);
  const line = (f) => `${f.name.padEnd(44)} ${pad(f.raw, 9)} ${pad(f.gzip, 9)} ${pad(f.brotli, 9)}`;
  console.log(`${'file'.padEnd(44)} ${pad('raw', 9)} ${pad('gzip', 9)} ${pad('brotli', 9)}`);
  console.log('-- what a shop page downloads for Emma (embed script, wasm, CSS):');
  for (const f of report.files.filter((x) => x.page)) console.log(line(f));
  if (!report.files.some((x) => x.page)) console.log('   (web/dist is not built yet: node web/build.mjs)');
  console.log('-- instead, for a sharded catalog (emma-shards.js, docs/catalog-size.md; with the same emma.css):');
  for (const f of report.files.filter((x) => x.sharded_page && !x.page)) console.log(line(f));
  console.log('-- the npm package (an app bundles its share of these instead):');
  for (const f of report.files.filter((x) => !x.page && !x.sharded_page)) console.log(`${line(f)}${f.on_demand ? `  (on demand: when ${f.on_demand})` : ''}`);
  const overBy = (n) => (n > PAGE_BUDGET_BROTLI ? ' — OVER BUDGET' : '');
  const over = report.page_total_brotli > PAGE_BUDGET_BROTLI || report.sharded_page_total_brotli > PAGE_BUDGET_BROTLI;
  console.log(`page total (brotli): ${report.page_total_brotli} bytes of a ${PAGE_BUDGET_BROTLI} byte budget${overBy(report.page_total_brotli)}`);
  console.log(`sharded catalog's page total (brotli): ${report.sharded_page_total_brotli} bytes of a ${PAGE_BUDGET_BROTLI} byte budget${overBy(report.sharded_page_total_brotli)}`);
  console.log(JSON.stringify(report));
  if (over && process.argv.includes('--check')) process.exit(1);
}
