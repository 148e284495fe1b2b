// Stageline's PostgreSQL store: one transaction commits a page of normalized records together with
// the cursor that covers it (STYLE.md §9), the fetch-queue changes and the rejected records.
import type { Pool, PoolClient } from 'pg';
import type { Asset, AssetLink, Batch, Comment, Decision, Person, Project, StageTransition, Version } from '../../mapping/model';
import { contentHash, stableId } from '../../mapping/ids';
import { upsertRows, type Column, type UpsertResult } from './upsert';

export type Db = Pool;

export async function withTransaction<T>(db: Db, fn: (client: PoolClient) => Promise<T>): Promise<T> {
  const client = await db.connect();
  try {
    await client.query('BEGIN');
    const out = await fn(client);
    await client.query('COMMIT');
    return out;
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw err;
  } finally {
    client.release();
  }
}

// ---------------------------------------------------------------- batch commit

const hashOf = (r: { raw?: unknown }, extra: Record<string, unknown>) => contentHash({ ...extra, raw: r.raw ?? null });
const strip = <T extends { raw?: unknown }>(r: T) => {
  const { raw: _raw, ...rest } = r;
  return rest;
};

const personCols: Column<Person>[] = [
  { name: 'id', type: 'uuid', get: (r) => r.id },
  { name: 'email', type: 'text', get: (r) => r.email?.toLowerCase() ?? null },
  { name: 'name', type: 'text', get: (r) => r.name },
  { name: 'hash', type: 'text', get: (r) => contentHash({ email: r.email?.toLowerCase() ?? null, name: r.name }) },
];
const projectCols: Column<Project>[] = [
  { name: 'id', type: 'uuid', get: (r) => r.id },
  { name: 'connection_id', type: 'text', get: (r) => r.connectionId },
  { name: 'external_id', type: 'text', get: (r) => r.externalId },
  { name: 'name', type: 'text', get: (r) => r.name },
  { name: 'url', type: 'text', get: (r) => r.url },
  { name: 'archived', type: 'boolean', get: (r) => r.archived },
  { name: 'remote_created_at', type: 'timestamptz', get: (r) => r.remoteCreatedAt },
  { name: 'remote_updated_at', type: 'timestamptz', get: (r) => r.remoteUpdatedAt },
  { name: 'raw', type: 'jsonb', get: (r) => r.raw },
  { name: 'hash', type: 'text', get: (r) => hashOf(r, strip(r)) },
];
const assetCols: Column<Asset>[] = [
  { name: 'id', type: 'uuid', get: (r) => r.id },
  { name: 'connection_id', type: 'text', get: (r) => r.connectionId },
  { name: 'external_id', type: 'text', get: (r) => r.externalId },
  { name: 'project_id', type: 'uuid', get: (r) => r.projectId },
  { name: 'name', type: 'text', get: (r) => r.name },
  { name: 'asset_type', type: 'text', get: (r) => r.assetType },
  { name: 'stage', type: 'text', get: (r) => r.stage },
  { name: 'source_status', type: 'text', get: (r) => r.sourceStatus },
  { name: 'owner_id', type: 'uuid', get: (r) => r.ownerId },
  { name: 'due_on', type: 'date', get: (r) => r.dueOn },
  { name: 'due_at', type: 'timestamptz', get: (r) => r.dueAt },
  { name: 'completed_at', type: 'timestamptz', get: (r) => r.completedAt },
  { name: 'url', type: 'text', get: (r) => r.url },
  { name: 'fields', type: 'jsonb', get: (r) => r.fields },
  { name: 'remote_created_at', type: 'timestamptz', get: (r) => r.remoteCreatedAt },
  { name: 'remote_updated_at', type: 'timestamptz', get: (r) => r.remoteUpdatedAt },
  { name: 'raw', type: 'jsonb', get: (r) => r.raw },
  { name: 'hash', type: 'text', get: (r) => hashOf(r, strip(r)) },
];
const linkCols: Column<AssetLink>[] = [
  { name: 'id', type: 'uuid', get: (r) => r.id },
  { name: 'asset_id', type: 'uuid', get: (r) => r.assetId },
  { name: 'connection_id', type: 'text', get: (r) => r.connectionId },
  { name: 'kind', type: 'text', get: (r) => r.kind },
  { name: 'external_id', type: 'text', get: (r) => r.externalId },
  { name: 'url', type: 'text', get: (r) => r.url },
  { name: 'via', type: 'text', get: (r) => r.via },
  { name: 'hash', type: 'text', get: (r) => contentHash(r) },
];
const versionCols: Column<Version>[] = [
  { name: 'id', type: 'uuid', get: (r) => r.id },
  { name: 'connection_id', type: 'text', get: (r) => r.connectionId },
  { name: 'external_id', type: 'text', get: (r) => r.externalId },
  { name: 'asset_id', type: 'uuid', get: (r) => r.assetId },
  { name: 'number', type: 'int4', get: (r) => r.number },
  { name: 'name', type: 'text', get: (r) => r.name },
  { name: 'source', type: 'text', get: (r) => r.source },
  { name: 'url', type: 'text', get: (r) => r.url },
  { name: 'host', type: 'text', get: (r) => r.host },
  { name: 'size_bytes', type: 'int8', get: (r) => r.sizeBytes },
  { name: 'checksum', type: 'text', get: (r) => r.checksum },
  { name: 'created_by', type: 'uuid', get: (r) => r.createdById },
  { name: 'remote_created_at', type: 'timestamptz', get: (r) => r.createdAt },
  { name: 'raw', type: 'jsonb', get: (r) => r.raw },
  { name: 'hash', type: 'text', get: (r) => hashOf(r, strip(r)) },
];
const commentCols: Column<Comment>[] = [
  { name: 'id', type: 'uuid', get: (r) => r.id },
  { name: 'connection_id', type: 'text', get: (r) => r.connectionId },
  { name: 'external_id', type: 'text', get: (r) => r.externalId },
  { name: 'asset_id', type: 'uuid', get: (r) => r.assetId },
  { name: 'author_id', type: 'uuid', get: (r) => r.authorId },
  { name: 'body', type: 'text', get: (r) => r.body },
  { name: 'thread_external_id', type: 'text', get: (r) => r.threadExternalId },
  { name: 'remote_created_at', type: 'timestamptz', get: (r) => r.createdAt },
  { name: 'raw', type: 'jsonb', get: (r) => r.raw },
  { name: 'hash', type: 'text', get: (r) => hashOf(r, { ...strip(r), versionId: undefined }) },
];
const decisionCols: Column<Decision>[] = [
  { name: 'id', type: 'uuid', get: (r) => r.id },
  { name: 'connection_id', type: 'text', get: (r) => r.connectionId },
  { name: 'external_id', type: 'text', get: (r) => r.externalId },
  { name: 'asset_id', type: 'uuid', get: (r) => r.assetId },
  { name: 'decision', type: 'text', get: (r) => r.decision },
  { name: 'reviewer_id', type: 'uuid', get: (r) => r.reviewerId },
  { name: 'role', type: 'text', get: (r) => r.role },
  { name: 'decided_at', type: 'timestamptz', get: (r) => r.decidedAt },
  { name: 'raw', type: 'jsonb', get: (r) => r.raw },
  { name: 'hash', type: 'text', get: (r) => hashOf(r, { ...strip(r), versionId: undefined }) },
];
const transitionCols: Column<StageTransition>[] = [
  { name: 'id', type: 'uuid', get: (r) => r.id },
  { name: 'connection_id', type: 'text', get: (r) => r.connectionId },
  { name: 'external_id', type: 'text', get: (r) => r.externalId },
  { name: 'asset_id', type: 'uuid', get: (r) => r.assetId },
  { name: 'from_stage', type: 'text', get: (r) => r.fromStage },
  { name: 'to_stage', type: 'text', get: (r) => r.toStage },
  { name: 'from_status', type: 'text', get: (r) => r.fromStatus },
  { name: 'to_status', type: 'text', get: (r) => r.toStatus },
  { name: 'at', type: 'timestamptz', get: (r) => r.at },
  { name: 'actor_id', type: 'uuid', get: (r) => r.actorId },
  { name: 'source', type: 'text', get: (r) => r.source },
  { name: 'raw', type: 'jsonb', get: (r) => r.raw },
];

