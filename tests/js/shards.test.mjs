// Catalogs of any size (issue 11) through the npm package in Node: a sharded demo catalog
// answers a product page as the whole bundle does, and a shard that cannot be loaded is
// reported by its URL while the page still gets an answer from the head.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, readdirSync, unlinkSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createEmma } from '../../js-bindings/src/node.js';
import { loadBoundary } from './engine-node.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const whole = path.join(root, 'build/demo/shop.bundle');
const ids = JSON.parse(readFileSync(path.join(root, 'demo/catalog.json'), 'utf8')).items.map((i) => i.id);

function shard(dir) {
  const out = execFileSync(path.join(root, 'build/native/emma-model'), ['shard', '--bundle', whole, '--out', path.join(dir, 'shop.bundle'),
    '--shard-items', '8', '--head-items', '24', '--head-per-category', '4', '--json'], { encoding: 'utf8' });
  return JSON.parse(out.trim().split('\n').pop());
}

test('a sharded catalog answers product pages as the whole bundle does', async (t) => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'emma-shards-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const summary = shard(dir);
  assert.equal(summary.items, 240);
  assert.ok(summary.head_items < 240 && summary.shards === 30, JSON.stringify(summary));
  const a = await createEmma({ shop: 's', bundle: whole });
  const b = await createEmma({ shop: 's', bundle: path.join(dir, 'shop.bundle') });
  const errors = [];
  b.on('error', (e) => errors.push(e));
  for (const id of [ids[0], ids[77], ids[150], ids[239]]) {
    for (const scenario of ['similar', 'bought_together']) {
      const x = await a.recommend({ scenario, item: id, limit: 6 });
      const y = await b.recommend({ scenario, item: id, limit: 6 });
      const listed = (r) => r.items.filter((i) => ['similar', 'bought_with'].includes(i.reasons[0]?.kind)).map((i) => i.id);
      assert.deepEqual(listed(y), listed(x), `${scenario} ${id}`);
      assert.equal(y.items.length, x.items.length);
      assert.equal(y.partial, false);
    }
  }
  assert.deepEqual(errors, []);
});

test('a missing shard is reported with its URL; the slot is filled from the head', async (t) => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'emma-shards-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  shard(dir);
  for (const f of readdirSync(dir)) if (f !== 'shop.bundle') unlinkSync(path.join(dir, f));
  const emma = await createEmma({ shop: 's', bundle: path.join(dir, 'shop.bundle') });
  const errors = [];
  emma.on('error', (e) => errors.push(e));
  const home = await emma.recommend({ scenario: 'bought_together', item: ids[5], limit: 4 }).catch((e) => e);
  assert.equal(errors.length, 1);
  assert.equal(errors[0].code, 'BAD_BUNDLE');
  assert.match(errors[0].message, /shop\.[0-9a-f]{16}\.\d+\.bundle/);
  // The head may not hold the page's item; the answer is then an error of its own (the item is
  // unknown), else items marked partial.
  if (home instanceof Error) assert.equal(home.code, 'BAD_REQUEST');
  else assert.equal(home.partial, true);
  const forYou = await emma.recommend({ scenario: 'for_you', limit: 4 });
  assert.equal(forYou.items.length, 4);
});

// The benchmark's smoke run (src/tools/bench/memo.mjs): product pages of new items append the
// remembered item to the sealed record instead of sealing a whole snapshot each time (every
// page did before), and the record opens on a new visit with every remembered item.
test('remembered items are appended to the sealed record; it opens with all of them (bench smoke)', () => {
  const out = execFileSync('node', [path.join(root, 'src/tools/bench/memo.mjs'), '--smoke', '--json'], { encoding: 'utf8' });
  const r = JSON.parse(out.trim().split('\n').pop());
  assert.equal(r.pages, 120);
  assert.ok(r.snapshots <= 12 && r.appended >= 108, JSON.stringify(r));
  assert.equal(r.reopened_partial, false);
});

// Memory stays bounded by the head, the shards in use and the remembered items: folding the
// remembered items again and again (each whole snapshot does, and any op that changes state
// makes the next seal one) must not keep every earlier fold. Measured in the real wasm heap.
test('folding remembered items again and again does not grow the engine\'s memory', async (t) => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'emma-shards-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  shard(dir);
  const b = await loadBoundary();
  const now = Date.UTC(2026, 10, 30);
  const call = (m, bytes) => b.call({ now, ...m }, bytes);
  call({ op: 'configure', shop: 's' });
  call({ op: 'bundle.load' }, new Uint8Array(readFileSync(path.join(dir, 'shop.bundle'))));
  call({ op: 'vault.set_key', key_id: 'k', created_at: now }, new Uint8Array(32).fill(7));
  call({ op: 'consent.grant', purpose: 'personalization', version: 'v1', text: 't', source: 'banner' });
  const page = (item) => {
    for (const name of call({ op: 'shards.needed', request: { item } }).result.fetch) call({ op: 'shard.load', name }, new Uint8Array(readFileSync(path.join(dir, name))));
  };
  for (let k = 0; k < 40; k++) {
    page(ids[k * 5]);
    call({ op: 'track', event: { type: 'view', item: ids[k * 5], at: now - 1000 + k } });
  }
  page(ids[0]);
  const cycle = (round) => {
    call({ op: 'insights.domain' });  // not a read-only op for the record: the next seal is a whole snapshot
    call({ op: 'track', event: { type: 'view', item: ids[0], at: now + round } });  // remembered already: no shard, no rebuild
    call({ op: 'profile.seal' });
  };
  for (let round = 0; round < 20; round++) cycle(round);
  const before = b.heapInUse();
  for (let round = 20; round < 220; round++) cycle(round);
  const after = b.heapInUse();
  assert.ok(after - before < 1_000_000, `heap in use ${before} -> ${after} bytes over 200 snapshots`);
});
