// Database housekeeping against the real local PostgreSQL: on-demand creation of Stageline's database,
// throwaway databases that really go away, and the pool every process uses.
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { testDatabaseUrl } from '../../test/support/env';
import { createPool, createThrowawayDatabase, databaseName, dropDatabase, ensureDatabase, ensurePostgres, withDatabase } from './postgres';

async function databaseExists(name: string): Promise<boolean> {
  const pool = createPool(testDatabaseUrl(), { max: 1 });
  try {
    const { rowCount } = await pool.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    return rowCount === 1;
  } finally {
    await pool.end();
  }
}

describe('postgres housekeeping', () => {
  it('finds the running server without trying to start anything', async () => {
    const log: string[] = [];
    await ensurePostgres(testDatabaseUrl(), { log: (m) => log.push(m) });
    expect(log).toEqual([]);
  });

  it('creates a missing database once and reports it as existing afterwards', async () => {
    const name = `stageline_ensure_${randomBytes(4).toString('hex')}`;
    const url = withDatabase(testDatabaseUrl(), name);
    try {
      expect(await ensureDatabase(url)).toBe(true);
      expect(await ensureDatabase(url)).toBe(false);
      expect(await databaseExists(name)).toBe(true);
    } finally {
      await dropDatabase(testDatabaseUrl(), name);
    }
    expect(await databaseExists(name)).toBe(false);
  });

  it('drops a throwaway database even while a pool still holds connections to it, without crashing the pool', async () => {
    const db = await createThrowawayDatabase(testDatabaseUrl(), 'stageline_probe');
    expect(databaseName(db.url)).toBe(db.name);
    expect(db.name).toMatch(/^stageline_probe_[a-z0-9_]+$/);
    expect(db.name.length).toBeLessThanOrEqual(63);

    const poolErrors: string[] = [];
    const pool = createPool(db.url, { log: (m) => poolErrors.push(m) });
    try {
      // An idle connection stays in the pool, as in a long-running worker.
      const { rows } = await pool.query<{ app: string }>("SELECT current_setting('application_name') AS app");
      expect(rows[0]?.app).toBe('stageline');

      await db.drop();
      await db.drop(); // twice is harmless
      expect(await databaseExists(db.name)).toBe(false);

      // The server ended the idle session; the pool reports it through `log` instead of throwing.
      await expect.poll(() => poolErrors.length, { timeout: 5_000 }).toBeGreaterThan(0);
      expect(poolErrors[0]).toMatch(/terminat/i);
    } finally {
      await pool.end();
    }
  });
});
