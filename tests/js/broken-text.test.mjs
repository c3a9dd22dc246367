// Strings cut in the middle of an emoji (a lone UTF-16 surrogate, as shop feeds and pages send
// them) through the real wasm engine: text keeps a visible U+FFFD, ids are refused naming the
// field, and too deep nesting names the field path.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createEmma, EmmaError } from 'tante-emma';
import { smallCatalog } from './engine-node.mjs';

const GRANT = { version: '2026-11', text: 'Personalize my shop with what I view here.', source: 'banner' };
const cutEmoji = '🛒'.slice(0, 1); // the high half of a pair, alone

function catalogWith(change) {
  const catalog = smallCatalog();
  change(catalog.items);
  return catalog;
}

async function refused(promise, code, words) {
  await assert.rejects(promise, (err) => {
    assert.ok(err instanceof EmmaError, `expected EmmaError, got ${err}`);
    assert.equal(err.code, code, err.message);
    assert.match(err.message, words);
    return true;
  });
}

test('a catalog whose title holds a lone surrogate loads; the title shows U+FFFD', async (t) => {
  const bundle = catalogWith((items) => { items[3].title = `CAKE TINS ${cutEmoji}`; });
  const emma = await createEmma({ bundle, storage: 'memory', shop: 's' });
  t.after(() => emma.close());
  const { items } = await emma.recommend({ scenario: 'rerank', items: ['22720'] });
  assert.equal(items[0].title, 'CAKE TINS \uFFFD');
});

test('a catalog whose id holds a lone surrogate is refused naming items[N].id', async () => {
  const bundle = catalogWith((items) => { items[5].id = `37370${cutEmoji}`; });
  await refused(createEmma({ bundle, storage: 'memory', shop: 's' }), 'BAD_BUNDLE',
    /catalog\.items\[5\]\.id: contains a broken character/);
});

test('events: a search with a lone surrogate is recorded, a view of such an item is BAD_EVENT', async (t) => {
  const emma = await createEmma({ bundle: smallCatalog(), storage: 'memory', shop: 's' });
  t.after(() => emma.close());
  await emma.consent.grant('personalization', GRANT);
  assert.equal((await emma.track({ type: 'search', query: '\ud800abc' })).recorded, true);
  const exported = await emma.profile.export();
  assert.deepEqual(exported.searches.map((s) => s.query), ['\uFFFDabc']);
  await refused(emma.track({ type: 'view', item: '\ud800' }), 'BAD_EVENT', /event\.item: contains a broken character/);
  assert.equal((await emma.track({ type: 'view', item: '22720' })).recorded, true, 'the instance keeps working');
});

test('nesting deeper than the limit names the field path', async (t) => {
  const emma = await createEmma({ bundle: smallCatalog(), storage: 'memory', shop: 's' });
  t.after(() => emma.close());
  let value = 'x';
  for (let k = 0; k < 40; k++) value = [value];
  await refused(emma.recommend({ rules: { boost: [{ field: 'brand', value, factor: 2 }] } }), 'BAD_REQUEST',
    /nests deeper than 32 levels at byte \d+ \(in request\.rules\.boost\[0\]\.value(\[0\])+\)/);
  assert.equal((await emma.recommend({ limit: 2 })).items.length, 2);
});
