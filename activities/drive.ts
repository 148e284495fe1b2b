// The Google Drive sync engine, on the same terms as the Asana one (activities/asana.ts): each call is
// one bounded unit of work that commits records, cursors and the fetch queue in one transaction.
//
// Full crawl:   changes.getStartPageToken first (so nothing that changes during the crawl is missed),
//               then each configured root: a shared drive is one listing (corpora=drive, 1,000 per
//               page); a folder is walked breadth-first, up to 50 folders per `files.list` query. Each
//               page: folders → the ancestor map (ops.folders), files → core.files + the fetch queue;
//               then revisions and comments per file. At the end, live files the crawl did not see
//               are tombstoned.
// Incremental:  changes.list from the stored token to `newStartPageToken`: one call when nothing
//               changed. A change inside the configured folders (decided with the ancestor map, since
//               the feed is drive-wide) queues its file; a trashed, removed, or moved-out file is
//               tombstoned; a change elsewhere is ignored (counted). A rejected token → a fresh token
//               and a re-crawl (stable ids and hashes: no duplicates).
import { emptyBatch, mergeBatches, type Batch } from '../mapping/model';
import type { DriveConnectionConfig } from '../mapping/config';
import { DriveClient, ExpiredPageToken, MAX_PARENTS_PER_QUERY } from '../connectors/drive/client';
import { AbortedRequest } from '../connectors/asana/client';
import { fileIdOf, normalizeFileBundle } from '../connectors/drive/normalize';
import { CallCounter, ConnectorError } from '../connectors/types';
import { limiterFor, type ActivityDeps } from './context';
import type { Scope, StepResult } from './asana';
import {
  addRunCounts, clearSeen, commitBatch, countsOf, dequeue, deleteCursor, enqueue, getCursor, markSeen, peekQueue, setCursor, withTransaction, type QueueItem,
} from './db/store';
import { invalidConfig } from './failures';
import type { PoolClient } from 'pg';

export const DRIVE_SCOPE = 'drive';
const DRAIN_BATCH = 100;
const FOLDER_MIME = 'application/vnd.google-apps.folder';

type Root = { kind: 'drive' | 'folder'; id: string };

interface CrawlCursor {
  roots: Root[];
  index: number;
  pageToken: string | null;
  /** Folder root walk: folders still to list, and the batch being listed. */
  pending: string[];
  batch: string[];
  startedAt: string;
  pages: number;
}
interface ChangesCursor {
  token: string;
  at: string;
}

const streams = { crawl: 'drive:crawl', changes: 'drive:changes' };

function clientFor(deps: ActivityDeps, cfg: DriveConnectionConfig, abortIf?: () => boolean): DriveClient {
  const limiter = limiterFor(deps, cfg);
  return new DriveClient({ token: cfg.token, ...(cfg.base_url ? { baseUrl: cfg.base_url } : {}), limiter, counter: new CallCounter(), ...(abortIf ? { abortIf } : {}) });
}

function rootsOf(cfg: DriveConnectionConfig): Root[] {
  return [...cfg.shared_drives.map((id) => ({ kind: 'drive' as const, id })), ...cfg.folders.map((id) => ({ kind: 'folder' as const, id }))];
}

function where(deps: ActivityDeps, cfg: DriveConnectionConfig): number {
  return deps.config().connections.findIndex((c) => c.id === cfg.id);
}

/**
 * Checks the configured roots on a full sync (or the first): each must exist and be shared with the
 * connection's account. Returns the one scope of a Drive connection.
 */
