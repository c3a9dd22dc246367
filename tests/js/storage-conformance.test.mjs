// The storage conformance suite (tests/e2e/pages/storage-conformance.js) against the Node
// adapters: memory and fs. The browser adapters run the same module in Chromium
// (tests/e2e/storage-conformance.test.mjs).
import { test } from 'node:test';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { FsStorage } from '../../js-bindings/src/storage/fs.js';
import { MemoryStorage } from '../../js-bindings/src/storage/memory.js';
import { conformanceCases } from '../e2e/pages/storage-conformance.js';

function memoryTarget() {
  const made = new Map();
  return {
    persistent: false,
    cryptoKeys: false,
    largeBytes: 16 << 20,
    async create(shop) {
      const s = await MemoryStorage.create();
      if (!made.has(shop)) made.set(shop, []);
      made.get(shop).push(s);
      return s;
    },
    async residue(shop) {
      return (made.get(shop) || []).flatMap((s) => [...s.records.keys()]);
    },
  };
}

async function fsTarget(t) {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'emma-conformance-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  return {
    persistent: true,
    cryptoKeys: false,
    largeBytes: 16 << 20,
    create: (shop) => FsStorage.create(dir, shop),
    // Every file and folder left under the storage folder that belongs to this shop.
    async residue(shop) {
      const folder = (await FsStorage.create(dir, shop)).dir;
      try {
        const inside = await readdir(folder, { recursive: true });
        return [path.basename(folder), ...inside.map((f) => path.join(path.basename(folder), f))];
      } catch (err) {
        if (err.code === 'ENOENT') return [];
        throw err;
      }
    },
  };
}

for (const [name, make] of [['memory', async () => memoryTarget()], ['fs', fsTarget]]) {
  test(`storage conformance: ${name}`, async (t) => {
    const target = await make(t);
    for (const c of conformanceCases(target)) await t.test(c.name, c.fn);
  });
}
