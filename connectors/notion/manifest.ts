// Notion facts as data (STYLE.md §3). Sources: ../shared/docs/vendor-apis.md §3 and §5.3,
// ../shared/docs/engineering-facts.md §7.3, and the types of `@notionhq/client@5.26.0`
// (build/src/api-endpoints/*.d.ts, build/src/errors.js), the version pinned in package.json.
// [U] marks what the documentation we could read leaves open.
import type { ConnectorManifest } from '../types';

/**
 * The API version every request names in `Notion-Version`. 2025-09-03 is the SDK 5.26 default
 * (`Client.defaultNotionVersion`) and the first version where a database is a container of data
 * sources, which is what this connector reads (schema and rows on the data source). It is passed
 * explicitly so that an SDK upgrade that moves the default cannot change the wire format under us.
 * 2026-03-11 (also supported by the SDK) drops `archived` in favour of `in_trash` everywhere, replaces
 * `after` by `position` when appending blocks and renames `transcription` blocks to `meeting_notes`
 * (vendor-apis.md §3.1): raw.ts already reads `in_trash` first and `archived` only as a fallback, so
 * moving the pin means checking the webhook `api_version` and the simulator, not rewriting reads.
 */
export const NOTION_VERSION = '2025-09-03';

export const manifest = {
  id: 'notion',
  displayName: 'Notion',
  // The SDK appends `/v1/…` itself, and a trailing slash breaks it (`//v1/pages`): vendor-apis.md §3.8 [T].
  baseUrl: 'https://api.notion.com',
  docs: 'https://developers.notion.com/reference/intro',
  // `page_size` ≤ 100 on every list and query (vendor-apis.md §3.3).
  pageSize: { max: 100, default: 100 },
  rateLimit: {
    // An average of 3 requests per second per connection, bursts allowed (vendor-apis.md §3.7 [D]);
    // the newer per-60-s plan budgets are [U]. The limiter spaces requests evenly at this average.
    perMinute: 180,
    // No published concurrency cap; a few in flight keep latency hidden without bursting past the average.
    concurrency: { read: 3, write: 3 },
    waitFrom: { header: 'retry-after', unit: 's' },
  },
  // What an HTTP status means; client.ts reads Notion's error `code` first (errors.js APIErrorCode),
  // which says the same thing more precisely (CODE_KINDS below).
  statuses: {
    400: 'invalid_config', // validation_error, invalid_json, invalid_request…: our request is wrong
    401: 'auth_revoked', // unauthorized: the token was revoked or never valid
    403: 'auth_revoked', // restricted_resource: the integration lost the capability or the page's share
    404: 'not_found', // object_not_found: deleted, or not shared with the integration
    409: 'vendor_unavailable', // conflict_error: a concurrent edit of the same object; retry later
    429: 'rate_limited', // rate_limited, with Retry-After in seconds
    500: 'vendor_unavailable',
    502: 'vendor_unavailable',
    503: 'vendor_unavailable',
    504: 'vendor_unavailable',
    529: 'rate_limited', // service_overload: "must be handled the same way" as 429 (vendor-apis.md §3.7)
  },
  ignore: [
    {
      status: 404,
      code: 'object_not_found',
      reason:
        'GET /v1/users/{id} of a user named on a page whom the integration cannot see (removed from the workspace): the person stays ' +
        'known by Notion account id without email (NotionClient.userOrNull), and the answer is counted in NotionClient.ignored; ' +
        'a 404 on a data source, a database or a synced page is never ignored (not_found)',
    },
  ],
} satisfies ConnectorManifest;

/** The documented average and the burst the limiter may allow (the burst size is [U]; Notion says "some bursts"). */
export const RATE = { perSecond: 3, burst: 3 } as const;

/** Error codes the SDK knows (errors.js APIErrorCode) and what each means; any other code is `UnknownHTTPResponseError`. */
export const CODE_KINDS = {
  unauthorized: 'auth_revoked',
  restricted_resource: 'auth_revoked',
  object_not_found: 'not_found',
  rate_limited: 'rate_limited',
  service_overload: 'rate_limited',
  invalid_json: 'invalid_config',
  invalid_request_url: 'invalid_config',
  invalid_request: 'invalid_config',
  invalid_beta: 'invalid_config',
  validation_error: 'invalid_config',
  conflict_error: 'vendor_unavailable',
  internal_server_error: 'vendor_unavailable',
  service_unavailable: 'vendor_unavailable',
  gateway_timeout: 'vendor_unavailable',
} as const;

/**
 * One data-source query (a fixed filter and sort) returns at most this many rows; then `has_more` is
 * false and `request_status` is `{type: "incomplete", incomplete_reason: "query_result_limit_reached"}`
 * (vendor-apis.md §3.3, data-sources.d.ts QueryDataSourceResponse). client.ts partitions by created_time.
 */
export const QUERY_ROW_CAP = 10_000;

/** Size limits on what we send (vendor-apis.md §3.7 [D]); beyond them Notion answers 400 validation_error. */
export const LIMITS = {
  /** Characters of one rich-text item's `text.content`. */
  richTextContent: 2_000,
  /** Items in any rich-text array. */
  richTextItems: 100,
  /** A request body, in bytes. */
  payloadBytes: 500_000,
  /** Block elements in one payload. */
  blockElements: 1_000,
  /** Pages in a relation, users in a people value, options in a multi-select value. */
  relationItems: 100,
  peopleItems: 100,
  multiSelectItems: 100,
  /** A URL, an email, a phone number. */
  url: 2_000,
  email: 200,
  phone: 200,
} as const;

/** A request that answers after this long is a timeout (the SDK's default, vendor-apis.md §3.8). */
export const TIMEOUT_MS = 60_000;

/**
 * Title, rich-text, people and relation values carry at most this many items inline in a page object;
 * a relation says `has_more: true`, the others say nothing, and the rest is read with
 * `GET /v1/pages/{id}/properties/{property_id}` (engineering-facts.md §7.3: "about 25" [U]; the
 * simulator cuts all four at 25, simulator/README.md "Page objects").
 */
export const INLINE_LIST_CAP = 25;
