// The Drive simulator's in-memory records and ground-truth types. Records point at each other (a
// file holds its revisions and comments, a comment its replies), times are epoch milliseconds and
// become RFC 3339 strings only when a response is written.

export const MIME = {
  folder: 'application/vnd.google-apps.folder',
  document: 'application/vnd.google-apps.document',
  spreadsheet: 'application/vnd.google-apps.spreadsheet',
  presentation: 'application/vnd.google-apps.presentation',
} as const;

/** Binary MIME types by file extension (what Drive detects on upload). */
export const MIME_BY_EXT: Readonly<Record<string, string>> = {
  psd: 'image/vnd.adobe.photoshop',
  mp4: 'video/mp4',
  mov: 'video/quicktime',
  pdf: 'application/pdf',
  html: 'text/html',
  jpg: 'image/jpeg',
  jpeg: 'image/jpeg',
  png: 'image/png',
  zip: 'application/zip',
  ai: 'application/postscript',
  txt: 'text/plain',
};

export const isGoogleEditorMime = (mime: string): boolean =>
  mime === MIME.document || mime === MIME.spreadsheet || mime === MIME.presentation;
export const isFolderMime = (mime: string): boolean => mime === MIME.folder;
/** Files whose content Drive stores as a blob: they have md5Checksum, headRevisionId, keepForever. */
export const isBinaryMime = (mime: string): boolean => mime !== MIME.folder && !mime.startsWith('application/vnd.google-apps.');

/** One person as Drive shows them. Comment authors carry only displayName (and `me`). */
export interface DrivePerson {
  email: string;
  displayName: string;
  /** Whether `emailAddress` is shown on lastModifyingUser/owners (hidden for some outside accounts). */
  emailVisible: boolean;
  permissionId: string;
  /** The Asana user this person is, or null for Drive-only people (freelancers). */
  asanaUserGid: string | null;
  /** The Asana user's name, kept to explain display-name mismatches in the truth. */
  asanaName: string | null;
}

export interface SharedDriveRec {
  id: string;
  name: string;
  createdTime: number;
  colorRgb: string;
  themeId: string;
}

export interface RevisionRec {
  id: string;
  modifiedTime: number;
  author: DrivePerson;
  mimeType: string;
  /** Binary revisions only. */
  size: number | null;
  md5: string | null;
  originalFilename: string | null;
  keepForever: boolean;
}

export interface ReplyRec {
  id: string;
  createdTime: number;
  modifiedTime: number;
  author: DrivePerson;
  content: string;
  deleted: boolean;
  action: 'resolve' | 'reopen' | null;
}

export interface CommentRec {
  id: string;
  createdTime: number;
  modifiedTime: number;
  author: DrivePerson;
  content: string;
  deleted: boolean;
  resolved: boolean;
  anchor: string | null;
  quoted: string | null;
  replies: ReplyRec[];
}

export interface FileRec {
  readonly seq: number;
  readonly id: string;
  name: string;
  mimeType: string;
  /** Zero (roots) or one parent id: Drive no longer allows several parents. */
  parents: string[];
  /** The shared drive it lives in, or null for My Drive. */
  driveId: string | null;
  /** My Drive root, or a shared drive's top folder: never listed. */
  isRoot: boolean;
  createdTime: number;
  modifiedTime: number;
  owner: DrivePerson;
  lastModifyingUser: DrivePerson;
  /** email → last time this person changed content or name (modifiedByMe, modifiedByMeTime). */
  editedBy: Map<string, number>;
  description: string | null;
  starred: boolean;
  trashed: boolean;
  /** Trashed itself, as opposed to inside a trashed folder. */
  explicitlyTrashed: boolean;
  trashedTime: number | null;
  trashingUser: DrivePerson | null;
  appProperties: Record<string, string>;
  properties: Record<string, string>;
  /** Monotonic: bumped on every server-side change. */
  version: number;
  revisions: RevisionRec[];
  comments: CommentRec[];
  /** Size of a Google editor file (the v3 types say editor files have one; binaries take the head revision's). */
  editorSize: number;
  /** Permanently deleted: answers 404, appears in changes as `removed`. */
  deleted: boolean;
  deletedTime: number | null;
  /** Access lost (unshared): answers 404, appears in changes as `removed`. */
  hidden: boolean;
  /** Index of this file's live entry in the change log, or -1. */
  changeIndex: number;
  nextRevision: number;
}

