// The consent banner: a labelled region placed first in <body> (so the first Tab reaches
// it), visually fixed at the bottom. Keyboard: Tab between the buttons, Enter/Space to
// choose, Escape to close it for this page without a decision. After a choice focus moves
// on to the page's next focusable element and a live region says what was saved.
import { h, nextFocusable } from './dom.js';

let live = null;

export function announce(text) {
  if (!live) {
    live = h('div', { class: 'emma-sr', role: 'status', 'aria-live': 'polite' });
    document.body.append(live);
  }
  live.textContent = '';
  setTimeout(() => (live.textContent = text), 50);
}

export function showBanner({ t, lang, onYes, onNo, onMore }) {
  const banner = h('section', { class: 'emma-banner', role: 'region', 'aria-label': t.bannerLabel, lang, 'data-emma-ui': 'banner' },
    h('h2', { class: 'emma-banner-title', id: 'emma-banner-title' }, t.bannerTitle),
    h('p', { id: 'emma-banner-text' }, t.bannerText),
    h('div', { class: 'emma-actions' },
      h('button', { type: 'button', class: 'emma-btn emma-primary', 'data-emma-choice': 'yes' }, t.yes),
      h('button', { type: 'button', class: 'emma-btn', 'data-emma-choice': 'no' }, t.no),
      h('button', { type: 'button', class: 'emma-btn emma-link', 'data-emma-choice': 'more' }, t.more)));

  // Idempotent: a choice here and consent arriving from elsewhere may both close it.
  let closed = false;
  const close = () => {
    if (closed) return;
    closed = true;
    const next = banner.contains(document.activeElement) ? nextFocusable(banner) : null;
    banner.remove();
    if (next) next.focus();
  };
  let busy = false;
  banner.addEventListener('click', async (e) => {
    const choice = e.target.closest('[data-emma-choice]');
    if (!choice || busy) return;
    const which = choice.dataset.emmaChoice;
    if (which === 'more') {
      onMore(choice);
      return;
    }
    // Not `disabled`: that would drop the focus to <body> before it can move on.
    busy = true;
    banner.setAttribute('aria-busy', 'true');
    try {
      await (which === 'yes' ? onYes() : onNo());
      announce(which === 'yes' ? t.savedYes : t.savedNo);
    } finally {
      close();
    }
  });
  banner.addEventListener('keydown', (e) => {
    if (e.key === 'Escape') close();
  });
  document.body.prepend(banner);
  // busy: a choice made here is still being saved; the banner closes itself once it is, so
  // that it never looks done before the consent is on storage.
  return { element: banner, close, get busy() { return busy; } };
}
