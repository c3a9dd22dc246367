// createEmma({ worker: true }) in Chromium: the whole instance in a Web Worker behind a
// proxy with the same API. The same answers as on the main thread, the profile stored and
// taken in again after a reload, errors with their codes, the page's main thread free while
// the engine works, the page's consent tools relayed from the page, the strict CSP of the
// demo, and a wasm (or worker script) that cannot load.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { DEMO_CSP } from '../../demo/server.mjs';
import { launch, startServer } from './harness.mjs';
import { GRANT } from './storage-helpers.mjs';

async function setup(t, serverOptions) {
  const server = await startServer(serverOptions);
  const browser = await launch();
  t.after(async () => {
    await browser.close();
    await server.close();
  });
  return { server, context: browser.context };
}

async function openPage(context, origin) {
  const page = await context.newPage();
  const problems = [];
  page.on('pageerror', (err) => problems.push(err.message));
  page.on('console', (m) => { if (m.type() === 'error') problems.push(m.text()); });
  await page.goto(`${origin}/test/worker.html`);
  await page.waitForFunction(() => window.pageReady === true);
  return { page, problems };
}

const VIEWS = ['85123A', '22423', '85099B', '47566', '21212'];

test('worker mode answers as the main thread does, emits the same events, and keeps the profile across a reload', async (t) => {
  const { server, context } = await setup(t);
  const { page } = await openPage(context, server.origin);
  const run = () => page.evaluate(async ({ views, grant }) => {
    // Both instances get the same calls at the same moments (each has its own shop, so its
    // own profile).
    const main = await window.start('main', { storage: 'indexeddb' });
    const worker = await window.start('worker', { storage: 'indexeddb' });
    const both = (f) => Promise.all([f(main), f(worker)]);
    const out = { before: await both((e) => e.recommend({ scenario: 'for_you', limit: 8 })) };
    out.granted = await both((e) => e.consent.grant('personalization', grant));
    out.tracked = [];
    for (const item of views) out.tracked.push(await both((e) => e.track({ type: 'view', item })));
    out.after = await both((e) => e.recommend({ scenario: 'for_you', limit: 8 }));
    out.similar = await both((e) => e.recommend({ scenario: 'similar', item: '85123A', limit: 4 }));
    out.explained = await both((e) => e.explain('22423'));
    out.info = await both((e) => e.storage.info());
    out.exported = await both(async (e) => { const x = await e.profile.export(); delete x.exported_at; delete x.shop; return x; });
    out.forgot = await both((e) => e.profile.forget({ item: '47566' }));
    out.afterForget = await both((e) => e.recommend({ scenario: 'recently_viewed', limit: 8 }));
    out.events = await both(async (e) => (await e.profile.export()).event_count);
    out.seen = window.seen;
    await both((e) => e.close());
    return out;
  }, { views: VIEWS, grant: GRANT });
  const r = await run();
  const ids = (answer) => answer.items.map((i) => i.id);
  assert.deepEqual(ids(r.before[1]), ids(r.before[0]), 'not personalized: the same items');
  assert.equal(r.after[0].personalized, true);
  assert.notDeepEqual(ids(r.after[0]), ids(r.before[0]), 'the views changed the main-thread answer');
  assert.deepEqual(ids(r.after[1]), ids(r.after[0]), 'personalized: the same items in the same order');
  assert.deepEqual(r.after[1].items.map((i) => i.reasons), r.after[0].items.map((i) => i.reasons), 'and the same reasons');
  assert.deepEqual(r.similar[1], r.similar[0]);
  assert.deepEqual(r.tracked[0][1], r.tracked[0][0]);
  assert.deepEqual(r.tracked[0][1], { recorded: true, stored: true });
  assert.deepEqual(r.granted[1].personalization.granted, true);
  assert.deepEqual(r.explained[1].reasons, r.explained[0].reasons);
  assert.deepEqual(r.info[1], r.info[0], 'IndexedDB with a wrapped key in the worker too');
  assert.equal(r.info[1].kind, 'indexeddb');
  assert.equal(r.exported[1].event_count, VIEWS.length);
  // Interests decay with time, and the two instances were asked a moment apart.
  const rounded = (m) => Object.fromEntries(Object.entries(m).map(([k, v]) => [k, Math.round(v * 1000) / 1000]));
  assert.deepEqual(rounded(r.exported[1].interests.categories), rounded(r.exported[0].interests.categories));
  assert.deepEqual(r.forgot[1], r.forgot[0]);
  assert.deepEqual(ids(r.afterForget[1]), ids(r.afterForget[0]));
  assert.ok(!ids(r.afterForget[1]).includes('47566'), 'the forgotten item is gone');
  // Events reach the page's handlers in worker mode as they do on the main thread.
  const sm = r.seen['worker-test-main'];
  const sw = r.seen['worker-test-worker'];
  assert.equal(sw.recommendations, sm.recommendations);
  assert.ok(sw.recommendations >= 4, `recommendations events: ${sw.recommendations}`);
  assert.deepEqual(sw.consent, sm.consent);
  assert.deepEqual(sw.consent, [true]);
  assert.deepEqual(sw.error, []);

  // A reload: the worker opens what it stored.
  await page.reload();
  await page.waitForFunction(() => window.pageReady === true);
  const again = await page.evaluate(async () => {
    const worker = await window.start('worker', { storage: 'indexeddb' });
    const out = {
      state: (await worker.consent.state()).personalization.granted,
      events: (await worker.profile.export()).event_count,
      recs: await worker.recommend({ scenario: 'for_you', limit: 8 }),
      recent: (await worker.recommend({ scenario: 'recently_viewed', limit: 8 })).items.map((i) => i.id),
    };
    await worker.close();
    return out;
  });
  assert.equal(again.state, true, 'consent kept');
  assert.equal(again.events, r.events[1], 'the profile came back');
  assert.deepEqual(again.recent, ids(r.afterForget[1]), 'as it was, the forgotten item still forgotten');
  assert.equal(again.recs.personalized, true);
});

