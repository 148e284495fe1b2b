// The machine a benchmark ran on, for the report's "Machine" section: shared by every bench script.
import { execFile } from 'node:child_process';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import { createPool, withDatabase } from '../../activities/db/postgres';

const repoRoot = fileURLToPath(new URL('../..', import.meta.url));
const fmt1 = (n: number): string => n.toLocaleString('en-US', { minimumFractionDigits: 1, maximumFractionDigits: 1 });

/** A command's trimmed stdout, or '' when it fails. */
export function capture(cmd: string, args: string[]): Promise<string> {
  return new Promise((done) => {
    execFile(cmd, args, { timeout: 20_000 }, (err, stdout) => done(err ? '' : stdout.trim()));
  });
}

export interface Machine {
  date: string;
  cpu: string;
  cores: number;
  memory: string;
  os: string;
  node: string;
  postgres: string;
  temporal: string;
  commit: string;
  load: string;
}

export async function machineFacts(baseUrl: string | null, temporalBin: string | null, applicationName = 'stageline-bench'): Promise<Machine> {
  const cpus = os.cpus();
  let postgres = 'not used';
  if (baseUrl) {
    // The maintenance database of the same server: nothing is created for this.
    const pool = createPool(withDatabase(baseUrl, 'postgres'), { max: 1, applicationName });
    try {
      const { rows } = await pool.query<{ v: string; sb: string; sc: string; fs: string }>(
        "SELECT current_setting('server_version') AS v, current_setting('shared_buffers') AS sb, current_setting('synchronous_commit') AS sc, current_setting('fsync') AS fs",
      );
      const r = rows[0]!;
      postgres = `${r.v} (shared_buffers ${r.sb}, fsync ${r.fs}, synchronous_commit ${r.sc})`;
    } finally {
      await pool.end();
    }
  }
  const commit = await capture('git', ['-C', repoRoot, 'rev-parse', '--short', 'HEAD']);
  const dirty = (await capture('git', ['--no-optional-locks', '-C', repoRoot, 'status', '--porcelain', '--untracked-files=no'])) !== '';
  const temporal = temporalBin ? (await capture(temporalBin, ['--version'])) || temporalBin : 'not used';
  return {
    date: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
    cpu: cpus[0]?.model ?? '?',
    cores: cpus.length,
    memory: `${fmt1(os.totalmem() / 2 ** 30)} GiB`,
    os: `${os.type()} ${os.release()} (${os.arch()})`,
    node: process.version,
    postgres,
    temporal,
    commit: commit ? `${commit}${dirty ? ' with uncommitted changes' : ''}` : 'unknown',
    load: os.loadavg().map((x) => x.toFixed(2)).join(', '),
  };
}

/** A bench script's integer option: `dflt` when absent, else an integer ≥ `min`, or an error showing `usage`. */
export function intOption(usage: string): (name: string, v: string | undefined, dflt: number, min: number) => number {
  return (name, v, dflt, min) => {
    if (v === undefined) return dflt;
    const n = Number(v);
    if (!Number.isInteger(n) || n < min) throw new Error(`--${name}: expected an integer ≥ ${min}, got ${JSON.stringify(v)}\n${usage}`);
    return n;
  };
}

/** A bench script's `--only a,b`: the sections to run (all of them when absent). */
export function onlySections<S extends string>(value: string | undefined, sections: readonly S[]): Set<S> {
  if (value === undefined) return new Set(sections);
  const wanted = value.split(',').map((s) => s.trim()).filter(Boolean);
  const unknown = wanted.filter((s) => !(sections as readonly string[]).includes(s));
  if (unknown.length || !wanted.length) throw new Error(`--only: unknown section(s) ${unknown.join(', ') || '(none given)'}; known: ${sections.join(', ')}`);
  return new Set(wanted as S[]);
}
