// The HTTP face of the simulator: Drive API v3 under /drive/v3 (and media uploads under
// /upload/drive/v3) with bearer auth, a per-token per-minute quota answered with 403
// userRateLimitExceeded or 429 rateLimitExceeded and no Retry-After, injected faults, partial
// responses, signed page tokens and the changes feed. Every request is counted per route.

import { type IncomingMessage, type ServerResponse } from 'node:http';
import {
  DriveError,
  authError,
  badRequest,
  backendError,
  driveNotFound,
  faultError,
  forbidden,
  invalidValue,
  loginRequired,
  parseError,
  rateLimitExceeded,
  requiredParam,
  revisionNotFound,
  routeNotFound,
  userRateLimitExceeded,
} from './errors';
import { type FieldTree, type Selection, selectionFor } from './fields';
import { type ChangeRec, type DrivePerson, type FileRec, isBinaryMime, isFolderMime, isGoogleEditorMime } from './model';
import { md5Of } from './records';
import { SCHEMAS } from './schema';
import {
  ABOUT,
  CHANGE,
  COMMENT,
  type CommentView,
  DEFAULT_FIELDS,
  DRIVE,
  FILE,
  type Page,
  REPLY,
  type RenderContext,
  render,
  renderList,
  revisionDef,
} from './serialize';
import { compileQuery } from './query';
import { type DriveStore } from './store';

export const API_PREFIX = '/drive/v3';
export const UPLOAD_PREFIX = '/upload/drive/v3';
const MAX_BODY_BYTES = 64 * 1024 * 1024;

export interface FaultSpec {
  /** Only requests with this method (default: any). */
  method?: string;
  /** Only paths starting with this, relative to /drive/v3 (`/files`) or absolute (`/upload/drive/v3/files`). */
  pathPrefix?: string;
  status: number;
  /** How many matching requests fail (default 1). */
  times?: number;
  /** The `errors[0].reason` (default: one that fits the status, e.g. userRateLimitExceeded for 403). */
  reason?: string;
  message?: string;
  /** A whole response body instead of Google's envelope. */
  body?: unknown;
}

/** What a quota excess answers: always 403, always 429, or the two in turn. */
export type QuotaErrorMode = '403' | '429' | 'alternate';

export interface CallStats {
  total: number;
  /** `GET /files/{fileId}/comments` → count (upload routes start with `/upload`). */
  byRoute: Record<string, number>;
  byStatus: Record<string, number>;
  /** Quota errors sent: 403 userRateLimitExceeded and 429 rateLimitExceeded, from the quota or injected. */
  rateLimited: number;
  /** Error reasons sent → count (`userRateLimitExceeded`, `notFound`, `authError`, …). */
  byReason: Record<string, number>;
}

interface Req {
  method: string;
  params: string[];
  query: URLSearchParams;
  me: DrivePerson;
  ctx: RenderContext;
  body: () => Promise<Buffer>;
  contentType: string;
}

interface Reply {
  status: number;
  body?: unknown;
  raw?: { bytes: Buffer; contentType: string };
}

type Handler = (req: Req) => Reply | Promise<Reply>;

interface Route {
  method: string;
  /** `/files/{fileId}` under /drive/v3, or `/upload/files/{fileId}` for uploads. */
  path: string;
  segments: string[];
  handler: Handler;
}

const ok = (body: unknown): Reply => ({ status: 200, body });

export class DriveApi {
  readonly tokens = new Map<string, DrivePerson>();
  quotaPerMinute: number | null = null;
  quotaError: QuotaErrorMode = 'alternate';
  private quotaFlip = false;
  private faults: (FaultSpec & { remaining: number })[] = [];
  private readonly windows = new Map<string, { times: number[]; head: number }>();
  private stats: CallStats = emptyStats();
  private readonly routes: Route[];

  constructor(readonly store: DriveStore) {
    this.routes = this.buildRoutes();
  }

  get routeTable(): { method: string; path: string }[] {
    return this.routes.map((r) => ({ method: r.method, path: r.path }));
  }

  calls(): CallStats {
    return structuredClone(this.stats);
  }

  resetCalls(): void {
    this.stats = emptyStats();
  }

  injectFaults(fault: FaultSpec): void {
    if (!Number.isInteger(fault.status) || fault.status < 400 || fault.status > 599) {
      throw new RangeError(`status: expected an HTTP error status, got ${String(fault.status)}`);
    }
    this.faults.push({ ...fault, remaining: fault.times ?? 1 });
  }

  clearFaults(): void {
    this.faults = [];
  }

  async handle(req: IncomingMessage, res: ServerResponse, pathname: string, search: string): Promise<void> {
    const method = (req.method ?? 'GET').toUpperCase();
    const upload = pathname.startsWith(UPLOAD_PREFIX);
    const path = (upload ? `/upload${pathname.slice(UPLOAD_PREFIX.length)}` : pathname.slice(API_PREFIX.length)) || '/';
    const segments = path.split('/').filter((s) => s !== '').map(decodeSegment);
    const route = this.match(method, segments);
    const routeKey = `${method} ${route ? route.path : path}`;
    this.stats.total++;
    this.stats.byRoute[routeKey] = (this.stats.byRoute[routeKey] ?? 0) + 1;

    const bodyState = { promise: null as Promise<Buffer> | null };
    let reply: Reply;
    try {
      reply = await this.respond(req, bodyState, method, path, pathname, search, route, segments);
    } catch (err) {
      reply = err instanceof DriveError ? { status: err.status, body: err.body() } : { status: 500, body: backendError().body() };
    }
    if (!bodyState.promise && req.readable) req.resume();
    this.count(reply);
    send(res, reply);
  }

