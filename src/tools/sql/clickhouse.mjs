// ClickHouse (Debian clickhouse-server 18.16) as a two-shard cluster on loopback: two servers
// from a temporary folder on free ports, a `remote_servers` cluster `emma` naming both, the
// orders in a MergeTree table on each shard behind a Distributed table sharded by
// cityHash64(customer). A customer's baskets all live on one shard, so the per-basket work
// (pairs, repurchase gaps) runs on each shard ("-- on each shard" statements of
// src/sql/*.clickhouse.sql) and the rest over Distributed tables, merged by the initiator.
// The servers are always stopped by close().
import { spawn } from 'node:child_process';
import { closeSync, createReadStream, mkdirSync, openSync, readFileSync, readSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { freePort } from './engines.mjs';

const SERVER = '/usr/sbin/clickhouse-server';

function config(dir, ports, shards) {
  const remote = shards.map((s) => `<shard><replica><host>127.0.0.1</host><port>${s.tcp}</port></replica></shard>`).join('');
  return `<?xml version="1.0"?>
<yandex>
  <logger><level>warning</level><log>${dir}/server.log</log><errorlog>${dir}/error.log</errorlog><console>0</console></logger>
  <listen_host>127.0.0.1</listen_host>
  <tcp_port>${ports.tcp}</tcp_port>
  <http_port>${ports.http}</http_port>
  <interserver_http_port>${ports.inter}</interserver_http_port>
  <path>${dir}/data/</path>
  <tmp_path>${dir}/tmp/</tmp_path>
  <users_config>${dir}/users.xml</users_config>
  <default_profile>default</default_profile>
  <default_database>default</default_database>
  <mark_cache_size>5368709</mark_cache_size>
  <max_concurrent_queries>20</max_concurrent_queries>
  <remote_servers><emma>${remote}</emma></remote_servers>
</yandex>
`;
}

const USERS = `<?xml version="1.0"?>
<yandex>
  <profiles><default><max_memory_usage>4000000000</max_memory_usage><max_bytes_before_external_group_by>1500000000</max_bytes_before_external_group_by><insert_distributed_sync>1</insert_distributed_sync></default></profiles>
  <users><default><password></password><networks><ip>127.0.0.1</ip></networks><profile>default</profile><quota>default</quota></default></users>
  <quotas><default></default></quotas>
</yandex>
`;

// Offsets that cut a CSV file into `parts` runs of whole records (a field may hold a quoted
// newline: a newline ends a record only after an even number of quotes since the file's start),
// and the header line.
export function csvParts(file, parts) {
  const size = statSync(file).size;
  const fd = openSync(file, 'r');
  const buf = Buffer.alloc(1 << 20);
  const headerEnd = buf.subarray(0, readSync(fd, buf, 0, buf.length, 0)).indexOf(10) + 1;
  const header = Buffer.from(buf.subarray(0, headerEnd));
  const cuts = [0];
  let pos = 0;
  let quotes = 0;
  for (let p = 1; p < parts; p++) {
    const target = Math.max(pos, Math.floor((size * p) / parts));
    let cut = size;
    while (pos < size) {
      const n = readSync(fd, buf, 0, Math.min(buf.length, size - pos), pos);
      const chunk = buf.subarray(0, n);
      // Before the target only the quotes matter; from it on, the first newline outside quotes.
      let i = 0;
      for (; pos + i < target && i < n; i++) {
        i = chunk.indexOf(34, i);
        if (i < 0 || pos + i >= target) {
          i = Math.min(n, target - pos);
          break;
        }
        quotes++;
      }
      for (; i < n; i++) {
        if (chunk[i] === 34) quotes++;
        else if (chunk[i] === 10 && quotes % 2 === 0) {
          cut = pos + i + 1;
          break;
        }
      }
      pos += i < n ? i + 1 : n;
      if (cut < size || i < n) break;
    }
    cuts.push(Math.max(cut, headerEnd));
  }
  closeSync(fd);
  cuts.push(size);
  return { header, cuts };
}

async function query(port, sql, body) {
  const url = `http://127.0.0.1:${port}/?query=${encodeURIComponent(sql)}`;
  const res = await fetch(url, body ? { method: 'POST', body, duplex: 'half' } : { method: 'POST' });
  const text = await res.text();
  if (!res.ok) throw new Error(`ClickHouse (port ${port}): ${text.trim().slice(0, 600)}\nin: ${sql.slice(0, 300)}`);
  return text;
}

export async function clickhouse(tmp) {
  const shards = [];
  for (let s = 0; s < 2; s++) shards.push({ tcp: await freePort(), http: await freePort(), inter: await freePort(), dir: path.join(tmp, `ch${s}`) });
  const children = [];
  const stop = () => {
    for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
  };
  process.once('exit', stop);
  try {
    for (const s of shards) {
      for (const d of ['data', 'tmp']) mkdirSync(path.join(s.dir, d), { recursive: true });
      writeFileSync(path.join(s.dir, 'users.xml'), USERS);
      writeFileSync(path.join(s.dir, 'config.xml'), config(s.dir, s, shards));
      const child = spawn(SERVER, [`--config-file=${path.join(s.dir, 'config.xml')}`], { cwd: s.dir, stdio: 'ignore' });
      children.push(child);
    }
    // Up in under a second on an idle machine; allow a loaded one 60 s.
    for (const s of shards) {
      const deadline = Date.now() + 60_000;
      for (;;) {
        try {
          await query(s.http, 'SELECT 1');
          break;
        } catch (e) {
          if (children.some((c) => c.exitCode !== null)) throw new Error(`clickhouse-server exited: ${readFileSync(path.join(s.dir, 'error.log'), 'utf8').slice(-800)}`);
          if (Date.now() > deadline) throw new Error(`clickhouse-server on port ${s.http} did not answer: ${e.message}`);
          await new Promise((r) => setTimeout(r, 100));
        }
      }
    }
  } catch (e) {
    stop();
    throw e;
  }
  const initiator = shards[0].http;
  // The shards work at the same time, as a real cluster's would (they took turns before).
  const onEach = async (sql) => {
    await Promise.all(shards.map((s) => query(s.http, sql)));
  };
  return {
    name: 'clickhouse (2 shards, Distributed)',
    dialect: 'clickhouse',
    async load(orders, catalogCsv) {
      if (orders.endsWith('.parquet')) throw new Error('ClickHouse 18.16 reads the orders as CSV (emma-model export-orders)');
      // In log order: 18.16 groups by hashing whatever the order (sorted by customer and basket,
      // the 10x load took 45% more CPU for nothing later).
      await onEach('CREATE TABLE orders_local (customer String, basket String, item String, at_ms Int64, quantity Float64, line UInt64) ENGINE = MergeTree ORDER BY line');
      await onEach('CREATE TABLE catalog (item String, idx UInt32) ENGINE = Log');
      // Loaded to be counted once: merging its parts in the background would only take CPU from
      // the load and the counting (100x: 24.3 s of CPU to load with merges, 20.4 s without).
      await onEach('SYSTEM STOP MERGES');
      await onEach('CREATE TABLE orders AS orders_local ENGINE = Distributed(emma, default, orders_local, cityHash64(customer))');
      // The catalog is small: a full copy on each shard, for the joins done there.
      for (const s of shards) await query(s.http, 'INSERT INTO catalog FORMAT CSVWithNames', readFileSync(catalogCsv));
      // The file in as many parts as there are servers, each part inserted through a different
      // server's Distributed table (which sends each row to its customer's shard): the servers
      // parse at the same time. Parts end at a record's end (a newline outside quotes).
      const { header, cuts } = csvParts(orders, shards.length);
      await Promise.all(shards.map((s, p) => {
        if (cuts[p + 1] <= cuts[p]) return null;
        const part = createReadStream(orders, { start: cuts[p], end: cuts[p + 1] - 1, highWaterMark: 1 << 20 });
        const body = p === 0 ? part : (async function* withHeader() {
          yield header;
          yield* part;
        })();
        return query(s.http, 'INSERT INTO orders FORMAT CSVWithNames', body);
      }));
    },
    async exec(sql) {
      if (sql.startsWith('ON EACH SHARD ')) await onEach(sql.slice('ON EACH SHARD '.length));
      else await query(initiator, sql);
    },
    async selectToCsv(sql, file) {
      writeFileSync(file, await query(initiator, `${sql} FORMAT CSVWithNames`));
    },
    // The servers' peak resident memory together (VmHWM), read before they stop.
    peakKb() {
      let kb = 0;
      for (const c of children) {
        try {
          kb += Number(/VmHWM:\s+(\d+)/.exec(readFileSync(`/proc/${c.pid}/status`, 'utf8'))[1]);
        } catch {
          // gone already
        }
      }
      return kb;
    },
    async close() {
      stop();
      process.removeListener('exit', stop);
      await Promise.all(children.map((c) => (c.exitCode === null ? new Promise((r) => c.once('exit', r)) : null)));
    },
  };
}
