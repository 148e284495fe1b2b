// Drains the outbox of one connection: each pending write is sent through the connector's writer, on
// the credential's limiter (writes share the read budget), and recorded as done, skipped (the target
// already held the value) or dropped (the vendor refused it for good). Never lost silently:
//
// Failure policy (stated in README "Standards"):
//  - rate limited, vendor unavailable: the row stays pending and the activity fails retryably, so
//    Temporal retries after the vendor's wait; what was written before it is recorded.
//  - revoked token: non-retryable failure; rows stay pending for the next sync after re-authorizing.
//  - not found (a deleted task or file), forbidden (403 on that record) or rejected as invalid: the row is dropped with the
//    vendor's message, and the violation records the write error (`stageline status` shows it); a
//    new intended write (a later change) gets a new row. Retrying cannot make a deleted task exist.
//
//  - monday's daily call cap reached (DailyCapReached): the drain stops cleanly, the rows stay
//    pending (last_error says when the cap resets), and the next sync's drain goes on from there.
//
// Field writes to one record are sent together: the pending Ops status and metrics writes of an Asana
// task are one PUT /tasks/{gid}, the pending appProperties and metrics writes of a Drive file one
// PATCH, the pending Ops status, metrics and stage revert of a monday item one
// change_multiple_column_values (only the columns that differ), those of a Notion page one
// PATCH /v1/pages/{id} (only the properties that differ); each row keeps its own outcome. One drain per connection at a time (an advisory lock): two
// syncs that both find writes waiting for a connection do not send them twice.
import type { PoolClient } from 'pg';
import type { AsanaConnectionConfig, ConnectionConfig, DriveConnectionConfig, MondayConnectionConfig, NotionConnectionConfig } from '../mapping/config';
import { AsanaClient } from '../connectors/asana/client';
import { AsanaWriter, type CustomFieldWrites, type EnsuredNumberFields } from '../connectors/asana/writeback';
import { DriveWriter } from '../connectors/drive/writeback';
import { DailyCapReached } from '../connectors/monday/limits';
import { findColumn, type MondayStageConfig, type MondayStageSource } from '../connectors/monday/normalize';
import { MondayBoardRaw, MondayItemRaw, statusLabelsOf, type MondayColumnRaw, type MondayGroupRaw } from '../connectors/monday/raw';
import { MondayWriter, columnWriteForm, type ColumnWrite } from '../connectors/monday/writeback';
import { NotionWriter, findSchemaProperty, propertyWriteForm, type PropertyWrite } from '../connectors/notion/writeback';
import { NotionPageRaw, type NotionPropertyConfigRaw } from '../connectors/notion/raw';
import { findProperty, type NotionStageConfig } from '../connectors/notion/normalize';
import { readStamp } from '../connectors/stamp';
import { CallCounter, ConnectorError } from '../connectors/types';
import { limiterFor, type ActivityDeps } from './context';
import { OPS_STATUS_OPTIONS } from './enforce';
import { addRunCounts, withTransaction } from './db/store';
import { MondaySession } from './monday';
import { APP_PROPERTY, METRICS, METRIC_PRECISION, heldValues, recordMetricWrite, type Metric, type ToolValues } from './metrics';

export interface DrainResult {
  done: number;
  skipped: number;
  dropped: number;
  pending: number;
  apiCalls: Record<string, number>;
  /** The drain stopped before the end (monday's daily call cap): why, and when it can go on. */
  stopped?: { reason: string; resumeAt: string };
}

type Op = 'set_field' | 'set_stage' | 'comment' | 'set_app_properties' | 'set_metrics';

export interface OutboxRow {
  id: string;
  target_kind: string;
  target_external_id: string;
  op: Op;
  payload: Record<string, unknown>;
  asset_id: string | null;
  violation_id: string | null;
}

export type Outcome = { state: 'done' | 'skipped' | 'dropped'; result?: unknown; error?: string };

const BATCH = 50;
/**
 * Operations sent together when they are pending for the same record: field writes of one task,
 * appProperties of one file, the column writes (Ops status, metrics, a stage revert) of one monday item.
 */
const MERGED: Record<string, readonly Op[]> = {
  asana_task: ['set_field', 'set_metrics'],
  drive_file: ['set_app_properties', 'set_metrics'],
  monday_item: ['set_field', 'set_stage', 'set_metrics'],
  notion_page: ['set_field', 'set_stage', 'set_metrics'],
};
const ROW_COLUMNS = 'id, target_kind, target_external_id, op, payload, asset_id, violation_id';

export async function drainOutbox(deps: ActivityDeps, input: { connectionId: string; syncRunId?: string }): Promise<DrainResult> {
  const cfg = deps.config().connections.find((c) => c.id === input.connectionId);
  const result: DrainResult = { done: 0, skipped: 0, dropped: 0, pending: 0, apiCalls: {} };
  if (!cfg) return result;
  const unlock = await lockConnection(deps, cfg.id);
  try {
    const counter = new CallCounter();
    const sender = senderFor(deps, cfg, counter, input.syncRunId);
    drain: for (;;) {
      const { rows } = await deps.db.query<OutboxRow>(
        `SELECT ${ROW_COLUMNS} FROM ops.outbox WHERE connection_id = $1 AND state = 'pending' ORDER BY id LIMIT $2`,
        [cfg.id, BATCH],
      );
      if (!rows.length) break;
      const handled = new Set<string>();
      // One record at a time, in order: a stage move before its comment, and no parallel writes on one record.
      for (const row of rows) {
        if (handled.has(row.id)) continue;
        const merged = MERGED[row.target_kind]?.includes(row.op) ?? false;
        const group = merged
          ? (await deps.db.query<OutboxRow>(
              `SELECT ${ROW_COLUMNS} FROM ops.outbox WHERE connection_id = $1 AND target_kind = $2 AND target_external_id = $3 AND state = 'pending' AND op = ANY($4::text[]) ORDER BY id`,
              [cfg.id, row.target_kind, row.target_external_id, MERGED[row.target_kind]],
            )).rows
          : [row];
        if (!group.length) continue; // sent meanwhile by a drain that held the lock before this one
        let sent: Sent;
        try {
          sent = await sender(group);
        } catch (err) {
          // The account's daily call cap (monday): nothing more can be sent today. The rows stay
          // pending, not failed: the next sync's drain goes on from here once the cap has reset.
          if (err instanceof DailyCapReached) {
            await deps.db.query(`UPDATE ops.outbox SET last_error = $2 WHERE id = ANY($1::bigint[])`, [group.map((r) => r.id), err.message]);
            const { rows: left } = await deps.db.query<{ n: string }>(`SELECT count(*) AS n FROM ops.outbox WHERE connection_id = $1 AND state = 'pending'`, [cfg.id]);
            result.pending = Number(left[0]?.n ?? 0);
            result.stopped = { reason: err.message, resumeAt: err.resumeAt };
            deps.log.warn('outbox drain stopped: daily call cap', { connection: cfg.id, pending: result.pending, resumeAt: err.resumeAt });
            break drain;
          }
          // A 403 on one record is that record's refusal (no access to this task or file), not a revoked
          // token (that is a 401): it is dropped like a deleted target, and the sync goes on.
          if (err instanceof ConnectorError && (err.kind === 'not_found' || err.kind === 'invalid_config' || err.details.status === 403)) {
            sent = { outcomes: new Map(group.map((r) => [r.id, { state: 'dropped', error: err.message }])) };
          } else {
            await deps.db.query(`UPDATE ops.outbox SET attempts = attempts + 1, last_error = $2 WHERE id = ANY($1::bigint[])`, [group.map((r) => r.id), err instanceof Error ? err.message : String(err)]);
            await record(deps, input.syncRunId, result, counter);
            throw err;
          }
        }
        await withTransaction(deps.db, async (tx) => {
          for (const r of group) {
            const outcome = sent.outcomes.get(r.id) ?? { state: 'skipped' };
            await tx.query(`UPDATE ops.outbox SET state = $2, result = $3, last_error = $4, attempts = attempts + 1, done_at = now() WHERE id = $1`, [
              r.id, outcome.state, JSON.stringify(outcome.result ?? null), outcome.error ?? null,
            ]);
            if (outcome.state === 'dropped' && r.violation_id) {
              await tx.query(`UPDATE ops.violations SET write_error = $2, write_error_at = now() WHERE id = $1`, [r.violation_id, `${r.op} on ${r.target_kind} ${r.target_external_id}: ${outcome.error}`]);
            }
          }
          await sent.record?.(tx);
        });
        for (const r of group) {
          handled.add(r.id);
          result[(sent.outcomes.get(r.id) ?? { state: 'skipped' }).state]++;
        }
        deps.heartbeat?.({ outbox: cfg.id, written: result.done });
      }
    }
    await record(deps, input.syncRunId, result, counter);
    return result;
  } finally {
    await unlock();
  }
}

