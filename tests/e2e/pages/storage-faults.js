// Fault injection for the browser adapters, used by tests/e2e/storage-atomic.test.mjs.
//
// faultyIndexedDB(plan) wraps the real IndexedDB so that the next read-write transaction
// fails at a chosen step, once:
//   { at: 'transaction' }     db.transaction() throws (the database went away)
//   { at: 'put', n }          the n-th put/delete of the transaction throws
//   { at: 'abort', n }        the transaction is aborted right after its n-th put/delete
//                             (n = all of them: just before it would commit)
// plan.armed turns it on; after firing it disarms itself. plan.log lists what happened.
export function faultyIndexedDB(plan, real = indexedDB) {
  plan.log = plan.log || [];
  const dbs = new WeakMap();
  const fail = (what) => {
    plan.armed = false;
    plan.log.push(`fault: ${what}`);
    return new DOMException(`injected fault: ${what}`, 'UnknownError');
  };
  const wrapStore = (store, tx, state) =>
    new Proxy(store, {
      get(t, p) {
        if (p === 'put' || p === 'delete') {
          return (...args) => {
            state.n++;
            plan.log.push(`${p} ${p === 'put' ? args[1] : args[0]}`);
            if (state.armed && plan.at === 'put' && plan.n === state.n) throw fail(`${p} #${state.n}`);
            const r = t[p](...args);
            if (state.armed && plan.at === 'abort' && plan.n === state.n) {
              fail(`abort after #${state.n}`);
              tx.abort();
            }
            return r;
          };
        }
        const v = Reflect.get(t, p);
        return typeof v === 'function' ? v.bind(t) : v;
      },
    });
  const wrapTx = (tx, state) =>
    new Proxy(tx, {
      get(t, p) {
        if (p === 'objectStore') return (name) => wrapStore(t.objectStore(name), t, state);
        const v = Reflect.get(t, p);
        return typeof v === 'function' ? v.bind(t) : v;
      },
      set(t, p, v) {
        t[p] = v;
        return true;
      },
    });
  const wrapDb = (db) => {
    if (!db) return db;
    if (!dbs.has(db)) {
      dbs.set(db, new Proxy(db, {
        get(t, p) {
          if (p === 'transaction') {
            return (stores, mode) => {
              const armed = plan.armed && mode === 'readwrite';
              if (armed && plan.at === 'transaction') throw fail('transaction()');
              return wrapTx(t.transaction(stores, mode), { armed, n: 0 });
            };
          }
          const v = Reflect.get(t, p);
          return typeof v === 'function' ? v.bind(t) : v;
        },
        set(t, p, v) {
          t[p] = v;
          return true;
        },
      }));
    }
    return dbs.get(db);
  };
  return {
    databases: () => real.databases(),
    cmp: (a, b) => real.cmp(a, b),
    deleteDatabase: (name) => real.deleteDatabase(name),
    open(name, version) {
      const req = real.open(name, version);
      return new Proxy(req, {
        get(t, p) {
          if (p === 'result') return wrapDb(t.result);
          const v = Reflect.get(t, p);
          return typeof v === 'function' ? v.bind(t) : v;
        },
        set(t, p, v) {
          t[p] = v;
          return true;
        },
      });
    },
  };
}

// faultyLocalStorage(plan) wraps localStorage so that the next setItem fails, once:
//   { error: 'QuotaExceededError' | 'UnknownError' }
export function faultyLocalStorage(plan, real = localStorage) {
  plan.log = plan.log || [];
  return {
    getItem: (k) => real.getItem(k),
    removeItem: (k) => real.removeItem(k),
    setItem(k, v) {
      plan.log.push(`setItem ${k} (${v.length} characters)`);
      if (plan.armed) {
        plan.armed = false;
        plan.log.push('fault: setItem');
        throw new DOMException('injected fault: setItem', plan.error || 'QuotaExceededError');
      }
      real.setItem(k, v);
    },
    get length() {
      return real.length;
    },
    key: (i) => real.key(i),
  };
}
