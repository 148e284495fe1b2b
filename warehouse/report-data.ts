// The numbers of the leadership report, every one read from the warehouse's metric views
// (docs/METRICS.md), for a period of local dates and the period of the same length just before it.
// Nothing here computes a metric from core.*: a BI tool reading the same views gets the same numbers.
import type { Pool, PoolClient } from 'pg';

export type ReportDb = Pool | PoolClient;

/** Inclusive local dates (YYYY-MM-DD) in the workspace time zone of the last refresh. */
export interface Period {
  from: string;
  to: string;
  /** Days in the period, both ends included. */
  days: number;
  /**
   * The day the period-end state (compliance, overdue work, open violations) is read at: the last
   * snapshot the warehouse keeps on or before `to` (a Sunday, or the refresh's day for the current week).
   */
  snapshotOn: string;
}

export type Better = 'higher' | 'lower';

export interface MetricDef {
  key: MetricKey;
  label: string;
  unit: 'count' | 'per_week' | 'days' | 'hours' | 'rate' | 'rounds';
  better: Better;
  /** The view (docs/METRICS.md) the number comes from. */
  view: string;
  /** Decimals kept in the CSV (and compared by the tests). */
  decimals: number;
}

export const METRICS = [
  { key: 'delivered', label: 'Assets delivered', unit: 'count', better: 'higher', view: 'v_throughput_daily', decimals: 0 },
  { key: 'delivered_per_week', label: 'Delivered per week', unit: 'per_week', better: 'higher', view: 'v_throughput_daily', decimals: 1 },
  { key: 'cycle_time_p50_days', label: 'Cycle time, median', unit: 'days', better: 'lower', view: 'v_cycle_time', decimals: 2 },
  { key: 'cycle_time_p85_days', label: 'Cycle time, 85th percentile', unit: 'days', better: 'lower', view: 'v_cycle_time', decimals: 2 },
  { key: 'revision_rounds_avg', label: 'Revision rounds per delivered asset', unit: 'rounds', better: 'lower', view: 'v_revision_rounds', decimals: 2 },
  { key: 'rework_rate', label: 'Rework rate', unit: 'rate', better: 'lower', view: 'v_revision_rounds', decimals: 4 },
  { key: 'first_pass_rate', label: 'First-pass approval', unit: 'rate', better: 'higher', view: 'v_first_pass_approval', decimals: 4 },
  { key: 'approval_latency_p50_hours', label: 'Approval latency, median', unit: 'hours', better: 'lower', view: 'v_approval_latency', decimals: 1 },
  { key: 'on_time_rate', label: 'On-time delivery', unit: 'rate', better: 'higher', view: 'v_on_time_delivery', decimals: 4 },
  { key: 'delivered_without_due_date', label: 'Delivered without a due date', unit: 'count', better: 'lower', view: 'v_on_time_delivery', decimals: 0 },
  { key: 'overdue_wip', label: 'Overdue work in progress', unit: 'count', better: 'lower', view: 'v_overdue_wip', decimals: 0 },
  { key: 'compliance_rate', label: 'Compliance', unit: 'rate', better: 'higher', view: 'v_compliance', decimals: 4 },
  { key: 'open_violations', label: 'Open violations', unit: 'count', better: 'lower', view: 'v_compliance', decimals: 0 },
  { key: 'redeliveries', label: 'Redeliveries after a reopen', unit: 'count', better: 'lower', view: 'v_throughput_daily', decimals: 0 },
] as const satisfies readonly (Omit<MetricDef, 'key'> & { key: string })[];

export type MetricKey = (typeof METRICS)[number]['key'];
export type MetricValues = Record<MetricKey, number | null>;

/** Sample sizes behind the rates and percentiles, so a reader can tell 1 of 1 from 90 of 100. */
export interface MetricCounts {
  cycle_time_n: number;
  first_pass_n: number;
  approval_latency_n: number;
  on_time_n: number;
  live_assets: number;
}

export interface SliceRow {
  slice: string;
  current: MetricValues;
  previous: MetricValues;
  counts: MetricCounts;
}

export interface Dimension {
  key: 'client' | 'campaign' | 'team' | 'asset_type' | 'source_tool';
  label: string;
  /** SQL over the slice columns every metric view carries (v_asset's). */
  expr: string;
}

