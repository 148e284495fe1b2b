// Cross-tool linking, applied to the whole workspace after every sync of any connection (issue 3,
// item 4): files from file stores (Drive) join the assets tracked in task tools (Asana today; monday
// and Notion later, through the same columns) by explicit links and by names; each linked file's
// revisions become the asset's versions, reconciled with the asset's other versions into one numbered
// list, and its comments become the asset's comments, their authors matched by display name.
//
// It reads only the normalized tables (never a vendor), so it is the same for every connector: an
// asset offers its key (the configured key field) and its explicit file references (assets.file_refs,
// versions.file_ref); a file offers its name. One transaction under an advisory lock (two syncs that
// finish together do not interleave), skipped when nothing it reads has changed since the last pass.
import type { PoolClient } from 'pg';
import { contentHash, stableId } from '../mapping/ids';
import { linkFiles, reconcileVersions, toAssetLink, type FileLink, type LinkableAsset, type LinkableFile, type VersionCandidate } from '../mapping/linking';
import { createNaming, DEFAULT_NAMING, type Naming } from '../mapping/naming';
import { readStamp } from '../connectors/stamp';
import type { ActivityDeps } from './context';
import { attributeVersions, withTransaction } from './db/store';
import { upsertRows, type Column } from './db/upsert';

export interface LinkingSummary {
  skipped: boolean;
  files: number;
  linked: number;
  explicit: number;
  byName: number;
  /** Name links kept although the file's name no longer follows the pattern (reported as misnamed). */
  kept: number;
  orphans: number;
  misnamed: number;
  conflicts: number;
  /** Explicit links to files Stageline has not seen (not shared, outside the folders, deleted). */
  unresolved: number;
  assetsReconciled: number;
  versionsWritten: number;
  versionsRenumbered: number;
  commentsWritten: number;
  /** Drive comment authors (distinct display names) that match no known person, and their comments. */
  unmatchedAuthors: number;
  unmatchedComments: number;
}

const LOCK_KEY = 'stageline:linking';
const STATE_KEY = 'linking';

/** Runs one linking pass (or skips it when its inputs have not changed and `force` is not set). */
export async function linkWorkspace(deps: ActivityDeps, input: { force?: boolean } = {}): Promise<LinkingSummary> {
  const cfg = deps.config();
  const linking = cfg.workspace.linking;
  const naming = createNaming(linking?.naming ?? DEFAULT_NAMING);
  const keyField = linking?.key_field ?? 'Asset key';
  const configHash = contentHash({ naming: linking?.naming ?? DEFAULT_NAMING, keyField, v: 1 });
  const now = deps.clock().toISOString();
  return withTransaction(deps.db, async (tx) => {
    await tx.query(`SELECT pg_advisory_xact_lock(hashtext($1)), set_config('jit', 'off', true)`, [LOCK_KEY]);
    const fingerprint = await inputsFingerprint(tx, configHash);
    const { rows: stateRows } = await tx.query<{ value: { fingerprint?: string } }>('SELECT value FROM ops.state WHERE key = $1', [STATE_KEY]);
    if (!input.force && stateRows[0]?.value.fingerprint === fingerprint) return { ...emptySummary(), skipped: true };

    const summary = await pass(tx, { naming, keyField, now });
    // What the pass itself wrote is part of the new fingerprint: the next pass skips unless something else changed.
    await tx.query(
      `INSERT INTO ops.state (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value, updated_at = now()`,
      [STATE_KEY, JSON.stringify({ fingerprint: await inputsFingerprint(tx, configHash), at: now, summary })],
    );
    deps.log.info('linking pass', { ...summary });
    return summary;
  });
}

function emptySummary(): LinkingSummary {
  return {
    skipped: false, files: 0, linked: 0, explicit: 0, byName: 0, kept: 0, orphans: 0, misnamed: 0, conflicts: 0, unresolved: 0,
    assetsReconciled: 0, versionsWritten: 0, versionsRenumbered: 0, commentsWritten: 0, unmatchedAuthors: 0, unmatchedComments: 0,
  };
}