/**
 * Waits for this connection's drain lock (a session-level advisory lock on a connection of its own),
 * heartbeating while another drain of the same connection runs; resolves to its release. Waiting
 * releases the database connection between tries, so waiters do not starve the pool.
 */
async function lockConnection(deps: ActivityDeps, connectionId: string): Promise<() => Promise<void>> {
  const key = `stageline:outbox:${connectionId}`;
  for (;;) {
    const client = await deps.db.connect();
    let locked = false;
    try {
      const { rows } = await client.query<{ ok: boolean }>('SELECT pg_try_advisory_lock(hashtext($1)) AS ok', [key]);
      locked = rows[0]?.ok === true;
    } finally {
      if (!locked) client.release();
    }
    if (locked) {
      return async () => {
        try {
          await client.query('SELECT pg_advisory_unlock(hashtext($1))', [key]);
        } finally {
          client.release();
        }
      };
    }
    deps.heartbeat?.({ outbox: connectionId, waiting: true });
    await new Promise((r) => setTimeout(r, 250));
  }
}

async function record(deps: ActivityDeps, syncRunId: string | undefined, result: DrainResult, counter: CallCounter): Promise<void> {
  const calls = counter.drain();
  for (const [k, v] of Object.entries(calls)) result.apiCalls[k] = (result.apiCalls[k] ?? 0) + v;
  if (!syncRunId) return;
  await withTransaction(deps.db, (tx) =>
    addRunCounts(
      tx, syncRunId,
      { 'writes.done': result.done, 'writes.skipped': result.skipped, 'writes.dropped': result.dropped, ...(result.stopped ? { 'writes.stopped_daily_cap': 1, 'writes.pending': result.pending } : {}) },
      calls,
    ),
  );
}

/** Each row's outcome, and what to record with them (in the same transaction). */
interface Sent {
  outcomes: Map<string, Outcome>;
  record?: (tx: PoolClient) => Promise<void>;
}
/** Sends a group of rows of one record (one row, or the merged field writes of one record). */
type Sender = (rows: OutboxRow[]) => Promise<Sent>;
/** Sends one row. */
type RowSender = (row: OutboxRow) => Promise<{ sent: boolean; result?: unknown }>;

function senderFor(deps: ActivityDeps, cfg: ConnectionConfig, counter: CallCounter, syncRunId: string | undefined): Sender {
  const vendor: string = cfg.vendor;
  if (vendor === 'notion') return notionSender(deps, cfg as unknown as NotionConnectionConfig, counter);
  if (cfg.vendor === 'asana') return asanaSender(deps, cfg, counter);
  if (cfg.vendor === 'drive') return driveSender(deps, cfg, counter);
  if (cfg.vendor === 'monday') return mondaySender(deps, cfg, counter, syncRunId);
  throw new ConnectorError('invalid_config', `connection ${(cfg as { id: string }).id}: no write-back for vendor ${vendor}`);
}

const single = (rows: OutboxRow[], send: RowSender): Promise<Sent> =>
  send(rows[0]!).then((r) => ({ outcomes: new Map([[rows[0]!.id, { state: r.sent ? 'done' : 'skipped', result: r.result ?? null } satisfies Outcome]]) }));

/** The row's outcome when a setup step for it fails for good (no such field option, a field of the wrong type): dropped, the rest goes on. */
async function orDrop<T>(outcomes: Map<string, Outcome>, row: OutboxRow, step: () => Promise<T>): Promise<T | null> {
  try {
    return await step();
  } catch (err) {
    if (err instanceof ConnectorError && err.kind === 'invalid_config') {
      outcomes.set(row.id, { state: 'dropped', error: err.message });
      return null;
    }
    throw err;
  }
}

/** The latest metrics row of a group: its values are the record's figures (an earlier row is superseded). */
function latestMetrics(rows: OutboxRow[]): { row: OutboxRow; values: ToolValues; fields?: Record<Metric, string> } | null {
  const row = rows.filter((r) => r.op === 'set_metrics').at(-1);
  if (!row) return null;
  const p = row.payload as { values: ToolValues; fields?: Record<Metric, string> };
  return { row, values: p.values, ...(p.fields ? { fields: p.fields } : {}) };
}

/** What Stageline last wrote into a record (ops.metric_writes). */
async function writtenMetrics(deps: ActivityDeps, connectionId: string, kind: string, externalId: string): Promise<{ values: Partial<Record<Metric, unknown>>; observedHash: string | null; seq: number } | null> {
  const { rows } = await deps.db.query<{ written: Partial<Record<Metric, unknown>>; observed_hash: string | null; seq: number }>(
    `SELECT written, observed_hash, seq FROM ops.metric_writes WHERE connection_id = $1 AND target_kind = $2 AND target_external_id = $3`,
    [connectionId, kind, externalId],
  );
  const r = rows[0];
  return r ? { values: r.written, observedHash: r.observed_hash, seq: r.seq } : null;
}

