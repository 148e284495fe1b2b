// Read-side queries for the CLI, the API and the demo's summary.
import type { Db } from './store';

export interface ConnectionSummary {
  connectionId: string;
  vendor: string;
  state: string;
  stateMessage: string | null;
  lastSyncFinishedAt: string | null;
  lastSuccessAt: string | null;
  lastError: string | null;
  cursorAgeSeconds: number | null;
  projects: number;
  assets: number;
  assetsByStage: Record<string, number>;
  versions: number;
  comments: number;
  decisions: number;
  transitions: number;
  deletedAssets: number;
  rejectedOpen: number;
  lastRun: { id: string; mode: string; status: string; startedAt: string; finishedAt: string | null; apiCalls: Record<string, number>; apiCallsTotal: number; counts: Record<string, number>; error: string | null } | null;
}

export async function connectionSummaries(db: Db, connectionId?: string): Promise<ConnectionSummary[]> {
  const { rows } = await db.query(
    `SELECT c.id, c.vendor, c.state, c.state_message, c.last_sync_finished_at, c.last_success_at, c.last_error,
            (SELECT extract(epoch FROM now() - max(updated_at)) FROM ops.sync_cursors s WHERE s.connection_id = c.id) AS cursor_age,
            (SELECT count(*) FROM core.projects p WHERE p.connection_id = c.id AND p.deleted_at IS NULL) AS projects,
            (SELECT count(*) FROM core.assets a WHERE a.connection_id = c.id AND a.deleted_at IS NULL) AS assets,
            (SELECT count(*) FROM core.assets a WHERE a.connection_id = c.id AND a.deleted_at IS NOT NULL) AS deleted_assets,
            (SELECT coalesce(jsonb_object_agg(stage, n), '{}'::jsonb) FROM (
               SELECT coalesce(a.stage, '(unmapped)') AS stage, count(*) AS n FROM core.assets a
                WHERE a.connection_id = c.id AND a.deleted_at IS NULL GROUP BY 1) s) AS by_stage,
            (SELECT count(*) FROM core.versions v WHERE v.connection_id = c.id AND v.deleted_at IS NULL) AS versions,
            (SELECT count(*) FROM core.comments v WHERE v.connection_id = c.id AND v.deleted_at IS NULL) AS comments,
            (SELECT count(*) FROM core.decisions v WHERE v.connection_id = c.id AND v.deleted_at IS NULL) AS decisions,
            (SELECT count(*) FROM core.stage_transitions v WHERE v.connection_id = c.id) AS transitions,
            (SELECT count(*) FROM ops.rejected_records r WHERE r.connection_id = c.id AND r.resolved_at IS NULL) AS rejected_open,
            (SELECT row_to_json(r) FROM (SELECT id, mode, status, started_at, finished_at, api_calls, counts, error
               FROM ops.sync_runs r WHERE r.connection_id = c.id ORDER BY started_at DESC LIMIT 1) r) AS last_run
       FROM ops.connections c WHERE ($1::text IS NULL OR c.id = $1) ORDER BY c.id`,
    [connectionId ?? null],
  );
  const num = (o: Record<string, unknown> | null | undefined) => Object.fromEntries(Object.entries(o ?? {}).map(([k, v]) => [k, Number(v)]));
  return rows.map((r) => {
    const run = r.last_run as Record<string, unknown> | null;
    const apiCalls = num(run?.api_calls as Record<string, unknown>);
    return {
      connectionId: r.id,
      vendor: r.vendor,
      state: r.state,
      stateMessage: r.state_message,
      lastSyncFinishedAt: r.last_sync_finished_at?.toISOString?.() ?? null,
      lastSuccessAt: r.last_success_at?.toISOString?.() ?? null,
      lastError: r.last_error,
      cursorAgeSeconds: r.cursor_age === null ? null : Math.round(Number(r.cursor_age)),
      projects: Number(r.projects),
      assets: Number(r.assets),
      assetsByStage: num(r.by_stage),
      versions: Number(r.versions),
      comments: Number(r.comments),
      decisions: Number(r.decisions),
      transitions: Number(r.transitions),
      deletedAssets: Number(r.deleted_assets),
      rejectedOpen: Number(r.rejected_open),
      lastRun: run
        ? {
            id: String(run.id), mode: String(run.mode), status: String(run.status), startedAt: String(run.started_at),
            finishedAt: run.finished_at ? String(run.finished_at) : null, apiCalls, apiCallsTotal: Object.values(apiCalls).reduce((a, b) => a + b, 0),
            counts: num(run.counts as Record<string, unknown>), error: (run.error as string | null) ?? null,
          }
        : null,
    };
  });
}

export async function rejectedRecords(db: Db, connectionId: string, limit = 20): Promise<{ stream: string; externalId: string; code: string; path: string; message: string; occurrences: number; lastSeenAt: string }[]> {
  const { rows } = await db.query(
    `SELECT stream, external_id, code, path, message, occurrences, last_seen_at FROM ops.rejected_records
      WHERE connection_id = $1 AND resolved_at IS NULL ORDER BY last_seen_at DESC LIMIT $2`,
    [connectionId, limit],
  );
  return rows.map((r) => ({ stream: r.stream, externalId: r.external_id, code: r.code, path: r.path, message: r.message, occurrences: r.occurrences, lastSeenAt: r.last_seen_at.toISOString() }));
}
