// Slots: <div data-emma-slot="similar" data-emma-item="…" data-emma-limit="4"
// data-emma-template="card">fallback</div>. The shop's fallback stays until the engine has
// answered with at least one item; a failed or unknown scenario keeps it.
// Lists: <ol data-emma-rerank><li data-emma-item="…">…</li></ol> are put in the engine's
// order for this shopper (the shop's own nodes are moved, never re-rendered).
import { h, safeUrl } from './dom.js';
import { reasonText } from './i18n.js';

const MAX_LIMIT = 24;

function limitOf(node, dflt) {
  const n = Number.parseInt(node.dataset.emmaLimit, 10);
  return n > 0 ? Math.min(n, MAX_LIMIT) : dflt;
}

function priceText(item, lang) {
  if (typeof item.price !== 'number') return '';
  try {
    if (item.currency) return new Intl.NumberFormat(lang, { style: 'currency', currency: item.currency }).format(item.price);
  } catch {
    // an unknown currency code: show the number
  }
  return item.price.toFixed(2);
}

function fieldText(item, field, ctx) {
  switch (field) {
    case 'price':
      return priceText(item, ctx.lang);
    case 'category':
      return Array.isArray(item.category) ? item.category.join(' › ') : String(item.category || '');
    case 'reasons':
      return (item.reasons || []).map((r) => reasonText(r, ctx.lang)).join(' · ');
    case 'reason':
      return item.reasons && item.reasons[0] ? reasonText(item.reasons[0], ctx.lang) : '';
    default: {
      const value = field.startsWith('attributes.') ? (item.attributes || {})[field.slice(11)] : item[field];
      return typeof value === 'string' || typeof value === 'number' ? String(value) : '';
    }
  }
}

// Fills every [data-emma-field] of a cloned template with text or a checked URL.
function fill(root, item, ctx) {
  const targets = [...root.querySelectorAll('[data-emma-field]')];
  for (const el of targets) {
    const field = el.dataset.emmaField;
    const tag = el.localName;
    if ((field === 'url' && (tag === 'a' || tag === 'area')) || (field === 'image' && tag === 'img')) {
      const url = safeUrl(item[field]);
      const attr = tag === 'img' ? 'src' : 'href';
      if (url) el.setAttribute(attr, url);
      else el.removeAttribute(attr);
      if (tag === 'img' && !el.hasAttribute('alt')) el.setAttribute('alt', item.title || '');
    } else if (field !== 'image') {
      el.textContent = fieldText(item, field, ctx);
    }
  }
}

function card(item, template, ctx) {
  if (template) {
    const frag = template.content.cloneNode(true);
    fill(frag, item, ctx);
    for (const el of frag.children) el.setAttribute('data-emma-item', item.id);
    return frag;
  }
  const url = safeUrl(item.url);
  return h('li', { class: 'emma-item', 'data-emma-item': item.id },
    h('a', { href: url || undefined }, item.title || item.id),
    h('span', { class: 'emma-why' }, fieldText(item, 'reason', ctx)));
}

// Fills a slot (fill(): its new content) without pulling up what follows it: when the answer
// is shorter than the fallback was (fewer items, other margins), the slot keeps the height
// that leaves the next thing on the page where it was. Measured before and after the change
// in one task, so nothing is painted in between; the height goes into a stylesheet of the
// embed's own (constructed: no inline style, which a strict CSP refuses), one rule per
// height: [data-emma-hold="212"] { min-height: 212px }.
let holds;
function keepPlace(slot, fill) {
  let next = slot;
  while (next && !next.nextElementSibling) next = next.parentElement;
  next = next && next.nextElementSibling;
  const top = () => next.getBoundingClientRect().top;
  const was = next && top();
  fill();
  // Twice: a min-height can change how the new content's margins collapse.
  for (let i = 0; next && i < 2 && 'adoptedStyleSheets' in document; i++) {
    const up = Math.floor(was - top());
    if (!(up > 0)) return;
    const cs = getComputedStyle(slot);
    const h = Math.ceil(slot.clientHeight - parseFloat(cs.paddingTop) - parseFloat(cs.paddingBottom) + up);
    if (!holds) {
      holds = new CSSStyleSheet();
      document.adoptedStyleSheets = [...document.adoptedStyleSheets, holds];
    }
    holds.insertRule(`[data-emma-hold="${h}"]{min-height:${h}px}`);
    slot.dataset.emmaHold = h;
  }
}

