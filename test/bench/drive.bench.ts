// Benchmarks of the Google Drive sync against the limits of engineering-facts §7.4 (a plain tsx script,
// not a vitest test: timings never decide a test's outcome). The Drive counterpart of asana.bench.ts.
//
//   npm run bench:drive                          # every section, report on stdout (≈ 5 min on 2 cores)
//   npm run bench:drive -- --write               # … and docs/BENCHMARKS-drive.md (+ its link in docs/BENCHMARKS.md)
//   npm run bench:drive -- --only incremental    # sections: calls, incremental, linking, quota
//   npm run bench:drive -- --tasks 2000 --seed 3
//
// It starts everything it needs and stops it again, also on failure or Ctrl-C: throwaway databases on
// the local PostgreSQL (migrated with migrate()), a Temporal dev server with its data under
// .stageline/bench-temporal/<pid>/, an Asana and a Drive simulator serving the same generated agency,
// and an in-process worker on its own task queue. Asana is synced first, as in a real workspace, so
// that the linking pass at the end of the Drive sync has the assets to link files to.
//
// Progress goes to stderr, the Markdown report of the sections run to stdout. Checks that fail (a count
// that differs from what the dataset implies, a change that did not land, linking figures that differ
// from the simulator's ground truth) are listed under "Problems" and make the exit code 1.
//
// docs/BENCHMARKS.md belongs to asana.bench.ts, whose --write rewrites the whole file; so --write here
// writes docs/BENCHMARKS-drive.md and appends a short "Google Drive" section linking to it at the end of
// docs/BENCHMARKS.md when that section is missing. The measured figures are kept in a comment at the end
// of BENCHMARKS-drive.md, so a later `--only x --write` replaces section x and keeps the others.
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import type pg from 'pg';
import type { Client } from '@temporalio/client';
import type { NativeConnection, Worker } from '@temporalio/worker';
import type { SyncTotals } from '../../activities';
import type { ActivityDeps } from '../../activities/context';
import { createPool, createThrowawayDatabase, defaultDatabaseUrl, ensurePostgres, redactUrl } from '../../activities/db/postgres';
import { migrate } from '../../activities/db/migrate';
import { linkWorkspace, type LinkingSummary } from '../../activities/linking';
import { createAsanaSimulator, DEFAULT_STAGE_MAP, generateAgency, SIM_DEFAULT_TOKEN as ASANA_TOKEN, type AsanaSimulator, type GeneratedAgency } from '../../connectors/asana/simulator';
import { createDriveSimulator, generateDrive, MIME, SIM_DEFAULT_TOKEN as DRIVE_TOKEN, type CallStats, type DriveSimulator, type GeneratedDrive } from '../../connectors/drive/simulator';
import { LimiterRegistry } from '../../connectors/limiter';
import { parseConfig, type DriveConnectionConfig, type StagelineConfig } from '../../mapping/config';
import { linkFiles, type LinkableAsset, type LinkableFile } from '../../mapping/linking';
import { createNaming, DEFAULT_NAMING } from '../../mapping/naming';
import { createWorker } from '../../worker';
import { connectClient, startSync, syncWorkflowId, waitForSync } from '../../worker/orchestration';
import { findOrBuildTemporal, startTemporalDevServer, type TemporalDevServer } from '../../worker/temporal-dev-server';
import { machineFacts, type Machine, intOption, onlySections } from './machine';

// ------------------------------------------------------------------------------------------ options

const SECTIONS = ['calls', 'incremental', 'linking', 'quota'] as const;
type Section = (typeof SECTIONS)[number];

const USAGE = `Usage: tsx test/bench/drive.bench.ts [--tasks N] [--seed S] [--projects P] [--only a,b] [--write]
                 [--quota-tasks N] [--quota-rate R]
  --tasks N        tasks of the agency the reference Drive is generated from (default 10700: 10,006 files with seed 1)
  --seed S         generator seed, Asana and Drive alike (default 1)
  --projects P     projects of the agency (default: the generator's)
  --only a,b       sections to run: ${SECTIONS.join(', ')} (default all)
  --write          also write docs/BENCHMARKS-drive.md (and link it from docs/BENCHMARKS.md)
  --quota-tasks N  tasks of the agency of the quota run (default 500)
  --quota-rate R   requests/min of the quota run, simulator quota and connection alike (default 600)`;

interface Options {
  tasks: number;
  seed: number;
  projects: number | null;
  only: Set<Section>;
  write: boolean;
  quotaTasks: number;
  quotaRate: number;
}

