// The demo shop's small server: static files only (the opt-in collector comes with the
// sharing features). Run by `npm run demo`; PORT defaults to 8080.
import { createServer } from 'node:http';
import { createReadStream, promises as fsp } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

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

// URL prefix -> folder. The package is served as it ships (js-bindings/), the bundle from
// the build folder where setup.sh writes it.
const DEFAULT_MOUNTS = [
  ['/pkg/', path.join(root, 'js-bindings')],
  ['/emma/shop.bundle', path.join(root, 'build/demo/shop.bundle')],
  ['/catalog.json', path.join(root, 'demo/catalog.json')],
  // Product pages are rendered by the page script from the path.
  ['/product/', path.join(root, 'demo/public/index.html')],
  ['/', path.join(root, 'demo/public')],
];

export function createDemoServer({ mounts = [], headers = {} } = {}) {
  const table = [...mounts, ...DEFAULT_MOUNTS];
  return createServer(async (req, res) => {
    const url = new URL(req.url, 'http://localhost');
    let pathname;
    try {
      pathname = decodeURIComponent(url.pathname);
    } catch {
      res.writeHead(400).end('bad path');
      return;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { Allow: 'GET, HEAD' }).end();
      return;
    }
    for (const [prefix, target] of table) {
      if (!pathname.startsWith(prefix)) continue;
      const rest = pathname.slice(prefix.length);
      const isFolder = prefix.endsWith('/') && !target.endsWith('.html');
      let file = isFolder ? path.join(target, rest) : target;
      if (isFolder && !file.startsWith(target)) break;  // no escaping the folder
      try {
        let stat = await fsp.stat(file);
        if (stat.isDirectory()) {
          file = path.join(file, 'index.html');
          stat = await fsp.stat(file);
        }
        res.writeHead(200, {
          'Content-Type': TYPES[path.extname(file)] || 'application/octet-stream',
          'Content-Length': stat.size,
          'Cache-Control': 'no-cache',
          'X-Content-Type-Options': 'nosniff',
          ...headers,
        });
        if (req.method === 'HEAD') res.end();
        else createReadStream(file).pipe(res);
        return;
      } catch {
        if (prefix === '/') break;
      }
    }
    res.writeHead(404, { 'Content-Type': 'text/html; charset=utf-8' }).end('<!DOCTYPE html><title>Not found</title><h1>404 Not Found</h1>');
  });
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const port = Number(process.env.PORT || 8080);
  createDemoServer().listen(port, () => {
    console.log(`Tante Emma demo shop: http://localhost:${port}/`);
  });
}
