// Drive → model. Pure: no I/O, no clock; ids come from the connection in ctx (STYLE.md §5). A file
// becomes a StoredFile; its revisions and comments become FileRevisions and FileComments, which
// mapping/linking.ts later turns into an asset's Versions and Comments when the file is linked.
import { z } from 'zod';
import { personId, stableId } from '../../mapping/ids';
import { FileComment, FileRevision, StoredFile, emptyBatch, toIssues, type Batch, type Normalized, type Person } from '../../mapping/model';
import { DriveCommentRaw, DriveFileRaw, DriveReplyRaw, DriveRevisionRaw, type DriveUserRaw } from './raw';

export interface DriveNormalizeContext {
  connectionId: string;
}

/** One file and whatever children were fetched with it; a missing list means "not fetched this time". */
export interface FileBundle {
  file: unknown;
  revisions?: unknown[];
  comments?: unknown[];
}

export const FOLDER_MIME = 'application/vnd.google-apps.folder';

export function fileIdOf(connectionId: string, fileId: string): string {
  return stableId(connectionId, 'drive_file', fileId);
}

export function revisionIdOf(connectionId: string, fileId: string, revisionId: string): string {
  return stableId(connectionId, 'drive_revision', `${fileId}/${revisionId}`);
}

export function commentIdOf(connectionId: string, fileId: string, commentId: string): string {
  return stableId(connectionId, 'drive_comment', `${fileId}/${commentId}`);
}

export function replyIdOf(connectionId: string, fileId: string, commentId: string, replyId: string): string {
  return stableId(connectionId, 'drive_reply', `${fileId}/${commentId}/${replyId}`);
}

/**
 * The person behind a lastModifyingUser: by email when Drive shows it (the same human as in other
 * tools), else by the Drive account (permissionId), else nobody. Drive hides the email of some
 * outside accounts.
 */
export function personOf(u: DriveUserRaw | null | undefined, connectionId: string): Person | null {
  if (!u) return null;
  const raw = u.emailAddress?.trim().toLowerCase();
  const email = raw && z.email().safeParse(raw).success ? raw : null;
  const account = u.permissionId?.trim() || email;
  if (!account) return null;
  return { id: personId(email, connectionId, account), email, name: u.displayName?.trim() || null, identity: { connectionId, externalId: account } };
}

/** A URL or null: a malformed webViewLink is not a reason to reject a file. */
function urlOrNull(u: string | null | undefined): string | null {
  return u && z.url().safeParse(u).success ? u : null;
}

const checksumOf = (md5: string | null | undefined): string | null => (md5 ? `md5:${md5.toLowerCase()}` : null);

function bytesOf(size: string | null | undefined): number | null {
  if (size == null) return null;
  const n = Number(size);
  return Number.isSafeInteger(n) ? n : null;
}

function validate<T>(schema: z.ZodType<T>, value: unknown): Normalized<T> {
  const r = schema.safeParse(value);
  return r.success ? { ok: true, value: r.data } : { ok: false, issues: toIssues(r.error) };
}

const idOf = (x: unknown): string | null => (x && typeof x === 'object' && typeof (x as { id?: unknown }).id === 'string' ? (x as { id: string }).id : null);

/** A file or folder as a StoredFile; its last modifier's id is set (normalizeFileBundle also emits the Person). */
export function normalizeFile(raw: unknown, ctx: DriveNormalizeContext): Normalized<StoredFile> {
  const p = DriveFileRaw.safeParse(raw);
  if (!p.success) return { ok: false, issues: toIssues(p.error) };
  const f = p.data;
  const trashed = f.trashed === true;
  return validate(StoredFile, {
    id: fileIdOf(ctx.connectionId, f.id),
    connectionId: ctx.connectionId,
    externalId: f.id,
    name: f.name.trim() || `(untitled file ${f.id})`,
    mimeType: f.mimeType,
    isFolder: f.mimeType === FOLDER_MIME,
    parentIds: f.parents ?? [],
    driveId: f.driveId || null,
    sizeBytes: bytesOf(f.size),
    checksum: checksumOf(f.md5Checksum),
    headRevisionId: f.headRevisionId ?? null,
    version: f.version ?? null,
    url: urlOrNull(f.webViewLink),
    appProperties: f.appProperties ?? {},
    modifiedById: personOf(f.lastModifyingUser, ctx.connectionId)?.id ?? null,
    remoteCreatedAt: f.createdTime ?? null,
    remoteUpdatedAt: f.modifiedTime ?? null,
    // trashedTime is only populated in shared drives (v3.d.ts Schema$File.trashedTime): elsewhere
    // the last modification is the best time we have.
    trashedAt: f.trashedTime ?? (trashed ? (f.modifiedTime ?? null) : null),
    trashed,
    raw,
  });
}

/**
 * Normalizes a file and the children fetched with it into one batch. A malformed file rejects the
 * bundle; a malformed revision, comment or reply is rejected alone and the rest goes on. A child list
 * that was fetched (even empty) is complete: stored rows of that file it does not list are gone at
 * Drive. Rejected children with a known id are counted in the complete set, so a row stored from an
 * earlier good payload is not tombstoned because of one bad answer.
 */
