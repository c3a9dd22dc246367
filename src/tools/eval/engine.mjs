// The real wasm engine for offline tools (evaluation, benchmarks): one session, driven
// through the same Boundary class the npm package uses.
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { Boundary } from '../../../js-bindings/src/boundary.js';

const require = createRequire(import.meta.url);

export async function openEngine() {
  const wasmBinary = new Uint8Array(await readFile(new URL('../../../js-bindings/dist/emma.wasm', import.meta.url)));
  const factory = require('../../../js-bindings/dist/emma-node.cjs');
  const module = await factory({ wasmBinary, print: () => {}, printErr: () => {} });
  return new Boundary(module);
}