/** Row counts and last write times of everything a pass reads, with the linking config. */
async function inputsFingerprint(tx: PoolClient, configHash: string): Promise<string> {
  const { rows } = await tx.query(
    `SELECT (SELECT json_build_array(count(*), max(updated_at)) FROM core.assets) AS a,
            (SELECT json_build_array(count(*), max(updated_at)) FROM core.versions) AS v,
            (SELECT json_build_array(count(*), max(updated_at)) FROM core.files) AS f,
            (SELECT json_build_array(count(*), max(updated_at)) FROM core.file_revisions) AS r,
            (SELECT json_build_array(count(*), max(updated_at)) FROM core.file_comments) AS c,
            (SELECT json_build_array(count(*), max(updated_at)) FROM core.persons) AS p`,
  );
  return contentHash({ rows: rows[0], configHash });
}

interface FileRow {
  id: string;
  connection_id: string;
  external_id: string;
  name: string;
  url: string | null;
  deleted_at: string | null;
}

async function pass(tx: PoolClient, opts: { naming: Naming; keyField: string; now: string }): Promise<LinkingSummary> {
  const { naming, now } = opts;
  const s = emptySummary();

  // ---- what assets offer: a key and explicit references
  const { rows: assetRows } = await tx.query<{ id: string; key: string | null; refs: string[] }>(
    `SELECT a.id, a.fields ->> $1 AS key,
            ARRAY(SELECT jsonb_array_elements_text(a.file_refs)
                  UNION SELECT v.file_ref FROM core.versions v WHERE v.asset_id = a.id AND v.file_ref IS NOT NULL AND v.source <> 'revision') AS refs
       FROM core.assets a WHERE a.deleted_at IS NULL ORDER BY a.id`,
    [opts.keyField],
  );
  const assets: LinkableAsset[] = assetRows.map((r) => ({ id: r.id, key: r.key, explicitFileIds: r.refs }));

  // ---- what files offer: a name (live files), and the links stored so far
  const { rows: fileRows } = await tx.query<FileRow>(
    `SELECT f.id, f.connection_id, f.external_id, f.name, f.url, f.deleted_at FROM core.files f WHERE NOT f.is_folder ORDER BY f.remote_created_at NULLS LAST, f.id`,
  );
  const live = fileRows.filter((f) => f.deleted_at === null);
  const fileByKey = new Map(fileRows.map((f) => [`${f.connection_id}\u001f${f.external_id}`, f]));
  const { rows: storedLinks } = await tx.query<{ connection_id: string; external_id: string; asset_id: string; via: 'explicit' | 'name'; deleted_at: string | null }>(
    `SELECT connection_id, external_id, asset_id, via, deleted_at FROM core.asset_links WHERE kind = 'drive_file'`,
  );
  const stored = new Map(storedLinks.map((l) => [`${l.connection_id}\u001f${l.external_id}`, l]));

  const files: LinkableFile[] = live.map((f) => ({ fileId: f.external_id, name: f.name, connectionId: f.connection_id }));
  const result = linkFiles(assets, files, { naming });
  s.files = live.length;
  s.unresolved = result.unresolved.length;
  const liveAssets = new Set(assets.map((a) => a.id));

  // ---- decide each file's link and state
  type State = { state: 'linked' | 'orphan' | 'misnamed' | 'conflict'; assetId: string | null; via: 'explicit' | 'name' | null; reason: string | null; suggestion: string | null; detail: Record<string, unknown> };
  const states = new Map<string, State>();
  const links = new Map<string, FileLink>();
  const k = (c: string, f: string) => `${c}\u001f${f}`;
  for (const l of result.links) {
    links.set(k(l.connectionId, l.fileId), l);
    states.set(k(l.connectionId, l.fileId), { state: 'linked', assetId: l.assetId, via: l.via, reason: null, suggestion: null, detail: l.version !== null ? { version: l.version } : {} });
    if (l.via === 'explicit') s.explicit++;
    else s.byName++;
  }
  // A file that was linked and whose new name breaks the pattern keeps its link (its versions and
  // comments stay with the asset) and is reported as misnamed: renamed off-pattern, not silently unlinked.
  const keep = (key: string, base: Omit<State, 'state' | 'assetId' | 'via'>, close: string[]): boolean => {
    const prev = stored.get(key);
    if (!prev || prev.deleted_at !== null || !liveAssets.has(prev.asset_id)) return false;
    if (close.length && !close.includes(prev.asset_id)) return false;
    const [connectionId, fileId] = key.split('\u001f') as [string, string];
    links.set(key, { assetId: prev.asset_id, connectionId, fileId, via: prev.via, key: null, version: null });
    states.set(key, { ...base, state: 'misnamed', assetId: prev.asset_id, via: prev.via, detail: { ...base.detail, keptLink: true } });
    s.kept++;
    return true;
  };
  for (const m of result.misnamed) {
    const key = k(m.connectionId, m.fileId);
    const base = { reason: m.reason, suggestion: m.suggestion ?? null, detail: { keys: m.keys, assetIds: m.assetIds } };
    if (!keep(key, base, m.assetIds)) states.set(key, { ...base, state: 'misnamed', assetId: m.assetIds.length === 1 ? m.assetIds[0]! : null, via: null });
  }
  for (const o of result.orphans) {
    const key = k(o.connectionId, o.fileId);
    const reason = o.reason === 'unknown_key' ? `its name carries key ${o.key}, which no asset has` : o.reason === 'unparsed' ? 'its name does not follow the naming pattern and is close to no asset key' : 'no naming pattern and no task links to it';
    if (!keep(key, { reason, suggestion: null, detail: { orphanReason: o.reason, ...(o.key ? { key: o.key } : {}) } }, [])) {
      states.set(key, { state: 'orphan', assetId: null, via: null, reason, suggestion: null, detail: { orphanReason: o.reason, ...(o.key ? { key: o.key } : {}) } });
    }
  }
  for (const c of result.conflicts) {
    states.set(k(c.connectionId, c.fileId), {
      state: 'conflict', assetId: null, via: null,
      reason: `claimed by ${c.claimants.length} assets (${c.claimants.map((x) => x.via).join(', ')}); not linked until one claim is removed`,
      suggestion: null, detail: { claimants: c.claimants },
    });
  }
  // A tombstoned (trashed, deleted) file keeps its link, so that its asset keeps its history.
  for (const f of fileRows) {
    if (f.deleted_at === null) continue;
    const key = k(f.connection_id, f.external_id);
    const prev = stored.get(key);
    if (prev && liveAssets.has(prev.asset_id)) links.set(key, { assetId: prev.asset_id, connectionId: f.connection_id, fileId: f.external_id, via: prev.via, key: null, version: null });
  }
  for (const st of states.values()) {
    if (st.state === 'linked') s.linked++;
    else if (st.state === 'orphan') s.orphans++;
    else if (st.state === 'misnamed') s.misnamed++;
    else s.conflicts++;
  }
  s.linked += s.kept;

  // ---- asset_links: upsert the links, tombstone the ones that no longer hold
  const linkRows = [...links.entries()].map(([key, l]) => {
    const f = fileByKey.get(key)!;
    return { link: toAssetLink(l, { url: f.url }), deletedAt: f.deleted_at };
  });
  await upsertRows(tx, 'core.asset_links', linkCols, linkRows.map((r) => ({ ...r, hash: contentHash({ ...r.link, deletedAt: r.deletedAt }) })), { key: (r) => r.link.id, softDelete: false });
  await tx.query(
    `UPDATE core.asset_links SET deleted_at = $2, updated_at = now() WHERE kind = 'drive_file' AND deleted_at IS NULL AND NOT (id = ANY($1::uuid[]))`,
    [linkRows.map((r) => r.link.id), now],
  );

  // ---- ops.file_links: the state of every live file
  const stateRows = live.map((f) => ({ f, st: states.get(k(f.connection_id, f.external_id))! })).filter((x) => x.st);
  await tx.query(`DELETE FROM ops.file_links WHERE NOT ((connection_id, external_id) IN (SELECT * FROM unnest($1::text[], $2::text[])))`, [
    stateRows.map((x) => x.f.connection_id),
    stateRows.map((x) => x.f.external_id),
  ]);
  if (stateRows.length) {
    await tx.query(
      `INSERT INTO ops.file_links (connection_id, external_id, file_id, name, state, asset_id, via, reason, suggestion, detail)
       SELECT * FROM unnest($1::text[], $2::text[], $3::uuid[], $4::text[], $5::text[], $6::uuid[], $7::text[], $8::text[], $9::text[], $10::jsonb[])
       ON CONFLICT (connection_id, external_id) DO UPDATE SET
         file_id = EXCLUDED.file_id, name = EXCLUDED.name, asset_id = EXCLUDED.asset_id, via = EXCLUDED.via, reason = EXCLUDED.reason,
         suggestion = EXCLUDED.suggestion, detail = EXCLUDED.detail, updated_at = now(),
         state = EXCLUDED.state, since = CASE WHEN ops.file_links.state = EXCLUDED.state THEN ops.file_links.since ELSE now() END
       WHERE (ops.file_links.state, ops.file_links.asset_id, ops.file_links.name, ops.file_links.detail, ops.file_links.via)
             IS DISTINCT FROM (EXCLUDED.state, EXCLUDED.asset_id, EXCLUDED.name, EXCLUDED.detail, EXCLUDED.via)`,
      [
        stateRows.map((x) => x.f.connection_id), stateRows.map((x) => x.f.external_id), stateRows.map((x) => x.f.id), stateRows.map((x) => x.f.name),
        stateRows.map((x) => x.st.state), stateRows.map((x) => x.st.assetId), stateRows.map((x) => x.st.via), stateRows.map((x) => x.st.reason),
        stateRows.map((x) => x.st.suggestion), stateRows.map((x) => JSON.stringify(x.st.detail)),
      ],
    );
  }

  // ---- versions and comments of linked files
  const fileAsset = new Map<string, string>(); // core.files.id → asset id
  for (const [key, l] of links) fileAsset.set(fileByKey.get(key)!.id, l.assetId);
  await projectVersions(tx, fileAsset, naming, opts.keyField, now, s);
  await projectComments(tx, fileAsset, now, s);
  return s;
}

