// Starts what the integration tier runs against, once per `vitest run`: a migrated throwaway database
// on the local PostgreSQL and one real Temporal dev server. Tests read both through test/support/env.ts.
import { readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { TestProject } from 'vitest/node';
import { createThrowawayDatabase, defaultDatabaseUrl, ensurePostgres, redactUrl, type ThrowawayDatabase } from '../../activities/db/postgres';
import { findOrBuildTemporal, startTemporalDevServer, type TemporalDevServer } from '../../worker/temporal-dev-server';
import { migrateTestDatabase } from './migrations';

const repoRoot = fileURLToPath(new URL('../..', import.meta.url));

function log(message: string): void {
  console.log(`[global-setup] ${message}`);
}

/** Removes the data folders of earlier runs whose process is gone (killed before its teardown ran). */
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

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const started = Date.now();
  pruneStaleRuns(join(repoRoot, '.stageline', 'test-temporal'));
  // Only the server and credentials of this URL are used; the tests get a database of their own.
  const baseUrl = defaultDatabaseUrl();
  const dataDir = join(repoRoot, '.stageline', 'test-temporal', String(process.pid));

  const prepareDatabase = async (): Promise<ThrowawayDatabase> => {
    const t0 = Date.now();
    await ensurePostgres(baseUrl, { log });
    const db = await createThrowawayDatabase(baseUrl);
    try {
      const ran = await migrateTestDatabase(db.url, log);
      log(`database ${db.name} (on the server of ${redactUrl(baseUrl)}): ${ran.length} migrations in ${seconds(t0)}`);
      return db;
    } catch (err) {
      await db.drop();
      throw err;
    }
  };
  const prepareTemporal = async (): Promise<TemporalDevServer> => {
    const executable = await findOrBuildTemporal({ log });
    // Namespace `default`, which env.ts's TEMPORAL_NAMESPACE names for the tests.
    return startTemporalDevServer({ executable, dataDir, log });
  };

  // Both take a while on a cold machine and do not depend on each other.
  const [db, server] = await Promise.allSettled([prepareDatabase(), prepareTemporal()]);
  if (db.status === 'rejected' || server.status === 'rejected') {
    if (db.status === 'fulfilled') await db.value.drop();
    if (server.status === 'fulfilled') await server.value.stop();
    const errors = [db, server].flatMap((r) => (r.status === 'rejected' ? [r.reason as unknown] : []));
    throw errors.length === 1 ? errors[0] : new AggregateError(errors, 'Integration test setup failed for PostgreSQL and Temporal');
  }

  project.provide('databaseUrl', db.value.url);
  project.provide('temporalAddress', server.value.address);
  log(`ready in ${seconds(started)} (Temporal ${server.value.address}, log ${server.value.logFile})`);

  return async function teardown(): Promise<void> {
    const results = await Promise.allSettled([server.value.stop(), db.value.drop()]);
    const failures = results.flatMap((r) => (r.status === 'rejected' ? [r.reason as unknown] : []));
    if (failures.length > 0) throw new AggregateError(failures, 'Integration test teardown failed');
    // Keep the server's SQLite file and log for a post-mortem only when asked to.
    if (process.env.STAGELINE_KEEP_TEST_DATA === undefined) rmSync(dataDir, { recursive: true, force: true });
  };
}

function seconds(since: number): string {
  return `${((Date.now() - since) / 1000).toFixed(1)} s`;
}
