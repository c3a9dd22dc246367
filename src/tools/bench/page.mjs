// npm run bench:page [-- --json] [-- --runs 5] [-- --engines chromium,firefox,webkit]
//
// The first personalised paint of the demo shop (issue 19), in Chromium, Firefox and WebKit
// through the browser tests' drivers (tests/e2e/drivers/), as a new visitor would have it:
// - cold: a fresh browser (empty cache, no storage) opens a product page;
// - warm: the same browser then opens another product page (a second page view), the home
//   page and a category page.
// Per load: the first slot filled minus DOMContentLoaded (the embed's `emma:first-slot`
// mark, data-timing, as demo/public/vitals.js reads it), the page's layout shift (vitals.js:
// the Layout Instability API in Chromium, computed from element positions elsewhere), and
// the bytes of Emma's files (/emma/: emma.js, .css, .wasm, the bundle) the server sent
// (bodies; a 304 sends none, and is counted as a request). Medians over the runs; CLS is the
// worst load. The last line is one JSON object:
//   {"engines":[…],"cold_ms_after_dcl":[…],"warm_ms_after_dcl":[…],"cls_max":[…],"warm_bytes":[…]}
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createDemoServer } from '../../../demo/server.mjs';
import { launchEngine } from '../../../tests/e2e/drivers/index.mjs';

const args = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : dflt;
};
const json = args.includes('--json');
const RUNS = Number(opt('runs', 5));
const ENGINES = opt('engines', 'chromium,firefox,webkit').split(',');
const VIEWPORT = [1280, 800];

const root = new URL('../../../', import.meta.url);
const catalog = JSON.parse(await readFile(new URL('demo/catalog.json', root), 'utf8'));
const slug = (c) => c.toLowerCase().replace(/&/g, 'and').replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '');
const bags = catalog.items.filter((i) => i.category === 'Bags');
const PAGES = { cold: `/product/${bags[0].id}`, warm: `/product/${bags[1].id}`, home: '/', category: `/category/${slug(bags[0].category)}` };

const median = (xs) => {
  const s = xs.filter((x) => typeof x === 'number').sort((a, b) => a - b);
  return s.length ? s[Math.floor((s.length - 1) / 2)] : null;
};
const log = (line) => { if (!json) console.log(line); else console.error(line); };

// The demo server, with what it sent for each request.
const dataDir = await mkdtemp(path.join(os.tmpdir(), 'emma-bench-page-'));
const server = createDemoServer({ dataDir });
const sent = [];
server.on('request', (req, res) => {
  // The server hands its headers to writeHead(), where getHeader() does not see them.
  let length = 0;
  const writeHead = res.writeHead;
  res.writeHead = function (status, ...rest) {
    const headers = rest.find((h) => h && typeof h === 'object') || {};
    length = Number(headers['Content-Length'] ?? res.getHeader('content-length') ?? 0);
    return writeHead.call(this, status, ...rest);
  };
  res.on('finish', () => sent.push({ url: req.url, status: res.statusCode, bytes: res.statusCode === 200 ? length : 0 }));
});
await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
const origin = `http://127.0.0.1:${server.address().port}`;

// The first shopper must not wait for brotli: every file of the page is asked for once, so
// its compressed copies exist before the first measured load.
const home = await (await fetch(`${origin}/`)).text();
for (const [, url] of home.matchAll(/(?:src|href)="(\/emma\/[^"]+)"/g)) await (await fetch(origin + url, { headers: { 'Accept-Encoding': 'br, gzip' } })).arrayBuffer();
const manifest = JSON.parse(await readFile(new URL('web/dist/manifest.json', root), 'utf8'));
for (const f of ['emma.wasm', 'emma.css']) await (await fetch(`${origin}/emma/${manifest.files[f].file}`, { headers: { 'Accept-Encoding': 'br, gzip' } })).arrayBuffer();

