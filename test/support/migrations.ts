// Brings a test database to the newest schema with the project's own migration runner.
import { existsSync, readdirSync } from 'node:fs';
import { migrate, migrationsDir } from '../../activities/db/migrate';

/** The migration files in activities/db/migrations (none while the folder is empty or absent). */
export function migrationFiles(): string[] {
  return existsSync(migrationsDir) ? readdirSync(migrationsDir).filter((f) => /\.(sql|[cm]?[jt]s)$/.test(f)) : [];
}

/** Runs every pending migration on `url`; resolves to the names of those it ran. */
export async function migrateTestDatabase(url: string, log: (message: string) => void = () => undefined): Promise<string[]> {
  if (migrationFiles().length === 0) {
    log(`no migrations in ${migrationsDir} yet; the test database stays empty`);
    return [];
  }
  return migrate(url);
}