  private count(reply: Reply): void {
    this.stats.byStatus[reply.status] = (this.stats.byStatus[reply.status] ?? 0) + 1;
    const reason = (reply.body as { error?: { errors?: { reason?: string }[] } } | undefined)?.error?.errors?.[0]?.reason;
    if (reason !== undefined) {
      this.stats.byReason[reason] = (this.stats.byReason[reason] ?? 0) + 1;
      if (reason === 'userRateLimitExceeded' || reason === 'rateLimitExceeded') this.stats.rateLimited++;
    }
  }

  private async respond(
    req: IncomingMessage,
    bodyState: { promise: Promise<Buffer> | null },
    method: string,
    path: string,
    pathname: string,
    search: string,
    route: Route | undefined,
    segments: string[],
  ): Promise<Reply> {
    const fault = this.takeFault(method, path, pathname);
    if (fault) return fault;

    const query = new URLSearchParams(search);
    const header = req.headers.authorization;
    const token = header !== undefined ? (/^Bearer\s+(\S+)\s*$/i.exec(header)?.[1] ?? '') : (query.get('access_token') ?? query.get('oauth_token'));
    if (token === null) throw loginRequired();
    const me = this.tokens.get(token);
    if (!me) throw authError();

    if (this.quotaPerMinute !== null && !this.admit(token, this.store.clock(), this.quotaPerMinute)) {
      const mode = this.quotaError;
      const use429 = mode === '429' || (mode === 'alternate' && (this.quotaFlip = !this.quotaFlip) === false);
      throw use429 ? rateLimitExceeded() : userRateLimitExceeded();
    }

    if (!route) throw routeNotFound();
    const params = route.segments.flatMap((s, i) => (s.startsWith('{') ? [segments[i] as string] : []));
    const r: Req = {
      method,
      params,
      query,
      me,
      ctx: { me },
      body: () => (bodyState.promise ??= readBody(req)),
      contentType: req.headers['content-type'] ?? '',
    };
    return await route.handler(r);
  }

  private takeFault(method: string, path: string, pathname: string): Reply | null {
    const i = this.faults.findIndex(
      (f) =>
        (f.method === undefined || f.method.toUpperCase() === method) &&
        (f.pathPrefix === undefined || path.startsWith(f.pathPrefix) || pathname.startsWith(f.pathPrefix)),
    );
    const f = this.faults[i];
    if (!f) return null;
    if (--f.remaining <= 0) this.faults.splice(i, 1);
    return { status: f.status, body: f.body ?? faultError(f.status, f.reason, f.message).body() };
  }

  /** Sliding 60-second window per token; rejected requests count too. */
  private admit(token: string, now: number, limit: number): boolean {
    let w = this.windows.get(token);
    if (!w) {
      w = { times: [], head: 0 };
      this.windows.set(token, w);
    }
    while (w.head < w.times.length && (w.times[w.head] as number) <= now - 60_000) w.head++;
    if (w.head > 4096 && w.head * 2 > w.times.length) {
      w.times = w.times.slice(w.head);
      w.head = 0;
    }
    w.times.push(now);
    return w.times.length - w.head <= limit;
  }

  private match(method: string, segments: string[]): Route | undefined {
    return this.routes.find(
      (r) => r.method === method && r.segments.length === segments.length && r.segments.every((s, i) => s.startsWith('{') || s === segments[i]),
    );
  }

  // ---- endpoints --------------------------------------------------------------------------------

