// Notion reads (and the writes) through the official SDK, `@notionhq/client` (vendor-apis.md §3.8).
// The SDK's own retries are off (`retry: false`): it would retry 429/529 up to twice inside one
// activity attempt, invisible to Temporal and stacking with its retry policy (vendor-apis.md §5.3);
// one place decides (Temporal, through ConnectorError → ApplicationFailure with nextRetryDelay).
// Every call goes through the credential's RateLimiter, is counted per endpoint, and a failure becomes
// one ConnectorError (notionError below, shared with writeback.ts).
import { APIResponseError, Client, InvalidPathParameterError, RequestTimeoutError, UnknownHTTPResponseError, type QueryDataSourceParameters } from '@notionhq/client';
import { z } from 'zod';
import { AbortedRequest } from '../asana/client';
import type { ConnectorClientOptions } from '../index';
import type { RateLimiter } from '../limiter';
import { CallCounter, ConnectorError, classify, type ConnectorErrorKind } from '../types';
import { CODE_KINDS, NOTION_VERSION, QUERY_ROW_CAP, TIMEOUT_MS, manifest } from './manifest';
import { NotionDataSourceRaw, NotionDatabaseRaw, NotionListRaw, NotionUserRaw, type NotionDatabaseRaw as Database, type NotionDataSourceRaw as DataSource, type NotionUserRaw as User } from './raw';

export { AbortedRequest };

export interface NotionClientOptions extends ConnectorClientOptions {
  /** A fetch to send through (tests); default the global fetch. */
  fetch?: typeof fetch;
}

/** A query filter as the SDK types it. */
export type QueryFilter = NonNullable<QueryDataSourceParameters['filter']>;
export type QuerySorts = NonNullable<QueryDataSourceParameters['sorts']>;

export interface QueryPage {
  results: unknown[];
  nextCursor: string | null;
  /** `request_status.type === "incomplete"`: the query hit the 10,000-row cap, and rows are missing from it. */
  incomplete: boolean;
}

/**
 * Where a walk of a data source's rows stands, committed with the page it covers (STYLE.md §9). A walk
 * is a series of windows: each one queries `<field> on_or_after <from>` sorted by `<field>` ascending,
 * so a window that hits the 10,000-row cap restarts at the last time it reached. Rows at that very time
 * were partly seen: their ids are `skip`, so the next window neither loses nor repeats them.
 */
export const RowsCursor = z.strictObject({
  field: z.enum(['created_time', 'last_edited_time']),
  /** The window's lower bound (inclusive), or null for the first window of a full walk. */
  from: z.iso.datetime({ offset: true }).nullable(),
  /** Notion's cursor inside the window; null at its start. */
  cursor: z.string().min(1).nullable(),
  /** Ids already returned whose time equals `from`. */
  skip: z.array(z.string().min(1)),
  /** The latest time returned in this window so far, and the ids returned at it. */
  tailTime: z.iso.datetime({ offset: true }).nullable(),
  tailIds: z.array(z.string().min(1)),
  /** The window has answered `incomplete` on one of its pages. */
  incomplete: z.boolean(),
  /** Windows started so far (1 for a walk that never hit the cap). */
  windows: z.number().int().positive(),
});
export type RowsCursor = z.infer<typeof RowsCursor>;

export interface RowsPage {
  rows: unknown[];
  /** Where to go on; null after the last row. */
  next: RowsCursor | null;
}

/** The default filter_properties: none (every property); pass ids to read fewer. */
export interface RowsOptions {
  pageSize?: number;
  /** Further conditions on the rows (combined with the window's bound by `and`). */
  filter?: QueryFilter;
  /** Property ids to return (`filter_properties[]`); the rest are left out of each row. */
  filterProperties?: readonly string[];
  /** `in_trash: true`: the rows in the trash instead of the live ones (simulator server.ts [U]). */
  inTrash?: boolean;
}

/**
 * What a Notion answer means. The error `code` decides when Notion sent one it documents (CODE_KINDS:
 * `restricted_resource` is lost access, `service_overload` is a slow-down like 429, `conflict_error` a
 * retryable clash); the manifest's status table decides otherwise. A slow-down waits for Retry-After,
 * else a minute.
 */
