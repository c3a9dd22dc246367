// Builds what a shop deploys as /emma/: web/dist/emma.js (the embed script with the npm
// API and the engine's glue, one classic script), emma.css and emma.wasm (copied from the
// package). esbuild bundles and minifies: a well-kept, dependency-free npm tool that is
// also what Vite uses, and the embed must stay small (see README, "Sizes").
//
// usage: node web/build.mjs            (setup.sh runs it; skipped when nothing changed)
import { build } from 'esbuild';
import { copyFileSync, mkdirSync, readdirSync, statSync, existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const out = path.join(root, 'web/dist');
const inputs = [path.join(root, 'web/src'), path.join(root, 'js-bindings/src'), path.join(root, 'js-bindings/dist/emma.mjs'), path.join(root, 'js-bindings/dist/emma.wasm'), fileURLToPath(import.meta.url)];

function newest(p) {
  const s = statSync(p);
  return s.isDirectory() ? Math.max(0, ...readdirSync(p).map((n) => newest(path.join(p, n)))) : s.mtimeMs;
}

const targets = ['emma.js', 'emma.css', 'emma.wasm'].map((f) => path.join(out, f));
const upToDate = targets.every(existsSync) && Math.min(...targets.map((t) => statSync(t).mtimeMs)) >= Math.max(...inputs.map(newest));
if (upToDate && !process.argv.includes('--force')) process.exit(0);

mkdirSync(out, { recursive: true });
const common = { bundle: true, minify: true, legalComments: 'none', logLevel: 'warning' };
// The embed runs the engine on the page: the package's Web Worker option (worker-client.js,
// for apps that bundle the package) stays out of emma.js, which must fit the page budget.
const noWorker = {
  name: 'no-worker',
  setup(b) {
    b.onResolve({ filter: /\/worker-client\.js$/ }, () => ({ path: 'worker-client', namespace: 'no-worker' }));
    b.onLoad({ filter: /.*/, namespace: 'no-worker' }, () => ({
      contents: "export function createWorkerEmma() { throw new Error('the embed script runs Emma on the page'); }",
    }));
  },
};
// Sync (end-to-end encrypted copies to the shop's endpoint) is configured only through the
// npm package; the embed has no sync option, so its transport stays out too (~0.9 KB brotli).
const noSync = {
  name: 'no-sync',
  setup(b) {
    b.onResolve({ filter: /\/sync\.js$/ }, () => ({ path: 'sync', namespace: 'no-sync' }));
    b.onLoad({ filter: /.*/, namespace: 'no-sync' }, () => ({
      contents: "export class SyncTransport { constructor() { throw new Error('the embed script has no sync; use the npm package'); } }",
    }));
  },
};
await build({
  ...common,
  entryPoints: [path.join(root, 'web/src/embed.js')],
  outfile: path.join(out, 'emma.js'),
  format: 'iife',
  // A classic script (document.currentScript works only there) for every browser with
  // WebAssembly exceptions; older ones fail to load it and the page keeps its content.
  target: ['chrome95', 'firefox100', 'safari15.2'],
  // The package finds the engine relative to import.meta.url; a classic script has none.
  // The embed passes wasmUrl itself (beside emma.js); this only keeps the default well-formed.
  define: { 'import.meta.url': 'document.baseURI' },
  conditions: ['browser'],
  plugins: [noWorker, noSync],
});
await build({ ...common, entryPoints: [path.join(root, 'web/src/emma.css')], outfile: path.join(out, 'emma.css') });
copyFileSync(path.join(root, 'js-bindings/dist/emma.wasm'), path.join(out, 'emma.wasm'));
console.error('web: built web/dist (emma.js, emma.css, emma.wasm)');
