// Derives the demo shop's catalog from the Online Retail order log (UCI dataset 352,
// CC BY 4.0; Chen, Sain & Guo 2012): real titles and prices of the most-bought items
// before the demo's cut-off date, with categories assigned by keyword rules.
//
// Method: keep purchase rows (CustomerID set, invoice not a cancellation, quantity > 0,
// stock code with a digit) dated before --before; rank items by distinct baskets; take the
// top --items; title = the most frequent description; price = the median unit price;
// popularity = distinct baskets in the last 30 days before the cut-off. The category is the
// first rule below whose keyword appears in the title (word match), else "Gifts > Other".
//
// usage: node demo/data/derive-catalog.mjs --orders <dir> [--before 2011-09-01] [--items 240] > demo/catalog.json
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';

const RULES = [
  ['Home > Candles & Lights', ['T-LIGHT', 'CANDLE', 'LANTERN', 'LIGHTS', 'LAMP', 'TEALIGHT', 'NIGHT LIGHT']],
  ['Kitchen > Baking', ['CAKE', 'BAKING', 'CAKESTAND', 'CUPCAKE', 'PANTRY', 'APRON', 'JELLY MOULD']],
  ['Kitchen > Tableware', ['MUG', 'CUP', 'PLATE', 'BOWL', 'TEA', 'NAPKIN', 'BEAKER', 'JUG', 'TRAY', 'LUNCH BOX', 'BOTTLE', 'STRAWS']],
  ['Bags', ['BAG', 'SHOPPER', 'CHARLOTTE', 'PURSE']],
  ['Home > Decoration', ['HEART', 'SIGN', 'FRAME', 'CLOCK', 'WREATH', 'HOOK', 'HANGER', 'DOORSTOP', 'CUSHION', 'MIRROR', 'BUNTING', 'GARLAND', 'DECORATION', 'ORNAMENT', 'BIRD']],
  ['Stationery', ['CARD', 'PAPER', 'NOTEBOOK', 'PEN', 'PENCIL', 'WRAP', 'TAPE', 'STICKER', 'ENVELOPE', 'CALENDAR', 'CHALK']],
  ['Party', ['PARTY', 'BALLOON', 'BIRTHDAY', 'CRACKER', 'POPCORN']],
  ['Toys & Kids', ['TOY', 'DOLL', 'GAME', 'SPACEBOY', 'DOLLY', 'CHILDRENS', "CHILDREN'S", 'KIDS', 'PLAYHOUSE', 'SKITTLES']],
  ['Garden', ['GARDEN', 'PLANT', 'WATERING', 'HERB', 'POT']],
  ['Storage', ['BOX', 'TIN', 'BASKET', 'CASE', 'HOLDER', 'DRAWER', 'JAR']],
];

function args() {
  const a = process.argv.slice(2);
  const get = (name, dflt) => {
    const i = a.indexOf(name);
    return i >= 0 ? a[i + 1] : dflt;
  };
  return { orders: get('--orders'), before: get('--before', '2011-09-01'), items: Number(get('--items', '240')) };
}

// RFC 4180 line split: fields with commas are double-quoted.
function splitCsv(line) {
  const out = [];
  let cur = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (quoted) {
      if (c === '"' && line[i + 1] === '"') { cur += '"'; i++; }
      else if (c === '"') quoted = false;
      else cur += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') { out.push(cur); cur = ''; }
    else cur += c;
  }
  out.push(cur);
  return out;
}

function category(title) {
  const words = ` ${title.toUpperCase().replace(/[^A-Z0-9' -]/g, ' ')} `;
  for (const [cat, keys] of RULES) if (keys.some((k) => words.includes(` ${k} `) || words.includes(` ${k}S `))) return cat;
  return 'Gifts > Other';
}

const { orders, before, items } = args();
if (!orders) {
  console.error('usage: node derive-catalog.mjs --orders <dir> [--before YYYY-MM-DD] [--items N]');
  process.exit(2);
}
const recentFrom = new Date(Date.parse(before) - 30 * 86400000).toISOString().slice(0, 10);
const stats = new Map();
for (const file of readdirSync(orders).filter((f) => f.endsWith('.csv')).sort()) {
  if (file.slice(0, 10) >= before) continue;
  const lines = readFileSync(path.join(orders, file), 'utf8').split('\n');
  for (const line of lines.slice(1)) {
    if (!line) continue;
    const [invoice, code, desc, qty, date, price, customer] = splitCsv(line);
    if (!customer || invoice.startsWith('C') || !(Number.parseInt(qty, 10) > 0) || !/\d/.test(code)) continue;
    let s = stats.get(code);
    if (!s) stats.set(code, (s = { baskets: new Set(), recent: new Set(), titles: new Map(), prices: [] }));
    s.baskets.add(invoice);
    if (date.slice(0, 10) >= recentFrom) s.recent.add(invoice);
    if (desc) s.titles.set(desc, (s.titles.get(desc) || 0) + 1);
    s.prices.push(Number(price));
  }
}
const ranked = [...stats.entries()].sort((a, b) => b[1].baskets.size - a[1].baskets.size || (a[0] < b[0] ? -1 : 1)).slice(0, items);
const catalog = {
  source: 'Online Retail (UCI ML Repository, dataset 352), CC BY 4.0: Chen, Sain & Guo (2012), doi:10.1057/dbm.2012.17',
  derived: `top ${items} items by distinct baskets before ${before}; categories by keyword rules (demo/data/derive-catalog.mjs)`,
  items: ranked.map(([code, s]) => {
    const title = [...s.titles.entries()].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))[0][0].trim();
    const prices = s.prices.filter((p) => p > 0).sort((a, b) => a - b);
    const price = prices.length ? prices[Math.floor(prices.length / 2)] : 0;
    return {
      id: code,
      title,
      url: `/product/${encodeURIComponent(code)}`,
      category: category(title),
      price,
      currency: 'GBP',
      in_stock: true,
      popularity: s.recent.size,
    };
  }),
};
process.stdout.write(`${JSON.stringify(catalog, null, 1)}\n`);
