// Google Drive reads through the official client, `@googleapis/drive` (README "The SDK"). The SDK's
// own retries are off (`retry: false`): gaxios would retry GETs on 429/5xx without reading
// Retry-After and never 403 userRateLimitExceeded (vendor-apis.md §4.8), and Temporal already
// retries, once, in one place. Every call goes through the credential's RateLimiter, is counted per
// endpoint, and a failure becomes one ConnectorError (driveError below, shared with writeback.ts).
import { auth as googleAuth, drive, type drive_v3 } from '@googleapis/drive';
import { AbortedRequest } from '../asana/client';
import type { ConnectorClientOptions } from '../index';
import type { RateLimiter } from '../limiter';
import { CallCounter, ConnectorError, type ConnectorErrorKind } from '../types';
import {
  CHANGE_LIST_FIELDS, COMMENT_LIST_FIELDS, COMMENT_PAGE_SIZE, FILE_FIELDS, FILE_LIST_FIELDS, REVISION_LIST_FIELDS, manifest,
} from './manifest';

export { AbortedRequest };

/** Folders per `files.list` query in listChildren: keeps `q` far below Drive's URL length limits. */
export const MAX_PARENTS_PER_QUERY = 50;

/** How long every request of the credential waits after a quota error that names no wait (Drive's first backoff step). */
export const RATE_LIMIT_PAUSE_MS = 1_000;

/**
 * Drive refused a page token (400 `invalid` on `pageToken`): a changes token that is no longer valid,
 * or a list token that aged out ("discard it and restart", vendor-apis.md §4.3). The caller takes a
 * fresh start token (or page one) and re-crawls.
 */
export class ExpiredPageToken extends ConnectorError {
  constructor(endpoint: string, vendorMessage: string | undefined) {
    super('invalid_config', `Google Drive ${endpoint}: HTTP 400 — the page token was refused${vendorMessage ? ` (${vendorMessage})` : ''}; take a fresh token and re-crawl`, {
      status: 400,
      endpoint,
      ...(vendorMessage ? { vendorMessage } : {}),
    });
    this.name = 'ExpiredPageToken';
  }
}

export interface FilePage {
  files: unknown[];
  nextPageToken: string | null;
  /** Drive's own "some results may be missing" flag (multi-drive searches); never silently ignored by callers. */
  incompleteSearch: boolean;
}

export interface ChangePage {
  changes: unknown[];
  nextPageToken: string | null;
  /** On the last page only: where the next poll starts. */
  newStartPageToken: string | null;
}

/** The reasons that mean "over quota" in a 403 (vendor-apis.md §4.7). */
const QUOTA_REASONS = new Set(['userRateLimitExceeded', 'rateLimitExceeded', 'sharingRateLimitExceeded', 'dailyLimitExceeded']);

export interface DriveFailure {
  /** HTTP status, or undefined for a network failure or timeout. */
  status?: number;
  /** `error.errors[].reason` of Google's envelope. */
  reasons: readonly string[];
  /** `error.errors[].location`: the parameter a 400 is about. */
  locations: readonly string[];
  /** From a Retry-After header, when one came (Drive itself sends none). */
  retryAfterMs?: number;
}

/**
 * Pure: what a Drive answer means. Reasons first (a 403 is a quota error or a permission error
 * depending on them), then the manifest's table by status.
 */
export function classifyDrive(f: DriveFailure): { kind: ConnectorErrorKind; retryAfterMs?: number; expiredPageToken?: true } {
  const wait = f.retryAfterMs !== undefined ? { retryAfterMs: f.retryAfterMs } : {};
  if (f.status === undefined) return { kind: 'vendor_unavailable' };
  if (f.status === 429 || (f.status === 403 && f.reasons.some((r) => QUOTA_REASONS.has(r)))) return { kind: 'rate_limited', ...wait };
  if (f.status === 400 && f.locations.includes('pageToken')) return { kind: 'invalid_config', expiredPageToken: true };
  if (f.status === 408 || f.status >= 500) return { kind: 'vendor_unavailable', ...wait };
  const mapped = (manifest.statuses as Record<number, ConnectorErrorKind>)[f.status];
  if (mapped) return { kind: mapped };
  return { kind: 'invalid_config' };
}

