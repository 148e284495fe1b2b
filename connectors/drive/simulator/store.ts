// The simulator's live state: indexes by id and by parent, every write Drive would accept, the change
// log (one live entry per file, with monotonically increasing change ids) and signed page tokens.
// The HTTP write endpoints and the control surface both call these methods, so a test's "user edit"
// and a connector's write-back leave the same traces, and the ground truth stays current.

import { createHmac, randomBytes } from 'node:crypto';
import {
  DriveError,
  badRequest,
  commentNotFound,
  fileNotFound,
  forbidden,
  invalidValue,
  replyNotFound,
} from './errors';
import {
  type ChangeRec,
  type CommentRec,
  type DriveDataset,
  type DriveFileTruth,
  type DrivePerson,
  type DriveTruth,
  type FileRec,
  type ReplyRec,
  type RevisionRec,
  MIME_BY_EXT,
  isBinaryMime,
  isFolderMime,
  isGoogleEditorMime,
} from './model';
import { IdMint, createFileRec, md5Of, mimeForName } from './records';
import { carriesKey, commentTruth, linkKindFor, revisionTruth } from './truth';

export interface StoreOptions {
  /** Epoch milliseconds; default Date.now. */
  clock?: () => number;
}

/** appProperties and properties: key + value ≤ 124 bytes, ≤ 30 private properties per app per file. */
const PROPERTY_BYTES = 124;
const MAX_APP_PROPERTIES = 30;

export class DriveStore {
  readonly clock: () => number;
  readonly byId = new Map<string, FileRec>();
  /** parent id → live (not deleted) children in creation order. */
  readonly children = new Map<string, FileRec[]>();
  readonly people = new Map<string, DrivePerson>();
  readonly asanaNames = new Map<string, string>();
  /** Change tokens below this were expired by expirePageTokens(). */
  private minChangeToken = 1;
  /** Added to positions to make change tokens; grows on expirePageTokens(). */
  private changeTokenOffset = 0;
  private tokenEpoch = 0;
  private readonly secret = randomBytes(16);
  private readonly mint: IdMint;
  private lastWrite: number;

  constructor(
    readonly dataset: DriveDataset,
    readonly truth: DriveTruth,
    options: StoreOptions = {},
  ) {
    this.clock = options.clock ?? Date.now;
    this.lastWrite = Date.parse(dataset.now);
    for (const c of dataset.changes) this.lastWrite = Math.max(this.lastWrite, c.time);
    this.mint = new IdMint(`drive-live:${dataset.seed}`);
    for (const p of dataset.people) this.people.set(p.email, p);
    for (const p of truth.people) if (p.asanaName !== null) this.asanaNames.set(p.asanaName, p.email);
    for (const f of dataset.files) {
      this.byId.set(f.id, f);
      if (!f.deleted && f.parents[0] !== undefined) this.childList(f.parents[0]).push(f);
    }
  }

  get changes(): ChangeRec[] {
    return this.dataset.changes;
  }

  /** Time of a write: never before the generated history, strictly increasing. */
  tick(): number {
    this.lastWrite = Math.max(this.clock(), this.lastWrite + 1);
    return this.lastWrite;
  }

  private childList(parentId: string): FileRec[] {
    let list = this.children.get(parentId);
    if (!list) {
      list = [];
      this.children.set(parentId, list);
    }
    return list;
  }

  // ---- lookups --------------------------------------------------------------------------------------

  /** A file the API may show: not deleted or unshared; shared-drive items only with supportsAllDrives. */
  file(id: string, supportsAllDrives = true): FileRec {
    const f = id === 'root' ? this.dataset.myDriveRoot : this.byId.get(id);
    if (!f || f.deleted || f.hidden || (f.driveId !== null && !supportsAllDrives)) throw fileNotFound(id);
    return f;
  }

  /** Any record by id, for the control surface (deleted ones too). */
  anyFile(id: string): FileRec {
    const f = id === 'root' ? this.dataset.myDriveRoot : this.byId.get(id);
    if (!f) throw fileNotFound(id);
    return f;
  }