export const DIMENSIONS: readonly Dimension[] = [
  { key: 'client', label: 'Client', expr: `coalesce(client, '(no client)')` },
  // A campaign name is only unique within its client ("Holiday" of two clients is two campaigns).
  { key: 'campaign', label: 'Campaign', expr: `coalesce(client || ' — ', '') || campaign` },
  { key: 'team', label: 'Team', expr: `coalesce(owner_team, '(no team)')` },
  { key: 'asset_type', label: 'Asset type', expr: `coalesce(asset_type, '(no type)')` },
  { key: 'source_tool', label: 'Source tool', expr: `source_vendor` },
];

export interface WeekRow {
  week_start: string;
  period: 'previous' | 'current';
  /** The week has days outside the two periods (its numbers cover only the days inside). */
  partial: boolean;
  delivered: number;
  redeliveries: number;
  cycle_time_n: number;
  cycle_time_p50_days: number | null;
  cycle_time_p85_days: number | null;
}

export interface StageRow {
  stage: string;
  position: number | null;
  /** Delivered or cancelled: stays there are not waiting work. */
  closed: boolean;
  stays: number;
  avg_days: number | null;
  p50_days: number | null;
  p85_days: number | null;
  previous_stays: number;
  previous_avg_days: number | null;
  /** Work in this stage at the last refresh (as_of): how many, and how long they have waited. */
  waiting_now: number;
  waiting_avg_days: number | null;
  waiting_max_days: number | null;
}

export interface RoundsRow {
  rounds: string;
  current: number;
  previous: number;
}

export interface RuleRow {
  rule_id: string;
  kind: string;
  opened: number;
  resolved: number;
  open_at_end: number;
  open_per_100_assets: number | null;
  previous_open_at_end: number;
}

export interface OverdueRow {
  asset_name: string;
  client: string | null;
  campaign: string;
  owner_name: string | null;
  source_tool: string;
  stage: string | null;
  due_on: string;
  days_overdue: number;
}

export interface DeliveryRow {
  asset_name: string;
  client: string | null;
  campaign: string;
  team: string | null;
  asset_type: string | null;
  source_tool: string;
  delivered_on: string;
  cycle_time_days: number | null;
  revision_rounds: number | null;
  due_on: string | null;
  on_time: boolean | null;
  days_late: number | null;
}

export interface ReportData {
  workspace: string;
  timezone: string;
  /** The last warehouse refresh: the numbers are as of this instant. */
  asOf: string;
  asOfOn: string;
  current: Period;
  previous: Period;
  sources: string[];
  summary: { current: MetricValues; previous: MetricValues; counts: MetricCounts; previousCounts: MetricCounts };
  weeks: WeekRow[];
  stages: StageRow[];
  rounds: RoundsRow[];
  slices: { dimension: Dimension; rows: SliceRow[] }[];
  rules: RuleRow[];
  overdue: OverdueRow[];
  deliveries: DeliveryRow[];
  /** Milliseconds spent in SQL. */
  sqlMs: number;
}

export class ReportInputError extends Error {
  constructor(
    readonly path: string,
    message: string,
  ) {
    super(`${path}: ${message}`);
    this.name = 'ReportInputError';
  }
}

const DAY_MS = 86_400_000;
const ISO_DATE = /^\d{4}-\d{2}-\d{2}$/;

/** Validates a YYYY-MM-DD calendar date (2026-02-30 is refused), naming the option it came from. */
export function parseDate(value: string, path: string): string {
  if (!ISO_DATE.test(value)) throw new ReportInputError(path, `"${value}" is not a date (use YYYY-MM-DD)`);
  const d = new Date(`${value}T00:00:00Z`);
  if (Number.isNaN(d.getTime()) || d.toISOString().slice(0, 10) !== value) throw new ReportInputError(path, `"${value}" is not a calendar date`);
  return value;
}

export function addDays(date: string, days: number): string {
  return new Date(Date.parse(`${date}T00:00:00Z`) + days * DAY_MS).toISOString().slice(0, 10);
}

export function daysBetween(from: string, to: string): number {
  return Math.round((Date.parse(`${to}T00:00:00Z`) - Date.parse(`${from}T00:00:00Z`)) / DAY_MS);
}

/** The last full Monday–Sunday week before `today` (a local date). */
export function lastFullWeek(today: string): { from: string; to: string } {
  const dow = new Date(`${today}T00:00:00Z`).getUTCDay(); // 0 = Sunday
  const thisMonday = addDays(today, -((dow + 6) % 7));
  return { from: addDays(thisMonday, -7), to: addDays(thisMonday, -1) };
}