export async function planDrive(deps: ActivityDeps, cfg: DriveConnectionConfig, input: { syncRunId: string; mode: 'full' | 'incremental' }): Promise<Scope[]> {
  const changes = await getCursor<ChangesCursor>(deps.db, cfg.id, streams.changes);
  const crawl = await getCursor<CrawlCursor>(deps.db, cfg.id, streams.crawl);
  const full = input.mode === 'full' || !changes || crawl !== null;
  if (full && !crawl) {
    const client = clientFor(deps, cfg);
    const idx = where(deps, cfg);
    const folders: { folder_id: string; parent_id: string | null; name: string; drive_id: string | null }[] = [];
    const problems: string[] = [];
    for (const [i, id] of cfg.shared_drives.entries()) {
      try {
        const d = await client.getDrive(id);
        folders.push({ folder_id: id, parent_id: null, name: d.name, drive_id: id });
      } catch (err) {
        if (!(err instanceof ConnectorError && (err.kind === 'not_found' || err.kind === 'invalid_config'))) throw err;
        problems.push(`connections.${idx}.shared_drives.${i}: shared drive ${id} does not exist or the account of connection "${cfg.id}" is not a member of it`);
      }
    }
    for (const [i, id] of cfg.folders.entries()) {
      try {
        const f = (await client.getFile(id)) as { mimeType?: string; name?: string; parents?: string[]; driveId?: string; trashed?: boolean };
        if (f.mimeType !== FOLDER_MIME) problems.push(`connections.${idx}.folders.${i}: ${id} is a file ("${f.name ?? ''}", ${f.mimeType ?? 'unknown type'}), not a folder`);
        else if (f.trashed) problems.push(`connections.${idx}.folders.${i}: folder ${id} ("${f.name ?? ''}") is in the trash`);
        else folders.push({ folder_id: id, parent_id: f.parents?.[0] ?? null, name: f.name ?? id, drive_id: f.driveId ?? null });
      } catch (err) {
        if (!(err instanceof ConnectorError && (err.kind === 'not_found' || err.kind === 'invalid_config'))) throw err;
        problems.push(`connections.${idx}.folders.${i}: folder ${id} does not exist or is not shared with the account of connection "${cfg.id}"`);
      }
    }
    await withTransaction(deps.db, async (tx) => {
      await upsertFolders(tx, cfg.id, folders);
      await addRunCounts(tx, input.syncRunId, {}, client.counter.drain());
    });
    if (problems.length) throw invalidConfig(problems.join('; '));
  }
  return [{ id: DRIVE_SCOPE, name: 'Google Drive', mode: full ? 'full' : 'incremental' }];
}

async function upsertFolders(tx: PoolClient, connectionId: string, folders: { folder_id: string; parent_id: string | null; name: string; drive_id: string | null; deleted?: boolean }[]): Promise<void> {
  if (!folders.length) return;
  const rows = [...new Map(folders.map((f) => [f.folder_id, f])).values()];
  await tx.query(
    `INSERT INTO ops.folders (connection_id, folder_id, parent_id, name, drive_id, deleted_at)
     SELECT $1, u.folder_id, u.parent_id, u.name, u.drive_id, CASE WHEN u.deleted THEN now() END
       FROM unnest($2::text[], $3::text[], $4::text[], $5::text[], $6::boolean[]) AS u(folder_id, parent_id, name, drive_id, deleted)
     ON CONFLICT (connection_id, folder_id) DO UPDATE SET parent_id = EXCLUDED.parent_id, name = EXCLUDED.name, drive_id = EXCLUDED.drive_id,
       deleted_at = EXCLUDED.deleted_at, updated_at = now()
     WHERE (ops.folders.parent_id, ops.folders.name, ops.folders.drive_id, ops.folders.deleted_at IS NULL)
           IS DISTINCT FROM (EXCLUDED.parent_id, EXCLUDED.name, EXCLUDED.drive_id, EXCLUDED.deleted_at IS NULL)`,
    [connectionId, rows.map((f) => f.folder_id), rows.map((f) => f.parent_id), rows.map((f) => f.name), rows.map((f) => f.drive_id), rows.map((f) => Boolean(f.deleted))],
  );
}

type RawFile = { id?: unknown; name?: unknown; mimeType?: unknown; parents?: unknown; driveId?: unknown; trashed?: unknown; headRevisionId?: unknown };

const isFolder = (f: RawFile) => f.mimeType === FOLDER_MIME;
const idOf = (f: RawFile) => (typeof f.id === 'string' ? f.id : null);
const parentOf = (f: RawFile) => (Array.isArray(f.parents) && typeof f.parents[0] === 'string' ? (f.parents[0] as string) : null);
const folderRow = (f: RawFile, deleted = false) => ({
  folder_id: idOf(f)!, parent_id: parentOf(f), name: typeof f.name === 'string' ? f.name : idOf(f)!, drive_id: typeof f.driveId === 'string' ? f.driveId : null, deleted,
});