const linkCols: Column<{ link: ReturnType<typeof toAssetLink>; deletedAt: string | null; hash: string }>[] = [
  { name: 'id', type: 'uuid', get: (r) => r.link.id },
  { name: 'asset_id', type: 'uuid', get: (r) => r.link.assetId },
  { name: 'connection_id', type: 'text', get: (r) => r.link.connectionId },
  { name: 'kind', type: 'text', get: (r) => r.link.kind },
  { name: 'external_id', type: 'text', get: (r) => r.link.externalId },
  { name: 'url', type: 'text', get: (r) => r.link.url },
  { name: 'via', type: 'text', get: (r) => r.link.via },
  { name: 'deleted_at', type: 'timestamptz', get: (r) => r.deletedAt },
  { name: 'hash', type: 'text', get: (r) => r.hash },
];

interface RevisionRow {
  id: string;
  connection_id: string;
  external_id: string;
  file_id: string;
  file_external_id: string;
  name: string;
  size_bytes: string | null;
  checksum: string | null;
  author_id: string | null;
  created_at: string;
  url: string | null;
  deleted_at: string | null;
  raw: unknown;
}

interface VersionRow {
  id: string;
  asset_id: string;
  connection_id: string;
  external_id: string;
  source: VersionCandidate['source'];
  file_ref: string | null;
  name: string;
  created_at: string;
  checksum: string | null;
  size_bytes: string | null;
  number: number;
  deleted_at: string | null;
}

