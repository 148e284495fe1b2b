// One real sync stack per test file: a fresh migrated database, the Asana simulator, a worker on its
// own task queue against the run's real Temporal dev server, and a Temporal client.
import { randomBytes } from 'node:crypto';
import type { Client } from '@temporalio/client';
import type { Worker, NativeConnection } from '@temporalio/worker';
import { parseConfig, type StagelineConfig } from '../../mapping/config';
import { LimiterRegistry } from '../../connectors/limiter';
import { createWorker } from '../../worker';
import { connectClient, startSync, waitForSync } from '../../worker/orchestration';
import type { SyncTotals } from '../../activities';
import type { ActivityDeps } from '../../activities/context';
import { createAsanaSimulator, DEFAULT_STAGE_MAP, generateAgency, SIM_DEFAULT_TOKEN, type AsanaSimulator, type GeneratedAgency } from '../../connectors/asana/simulator';
import { createDriveSimulator, generateDrive, SIM_DEFAULT_TOKEN as DRIVE_TOKEN, type DriveSimulator, type GeneratedDrive, type QuotaErrorMode } from '../../connectors/drive/simulator';
import { createMondaySimulator, generateMonday, SIM_DEFAULT_TOKEN as MONDAY_TOKEN, type GeneratedMonday, type LimitsConfig as MondayLimits, type MondaySimulator } from '../../connectors/monday/simulator';
import { createNotionSimulator, generateNotion, SIM_DEFAULT_TOKEN as NOTION_TOKEN, type GeneratedNotion, type NotionSimulator, type RateLimitConfig as NotionRateLimit } from '../../connectors/notion/simulator';
import { freshDatabase, temporalAddress, type FreshDatabase } from './env';

export interface StackOptions {
  tasks?: number;
  projects?: number;
  seed?: number;
  rateLimitPerMinute?: number | null;
  /** The connector's own pacing (requests/min); tests not about rate limits let it run fast. */
  clientRatePerMinute?: number;
  /** Extra YAML lines for the connection. */
  connectionYaml?: string;
  /** Shares the dataset of another stack (a deep copy is generated from the same seed otherwise). */
  connectionId?: string;
  startWorker?: boolean;
  /** Top-level stageline.yaml sections (people, rules, enforcement…), appended after the connections. */
  topLevelYaml?: (agency: GeneratedAgency) => string;
  /** The activities' clock (default: the wall clock); a test moves it to see what time alone changes. */
  clock?: () => Date;
  /** A Drive connection too, served by a Drive simulator holding the same agency's files. */
  drive?: { quotaPerMinute?: number | null; quotaError?: QuotaErrorMode; clientRatePerMinute?: number; connectionId?: string };
  /**
   * A monday.com connection too, served by a monday simulator holding the same agency's boards (each
   * board with its own stage source: its `Stage` status column or its groups). The simulator's clock
   * is the stack's `clock` when one is given, so that moving it moves both.
   */
  monday?: { connectionId?: string; boards?: number; groupBoardShare?: number; limits?: Partial<MondayLimits>; clientRatePerMinute?: number; yaml?: string };
  /**
   * A Notion connection too, served by a Notion simulator holding the same agency (a database per
   * campaign, each with one data source staged by its `Stage` status; `bulkPages` adds the "Asset
   * archive" data source). `sync` picks the databases the connection lists (default the campaigns').
   * The simulator's clock is the stack's `clock` when one is given. Rate limit: none unless given.
   */
  notion?: {
    connectionId?: string;
    databases?: number;
    bulkPages?: number;
    sync?: 'assets' | 'bulk' | 'all';
    rateLimit?: NotionRateLimit | null;
    queryResultLimit?: number;
    clientRatePerMinute?: number;
    maxConcurrency?: number;
    yaml?: string;
  };
}