interface GoogleErrorBody {
  error?: { message?: string; errors?: { reason?: string; message?: string; location?: string }[] };
}

/** A GaxiosError, as far as we read it. It also carries `config` with the Authorization header: never log it. */
interface GaxiosLike {
  config: unknown;
  status?: number;
  code?: string | number;
  response?: { status?: number; headers?: unknown; data?: unknown };
}

const isGaxiosError = (err: unknown): err is GaxiosLike => typeof err === 'object' && err !== null && 'config' in err;

function headerOf(headers: unknown, name: string): string | undefined {
  if (!headers || typeof headers !== 'object') return undefined;
  if (typeof (headers as Headers).get === 'function') return (headers as Headers).get(name) ?? undefined;
  const v = (headers as Record<string, unknown>)[name] ?? (headers as Record<string, unknown>)[name.toLowerCase()];
  return typeof v === 'string' ? v : Array.isArray(v) && typeof v[0] === 'string' ? v[0] : undefined;
}

function retryAfterMs(headers: unknown, now: number): number | undefined {
  const v = headerOf(headers, manifest.rateLimit.waitFrom.header)?.trim();
  if (!v) return undefined;
  const n = Number(v);
  if (Number.isFinite(n) && n >= 0) return Math.ceil(n * 1000);
  const date = Date.parse(v); // Retry-After may also be an HTTP date
  return Number.isFinite(date) ? Math.max(0, date - now) : undefined;
}

/**
 * Reads a GaxiosError as one of the closed set of connector errors (reads and writes alike). A quota
 * error pauses every request of the credential: for the Retry-After when one came, else briefly, and
 * carries no retryAfterMs then, so Temporal's exponential backoff decides (Drive documents backoff).
 * Anything that is not a GaxiosError is a bug of ours and is rethrown as it is. Messages name the
 * endpoint, the status, the reasons and Drive's message; never the request (its config holds the token).
 */
export function driveError(endpoint: string, err: unknown, limiter: RateLimiter, now: () => number = Date.now): Error {
  if (!isGaxiosError(err)) return err as Error;
  const status = err.response?.status ?? err.status;
  const body = (err.response?.data ?? undefined) as GoogleErrorBody | undefined;
  const items = Array.isArray(body?.error?.errors) ? body.error.errors : [];
  const reasons = items.map((i) => i.reason).filter((r): r is string => typeof r === 'string');
  const locations = items.map((i) => i.location).filter((l): l is string => typeof l === 'string');
  const vendorMessage = (typeof body?.error?.message === 'string' && body.error.message) || items.map((i) => i.message).filter(Boolean).join('; ') || undefined;
  const wait = status !== undefined ? retryAfterMs(err.response?.headers, now()) : undefined;
  const verdict = classifyDrive({ status, reasons, locations, ...(wait !== undefined ? { retryAfterMs: wait } : {}) });
  if (verdict.expiredPageToken) return new ExpiredPageToken(endpoint, vendorMessage);
  if (verdict.kind === 'rate_limited') limiter.pauseUntil(now() + (verdict.retryAfterMs ?? RATE_LIMIT_PAUSE_MS));
  const what = status !== undefined ? `HTTP ${status}${reasons.length ? ` ${reasons.join(',')}` : ''}` : `network error ${String(err.code ?? 'unknown')}`;
  return new ConnectorError(verdict.kind, `Google Drive ${endpoint}: ${what}${vendorMessage ? ` — ${vendorMessage}` : ''}`, {
    ...(status !== undefined ? { status } : {}),
    ...(verdict.retryAfterMs !== undefined ? { retryAfterMs: verdict.retryAfterMs } : {}),
    endpoint,
    ...(vendorMessage ? { vendorMessage } : {}),
  });
}

