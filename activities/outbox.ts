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
// Field writes to one record are sent together: the pending Ops status and metrics writes of an Asana
// task are one PUT /tasks/{gid}, the pending appProperties and metrics writes of a Drive file one
// PATCH; each row keeps its own outcome. One drain per connection at a time (an advisory lock): two
// syncs that both find writes waiting for a connection do not send them twice.
import type { PoolClient } from 'pg';
import type { AsanaConnectionConfig, ConnectionConfig, DriveConnectionConfig } from '../mapping/config';
import { AsanaClient } from '../connectors/asana/client';
import { AsanaWriter, type CustomFieldWrites, type EnsuredNumberFields } from '../connectors/asana/writeback';
import { DriveWriter } from '../connectors/drive/writeback';
import { CallCounter, ConnectorError } from '../connectors/types';
import { limiterFor, type ActivityDeps } from './context';
import { OPS_STATUS_OPTIONS } from './enforce';
import { addRunCounts, withTransaction } from './db/store';
import { APP_PROPERTY, METRICS, METRIC_PRECISION, heldValues, recordMetricWrite, type Metric, type ToolValues } from './metrics';

export interface DrainResult {
  done: number;
  skipped: number;
  dropped: number;
  pending: number;
  apiCalls: Record<string, number>;
}

type Op = 'set_field' | 'set_stage' | 'comment' | 'set_app_properties' | 'set_metrics';

interface OutboxRow {
  id: string;
  target_kind: string;
  target_external_id: string;
  op: Op;
  payload: Record<string, unknown>;
  asset_id: string | null;
  violation_id: string | null;
}

type Outcome = { state: 'done' | 'skipped' | 'dropped'; result?: unknown; error?: string };

const BATCH = 50;
/** Operations sent together when they are pending for the same record: field writes of one task, appProperties of one file. */
const MERGED: Record<string, readonly Op[]> = { asana_task: ['set_field', 'set_metrics'], drive_file: ['set_app_properties', 'set_metrics'] };
const ROW_COLUMNS = 'id, target_kind, target_external_id, op, payload, asset_id, violation_id';

export async function drainOutbox(deps: ActivityDeps, input: { connectionId: string; syncRunId?: string }): Promise<DrainResult> {
  const cfg = deps.config().connections.find((c) => c.id === input.connectionId);
  const result: DrainResult = { done: 0, skipped: 0, dropped: 0, pending: 0, apiCalls: {} };
  if (!cfg) return result;
  const unlock = await lockConnection(deps, cfg.id);
  try {
    const counter = new CallCounter();
    const sender = senderFor(deps, cfg, counter);
    for (;;) {
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
    addRunCounts(tx, syncRunId, { 'writes.done': result.done, 'writes.skipped': result.skipped, 'writes.dropped': result.dropped }, calls),
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

function senderFor(deps: ActivityDeps, cfg: ConnectionConfig, counter: CallCounter): Sender {
  if (cfg.vendor === 'asana') return asanaSender(deps, cfg, counter);
  return driveSender(deps, cfg, counter);
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

/** Connections with writes waiting. */
export async function connectionsWithPendingWrites(db: ActivityDeps['db'] | PoolClient): Promise<string[]> {
  const { rows } = await db.query<{ connection_id: string }>(`SELECT DISTINCT connection_id FROM ops.outbox WHERE state = 'pending' ORDER BY 1`);
  return rows.map((r) => r.connection_id);
}
