// What the demo shop's pages may request, in one place for every test that checks it: GETs
// of the shop's own pages and of the files a page of it loads, nothing else. (The pages name
// emma.js and the bundle by their content-hashed names and preload the engine; emma.js loads
// the stylesheet so, and the privacy centre's script when the shopper opens it, and the engine
// with the shopper's rights at the first export, forget, objection or record; vitals.js is
// the demo's own measure of layout shift.) Read from the server's request log, the same in
// every engine.
import assert from 'node:assert/strict';

const STATIC = /^\/(shop\.(js|css)|vitals\.js|favicon\.svg|emma\/(emma\.([0-9a-f]{12}\.)?(js|css|wasm)|emma-centre\.[0-9a-f]{12}\.js|emma-rights\.[0-9a-f]{12}\.wasm|shop\.([0-9a-f]{16}\.)?bundle))$/;
const PAGE = /^\/(|category\/[a-z0-9-]+|product\/[A-Za-z0-9]+|privacy|cart|search)$/;

// cookieless: also no request carried a cookie.
export function checkShopRequests(server, { cookieless = false } = {}) {
  for (const r of server.requests) {
    const { pathname } = new URL(r.url, server.origin);
    assert.equal(r.method, 'GET', `${r.method} ${r.url}`);
    assert.ok(PAGE.test(pathname) || STATIC.test(pathname), `unexpected request ${r.url}`);
    if (cookieless) assert.equal(r.cookie, '', `a cookie was sent with ${r.url}`);
  }
}
