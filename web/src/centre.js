// The privacy centre: a modal <dialog> (focus is kept inside, Escape closes it, focus
// returns to what opened it). It shows what Emma knows (from profile.export()), why each
// recommendation on the page is there, and the shopper's rights: forget, export, erase,
// withdraw and object; a passphrase backup to keep (browsers clear sites' storage) and restore.
// Every figure and word about the shopper comes from the engine.
import { download, h, svg } from './dom.js';
import { reasonText } from './i18n.js';  // (bundled into emma-centre.js as well)

let dialog = null;

function section(title, ...body) {
  return h('section', { class: 'emma-section' }, h('h3', {}, title), ...body);
}

// Interests as bars: an SVG per row whose <rect> width is the share of the strongest
// interest (attributes, not inline styles, so strict CSP pages show it).
function chart(entries, t, forget) {
  if (!entries.length) return h('p', {}, t.nothing);
  const max = Math.max(...entries.map(([, w]) => w)) || 1;
  return h('ul', { class: 'emma-chart' }, ...entries.map(([name, weight]) => {
    const share = Math.round((100 * weight) / max);
    return h('li', {},
      h('span', { class: 'emma-chart-label' }, name.split('/').join(' › ')),
      svg('svg', { class: 'emma-bar', viewBox: '0 0 100 10', preserveAspectRatio: 'none', 'aria-hidden': 'true', focusable: 'false' },
        svg('rect', { width: Math.max(share, 1), height: 10, rx: 2 })),
      h('span', { class: 'emma-chart-value' }, `${share} %`),
      forget ? forget({ category: name }, name) : null);
  }));
}

