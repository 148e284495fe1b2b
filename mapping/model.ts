// The normalized model every connector maps into (DESIGN.md "The model").
// Vendor shapes never appear here: they live in connectors/<vendor>/raw.ts (STYLE.md §5).
import { z } from 'zod';

/** The default pipeline; a workspace may configure its own ordered list of stage ids. */
export const DEFAULT_PIPELINE = ['brief', 'in_progress', 'internal_review', 'client_review', 'approved', 'delivered'] as const;
/** Stages outside the main flow, always available. */
export const SIDE_STAGES = ['on_hold', 'cancelled'] as const;
export const DEFAULT_STAGES = [...DEFAULT_PIPELINE, ...SIDE_STAGES] as const;

export const StageId = z.string().regex(/^[a-z][a-z0-9_]{0,62}$/, 'a stage id is lower_snake_case');
export type StageId = z.infer<typeof StageId>;

/** The vocabulary of proofing tools. */
export const DECISIONS = ['approved', 'approved_with_changes', 'changes_requested', 'rejected'] as const;
export const DecisionKind = z.enum(DECISIONS);
export type DecisionKind = z.infer<typeof DecisionKind>;

const Uuid = z.uuid();
const Timestamp = z.iso.datetime({ offset: true });
const DateOnly = z.iso.date();
/** The vendor record as received, kept so any row can be re-normalized after a mapping fix. */
const Raw = z.unknown();

const base = {
  id: Uuid,
  connectionId: z.string().min(1),
  externalId: z.string().min(1),
  raw: Raw,
};

export const Person = z.object({
  id: Uuid,
  email: z.email().nullable(),
  name: z.string().nullable(),
  /** The vendor account this person was seen as (connection, external user id). */
  identity: z.object({ connectionId: z.string().min(1), externalId: z.string().min(1) }).nullable(),
});
export type Person = z.infer<typeof Person>;

export const Project = z.object({
  ...base,
  name: z.string().min(1),
  url: z.url().nullable(),
  archived: z.boolean(),
  remoteCreatedAt: Timestamp.nullable(),
  remoteUpdatedAt: Timestamp.nullable(),
});
export type Project = z.infer<typeof Project>;

export const FieldValue = z.union([z.string(), z.number(), z.boolean(), z.null(), z.array(z.string())]);
export type FieldValue = z.infer<typeof FieldValue>;

export const Asset = z.object({
  ...base,
  projectId: Uuid,
  name: z.string().min(1),
  assetType: z.string().nullable(),
  /** Canonical stage, or null when the tool's status is not in the connection's stage map. */
  stage: StageId.nullable(),
  /** The tool's own status name (section, enum option, status label) the stage came from. */
  sourceStatus: z.string().nullable(),
  ownerId: Uuid.nullable(),
  dueOn: DateOnly.nullable(),
  dueAt: Timestamp.nullable(),
  completedAt: Timestamp.nullable(),
  url: z.url().nullable(),
  /** Tool fields by name (custom fields, columns, properties), display-ready values. */
  fields: z.record(z.string(), FieldValue),
  /** Drive file ids the record links to (Drive URLs in its notes or fields): explicit links (mapping/linking.ts). */
  fileRefs: z.array(z.string().min(1)).default([]),
  remoteCreatedAt: Timestamp.nullable(),
  remoteUpdatedAt: Timestamp.nullable(),
});
export type Asset = z.infer<typeof Asset>;

export const LinkKind = z.enum(['asana_task', 'asana_subtask', 'drive_file', 'monday_item', 'notion_page']);
export const AssetLink = z.object({
  id: Uuid,
  assetId: Uuid,
  connectionId: z.string().min(1),
  kind: LinkKind,
  externalId: z.string().min(1),
  url: z.url().nullable(),
  /** How the link was made: the record the asset came from, an explicit link in a task, or a name match. */
  via: z.enum(['primary', 'explicit', 'name']),
});
export type AssetLink = z.infer<typeof AssetLink>;