export interface NotionSide {
  sim: NotionSimulator;
  /** The truth as generated; `sim.control.truth()` follows later edits. */
  truth: GeneratedNotion['truth'];
  /** The simulator's records (the archive's pages are not in the truth). */
  dataset: GeneratedNotion['dataset'];
  connectionId: string;
  baseUrl: string;
  /** The databases the connection lists, and their data sources, in the simulator's order. */
  databaseIds: string[];
  dataSourceIds: string[];
}

export interface MondaySide {
  sim: MondaySimulator;
  truth: GeneratedMonday['truth'];
  dataset: GeneratedMonday['dataset'];
  connectionId: string;
  endpoint: string;
  /** The item boards synced, in the simulator's order. */
  boardIds: string[];
}

export interface DriveSide {
  sim: DriveSimulator;
  truth: GeneratedDrive['truth'];
  connectionId: string;
  rootUrl: string;
}

export interface Stack {
  agency: GeneratedAgency;
  sim: AsanaSimulator;
  baseUrl: string;
  db: FreshDatabase;
  config: StagelineConfig;
  connectionId: string;
  taskQueue: string;
  client: Client;
  deps: ActivityDeps;
  startWorker(): Promise<void>;
  stopWorker(): Promise<void>;
  sync(mode: 'full' | 'incremental', timeouts?: { heartbeat?: string }): Promise<SyncTotals>;
  /** The Drive side, when the stack was started with `drive`. */
  drive: DriveSide | null;
  syncDrive(mode: 'full' | 'incremental'): Promise<SyncTotals>;
  /** The monday.com side, when the stack was started with `monday`. */
  monday: MondaySide | null;
  syncMonday(mode: 'full' | 'incremental'): Promise<SyncTotals>;
  /** The Notion side, when the stack was started with `notion`. */
  notion: NotionSide | null;
  syncNotion(mode: 'full' | 'incremental'): Promise<SyncTotals>;
  /** The stack's stageline.yaml as it stands, and the environment it reads its tokens from. */
  readonly yaml: string;
  readonly env: Record<string, string>;
  /** Re-reads the stack's stageline.yaml after `edit` (e.g. turning enforcement on); the worker sees it at once. */
  reconfigure(edit: (yaml: string) => string): void;
  close(): Promise<void>;
}

export const quiet = { info: () => undefined, warn: () => undefined, error: () => undefined };

export function configYaml(o: { connectionId: string; baseUrl: string; workspace: string; token?: string; extra?: string; ratePerMinute?: number }): string {
  const map = Object.entries(DEFAULT_STAGE_MAP).map(([k, v]) => `        "${k}": ${v}`).join('\n');
  return `
version: 1
workspace: { name: Test agency, timezone: UTC }
connections:
  - id: ${o.connectionId}
    vendor: asana
    token: \${ASANA_TOKEN}
    workspace: "${o.workspace}"
    base_url: ${o.baseUrl}
    rate_limit_per_minute: ${o.ratePerMinute ?? 60000}
    stage:
      map:
${map}
${o.extra ?? ''}`;
}

/** A Drive connection's YAML (a list item under `connections:`). */
export function driveConnectionYaml(o: { connectionId: string; rootUrl: string; sharedDrives: string[]; folders: string[]; ratePerMinute?: number }): string {
  return `
  - id: ${o.connectionId}
    vendor: drive
    token: \${DRIVE_TOKEN}
    base_url: ${o.rootUrl}
    shared_drives: [${o.sharedDrives.map((d) => `"${d}"`).join(', ')}]
    folders: [${o.folders.map((d) => `"${d}"`).join(', ')}]
    rate_limit_per_minute: ${o.ratePerMinute ?? 60000}
`;
}

/**
 * A monday.com connection's YAML (a list item under `connections:`): every board of the truth with its
 * own stage source (the `Stage` status column, or the group) and the agency's stage map.
 */
