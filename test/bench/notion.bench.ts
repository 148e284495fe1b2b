// Benchmarks of the Notion sync against the limits of engineering-facts §7.3 (a plain tsx script, not
// a vitest test: timings never decide a test's outcome). The Notion counterpart of monday.bench.ts.
//
//   npm run bench:notion                              # every section; report on stdout (≈ 7 min on 2 cores)
//   npm run bench:notion -- --write                   # … and docs/BENCHMARKS-notion.md (+ its section in docs/BENCHMARKS.md)
//   npm run bench:notion -- --only full,incremental   # sections: full, incremental, onesource, large, writeback
//   npm run bench:notion -- --pages 2000 --rate 30
//
// It starts everything it needs and stops it again, also on failure or Ctrl-C: throwaway databases on
// the local PostgreSQL (migrated with migrate()), a Temporal dev server with its data under
// .stageline/bench-temporal/<pid>/, Notion simulators serving the shared agency as a Notion workspace
// (`generateNotion`: a database of one data source per campaign, or fewer, larger ones; an archive data
// source of any size), and an in-process worker per simulator on its own task queue. The sync is the
// product's: `startSync` → the `connectionSync` workflow → the Notion activities (activities/notion.ts).
//
// Calls are counted twice: by the simulator (every request it answered, by endpoint) and by the sync run
// (`ops.sync_runs.api_calls`, the client's own counter); the script fails if they differ. Every run is
// then checked against the simulator's truth (assets, comments, versions stored; nothing rejected).
// Checks that fail are listed under "Problems" and make the exit code 1; targets (≤ 1 call per data
// source with nothing changed, no 429 at the scaled rate) are reported only.
//
// docs/BENCHMARKS.md belongs to asana.bench.ts; --write here writes docs/BENCHMARKS-notion.md and
// replaces (or appends) the "Notion" section of docs/BENCHMARKS.md with this run's headline. The measured
// figures are kept in a comment at the end of BENCHMARKS-notion.md, so a later `--only x --write`
// replaces section x and keeps the others.
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import type { Client } from '@temporalio/client';
import type { NativeConnection, Worker } from '@temporalio/worker';
import type { SyncTotals } from '../../activities';
import type { ActivityDeps } from '../../activities/context';
import { defaultDatabaseUrl, ensurePostgres, redactUrl } from '../../activities/db/postgres';
import { generateAgency, type GeneratedAgency } from '../../connectors/asana/simulator';
import { LimiterRegistry } from '../../connectors/limiter';
import { INLINE_LIST_CAP, QUERY_ROW_CAP } from '../../connectors/notion/manifest';
import { createNotionSimulator, generateNotion, SIM_DEFAULT_TOKEN, type CallStats, type GeneratedNotion, type NotionSimulator } from '../../connectors/notion/simulator';
import { parseConfig, type NotionConnectionConfig, type StagelineConfig } from '../../mapping/config';
import { createWorker } from '../../worker';
import { connectClient, startSync, waitForSync } from '../../worker/orchestration';
import { findOrBuildTemporal, startTemporalDevServer, type TemporalDevServer } from '../../worker/temporal-dev-server';
import { benchKit, cpuDelta, cpuSnapshot, dbClock, dbDelta, findings, freshDatabase, type Db, type DbClock, type Findings } from './kit';
import { machineFacts, type Machine, intOption, onlySections } from './machine';

// ------------------------------------------------------------------------------------------ options

const SECTIONS = ['full', 'incremental', 'onesource', 'large', 'writeback'] as const;
type Section = (typeof SECTIONS)[number];

const USAGE = `Usage: tsx test/bench/notion.bench.ts [--pages N] [--sources P] [--comments C] [--rate R] [--large N]
                 [--writeback-pages N] [--seed S] [--only a,b] [--write]
  --pages N            asset pages of the reference workspace (default 10000; a few are in the trash, as generated)
  --sources P          data sources they are spread over, evenly (default 10: 1,000 each)
  --comments C         unresolved comments every live page is topped up to, at least (default 5, §7's C)
  --rate R             requests per second of the rate-limited full sync, simulator and connection alike
                       (default 60: 20 × Notion's 3 requests/s)
  --large N            pages of the one large data source (default 25000)
  --writeback-pages N  pages of the write-back run (default 500)
  --seed S             generator seed (default 42)
  --only a,b           sections to run: ${SECTIONS.join(', ')} (default all); incremental runs the full sync first
  --write              also write docs/BENCHMARKS-notion.md and the Notion section of docs/BENCHMARKS.md
  --render             run nothing: rewrite both from the figures kept in docs/BENCHMARKS-notion.md (after a change of wording)`;

interface Options {
  pages: number;
  sources: number;
  comments: number;
  rate: number;
  large: number;
  writebackPages: number;
  seed: number;
  only: Set<Section>;
  write: boolean;
  render: boolean;
}

