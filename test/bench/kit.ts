// What the benchmark scripts that drive the product's sync share: progress lines and cleanup, checks
// and targets, a throwaway database whose statements are timed, and CPU time read from /proc.
import { readFileSync, readdirSync } from 'node:fs';
import type pg from 'pg';
import { createPool, createThrowawayDatabase } from '../../activities/db/postgres';
import { migrate } from '../../activities/db/migrate';

/** Per section: checks that failed (exit code 1) and targets missed (reported only). */
export interface Findings {
  problems: string[];
  missed: string[];
}
export const findings = (): Findings => ({ problems: [], missed: [] });

export interface BenchKit {
  /** When the script started (performance.now()). */
  start: number;
  progress(message: string): void;
  /** Registers `fn` to run at the end (last registered, first run) and returns a runner that can be called earlier, once. */
  onCleanup(name: string, fn: () => Promise<void>): () => Promise<void>;
  cleanupAll(): Promise<void>;
  /** A check that must hold: a failed one is a problem (exit code 1). */
  check(f: Findings, ok: boolean, message: string): boolean;
  /** A target: missed ones are reported only. */
  target(f: Findings, ok: boolean, message: string): void;
}

/** Progress on stderr as `[bench:<name> +  12.3 s] …`, and the cleanups of one script. */
export function benchKit(name: string): BenchKit {
  const start = performance.now();
  const progress = (message: string): void => {
    process.stderr.write(`[bench:${name} +${((performance.now() - start) / 1000).toFixed(1).padStart(6)} s] ${message}\n`);
  };
  const cleanups: { name: string; run: () => Promise<void> }[] = [];
  return {
    start,
    progress,
    onCleanup(what, fn) {
      let done = false;
      const run = async (): Promise<void> => {
        if (done) return;
        done = true;
        await fn();
      };
      cleanups.push({ name: what, run });
      return run;
    },
    async cleanupAll() {
      while (cleanups.length) {
        const c = cleanups.pop()!;
        try {
          await c.run();
        } catch (err) {
          progress(`cleanup of ${c.name} failed: ${err instanceof Error ? err.message : String(err)}`);
        }
      }
    },
    check(f, ok, message) {
      if (!ok) {
        f.problems.push(message);
        progress(`PROBLEM: ${message}`);
      }
      return ok;
    },
    target(f, ok, message) {
      if (!ok) {
        f.missed.push(message);
        progress(`target missed: ${message}`);
      }
    },
  };
}

// ---- a throwaway database, its statements timed

export interface Db {
  url: string;
  name: string;
  pool: pg.Pool;
  drop: () => Promise<void>;
}

/** Round trips of every statement the sync's pool sent, and the time from BEGIN to COMMIT of its transactions. */
export interface DbClock {
  queries: number;
  queryMs: number;
  transactions: number;
  transactionMs: number;
}
export const dbClock = (): DbClock => ({ queries: 0, queryMs: 0, transactions: 0, transactionMs: 0 });
export const dbDelta = (a: DbClock, b: DbClock): DbClock => ({
  queries: b.queries - a.queries, queryMs: b.queryMs - a.queryMs, transactions: b.transactions - a.transactions, transactionMs: b.transactionMs - a.transactionMs,
});

/**
 * Times every statement on each client of the pool (pool.query goes through a client too): the client's
 * round trip to a server on the same host, as the warehouse benchmark counts database time.
 */
function timePool(pool: pg.Pool, clock: DbClock): void {
  pool.on('connect', (client) => {
    type Query = (...args: unknown[]) => unknown;
    const original = (client.query as Query).bind(client);
    let begun: number | null = null;
    (client as unknown as { query: Query }).query = (...args: unknown[]) => {
      const t0 = performance.now();
      const first = args[0];
      const text = typeof first === 'string' ? first : first && typeof first === 'object' ? (first as { text?: unknown }).text : undefined;
      if (text === 'BEGIN') begun = t0;
      const done = (): void => {
        const t1 = performance.now();
        clock.queries++;
        clock.queryMs += t1 - t0;
        if ((text === 'COMMIT' || text === 'ROLLBACK') && begun !== null) {
          clock.transactions++;
          clock.transactionMs += t1 - begun;
          begun = null;
        }
      };
      const last = args[args.length - 1];
      if (typeof last === 'function') {
        args[args.length - 1] = (...r: unknown[]) => {
          done();
          return (last as Query)(...r);
        };
        return original(...args);
      }
      const r = original(...args);
      if (r instanceof Promise) r.then(done, done);
      return r;
    };
  });
}

/** A new migrated database for one rig, its pool's statements counted on `clock`; dropped at cleanup. */
export async function freshDatabase(kit: BenchKit, o: { baseUrl: string; bench: string; label: string; clock: DbClock }): Promise<Db> {
  const db = await createThrowawayDatabase(o.baseUrl, 'stageline_bench');
  const dropDb = kit.onCleanup(`database ${db.name}`, () => db.drop());
  await migrate(db.url);
  const pool = createPool(db.url, { max: 8, applicationName: `stageline-bench-${o.bench}-${o.label}`, log: kit.progress });
  timePool(pool, o.clock);
  const end = kit.onCleanup(`pool of ${db.name}`, () => pool.end());
  kit.progress(`database ${db.name} (${o.label}) created and migrated`);
  return {
    url: db.url, name: db.name, pool,
    drop: async () => {
      await end();
      await dropDb();
    },
  };
}

// ---- CPU time of the processes involved (Linux /proc; NaN where it cannot be read)

const CLK_TCK = 100;

function procCpuMs(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after "(comm) ": state is field 3, utime 14, stime 15.
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(f[11]) + Number(f[12])) * 1000) / CLK_TCK;
  } catch {
    return Number.NaN;
  }
}

/** The `temporal` process of our dev server (its command line names our data folder). */
export function findTemporalPid(dataDir: string): number | null {
  try {
    for (const name of readdirSync('/proc')) {
      if (!/^\d+$/.test(name)) continue;
      try {
        if (readFileSync(`/proc/${name}/comm`, 'utf8').trim() !== 'temporal') continue;
        if (readFileSync(`/proc/${name}/cmdline`, 'utf8').includes(dataDir)) return Number(name);
      } catch {
        // gone meanwhile
      }
    }
  } catch {
    // no /proc
  }
  return null;
}

export interface CpuSnapshot {
  node: number;
  pg: Map<number, number>;
  temporal: number;
}

/** This process, the database's backends, and the Temporal server when its pid is known. */
export async function cpuSnapshot(pool: pg.Pool, database: string, temporalPid: number | null = null): Promise<CpuSnapshot> {
  const u = process.cpuUsage();
  const pgs = new Map<number, number>();
  const { rows } = await pool.query<{ pid: number }>('SELECT pid FROM pg_stat_activity WHERE datname = $1', [database]);
  for (const r of rows) pgs.set(r.pid, procCpuMs(r.pid));
  return { node: (u.user + u.system) / 1000, pg: pgs, temporal: temporalPid === null ? Number.NaN : procCpuMs(temporalPid) };
}

export function cpuDelta(a: CpuSnapshot, b: CpuSnapshot): { nodeMs: number; pgMs: number; temporalMs: number } {
  let pgMs = 0;
  for (const [pid, ms] of b.pg) pgMs += ms - (a.pg.get(pid) ?? 0);
  return { nodeMs: b.node - a.node, pgMs, temporalMs: b.temporal - a.temporal };
}
