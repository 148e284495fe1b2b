// `npm run demo`: a creative agency's Asana workspace, monday.com account, Notion workspace and Google
// Drive (the simulators, unless ASANA_TOKEN / MONDAY_TOKEN / NOTION_TOKEN / DRIVE_TOKEN are set)
// synced through a real Temporal server into PostgreSQL, files linked to the assets their tasks, items
// and pages track, the standards evaluated on every tool's assets, then a summary per tool and the
// leadership report.
import { existsSync, readFileSync } from 'node:fs';
import { basename, dirname, resolve } from 'node:path';
import { parse as parseCsv } from 'csv-parse/sync';
import { parse, stringify } from 'yaml';
import { connectionSummaries, filesNeedingAttention } from '../activities/db/queries';
import { ConfigError, parseConfig } from '../mapping/config';
import { openRuntime } from './runtime';
import { describeTotals, printAttention, printSummary, syncConnections } from './output';
import type { SyncTotals } from '../activities';
import type { Runtime } from './runtime';
import type { StagelineConfig } from '../mapping/config';

/** The seed of every simulator: one agency, the same people, campaigns and files in each tool. */
const SEED = 1;

/** One simulated monday.com board: its id and where it keeps the stage. */
export interface DemoBoard {
  id: string;
  stageSource: 'status' | 'group';
}

/** What the demo's simulators hold that an environment variable cannot say. */
export interface DemoSimulators {
  /** The monday simulator's boards, when it runs. */
  mondayBoards?: DemoBoard[];
  /** The Notion simulator's databases the agency runs campaigns in, when it runs. */
  notionDatabases?: string[];
  /** The Asana projects the simulated agency runs in Asana (the others are monday boards or Notion databases), when the Asana simulator runs beside another task tool's. */
  asanaProjects?: string[];
}

/**
 * Campaigns in the simulated agency: at least four, so that some run on monday.com boards (one with
 * its stage in a status column, one in groups), one or more in Notion databases and the others in Asana.
 */
export function demoProjects(tasks: number): number {
  return Math.max(4, Math.round(tasks / 150));
}

/** How many of the agency's campaigns each simulated task tool runs. */
export interface CampaignSplit {
  monday: number;
  notion: number;
  asana: number;
}

/**
 * Each campaign runs in one tool, as an agency works: the same campaign synced from two tools would
 * count its deliveries twice and have its Drive files claimed by two assets. monday.com gets at least
 * two boards (one staged by a status column, one by groups) and about a third; Notion and Asana share
 * the rest, Asana taking the odd one.
 */
export function splitCampaigns(projects: number, tools: { monday: boolean; notion: boolean }): CampaignSplit {
  if (!Number.isInteger(projects) || projects < 1) throw new RangeError(`projects: expected an integer ≥ 1, got ${String(projects)}`);
  if (tools.monday && tools.notion) {
    const monday = Math.min(projects - 2, Math.max(2, Math.ceil(projects / 3)));
    const notion = Math.floor((projects - monday) / 2);
    return { monday, notion, asana: projects - monday - notion };
  }
  const half = Math.floor(projects / 2);
  if (tools.monday) return { monday: half, notion: 0, asana: projects - half };
  if (tools.notion) return { monday: 0, notion: half, asana: projects - half };
  return { monday: 0, notion: 0, asana: projects };
}

/**
 * The demo's stageline.yaml: the file as written, pointed at the simulators where the environment
 * cannot do it. A monday connection's stage sources are keyed by board id, so the simulator's boards
 * are named and each board whose stage lives elsewhere than the `"*"` entry says gets its own entry,
 * with the same map (the simulator's group titles are its status labels). A Notion connection lists
 * the databases of its campaigns (one environment variable holds one id, not a list); the file's `"*"`
 * stage entry reads each one's Stage status. Campaigns run on monday boards or in Notion leave the
 * Asana connection, as an agency runs each campaign in one tool. The result goes through parseConfig
 * like any file, so a wrong edit fails with its path.
 */
