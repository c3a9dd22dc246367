// Personal content: <div data-emma-choose="hero"> holds the shop's alternatives as
// <template data-emma-variant="garden" data-emma-when='{"categories":["Garden"]}'> and its
// default content. The engine picks the variant that fits this shopper (pick_variant); its
// template's content, as the shop wrote it in the page, replaces the default. Nothing fits,
// no consent, an error: the default stays (and comes back when consent is withdrawn).
const defaults = new WeakMap();

export async function choose(el, ctx) {
  const templates = [...el.children].filter((c) => c.localName === 'template' && c.dataset.emmaVariant);
  if (!defaults.has(el)) defaults.set(el, [...el.childNodes].filter((c) => !templates.includes(c)));
  const place = el.dataset.emmaChoose;
  let chosen = null;
  try {
    const variants = templates.map((t) => ({ ...JSON.parse(t.dataset.emmaWhen || '{}'), id: t.dataset.emmaVariant }));
    const r = await ctx.api.recommend({ scenario: 'pick_variant', variants, ...(ctx.definitions && { definitions: JSON.parse(ctx.definitions) }) });
    chosen = r.variants.find((v) => v.id === r.chosen);
  } catch (err) {
    el.dataset.emmaError = err.code || 'BAD_REQUEST';
    ctx.warn(`data-emma-choose="${place}" keeps its default: ${err.message}`);
  }
  const t = chosen && templates.find((x) => x.dataset.emmaVariant === chosen.id);
  el.replaceChildren(...templates, ...(t ? [t.content.cloneNode(true)] : defaults.get(el)));
  el.dataset.emmaState = t ? 'chosen' : 'default';
  el.dataset.emmaChosen = t ? chosen.id : '';
  // The privacy centre says why, with the engine's reasons (centre.js, "chosen").
  return t ? { items: [], choice: { place, id: chosen.id, reasons: chosen.reasons } } : null;
}