function asanaSender(deps: ActivityDeps, cfg: AsanaConnectionConfig, counter: CallCounter): Sender {
  const limiter = limiterFor(deps, cfg);
  const opts = { token: cfg.token, ...(cfg.base_url ? { baseUrl: cfg.base_url } : {}), limiter, counter };
  const writer = new AsanaWriter(opts);
  const reader = new AsanaClient(opts);
  const opsField = deps.config().enforcement.ops_status_field;
  let field: { fieldGid: string; options: Record<string, string> } | null = null;
  let stageField: { fieldGid: string; options: Record<string, string> } | null = null;
  const sections = new Map<string, Map<string, string>>(); // project gid → section name → gid

  const projects = async () =>
    (await deps.db.query<{ external_id: string }>(`SELECT external_id FROM core.projects WHERE connection_id = $1 AND deleted_at IS NULL ORDER BY external_id`, [cfg.id])).rows.map((r) => r.external_id);
  const ensureOpsField = async () => {
    if (field) return field;
    field = await writer.ensureEnumField(cfg.workspace, await projects(), opsField, OPS_STATUS_OPTIONS);
    return field;
  };
  // Per set of field names, once per drain (a failure too: a field of the wrong type is not re-read for every task).
  const metricFields = new Map<string, Promise<EnsuredNumberFields>>();
  const ensureMetricFields = (names: Record<Metric, string>) => {
    const key = JSON.stringify(METRICS.map((m) => names[m]));
    let p = metricFields.get(key);
    if (!p) {
      p = projects().then((ps) => writer.ensureNumberFields(cfg.workspace, ps, METRICS.map((m) => ({ name: names[m], precision: METRIC_PRECISION[m] }))));
      metricFields.set(key, p);
    }
    return p;
  };
  const taskState = async (taskGid: string) => {
    const { rows } = await deps.db.query<{ fields: Record<string, unknown>; project: string | null; source_status: string | null; hash: string }>(
      `SELECT a.fields, p.external_id AS project, a.source_status, a.hash FROM core.assets a LEFT JOIN core.projects p ON p.id = a.project_id
        WHERE a.connection_id = $1 AND a.external_id = $2`,
      [cfg.id, taskGid],
    );
    return rows[0] ?? null;
  };

  /**
   * The Ops status and metrics writes of one task in one PUT: each field is set to the latest row's
   * value, fields that already hold it are left out, and nothing is sent when none is left.
   */
  const sendFields = async (group: OutboxRow[]): Promise<Sent> => {
    const task = group[0]!.target_external_id;
    const outcomes = new Map<string, Outcome>();
    const state = await taskState(task);
    const target: CustomFieldWrites = {};
    const current: CustomFieldWrites = {};
    const included: OutboxRow[] = [];
    for (const row of group.filter((r) => r.op === 'set_field')) {
      const { value } = row.payload as { field: string; value: string };
      const f = await orDrop(outcomes, row, ensureOpsField);
      if (!f) continue;
      const option = f.options[value];
      if (!option) {
        outcomes.set(row.id, { state: 'dropped', error: `Asana field "${opsField}" has no option "${value}"` });
        continue;
      }
      const currentName = state?.fields[opsField];
      current[f.fieldGid] = typeof currentName === 'string' && f.options[currentName] ? f.options[currentName]! : null;
      target[f.fieldGid] = option;
      included.push(row);
    }
    const metrics = latestMetrics(group);
    let metricsIncluded = false;
    if (metrics?.fields) {
      const names = metrics.fields;
      const ensured = await orDrop(outcomes, metrics.row, () => ensureMetricFields(names));
      if (!ensured) for (const r of group) if (r.op === 'set_metrics') outcomes.set(r.id, outcomes.get(metrics.row.id)!);
      if (ensured) {
        const held = heldValues({
          pulled: Object.fromEntries(METRICS.map((m) => [m, state?.fields[names[m]]])),
          pulledHash: state?.hash ?? '',
          written: await writtenMetrics(deps, cfg.id, 'asana_task', task),
        });
        for (const m of METRICS) {
          const gid = ensured.fields[names[m]]!;
          target[gid] = metrics.values[m];
          // A value of another type (text typed into a field of that name) is not compared: always sent.
          const h = held[m];
          if (h === null || h === undefined || typeof h === 'number') current[gid] = (h ?? null) as number | null;
        }
        metricsIncluded = true;
      }
    } else if (metrics) {
      for (const r of group) if (r.op === 'set_metrics') outcomes.set(r.id, { state: 'dropped', error: 'a metrics write for an Asana task without its field names' });
    }
    const live = [...included, ...(metricsIncluded ? group.filter((r) => r.op === 'set_metrics') : [])];
    if (!live.length) return { outcomes };
    const sent = await writer.setCustomFields(task, target, current);
    for (const r of live) outcomes.set(r.id, { state: sent ? 'done' : 'skipped', result: r.op === 'set_metrics' ? { fields: r === metrics!.row ? target : 'superseded' } : { fields: target } });
    return {
      outcomes,
      ...(metricsIncluded
        ? { record: (tx: PoolClient) => recordMetricWrite(tx, { connectionId: cfg.id, targetKind: 'asana_task', targetExternalId: task, assetId: metrics!.row.asset_id, values: metrics!.values, observedHash: state?.hash ?? null }) }
        : {}),
    };
  };

  const send: RowSender = async (row) => {
    const task = row.target_external_id;
    switch (row.op) {
      case 'set_stage': {
        const { stage } = row.payload as { stage: string };
        const state = await taskState(task);
        const statuses = Object.entries(cfg.stage.map).filter(([, s]) => s === stage).map(([name]) => name);
        if (!statuses.length) throw new ConnectorError('invalid_config', `connection ${cfg.id}: no ${cfg.stage.source.from === 'section' ? 'section' : 'field option'} maps to stage "${stage}" in stage.map`);
        if (state?.source_status && statuses.includes(state.source_status)) return { sent: false };
        if (cfg.stage.source.from === 'section') {
          const project = state?.project;
          if (!project) throw new ConnectorError('not_found', `task ${task} is not stored with a project`);
          let byName = sections.get(project);
          if (!byName) {
            byName = new Map((await reader.listSections(project)).map((s) => [(s as { name: string }).name, (s as { gid: string }).gid]));
            sections.set(project, byName);
          }
          const name = statuses.find((n) => byName!.has(n));
          if (!name) throw new ConnectorError('invalid_config', `project ${project} has no section ${statuses.map((n) => `"${n}"`).join(' or ')} for stage "${stage}"`);
          await writer.moveToSection(task, byName.get(name)!);
          return { sent: true, result: { section: name } };
        }
        // The stage field is the team's own: found, never extended (no option or project setting is added to it).
        stageField ??= await writer.ensureEnumField(cfg.workspace, [], cfg.stage.source.field, []);
        const name = statuses.find((n) => stageField!.options[n]);
        if (!name) throw new ConnectorError('invalid_config', `Asana field "${cfg.stage.source.field}" has no option ${statuses.map((n) => `"${n}"`).join(' or ')} for stage "${stage}"`);
        const sent = await writer.setCustomFields(task, { [stageField.fieldGid]: stageField.options[name]! });
        return { sent, result: { option: name } };
      }
      case 'comment': {
        const { text } = row.payload as { text: string };
        const story = await writer.addComment(task, text);
        return { sent: true, result: story };
      }
      default:
        throw new ConnectorError('invalid_config', `Asana cannot ${row.op}`);
    }
  };
  return (rows) => (MERGED.asana_task!.includes(rows[0]!.op) ? sendFields(rows) : single(rows, send));
}

