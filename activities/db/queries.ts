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
  /** For file-store connections (Drive): live files and how linking placed them; null for task tools. */
  files: { total: number; linked: number; orphan: number; misnamed: number; conflict: number; trashed: number; revisions: number; comments: number } | null;
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
            (SELECT json_build_object(
               'total', (SELECT count(*) FROM core.files f WHERE f.connection_id = c.id AND NOT f.is_folder AND f.deleted_at IS NULL),
               'trashed', (SELECT count(*) FROM core.files f WHERE f.connection_id = c.id AND NOT f.is_folder AND f.deleted_at IS NOT NULL),
               'revisions', (SELECT count(*) FROM core.file_revisions x WHERE x.connection_id = c.id AND x.deleted_at IS NULL),
               'comments', (SELECT count(*) FROM core.file_comments x WHERE x.connection_id = c.id AND x.deleted_at IS NULL),
               'states', (SELECT coalesce(jsonb_object_agg(state, n), '{}'::jsonb) FROM (SELECT state, count(*) AS n FROM ops.file_links l WHERE l.connection_id = c.id GROUP BY 1) s))
              WHERE EXISTS (SELECT 1 FROM core.files f WHERE f.connection_id = c.id)) AS files,
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
      files: r.files
        ? {
            total: Number(r.files.total), linked: Number(r.files.states?.linked ?? 0), orphan: Number(r.files.states?.orphan ?? 0),
            misnamed: Number(r.files.states?.misnamed ?? 0), conflict: Number(r.files.states?.conflict ?? 0), trashed: Number(r.files.trashed),
            revisions: Number(r.files.revisions), comments: Number(r.files.comments),
          }
        : null,
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

export interface FileAttention {
  connectionId: string;
  fileId: string;
  name: string;
  state: 'orphan' | 'misnamed' | 'conflict' | 'linked';
  reason: string | null;
  suggestion: string | null;
  /** The asset the file is (still) linked to, when it is: a renamed file keeps its link and is reported. */
  assetName: string | null;
  /** True when the file keeps the link it had before its name broke the pattern. */
  keptLink: boolean;
  since: string;
}

/** Files that need attention (orphans, misnamed, conflicts), misnamed first: what `stageline status` lists. */
export async function filesNeedingAttention(db: Db, connectionId?: string, limit = 20): Promise<FileAttention[]> {
  const { rows } = await db.query(
    `SELECT l.connection_id, l.external_id, l.name, l.state, l.reason, l.suggestion, a.name AS asset_name, coalesce((l.detail ->> 'keptLink')::boolean, false) AS kept_link, l.since
       FROM ops.file_links l LEFT JOIN core.assets a ON a.id = l.asset_id
      WHERE l.state <> 'linked' AND ($1::text IS NULL OR l.connection_id = $1)
      ORDER BY CASE l.state WHEN 'conflict' THEN 0 WHEN 'misnamed' THEN 1 ELSE 2 END, l.since DESC, l.name LIMIT $2`,
    [connectionId ?? null, limit],
  );
  return rows.map((r) => ({
    connectionId: r.connection_id, fileId: r.external_id, name: r.name, state: r.state, reason: r.reason, suggestion: r.suggestion,
    assetName: r.asset_name, keptLink: r.kept_link, since: r.since.toISOString(),
  }));
}
