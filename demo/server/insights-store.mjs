// The collector's own SQLite file (apart from the sync store: one purpose, one file). One
// append-only table of reports; the only read is a sum. What it never holds: an IP address,
// a time finer than the report's day, the order in which reports arrived.
import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import path from 'node:path';

const SCHEMA = `
CREATE TABLE IF NOT EXISTS domains (
  id TEXT PRIMARY KEY,
  labels TEXT NOT NULL              -- JSON {categories, segments}: what a report's bits mean
) STRICT;
-- WITHOUT ROWID, keyed by the random nonce: rows are kept in nonce order, so the table does
-- not record which reports arrived together or one after another.
CREATE TABLE IF NOT EXISTS reports (
  nonce TEXT PRIMARY KEY,           -- 128 random bits, fresh per report: refuses replays
  domain TEXT NOT NULL REFERENCES domains(id),
  day TEXT NOT NULL,                -- YYYY-MM-DD, the only time there is
  epsilon REAL NOT NULL,
  categories TEXT NOT NULL,         -- OUE bits, one character per category
  segment INTEGER NOT NULL,
  segment_bit INTEGER NOT NULL
  -- + the experiment columns (EXPERIMENT_COLUMNS), added to older files by ALTER TABLE
) STRICT, WITHOUT ROWID;
CREATE TRIGGER IF NOT EXISTS reports_append_only_update BEFORE UPDATE ON reports
  BEGIN SELECT RAISE(ABORT, 'reports are append-only'); END;
CREATE TRIGGER IF NOT EXISTS reports_append_only_delete BEFORE DELETE ON reports
  BEGIN SELECT RAISE(ABORT, 'reports are append-only'); END;
`;

// An A/B experiment's part of a report (docs/insights.md "Experiments"); NULL in reports
// without one. The arm is in clear (drawn at random); opened and bought are noised bits.
const EXPERIMENT_COLUMNS = [['experiment', 'TEXT'], ['arm', 'TEXT'], ['outcome_epsilon', 'REAL'], ['opened', 'INTEGER'], ['bought', 'INTEGER']];

export class InsightsStore {
  #db;
  #insert;

  constructor(file) {
    mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
    this.#db = new Database(file);
    this.#db.pragma('journal_mode = WAL');
    this.#db.pragma('foreign_keys = ON');
    this.#db.exec(SCHEMA);
    const have = new Set(this.#db.prepare('SELECT name FROM pragma_table_info(\'reports\')').pluck().all());
    for (const [name, type] of EXPERIMENT_COLUMNS) if (!have.has(name)) this.#db.exec(`ALTER TABLE reports ADD COLUMN ${name} ${type}`);
    this.#insert = this.#db.prepare(
      'INSERT INTO reports (nonce, domain, day, epsilon, categories, segment, segment_bit, experiment, arm, outcome_epsilon, opened, bought) ' +
      'VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)');
  }

  addDomain(domain) {
    this.#db.prepare('INSERT OR IGNORE INTO domains (id, labels) VALUES (?, ?)')
      .run(domain.id, JSON.stringify({ categories: domain.categories, segments: domain.segments }));
  }

  // Nonces already stored (or repeated within `reports`): those reports are replays.
  replayed(reports) {
    const get = this.#db.prepare('SELECT 1 FROM reports WHERE nonce = ?').pluck();
    const seen = new Set();
    const out = [];
    for (const r of reports) {
      if (seen.has(r.nonce) || get.get(r.nonce)) out.push(r.nonce);
      seen.add(r.nonce);
    }
    return out;
  }

  // All or nothing: a batch is one transaction. A replay slipping in between the check and
  // this write still fails the UNIQUE key, and the whole batch with it.
  append(reports) {
    this.#db.transaction(() => {
      for (const r of reports) {
        this.#insert.run(r.nonce, r.domain, r.day, r.epsilon, r.categories, r.segment, r.segment_bit,
          r.experiment ?? null, r.arm ?? null, r.outcome_epsilon ?? null, r.opened ?? null, r.bought ?? null);
      }
    })();
  }

  // Sums per ε for one domain and a range of days: the collector's only read (with
  // outcomeSums). Reports with an experiment spent outcome_epsilon of their ε on the outcome
  // bits: their audience bits were noised at ε − outcome_epsilon, so they are summed apart.
  sums(domain, { from = '0000-00-00', to = '9999-99-99' } = {}) {
    const d = domain.categories.length;
    const m = domain.segments.length;
    // Column lists are built from the domain's sizes (integers), never from input text.
    const cols = [];
    for (let i = 1; i <= d; i++) cols.push(`SUM(substr(categories, ${i}, 1) = '1') AS c${i - 1}`);
    for (let j = 0; j < m; j++) cols.push(`SUM(segment = ${j}) AS n${j}`, `SUM(segment = ${j} AND segment_bit = 1) AS y${j}`);
    const rows = this.#db.prepare(
      `SELECT epsilon, COALESCE(outcome_epsilon, 0) AS oe, COUNT(*) AS n, ${cols.join(', ')} FROM reports ` +
      'WHERE domain = ? AND day BETWEEN ? AND ? GROUP BY epsilon, oe',
    ).all(domain.id, from, to);
    return rows.map((r) => ({
      epsilon: r.epsilon,
      audienceEpsilon: r.epsilon - r.oe,
      n: r.n,
      ones: Array.from({ length: d }, (_, i) => r[`c${i}`]),
      segN: Array.from({ length: m }, (_, j) => r[`n${j}`]),
      segOnes: Array.from({ length: m }, (_, j) => r[`y${j}`]),
    }));
  }

  // Per experiment, arm and outcome ε: the number of reports and of 1s of each outcome bit.
  outcomeSums(domainId, { from = '0000-00-00', to = '9999-99-99' } = {}) {
    return this.#db.prepare(
      'SELECT experiment, arm, outcome_epsilon AS epsilon, COUNT(*) AS n, SUM(opened) AS opened, SUM(bought) AS bought FROM reports ' +
      'WHERE domain = ? AND experiment IS NOT NULL AND day BETWEEN ? AND ? GROUP BY experiment, arm, outcome_epsilon ORDER BY experiment, arm',
    ).all(domainId, from, to);
  }

  days(domainId) {
    return this.#db.prepare('SELECT day, COUNT(*) AS n FROM reports WHERE domain = ? GROUP BY day ORDER BY day').all(domainId);
  }

  close() {
    this.#db.close();
  }
}
