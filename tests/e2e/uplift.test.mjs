// An A/B experiment through the embed script (data-experiment), in Chromium, Firefox and
// WebKit (docs/insights.md "Experiments"): a shopper drawn into `control` sees slots filled
// with the non-personalised answers (the same items and reasons as a shopper without
// consent), the arm survives a reload, without `insights` no request leaves the page, with it
// exactly the scheduled report (with the arm and the outcome bits), the privacy centre names
// the arm, and withdrawing
// `personalization` ends the experiment for the shopper and erases its counts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { ENGINES, serverAndEngine } from './drivers/index.mjs';
import { emmaCall, emmaSettled } from './embed-kit.mjs';

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const GRANT = { version: 'e2e', text: 'Personalise my shop', source: 'api', lang: 'en' };
// Everyone (but one in ten million) in control: the test knows the arm the engine draws.
const EXPERIMENT = { id: 'e2e-recs', control: 0.9999999, ends: '2099-12-31' };

function page({ experiment = true, insights = true } = {}) {
  const x = experiment ? ` data-experiment='${JSON.stringify(EXPERIMENT)}'` : '';
  const i = insights ? ' data-insights-endpoint="/insights/reports" data-insights-jitter-ms="200"' : '';
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Experiment shop</title>
<script src="/emma/emma.js" data-bundle="/emma/shop.bundle" data-shop="uplift-e2e"${x}${i} async></script>
</head>
<body data-emma-page="product" data-emma-item="85099B">
<a href="#privacy" data-emma-privacy id="privacy">Privacy</a>
<div id="similar" data-emma-slot="similar" data-emma-item="85099B" data-emma-limit="4"><p>fallback</p></div>
<div id="foryou" data-emma-slot="for_you" data-emma-limit="4"><p>fallback</p></div>
</body></html>`;
}

async function siteIn(t, engine, files) {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'emma-uplift-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  for (const [name, text] of Object.entries(files)) await writeFile(path.join(dir, name), text);
  const insightsDir = await mkdtemp(path.join(os.tmpdir(), 'emma-uplift-collector-'));
  t.after(() => rm(insightsDir, { recursive: true, force: true }));
  const { server, browser } = await serverAndEngine(t, engine, { mounts: [['/t/', dir]], insights: { file: path.join(insightsDir, 'i.sqlite') } });
  return { server, browser, origin: server.origin, page: await browser.newPage() };
}

const posts = (server) => server.requests.filter((r) => r.method !== 'GET' && r.method !== 'HEAD');
const slotAnswer = (pg, scenario) => emmaCall(pg, 'recommend', { scenario, item: '85099B', limit: 4 });
const shown = (pg, sel) => pg.$$eval(`${sel} [data-emma-item]`, (els) => els.map((e) => e.dataset.emmaItem));

for (const engine of ENGINES) test(`${engine}: a control shopper gets non-personalised slots, keeps the arm, reports only with insights, and withdrawal ends it`, async (t) => {
  const { server, page: pg, origin } = await siteIn(t, engine, { 'x.html': page(), 'plain.html': page({ experiment: false, insights: false }) });

  // The reference: a shopper without consent on the same page (non-personalised by definition).
  await pg.goto(`${origin}/t/plain.html`);
  assert.equal(await emmaSettled(pg), 'ready');
  const reference = { similar: await slotAnswer(pg, 'similar'), for_you: await slotAnswer(pg, 'for_you') };

  await pg.goto(`${origin}/t/x.html`);
  assert.equal(await emmaSettled(pg), 'ready');
  assert.equal((await emmaCall(pg, 'profile.export')).experiment, null, 'without personalization: outside the experiment');
  await emmaCall(pg, 'consent.grant', 'personalization', GRANT);
  for (const item of ['85099B', '20725', '85099B']) await emmaCall(pg, 'track', { type: 'view', item });
  const drawn = (await emmaCall(pg, 'profile.export')).experiment;
  assert.equal(drawn.id, 'e2e-recs');
  assert.equal(drawn.arm, 'control');

  // After a reload: the same arm (not drawn again), and the slots hold the answers of the
  // shopper without a profile: same items, same reasons, personalized: false.
  await pg.reload();
  assert.equal(await emmaSettled(pg), 'ready');
  const again = (await emmaCall(pg, 'profile.export')).experiment;
  assert.equal(again.arm, 'control');
  assert.equal(again.drawn_at, drawn.drawn_at, 'the arm survives a reload');
  for (const scenario of ['similar', 'for_you']) {
    const a = await slotAnswer(pg, scenario);
    assert.equal(a.personalized, false, scenario);
    assert.deepEqual(a.items.map((i) => [i.id, i.reasons]), reference[scenario].items.map((i) => [i.id, i.reasons]), `${scenario}: as without a profile`);
  }
  await pg.waitFor(() => document.querySelector('#similar').dataset.emmaState === 'filled', null, { what: 'the similar slot filled' });
  assert.deepEqual(await shown(pg, '#similar'), reference.similar.items.map((i) => i.id));
  assert.ok((await emmaCall(pg, 'profile.export')).experiment.recommended.length >= 8, 'the slots\' items are kept for attribution');

  // The privacy centre says which arm this browser was drawn into.
  await pg.click('#privacy');
  await pg.waitForSelector('[data-emma-arm="control"]');
  // ... and what was counted for it (slots shown, clicks, carts, purchases, revenue): the export's counts.
  const { counts } = (await emmaCall(pg, 'profile.export')).experiment;
  assert.ok(counts.impressions >= 2, `slots answered while in the experiment: ${JSON.stringify(counts)}`);
  const [tally] = await pg.$$eval('[data-emma-counts]', (els) => els.map((e) => e.textContent));
  assert.match(tally, new RegExp(`: ${counts.impressions}, .*: ${counts.clicks}, .*: ${counts.carts}, .*: ${counts.purchases}, .*: ${counts.revenue}$`));

  // Without insights nothing is sent.
  await sleep(600);
  assert.deepEqual(posts(server), [], 'personalization alone: no request');

  // With insights: exactly the scheduled report, with the arm and the noised outcome bits.
  await emmaCall(pg, 'consent.grant', 'insights', GRANT);
  for (let waited = 0; posts(server).length === 0 && waited < 5000; waited += 50) await sleep(50);
  await sleep(500);
  assert.deepEqual(posts(server).map((r) => `${r.method} ${r.url}`), ['POST /insights/reports']);
  const audience = await (await fetch(`${origin}/audience.json`)).json();
  assert.equal(audience.reports, 1);
  assert.equal(audience.experiments.length, 1);
  assert.equal(audience.experiments[0].id, 'e2e-recs');
  assert.deepEqual(audience.experiments[0].arms, [{ arm: 'control', shown: false, reports: null }], 'one report: withheld under k');
  await pg.reload();
  assert.equal(await emmaSettled(pg), 'ready');
  await sleep(600);
  assert.equal(posts(server).length, 1, 'the day\'s budget is spent: no second report');

  // Withdrawal of personalization: out of the experiment, its counts erased, also after a reload.
  await emmaCall(pg, 'consent.withdraw', 'personalization', { source: 'api' });
  assert.equal((await emmaCall(pg, 'profile.export')).experiment, null);
  await pg.reload();
  assert.equal(await emmaSettled(pg), 'ready');
  assert.equal((await emmaCall(pg, 'profile.export')).experiment, null, 'nothing of the experiment was kept');
  await sleep(600);
  assert.equal(posts(server).length, 1, 'nothing more was sent');
});
