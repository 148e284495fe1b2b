// Metrics written back into the tools (issue 5, "PMs see each asset's revision round, days in the
// current stage and cycle time in their own tool"): after each sync's warehouse refresh, each live
// asset's three figures are read from the warehouse (definitions: docs/METRICS.md "Written back to the
// tools") and compared with what its records hold; where they differ, one write per record goes
// into the outbox (ops.outbox, op `set_metrics`), which drainOutbox sends:
//  - the asset's Asana task: three number custom fields, in one PUT /tasks/{gid} (merged there with
//    a pending Ops status write of the same task);
//  - the asset's monday item: three numbers columns of its board (found by title, or created), in the
//    item's one `change_multiple_column_values` (merged there with its Ops status and a stage revert);
//  - the asset's Notion page: three number properties of its data source (found by name, or created
//    with the number format), in the page's one PATCH /v1/pages/{id} (merged there with its Ops status
//    and a stage revert);
//  - each Drive file linked to the asset: appProperties stageline_revision_round,
//    stageline_days_in_stage, stageline_cycle_time_days, in one PATCH (merged there with the
//    appProperties enforcement writes).
//
// What a record holds: its values as last pulled (core.assets.fields, core.files.app_properties),
// unless Stageline wrote metrics into it since it was last pulled (ops.metric_writes, whose
// observed_hash is then still the record's stored content hash): then the values written. So an
// unchanged metric is never planned, a write is not planned again before its echo is pulled (by this
// connection's sync or another's), and when the echo is pulled it equals the target and plans nothing:
// Stageline's own writes never come back as changes to make. A value someone typed over is written
// again on the next sync. A write dropped by the vendor (403, deleted record) is not retried until the
// record changes (its idempotency key carries the record's hash), as for the Ops status.
//
// Cost follows the change, like the warehouse refresh: every live asset is compared once per local day
// (days in stage move at midnight) and when the settings change; in between, only the assets whose
// records or stage history changed since the warehouse watermark of the previous round.
import type { PoolClient } from 'pg';
import type { StagelineConfig } from '../mapping/config';
import { contentHash } from '../mapping/ids';
import { DEFAULT_PIPELINE } from '../mapping/model';
import { metricsWriteConfig, metricsWriteEnabled } from '../mapping/rules';
import type { Db } from './db/store';

export const METRICS = ['revision_round', 'days_in_stage', 'cycle_time'] as const;
export type Metric = (typeof METRICS)[number];
/** The figures of one asset, from the warehouse: whole numbers, cycle time in days to one decimal; null = blank. */
export type MetricValues = Record<Metric, number | null>;
/** A figure as the tool holds it: a number in an Asana number field, a string in a Drive appProperty; null = blank (no value, no key). */
export type ToolValue = number | string | null;
export type ToolValues = Record<Metric, ToolValue>;

/** The Drive appProperties keys (private to Stageline's OAuth client, so fixed names). */
export const APP_PROPERTY: Record<Metric, string> = {
  revision_round: 'stageline_revision_round',
  days_in_stage: 'stageline_days_in_stage',
  cycle_time: 'stageline_cycle_time_days',
};
/** Places after the decimal point of each figure: the precision an Asana field is created with. */
export const METRIC_PRECISION: Record<Metric, number> = { revision_round: 0, days_in_stage: 0, cycle_time: 1 };

export type MetricTargetKind = 'asana_task' | 'drive_file' | 'monday_item' | 'notion_page';

/**
 * The figures as `kind` holds them: numbers for Asana fields, monday numbers columns and Notion number
 * properties (a monday item's and a Notion page's `fields` hold them as numbers), strings for Drive
 * (cycle time always with its one decimal, "12.0").
 */
export function toolForm(kind: MetricTargetKind, v: MetricValues): ToolValues {
  if (kind !== 'drive_file') return { ...v };
  const s = (m: Metric): string | null => {
    const x = v[m];
    return x === null ? null : x.toFixed(METRIC_PRECISION[m]);
  };
  return { revision_round: s('revision_round'), days_in_stage: s('days_in_stage'), cycle_time: s('cycle_time') };
}