function parseOptions(argv: string[]): Options {
  const { values } = parseArgs({
    args: argv,
    options: {
      pages: { type: 'string' },
      sources: { type: 'string' },
      comments: { type: 'string' },
      rate: { type: 'string' },
      large: { type: 'string' },
      'writeback-pages': { type: 'string' },
      seed: { type: 'string' },
      only: { type: 'string' },
      write: { type: 'boolean' },
      render: { type: 'boolean' },
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
    pages: int('pages', values.pages, 10_000, 100),
    sources: int('sources', values.sources, 10, 1),
    comments: int('comments', values.comments, 5, 0),
    rate: int('rate', values.rate, 60, 1),
    large: int('large', values.large, 25_000, 100),
    writebackPages: int('writeback-pages', values['writeback-pages'], 500, 50),
    seed: int('seed', values.seed, 42, 0),
    only: onlySections(values.only, SECTIONS),
    write: values.write ?? false,
    render: values.render ?? false,
  };
  if (o.pages % o.sources !== 0) throw new Error(`--pages: ${o.pages} pages do not spread evenly over ${o.sources} data sources\n${USAGE}`);
  if (o.pages > 100_000 || o.large > 200_000) throw new Error(`--pages: at most 100,000 (the agency generator's range); --large: at most 200,000 (generateNotion's bulkPages)\n${USAGE}`);
  if (o.comments > 100) throw new Error(`--comments: at most 100 (one comments page; more would need a second call per page)\n${USAGE}`);
  if (o.rate > 1_000) throw new Error(`--rate: at most 1,000 requests/s (the connection's rate_limit_per_minute stops at 100,000 a minute)\n${USAGE}`);
  return o;
}

// --------------------------------------------------------------------------- logging and cleanup

const repoRoot = fileURLToPath(new URL('../..', import.meta.url));
const kit = benchKit('notion');
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
  if (s < 90) return `${fmt1(s)} s`;
  if (s < 5_400) return `${Math.floor(s / 60)} min ${fmt(s % 60)} s`;
  return `${Math.floor(s / 3600)} h ${fmt((s % 3600) / 60)} min`;
};
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

/** Notion's documented average: 3 requests per second per integration (vendor-apis §3.7 [D]). */
const NOTION_RATE = 3;
const MINUTE = 60_000;
const DAY = 24 * 60 * MINUTE;

/** What the synced data sources hold when the sync starts, counted from the simulator's dataset. */
interface DatasetStats {
  label: string;
  seed: number;
  databases: number;
  dataSources: number;
  /** Live pages per synced data source. */
  pagesPerSource: number[];
  pages: number;
  trashed: number;
  /** Unresolved comments (what GET /v1/comments lists), resolved ones (what it does not), pages without one. */
  comments: number;
  resolvedComments: number;
  pagesWithoutComments: number;
  maxComments: number;
  /** Comments added through the simulator's control surface to reach `--comments` per page. */
  commentsAdded: number;
  /** File objects in the Files property (hosted uploads and external links), served inline. */
  files: number;
  /** Pages whose title, rich-text, people or relation values are longer than the inline cap. */
  pagesWithCutLists: number;
  people: number;
  /** engineering-facts §7.3: Σ ⌈N_ds/100⌉ (a query counts at least 1) + N comment calls. */
  rMin: { queries: number; comments: number; total: number };
}

/** The simulator's own records of the synced data sources (its dataset, before the sync reads them). */
function datasetStats(label: string, seed: number, sim: NotionSimulator, sourceIds: string[], commentsAdded: number): DatasetStats {
  const ds = sim.control.dataset;
  const sources = sourceIds.map((id) => ds.dataSourcesById.get(id)!);
  const all = sources.flatMap((s) => s.pages);
  const live = all.filter((p) => !p.inTrash);
  const unresolved = live.map((p) => p.comments.filter((c) => !c.resolved).length);
  let files = 0;
  let cut = 0;
  const people = new Set<string>();
  for (const p of live) {
    let long = false;
    for (const v of p.values.values()) {
      if (v.t === 'files') files += v.files.length;
      if ((v.t === 'people' && v.userIds.length > INLINE_LIST_CAP) || (v.t === 'relation' && v.pageIds.length > INLINE_LIST_CAP) || ((v.t === 'title' || v.t === 'rich_text') && v.items.length > INLINE_LIST_CAP)) long = true;
      if (v.t === 'people') for (const u of v.userIds) people.add(u);
    }
    if (long) cut++;
    people.add(p.createdBy.id).add(p.lastEditedBy.id);
    for (const c of p.comments) if (!c.resolved) people.add(c.author.id);
  }
  const pagesPerSource = sources.map((s) => s.pages.filter((p) => !p.inTrash).length);
  const queries = sum(pagesPerSource.map((n) => Math.max(1, Math.ceil(n / 100))));
  return {
    label,
    seed,
    databases: new Set(sources.map((s) => s.database.id)).size,
    dataSources: sources.length,
    pagesPerSource,
    pages: live.length,
    trashed: all.length - live.length,
    comments: sum(unresolved),
    resolvedComments: sum(live.map((p) => p.comments.filter((c) => c.resolved).length)),
    pagesWithoutComments: unresolved.filter((n) => n === 0).length,
    maxComments: Math.max(0, ...unresolved),
    commentsAdded,
    files,
    pagesWithCutLists: cut,
    people: people.size,
    rMin: { queries, comments: live.length, total: queries + live.length },
  };
}

// ------------------------------------------------------------------------ the database and its clock

// ------------------------------------------------------------------------------------------ the rig

const quietLog = { info: () => undefined, warn: (m: string) => progress(`worker warn: ${m}`), error: (m: string) => progress(`worker error: ${m}`) };

/** People with the roles the write-back rules ask for, by email (as stageline.yaml names them). */
function peopleYaml(agency: GeneratedAgency): string {
  const lines = agency.dataset.users
    .filter((u) => u.role === 'creative_director' || u.role === 'client_reviewer')
    .map((u) => `  - { email: ${u.email}, roles: [${u.role === 'creative_director' ? 'creative_director' : 'client'}] }`);
  return `people:\n${lines.join('\n')}`;
}

/** The rules of the write-back run: enforced on the Notion connection, metrics written back (as the write-back integration test has them). */
function rulesYaml(agency: GeneratedAgency, connectionId: string): string {
  return `${peopleYaml(agency)}
enforcement:
  mode: preview
  ops_status_field: Ops status
  connections: { ${connectionId}: enforce }
  metrics: { enabled: true }
rules:
  - id: client-approval-before-delivery
    kind: approval_gate
    before: delivered
    require: { client: [approved, approved_with_changes] }
    action: comment
  - id: cd-signoff-before-approved
    kind: approval_gate
    before: approved
    require: { creative_director: [approved] }
    action: comment
  - id: scope-creep
    kind: revision_cap
    max_rounds: 1
    action: comment
`;
}

function configFor(o: { connectionId: string; baseUrl: string; notion: GeneratedNotion; databaseIds: string[]; ratePerMinute: number; concurrency: number; rules: string | null }): StagelineConfig {
  const ds = o.notion.dataset;
  const stage = o.databaseIds
    .map((id) => {
      const source = ds.databasesById.get(id)!.dataSources[0]!;
      const options = source.properties.find((p) => p.name === 'Stage')!.options.map((x) => x.name);
      const map = options.map((name) => `"${name}": ${o.notion.truth.defaultStageMap[name]}`).join(', ');
      return `      "${id}": { property: Stage, map: { ${map} } }`;
    })
    .join('\n');
  const yaml = `
version: 1
workspace: { name: Bench agency, timezone: UTC }
connections:
  - id: ${o.connectionId}
    vendor: notion
    token: \${NOTION_TOKEN}
    base_url: ${o.baseUrl}
    databases: [${o.databaseIds.map((d) => `"${d}"`).join(', ')}]
    rate_limit_per_minute: ${o.ratePerMinute}
    max_concurrency: ${o.concurrency}
    stage:
${stage}
${o.rules ? `\n${o.rules}` : ''}`;
  return parseConfig(yaml, { NOTION_TOKEN: SIM_DEFAULT_TOKEN }, 'bench config');
}

interface SyncRun {
  mode: 'full' | 'incremental';
  totals: SyncTotals;
  wallMs: number;
  cpu: { nodeMs: number; pgMs: number };
  db: DbClock;
  calls: CallStats;
}

interface Rig {
  label: string;
  notion: GeneratedNotion;
  stats: DatasetStats;
  sim: NotionSimulator;
  db: Db;
  connectionId: string;
  sourceIds: string[];
  sync(mode: 'full' | 'incremental'): Promise<SyncRun>;
  /** The connection's `trash_check` for the syncs that follow. */
  setTrashCheck(mode: NotionConnectionConfig['trash_check']): void;
  close(): Promise<void>;
}

const TOP_UP_TEXTS = ['Can we tighten the headline?', 'Logo needs more clear space.', 'Client prefers the warmer palette.', 'Please export at 2x as well.', 'Copy approved by legal.'];

async function startRig(o: {
  label: string;
  tasks: number;
  projects: number;
  databases: number;
  bulkPages: number;
  /** Which data sources the connection syncs: the campaign assets, or the archive alone. */
  role: 'assets' | 'bulk';
  seed: number;
  /** Unresolved comments every live synced page is topped up to (0: as generated). */
  comments: number;
  /** Requests per second the simulator admits (bursts of 10), or null for unlimited. */
  simRate: number | null;
  ratePerMinute: number;
  concurrency: number;
  rules: boolean;
  baseUrl: string;
  temporal: TemporalDevServer;
  client: Client;
}): Promise<Rig> {
  const t0 = performance.now();
  const agency = generateAgency({ seed: o.seed, tasks: o.tasks, projects: o.projects });
  const notion = generateNotion({ seed: o.seed, agency, databases: o.databases, bulkPages: o.bulkPages });
  // Comments topped up are dated a day back (the simulator's clock, during the top-up only): a page the
  // top-up touched must not look edited since the full sync to the incremental windows that follow it.
  let clockOffset = DAY;
  const sim = createNotionSimulator({ notion, rateLimit: o.simRate === null ? null : { perSecond: o.simRate, burst: 10 }, clock: () => Date.now() - clockOffset });
  const sourceIds = sim.control.dataSourceIds(o.role);
  let added = 0;
  if (o.comments > 0) {
    for (const id of sourceIds) {
      for (const p of sim.control.dataset.dataSourcesById.get(id)!.pages) {
        if (p.inTrash) continue;
        for (let n = p.comments.filter((c) => !c.resolved).length; n < o.comments; n++) {
          sim.control.addComment(p.id, TOP_UP_TEXTS[added % TOP_UP_TEXTS.length]!);
          added++;
        }
      }
    }
  }
  clockOffset = 0;
  const stats = datasetStats(o.label, o.seed, sim, sourceIds, added);
  progress(`${o.label}: generated ${fmt(stats.pages)} live pages in ${stats.dataSources} data sources (${fmt(stats.comments)} unresolved comments, ${fmt(added)} of them topped up; ${fmt(stats.files)} files) in ${secs(performance.now() - t0)}`);
  const started = await sim.start(0);
  const stopSim = onCleanup(`${o.label} simulator`, () => sim.stop());
  const clock = dbClock();
  const db = await freshDatabase(kit, { baseUrl: o.baseUrl, bench: 'notion', label: o.label, clock });
  const connectionId = `bench-${o.label}-${randomBytes(3).toString('hex')}`;
  const databaseIds = [...new Set(sourceIds.map((id) => sim.control.dataset.dataSourcesById.get(id)!.database.id))];
  let config = configFor({ connectionId, baseUrl: started.baseUrl, notion, databaseIds, ratePerMinute: o.ratePerMinute, concurrency: o.concurrency, rules: o.rules ? rulesYaml(agency, connectionId) : null });
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
  progress(`${o.label}: simulator on ${started.baseUrl}, worker on task queue ${taskQueue} (ready in ${secs(performance.now() - t0)})`);

  return {
    label: o.label, notion, stats, sim, db, connectionId, sourceIds,
    setTrashCheck(mode) {
      config = { ...config, connections: config.connections.map((c) => (c.id === connectionId ? { ...c, trash_check: mode } : c)) } as StagelineConfig;
    },
    async sync(mode) {
      sim.control.resetCalls();
      const clock0 = { ...clock };
      const cpu0 = await cpuSnapshot(db.pool, db.name);
      const t = performance.now();
      const handle = await startSync(o.client, { connectionId, mode }, taskQueue);
      let last = 0;
      const totals = await waitForSync(handle, (p) => {
        if (performance.now() - last < 15_000) return;
        last = performance.now();
        progress(`${o.label} ${mode} sync: data source ${Math.min(p.scopeIndex + 1, p.scopes)}/${p.scopes}, ${fmt(p.tasks)} pages, ${fmt(sim.control.calls().total)} API calls, ${secs(performance.now() - t)}`);
      }, 1_000);
      const wallMs = performance.now() - t;
      const cpu = cpuDelta(cpu0, await cpuSnapshot(db.pool, db.name));
      return { mode, totals, wallMs, cpu, db: dbDelta(clock0, clock), calls: sim.control.calls() };
    },
    async close() {
      await stopWorker();
      await stopSim();
      await db.drop();
    },
  };
}

// --------------------------------------------------------------------------------- measured figures

/** A run's figures: calls by endpoint (the simulator's names, `/v1` dropped), time, database, CPU. */
interface RunFigures {
  wallMs: number;
  calls: number;
  byEndpoint: Record<string, number>;
  rateLimited: number;
  earlyRetries: number;
  byCode: Record<string, number>;
  cpu: { nodeMs: number; pgMs: number };
  db: DbClock;
  counts: Record<string, number>;
  status: string;
}

const short = (endpoint: string): string => endpoint.replace(' /v1/', ' /');
const QUERY = 'POST /data_sources/{id}/query';
const COMMENTS = 'GET /comments';

function figuresOf(run: SyncRun): RunFigures {
  const byEndpoint: Record<string, number> = {};
  for (const [k, v] of Object.entries(run.calls.byEndpoint)) byEndpoint[short(k)] = (byEndpoint[short(k)] ?? 0) + v;
  return {
    wallMs: run.wallMs, calls: run.calls.total, byEndpoint, rateLimited: run.calls.rateLimited, earlyRetries: run.calls.earlyRetries, byCode: run.calls.byCode,
    cpu: run.cpu, db: run.db, counts: run.totals.counts, status: run.totals.status,
  };
}

/** The checks every run passes: it succeeded, and the sync run counted the calls the simulator answered. */
function checkRun(f: Findings, what: string, run: SyncRun, r: RunFigures): void {
  check(f, run.totals.status === 'succeeded', `${what}: status ${run.totals.status}`);
  const runCalls = sum(Object.values(run.totals.apiCalls));
  check(f, runCalls === r.calls, `${what}: the sync run counted ${fmt(runCalls)} API calls, the simulator answered ${fmt(r.calls)}`);
  check(f, r.earlyRetries === 0, `${what}: ${r.earlyRetries} requests came back before the Retry-After they were told`);
}

async function countOf(rig: Rig, sql: string, params: unknown[] = []): Promise<number> {
  const { rows } = await rig.db.pool.query<{ n: string }>(sql, [rig.connectionId, ...params]);
  return Number(rows[0]?.n ?? 0);
}

/** What a full sync must have stored: every live page once, its unresolved comments, its files; nothing rejected. */
async function checkLanded(f: Findings, what: string, rig: Rig): Promise<Record<string, { stored: number; expected: number }>> {
  const s = rig.stats;
  const landed: Record<string, { stored: number; expected: number }> = {
    'assets (live pages)': { stored: await countOf(rig, 'SELECT count(*) AS n FROM core.assets WHERE connection_id = $1 AND deleted_at IS NULL'), expected: s.pages },
    'distinct pages linked': { stored: await countOf(rig, "SELECT count(DISTINCT external_id) AS n FROM core.asset_links WHERE connection_id = $1 AND kind = 'notion_page' AND deleted_at IS NULL"), expected: s.pages },
    'comments (unresolved)': { stored: await countOf(rig, 'SELECT count(*) AS n FROM core.comments WHERE connection_id = $1 AND deleted_at IS NULL'), expected: s.comments },
    'rejected records': { stored: await countOf(rig, 'SELECT count(*) AS n FROM ops.rejected_records WHERE connection_id = $1'), expected: 0 },
  };
  for (const [k, v] of Object.entries(landed)) check(f, v.stored === v.expected, `${what}: ${fmt(v.stored)} ${k} stored, the simulator holds ${fmt(v.expected)}`);
  return landed;
}

// ------------------------------------------------------------------------------------ the sections

interface FullResult {
  stats: DatasetStats;
  r: RunFigures;
  /** Requests per second of simulator and connection, or null when unlimited. */
  rate: number | null;
  landed: Record<string, { stored: number; expected: number }>;
  /** created_time windows the walk of the rows took (1 below the 10,000-row cap). */
  windows: number;
  /** Pages drained by the run (a page drained twice would show here). */
  drained: number;
  findings: Findings;
}

async function fullSync(rig: Rig, rate: number | null): Promise<FullResult> {
  const f = findings();
  progress(`${rig.label}: full sync of ${fmt(rig.stats.pages)} pages in ${rig.stats.dataSources} data sources${rate === null ? ', simulator unlimited' : ` at ${rate} requests/s`}`);
  const run = await rig.sync('full');
  const r = figuresOf(run);
  progress(`${rig.label}: full sync ${run.totals.status} in ${secs(run.wallMs)}: ${fmt(r.calls)} calls (${JSON.stringify(r.byEndpoint)})`);
  checkRun(f, `${rig.label} full sync`, run, r);
  const s = rig.stats;
  check(f, (r.byEndpoint[COMMENTS] ?? 0) === s.pages, `${rig.label} full sync: ${fmt(r.byEndpoint[COMMENTS] ?? 0)} comment calls for ${fmt(s.pages)} live pages`);
  const windows = rig.sourceIds.length + (r.counts['notion.query_windows'] ?? 0);
  check(f, (r.byEndpoint[QUERY] ?? 0) <= s.rMin.queries + (windows - rig.sourceIds.length), `${rig.label} full sync: ${fmt(r.byEndpoint[QUERY] ?? 0)} queries, more than Σ ⌈N/100⌉ = ${fmt(s.rMin.queries)} + one per extra window`);
  const drained = r.counts.tasks ?? 0;
  check(f, drained === s.pages, `${rig.label} full sync: ${fmt(drained)} pages drained for ${fmt(s.pages)} live pages (each once)`);
  if (rate !== null) target(f, r.rateLimited === 0, `${rig.label} full sync: ${r.rateLimited} answers said wait at ${rate} requests/s (target 0: the connection paces itself at the same rate)`);
  else check(f, r.rateLimited === 0, `${rig.label} full sync: ${r.rateLimited} answers said wait with the simulator unlimited`);
  const landed = await checkLanded(f, `${rig.label} full sync`, rig);
  return { stats: s, r, rate, landed, windows, drained, findings: f };
}

interface IncrementalScenario {
  name: string;
  changes: string;
  r: RunFigures;
  sources: number;
  /** §7.3's incremental model for this change. */
  model: number;
  landed: string;
}

interface IncrementalResult {
  stats: DatasetStats;
  scenarios: IncrementalScenario[];
  findings: Findings;
}

const NEW_COMMENTS = ['Looping in the account team on this one.', 'Client asked for a quick look before Friday.', 'New copy deck in the brief.', 'Please double-check the safe areas.'];

async function incremental(rig: Rig, o: { edits: number; trashes: number; comments: number }): Promise<IncrementalResult> {
  const f = findings();
  const scenarios: IncrementalScenario[] = [];
  const c = rig.sim.control;
  const sources = rig.sourceIds.length;
  const written = (r: RunFigures): number => sum(Object.entries(r.counts).filter(([k]) => /\.(inserted|updated)$/.test(k)).map(([, v]) => v));

  {
    progress(`${rig.label}: incremental sync, nothing changed`);
    const run = await rig.sync('incremental');
    const r = figuresOf(run);
    checkRun(f, 'incremental, nothing changed', run, r);
    check(f, written(r) === 0, `incremental, nothing changed: ${fmt(written(r))} rows inserted or updated`);
    target(f, r.calls <= sources, `incremental, nothing changed: ${callsOf(r.calls)} for ${sources} data sources (${fmt2(r.calls / sources)} a data source; target ≤ 1)`);
    scenarios.push({ name: 'nothing changed', changes: '—', r, sources, model: sources, landed: `${fmt(written(r))} rows written` });
    progress(`${rig.label}: nothing changed: ${callsOf(r.calls)} (${JSON.stringify(r.byEndpoint)})`);
  }

  {
    // The same, with pages moved to the trash left to the reconciliation crawl (`trash_check: reconcile`).
    progress(`${rig.label}: incremental sync, nothing changed, trash_check: reconcile`);
    rig.setTrashCheck('reconcile');
    try {
      const run = await rig.sync('incremental');
      const r = figuresOf(run);
      checkRun(f, 'incremental, nothing changed, trash_check: reconcile', run, r);
      check(f, written(r) === 0, `incremental, nothing changed, trash_check: reconcile: ${fmt(written(r))} rows inserted or updated`);
      target(f, r.calls <= sources, `incremental, nothing changed, trash_check: reconcile: ${callsOf(r.calls)} for ${sources} data sources (target ≤ 1 a data source)`);
      scenarios.push({ name: 'nothing changed, trash_check: reconcile', changes: '—', r, sources, model: sources, landed: `${fmt(written(r))} rows written` });
      progress(`${rig.label}: nothing changed, trash_check: reconcile: ${callsOf(r.calls)} (${JSON.stringify(r.byEndpoint)})`);
    } finally {
      rig.setTrashCheck('every_sync');
    }
  }

  {
    // Δ spread evenly over the live pages of every data source: stage edits, pages thrown away, new comments; no page twice.
    const live = [...c.truth().pages.values()].filter((p) => !p.inTrash && rig.sourceIds.includes(p.dataSourceId));
    const n = o.edits + o.trashes + o.comments;
    const step = Math.max(1, Math.floor(live.length / n));
    const picked = Array.from({ length: Math.min(n, live.length) }, (_, i) => live[i * step]!);
    const stages = c.truth().stageNames;
    const edited = picked.slice(0, o.edits).map((p) => {
      const to = stages.find((s) => s !== p.stage && s !== 'Cancelled')!;
      c.setStage(p.pageId, to);
      return { pageId: p.pageId, to };
    });
    const trashed = picked.slice(o.edits, o.edits + o.trashes).map((p) => {
      c.trashPage(p.pageId);
      return p.pageId;
    });
    const commented = picked.slice(o.edits + o.trashes).map((p, i) => ({ pageId: p.pageId, commentId: c.addComment(p.pageId, NEW_COMMENTS[i % NEW_COMMENTS.length]!) }));
    const touched = new Set(picked.map((p) => p.dataSourceId));
    progress(`${rig.label}: incremental sync after ${edited.length} stage edits, ${trashed.length} pages trashed, ${commented.length} new comments on ${touched.size} data sources`);
    const run = await rig.sync('incremental');
    const r = figuresOf(run);
    checkRun(f, 'incremental after changes', run, r);
    const { rows } = await rig.db.pool.query<{ external_id: string; source_status: string | null; deleted: boolean }>(
      'SELECT external_id, source_status, deleted_at IS NOT NULL AS deleted FROM core.assets WHERE connection_id = $1 AND external_id = ANY($2::text[])',
      [rig.connectionId, picked.map((p) => p.pageId)],
    );
    const byId = new Map(rows.map((x) => [x.external_id, x]));
    const stagesLanded = edited.filter((e) => byId.get(e.pageId)?.source_status === e.to && !byId.get(e.pageId)?.deleted).length;
    const trashLanded = trashed.filter((id) => byId.get(id)?.deleted === true).length;
    const commentsLanded = await countOf(rig, 'SELECT count(*) AS n FROM core.comments WHERE connection_id = $1 AND external_id = ANY($2::text[]) AND deleted_at IS NULL', [commented.map((x) => x.commentId)]);
    check(f, stagesLanded === edited.length, `incremental after changes: ${stagesLanded} of ${edited.length} stage edits landed`);
    check(f, trashLanded === trashed.length, `incremental after changes: ${trashLanded} of ${trashed.length} trashed pages tombstoned`);
    check(f, commentsLanded === commented.length, `incremental after changes: ${commentsLanded} of ${commented.length} new comments landed`);
    // §7.3: the edited pages by a last_edited_time query, ⌈Δ_ds/100⌉ per data source (at least one each, as with nothing
    // changed), and the comments re-read of the pages that changed (an edit or a comment moves last_edited_time).
    const perSource = rig.sourceIds.map((id) => picked.filter((p) => p.dataSourceId === id && !trashed.includes(p.pageId)).length);
    const model = sum(perSource.map((k) => Math.max(1, Math.ceil(k / 100)))) + edited.length + commented.length;
    scenarios.push({
      name: `${edited.length} edited, ${trashed.length} trashed, ${commented.length} new comments`,
      changes: `${edited.length} stage edits, ${trashed.length} pages moved to the trash, ${commented.length} new comments on other pages; ${touched.size} data sources touched`,
      r, sources, model,
      landed: `stages ${stagesLanded}/${edited.length}, tombstones ${trashLanded}/${trashed.length}, comments ${commentsLanded}/${commented.length}; ${fmt(r.counts.tasks ?? 0)} pages read again, ${fmt(r.counts['notion.comment_reads'] ?? 0)} comments lists`,
    });
    progress(`${rig.label}: after changes: ${fmt(r.calls)} calls (${JSON.stringify(r.byEndpoint)})`);
  }
  return { stats: rig.stats, scenarios, findings: f };
}

interface WritebackResult {
  stats: DatasetStats;
  r: RunFigures;
  /** Pages PATCHed, and how many of them more than once. */
  pagesPatched: number;
  patchedTwice: number;
  openViolations: number;
  pagesWithViolations: number;
  commentPosts: number;
  resync: RunFigures;
  findings: Findings;
}

async function writeback(rig: Rig): Promise<WritebackResult> {
  const f = findings();
  progress(`${rig.label}: full sync with rules enforced and metrics written back (${fmt(rig.stats.pages)} pages)`);
  const run = await rig.sync('full');
  const r = figuresOf(run);
  checkRun(f, 'write-back full sync', run, r);
  const patches = new Map<string, number>();
  for (const e of rig.sim.control.callLog()) if (e.endpoint === 'PATCH /v1/pages/{id}' && e.status === 200) patches.set(e.path, (patches.get(e.path) ?? 0) + 1);
  const { rows } = await rig.db.pool.query<{ n: string; pages: string }>(
    "SELECT count(*) AS n, count(DISTINCT asset_id) AS pages FROM ops.violations WHERE connection_id = $1 AND state = 'open' AND mode = 'enforce'",
    [rig.connectionId],
  );
  const openViolations = Number(rows[0]?.n ?? 0);
  const commentPosts = r.byEndpoint['POST /comments'] ?? 0;
  check(f, patches.size === rig.stats.pages, `write-back: ${fmt(patches.size)} pages PATCHed of ${fmt(rig.stats.pages)} live pages (each gets its Ops status and metrics)`);
  const twice = [...patches.values()].filter((n) => n > 1).length;
  check(f, twice === 0, `write-back: ${twice} pages PATCHed more than once`);
  check(f, commentPosts === openViolations, `write-back: ${fmt(commentPosts)} comments posted for ${fmt(openViolations)} open violations (one each)`);
  progress(`${rig.label}: write-back: ${fmt(r.calls)} calls (${JSON.stringify(r.byEndpoint)}); resync`);
  const again = await rig.sync('incremental');
  const resync = figuresOf(again);
  checkRun(f, 'write-back resync', again, resync);
  const writes = Object.entries(resync.byEndpoint).filter(([k]) => !k.startsWith('GET ') && k !== QUERY);
  check(f, writes.length === 0, `write-back resync: wrote again (${JSON.stringify(Object.fromEntries(writes))})`);
  return { stats: rig.stats, r, pagesPatched: patches.size, patchedTwice: twice, openViolations, pagesWithViolations: Number(rows[0]?.pages ?? 0), commentPosts, resync, findings: f };
}

// --------------------------------------------------------------------------------------- results

interface RunInfo {
  machine: Machine;
  wholeRunMs: number;
}

interface Results {
  full?: { run: RunInfo; r: FullResult };
  incremental?: { run: RunInfo; r: IncrementalResult };
  onesource?: { run: RunInfo; r: FullResult };
  large?: { run: RunInfo; r: FullResult };
  writeback?: { run: RunInfo; r: WritebackResult };
}

// ------------------------------------------------------------------------------------ the report

/** Why the engine makes each kind of call. */
const WHY: Record<string, string> = {
  [QUERY]: 'R_min: the rows, 100 a query (a full crawl sorted by created_time; incremental: edited since the window, then the trash)',
  [COMMENTS]: 'R_min: each page\'s unresolved comments (no bulk endpoint; a page object says nothing about its comments)',
  'GET /users/{id}': 'emails of the people pages and comments name (partial users carry an id only), once per person, cached across syncs',
  'GET /databases/{id}': 'the plan: each configured database\'s data sources',
  'GET /data_sources/{id}': 'the plan: each data source\'s schema (the stage property and its options are checked against it)',
  'GET /pages/{id}/properties/{id}': `the rest of a title, rich-text, people or relation value longer than the ${INLINE_LIST_CAP} items a page object inlines`,
  'PATCH /pages/{id}': 'write-back: Ops status, stage and metrics of a page in one PATCH',
  'POST /comments': 'write-back: one stamped comment per opened violation',
  'PATCH /data_sources/{id}': 'write-back: missing Ops status or metric properties created, once per data source',
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
  const per = (n: number) => (s.pages ? fmt2(n / s.pages) : '—');
  return table(['Figure', 'Count', 'Per page'], [
    ['Databases / data sources synced', `${s.databases} / ${s.dataSources}`, ''],
    ['Live pages (in the trash, not served by a query)', `${fmt(s.pages)} (${fmt(s.trashed)})`, ''],
    ['Live pages per data source', !s.pagesPerSource.length ? '—' : Math.min(...s.pagesPerSource) === Math.max(...s.pagesPerSource) ? fmt(s.pagesPerSource[0] ?? 0) : `${fmt(Math.min(...s.pagesPerSource))}–${fmt(Math.max(...s.pagesPerSource))}`, ''],
    ['Unresolved comments (topped up through the control surface)', `${fmt(s.comments)} (${fmt(s.commentsAdded)})`, per(s.comments)],
    ['Comments in resolved discussions (not listed by the API)', fmt(s.resolvedComments), per(s.resolvedComments)],
    ['Pages without an unresolved comment / most on one page', `${fmt(s.pagesWithoutComments)} / ${fmt(s.maxComments)}`, ''],
    ['Files in the Files property (inline in the page object)', fmt(s.files), per(s.files)],
    [`Pages with a list value past the inline cap of ${INLINE_LIST_CAP}`, fmt(s.pagesWithCutLists), ''],
    ['People the pages and comments name', fmt(s.people), ''],
  ]);
}

function endpointRows(r: RunFigures, rMin?: DatasetStats['rMin']): (string | number)[][] {
  const eps = Object.keys(r.byEndpoint).sort((a, b) => (r.byEndpoint[b] ?? 0) - (r.byEndpoint[a] ?? 0) || a.localeCompare(b));
  return eps.map((ep) => {
    const floor = rMin ? (ep === QUERY ? fmt(rMin.queries) : ep === COMMENTS ? fmt(rMin.comments) : '—') : '';
    return [`\`${ep}\``, ...(rMin ? [floor] : []), fmt(r.byEndpoint[ep] ?? 0), pct(r.byEndpoint[ep] ?? 0, r.calls), WHY[ep] ?? ''];
  });
}

/** Time figures of a rate-limited run: the floor at its rate and at 3/s, ours at both. */
function timeFigures(full: FullResult): { rate: number; floorMs: number; oursMs: number; engineMs: number; floor3Ms: number; ours3Ms: number } | null {
  if (full.rate === null) return null;
  const { stats: s, r, rate } = full;
  const floorMs = (s.rMin.total / rate) * 1000;
  const oursMs = (r.calls / rate) * 1000;
  // What the calls' pacing does not hide (commits between pages, plan, workflow tasks) does not shrink with the rate.
  const engineMs = Math.max(0, r.wallMs - oursMs);
  return { rate, floorMs, oursMs, engineMs, floor3Ms: (s.rMin.total / NOTION_RATE) * 1000, ours3Ms: (r.calls / NOTION_RATE) * 1000 + engineMs };
}

function fullSection(title: string, res: { run: RunInfo; r: FullResult }, intro: string): string[] {
  const { stats: s, r } = res.r;
  const out: string[] = [`## ${title}`, '', intro, ''];
  out.push(datasetTable(s), '');
  out.push(table(['Endpoint', 'R_min (§7.3)', 'Stageline', 'Share', 'Why'], endpointRows(r, s.rMin)));
  out.push('');
  const over = r.calls - s.rMin.total;
  out.push(table(['Measure', 'Value'], [
    ['R_min = Σ ⌈N_ds/100⌉ + N', `${fmt(s.rMin.queries)} + ${fmt(s.rMin.comments)} = **${fmt(s.rMin.total)}**`],
    ['R (simulator count = sync run count)', `**${fmt(r.calls)}** (${over >= 0 ? '+' : ''}${fmt(over)}: ${pct(over, s.rMin.total)} over)`],
    ['η_calls = R_min / R', `**${fmt3(s.rMin.total / r.calls)}**`],
    ['Query windows (created_time; > 1 past the 10,000-row cap)', `${fmt(res.r.windows)} for ${s.dataSources} data source${s.dataSources === 1 ? '' : 's'}`],
    ['Pages drained (each once)', fmt(res.r.drained)],
    ['Stored: ' + Object.keys(res.r.landed).join(', '), Object.values(res.r.landed).map((v) => `${fmt(v.stored)}/${fmt(v.expected)}`).join(', ')],
    ['Wall time', secs(r.wallMs)],
    ['PostgreSQL: transactions (BEGIN…COMMIT) / all statements', `${secs(r.db.transactionMs)} / ${secs(r.db.queryMs)} (${pct(r.db.transactionMs, r.wallMs)} of the wall time)`],
    ['CPU: Node process (simulator + worker) / PostgreSQL backends', `${secs(r.cpu.nodeMs)} / ${secs(r.cpu.pgMs)}`],
    ['Answers that said wait (429) / early retries', `${fmt(r.rateLimited)} / ${fmt(r.earlyRetries)}`],
  ]));
  out.push('');
  const t = timeFigures(res.r);
  if (t) {
    out.push(
      `**Wall time against the floor.** The simulator admitted ${t.rate} requests/s (token bucket, bursts of 10) and the connection was configured to the same rate ` +
        `(\`rate_limit_per_minute: ${fmt(t.rate * 60)}\`, the limiter spaces requests evenly), ${t.rate / NOTION_RATE}× Notion's documented 3 requests/s: a scaled rate, so ` +
        'the ratio to the floor is measured in minutes instead of hours. The floor at a rate is R_min ÷ rate.',
      '',
    );
    out.push(table(['Measure', `At ${t.rate} req/s (measured)`, 'At 3 req/s (extrapolated)'], [
      ['Floor: R_min ÷ rate', minsec(t.floorMs), `**${minsec(t.floor3Ms)}**`],
      ['Our calls ÷ rate', minsec(t.oursMs), minsec((r.calls / NOTION_RATE) * 1000)],
      ['Wall time', minsec(r.wallMs), `**${minsec(t.ours3Ms)}** (R ÷ 3 + the ${secs(t.engineMs)} the pacing did not hide)`],
      ['Wall ÷ floor (η_time = floor ÷ wall)', `${fmt2(r.wallMs / t.floorMs)} (${fmt3(t.floorMs / r.wallMs)})`, `${fmt2(t.ours3Ms / t.floor3Ms)} (${fmt3(t.floor3Ms / t.ours3Ms)})`],
      ['PostgreSQL transactions, share of the wall time', pct(r.db.transactionMs, r.wallMs), `${fmt1((r.db.transactionMs / t.ours3Ms) * 100)} %`],
    ]));
    out.push(
      '',
      'The extrapolation assumes what limits the run at the scaled rate limits it at 3 requests/s: the calls, paced evenly; the engine\'s time between ' +
        'calls that the pacing did not hide (wall − R ÷ rate) is added unchanged. At 3 requests/s a request slot is 333 ms, so more of that time would in fact ' +
        'overlap the pacing; the extrapolated wall is an upper bound.',
      '',
    );
  }
  return out;
}

function report(res: Results, opts: { forDocs: boolean }): string {
  const out: string[] = [];
  const any = res.full ?? res.incremental ?? res.onesource ?? res.large ?? res.writeback;
  out.push('# Benchmarks: the Notion sync', '');
  out.push(
    'Generated by `npm run bench:notion -- --write` (`test/bench/notion.bench.ts`); rerun it rather than editing this file. The script starts its own PostgreSQL ' +
      'databases, Temporal dev server, Notion simulators and workers, and measures the sync against the physical limits of `docs/engineering-facts.md` §7.3 (in ' +
      '`../shared/docs/`). Timings come from one run on the machine below and are not asserted by any test; counts are checked by the script itself (see "Problems").',
    '',
  );
  if (any) {
    out.push('## Machine', '', machineTable(any.run), '');
    out.push(
      'Everything shares the same cores: PostgreSQL, the Temporal dev server (SQLite), and one Node process that runs the simulator, the worker and this script. ' +
        'Other work on the machine during the run (see the load average) slows the timed rows; the counted rows do not depend on it.',
      '',
    );
  }
  out.push(
    '## Method',
    '',
    '- **Dataset.** `generateAgency({ seed, tasks, projects })` and `generateNotion({ seed, agency, databases, bulkPages })`: the shared agency as a Notion ' +
      'workspace, a database of one data source per group of campaigns; each asset page has Stage (status), Owner and Reviewers (people), Due, Files (hosted ' +
      'uploads and external links, inline in the page object), Client (relation) and the task\'s feedback threads as comments, some resolved (the API does not ' +
      'list those), some cancelled pages in the trash. Live pages of the synced data sources are topped up to `--comments` unresolved comments through the ' +
      'simulator\'s control surface (as a person commenting in the app, dated a day back), so each page has at least the C = 5 of the reference dataset. The ' +
      'archive data source (section 4) has pages without comments.',
    '- **The sync.** The product\'s: a Temporal `connectionSync` workflow on an in-process worker, the Notion activities against a fresh migrated database. ' +
      'The plan reads each database and data source; each step queries 100 rows (created_time ascending; past the 10,000-row cap a new created_time window), ' +
      'commits them with the cursor, then reads each page\'s comments, cut lists and unknown users with at most `max_concurrency` (3, the default) in flight, ' +
      'normalizes and commits.',
    '- **Calls.** The simulator counts every request it answers by endpoint; the sync run counts every request it sends (`ops.sync_runs.api_calls`); they ' +
      'must agree. R_min is engineering-facts §7.3\'s: Σ ⌈N_ds/100⌉ queries (at least one per data source) + N comment calls, from the simulator\'s dataset.',
    '- **Time.** Section 1 runs at a scaled rate (simulator and connection alike); the other full syncs run with the simulator unlimited (the connection at ' +
      '100,000 a minute) and are counted, not timed against a floor. PostgreSQL time: every statement the sync\'s pool sends is timed at the client; ' +
      '"transactions" is BEGIN…COMMIT. CPU times from `/proc`.',
    '',
  );

  const summary: (string | number)[][] = [];
  const fullRow = (n: string, what: string, x: FullResult): void => {
    summary.push([n, what, `${fmt(x.r.calls)} calls`, `R_min ${fmt(x.stats.rMin.total)} (${fmt(x.stats.rMin.queries)} queries + ${fmt(x.stats.rMin.comments)} comments)`, `η_calls ${fmt3(x.stats.rMin.total / x.r.calls)}`]);
  };
  if (res.full) {
    const x = res.full.r;
    fullRow('1', `Full sync, ${fmt(x.stats.pages)} pages in ${x.stats.dataSources} data sources`, x);
    const t = timeFigures(x);
    if (t) {
      summary.push(['2', `Wall time at ${t.rate} req/s (scaled)`, minsec(x.r.wallMs), `floor R_min ÷ ${t.rate} = ${minsec(t.floorMs)}`, `${fmt2(x.r.wallMs / t.floorMs)}× the floor; PostgreSQL transactions ${pct(x.r.db.transactionMs, x.r.wallMs)} of the wall`]);
      summary.push(['2', 'Extrapolated to 3 req/s', minsec(t.ours3Ms), `floor ${minsec(t.floor3Ms)} (§7.3: 56 min for 10,100)`, `${fmt2(t.ours3Ms / t.floor3Ms)}× the floor`]);
    }
  }
  if (res.onesource) fullRow('3', `Full sync, one data source of ${fmt(res.onesource.r.stats.pages)}`, res.onesource.r);
  if (res.large) {
    const x = res.large.r;
    summary.push(['4', `Full sync, one data source of ${fmt(x.stats.pages)} (no comments)`, `${fmt(x.r.calls)} calls; ${fmt(x.r.byEndpoint[QUERY] ?? 0)} queries in ${x.windows} windows`, `⌈N/100⌉ = ${fmt(x.stats.rMin.queries)} queries, R_min ${fmt(x.stats.rMin.total)}`, `η_calls ${fmt3(x.stats.rMin.total / x.r.calls)}; ${fmt(x.drained)} pages drained, each once`]);
  }
  if (res.incremental) {
    for (const sc of res.incremental.r.scenarios) {
      summary.push(['5', `Incremental, ${sc.name}`, `${callsOf(sc.r.calls)} (${fmt2(sc.r.calls / sc.sources)} a data source)`, sc.name.startsWith('nothing changed') ? `target 1 a data source (${sc.model})` : `§7.3 model ${fmt(sc.model)}`, `${fmt2(sc.r.calls / sc.model)}×; ${secs(sc.r.wallMs)}`]);
    }
  }
  if (res.writeback) {
    const w = res.writeback.r;
    summary.push(['6', `Write-back of the first enforcement, ${fmt(w.stats.pages)} pages`, `${fmt(w.r.byEndpoint['PATCH /pages/{id}'] ?? 0)} PATCH + ${fmt(w.commentPosts)} comment POSTs`, `1 PATCH a page; 1 POST per open violation (${fmt(w.openViolations)})`, `${fmt2((w.r.byEndpoint['PATCH /pages/{id}'] ?? 0) / w.stats.pages)} PATCH and ${fmt2(w.commentPosts / w.stats.pages)} POST a page`]);
  }
  if (summary.length) out.push('## Summary', '', table(['§', 'Measure', 'Result', 'Compared with', 'Ratio / verdict'], summary), '');

  if (res.full) {
    out.push(...fullSection(`1–2. Full sync of ${fmt(res.full.r.stats.pages)} pages in ${res.full.r.stats.dataSources} data sources, calls and wall time`, res.full,
      `**What:** a first full sync of the reference size (N ≈ 10,000 pages in P data sources, C ≥ 5) at a scaled rate. **Compared with:** R_min of §7.3 and T_min = R_min ÷ rate.`));
  }
  if (res.onesource) {
    out.push(...fullSection(`3. Full sync of one data source of ${fmt(res.onesource.r.stats.pages)} pages`, res.onesource,
      '**What:** the same pages and comments in one database of one data source, simulator unlimited. **Compared with:** R_min of §7.3.'));
  }
  if (res.large) {
    const x = res.large.r;
    out.push(...fullSection(`4. One data source of ${fmt(x.stats.pages)} pages, past the 10,000-row query cap`, res.large,
      `**What:** the archive data source alone (pages ten minutes apart, no comments), simulator unlimited with Notion's cap of ${fmt(QUERY_ROW_CAP)} rows per query. ` +
        '**How:** the sync run counts its created_time windows (`notion.query_windows`) and the pages drained; the database must hold every page once. ' +
        `**Compared with:** ⌈N/100⌉ = ${fmt(x.stats.rMin.queries)} queries + N comment calls; each window past the first may cost one query more (its first page ` +
        'starts where the capped one stopped, so a window\'s pages are not aligned on hundreds).'));
    out.push(
      `The ${fmt(x.stats.pages)} comment calls all answered an empty list: a page object carries no comment count, so nothing short of the call proves a page has ` +
        'none (vendor-apis §3.2; the SDK\'s `PageObjectResponse` type has no comment field). On a first crawl the N comment calls are the floor.',
      '',
    );
  }

  if (res.incremental) {
    const inc = res.incremental.r;
    out.push('## 5. Incremental syncs', '');
    out.push(
      '**What:** incremental syncs on the database of section 1, first with nothing changed, then after changes made through the simulator\'s control surface ' +
        'as people would make them (a stage set, a page moved to the trash, a new comment on another page), spread evenly over the pages. **How:** calls by ' +
        'endpoint from the simulator; the script then reads the database to check that every change landed. **Compared with:** §7.3\'s model, ' +
        '⌈Δ_ds/100⌉ edited-since queries per data source (at least one each) + a comments read of each changed page (an edit or a new comment moves the page\'s ' +
        '`last_edited_time`); with nothing changed, the target of one call per data source.',
      '',
    );
    out.push(table(['Scenario', 'Changes', 'Calls', 'Calls a data source', 'Model', 'Ratio', 'Wall', 'Landed'], inc.scenarios.map((sc) => [sc.name, sc.changes, `**${fmt(sc.r.calls)}**`, fmt2(sc.r.calls / sc.sources), fmt(sc.model), `${fmt2(sc.r.calls / sc.model)}×`, secs(sc.r.wallMs), sc.landed])));
    out.push('');
    const eps = [...new Set(inc.scenarios.flatMap((sc) => Object.keys(sc.r.byEndpoint)))].sort();
    out.push(table(['Endpoint', ...inc.scenarios.map((sc) => sc.name), 'Why'], eps.map((ep) => [`\`${ep}\``, ...inc.scenarios.map((sc) => fmt(sc.r.byEndpoint[ep] ?? 0)), WHY[ep] ?? ''])));
    out.push('');
    const none = inc.scenarios[0];
    if (none && none.r.calls > none.sources) {
      out.push(
        `**Two queries a data source with nothing changed, not one.** \`pullNotionChanges\` (activities/notion.ts \`pull\`) asks each data source for the rows ` +
          'edited since the window opened and then, in a second query with `in_trash: true`, for the rows moved to the trash in the window. The SDK\'s types ' +
          'have the `in_trash` body parameter of a data-source query (data-sources.d.ts `QueryDataSourceBodyParameters`) but not what it does; the simulator ' +
          'serves the trash alone with it and the live rows alone without it (server.ts, marked [U]), so a trashed page, whose `last_edited_time` moves, is never ' +
          'in the live query. The trash costs one query per data source per sync; the plan adds nothing (the stored schemas are reused, no call). Not a ' +
          'one-line fix: one call per data source needs either Notion to serve live and trashed rows in one query (to check against the real API) or the ' +
          'trash found another way (section 8: `trash_check: reconcile`).',
        '',
      );
    }
  }

  if (res.writeback) {
    const w = res.writeback.r;
    out.push('## 6. Write-back of the first enforcement', '');
    out.push(
      `**What:** a full sync of ${fmt(w.stats.pages)} pages (${w.stats.dataSources} data sources, simulator unlimited) with three comment rules enforced on the Notion ` +
        'connection and the metrics written back (the rules of the write-back integration test), then an incremental resync. **How:** PATCHes per page from the ' +
        'simulator\'s call log; open violations from `ops.violations`. **Compared with:** §7.5: at least one write per changed record; here one PATCH a page ' +
        '(Ops status and the three metrics at once) and one comment per opened violation.',
      '',
    );
    out.push(table(['Measure', 'Value'], [
      ['Pages PATCHed / live pages / PATCHed more than once', `${fmt(w.pagesPatched)} / ${fmt(w.stats.pages)} / ${fmt(w.patchedTwice)}`],
      ['`PATCH /pages/{id}` calls', fmt(w.r.byEndpoint['PATCH /pages/{id}'] ?? 0)],
      ['`POST /comments` calls / open violations / pages with one', `${fmt(w.commentPosts)} / ${fmt(w.openViolations)} / ${fmt(w.pagesWithViolations)}`],
      ['Write calls per page (PATCH + POST)', fmt2(((w.r.byEndpoint['PATCH /pages/{id}'] ?? 0) + w.commentPosts) / Math.max(1, w.stats.pages))],
      ['Reads of the same sync', fmt(sum(Object.entries(w.r.byEndpoint).filter(([k]) => k.startsWith('GET ') || k === QUERY).map(([, v]) => v)))],
      ['Time the writes cost at 3 req/s', minsec((((w.r.byEndpoint['PATCH /pages/{id}'] ?? 0) + w.commentPosts) / NOTION_RATE) * 1000)],
      ['Resync: calls (writes)', `${fmt(w.resync.calls)} (${fmt(sum(Object.entries(w.resync.byEndpoint).filter(([k]) => !k.startsWith('GET ') && k !== QUERY).map(([, v]) => v)))}): ${Object.entries(w.resync.byEndpoint).map(([k, v]) => `\`${k}\` ${fmt(v)}`).join(', ')}`],
    ]));
    out.push('');
    const extraComments = (w.r.byEndpoint[COMMENTS] ?? 0) - w.stats.pages;
    const extraSchemas = (w.r.byEndpoint['GET /data_sources/{id}'] ?? 0) - w.stats.dataSources;
    out.push(
      `Reads the write-back adds to the sync: ${fmt(extraComments)} \`GET /comments\` beyond one a page (the sender lists a page's comments live before it ` +
        `posts, so a retried send never comments twice: ${fmt(w.pagesWithViolations)} pages had a violation) and ${fmt(extraSchemas)} \`GET /data_sources/{id}\` ` +
        '(the drain reads each data source once to check the options it writes). The resync is an echo: each PATCH moved its page\'s `last_edited_time`, so the ' +
        `next incremental sync reads every written page again with its comments (${fmt(w.resync.byEndpoint[COMMENTS] ?? 0)} comment lists), recognizes its own ` +
        'values and writes nothing.',
      '',
    );
    out.push(table(['Endpoint', 'Calls', 'Share', 'Why'], endpointRows(w.r)));
    out.push('');
  }

  out.push(...analysis(res));

  const all: [string, Findings | undefined][] = [
    ['full', res.full?.r.findings], ['incremental', res.incremental?.r.findings], ['onesource', res.onesource?.r.findings], ['large', res.large?.r.findings], ['writeback', res.writeback?.r.findings],
  ];
  const problems = all.flatMap(([k, f]) => (f?.problems ?? []).map((p) => `${k}: ${p}`));
  const missed = all.flatMap(([k, f]) => (f?.missed ?? []).map((p) => `${k}: ${p}`));
  out.push('## Problems', '');
  out.push(problems.length ? problems.map((p) => `- ${p}`).join('\n') : 'None: every count the script checks agreed, and every change landed.');
  out.push('', 'Targets not met (reported only; they never fail the run):', '');
  out.push(missed.length ? missed.map((p) => `- ${p}`).join('\n') : '- none');
  out.push('');
  if (!opts.forDocs) out.push(`(${Object.keys(res).join(', ')} run; whole run ${minsec(performance.now() - benchStart)})`, '');
  return `${out.join('\n')}\n`;
}

/** What dominates, and what would reduce it: from the figures of the runs. */
function analysis(res: Results): string[] {
  const main = res.full?.r ?? res.onesource?.r;
  if (!main) return [];
  const { stats: s, r } = main;
  const comments = r.byEndpoint[COMMENTS] ?? 0;
  const queries = r.byEndpoint[QUERY] ?? 0;
  const users = r.byEndpoint['GET /users/{id}'] ?? 0;
  const plan = (r.byEndpoint['GET /databases/{id}'] ?? 0) + (r.byEndpoint['GET /data_sources/{id}'] ?? 0);
  const cut = r.byEndpoint['GET /pages/{id}/properties/{id}'] ?? 0;
  const out: string[] = ['## 7. What dominates', ''];
  out.push(
    `- **Calls: the comments.** ${fmt(comments)} of the ${fmt(r.calls)} calls (${pct(comments, r.calls)}) list a page's comments, one per live page: Notion has no ` +
      'bulk comments endpoint, and a page object carries no comment count or comment time, so a first crawl cannot know which pages have none. These are ' +
      `§7.3's N and they are the floor. Queries are ${fmt(queries)} against Σ ⌈N_ds/100⌉ = ${fmt(s.rMin.queries)}.`,
    `- **Beyond the minimum: ${fmt(r.calls - s.rMin.total)} calls.** ${fmt(users)} \`GET /users/{id}\` (one per person named, for the email that matches people across tools; ` +
      `the page object's users are partial, id only; cached, so a later sync asks only for new people), ${fmt(plan)} plan reads (each database's data sources and each ` +
      `data source's schema, which the stage map is checked against), ${fmt(cut)} property-item calls (no page here has a list longer than the inline cap of ${INLINE_LIST_CAP}). ` +
      `Partition overhead past 10,000 rows: ${res.large ? `${fmt((res.large.r.r.byEndpoint[QUERY] ?? 0) - res.large.r.stats.rMin.queries)} query for ${res.large.r.windows} windows at ${fmt(res.large.r.stats.pages)} pages (section 4)` : 'see section 4'}.`,
  );
  const t = res.full ? timeFigures(res.full.r) : null;
  if (t && res.full) {
    const f = res.full.r.r;
    out.push(
      `- **Time: the rate limit.** At ${t.rate} requests/s the sync took ${fmt2(f.wallMs / t.floorMs)}× the floor; PostgreSQL transactions were ${secs(f.db.transactionMs)} ` +
        `(${pct(f.db.transactionMs, f.wallMs)} of the wall time, ${fmt1((f.db.transactionMs / t.floor3Ms) * 100)} % of the 3 requests/s floor): §7.5's "the engine must never be the ` +
        `bottleneck" holds. What the pacing did not hide, ${secs(t.engineMs)}, is the engine working between requests while none is in flight (a step's commit, ` +
        'workflow tasks between steps, the plan).',
    );
  }
  out.push('');
  out.push('## 8. What would reduce it', '');
  out.push(
    '- **Comments on a re-crawl.** A reconciliation crawl (`reconcile_every`) queues every row with its comments again (activities/notion.ts `step`: every row ' +
      'needs `comments`), although the incremental path already skips pages whose `last_edited_time` did not move past what is stored. The same test in the ' +
      `crawl would bring a re-crawl of unchanged pages from ≈ ${fmt(s.rMin.total)} calls to ≈ ${fmt(s.rMin.queries)} (a comment moves the page's \`last_edited_time\`, ` +
      'simulator store.ts `addComment` [U] for Notion itself).',
    ...(res.writeback
      ? [
          `- **The echo of a write-back.** The sync after the first enforcement read ${fmt(res.writeback.r.resync.byEndpoint[COMMENTS] ?? 0)} comment lists for ` +
            `${fmt(res.writeback.r.stats.pages)} pages (section 6): Stageline's own PATCH moves each page's \`last_edited_time\`, and the incremental pull takes ` +
            'that for a change that may have brought comments. The PATCH answer is the page object with its new `last_edited_time` (pages.d.ts ' +
            '`UpdatePageResponse`); stored as the page\'s known time, or read as "last edited by the integration\'s bot and nothing else moved", it would ' +
            'spare those reads.',
        ]
      : []),
    '- **Comments by webhook.** `comment.created|updated|deleted` webhooks name the page (vendor-apis §3.5): with a subscription, incremental syncs need no ' +
      'comments read of pages edited without a new comment, and the trash query can give way to `page.deleted` events.',
    '- **One call per data source with nothing changed.** The connection option `trash_check: reconcile` leaves pages moved to the trash to the ' +
      'reconciliation crawl, so the incremental pull is one query per data source (section 5 measures both settings). A `page.deleted` webhook would ' +
      'tombstone such a page sooner than the next reconciliation.',
    '- **A first sync.** Nothing: at N comment calls plus ⌈N/100⌉ queries it is at the floor but for the people and the plan; at 3 requests/s a first sync of ' +
      '10,000 pages takes about an hour whatever the engine does. Reading comments lazily (on first need, or only for pages not in a final stage) would trade ' +
      'completeness of the feedback history for time.',
    '',
  );
  return out;
}

// ------------------------------------------------------------------------------------ --write

const DOC = join(repoRoot, 'docs', 'BENCHMARKS-notion.md');
const INDEX = join(repoRoot, 'docs', 'BENCHMARKS.md');
const DATA_MARK = '<!-- notion-bench-data ';
const INDEX_HEADING = '## Notion';

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
    progress('the figures kept in docs/BENCHMARKS-notion.md could not be read; writing this run\'s sections only');
    return {};
  }
}

