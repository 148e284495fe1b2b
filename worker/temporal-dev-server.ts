// A real Temporal server for development, tests and the demo: `temporal server start-dev` from the
// Temporal CLI. These machines cannot download the CLI's release binaries or the SDK's test server,
// but they can build the CLI from source through the Go module proxy (docs/engineering-facts.md §2.1),
// so that is the fallback. The SDK's own `TestWorkflowEnvironment.createLocal` gives a new server
// only 5 s to come up (§1.9), too little on a loaded 2-core box; this module waits as long as needed.
import { spawn, type ChildProcess } from 'node:child_process';
import { accessSync, closeSync, constants as fsConstants, mkdirSync, openSync, readFileSync, statSync } from 'node:fs';
import { createConnection, createServer } from 'node:net';
import { homedir } from 'node:os';
import { delimiter, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Connection } from '@temporalio/client';

export type Log = (message: string) => void;

/**
 * The newest CLI tag that `go install` accepts: from v1.6.0 on, cli's go.mod has a `replace`
 * directive, which remote installs refuse (docs/engineering-facts.md §2.1). It embeds server 1.29.1.
 */
export const TEMPORAL_CLI_VERSION = 'v1.5.1';
export const TEMPORAL_CLI_PACKAGE = 'github.com/temporalio/cli/cmd/temporal';

const repoRoot = fileURLToPath(new URL('..', import.meta.url));

/** Where the demo's dev server keeps its SQLite file and log: `<repo>/.stageline/temporal/` (git-ignored). */
export function defaultTemporalDataDir(): string {
  return join(repoRoot, '.stageline', 'temporal');
}

export interface FindOrBuildTemporalOptions {
  log?: Log;
}

/**
 * The absolute path of a `temporal` CLI binary. Looks, in order, at `STAGELINE_TEMPORAL_BIN`, `PATH`,
 * and Go's install folder (`GOBIN`, else `$(go env GOPATH)/bin`); if none has it, builds it there with
 * `CGO_ENABLED=0 go install github.com/temporalio/cli/cmd/temporal@v1.5.1` (minutes on a cold cache).
 * The binary never goes into the repository.
 */
export async function findOrBuildTemporal(options: FindOrBuildTemporalOptions = {}): Promise<string> {
  const log = options.log ?? (() => undefined);

  const explicit = process.env.STAGELINE_TEMPORAL_BIN;
  if (explicit !== undefined && explicit !== '') {
    if (!isExecutable(explicit)) throw new Error(`STAGELINE_TEMPORAL_BIN=${explicit} is not an executable file.`);
    return resolve(explicit);
  }

  const onPath = findOnPath('temporal');
  if (onPath !== undefined) return onPath;

  const go = findOnPath('go') ?? ['/usr/local/go/bin/go'].find(isExecutable);
  const binDir = go === undefined ? join(homedir(), 'go', 'bin') : await goBinDir(go);
  const installed = join(binDir, 'temporal');
  if (isExecutable(installed)) return installed;

  if (go === undefined) {
    throw new Error(
      'The Temporal CLI is needed to run a local Temporal server, and neither `temporal` (on PATH or in ~/go/bin) ' +
        'nor Go (to build it) was found. Install Go 1.25 or newer and run:\n' +
        `  CGO_ENABLED=0 go install ${TEMPORAL_CLI_PACKAGE}@${TEMPORAL_CLI_VERSION}\n` +
        'or set STAGELINE_TEMPORAL_BIN to an existing temporal binary.',
    );
  }

  log(`temporal: not found; building ${TEMPORAL_CLI_PACKAGE}@${TEMPORAL_CLI_VERSION} into ${binDir} (a few minutes on a cold Go cache)`);
  const started = Date.now();
  await goInstall(go, log);
  if (!isExecutable(installed)) {
    throw new Error(`go install finished, but ${installed} is not there. Check GOBIN and GOPATH (\`go env GOBIN GOPATH\`).`);
  }
  log(`temporal: built ${installed} in ${Math.round((Date.now() - started) / 1000)} s`);
  return installed;
}

