// The HTTP face of the simulator: Notion's REST API under `/v1` (@notionhq/client 5.26
// `build/src/api-endpoints/*.js` for each endpoint's method, path, query and body parameters), for
// what a sync connector uses. Every request is authenticated (`Authorization: Bearer`), must name a
// supported `Notion-Version` (echoed back), is charged to the token's and the workspace's rate limit,
// may meet an injected fault, and is answered with Notion's JSON or its error object (errors.ts).

import { createHmac, randomBytes, randomUUID } from 'node:crypto';
import { type IncomingMessage, type ServerResponse } from 'node:http';
import type { CommentObjectResponse, ListCommentsResponse, ListUsersResponse, QueryDataSourceResponse } from '@notionhq/client';
import { Rng } from '../../asana/simulator/rng';
import { NotionError, type NotionErrorCode, STATUS_OF, invalidParam, notFound, validation } from './errors';
import { type RateLimitConfig, TokenBuckets } from './limits';
import { type CommentRec, type DataSourceRec, type DatabaseRec, type FileRec, LIST_TYPES, NOTION_VERSIONS, type NotionVersion, type PageRec, type UserRec, normalizeId, textItem } from './model';
import { type SortKey, compareKeys, compileFilter, compileSorts, findProperty } from './query';
import { type SerializeContext, commentJson, dataSourceJson, databaseJson, pageJson, propertyItemJson, propertyItemList, userJson } from './serialize';
import { parseSchemaUpdate } from './schema';
import { type NotionStore } from './store';
import { MAX_TEXT, parsePropertyWrites, parseRichText } from './writes';

export const API_PREFIX = '/v1';
/** Notion's request payload limit (vendor-apis §3.7). */
export const MAX_BODY_BYTES = 500 * 1024;
/** Rows one data-source query (one filter and sort) returns before request_status says incomplete (SDK README). */
export const QUERY_RESULT_LIMIT = 10_000;
/** Notion-hosted file URLs are valid for an hour (vendor-apis §3.2 [U]). */
export const FILE_URL_TTL_MS = 60 * 60 * 1000;

export interface TokenCapabilities {
  /** "Read user information including email addresses"; without it person.email is left out. */
  emails: boolean;
  readComments: boolean;
  insertComments: boolean;
  /** Update content: PATCH /v1/pages and PATCH /v1/data_sources. */
  updateContent: boolean;
}
export const ALL_CAPABILITIES: TokenCapabilities = { emails: true, readComments: true, insertComments: true, updateContent: true };

export interface TokenInfo {
  bot: UserRec;
  capabilities: TokenCapabilities;
}

export interface FaultSpec {
  /** The error the matching requests answer (one of the SDK's codes; 429 carries Retry-After). */
  code: NotionErrorCode;
  /** How many matching requests fail (default 1); ignored when `rate` is set. */
  times?: number;
  /** Storm mode: this share of matching requests (0..1] fails until clearFaults(). */
  rate?: number;
  /** Retry-After for rate_limited and service_overload; default 1. */
  retryAfterSeconds?: number;
  /** Only this endpoint, e.g. `POST /v1/data_sources/{id}/query`. */
  endpoint?: string;
  message?: string;
}

export interface CallLogEntry {
  at: number;
  method: string;
  /** `GET /v1/pages/{id}` … */
  endpoint: string;
  path: string;
  status: number;
  code: string | null;
  requestId: string;
}

export interface CallStats {
  total: number;
  byEndpoint: Record<string, number>;
  byStatus: Record<string, number>;
  byCode: Record<string, number>;
  /** Answers that told the client to wait (429 and 529). */
  rateLimited: number;
  /** Requests from a token before the wait it was told was over. */
  earlyRetries: number;
}

const emptyStats = (): CallStats => ({ total: 0, byEndpoint: {}, byStatus: {}, byCode: {}, rateLimited: 0, earlyRetries: 0 });
const bump = (m: Record<string, number>, k: string): void => {
  m[k] = (m[k] ?? 0) + 1;
};

type Json = Record<string, unknown>;
const isObj = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

interface Reply {
  status: number;
  body: unknown;
  headers?: Record<string, string>;
}

