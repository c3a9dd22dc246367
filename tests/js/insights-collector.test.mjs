// The collector of the demo server (demo/server/insights-collector.mjs), over HTTP, with its
// real SQLite file and reports made by the real wasm engine from the demo's bundle: oversized,
// malformed, replayed and out-of-range reports are refused with a clear JSON error, the
// server keeps serving, only valid reports are stored (and nothing else: no address, no
// time), the table is append-only, rate limits hold, and the audience page withholds small
// groups under the demo's CSP.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { createEmma } from 'tante-emma';
import { createDemoServer, DEMO_CSP } from '../../demo/server.mjs';

const bundlePath = new URL('../../build/demo/shop.bundle', import.meta.url);
const catalog = JSON.parse(await readFile(new URL('../../demo/catalog.json', import.meta.url), 'utf8'));
const DAY = 86_400_000;

async function start(options = {}) {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'emma-collector-'));
  const file = path.join(dir, 'insights.sqlite');
  const server = createDemoServer({ insights: { file, ...options } });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const origin = `http://127.0.0.1:${server.address().port}`;
  return {
    origin,
    file,
    post: (body, headers = { 'Content-Type': 'application/json' }) =>
      fetch(`${origin}/insights/reports`, { method: 'POST', headers, body: typeof body === 'string' ? body : JSON.stringify(body) }),
    async close() {
      await new Promise((resolve) => server.close(resolve));
      await rm(dir, { recursive: true, force: true });
    },
  };
}

// Real reports: shoppers in the real engine (demo bundle), `epsilon` per report.
async function engineReports(count, { epsilon = 2, now = Date.now(), items = ['85099B'] } = {}) {
  const emma = await createEmma({ bundle: new Uint8Array(await readFile(bundlePath)), shop: 'collector-test', now: () => now,
    insights: { epsilon, dailyEpsilon: epsilon } });
  const out = [];
  try {
    for (let k = 0; k < count; k++) {
      await emma.erase();
      await emma.consent.grant('personalization', { version: 't', source: 'api' });
      await emma.consent.grant('insights', { version: 't', source: 'api' });
      await emma.track({ type: 'view', item: items[k % items.length] });
      out.push(...await emma.insights.report());
    }
    return { reports: out, domain: await emma.insights.domain() };
  } finally {
    await emma.close();
  }
}

async function expectError(res, status, code, pattern) {
  assert.equal(res.status, status, `HTTP ${res.status}`);
  assert.match(res.headers.get('content-type'), /application\/json/);
  const body = await res.json();
  assert.equal(body.error.code, code, JSON.stringify(body));
  if (pattern) assert.match(body.error.message, pattern);
}