export function classifyNotion(res: { status?: number; code?: string; headers?: Record<string, string> }): { kind: ConnectorErrorKind; retryAfterMs?: number } {
  const verdict = classify({ ...(res.status !== undefined ? { status: res.status } : {}), ...(res.headers ? { headers: res.headers } : {}), ...(res.status === undefined ? { networkError: 'network' } : {}) }, manifest);
  const byCode = res.code !== undefined && Object.hasOwn(CODE_KINDS, res.code) ? CODE_KINDS[res.code as keyof typeof CODE_KINDS] : undefined;
  const kind: ConnectorErrorKind = byCode ?? verdict.kind;
  if (kind === 'rate_limited') return { kind, retryAfterMs: verdict.retryAfterMs ?? 60_000 };
  return verdict.retryAfterMs !== undefined && kind === 'vendor_unavailable' ? { kind, retryAfterMs: verdict.retryAfterMs } : { kind };
}

function headersOf(h: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (h && typeof (h as Headers).forEach === 'function' && typeof (h as Headers).get === 'function') (h as Headers).forEach((v, k) => (out[k.toLowerCase()] = v));
  else if (h && typeof h === 'object') for (const [k, v] of Object.entries(h as Record<string, unknown>)) if (typeof v === 'string') out[k.toLowerCase()] = v;
  return out;
}

/** A failure of fetch itself (refused connection, reset, DNS): undici's TypeError "fetch failed" with a cause. */
function isNetworkFailure(err: unknown): err is Error {
  return err instanceof TypeError && (err.message === 'fetch failed' || (err as { cause?: { code?: unknown } }).cause?.code !== undefined);
}

/**
 * Reads an SDK error as one of the closed set of connector errors (reads and writes alike); a
 * slow-down pauses every request of the credential for the vendor's wait. `what` names the object
 * (`data source 1f2e…`) so that a 404 says which one is missing or not shared. Anything that is not a
 * vendor answer or a network failure is a bug of ours and is rethrown as it is.
 */
export function notionError(endpoint: string, what: string, err: unknown, limiter: RateLimiter, now: () => number = Date.now): Error {
  let status: number | undefined;
  let code: string | undefined;
  let headers: Record<string, string> | undefined;
  let vendorMessage: string | undefined;
  if (APIResponseError.isAPIResponseError(err)) {
    status = err.status;
    code = err.code;
    headers = headersOf(err.headers);
    vendorMessage = err.message;
  } else if (UnknownHTTPResponseError.isUnknownHTTPResponseError(err)) {
    status = err.status;
    headers = headersOf(err.headers);
    vendorMessage = err.message;
  } else if (RequestTimeoutError.isRequestTimeoutError(err)) {
    return new ConnectorError('vendor_unavailable', `Notion ${endpoint} (${what}): timed out`, { endpoint });
  } else if (InvalidPathParameterError.isInvalidPathParameterError(err)) {
    return new ConnectorError('invalid_config', `Notion ${endpoint} (${what}): ${err.message}`, { endpoint });
  } else if (!isNetworkFailure(err)) {
    return err as Error;
  }
  const verdict = classifyNotion({ ...(status !== undefined ? { status } : {}), ...(code !== undefined ? { code } : {}), ...(headers ? { headers } : {}) });
  if (verdict.kind === 'rate_limited' && verdict.retryAfterMs !== undefined) limiter.pauseUntil(now() + verdict.retryAfterMs);
  const head = status !== undefined ? `HTTP ${status}${code ? ` ${code}` : ''}` : `network error ${String((err as { cause?: { code?: unknown } }).cause?.code ?? (err as Error).message)}`;
  return new ConnectorError(verdict.kind, `Notion ${endpoint} (${what}): ${head}${vendorMessage ? ` — ${vendorMessage}` : ''}`, {
    ...(status !== undefined ? { status } : {}),
    ...(verdict.retryAfterMs !== undefined ? { retryAfterMs: verdict.retryAfterMs } : {}),
    endpoint,
    ...(vendorMessage ? { vendorMessage } : {}),
  });
}

