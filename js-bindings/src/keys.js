// The key keeper: holds the shopper's data key. JS keeps keys; the engine only borrows the
// raw key to seal and open the profile.
//
// IndexedDB ("wrapped"): the 32-byte data key is stored only encrypted (AES-GCM, the key id
// as associated data) under a wrapping key that WebCrypto generated as non-extractable and
// that IndexedDB keeps as a CryptoKey object: no script, ours included, can read the
// wrapping key's bytes, and the stored record never holds the data key in the clear.
//
// localStorage, Node files and memory ("raw") cannot hold CryptoKeys: there the data key is
// stored as bytes in the same place as the sealed profile. That protects against less (one
// copy of the storage holds both); Emma emits a `storage` event saying so, and SECURITY.md
// spells out what each mode protects against.
import { EmmaError } from './errors.js';

export const KEY_RECORD = 'key';

function randomId() {
  const b = crypto.getRandomValues(new Uint8Array(8));
  return Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
}

export class KeyKeeper {
  constructor(storage) {
    this.storage = storage;
    this.wrap = storage.canHoldCryptoKeys === true && !!globalThis.crypto?.subtle;
  }

  // 'wrapped' or 'raw': how a new key is kept by this storage.
  get protection() {
    return this.wrap ? 'wrapped' : 'raw';
  }

  // The data key of a stored key record, unwrapped for the engine, or null without a record.
  // `rec` may be given when the caller already read it (in the same read as the profile).
  async load(rec) {
    if (rec === undefined) rec = await this.storage.get(KEY_RECORD);
    if (rec === undefined || rec === null) return null;
    if (typeof rec !== 'object' || typeof rec.id !== 'string') {
      throw new EmmaError('TAMPERED', 'the stored key record is malformed (expected an object with an id)');
    }
    // `created` (ms) dates the key for rotation; 0.1.0 records have none (0: rotated soon).
    const created = Number.isSafeInteger(rec.created) && rec.created > 0 ? rec.created : 0;
    if (rec.raw instanceof Uint8Array) return { id: rec.id, bytes: rec.raw, created };
    // Version 0.1.0 wrote Node keys as an array of numbers.
    if (Array.isArray(rec.raw)) return { id: rec.id, bytes: Uint8Array.from(rec.raw), created };
    if (!rec.wrappingKey || !(rec.iv instanceof Uint8Array) || !(rec.wrapped instanceof Uint8Array)) {
      throw new EmmaError('TAMPERED', `the stored key record "${rec.id}" has neither raw bytes nor a wrapped key`);
    }
    try {
      const raw = await crypto.subtle.decrypt(
        { name: 'AES-GCM', iv: rec.iv, additionalData: new TextEncoder().encode(rec.id) },
        rec.wrappingKey,
        rec.wrapped,
      );
      return { id: rec.id, bytes: new Uint8Array(raw), created };
    } catch (err) {
      throw new EmmaError('TAMPERED', `the stored data key "${rec.id}" could not be unwrapped: ${err.message}`, { cause: err });
    }
  }

  // A new random data key (with a new wrapping key) and the record that stores it; the
  // caller writes the record together with the profile sealed under it, in one atomic
  // write: the first write, and every key rotation (the old record is overwritten).
  async create(created) {
    const id = randomId();
    const bytes = crypto.getRandomValues(new Uint8Array(32));
    if (!this.wrap) return { key: { id, bytes, created }, record: [KEY_RECORD, { id, created, raw: bytes.slice() }] };
    const wrappingKey = await crypto.subtle.generateKey({ name: 'AES-GCM', length: 256 }, false, ['encrypt', 'decrypt']);
    const iv = crypto.getRandomValues(new Uint8Array(12));
    const wrapped = new Uint8Array(
      await crypto.subtle.encrypt({ name: 'AES-GCM', iv, additionalData: new TextEncoder().encode(id) }, wrappingKey, bytes),
    );
    return { key: { id, bytes, created }, record: [KEY_RECORD, { id, created, iv, wrapped, wrappingKey }] };
  }

  // Crypto-shredding: the key goes first, so whatever data outlives it is unreadable.
  async destroy() {
    await this.storage.delete(KEY_RECORD);
  }
}
