// Benchmarks of the monday.com sync against the limits of engineering-facts §7.2 (a plain tsx script,
// not a vitest test: timings never decide a test's outcome). The monday counterpart of asana.bench.ts.
//
//   npm run bench:monday                          # full, incremental, budget; report on stdout (≈ 8 min on 2 cores)
//   npm run bench:monday -- --write               # … and docs/BENCHMARKS-monday.md (+ its section in docs/BENCHMARKS.md)
//   npm run bench:monday -- --only oneboard --write   # sections: full, incremental, oneboard (only when asked), budget
//   npm run bench:monday -- --items 2000 --boards 4
//
// It starts everything it needs and stops it again, also on failure or Ctrl-C: throwaway databases on
// the local PostgreSQL (migrated with migrate()), a Temporal dev server with its data under
// .stageline/bench-temporal/<pid>/, monday simulators serving a generated account of the bench shape
// (`generateMonday(agency, { shape: { updatesPerItem, filesPerItem } })`: every item with exactly that
// many updates and uploaded files), and an in-process worker per simulator on its own task queue. The
// sync is the product's: `startSync` → the `connectionSync` workflow → the monday activities.
//
// Between the connection and each simulator sits a metering proxy (this file): it forwards every
// request unchanged and records, per answer, when it came back, the operation's name and the answer's
// `complexity { before after query }`, which is where the complexity figures and the per-minute peaks
// come from (the simulator's own `complexityCharged` and the run's `complexity.points` are checked
// against it).
//
// Progress goes to stderr, the Markdown report of the sections run to stdout. Checks that fail (counts
// that disagree, records that did not land, a sync stopped by the daily cap) are listed under "Problems"
// and make the exit code 1; targets (≤ 1 call per board with nothing changed, no budget errors) are
// reported only.
//
// docs/BENCHMARKS.md belongs to asana.bench.ts; --write here writes docs/BENCHMARKS-monday.md and
// replaces (or appends) the "monday.com" section of docs/BENCHMARKS.md with this run's headline. The
// measured figures are kept in a comment at the end of BENCHMARKS-monday.md, so a later
// `--only x --write` replaces section x and keeps the others.
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { Kind, parse, type FragmentDefinitionNode, type OperationDefinitionNode } from 'graphql';
import type { Client } from '@temporalio/client';
import type { NativeConnection, Worker } from '@temporalio/worker';
import type { SyncTotals } from '../../activities';
import type { ActivityDeps } from '../../activities/context';
import { defaultDatabaseUrl, ensurePostgres, redactUrl } from '../../activities/db/postgres';
import { generateAgency } from '../../connectors/asana/simulator';
import { LimiterRegistry } from '../../connectors/limiter';
import { ITEMS_PAGE } from '../../connectors/monday/documents';
import { ACTIVITY_LOG_PAGE, DAILY_CALLS, FIRST_PAGE_LIMIT, manifest, UPDATES_PER_ITEM, USERS_PAGE } from '../../connectors/monday/manifest';
import {
  COLUMN_IDS, createMondaySimulator, generateMonday, mondaySchema, queryCost, SIM_DEFAULT_TOKEN, type CallStats, type GeneratedMonday, type LimitsConfig, type MondaySimulator,
} from '../../connectors/monday/simulator';
import { parseConfig, type MondayConnectionConfig, type StagelineConfig } from '../../mapping/config';
import { createWorker } from '../../worker';
import { connectClient, startSync, waitForSync } from '../../worker/orchestration';
import { findOrBuildTemporal, startTemporalDevServer, type TemporalDevServer } from '../../worker/temporal-dev-server';
import { benchKit, cpuDelta, cpuSnapshot, dbClock, dbDelta, findings, findTemporalPid, freshDatabase, type Db, type DbClock, type Findings } from './kit';
import { machineFacts, type Machine, intOption, onlySections } from './machine';

// ------------------------------------------------------------------------------------------ options

const SECTIONS = ['full', 'incremental', 'oneboard', 'budget'] as const;
type Section = (typeof SECTIONS)[number];
/** One board of all the items doubles the run's time, so it runs when asked for. */
const DEFAULT_SECTIONS: readonly Section[] = ['full', 'incremental', 'budget'];

const USAGE = `Usage: tsx test/bench/monday.bench.ts [--items N] [--boards B] [--updates U] [--files F] [--seed S]
                 [--daily-cap C] [--only a,b] [--write] [--budget-items N] [--budget-boards B] [--budget-points P] [--budget-rate R]
  --items N          items of the reference account (default 10000)
  --boards B         boards they are spread over, evenly (default 20: 500 a board)
  --updates U        updates on every item (default 5)
  --files F          uploaded files on every item (default 1)
  --seed S           generator seed (default 42)
  --daily-cap C      the simulator's daily call cap for the full syncs, the connection on a plan with the same
                     cap (default 1000: Basic or Standard)
  --only a,b         sections to run: ${SECTIONS.join(', ')} (default ${DEFAULT_SECTIONS.join(', ')});
                     incremental runs a full sync first; oneboard is all the items on one board
  --write            also write docs/BENCHMARKS-monday.md and the monday.com section of docs/BENCHMARKS.md
  --budget-items N   items of the budget-limited run (default 2000)
  --budget-boards B  boards of the budget-limited run (default 4)
  --budget-points P  complexity points per minute of the budget-limited run, simulator and connection alike
                     (default 10000000: a personal token)
  --budget-rate R    requests per minute of the budget-limited run, simulator and connection alike (default 250)`;

interface Options {
  items: number;
  boards: number;
  updates: number;
  files: number;
  seed: number;
  dailyCap: number;
  only: Set<Section>;
  write: boolean;
  budgetItems: number;
  budgetBoards: number;
  budgetPoints: number;
  budgetRate: number;
}

function parseOptions(argv: string[]): Options {
  const { values } = parseArgs({
    args: argv,
    options: {
      items: { type: 'string' },
      boards: { type: 'string' },
      updates: { type: 'string' },
      files: { type: 'string' },
      seed: { type: 'string' },
      'daily-cap': { type: 'string' },
      only: { type: 'string' },
      write: { type: 'boolean' },
      'budget-items': { type: 'string' },
      'budget-boards': { type: 'string' },
      'budget-points': { type: 'string' },
      'budget-rate': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
  });
  if (values.help) {
    console.log(USAGE);
    process.exit(0);
  }
  const int = intOption(USAGE);
  const o: Options = {
    items: int('items', values.items, 10_000, 50),
    boards: int('boards', values.boards, 20, 1),
    updates: int('updates', values.updates, 5, 0),
    files: int('files', values.files, 1, 0),
    seed: int('seed', values.seed, 42, 0),
    dailyCap: int('daily-cap', values['daily-cap'], DAILY_CALLS.standard, 1),
    only: values.only === undefined ? new Set(DEFAULT_SECTIONS) : onlySections(values.only, SECTIONS),
    write: values.write ?? false,
    budgetItems: int('budget-items', values['budget-items'], 2_000, 50),
    budgetBoards: int('budget-boards', values['budget-boards'], 4, 1),
    budgetPoints: int('budget-points', values['budget-points'], 10_000_000, 1_000_000),
    budgetRate: int('budget-rate', values['budget-rate'], manifest.rateLimit.perMinute, 1),
  };
  for (const [name, items, boards] of [['items', o.items, o.boards], ['budget-items', o.budgetItems, o.budgetBoards]] as const) {
    if (items % boards !== 0) throw new Error(`--${name}: ${items} items do not spread evenly over ${boards} boards\n${USAGE}`);
    if (items > 100_000) throw new Error(`--${name}: at most 100,000 (the agency generator's range), got ${items}\n${USAGE}`);
  }
  if (o.updates > 1_000 || o.files > 1_000) throw new Error(`--updates and --files: at most 1,000 each\n${USAGE}`);
  return o;
}

// --------------------------------------------------------------------------- logging and cleanup

const repoRoot = fileURLToPath(new URL('../..', import.meta.url));
const kit = benchKit('monday');
const { progress, onCleanup, cleanupAll, check, target } = kit;
const benchStart = kit.start;

// ------------------------------------------------------------------------------------ formatting

const nf = new Intl.NumberFormat('en-US');
const fmt = (n: number): string => nf.format(Math.round(n));
const fmt1 = (n: number): string => n.toLocaleString('en-US', { minimumFractionDigits: 1, maximumFractionDigits: 1 });
const fmt2 = (n: number): string => n.toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 });
const fmt3 = (n: number): string => n.toLocaleString('en-US', { minimumFractionDigits: 3, maximumFractionDigits: 3 });
const secs = (ms: number): string => `${fmt1(ms / 1000)} s`;
const minsec = (ms: number): string => {
  const s = ms / 1000;
  return s < 90 ? `${fmt1(s)} s` : `${Math.floor(s / 60)} min ${fmt(s % 60)} s`;
};
const mpts = (n: number): string => `${fmt1(n / 1e6)} M`;
const callsOf = (n: number): string => `${fmt(n)} call${n === 1 ? '' : 's'}`;
const pct = (a: number, b: number): string => (b > 0 ? `${fmt((a / b) * 100)} %` : '—');
const sum = (xs: Iterable<number>): number => {
  let n = 0;
  for (const x of xs) n += x;
  return n;
};

function table(header: string[], rows: (string | number)[][]): string {
  const line = (cells: (string | number)[]) => `| ${cells.map((c) => String(c).replace(/\|/g, '\\|')).join(' | ')} |`;
  return [line(header), `|${header.map(() => '---').join('|')}|`, ...rows.map(line)].join('\n');
}

// ------------------------------------------------------------------------------- dataset figures

/** What the generated account holds, counted before the simulator serves (and mutates) it. */
interface DatasetStats {
  label: string;
  seed: number;
  items: number;
  boards: number;
  itemsPerBoard: number[];
  updatesPerItem: number;
  filesPerItem: number;
  updates: number;
  replies: number;
  files: number;
  subitems: number;
  decisions: number;
  transitions: number;
  people: number;
  /** Activity-log entries on the item boards, and on the subitems boards' decision column. */
  logEntries: number;
  decisionLogEntries: number;
  /** The fewest calls, engineering-facts §7.2: items (with updates and assets nested) in pages of 500. */
  rMin: number;
  /** The same floor for everything Stageline reads: + the plan's boards call, the logs in pages, the users. */
  rMinStageline: { boards: number; items: number; logs: number; decisionLogs: number; users: number; total: number };
  /** The Airbyte source-monday pattern of §7.2 for this account. */
  airbyte: { items: number; updates: number; boards: number; total: number };
  /** Boards of the account, subitems boards included (what a boards stream lists). */
  allBoards: number;
}

