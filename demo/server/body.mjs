// Reads a request body of at most `limit` bytes, for the demo's opt-in endpoints. A longer
// body is refused without keeping it: the promise rejects with `tooLarge(size)` (an error
// the caller answers with 413), and the rest of the body is read and dropped, so the answer
// reaches the client instead of a reset connection (a socket destroyed while the client is
// still sending looks to a browser like a server that cannot be reached). The caller's 413
// answer carries `Connection: close`, so a client cannot keep a connection streaming.
export function readLimitedBody(req, limit, tooLarge) {
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers['content-length']);
    if (Number.isFinite(declared) && declared > limit) {
      req.resume();
      reject(tooLarge(declared));
      return;
    }
    const parts = [];
    let size = 0;
    req.on('data', (chunk) => {
      size += chunk.length;
      if (size > limit) {
        req.removeAllListeners('data');
        req.resume();
        reject(tooLarge(size));
        return;
      }
      parts.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(parts)));
    req.on('error', reject);
  });
}
