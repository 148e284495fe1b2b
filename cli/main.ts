// stageline — the command line of the creative-operations hub.
import { Command, Option } from 'commander';
import { ConfigError, formatIssue, type StagelineConfig } from '../mapping/config';
import { connectionSummaries } from '../activities/db/queries';
import { createPool, defaultDatabaseUrl, ensureDatabase, ensurePostgres } from '../activities/db/postgres';
import { migrate } from '../activities/db/migrate';
import { LimiterRegistry } from '../connectors/limiter';
import { createWorker } from '../worker';
import { ensureReportSchedule, ensureSchedule } from '../worker/orchestration';
import { configPath, loadConfig, openRuntime, quietLogger } from './runtime';
import { describeTotals, printStatus, syncConnections } from './output';
import { runDemo } from './demo';
import { inspectNotion, notionClientFor } from '../activities/notion';
import { inspectMonday } from '../activities/monday';

const program = new Command();
program.name('stageline').description('Creative-operations hub: assets moving through stages across your tools.').option('-c, --config <path>', 'stageline.yaml to use (default: $STAGELINE_CONFIG or ./stageline.yaml)');

const log = (m: string) => console.error(`  ${m}`);

function readConfigOrExit(): StagelineConfig {
  try {
    return loadConfig(configPath(program.opts().config));
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(err.message);
      process.exit(2);
    }
    throw err;
  }
}

const config = program.command('config').description('work with stageline.yaml');
config
  .command('check')
  .description('validate stageline.yaml; every problem is listed with its path (exit 2 if any)')
  .option('--live', 'also check each connection against the vendor (reads only): for Notion, the databases are shared and the stage property and options exist; for monday.com, the boards exist and the stage columns, labels and groups are theirs')
  .action(async (opts: { live?: boolean }) => {
    const path = configPath(program.opts().config);
    let cfg: StagelineConfig;
    try {
      cfg = loadConfig(path);
      console.log(`${path}: OK — ${cfg.connections.length} connection(s): ${cfg.connections.map((c) => `${c.id} (${c.vendor})`).join(', ')}; ${cfg.people.length} people; pipeline ${cfg.workspace.pipeline.join(' → ')}`);
    } catch (err) {
      if (!(err instanceof ConfigError)) throw err;
      console.error(`${err.source}: ${err.issues.length} problem${err.issues.length === 1 ? '' : 's'}`);
      for (const i of err.issues) console.error(formatIssue(i));
      process.exitCode = 2;
      return;
    }
    if (!opts.live) return;
    // The plan's own checks, against what the vendor serves now, without writing anything.
    const limiters = new LimiterRegistry();
    let problems = 0;
    for (const [idx, c] of cfg.connections.entries()) {
      if (c.vendor !== 'notion' && c.vendor !== 'monday') {
        console.log(`  ${c.id} (${c.vendor}): no live check (its plan checks it on the next sync)`);
        continue;
      }
      try {
        const r =
          c.vendor === 'notion'
            ? await inspectNotion(notionClientFor({ limiters }, c), c, idx).then((x) => ({ problems: x.problems, found: `${x.sources.length} data source(s)` }))
            : await inspectMonday({ limiters, clock: () => new Date() }, c, idx).then((x) => ({ problems: x.problems, found: `${x.boards} board(s)` }));
        if (r.problems.length) {
          problems += r.problems.length;
          for (const p of r.problems) console.error(`  ${p}`);
        } else console.log(`  ${c.id} (${c.vendor}): live check OK — ${r.found}`);
      } catch (err) {
        problems++;
        console.error(`  connections.${idx}: connection "${c.id}": ${err instanceof Error ? err.message : String(err)}`);
      }
    }
    if (problems) process.exitCode = 2;
  });

program
  .command('migrate')
  .description('apply the database migrations (DATABASE_URL)')
  .action(async () => {
    const url = defaultDatabaseUrl();
    await ensurePostgres(url, { log });
    await ensureDatabase(url);
    const ran = await migrate(url);
    console.log(ran.length ? `applied: ${ran.join(', ')}` : 'database is up to date');
  });

