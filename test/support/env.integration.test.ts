// The helpers integration tests rely on: the run's shared database is migrated, and freshDatabase()
// gives a test a migrated database of its own that disappears afterwards.
import { describe, expect, it } from 'vitest';
import { createPool } from '../../activities/db/postgres';
import { freshDatabase, testDatabaseUrl } from './env';
import { migrateTestDatabase, migrationFiles } from './migrations';

async function appliedMigrations(url: string): Promise<string[]> {
  const pool = createPool(url, { max: 1 });
  try {
    const table = await pool.query<{ t: string | null }>("SELECT to_regclass('ops.schema_migrations')::text AS t");
    if (table.rows[0]?.t == null) return []; // no migrations written yet
    const { rows } = await pool.query<{ name: string }>('SELECT name FROM ops.schema_migrations ORDER BY name');
    return rows.map((r) => r.name);
  } finally {
    await pool.end();
  }
}

describe('integration test environment', () => {
  it('runs the tests on a database with every migration applied', async () => {
    expect(await appliedMigrations(testDatabaseUrl())).toHaveLength(migrationFiles().length);
    // Migrating again does nothing when setup already applied everything.
    expect(await migrateTestDatabase(testDatabaseUrl())).toEqual([]);
  });

  it('hands out a fresh, migrated database that is gone after drop()', async () => {
    const fresh = await freshDatabase();
    try {
      expect(fresh.url).not.toBe(testDatabaseUrl());
      expect(await appliedMigrations(fresh.url)).toEqual(await appliedMigrations(testDatabaseUrl()));
      const { rows } = await fresh.pool.query<{ db: string }>('SELECT current_database() AS db');
      expect(fresh.url).toContain(rows[0]?.db);
    } finally {
      await fresh.drop();
    }
    const admin = createPool(testDatabaseUrl(), { max: 1 });
    try {
      const { rowCount } = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [new URL(fresh.url).pathname.slice(1)]);
      expect(rowCount).toBe(0);
    } finally {
      await admin.end();
    }
  });
});