export interface TemporalDevServerOptions {
  /** Holds `temporal.db` (the SQLite store, so executions survive a restart) and `temporal.log`. Default: `defaultTemporalDataDir()`. */
  dataDir?: string;
  /** Frontend gRPC port; a free one when omitted. */
  port?: number;
  /** Web UI port when not headless; a free one when omitted. */
  uiPort?: number;
  headless?: boolean;
  namespace?: string;
  log?: Log;
  /** The CLI binary; `findOrBuildTemporal()` when omitted. */
  executable?: string;
  /** How long to wait for the frontend to answer. Default 180 s: start-up takes seconds, but a loaded 2-core CI box can stall it. */
  startupTimeoutMs?: number;
  /** More `start-dev` arguments, e.g. `['--dynamic-config-value', 'limit.maxIDLength=255']`. */
  extraArgs?: string[];
}

export interface TemporalDevServer {
  /** `host:port` of the frontend, for `Connection.connect` and `NativeConnection.connect`. */
  address: string;
  port: number;
  namespace: string;
  uiUrl?: string;
  dataDir: string;
  logFile: string;
  /** Stops the server (its whole process group) and waits for it to exit. Safe to call twice. */
  stop(): Promise<void>;
}

/**
 * Starts `temporal server start-dev` bound to 127.0.0.1 and resolves once its frontend serves the
 * namespace. The server runs in its own process group, which `stop()` ends; it is also ended when
 * this process exits, and by a small watchdog if this process dies without running exit handlers.
 */
export async function startTemporalDevServer(options: TemporalDevServerOptions = {}): Promise<TemporalDevServer> {
  const log = options.log ?? (() => undefined);
  const executable = options.executable ?? (await findOrBuildTemporal({ log }));
  const dataDir = resolve(options.dataDir ?? defaultTemporalDataDir());
  mkdirSync(dataDir, { recursive: true });

  // Free ports are picked here, then handed to the server; another process can take one in between.
  // When that happens the server exits with "address already in use" and we try again with new ones.
  const attempts = options.port === undefined ? 3 : 1;
  for (let attempt = 1; ; attempt++) {
    try {
      return await startOnce(executable, dataDir, options, log);
    } catch (err) {
      if (!(err instanceof PortTakenError) || attempt >= attempts) throw err;
      log(`temporal: a port was taken before the server could bind it; retrying with new ports`);
    }
  }
}

class PortTakenError extends Error {}

