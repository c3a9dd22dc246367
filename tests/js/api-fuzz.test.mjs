// A property-based fuzz of the public API of a Node instance (real wasm, fs and memory
// storage, with and without a sync endpoint): hostile values (BigInt, cycles, symbols,
// functions, undefined, deep and huge values, lone surrogates, throwing getters) and almost
// valid calls into every method. Properties: tests/js/api-fuzz/check.mjs. Found inputs are
// kept as regression cases (tests/js/api-fuzz/regressions.mjs) that always run.
//
//   EMMA_FUZZ_RUNS=2000 EMMA_FUZZ_SEED=7 node --test tests/js/api-fuzz.test.mjs   a longer run
//   npm run fuzz:api                                                            the same, 2,000 runs
//   EMMA_FUZZ_REPORT=1 …  lists every distinct failure (with its smallest input) instead of
//                         stopping at the first
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { createEmma, EmmaError } from '../../js-bindings/src/node.js';
import { createDemoServer } from '../../demo/server.mjs';
import { smallCatalog } from './engine-node.mjs';
import { callArbitrary, validCalls } from './api-fuzz/hostile.mjs';
import { closedRun, documentedCodes, fuzzRun } from './api-fuzz/check.mjs';
import { REGRESSIONS } from './api-fuzz/regressions.mjs';

const RUNS = Number(process.env.EMMA_FUZZ_RUNS || 150);
const SEED = Number(process.env.EMMA_FUZZ_SEED || 20261114);
const REPORT = process.env.EMMA_FUZZ_REPORT === '1';
const PASS = 'a sync passphrase';
const GRANT = { version: '1', text: 'Personalise.', source: 'banner' };

const codes = new Set(documentedCodes(await readFile(new URL('../../js-bindings/index.d.ts', import.meta.url), 'utf8')));
const dirs = [];
let server;
let endpoint;
let world;

async function tempDir() {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'emma-fuzz-'));
  dirs.push(dir);
  return dir;
}

// An instance as the fuzz sees it: handlers registered at creation hear start-up problems.
async function instance(storage, withSync) {
  const heard = { error: [], storage: [] };
  const emma = await createEmma({
    bundle: smallCatalog(), shop: 'fuzz-shop', storage,
    ...(withSync ? { sync: { endpoint } } : {}),
    on: { error: (e) => heard.error.push(e), storage: (d) => heard.storage.push(d) },
  });
  return { emma, heard };
}

before(async () => {
  const dataDir = await tempDir();
  server = createDemoServer({ dataDir });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  endpoint = `http://127.0.0.1:${server.address().port}/emma/sync`;
  // A backup and a sync copy of another device, so that restore and join can be valid.
  const other = (await instance(`fs:${await tempDir()}`, true)).emma;
  await other.consent.grant('personalization', GRANT);
  await other.consent.grant('sync', GRANT);
  await other.track({ type: 'view', item: '22720' });
  const backup = { bytes: await other.profile.backup({ passphrase: 'a long passphrase', kdf: { opslimit: 2, memlimit_kib: 19456 } }), passphrase: 'a long passphrase' };
  const { syncId } = await other.sync.enable({ passphrase: PASS });
  await other.close();
  let clock = Date.now();
  world = {
    items: ['85123A', '22720', '37370'], categories: ['Kitchen', 'Home/Candles'], query: 'cake tins',
    backup, sync: { syncId, passphrase: PASS }, now: () => clock++,
  };
});

after(async () => {
  await new Promise((resolve) => server.close(resolve));
  for (const dir of dirs) await rm(dir, { recursive: true, force: true });
});

// One run of the fuzz on a fresh instance.
async function runOnce(run) {
  const storage = run.storage === 'fs' ? `fs:${await tempDir()}` : 'memory';
  return fuzzRun({
    open: () => instance(storage, run.withSync),
    reopen: run.storage === 'fs' ? () => instance(storage, run.withSync) : null,
    run, world, codes, EmmaError,
  });
}

