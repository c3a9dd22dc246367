// `npm run bench:page` (src/tools/bench/page.mjs) as a smoke run inside npm test: one cold
// and one warm run in Chromium; the last line is the JSON the issue asks for, and a second
// page view fetches none of Emma's files again (they are cached for good under their
// content-hashed names). Times are printed, not judged: speed is a benchmark's business;
// the full run and its figures are in src/tools/bench/RESULTS.md.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

test('bench:page smoke run: the JSON of issue 19, warm page views transfer none of Emma\'s files', { timeout: 5 * 60_000 }, async (t) => {
  const { stdout, stderr } = await run('node', ['src/tools/bench/page.mjs', '--runs', '1', '--engines', 'chromium', '--json'], { cwd: new URL('../..', import.meta.url), maxBuffer: 16 << 20 });
  const r = JSON.parse(stdout.trim().split('\n').pop());
  assert.deepEqual(Object.keys(r), ['engines', 'cold_ms_after_dcl', 'warm_ms_after_dcl', 'cls_max', 'warm_bytes']);
  assert.deepEqual(r.engines, ['chromium']);
  for (const k of ['cold_ms_after_dcl', 'warm_ms_after_dcl', 'cls_max']) assert.ok(r[k].length === 1 && typeof r[k][0] === 'number' && r[k][0] >= 0, `${k}: ${r[k]}`);
  assert.deepEqual(r.warm_bytes, [0], stderr);
  t.diagnostic(stderr.trim());
});
