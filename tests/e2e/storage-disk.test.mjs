// What Chromium itself keeps on disk, below the storage APIs, for SECURITY.md to state it
// truthfully. This test describes the browser, not Emma: if it fails after a Chromium
// update, SECURITY.md needs updating, not the code.
//   1. The browser's IndexedDB files hold no plaintext of the profile (Emma seals it).
//   2. A CryptoKey stored in IndexedDB is written to disk WITH its key bytes, although
//      scripts cannot read them (extractable: false). So the wrapped data key protects
//      nothing against someone who copies the browser's profile folder.
//   3. After erase() (key deleted, database deleted) the ciphertext may remain in the
//      browser's files until the storage engine compacts them (reported, not asserted).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { GRANT, catalog, openPage, setup } from './storage-helpers.mjs';

// A letter or digit: a catalog word in plaintext stands apart from them (in JSON it is quoted).
const wordByte = (b) => b !== undefined && ((b >= 0x30 && b <= 0x39) || ((b | 0x20) >= 0x61 && (b | 0x20) <= 0x7a));

// Every file under `dir` whose bytes contain `needle`; with `whole`, only where no letter or
// digit touches it: a numeric item id such as "48184" is also a run inside the browser's own
// numbers (times, sizes), which is no plaintext of the profile (it made this test flaky).
async function filesContaining(dir, needle, whole = false) {
  const hits = [];
  for (const entry of await readdir(dir, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const p = path.join(entry.parentPath ?? entry.path, entry.name);
    const bytes = await readFile(p);
    for (let at = bytes.indexOf(needle); at >= 0; at = bytes.indexOf(needle, at + 1)) {
      if (!whole || (!wordByte(bytes[at - 1]) && !wordByte(bytes[at + needle.length]))) {
        hits.push(path.relative(dir, p));
        break;
      }
    }
  }
  return hits;
}

test('what Chromium writes to disk: sealed data, CryptoKey bytes, remnants after erase', async (t) => {
  const { server, browser } = await setup(t);
  let context = browser.context;
  const page = await openPage(context, server.origin);
  const items = catalog.items.slice(0, 10).map((i) => i.id);
  const known = await page.evaluate(async ({ grant, items }) => {
    await window.emma.consent.grant('personalization', grant);
    for (const item of items) await window.emma.track({ type: 'view', item });
    // A key of known bytes, imported as non-extractable and stored like Emma's wrapping key.
    const raw = crypto.getRandomValues(new Uint8Array(32));
    const key = await crypto.subtle.importKey('raw', raw, 'AES-GCM', false, ['encrypt']);
    const db = await new Promise((res) => {
      const r = indexedDB.open('disk-check', 1);
      r.onupgradeneeded = () => r.result.createObjectStore('s');
      r.onsuccess = () => res(r.result);
    });
    await new Promise((res) => {
      const tx = db.transaction('s', 'readwrite');
      tx.objectStore('s').put({ key }, 'k');
      tx.oncomplete = res;
    });
    db.close();
    const sealed = await new Promise((res) => {
      const r = indexedDB.open('tante-emma:storage-test-shop');
      r.onsuccess = () => {
        const q = r.result.transaction('records').objectStore('records').get('profile');
        q.onsuccess = () => { r.result.close(); res(Array.from(q.result)); };
      };
    });
    return { raw: Array.from(raw), sealed };
  }, { grant: GRANT, items });
  context = await browser.restart();  // everything flushed to the files

  const idbDir = path.join(browser.userDataDir, 'Default', 'IndexedDB');
  const sealed = Buffer.from(known.sealed.slice(40, 104));  // 64 bytes of ciphertext
  const sealedFiles = await filesContaining(idbDir, sealed);
  assert.ok(sealedFiles.length > 0, 'the sealed profile is not in the IndexedDB files: the search below would prove nothing');
  for (const item of catalog.items) {
    for (const word of [item.title, item.id].filter((w) => w.length >= 5)) {
      assert.deepEqual(await filesContaining(idbDir, Buffer.from(word), true), [], `"${word}" is in the IndexedDB files in plaintext`);
    }
  }
  const keyFiles = await filesContaining(idbDir, Buffer.from(known.raw));
  assert.ok(keyFiles.length > 0, 'Chromium no longer writes non-extractable CryptoKey bytes to disk: update SECURITY.md');
  t.diagnostic(`non-extractable CryptoKey bytes found on disk in: ${keyFiles.join(', ')}`);

  const again = await openPage(context, server.origin);
  await again.evaluate(async () => {
    await window.emma.erase();
    await new Promise((res, rej) => {
      const r = indexedDB.deleteDatabase('disk-check');
      r.onsuccess = res;
      r.onerror = () => rej(r.error);
    });
  });
  assert.deepEqual(await again.evaluate(async () => (await indexedDB.databases()).map((d) => d.name)), []);
  context = await browser.restart();
  const remnants = await filesContaining(idbDir, sealed);
  const keyRemnants = await filesContaining(idbDir, Buffer.from(known.raw));
  t.diagnostic(remnants.length
    ? `after erase() and a restart, the ciphertext is still in: ${remnants.join(', ')} (until compaction)`
    : 'after erase() and a restart, no ciphertext was found in the IndexedDB files');
  t.diagnostic(keyRemnants.length
    ? `after deleting its database and a restart, the CryptoKey bytes are still in: ${keyRemnants.join(', ')}`
    : 'after deleting its database and a restart, no CryptoKey bytes were found');
});
