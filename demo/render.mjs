// The demo shop's pages, rendered on the server from catalog.json as a real shop would:
// plain HTML that works without JavaScript, with data-emma-* attributes for the embed
// script and the shop's own fallback content in every slot. No engine logic here: the
// shop's default order is its catalog's popularity, as any shop has one.
const CURRENCY = { GBP: '£', EUR: '€', USD: '$' };

export function escapeHtml(value) {
  return String(value).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]);
}

// Tagged template: every ${value} is escaped unless it is already rendered HTML (raw()).
class Raw {
  constructor(html) {
    this.html = html;
  }
}
export const raw = (html) => new Raw(html);
export function html(strings, ...values) {
  let out = strings[0];
  values.forEach((v, i) => {
    const part = v instanceof Raw ? v.html : Array.isArray(v) ? v.map((x) => (x instanceof Raw ? x.html : escapeHtml(x))).join('') : escapeHtml(v ?? '');
    out += part + strings[i + 1];
  });
  return raw(out);
}

export const slug = (category) => category.toLowerCase().replace(/&/g, 'and').replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '');
const price = (item) => `${CURRENCY[item.currency] || ''}${item.price.toFixed(2)}`;

export class Shop {
  // returning: one real customer's orders (demo/returning-shopper.json) for the simulation panel.
  constructor(catalog, returning = null) {
    this.catalog = catalog;
    this.returning = returning;
    this.items = catalog.items;
    this.byId = new Map(this.items.map((i) => [i.id, i]));
    this.byPopularity = [...this.items].sort((a, b) => b.popularity - a.popularity);
    const counts = new Map();
    for (const i of this.items) counts.set(i.category, (counts.get(i.category) || 0) + 1);
    this.categories = [...counts.keys()].sort();
    this.categoryBySlug = new Map(this.categories.map((c) => [slug(c), c]));
  }

  inCategory(category) {
    return this.byPopularity.filter((i) => i.category === category);
  }

  search(q) {
    const words = q.toUpperCase().split(/\s+/).filter(Boolean);
    if (!words.length) return [];
    return this.byPopularity.filter((i) => words.every((w) => i.title.toUpperCase().includes(w)));
  }
}

function card(item) {
  return html`<article class="card" data-emma-item="${item.id}">
      <a class="card-title" href="${item.url}">${item.title}</a>
      <span class="card-cat">${item.category}</span>
      <span class="price">${price(item)}</span>
    </article>`;
}

function grid(items) {
  return html`<div class="grid">${items.map(card)}</div>`;
}

// A slot with the shop's fallback content inside; Emma replaces it only with an answer.
// distinct: show nothing that a slot above already shows (data-emma-distinct).
// reserve: the slot is expected to fill although it has no fallback: it holds `limit`
// placeholder cards, so the engine's answer takes their place without moving the page.
function slot(scenario, { item, limit = 8, fallback = [], distinct = false, reserve = false, template = 'card' } = {}) {
  const content = fallback.length ? grid(fallback) : reserve ? html`<div class="grid">${Array.from({ length: limit }, () => raw('<article class="card skeleton" aria-hidden="true"></article>'))}</div>` : '';
  return html`<div class="slot" data-emma-slot="${scenario}"${item ? html` data-emma-item="${item}"` : ''}${distinct ? raw(' data-emma-distinct') : ''} data-emma-limit="${limit}" data-emma-template="${template}">${content}</div>`;
}

// Emma's tags, as web/dist/snippet.html has them: the content-hashed names (emma: the
// server's { js, bundle, preload }; the plain names when web/dist is not built) and
// data-timing, so the demo shows its start-up marks (docs/embed.md "Timing").
function emmaHead(emma) {
  const { js = '/emma/emma.js', bundle = '/emma/shop.bundle', preload = [] } = emma || {};
  return html`${preload.map((p) => html`<link rel="preload" href="${p.href}" as="fetch" crossorigin="anonymous"${p.integrity ? html` integrity="${p.integrity}"` : ''}>
  `)}<script src="${js}" data-bundle="${bundle}" data-shop="tante-emma-demo" data-lang="en" data-insights-endpoint="/insights/reports" data-timing async></script>`;
}