function driveSender(deps: ActivityDeps, cfg: DriveConnectionConfig, counter: CallCounter): Sender {
  const limiter = limiterFor(deps, cfg);
  const writer = new DriveWriter({ token: cfg.token, ...(cfg.base_url ? { baseUrl: cfg.base_url } : {}), limiter, counter });
  /**
   * The appProperties and metrics writes of one file in one PATCH: the keys of every row (a later row's
   * value over an earlier one's), minus those the file already holds; nothing is sent when none is left.
   */
  const sendProperties = async (group: OutboxRow[]): Promise<Sent> => {
    const fileId = group[0]!.target_external_id;
    const { rows } = await deps.db.query<{ app_properties: Record<string, string>; hash: string }>(`SELECT app_properties, hash FROM core.files WHERE connection_id = $1 AND external_id = $2`, [cfg.id, fileId]);
    const pulled = rows[0]?.app_properties ?? {};
    const hash = rows[0]?.hash ?? null;
    const target: Record<string, string | null> = {};
    for (const r of group.filter((x) => x.op === 'set_app_properties')) Object.assign(target, (r.payload as { properties: Record<string, string> }).properties);
    const current: Record<string, string> = { ...pulled };
    const metrics = latestMetrics(group);
    if (metrics) {
      const held = heldValues({
        pulled: Object.fromEntries(METRICS.map((m) => [m, pulled[APP_PROPERTY[m]]])),
        pulledHash: hash ?? '',
        written: await writtenMetrics(deps, cfg.id, 'drive_file', fileId),
      });
      for (const m of METRICS) {
        const key = APP_PROPERTY[m];
        target[key] = metrics.values[m] === null ? null : String(metrics.values[m]);
        const h = held[m];
        if (typeof h === 'string') current[key] = h;
        else delete current[key];
      }
    }
    const sent = await writer.setAppProperties(fileId, target, current);
    const outcomes = new Map<string, Outcome>(group.map((r) => [r.id, { state: sent ? 'done' : 'skipped', result: r.op === 'set_metrics' && r !== metrics?.row ? 'superseded' : null }]));
    return {
      outcomes,
      ...(metrics ? { record: (tx: PoolClient) => recordMetricWrite(tx, { connectionId: cfg.id, targetKind: 'drive_file', targetExternalId: fileId, assetId: metrics.row.asset_id, values: metrics.values, observedHash: hash }) } : {}),
    };
  };

  const send: RowSender = async (row) => {
    const fileId = row.target_external_id;
    switch (row.op) {
      case 'comment': {
        const { text } = row.payload as { text: string };
        const { rows } = await deps.db.query<{ body: string }>(
          `SELECT c.body FROM core.file_comments c JOIN core.files f ON f.id = c.file_id WHERE f.connection_id = $1 AND f.external_id = $2 AND c.deleted_at IS NULL`,
          [cfg.id, fileId],
        );
        const r = await writer.addComment(fileId, text, rows.map((x) => x.body));
        return { sent: r !== null, result: r };
      }
      default:
        throw new ConnectorError('invalid_config', `Drive cannot ${row.op}`);
    }
  };
  return (rows) => (MERGED.drive_file!.includes(rows[0]!.op) ? sendProperties(rows) : single(rows, send));
}

// ------------------------------------------------------------------------------------------- monday

/** A monday item as last pulled: what its writes are compared with. */
export interface MondayItemState {
  boardId: string;
  /** The item as last pulled (core.assets.raw): its column values, group and inline updates. */
  raw: unknown;
  /** Its values by column title (core.assets.fields). */
  fields: Record<string, unknown>;
  /** Its content hash as last pulled. */
  hash: string;
  /** What Stageline last wrote into its metrics columns (ops.metric_writes). */
  written: { values: Partial<Record<Metric, unknown>>; observedHash: string | null; seq: number } | null;
}

interface MondayBoard {
  id: string;
  name: string;
  /** The board's columns, with those Stageline created in this drain. */
  columns: MondayColumnRaw[];
  groups: MondayGroupRaw[];
  opsColumn?: Promise<{ column: MondayColumnRaw; missing: string[] }>;
  metricColumns: Map<string, Promise<Record<Metric, string>>>;
}

/** The stage source of a board: its own entry, else `*`. */
function stageSourceOf(stage: MondayStageConfig | undefined, boardId: string): MondayStageSource | undefined {
  if (!stage) return undefined;
  return Object.hasOwn(stage, boardId) ? stage[boardId] : stage['*'];
}

/**
 * The writes of one monday connection's items (vendor-apis.md §2.6), on a MondayWriter: an item's
 * Ops status, metrics and (on a board whose stage is a status column) stage revert in ONE
 * `change_multiple_column_values` with only the columns that differ from what the item holds; a
 * revert on a board whose stage is the group is a `move_item_to_group` first; a comment is one
 * stamped update. Each board is read once per drain (`boards(ids)`: its columns, labels and groups);
 * the "Ops status" status column (with the Ops status labels) and the three metrics numbers columns
 * are found by title, or created once. Mutations on a board run one at a time (the writer's
 * BoardLocks; a drain sends one item after another anyway).
 */
export class MondayItemSender {
  private readonly boards = new Map<string, Promise<MondayBoard>>();

  constructor(
    readonly writer: MondayWriter,
    private readonly opts: { connectionId: string; opsField: string; stage: MondayStageConfig },
  ) {}

  private board(boardId: string): Promise<MondayBoard> {
    let b = this.boards.get(boardId);
    if (!b) {
      b = this.writer.client.boards({ ids: [boardId] }).then(([raw]) => {
        const board = MondayBoardRaw.parse(raw);
        return { id: board.id, name: board.name, columns: [...(board.columns ?? [])], groups: [...(board.groups ?? [])], metricColumns: new Map() };
      });
      // A failed read is not cached: the next item of the board tries again.
      b.catch(() => this.boards.delete(boardId));
      this.boards.set(boardId, b);
    }
    return b;
  }

  /** The board's Ops status column, found by title or created with the Ops status labels (once per drain). */
  private opsColumn(board: MondayBoard): Promise<{ column: MondayColumnRaw; missing: string[] }> {
    board.opsColumn ??= this.writer.ensureStatusColumn(board.id, this.opts.opsField, OPS_STATUS_OPTIONS, { name: board.name, columns: board.columns }).then((r) => {
      if (r.created) board.columns.push(r.column);
      return { column: r.column, missing: r.missing };
    });
    return board.opsColumn;
  }

