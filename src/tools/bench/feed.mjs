// npm run bench:feed [-- --items 1000000] [-- --json]
//
// Reading a large Google Merchant feed: a synthetic RSS feed of N items (every 5th product
// in four sizes sharing an item_group_id, sale prices, custom labels, a description the
// importer skips), read by `emma-model check` (the importer alone) and `emma-model pack`
// (importer, variant folding and the bundle writer), each under /usr/bin/time -v for its
// peak resident memory. The feed is streamed through expat, so the importer's memory is the
// catalog it keeps, not the document.
import { execFileSync } from 'node:child_process';
import { createWriteStream, mkdtempSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const args = process.argv.slice(2);
const value = (flag, dflt) => (args.includes(flag) ? args[args.indexOf(flag) + 1] : dflt);
const items = Number(value('--items', '1000000'));
const emmaModel = path.join(root, 'build/native/emma-model');
const tmp = mkdtempSync(path.join(os.tmpdir(), 'emma-feed-'));
const feed = path.join(tmp, 'feed.xml');

async function writeFeed() {
  const out = createWriteStream(feed);
  const write = (s) => (out.write(s) ? null : new Promise((r) => out.once('drain', r)));
  await write('<?xml version="1.0" encoding="UTF-8"?>\n<rss version="2.0" xmlns:g="http://base.google.com/ns/1.0"><channel><title>Synthetic</title>\n');
  const sizes = ['S', 'M', 'L', 'XL'];
  let chunk = '';
  for (let i = 0; i < items; i++) {
    const product = Math.floor(i / 4);
    const variant = i % 20 < 4;  // 4 of every 20 items are the sizes of one product
    const id = variant ? `SKU-${product}-${sizes[i % 4]}` : `SKU-${i}`;
    chunk += `<item><g:id>${id}</g:id><g:title>Product number ${i} in a long enough title for a shop</g:title>`
      + `<g:description>A description of item ${i}, which a feed always carries and the importer does not keep.</g:description>`
      + `<g:link>https://shop.example/products/product-${variant ? product : i}</g:link>`
      + `<g:image_link>https://cdn.shop.example/images/${i}.jpg</g:image_link>`
      + `<g:product_type>Department ${i % 12} &gt; Aisle ${i % 97} &gt; Shelf ${i % 5}</g:product_type>`
      + `<g:brand>Brand ${i % 400}</g:brand><g:price>${(i % 997) + 0.99} EUR</g:price>`
      + (i % 7 === 0 ? `<g:sale_price>${(i % 997) * 0.8 + 0.49} EUR</g:sale_price>` : '')
      + `<g:availability>${i % 11 === 0 ? 'out_of_stock' : 'in_stock'}</g:availability>`
      + (variant ? `<g:item_group_id>P-${product}</g:item_group_id>` : '')
      + `<g:custom_label_0>label ${i % 9}</g:custom_label_0></item>\n`;
    if (chunk.length > 1 << 20) {
      const p = write(chunk);
      chunk = '';
      if (p) await p;
    }
  }
  await write(`${chunk}</channel></rss>\n`);
  await new Promise((r) => out.end(r));
}

function timeV(cmd) {
  // /usr/bin/time -v writes to stderr; run through a shell to keep stderr.
  const t0 = process.hrtime.bigint();
  const out = execFileSync('sh', ['-c', `/usr/bin/time -v "$@" 2>&1 >/dev/null`, 'sh', emmaModel, ...cmd], { maxBuffer: 1 << 26 }).toString();
  const kb = Number(/Maximum resident set size \(kbytes\): (\d+)/.exec(out)[1]);
  return { seconds: Number(process.hrtime.bigint() - t0) / 1e9, peak_mb: Math.round(kb / 102.4) / 10 };
}

await writeFeed();
const feedMb = Math.round(statSync(feed).size / 1e5) / 10;
const check = timeV(['check', '--catalog', feed]);
const pack = timeV(['pack', '--catalog', feed, '--out', path.join(tmp, 'shop.bundle')]);
const bundleMb = Math.round(statSync(path.join(tmp, 'shop.bundle')).size / 1e5) / 10;
rmSync(tmp, { recursive: true, force: true });
const result = { items, feed_mb: feedMb, check, pack, bundle_mb: bundleMb };
if (!args.includes('--json')) {
  console.log(`feed of ${items} items (${feedMb} MB): check ${check.seconds.toFixed(1)} s, peak ${check.peak_mb} MB; `
    + `pack ${pack.seconds.toFixed(1)} s, peak ${pack.peak_mb} MB, bundle ${bundleMb} MB`);
}
console.log(JSON.stringify(result));
