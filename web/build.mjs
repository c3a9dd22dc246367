// Builds what a shop deploys as /emma/: web/dist/emma.js (the embed script with the npm
// API and the engine's glue, one classic script), emma.css and emma.wasm (the engine built
// for the embed, without sync), and for shops whose catalog is sharded (docs/catalog-size.md)
// emma-shards.js and emma-shards.wasm: the same with the shard fetching and the engine that
// merges a head, shards and remembered items (16 KB brotli more, which a whole bundle's page
// does not pay). The shop names one or the other in its page (snippet.html, snippet-shards.html),
// so the engine still downloads beside the bundle from the start. esbuild bundles and
// minifies: a well-kept, dependency-free npm tool that is also what Vite uses, and the embed
// must stay small (see docs/benchmarks.md "Sizes").
//
// usage: node web/build.mjs            (setup.sh runs it; skipped when nothing changed)
import { build } from 'esbuild';
import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, rmSync, statSync, existsSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const out = path.join(root, 'web/dist');
// The engine of the embed is built without sync (CMakeLists.txt, emma_embed): the embed has
// no sync option, and the merge and pairing code would cost the page about 3 KB brotli.
const engineFiles = (name) => ({ glue: path.join(root, `build/wasm/${name}.mjs`), wasm: path.join(root, `build/wasm/${name}.wasm`) });
// The two embeds: `shards` reads sharded catalogs (CMakeLists.txt, emma_embed_shards).
const embeds = [
  { js: 'emma.js', wasm: 'emma.wasm', engine: engineFiles('emma-embed'), shards: false, snippet: 'snippet.html' },
  { js: 'emma-shards.js', wasm: 'emma-shards.wasm', engine: engineFiles('emma-embed-shards'), shards: true, snippet: 'snippet-shards.html' },
];
// The engine with the shopper's rights (export, backups, the records: src/core/engine_rights.cpp),
// which the pages' engines leave out; either embed loads it when one is asked for, with its own
// glue (so both embeds' engines and this one must name their imports and exports alike).
const rights = engineFiles('emma-rights');
for (const engine of [...embeds.map((e) => e.engine), rights]) {
  if (!existsSync(engine.glue) || !existsSync(engine.wasm)) {
    console.error(`web: ${engine.glue} and .wasm are missing; run 'npm run setup' first`);
    process.exit(1);
  }
}
const inputs = [path.join(root, 'web/src'), path.join(root, 'js-bindings/src'), ...[...embeds.map((e) => e.engine), rights].flatMap((e) => [e.glue, e.wasm]), fileURLToPath(import.meta.url)];

function newest(p) {
  const s = statSync(p);
  return s.isDirectory() ? Math.max(0, ...readdirSync(p).map((n) => newest(path.join(p, n)))) : s.mtimeMs;
}