export function mondayConnectionYaml(o: { connectionId: string; endpoint: string; truth: GeneratedMonday['truth']; boardIds: string[]; ratePerMinute?: number; extra?: string }): string {
  const map = Object.entries(o.truth.defaultStageMap).map(([k, v]) => `"${k}": ${v}`).join(', ');
  const stage = o.boardIds
    .map((id) => {
      const b = o.truth.boards.get(id)!;
      return b.stageSource === 'status' ? `      "${id}": { from: status_column, column: Stage, map: { ${map} } }` : `      "${id}": { from: group, map: { ${map} } }`;
    })
    .join('\n');
  return `
  - id: ${o.connectionId}
    vendor: monday
    token: \${MONDAY_TOKEN}
    base_url: ${o.endpoint}
    boards: [${o.boardIds.map((b) => `"${b}"`).join(', ')}]
    rate_limit_per_minute: ${o.ratePerMinute ?? 60000}
    stage:
${stage}
${o.extra ?? ''}`;
}

/**
 * A Notion connection's YAML (a list item under `connections:`): the given databases, each with its own
 * stage entry on its `Stage` status, mapping the options it has by the agency's stage map.
 */
export function notionConnectionYaml(o: { connectionId: string; baseUrl: string; truth: GeneratedNotion['truth']; databaseIds: string[]; optionsOf: (databaseId: string) => string[]; ratePerMinute?: number; maxConcurrency?: number; extra?: string }): string {
  const stage = o.databaseIds
    .map((id) => {
      const map = o.optionsOf(id).map((name) => `"${name}": ${o.truth.defaultStageMap[name]}`).join(', ');
      return `      "${id}": { property: Stage, map: { ${map} } }`;
    })
    .join('\n');
  return `
  - id: ${o.connectionId}
    vendor: notion
    token: \${NOTION_TOKEN}
    base_url: ${o.baseUrl}
    databases: [${o.databaseIds.map((d) => `"${d}"`).join(', ')}]
    rate_limit_per_minute: ${o.ratePerMinute ?? 60000}
    max_concurrency: ${o.maxConcurrency ?? 6}
    stage:
${stage}
${o.extra ?? ''}`;
}

