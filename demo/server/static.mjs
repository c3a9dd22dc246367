// Static files served as a shop's CDN should serve Emma's (docs/embed.md "Caching and
// compression"): a content-hashed name (emma.<12 hex>.js|css|wasm, emma-centre.<hex>.js,
// shop.<16 hex>.bundle) never changes, so it is cached for a year without a question
// (`immutable`: a second page view does not even ask); every other file is revalidated with
// its ETag (304, no body). Text and wasm go out brotli- or gzip-compressed by Accept-Encoding.
// Compressing the 280 KB engine with brotli at quality 11 takes seconds, so every variant is
// made once per content and kept on disk (build/static-cache), shared by every server process
// (the browser tests start one per file).
import { createHash } from 'node:crypto';
import { mkdirSync, promises as fsp } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { brotliCompress, constants, gzip } from 'node:zlib';

const br = promisify(brotliCompress);
const gz = promisify(gzip);

export const HASHED = /\.[0-9a-f]{12,16}\.(?:js|css|wasm|bundle)$/;
export const IMMUTABLE = 'public, max-age=31536000, immutable';
const COMPRESSIBLE = /\.(?:html|m?js|cjs|css|json|wasm|bundle|svg|txt)$/;

// What the client accepts, best first: br, then gzip (a q=0 refuses).
export function pickEncoding(header = '') {
  const accepted = new Map(String(header).toLowerCase().split(',').map((part) => {
    const [name, ...params] = part.trim().split(';');
    const q = params.map((p) => /^\s*q=([\d.]+)/.exec(p)).find(Boolean);
    return [name.trim(), q ? Number(q[1]) : 1];
  }));
  for (const enc of ['br', 'gzip']) if ((accepted.get(enc) ?? accepted.get('*') ?? 0) > 0) return enc;
  return null;
}

// Each file's bytes, ETag and compressed variants, by path; re-read when size or mtime change.
const entries = new Map();

export function createStaticFiles({ cacheDir }) {
  mkdirSync(cacheDir, { recursive: true });

  async function variant(bytes, hash, enc) {
    const file = path.join(cacheDir, `${hash}.${enc}`);
    try {
      return await fsp.readFile(file);
    } catch {
      // not made yet
    }
    const out = enc === 'br'
      ? await br(bytes, { params: { [constants.BROTLI_PARAM_QUALITY]: 11, [constants.BROTLI_PARAM_SIZE_HINT]: bytes.length } })
      : await gz(bytes, { level: 9 });
    const tmp = `${file}.${process.pid}.tmp`;
    await fsp.writeFile(tmp, out);
    await fsp.rename(tmp, file);  // whole or not at all, also with another process writing it
    return out;
  }

  function entry(file, stat) {
    const known = entries.get(file);
    if (known && known.size === stat.size && known.mtimeMs === stat.mtimeMs) return known.ready;
    const ready = fsp.readFile(file).then((bytes) => {
      const hash = createHash('sha256').update(bytes).digest('hex');
      const compress = COMPRESSIBLE.test(file) && bytes.length > 256;
      const made = {};
      return {
        bytes,
        etag: `"${hash.slice(0, 32)}"`,
        // Compressed only when it saves something; made on first use and then kept.
        encoded: (enc) => {
          if (!compress) return Promise.resolve(null);
          made[enc] ||= variant(bytes, hash, enc).then((b) => (b.length < bytes.length * 0.95 ? b : null));
          return made[enc];
        },
      };
    });
    entries.set(file, { size: stat.size, mtimeMs: stat.mtimeMs, ready });
    ready.catch(() => entries.delete(file));
    return ready;
  }

  return {
    // Starts making the compressed variants now (the engine, the bundle), so the first
    // shopper does not wait for brotli.
    async prepare(files) {
      for (const file of files) {
        try {
          const e = await entry(file, await fsp.stat(file));
          await Promise.all([e.encoded('br'), e.encoded('gzip')]);
        } catch {
          // a missing file is answered 404 when asked for
        }
      }
    },

    // The first 16 hex digits of the file's SHA-256 (its content-hashed name), null if missing.
    async hash(file) {
      try {
        return (await entry(file, await fsp.stat(file))).etag.slice(1, 17);
      } catch {
        return null;
      }
    },

    // Answers req with `file` (stat: its fs.Stats); `headers`: added to the answer;
    // `immutable`: served under a content-hashed name (by default: when the file has one).
    async send(req, res, file, stat, { type, headers = {}, immutable = HASHED.test(file) }) {
      const e = await entry(file, stat);
      const enc = pickEncoding(req.headers['accept-encoding']);
      const body = (enc && (await e.encoded(enc))) || null;
      const etag = body ? `${e.etag.slice(0, -1)}-${enc}"` : e.etag;
      const common = {
        'Content-Type': type,
        'Cache-Control': immutable ? IMMUTABLE : 'no-cache',
        ETag: etag,
        Vary: 'Accept-Encoding',
        'X-Content-Type-Options': 'nosniff',
        ...headers,
      };
      const asked = String(req.headers['if-none-match'] || '').split(',').map((s) => s.trim().replace(/^W\//, ''));
      if (asked.includes(etag) || asked.includes('*')) {
        res.writeHead(304, common).end();
        return;
      }
      const out = body || e.bytes;
      res.writeHead(200, { ...common, ...(body ? { 'Content-Encoding': enc } : {}), 'Content-Length': out.length });
      res.end(req.method === 'HEAD' ? undefined : out);
    },
  };
}
