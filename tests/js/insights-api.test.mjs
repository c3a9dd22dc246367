// The `insights` option of createEmma in Node, with the real wasm engine and a recording
// fetch: nothing is sent without both consents, a withdrawal during the delay wins, the
// request is the documented one, the day's budget holds across a reload (fs storage), and
// a collector error reaches on('error') without breaking anything.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createEmma, EmmaError } from 'tante-emma';
import { smallCatalog } from './engine-node.mjs';

const DAY = 86_400_000;
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const ENDPOINT = 'https://collector.test/insights/reports';

function recorder({ status = 202 } = {}) {
  const calls = [];
  const fetch = async (url, init) => {
    calls.push({ url, init });
    return new Response(JSON.stringify(status === 202 ? { accepted: 1 } : { error: { code: 'REPLAYED', message: 'seen before' } }),
      { status, headers: { 'Content-Type': 'application/json' } });
  };
  return { calls, fetch };
}

const grant = (emma, purpose) => emma.consent.grant(purpose, { version: 't', text: `allow ${purpose}`, source: 'api' });

test('nothing is sent without insights, nor with insights but without personalization', async () => {
  const { calls, fetch } = recorder();
  const emma = await createEmma({ bundle: smallCatalog(), shop: 's', insights: { endpoint: ENDPOINT, jitterMs: 10, fetch } });
  try {
    await emma.track({ type: 'view', item: '85099B' });
    await sleep(100);
    await grant(emma, 'personalization');
    await emma.track({ type: 'view', item: '85099B' });
    await sleep(100);
    assert.equal(calls.length, 0, 'personalization alone sends nothing');
    await emma.consent.withdraw('personalization');
    await grant(emma, 'insights');
    await sleep(100);
    assert.equal(calls.length, 0, 'insights alone sends nothing');
    await assert.rejects(emma.insights.report(), (e) => e instanceof EmmaError && e.code === 'NO_CONSENT' && /personalization/.test(e.message));
  } finally {
    await emma.close();
  }
});

test('with both consents one documented request is sent after the delay, once a day', async () => {
  const { calls, fetch } = recorder();
  let clock = Date.UTC(2026, 10, 29, 9, 30);
  const emma = await createEmma({ bundle: smallCatalog(), shop: 's', now: () => clock, insights: { endpoint: ENDPOINT, jitterMs: [50, 80], fetch } });
  try {
    await grant(emma, 'personalization');
    await emma.track({ type: 'view', item: '85099B' });
    await grant(emma, 'insights');
    await sleep(20);
    assert.equal(calls.length, 0, 'not before the delay');
    await sleep(200);
    assert.equal(calls.length, 1);
    const { url, init } = calls[0];
    assert.equal(url, ENDPOINT);
    assert.equal(init.method, 'POST');
    assert.equal(init.credentials, 'omit');
    assert.equal(init.referrerPolicy, 'no-referrer');
    assert.equal(init.keepalive, true);
    assert.deepEqual(init.headers, { 'Content-Type': 'application/json' });
    const body = JSON.parse(init.body);
    assert.deepEqual(Object.keys(body), ['reports']);
    assert.equal(body.reports.length, 1);
    const r = body.reports[0];
    const domain = await emma.insights.domain();
    assert.deepEqual(Object.keys(r).sort(), ['categories', 'day', 'domain', 'epsilon', 'nonce', 'segment', 'segment_bit', 'v']);
    assert.equal(r.domain, domain.id);
    assert.equal(r.day, '2026-11-29');
    assert.match(r.categories, new RegExp(`^[01]{${domain.categories.length}}$`));
    // A consent event later the same day: the engine has nothing more to give.
    await grant(emma, 'insights');
    await sleep(150);
    assert.equal(calls.length, 1, 'the budget allows one report a day');
    assert.deepEqual(await emma.insights.report(), []);
    clock += DAY;
    assert.equal((await emma.insights.report()).length, 1, 'a new day, a new report');
  } finally {
    await emma.close();
  }
});

test('a withdrawal during the delay sends nothing, and close() stops the timer', async () => {
  const { calls, fetch } = recorder();
  const emma = await createEmma({ bundle: smallCatalog(), shop: 's', insights: { endpoint: ENDPOINT, jitterMs: [150, 150], fetch } });
  await grant(emma, 'personalization');
  await emma.track({ type: 'view', item: '85099B' });
  await grant(emma, 'insights');
  await emma.consent.withdraw('insights');
  await sleep(300);
  assert.equal(calls.length, 0, 'withdrawn before the delay ended');
  await grant(emma, 'insights');
  await emma.close();
  await sleep(300);
  assert.equal(calls.length, 0, 'closed before the delay ended');
});