  private buildRoutes(): Route[] {
    const store = this.store;
    const routes: Route[] = [];
    const on = (method: string, path: string, handler: Handler): void => {
      routes.push({ method, path, segments: path.split('/').filter((s) => s !== ''), handler });
    };
    const fileOf = (r: Req, i = 0): FileRec => store.file(r.params[i] as string, boolParam(r.query, 'supportsAllDrives') || boolParam(r.query, 'supportsTeamDrives'));
    // comments, replies and revisions take no supportsAllDrives: they reach shared-drive files anyway.
    const anyFileOf = (r: Req): FileRec => store.file(r.params[0] as string, true);

    // https://developers.google.com/workspace/drive/api/reference/rest/v3/about/get
    on('GET', '/about', (r) => ok(render(ABOUT, store.usage(), requiredFields(r.query, 'About'), r.ctx)));

    // https://developers.google.com/workspace/drive/api/reference/rest/v3/files/list
    on('GET', '/files', (r) => this.listFiles(r));
    // https://developers.google.com/workspace/drive/api/reference/rest/v3/files/get
    on('GET', '/files/{fileId}', (r) => {
      const sel = fieldsOf(r.query, 'File', DEFAULT_FIELDS.file as FieldTree);
      const f = fileOf(r);
      if (r.query.get('alt') === 'media') return media(f);
      return ok(render(FILE, f, sel, r.ctx));
    });
    // https://developers.google.com/workspace/drive/api/reference/rest/v3/files/update
    on('PATCH', '/files/{fileId}', async (r) => {
      const sel = fieldsOf(r.query, 'File', DEFAULT_FIELDS.file as FieldTree);
      const f = fileOf(r);
      const body = await jsonBody(r);
      this.update(r, f, body, null);
      return ok(render(FILE, f, sel, r.ctx));
    });
    // https://developers.google.com/workspace/drive/api/reference/rest/v3/files/create (metadata only)
    on('POST', '/files', async (r) => {
      const sel = fieldsOf(r.query, 'File', DEFAULT_FIELDS.file as FieldTree);
      const body = await jsonBody(r);
      return ok(render(FILE, this.create(r, body, null), sel, r.ctx));
    });
    // Media upload of a new revision: files.update with `media` (PATCH, uploadType=media|multipart).
    on('PATCH', '/upload/files/{fileId}', async (r) => {
      const sel = fieldsOf(r.query, 'File', DEFAULT_FIELDS.file as FieldTree);
      const f = fileOf(r);
      const { metadata, content } = await uploadOf(r);
      if (!isBinaryMime(f.mimeType)) throw badRequest('The simulator uploads binary content only; Google editor files are not converted.', 'uploadType');
      this.update(r, f, metadata, content);
      return ok(render(FILE, f, sel, r.ctx));
    });
    // files.create with media.
    on('POST', '/upload/files', async (r) => {
      const sel = fieldsOf(r.query, 'File', DEFAULT_FIELDS.file as FieldTree);
      const { metadata, content } = await uploadOf(r);
      return ok(render(FILE, this.create(r, metadata, content), sel, r.ctx));
    });

    // https://developers.google.com/workspace/drive/api/reference/rest/v3/revisions/list
    on('GET', '/files/{fileId}/revisions', (r) => {
      const sel = fieldsOf(r.query, 'RevisionList', DEFAULT_FIELDS.revisionList as FieldTree);
      const f = anyFileOf(r);
      if (isFolderMime(f.mimeType)) throw forbidden('revisionsNotSupported', 'The file does not support revisions.');
      const size = pageSizeOf(r.query, 200, 1000);
      const start = this.offsetOf(r.query, `revisions:${f.id}`);
      const items = f.revisions.slice(start, start + size);
      const next = start + size < f.revisions.length ? store.issueToken(`revisions:${f.id}`, start + size) : null;
      return ok(renderList('drive#revisionList', 'revisions', revisionDef(f), { items, nextPageToken: next }, sel, r.ctx));
    });
    // https://developers.google.com/workspace/drive/api/reference/rest/v3/revisions/get
    on('GET', '/files/{fileId}/revisions/{revisionId}', (r) => {
      const sel = fieldsOf(r.query, 'Revision', DEFAULT_FIELDS.revision as FieldTree);
      const f = anyFileOf(r);
      const id = r.params[1] as string;
      const rev = (id === 'head' ? f.revisions.at(-1) : f.revisions.find((x) => x.id === id)) ?? null;
      if (!rev) throw revisionNotFound(id);
      return ok(render(revisionDef(f), rev, sel, r.ctx));
    });

    // https://developers.google.com/workspace/drive/api/reference/rest/v3/comments/list
    on('GET', '/files/{fileId}/comments', (r) => {
      const sel = requiredFields(r.query, 'CommentList');
      const f = anyFileOf(r);
      const includeDeleted = boolParam(r.query, 'includeDeleted');
      const since = timeParam(r.query, 'startModifiedTime');
      const size = pageSizeOf(r.query, 20, 100);
      const key = `comments:${f.id}:${String(includeDeleted)}:${String(since)}`;
      const { items, next } = this.scan(f.comments, this.offsetOf(r.query, key), size, (c) => (includeDeleted || !c.deleted) && (since === null || c.modifiedTime >= since));
      const views: CommentView[] = items.map((comment) => ({ comment, includeDeleted }));
      return ok(renderList('drive#commentList', 'comments', COMMENT, { items: views, nextPageToken: next === null ? null : store.issueToken(key, next) }, sel, r.ctx));
    });
    // https://developers.google.com/workspace/drive/api/reference/rest/v3/comments/get
    on('GET', '/files/{fileId}/comments/{commentId}', (r) => {
      const sel = requiredFields(r.query, 'Comment');
      const f = anyFileOf(r);
      const includeDeleted = boolParam(r.query, 'includeDeleted');
      const c = store.comment(f, r.params[1] as string, includeDeleted);
      return ok(render(COMMENT, { comment: c, includeDeleted }, sel, r.ctx));
    });
    // https://developers.google.com/workspace/drive/api/reference/rest/v3/comments/create
    on('POST', '/files/{fileId}/comments', async (r) => {
      const sel = requiredFields(r.query, 'Comment');
      const f = anyFileOf(r);
      const body = await jsonBody(r);
      onlyWritable(body, 'Comment', ['content', 'anchor', 'quotedFileContent']);
      const content = body.content;
      if (typeof content !== 'string' || content === '') throw requiredParam('content', 'Required: content');
      const anchor = typeof body.anchor === 'string' ? body.anchor : null;
      const quoted = (body.quotedFileContent as { value?: unknown } | undefined)?.value;
      const c = store.addComment(r.me, f, { content, anchor, quoted: typeof quoted === 'string' ? quoted : null });
      return ok(render(COMMENT, { comment: c, includeDeleted: false }, sel, r.ctx));
    });

    // https://developers.google.com/workspace/drive/api/reference/rest/v3/replies/list
    on('GET', '/files/{fileId}/comments/{commentId}/replies', (r) => {
      const sel = fieldsOf(r.query, 'ReplyList', DEFAULT_FIELDS.replyList as FieldTree);
      const f = anyFileOf(r);
      const c = store.comment(f, r.params[1] as string, true);
      const includeDeleted = boolParam(r.query, 'includeDeleted');
      const size = pageSizeOf(r.query, 20, 100);
      const key = `replies:${f.id}:${c.id}:${String(includeDeleted)}`;
      const { items, next } = this.scan(c.replies, this.offsetOf(r.query, key), size, (x) => includeDeleted || !x.deleted);
      return ok(renderList('drive#replyList', 'replies', REPLY, { items, nextPageToken: next === null ? null : store.issueToken(key, next) }, sel, r.ctx));
    });
    // https://developers.google.com/workspace/drive/api/reference/rest/v3/replies/get
    on('GET', '/files/{fileId}/comments/{commentId}/replies/{replyId}', (r) => {
      const sel = fieldsOf(r.query, 'Reply', DEFAULT_FIELDS.reply as FieldTree);
      const f = anyFileOf(r);
      const c = store.comment(f, r.params[1] as string, true);
      return ok(render(REPLY, store.reply(c, r.params[2] as string, boolParam(r.query, 'includeDeleted')), sel, r.ctx));
    });
    // https://developers.google.com/workspace/drive/api/reference/rest/v3/replies/create
    on('POST', '/files/{fileId}/comments/{commentId}/replies', async (r) => {
      const sel = fieldsOf(r.query, 'Reply', DEFAULT_FIELDS.reply as FieldTree);
      const f = anyFileOf(r);
      const c = store.comment(f, r.params[1] as string, false);
      const body = await jsonBody(r);
      onlyWritable(body, 'Reply', ['content', 'action']);
      const action = body.action;
      if (action !== undefined && action !== null && action !== 'resolve' && action !== 'reopen') throw invalidValue('action');
      const content = body.content ?? '';
      if (typeof content !== 'string') throw invalidValue('content');
      if (content === '' && (action === undefined || action === null)) throw requiredParam('content', 'Required: content or action');
      const reply = store.addReply(r.me, f, c, { content, action: (action ?? null) as 'resolve' | 'reopen' | null });
      return ok(render(REPLY, reply, sel, r.ctx));
    });

    // https://developers.google.com/workspace/drive/api/reference/rest/v3/changes/getStartPageToken
    on('GET', '/changes/startPageToken', (r) => {
      const sel = fieldsOf(r.query, 'StartPageToken', DEFAULT_FIELDS.startPageToken as FieldTree);
      this.changeScope(r.query);
      return ok(render({ fields: { kind: () => 'drive#startPageToken', startPageToken: () => store.startPageToken() }, names: ['kind', 'startPageToken'], nested: new Set() }, null, sel, r.ctx));
    });
    // https://developers.google.com/workspace/drive/api/reference/rest/v3/changes/list
    on('GET', '/changes', (r) => this.listChanges(r));

    // https://developers.google.com/workspace/drive/api/reference/rest/v3/drives/list
    on('GET', '/drives', (r) => {
      const sel = fieldsOf(r.query, 'DriveList', DEFAULT_FIELDS.driveList as FieldTree);
      if (r.query.has('q')) throw invalidValue('q', 'The simulator does not serve q on drives.list');
      const size = pageSizeOf(r.query, 10, 100);
      const start = this.offsetOf(r.query, 'drives');
      const all = [store.dataset.sharedDrive];
      const items = all.slice(start, start + size);
      const next = start + size < all.length ? store.issueToken('drives', start + size) : null;
      return ok(renderList('drive#driveList', 'drives', DRIVE, { items, nextPageToken: next }, sel, r.ctx));
    });
    // https://developers.google.com/workspace/drive/api/reference/rest/v3/drives/get
    on('GET', '/drives/{driveId}', (r) => {
      const sel = fieldsOf(r.query, 'Drive', DEFAULT_FIELDS.drive as FieldTree);
      const d = store.dataset.sharedDrive;
      if (r.params[0] !== d.id) throw driveNotFound(r.params[0] as string);
      return ok(render(DRIVE, d, sel, r.ctx));
    });
    return routes;
  }

