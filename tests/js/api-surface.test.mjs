// The API three ways must agree: the methods a real instance has, the methods the shipped
// types declare (js-bindings/index.d.ts), and the methods the README's API reference names.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createEmma } from 'tante-emma';
import { smallCatalog } from './engine-node.mjs';

const root = new URL('../../', import.meta.url);

// "track", "consent.grant", … from `export interface Emma { … }` (one level of nesting).
function declaredMethods() {
  const dts = readFileSync(new URL('js-bindings/index.d.ts', root), 'utf8');
  const body = dts.slice(dts.indexOf('export interface Emma {'));
  const lines = body.split('\n').slice(1);
  const out = new Set();
  let group = null;
  for (const line of lines) {
    if (/^}/.test(line)) break;
    const open = line.match(/^ {2}(\w+): \{$/);
    if (open) { group = open[1]; continue; }
    if (/^ {2}\};$/.test(line)) { group = null; continue; }
    const m = group ? line.match(/^ {4}(\w+)\(/) : line.match(/^ {2}(\w+)\(/);
    if (m) out.add(group ? `${group}.${m[1]}` : m[1]);
  }
  return out;
}

function runtimeMethods(emma) {
  const out = new Set();
  for (const name of Object.getOwnPropertyNames(Object.getPrototypeOf(emma))) {
    if (name !== 'constructor' && !name.startsWith('_') && typeof emma[name] === 'function') out.add(name);
  }
  for (const [group, value] of Object.entries(emma)) {
    if (value && typeof value === 'object') for (const [k, f] of Object.entries(value)) if (typeof f === 'function') out.add(`${group}.${k}`);
  }
  return out;
}

test('every method of an instance is declared in index.d.ts, and every declared method exists', async () => {
  const emma = await createEmma({ bundle: smallCatalog(), shop: 'shop', storage: 'memory' });
  const runtime = runtimeMethods(emma);
  await emma.close();
  const declared = declaredMethods();
  assert.ok(declared.size > 20, `parsed ${declared.size} declared methods`);
  assert.deepEqual([...runtime].filter((m) => !declared.has(m)).sort(), [], 'methods without types');
  assert.deepEqual([...declared].filter((m) => !runtime.has(m)).sort(), [], 'types without methods');
});

test('the API reference (docs/api.md) names every declared method', () => {
  const doc = readFileSync(new URL('docs/api.md', root), 'utf8');
  const reference = doc.slice(doc.indexOf('## Methods, options and errors'));
  const missing = [...declaredMethods()].filter((m) => !reference.includes(`${m}(`));
  assert.deepEqual(missing, []);
});

// --- error codes and return shapes: types, README and a real instance agree --------------

const dts = () => readFileSync(new URL('js-bindings/index.d.ts', root), 'utf8');
// The API reference moved from the README's middle to docs/api.md (the README is the front door).
const readme = () => readFileSync(new URL('docs/api.md', root), 'utf8');

// Splits "a: T; b?: { c: U }; d: V" at top-level semicolons into [{ key, optional }].
function objectKeys(body) {
  const out = [];
  let depth = 0;
  let part = '';
  for (const ch of `${body.replace(/\/\*[^]*?\*\//g, '').replace(/\/\/.*$/gm, '')};`) {
    if ('{(<['.includes(ch)) depth++;
    if ('})>]'.includes(ch)) depth--;
    if (ch === ';' && depth === 0) {
      const m = /^\s*(\w+)(\??):/.exec(part);
      if (m) out.push({ key: m[1], optional: m[2] === '?' });
      part = '';
    } else {
      part += ch;
    }
  }
  return out;
}

// The declared resolved shape of each method with an object result: "sync.enable" -> keys.
function declaredShapes() {
  const text = dts();
  const body = text.slice(text.indexOf('export interface Emma {'));
  const shapes = new Map();
  let group = null;
  for (const line of body.split('\n').slice(1)) {
    if (/^}/.test(line)) break;
    const open = line.match(/^ {2}(\w+): \{$/);
    if (open) { group = open[1]; continue; }
    if (/^ {2}\};$/.test(line)) { group = null; continue; }
    const m = line.match(/^ +(\w+)\(.*\): Promise<(.*)>;$/);
    if (!m) continue;
    const name = group ? `${group}.${m[1]}` : m[1];
    let type = m[2];
    const named = /^(\w+)$/.exec(type);
    if (named) {
      const decl = new RegExp(`export interface ${named[1]} \\{([^]*?)\\n?\\}`).exec(text);
      if (!decl) continue;
      type = `{${decl[1]}}`;
    }
    if (type.startsWith('{') && type.endsWith('}')) shapes.set(name, objectKeys(type.slice(1, -1)));
  }
  return shapes;
}

