// A sharded catalog (docs/catalog-size.md): before a request is answered, the shards its page
// fields name are fetched from beside the bundle. The engine decides which (from those fields
// only: src/core/shards.hpp); this moves the bytes. A shard that fails is reported with its
// URL, and the answer is built from what is loaded.
import { asEmmaError } from './errors.js';

export function shardFetcher(bundleUrl, fetchBytes, call, report) {
  return async (request) => {
    // Two rounds: a variant id's shard holds a redirect to its product, whose own shard the
    // engine names once that one is loaded. A name is fetched once (a failed one is not retried).
    const tried = new Set();
    for (let round = 0; round < 2; round++) {
      let names = [];
      try {
        names = call({ op: 'shards.needed', request }).fetch.filter((name) => !tried.has(name));
      } catch {
        return;  // a malformed request: its own call says so
      }
      if (!names.length) return;
      await Promise.all(names.map(async (name) => {
        tried.add(name);
        const url = bundleUrl.replace(/[^/]*$/, name);
        try {
          call({ op: 'shard.load', name }, await fetchBytes(url));
        } catch (err) {
          report(asEmmaError(err, 'BAD_BUNDLE', url));
        }
      }));
    }
  };
}