async function load(page, where) {
  const from = sent.length;
  await page.goto(origin + where);
  await page.waitFor(() => window.demoVitals && window.demoVitals.done, null, { timeout: 60000, what: `demoVitals.done on ${where}` });
  const v = await page.evaluate(() => {
    const dcl = performance.getEntriesByType('navigation')[0].domContentLoadedEventStart;
    const marks = Object.fromEntries(performance.getEntriesByType('mark').filter((m) => m.name.startsWith('emma:')).map((m) => [m.name.slice(5), Math.round(m.startTime - dcl)]));
    return { ...window.demoVitals, marks, emma: document.documentElement.dataset.emma };
  });
  // A load where Emma did not start is reported, not timed.
  if (v.emma !== 'ready') return { failed: `${where}: ${v.emma} ${JSON.stringify(v.unavailable)}` };
  const emmaFiles = sent.slice(from).filter((r) => r.url.startsWith('/emma/'));
  if (process.env.EMMA_BENCH_DEBUG) log(`  ${where}: ${emmaFiles.map((r) => `${r.url} ${r.status} ${r.bytes}`).join(', ')}`);
  return { ms: v.firstSlotMs, marks: v.marks, cls: v.cls, clsGeometry: v.clsGeometry, method: v.clsMethod, bytes: emmaFiles.reduce((s, r) => s + r.bytes, 0), requests: emmaFiles.length };
}

const out = { engines: [], cold_ms_after_dcl: [], warm_ms_after_dcl: [], cls_max: [], warm_bytes: [] };
try {
  for (const engine of ENGINES) {
    const runs = [];
    for (let k = 0; k < RUNS; k++) {
      const browser = await launchEngine(engine);
      try {
        const page = await browser.newPage();
        await page.setViewport(...VIEWPORT);
        const r = {};
        for (const [name, where] of Object.entries(PAGES)) r[name] = await load(page, where);
        runs.push(r);
      } finally {
        await browser.close();
      }
    }
    const failed = runs.flatMap((r) => Object.values(r)).filter((l) => l.failed);
    for (const r of runs) for (const [k, l] of Object.entries(r)) if (l.failed) delete r[k];
    const all = runs.flatMap((r) => Object.values(r));
    const result = {
      cold: median(runs.map((r) => r.cold?.ms)),
      warm: median(runs.map((r) => r.warm?.ms)),
      cls: Math.max(...all.map((l) => l.cls)),
      clsGeometry: Math.max(...all.map((l) => l.clsGeometry)),
      warmBytes: median(runs.map((r) => r.warm?.bytes)),
      warmRequests: Math.max(...runs.map((r) => r.warm?.requests ?? 0)),
      coldBytes: median(runs.map((r) => r.cold?.bytes)),
    };
    log(`${engine.padEnd(9)} first slot after DOMContentLoaded: cold ${result.cold} ms, warm ${result.warm} ms (medians of ${RUNS}; ` +
      `cold runs ${runs.map((r) => r.cold?.ms ?? '-').join(' ')}; warm ${runs.map((r) => r.warm?.ms ?? '-').join(' ')})`);
    if (failed.length) log(`${''.padEnd(9)} Emma did not start on ${failed.length} of ${RUNS * 4} loads: ${failed.map((l) => l.failed).join('; ')}`);
    // Where the time goes: each start-up mark's median, in ms after DOMContentLoaded.
    const timeline = (kind) => Object.keys(runs.find((r) => r[kind])?.[kind].marks || {}).map((m) => [m, median(runs.map((r) => r[kind]?.marks[m]))])
      .sort((a, b) => a[1] - b[1]).map(([m, ms]) => `${m} ${ms}`).join(', ');
    log(`${''.padEnd(9)} cold: ${timeline('cold')}`);
    log(`${''.padEnd(9)} warm: ${timeline('warm')}`);
    log(`${''.padEnd(9)} CLS worst of ${all.length} loads ${result.cls.toFixed(4)} (${all[0]?.method}; computed from positions ${result.clsGeometry.toFixed(4)}); ` +
      `Emma's files: cold ${result.coldBytes} bytes, warm ${result.warmBytes} bytes in ${result.warmRequests} requests`);
    out.engines.push(engine);
    out.cold_ms_after_dcl.push(result.cold);
    out.warm_ms_after_dcl.push(result.warm);
    out.cls_max.push(Math.round(result.cls * 10000) / 10000);
    out.warm_bytes.push(result.warmBytes);
  }
} finally {
  await new Promise((resolve) => server.close(resolve));
  await rm(dataDir, { recursive: true, force: true });
}
console.log(JSON.stringify(out));
