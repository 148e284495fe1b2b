// Records → Drive v3 JSON, one getter per field, rendered only for the fields asked for. Which
// fields appear on which kind of file follows the field descriptions in build/v3.d.ts (for example
// md5Checksum/headRevisionId "only for files with binary content", owners "not populated for items in
// shared drives", trashedTime "only populated for items in shared drives", a comment author's email
// "will not be populated").

import { type FieldTree, type Selection, parseFields, project, sub, wanted } from './fields';
import {
  type ChangeRec,
  type CommentRec,
  type DrivePerson,
  type FileRec,
  type ReplyRec,
  type RevisionRec,
  type SharedDriveRec,
  MIME,
  isBinaryMime,
  isFolderMime,
  isGoogleEditorMime,
  isoTime,
} from './model';
import { sha1Of, sha256Of } from './records';

export interface RenderContext {
  me: DrivePerson;
}

type Getter<T> = (rec: T, ctx: RenderContext, sel: Selection) => unknown;

export interface Def<T> {
  fields: Record<string, Getter<T>>;
  names: string[];
  /** Fields whose getter renders its own sub-selection (nested records). */
  nested: Set<string>;
}

function define<T>(fields: Record<string, Getter<T>>, nested: string[] = []): Def<T> {
  return { fields, names: Object.keys(fields), nested: new Set(nested) };
}

export function render<T>(def: Def<T>, rec: T, sel: Selection, ctx: RenderContext): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const name of wanted(sel, def.names)) {
    const get = def.fields[name];
    if (!get) continue;
    const s = sub(sel, name) as Selection;
    let v = get(rec, ctx, s);
    if (v === undefined) continue;
    if (s !== true && !def.nested.has(name)) v = project(v, s);
    out[name] = v;
  }
  return out;
}

// ---- users --------------------------------------------------------------------------------------

/** A user on files and revisions: email shown unless the person hides it. */
export function userJson(p: DrivePerson, ctx: RenderContext): Record<string, unknown> {
  const u: Record<string, unknown> = { kind: 'drive#user', displayName: p.displayName, me: p.email === ctx.me.email, permissionId: p.permissionId };
  if (p.emailVisible) u.emailAddress = p.email;
  return u;
}

/** A comment or reply author: "The author's email address and permission ID will not be populated." */
export function authorJson(p: DrivePerson, ctx: RenderContext): Record<string, unknown> {
  return { kind: 'drive#user', displayName: p.displayName, me: p.email === ctx.me.email };
}

// ---- files --------------------------------------------------------------------------------------

const head = (f: FileRec): RevisionRec | undefined => f.revisions[f.revisions.length - 1];
const ext = (name: string): string | undefined => /\.([A-Za-z0-9]{1,8})$/.exec(name)?.[1];
const binary = (f: FileRec): boolean => isBinaryMime(f.mimeType);
const inSharedDrive = (f: FileRec): boolean => f.driveId !== null;
const EMPTY_MD5 = 'd41d8cd98f00b204e9800998ecf8427e';

const EDITOR_PATH: Record<string, string> = { [MIME.document]: 'document', [MIME.spreadsheet]: 'spreadsheets', [MIME.presentation]: 'presentation' };
const EXPORTS: Record<string, [string, string][]> = {
  [MIME.document]: [
    ['application/pdf', 'pdf'],
    ['application/vnd.openxmlformats-officedocument.wordprocessingml.document', 'docx'],
    ['text/plain', 'txt'],
  ],
  [MIME.spreadsheet]: [
    ['application/pdf', 'pdf'],
    ['application/vnd.openxmlformats-officedocument.spreadsheetml.sheet', 'xlsx'],
    ['text/csv', 'csv'],
  ],
  [MIME.presentation]: [
    ['application/pdf', 'pdf'],
    ['application/vnd.openxmlformats-officedocument.presentationml.presentation', 'pptx'],
  ],
};

function exportLinks(f: FileRec): Record<string, string> | undefined {
  const list = EXPORTS[f.mimeType];
  if (!list) return undefined;
  const kind = EDITOR_PATH[f.mimeType] as string;
  return Object.fromEntries(list.map(([mime, format]) => [mime, `https://docs.google.com/feeds/download/${kind === 'spreadsheets' ? 'spreadsheets' : kind === 'presentation' ? 'presentations' : 'documents'}/export/Export?id=${f.id}&exportFormat=${format}`]));
}