export const Version = z.object({
  ...base,
  assetId: Uuid,
  number: z.number().int().positive(),
  name: z.string().min(1),
  source: z.enum(['attachment', 'revision', 'file_column', 'name_suffix', 'files_property']),
  url: z.url().nullable(),
  host: z.string().nullable(),
  sizeBytes: z.number().int().nonnegative().nullable(),
  checksum: z.string().nullable(),
  /** The Drive file this version is (a revision) or points to (an attachment hosted on Drive); null otherwise. */
  fileRef: z.string().min(1).nullable().default(null),
  createdById: Uuid.nullable(),
  createdAt: Timestamp,
});
export type Version = z.infer<typeof Version>;

export const Comment = z.object({
  ...base,
  assetId: Uuid,
  versionId: Uuid.nullable(),
  authorId: Uuid.nullable(),
  body: z.string(),
  createdAt: Timestamp,
  /** Where the comment sits when it is not on the asset's own record (e.g. an approval subtask). */
  threadExternalId: z.string().nullable(),
});
export type Comment = z.infer<typeof Comment>;

export const Decision = z.object({
  ...base,
  assetId: Uuid,
  versionId: Uuid.nullable(),
  decision: DecisionKind,
  reviewerId: Uuid.nullable(),
  /** Role from the workspace's people config at normalization time (e.g. creative_director, client). */
  role: z.string().nullable(),
  decidedAt: Timestamp,
});
export type Decision = z.infer<typeof Decision>;

export const StageTransition = z.object({
  ...base,
  assetId: Uuid,
  fromStage: StageId.nullable(),
  toStage: StageId.nullable(),
  fromStatus: z.string().nullable(),
  toStatus: z.string().nullable(),
  at: Timestamp,
  actorId: Uuid.nullable(),
  /** vendor_history: the tool's own log; initial: the stage an asset was created in; observed: seen changed between syncs. */
  source: z.enum(['vendor_history', 'initial', 'observed']),
});
export type StageTransition = z.infer<typeof StageTransition>;

/**
 * A file as a file store holds it (a Google Drive file or folder), before linking: a file becomes part
 * of an asset through mapping/linking.ts, and its revisions and comments then become the asset's
 * Versions and Comments. Files no asset claims stay here, listed as orphans.
 */
export const StoredFile = z.object({
  ...base,
  name: z.string().min(1),
  mimeType: z.string().min(1),
  isFolder: z.boolean(),
  /** Parent folder ids (Drive: at most one). */
  parentIds: z.array(z.string().min(1)),
  /** The shared drive holding it, or null for My Drive. */
  driveId: z.string().nullable(),
  sizeBytes: z.number().int().nonnegative().nullable(),
  /** `md5:<hex>` for binary content; null for Google Docs, Sheets, Slides and folders. */
  checksum: z.string().nullable(),
  headRevisionId: z.string().nullable(),
  /** The store's own change counter (Drive `version`, an int64 as a string). */
  version: z.string().nullable(),
  url: z.url().nullable(),
  /** Properties private to Stageline's app (Drive `appProperties`): where write-back puts stage and status. */
  appProperties: z.record(z.string(), z.string()),
  modifiedById: Uuid.nullable(),
  remoteCreatedAt: Timestamp.nullable(),
  remoteUpdatedAt: Timestamp.nullable(),
  /** When it went to the trash; a trashed file is tombstoned, and its asset keeps its history. */
  trashedAt: Timestamp.nullable(),
  trashed: z.boolean(),
});
export type StoredFile = z.infer<typeof StoredFile>;

/** One revision of a stored file (Drive `revisions.list`): becomes a Version when the file is linked. */
export const FileRevision = z.object({
  ...base,
  fileId: Uuid,
  fileExternalId: z.string().min(1),
  /** The name the content had (Drive `originalFilename`, else the file's name): carries the `_vNN`. */
  name: z.string().min(1),
  mimeType: z.string().nullable(),
  sizeBytes: z.number().int().nonnegative().nullable(),
  checksum: z.string().nullable(),
  authorId: Uuid.nullable(),
  authorName: z.string().nullable(),
  createdAt: Timestamp,
  keepForever: z.boolean(),
});
export type FileRevision = z.infer<typeof FileRevision>;

