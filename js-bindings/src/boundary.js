// Calls into the wasm engine. Memory ownership follows src/wasm/exports.cpp:
// every input buffer allocated here is freed here, on success and on error; the answer is
// owned by the session and copied out before the next call.
import { EmmaError, closedError } from './errors.js';

const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { fatal: true });

// What a message's fields are, for an error naming one: events, catalogs, consent details.
const CODE_BY_OP = {
  track: 'BAD_EVENT', 'catalog.load': 'BAD_BUNDLE',
  'consent.grant': 'BAD_CONSENT', 'consent.withdraw': 'BAD_CONSENT', 'consent.signal': 'BAD_CONSENT',
};
// Deeper than the engine accepts (32, src/core/json_input.hpp) with room: only to bound the walk.
const WALK_DEPTH = 64;

// JSON text of a control message. JSON.stringify throws on a BigInt, a cycle, nesting deep
// enough to exhaust the stack, or a getter/toJSON that throws: the caller's input, so an
// EmmaError naming the field (`event.at: is a BigInt`), and the instance is untouched.
// NaN and ±Infinity it writes as null, which the engine would take for "not given" (a default
// limit, a purchase of 1, an event dated now): refused the same way. Only text with a null in
// it is walked for them.
function serialize(message) {
  try {
    const text = JSON.stringify(message);
    const where = text.includes('null') && unserializable(message, '', []);
    if (where) throw new EmmaError(CODE_BY_OP[message.op] || 'BAD_REQUEST', where);
    return text;
  } catch (err) {
    if (err instanceof EmmaError) throw err;
    let where;
    try {
      where = unserializable(message, '', []);
    } catch (walkErr) {
      where = `reading it failed (${walkErr.message})`;
    }
    throw new EmmaError(CODE_BY_OP[message.op] || 'BAD_REQUEST', where || `${message.op}: cannot be sent as JSON (${err.message})`, { cause: err });
  }
}

// The first field JSON cannot carry, as "path: what is wrong", or null.
function unserializable(value, path, ancestors) {
  const at = path || 'the value';
  if (typeof value === 'bigint') return `${at}: is a BigInt (${value}n); send a Number`;
  if (typeof value === 'number' && !Number.isFinite(value)) return `${at}: is ${value}; send a finite number`;
  if (value === null || typeof value !== 'object') return null;
  if (ancestors.includes(value)) return `${at}: refers to an object that contains it (a cycle); send plain data`;
  if (ancestors.length >= WALK_DEPTH) return `${at}: nests deeper than ${WALK_DEPTH} levels`;
  ancestors.push(value);
  try {
    const plain = typeof value.toJSON === 'function' ? value.toJSON() : value;
    if (plain !== value) return unserializable(plain, path, ancestors);
    const entries = Array.isArray(value) ? value.map((v, i) => [`${path}[${i}]`, v]) : Object.entries(value).map(([k, v]) => [path ? `${path}.${k}` : k, v]);
    for (const [childPath, child] of entries) {
      const found = unserializable(child, childPath, ancestors);
      if (found) return found;
    }
    return null;
  } catch (err) {
    return `${at}: reading it failed (${err.message})`;
  } finally {
    ancestors.pop();
  }
}

export class Boundary {
  constructor(module) {
    this.module = module;
    this.session = module._emma_session_create();
    if (!this.session) throw new EmmaError('OUT_OF_MEMORY', 'the engine could not create a session');
    this.broken = null;
  }

  // message: a plain object (serialized to JSON here); bytes: optional Uint8Array.
  // Returns { result, bytes }; throws EmmaError with the engine's code.
  call(message, bytes) {
    if (this.broken) throw this.broken;
    const m = this.module;
    const text = encoder.encode(serialize(message));
    let requestPtr = 0;
    let bytesPtr = 0;
    try {
      requestPtr = this.#copyIn(text);
      if (bytes && bytes.length) bytesPtr = this.#copyIn(bytes);
      m._emma_call(this.session, requestPtr, text.length, bytesPtr, bytes ? bytes.length : 0);
      const jsonPtr = m._emma_answer_json(this.session);
      const jsonLen = m._emma_answer_json_len(this.session);
      const answer = JSON.parse(decoder.decode(m.HEAPU8.subarray(jsonPtr, jsonPtr + jsonLen)));
      if (answer.error) throw new EmmaError(answer.error.code, answer.error.message);
      const outLen = m._emma_answer_bytes_len(this.session);
      let out = null;
      if (outLen) {
        const outPtr = m._emma_answer_bytes(this.session);
        out = m.HEAPU8.slice(outPtr, outPtr + outLen);
      }
      return { result: answer.result, bytes: out };
    } catch (err) {
      if (err instanceof EmmaError) throw err;
      // A trap inside wasm leaves the instance unusable: say so once, clearly, every time.
      this.broken = new EmmaError('ENGINE_FAILED', `the engine stopped (${message.op}): ${err.message}`, { cause: err });
      throw this.broken;
    } finally {
      if (requestPtr) m._emma_free(requestPtr);
      if (bytesPtr) m._emma_free(bytesPtr);
    }
  }

  heapInUse() {
    return this.module._emma_heap_in_use();
  }

  destroy() {
    if (this.session) this.module._emma_session_destroy(this.session);
    this.session = 0;
    this.broken = closedError();
  }

  #copyIn(data) {
    const ptr = this.module._emma_alloc(data.length);
    if (!ptr) throw new EmmaError('OUT_OF_MEMORY', `the engine could not take ${data.length} bytes`);
    this.module.HEAPU8.set(data, ptr);  // read HEAPU8 after alloc: memory may have grown
    return ptr;
  }
}