/** The Notion section of docs/BENCHMARKS.md: where the report is, and the headline figures. */
function indexSection(res: Results): string {
  const lines = [
    INDEX_HEADING,
    '',
    'The Notion sync has its own benchmark, `npm run bench:notion` (`test/bench/notion.bench.ts`): full-sync calls against §7.3\'s minimum, wall time at a',
    'scaled rate against the floor, one data source past the 10,000-row query cap, incremental syncs, and the write-back of the first enforcement.',
    'Results in [BENCHMARKS-notion.md](BENCHMARKS-notion.md). (This section is rewritten by `npm run bench:notion -- --write`.)',
  ];
  const heads: string[] = [];
  if (res.full) {
    const { stats: s, r } = res.full.r;
    heads.push(`full sync of **${fmt(s.pages)} pages in ${s.dataSources} data sources** (≥ 5 comments each): **${fmt(r.calls)} calls** against R_min ${fmt(s.rMin.total)} (η_calls ${fmt3(s.rMin.total / r.calls)})`);
    const t = timeFigures(res.full.r);
    if (t) {
      heads.push(
        `at ${t.rate} requests/s (20× Notion's 3, simulator and connection alike) ${minsec(r.wallMs)} against a ${minsec(t.floorMs)} floor (${fmt2(r.wallMs / t.floorMs)}×), ` +
          `PostgreSQL transactions ${pct(r.db.transactionMs, r.wallMs)} of it; extrapolated to 3 requests/s **${minsec(t.ours3Ms)}** against a floor of ${minsec(t.floor3Ms)}`,
      );
    }
  }
  if (res.onesource) heads.push(`one data source of ${fmt(res.onesource.r.stats.pages)}: ${fmt(res.onesource.r.r.calls)} calls (R_min ${fmt(res.onesource.r.stats.rMin.total)})`);
  if (res.large) {
    const x = res.large.r;
    heads.push(`one of ${fmt(x.stats.pages)}: ${fmt(x.r.byEndpoint[QUERY] ?? 0)} queries in ${x.windows} created_time windows (⌈N/100⌉ = ${fmt(x.stats.rMin.queries)}), every page once`);
  }
  if (res.incremental) {
    const [none, reconcile, delta] = res.incremental.r.scenarios;
    if (none) heads.push(`incremental with nothing changed: **${callsOf(none.r.calls)}** for ${none.sources} data sources with the default \`trash_check: every_sync\` (a second query per data source for the trash)`);
    if (reconcile) heads.push(`with \`trash_check: reconcile\`: **${callsOf(reconcile.r.calls)}** (target ${reconcile.sources})`);
    if (delta) heads.push(`after ${delta.name}: **${callsOf(delta.r.calls)}** (model ${fmt(delta.model)})`);
  }
  if (res.writeback) {
    const w = res.writeback.r;
    heads.push(`write-back of the first enforcement: ${fmt2((w.r.byEndpoint['PATCH /pages/{id}'] ?? 0) / w.stats.pages)} PATCH a page and one comment per open violation (${fmt(w.commentPosts)} for ${fmt(w.stats.pages)} pages)`);
  }
  const date = (res.full ?? res.incremental ?? res.onesource ?? res.large ?? res.writeback)?.run.machine.date.slice(0, 10) ?? '';
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
  progress(`wrote the "Notion" section of ${INDEX}`);
}