export const MAX_PERIOD_DAYS = 366;

/** The period and the one of the same length just before it; the dates must already be valid. */
export function periods(from: string, to: string): { current: Omit<Period, 'snapshotOn'>; previous: Omit<Period, 'snapshotOn'> } {
  if (from > to) throw new ReportInputError('--from', `${from} is after --to ${to}`);
  const days = daysBetween(from, to) + 1;
  if (days > MAX_PERIOD_DAYS) throw new ReportInputError('--to', `the period ${from} – ${to} is ${days} days; a report covers at most ${MAX_PERIOD_DAYS}`);
  const prevTo = addDays(from, -1);
  return { current: { from, to, days }, previous: { from: addDays(prevTo, -(days - 1)), to: prevTo, days } };
}

function num(v: unknown): number | null {
  if (v === null || v === undefined) return null;
  const n = Number(v);
  return Number.isFinite(n) ? n : null;
}

function round(v: number | null, decimals: number): number | null {
  if (v === null) return null;
  const f = 10 ** decimals;
  return Math.round(v * f) / f;
}

const METRIC_DECIMALS = Object.fromEntries(METRICS.map((m) => [m.key, m.decimals])) as Record<MetricKey, number>;

/** Every slicing of the report: the whole workspace, then each dimension. */
const SLICINGS: readonly { key: string; expr: string }[] = [{ key: 'all', expr: `'all'` }, ...DIMENSIONS.map((d) => ({ key: d.key, expr: d.expr }))];

/**
 * One statement for both periods and every slicing: each view is read once, its rows of the two
 * (adjacent) periods tagged with their period, then fanned out to one row per slicing (the whole
 * workspace, client, campaign, team, asset type, source tool) and aggregated per period × slicing ×
 * slice. `$1` previous.from, `$2` current.from, `$3` current.to, `$4`/`$5` the current and previous
 * snapshot days. The slice expressions are DIMENSIONS' (never user input).
 */
