// A check for bias in the uplift simulation's "null" scenario (RESULTS.md, "Do the null
// estimates lean positive?"): the same shoppers as uplift-sim.mjs (both arms buy a recommended
// item with probability 0.1), but read before the noise: the engine's own counts
// (profile.export's experiment.counts.purchases) per arm, the answers with no items, and
// whether the answer's `personalized` agrees with the exported arm (the sim reads the arm from
// it). A sound engine shows equal true rates in both arms.
//
//   node src/tools/bench/uplift-null-check.mjs [shoppers=6000]
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadEngine, shopperVisit } from './uplift-sim.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const engine = await loadEngine();
const bundle = new Uint8Array(await readFile(root + '/build/demo/shop.bundle'));
const ids = JSON.parse(await readFile(root + '/demo/catalog.json', 'utf8')).items.map((i) => i.id);
const now = Date.UTC(2026, 10, 2, 12);
let clock = now;
const call = (msg, bytes) => engine.call({ now: clock, ...msg }, bytes).result;
call({ op: 'configure', shop: 'uplift-sim', insights: { epsilon: 2, daily_epsilon: 2 }, experiment: { id: 'diag', control: 0.5, ends: '2026-12-31' } });
call({ op: 'bundle.load' }, bundle);
const grant = { version: 'sim', text: 'sim', source: 'api' };
// The shoppers' behaviour: a fixed-seed generator (their choices, not the engine's randomness).
let seed = 7;
const rand = () => { seed = (seed * 1103515245 + 12345) % 2147483648; return seed / 2147483648; };
const st = { control: { n: 0, bought: 0, empty: 0, mismatch: 0, bit: 0 }, personalized: { n: 0, bought: 0, empty: 0, mismatch: 0, bit: 0 } };
const N = Number(process.argv[2] || 6000);
const rate = (r) => ({ control: r, personalized: r });
for (let s = 0; s < N; s++) {
  clock = now + s * 20;
  const { items, arm } = shopperVisit({ call, clock: () => clock, advance: (ms) => { clock += ms; }, grant, ids, rand, click: rate(0.3), buy: rate(0.1) });
  const r = call({ op: 'insights.report', max: 1 }).reports[0];
  const x = call({ op: 'profile.export' }).experiment;
  const a = st[x.arm];
  a.n++; a.bought += x.counts.purchases > 0; a.empty += items.length === 0; a.mismatch += arm !== x.arm; a.bit += r.bought;
}
for (const [arm, a] of Object.entries(st)) console.log(arm, a, 'true bought rate', (a.bought / a.n).toFixed(4), 'noised bit rate', (a.bit / a.n).toFixed(4));