export function demoConfigText(text: string, sims: DemoSimulators): string {
  const doc = parse(text) as { connections?: unknown } | null;
  const connections = Array.isArray(doc?.connections) ? (doc.connections as Record<string, unknown>[]) : [];
  for (const c of connections) {
    if (!c || typeof c !== 'object') continue;
    if (c.vendor === 'asana' && sims.asanaProjects?.length) c.projects = sims.asanaProjects;
    if (c.vendor === 'notion' && sims.notionDatabases?.length) c.databases = sims.notionDatabases;
    if (c.vendor !== 'monday' || !sims.mondayBoards?.length) continue;
    delete c.workspaces;
    c.boards = sims.mondayBoards.map((b) => b.id);
    const stage = (c.stage && typeof c.stage === 'object' ? c.stage : {}) as Record<string, { from?: string; column?: string; map?: unknown }>;
    const fallback = stage['*'] ?? Object.values(stage)[0];
    const map = fallback?.map ?? {};
    const column = (fallback?.from === 'status_column' && fallback.column) || 'Stage';
    for (const b of sims.mondayBoards) {
      const from = b.stageSource === 'status' ? 'status_column' : 'group';
      if (stage[b.id] || stage['*']?.from === from) continue;
      stage[b.id] = from === 'group' ? { from, map } : { from, column, map };
    }
    c.stage = stage;
  }
  return stringify(doc);
}

/** What each tool calls the records an asset comes from. */
function recordsOf(vendor: string | undefined): string {
  return vendor === 'monday' ? 'items' : vendor === 'notion' ? 'pages' : 'tasks';
}

function vendorsIn(text: string | null): Set<string> {
  try {
    const doc = text === null ? null : (parse(text) as { connections?: unknown } | null);
    return new Set((Array.isArray(doc?.connections) ? doc.connections : []).map((c: { vendor?: unknown } | null) => String(c?.vendor)));
  } catch {
    return new Set();
  }
}