function datasetStats(label: string, m: GeneratedMonday, o: { seed: number; updates: number; files: number }): DatasetStats {
  const itemBoards = m.dataset.boards.filter((b) => b.type === 'board');
  const live = itemBoards.map((b) => b.items.filter((it) => it.state === 'active'));
  const items = live.flat();
  const truth = [...m.truth.items.values()].filter((t) => t.state === 'active');
  const per = (n: number, size: number): number => Math.ceil(n / size);
  const logs = itemBoards.map((b) => b.activity.length);
  const decisionLogs = itemBoards.map((b) => (b.subitemsBoard?.activity ?? []).filter((e) => e.columnId === COLUMN_IDS.decision).length);
  const people = new Set(m.dataset.users.map((u) => u.id)).size;
  const rMin = sum(live.map((l) => Math.max(1, per(l.length, manifest.pageSize.max))));
  const rs = {
    boards: 1,
    items: rMin,
    logs: sum(logs.map((n) => Math.max(1, per(n, ACTIVITY_LOG_PAGE)))),
    decisionLogs: sum(decisionLogs.map((n) => Math.max(1, per(n, ACTIVITY_LOG_PAGE)))),
    users: Math.max(1, per(people, USERS_PAGE)),
    total: 0,
  };
  rs.total = rs.boards + rs.items + rs.logs + rs.decisionLogs + rs.users;
  const updates = sum(items.map((it) => it.updates.length));
  // §7.2: one board per page, items_page(limit: 20) with nested updates { id } and assets; an updates
  // stream at 100 a page; boards at 10 a page (the subitems boards are boards too).
  const airbyte = { items: sum(live.map((l) => Math.max(1, per(l.length, 20)))), updates: Math.max(1, per(updates, 100)), boards: Math.max(1, per(m.dataset.boards.length, 10)), total: 0 };
  airbyte.total = airbyte.items + airbyte.updates + airbyte.boards;
  return {
    label,
    seed: o.seed,
    items: items.length,
    boards: itemBoards.length,
    itemsPerBoard: live.map((l) => l.length),
    updatesPerItem: o.updates,
    filesPerItem: o.files,
    updates,
    replies: sum(items.map((it) => sum(it.updates.map((u) => u.replies.length)))),
    files: sum(items.map((it) => {
      const c = it.values.get(COLUMN_IDS.files);
      return c && c.t === 'file' ? c.files.length : 0;
    })),
    subitems: sum(items.map((it) => it.subitems.length)),
    decisions: sum(truth.map((t) => t.decisions.length)),
    transitions: sum(truth.map((t) => t.transitions.length)),
    people,
    logEntries: sum(logs),
    decisionLogEntries: sum(decisionLogs),
    rMin,
    rMinStageline: rs,
    airbyte,
    allBoards: m.dataset.boards.length,
  };
}

// ------------------------------------------------------------------------------- the metering proxy

/** One answer as the proxy saw it: when (ms since the bench started), which operation, what the budget said. */
interface Sample {
  t: number;
  /** From the request's end to the answer's end, through the proxy. */
  ms: number;
  op: string;
  /** The request's `limit` variable (items pages are priced by it), or null. */
  limit: number | null;
  /** An activity-log page that came back empty. */
  emptyLog: boolean;
  status: number;
  before: number | null;
  after: number | null;
  query: number | null;
}

interface Meter {
  endpoint: string;
  samples: Sample[];
  stop(): Promise<void>;
}

const COMPLEXITY_KEY = '"complexity":{';

/** The `complexity` object of an answer (the documents ask for it first, so it is near the start), or null. */
function complexityOf(body: string): { before: number; after: number; query: number } | null {
  const at = body.indexOf(COMPLEXITY_KEY);
  if (at < 0) return null;
  const end = body.indexOf('}', at);
  try {
    const c = JSON.parse(body.slice(at + COMPLEXITY_KEY.length - 1, end + 1)) as { before?: unknown; after?: unknown; query?: unknown };
    return typeof c.before === 'number' && typeof c.after === 'number' && typeof c.query === 'number' ? { before: c.before, after: c.after, query: c.query } : null;
  } catch {
    return null;
  }
}

function operationOf(body: string): { op: string; limit: number | null } {
  try {
    const b = JSON.parse(body) as { query?: unknown; operationName?: unknown; variables?: { limit?: unknown } };
    const limit = typeof b.variables?.limit === 'number' ? b.variables.limit : null;
    if (typeof b.operationName === 'string') return { op: b.operationName, limit };
    const m = typeof b.query === 'string' ? /\b(?:query|mutation)\s+([A-Za-z_]\w*)/.exec(b.query) : null;
    return { op: m?.[1] ?? '(anonymous)', limit };
  } catch {
    return { op: '(unreadable)', limit: null };
  }
}

/** A loopback proxy in front of a simulator's `/v2`: forwards every request as it is, and records each answer. */
async function startMeter(upstream: string, label: string): Promise<Meter> {
  const target = new URL(upstream);
  const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });
  const samples: Sample[] = [];
  const server = http.createServer({ keepAliveTimeout: 30_000 }, (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const t0 = performance.now();
      const body = Buffer.concat(chunks);
      const headers = { ...req.headers, host: target.host };
      const up = http.request({ host: target.hostname, port: target.port, path: req.url, method: req.method, headers, agent }, (answer) => {
        const out: Buffer[] = [];
        answer.on('data', (c: Buffer) => out.push(c));
        answer.on('end', () => {
          const text = Buffer.concat(out);
          res.writeHead(answer.statusCode ?? 502, answer.headers);
          res.end(text);
          const json = text.toString('utf8');
          const c = complexityOf(json);
          const t1 = performance.now();
          samples.push({ t: t1 - benchStart, ms: t1 - t0, ...operationOf(body.toString('utf8')), status: answer.statusCode ?? 0, emptyLog: json.includes('"activity_logs":[]'), before: c?.before ?? null, after: c?.after ?? null, query: c?.query ?? null });
        });
        answer.on('error', () => res.destroy());
      });
      up.on('error', (err) => {
        progress(`${label} meter: upstream failed: ${err.message}`);
        res.destroy();
      });
      up.end(body);
    });
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', () => done()));
  const port = (server.address() as AddressInfo).port;
  return {
    endpoint: `http://127.0.0.1:${port}${target.pathname}`,
    samples,
    async stop() {
      await new Promise<void>((done) => {
        server.close(() => done());
        server.closeAllConnections();
      });
      agent.destroy();
    },
  };
}

/** The largest sum of `value` over the answers of any 60-second stretch. */
function peakPerMinute(samples: Sample[], value: (s: Sample) => number): number {
  const s = [...samples].sort((a, b) => a.t - b.t);
  let best = 0;
  let window = 0;
  let j = 0;
  for (let i = 0; i < s.length; i++) {
    window += value(s[i]!);
    while (s[i]!.t - s[j]!.t >= 60_000) window -= value(s[j++]!);
    if (window > best) best = window;
  }
  return best;
}

// ------------------------------------------------------------------------ the database and its clock

/** The Temporal dev server's process, once started (its CPU time is counted per sync). */
let temporalPid: number | null = null;

// ------------------------------------------------------------------------------------------ the rig

function configFor(o: { connectionId: string; endpoint: string; monday: GeneratedMonday; boardIds: string[]; plan: string; dailyCap: number | null; rate: number; complexityPerMinute: number | null }): StagelineConfig {
  const map = Object.entries(o.monday.truth.defaultStageMap).map(([k, v]) => `"${k}": ${v}`).join(', ');
  const stage = o.boardIds
    .map((id) => {
      const b = o.monday.truth.boards.get(id)!;
      return b.stageSource === 'status' ? `      "${id}": { from: status_column, column: Stage, map: { ${map} } }` : `      "${id}": { from: group, map: { ${map} } }`;
    })
    .join('\n');
  const yaml = `
version: 1
workspace: { name: Bench agency, timezone: UTC }
connections:
  - id: ${o.connectionId}
    vendor: monday
    token: \${MONDAY_TOKEN}
    base_url: ${o.endpoint}
    boards: [${o.boardIds.map((b) => `"${b}"`).join(', ')}]
    plan: ${o.plan}
${o.dailyCap !== null ? `    daily_call_cap: ${o.dailyCap}\n` : ''}${o.complexityPerMinute !== null ? `    complexity_per_minute: ${o.complexityPerMinute}\n` : ''}    rate_limit_per_minute: ${o.rate}
    stage:
${stage}
`;
  return parseConfig(yaml, { MONDAY_TOKEN: SIM_DEFAULT_TOKEN }, 'bench config');
}

const quietLog = { info: () => undefined, warn: (m: string) => progress(`worker warn: ${m}`), error: (m: string) => progress(`worker error: ${m}`) };

interface SyncRun {
  mode: 'full' | 'incremental';
  totals: SyncTotals;
  wallMs: number;
  cpu: { nodeMs: number; pgMs: number; temporalMs: number };
  db: DbClock;
  calls: CallStats;
  samples: Sample[];
  /** The simulator's daily counter (0.1 for a complexity-only query) used by this run. */
  dailyCalls: number;
}

interface Rig {
  label: string;
  monday: GeneratedMonday;
  stats: DatasetStats;
  sim: MondaySimulator;
  db: Db;
  connectionId: string;
  cfg: MondayConnectionConfig;
  sync(mode: 'full' | 'incremental'): Promise<SyncRun>;
  close(): Promise<void>;
}