  // ---- files.list -------------------------------------------------------------------------------

  private listFiles(r: Req): Reply {
    const q = r.query;
    const sel = fieldsOf(q, 'FileList', DEFAULT_FIELDS.fileList as FieldTree);
    const supportsAll = boolParam(q, 'supportsAllDrives') || boolParam(q, 'supportsTeamDrives');
    const includeAll = boolParam(q, 'includeItemsFromAllDrives') || boolParam(q, 'includeTeamDriveItems');
    const driveId = q.get('driveId') ?? q.get('teamDriveId');
    const corpora = q.get('corpora') ?? q.get('corpus') ?? 'user';
    if (!['user', 'domain', 'drive', 'allDrives'].includes(corpora)) throw invalidValue('corpora');
    if ((driveId !== null) !== (corpora === 'drive')) throw invalidValue('driveId', 'The driveId parameter must be specified if and only if corpora is set to drive.');
    if (includeAll && !supportsAll) throw invalidValue('includeItemsFromAllDrives', 'The includeItemsFromAllDrives parameter can only be set to true when supportsAllDrives is also set to true.');
    if ((corpora === 'drive' || corpora === 'allDrives') && !includeAll) {
      throw invalidValue('includeItemsFromAllDrives', `The includeItemsFromAllDrives parameter must be set to true when corpora is set to ${corpora}.`);
    }
    if (driveId !== null && driveId !== this.store.dataset.sharedDrive.id) throw driveNotFound(driveId);
    const spaces = q.get('spaces');
    if (spaces !== null && spaces.split(',').some((s) => s.trim() !== 'drive')) throw invalidValue('spaces', 'The simulator serves the drive space only.');
    const size = pageSizeOf(q, 100, 1000);
    const query = compileQuery(q.get('q'), { myDriveRootId: this.store.dataset.myDriveRoot.id, meEmail: r.me.email });
    const order = orderOf(q.get('orderBy'), r.me);

    const inScope =
      corpora === 'drive' ? (f: FileRec) => f.driveId === driveId : corpora === 'allDrives' || includeAll ? () => true : (f: FileRec) => f.driveId === null;
    const candidates = query.parent !== null ? (this.store.children.get(query.parent) ?? []) : this.store.dataset.files;
    const matches: FileRec[] = [];
    for (const f of candidates) {
      if (f.deleted || f.hidden || f.isRoot || !inScope(f) || !query.test(f)) continue;
      matches.push(f);
    }
    if (order) matches.sort((a, b) => order.compare(order.tuple(a), order.tuple(b)));
    const listKey = JSON.stringify(['files', q.get('q'), corpora, driveId, includeAll, q.get('orderBy'), spaces]);
    const tupleOf = order ? order.tuple : (f: FileRec) => [f.seq];
    const compare = order ? order.compare : (a: (string | number)[], b: (string | number)[]) => (a[0] as number) - (b[0] as number);
    let start = 0;
    const token = q.get('pageToken');
    if (token !== null) {
      const cursor = this.store.readToken(token, listKey);
      if (!Array.isArray(cursor)) throw invalidValue('pageToken');
      let lo = 0;
      let hi = matches.length;
      while (lo < hi) {
        const mid = (lo + hi) >>> 1;
        if (compare(tupleOf(matches[mid] as FileRec), cursor as (string | number)[]) <= 0) lo = mid + 1;
        else hi = mid;
      }
      start = lo;
    }
    const items = matches.slice(start, start + size);
    const last = items[items.length - 1];
    const next = start + size < matches.length && last ? this.store.issueToken(listKey, tupleOf(last)) : null;
    return ok(renderList('drive#fileList', 'files', FILE, { items, nextPageToken: next }, sel, r.ctx, { incompleteSearch: false }));
  }

