// Node: one folder per shop holding ONE file, `store.emma`, with every record of the shop.
// A write builds the whole new file under a temporary name, flushes it to disk (fsync),
// renames it over the old file (atomic on POSIX file systems) and flushes the folder. A
// write interrupted at any point therefore leaves the old file or the new one, never a
// mix: the key and the profile it opens always come from the same write.
//
// File layout (version 1):
//   0  8  magic "EMMASTOR"
//   8  1  format version (1)
//   9  4  header length H, little-endian
//  13  H  header, UTF-8 JSON: { "records": { name: value }, "blobs": [length, ...] }
//          where bytes inside a value are written as { "$bytes": <blob index> }
//   .  .. the blobs, one after another, in index order
// The folder is mode 0700 and the file 0600: the data key is kept unwrapped in it (Node has
// no non-extractable keys), so the file's permissions are its only protection; see SECURITY.md.
import { promises as realFs } from 'node:fs';
import path from 'node:path';
import { EmmaError } from '../errors.js';
import { checkEntries, decodeTree, encodeTree } from './values.js';

const MAGIC = Buffer.from('EMMASTOR', 'latin1');
const FORMAT = 1;
const HEAD = MAGIC.length + 1 + 4;
export const STORE_FILE = 'store.emma';
const TMP_SUFFIX = '.tmp';
const STALE_TMP_MS = 60_000;
export const LOCK_FILE = 'store.lock';
// How long a writer waits for another to finish its read-modify-write (one write takes
// milliseconds; a holder that takes this long is stuck and is named in the error).
const LOCK_WAIT_MS = 10_000;
// A lock file older than this whose process cannot be checked is taken over.
const STALE_LOCK_MS = 30_000;

// The lock files this process holds now: a lock naming this process but not in here was left
// by a write that failed to remove it, and is stale.
const heldHere = new Set();

// Whether process `pid` runs on this machine (signal 0 checks without sending anything).
function processAlive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return err.code === 'EPERM';
  }
}

function fsError(err, what) {
  if (err instanceof EmmaError) return err;
  const code = err && (err.code === 'ENOSPC' || err.code === 'EDQUOT') ? 'STORAGE_QUOTA' : 'STORAGE_FAILED';
  return new EmmaError(code, `file storage failed (${what}): ${err && err.message ? err.message : err}`, { cause: err });
}

function fileName(name) {
  return encodeURIComponent(name).replace(/\./g, '%2E');
}

export function encodeStore(records) {
  const blobs = [];
  const out = {};
  for (const [name, value] of records) {
    out[name] = encodeTree(value, (bytes) => {
      blobs.push(bytes);
      return blobs.length - 1;
    });
  }
  const header = Buffer.from(JSON.stringify({ records: out, blobs: blobs.map((b) => b.length) }), 'utf8');
  const head = Buffer.alloc(HEAD);
  MAGIC.copy(head, 0);
  head[MAGIC.length] = FORMAT;
  head.writeUInt32LE(header.length, MAGIC.length + 1);
  return Buffer.concat([head, header, ...blobs.map((b) => Buffer.from(b.buffer, b.byteOffset, b.length))]);
}

// Throws a plain Error saying what is wrong and at which byte; UNSUPPORTED for newer formats.
export function decodeStore(buf) {
  if (buf.length < HEAD || !buf.subarray(0, MAGIC.length).equals(MAGIC)) throw new Error('it does not start with "EMMASTOR" (byte 0)');
  const version = buf[MAGIC.length];
  if (version > FORMAT) throw new EmmaError('UNSUPPORTED', `it has format ${version}, newer than this version reads (${FORMAT})`);
  if (version < 1) throw new Error(`format version 0 at byte ${MAGIC.length}`);
  const headerLength = buf.readUInt32LE(MAGIC.length + 1);
  if (HEAD + headerLength > buf.length) throw new Error(`the header length at byte ${MAGIC.length + 1} (${headerLength}) runs past the end (${buf.length} bytes)`);
  const header = JSON.parse(buf.subarray(HEAD, HEAD + headerLength).toString('utf8'));
  if (!header || typeof header.records !== 'object' || !Array.isArray(header.blobs)) throw new Error('the header is not a record set');
  const blobs = [];
  let at = HEAD + headerLength;
  for (const len of header.blobs) {
    if (!Number.isInteger(len) || len < 0 || at + len > buf.length) throw new Error(`blob ${blobs.length} at byte ${at} runs past the end`);
    blobs.push(new Uint8Array(buf.subarray(at, at + len)));
    at += len;
  }
  if (at !== buf.length) throw new Error(`${buf.length - at} unexpected bytes after the last blob (byte ${at})`);
  const records = new Map();
  for (const [name, value] of Object.entries(header.records)) {
    records.set(name, decodeTree(value, (i) => {
      if (!Number.isInteger(i) || i < 0 || i >= blobs.length) throw new Error(`record "${name}" refers to blob ${i}, which does not exist`);
      return blobs[i];
    }));
  }
  return records;
}