const targets = ['emma.js', 'emma.css', 'emma.wasm', 'emma-shards.js', 'emma-shards.wasm', 'manifest.json', 'snippet-shards.html'].map((f) => path.join(out, f));
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
// emma.js reads whole bundles only (its engine links src/core/bundle_set_whole.cpp), so it has
// no shard fetching either; emma-shards.js keeps js-bindings/src/shards.js.
const noShards = {
  name: 'no-shards',
  setup(b) {
    b.onResolve({ filter: /\/shards\.js$/ }, () => ({ path: 'shards', namespace: 'no-shards' }));
    b.onLoad({ filter: /.*/, namespace: 'no-shards' }, () => ({ contents: 'export function shardFetcher() { return async () => {}; }' }));
  },
};
// Sync (end-to-end encrypted copies to the shop's endpoint) is configured only through the
// npm package; the embed has no sync option, so its sync methods, automatic push and
// transport (js-bindings/src/sync-api.js and sync.js) stay out: each sync.* method refuses.
const errorsModule = path.join(root, 'js-bindings/src/errors.js');
const noSync = {
  name: 'no-sync',
  setup(b) {
    b.onResolve({ filter: /\/sync-api\.js$/ }, () => ({ path: 'sync-api', namespace: 'no-sync' }));
    b.onLoad({ filter: /.*/, namespace: 'no-sync' }, () => ({
      resolveDir: path.dirname(errorsModule),
      contents: `import { EmmaError } from ${JSON.stringify(errorsModule)};
const no = () => Promise.reject(new EmmaError('BAD_REQUEST', 'the embed script has no sync; use the npm package'));
export function createSync() {
  return { api: { state: no, enable: no, pair: no, join: no, push: no, pull: no, disable: no },
    schedulePush() {}, pullAtStart() {}, deleteServerCopy: async () => false, stop() {} };
}`,
    }));
  },
};
// The embed's glue to its engine, written here instead of Emscripten's: that glue is about
// 6 KB minified on every shop page, most of it for paths the embed never takes (XHR,
// instantiateStreaming, Node, run dependencies), since browser-env.js compiles the engine
// itself and hands it over through `instantiateWasm`. This one does what Emscripten's does for
// this engine and nothing else: the five imports (heap growth as Emscripten grows it, libsodium's
// random source, the number parser of src/wasm/strtod.c, abort and assert, which trap like
// Emscripten's abort), the emma_* exports, and HEAPU8 (fresh after every growth). The minified
// import and export names are read from Emscripten's glue; anything this does not know fails
// the build, so a change of the engine's imports cannot pass unnoticed.
// `names`: the minified name of each import (importNames), the engine's own unless given.
function embedGlue(engine, text, names = importNames(engine, text)) {
  const known = {
    _emscripten_resize_heap: 'grow', _abort: 'fail', ___assert_fail: 'fail', _emscripten_asm_const_int: 'random', emma_parse_number: 'number',
  };
  const memory = /wasmMemory=Module\["asm"\]\["(\w+)"\]/.exec(text);
  const exported = [...text.matchAll(/Module\["(_emma_\w+)"\]=Module\["asm"\]\["(\w+)"\]/g)].map((m) => [m[1], m[2]]);
  if (!memory || exported.length !== 10) throw new Error(`web: ${engine.glue}: cannot read the engine's imports and exports`);
  const imports = Object.entries(names).map(([name, min]) => {
    if (!known[name]) throw new Error(`web: the engine imports ${name}, which the embed's glue does not provide (web/build.mjs embedGlue)`);
    return `${JSON.stringify(min)}:${known[name]}`;
  });
  if (/ASM_CONSTS=\{[^]*?\}\}/.exec(text)?.[0].match(/\d+:function/g)?.length > 2) throw new Error('web: the engine has EM_ASM code beyond libsodium\'s random source');
  return `export default (m) => new Promise((resolve) => {
  let mem;
  const heap = () => new Uint8Array(mem.buffer);
  const fail = () => { throw new WebAssembly.RuntimeError('Aborted'); };
  const random = () => crypto.getRandomValues(new Uint32Array(1))[0];
  const number = (p, n) => Number(new TextDecoder().decode(heap().subarray(p, p + n)));
  const grow = (want) => {
    const old = mem.buffer.byteLength;
    want >>>= 0;
    for (let cut = 1; want <= 2 ** 31 && cut <= 4; cut *= 2) {
      const size = Math.min(2 ** 31, Math.ceil(Math.max(want, Math.min(old * (1 + 0.2 / cut), want + 100663296)) / 65536) * 65536);
      try { mem.grow((size - old) / 65536); return 1; } catch {}
    }
    return 0;
  };
  m.instantiateWasm({ a: { ${imports.join(', ')} } }, (instance) => {
    const x = instance.exports;
    mem = x[${JSON.stringify(memory[1])}];
    resolve({ get HEAPU8() { return heap(); }, ${exported.map(([name, min]) => `${name}: x[${JSON.stringify(min)}]`).join(', ')} });
  });
});
`;
}
// Emscripten's name of each import -> its minified name, read from Emscripten's glue.
function importNames(engine, text) {
  const lib = /asmLibraryArg=\{([^}]*)\}/.exec(text);
  if (!lib) throw new Error(`web: ${engine.glue}: cannot read the engine's imports`);
  return Object.fromEntries([...lib[1].matchAll(/"(\w+)":(\w+)/g)].map(([, min, name]) => [name, min]));
}
// Renames the fields of a wasm file's imports (`rename`: old -> new, each the same length, so
// the bytes are rewritten in place); fails on an import section it cannot read to its end, or a
// name to rename that is not there.
function renameImports(bytes, rename) {
  const out = Uint8Array.from(bytes);
  let at = 8;
  const leb = () => {
    let v = 0;
    for (let shift = 0; ; shift += 7) {
      const b = out[at++];
      v += (b & 0x7f) * 2 ** shift;
      if (!(b & 0x80)) return v;
    }
  };
  const name = () => {
    const n = leb();
    const from = at;
    at += n;
    return [new TextDecoder().decode(out.subarray(from, at)), from];
  };
  const left = new Set(Object.keys(rename));
  while (at < out.length) {
    const id = out[at++];
    const size = leb();
    const end = at + size;
    if (id === 2) {
      for (let count = leb(); count > 0; count--) {
        name();
        const [field, from] = name();
        if (field in rename) {
          const to = new TextEncoder().encode(rename[field]);
          if (to.length !== field.length) throw new Error(`web: cannot rename the import ${field} to ${rename[field]} in place`);
          out.set(to, from);
          left.delete(field);
        }
        const kind = out[at++];
        if (kind === 0) leb();
        else if (kind === 1) at++, out[at++] & 1 ? (leb(), leb()) : leb();
        else if (kind === 2) out[at++] & 1 ? (leb(), leb()) : leb();
        else at += 2;
      }
      if (at !== end) throw new Error('web: the import section did not read to its end');
    }
    at = end;
  }
  if (left.size) throw new Error(`web: the engine imports no ${[...left].join(', ')}`);
  return out;
}
// One glue serves an embed's engine and the rights engine, so their imports and exports must be
// named alike. The rights engine links libsodium built for speed (CMakeLists.txt, sodium_fast),
// and Emscripten may then hand out the short import names in another order: its wasm file's
// import fields are renamed to the page engines' names.
const rightsText = readFileSync(rights.glue, 'utf8');
const pageNames = importNames(embeds[0].engine, readFileSync(embeds[0].engine.glue, 'utf8'));
const rightsNames = importNames(rights, rightsText);
if (Object.keys(rightsNames).sort().join() !== Object.keys(pageNames).sort().join()) {
  throw new Error(`web: ${rights.glue} imports ${Object.keys(rightsNames)}, the page engine ${Object.keys(pageNames)}: the embed has one glue for both`);
}
const rightsWasm = renameImports(readFileSync(rights.wasm),
  Object.fromEntries(Object.entries(rightsNames).filter(([name, min]) => pageNames[name] !== min).map(([name, min]) => [min, pageNames[name]])));
