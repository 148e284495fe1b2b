// monday.com reads and writes through the official client, `@mondaydotcomorg/api` (README "The SDK").
// It never retries (vendor-apis.md §2.9), which is what we want: Temporal retries, in one place.
// Each request: waits while the complexity budget cannot cover its expected cost (limits.ts), goes
// through the credential's RateLimiter (per-minute pacing and concurrency), takes one call from the
// account's daily cap (or throws DailyCapReached before sending), is counted per operation with its
// complexity points, and a failure — HTTP 200 with `errors` included — becomes one ConnectorError.
import { ApiClient } from '@mondaydotcomorg/api';
import type { ConnectorClientOptions } from '../index';
import { AbortedRequest } from '../asana/client';
import { CallCounter, ConnectorError, type ConnectorErrorKind } from '../types';
import {
  ACTIVITY_LOGS, BOARDS, BOARDS_WITH_UPDATES, BOARD_UPDATES, CHANGE_MULTIPLE_COLUMN_VALUES, CREATE_COLUMN, CREATE_STATUS_COLUMN, CREATE_UPDATE, ITEMS_BY_IDS,
  ITEMS_PAGE, ITEM_UPDATES_PAGE, ME, MOVE_ITEM_TO_GROUP, NEXT_ITEMS_PAGE, USERS,
} from './documents';
import {
  ComplexityBudget, DailyCallCap, DailyCapReached, chooseItemsLimit, complexityPerMinute, nextUtcMidnight, type ComplexityReading,
} from './limits';
import {
  ACTIVITY_LOG_PAGE, API_VERSION, BOARDS_PAGE, CODES, COMPLEXITY, DEFAULT_RATE_WAIT_MS, ITEMS_BY_IDS_MAX, LOCKED_WAIT_MS, PLANS, TIMEOUT_MS,
  UPDATES_PER_ITEM, USERS_PAGE, codeKey, manifest, type MondayPlan,
} from './manifest';

export { AbortedRequest };

/**
 * monday refused an `items_page` cursor (it lives for about 60 minutes [U]): take page one again.
 * Like Drive's ExpiredPageToken, an `invalid_config` ConnectorError the engine catches.
 */
export class ExpiredCursor extends ConnectorError {
  constructor(operation: string, vendorMessage: string | undefined) {
    super('invalid_config', `monday.com ${operation}: the items cursor was refused${vendorMessage ? ` (${vendorMessage})` : ''}; start the board's listing again`, {
      endpoint: operation,
      ...(vendorMessage ? { vendorMessage } : {}),
    });
    this.name = 'ExpiredCursor';
  }
}

// ---- reading failures ------------------------------------------------------------------------------

/** One `errors[]` entry as far as we read it (2025-01+ shape; legacy fields folded in). */
export interface MondayErrorEntry {
  message?: string;
  code?: string;
  /** `extensions.status_code`: monday's own status for an error answered with HTTP 200. */
  statusCode?: number;
  retryInSeconds?: number;
  path?: (string | number)[];
}

/** A failed request as classifyMonday reads it. */
export interface MondayFailure {
  /** HTTP status; undefined for a network failure or a timeout. */
  status?: number;
  timeout?: boolean;
  network?: string;
  errors: MondayErrorEntry[];
  retryAfterHeader?: string | null;
  /** A non-JSON body (an HTML error page), truncated. */
  bodyText?: string;
}

export interface MondayVerdict {
  kind: ConnectorErrorKind;
  retryAfterMs?: number;
  /** DAILY_LIMIT_EXCEEDED: the account's day is spent. */
  daily?: true;
  /** The complexity budget ran out (the client's budget is exhausted until the wait ends). */
  complexity?: true;
  cursorExpired?: true;
}

const codeSet = (codes: readonly string[]) => new Set(codes.map(codeKey));
const RATE = codeSet(CODES.rateLimited);
const DAILY = codeSet(CODES.daily);
const AUTH = codeSet(CODES.auth);
const LOCKED = codeSet(CODES.locked);
const NOT_FOUND = codeSet(CODES.notFound);
const UNAVAILABLE = codeSet(CODES.unavailable);
const CURSOR = codeSet(CODES.cursorExpired);
const COMPLEXITY_CODES = codeSet(['COMPLEXITY_BUDGET_EXHAUSTED', 'ComplexityException']);

/**
 * Activity-log page sizes a server may cap a larger `limit` at without saying so [U]: the SDL's default
 * `limit` (25) and the maximum a third-party client documents (100; manifest ACTIVITY_LOG_PAGE). A
 * short first page of exactly one of these sizes is the one case allActivityLogs asks one page more for.
 */
const SUSPECTED_LOG_CAPS: ReadonlySet<number> = new Set([25, 100]);

/** "Query has complexity of 6000000, which exceeds max complexity of 5000000": not a wait, a query to shrink. */
const OVER_QUERY_CAP = /exceeds max complexity/i;
/** The legacy complexity message: "… reset in 12 seconds". */
const RESET_IN = /reset in (\d+(?:\.\d+)?) seconds?/i;

function retryAfterMs(header: string | null | undefined, now: number): number | undefined {
  const v = header?.trim();
  if (!v) return undefined;
  const n = Number(v);
  if (Number.isFinite(n) && n >= 0) return Math.ceil(n * 1000);
  const date = Date.parse(v); // Retry-After may also be an HTTP date
  return Number.isFinite(date) ? Math.max(0, date - now) : undefined;
}

/**
 * Pure: what a monday answer means (README Behaviours 6–9). The codes decide first, compared
 * case- and separator-insensitively, in this order: the daily cap; "slow down" codes (complexity,
 * minute rate, IP, concurrency, field concurrency) and HTTP 429; 423 "locked"; lost access (401,
 * UserUnauthorizedException); an expired cursor; 5xx and timeouts; a board, item or resource that is
 * not there (not_found); everything else — invalid columns, values, arguments, a query over the
 * 5M cap, a parse error — is invalid_config. Waits come from `retry_in_seconds` (extensions, legacy
 * `error_data`, or "reset in N seconds"), else `Retry-After`, the longer of the two when both came.
 */
