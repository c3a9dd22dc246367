// Reading the arguments of public methods: what the caller passed is read once, here, and
// anything wrong with it (a throwing getter, a Proxy, a Symbol) becomes an EmmaError.
import { EmmaError } from './errors.js';

// The same passphrase typed on two devices must give the same bytes (Unicode NFC).
export function normalizeSecret(passphrase) {
  if (typeof passphrase !== 'string') throw new EmmaError('BAD_REQUEST', 'passphrase: must be a string');
  return passphrase.normalize('NFC');
}

// The named fields of an options argument, read once here: a missing argument is {}, and
// anything a getter or Proxy throws while they are read is the caller's input, so an
// EmmaError naming the call (code: BAD_REQUEST, or the given one).
export function fields(value, what, keys, code = 'BAD_REQUEST') {
  if (value === undefined || value === null) return {};
  if (typeof value !== 'object') throw new EmmaError(code, `${what}: expected an object, got ${typeof value}`);
  const out = {};
  try {
    for (const k of keys) out[k] = value[k];
  } catch (err) {
    throw new EmmaError(code, `${what}: reading it failed (${err && err.message})`, { cause: err });
  }
  return out;
}

// A value named in an error message, whatever it is (a Symbol, a BigInt, a cycle).
export function describe(value) {
  try {
    return typeof value === 'string' ? JSON.stringify(value) : String(value);
  } catch {
    return typeof value;
  }
}