export type KindCounts = Record<string, UpsertResult>;
export interface CommitCounts {
  records: KindCounts;
  rejected: number;
  tombstoned: number;
}

/**
 * Writes one batch inside the caller's transaction. Unchanged rows are skipped by their content hash;
 * a changed stage with no history record that explains it gets an `observed` transition.
 */
export async function commitBatch(client: PoolClient, batch: Batch, ctx: { connectionId: string; syncRunId: string | null; now: string }): Promise<CommitCounts> {
  const records: KindCounts = {};
  const persons = batch.persons;
  records.persons = await upsertRows(client, 'core.persons', personCols, persons, { softDelete: false });
  const identities = [...new Map(persons.filter((p) => p.identity).map((p) => [`${p.identity!.connectionId}\u001f${p.identity!.externalId}`, p])).values()];
  if (identities.length) {
    await client.query(
      `INSERT INTO core.person_identities (connection_id, external_id, person_id)
       SELECT * FROM unnest($1::text[], $2::text[], $3::uuid[])
       ON CONFLICT (connection_id, external_id) DO UPDATE SET person_id = EXCLUDED.person_id, updated_at = now()
       WHERE core.person_identities.person_id IS DISTINCT FROM EXCLUDED.person_id`,
      [identities.map((p) => p.identity!.connectionId), identities.map((p) => p.identity!.externalId), identities.map((p) => p.id)],
    );
  }
  records.projects = await upsertRows(client, 'core.projects', projectCols, batch.projects);

  const observed = await observedTransitions(client, batch, ctx.now);
  records.assets = await upsertRows(client, 'core.assets', assetCols, batch.assets);
  records.links = await upsertRows(client, 'core.asset_links', linkCols, batch.links);
  records.versions = await upsertRows(client, 'core.versions', versionCols, batch.versions);
  records.comments = await upsertRows(client, 'core.comments', commentCols, batch.comments);
  records.decisions = await upsertRows(client, 'core.decisions', decisionCols, batch.decisions);
  records.transitions = await upsertRows(client, 'core.stage_transitions', transitionCols, [...batch.transitions, ...observed], { appendOnly: true });

  let tombstoned = 0;
  for (const t of batch.tombstones) {
    if (!t.ids.length) continue;
    const table = { asset: 'core.assets', version: 'core.versions', comment: 'core.comments', decision: 'core.decisions' }[t.kind];
    const r = await client.query(`UPDATE ${table} SET deleted_at = $2, updated_at = now() WHERE id = ANY($1::uuid[]) AND deleted_at IS NULL`, [t.ids, t.at]);
    tombstoned += r.rowCount ?? 0;
    if (t.kind === 'asset') {
      await client.query(`UPDATE core.asset_links SET deleted_at = $2, updated_at = now() WHERE asset_id = ANY($1::uuid[]) AND via = 'primary' AND deleted_at IS NULL`, [t.ids, t.at]);
    }
  }

  tombstoned += await applyCompleteSets(client, batch, ctx);
  const touched = [...new Set([...batch.versions, ...batch.comments, ...batch.decisions].map((r) => r.assetId))];
  await attributeVersions(client, touched);

  if (batch.rejected.length) {
    const rows = [...new Map(batch.rejected.map((r) => [`${r.stream}\u001f${r.externalId ?? ''}`, r])).values()];
    await client.query(
      `INSERT INTO ops.rejected_records (connection_id, sync_run_id, stream, external_id, code, path, message, issues, raw)
       SELECT $1, $2, * FROM unnest($3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::jsonb[], $9::jsonb[])
       ON CONFLICT (connection_id, stream, external_id) DO UPDATE SET
         sync_run_id = EXCLUDED.sync_run_id, code = EXCLUDED.code, path = EXCLUDED.path, message = EXCLUDED.message,
         issues = EXCLUDED.issues, raw = EXCLUDED.raw, occurrences = ops.rejected_records.occurrences + 1,
         last_seen_at = now(), resolved_at = NULL`,
      [
        ctx.connectionId,
        ctx.syncRunId,
        rows.map((r) => r.stream),
        rows.map((r) => r.externalId ?? ''),
        rows.map((r) => r.issues[0]?.code ?? 'invalid'),
        rows.map((r) => (r.issues[0]?.path ?? []).join('.')),
        rows.map((r) => r.issues.map((i) => `${i.path.join('.') || '(record)'}: ${i.message}`).join('; ')),
        rows.map((r) => JSON.stringify(r.issues)),
        rows.map((r) => JSON.stringify(r.raw ?? null)),
      ],
    );
  }
  // A record that now normalizes cleanly resolves its earlier rejection.
  const accepted = batch.assets.map((a) => a.externalId);
  if (accepted.length) {
    await client.query(
      `UPDATE ops.rejected_records SET resolved_at = now() WHERE connection_id = $1 AND external_id = ANY($2::text[]) AND resolved_at IS NULL AND stream = 'tasks'`,
      [ctx.connectionId, accepted],
    );
  }
  return { records, rejected: batch.rejected.length, tombstoned };
}