/** One record that should show an asset's figures. */
export interface MetricTarget {
  connectionId: string;
  targetKind: MetricTargetKind;
  targetExternalId: string;
  assetId: string;
  /** What the record should show (warehouse values). */
  desired: MetricValues;
  /** Each figure as the record held it when last pulled (anything: a field of that name may hold text); absent = none. */
  pulled: Partial<Record<Metric, unknown>>;
  /** The record's content hash as last pulled. */
  pulledHash: string;
  /** What Stageline last wrote into the record, and the record's hash then. */
  written: { values: Partial<Record<Metric, unknown>>; observedHash: string | null; seq: number } | null;
  /** Asana, monday, Notion: the field (column title, property name) each figure goes into (part of the write, so a renamed field is a new write). */
  fields?: Record<Metric, string>;
}

/** One planned write: the record's three figures, of which `changed` differ from what it holds. */
export interface MetricWrite {
  connectionId: string;
  targetKind: MetricTargetKind;
  targetExternalId: string;
  assetId: string;
  payload: { values: ToolValues; changed: Metric[]; fields?: Record<Metric, string> };
  /** (record, content, record's hash as pulled, writes recorded so far): the same write is planned once. */
  key: string;
}

/**
 * What the record holds now, as far as Stageline knows: its pulled values, overlaid with the values
 * Stageline wrote if the record has not been pulled since (its hash is the one recorded with the write).
 */
export function heldValues(t: Pick<MetricTarget, 'pulled' | 'pulledHash' | 'written'>): Partial<Record<Metric, unknown>> {
  const held: Partial<Record<Metric, unknown>> = { ...t.pulled };
  if (t.written && t.written.observedHash === t.pulledHash) Object.assign(held, t.written.values);
  return held;
}

/** Equal as the tool holds them: null and absent are both "blank"; otherwise the same number or the same string. */
export function sameToolValue(held: unknown, want: ToolValue): boolean {
  if (want === null) return held === null || held === undefined;
  return held === want;
}

/**
 * The writes that bring each record to its figures: one per record whose held values differ from the
 * desired ones (nothing for a record that already shows them). Pure: same targets, same writes, same keys.
 */
export function planMetricWrites(targets: readonly MetricTarget[]): MetricWrite[] {
  const out: MetricWrite[] = [];
  for (const t of targets) {
    const want = toolForm(t.targetKind, t.desired);
    const held = heldValues(t);
    const changed = METRICS.filter((m) => !sameToolValue(held[m], want[m]));
    if (!changed.length) continue;
    const payload: MetricWrite['payload'] = { values: want, changed, ...(t.fields ? { fields: t.fields } : {}) };
    const key = contentHash({
      connectionId: t.connectionId, targetKind: t.targetKind, targetExternalId: t.targetExternalId, op: 'set_metrics',
      content: { values: want, fields: t.fields ?? null }, keyExtra: [t.pulledHash, t.written?.seq ?? 0],
    });
    out.push({ connectionId: t.connectionId, targetKind: t.targetKind, targetExternalId: t.targetExternalId, assetId: t.assetId, payload, key });
  }
  return out;
}

// ------------------------------------------------------------------------------------- the warehouse

/**
 * Each live asset's figures as of the last warehouse refresh (docs/METRICS.md "Written back to the
 * tools"): revision rounds so far; whole local days from the entry into the current stage to the
 * refresh's local date, for work in progress only (blank once delivered or cancelled); cycle time in
 * days to one decimal, once delivered. The same SQL in both target queries below.
 */
const FIGURES = `
  figures AS (
    SELECT d.asset_id, d.revision_rounds AS revision_round,
           CASE WHEN d.stage_entered_at IS NOT NULL AND NOT coalesce(s.is_closed, false)
                THEN greatest(0, r.as_of_on - (d.stage_entered_at AT TIME ZONE r.timezone)::date) END AS days_in_stage,
           CASE WHEN d.pipeline_entered_at < d.first_delivered_at
                THEN round((extract(epoch FROM d.first_delivered_at) - extract(epoch FROM d.pipeline_entered_at)) / 86400, 1) END AS cycle_time
      FROM warehouse.dim_asset d
      CROSS JOIN warehouse.refresh_info r
      LEFT JOIN warehouse.dim_stage s ON s.stage = d.current_stage
     WHERE d.deleted_at IS NULL
  )`;