export function classifyMonday(f: MondayFailure, now = 0): MondayVerdict {
  if (f.status === undefined) return { kind: 'vendor_unavailable' };
  const keys = f.errors.map((e) => (e.code ? codeKey(e.code) : ''));
  const has = (set: Set<string>) => keys.some((k) => set.has(k));
  const messages = f.errors.map((e) => e.message ?? '').join(' ');
  const header = retryAfterMs(f.retryAfterHeader, now);
  const seconds = f.errors.map((e) => e.retryInSeconds ?? (e.message && RESET_IN.exec(e.message) ? Number(RESET_IN.exec(e.message)![1]) : undefined)).filter((s): s is number => typeof s === 'number' && s >= 0);
  const inBody = seconds.length ? Math.ceil(Math.max(...seconds) * 1000) : undefined;
  const wait = inBody !== undefined || header !== undefined ? Math.max(inBody ?? 0, header ?? 0) : undefined;
  const statusCodes = f.errors.map((e) => e.statusCode).filter((s): s is number => typeof s === 'number');

  if (has(DAILY)) return { kind: 'rate_limited', daily: true, ...(wait !== undefined ? { retryAfterMs: wait } : {}) };
  const overCap = OVER_QUERY_CAP.test(messages);
  if ((has(RATE) && !overCap) || f.status === 429 || (statusCodes.includes(429) && !overCap)) {
    return { kind: 'rate_limited', retryAfterMs: wait ?? DEFAULT_RATE_WAIT_MS, ...(has(COMPLEXITY_CODES) ? { complexity: true as const } : {}) };
  }
  if (f.status === 423 || has(LOCKED) || statusCodes.includes(423) || /resource is currently locked/i.test(messages)) {
    return { kind: 'rate_limited', retryAfterMs: wait ?? LOCKED_WAIT_MS };
  }
  if (f.status === 401 || f.status === 403 || has(AUTH) || statusCodes.includes(401) || statusCodes.includes(403)) return { kind: 'auth_revoked' };
  if (has(CURSOR) || /cursor.*(expired|invalid)/i.test(messages)) return { kind: 'invalid_config', cursorExpired: true };
  if (f.status >= 500 || has(UNAVAILABLE) || statusCodes.some((s) => s >= 500)) return { kind: 'vendor_unavailable', ...(wait !== undefined ? { retryAfterMs: wait } : {}) };
  if (f.status === 404 || has(NOT_FOUND) || statusCodes.includes(404)) return { kind: 'not_found' };
  const mapped = (manifest.statuses as Record<number, ConnectorErrorKind>)[f.status];
  if (mapped && f.status !== 200) return { kind: mapped };
  return { kind: 'invalid_config' };
}

type HeadersLike = { get(name: string): string | null } | Record<string, unknown> | undefined;

function headerOf(headers: HeadersLike, name: string): string | null {
  if (!headers) return null;
  if (typeof (headers as { get?: unknown }).get === 'function') return (headers as { get(n: string): string | null }).get(name);
  const rec = headers as Record<string, unknown>;
  const key = Object.keys(rec).find((k) => k.toLowerCase() === name.toLowerCase());
  const v = key === undefined ? undefined : rec[key];
  return typeof v === 'string' ? v : Array.isArray(v) && typeof v[0] === 'string' ? v[0] : null;
}

const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : typeof v === 'string' && v.trim() !== '' && Number.isFinite(Number(v)) ? Number(v) : undefined);

/**
 * A thrown value as a MondayFailure, or null when it is not a vendor answer (a bug of ours, rethrown
 * as it is). Reads graphql-request's ClientError by shape (`response.status`, `response.errors`,
 * `response.headers`, and the legacy top-level `error_code`/`error_message`/`error_data`), the SDK's
 * AbortError on a timeout, and fetch's "fetch failed" TypeError for a network failure.
 */
export function readFailure(err: unknown): MondayFailure | null {
  if (!err || typeof err !== 'object') return null;
  const e = err as { name?: unknown; message?: unknown; cause?: { code?: unknown }; response?: unknown };
  if (e.name === 'AbortError' || e.name === 'TimeoutError') return { timeout: true, errors: [] };
  if (e.name === 'TypeError' && e.message === 'fetch failed') return { network: typeof e.cause?.code === 'string' ? e.cause.code : 'fetch failed', errors: [] };
  const r = e.response as { status?: unknown; errors?: unknown; headers?: HeadersLike; error?: unknown; error_code?: unknown; error_message?: unknown; error_data?: unknown; status_code?: unknown } | undefined;
  if (!r || typeof r !== 'object' || typeof r.status !== 'number') return null;
  const errors: MondayErrorEntry[] = [];
  if (Array.isArray(r.errors)) {
    for (const x of r.errors as unknown[]) {
      if (!x || typeof x !== 'object') continue;
      const o = x as { message?: unknown; path?: unknown; extensions?: Record<string, unknown> & { error_data?: Record<string, unknown> } };
      const ext = o.extensions ?? {};
      const retry = num(ext.retry_in_seconds) ?? num(ext.error_data?.retry_in_seconds);
      const statusCode = num(ext.status_code);
      errors.push({
        ...(typeof o.message === 'string' ? { message: o.message } : {}),
        ...(typeof ext.code === 'string' ? { code: ext.code } : {}),
        ...(statusCode !== undefined ? { statusCode } : {}),
        ...(retry !== undefined ? { retryInSeconds: retry } : {}),
        ...(Array.isArray(o.path) ? { path: o.path as (string | number)[] } : {}),
      });
    }
  }
  if (typeof r.error_code === 'string' || typeof r.error_message === 'string') {
    // Versions before 2025-01 (and FIELD_LIMIT_EXCEEDED in all versions): top-level error fields.
    const data = (r.error_data && typeof r.error_data === 'object' ? r.error_data : {}) as Record<string, unknown>;
    const retry = num(data.retry_in_seconds);
    const statusCode = num(r.status_code);
    errors.push({
      ...(typeof r.error_message === 'string' ? { message: r.error_message } : {}),
      ...(typeof r.error_code === 'string' ? { code: r.error_code } : {}),
      ...(statusCode !== undefined ? { statusCode } : {}),
      ...(retry !== undefined ? { retryInSeconds: retry } : {}),
    });
  }
  const failure: MondayFailure = { status: r.status, errors, retryAfterHeader: headerOf(r.headers, manifest.rateLimit.waitFrom.header) };
  if (typeof r.error === 'string') failure.bodyText = r.error.slice(0, 200);
  return failure;
}

