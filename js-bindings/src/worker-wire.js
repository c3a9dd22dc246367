// What the page and the engine's worker (worker.js, worker-client.js) agree on: the events
// an instance emits, the methods a proxy may call, and errors as plain data (an Error's own
// fields, such as EmmaError's `code`, do not survive structured cloning).
import { EmmaError } from './errors.js';

export const EVENTS = ['error', 'consent', 'storage', 'recommendations'];

// The public methods of an Emma instance: `track`, `consent.grant`, … (names with a leading
// underscore are internal, `on` stays on the page). Read from the instance, so methods
// added to the API are reachable through a worker without a list to keep in step.
export function methodPaths(emma) {
  const paths = new Set();
  const add = (name, value, prefix = '') => {
    if (typeof value === 'function' && name !== 'constructor' && name !== 'on' && !name.startsWith('_')) paths.add(prefix + name);
  };
  for (const name of Object.getOwnPropertyNames(Object.getPrototypeOf(emma))) add(name, emma[name]);
  for (const [name, value] of Object.entries(emma)) {
    if (value && typeof value === 'object') for (const [k, v] of Object.entries(value)) add(k, v, `${name}.`);
    else add(name, value);
  }
  return [...paths];
}

// The function at `path`, bound to its object; only paths that methodPaths lists.
export function resolvePath(emma, path) {
  if (typeof path !== 'string' || !methodPaths(emma).includes(path)) throw new EmmaError('BAD_REQUEST', `"${String(path).slice(0, 60)}" is not a method of Emma`);
  const dot = path.indexOf('.');
  const owner = dot < 0 ? emma : emma[path.slice(0, dot)];
  return owner[path.slice(dot + 1)].bind(owner);
}

export function errorToWire(err) {
  if (err instanceof EmmaError) return { emma: true, code: err.code, message: err.message };
  return { emma: false, name: (err && err.name) || 'Error', message: err && err.message !== undefined ? String(err.message) : String(err) };
}

export function errorFromWire(wire) {
  if (wire && wire.emma) return new EmmaError(wire.code, wire.message);
  const Type = { TypeError, RangeError }[wire && wire.name] || Error;
  const err = new Type(wire ? wire.message : 'unknown error');
  if (wire && wire.name && err.name !== wire.name) err.name = wire.name;
  return err;
}