/** The first `errors[].reason` of a GaxiosError's body, if any. */
export function reasonOf(err: unknown): string | undefined {
  if (!isGaxiosError(err)) return undefined;
  const body = err.response?.data as GoogleErrorBody | undefined;
  return body?.error?.errors?.find((e) => typeof e.reason === 'string')?.reason;
}

/**
 * The one way a Drive call is made, shared by DriveClient and DriveWriter: the SDK instance (pointed
 * at `baseUrl`, retries off), the credential's limiter, the abort check, the counter, the error reading.
 */
export class DriveTransport {
  readonly api: drive_v3.Drive;
  readonly counter: CallCounter;
  private readonly limiter: RateLimiter;
  private readonly abortIf: () => boolean;

  constructor(opts: ConnectorClientOptions) {
    const oauth = new googleAuth.OAuth2();
    oauth.setCredentials({ access_token: opts.token });
    // rootUrl rewrites the origin of every request, but not of media uploads (vendor-apis.md §4.8);
    // nothing here uploads.
    this.api = drive({ version: 'v3', rootUrl: rootUrlOf(opts.baseUrl ?? manifest.baseUrl), auth: oauth, retry: false, timeout: opts.timeoutMs ?? 60_000 });
    this.limiter = opts.limiter;
    this.abortIf = opts.abortIf ?? (() => false);
    this.counter = opts.counter ?? new CallCounter();
  }

  /** One HTTP call: paced, counted once under `endpoint` (`GET /files/{fileId}`), its failure classified. */
  async call<T>(endpoint: string, fn: (api: drive_v3.Drive) => Promise<{ data: T }>): Promise<T> {
    return this.limiter.schedule(async () => {
      if (this.abortIf()) throw new AbortedRequest();
      this.counter.add(endpoint);
      try {
        return (await fn(this.api)).data;
      } catch (err) {
        throw driveError(endpoint, err, this.limiter);
      }
    }, { skipPacing: this.abortIf });
  }
}

/**
 * The SDK's rootUrl from a base URL given either as a root (`https://www.googleapis.com/`, a
 * simulator's `rootUrl`) or as the API's own base (`http://127.0.0.1:P/drive/v3`, what a simulator's
 * start() calls `baseUrl`): the SDK appends `drive/v3/…` itself.
 */
export function rootUrlOf(baseUrl: string): string {
  const root = baseUrl.replace(/\/+$/, '').replace(/\/drive\/v3$/, '');
  return `${root}/`;
}

