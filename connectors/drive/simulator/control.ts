// The control surface tests and benchmarks drive the simulator with: user-like edits (through the
// same store methods as the write endpoints), quotas, faults, token revocation, page-token expiry,
// call counts and the ground truth. Reachable in-process and as JSON over HTTP under /_sim/.

import { type IncomingMessage, type ServerResponse } from 'node:http';
import { DriveError, badRequest } from './errors';
import { type DriveDataset, type DriveFileTruth, type DrivePerson, type DriveTruth, type FileRec } from './model';
import { type CallStats, type DriveApi, type FaultSpec, type QuotaErrorMode, send } from './server';
import { type DriveStore } from './store';

export interface CreateFileInput {
  name: string;
  /** The folder to create it in. */
  parentId: string;
  /** Default: from the name's extension; give application/vnd.google-apps.folder for a folder. */
  mimeType?: string;
  /** Use a given id, e.g. one an Asana attachment's view_url already names. */
  id?: string;
  size?: number;
  md5?: string;
  /** Email of the person creating it; default the parent folder's owner. */
  author?: string;
  /** The intended asset key (default: a known key carried in the name, else none). */
  assetKey?: string | null;
  /** The Asana task it belongs to (default: the key's task). */
  taskGid?: string | null;
}

export interface DriveSimulatorControl {
  readonly dataset: DriveDataset;
  readonly truth: DriveTruth;
  /** The token every simulator accepts unless revoked; it acts as the agency's "Creative Ops Bot". */
  readonly defaultToken: string;
  readonly sharedDriveId: string;
  /** The shared drive and the My Drive hand-off folder: what a connection would be configured with. */
  readonly rootFolderIds: string[];
  /** The routes the API answers: method + path under /drive/v3 (`/upload/...` for media uploads). */
  routes(): { method: string; path: string }[];

  // User-like edits. `author` (an email) defaults to a person who would plausibly make the edit:
  // the file's last modifier for uploads and renames, its owner for comments, the thread's author for replies.
  /**
   * An upload of new content ("Manage versions → upload"): `originalFilename` is the uploaded file's
   * name (default: the file's). Its `_vNN` for the file's asset key is the revision's version in the
   * truth; a name without one gets the asset's next version.
   */
  addRevision(fileId: string, content?: { size?: number; md5?: string; author?: string; originalFilename?: string }): string;
  renameFile(fileId: string, name: string, author?: string): void;
  moveFile(fileId: string, toFolderId: string, author?: string): void;
  trashFile(fileId: string, author?: string): void;
  untrashFile(fileId: string, author?: string): void;
  /** Permanent deletion: 404 from then on, `removed: true` in the change feed. */
  deleteFile(fileId: string): void;
  /** The token users lose access: 404 from then on, `removed: true` in the change feed. */
  unshareFile(fileId: string): void;
  createFile(input: CreateFileInput): string;
  /** A null value deletes the key. */
  setAppProperties(fileId: string, patch: Record<string, string | null>): void;
  addComment(fileId: string, content: string, options?: { author?: string; anchor?: string; quoted?: string }): string;
  addReply(fileId: string, commentId: string, content: string, options?: { author?: string; action?: 'resolve' | 'reopen' }): string;
  deleteComment(fileId: string, commentId: string): void;

  /** Requests per minute per token (null = unlimited), and what an excess answers. */
  setQuota(perMinute: number | null, mode?: QuotaErrorMode): void;
  injectFaults(fault: FaultSpec): void;
  clearFaults(): void;
  addToken(token: string, email: string): void;
  revokeToken(token: string): void;
  /** Every page token issued so far (changes tokens included) answers 400 "Invalid Value" from now on. */
  expirePageTokens(): void;
  /** What changes.getStartPageToken would answer now. */
  startPageToken(): string;
  calls(): CallStats;
  resetCalls(): void;
  truthOf(fileId: string): DriveFileTruth | undefined;
  /** A file's comments as stored (content, author, resolved, replies), deleted ones included: what a test asserts a write against. */
  commentsOf(fileId: string): { id: string; content: string; author: string; deleted: boolean; resolved: boolean; replies: { id: string; content: string; action: string | null }[] }[];
  /** A file's appProperties as stored. */
  appPropertiesOf(fileId: string): Record<string, string>;
}