  // ---- changes ----------------------------------------------------------------------------------

  /** Which files a changes request covers; validates the shared-drive parameters. */
  private changeScope(q: URLSearchParams): (f: FileRec) => boolean {
    const supportsAll = boolParam(q, 'supportsAllDrives') || boolParam(q, 'supportsTeamDrives');
    const includeAll = boolParam(q, 'includeItemsFromAllDrives') || boolParam(q, 'includeTeamDriveItems');
    const restrict = boolParam(q, 'restrictToMyDrive');
    const driveId = q.get('driveId') ?? q.get('teamDriveId');
    if (includeAll && !supportsAll) throw invalidValue('includeItemsFromAllDrives', 'The includeItemsFromAllDrives parameter can only be set to true when supportsAllDrives is also set to true.');
    if (driveId !== null) {
      if (!supportsAll) throw invalidValue('driveId', 'The driveId parameter requires supportsAllDrives to be set to true.');
      if (driveId !== this.store.dataset.sharedDrive.id) throw driveNotFound(driveId);
      return (f) => f.driveId === driveId;
    }
    if (restrict || !includeAll) return (f) => f.driveId === null;
    return () => true;
  }

  private listChanges(r: Req): Reply {
    const q = r.query;
    const sel = fieldsOf(q, 'ChangeList', DEFAULT_FIELDS.changeList as FieldTree);
    const token = q.get('pageToken');
    if (token === null) throw requiredParam('pageToken');
    const inScope = this.changeScope(q);
    const includeRemoved = q.has('includeRemoved') ? boolParam(q, 'includeRemoved') : true;
    const size = pageSizeOf(q, 100, 1000);
    const log = this.store.changes;
    const wanted = (c: ChangeRec): boolean => c.live && inScope(c.file) && (includeRemoved || !(c.file.deleted || c.file.hidden));
    const items: ChangeRec[] = [];
    let i = this.store.changePosition(token);
    for (; i < log.length && items.length < size; i++) {
      const c = log[i] as ChangeRec;
      if (wanted(c)) items.push(c);
    }
    let more = false;
    for (let j = i; j < log.length; j++) {
      if (wanted(log[j] as ChangeRec)) {
        more = true;
        break;
      }
    }
    const page: Page<ChangeRec> = { items, nextPageToken: more ? this.store.changeToken(i) : null };
    return ok(renderList('drive#changeList', 'changes', CHANGE, page, sel, r.ctx, more ? {} : { newStartPageToken: this.store.startPageToken() }));
  }