test('worker mode: errors keep their codes and messages, and a closed instance says CLOSED', async (t) => {
  const { server, context } = await setup(t);
  const { page } = await openPage(context, server.origin);
  const r = await page.evaluate(async () => {
    const cases = async (mode) => {
      const e = await window.start(mode, { storage: 'memory' });
      const out = {
        badEvent: await window.failure(e.track({ type: 'teleport', item: '85123A' })),
        badScenario: await window.failure(e.recommend({ scenario: 'mind_reading' })),
        unknownItem: await window.failure(e.explain('no-such-item')),
        badConsent: await window.failure(e.consent.grant('everything', { version: '1' })),
        badForget: await window.failure(e.profile.forget(null)),
        badBundle: await window.failure(window.start(mode, { shop: `bad-${mode}`, bundle: '/test/worker.html', storage: 'memory' })),
        badShop: await window.failure(window.start(mode, { shop: '', storage: 'memory' })),
      };
      let syncThrow = null;
      try {
        e.on('nonsense', () => {});
      } catch (err) {
        syncThrow = { code: err.code, message: err.message };
      }
      out.badOn = syncThrow;
      await e.close();
      out.closed = await window.failure(e.recommend({}));
      return out;
    };
    return { main: await cases('main'), worker: await cases('worker') };
  });
  // The worker is given absolute URLs (a relative one would mean the worker script's), so
  // its messages name them in full.
  const local = (e) => e && { ...e, message: e.message.replaceAll(server.origin, '') };
  for (const key of Object.keys(r.main)) {
    assert.ok(r.main[key], `${key}: the main thread fails`);
    assert.deepEqual(local(r.worker[key]), r.main[key], `${key}: the same error in worker mode`);
  }
  assert.equal(r.worker.badEvent.code, 'BAD_EVENT');
  assert.equal(r.worker.badEvent.emma, true, 'an EmmaError instance on the page');
  assert.equal(r.worker.badScenario.code, 'BAD_REQUEST');
  assert.equal(r.worker.badBundle.code, 'BAD_BUNDLE');
  assert.equal(r.worker.closed.code, 'CLOSED');
});