/** An answer that does not have the shape the SDK types promise: schema_drift, naming the endpoint and the path. */
function drift(endpoint: string, what: string, error: z.ZodError): ConnectorError {
  const first = error.issues[0];
  return new ConnectorError('schema_drift', `Notion ${endpoint} (${what}): unexpected answer at ${first?.path.join('.') || '(root)'}: ${first?.message ?? 'invalid'}`, { endpoint });
}

const timeOf = (row: unknown, field: RowsCursor['field']): string | null => {
  const t = row && typeof row === 'object' ? (row as Record<string, unknown>)[field] : undefined;
  return typeof t === 'string' && Number.isFinite(Date.parse(t)) ? t : null;
};
const idOf = (row: unknown): string | null => {
  const id = row && typeof row === 'object' ? (row as { id?: unknown }).id : undefined;
  return typeof id === 'string' ? id : null;
};

export class NotionClient {
  readonly counter: CallCounter;
  /** Answers deliberately read as "nothing here" (manifest.ignore), by endpoint and code: counted, reported. */
  readonly ignored = new CallCounter();
  private readonly sdk: Client;
  private readonly limiter: RateLimiter;
  private readonly abortIf: () => boolean;

  constructor(opts: NotionClientOptions) {
    this.sdk = new Client({
      auth: opts.token,
      // The SDK builds `${baseUrl}/v1/…`; a trailing slash would double it (vendor-apis.md §3.8 [T]).
      baseUrl: (opts.baseUrl ?? manifest.baseUrl).replace(/\/+$/, ''),
      notionVersion: NOTION_VERSION,
      timeoutMs: opts.timeoutMs ?? TIMEOUT_MS,
      retry: false,
      // Failures are thrown and classified here; the SDK's own console logging would only repeat them.
      logger: () => undefined,
      ...(opts.fetch ? { fetch: opts.fetch } : {}),
    });
    this.limiter = opts.limiter;
    this.abortIf = opts.abortIf ?? (() => false);
    this.counter = opts.counter ?? new CallCounter();
  }

  /** One HTTP call: paced, counted once under `endpoint`, its failure classified naming `what`. */
  private call<T>(endpoint: string, what: string, fn: (sdk: Client) => Promise<T>): Promise<T> {
    return this.limiter.schedule(async () => {
      if (this.abortIf()) throw new AbortedRequest();
      this.counter.add(endpoint);
      try {
        return await fn(this.sdk);
      } catch (err) {
        throw notionError(endpoint, what, err, this.limiter);
      }
    }, { skipPacing: this.abortIf });
  }

  /** A list answer, checked: the envelope must be a Notion list; the results are the caller's to check one by one. */
  private list(endpoint: string, what: string, body: unknown): NotionListRaw {
    const p = NotionListRaw.safeParse(body);
    if (!p.success) throw drift(endpoint, what, p.error);
    return p.data;
  }

  // https://developers.notion.com/reference/get-self — the bot user of the token: a cheap authenticated read.
  async me(): Promise<User> {
    const body = await this.call('GET /users/me', 'the token', (sdk) => sdk.users.me({}));
    const p = NotionUserRaw.safeParse(body);
    if (!p.success) throw drift('GET /users/me', 'the token', p.error);
    return p.data;
  }

  // https://developers.notion.com/reference/get-users — every user of the workspace, 100 per call.
  async users(): Promise<unknown[]> {
    const out: unknown[] = [];
    let cursor: string | null = null;
    do {
      const at = cursor;
      const page = this.list('GET /users', 'workspace users', await this.call('GET /users', 'workspace users', (sdk) => sdk.users.list({ page_size: manifest.pageSize.max, ...(at ? { start_cursor: at } : {}) })));
      out.push(...page.results);
      cursor = page.has_more ? page.next_cursor : null;
    } while (cursor);
    return out;
  }

  // https://developers.notion.com/reference/get-user
  user(id: string): Promise<unknown> {
    return this.call('GET /users/{id}', `user ${id}`, (sdk) => sdk.users.retrieve({ user_id: id }));
  }

  /**
   * A user named on a page (a people value, a creator, a comment author), or null when Notion answers
   * 404 object_not_found (someone removed from the workspace, or out of the integration's sight): the
   * person then stays known by account id without email. The answer is ignored under manifest.ignore,
   * and counted in `ignored`; any other failure is thrown as usual.
   */
  async userOrNull(id: string): Promise<unknown | null> {
    try {
      return await this.user(id);
    } catch (err) {
      if (err instanceof ConnectorError && err.kind === 'not_found' && err.details.status === 404) {
        this.noteIgnored('GET /users/{id}', 'object_not_found');
        return null;
      }
      throw err;
    }
  }