function parseOptions(argv: string[]): Options {
  const { values } = parseArgs({
    args: argv,
    options: {
      tasks: { type: 'string' },
      seed: { type: 'string' },
      projects: { type: 'string' },
      only: { type: 'string' },
      write: { type: 'boolean' },
      'quota-tasks': { type: 'string' },
      'quota-rate': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
  });
  if (values.help) {
    console.log(USAGE);
    process.exit(0);
  }
  const int = intOption(USAGE);
  const only = onlySections(values.only, SECTIONS);
  return {
    tasks: int('tasks', values.tasks, 10_700, 50),
    seed: int('seed', values.seed, 1, 0),
    projects: values.projects === undefined ? null : int('projects', values.projects, 0, 1),
    only,
    write: values.write ?? false,
    quotaTasks: int('quota-tasks', values['quota-tasks'], 500, 50),
    quotaRate: int('quota-rate', values['quota-rate'], 600, 1),
  };
}

// --------------------------------------------------------------------------- logging and cleanup

const repoRoot = fileURLToPath(new URL('../..', import.meta.url));
const benchStart = performance.now();

function progress(message: string): void {
  process.stderr.write(`[bench:drive +${((performance.now() - benchStart) / 1000).toFixed(1).padStart(6)} s] ${message}\n`);
}

const cleanups: { name: string; run: () => Promise<void> }[] = [];

/** Registers `fn` to run at the end (last registered, first run) and returns a runner that can be called earlier, once. */
function onCleanup(name: string, fn: () => Promise<void>): () => Promise<void> {
  let done = false;
  const run = async (): Promise<void> => {
    if (done) return;
    done = true;
    await fn();
  };
  cleanups.push({ name, run });
  return run;
}

async function cleanupAll(): Promise<void> {
  while (cleanups.length) {
    const c = cleanups.pop()!;
    try {
      await c.run();
    } catch (err) {
      progress(`cleanup of ${c.name} failed: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
}

/** Per section: checks that failed (exit code 1) and timing targets missed (reported only). */
interface Findings {
  problems: string[];
  missed: string[];
}
const findings = (): Findings => ({ problems: [], missed: [] });

function check(f: Findings, ok: boolean, message: string): boolean {
  if (!ok) {
    f.problems.push(message);
    progress(`PROBLEM: ${message}`);
  }
  return ok;
}
function target(f: Findings, ok: boolean, message: string): void {
  if (!ok) {
    f.missed.push(message);
    progress(`target missed: ${message}`);
  }
}

// ------------------------------------------------------------------------------------ formatting

const nf = new Intl.NumberFormat('en-US');
const fmt = (n: number): string => nf.format(Math.round(n));
const fmt1 = (n: number): string => n.toLocaleString('en-US', { minimumFractionDigits: 1, maximumFractionDigits: 1 });
const fmt2 = (n: number): string => n.toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 });
const fmt3 = (n: number): string => n.toLocaleString('en-US', { minimumFractionDigits: 3, maximumFractionDigits: 3 });
const secs = (ms: number): string => `${fmt1(ms / 1000)} s`;
const msf = (ms: number): string => `${ms < 100 ? fmt1(ms) : fmt(ms)} ms`;
const minsec = (ms: number): string => {
  const s = ms / 1000;
  return s < 90 ? `${fmt1(s)} s` : `${Math.floor(s / 60)} min ${fmt(s % 60)} s`;
};
const perSec = (n: number, ms: number): number => (ms > 0 ? (n * 1000) / ms : 0);
const pages = (n: number, size: number): number => Math.max(1, Math.ceil(n / size));

function table(header: string[], rows: (string | number)[][]): string {
  const line = (cells: (string | number)[]) => `| ${cells.map((c) => String(c).replace(/\|/g, '\\|')).join(' | ')} |`;
  return [line(header), `|${header.map(() => '---').join('|')}|`, ...rows.map(line)].join('\n');
}

// ------------------------------------------------------------------------------- dataset figures

/** The linking figures of one pass, as `linking.*` in ops.sync_runs.counts (LinkingSummary's numbers). */
type LinkingCounts = Record<string, number>;

interface Truth {
  /** Live (not trashed, deleted or unshared) files in scope, by the truth's linkKind. */
  explicit: number;
  name: number;
  misnamed: number;
  orphan: number;
  files: number;
  /** Revisions Drive serves for the live linked files: each becomes one of the asset's versions. */
  versions: number;
  /** Comments and replies (deleted ones too: they are kept, flagged) on the live linked files. */
  comments: number;
  /** Of those, not deleted and written by someone whose display name matches no Asana user's name. */
  unmatchedComments: number;
  unmatchedAuthors: number;
}

interface DriveStats {
  seed: number;
  tasks: number;
  /** Every non-folder file the generator made (trashed and deleted ones included): the "10,006 files". */
  generatedFiles: number;
  sharedDriveId: string;
  folderRoots: string[];
  /** Live items under each configured root (files and folders): what the listings return. */
  roots: { id: string; kind: 'drive' | 'folder'; name: string; items: number; folders: number; queries: number }[];
  files: number;
  folders: number;
  binary: number;
  editor: number;
  revisions: number;
  comments: number;
  replies: number;
  trashedOrDeleted: number;
  /** files.list items + revisions + comments + replies: the records a full sync fetches. */
  records: number;
  rMin: { startToken: number; listings: number; walk: number; revisions: number; comments: number; total: number };
  /** Calls the engine makes beyond R_min, by route: the check that the configured roots exist. */
  overhead: Record<string, number>;
  truth: Truth;
}

const FOLDER = MIME.folder;
const isEditor = (mime: string): boolean => mime.startsWith('application/vnd.google-apps.') && mime !== FOLDER;

/** The configured scope of a generated Drive: the shared drive, and the hand-off folder's subtree. */
function scopeOf(drive: GeneratedDrive): { inScope: (id: string) => boolean; folderRoots: string[] } {
  const t = drive.truth;
  const folderRoots = t.rootFolderIds.filter((id) => id !== t.sharedDriveId);
  const byId = new Map(drive.dataset.files.map((f) => [f.id, f]));
  const memo = new Map<string, boolean>();
  const inScope = (id: string): boolean => {
    const f = byId.get(id);
    if (!f) return false;
    if (f.driveId === t.sharedDriveId) return true;
    const known = memo.get(id);
    if (known !== undefined) return known;
    const parent = f.parents[0];
    const answer = parent !== undefined && (folderRoots.includes(parent) || inScope(parent));
    memo.set(id, answer);
    return answer;
  };
  return { inScope, folderRoots };
}

/** Counts from the truth as it is now (the simulator keeps it current through every edit). */
function truthCounts(drive: { truth: GeneratedDrive['truth'] }, inScope: (id: string) => boolean): Truth {
  const out: Truth = { explicit: 0, name: 0, misnamed: 0, orphan: 0, files: 0, versions: 0, comments: 0, unmatchedComments: 0, unmatchedAuthors: 0 };
  const norm = (n: string) => n.normalize('NFKC').trim().replace(/\s+/g, ' ').toLowerCase();
  const authors = new Set<string>();
  for (const f of drive.truth.files.values()) {
    if (f.trashed || f.deleted || f.unshared || !inScope(f.fileId)) continue;
    out.files++;
    out[f.linkKind]++;
    if (f.linkKind !== 'explicit' && f.linkKind !== 'name') continue;
    out.versions += f.revisions.length;
    for (const c of f.comments) {
      for (const x of [c, ...c.replies]) {
        out.comments++;
        if (!x.deleted && x.matchesEmail === null) {
          out.unmatchedComments++;
          authors.add(norm(x.authorDisplayName));
        }
      }
    }
  }
  out.unmatchedAuthors = authors.size;
  return out;
}

/** Exact figures from the generated Drive, before anything mutates it. */
function driveStats(drive: GeneratedDrive, seed: number, tasks: number): DriveStats {
  const t = drive.truth;
  const { inScope, folderRoots } = scopeOf(drive);
  const live = drive.dataset.files.filter((f) => !f.isRoot && !f.trashed && !f.deleted && !f.hidden && inScope(f.id));
  const roots: DriveStats['roots'] = [];
  const shared = live.filter((f) => f.driveId === t.sharedDriveId);
  roots.push({ id: t.sharedDriveId, kind: 'drive', name: drive.dataset.sharedDrive.name, items: shared.length, folders: shared.filter((f) => f.mimeType === FOLDER).length, queries: pages(shared.length, 1000) });
  // A breadth-first walk from each folder root, up to 50 parents per files.list query, 1,000 items per page.
  const childrenOf = new Map<string, typeof live>();
  for (const f of live) {
    const p = f.parents[0];
    if (p === undefined) continue;
    const list = childrenOf.get(p) ?? [];
    list.push(f);
    childrenOf.set(p, list);
  }
  for (const rootId of folderRoots) {
    let pending = [rootId];
    let queries = 0;
    let items = 0;
    let folders = 0;
    while (pending.length) {
      const batch = pending.slice(0, 50);
      pending = pending.slice(50);
      const kids = batch.flatMap((id) => childrenOf.get(id) ?? []);
      queries += pages(kids.length, 1000);
      items += kids.length;
      const sub = kids.filter((k) => k.mimeType === FOLDER);
      folders += sub.length;
      pending.push(...sub.map((k) => k.id));
    }
    const rec = drive.dataset.files.find((f) => f.id === rootId);
    roots.push({ id: rootId, kind: 'folder', name: rec?.name ?? rootId, items, folders, queries });
  }
  const files = live.filter((f) => f.mimeType !== FOLDER);
  const binary = files.filter((f) => !isEditor(f.mimeType));
  const rMin = { startToken: 1, listings: 0, walk: 0, revisions: 0, comments: 0, total: 0 };
  for (const r of roots) {
    if (r.kind === 'drive') rMin.listings += r.queries;
    else rMin.walk += r.queries;
  }
  for (const f of binary) rMin.revisions += pages(f.revisions.length, 1000);
  for (const f of files) rMin.comments += pages(f.comments.length, 100);
  rMin.total = rMin.startToken + rMin.listings + rMin.walk + rMin.revisions + rMin.comments;
  const revisions = binary.reduce((n, f) => n + f.revisions.length, 0);
  const comments = files.reduce((n, f) => n + f.comments.length, 0);
  const replies = files.reduce((n, f) => n + f.comments.reduce((m, c) => m + c.replies.length, 0), 0);
  const generatedFiles = t.files.size;
  const trashedOrDeleted = [...t.files.values()].filter((f) => f.trashed || f.deleted || f.unshared).length;
  return {
    seed, tasks, generatedFiles, sharedDriveId: t.sharedDriveId, folderRoots, roots,
    files: files.length, folders: live.length - files.length, binary: binary.length, editor: files.length - binary.length,
    revisions, comments, replies, trashedOrDeleted,
    records: live.length + revisions + comments + replies,
    rMin,
    overhead: { 'GET /drives/{driveId}': 1, 'GET /files/{fileId}': folderRoots.length },
    truth: truthCounts(drive, inScope),
  };
}

// -------------------------------------------------------------------------------- infrastructure

interface Db {
  url: string;
  name: string;
  pool: pg.Pool;
  drop: () => Promise<void>;
}

async function freshDatabase(baseUrl: string, label: string): Promise<Db> {
  const db = await createThrowawayDatabase(baseUrl, 'stageline_bench');
  const dropDb = onCleanup(`database ${db.name}`, () => db.drop());
  await migrate(db.url);
  const pool = createPool(db.url, { max: 8, applicationName: `stageline-bench-drive-${label}`, log: progress });
  const end = onCleanup(`pool of ${db.name}`, () => pool.end());
  progress(`database ${db.name} (${label}) created and migrated`);
  return {
    url: db.url, name: db.name, pool,
    drop: async () => {
      await end();
      await dropDb();
    },
  };
}

/** An Asana and a Drive connection over the same agency (the YAML of test/support/stack.ts, configYaml + driveConnectionYaml). */
function configFor(o: { asanaId: string; asanaUrl: string; workspace: string; driveId: string; driveUrl: string; sharedDrives: string[]; folders: string[]; driveRate: number }): StagelineConfig {
  const map = Object.entries(DEFAULT_STAGE_MAP).map(([k, v]) => `        "${k}": ${v}`).join('\n');
  const yaml = `
version: 1
workspace: { name: Bench agency, timezone: UTC }
connections:
  - id: ${o.asanaId}
    vendor: asana
    token: \${ASANA_TOKEN}
    workspace: "${o.workspace}"
    base_url: ${o.asanaUrl}
    rate_limit_per_minute: 100000
    stage:
      map:
${map}
  - id: ${o.driveId}
    vendor: drive
    token: \${DRIVE_TOKEN}
    base_url: ${o.driveUrl}
    shared_drives: [${o.sharedDrives.map((d) => `"${d}"`).join(', ')}]
    folders: [${o.folders.map((d) => `"${d}"`).join(', ')}]
    rate_limit_per_minute: ${o.driveRate}
`;
  return parseConfig(yaml, { ASANA_TOKEN, DRIVE_TOKEN }, 'bench config');
}

const quietLog = { info: () => undefined, warn: (m: string) => progress(`worker warn: ${m}`), error: (m: string) => progress(`worker error: ${m}`) };

interface SyncRun {
  totals: SyncTotals;
  wallMs: number;
  /** Requests the vendor's simulator received during the run. */
  calls: CallStats | { total: number; byRoute: Record<string, number> };
  workflowId: string;
  firstRunId: string;
  /** `linking.*` of the run, read from ops.sync_runs.counts (empty when the pass was skipped). */
  linking: LinkingCounts;
}

interface Rig {
  label: string;
  stats: DriveStats;
  asanaSim: AsanaSimulator;
  driveSim: DriveSimulator;
  agency: GeneratedAgency;
  db: Db;
  driveId: string;
  config: StagelineConfig;
  driveCfg: DriveConnectionConfig;
  deps: ActivityDeps;
  inScope: (id: string) => boolean;
  syncAsana(mode: 'full' | 'incremental'): Promise<SyncRun>;
  syncDrive(mode: 'full' | 'incremental'): Promise<SyncRun>;
  close(): Promise<void>;
}

async function startRig(o: { label: string; tasks: number; seed: number; projects: number | null; quota: number | null; driveRate: number; baseUrl: string; temporal: TemporalDevServer; client: Client }): Promise<Rig> {
  const t0 = performance.now();
  const generate = () => generateAgency({ seed: o.seed, tasks: o.tasks, ...(o.projects ? { projects: o.projects } : {}) });
  // Each simulator mutates its own copy of the agency: the Drive is generated from a second, identical one.
  const agency = generate();
  const drive = generateDrive(generate(), { seed: o.seed });
  const stats = driveStats(drive, o.seed, o.tasks);
  const { inScope } = scopeOf(drive);
  progress(`${o.label}: generated ${fmt(o.tasks)} tasks and ${fmt(stats.generatedFiles)} Drive files (${fmt(stats.files)} live in scope) in ${secs(performance.now() - t0)}`);

  const asanaSim = createAsanaSimulator({ dataset: agency, rateLimitPerMinute: null });
  const asanaStarted = await asanaSim.start(0);
  const stopAsana = onCleanup(`${o.label} Asana simulator`, () => asanaSim.stop());
  const driveSim = createDriveSimulator({ drive, quotaPerMinute: o.quota });
  const driveStarted = await driveSim.start(0);
  const stopDrive = onCleanup(`${o.label} Drive simulator`, () => driveSim.stop());
  const db = await freshDatabase(o.baseUrl, o.label);
  const suffix = randomBytes(3).toString('hex');
  const asanaId = `bench-${o.label}-asana-${suffix}`;
  const driveId = `bench-${o.label}-drive-${suffix}`;
  const config = configFor({
    asanaId, asanaUrl: asanaStarted.baseUrl, workspace: agency.dataset.workspace.gid, driveId, driveUrl: driveStarted.rootUrl,
    sharedDrives: [stats.sharedDriveId], folders: stats.folderRoots, driveRate: o.driveRate,
  });
  const driveCfg = config.connections.find((c) => c.id === driveId) as DriveConnectionConfig;
  const deps: ActivityDeps = { db: db.pool, config: () => config, limiters: new LimiterRegistry(), clock: () => new Date(), log: quietLog };
  const taskQueue = `bench-${o.label}-${suffix}`;
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
  progress(`${o.label}: Asana simulator on ${asanaStarted.baseUrl}, Drive simulator on ${driveStarted.rootUrl}${o.quota ? ` (quota ${fmt(o.quota)}/min)` : ''}, worker on ${taskQueue} (ready in ${secs(performance.now() - t0)})`);

  const sync = async (connectionId: string, vendor: string, mode: 'full' | 'incremental', reset: () => void, calls: () => SyncRun['calls']): Promise<SyncRun> => {
    reset();
    const t = performance.now();
    const handle = await startSync(o.client, { connectionId, mode }, taskQueue);
    let last = 0;
    const totals = await waitForSync(handle, (p) => {
      if (performance.now() - last < 10_000) return;
      last = performance.now();
      progress(`${o.label} ${vendor} ${mode} sync: ${fmt(p.steps)} steps, ${fmt(p.tasks)} items, ${fmt(calls().total)} API calls, ${secs(performance.now() - t)}`);
    }, 1_000);
    const wallMs = performance.now() - t;
    const { rows } = await db.pool.query<{ counts: Record<string, string> }>('SELECT counts FROM ops.sync_runs WHERE id = $1', [totals.syncRunId]);
    const linking: LinkingCounts = {};
    for (const [k, v] of Object.entries(rows[0]?.counts ?? {})) if (k.startsWith('linking.')) linking[k.slice('linking.'.length)] = Number(v);
    return { totals, wallMs, calls: calls(), workflowId: syncWorkflowId(connectionId), firstRunId: handle.firstExecutionRunId, linking };
  };

  return {
    label: o.label, stats, asanaSim, driveSim, agency, db, driveId, config, driveCfg, deps, inScope,
    syncAsana: (mode) => sync(asanaId, 'Asana', mode, () => asanaSim.control.resetCalls(), () => asanaSim.control.calls()),
    syncDrive: (mode) => sync(driveId, 'Drive', mode, () => driveSim.control.resetCalls(), () => driveSim.control.calls()),
    async close() {
      await stopWorker();
      await stopAsana();
      await stopDrive();
      await db.drop();
    },
  };
}

/** Start-to-close times of the named activity in a workflow's history, following continueAsNew. */
async function activityTimes(client: Client, workflowId: string, firstRunId: string, name: string): Promise<{ ms: number[]; events: number }> {
  const num = (x: unknown): number => (x === null || x === undefined ? Number.NaN : Number(String(x)));
  const tsMs = (t: { seconds?: unknown; nanos?: number | null } | null | undefined): number => (t ? num(t.seconds) * 1000 + (t.nanos ?? 0) / 1e6 : Number.NaN);
  const out: number[] = [];
  let events = 0;
  let runId: string | undefined = firstRunId;
  while (runId) {
    const history = await client.workflow.getHandle(workflowId, runId).fetchHistory();
    const scheduled = new Set<number>();
    const started = new Map<number, number>();
    let next: string | undefined;
    for (const e of history.events ?? []) {
      events++;
      if (e.activityTaskScheduledEventAttributes?.activityType?.name === name) scheduled.add(num(e.eventId));
      const s = e.activityTaskStartedEventAttributes;
      if (s && scheduled.has(num(s.scheduledEventId))) started.set(num(s.scheduledEventId), tsMs(e.eventTime));
      const c = e.activityTaskCompletedEventAttributes;
      if (c && started.has(num(c.scheduledEventId))) out.push(tsMs(e.eventTime) - started.get(num(c.scheduledEventId))!);
      next = e.workflowExecutionContinuedAsNewEventAttributes?.newExecutionRunId ?? next;
    }
    runId = next;
  }
  return { ms: out, events };
}

// ------------------------------------------------------------------------------------ linking checks

const LINK_FIGURES = ['files', 'linked', 'explicit', 'byName', 'orphans', 'misnamed', 'conflicts', 'kept', 'unresolved', 'versionsWritten', 'commentsWritten', 'unmatchedAuthors', 'unmatchedComments'] as const;

/** Ground truth for each linking figure (null: the truth does not say). */
function linkingExpectation(t: Truth): Record<(typeof LINK_FIGURES)[number], number | null> {
  return {
    files: t.files, linked: t.explicit + t.name, explicit: t.explicit, byName: t.name, orphans: t.orphan, misnamed: t.misnamed, conflicts: 0, kept: 0,
    unresolved: null, versionsWritten: t.versions, commentsWritten: t.comments, unmatchedAuthors: t.unmatchedAuthors, unmatchedComments: t.unmatchedComments,
  };
}

/**
 * The figures the truth decides exactly: a difference is a problem. unmatchedAuthors and
 * unmatchedComments are shown against the truth's `matchesEmail` (exact match with an Asana user's
 * name) for reference only: the engine matches a display name with every known person's name, and the
 * Drive sync itself stores the display names of file modifiers and revision authors as persons, so it
 * can attribute more; whether it attributes correctly is checked comment by comment (attribution()).
 */
const STRICT: readonly string[] = ['files', 'linked', 'explicit', 'byName', 'orphans', 'misnamed', 'conflicts', 'kept', 'versionsWritten', 'commentsWritten'];

interface LinkingRow {
  figure: string;
  got: number | null;
  truth: number | null;
  strict: boolean;
}

function checkLinking(f: Findings, label: string, got: LinkingCounts, truth: Truth, opts: { firstPass: boolean }): LinkingRow[] {
  const want = linkingExpectation(truth);
  const rows: LinkingRow[] = [];
  if (!Object.keys(got).length) {
    check(f, false, `${label}: the sync run has no linking.* counts (the linking pass was skipped or did not run)`);
    return rows;
  }
  for (const k of LINK_FIGURES) {
    const g = got[k] ?? null;
    // versionsWritten and commentsWritten count rows written by this pass: only the first pass writes them all.
    const w = (k === 'versionsWritten' || k === 'commentsWritten') && !opts.firstPass ? null : want[k];
    const strict = STRICT.includes(k);
    rows.push({ figure: k, got: g, truth: w, strict });
    if (w === null || g === null || !strict) continue;
    check(f, g === w, `${label}: linking.${k} = ${fmt(g)}, the simulator's ground truth says ${fmt(w)}`);
  }
  return rows;
}

/** Live files whose link state differs from the truth's linkKind, grouped, with examples and the engine's reason. */
interface StateMismatch {
  truth: string;
  engine: string;
  count: number;
  examples: string[];
}

async function stateMismatches(rig: Rig): Promise<StateMismatch[]> {
  const { rows } = await rig.db.pool.query<{ external_id: string; name: string; state: string; via: string | null; reason: string | null }>(
    'SELECT external_id, name, state, via, reason FROM ops.file_links WHERE connection_id = $1',
    [rig.driveId],
  );
  const byId = new Map(rows.map((r) => [r.external_id, r]));
  const keys = [...rig.driveSim.control.truth.assetKeys.keys()];
  const groups = new Map<string, StateMismatch>();
  for (const t of rig.driveSim.control.truth.files.values()) {
    if (t.trashed || t.deleted || t.unshared || !rig.inScope(t.fileId)) continue;
    const e = byId.get(t.fileId);
    const engine = !e ? 'no state' : e.state === 'linked' ? (e.via ?? 'linked') : e.state;
    const truthKind = t.linkKind === 'orphan' ? 'orphan' : t.linkKind;
    if (engine === truthKind) continue;
    const g = groups.get(`${truthKind}→${engine}`) ?? { truth: truthKind, engine, count: 0, examples: [] };
    g.count++;
    if (g.examples.length < 4) {
      const stem = /^(.*)_v\d+\.[A-Za-z0-9]+$/.exec(t.name)?.[1];
      const candidates = stem ? keys.filter((k) => k.startsWith(`${stem}-`)).length : 0;
      g.examples.push(`\`${t.name}\` (intended key \`${t.assetKey ?? '—'}\`${candidates ? `; ${candidates} asset keys begin with \`${stem}-\`` : ''}; engine: ${e?.reason ?? e?.state ?? 'none'})`);
    }
    groups.set(`${truthKind}→${engine}`, g);
  }
  return [...groups.values()].sort((a, b) => b.count - a.count);
}

/** Comment authors on linked live files, checked against the truth: who the engine says wrote each comment, and who did. */
interface Attribution {
  comments: number;
  correct: number;
  wrong: number;
  unverifiable: number;
  unmatched: number;
  /** Unmatched although the author is a known person (under another name): matching by display name cannot see them. */
  unmatchedKnownPerson: number;
  wrongExamples: string[];
}

async function attribution(rig: Rig): Promise<Attribution> {
  const control = rig.driveSim.control;
  const truthAuthor = new Map<string, { email: string; name: string }>();
  for (const t of control.truth.files.values()) {
    for (const c of t.comments) {
      truthAuthor.set(`${t.fileId}/${c.id}`, { email: c.authorEmail.toLowerCase(), name: c.authorDisplayName });
      for (const r of c.replies) truthAuthor.set(`${t.fileId}/${c.id}/${r.id}`, { email: r.authorEmail.toLowerCase(), name: r.authorDisplayName });
    }
  }
  const byPermission = new Map(control.dataset.people.map((p) => [p.permissionId, p.email.toLowerCase()]));
  const { rows } = await rig.db.pool.query<{ external_id: string; author_id: string | null; email: string | null; accounts: string[] }>(
    `SELECT c.external_id, c.author_id, p.email,
            ARRAY(SELECT pi.external_id FROM core.person_identities pi WHERE pi.person_id = c.author_id AND pi.connection_id = $1) AS accounts
       FROM core.file_comments c
       JOIN core.files f ON f.id = c.file_id AND f.deleted_at IS NULL
       JOIN ops.file_links l ON l.connection_id = f.connection_id AND l.external_id = f.external_id AND l.state = 'linked'
       LEFT JOIN core.persons p ON p.id = c.author_id
      WHERE c.connection_id = $1 AND c.deleted_at IS NULL`,
    [rig.driveId],
  );
  const { rows: people } = await rig.db.pool.query<{ email: string | null }>('SELECT email FROM core.persons WHERE email IS NOT NULL');
  const knownEmails = new Set(people.map((p) => p.email!.toLowerCase()));
  const out: Attribution = { comments: rows.length, correct: 0, wrong: 0, unverifiable: 0, unmatched: 0, unmatchedKnownPerson: 0, wrongExamples: [] };
  for (const r of rows) {
    const truth = truthAuthor.get(r.external_id);
    if (r.author_id === null) {
      out.unmatched++;
      if (truth && knownEmails.has(truth.email)) out.unmatchedKnownPerson++;
      continue;
    }
    const emails = new Set([r.email?.toLowerCase(), ...r.accounts.map((a) => byPermission.get(a) ?? (a.includes('@') ? a.toLowerCase() : undefined))].filter((x): x is string => Boolean(x)));
    if (!truth || emails.size === 0) out.unverifiable++;
    else if (emails.has(truth.email)) out.correct++;
    else {
      out.wrong++;
      if (out.wrongExamples.length < 4) out.wrongExamples.push(`"${truth.name}" (${truth.email}) attributed to ${[...emails].join(', ')}`);
    }
  }
  return out;
}

// ------------------------------------------------------------------------------------ §1 full sync

interface CallsResult {
  stats: DriveStats;
  asana: { wallMs: number; calls: number; status: string };
  wallMs: number;
  byRoute: Record<string, number>;
  total: number;
  syncRunTotal: number;
  rateLimited: number;
  rateLimit: number;
  maxConcurrency: number;
  /** Rows written per kind (ops.sync_runs.counts). */
  rows: { kind: string; inserted: number; updated: number; unchanged: number }[];
  linking: LinkingRow[];
  mismatches: StateMismatch[];
  attribution: Attribution;
  /** The linking pass inside the sync (the linkAssets activity, start to close, from the workflow history). */
  linkingActivityMs: number | null;
  historyEvents: number;
  db: { files: number; folders: number; revisions: number; comments: number; rejected: number };
  findings: Findings;
}

function rowsByKind(counts: Record<string, number>): CallsResult['rows'] {
  const kinds = new Map<string, { kind: string; inserted: number; updated: number; unchanged: number }>();
  for (const [k, v] of Object.entries(counts)) {
    const m = /^(.+)\.(inserted|updated|unchanged)$/.exec(k);
    if (!m || k.startsWith('linking.')) continue;
    const row = kinds.get(m[1]!) ?? { kind: m[1]!, inserted: 0, updated: 0, unchanged: 0 };
    row[m[2] as 'inserted' | 'updated' | 'unchanged'] += v;
    kinds.set(m[1]!, row);
  }
  return [...kinds.values()];
}

async function fullSync(rig: Rig, client: Client, f: Findings): Promise<CallsResult> {
  const s = rig.stats;
  progress(`${rig.label}: Asana full sync first (the assets the linking pass links files to)`);
  const asana = await rig.syncAsana('full');
  check(f, asana.totals.status === 'succeeded', `Asana full sync status ${asana.totals.status}`);
  progress(`${rig.label}: Asana full sync ${asana.totals.status} in ${secs(asana.wallMs)} with ${fmt(asana.calls.total)} calls`);

  progress(`${rig.label}: Drive full sync of ${fmt(s.files)} files (R_min ${fmt(s.rMin.total)})`);
  const run = await rig.syncDrive('full');
  const calls = run.calls as CallStats;
  const syncRunTotal = Object.values(run.totals.apiCalls).reduce((a, b) => a + b, 0);
  progress(`${rig.label}: Drive full sync ${run.totals.status} in ${secs(run.wallMs)}: ${fmt(calls.total)} calls (simulator), ${fmt(syncRunTotal)} (sync run)`);
  check(f, run.totals.status === 'succeeded', `Drive full sync status ${run.totals.status}`);
  check(f, syncRunTotal === calls.total, `Drive full sync: the run counted ${fmt(syncRunTotal)} API calls, the simulator ${fmt(calls.total)}`);
  for (const route of new Set([...Object.keys(calls.byRoute), ...Object.keys(run.totals.apiCalls)])) {
    const a = calls.byRoute[route] ?? 0;
    const b = run.totals.apiCalls[route] ?? 0;
    check(f, a === b, `Drive full sync, ${route}: simulator ${fmt(a)} vs sync run ${fmt(b)}`);
  }
  const expected = expectedRoutes(s);
  for (const route of new Set([...Object.keys(expected), ...Object.keys(calls.byRoute)])) {
    const got = calls.byRoute[route] ?? 0;
    const want = expected[route] ?? 0;
    check(f, got === want, `Drive full sync, ${route}: ${fmt(got)} calls, expected ${fmt(want)} from the dataset (R_min part + root checks)`);
  }
  const eta = s.rMin.total / calls.total;
  check(f, eta >= 0.95, `Drive full sync: η_calls ${fmt3(eta)} < 0.95 (R_min ${fmt(s.rMin.total)}, R_actual ${fmt(calls.total)})`);
  check(f, calls.rateLimited === 0, `Drive full sync against an unlimited simulator received ${calls.rateLimited} quota errors`);

  const q = async (sql: string): Promise<number> => Number(Object.values((await rig.db.pool.query(sql, [rig.driveId])).rows[0] as object)[0]);
  const db = {
    files: await q('SELECT count(*) FROM core.files WHERE connection_id = $1 AND NOT is_folder AND deleted_at IS NULL'),
    folders: await q('SELECT count(*) FROM core.files WHERE connection_id = $1 AND is_folder AND deleted_at IS NULL'),
    revisions: await q('SELECT count(*) FROM core.file_revisions WHERE connection_id = $1'),
    comments: await q('SELECT count(*) FROM core.file_comments WHERE connection_id = $1'),
    rejected: await q('SELECT count(*) FROM ops.rejected_records WHERE connection_id = $1'),
  };
  check(f, db.files === s.files, `Drive full sync: ${fmt(db.files)} live files stored, the dataset has ${fmt(s.files)} in scope`);
  check(f, db.revisions === s.revisions, `Drive full sync: ${fmt(db.revisions)} revisions stored, the dataset serves ${fmt(s.revisions)}`);
  check(f, db.comments === s.comments + s.replies, `Drive full sync: ${fmt(db.comments)} comments and replies stored, the dataset has ${fmt(s.comments + s.replies)}`);
  check(f, db.rejected === 0, `Drive full sync rejected ${fmt(db.rejected)} records of a clean dataset`);

  const linking = checkLinking(f, 'Drive full sync', run.linking, s.truth, { firstPass: true });
  const mismatches = await stateMismatches(rig);
  const attr = await attribution(rig);
  check(f, attr.wrong === 0, `Drive full sync: ${fmt(attr.wrong)} comments attributed to the wrong person (${attr.wrongExamples.join('; ')})`);
  const hist = await activityTimes(client, run.workflowId, run.firstRunId, 'linkAssets');
  return {
    stats: s,
    asana: { wallMs: asana.wallMs, calls: asana.calls.total, status: asana.totals.status },
    wallMs: run.wallMs, byRoute: calls.byRoute, total: calls.total, syncRunTotal, rateLimited: calls.rateLimited,
    rateLimit: rig.driveCfg.rate_limit_per_minute, maxConcurrency: rig.driveCfg.max_concurrency,
    rows: rowsByKind(run.totals.counts), linking, mismatches, attribution: attr, linkingActivityMs: hist.ms.at(-1) ?? null, historyEvents: hist.events, db, findings: f,
  };
}

/** What the engine should send per route for a full sync: R_min's parts plus the check of each configured root. */
function expectedRoutes(s: DriveStats): Record<string, number> {
  return {
    'GET /changes/startPageToken': s.rMin.startToken,
    'GET /files': s.rMin.listings + s.rMin.walk,
    'GET /files/{fileId}/revisions': s.rMin.revisions,
    'GET /files/{fileId}/comments': s.rMin.comments,
    ...s.overhead,
  };
}

// ------------------------------------------------------------------------------------ §2 incremental

interface Scenario {
  name: string;
  mix: string;
  changedFiles: number;
  byRoute: Record<string, number>;
  total: number;
  wallMs: number;
  /** Model: changes pages + per changed file (comments, and revisions when the head revision moved). */
  model: { changesPages: number; comments: number; revisions: number };
  landed: string[];
  linking: LinkingRow[];
  mismatches: StateMismatch[];
}

interface IncrementalResult {
  scenarios: Scenario[];
  findings: Findings;
}

async function incremental(rig: Rig, f: Findings): Promise<IncrementalResult> {
  const control = rig.driveSim.control;
  const truth = control.truth;
  const used = new Set<string>();
  const usedKeys = new Set<string>();
  const live = () => [...truth.files.values()].filter((x) => !x.trashed && !x.deleted && !x.unshared && rig.inScope(x.fileId) && !used.has(x.fileId));
  const binary = (x: { mimeType: string }) => !isEditor(x.mimeType);
  const maxVersion = new Map<string, number>();
  for (const x of truth.files.values()) if (x.assetKey) maxVersion.set(x.assetKey, Math.max(maxVersion.get(x.assetKey) ?? 0, ...x.versionNumbers));
  const take = <T extends { fileId: string; assetKey: string | null }>(xs: T[], n: number, what: string, distinctKeys = false, atMost = false): T[] => {
    const out: T[] = [];
    for (const x of xs) {
      if (out.length >= n) break;
      if (distinctKeys && (x.assetKey === null || usedKeys.has(x.assetKey))) continue;
      used.add(x.fileId);
      if (distinctKeys) usedKeys.add(x.assetKey!);
      out.push(x);
    }
    if (out.length < n && !atMost) throw new Error(`incremental: only ${out.length} of ${n} files to ${what}`);
    return out;
  };
  const ext = (name: string) => /\.([A-Za-z0-9]+)$/.exec(name)?.[1] ?? 'psd';
  const vname = (key: string, n: number, e: string) => `${key}_v${String(n).padStart(2, '0')}.${e}`;
  const one = async <R extends pg.QueryResultRow>(sql: string, params: unknown[]) => (await rig.db.pool.query<R>(sql, [rig.driveId, ...params])).rows;
  const scenarios: Scenario[] = [];

  /** Makes `n` changes of each kind, then syncs incrementally and checks that each landed. */
  const scenario = async (name: string, mix: { revisions: number; renames: number; comments: number; trash: number }) => {
    // Uploads: a designer saves the next version into an existing asset file ("Manage versions").
    // The next _vNN is one above every _vNN the asset has, in Drive (truth) and in any tool (its stored versions' names).
    const toUpload = take(live().filter((x) => binary(x) && (x.linkKind === 'name' || x.linkKind === 'explicit')), mix.revisions, 'upload to', true);
    const before = new Map(
      (await one<{ external_id: string; top: number | null; names: (string | null)[]; listing: string | null }>(
        `SELECT l.external_id, max(v.number)::int AS top, array_agg(v.name) AS names,
                string_agg('#' || v.number || ' ' || v.name || ' (' || v.source || CASE WHEN v.deleted_at IS NULL THEN '' ELSE ', deleted' END || ')', ', '
                           ORDER BY v.number, v.remote_created_at) AS listing
           FROM ops.file_links l LEFT JOIN core.versions v ON v.asset_id = l.asset_id
          WHERE l.connection_id = $1 AND l.external_id = ANY($2::text[]) GROUP BY l.external_id`,
        [toUpload.map((x) => x.fileId)],
      )).map((r) => [r.external_id, r]),
    );
    const uploads = toUpload.map((x) => {
      const b = before.get(x.fileId);
      const named = (b?.names ?? []).map((nm) => Number(/_v(\d{2,3})\.[A-Za-z0-9]+$/i.exec(nm ?? '')?.[1] ?? 0));
      // What a designer looking at the asset's versions would call the next one: above every _vNN and every version number.
      const n = Math.max(maxVersion.get(x.assetKey!) ?? 0, b?.top ?? 0, ...named) + 1;
      maxVersion.set(x.assetKey!, n);
      const originalFilename = vname(x.assetKey!, n, ext(x.name));
      return { fileId: x.fileId, version: n, topBefore: b?.top ?? 0, listingBefore: b?.listing ?? '', originalFilename, revId: control.addRevision(x.fileId, { originalFilename }) };
    });
    // Renames: a misnamed file gets its proper name (key and newest version it holds), so it links by name. A small
    // dataset may have fewer misnamed files: the rest of the renames become comments.
    // Assets touched by an upload are left alone, so that each check sees one change per asset.
    const renames = take(live().filter((x) => x.linkKind === 'misnamed' && x.assetKey !== null && x.taskGid !== null && !usedKeys.has(x.assetKey) && x.versionNumbers.length > 0), mix.renames, 'rename', false, true).map((x) => {
      usedKeys.add(x.assetKey!);
      const to = vname(x.assetKey!, Math.max(...x.versionNumbers), ext(x.name));
      control.renameFile(x.fileId, to);
      return { fileId: x.fileId, to, taskGid: x.taskGid!, versionNumbers: [...x.versionNumbers] };
    });
    // The renamed files' assets as they are before the sync: linking the file should add no version numbers (the truth
    // says its revisions are versions the asset already has: its versionNumbers).
    const assetVersions = async (gids: string[]) =>
      new Map(
        (await rig.db.pool.query<{ gid: string; top: number | null; listing: string | null }>(
          `SELECT a.external_id AS gid, max(v.number)::int AS top,
                  string_agg('#' || v.number || ' ' || v.name || ' (' || v.source || CASE WHEN v.deleted_at IS NULL THEN '' ELSE ', deleted' END || ')', ', '
                             ORDER BY v.number, v.remote_created_at) AS listing
             FROM core.assets a LEFT JOIN core.versions v ON v.asset_id = a.id WHERE a.external_id = ANY($1::text[]) GROUP BY a.external_id`,
          [gids],
        )).rows.map((r) => [r.gid, r]),
      );
    const renamedAssetsBefore = await assetVersions(renames.map((r) => r.taskGid));
    const commented = take(live().filter((x) => binary(x) && (x.linkKind === 'name' || x.linkKind === 'explicit')), mix.comments + mix.renames - renames.length, 'comment on').map((x, i) => ({
      fileId: x.fileId, commentId: control.addComment(x.fileId, `Bench comment ${i + 1}: can we try the headline one size up?`),
    }));
    const trashed = take(live().filter((x) => x.linkKind === 'name'), mix.trash, 'trash').map((x) => {
      control.trashFile(x.fileId);
      return { fileId: x.fileId };
    });
    const changedFiles = uploads.length + renames.length + commented.length + trashed.length;
    const model = { changesPages: pages(changedFiles, 1000), comments: uploads.length + renames.length + commented.length, revisions: uploads.length };

    progress(`incremental: ${name}`);
    const run = await rig.syncDrive('incremental');
    const calls = run.calls as CallStats;
    check(f, run.totals.status === 'succeeded', `incremental ${name}: status ${run.totals.status}`);
    const syncTotal = Object.values(run.totals.apiCalls).reduce((a, b) => a + b, 0);
    check(f, syncTotal === calls.total, `incremental ${name}: the run counted ${syncTotal} calls, the simulator ${calls.total}`);
    check(f, calls.rateLimited === 0, `incremental ${name}: ${calls.rateLimited} quota errors from an unlimited simulator`);
    const modelTotal = model.changesPages + model.comments + model.revisions;
    target(f, calls.total <= modelTotal, `incremental ${name}: ${calls.total} calls, the model says ${modelTotal}`);

    const landed: string[] = [];
    if (uploads.length) {
      // A new version of its asset, numbered last: versions are numbered 1…n (one row per tool record, so several rows can
      // share a number), and the new _vNN sorts after every other.
      const rows = await one<{ external_id: string; number: number | null; top: number | null }>(
        `SELECT r.external_id, v.number, (SELECT max(v2.number)::int FROM core.versions v2 WHERE v2.asset_id = v.asset_id) AS top
           FROM core.file_revisions r LEFT JOIN core.versions v ON v.id = r.id AND v.deleted_at IS NULL
          WHERE r.connection_id = $1 AND r.external_id = ANY($2::text[])`,
        [uploads.map((u) => `${u.fileId}/${u.revId}`)],
      );
      const byId = new Map(rows.map((r) => [r.external_id, r]));
      const stored = uploads.filter((u) => byId.has(`${u.fileId}/${u.revId}`)).length;
      const newest = uploads.filter((u) => {
        const r = byId.get(`${u.fileId}/${u.revId}`);
        return r?.number != null && r.number === r.top && r.number > u.topBefore;
      });
      // The older versions should keep their numbers: the newest is then top + 1.
      const shifted = newest.filter((u) => byId.get(`${u.fileId}/${u.revId}`)?.number !== u.topBefore + 1);
      const truthOk = uploads.filter((u) => control.truthOf(u.fileId)?.revisions.at(-1)?.versionNumber === u.version).length;
      check(f, stored === uploads.length, `incremental ${name}: ${stored}/${uploads.length} new revisions stored`);
      const wrongUploads = uploads.filter((u) => !newest.includes(u));
      const wrong = wrongUploads.slice(0, 3).map((u) => {
        const r = byId.get(`${u.fileId}/${u.revId}`);
        return `${u.originalFilename}: version ${r?.number ?? 'none'} of ${r?.top ?? '?'} (had ${u.topBefore})`;
      });
      const versionsNow = async (fileId: string): Promise<string> =>
        (await one<{ listing: string }>(
          `SELECT string_agg('#' || v.number || ' ' || v.name || ' (' || v.source || CASE WHEN v.deleted_at IS NULL THEN '' ELSE ', deleted' END || ')', ', '
                             ORDER BY v.number, v.remote_created_at) AS listing
             FROM core.versions v WHERE v.asset_id = (SELECT asset_id FROM ops.file_links WHERE connection_id = $1 AND external_id = $2)`,
          [fileId],
        ))[0]?.listing ?? '';
      if (wrongUploads[0]) wrong.push(`the asset of ${wrongUploads[0].originalFilename} before: ${wrongUploads[0].listingBefore}; after: ${await versionsNow(wrongUploads[0].fileId)}`);
      check(f, newest.length === uploads.length, `incremental ${name}: ${newest.length}/${uploads.length} new revisions became their asset's newest version (${wrong.join('; ')})`);
      if (shifted[0]) {
        const u = shifted[0];
        check(f, false, `incremental ${name}: ${shifted.length}/${uploads.length} uploads renumbered their asset's older versions (the newest should be #${u.topBefore + 1}); e.g. ${u.originalFilename}: before ${u.listingBefore}; after ${await versionsNow(u.fileId)}`);
      }
      check(f, truthOk === uploads.length, `incremental ${name}: the simulator's truth numbers ${truthOk}/${uploads.length} uploads as their _vNN`);
      landed.push(`revisions ${stored}/${uploads.length} (a new, newest version of the asset: ${newest.length}; older versions kept their numbers: ${newest.length - shifted.length})`);
    }
    if (renames.length) {
      const rows = await one<{ external_id: string; name: string; state: string | null }>(
        `SELECT f.external_id, f.name, l.state FROM core.files f LEFT JOIN ops.file_links l ON l.connection_id = f.connection_id AND l.external_id = f.external_id
          WHERE f.connection_id = $1 AND f.external_id = ANY($2::text[])`,
        [renames.map((r) => r.fileId)],
      );
      const byId = new Map(rows.map((r) => [r.external_id, r]));
      const named = renames.filter((r) => byId.get(r.fileId)?.name === r.to).length;
      const linked = renames.filter((r) => byId.get(r.fileId)?.state === 'linked').length;
      check(f, named === renames.length, `incremental ${name}: ${named}/${renames.length} renames landed`);
      check(f, linked === renames.length, `incremental ${name}: ${linked}/${renames.length} renamed (fixed) files are now linked`);
      const after = await assetVersions(renames.map((r) => r.taskGid));
      const grew = renames.filter((r) => {
        const b = renamedAssetsBefore.get(r.taskGid)?.top ?? 0;
        const a = after.get(r.taskGid)?.top ?? 0;
        return a > Math.max(b, ...r.versionNumbers);
      });
      if (grew[0]) {
        const r = grew[0];
        check(f, false,
          `incremental ${name}: linking ${grew.length}/${renames.length} renamed files gave their asset more versions than the truth has (the file holds versions ${r.versionNumbers.join(', ')}); ` +
            `e.g. ${r.to}: before ${renamedAssetsBefore.get(r.taskGid)?.listing ?? 'none'}; after ${after.get(r.taskGid)?.listing ?? 'none'}`);
      }
      landed.push(`renames ${named}/${renames.length} (now linked: ${linked}; no extra versions: ${renames.length - grew.length})`);
    }
    if (commented.length) {
      const rows = await one<{ n: number; projected: number }>(
        `SELECT count(*)::int AS n, count(c2.id)::int AS projected FROM core.file_comments c LEFT JOIN core.comments c2 ON c2.id = c.id AND c2.deleted_at IS NULL
          WHERE c.connection_id = $1 AND c.external_id = ANY($2::text[])`,
        [commented.map((c) => `${c.fileId}/${c.commentId}`)],
      );
      const n = rows[0]?.n ?? 0;
      const projected = rows[0]?.projected ?? 0;
      check(f, n === commented.length, `incremental ${name}: ${n}/${commented.length} new comments stored`);
      check(f, projected === commented.length, `incremental ${name}: ${projected}/${commented.length} new comments became asset comments`);
      landed.push(`comments ${n}/${commented.length} (on the asset: ${projected})`);
    }
    if (trashed.length) {
      const rows = await one<{ n: number }>(
        `SELECT count(*)::int AS n FROM core.files WHERE connection_id = $1 AND external_id = ANY($2::text[]) AND deleted_at IS NOT NULL`,
        [trashed.map((t) => t.fileId)],
      );
      const n = rows[0]?.n ?? 0;
      check(f, n === trashed.length, `incremental ${name}: ${n}/${trashed.length} trashed files tombstoned`);
      landed.push(`trash ${n}/${trashed.length}`);
    }
    const linking = changedFiles ? checkLinking(f, `incremental ${name}`, run.linking, truthCounts(control, rig.inScope), { firstPass: false }) : [];
    const mismatches = changedFiles ? await stateMismatches(rig) : [];
    const mixText = [
      uploads.length ? `${uploads.length} new revisions` : '', renames.length ? `${renames.length} renamed` : '', commented.length ? `${commented.length} commented` : '', trashed.length ? `${trashed.length} trashed` : '',
    ].filter(Boolean).join(', ') || '—';
    progress(`incremental: ${name}: ${calls.total} calls (model ${modelTotal}) in ${secs(run.wallMs)}`);
    scenarios.push({ name, mix: mixText, changedFiles, byRoute: calls.byRoute, total: calls.total, wallMs: run.wallMs, model, landed, linking, mismatches });
    return calls;
  };

  const zero = await scenario('0 changes', { revisions: 0, renames: 0, comments: 0, trash: 0 });
  check(f, zero.total >= 1 && zero.total <= 2, `incremental with no change made ${zero.total} calls (expected 1–2)`);
  check(f, (zero.byRoute['GET /changes'] ?? 0) === 1 && zero.total === 1, `incremental with no change: ${JSON.stringify(zero.byRoute)} (expected exactly one GET /changes)`);
  await scenario('10 changes', { revisions: 3, renames: 3, comments: 3, trash: 1 });
  await scenario('200 changes', { revisions: 60, renames: 60, comments: 60, trash: 20 });
  return { scenarios, findings: f };
}

// ------------------------------------------------------------------------------------ §3 linking time

interface LinkingTimes {
  /** Pure linkFiles on the synthetic dataset of linking.bench.ts: N assets × N files, best of 3 after 2 warm-ups. */
  pure: { n: number; bestMs: number; counts: string }[];
  /** Pure linkFiles on the assets and files the DB pass reads (the synced reference data). */
  real: { assets: number; files: number; bestMs: number; counts: string };
  /** linkWorkspace({ force: true }) on the synced reference data, best of 3, and what the last one did. */
  db: { bestMs: number; runsMs: number[]; summary: LinkingSummary };
  /** The linking pass inside the Drive full sync (writes everything): the linkAssets activity, from the workflow history. */
  inSyncMs: number | null;
  findings: Findings;
}

// The synthetic dataset of test/bench/linking.bench.ts (not importable: that file is a script). Per 10
// files: 1 explicit, 1 misnamed (lower case), 1 with a key no asset has, 7 by name; 1 conflict per 1,000.
const synthId = (i: number): string => `1${String(i).padStart(8, '0')}AbCdEfGhIjKlMnOpQrStUvWx`;
const synthKey = (i: number): string => `C${i % 40}_CAMP${Math.floor(i / 40) % 25}_BANNER${i}-300x250`;
function synthetic(size: number): { assets: LinkableAsset[]; files: LinkableFile[] } {
  const assets: LinkableAsset[] = [];
  const files: LinkableFile[] = [];
  for (let i = 0; i < size; i++) {
    const explicit = i % 10 === 0 ? [synthId(i)] : [];
    if (i % 1000 === 5) explicit.push(synthId(i - 5));
    assets.push({ id: `a${i}`, key: synthKey(i), explicitFileIds: explicit });
    const name = i % 10 === 0 ? `Untitled design ${i}.psd`
      : i % 10 === 1 ? `${synthKey(i).toLowerCase()}_v03.psd`
      : i % 10 === 2 ? `ZZ_NOPE_BANNER${i}-300x250_v01.psd`
      : `${synthKey(i)}_v0${(i % 9) + 1}.psd`;
    files.push({ fileId: synthId(i), name, connectionId: 'agency-drive' });
  }
  return { assets, files };
}

function bestOf(assets: LinkableAsset[], files: LinkableFile[]): { bestMs: number; counts: string } {
  const naming = createNaming(DEFAULT_NAMING);
  let best = Number.POSITIVE_INFINITY;
  let counts = '';
  for (let run = 0; run < 5; run++) {
    const t0 = performance.now();
    const r = linkFiles(assets, files, { naming });
    const ms = performance.now() - t0;
    if (run >= 2) best = Math.min(best, ms); // two warm-ups at this size, then best of 3
    counts = `links ${fmt(r.links.length)}, conflicts ${fmt(r.conflicts.length)}, misnamed ${fmt(r.misnamed.length)}, orphans ${fmt(r.orphans.length)}`;
  }
  return { bestMs: best, counts };
}

async function linkingTimes(rig: Rig, inSyncMs: number | null, f: Findings): Promise<LinkingTimes> {
  const pure: LinkingTimes['pure'] = [];
  // The JIT warmed up on the largest size first, so that the smallest is not measured half-compiled.
  const warm = synthetic(20_000);
  bestOf(warm.assets, warm.files);
  for (const n of [5_000, 10_000, 20_000]) {
    const { assets, files } = synthetic(n);
    const m = bestOf(assets, files);
    pure.push({ n, ...m });
    progress(`linking: linkFiles ${fmt(n)} × ${fmt(n)}: best ${msf(m.bestMs)} (${m.counts})`);
  }
  for (let i = 1; i < pure.length; i++) {
    const ratio = pure[i]!.bestMs / pure[i - 1]!.bestMs;
    target(f, ratio <= 2.6, `linkFiles: ${fmt(pure[i]!.n)} vs ${fmt(pure[i - 1]!.n)} took ${fmt2(ratio)}× (linear ≈ 2, quadratic ≈ 4; target ≤ 2.6)`);
  }

  // The same inputs the DB pass builds (activities/linking.ts pass()), read once, then linkFiles alone.
  const { rows: assetRows } = await rig.db.pool.query<{ id: string; key: string | null; refs: string[] }>(
    `SELECT a.id, a.fields ->> 'Asset key' AS key,
            ARRAY(SELECT jsonb_array_elements_text(a.file_refs)
                  UNION SELECT v.file_ref FROM core.versions v WHERE v.asset_id = a.id AND v.file_ref IS NOT NULL AND v.source <> 'revision') AS refs
       FROM core.assets a WHERE a.deleted_at IS NULL ORDER BY a.id`,
  );
  const { rows: fileRows } = await rig.db.pool.query<{ external_id: string; name: string; connection_id: string }>(
    `SELECT external_id, name, connection_id FROM core.files WHERE NOT is_folder AND deleted_at IS NULL ORDER BY remote_created_at NULLS LAST, id`,
  );
  const realAssets = assetRows.map((r) => ({ id: r.id, key: r.key, explicitFileIds: r.refs }));
  const realFiles = fileRows.map((r) => ({ fileId: r.external_id, name: r.name, connectionId: r.connection_id }));
  const rm = bestOf(realAssets, realFiles);
  const real = { assets: realAssets.length, files: realFiles.length, ...rm };
  progress(`linking: linkFiles on the synced data, ${fmt(real.assets)} assets × ${fmt(real.files)} files: best ${msf(rm.bestMs)}`);

  const runsMs: number[] = [];
  let summary: LinkingSummary | null = null;
  for (let i = 0; i < 3; i++) {
    const t0 = performance.now();
    summary = await linkWorkspace(rig.deps, { force: true });
    runsMs.push(performance.now() - t0);
  }
  const db = { bestMs: Math.min(...runsMs), runsMs, summary: summary! };
  progress(`linking: linkWorkspace({ force: true }) best ${msf(db.bestMs)} of ${runsMs.map(msf).join(', ')}`);
  check(f, summary!.versionsWritten === 0 && summary!.commentsWritten === 0, `linking: a forced pass over unchanged data wrote ${summary!.versionsWritten} versions and ${summary!.commentsWritten} comments (expected 0)`);
  return { pure, real, db, inSyncMs, findings: f };
}

// ------------------------------------------------------------------------------------ §4 quota

interface QuotaResult {
  stats: DriveStats;
  rate: number;
  wallMs: number;
  total: number;
  byRoute: Record<string, number>;
  byStatus: Record<string, number>;
  rateLimited: number;
  asanaWallMs: number;
  concurrency: number;
  /** The longest stretch without a request during the sync (sampled every 100 ms), when it began, and when the first quota error came. */
  gaps: { longestMs: number; startMs: number; firstQuotaErrorMs: number | null };
  findings: Findings;
}

// ------------------------------------------------------------------------------------ machine facts

// ------------------------------------------------------------------------------------ results

/** When and with what a section ran (sections may come from different runs, see --write). */
interface RunInfo {
  machine: Machine;
  tasks: number;
  seed: number;
  projects: number | null;
  wholeRunMs: number;
}

interface Results {
  calls?: { run: RunInfo; r: CallsResult };
  incremental?: { run: RunInfo; r: IncrementalResult };
  linking?: { run: RunInfo; r: LinkingTimes };
  quota?: { run: RunInfo; r: QuotaResult };
}

const DOC = join(repoRoot, 'docs', 'BENCHMARKS-drive.md');
const INDEX = join(repoRoot, 'docs', 'BENCHMARKS.md');
const DATA_MARK = '<!-- drive-bench-data ';

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
    progress('the figures kept in docs/BENCHMARKS-drive.md could not be read; writing this run\'s sections only');
    return {};
  }
}