interface TargetRow {
  connection_id: string;
  external_id: string;
  asset_id: string;
  revision_round: number;
  days_in_stage: number | null;
  cycle_time: string | null;
  pulled_hash: string;
  pulled: Partial<Record<Metric, unknown>>;
  written: Partial<Record<Metric, unknown>> | null;
  written_hash: string | null;
  seq: number | null;
}

/**
 * The assets whose figures or records may have changed since `since` (database time): their record
 * or a linked file was written, their stage history grew, a file was linked or unlinked. What the
 * warehouse recomputes from (warehouse/refresh.ts) for the three figures, plus the records themselves.
 */
const CANDIDATES = `
  candidates AS (
    SELECT id AS asset_id FROM core.assets WHERE updated_at >= $SINCE
    UNION SELECT asset_id FROM core.stage_transitions WHERE created_at >= $SINCE
    UNION SELECT asset_id FROM core.asset_links WHERE updated_at >= $SINCE
    UNION SELECT l.asset_id FROM core.files x JOIN core.asset_links l ON l.connection_id = x.connection_id AND l.external_id = x.external_id AND l.kind = 'drive_file'
           WHERE x.updated_at >= $SINCE
  )`;

/**
 * The records whose held figures differ from the warehouse's (the comparison of `planMetricWrites`,
 * done in SQL so that a workspace where nothing changed sends no rows back), for the connections
 * with metrics write-back on; with `since`, among the assets changed since then only.
 */
