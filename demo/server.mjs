// The demo shop's small server: pages rendered from catalog.json (render.mjs), static
// files, and the stores for what shoppers opt in to send (demo/server/: the sync store, the
// insights collector and its /audience page; each its own SQLite file under build/demo-data).
// Every page is served under a strict Content-Security-Policy, so the demo also shows that Emma needs no inline
// script or style. Run by `npm run demo`; PORT defaults to 8080.
import { createServer } from 'node:http';
import { mkdirSync, readFileSync, promises as fsp } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createInsightsCollector } from './server/insights-collector.mjs';
import { createStaticFiles } from './server/static.mjs';
import { SYNC_PREFIX, createSyncStore } from './server/sync-store.mjs';
import { Shop, cartPage, categoryPage, homePage, notFoundPage, privacyPage, productPage, searchPage } from './render.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

export const DEMO_CSP = "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; style-src 'self'";

const TYPES = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.cjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.wasm': 'application/wasm',
  '.bundle': 'application/octet-stream',
  '.png': 'image/png',
  '.svg': 'image/svg+xml',
};

const BUNDLE = path.join(root, 'build/demo/shop.bundle');
const DIST = path.join(root, 'web/dist');

// URL prefix -> file or folder. The embed script is served as a shop deploys it (web/dist
// as /emma/), the package as it ships (js-bindings/), the bundle from the build folder.
const DEFAULT_MOUNTS = [
  ['/pkg/', path.join(root, 'js-bindings')],
  ['/emma/shop.bundle', BUNDLE],
  ['/emma/', DIST],
  ['/catalog.json', path.join(root, 'demo/catalog.json')],
  ['/', path.join(root, 'demo/public')],
];

function pageFor(shop, pathname, query) {
  if (pathname === '/' || pathname === '/index.html') return homePage(shop);
  if (pathname === '/cart') return cartPage(shop);
  if (pathname === '/privacy') return privacyPage(shop);
  if (pathname === '/search') return searchPage(shop, (query.get('q') || '').slice(0, 100));
  if (pathname.startsWith('/product/')) {
    const item = shop.byId.get(pathname.slice('/product/'.length));
    return item ? productPage(shop, item) : [404, notFoundPage(shop, 'There is no such product.')];
  }
  if (pathname.startsWith('/category/')) {
    const category = shop.categoryBySlug.get(pathname.slice('/category/'.length));
    return category ? categoryPage(shop, category) : [404, notFoundPage(shop, 'There is no such category.')];
  }
  return null;
}

// Where the demo keeps what shoppers opt in to send (each purpose its own SQLite file).
export const DATA_DIR = process.env.EMMA_DATA_DIR || path.join(root, 'build/demo-data');

