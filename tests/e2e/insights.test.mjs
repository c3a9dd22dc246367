// `insights` in Chromium, on the demo shop through the embed script (data-insights-endpoint):
// every request the page makes is captured. Without the `insights` consent, or with Global
// Privacy Control on, nothing is sent; with it, exactly one POST of the documented payload,
// without cookies or referrer, which the collector stores; a withdrawal during the random
// delay sends nothing. The delay is shortened with the documented test hook
// data-insights-jitter-ms, added to the demo's pages on their way to the browser.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { launch, startServer } from './harness.mjs';
import { emmaCall, emmaSettled, watchedPage } from './embed-kit.mjs';

const catalog = JSON.parse(await readFile(new URL('../../demo/catalog.json', import.meta.url), 'utf8'));
const bags = catalog.items.filter((i) => i.category === 'Bags').slice(0, 3).map((i) => i.id);
const INSIGHTS_TEXT = { version: 'demo-insights-2026-11', text: 'Share noised audience statistics', source: 'api', lang: 'en' };
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

async function setup(t, { jitter: initialJitter = 100 } = {}) {
  let jitter = initialJitter;
  const dir = await mkdtemp(path.join(os.tmpdir(), 'emma-insights-e2e-'));
  const file = path.join(dir, 'insights.sqlite');
  const server = await startServer({ insights: { file } });
  const browser = await launch();
  t.after(async () => {
    await browser.close();
    await server.close();
    await rm(dir, { recursive: true, force: true });
  });
  const { page, seen } = await watchedPage(browser.context);
  // The shop's pages with the test hook: the delay before sending is at most `jitter` ms.
  await page.route((url) => url.origin === server.origin && !/\.\w+$/.test(url.pathname) && !url.pathname.startsWith('/insights'), async (route) => {
    const res = await route.fetch();
    const body = (await res.text()).replace('data-insights-endpoint="/insights/reports"', `data-insights-endpoint="/insights/reports" data-insights-jitter-ms="${jitter}"`);
    await route.fulfill({ response: res, body });
  });
  const posts = [];
  page.on('request', (r) => {
    if (r.method() !== 'GET') posts.push({ url: r.url(), method: r.method(), body: r.postData(), headers: r.headers() });
  });
  const visit = async (where) => {
    await page.goto(server.origin + where);
    assert.equal(await emmaSettled(page), 'ready', `Emma did not start on ${where}`);
  };
  return { server, page, seen, posts, visit, file, setJitter: (v) => { jitter = v; } };
}

// The documented payload (docs/insights.md), and nothing else.
function checkPayload(body, domain) {
  const doc = JSON.parse(body);
  assert.deepEqual(Object.keys(doc), ['reports']);
  assert.ok(doc.reports.length >= 1 && doc.reports.length <= 16);
  for (const r of doc.reports) {
    assert.deepEqual(Object.keys(r).sort(), ['categories', 'day', 'domain', 'epsilon', 'nonce', 'segment', 'segment_bit', 'v']);
    assert.equal(r.v, 1);
    assert.equal(r.domain, domain.id);
    assert.equal(r.day, new Date().toISOString().slice(0, 10));
    assert.equal(r.epsilon, 2);
    assert.match(r.categories, new RegExp(`^[01]{${domain.categories.length}}$`));
    assert.ok(Number.isInteger(r.segment) && r.segment >= 0 && r.segment < domain.segments.length);
    assert.ok(r.segment_bit === 0 || r.segment_bit === 1);
    assert.match(r.nonce, /^[0-9a-f]{32}$/);
  }
  return doc.reports;
}

test('without the insights consent nothing is sent, also with personalization', async (t) => {
  const { page, posts, visit } = await setup(t);
  await visit('/');
  for (const id of bags) await visit(`/product/${id}`);
  await sleep(400);
  assert.deepEqual(posts, [], 'no consent: no request but GETs');
  await page.click('[data-emma-choice="yes"]');
  await page.waitForSelector('[data-emma-ui="banner"]', { state: 'detached' });
  for (const id of bags) await visit(`/product/${id}`);
  await sleep(400);
  assert.equal((await emmaCall(page, 'consent.state')).insights.granted, false);
  assert.deepEqual(posts, [], 'personalization alone: nothing sent');
});

