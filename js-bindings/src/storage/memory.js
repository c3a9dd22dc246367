// Keeps records in this page's memory only: gone on reload. Used when the shopper's browser
// has no usable storage (Emma then works for the page), for `storage: 'memory'`, and in tests.
// Values are copied in and out, as every other adapter does by storing them.
import { checkEntries, copyValue } from './values.js';

export class MemoryStorage {
  static async create() {
    return new MemoryStorage();
  }

  constructor() {
    this.kind = 'memory';
    this.persistent = false;  // nothing outlives the page
    this.shared = false;      // no other tab sees it
    this.canHoldCryptoKeys = false;
    this.records = new Map();
  }

  async get(name) {
    return copyValue(this.records.get(name));
  }

  async getMany(names) {
    return names.map((n) => copyValue(this.records.get(n)));
  }

  // Checked and copied before anything changes: all entries land or none.
  async putMany(entries) {
    checkEntries(entries);
    const copies = entries.map(([name, value]) => [name, copyValue(value)]);
    for (const [name, value] of copies) {
      if (value === undefined) this.records.delete(name);
      else this.records.set(name, value);
    }
  }

  async delete(name) {
    this.records.delete(name);
  }

  async keys() {
    return [...this.records.keys()];
  }

  async destroy() {
    this.records.clear();
  }

  async close() {}
}