  // ---- writes -----------------------------------------------------------------------------------

  /** files.update (metadata, optionally with new content): validated in full before anything changes. */
  private update(r: Req, f: FileRec, body: Record<string, unknown>, content: Upload | null): void {
    const store = this.store;
    if ('parents' in body) throw forbidden('fieldNotWritable', 'The parents field is not directly writable in update requests. Use the addParents and removeParents parameters instead.');
    onlyWritable(body, 'File', FILE_WRITABLE);
    const name = body.name;
    if (name !== undefined && (typeof name !== 'string' || name.trim() === '')) throw invalidValue('name');
    for (const k of ['trashed', 'starred'] as const) if (body[k] !== undefined && typeof body[k] !== 'boolean') throw invalidValue(k);
    if (body.description !== undefined && body.description !== null && typeof body.description !== 'string') throw invalidValue('description');
    for (const k of ['appProperties', 'properties'] as const) {
      const v = body[k];
      if (v !== undefined && v !== null && (typeof v !== 'object' || Array.isArray(v))) throw invalidValue(k);
    }
    if (body.mimeType !== undefined && body.mimeType !== f.mimeType && !content) throw forbidden('fieldNotWritable', 'The mimeType of a file can only change with a new revision.');
    const add = listParam(r.query, 'addParents');
    const remove = listParam(r.query, 'removeParents');
    let target: FileRec | null = null;
    if (add.length > 0 || remove.length > 0) {
      if (add.length > 1 || (add.length === 1 && remove.length === 0 && f.parents.length > 0)) {
        throw forbidden('cannotAddParent', 'Increasing the number of parents is not allowed.');
      }
      if (add.length === 0) throw badRequest('A file keeps exactly one parent: give addParents together with removeParents.', 'removeParents');
      if (remove.some((p) => !f.parents.includes(p))) throw invalidValue('removeParents');
      target = store.file(add[0] as string, boolParam(r.query, 'supportsAllDrives') || boolParam(r.query, 'supportsTeamDrives'));
      if (!isFolderMime(target.mimeType)) throw badRequest('The parent is not a folder.', 'addParents');
    }
    // Validate property patches on copies before applying anything.
    const probe = { ...f, appProperties: { ...f.appProperties }, properties: { ...f.properties } };
    for (const k of ['appProperties', 'properties'] as const) if (body[k]) store.patchProperties(probe, k, body[k] as Record<string, unknown>);

    if (content) store.addRevision(r.me, f, { size: content.bytes.length, md5: md5Of(content.bytes), originalFilename: typeof name === 'string' ? name : f.name });
    if (typeof name === 'string' && name !== f.name) store.rename(r.me, f, name);
    if (target) store.move(r.me, f, target);
    if (typeof body.trashed === 'boolean') store.setTrashed(r.me, f, body.trashed);
    let changed = false;
    for (const k of ['appProperties', 'properties'] as const) if (body[k]) changed = store.patchProperties(f, k, body[k] as Record<string, unknown>) || changed;
    if (typeof body.starred === 'boolean' && body.starred !== f.starred) {
      f.starred = body.starred;
      changed = true;
    }
    if (body.description !== undefined && body.description !== f.description) {
      f.description = body.description as string | null;
      changed = true;
    }
    if (changed) store.metadataChanged(f);
  }

  /** files.create: metadata only (folders, Google editor files, empty blobs) or with uploaded content. */
  private create(r: Req, body: Record<string, unknown>, content: Upload | null): FileRec {
    const store = this.store;
    onlyWritable(body, 'File', [...FILE_WRITABLE, 'parents', 'id']);
    const parents = body.parents;
    if (parents !== undefined && (!Array.isArray(parents) || parents.length > 1 || parents.some((p) => typeof p !== 'string'))) {
      throw badRequest('A file can only have one parent folder; specifying multiple parents is not supported.', 'parents');
    }
    const supportsAll = boolParam(r.query, 'supportsAllDrives') || boolParam(r.query, 'supportsTeamDrives');
    const parent = Array.isArray(parents) && parents.length === 1 ? store.file(parents[0] as string, supportsAll) : store.dataset.myDriveRoot;
    const name = body.name ?? 'Untitled';
    if (typeof name !== 'string') throw invalidValue('name');
    const mimeType = typeof body.mimeType === 'string' ? body.mimeType : content ? content.contentType : undefined;
    if (content && mimeType !== undefined && (isFolderMime(mimeType) || isGoogleEditorMime(mimeType))) throw badRequest('The simulator does not convert uploads into Google editor files.', 'mimeType');
    const appProperties = body.appProperties as Record<string, string> | undefined;
    if (appProperties !== undefined) store.patchProperties({ ...parent, appProperties: {}, properties: {} }, 'appProperties', appProperties);
    return store.create(r.me, {
      name,
      parent,
      mimeType: mimeType === 'application/octet-stream' && !body.mimeType ? undefined : mimeType,
      id: typeof body.id === 'string' ? body.id : undefined,
      size: content ? content.bytes.length : undefined,
      md5: content ? md5Of(content.bytes) : undefined,
      appProperties,
      description: typeof body.description === 'string' ? body.description : undefined,
    });
  }