function capabilities(f: FileRec): Record<string, boolean> {
  const folder = isFolderMime(f.mimeType);
  const shared = inSharedDrive(f);
  return {
    canAddChildren: folder && !f.trashed,
    canComment: !folder,
    canCopy: !folder,
    canDelete: true,
    canDownload: !folder,
    canEdit: !f.trashed,
    canListChildren: folder,
    canModifyContent: !folder && !f.trashed,
    canMoveItemWithinDrive: true,
    canReadRevisions: !folder,
    canRemoveChildren: folder,
    canRename: true,
    canShare: true,
    canTrash: !f.trashed,
    canUntrash: f.trashed,
    ...(shared ? { canReadDrive: true, canTrashChildren: folder, canDeleteChildren: folder } : { canRemoveMyDriveParent: true }),
  };
}

function mediaSize(f: FileRec): { width: number; height: number } {
  const m = /(\d{3,4})x(\d{3,4})/.exec(f.name);
  return m ? { width: Number(m[1]), height: Number(m[2]) } : { width: 1920, height: 1080 };
}

export const FILE: Def<FileRec> = define<FileRec>({
  kind: () => 'drive#file',
  id: (f) => f.id,
  name: (f) => f.name,
  mimeType: (f) => f.mimeType,
  description: (f) => f.description ?? undefined,
  starred: (f) => f.starred,
  trashed: (f) => f.trashed,
  explicitlyTrashed: (f) => f.explicitlyTrashed,
  trashingUser: (f, ctx) => (inSharedDrive(f) && f.trashed && f.explicitlyTrashed && f.trashingUser ? userJson(f.trashingUser, ctx) : undefined),
  trashedTime: (f) => (inSharedDrive(f) && f.trashed && f.trashedTime !== null ? isoTime(f.trashedTime) : undefined),
  parents: (f) => (f.parents.length > 0 ? [...f.parents] : undefined),
  properties: (f) => (Object.keys(f.properties).length > 0 ? { ...f.properties } : undefined),
  appProperties: (f) => (Object.keys(f.appProperties).length > 0 ? { ...f.appProperties } : undefined),
  spaces: () => ['drive'],
  version: (f) => String(f.version),
  webContentLink: (f) => (binary(f) ? `https://drive.google.com/uc?id=${f.id}&export=download` : undefined),
  webViewLink: (f) =>
    isFolderMime(f.mimeType)
      ? `https://drive.google.com/drive/folders/${f.id}`
      : isGoogleEditorMime(f.mimeType)
        ? `https://docs.google.com/${EDITOR_PATH[f.mimeType] ?? 'document'}/d/${f.id}/edit?usp=drivesdk`
        : `https://drive.google.com/file/d/${f.id}/view?usp=drivesdk`,
  iconLink: (f) => `https://drive-thirdparty.googleusercontent.com/16/type/${f.mimeType}`,
  hasThumbnail: (f) => !isFolderMime(f.mimeType) && f.mimeType !== 'application/zip' && f.mimeType !== 'text/html',
  thumbnailVersion: (f) => String(isFolderMime(f.mimeType) ? 0 : f.revisions.length),
  viewedByMe: (f, ctx) => f.editedBy.has(ctx.me.email),
  createdTime: (f) => isoTime(f.createdTime),
  modifiedTime: (f) => isoTime(f.modifiedTime),
  modifiedByMeTime: (f, ctx) => {
    const t = f.editedBy.get(ctx.me.email);
    return t === undefined ? undefined : isoTime(t);
  },
  modifiedByMe: (f, ctx) => f.editedBy.has(ctx.me.email),
  owners: (f, ctx) => (inSharedDrive(f) ? undefined : [userJson(f.owner, ctx)]),
  lastModifyingUser: (f, ctx) => userJson(f.lastModifyingUser, ctx),
  shared: (f) => (inSharedDrive(f) ? undefined : !f.isRoot),
  ownedByMe: (f, ctx) => (inSharedDrive(f) ? undefined : f.owner.email === ctx.me.email),
  capabilities: (f) => capabilities(f),
  copyRequiresWriterPermission: () => false,
  writersCanShare: (f) => (inSharedDrive(f) ? undefined : true),
  hasAugmentedPermissions: (f) => (inSharedDrive(f) ? false : undefined),
  inheritedPermissionsDisabled: () => false,
  isAppAuthorized: () => false,
  originalFilename: (f) => (binary(f) ? (head(f)?.originalFilename ?? f.name) : undefined),
  fullFileExtension: (f) => (binary(f) ? ext(f.name) : undefined),
  fileExtension: (f) => (binary(f) ? ext(f.name) : undefined),
  md5Checksum: (f) => (binary(f) ? (head(f)?.md5 ?? EMPTY_MD5) : undefined),
  sha1Checksum: (f) => (binary(f) ? sha1Of(head(f)?.md5 ?? EMPTY_MD5) : undefined),
  sha256Checksum: (f) => (binary(f) ? sha256Of(head(f)?.md5 ?? EMPTY_MD5) : undefined),
  // "Size in bytes of blobs and Google Workspace editor files. Won't be populated for files that have no size, like shortcuts and folders."
  size: (f) => (binary(f) ? String(head(f)?.size ?? 0) : isGoogleEditorMime(f.mimeType) ? String(f.editorSize) : undefined),
  quotaBytesUsed: (f) => String(binary(f) ? f.revisions.reduce((n, r, i) => n + (i === f.revisions.length - 1 || r.keepForever ? (r.size ?? 0) : 0), 0) : 0),
  headRevisionId: (f) => (binary(f) ? head(f)?.id : undefined),
  driveId: (f) => f.driveId ?? undefined,
  exportLinks: (f) => exportLinks(f),
  videoMediaMetadata: (f) => (f.mimeType.startsWith('video/') ? { ...mediaSize(f), durationMillis: String(15_000 + (f.seq % 16) * 1_000) } : undefined),
  imageMediaMetadata: (f) => (f.mimeType === 'image/jpeg' || f.mimeType === 'image/png' ? { ...mediaSize(f), rotation: 0 } : undefined),
});

