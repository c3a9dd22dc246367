// The npm API as a careless or hostile integrator uses it (issue #14): input JSON cannot
// carry, calls after close(), two writers on one fs: folder, and the code of a non-object
// event. Each case failed before its fix.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createEmma, EmmaError } from 'tante-emma';
import { FsStorage, LOCK_FILE, STORE_FILE } from '../../js-bindings/src/storage/fs.js';
import { smallCatalog } from './engine-node.mjs';

const GRANT = { version: '2026-11', text: 'Personalize my shop with what I view here.', source: 'banner' };

async function tempDir(t) {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'emma-hardening-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

const isEmmaError = (code, pattern) => (err) => {
  assert.ok(err instanceof EmmaError, `expected an EmmaError, got ${err && err.constructor && err.constructor.name}: ${err && err.message}`);
  assert.equal(err.code, code, err.message);
  if (pattern) assert.match(err.message, pattern);
  return true;
};

function selfReferring() {
  const o = { id: 'loop', title: 'Loop' };
  o.self = o;
  return o;
}

function nested(depth) {
  let v = [];
  for (let i = 0; i < depth; i++) v = [v];
  return v;
}

test('input JSON cannot carry is refused with an EmmaError naming the field, and the instance goes on', async () => {
  const catalog = smallCatalog();
  await assert.rejects(createEmma({ bundle: { items: [...catalog.items, { id: 'x', title: 'X', price: 10n }] }, shop: 's', storage: 'memory' }),
    isEmmaError('BAD_BUNDLE', /^catalog\.items\[8\]\.price: is a BigInt/));
  await assert.rejects(createEmma({ bundle: { items: [selfReferring()] }, shop: 's', storage: 'memory' }),
    isEmmaError('BAD_BUNDLE', /catalog\.items\[0\]\.self: .*cycle/));
  await assert.rejects(createEmma({ bundle: catalog, shop: 's', storage: 'memory', retention: { raw_event_days: 3n } }),
    isEmmaError('BAD_REQUEST', /retention\.raw_event_days: is a BigInt/));

  const emma = await createEmma({ bundle: catalog, shop: 's', storage: 'memory' });
  await emma.consent.grant('personalization', GRANT);
  await assert.rejects(emma.track({ type: 'view', item: '22720', at: 1n }), isEmmaError('BAD_EVENT', /^event\.at: is a BigInt/));
  await assert.rejects(emma.track({ type: 'view', item: selfReferring() }), isEmmaError('BAD_EVENT', /event\.item\.self/));
  await assert.rejects(emma.recommend({ scenario: 'for_you', seed: 1n }), isEmmaError('BAD_REQUEST', /^request\.seed: is a BigInt/));
  await assert.rejects(emma.recommend({ scenario: 'rerank', items: nested(5000) }), isEmmaError('BAD_REQUEST', /request\.items/));
  await assert.rejects(emma.explain(2n ** 70n), isEmmaError('BAD_REQUEST', /^item: is a BigInt/));
  const throwing = { get version() { throw new Error('getter exploded'); } };
  await assert.rejects(emma.consent.grant('insights', throwing), isEmmaError('BAD_CONSENT', /getter exploded/));
  // Nothing of that broke the instance.
  assert.deepEqual(await emma.track({ type: 'view', item: '22720' }), { recorded: true, stored: false });
  assert.ok((await emma.recommend({ scenario: 'for_you' })).items.length > 0);
  await emma.close();
});

// JSON writes NaN and ±Infinity as null, which the engine would read as "not given": a
// purchase of NaN pieces recorded as one, a limit of Infinity as the default, an event dated
// NaN as now. Refused by name instead; a null the caller wrote is still "not given".
test('NaN and Infinity are refused with an EmmaError naming the field, not read as "not given"', async () => {
  const emma = await createEmma({ bundle: smallCatalog(), shop: 's', storage: 'memory' });
  await emma.consent.grant('personalization', GRANT);
  await assert.rejects(emma.track({ type: 'view', item: '22720', at: NaN }), isEmmaError('BAD_EVENT', /^event\.at: is NaN; send a finite number/));
  await assert.rejects(emma.track({ type: 'purchase', item: '22720', quantity: Infinity }), isEmmaError('BAD_EVENT', /^event\.quantity: is Infinity/));
  await assert.rejects(emma.recommend({ scenario: 'for_you', limit: NaN }), isEmmaError('BAD_REQUEST', /^request\.limit: is NaN/));
  await assert.rejects(emma.recommend({ scenario: 'trending', rules: { price: { max: -Infinity } } }), isEmmaError('BAD_REQUEST', /^request\.rules\.price\.max: is -Infinity/));
  await assert.rejects(emma.recommend({ scenario: 'for_you', rules: { pin: [{ item: '22720', position: NaN }] } }), isEmmaError('BAD_REQUEST', /^request\.rules\.pin\[0\]\.position: is NaN/));
  assert.equal((await emma.profile.export()).event_count, 0, 'nothing was recorded');
  // null as the caller wrote it, and the instance goes on.
  assert.ok((await emma.recommend({ scenario: 'for_you', limit: 3, rules: null })).items.length > 0);
  assert.deepEqual(await emma.track({ type: 'purchase', item: '22720', quantity: 2 }), { recorded: true, stored: false });
  await emma.close();
});

test('an event that is not an object is BAD_EVENT, whatever it is', async () => {
  const emma = await createEmma({ bundle: smallCatalog(), shop: 's', storage: 'memory' });
  for (const event of ['view', 42, null, undefined, [{ type: 'view', item: '22720' }], true]) {
    await assert.rejects(emma.track(event), isEmmaError('BAD_EVENT', /^event: /), JSON.stringify(event));
  }
  await emma.close();
});

test('after close() every method rejects with CLOSED and storage is neither read nor written', async (t) => {
  const dir = await tempDir(t);
  const emma = await createEmma({ bundle: smallCatalog(), shop: 's', storage: `fs:${dir}`, insights: {} });
  await emma.consent.grant('personalization', GRANT);
  await emma.track({ type: 'view', item: '22720' });
  const file = path.join(dir, 's', STORE_FILE);
  const before = await stat(file);
  await emma.close();
  await emma.close();  // twice is fine
  const calls = {
    track: () => emma.track({ type: 'view', item: '22720' }),
    recommend: () => emma.recommend({ scenario: 'trending' }),
    explain: () => emma.explain('22720'),
    processingRecord: () => emma.processingRecord(),
    erase: () => emma.erase(),
    'consent.grant': () => emma.consent.grant('personalization', GRANT),
    'consent.withdraw': () => emma.consent.withdraw('personalization'),
    'consent.state': () => emma.consent.state(),
    'consent.records': () => emma.consent.records(),
    'consent.signal': () => emma.consent.signal('gpc', { enabled: true }),
    'profile.export': () => emma.profile.export(),
    'profile.object': () => emma.profile.object(true),
    'profile.forget': () => emma.profile.forget({ item: '22720' }),
    'profile.backup': () => emma.profile.backup({ passphrase: 'a long passphrase' }),
    'profile.restore': () => emma.profile.restore(new Uint8Array(80), { passphrase: 'a long passphrase' }),
    'storage.info': () => emma.storage.info(),
    'storage.setAside': () => emma.storage.setAside(),
    'storage.deleteSetAside': () => emma.storage.deleteSetAside('quarantine.1'),
    'storage.rotateKey': () => emma.storage.rotateKey(),
    'sync.state': () => emma.sync.state(),
    'sync.enable': () => emma.sync.enable({ passphrase: 'a long passphrase' }),
    'sync.pair': () => emma.sync.pair(),
    'sync.join': () => emma.sync.join({ code: 'x' }),
    'sync.push': () => emma.sync.push(),
    'sync.pull': () => emma.sync.pull(),
    'sync.disable': () => emma.sync.disable(),
    'insights.domain': () => emma.insights.domain(),
    'insights.report': () => emma.insights.report(),
  };
  for (const [name, call] of Object.entries(calls)) {
    await assert.rejects(call(), isEmmaError('CLOSED'), name);
  }
  assert.deepEqual(await readdir(path.join(dir, 's')), [STORE_FILE], 'no lock or temporary file was made');
  const after = await stat(file);
  assert.equal(after.mtimeMs, before.mtimeMs, 'the store file was not rewritten');
  assert.equal(after.ino, before.ino, 'the store file was not replaced');
});

test('two instances on one fs: folder, writing in turn, lose no event (one process)', async (t) => {
  const dir = await tempDir(t);
  const open = () => createEmma({ bundle: smallCatalog(), shop: 's', storage: `fs:${dir}` });
  const a = await open();
  await a.consent.grant('personalization', GRANT);
  const b = await open();
  const items = smallCatalog().items.map((i) => i.id);
  for (let k = 0; k < items.length; k++) {
    const r = await (k % 2 ? b : a).track({ type: 'view', item: items[k] });
    assert.deepEqual(r, { recorded: true, stored: true }, `event ${k}`);
  }
  await a.close();
  await b.close();
  const c = await open();
  const exported = await c.profile.export();
  assert.deepEqual(exported.recently_viewed.map((v) => v.item).sort(), [...items].sort(), 'every event of both instances is in the store');
  assert.equal(exported.event_count, items.length);
  await c.close();
  assert.deepEqual((await readdir(path.join(dir, 's'))).filter((f) => f === LOCK_FILE), [], 'the lock file is gone');
});

test('two processes on one fs: folder, writing at the same time, lose no event', async (t) => {
  const dir = await tempDir(t);
  const first = await createEmma({ bundle: smallCatalog(), shop: 's', storage: `fs:${dir}` });
  await first.consent.grant('personalization', GRANT);
  await first.close();
  const writer = fileURLToPath(new URL('./fixtures/fs-writer.mjs', import.meta.url));
  const run = (tag) => new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [writer, dir, tag, '40'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let err = '';
    child.stderr.on('data', (d) => { err += d; });
    child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`writer ${tag} exited ${code}: ${err}`))));
  });
  await Promise.all([run('a'), run('b')]);
  const c = await createEmma({ bundle: smallCatalog(), shop: 's', storage: `fs:${dir}` });
  const exported = await c.profile.export();
  await c.close();
  // event_count counts every recorded action (the search list itself keeps the newest 20).
  assert.equal(exported.event_count, 80, 'no event of either process was lost');
  const tags = new Set(exported.searches.map((s) => s.query.split(' ')[0]));
  assert.ok(exported.searches.length === 20 && tags.size >= 1);
});