/** The vendor's own words for a failure, short; never the request (its headers hold the token). */
function vendorMessageOf(f: MondayFailure): string | undefined {
  const parts = f.errors.map((e) => [e.code, e.message].filter(Boolean).join(': ') + (e.path?.length ? ` (at ${e.path.join('.')})` : '')).filter((s) => s !== '');
  const text = parts.join('; ') || f.bodyText?.replace(/\s+/g, ' ').trim();
  return text ? text.slice(0, 500) : undefined;
}

// ---- the client ----------------------------------------------------------------------------------------

export type TokenKind = 'personal' | 'app';

export interface MondayClientOptions extends ConnectorClientOptions {
  /** `API-Version`; default API_VERSION (2026-10, the SDL the documents are checked against). */
  apiVersion?: string;
  /** The account's plan: sets the daily cap (unless `dailyCap` is given) and the complexity budget. Default pro. */
  plan?: MondayPlan;
  /** A personal token shares one complexity budget between reads and writes; an app token has one each. Default personal. */
  tokenKind?: TokenKind;
  /** The account's daily call count, shared by every client and writer of the account (the caller persists it). */
  dailyCap?: DailyCallCap;
  /** The credential's complexity budgets, shared like its limiter (`budgetsFor`). */
  budgets?: Budgets;
  /** A per-item complexity cost learnt by an earlier sync, so the first page is already the largest. */
  itemCost?: number;
  /** Updates asked for inline per item (default UPDATES_PER_ITEM). */
  updatesPerItem?: number;
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
}

export interface Budgets {
  read: ComplexityBudget;
  write: ComplexityBudget;
}

/** The complexity budgets of a credential: one shared object for a personal token, two for an app token. */
export function budgetsFor(tokenKind: TokenKind = 'personal', plan: MondayPlan = 'pro'): Budgets {
  const b = complexityPerMinute(tokenKind, plan);
  if (b.shared) {
    const one = new ComplexityBudget(b.read);
    return { read: one, write: one };
  }
  return { read: new ComplexityBudget(b.read), write: new ComplexityBudget(b.write) };
}

/** The plan a `me { account { tier plan { tier } } }` answer names, or null when it is not one we know. */
export function planOf(tier: string | null | undefined, duringTrial?: boolean | null): MondayPlan | null {
  if (duringTrial) return 'trial';
  const t = tier?.trim().toLowerCase();
  return t && (PLANS as readonly string[]).includes(t) ? (t as MondayPlan) : null;
}

export interface ItemsPage {
  items: unknown[];
  /** The next page's cursor, or null after the last page. */
  cursor: string | null;
  /** The limit this page was asked for. */
  limit: number;
  /** Items whose inline updates filled the limit: their updates may go on (`itemUpdates`). */
  truncatedUpdates: string[];
}

/** What an item query selects beyond the fixed fields. */
export interface ItemSelection {
  /**
   * The subitem columns to read (the decision and reviewer columns of approval rounds); all when
   * absent. Each column read costs complexity on every subitem of every item of the page.
   */
  subitemColumns?: string[];
}

/** One page of a board's updates as boardsWithUpdates reads it. */
export interface BoardUpdatesPage {
  /** `{ id, item_id, created_at }`, newest first. */
  updates: unknown[];
  /** As many as asked: older updates of the window may be on further pages. */
  full: boolean;
}

/**
 * Updates per page (boardsWithUpdates, boardUpdates). The SDL's default is 25 and states no maximum;
 * monday's changelog (API 2025-01: "the updates query will return a maximum of 100 updates per page")
 * caps the root `updates` query at 100, so a nested `Board.updates` is assumed to cap there too [U].
 */
export const BOARD_UPDATES_PAGE = 100;

export interface ActivityLogQuery {
  /** ISO 8601 bounds. */
  from?: string;
  to?: string;
  columnIds?: string[];
  itemIds?: string[];
  groupIds?: string[];
  limit?: number;
  page?: number;
}

type Kind = 'read' | 'write';

interface Answer<T> {
  data: T;
  complexity: ComplexityReading | null;
}

export class MondayClient {
  readonly counter: CallCounter;
  /** Complexity points used, per operation (from each answer's `complexity.query`). */
  readonly points = new CallCounter();
  readonly dailyCap: DailyCallCap;
  readonly budgets: Budgets;
  private readonly api: ApiClient;
  private readonly limiter: ConnectorClientOptions['limiter'];
  private readonly abortIf: () => boolean;
  private readonly now: () => number;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly timeoutMs: number;
  private readonly updatesPerItem: number;
  /** Last complexity cost per operation, the expected cost of its next call. */
  private readonly costs = new Map<string, number>();
  private perItem: number | null;
  /** The activity-log page size a server was seen to cap pages at (allActivityLogs); null while none was. */
  private logPageCap: number | null = null;

  constructor(opts: MondayClientOptions) {
    const apiVersion = opts.apiVersion ?? API_VERSION;
    // The SDK reads MONDAY_API_ENDPOINT from the environment when no endpoint is given; always giving
    // one keeps a stray variable from redirecting a connection (vendor-apis.md §2.9).
    this.api = new ApiClient({ token: opts.token, apiVersion, endpoint: opts.baseUrl ?? manifest.baseUrl });
    this.limiter = opts.limiter;
    this.abortIf = opts.abortIf ?? (() => false);
    this.counter = opts.counter ?? new CallCounter();
    this.now = opts.now ?? Date.now;
    this.sleep = opts.sleep ?? ((ms) => new Promise((r) => setTimeout(r, ms)));
    this.timeoutMs = Math.min(opts.timeoutMs ?? TIMEOUT_MS, TIMEOUT_MS);
    const plan = opts.plan ?? 'pro';
    this.dailyCap = opts.dailyCap ?? DailyCallCap.forPlan(plan, null, { now: this.now() });
    this.budgets = opts.budgets ?? budgetsFor(opts.tokenKind, plan);
    this.perItem = opts.itemCost !== undefined && opts.itemCost > 0 ? opts.itemCost : null;
    this.updatesPerItem = opts.updatesPerItem ?? UPDATES_PER_ITEM;
  }

