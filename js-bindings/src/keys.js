// The key keeper: holds the shopper's data key. JS keeps keys; the engine only borrows the
// raw key to seal and open the profile.
//
// Browsers: the 32-byte data key is stored only encrypted (AES-GCM) under a wrapping key
// that WebCrypto generated as non-extractable and that IndexedDB keeps as a CryptoKey
// object: no script, including ours, can read the wrapping key's bytes from storage.
// Node and memory storage cannot hold CryptoKeys; there the data key is kept as is
// (Node: a file of mode 0600 in the storage folder), as documented in SECURITY notes.
import { EmmaError } from './errors.js';

const KEY_RECORD = 'key';

function randomId() {
  const b = crypto.getRandomValues(new Uint8Array(8));
  return Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
}

export class KeyKeeper {
  constructor(storage) {
    this.storage = storage;
    this.wrap = storage.canHoldCryptoKeys === true && !!globalThis.crypto?.subtle;
  }

  // The stored key, unwrapped for the engine, or null when there is none.
  async load() {
    const rec = await this.storage.get(KEY_RECORD);
    if (!rec) return null;
    if (typeof rec !== 'object' || typeof rec.id !== 'string') {
      throw new EmmaError('TAMPERED', 'the stored key record is malformed');
    }
    if (rec.raw instanceof Uint8Array) return { id: rec.id, bytes: rec.raw };
    if (Array.isArray(rec.raw)) return { id: rec.id, bytes: Uint8Array.from(rec.raw) };
    try {
      const raw = await crypto.subtle.decrypt(
        { name: 'AES-GCM', iv: rec.iv, additionalData: new TextEncoder().encode(rec.id) },
        rec.wrappingKey,
        rec.wrapped,
      );
      return { id: rec.id, bytes: new Uint8Array(raw) };
    } catch (err) {
      throw new EmmaError('TAMPERED', `the stored data key could not be unwrapped: ${err.message}`, { cause: err });
    }
  }

  // A new random data key and the record that stores it; the caller writes the record
  // together with the first sealed profile, in one atomic write.
  async create() {
    const id = randomId();
    const bytes = crypto.getRandomValues(new Uint8Array(32));
    if (!this.wrap) {
      const raw = this.storage.kind === 'fs' ? Array.from(bytes) : bytes.slice();
      return { key: { id, bytes }, record: [KEY_RECORD, { id, raw }] };
    }
    const wrappingKey = await crypto.subtle.generateKey({ name: 'AES-GCM', length: 256 }, false, ['encrypt', 'decrypt']);
    const iv = crypto.getRandomValues(new Uint8Array(12));
    const wrapped = new Uint8Array(
      await crypto.subtle.encrypt({ name: 'AES-GCM', iv, additionalData: new TextEncoder().encode(id) }, wrappingKey, bytes),
    );
    return { key: { id, bytes }, record: [KEY_RECORD, { id, iv, wrapped, wrappingKey }] };
  }

  // Crypto-shredding: the key goes first, so whatever data outlives it is unreadable.
  async destroy() {
    await this.storage.delete(KEY_RECORD);
  }
}