// ---- revisions, comments, replies ----------------------------------------------------------------

export const revisionDef = (file: FileRec): Def<RevisionRec> => {
  const bin = binary(file);
  return define<RevisionRec>({
    kind: () => 'drive#revision',
    id: (r) => r.id,
    mimeType: (r) => r.mimeType,
    modifiedTime: (r) => isoTime(r.modifiedTime),
    // "This field is only applicable to files with binary content in Drive."
    keepForever: (r) => (bin ? r.keepForever : undefined),
    published: () => (bin ? undefined : false),
    publishAuto: () => (bin ? undefined : false),
    publishedOutsideDomain: () => (bin ? undefined : false),
    lastModifyingUser: (r, ctx) => userJson(r.author, ctx),
    originalFilename: (r) => (bin ? (r.originalFilename ?? undefined) : undefined),
    md5Checksum: (r) => (bin ? (r.md5 ?? undefined) : undefined),
    size: (r) => (bin && r.size !== null ? String(r.size) : undefined),
    exportLinks: () => (bin ? undefined : exportLinks(file)),
  });
};

const escapeHtml = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

export interface CommentView {
  comment: CommentRec;
  includeDeleted: boolean;
}

export const REPLY: Def<ReplyRec> = define<ReplyRec>({
  kind: () => 'drive#reply',
  id: (r) => r.id,
  createdTime: (r) => isoTime(r.createdTime),
  modifiedTime: (r) => isoTime(r.modifiedTime),
  author: (r, ctx) => authorJson(r.author, ctx),
  htmlContent: (r) => (r.deleted ? '' : escapeHtml(r.content)),
  content: (r) => (r.deleted ? '' : r.content),
  deleted: (r) => r.deleted,
  action: (r) => r.action ?? undefined,
});

export const COMMENT: Def<CommentView> = define<CommentView>(
  {
    kind: () => 'drive#comment',
    id: (v) => v.comment.id,
    createdTime: (v) => isoTime(v.comment.createdTime),
    modifiedTime: (v) => isoTime(v.comment.modifiedTime),
    author: (v, ctx) => authorJson(v.comment.author, ctx),
    htmlContent: (v) => (v.comment.deleted ? '' : escapeHtml(v.comment.content)),
    content: (v) => (v.comment.deleted ? '' : v.comment.content),
    deleted: (v) => v.comment.deleted,
    resolved: (v) => v.comment.resolved,
    anchor: (v) => v.comment.anchor ?? undefined,
    quotedFileContent: (v) => (v.comment.quoted === null ? undefined : { mimeType: 'text/html', value: v.comment.quoted }),
    replies: (v, ctx, sel) => v.comment.replies.filter((r) => v.includeDeleted || !r.deleted).map((r) => render(REPLY, r, sel, ctx)),
  },
  ['replies'],
);

// ---- changes, drives, about -----------------------------------------------------------------------

export const CHANGE: Def<ChangeRec> = define<ChangeRec>(
  {
    kind: () => 'drive#change',
    changeType: () => 'file',
    time: (c) => isoTime(c.time),
    removed: (c) => c.file.deleted || c.file.hidden,
    fileId: (c) => c.file.id,
    file: (c, ctx, sel) => (c.file.deleted || c.file.hidden ? undefined : render(FILE, c.file, sel, ctx)),
  },
  ['file'],
);