  /** Calls left today for reads (see DailyCallCap: writes may have a reserve). */
  callsLeftToday(kind: Kind = 'read'): number {
    return this.dailyCap.callsLeftToday(this.now(), kind);
  }

  /** When the daily count resets (ISO, 00:00 UTC). */
  resetsAt(): string {
    return this.dailyCap.resetsAt(this.now());
  }

  /** The complexity cost of one item of an items page, learnt from the last page (null before one). */
  itemCost(): number | null {
    return this.perItem;
  }

  /** The `items_page` limit the next page will use: the largest the complexity budget allows, ≤ 500. */
  itemsLimit(): number {
    return chooseItemsLimit(this.perItem, { perMinute: this.budgets.read.limit });
  }

  // https://developer.monday.com/api-reference/reference/me
  async me(): Promise<{ id: string; name: string | null; email: string | null; plan: MondayPlan | null; accountId: string | null }> {
    const { data } = await this.exec<{ me?: { id?: unknown; name?: unknown; email?: unknown; account?: { id?: unknown; tier?: unknown; is_during_trial?: unknown; plan?: { tier?: unknown } | null } | null } | null }>(
      'query me', ME, {}, 'read',
    );
    const me = data.me;
    if (!me || typeof me.id !== 'string') throw new ConnectorError('schema_drift', 'monday.com query me: the answer has no user id', { endpoint: 'query me' });
    const acc = me.account ?? null;
    const tier = typeof acc?.plan?.tier === 'string' ? acc.plan.tier : typeof acc?.tier === 'string' ? acc.tier : null;
    return {
      id: me.id,
      name: typeof me.name === 'string' ? me.name : null,
      email: typeof me.email === 'string' ? me.email : null,
      plan: planOf(tier, acc?.is_during_trial === true),
      accountId: typeof acc?.id === 'string' ? acc.id : null,
    };
  }

  /**
   * https://developer.monday.com/api-reference/reference/boards — boards by id (one call for up to
   * BOARDS_PAGE ids), or every board of the workspaces (page-numbered by BOARDS_PAGE until a short
   * page), any state, with groups and columns. Subitem boards (`type: sub_items_board`) come too;
   * `isItemBoard` tells them apart. Ids that come back with no board are a `not_found` naming them (a
   * deleted board, a typo, a board not shared with the token: monday answers those with an empty list,
   * not an error).
   */
  async boards(scope: { ids: string[] } | { workspaceIds: string[] }): Promise<unknown[]> {
    return this.listBoards('query boards', BOARDS, scope, {});
  }

  /**
   * https://developer.monday.com/api-reference/reference/updates — boards as `boards` reads them, each
   * with one page of its updates posted from `from` (`id item_id created_at`, newest first), in the same
   * calls. The boards come back without `updates`; `updates` maps each board id to its page and whether
   * the page was full (then older updates of the window may be missing: page them with boardUpdates).
   */
  async boardsWithUpdates(scope: { ids: string[] } | { workspaceIds: string[] }, q: { from: string; limit?: number }): Promise<{ boards: unknown[]; updates: Map<string, BoardUpdatesPage> }> {
    if (!Number.isFinite(Date.parse(q.from))) throw new ConnectorError('invalid_config', `monday.com boardsWithUpdates: from ${JSON.stringify(q.from)} is not an ISO time`);
    const limit = q.limit ?? BOARD_UPDATES_PAGE;
    if (!Number.isInteger(limit) || limit < 1 || limit > BOARD_UPDATES_PAGE) throw new ConnectorError('invalid_config', `monday.com boardsWithUpdates: updates limit ${limit}: expected 1 to ${BOARD_UPDATES_PAGE}`);
    const served = await this.listBoards('query boards+updates', BOARDS_WITH_UPDATES, scope, { updatesFrom: q.from, updatesLimit: limit });
    const boards: unknown[] = [];
    const updates = new Map<string, BoardUpdatesPage>();
    for (const raw of served) {
      const { updates: list, ...board } = raw as { updates?: unknown };
      boards.push(board);
      const id = idOf(raw);
      if (id === null) continue;
      const page = listOf(list ?? [], 'query boards+updates');
      updates.set(id, { updates: page, full: page.length >= limit });
    }
    return { boards, updates };
  }

  private async listBoards(op: string, document: string, scope: { ids: string[] } | { workspaceIds: string[] }, extra: Record<string, unknown>): Promise<unknown[]> {
    if ('ids' in scope) {
      const ids = uniqueIds('board id', scope.ids);
      const boards: unknown[] = [];
      for (let i = 0; i < ids.length; i += BOARDS_PAGE) {
        const chunk = ids.slice(i, i + BOARDS_PAGE);
        const { data } = await this.exec<{ boards?: unknown[] | null }>(op, document, { ids: chunk, limit: chunk.length, page: 1, ...extra }, 'read');
        boards.push(...listOf(data.boards, op));
      }
      const seen = new Set(boards.map((b) => idOf(b)));
      const missing = ids.filter((id) => !seen.has(id));
      if (missing.length) {
        throw new ConnectorError('not_found', `monday.com board${missing.length > 1 ? 's' : ''} ${missing.join(', ')}: not found, deleted, or not shared with the token's user`, { endpoint: op });
      }
      return boards;
    }
    const workspaceIds = uniqueIds('workspace id', scope.workspaceIds);
    const out: unknown[] = [];
    for (let page = 1; ; page++) {
      const { data } = await this.exec<{ boards?: unknown[] | null }>(op, document, { workspaceIds, limit: BOARDS_PAGE, page, ...extra }, 'read');
      const boards = listOf(data.boards, op);
      out.push(...boards);
      if (boards.length < BOARDS_PAGE) return out;
    }
  }

