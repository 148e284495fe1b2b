// The leadership report (issue 5, item 4) over an agency synced from the Asana and Drive simulators
// through real Temporal into real PostgreSQL: every number in its CSV files and in report.html equals
// SQL written here, independently, over the warehouse views; the page renders in headless Chromium
// with no error and no network request (screenshot and PDF kept in test-artifacts/); the CLI refuses
// bad dates naming the option; the weekly Temporal Schedule writes last week's report into its folder.
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { parse } from 'csv-parse/sync';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GeneratedAgency } from '../../connectors/asana/simulator';
import { generateReport, lastFullWeek, type ReportResult } from '../../warehouse/report';
import { addDays } from '../../warehouse/report-data';
import { localDate } from '../../activities/report';
import { ensureReportSchedule, REPORT_SCHEDULE_ID } from '../../worker/orchestration';
import { startStack, type Stack } from '../support/stack';

const ARTIFACTS = fileURLToPath(new URL('../../test-artifacts/', import.meta.url));
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
// Four whole weeks (Monday–Sunday) before the generator's "now" (2026-11-20), and the four before them.
const FROM = '2026-10-19';
const TO = '2026-11-15';
const PREV_FROM = '2026-09-21';
const PREV_TO = '2026-10-18';

let stack: Stack;
let out: string;
let report: ReportResult;
/** FROM up to the refresh's day: its period-end state is the current one, with the violations found at the sync. */
let reportNow: ReportResult;
let outNow: string;
const reportsFolder = mkdtempSync(join(tmpdir(), 'stageline-weekly-'));

function people(agency: GeneratedAgency): string {
  const lines = agency.dataset.users
    .filter((u) => u.role === 'creative_director' || u.role === 'client_reviewer' || u.role === 'designer')
    .map((u) => `  - { email: ${u.email}, roles: [${u.role === 'creative_director' ? 'creative_director' : u.role === 'designer' ? 'designer' : 'client'}] }`);
  return `people:\n${lines.join('\n')}`;
}

const topLevel = (agency: GeneratedAgency) => `${people(agency)}
enforcement:
  mode: preview
rules:
  - id: client-approval-before-delivery
    kind: approval_gate
    before: delivered
    require: { client: [approved, approved_with_changes] }
    action: revert
  - id: file-naming
    kind: naming
    target: files
    action: comment
reports:
  folder: ${reportsFolder}
  weekly: { day: monday, at: "07:00" }
`;

type Row = Record<string, string> & { week_start: string; delivered_on: string };
const csvRows = (file: string, dir = out): Row[] => parse(readFileSync(join(dir, file), 'utf8'), { columns: true }) as Row[];
const cell = (v: string | undefined): number | null => (v === undefined || v === '' ? null : Number(v));
const r = (v: unknown, decimals: number): number | null => (v === null || v === undefined ? null : Math.round(Number(v) * 10 ** decimals) / 10 ** decimals);

async function one<T extends Record<string, unknown>>(sql: string, params: unknown[]): Promise<T> {
  return (await stack.db.pool.query<T>(sql, params)).rows[0]!;
}

/**
 * The report's summary, computed here from the views at their own weekly grain (the period is whole
 * weeks, so the weekly views must agree with the report's day-level filters).
 */
