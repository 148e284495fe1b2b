// monday.com in the warehouse and the leadership report (real PostgreSQL, real Temporal, the Asana,
// monday and Drive simulators seeded with one agency whose campaigns run either in Asana or on monday
// boards): after the three syncs, a warehouse refresh and a report, every live monday item is a
// warehouse asset of source tool `monday`; the report's source-tool slice has a monday row whose
// figures equal SQL over the warehouse views; and the throughput and cycle time of monday assets are
// those of the stage history read from the boards' activity logs (SQL over core.stage_transitions,
// and the simulator's own record of each item's moves).
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateAgency, type GeneratedAgency } from '../../connectors/asana/simulator';
import { writeReport, type WrittenReport } from '../../activities/report';
import { DEFAULT_PIPELINE } from '../../mapping/model';
import { startStack, type Stack } from '../support/stack';
import { agencyPeopleYaml } from '../support/agency-yaml';

// Four whole weeks (Monday–Sunday) before the generator's "now" (2026-11-20), and the four before them.
const FROM = '2026-10-19';
const TO = '2026-11-15';
const PREV_FROM = '2026-09-21';
const PREV_TO = '2026-10-18';
const SEED = 83;
const TASKS = 240;
const PROJECTS = 4;
/** Campaigns run on monday boards (the generator's first boards: one staged by a status column, one by groups). */
const BOARDS = 2;

let stack: Stack;
let report: WrittenReport;
let out: string;
let asanaProjects: string[];
const m = () => stack.monday!;


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

type Row = Record<string, string>;
const csvRows = (file: string): Row[] => parse(readFileSync(join(out, file), 'utf8'), { columns: true }) as Row[];
const cell = (v: string | undefined): number | null => (v === undefined || v === '' ? null : Number(v));
const r = (v: unknown, decimals: number): number | null => (v === null || v === undefined ? null : Math.round(Number(v) * 10 ** decimals) / 10 ** decimals);

beforeAll(async () => {
  // The Asana connection syncs the campaigns that are not on monday boards: each campaign lives in one tool.
  const agency = generateAgency({ seed: SEED, tasks: TASKS, projects: PROJECTS });
  asanaProjects = agency.dataset.projects.slice(BOARDS).map((p) => p.gid);
  stack = await startStack({
    tasks: TASKS, projects: PROJECTS, seed: SEED, drive: {}, topLevelYaml: topLevel,
    connectionYaml: `    projects: [${asanaProjects.map((g) => `"${g}"`).join(', ')}]\n`,
    monday: { boards: BOARDS, limits: { complexityPerMinute: 50_000_000 }, yaml: '    complexity_per_minute: 50000000\n' },
  });
  const a = await stack.sync('full');
  const mo = await stack.syncMonday('full');
  const d = await stack.syncDrive('full');
  expect([a.status, mo.status, d.status]).toEqual(['succeeded', 'succeeded', 'succeeded']);
  out = mkdtempSync(join(tmpdir(), 'stageline-monday-report-'));
  report = await writeReport(stack.db.pool, stack.config, { from: FROM, to: TO, outDir: out }, new Date());
}, 400_000);
afterAll(async () => stack?.close());

