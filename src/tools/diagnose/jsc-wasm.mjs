// Reproduces JavaScriptCore's wasm faults of docs/browsers.md outside a browser: the embed's
// engine (build/wasm/emma-embed.wasm) in JavaScriptCore's shell, in many fresh processes,
// since the faults depend on when the baseline (BBQ) and optimizing (OMG) compilers take over
// from the interpreter.
//
// usage: node src/tools/diagnose/jsc-wasm.mjs [--scenario start|backup] [--procs N] [--iterations M] [-- <jsc options>]
//   start  (default; 200 x 20): what a page does at start: configure, then bundle.load of
//          the demo bundle ("A WebKit trap": a trap in libsodium's blake2b_compress_ref).
//   backup (20 x 3): consent, then backup.seal with the default Argon2id (64 MiB, 3 passes)
//          and backup.open of that backup with the same passphrase, three times ("Argon2id in
//          WebKit": the right passphrase refused, or a trap in argon2's fill_block_with_xor).
//   Needs `jsc` (Debian: apt-get install libjavascriptcoregtk-4.0-bin; not installed by setup:
//   it is a diagnosis tool, not a test). Figures: docs/browsers.md.
// Prints one line: {"scenario":…,"procs":N,"iterations":M,"trapped_procs":T,"wrong_procs":W,"jsc_options":[…]}
// (wrong: a process in which a right passphrase was refused).
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
  return i >= 0 && (dash < 0 || i < dash) ? args[i + 1] : dflt;
};
const scenario = opt('scenario', 'start');
if (!['start', 'backup'].includes(scenario)) {
  console.error(`jsc-wasm: --scenario ${scenario}: use start or backup`);
  process.exit(2);
}
const procs = Number(opt('procs', scenario === 'start' ? 200 : 20));
const iterations = Number(opt('iterations', scenario === 'start' ? 20 : 3));
try {
  execFileSync('jsc', ['-e', '1'], { stdio: 'ignore' });
} catch {
  console.error('jsc-wasm: no `jsc` on PATH (apt-get install libjavascriptcoregtk-4.0-bin)');
  process.exit(2);
}

// The minified import and export names, read from Emscripten's glue as web/build.mjs does.
const glue = readFileSync(path.join(root, 'build/wasm/emma-embed.mjs'), 'utf8');
const lib = Object.fromEntries([.../asmLibraryArg=\{([^}]*)\}/.exec(glue)[1].matchAll(/"(\w+)":(\w+)/g)].map(([, min, name]) => [name, min]));
const ex = Object.fromEntries([...glue.matchAll(/Module\["_(emma_\w+)"\]=Module\["asm"\]\["(\w+)"\]/g)].map(([, name, min]) => [name, min]));
const memory = /wasmMemory=Module\["asm"\]\["(\w+)"\]/.exec(glue)[1];
const J = JSON.stringify;

// What each scenario does after configure (and bundle.load); `wrong` counts refused passphrases.
const steps = {
  start: '',
  backup: `
    call({ op: 'consent.grant', purpose: 'personalization', version: 't', text: 't', source: 'api', now });
    call({ op: 'track', event: { type: 'view', item: firstItem }, now });
    const sealed = call({ op: 'backup.seal', purpose: 'export', passphrase: 'correct horse battery', now });
    if (sealed.out.error) throw new Error('seal: ' + JSON.stringify(sealed.out.error));
    for (let k = 0; k < 3; k++) {
      const r = call({ op: 'backup.open', passphrase: 'correct horse battery', now }, sealed.bytes);
      if (r.out.error) { wrong++; print('open: ' + JSON.stringify(r.out.error)); }
    }`,
}[scenario];

const dir = mkdtempSync(path.join(os.tmpdir(), 'emma-jsc-'));
const harness = path.join(dir, 'harness.js');
writeFileSync(harness, `
const mod = new WebAssembly.Module(readFile(${J(path.join(root, 'build/wasm/emma-embed.wasm'))}, 'binary'));
const bundle = readFile(${J(path.join(root, 'build/demo/shop.bundle'))}, 'binary');
const firstItem = ${J(JSON.parse(readFileSync(path.join(root, 'demo/catalog.json'), 'utf8')).items[0].id)};
const text = (s) => new Uint8Array([...unescape(encodeURIComponent(s))].map((c) => c.charCodeAt(0)));
const now = ${Date.UTC(2026, 10, 30)};
let traps = 0, wrong = 0;
for (let it = 0; it < ${iterations}; it++) {
  let mem;
  const heap = () => new Uint8Array(mem.buffer);
  const fail = () => { throw new Error('abort'); };
  const grow = (want) => { try { mem.grow(Math.ceil((want - mem.buffer.byteLength) / 65536)); return 1; } catch (e) { return 0; } };
  const x = new WebAssembly.Instance(mod, { a: {
    ${J(lib._emscripten_resize_heap)}: grow, ${J(lib._abort)}: fail, ${J(lib.___assert_fail)}: fail,
    ${J(lib._emscripten_asm_const_int)}: () => (Math.random() * 4294967296) >>> 0,
    ${J(lib.emma_parse_number)}: (p, n) => Number(String.fromCharCode(...heap().subarray(p, p + n))),
  } }).exports;
  mem = x[${J(memory)}];
  const session = x[${J(ex.emma_session_create)}]();
  const call = (msg, bytes) => {
    const t = text(JSON.stringify(msg));
    const rp = x[${J(ex.emma_alloc)}](t.length); heap().set(t, rp);
    let bp = 0;
    if (bytes) { bp = x[${J(ex.emma_alloc)}](bytes.length); heap().set(bytes, bp); }
    x[${J(ex.emma_call)}](session, rp, t.length, bp, bytes ? bytes.length : 0);
    const jp = x[${J(ex.emma_answer_json)}](session), jl = x[${J(ex.emma_answer_json_len)}](session);
    const out = JSON.parse(decodeURIComponent(escape(String.fromCharCode(...heap().subarray(jp, jp + jl)))));
    const op = x[${J(ex.emma_answer_bytes)}](session), ol = x[${J(ex.emma_answer_bytes_len)}](session);
    return { out, bytes: heap().slice(op, op + ol) };
  };
  try {
    call({ op: 'configure', shop: 'demo.example' });
    call({ op: 'bundle.load' }, bundle);
    ${steps}
  } catch (e) { traps++; print(String(e) + ' ' + e.stack); }
}
print('traps ' + traps + ' wrong ' + wrong);
`);

let trapped = 0;
let wrongProcs = 0;
for (let i = 0; i < procs; i++) {
  const r = spawnSync('jsc', [...jscOptions, harness], { encoding: 'utf8', timeout: 600000 });
  const out = `${r.stdout}${r.stderr}`;
  const trap = !/traps 0\b/.test(out);
  const wrong = !/wrong 0\b/.test(out);
  trapped += trap;
  wrongProcs += wrong;
  if ((trap || wrong) && trapped + wrongProcs <= 4) console.error(out.trim().split('\n')[0]);
}
console.log(J({ scenario, procs, iterations, trapped_procs: trapped, wrong_procs: wrongProcs, jsc_options: jscOptions }));