async function render(ctx) {
  const { api, t } = ctx;
  const body = [];
  if (!api) {
    body.push(h('p', {}, t.unavailable));
    return body;
  }
  // Consent comes from the page's engine; what Emma holds (the export, the records) from the
  // engine with the shopper's rights, fetched when first asked for (docs/embed.md). When that one
  // cannot be had (offline, not deployed), the centre still offers withdrawal and erasure, and
  // says what it cannot show.
  const state = await api.consent.state();
  let data = null;
  let missing = null;
  try {
    data = await api.profile.export();
  } catch (err) {
    missing = h('p', { role: 'alert', 'data-emma-missing': '' }, `${t.missing} (${err.message})`);
  }
  const on = state.personalization.granted;
  const rerender = async (work) => {
    await work();
    await open(ctx, null);
  };
  const button = (label, attrs, work) => {
    const b = h('button', { type: 'button', class: 'emma-btn', ...attrs }, label);
    b.addEventListener('click', () => rerender(work));
    return b;
  };

  const status = h('p', { class: 'emma-status', 'data-emma-status': on ? 'on' : 'off' }, on ? t.statusOn : t.statusOff);
  if (state.personalization.source) status.append(` (${t.statusVia}: ${state.personalization.source})`);
  const objectBox = data && h('input', { type: 'checkbox', id: 'emma-object', checked: data.objected });
  if (objectBox) objectBox.addEventListener('change', () => rerender(() => api.profile.object(objectBox.checked)));
  body.push(section(t.personalisation,
    status,
    on ? button(t.withdraw, { 'data-emma-action': 'withdraw' }, () => api.consent.withdraw('personalization', { source: 'privacy-centre' }))
      : button(t.grant, { 'data-emma-action': 'grant', class: 'emma-btn emma-primary' }, () => ctx.grant('privacy-centre')),
    on && objectBox ? h('p', { class: 'emma-check' }, objectBox, h('label', { for: 'emma-object' }, t.object)) : null));
  if (!data) {
    body.push(missing, section(t.yourData, h('div', { class: 'emma-actions' }, button(t.erase, { 'data-emma-action': 'erase' }, () => api.erase()))));
    return body;
  }

  // Forgetting needs profile.forget in the API; without it the control is not offered.
  const forget = typeof api.profile.forget === 'function'
    ? (what, name) => button(t.forget, { 'data-emma-forget': JSON.stringify(what), 'aria-label': `${t.forget}: ${name}` }, () => api.profile.forget(what))
    : null;
  // Titles as the export gives them (recently viewed, purchases), else as the page saw them.
  const titles = new Map();
  for (const list of [data.recently_viewed, data.purchases]) {
    if (Array.isArray(list)) for (const e of list) if (e && e.item && e.title) titles.set(e.item, e.title);
  }
  const titleOf = (id) => titles.get(id) || ctx.titleOf(id);
  const interests = data.interests || {};
  const cats = Object.entries(interests.categories || {}).filter(([, w]) => w > 0).sort((a, b) => b[1] - a[1]).slice(0, 8);
  const items = Object.entries(interests.items || {}).filter(([, w]) => w > 0).sort((a, b) => b[1] - a[1]).slice(0, 12);
  body.push(section(t.knows,
    h('h4', {}, t.interests), chart(cats, t, forget),
    h('h4', {}, t.items),
    items.length
      ? h('ul', { class: 'emma-known' }, ...items.map(([id]) => h('li', { 'data-emma-known': id }, titleOf(id), forget ? forget({ item: id }, titleOf(id)) : null)))
      : h('p', {}, t.nothing)));

  // The shop's experiment (issue #12): which arm this browser drew, and what is kept for it.
  const x = data.experiment;
  if (x) {
    body.push(section(t.experiment, h('p', { 'data-emma-arm': x.arm }, `${x.arm === 'control' ? t.armControl : t.armPersonalized} (${x.id}: ${x.arm})`),
      h('p', {}, `${t.counted} (${x.recommended.length})`),
      // What was counted of them, on this device only (src/core/experiment.hpp ExperimentCounts).
      h('p', { 'data-emma-counts': '' }, Object.entries(t.tally).map(([k, label]) => `${label}: ${x.counts?.[k] ?? 0}`).join(', '))));
  }

  const shown = [...ctx.shown.values()].flatMap((r) => r.items);
  const seen = new Set();
  const why = shown.filter((i) => !seen.has(i.id) && seen.add(i.id)).slice(0, 12);
  body.push(section(t.why, why.length
    ? h('ul', { class: 'emma-why-list' }, ...why.map((i) => h('li', {}, h('strong', {}, i.title || i.id), ': ', i.reasons.map((r) => reasonText(r, ctx.lang)).join(' · '))))
    : h('p', {}, t.noRecs)));
  // Content the page chose for this shopper (data-emma-choose), and why.
  const choices = [...ctx.shown.values()].filter((r) => r.choice).map((r) => r.choice);
  if (choices.length) {
    body.push(section(t.chosen, h('ul', { class: 'emma-why-list', 'data-emma-chosen-list': '' },
      ...choices.map((c) => h('li', {}, h('strong', {}, `${c.place}: ${c.id}`), ': ', c.reasons.map((r) => reasonText(r, ctx.lang)).join(' · '))))));
  }

  // Backup and restore share the passphrase field; a failure (a wrong passphrase) is shown.
  const keep = [];
  if (on) {
    const pass = h('input', { type: 'password', id: 'emma-pass', autocomplete: 'off' });
    const file = h('input', { type: 'file', id: 'emma-file' });
    const note = h('p', { role: 'alert' });
    // The key derivation (Argon2id) takes seconds: the shopper sees that Emma works, and an
    // earlier attempt's error is gone before the next one's answer. The file input is emptied
    // after each attempt, so choosing the same file again (after a mistyped passphrase) is a
    // change the browser reports.
    const guard = (work) => () => {
      note.textContent = t.working;
      return work().then(() => { note.textContent = ''; }, (e) => { note.textContent = e.message; }).finally(() => { file.value = ''; });
    };
    const backup = h('button', { type: 'button', class: 'emma-btn', 'data-emma-action': 'backup' }, t.backup);
    backup.addEventListener('click', guard(async () => download([await api.profile.backup({ passphrase: pass.value })], 'emma-backup.bin')));
    file.addEventListener('change', guard(async () => {
      if (!file.files.length) return;
      await api.profile.restore(new Uint8Array(await file.files[0].arrayBuffer()), { passphrase: pass.value });
      await open(ctx, null);
    }));
    keep.push(h('label', { for: 'emma-pass' }, t.pass), pass, backup, h('label', { for: 'emma-file' }, t.restore), file, note);
  }
  body.push(section(t.yourData,
    h('div', { class: 'emma-actions' },
      button(t.exportBtn, { 'data-emma-action': 'export' }, async () => download([JSON.stringify(await api.profile.export(), null, 2)], 'emma-profile.json')),
      button(t.erase, { 'data-emma-action': 'erase' }, () => api.erase()), ...keep)));

  const records = await api.consent.records().catch(() => []);
  if (records.length) {
    body.push(section(t.records, h('ul', { class: 'emma-records' }, ...records.map((r) => h('li', {},
      `${new Date(r.at).toLocaleString(ctx.lang)}: ${r.purpose} ${r.granted ? t.granted : t.refused} (${r.source}${r.version ? `, ${r.version}` : ''})`)))));
  }
  return body;
}

// Opens (or refreshes) the centre; `opener` gets focus back when it closes.
export async function open(ctx, opener) {
  if (!dialog) {
    dialog = h('dialog', { class: 'emma-centre', 'aria-labelledby': 'emma-centre-title', lang: ctx.lang, 'data-emma-ui': 'privacy-centre' });
    dialog.addEventListener('close', () => {
      if (dialog.opener && dialog.opener.isConnected) dialog.opener.focus();
    });
    document.body.append(dialog);
  }
  if (opener) dialog.opener = opener;
  const { t } = ctx;
  const closeBtn = h('button', { type: 'button', class: 'emma-btn emma-close', 'aria-label': t.close }, '×');
  closeBtn.addEventListener('click', () => dialog.close());
  let body;
  try {
    body = await render(ctx);
  } catch (err) {
    body = [h('p', { role: 'alert' }, `${err.code || 'ERROR'}: ${err.message}`)];
  }
  dialog.setAttribute('aria-busy', 'false');
  dialog.replaceChildren(h('div', { class: 'emma-centre-head' }, h('h2', { id: 'emma-centre-title' }, t.centreTitle), closeBtn), ...body);
  if (!dialog.open) {
    dialog.showModal();
    closeBtn.focus();
  } else {
    dialog.querySelector('h2').setAttribute('tabindex', '-1');
    dialog.querySelector('h2').focus();
  }
  return dialog;
}