async function startRig(o: {
  label: string;
  items: number;
  boards: number;
  seed: number;
  updates: number;
  files: number;
  simLimits: Partial<LimitsConfig>;
  plan: string;
  dailyCap: number | null;
  rate: number;
  complexityPerMinute: number | null;
  baseUrl: string;
  temporal: TemporalDevServer;
  client: Client;
}): Promise<Rig> {
  const t0 = performance.now();
  const agency = generateAgency({ seed: o.seed, tasks: o.items, projects: o.boards });
  const monday = generateMonday(agency, { seed: o.seed, shape: { updatesPerItem: o.updates, filesPerItem: o.files } });
  const stats = datasetStats(o.label, monday, o);
  progress(`${o.label}: generated ${fmt(stats.items)} items on ${stats.boards} boards (${fmt(stats.updates)} updates, ${fmt(stats.files)} files) in ${secs(performance.now() - t0)}`);
  const sim = createMondaySimulator({ monday, limits: o.simLimits });
  const started = await sim.start(0);
  const stopSim = onCleanup(`${o.label} simulator`, () => sim.stop());
  const meter = await startMeter(started.endpoint, o.label);
  const stopMeter = onCleanup(`${o.label} meter`, () => meter.stop());
  const clock = dbClock();
  const db = await freshDatabase(kit, { baseUrl: o.baseUrl, bench: 'monday', label: o.label, clock });
  const connectionId = `bench-${o.label}-${randomBytes(3).toString('hex')}`;
  const config = configFor({ connectionId, endpoint: meter.endpoint, monday, boardIds: sim.control.boardIds(), plan: o.plan, dailyCap: o.dailyCap, rate: o.rate, complexityPerMinute: o.complexityPerMinute });
  const cfg = config.connections[0] as MondayConnectionConfig;
  const deps: ActivityDeps = { db: db.pool, config: () => config, limiters: new LimiterRegistry(), clock: () => new Date(), log: quietLog };
  const taskQueue = `bench-${connectionId}`;
  const { worker, connection } = await createWorker({ address: o.temporal.address, taskQueue, deps });
  const running: { worker: Worker; connection: NativeConnection; done: Promise<void> } = {
    worker, connection,
    done: worker.run().catch((err: unknown) => progress(`${o.label}: worker stopped with an error: ${err instanceof Error ? err.message : String(err)}`)),
  };
  const stopWorker = onCleanup(`${o.label} worker`, async () => {
    if (running.worker.getState() === 'RUNNING') running.worker.shutdown();
    await running.done;
    await running.connection.close();
  });
  progress(`${o.label}: simulator on ${started.endpoint} behind ${meter.endpoint}, worker on task queue ${taskQueue} (ready in ${secs(performance.now() - t0)})`);

  return {
    label: o.label, monday, stats, sim, db, connectionId, cfg,
    async sync(mode) {
      sim.control.resetCalls();
      const daily0 = sim.control.dailyCalls();
      const from = meter.samples.length;
      const clock0 = { ...clock };
      const cpu0 = await cpuSnapshot(db.pool, db.name, temporalPid);
      const t = performance.now();
      const handle = await startSync(o.client, { connectionId, mode }, taskQueue);
      let last = 0;
      const totals = await waitForSync(handle, (p) => {
        if (performance.now() - last < 10_000) return;
        last = performance.now();
        progress(`${o.label} ${mode} sync: board ${Math.min(p.scopeIndex + 1, p.scopes)}/${p.scopes}, ${fmt(p.tasks)} items, ${fmt(p.steps)} steps, ${fmt(sim.control.calls().total)} API calls, ${secs(performance.now() - t)}`);
      }, 1_000);
      const wallMs = performance.now() - t;
      const cpu = cpuDelta(cpu0, await cpuSnapshot(db.pool, db.name, temporalPid));
      return { mode, totals, wallMs, cpu, db: dbDelta(clock0, clock), calls: sim.control.calls(), samples: meter.samples.slice(from), dailyCalls: sim.control.dailyCalls() - daily0 };
    },
    async close() {
      await stopWorker();
      await stopMeter();
      await stopSim();
      await db.drop();
    },
  };
}

// --------------------------------------------------------------------------------- measured figures

/** What every run's figures come to: calls and points by operation, the peaks, the agreement of the three counts. */
interface RunFigures {
  wallMs: number;
  calls: number;
  byOperation: Record<string, number>;
  pointsByOperation: Record<string, number>;
  /** Σ of the answers' latencies at the proxy, by operation: the time spent waiting on the simulator (requests may overlap). */
  msByOperation: Record<string, number>;
  /** Σ of the `limit` asked for by the items pages: the items they were priced for. */
  itemsPriced: number;
  /** Activity-log pages that came back empty. */
  emptyLogPages: number;
  /** Σ (before − after) of the answers, as the proxy read them. */
  points: number;
  /** The simulator's own accounting (complexityCharged), and the sync run's `complexity.points` (the client's Σ query). */
  simPoints: number;
  runPoints: number;
  peakPointsPerMinute: number;
  peakCallsPerMinute: number;
  rateLimited: number;
  earlyRetries: number;
  byCode: Record<string, number>;
  dailyCalls: number;
  cpu: { nodeMs: number; pgMs: number; temporalMs: number };
  db: DbClock;
  counts: Record<string, number>;
  status: string;
}

const ITEM_PAGE_OPS = new Set(['StagelineItemsPage', 'StagelineNextItemsPage']);

function figuresOf(run: SyncRun): RunFigures {
  const byOperation: Record<string, number> = {};
  const pointsByOperation: Record<string, number> = {};
  const msByOperation: Record<string, number> = {};
  for (const s of run.samples) {
    byOperation[s.op] = (byOperation[s.op] ?? 0) + 1;
    msByOperation[s.op] = (msByOperation[s.op] ?? 0) + s.ms;
    pointsByOperation[s.op] = (pointsByOperation[s.op] ?? 0) + (s.before !== null && s.after !== null ? s.before - s.after : 0);
  }
  return {
    wallMs: run.wallMs,
    calls: run.calls.total,
    byOperation,
    pointsByOperation,
    msByOperation,
    emptyLogPages: run.samples.filter((s) => s.emptyLog).length,
    itemsPriced: sum(run.samples.filter((s) => ITEM_PAGE_OPS.has(s.op)).map((s) => s.limit ?? 0)),
    points: sum(Object.values(pointsByOperation)),
    simPoints: run.calls.complexityCharged,
    runPoints: run.totals.counts['complexity.points'] ?? 0,
    peakPointsPerMinute: peakPerMinute(run.samples, (s) => (s.before !== null && s.after !== null ? s.before - s.after : 0)),
    peakCallsPerMinute: peakPerMinute(run.samples, () => 1),
    rateLimited: run.calls.rateLimited,
    earlyRetries: run.calls.earlyRetries,
    byCode: run.calls.byCode,
    dailyCalls: run.dailyCalls,
    cpu: run.cpu,
    db: run.db,
    counts: run.totals.counts,
    status: run.totals.status,
  };
}

/** The checks every run passes: one count of calls and one of points, whoever counts them. */
function checkRun(f: Findings, what: string, run: SyncRun, r: RunFigures): void {
  check(f, run.totals.status === 'succeeded', `${what}: status ${run.totals.status}`);
  const runCalls = sum(Object.values(run.totals.apiCalls));
  check(f, runCalls === r.calls, `${what}: the sync run counted ${fmt(runCalls)} API calls, the simulator ${fmt(r.calls)}`);
  check(f, run.samples.length === r.calls, `${what}: the metering proxy saw ${fmt(run.samples.length)} answers, the simulator counted ${fmt(r.calls)} requests`);
  check(f, r.points === r.simPoints, `${what}: Σ (before − after) of the answers is ${fmt(r.points)} points, the simulator charged ${fmt(r.simPoints)}`);
  check(f, r.runPoints === r.points, `${what}: the sync run recorded ${fmt(r.runPoints)} complexity points, the answers say ${fmt(r.points)}`);
  check(f, !run.totals.counts['daily_cap.reached'], `${what}: stopped by the daily call cap`);
}

async function countOf(rig: Rig, sql: string, params: unknown[] = []): Promise<number> {
  const { rows } = await rig.db.pool.query<{ n: string }>(sql, [rig.connectionId, ...params]);
  return Number(rows[0]?.n ?? 0);
}

/** What a full sync must have stored: the dataset, record for record. */
async function checkLanded(f: Findings, what: string, rig: Rig): Promise<Record<string, { stored: number; expected: number }>> {
  const s = rig.stats;
  const stored = {
    assets: { stored: await countOf(rig, 'SELECT count(*) AS n FROM core.assets WHERE connection_id = $1 AND deleted_at IS NULL'), expected: s.items },
    versions: { stored: await countOf(rig, 'SELECT count(*) AS n FROM core.versions WHERE connection_id = $1 AND deleted_at IS NULL'), expected: s.files },
    comments: { stored: await countOf(rig, 'SELECT count(*) AS n FROM core.comments WHERE connection_id = $1 AND deleted_at IS NULL'), expected: s.updates + s.replies },
    decisions: { stored: await countOf(rig, 'SELECT count(*) AS n FROM core.decisions WHERE connection_id = $1 AND deleted_at IS NULL'), expected: s.decisions },
    'stage transitions (from the logs)': { stored: await countOf(rig, "SELECT count(*) AS n FROM core.stage_transitions WHERE connection_id = $1 AND source = 'vendor_history'"), expected: s.transitions },
    'rejected records': { stored: await countOf(rig, 'SELECT count(*) AS n FROM ops.rejected_records WHERE connection_id = $1'), expected: 0 },
  };
  for (const [k, v] of Object.entries(stored)) check(f, v.stored === v.expected, `${what}: ${fmt(v.stored)} ${k} stored, the dataset has ${fmt(v.expected)}`);
  return stored;
}

// ------------------------------------------------------------------------------------ the sections

interface FullResult {
  stats: DatasetStats;
  r: RunFigures;
  landed: Record<string, { stored: number; expected: number }>;
  dailyCap: number;
  plan: string;
  prices: PriceRow[];
  findings: Findings;
}

async function fullSync(rig: Rig, o: { dailyCap: number; plan: string }): Promise<FullResult> {
  const f = findings();
  progress(`${rig.label}: full sync of ${fmt(rig.stats.items)} items (daily cap ${fmt(o.dailyCap)} in the simulator and the connection)`);
  const run = await rig.sync('full');
  const r = figuresOf(run);
  progress(`${rig.label}: full sync ${run.totals.status} in ${secs(run.wallMs)}: ${fmt(r.calls)} calls, ${mpts(r.points)} points, ${fmt(r.dailyCalls)} of ${fmt(o.dailyCap)} daily calls`);
  checkRun(f, `${rig.label} full sync`, run, r);
  check(f, r.dailyCalls <= o.dailyCap, `${rig.label} full sync: used ${fmt(r.dailyCalls)} of the day's ${fmt(o.dailyCap)} calls`);
  check(f, r.rateLimited === 0, `${rig.label} full sync: ${r.rateLimited} answers said to wait (the simulator's budget is unlimited here)`);
  const landed = await checkLanded(f, `${rig.label} full sync`, rig);
  return { stats: rig.stats, r, landed, dailyCap: o.dailyCap, plan: o.plan, prices: itemPrices(rig.stats.updatesPerItem), findings: f };
}

interface IncrementalScenario {
  name: string;
  changes: string;
  r: RunFigures;
  boards: number;
  /** §7.2's model: one call that says which boards changed, one log page per changed board, the changed items by id, ≤ 100 a call. */
  model: number;
  landed: string;
}

interface IncrementalResult {
  stats: DatasetStats;
  scenarios: IncrementalScenario[];
  findings: Findings;
}

