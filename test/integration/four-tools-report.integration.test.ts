// Asana, monday.com, Notion and Google Drive together in the warehouse and the leadership report (real
// PostgreSQL, real Temporal, the four simulators seeded with one agency). Each campaign runs in one
// task tool, as an agency works and as the demo splits them: the first two on monday boards (one
// staged by a status column, one by groups), the next two in Notion databases, the last in Asana;
// Drive holds the files of all of them. After the four syncs, a warehouse refresh and a report: every
// live asset of each task tool is a warehouse asset with its source tool; Drive revisions count as
// versions of the assets they are linked to, whichever tool tracks them; the report's source-tool slice
// has a row for asana, monday and notion whose figures equal SQL over the warehouse views; and the
// summary's counts are the sums over the tools (nothing counted twice, nothing left out).
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml, stringify } from 'yaml';
import { generateAgency, type GeneratedAgency } from '../../connectors/asana/simulator';
import { writeReport, type WrittenReport } from '../../activities/report';
import { METRICS } from '../../warehouse/report-data';
import { startStack, type Stack } from '../support/stack';
import { agencyPeopleYaml } from '../support/agency-yaml';

// Four whole weeks (Monday–Sunday) before the generator's "now" (2026-11-20), and the four before them.
const FROM = '2026-10-19';
const TO = '2026-11-15';
const PREV_FROM = '2026-09-21';
const PREV_TO = '2026-10-18';
const SEED = 91;
const TASKS = 300;
const PROJECTS = 5;
/** Campaigns on monday boards: the generator's first ones (a board staged by a status column, one by groups). */
const BOARDS = 2;
/** Campaigns in Notion databases: the two after the boards'. */
const NOTION_CAMPAIGNS = 2;
const TOOLS = ['asana', 'monday', 'notion'] as const;

let stack: Stack;
let report: WrittenReport;
let out: string;
let asanaProjects: string[];
let notionProjects: string[];
/** The Notion databases (and their data sources) the connection lists: the Notion campaigns'. */
let notionDatabases: string[];
let notionSources: string[];
const m = () => stack.monday!;
const n = () => stack.notion!;


const topLevel = (agency: GeneratedAgency) => `${agencyPeopleYaml(agency)}
enforcement:
  mode: preview
rules:
  - id: client-approval-before-delivery
    kind: approval_gate
    before: delivered
    require: { client: [approved, approved_with_changes] }
    action: comment
`;

/**
 * The stack's Notion connection lists every campaign database; narrowed to the Notion campaigns'
 * (with their stage entries), as a team shares only its own databases with the integration.
 */
function onlyNotionCampaigns(yaml: string): string {
  const doc = parseYaml(yaml) as { connections: { id: string; databases?: string[]; stage?: Record<string, unknown> }[] };
  const c = doc.connections.find((x) => x.id === n().connectionId)!;
  c.databases = notionDatabases;
  c.stage = Object.fromEntries(Object.entries(c.stage ?? {}).filter(([id]) => notionDatabases.includes(id)));
  return stringify(doc);
}

type Row = Record<string, string>;
const csvRows = (file: string): Row[] => parse(readFileSync(join(out, file), 'utf8'), { columns: true }) as Row[];
const cell = (v: string | undefined): number | null => (v === undefined || v === '' ? null : Number(v));
const r = (v: unknown, decimals: number): number | null => (v === null || v === undefined ? null : Math.round(Number(v) * 10 ** decimals) / 10 ** decimals);

beforeAll(async () => {
  const agency = generateAgency({ seed: SEED, tasks: TASKS, projects: PROJECTS });
  const gids = agency.dataset.projects.map((p) => p.gid);
  notionProjects = gids.slice(BOARDS, BOARDS + NOTION_CAMPAIGNS);
  asanaProjects = gids.slice(BOARDS + NOTION_CAMPAIGNS);
  stack = await startStack({
    tasks: TASKS, projects: PROJECTS, seed: SEED, drive: {}, topLevelYaml: topLevel,
    connectionYaml: `    projects: [${asanaProjects.map((g) => `"${g}"`).join(', ')}]\n`,
    monday: { boards: BOARDS, limits: { complexityPerMinute: 50_000_000 }, yaml: '    complexity_per_minute: 50000000\n' },
    notion: {},
  });
  const sources = n().truth.dataSources.filter((d) => d.role === 'assets' && d.projectGids.length > 0 && d.projectGids.every((g) => notionProjects.includes(g)));
  notionDatabases = sources.map((d) => d.databaseId);
  notionSources = sources.map((d) => d.dataSourceId);
  stack.reconfigure(onlyNotionCampaigns);
  // Task tools first, Drive last (as in stageline.yaml), so Drive's linking pass sees every tool's assets.
  const results = [await stack.sync('full'), await stack.syncMonday('full'), await stack.syncNotion('full'), await stack.syncDrive('full')];
  expect(results.map((x) => x.status)).toEqual(['succeeded', 'succeeded', 'succeeded', 'succeeded']);
  out = mkdtempSync(join(tmpdir(), 'stageline-four-tools-report-'));
  report = await writeReport(stack.db.pool, stack.config, { from: FROM, to: TO, outDir: out }, new Date());
}, 600_000);
afterAll(async () => stack?.close());