export const DRIVE: Def<SharedDriveRec> = define<SharedDriveRec>({
  kind: () => 'drive#drive',
  id: (d) => d.id,
  name: (d) => d.name,
  createdTime: (d) => isoTime(d.createdTime),
  hidden: () => false,
  colorRgb: (d) => d.colorRgb,
  themeId: (d) => d.themeId,
  backgroundImageLink: (d) => `https://ssl.gstatic.com/team_drive_themes/${d.themeId}_background.jpg`,
  capabilities: () => ({
    canAddChildren: true,
    canComment: true,
    canCopy: true,
    canDeleteChildren: true,
    canDownload: true,
    canEdit: true,
    canListChildren: true,
    canManageMembers: false,
    canReadRevisions: true,
    canRename: false,
    canRenameDrive: false,
    canShare: true,
    canTrashChildren: true,
  }),
  restrictions: () => ({ adminManagedRestrictions: false, copyRequiresWriterPermission: false, domainUsersOnly: false, driveMembersOnly: false, sharingFoldersRequiresOrganizerPermission: false }),
});

export const ABOUT: Def<{ usage: number; trash: number }> = define<{ usage: number; trash: number }>({
  kind: () => 'drive#about',
  user: (_a, ctx) => userJson(ctx.me, ctx),
  storageQuota: (a) => ({ limit: String(2 * 1024 ** 4), usage: String(a.usage), usageInDrive: String(a.usage), usageInDriveTrash: String(a.trash) }),
  maxUploadSize: () => String(5_120 * 1024 ** 3),
  appInstalled: () => false,
  canCreateDrives: () => true,
  folderColorPalette: () => ['#ac725e', '#d06b64', '#f83a22', '#fa573c', '#ff7537', '#ffad46', '#42d692', '#16a765', '#7bd148', '#b3dc6c', '#fbe983', '#fad165', '#92e1c0', '#9fe1e7', '#9fc6e7', '#4986e7', '#9a9cff', '#b99aff', '#8f8f8f'],
  driveThemes: () => [
    { id: 'abacus', backgroundImageLink: 'https://ssl.gstatic.com/team_drive_themes/abacus_background.jpg', colorRgb: '#4986e7' },
    { id: 'blueprints', backgroundImageLink: 'https://ssl.gstatic.com/team_drive_themes/blueprints_background.jpg', colorRgb: '#16a765' },
  ],
  exportFormats: () => Object.fromEntries(Object.entries(EXPORTS).map(([mime, list]) => [mime, list.map(([m]) => m)])),
  importFormats: () => ({ 'text/plain': [MIME.document], 'text/csv': [MIME.spreadsheet] }),
  maxImportSizes: () => ({ [MIME.document]: '10485760', [MIME.spreadsheet]: '104857600', [MIME.presentation]: '104857600' }),
});

// ---- lists ----------------------------------------------------------------------------------------

export interface Page<T> {
  items: T[];
  nextPageToken: string | null;
}

/** A `{kind, nextPageToken, <items>}` list whose items render with their own definition. */
export function renderList<T>(kind: string, itemsKey: string, def: Def<T>, page: Page<T>, sel: Selection, ctx: RenderContext, extra: Record<string, unknown> = {}): Record<string, unknown> {
  const fields: Record<string, Getter<Page<T>>> = {
    kind: () => kind,
    nextPageToken: (p) => p.nextPageToken ?? undefined,
  };
  for (const [k, v] of Object.entries(extra)) fields[k] = () => v;
  fields[itemsKey] = (p, c, s) => p.items.map((item) => render(def, item, s, c));
  return render(define(fields, [itemsKey]), page, sel, ctx);
}

// ---- default selections (what Drive answers without `fields`) --------------------------------------

export const DEFAULT_FIELDS: Readonly<Record<string, FieldTree>> = {
  file: parseFields('kind,id,name,mimeType'),
  fileList: parseFields('kind,nextPageToken,incompleteSearch,files(kind,id,name,mimeType)'),
  revision: parseFields('kind,id,mimeType,modifiedTime'),
  revisionList: parseFields('kind,nextPageToken,revisions(kind,id,mimeType,modifiedTime)'),
  reply: parseFields('*'),
  replyList: parseFields('kind,nextPageToken,replies'),
  changeList: parseFields('kind,nextPageToken,newStartPageToken,changes(kind,changeType,time,removed,fileId,file(kind,id,name,mimeType))'),
  startPageToken: parseFields('kind,startPageToken'),
  drive: parseFields('kind,id,name'),
  driveList: parseFields('kind,nextPageToken,drives(kind,id,name)'),
};