type DriveVersion = { id: string; connectionId: string; externalId: string; assetId: string; number: number; name: string; url: string | null; sizeBytes: number | null; checksum: string | null; fileRef: string; createdBy: string | null; createdAt: string; raw: unknown; deletedAt: string | null };

const driveVersionCols: Column<{ v: DriveVersion; hash: string }>[] = [
  { name: 'id', type: 'uuid', get: (p) => p.v.id },
  { name: 'connection_id', type: 'text', get: (p) => p.v.connectionId },
  { name: 'external_id', type: 'text', get: (p) => p.v.externalId },
  { name: 'asset_id', type: 'uuid', get: (p) => p.v.assetId },
  { name: 'number', type: 'int4', get: (p) => p.v.number },
  { name: 'name', type: 'text', get: (p) => p.v.name },
  { name: 'source', type: 'text', get: () => 'revision' },
  { name: 'url', type: 'text', get: (p) => p.v.url },
  { name: 'host', type: 'text', get: () => 'gdrive' },
  { name: 'size_bytes', type: 'int8', get: (p) => p.v.sizeBytes },
  { name: 'checksum', type: 'text', get: (p) => p.v.checksum },
  { name: 'file_ref', type: 'text', get: (p) => p.v.fileRef },
  { name: 'created_by', type: 'uuid', get: (p) => p.v.createdBy },
  { name: 'remote_created_at', type: 'timestamptz', get: (p) => p.v.createdAt },
  { name: 'raw', type: 'jsonb', get: (p) => p.v.raw },
  { name: 'deleted_at', type: 'timestamptz', get: (p) => p.v.deletedAt },
  { name: 'hash', type: 'text', get: (p) => p.hash },
];

