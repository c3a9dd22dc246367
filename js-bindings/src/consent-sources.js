// Consent sources (browsers): relays what the page's consent tools report to
// emma.consent.signal(source, signal). What a report means for each purpose is decided by
// the engine (src/core/consent_signals.hpp); this file only listens and copies fields.
//
//   banner        Emma's own banner (or the shop's), which calls consent.grant itself:
//                 nothing to listen to here.
//   tcf           IAB TCF v2.2: __tcfapi('addEventListener', 2, cb); every TCData it reports.
//   consent-mode  Google Consent Mode v2: `gtag('consent', 'update', {...})` entries of
//                 window.dataLayer that carry personalization_storage, present and later
//                 ones. 'default' entries are the site's preset before anyone chose, not a
//                 shopper's signal, and are not relayed.
//   gpc           Global Privacy Control: navigator.globalPrivacyControl, once at start.
import { EmmaError } from './errors.js';

export const CONSENT_SOURCES = ['banner', 'tcf', 'consent-mode', 'gpc'];

// Throws BAD_REQUEST for a malformed `consent` option (called before the engine loads).
export function checkConsentOption(consent) {
  if (consent === undefined) return;
  if (!consent || typeof consent !== 'object') throw new EmmaError('BAD_REQUEST', 'createEmma: options.consent must be an object');
  const { sources } = consent;
  if (sources === undefined) return;
  if (!Array.isArray(sources)) throw new EmmaError('BAD_REQUEST', `createEmma: options.consent.sources must be an array of ${CONSENT_SOURCES.join(', ')}`);
  for (const [i, s] of sources.entries()) {
    if (!CONSENT_SOURCES.includes(s)) {
      throw new EmmaError('BAD_REQUEST', `createEmma: options.consent.sources[${i}] is "${String(s).slice(0, 40)}"; use ${CONSENT_SOURCES.join(', ')}`);
    }
  }
}

function booleans(map) {
  const out = {};
  if (map && typeof map === 'object') for (const [k, v] of Object.entries(map)) if (typeof v === 'boolean') out[k] = v;
  return out;
}

// The fields of a TCData object that the engine reads.
export function tcfSignal(d) {
  return {
    gdprApplies: typeof d.gdprApplies === 'boolean' ? d.gdprApplies : undefined,
    eventStatus: typeof d.eventStatus === 'string' ? d.eventStatus : undefined,
    cmpId: Number.isInteger(d.cmpId) ? d.cmpId : undefined,
    tcfPolicyVersion: Number.isInteger(d.tcfPolicyVersion) ? d.tcfPolicyVersion : undefined,
    purpose: { consents: booleans(d.purpose && d.purpose.consents) },
    publisher: { consents: booleans(d.publisher && d.publisher.consents) },
  };
}

function watchTcf(win, relay) {
  let listenerId;
  let stopped = false;
  const attach = () => {
    if (typeof win.__tcfapi !== 'function') return false;
    win.__tcfapi('addEventListener', 2, (tcData, success) => {
      if (stopped || !success || !tcData) return;
      if (listenerId === undefined) listenerId = tcData.listenerId;
      relay('tcf', tcfSignal(tcData));
    });
    return true;
  };
  // A CMP that installs itself after Emma: look again once the page has loaded.
  const onLoad = () => attach();
  if (!attach()) win.addEventListener('load', onLoad, { once: true });
  return () => {
    stopped = true;
    win.removeEventListener('load', onLoad);
    if (listenerId !== undefined && typeof win.__tcfapi === 'function') win.__tcfapi('removeEventListener', 2, () => {}, listenerId);
  };
}

function watchConsentMode(win, relay) {
  let last;
  const read = (entry) => {
    // gtag() pushes its `arguments`: ['consent', 'update', { personalization_storage, … }]
    if (!entry || typeof entry !== 'object' || entry[0] !== 'consent' || entry[1] !== 'update') return;
    const value = entry[2] && entry[2].personalization_storage;
    if (typeof value !== 'string' || value === last) return;
    last = value;
    relay('consent-mode', { personalization_storage: value });
  };
  const layer = (win.dataLayer = win.dataLayer || []);
  if (!Array.isArray(layer)) return () => {};
  for (const entry of layer) read(entry);
  const push = layer.push;
  const watched = function (...entries) {
    const r = push.apply(this, entries);
    for (const entry of entries) read(entry);
    return r;
  };
  layer.push = watched;
  return () => {
    if (layer.push === watched) layer.push = push;
  };
}

// Starts the listed sources for an Emma instance; returns a function that stops them.
// Reports are applied one after another, in the order the page made them.
export function startConsentSources(emma, consent, { win = globalThis, onError = () => {} } = {}) {
  const sources = (consent && consent.sources) || [];
  let chain = Promise.resolve();
  const relay = (source, signal) => {
    chain = chain.then(() => emma.consent.signal(source, signal)).catch((err) => {
      if (!(err instanceof EmmaError && err.code === 'CLOSED')) onError(err);
    });
  };
  const stops = [];
  if (sources.includes('gpc') && win.navigator && 'globalPrivacyControl' in win.navigator) {
    relay('gpc', { enabled: win.navigator.globalPrivacyControl === true });
  }
  if (sources.includes('tcf')) stops.push(watchTcf(win, relay));
  if (sources.includes('consent-mode')) stops.push(watchConsentMode(win, relay));
  return () => {
    for (const stop of stops) stop();
  };
}