test('bad reports are refused with clear errors; the collector keeps serving and stores only valid reports', async (t) => {
  const c = await start();
  t.after(() => c.close());
  const { reports: [good, second, third], domain } = await engineReports(3);

  let res = await c.post({ reports: [good] });
  assert.equal(res.status, 202);
  assert.deepEqual(await res.json(), { accepted: 1 });

  // Replays: the same report again, or twice in one batch with a new one.
  await expectError(await c.post({ reports: [good] }), 409, 'REPLAYED', new RegExp(good.nonce));
  await expectError(await c.post({ reports: [second, second] }), 409, 'REPLAYED');

  // Oversized: with a Content-Length, and streamed without one.
  const big = JSON.stringify({ reports: [good], pad: 'x'.repeat(10_000) });
  await expectError(await c.post(big), 413, 'TOO_LARGE', /at most 8192/);
  const stream = new ReadableStream({ start(ctl) { ctl.enqueue(new TextEncoder().encode(big)); ctl.close(); } });
  res = await fetch(`${c.origin}/insights/reports`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: stream, duplex: 'half' })
    .catch((e) => e);
  // Node may see the connection end before the answer; either way nothing was stored (below).
  if (res instanceof Response) await expectError(res, 413, 'TOO_LARGE');

  // Malformed.
  await expectError(await c.post('{"reports": [}'), 400, 'BAD_JSON');
  await expectError(await c.post('[]'), 400, 'BAD_SCHEMA');
  await expectError(await c.post({ reports: [] }), 400, 'BAD_SCHEMA');
  await expectError(await c.post({ reports: [second], user: 'u1' }), 400, 'BAD_SCHEMA', /"user"/);
  await expectError(await c.post({ reports: Array(17).fill(second) }), 400, 'BAD_SCHEMA', /at most 16/);
  await expectError(await c.post({ reports: [{ ...second, ip: '10.0.0.1' }] }), 400, 'BAD_SCHEMA', /reports\[0\]\.ip/);
  const { nonce, ...noNonce } = second;
  await expectError(await c.post({ reports: [noNonce] }), 400, 'BAD_SCHEMA', /reports\[0\]\.nonce: is missing/);
  await expectError(await c.post({ reports: [{ ...second, v: 2 }] }), 400, 'UNSUPPORTED_VERSION');
  await expectError(await c.post({ reports: [{ ...second, domain: 'f'.repeat(32) }] }), 400, 'UNKNOWN_DOMAIN');
  await expectError(await c.post({ reports: [{ ...second, epsilon: 50 }] }), 400, 'BAD_EPSILON');
  await expectError(await c.post({ reports: [{ ...second, epsilon: '2' }] }), 400, 'BAD_EPSILON');
  await expectError(await c.post({ reports: [{ ...second, categories: `${second.categories}1` }] }), 400, 'BAD_SCHEMA', /categories/);
  await expectError(await c.post({ reports: [{ ...second, categories: second.categories.replace(/./, '2') }] }), 400, 'BAD_SCHEMA', /categories/);
  await expectError(await c.post({ reports: [{ ...second, segment: 5 }] }), 400, 'BAD_SCHEMA', /segment/);
  await expectError(await c.post({ reports: [{ ...second, segment_bit: true }] }), 400, 'BAD_SCHEMA', /segment_bit/);
  await expectError(await c.post({ reports: [{ ...second, nonce: 'abc' }] }), 400, 'BAD_SCHEMA', /nonce/);
  const day = (offset) => new Date(Date.now() + offset * DAY).toISOString().slice(0, 10);
  await expectError(await c.post({ reports: [{ ...second, day: day(3) }] }), 400, 'BAD_DAY', /future/);
  await expectError(await c.post({ reports: [{ ...second, day: day(-9) }] }), 400, 'BAD_DAY', /old/);
  await expectError(await c.post({ reports: [{ ...second, day: '2026-02-30' }] }), 400, 'BAD_SCHEMA', /calendar day/);
  await expectError(await c.post({ reports: [{ ...second, day: '2026-11-29T10:15' }] }), 400, 'BAD_SCHEMA', /calendar day/);
  // One bad report refuses its whole batch: nothing of it is stored.
  await expectError(await c.post({ reports: [second, { ...third, segment: -1 }] }), 400, 'BAD_SCHEMA', /reports\[1\]\.segment/);
  await expectError(await c.post({ reports: [second] }, { 'Content-Type': 'text/plain' }), 415, 'BAD_CONTENT_TYPE');
  await expectError(await fetch(`${c.origin}/insights/reports`), 405, 'METHOD');

  // Still serving: the other two valid reports are taken, and the shop's pages still load.
  res = await c.post({ reports: [second, third] });
  assert.equal(res.status, 202, await res.clone().text());
  assert.equal((await fetch(`${c.origin}/`)).status, 200);

  // The file holds the three valid reports, exactly as sent, and nothing else.
  const db = new Database(c.file, { readonly: true });
  try {
    const rows = db.prepare('SELECT * FROM reports ORDER BY nonce').all();
    assert.deepEqual(rows.map((r) => r.nonce), [good, second, third].map((r) => r.nonce).sort());
    // (The experiment's columns, docs/insights.md "Experiments", are NULL for a report without one.)
    assert.deepEqual(Object.keys(rows[0]).sort(), ['arm', 'bought', 'categories', 'day', 'domain', 'epsilon', 'experiment', 'nonce', 'opened', 'outcome_epsilon', 'segment', 'segment_bit']);
    const stored = rows.find((r) => r.nonce === good.nonce);
    assert.deepEqual({ ...stored }, { nonce: good.nonce, domain: domain.id, day: good.day, epsilon: good.epsilon, categories: good.categories, segment: good.segment, segment_bit: good.segment_bit,
      experiment: null, arm: null, outcome_epsilon: null, opened: null, bought: null });
    const tables = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").pluck().all().sort();
    assert.deepEqual(tables, ['domains', 'reports']);
  } finally {
    db.close();
  }
  const bytes = await readFile(c.file);
  assert.equal(bytes.includes(Buffer.from('127.0.0.1')), false, 'no client address in the file');

  // Append-only, also for someone with the file.
  const rw = new Database(c.file);
  try {
    assert.throws(() => rw.prepare('DELETE FROM reports').run(), /append-only/);
    assert.throws(() => rw.prepare("UPDATE reports SET segment_bit = 1 - segment_bit").run(), /append-only/);
  } finally {
    rw.close();
  }
});