interface QueryCursor {
  key: string;
  anchor: SortKey[];
  anchorId: string;
  served: number;
}

interface Req {
  method: string;
  segments: string[];
  query: URLSearchParams;
  body: Json;
  token: TokenInfo;
  version: NotionVersion;
  ctx: SerializeContext;
  origin: string;
}

/** The endpoint shape of a path: ids replaced by `{id}`. */
export function endpointOf(method: string, pathname: string): string {
  const parts = pathname.split('/').filter(Boolean);
  const shape = parts.map((p, i) => (i >= 2 && !['query', 'properties', 'me'].includes(p) ? '{id}' : p));
  return `${method} /${shape.join('/')}`;
}

export class NotionApi {
  readonly tokens = new Map<string, TokenInfo>();
  readonly tokenBuckets: TokenBuckets;
  readonly workspaceBucket: TokenBuckets;
  latencyMs = 0;
  queryResultLimit = QUERY_RESULT_LIMIT;
  private faults: (FaultSpec & { remaining: number })[] = [];
  private stats: CallStats = emptyStats();
  private log: CallLogEntry[] = [];
  private readonly notBefore = new Map<string, number>();
  private readonly cursors = new Map<string, QueryCursor>();
  private readonly fileSecret = randomBytes(16);
  private readonly faultRng = new Rng('notion-faults');

  constructor(
    readonly store: NotionStore,
    rateLimit: RateLimitConfig | null,
    workspaceRateLimit: RateLimitConfig | null,
  ) {
    this.tokenBuckets = new TokenBuckets(rateLimit);
    this.workspaceBucket = new TokenBuckets(workspaceRateLimit);
  }

  calls(): CallStats {
    return structuredClone(this.stats);
  }

  callLog(): CallLogEntry[] {
    return this.log.map((e) => ({ ...e }));
  }

  resetCalls(): void {
    this.stats = emptyStats();
    this.log = [];
  }

  injectFaults(fault: FaultSpec): void {
    if (!(fault.code in STATUS_OF)) throw new RangeError(`code: expected one of ${Object.keys(STATUS_OF).join(', ')}, got ${String(fault.code)}`);
    if (fault.rate !== undefined && !(fault.rate > 0 && fault.rate <= 1)) throw new RangeError(`rate: expected a number in (0, 1], got ${String(fault.rate)}`);
    if (fault.times !== undefined && !(Number.isInteger(fault.times) && fault.times >= 1)) throw new RangeError(`times: expected an integer ≥ 1, got ${String(fault.times)}`);
    if (fault.retryAfterSeconds !== undefined && !(Number.isInteger(fault.retryAfterSeconds) && fault.retryAfterSeconds >= 0)) {
      throw new RangeError(`retryAfterSeconds: expected an integer ≥ 0, got ${String(fault.retryAfterSeconds)}`);
    }
    this.faults.push({ ...fault, remaining: fault.times ?? 1 });
  }

  clearFaults(): void {
    this.faults = [];
  }

  /** A signed, expiring URL for a Notion-hosted file (served by the control surface under /_sim/files/). */
  signFile(origin: string, f: Extract<FileRec, { kind: 'file' }>): { url: string; expiry_time: string } {
    const expires = this.store.clock() + FILE_URL_TTL_MS;
    return { url: `${origin}/_sim/files/${f.fileId}/${encodeURIComponent(f.name)}?expires=${expires}&sig=${this.fileSig(f.fileId, expires)}`, expiry_time: new Date(expires).toISOString() };
  }

  fileSig(fileId: string, expires: number): string {
    return createHmac('sha256', this.fileSecret).update(`${fileId}:${expires}`).digest('base64url').slice(0, 22);
  }