test('Global Privacy Control withdraws an earlier insights consent: nothing is sent, and it cannot be granted again', async (t) => {
  // First without GPC: both consents given, the report waits for a delay longer than the test.
  const { page, posts, visit, setJitter } = await setup(t, { jitter: '60000 60000' });
  await visit('/');
  await page.click('[data-emma-choice="yes"]');
  await page.waitForSelector('[data-emma-ui="banner"]', { state: 'detached' });
  for (const id of bags) await visit(`/product/${id}`);
  await emmaCall(page, 'consent.grant', 'insights', INSIGHTS_TEXT);
  // Then the browser turns GPC on (Chromium has no switch: the property the gpc source reads,
  // as a browser with GPC has it), and the next page would send after at most 100 ms.
  setJitter('100');
  await page.addInitScript(() => Object.defineProperty(Navigator.prototype, 'globalPrivacyControl', { get: () => true, configurable: true }));
  await visit(`/product/${bags[0]}`);
  assert.equal(await page.evaluate(() => navigator.globalPrivacyControl), true);
  await sleep(800);
  assert.deepEqual(posts, []);
  const state = await emmaCall(page, 'consent.state');
  assert.equal(state.insights.granted, false);
  assert.equal(state.insights.source, 'gpc');
  assert.equal(state.personalization.granted, true, 'GPC leaves personalization alone');
  await assert.rejects(emmaCall(page, 'consent.grant', 'insights', INSIGHTS_TEXT), /NO_CONSENT: Global Privacy Control/);
  for (const id of bags) await visit(`/product/${id}`);
  await sleep(400);
  assert.deepEqual(posts, []);
});

test('with consent exactly the documented payload is sent once, without cookies or referrer, and stored', async (t) => {
  const { server, page, seen, posts, visit, file } = await setup(t);
  await visit('/');
  await page.click('[data-emma-choice="yes"]');
  await page.waitForSelector('[data-emma-ui="banner"]', { state: 'detached' });
  for (const id of bags) await visit(`/product/${id}`);
  await emmaCall(page, 'consent.grant', 'insights', INSIGHTS_TEXT);
  // (Chromium does not list keepalive requests in Resource Timing: watch the requests instead.)
  for (let waited = 0; posts.length === 0 && waited < 5000; waited += 50) await sleep(50);
  await sleep(300);
  const domain = await (await fetch(`${server.origin}/audience.json`)).json();
  const { categories, segments } = await page.evaluate(() => window.emma('ready').then((api) => api.insights.domain()));
  assert.equal(posts.length, 1, JSON.stringify(posts));
  const [post] = posts;
  assert.equal(post.method, 'POST');
  assert.equal(post.url, `${server.origin}/insights/reports`);
  assert.equal(post.headers['content-type'], 'application/json');
  assert.equal(post.headers.cookie, undefined);
  assert.equal(post.headers.referer, undefined, 'no referrer: the report does not say which page it left from');
  const reports = checkPayload(post.body, { id: domain.domain, categories, segments });
  assert.equal(reports.length, 1, 'the default budget: one report a day');

  // More pages, a reload: the day's budget is spent (and kept in the sealed profile).
  for (const id of bags) await visit(`/product/${id}`);
  await page.reload();
  await emmaSettled(page);
  await sleep(500);
  assert.equal(posts.length, 1, 'still one request');
  assert.equal(seen.errors.length, 0, seen.errors.join(' | '));
  // Every other request of the session stayed on the shop's origin and only read (GET).
  for (const r of seen.requests) {
    assert.equal(new URL(r.url).origin, server.origin, `a request left the shop: ${r.url}`);
    if (r.method !== 'GET') assert.equal(new URL(r.url).pathname, '/insights/reports', `${r.method} ${r.url}`);
  }

  const db = new Database(file, { readonly: true });
  try {
    const rows = db.prepare('SELECT * FROM reports').all();
    assert.equal(rows.length, 1);
    assert.equal(rows[0].nonce, reports[0].nonce);
  } finally {
    db.close();
  }
});

test('a withdrawal during the delay sends nothing', async (t) => {
  const { page, posts, visit } = await setup(t, { jitter: '1500 1500' });
  await visit('/');
  await page.click('[data-emma-choice="yes"]');
  await page.waitForSelector('[data-emma-ui="banner"]', { state: 'detached' });
  for (const id of bags) await visit(`/product/${id}`);
  await emmaCall(page, 'consent.grant', 'insights', INSIGHTS_TEXT);
  await emmaCall(page, 'consent.withdraw', 'insights', { source: 'api' });
  await sleep(2000);
  assert.deepEqual(posts, []);
});
