// Several tabs of one shop share one stored profile. Each read-modify-write of it runs under
// an exclusive Web Lock (navigator.locks) named after the shop, so two tabs never write from
// the same old state; after a write, a BroadcastChannel message tells the other tabs to take
// in the new profile now rather than at their next write.
//
// A lock alone is not enough for localStorage: Chromium gives each tab its own copy of
// localStorage and brings it up to date asynchronously, so the next lock holder can still
// read the previous holder's write as it was before (measured: 1 event in 50 lost). So the
// writer also announces what it wrote, through the lock manager, which every tab sees in
// one order: it holds a lock named `<name>#wrote:<sequence>:<digest of the profile>` until
// its next write. The next holder looks up the newest announcement (navigator.locks.query)
// and waits until storage shows that profile before it reads on.
//
// Without Web Locks (insecure http:// pages, old browsers) writes are not serialized: each
// write still re-reads the stored profile first, which narrows but does not close the window
// in which two tabs can overwrite each other's last event. `locking` says which case holds.
const WROTE = '#wrote:';

// FNV-1a over the bytes, with the length: tells profiles apart (each sealing has a fresh
// random nonce), which is all it is used for.
export function digest(bytes) {
  if (!(bytes instanceof Uint8Array)) return 'none';
  let h = 0x811c9dc5;
  for (let i = 0; i < bytes.length; i++) {
    h ^= bytes[i];
    h = Math.imul(h, 0x01000193);
  }
  return `${bytes.length.toString(36)}-${(h >>> 0).toString(36)}`;
}

export class TabSync {
  constructor(name, onOtherTabWrote) {
    this.name = name;
    const locks = globalThis.navigator && globalThis.navigator.locks;
    this.locks = locks && typeof locks.request === 'function' ? locks : null;
    this.release = null;  // ends this tab's current announcement
    this.announced = null;  // its lock name
    this.channel = null;
    if (typeof BroadcastChannel === 'function') {
      try {
        this.channel = new BroadcastChannel(name);
        this.channel.onmessage = (e) => {
          if (e.data && e.data.type === 'changed') onOtherTabWrote();
        };
      } catch {
        this.channel = null;  // e.g. opaque origins
      }
    }
  }

  get locking() {
    return this.locks !== null;
  }

  withLock(fn) {
    if (!this.locks) return fn();
    return this.locks.request(this.name, { mode: 'exclusive' }, () => fn());
  }

  // The newest write announced by another tab, when it is newer than this tab's own last
  // write: { seq, digest }; otherwise null (this tab wrote last, or nobody announced).
  // An announcement is held until its tab writes again or closes, so an old one can outlive
  // newer writes whose tabs closed: then the wait it causes is bounded and nothing is lost.
  async lastWrite() {
    if (!this.locks || typeof this.locks.query !== 'function') return null;
    const { held = [] } = await this.locks.query();
    let best = null;
    for (const { name } of held) {
      if (!name || !name.startsWith(this.name + WROTE)) continue;
      const [seq, dig] = name.slice(this.name.length + WROTE.length).split(':');
      if (!best || Number(seq) > best.seq) best = { seq: Number(seq), digest: dig, name };
    }
    if (!best || best.name === this.announced) return null;
    // Another tab wrote after this one: this tab's announcement is out of date, let it go.
    if (this.release) this.release();
    this.release = null;
    this.announced = null;
    return best;
  }

  // Called under the shop lock after a write (digest of the new profile, 'none' when erased).
  async announce(dig) {
    if (!this.locks || typeof this.locks.query !== 'function') return;
    const { held = [] } = await this.locks.query();
    let seq = 0;
    for (const l of held) {
      if (l.name && l.name.startsWith(this.name + WROTE)) seq = Math.max(seq, Number(l.name.slice(this.name.length + WROTE.length).split(':')[0]) || 0);
    }
    const name = `${this.name}${WROTE}${seq + 1}:${dig}`;
    const previous = this.release;
    await new Promise((granted) => {
      this.locks.request(name, () => {
        granted();
        return new Promise((end) => {
          this.release = end;
        });
      });
    });
    this.announced = name;
    if (previous) previous();
  }

  notify() {
    try {
      if (this.channel) this.channel.postMessage({ type: 'changed' });
    } catch {
      // closed: nothing to tell
    }
  }

  close() {
    if (this.channel) this.channel.close();
    this.channel = null;
    if (this.release) this.release();
    this.release = null;
    this.announced = null;
  }
}