  comment(f: FileRec, commentId: string, includeDeleted = true): CommentRec {
    const c = f.comments.find((x) => x.id === commentId);
    if (!c || (c.deleted && !includeDeleted)) throw commentNotFound(commentId);
    return c;
  }

  reply(c: CommentRec, replyId: string, includeDeleted = true): ReplyRec {
    const r = c.replies.find((x) => x.id === replyId);
    if (!r || (r.deleted && !includeDeleted)) throw replyNotFound(replyId);
    return r;
  }

  person(email: string): DrivePerson {
    const p = this.people.get(email.toLowerCase());
    if (!p) throw new RangeError(`no Drive person with email ${email}`);
    return p;
  }

  /** Folder path from the root down, as the truth records it. */
  path(f: FileRec): string {
    const names: string[] = [];
    for (let at: FileRec | undefined = f; at; at = at.parents[0] ? this.byId.get(at.parents[0]) : undefined) names.unshift(at.name);
    return names.join('/');
  }

  truthOf(fileId: string): DriveFileTruth | undefined {
    return this.truth.files.get(fileId);
  }

  // ---- the change log -------------------------------------------------------------------------------

  /** Appends a change for the file and retires its previous one: a file is listed once per window. */
  recordChange(f: FileRec, time: number): void {
    if (f.isRoot) return;
    const log = this.dataset.changes;
    if (f.changeIndex >= 0) (log[f.changeIndex] as ChangeRec).live = false;
    f.changeIndex = log.length;
    log.push({ id: log.length + 1, file: f, time, live: true });
  }

  /** The page token that starts at a position of the log (a change id, as Drive's tokens are). */
  changeToken(position: number): string {
    return String(position + 1 + this.changeTokenOffset);
  }

  /** The token that starts after every change so far. */
  startPageToken(): string {
    return this.changeToken(this.dataset.changes.length);
  }

  /** Position in the log a changes page token stands for; a 400 "Invalid Value" for anything else. */
  changePosition(token: string): number {
    if (!/^\d{1,15}$/.test(token)) throw invalidValue('pageToken');
    const n = Number(token);
    if (n < this.minChangeToken || n > Number(this.startPageToken())) throw invalidValue('pageToken');
    return n - 1 - this.changeTokenOffset;
  }

  /**
   * Invalidates every page token issued so far: list tokens by epoch; change tokens by moving the
   * numbering past every token already handed out, so even the latest start token is refused.
   */
  expirePageTokens(): void {
    this.tokenEpoch++;
    this.changeTokenOffset += this.dataset.changes.length + 1;
    this.minChangeToken = Number(this.startPageToken());
  }

  // ---- signed list tokens ---------------------------------------------------------------------------

  issueToken(listKey: string, cursor: unknown): string {
    const payload = JSON.stringify([this.tokenEpoch, listKey, cursor]);
    const mac = createHmac('sha256', this.secret).update(payload).digest('base64url').slice(0, 22);
    return `${Buffer.from(payload).toString('base64url')}.${mac}`;
  }

  /** The cursor of a token issued for this list, or a 400 "Invalid Value" on `pageToken`. */
  readToken(token: string, listKey: string): unknown {
    const dot = token.lastIndexOf('.');
    if (dot < 0) throw invalidValue('pageToken');
    const payload = Buffer.from(token.slice(0, dot), 'base64url').toString('utf8');
    const mac = createHmac('sha256', this.secret).update(payload).digest('base64url').slice(0, 22);
    if (mac !== token.slice(dot + 1)) throw invalidValue('pageToken');
    const [epoch, key, cursor] = JSON.parse(payload) as [number, string, unknown];
    if (epoch !== this.tokenEpoch || key !== listKey) throw invalidValue('pageToken');
    return cursor;
  }

  // ---- writes -------------------------------------------------------------------------------------