  /**
   * https://developer.monday.com/api-reference/reference/items-page — the first page of a board's
   * items (with `queryParams`, a filtered listing), at `limit` or the largest page the complexity
   * budget allows. Follow `cursor` with nextItemsPage.
   */
  async itemsPage(boardId: string, opts: ItemSelection & { limit?: number; queryParams?: Record<string, unknown> } = {}): Promise<ItemsPage> {
    assertId('board id', boardId);
    const limit = this.limitFor(opts.limit);
    const { data } = await this.exec<{ boards?: { items_page?: { cursor?: unknown; items?: unknown } | null }[] | null }>(
      'query boards.items_page', ITEMS_PAGE, { board: [boardId], limit, ...this.selection(opts), ...(opts.queryParams ? { queryParams: opts.queryParams } : {}) }, 'read', limit,
    );
    const board = listOf(data.boards, 'query boards.items_page')[0] as { items_page?: { cursor?: unknown; items?: unknown } | null } | undefined;
    if (!board) throw new ConnectorError('not_found', `monday.com board ${boardId}: not found, deleted, or not shared with the token's user`, { endpoint: 'query boards.items_page' });
    return this.page(board.items_page, limit, 'query boards.items_page');
  }

  /** https://developer.monday.com/api-reference/reference/items-page#next_items_page — a page from a cursor. */
  async nextItemsPage(cursor: string, limit?: number, opts: ItemSelection = {}): Promise<ItemsPage> {
    if (typeof cursor !== 'string' || cursor === '') throw new ConnectorError('invalid_config', 'monday.com nextItemsPage: no cursor');
    const l = this.limitFor(limit);
    const { data } = await this.exec<{ next_items_page?: { cursor?: unknown; items?: unknown } | null }>(
      'query next_items_page', NEXT_ITEMS_PAGE, { cursor, limit: l, ...this.selection(opts) }, 'read', l,
    );
    return this.page(data.next_items_page, l, 'query next_items_page');
  }

  /**
   * Items of a board updated after `since` (ISO), through `query_params` on `__last_updated__`
   * (vendor-apis.md §2.4: the rule's exact semantics are [U]; the incremental window overlaps and
   * upserts are idempotent, so a rule that also returns items updated at `since` is harmless). Follow
   * `cursor` with nextItemsPage.
   */
  async updatedItemsSince(boardId: string, since: string, opts: ItemSelection & { limit?: number } = {}): Promise<ItemsPage> {
    if (!Number.isFinite(Date.parse(since))) throw new ConnectorError('invalid_config', `monday.com updatedItemsSince: ${JSON.stringify(since)} is not an ISO time`);
    return this.itemsPage(boardId, { ...opts, queryParams: updatedSinceQuery(since) });
  }

  /**
   * https://developer.monday.com/api-reference/reference/items — up to 100 items by id, archived and
   * deleted ones included (with their `state`); ids monday does not return are simply absent.
   */
  async itemsByIds(ids: string[], opts: ItemSelection = {}): Promise<unknown[]> {
    const unique = uniqueIds('item id', ids);
    if (unique.length > ITEMS_BY_IDS_MAX) throw new ConnectorError('invalid_config', `monday.com itemsByIds: ${unique.length} ids in one query (at most ${ITEMS_BY_IDS_MAX}; more is throttled to once per 2 minutes)`);
    if (unique.length === 0) return [];
    const { data } = await this.exec<{ items?: unknown[] | null }>('query items', ITEMS_BY_IDS, { ids: unique, limit: unique.length, ...this.selection(opts) }, 'read', unique.length);
    return listOf(data.items, 'query items');
  }

  /** One item by id; `not_found` when monday returns nothing for it (deleted past recovery, or never shared). */
  async item(id: string, opts: ItemSelection = {}): Promise<unknown> {
    const [item] = await this.itemsByIds([id], opts);
    if (!item) throw new ConnectorError('not_found', `monday.com item ${id}: not found`, { endpoint: 'query items' });
    return item;
  }

  /** https://developer.monday.com/api-reference/reference/updates — one page of an item's updates (replies inline). */
  async itemUpdates(itemId: string, cursor: string | null = null, limit = 100): Promise<{ updates: unknown[]; cursor: string | null }> {
    assertId('item id', itemId);
    const { data } = await this.exec<{ items?: { updates_page?: { cursor?: unknown; updates?: unknown } | null }[] | null }>(
      'query items.updates_page', ITEM_UPDATES_PAGE, { ids: [itemId], limit, ...(cursor ? { cursor } : {}) }, 'read',
    );
    const item = listOf(data.items, 'query items.updates_page')[0] as { updates_page?: { cursor?: unknown; updates?: unknown } | null } | undefined;
    if (!item) throw new ConnectorError('not_found', `monday.com item ${itemId}: not found`, { endpoint: 'query items.updates_page' });
    const page = item.updates_page;
    return { updates: Array.isArray(page?.updates) ? page.updates : [], cursor: typeof page?.cursor === 'string' && page.cursor !== '' ? page.cursor : null };
  }

  /**
   * https://developer.monday.com/api-reference/reference/updates — one page of a board's updates
   * created from `from` (to `to`), newest first, replies inline, each with its `item_id`. A page
   * shorter than `limit` is the last. Group them by item and normalize with `updatesComplete: false`.
   */
  async boardUpdates(boardId: string, q: { from: string; to?: string; limit?: number; page?: number }): Promise<unknown[]> {
    assertId('board id', boardId);
    for (const [k, v] of [['from', q.from], ['to', q.to]] as const) {
      if (v !== undefined && !Number.isFinite(Date.parse(v))) throw new ConnectorError('invalid_config', `monday.com boardUpdates: ${k} ${JSON.stringify(v)} is not an ISO time`);
    }
    const { data } = await this.exec<{ boards?: { updates?: unknown[] | null }[] | null }>(
      'query boards.updates', BOARD_UPDATES, { board: [boardId], from: q.from, limit: q.limit ?? BOARD_UPDATES_PAGE, page: q.page ?? 1, ...(q.to ? { to: q.to } : {}) }, 'read',
    );
    const board = listOf(data.boards, 'query boards.updates')[0] as { updates?: unknown[] | null } | undefined;
    if (!board) throw new ConnectorError('not_found', `monday.com board ${boardId}: not found, deleted, or not shared with the token's user`, { endpoint: 'query boards.updates' });
    return listOf(board.updates ?? [], 'query boards.updates');
  }

