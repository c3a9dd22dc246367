// Builds what a shop deploys as /emma/: web/dist/emma.js (the embed script with the npm
// API and the engine's glue, one classic script), emma.css and emma.wasm (the engine built
// for the embed, without sync). esbuild bundles and minifies: a well-kept, dependency-free npm tool that is
// also what Vite uses, and the embed must stay small (see README, "Sizes").
//
// usage: node web/build.mjs            (setup.sh runs it; skipped when nothing changed)
import { build } from 'esbuild';
import { copyFileSync, mkdirSync, readdirSync, statSync, existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const out = path.join(root, 'web/dist');
// The engine of the embed is built without sync (CMakeLists.txt, emma_embed): the embed has
// no sync option, and the merge and pairing code would cost the page about 3 KB brotli.
const engine = { glue: path.join(root, 'build/wasm/emma-embed.mjs'), wasm: path.join(root, 'build/wasm/emma-embed.wasm') };
if (!existsSync(engine.glue) || !existsSync(engine.wasm)) {
  console.error(`web: ${engine.glue} and .wasm are missing; run 'npm run setup' first`);
  process.exit(1);
}
const inputs = [path.join(root, 'web/src'), path.join(root, 'js-bindings/src'), engine.glue, engine.wasm, fileURLToPath(import.meta.url)];

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
const embedEngine = {
  name: 'embed-engine',
  setup(b) {
    b.onResolve({ filter: /\/dist\/emma\.mjs$/ }, () => ({ path: engine.glue }));
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
  plugins: [noWorker, noSync, embedEngine],
});
await build({ ...common, entryPoints: [path.join(root, 'web/src/emma.css')], outfile: path.join(out, 'emma.css') });
copyFileSync(engine.wasm, path.join(out, 'emma.wasm'));
console.error('web: built web/dist (emma.js, emma.css, emma.wasm)');