/** Rows of a complete child list that the vendor no longer returns are tombstoned (per connection). */
async function applyCompleteSets(client: PoolClient, batch: Batch, ctx: { connectionId: string; now: string }): Promise<number> {
  let n = 0;
  const groups = new Map<string, { assetIds: string[]; keep: string[] }>();
  for (const c of batch.complete) {
    const key = `${c.kind}:${c.scope}`;
    const g = groups.get(key) ?? { assetIds: [], keep: [] };
    g.assetIds.push(c.assetId);
    g.keep.push(...c.ids);
    groups.set(key, g);
  }
  for (const [key, g] of groups) {
    const [kind, scope] = key.split(':') as ['version' | 'comment' | 'decision', 'asset' | 'threads' | 'all'];
    const table = { version: 'core.versions', comment: 'core.comments', decision: 'core.decisions' }[kind];
    const scopeSql = kind !== 'comment' || scope === 'all' ? '' : scope === 'asset' ? ' AND thread_external_id IS NULL' : ' AND thread_external_id IS NOT NULL';
    const r = await client.query(
      `UPDATE ${table} SET deleted_at = $4, updated_at = now()
        WHERE connection_id = $1 AND asset_id = ANY($2::uuid[]) AND deleted_at IS NULL AND NOT (id = ANY($3::uuid[]))${scopeSql}`,
      [ctx.connectionId, g.assetIds, g.keep, ctx.now],
    );
    n += r.rowCount ?? 0;
  }
  return n;
}