  /** https://developer.monday.com/api-reference/reference/users — people by id (emails), every page. */
  async users(ids: string[]): Promise<unknown[]> {
    const unique = uniqueIds('user id', ids);
    const out: unknown[] = [];
    for (let i = 0; i < unique.length; i += USERS_PAGE) {
      const chunk = unique.slice(i, i + USERS_PAGE);
      const { data } = await this.exec<{ users?: unknown[] | null }>('query users', USERS, { ids: chunk, limit: chunk.length, page: 1 }, 'read');
      out.push(...listOf(data.users, 'query users'));
    }
    return out;
  }

  /**
   * https://developer.monday.com/api-reference/reference/activity-logs — one page of a board's
   * activity log (newest first; `data` is a JSON string). A page shorter than `limit` is the last.
   */
  async activityLogs(boardId: string, q: ActivityLogQuery = {}): Promise<unknown[]> {
    assertId('board id', boardId);
    for (const [k, v] of [['from', q.from], ['to', q.to]] as const) {
      if (v !== undefined && !Number.isFinite(Date.parse(v))) throw new ConnectorError('invalid_config', `monday.com activityLogs: ${k} ${JSON.stringify(v)} is not an ISO time`);
    }
    const { data } = await this.exec<{ boards?: { activity_logs?: unknown[] | null }[] | null }>(
      'query boards.activity_logs',
      ACTIVITY_LOGS,
      {
        board: [boardId],
        limit: q.limit ?? ACTIVITY_LOG_PAGE,
        page: q.page ?? 1,
        ...(q.from ? { from: q.from } : {}),
        ...(q.to ? { to: q.to } : {}),
        ...(q.columnIds ? { columnIds: q.columnIds } : {}),
        ...(q.itemIds ? { itemIds: q.itemIds } : {}),
        ...(q.groupIds ? { groupIds: q.groupIds } : {}),
      },
      'read',
    );
    const board = listOf(data.boards, 'query boards.activity_logs')[0] as { activity_logs?: unknown[] | null } | undefined;
    if (!board) throw new ConnectorError('not_found', `monday.com board ${boardId}: not found, deleted, or not shared with the token's user`, { endpoint: 'query boards.activity_logs' });
    return listOf(board.activity_logs ?? [], 'query boards.activity_logs');
  }

  /**
   * Every entry of activityLogs for the query, once each, page by page until a page shorter than the
   * size asked: that page is the last, and nothing more is asked. The page size monday honours is not
   * documented (manifest ACTIVITY_LOG_PAGE; the docs say "up to 10,000 logs" per query), so one case
   * is checked: a first page that stops exactly at a size a server is suspected to cap pages at
   * (SUSPECTED_LOG_CAPS) is followed by one more page at that size. An empty one means it was the end;
   * entries prove the cap, which this client then asks at (and ends at a page shorter than it) for
   * the rest of its life. Entries that a new one pushed onto the next page come twice and are kept once.
   */
  async allActivityLogs(boardId: string, q: Omit<ActivityLogQuery, 'page'> = {}): Promise<unknown[]> {
    let limit = Math.min(q.limit ?? ACTIVITY_LOG_PAGE, this.logPageCap ?? Infinity);
    const out: unknown[] = [];
    const seen = new Set<string>();
    const add = (entries: unknown[]) => {
      for (const e of entries) {
        const id = idOf(e);
        if (id !== null && seen.has(id)) continue;
        if (id !== null) seen.add(id);
        out.push(e);
      }
    };
    for (let page = 1; ; page++) {
      const entries = await this.activityLogs(boardId, { ...q, limit, page });
      add(entries);
      if (entries.length >= limit) continue;
      if (page !== 1 || this.logPageCap !== null || !SUSPECTED_LOG_CAPS.has(entries.length)) return out;
      const next = await this.activityLogs(boardId, { ...q, limit: entries.length, page: 2 });
      if (next.length === 0) return out;
      this.logPageCap = limit = entries.length;
      add(next);
      if (next.length < limit) return out;
      page = 2;
    }
  }

  // ---- mutations (MondayWriter adds diffing, idempotence and per-board ordering on top) ----

  /**
   * https://developer.monday.com/api-reference/reference/columns#change-multiple-column-values — every
   * given column of one item in one mutation; `values` is stringified once into the `JSON!` argument.
   */
  async changeMultipleColumnValues(boardId: string, itemId: string, values: Record<string, unknown>): Promise<{ id: string; updatedAt: string | null }> {
    assertId('board id', boardId);
    assertId('item id', itemId);
    if (Object.keys(values).length === 0) throw new ConnectorError('invalid_config', 'monday.com changeMultipleColumnValues: no column to change');
    const { data } = await this.exec<{ change_multiple_column_values?: { id?: unknown; updated_at?: unknown } | null }>(
      'mutation change_multiple_column_values', CHANGE_MULTIPLE_COLUMN_VALUES, { board: boardId, item: itemId, values: JSON.stringify(values) }, 'write',
    );
    const item = data.change_multiple_column_values;
    if (!item || typeof item.id !== 'string') throw new ConnectorError('schema_drift', 'monday.com mutation change_multiple_column_values: the answer has no item id', { endpoint: 'mutation change_multiple_column_values' });
    return { id: item.id, updatedAt: typeof item.updated_at === 'string' ? item.updated_at : null };
  }