  private touch(f: FileRec, t: number, who: DrivePerson, content: boolean): void {
    f.version++;
    if (content) {
      f.modifiedTime = t;
      f.lastModifyingUser = who;
      f.editedBy.set(who.email, t);
    }
  }

  private nextVersionNumber(truth: DriveFileTruth): number {
    let max = 0;
    for (const t of this.truth.files.values()) {
      if (truth.taskGid !== null ? t.taskGid === truth.taskGid : t.assetKey === truth.assetKey) for (const v of t.versionNumbers) max = Math.max(max, v);
    }
    return max + 1;
  }

  /** A new revision (an upload): binary content gets a size and checksum; editor files just a save. */
  addRevision(who: DrivePerson, f: FileRec, content: { size?: number; md5?: string; mimeType?: string; originalFilename?: string } = {}): RevisionRec {
    if (isFolderMime(f.mimeType)) throw forbidden('revisionsNotSupported', 'The file does not support revisions.');
    const t = this.tick();
    const bin = isBinaryMime(f.mimeType);
    const n = f.nextRevision++;
    const previous = f.revisions[f.revisions.length - 1];
    const rev: RevisionRec = {
      id: bin ? this.mint.binaryRevisionId() : String(previous ? Number(previous.id) + 1 : 1),
      modifiedTime: t,
      author: who,
      mimeType: content.mimeType ?? f.mimeType,
      size: bin ? (content.size ?? 1_048_576) : null,
      md5: bin ? (content.md5 ?? md5Of(`${f.id}:live:${n}`)) : null,
      originalFilename: bin ? (content.originalFilename ?? f.name) : null,
      keepForever: false,
    };
    f.revisions.push(rev);
    if (isGoogleEditorMime(f.mimeType)) f.editorSize += 512;
    this.touch(f, t, who, true);
    const truth = this.truth.files.get(f.id);
    if (truth) {
      let version: number | null = null;
      if (truth.category === 'asset' && (truth.taskGid !== null || truth.assetKey !== null)) {
        // The `_vNN` the uploaded file's name carries for the asset (a save of that version), else the asset's next version.
        const named = truth.assetKey !== null ? carriesKey(rev.originalFilename ?? f.name, truth.assetKey) : null;
        version = named ? named.version : this.nextVersionNumber(truth);
        if (!truth.versionNumbers.includes(version)) truth.versionNumbers.push(version);
      }
      truth.revisions.push(revisionTruth(f, rev, version));
    }
    this.recordChange(f, t);
    return rev;
  }

  rename(who: DrivePerson, f: FileRec, name: string): void {
    if (name.trim() === '') throw invalidValue('name');
    if (f.isRoot) throw forbidden('cannotModifyRootFolder', 'The root folder cannot be renamed.');
    const t = this.tick();
    f.name = name;
    this.touch(f, t, who, true);
    const truth = this.truth.files.get(f.id);
    if (truth) {
      truth.name = name;
      truth.linkKind = linkKindFor(name, truth.assetKey, truth.linkKind === 'explicit');
    }
    if (isFolderMime(f.mimeType)) this.refreshPaths(f);
    this.recordChange(f, t);
  }

  /** Moves a file into another folder (Drive allows one parent); the change feed reports the new parents. */
  move(_who: DrivePerson, f: FileRec, to: FileRec): void {
    if (!isFolderMime(to.mimeType)) throw badRequest('The parent is not a folder.', 'addParents');
    if (f.isRoot) throw forbidden('cannotMoveRootFolder', 'The root folder cannot be moved.');
    for (let at: FileRec | undefined = to; at; at = at.parents[0] ? this.byId.get(at.parents[0]) : undefined) {
      if (at === f) throw badRequest('The move would create a cycle in the folder graph.', 'addParents');
    }
    if (f.parents[0] === to.id) return;
    const t = this.tick();
    const truth = this.truth.files.get(f.id);
    const oldParent = f.parents[0] !== undefined ? this.byId.get(f.parents[0]) : undefined;
    if (truth && oldParent) truth.previousFolderPaths.push(this.path(oldParent));
    if (f.parents[0] !== undefined) removeFrom(this.childList(f.parents[0]), f);
    f.parents = [to.id];
    insertBySeq(this.childList(to.id), f);
    const driveId = to.driveId;
    this.visit(f, (x) => {
      x.driveId = driveId;
      const xt = this.truth.files.get(x.id);
      if (xt) xt.driveId = driveId;
    });
    f.version++;
    if (truth) truth.folderPath = this.path(to);
    if (isFolderMime(f.mimeType)) this.refreshPaths(f);
    this.recordChange(f, t);
  }