async function expectedSummary(from: string, to: string): Promise<Record<string, number | null>> {
  const lastWeek = addDays(to, -6);
  const p = [from, lastWeek];
  const t = await one(`SELECT coalesce(sum(assets_delivered), 0) AS d, coalesce(sum(redeliveries), 0) AS re FROM warehouse.v_throughput_weekly WHERE week_start BETWEEN $1 AND $2`, p);
  const c = await one(`SELECT percentile_cont(ARRAY[0.5, 0.85]) WITHIN GROUP (ORDER BY cycle_time_days) AS q FROM warehouse.v_cycle_time WHERE week_start BETWEEN $1 AND $2`, p);
  const rr = await one(`SELECT avg(revision_rounds) AS a FROM warehouse.v_revision_rounds WHERE is_delivered AND week_start BETWEEN $1 AND $2`, p);
  const rw = await one(`SELECT sum(reworked_assets)::numeric / nullif(sum(delivered_assets), 0) AS a FROM warehouse.v_rework_rate WHERE week_start BETWEEN $1 AND $2`, p);
  const fp = await one(`SELECT avg(first_pass::int) AS a FROM warehouse.v_first_pass_approval WHERE week_start BETWEEN $1 AND $2`, p);
  const la = await one(`SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY latency_hours) AS a FROM warehouse.v_approval_latency WHERE week_start BETWEEN $1 AND $2 AND latency_seconds IS NOT NULL`, p);
  const ot = await one(`SELECT avg(CASE WHEN on_time THEN 1 WHEN NOT on_time THEN 0 END) AS a, count(*) FILTER (WHERE due_on IS NULL) AS nodue FROM warehouse.v_on_time_delivery WHERE week_start BETWEEN $1 AND $2`, p);
  const ow = await one(`SELECT count(*) AS n FROM warehouse.v_overdue_wip WHERE week_start = $1`, [lastWeek]);
  const co = await one(`SELECT avg(CASE WHEN open_violations = 0 THEN 1 ELSE 0 END) AS a, coalesce(sum(open_violations), 0) AS v FROM warehouse.v_compliance WHERE week_start = $1`, [lastWeek]);
  const q = (c.q as number[] | null) ?? [null, null];
  const delivered = Number(t.d);
  return {
    delivered,
    delivered_per_week: r((delivered * 7) / 28, 1),
    cycle_time_p50_days: r(q[0], 2),
    cycle_time_p85_days: r(q[1], 2),
    revision_rounds_avg: r(rr.a, 2),
    rework_rate: r(rw.a, 4),
    first_pass_rate: r(fp.a, 4),
    approval_latency_p50_hours: r(la.a, 1),
    on_time_rate: r(ot.a, 4),
    delivered_without_due_date: Number(ot.nodue),
    overdue_wip: Number(ow.n),
    compliance_rate: r(co.a, 4),
    open_violations: Number(co.v),
    redeliveries: Number(t.re),
  };
}

beforeAll(async () => {
  stack = await startStack({ tasks: 400, projects: 6, seed: 61, drive: {}, topLevelYaml: topLevel });
  const a = await stack.sync('full');
  const d = await stack.syncDrive('full');
  expect([a.status, d.status]).toEqual(['succeeded', 'succeeded']);
  out = mkdtempSync(join(tmpdir(), 'stageline-report-'));
  report = await generateReport(stack.db.pool, { from: FROM, to: TO, outDir: out, workspace: 'Test agency' });
  const asOfOn = (await one<{ d: string }>(`SELECT to_char(as_of_on, 'YYYY-MM-DD') AS d FROM warehouse.refresh_info`, [])).d;
  outNow = mkdtempSync(join(tmpdir(), 'stageline-report-now-'));
  reportNow = await generateReport(stack.db.pool, { from: FROM, to: asOfOn, outDir: outNow, workspace: 'Test agency' });
}, 400_000);
afterAll(async () => {
  await stack?.client.schedule.getHandle(REPORT_SCHEDULE_ID).delete().catch(() => undefined);
  await stack?.close();
});