// A property that fails with the problem; in report mode it collects every distinct problem
// with its smallest input instead (size: the length of fast-check's printout).
const found = new Map();
function printable(args) {
  try {
    return fc.stringify(args);
  } catch (err) {
    return `[unprintable: ${err.message}]`;
  }
}
function property(problem) {
  if (!problem) return true;
  if (REPORT) {
    const printed = printable(problem.args);
    const kept = found.get(problem.signature);
    if (!kept || printed.length < kept.printed.length) found.set(problem.signature, { ...problem, printed, count: (kept?.count ?? 0) + 1 });
    else kept.count++;
    return true;
  }
  assert.fail(`${problem.method} (step ${problem.step}): ${problem.problem}`);
}

function report(title) {
  if (!REPORT) return;
  console.log(`\n${title}: ${found.size} distinct failures`);
  for (const [sig, p] of [...found].sort()) console.log(`- ${sig}  (x${p.count})\n    ${p.method}(${p.printed.slice(1, -1).slice(0, 300)})`);
  found.clear();
}

test('api fuzz (Node): every call settles with a result or an EmmaError of a documented code, the instance goes on, the stored profile opens', { timeout: 30 * 60_000 }, async () => {
  const arbitrary = fc.record({
    grantFirst: fc.boolean(),
    storage: fc.constantFrom('fs', 'memory'),
    withSync: fc.boolean(),
    calls: fc.array(callArbitrary(world), { minLength: 1, maxLength: 5 }),
  });
  await fc.assert(fc.asyncProperty(arbitrary, async (run) => property(await runOnce(run))), { seed: SEED, numRuns: RUNS, endOnFailure: !REPORT });
  report('api fuzz (Node)');
});

test('api fuzz (Node): after close() every method rejects with CLOSED', { timeout: 10 * 60_000 }, async () => {
  const methods = Object.keys(validCalls(world)).filter((m) => m !== 'on');
  const arbitrary = fc.constantFrom(...methods).chain((method) => fc.nat(validCalls(world)[method].length - 1).map((i) => ({ method, args: validCalls(world)[method][i]() })));
  await fc.assert(fc.asyncProperty(arbitrary, async (call) => property(await closedRun({ open: () => instance('memory', true), call, codes, EmmaError }))),
    { seed: SEED, numRuns: Math.max(methods.length * 2, Math.round(RUNS / 2)), endOnFailure: !REPORT });
  report('after close');
});

// The harness itself: every valid call of every method passes the properties (so a failure
// above is about the input, not about how the fuzz calls).
test('api fuzz harness: every valid call passes the properties, on fs storage with a sync endpoint', { timeout: 10 * 60_000 }, async () => {
  const calls = Object.entries(validCalls(world)).flatMap(([method, templates]) => templates.map((args) => ({ method, args: args() })));
  const storage = `fs:${await tempDir()}`;
  const open = () => instance(storage, true);
  const problem = await fuzzRun({ open, reopen: open, run: { grantFirst: true, calls }, world, codes, EmmaError });
  assert.equal(problem && `${problem.method}: ${problem.problem}`, null);
});

// Inputs the fuzz found, kept: each always runs (tests/js/api-fuzz/regressions.mjs).
for (const r of REGRESSIONS) {
  test(`api fuzz regression: ${r.name}`, async () => {
    const storage = r.storage === 'memory' ? 'memory' : `fs:${await tempDir()}`;
    const open = () => instance(storage, r.withSync === true);
    const call = { method: r.method, args: r.args(world) };
    const problem = r.closed
      ? await closedRun({ open, call, codes, EmmaError })
      : await fuzzRun({ open, reopen: r.storage === 'memory' ? null : open, run: { grantFirst: r.grantFirst !== false, calls: [call] }, world, codes, EmmaError });
    if (problem) assert.fail(`${problem.method}: ${problem.problem}`);
  });
}