// ------------------------------------------------------------------------------------ the report

function routeTable(byRoute: Record<string, number>, expected: Record<string, number>): (string | number)[][] {
  const routes = [...new Set([...Object.keys(byRoute), ...Object.keys(expected)])].sort();
  return routes.map((r) => [`\`${r}\``, fmt(expected[r] ?? 0), fmt(byRoute[r] ?? 0)]);
}

function runLine(run: RunInfo): string {
  return `Run ${run.machine.date} on commit ${run.machine.commit}, load average at start ${run.machine.load}; dataset \`generateAgency({ seed: ${run.seed}, tasks: ${run.tasks}${run.projects ? `, projects: ${run.projects}` : ''} })\` + \`generateDrive(agency, { seed: ${run.seed} })\`.`;
}

function report(r: Results, opts: { forDocs: boolean }): string {
  const out: string[] = [];
  const summary: (string | number)[][] = [];
  const problems: string[] = [];
  const missed: string[] = [];
  const collect = (section: string, f: Findings) => {
    const label = (p: string) => (p.startsWith(section) ? p : `${section}: ${p}`);
    problems.push(...f.problems.map(label));
    missed.push(...f.missed.map(label));
  };

  out.push('# Benchmarks: the Google Drive sync');
  out.push('');
  out.push(
    (opts.forDocs ? 'Generated by `npm run bench:drive -- --write` (`test/bench/drive.bench.ts`); rerun it rather than editing this file. ' : '') +
      'The script starts its own PostgreSQL database, Temporal dev server, Asana and Drive simulators and worker, and measures the Drive sync ' +
      'against the minimum of `docs/engineering-facts.md` §7.4 (in `../shared/docs/`). The Asana simulator serves the same agency and is synced ' +
      'first, as in a real workspace, so the linking pass at the end of each Drive sync has assets to link files to. Timings come from one run ' +
      'on the machine below and are not asserted by any test; counts are checked by the script itself (see "Problems"). ' +
      (opts.forDocs ? 'Sections can be rerun on their own (`--only calls,incremental,linking,quota`); each says when it ran.' : ''),
  );
  out.push('');
  const latest = [r.calls?.run, r.incremental?.run, r.linking?.run, r.quota?.run].filter((x): x is RunInfo => x !== undefined).sort((a, b) => a.machine.date.localeCompare(b.machine.date)).at(-1);
  if (latest) {
    const m = latest.machine;
    out.push('## Machine');
    out.push('');
    out.push(table(['Fact', 'Value'], [
      ['CPU', `${m.cores} × ${m.cpu}`],
      ['Memory', m.memory],
      ['OS', m.os],
      ['Node', m.node],
      ['PostgreSQL', m.postgres],
      ['Temporal CLI', `${m.temporal.replace(/\n/g, ' ')}${/0\.0\.0-DEV/.test(m.temporal) ? ' (built from source with `go install …@v1.5.1`, which stamps no version)' : ''}`],
      ...([['calls', r.calls?.run], ['incremental', r.incremental?.run], ['linking', r.linking?.run], ['quota', r.quota?.run]] as const)
        .filter(([, x]) => x !== undefined)
        .map(([name, x]) => [`Section \`${name}\`: run at (load average 1, 5, 15 min; whole run)`, `${x!.machine.date} (${x!.machine.load}; ${minsec(x!.wholeRunMs)}), commit ${x!.machine.commit}`]),
    ]));
    out.push('');
    out.push(
      'Everything shares the same cores: PostgreSQL, the Temporal dev server (SQLite), and one Node process that runs both simulators ' +
        '(HTTP servers and their data), the worker (activities and workflow code) and this script.',
    );
    out.push('');
  }

  const s = r.calls?.r.stats;
  if (s && r.calls) {
    const t = s.truth;
    out.push('## Dataset');
    out.push('');
    out.push(`${runLine(r.calls.run)} The connection is configured like a real one: the shared drive (\`shared_drives\`) and the My Drive hand-off folder (\`folders\`). What the generator produced:`);
    out.push('');
    out.push(table(['Figure', 'Count'], [
      ['Files generated (trashed and deleted included)', fmt(s.generatedFiles)],
      ['… trashed, deleted or unshared (not listed by a full sync)', fmt(s.trashedOrDeleted)],
      ['Live files in scope, F', fmt(s.files)],
      ['… binary (PSD, MP4, PDF, …): F_binary', fmt(s.binary)],
      ['… Google Docs, Sheets, Slides (no revision list to read)', fmt(s.editor)],
      ['Live folders in scope', fmt(s.folders)],
      ...s.roots.map((x) => [`Root ${x.kind === 'drive' ? 'shared drive' : 'folder'} "${x.name}": items (folders)`, `${fmt(x.items)} (${fmt(x.folders)})`]),
      ['Revisions served (binary files)', fmt(s.revisions)],
      ['Comments (deleted ones included) / replies', `${fmt(s.comments)} / ${fmt(s.replies)}`],
      ['Records a full sync fetches (items listed + revisions + comments + replies)', fmt(s.records)],
      ['Ground truth, live files: explicit / by name / misnamed / orphan', `${fmt(t.explicit)} / ${fmt(t.name)} / ${fmt(t.misnamed)} / ${fmt(t.orphan)}`],
    ]));
    out.push('');
  }

  const summaryAt = out.length;
  out.push('');

  if (r.calls && s) {
    const c = r.calls.r;
    collect('calls', c.findings);
    const eta = s.rMin.total / c.total;
    const expected = expectedRoutes(s);
    const overhead = c.total - s.rMin.total;
    summary.push(['1', 'Full Drive sync, API calls R_actual', fmt(c.total), `R_min ${fmt(s.rMin.total)} (§7.4)`, `η_calls ${fmt3(eta)} (target ≥ 0.95)`]);
    summary.push(['1', 'Full Drive sync, wall time (simulator unlimited)', `${minsec(c.wallMs)}; ${fmt(perSec(s.records, c.wallMs))} records/s, ${fmt(perSec(c.total, c.wallMs))} calls/s`, `R_actual at 12,000 req/min: ${minsec((c.total / 12_000) * 60_000)}`, 'for information']);
    out.push('## 1. Full Drive sync: API calls against the minimum');
    out.push('');
    out.push(
      '**What:** every request a full Drive sync of the reference dataset makes, by route, after a full Asana sync of the same agency ' +
        `(${minsec(c.asana.wallMs)}, ${fmt(c.asana.calls)} Asana calls, not counted here). **How:** the Drive simulator counts each request it receives ` +
        '(`control.calls()`), and the sync run counts each request it sends (`ops.sync_runs.api_calls`); the script fails if the two differ, or if a ' +
        `route's count differs from what the dataset implies. The connection runs with \`rate_limit_per_minute: ${fmt(c.rateLimit)}\` and ` +
        `\`max_concurrency: ${c.maxConcurrency}\` (the default); the simulator is unlimited. **Compared with:** R_min of engineering-facts §7.4, computed from the generated dataset:`,
    );
    out.push('');
    out.push('```');
    out.push('R_min = 1                                  changes.getStartPageToken (before the crawl, so nothing changed during it is missed)');
    out.push('      + Σ_shared drives ⌈items / 1000⌉     files.list, corpora=drive, pageSize 1000 (folders are items too)');
    out.push('      + Σ_folder roots walk(root)          files.list breadth first, ≤ 50 parents per query: Σ_batches ⌈children / 1000⌉');
    out.push('      + Σ_binary files ⌈revisions / 1000⌉  revisions.list (Google Docs, Sheets and Slides need none)');
    out.push('      + Σ_files ⌈comments / 100⌉           comments.list, replies inline (a listing costs ≥ 1 call, even when empty)');
    out.push('```');
    out.push('');
    out.push(
      `Here: 1 + ${s.rMin.listings} + ${s.rMin.walk} + ${fmt(s.rMin.revisions)} + ${fmt(s.rMin.comments)} = **${fmt(s.rMin.total)}**. ` +
        `η_calls = R_min / R_actual = ${fmt(s.rMin.total)} / ${fmt(c.total)} = **${fmt3(eta)}**.`,
    );
    out.push('');
    out.push(table(['Route', 'Expected (R_min part, or root check)', 'Simulator count'], [
      ...routeTable(c.byRoute, expected),
      ['**Total**', `**${fmt(s.rMin.total + Object.values(s.overhead).reduce((a, b) => a + b, 0))}**`, `**${fmt(c.total)}**`],
    ]));
    out.push('');
    out.push(
      `The sync run counted ${fmt(c.syncRunTotal)} calls itself; ${fmt(c.rateLimited)} were answered with a quota error. ` +
        (overhead > 0
          ? `**The ${fmt(overhead)} call${overhead === 1 ? '' : 's'} above R_min** ${overhead === 1 ? 'is' : 'are'} the check of the configured roots in \`planDrive\` (activities/drive.ts): ` +
            '`GET /drives/{driveId}` per shared drive and `GET /files/{fileId}` per folder, made on every full sync so that a root that does not exist or is not shared ' +
            'fails the sync with a message naming it (`connections.N.folders.M: …`). It also stores the roots in the ancestor map. The folder\'s own record could come ' +
            'from elsewhere only by giving up that message; the cost is one call per configured root, independent of F.'
          : 'No call beyond R_min.'),
    );
    out.push('');
    out.push(table(['Measure', 'Value'], [
      ['Wall time, `startSync` to result', minsec(c.wallMs)],
      ['Records fetched (items listed + revisions + comments + replies)', fmt(s.records)],
      ['Records per second', fmt(perSec(s.records, c.wallMs))],
      ['API calls per second', fmt(perSec(c.total, c.wallMs))],
      ['The same calls at 12,000 req/min (legacy per-user Drive quota)', minsec((c.total / 12_000) * 60_000)],
      ['Linking pass inside the sync (`linkAssets` activity, start to close)', c.linkingActivityMs === null ? 'n/a' : msf(c.linkingActivityMs)],
      ['Temporal history events of the sync', fmt(c.historyEvents)],
      ['Stored: live files / folders / revisions / comments and replies / rejected', `${fmt(c.db.files)} / ${fmt(c.db.folders)} / ${fmt(c.db.revisions)} / ${fmt(c.db.comments)} / ${fmt(c.db.rejected)}`],
    ]));
    out.push('');
    out.push('Rows written, from the sync run\'s own totals (`ops.sync_runs.counts`):');
    out.push('');
    out.push(table(['Kind', 'Inserted', 'Updated', 'Unchanged'], c.rows.map((k) => [k.kind, fmt(k.inserted), fmt(k.updated), fmt(k.unchanged)])));
    out.push('');
    out.push('### The linking pass at the end of the full sync');
    out.push('');
    out.push(
      'Read from the sync run\'s `linking.*` counts in `ops.sync_runs`, against the simulator\'s ground truth for the live files in scope ' +
        '(`truth.files[].linkKind`; versions = the revisions Drive serves for the linked files; comments = comments and replies on them, deleted ones included; ' +
        'unmatched = not deleted and written by someone whose display name is no Asana user\'s name, `matchesEmail: null`). A difference in the file states is a problem.',
    );
    out.push('');
    out.push(linkingTable(c.linking));
    out.push('');
    out.push(mismatchText(c.mismatches));
    out.push('');
    if (c.mismatches.some((m) => m.truth === 'misnamed' && m.engine === 'orphan' && m.examples.some((e) => /; ([6-9]|\d{2,}) asset keys begin with/.test(e)))) {
      out.push(
        'Cause of the misnamed → orphan files: their names leave out the size (`<client>_<campaign>_<asset>_vNN`) of an asset made in more than five sizes. ' +
          '`closeKey` in mapping/linking.ts skips a fingerprint shared by more than `MAX_CLOSE_KEYS` (5) keys, so such a name is close to no key and the file is ' +
          'reported as an orphan (`unparsed`) instead of as misnamed with its candidate keys. The ground truth knows the intended key and calls it misnamed.',
      );
      out.push('');
    }
    const a = c.attribution;
    out.push(
      `Comment authors, checked one by one against the truth (${fmt(a.comments)} live comments and replies on linked files; the person the engine chose, ` +
        'identified by email or by the Drive account behind it, against who wrote it):',
    );
    out.push('');
    out.push(table(['Attributed correctly', 'Attributed to someone else', 'Attributed, not verifiable', 'Unmatched', '… of whom the author is a known person under another name'], [
      [fmt(a.correct), a.wrong ? `**${fmt(a.wrong)}**` : '0', fmt(a.unverifiable), fmt(a.unmatched), fmt(a.unmatchedKnownPerson)],
    ]));
    out.push('');
    if (a.wrongExamples.length) {
      out.push(`Wrongly attributed, e.g.: ${a.wrongExamples.join('; ')}.`);
      out.push('');
    }
    out.push(
      'The truth\'s unmatched figures count a display name as matchable only when it equals an Asana user\'s name exactly. The engine matches a display name ' +
        '(case and spacing aside) with every person it knows, and the Drive sync stores file modifiers and revision authors, with their Drive display names, ' +
        'as persons: a comment by "Maya C." is attributed to the person whose Drive display name is "Maya C.". Hence fewer unmatched comments than the truth\'s figure; ' +
        'the table above shows whether those attributions are right.',
    );
    out.push('');
  }

  if (r.incremental) {
    const inc = r.incremental.r;
    collect('incremental', inc.findings);
    out.push('## 2. Incremental syncs');
    out.push('');
    out.push(
      `${runLine(r.incremental.run)} **What:** the calls of an incremental Drive sync (the change feed from the stored token) after 0, 10 and 200 files changed, ` +
        'run one after the other on the database of the full sync. The changes are made through the simulator\'s control surface as users would make them: ' +
        'an upload of the next version into an asset file (`addRevision` with `originalFilename` carrying the asset\'s next `_vNN`, one above every `_vNN` it has in any tool), a misnamed file renamed ' +
        'to its proper name, a comment on a linked file, a linked file moved to the trash. **How:** simulator call counts by route per run; then the database ' +
        'is read to check each change landed (the new revision a new version of its asset, numbered last; the renamed file now linked; the comment on the asset, the trashed file ' +
        'tombstoned), and the run\'s linking figures are compared with the ground truth. **Compared with:** §7.4\'s `1 + ⌈ΔF/1000⌉` changes calls per poll ' +
        '(whose 1 is the first `changes.list` page: a poll that finds nothing costs exactly one call) plus, per changed file, what it needs: `comments.list` for ' +
        'every file still live (a change does not say whether a comment was added), and `revisions.list` when its head revision moved; a trashed file needs nothing.',
    );
    out.push('');
    const routes = [...new Set(inc.scenarios.flatMap((x) => Object.keys(x.byRoute)))].sort();
    out.push(table(['Scenario', 'Changes', ...routes.map((x) => `\`${x}\``), 'Total', 'Model: pages + comments + revisions', 'Ratio', 'Wall', 'Landed'], inc.scenarios.map((x) => {
      const model = x.model.changesPages + x.model.comments + x.model.revisions;
      return [
        x.name, x.mix, ...routes.map((rt) => fmt(x.byRoute[rt] ?? 0)), `**${fmt(x.total)}**`,
        `${x.model.changesPages} + ${x.model.comments} + ${x.model.revisions} = ${fmt(model)}`, `${fmt2(x.total / Math.max(1, model))}×`, secs(x.wallMs), x.landed.join('; ') || '—',
      ];
    })));
    out.push('');
    for (const x of inc.scenarios) {
      const model = x.model.changesPages + x.model.comments + x.model.revisions;
      summary.push(['2', `Incremental, ${x.name}`, `${fmt(x.total)} call${x.total === 1 ? '' : 's'}, ${secs(x.wallMs)}`, `model ${fmt(model)}${x.changedFiles === 0 ? ' (target: exactly 1 `GET /changes`)' : ''}`, `${fmt2(x.total / Math.max(1, model))}×`]);
    }
    if (inc.findings.problems.some((p) => p.includes('gave their asset more versions than the truth has'))) {
      out.push(
        '**Cause of the extra versions after a rename:** the renamed (fixed) file\'s revisions keep the `originalFilename` they were saved under, which carries the ' +
          'misspelled key (two letters swapped, say) or the key without its size. `reconcileVersions` (mapping/linking.ts) reads a candidate\'s `_vNN` only when its name parses ' +
          'to the asset\'s own key (after the naming parser\'s case and separator fixes; `nameVersionOf`), so these revisions carry no number, and nothing merges them with ' +
          'the version they are (the ground truth\'s `versionNumbers`): each becomes a version of its own, placed by time (rule e) before v01, and the older versions ' +
          'move up one number. Uploads into correctly named files never did this.',
      );
      out.push('');
    }
    for (const x of inc.scenarios.filter((y) => y.linking.length)) {
      out.push(`Linking pass of the run "${x.name}" against the ground truth after the changes:`);
      out.push('');
      out.push(linkingTable(x.linking));
      out.push('');
      out.push(mismatchText(x.mismatches));
      out.push('');
    }
  }

  if (r.linking) {
    const l = r.linking.r;
    collect('linking', l.findings);
    out.push('## 3. Linking time');
    out.push('');
    out.push(
      `${runLine(r.linking.run)} **What:** the cost of cross-tool linking. **How:** \`linkFiles\` (mapping/linking.ts, pure) on the synthetic dataset of ` +
        '`test/bench/linking.bench.ts` (per 10 files: 1 explicit, 1 misnamed, 1 with an unknown key, 7 by name; 1 conflict per 1,000) at N = 5,000, 10,000 and ' +
        '20,000, and on the assets and files of the synced reference data; then the whole database pass `linkWorkspace({ force: true })` ' +
        '(activities/linking.ts: read assets, files, links, revisions and comments, link, reconcile versions, match comment authors, upsert) on the same data. ' +
        'Each is the best of 3 (the pure ones after 2 warm-ups at their size, and 5 runs at 20,000 before any). The forced passes find everything already written by the pass inside the sync, ' +
        'whose own time (it writes every link, version and comment) is read from the workflow history. **Compared with:** linear cost, ≈ 2× per doubling (quadratic would be 4×).',
    );
    out.push('');
    const rows: (string | number)[][] = l.pure.map((p, i) => [
      `\`linkFiles\`, synthetic, ${fmt(p.n)} assets × ${fmt(p.n)} files`, msf(p.bestMs), i === 0 ? '—' : `${fmt2(p.bestMs / l.pure[i - 1]!.bestMs)}×`, p.counts,
    ]);
    rows.push([`\`linkFiles\`, synced reference data, ${fmt(l.real.assets)} assets × ${fmt(l.real.files)} files`, msf(l.real.bestMs), '', l.real.counts]);
    const sm = l.db.summary;
    rows.push([
      '`linkWorkspace({ force: true })`, synced reference data (nothing to write)', msf(l.db.bestMs), '',
      `runs ${l.db.runsMs.map(msf).join(', ')}; files ${fmt(sm.files)}, linked ${fmt(sm.linked)}, versions written ${fmt(sm.versionsWritten)}, comments written ${fmt(sm.commentsWritten)}`,
    ]);
    rows.push(['Linking pass inside the Drive full sync (writes everything)', l.inSyncMs === null ? 'n/a' : msf(l.inSyncMs), '', 'the `linkAssets` activity, start to close (section 1)']);
    out.push(table(['Measure', 'Best', 'Per doubling', 'Result'], rows));
    out.push('');
    const p10 = l.pure.find((p) => p.n === 10_000);
    if (p10) summary.push(['3', '`linkFiles` 10,000 assets × 10,000 files (pure)', msf(p10.bestMs), `doubling ratios ${l.pure.slice(1).map((p, i) => `${fmt2(p.bestMs / l.pure[i]!.bestMs)}×`).join(', ')}`, 'linear (≈ 2× per doubling)']);
    summary.push(['3', `DB linking pass, \`linkWorkspace({ force: true })\` (${fmt(l.db.summary.files)} files)`, msf(l.db.bestMs), l.inSyncMs === null ? '' : `first pass inside the sync: ${msf(l.inSyncMs)}`, 'best of 3']);
  }

  if (r.quota) {
    const q = r.quota.r;
    collect('quota', q.findings);
    const qs = q.stats;
    const floorMs = (qs.rMin.total / q.rate) * 60_000;
    const actualFloorMs = (q.total / q.rate) * 60_000;
    const quotaErrors = (q.byStatus['403'] ?? 0) + (q.byStatus['429'] ?? 0);
    summary.push(['4', `Full Drive sync under a quota (${fmt(qs.files)} files, ${fmt(q.rate)}/min)`, `${minsec(q.wallMs)} wall, ${fmt(quotaErrors)} × 403/429`, `R_actual ÷ rate = ${minsec(actualFloorMs)}`, `${fmt2(q.wallMs / actualFloorMs)}× (target 0 quota errors)`]);
    out.push('## 4. Full sync under a quota');
    out.push('');
    out.push(
      `${runLine(r.quota.run)} **What:** a full Drive sync of a smaller dataset (${fmt(qs.files)} live files, ${fmt(qs.binary)} binary) with the simulator's quota set to ` +
        `${fmt(q.rate)} requests per sliding minute per token (rejected requests counting too; answered 403 \`userRateLimitExceeded\` and 429 in turn, never with a Retry-After) ` +
        `and the connection's \`rate_limit_per_minute: ${fmt(q.rate)}\`. ${fmt(q.rate)}/min is Drive's old per-user default of 1,000 requests per 100 s [U]; ` +
        `at the legacy 12,000/min a sync of this size would never fill a window. The sync needs ${fmt1(q.total / q.rate)} minutes of calls, so the simulator's window is exercised. ` +
        `The Asana sync of the same agency (unlimited) ran first (${minsec(q.asanaWallMs)}). **How:** wall time from \`startSync\` to the result; quota errors as counted by the simulator. ` +
        '**Compared with:** R_actual ÷ rate, the least time these calls can take at this rate, and T_min = R_min ÷ rate (§7).',
    );
    out.push('');
    out.push(table(['Measure', 'Value'], [
      ['R_min (§7.4) / R_actual', `${fmt(qs.rMin.total)} / ${fmt(q.total)} (η_calls ${fmt3(qs.rMin.total / q.total)})`],
      ['T_min = R_min ÷ rate', minsec(floorMs)],
      ['R_actual ÷ rate', minsec(actualFloorMs)],
      ['Wall time', minsec(q.wallMs)],
      ['Wall ÷ (R_actual ÷ rate)', fmt2(q.wallMs / actualFloorMs)],
      ['Answers 403 / 429 (quota errors)', `${fmt(q.byStatus['403'] ?? 0)} / ${fmt(q.byStatus['429'] ?? 0)}`],
      ['First quota error, into the sync', q.gaps.firstQuotaErrorMs === null ? '—' : secs(q.gaps.firstQuotaErrorMs)],
      ['Longest stretch without a request (sampled every 100 ms)', `${secs(q.gaps.longestMs)}, from ${secs(q.gaps.startMs)} into the sync`],
    ]));
    out.push('');
    const extra = q.total - qs.rMin.total - Object.values(qs.overhead).reduce((a, b) => a + b, 0);
    const notes: string[] = [];
    if (quotaErrors > 0) {
      notes.push(
        `**Why ${quotaErrors === 1 ? 'a quota error' : `${quotaErrors} quota errors`} although the connection paces at the quota:** the limiter (connectors/limiter.ts) spaces request *starts* ` +
          `exactly 60,000 / rate ms apart (${fmt(60_000 / q.rate)} ms here), with no headroom, and the simulator counts *arrivals* in a sliding 60-s window. With up to ` +
          `${fmt(q.concurrency)} requests in flight, arrivals jitter by a few ms, so some 60-s window holds rate + 1 of them. A limiter set a few per cent below the vendor's quota ` +
          '(or a window-based limiter) would avoid it.',
      );
    }
    if (quotaErrors > 0 && q.gaps.longestMs > 5_000) {
      notes.push(
        `**Why the sync then stood still for ${secs(q.gaps.longestMs)}:** a quota error fails the drain of the page (\`drain\` in activities/drive.ts), which marks the failure so that ` +
          'its other requests abort (`abortIf`); but `DriveTransport.call` (connectors/drive/client.ts) checks `abortIf` inside `limiter.schedule`, after the pacing wait. So each request ' +
          `of the page still queued takes its ${fmt(60_000 / q.rate)}-ms slot before it aborts, and the activity fails, to be retried by Temporal, only when the last of them has: ` +
          `≈ (requests left in the page) × ${fmt(60_000 / q.rate)} ms of nothing sent. Checking \`abortIf\` before taking a slot (or releasing the slots of aborted requests) would remove the stall.`,
      );
    }
    if (extra > 0) {
      notes.push(
        `The ${fmt(extra)} call${extra === 1 ? '' : 's'} beyond R_min and the root checks: ` +
          (extra === quotaErrors
            ? `the rejected request${quotaErrors === 1 ? '' : 's'}, sent again by the retried activity (the other requests of the page aborted before they were sent, so nothing else was repeated).`
            : `${fmt(quotaErrors)} rejected, and ${fmt(extra - quotaErrors)} repeated: a file is committed only with both its revisions and its comments, so the retried activity fetches both again for a file whose fetch had not completed.`),
      );
    }
    if (notes.length) {
      out.push(notes.join('\n\n'));
      out.push('');
    }
    out.push(table(['Route', 'Expected (R_min part, or root check)', 'Simulator count'], routeTable(q.byRoute, expectedRoutes(qs))));
    out.push('');
  }

  out.push('## Problems');
  out.push('');
  out.push(problems.length ? problems.map((p) => `- ${p}`).join('\n') : 'None: every count the script checks agreed with the dataset and the ground truth, and every change landed.');
  out.push('');
  out.push('Targets not met (reported only; they never fail the run):');
  out.push('');
  out.push(missed.length ? missed.map((p) => `- ${p}`).join('\n') : '- none');
  out.push('');
  out.splice(summaryAt, 0, '## Summary', '', table(['§', 'Measure', 'Result', 'Compared with', 'Ratio / verdict'], summary));
  return out.join('\n') + '\n';
}

