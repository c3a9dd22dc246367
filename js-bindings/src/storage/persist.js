// Asks the browser to keep the site's storage through its own clean-ups (eviction under
// storage pressure; navigator.storage.persist()), only where that shows the shopper no
// prompt: when the permission is already 'granted' (Chromium grants by its own measure of
// the site, Firefox after the shopper once allowed it), or when the browser has no such
// permission to ask for (WebKit decides by itself). Firefox answers 'prompt' and would show
// a doorhanger, so it is not asked. Called after consent only; reading the state never asks.
let asked = null;

async function ask(nav) {
  let state;
  try {
    state = (await nav.permissions.query({ name: 'persistent-storage' })).state;
  } catch {
    state = 'none';  // no such permission (or no Permissions API): nothing to prompt for
  }
  if (state === 'granted' || state === 'none') await nav.storage.persist();
}

// ask: request it now (after consent). Resolves whether the storage is persisted.
export async function persisted(ask_, nav = globalThis.navigator) {
  const s = nav && nav.storage;
  if (!s || typeof s.persisted !== 'function') return false;  // e.g. WebKitGTK: no StorageManager
  if (ask_ && typeof s.persist === 'function') asked = ask(nav).catch(() => {});
  try {
    await asked;
    return (await s.persisted()) === true;
  } catch {
    return false;
  }
}
