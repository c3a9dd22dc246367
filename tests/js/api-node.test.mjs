// The npm package from plain Node: createEmma, consent gating, persistence in fs storage
// across instances, and clear errors for bad options.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createEmma, EmmaError } from 'tante-emma';
import { FsStorage } from '../../js-bindings/src/storage/fs.js';
import { smallCatalog } from './engine-node.mjs';

const GRANT = { version: '2026-11', text: 'Personalize my shop with what I view here.', source: 'banner' };

async function tempDir() {
  return mkdtemp(path.join(os.tmpdir(), 'emma-test-'));
}

async function allFileBytes(dir) {
  let text = '';
  for (const entry of await readdir(dir, { recursive: true, withFileTypes: true })) {
    if (entry.isFile()) text += (await readFile(path.join(entry.parentPath ?? entry.path, entry.name))).toString('latin1');
  }
  return text;
}

test('nothing is written before consent; after it the profile persists and restores', async (t) => {
  const dir = await tempDir();
  t.after(() => rm(dir, { recursive: true, force: true }));
  const storage = `fs:${dir}`;
  const emma = await createEmma({ bundle: smallCatalog(), storage, shop: 'demo-shop' });
  await emma.track({ type: 'view', item: '22720' });
  assert.deepEqual(await readdir(dir), [], 'nothing may be written before consent');
  const before = await emma.recommend({ limit: 3 });
  assert.equal(before.personalized, false);

  await emma.consent.grant('personalization', GRANT);
  for (const item of ['22720', '37370']) assert.deepEqual(await emma.track({ type: 'view', item }), { recorded: true, stored: true });
  const recs = await emma.recommend({ limit: 3 });
  assert.equal(recs.personalized, true);
  assert.ok(recs.items.every((i) => i.category[0] === 'Kitchen'), JSON.stringify(recs.items.map((i) => i.category)));
  await emma.close();

  const stored = await allFileBytes(dir);
  for (const secret of ['22720', '37370', 'Kitchen', 'CAKE TINS', 'personalization']) {
    assert.ok(!stored.includes(secret), `"${secret}" appears in plaintext in storage`);
  }

  const again = await createEmma({ bundle: smallCatalog(), storage, shop: 'demo-shop' });
  assert.equal((await again.consent.state()).personalization.granted, true);
  assert.deepEqual((await again.recommend({ limit: 3 })).items.map((i) => i.id), recs.items.map((i) => i.id));
  await again.consent.withdraw('personalization');
  assert.deepEqual(await readdir(dir), [], 'withdrawal leaves nothing behind');
  await again.close();
});

test('a tampered profile is reported as TAMPERED and set aside, not overwritten', async (t) => {
  const dir = await tempDir();
  t.after(() => rm(dir, { recursive: true, force: true }));
  const storage = `fs:${dir}`;
  const emma = await createEmma({ bundle: smallCatalog(), storage, shop: 's' });
  await emma.consent.grant('personalization', GRANT);
  await emma.track({ type: 'view', item: '85099B' });
  await emma.close();
  // Flip one byte inside the sealed profile, where it sits in the shop's store file.
  const file = path.join(dir, 's', 'store.emma');
  const bytes = await readFile(file);
  const at = bytes.indexOf('EMPF') + 40;
  assert.ok(at > 40, 'the sealed profile is in the store file');
  bytes[at] ^= 1;
  await (await import('node:fs/promises')).writeFile(file, bytes);
  const damaged = (await FsStorage.create(dir, 's').then((s) => s.get('profile'))).slice();

  const errors = [];
  const again = await createEmma({ bundle: smallCatalog(), storage, shop: 's', on: { error: (e) => errors.push(e.code) } });
  assert.deepEqual(errors, ['TAMPERED']);
  // The instance keeps answering, from a fresh profile.
  const recs = await again.recommend({ limit: 2 });
  assert.equal(recs.items.length, 2);
  const records = await (await FsStorage.create(dir, 's')).keys();
  const aside = records.find((r) => r.startsWith('quarantine') && r.endsWith('.profile'));
  assert.ok(aside, records.join(','));
  const kept = await (await FsStorage.create(dir, 's')).get(aside);
  assert.deepEqual(kept, damaged, 'the damaged record is kept byte for byte');
  await again.close();
});

test('bad options and a missing engine file give clear errors', async () => {
  await assert.rejects(createEmma({ bundle: smallCatalog() }), (e) => e instanceof EmmaError && e.code === 'BAD_REQUEST' && /shop/.test(e.message));
  await assert.rejects(createEmma({ shop: 's' }), (e) => e.code === 'BAD_BUNDLE');
  await assert.rejects(createEmma({ shop: 's', bundle: '/no/such/file.bundle' }), (e) => e.code === 'BAD_BUNDLE' && /no\/such\/file/.test(e.message));
  await assert.rejects(createEmma({ shop: 's', bundle: new Uint8Array([1, 2, 3]) }), (e) => e.code === 'BAD_BUNDLE');
  await assert.rejects(
    createEmma({ shop: 's', bundle: smallCatalog(), wasmUrl: new URL('file:///no/such/emma.wasm') }),
    (e) => e.code === 'WASM_LOAD' && /no\/such\/emma\.wasm/.test(e.message),
  );
  await assert.rejects(createEmma({ shop: 's', bundle: smallCatalog(), storage: 'cloud' }), (e) => e.code === 'BAD_REQUEST' && /cloud/.test(e.message));
});