test('a GPC signal stops reports', async () => {
  const { calls, fetch } = recorder();
  const emma = await createEmma({ bundle: smallCatalog(), shop: 's', insights: { endpoint: ENDPOINT, jitterMs: [100, 100], fetch } });
  try {
    await grant(emma, 'personalization');
    await emma.track({ type: 'view', item: '85099B' });
    await grant(emma, 'insights');
    await emma.consent.signal('gpc', { enabled: true });
    await sleep(250);
    assert.equal(calls.length, 0);
    await assert.rejects(grant(emma, 'insights'), (e) => e.code === 'NO_CONSENT');
  } finally {
    await emma.close();
  }
});

test('the day\'s budget is kept across a reload (fs storage) and forgotten with erase()', async () => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'emma-insights-'));
  const storage = `fs:${dir}`;
  const clock = Date.UTC(2026, 10, 29, 9, 30);
  try {
    const first = recorder();
    let emma = await createEmma({ bundle: smallCatalog(), shop: 's', storage, now: () => clock, insights: { endpoint: ENDPOINT, jitterMs: 10, fetch: first.fetch } });
    await grant(emma, 'personalization');
    await emma.track({ type: 'view', item: '85099B' });
    await grant(emma, 'insights');
    await sleep(100);
    assert.equal(first.calls.length, 1);
    await emma.close();

    const second = recorder();
    emma = await createEmma({ bundle: smallCatalog(), shop: 's', storage, now: () => clock, insights: { endpoint: ENDPOINT, jitterMs: 10, fetch: second.fetch } });
    await sleep(100);
    assert.equal(second.calls.length, 0, 'a reload does not renew the budget');
    assert.deepEqual(await emma.insights.report(), []);
    await emma.erase();
    await grant(emma, 'personalization');
    await grant(emma, 'insights');
    assert.deepEqual(await emma.insights.report(), [], 'after erase the empty profile has nothing to report');
    await emma.close();
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('a collector error is reported through on(\'error\') and nothing breaks', async () => {
  const { calls, fetch } = recorder({ status: 409 });
  const errors = [];
  const emma = await createEmma({ bundle: smallCatalog(), shop: 's', on: { error: (e) => errors.push(e) }, insights: { endpoint: ENDPOINT, jitterMs: 10, fetch } });
  try {
    await grant(emma, 'personalization');
    await emma.track({ type: 'view', item: '85099B' });
    await grant(emma, 'insights');
    await sleep(150);
    assert.equal(calls.length, 1);
    assert.equal(errors.length, 1);
    assert.equal(errors[0].code, 'INSIGHTS_FAILED');
    assert.match(errors[0].message, /collector\.test\/insights\/reports failed: HTTP 409/);
    assert.equal((await emma.recommend({ limit: 2 })).items.length, 2, 'the engine works on');
  } finally {
    await emma.close();
  }
  const throwing = await createEmma({ bundle: smallCatalog(), shop: 's', on: { error: (e) => errors.push(e) },
    insights: { endpoint: ENDPOINT, jitterMs: 10, fetch: async () => { throw new TypeError('network down'); } } });
  await grant(throwing, 'personalization');
  await throwing.track({ type: 'view', item: '85099B' });
  await grant(throwing, 'insights');
  await sleep(150);
  assert.equal(errors.at(-1).code, 'INSIGHTS_FAILED');
  assert.match(errors.at(-1).message, /network down/);
  await throwing.close();
});

test('insights options are validated', async () => {
  await assert.rejects(createEmma({ bundle: smallCatalog(), shop: 's', insights: { epsilon: 0 } }), (e) => e.code === 'BAD_REQUEST' && /insights\.epsilon/.test(e.message));
  await assert.rejects(createEmma({ bundle: smallCatalog(), shop: 's', insights: { endpoint: ENDPOINT, jitterMs: -1 } }), (e) => e.code === 'BAD_REQUEST' && /jitterMs/.test(e.message));
  const emma = await createEmma({ bundle: smallCatalog(), shop: 's', insights: { epsilon: 1, dailyEpsilon: 3 } });
  const d = await emma.insights.domain();
  assert.deepEqual([d.epsilon, d.daily_epsilon, d.reports_per_day], [1, 3, 3]);
  assert.deepEqual(d.categories, ['Home', 'Kitchen', 'Bags']);  // the bundle's order
  await emma.close();
});
