// Deterministic synthetic shops for benchmarks: a catalog of N items in 20 x 10 categories
// and an order log whose baskets stay mostly within a category, so the model has neighbours.
export function rng(seed) {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function catalog(n, seed = 1) {
  const r = rng(seed);
  const items = [];
  for (let i = 0; i < n; i++) {
    const top = i % 20;
    const sub = Math.floor(i / 20) % 10;
    items.push({
      id: `SKU${String(i).padStart(7, '0')}`,
      title: `Product ${i} of line ${top}-${sub}`,
      url: `/p/${i}`,
      category: [`Dept ${top}`, `Line ${top}-${sub}`],
      brand: `Brand ${Math.floor(r() * 50)}`,
      price: Math.round(r() * 10000) / 100,
      currency: 'EUR',
      in_stock: r() > 0.1,
    });
  }
  return { items };
}

// JSON Lines purchase events: `baskets` baskets of 2-6 items from one line, by `customers` customers.
export function* orders(n, baskets, customers, seed = 2) {
  const r = rng(seed);
  const day = 86400000;
  const start = Date.UTC(2026, 0, 1);
  for (let b = 0; b < baskets; b++) {
    const customer = `c${Math.floor(r() * customers)}`;
    const line = Math.floor(r() * 200);
    const size = 2 + Math.floor(r() * 5);
    const at = start + Math.floor((b / baskets) * 180 * day);
    for (let k = 0; k < size; k++) {
      // Items of one line: i % 20 == top and floor(i / 20) % 10 == sub; popular ones more often.
      const block = Math.floor(Math.pow(r(), 3) * Math.floor(n / 200));
      const i = (line % 20) + 20 * ((Math.floor(line / 20) % 10) + 10 * block);
      if (i < n) yield JSON.stringify({ customer, basket: `b${b}`, item: `SKU${String(i).padStart(7, '0')}`, at, quantity: 1 });
    }
  }
}

// A shopper with `count` events: views across a few lines, some purchases.
export function profileEvents(n, count, now, seed = 3) {
  const r = rng(seed);
  const events = [];
  for (let k = 0; k < count; k++) {
    const line = Math.floor(r() * 8) * 7;
    const i = Math.min(n - 1, (line % 20) + 20 * ((Math.floor(line / 20) % 10) + 10 * Math.floor(r() * Math.max(1, Math.floor(n / 200)))));
    const type = r() < 0.2 ? 'purchase' : 'view';
    events.push({ type, item: `SKU${String(i).padStart(7, '0')}`, at: now - Math.floor(r() * 90) * 86400000 - k });
  }
  return events.sort((a, b) => a.at - b.at);
}
