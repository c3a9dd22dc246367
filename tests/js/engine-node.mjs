// Test helper: the real wasm engine (Node build) behind the real Boundary class.
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { Boundary } from '../../js-bindings/src/boundary.js';

const require = createRequire(import.meta.url);
const dist = new URL('../../js-bindings/dist/', import.meta.url);

export async function loadBoundary() {
  const wasmBinary = new Uint8Array(await readFile(new URL('emma.wasm', dist)));
  const factory = require('../../js-bindings/dist/emma-node.cjs');
  const module = await factory({ wasmBinary, print: () => {}, printErr: () => {} });
  return new Boundary(module);
}

export function smallCatalog() {
  const items = [];
  const add = (id, title, category, popularity, inStock = true) =>
    items.push({ id, title, category, popularity, price: 2.5, currency: 'GBP', in_stock: inStock });
  add('85123A', 'WHITE HANGING HEART T-LIGHT HOLDER', 'Home > Candles', 100);
  add('71053', 'WHITE METAL LANTERN', 'Home > Candles', 40);
  add('21733', 'RED HANGING HEART T-LIGHT HOLDER', 'Home > Candles', 30);
  add('22720', 'SET OF 3 CAKE TINS PANTRY DESIGN', 'Kitchen > Baking', 90);
  add('22423', 'REGENCY CAKESTAND 3 TIER', 'Kitchen > Baking', 95);
  add('37370', 'RETRO COFFEE MUGS ASSORTED', 'Kitchen > Mugs', 20);
  add('85099B', 'JUMBO BAG RED RETROSPOT', 'Bags', 98);
  add('20725', 'LUNCH BAG RED RETROSPOT', 'Bags', 80, false);
  return { items };
}