// ------------------------------------------------------------------------------------ main

async function main(): Promise<void> {
  const o = parseOptions(process.argv.slice(2));
  if (o.render) {
    const kept = previousResults();
    if (!Object.keys(kept).length) throw new Error('--render: docs/BENCHMARKS-notion.md keeps no figures; run with --write first');
    writeDocs(kept);
    return;
  }
  progress(`sections: ${[...o.only].join(', ')}; ${fmt(o.pages)} pages in ${o.sources} data sources, ≥ ${o.comments} comments each, ${o.rate} requests/s (seed ${o.seed})`);
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
  onCleanup('temporal dev server', () => temporal.stop());
  const client = await connectClient(temporal.address);
  onCleanup('temporal client', () => client.connection.close());

  const machine = await machineFacts(baseUrl, temporalBin, 'stageline-bench-notion');
  const info = (): RunInfo => ({ machine, wholeRunMs: 0 });
  const results: Results = {};
  const common = { seed: o.seed, baseUrl, temporal, client };
  const unlimited = { simRate: null, ratePerMinute: 100_000, concurrency: 6 };
  // As many projects as data sources, so that each database holds one campaign's pages (N ÷ P each).
  const reference = { tasks: o.pages, projects: o.sources, databases: o.sources, bulkPages: 0, role: 'assets' as const, comments: o.comments, rules: false };

  if (o.only.has('full') || o.only.has('incremental')) {
    const rig = await startRig({ label: 'main', ...reference, ...common, simRate: o.rate, ratePerMinute: o.rate * 60, concurrency: 3 });
    const full = await fullSync(rig, o.rate);
    if (o.only.has('full')) results.full = { run: info(), r: full };
    else if (full.findings.problems.length) progress(`the full sync (setup here, section full not selected) had ${full.findings.problems.length} problem(s); rerun with --only full`);
    if (o.only.has('incremental')) results.incremental = { run: info(), r: await incremental(rig, { edits: 50, trashes: 5, comments: 20 }) };
    await rig.close();
  }

  if (o.only.has('onesource')) {
    const rig = await startRig({ label: 'onesource', ...reference, databases: 1, ...common, ...unlimited });
    results.onesource = { run: info(), r: await fullSync(rig, null) };
    await rig.close();
  }

  if (o.only.has('large')) {
    const rig = await startRig({ label: 'large', tasks: 60, projects: 1, databases: 1, bulkPages: o.large, role: 'bulk', comments: 0, rules: false, ...common, ...unlimited });
    const large = await fullSync(rig, null);
    check(large.findings, large.windows === Math.max(1, Math.ceil(large.stats.pages / QUERY_ROW_CAP)), `large: ${large.windows} query windows for ${fmt(large.stats.pages)} rows (expected ⌈N / ${fmt(QUERY_ROW_CAP)}⌉)`);
    results.large = { run: info(), r: large };
    await rig.close();
  }

  if (o.only.has('writeback')) {
    const sources = 5;
    const pages = Math.ceil(o.writebackPages / sources) * sources;
    const rig = await startRig({ label: 'writeback', tasks: pages, projects: sources, databases: sources, bulkPages: 0, role: 'assets', comments: 0, rules: true, ...common, ...unlimited });
    results.writeback = { run: info(), r: await writeback(rig) };
    await rig.close();
  }

  const wholeRunMs = performance.now() - benchStart;
  for (const x of [results.full, results.incremental, results.onesource, results.large, results.writeback]) if (x) x.run.wholeRunMs = wholeRunMs;
  const md = report(results, { forDocs: false });
  await new Promise<void>((done) => process.stdout.write(md, () => done()));
  if (o.write) writeDocs({ ...previousResults(), ...results });
  const problems = [results.full, results.incremental, results.onesource, results.large, results.writeback].reduce((n, x) => n + (x?.r.findings.problems.length ?? 0), 0);
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