  // ---- paging helpers -----------------------------------------------------------------------------

  private offsetOf(q: URLSearchParams, listKey: string): number {
    const token = q.get('pageToken');
    if (token === null) return 0;
    const cursor = this.store.readToken(token, listKey);
    if (typeof cursor !== 'number' || !Number.isInteger(cursor) || cursor < 0) throw invalidValue('pageToken');
    return cursor;
  }

  /** Up to `size` matching items from raw position `start`; `next` is the raw position to go on from. */
  private scan<T>(all: readonly T[], start: number, size: number, keep: (x: T) => boolean): { items: T[]; next: number | null } {
    const items: T[] = [];
    let i = start;
    for (; i < all.length && items.length < size; i++) if (keep(all[i] as T)) items.push(all[i] as T);
    for (let j = i; j < all.length; j++) if (keep(all[j] as T)) return { items, next: i };
    return { items, next: null };
  }
}

/** Fields a files.update/create body may set (the others are output only: 403 fieldNotWritable). */
const FILE_WRITABLE = [
  'name',
  'description',
  'starred',
  'trashed',
  'appProperties',
  'properties',
  'mimeType',
  'modifiedTime',
  'viewedByMeTime',
  'folderColorRgb',
  'originalFilename',
  'contentHints',
  'copyRequiresWriterPermission',
  'writersCanShare',
  'kind',
];

/** Unknown body fields are a 400; known but output-only ones a 403 fieldNotWritable. */
function onlyWritable(body: Record<string, unknown>, schema: string, writable: readonly string[]): void {
  const props = SCHEMAS[schema] ?? {};
  for (const k of Object.keys(body)) {
    if (!(k in props)) throw badRequest(`Invalid JSON payload received. Unknown name "${k}": Cannot find field.`);
    if (!writable.includes(k)) throw forbidden('fieldNotWritable', 'The resource body includes fields which are not directly writable.');
  }
}

function emptyStats(): CallStats {
  return { total: 0, byRoute: {}, byStatus: {}, rateLimited: 0, byReason: {} };
}

function decodeSegment(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

function boolParam(q: URLSearchParams, name: string): boolean {
  const v = q.get(name);
  if (v === null) return false;
  if (v === 'true') return true;
  if (v === 'false') return false;
  throw invalidValue(name);
}

function listParam(q: URLSearchParams, name: string): string[] {
  const v = q.get(name);
  return v === null ? [] : v.split(',').map((s) => s.trim()).filter((s) => s !== '');
}

function timeParam(q: URLSearchParams, name: string): number | null {
  const v = q.get(name);
  if (v === null) return null;
  const t = Date.parse(v);
  if (Number.isNaN(t)) throw invalidValue(name);
  return t;
}

/** pageSize: a positive integer; values above the maximum are coerced to it, as the docs say. */
function pageSizeOf(q: URLSearchParams, def: number, max: number): number {
  const v = q.get('pageSize');
  if (v === null) return def;
  if (!/^-?\d+$/.test(v)) throw invalidValue('pageSize');
  const n = Number(v);
  if (n < 1) throw invalidValue('pageSize');
  return Math.min(n, max);
}

function fieldsOf(q: URLSearchParams, schema: string, fallback: Selection): Selection {
  return selectionFor(q.get('fields'), schema) ?? fallback;
}

/** comments.* and about.get: "Required: The `fields` parameter must be set." */
function requiredFields(q: URLSearchParams, schema: string): Selection {
  const sel = selectionFor(q.get('fields'), schema);
  if (!sel) throw requiredParam('fields', "The 'fields' parameter is required for this method.");
  return sel;
}

// ---- orderBy --------------------------------------------------------------------------------------

type Tuple = (string | number)[];

const natural = (name: string): string => name.toLowerCase().replace(/\d+/g, (d) => d.padStart(12, '0'));

const ORDER_KEYS: Record<string, (f: FileRec, me: DrivePerson) => string | number> = {
  createdTime: (f) => f.createdTime,
  folder: (f) => (isFolderMime(f.mimeType) ? 0 : 1),
  modifiedByMeTime: (f, me) => f.editedBy.get(me.email) ?? 0,
  modifiedTime: (f) => f.modifiedTime,
  name: (f) => f.name.toLowerCase(),
  name_natural: (f) => natural(f.name),
  quotaBytesUsed: (f) => (isBinaryMime(f.mimeType) ? (f.revisions.at(-1)?.size ?? 0) : 0),
  recency: (f, me) => Math.max(f.modifiedTime, f.createdTime, f.editedBy.get(me.email) ?? 0),
  sharedWithMeTime: () => 0,
  starred: (f) => (f.starred ? 1 : 0),
  viewedByMeTime: (f, me) => f.editedBy.get(me.email) ?? 0,
};

function orderOf(orderBy: string | null, me: DrivePerson): { tuple: (f: FileRec) => Tuple; compare: (a: Tuple, b: Tuple) => number } | null {
  if (orderBy === null || orderBy.trim() === '') return null;
  const keys = orderBy.split(',').map((part) => {
    const m = /^\s*(\w+)(?:\s+(asc|desc))?\s*$/i.exec(part);
    const get = m ? ORDER_KEYS[m[1] as string] : undefined;
    if (!m || !get) throw invalidValue('orderBy');
    return { get, desc: (m[2] ?? '').toLowerCase() === 'desc' };
  });
  return {
    tuple: (f) => [...keys.map((k) => k.get(f, me)), f.seq],
    compare: (a, b) => {
      for (let i = 0; i < keys.length; i++) {
        const x = a[i] as string | number;
        const y = b[i] as string | number;
        if (x !== y) return (x < y ? -1 : 1) * ((keys[i] as { desc: boolean }).desc ? -1 : 1);
      }
      return (a[keys.length] as number) - (b[keys.length] as number);
    },
  };
}

// ---- bodies -------------------------------------------------------------------------------------

interface Upload {
  bytes: Buffer;
  contentType: string;
}

async function jsonBody(r: Req): Promise<Record<string, unknown>> {
  const raw = (await r.body()).toString('utf8');
  if (raw.trim() === '') return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    throw parseError();
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw parseError();
  return parsed as Record<string, unknown>;
}

/** uploadType=media (the body is the content) or multipart (JSON metadata + content, multipart/related). */
async function uploadOf(r: Req): Promise<{ metadata: Record<string, unknown>; content: Upload }> {
  const type = r.query.get('uploadType');
  if (type === null) throw requiredParam('uploadType');
  const bytes = await r.body();
  if (type === 'media') return { metadata: {}, content: { bytes, contentType: r.contentType.split(';')[0]?.trim() || 'application/octet-stream' } };
  if (type === 'multipart') {
    const boundary = /boundary="?([^";]+)"?/i.exec(r.contentType)?.[1];
    if (!/^multipart\/related/i.test(r.contentType) || !boundary) throw badRequest('Multipart uploads need a multipart/related body with a boundary.', 'uploadType');
    const parts = splitMultipart(bytes, boundary);
    const [meta, media] = parts;
    if (!meta || !media) throw badRequest('A multipart upload has a metadata part and a media part.', 'uploadType');
    let metadata: unknown;
    try {
      metadata = JSON.parse(meta.body.toString('utf8'));
    } catch {
      throw parseError();
    }
    if (typeof metadata !== 'object' || metadata === null || Array.isArray(metadata)) throw parseError();
    return { metadata: metadata as Record<string, unknown>, content: { bytes: media.body, contentType: media.contentType } };
  }
  if (type === 'resumable') throw badRequest('The simulator does not serve resumable uploads; use uploadType=media or multipart.', 'uploadType');
  throw invalidValue('uploadType');
}

