// Ground-truth entries built from records, shared by the generator and the live store so that an
// edit made through the API or the control surface leaves the truth exactly as generation would.

import {
  type CommentRec,
  type CommentTruth,
  type DrivePerson,
  type FileRec,
  type LinkKind,
  type ReplyRec,
  type ReplyTruth,
  type RevisionRec,
  type RevisionTruth,
  isBinaryMime,
  isoTime,
} from './model';

/**
 * What exact display-name matching against Asana user names yields: the Asana user's email when
 * the display name is that user's name, else null (nicknames, handles, freelancers).
 */
export function matchesEmail(p: DrivePerson, asanaNames: ReadonlyMap<string, string>): string | null {
  return asanaNames.get(p.displayName) ?? null;
}

export function revisionTruth(file: FileRec, r: RevisionRec, versionNumber: number | null): RevisionTruth {
  const binary = isBinaryMime(file.mimeType);
  return {
    id: r.id,
    modifiedTime: isoTime(r.modifiedTime),
    size: binary ? r.size : null,
    md5: binary ? r.md5 : null,
    authorEmail: r.author.email,
    versionNumber,
    keepForever: r.keepForever,
  };
}

export function replyTruth(r: ReplyRec, asanaNames: ReadonlyMap<string, string>): ReplyTruth {
  return {
    id: r.id,
    authorDisplayName: r.author.displayName,
    authorEmail: r.author.email,
    matchesEmail: matchesEmail(r.author, asanaNames),
    createdTime: isoTime(r.createdTime),
    action: r.action,
    deleted: r.deleted,
  };
}

export function commentTruth(c: CommentRec, asanaNames: ReadonlyMap<string, string>): CommentTruth {
  return {
    id: c.id,
    authorDisplayName: c.author.displayName,
    authorEmail: c.author.email,
    matchesEmail: matchesEmail(c.author, asanaNames),
    createdTime: isoTime(c.createdTime),
    resolved: c.resolved,
    deleted: c.deleted,
    replies: c.replies.map((r) => replyTruth(r, asanaNames)),
  };
}

/** `KEY_vNN.ext` exactly (two or more digits): the naming convention the agency uses. */
export function carriesKey(name: string, key: string): { version: number } | null {
  if (!name.startsWith(`${key}_v`)) return null;
  const m = /^_v(\d{2,})\.[A-Za-z0-9]+$/.exec(name.slice(key.length));
  return m ? { version: Number(m[1]) } : null;
}

/** How a file with an intended key (or none) is linked, given its current name. */
export function linkKindFor(name: string, assetKey: string | null, explicit: boolean): LinkKind {
  if (explicit) return 'explicit';
  if (assetKey === null) return 'orphan';
  return carriesKey(name, assetKey) ? 'name' : 'misnamed';
}