function metricsSql(): string {
  const fan = `CROSS JOIN LATERAL (VALUES ${SLICINGS.map((s) => `('${s.key}', ${s.expr})`).join(', ')}) AS sl(dim, slice)`;
  const period = (col: string) => `CASE WHEN ${col} >= $2 THEN 'current' ELSE 'previous' END`;
  const snapshots = `(VALUES ('current', $4::date), ('previous', $5::date)) AS p(period, snap)`;
  return `
WITH t AS (SELECT ${period('x.delivered_on')} AS period, sl.dim, sl.slice, sum(x.assets_delivered)::int AS delivered, sum(x.redeliveries)::int AS redeliveries
             FROM warehouse.v_throughput_daily x ${fan} WHERE x.delivered_on BETWEEN $1 AND $3 GROUP BY 1, 2, 3),
     c AS (SELECT ${period('x.delivered_on')} AS period, sl.dim, sl.slice, count(x.cycle_time_days)::int AS n,
                  percentile_cont(0.5) WITHIN GROUP (ORDER BY x.cycle_time_days) AS p50,
                  percentile_cont(0.85) WITHIN GROUP (ORDER BY x.cycle_time_days) AS p85
             FROM warehouse.v_cycle_time x ${fan} WHERE x.delivered_on BETWEEN $1 AND $3 GROUP BY 1, 2, 3),
     r AS (SELECT ${period('x.delivered_on')} AS period, sl.dim, sl.slice, avg(x.revision_rounds) AS rounds, avg((x.revision_rounds >= 1)::int) AS rework
             FROM warehouse.v_revision_rounds x ${fan} WHERE x.delivered_on BETWEEN $1 AND $3 GROUP BY 1, 2, 3),
     f AS (SELECT ${period('x.first_decision_on')} AS period, sl.dim, sl.slice, count(*)::int AS n, avg(x.first_pass::int) AS rate
             FROM warehouse.v_first_pass_approval x ${fan} WHERE x.first_decision_on BETWEEN $1 AND $3 GROUP BY 1, 2, 3),
     l AS (SELECT ${period('x.decided_on')} AS period, sl.dim, sl.slice, count(*)::int AS n, percentile_cont(0.5) WITHIN GROUP (ORDER BY x.latency_hours) AS p50
             FROM warehouse.v_approval_latency x ${fan} WHERE x.decided_on BETWEEN $1 AND $3 AND x.latency_hours IS NOT NULL GROUP BY 1, 2, 3),
     o AS (SELECT ${period('x.first_delivered_on')} AS period, sl.dim, sl.slice, count(x.on_time)::int AS n, avg(x.on_time::int) AS rate,
                  count(*) FILTER (WHERE x.on_time IS NULL)::int AS no_due
             FROM warehouse.v_on_time_delivery x ${fan} WHERE x.first_delivered_on BETWEEN $1 AND $3 GROUP BY 1, 2, 3),
     w AS (SELECT p.period, sl.dim, sl.slice, count(*)::int AS overdue
             FROM ${snapshots} JOIN warehouse.v_overdue_wip x ON x.snapshot_on = p.snap ${fan} GROUP BY 1, 2, 3),
     k AS (SELECT p.period, sl.dim, sl.slice, count(*)::int AS assets, avg(x.compliant::int) AS rate, sum(x.open_violations)::int AS open_violations
             FROM ${snapshots} JOIN warehouse.v_compliance x ON x.snapshot_on = p.snap ${fan} GROUP BY 1, 2, 3),
     s AS (SELECT period, dim, slice FROM t UNION SELECT period, dim, slice FROM c UNION SELECT period, dim, slice FROM r
           UNION SELECT period, dim, slice FROM f UNION SELECT period, dim, slice FROM l UNION SELECT period, dim, slice FROM o
           UNION SELECT period, dim, slice FROM w UNION SELECT period, dim, slice FROM k)
SELECT s.period, s.dim, s.slice,
       coalesce(t.delivered, 0) AS delivered, coalesce(t.redeliveries, 0) AS redeliveries,
       coalesce(c.n, 0) AS cycle_time_n, c.p50 AS cycle_time_p50_days, c.p85 AS cycle_time_p85_days,
       r.rounds AS revision_rounds_avg, r.rework AS rework_rate,
       coalesce(f.n, 0) AS first_pass_n, f.rate AS first_pass_rate,
       coalesce(l.n, 0) AS approval_latency_n, l.p50 AS approval_latency_p50_hours,
       coalesce(o.n, 0) AS on_time_n, o.rate AS on_time_rate, coalesce(o.no_due, 0) AS delivered_without_due_date,
       coalesce(w.overdue, 0) AS overdue_wip,
       coalesce(k.assets, 0) AS live_assets, k.rate AS compliance_rate, coalesce(k.open_violations, 0) AS open_violations
  FROM s LEFT JOIN t USING (period, dim, slice) LEFT JOIN c USING (period, dim, slice) LEFT JOIN r USING (period, dim, slice)
         LEFT JOIN f USING (period, dim, slice) LEFT JOIN l USING (period, dim, slice) LEFT JOIN o USING (period, dim, slice)
         LEFT JOIN w USING (period, dim, slice) LEFT JOIN k USING (period, dim, slice)`;
}

interface MetricsRow {
  slice: string;
  [k: string]: unknown;
}

function toValues(row: MetricsRow | undefined, days: number): { values: MetricValues; counts: MetricCounts } {
  const r = row ?? ({ slice: '' } as MetricsRow);
  const delivered = num(r.delivered) ?? 0;
  const raw: MetricValues = {
    delivered,
    delivered_per_week: (delivered * 7) / days,
    cycle_time_p50_days: num(r.cycle_time_p50_days),
    cycle_time_p85_days: num(r.cycle_time_p85_days),
    revision_rounds_avg: num(r.revision_rounds_avg),
    rework_rate: num(r.rework_rate),
    first_pass_rate: num(r.first_pass_rate),
    approval_latency_p50_hours: num(r.approval_latency_p50_hours),
    on_time_rate: num(r.on_time_rate),
    delivered_without_due_date: num(r.delivered_without_due_date) ?? 0,
    overdue_wip: num(r.overdue_wip) ?? 0,
    compliance_rate: num(r.compliance_rate),
    open_violations: num(r.open_violations) ?? 0,
    redeliveries: num(r.redeliveries) ?? 0,
  };
  const values = Object.fromEntries(Object.entries(raw).map(([k, v]) => [k, round(v, METRIC_DECIMALS[k as MetricKey])])) as MetricValues;
  const counts: MetricCounts = {
    cycle_time_n: num(r.cycle_time_n) ?? 0,
    first_pass_n: num(r.first_pass_n) ?? 0,
    approval_latency_n: num(r.approval_latency_n) ?? 0,
    on_time_n: num(r.on_time_n) ?? 0,
    live_assets: num(r.live_assets) ?? 0,
  };
  return { values, counts };
}