/**
 * Each linked file's revisions become versions of its asset; the asset's versions from every tool are
 * then numbered as one list (reconcileVersions). Revisions of files no longer linked leave the asset.
 */
async function projectVersions(tx: PoolClient, fileAsset: Map<string, string>, naming: Naming, keyField: string, now: string, s: LinkingSummary): Promise<void> {
  const fileIds = [...fileAsset.keys()];
  const { rows: revs } = await tx.query<RevisionRow>(
    `SELECT r.id, r.connection_id, r.external_id, r.file_id, f.external_id AS file_external_id, r.name, r.size_bytes, r.checksum, r.author_id,
            r.remote_created_at AS created_at, f.url, coalesce(r.deleted_at, f.deleted_at) AS deleted_at, r.raw
       FROM core.file_revisions r JOIN core.files f ON f.id = r.file_id
      WHERE r.file_id = ANY($1::uuid[])`,
    [fileIds],
  );
  // Assets to number: those with a linked file, and those that had revision versions before (a file left them).
  const { rows: hadDrive } = await tx.query<{ asset_id: string }>(`SELECT DISTINCT asset_id FROM core.versions WHERE source = 'revision' AND deleted_at IS NULL`);
  const assetIds = [...new Set([...fileAsset.values(), ...hadDrive.map((r) => r.asset_id)])];
  if (!assetIds.length) return;
  const { rows: others } = await tx.query<VersionRow & { key: string | null }>(
    `SELECT v.id, v.asset_id, v.connection_id, v.external_id, v.source, v.file_ref, v.name, v.remote_created_at AS created_at, v.checksum, v.size_bytes, v.number, v.deleted_at,
            a.fields ->> $2 AS key
       FROM core.versions v JOIN core.assets a ON a.id = v.asset_id
      WHERE v.asset_id = ANY($1::uuid[]) AND v.source <> 'revision'`,
    [assetIds, keyField],
  );
  const { rows: keys } = await tx.query<{ id: string; key: string | null }>(`SELECT id, fields ->> $2 AS key FROM core.assets WHERE id = ANY($1::uuid[])`, [assetIds, keyField]);
  const keyOf = new Map(keys.map((r) => [r.id, r.key]));

  const byAsset = new Map<string, { revs: RevisionRow[]; others: VersionRow[] }>();
  const bucket = (id: string) => {
    let b = byAsset.get(id);
    if (!b) byAsset.set(id, (b = { revs: [], others: [] }));
    return b;
  };
  for (const id of assetIds) bucket(id);
  for (const r of revs) bucket(fileAsset.get(r.file_id)!).revs.push(r);
  for (const v of others) bucket(v.asset_id).others.push(v);

  const toWrite: DriveVersion[] = [];
  const renumber: { id: string; number: number }[] = [];
  const iso = (t: string | Date) => new Date(t).toISOString();
  for (const [assetId, b] of byAsset) {
    const candidates: VersionCandidate[] = [
      ...b.others.map((v) => ({
        connectionId: v.connection_id, externalId: v.external_id, source: v.source, fileId: v.file_ref, name: v.name, createdAt: iso(v.created_at),
        checksum: v.checksum, sizeBytes: v.size_bytes === null ? null : Number(v.size_bytes), deletedAt: v.deleted_at ? iso(v.deleted_at) : null,
      })),
      ...b.revs.map((r) => ({
        connectionId: r.connection_id, externalId: r.external_id, source: 'revision' as const, fileId: r.file_external_id, name: r.name, createdAt: iso(r.created_at),
        checksum: r.checksum, sizeBytes: r.size_bytes === null ? null : Number(r.size_bytes), deletedAt: r.deleted_at ? iso(r.deleted_at) : null,
      })),
    ];
    if (!candidates.length) continue;
    s.assetsReconciled++;
    const numbered = reconcileVersions({ key: keyOf.get(assetId) ?? null }, candidates, { naming });
    const numberOf = new Map<string, number>();
    for (const v of numbered) for (const c of [v.candidate, ...v.merged.map((m) => m.candidate)]) numberOf.set(`${c.connectionId}\u001f${c.source}\u001f${c.externalId}`, v.number);
    for (const v of b.others) {
      const n = numberOf.get(`${v.connection_id}\u001f${v.source}\u001f${v.external_id}`);
      if (n !== undefined && n !== v.number) renumber.push({ id: v.id, number: n });
    }
    for (const r of b.revs) {
      toWrite.push({
        id: r.id, connectionId: r.connection_id, externalId: r.external_id, assetId, number: numberOf.get(`${r.connection_id}\u001frevision\u001f${r.external_id}`)!,
        name: r.name, url: r.url, sizeBytes: r.size_bytes === null ? null : Number(r.size_bytes), checksum: r.checksum, fileRef: r.file_external_id,
        createdBy: r.author_id, createdAt: iso(r.created_at), raw: r.raw, deletedAt: r.deleted_at ? iso(r.deleted_at) : null,
      });
    }
  }
  const written = await upsertRows(tx, 'core.versions', driveVersionCols, toWrite.map((v) => ({ v, hash: contentHash({ ...v, raw: undefined, rawHash: contentHash(v.raw) }) })), {
    key: (p) => p.v.id,
    softDelete: false,
  });
  s.versionsWritten = written.inserted + written.updated;
  // Revision versions whose file is no longer linked to any asset.
  const gone = await tx.query(
    `UPDATE core.versions SET deleted_at = $2, updated_at = now() WHERE source = 'revision' AND deleted_at IS NULL AND NOT (id = ANY($1::uuid[]))`,
    [toWrite.map((v) => v.id), now],
  );
  if (renumber.length) {
    // The number only: the row's content hash (what its own connector compares) stays, so the next sync of that connector does not undo it.
    await tx.query(`UPDATE core.versions v SET number = u.number FROM unnest($1::uuid[], $2::int4[]) AS u(id, number) WHERE v.id = u.id AND v.number <> u.number`, [
      renumber.map((r) => r.id),
      renumber.map((r) => r.number),
    ]);
  }
  s.versionsRenumbered = renumber.length;
  if (s.versionsWritten || renumber.length || gone.rowCount) await attributeVersions(tx, assetIds);
}

