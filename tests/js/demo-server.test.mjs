// `npm run demo` as a shopper's machine runs it: the demo server listens on loopback only
// unless HOST says otherwise, and says where it listens.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const serverScript = fileURLToPath(new URL('../../demo/server.mjs', import.meta.url));

// Starts the demo server as `npm run demo` does (PORT=0: a free port) and waits for its line.
async function startDemo(t, env = {}) {
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'emma-demo-data-'));
  const child = spawn(process.execPath, [serverScript], { env: { ...process.env, PORT: '0', EMMA_DATA_DIR: dataDir, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  t.after(async () => {
    child.kill();
    await rm(dataDir, { recursive: true, force: true });
  });
  const line = await new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`no start line within 20 s: ${out}`)), 20_000);
    child.stdout.on('data', (d) => {
      out += d;
      if (out.includes('\n')) {
        clearTimeout(timer);
        resolve(out.split('\n')[0]);
      }
    });
    child.on('exit', (code) => reject(new Error(`the demo server exited (${code}): ${out}`)));
  });
  const m = /listening on (\S+) port (\d+)/.exec(line);
  assert.ok(m, `the start line says where it listens: ${line}`);
  return { address: m[1], port: Number(m[2]) };
}

const connects = (host, port) => new Promise((resolve) => {
  const socket = net.connect({ host, port, timeout: 2000 });
  socket.on('connect', () => { socket.destroy(); resolve(true); });
  socket.on('error', () => resolve(false));
  socket.on('timeout', () => { socket.destroy(); resolve(false); });
});

// This machine's addresses other than loopback (a container may have none).
const externalAddresses = () => Object.values(os.networkInterfaces()).flat()
  .filter((a) => a && !a.internal && a.family === 'IPv4').map((a) => a.address);

test('the demo server listens on loopback only by default and says so', async (t) => {
  const { address, port } = await startDemo(t);
  assert.equal(address, '127.0.0.1');
  assert.equal(await connects('127.0.0.1', port), true);
  for (const other of externalAddresses()) assert.equal(await connects(other, port), false, `reachable on ${other}`);
});

test('HOST widens it on purpose', async (t) => {
  const external = externalAddresses();
  const { address, port } = await startDemo(t, { HOST: '0.0.0.0' });
  assert.equal(address, '0.0.0.0');
  assert.equal(await connects('127.0.0.1', port), true);
  if (external.length) assert.equal(await connects(external[0], port), true);
});