test('a lock held by a live process is waited for and then named; one left by a dead process is taken over', async (t) => {
  const dir = await tempDir(t);
  const store = new FsStorage(path.join(dir, 's'));
  await store.putMany([['x', new Uint8Array([1])]]);
  const lock = path.join(dir, 's', LOCK_FILE);
  // A process that has exited: its lock is stale.
  const gone = spawn(process.execPath, ['-e', '0']);
  await new Promise((resolve) => gone.on('exit', resolve));
  const { writeFile } = await import('node:fs/promises');
  await writeFile(lock, JSON.stringify({ pid: gone.pid, at: Date.now() }));
  assert.equal(await store.withLock(async () => 'ran'), 'ran');
  assert.deepEqual((await readdir(path.join(dir, 's'))).includes(LOCK_FILE), false);
  // This process holds it (a live pid): the other writer waits, and runs once it is released.
  let released = false;
  let held;
  const holds = new Promise((resolve) => { held = resolve; });
  const holding = store.withLock(() => {
    held();
    return new Promise((resolve) => setTimeout(() => { released = true; resolve(); }, 200));
  });
  await holds;
  const waiting = new FsStorage(path.join(dir, 's')).withLock(async () => released);
  assert.equal(await waiting, true, 'the second writer ran only after the first released the lock');
  await holding;
  assert.match(await readFile(path.join(dir, 's', STORE_FILE), 'latin1'), /EMMASTOR/);
});