  async handle(req: IncomingMessage, res: ServerResponse, pathname: string, search: string): Promise<void> {
    const requestId = randomUUID();
    const method = (req.method ?? 'GET').toUpperCase();
    const endpoint = endpointOf(method, pathname);
    this.stats.total++;
    bump(this.stats.byEndpoint, endpoint);
    const versionHeader = String(req.headers['notion-version'] ?? '').trim();
    const echo = (NOTION_VERSIONS as readonly string[]).includes(versionHeader) ? versionHeader : null;
    let tokenText: string | null = null;
    let reply: Reply;
    try {
      const auth = String(req.headers.authorization ?? '');
      const m = /^Bearer\s+(.+)$/i.exec(auth.trim());
      tokenText = m ? (m[1] as string).trim() : null;
      const token = tokenText !== null ? this.tokens.get(tokenText) : undefined;
      if (!token) {
        tokenText = null;
        throw new NotionError('unauthorized', 'API token is invalid.');
      }
      if (versionHeader === '') throw new NotionError('invalid_request', 'Notion-Version header is required.');
      if (!echo) throw validation(`Notion-Version header failed validation: should be one of ${NOTION_VERSIONS.map((v) => `"${v}"`).join(', ')}, instead was "${versionHeader}".`);
      const now = this.store.clock();
      const wait = this.notBefore.get(tokenText as string);
      if (wait !== undefined) {
        if (now < wait) this.stats.earlyRetries++;
        else this.notBefore.delete(tokenText as string);
      }
      const tokenWait = this.tokenBuckets.take(tokenText as string, now);
      if (tokenWait > 0) throw this.rateLimited(tokenWait, 'public_api_request_rate_limit');
      const spaceWait = this.workspaceBucket.take('workspace', now);
      if (spaceWait > 0) throw this.rateLimited(spaceWait, 'public_api_space_request_rate_limit');
      this.takeFault(endpoint);
      const body = method === 'POST' || method === 'PATCH' ? await readJsonBody(req) : (req.resume(), {});
      const origin = `http://${req.headers.host ?? '127.0.0.1'}`;
      const ctx: SerializeContext = {
        dataset: this.store.dataset,
        version: echo as NotionVersion,
        emails: token.capabilities.emails,
        signFile: (f) => this.signFile(origin, f),
      };
      const segments = pathname.slice(API_PREFIX.length).split('/').filter(Boolean);
      reply = { status: 200, body: this.route({ method, segments, query: new URLSearchParams(search), body, token, version: echo as NotionVersion, ctx, origin }) };
    } catch (err) {
      req.resume();
      const e = err instanceof NotionError ? err : new NotionError('internal_server_error', `Simulator failure: ${err instanceof Error ? err.message : String(err)}`);
      reply = { status: e.status, headers: e.headers, body: { object: 'error', status: e.status, code: e.code, message: e.message, request_id: requestId, ...(e.additionalData ? { additional_data: e.additionalData } : {}) } };
    }
    if (this.latencyMs > 0) await new Promise((r) => setTimeout(r, this.latencyMs));
    const code = (reply.body as { code?: unknown }).code;
    bump(this.stats.byStatus, String(reply.status));
    if (typeof code === 'string' && reply.status >= 400) bump(this.stats.byCode, code);
    const retry = reply.headers?.['Retry-After'];
    if (retry !== undefined) {
      this.stats.rateLimited++;
      if (tokenText !== null) this.notBefore.set(tokenText, this.store.clock() + Number(retry) * 1000);
    }
    this.log.push({ at: this.store.clock(), method, endpoint, path: pathname, status: reply.status, code: typeof code === 'string' && reply.status >= 400 ? code : null, requestId });
    if (this.log.length > 20_000) this.log.splice(0, this.log.length - 20_000);
    const extra: Record<string, string> = { 'x-notion-request-id': requestId };
    if (echo) extra['Notion-Version'] = echo;
    send(res, reply, extra);
  }

  private rateLimited(seconds: number, reason: string): NotionError {
    return new NotionError('rate_limited', 'You have been rate limited. Please try again in a few minutes.', { rate_limit_reason: reason }, { 'Retry-After': String(seconds) });
  }