export function normalizeFileBundle(bundle: FileBundle, ctx: DriveNormalizeContext): Batch {
  const out = emptyBatch();
  const conn = ctx.connectionId;
  const parsed = DriveFileRaw.safeParse(bundle.file);
  if (!parsed.success) {
    out.rejected.push({ stream: 'files', externalId: idOf(bundle.file), issues: toIssues(parsed.error), raw: bundle.file });
    return out;
  }
  const file = normalizeFile(bundle.file, ctx);
  if (!file.ok) {
    out.rejected.push({ stream: 'files', externalId: parsed.data.id, issues: file.issues, raw: bundle.file });
    return out;
  }
  const f = file.value;
  const fileId = f.externalId;
  out.files.push(f);

  const persons = new Map<string, Person>();
  const person = (u: DriveUserRaw | null | undefined): string | null => {
    const p = personOf(u, conn);
    if (!p) return null;
    const prev = persons.get(p.id);
    if (!prev || (!prev.name && p.name) || (!prev.email && p.email)) persons.set(p.id, { ...p, name: p.name ?? prev?.name ?? null, email: p.email ?? prev?.email ?? null });
    return p.id;
  };
  person(parsed.data.lastModifyingUser);

  // ---- revisions → FileRevisions
  if (bundle.revisions) {
    const ids: string[] = [];
    for (const raw of bundle.revisions) {
      const r = DriveRevisionRaw.safeParse(raw);
      const revId = idOf(raw);
      if (revId) ids.push(revisionIdOf(conn, fileId, revId));
      if (!r.success) {
        out.rejected.push({ stream: 'revisions', externalId: revId ? `${fileId}/${revId}` : null, issues: toIssues(r.error), raw });
        continue;
      }
      const rev = r.data;
      const v = validate(FileRevision, {
        id: revisionIdOf(conn, fileId, rev.id),
        connectionId: conn,
        externalId: `${fileId}/${rev.id}`,
        fileId: f.id,
        fileExternalId: fileId,
        name: rev.originalFilename?.trim() || f.name,
        mimeType: rev.mimeType ?? null,
        sizeBytes: bytesOf(rev.size),
        checksum: checksumOf(rev.md5Checksum),
        authorId: person(rev.lastModifyingUser),
        authorName: rev.lastModifyingUser?.displayName?.trim() || null,
        createdAt: rev.modifiedTime,
        keepForever: rev.keepForever === true,
        raw,
      });
      if (v.ok) out.fileRevisions.push(v.value);
      else out.rejected.push({ stream: 'revisions', externalId: `${fileId}/${rev.id}`, issues: v.issues, raw });
    }
    out.complete.push({ kind: 'file_revision', assetId: f.id, scope: 'all', ids: [...new Set(ids)] });
  }

  // ---- comments and their replies → FileComments (one row each)
  if (bundle.comments) {
    const ids: string[] = [];
    const push = (value: unknown, externalId: string, raw: unknown): void => {
      const c = validate(FileComment, value);
      if (c.ok) out.fileComments.push(c.value);
      else out.rejected.push({ stream: 'comments', externalId, issues: c.issues, raw });
    };
    for (const raw of bundle.comments) {
      const commentId = idOf(raw);
      if (commentId) ids.push(commentIdOf(conn, fileId, commentId));
      const parsedComment = DriveCommentRaw.safeParse(raw);
      if (!parsedComment.success) {
        out.rejected.push({ stream: 'comments', externalId: commentId ? `${fileId}/${commentId}` : null, issues: toIssues(parsedComment.error), raw });
        continue;
      }
      const c = parsedComment.data;
      const thread = `${fileId}/${c.id}`;
      const deleted = c.deleted === true;
      push(
        {
          id: commentIdOf(conn, fileId, c.id),
          connectionId: conn,
          externalId: thread,
          fileId: f.id,
          fileExternalId: fileId,
          threadExternalId: null,
          authorName: c.author?.displayName?.trim() || null,
          // Drive never gives a commenter's email (v3.d.ts Schema$Comment.author): matched by name later.
          authorId: null,
          body: deleted ? '' : (c.content ?? ''),
          action: null,
          resolved: c.resolved === true,
          quoted: c.quotedFileContent?.value ?? null,
          deleted,
          createdAt: c.createdTime,
          modifiedAt: c.modifiedTime ?? null,
          raw,
        },
        thread,
        raw,
      );
      (c.replies ?? []).forEach((rawReply, i) => {
        const replyId = idOf(rawReply);
        if (replyId) ids.push(replyIdOf(conn, fileId, c.id, replyId));
        const pr = DriveReplyRaw.safeParse(rawReply);
        if (!pr.success) {
          out.rejected.push({ stream: 'comments', externalId: replyId ? `${thread}/${replyId}` : null, issues: toIssues(pr.error, ['replies', i]), raw: rawReply });
          return;
        }
        const r = pr.data;
        const replyDeleted = r.deleted === true;
        push(
          {
            id: replyIdOf(conn, fileId, c.id, r.id),
            connectionId: conn,
            externalId: `${thread}/${r.id}`,
            fileId: f.id,
            fileExternalId: fileId,
            threadExternalId: thread,
            authorName: r.author?.displayName?.trim() || null,
            authorId: null,
            body: replyDeleted ? '' : (r.content ?? ''),
            action: r.action ?? null,
            resolved: null,
            quoted: null,
            deleted: replyDeleted,
            createdAt: r.createdTime,
            modifiedAt: r.modifiedTime ?? null,
            raw: rawReply,
          },
          `${thread}/${r.id}`,
          rawReply,
        );
      });
    }
    out.complete.push({ kind: 'file_comment', assetId: f.id, scope: 'all', ids: [...new Set(ids)] });
  }

  out.persons.push(...persons.values());
  return out;
}