function layout(shop, { title, body = {}, main }) {
  const attrs = Object.entries(body).map(([k, v]) => html` data-emma-${k}="${v}"`.html).join('');
  return html`<!DOCTYPE html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>${title} · Tante Emma demo shop</title>
  <link rel="icon" href="/favicon.svg">
  <link rel="stylesheet" href="/shop.css">
  <script src="/shop.js"></script>
  <script src="/vitals.js"></script>
  ${emmaHead(shop.emma)}
</head>
<body${raw(attrs)}>
  <header class="top">
    <a href="/" class="brand">Tante Emma <small>demo shop</small></a>
    <form class="search" action="/search" role="search">
      <label class="sr" for="q">Search</label>
      <input id="q" name="q" type="search" placeholder="Search products">
      <button type="submit">Search</button>
    </form>
    <a href="/cart" class="cart-link">Cart (<span id="cart-count">0</span>)</a>
    <a href="/privacy" data-emma-privacy>Privacy</a>
  </header>
  <nav class="cats" aria-label="Categories">
    ${shop.categories.map((c) => html`<a href="/category/${slug(c)}">${c}</a>`)}
  </nav>
  <main id="main">
${main}
  </main>
  <aside class="tools" aria-label="Demo tools">
    <section class="simulate">
      <h2>Simulate a shopper</h2>
      <p>Pretend to be a shopper who looks at a few products of one category, then see the recommendations follow. (Needs personalisation to be allowed: without consent Emma keeps nothing.)</p>
      <form id="simulate">
        <label for="persona">Likes</label>
        <select id="persona">
          ${shop.categories.filter((c) => shop.inCategory(c).length >= 4).map((c) => html`<option value="${c}" data-items="${shop.inCategory(c).slice(0, 5).map((i) => i.id).join(' ')}">${c}</option>`)}
        </select>
        <button type="submit">Browse 5 products as this shopper</button>
      </form>
      ${shop.returning ? html`<p>Or be a real returning customer of the Online Retail shop: their ${shop.returning.orders.length} orders of these products, replayed as if the last were a few days ago (the intervals are theirs), then see "Time to reorder" and the offers follow.</p>
      <button type="button" id="simulate-returning" data-orders="${JSON.stringify(shop.returning)}">Returning shopper with purchase history</button>` : ''}
      <p id="simulate-status" role="status"></p>
    </section>
    <details id="requests" open>
      <summary>Requests this page made: <span id="request-count">0</span> <span id="request-verdict"></span></summary>
      <p>Every resource the browser fetched for this page (PerformanceObserver), so you can check that nothing but this shop's own static files is loaded, before and after you opt in.</p>
      <table>
        <thead><tr><th scope="col">URL</th><th scope="col">kind</th><th scope="col">bytes</th><th scope="col">same origin</th></tr></thead>
        <tbody id="request-list"></tbody>
      </table>
    </details>
  </aside>
  <footer>
    Product data: Online Retail (UCI Machine Learning Repository, dataset 352), CC BY 4.0 —
    Chen, Sain &amp; Guo (2012). Titles and prices are real; categories were derived by keyword rules
    (demo/data/derive-catalog.mjs). This is a demo: nothing can be bought.
  </footer>
  <template id="offer-card"><article class="card offer"><a class="card-title" data-emma-field="url"><span data-emma-field="title"></span></a><span data-emma-field="text"></span><span class="why" data-emma-field="reasons"></span></article></template>
  <template id="card"><article class="card"><a class="card-title" data-emma-field="url"><span data-emma-field="title"></span></a><span class="card-cat" data-emma-field="category"></span><span class="price" data-emma-field="price"></span><span class="why" data-emma-field="reasons"></span></article></template>
</body>
</html>
`.html;
}

function section(id, heading, content, note = '') {
  return html`<section class="row" id="${id}" aria-labelledby="${id}-h"><h2 id="${id}-h">${heading}</h2>${note ? html`<p class="note">${note}</p>` : ''}${content}</section>`;
}

// The home page's personal content (data-emma-choose): alternatives written here, in the
// shop's own page; Emma picks one on the device, the default stays otherwise.
function hero() {
  const variant = (id, when, heading, text, link, label) => html`<template data-emma-variant="${id}" data-emma-when="${JSON.stringify(when)}"><div class="hero hero-${id}"><h2>${heading}</h2><p>${text}</p><a href="${link}">${label}</a></div></template>`;
  // The greeting: for returning and for new shoppers; nothing without consent.
  const greeting = (id, when, text) => html`<template data-emma-variant="${id}" data-emma-when="${JSON.stringify(when)}"><p class="greeting">${text}</p></template>`;
  return html`<div class="greeting-place" data-emma-choose="greeting">${greeting('returning', { returning: true }, 'Good to see you again! Your regulars that are due and where you left off are below.')}${greeting('new', { returning: false }, 'Welcome to Tante Emma! New here? Have a look at what other shoppers love right now.')}</div>
    <div class="hero-place" data-emma-choose="hero">
      ${variant('garden', { categories: ['Garden'] }, 'Spring in the garden', 'Watering cans, tools and decorations for your garden.', '/category/garden', 'To the garden')}
      ${variant('baking', { categories: ['Kitchen > Baking'] }, 'Time to bake', 'Tins, cake stands and everything for your next cake.', '/category/kitchen-baking', 'To baking')}
      <div class="hero"><h2>Tante Emma demo shop</h2><p class="intro">A shop of real gift-ware from the Online Retail data. Recommendations are computed in your browser by the Tante Emma engine; your profile, if you allow one, stays encrypted on this device.</p></div>
    </div>`;
}