export class FsStorage {
  // `fs`: a stand-in for node:fs/promises (tests inject faults through it).
  static async create(dir, shop, { fs = realFs } = {}) {
    return new FsStorage(path.join(dir, fileName(shop)), fs);
  }

  constructor(dir, fs = realFs) {
    this.kind = 'fs';
    this.persistent = true;
    // Other instances, in this process or another, may use the same folder: Emma then
    // re-reads the store before every change, under withLock() (a lock file), as tabs do in
    // browsers, so two writers merge instead of overwriting each other.
    this.shared = true;
    this.canHoldCryptoKeys = false;
    this.dir = dir;
    this.file = path.join(dir, STORE_FILE);
    this.fs = fs;
    this.queue = Promise.resolve();
  }

  // One operation at a time within this instance (read-modify-write of one file).
  #serial(fn) {
    const run = this.queue.then(fn, fn);
    this.queue = run.catch(() => {});
    return run;
  }

  async #readFile(file) {
    try {
      return await this.fs.readFile(file);
    } catch (err) {
      if (err && err.code === 'ENOENT') return null;
      throw err;
    }
  }

  // The shop's records. A file that is not a store we can read is never overwritten: it is
  // replaced (atomically, as any write) by a store whose only record keeps its bytes as
  // `quarantine.<time>.store`, and TAMPERED is thrown once to say so.
  async #load(what) {
    let buf;
    try {
      buf = await this.#readFile(this.file);
    } catch (err) {
      throw fsError(err, what);
    }
    if (buf === null) return this.#loadLegacy(what);
    try {
      return decodeStore(buf);
    } catch (err) {
      if (err instanceof EmmaError) throw new EmmaError(err.code, `${this.file}: ${err.message}; it was left as it is`);
      const aside = `quarantine.${Date.now()}.store`;
      const where = `${this.file} is damaged (${err.message})`;
      try {
        await this.#save(new Map([[aside, new Uint8Array(buf)]]));
      } catch (saveErr) {
        throw new EmmaError('TAMPERED', `${where}; it could not be set aside (${saveErr.message}) and was left as it is`, { cause: err });
      }
      throw new EmmaError('TAMPERED', `${where}; it was kept as record "${aside}" and a fresh store started`, { cause: err });
    }
  }

  // Version 0.1.0 kept one file per record (`<name>.bin` bytes, `<name>.json` JSON). They are
  // read as records until the first write, which moves them into store.emma.
  async #loadLegacy(what) {
    const records = new Map();
    let files;
    try {
      files = await this.fs.readdir(this.dir);
    } catch (err) {
      if (err && err.code === 'ENOENT') return records;
      throw fsError(err, what);
    }
    for (const f of files) {
      const m = /^(.+)\.(bin|json)$/.exec(f);
      if (!m) continue;
      try {
        const data = await this.fs.readFile(path.join(this.dir, f));
        records.set(decodeURIComponent(m[1]), m[2] === 'bin' ? new Uint8Array(data) : JSON.parse(data.toString('utf8')));
      } catch (err) {
        throw fsError(err, `${what}: read old-layout file ${f}`);
      }
    }
    if (records.size) this.legacy = files.filter((f) => /\.(bin|json)$/.test(f));
    return records;
  }

  // Writes the whole store: temporary file, fsync, rename over the old file, fsync the folder.
  async #save(records) {
    const fs = this.fs;
    await fs.mkdir(this.dir, { recursive: true, mode: 0o700 });
    const tmp = `${this.file}.${process.pid}.${Math.random().toString(36).slice(2)}${TMP_SUFFIX}`;
    const fh = await fs.open(tmp, 'wx', 0o600);
    try {
      try {
        await fh.writeFile(encodeStore(records));
        await fh.sync();
      } finally {
        await fh.close();
      }
      await fs.rename(tmp, this.file);
    } catch (err) {
      await fs.rm(tmp, { force: true }).catch(() => {});
      throw err;
    }
    // The rename is only durable once the folder is flushed. Not every file system allows
    // fsync on a folder; the data is in place either way, so a failure here is not an error.
    try {
      const dh = await fs.open(this.dir, 'r');
      try {
        await dh.sync();
      } finally {
        await dh.close();
      }
    } catch {
      // best effort
    }
    await this.#tidy();
  }

  // After a successful write: old-layout files (now inside store.emma) and temporary files
  // left by a crashed writer long ago go. Failures only leave clutter, never lose data.
  async #tidy() {
    try {
      if (this.legacy) {
        for (const f of this.legacy) await this.fs.rm(path.join(this.dir, f), { force: true });
        this.legacy = null;
      }
      const now = Date.now();
      for (const f of await this.fs.readdir(this.dir)) {
        if (!f.endsWith(TMP_SUFFIX)) continue;
        const p = path.join(this.dir, f);
        const st = await this.fs.stat(p).catch(() => null);
        if (st && now - st.mtimeMs > STALE_TMP_MS) await this.fs.rm(p, { force: true });
      }
    } catch {
      // clutter only
    }
  }

  async get(name) {
    return this.#serial(async () => (await this.#load(`read ${name}`)).get(name));
  }

  // One file read: the values belong to one moment.
  async getMany(names) {
    return this.#serial(async () => {
      const records = await this.#load(`read ${names.join(', ')}`);
      return names.map((n) => records.get(n));
    });
  }

  async putMany(entries) {
    checkEntries(entries);
    const what = `write ${entries.map(([n]) => n).join(', ')}`;
    return this.#serial(async () => {
      const records = await this.#load(what);
      for (const [name, value] of entries) {
        if (value === undefined) records.delete(name);
        else records.set(name, value);
      }
      try {
        await this.#save(records);
      } catch (err) {
        throw fsError(err, what);
      }
    });
  }

  async delete(name) {
    return this.#serial(async () => {
      const records = await this.#load(`delete ${name}`);
      if (!records.delete(name)) return;
      try {
        await this.#save(records);
      } catch (err) {
        throw fsError(err, `delete ${name}`);
      }
    });
  }

  async keys() {
    return this.#serial(async () => [...(await this.#load('list')).keys()]);
  }

  // Removes the shop's folder with everything in it (temporary files included).
  async destroy() {
    return this.#serial(async () => {
      try {
        await this.fs.rm(this.dir, { recursive: true, force: true });
      } catch (err) {
        throw fsError(err, 'destroy');
      }
      this.legacy = null;
    });
  }

  async close() {
    await this.queue;
  }

  // Runs fn holding the folder's lock file (created exclusively; it names the process). A
  // lock left by a process that is gone (crashed mid-write) is taken over; one held by a live
  // process longer than LOCK_WAIT_MS fails with STORAGE_FAILED naming that process.
  async withLock(fn) {
    const fs = this.fs;
    const lock = path.join(this.dir, LOCK_FILE);
    const deadline = Date.now() + LOCK_WAIT_MS;
    for (let wait = 2; ; wait = Math.min(wait * 2, 50)) {
      // The lock appears whole or not at all: written under a temporary name, then linked
      // (link fails if the lock exists), so no writer ever sees a lock without its owner.
      const tmp = `${lock}.${process.pid}.${Math.random().toString(36).slice(2)}${TMP_SUFFIX}`;
      let taken = false;
      try {
        const fh = await fs.open(tmp, 'wx', 0o600);
        try {
          await fh.writeFile(JSON.stringify({ pid: process.pid, at: Date.now() }));
        } finally {
          await fh.close();
        }
        await fs.link(tmp, lock);
        taken = true;
      } catch (err) {
        // No folder yet: nothing stored to merge with, and a lock must not be what creates
        // it (nothing is written before consent). Only two first writes can race here.
        if (err && err.code === 'ENOENT') return fn();
        if (!err || err.code !== 'EEXIST') {
          await fs.rm(tmp, { force: true }).catch(() => {});
          throw fsError(err, 'lock the store');
        }
      } finally {
        if (taken) await fs.rm(tmp, { force: true }).catch(() => {});
      }
      if (taken) break;
      await fs.rm(tmp, { force: true }).catch(() => {});
      const holder = await this.#lockHolder(lock);
      if (holder.stale) {
        await fs.rm(lock, { force: true }).catch(() => {});
        continue;
      }
      if (Date.now() > deadline) {
        throw new EmmaError('STORAGE_FAILED', `${this.dir} is locked by process ${holder.pid ?? '?'} (${lock}) for more than ${LOCK_WAIT_MS / 1000} s; ` +
          'another program is writing this shop\'s store');
      }
      await new Promise((resolve) => setTimeout(resolve, wait));
    }
    heldHere.add(lock);
    try {
      return await fn();
    } finally {
      heldHere.delete(lock);
      await fs.rm(lock, { force: true }).catch(() => {});
    }
  }

  async #lockHolder(lock) {
    let text;
    let st;
    try {
      [text, st] = await Promise.all([this.fs.readFile(lock, 'utf8'), this.fs.stat(lock)]);
    } catch (err) {
      return { stale: false };  // just released (or being written): try again
    }
    let pid = null;
    try {
      pid = JSON.parse(text).pid;
    } catch {
      // being written, or damaged: judged by its age
    }
    if (pid === process.pid) return { pid, stale: !heldHere.has(lock) };
    if (Number.isInteger(pid)) return { pid, stale: !processAlive(pid) };
    return { pid, stale: Date.now() - st.mtimeMs > STALE_LOCK_MS };
  }
}