// mounts: extra [prefix, path] pairs tried first; headers: added to every answer;
// catalog: the shop's catalog object (defaults to demo/catalog.json); dataDir: the stores;
// insights: options of the opt-in statistics collector (demo/server/insights-collector.mjs);
// sync: options of the sync store (demo/server/sync-store.mjs).
export function createDemoServer({ mounts = [], headers = {}, catalog, dataDir = DATA_DIR, insights = {}, sync: syncOptions = {} } = {}) {
  const table = [...mounts, ...DEFAULT_MOUNTS];
  const collector = createInsightsCollector({ file: path.join(dataDir, 'insights.sqlite'),
    bundle: BUNDLE, pageHeaders: { 'Content-Security-Policy': DEMO_CSP, ...headers }, ...insights });
  const shop = new Shop(catalog || JSON.parse(readFileSync(path.join(root, 'demo/catalog.json'), 'utf8')),
    JSON.parse(readFileSync(path.join(root, 'demo/returning-shopper.json'), 'utf8')));
  mkdirSync(dataDir, { recursive: true });
  const sync = createSyncStore({ file: path.join(dataDir, 'sync.sqlite'), ...syncOptions });
  const files = createStaticFiles({ cacheDir: path.join(root, 'build/static-cache') });
  // The pages name Emma's files as web/dist/snippet.html does: by their content-hashed names
  // (cached for good, fetched again only when they change), the engine and the bundle
  // preloaded so that both downloads start with the page.
  async function emmaFiles() {
    try {
      const manifest = JSON.parse(await fsp.readFile(path.join(DIST, 'manifest.json'), 'utf8'));
      const hash = await files.hash(BUNDLE);
      const bundle = hash ? `/emma/shop.${hash}.bundle` : '/emma/shop.bundle';
      return { js: `/emma/${manifest.files['emma.js'].file}`, bundle,
        preload: [...(manifest.preload || []).map((p) => ({ ...p, href: `/emma/${p.href}` })), { href: bundle }] };
    } catch {
      return null;  // web/dist not built: the plain names
    }
  }
  // Compressed ahead, so the first page view does not wait for brotli -q 11; the engine with the
  // shopper's rights too (only under its hashed name), for the privacy centre's first opening.
  const onDemand = (() => {
    try {
      return [JSON.parse(readFileSync(path.join(DIST, 'manifest.json'), 'utf8')).files['emma-rights.wasm'].file];
    } catch {
      return [];
    }
  })();
  files.prepare([BUNDLE, ...['emma.js', 'emma.wasm', 'emma.css', ...onDemand].map((f) => path.join(DIST, f))]);
  const server = createServer(async (req, res) => {
    const url = new URL(req.url, 'http://localhost');
    let pathname;
    try {
      pathname = decodeURIComponent(url.pathname);
    } catch {
      res.writeHead(400).end('bad path');
      return;
    }
    if (await collector.handle(req, res, pathname, url.searchParams)) return;
    if (pathname.startsWith(SYNC_PREFIX)) {
      await sync.handle(req, res, pathname.slice(SYNC_PREFIX.length));
      return;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { Allow: 'GET, HEAD' }).end();
      return;
    }
    const extra = mounts.some(([prefix]) => pathname.startsWith(prefix));
    if (!extra && (!path.extname(pathname) || pathname === '/index.html')) shop.emma = await emmaFiles();
    const page = extra ? null : pageFor(shop, pathname, url.searchParams);
    if (page) {
      const [status, body] = Array.isArray(page) ? page : [200, page];
      res.writeHead(status, {
        'Content-Type': TYPES['.html'],
        'Content-Security-Policy': DEMO_CSP,
        'Cache-Control': 'no-cache',
        'X-Content-Type-Options': 'nosniff',
        ...headers,
      });
      res.end(req.method === 'HEAD' ? undefined : body);
      return;
    }
    const hashedBundle = /^\/emma\/shop\.([0-9a-f]{16})\.bundle$/.exec(pathname);
    if (hashedBundle && !extra && hashedBundle[1] === (await files.hash(BUNDLE))) {
      await files.send(req, res, BUNDLE, await fsp.stat(BUNDLE), { type: TYPES['.bundle'], headers, immutable: true });
      return;
    }
    for (const [prefix, target] of table) {
      if (!pathname.startsWith(prefix)) continue;
      const rest = pathname.slice(prefix.length);
      const isFolder = prefix.endsWith('/');
      let file = isFolder ? path.join(target, rest) : target;
      if (isFolder && file !== target && !file.startsWith(target + path.sep)) break;  // no escaping the folder
      try {
        let stat = await fsp.stat(file);
        if (stat.isDirectory()) {
          file = path.join(file, 'index.html');
          stat = await fsp.stat(file);
        }
        await files.send(req, res, file, stat, { type: TYPES[path.extname(file)] || 'application/octet-stream', headers });
        return;
      } catch {
        if (prefix === '/') break;
      }
    }
    res.writeHead(404, { 'Content-Type': 'text/html; charset=utf-8' }).end('<!DOCTYPE html><title>Not found</title><h1>404 Not Found</h1>');
  });
  server.on('close', () => collector.close());
  server.on('close', () => sync.close());
  server.syncFile = sync.file;
  return server;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const port = Number(process.env.PORT ?? 8080);
  // A demo for one machine: only this machine can reach it, unless HOST says otherwise
  // (HOST=0.0.0.0 for every interface).
  const host = process.env.HOST || '127.0.0.1';
  const server = createDemoServer();
  server.listen(port, host, () => {
    const { address, port: bound } = server.address();
    const shown = address.includes(':') ? `[${address}]` : address;
    console.log(`Tante Emma demo shop: http://${shown}:${bound}/ (listening on ${address} port ${bound}; HOST and PORT change it)`);
  });
}
