// Turning a failed engine load into one clear error that names the URL and what came back.
import { EmmaError } from './errors.js';

const WASM_MAGIC = [0x00, 0x61, 0x73, 0x6d];

export function checkWasmBytes(bytes, where) {
  const ok = bytes.length >= 4 && WASM_MAGIC.every((b, i) => bytes[i] === b);
  if (!ok) {
    const head = new TextDecoder().decode(bytes.subarray(0, 40)).replace(/\s+/g, ' ');
    throw new EmmaError(
      'WASM_LOAD',
      `${where} is not WebAssembly (it starts with "${head}"; expected the bytes 00 61 73 6d). ` +
        'Check that the server serves the engine file at that URL.',
    );
  }
}

export function wasmLoadError(err, where) {
  if (err instanceof EmmaError) return err;
  return new EmmaError('WASM_LOAD', `could not load the engine from ${where}: ${err && err.message ? err.message : err}`, { cause: err });
}
