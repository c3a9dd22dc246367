// What a storage record may hold, checked the same way by every adapter, and the text
// encoding used where storage only keeps strings or one file (localStorage, Node files).
//
// A value is: bytes (Uint8Array), or JSON data (null, booleans, finite numbers, strings,
// arrays, plain objects) that may contain bytes anywhere; CryptoKey objects only where
// the adapter can keep them (IndexedDB). `undefined` as the value of a putMany entry means
// "delete this record" (in the same atomic write).
import { EmmaError } from '../errors.js';

// The one reserved object key: encoded bytes are written as { "$bytes": "<base64>" }.
export const BYTES_TAG = '$bytes';
const MAX_DEPTH = 32;

function isPlainObject(v) {
  if (v === null || typeof v !== 'object') return false;
  const proto = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}

function isCryptoKey(v) {
  return typeof CryptoKey === 'function' && v instanceof CryptoKey;
}

// Throws BAD_REQUEST naming the record and the path inside it when a value cannot be
// stored faithfully by every adapter (a function, a Date, NaN, a cycle, …).
export function checkValue(value, record, { cryptoKeys = false } = {}) {
  const fail = (where, what) => {
    throw new EmmaError('BAD_REQUEST', `storage: record "${record}"${where ? ` at ${where}` : ''} ${what}`);
  };
  const walk = (v, where, depth) => {
    if (depth > MAX_DEPTH) fail(where, `nests deeper than ${MAX_DEPTH} levels`);
    if (v === null || typeof v === 'boolean' || typeof v === 'string') return;
    if (typeof v === 'number') {
      if (!Number.isFinite(v)) fail(where, `is ${v}; only finite numbers can be stored`);
      return;
    }
    if (v instanceof Uint8Array) return;
    if (isCryptoKey(v)) {
      if (!cryptoKeys) fail(where, 'is a CryptoKey, which this storage cannot keep');
      return;
    }
    if (Array.isArray(v)) {
      v.forEach((x, i) => walk(x, `${where}[${i}]`, depth + 1));
      return;
    }
    if (isPlainObject(v)) {
      for (const [k, x] of Object.entries(v)) {
        if (k === BYTES_TAG) fail(where, `uses the reserved key "${BYTES_TAG}"`);
        walk(x, where ? `${where}.${k}` : k, depth + 1);
      }
      return;
    }
    const kind = v === undefined ? 'undefined' : typeof v === 'object' ? (v.constructor && v.constructor.name) || 'object' : typeof v;
    fail(where, `is ${/^[aeiou]/i.test(kind) ? 'an' : 'a'} ${kind}; only bytes (Uint8Array) and JSON data can be stored`);
  };
  walk(value, '', 0);
}

// Checks every entry of a putMany before anything is written, so a bad entry changes nothing.
export function checkEntries(entries, options) {
  if (!Array.isArray(entries)) throw new EmmaError('BAD_REQUEST', 'storage.putMany(entries): entries must be an array of [name, value]');
  for (const entry of entries) {
    if (!Array.isArray(entry) || entry.length !== 2 || typeof entry[0] !== 'string' || entry[0] === '') {
      throw new EmmaError('BAD_REQUEST', 'storage.putMany(entries): each entry must be [name (a non-empty string), value]');
    }
    if (entry[1] !== undefined) checkValue(entry[1], entry[0], options);
  }
}

// --- base64, without Buffer (browsers) --------------------------------------------------

const CHUNK = 0x8000;

export function bytesToBase64(bytes) {
  let s = '';
  for (let i = 0; i < bytes.length; i += CHUNK) s += String.fromCharCode.apply(null, bytes.subarray(i, i + CHUNK));
  return btoa(s);
}

export function base64ToBytes(text) {
  const s = atob(text);
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
  return out;
}

// --- JSON with bytes ---------------------------------------------------------------------

// Replaces every Uint8Array by what `bytes(u8)` returns (a tag object).
export function encodeTree(value, bytes) {
  if (value instanceof Uint8Array) return { [BYTES_TAG]: bytes(value) };
  if (Array.isArray(value)) return value.map((x) => encodeTree(x, bytes));
  if (value && typeof value === 'object') {
    const out = {};
    for (const [k, x] of Object.entries(value)) out[k] = encodeTree(x, bytes);
    return out;
  }
  return value;
}

// The inverse: `bytes(tagValue)` returns the Uint8Array for a tag.
export function decodeTree(value, bytes) {
  if (Array.isArray(value)) return value.map((x) => decodeTree(x, bytes));
  if (value && typeof value === 'object') {
    const keys = Object.keys(value);
    if (keys.length === 1 && keys[0] === BYTES_TAG) return bytes(value[BYTES_TAG]);
    const out = {};
    for (const [k, x] of Object.entries(value)) out[k] = decodeTree(x, bytes);
    return out;
  }
  return value;
}

// A deep copy, so that callers and storage never share a mutable value.
export function copyValue(value) {
  return value === undefined ? undefined : structuredClone(value);
}

export function sameBytes(a, b) {
  if (a === b) return true;
  if (!(a instanceof Uint8Array) || !(b instanceof Uint8Array) || a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