export async function fillSlot(slot, ctx) {
  const req = { scenario: slot.dataset.emmaSlot, limit: limitOf(slot, 4) };
  const item = slot.dataset.emmaItem || ctx.item;
  if (item) req.item = item;
  // A list behind the slot, e.g. the cart for bought_together: data-emma-items="id id …".
  const items = (slot.dataset.emmaItems || '').split(/\s+/).filter(Boolean);
  if (items.length) req.items = items.slice(0, 100);
  // Rules go to the engine as written (data-emma-rules='{"categories":["Bags"]}'); the
  // engine validates them and a mistake keeps the fallback with the engine's message.
  if (slot.dataset.emmaRules) {
    try {
      req.rules = JSON.parse(slot.dataset.emmaRules);
    } catch (err) {
      slot.dataset.emmaState = 'fallback';
      slot.dataset.emmaError = 'BAD_REQUEST';
      ctx.warn(`slot "${req.scenario}" keeps its fallback: data-emma-rules is not JSON (${err.message})`);
      return null;
    }
  }
  if (slot.dataset.emmaInStock === 'true') req.rules = { ...req.rules, inStock: true };
  // data-emma-distinct: nothing that an earlier slot on the page already shows.
  if ('emmaDistinct' in slot.dataset && ctx.shownIds && ctx.shownIds.size) {
    const rules = req.rules && typeof req.rules === 'object' ? req.rules : {};
    req.rules = { ...rules, excludeItems: [...(Array.isArray(rules.excludeItems) ? rules.excludeItems : []), ...ctx.shownIds].slice(0, 200) };
  }
  const name = slot.dataset.emmaTemplate;
  const template = name ? document.getElementById(name) : null;
  if (name && !(template instanceof HTMLTemplateElement)) {
    ctx.warn(`slot "${req.scenario}": data-emma-template="${name}" names no <template> element; using the default list`);
  }
  let result;
  try {
    result = await ctx.api.recommend(req);
  } catch (err) {
    slot.dataset.emmaState = 'fallback';
    slot.dataset.emmaError = err.code || 'ERROR';
    ctx.warn(`slot "${req.scenario}" keeps its fallback: ${err.message}`);
    return null;
  }
  if (!result.items.length) {
    slot.dataset.emmaState = 'fallback';
    return null;
  }
  const tpl = template instanceof HTMLTemplateElement ? template : null;
  const cards = result.items.map((i) => card(i, tpl, ctx));
  keepPlace(slot, () => slot.replaceChildren(...(tpl ? cards : [h('ul', { class: 'emma-list' }, ...cards)])));
  slot.dataset.emmaState = 'filled';
  slot.dataset.emmaPersonalized = String(result.personalized);
  delete slot.dataset.emmaError;
  return result;
}

// Puts the shop's own list items into the engine's order for this shopper. Uses the
// engine's `rerank` scenario where it exists, otherwise the order of `for_you`; items the
// engine did not place keep the shop's order after those it did.
const shopOrder = new WeakMap();

export async function rerank(list, ctx) {
  if (!shopOrder.has(list)) shopOrder.set(list, [...list.children].filter((c) => c.dataset && c.dataset.emmaItem));
  const children = shopOrder.get(list);
  if (children.length < 2) return null;
  const ids = children.map((c) => c.dataset.emmaItem);
  let result;
  try {
    result = await ctx.api.recommend({ scenario: 'rerank', items: ids, limit: Math.min(ids.length, 100) });
  } catch (err) {
    if (err.code !== 'BAD_REQUEST') throw err;
    result = await ctx.api.recommend({ scenario: 'for_you', limit: 100 });
  }
  if (!result.personalized) {
    list.append(...children);
    list.dataset.emmaState = 'shop-order';
    return result;
  }
  const place = new Map(result.items.map((item, i) => [item.id, i]));
  const at = (c, i) => (place.has(c.dataset.emmaItem) ? place.get(c.dataset.emmaItem) : 1000 + i);
  const ordered = children.map((c, i) => [at(c, i), c]).sort((a, b) => a[0] - b[0]).map(([, c]) => c);
  list.append(...ordered);
  list.dataset.emmaState = 'personalized';
  return result;
}
