// The privacy centre's "Forget" controls (Art. 16) on the demo shop in Chromium: forgetting
// an item and a category through the buttons changes what the engine holds (profile.export)
// and what the centre shows, and the rest of the profile stays.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { serverAndBrowser } from './harness.mjs';
import { emmaCall, emmaSettled, watchedPage } from './embed-kit.mjs';

const GRANT = { version: '2026-11', text: 'Emma may personalize this shop.', source: 'banner', lang: 'en' };

test('privacy centre: Forget an item and Forget a category remove them from the profile', async (t) => {
  const { server, browser } = await serverAndBrowser(t);
  const { page, seen } = await watchedPage(browser.context);
  await page.goto(`${server.origin}/`);
  assert.equal(await emmaSettled(page), 'ready');
  await emmaCall(page, 'consent.grant', 'personalization', GRANT);
  // Views in more than one category, so that something must remain after each forget.
  const catalog = await (await fetch(`${server.origin}/catalog.json`)).json();
  // Categories as the engine spells them ("Home > Candles" -> "Home/Candles").
  const byCategory = new Map();
  for (const item of catalog.items) {
    const key = [].concat(item.category).join(' > ').split(/\s*>\s*/).join('/');
    if (!byCategory.has(key)) byCategory.set(key, []);
    byCategory.get(key).push(item.id);
  }
  const inside = (a, b) => a === b || a.startsWith(`${b}/`) || b.startsWith(`${a}/`);
  const cats = [...byCategory.keys()].filter((c) => byCategory.get(c).length >= 2);
  const firstCat = cats[0];
  const secondCat = cats.find((c) => !inside(c, firstCat));
  const [first, second] = [byCategory.get(firstCat), byCategory.get(secondCat)];
  for (const item of [first[0], first[1], second[0]]) await emmaCall(page, 'track', { type: 'view', item });
  const before = await emmaCall(page, 'profile.export');
  assert.ok(before.interests.items[first[0]] > 0 && before.interests.items[second[0]] > 0, JSON.stringify(before.interests));

  await page.click('header [data-emma-privacy]');
  await page.waitForSelector('dialog.emma-centre[open]');
  // Forget one item: its row and its interest go, the other items stay.
  const row = `[data-emma-known="${first[0]}"]`;
  assert.ok(await page.$(row), 'the item is listed with its own Forget button');
  await page.click(`${row} [data-emma-forget]`);
  await page.waitForSelector(row, { state: 'detached' });
  const afterItem = await emmaCall(page, 'profile.export');
  assert.equal(afterItem.interests.items[first[0]], undefined, 'the item is forgotten');
  assert.ok(afterItem.interests.items[second[0]] > 0, 'the other items stay');
  assert.ok(!afterItem.recently_viewed.some((r) => r.item === first[0]), 'and it is no longer in recently viewed');

  // Forget a whole category from the interest chart.
  assert.ok(afterItem.interests.categories[secondCat] > 0, `${secondCat} is among ${Object.keys(afterItem.interests.categories).join(', ')}`);
  const button = `dialog.emma-centre [data-emma-forget='${JSON.stringify({ category: secondCat })}']`;
  assert.ok(await page.$(button), `a Forget button for the category ${secondCat}`);
  assert.match(await page.getAttribute(button, 'aria-label'), /Forget/);
  await page.click(button);
  await page.waitForSelector(button, { state: 'detached' });
  const afterCat = await emmaCall(page, 'profile.export');
  assert.equal(afterCat.interests.categories[secondCat], undefined, 'the category is forgotten');
  assert.equal(afterCat.interests.items[second[0]], undefined, "and the category's items with it");
  assert.ok(afterCat.interests.items[first[1]] > 0, 'items of other categories stay');
  assert.equal(await page.$(`[data-emma-known="${second[0]}"]`), null, 'the centre no longer lists it');
  assert.deepEqual(seen.errors, []);
});