describe('monday.com assets in the warehouse and the report', () => {
  it('the agency\'s campaigns are split between the two task tools, and the monday boards stage items both ways', () => {
    const onMonday = m().boardIds.map((b) => m().truth.boards.get(b)!);
    expect(new Set(onMonday.map((b) => b.stageSource))).toEqual(new Set(['status', 'group']));
    expect(onMonday.map((b) => b.projectGid).filter((g) => asanaProjects.includes(g!))).toEqual([]);
    expect(onMonday.length + asanaProjects.length).toBe(PROJECTS);
  });

  it('every live monday item is a warehouse asset with source tool monday, and the warehouse holds each tool\'s live assets', async () => {
    const db = stack.db.pool;
    const live = [...m().truth.items.values()].filter((t) => t.state === 'active');
    expect(live.length).toBeGreaterThan(50);
    const { rows } = await db.query<{ external_id: string; source_vendor: string }>(
      `SELECT external_id, source_vendor FROM warehouse.dim_asset WHERE connection_id = $1 AND deleted_at IS NULL ORDER BY external_id`, [m().connectionId]);
    expect(rows.map((x) => x.external_id)).toEqual(live.map((t) => t.itemId).sort());
    expect(new Set(rows.map((x) => x.source_vendor))).toEqual(new Set(['monday']));
    const { rows: byTool } = await db.query<{ vendor: string; core: string; warehouse: string }>(
      `SELECT c.vendor,
              (SELECT count(*) FROM core.assets a JOIN ops.connections x ON x.id = a.connection_id WHERE x.vendor = c.vendor AND a.deleted_at IS NULL) AS core,
              (SELECT count(*) FROM warehouse.v_asset v WHERE v.source_vendor = c.vendor) AS warehouse
         FROM (SELECT DISTINCT vendor FROM ops.connections WHERE vendor <> 'drive') c ORDER BY 1`);
    expect(byTool.map((x) => [x.vendor, Number(x.warehouse)])).toEqual(byTool.map((x) => [x.vendor, Number(x.core)]));
    expect(byTool.map((x) => x.vendor)).toEqual(['asana', 'monday']);
  });

  it('by_source_tool.csv has a monday row; each tool\'s figures equal SQL over the warehouse views, and the tools add up to the total', async () => {
    const db = stack.db.pool;
    const tools = csvRows('by_source_tool.csv');
    expect(tools.map((t) => t.source_tool).sort()).toEqual(['asana', 'monday']);
    // The period ends on a Sunday before the refresh: its end state is that Sunday's snapshot.
    expect((await db.query<{ d: string }>(`SELECT to_char(as_of_on, 'YYYY-MM-DD') AS d FROM warehouse.refresh_info`)).rows[0]!.d > TO).toBe(true);
    for (const tool of ['asana', 'monday']) {
      const row = tools.find((t) => t.source_tool === tool)!;
      const q = async (sql: string, params: unknown[]) => (await db.query(sql, params)).rows[0] as Record<string, unknown>;
      const delivered = `SELECT coalesce(sum(assets_delivered), 0) AS d FROM warehouse.v_throughput_daily WHERE source_vendor = $1 AND delivered_on BETWEEN $2 AND $3`;
      const t = await q(delivered, [tool, FROM, TO]);
      const tp = await q(delivered, [tool, PREV_FROM, PREV_TO]);
      const c = await q(
        `SELECT count(cycle_time_days) AS n, percentile_cont(0.5) WITHIN GROUP (ORDER BY cycle_time_days) AS p50, percentile_cont(0.85) WITHIN GROUP (ORDER BY cycle_time_days) AS p85
           FROM warehouse.v_cycle_time WHERE source_vendor = $1 AND delivered_on BETWEEN $2 AND $3`, [tool, FROM, TO]);
      const k = await q(`SELECT count(*) AS n, avg(compliant::int) AS rate FROM warehouse.v_compliance WHERE source_vendor = $1 AND snapshot_on = $2`, [tool, TO]);
      expect({
        tool, delivered: cell(row.delivered), delivered_previous: cell(row.delivered_previous), cycle_time_n: cell(row.cycle_time_n),
        p50: cell(row.cycle_time_p50_days), p85: cell(row.cycle_time_p85_days), live_assets: cell(row.live_assets), compliance: cell(row.compliance_rate),
      }).toEqual({
        tool, delivered: Number(t.d), delivered_previous: Number(tp.d), cycle_time_n: Number(c.n),
        p50: r(c.p50, 2), p85: r(c.p85, 2), live_assets: Number(k.n), compliance: r(k.rate, 4),
      });
    }
    const monday = tools.find((t) => t.source_tool === 'monday')!;
    // Not a row of nothing: the monday campaigns delivered in the period, with cycle times.
    expect(cell(monday.delivered)).toBeGreaterThan(3);
    expect(cell(monday.cycle_time_n)).toBeGreaterThan(3);
    expect(tools.reduce((a, t) => a + cell(t.delivered)!, 0)).toBe(report.summary.current.delivered);
    expect(readFileSync(report.html, 'utf8')).toContain('<tr data-dimension="source_tool" data-slice="monday">');
  });

  it('throughput and cycle time of monday assets come from the activity-log stage history: equal to SQL over core.stage_transitions and to the simulator\'s record', async () => {
    const db = stack.db.pool;
    const conn = m().connectionId;
    // Every stored move of a monday asset was read from its board's activity log.
    const { rows: sources } = await db.query<{ source: string; n: string }>(`SELECT source, count(*) AS n FROM core.stage_transitions WHERE connection_id = $1 GROUP BY 1`, [conn]);
    expect(sources.map((s) => s.source)).toEqual(['vendor_history']);

    // First delivery and first pipeline entry per live asset, straight from the core history.
    const pipeline = [...DEFAULT_PIPELINE];
    const { rows: core } = await db.query<{ asset_id: string; external_id: string; delivered_at: Date; entered_at: Date | null }>(
      `SELECT a.id AS asset_id, a.external_id,
              min(t.at) FILTER (WHERE t.to_stage = $2) AS delivered_at,
              min(t.at) FILTER (WHERE t.to_stage = ANY($3::text[])) AS entered_at
         FROM core.assets a JOIN core.stage_transitions t ON t.asset_id = a.id
        WHERE a.connection_id = $1 AND a.deleted_at IS NULL
        GROUP BY 1, 2 HAVING min(t.at) FILTER (WHERE t.to_stage = $2) IS NOT NULL ORDER BY 1`,
      [conn, pipeline.at(-1), pipeline],
    );
    expect(core.length).toBeGreaterThan(10);
    const { rows: cycle } = await db.query<{ asset_id: string; first_delivered_at: Date; pipeline_entered_at: Date | null; cycle_time_seconds: number | null }>(
      `SELECT asset_id, first_delivered_at, pipeline_entered_at, cycle_time_seconds FROM warehouse.v_cycle_time WHERE connection_id = $1 ORDER BY asset_id`, [conn]);
    expect(cycle.map((c) => ({ asset: c.asset_id, delivered: c.first_delivered_at.toISOString(), entered: c.pipeline_entered_at?.toISOString() ?? null, seconds: c.cycle_time_seconds === null ? null : Number(c.cycle_time_seconds) }))).toEqual(
      core.map((c) => ({
        asset: c.asset_id, delivered: c.delivered_at.toISOString(), entered: c.entered_at?.toISOString() ?? null,
        seconds: c.entered_at && c.entered_at < c.delivered_at ? (c.delivered_at.getTime() - c.entered_at.getTime()) / 1000 : null,
      })),
    );

    // The same first deliveries as the simulator recorded in each item's activity log.
    const stageOf = m().truth.defaultStageMap as Record<string, string>;
    const truthDelivered = new Map<string, string>();
    for (const t of m().truth.items.values()) {
      if (t.state !== 'active') continue;
      const first = t.transitions.find((x) => stageOf[x.to] === pipeline.at(-1));
      if (first) truthDelivered.set(t.itemId, new Date(first.at).toISOString());
    }
    expect(new Map(core.map((c) => [c.external_id, c.delivered_at.toISOString()]))).toEqual(truthDelivered);

    // Throughput per week (the workspace is in UTC): first deliveries counted from the core history.
    const weekOf = (d: Date) => {
      const day = new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate()));
      return new Date(day.getTime() - ((day.getUTCDay() + 6) % 7) * 86_400_000).toISOString().slice(0, 10);
    };
    const expected = new Map<string, number>();
    for (const c of core) expected.set(weekOf(c.delivered_at), (expected.get(weekOf(c.delivered_at)) ?? 0) + 1);
    const { rows: weekly } = await db.query<{ week: string; n: string }>(
      `SELECT to_char(week_start, 'YYYY-MM-DD') AS week, sum(assets_delivered) AS n FROM warehouse.v_throughput_weekly WHERE connection_id = $1 GROUP BY 1 HAVING sum(assets_delivered) > 0`, [conn]);
    expect(new Map(weekly.map((w) => [w.week, Number(w.n)]))).toEqual(expected);
  });
});