describe('the leadership report', () => {
  it('writes report.html and one CSV per table, and nothing else', () => {
    expect(readdirSync(out).sort()).toEqual([
      'by_asset_type.csv', 'by_campaign.csv', 'by_client.csv', 'by_source_tool.csv', 'by_team.csv', 'deliveries.csv', 'overdue_wip.csv',
      'report.html', 'revision_rounds.csv', 'summary.csv', 'time_in_stage.csv', 'violations_by_rule.csv', 'weekly.csv',
    ]);
    expect(report.files.map((f) => f.slice(out.length + 1))[0]).toBe('report.html');
  });

  it('summary.csv: this period and the previous one equal direct SQL over the warehouse views', async () => {
    const rows = csvRows('summary.csv');
    const cur = await expectedSummary(FROM, TO);
    const prev = await expectedSummary(PREV_FROM, PREV_TO);
    expect(Object.fromEntries(rows.map((x) => [x.metric, cell(x.this_period)]))).toEqual(cur);
    expect(Object.fromEntries(rows.map((x) => [x.metric, cell(x.previous_period)]))).toEqual(prev);
    expect(rows.every((x) => x.period_from === FROM && x.period_to === TO && x.previous_from === PREV_FROM && x.previous_to === PREV_TO)).toBe(true);
    // Not a report of nothing: the seeded agency delivered, reviewed and broke standards in the period.
    expect(cur.delivered).toBeGreaterThan(10);
    expect(prev.delivered).toBeGreaterThan(5);
    for (const k of ['cycle_time_p50_days', 'first_pass_rate', 'on_time_rate', 'compliance_rate', 'revision_rounds_avg'] as const) expect(cur[k], k).not.toBeNull();
  });

  it('the period-end state (compliance, open violations by rule, overdue work) of a period reaching the refresh equals the views\' current rows', async () => {
    expect(reportNow.data.current.snapshotOn).toBe(reportNow.data.asOfOn);
    const summary = Object.fromEntries(csvRows('summary.csv', outNow).map((x) => [x.metric, cell(x.this_period)]));
    const co = await one(`SELECT avg(compliant::int) AS a, sum(open_violations) AS v, count(*) AS n FROM warehouse.v_compliance WHERE is_current`, []);
    const ow = await one(`SELECT count(*) AS n FROM warehouse.v_overdue_wip WHERE is_current`, []);
    expect({ compliance: summary.compliance_rate, open: summary.open_violations, overdue: summary.overdue_wip }).toEqual({ compliance: r(co.a, 4), open: Number(co.v), overdue: Number(ow.n) });
    expect(summary.open_violations).toBeGreaterThan(0);
    const { rows: open } = await stack.db.pool.query<{ rule_id: string; n: string }>(`SELECT rule_id, count(*) AS n FROM warehouse.v_violations_by_rule WHERE is_open GROUP BY 1 ORDER BY 1`);
    const rules = csvRows('violations_by_rule.csv', outNow);
    expect(rules.filter((x) => cell(x.open_at_end)! > 0).map((x) => ({ rule_id: x.rule_id, n: x.open_at_end })).sort((a, b) => String(a.rule_id).localeCompare(String(b.rule_id)))).toEqual(open.map((o) => ({ rule_id: o.rule_id, n: o.n })));
    for (const x of rules) expect(cell(x.open_per_100_assets)).toBe(r((cell(x.open_at_end)! * 100) / Number(co.n), 2));
  });

  it('by source tool, client and team: deliveries and compliance equal direct SQL, and the slices add up to the total', async () => {
    const lastWeek = addDays(TO, -6);
    const tool = csvRows('by_source_tool.csv');
    const { rows: byTool } = await stack.db.pool.query<{ s: string; d: string }>(
      `SELECT source_vendor AS s, sum(assets_delivered) AS d FROM warehouse.v_throughput_weekly WHERE week_start BETWEEN $1 AND $2 GROUP BY 1`, [FROM, lastWeek]);
    for (const t of byTool) expect(cell(tool.find((x) => x.source_tool === t.s)?.delivered), t.s).toBe(Number(t.d));
    const clients = csvRows('by_client.csv');
    const { rows: byClient } = await stack.db.pool.query<{ s: string; a: string; n: string }>(
      `SELECT coalesce(client, '(no client)') AS s, avg(compliant::int) AS a, count(*) AS n FROM warehouse.v_compliance WHERE week_start = $1 GROUP BY 1`, [lastWeek]);
    expect(byClient.length).toBeGreaterThan(1);
    for (const c of byClient) {
      const row = clients.find((x) => x.client === c.s);
      expect([c.s, cell(row?.compliance_rate), cell(row?.live_assets)]).toEqual([c.s, r(c.a, 4), Number(c.n)]);
    }
    const summary = Object.fromEntries(csvRows('summary.csv').map((x) => [x.metric, cell(x.this_period)]));
    for (const file of ['by_client.csv', 'by_campaign.csv', 'by_team.csv', 'by_asset_type.csv', 'by_source_tool.csv']) {
      const rows = csvRows(file);
      expect([file, rows.reduce((a, x) => a + cell(x.delivered)!, 0)]).toEqual([file, summary.delivered]);
      expect([file, rows.reduce((a, x) => a + cell(x.overdue_wip)!, 0)]).toEqual([file, summary.overdue_wip]);
    }
  });

  it('violations by rule, overdue work, weeks, stages and deliveries equal direct SQL', async () => {
    const snap = TO; // a Sunday before the refresh: the week-end snapshot
    // Violations exist from the first enforcement round on (the sync): none was open on that Sunday.
    const { rows: open } = await stack.db.pool.query<{ rule_id: string; n: string }>(
      `SELECT rule_id, count(*) AS n FROM warehouse.v_violations_by_rule WHERE opened_on <= $1 AND (resolved_on IS NULL OR resolved_on > $1) GROUP BY 1`, [snap]);
    const rules = csvRows('violations_by_rule.csv');
    expect(rules.map((x) => ({ rule_id: x.rule_id, n: Number(x.open_at_end) })).filter((x) => x.n > 0)).toEqual(open.map((o) => ({ rule_id: o.rule_id, n: Number(o.n) })));
    const overdue = csvRows('overdue_wip.csv');
    expect(overdue.length).toBe(Number((await one(`SELECT count(*) AS n FROM warehouse.v_overdue_wip WHERE snapshot_on = $1`, [snap])).n));
    const weeks = csvRows('weekly.csv');
    expect(weeks.length).toBe(8);
    for (const w of weeks) {
      const want = await one(`SELECT coalesce(sum(assets_delivered), 0) AS d FROM warehouse.v_throughput_weekly WHERE week_start = $1`, [w.week_start]);
      expect([w.week_start, cell(w.assets_delivered)]).toEqual([w.week_start, Number(want.d)]);
      expect(w.period).toBe(w.week_start >= FROM ? 'current' : 'previous');
    }
    const stages = csvRows('time_in_stage.csv');
    const { rows: stays } = await stack.db.pool.query<{ stage: string; n: string; a: string }>(
      `SELECT stage, count(*) AS n, avg(days) AS a FROM warehouse.v_time_in_stage WHERE NOT is_open AND week_start BETWEEN $1 AND $2 AND stage IS NOT NULL GROUP BY 1`, [FROM, addDays(TO, -6)]);
    expect(stays.length).toBeGreaterThan(2);
    for (const s of stays) {
      const row = stages.find((x) => x.stage === s.stage);
      expect([s.stage, cell(row?.stays_ended), cell(row?.avg_days)]).toEqual([s.stage, Number(s.n), r(s.a, 2)]);
    }
    const deliveries = csvRows('deliveries.csv');
    expect(deliveries.length).toBe(Number((await one(`SELECT count(*) AS n FROM warehouse.v_cycle_time WHERE week_start BETWEEN $1 AND $2`, [FROM, addDays(TO, -6)])).n));
    expect(deliveries.every((d) => d.delivered_on >= FROM && d.delivered_on <= TO)).toBe(true);
  });

  it('renders in headless Chromium without an error or a network request; its figures are the CSV\'s; screenshot and PDF kept', async () => {
    expect(existsSync(CHROMIUM), `Chromium is needed at ${CHROMIUM} (Debian package chromium; .ci/run installs it) or CHROMIUM_PATH`).toBe(true);
    const browser: Browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
    try {
      const page = await browser.newPage({ viewport: { width: 1100, height: 900 } });
      const problems: string[] = [];
      const requests: string[] = [];
      page.on('console', (m) => {
        if (m.type() === 'error' || m.type() === 'warning') problems.push(`console ${m.type()}: ${m.text()}`);
      });
      page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
      page.on('request', (q) => requests.push(q.url()));
      const url = pathToFileURL(join(outNow, 'report.html')).href;
      await page.goto(url, { waitUntil: 'load' });
      expect(problems).toEqual([]);
      expect(requests).toEqual([url]);

      // Every KPI tile shows the summary.csv figures.
      const tiles = await page.$$eval('.kpi', (els) => els.map((e) => ({ metric: e.getAttribute('data-metric'), current: e.getAttribute('data-current'), previous: e.getAttribute('data-previous'), text: e.querySelector('.kpi-value')?.textContent ?? '' })));
      const summary = csvRows('summary.csv', outNow);
      expect(tiles.map((t) => t.metric).sort()).toEqual(summary.map((s) => s.metric).sort());
      for (const t of tiles) {
        const s = summary.find((x) => x.metric === t.metric)!;
        expect([t.metric, t.current, t.previous]).toEqual([t.metric, s.this_period, s.previous_period]);
        expect(t.text.trim().length, t.metric!).toBeGreaterThan(0);
      }
      const delivered = tiles.find((t) => t.metric === 'delivered')!;
      expect(delivered.text.trim()).toBe(Number(summary.find((s) => s.metric === 'delivered')!.this_period).toLocaleString('en-GB'));
      // Slice cells carry the CSV's values.
      const toolCells = await page.$$eval('tr[data-dimension="source_tool"] td[data-metric="delivered"]', (els) => els.map((e) => ({ slice: e.closest('tr')!.getAttribute('data-slice'), value: e.getAttribute('data-value') })));
      const tools = csvRows('by_source_tool.csv', outNow);
      expect(toolCells).toEqual(tools.map((t) => ({ slice: t.source_tool, value: t.delivered })));

      // The charts are drawn: inline SVG with marks, each of a real size.
      const charts = await page.$$eval('figure[data-chart] svg', (els) => els.map((e) => ({ chart: e.closest('figure')!.getAttribute('data-chart'), w: e.getBoundingClientRect().width, h: e.getBoundingClientRect().height, marks: e.querySelectorAll('path, rect, line').length })));
      expect(charts.map((c) => c.chart).sort()).toEqual(['clients', 'cycle', 'rounds', 'rules', 'stages', 'throughput']);
      for (const c of charts) {
        expect(c.w, c.chart!).toBeGreaterThan(200);
        expect(c.h, c.chart!).toBeGreaterThan(60);
        expect(c.marks, c.chart!).toBeGreaterThan(5);
      }

      mkdirSync(ARTIFACTS, { recursive: true });
      await page.screenshot({ path: join(ARTIFACTS, 'report.png'), fullPage: true });
      await page.emulateMedia({ media: 'print' });
      await page.pdf({ path: join(ARTIFACTS, 'report.pdf'), format: 'A4', printBackground: true });
      expect(problems).toEqual([]);
      const pdf = readFileSync(join(ARTIFACTS, 'report.pdf'));
      expect(pdf.subarray(0, 5).toString()).toBe('%PDF-');
      const pages = pdf.toString('latin1').match(/\/Type\s*\/Page[^s]/g)?.length ?? 0;
      expect(pages).toBeGreaterThanOrEqual(2);
      expect(statSync(join(ARTIFACTS, 'report.png')).size).toBeGreaterThan(50_000);
    } finally {
      await browser.close();
    }
  });

  it('`stageline report` refuses a bad date naming the option, writes the report otherwise and prints where it is', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'stageline-report-cli-'));
    const cfg = join(dir, 'stageline.yaml');
    writeFileSync(cfg, stack.yaml);
    const bin = fileURLToPath(new URL('../../cli/bin.js', import.meta.url));
    const env = { ...process.env, ...stack.env, STAGELINE_CONFIG: cfg, DATABASE_URL: stack.db.url };
    const run = (args: string[]): Promise<{ stdout: string; stderr: string; code: number }> =>
      promisify(execFile)(process.execPath, [bin, ...args], { env }).then(
        (x) => ({ stdout: x.stdout, stderr: x.stderr, code: 0 }),
        (e: { stdout: string; stderr: string; code: number }) => ({ stdout: e.stdout, stderr: e.stderr, code: e.code }),
      );
    const bad = await run(['report', '--from', '2026-02-30', '--to', '2026-03-08']);
    expect([bad.code, bad.stderr.trim()]).toEqual([2, '--from: "2026-02-30" is not a calendar date']);
    const reversed = await run(['report', '--from', '2026-03-08', '--to', '2026-03-01']);
    expect([reversed.code, reversed.stderr.trim()]).toEqual([2, '--from: 2026-03-08 is after --to 2026-03-01']);
    const target = join(dir, 'out');
    const ok = await run(['report', '--from', FROM, '--to', TO, '--out', target, '--no-refresh']);
    expect(ok.code).toBe(0);
    expect(ok.stdout).toContain(join(target, 'report.html'));
    // Same warehouse, same period: the same numbers as the report generated in-process.
    expect(readFileSync(join(target, 'summary.csv'), 'utf8')).toBe(readFileSync(join(out, 'summary.csv'), 'utf8'));
  });

  it('the weekly Temporal Schedule runs on Mondays at the configured local time and writes last week\'s report into reports.folder; removing the section deletes it', async () => {
    await stack.startWorker();
    expect(await ensureReportSchedule(stack.client, stack.config, stack.taskQueue)).toMatch(/created|updated/);
    const handle = stack.client.schedule.getHandle(REPORT_SCHEDULE_ID);
    const desc = await handle.describe();
    expect(desc.spec.timezone).toBe('UTC');
    expect(desc.spec.calendars?.[0]).toMatchObject({ dayOfWeek: [{ start: 'MONDAY', end: 'MONDAY', step: 1 }], hour: [{ start: 7, end: 7, step: 1 }], minute: [{ start: 0, end: 0, step: 1 }] });
    const next = desc.info.nextActionTimes[0]!;
    expect([next.getUTCDay(), next.getUTCHours(), next.getUTCMinutes()]).toEqual([1, 7, 0]);

    const before = Date.now();
    await handle.trigger();
    let workflowId: string | undefined;
    for (let i = 0; i < 100 && !workflowId; i++) {
      workflowId = (await handle.describe()).info.recentActions.at(-1)?.action.workflow.workflowId;
      if (!workflowId) await new Promise((res) => setTimeout(res, 200));
    }
    expect(workflowId).toMatch(/^weekly-report/);
    const result = (await stack.client.workflow.getHandle(workflowId!).result()) as { from: string; to: string; dir: string };
    const week = lastFullWeek(localDate(new Date(before), 'UTC'));
    expect({ from: result.from, to: result.to }).toEqual(week);
    expect(result.dir).toBe(join(reportsFolder, `${week.from}_${week.to}`));
    expect(readdirSync(result.dir)).toContain('report.html');
    expect(readFileSync(join(result.dir, 'report.html'), 'utf8')).toContain(`data-metric="delivered"`);

    expect(await ensureReportSchedule(stack.client, { ...stack.config, reports: { folder: reportsFolder } }, stack.taskQueue)).toBe('deleted');
    await expect(handle.describe()).rejects.toThrow();
  });
});
