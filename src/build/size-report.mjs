// Prints the size of every shipped file: raw, gzip -9 and brotli -q 11 (as Plausible does),
// and as the last line one JSON object. `page_total_brotli` counts what a shop page
// downloads for Emma (browser files only; the bundle is the shop's and not counted).
import { readFileSync, readdirSync, statSync, existsSync } from 'node:fs';
import path from 'node:path';
import { gzipSync, brotliCompressSync, constants } from 'node:zlib';

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../..');
const NODE_ONLY = new Set(['js-bindings/dist/emma-node.cjs', 'js-bindings/src/node.js', 'js-bindings/src/storage/fs.js']);

function walk(dir) {
  if (!existsSync(dir)) return [];
  return readdirSync(dir).flatMap((name) => {
    const p = path.join(dir, name);
    return statSync(p).isDirectory() ? walk(p) : [p];
  });
}

const shipped = [...walk(path.join(root, 'js-bindings/dist')), ...walk(path.join(root, 'js-bindings/src')), ...walk(path.join(root, 'web/dist'))]
  .filter((p) => /\.(m?js|cjs|wasm|css)$/.test(p))
  .sort();

const files = shipped.map((p) => {
  const data = readFileSync(p);
  return {
    name: path.relative(root, p),
    raw: data.length,
    gzip: gzipSync(data, { level: 9 }).length,
    brotli: brotliCompressSync(data, { params: { [constants.BROTLI_PARAM_QUALITY]: 11 } }).length,
  };
});

const pad = (s, n) => String(s).padStart(n);
console.log(`${'file'.padEnd(44)} ${pad('raw', 9)} ${pad('gzip', 9)} ${pad('brotli', 9)}`);
for (const f of files) console.log(`${f.name.padEnd(44)} ${pad(f.raw, 9)} ${pad(f.gzip, 9)} ${pad(f.brotli, 9)}`);
const pageTotal = files.filter((f) => !NODE_ONLY.has(f.name)).reduce((s, f) => s + f.brotli, 0);
console.log(`page total (browser files, brotli): ${pageTotal} bytes`);
console.log(JSON.stringify({ files, page_total_brotli: pageTotal }));