// A shop of 30,000 items, packed by emma-model (the real bundle tool), served as /big/.
async function bigShop(t) {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'emma-big-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const items = [];
  for (let k = 0; k < 30000; k++) {
    items.push({ id: `i${k}`, title: `Item ${k}`, category: `Dept ${k % 7} > Shelf ${k % 61}`, brand: `B${k % 113}`, popularity: (k * 7919) % 1000 });
  }
  await writeFile(path.join(dir, 'catalog.json'), JSON.stringify({ items }));
  const tool = fileURLToPath(new URL('../../build/native/emma-model', import.meta.url));
  await promisify(execFile)(tool, ['pack', '--catalog', path.join(dir, 'catalog.json'), '--out', path.join(dir, 'shop.bundle')]);
  return dir;
}

test("worker mode keeps the page's main thread free during a long recommend", async (t) => {
  const pages = fileURLToPath(new URL('./pages', import.meta.url));
  const { server, context } = await setup(t, { mounts: [['/test/', pages], ['/big/', await bigShop(t)]] });
  const { page } = await openPage(context, server.origin);
  // for_you over 30,000 items, called back to back for 300 ms; a timer on the page ticks
  // every 5 ms. On the main thread the page's timer cannot run while the engine computes; in
  // a worker it keeps running. Compared as relations within one run, not against a fixed time.
  const r = await page.evaluate(async (grant) => {
    const measure = async (mode) => {
      const emma = await window.start(mode, { storage: 'memory', bundle: '/big/shop.bundle', shop: `long-${mode}` });
      await emma.consent.grant('personalization', grant);
      for (let k = 0; k < 40; k++) await emma.track({ type: 'view', item: `i${k * 691}` });
      await emma.recommend({ limit: 20 });  // warm
      const ticks = [];
      const timer = setInterval(() => ticks.push(performance.now()), 5);
      await new Promise((res) => setTimeout(res, 30));
      const t0 = performance.now();
      let calls = 0;
      while (performance.now() - t0 < 300) {
        await emma.recommend({ scenario: 'for_you', limit: 20, rules: { diversity: { maxPerCategory: 2 } } });
        calls++;
      }
      const t1 = performance.now();
      await new Promise((res) => setTimeout(res, 30));
      clearInterval(timer);
      // The longest time the page's timer could not run while the engine was busy.
      const marks = [t0, ...ticks.filter((x) => x > t0 && x < t1), t1];
      let longest = 0;
      for (let k = 1; k < marks.length; k++) longest = Math.max(longest, marks[k] - marks[k - 1]);
      await emma.close();
      return { busy: t1 - t0, calls, ticks: marks.length - 2, longest, perCall: (t1 - t0) / calls };
    };
    return { main: await measure('main'), worker: await measure('worker') };
  }, GRANT);
  t.diagnostic(JSON.stringify(r));
  // On the main thread the calls run back to back: the timer does not fire at all until the
  // engine is done, and the longest stall is the whole busy time.
  assert.ok(r.main.longest >= r.main.busy * 0.9, `main thread: longest stall ${r.main.longest} ms of ${r.main.busy} ms`);
  // In a worker the page's timer keeps ticking through the same work: its longest stall is a
  // small part of the busy time and it ticked many times.
  assert.ok(r.worker.ticks >= 10, `worker: the page timer ticked ${r.worker.ticks} times in ${r.worker.busy} ms`);
  assert.ok(r.worker.longest < r.worker.busy / 4, `worker: longest stall ${r.worker.longest} ms of ${r.worker.busy} ms`);
});

