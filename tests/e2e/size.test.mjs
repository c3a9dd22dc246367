// The size budget: everything a shop page downloads for Emma except the bundle (embed
// script with the npm API and glue, wasm, CSS) is at most 120,000 bytes brotli -q 11.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';

const script = fileURLToPath(new URL('../../src/build/size-report.mjs', import.meta.url));

test('npm run size: per-file sizes, a JSON last line, and the page total within the budget', async () => {
  const { stdout } = await promisify(execFile)(process.execPath, [script, '--check']);
  const lines = stdout.trim().split('\n');
  const report = JSON.parse(lines[lines.length - 1]);
  const page = report.files.filter((f) => f.page).map((f) => f.name);
  assert.deepEqual(page, ['web/dist/emma.css', 'web/dist/emma.js', 'web/dist/emma.wasm'], 'web/dist is built (setup.sh)');
  for (const f of report.files) {
    assert.ok(f.raw > 0 && f.gzip > 0 && f.brotli > 0 && f.brotli <= f.raw, JSON.stringify(f));
    assert.ok(lines.some((l) => l.startsWith(f.name) && l.includes(String(f.brotli))), `${f.name} is printed`);
  }
  assert.equal(report.page_total_brotli, report.files.filter((f) => f.page).reduce((s, f) => s + f.brotli, 0));
  assert.ok(report.page_total_brotli <= 120_000, `the page downloads ${report.page_total_brotli} bytes brotli; the budget is 120,000`);
});