function splitMultipart(body: Buffer, boundary: string): { contentType: string; body: Buffer }[] {
  const delimiter = Buffer.from(`--${boundary}`);
  const parts: { contentType: string; body: Buffer }[] = [];
  let at = body.indexOf(delimiter);
  while (at >= 0) {
    const start = at + delimiter.length;
    if (body.subarray(start, start + 2).toString() === '--') break;
    const next = body.indexOf(delimiter, start);
    if (next < 0) break;
    let chunk = body.subarray(start, next);
    if (chunk.subarray(0, 2).toString() === '\r\n') chunk = chunk.subarray(2);
    const split = chunk.indexOf('\r\n\r\n');
    const headers = split < 0 ? '' : chunk.subarray(0, split).toString('utf8');
    let content = split < 0 ? chunk : chunk.subarray(split + 4);
    if (content.subarray(-2).toString() === '\r\n') content = content.subarray(0, -2);
    const contentType = /content-type:\s*([^\r\n;]+)/i.exec(headers)?.[1]?.trim() ?? 'application/octet-stream';
    parts.push({ contentType, body: content });
    at = next;
  }
  return parts;
}

/** `alt=media`: stand-in bytes for blobs; Google editor files must be exported instead. */
function media(f: FileRec): Reply {
  if (!isBinaryMime(f.mimeType)) {
    throw forbidden('fileNotDownloadable', 'Only files with binary content can be downloaded. Use Export with Docs Editors files.', 'alt');
  }
  const head = f.revisions.at(-1);
  const bytes = Buffer.from(`simulated content of ${f.name} (revision ${head?.id ?? 'none'}, declared size ${head?.size ?? 0} bytes, md5 ${head?.md5 ?? ''})\n`);
  return { status: 200, raw: { bytes, contentType: f.mimeType } };
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY_BYTES) {
        reject(new DriveError(413, 'Request body too large', [{ domain: 'global', reason: 'uploadTooLarge', message: 'Request body too large' }]));
        req.destroy();
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

export function send(res: ServerResponse, reply: Reply): void {
  if (reply.raw) {
    res.writeHead(reply.status, { 'Content-Type': reply.raw.contentType, 'Content-Length': reply.raw.bytes.length });
    res.end(reply.raw.bytes);
    return;
  }
  const body = JSON.stringify(reply.body ?? {});
  res.writeHead(reply.status, { 'Content-Type': 'application/json; charset=UTF-8', 'Content-Length': Buffer.byteLength(body) });
  res.end(body);
}
