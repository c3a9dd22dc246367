// Setup waits for another package manager instead of failing (issue #14, item 8): while a
// process holds dpkg's frontend lock, as unattended upgrades do, src/build/apt-install.sh
// says it waits and succeeds once the lock is released. Needs root (apt's locks) and python3
// (to hold a POSIX lock as apt does: `flock` takes a different kind of lock).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const script = fileURLToPath(new URL('../../src/build/apt-install.sh', import.meta.url));
const canRun = process.getuid?.() === 0 && spawnSync('python3', ['-c', '0']).status === 0 &&
  spawnSync('dpkg-query', ['-W', 'cmake']).status === 0;

const HOLD = `
import fcntl, sys, time
f = open('/var/lib/dpkg/lock-frontend', 'a')
fcntl.lockf(f, fcntl.LOCK_EX)
print('held', flush=True)
time.sleep(float(sys.argv[1]))
`;

test('apt-install.sh waits for a held dpkg lock and then installs', { skip: !canRun && 'needs root, python3 and cmake installed' }, async () => {
  const holder = spawn('python3', ['-c', HOLD, '4'], { stdio: ['ignore', 'pipe', 'inherit'] });
  await new Promise((resolve) => holder.stdout.once('data', resolve));
  const started = Date.now();
  // cmake is installed already (setup needs it): --no-upgrade makes this a no-op install that
  // still has to take the lock.
  const run = spawn('bash', [script, 'cmake'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let err = '';
  run.stderr.on('data', (d) => { err += d; });
  const code = await new Promise((resolve) => run.on('exit', resolve));
  const held = await new Promise((resolve) => (holder.exitCode !== null ? resolve(holder.exitCode) : holder.on('exit', resolve)));
  assert.equal(held, 0);
  assert.equal(code, 0, err);
  assert.match(err, /another package manager is running/);
  assert.ok(Date.now() - started >= 2000, 'it waited for the lock');
});
