// The API fuzz inside a page: bundled with fast-check by tests/e2e/api-fuzz.test.mjs and
// run against the npm package's browser entry (the same arbitraries and properties as the
// Node fuzz). Storage: IndexedDB (reopened afterwards under the same shop) or memory.
import fc from 'fast-check';
import { callArbitrary, validCalls } from './hostile.mjs';
import { closedRun, fuzzRun } from './check.mjs';

const GRANT = { version: '1', text: 'Personalise.', source: 'banner' };

export async function runBrowserFuzz({ createEmma, EmmaError, codes, seed, numRuns, report, bundle }) {
  codes = new Set(codes);
  let shopNo = 0;
  const instance = async (shop, storage) => {
    const heard = { error: [], storage: [] };
    const emma = await createEmma({ bundle, shop, storage, on: { error: (e) => heard.error.push(e), storage: (d) => heard.storage.push(d) } });
    return { emma, heard };
  };
  // The world the valid calls refer to: the bundle's own items, and a backup to restore.
  const probe = (await instance('fuzz-probe', 'memory')).emma;
  const top = (await probe.recommend({ scenario: 'trending', limit: 3 })).items;
  await probe.consent.grant('personalization', GRANT);
  await probe.track({ type: 'view', item: top[0].id });
  const passphrase = 'a long passphrase';
  const backup = { bytes: await probe.profile.backup({ passphrase, kdf: { opslimit: 2, memlimit_kib: 19456 } }), passphrase };
  await probe.close();
  let clock = Date.now();
  const world = { items: top.map((i) => i.id), categories: [top[0].category[0], top[1].category.join('/')], query: 'bag', backup, sync: null, now: () => clock++ };

  const found = new Map();
  const judgeRun = (problem) => {
    if (!problem) return true;
    if (!report) throw new Error(`${problem.method} (step ${problem.step}): ${problem.problem}`);
    let printed;
    try { printed = fc.stringify(problem.args); } catch (err) { printed = `[unprintable: ${err.message}]`; }
    const kept = found.get(problem.signature);
    if (!kept || printed.length < kept.printed.length) found.set(problem.signature, { signature: problem.signature, printed: printed.slice(0, 300), count: (kept?.count ?? 0) + 1 });
    else kept.count++;
    return true;
  };

  const runs = fc.record({
    grantFirst: fc.boolean(),
    storage: fc.constantFrom('indexeddb', 'memory'),
    calls: fc.array(callArbitrary(world), { minLength: 1, maxLength: 4 }),
  });
  const fuzz = await fc.check(fc.asyncProperty(runs, async (run) => {
    const shop = `fuzz-${++shopNo}`;
    return judgeRun(await fuzzRun({
      open: () => instance(shop, run.storage),
      reopen: run.storage === 'indexeddb' ? () => instance(shop, run.storage) : null,
      run, world, codes, EmmaError,
    }));
  }), { seed, numRuns, endOnFailure: !report });

  const methods = Object.keys(validCalls(world)).filter((m) => m !== 'on');
  const afterClose = await fc.check(fc.asyncProperty(
    fc.constantFrom(...methods).map((method) => ({ method, args: validCalls(world)[method][0]() })),
    async (call) => judgeRun(await closedRun({ open: () => instance(`fuzz-closed-${++shopNo}`, 'memory'), call, codes, EmmaError })),
  ), { seed, numRuns: methods.length * 2, endOnFailure: !report });

  const message = (d) => (d.failed ? `${d.errorInstance?.message ?? ''}\n${fc.defaultReportMessage(d)}` : null);
  return { fuzz: message(fuzz), afterClose: message(afterClose), found: [...found.values()].sort((a, b) => a.signature.localeCompare(b.signature)) };
}
