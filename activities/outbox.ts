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
import type { PoolClient } from 'pg';
import type { AsanaConnectionConfig, ConnectionConfig, DriveConnectionConfig } from '../mapping/config';
import { AsanaClient } from '../connectors/asana/client';
import { AsanaWriter } from '../connectors/asana/writeback';
import { DriveWriter } from '../connectors/drive/writeback';
import { CallCounter, ConnectorError } from '../connectors/types';
import { limiterFor, type ActivityDeps } from './context';
import { OPS_STATUS_OPTIONS } from './enforce';
import { addRunCounts, withTransaction } from './db/store';

export interface DrainResult {
  done: number;
  skipped: number;
  dropped: number;
  pending: number;
  apiCalls: Record<string, number>;
}

interface OutboxRow {
  id: string;
  target_kind: string;
  target_external_id: string;
  op: 'set_field' | 'set_stage' | 'comment' | 'set_app_properties';
  payload: Record<string, unknown>;
  asset_id: string | null;
  violation_id: string | null;
}

const BATCH = 50;

export async function drainOutbox(deps: ActivityDeps, input: { connectionId: string; syncRunId?: string }): Promise<DrainResult> {
  const cfg = deps.config().connections.find((c) => c.id === input.connectionId);
  const result: DrainResult = { done: 0, skipped: 0, dropped: 0, pending: 0, apiCalls: {} };
  if (!cfg) return result;
  const counter = new CallCounter();
  const sender = senderFor(deps, cfg, counter);
  for (;;) {
    const { rows } = await deps.db.query<OutboxRow>(
      `SELECT id, target_kind, target_external_id, op, payload, asset_id, violation_id FROM ops.outbox
        WHERE connection_id = $1 AND state = 'pending' ORDER BY id LIMIT $2`,
      [cfg.id, BATCH],
    );
    if (!rows.length) break;
    // One at a time, in order: a stage move before its comment, and no parallel writes on one record.
    for (const row of rows) {
      let outcome: { state: 'done' | 'skipped' | 'dropped'; result?: unknown; error?: string };
      try {
        const r = await sender(row);
        outcome = { state: r.sent ? 'done' : 'skipped', result: r.result ?? null };
      } catch (err) {
        // A 403 on one record is that record's refusal (no access to this task or file), not a revoked
        // token (that is a 401): it is dropped like a deleted target, and the sync goes on.
        if (err instanceof ConnectorError && (err.kind === 'not_found' || err.kind === 'invalid_config' || err.details.status === 403)) {
          outcome = { state: 'dropped', error: err.message };
        } else {
          await deps.db.query(`UPDATE ops.outbox SET attempts = attempts + 1, last_error = $2 WHERE id = $1`, [row.id, err instanceof Error ? err.message : String(err)]);
          await record(deps, input.syncRunId, result, counter);
          throw err;
        }
      }
      await withTransaction(deps.db, async (tx) => {
        await tx.query(`UPDATE ops.outbox SET state = $2, result = $3, last_error = $4, attempts = attempts + 1, done_at = now() WHERE id = $1`, [
          row.id, outcome.state, JSON.stringify(outcome.result ?? null), outcome.error ?? null,
        ]);
        if (outcome.state === 'dropped' && row.violation_id) {
          await tx.query(`UPDATE ops.violations SET write_error = $2, write_error_at = now() WHERE id = $1`, [row.violation_id, `${row.op} on ${row.target_kind} ${row.target_external_id}: ${outcome.error}`]);
        }
      });
      result[outcome.state]++;
      deps.heartbeat?.({ outbox: cfg.id, written: result.done });
    }
  }
  await record(deps, input.syncRunId, result, counter);
  return result;
}

async function record(deps: ActivityDeps, syncRunId: string | undefined, result: DrainResult, counter: CallCounter): Promise<void> {
  const calls = counter.drain();
  for (const [k, v] of Object.entries(calls)) result.apiCalls[k] = (result.apiCalls[k] ?? 0) + v;
  if (!syncRunId) return;
  await withTransaction(deps.db, (tx) =>
    addRunCounts(tx, syncRunId, { 'writes.done': result.done, 'writes.skipped': result.skipped, 'writes.dropped': result.dropped }, calls),
  );
}

type Sender = (row: OutboxRow) => Promise<{ sent: boolean; result?: unknown }>;

function senderFor(deps: ActivityDeps, cfg: ConnectionConfig, counter: CallCounter): Sender {
  if (cfg.vendor === 'asana') return asanaSender(deps, cfg, counter);
  return driveSender(deps, cfg, counter);
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

  const ensureOpsField = async () => {
    if (field) return field;
    const { rows } = await deps.db.query<{ external_id: string }>(`SELECT external_id FROM core.projects WHERE connection_id = $1 AND deleted_at IS NULL ORDER BY external_id`, [cfg.id]);
    field = await writer.ensureEnumField(cfg.workspace, rows.map((r) => r.external_id), opsField, OPS_STATUS_OPTIONS);
    return field;
  };
  const taskState = async (taskGid: string) => {
    const { rows } = await deps.db.query<{ fields: Record<string, unknown>; project: string | null; source_status: string | null }>(
      `SELECT a.fields, p.external_id AS project, a.source_status FROM core.assets a LEFT JOIN core.projects p ON p.id = a.project_id
        WHERE a.connection_id = $1 AND a.external_id = $2`,
      [cfg.id, taskGid],
    );
    return rows[0] ?? null;
  };

  return async (row) => {
    const task = row.target_external_id;
    switch (row.op) {
      case 'set_field': {
        const { value } = row.payload as { field: string; value: string };
        const f = await ensureOpsField();
        const option = f.options[value];
        if (!option) throw new ConnectorError('invalid_config', `Asana field "${opsField}" has no option "${value}"`);
        const state = await taskState(task);
        const currentName = state?.fields[opsField];
        const current = typeof currentName === 'string' && f.options[currentName] ? { [f.fieldGid]: f.options[currentName]! } : { [f.fieldGid]: null };
        const sent = await writer.setCustomFields(task, { [f.fieldGid]: option }, current);
        return { sent, result: { field: f.fieldGid, option } };
      }
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
}

function driveSender(deps: ActivityDeps, cfg: DriveConnectionConfig, counter: CallCounter): Sender {
  const limiter = limiterFor(deps, cfg);
  const writer = new DriveWriter({ token: cfg.token, ...(cfg.base_url ? { baseUrl: cfg.base_url } : {}), limiter, counter });
  return async (row) => {
    const fileId = row.target_external_id;
    switch (row.op) {
      case 'set_app_properties': {
        const { properties } = row.payload as { properties: Record<string, string> };
        const { rows } = await deps.db.query<{ app_properties: Record<string, string> }>(`SELECT app_properties FROM core.files WHERE connection_id = $1 AND external_id = $2`, [cfg.id, fileId]);
        const sent = await writer.setAppProperties(fileId, properties, rows[0]?.app_properties ?? {});
        return { sent };
      }
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
}

/** Connections with writes waiting. */
export async function connectionsWithPendingWrites(db: ActivityDeps['db'] | PoolClient): Promise<string[]> {
  const { rows } = await db.query<{ connection_id: string }>(`SELECT DISTINCT connection_id FROM ops.outbox WHERE state = 'pending' ORDER BY 1`);
  return rows.map((r) => r.connection_id);
}