test('the rate limit answers 429 with a clear error and lets others through', async (t) => {
  const c = await start({ requestsPerMinute: 3 });
  t.after(() => c.close());
  for (let k = 0; k < 3; k++) await expectError(await c.post('{'), 400, 'BAD_JSON');
  const res = await c.post('{');
  await expectError(res, 429, 'RATE_LIMITED', /a minute/);
  assert.equal(res.headers.get('retry-after'), '60');
  assert.equal((await fetch(`${c.origin}/`)).status, 200, 'pages are not limited');
});

test('the audience page shows de-noised estimates with intervals and withholds groups under k', async (t) => {
  const c = await start({ k: 50 });
  t.after(() => c.close());
  // Too few reports: nothing is estimated.
  const few = await engineReports(3, { epsilon: 8 });
  assert.equal((await c.post({ reports: few.reports })).status, 202);
  let page = await fetch(`${c.origin}/audience`);
  assert.equal(page.headers.get('content-security-policy'), DEMO_CSP);
  let text = await page.text();
  assert.match(text, /3 reports so far: estimates are shown from 50 reports on/);

  // 160 more shoppers, half like Bags, half Kitchen; at ε = 8 the noise of an empty category is a few
  // reports, far under k = 50.
  const bags = catalog.items.filter((i) => i.category === 'Bags').map((i) => i.id);
  const kitchen = catalog.items.filter((i) => i.category.startsWith('Kitchen')).map((i) => i.id);
  const many = await engineReports(160, { epsilon: 8, items: [bags[0], kitchen[0], kitchen[1], bags[1]] });
  for (let k = 0; k < many.reports.length; k += 16) assert.equal((await c.post({ reports: many.reports.slice(k, k + 16) })).status, 202);
  const json = await (await fetch(`${c.origin}/audience.json`)).json();
  assert.equal(json.reports, 163);
  const row = (label) => json.categories.find((r) => r.label === label);
  assert.equal(row('Bags').shown, true);
  // Within 4 standard deviations (a 95% interval misses 1 time in 20; this 1 in 16,000).
  const near = (r, truth) => assert.ok(Math.abs(r.count - truth) <= 4 * r.sd, `${JSON.stringify(r)} vs ${truth}`);
  near(row('Bags'), 83);
  assert.ok(row('Bags').high - row('Bags').low > 0);
  assert.equal(row('Kitchen').shown, true);
  near(row('Kitchen'), 80);
  for (const label of ['Garden', 'Party', 'Toys & Kids', 'Stationery']) {
    assert.deepEqual(row(label), { label, shown: false }, `${label} is withheld without any number`);
  }
  page = await fetch(`${c.origin}/audience`);
  text = await page.text();
  assert.match(text, /<th scope="row">Bags<\/th><td>\d+\.\d%<\/td>/);
  assert.match(text, /<th scope="row">Garden<\/th><td colspan="4">fewer than 50: not shown/);
  assert.doesNotMatch(text, /<script|style=/, 'no script and no inline style (strict CSP)');
});