const rightsGlue = embedGlue(rights, rightsText, pageNames);
const embedEngine = (engine) => {
  const glue = embedGlue(engine, readFileSync(engine.glue, 'utf8'));
  if (glue !== rightsGlue) throw new Error(`web: ${rights.glue} names its imports or exports unlike ${engine.glue}; the embed has one glue for both`);
  return {
    name: 'embed-engine',
    setup(b) {
      b.onResolve({ filter: /\/dist\/emma\.mjs$/ }, () => ({ path: 'engine-glue', namespace: 'embed-engine' }));
      b.onLoad({ filter: /.*/, namespace: 'embed-engine' }, () => ({ contents: glue }));
    },
  };
};
// Content-hashed names (immutable caching: a new version is a new URL) and SRI hashes. The
// wasm and CSS come first: emma.js carries their names and hashes (EMMA_FILES).
// sha256 inside emma.js (every byte there is on every shop page), sha384 in the snippet.
const sri = (bytes, alg = 'sha384') => `${alg}-${createHash(alg).update(bytes).digest('base64')}`;
const hashed = (name, bytes) => name.replace(/\.(\w+)$/, `.${createHash('sha256').update(bytes).digest('hex').slice(0, 12)}.$1`);
for (const old of readdirSync(out)) if (/^emma(-centre|-shards|-rights)?\.[0-9a-f]{12}\.(js|css|wasm)$/.test(old)) rmSync(path.join(out, old));
const files = {};
// `plain`: also under the plain name, for pages that name it so (not the rights engine: only
// emma.js names it, by its hash, and a second copy would cost the npm package 340 KB).
const emit = (name, bytes, plain = true) => {
  const file = hashed(name, bytes);
  if (plain) writeFileSync(path.join(out, name), bytes);
  else rmSync(path.join(out, name), { force: true });
  writeFileSync(path.join(out, file), bytes);
  files[name] = { file, integrity: sri(bytes), bytes: bytes.length };
};
for (const e of embeds) emit(e.wasm, readFileSync(e.engine.wasm));
emit('emma-rights.wasm', rightsWasm, false);
const css = await build({ ...common, entryPoints: [path.join(root, 'web/src/emma.css')], write: false, outfile: 'emma.css' });
emit('emma.css', css.outputFiles[0].contents);
// The privacy centre, loaded by emma.js only when a shopper opens it.
const centreJs = await build({
  ...common,
  write: false,
  entryPoints: [path.join(root, 'web/src/centre-chunk.js')],
  outfile: 'emma-centre.js',
  format: 'iife',
  target: ['chrome95', 'firefox100', 'safari15.2'],
});
emit('emma-centre.js', centreJs.outputFiles[0].contents);
for (const e of embeds) {
  const js = await build({
    ...common,
    write: false,
    entryPoints: [path.join(root, 'web/src/embed.js')],
    outfile: path.join(out, e.js),
    format: 'iife',
    // A classic script (document.currentScript works only there) for every browser with
    // WebAssembly exceptions; older ones fail to load it and the page keeps its content.
    target: ['chrome95', 'firefox100', 'safari15.2'],
    // The package finds the engine relative to import.meta.url; a classic script has none.
    // The embed passes wasmUrl itself (beside emma.js); this only keeps the default well-formed.
    define: {
      'import.meta.url': 'document.baseURI',
      // The CSS is not checked: it runs no code, and its hash would cost every page 60 bytes.
      EMMA_FILES: JSON.stringify({ wasm: files[e.wasm].file, wasmSri: sri(readFileSync(e.engine.wasm), 'sha256'), css: files['emma.css'].file,
        centre: files['emma-centre.js'].file, centreSri: sri(centreJs.outputFiles[0].contents, 'sha256'),
        rights: files['emma-rights.wasm'].file, rightsSri: sri(rightsWasm, 'sha256') }),
    },
    conditions: ['browser'],
    plugins: [noWorker, noSync, ...(e.shards ? [] : [noShards]), embedEngine(e.engine)],
  });
  emit(e.js, js.outputFiles[0].contents);
}
// What a shop deploys and how it includes it: manifest.json for its tooling, snippet.html to
// paste (the stylesheet and the script with their SRI hashes, so the script does not add the
// stylesheet itself; emma.js checks the wasm against the hash it carries), snippet-shards.html
// for a sharded catalog (data-bundle is then the head's URL).
// `preload`: what a page should start fetching before emma.js runs (the engine, with the
// same SHA-256 that emma.js asks the browser to check, so the preloaded copy is the one used);
// `preloadShards`: the same for emma-shards.js.
const preloadOf = (e) => [{ href: files[e.wasm].file, integrity: sri(readFileSync(e.engine.wasm), 'sha256') }];
const [preload, preloadShards] = embeds.map(preloadOf);
writeFileSync(path.join(out, 'manifest.json'), `${JSON.stringify({ files, preload, preloadShards }, null, 2)}\n`);
for (const e of embeds) {
  const [engineLink] = preloadOf(e);
  writeFileSync(path.join(out, e.snippet),
    `<!-- Tante Emma${e.shards ? ' for a sharded catalog (docs/catalog-size.md)' : ''}: serve web/dist as /emma/ (hashed names: Cache-Control: public, max-age=31536000, immutable) -->\n` +
    // The engine and the bundle (or the head) download at once, while the page is parsed
    // (docs/embed.md "Caching and compression"); the bundle's URL must be data-bundle's, exactly.
    `<link rel="preload" href="/emma/${engineLink.href}" as="fetch" crossorigin="anonymous" integrity="${engineLink.integrity}">\n` +
    `<link rel="preload" href="/emma/shop.bundle" as="fetch" crossorigin="anonymous">\n` +
    `<link rel="stylesheet" href="/emma/${files['emma.css'].file}" integrity="${files['emma.css'].integrity}" crossorigin="anonymous">\n` +
    `<script src="/emma/${files[e.js].file}" integrity="${files[e.js].integrity}" crossorigin="anonymous" data-bundle="/emma/shop.bundle" data-css="none" async></script>\n`);
}
console.error(`web: built web/dist (${Object.values(files).map((f) => f.file).join(', ')}, manifest.json, snippet.html, snippet-shards.html)`);
