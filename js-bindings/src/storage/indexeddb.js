// IndexedDB: the browser default. One database per shop, one object store of records.
// The database is not even created until the first write, so a shopper who never consents
// leaves nothing behind. Every write is one transaction: all of its entries land or none.
import { EmmaError } from '../errors.js';
import { persisted } from './persist.js';
import { checkEntries } from './values.js';

const STORE = 'records';

function storageError(err, what) {
  const name = err && err.name;
  if (name === 'QuotaExceededError') {
    return new EmmaError('STORAGE_QUOTA', `IndexedDB is full (${what}): the browser refused more data`, { cause: err });
  }
  const detail = err && err.message ? err.message : name || String(err);
  // The browser refusing IndexedDB as such (private modes, blocked storage, a broken
  // backing store) differs from one failed request: Emma then stops using it for the page.
  const code = ['SecurityError', 'InvalidStateError', 'UnknownError', 'NotAllowedError'].includes(name) && /^open /.test(what)
    ? 'STORAGE_UNAVAILABLE'
    : 'STORAGE_FAILED';
  return new EmmaError(code, `IndexedDB failed (${what}): ${detail}`, { cause: err });
}

export class IndexedDbStorage {
  static async create(shop, { indexedDB = globalThis.indexedDB } = {}) {
    if (!indexedDB) throw new EmmaError('STORAGE_UNAVAILABLE', 'IndexedDB is not available in this browser or mode');
    const s = new IndexedDbStorage(indexedDB, `tante-emma:${shop}`);
    await s.#probe();
    return s;
  }

  constructor(indexedDB, name) {
    this.kind = 'indexeddb';
    this.persistent = true;
    this.shared = true;  // every tab of the origin opens the same database
    this.canHoldCryptoKeys = true;
    this.idb = indexedDB;
    this.name = name;
    this.db = null;
  }

  // Whether the browser keeps this origin's storage through eviction; ask: request it (persist.js).
  persisted(ask) {
    return persisted(ask);
  }

  // Some private modes expose indexedDB but throw on use: find out now, without creating
  // anything, so the caller can fall back for this page.
  async #probe() {
    try {
      if (typeof this.idb.databases === 'function') await this.idb.databases();
      else this.idb.cmp(0, 0);
    } catch (err) {
      throw new EmmaError('STORAGE_UNAVAILABLE', `IndexedDB is not usable here: ${err && err.message ? err.message : err}`, { cause: err });
    }
  }

  async #exists() {
    if (this.db) return true;
    if (typeof this.idb.databases !== 'function') return true;  // cannot tell: opening is the only way
    let list;
    try {
      list = await this.idb.databases();
    } catch (err) {
      throw storageError(err, 'list databases');
    }
    return list.some((d) => d.name === this.name);
  }

  async #open() {
    if (this.db) return this.db;
    const what = `open ${this.name}`;
    const db = await new Promise((resolve, reject) => {
      let req;
      try {
        req = this.idb.open(this.name, 1);
      } catch (err) {
        reject(storageError(err, what));
        return;
      }
      req.onupgradeneeded = () => req.result.createObjectStore(STORE);
      req.onsuccess = () => resolve(req.result);
      req.onerror = () => reject(storageError(req.error, what));
      req.onblocked = () => reject(new EmmaError('STORAGE_FAILED', `IndexedDB failed (${what}): blocked by another tab holding an old version open`));
    });
    // Another tab erasing the profile deletes the database: let it.
    db.onversionchange = () => {
      db.close();
      if (this.db === db) this.db = null;
    };
    // The browser may close the connection itself (storage cleared, backing store lost).
    db.onclose = () => {
      if (this.db === db) this.db = null;
    };
    this.db = db;
    return db;
  }

  // Runs `work(store)` in one transaction; `work` returns a function that reads the result
  // once the transaction has committed (or nothing).
  async #transaction(mode, what, work) {
    const db = await this.#open();
    return new Promise((resolve, reject) => {
      let tx;
      try {
        tx = db.transaction(STORE, mode);
      } catch (err) {
        if (this.db === db && err && err.name === 'InvalidStateError') this.db = null;  // closed under us
        reject(storageError(err, what));
        return;
      }
      let finish;
      try {
        finish = work(tx.objectStore(STORE));
      } catch (err) {
        try {
          tx.abort();
        } catch {
          // already finished
        }
        reject(storageError(err, what));
        return;
      }
      tx.oncomplete = () => resolve(finish ? finish() : undefined);
      tx.onerror = () => reject(storageError(tx.error, what));
      tx.onabort = () => reject(storageError(tx.error || new Error('the transaction was aborted'), what));
    });
  }

  async get(name) {
    if (!(await this.#exists())) return undefined;
    return this.#transaction('readonly', `read ${name}`, (store) => {
      const r = store.get(name);
      return () => r.result;
    });
  }

  // One read transaction: the values belong to one moment.
  async getMany(names) {
    if (!(await this.#exists())) return names.map(() => undefined);
    return this.#transaction('readonly', `read ${names.join(', ')}`, (store) => {
      const rs = names.map((n) => store.get(n));
      return () => rs.map((r) => r.result);
    });
  }

  // All entries are written in one transaction: either all of them land or none.
  async putMany(entries) {
    checkEntries(entries, { cryptoKeys: true });
    await this.#transaction('readwrite', `write ${entries.map(([n]) => n).join(', ')}`, (store) => {
      for (const [name, value] of entries) {
        if (value === undefined) store.delete(name);
        else store.put(value, name);
      }
    });
  }

  async delete(name) {
    if (!(await this.#exists())) return;
    await this.#transaction('readwrite', `delete ${name}`, (store) => {
      store.delete(name);
    });
  }

  async keys() {
    if (!(await this.#exists())) return [];
    const keys = await this.#transaction('readonly', 'list', (store) => {
      const r = store.getAllKeys();
      return () => r.result;
    });
    return keys.map(String);
  }

  // Removes the database itself, not just its records.
  async destroy() {
    this.close();
    if (!(await this.#exists())) return;
    await new Promise((resolve, reject) => {
      let req;
      try {
        req = this.idb.deleteDatabase(this.name);
      } catch (err) {
        reject(storageError(err, `delete database ${this.name}`));
        return;
      }
      req.onsuccess = () => resolve();
      req.onerror = () => reject(storageError(req.error, `delete database ${this.name}`));
      // Other tabs close on versionchange; if one cannot, deletion completes when it does.
      req.onblocked = () => {};
    });
  }

  close() {
    if (this.db) {
      this.db.close();
      this.db = null;
    }
  }
}