  private takeFault(endpoint: string): void {
    const i = this.faults.findIndex((f) => f.endpoint === undefined || f.endpoint === endpoint);
    const f = this.faults[i];
    if (!f) return;
    if (f.rate !== undefined) {
      if (this.faultRng.next() >= f.rate) return;
    } else if (--f.remaining <= 0) this.faults.splice(i, 1);
    const wait = String(f.retryAfterSeconds ?? 1);
    switch (f.code) {
      case 'rate_limited':
        throw this.rateLimited(Number(wait), 'public_api_request_rate_limit');
      case 'service_overload':
        throw new NotionError('service_overload', f.message ?? 'The service is overloaded. Please try again later.', undefined, { 'Retry-After': wait });
      default:
        throw new NotionError(f.code, f.message ?? `Injected ${f.code}.`);
    }
  }

  // ---- routing ------------------------------------------------------------------------------------

  private route(r: Req): unknown {
    const [a, b, c, d] = r.segments;
    const n = r.segments.length;
    const is = (method: string, count: number): boolean => r.method === method && n === count;
    if (a === 'users') {
      if (b === 'me' && is('GET', 2)) return userJson(r.token.bot, r.ctx, true);
      if (is('GET', 1)) return this.listUsers(r);
      if (is('GET', 2)) return userJson(this.user(b as string), r.ctx);
    }
    if (a === 'databases' && is('GET', 2)) return databaseJson(this.database(b as string), r.version);
    if (a === 'data_sources') {
      if (is('GET', 2)) return dataSourceJson(this.dataSource(b as string), r.version);
      if (is('PATCH', 2)) return this.updateDataSource(r, this.dataSource(b as string));
      if (c === 'query' && is('POST', 3)) return this.query(r, this.dataSource(b as string));
    }
    if (a === 'pages') {
      if (is('GET', 2)) return pageJson(this.page(b as string), { ...r.ctx, only: this.filterProperties(r, this.page(b as string).dataSource) });
      if (is('PATCH', 2)) return this.updatePage(r, this.page(b as string));
      if (c === 'properties' && is('GET', 4)) return this.pageProperty(r, this.page(b as string), d as string);
    }
    if (a === 'comments') {
      if (is('GET', 1)) return this.listComments(r);
      if (is('POST', 1)) return this.createComment(r);
      if (is('GET', 2)) return this.getComment(r, b as string);
    }
    throw new NotionError('invalid_request_url', `Invalid request URL: ${r.method} ${API_PREFIX}/${r.segments.join('/')} is not an endpoint the simulator serves.`);
  }

  private id(raw: string, name: string): string {
    const id = normalizeId(decodeURIComponent(raw));
    if (!id) throw invalidParam('path', `path.${name}`, 'a valid uuid', raw);
    return id;
  }

  private user(raw: string): UserRec {
    const id = this.id(raw, 'user_id');
    const u = this.store.dataset.usersById.get(id);
    if (!u) throw notFound('user', id);
    return u;
  }

  private database(raw: string): DatabaseRec {
    const id = this.id(raw, 'database_id');
    const db = this.store.dataset.databasesById.get(id);
    if (!db || !db.shared) throw notFound('database', id);
    return db;
  }

  private dataSource(raw: string): DataSourceRec {
    const id = this.id(raw, 'data_source_id');
    const ds = this.store.dataset.dataSourcesById.get(id);
    if (!ds || !ds.database.shared) throw notFound('data_source', id);
    return ds;
  }

  private page(raw: string, name = 'page_id'): PageRec {
    const id = this.id(raw, name);
    const p = this.store.dataset.pagesById.get(id);
    if (!p || !p.dataSource.database.shared) throw notFound('page', id);
    return p;
  }

  private pageSize(raw: unknown, where: 'body' | 'query'): number {
    if (raw === undefined || raw === null) return 100;
    const n = where === 'query' && typeof raw === 'string' && /^\d+$/.test(raw) ? Number(raw) : raw;
    if (typeof n !== 'number' || !Number.isInteger(n)) throw invalidParam(where, `${where}.page_size`, 'an integer', raw);
    if (n < 1) throw invalidParam(where, `${where}.page_size`, '≥ `1`', n);
    if (n > 100) throw invalidParam(where, `${where}.page_size`, '≤ `100`', n);
    return n;
  }