  // https://developers.notion.com/reference/database-retrieve — a container; its data sources are what is read.
  async database(id: string): Promise<Database> {
    const body = await this.call('GET /databases/{id}', `database ${id}`, (sdk) => sdk.databases.retrieve({ database_id: id }));
    const p = NotionDatabaseRaw.safeParse(body);
    if (!p.success) throw drift('GET /databases/{id}', `database ${id}`, p.error);
    return p.data;
  }

  // https://developers.notion.com/reference/retrieve-a-data-source — the schema (properties, status options and groups).
  async dataSource(id: string): Promise<DataSource> {
    const body = await this.call('GET /data_sources/{id}', `data source ${id}`, (sdk) => sdk.dataSources.retrieve({ data_source_id: id }));
    const p = NotionDataSourceRaw.safeParse(body);
    if (!p.success) throw drift('GET /data_sources/{id}', `data source ${id}`, p.error);
    return p.data;
  }

  /**
   * One page of a data-source query, with `request_status` always read
   * (https://developers.notion.com/reference/query-a-data-source). `incomplete` is the 10,000-row cap:
   * the caller must not treat the end of this query as the end of the rows (rowsPage does it right).
   */
  async queryDataSource(id: string, opts: { filter?: QueryFilter; sorts?: QuerySorts; cursor?: string | null; pageSize?: number; filterProperties?: readonly string[]; inTrash?: boolean } = {}): Promise<QueryPage> {
    const endpoint = 'POST /data_sources/{id}/query';
    const what = `data source ${id}`;
    const pageSize = opts.pageSize ?? manifest.pageSize.max;
    if (!Number.isInteger(pageSize) || pageSize < 1 || pageSize > manifest.pageSize.max) {
      throw new ConnectorError('invalid_config', `Notion ${endpoint} (${what}): page size ${pageSize} is outside 1-${manifest.pageSize.max}`, { endpoint });
    }
    const body = await this.call(endpoint, what, (sdk) =>
      sdk.dataSources.query({
        data_source_id: id,
        page_size: pageSize,
        ...(opts.filter ? { filter: opts.filter } : {}),
        ...(opts.sorts ? { sorts: opts.sorts } : {}),
        ...(opts.cursor ? { start_cursor: opts.cursor } : {}),
        ...(opts.filterProperties?.length ? { filter_properties: [...opts.filterProperties] } : {}),
        ...(opts.inTrash ? { in_trash: true } : {}),
      }),
    );
    const page = this.list(endpoint, what, body);
    return { results: page.results, nextCursor: page.has_more ? page.next_cursor : null, incomplete: page.request_status?.type === 'incomplete' };
  }

  /**
   * One page of every row of a data source, resumable from `cursor` (null: from the start). Rows come
   * sorted by created_time ascending; when a window hits the 10,000-row cap it restarts
   * `on_or_after` the last created_time it reached, skipping the ids already returned at that time,
   * so no row is lost or repeated (client.unit.test.ts checks it against the simulator's truth).
   * created_time is minute-coarse [U]: more than 10,000 rows created in one minute cannot be split
   * by time, and the walk stops with invalid_config naming the minute (narrow it with `filter`).
   */
  rowsPage(dataSourceId: string, cursor: RowsCursor | null, opts: RowsOptions = {}): Promise<RowsPage> {
    return this.windowed(dataSourceId, cursor ?? startCursor('created_time', null), opts);
  }

  /**
   * One page of the rows edited at or after `since` (https://developers.notion.com/reference/filter-data-source-entries#timestamp),
   * sorted by last_edited_time ascending, with the same windows as rowsPage: a capped window restarts
   * at the last edit time it reached. A row edited again during the walk moves later and is read again
   * (upserts are idempotent); none is skipped. `since` should overlap the previous sync a little:
   * last_edited_time is minute-coarse [U].
   */
  changedSince(dataSourceId: string, since: string, cursor: RowsCursor | null, opts: RowsOptions = {}): Promise<RowsPage> {
    if (cursor && cursor.field !== 'last_edited_time') throw new ConnectorError('invalid_config', `Notion changedSince (data source ${dataSourceId}): a ${cursor.field} cursor is not a change cursor`);
    return this.windowed(dataSourceId, cursor ?? startCursor('last_edited_time', since), opts);
  }