  /** Trash or restore; a folder's contents follow it (trashed, but not explicitly). */
  setTrashed(who: DrivePerson, f: FileRec, trashed: boolean): void {
    if (f.isRoot) throw forbidden('cannotTrashRootFolder', 'The root folder cannot be trashed.');
    if (f.trashed === trashed && f.explicitlyTrashed === trashed) return;
    const t = this.tick();
    this.visit(f, (x) => {
      if (x !== f && x.explicitlyTrashed) return;
      x.trashed = trashed;
      x.explicitlyTrashed = trashed && x === f;
      x.trashedTime = trashed ? t : null;
      x.trashingUser = trashed && x === f ? who : null;
      x.version++;
      const xt = this.truth.files.get(x.id);
      if (xt) xt.trashed = trashed;
      this.recordChange(x, t);
    });
  }

  /** Permanent deletion (with a folder's contents): 404 from now on, `removed: true` in changes. */
  delete(f: FileRec): void {
    if (f.isRoot) throw forbidden('cannotDeleteRootFolder', 'The root folder cannot be deleted.');
    if (f.deleted) return;
    const t = this.tick();
    const doomed: FileRec[] = [];
    this.visit(f, (x) => doomed.push(x));
    for (const x of doomed) {
      x.deleted = true;
      x.deletedTime = t;
      if (x.parents[0] !== undefined) removeFrom(this.childList(x.parents[0]), x);
      const xt = this.truth.files.get(x.id);
      if (xt) xt.deleted = true;
      this.recordChange(x, t);
    }
  }

  /** The user loses access (unshared): 404 from now on, `removed: true` in changes. */
  unshare(f: FileRec): void {
    const t = this.tick();
    this.visit(f, (x) => {
      x.hidden = true;
      const xt = this.truth.files.get(x.id);
      if (xt) xt.unshared = true;
      this.recordChange(x, t);
    });
  }