/**
 * A comment or decision is about the version that was current when it was made: the newest live
 * version created at or before it, whichever tool the version came from.
 */
export async function attributeVersions(client: PoolClient, assetIds: string[]): Promise<void> {
  if (!assetIds.length) return;
  for (const [table, at] of [['core.comments', 'remote_created_at'], ['core.decisions', 'decided_at']] as const) {
    await client.query(
      `UPDATE ${table} t SET version_id = x.vid FROM (
         SELECT r.id, (SELECT v.id FROM core.versions v
                        WHERE v.asset_id = r.asset_id AND v.deleted_at IS NULL AND v.remote_created_at <= r.${at}
                        ORDER BY v.remote_created_at DESC, v.number DESC LIMIT 1) AS vid
           FROM ${table} r WHERE r.asset_id = ANY($1::uuid[])) x
       WHERE t.id = x.id AND t.version_id IS DISTINCT FROM x.vid`,
      [assetIds],
    );
  }
}

/** Assets whose stored stage differs from the new one, with no history record in the batch that explains it. */
async function observedTransitions(client: PoolClient, batch: Batch, now: string): Promise<StageTransition[]> {
  if (!batch.assets.length) return [];
  const { rows } = await client.query<{ id: string; stage: string | null; source_status: string | null }>(
    'SELECT id, stage, source_status FROM core.assets WHERE id = ANY($1::uuid[])',
    [batch.assets.map((a) => a.id)],
  );
  const stored = new Map(rows.map((r) => [r.id, r]));
  const explained = new Set(batch.transitions.map((t) => `${t.assetId}\u001f${t.toStatus ?? ''}`));
  const out: StageTransition[] = [];
  for (const a of batch.assets) {
    const before = stored.get(a.id);
    if (!before || before.source_status === a.sourceStatus) continue;
    if (explained.has(`${a.id}\u001f${a.sourceStatus ?? ''}`)) continue;
    const at = a.remoteUpdatedAt ?? now;
    out.push({
      id: stableId(a.connectionId, 'observed_transition', `${a.externalId}:${at}:${a.sourceStatus ?? ''}`),
      connectionId: a.connectionId,
      externalId: `${a.externalId}@${at}`,
      assetId: a.id,
      fromStage: before.stage,
      toStage: a.stage,
      fromStatus: before.source_status,
      toStatus: a.sourceStatus,
      at,
      actorId: null,
      source: 'observed',
      raw: null,
    });
  }
  return out;
}

// ---------------------------------------------------------------- cursors

export async function getCursor<T>(db: Db | PoolClient, connectionId: string, stream: string): Promise<T | null> {
  const { rows } = await db.query<{ cursor: T }>('SELECT cursor FROM ops.sync_cursors WHERE connection_id = $1 AND stream = $2', [connectionId, stream]);
  return rows[0]?.cursor ?? null;
}

