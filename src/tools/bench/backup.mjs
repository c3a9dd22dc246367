// npm run bench:backup [-- --json] [-- --smoke] [-- --against DIR]
//
// What a passphrase costs, through the real wasm engine (Node build) in one run: a backup
// at the default Argon2id parameters (64 MiB, 3 passes), one at the floor (19 MiB, 2), and a
// sync copy sealed under the kept key (no derivation), as medians and as ratios to the
// kept-key copy. Libsodium's own Argon2id (libsodium-wrappers-sumo, also wasm) is timed
// alongside at the default parameters, as a yardstick for our build.
// --against DIR: also an engine built otherwise (DIR holds its emma.wasm and emma-node.cjs, e.g.
// js-bindings/dist of an older commit), the two backups alternating in this run:
// `against_default_ms` and `ratio_against_to_ours`.
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import sodium from 'libsodium-wrappers-sumo';
import { createEmma } from '../../../js-bindings/src/node.js';
import { createEmmaWith } from '../../../js-bindings/src/emma.js';
import { MemoryStorage } from '../../../js-bindings/src/storage/memory.js';

const args = process.argv.slice(2);
const smoke = args.includes('--smoke');
const json = args.includes('--json');
const RUNS = smoke ? 1 : 5;
const against = args.includes('--against') ? path.resolve(args[args.indexOf('--against') + 1]) : null;
const PASS = 'a passphrase for the benchmark';

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

async function time(fn) {
  const ms = [];
  for (let k = 0; k < RUNS; k++) {
    const t0 = performance.now();
    await fn();
    ms.push(performance.now() - t0);
  }
  return median(ms);
}

const items = Array.from({ length: 200 }, (_, k) => ({ id: `i${k}`, title: `Item ${k}`, category: `C${k % 10}` }));
// A sync endpoint that keeps nothing (GET: no copy; PUT/DELETE: done): the bench times the
// engine's sealing, not a network.
const nowhere = async (url, init = {}) => new Response(null, { status: (init.method || 'GET') === 'GET' ? 404 : 204 });
const emma = await createEmma({ bundle: { items }, shop: 'bench', storage: 'memory', sync: { endpoint: 'http://sync.invalid/emma/sync', fetch: nowhere } });
await emma.consent.grant('personalization', { version: '1' });
await emma.consent.grant('sync', { version: '1' });
for (let k = 0; k < 300; k++) await emma.track({ type: 'view', item: `i${(k * 7) % 200}`, at: 1_764_000_000_000 + k });

let bytes = 0;
const results = {};
if (against) {
  // The other build through the same API, on the same profile; the two alternate.
  const glue = createRequire(import.meta.url)(path.join(against, 'emma-node.cjs'));
  const wasmBinary = new Uint8Array(await readFile(path.join(against, 'emma.wasm')));
  const env = { loadModule: () => glue({ wasmBinary, print() {}, printErr() {} }), openStorage: () => MemoryStorage.create(), fetchBytes: null, defaultStorage: 'memory' };
  const other = await createEmmaWith(env, { bundle: { items }, shop: 'bench' });
  await other.consent.grant('personalization', { version: '1' });
  for (let k = 0; k < 300; k++) await other.track({ type: 'view', item: `i${(k * 7) % 200}`, at: 1_764_000_000_000 + k });
  const ours = [];
  const theirs = [];
  for (let k = 0; k < RUNS; k++) {
    for (const [who, list] of k % 2 ? [[emma, ours], [other, theirs]] : [[other, theirs], [emma, ours]]) {
      const t0 = performance.now();
      await who.profile.backup({ passphrase: PASS });
      list.push(performance.now() - t0);
    }
  }
  await other.close();
  results.against_default_ms = median(theirs);
  results.against_ours_default_ms = median(ours);
  results.ratio_against_to_ours = +(median(theirs) / median(ours)).toFixed(2);
}
results.backup_default_ms = await time(async () => { bytes = (await emma.profile.backup({ passphrase: PASS })).length; });
results.backup_floor_ms = await time(() => emma.profile.backup({ passphrase: PASS, kdf: { opslimit: 2, memlimit_kib: 19 * 1024 } }));
// A sync copy under the kept key: enable derives once, each later copy only seals.
await emma.sync.enable({ passphrase: PASS });
results.sync_copy_ms = await time(() => emma.sync.push());
await emma.close();
await sodium.ready;
results.libsodium_js_default_ms = await time(() => sodium.crypto_pwhash(32, PASS, new Uint8Array(16), 3, 64 << 20, sodium.crypto_pwhash_ALG_ARGON2ID13));
results.copy_bytes = bytes;
results.ratio_default_to_sync_copy = +(results.backup_default_ms / results.sync_copy_ms).toFixed(1);
results.ratio_ours_to_libsodium_js = +(results.backup_default_ms / results.libsodium_js_default_ms).toFixed(2);
results.runs = RUNS;
for (const k of Object.keys(results)) if (k.endsWith('_ms')) results[k] = +results[k].toFixed(1);

if (!json) {
  console.log(`backup, default Argon2id (64 MiB, 3 passes): ${results.backup_default_ms} ms (median of ${RUNS})`);
  console.log(`backup, floor (19 MiB, 2 passes):            ${results.backup_floor_ms} ms`);
  console.log(`sync copy under the kept key:                ${results.sync_copy_ms} ms`);
  console.log(`libsodium-wrappers-sumo Argon2id, default:   ${results.libsodium_js_default_ms} ms`);
  console.log(`copy: ${bytes} bytes for a 300-event profile`);
}
console.log(JSON.stringify(results));
