// Keeps records in this page's memory only: gone on reload. Used when the shopper has not
// consented, when browser storage is unavailable, and in tests.
export class MemoryStorage {
  static async create() {
    return new MemoryStorage();
  }

  constructor() {
    this.kind = 'memory';
    this.records = new Map();
  }

  async get(name) {
    return this.records.get(name);
  }

  async putMany(entries) {
    for (const [name, value] of entries) this.records.set(name, value);
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
}