/** One unit of work: drain queued files, else (full mode) list the next page of the crawl. */
export async function stepDrive(deps: ActivityDeps, cfg: DriveConnectionConfig, input: { syncRunId: string; scope: Scope }): Promise<StepResult> {
  const queued = await peekQueue(deps.db, cfg.id, DRIVE_SCOPE, DRAIN_BATCH);
  if (queued.length) return drain(deps, cfg, input.syncRunId, queued);
  if (input.scope.mode === 'incremental') return { done: true, tasks: 0, records: 0, rejected: 0, apiCalls: 0 };

  const now = deps.clock().toISOString();
  let crawl = await getCursor<CrawlCursor>(deps.db, cfg.id, streams.crawl);
  const client = clientFor(deps, cfg);
  if (crawl && crawl.index >= crawl.roots.length) {
    // Every page and every queued file is committed: what the crawl did not see is gone.
    const tombstoned = await withTransaction(deps.db, async (tx) => {
      const r = await tx.query(
        `UPDATE core.files f SET deleted_at = $3, hash = '', updated_at = now()
          WHERE f.connection_id = $1 AND f.deleted_at IS NULL
            AND NOT EXISTS (SELECT 1 FROM ops.crawl_seen s WHERE s.connection_id = $1 AND s.scope = $2 AND s.external_id = f.external_id)`,
        [cfg.id, DRIVE_SCOPE, now],
      );
      await clearSeen(tx, cfg.id, DRIVE_SCOPE);
      await deleteCursor(tx, cfg.id, streams.crawl);
      await addRunCounts(tx, input.syncRunId, r.rowCount ? { tombstoned: r.rowCount } : {}, {});
      return r.rowCount ?? 0;
    });
    deps.log.info('Drive crawl finished', { connection: cfg.id, tombstoned });
    return { done: true, tasks: 0, records: tombstoned, rejected: 0, apiCalls: 0 };
  }

  let startToken: string | null = null;
  if (!crawl) {
    // The change feed's position BEFORE the first page, so nothing that changes during the crawl is missed.
    startToken = await client.startPageToken();
    crawl = { roots: rootsOf(cfg), index: 0, pageToken: null, pending: [], batch: [], startedAt: now, pages: 0 };
    if (crawl.roots[0]?.kind === 'folder') crawl.pending = [crawl.roots[0].id];
    await withTransaction(deps.db, (tx) => clearSeen(tx, cfg.id, DRIVE_SCOPE));
  }
  const root = crawl.roots[crawl.index]!;
  let page: { files: unknown[]; nextPageToken: string | null };
  const next: CrawlCursor = { ...crawl, pages: crawl.pages + 1 };
  if (!next.batch.length && root.kind === 'folder') {
    next.batch = next.pending.slice(0, MAX_PARENTS_PER_QUERY);
    next.pending = next.pending.slice(MAX_PARENTS_PER_QUERY);
  }
  try {
    page = root.kind === 'drive' ? await client.listDriveFiles(root.id, crawl.pageToken) : await client.listChildren(next.batch, crawl.pageToken);
  } catch (err) {
    // List tokens are "typically valid for several hours" (v3.d.ts): a rejected one restarts this
    // listing from its first page. What was already listed is written again unchanged (hashes).
    if (!(err instanceof ExpiredPageToken && crawl.pageToken)) throw err;
    deps.log.warn('Drive list page token rejected; restarting the listing', { connection: cfg.id, root: root.id });
    await withTransaction(deps.db, async (tx) => {
      await setCursor(tx, cfg.id, streams.crawl, { ...crawl, pageToken: null } satisfies CrawlCursor);
      await addRunCounts(tx, input.syncRunId, { 'crawl.token_rejected': 1 }, client.counter.drain());
    });
    return { done: false, tasks: 0, records: 0, rejected: 0, apiCalls: 1 };
  }
  const files = page.files as RawFile[];
  const folders = files.filter(isFolder);
  if (root.kind === 'folder') next.pending = [...next.pending, ...folders.map((f) => idOf(f)).filter((x): x is string => x !== null)];
  next.pageToken = page.nextPageToken;
  if (!page.nextPageToken) {
    next.batch = root.kind === 'folder' ? [] : next.batch;
    if (root.kind === 'drive' || next.pending.length === 0) {
      next.index = crawl.index + 1;
      const following = next.roots[next.index];
      next.pending = following?.kind === 'folder' ? [following.id] : [];
      next.batch = [];
    }
  }

  const batch = emptyBatch();
  const items: QueueItem[] = [];
  for (const f of files) {
    const id = idOf(f);
    if (id === null) {
      batch.rejected.push({ stream: 'files', externalId: null, issues: [{ code: 'invalid_type', path: ['id'], message: 'a file without an id' }], raw: f });
      continue;
    }
    if (isFolder(f)) mergeBatches(batch, normalizeFileBundle({ file: f }, { connectionId: cfg.id }));
    else items.push({ externalId: id, needs: ['revisions', 'comments'], detail: { file: f } });
  }
  await withTransaction(deps.db, async (tx) => {
    await upsertFolders(tx, cfg.id, folders.filter((f) => idOf(f) !== null).map((f) => folderRow(f)));
    await enqueue(tx, cfg.id, DRIVE_SCOPE, items);
    await markSeen(tx, cfg.id, DRIVE_SCOPE, files.map(idOf).filter((x): x is string => x !== null));
    await setCursor(tx, cfg.id, streams.crawl, next);
    if (startToken) await setCursor(tx, cfg.id, streams.changes, { token: startToken, at: now } satisfies ChangesCursor);
    const c = await commitBatch(tx, batch, { connectionId: cfg.id, syncRunId: input.syncRunId, now });
    await addRunCounts(tx, input.syncRunId, countsOf(c), client.counter.drain());
  });
  deps.heartbeat?.({ scope: DRIVE_SCOPE, pages: next.pages });
  const drained = items.length ? await drain(deps, cfg, input.syncRunId, items) : { done: false, tasks: 0, records: 0, rejected: 0, apiCalls: 0 };
  return { ...drained, done: false, rejected: drained.rejected + batch.rejected.length, apiCalls: drained.apiCalls + 1 + (startToken ? 1 : 0) };
}