test('worker mode relays the page\'s own consent tools (Consent Mode, GPC) from the page', async (t) => {
  const { server, context } = await setup(t);
  await context.addInitScript(() => {
    Object.defineProperty(Navigator.prototype, 'globalPrivacyControl', { get: () => true, configurable: true });
  });
  const { page } = await openPage(context, server.origin);
  const r = await page.evaluate(async () => {
    // gtag() pushes its `arguments` object.
    window.dataLayer = [];
    const gtag = function () { window.dataLayer.push(arguments); };
    gtag('consent', 'update', { personalization_storage: 'granted' });
    const emma = await window.start('worker', { storage: 'memory', consent: { sources: ['consent-mode', 'gpc'] } });
    // The relays run one after another; a read queued after them sees their effect.
    await new Promise((res) => setTimeout(res, 50));
    const first = await emma.consent.state();
    gtag('consent', 'update', { personalization_storage: 'denied' });
    await new Promise((res) => setTimeout(res, 50));
    const second = await emma.consent.state();
    const records = await emma.consent.records();
    await emma.close();
    return { first, second, sources: records.map((x) => x.source) };
  });
  assert.equal(r.first.personalization.granted, true, 'Consent Mode "granted" read on the page reached the worker');
  assert.equal(r.second.personalization.granted, false, 'and the later "denied"');
  assert.ok(r.sources.includes('consent-mode'), JSON.stringify(r.sources));
  assert.equal(r.first.insights.granted, false);
});

test('worker mode under the demo CSP (no inline script, wasm allowed by wasm-unsafe-eval only)', async (t) => {
  const { server, context } = await setup(t, { headers: { 'Content-Security-Policy': DEMO_CSP } });
  const { page, problems } = await openPage(context, server.origin);
  const r = await page.evaluate(async (grant) => {
    const emma = await window.start('worker', { storage: 'indexeddb', shop: 'csp-shop' });
    await emma.consent.grant('personalization', grant);
    await emma.track({ type: 'view', item: '85123A' });
    const recs = await emma.recommend({ scenario: 'similar', item: '85123A', limit: 4 });
    const info = await emma.storage.info();
    await emma.close();
    return { n: recs.items.length, info };
  }, GRANT);
  assert.equal(r.n, 4);
  assert.equal(r.info.kind, 'indexeddb');
  assert.deepEqual(problems.filter((p) => /Content Security Policy|Refused/i.test(p)), [], problems.join('\n'));
});

test('worker mode: a wasm that cannot load, a worker script that cannot load, and localStorage give clear errors', async (t) => {
  const { server, context } = await setup(t);
  const { page } = await openPage(context, server.origin);
  const r = await page.evaluate(async () => ({
    wasm404: await window.failure(window.start('worker', { storage: 'memory', wasmUrl: '/nowhere/emma.wasm' })),
    wasmHtml: await window.failure(window.start('worker', { storage: 'memory', wasmUrl: '/test/worker.html' })),
    mainWasm404: await window.failure(window.start('main', { storage: 'memory', wasmUrl: '/nowhere/emma.wasm' })),
    script404: await window.failure(window.start('worker', { storage: 'memory', worker: '/nowhere/worker.js' })),
    localStorage: await window.failure(window.start('worker', { storage: 'localstorage' })),
    adapter: await window.failure(window.start('worker', { storage: { get() {} } })),
  }));
  assert.equal(r.wasm404.code, 'WASM_LOAD');
  assert.equal(r.wasm404.emma, true);
  assert.match(r.wasm404.message, /\/nowhere\/emma\.wasm/, 'names the URL it tried');
  assert.match(r.wasm404.message, /404/);
  assert.equal(r.wasm404.message.replace(server.origin, ''), r.mainWasm404.message, 'the same message as on the main thread');
  assert.equal(r.wasmHtml.code, 'WASM_LOAD');
  assert.match(r.wasmHtml.message, /is not WebAssembly/);
  assert.equal(r.script404.code, 'WASM_LOAD');
  assert.match(r.script404.message, /\/nowhere\/worker\.js/);
  assert.equal(r.localStorage.code, 'STORAGE_UNAVAILABLE');
  assert.match(r.localStorage.message, /localStorage does not exist in Web Workers/);
  assert.equal(r.adapter.code, 'BAD_REQUEST');
});
