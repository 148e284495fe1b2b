// What integration tests need from the run's shared services (started once by global-setup.ts).
import { inject } from 'vitest';
import type pg from 'pg';
import { createPool, createThrowawayDatabase } from '../../activities/db/postgres';
import { migrateTestDatabase } from './migrations';

/** The namespace the dev server serves (start-dev always creates `default`). */
export const TEMPORAL_NAMESPACE = 'default';

/** The run's migrated throwaway database. Tests share it, so they should use their own ids (a fresh connection id, say). */
export function testDatabaseUrl(): string {
  return inject('databaseUrl');
}

/** `host:port` of the run's Temporal dev server. */
export function temporalAddress(): string {
  return inject('temporalAddress');
}

export interface FreshDatabase {
  url: string;
  pool: pg.Pool;
  /** Closes the pool and drops the database. */
  drop(): Promise<void>;
}

/** A database of its own, migrated, for a test that must not see or leave other tests' rows. Call `drop()` in `afterAll`. */
export async function freshDatabase(): Promise<FreshDatabase> {
  const db = await createThrowawayDatabase(testDatabaseUrl(), 'stageline_test_fresh');
  try {
    await migrateTestDatabase(db.url);
  } catch (err) {
    await db.drop();
    throw err;
  }
  const pool = createPool(db.url, { max: 4 });
  let dropped = false;
  return {
    url: db.url,
    pool,
    drop: async () => {
      if (dropped) return;
      dropped = true;
      await pool.end();
      await db.drop();
    },
  };
}
