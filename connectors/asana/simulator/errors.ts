// Errors the simulator answers with, in Asana's ErrorResponse shape:
// {"errors":[{"message", "help"?, "phrase"?}]} (asana_oas.yaml components.schemas.ErrorResponse).

export const ERROR_HELP =
  'For more information on API status codes and how to handle them, read the docs on errors: https://developers.asana.com/docs/errors';

export const RATE_LIMIT_MESSAGE =
  "You've made too many requests and hit a rate limit. Please retry after the given amount of time.";

export const SYNC_INVALID_MESSAGE =
  'Sync token invalid or too old. If you are attempting to keep resources in sync, you must fetch the full dataset for this query now and use the new sync token for the next sync.';

export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
    /** Extra top-level keys of the body (the 412 carries `sync`). */
    readonly extra: Record<string, unknown> = {},
    readonly help = true,
  ) {
    super(message);
  }

  body(): Record<string, unknown> {
    const error: Record<string, string> = { message: this.message };
    if (this.help) error.help = ERROR_HELP;
    return { errors: [error], ...this.extra };
  }
}

export const badRequest = (message: string): ApiError => new ApiError(400, message);

/** Asana's wording for an unknown gid: `<param>: Unknown object: <gid>`. */
export const unknownObject = (param: string, gid: string): ApiError => new ApiError(404, `${param}: Unknown object: ${gid}`);
