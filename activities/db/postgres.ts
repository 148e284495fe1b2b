// Where Stageline's PostgreSQL lives, and how to make sure it is there: start the local cluster when
// it is down, create the `stageline` database on demand, hand out throwaway databases to tests, and
// build the one kind of connection pool the rest of the code uses.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { accessSync, constants as fsConstants, readdirSync, readFileSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import pg from 'pg';

export type Log = (message: string) => void;

/**
 * The database Stageline uses when `DATABASE_URL` is not set: its own `stageline` database on the
 * local server. The development machines run PostgreSQL on 127.0.0.1:5432 with trust auth and a
 * `postgres` role (docs/engineering-facts.md §0), so no password is needed; `ensureDatabase` creates
 * the database the first time. A password, when there is one, is best given as `PGPASSWORD` rather
 * than inside the URL, so that it never shows up where URLs are logged.
 */
export function defaultDatabaseUrl(): string {
  return process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/stageline';
}

/** The database name in a `postgres://` URL (`postgres` when the URL names none, as libpq does for the `postgres` user). */
export function databaseName(url: string): string {
  const u = new URL(url);
  const name = decodeURIComponent(u.pathname.replace(/^\//, ''));
  return name === '' ? decodeURIComponent(u.username) || 'postgres' : name;
}

/** The same server and credentials, another database. */
export function withDatabase(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = `/${encodeURIComponent(database)}`;
  return u.toString();
}

/** The URL without its password, for messages. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password !== '') u.password = '***';
    return u.toString();
  } catch {
    return '<unparseable database URL>';
  }
}

export interface CreatePoolOptions {
  /** Upper bound on open connections; 10 suits one worker or API process on a small machine. */
  max?: number;
  applicationName?: string;
  /** Where errors of idle connections go (a restart of the server, say). Without a listener they would crash the process. */
  log?: Log;
}

/**
 * The pool every Stageline process uses. No statement timeout is set: migrations, `COPY` into staging
 * tables and warehouse refreshes may legitimately run for minutes, and the server's default (0, off)
 * applies. It is deliberately not forced with a startup `options=-c statement_timeout=0`, because
 * PgBouncer, common in front of managed PostgreSQL, rejects the `options` startup parameter.
 */
export function createPool(url: string, options: CreatePoolOptions = {}): pg.Pool {
  const pool = new pg.Pool({
    connectionString: url,
    max: options.max ?? 10,
    idleTimeoutMillis: 30_000,
    connectionTimeoutMillis: 10_000,
    application_name: options.applicationName ?? 'stageline',
  });
  const log = options.log ?? ((message: string) => console.error(message));
  pool.on('error', (err) => log(`postgres: idle connection failed: ${err.message}`));
  return pool;
}

export interface EnsurePostgresOptions {
  log?: Log;
  /** How long to wait for a cluster this call started to accept connections. */
  startTimeoutMs?: number;
}

/**
 * Makes sure the server in `url` accepts connections. If nothing listens on a local address and this
 * machine manages its clusters with Debian's `pg_ctlcluster`, the cluster that owns the port is
 * started and awaited. Anything else ends in an error that says what was tried.
 */
export async function ensurePostgres(url: string, options: EnsurePostgresOptions = {}): Promise<void> {
  const log = options.log ?? (() => undefined);
  const first = await probe(url);
  if (first === undefined) return;

  const target = new URL(url);
  const where = `${target.hostname || 'local socket'}:${target.port || '5432'}`;
  if (!isConnectionRefused(first) || !isLocalUrl(target)) {
    throw new Error(`PostgreSQL at ${where} is not usable (${describe(first)}). Check DATABASE_URL (${redactUrl(url)}).`);
  }
  const ctl = onPath('pg_ctlcluster');
  if (ctl === undefined) {
    throw new Error(
      `PostgreSQL is not running at ${where} (${describe(first)}), and pg_ctlcluster is not available to start it. ` +
        'Start your PostgreSQL server, or point DATABASE_URL at one.',
    );
  }
  const port = Number(target.port || '5432');
  const cluster = findCluster(port);
  if (cluster === undefined) {
    throw new Error(`PostgreSQL is not running at ${where}, and no cluster under /etc/postgresql is configured for port ${port}.`);
  }
  log(`postgres: nothing listens on ${where}; starting cluster ${cluster.version}/${cluster.name}`);
  await run(ctl, ['--skip-systemctl-redirect', cluster.version, cluster.name, 'start']);

  const deadline = Date.now() + (options.startTimeoutMs ?? 60_000);
  for (;;) {
    const err = await probe(url);
    if (err === undefined) {
      log(`postgres: cluster ${cluster.version}/${cluster.name} is up`);
      return;
    }
    if (!isConnectionRefused(err)) {
      throw new Error(`Started PostgreSQL cluster ${cluster.version}/${cluster.name}, but cannot use ${where}: ${describe(err)}`, { cause: err });
    }
    if (Date.now() > deadline) {
      throw new Error(`Started PostgreSQL cluster ${cluster.version}/${cluster.name}, but ${where} still refuses connections: ${describe(err)}`);
    }
    await sleep(250);
  }
}

/** Creates the database named in `url` if it does not exist yet; resolves to whether it did so. */
export async function ensureDatabase(url: string): Promise<boolean> {
  const name = databaseName(url);
  return withAdminClient(url, async (client) => {
    const found = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    if (found.rowCount !== 0) return false;
    try {
      await client.query(`CREATE DATABASE ${quoteIdent(name)}`);
      return true;
    } catch (err) {
      // Another process created it between our look and our CREATE.
      if (pgCode(err) === '42P04') return false;
      throw err;
    }
  });
}

export interface ThrowawayDatabase {
  url: string;
  name: string;
  /** Ends every session on the database, then drops it. Safe to call twice. */
  drop(): Promise<void>;
}

/** A new, empty database with a unique name on the server of `baseUrl`. */
export async function createThrowawayDatabase(baseUrl: string, prefix = 'stageline_test'): Promise<ThrowawayDatabase> {
  if (!/^[a-z_][a-z0-9_]*$/.test(prefix)) throw new Error(`Database name prefix must be lower-case letters, digits and _: ${JSON.stringify(prefix)}`);
  // Time first so that names sort by age when someone has to clean up after a crashed run.
  const name = `${prefix}_${Date.now().toString(36)}_${process.pid}_${randomBytes(3).toString('hex')}`.slice(0, 63);
  await withAdminClient(baseUrl, (client) => client.query(`CREATE DATABASE ${quoteIdent(name)}`));
  let dropped = false;
  return {
    url: withDatabase(baseUrl, name),
    name,
    drop: async () => {
      if (dropped) return;
      await dropDatabase(baseUrl, name);
      dropped = true;
    },
  };
}

/** Terminates the sessions on `name` and drops it, if it exists. */
export async function dropDatabase(baseUrl: string, name: string): Promise<void> {
  await withAdminClient(baseUrl, async (client) => {
    await client.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()', [name]);
    const version = await client.query<{ v: string }>('SHOW server_version_num');
    // WITH (FORCE) (PostgreSQL 13+) also ends sessions that connect after the terminate above.
    const force = Number(version.rows[0]?.v ?? 0) >= 130_000 ? ' WITH (FORCE)' : '';
    await client.query(`DROP DATABASE IF EXISTS ${quoteIdent(name)}${force}`);
  });
}

/** Runs `fn` with a client on a maintenance database of the same server (`postgres`, else `template1`). */
async function withAdminClient<T>(url: string, fn: (client: pg.Client) => Promise<T>): Promise<T> {
  let client: pg.Client | undefined;
  let lastError: unknown;
  for (const db of ['postgres', 'template1']) {
    const candidate = new pg.Client({ connectionString: withDatabase(url, db), application_name: 'stageline-admin', connectionTimeoutMillis: 10_000 });
    try {
      await candidate.connect();
      client = candidate;
      break;
    } catch (err) {
      lastError = err;
      await candidate.end().catch(() => undefined);
      if (pgCode(err) !== '3D000') break;
    }
  }
  if (client === undefined) {
    throw new Error(`Cannot reach a maintenance database on ${redactUrl(url)}: ${describe(lastError)}`, { cause: lastError });
  }
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

/** Connects once; resolves to undefined when the server answers, else the error. A missing database still means the server is up. */
async function probe(url: string): Promise<unknown> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5_000, application_name: 'stageline-probe' });
  try {
    await client.connect();
    await client.query('SELECT 1');
    return undefined;
  } catch (err) {
    return pgCode(err) === '3D000' ? undefined : err;
  } finally {
    await client.end().catch(() => undefined);
  }
}