/**
 * Fetches what each queued file needs (its revisions, its comments) and commits every file whose
 * fetch completed, with its dequeue. A failed request stops the rest of the page; what completed is
 * still committed and the error is rethrown for Temporal to retry.
 */
async function drain(deps: ActivityDeps, cfg: DriveConnectionConfig, syncRunId: string, items: QueueItem[]): Promise<StepResult> {
  let failure: unknown = null;
  const client = clientFor(deps, cfg, () => failure !== null);
  const now = deps.clock().toISOString();
  const batch = emptyBatch();
  const done: string[] = [];
  const gone: string[] = [];
  let files = 0;
  await Promise.all(
    items.map(async (item) => {
      try {
        const file = (item.detail?.file as unknown) ?? (await client.getFile(item.externalId));
        const [revisions, comments] = await Promise.all([
          // Google Docs, Sheets and Slides: no revision list to read (their revisions carry no content id), no call.
          item.needs.includes('revisions') ? client.revisions(item.externalId, (file as { mimeType?: string }).mimeType) : Promise.resolve(undefined),
          item.needs.includes('comments') ? client.comments(item.externalId) : Promise.resolve(undefined),
        ]);
        mergeBatches(batch, normalizeFileBundle({ file, ...(revisions ? { revisions } : {}), ...(comments ? { comments } : {}) }, { connectionId: cfg.id }));
        files++;
        done.push(item.externalId);
      } catch (err) {
        if (err instanceof ConnectorError && err.kind === 'not_found') {
          // Deleted or unshared between the listing (or the change) and this fetch: a tombstone, not a failure.
          gone.push(item.externalId);
          done.push(item.externalId);
        } else if (!(err instanceof AbortedRequest) && failure === null) failure = err;
      }
    }),
  );
  if (gone.length) batch.tombstones.push({ kind: 'file', ids: gone.map((g) => fileIdOf(cfg.id, g)), at: now });
  const counts = await withTransaction(deps.db, async (tx) => {
    const c = await commitBatch(tx, batch, { connectionId: cfg.id, syncRunId, now });
    await dequeue(tx, cfg.id, DRIVE_SCOPE, done);
    await addRunCounts(tx, syncRunId, { ...countsOf(c), files }, client.counter.drain());
    return c;
  });
  deps.heartbeat?.({ scope: DRIVE_SCOPE, drained: done.length });
  if (failure !== null) throw failure;
  const records = Object.values(counts.records).reduce((n, r) => n + r.inserted + r.updated + r.unchanged, 0);
  return { done: false, tasks: files, records, rejected: counts.rejected, apiCalls: client.counter.total };
}