async function startOnce(executable: string, dataDir: string, options: TemporalDevServerOptions, log: Log): Promise<TemporalDevServer> {
  const headless = options.headless ?? true;
  const namespace = options.namespace ?? 'default';
  const [port, httpPort, metricsPort, uiPort] = (await freePorts([options.port, undefined, undefined, options.uiPort])) as [number, number, number, number];
  const address = `127.0.0.1:${port}`;
  const logFile = join(dataDir, 'temporal.log');

  const args = [
    'server', 'start-dev',
    ...(headless ? ['--headless'] : ['--ui-port', String(uiPort)]),
    '--ip', '127.0.0.1',
    '--port', String(port),
    '--http-port', String(httpPort),
    '--metrics-port', String(metricsPort),
    '--db-filename', join(dataDir, 'temporal.db'),
    '--log-level', 'warn',
    '--namespace', namespace,
    ...(options.extraArgs ?? []),
  ];

  const logFd = openSync(logFile, 'a');
  const logStart = statSync(logFile).size;
  let child: ChildProcess;
  try {
    // `sh` leads a new process group (detached) that holds the server and a watchdog loop. The loop
    // stops the server when this process is gone, even after a SIGKILL that skips exit handlers.
    child = spawn('/bin/sh', ['-c', WATCHDOG, 'temporal-dev-server', String(process.pid), executable, ...args], {
      detached: true,
      stdio: ['ignore', logFd, logFd],
    });
  } finally {
    closeSync(logFd);
  }
  const pid = child.pid;
  if (pid === undefined) throw new Error(`Could not start ${executable}`);

  let exit: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  const exited = new Promise<void>((done) => {
    child.once('exit', (code, signal) => {
      exit = { code, signal };
      done();
    });
  });
  const killGroup = (signal: NodeJS.Signals): void => {
    try {
      process.kill(-pid, signal);
    } catch {
      // already gone
    }
  };
  const onParentExit = (): void => killGroup('SIGTERM');
  process.on('exit', onParentExit);

  let stopped = false;
  const stop = async (): Promise<void> => {
    if (stopped) return;
    stopped = true;
    process.off('exit', onParentExit);
    if (exit === undefined) {
      killGroup('SIGTERM');
      const timer = setTimeout(() => killGroup('SIGKILL'), 15_000);
      await exited;
      clearTimeout(timer);
    }
    // Anything the server started in its group and left behind.
    killGroup('SIGKILL');
  };

  const started = Date.now();
  const timeoutMs = options.startupTimeoutMs ?? 180_000;
  try {
    await waitUntilServing(address, namespace, started + timeoutMs, () => exit !== undefined);
  } catch (err) {
    await stop();
    const tail = logTail(logFile, logStart);
    const how = exit === undefined ? `did not answer within ${Math.round(timeoutMs / 1000)} s` : `exited (${exit.signal ?? `code ${exit.code}`})`;
    const message = `Temporal dev server on ${address} ${how}: ${err instanceof Error ? err.message : String(err)}\n` +
      `Command: ${executable} ${args.join(' ')}\nLast lines of ${logFile}:\n${tail}`;
    if (/address already in use/i.test(tail)) throw new PortTakenError(message);
    throw new Error(message, { cause: err });
  }
  log(`temporal: dev server ready on ${address} in ${((Date.now() - started) / 1000).toFixed(1)} s (data: ${dataDir})`);

  return {
    address,
    port,
    namespace,
    ...(headless ? {} : { uiUrl: `http://127.0.0.1:${uiPort}` }),
    dataDir,
    logFile,
    stop,
  };
}

// $1: the pid to watch; $2...: the server command. Signals sent to the group reach the server directly.
const WATCHDOG = `
parent=$1; shift
"$@" &
server=$!
trap 'kill -TERM "$server" 2>/dev/null' TERM HUP
while kill -0 "$parent" 2>/dev/null && kill -0 "$server" 2>/dev/null; do sleep 1; done
kill -TERM "$server" 2>/dev/null
wait "$server"
`;

async function waitUntilServing(address: string, namespace: string, deadline: number, hasExited: () => boolean): Promise<void> {
  const [host, portText] = splitAddress(address);
  let lastError: unknown = new Error('no attempt made');
  while (Date.now() < deadline) {
    if (hasExited()) throw new Error('the process ended before it served requests');
    // A plain TCP probe first: cheap, and it avoids gRPC's reconnect back-off while nothing listens.
    if (!(await tcpOpen(host, Number(portText)))) {
      await sleep(200);
      continue;
    }
    // lazy + ensureConnected rather than connect(), so that a failed attempt's channel is closed too.
    const connection = Connection.lazy({ address, connectTimeout: '5 seconds' });
    try {
      await connection.ensureConnected();
      // Answers only once the frontend, persistence and the namespace registry are all up.
      await connection.workflowService.describeNamespace({ namespace });
      return;
    } catch (err) {
      lastError = err;
    } finally {
      await connection.close();
    }
    await sleep(250);
  }
  throw lastError instanceof Error ? lastError : new Error(String(lastError));
}

function tcpOpen(host: string, port: number): Promise<boolean> {
  return new Promise((done) => {
    const socket = createConnection({ host, port });
    const finish = (ok: boolean): void => {
      socket.destroy();
      done(ok);
    };
    socket.setTimeout(1_000, () => finish(false));
    socket.once('connect', () => finish(true));
    socket.once('error', () => finish(false));
  });
}