export function createControl(store: DriveStore, api: DriveApi, defaultToken: string): DriveSimulatorControl {
  const file = (id: string): FileRec => store.file(id, true);
  const who = (email: string | undefined, fallback: DrivePerson): DrivePerson => (email === undefined ? fallback : store.person(email));
  return {
    dataset: store.dataset,
    truth: store.truth,
    defaultToken,
    sharedDriveId: store.truth.sharedDriveId,
    rootFolderIds: store.truth.rootFolderIds,
    routes: () => api.routeTable,

    addRevision(fileId, content = {}) {
      const f = file(fileId);
      return store.addRevision(who(content.author, f.lastModifyingUser), f, { size: content.size, md5: content.md5, originalFilename: content.originalFilename }).id;
    },
    renameFile(fileId, name, author) {
      const f = file(fileId);
      store.rename(who(author, f.lastModifyingUser), f, name);
    },
    moveFile(fileId, toFolderId, author) {
      const f = file(fileId);
      store.move(who(author, f.lastModifyingUser), f, file(toFolderId));
    },
    trashFile(fileId, author) {
      const f = file(fileId);
      store.setTrashed(who(author, f.lastModifyingUser), f, true);
    },
    untrashFile(fileId, author) {
      const f = file(fileId);
      store.setTrashed(who(author, f.lastModifyingUser), f, false);
    },
    deleteFile(fileId) {
      store.delete(file(fileId));
    },
    unshareFile(fileId) {
      store.unshare(file(fileId));
    },
    createFile(input) {
      const parent = file(input.parentId);
      return store.create(who(input.author, parent.owner), {
        name: input.name,
        parent,
        mimeType: input.mimeType,
        id: input.id,
        size: input.size,
        md5: input.md5,
        assetKey: input.assetKey,
        taskGid: input.taskGid,
      }).id;
    },
    setAppProperties(fileId, patch) {
      const f = file(fileId);
      if (store.patchProperties(f, 'appProperties', patch)) store.metadataChanged(f);
    },
    addComment(fileId, content, options = {}) {
      const f = file(fileId);
      return store.addComment(who(options.author, f.owner), f, { content, anchor: options.anchor ?? null, quoted: options.quoted ?? null }).id;
    },
    addReply(fileId, commentId, content, options = {}) {
      const f = file(fileId);
      const c = store.comment(f, commentId, false);
      return store.addReply(who(options.author, c.author), f, c, { content, action: options.action ?? null }).id;
    },
    deleteComment(fileId, commentId) {
      const f = file(fileId);
      store.deleteComment(f, store.comment(f, commentId, true));
    },

    setQuota(perMinute, mode) {
      if (perMinute !== null && (!Number.isInteger(perMinute) || perMinute < 1)) throw new RangeError('perMinute: expected a positive integer or null');
      if (mode !== undefined && mode !== '403' && mode !== '429' && mode !== 'alternate') throw new RangeError("mode: expected '403', '429' or 'alternate'");
      api.quotaPerMinute = perMinute;
      if (mode !== undefined) api.quotaError = mode;
    },
    injectFaults: (fault) => api.injectFaults(fault),
    clearFaults: () => api.clearFaults(),
    addToken(token, email) {
      api.tokens.set(token, store.person(email));
    },
    revokeToken(token) {
      api.tokens.delete(token);
    },
    expirePageTokens: () => store.expirePageTokens(),
    startPageToken: () => store.startPageToken(),
    calls: () => api.calls(),
    resetCalls: () => api.resetCalls(),
    truthOf: (fileId) => store.truthOf(fileId),
    commentsOf: (fileId) =>
      file(fileId).comments.map((c) => ({
        id: c.id, content: c.content, author: c.author.displayName, deleted: c.deleted, resolved: c.resolved,
        replies: c.replies.map((r) => ({ id: r.id, content: r.content, action: r.action ?? null })),
      })),
    appPropertiesOf: (fileId) => ({ ...file(fileId).appProperties }),
  };
}

/** /_sim/... over HTTP (JSON in, JSON out, no auth), so a simulator started from the CLI can be driven from another process. */
export async function handleControlRequest(control: DriveSimulatorControl, req: IncomingMessage, res: ServerResponse, pathname: string, search: string): Promise<void> {
  const method = (req.method ?? 'GET').toUpperCase();
  const parts = pathname.split('/').filter((p) => p !== '').slice(1).map((p) => decodeURIComponent(p));
  try {
    const body = method === 'GET' || method === 'DELETE' ? {} : await readJson(req);
    const data = route(control, method, parts, body, new URLSearchParams(search));
    send(res, { status: 200, body: data ?? { ok: true } });
  } catch (err) {
    const e = err instanceof DriveError ? err : badRequest(err instanceof Error ? err.message : String(err));
    send(res, { status: e.status, body: e.body() });
  }
}

