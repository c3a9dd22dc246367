// The public API (see README "API"). It moves bytes between the page, storage and the
// engine; every decision about the shopper is the engine's (src/core).
import { Boundary } from './boundary.js';
import { EmmaError, asEmmaError } from './errors.js';
import { KeyKeeper } from './keys.js';
import { MemoryStorage } from './storage/memory.js';

const PROFILE_RECORD = 'profile';
const EVENTS = ['error', 'consent', 'storage', 'recommendations'];

// env: what differs between browsers and Node: { loadModule, openStorage, fetchBytes, defaultStorage }.
export async function createEmmaWith(env, options = {}) {
  if (!options || typeof options !== 'object') throw new EmmaError('BAD_REQUEST', 'createEmma(options): options must be an object');
  const { shop, bundle, storage = env.defaultStorage, now = () => Date.now() } = options;
  if (typeof shop !== 'string' || shop.length === 0 || shop.length > 128) {
    throw new EmmaError('BAD_REQUEST', 'createEmma: options.shop must be a shop id of 1 to 128 characters');
  }
  if (bundle === undefined || bundle === null) {
    throw new EmmaError('BAD_BUNDLE', 'createEmma: options.bundle is required (a URL, bytes, or a catalog object)');
  }
  const module = await env.loadModule(options);
  const boundary = new Boundary(module);
  boundary.call({ op: 'configure', shop });
  await loadBundle(env, boundary, bundle);
  const emma = new Emma(env, boundary, now);
  // Handlers given here hear what happens while starting (a tampered profile, no storage).
  for (const [event, handler] of Object.entries(options.on || {})) emma.on(event, handler);
  await emma._openStorage(storage, shop);
  return emma;
}

async function loadBundle(env, boundary, bundle) {
  if (bundle instanceof Uint8Array || bundle instanceof ArrayBuffer) {
    boundary.call({ op: 'bundle.load' }, bundle instanceof Uint8Array ? bundle : new Uint8Array(bundle));
  } else if (typeof bundle === 'string' || bundle instanceof URL) {
    const bytes = await env.fetchBytes(String(bundle));
    try {
      boundary.call({ op: 'bundle.load' }, bytes);
    } catch (err) {
      if (err instanceof EmmaError) err.message = `${bundle}: ${err.message}`;
      throw err;
    }
  } else if (typeof bundle === 'object') {
    boundary.call({ op: 'catalog.load', catalog: bundle });
  } else {
    throw new EmmaError('BAD_BUNDLE', `createEmma: options.bundle is ${typeof bundle}; expected a URL, bytes, or a catalog object`);
  }
}

class Emma {
  #env;
  #engine;
  #now;
  #storage = null;
  #keys = null;
  #keyLoaded = false;
  #handlers = new Map(EVENTS.map((e) => [e, new Set()]));
  #dirty = false;
  #flushing = null;
  #lastWrite = Promise.resolve(true);

  constructor(env, boundary, now) {
    this.#env = env;
    this.#engine = boundary;
    this.#now = now;
    const self = this;
    this.consent = {
      grant: (purpose, details = {}) => self.#consentChange('consent.grant', purpose, details),
      withdraw: (purpose, details = {}) => self.#consentChange('consent.withdraw', purpose, details),
      state: async () => self.#call({ op: 'consent.state' }),
      records: async () => self.#call({ op: 'consent.records' }),
      // Relays what a consent source reported (source: 'tcf' | 'consent-mode' | 'gpc'); the
      // engine decides what it means for each purpose (src/core/consent_signals.hpp).
      signal: (source, signal) => self.#consentChange('consent.signal', undefined, { source, signal }),
    };
    this.profile = {
      export: async () => self.#call({ op: 'profile.export' }),
      object: async (on = true) => {
        const r = self.#call({ op: 'profile.object', object: on });
        if (r.persist) await self.#persist();
        return { objected: r.objected };
      },
    };
  }

