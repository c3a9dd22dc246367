// React binding (`tante-emma/react`): a provider that starts one Emma instance, a hook that
// asks it for recommendations, and a slot that keeps the shop's own fallback children until
// the engine answers with items, the contract of the embed's `data-emma-slot`. It uses the
// public API only (every decision stays in the engine). Safe under server-side rendering:
// nothing touches `window` at import or during render; the instance starts in an effect,
// which runs only in the browser, so the server renders the fallback.
import { createContext, createElement, Fragment, useContext, useEffect, useMemo, useState } from 'react';
import { createEmma } from 'tante-emma';

const EmmaContext = createContext({ emma: null, error: null });

// <EmmaProvider options={{ bundle, shop, … }}> starts an instance for its children (closed on
// unmount), or <EmmaProvider emma={instance}> shares one the app made itself. `options` is
// read once: a new instance needs a new `key`.
export function EmmaProvider({ options, emma: given, children }) {
  const [state, setState] = useState({ emma: given || null, error: null });
  useEffect(() => {
    if (given) {
      setState({ emma: given, error: null });
      return undefined;
    }
    let live = true;
    let made = null;
    createEmma(options).then(
      (emma) => {
        made = emma;
        if (live) setState({ emma, error: null });
        else emma.close();
      },
      (error) => live && setState({ emma: null, error }),
    );
    return () => {
      live = false;
      if (made) made.close();
    };
  }, [given]);  // eslint-disable-line react-hooks/exhaustive-deps -- options are read once
  return createElement(EmmaContext.Provider, { value: state }, children);
}

// The instance (null until it has started, and on the server).
export function useEmma() {
  return useContext(EmmaContext).emma;
}

// { items, personalized, loading, error } for `request`; asked again when the request's
// content or the shopper's consent changes.
export function useRecommendations(request = {}) {
  const { emma, error: startError } = useContext(EmmaContext);
  const key = JSON.stringify(request);
  const [answer, setAnswer] = useState({ items: null, personalized: false, loading: true, error: null });
  const [consentChanges, setConsentChanges] = useState(0);
  useEffect(() => (emma ? emma.on('consent', () => setConsentChanges((n) => n + 1)) : undefined), [emma]);
  useEffect(() => {
    if (!emma) {
      setAnswer({ items: null, personalized: false, loading: !startError, error: startError });
      return undefined;
    }
    let live = true;
    emma.recommend(JSON.parse(key)).then(
      (r) => live && setAnswer({ items: r.items, personalized: r.personalized, loading: false, error: null }),
      (error) => live && setAnswer({ items: null, personalized: false, loading: false, error }),
    );
    return () => {
      live = false;
    };
  }, [emma, key, consentChanges, startError]);
  return answer;
}

// <EmmaSlot request={{ scenario: 'similar', item }} renderItem={(item) => …}>fallback</EmmaSlot>:
// the children (the shop's fallback) stay until the engine answers with at least one item;
// an empty answer, an error or no engine keeps them.
export function EmmaSlot({ request, renderItem, children, as = 'div', ...rest }) {
  const { items } = useRecommendations(request);
  const filled = useMemo(() => (items && items.length ? items.map((item) => createElement(Fragment, { key: item.id }, renderItem(item))) : null), [items, renderItem]);
  return createElement(as, { ...rest, 'data-emma-filled': filled ? 'true' : undefined }, filled || children);
}

// { chosen, reasons, loading, error }: which of `variants` ([{ id, categories?, segments?,
// returning?, price_sensitive?, from?, until? }]) fits this shopper (the engine's pick_variant);
// chosen is null when none does. Asked again when the variants or the consent change.
export function useVariant(variants, definitions) {
  const { emma, error: startError } = useContext(EmmaContext);
  const key = JSON.stringify({ scenario: 'pick_variant', variants, ...(definitions ? { definitions } : {}) });
  const [answer, setAnswer] = useState({ chosen: null, reasons: [], loading: true, error: null });
  const [consentChanges, setConsentChanges] = useState(0);
  useEffect(() => (emma ? emma.on('consent', () => setConsentChanges((n) => n + 1)) : undefined), [emma]);
  useEffect(() => {
    if (!emma) {
      setAnswer({ chosen: null, reasons: [], loading: !startError, error: startError });
      return undefined;
    }
    let live = true;
    emma.recommend(JSON.parse(key)).then(
      (r) => live && setAnswer({ chosen: r.chosen, reasons: (r.variants.find((v) => v.id === r.chosen) || { reasons: [] }).reasons, loading: false, error: null }),
      (error) => live && setAnswer({ chosen: null, reasons: [], loading: false, error }),
    );
    return () => {
      live = false;
    };
  }, [emma, key, consentChanges, startError]);
  return answer;
}

// <EmmaChoose variants={[{ id, returning: true, render: () => <Greeting /> }]}>default</EmmaChoose>,
// the contract of the embed's data-emma-choose: the fitting variant's render() replaces the
// children (the shop's default), which stay when nothing fits, without consent, on an error
// or without an engine.
export function EmmaChoose({ variants, definitions, children, as = 'div', ...rest }) {
  const conditions = useMemo(() => variants.map(({ render, ...v }) => v), [variants]);  // eslint-disable-line no-unused-vars
  const { chosen } = useVariant(conditions, definitions);
  const variant = chosen && variants.find((v) => v.id === chosen);
  return createElement(as, { ...rest, 'data-emma-chosen': variant ? chosen : undefined }, variant ? variant.render() : children);
}
