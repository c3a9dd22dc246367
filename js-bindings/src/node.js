// Entry point for Node (the "node" export condition).
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { createEmmaWith } from './emma.js';
import { EmmaError } from './errors.js';
import { checkWasmBytes, wasmLoadError } from './load-errors.js';
import { FsStorage } from './storage/fs.js';
import { MemoryStorage } from './storage/memory.js';

export { EmmaError } from './errors.js';

const require = createRequire(import.meta.url);
const DEFAULT_WASM_URL = new URL('../dist/emma.wasm', import.meta.url);

async function loadModule({ wasmUrl = DEFAULT_WASM_URL } = {}) {
  const where = String(wasmUrl);
  let bytes;
  let glue;
  try {
    bytes = new Uint8Array(await readFile(where.startsWith('file:') ? fileURLToPath(where) : where));
    checkWasmBytes(bytes, where);
    glue = require('../dist/emma-node.cjs');
  } catch (err) {
    throw wasmLoadError(err, where);
  }
  // The 3.1.6 glue would fetch() a file path in Node: hand it the bytes instead.
  return new Promise((resolve, reject) => {
    glue({ wasmBinary: bytes, onAbort: (what) => reject(wasmLoadError(new Error(String(what)), where)), print: () => {}, printErr: () => {} }).then(
      resolve,
      (err) => reject(wasmLoadError(err, where)),
    );
  });
}

async function fetchBytes(location) {
  try {
    if (/^https?:/.test(location)) {
      const res = await fetch(location);
      if (!res.ok) throw new Error(`HTTP ${res.status}`);
      return new Uint8Array(await res.arrayBuffer());
    }
    return new Uint8Array(await readFile(location.startsWith('file:') ? fileURLToPath(location) : location));
  } catch (err) {
    throw new EmmaError('BAD_BUNDLE', `could not read the bundle from ${location}: ${err.message}`, { cause: err });
  }
}

async function openStorage(spec, shop) {
  if (spec && typeof spec === 'object') return spec;
  if (spec === 'memory') return MemoryStorage.create();
  if (typeof spec === 'string' && spec.startsWith('fs:') && spec.length > 3) return FsStorage.create(spec.slice(3), shop);
  throw new EmmaError('BAD_REQUEST', `storage "${spec}" is not available in Node; use memory, fs:<dir> or an adapter object`);
}

const env = { loadModule, openStorage, fetchBytes, defaultStorage: 'memory' };

export function createEmma(options) {
  return createEmmaWith(env, options);
}
