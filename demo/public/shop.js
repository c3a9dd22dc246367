// The demo shop's page script: it renders what Emma answers and reports what the shopper
// does. All choices about the shopper come from the engine (createEmma from the package).
import { createEmma } from '/pkg/src/browser.js';

const GRANT_TEXT = document.getElementById('banner-text').textContent.trim().replace(/\s+/g, ' ');
const main = document.getElementById('main');
const status = document.getElementById('status');
let catalog = null;

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
  for (const c of children) node.append(c);  // strings become text, never HTML
  return node;
}

function card(item) {
  const why = (item.reasons || []).map((r) => r.text).join(' · ');
  return el('div', { class: 'card', 'data-item': item.id },
    el('a', { href: `/product/${encodeURIComponent(item.id)}` }, item.title),
    el('span', { class: 'price' }, item.price !== undefined ? `£${item.price.toFixed(2)}` : ''),
    el('span', { class: 'why' }, why));
}

function row(title, result, id) {
  return el('section', { class: 'row', id }, el('h2', {}, title), el('div', { class: 'grid' }, ...result.items.map(card)));
}

async function render(emma) {
  const path = decodeURIComponent(location.pathname);
  main.replaceChildren();
  if (path.startsWith('/product/')) {
    const id = path.slice('/product/'.length);
    const item = catalog.items.find((i) => i.id === id);
    if (!item) {
      main.append(el('p', {}, `No product ${id}.`));
      return;
    }
    await emma.track({ type: 'view', item: id });
    main.append(el('article', { class: 'product' }, el('h1', {}, item.title), el('p', {}, item.category), el('p', { class: 'price' }, `£${item.price.toFixed(2)}`)));
    main.append(row('Similar', await emma.recommend({ scenario: 'similar', item: id, limit: 6 }), 'similar'));
    return;
  }
  const forYou = await emma.recommend({ scenario: 'for_you', limit: 8 });
  main.append(row(forYou.personalized ? 'For you' : 'Popular right now', forYou, 'for-you'));
  main.append(row('Trending', await emma.recommend({ scenario: 'trending', limit: 8 }), 'trending'));
}

async function showBanner(emma) {
  const state = await emma.consent.state();
  const banner = document.getElementById('banner');
  const decided = state.personalization.granted || sessionStorage.length > 0;
  banner.hidden = decided;
  document.getElementById('grant').onclick = async () => {
    await emma.consent.grant('personalization', { version: '2026-11', text: GRANT_TEXT, source: 'banner', lang: 'en' });
    banner.hidden = true;
    await render(emma);
  };
  document.getElementById('deny').onclick = () => {
    banner.hidden = true;
  };
  document.getElementById('privacy').onclick = async () => {
    main.replaceChildren(el('h1', {}, 'What Emma knows about you'), el('pre', {}, JSON.stringify(await emma.profile.export(), null, 2)));
    const withdraw = el('button', { type: 'button' }, 'Withdraw consent and erase');
    withdraw.onclick = async () => {
      await emma.consent.withdraw('personalization', { source: 'privacy-centre' });
      banner.hidden = false;
      await render(emma);
    };
    main.append(withdraw);
  };
}

async function start() {
  catalog = await (await fetch('/catalog.json')).json();
  const cats = [...new Set(catalog.items.map((i) => i.category.split(' > ')[0]))];
  document.getElementById('categories').replaceChildren(...cats.map((c) => el('span', {}, c)));
  try {
    const emma = await createEmma({ bundle: '/emma/shop.bundle', shop: 'tante-emma-demo', on: { error: (e) => console.warn('Emma:', e.code, e.message) } });
    window.emma = emma;
    await showBanner(emma);
    await render(emma);
  } catch (err) {
    status.textContent = `Personalization is unavailable (${err.code || err.message}); the shop works as usual.`;
    main.replaceChildren(status);
  }
}

start();