  /** The board's numbers column of each metric, found by title or created (once per drain and set of titles). */
  private metricColumns(board: MondayBoard, titles: Record<Metric, string>): Promise<Record<Metric, string>> {
    const key = JSON.stringify(METRICS.map((m) => titles[m]));
    let p = board.metricColumns.get(key);
    if (!p) {
      p = (async () => {
        const ids = {} as Record<Metric, string>;
        for (const m of METRICS) {
          const r = await this.writer.ensureNumbersColumn(board.id, titles[m], { name: board.name, columns: board.columns });
          if (r.created) board.columns.push({ id: r.id, title: titles[m], type: 'numbers', archived: false, settings_str: '{}' });
          ids[m] = r.id;
        }
        return ids;
      })();
      board.metricColumns.set(key, p);
    }
    return p;
  }

  /**
   * The Ops status, stage and metrics rows of one item in one `change_multiple_column_values` (rows
   * in id order: a later row's value wins): each column set to its row's value, columns that already
   * hold it left out, nothing sent when none is left. A row that cannot be written (a label the
   * column lacks, no label or group for the stage, a column of the wrong type) is dropped alone with
   * the reason; the rest is sent.
   */
  async sendColumns(rows: OutboxRow[], itemId: string, item: MondayItemState | null): Promise<{ outcomes: Map<string, Outcome>; metrics: { row: OutboxRow; values: ToolValues } | null }> {
    if (!item) throw new ConnectorError('not_found', `monday.com item ${itemId} is not stored (deleted, or never synced)`);
    const board = await this.board(item.boardId);
    const where = `monday.com board ${board.id} "${board.name}"`;
    const outcomes = new Map<string, Outcome>();
    const drop = (r: OutboxRow, error: string) => outcomes.set(r.id, { state: 'dropped', error });
    const parsed = MondayItemRaw.safeParse(item.raw);
    let current: Record<string, ColumnWrite> = {};
    try {
      current = columnWriteForm(item.raw, board.columns);
    } catch {
      // An item stored in another shape: nothing is known to be held, every target is sent.
    }
    const target: Record<string, ColumnWrite> = {};
    const included: OutboxRow[] = [];
    const results = new Map<string, unknown>();
    let move: { row: OutboxRow; groupId: string; title: string } | null = null;

    for (const row of rows.filter((r) => r.op === 'set_field')) {
      const { value } = row.payload as { field: string; value: string };
      const ops = await orDrop(outcomes, row, () => this.opsColumn(board));
      if (!ops) continue;
      if (ops.missing.includes(value) || !(statusLabelsOf(ops.column) ?? []).some((l) => l.label === value)) {
        drop(row, `${where}: status column "${ops.column.title}" (${ops.column.id}) has no label "${value}"; add it on the board (labels are never created)`);
        continue;
      }
      target[ops.column.id] = { label: value };
      results.set(row.id, { column: ops.column.id, label: value });
      included.push(row);
    }

    for (const row of rows.filter((r) => r.op === 'set_stage')) {
      const { stage } = row.payload as { stage: string };
      const source = stageSourceOf(this.opts.stage, board.id);
      if (!source) {
        drop(row, `connection ${this.opts.connectionId}: no stage source for ${where}`);
        continue;
      }
      const names = Object.entries(source.map).filter(([, s]) => s === stage).map(([name]) => name);
      if (source.from === 'group') {
        const group = names.map((n) => board.groups.find((g) => g.title === n && !g.deleted && !g.archived)).find((g) => g !== undefined);
        if (!group) {
          drop(row, `${where}: no group ${names.map((n) => `"${n}"`).join(' or ') || '(none in the stage map)'} for stage "${stage}"`);
          continue;
        }
        const held = parsed.success ? (parsed.data.group ?? null) : null;
        if (held && names.includes(held.title)) outcomes.set(row.id, { state: 'skipped', result: { group: held.title } });
        else move = { row, groupId: group.id, title: group.title };
        continue;
      }
      const column = findColumn(board.columns, source.column);
      const labels = column?.type === 'status' ? (statusLabelsOf(column) ?? []).map((l) => l.label) : [];
      const label = names.find((n) => labels.includes(n));
      if (!column || !label) {
        drop(row, `${where}: ${column ? `status column "${column.title}" has no label` : `no status column "${source.column}" with a label`} ${names.map((n) => `"${n}"`).join(' or ') || '(none in the stage map)'} for stage "${stage}"`);
        continue;
      }
      const held = current[column.id];
      if (held && typeof held === 'object' && 'label' in held && names.includes(held.label)) {
        outcomes.set(row.id, { state: 'skipped', result: { label: held.label } });
        continue;
      }
      target[column.id] = { label };
      results.set(row.id, { column: column.id, label });
      included.push(row);
    }

    const metrics = latestMetrics(rows);
    const metricRows = rows.filter((r) => r.op === 'set_metrics');
    let metricsIncluded = false;
    if (metrics && !metrics.fields) {
      for (const r of metricRows) drop(r, 'a metrics write for a monday item without its column titles');
    } else if (metrics?.fields) {
      const titles = metrics.fields;
      const ids = await orDrop(outcomes, metrics.row, () => this.metricColumns(board, titles));
      if (!ids) for (const r of metricRows) outcomes.set(r.id, outcomes.get(metrics.row.id)!);
      else {
        const held = heldValues({ pulled: Object.fromEntries(METRICS.map((m) => [m, item.fields[titles[m]]])), pulledHash: item.hash, written: item.written });
        for (const m of METRICS) {
          const v = metrics.values[m];
          target[ids[m]] = v === null ? null : String(v);
          // What the column holds as Stageline knows it (its write overlays a stale pull); text typed
          // into a column of that title is not compared: the figure is sent.
          const h = held[m];
          if (h === null || h === undefined) current[ids[m]] = null;
          else if (typeof h === 'number') current[ids[m]] = String(h);
          else delete current[ids[m]];
        }
        metricsIncluded = true;
      }
    }

    if (move) {
      const sent = await this.writer.moveToGroup(board.id, itemId, move.groupId);
      outcomes.set(move.row.id, { state: sent ? 'done' : 'skipped', result: { group: move.title } });
    }
    const live = [...included, ...(metricsIncluded ? metricRows : [])];
    if (live.length) {
      const sent = await this.writer.setColumns(board.id, itemId, target, current, { name: board.name, columns: board.columns });
      for (const r of live) {
        const result = r.op === 'set_metrics' ? (r === metrics!.row ? { values: metrics!.values } : 'superseded') : results.get(r.id);
        outcomes.set(r.id, { state: sent ? 'done' : 'skipped', result });
      }
    }
    return { outcomes, metrics: metricsIncluded ? { row: metrics!.row, values: metrics!.values } : null };
  }

