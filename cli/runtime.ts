// What a CLI command needs, started on demand: the config, PostgreSQL (migrated), a Temporal server
// (TEMPORAL_ADDRESS, or a local dev server the project starts itself) and, when no worker polls the
// task queue, an in-process worker.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import type pg from 'pg';
import type { Client } from '@temporalio/client';
import { ConfigError, parseConfig, type StagelineConfig } from '../mapping/config';
import { createPool, defaultDatabaseUrl, ensureDatabase, ensurePostgres, redactUrl } from '../activities/db/postgres';
import { migrate } from '../activities/db/migrate';
import { LimiterRegistry } from '../connectors/limiter';
import { consoleLogger, type ActivityDeps, type Logger } from '../activities/context';
import { startTemporalDevServer, type TemporalDevServer } from '../worker/temporal-dev-server';
import { createWorker, TASK_QUEUE } from '../worker';
import { connectClient } from '../worker/orchestration';

export function configPath(explicit?: string): string {
  return resolve(explicit ?? process.env.STAGELINE_CONFIG ?? 'stageline.yaml');
}

export function loadConfig(path: string, env: Record<string, string | undefined> = process.env): StagelineConfig {
  if (!existsSync(path)) throw new ConfigError(path, [{ code: 'not_found', path: [], message: `no config file at ${path} (set --config or STAGELINE_CONFIG)` }]);
  const cfg = parseConfig(readFileSync(path, 'utf8'), env, path);
  // A relative reports folder is the config file's neighbour, wherever the command runs from.
  cfg.reports.folder = resolve(dirname(path), cfg.reports.folder);
  return cfg;
}

export interface Runtime {
  config: StagelineConfig;
  db: pg.Pool;
  databaseUrl: string;
  client?: Client;
  temporalAddress?: string;
  close(): Promise<void>;
}

export const quietLogger: Logger = { info: () => undefined, warn: consoleLogger.warn, error: consoleLogger.error };

export async function openRuntime(opts: {
  config: StagelineConfig;
  temporal?: boolean;
  /** Run a worker in this process when no other worker polls the task queue. */
  worker?: 'auto' | 'always' | 'never';
  log?: (m: string) => void;
}): Promise<Runtime> {
  const log = opts.log ?? (() => undefined);
  const closers: (() => Promise<void>)[] = [];
  const databaseUrl = defaultDatabaseUrl();
  await ensurePostgres(databaseUrl, { log });
  if (await ensureDatabase(databaseUrl)) log(`created database ${redactUrl(databaseUrl)}`);
  const ran = await migrate(databaseUrl);
  if (ran.length) log(`applied ${ran.length} migration(s)`);
  const db = createPool(databaseUrl);
  closers.push(() => db.end());
  const rt: Runtime = {
    config: opts.config,
    db,
    databaseUrl,
    close: async () => {
      for (const c of closers.reverse()) await c().catch(() => undefined);
    },
  };
  if (!opts.temporal) return rt;
  try {
    let address = process.env.TEMPORAL_ADDRESS;
    let server: TemporalDevServer | undefined;
    if (!address) {
      log('starting a local Temporal dev server (set TEMPORAL_ADDRESS to use another)…');
      server = await startTemporalDevServer({ log });
      address = server.address;
      closers.push(() => server!.stop());
    }
    rt.temporalAddress = address;
    const client = await connectClient(address, process.env.TEMPORAL_NAMESPACE ?? 'default');
    rt.client = client;
    closers.push(() => client.connection.close());
    const want = opts.worker ?? 'auto';
    let run = want === 'always';
    if (want === 'auto') {
      const tq = await client.workflowService.describeTaskQueue({ namespace: client.options.namespace, taskQueue: { name: TASK_QUEUE }, taskQueueType: 2 });
      run = (tq.pollers ?? []).length === 0;
    }
    if (run) {
      const deps: ActivityDeps = { db, config: () => opts.config, limiters: new LimiterRegistry(), clock: () => new Date(), log: quietLogger };
      const { worker, connection } = await createWorker({ address, deps });
      const running = worker.run();
      closers.push(async () => {
        worker.shutdown();
        await running;
        await connection.close();
      });
      log('worker running in this process');
    }
    return rt;
  } catch (err) {
    await rt.close();
    throw err;
  }
}
