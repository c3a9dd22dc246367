// Reproduces the WebKit trap of docs/browsers.md ("A WebKit trap") outside a browser: the
// embed's engine (build/wasm/emma-embed.wasm) in JavaScriptCore's shell, doing what a page
// does at start (configure, then bundle.load of the demo bundle), in many fresh processes,
// since the trap depends on when the baseline compiler (BBQ) takes over from the interpreter.
//
// usage: node src/tools/diagnose/jsc-start-trap.mjs [--procs 200] [--iterations 20] [-- <jsc options>]
//   needs `jsc` (Debian: apt-get install libjavascriptcoregtk-4.0-bin; not installed by setup:
//   it is a diagnosis tool, not a test). Measured on 2026-11-30 with JavaScriptCore 2.50.6
//   (Debian 12), 200 processes x 20 instances each: 5-24 processes trapped with the default
//   options (the trap is in wasm-function[679] = libsodium's blake2b_compress_ref), 5 with
//   --useOMGJIT=false, 1 with --useWasmOSR=false, 0 with --useBBQJIT=false.
// Prints one line: {"procs":N,"iterations":M,"trapped_procs":T,"jsc_options":[…]}
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const args = process.argv.slice(2);
const dash = args.indexOf('--');
const jscOptions = dash >= 0 ? args.slice(dash + 1) : [];
const opt = (name, dflt) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 && (dash < 0 || i < dash) ? Number(args[i + 1]) : dflt;
};
const procs = opt('procs', 200);
const iterations = opt('iterations', 20);
try {
  execFileSync('jsc', ['-e', '1'], { stdio: 'ignore' });
} catch {
  console.error('jsc-start-trap: no `jsc` on PATH (apt-get install libjavascriptcoregtk-4.0-bin)');
  process.exit(2);
}

// The minified import and export names, read from Emscripten's glue as web/build.mjs does.
const glue = readFileSync(path.join(root, 'build/wasm/emma-embed.mjs'), 'utf8');
const lib = Object.fromEntries([.../asmLibraryArg=\{([^}]*)\}/.exec(glue)[1].matchAll(/"(\w+)":(\w+)/g)].map(([, min, name]) => [name, min]));
const ex = Object.fromEntries([...glue.matchAll(/Module\["_(emma_\w+)"\]=Module\["asm"\]\["(\w+)"\]/g)].map(([, name, min]) => [name, min]));
const memory = /wasmMemory=Module\["asm"\]\["(\w+)"\]/.exec(glue)[1];

const dir = mkdtempSync(path.join(os.tmpdir(), 'emma-jsc-'));
const harness = path.join(dir, 'harness.js');
writeFileSync(harness, `
const mod = new WebAssembly.Module(readFile(${JSON.stringify(path.join(root, 'build/wasm/emma-embed.wasm'))}, 'binary'));
const bundle = readFile(${JSON.stringify(path.join(root, 'build/demo/shop.bundle'))}, 'binary');
const text = (s) => new Uint8Array([...s].map((c) => c.charCodeAt(0)));
let traps = 0;
for (let it = 0; it < ${iterations}; it++) {
  let mem;
  const heap = () => new Uint8Array(mem.buffer);
  const fail = () => { throw new Error('abort'); };
  const grow = (want) => { try { mem.grow(Math.ceil((want - mem.buffer.byteLength) / 65536)); return 1; } catch (e) { return 0; } };
  const x = new WebAssembly.Instance(mod, { a: {
    ${JSON.stringify(lib._emscripten_resize_heap)}: grow, ${JSON.stringify(lib._abort)}: fail, ${JSON.stringify(lib.___assert_fail)}: fail,
    ${JSON.stringify(lib._emscripten_asm_const_int)}: () => (Math.random() * 4294967296) >>> 0,
    ${JSON.stringify(lib.emma_parse_number)}: (p, n) => Number(String.fromCharCode(...heap().subarray(p, p + n))),
  } }).exports;
  mem = x[${JSON.stringify(memory)}];
  const session = x[${JSON.stringify(ex.emma_session_create)}]();
  const call = (msg, bytes) => {
    const t = text(JSON.stringify(msg));
    const rp = x[${JSON.stringify(ex.emma_alloc)}](t.length); heap().set(t, rp);
    let bp = 0;
    if (bytes) { bp = x[${JSON.stringify(ex.emma_alloc)}](bytes.length); heap().set(bytes, bp); }
    x[${JSON.stringify(ex.emma_call)}](session, rp, t.length, bp, bytes ? bytes.length : 0);
  };
  try {
    call({ op: 'configure', shop: 'demo.example' });
    call({ op: 'bundle.load' }, bundle);
  } catch (e) { traps++; print(String(e) + ' ' + e.stack); }
}
print('traps ' + traps);
`);

let trapped = 0;
for (let i = 0; i < procs; i++) {
  const r = spawnSync('jsc', [...jscOptions, harness], { encoding: 'utf8', timeout: 120000 });
  const out = `${r.stdout}${r.stderr}`;
  if (!/traps 0\b/.test(out)) {
    trapped++;
    if (trapped <= 3) console.error(out.trim().split('\n')[0]);
  }
}
console.log(JSON.stringify({ procs, iterations, trapped_procs: trapped, jsc_options: jscOptions }));
