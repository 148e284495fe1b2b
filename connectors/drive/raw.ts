// Zod schemas of the Drive v3 payloads normalize reads (shapes from `@googleapis/drive@22.0.0`
// build/v3.d.ts: Schema$File, Schema$Revision, Schema$Comment, Schema$Reply, Schema$Change,
// Schema$User), for the field masks in manifest.ts. Objects are loose: Drive adds fields over time.
// Google omits empty fields rather than sending null, so what may be absent is optional.
import { z } from 'zod';

const Id = z.string().min(1);
const Iso = z.iso.datetime({ offset: true });
/** int64 values (`size`, `version`) come as decimal strings (v3.d.ts: "format: int64"). */
const Int64 = z.string().regex(/^\d+$/, 'an int64 as a decimal string');

/**
 * A person as Drive shows them: email and permissionId may be hidden (lastModifyingUser of an outside
 * account), and a comment author never has them (Schema$Comment.author).
 */
export const DriveUserRaw = z.looseObject({
  displayName: z.string().nullish(),
  emailAddress: z.string().nullish(),
  permissionId: z.string().nullish(),
  me: z.boolean().nullish(),
});
export type DriveUserRaw = z.infer<typeof DriveUserRaw>;

/**
 * A file or folder. Google Docs, Sheets and Slides have a `size` but no md5Checksum or headRevisionId;
 * folders have neither; shared-drive items have `driveId` (and `trashedTime` when trashed) and no
 * `owners` (simulator README "Surprises" 1 and 10).
 */
export const DriveFileRaw = z.looseObject({
  id: Id,
  name: z.string(),
  mimeType: z.string().min(1),
  parents: z.array(Id).nullish(),
  driveId: z.string().nullish(),
  size: Int64.nullish(),
  md5Checksum: z.string().nullish(),
  headRevisionId: z.string().nullish(),
  version: Int64.nullish(),
  webViewLink: z.string().nullish(),
  appProperties: z.record(z.string(), z.string()).nullish(),
  createdTime: Iso.nullish(),
  modifiedTime: Iso.nullish(),
  trashed: z.boolean().nullish(),
  trashedTime: Iso.nullish(),
  lastModifyingUser: DriveUserRaw.nullish(),
});
export type DriveFileRaw = z.infer<typeof DriveFileRaw>;

/** A revision: Google editor revisions have no size, md5Checksum or keepForever. */
export const DriveRevisionRaw = z.looseObject({
  id: Id,
  modifiedTime: Iso,
  mimeType: z.string().nullish(),
  size: Int64.nullish(),
  md5Checksum: z.string().nullish(),
  originalFilename: z.string().nullish(),
  keepForever: z.boolean().nullish(),
  lastModifyingUser: DriveUserRaw.nullish(),
});
export type DriveRevisionRaw = z.infer<typeof DriveRevisionRaw>;

/** A reply, as found inline in a comment. `action` resolves or reopens the thread. */
export const DriveReplyRaw = z.looseObject({
  id: Id,
  content: z.string().nullish(),
  author: DriveUserRaw.nullish(),
  createdTime: Iso,
  modifiedTime: Iso.nullish(),
  deleted: z.boolean().nullish(),
  action: z.enum(['resolve', 'reopen']).nullish(),
});
export type DriveReplyRaw = z.infer<typeof DriveReplyRaw>;

/**
 * A comment. Replies are checked one by one (DriveReplyRaw) so that one odd reply is rejected alone;
 * a deleted comment has empty content.
 */
export const DriveCommentRaw = z.looseObject({
  id: Id,
  content: z.string().nullish(),
  author: DriveUserRaw.nullish(),
  createdTime: Iso,
  modifiedTime: Iso.nullish(),
  resolved: z.boolean().nullish(),
  deleted: z.boolean().nullish(),
  quotedFileContent: z.looseObject({ value: z.string().nullish() }).nullish(),
  replies: z.array(z.unknown()).nullish(),
});
export type DriveCommentRaw = z.infer<typeof DriveCommentRaw>;

/**
 * One entry of the changes feed: a file change carries the file's current state (`file`), a removal
 * (deleted, or access lost) carries `removed: true` and no file; `changeType: 'drive'` is about a
 * shared drive itself.
 */
export const DriveChangeRaw = z.looseObject({
  changeType: z.enum(['file', 'drive']).nullish(),
  fileId: z.string().nullish(),
  removed: z.boolean().nullish(),
  time: Iso.nullish(),
  driveId: z.string().nullish(),
  file: z.unknown().optional(),
});
export type DriveChangeRaw = z.infer<typeof DriveChangeRaw>;