function route(c: DriveSimulatorControl, method: string, p: string[], body: Record<string, unknown>, query: URLSearchParams): unknown {
  const str = (key: string): string => {
    const v = body[key];
    if (typeof v !== 'string') throw badRequest(`${key}: expected a string`);
    return v;
  };
  const opt = (key: string): string | undefined => (typeof body[key] === 'string' ? (body[key] as string) : undefined);
  const num = (key: string): number | undefined => (typeof body[key] === 'number' ? (body[key] as number) : undefined);
  // files/{id}/… and files/{id}/comments/{cid}/…: ids are taken by position.
  const shape = p.map((x, i) => ((p[i - 1] === 'files' || p[i - 1] === 'comments') && i > 0 ? '{id}' : x)).join('/');
  const fileId = p[1] ?? '';
  const commentId = p[3] ?? '';
  switch (`${method} /${shape}`) {
    case 'GET /info':
      return info(c);
    case 'GET /routes':
      return c.routes();
    case 'GET /calls':
      return c.calls();
    case 'POST /calls/reset':
      return c.resetCalls();
    case 'POST /quota': {
      const v = body.perMinute;
      if (v !== null && typeof v !== 'number') throw badRequest('perMinute: expected a number or null');
      return c.setQuota(v, opt('mode') as QuotaErrorMode | undefined);
    }
    case 'POST /faults':
      return c.injectFaults(body as unknown as FaultSpec);
    case 'DELETE /faults':
      return c.clearFaults();
    case 'POST /tokens':
      return c.addToken(str('token'), str('email'));
    case 'POST /tokens/revoke':
      return c.revokeToken(str('token'));
    case 'POST /page-tokens/expire':
      return c.expirePageTokens();
    case 'GET /start-page-token':
      return { startPageToken: c.startPageToken() };
    case 'POST /files':
      return { id: c.createFile(body as unknown as CreateFileInput) };
    case 'POST /files/{id}/revisions':
      return { id: c.addRevision(fileId, { size: num('size'), md5: opt('md5'), author: opt('author'), originalFilename: opt('originalFilename') }) };
    case 'POST /files/{id}/rename':
      return c.renameFile(fileId, str('name'), opt('author'));
    case 'POST /files/{id}/move':
      return c.moveFile(fileId, str('toFolderId'), opt('author'));
    case 'POST /files/{id}/trash':
      return c.trashFile(fileId, opt('author'));
    case 'POST /files/{id}/untrash':
      return c.untrashFile(fileId, opt('author'));
    case 'DELETE /files/{id}':
      return c.deleteFile(fileId);
    case 'POST /files/{id}/unshare':
      return c.unshareFile(fileId);
    case 'POST /files/{id}/app-properties':
      return c.setAppProperties(fileId, (body.patch ?? {}) as Record<string, string | null>);
    case 'POST /files/{id}/comments':
      return { id: c.addComment(fileId, str('content'), { author: opt('author'), anchor: opt('anchor'), quoted: opt('quoted') }) };
    case 'POST /files/{id}/comments/{id}/replies':
      return { id: c.addReply(fileId, commentId, opt('content') ?? '', { author: opt('author'), action: opt('action') as 'resolve' | 'reopen' | undefined }) };
    case 'DELETE /files/{id}/comments/{id}':
      return c.deleteComment(fileId, commentId);
    case 'GET /truth/files/{id}': {
      const t = c.truthOf(p[2] ?? '');
      if (!t) throw new DriveError(404, `No truth for file ${p[2] ?? ''}`, [{ domain: 'global', reason: 'notFound', message: `No truth for file ${p[2] ?? ''}` }]);
      return t;
    }
    case 'GET /truth':
      return truthPage(c, query);
    default:
      throw new DriveError(404, `No control route ${method} /${p.join('/')}`, [{ domain: 'global', reason: 'notFound', message: `No control route ${method} /${p.join('/')}` }]);
  }
}

function info(c: DriveSimulatorControl): unknown {
  const d = c.dataset;
  return {
    seed: d.seed,
    now: d.now,
    defaultToken: c.defaultToken,
    sharedDrive: { id: d.sharedDrive.id, name: d.sharedDrive.name },
    myDriveRootId: d.myDriveRoot.id,
    rootFolderIds: c.rootFolderIds,
    counts: {
      files: c.truth.files.size,
      folders: c.truth.folders.size,
      changes: d.changes.length,
    },
    folders: [...c.truth.folders.values()],
    people: c.truth.people,
  };
}

/** Ground truth in pages: GET /_sim/truth?offset=0&limit=1000. */
function truthPage(c: DriveSimulatorControl, query: URLSearchParams): unknown {
  const offset = Math.max(0, Number(query.get('offset') ?? 0) || 0);
  const limit = Math.min(10_000, Math.max(1, Number(query.get('limit') ?? 1000) || 1000));
  const files: DriveFileTruth[] = [];
  let i = 0;
  for (const t of c.truth.files.values()) {
    if (i >= offset + limit) break;
    if (i++ >= offset) files.push(t);
  }
  return {
    sharedDriveId: c.truth.sharedDriveId,
    rootFolderIds: c.truth.rootFolderIds,
    total: c.truth.files.size,
    files,
    nextOffset: offset + limit < c.truth.files.size ? offset + limit : null,
  };
}

async function readJson(req: IncomingMessage): Promise<Record<string, unknown>> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  const raw = Buffer.concat(chunks).toString('utf8');
  if (raw.trim() === '') return {};
  const parsed: unknown = JSON.parse(raw);
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw badRequest('body: expected a JSON object');
  return parsed as Record<string, unknown>;
}
