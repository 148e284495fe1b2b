// Writing the leadership report, shared by `stageline report` and the weekly Temporal Schedule: resolve
// the period in the workspace time zone, bring the warehouse up to date (incrementally), write the files.
import { join } from 'node:path';
import type { Pool } from 'pg';
import type { StagelineConfig } from '../mapping/config';
import { refreshWarehouse, rolesFromConfig, warehouseWatermark } from '../warehouse/refresh';
import { generateReport, lastFullWeek, parseDate, type ReportResult } from '../warehouse/report';
import { addDays } from '../warehouse/report-data';

export interface WriteReportInput {
  /** First day, YYYY-MM-DD (local). With neither date: last full Monday–Sunday week. */
  from?: string;
  /** Last day, included. With only one of the dates, the period is the week starting or ending there. */
  to?: string;
  /** Output folder; default `<reports.folder>/<from>_<to>`. */
  outDir?: string;
  /** Refresh the warehouse first (incrementally) so the report is as of now; default true. */
  refresh?: boolean;
}

export interface WrittenReport {
  from: string;
  to: string;
  dir: string;
  html: string;
  files: string[];
  refreshed: { mode: string; assets: number; ms: number } | null;
  timings: ReportResult['timings'];
  summary: ReportResult['data']['summary'];
}

/** Today's date in an IANA time zone. */
export function localDate(at: Date, timezone: string): string {
  return new Intl.DateTimeFormat('en-CA', { timeZone: timezone, year: 'numeric', month: '2-digit', day: '2-digit' }).format(at);
}

export function resolvePeriod(input: Pick<WriteReportInput, 'from' | 'to'>, today: string): { from: string; to: string } {
  const from = input.from === undefined ? undefined : parseDate(input.from, '--from');
  const to = input.to === undefined ? undefined : parseDate(input.to, '--to');
  if (from && to) return { from, to };
  if (from) return { from, to: addDays(from, 6) };
  if (to) return { from: addDays(to, -6), to };
  return lastFullWeek(today);
}

export async function writeReport(db: Pool, cfg: StagelineConfig, input: WriteReportInput, now: Date): Promise<WrittenReport> {
  const tz = cfg.workspace.timezone;
  const { from, to } = resolvePeriod(input, localDate(now, tz));
  let refreshed: WrittenReport['refreshed'] = null;
  if (input.refresh !== false) {
    const r = await refreshWarehouse(db, { since: await warehouseWatermark(db), now: now.toISOString(), timezone: tz, roles: rolesFromConfig(cfg), pipeline: cfg.workspace.pipeline });
    refreshed = { mode: r.mode, assets: r.assets, ms: r.ms };
  }
  const outDir = input.outDir ?? join(cfg.reports.folder, `${from}_${to}`);
  const r = await generateReport(db, { from, to, outDir, workspace: cfg.workspace.name });
  return { from, to, dir: r.dir, html: r.html, files: r.files, refreshed, timings: r.timings, summary: r.data.summary };
}

/**
 * The weekly run: the full Monday–Sunday week before the local date of `scheduledAt` (the Schedule's
 * nominal time, so a run started late still reports the week it was meant for).
 */
export async function writeWeeklyReport(db: Pool, cfg: StagelineConfig, input: { scheduledAt: string }, now: Date): Promise<WrittenReport> {
  const at = new Date(input.scheduledAt);
  if (Number.isNaN(at.getTime())) throw new Error(`weeklyReport: scheduledAt is not a timestamp: ${JSON.stringify(input.scheduledAt)}`);
  const week = lastFullWeek(localDate(at, cfg.workspace.timezone));
  return writeReport(db, cfg, week, now);
}
