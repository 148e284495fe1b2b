// Files held by a file store (Drive): files and folders, revisions, comments and replies, written as
// they are given (linking into assets happens afterwards, activities/linking.ts). Same terms as the
// rest of the store: one statement per table per page, unchanged rows skipped by their content hash,
// soft deletes, and complete child lists that tombstone what the vendor no longer returns.
import type { PoolClient } from 'pg';
import type { Batch, FileComment, FileRevision, StoredFile } from '../../mapping/model';
import { contentHash } from '../../mapping/ids';
import { upsertRows, type Column, type UpsertResult } from './upsert';

type Row<R> = { r: R; hash: string };
const prep = <R extends { raw?: unknown }>(r: R): Row<R> => ({ r, hash: contentHash(r) });

const fileCols: Column<Row<StoredFile>>[] = [
  { name: 'id', type: 'uuid', get: (p) => p.r.id },
  { name: 'connection_id', type: 'text', get: (p) => p.r.connectionId },
  { name: 'external_id', type: 'text', get: (p) => p.r.externalId },
  { name: 'name', type: 'text', get: (p) => p.r.name },
  { name: 'mime_type', type: 'text', get: (p) => p.r.mimeType },
  { name: 'is_folder', type: 'boolean', get: (p) => p.r.isFolder },
  { name: 'parent_ids', type: 'jsonb', get: (p) => p.r.parentIds },
  { name: 'drive_id', type: 'text', get: (p) => p.r.driveId },
  { name: 'size_bytes', type: 'int8', get: (p) => p.r.sizeBytes },
  { name: 'checksum', type: 'text', get: (p) => p.r.checksum },
  { name: 'head_revision_id', type: 'text', get: (p) => p.r.headRevisionId },
  { name: 'version', type: 'text', get: (p) => p.r.version },
  { name: 'url', type: 'text', get: (p) => p.r.url },
  { name: 'app_properties', type: 'jsonb', get: (p) => p.r.appProperties },
  { name: 'modified_by', type: 'uuid', get: (p) => p.r.modifiedById },
  { name: 'remote_created_at', type: 'timestamptz', get: (p) => p.r.remoteCreatedAt },
  { name: 'remote_updated_at', type: 'timestamptz', get: (p) => p.r.remoteUpdatedAt },
  { name: 'trashed_at', type: 'timestamptz', get: (p) => p.r.trashedAt },
  // A trashed file is a tombstone: its row stays, with its history, and linking treats it as gone.
  { name: 'deleted_at', type: 'timestamptz', get: (p) => (p.r.trashed ? (p.r.trashedAt ?? p.r.remoteUpdatedAt) : null) },
  { name: 'raw', type: 'jsonb', get: (p) => p.r.raw },
  { name: 'hash', type: 'text', get: (p) => p.hash },
];
const revisionCols: Column<Row<FileRevision>>[] = [
  { name: 'id', type: 'uuid', get: (p) => p.r.id },
  { name: 'connection_id', type: 'text', get: (p) => p.r.connectionId },
  { name: 'external_id', type: 'text', get: (p) => p.r.externalId },
  { name: 'file_id', type: 'uuid', get: (p) => p.r.fileId },
  { name: 'name', type: 'text', get: (p) => p.r.name },
  { name: 'mime_type', type: 'text', get: (p) => p.r.mimeType },
  { name: 'size_bytes', type: 'int8', get: (p) => p.r.sizeBytes },
  { name: 'checksum', type: 'text', get: (p) => p.r.checksum },
  { name: 'author_id', type: 'uuid', get: (p) => p.r.authorId },
  { name: 'author_name', type: 'text', get: (p) => p.r.authorName },
  { name: 'keep_forever', type: 'boolean', get: (p) => p.r.keepForever },
  { name: 'remote_created_at', type: 'timestamptz', get: (p) => p.r.createdAt },
  { name: 'raw', type: 'jsonb', get: (p) => p.r.raw },
  { name: 'hash', type: 'text', get: (p) => p.hash },
];
const commentCols: Column<Row<FileComment>>[] = [
  { name: 'id', type: 'uuid', get: (p) => p.r.id },
  { name: 'connection_id', type: 'text', get: (p) => p.r.connectionId },
  { name: 'external_id', type: 'text', get: (p) => p.r.externalId },
  { name: 'file_id', type: 'uuid', get: (p) => p.r.fileId },
  { name: 'thread_external_id', type: 'text', get: (p) => p.r.threadExternalId },
  { name: 'author_name', type: 'text', get: (p) => p.r.authorName },
  { name: 'author_id', type: 'uuid', get: (p) => p.r.authorId },
  { name: 'body', type: 'text', get: (p) => p.r.body },
  { name: 'action', type: 'text', get: (p) => p.r.action },
  { name: 'resolved', type: 'boolean', get: (p) => p.r.resolved },
  { name: 'quoted', type: 'text', get: (p) => p.r.quoted },
  { name: 'remote_created_at', type: 'timestamptz', get: (p) => p.r.createdAt },
  { name: 'remote_updated_at', type: 'timestamptz', get: (p) => p.r.modifiedAt },
  // A comment deleted in Drive is a tombstone (Drive keeps it, empty, under includeDeleted).
  { name: 'deleted_at', type: 'timestamptz', get: (p) => (p.r.deleted ? (p.r.modifiedAt ?? p.r.createdAt) : null) },
  { name: 'raw', type: 'jsonb', get: (p) => p.r.raw },
  { name: 'hash', type: 'text', get: (p) => p.hash },
];

const byId = (p: { r: { id: string } }) => p.r.id;

/**
 * Writes the batch's files, revisions and comments (inside the caller's transaction). Rows with a
 * deleted_at column set by the vendor (trash, deleted comments) are written with it; the upsert's
 * revive rule only applies to rows Stageline itself tombstoned, which come back live.
 */
export async function commitFiles(client: PoolClient, batch: Batch, ctx: { connectionId: string; now: string }): Promise<{ records: Record<string, UpsertResult>; tombstoned: number }> {
  const records: Record<string, UpsertResult> = {};
  const strip = ({ inserted, updated, unchanged }: UpsertResult) => ({ inserted, updated, unchanged });
  if (batch.files.length) records.files = strip(await upsertRows(client, 'core.files', fileCols, batch.files.map(prep), { key: byId, softDelete: false }));
  if (batch.fileRevisions.length) records.file_revisions = strip(await upsertRows(client, 'core.file_revisions', revisionCols, batch.fileRevisions.map(prep), { key: byId }));
  if (batch.fileComments.length) records.file_comments = strip(await upsertRows(client, 'core.file_comments', commentCols, batch.fileComments.map(prep), { key: byId, softDelete: false }));

  // Complete lists: a stored revision or comment of a listed file that the vendor no longer returns is gone.
  let tombstoned = 0;
  for (const [kind, table] of [['file_revision', 'core.file_revisions'], ['file_comment', 'core.file_comments']] as const) {
    const sets = batch.complete.filter((c) => c.kind === kind);
    if (!sets.length) continue;
    const r = await client.query(
      `UPDATE ${table} t SET deleted_at = $4, updated_at = now()
        WHERE t.connection_id = $1 AND t.file_id = ANY($2::uuid[]) AND t.deleted_at IS NULL AND NOT (t.id = ANY($3::uuid[]))`,
      [ctx.connectionId, sets.map((s) => s.assetId), sets.flatMap((s) => s.ids), ctx.now],
    );
    tombstoned += r.rowCount ?? 0;
  }
  return { records, tombstoned };
}