const UPDATE_TEXTS = ['Looping in the account team on this one.', 'Client asked for a quick look before Friday.', 'New copy deck attached in the brief.', 'Please double-check the safe areas.'];

async function incremental(rig: Rig, o: { statusChanges: number; newUpdates: number }): Promise<IncrementalResult> {
  const f = findings();
  const scenarios: IncrementalScenario[] = [];
  const c = rig.sim.control;
  const boards = c.boardIds().length;
  const written = (r: RunFigures): number => sum(Object.entries(r.counts).filter(([k]) => /\.(inserted|updated)$/.test(k)).map(([, v]) => v));

  // 1. Nothing changed since the full sync.
  {
    progress(`${rig.label}: incremental sync, nothing changed`);
    const run = await rig.sync('incremental');
    const r = figuresOf(run);
    checkRun(f, 'incremental, nothing changed', run, r);
    check(f, written(r) === 0, `incremental, nothing changed: ${fmt(written(r))} rows inserted or updated`);
    target(f, r.calls <= boards, `incremental, nothing changed: ${callsOf(r.calls)} for ${boards} boards (${fmt2(r.calls / boards)} a board; target ≤ 1)`);
    scenarios.push({ name: 'nothing changed', changes: '—', r, boards, model: 1, landed: `${fmt(written(r))} rows written` });
    progress(`${rig.label}: nothing changed: ${callsOf(r.calls)} (${JSON.stringify(r.byOperation)})`);
  }

  // 2. Δ: status changes (a status-column change or a move between stage groups, as the board keeps its
  // stage) and new updates on other items, spread evenly over the boards.
  {
    const live = [...c.truth.items.values()].filter((t) => t.state === 'active' && t.kind === 'asset').sort((a, b) => a.itemId.localeCompare(b.itemId));
    const n = o.statusChanges + o.newUpdates;
    const step = Math.max(1, Math.floor(live.length / n));
    const picked = Array.from({ length: Math.min(n, live.length) }, (_, i) => live[i * step]!);
    const moved = picked.slice(0, o.statusChanges).map((t) => {
      const to = t.stage === 'Client Review' ? 'Internal Review' : 'Client Review';
      if (t.stageSource === 'status') c.setStatus(t.itemId, to);
      else c.moveItemToGroup(t.itemId, to);
      return { itemId: t.itemId, to };
    });
    const commented = picked.slice(o.statusChanges).map((t, i) => ({ itemId: t.itemId, updateId: c.addUpdate(t.itemId, UPDATE_TEXTS[i % UPDATE_TEXTS.length]!) }));
    const touchedBoards = new Set(picked.map((t) => t.boardId)).size;
    progress(`${rig.label}: incremental sync after ${moved.length} status changes and ${commented.length} new updates on ${touchedBoards} boards`);
    const run = await rig.sync('incremental');
    const r = figuresOf(run);
    checkRun(f, 'incremental after changes', run, r);
    const { rows } = await rig.db.pool.query<{ external_id: string; source_status: string | null }>(
      'SELECT external_id, source_status FROM core.assets WHERE connection_id = $1 AND external_id = ANY($2::text[])',
      [rig.connectionId, moved.map((m) => m.itemId)],
    );
    const status = new Map(rows.map((x) => [x.external_id, x.source_status]));
    const stages = moved.filter((m) => status.get(m.itemId) === m.to).length;
    check(f, stages === moved.length, `incremental after changes: ${stages} of ${moved.length} status changes landed`);
    const comments = await countOf(rig, 'SELECT count(*) AS n FROM core.comments WHERE connection_id = $1 AND external_id = ANY($2::text[])', [commented.map((x) => x.updateId)]);
    check(f, comments === commented.length, `incremental after changes: ${comments} of ${commented.length} new updates landed`);
    const history = await countOf(
      rig,
      "SELECT count(*) AS n FROM core.stage_transitions t JOIN core.assets a ON a.id = t.asset_id WHERE t.connection_id = $1 AND a.external_id = ANY($2::text[]) AND t.to_status = a.source_status AND t.source = 'vendor_history' AND t.at > now() - interval '1 hour'",
      [moved.map((m) => m.itemId)],
    );
    check(f, history === moved.length, `incremental after changes: ${history} of ${moved.length} status changes recorded as a transition from the log`);
    scenarios.push({
      name: `${moved.length} status changes, ${commented.length} new updates`,
      changes: `${moved.length} status changes (${moved.filter((m) => c.truth.items.get(m.itemId)?.stageSource === 'status').length} by status column, the others by group), ${commented.length} new updates; ${touchedBoards} boards touched`,
      r,
      boards,
      model: 1 + touchedBoards + Math.ceil(picked.length / 100),
      landed: `stages ${stages}/${moved.length} (transitions ${history}/${moved.length}), updates ${comments}/${commented.length}; ${fmt(r.counts.tasks ?? 0)} items read again`,
    });
    progress(`${rig.label}: after changes: ${fmt(r.calls)} calls (${JSON.stringify(r.byOperation)})`);
  }
  return { stats: rig.stats, scenarios, findings: f };
}

interface BudgetResult {
  stats: DatasetStats;
  r: RunFigures;
  pointsPerMinute: number;
  rate: number;
  floorMs: number;
  windowFloorMs: number;
  findings: Findings;
}

// ------------------------------------------------------------------- the price of an item, and variants

/** One way of asking for an items page, priced per item by the simulator's model (queryCost). */
interface PriceRow {
  variant: string;
  perItem: number;
}

/**
 * What one item of an items page costs in the simulator's price model (connectors/monday/simulator/
 * complexity.ts, which prices a page by its limit): the page of two items less the page of one, for the
 * document the connector sends and for variants of it that ask for less. Variants are the same
 * document with a part cut out; none of them is what the connector sends today.
 */
function itemPrices(dataUpdates: number): PriceRow[] {
  const schema = mondaySchema();
  const price = (doc: string, vars: Record<string, unknown>): number => {
    const d = parse(doc);
    const op = d.definitions.find((x): x is OperationDefinitionNode => x.kind === Kind.OPERATION_DEFINITION)!;
    const fragments = new Map(d.definitions.filter((x): x is FragmentDefinitionNode => x.kind === Kind.FRAGMENT_DEFINITION).map((f) => [f.name.value, f]));
    return queryCost(schema, op, fragments, vars);
  };
  const perItem = (doc: string, updatesLimit: number): number => {
    const v = { board: ['1'], updatesLimit, subitemColumns: [COLUMN_IDS.decision, COLUMN_IDS.subOwner] };
    return price(doc, { ...v, limit: 2 }) - price(doc, { ...v, limit: 1 });
  };
  const noFileFragment = ITEMS_PAGE.replace(/\.\.\. on FileValue \{[\s\S]*?\n {2}\}\n/, '');
  const noAssets = ITEMS_PAGE.replace('assets(assets_source: columns) { ...StagelineAsset }', '');
  const rows: PriceRow[] = [{ variant: `as sent: \`updates(limit: ${UPDATES_PER_ITEM})\`, typed file fragment, \`assets\`, subitems' two columns`, perItem: perItem(ITEMS_PAGE, UPDATES_PER_ITEM) }];
  if (dataUpdates > 0 && dataUpdates < UPDATES_PER_ITEM) rows.push({ variant: `\`updates(limit: ${dataUpdates})\` (this dataset's count; a full list read on with \`updates_page\`)`, perItem: perItem(ITEMS_PAGE, dataUpdates) });
  if (noFileFragment !== ITEMS_PAGE) rows.push({ variant: 'without the typed `FileValue` fragment (normalize also reads files from `value`)', perItem: perItem(noFileFragment, UPDATES_PER_ITEM) });
  if (noAssets !== ITEMS_PAGE) rows.push({ variant: 'without `assets` (file metadata from the column value only)', perItem: perItem(noAssets, UPDATES_PER_ITEM) });
  if (noFileFragment !== ITEMS_PAGE && dataUpdates > 0 && dataUpdates < UPDATES_PER_ITEM) rows.push({ variant: `both of the first two: \`updates(limit: ${dataUpdates})\` and no typed file fragment`, perItem: perItem(noFileFragment, dataUpdates) });
  return rows;
}

// --------------------------------------------------------------------------------------- results

interface RunInfo {
  machine: Machine;
  wholeRunMs: number;
}

interface Results {
  full?: { run: RunInfo; r: FullResult };
  incremental?: { run: RunInfo; r: IncrementalResult };
  oneboard?: { run: RunInfo; r: FullResult };
  budget?: { run: RunInfo; r: BudgetResult };
}

// ------------------------------------------------------------------------------------ the report

const PERSONAL_POINTS = 10_000_000;
const QUERIES_PER_MINUTE = manifest.rateLimit.perMinute;

/** The vendor-bound floor of a run: its calls at the minute limit, its points at the minute budget; the larger. */
function floors(r: { calls: number; points: number }, pointsPerMinute = PERSONAL_POINTS, rate = QUERIES_PER_MINUTE): { callsMs: number; pointsMs: number; floorMs: number } {
  const callsMs = (r.calls / rate) * 60_000;
  const pointsMs = (r.points / pointsPerMinute) * 60_000;
  return { callsMs, pointsMs, floorMs: Math.max(callsMs, pointsMs) };
}

/** Why the connector makes each kind of call (by operation name). */
const WHY: Record<string, string> = {
  StagelineBoards: 'the plan: boards with their columns and status labels (the stage map is checked against them); the subitems boards in a second call on the first plan',
  StagelineItemsPage: 'R_min: the first items page of each board (values, file assets and the first 25 updates with replies nested)',
  StagelineNextItemsPage: 'R_min: the further items pages',
  StagelineActivityLogs: 'stage history and decision history: `items_page` serves only current values; the board\'s log (per page of items) and the subitems board\'s decision column',
  StagelineUsers: 'emails of the people the items name (column values and updates carry user ids only)',
  StagelineItemUpdates: 'updates beyond the 25 served inline',
  StagelineItemsByIds: 'the items a window\'s log or updates name, ≤ 100 ids a call',
  StagelineBoardUpdates: 'updates posted in the window, per board (a new update does not move the item\'s `updated_at`)',
  StagelineBoardsWithUpdates: 'the incremental plan: every board\'s `updated_at` and one page of the updates posted since the window opened, in one call for all boards',
};