  // The engine's answer to one control message, with "now" supplied from here.
  #call(message, bytes) {
    return this.#engine.call({ now: this.#now(), ...message }, bytes).result;
  }

  on(event, handler) {
    const set = this.#handlers.get(event);
    if (!set) throw new EmmaError('BAD_REQUEST', `on(): "${event}" is not an event; use ${EVENTS.join(', ')}`);
    set.add(handler);
    return () => set.delete(handler);
  }

  #emit(event, detail) {
    for (const h of this.#handlers.get(event)) {
      try {
        h(detail);
      } catch {
        // A shop's handler must not break Emma.
      }
    }
  }

  async track(event) {
    const r = this.#call({ op: 'track', event });
    if (r.persist) return { recorded: r.recorded, stored: await this.#persist() };
    return { recorded: r.recorded, stored: false };
  }

  async recommend(request = {}) {
    const r = this.#call({ op: 'recommend', request });
    this.#emit('recommendations', r);
    return r;
  }

  async #consentChange(op, purpose, details) {
    if (details === null || typeof details !== 'object') throw new EmmaError('BAD_CONSENT', `${op}: details must be an object`);
    const r = this.#call(purpose === undefined ? { op, ...details } : { op, ...details, purpose });
    if (!r.changed || r.changed.length) this.#emit('consent', r.state);
    if (r.erase_storage) await this.#eraseStorage();
    else if (r.persist) await this.#persist();
    return r.state;
  }

  async erase() {
    this.#call({ op: 'erase' });
    await this.#eraseStorage();
    this.#emit('consent', await this.consent.state());
  }

  async close() {
    await this.#lastWrite;
    this.#engine.destroy();
  }

  // --- storage -----------------------------------------------------------------------

  async _openStorage(spec, shop) {
    try {
      this.#storage = await this.#env.openStorage(spec, shop);
    } catch (err) {
      if (err instanceof EmmaError && err.code === 'BAD_REQUEST') throw err;  // a wrong option, not a browser limit
      // No usable storage (private mode, blocked): Emma works in memory for this page.
      const e = asEmmaError(err, 'STORAGE_UNAVAILABLE', 'opening storage');
      this.#storage = await MemoryStorage.create();
      this.#emit('storage', { ok: false, code: e.code, message: e.message, fallback: 'memory' });
      this.#emit('error', e);
    }
    this.#keys = new KeyKeeper(this.#storage);
    await this.#restore();
  }

  async #restore() {
    let sealed;
    try {
      sealed = await this.#storage.get(PROFILE_RECORD);
      if (!sealed) return;
      const key = await this.#keys.load();
      if (!key) throw new EmmaError('TAMPERED', 'a stored profile exists but its key is missing');
      this.#engine.call({ op: 'vault.set_key', key_id: key.id }, key.bytes);
      this.#keyLoaded = true;
      this.#engine.call({ op: 'profile.open' }, sealed instanceof Uint8Array ? sealed : new Uint8Array(sealed));
    } catch (err) {
      const e = asEmmaError(err, 'STORAGE_FAILED', 'restoring the profile');
      if (e.code === 'TAMPERED' || e.code === 'WRONG_KEY' || e.code === 'UNSUPPORTED') await this.#setAside(sealed, e);
      this.#emit('storage', { ok: false, code: e.code, message: e.message });
      this.#emit('error', e);
    }
  }

  // A record that cannot be opened is moved aside, never overwritten: the shopper can still
  // export or delete it; a fresh profile starts.
  async #setAside(sealed, reason) {
    this.#keyLoaded = false;
    if (!sealed) return;
    const key = await this.#storage.get('key').catch(() => undefined);
    const at = this.#now();
    const entries = [[`quarantine.${at}.profile`, sealed]];
    if (key) entries.push([`quarantine.${at}.key`, key]);
    await this.#storage.putMany(entries);
    await this.#storage.delete(PROFILE_RECORD);
    await this.#storage.delete('key');
    this.#emit('storage', { ok: false, code: reason.code, setAside: `quarantine.${at}` });
  }

  // Seals and writes the profile. Concurrent callers share one write; resolves true when
  // what the caller changed is on storage, false when storage failed (kept in memory).
  async #persist() {
    this.#dirty = true;
    if (!this.#flushing) {
      this.#flushing = (async () => {
        let ok = true;
        while (this.#dirty) {
          this.#dirty = false;
          ok = await this.#writeOnce();
        }
        this.#flushing = null;
        return ok;
      })();
      this.#lastWrite = this.#flushing;
    }
    return this.#flushing;
  }

  async #writeOnce() {
    try {
      const entries = [];
      if (!this.#keyLoaded) {
        const { key, record } = await this.#keys.create();
        this.#engine.call({ op: 'vault.set_key', key_id: key.id }, key.bytes);
        key.bytes.fill(0);
        entries.push(record);
        this.#keyLoaded = true;
      }
      const { bytes } = this.#engine.call({ op: 'profile.seal' });
      entries.push([PROFILE_RECORD, bytes]);
      await this.#storage.putMany(entries);
      this.#emit('storage', { ok: true, bytes: bytes.length });
      return true;
    } catch (err) {
      const e = asEmmaError(err, 'STORAGE_FAILED', 'saving the profile');
      if (e.code === 'NO_CONSENT') return false;
      this.#emit('storage', { ok: false, code: e.code, message: e.message });
      this.#emit('error', e);
      return false;
    }
  }

  // Keys first (crypto-shredding), then the data, then the container itself.
  async #eraseStorage() {
    await this.#lastWrite;
    this.#keyLoaded = false;
    try {
      await this.#keys.destroy();
      await this.#storage.destroy();
    } catch (err) {
      const e = asEmmaError(err, 'STORAGE_FAILED', 'erasing storage');
      this.#emit('error', e);
      throw e;
    }
  }

  // For tests and diagnostics: the engine's heap in use, in bytes.
  _heapInUse() {
    return this.#engine.heapInUse();
  }
}
