// Stageline's PostgreSQL store: one transaction commits a page of normalized records together with
// the cursor that covers it (STYLE.md §9), the fetch-queue changes and the rejected records.
import type { Pool, PoolClient } from 'pg';
import type { Asset, AssetLink, Batch, Comment, Decision, Person, Project, StageTransition, Version } from '../../mapping/model';
import { canonicalJsonChecked, contentHash, contentHashWith, stableId } from '../../mapping/ids';
import { commitFiles } from './files';
import { dedupe, JsonText, planUpsert, runUpsert, upsertRows, type Column, type UpsertPlan, type UpsertResult } from './upsert';

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

/**
 * A row ready to be written: its content hash, and its raw vendor payload serialized once, as the
 * canonical JSON the hash is made of, stored as jsonb as it is (jsonb does not keep key order).
 */
interface Prepared<R> {
  r: R;
  hash: string;
  raw: JsonText | unknown;
}

const strip = <T extends { raw?: unknown }>(r: T) => {
  const { raw: _raw, ...rest } = r;
  return rest;
};

/** Hash of `{ ...fields, raw }` (contentHash, as always), serializing the raw payload only once. */
function prepareWithRaw<R extends { raw?: unknown }>(r: R, fields: Record<string, unknown>): Prepared<R> {
  const raw = r.raw ?? null;
  const canonical = canonicalJsonChecked(raw);
  return {
    r,
    hash: contentHashWith(fields, 'raw', canonical.text),
    // What is stored is the payload itself; its canonical text is the same JSON document but for key order.
    raw: raw === null ? null : canonical.sameAsStringify ? new JsonText(canonical.text) : raw,
  };
}