function machineTable(run: RunInfo): string {
  const m = run.machine;
  return table(['Fact', 'Value'], [
    ['Date', m.date],
    ['CPU', `${m.cores} × ${m.cpu}`],
    ['Memory', m.memory],
    ['OS', m.os],
    ['Node', m.node],
    ['PostgreSQL', m.postgres],
    ['Temporal CLI', m.temporal],
    ['Commit', m.commit],
    ['Load average at start (1, 5, 15 min)', m.load],
    ['Whole run', minsec(run.wholeRunMs)],
  ]);
}

function datasetTable(s: DatasetStats): string {
  const per = (n: number) => (s.items ? fmt2(n / s.items) : '—');
  const spread = new Set(s.itemsPerBoard);
  return table(['Figure', 'Count', 'Per item'], [
    ['Boards (each with a subitems board)', s.boards, ''],
    ['Items (live; the shape archives and deletes none)', fmt(s.items), ''],
    ['Items per board', spread.size === 1 ? fmt(s.itemsPerBoard[0] ?? 0) : `${fmt(Math.min(...s.itemsPerBoard))}–${fmt(Math.max(...s.itemsPerBoard))}`, ''],
    ['Updates (replies)', `${fmt(s.updates)} (${fmt(s.replies)})`, per(s.updates + s.replies)],
    ['Files (uploaded assets in the file column)', fmt(s.files), per(s.files)],
    ['Approval subitems / decisions', `${fmt(s.subitems)} / ${fmt(s.decisions)}`, `${per(s.subitems)} / ${per(s.decisions)}`],
    ['Stage transitions', fmt(s.transitions), per(s.transitions)],
    ['Activity-log entries: item boards / subitems boards\' decision column', `${fmt(s.logEntries)} / ${fmt(s.decisionLogEntries)}`, `${per(s.logEntries)} / ${per(s.decisionLogEntries)}`],
    ['People of the account', s.people, ''],
  ]);
}

function opRows(r: RunFigures, extra?: (op: string) => (string | number)[]): (string | number)[][] {
  const ops = Object.keys(r.byOperation).sort((a, b) => (r.byOperation[b] ?? 0) - (r.byOperation[a] ?? 0) || a.localeCompare(b));
  return ops.map((op) => [`\`${op}\``, fmt(r.byOperation[op] ?? 0), mpts(r.pointsByOperation[op] ?? 0), pct(r.pointsByOperation[op] ?? 0, r.points), secs(r.msByOperation[op] ?? 0), ...(extra ? extra(op) : [])]);
}

function fullSection(title: string, x: { run: RunInfo; r: FullResult }, opts: { airbyte: boolean }): string[] {
  const { stats: s, r } = x.r;
  const fl = floors(r);
  const itemsCalls = (r.byOperation.StagelineItemsPage ?? 0) + (r.byOperation.StagelineNextItemsPage ?? 0);
  const out: string[] = [];
  out.push(`## ${title}`, '');
  out.push(
    `**What:** one full sync of ${fmt(s.items)} items on ${s.boards} board${s.boards === 1 ? '' : 's'} (${s.updatesPerItem} updates and ${s.filesPerItem} file each), ` +
      `on a fresh database, through the product's path (\`startSync\` → \`connectionSync\` → \`planMonday\`, \`stepMonday\`), with the simulator's daily cap at ` +
      `${fmt(x.r.dailyCap)} calls and the connection on \`plan: ${x.r.plan}\` with the same cap. The simulator's complexity budget is unlimited here, so the wall ` +
      `time is the simulator's speed and the peaks show what the sync would ask of a real budget. **How:** the proxy's record of every answer; the three counts ` +
      `of calls (simulator, proxy, sync run) and of points (Σ before − after of the answers, the simulator's charge, the run's \`complexity.points\`) must agree. ` +
      `**Compared with:** engineering-facts §7.2: R_min = Σ_b ⌈N_b/500⌉ = **${fmt(s.rMin)}** calls${opts.airbyte ? ', and the Airbyte `source-monday` pattern' : ''}.`,
    '',
  );
  out.push(table(['Operation', 'Calls', 'Points', 'Share of points', 'Simulator time', 'Why'], opRows(r, (op) => [WHY[op] ?? ''])));
  out.push('');
  out.push(table(['Measure', 'Value'], [
    ['Calls, R_actual', fmt(r.calls)],
    ['R_min (§7.2: items pages of 500 with updates and assets nested)', fmt(s.rMin)],
    ['**η_calls = R_min / R_actual**', `**${fmt3(s.rMin / r.calls)}**`],
    [`R_min for what Stageline reads (boards 1 + items ${fmt(s.rMinStageline.items)} + item-board logs ${fmt(s.rMinStageline.logs)} + decision logs ${fmt(s.rMinStageline.decisionLogs)} + users ${fmt(s.rMinStageline.users)}, logs in pages of ${fmt(ACTIVITY_LOG_PAGE)})`, fmt(s.rMinStageline.total)],
    ['η_calls against that', fmt3(s.rMinStageline.total / r.calls)],
    ['Items per call (all calls / items-page calls)', `${fmt1(s.items / r.calls)} / ${fmt1(s.items / Math.max(1, itemsCalls))}`],
    ['Complexity points (Σ before − after; = the simulator\'s charge; = the run\'s `complexity.points`)', `${fmt(r.points)} (${fmt(r.simPoints)}; ${fmt(r.runPoints)})`],
    ['Points per item', fmt(r.points / Math.max(1, s.items))],
    ['Peak points in any 60 s', `${fmt(r.peakPointsPerMinute)} (${fmt1(r.peakPointsPerMinute / PERSONAL_POINTS)}× a personal token's 10M/min)`],
    ['Peak calls in any 60 s', `${fmt(r.peakCallsPerMinute)} (${fmt1(r.peakCallsPerMinute / QUERIES_PER_MINUTE)}× the manifest's ${QUERIES_PER_MINUTE}/min)`],
    ['Wall time at the simulator\'s speed', secs(r.wallMs)],
    [`Daily calls used (simulator's counter) / cap`, `${fmt1(r.dailyCalls)} / ${fmt(x.r.dailyCap)}: **completes**, ${pct(r.dailyCalls, x.r.dailyCap)} of the day`],
    ['Full syncs like this one per day on that cap', fmt(Math.floor(x.r.dailyCap / Math.max(1, r.dailyCalls)))],
    ['Answers that said wait (429, budget exhausted)', fmt(r.rateLimited)],
  ]));
  out.push('');
  out.push(
    `**The vendor-bound floor.** At a personal token's 10M points per minute the points alone take **${minsec(fl.pointsMs)}**; at ${QUERIES_PER_MINUTE} queries per ` +
      `minute (the manifest's smallest published figure) the calls take ${minsec(fl.callsMs)}. The floor is the larger, **${minsec(fl.floorMs)}** ` +
      `(${fl.pointsMs >= fl.callsMs ? 'complexity-bound' : 'call-bound'}); this run took ${secs(r.wallMs)} against an unlimited simulator, ${fmt1(fl.floorMs / r.wallMs)}× faster than any real account allows.`,
    '',
  );
  out.push(table(['Side', 'Time', 'Against the floor'], [
    ['Vendor floor (max of points ÷ 10M/min, calls ÷ 250/min)', minsec(fl.floorMs), '1.00'],
    ['Waiting on the simulator (Σ of the answers\' latencies at the proxy)', secs(sum(Object.values(r.msByOperation))), pct(sum(Object.values(r.msByOperation)), fl.floorMs)],
    [`PostgreSQL: BEGIN…COMMIT of the sync's ${fmt(r.db.transactions)} transactions (the commits, with the batch preparation inside them)`, secs(r.db.transactionMs), pct(r.db.transactionMs, fl.floorMs)],
    [`PostgreSQL: round trips of all ${fmt(r.db.queries)} statements (database time)`, secs(r.db.queryMs), pct(r.db.queryMs, fl.floorMs)],
    ['CPU: PostgreSQL backends of the database', secs(r.cpu.pgMs), pct(r.cpu.pgMs, fl.floorMs)],
    ['CPU: this Node process (simulator, proxy, worker)', secs(r.cpu.nodeMs), pct(r.cpu.nodeMs, fl.floorMs)],
    ['CPU: Temporal dev server', Number.isFinite(r.cpu.temporalMs) ? secs(r.cpu.temporalMs) : 'n/a', Number.isFinite(r.cpu.temporalMs) ? pct(r.cpu.temporalMs, fl.floorMs) : ''],
    ['Wall time of this run', secs(r.wallMs), pct(r.wallMs, fl.floorMs)],
  ]));
  out.push('');
  out.push(table(['Stored', 'Count', 'Dataset'], Object.entries(x.r.landed).map(([k, v]) => [k, fmt(v.stored), fmt(v.expected)])));
  out.push('');
  if (opts.airbyte) {
    const a = s.airbyte;
    out.push(
      `**Against Airbyte \`source-monday\`** (§7.2's reading of its manifest: one board per page, \`items_page(limit: 20)\` with nested \`updates { id }\` and ` +
        `\`assets\`, an \`updates\` stream at 100 a page, boards at 10 a page; no activity logs, so no stage history and no decision history on a full refresh):`,
      '',
    );
    out.push(table(['Calls', 'R_min (§7.2)', 'Stageline', 'Airbyte pattern'], [
      ['items pages', fmt(s.rMin), fmt(itemsCalls), `${fmt(a.items)} (Σ ⌈N_b/20⌉)`],
      ['updates', '0 (nested)', '0 (nested)', `${fmt(a.updates)} (⌈${fmt(s.updates)}/100⌉)`],
      ['boards', '—', fmt(r.byOperation.StagelineBoards ?? 0), `${fmt(a.boards)} (⌈${s.allBoards} boards/10⌉)`],
      ['activity logs (history)', '—', fmt(r.byOperation.StagelineActivityLogs ?? 0), '0 (not read)'],
      ['users', '—', fmt(r.byOperation.StagelineUsers ?? 0), '0'],
      ['**Total**', `**${fmt(s.rMin)}**`, `**${fmt(r.calls)}**`, `**${fmt(a.total)}**`],
      ['η_calls = R_min / R', '1.00', fmt3(s.rMin / r.calls), fmt3(s.rMin / a.total)],
      [`Fits a ${fmt(x.r.dailyCap)}-call day`, 'yes', r.dailyCalls <= x.r.dailyCap ? `yes, ${fmt(Math.floor(x.r.dailyCap / Math.max(1, r.dailyCalls)))}×` : 'no', a.total <= x.r.dailyCap ? 'yes' : `no: ${fmt(a.total)} > ${fmt(x.r.dailyCap)}`],
    ]));
    out.push('');
  }
  return out;
}