program
  .command('sync')
  .description('sync one or all connections through Temporal')
  .option('--connection <id>', 'only this connection')
  .option('--full', 'a full reconciliation crawl instead of an incremental sync')
  .option('--wait', 'wait for the sync to finish, with progress')
  .action(async (opts: { connection?: string; full?: boolean; wait?: boolean }) => {
    const cfg = readConfigOrExit();
    const ids = opts.connection ? [opts.connection] : cfg.connections.map((c) => c.id);
    const unknown = ids.filter((id) => !cfg.connections.some((c) => c.id === id));
    if (unknown.length) {
      console.error(`unknown connection ${unknown.join(', ')} (known: ${cfg.connections.map((c) => c.id).join(', ')})`);
      process.exit(2);
    }
    // Without --wait the sync must outlive this process, so it needs a worker elsewhere.
    const rt = await openRuntime({ config: cfg, temporal: true, worker: opts.wait ? 'auto' : 'never', log });
    try {
      for (const c of cfg.connections) await ensureSchedule(rt.client!, c);
      await ensureReportSchedule(rt.client!, cfg);
      const results = await syncConnections(rt, ids, opts.full ? 'full' : 'incremental', Boolean(opts.wait));
      for (const [id, r] of results) {
        if (r instanceof Error) {
          console.error(`✗ ${id}: ${r.cause instanceof Error ? r.cause.message : r.message}`);
          process.exitCode = 1;
        } else console.log(`✓ ${id}: ${describeTotals(r)}`);
      }
      if (opts.wait) await printStatus(rt, opts.connection);
    } finally {
      await rt.close();
    }
  });

program
  .command('status')
  .description('per connection: state, last sync, cursor age, counts, rejected records, last error')
  .option('--connection <id>', 'only this connection')
  .option('--json', 'machine-readable output')
  .action(async (opts: { connection?: string; json?: boolean }) => {
    const cfg = readConfigOrExit();
    const rt = await openRuntime({ config: cfg });
    try {
      if (opts.json) console.log(JSON.stringify(await connectionSummaries(rt.db, opts.connection), null, 2));
      else await printStatus(rt, opts.connection);
    } finally {
      await rt.close();
    }
  });

const simulate = program.command('simulate').description('run a vendor simulator on this machine');
simulate
  .command('asana')
  .description('an Asana API simulator seeded with a creative agency')
  .option('--tasks <n>', 'tasks to generate (50–100000)', (v) => Number(v), 500)
  .option('--port <p>', 'port (0 = any free port)', (v) => Number(v), 4010)
  .option('--seed <s>', 'generator seed', (v) => Number(v), 1)
  .addOption(new Option('--rate-limit <perMinute>', 'requests per minute per token (Asana paid: 1500)').argParser((v) => Number(v)))
  .action(async (opts: { tasks: number; port: number; seed: number; rateLimit?: number }) => {
    const { startAsanaSimulatorFromCli } = await import('../connectors/asana/simulator');
    const sim = await startAsanaSimulatorFromCli({ port: opts.port, tasks: opts.tasks, seed: opts.seed, ...(opts.rateLimit ? { rateLimitPerMinute: opts.rateLimit } : {}) });
    console.log(`Asana simulator on ${sim.baseUrl} (token: ${sim.token}, workspace: ${sim.workspaceGid}); Ctrl-C to stop`);
    await new Promise<void>((resolve) => process.once('SIGINT', () => resolve()));
    await sim.stop();
  });

simulate
  .command('drive')
  .description('a Google Drive API v3 simulator holding the same agency\'s files (same --tasks and --seed as `simulate asana`)')
  .option('--tasks <n>', 'tasks of the agency the Drive belongs to (50–100000)', (v) => Number(v), 500)
  .option('--port <p>', 'port (0 = any free port)', (v) => Number(v), 4020)
  .option('--seed <s>', 'generator seed', (v) => Number(v), 1)
  .addOption(new Option('--quota <perMinute>', 'requests per minute per token; over it Drive answers 403 userRateLimitExceeded / 429').argParser((v) => Number(v)))
  .action(async (opts: { tasks: number; port: number; seed: number; quota?: number }) => {
    const { startDriveSimulatorFromCli } = await import('../connectors/drive/simulator');
    const sim = await startDriveSimulatorFromCli({ port: opts.port, tasks: opts.tasks, seed: opts.seed, ...(opts.quota ? { quotaPerMinute: opts.quota } : {}) });
    console.log(`Drive simulator on ${sim.rootUrl} (token: ${sim.token}; shared drive ${sim.sharedDriveId}; hand-off folder ${sim.rootFolderIds.filter((id) => id !== sim.sharedDriveId).join(' ')}); Ctrl-C to stop`);
    await new Promise<void>((resolve) => process.once('SIGINT', () => resolve()));
    await sim.stop();
  });

