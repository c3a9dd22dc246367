// localStorage: the fallback when IndexedDB is missing or throws. All records of one shop
// live in ONE localStorage item, written by one setItem: a write lands whole or not at all
// (the browser replaces an item atomically, and a refused setItem leaves the old value).
//
// localStorage keeps only strings, so it cannot keep a CryptoKey: in this mode the data key
// is stored unwrapped next to the sealed profile (canHoldCryptoKeys is false, and Emma emits
// a `storage` event saying so). That still keeps the profile from other origins and detects
// tampering, but anyone who can read this origin's storage on disk can open the profile.
// SECURITY.md says what this does and does not protect against.
import { EmmaError } from '../errors.js';
import { persisted } from './persist.js';
import { base64ToBytes, bytesToBase64, checkEntries, decodeTree, encodeTree } from './values.js';

const FORMAT = 1;
const PREFIX = 'tante-emma:';

function itemName(shop) {
  return PREFIX + encodeURIComponent(shop);
}

function storageError(err, what) {
  const name = err && err.name;
  // Chromium and Firefox: QuotaExceededError; old Firefox: NS_ERROR_DOM_QUOTA_REACHED.
  if (name === 'QuotaExceededError' || name === 'NS_ERROR_DOM_QUOTA_REACHED' || (err && err.code === 22)) {
    return new EmmaError('STORAGE_QUOTA', `localStorage is full (${what}): the browser refused more data`, { cause: err });
  }
  return new EmmaError('STORAGE_FAILED', `localStorage failed (${what}): ${err && err.message ? err.message : name}`, { cause: err });
}

// Reaching `window.localStorage` itself throws in some modes (SecurityError when storage is
// blocked), so it is read inside a try.
function defaultLocalStorage() {
  return globalThis.localStorage;
}

export class LocalStorageStorage {
  // Probes without writing anything: a shopper who never consents leaves no item behind.
  static async create(shop, { localStorage } = {}) {
    let ls;
    try {
      ls = localStorage || defaultLocalStorage();
      if (!ls || typeof ls.getItem !== 'function') throw new Error('window.localStorage is missing');
      ls.getItem(itemName(shop));
    } catch (err) {
      throw new EmmaError('STORAGE_UNAVAILABLE', `localStorage is not usable here: ${err.message}`, { cause: err });
    }
    return new LocalStorageStorage(ls, itemName(shop));
  }

  // True when this shop has an item in localStorage (read only; false when it cannot tell).
  static holds(shop, { localStorage } = {}) {
    try {
      return (localStorage || defaultLocalStorage()).getItem(itemName(shop)) !== null;
    } catch {
      return false;
    }
  }

  constructor(ls, name) {
    this.kind = 'localstorage';
    this.persistent = true;
    this.shared = true;  // every tab of the origin sees the same item
    this.canHoldCryptoKeys = false;
    this.ls = ls;
    this.name = name;
  }

  // Whether the browser keeps this origin's storage through eviction; ask: request it (persist.js).
  persisted(ask) {
    return persisted(ask);
  }

  // The shop's records as a Map. An item that cannot be read as ours is never overwritten:
  // it is replaced, in one setItem, by a store whose only record keeps its text as
  // `quarantine.<time>.store`, and TAMPERED is thrown once to say so.
  #read(what) {
    let text;
    try {
      text = this.ls.getItem(this.name);
    } catch (err) {
      throw storageError(err, what);
    }
    if (text === null) return new Map();
    let doc;
    try {
      doc = JSON.parse(text);
      if (!doc || typeof doc !== 'object' || typeof doc.v !== 'number' || !doc.records || typeof doc.records !== 'object') {
        throw new Error('it is not a record set');
      }
    } catch (err) {
      return this.#setAsideDamaged(text, err.message, what);
    }
    if (doc.v > FORMAT) {
      throw new EmmaError('UNSUPPORTED', `localStorage item "${this.name}" has format ${doc.v}, newer than this version reads (${FORMAT}); it was left as it is`);
    }
    const records = new Map();
    try {
      for (const [k, v] of Object.entries(doc.records)) records.set(k, decodeTree(v, base64ToBytes));
    } catch (err) {
      return this.#setAsideDamaged(text, `a value does not decode (${err.message})`, what);
    }
    return records;
  }

  #setAsideDamaged(text, why, what) {
    const aside = `quarantine.${Date.now()}.store`;
    const where = `localStorage item "${this.name}" is damaged (${why})`;
    try {
      this.#write(new Map([[aside, text]]), `set aside the damaged item (${what})`);
    } catch (err) {
      throw new EmmaError('TAMPERED', `${where}; it could not be set aside (${err.message}) and was left as it is`, { cause: err });
    }
    throw new EmmaError('TAMPERED', `${where}; it was kept as record "${aside}" and a fresh store started`);
  }

  #write(records, what) {
    try {
      if (records.size === 0) {
        this.ls.removeItem(this.name);
        return;
      }
      const out = {};
      for (const [k, v] of records) out[k] = encodeTree(v, bytesToBase64);
      this.ls.setItem(this.name, JSON.stringify({ v: FORMAT, records: out }));
    } catch (err) {
      throw storageError(err, what);
    }
  }

  async get(name) {
    return this.#read(`read ${name}`).get(name);
  }

  // One getItem: the values belong to one moment.
  async getMany(names) {
    const records = this.#read(`read ${names.join(', ')}`);
    return names.map((n) => records.get(n));
  }

  async putMany(entries) {
    checkEntries(entries);
    const what = `write ${entries.map(([n]) => n).join(', ')}`;
    const records = this.#read(what);
    for (const [name, value] of entries) {
      if (value === undefined) records.delete(name);
      else records.set(name, value);
    }
    this.#write(records, what);
  }

  async delete(name) {
    const records = this.#read(`delete ${name}`);
    if (!records.delete(name)) return;
    this.#write(records, `delete ${name}`);
  }

  async keys() {
    return [...this.#read('list').keys()];
  }

  async destroy() {
    try {
      this.ls.removeItem(this.name);
    } catch (err) {
      throw storageError(err, 'destroy');
    }
  }

  async close() {}
}