export async function loadMetricTargets(db: Db | PoolClient, cfg: StagelineConfig, opts: { since?: string | null } = {}): Promise<MetricTarget[]> {
  const since = opts.since ?? null;
  const withs = (param: number) => (since === null ? `WITH ${FIGURES}` : `WITH ${FIGURES},${CANDIDATES.replaceAll('$SINCE', `$${param}::timestamptz`)}`);
  const onlyCandidates = since === null ? '' : 'AND f.asset_id IN (SELECT asset_id FROM candidates)';
  const sinceParam = since === null ? [] : [since];
  const on = (vendor: string) => cfg.connections.filter((c) => c.vendor === vendor && metricsWriteEnabled(cfg, c.id)).map((c) => c.id);
  const asana = on('asana');
  const drive = on('drive');
  const names = metricsWriteConfig(cfg).fields;
  const fields: Record<Metric, string> = { revision_round: names.revision_round, days_in_stage: names.days_in_stage, cycle_time: names.cycle_time };
  const out: MetricTarget[] = [];
  const toTarget = (kind: MetricTargetKind, r: TargetRow): MetricTarget => ({
    connectionId: r.connection_id,
    targetKind: kind,
    targetExternalId: r.external_id,
    assetId: r.asset_id,
    desired: { revision_round: r.revision_round, days_in_stage: r.days_in_stage, cycle_time: r.cycle_time === null ? null : Number(r.cycle_time) },
    pulled: r.pulled,
    pulledHash: r.pulled_hash,
    written: r.written ? { values: r.written, observedHash: r.written_hash, seq: r.seq ?? 0 } : null,
    ...(kind === 'drive_file' ? {} : { fields }),
  });
  // A held value is compared as jsonb: a number with a number (numerically, as JavaScript compares
  // them), a string with a string, JSON null (no value, no key) with null.
  // Asana tasks, monday items and Notion pages hold the figures in their fields by name (a custom
  // field, a column title, a property name), as numbers: one query shape for all three.
  const records = async (kind: 'asana_task' | 'monday_item' | 'notion_page', ids: string[]) => {
    if (!ids.length) return;
    const { rows } = await db.query<TargetRow>(
      `${withs(6)}
       SELECT a.connection_id, a.external_id, f.asset_id, f.revision_round, f.days_in_stage, f.cycle_time::text AS cycle_time,
              a.hash AS pulled_hash, p.pulled, w.written, w.observed_hash AS written_hash, w.seq
         FROM figures f
         JOIN core.assets a ON a.id = f.asset_id AND a.deleted_at IS NULL
         CROSS JOIN LATERAL (SELECT jsonb_build_object('revision_round', a.fields -> $2, 'days_in_stage', a.fields -> $3, 'cycle_time', a.fields -> $4) AS pulled) p
         LEFT JOIN ops.metric_writes w ON w.connection_id = a.connection_id AND w.target_kind = $5 AND w.target_external_id = a.external_id
        WHERE a.connection_id = ANY($1::text[]) ${onlyCandidates}
          AND jsonb_build_object('revision_round', f.revision_round, 'days_in_stage', f.days_in_stage, 'cycle_time', f.cycle_time)
              IS DISTINCT FROM p.pulled || CASE WHEN w.observed_hash = a.hash THEN w.written ELSE '{}'::jsonb END
        ORDER BY a.connection_id, a.external_id`,
      [ids, fields.revision_round, fields.days_in_stage, fields.cycle_time, kind, ...sinceParam],
    );
    for (const r of rows) out.push(toTarget(kind, r));
  };
  await records('asana_task', asana);
  await records('monday_item', on('monday'));
  await records('notion_page', on('notion'));
  if (drive.length) {
    const { rows } = await db.query<TargetRow>(
      `${withs(5)}
       SELECT DISTINCT ON (x.connection_id, x.external_id) x.connection_id, x.external_id, f.asset_id, f.revision_round, f.days_in_stage, f.cycle_time::text AS cycle_time,
              x.hash AS pulled_hash, p.pulled, w.written, w.observed_hash AS written_hash, w.seq
         FROM figures f
         JOIN core.asset_links l ON l.asset_id = f.asset_id AND l.kind = 'drive_file' AND l.deleted_at IS NULL
         JOIN core.files x ON x.connection_id = l.connection_id AND x.external_id = l.external_id AND x.deleted_at IS NULL
         CROSS JOIN LATERAL (SELECT jsonb_build_object('revision_round', x.app_properties -> $2, 'days_in_stage', x.app_properties -> $3, 'cycle_time', x.app_properties -> $4) AS pulled) p
         LEFT JOIN ops.metric_writes w ON w.connection_id = x.connection_id AND w.target_kind = 'drive_file' AND w.target_external_id = x.external_id
        WHERE x.connection_id = ANY($1::text[]) ${onlyCandidates}
          AND jsonb_build_object('revision_round', f.revision_round::text, 'days_in_stage', f.days_in_stage::text, 'cycle_time', f.cycle_time::text)
              IS DISTINCT FROM p.pulled || CASE WHEN w.observed_hash = x.hash THEN w.written ELSE '{}'::jsonb END
        ORDER BY x.connection_id, x.external_id, f.asset_id`,
      [drive, APP_PROPERTY.revision_round, APP_PROPERTY.days_in_stage, APP_PROPERTY.cycle_time, ...sinceParam],
    );
    for (const r of rows) out.push(toTarget('drive_file', r));
  }
  return out;
}

export interface MetricsRound {
  /** Every live asset compared (first round of a local day, new settings), or only those changed since the last round. */
  mode: 'full' | 'incremental' | 'off';
  /** Records whose figures differ from what they hold. */
  planned: number;
  /** Of those, writes newly queued (a write already queued or sent for the same state is not queued again). */
  queued: number;
  /** Connections with writes waiting in the outbox (metrics or any other): the ones to drain now. */
  pendingConnections: string[];
}

const STATE_KEY = 'metrics';
/** Slack below the previous round's warehouse watermark (the watermark is already conservative). */
const OVERLAP_MS = 60_000;

interface RoundState {
  /** The warehouse watermark read before the previous round's comparison. */
  warehouseSince: string;
  /** The local date of the warehouse's as_of then. */
  asOfOn: string;
  /** What the figures and targets depend on besides the data: a change compares everything again. */
  settings: string;
}

/**
 * Plans the metric writes of every connection with write-back on and queues them in the outbox: every
 * live asset on the first round of a local day or after a settings change, else the assets changed
 * since the previous round's warehouse watermark.
 */
