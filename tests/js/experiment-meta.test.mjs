// emma-model --experiment: the shop's A/B experiment written into the bundle's META, checked
// by the engine's rules when written, used by the engine (wasm, Node) when the page gives
// none, and overridden by createEmma's `experiment` option (docs/bundle-tool.md).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createEmma } from 'tante-emma';
import { smallCatalog } from './engine-node.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const emmaModel = path.join(root, 'build/native/emma-model');
const GRANT = { version: '1', text: 'x', source: 'api' };

function pack(t, experiment) {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'emma-experiment-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(path.join(dir, 'catalog.json'), JSON.stringify(smallCatalog()));
  writeFileSync(path.join(dir, 'experiment.json'), JSON.stringify(experiment));
  const out = path.join(dir, 'shop.bundle');
  const r = spawnSync(emmaModel, ['pack', '--catalog', path.join(dir, 'catalog.json'), '--experiment', path.join(dir, 'experiment.json'),
    '--similar', '0', '--out', out], { encoding: 'utf8' });
  return { code: r.status, stderr: r.stderr, bundle: r.status === 0 ? new Uint8Array(readFileSync(out)) : null };
}

async function drawn(t, bundle, options = {}) {
  const emma = await createEmma({ bundle, shop: 'experiment-meta', storage: 'memory', ...options });
  t.after(() => emma.close());
  await emma.consent.grant('personalization', GRANT);
  return (await emma.profile.export()).experiment;
}

test('the bundle\'s experiment is used when the page gives none; the page\'s option overrides it', async (t) => {
  const { code, stderr, bundle } = pack(t, { id: 'from-bundle', control: 0.5, ends: '2999-12-31', attribution_days: 3 });
  assert.equal(code, 0, stderr);
  const x = await drawn(t, bundle);
  assert.equal(x.id, 'from-bundle');
  assert.ok(['control', 'personalized'].includes(x.arm));
  assert.deepEqual(x.counts, { impressions: 0, clicks: 0, carts: 0, purchases: 0, revenue: 0 });
  assert.equal((await drawn(t, bundle, { experiment: { id: 'from-page', control: 0.5, ends: '2999-12-31' } })).id, 'from-page');
});

test('a bad experiment file fails the build, naming the file and field', (t) => {
  const { code, stderr } = pack(t, { id: 'x', control: 1.5, ends: '2999-12-31' });
  assert.equal(code, 1);
  assert.match(stderr, /experiment\.json\.control: must be the share of shoppers in control/);
});
