// The demo server serves Emma's files as docs/embed.md "Caching and compression" tells a
// shop's CDN to: content-hashed names cached for good, the rest revalidated by ETag, brotli
// or gzip by Accept-Encoding; the pages name the hashed files and preload engine and bundle.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import { createDemoServer } from '../../demo/server.mjs';
import { pickEncoding } from '../../demo/server/static.mjs';

const root = new URL('../../', import.meta.url);
const manifest = JSON.parse(await readFile(new URL('web/dist/manifest.json', root), 'utf8'));
const bundle = await readFile(new URL('build/demo/shop.bundle', root));

async function demo(t) {
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'emma-static-'));
  const server = createDemoServer({ dataDir });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(async () => {
    await new Promise((resolve) => server.close(resolve));
    await rm(dataDir, { recursive: true, force: true });
  });
  const { port } = server.address();
  // node:http, not fetch: fetch would undo the compression this test looks at.
  return (url, headers = {}, method = 'GET') => new Promise((resolve, reject) => {
    http.request({ host: '127.0.0.1', port, path: url, method, headers: { 'Accept-Encoding': 'identity', ...headers } }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode, headers: new Map(Object.entries(res.headers)), body: Buffer.concat(chunks) }));
    }).on('error', reject).end();
  });
}

test('Accept-Encoding: br before gzip, q=0 refuses, nothing acceptable is identity', () => {
  assert.equal(pickEncoding('gzip, deflate, br'), 'br');
  assert.equal(pickEncoding('gzip'), 'gzip');
  assert.equal(pickEncoding('br;q=0, gzip;q=0.5'), 'gzip');
  assert.equal(pickEncoding('identity'), null);
  assert.equal(pickEncoding(''), null);
  assert.equal(pickEncoding('*'), 'br');
});

test('pages name emma.js, the bundle and the preloads by their content-hashed names', async (t) => {
  const get = await demo(t);
  const html = (await get('/')).body.toString();
  const js = manifest.files['emma.js'].file;
  const m = /data-bundle="\/emma\/(shop\.[0-9a-f]{16}\.bundle)"/.exec(html);
  assert.ok(m, 'the bundle has a content-hashed name');
  assert.match(html, new RegExp(`<script src="/emma/${js.replace(/\./g, '\\.')}" data-bundle=`));
  assert.match(html, new RegExp(`<link rel="preload" href="/emma/${manifest.preload[0].href}" as="fetch" crossorigin="anonymous" integrity="${manifest.preload[0].integrity.replace(/[+/]/g, '\\$&')}">`));
  assert.match(html, new RegExp(`<link rel="preload" href="/emma/${m[1]}" as="fetch" crossorigin="anonymous">`));
  const res = await get(`/emma/${m[1]}`);
  assert.equal(res.status, 200);
  assert.equal(res.headers.get('cache-control'), 'public, max-age=31536000, immutable');
  assert.deepEqual(res.body, bundle);
  assert.equal((await get('/emma/shop.0123456789abcdef.bundle')).status, 404, 'a name that is not the bundle\'s content');
});

test('hashed files: immutable for a year, compressed by Accept-Encoding; plain names: no-cache, ETag, 304', async (t) => {
  const get = await demo(t);
  for (const name of ['emma.js', 'emma.wasm', 'emma.css']) {
    const { file } = manifest.files[name];
    const plain = await readFile(new URL(`web/dist/${file}`, root));
    const identity = await get(`/emma/${file}`);
    assert.equal(identity.headers.get('cache-control'), 'public, max-age=31536000, immutable', file);
    assert.equal(identity.headers.get('content-encoding'), undefined);
    assert.equal(identity.headers.get('vary'), 'Accept-Encoding');
    assert.deepEqual(identity.body, plain);
    const br = await get(`/emma/${file}`, { 'Accept-Encoding': 'gzip, br' });
    assert.equal(br.headers.get('content-encoding'), 'br', file);
    const brBytes = br.body;
    assert.ok(brBytes.length < plain.length * 0.6, `${file}: ${brBytes.length} of ${plain.length} bytes`);
    assert.deepEqual(brotliDecompressSync(brBytes), plain);
    const gz = await get(`/emma/${file}`, { 'Accept-Encoding': 'gzip' });
    assert.equal(gz.headers.get('content-encoding'), 'gzip');
    assert.deepEqual(gunzipSync(gz.body), plain);
  }
  assert.equal((await get('/emma/emma.wasm')).headers.get('content-type'), 'application/wasm');
  for (const url of ['/emma/emma.js', '/shop.css', '/emma/shop.bundle']) {
    const first = await get(url, { 'Accept-Encoding': 'br' });
    assert.equal(first.headers.get('cache-control'), 'no-cache', url);
    const etag = first.headers.get('etag');
    assert.match(etag, /^"[0-9a-f]{32}(-br)?"$/, url);
    const again = await get(url, { 'Accept-Encoding': 'br', 'If-None-Match': etag });
    assert.equal(again.status, 304, url);
    assert.equal(again.body.length, 0);
    assert.equal((await get(url, { 'If-None-Match': '"0123"' })).status, 200, `${url}: another ETag gets the file`);
  }
  const head = await get('/emma/emma.js', {}, 'HEAD');
  assert.equal(head.status, 200);
  assert.equal(Number(head.headers.get('content-length')), manifest.files['emma.js'].bytes);
  assert.equal(head.body.length, 0);
});