export async function setCursor(client: PoolClient, connectionId: string, stream: string, cursor: unknown): Promise<void> {
  await client.query(
    `INSERT INTO ops.sync_cursors (connection_id, stream, cursor) VALUES ($1, $2, $3::jsonb)
     ON CONFLICT (connection_id, stream) DO UPDATE SET cursor = EXCLUDED.cursor, updated_at = now()`,
    [connectionId, stream, JSON.stringify(cursor)],
  );
}

export async function deleteCursor(client: PoolClient, connectionId: string, stream: string): Promise<void> {
  await client.query('DELETE FROM ops.sync_cursors WHERE connection_id = $1 AND stream = $2', [connectionId, stream]);
}

// ---------------------------------------------------------------- fetch queue

export interface QueueItem {
  externalId: string;
  needs: string[];
  detail?: Record<string, unknown>;
}

/** Adds items; an item already queued gets the union of both needs lists. */
export async function enqueue(client: PoolClient, connectionId: string, scope: string, items: QueueItem[]): Promise<void> {
  if (!items.length) return;
  const merged = new Map<string, QueueItem>();
  for (const it of items) {
    const prev = merged.get(it.externalId);
    merged.set(it.externalId, prev ? { externalId: it.externalId, needs: [...new Set([...prev.needs, ...it.needs])], detail: { ...prev.detail, ...it.detail } } : it);
  }
  const rows = [...merged.values()];
  await client.query(
    `INSERT INTO ops.fetch_queue (connection_id, scope, external_id, needs, detail)
     SELECT $1, $2, x.external_id, ARRAY(SELECT jsonb_array_elements_text(x.needs)), x.detail
       FROM unnest($3::text[], $4::jsonb[], $5::jsonb[]) AS x(external_id, needs, detail)
     ON CONFLICT (connection_id, scope, external_id) DO UPDATE SET
       needs = ARRAY(SELECT DISTINCT unnest(ops.fetch_queue.needs || EXCLUDED.needs) ORDER BY 1),
       detail = ops.fetch_queue.detail || EXCLUDED.detail`,
    [connectionId, scope, rows.map((r) => r.externalId), rows.map((r) => JSON.stringify(r.needs)), rows.map((r) => JSON.stringify(r.detail ?? {}))],
  );
}

export async function peekQueue(db: Db | PoolClient, connectionId: string, scope: string, limit: number): Promise<QueueItem[]> {
  const { rows } = await db.query<{ external_id: string; needs: string[]; detail: Record<string, unknown> }>(
    'SELECT external_id, needs, detail FROM ops.fetch_queue WHERE connection_id = $1 AND scope = $2 ORDER BY seq LIMIT $3',
    [connectionId, scope, limit],
  );
  return rows.map((r) => ({ externalId: r.external_id, needs: r.needs, detail: r.detail }));
}

export async function queueLength(db: Db | PoolClient, connectionId: string, scope?: string): Promise<number> {
  const { rows } = await db.query<{ n: string }>(
    `SELECT count(*) AS n FROM ops.fetch_queue WHERE connection_id = $1 AND ($2::text IS NULL OR scope = $2)`,
    [connectionId, scope ?? null],
  );
  return Number(rows[0]?.n ?? 0);
}

export async function dequeue(client: PoolClient, connectionId: string, scope: string, externalIds: string[]): Promise<void> {
  if (!externalIds.length) return;
  await client.query('DELETE FROM ops.fetch_queue WHERE connection_id = $1 AND scope = $2 AND external_id = ANY($3::text[])', [connectionId, scope, externalIds]);
}

// ---------------------------------------------------------------- full-crawl deletion detection

export async function markSeen(client: PoolClient, connectionId: string, scope: string, externalIds: string[]): Promise<void> {
  if (!externalIds.length) return;
  await client.query(
    `INSERT INTO ops.crawl_seen (connection_id, scope, external_id) SELECT $1, $2, unnest($3::text[]) ON CONFLICT DO NOTHING`,
    [connectionId, scope, externalIds],
  );
}

export async function clearSeen(client: PoolClient, connectionId: string, scope: string): Promise<void> {
  await client.query('DELETE FROM ops.crawl_seen WHERE connection_id = $1 AND scope = $2', [connectionId, scope]);
}

/** At the end of a complete crawl of a project: its live assets the crawl did not see are tombstoned. */
export async function tombstoneUnseenAssets(client: PoolClient, connectionId: string, scope: string, projectId: string, at: string): Promise<number> {
  const r = await client.query(
    `UPDATE core.assets a SET deleted_at = $4, updated_at = now()
      WHERE a.connection_id = $1 AND a.project_id = $3 AND a.deleted_at IS NULL
        AND NOT EXISTS (SELECT 1 FROM ops.crawl_seen s WHERE s.connection_id = $1 AND s.scope = $2 AND s.external_id = a.external_id)`,
    [connectionId, scope, projectId, at],
  );
  await clearSeen(client, connectionId, scope);
  return r.rowCount ?? 0;
}