export async function startStack(opts: StackOptions = {}): Promise<Stack> {
  const generate = () => generateAgency({ seed: opts.seed ?? 7, tasks: opts.tasks ?? 60, ...(opts.projects ? { projects: opts.projects } : {}) });
  const agency = generate();
  const sim = createAsanaSimulator({ dataset: agency, rateLimitPerMinute: opts.rateLimitPerMinute ?? null });
  const started = await sim.start(0);
  const db = await freshDatabase();
  const connectionId = opts.connectionId ?? `t-${randomBytes(4).toString('hex')}`;
  const taskQueue = `test-${connectionId}-${randomBytes(3).toString('hex')}`;
  let drive: DriveSide | null = null;
  let driveYaml = '';
  if (opts.drive) {
    // Each simulator mutates its own copy of the agency: the Drive is generated from a second, identical one.
    const generated = generateDrive(generate(), { seed: opts.seed ?? 7 });
    const dsim = createDriveSimulator({ drive: generated, quotaPerMinute: opts.drive.quotaPerMinute ?? null, ...(opts.drive.quotaError ? { quotaError: opts.drive.quotaError } : {}) });
    const { rootUrl } = await dsim.start(0);
    const driveConnectionId = opts.drive.connectionId ?? `${connectionId}-drive`;
    drive = { sim: dsim, truth: generated.truth, connectionId: driveConnectionId, rootUrl };
    const t = generated.truth;
    driveYaml = driveConnectionYaml({
      connectionId: driveConnectionId, rootUrl, sharedDrives: [t.sharedDriveId], folders: t.rootFolderIds.filter((id) => id !== t.sharedDriveId),
      ...(opts.drive.clientRatePerMinute ? { ratePerMinute: opts.drive.clientRatePerMinute } : {}),
    });
  }
  let monday: MondaySide | null = null;
  let mondayYaml = '';
  if (opts.monday) {
    const generated = generateMonday(generate(), { seed: opts.seed ?? 7, ...(opts.monday.boards ? { boards: opts.monday.boards } : {}), ...(opts.monday.groupBoardShare !== undefined ? { groupBoardShare: opts.monday.groupBoardShare } : {}) });
    const clock = opts.clock;
    const msim = createMondaySimulator({ monday: generated, ...(opts.monday.limits ? { limits: opts.monday.limits } : {}), ...(clock ? { clock: () => clock().getTime() } : {}) });
    const { endpoint } = await msim.start(0);
    const mondayConnectionId = opts.monday.connectionId ?? `${connectionId}-monday`;
    const boardIds = [...generated.truth.boards.keys()];
    monday = { sim: msim, truth: generated.truth, dataset: generated.dataset, connectionId: mondayConnectionId, endpoint, boardIds };
    mondayYaml = mondayConnectionYaml({ connectionId: mondayConnectionId, endpoint, truth: generated.truth, boardIds, ...(opts.monday.clientRatePerMinute ? { ratePerMinute: opts.monday.clientRatePerMinute } : {}), ...(opts.monday.yaml ? { extra: opts.monday.yaml } : {}) });
  }
  let notion: NotionSide | null = null;
  let notionYaml = '';
  if (opts.notion) {
    const o = opts.notion;
    const generated = generateNotion({ seed: opts.seed ?? 7, agency: generate(), ...(o.databases ? { databases: o.databases } : {}), ...(o.bulkPages ? { bulkPages: o.bulkPages } : {}) });
    const clock = opts.clock;
    const nsim = createNotionSimulator({
      notion: generated,
      rateLimit: o.rateLimit ?? null,
      ...(o.queryResultLimit ? { queryResultLimit: o.queryResultLimit } : {}),
      ...(clock ? { clock: () => clock().getTime() } : {}),
    });
    const { baseUrl } = await nsim.start(0);
    const roles = o.sync === 'all' ? ['assets', 'bulk'] : [o.sync ?? 'assets'];
    const sources = generated.truth.dataSources.filter((d) => roles.includes(d.role));
    const databaseIds = [...new Set(sources.map((d) => d.databaseId))];
    const notionConnectionId = o.connectionId ?? `${connectionId}-notion`;
    notion = { sim: nsim, truth: generated.truth, dataset: generated.dataset, connectionId: notionConnectionId, baseUrl, databaseIds, dataSourceIds: sources.map((d) => d.dataSourceId) };
    const optionsOf = (databaseId: string) => {
      const ds = generated.dataset.databasesById.get(databaseId)!.dataSources[0]!;
      return ds.properties.find((p) => p.name === 'Stage')!.options.map((x) => x.name);
    };
    notionYaml = notionConnectionYaml({
      connectionId: notionConnectionId, baseUrl, truth: generated.truth, databaseIds, optionsOf,
      ...(o.clientRatePerMinute ? { ratePerMinute: o.clientRatePerMinute } : {}), ...(o.maxConcurrency ? { maxConcurrency: o.maxConcurrency } : {}), ...(o.yaml ? { extra: o.yaml } : {}),
    });
  }
  const yaml = configYaml({ connectionId, baseUrl: started.baseUrl, workspace: agency.dataset.workspace.gid, extra: (opts.connectionYaml ?? '') + driveYaml + mondayYaml + notionYaml + (opts.topLevelYaml ? `\n${opts.topLevelYaml(agency)}` : ''), ...(opts.clientRatePerMinute ? { ratePerMinute: opts.clientRatePerMinute } : {}) });
  const env = { ASANA_TOKEN: SIM_DEFAULT_TOKEN, DRIVE_TOKEN, MONDAY_TOKEN, NOTION_TOKEN };
  let currentYaml = yaml;
  let config = parseConfig(yaml, env);
  const client = await connectClient(temporalAddress());
  const deps: ActivityDeps = { db: db.pool, config: () => config, limiters: new LimiterRegistry(), clock: opts.clock ?? (() => new Date()), log: quiet };
  let running: { worker: Worker; connection: NativeConnection; done: Promise<void> } | null = null;
  const stack: Stack = {
    agency, sim, baseUrl: started.baseUrl, db, connectionId, taskQueue, client, deps, drive, monday, notion,
    get config() {
      return config;
    },
    set config(c: StagelineConfig) {
      config = c;
    },
    async startWorker() {
      if (running) return;
      const { worker, connection } = await createWorker({ address: temporalAddress(), taskQueue, deps });
      running = { worker, connection, done: worker.run() };
    },
    async stopWorker() {
      if (!running) return;
      const r = running;
      running = null;
      r.worker.shutdown();
      await r.done;
      await r.connection.close();
    },
    async sync(mode, timeouts) {
      const handle = await startSync(client, { connectionId, mode, ...(timeouts ? { timeouts } : {}) }, taskQueue);
      return waitForSync(handle);
    },
    get yaml() {
      return currentYaml;
    },
    env,
    reconfigure(edit) {
      currentYaml = edit(currentYaml);
      config = parseConfig(currentYaml, env);
    },
    async syncDrive(mode) {
      if (!drive) throw new Error('the stack has no Drive connection (startStack({ drive: {} }))');
      return waitForSync(await startSync(client, { connectionId: drive.connectionId, mode }, taskQueue));
    },
    async syncMonday(mode) {
      if (!monday) throw new Error('the stack has no monday.com connection (startStack({ monday: {} }))');
      return waitForSync(await startSync(client, { connectionId: monday.connectionId, mode }, taskQueue));
    },
    async syncNotion(mode) {
      if (!notion) throw new Error('the stack has no Notion connection (startStack({ notion: {} }))');
      return waitForSync(await startSync(client, { connectionId: notion.connectionId, mode }, taskQueue));
    },
    async close() {
      await stack.stopWorker();
      await client.connection.close();
      await sim.stop();
      await drive?.sim.stop();
      await monday?.sim.stop();
      await notion?.sim.stop();
      await db.drop();
    },
  };
  if (opts.startWorker !== false) await stack.startWorker();
  return stack;
}

