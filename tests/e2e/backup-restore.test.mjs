// Profiles that survive the browser's own clean-ups (Safari deletes a site's storage after
// 7 days without a visit; other browsers evict under pressure): in each engine, a shopper
// downloads a passphrase backup from the privacy centre of the demo shop, the site's storage
// is wiped (a fresh browser profile), and the backup restored in the centre brings back the
// same recommendations. A wrong passphrase changes nothing and says so.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { ENGINES, launchEngine, serverAndEngine, storedAnything } from './drivers/index.mjs';
import { emmaSettled } from './embed-kit.mjs';

const catalog = JSON.parse(await readFile(new URL('../../demo/catalog.json', import.meta.url), 'utf8'));
const bags = catalog.items.filter((i) => i.category === 'Bags').slice(0, 4).map((i) => i.id);
const PASS = 'correct horse battery staple';

async function visit(page, origin, where) {
  await page.goto(origin + where);
  assert.equal(await emmaSettled(page), 'ready', `Emma did not start on ${where}`);
}

const forYou = (page) => page.$$eval('#for-you [data-emma-slot] [data-emma-item]', (els) => els.map((e) => e.dataset.emmaItem));

async function consentAndOpenCentre(page) {
  await page.click('[data-emma-choice="yes"]');
  await page.waitForSelector('[data-emma-ui="banner"]', { state: 'detached' });
  await page.click('header [data-emma-privacy]');
  await page.waitForSelector('dialog.emma-centre[open] #emma-pass');
}

for (const engine of ENGINES) {
  test(`${engine}: a profile wiped between two visits comes back from the downloaded backup`, async (t) => {
    const { server, browser: first } = await serverAndEngine(t, engine);
    let page = await first.newPage();
    await visit(page, server.origin, '/');
    await consentAndOpenCentre(page);
    await page.press('Escape');
    for (const id of bags) await visit(page, server.origin, `/product/${id}`);
    await visit(page, server.origin, '/');
    assert.equal(await page.getAttribute('#for-you [data-emma-slot]', 'data-emma-personalized'), 'true');
    const before = await forYou(page);

    await page.click('header [data-emma-privacy]');
    await page.waitForSelector('dialog.emma-centre[open] #emma-pass');
    await page.fill('#emma-pass', PASS);
    const backup = await page.download('[data-emma-action="backup"]');
    assert.ok(backup.length > 100, `a backup of ${backup.length} bytes`);
    assert.ok(!backup.toString('latin1').includes(bags[0]), 'the backup is sealed: no item id in plaintext');

    // The wipe: the next visit comes with a browser profile that holds nothing of the shop.
    const second = await launchEngine(engine);
    t.after(() => second.close());
    page = await second.newPage();
    await visit(page, server.origin, '/');
    assert.deepEqual((await storedAnything(page, server, server.requests.length)).indexedDB, []);
    assert.equal(await page.getAttribute('#for-you [data-emma-slot]', 'data-emma-personalized'), 'false');
    await consentAndOpenCentre(page);

    // A wrong passphrase: an error in the centre, the profile unchanged.
    await page.fill('#emma-pass', 'not the passphrase');
    await page.setFile('#emma-file', backup, 'emma-backup.bin');
    // While the key is derived the centre says it is working; then the error replaces it.
    await page.waitFor(() => /does not open/.test(document.querySelector('dialog.emma-centre [role="alert"]')?.textContent), null, { timeout: 120000, what: 'the error of a wrong passphrase' });
    assert.equal(await page.evaluate(() => new Promise((r) => window.emma('profile.export', (e, x) => r(x.event_count)))), 0);
    // The file input is emptied, so that choosing the same file again is a change.
    assert.equal(await page.evaluate(() => document.querySelector('#emma-file').files.length), 0);

    await page.fill('#emma-pass', PASS);
    await page.setFile('#emma-file', backup, 'emma-backup.bin');
    await page.waitFor(() => new Promise((r) => window.emma('profile.export', (e, x) => r(x && x.event_count > 0))), null, { timeout: 120000, what: 'the restored profile' })
      .catch(async (e) => assert.fail(`${e.message}; the centre says: ${await page.evaluate(() => [document.querySelector('dialog.emma-centre [role="alert"]')?.textContent, document.querySelector('#emma-pass')?.value])}`));
    await page.press('Escape');
    await visit(page, server.origin, '/');
    assert.equal(await page.getAttribute('#for-you [data-emma-slot]', 'data-emma-personalized'), 'true');
    assert.deepEqual(await forYou(page), before, 'the same recommendations as before the wipe');
    assert.deepEqual(page.seen.errors, []);
  });
}