test('every error code the engine or the package can raise is declared, and docs/api.md lists the same', () => {
  const raised = new Set();
  for (const m of readFileSync(new URL('src/core/error.hpp', root), 'utf8').matchAll(/= "([A-Z_]+)";/g)) raised.add(m[1]);
  const jsFiles = ['emma.js', 'boundary.js', 'errors.js', 'sync.js', 'insights.js', 'keys.js', 'node.js', 'browser.js', 'browser-env.js',
    'worker-client.js', 'worker.js', 'storage/fs.js', 'storage/indexeddb.js', 'storage/localstorage.js', 'storage/memory.js', 'storage/values.js'];
  for (const f of jsFiles) {
    let src;
    try { src = readFileSync(new URL(`js-bindings/src/${f}`, root), 'utf8'); } catch { continue; }
    for (const m of src.matchAll(/(?:EmmaError|asEmmaError)\((?:[^,()]*, )?'([A-Z_]+)'/g)) raised.add(m[1]);
  }
  const union = /export type ErrorCode =([^;]*);/.exec(dts())[1];
  const declared = new Set([...union.matchAll(/'([A-Z_]+)'/g)].map((m) => m[1]));
  assert.ok(raised.size > 15, `found ${raised.size} raised codes`);
  assert.deepEqual([...raised].filter((c) => !declared.has(c)).sort(), [], 'raised but not in ErrorCode');
  const text = readme();
  const listed = new Set([...text.slice(text.indexOf('Error codes:'), text.indexOf('\n\n', text.indexOf('Error codes:'))).matchAll(/`([A-Z_]+)`/g)].map((m) => m[1]));
  assert.deepEqual([...declared].filter((c) => !listed.has(c)).sort(), [], 'declared but not in the docs/api.md list');
  assert.deepEqual([...listed].filter((c) => !declared.has(c)).sort(), [], 'in the docs/api.md list but not declared');
});

test('docs/api.md states the same result shapes as the types', () => {
  const shapes = declaredShapes();
  const text = readme();
  const reference = text.slice(text.indexOf('**`Emma`**'), text.indexOf('Error codes:'));
  let compared = 0;
  for (const row of reference.split('\n').filter((l) => l.startsWith('| `'))) {
    const cells = row.split(' | ');
    const methods = [...cells[0].matchAll(/`([\w.]+)\(/g)].map((m) => m[1]);
    const results = [...(cells[1] || '').matchAll(/`\{ ([\w, ]+) \}`/g)].map((m) => m[1].split(', '));
    if (results.length !== methods.length) continue;
    methods.forEach((method, i) => {
      const declared = shapes.get(method);
      assert.ok(declared, `${method}: no object result declared in index.d.ts`);
      assert.deepEqual([...results[i]].sort(), declared.map((k) => k.key).sort(), `${method}: docs/api.md and index.d.ts disagree`);
      compared++;
    });
  }
  assert.ok(compared >= 10, `compared ${compared} methods`);
});

test('a real instance answers the shapes the types declare', async (t) => {
  const { mkdtemp, rm } = await import('node:fs/promises');
  const os = await import('node:os');
  const path = await import('node:path');
  const { createDemoServer } = await import('../../demo/server.mjs');
  const dir = await mkdtemp(path.join(os.tmpdir(), 'emma-shapes-'));
  const server = createDemoServer({ dataDir: dir });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const endpoint = `http://127.0.0.1:${server.address().port}/emma/sync`;
  const emma = await createEmma({ bundle: smallCatalog(), shop: 'shop', storage: `fs:${dir}/store`, sync: { endpoint } });
  const other = await createEmma({ bundle: smallCatalog(), shop: 'shop', storage: 'memory', sync: { endpoint } });
  t.after(async () => {
    await emma.close();
    await other.close();
    await new Promise((resolve) => server.close(resolve));
    await rm(dir, { recursive: true, force: true });
  });
  const grant = { version: '1', text: 'x', source: 'banner' };
  await emma.consent.grant('personalization', grant);
  await emma.consent.grant('sync', grant);
  await other.consent.grant('personalization', grant);
  await other.consent.grant('sync', grant);
  const shapes = declaredShapes();
  const answers = {
    track: await emma.track({ type: 'view', item: '22720' }),
    recommend: await emma.recommend({ scenario: 'for_you' }),
    explain: await emma.explain('22720'),
    processingRecord: await emma.processingRecord(),
    'profile.object': await emma.profile.object(false),
    'profile.forget': await emma.profile.forget({ item: '37370' }),
    'storage.info': await emma.storage.info(),
    'storage.rotateKey': await emma.storage.rotateKey(),
    'sync.enable': await emma.sync.enable({ passphrase: 'a long passphrase' }),
    'sync.state': await emma.sync.state(),
    'sync.push': await emma.sync.push(),
    'sync.pull': await emma.sync.pull(),
    'sync.pair': await emma.sync.pair(),
  };
  answers['sync.join'] = await other.sync.join({ code: answers['sync.pair'].code });
  answers['profile.restore'] = await emma.profile.restore(await emma.profile.backup({ passphrase: 'a long passphrase', kdf: { opslimit: 2, memlimit_kib: 19456 } }), { passphrase: 'a long passphrase' });
  answers['sync.disable'] = await emma.sync.disable();
  for (const [method, answer] of Object.entries(answers)) {
    const declared = shapes.get(method);
    assert.ok(declared, `${method}: no object result declared`);
    const keys = Object.keys(answer);
    assert.deepEqual(keys.filter((k) => !declared.some((d) => d.key === k)).sort(), [], `${method}: answered keys the types do not declare`);
    assert.deepEqual(declared.filter((d) => !d.optional && !keys.includes(d.key)).map((d) => d.key), [], `${method}: declared keys missing from the answer`);
  }
});