/** The last snapshot day on or before `to`: the refresh's day when it is, else the Sunday on or before `to`. */
export function snapshotDay(to: string, asOfOn: string): string {
  if (asOfOn <= to) return asOfOn;
  const dow = new Date(`${to}T00:00:00Z`).getUTCDay();
  return addDays(to, -dow);
}

function dateStr(v: unknown): string {
  if (v instanceof Date) return v.toISOString().slice(0, 10);
  return String(v);
}

/** Reads every number of the report from the warehouse views. */
export async function loadReportData(db: ReportDb, opts: { from: string; to: string; workspace?: string }): Promise<ReportData> {
  const started = performance.now();
  const p = periods(opts.from, opts.to);
  const { rows: info } = await db.query<{ as_of: Date; as_of_on: string; timezone: string }>(
    `SELECT as_of, to_char(as_of_on, 'YYYY-MM-DD') AS as_of_on, timezone FROM warehouse.refresh_info`,
  );
  const ri = info[0];
  if (!ri) throw new ReportInputError('warehouse', 'the warehouse has never been refreshed: run a sync first (stageline sync --wait)');
  const current: Period = { ...p.current, snapshotOn: snapshotDay(p.current.to, ri.as_of_on) };
  const previous: Period = { ...p.previous, snapshotOn: snapshotDay(p.previous.to, ri.as_of_on) };
  const q = async <T extends object>(sql: string, params: unknown[]): Promise<T[]> => (await db.query<T>(sql, params)).rows;

  const metricRows = await q<MetricsRow & { period: string; dim: string }>(metricsSql(), [previous.from, current.from, current.to, current.snapshotOn, previous.snapshotOn]);
  const rowsOf = (dim: string, per: 'current' | 'previous') => new Map(metricRows.filter((r) => r.dim === dim && r.period === per).map((r) => [r.slice, r]));
  const cur = toValues(rowsOf('all', 'current').get('all'), current.days);
  const prev = toValues(rowsOf('all', 'previous').get('all'), previous.days);

  const slices: ReportData['slices'] = [];
  for (const dimension of DIMENSIONS) {
    const byCur = rowsOf(dimension.key, 'current');
    const byPrev = rowsOf(dimension.key, 'previous');
    const names = new Set([...byCur.keys(), ...byPrev.keys()]);
    const rows: SliceRow[] = [...names].map((slice) => {
      const a = toValues(byCur.get(slice), current.days);
      return { slice, current: a.values, previous: toValues(byPrev.get(slice), previous.days).values, counts: a.counts };
    });
    rows.sort((x, y) => (y.current.delivered ?? 0) - (x.current.delivered ?? 0) || (y.counts.live_assets - x.counts.live_assets) || x.slice.localeCompare(y.slice));
    slices.push({ dimension, rows });
  }

  // Weeks of both periods: deliveries and cycle time per local week, split at the period boundary.
  const weekRows = await q<Record<string, unknown>>(
    `WITH d AS (SELECT week_start, CASE WHEN delivered_on >= $3 THEN 'current' ELSE 'previous' END AS period,
                       sum(assets_delivered)::int AS delivered, sum(redeliveries)::int AS redeliveries
                  FROM warehouse.v_throughput_daily WHERE delivered_on BETWEEN $1 AND $2 GROUP BY 1, 2),
          c AS (SELECT week_start, CASE WHEN delivered_on >= $3 THEN 'current' ELSE 'previous' END AS period,
                       count(cycle_time_days)::int AS n,
                       percentile_cont(0.5) WITHIN GROUP (ORDER BY cycle_time_days) AS p50,
                       percentile_cont(0.85) WITHIN GROUP (ORDER BY cycle_time_days) AS p85
                  FROM warehouse.v_cycle_time WHERE delivered_on BETWEEN $1 AND $2 GROUP BY 1, 2),
          w AS (SELECT g::date AS week_start, p.period
                  FROM generate_series(date_trunc('week', $1::date), date_trunc('week', $2::date), interval '1 week') g
                  CROSS JOIN (VALUES ('previous'), ('current')) p(period)
                 WHERE (p.period = 'previous' AND g::date <= $3::date - 1) OR (p.period = 'current' AND g::date + 6 >= $3::date))
     SELECT to_char(w.week_start, 'YYYY-MM-DD') AS week_start, w.period,
            coalesce(d.delivered, 0) AS delivered, coalesce(d.redeliveries, 0) AS redeliveries,
            coalesce(c.n, 0) AS n, c.p50, c.p85
       FROM w LEFT JOIN d USING (week_start, period) LEFT JOIN c USING (week_start, period)
      ORDER BY w.week_start, w.period DESC`,
    [previous.from, current.to, current.from],
  );
  const weeks: WeekRow[] = weekRows.map((r) => {
    const ws = String(r.week_start);
    const per = r.period as WeekRow['period'];
    const lo = per === 'current' ? current.from : previous.from;
    const hi = per === 'current' ? current.to : previous.to;
    return {
      week_start: ws,
      period: per,
      partial: ws < lo || addDays(ws, 6) > hi,
      delivered: num(r.delivered) ?? 0,
      redeliveries: num(r.redeliveries) ?? 0,
      cycle_time_n: num(r.n) ?? 0,
      cycle_time_p50_days: round(num(r.p50), 2),
      cycle_time_p85_days: round(num(r.p85), 2),
    };
  });

  // Where work waits: closed stays that ended in each period, and what is waiting at the refresh.
  const stageRows = await q<Record<string, unknown>>(
    `SELECT coalesce(t.stage, '(unmapped status)') AS stage, s.position, coalesce(s.is_closed, false) AS closed,
            count(*) FILTER (WHERE NOT t.is_open AND t.left_on BETWEEN $1 AND $2)::int AS stays,
            avg(t.days) FILTER (WHERE NOT t.is_open AND t.left_on BETWEEN $1 AND $2) AS avg_days,
            percentile_cont(0.5) WITHIN GROUP (ORDER BY t.days) FILTER (WHERE NOT t.is_open AND t.left_on BETWEEN $1 AND $2) AS p50,
            percentile_cont(0.85) WITHIN GROUP (ORDER BY t.days) FILTER (WHERE NOT t.is_open AND t.left_on BETWEEN $1 AND $2) AS p85,
            count(*) FILTER (WHERE NOT t.is_open AND t.left_on BETWEEN $3 AND $4)::int AS prev_stays,
            avg(t.days) FILTER (WHERE NOT t.is_open AND t.left_on BETWEEN $3 AND $4) AS prev_avg,
            count(*) FILTER (WHERE t.is_wip)::int AS waiting, avg(t.days) FILTER (WHERE t.is_wip) AS waiting_avg,
            max(t.days) FILTER (WHERE t.is_wip) AS waiting_max
       FROM warehouse.v_time_in_stage t LEFT JOIN warehouse.dim_stage s ON s.stage = t.stage
      GROUP BY 1, 2, 3
      ORDER BY s.position NULLS LAST, 1`,
    [current.from, current.to, previous.from, previous.to],
  );
  const stages: StageRow[] = stageRows.map((r) => ({
    stage: String(r.stage),
    position: num(r.position),
    closed: Boolean(r.closed),
    stays: num(r.stays) ?? 0,
    avg_days: round(num(r.avg_days), 2),
    p50_days: round(num(r.p50), 2),
    p85_days: round(num(r.p85), 2),
    previous_stays: num(r.prev_stays) ?? 0,
    previous_avg_days: round(num(r.prev_avg), 2),
    waiting_now: num(r.waiting) ?? 0,
    waiting_avg_days: round(num(r.waiting_avg), 2),
    waiting_max_days: round(num(r.waiting_max), 2),
  }));

  const roundRows = await q<{ bucket: number; period: string; n: number }>(
    `SELECT least(revision_rounds, 4) AS bucket, CASE WHEN delivered_on >= $3 THEN 'current' ELSE 'previous' END AS period, count(*)::int AS n
       FROM warehouse.v_revision_rounds WHERE delivered_on BETWEEN $1 AND $2 GROUP BY 1, 2`,
    [previous.from, current.to, current.from],
  );
  const rounds: RoundsRow[] = [0, 1, 2, 3, 4].map((b) => ({
    rounds: b === 4 ? '4+' : String(b),
    current: roundRows.find((r) => r.bucket === b && r.period === 'current')?.n ?? 0,
    previous: roundRows.find((r) => r.bucket === b && r.period === 'previous')?.n ?? 0,
  }));

  const ruleRows = await q<Record<string, unknown>>(
    `SELECT rule_id, min(kind) AS kind,
            count(*) FILTER (WHERE opened_on BETWEEN $1 AND $2)::int AS opened,
            count(*) FILTER (WHERE resolved_on BETWEEN $1 AND $2)::int AS resolved,
            count(*) FILTER (WHERE opened_on <= $3 AND (resolved_on IS NULL OR resolved_on > $3))::int AS open_at_end,
            count(*) FILTER (WHERE opened_on <= $4 AND (resolved_on IS NULL OR resolved_on > $4))::int AS prev_open_at_end
       FROM warehouse.v_violations_by_rule GROUP BY rule_id ORDER BY 5 DESC, 1`,
    [current.from, current.to, current.snapshotOn, previous.snapshotOn],
  );
  const rules: RuleRow[] = ruleRows
    .map((r) => ({
      rule_id: String(r.rule_id),
      kind: String(r.kind),
      opened: num(r.opened) ?? 0,
      resolved: num(r.resolved) ?? 0,
      open_at_end: num(r.open_at_end) ?? 0,
      open_per_100_assets: cur.counts.live_assets ? round(((num(r.open_at_end) ?? 0) * 100) / cur.counts.live_assets, 2) : null,
      previous_open_at_end: num(r.prev_open_at_end) ?? 0,
    }))
    .filter((r) => r.opened || r.resolved || r.open_at_end || r.previous_open_at_end);

  const overdue = (
    await q<Record<string, unknown>>(
      `SELECT asset_name, client, campaign, owner_name, source_vendor, stage, to_char(due_on, 'YYYY-MM-DD') AS due_on, days_overdue
         FROM warehouse.v_overdue_wip WHERE snapshot_on = $1 ORDER BY days_overdue DESC, asset_name, asset_id`,
      [current.snapshotOn],
    )
  ).map((r) => ({
    asset_name: String(r.asset_name),
    client: (r.client as string | null) ?? null,
    campaign: String(r.campaign),
    owner_name: (r.owner_name as string | null) ?? null,
    source_tool: String(r.source_vendor),
    stage: (r.stage as string | null) ?? null,
    due_on: String(r.due_on),
    days_overdue: num(r.days_overdue) ?? 0,
  }));

  const deliveries = (
    await q<Record<string, unknown>>(
      `SELECT c.asset_name, c.client, c.campaign, c.owner_team, c.asset_type, c.source_vendor, to_char(c.delivered_on, 'YYYY-MM-DD') AS delivered_on,
              c.cycle_time_days, r.revision_rounds, to_char(o.due_on, 'YYYY-MM-DD') AS due_on, o.on_time, o.days_late
         FROM warehouse.v_cycle_time c
         LEFT JOIN warehouse.v_revision_rounds r ON r.asset_id = c.asset_id
         LEFT JOIN warehouse.v_on_time_delivery o ON o.asset_id = c.asset_id
        WHERE c.delivered_on BETWEEN $1 AND $2
        ORDER BY c.delivered_on, c.asset_name, c.asset_id`,
      [current.from, current.to],
    )
  ).map((r) => ({
    asset_name: String(r.asset_name),
    client: (r.client as string | null) ?? null,
    campaign: String(r.campaign),
    team: (r.owner_team as string | null) ?? null,
    asset_type: (r.asset_type as string | null) ?? null,
    source_tool: String(r.source_vendor),
    delivered_on: dateStr(r.delivered_on),
    cycle_time_days: round(num(r.cycle_time_days), 2),
    revision_rounds: num(r.revision_rounds),
    due_on: (r.due_on as string | null) ?? null,
    on_time: (r.on_time as boolean | null) ?? null,
    days_late: num(r.days_late),
  }));

  const sources = (await q<{ source_vendor: string }>(`SELECT DISTINCT source_vendor FROM warehouse.v_asset ORDER BY 1`, [])).map((r) => r.source_vendor);

  return {
    workspace: opts.workspace ?? 'Stageline',
    timezone: ri.timezone,
    asOf: ri.as_of.toISOString(),
    asOfOn: ri.as_of_on,
    current,
    previous,
    sources,
    summary: { current: cur.values, previous: prev.values, counts: cur.counts, previousCounts: prev.counts },
    weeks,
    stages,
    rounds,
    slices,
    rules,
    overdue,
    deliveries,
    sqlMs: Math.round(performance.now() - started),
  };
}
