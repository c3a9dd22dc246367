// BENCHMARK BASELINE ONLY. A straightforward JavaScript implementation of the engine's
// for_you scoring (src/core/personal.cpp and recommend.cpp), so that the benchmark can
// compare the wasm engine with what a shop might write in JS. The product never uses it:
// every decision about a shopper lives in src/core.
const DAY = 86400000;
const HALF_LIFE_DAYS = 14;
const W = { view: 1, click: 1.5, add_to_cart: 3, purchase: 5 };
const BASKET_DECAY = 0.9;
const PURCHASE_HALF_LIFE = 120;
const VIEW_SHARE = 0.3;
const WEIGHTS = { own: 1, assoc: 0.35, category: 0.15, pop: 0.05 };

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
  const bought = new Map();
  let later = 0;
  for (let k = purchases.length - 1; k >= 0; k--) {
    if (k + 1 < purchases.length && purchases[k].at !== purchases[k + 1].at) later++;
    const i = index.get(purchases[k].item);
    if (i === undefined) continue;
    const age = Math.max(0, (now - purchases[k].at) / DAY);
    bought.set(i, (bought.get(i) || 0) + Math.pow(BASKET_DECAY, later) * Math.pow(2, -age / PURCHASE_HALF_LIFE));
  }
  normalize(bought);
  const looked = new Map();
  for (const [id, s] of interest) if (index.has(id)) looked.set(index.get(id), decay(s.w, s.at, now));
  normalize(looked);
  const own = new Map();
  for (const i of new Set([...bought.keys(), ...looked.keys()])) own.set(i, (bought.get(i) || 0) + VIEW_SHARE * (looked.get(i) || 0));
  normalize(own);
  const assoc = new Map();
  for (const [i, o] of own) for (const [j, s] of neighbours[i]) assoc.set(j, (assoc.get(j) || 0) + o * s);
  normalize(assoc);
  const catAff = new Map();
  for (const [path, s] of cats) catAff.set(path, decay(s.w, s.at, now));
  normalize(catAff);
  const pop = popularity['30d'] || Object.values(popularity)[0];
  const topPop = Math.max(...pop);
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
    const score = WEIGHTS.own * (own.get(i) || 0) + WEIGHTS.assoc * (assoc.get(i) || 0) + WEIGHTS.category * cat + WEIGHTS.pop * (pop[i] / topPop);
    if (score > 0) scored.push({ i, score });
  });
  scored.sort((a, b) => b.score - a.score || a.i - b.i);
  return scored.slice(0, limit).map(({ i, score }) => ({ ...items[i], score }));
}