/** The folders in scope: the configured roots and everything under them, from the ancestor map. */
async function scopeOf(tx: PoolClient | ActivityDeps['db'], cfg: DriveConnectionConfig): Promise<(folderId: string | null, driveId: string | null) => boolean> {
  const { rows } = await tx.query<{ folder_id: string; parent_id: string | null }>(
    `SELECT folder_id, parent_id FROM ops.folders WHERE connection_id = $1 AND deleted_at IS NULL`,
    [cfg.id],
  );
  const parent = new Map(rows.map((r) => [r.folder_id, r.parent_id]));
  const roots = new Set([...cfg.folders, ...cfg.shared_drives]);
  const drives = new Set(cfg.shared_drives);
  const memo = new Map<string, boolean>();
  const inScope = (id: string): boolean => {
    const seen: string[] = [];
    let at: string | null | undefined = id;
    let answer = false;
    while (at) {
      const known = memo.get(at);
      if (known !== undefined) {
        answer = known;
        break;
      }
      if (roots.has(at)) {
        answer = true;
        break;
      }
      if (seen.includes(at)) break; // a cycle in stale data: not in scope
      seen.push(at);
      at = parent.get(at);
    }
    for (const s of seen) memo.set(s, answer);
    return answer;
  };
  return (folderId, driveId) => (driveId !== null && drives.has(driveId)) || (folderId !== null && inScope(folderId));
}

/**
 * Reads the change feed from the stored token and queues exactly the files the changes call for.
 * `recrawl: true` when there is no valid token (first sync, or a rejected one).
 */
