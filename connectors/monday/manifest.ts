// monday.com facts as data (STYLE.md §3). Sources: ../shared/docs/vendor-apis.md §2 and
// ../shared/docs/engineering-facts.md §7.2; shapes from ../shared/specs/monday_schema.graphql (the
// SDL of API version 2026-10, the version pinned here). [U] marks what the docs we could read leave open.
import type { ConnectorManifest } from '../types';

/**
 * The API version every request names in `API-Version` (vendor-apis.md §2.1). The SDK's own default is
 * 2026-01, so it is always passed. 2027-01 rebuilds `Board.activity_logs` around cursors and a 90-day
 * window (monday changelog "Board activity logs: cursor pagination and 90-day limit"): moving the pin
 * past 2026-10 means rewriting ACTIVITY_LOGS in client.ts.
 */
export const API_VERSION = '2026-10';

export const manifest = {
  id: 'monday',
  displayName: 'monday.com',
  // One GraphQL endpoint; files would go to `${baseUrl}/file` (nothing here uploads).
  baseUrl: 'https://api.monday.com/v2',
  docs: 'https://developer.monday.com/api-reference/reference/about-the-api-reference',
  // `items_page` / `next_items_page` take `limit` ≤ 500 (vendor-apis.md §2.3); the client picks the
  // largest the complexity budget allows (client.ts chooseItemsLimit).
  pageSize: { max: 500, default: 500 },
  rateLimit: {
    // Queries per minute by plan are not published in what we could read: 250 is the smallest figure
    // any source gives (Airbyte's manifest; AWS Glue says 500 on Pro) [U]. The binding limits are the
    // complexity budget and the daily call cap, which client.ts tracks itself.
    perMinute: 250,
    // Concurrent requests: 40 on the lowest tier per Airbyte, 100 on Pro per AWS Glue [U].
    concurrency: { read: 40 },
    waitFrom: { header: 'retry-after', unit: 's' },
  },
  // What an HTTP status means when the body's `errors[].extensions.code` says no more; client.ts reads
  // the codes first (monday answers most application errors with HTTP 200: vendor-apis.md §2.8).
  statuses: {
    400: 'invalid_config',
    401: 'auth_revoked',
    403: 'auth_revoked', // UserUnauthorizedException: the token lost access to the account or board
    404: 'not_found',
    423: 'rate_limited', // "Resource is currently locked": parallel mutations on one board; retry later
    429: 'rate_limited',
    500: 'vendor_unavailable',
    502: 'vendor_unavailable',
    503: 'vendor_unavailable',
    504: 'vendor_unavailable',
  },
  ignore: [],
} satisfies ConnectorManifest;

/** Complexity points (vendor-apis.md §2.7, engineering-facts.md §7.2). */
export const COMPLEXITY = {
  /** One query may cost at most this much; a costlier one is refused outright. */
  perQuery: 5_000_000,
  /** Per minute, reads and writes together, for a personal token (1M on trial and free accounts). */
  personalPerMinute: 10_000_000,
  personalTrialPerMinute: 1_000_000,
  /** App tokens: reads and writes have a budget each. */
  appReadsPerMinute: 5_000_000,
  appWritesPerMinute: 5_000_000,
} as const;

/** The selection every query and mutation adds, so each answer says what the budget has left. */
export const COMPLEXITY_FIELDS = 'complexity { before after query reset_in_x_seconds }';

export const PLANS = ['free', 'trial', 'basic', 'standard', 'pro', 'enterprise'] as const;
export type MondayPlan = (typeof PLANS)[number];

/**
 * Calls per account per day, reset at 00:00 UTC (support.monday.com article 26471164460690). Pro and
 * Enterprise are "soft" limits; Enterprise accounts can ask for more, so the cap is configurable.
 */
export const DAILY_CALLS: Readonly<Record<MondayPlan, number>> = {
  free: 200,
  trial: 200,
  basic: 1_000,
  standard: 1_000,
  pro: 10_000,
  enterprise: 25_000,
};

/** Responses time out after 60 s (vendor-apis.md §2.1); the SDK refuses a longer `timeoutMs`. */
export const TIMEOUT_MS = 60_000;

/** `items(ids:)` takes at most 100 ids per call; more is throttled to once per 2 minutes (engineering-facts.md §7.2). */
export const ITEMS_BY_IDS_MAX = 100;

/**
 * The first items page of a client that knows no per-item cost yet: small enough that a deeply
 * nested selection stays under the 5M per-query cap, after which the real cost sets the page size.
 */
export const FIRST_PAGE_LIMIT = 100;

/**
 * Updates asked for inline per item (`Item.updates(limit:)`, 25 by default in the SDL). An item whose
 * list comes back full has its further updates read with `updates_page` (client.ts itemUpdates); a
 * larger inline limit would multiply every page's complexity for the few items that need it.
 */
export const UPDATES_PER_ITEM = 25;

/** `users(ids:)` pages: the SDL's default limit is 200. */
export const USERS_PAGE = 200;

/**
 * Activity-log entries asked for per page. The SDL defaults to 25 and states no maximum; the docs say
 * a query returns "up to 10,000 logs"; a third-party client documents 100 as the maximum [U]. A page
 * shorter than asked is the last (client.ts allActivityLogs), except a first page that stops exactly
 * at a suspected cap (25 or 100): one page more at that size tells a cap from the end.
 * Entries come newest first.
 */
export const ACTIVITY_LOG_PAGE = 1_000;

/** `boards(limit:)` page when listing a workspace's boards. */
export const BOARDS_PAGE = 100;

/** How long a request waits on a board that answered 423 "locked" and named no wait [assumed]. */
export const LOCKED_WAIT_MS = 10_000;

/** A "slow down" that names no wait waits a minute: the window monday's limits are counted in. */
export const DEFAULT_RATE_WAIT_MS = 60_000;

/**
 * Error codes (`errors[].extensions.code`, legacy top-level `error_code`), compared case- and
 * separator-insensitively (`COMPLEXITY_BUDGET_EXHAUSTED` = `complexityBudgetExhausted`:
 * vendor-apis.md §2.8) through `codeKey`.
 */
export const CODES = {
  rateLimited: [
    'COMPLEXITY_BUDGET_EXHAUSTED', 'ComplexityException', 'RATE_LIMIT_EXCEEDED', 'IP_RATE_LIMIT_EXCEEDED',
    'maxConcurrencyExceeded', 'CONCURRENCY_LIMIT_EXCEEDED', 'FIELD_LIMIT_EXCEEDED',
  ],
  daily: ['DAILY_LIMIT_EXCEEDED'],
  auth: ['UserUnauthorizedException', 'USER_UNAUTHORIZED', 'Unauthorized', 'NOT_AUTHENTICATED', 'InvalidTokenException', 'missingRequiredPermissions'],
  locked: ['ResourceLockedException', 'RESOURCE_LOCKED'],
  notFound: ['InvalidBoardIdException', 'InvalidItemIdException', 'ResourceNotFoundException', 'RESOURCE_NOT_FOUND'],
  unavailable: ['INTERNAL_SERVER_ERROR', 'InternalServerError', 'API_TEMPORARILY_BLOCKED'],
  cursorExpired: ['CursorExpiredError', 'CURSOR_EXPIRED', 'CursorException'],
} as const;

/** A code as compared: lower case, letters and digits only. */
export function codeKey(code: string): string {
  return code.toLowerCase().replace(/[^a-z0-9]/g, '');
}