/**
 * Before each item was handed only its own log entries (commit "monday.com sync: each item gets only
 * its own and its subitems' activity-log entries"), measured with this script's defaults on this
 * machine (load ≈ 8.5) and with `node --cpu-prof` on a 2,000-item sync; kept as the reference the
 * change is measured against, not rerun by this script.
 */
const BEFORE_GROUPING =
  'the same full sync took 300.0 s with the Node process busy 181.4 s: `readItems` handed every item of a page the page\'s whole subitems decision log and ' +
  '`normalizeItem` parsed it once per item (≈ 622,653 entry parses per 500-item page instead of ≈ 1,308; a CPU profile of a 2,000-item sync had ' +
  '`JSON.parse` of log entries\' `data` 7.3 s, zod ≈ 8 s and garbage collection 8.4 s of 39.1 s)';

/** What dominates the full sync, and what would reduce it: computed from the figures of the run. */
function analysis(full: FullResult, inc: IncrementalResult | null): string[] {
  const { stats: s, r, prices } = full;
  const fl = floors(r);
  const out: string[] = [];
  const logs = r.byOperation.StagelineActivityLogs ?? 0;
  const itemsCalls = (r.byOperation.StagelineItemsPage ?? 0) + (r.byOperation.StagelineNextItemsPage ?? 0);
  const itemPoints = (r.pointsByOperation.StagelineItemsPage ?? 0) + (r.pointsByOperation.StagelineNextItemsPage ?? 0);
  const simMs = sum(Object.values(r.msByOperation));
  const logFloor = s.rMinStageline.logs + s.rMinStageline.decisionLogs;
  const decisionPerPage = s.decisionLogEntries / Math.max(1, itemsCalls);
  out.push('## 6. What dominates', '');
  out.push(
    `- **Calls: the history.** ${fmt(logs)} of the ${fmt(r.calls)} calls (${pct(logs, r.calls)}) read activity logs: stage transitions and decisions are ` +
      `only in the logs (\`items_page\` serves current values). Reading each board's whole log in pages of ${fmt(ACTIVITY_LOG_PAGE)} would take ${fmt(logFloor)} calls; ` +
      `the engine reads the log per items page (\`item_ids\` of the page) and takes ${fmt(logs)}, of which ${fmt(r.emptyLogPages)} came back empty. Items pages are ${fmt(itemsCalls)} against R_min ${fmt(s.rMin)}: the first board's first page is ` +
      `${fmt(FIRST_PAGE_LIMIT)} items while no per-item cost is known yet. The rest: ${fmt(r.byOperation.StagelineUsers ?? 0)} users lookups and ` +
      `${fmt(r.byOperation.StagelineBoards ?? 0)} boards calls.`,
    `- **Points: the items pages.** ${pct(itemPoints, r.points)} of the ${mpts(r.points)} points are items pages: ${fmt(itemPoints / Math.max(1, r.itemsPriced))} points ` +
      `per item priced, for ${fmt(r.itemsPriced)} items priced (${fmt(s.items)} served: a page is priced by its \`limit\`). Activity logs cost ` +
      `${pct(r.pointsByOperation.StagelineActivityLogs ?? 0, r.points)} of the points for ${pct(logs, r.calls)} of the calls.`,
    `- **Time: the complexity budget.** The floor is complexity-bound: ${minsec(fl.pointsMs)} of points at 10M a minute against ${minsec(fl.callsMs)} of calls at ` +
      `${QUERIES_PER_MINUTE} a minute (${fmt1(fl.pointsMs / Math.max(1, fl.callsMs))}×). The sync asks for up to ${mpts(r.peakPointsPerMinute)} in a minute when nothing ` +
      `stops it, so a real personal token paces it (section 5 shows the pacing holding the floor, without a single "wait" answer).`,
    `- **At the simulator's speed: the engine's CPU, not PostgreSQL.** Of ${secs(r.wallMs)}, the answers took ${secs(simMs)} and PostgreSQL transactions ` +
      `${secs(r.db.transactionMs)} (${pct(r.db.transactionMs, fl.floorMs)} of the vendor floor: §7.5's "the engine must never be the bottleneck" holds); the ` +
      `Node process was busy ${secs(r.cpu.nodeMs)} (normalizing, zod and JSON parsing of the answers, garbage collection). Each item is handed only its own ` +
      `and its subitems' activity-log entries, grouped by pulse id once per page (≈ ${fmt(decisionPerPage)} decision entries a page parsed once); before that, ${BEFORE_GROUPING}.`,
    '',
  );
  out.push('## 7. What would reduce it further', '');
  const base = prices[0]?.perItem ?? 0;
  out.push(
    `**Points (the floor).** The price of one item of an items page in the simulator's model (\`queryCost\` of \`ITEMS_PAGE\`, two items less one), for the ` +
      `document the connector sends and for variants that ask for less; the floor column applies the difference to this sync's ${fmt(r.itemsPriced)} items priced. ` +
      'monday\'s own per-field prices are not published [U], so these rank the options rather than promise figures.',
    '',
  );
  out.push(table(['Items page', 'Points per item', 'Against as sent', `This sync's floor at 10M/min`], prices.map((p) => {
    const points = r.points - r.itemsPriced * (base - p.perItem);
    return [p.variant, fmt(p.perItem), p === prices[0] ? '—' : `−${pct(base - p.perItem, base)}`, minsec(Math.max(fl.callsMs, (points / PERSONAL_POINTS) * 60_000))];
  })));
  out.push('');
  const more: string[] = [
    `- **Logs.** The ${fmt(logs)} log calls are ${logs <= logFloor ? 'at' : `${fmt(logs - logFloor)} above`} the ${fmt(logFloor)} that each board's whole log in pages ` +
      `of ${fmt(ACTIVITY_LOG_PAGE)} would take${r.emptyLogPages ? ` (${fmt(r.emptyLogPages)} of them came back empty)` : ''}. Fewer would need larger log pages (monday's ` +
      'largest is [U]) or history read only where it matters: a first sync could take the items\' current stage from `items_page` and backfill the history of ' +
      'the items still in progress, leaving delivered and cancelled items\' history to a later, budget-idle pass.',
    `- **The first page.** The per-item cost is learnt from the first page (${fmt(FIRST_PAGE_LIMIT)} items) and kept in \`ops.state\`, so only a ` +
      `connection's first sync pays the extra page: ${fmt(itemsCalls - s.rMin)} call and ${fmt(r.itemsPriced - s.items)} items priced but not served here.`,
    `- **The daily cap.** The full sync uses ${fmt1(r.dailyCalls)} of a Standard day's ${fmt(full.dailyCap)} calls (${fmt(Math.floor(full.dailyCap / Math.max(1, r.dailyCalls)))} a day); ` +
      `the Airbyte pattern's ${fmt(s.airbyte.total)} ${s.airbyte.total > full.dailyCap ? 'would not fit once' : `would fit ${fmt(Math.floor(full.dailyCap / s.airbyte.total))} times`}, with no history.`,
  ];
  if (inc) {
    const delta = inc.scenarios[1];
    if (delta) {
      const byIds = delta.r.byOperation.StagelineItemsByIds ?? 0;
      const dl = delta.r.byOperation.StagelineActivityLogs ?? 0;
      more.push(
        `- **Incremental after changes.** ${fmt(delta.r.calls)} calls against §7.2's ${fmt(delta.model)}: ${fmt(byIds)} \`items(ids:)\` calls (one per changed board; ` +
          `the model takes ⌈changed ÷ 100⌉ across boards) and ${fmt(dl)} log calls (the window's log per changed board, then each changed item's whole log again ` +
          `for its full stage history, and the decision log${delta.r.emptyLogPages ? `; ${fmt(delta.r.emptyLogPages)} of them empty` : ''}). Webhooks would bring it to about Δ ÷ 100 reads (§7.2).`,
      );
    }
  }
  out.push(...more, '');
  return out;
}

