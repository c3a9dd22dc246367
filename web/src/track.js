// Automatic tracking from data-emma-* attributes:
//   <body data-emma-page="product" data-emma-item="85123A">       a view of that product
//   <body data-emma-page="category" data-emma-category="Bags">    a category view
//   <body data-emma-page="search" data-emma-query="lunch bag">    a search
//   <button data-emma-track="add_to_cart" data-emma-item="…" data-emma-quantity="2">
//   a click on a filled slot's item                                a click
// The engine validates every event; a wrong attribute is reported, the page goes on.

export function pageEvent(body) {
  const d = body.dataset;
  switch (d.emmaPage) {
    case 'product':
      return d.emmaItem ? { type: 'view', item: d.emmaItem } : null;
    case 'category':
      return d.emmaCategory ? { type: 'category_view', category: d.emmaCategory } : null;
    case 'search':
      return d.emmaQuery ? { type: 'search', query: d.emmaQuery } : null;
    default:
      return null;
  }
}

export function clickEvent(target) {
  const el = target.closest('[data-emma-track]');
  if (el) {
    const event = { type: el.dataset.emmaTrack };
    if (el.dataset.emmaItem) event.item = el.dataset.emmaItem;
    if (el.dataset.emmaQuantity) event.quantity = Number(el.dataset.emmaQuantity);
    if (el.dataset.emmaCategory) event.category = el.dataset.emmaCategory;
    return event;
  }
  const card = target.closest('[data-emma-slot] [data-emma-item]');
  return card ? { type: 'click', item: card.dataset.emmaItem } : null;
}