  /** https://developer.monday.com/api-reference/reference/updates#create-an-update — `body` is HTML. */
  async createUpdate(itemId: string, body: string): Promise<{ id: string; createdAt: string | null }> {
    assertId('item id', itemId);
    if (typeof body !== 'string' || body.trim() === '') throw new ConnectorError('invalid_config', 'monday.com createUpdate: the body is empty');
    const { data } = await this.exec<{ create_update?: { id?: unknown; created_at?: unknown } | null }>('mutation create_update', CREATE_UPDATE, { item: itemId, body }, 'write');
    const u = data.create_update;
    if (!u || typeof u.id !== 'string') throw new ConnectorError('schema_drift', 'monday.com mutation create_update: the answer has no update id', { endpoint: 'mutation create_update' });
    return { id: u.id, createdAt: typeof u.created_at === 'string' ? u.created_at : null };
  }

  /**
   * https://developer.monday.com/api-reference/reference/columns#create-a-column — a column of `type`
   * (e.g. `numbers` for metrics); `defaults` is stringified once (`JSON` argument).
   */
  async createColumn(boardId: string, title: string, type: string, opts: { id?: string; description?: string; defaults?: Record<string, unknown> } = {}): Promise<unknown> {
    assertId('board id', boardId);
    if (typeof title !== 'string' || title.trim() === '') throw new ConnectorError('invalid_config', 'monday.com createColumn: the title is empty');
    const { data } = await this.exec<{ create_column?: unknown }>(
      'mutation create_column', CREATE_COLUMN,
      { board: boardId, title, type, ...(opts.id ? { id: opts.id } : {}), ...(opts.description ? { description: opts.description } : {}), ...(opts.defaults ? { defaults: JSON.stringify(opts.defaults) } : {}) },
      'write',
    );
    if (!data.create_column) throw new ConnectorError('schema_drift', 'monday.com mutation create_column: the answer has no column', { endpoint: 'mutation create_column' });
    return data.create_column;
  }

  /**
   * https://developer.monday.com/api-reference/reference/status — a status column with typed labels
   * (`color` is a `StatusColumnColors` value such as `done_green`).
   */
  async createStatusColumn(boardId: string, title: string, labels: { label: string; color: string; index: number; is_done?: boolean }[], opts: { id?: string; description?: string } = {}): Promise<unknown> {
    assertId('board id', boardId);
    if (typeof title !== 'string' || title.trim() === '') throw new ConnectorError('invalid_config', 'monday.com createStatusColumn: the title is empty');
    const { data } = await this.exec<{ create_status_column?: unknown }>(
      'mutation create_status_column', CREATE_STATUS_COLUMN,
      { board: boardId, title, labels, ...(opts.id ? { id: opts.id } : {}), ...(opts.description ? { description: opts.description } : {}) },
      'write',
    );
    if (!data.create_status_column) throw new ConnectorError('schema_drift', 'monday.com mutation create_status_column: the answer has no column', { endpoint: 'mutation create_status_column' });
    return data.create_status_column;
  }

  /**
   * https://developer.monday.com/api-reference/reference/items#move-item-to-group — the item into
   * another group of its board (the stage move of a board whose stage is the group).
   */
  async moveItemToGroup(itemId: string, groupId: string): Promise<{ id: string; group: { id: string; title: string | null } | null }> {
    assertId('item id', itemId);
    if (typeof groupId !== 'string' || groupId.trim() === '') throw new ConnectorError('invalid_config', 'monday.com moveItemToGroup: no group id');
    const { data } = await this.exec<{ move_item_to_group?: { id?: unknown; group?: { id?: unknown; title?: unknown } | null } | null }>(
      'mutation move_item_to_group', MOVE_ITEM_TO_GROUP, { item: itemId, group: groupId }, 'write',
    );
    const item = data.move_item_to_group;
    if (!item || typeof item.id !== 'string') throw new ConnectorError('schema_drift', 'monday.com mutation move_item_to_group: the answer has no item id', { endpoint: 'mutation move_item_to_group' });
    const g = item.group;
    return { id: item.id, group: g && typeof g.id === 'string' ? { id: g.id, title: typeof g.title === 'string' ? g.title : null } : null };
  }

  // ---- the one way a request is made ----

  private selection(opts: ItemSelection): Record<string, unknown> {
    if (opts.subitemColumns) for (const c of opts.subitemColumns) if (typeof c !== 'string' || c === '') throw new ConnectorError('invalid_config', 'monday.com: an empty subitem column id');
    return { updatesLimit: this.updatesPerItem, ...(opts.subitemColumns ? { subitemColumns: opts.subitemColumns } : {}) };
  }

  private limitFor(limit: number | undefined): number {
    if (limit === undefined) return this.itemsLimit();
    if (!Number.isInteger(limit) || limit < 1 || limit > manifest.pageSize.max) throw new ConnectorError('invalid_config', `monday.com items page limit ${limit}: expected 1 to ${manifest.pageSize.max}`);
    return limit;
  }

  private page(p: { cursor?: unknown; items?: unknown } | null | undefined, limit: number, op: string): ItemsPage {
    if (!p || !Array.isArray(p.items)) throw new ConnectorError('schema_drift', `monday.com ${op}: the answer has no items list`, { endpoint: op });
    const items = p.items as unknown[];
    const truncatedUpdates = items
      .filter((i) => Array.isArray((i as { updates?: unknown }).updates) && (i as { updates: unknown[] }).updates.length >= this.updatesPerItem)
      .map((i) => idOf(i))
      .filter((id): id is string => id !== null);
    return { items, cursor: typeof p.cursor === 'string' && p.cursor !== '' ? p.cursor : null, limit, truncatedUpdates };
  }

