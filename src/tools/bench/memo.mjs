// node src/tools/bench/memo.mjs [--items 10000] [--pages 1000] [--json] [--smoke]
//
// A returning shopper of a sharded catalog (docs/catalog-size.md, "remembered items"), page by
// page: each product page of a new item fetches its shard (`shard.load`), tracks the view
// (`track`: the item is remembered with the profile) and seals the profile (`profile.seal`), as
// the npm package does after every event. Reports the mean ms of each step over the first and
// the last 100 pages (the last ones with up to `--pages` remembered items), the record's bytes,
// and how many seals wrote a whole new snapshot rather than appending a frame (a snapshot has a
// new random nonce in its first bytes). The real wasm engine through the real boundary; the
// synthetic shop of synth.mjs, built and split with emma-model at its defaults. Times are for
// ratios within one run: the machine is shared.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { openEngine } from '../eval/engine.mjs';
import { catalog, orders } from './synth.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const emmaModel = path.join(root, 'build/native/emma-model');
const args = process.argv.slice(2);
const smoke = args.includes('--smoke');
const arg = (name, d) => (args.includes(name) ? Number(args[args.indexOf(name) + 1]) : d);
const n = arg('--items', smoke ? 2000 : 10000);
const pages = Math.min(n, arg('--pages', smoke ? 120 : 1000));
const window = Math.min(100, Math.floor(pages / 2));

const dir = mkdtempSync(path.join(os.tmpdir(), 'emma-memo-'));
try {
  writeFileSync(path.join(dir, 'catalog.json'), JSON.stringify(catalog(n)));
  writeFileSync(path.join(dir, 'orders.jsonl'), [...orders(n, n * 3, n)].join('\n') + '\n');
  const whole = path.join(dir, 'shop.bundle');
  execFileSync(emmaModel, ['build', '--catalog', path.join(dir, 'catalog.json'), '--orders', path.join(dir, 'orders.jsonl'), '--out', whole], { stdio: 'ignore' });
  const out = path.join(dir, 'sharded');
  mkdirSync(out);
  execFileSync(emmaModel, ['shard', '--bundle', whole, '--out', path.join(out, 'shop.bundle')], { stdio: 'ignore' });

  const engine = await openEngine();
  const now = Date.UTC(2026, 10, 30);
  engine.call({ op: 'configure', shop: 'bench' });
  engine.call({ op: 'bundle.load' }, new Uint8Array(readFileSync(path.join(out, 'shop.bundle'))));
  engine.call({ op: 'consent.grant', purpose: 'personalization', version: 'bench', now });
  engine.call({ op: 'vault.set_key', key_id: 'bench', created_at: now }, new Uint8Array(32).fill(7));
  let record = engine.call({ op: 'profile.seal', now }).bytes;
  const ms = { shard: [], track: [], seal: [] };
  let snapshots = 0;
  const timed = (f) => {
    const t = performance.now();
    const r = f();
    return [performance.now() - t, r];
  };
  for (let k = 0; k < pages; k++) {
    const item = `SKU${String((k * 7919) % n).padStart(7, '0')}`;  // a new item each page (7919 is prime)
    let shard = 0;
    for (const name of engine.call({ op: 'shards.needed', request: { item } }).result.fetch) {
      const bytes = new Uint8Array(readFileSync(path.join(out, name)));
      shard += timed(() => engine.call({ op: 'shard.load', name }, bytes))[0];
    }
    ms.shard.push(shard);
    ms.track.push(timed(() => engine.call({ op: 'track', event: { type: 'view', item }, now: now + k }))[0]);
    const [t, sealed] = timed(() => engine.call({ op: 'profile.seal', now: now + k }));
    ms.seal.push(t);
    if (Buffer.compare(Buffer.from(record.subarray(0, 64)), Buffer.from(sealed.bytes.subarray(0, 64))) !== 0) snapshots++;
    record = sealed.bytes;
  }
  const mean = (xs) => Math.round((xs.reduce((a, b) => a + b, 0) / xs.length) * 100) / 100;
  const result = { items: n, pages, window, record_bytes: record.length, snapshots, appended: pages - snapshots };
  for (const [key, xs] of Object.entries(ms)) result[`${key}_ms`] = [mean(xs.slice(0, window)), mean(xs.slice(-window))];
  // The record opens on a new visit (the head alone) with every remembered item: a for_you
  // that lacks nothing.
  const later = await openEngine();
  later.call({ op: 'configure', shop: 'bench' });
  later.call({ op: 'bundle.load' }, new Uint8Array(readFileSync(path.join(out, 'shop.bundle'))));
  later.call({ op: 'vault.set_key', key_id: 'bench', created_at: now }, new Uint8Array(32).fill(7));
  const [openMs] = timed(() => later.call({ op: 'profile.open', now: now + pages }, record));
  result.open_ms = mean([openMs]);
  result.reopened_partial = later.call({ op: 'recommend', request: { scenario: 'for_you', limit: 8 }, now: now + pages }).result.partial;
  if (!args.includes('--json')) {
    console.log(`${pages} product pages of new items, ${n} items in ${path.basename(out)}: first/last ${window} pages, ms`);
    console.log(`  shard.load ${result.shard_ms.join(' / ')}, track ${result.track_ms.join(' / ')}, profile.seal ${result.seal_ms.join(' / ')}`);
    console.log(`  ${snapshots} snapshots, ${result.appended} appended frames; record ${record.length} bytes, opened in ${result.open_ms} ms`);
  }
  console.log(JSON.stringify(result));
} finally {
  rmSync(dir, { recursive: true, force: true });
}