// ---------------------------------------------------------------- connections and runs

export type ConnectionState = 'idle' | 'syncing' | 'ok' | 'auth_failed' | 'error';

export async function ensureConnection(db: Db | PoolClient, c: { id: string; vendor: string; configHash?: string }): Promise<void> {
  await db.query(
    `INSERT INTO ops.connections (id, vendor, config_hash) VALUES ($1, $2, $3)
     ON CONFLICT (id) DO UPDATE SET vendor = EXCLUDED.vendor, config_hash = COALESCE(EXCLUDED.config_hash, ops.connections.config_hash), updated_at = now()`,
    [c.id, c.vendor, c.configHash ?? null],
  );
}

export async function setConnectionState(db: Db | PoolClient, id: string, state: ConnectionState, message: string | null = null): Promise<void> {
  const failed = state === 'auth_failed' || state === 'error';
  await db.query(
    `UPDATE ops.connections SET state = $2, state_message = $3, updated_at = now(),
        last_sync_started_at = CASE WHEN $2 = 'syncing' THEN now() ELSE last_sync_started_at END,
        last_sync_finished_at = CASE WHEN $2 IN ('ok','auth_failed','error') THEN now() ELSE last_sync_finished_at END,
        last_success_at = CASE WHEN $2 = 'ok' THEN now() ELSE last_success_at END,
        last_error = CASE WHEN $4 THEN $3 ELSE last_error END,
        last_error_at = CASE WHEN $4 THEN now() ELSE last_error_at END
      WHERE id = $1`,
    [id, state, message, failed],
  );
}

export async function startRun(db: Db | PoolClient, run: { id: string; connectionId: string; mode: 'full' | 'incremental'; workflowId?: string; workflowRunId?: string }): Promise<void> {
  await db.query(
    `INSERT INTO ops.sync_runs (id, connection_id, mode, workflow_id, workflow_run_id) VALUES ($1, $2, $3, $4, $5)
     ON CONFLICT (id) DO NOTHING`,
    [run.id, run.connectionId, run.mode, run.workflowId ?? null, run.workflowRunId ?? null],
  );
}

/** Adds this page's counts and API calls to the run's totals (jsonb sums), in the page's transaction. */
export async function addRunCounts(client: PoolClient | Db, runId: string, counts: Record<string, number>, apiCalls: Record<string, number>): Promise<void> {
  await client.query(
    `UPDATE ops.sync_runs SET
       counts = (SELECT coalesce(jsonb_object_agg(k, v), '{}'::jsonb) FROM (
                  SELECT k, sum(v::numeric) AS v FROM (
                    SELECT key AS k, value AS v FROM jsonb_each_text(counts)
                    UNION ALL SELECT key, value FROM jsonb_each_text($2::jsonb)) s GROUP BY k) t),
       api_calls = (SELECT coalesce(jsonb_object_agg(k, v), '{}'::jsonb) FROM (
                  SELECT k, sum(v::numeric) AS v FROM (
                    SELECT key AS k, value AS v FROM jsonb_each_text(api_calls)
                    UNION ALL SELECT key, value FROM jsonb_each_text($3::jsonb)) s GROUP BY k) t)
     WHERE id = $1`,
    [runId, JSON.stringify(counts), JSON.stringify(apiCalls)],
  );
}

export async function finishRun(db: Db | PoolClient, runId: string, status: 'succeeded' | 'failed', error: string | null = null): Promise<void> {
  await db.query(`UPDATE ops.sync_runs SET status = $2, error = $3, finished_at = now() WHERE id = $1`, [runId, status, error]);
}

/** Flattens commit counts into run counters: `<kind>.inserted`, `<kind>.updated`, `<kind>.unchanged`, `rejected`, `tombstoned`. */
export function countsOf(c: CommitCounts): Record<string, number> {
  const out: Record<string, number> = { rejected: c.rejected, tombstoned: c.tombstoned };
  for (const [kind, r] of Object.entries(c.records)) {
    if (r.inserted) out[`${kind}.inserted`] = r.inserted;
    if (r.updated) out[`${kind}.updated`] = r.updated;
    if (r.unchanged) out[`${kind}.unchanged`] = r.unchanged;
  }
  return out;
}
