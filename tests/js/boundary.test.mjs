// The wasm boundary under Node: bad input is answered with an error and the next call
// works; memory is given back on every path.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EmmaError } from '../../js-bindings/src/errors.js';
import { loadBoundary, smallCatalog } from './engine-node.mjs';

const NOW = 1_764_000_000_000;

async function ready() {
  const b = await loadBoundary();
  b.call({ op: 'configure', shop: 'test-shop' });
  b.call({ op: 'catalog.load', catalog: smallCatalog() });
  return b;
}

function recommendWorks(b) {
  const { result } = b.call({ op: 'recommend', request: { limit: 3 }, now: NOW });
  assert.equal(result.items.length, 3);
}

// Sends raw bytes as the request, bypassing JSON.stringify, as a hostile caller could.
function rawCall(b, requestBytes, bytes) {
  const m = b.module;
  const req = m._emma_alloc(requestBytes.length);
  m.HEAPU8.set(requestBytes, req);
  let bp = 0;
  if (bytes && bytes.length) {
    bp = m._emma_alloc(bytes.length);
    m.HEAPU8.set(bytes, bp);
  }
  const status = m._emma_call(b.session, req, requestBytes.length, bp, bytes ? bytes.length : 0);
  m._emma_free(req);
  if (bp) m._emma_free(bp);
  const p = m._emma_answer_json(b.session);
  const answer = JSON.parse(new TextDecoder().decode(m.HEAPU8.subarray(p, p + m._emma_answer_json_len(b.session))));
  return { status, answer };
}

const enc = (s) => new TextEncoder().encode(s);

function expectError(fn, code, words) {
  assert.throws(fn, (err) => {
    assert.ok(err instanceof EmmaError, `expected EmmaError, got ${err}`);
    assert.equal(err.code, code, err.message);
    if (words) assert.match(err.message, words);
    return true;
  });
}

test('malformed JSON is answered with an error, then a call succeeds', async () => {
  const b = await ready();
  const { status, answer } = rawCall(b, enc('{"op":"recommend",'));
  assert.equal(status, 1);
  assert.equal(answer.error.code, 'BAD_REQUEST');
  assert.match(answer.error.message, /not valid JSON at byte/);
  recommendWorks(b);
});

test('a JSON value of the wrong type names the field', async () => {
  const b = await ready();
  expectError(() => b.call({ op: 'track', event: { type: 'view', item: 42 } }), 'BAD_EVENT', /event\.item.*expected a string/);
  expectError(() => b.call({ op: 'recommend', request: 'for_you' }), 'BAD_REQUEST', /request/);
  recommendWorks(b);
});

test('a 1 MB string field is refused', async () => {
  const b = await ready();
  b.call({ op: 'consent.grant', purpose: 'personalization', version: 'v1', now: NOW });
  expectError(() => b.call({ op: 'track', event: { type: 'view', item: 'x'.repeat(1 << 20) } }), 'BAD_EVENT', /1048576 bytes/);
  recommendWorks(b);
});

test('arrays nested 100,000 deep are refused', async () => {
  const b = await ready();
  const { answer } = rawCall(b, enc('['.repeat(100000) + ']'.repeat(100000)));
  assert.equal(answer.error.code, 'BAD_REQUEST');
  assert.match(answer.error.message, /nests deeper/);
  recommendWorks(b);
});

test('invalid UTF-8 is refused', async () => {
  const b = await ready();
  const bad = Uint8Array.from([...enc('{"op":"track","event":{"type":"view","item":"'), 0xc3, 0x28, ...enc('"}}')]);
  const { answer } = rawCall(b, bad);
  assert.equal(answer.error.code, 'BAD_REQUEST');
  assert.match(answer.error.message, /UTF-8/);
  recommendWorks(b);
});

test('empty and truncated byte buffers are refused', async () => {
  const b = await ready();
  expectError(() => b.call({ op: 'bundle.load' }), 'BAD_BUNDLE', /empty/);
  expectError(() => b.call({ op: 'bundle.load' }, enc('EMMABNDL\u0001')), 'BAD_BUNDLE');
  b.call({ op: 'vault.set_key', key_id: 'k1' }, new Uint8Array(32).fill(3));
  expectError(() => b.call({ op: 'profile.open' }), 'TAMPERED', /empty/);
  expectError(() => b.call({ op: 'profile.open' }, enc('EMPF')), 'TAMPERED');
  recommendWorks(b);
});

test('10,000 calls, success and error mixed, leave the wasm heap where it was', async () => {
  const b = await ready();
  b.call({ op: 'consent.grant', purpose: 'personalization', version: 'v1', now: NOW });
  b.call({ op: 'vault.set_key', key_id: 'k1' }, new Uint8Array(32).fill(5));
  // Warm up so lazily allocated state (profile maps, answer buffers) exists before measuring.
  const round = (i) => {
    switch (i % 6) {
      case 0: return b.call({ op: 'recommend', request: { limit: 5 }, now: NOW });
      case 1: return b.call({ op: 'track', event: { type: 'view', item: '85123A' }, now: NOW });
      case 2: return b.call({ op: 'track', event: { type: 'view', item: 'x'.repeat(300) } });
      case 3: return rawCall(b, enc('{"op":'));
      case 4: return b.call({ op: 'profile.seal' });
      default: return b.call({ op: 'bundle.load' }, enc('<html>404</html>'));
    }
  };
  // End the warm-up on the same kind of call as the measured run (9,999 % 6), so the answer
  // buffer the session keeps is the same size at both measurements.
  for (let i = 0; i < 64; i++) try { round(i); } catch { /* errors are part of the mix */ }
  const before = b.heapInUse();
  let errors = 0;
  for (let i = 0; i < 10000; i++) {
    try {
      round(i);
    } catch (err) {
      assert.ok(err instanceof EmmaError);
      errors++;
    }
  }
  const after = b.heapInUse();
  assert.ok(errors >= 3000, `errors in the mix: ${errors}`);
  // emmalloc counts a reused block with its rounding, so the bytes in use may differ by a
  // block's slack after a different sequence of sizes. A leak grows with the calls: even one
  // 16-byte block lost per thousand calls would be 160 bytes here.
  assert.ok(Math.abs(after - before) <= 64, `heap in use went from ${before} to ${after} bytes`);
});