simulate
  .command('monday')
  .description('a monday.com GraphQL API simulator holding the same agency\'s boards (same --tasks and --seed as `simulate asana`)')
  .option('--tasks <n>', 'tasks of the agency the boards belong to (50–100000)', (v) => Number(v), 500)
  .option('--port <p>', 'port (0 = any free port)', (v) => Number(v), 4030)
  .option('--seed <s>', 'generator seed', (v) => Number(v), 1)
  .addOption(new Option('--boards <n>', 'how many of the agency\'s projects become boards (default: all)').argParser((v) => Number(v)))
  .addOption(new Option('--complexity-budget <points>', 'complexity points per minute per token (monday: 10000000 for personal tokens)').argParser((v) => Number(v)))
  .addOption(new Option('--daily-limit <calls>', 'API calls per day, reset at 00:00 UTC (Standard plan: 1000)').argParser((v) => Number(v)))
  .addOption(new Option('--rate-limit <perMinute>', 'requests per minute; over it monday answers 429 RATE_LIMIT_EXCEEDED').argParser((v) => Number(v)))
  .action(async (opts: { tasks: number; port: number; seed: number; boards?: number; complexityBudget?: number; dailyLimit?: number; rateLimit?: number }) => {
    const { startMondaySimulatorFromCli } = await import('../connectors/monday/simulator');
    const sim = await startMondaySimulatorFromCli({
      port: opts.port,
      tasks: opts.tasks,
      seed: opts.seed,
      boards: opts.boards,
      limits: {
        ...(opts.complexityBudget ? { complexityPerMinute: opts.complexityBudget } : {}),
        ...(opts.dailyLimit ? { dailyLimit: opts.dailyLimit } : {}),
        ...(opts.rateLimit ? { rateLimitPerMinute: opts.rateLimit } : {}),
      },
    });
    console.log(`monday.com simulator on ${sim.endpoint} (token: ${sim.token}; ${sim.boardIds.length} boards: ${sim.boardIds.join(' ')}); Ctrl-C to stop`);
    await new Promise<void>((resolve) => process.once('SIGINT', () => resolve()));
    await sim.stop();
  });

simulate
  .command('notion')
  .description('a Notion API simulator holding the same agency\'s assets as databases (same --tasks and --seed as `simulate asana`)')
  .option('--tasks <n>', 'tasks of the agency the workspace belongs to (50–100000)', (v) => Number(v), 500)
  .option('--port <p>', 'port (0 = any free port)', (v) => Number(v), 4040)
  .option('--seed <s>', 'generator seed', (v) => Number(v), 1)
  .addOption(new Option('--databases <n>', 'campaign databases (default: one per project of the agency)').argParser((v) => Number(v)))
  .addOption(new Option('--bulk-pages <n>', 'pages of an extra "Asset archive" data source (over 10000 meets the per-query row cap)').argParser((v) => Number(v)))
  .addOption(new Option('--rate-limit <perSecond>', 'average requests per second per token, bursts of 10 (Notion: 3; 0 = unlimited)').argParser((v) => Number(v)))
  .action(async (opts: { tasks: number; port: number; seed: number; databases?: number; bulkPages?: number; rateLimit?: number }) => {
    const { startNotionSimulatorFromCli, DEFAULT_RATE_LIMIT } = await import('../connectors/notion/simulator');
    const rateLimit = opts.rateLimit === undefined ? DEFAULT_RATE_LIMIT : opts.rateLimit === 0 ? null : { perSecond: opts.rateLimit, burst: DEFAULT_RATE_LIMIT.burst };
    const sim = await startNotionSimulatorFromCli({ port: opts.port, tasks: opts.tasks, seed: opts.seed, databases: opts.databases, bulkPages: opts.bulkPages, rateLimit });
    console.log(`Notion simulator: baseUrl ${sim.baseUrl} (new Client({ auth, baseUrl })), token: ${sim.token}; data sources: ${sim.dataSourceIds.join(' ')}; Ctrl-C to stop`);
    await new Promise<void>((resolve) => process.once('SIGINT', () => resolve()));
    await sim.stop();
  });

const rules = program.command('rules').description('the standards of stageline.yaml: what they find, what they would write');
rules
  .command('preview')
  .description('what enforcement would flag and write now, per asset and tool (every rule taken as enforced); writes nothing')
  .option('--rule <id>', 'only this rule')
  .option('--connection <id>', 'only assets of (or files in) this connection')
  .option('--json', 'the whole plan as JSON')
  .action(async (opts: { rule?: string; connection?: string; json?: boolean }) => {
    const cfg = readConfigOrExit();
    if (opts.rule && !cfg.rules.some((r) => r.id === opts.rule)) {
      console.error(`no rule "${opts.rule}" in stageline.yaml (rules: ${cfg.rules.map((r) => r.id).join(', ') || 'none'})`);
      process.exitCode = 2;
      return;
    }
    const rt = await openRuntime({ config: cfg });
    try {
      const { rulesPreview } = await import('./rules');
      await rulesPreview(rt, opts);
    } finally {
      await rt.close();
    }
  });
rules
  .command('check')
  .description('check the rules against what has been synced (fields they name that no task has); exit 2 on a problem')
  .action(async () => {
    const cfg = readConfigOrExit();
    const rt = await openRuntime({ config: cfg });
    try {
      const { rulesCheck } = await import('./rules');
      process.exitCode = await rulesCheck(rt);
    } finally {
      await rt.close();
    }
  });

