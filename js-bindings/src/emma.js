// The public API (see docs/api.md). It moves bytes between the page, storage and the
// engine; every decision about the shopper is the engine's (src/core).
import { Boundary } from './boundary.js';
import { EmmaError, asEmmaError, closedError } from './errors.js';
import { attachInsights, insightsOptions } from './insights.js';
import { KEY_RECORD, KeyKeeper } from './keys.js';
import { describe, fields, normalizeSecret } from './args.js';
import { createSync } from './sync-api.js';
import { checkConsentOption } from './consent-sources.js';
import { MemoryStorage } from './storage/memory.js';
import { TabSync, digest } from './storage/tabs.js';
import { bytesToBase64, sameBytes } from './storage/values.js';
import { VERSION } from './version.js';
import { shardFetcher } from './shards.js';

const PROFILE_RECORD = 'profile';
// A record that could not be opened is kept as `quarantine.<id>.profile` (+ `.key`, `.reason`).
const ASIDE = 'quarantine.';
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
  checkConsentOption(options.consent);  // (its texts the engine checks, in configure)
  // The bundle downloads while the engine loads (both only need their URLs); an engine that
  // fails to load is reported first, as before. `_mark(name)`: the embed's start-up timeline.
  const mark = options._mark || (() => {});
  const bundleBytes = typeof bundle === 'string' || bundle instanceof URL ? env.fetchBytes(String(bundle)) : null;
  if (bundleBytes) bundleBytes.then(() => mark('bundle-fetched'), () => {});
  // Storage opens meanwhile too (it needs neither engine nor bundle); what it reports on the
  // way waits for the handlers of options.on.
  const notices = [];
  const opening = Promise.resolve().then(() => env.openStorage(storage, shop, (...n) => notices.push(n))).then((s) => ({ s }), (err) => ({ err }));
  // The engine to start: the embed's page engine, until the session moves to the one with the
  // shopper's rights (options._rights, #withRights), which later restarts then use too.
  let engineOptions = options;
  const start = async (fetching) => {
    const engine = new Boundary(await env.loadModule(engineOptions));
    mark('engine');
    // The shop's privacy configuration: retention windows and who the controller is (for the
    // record of processing). The engine validates both.
    engine.call({ op: 'configure', shop, retention: options.retention, controller: options.controller, profile: options.profile, keys: options.keys,
      insights: insightsOptions(options.insights)?.engine, experiment: experimentOption(options.experiment), consent_texts: options.consent?.texts });
    sharded = (await loadBundle(env, engine, bundle, fetching))?.shards > 0;
    return engine;
  };
  let sharded = false;
  let boundary;
  let restarted = null;
  try {
    try {
      boundary = await start(bundleBytes);
    } catch (err) {
      // A trap leaves that instance unusable, not the engine: WebKit's baseline wasm compiler
      // now and then traps inside BLAKE2b while it tiers up (docs/browsers.md, "A WebKit trap").
      // A fresh instance starts again, once; a trap that repeats is reported as it is.
      if (!(err instanceof EmmaError) || err.code !== 'ENGINE_FAILED') throw err;
      restarted = err;
      boundary = await start(bundleBytes);
    }
    mark('bundle');
  } catch (err) {
    // An adapter opened for nothing (Node's files hold a lock) is let go.
    opening.then(({ s }) => s && s !== storage && typeof s.close === 'function' && s.close()).catch(() => {});
    throw err;
  }
  const emma = new Emma(env, boundary, now, options.sync);
  // A sharded catalog's shards sit next to its head (docs/catalog-size.md).
  if (sharded) emma._shardsBeside(String(bundle));
  // A trap later in the session: a fresh instance, the bundle fetched again (the HTTP cache
  // has it; bytes given here are kept), and the stored profile opened in it (#recover).
  emma._restartWith(() => start(bundleBytes && env.fetchBytes(String(bundle))));
  if (options._rights) {
    // The bundle bytes this page already has (no second request: a shop learns nothing more, and
    // it works offline); a trap while the engine starts is retried once, as above.
    emma._rightsWith(async () => {
      engineOptions = options._rights;
      try {
        return await start(bundleBytes);
      } catch (err) {
        if (!(err instanceof EmmaError) || err.code !== 'ENGINE_FAILED') throw err;
        emma._report(new EmmaError('ENGINE_FAILED', `the engine with the shopper's rights started again with a fresh instance after: ${err.message}`));
        return await start(bundleBytes);
      }
    }, () => {
      engineOptions = options;  // restarts after a trap stay on the page's engine
    });
  }
  // Handlers given here hear what happens while starting (a tampered profile, no storage).
  for (const [event, handler] of Object.entries(options.on || {})) emma.on(event, handler);
  if (restarted) emma._report(new EmmaError('ENGINE_FAILED', `started again with a fresh instance after: ${restarted.message}`));
  await emma._openStorage(opening, notices, shop, { tabSync: options._tabSync !== false });
  mark('storage');
  emma._attachInsights(options.insights, env.fetch);
  emma._pullAtStart();  // (only with a sync endpoint)
  return emma;
}

