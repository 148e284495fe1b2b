// Applies the versioned SQL migrations in ./migrations with node-pg-migrate.
// Files are named <timestamp>_<what>.sql with "-- Up Migration" / "-- Down Migration" sections.
import { fileURLToPath } from 'node:url';
import { runner } from 'node-pg-migrate';

export const migrationsDir = fileURLToPath(new URL('./migrations', import.meta.url));

export interface MigrateOptions {
  direction?: 'up' | 'down';
  count?: number;
  log?: (message: string) => void;
}

/** Brings the database at `databaseUrl` to the newest schema; returns the names of the migrations it ran. */
export async function migrate(databaseUrl: string, options: MigrateOptions = {}): Promise<string[]> {
  const log = options.log ?? (() => undefined);
  const ran = await runner({
    databaseUrl,
    dir: migrationsDir,
    direction: options.direction ?? 'up',
    count: options.count ?? Infinity,
    migrationsTable: 'schema_migrations',
    migrationsSchema: 'ops',
    createMigrationsSchema: true,
    checkOrder: true,
    singleTransaction: true,
    log,
    logger: { debug: () => undefined, info: log, warn: log, error: log },
  });
  return ran.map((m) => m.name);
}