  private filterProperties(r: Req, ds: DataSourceRec): Set<string> | null {
    const ids = [...r.query.getAll('filter_properties'), ...r.query.getAll('filter_properties[]')];
    if (ids.length === 0) return null;
    for (const id of ids) if (!findProperty(ds, id)) throw validation(`query failed validation: query.filter_properties contains \`${id}\`, which is not a property id of ${ds.name}.`);
    return new Set(ids.map((id) => decodeURIComponent((findProperty(ds, id) as { id: string }).id)));
  }

  private allowKeys(body: Json, allowed: readonly string[]): void {
    for (const k of Object.keys(body)) if (!allowed.includes(k)) throw validation(`body failed validation: body.${k} should be not present.`);
  }

  // ---- users --------------------------------------------------------------------------------------

  private listUsers(r: Req): ListUsersResponse {
    // Guests are not members: GET /v1/users leaves them out [U: developers.notion.com "List all users"].
    const all = this.store.dataset.users.filter((u) => !u.guest);
    const { start, size } = this.idCursor(r, all.map((u) => u.id));
    const page = all.slice(start, start + size);
    const next = all[start + size];
    return { object: 'list', results: page.map((u) => userJson(u, r.ctx)), next_cursor: next ? next.id : null, has_more: !!next, type: 'user', user: {} };
  }

  /** Cursor of the id-cursored lists (users, comments): the id of the next item. */
  private idCursor(r: Req, ids: string[]): { start: number; size: number } {
    const size = this.pageSize(r.query.get('page_size') ?? undefined, 'query');
    const cursor = r.query.get('start_cursor');
    if (cursor === null || cursor === '') return { start: 0, size };
    const id = normalizeId(cursor);
    const start = id ? ids.indexOf(id) : -1;
    if (start < 0) throw validation(`start_cursor provided is invalid: ${cursor}`);
    return { start, size };
  }

  // ---- data-source query --------------------------------------------------------------------------

  private query(r: Req, ds: DataSourceRec): QueryDataSourceResponse {
    const b = r.body;
    this.allowKeys(b, r.version === '2025-09-03' ? ['filter', 'sorts', 'start_cursor', 'page_size', 'in_trash', 'archived', 'result_type'] : ['filter', 'sorts', 'start_cursor', 'page_size', 'in_trash', 'result_type']);
    const size = this.pageSize(b.page_size, 'body');
    for (const k of ['in_trash', 'archived'] as const) if (b[k] !== undefined && typeof b[k] !== 'boolean') throw invalidParam('body', `body.${k}`, 'a boolean', b[k]);
    if (b.result_type !== undefined && b.result_type !== 'page' && b.result_type !== 'data_source') throw invalidParam('body', 'body.result_type', '`"page"` or `"data_source"`', b.result_type);
    if (b.start_cursor !== undefined && b.start_cursor !== null && typeof b.start_cursor !== 'string') throw invalidParam('body', 'body.start_cursor', 'a string', b.start_cursor);
    // in_trash: true searches the trash instead of the live pages [U].
    const trash = b.in_trash === true || b.archived === true;
    const now = this.store.clock();
    const pred = b.filter === undefined ? () => true : compileFilter(b.filter, ds, now, r.token.bot.id);
    const sort = compileSorts(b.sorts, ds);
    const only = this.filterProperties(r, ds);
    const key = JSON.stringify([ds.id, b.filter ?? null, b.sorts ?? null, trash, b.result_type ?? 'page']);

    const rows: { page: PageRec; keys: SortKey[] }[] = [];
    if (b.result_type !== 'data_source') for (const p of ds.pages) if (p.inTrash === trash && pred(p)) rows.push({ page: p, keys: sort.keys(p) });
    rows.sort((x, y) => compareKeys(x.keys, x.page.id, y.keys, y.page.id, sort.directions));

    let start = 0;
    let served = 0;
    if (typeof b.start_cursor === 'string' && b.start_cursor !== '') {
      const c = this.cursors.get(b.start_cursor);
      if (!c || c.key !== key) throw validation(`start_cursor provided is invalid: ${b.start_cursor}`);
      // Keyset resume: the first row at or after the row the cursor pointed at, even if rows moved.
      while (start < rows.length && compareKeys((rows[start] as { keys: SortKey[] }).keys, (rows[start] as { page: PageRec }).page.id, c.anchor, c.anchorId, sort.directions) < 0) start++;
      served = c.served;
    }
    const take = Math.max(0, Math.min(size, this.queryResultLimit - served, rows.length - start));
    const results = rows.slice(start, start + take);
    const more = start + take < rows.length;
    const capped = more && served + take >= this.queryResultLimit;
    let next: string | null = null;
    if (more && !capped) {
      const n = rows[start + take] as { page: PageRec; keys: SortKey[] };
      next = randomUUID();
      this.cursors.set(next, { key, anchor: n.keys, anchorId: n.page.id, served: served + take });
      if (this.cursors.size > 50_000) this.cursors.delete(this.cursors.keys().next().value as string);
    }
    const response: QueryDataSourceResponse = {
      object: 'list',
      results: results.map((x) => pageJson(x.page, { ...r.ctx, only }) as QueryDataSourceResponse['results'][number]),
      next_cursor: next,
      has_more: next !== null,
      type: 'page_or_data_source',
      page_or_data_source: {},
    };
    if (capped) response.request_status = { type: 'incomplete', incomplete_reason: 'query_result_limit_reached' };
    return response;
  }