program
  .command('report')
  .description('write the leadership report: report.html (charts, printable, no network needed) and one CSV per table, for a period against the one before it')
  .option('--from <date>', 'first day, YYYY-MM-DD in workspace.timezone (default: Monday of last week)')
  .option('--to <date>', 'last day, included (default: six days after --from, or last Sunday)')
  .option('--out <dir>', 'output folder (default: <reports.folder>/<from>_<to>)')
  .option('--no-refresh', 'report on the warehouse as of the last sync instead of bringing it up to date first')
  .action(async (opts: { from?: string; to?: string; out?: string; refresh: boolean }) => {
    const cfg = readConfigOrExit();
    const { ReportInputError } = await import('../warehouse/report');
    const { resolvePeriod, localDate, writeReport } = await import('../activities/report');
    try {
      resolvePeriod(opts, localDate(new Date(), cfg.workspace.timezone));
    } catch (err) {
      if (!(err instanceof ReportInputError)) throw err;
      console.error(err.message);
      process.exitCode = 2;
      return;
    }
    const rt = await openRuntime({ config: cfg, log });
    try {
      const r = await writeReport(rt.db, cfg, { ...opts, ...(opts.out ? { outDir: opts.out } : {}) }, new Date());
      if (r.refreshed) log(`warehouse refreshed (${r.refreshed.mode}, ${r.refreshed.assets} assets, ${r.refreshed.ms} ms)`);
      const s = r.summary.current;
      console.log(`Report ${r.from} – ${r.to}: ${s.delivered} delivered, cycle time median ${s.cycle_time_p50_days ?? '—'} d, on time ${s.on_time_rate === null ? '—' : `${(s.on_time_rate * 100).toFixed(1)} %`}, compliance ${s.compliance_rate === null ? '—' : `${(s.compliance_rate * 100).toFixed(1)} %`}`);
      console.log(`  ${r.html}`);
      console.log(`  ${r.files.length - 1} CSV files beside it (${r.timings.totalMs} ms)`);
    } catch (err) {
      if (!(err instanceof ReportInputError)) throw err;
      console.error(err.message);
      process.exitCode = 2;
    } finally {
      await rt.close();
    }
  });

program
  .command('worker')
  .description('run a Stageline worker (TEMPORAL_ADDRESS, DATABASE_URL)')
  .action(async () => {
    const cfg = readConfigOrExit();
    const address = process.env.TEMPORAL_ADDRESS ?? '127.0.0.1:7233';
    const url = defaultDatabaseUrl();
    const db = createPool(url);
    const { worker, connection } = await createWorker({ address, deps: { db, config: () => cfg, limiters: new LimiterRegistry(), clock: () => new Date(), log: quietLogger } });
    const { connectClient } = await import('../worker/orchestration');
    if (!process.env.STAGELINE_NO_SCHEDULES) {
      const client = await connectClient(address);
      for (const c of cfg.connections) await ensureSchedule(client, c);
      await ensureReportSchedule(client, cfg);
      await client.connection.close();
    }
    const weekly = cfg.reports.weekly ? `; weekly report ${cfg.reports.weekly.day}s at ${cfg.reports.weekly.at} (${cfg.workspace.timezone}) into ${cfg.reports.folder}` : '';
    console.log(`worker polling ${address}; schedules ensured for ${cfg.connections.length} connection(s)${weekly}`);
    for (const sig of ['SIGINT', 'SIGTERM'] as const) process.once(sig, () => worker.shutdown());
    await worker.run();
    await connection.close();
    await db.end();
  });

program
  .command('api')
  .description('serve the HTTP API')
  .option('--port <p>', 'port', (v) => Number(v), 8080)
  .action(async (opts: { port: number }) => {
    const cfg = readConfigOrExit();
    const rt = await openRuntime({ config: cfg, temporal: Boolean(process.env.TEMPORAL_ADDRESS), worker: 'never' });
    const { createApi, serveApi } = await import('../api/server');
    const app = createApi({ db: rt.db, config: () => cfg, temporal: () => rt.client });
    const server = await serveApi(app, opts.port);
    console.log(`API on :${opts.port}`);
    for (const sig of ['SIGINT', 'SIGTERM'] as const) process.once(sig, () => server.close(() => void rt.close()));
  });

program
  .command('demo')
  .description('sync a simulated agency workspace end to end and print what landed')
  .option('--tasks <n>', 'tasks in the simulated workspace', (v) => Number(v), 300)
  .action(async (opts: { tasks: number }) => {
    process.exitCode = await runDemo({ configPath: configPath(program.opts().config), tasks: opts.tasks });
  });

await program.parseAsync(process.argv);