export async function queueMetricWrites(db: Db, cfg: StagelineConfig, opts: { full?: boolean } = {}): Promise<MetricsRound> {
  const enabled = cfg.connections.filter((c) => metricsWriteEnabled(cfg, c.id)).map((c) => c.id);
  if (!enabled.length) return { mode: 'off', planned: 0, queued: 0, pendingConnections: await pendingConnections(db) };
  // Read before the comparison: whatever the warehouse refreshed up to this watermark, the comparison sees.
  const { rows: wh } = await db.query<{ since: string | null; as_of_on: string | null }>(
    `SELECT (SELECT value ->> 'since' FROM ops.state WHERE key = 'warehouse') AS since,
            (SELECT to_char(as_of_on, 'YYYY-MM-DD') FROM warehouse.refresh_info) AS as_of_on`,
  );
  const current = wh[0];
  if (!current?.since || !current.as_of_on) return { mode: 'off', planned: 0, queued: 0, pendingConnections: await pendingConnections(db) }; // no warehouse yet
  const settings = contentHash({ enabled, fields: metricsWriteConfig(cfg).fields, timezone: cfg.workspace.timezone, pipeline: cfg.workspace.pipeline ?? DEFAULT_PIPELINE });
  const { rows: st } = await db.query<{ value: RoundState }>(`SELECT value FROM ops.state WHERE key = $1`, [STATE_KEY]);
  const prev = st[0]?.value;
  const full = opts.full === true || !prev || prev.asOfOn !== current.as_of_on || prev.settings !== settings;
  const since = full ? null : new Date(Date.parse(prev.warehouseSince) - OVERLAP_MS).toISOString();
  const writes = planMetricWrites(await loadMetricTargets(db, cfg, { since }));
  let queued = 0;
  if (writes.length) {
    const r = await db.query(
      `INSERT INTO ops.outbox (connection_id, idempotency_key, target_kind, target_external_id, op, payload, asset_id)
       SELECT u.connection_id, u.key, u.target_kind, u.target_external_id, 'set_metrics', u.payload, u.asset_id
         FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::jsonb[], $6::uuid[]) AS u(connection_id, key, target_kind, target_external_id, payload, asset_id)
       ON CONFLICT (idempotency_key) DO NOTHING`,
      [writes.map((w) => w.connectionId), writes.map((w) => w.key), writes.map((w) => w.targetKind), writes.map((w) => w.targetExternalId), writes.map((w) => JSON.stringify(w.payload)), writes.map((w) => w.assetId)],
    );
    queued = r.rowCount ?? 0;
  }
  const next: RoundState = { warehouseSince: current.since, asOfOn: current.as_of_on, settings };
  await db.query(
    `INSERT INTO ops.state (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value, updated_at = now()`,
    [STATE_KEY, JSON.stringify(next)],
  );
  return { mode: full ? 'full' : 'incremental', planned: writes.length, queued, pendingConnections: await pendingConnections(db) };
}

async function pendingConnections(db: Db): Promise<string[]> {
  const { rows } = await db.query<{ connection_id: string }>(`SELECT DISTINCT connection_id FROM ops.outbox WHERE state = 'pending' ORDER BY 1`);
  return rows.map((r) => r.connection_id);
}

/**
 * Records what a metrics write left in the record (in the drain's transaction, with the outbox row):
 * the values, and the record's hash as last pulled, so that until the record is pulled again these
 * values are what it holds.
 */
export async function recordMetricWrite(
  tx: PoolClient,
  w: { connectionId: string; targetKind: MetricTargetKind; targetExternalId: string; assetId: string | null; values: ToolValues; observedHash: string | null },
): Promise<void> {
  await tx.query(
    `INSERT INTO ops.metric_writes (connection_id, target_kind, target_external_id, asset_id, written, observed_hash)
     VALUES ($1, $2, $3, $4, $5, $6)
     ON CONFLICT (connection_id, target_kind, target_external_id) DO UPDATE SET
       asset_id = EXCLUDED.asset_id, written = EXCLUDED.written, observed_hash = EXCLUDED.observed_hash,
       seq = ops.metric_writes.seq + 1, written_at = now()`,
    [w.connectionId, w.targetKind, w.targetExternalId, w.assetId, JSON.stringify(w.values), w.observedHash],
  );
}