  /** Every row of a data source (see rowsPage), as an async iterator. */
  async *iterateRows(dataSourceId: string, opts: RowsOptions = {}): AsyncGenerator<unknown, { windows: number }> {
    let cursor: RowsCursor | null = null;
    let windows = 1;
    do {
      const page: RowsPage = await this.rowsPage(dataSourceId, cursor, opts);
      yield* page.rows;
      if (page.next) windows = page.next.windows;
      cursor = page.next;
    } while (cursor);
    return { windows };
  }

  /** Every row of a data source in memory (small data sources, tests). */
  async allRows(dataSourceId: string, opts: RowsOptions = {}): Promise<{ rows: unknown[]; windows: number }> {
    const rows: unknown[] = [];
    const it = this.iterateRows(dataSourceId, opts);
    for (;;) {
      const r = await it.next();
      if (r.done) return { rows, windows: r.value.windows };
      rows.push(r.value);
    }
  }

  private async windowed(dataSourceId: string, state: RowsCursor, opts: RowsOptions): Promise<RowsPage> {
    const s = RowsCursor.parse(state);
    const bound: QueryFilter | undefined = s.from !== null ? ({ timestamp: s.field, [s.field]: { on_or_after: s.from } } as QueryFilter) : undefined;
    const filter = bound && opts.filter ? ({ and: [opts.filter, bound] } as QueryFilter) : (bound ?? opts.filter);
    const page = await this.queryDataSource(dataSourceId, {
      ...(filter ? { filter } : {}),
      sorts: [{ timestamp: s.field, direction: 'ascending' }],
      cursor: s.cursor,
      ...(opts.pageSize !== undefined ? { pageSize: opts.pageSize } : {}),
      ...(opts.filterProperties ? { filterProperties: opts.filterProperties } : {}),
      ...(opts.inTrash ? { inTrash: true } : {}),
    });
    const skip = new Set(s.skip);
    let tailTime = s.tailTime;
    let tailIds = [...s.tailIds];
    const rows: unknown[] = [];
    for (const row of page.results) {
      const id = idOf(row);
      const t = timeOf(row, s.field);
      if (t !== null && id !== null) {
        const cmp = tailTime === null ? 1 : Date.parse(t) - Date.parse(tailTime);
        if (cmp > 0) {
          tailTime = t;
          tailIds = [id];
        } else if (cmp === 0 && !tailIds.includes(id)) tailIds.push(id);
        if (s.from !== null && Date.parse(t) === Date.parse(s.from) && skip.has(id)) continue;
      }
      rows.push(row);
    }
    const incomplete = s.incomplete || page.incomplete;
    if (page.nextCursor) return { rows, next: { ...s, cursor: page.nextCursor, tailTime, tailIds, incomplete } };
    if (!incomplete) return { rows, next: null };
    if (tailTime === null || (s.from !== null && Date.parse(tailTime) === Date.parse(s.from))) {
      throw new ConnectorError(
        'invalid_config',
        `Notion POST /data_sources/{id}/query (data source ${dataSourceId}): more than ${QUERY_ROW_CAP.toLocaleString('en')} rows share ${s.field} ${tailTime ?? '(none)'}; ` +
          'the per-query cap cannot be passed by time windows: narrow the query with a filter',
        { endpoint: 'POST /data_sources/{id}/query' },
      );
    }
    // The window hit the cap: the next starts at the last time reached, skipping the ids already returned at it.
    return { rows, next: { field: s.field, from: tailTime, cursor: null, skip: tailIds, tailTime: null, tailIds: [], incomplete: false, windows: s.windows + 1 } };
  }

  // https://developers.notion.com/reference/retrieve-a-page
  page(id: string, opts: { filterProperties?: readonly string[] } = {}): Promise<unknown> {
    return this.call('GET /pages/{id}', `page ${id}`, (sdk) => sdk.pages.retrieve({ page_id: id, ...(opts.filterProperties?.length ? { filter_properties: [...opts.filterProperties] } : {}) }));
  }

