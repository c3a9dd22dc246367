// IndexedDB: the browser default. One database per shop, one object store of records.
// The database is not even created until the first write, so a shopper who never consents
// leaves nothing behind.
import { EmmaError } from '../errors.js';

const STORE = 'records';

function storageError(err, what) {
  const name = err && err.name;
  if (name === 'QuotaExceededError') {
    return new EmmaError('STORAGE_QUOTA', `IndexedDB is full (${what}): the browser refused more data`, { cause: err });
  }
  return new EmmaError('STORAGE_FAILED', `IndexedDB failed (${what}): ${err && err.message ? err.message : name}`, { cause: err });
}

function request(req, what) {
  return new Promise((resolve, reject) => {
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(storageError(req.error, what));
  });
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
    this.canHoldCryptoKeys = true;
    this.idb = indexedDB;
    this.name = name;
    this.db = null;
  }

  // Some private modes expose indexedDB but throw on use: find out now, without creating
  // anything, so the caller can fall back to memory for this page.
  async #probe() {
    try {
      if (typeof this.idb.databases === 'function') await this.idb.databases();
      else this.idb.cmp(0, 0);
    } catch (err) {
      throw new EmmaError('STORAGE_UNAVAILABLE', `IndexedDB is not usable here: ${err.message}`, { cause: err });
    }
  }

  async #exists() {
    if (this.db) return true;
    if (typeof this.idb.databases !== 'function') return true;  // cannot tell: opening is the only way
    const list = await this.idb.databases();
    return list.some((d) => d.name === this.name);
  }

  async #open() {
    if (this.db) return this.db;
    const req = this.idb.open(this.name, 1);
    req.onupgradeneeded = () => req.result.createObjectStore(STORE);
    const db = await request(req, `open ${this.name}`);
    // Another tab erasing the profile deletes the database: let it.
    db.onversionchange = () => {
      db.close();
      this.db = null;
    };
    this.db = db;
    return db;
  }

  async #transaction(mode, what, work) {
    const db = await this.#open();
    return new Promise((resolve, reject) => {
      let tx;
      try {
        tx = db.transaction(STORE, mode);
      } catch (err) {
        reject(storageError(err, what));
        return;
      }
      const store = tx.objectStore(STORE);
      let value;
      try {
        value = work(store);
      } catch (err) {
        tx.abort();
        reject(storageError(err, what));
        return;
      }
      tx.oncomplete = () => resolve(value && 'result' in value ? value.result : undefined);
      tx.onerror = () => reject(storageError(tx.error, what));
      tx.onabort = () => reject(storageError(tx.error || new Error('aborted'), what));
    });
  }

  async get(name) {
    if (!(await this.#exists())) return undefined;
    return this.#transaction('readonly', `read ${name}`, (store) => store.get(name));
  }

  // All entries are written in one transaction: either all of them land or none.
  async putMany(entries) {
    await this.#transaction('readwrite', `write ${entries.map(([n]) => n).join(', ')}`, (store) => {
      for (const [name, value] of entries) store.put(value, name);
    });
  }

  async delete(name) {
    if (!(await this.#exists())) return;
    await this.#transaction('readwrite', `delete ${name}`, (store) => store.delete(name));
  }

  async keys() {
    if (!(await this.#exists())) return [];
    const keys = await this.#transaction('readonly', 'list', (store) => store.getAllKeys());
    return keys.map(String);
  }

  // Removes the database itself, not just its records.
  async destroy() {
    if (this.db) {
      this.db.close();
      this.db = null;
    }
    if (!(await this.#exists())) return;
    await new Promise((resolve, reject) => {
      const req = this.idb.deleteDatabase(this.name);
      req.onsuccess = () => resolve();
      req.onerror = () => reject(storageError(req.error, `delete database ${this.name}`));
      // Other tabs close on versionchange; if one cannot, deletion completes when it does.
      req.onblocked = () => {};
    });
  }
}
