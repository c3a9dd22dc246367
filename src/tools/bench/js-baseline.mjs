// BENCHMARK BASELINE ONLY. A straightforward JavaScript implementation of the engine's
// for_you scoring (src/core/personal.cpp and recommend.cpp), so that the benchmark can
// compare the wasm engine with what a shop might write in JS. The product never uses it:
// every decision about a shopper lives in src/core.
const DAY = 86400000;
const HALF_LIFE_DAYS = 14;
const W = { view: 1, click: 1.5, add_to_cart: 3, purchase: 5 };
const POP_EXPONENT = 0.3;
const VIEW_SHARE = 0.3;
const TIER = { assoc: 0.6, looked: 0.3, category: 0.1 };

const decay = (w, at, now) => w * Math.pow(2, -Math.max(0, now - at) / DAY / HALF_LIFE_DAYS);
const normalize = (m) => {
  let top = 0;
  for (const v of m.values()) top = Math.max(top, v);
  if (top > 0) for (const [k, v] of m) m.set(k, v / top);
  return m;
};

export function forYou(shop, events, now, limit = 8) {
  const { items, popularity, neighbours } = shop;
  const index = new Map(items.map((it, i) => [it.id, i]));
  // The profile: decayed interest per item and per category path, purchase lines.
  const interest = new Map();
  const cats = new Map();
  const purchases = [];
  const add = (map, key, delta, at) => {
    const s = map.get(key);
    if (!s) map.set(key, { w: delta, at });
    else if (at >= s.at) map.set(key, { w: decay(s.w, s.at, at) + delta, at });
    else s.w += delta * Math.pow(2, -(s.at - at) / DAY / HALF_LIFE_DAYS);
  };
  for (const e of events) {
    const w = e.type === 'purchase' ? W.purchase * Math.log2(1 + (e.quantity || 1)) : W[e.type];
    if (e.type === 'purchase') purchases.push(e);
    add(interest, e.item, w, e.at);
    const it = items[index.get(e.item)];
    if (it && it.category) {
      let path = '';
      it.category.forEach((part, d) => {
        path = path ? `${path}/${part}` : part;
        add(cats, path, (w * (d + 1)) / it.category.length, e.at);
      });
    }
  }
  // Distinct baskets (purchase times) per bought item.
  const bought = new Map();
  const lastAt = new Map();
  for (const p of purchases.sort((a, b) => a.at - b.at)) {
    const i = index.get(p.item);
    if (i === undefined) continue;
    if (lastAt.get(i) !== p.at) bought.set(i, (bought.get(i) || 0) + 1);
    lastAt.set(i, p.at);
  }
  const looked = new Map();
  for (const [id, s] of interest) if (index.has(id)) looked.set(index.get(id), decay(s.w, s.at, now));
  normalize(looked);
  const own = new Map();
  for (const [i, v] of bought) own.set(i, v);
  for (const [i, v] of looked) own.set(i, (own.get(i) || 0) + VIEW_SHARE * v);
  normalize(own);
  const assoc = new Map();
  for (const [i, o] of own) for (const [j, s] of neighbours[i]) assoc.set(j, (assoc.get(j) || 0) + o * s);
  normalize(assoc);
  const catAff = new Map();
  for (const [path, s] of cats) catAff.set(path, decay(s.w, s.at, now));
  normalize(catAff);
  const popRaw = popularity['30d'] || Object.values(popularity)[0];
  // A loop, not Math.max(...popRaw): spreading 1M arguments overflows the stack.
  const topPop = popRaw.reduce((a, b) => Math.max(a, b), -Infinity);
  let topBought = 0;
  for (const [i, n] of bought) topBought = Math.max(topBought, n * Math.pow(1 + popRaw[i], POP_EXPONENT));
  const scored = [];
  items.forEach((it, i) => {
    let cat = 0;
    if (it.category) {
      let path = '';
      it.category.forEach((part, d) => {
        path = path ? `${path}/${part}` : part;
        cat = Math.max(cat, (d === it.category.length - 1 ? 1 : 0.5) * (catAff.get(path) || 0));
      });
    }
    let score;
    if (bought.has(i)) score = 2 + (bought.get(i) * Math.pow(1 + popRaw[i], POP_EXPONENT)) / topBought;
    else if (assoc.get(i) > 0 || looked.get(i) > 0) score = 1 + TIER.assoc * (assoc.get(i) || 0) + TIER.looked * (looked.get(i) || 0) + TIER.category * cat;
    else score = 0.5 * cat + 0.5 * (topPop > 0 ? popRaw[i] / topPop : 0) * 0.999;
    if (score > 0) scored.push({ i, score });
  });
  scored.sort((a, b) => b.score - a.score || a.i - b.i);
  return scored.slice(0, limit).map(({ i, score }) => ({ ...items[i], score }));
}
