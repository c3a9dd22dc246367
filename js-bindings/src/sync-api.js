// The sync.* methods of an instance (docs/sync-and-backups.md), the automatic pull at start and push
// after a stored change, and the deletion of the server copy when sync ends. The engine
// decides and seals (src/core/sync.hpp); here the copies travel to the shop's sync endpoint.
// Its own module so that the embed script, which has no sync option, leaves it out
// (web/build.mjs replaces it with a stub: every byte there is on every shop page).
//
// `options`: createEmma's `sync` ({ endpoint, fetch }) or undefined. `core`: the instance's
// internals: call, read, serial, mutate, syncing (serial, under the cross-tab lock, after
// taking in what another tab stored), write, emit, closed.
import { fields, normalizeSecret } from './args.js';
import { EmmaError, asEmmaError } from './errors.js';
import { SyncTransport } from './sync.js';

const CONSENT = 'sync needs both personalization and sync granted';

export function createSync(options, core) {
  const transport = options === undefined ? null : new SyncTransport(options?.endpoint, options?.fetch);
  let pushTimer = null;

  const need = () => {
    if (!transport) throw new EmmaError('BAD_REQUEST', 'sync is not set up: createEmma({ sync: { endpoint } }) names where copies go');
    return transport;
  };

  // Seals the current profile for sync and sends it (the engine refuses without consent).
  // The store replaces the copy only if it is still the one read here (If-Match): so first
  // the server's copy is taken in (the engine merges it), and when another device pushed in
  // between, the merge and the push are done again.
  async function push() {
    clearTimeout(pushTimer);
    pushTimer = null;
    const t = need();
    for (let attempt = 1; ; attempt++) {
      const { handle } = core.call({ op: 'sync.state' });
      const remote = handle ? await t.get(handle) : null;
      if (remote) {
        const r = core.call({ op: 'sync.apply', before_push: true }, remote.bytes);
        // The server copy did not open under the kept key; the engine chose to replace it.
        if (r.replace) core.emit('error', new EmmaError(r.code, `the sync copy on the server could not be read and is replaced by this device's: ${r.message}`));
      }
      const answer = core.call({ op: 'sync.seal' }, undefined, true);
      // (A store that sends no ETag gets an unconditional PUT: the engine's merge still keeps
      // this device's changes until a copy holds them, docs/sync-and-backups.md.)
      if (await t.put(answer.result.handle, answer.bytes, remote ? remote.version ?? undefined : null)) {
        // The store holds this copy: the changes in it leave the kept list now.
        core.call({ op: 'sync.pushed', holds: answer.result.holds });
        await core.write({ schedule: false });  // what was merged, and what was pushed
        return { pushed: true, bytes: answer.bytes.length };
      }
      if (attempt === 3) {
        await core.write({ schedule: false });
        throw new EmmaError('SYNC_FAILED', 'the sync copy changed on the server during each of 3 tries; the changes are kept and sent with the next push');
      }
    }
  }

  async function pull() {
    const t = need();
    const state = core.call({ op: 'sync.state' });
    // One rule for every sync.* that moves a copy (enable, pair, join, push, pull): both
    // purposes granted, else NO_CONSENT; state() and disable() always answer.
    if (!state.allowed) throw new EmmaError('NO_CONSENT', CONSENT);
    if (!state.enabled) return { applied: false };
    const copy = await t.get(state.handle);
    if (!copy) return { applied: false };
    const r = core.call({ op: 'sync.apply' }, copy.bytes);
    if (r.persist) await core.write({ schedule: false });
    // Changes of this device the server copy lacks (made offline, or a push that failed).
    if (r.push) schedulePush();
    return { applied: r.applied, events: r.events };
  }

  // After a change is stored: other devices get it a moment later (changes in a burst
  // travel once).
  function schedulePush() {
    if (!transport || pushTimer || core.closed()) return;
    pushTimer = setTimeout(() => {
      pushTimer = null;
      core.syncing(push).catch((err) => core.emit('error', asEmmaError(err, 'SYNC_FAILED', 'sending the sync copy')));
    }, 1000);
  }

  const api = {
    state: () => core.read({ op: 'sync.state' }).then((s) => ({ enabled: s.enabled, syncId: s.handle, updatedAt: s.updated_at, allowed: s.allowed, pending: s.pending })),
    enable: async (opts) => {
      const { passphrase } = fields(opts, 'sync.enable(options)', ['passphrase']);
      need();
      const secret = passphrase === undefined ? undefined : normalizeSecret(passphrase);
      const { r } = await core.mutate(() => core.call({ op: 'sync.enable', passphrase: secret }));
      await core.syncing(push);
      return { syncId: r.handle, passphrase: r.passphrase };
    },
    // A one-time code to show the shopper; typed on the other device into sync.join({ code }).
    pair: () => core.serial(async () => {
      const t = need();
      const answer = core.call({ op: 'sync.pair' }, undefined, true);
      await t.putPairing(answer.result.slot, answer.bytes);
      return { code: answer.result.code };
    }),
    // { code } from sync.pair() on the first device, or { syncId, passphrase }.
    join: async (how = {}) => {
      const t = need();
      if (how === null || typeof how !== 'object') throw new EmmaError('BAD_REQUEST', 'sync.join(how): how must be { code } or { syncId, passphrase }');
      const { code, syncId, passphrase } = fields(how, 'sync.join(how)', ['code', 'syncId', 'passphrase']);
      // Before anything is fetched (a pairing copy is given out once): both purposes.
      if (!(await core.read({ op: 'sync.state' })).allowed) throw new EmmaError('NO_CONSENT', CONSENT);
      let bytes;
      let message;
      if (code !== undefined) {
        const { slot } = await core.read({ op: 'sync.pairing_slot', code });
        bytes = await t.takePairing(slot);
        if (!bytes) throw new EmmaError('SYNC_FAILED', 'no device is waiting with this pairing code (codes work once, for 10 minutes)');
        message = { op: 'sync.join', code };
      } else {
        const handle = typeof syncId === 'string' ? syncId.trim().toLowerCase() : syncId;
        message = { op: 'sync.join', handle, passphrase: normalizeSecret(passphrase) };
        if (typeof handle !== 'string' || !/^[0-9a-f]{32}$/.test(handle)) throw new EmmaError('BAD_REQUEST', 'sync.join: syncId must be the 32 hex characters shown on the first device');
        const copy = await t.get(handle);
        if (!copy) throw new EmmaError('SYNC_FAILED', `there is no sync copy under this sync id (${handle})`);
        bytes = copy.bytes;
      }
      const { r, stored } = await core.mutate(() => core.call(message, bytes));
      return { syncId: r.handle, restored: r.restored, events: r.events, stored };
    },
    push: () => core.syncing(push),
    pull: () => core.syncing(pull),
    // (mutate deletes the server copy the engine names, once.)
    disable: async () => {
      const { deleted } = await core.mutate(() => core.call({ op: 'sync.disable' }));
      return { deleted };
    },
  };

  return {
    api,
    schedulePush,
    pullAtStart() {
      if (!transport) return;
      core.syncing(() => (core.call({ op: 'sync.state' }).allowed ? pull() : null))
        .catch((err) => core.emit('error', asEmmaError(err, 'SYNC_FAILED', 'fetching the sync copy')));
    },
    // Sync ended (withdrawal, GPC, erase, disable, expiry): the server copy is deleted. If the
    // endpoint cannot be reached the shopper hears so (an `error` event); nothing else waits.
    async deleteServerCopy(handle) {
      if (!handle || !transport) return false;
      try {
        await transport.delete(handle);
        return true;
      } catch (err) {
        core.emit('error', asEmmaError(err, 'SYNC_FAILED', 'deleting the sync copy'));
        return false;
      }
    },
    stop() {
      clearTimeout(pushTimer);
      pushTimer = null;
    },
  };
}