/**
 * A comment or reply on a stored file (Drive `comments.list`, replies inline): becomes a Comment when
 * the file is linked. Drive never gives a commenter's email, so `authorId` is resolved later by
 * display name against the people known from other tools (null when no one matches).
 */
export const FileComment = z.object({
  ...base,
  fileId: Uuid,
  fileExternalId: z.string().min(1),
  /** For a reply: the external id of its comment (thread); null for the comment itself. */
  threadExternalId: z.string().nullable(),
  authorName: z.string().nullable(),
  authorId: Uuid.nullable(),
  body: z.string(),
  /** A reply's action on its thread: `resolve` or `reopen` (Drive `reply.action`). */
  action: z.enum(['resolve', 'reopen']).nullable(),
  /** The thread's state (comments only; null on replies). */
  resolved: z.boolean().nullable(),
  /** The text the comment is anchored to (Drive `quotedFileContent.value`), if any. */
  quoted: z.string().nullable(),
  deleted: z.boolean(),
  createdAt: Timestamp,
  modifiedAt: Timestamp.nullable(),
});
export type FileComment = z.infer<typeof FileComment>;

/** One validation problem with a record, in zod's shape: a code and a path (STYLE.md §6). */
export interface Issue {
  code: string;
  path: (string | number)[];
  message: string;
}
export type Normalized<T> = { ok: true; value: T } | { ok: false; issues: Issue[] };

/** A vendor record that did not fit: counted, stored in ops.rejected_records, never dropped silently. */
export interface RejectedRecord {
  stream: string;
  externalId: string | null;
  issues: Issue[];
  raw: unknown;
}

/** What one page of a sync commits, in one transaction with its cursor. */
export interface Batch {
  persons: Person[];
  projects: Project[];
  assets: Asset[];
  links: AssetLink[];
  versions: Version[];
  comments: Comment[];
  decisions: Decision[];
  transitions: StageTransition[];
  /** File-store records (Drive): files and folders, their revisions and comments. */
  files: StoredFile[];
  fileRevisions: FileRevision[];
  fileComments: FileComment[];
  rejected: RejectedRecord[];
  /** Records the vendor says are gone: soft-deleted, never hard-deleted. */
  tombstones: { kind: 'asset' | 'version' | 'comment' | 'decision' | 'file'; ids: string[]; at: string }[];
  /**
   * Complete child lists fetched for an asset: any stored live row of that kind, asset and thread
   * scope that is not listed was deleted at the vendor and is tombstoned.
   */
  complete: CompleteSet[];
}

export interface CompleteSet {
  kind: 'version' | 'comment' | 'decision' | 'file_revision' | 'file_comment';
  /** The asset (kinds version, comment, decision) or the stored file (file_revision, file_comment). */
  assetId: string;
  /** 'asset': rows on the asset's own record; 'threads': rows on sub-records (e.g. approval subtasks). */
  scope: 'asset' | 'threads' | 'all';
  ids: string[];
}

export function emptyBatch(): Batch {
  return { persons: [], projects: [], assets: [], links: [], versions: [], comments: [], decisions: [], transitions: [], files: [], fileRevisions: [], fileComments: [], rejected: [], tombstones: [], complete: [] };
}

export function mergeBatches(into: Batch, from: Batch): Batch {
  into.persons.push(...from.persons);
  into.projects.push(...from.projects);
  into.assets.push(...from.assets);
  into.links.push(...from.links);
  into.versions.push(...from.versions);
  into.comments.push(...from.comments);
  into.decisions.push(...from.decisions);
  into.transitions.push(...from.transitions);
  into.files.push(...from.files);
  into.fileRevisions.push(...from.fileRevisions);
  into.fileComments.push(...from.fileComments);
  into.rejected.push(...from.rejected);
  into.tombstones.push(...from.tombstones);
  into.complete.push(...from.complete);
  return into;
}

/** Zod issues → our Issue list, with a path prefix. */
export function toIssues(error: z.ZodError, prefix: (string | number)[] = []): Issue[] {
  return error.issues.map((i) => ({
    code: i.code,
    path: [...prefix, ...i.path.map((p) => (typeof p === 'symbol' ? String(p) : p))],
    message: i.message,
  }));
}