  /** A new file or folder; binary files get a first revision (their content). */
  create(
    who: DrivePerson,
    input: { name: string; parent: FileRec; mimeType?: string; id?: string; size?: number; md5?: string; assetKey?: string | null; taskGid?: string | null; appProperties?: Record<string, string>; description?: string },
  ): FileRec {
    if (!isFolderMime(input.parent.mimeType)) throw badRequest('The parent is not a folder.', 'parents');
    if (input.id !== undefined && this.byId.has(input.id)) throw new DriveError(409, 'A file already exists with the provided ID.', [{ domain: 'global', reason: 'duplicate', message: 'A file already exists with the provided ID.' }]);
    const t = this.tick();
    const mimeType = input.mimeType ?? mimeForName(input.name, MIME_BY_EXT);
    const f = createFileRec({ seq: this.dataset.files.length, id: input.id ?? this.mint.fileId(), name: input.name, mimeType, parent: input.parent, createdTime: t, owner: who });
    if (input.appProperties) f.appProperties = { ...input.appProperties };
    if (input.description !== undefined) f.description = input.description;
    this.dataset.files.push(f);
    this.byId.set(f.id, f);
    this.childList(input.parent.id).push(f);
    if (isFolderMime(mimeType)) {
      this.truth.folders.set(f.id, { folderId: f.id, name: f.name, path: this.path(f), driveId: f.driveId, projectGid: this.truth.folders.get(input.parent.id)?.projectGid ?? null, role: 'folder' });
      this.recordChange(f, t);
      return f;
    }
    // Classify like the generator: an explicit key, else a known key carried in the name.
    let assetKey = input.assetKey ?? null;
    let taskGid = input.taskGid ?? null;
    if (input.assetKey === undefined) {
      const m = /^(.+)_v\d{2,}\.[A-Za-z0-9]+$/.exec(input.name);
      if (m && this.truth.assetKeys.has(m[1] as string)) assetKey = m[1] as string;
    }
    if (assetKey !== null && input.taskGid === undefined) taskGid = this.truth.assetKeys.get(assetKey) ?? null;
    const version = assetKey !== null ? carriesKey(input.name, assetKey)?.version : undefined;
    const truth: DriveFileTruth = {
      fileId: f.id,
      name: f.name,
      mimeType,
      folderPath: this.path(input.parent),
      previousFolderPaths: [],
      driveId: f.driveId,
      category: assetKey !== null ? 'asset' : isGoogleEditorMime(mimeType) ? 'document' : 'stray',
      assetKey,
      taskGid,
      linkKind: linkKindFor(f.name, assetKey, false),
      attachmentGids: [],
      versionNumbers: [],
      revisions: [],
      purgedRevisions: 0,
      comments: [],
      trashed: false,
      deleted: false,
      unshared: false,
    };
    this.truth.files.set(f.id, truth);
    if (isBinaryMime(mimeType) || isGoogleEditorMime(mimeType)) {
      // The first revision is the content; its version is the `_vNN` in the name when there is one.
      const rev = this.addRevisionAt(who, f, t, { size: input.size, md5: input.md5 });
      const v = assetKey !== null ? (version ?? this.nextVersionNumber(truth)) : null;
      if (v !== null) truth.versionNumbers.push(v);
      truth.revisions.push(revisionTruth(f, rev, v));
    }
    this.recordChange(f, t);
    return f;
  }

  private addRevisionAt(who: DrivePerson, f: FileRec, t: number, content: { size?: number; md5?: string }): RevisionRec {
    const bin = isBinaryMime(f.mimeType);
    const n = f.nextRevision++;
    const rev: RevisionRec = {
      id: bin ? this.mint.binaryRevisionId() : '1',
      modifiedTime: t,
      author: who,
      mimeType: f.mimeType,
      size: bin ? (content.size ?? 0) : null,
      md5: bin ? (content.md5 ?? md5Of(`${f.id}:live:${n}`)) : null,
      originalFilename: bin ? f.name : null,
      keepForever: false,
    };
    f.revisions.push(rev);
    if (isGoogleEditorMime(f.mimeType)) f.editorSize = 1024;
    return rev;
  }

  /** appProperties / properties patch: a null value deletes the key. */
  patchProperties(f: FileRec, which: 'appProperties' | 'properties', patch: Record<string, unknown>): boolean {
    const next = { ...f[which] };
    for (const [k, v] of Object.entries(patch)) {
      if (v === null) {
        delete next[k];
        continue;
      }
      if (typeof v !== 'string') throw invalidValue(`${which}.${k}`);
      if (Buffer.byteLength(k) + Buffer.byteLength(v) > PROPERTY_BYTES) {
        throw badRequest(`The limit for this property's key and value size is ${PROPERTY_BYTES} bytes: ${k}`, `${which}.${k}`);
      }
      next[k] = v;
    }
    if (which === 'appProperties' && Object.keys(next).length > MAX_APP_PROPERTIES) {
      throw badRequest(`The limit for the number of private properties per app per file is ${MAX_APP_PROPERTIES}.`, which);
    }
    const same = JSON.stringify(sorted(next)) === JSON.stringify(sorted(f[which]));
    if (same) return false;
    f[which] = next;
    return true;
  }

  /** Records a metadata update (after patchProperties and the like) as one change. */
  metadataChanged(f: FileRec): void {
    const t = this.tick();
    f.version++;
    this.recordChange(f, t);
  }

