// Numbers read by the wasm engine are exact: every double sent in JSON comes back as the
// same double. The wasm build reads JSON numbers with JavaScript's Number() instead of
// musl's strtod (src/wasm/strtod.c); a reader off by one unit in the last place, or one that
// misread an exponent, a sign or a subnormal, fails here.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadBoundary } from './engine-node.mjs';

// Doubles that are hard to read: halfway cases, the smallest and largest, subnormals, long
// mantissas, plus a seeded spread over the whole exponent range.
function hardDoubles() {
  const out = [0, 0.1, 0.2, 0.3, 0.1 + 0.2, 1 / 3, 2 / 3, Math.PI, Math.E, 1e-7, 1e21, 1e22, 1e23, 123456.789,
    5e-324, 1e-323, 2.2250738585072014e-308, 2.2250738585072011e-308, 4.9406564584124654e-324,
    1.7976931348623157e308, 8.98846567431158e307, 9007199254740993.5, 2 ** 53 + 2, 0.000001, 1.5e-5,
    7.038531e-26, 9.109383e-31, 1.00000000000000011, 0.9999999999999999, 2.675, 1.005, 4.35];
  let x = 0x9e3779b97f4a7c15n;
  const next = () => {
    x ^= x << 13n; x &= (1n << 64n) - 1n;
    x ^= x >> 7n;
    x ^= x << 17n; x &= (1n << 64n) - 1n;
    return x;
  };
  const view = new DataView(new ArrayBuffer(8));
  while (out.length < 400) {
    view.setBigUint64(0, next() & 0x7fefffffffffffffn);  // positive, finite
    const d = view.getFloat64(0);
    if (Number.isFinite(d)) out.push(d);
  }
  return out;
}

// A request as text, not through JSON.stringify.
function rawCall(b, text) {
  const m = b.module;
  const bytes = new TextEncoder().encode(text);
  const req = m._emma_alloc(bytes.length);
  m.HEAPU8.set(bytes, req);
  m._emma_call(b.session, req, bytes.length, 0, 0);
  m._emma_free(req);
  const p = m._emma_answer_json(b.session);
  return JSON.parse(new TextDecoder().decode(m.HEAPU8.subarray(p, p + m._emma_answer_json_len(b.session))));
}

test('every double sent to the engine comes back the same (JSON numbers read exactly)', async () => {
  const b = await loadBoundary();
  const prices = hardDoubles();
  const items = prices.map((price, k) => ({ id: `n${k}`, title: `Number ${k}`, price }));
  b.call({ op: 'configure', shop: 'numbers' });
  b.call({ op: 'catalog.load', catalog: { items } });
  const back = new Map();
  for (let k = 0; k < items.length; k += 100) {
    const { result } = b.call({ op: 'recommend', request: { scenario: 'rerank', items: items.slice(k, k + 100).map((i) => i.id), limit: 100 } });
    for (const item of result.items) back.set(item.id, item.price);
  }
  assert.equal(back.size, items.length);
  const wrong = items.filter((i) => !Object.is(back.get(i.id), i.price)).map((i) => `${i.price} -> ${back.get(i.id)}`);
  assert.deepEqual(wrong, []);
});

test('numbers in the request text: exponents, signs and an integer too large for 64 bits', async () => {
  const b = await loadBoundary();
  b.call({ op: 'configure', shop: 'numbers' });
  b.call({ op: 'catalog.load', catalog: { items: [{ id: 'a', title: 'A', price: 1 }] } });
  // Written by hand, not by JSON.stringify: forms a page's own JSON may use.
  const texts = ['1E2', '1e+2', '12.5e-1', '0e0', '0.000e5', '123456789012345678901234567890', '2.5E-3', '1.7976931348623157e308'];
  for (const text of texts) {
    const raw = `{"op":"catalog.load","catalog":{"items":[{"id":"a","title":"A","price":${text}}]}}`;
    const answer = rawCall(b, raw);
    assert.ok(!answer.error, `${text}: ${JSON.stringify(answer.error)}`);
    const expected = Number(text);
    const { result } = b.call({ op: 'recommend', request: { scenario: 'rerank', items: ['a'] } });
    assert.ok(Object.is(result.items[0].price, expected), `${text} read as ${result.items[0].price}`);
  }
});