test('consent signals are relayed to the engine, which decides', async () => {
  const emma = await createEmma({ bundle: smallCatalog(), shop: 's' });
  const seen = [];
  emma.on('consent', (state) => seen.push(state.personalization.granted));
  let state = await emma.consent.signal('tcf', { gdprApplies: true, eventStatus: 'useractioncomplete', purpose: { consents: { 1: true, 5: true, 6: true } } });
  assert.equal(state.personalization.granted, true);
  assert.equal(state.personalization.source, 'tcf');
  await emma.consent.signal('gpc', { enabled: true });
  await assert.rejects(emma.consent.grant('insights', { version: '1' }), (e) => e.code === 'NO_CONSENT' && /Global Privacy Control/.test(e.message));
  state = await emma.consent.signal('consent-mode', { personalization_storage: 'denied' });
  assert.equal(state.personalization.granted, false);
  assert.deepEqual(seen, [true, false], 'one consent event per change, none for GPC with nothing to withdraw');
  await emma.close();
});

// consent.texts (API.md): what the shop's consent tool shows per purpose, so that a decision
// relayed from it is recorded with that version and text, as a banner's grant is. The option
// is checked in Node as in browsers.
test('consent.texts: a consent tool\'s decision is recorded with the shop\'s text; bad options are refused', async () => {
  const text = 'We personalise this shop with what you look at here.';
  const emma = await createEmma({ bundle: smallCatalog(), shop: 's', consent: { texts: { personalization: { version: 'v7', text } } } });
  const state = await emma.consent.signal('consent-mode', { personalization_storage: 'granted' });
  assert.equal(state.personalization.version, 'v7');
  const [record] = await emma.consent.records();
  assert.equal(record.source, 'consent-mode');
  assert.equal(record.version, 'v7');
  assert.match(record.text_hash, /^[0-9a-f]{64}$/);
  await emma.consent.grant('personalization', { version: 'v7', text, source: 'banner' });
  await emma.consent.withdraw('personalization', { source: 'banner' });
  await emma.consent.grant('personalization', { version: 'v7', text, source: 'banner' });
  const records = await emma.consent.records();
  assert.equal(records.at(-1).text_hash, record.text_hash, 'the same text, the same hash as a banner grant of it');
  await emma.close();
  for (const [consent, pattern] of [
    [{ texts: { marketing: { version: '1' } } }, /consent\.texts\.marketing: is not a purpose/],
    [{ texts: { personalization: { text: 'no version' } } }, /consent\.texts\.personalization\.version/],
    [{ sources: ['bogus'] }, /consent\.sources\[0\] is "bogus"/],
    ['yes', /options\.consent must be an object/],
  ]) {
    await assert.rejects(createEmma({ bundle: smallCatalog(), shop: 's', consent }), (e) => e instanceof EmmaError && e.code === 'BAD_REQUEST' && pattern.test(e.message), JSON.stringify(consent));
  }
});

// The record states how this storage keeps the data key: Node's files keep it raw beside the
// profile (storage.info().keyProtection), so the record must not claim IndexedDB's wrapping.
test('the record of processing states the key protection of the storage in use', async () => {
  const dir = await tempDir();
  try {
    const emma = await createEmma({ bundle: smallCatalog(), shop: 's', storage: `fs:${dir}` });
    await emma.consent.grant('personalization', GRANT);
    assert.equal((await emma.storage.info()).keyProtection, 'raw');
    const { json, markdown } = await emma.processingRecord();
    assert.match(json.security_measures.join('\n'), /data key stored beside the encrypted profile/);
    assert.doesNotMatch(markdown, /non-extractable/);
    await emma.close();
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('forget, explain and the record of processing through the package', async () => {
  const emma = await createEmma({ bundle: smallCatalog(), shop: 's', controller: { name: 'Demo GmbH' }, retention: { raw_event_days: 90 } });
  await emma.consent.grant('personalization', GRANT);
  await emma.track({ type: 'view', item: '22720' });
  await emma.track({ type: 'search', query: 'cake tins' });
  const why = await emma.explain('22423');
  assert.ok(why.reasons.some((r) => r.kind === 'category'), JSON.stringify(why.reasons));
  assert.equal((await emma.profile.forget({ item: '22720' })).forgotten >= 1, true);
  assert.equal((await emma.profile.forget({ search: 'cake tins' })).forgotten, 1);
  const exported = await emma.profile.export();
  assert.equal(exported.recently_viewed.length, 0);
  assert.equal(exported.searches.length, 0);
  const record = await emma.processingRecord();
  assert.equal(record.json.controller.name, 'Demo GmbH');
  assert.match(record.markdown, /90 days/);
  await assert.rejects(emma.profile.forget({}), (e) => e.code === 'BAD_REQUEST');
  await assert.rejects(createEmma({ bundle: smallCatalog(), shop: 's', retention: { raw_event_days: 0 } }), (e) => e.code === 'BAD_REQUEST' && /raw_event_days/.test(e.message));
  await emma.close();
});
