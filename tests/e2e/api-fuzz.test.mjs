// The API fuzz in Chromium: the same arbitraries and properties as tests/js/api-fuzz.test.mjs
// (tests/js/api-fuzz/), bundled with fast-check by esbuild and run in a page against the npm
// package's browser entry with IndexedDB and memory storage. Hostile values (BigInt, cycles,
// symbols, functions) are built in the page: they cannot cross page.evaluate.
//   EMMA_FUZZ_RUNS, EMMA_FUZZ_SEED: as in the Node fuzz (default here: 80 runs);
//   EMMA_FUZZ_REPORT=1 lists every distinct failure instead of stopping at the first.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { documentedCodes } from '../js/api-fuzz/check.mjs';
import { serverAndBrowser } from './harness.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const RUNS = Number(process.env.EMMA_FUZZ_RUNS || 80);
const SEED = Number(process.env.EMMA_FUZZ_SEED || 20261114);
const REPORT = process.env.EMMA_FUZZ_REPORT === '1';

test('api fuzz (Chromium): every call settles with a result or an EmmaError of a documented code, the instance goes on, the stored profile opens; after close() CLOSED', { timeout: 20 * 60_000 }, async (t) => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'emma-fuzz-page-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  await build({ entryPoints: [path.join(root, 'tests/js/api-fuzz/browser-entry.mjs')], bundle: true, format: 'esm', outfile: path.join(dir, 'fuzz.js'), logLevel: 'warning' });
  await writeFile(path.join(dir, 'index.html'), '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>API fuzz</title></head><body></body></html>\n');
  const codes = documentedCodes(await readFile(path.join(root, 'js-bindings/index.d.ts'), 'utf8'));
  const { server, browser } = await serverAndBrowser(t, { mounts: [['/fuzz/', dir]] });
  const page = await browser.context.newPage();
  const pageErrors = [];
  page.on('pageerror', (e) => pageErrors.push(e.message));
  await page.goto(`${server.origin}/fuzz/index.html`);
  const result = await page.evaluate(async (options) => {
    const { runBrowserFuzz } = await import('/fuzz/fuzz.js');
    const { createEmma, EmmaError } = await import('/pkg/src/browser.js');
    return runBrowserFuzz({ createEmma, EmmaError, bundle: '/emma/shop.bundle', ...options });
  }, { codes, seed: SEED, numRuns: RUNS, report: REPORT });
  if (REPORT) {
    console.log(`api fuzz (Chromium): ${result.found.length} distinct failures`);
    for (const f of result.found) console.log(`- ${f.signature}  (x${f.count})\n    ${f.printed}`);
  }
  assert.equal(result.fuzz, null);
  assert.equal(result.afterClose, null);
  assert.deepEqual(pageErrors, [], 'nothing escaped to the page as an uncaught error');
});