function report(res: Results, opts: { forDocs: boolean }): string {
  const out: string[] = [];
  const any = res.full ?? res.incremental ?? res.oneboard ?? res.budget;
  out.push('# Benchmarks: the monday.com sync', '');
  out.push(
    'Generated by `npm run bench:monday -- --write` (`test/bench/monday.bench.ts`); rerun it rather than editing this file. The script starts its own PostgreSQL ' +
      'database, Temporal dev server, monday simulators and worker, and measures the sync against the physical limits of `docs/engineering-facts.md` §7.2 (in ' +
      '`../shared/docs/`). Timings come from one run on the machine below and are not asserted by any test; counts are checked by the script itself (see "Problems").',
    '',
  );
  if (any) {
    out.push('## Machine', '', machineTable(any.run), '');
    out.push(
      'Everything shares the same cores: PostgreSQL, the Temporal dev server (SQLite), and one Node process that runs the simulator, the metering proxy, the ' +
        'worker and this script. Other work on the machine during the run (see the load average) slows the timed rows; the counted rows do not depend on it.',
      '',
    );
  }
  out.push(
    '## Method',
    '',
    '- **Dataset.** `generateAgency({ seed, tasks: items, projects: boards })` and `generateMonday(agency, { seed, shape: { updatesPerItem, filesPerItem } })`: ' +
      'the shared agency as a monday account, every item with exactly that many updates (no replies) and uploaded files, none archived or deleted; stage ' +
      'history, columns and approval subitems (with their decisions) as the agency\'s tasks have them.',
    '- **The sync.** The product\'s: a Temporal `connectionSync` workflow on an in-process worker, the monday activities against a fresh migrated database. ' +
      'Boards are read one after the other; each step reads one items page at the largest size the learnt per-item cost allows (≤ 500) and, for its items, ' +
      'the activity log, the subitems\' decision log and unknown users, then commits the page with its cursor.',
    '- **Calls and points.** A metering proxy between the connection and the simulator records every answer: the operation\'s name, the time, and the ' +
      'answer\'s `complexity { before after query }`. "Points" are Σ (before − after) over the answers, checked equal to the simulator\'s own charge and to ' +
      'the sync run\'s `complexity.points`; calls are checked equal between simulator, proxy and run. The simulator\'s prices are its model of monday\'s ' +
      '(connectors/monday/simulator/README.md "Complexity"), not monday\'s, which are not published per field [U].',
    '- **Floors.** A personal token\'s 10M points per minute and the manifest\'s 250 queries per minute (the smallest figure any source gives; per-plan ' +
      'minute limits are [U]): floor = max(points ÷ 10M, calls ÷ 250) minutes. The daily cap is enforced by the simulator and counted by the connection.',
    '- **PostgreSQL time.** Every statement the sync\'s pool sends is timed at the client (round trip to a server on the same host); "transactions" is BEGIN…COMMIT ' +
      'of each transaction, the commits of pages and cursors with the batch preparation inside them. CPU times come from `/proc`.',
    '',
  );

  // Dataset and summary
  const main = res.full ?? res.incremental;
  if (main) {
    const s = main.r.stats;
    out.push(
      '## Dataset',
      '',
      `\`generateAgency({ seed: ${s.seed}, tasks: ${s.items}, projects: ${s.boards} })\` + \`generateMonday(agency, { seed: ${s.seed}, shape: { updatesPerItem: ${s.updatesPerItem}, filesPerItem: ${s.filesPerItem} } })\`, ` +
        'the reference dataset of engineering-facts §7 (N = 10,000 in P = 20 containers of 500, C = 5, F = 1) as a monday account. What the generator produced:',
      '',
      datasetTable(s),
      '',
    );
  }

  const summary: (string | number)[][] = [];
  if (res.full) {
    const { stats: s, r } = res.full.r;
    const fl = floors(r);
    summary.push(['1', 'Full-sync calls, R_actual', fmt(r.calls), `R_min ${fmt(s.rMin)} (§7.2); ${fmt(s.rMinStageline.total)} with history and users`, `η_calls ${fmt3(s.rMin / r.calls)} (${fmt3(s.rMinStageline.total / r.calls)})`]);
    summary.push(['1', 'Airbyte `source-monday` pattern, same account', fmt(s.airbyte.total), `R_min ${fmt(s.rMin)}`, `η_calls ${fmt3(s.rMin / s.airbyte.total)}; ${fmt1(s.airbyte.total / r.calls)}× our calls`]);
    summary.push(['1', 'Complexity points of the full sync', `${mpts(r.points)} (${fmt(r.points / s.items)} per item)`, 'personal token 10M/min', `floor ${minsec(fl.pointsMs)}`]);
    summary.push(['1', 'Peak points / calls in any 60 s', `${mpts(r.peakPointsPerMinute)} / ${fmt(r.peakCallsPerMinute)}`, `10M / ${QUERIES_PER_MINUTE}`, 'unlimited simulator: what a real budget would pace']);
    summary.push(['1', `Daily cap ${fmt(res.full.r.dailyCap)} (plan ${res.full.r.plan})`, `${fmt1(r.dailyCalls)} calls`, `${fmt(res.full.r.dailyCap)}`, `completes; ${fmt(Math.floor(res.full.r.dailyCap / Math.max(1, r.dailyCalls)))} full syncs a day`]);
    summary.push(['2', 'Wall time at the simulator\'s speed', secs(r.wallMs), `vendor floor ${minsec(fl.floorMs)}`, `PostgreSQL transactions ${secs(r.db.transactionMs)} = ${pct(r.db.transactionMs, fl.floorMs)} of the floor`]);
  }
  if (res.incremental) {
    for (const sc of res.incremental.r.scenarios) {
      summary.push(['3', `Incremental, ${sc.name}`, `${callsOf(sc.r.calls)} (${fmt2(sc.r.calls / sc.boards)} a board)`, sc.name === 'nothing changed' ? 'target ≤ 1 a board' : '§7.2: log + ids ≈ 1–20 + 2', `${mpts(sc.r.points)} points, ${secs(sc.r.wallMs)}`]);
    }
  }
  if (res.oneboard) {
    const { stats: s, r } = res.oneboard.r;
    summary.push(['4', `Full sync, 1 board of ${fmt(s.items)}`, `${fmt(r.calls)} calls, ${mpts(r.points)} points`, `R_min ${fmt(s.rMin)}`, `η_calls ${fmt3(s.rMin / r.calls)}; ${secs(r.wallMs)}`]);
  }
  if (res.budget) {
    const b = res.budget.r;
    summary.push(['5', `Budget-limited full sync (${fmt(b.stats.items)} items, ${mpts(b.pointsPerMinute)}/min, ${b.rate} calls/min)`, secs(b.r.wallMs), `floor ${secs(b.floorMs)} (fixed windows: ≥ ${secs(b.windowFloorMs)})`, `${fmt2(b.r.wallMs / b.floorMs)}× the floor; ${b.r.rateLimited} waits told`]);
  }
  if (summary.length) out.push('## Summary', '', table(['§', 'Measure', 'Result', 'Compared with', 'Ratio / verdict'], summary), '');

  if (res.full) out.push(...fullSection('1–2. Full sync: calls, points, daily cap, and the floor', res.full, { airbyte: true }));

  if (res.incremental) {
    const inc = res.incremental.r;
    out.push('## 3. Incremental syncs', '');
    out.push(
      '**What:** incremental syncs on the database of a full sync, first with nothing changed, then after changes made through the simulator\'s control surface ' +
        'as people would make them (a status change on a status board, a move between stage groups on a group board, a new update), spread evenly over the items. ' +
        '**How:** calls and points by operation from the proxy; the script then reads the database to check that every change landed (the stage, its transition ' +
        'from the log, the update). **Compared with:** §7.2\'s incremental model (the boards\' activity logs since the last sync, then the changed items by id, ' +
        '≤ 100 a call: "about 1–20 + 2 calls"), taken here as 1 call that says which boards changed + 1 log page per changed board + ⌈changed items ÷ 100⌉; ' +
        'and the target of at most one call a board when nothing changed.',
      '',
    );
    out.push(table(['Scenario', 'Changes', 'Calls', 'Calls a board', '§7.2 model', 'Ratio', 'Points', 'Wall', 'Landed'], inc.scenarios.map((sc) => [sc.name, sc.changes, `**${fmt(sc.r.calls)}**`, fmt2(sc.r.calls / sc.boards), fmt(sc.model), `${fmt2(sc.r.calls / sc.model)}×`, mpts(sc.r.points), secs(sc.r.wallMs), sc.landed])));
    out.push('');
    const ops = [...new Set(inc.scenarios.flatMap((sc) => Object.keys(sc.r.byOperation)))].sort();
    out.push(table(['Operation', ...inc.scenarios.map((sc) => sc.name), 'Why'], ops.map((op) => [`\`${op}\``, ...inc.scenarios.map((sc) => `${fmt(sc.r.byOperation[op] ?? 0)} (${mpts(sc.r.pointsByOperation[op] ?? 0)})`), WHY[op] ?? ''])));
    out.push('');
  }

  if (res.full) out.push(...analysis(res.full.r, res.incremental?.r ?? null));

  if (res.oneboard) out.push(...fullSection(`4. One board of ${fmt(res.oneboard.r.stats.items)} items`, res.oneboard, { airbyte: false }));

  if (res.budget) {
    const b = res.budget.r;
    out.push('## 5. A full sync under the complexity budget', '');
    out.push(
      `**What:** a full sync of ${fmt(b.stats.items)} items on ${b.stats.boards} boards (same shape) with the simulator enforcing ${mpts(b.pointsPerMinute)} points per minute ` +
        `per token and ${b.rate} requests per minute, and the connection configured with the same figures. **How:** wall time from \`startSync\` to the result; the ` +
        `simulator counts the answers that said wait and the requests that came back early. **Compared with:** the floor max(points ÷ budget, calls ÷ rate); monday's ` +
        'budget restores itself a minute after the window\'s first charge, so a sync can finish up to one window earlier than the continuous floor: (⌈points ÷ budget⌉ − 1) minutes is the lowest possible.',
      '',
    );
    out.push(table(['Measure', 'Value'], [
      ['Calls / points', `${fmt(b.r.calls)} / ${fmt(b.r.points)}`],
      ['Floor: points ÷ budget, calls ÷ rate', `${secs((b.r.points / b.pointsPerMinute) * 60_000)}, ${secs((b.r.calls / b.rate) * 60_000)}`],
      ['Lowest possible with fixed windows', secs(b.windowFloorMs)],
      ['Wall time', secs(b.r.wallMs)],
      ['Wall ÷ floor', fmt2(b.r.wallMs / b.floorMs)],
      ['Peak points / calls in any 60 s', `${fmt(b.r.peakPointsPerMinute)} / ${fmt(b.r.peakCallsPerMinute)}`],
      ['Answers that said wait (429, budget exhausted) / early retries', `${fmt(b.r.rateLimited)} / ${fmt(b.r.earlyRetries)}`],
      ['Error codes', Object.entries(b.r.byCode).map(([k, v]) => `${k} × ${v}`).join(', ') || 'none'],
    ]));
    out.push('');
    out.push(table(['Operation', 'Calls', 'Points', 'Share of points', 'Simulator time'], opRows(b.r)));
    out.push('');
    if (b.r.peakPointsPerMinute > b.pointsPerMinute) {
      out.push(
        `The peak row is above the budget: a sliding 60 s can hold the end of one window and the start of the next (the budget restarts with the first ` +
          `charge after a reset), and the client spends what each answer says is left, no more (${fmt(b.r.rateLimited)} answers said wait).`,
        '',
      );
    }
  }

  // Problems
  const all: [string, Findings | undefined][] = [
    ['full', res.full?.r.findings], ['incremental', res.incremental?.r.findings], ['oneboard', res.oneboard?.r.findings], ['budget', res.budget?.r.findings],
  ];
  const problems = all.flatMap(([k, f]) => (f?.problems ?? []).map((p) => `${k}: ${p}`));
  const missed = all.flatMap(([k, f]) => (f?.missed ?? []).map((p) => `${k}: ${p}`));
  out.push('## Problems', '');
  out.push(problems.length ? problems.map((p) => `- ${p}`).join('\n') : 'None: every count the script checks agreed, and every change landed.');
  out.push('', 'Targets not met (reported only; they never fail the run):', '');
  out.push(missed.length ? missed.map((p) => `- ${p}`).join('\n') : '- none');
  out.push('');
  if (!opts.forDocs) out.push(`(${[...Object.keys(res)].join(', ')} run; whole run ${minsec(performance.now() - benchStart)})`, '');
  return `${out.join('\n')}\n`;
}

// ------------------------------------------------------------------------------------ --write

const DOC = join(repoRoot, 'docs', 'BENCHMARKS-monday.md');
const INDEX = join(repoRoot, 'docs', 'BENCHMARKS.md');
const DATA_MARK = '<!-- monday-bench-data ';
const INDEX_HEADING = '## monday.com';

/** The figures of the previous --write, kept in a comment at the end of the document. */
function previousResults(): Results {
  if (!existsSync(DOC)) return {};
  const text = readFileSync(DOC, 'utf8');
  const at = text.lastIndexOf(DATA_MARK);
  if (at < 0) return {};
  const end = text.indexOf(' -->', at);
  try {
    return JSON.parse(text.slice(at + DATA_MARK.length, end)) as Results;
  } catch {
    progress('the figures kept in docs/BENCHMARKS-monday.md could not be read; writing this run\'s sections only');
    return {};
  }
}

