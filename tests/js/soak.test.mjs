// The soak (src/tools/bench/soak.mjs) as a smoke run inside npm test: 3,000 mixed calls on
// one fs-backed instance with reloads and consent changes, every call answered, a figure per
// window. The full run (200,000 calls, growth judged against the profile's caps) is
// `npm run soak`; its figures are in src/tools/bench/RESULTS.md.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

test('soak smoke run: 3,000 mixed calls with reloads, no call fails, figures per window', { timeout: 5 * 60_000 }, async () => {
  const { stdout } = await run('node', ['src/tools/bench/soak.mjs', '--calls', '3000', '--json'], { cwd: new URL('../..', import.meta.url), maxBuffer: 16 << 20 });
  const r = JSON.parse(stdout.trim().split('\n').pop());
  assert.equal(r.calls, 3000);
  assert.equal(r.failed_calls, 0, r.errors.join('\n'));
  assert.deepEqual(r.errors, []);
  assert.equal(r.windows.length, 6);
  const last = r.windows[r.windows.length - 1];
  assert.ok(last.file_bytes > 0 && last.heap_in_use > 0 && last.events > 0, JSON.stringify(last));
  for (const kind of ['view', 'purchase', 'search', 'recommend', 'explain', 'reload']) {
    assert.ok(r.windows.some((w) => w.latency_ms[kind]?.n > 0), `${kind} was called and timed`);
  }
  assert.equal(r.verdict.checked, false, 'a 3,000-call run cannot pass the caps (purchases alone need 2,000)');
});