function linkingTable(rows: LinkingRow[]): string {
  return table(['Figure (`linking.*`)', 'Sync run', 'Ground truth', 'Agrees'], rows.map((x) => [
    x.figure, x.got === null ? '—' : fmt(x.got), x.truth === null ? '—' : fmt(x.truth),
    x.truth === null || x.got === null ? '' : !x.strict ? 'reference only (exact Asana-name match)' : x.got === x.truth ? 'yes' : '**no**',
  ]));
}

function mismatchText(ms: StateMismatch[]): string {
  if (!ms.length) return 'Every live file\'s state (`ops.file_links`) is the one the ground truth gives it.';
  return ['Files whose state (`ops.file_links`) differs from the ground truth:', '', ...ms.map((m) => `- ${fmt(m.count)} × truth \`${m.truth}\`, engine \`${m.engine}\`; e.g. ${m.examples.join('; ')}`)].join('\n');
}

// ------------------------------------------------------------------------------------ --write

const INDEX_SECTION = `
## Google Drive

The Drive sync has its own benchmark, \`npm run bench:drive\` (\`test/bench/drive.bench.ts\`): full-sync API calls against §7.4's
minimum, incremental syncs, the linking pass, and a full sync under a quota. Its results are in
[BENCHMARKS-drive.md](BENCHMARKS-drive.md). (This section is appended by \`npm run bench:drive -- --write\` when it is missing.)
`;

