// `stageline report`: report.html and one CSV per table, for a period of local dates against the
// period of the same length before it, from the warehouse views (warehouse/report-data.ts).
//
// Files are written into a temporary folder inside the output folder and moved into place only once
// all of them are written, so a failed run leaves the previous report as it was, never half of a new one.
import { mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { stringify } from 'csv-stringify/sync';
import { DIMENSIONS, METRICS, loadReportData, type MetricKey, type ReportData, type ReportDb } from './report-data';
import { renderReportHtml } from './report-html';

export { ReportInputError, lastFullWeek, parseDate } from './report-data';
export type { ReportData } from './report-data';

export interface ReportOptions {
  from: string;
  to: string;
  outDir: string;
  /** Shown in the title (stageline.yaml workspace.name). */
  workspace?: string;
}

export interface ReportResult {
  dir: string;
  html: string;
  files: string[];
  data: ReportData;
  timings: { sqlMs: number; renderMs: number; writeMs: number; totalMs: number };
}

export const SLICE_FILES: Record<string, string> = Object.fromEntries(DIMENSIONS.map((d) => [d.key, `by_${d.key}.csv`]));

type Cell = string | number | boolean | null;

function csv(header: string[], rows: Cell[][]): string {
  return stringify([header, ...rows.map((r) => r.map((c) => (c === null ? '' : c)))], { record_delimiter: '\n' });
}

/** Every table of the report as CSV text, by file name. */
export function reportCsvFiles(d: ReportData): Record<string, string> {
  const keys = METRICS.map((m) => m.key);
  const files: Record<string, string> = {};
  files['summary.csv'] = csv(
    ['metric', 'label', 'unit', 'source_view', 'this_period', 'previous_period', 'change', 'period_from', 'period_to', 'previous_from', 'previous_to'],
    METRICS.map((m) => {
      const c = d.summary.current[m.key];
      const p = d.summary.previous[m.key];
      const change = c === null || p === null ? null : Math.round((c - p) * 10 ** m.decimals) / 10 ** m.decimals;
      return [m.key, m.label, m.unit, `warehouse.${m.view}`, c, p, change, d.current.from, d.current.to, d.previous.from, d.previous.to];
    }),
  );
  files['weekly.csv'] = csv(
    ['week_start', 'period', 'partial_week', 'assets_delivered', 'redeliveries', 'cycle_time_n', 'cycle_time_p50_days', 'cycle_time_p85_days'],
    d.weeks.map((w) => [w.week_start, w.period, w.partial, w.delivered, w.redeliveries, w.cycle_time_n, w.cycle_time_p50_days, w.cycle_time_p85_days]),
  );
  files['time_in_stage.csv'] = csv(
    ['stage', 'position', 'closed_stage', 'stays_ended', 'avg_days', 'p50_days', 'p85_days', 'previous_stays_ended', 'previous_avg_days', 'waiting_now', 'waiting_avg_days', 'waiting_max_days'],
    d.stages.map((s) => [s.stage, s.position, s.closed, s.stays, s.avg_days, s.p50_days, s.p85_days, s.previous_stays, s.previous_avg_days, s.waiting_now, s.waiting_avg_days, s.waiting_max_days]),
  );
  files['revision_rounds.csv'] = csv(['revision_rounds', 'delivered_this_period', 'delivered_previous_period'], d.rounds.map((r) => [r.rounds, r.current, r.previous]));
  for (const s of d.slices) {
    files[SLICE_FILES[s.dimension.key]!] = csv(
      [s.dimension.key, ...keys.flatMap((k) => [k, `${k}_previous`]), 'cycle_time_n', 'first_pass_n', 'approval_latency_n', 'on_time_n', 'live_assets'],
      s.rows.map((r) => [
        r.slice,
        ...keys.flatMap((k: MetricKey) => [r.current[k], r.previous[k]]),
        r.counts.cycle_time_n, r.counts.first_pass_n, r.counts.approval_latency_n, r.counts.on_time_n, r.counts.live_assets,
      ]),
    );
  }
  files['violations_by_rule.csv'] = csv(
    ['rule_id', 'kind', 'found_in_period', 'resolved_in_period', 'open_at_end', 'open_at_end_of_previous', 'open_per_100_assets', 'snapshot_on'],
    d.rules.map((r) => [r.rule_id, r.kind, r.opened, r.resolved, r.open_at_end, r.previous_open_at_end, r.open_per_100_assets, d.current.snapshotOn]),
  );
  files['overdue_wip.csv'] = csv(
    ['asset_name', 'client', 'campaign', 'owner_name', 'source_tool', 'stage', 'due_on', 'days_overdue', 'snapshot_on'],
    d.overdue.map((o) => [o.asset_name, o.client, o.campaign, o.owner_name, o.source_tool, o.stage, o.due_on, o.days_overdue, d.current.snapshotOn]),
  );
  files['deliveries.csv'] = csv(
    ['asset_name', 'client', 'campaign', 'team', 'asset_type', 'source_tool', 'delivered_on', 'cycle_time_days', 'revision_rounds', 'due_on', 'on_time', 'days_late'],
    d.deliveries.map((r) => [r.asset_name, r.client, r.campaign, r.team, r.asset_type, r.source_tool, r.delivered_on, r.cycle_time_days, r.revision_rounds, r.due_on, r.on_time, r.days_late]),
  );
  return files;
}

/** Reads the warehouse, renders the report and writes it into `opts.outDir` (created if needed). */
export async function generateReport(db: ReportDb, opts: ReportOptions): Promise<ReportResult> {
  const t0 = performance.now();
  const data = await loadReportData(db, { from: opts.from, to: opts.to, ...(opts.workspace ? { workspace: opts.workspace } : {}) });
  const t1 = performance.now();
  const contents = reportCsvFiles(data);
  contents['report.html'] = await renderReportHtml(data, { slices: SLICE_FILES });
  const t2 = performance.now();

  const dir = resolve(opts.outDir);
  mkdirSync(dir, { recursive: true });
  const tmp = join(dir, `.report-${process.pid}-${Date.now()}`);
  mkdirSync(tmp);
  try {
    for (const [name, text] of Object.entries(contents)) writeFileSync(join(tmp, name), text);
    for (const name of Object.keys(contents)) renameSync(join(tmp, name), join(dir, name));
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
  const t3 = performance.now();
  const names = Object.keys(contents).sort((a, b) => (a === 'report.html' ? -1 : b === 'report.html' ? 1 : a.localeCompare(b)));
  return {
    dir,
    html: join(dir, 'report.html'),
    files: names.map((n) => join(dir, n)),
    data,
    timings: { sqlMs: Math.round(t1 - t0), renderMs: Math.round(t2 - t1), writeMs: Math.round(t3 - t2), totalMs: Math.round(t3 - t0) },
  };
}