type CommentProjection = { id: string; connectionId: string; externalId: string; assetId: string; authorId: string | null; body: string; thread: string; action: string | null; createdAt: string; raw: unknown; deletedAt: string | null };

const commentCols: Column<{ c: CommentProjection; hash: string }>[] = [
  { name: 'id', type: 'uuid', get: (p) => p.c.id },
  { name: 'connection_id', type: 'text', get: (p) => p.c.connectionId },
  { name: 'external_id', type: 'text', get: (p) => p.c.externalId },
  { name: 'asset_id', type: 'uuid', get: (p) => p.c.assetId },
  { name: 'author_id', type: 'uuid', get: (p) => p.c.authorId },
  { name: 'body', type: 'text', get: (p) => p.c.body },
  { name: 'thread_external_id', type: 'text', get: (p) => p.c.thread },
  { name: 'action', type: 'text', get: (p) => p.c.action },
  { name: 'remote_created_at', type: 'timestamptz', get: (p) => p.c.createdAt },
  { name: 'raw', type: 'jsonb', get: (p) => p.c.raw },
  { name: 'deleted_at', type: 'timestamptz', get: (p) => p.c.deletedAt },
  { name: 'hash', type: 'text', get: (p) => p.hash },
];

/**
 * Comments and replies on linked files become the asset's comments, threaded by the Drive comment
 * (`thread_external_id` is the comment's external id, for the comment and its replies). Drive never
 * gives a commenter's email: the author is the one known person whose name is the display name
 * (case and spacing aside); a name shared by two people, or by no one, stays unmatched and is counted.
 */
