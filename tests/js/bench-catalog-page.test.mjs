// `npm run bench:catalog-page` (src/tools/bench/catalog-page.mjs, issue 11) as a smoke run inside
// npm test: a 20,000-item shop, one load of each page in Chromium; the last line is the JSON the
// benchmark reports, and both pages filled their 8 for_you slots (it throws otherwise). Times
// and bytes are printed, not judged: speed is the benchmark's business; the 1M-item run and its
// figures are in src/tools/bench/RESULTS.md.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

test('bench:catalog-page smoke run: the JSON line of issue 11\'s browser benchmark', { timeout: 10 * 60_000 }, async (t) => {
  const { stdout, stderr } = await run('node', ['src/tools/bench/catalog-page.mjs', '--smoke', '--json'], { cwd: new URL('../..', import.meta.url), maxBuffer: 16 << 20 });
  const r = JSON.parse(stdout.trim().split('\n').pop());
  for (const k of ['items', 'emma_ms', 'json_ms', 'ratio', 'emma_bytes', 'json_bytes', 'bytes_ratio']) assert.ok(typeof r[k] === 'number' && r[k] > 0, `${k}: ${r[k]}`);
  assert.equal(r.items, 20000);
  assert.equal(r.json_items, 20000);
  t.diagnostic(stderr.trim());
});