/** One port per entry of `fixed`: the entry itself when given, else a distinct free TCP port on 127.0.0.1. */
async function freePorts(fixed: (number | undefined)[]): Promise<number[]> {
  const servers: ReturnType<typeof createServer>[] = [];
  const ports: number[] = [];
  try {
    for (const given of fixed) {
      if (given !== undefined) {
        ports.push(given);
        continue;
      }
      // Holding every listener open until all are chosen keeps the ports distinct.
      const server = createServer();
      servers.push(server);
      const port = await new Promise<number>((done, fail) => {
        server.once('error', fail);
        server.listen(0, '127.0.0.1', () => {
          const addr = server.address();
          if (addr !== null && typeof addr === 'object') done(addr.port);
          else fail(new Error('could not read the port of a listening socket'));
        });
      });
      ports.push(port);
    }
  } finally {
    await Promise.all(servers.map((s) => new Promise<void>((done) => s.close(() => done()))));
  }
  return ports;
}

async function goBinDir(go: string): Promise<string> {
  const out = await capture(go, ['env', 'GOBIN', 'GOPATH']);
  const [gobin = '', gopath = ''] = out.split('\n').map((line) => line.trim());
  if (gobin !== '') return gobin;
  // GOPATH may be a list; go install writes to the first entry.
  const first = gopath.split(delimiter)[0] ?? '';
  return join(first !== '' ? first : join(homedir(), 'go'), 'bin');
}

function goInstall(go: string, log: Log): Promise<void> {
  return new Promise((done, fail) => {
    const child = spawn(go, ['install', `${TEMPORAL_CLI_PACKAGE}@${TEMPORAL_CLI_VERSION}`], {
      env: { ...process.env, CGO_ENABLED: '0' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const started = Date.now();
    // go install prints module downloads and errors, and is silent while it compiles; say that it still works.
    const heartbeat = setInterval(() => log(`temporal: still building (${Math.round((Date.now() - started) / 1000)} s)`), 30_000);
    const recent: string[] = [];
    const onLines = (chunk: Buffer): void => {
      for (const line of chunk.toString().split('\n')) {
        if (line.trim() === '') continue;
        recent.push(line);
        if (recent.length > 40) recent.shift();
        log(`go: ${line}`);
      }
    };
    child.stdout.on('data', onLines);
    child.stderr.on('data', onLines);
    child.on('error', (err) => {
      clearInterval(heartbeat);
      fail(err);
    });
    child.on('close', (code) => {
      clearInterval(heartbeat);
      if (code === 0) done();
      else {
        fail(new Error(
          `go install ${TEMPORAL_CLI_PACKAGE}@${TEMPORAL_CLI_VERSION} failed (exit ${code}). It needs Go 1.25+ ` +
            `(or GOTOOLCHAIN=auto) and the Go module proxy.\n${recent.join('\n')}`,
        ));
      }
    });
  });
}

function capture(command: string, args: string[]): Promise<string> {
  return new Promise((done, fail) => {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
    child.on('error', fail);
    child.on('close', (code) => (code === 0 ? done(out) : fail(new Error(`${command} ${args.join(' ')} exited with ${code}: ${err.trim()}`))));
  });
}

function findOnPath(command: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (dir === '') continue;
    const candidate = resolve(dir, command);
    if (isExecutable(candidate)) return candidate;
  }
  return undefined;
}

function isExecutable(path: string): boolean {
  try {
    accessSync(path, fsConstants.X_OK);
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

/** The last lines the server wrote in this run (the log file is appended to across runs). */
function logTail(logFile: string, from: number, lines = 40): string {
  try {
    const text = readFileSync(logFile).subarray(from).toString('utf8');
    const all = text.trimEnd().split('\n');
    return all.slice(-lines).join('\n') || '(empty)';
  } catch {
    return '(no log)';
  }
}

function splitAddress(address: string): [string, string] {
  const i = address.lastIndexOf(':');
  return [address.slice(0, i), address.slice(i + 1)];
}

function sleep(ms: number): Promise<void> {
  return new Promise((done) => setTimeout(done, ms));
}