async function projectComments(tx: PoolClient, fileAsset: Map<string, string>, now: string, s: LinkingSummary): Promise<void> {
  const { rows } = await tx.query<{
    id: string; connection_id: string; external_id: string; file_id: string; thread_external_id: string | null; author_name: string | null;
    body: string; action: string | null; created_at: string; raw: unknown; deleted_at: string | null;
  }>(
    `SELECT c.id, c.connection_id, c.external_id, c.file_id, c.thread_external_id, c.author_name, c.body, c.action,
            c.remote_created_at AS created_at, c.raw, coalesce(c.deleted_at, f.deleted_at) AS deleted_at
       FROM core.file_comments c JOIN core.files f ON f.id = c.file_id`,
  );
  const { rows: people } = await tx.query<{ id: string; name: string }>(`SELECT id, name FROM core.persons WHERE name IS NOT NULL`);
  const norm = (n: string) => n.normalize('NFKC').trim().replace(/\s+/g, ' ').toLowerCase();
  const byName = new Map<string, string | null>();
  for (const p of people) {
    const key = norm(p.name);
    byName.set(key, byName.has(key) && byName.get(key) !== p.id ? null : p.id);
  }
  const unmatched = new Set<string>();
  const authorUpdates: { id: string; author: string | null }[] = [];
  const out: CommentProjection[] = [];
  for (const c of rows) {
    const author = c.author_name ? (byName.get(norm(c.author_name)) ?? null) : null;
    authorUpdates.push({ id: c.id, author });
    const assetId = fileAsset.get(c.file_id);
    // Stageline's own comments (stamped, connectors/stamp.ts) are its writes coming back, not feedback.
    if (!assetId || readStamp(c.body) !== null) continue;
    if (author === null && c.deleted_at === null) {
      s.unmatchedComments++;
      if (c.author_name) unmatched.add(norm(c.author_name));
    }
    out.push({
      id: c.id, connectionId: c.connection_id, externalId: c.external_id, assetId, authorId: author, body: c.body, thread: c.thread_external_id ?? c.external_id,
      action: c.action, createdAt: new Date(c.created_at).toISOString(), raw: c.raw, deletedAt: c.deleted_at ? new Date(c.deleted_at).toISOString() : null,
    });
  }
  s.unmatchedAuthors = unmatched.size;
  if (authorUpdates.length) {
    await tx.query(
      `UPDATE core.file_comments c SET author_id = u.author FROM unnest($1::uuid[], $2::uuid[]) AS u(id, author) WHERE c.id = u.id AND c.author_id IS DISTINCT FROM u.author`,
      [authorUpdates.map((u) => u.id), authorUpdates.map((u) => u.author)],
    );
  }
  const written = await upsertRows(tx, 'core.comments', commentCols, out.map((c) => ({ c, hash: contentHash({ ...c, raw: undefined, rawHash: contentHash(c.raw) }) })), {
    key: (p) => p.c.id,
    softDelete: false,
    computed: [{ name: 'version_id', sql: `(SELECT v.id FROM core.versions v WHERE v.asset_id = u.asset_id AND v.deleted_at IS NULL AND v.remote_created_at <= u.remote_created_at ORDER BY v.remote_created_at DESC, v.number DESC LIMIT 1)` }],
  });
  s.commentsWritten = written.inserted + written.updated;
  // Comments of files no longer linked leave their asset.
  const projected = new Set(out.map((c) => c.id));
  const orphaned = rows.map((r) => r.id).filter((id) => !projected.has(id));
  if (orphaned.length) await tx.query(`UPDATE core.comments SET deleted_at = $2, updated_at = now() WHERE id = ANY($1::uuid[]) AND deleted_at IS NULL`, [orphaned, now]);
}

/** For tests and the CLI: the stable id of a Drive file's link row. */
export function driveLinkId(connectionId: string, fileId: string): string {
  return stableId(connectionId, 'link:drive_file', fileId);
}
