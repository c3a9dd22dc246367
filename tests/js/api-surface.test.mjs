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

test('the README API reference names every declared method', () => {
  const readme = readFileSync(new URL('README.md', root), 'utf8');
  const reference = readme.slice(readme.indexOf('## API reference'), readme.indexOf('\n## ', readme.indexOf('## API reference') + 5));
  const missing = [...declaredMethods()].filter((m) => !reference.includes(`${m}(`));
  assert.deepEqual(missing, []);
});
