// The embed script for shop pages:
//   <script src="/emma/emma.js" data-bundle="/emma/shop.bundle" data-lang="de" async></script>
// Configuration comes from the script element's data-* attributes; calls made through the
// queue stub before it loaded are kept and run in order. It uses the npm API only
// (createEmma); every decision about the shopper is the engine's. If the engine cannot run
// (blocked, 404, old browser), nothing on the page changes: slots keep the shop's content.
import { createEmma, EmmaError } from 'tante-emma';
import { showBanner } from './banner.js';
import { TEXT_VERSION, pickLang, texts } from './i18n.js';
import { choose } from './choose.js';
import { fillSlot, rerank } from './slots.js';
import { clickEvent, pageEvent } from './track.js';

const script = document.currentScript;
const SOURCES = ['banner', 'tcf', 'consent-mode', 'gpc'];
const API_COMMANDS = ['track', 'recommend', 'explain', 'erase', 'processingRecord', 'consent.grant', 'consent.withdraw',
  'consent.state', 'consent.records', 'profile.export', 'profile.forget', 'profile.object', 'profile.backup', 'profile.restore'];

function readConfig() {
  const d = script ? script.dataset : {};
  const base = (script && script.src) || document.baseURI;
  // A malformed URL is passed on as written: loading it then fails with an error naming it.
  const page = (v) => {
    try {
      return new URL(v, document.baseURI).href;
    } catch {
      return v;
    }
  };
  const lang = pickLang(d.lang || document.documentElement.lang);
  const sources = (d.consentSources || SOURCES.join(' ')).split(/[\s,]+/).filter(Boolean);
  return {
    base,
    bundle: d.bundle ? page(d.bundle) : new URL('shop.bundle', base).href,
    // Beside emma.js by default, under the content-hashed names web/build.mjs gave them
    // (EMMA_FILES); the wasm is checked against its SRI hash: emma.js, itself loaded with
    // `integrity`, vouches for the engine.
    wasmUrl: d.wasm ? page(d.wasm) : new URL(EMMA_FILES.wasm, base).href,
    wasmIntegrity: d.wasm ? undefined : EMMA_FILES.wasmSri,
    css: d.css === 'none' ? null : d.css ? page(d.css) : new URL(EMMA_FILES.css, base).href,
    shop: d.shop || location.host || 'shop',
    storage: d.storage || 'indexeddb',
    version: d.consentVersion || TEXT_VERSION,
    lang,
    t: texts(lang),
    sources,
    nonce: (script && script.nonce) || '',
    // The privacy centre, loaded when first opened (beside emma.js, checked like the engine).
    centreUrl: new URL(EMMA_FILES.centre, base).href,
    // Opt-in audience statistics; data-insights-jitter-ms="max" or "min max" is a test hook (docs/insights.md).
    // data-timing: performance.mark()s of the start-up (docs/embed.md "Timing").
    mark: 'timing' in d ? (name) => performance.mark(`emma:${name}`) : () => {},
    // The shop's own segments for data-emma-choose (data-definitions='[{"id","when"}]'), read where used.
    definitions: d.definitions,
    // The shop's A/B experiment as JSON (docs/insights.md); malformed, the engine's error names it.
    experiment: d.experiment && ((x) => { try { return JSON.parse(x); } catch { return x; } })(d.experiment),
    insights: d.insightsEndpoint ? { endpoint: page(d.insightsEndpoint), jitterMs: /^\d+( \d+)?$/.test(d.insightsJitterMs || '') ? d.insightsJitterMs.split(' ').map(Number) : undefined } : undefined,
  };
}

const warn = (message) => console.warn(`Emma: ${message}`);

// The privacy centre's code and texts come on demand (web/build.mjs, emma-centre.js): a
// script element, so the page's CSP applies (its nonce is copied), with its SRI hash.
let centre = null;
function openCentre(ctx, opener) {
  centre ||= new Promise((resolve, reject) => {
    const s = document.createElement('script');
    s.src = ctx.centreUrl;
    s.integrity = EMMA_FILES.centreSri;
    s.crossOrigin = 'anonymous';
    if (ctx.nonce) s.nonce = ctx.nonce;
    s.onload = () => resolve(window[Symbol.for('tante-emma.centre')]);
    s.onerror = () => {
      centre = null;  // the next click tries again
      reject(new Error(`the privacy centre could not be loaded from ${s.src}`));
    };
    document.head.append(s);
  });
  return centre.then((open) => open(ctx, opener), (err) => {
    warn(err.message);
    throw err;
  });
}