  /** One stamped update on the item; none when the item's updates as last pulled already carry its stamp. */
  async sendComment(row: OutboxRow, itemId: string, item: MondayItemState | null): Promise<Outcome> {
    const { text } = row.payload as { text: string };
    const bodies: string[] = [];
    const parsed = item ? MondayItemRaw.safeParse(item.raw) : null;
    for (const u of parsed?.success ? (parsed.data.updates ?? []) : []) {
      const { body, text_body } = (u ?? {}) as { body?: unknown; text_body?: unknown };
      for (const b of [body, text_body]) if (typeof b === 'string') bodies.push(b);
    }
    const created = await this.writer.addUpdate(itemId, text, bodies, item ? { boardId: item.boardId } : {});
    return { state: created ? 'done' : 'skipped', result: created };
  }
}

/**
 * A refusal of one write that monday words as an authorization error (HTTP 200 with
 * UserUnauthorizedException, status_code 403: a board the token's user may read but not change) is
 * that record's refusal, dropped like a 403 elsewhere; a revoked token answers HTTP 401 and stays
 * auth_revoked (client.ts classifyMonday, README Behaviour 9).
 */
function recordRefusal(err: unknown): unknown {
  if (err instanceof ConnectorError && err.kind === 'auth_revoked' && err.details.status !== 401) {
    return new ConnectorError('auth_revoked', err.message, { ...err.details, status: 403 });
  }
  return err;
}

/**
 * The run a drain outside a sync (a review timer's) records its monday calls against: none (the nil
 * uuid matches no run, so the calls are only counted against the day).
 */
const NO_RUN = '00000000-0000-0000-0000-000000000000';

/**
 * The monday sender of one drain: on the connection's MondaySession (activities/monday.ts), so that its
 * writes share the credential's limiter and complexity budgets with the reads and count against the
 * account's stored daily call count, which is saved with each item's outcome.
 */
function mondaySender(deps: ActivityDeps, cfg: MondayConnectionConfig, counter: CallCounter, syncRunId: string | undefined): Sender {
  let opened: Promise<{ session: MondaySession; sender: MondayItemSender }> | null = null;
  const open = () =>
    (opened ??= MondaySession.open(deps, cfg).then((session) => ({
      session,
      sender: new MondayItemSender(new MondayWriter({ client: session.client }), { connectionId: cfg.id, opsField: deps.config().enforcement.ops_status_field, stage: cfg.stage }),
    })));
  /** The calls sent so far: into the drain's counts, and the account's daily count saved. */
  const save = async (session: MondaySession, tx: PoolClient) => {
    for (const [op, n] of Object.entries(session.client.counter.drain())) counter.add(op, n);
    await session.flush(tx, syncRunId ?? NO_RUN);
  };
  const itemState = async (itemId: string): Promise<MondayItemState | null> => {
    const { rows } = await deps.db.query<{ board_id: string; raw: unknown; fields: Record<string, unknown>; hash: string }>(
      `SELECT p.external_id AS board_id, a.raw, a.fields, a.hash FROM core.assets a JOIN core.projects p ON p.id = a.project_id
        WHERE a.connection_id = $1 AND a.external_id = $2 AND a.deleted_at IS NULL`,
      [cfg.id, itemId],
    );
    const r = rows[0];
    if (!r) return null;
    return { boardId: r.board_id, raw: r.raw, fields: r.fields, hash: r.hash, written: await writtenMetrics(deps, cfg.id, 'monday_item', itemId) };
  };
  return async (rows) => {
    const { session, sender } = await open();
    const itemId = rows[0]!.target_external_id;
    try {
      const item = await itemState(itemId);
      if (rows[0]!.op === 'comment') return { outcomes: new Map([[rows[0]!.id, await sender.sendComment(rows[0]!, itemId, item)]]), record: (tx) => save(session, tx) };
      if (!MERGED.monday_item!.includes(rows[0]!.op)) throw new ConnectorError('invalid_config', `monday.com cannot ${rows[0]!.op}`);
      const { outcomes, metrics } = await sender.sendColumns(rows, itemId, item);
      return {
        outcomes,
        record: async (tx: PoolClient) => {
          if (metrics) await recordMetricWrite(tx, { connectionId: cfg.id, targetKind: 'monday_item', targetExternalId: itemId, assetId: metrics.row.asset_id, values: metrics.values, observedHash: item?.hash ?? null });
          await save(session, tx);
        },
      };
    } catch (err) {
      // What was sent before the failure still counts against the day (monday's DAILY_LIMIT_EXCEEDED spends it).
      await withTransaction(deps.db, (tx) => save(session, tx));
      throw recordRefusal(err);
    }
  };
}

// ------------------------------------------------------------------------------------------- Notion

/** A Notion page as last pulled: what its writes are compared with. */
export interface NotionPageState {
  /** The data source the page is a row of (its project's external id). */
  dataSourceId: string;
  /** The page as last pulled (core.assets.raw): its property values and parent. */
  raw: unknown;
  /** Its values by property name (core.assets.fields; numbers as numbers). */
  fields: Record<string, unknown>;
  /** Its content hash as last pulled. */
  hash: string;
  /** What Stageline last wrote into its metric properties (ops.metric_writes). */
  written: { values: Partial<Record<Metric, unknown>>; observedHash: string | null; seq: number } | null;
}

interface NotionSchema {
  id: string;
  title: string;
  /** The data source's properties by name, with those Stageline created in this drain. */
  properties: Record<string, NotionPropertyConfigRaw>;
  opsProperty?: Promise<NotionPropertyConfigRaw>;
  metricProperties: Map<string, Promise<Record<Metric, NotionPropertyConfigRaw>>>;
  /** The last creation of missing properties together (createMissing); later ones wait for it. */
  creating?: Promise<void>;
}

/** Property types the Ops status can be written into: an option by name, or its label as text. */
const OPS_PROPERTY_TYPES = ['status', 'select', 'rich_text'] as const;

/** `1f2e…` and `1f2e-…` name the same Notion object: compared without dashes, in lower case. */
const bareId = (id: string) => id.replace(/-/g, '').toLowerCase();

/** The stage source of a page: its data source's entry, else its database's, else `*` (config.ts NotionConnectionConfig.stage). */
function notionStageSourceOf(stage: NotionStageConfig, ids: readonly (string | undefined)[]): NotionStageConfig[string] | undefined {
  for (const id of ids) {
    if (!id) continue;
    const key = Object.keys(stage).find((k) => k !== '*' && bareId(k) === bareId(id));
    if (key) return stage[key];
  }
  return Object.hasOwn(stage, '*') ? stage['*'] : undefined;
}

function optionNames(p: NotionPropertyConfigRaw): string[] {
  return ((p.type === 'status' ? p.status?.options : p.select?.options) ?? []).map((o) => o.name);
}