  /**
   * Sends one document. `itemCount`: the items page limit (or id count) of an item query, whose cost
   * is learnt per item; other operations learn their cost as a whole.
   */
  private async exec<T>(op: string, document: string, variables: Record<string, unknown>, kind: Kind, itemCount?: number): Promise<Answer<T>> {
    const expected = itemCount !== undefined ? (this.perItem ?? 0) * itemCount : (this.costs.get(op) ?? 0);
    if (expected > COMPLEXITY.perQuery) {
      throw new ConnectorError('invalid_config', `monday.com ${op}: about ${Math.round(expected)} complexity points expected, over the ${COMPLEXITY.perQuery} one query may cost; ask for fewer items`, { endpoint: op });
    }
    const budget = this.budgets[kind];
    for (let wait = budget.waitMs(expected, this.now()); wait > 0; wait = budget.waitMs(expected, this.now())) {
      if (this.abortIf()) throw new AbortedRequest();
      await this.sleep(wait);
    }
    budget.reserve(expected);
    try {
      return await this.limiter.schedule(async () => {
        if (this.abortIf()) throw new AbortedRequest();
        // Counted before sending: a request that reaches monday costs a call even when it fails.
        this.dailyCap.take(kind, this.now());
        this.counter.add(op);
        let res: { data: T & { complexity?: unknown } };
        try {
          res = await this.api.rawRequest<T & { complexity?: unknown }>(document, variables, { timeoutMs: this.timeoutMs });
        } catch (err) {
          throw this.toError(op, err, kind);
        }
        if (!res.data || typeof res.data !== 'object') throw new ConnectorError('schema_drift', `monday.com ${op}: the answer has no data`, { endpoint: op });
        const complexity = readComplexity(res.data.complexity);
        if (complexity) {
          budget.observe(complexity, this.now());
          this.points.add(op, complexity.query);
          if (itemCount !== undefined && itemCount > 0) this.perItem = Math.max(complexity.query / itemCount, 1);
          else this.costs.set(op, complexity.query);
        }
        return { data: res.data, complexity };
      }, { skipPacing: this.abortIf });
    } finally {
      budget.release(expected);
    }
  }

  private toError(op: string, err: unknown, kind: Kind): Error {
    return mondayError(op, err, { limiter: this.limiter, budget: this.budgets[kind], dailyCap: this.dailyCap, now: this.now() });
  }
}

/**
 * Reads a thrown value as one of the closed set of connector errors (reads and writes alike). A
 * "slow down" pauses every request of the credential (its limiter) for the wait; an exhausted
 * complexity budget also marks the budget spent until then; DAILY_LIMIT_EXCEEDED marks the day spent
 * and is a DailyCapReached; a refused cursor is an ExpiredCursor. Anything that is not a vendor answer
 * is a bug of ours and is returned as it is.
 */
export function mondayError(
  op: string,
  err: unknown,
  ctx: { limiter: ConnectorClientOptions['limiter']; budget?: ComplexityBudget; dailyCap?: DailyCallCap; now: number },
): Error {
  const f = readFailure(err);
  if (!f) return err as Error;
  const verdict = classifyMonday(f, ctx.now);
  const vendorMessage = vendorMessageOf(f);
  if (verdict.daily) {
    ctx.dailyCap?.exhausted(ctx.now);
    return new DailyCapReached(new Date(nextUtcMidnight(ctx.now)).toISOString(), ctx.dailyCap?.cap ?? 0, ctx.dailyCap?.cap ?? 0, 'vendor', ctx.now, vendorMessage);
  }
  if (verdict.cursorExpired) return new ExpiredCursor(op, vendorMessage);
  if (verdict.kind === 'rate_limited' && verdict.retryAfterMs !== undefined) {
    ctx.limiter.pauseUntil(ctx.now + verdict.retryAfterMs);
    if (verdict.complexity) ctx.budget?.exhaust(ctx.now + verdict.retryAfterMs);
  }
  const what = f.status === undefined ? (f.timeout ? `no answer within the timeout` : `network error ${f.network ?? ''}`.trim()) : `HTTP ${f.status}`;
  return new ConnectorError(verdict.kind, `monday.com ${op}: ${what}${vendorMessage ? ` — ${vendorMessage}` : ''}`, {
    ...(f.status !== undefined ? { status: f.status } : {}),
    ...(verdict.retryAfterMs !== undefined ? { retryAfterMs: verdict.retryAfterMs } : {}),
    endpoint: op,
    ...(vendorMessage ? { vendorMessage } : {}),
  });
}

/** `complexity { before after query reset_in_x_seconds }` of an answer, or null when absent or malformed. */
export function readComplexity(v: unknown): ComplexityReading | null {
  if (!v || typeof v !== 'object') return null;
  const c = v as Record<string, unknown>;
  const fields = ['before', 'after', 'query', 'reset_in_x_seconds'] as const;
  if (!fields.every((f) => typeof c[f] === 'number' && Number.isFinite(c[f]))) return null;
  return { before: c.before as number, after: c.after as number, query: c.query as number, reset_in_x_seconds: c.reset_in_x_seconds as number };
}

/** The `query_params` that keep items updated after `since` (vendor-apis.md §2.4 [U semantics]). */
export function updatedSinceQuery(since: string): Record<string, unknown> {
  return { rules: [{ column_id: '__last_updated__', compare_value: [since], operator: 'greater_than', compare_attribute: 'UPDATED_AT' }] };
}

/** A board that holds items (not a subitems board, a doc or a custom object). */
export function isItemBoard(raw: unknown): boolean {
  const t = raw && typeof raw === 'object' ? (raw as { type?: unknown }).type : undefined;
  return t === undefined || t === null || t === 'board';
}

function idOf(raw: unknown): string | null {
  const id = raw && typeof raw === 'object' ? (raw as { id?: unknown }).id : undefined;
  return typeof id === 'string' ? id : typeof id === 'number' ? String(id) : null;
}

function listOf(v: unknown, op: string): unknown[] {
  if (v === null || v === undefined) return [];
  if (!Array.isArray(v)) throw new ConnectorError('schema_drift', `monday.com ${op}: expected a list`, { endpoint: op });
  return v.filter((x) => x !== null);
}

const ID = /^\d{1,20}$/;

/** monday ids are digit strings: anything else is a caller's bug, refused before it is sent. */
export function assertId(what: string, id: string): void {
  if (typeof id !== 'string' || !ID.test(id)) throw new ConnectorError('invalid_config', `monday.com: ${what} ${JSON.stringify(id)} is not a monday id (digits)`);
}

function uniqueIds(what: string, ids: readonly string[]): string[] {
  if (!Array.isArray(ids)) throw new ConnectorError('invalid_config', `monday.com: the ${what}s are not a list`);
  for (const id of ids) assertId(what, id);
  return [...new Set(ids)];
}
