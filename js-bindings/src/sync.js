// Moves sync copies to and from the shop's sync endpoint (docs/sync-and-backups.md "Sync protocol"). The
// engine decides what may leave and seals it; this only sends bytes: no cookies, no
// referrer, nothing cached, nothing but the sealed copy and its random handle in the URL.
import { EmmaError } from './errors.js';

const HEX32 = /^[0-9a-f]{32}$/;
const TIMEOUT_MS = 15000;

export class SyncTransport {
  constructor(endpoint, fetchImpl) {
    if (typeof endpoint !== 'string' || endpoint.length === 0) {
      throw new EmmaError('BAD_REQUEST', 'options.sync.endpoint must be a URL string');
    }
    this.endpoint = endpoint.replace(/\/+$/, '');
    // Called as a plain function: browsers refuse a fetch detached from window.
    this.fetch = fetchImpl || ((url, init) => globalThis.fetch(url, init));
  }

  #url(kind, id) {
    if (!HEX32.test(id)) throw new EmmaError('INTERNAL', `a sync ${kind} must be 32 hex characters`);
    return kind === 'slot' ? `${this.endpoint}/pair/${id}` : `${this.endpoint}/${id}`;
  }

  // GET answers { bytes, version } or null (no copy); PUT answers false when the copy is no
  // longer `version` (412: another device pushed since it was read).
  async #send(method, url, body, headers = {}) {
    let res;
    try {
      res = await this.fetch(url, {
        method,
        body,
        headers: body ? { 'Content-Type': 'application/octet-stream', ...headers } : undefined,
        credentials: 'omit',
        referrerPolicy: 'no-referrer',
        cache: 'no-store',
        // A hung endpoint must not hold the cross-tab lock (and every tab's writes) for long.
        signal: AbortSignal.timeout(TIMEOUT_MS),
      });
    } catch (err) {
      throw new EmmaError('SYNC_FAILED', `${method} ${url}: the sync endpoint could not be reached (${err.message})`, { cause: err });
    }
    if (res.status === 404 && method === 'GET') return null;
    if (res.status === 412 && method === 'PUT') return false;
    if (!res.ok) {
      let detail = '';
      try {
        const j = await res.json();
        detail = j?.error?.message ? `: ${j.error.message}` : '';
      } catch {
        // the body is not JSON; the status says enough
      }
      throw new EmmaError('SYNC_FAILED', `${method} ${url} answered ${res.status}${detail}`);
    }
    if (method !== 'GET') return true;
    return { bytes: new Uint8Array(await res.arrayBuffer()), version: res.headers.get('ETag') };
  }

  // `version`: the ETag of the copy this one replaces, null when there was none (the store
  // then refuses to overwrite a copy that appeared meanwhile), undefined for no condition.
  put(handle, bytes, version) {
    const condition = version === undefined ? {} : version === null ? { 'If-None-Match': '*' } : { 'If-Match': version };
    return this.#send('PUT', this.#url('handle', handle), bytes, condition);
  }
  get(handle) { return this.#send('GET', this.#url('handle', handle)); }
  delete(handle) { return this.#send('DELETE', this.#url('handle', handle)); }
  // A pairing copy waits once: the server gives it out a single time, then forgets it.
  putPairing(slot, bytes) { return this.#send('PUT', this.#url('slot', slot), bytes); }
  async takePairing(slot) {
    const copy = await this.#send('GET', this.#url('slot', slot));
    return copy && copy.bytes;
  }
}