export async function runDemo(opts: { configPath: string; tasks: number }): Promise<number> {
  const t0 = Date.now();
  const step = (m: string) => console.error(`▸ ${m}`);
  const stops: (() => Promise<void>)[] = [];
  const text = existsSync(opts.configPath) ? readFileSync(opts.configPath, 'utf8') : null;
  const vendors = vendorsIn(text);
  const projects = demoProjects(opts.tasks);
  const runsMonday = !process.env.MONDAY_TOKEN && vendors.has('monday');
  const runsNotion = !process.env.NOTION_TOKEN && vendors.has('notion');
  const split = splitCampaigns(projects, { monday: runsMonday, notion: runsNotion });
  const sims: DemoSimulators = {};
  try {
    let asanaProjects: string[] | null = null;
    if (!process.env.ASANA_TOKEN) {
      const { createAsanaSimulator, generateAgency, SIM_DEFAULT_TOKEN } = await import('../connectors/asana/simulator');
      const agency = generateAgency({ seed: SEED, tasks: opts.tasks, projects });
      asanaProjects = agency.dataset.projects.map((p) => p.gid);
      const sim = createAsanaSimulator({ dataset: agency, rateLimitPerMinute: null });
      const started = await sim.start(0);
      stops.push(() => sim.stop());
      process.env.ASANA_TOKEN = SIM_DEFAULT_TOKEN;
      process.env.ASANA_WORKSPACE = agency.dataset.workspace.gid;
      process.env.ASANA_BASE_URL = started.baseUrl;
      step(`Asana simulator: a creative agency with ${opts.tasks} tasks in ${projects} campaigns on ${started.baseUrl}`);
    } else step('ASANA_TOKEN is set: syncing the real Asana workspace of stageline.yaml');
    // Campaigns (Asana project gids) another simulated tool runs; Asana keeps the rest.
    const elsewhere = new Set<string>();
    if (runsMonday) {
      // The generator makes the first boards one with a Stage status column and one staged by groups.
      const { startMondaySimulatorFromCli } = await import('../connectors/monday/simulator');
      const sim = await startMondaySimulatorFromCli({ port: 0, tasks: opts.tasks, projects, seed: SEED, boards: split.monday });
      stops.push(() => sim.stop());
      const boards = sim.boardIds.map((id) => sim.control.boardTruth(id)!);
      sims.mondayBoards = boards.map((b) => ({ id: b.boardId, stageSource: b.stageSource }));
      for (const b of boards) if (b.projectGid) elsewhere.add(b.projectGid);
      process.env.MONDAY_TOKEN = sim.token;
      process.env.MONDAY_API_URL = sim.endpoint;
      process.env.MONDAY_WORKSPACE = boards[0]!.workspaceId;
      const by = (s: 'status' | 'group') => boards.filter((b) => b.stageSource === s).map((b) => b.boardId).join(', ') || 'none';
      step(`monday.com simulator: ${boards.length} of the same agency's campaigns run on boards (stage in a Stage column: ${by('status')}; in groups: ${by('group')}) on ${sim.endpoint}`);
    } else if (vendors.has('monday')) step('MONDAY_TOKEN is set: syncing the real monday.com boards of stageline.yaml');
    if (runsNotion) {
      // The simulator holds a database per campaign; the connection lists those of the next campaigns
      // not on monday boards. Paced as Notion paces an integration: 3 requests/s, bursts of 10.
      const { startNotionSimulatorFromCli, DEFAULT_RATE_LIMIT } = await import('../connectors/notion/simulator');
      const sim = await startNotionSimulatorFromCli({ port: 0, tasks: opts.tasks, projects, seed: SEED, rateLimit: DEFAULT_RATE_LIMIT });
      stops.push(() => sim.stop());
      const chosen = sim.control
        .truth()
        .dataSources.filter((d) => d.role === 'assets' && d.projectGids.every((g) => !elsewhere.has(g)))
        .slice(0, split.notion);
      for (const d of chosen) for (const g of d.projectGids) elsewhere.add(g);
      sims.notionDatabases = chosen.map((d) => d.databaseId);
      process.env.NOTION_TOKEN = sim.token;
      process.env.NOTION_API_URL = sim.baseUrl;
      process.env.NOTION_DATABASE = chosen[0]?.databaseId ?? '';
      const runs = chosen.length === 1 ? 'campaigns runs in a database' : 'campaigns run in databases';
      step(`Notion simulator: ${chosen.length} of the same agency's ${runs} (${chosen.map((d) => d.name).join(', ')}), paced at ${DEFAULT_RATE_LIMIT.perSecond} requests/s as Notion paces an integration, on ${sim.baseUrl}`);
    } else if (vendors.has('notion')) step('NOTION_TOKEN is set: syncing the real Notion databases of stageline.yaml');
    if (asanaProjects && elsewhere.size) {
      sims.asanaProjects = asanaProjects.filter((gid) => !elsewhere.has(gid));
      step(`Asana syncs the other ${sims.asanaProjects.length} campaign${sims.asanaProjects.length === 1 ? '' : 's'}`);
    }
    if (!process.env.DRIVE_TOKEN) {
      // The same agency's Google Drive: the files behind the tasks' and items' versions, and the ones nobody claims.
      const { startDriveSimulatorFromCli } = await import('../connectors/drive/simulator');
      const sim = await startDriveSimulatorFromCli({ port: 0, tasks: opts.tasks, projects, seed: SEED });
      stops.push(() => sim.stop());
      process.env.DRIVE_TOKEN = sim.token;
      process.env.DRIVE_BASE_URL = sim.rootUrl;
      process.env.DRIVE_SHARED_DRIVE = sim.sharedDriveId;
      process.env.DRIVE_FOLDER = sim.rootFolderIds.find((id) => id !== sim.sharedDriveId) ?? sim.sharedDriveId;
      step(`Drive simulator: the same agency's shared drive and hand-off folder on ${sim.rootUrl}`);
    } else step('DRIVE_TOKEN is set: syncing the real Google Drive folders of stageline.yaml');

    let config: StagelineConfig;
    try {
      if (text === null) throw new ConfigError(opts.configPath, [{ code: 'not_found', path: [], message: `no config file at ${opts.configPath} (set --config or STAGELINE_CONFIG)` }]);
      config = parseConfig(sims.mondayBoards || sims.notionDatabases || sims.asanaProjects ? demoConfigText(text, sims) : text, process.env, opts.configPath);
      // As loadConfig does: a relative reports folder is the config file's neighbour.
      config.reports.folder = resolve(dirname(opts.configPath), config.reports.folder);
    } catch (err) {
      if (err instanceof ConfigError) {
        console.error(err.message);
        return 2;
      }
      throw err;
    }
    step('PostgreSQL and Temporal (a local dev server is built on first use: about 3 minutes, once)');
    const rt = await openRuntime({ config, temporal: true, worker: 'auto', log: (m) => console.error(`  ${m}`) });
    try {
      step(`Temporal at ${rt.temporalAddress}; full sync of ${config.connections.map((c) => c.id).join(', ')}`);
      const results = await syncConnections(rt, config.connections.map((c) => c.id), 'full', true);
      let failed = false;
      console.log('');
      for (const [id, r] of results) {
        if (r instanceof Error) {
          failed = true;
          console.log(`✗ ${id}: ${r.cause instanceof Error ? r.cause.message : r.message}`);
        } else console.log(`✓ ${id}: ${describeTotals(r, recordsOf(config.connections.find((c) => c.id === id)?.vendor))}`);
      }
      console.log('');
      const summaries = new Map((await connectionSummaries(rt.db)).map((s) => [s.connectionId, s]));
      for (const c of config.connections) {
        const s = summaries.get(c.id);
        if (!s) continue;
        printSummary(s);
        if (s.files && s.files.total > s.files.linked) printAttention(await filesNeedingAttention(rt.db, s.connectionId, 8), s.files.total - s.files.linked);
      }
      console.log('');
      await printByTool(rt, config, results);
      const { printViolations } = await import('./rules');
      console.log('');
      await printViolations(rt);
      console.log(`Standards are in ${config.enforcement.mode} mode: npx stageline rules preview shows what enforcing them would write.`);
      await writeDemoReport(rt, config);
      console.log(`\nDone in ${((Date.now() - t0) / 1000).toFixed(1)} s. Data: ${rt.databaseUrl.replace(/:[^:@/]*@/, ':***@')} (schemas core, ops, warehouse). Try: npx stageline status`);
      return failed ? 1 : 0;
    } finally {
      await rt.close();
    }
  } finally {
    for (const stop of stops.reverse()) await stop();
  }
}