/**
 * The writes of one Notion connection's pages (vendor-apis.md §3.6), on a NotionWriter: a page's Ops
 * status, metrics and stage revert in ONE `PATCH /v1/pages/{id}` with only the properties that differ
 * from what the page holds (nothing sent when none does); a comment is one stamped `POST /v1/comments`.
 * Each data source's schema is read once per drain (`GET /v1/data_sources/{id}`: its properties and
 * their options, so that a write is checked before it is sent); the Ops status property (status,
 * select or rich text) and the three metric number properties are found by name, or created once (the
 * Ops status as a select with the Ops status options) with one `PATCH /v1/data_sources/{id}`.
 */
export class NotionPageSender {
  private readonly schemas = new Map<string, Promise<NotionSchema>>();
  /** Each page's comments as listed in this drain, with those Stageline added since. */
  private readonly comments = new Map<string, Promise<unknown[]>>();

  constructor(
    readonly writer: NotionWriter,
    private readonly opts: { connectionId: string; opsField: string; stage: NotionStageConfig },
  ) {}

  private schema(dataSourceId: string): Promise<NotionSchema> {
    let s = this.schemas.get(dataSourceId);
    if (!s) {
      s = this.writer.client.dataSource(dataSourceId).then((ds) => ({
        id: ds.id, title: ds.title.map((t) => t.plain_text ?? '').join(''), properties: { ...ds.properties }, metricProperties: new Map(),
      }));
      // A failed read is not cached: the next page of the data source tries again.
      s.catch(() => this.schemas.delete(dataSourceId));
      this.schemas.set(dataSourceId, s);
    }
    return s;
  }

  /** The data source's Ops status property, found by name or created as a select with the Ops status options (once per drain). */
  private opsProperty(schema: NotionSchema): Promise<NotionPropertyConfigRaw> {
    schema.opsProperty ??= this.writer
      .ensureProperties(schema.id, schema.properties, [{ name: this.opts.opsField, create: { select: OPS_STATUS_OPTIONS }, accept: OPS_PROPERTY_TYPES }])
      .then((r) => {
        const p = r.properties[this.opts.opsField]!;
        schema.properties[p.name] = p;
        return p;
      });
    return schema.opsProperty;
  }

  /** The data source's number property of each metric, found by name or created with the number format (once per drain and set of names). */
  private metricProperties(schema: NotionSchema, names: Record<Metric, string>): Promise<Record<Metric, NotionPropertyConfigRaw>> {
    const key = JSON.stringify(METRICS.map((m) => names[m]));
    let p = schema.metricProperties.get(key);
    if (!p) {
      p = this.writer.ensureProperties(schema.id, schema.properties, METRICS.map((m) => ({ name: names[m], create: { number: true as const }, accept: ['number'] }))).then((r) => {
        const out = {} as Record<Metric, NotionPropertyConfigRaw>;
        for (const m of METRICS) {
          out[m] = r.properties[names[m]]!;
          schema.properties[out[m].name] = out[m];
        }
        return out;
      });
      schema.metricProperties.set(key, p);
    }
    return p;
  }

  /**
   * The Ops status and metric properties a page's rows need and the data source lacks, created together
   * in ONE `PATCH /v1/data_sources/{id}` (opsProperty and metricProperties then find them by name), so a
   * data source missing both gets one schema write, not two (outbox-notion.unit.test.ts). Creations of a
   * data source run one after another, so a second page finds what the first created. A refusal
   * (invalid_config) is left to those lookups, which create and drop each property's rows alone.
   */
  private async createMissing(schema: NotionSchema, metricNames: Record<Metric, string>): Promise<void> {
    const wanted = [
      { name: this.opts.opsField, create: { select: OPS_STATUS_OPTIONS }, accept: OPS_PROPERTY_TYPES },
      ...METRICS.map((m) => ({ name: metricNames[m], create: { number: true as const }, accept: ['number'] })),
    ];
    const run = async (): Promise<void> => {
      const missing = wanted.filter((w) => !findSchemaProperty(schema.properties, w.name));
      // Only when both kinds are missing is there anything to save; one kind alone goes through its lookup.
      if (!missing.some((w) => w.name === this.opts.opsField) || !missing.some((w) => w.name !== this.opts.opsField)) return;
      const r = await this.writer.ensureProperties(schema.id, schema.properties, missing);
      for (const name of r.created) schema.properties[r.properties[name]!.name] = r.properties[name]!;
    };
    const next = (schema.creating ?? Promise.resolve()).then(run, run);
    schema.creating = next.catch(() => undefined);
    try {
      await next;
    } catch (err) {
      if (!(err instanceof ConnectorError && err.kind === 'invalid_config')) throw err;
    }
  }