export function homePage(shop) {
  const top = shop.byPopularity.slice(0, 8);
  return layout(shop, {
    title: 'Home',
    body: { page: 'home' },
    main: html`<h1 class="sr">Tante Emma demo shop</h1>
    ${hero()}
    ${section('welcome-back', 'Where you left off', slot('continue', { limit: 4 }))}
    ${section('reorder', 'Time to reorder', slot('reorder', { limit: 4 }), 'Things you buy regularly that are due again, from your own order history (on this device).')}
    ${section('offers', 'Offers', slot('offers', { limit: 3, reserve: true, template: 'offer-card' }))}
    ${section('for-you', raw('<span class="if-personal">For you</span><span class="if-general">Popular right now</span>'), slot('for_you', { fallback: top }))}
    ${section('recently', 'Recently viewed', slot('recently_viewed', { limit: 6 }))}
    ${section('trending', 'Trending', slot('trending', { fallback: shop.byPopularity.slice(8, 16), distinct: true }))}`,
  });
}

export function categoryPage(shop, category) {
  const items = shop.inCategory(category);
  return layout(shop, {
    title: category,
    body: { page: 'category', category },
    main: html`<h1>${category}</h1>
    <p class="note" id="order-note">Sorted by popularity.</p>
    <ol class="grid plain" data-emma-rerank>${items.map((i) => html`<li data-emma-item="${i.id}">${card(i)}</li>`)}</ol>`,
  });
}

export function productPage(shop, item) {
  const same = shop.inCategory(item.category).filter((i) => i.id !== item.id).slice(0, 4);
  return layout(shop, {
    title: item.title,
    body: { page: 'product', item: item.id },
    main: html`<article class="product">
      <h1>${item.title}</h1>
      <p class="card-cat"><a href="/category/${slug(item.category)}">${item.category}</a> · item ${item.id}</p>
      <p class="price big">${price(item)}</p>
      <button type="button" class="buy" data-emma-track="add_to_cart" data-emma-item="${item.id}" data-cart-add="${item.id}" data-title="${item.title}" data-price="${price(item)}">Add to cart</button>
      <p id="cart-status" role="status"></p>
    </article>
    ${section('similar', 'Similar products', slot('similar', { item: item.id, limit: 4, fallback: same }))}
    ${section('together', 'Often bought together', slot('bought_together', { item: item.id, limit: 4, distinct: true, reserve: true }))}`,
  });
}

export function searchPage(shop, q) {
  const hits = shop.search(q).slice(0, 24);
  return layout(shop, {
    title: `Search: ${q}`,
    body: q ? { page: 'search', query: q } : { page: 'search' },
    main: html`<h1>Search${q ? html`: “${q}”` : ''}</h1>
    ${q ? html`<p class="note">${hits.length} products found.</p>${grid(hits)}` : html`<p class="note">Type a word such as “bag” or “cake”.</p>`}
    ${section('for-you', 'You may also like', slot('for_you', { limit: 4, fallback: shop.byPopularity.slice(0, 4) }))}`,
  });
}

export function cartPage(shop) {
  return layout(shop, {
    title: 'Cart',
    body: { page: 'cart' },
    main: html`<h1>Your cart</h1>
    <p class="note">The cart lives in this tab's sessionStorage (the shop's own, strictly necessary record of what you put in it); it is created when you add something.</p>
    <ul id="cart-items" class="cart"><li>The cart is empty.</li></ul>
    ${section('together', 'Goes well with your cart', slot('bought_together', { limit: 4 }))}
    ${section('for-you', 'You may also like', slot('for_you', { limit: 4, fallback: shop.byPopularity.slice(0, 4), distinct: true }))}`,
  });
}

export function privacyPage(shop) {
  return layout(shop, {
    title: 'Privacy',
    body: { page: 'privacy' },
    main: html`<h1>Privacy</h1>
    <p>This shop uses Tante Emma for recommendations. Emma runs in your browser: the shop's catalog is downloaded as a static file, and recommendations are computed on your device.</p>
    <ul>
      <li>Until you allow personalisation, Emma stores nothing and recommends what is popular or related to the page you are on.</li>
      <li>If you allow it, Emma keeps a profile of what you looked at, encrypted, in this browser only. Nothing is sent to the shop.</li>
      <li>In the privacy centre you can see that profile, download it, forget parts of it, pause profiling, withdraw your consent or erase everything.</li>
    </ul>
    <p><button type="button" class="buy" data-emma-privacy>Open the privacy centre</button></p>
    <h2>Audience statistics (optional)</h2>
    <p id="insights-text">Allow this shop to learn which kinds of products its shoppers like most: once a day your browser sends one report that it has randomized itself (local differential privacy), with no identifier and no time finer than the day, so no report says what you like; only the sum over many shoppers does.</p>
    <p><button type="button" id="share-insights">Share noised statistics</button> <span id="insights-status" role="status"></span> <a href="/audience">What the shop sees</a></p>`,
  });
}

export function notFoundPage(shop, what) {
  return layout(shop, { title: 'Not found', main: html`<h1>Not found</h1><p>${what}</p><p><a href="/">Back to the shop</a></p>` });
}