  // ---- pages --------------------------------------------------------------------------------------

  private updatePage(r: Req, page: PageRec): unknown {
    if (!r.token.capabilities.updateContent) throw new NotionError('restricted_resource', 'Insufficient permissions for this endpoint.');
    const b = r.body;
    const allowed = ['properties', 'in_trash', 'is_locked', 'icon', 'cover', 'template', 'erase_content', 'is_archived'];
    this.allowKeys(b, r.version === '2025-09-03' ? [...allowed, 'archived'] : allowed);
    for (const k of ['icon', 'cover', 'template', 'erase_content', 'is_archived']) {
      if (b[k] !== undefined) throw validation(`body failed validation: body.${k} is not modelled by the simulator.`);
    }
    for (const k of ['in_trash', 'archived', 'is_locked'] as const) if (b[k] !== undefined && typeof b[k] !== 'boolean') throw invalidParam('body', `body.${k}`, 'a boolean', b[k]);
    const inTrash = (b.in_trash ?? b.archived) as boolean | undefined;
    const writes = b.properties === undefined ? [] : parsePropertyWrites(b.properties, page.dataSource, this.store.dataset, page, () => this.store.mintShortId());
    if (page.inTrash && inTrash !== false && (writes.length > 0 || b.is_locked !== undefined)) {
      throw validation("Can't edit block that is archived. You must unarchive the block before editing.");
    }
    // Restore first, then write, as one edit.
    if (inTrash === false) this.store.updatePage(page, [], false, r.token.bot);
    this.store.updatePage(page, writes, inTrash === true ? true : undefined, r.token.bot, b.is_locked as boolean | undefined);
    return pageJson(page, { ...r.ctx, only: this.filterProperties(r, page.dataSource) });
  }

  // ---- data-source schema ------------------------------------------------------------------------

  /** PATCH /v1/data_sources/{id}: properties added, renamed, reconfigured or removed, and the title (schema.ts). */
  private updateDataSource(r: Req, ds: DataSourceRec): unknown {
    if (!r.token.capabilities.updateContent) throw new NotionError('restricted_resource', 'Insufficient permissions for this endpoint.');
    const b = r.body;
    const allowed = ['title', 'icon', 'properties', 'in_trash', 'parent'];
    this.allowKeys(b, r.version === '2025-09-03' ? [...allowed, 'archived'] : allowed);
    for (const k of ['icon', 'in_trash', 'archived', 'parent']) {
      if (b[k] !== undefined) throw validation(`body failed validation: body.${k} is not modelled by the simulator.`);
    }
    if (ds.database.inTrash) throw validation("Can't edit block that is archived. You must unarchive the block before editing.");
    const taken = new Set(ds.properties.map((p) => p.id));
    const mint = (): string => {
      let id = this.store.mintShortId();
      while (taken.has(id)) id = this.store.mintShortId();
      taken.add(id);
      return id;
    };
    const plan = parseSchemaUpdate(b, ds, mint);
    this.store.updateSchema(ds, plan, r.token.bot);
    return dataSourceJson(ds, r.version);
  }