/**
 * One line per tool: what it holds, the API calls its sync made, the standards' open violations on
 * its assets, what Stageline wrote into it (metrics; rules too when enforced) and what enforcing the
 * rules would write there.
 */
async function printByTool(rt: Runtime, config: StagelineConfig, results: Map<string, SyncTotals | Error>): Promise<void> {
  const ids = config.connections.map((c) => c.id);
  const { rows } = await rt.db.query<{ id: string; assets: string; files: string; violations: string; written: Record<string, number> | null; pending: string }>(
    `SELECT c.id,
            (SELECT count(*) FROM core.assets a WHERE a.connection_id = c.id AND a.deleted_at IS NULL) AS assets,
            (SELECT count(*) FROM core.files f WHERE f.connection_id = c.id AND NOT f.is_folder AND f.deleted_at IS NULL) AS files,
            (SELECT count(*) FROM ops.violations v WHERE v.connection_id = c.id AND v.state = 'open') AS violations,
            (SELECT jsonb_object_agg(op, n) FROM (SELECT op, count(*) AS n FROM ops.outbox o WHERE o.connection_id = c.id AND o.state = 'done' GROUP BY op) x) AS written,
            (SELECT count(*) FROM ops.outbox o WHERE o.connection_id = c.id AND o.state = 'pending') AS pending
       FROM ops.connections c WHERE c.id = ANY($1::text[]) ORDER BY array_position($1::text[], c.id)`,
    [ids],
  );
  const { planEnforcement } = await import('../activities/enforce');
  const plan = await planEnforcement(rt.db, config, { now: new Date().toISOString(), assumeEnforce: true });
  console.log('By tool:');
  for (const r of rows) {
    const vendor = config.connections.find((c) => c.id === r.id)!.vendor;
    const t = results.get(r.id);
    const calls = t && !(t instanceof Error) ? Object.values(t.apiCalls).reduce((a, b) => a + b, 0) : null;
    const holds = vendor === 'drive' ? `${r.files} files` : `${r.assets} assets`;
    const written = Object.entries(r.written ?? {}).map(([op, n]) => `${n} ${op}`).join(', ') || 'nothing';
    const would = new Map<string, number>();
    for (const w of plan.writes) if (w.connectionId === r.id) would.set(w.op, (would.get(w.op) ?? 0) + 1);
    const wouldText = [...would].map(([op, n]) => `${n} ${op}`).join(', ') || 'nothing';
    console.log(`  ${r.id} (${vendor}): ${holds} · ${calls ?? '—'} API calls · ${r.violations} open violations · written: ${written}${Number(r.pending) ? ` (${r.pending} pending)` : ''} · enforcing would write: ${wouldText}`);
  }
}

