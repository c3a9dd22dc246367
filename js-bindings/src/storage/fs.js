// Node: one folder per shop, one file per record. Writes go to a temporary file that is
// flushed and renamed over the old one, so a crash leaves the old or the new record.
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { EmmaError } from '../errors.js';

const BYTES = '.bin';
const JSONEXT = '.json';

function fsError(err, what) {
  const code = err && err.code === 'ENOSPC' ? 'STORAGE_QUOTA' : 'STORAGE_FAILED';
  return new EmmaError(code, `file storage failed (${what}): ${err.message}`, { cause: err });
}

function fileName(name) {
  return encodeURIComponent(name).replace(/\./g, '%2E');
}

export class FsStorage {
  static async create(dir, shop) {
    return new FsStorage(path.join(dir, fileName(shop)));
  }

  constructor(dir) {
    this.kind = 'fs';
    this.dir = dir;
  }

  async get(name) {
    const base = path.join(this.dir, fileName(name));
    try {
      return new Uint8Array(await fsp.readFile(base + BYTES));
    } catch (err) {
      if (err.code !== 'ENOENT') throw fsError(err, `read ${name}`);
    }
    try {
      return JSON.parse(await fsp.readFile(base + JSONEXT, 'utf8'));
    } catch (err) {
      if (err.code === 'ENOENT') return undefined;
      throw fsError(err, `read ${name}`);
    }
  }

  async putMany(entries) {
    try {
      await fsp.mkdir(this.dir, { recursive: true, mode: 0o700 });
      for (const [name, value] of entries) {
        const isBytes = value instanceof Uint8Array;
        const target = path.join(this.dir, fileName(name) + (isBytes ? BYTES : JSONEXT));
        const tmp = `${target}.${process.pid}.tmp`;
        const fh = await fsp.open(tmp, 'w', 0o600);
        try {
          await fh.writeFile(isBytes ? value : JSON.stringify(value));
          await fh.sync();
        } finally {
          await fh.close();
        }
        await fsp.rename(tmp, target);
        await fsp.rm(path.join(this.dir, fileName(name) + (isBytes ? JSONEXT : BYTES)), { force: true });
      }
    } catch (err) {
      throw fsError(err, `write ${entries.map(([n]) => n).join(', ')}`);
    }
  }

  async delete(name) {
    for (const ext of [BYTES, JSONEXT]) await fsp.rm(path.join(this.dir, fileName(name) + ext), { force: true });
  }

  async keys() {
    try {
      const files = await fsp.readdir(this.dir);
      return files.filter((f) => !f.endsWith('.tmp')).map((f) => decodeURIComponent(f.replace(/\.(bin|json)$/, '')));
    } catch (err) {
      if (err.code === 'ENOENT') return [];
      throw fsError(err, 'list');
    }
  }

  async destroy() {
    await fsp.rm(this.dir, { recursive: true, force: true });
  }
}
