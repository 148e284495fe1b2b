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

export async function startStack(opts: StackOptions = {}): Promise<Stack> {
  const agency = generateAgency({ seed: opts.seed ?? 7, tasks: opts.tasks ?? 60, ...(opts.projects ? { projects: opts.projects } : {}) });
  const sim = createAsanaSimulator({ dataset: agency, rateLimitPerMinute: opts.rateLimitPerMinute ?? null });
  const started = await sim.start(0);
  const db = await freshDatabase();
  const connectionId = opts.connectionId ?? `t-${randomBytes(4).toString('hex')}`;
  const taskQueue = `test-${connectionId}-${randomBytes(3).toString('hex')}`;
  const yaml = configYaml({ connectionId, baseUrl: started.baseUrl, workspace: agency.dataset.workspace.gid, extra: opts.connectionYaml ?? '', ...(opts.clientRatePerMinute ? { ratePerMinute: opts.clientRatePerMinute } : {}) });
  let config = parseConfig(yaml, { ASANA_TOKEN: SIM_DEFAULT_TOKEN });
  const client = await connectClient(temporalAddress());
  const deps: ActivityDeps = { db: db.pool, config: () => config, limiters: new LimiterRegistry(), clock: () => new Date(), log: quiet };
  let running: { worker: Worker; connection: NativeConnection; done: Promise<void> } | null = null;
  const stack: Stack = {
    agency, sim, baseUrl: started.baseUrl, db, connectionId, taskQueue, client, deps,
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
    async close() {
      await stack.stopWorker();
      await client.connection.close();
      await sim.stop();
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
  };
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