/**
 * The demo's last step: the leadership report for the four weeks up to today (or, for a dataset whose
 * deliveries ended earlier, up to the Sunday after its last delivery), against the four before.
 */
async function writeDemoReport(rt: Runtime, config: StagelineConfig): Promise<void> {
  const { localDate, writeReport } = await import('../activities/report');
  const { addDays } = await import('../warehouse/report-data');
  const today = localDate(new Date(), config.workspace.timezone);
  const { rows } = await rt.db.query<{ latest: string | null }>(`SELECT to_char(max(delivered_on), 'YYYY-MM-DD') AS latest FROM warehouse.v_cycle_time`);
  const latest = rows[0]?.latest ?? today;
  const sundayAfter = (d: string) => addDays(d, (7 - new Date(`${d}T00:00:00Z`).getUTCDay()) % 7);
  const to = latest >= addDays(today, -27) ? today : sundayAfter(latest);
  const r = await writeReport(rt.db, config, { from: addDays(to, -27), to }, new Date());
  const s = r.summary.current;
  const pct = (v: number | null) => (v === null ? '—' : `${(v * 100).toFixed(1)} %`);
  console.log(`\nLeadership report, ${r.from} – ${r.to} vs the 4 weeks before: ${s.delivered} delivered, cycle time median ${s.cycle_time_p50_days ?? '—'} d, first-pass approval ${pct(s.first_pass_rate)}, on time ${pct(s.on_time_rate)}, compliance ${pct(s.compliance_rate)}.`);
  const toolCsv = r.files.find((f) => basename(f) === 'by_source_tool.csv');
  if (toolCsv) {
    const tools = parseCsv(readFileSync(toolCsv, 'utf8'), { columns: true }) as Record<string, string>[];
    console.log(`  by source tool: ${tools.map((t) => `${t.source_tool} ${t.delivered} delivered, ${t.live_assets} live assets`).join(' · ')}`);
    // Notion's API reads no property history (connectors/notion/README.md, Behaviour 16): a page's
    // moves count from the first sync that sees them, so a first sync shows its live pages, not past deliveries.
    if (config.connections.some((c) => c.vendor === 'notion')) console.log('  (Notion keeps no stage history an integration can read: its deliveries count from Stageline\'s first sync on)');
  }
  console.log(`  ${r.html}`);
  console.log(`  ${r.files.length - 1} CSV files beside it; weekly: ${config.reports.weekly ? `every ${config.reports.weekly.day} at ${config.reports.weekly.at} into ${config.reports.folder}` : 'off (stageline.yaml reports.weekly)'}`);
}