// The engine validates the experiment (src/core/experiment.cpp); only the name is mapped.
const experimentOption = (x) => (x && typeof x === 'object' ? { ...x, attribution_days: x.attributionDays } : x);

async function loadBundle(env, boundary, bundle, fetching) {
  if (bundle instanceof Uint8Array || bundle instanceof ArrayBuffer) {
    boundary.call({ op: 'bundle.load' }, bundle instanceof Uint8Array ? bundle : new Uint8Array(bundle));
  } else if (typeof bundle === 'string' || bundle instanceof URL) {
    const bytes = await fetching;
    try {
      return boundary.call({ op: 'bundle.load' }, bytes).result;
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

// Reads several records, in one storage read when the adapter can (getMany).
async function readMany(storage, names) {
  if (typeof storage.getMany === 'function') return storage.getMany(names);
  const out = [];
  for (const n of names) out.push(await storage.get(n));
  return out;
}

function asBytes(v) {
  if (v instanceof Uint8Array) return v;
  if (v instanceof ArrayBuffer) return new Uint8Array(v);
  return v;
}

// After close() every method rejects with CLOSED before it reads or writes anything.
function guardGroup(group, isClosed) {
  for (const [name, fn] of Object.entries(group)) {
    group[name] = (...args) => (isClosed() ? Promise.reject(closedError()) : fn(...args));
  }
}

const STORAGE_CODES = new Set(['STORAGE_QUOTA', 'STORAGE_FAILED', 'STORAGE_UNAVAILABLE', 'TAMPERED', 'UNSUPPORTED', 'BAD_REQUEST']);

class Emma {
  #env;
  #engine;
  #now;
  #storage = null;
  #keys = null;
  #keyLoaded = false;
  #keyId = null;  // the id of the key the stored profile was last sealed under
  // The sealed profile this instance last read or wrote; storage holding anything else
  // means another tab (or instance) wrote or erased since.
  #seen = undefined;
  #started = false;
  // Adapters given up for this page after a failure: erase() still clears them.
  #retired = [];
  #tabs = null;
  // Other tabs write the same records: re-read before every change (off only for a test
  // that shows what goes wrong without it, `_tabSync: false`).
  #shared = false;
  #queue = Promise.resolve();
  #shards = async () => {};  // a sharded catalog: fetches what a request's page fields name (shards.js)
  #sharded = false;
  #refreshQueued = false;
  #closed = false;
  #handlers = new Map(EVENTS.map((e) => [e, new Set()]));
  #stopInsights = () => {};
  #restart = null;  // a fresh engine instance, configured, its bundle loaded (createEmmaWith)
  #recovered = 0;
  #gpc = undefined;  // the last GPC signal, heard again after a restart (#recover)
  #rights = null;  // the embed's: starts the engine with the shopper's rights (#withRights)
  #syncs;  // sync-api.js: the sync.* methods, the automatic push and the server copy's deletion

  // The package's semver (CHANGELOG.md), e.g. to report with a bug.
  get version() {
    return VERSION;
  }

  constructor(env, boundary, now, syncOptions) {
    this.#env = env;
    this.#engine = boundary;
    this.#now = now;
    const self = this;
    this.consent = {
      grant: (purpose, details = {}) => self.#consentChange('consent.grant', purpose, details),
      withdraw: (purpose, details = {}) => self.#consentChange('consent.withdraw', purpose, details),
      state: () => self.#read({ op: 'consent.state' }),
      records: () => self.#rightsRead({ op: 'consent.records' }),
      // Relays what a consent source reported (source: 'tcf' | 'consent-mode' | 'gpc'); the
      // engine decides what it means for each purpose (src/core/consent_signals.hpp).
      signal: (source, signal) => self.#consentChange('consent.signal', undefined, { source, signal }),
    };
    this.profile = {
      // The engine's export, plus the records set aside because they could not be opened
      // (`set_aside`: their sealed bytes in base64, so the shopper gets those too).
      export: () => self.#serial(async () => {
        await self.#withRights();
        const out = self.#call({ op: 'profile.export' });
        out.set_aside = (await self.#listSetAside()).map((a) => ({
          id: a.id, at: a.at, code: a.code, message: a.message,
          profile_base64: a.profile instanceof Uint8Array ? bytesToBase64(a.profile) : null,
        }));
        return out;
      }),
      object: async (on = true) => {
        const { r } = await self.#mutate(() => self.#call({ op: 'profile.object', object: on }), undefined, () => self.#withRights());
        return { objected: r.objected };
      },
      // Art. 16: { item } | { category } | { search }; the engine decides what goes with it.
      // A copy the shopper keeps, sealed under their passphrase (Argon2id; docs/sync-and-backups.md "Backup
      // format"): bytes to save as a file. `kdf`: { opslimit, memlimit_kib } above the floor.
      backup: async (options) => {
        const { passphrase, kdf } = fields(options, 'profile.backup(options)', ['passphrase', 'kdf']);
        return self.#serial(async () => (await self.#withRights(),
          self.#call({ op: 'backup.seal', purpose: 'export', passphrase: normalizeSecret(passphrase), kdf }, undefined, true).bytes));
      },
      // Replaces this device's profile with a backup's (personalization must be granted here).
      restore: async (bytes, options) => {
        const { passphrase } = fields(options, 'profile.restore(bytes, options)', ['passphrase']);
        const data = asBytes(bytes);
        if (!(data instanceof Uint8Array)) throw new EmmaError('BAD_BACKUP', 'profile.restore(bytes): bytes must be a Uint8Array or ArrayBuffer');
        const { r, stored } = await self.#mutate(() => self.#call({ op: 'backup.open', passphrase: normalizeSecret(passphrase) }, data), undefined, () => self.#withRights());
        return { restored: r.restored, events: r.events, stored };
      },
      forget: async (what = {}) => {
        if (what === null || typeof what !== 'object') throw new EmmaError('BAD_REQUEST', 'profile.forget(what): what must be { item }, { category } or { search }');
        const { item, category, search } = fields(what, 'profile.forget(what)', ['item', 'category', 'search']);
        const { r, stored } = await self.#mutate(() => self.#call({ op: 'profile.forget', item, category, search }), undefined, () => self.#withRights());
        return { forgotten: r.forgotten, stored };
      },
    };
    // End-to-end encrypted sync between the shopper's devices (sync-api.js; the embed has none).
    this.#syncs = createSync(syncOptions, {
      call: (m, b, whole) => self.#call(m, b, whole),
      read: (m) => self.#read(m),
      serial: (fn) => self.#serial(fn),
      mutate: (fn) => self.#mutate(fn),
      // Sync work runs in call order, under the cross-tab lock, on the newest stored profile.
      syncing: (fn) => self.#serial(() => self.#locked(async () => {
        await self.#refresh();
        return fn();
      })),
      write: (o) => self.#write(o),
      emit: (e, d) => self.#emit(e, d),
      closed: () => self.#closed,
    });
    this.sync = this.#syncs.api;
    // What storage is in use, and the records set aside (kept until deleted or erase()).
    this.storage = {
      info: () => self.#serial(() => self.#storageInfo()),
      setAside: () => self.#serial(() => self.#listSetAside()),
      deleteSetAside: (id) => self.#serial(() => self.#locked(() => self.#deleteSetAside(id))),
      // A new data key now, the profile re-sealed under it in one atomic write (also done by
      // itself when the key is older than `keys.rotation_days`).
      rotateKey: () => self.#serial(() => self.#locked(async () => {
        await self.#refresh();
        const stored = self.#keyLoaded ? await self.#write({ rotate: true }) : false;
        return { rotated: stored, keyId: stored ? self.#keyId : null };
      })),
    };
    for (const group of [this.consent, this.profile, this.sync, this.storage]) guardGroup(group, () => self.#closed);
  }

  // The engine's answer to one control message, with "now" supplied from here (`whole`:
  // { result, bytes } for ops that answer bytes).
  #call(message, bytes, whole = false) {
    const answer = this.#engine.call({ now: this.#now(), ...message }, bytes);
    return whole ? answer : answer.result;
  }

  // Every public call runs after the ones made before it (storage waits do not reorder them).
  // One the engine trapped in runs again, once, on a fresh instance (#recover).
  #serial(fn) {
    const run = this.#queue.then(async () => {
      try {
        return await fn();
      } catch (err) {
        if (!(await this.#recover(err))) throw err;
        return fn();
      }
    });
    this.#queue = run.catch(() => {});
    return run;
  }

  #read(message) {
    return this.#serial(() => this.#call(message));
  }

  #rightsRead(message) {
    return this.#serial(async () => (await this.#withRights(), this.#call(message)));
  }

  // The embed's page engine leaves the shopper's rights out (src/core/engine_rights.cpp says
  // why): before the first of them, this session moves to an engine that has them, and stays
  // there. All of it goes over (what a seal would hold, the live GPC signal: state.document),
  // and the data key, so the next write goes on under it. An engine that fails to load fails
  // that call only (WASM_LOAD, naming its URL); the page's engine goes on.
  async #withRights() {
    for (let attempt = 0; this.#rights; attempt++) {
      let next;
      let adopted;
      try {
        next = await this.#rights.load();
        const doc = this.#call({ op: 'state.document' }, undefined, true).bytes;
        try {
          adopted = next.call({ op: 'state.adopt', now: this.#now() }, doc);
        } finally {
          doc.fill(0);  // the session in plaintext: only the engines hold it
        }
        // A key that cannot be read now is not fatal: the next write makes a new one and stores
        // it with the profile, in one write (#write). The page hears why.
        const key = this.#keyLoaded ? await this.#keys.load().catch((err) => {
          this.#emit('error', new EmmaError(err.code || 'STORAGE_FAILED', `moving to the engine with the shopper's rights: the data key could not be read (${err.message}); the next write stores the profile under a new key`, { cause: err }));
          return null;
        }) : null;
        if (key) {
          next.call({ op: 'vault.set_key', key_id: key.id, created_at: key.created }, key.bytes);
          key.bytes.fill(0);
        }
        this.#keyLoaded = !!key;
      } catch (err) {
        const trapped = next && err === next.broken;
        if (next) next.destroy();
        // A trap in the new instance (WebKit's, docs/browsers.md): a fresh one, once. One in the
        // page's engine is #recover's; anything else fails this call, and the page goes on.
        if (trapped && attempt === 0) continue;
        this.#rights.failed();
        throw err;
      }
      this.#rights = null;
      this.#engine.destroy();
      this.#engine = next;
      // Retention folded or an experiment's arm drawn while taking it in: stored now.
      if (adopted.result.persist) await this.#locked(() => this.#write());
    }
  }

  // Browsers: a Web Lock across tabs; Node files: the store's lock file across processes.
  // A lock that cannot be taken does not stop the change: on a full disk the write that
  // follows fails and says so (the stored profile stays as it is); a writer stuck for over
  // its wait is reported, and this change goes ahead unlocked.
  async #locked(fn) {
    if (this.#tabs) return this.#tabs.withLock(fn);
    if (!this.#shared || typeof this.#storage.withLock !== 'function') return fn();
    let ran = false;
    try {
      return await this.#storage.withLock(() => {
        ran = true;
        return fn();
      });
    } catch (err) {
      if (ran) throw err;
      const e = asEmmaError(err, 'STORAGE_FAILED', 'locking the store');
      if (e.code !== 'STORAGE_QUOTA') {
        this.#emit('storage', { ok: false, code: e.code, message: e.message });
        this.#emit('error', e);
      }
      return fn();
    }
  }

  // Read-modify-write of the stored profile: under the cross-tab lock, take in what another
  // tab wrote since, then apply the change, then write. So no tab loses another's events.
  // `changed(r)` hears the engine's answer before storage is touched.
  // `before`: work in the same place of the queue, outside the lock (a shard's fetch).
  // (Run again after a trap, #recover: the page hears `changed` once.)
  #mutate(change, changed = () => {}, before = null) {
    let told = false;
    return this.#serial(async () => (before && await before(), this.#locked(async () => {
      await this.#refresh();
      const r = change();
      if (!told) changed(r), told = true;
      let stored = false;
      if (r.erase_storage) await this.#eraseStorage();
      else if (r.persist) stored = await this.#write();
      const deleted = r.sync_delete ? await this.#syncs.deleteServerCopy(r.sync_delete) : false;
      return { r, stored, deleted };
    })));
  }

  on(event, handler) {
    const set = this.#handlers.get(event);
    if (!set) throw new EmmaError('BAD_REQUEST', `on(): ${describe(event)} is not an event; use ${EVENTS.join(', ')}`);
    set.add(handler);
    return () => set.delete(handler);
  }

  _shardsBeside(bundleUrl) {
    this.#sharded = true;
    this.#shards = shardFetcher(bundleUrl, (url) => this.#env.fetchBytes(url), (m, b) => this.#call(m, b), (e) => this.#emit('error', e));
  }

  _restartWith(restart) {
    this.#restart = restart;
  }

  _rightsWith(load, failed) {
    this.#rights = { load, failed };
  }

  // A trap inside wasm (WebKit's, docs/browsers.md "A WebKit trap") leaves the instance
  // unusable, not the shopper's profile: storage holds it as of the last change, since every
  // change is written before it returns. So a fresh instance opens it, and the call that
  // trapped runs again there (what it had done died with the old instance). Twice a page at
  // most; the page hears each on `error`. What was never stored (a session without consent)
  // starts again empty.
  async #recover(err) {
    if (err !== this.#engine.broken || !this.#restart || this.#recovered >= 2 || this.#closed) return false;
    this.#recovered++;
    try {
      this.#engine = await this.#restart();
    } catch {
      return false;  // the first error stands
    }
    this.#seen = undefined;
    this.#keyLoaded = false;
    this.#started = false;  // as at start: the stored profile is taken in without events
    try {
      await this.#locked(() => this.#refresh());
    } finally {
      this.#started = true;
    }
    // GPC is a live signal, never stored: the fresh instance hears it again (what it withdrew
    // is withdrawn in the stored record already, so nothing changes but the live flag). Other
    // sources' signals are stored as consent records, or were said without personalization and
    // start again empty, like the rest of such a session; replaying them could undo a later grant.
    if (this.#gpc !== undefined) {
      try {
        this.#call({ op: 'consent.signal', source: 'gpc', signal: this.#gpc });
      } catch {
        // it was accepted before; the page hears the recovery below either way
      }
    }
    // Working in memory since storage failed (#fallBackToMemory): what the page held and had not
    // written there died with the old instance; the stored profile is kept for the next page.
    const memory = this.#retired.length > 0;
    if (memory) this.#emit('consent', this.#call({ op: 'consent.state' }));
    this.#emit('error', new EmmaError('ENGINE_FAILED', `started again with a fresh instance, ${memory ? 'in memory (storage had failed): what this page held since may be lost' : 'the stored profile reopened'}, after: ${err.message}`));
    return true;
  }

  // An error the start-up recovered from (the handlers of options.on hear it).
  _report(err) {
    this.#emit('error', err);
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

  // `stored`: the change is on persistent storage (false without consent, in memory mode,
  // or when the write failed).
  async track(event) {
    if (this.#closed) throw closedError();
    // A sharded catalog: the item a page tracks is one it shows; its shard first, so that the
    // profile remembers its lists. (A getter that throws is the engine's BAD_EVENT to report.)
    let item = null;
    try {
      if (this.#sharded) item = event.item;
    } catch {}
    const { r, stored } = await this.#mutate(() => this.#call({ op: 'track', event }), undefined, typeof item === 'string' ? () => this.#shards({ item }) : null);
    return { recorded: r.recorded, stored };
  }

  // Why `item` would be recommended now, from this shopper's own signals.
  explain(item) {
    if (this.#closed) return Promise.reject(closedError());
    return this.#rightsRead({ op: 'explain', item });
  }

  // Art. 30: { json, markdown } generated from the live configuration.
  processingRecord() {
    if (this.#closed) return Promise.reject(closedError());
    return this.#rightsRead({ op: 'processing.record', key_protection: this.#keys.protection });
  }

  recommend(request = {}) {
    if (this.#closed) return Promise.reject(closedError());
    return this.#serial(async () => {
      await this.#shards(request);
      const r = this.#call({ op: 'recommend', request });
      this.#emit('recommendations', r);
      return r;
    });
  }

  async #consentChange(op, purpose, details) {
    if (details === null || typeof details !== 'object') throw new EmmaError('BAD_CONSENT', `${op}: details must be an object`);
    let message;
    try {
      message = purpose === undefined ? { op, ...details } : { op, ...details, purpose };
    } catch (err) {
      throw new EmmaError('BAD_CONSENT', `${op}: reading the details failed (${err.message})`, { cause: err });
    }
    const { r } = await this.#mutate(
      () => {
        const answer = this.#call(message);
        if (op === 'consent.signal' && details.source === 'gpc') this.#gpc = details.signal;
        return answer;
      },
      (answer) => {
        if (!answer.changed || answer.changed.length) this.#emit('consent', answer.state);
      },
    );
    // After consent, the browser is asked to keep the profile through its clean-ups (where it
    // does so without prompting; storage/persist.js). storage.info() waits for the answer.
    if (r.state.personalization && r.state.personalization.granted && typeof this.#storage.persisted === 'function') this.#storage.persisted(true);
    return r.state;
  }

  async erase() {
    if (this.#closed) throw closedError();
    await this.#serial(() => this.#locked(async () => {
      const r = this.#call({ op: 'erase' });
      await this.#eraseStorage();
      await this.#syncs.deleteServerCopy(r.sync_delete);
    }));
    this.#emit('consent', await this.consent.state());
  }

  _pullAtStart() {
    this.#syncs.pullAtStart();
  }

  // The opt-in `insights` reports (insights.js sends them; the engine makes them).
  _attachInsights(options, fetchImpl) {
    const { api, stop } = attachInsights(options, {
      report: () => this.#mutate(() => this.#call({ op: 'insights.report' })).then(({ r }) => r),
      domain: () => this.#read({ op: 'insights.domain' }),
      state: () => this.#read({ op: 'consent.state' }),
      on: (event, handler) => this.on(event, handler),
      emit: (event, detail) => this.#emit(event, detail),
    }, fetchImpl);
    guardGroup(api, () => this.#closed);
    this.insights = api;
    this.#stopInsights = stop;
  }

  async close() {
    if (this.#closed) return;
    this.#closed = true;
    this.#stopInsights();
    this.#syncs.stop();
    await this.#serial(async () => {
      if (this.#tabs) this.#tabs.close();
      this.#tabs = null;
      for (const s of [this.#storage, ...this.#retired.map((r) => r.storage)]) {
        try {
          if (s && typeof s.close === 'function') await s.close();
        } catch {
          // closing is best effort
        }
      }
      this.#engine.destroy();
    });
  }

  // --- storage -----------------------------------------------------------------------

  // opening: a promise of { s: the adapter } or { err }; notices: [error, fallback] pairs
  // reported while it opened.
  async _openStorage(opening, notices, shop, { tabSync = true } = {}) {
    // A fallback chosen while opening (IndexedDB unusable → localStorage) is reported here.
    const notice = (err, fallback) => {
      const e = asEmmaError(err, 'STORAGE_UNAVAILABLE', 'opening storage');
      this.#emit('storage', { ok: false, code: e.code, message: e.message, fallback });
      this.#emit('error', e);
    };
    let { s: storage, err } = await opening;
    for (const n of notices.splice(0)) notice(...n);
    if (err) {
      if (err instanceof EmmaError && err.code === 'BAD_REQUEST') throw err;  // a wrong option, not a browser limit
      // No usable storage (private mode, blocked): Emma works in memory for this page.
      notice(err, 'memory');
      storage = await MemoryStorage.create();
    }
    this.#storage = storage;
    this.#keys = new KeyKeeper(storage);
    this.#shared = storage.shared === true && tabSync;
    // A storage with its own lock (Node files) needs no tab messages: it is re-read before every change.
    if (this.#shared && typeof storage.withLock !== 'function') this.#tabs = new TabSync(`tante-emma:${shop}`, () => this.#otherTabWrote());
    if (storage.persistent !== false && this.#keys.protection === 'raw') {
      this.#emit('storage', {
        ok: true,
        kind: storage.kind,
        keyProtection: 'raw',
        message: `${storage.kind} storage cannot keep a non-extractable key: the data key is stored unwrapped next to the sealed profile, ` +
          'so a copy of this storage opens the profile (see SECURITY.md)',
      });
    }
    await this.#serial(() => this.#locked(() => this.#refresh()));
    this.#started = true;
  }

  #otherTabWrote() {
    if (this.#refreshQueued || this.#closed) return;
    this.#refreshQueued = true;
    this.#serial(() => {
      this.#refreshQueued = false;
      return this.#locked(() => this.#refresh());
    }).catch(() => {});
  }

  async #storageInfo() {
    const s = this.#storage;
    const persistent = s.persistent !== false;
    return {
      kind: s.kind || 'custom',
      persistent,
      keyProtection: persistent ? this.#keys.protection : 'memory',
      // Kept through the browser's eviction (navigator.storage.persisted()); Node's files are never evicted.
      persisted: typeof s.persisted === 'function' ? await s.persisted(false) : persistent && s.kind === 'fs',
      // locked: other tabs (Web Locks) or processes (Node's lock file) wait for each change.
      crossTab: this.#tabs ? (this.#tabs.locking ? 'locked' : 'unlocked') : this.#shared && typeof s.withLock === 'function' ? 'locked' : 'none',
    };
  }

  // Takes in the stored profile when it is not what this instance last read or wrote: at
  // start, and when another tab wrote or erased since. Runs under the cross-tab lock.
  async #refresh() {
    if (this.#started && !this.#shared) return;  // nobody else writes there
    let sealed;
    let keyRec;
    try {
      [sealed, keyRec] = await this.#readStored();
    } catch (err) {
      const e = asEmmaError(err, 'STORAGE_FAILED', 'reading the stored profile');
      if (e.code === 'TAMPERED') {
        // The adapter found its container damaged and set it aside itself.
        this.#keyLoaded = false;
        this.#seen = undefined;
        this.#emit('storage', { ok: false, code: e.code, message: e.message });
        this.#emit('error', e);
        return;
      }
      await this.#fallBackToMemory(e);
      return;
    }
    sealed = asBytes(sealed === null ? undefined : sealed);
    if (keyRec === null) keyRec = undefined;
    if (sameBytes(sealed, this.#seen)) return;
    const consentBefore = this.#started ? JSON.stringify(this.#call({ op: 'consent.state' })) : '';
    if (sealed === undefined) {
      // Another tab withdrew or erased: so does this one, in memory.
      this.#call({ op: 'erase' });
      this.#keyLoaded = false;
      this.#seen = undefined;
      this.#emit('storage', { ok: true, reloaded: true, erased: true });
      const state = this.#call({ op: 'consent.state' });
      if (JSON.stringify(state) !== consentBefore) this.#emit('consent', state);
      return;
    }
    let opened;
    try {
      if (!(sealed instanceof Uint8Array)) throw new EmmaError('TAMPERED', `the stored profile is ${typeof sealed}, not bytes`);
      const key = await this.#keys.load(keyRec === undefined ? null : keyRec);
      if (!key) throw new EmmaError('TAMPERED', 'a stored profile exists but its key is missing');
      this.#engine.call({ op: 'vault.set_key', key_id: key.id, created_at: key.created }, key.bytes);
      this.#keyLoaded = true;
      opened = this.#call({ op: 'profile.open' }, sealed);  // with "now": the engine applies retention
    } catch (err) {
      this.#keyLoaded = false;
      if (err === this.#engine.broken) throw err;  // the engine's failure, not the record's (#recover)
      const e = asEmmaError(err, 'STORAGE_FAILED', 'opening the stored profile');
      if (e.code === 'UNSUPPORTED') {
        // Written by a newer version: not ours to move or overwrite. Memory for this page.
        await this.#fallBackToMemory(e);
      } else if (e.code === 'TAMPERED' || e.code === 'WRONG_KEY') {
        await this.#setAside(sealed, keyRec, e);
      } else {
        this.#emit('storage', { ok: false, code: e.code, message: e.message });
        this.#emit('error', e);
        if (!STORAGE_CODES.has(e.code)) await this.#fallBackToMemory(e);
      }
      return;
    }
    if (opened.expired) {
      // Storage limitation, decided by the engine: a profile unused past the retention period
      // is erased, not restored (the engine has already dropped it and its consent).
      try {
        await this.#eraseStorage({ expired: true });
      } catch {
        // reported by #eraseStorage; the page goes on without the profile either way
      }
      await this.#syncs.deleteServerCopy(opened.sync_delete);
      if (this.#started) {
        const state = this.#call({ op: 'consent.state' });
        if (JSON.stringify(state) !== consentBefore) this.#emit('consent', state);
      }
      return;
    }
    this.#seen = sealed;
    // The engine folded raw events past the retention window: store the reduced profile.
    if (opened.persist) await this.#write();
    if (this.#started) {
      this.#emit('storage', { ok: true, reloaded: true, events: opened.events });
      const state = this.#call({ op: 'consent.state' });
      if (JSON.stringify(state) !== consentBefore) this.#emit('consent', state);
    }
  }

  // The stored profile and key as of now. Where another tab announced a write (see
  // storage/tabs.js), waits until this tab's view of storage shows it: localStorage reaches
  // other tabs asynchronously.
  async #readStored() {
    const names = [PROFILE_RECORD, KEY_RECORD];
    let rec = await readMany(this.#storage, names);
    const expected = this.#tabs ? await this.#tabs.lastWrite() : null;
    if (expected) {
      const deadline = Date.now() + 1000;
      while (digest(asBytes(rec[0] ?? undefined)) !== expected.digest && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 10));
        rec = await readMany(this.#storage, names);
      }
    }
    return rec;
  }

  // After this tab changed the stored profile: tell the lock manager what is stored now,
  // and the other tabs that they should take it in.
  async #announce(bytes) {
    if (!this.#tabs) return;
    try {
      await this.#tabs.announce(digest(bytes));
    } catch {
      // an announcement only speeds up other tabs; storage is already written
    }
    this.#tabs.notify();
  }

  // A record that cannot be opened is moved aside in one atomic write, never overwritten:
  // the shopper can still export or delete it; a fresh profile starts. If even that write
  // fails, storage is left exactly as it is and Emma works in memory for the page.
  async #setAside(sealed, keyRec, reason) {
    this.#keyLoaded = false;
    this.#seen = undefined;
    const at = this.#now();
    let id = `${ASIDE}${at}`;
    try {
      const taken = new Set((await this.#storage.keys()).map((k) => k.split('.').slice(0, 2).join('.')));
      for (let n = 1; taken.has(id); n++) id = `${ASIDE}${at}-${n}`;
      const entries = [[`${id}.profile`, sealed], [`${id}.reason`, { code: reason.code, message: reason.message, at }]];
      if (keyRec !== undefined) entries.push([`${id}.key`, keyRec]);
      entries.push([PROFILE_RECORD, undefined], [KEY_RECORD, undefined]);
      await this.#storage.putMany(entries);
    } catch (err) {
      this.#emit('storage', { ok: false, code: reason.code, message: reason.message });
      this.#emit('error', reason);
      await this.#fallBackToMemory(asEmmaError(err, 'STORAGE_FAILED', 'setting a damaged profile aside'));
      return;
    }
    await this.#announce(undefined);
    this.#emit('storage', { ok: false, code: reason.code, message: reason.message, setAside: id });
    this.#emit('error', reason);
  }

  async #listSetAside() {
    const storages = [this.#storage, ...this.#retired.map((r) => r.storage)];
    const out = new Map();
    for (const s of storages) {
      let names;
      try {
        names = (await s.keys()).filter((k) => k.startsWith(ASIDE));
      } catch {
        continue;
      }
      for (const name of names) {
        const id = name.slice(0, name.lastIndexOf('.'));
        const part = name.slice(name.lastIndexOf('.') + 1);
        if (!out.has(id)) out.set(id, { id, at: Number(id.slice(ASIDE.length).split('-')[0]) || null, code: null, message: null, storage: s.kind });
        const entry = out.get(id);
        const value = await s.get(name).catch(() => undefined);
        if (part === 'reason' && value && typeof value === 'object') {
          entry.code = value.code ?? null;
          entry.message = value.message ?? null;
        } else if (part === 'profile') {
          entry.profile = asBytes(value);
        } else if (part === 'key') {
          entry.key = value;
        } else {
          entry[part] = asBytes(value);  // `store`: a whole container the adapter set aside
          if (part === 'store') entry.code = entry.code ?? 'TAMPERED';
        }
      }
    }
    return [...out.values()].sort((a, b) => (a.at ?? 0) - (b.at ?? 0));
  }

  async #deleteSetAside(id) {
    if (typeof id !== 'string' || !id.startsWith(ASIDE)) {
      throw new EmmaError('BAD_REQUEST', `storage.deleteSetAside(id): id must be one of the ids storage.setAside() lists ("${ASIDE}…"); got ${describe(id)}`);
    }
    let found = false;
    for (const s of [this.#storage, ...this.#retired.map((r) => r.storage)]) {
      const names = (await s.keys()).filter((k) => k.startsWith(`${id}.`));
      if (!names.length) continue;
      found = true;
      await s.putMany(names.map((n) => [n, undefined]));
    }
    if (!found) throw new EmmaError('BAD_REQUEST', `storage.deleteSetAside: nothing is set aside as "${id}"`);
    if (this.#tabs) this.#tabs.notify();
  }

  // Seals and writes the profile (with a new key record on the first write, in the same
  // atomic write). Resolves true when the change is on persistent storage.
  // `rotate`: replace the data key now (the engine also asks for it when the key is older
  // than `keys.rotation_days`).
  // `schedule`: false when the write only records a sync copy sent or taken in.
  async #write({ rotate = false, schedule = true } = {}) {
    let bytes;
    const entries = [];
    let madeKey = false;
    let sealedSync = false;
    try {
      const newKey = async () => {
        const { key, record } = await this.#keys.create(this.#now());
        this.#engine.call({ op: 'vault.set_key', key_id: key.id, created_at: key.created }, key.bytes);
        key.bytes.fill(0);
        entries.push(record);
        this.#keyLoaded = true;
        madeKey = true;
      };
      if (!this.#keyLoaded || rotate) await newKey();
      let sealed = this.#call({ op: 'profile.seal' }, undefined, true);
      if (sealed.result.rotate_key && !madeKey) {
        // Key rotation: a new key, the profile sealed again under it, both in the one
        // atomic write below (the old key record is overwritten; a failed write keeps both old).
        await newKey();
        sealed = this.#call({ op: 'profile.seal' }, undefined, true);
      }
      bytes = sealed.bytes;
      entries.push([PROFILE_RECORD, bytes]);
      await this.#storage.putMany(entries);
      this.#keyId = sealed.result.key_id;
      sealedSync = sealed.result.sync === true;
    } catch (err) {
      // A key made for this write but not stored must not be used without its record: the
      // next write makes another and stores it with the profile.
      if (madeKey) this.#keyLoaded = false;
      if (err === this.#engine.broken) throw err;  // the change runs again on a fresh instance (#recover)
      const e = asEmmaError(err, 'STORAGE_FAILED', 'saving the profile');
      if (e.code === 'NO_CONSENT') return false;
      if (STORAGE_CODES.has(e.code)) {
        // The stored profile is left as it was; this page goes on in memory.
        await this.#fallBackToMemory(e);
      } else {
        this.#emit('storage', { ok: false, code: e.code, message: e.message });
        this.#emit('error', e);
      }
      return false;
    }
    this.#seen = bytes;
    if (sealedSync && schedule) this.#syncs.schedulePush();
    await this.#announce(bytes);
    this.#emit('storage', { ok: true, kind: this.#storage.kind, bytes: bytes.length });
    return this.#storage.persistent !== false;
  }

  // Storage failed: keep working for this page in memory. The stored data is not touched
  // (a full disk does not destroy the profile); erase() still clears it.
  async #fallBackToMemory(e) {
    if (this.#storage.persistent !== false) {
      this.#retired.push({ storage: this.#storage, keys: this.#keys });
      if (this.#tabs) this.#tabs.close();
      this.#tabs = null;
      this.#shared = false;
      this.#storage = await MemoryStorage.create();
      this.#keys = new KeyKeeper(this.#storage);
    }
    this.#keyLoaded = false;
    this.#seen = undefined;
    this.#emit('storage', { ok: false, code: e.code, message: e.message, fallback: 'memory' });
    this.#emit('error', e);
  }

  // Keys first (crypto-shredding), then the data, then the container itself, in every
  // storage this instance used. One failure does not stop the rest.
  async #eraseStorage(detail = {}) {
    this.#keyLoaded = false;
    this.#seen = undefined;
    const failures = [];
    const kept = [];
    for (const place of [...this.#retired, { storage: this.#storage, keys: this.#keys, current: true }]) {
      let failed = false;
      try {
        await place.keys.destroy();
      } catch (err) {
        failed = true;
        failures.push(`${place.storage.kind} key: ${err.message}`);
      }
      try {
        await place.storage.destroy();
      } catch (err) {
        failed = true;
        failures.push(`${place.storage.kind}: ${err.message}`);
      }
      if (failed && !place.current) kept.push(place);
    }
    this.#retired = kept;  // tried again by the next erase
    await this.#announce(undefined);
    if (failures.length) {
      const e = new EmmaError('STORAGE_FAILED', `erasing storage: ${failures.join('; ')}`);
      this.#emit('storage', { ok: false, code: e.code, message: e.message });
      this.#emit('error', e);
      throw e;
    }
    this.#emit('storage', { ok: true, erased: true, ...detail });
  }

  // For tests and diagnostics: the engine's heap in use, in bytes.
  _heapInUse() {
    return this.#engine.heapInUse();
  }
}