// A second copy of emma.js on the same page must not start a second engine.
if (window.emma && window.emma.loaded) warn('emma.js is included twice on this page; only the first copy runs');
else start();

function start() {
  const config = readConfig();
  const { mark } = config;
  mark('script');
  const ctx = { ...config, api: null, shown: new Map(), warn, titleOf, grant };

  // The page's own styles win over ours only where it wants: ours come first in <head>.
  // The banner waits for them: unstyled, it would sit in the page's flow and push it down.
  const styled = new Promise((resolve) => {
    if (!config.css) return resolve();
    const link = document.createElement('link');
    link.rel = 'stylesheet';
    link.href = config.css;
    if (config.nonce) link.nonce = config.nonce;
    link.onload = link.onerror = resolve;
    document.head.prepend(link);
  });

  function titleOf(id) {
    for (const r of ctx.shown.values()) for (const i of r.items) if (i.id === id && i.title) return i.title;
    return id;
  }

  function grant(source = 'banner') {
    const { t } = ctx;
    return ctx.api.consent.grant('personalization', { version: ctx.version, text: `${t.bannerTitle} ${t.bannerText}`, source, lang: ctx.lang });
  }

  const domReady = new Promise((resolve) => {
    if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', resolve, { once: true });
    else resolve();
  });

  const started = (async () => {
    const [api] = await Promise.all([
      createEmma({
        bundle: config.bundle,
        shop: config.shop,
        storage: config.storage,
        wasmUrl: config.wasmUrl,
        _wasmIntegrity: config.wasmIntegrity,
        // The engine with the shopper's rights (export, explain, forget, object, backups, the
        // records), loaded by the first call to one of them (src/core/engine_rights.cpp), beside emma.js and checked the same way.
        _rights: { wasmUrl: new URL(EMMA_FILES.rights, config.base).href, _wasmIntegrity: EMMA_FILES.rightsSri },
        consent: { sources: config.sources },
        insights: config.insights,
        _mark: mark,
        experiment: config.experiment,
        on: { error: (e) => warn(`${e.code}: ${e.message}`) },
      }),
      domReady,
    ]);
    ctx.api = api;
    mark('ready');
    return api;
  })();

  // --- the queue: window.emma('recommend', {...}[, callback]) ----------------------------

  function lookup(name) {
    if (name === 'ready') return () => ctx.api;
    if (name === 'privacy') return () => openCentre(ctx, document.activeElement);
    if (name === 'fill') return () => fillAll();
    if (!API_COMMANDS.includes(name)) return null;
    const path = name.split('.');
    const owner = path.length === 2 ? ctx.api[path[0]] : ctx.api;
    const fn = owner && owner[path[path.length - 1]];
    return typeof fn === 'function' ? fn.bind(owner) : null;
  }

  // Runs one command; a function as the last argument is called back as (error, result).
  function run(args, queued) {
    const list = Array.from(args);
    const name = list.shift();
    const cb = typeof list[list.length - 1] === 'function' ? list.pop() : null;
    const done = (async () => {
      if (name === 'privacy') await domReady;
      else await started;
      const fn = lookup(name);
      if (!fn) {
        throw new EmmaError('BAD_REQUEST', `emma("${name}"): not a command; use ${['ready', 'privacy', 'fill', ...API_COMMANDS].join(', ')}`);
      }
      return fn(...list);
    })();
    if (cb) done.then((r) => cb(null, r), (e) => cb(e));
    else if (queued) done.catch((e) => warn(`emma("${name}") failed: ${e.message}`));
    return done;
  }

  const queue = (window.emma && window.emma.q) || [];
  window.emma = function emma() {
    return run(arguments, false);
  };
  window.emma.loaded = true;
  for (const args of queue) run(args, true);

  // --- the page ----------------------------------------------------------------------------

  // Slots are filled in document order, so that a data-emma-distinct slot knows what the
  // slots above it show.
  async function fillAll() {
    ctx.shownIds = new Set();
    for (const slot of document.querySelectorAll('[data-emma-slot]')) {
      const r = await fillSlot(slot, ctx);
      if (r && !ctx.painted) mark((ctx.painted = 'first-slot'));
      if (r) {
        ctx.shown.set(slot, r);
        for (const item of r.items) ctx.shownIds.add(item.id);
      } else {
        ctx.shown.delete(slot);
      }
    }
    for (const el of document.querySelectorAll('[data-emma-choose]')) {
      const r = await choose(el, ctx);
      if (r) ctx.shown.set(el, r);
      else ctx.shown.delete(el);
    }
    for (const list of document.querySelectorAll('[data-emma-rerank]')) {
      await rerank(list, ctx).catch((e) => warn(`reordering a list failed: ${e.message}`));
    }
    mark('filled');
    document.dispatchEvent(new CustomEvent('emma:filled'));
  }

  function track(event) {
    return ctx.api.track(event).catch((e) => warn(`tracking ${JSON.stringify(event)} failed: ${e.message}`));
  }

  // A CMP on the page (IAB TCF) decides; Emma's banner only shows where none does.
  async function cmpDecides() {
    if (typeof window.__tcfapi !== 'function') return false;
    const ping = await new Promise((resolve) => {
      try {
        window.__tcfapi('ping', 2, (p) => resolve(p || {}));
      } catch {
        resolve({});
      }
      setTimeout(() => resolve({}), 1000);
    });
    return ping.gdprApplies !== false;
  }

  // The refusal is remembered for this tab only (sessionStorage), so the banner does not
  // return on every page; nothing about the shopper is stored.
  function declined(set) {
    try {
      if (set) sessionStorage.setItem('emma:declined', config.shop);
      return sessionStorage.getItem('emma:declined') === config.shop;
    } catch {
      return false;  // storage blocked: the banner asks again on the next page
    }
  }

  async function maybeBanner(api) {
    if (!config.sources.includes('banner')) return;
    const state = await api.consent.state();
    if (state.personalization.granted || declined()) return;
    if (await cmpDecides()) return;
    await styled;
    ctx.banner = showBanner({
      t: ctx.t,
      lang: ctx.lang,
      onYes: () => grant('banner'),
      onNo: () => declined(true),
      onMore: (opener) => openCentre(ctx, opener),
    });
  }

  // The privacy centre opens from any [data-emma-privacy] element, even when the engine
  // could not load (it then says so).
  document.addEventListener('click', (e) => {
    const opener = e.target.closest && e.target.closest('[data-emma-privacy]');
    if (!opener) return;
    e.preventDefault();
    domReady.then(() => openCentre(ctx, opener));
  });

  started.then(
    async (api) => {
      document.addEventListener('click', (e) => {
        const event = e.target.closest && clickEvent(e.target);
        if (event) track(event);
      });
      const event = pageEvent(document.body);
      if (event) await track(event);
      // Consent from anywhere (banner, privacy centre, a CMP, Consent Mode): refill the slots;
      // once personalisation is granted the banner has nothing left to ask.
      api.on('consent', (state) => {
        if (state && state.personalization && state.personalization.granted && ctx.banner && !ctx.banner.busy) ctx.banner.close();
        fillAll().catch((e) => warn(`filling the slots failed: ${e.message}`));
      });
      try {
        await Promise.all([fillAll(), maybeBanner(api)]);
      } catch (e) {
        warn(`starting on this page failed: ${e.message}`);
      }
      document.documentElement.dataset.emma = 'ready';
      document.dispatchEvent(new CustomEvent('emma:ready'));
    },
    async (err) => {
      await domReady;
      warn(`personalisation is off on this page (${err.code || 'ERROR'}): ${err.message}`);
      for (const slot of document.querySelectorAll('[data-emma-slot]')) {
        slot.dataset.emmaState = 'fallback';
        slot.dataset.emmaError = err.code || 'ERROR';
      }
      document.documentElement.dataset.emma = 'unavailable';
      document.dispatchEvent(new CustomEvent('emma:unavailable', { detail: { code: err.code, message: err.message } }));
    },
  );
}