/** A Drive query string literal: backslash and single quote escaped (the `q` syntax of files.list). */
export function quoteQ(value: string): string {
  return `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

const GOOGLE_APPS = 'application/vnd.google-apps.';

export class DriveClient {
  readonly counter: CallCounter;
  /** Deliberately ignored vendor errors (manifest.ignore), by `status reason`: counted and reportable, never silent. */
  readonly ignored = new CallCounter();
  private readonly t: DriveTransport;

  constructor(opts: ConnectorClientOptions) {
    this.t = new DriveTransport(opts);
    this.counter = this.t.counter;
  }

  // https://developers.google.com/workspace/drive/api/reference/rest/v3/about/get — `fields` is required.
  async about(): Promise<{ displayName: string | null; emailAddress: string | null }> {
    const body = await this.t.call('GET /about', (api) => api.about.get({ fields: 'user(displayName,emailAddress)' }));
    return { displayName: body.user?.displayName ?? null, emailAddress: body.user?.emailAddress ?? null };
  }

  // https://developers.google.com/workspace/drive/api/reference/rest/v3/files/get
  getFile(fileId: string): Promise<unknown> {
    assertId('fileId', fileId);
    return this.t.call('GET /files/{fileId}', (api) => api.files.get({ fileId, supportsAllDrives: true, fields: FILE_FIELDS }));
  }

  // https://developers.google.com/workspace/drive/api/reference/rest/v3/drives/get
  async getDrive(driveId: string): Promise<{ id: string; name: string }> {
    assertId('driveId', driveId);
    const body = await this.t.call('GET /drives/{driveId}', (api) => api.drives.get({ driveId, fields: 'id,name' }));
    if (typeof body.id !== 'string' || typeof body.name !== 'string') throw new ConnectorError('schema_drift', 'Google Drive GET /drives/{driveId}: the answer has no id or name', { endpoint: 'GET /drives/{driveId}' });
    return { id: body.id, name: body.name };
  }

  /**
   * https://developers.google.com/workspace/drive/api/reference/rest/v3/files/list — one page of every
   * live item of a shared drive (folders included, at any depth). `pageSize` only for tests that want
   * many pages from a small drive.
   */
  async listDriveFiles(driveId: string, pageToken: string | null, pageSize: number = manifest.pageSize.max): Promise<FilePage> {
    assertId('driveId', driveId);
    const body = await this.t.call('GET /files', (api) =>
      api.files.list({
        corpora: 'drive',
        driveId,
        includeItemsFromAllDrives: true,
        supportsAllDrives: true,
        // files.list returns trashed files unless told not to (v3.d.ts Params$Resource$Files$List.q).
        q: 'trashed = false',
        pageSize,
        fields: FILE_LIST_FIELDS,
        ...(pageToken ? { pageToken } : {}),
      }),
    );
    return { files: body.files ?? [], nextPageToken: body.nextPageToken ?? null, incompleteSearch: body.incompleteSearch === true };
  }

  /**
   * https://developers.google.com/workspace/drive/api/reference/rest/v3/files/list — one page of the
   * live direct children of up to MAX_PARENTS_PER_QUERY folders (My Drive or shared drives), in one query.
   */
  async listChildren(folderIds: string[], pageToken: string | null, pageSize: number = manifest.pageSize.max): Promise<FilePage> {
    if (folderIds.length === 0) throw new ConnectorError('invalid_config', 'Google Drive listChildren: no folder ids');
    if (folderIds.length > MAX_PARENTS_PER_QUERY) throw new ConnectorError('invalid_config', `Google Drive listChildren: ${folderIds.length} folders in one query (at most ${MAX_PARENTS_PER_QUERY})`);
    for (const id of folderIds) assertId('folderId', id);
    const parents = folderIds.map((id) => `${quoteQ(id)} in parents`).join(' or ');
    const body = await this.t.call('GET /files', (api) =>
      api.files.list({
        corpora: 'allDrives',
        includeItemsFromAllDrives: true,
        supportsAllDrives: true,
        q: `(${parents}) and trashed = false`,
        pageSize,
        fields: FILE_LIST_FIELDS,
        ...(pageToken ? { pageToken } : {}),
      }),
    );
    return { files: body.files ?? [], nextPageToken: body.nextPageToken ?? null, incompleteSearch: body.incompleteSearch === true };
  }

  /**
   * https://developers.google.com/workspace/drive/api/reference/rest/v3/revisions/list — every page.
   * Google editor files (Docs, Sheets, Slides) give []: their revisions are edit checkpoints that Drive
   * merges over time, with no size or checksum, not uploaded versions. With the file's `mimeType`
   * known, such files (and folders) cost no call; otherwise the call is made and its Google-editor
   * revisions dropped. A 403 revisionsNotSupported (folders) is [] too, counted in `ignored`.
   */
  async revisions(fileId: string, mimeType?: string): Promise<unknown[]> {
    assertId('fileId', fileId);
    if (mimeType !== undefined && mimeType.startsWith(GOOGLE_APPS)) return [];
    const endpoint = 'GET /files/{fileId}/revisions';
    const all = await this.allPages<drive_v3.Schema$RevisionList>(endpoint, 'revisions', (api, pageToken) =>
      api.revisions.list({ fileId, pageSize: manifest.pageSize.max, fields: REVISION_LIST_FIELDS, ...(pageToken ? { pageToken } : {}) }).catch((err: unknown) => {
        if (reasonOf(err) !== 'revisionsNotSupported') throw err;
        this.ignored.add('403 revisionsNotSupported');
        return { data: {} as drive_v3.Schema$RevisionList };
      }),
    );
    return all.filter((r) => !(typeof (r as { mimeType?: unknown }).mimeType === 'string' && (r as { mimeType: string }).mimeType.startsWith(GOOGLE_APPS)));
  }

  /**
   * https://developers.google.com/workspace/drive/api/reference/rest/v3/comments/list — every page,
   * deleted comments included (they keep a row, flagged), replies inline. `fields` is required.
   */
  comments(fileId: string): Promise<unknown[]> {
    assertId('fileId', fileId);
    return this.allPages<drive_v3.Schema$CommentList>('GET /files/{fileId}/comments', 'comments', (api, pageToken) =>
      api.comments.list({ fileId, pageSize: COMMENT_PAGE_SIZE, includeDeleted: true, fields: COMMENT_LIST_FIELDS, ...(pageToken ? { pageToken } : {}) }),
    );
  }

  // https://developers.google.com/workspace/drive/api/reference/rest/v3/changes/getStartPageToken
  async startPageToken(): Promise<string> {
    const body = await this.t.call('GET /changes/startPageToken', (api) => api.changes.getStartPageToken({ supportsAllDrives: true, fields: 'startPageToken' }));
    if (typeof body.startPageToken !== 'string' || body.startPageToken === '') {
      throw new ConnectorError('schema_drift', 'Google Drive GET /changes/startPageToken: the answer has no startPageToken', { endpoint: 'GET /changes/startPageToken' });
    }
    return body.startPageToken;
  }

  /**
   * https://developers.google.com/workspace/drive/api/reference/rest/v3/changes/list — one page of the
   * changes feed, My Drive and shared drives alike, removals included. Follow nextPageToken until a
   * page carries newStartPageToken. A refused token is an ExpiredPageToken.
   */
  async changes(pageToken: string, pageSize: number = manifest.pageSize.max): Promise<ChangePage> {
    if (typeof pageToken !== 'string' || pageToken === '') throw new ConnectorError('invalid_config', 'Google Drive changes: no page token');
    const body = await this.t.call('GET /changes', (api) =>
      api.changes.list({
        pageToken,
        pageSize,
        includeRemoved: true,
        includeItemsFromAllDrives: true,
        supportsAllDrives: true,
        spaces: 'drive',
        fields: CHANGE_LIST_FIELDS,
      }),
    );
    const next = body.nextPageToken ?? null;
    const fresh = body.newStartPageToken ?? null;
    if (next === null && fresh === null) throw new ConnectorError('schema_drift', 'Google Drive GET /changes: a page with neither nextPageToken nor newStartPageToken', { endpoint: 'GET /changes' });
    return { changes: body.changes ?? [], nextPageToken: next, newStartPageToken: fresh };
  }

  private async allPages<L extends { nextPageToken?: string | null }>(
    endpoint: string,
    key: keyof L & string,
    fetchPage: (api: drive_v3.Drive, pageToken: string | undefined) => Promise<{ data: L }>,
  ): Promise<unknown[]> {
    const out: unknown[] = [];
    const seen = new Set<string>();
    let pageToken: string | undefined;
    do {
      const token = pageToken;
      const body = await this.t.call(endpoint, (api) => fetchPage(api, token));
      const items = body[key];
      if (Array.isArray(items)) out.push(...(items as unknown[]));
      pageToken = body.nextPageToken ?? undefined;
      if (pageToken !== undefined) {
        if (seen.has(pageToken)) throw new ConnectorError('schema_drift', `Google Drive ${endpoint}: the same nextPageToken came twice`, { endpoint });
        seen.add(pageToken);
      }
    } while (pageToken);
    return out;
  }
}

/** Drive ids go into URL paths and `q`: an empty or non-string id is a caller's bug, refused before it is sent. */
export function assertId(what: string, id: string): void {
  if (typeof id !== 'string' || id.trim() === '' || id.length > 256) throw new ConnectorError('invalid_config', `Google Drive: ${what} ${JSON.stringify(id)} is not a Drive id`);
}