  /**
   * The Ops status, stage and metrics rows of one page in one `PATCH /v1/pages/{id}` (rows in id order:
   * a later row's value wins): each property set to its row's value, properties that already hold it
   * left out, nothing sent when none is left. A row that cannot be written (an option the property
   * lacks, no option for the stage, a property of the wrong type) is dropped alone, naming the page,
   * the property and the option; the rest is sent.
   */
  async sendProperties(rows: OutboxRow[], pageId: string, page: NotionPageState | null): Promise<{ outcomes: Map<string, Outcome>; metrics: { row: OutboxRow; values: ToolValues } | null }> {
    if (!page) throw new ConnectorError('not_found', `Notion page ${pageId} is not stored (deleted, or never synced)`);
    const schema = await this.schema(page.dataSourceId);
    const where = `Notion page ${pageId} (data source ${schema.id} "${schema.title}")`;
    const outcomes = new Map<string, Outcome>();
    const drop = (r: OutboxRow, error: string) => outcomes.set(r.id, { state: 'dropped', error });
    let current: Record<string, PropertyWrite> = {};
    try {
      current = propertyWriteForm(page.raw);
    } catch {
      // A page stored in another shape: nothing is known to be held, every target is sent.
    }
    const wantsOps = rows.some((r) => r.op === 'set_field') && !schema.opsProperty;
    const wantsMetrics = latestMetrics(rows)?.fields ?? null;
    if (wantsOps && wantsMetrics && !schema.metricProperties.has(JSON.stringify(METRICS.map((m) => wantsMetrics[m])))) await this.createMissing(schema, wantsMetrics);
    const target: Record<string, PropertyWrite> = {};
    const included: OutboxRow[] = [];
    const results = new Map<string, unknown>();
    /** `name` of a status or select property, checked against its options (never created). */
    const option = (p: NotionPropertyConfigRaw, names: readonly string[], what: string): PropertyWrite | string => {
      const options = optionNames(p);
      const name = names.find((n) => options.includes(n));
      if (name === undefined) {
        return `${where}: ${p.type} property "${p.name}" has no option ${names.map((n) => `"${n}"`).join(' or ') || '(none in the stage map)'} for ${what} (options: ${options.map((o) => `"${o}"`).join(', ') || 'none'}); add it in Notion (options are never created)`;
      }
      return p.type === 'status' ? { status: name } : { select: name };
    };

    for (const row of rows.filter((r) => r.op === 'set_field')) {
      const { value } = row.payload as { field: string; value: string };
      const prop = await orDrop(outcomes, row, () => this.opsProperty(schema));
      if (!prop) continue;
      const w = prop.type === 'rich_text' ? { rich_text: value } : option(prop, [value], `the Ops status "${value}"`);
      if (typeof w === 'string') {
        drop(row, w);
        continue;
      }
      target[prop.name] = w;
      results.set(row.id, { property: prop.name, value });
      included.push(row);
    }

    for (const row of rows.filter((r) => r.op === 'set_stage')) {
      const { stage } = row.payload as { stage: string };
      const parent = NotionPageRaw.safeParse(page.raw);
      const source = notionStageSourceOf(this.opts.stage, [schema.id, parent.success ? parent.data.parent.database_id : undefined]);
      if (!source) {
        drop(row, `connection ${this.opts.connectionId}: no stage source for ${where}`);
        continue;
      }
      const prop = findProperty(schema.properties, source.property);
      if (!prop || (prop.type !== 'status' && prop.type !== 'select')) {
        drop(row, `${where}: ${prop ? `property "${prop.name}" is a ${prop.type} property, not status or select` : `no stage property "${source.property}"`}`);
        continue;
      }
      const names = Object.entries(source.map).filter(([, s]) => s === stage).map(([name]) => name);
      const held = current[prop.name];
      const heldName = held && ('status' in held ? held.status : 'select' in held ? held.select : null);
      if (typeof heldName === 'string' && names.includes(heldName)) {
        outcomes.set(row.id, { state: 'skipped', result: { property: prop.name, option: heldName } });
        continue;
      }
      const w = option(prop, names, `stage "${stage}"`);
      if (typeof w === 'string') {
        drop(row, w);
        continue;
      }
      target[prop.name] = w;
      results.set(row.id, { property: prop.name, option: (w as { status?: string; select?: string }).status ?? (w as { select?: string }).select });
      included.push(row);
    }

    const metrics = latestMetrics(rows);
    const metricRows = rows.filter((r) => r.op === 'set_metrics');
    let metricsIncluded = false;
    if (metrics && !metrics.fields) {
      for (const r of metricRows) drop(r, 'a metrics write for a Notion page without its property names');
    } else if (metrics?.fields) {
      const names = metrics.fields;
      const props = await orDrop(outcomes, metrics.row, () => this.metricProperties(schema, names));
      if (!props) for (const r of metricRows) outcomes.set(r.id, outcomes.get(metrics.row.id)!);
      else {
        const held = heldValues({ pulled: Object.fromEntries(METRICS.map((m) => [m, page.fields[props[m].name]])), pulledHash: page.hash, written: page.written });
        for (const m of METRICS) {
          const v = metrics.values[m];
          const name = props[m].name;
          target[name] = { number: typeof v === 'number' ? v : v === null ? null : Number(v) };
          // What the property holds as Stageline knows it (its write overlays a stale pull).
          const h = held[m];
          if (h === null || h === undefined) current[name] = { number: null };
          else if (typeof h === 'number') current[name] = { number: h };
          else delete current[name];
        }
        metricsIncluded = true;
      }
    }

    const live = [...included, ...(metricsIncluded ? metricRows : [])];
    if (live.length) {
      const sent = await this.writer.setProperties(pageId, target, current, { schema: schema.properties });
      for (const r of live) {
        const result = r.op === 'set_metrics' ? (r === metrics!.row ? { values: metrics!.values } : 'superseded') : results.get(r.id);
        outcomes.set(r.id, { state: sent ? 'done' : 'skipped', result });
      }
    }
    return { outcomes, metrics: metricsIncluded ? { row: metrics!.row, values: metrics!.values } : null };
  }

  /**
   * One stamped comment on the page; none when the page's comments already carry its stamp. The
   * page's comments are listed live (once per page per drain), not taken from the last pull: the
   * pull leaves Stageline's own stamped comments out (normalize.ts), and a send that crashed after
   * Notion took the comment must find it there, not post it twice.
   */
  async sendComment(row: OutboxRow, pageId: string): Promise<Outcome> {
    const { text } = row.payload as { text: string };
    let listed = this.comments.get(pageId);
    if (!listed) {
      listed = this.writer.client.comments(pageId);
      listed.catch(() => this.comments.delete(pageId));
      this.comments.set(pageId, listed);
    }
    const existing = await listed;
    const key = readStamp(text);
    const created = await this.writer.addComment(pageId, text, existing, key ? { stampKey: key } : {});
    if (created) existing.push(text);
    return { state: created ? 'done' : 'skipped', result: created };
  }
}

/** The Notion sender of one drain: a NotionPageSender on the credential's limiter (writes share the read budget). */
function notionSender(deps: ActivityDeps, cfg: NotionConnectionConfig, counter: CallCounter): Sender {
  const writer = new NotionWriter({ token: cfg.token, ...(cfg.base_url ? { baseUrl: cfg.base_url } : {}), limiter: limiterFor(deps, cfg), counter });
  const sender = new NotionPageSender(writer, { connectionId: cfg.id, opsField: deps.config().enforcement.ops_status_field, stage: cfg.stage });
  const pageState = async (pageId: string): Promise<NotionPageState | null> => {
    const { rows } = await deps.db.query<{ data_source_id: string; raw: unknown; fields: Record<string, unknown>; hash: string }>(
      `SELECT p.external_id AS data_source_id, a.raw, a.fields, a.hash FROM core.assets a JOIN core.projects p ON p.id = a.project_id
        WHERE a.connection_id = $1 AND a.external_id = $2 AND a.deleted_at IS NULL`,
      [cfg.id, pageId],
    );
    const r = rows[0];
    if (!r) return null;
    return { dataSourceId: r.data_source_id, raw: r.raw, fields: r.fields, hash: r.hash, written: await writtenMetrics(deps, cfg.id, 'notion_page', pageId) };
  };
  return async (rows) => {
    const first = rows[0]!;
    const pageId = first.target_external_id;
    if (first.op === 'comment') return { outcomes: new Map([[first.id, await sender.sendComment(first, pageId)]]) };
    if (!MERGED.notion_page!.includes(first.op)) throw new ConnectorError('invalid_config', `Notion cannot ${first.op}`);
    const page = await pageState(pageId);
    const { outcomes, metrics } = await sender.sendProperties(rows, pageId, page);
    return {
      outcomes,
      ...(metrics
        ? { record: (tx: PoolClient) => recordMetricWrite(tx, { connectionId: cfg.id, targetKind: 'notion_page', targetExternalId: pageId, assetId: metrics.row.asset_id, values: metrics.values, observedHash: page?.hash ?? null }) }
        : {}),
    };
  };
}

/** Connections with writes waiting. */
export async function connectionsWithPendingWrites(db: ActivityDeps['db'] | PoolClient): Promise<string[]> {
  const { rows } = await db.query<{ connection_id: string }>(`SELECT DISTINCT connection_id FROM ops.outbox WHERE state = 'pending' ORDER BY 1`);
  return rows.map((r) => r.connection_id);
}