function isConnectionRefused(err: unknown): boolean {
  const code = (err as { code?: unknown } | undefined)?.code;
  // ENOENT: a Unix-socket URL whose socket file is gone because the server is down.
  // 57P03: "the database system is starting up" after a crash or a start by someone else.
  if (code === 'ECONNREFUSED' || code === 'ENOENT' || code === '57P03') return true;
  // `localhost` resolves to ::1 and 127.0.0.1; Node reports both refusals in one AggregateError.
  return err instanceof AggregateError && err.errors.length > 0 && err.errors.every(isConnectionRefused);
}

function isLocalUrl(u: URL): boolean {
  const host = u.hostname.replace(/^\[|\]$/g, '');
  const socketHost = u.searchParams.get('host');
  if (host === '') return socketHost === null || socketHost.startsWith('/');
  return host === '127.0.0.1' || host === 'localhost' || host === '::1';
}

interface Cluster {
  version: string;
  name: string;
}

/** The Debian cluster configured for `port`, read from /etc/postgresql/<version>/<name>/postgresql.conf. */
function findCluster(port: number): Cluster | undefined {
  const root = '/etc/postgresql';
  let versions: string[];
  try {
    versions = readdirSync(root).sort((a, b) => Number(b) - Number(a));
  } catch {
    return undefined;
  }
  for (const version of versions) {
    let names: string[];
    try {
      names = readdirSync(join(root, version));
    } catch {
      continue;
    }
    for (const name of names) {
      const conf = readText(join(root, version, name, 'postgresql.conf'));
      if (conf === undefined) continue;
      const m = /^\s*port\s*=\s*(\d+)/m.exec(conf);
      const clusterPort = m?.[1] === undefined ? 5432 : Number(m[1]);
      if (clusterPort === port) return { version, name };
    }
  }
  return undefined;
}

function readText(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

/** The absolute path of `command` if an executable of that name is on PATH (or in the sbin folders that root's PATH may lack). */
function onPath(command: string): string | undefined {
  const dirs = [...(process.env.PATH ?? '').split(delimiter), '/usr/sbin', '/sbin'];
  for (const dir of dirs) {
    if (dir === '') continue;
    const candidate = join(dir, command);
    try {
      accessSync(candidate, fsConstants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
}

function run(command: string, args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      if (code === 0) resolve();
      else reject(new Error(`${command} ${args.join(' ')} exited with ${code}: ${output.trim()}`));
    });
  });
}

function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

function pgCode(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | undefined)?.code;
  return typeof code === 'string' ? code : undefined;
}

function describe(err: unknown): string {
  if (err instanceof Error) {
    const code = pgCode(err);
    // AggregateError (IPv4 and IPv6 both refused) has an empty message; its code says enough.
    return [code, err.message].filter((s) => s !== undefined && s !== '').join(': ') || err.name;
  }
  return String(err);
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