function writeDocs(r: Results): void {
  const json = JSON.stringify(r).replace(/--/g, '-\\u002d'); // no "--" inside an HTML comment
  mkdirSync(join(repoRoot, 'docs'), { recursive: true });
  writeFileSync(DOC, `${report(r, { forDocs: true })}\n${DATA_MARK}${json} -->\n`);
  progress(`wrote ${DOC}`);
  const index = existsSync(INDEX) ? readFileSync(INDEX, 'utf8') : '';
  if (!index.includes('(BENCHMARKS-drive.md)')) {
    writeFileSync(INDEX, `${index.replace(/\n*$/, '\n')}${INDEX_SECTION}`);
    progress(`appended the "Google Drive" section to ${INDEX}`);
  }
}

// ------------------------------------------------------------------------------------ main

async function main(): Promise<Results> {
  const o = parseOptions(process.argv.slice(2));
  const needMain = o.only.has('calls') || o.only.has('incremental') || o.only.has('linking');
  progress(`sections: ${[...o.only].join(', ')}; agency ${fmt(o.tasks)} tasks (seed ${o.seed})`);

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

  const machine = await machineFacts(baseUrl, temporalBin, 'stageline-bench-drive');
  const info = (tasks: number): RunInfo => ({ machine, tasks, seed: o.seed, projects: o.projects, wholeRunMs: 0 });
  const results: Results = {};

  if (needMain) {
    const rig = await startRig({ label: 'main', tasks: o.tasks, seed: o.seed, projects: o.projects, quota: null, driveRate: 1_000_000, baseUrl, temporal, client });
    const full = await fullSync(rig, client, findings());
    if (o.only.has('calls')) results.calls = { run: info(o.tasks), r: full };
    else if (full.findings.problems.length) progress(`the full sync (setup here, section calls not selected) had ${full.findings.problems.length} problem(s); rerun with --only calls`);
    // Linking timings first, on the data exactly as the full sync left it; then the incremental runs change it.
    if (o.only.has('linking')) results.linking = { run: info(o.tasks), r: await linkingTimes(rig, full.linkingActivityMs, findings()) };
    if (o.only.has('incremental')) results.incremental = { run: info(o.tasks), r: await incremental(rig, findings()) };
    await rig.close();
  }

  if (o.only.has('quota')) {
    const f = findings();
    const rig = await startRig({ label: 'quota', tasks: o.quotaTasks, seed: o.seed, projects: o.projects, quota: o.quotaRate, driveRate: o.quotaRate, baseUrl, temporal, client });
    const asana = await rig.syncAsana('full');
    check(f, asana.totals.status === 'succeeded', `quota: Asana full sync status ${asana.totals.status}`);
    progress(`quota: Drive full sync of ${fmt(rig.stats.files)} files at ${fmt(o.quotaRate)}/min (R_min ${fmt(rig.stats.rMin.total)} → ≥ ${minsec((rig.stats.rMin.total / o.quotaRate) * 60_000)})`);
    // Sampled while the sync runs: the longest stretch in which no request reached the simulator, and the first quota error.
    const gaps = { longestMs: 0, startMs: 0, firstQuotaErrorMs: null as number | null };
    const t0 = performance.now();
    let lastTotal = -1;
    let lastChange = t0;
    const sampler = setInterval(() => {
      const c = rig.driveSim.control.calls();
      const now = performance.now();
      if (c.total !== lastTotal) {
        if (now - lastChange > gaps.longestMs) {
          gaps.longestMs = now - lastChange;
          gaps.startMs = lastChange - t0;
        }
        lastTotal = c.total;
        lastChange = now;
      }
      if (gaps.firstQuotaErrorMs === null && c.rateLimited > 0) gaps.firstQuotaErrorMs = now - t0;
    }, 100);
    let run: SyncRun;
    try {
      run = await rig.syncDrive('full');
    } finally {
      clearInterval(sampler);
    }
    const calls = run.calls as CallStats;
    check(f, run.totals.status === 'succeeded', `quota: Drive full sync status ${run.totals.status}`);
    const syncTotal = Object.values(run.totals.apiCalls).reduce((a, b) => a + b, 0);
    check(f, syncTotal === calls.total, `quota: the run counted ${syncTotal} calls, the simulator ${calls.total}`);
    const quotaErrors = (calls.byStatus['403'] ?? 0) + (calls.byStatus['429'] ?? 0);
    target(f, quotaErrors === 0, `quota: ${quotaErrors} answers 403/429 (target 0)`);
    checkLinking(f, 'quota', run.linking, rig.stats.truth, { firstPass: true });
    progress(`quota: ${secs(run.wallMs)}, ${calls.total} calls, ${quotaErrors} × 403/429`);
    results.quota = {
      run: info(o.quotaTasks),
      r: { stats: rig.stats, rate: o.quotaRate, wallMs: run.wallMs, total: calls.total, byRoute: calls.byRoute, byStatus: calls.byStatus, rateLimited: calls.rateLimited, asanaWallMs: asana.wallMs, concurrency: rig.driveCfg.max_concurrency, gaps, findings: f },
    };
    await rig.close();
  }

  const wholeRunMs = performance.now() - benchStart;
  for (const x of [results.calls, results.incremental, results.linking, results.quota]) if (x) x.run.wholeRunMs = wholeRunMs;
  const md = report(results, { forDocs: false });
  await new Promise<void>((done) => process.stdout.write(md, () => done()));
  if (o.write) writeDocs({ ...previousResults(), ...results });
  const problems = [results.calls, results.incremental, results.linking, results.quota].reduce((n, x) => n + (x?.r.findings.problems.length ?? 0), 0);
  if (problems) {
    progress(`${problems} problem(s); see the "Problems" section`);
    process.exitCode = 1;
  }
  return results;
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