  private pageProperty(r: Req, page: PageRec, rawPropertyId: string): unknown {
    const prop = findProperty(page.dataSource, rawPropertyId);
    if (!prop || (prop.name === rawPropertyId && prop.id !== rawPropertyId)) throw notFound('page', `${page.id} property ${rawPropertyId}`);
    if (!LIST_TYPES.has(prop.type)) return propertyItemJson(page, prop, r.ctx);
    const size = this.pageSize(r.query.get('page_size') ?? undefined, 'query');
    const cursor = r.query.get('start_cursor');
    let start = 0;
    if (cursor !== null && cursor !== '') {
      const decoded = /^\d+$/.test(Buffer.from(cursor, 'base64url').toString()) ? Number(Buffer.from(cursor, 'base64url').toString()) : NaN;
      if (!Number.isInteger(decoded)) throw validation(`start_cursor provided is invalid: ${cursor}`);
      start = decoded;
    }
    const base = `${r.origin}${API_PREFIX}/pages/${page.id}/properties/${prop.id}`;
    return propertyItemList(
      page,
      prop,
      start,
      size,
      r.ctx,
      (c) => `${base}?start_cursor=${c}`,
      (i) => Buffer.from(String(i)).toString('base64url'),
    );
  }

  // ---- comments -----------------------------------------------------------------------------------

  private requireComments(r: Req, write: boolean): void {
    const ok = write ? r.token.capabilities.insertComments : r.token.capabilities.readComments;
    if (!ok) throw new NotionError('restricted_resource', 'Insufficient permissions for this endpoint.');
  }

  private listComments(r: Req): ListCommentsResponse {
    this.requireComments(r, false);
    const raw = r.query.get('block_id');
    if (raw === null || raw === '') throw validation('query failed validation: query.block_id should be defined, instead was `undefined`.');
    const id = normalizeId(raw);
    if (!id) throw invalidParam('query', 'query.block_id', 'a valid uuid', raw);
    const page = this.store.dataset.pagesById.get(id);
    if (!page || !page.dataSource.database.shared) throw notFound('block', id);
    // Only unresolved comments are listed (vendor-apis §3.2 [D]).
    const open = page.comments.filter((c) => !c.resolved);
    const { start, size } = this.idCursor(r, open.map((c) => c.id));
    const next = open[start + size];
    return { object: 'list', results: open.slice(start, start + size).map(commentJson), next_cursor: next ? next.id : null, has_more: !!next, type: 'comment', comment: {} };
  }

  private getComment(r: Req, raw: string): CommentObjectResponse {
    this.requireComments(r, false);
    const id = this.id(raw, 'comment_id');
    const c = this.store.dataset.commentsById.get(id);
    if (!c || !c.page.dataSource.database.shared) throw notFound('comment', id);
    return commentJson(c);
  }

