// The demo's "returning shopper with purchase history": one real customer of the Online
// Retail data (UCI 352), their orders of the demo catalog's items before the demo bundle's
// cut-off (2011-09-01, src/build/setup.sh), as order days and items. The customer id is not
// kept. The demo replays these orders shifted so that the cut-off is today
// (demo/public/shop.js), so the intervals between orders are the customer's own.
//
// usage: node demo/data/derive-returning.mjs ../shared/datasets/online-retail-uci/by-day > demo/returning-shopper.json
import { readFileSync } from 'node:fs';
import { loadRows } from '../../src/tools/eval/retail.mjs';

const CUSTOMER = '14849.0';  // 14 orders, 117 lines, 19 items bought on 3 days or more
const UNTIL = '2011-09-01';
const catalog = new Set(JSON.parse(readFileSync(new URL('../catalog.json', import.meta.url), 'utf8')).items.map((i) => i.id));
const orders = new Map();
for (const [date, , customer, item] of loadRows([process.argv[2]])) {
  if (customer !== CUSTOMER || date >= UNTIL || !catalog.has(item)) continue;
  const day = date.slice(0, 10);
  if (!orders.has(day)) orders.set(day, []);
  if (!orders.get(day).includes(item)) orders.get(day).push(item);
}
console.log(JSON.stringify({
  source: 'Online Retail (UCI Machine Learning Repository, dataset 352), CC BY 4.0: one customer, id not kept; demo/data/derive-returning.mjs',
  until: UNTIL,
  orders: [...orders].map(([day, items]) => ({ day, items })),
}));