describe('four tools in one warehouse and one report', () => {
  it('each of the agency\'s campaigns runs in exactly one task tool', () => {
    const onMonday = m().boardIds.map((b) => m().truth.boards.get(b)!);
    expect(new Set(onMonday.map((b) => b.stageSource))).toEqual(new Set(['status', 'group']));
    const monday = onMonday.map((b) => b.projectGid!);
    const notion = n().truth.dataSources.filter((d) => notionSources.includes(d.dataSourceId)).flatMap((d) => d.projectGids);
    expect(notionDatabases).toHaveLength(NOTION_CAMPAIGNS);
    expect([...monday, ...notion, ...asanaProjects].sort()).toEqual(generateAgency({ seed: SEED, tasks: TASKS, projects: PROJECTS }).dataset.projects.map((p) => p.gid).sort());
    expect((stack.config.connections.find((c) => c.id === n().connectionId) as { databases: string[] }).databases).toEqual(notionDatabases);
  });

  it('every live asset of each tool is in warehouse.dim_asset with its source tool, and nothing else is', async () => {
    const db = stack.db.pool;
    const expected: Record<string, { connectionId: string; ids: string[] }> = {
      asana: { connectionId: stack.connectionId, ids: [...stack.agency.truth.tasks.values()].filter((t) => !t.deleted && asanaProjects.includes(t.projectGid)).map((t) => t.taskGid) },
      monday: { connectionId: m().connectionId, ids: [...m().truth.items.values()].filter((t) => t.state === 'active').map((t) => t.itemId) },
      notion: { connectionId: n().connectionId, ids: [...n().sim.control.truth().pages.values()].filter((p) => !p.inTrash && notionSources.includes(p.dataSourceId)).map((p) => p.pageId) },
    };
    for (const tool of TOOLS) {
      const { connectionId, ids } = expected[tool]!;
      expect({ tool, many: ids.length > 40 }).toEqual({ tool, many: true });
      const { rows } = await db.query<{ external_id: string; source_vendor: string }>(
        `SELECT external_id, source_vendor FROM warehouse.dim_asset WHERE connection_id = $1 AND deleted_at IS NULL`, [connectionId]);
      expect({ tool, ids: rows.map((x) => x.external_id).sort(), vendors: [...new Set(rows.map((x) => x.source_vendor))] }).toEqual({ tool, ids: [...ids].sort(), vendors: [tool] });
    }
    const { rows: vendors } = await db.query<{ source_vendor: string; n: string }>(`SELECT source_vendor, count(*) AS n FROM warehouse.v_asset GROUP BY 1 ORDER BY 1`);
    expect(vendors.map((v) => [v.source_vendor, Number(v.n)])).toEqual(TOOLS.map((t) => [t, expected[t]!.ids.length]));
  });

  it('Drive revisions are versions of the assets they are linked to, counted under the tool that tracks the asset', async () => {
    const db = stack.db.pool;
    const drive = stack.drive!.connectionId;
    const { rows } = await db.query<{ vendor: string; core: string; core_drive: string; warehouse: string; warehouse_drive: string; dim_count: string }>(
      `SELECT x.vendor,
              (SELECT count(*) FROM core.versions v JOIN core.assets a ON a.id = v.asset_id JOIN ops.connections c ON c.id = a.connection_id
                WHERE c.vendor = x.vendor AND v.deleted_at IS NULL AND a.deleted_at IS NULL) AS core,
              (SELECT count(*) FROM core.versions v JOIN core.assets a ON a.id = v.asset_id JOIN ops.connections c ON c.id = a.connection_id
                WHERE c.vendor = x.vendor AND v.connection_id = $1 AND v.deleted_at IS NULL AND a.deleted_at IS NULL) AS core_drive,
              (SELECT count(*) FROM warehouse.fact_version f JOIN warehouse.dim_asset d ON d.asset_id = f.asset_id WHERE d.source_vendor = x.vendor AND d.deleted_at IS NULL) AS warehouse,
              (SELECT count(*) FROM warehouse.fact_version f JOIN warehouse.dim_asset d ON d.asset_id = f.asset_id JOIN core.versions v ON v.id = f.version_id
                WHERE d.source_vendor = x.vendor AND d.deleted_at IS NULL AND v.connection_id = $1) AS warehouse_drive,
              (SELECT coalesce(sum(version_count), 0) FROM warehouse.dim_asset d WHERE d.source_vendor = x.vendor AND d.deleted_at IS NULL) AS dim_count
         FROM unnest($2::text[]) AS x(vendor) ORDER BY 1`,
      [drive, [...TOOLS]],
    );
    for (const row of rows) {
      expect({ tool: row.vendor, warehouse: Number(row.warehouse), drive: Number(row.warehouse_drive), versionCount: Number(row.dim_count) })
        .toEqual({ tool: row.vendor, warehouse: Number(row.core), drive: Number(row.core_drive), versionCount: Number(row.core) });
      // Each tool's campaigns have files on the shared drive, and some of their revisions land on its assets.
      expect({ tool: row.vendor, linkedRevisions: Number(row.core_drive) > 0 }).toEqual({ tool: row.vendor, linkedRevisions: true });
    }
    expect(rows.map((x) => x.vendor)).toEqual([...TOOLS]);
    // No Drive file is linked to two assets: each campaign's files are claimed by the one tool running it.
    const { rows: states } = await db.query<{ state: string; n: string }>(`SELECT state, count(*) AS n FROM ops.file_links WHERE connection_id = $1 GROUP BY 1`, [drive]);
    const byState = Object.fromEntries(states.map((s) => [s.state, Number(s.n)]));
    expect({ conflicts: byState.conflict ?? 0, linked: (byState.linked ?? 0) > 100 }).toEqual({ conflicts: 0, linked: true });
  });

  it('by_source_tool.csv has a row for asana, monday and notion, each equal to SQL over the warehouse views', async () => {
    const db = stack.db.pool;
    const tools = csvRows('by_source_tool.csv');
    expect(tools.map((t) => t.source_tool).sort()).toEqual([...TOOLS]);
    // The period ends on a Sunday before the refresh: its end state is that Sunday's snapshot.
    expect((await db.query<{ d: string }>(`SELECT to_char(as_of_on, 'YYYY-MM-DD') AS d FROM warehouse.refresh_info`)).rows[0]!.d > TO).toBe(true);
    const q = async (sql: string, params: unknown[]) => (await db.query(sql, params)).rows[0] as Record<string, unknown>;
    for (const tool of TOOLS) {
      const row = tools.find((t) => t.source_tool === tool)!;
      const delivered = `SELECT coalesce(sum(assets_delivered), 0) AS d FROM warehouse.v_throughput_daily WHERE source_vendor = $1 AND delivered_on BETWEEN $2 AND $3`;
      const t = await q(delivered, [tool, FROM, TO]);
      const tp = await q(delivered, [tool, PREV_FROM, PREV_TO]);
      const c = await q(
        `SELECT count(cycle_time_days) AS n, percentile_cont(0.5) WITHIN GROUP (ORDER BY cycle_time_days) AS p50, percentile_cont(0.85) WITHIN GROUP (ORDER BY cycle_time_days) AS p85
           FROM warehouse.v_cycle_time WHERE source_vendor = $1 AND delivered_on BETWEEN $2 AND $3`, [tool, FROM, TO]);
      const rr = await q(`SELECT avg(revision_rounds) AS avg FROM warehouse.v_revision_rounds WHERE source_vendor = $1 AND is_delivered AND delivered_on BETWEEN $2 AND $3`, [tool, FROM, TO]);
      const k = await q(`SELECT count(*) AS n, avg(compliant::int) AS rate FROM warehouse.v_compliance WHERE source_vendor = $1 AND snapshot_on = $2`, [tool, TO]);
      expect({
        tool, delivered: cell(row.delivered), delivered_previous: cell(row.delivered_previous), cycle_time_n: cell(row.cycle_time_n),
        p50: cell(row.cycle_time_p50_days), p85: cell(row.cycle_time_p85_days), rounds: cell(row.revision_rounds_avg), live_assets: cell(row.live_assets), compliance: cell(row.compliance_rate),
      }).toEqual({
        tool, delivered: Number(t.d), delivered_previous: Number(tp.d), cycle_time_n: Number(c.n),
        p50: r(c.p50, 2), p85: r(c.p85, 2), rounds: r(rr.avg, 2), live_assets: Number(k.n), compliance: r(k.rate, 4),
      });
      expect({ tool, liveAssets: cell(row.live_assets)! > 40 }).toEqual({ tool, liveAssets: true });
    }
    // Not rows of nothing: the Asana and monday campaigns delivered in the period, with cycle times read
    // from their tools' histories. Notion keeps no stage history the API can read (connectors/notion/
    // README.md, Behaviour 16): its deliveries count from Stageline's first sync on (the last test).
    for (const tool of ['asana', 'monday']) {
      const row = tools.find((t) => t.source_tool === tool)!;
      expect({ tool, delivered: cell(row.delivered)! > 2, timed: cell(row.cycle_time_n)! > 2 }).toEqual({ tool, delivered: true, timed: true });
    }
    const html = readFileSync(report.html, 'utf8');
    for (const tool of TOOLS) expect(html).toContain(`<tr data-dimension="source_tool" data-slice="${tool}">`);
  });

  it('the summary\'s counts are the sums over the tools, in summary.csv and in the report', () => {
    const tools = csvRows('by_source_tool.csv');
    const summary = new Map(csvRows('summary.csv').map((x) => [x.metric, x]));
    const sum = (col: string) => tools.reduce((a, t) => a + (cell(t[col]) ?? 0), 0);
    const counts = METRICS.filter((x) => x.unit === 'count').map((x) => x.key);
    expect(counts).toEqual(expect.arrayContaining(['delivered', 'overdue_wip', 'open_violations', 'redeliveries']));
    for (const key of counts) {
      const s = summary.get(key)!;
      expect({ key, current: sum(key), previous: sum(`${key}_previous`) }).toEqual({ key, current: cell(s.this_period), previous: cell(s.previous_period) });
      expect({ key, report: report.summary.current[key] ?? 0 }).toEqual({ key, report: sum(key) });
    }
    expect(sum('delivered')).toBeGreaterThan(10);
    expect(sum('live_assets')).toBe(report.summary.counts.live_assets);
    expect(sum('cycle_time_n')).toBe(report.summary.counts.cycle_time_n);
    expect(sum('on_time_n')).toBe(report.summary.counts.on_time_n);
  });

  it('Notion pages moved to Delivered after the first sync are delivered today in the notion row, and in the total', async () => {
    const db = stack.db.pool;
    const ctl = n().sim.control;
    const moved = [...ctl.truth().pages.values()]
      .filter((p) => !p.inTrash && notionSources.includes(p.dataSourceId) && p.stage !== null && !['Delivered', 'Cancelled'].includes(p.stage))
      .slice(0, 6)
      .map((p) => p.pageId);
    expect(moved).toHaveLength(6);
    for (const id of moved) ctl.setStage(id, 'Delivered');
    expect((await stack.syncNotion('incremental')).status).toBe('succeeded');
    const { localDate } = await import('../../activities/report');
    const { addDays } = await import('../../warehouse/report-data');
    const today = localDate(new Date(), stack.config.workspace.timezone);
    const week = mkdtempSync(join(tmpdir(), 'stageline-four-tools-week-'));
    const now = await writeReport(db, stack.config, { from: addDays(today, -6), to: today, outDir: week }, new Date());
    const tools = parse(readFileSync(join(week, 'by_source_tool.csv'), 'utf8'), { columns: true }) as Row[];
    const notion = tools.find((t) => t.source_tool === 'notion')!;
    // The moves were seen by the sync (an observed transition each), so they are delivered on its day.
    const { rows } = await db.query<{ external_id: string; on: string }>(
      `SELECT d.external_id, to_char(t.delivered_on, 'YYYY-MM-DD') AS on FROM warehouse.v_cycle_time t JOIN warehouse.dim_asset d ON d.asset_id = t.asset_id
        WHERE d.connection_id = $1 AND t.delivered_on BETWEEN $2 AND $3`, [n().connectionId, addDays(today, -6), today]);
    expect(rows.map((x) => x.external_id).sort()).toEqual([...moved].sort());
    expect(cell(notion.delivered)).toBe(moved.length);
    expect(tools.reduce((a, t) => a + cell(t.delivered)!, 0)).toBe(now.summary.current.delivered);
  });
});