  private createComment(r: Req): CommentObjectResponse {
    this.requireComments(r, true);
    const b = r.body;
    this.allowKeys(b, ['parent', 'discussion_id', 'rich_text', 'markdown', 'display_name', 'attachments']);
    if (b.attachments !== undefined) throw validation('body failed validation: body.attachments: file uploads are not modelled by the simulator.');
    if ((b.parent === undefined) === (b.discussion_id === undefined)) throw validation('body failed validation: body should have exactly one of `parent` or `discussion_id`.');
    if ((b.rich_text === undefined) === (b.markdown === undefined)) throw validation('body failed validation: body should have exactly one of `rich_text` or `markdown`.');
    let page: PageRec;
    let discussion: string | null = null;
    let thread: CommentRec[] | undefined;
    if (b.parent !== undefined) {
      if (!isObj(b.parent)) throw invalidParam('body', 'body.parent', 'an object', b.parent);
      const raw = b.parent.page_id ?? b.parent.block_id;
      if (typeof raw !== 'string') throw validation('body failed validation: body.parent should have `page_id` (comments on other blocks are not modelled by the simulator).');
      const id = normalizeId(raw);
      if (!id) throw invalidParam('body', b.parent.page_id !== undefined ? 'body.parent.page_id' : 'body.parent.block_id', 'a valid uuid', raw);
      const p = this.store.dataset.pagesById.get(id);
      if (!p || !p.dataSource.database.shared) throw notFound(b.parent.page_id !== undefined ? 'page' : 'block', id);
      page = p;
    } else {
      const id = typeof b.discussion_id === 'string' ? normalizeId(b.discussion_id) : null;
      if (!id) throw invalidParam('body', 'body.discussion_id', 'a valid uuid', b.discussion_id);
      thread = this.store.dataset.discussions.get(id);
      const first = thread?.[0];
      if (!first || !first.page.dataSource.database.shared) throw notFound('discussion', id);
      page = first.page;
      discussion = id;
    }
    if (page.inTrash) throw validation("Can't edit block that is archived. You must unarchive the block before editing.");
    let richText;
    if (b.rich_text !== undefined) richText = parseRichText(b.rich_text, 'body.rich_text', this.store.dataset);
    else {
      if (typeof b.markdown !== 'string') throw invalidParam('body', 'body.markdown', 'a string', b.markdown);
      const chunks: string[] = [];
      for (let i = 0; i < b.markdown.length; i += MAX_TEXT) chunks.push(b.markdown.slice(i, i + MAX_TEXT));
      if (chunks.length > 100) throw invalidParam('body', 'body.markdown.length', `≤ \`${100 * MAX_TEXT}\``, b.markdown.length);
      richText = chunks.map((c) => textItem(c));
    }
    if (richText.length === 0) throw validation('body failed validation: body.rich_text should not be empty.');
    const bot = r.token.bot;
    let displayName: CommentRec['displayName'] = { type: 'integration', resolvedName: bot.name };
    if (b.display_name !== undefined) {
      const d = b.display_name;
      if (!isObj(d) || !['integration', 'user', 'custom'].includes(String(d.type))) throw invalidParam('body', 'body.display_name.type', '`"integration"`, `"user"` or `"custom"`', isObj(d) ? d.type : d);
      if (d.type === 'custom') {
        const name = isObj(d.custom) ? d.custom.name : undefined;
        if (typeof name !== 'string' || name.trim() === '' || name.length > 100) throw invalidParam('body', 'body.display_name.custom.name', 'a non-empty string of at most 100 characters', name);
        displayName = { type: 'custom', resolvedName: name };
      } else if (d.type === 'user') {
        // An internal integration acts for the workspace member who installed it: the first admin here [U].
        const owner = this.store.dataset.users.find((u) => u.type === 'person' && u.role === 'creative_director');
        displayName = { type: 'user', resolvedName: owner?.name ?? bot.name };
      }
    }
    const c = this.store.addComment(page, discussion, richText, bot, displayName);
    if (thread && thread[0]?.resolved) c.resolved = true;
    return commentJson(c);
  }
}

function readJsonBody(req: IncomingMessage): Promise<Json> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let failed = false;
    req.on('data', (c: Buffer) => {
      if (failed) return;
      size += c.length;
      if (size > MAX_BODY_BYTES) {
        failed = true;
        reject(validation(`Request body too large: the limit is ${MAX_BODY_BYTES} bytes.`));
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => {
      if (failed) return;
      const text = Buffer.concat(chunks).toString('utf8');
      if (text.trim() === '') return resolve({});
      try {
        const v: unknown = JSON.parse(text);
        if (!isObj(v)) return reject(new NotionError('invalid_json', 'Error parsing JSON body: expected an object.'));
        resolve(v);
      } catch {
        reject(new NotionError('invalid_json', 'Error parsing JSON body.'));
      }
    });
    req.on('error', reject);
  });
}

export function send(res: ServerResponse, reply: Reply, extra: Record<string, string> = {}): void {
  const body = JSON.stringify(reply.body ?? {});
  res.writeHead(reply.status, { 'Content-Type': 'application/json; charset=utf-8', 'Content-Length': Buffer.byteLength(body), ...extra, ...(reply.headers ?? {}) });
  res.end(body);
}
