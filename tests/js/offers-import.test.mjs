// emma-model --offers: a shop's promotions from CSV and JSON into the bundle's OFFR section,
// answered by the engine (wasm, Node) as the offers scenario; a bad row fails the build
// naming file, row and field.
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

function pack(t, offersName, offersText) {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'emma-offers-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(path.join(dir, 'catalog.json'), JSON.stringify(smallCatalog()));
  writeFileSync(path.join(dir, offersName), offersText);
  const out = path.join(dir, 'shop.bundle');
  const r = spawnSync(emmaModel, ['pack', '--catalog', path.join(dir, 'catalog.json'), '--offers', path.join(dir, offersName), '--out', out], { encoding: 'utf8' });
  return { code: r.status, stderr: r.stderr, bundle: r.status === 0 ? new Uint8Array(readFileSync(out)) : null };
}

const CSV = `id,title,text,url,from,until,categories,min_basket,priority
baking,Baking week,Cake tins at 15% off,/baking,2026-01-01,2026-12-31,Kitchen > Baking|Bags,,2
old,Summer sale,Ended,/,,2026-08-31,,,9
all,Free delivery,Every order,/cart,,,,,1
big,Gift wrap,Over 10,/cart,,,,10,0
`;

test('offers from a CSV file: valid today only, general ones without consent, matched ones with reasons', async (t) => {
  const { code, stderr, bundle } = pack(t, 'offers.csv', CSV);
  assert.equal(code, 0, stderr);
  assert.match(stderr, /4 offers from .*offers\.csv/);
  const now = Date.parse('2026-11-30T12:00:00Z');
  const emma = await createEmma({ bundle, shop: 'offers', storage: 'memory', now: () => now });
  t.after(() => emma.close());
  let r = await emma.recommend({ scenario: 'offers' });
  assert.deepEqual(r.items.map((i) => i.id), ['all'], 'the expired one never, the targeted ones not without consent');
  assert.equal(r.items[0].text, 'Every order');
  await emma.consent.grant('personalization', { version: '1', text: 'x', source: 'api' });
  await emma.track({ type: 'view', item: '22720' });
  await emma.track({ type: 'add_to_cart', item: '22423' });
  await emma.track({ type: 'add_to_cart', item: '85099B' });
  await emma.track({ type: 'add_to_cart', item: '71053' });
  await emma.track({ type: 'add_to_cart', item: '37370' });
  r = await emma.recommend({ scenario: 'offers' });
  assert.deepEqual(r.items.map((i) => i.id), ['baking', 'all', 'big']);
  assert.deepEqual(r.items[0].reasons.map((x) => x.kind), ['cart', 'cart'], 'Baking and Bags are both in the cart');
  assert.equal(r.items[2].reasons[0].kind, 'basket');
});

test('a bad offer fails the build with the file, row and field', (t) => {
  let r = pack(t, 'offers.csv', 'id,title,until\na,Sale,31.12.2026\n');
  assert.equal(r.code, 1);
  assert.match(r.stderr, /offers\.csv\[0\]\.until: expected a date YYYY-MM-DD, got "31\.12\.2026"/);
  r = pack(t, 'offers.csv', 'id,title,priority\na,Sale,high\n');
  assert.match(r.stderr, /offers\.csv:2: priority "high" is not a number/);
  r = pack(t, 'offers.json', '[{"id": "a", "title": "x", "from": "2026-02-01", "until": "2026-01-01"}]');
  assert.match(r.stderr, /offers\.json\[0\]\.until: is before from/);
});
