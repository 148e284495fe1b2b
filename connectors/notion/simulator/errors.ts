// Notion's error object `{object:"error", status, code, message, request_id, additional_data?}`
// (@notionhq/client 5.26 `build/src/errors.js`). Only the SDK's own codes are used: any other code
// (the live API's `missing_version`, for one) makes the SDK throw UnknownHTTPResponseError instead
// of APIResponseError (vendor-apis §3.7), which a connector cannot classify.

import type { APIErrorCode } from '@notionhq/client';

export type NotionErrorCode = `${APIErrorCode}`;

/** The HTTP status Notion answers with each code (developers.notion.com/reference/status-codes [D]). */
export const STATUS_OF: Readonly<Record<NotionErrorCode, number>> = {
  invalid_json: 400,
  invalid_request_url: 400,
  invalid_request: 400,
  invalid_beta: 400,
  validation_error: 400,
  unauthorized: 401,
  restricted_resource: 403,
  object_not_found: 404,
  conflict_error: 409,
  rate_limited: 429,
  internal_server_error: 500,
  service_unavailable: 503,
  gateway_timeout: 504,
  service_overload: 529,
};
export const ERROR_CODES = Object.keys(STATUS_OF) as NotionErrorCode[];

export class NotionError extends Error {
  readonly status: number;
  constructor(
    readonly code: NotionErrorCode,
    message: string,
    readonly additionalData?: Record<string, unknown>,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
    this.status = STATUS_OF[code];
  }
}

export const validation = (message: string): NotionError => new NotionError('validation_error', message);

/** Notion's wording for a body, query or path parameter that failed validation. */
export const invalidParam = (where: 'body' | 'query' | 'path', path: string, expected: string, actual: unknown): NotionError =>
  validation(`${where} failed validation: ${path} should be ${expected}, instead was \`${JSON.stringify(actual) ?? 'undefined'}\`.`);

/** The 404 Notion answers for what does not exist and for what is not shared with the integration alike. */
export const notFound = (kind: 'page' | 'database' | 'data_source' | 'block' | 'user' | 'comment' | 'discussion', id: string): NotionError =>
  new NotionError('object_not_found', `Could not find ${kind} with ID: ${id}. Make sure the relevant pages and databases are shared with your integration.`);