/** The monday.com section of docs/BENCHMARKS.md: where the report is, and the headline figures. */
function indexSection(res: Results): string {
  const lines = [
    INDEX_HEADING,
    '',
    'The monday.com sync has its own benchmark, `npm run bench:monday` (`test/bench/monday.bench.ts`): full-sync calls and complexity points against',
    '§7.2\'s minimum and the Airbyte pattern, the daily call cap, incremental syncs, one large board, and a full sync under the complexity budget.',
    'Results in [BENCHMARKS-monday.md](BENCHMARKS-monday.md). (This section is rewritten by `npm run bench:monday -- --write`.)',
  ];
  const heads: string[] = [];
  if (res.full) {
    const { stats: s, r, dailyCap } = res.full.r;
    const fl = floors(r);
    heads.push(
      `full sync of **${fmt(s.items)} items on ${s.boards} boards** (${s.updatesPerItem} updates and ${s.filesPerItem} file each): **${fmt(r.calls)} calls** against R_min ${fmt(s.rMin)} ` +
        `(η_calls ${fmt3(s.rMin / r.calls)}; ${fmt(s.rMinStageline.total)} with the stage and decision history and the users Stageline also reads), the Airbyte pattern ${fmt(s.airbyte.total)}; ` +
        `${mpts(r.points)} complexity points, so the floor at a personal token's 10M/min is **${minsec(fl.floorMs)}** (complexity-bound; the calls alone at 250/min: ${minsec(fl.callsMs)}); ` +
        `it fits a ${fmt(dailyCap)}-call day ${fmt(Math.floor(dailyCap / Math.max(1, r.dailyCalls)))} times; ${secs(r.wallMs)} at the simulator's speed, of which PostgreSQL transactions ${secs(r.db.transactionMs)}`,
    );
  }
  if (res.incremental) {
    const [none, delta] = res.incremental.r.scenarios;
    if (none) heads.push(`incremental with nothing changed: **${callsOf(none.r.calls)}** for ${none.boards} boards`);
    if (delta) heads.push(`after ${delta.name}: **${callsOf(delta.r.calls)}**`);
  }
  if (res.oneboard) heads.push(`one board of ${fmt(res.oneboard.r.stats.items)}: ${fmt(res.oneboard.r.r.calls)} calls`);
  if (res.budget) heads.push(`under a ${mpts(res.budget.r.pointsPerMinute)}/min budget, ${fmt(res.budget.r.stats.items)} items took ${fmt2(res.budget.r.r.wallMs / res.budget.r.floorMs)}× the floor`);
  const date = (res.full ?? res.incremental ?? res.oneboard ?? res.budget)?.run.machine.date.slice(0, 10) ?? '';
  if (heads.length) lines.push('', `Headline figures (${date}, this 2-core machine, shared): ${heads.join('; ')}.`);
  return `${lines.join('\n')}\n`;
}

function writeDocs(res: Results): void {
  const json = JSON.stringify(res).replace(/--/g, '-\\u002d'); // no "--" inside an HTML comment
  mkdirSync(join(repoRoot, 'docs'), { recursive: true });
  writeFileSync(DOC, `${report(res, { forDocs: true })}\n${DATA_MARK}${json} -->\n`);
  progress(`wrote ${DOC}`);
  const index = existsSync(INDEX) ? readFileSync(INDEX, 'utf8') : '';
  const section = indexSection(res);
  const at = index.indexOf(`\n${INDEX_HEADING}\n`);
  if (at < 0) writeFileSync(INDEX, `${index.replace(/\n*$/, '\n')}\n${section}`);
  else {
    const next = index.indexOf('\n## ', at + 1);
    writeFileSync(INDEX, `${index.slice(0, at + 1)}${section}${next < 0 ? '' : index.slice(next)}`);
  }
  progress(`wrote the "monday.com" section of ${INDEX}`);
}

// ------------------------------------------------------------------------------------ main

async function main(): Promise<void> {
  const o = parseOptions(process.argv.slice(2));
  progress(`sections: ${[...o.only].join(', ')}; ${fmt(o.items)} items on ${o.boards} boards, ${o.updates} updates and ${o.files} files each (seed ${o.seed})`);
  const baseUrl = defaultDatabaseUrl();
  await ensurePostgres(baseUrl, { log: progress });
  progress(`postgres: ${redactUrl(baseUrl)}`);

  const temporalBin = await findOrBuildTemporal({ log: progress });
  const root = join(repoRoot, '.stageline', 'bench-temporal');
  pruneStaleRuns(root);
  const dataDir = join(root, String(process.pid));
  mkdirSync(dataDir, { recursive: true });
  onCleanup('temporal data', async () => rmSync(dataDir, { recursive: true, force: true }));
  const temporal = await startTemporalDevServer({ executable: temporalBin, dataDir, log: progress });
  temporalPid = findTemporalPid(dataDir);
  onCleanup('temporal dev server', () => temporal.stop());
  const client = await connectClient(temporal.address);
  onCleanup('temporal client', () => client.connection.close());

  const machine = await machineFacts(baseUrl, temporalBin, 'stageline-bench-monday');
  const info = (): RunInfo => ({ machine, wholeRunMs: 0 });
  const results: Results = {};
  // A 1,000-call day is the Standard plan's (and Basic's); any other cap goes on a Pro connection as
  // `daily_call_cap` (the free plan would also cut the complexity budget to 1M a minute). The budget is
  // "unlimited" at 2,000M a minute: `Complexity.before` is an Int in monday's schema, so a larger one
  // cannot be reported (the simulator answered 1e12 with a serialization error).
  const plan = o.dailyCap === DAILY_CALLS.standard ? 'standard' : 'pro';
  const capped = { simLimits: { complexityPerMinute: 2_000_000_000, dailyLimit: o.dailyCap }, plan, dailyCap: plan === 'pro' ? o.dailyCap : null, rate: 100_000, complexityPerMinute: null };

  if (o.only.has('full') || o.only.has('incremental')) {
    const rig = await startRig({ label: 'main', items: o.items, boards: o.boards, seed: o.seed, updates: o.updates, files: o.files, ...capped, baseUrl, temporal, client });
    const full = await fullSync(rig, { dailyCap: o.dailyCap, plan });
    if (o.only.has('full')) results.full = { run: info(), r: full };
    else if (full.findings.problems.length) progress(`the full sync (setup here, section full not selected) had ${full.findings.problems.length} problem(s); rerun with --only full`);
    if (o.only.has('incremental')) results.incremental = { run: info(), r: await incremental(rig, { statusChanges: 50, newUpdates: 20 }) };
    await rig.close();
  }

  if (o.only.has('oneboard')) {
    const rig = await startRig({ label: 'oneboard', items: o.items, boards: 1, seed: o.seed, updates: o.updates, files: o.files, ...capped, baseUrl, temporal, client });
    results.oneboard = { run: info(), r: await fullSync(rig, { dailyCap: o.dailyCap, plan }) };
    await rig.close();
  }

  if (o.only.has('budget')) {
    const f = findings();
    const rig = await startRig({
      label: 'budget', items: o.budgetItems, boards: o.budgetBoards, seed: o.seed, updates: o.updates, files: o.files,
      simLimits: { complexityPerMinute: o.budgetPoints, rateLimitPerMinute: o.budgetRate }, plan: 'pro', dailyCap: null, rate: o.budgetRate,
      complexityPerMinute: o.budgetPoints === PERSONAL_POINTS ? null : o.budgetPoints, baseUrl, temporal, client,
    });
    progress(`budget: full sync of ${fmt(rig.stats.items)} items at ${mpts(o.budgetPoints)} points and ${o.budgetRate} requests a minute`);
    const run = await rig.sync('full');
    const r = figuresOf(run);
    checkRun(f, 'budget-limited full sync', run, r);
    await checkLanded(f, 'budget-limited full sync', rig);
    check(f, r.earlyRetries === 0, `budget-limited full sync: ${r.earlyRetries} requests came back before the wait they were told`);
    target(f, r.rateLimited === 0, `budget-limited full sync: ${r.rateLimited} answers said wait (target 0: the client paces itself from each answer's complexity)`);
    const fl = floors(r, o.budgetPoints, o.budgetRate);
    const windowFloorMs = Math.max(0, Math.ceil(r.points / o.budgetPoints) - 1) * 60_000;
    target(f, r.wallMs <= fl.floorMs * 1.1 || r.wallMs <= windowFloorMs + 30_000, `budget-limited full sync took ${fmt2(r.wallMs / fl.floorMs)}× the floor (target ≤ 1.10)`);
    progress(`budget: ${secs(r.wallMs)}, floor ${secs(fl.floorMs)}, ${r.rateLimited} waits told`);
    results.budget = { run: info(), r: { stats: rig.stats, r, pointsPerMinute: o.budgetPoints, rate: o.budgetRate, floorMs: fl.floorMs, windowFloorMs, findings: f } };
    await rig.close();
  }

  const wholeRunMs = performance.now() - benchStart;
  for (const x of [results.full, results.incremental, results.oneboard, results.budget]) if (x) x.run.wholeRunMs = wholeRunMs;
  const md = report(results, { forDocs: false });
  await new Promise<void>((done) => process.stdout.write(md, () => done()));
  if (o.write) writeDocs({ ...previousResults(), ...results });
  const problems = [results.full, results.incremental, results.oneboard, results.budget].reduce((n, x) => n + (x?.r.findings.problems.length ?? 0), 0);
  if (problems) {
    progress(`${problems} problem(s); see the "Problems" section`);
    process.exitCode = 1;
  }
}

/** Data folders of earlier runs whose process is gone (killed before it could clean up). */
function pruneStaleRuns(root: string): void {
  let names: string[];
  try {
    names = readdirSync(root);
  } catch {
    return;
  }
  for (const name of names) {
    if (!/^\d+$/.test(name) || Number(name) === process.pid) continue;
    try {
      process.kill(Number(name), 0);
    } catch (err) {
      if ((err as { code?: string }).code === 'ESRCH') rmSync(join(root, name), { recursive: true, force: true });
    }
  }
}

let interrupted = false;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    if (interrupted) return;
    interrupted = true;
    progress(`${signal}: stopping everything this run started`);
    void cleanupAll().finally(() => process.exit(130));
  });
}

try {
  await main();
} catch (err) {
  progress(`failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
  process.exitCode = 1;
} finally {
  await cleanupAll();
}
// Native connections and pools are closed above; anything else left (a stray timer) must not keep the process alive.
process.exit(process.exitCode ?? 0);