export interface ChangeRec {
  /** The change id (= its position + 1); also the page token that starts at it. */
  id: number;
  file: FileRec;
  time: number;
  /** False once a later change to the same file supersedes it: Drive lists a file once per window. */
  live: boolean;
}

// ---- ground truth -----------------------------------------------------------------------------

export type LinkKind = 'explicit' | 'name' | 'orphan' | 'misnamed';

export interface RevisionTruth {
  id: string;
  modifiedTime: string;
  /** Bytes; null for Google editor revisions. */
  size: number | null;
  md5: string | null;
  authorEmail: string;
  /** The asset version this revision holds, or null for documents and strays. */
  versionNumber: number | null;
  keepForever: boolean;
}

export interface ReplyTruth {
  id: string;
  authorDisplayName: string;
  authorEmail: string;
  /** The email a connector should find by matching the display name exactly against Asana user names; null when it cannot. */
  matchesEmail: string | null;
  createdTime: string;
  action: 'resolve' | 'reopen' | null;
  deleted: boolean;
}

export interface CommentTruth {
  id: string;
  authorDisplayName: string;
  authorEmail: string;
  matchesEmail: string | null;
  createdTime: string;
  resolved: boolean;
  deleted: boolean;
  replies: ReplyTruth[];
}

export type FileCategory = 'asset' | 'document' | 'stray';

export interface DriveFileTruth {
  fileId: string;
  name: string;
  mimeType: string;
  /** `Lumen & Lark Creative/Acme Outdoor (ACME)/ACME — Holiday 2026/Working`, from the root down. */
  folderPath: string;
  /** Folders it was in before, oldest first (moved files). */
  previousFolderPaths: string[];
  driveId: string | null;
  category: FileCategory;
  /** The asset key the file is meant to carry (even when its name gets it wrong); null for documents and strays. */
  assetKey: string | null;
  /** The Asana task it belongs to (explicit link or key), or null. */
  taskGid: string | null;
  linkKind: LinkKind;
  /** Asana attachments (host gdrive) whose view_url names this file. */
  attachmentGids: string[];
  /** Asset versions the file holds (one per `_vNN` copy; several for a file with revisions). */
  versionNumbers: number[];
  /** Revisions Drive still serves, oldest first. */
  revisions: RevisionTruth[];
  /** Binary revisions Drive purged (superseded more than 30 days ago, not kept forever). */
  purgedRevisions: number;
  comments: CommentTruth[];
  trashed: boolean;
  deleted: boolean;
  /** The token users lost access to it (control.unshareFile): it answers 404 like a deleted file. */
  unshared: boolean;
}

export interface FolderTruth {
  folderId: string;
  name: string;
  path: string;
  driveId: string | null;
  /** The Asana project the folder (or its parent campaign folder) belongs to. */
  projectGid: string | null;
  /** `client`, `campaign`, `Working`, `Final`, `Briefs` or `root`. */
  role: string;
}

export interface PersonTruth {
  email: string;
  displayName: string;
  asanaUserGid: string | null;
  asanaName: string | null;
  /** Whether the display name equals the Asana user's name exactly. */
  displayNameMatches: boolean;
}

export interface DriveTruth {
  sharedDriveId: string;
  myDriveRootId: string;
  /** The folders a connection would be configured with: the shared drive and the My Drive hand-off folder. */
  rootFolderIds: string[];
  /** Every non-folder file ever generated or created, by id, in creation order. */
  files: Map<string, DriveFileTruth>;
  folders: Map<string, FolderTruth>;
  people: PersonTruth[];
  /** Every Asana asset key → its task gid, so files created later can be classified by name. */
  assetKeys: Map<string, string>;
}

export interface DriveDataset {
  seed: string;
  /** ISO time the generated history ends at (the agency's `now`). */
  now: string;
  sharedDrive: SharedDriveRec;
  myDriveRoot: FileRec;
  /** Every file and folder (roots included), in creation order; deleted ones stay, flagged. */
  files: FileRec[];
  people: DrivePerson[];
  /** The person the default token acts as (the agency's "Creative Ops Bot"). */
  bot: DrivePerson;
  /** The change log, oldest first, one live entry per file. */
  changes: ChangeRec[];
}

export interface GeneratedDrive {
  dataset: DriveDataset;
  truth: DriveTruth;
}

export const isoTime = (ms: number): string => new Date(ms).toISOString();

/** Characters Drive uses in file ids. */
export const ID_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