/** A fingerprint of everything a sync wrote (ids, content hashes, soft deletes), to compare two runs. */
export async function fingerprint(stack: Pick<Stack, 'db'>): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  const tables: Record<string, string> = {
    persons: 'id::text || hash',
    projects: 'id::text || hash || coalesce(deleted_at::text, \'\')',
    assets: 'id::text || hash || coalesce(deleted_at::text, \'\')',
    asset_links: 'id::text || hash || coalesce(deleted_at::text, \'\')',
    versions: 'id::text || hash || coalesce(deleted_at::text, \'\')',
    comments: 'id::text || hash || coalesce(version_id::text, \'\') || coalesce(deleted_at::text, \'\')',
    decisions: 'id::text || hash || coalesce(version_id::text, \'\') || coalesce(deleted_at::text, \'\')',
    stage_transitions: "id::text || coalesce(from_stage, '') || coalesce(to_stage, '') || at::text",
    files: 'id::text || hash || coalesce(deleted_at::text, \'\')',
    file_revisions: 'id::text || hash || coalesce(deleted_at::text, \'\')',
    file_comments: 'id::text || hash || coalesce(author_id::text, \'\') || coalesce(deleted_at::text, \'\')',
  };
  tables.versions = 'id::text || hash || number::text || coalesce(deleted_at::text, \'\')';
  for (const [t, expr] of Object.entries(tables)) {
    const { rows } = await stack.db.pool.query(`SELECT count(*) AS n, md5(coalesce(string_agg(${expr}, ',' ORDER BY id), '')) AS h FROM core.${t}`);
    out[t] = `${rows[0].n}:${rows[0].h}`;
  }
  return out;
}

export async function count(stack: Pick<Stack, 'db'>, sql: string, params: unknown[] = []): Promise<number> {
  const { rows } = await stack.db.pool.query(sql, params);
  return Number(Object.values(rows[0] as object)[0]);
}