const personCols: Column<Prepared<Person>>[] = [
  { name: 'id', type: 'uuid', get: (p) => p.r.id },
  { name: 'email', type: 'text', get: (p) => p.r.email?.toLowerCase() ?? null },
  { name: 'name', type: 'text', get: (p) => p.r.name },
  { name: 'hash', type: 'text', get: (p) => p.hash },
];
const projectCols: Column<Prepared<Project>>[] = [
  { name: 'id', type: 'uuid', get: (p) => p.r.id },
  { name: 'connection_id', type: 'text', get: (p) => p.r.connectionId },
  { name: 'external_id', type: 'text', get: (p) => p.r.externalId },
  { name: 'name', type: 'text', get: (p) => p.r.name },
  { name: 'url', type: 'text', get: (p) => p.r.url },
  { name: 'archived', type: 'boolean', get: (p) => p.r.archived },
  { name: 'remote_created_at', type: 'timestamptz', get: (p) => p.r.remoteCreatedAt },
  { name: 'remote_updated_at', type: 'timestamptz', get: (p) => p.r.remoteUpdatedAt },
  { name: 'raw', type: 'jsonb', get: (p) => p.raw },
  { name: 'hash', type: 'text', get: (p) => p.hash },
];
const assetCols: Column<Prepared<Asset>>[] = [
  { name: 'id', type: 'uuid', get: (p) => p.r.id },
  { name: 'connection_id', type: 'text', get: (p) => p.r.connectionId },
  { name: 'external_id', type: 'text', get: (p) => p.r.externalId },
  { name: 'project_id', type: 'uuid', get: (p) => p.r.projectId },
  { name: 'name', type: 'text', get: (p) => p.r.name },
  { name: 'asset_type', type: 'text', get: (p) => p.r.assetType },
  { name: 'stage', type: 'text', get: (p) => p.r.stage },
  { name: 'source_status', type: 'text', get: (p) => p.r.sourceStatus },
  { name: 'owner_id', type: 'uuid', get: (p) => p.r.ownerId },
  { name: 'due_on', type: 'date', get: (p) => p.r.dueOn },
  { name: 'due_at', type: 'timestamptz', get: (p) => p.r.dueAt },
  { name: 'completed_at', type: 'timestamptz', get: (p) => p.r.completedAt },
  { name: 'url', type: 'text', get: (p) => p.r.url },
  { name: 'fields', type: 'jsonb', get: (p) => p.r.fields },
  { name: 'file_refs', type: 'jsonb', get: (p) => p.r.fileRefs },
  { name: 'remote_created_at', type: 'timestamptz', get: (p) => p.r.remoteCreatedAt },
  { name: 'remote_updated_at', type: 'timestamptz', get: (p) => p.r.remoteUpdatedAt },
  { name: 'raw', type: 'jsonb', get: (p) => p.raw },
  { name: 'hash', type: 'text', get: (p) => p.hash },
];
const linkCols: Column<Prepared<AssetLink>>[] = [
  { name: 'id', type: 'uuid', get: (p) => p.r.id },
  { name: 'asset_id', type: 'uuid', get: (p) => p.r.assetId },
  { name: 'connection_id', type: 'text', get: (p) => p.r.connectionId },
  { name: 'kind', type: 'text', get: (p) => p.r.kind },
  { name: 'external_id', type: 'text', get: (p) => p.r.externalId },
  { name: 'url', type: 'text', get: (p) => p.r.url },
  { name: 'via', type: 'text', get: (p) => p.r.via },
  { name: 'hash', type: 'text', get: (p) => p.hash },
];
const versionCols: Column<Prepared<Version>>[] = [
  { name: 'id', type: 'uuid', get: (p) => p.r.id },
  { name: 'connection_id', type: 'text', get: (p) => p.r.connectionId },
  { name: 'external_id', type: 'text', get: (p) => p.r.externalId },
  { name: 'asset_id', type: 'uuid', get: (p) => p.r.assetId },
  { name: 'number', type: 'int4', get: (p) => p.r.number },
  { name: 'name', type: 'text', get: (p) => p.r.name },
  { name: 'source', type: 'text', get: (p) => p.r.source },
  { name: 'url', type: 'text', get: (p) => p.r.url },
  { name: 'host', type: 'text', get: (p) => p.r.host },
  { name: 'size_bytes', type: 'int8', get: (p) => p.r.sizeBytes },
  { name: 'checksum', type: 'text', get: (p) => p.r.checksum },
  { name: 'file_ref', type: 'text', get: (p) => p.r.fileRef },
  { name: 'created_by', type: 'uuid', get: (p) => p.r.createdById },
  { name: 'remote_created_at', type: 'timestamptz', get: (p) => p.r.createdAt },
  { name: 'raw', type: 'jsonb', get: (p) => p.raw },
  { name: 'hash', type: 'text', get: (p) => p.hash },
];
const commentCols: Column<Prepared<Comment>>[] = [
  { name: 'id', type: 'uuid', get: (p) => p.r.id },
  { name: 'connection_id', type: 'text', get: (p) => p.r.connectionId },
  { name: 'external_id', type: 'text', get: (p) => p.r.externalId },
  { name: 'asset_id', type: 'uuid', get: (p) => p.r.assetId },
  { name: 'author_id', type: 'uuid', get: (p) => p.r.authorId },
  { name: 'body', type: 'text', get: (p) => p.r.body },
  { name: 'thread_external_id', type: 'text', get: (p) => p.r.threadExternalId },
  { name: 'remote_created_at', type: 'timestamptz', get: (p) => p.r.createdAt },
  { name: 'raw', type: 'jsonb', get: (p) => p.raw },
  { name: 'hash', type: 'text', get: (p) => p.hash },
];
const decisionCols: Column<Prepared<Decision>>[] = [
  { name: 'id', type: 'uuid', get: (p) => p.r.id },
  { name: 'connection_id', type: 'text', get: (p) => p.r.connectionId },
  { name: 'external_id', type: 'text', get: (p) => p.r.externalId },
  { name: 'asset_id', type: 'uuid', get: (p) => p.r.assetId },
  { name: 'decision', type: 'text', get: (p) => p.r.decision },
  { name: 'reviewer_id', type: 'uuid', get: (p) => p.r.reviewerId },
  { name: 'role', type: 'text', get: (p) => p.r.role },
  { name: 'decided_at', type: 'timestamptz', get: (p) => p.r.decidedAt },
  { name: 'raw', type: 'jsonb', get: (p) => p.raw },
  { name: 'hash', type: 'text', get: (p) => p.hash },
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

/** The version current when a comment or decision (the unnested row `u`) was made; see attributeVersions. */
const versionAt = (at: string) => ({
  name: 'version_id',
  sql: `(SELECT v.id FROM core.versions v WHERE v.asset_id = u.asset_id AND v.deleted_at IS NULL AND v.remote_created_at <= u.${at}
          ORDER BY v.remote_created_at DESC, v.number DESC LIMIT 1)`,
});

export type KindCounts = Record<string, UpsertResult>;
export interface CommitCounts {
  records: KindCounts;
  rejected: number;
  tombstoned: number;
}

/**
 * Rows of one kind de-duplicated by id, the last occurrence kept in the place of the first (one
 * statement cannot touch a row twice), prepared (hashed) only when first needed, slice by slice.
 */
class Lazy<R extends { id: string }> {
  readonly rows: { r: R }[];
  private readonly prepared: (Prepared<R> | undefined)[] = [];
  constructor(
    rows: R[],
    private readonly prepare: (r: R) => Prepared<R>,
  ) {
    this.rows = dedupe(rows, (r) => r.id).map((r) => ({ r }));
  }
  get length(): number {
    return this.rows.length;
  }
  slice(from: number, to: number): Prepared<R>[] {
    const end = Math.min(to, this.rows.length);
    const out: Prepared<R>[] = [];
    for (let i = from; i < end; i++) out.push((this.prepared[i] ??= this.prepare(this.rows[i]!.r)));
    return out;
  }
  all(): Prepared<R>[] {
    return this.slice(0, this.rows.length);
  }
  /** Plans a statement for a slice, then lets go of its prepared rows (large texts) once they are serialized. */
  plan(from: number, to: number, make: (rows: Prepared<R>[]) => UpsertPlan): UpsertPlan {
    const plan = make(this.slice(from, to));
    for (let i = from; i < Math.min(to, this.rows.length); i++) this.prepared[i] = undefined;
    return plan;
  }
}

const byId = (p: { r: { id: string } }) => p.r.id;
const identityKey = (p: Person) => `${p.identity!.connectionId}\u001f${p.identity!.externalId}`;
const counts = ({ inserted, updated, unchanged }: UpsertResult): UpsertResult => ({ inserted, updated, unchanged });
const withoutVersion = <T extends { raw?: unknown }>(r: T) => ({ ...strip(r), versionId: undefined });

/**
 * Writes one batch inside the caller's transaction. Unchanged rows are skipped by their content hash;
 * a changed stage with no history record that explains it gets an `observed` transition.
 *
 * How it stays cheap (the semantics are those of one upsert per table guarded by the content hash):
 * - What is stored is read first (readParents, readChildren), one index probe per row, and rows
 *   stored unchanged are not even sent. The children of an asset that did not exist before this batch
 *   cannot exist either (foreign keys), so they are neither looked up nor checked against complete
 *   lists nor re-attributed to versions: there is nothing stored to compare them with.
 * - Comments and decisions get their version as they are written; only a change of versions of an
 *   asset that already existed re-attributes that asset's comments and decisions afterwards.
 * - Hashing (the client's main work) runs while Postgres executes the previous statement.
 * - JIT is off for the transaction: these statements are short, and on tables that have not been
 *   analyzed yet (a first sync) the planner's estimates are far too high and would JIT-compile them on
 *   every page, at many times their run time.
 */
export async function commitBatch(client: PoolClient, batch: Batch, ctx: { connectionId: string; syncRunId: string | null; now: string }): Promise<CommitCounts> {
  const records: KindCounts = {};
  const add = (kind: string) => (r: UpsertResult) => {
    const k = (records[kind] ??= { inserted: 0, updated: 0, unchanged: 0 });
    k.inserted += r.inserted;
    k.updated += r.updated;
    k.unchanged += r.unchanged;
  };

  const versions = new Lazy(batch.versions, (r) => prepareWithRaw(r, strip(r)));
  const assetIds = new Set<string>(batch.assets.map((a) => a.id));
  for (const rows of [batch.links, batch.versions, batch.comments, batch.decisions, batch.transitions, batch.complete.filter(isAssetSet)]) for (const r of rows) assetIds.add(r.assetId);
  const assets = new Lazy(batch.assets, (r) => prepareWithRaw(r, strip(r)));
  const links = new Lazy(batch.links, (r) => ({ r, hash: contentHash(r), raw: null }));
  const comments = new Lazy(batch.comments, (r) => prepareWithRaw(r, withoutVersion(r)));
  const decisions = new Lazy(batch.decisions, (r) => prepareWithRaw(r, withoutVersion(r)));
  const ASSET_SLICE = 50;
  let persons: Prepared<Person>[] = [];
  let projects: Prepared<Project>[] = [];
  // The first hashes are made while Postgres reads what is stored, the next ones while it writes.
  const parents = await during(readParents(client, ctx.connectionId, [...assetIds], versions.rows), () => {
    persons = batch.persons.map((r) => ({ r, hash: contentHash({ email: r.email?.toLowerCase() ?? null, name: r.name }), raw: null }));
    projects = batch.projects.map((r) => prepareWithRaw(r, strip(r)));
    assets.slice(0, ASSET_SLICE);
  });

  records.persons = counts(await during(upsertRows(client, 'core.persons', personCols, persons, { softDelete: false, key: byId }), () => links.all()));
  const identities = dedupe(batch.persons.filter((p) => p.identity), identityKey);
  if (identities.length) {
    await client.query(
      `INSERT INTO core.person_identities (connection_id, external_id, person_id)
       SELECT * FROM unnest($1::text[], $2::text[], $3::uuid[])
       ON CONFLICT (connection_id, external_id) DO UPDATE SET person_id = EXCLUDED.person_id, updated_at = now()
       WHERE core.person_identities.person_id IS DISTINCT FROM EXCLUDED.person_id`,
      [identities.map((p) => p.identity!.connectionId), identities.map((p) => p.identity!.externalId), identities.map((p) => p.id)],
    );
  }
  records.projects = counts(await upsertRows(client, 'core.projects', projectCols, projects, { key: byId }));
  const observed = observedTransitions(batch, parents.stages, ctx.now);

  let stored = (_kind: string) => (_row: { r: { id: string } }): boolean => false;
  if (parents.existing.size) {
    // Some rows may be stored already: compare them first, and send only what changed.
    const existed = (r: { r: { assetId: string } }) => parents.existing.has(r.r.assetId);
    const children = await readChildren(client, {
      assets: assets.all().filter((a) => parents.existing.has(a.r.id)),
      links: links.all().filter(existed),
      versions: versions.all().filter(existed),
      comments: comments.all().filter(existed),
      decisions: decisions.all().filter(existed),
      transitions: batch.transitions.filter((t) => parents.existing.has(t.assetId)),
    });
    stored = children.unchanged;
  }

  // Assets that existed and whose live versions changed: their comments and decisions may now belong to another version.
  const versionsChanged = new Set<string>(parents.versionsMovedFrom);
  const storedTransitions = stored('transitions');
  // One statement per table (the assets, with large payloads, in slices), each prepared (hashed,
  // serialized) while Postgres runs the one before.
  const assetSteps = [];
  for (let from = 0; from < assets.length || from === 0; from += ASSET_SLICE) {
    const slice = [from, from + ASSET_SLICE] as const;
    assetSteps.push({ plan: () => assets.plan(...slice, (rows) => planUpsert('core.assets', assetCols, rows, { key: byId, skip: stored('assets') })), done: add('assets') });
  }
  await pipeline(client, [
    ...assetSteps,
    { plan: () => links.plan(0, links.length, (rows) => planUpsert('core.asset_links', linkCols, rows, { key: byId, skip: stored('links') })), done: add('links') },
    {
      plan: () => versions.plan(0, versions.length, (rows) => planUpsert('core.versions', versionCols, rows, { key: byId, skip: stored('versions'), returning: 'asset_id' })),
      done: (r) => {
        for (const id of r.returned as string[]) if (parents.existing.has(id)) versionsChanged.add(id);
        add('versions')(r);
      },
    },
    // A comment or decision gets its version as it is written (the versions are in by then).
    {
      plan: () =>
        comments.plan(0, comments.length, (rows) => planUpsert('core.comments', commentCols, rows, { key: byId, skip: stored('comments'), computed: [versionAt('remote_created_at')] })),
      done: add('comments'),
    },
    {
      plan: () =>
        decisions.plan(0, decisions.length, (rows) => planUpsert('core.decisions', decisionCols, rows, { key: byId, skip: stored('decisions'), computed: [versionAt('decided_at')] })),
      done: add('decisions'),
    },
    {
      plan: () => planUpsert('core.stage_transitions', transitionCols, [...batch.transitions, ...observed], { appendOnly: true, skip: (r) => storedTransitions({ r }) }),
      done: add('transitions'),
    },
  ]);

  let tombstoned = 0;
  if (batch.files.length || batch.fileRevisions.length || batch.fileComments.length || batch.complete.some((c) => !isAssetSet(c))) {
    const f = await commitFiles(client, batch, ctx);
    for (const [kind, r] of Object.entries(f.records)) add(kind)(r);
    tombstoned += f.tombstoned;
  }
  for (const t of batch.tombstones) {
    if (!t.ids.length) continue;
    const table = { asset: 'core.assets', version: 'core.versions', comment: 'core.comments', decision: 'core.decisions', file: 'core.files' }[t.kind];
    const r = await client.query<{ asset_id: string }>(
      // A file the vendor trashed or removed loses its hash too, so that the same file coming back is written again.
      `UPDATE ${table} SET deleted_at = $2, updated_at = now()${t.kind === 'file' ? ", hash = ''" : ''} WHERE id = ANY($1::uuid[]) AND deleted_at IS NULL${t.kind === 'version' ? ' RETURNING asset_id' : ''}`,
      [t.ids, t.at],
    );
    tombstoned += r.rowCount ?? 0;
    if (t.kind === 'version') for (const row of r.rows) versionsChanged.add(row.asset_id);
    if (t.kind === 'asset') {
      await client.query(`UPDATE core.asset_links SET deleted_at = $2, updated_at = now() WHERE asset_id = ANY($1::uuid[]) AND via = 'primary' AND deleted_at IS NULL`, [t.ids, t.at]);
    }
  }

  tombstoned += await applyCompleteSets(client, batch, ctx, { existing: parents.existing, rows: { version: versions.rows, comment: comments.rows, decision: decisions.rows } }, versionsChanged);
  // Rows written above already carry their version; what a change of versions moved is re-attributed.
  await attributeVersions(client, [...versionsChanged]);

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
  // A record that now normalizes cleanly resolves its earlier rejection (there is one to resolve only if
  // the connection had an open rejected task, or this batch just rejected one).
  const accepted = batch.assets.map((a) => a.externalId);
  if (accepted.length && (parents.openRejections || batch.rejected.some((r) => r.stream === 'tasks'))) {
    await client.query(
      `UPDATE ops.rejected_records SET resolved_at = now() WHERE connection_id = $1 AND external_id = ANY($2::text[]) AND resolved_at IS NULL AND stream = 'tasks'`,
      [ctx.connectionId, accepted],
    );
  }
  return { records, rejected: batch.rejected.length, tombstoned };
}

/** Complete sets about an asset's children (the file-store kinds are handled by commitFiles). */
function isAssetSet(c: Batch['complete'][number]): boolean {
  return c.kind === 'version' || c.kind === 'comment' || c.kind === 'decision';
}

/** Builds one SELECT of scalar subqueries; every lookup in it is a correlated subquery on a primary or unique key. */
class StoredQuery {
  readonly params: unknown[] = [];
  readonly cols: string[] = [];
  p(v: unknown): string {
    return `$${this.params.push(v)}`;
  }
  /** Ids of the rows stored with the same hash (and live, for tables with soft deletes). */
  unchanged(name: string, table: string, rows: Prepared<{ id: string }>[], live: boolean): void {
    if (!rows.length) return;
    this.cols.push(
      `(SELECT array_agg(u.id) FROM unnest(${this.p(rows.map((r) => r.r.id))}::uuid[], ${this.p(rows.map((r) => r.hash))}::text[]) AS u(id, hash)
         WHERE (SELECT t.hash FROM ${table} t WHERE t.id = u.id${live ? ' AND t.deleted_at IS NULL' : ''}) = u.hash) AS ${name}`,
    );
  }
  async run(client: PoolClient): Promise<Record<string, unknown>> {
    if (!this.cols.length) return {};
    const { rows } = await client.query<Record<string, unknown>>(`SELECT ${this.cols.join(',\n')}`, this.params);
    return rows[0] ?? {};
  }
}

const idSet = (v: unknown) => new Set((v as string[] | null | undefined) ?? []);
const unchangedIn = (row: Record<string, unknown>) => (kind: string) => {
  const ids = idSet(row[kind]);
  return (p: { r: { id: string } }) => ids.has(p.r.id);
};

/**
 * The assets the batch writes or writes children of, as stored now (one index probe each; absent
 * means new), whether the connection has unresolved rejected tasks at all, and the assets the batch's
 * versions move away from. Also turns JIT off for the transaction.
 */
async function readParents(client: PoolClient, connectionId: string, assetIds: string[], versions: { r: Version }[]) {
  const q = new StoredQuery();
  // SET LOCAL jit = off, for the rest of the transaction (commitBatch explains why), in this first statement.
  q.cols.push(`set_config('jit', 'off', true) AS jit`);
  if (assetIds.length) {
    q.cols.push(
      `(SELECT json_agg(x) FROM (SELECT (SELECT json_build_array(t.id, t.stage, t.source_status) FROM core.assets t WHERE t.id = u.id) AS x
          FROM unnest(${q.p(assetIds)}::uuid[]) AS u(id)) s WHERE x IS NOT NULL) AS assets_stored`,
      `EXISTS (SELECT 1 FROM ops.rejected_records WHERE connection_id = ${q.p(connectionId)} AND stream = 'tasks' AND resolved_at IS NULL) AS open_rejections`,
    );
  }
  if (versions.length) {
    // A version stored under another asset moves: the asset it leaves has its comments and decisions re-attributed.
    q.cols.push(
      `(SELECT array_agg(DISTINCT s.stored) FROM (SELECT u.asset_id, (SELECT t.asset_id FROM core.versions t WHERE t.id = u.id) AS stored
          FROM unnest(${q.p(versions.map((v) => v.r.id))}::uuid[], ${q.p(versions.map((v) => v.r.assetId))}::uuid[]) AS u(id, asset_id)) s
         WHERE s.stored <> s.asset_id) AS versions_moved_from`,
    );
  }
  const row = await q.run(client);
  const stages = new Map<string, { stage: string | null; source_status: string | null }>();
  for (const [id, stage, status] of (row.assets_stored as [string, string | null, string | null][] | null | undefined) ?? []) stages.set(id, { stage, source_status: status });
  return {
    /** Stored stage and tool status of the assets that exist. */
    stages,
    /** Assets that existed before this batch. */
    existing: new Set(stages.keys()),
    openRejections: row.open_rejections === true,
    versionsMovedFrom: [...idSet(row.versions_moved_from)],
  };
}

/**
 * Runs `work` (client work) while the statement behind `pending` runs, and returns its result. Should
 * `work` fail, the statement is let finish first (the connection is then free for ROLLBACK).
 */
async function during<T>(pending: Promise<T>, work: () => void): Promise<T> {
  try {
    work();
  } catch (err) {
    await pending.catch(() => undefined);
    throw err;
  }
  return pending;
}

/**
 * Upserts in order, each statement prepared (`plan`: client work only) while Postgres executes the
 * one before, so that the client and the server work at the same time.
 */
async function pipeline(client: PoolClient, steps: { plan: () => UpsertPlan; done: (r: UpsertResult & { returned: unknown[] }) => void }[]): Promise<void> {
  let pending: Promise<UpsertResult & { returned: unknown[] }> | null = null;
  try {
    for (let i = 0; i <= steps.length; i++) {
      const next = i < steps.length ? steps[i]!.plan() : null;
      if (pending) steps[i - 1]!.done(await pending);
      pending = next ? runUpsert(client, next) : null;
    }
  } catch (err) {
    // A statement may still be running when preparing the next one fails: let it finish first.
    await pending?.catch(() => undefined);
    throw err;
  }
}

/** What the assets that already existed, and their children, are compared with (one statement of index probes). */
async function readChildren(
  client: PoolClient,
  b: {
    assets: Prepared<Asset>[];
    links: Prepared<AssetLink>[];
    versions: Prepared<Version>[];
    comments: Prepared<Comment>[];
    decisions: Prepared<Decision>[];
    transitions: StageTransition[];
  },
) {
  const q = new StoredQuery();
  q.unchanged('assets', 'core.assets', b.assets, true);
  q.unchanged('links', 'core.asset_links', b.links, true);
  q.unchanged('versions', 'core.versions', b.versions, true);
  q.unchanged('comments', 'core.comments', b.comments, true);
  q.unchanged('decisions', 'core.decisions', b.decisions, true);
  if (b.transitions.length) {
    // Append-only: stored at all means nothing to write.
    q.cols.push(
      `(SELECT array_agg(u.id) FROM unnest(${q.p(b.transitions.map((r) => r.id))}::uuid[]) AS u(id)
         WHERE (SELECT true FROM core.stage_transitions t WHERE t.id = u.id)) AS transitions`,
    );
  }
  const row = await q.run(client);
  return { unchanged: unchangedIn(row) };
}

/**
 * The ids of the rows of `table` that belong to the assets in the uuid[] parameter `assets` and pass
 * `where` (on alias c), as an array: one probe of the asset_id index per asset, so that an UPDATE can
 * fetch exactly those rows by primary key instead of letting the planner guess at `asset_id = ANY(…)`.
 */
const childIds = (table: string, assets: string, where: string) =>
  `ARRAY(SELECT c.id FROM unnest(${assets}::uuid[]) AS a(asset_id)
           CROSS JOIN LATERAL (SELECT c.id FROM ${table} c WHERE c.asset_id = a.asset_id AND ${where} OFFSET 0) c)`;

type ChildRow = { r: { id: string; assetId: string; connectionId: string; threadExternalId?: string | null } };

/**
 * Rows of a complete child list that the vendor no longer returns are tombstoned (per connection).
 * For an asset that did not exist before this batch, the rows it has now are exactly the batch's rows
 * with its id (nothing could reference it before): the database is asked only if one of those is
 * missing from the list.
 */
async function applyCompleteSets(
  client: PoolClient,
  batch: Batch,
  ctx: { connectionId: string; now: string },
  written: { existing: Set<string>; rows: Record<'version' | 'comment' | 'decision', ChildRow[]> },
  versionsChanged: Set<string>,
): Promise<number> {
  let n = 0;
  const groups = new Map<string, { assetIds: string[]; keep: string[] }>();
  for (const c of batch.complete) {
    if (!isAssetSet(c)) continue;
    const key = `${c.kind}:${c.scope}`;
    const g = groups.get(key) ?? { assetIds: [], keep: [] };
    g.assetIds.push(c.assetId);
    g.keep.push(...c.ids);
    groups.set(key, g);
  }
  const byAsset = new Map<string, Map<string, ChildRow[]>>();
  const rowsOf = (kind: 'version' | 'comment' | 'decision', assetId: string) => {
    let m = byAsset.get(kind);
    if (!m) {
      m = new Map();
      for (const row of written.rows[kind]) m.set(row.r.assetId, [...(m.get(row.r.assetId) ?? []), row]);
      byAsset.set(kind, m);
    }
    return m.get(assetId) ?? [];
  };
  for (const [key, g] of groups) {
    const [kind, scope] = key.split(':') as ['version' | 'comment' | 'decision', 'asset' | 'threads' | 'all'];
    const inScope = (row: ChildRow) =>
      kind !== 'comment' || scope === 'all' ? true : scope === 'asset' ? row.r.threadExternalId == null : row.r.threadExternalId != null;
    const keep = new Set(g.keep);
    const assetIds = g.assetIds.filter(
      (id) => written.existing.has(id) || rowsOf(kind, id).some((row) => row.r.connectionId === ctx.connectionId && inScope(row) && !keep.has(row.r.id)),
    );
    if (!assetIds.length) continue;
    const table = { version: 'core.versions', comment: 'core.comments', decision: 'core.decisions' }[kind];
    const scopeSql = (t: string) =>
      kind !== 'comment' || scope === 'all' ? '' : scope === 'asset' ? ` AND ${t}.thread_external_id IS NULL` : ` AND ${t}.thread_external_id IS NOT NULL`;
    const gone = (t: string) => `${t}.connection_id = $1 AND ${t}.deleted_at IS NULL AND NOT (${t}.id = ANY($3::uuid[]))${scopeSql(t)}`;
    const r = await client.query<{ asset_id: string }>(
      `UPDATE ${table} t SET deleted_at = $4, updated_at = now()
        WHERE t.id = ANY(${childIds(table, '$2', gone('c'))}) AND t.asset_id = ANY($2::uuid[]) AND ${gone('t')}${kind === 'version' ? ' RETURNING t.asset_id' : ''}`,
      [ctx.connectionId, assetIds, g.keep, ctx.now],
    );
    n += r.rowCount ?? 0;
    if (kind === 'version') for (const row of r.rows) versionsChanged.add(row.asset_id);
  }
  return n;
}

/**
 * A comment or decision is about the version that was current when it was made: the newest live
 * version created at or before it, whichever tool the version came from. Sets it for every comment
 * and decision of these assets, in one statement that writes only the rows whose version changes.
 */
export async function attributeVersions(client: PoolClient, assetIds: string[]): Promise<void> {
  if (!assetIds.length) return;
  const update = (table: string, at: string) => {
    const current = (r: string) => `(SELECT v.id FROM core.versions v
                        WHERE v.asset_id = ${r}.asset_id AND v.deleted_at IS NULL AND v.remote_created_at <= ${r}.${at}
                        ORDER BY v.remote_created_at DESC, v.number DESC LIMIT 1)`;
    const stale = (r: string) => `${r}.version_id IS DISTINCT FROM ${current(r)}`;
    return `UPDATE ${table} t SET version_id = ${current('t')}
             WHERE t.id = ANY(${childIds(table, '$1', stale('c'))}) AND t.asset_id = ANY($1::uuid[]) AND ${stale('t')}`;
  };
  await client.query(`WITH c AS (${update('core.comments', 'remote_created_at')}), d AS (${update('core.decisions', 'decided_at')}) SELECT 1`, [assetIds]);
}

/** Assets whose stored stage differs from the new one, with no history record in the batch that explains it. */
function observedTransitions(batch: Batch, stored: Map<string, { stage: string | null; source_status: string | null }>, now: string): StageTransition[] {
  if (!batch.assets.length) return [];
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
  // The crawl has just filled ops.crawl_seen: with the table's statistics as they were (empty on a
  // first sync) the planner expects one row and the anti-join below turned quadratic (measured on the
  // Notion engine: more than ten minutes at the end of a 25,000-page crawl; seconds once analyzed).
  await client.query('ANALYZE ops.crawl_seen');
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