  /**
   * Every item of a long relation or people value (https://developers.notion.com/reference/retrieve-a-page-property):
   * the page object inlines only the first ones and says `has_more`. Items are `property_item` objects.
   */
  async propertyItems(pageId: string, propertyId: string): Promise<unknown[]> {
    const endpoint = 'GET /pages/{id}/properties/{property_id}';
    const what = `page ${pageId} property ${propertyId}`;
    const out: unknown[] = [];
    let cursor: string | null = null;
    do {
      const at = cursor;
      const body = await this.call(endpoint, what, (sdk) => sdk.pages.properties.retrieve({ page_id: pageId, property_id: propertyId, page_size: manifest.pageSize.max, ...(at ? { start_cursor: at } : {}) }));
      // A property that is not a list (a number, a select) answers one property_item: that is the whole value.
      if (body && typeof body === 'object' && (body as { object?: unknown }).object === 'property_item') return [body];
      const page = this.list(endpoint, what, body);
      out.push(...page.results);
      cursor = page.has_more ? page.next_cursor : null;
    } while (cursor);
    return out;
  }

  // https://developers.notion.com/reference/list-comments — unresolved comments of a page or block, 100 per call.
  async comments(blockId: string): Promise<unknown[]> {
    const endpoint = 'GET /comments';
    const what = `comments of ${blockId}`;
    const out: unknown[] = [];
    let cursor: string | null = null;
    do {
      const at = cursor;
      const page = this.list(endpoint, what, await this.call(endpoint, what, (sdk) => sdk.comments.list({ block_id: blockId, page_size: manifest.pageSize.max, ...(at ? { start_cursor: at } : {}) })));
      out.push(...page.results);
      cursor = page.has_more ? page.next_cursor : null;
    } while (cursor);
    return out;
  }

  // https://developers.notion.com/reference/create-a-comment — one comment on a page (or a reply in a discussion).
  createComment(args: Parameters<Client['comments']['create']>[0], what: string): Promise<unknown> {
    return this.call('POST /comments', what, (sdk) => sdk.comments.create(args));
  }

  // https://developers.notion.com/reference/patch-page — the given properties, in one call.
  updatePage(pageId: string, properties: NonNullable<Parameters<Client['pages']['update']>[0]['properties']>): Promise<unknown> {
    return this.call('PATCH /pages/{id}', `page ${pageId}`, (sdk) => sdk.pages.update({ page_id: pageId, properties }));
  }

  /**
   * New properties on a data source (https://developers.notion.com/reference/update-a-data-source;
   * data-sources.d.ts UpdateDataSourceBodyParameters): the schema as it is afterwards.
   */
  async updateDataSource(id: string, properties: NonNullable<Parameters<Client['dataSources']['update']>[0]['properties']>): Promise<DataSource> {
    const body = await this.call('PATCH /data_sources/{id}', `data source ${id}`, (sdk) => sdk.dataSources.update({ data_source_id: id, properties }));
    const p = NotionDataSourceRaw.safeParse(body);
    if (!p.success) throw drift('PATCH /data_sources/{id}', `data source ${id}`, p.error);
    return p.data;
  }

  /** Counts an answer read as "nothing here" under manifest.ignore (never silent). */
  noteIgnored(endpoint: string, code: string): void {
    this.ignored.add(`${endpoint} ${code}`);
  }
}

function startCursor(field: RowsCursor['field'], from: string | null): RowsCursor {
  return { field, from, cursor: null, skip: [], tailTime: null, tailIds: [], incomplete: false, windows: 1 };
}

/** A cursor as the engine stores it (a string column) and back, checked. */
export function encodeRowsCursor(c: RowsCursor): string {
  return JSON.stringify(RowsCursor.parse(c));
}

export function decodeRowsCursor(s: string): RowsCursor {
  let json: unknown;
  try {
    json = JSON.parse(s);
  } catch {
    throw new ConnectorError('invalid_config', 'Notion rows cursor: not JSON');
  }
  const p = RowsCursor.safeParse(json);
  if (!p.success) throw new ConnectorError('invalid_config', `Notion rows cursor: ${p.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ')}`);
  return p.data;
}