  addComment(who: DrivePerson, f: FileRec, input: { content: string; anchor?: string | null; quoted?: string | null }): CommentRec {
    if (isFolderMime(f.mimeType)) throw forbidden('cannotComment', 'Comments are not supported on folders.');
    const t = this.tick();
    const c: CommentRec = {
      id: this.mint.commentId(),
      createdTime: t,
      modifiedTime: t,
      author: who,
      content: input.content,
      deleted: false,
      resolved: false,
      anchor: input.anchor ?? null,
      quoted: input.quoted ?? null,
      replies: [],
    };
    f.comments.push(c);
    f.version++;
    this.truth.files.get(f.id)?.comments.push(commentTruth(c, this.asanaNames));
    this.recordChange(f, t);
    return c;
  }

  addReply(who: DrivePerson, f: FileRec, c: CommentRec, input: { content: string; action?: 'resolve' | 'reopen' | null }): ReplyRec {
    if (c.deleted) throw commentNotFound(c.id);
    const t = this.tick();
    const r: ReplyRec = { id: this.mint.commentId(), createdTime: t, modifiedTime: t, author: who, content: input.content, deleted: false, action: input.action ?? null };
    c.replies.push(r);
    if (r.action === 'resolve') c.resolved = true;
    if (r.action === 'reopen') c.resolved = false;
    c.modifiedTime = t;
    f.version++;
    this.syncCommentTruth(f, c);
    this.recordChange(f, t);
    return r;
  }

  deleteComment(f: FileRec, c: CommentRec): void {
    if (c.deleted) return;
    const t = this.tick();
    c.deleted = true;
    c.content = '';
    c.modifiedTime = t;
    f.version++;
    this.syncCommentTruth(f, c);
    this.recordChange(f, t);
  }

  private syncCommentTruth(f: FileRec, c: CommentRec): void {
    const truth = this.truth.files.get(f.id);
    if (!truth) return;
    const i = truth.comments.findIndex((x) => x.id === c.id);
    const next = commentTruth(c, this.asanaNames);
    if (i >= 0) truth.comments[i] = next;
    else truth.comments.push(next);
  }

  // ---- helpers --------------------------------------------------------------------------------------

  /** The file and, for a folder, everything under it (live children only). */
  private visit(f: FileRec, fn: (x: FileRec) => void): void {
    const stack = [f];
    while (stack.length > 0) {
      const x = stack.pop() as FileRec;
      fn(x);
      const kids = this.children.get(x.id);
      if (kids) for (const k of [...kids].reverse()) stack.push(k);
    }
  }

  private refreshPaths(folder: FileRec): void {
    this.visit(folder, (x) => {
      const ft = this.truth.folders.get(x.id);
      if (ft) {
        ft.path = this.path(x);
        ft.name = x.name;
        ft.driveId = x.driveId;
      }
      const t = this.truth.files.get(x.id);
      const parent = x.parents[0] !== undefined ? this.byId.get(x.parents[0]) : undefined;
      if (t && parent) t.folderPath = this.path(parent);
    });
  }

  /** Usage numbers for about.get. */
  usage(): { usage: number; trash: number } {
    let usage = 0;
    let trash = 0;
    for (const f of this.dataset.files) {
      if (f.deleted || f.driveId !== null) continue;
      const size = f.revisions[f.revisions.length - 1]?.size ?? 0;
      usage += size;
      if (f.trashed) trash += size;
    }
    return { usage, trash };
  }
}

function removeFrom(list: FileRec[], f: FileRec): void {
  const i = list.indexOf(f);
  if (i >= 0) list.splice(i, 1);
}

function insertBySeq(list: FileRec[], f: FileRec): void {
  let lo = 0;
  let hi = list.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((list[mid] as FileRec).seq < f.seq) lo = mid + 1;
    else hi = mid;
  }
  list.splice(lo, 0, f);
}

function sorted(o: Record<string, string>): [string, string][] {
  return Object.entries(o).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}