export async function pullDriveChanges(deps: ActivityDeps, cfg: DriveConnectionConfig, input: { syncRunId: string; scope: Scope }): Promise<{ recrawl: boolean; queued: number; events: number }> {
  const client = clientFor(deps, cfg);
  const now = deps.clock().toISOString();
  const stored = await getCursor<ChangesCursor>(deps.db, cfg.id, streams.changes);
  if (!stored) return { recrawl: true, queued: 0, events: 0 };
  const changes: unknown[] = [];
  let token = stored.token;
  let newStart: string | null = null;
  try {
    for (;;) {
      const page = await client.changes(token);
      changes.push(...page.changes);
      if (page.newStartPageToken) {
        newStart = page.newStartPageToken;
        break;
      }
      if (!page.nextPageToken) throw new ConnectorError('schema_drift', 'Drive GET /changes: a page with neither nextPageToken nor newStartPageToken');
      token = page.nextPageToken;
    }
  } catch (err) {
    if (!(err instanceof ExpiredPageToken)) throw err;
    // The token was rejected: changes may have been lost. A fresh token, then a re-crawl.
    const fresh = await client.startPageToken();
    await withTransaction(deps.db, async (tx) => {
      await setCursor(tx, cfg.id, streams.changes, { token: fresh, at: now } satisfies ChangesCursor);
      await deleteCursor(tx, cfg.id, streams.crawl);
      await addRunCounts(tx, input.syncRunId, { 'changes.token_rejected': 1 }, client.counter.drain());
    });
    deps.log.warn('Drive change token rejected; re-crawling', { connection: cfg.id });
    return { recrawl: true, queued: 0, events: 0 };
  }

  let recrawl = false;
  const batch: Batch = emptyBatch();
  const counts: Record<string, number> = { changes: changes.length };
  const bump = (k: string) => (counts[k] = (counts[k] ?? 0) + 1);
  await withTransaction(deps.db, async (tx) => {
    // Folders first: a new folder and a file inside it can arrive in the same feed.
    const folderChanges = changes.filter((c) => isFolder(((c as { file?: RawFile }).file ?? {}) as RawFile));
    const before = await scopeOf(tx, cfg);
    const wasIn = new Map<string, boolean>();
    for (const c of folderChanges) {
      const f = (c as { file: RawFile }).file;
      const id = idOf(f);
      if (id) wasIn.set(id, before(id, null));
    }
    await upsertFolders(tx, cfg.id, folderChanges.map((c) => (c as { file: RawFile }).file).filter((f) => idOf(f) !== null).map((f) => folderRow(f, f.trashed === true)));
    const { rows: removedFolders } = await tx.query<{ folder_id: string }>(
      `UPDATE ops.folders SET deleted_at = now(), updated_at = now() WHERE connection_id = $1 AND folder_id = ANY($2::text[]) AND deleted_at IS NULL RETURNING folder_id`,
      [cfg.id, changes.filter((c) => (c as { removed?: boolean }).removed).map((c) => (c as { fileId?: string }).fileId).filter(Boolean)],
    );
    const inScope = await scopeOf(tx, cfg);
    // A folder that moved into or out of the configured folders takes its whole subtree with it, and
    // the feed reports only the folder: the subtree is re-crawled.
    for (const [id, was] of wasIn) if (was !== inScope(id, null)) recrawl = true;
    if (removedFolders.length) recrawl = true;

    const fileIds = changes.map((c) => (c as { fileId?: string }).fileId).filter((x): x is string => typeof x === 'string');
    const { rows: known } = await tx.query<{ external_id: string; head_revision_id: string | null; live: boolean }>(
      `SELECT external_id, head_revision_id, deleted_at IS NULL AS live FROM core.files WHERE connection_id = $1 AND external_id = ANY($2::text[])`,
      [cfg.id, fileIds],
    );
    const knownById = new Map(known.map((k) => [k.external_id, k]));
    const items: QueueItem[] = [];
    const tombstone: string[] = [];
    for (const raw of changes) {
      const c = raw as { changeType?: string; fileId?: string; removed?: boolean; file?: RawFile };
      if (c.changeType === 'drive') {
        bump('changes.drive');
        continue;
      }
      const id = c.fileId ?? (c.file ? idOf(c.file) : null);
      if (!id) {
        batch.rejected.push({ stream: 'changes', externalId: null, issues: [{ code: 'invalid_type', path: ['fileId'], message: 'a change without a file id' }], raw });
        continue;
      }
      const k = knownById.get(id);
      if (c.removed || !c.file) {
        // Deleted for good, or no longer shared with the account.
        if (k?.live) tombstone.push(id);
        else bump('changes.ignored');
        continue;
      }
      const f = c.file;
      if (isFolder(f)) {
        mergeBatches(batch, normalizeFileBundle({ file: f }, { connectionId: cfg.id }));
        continue;
      }
      const here = inScope(parentOf(f), typeof f.driveId === 'string' ? f.driveId : null);
      if (!here) {
        if (k?.live) {
          tombstone.push(id); // moved out of the configured folders
          bump('changes.moved_out');
        } else bump('changes.ignored');
        continue;
      }
      if (f.trashed === true) {
        // Trash: the file is written trashed (a tombstone that keeps its history); nothing else to fetch.
        mergeBatches(batch, normalizeFileBundle({ file: f }, { connectionId: cfg.id }));
        continue;
      }
      // Revisions only when the head revision moved (or the file is new, or a Google editor file, which has none).
      const head = typeof f.headRevisionId === 'string' ? f.headRevisionId : null;
      const needs = !k || !k.live || head === null || head !== k.head_revision_id ? ['revisions', 'comments'] : ['comments'];
      items.push({ externalId: id, needs, detail: { file: f } });
    }
    if (tombstone.length) batch.tombstones.push({ kind: 'file', ids: tombstone.map((g) => fileIdOf(cfg.id, g)), at: now });
    await enqueue(tx, cfg.id, DRIVE_SCOPE, items);
    const c = await commitBatch(tx, batch, { connectionId: cfg.id, syncRunId: input.syncRunId, now });
    await setCursor(tx, cfg.id, streams.changes, { token: newStart!, at: now } satisfies ChangesCursor);
    if (recrawl) await deleteCursor(tx, cfg.id, streams.crawl);
    await addRunCounts(tx, input.syncRunId, { ...countsOf(c), ...counts, queued: items.length }, client.counter.drain());
    counts.queued = items.length;
  });
  if (recrawl) deps.log.info('Drive folder moved in or out of scope; re-crawling', { connection: cfg.id });
  return { recrawl, queued: counts.queued ?? 0, events: changes.length };
}
