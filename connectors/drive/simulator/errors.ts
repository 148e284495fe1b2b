// Errors the simulator answers with, in Google's JSON error envelope:
// {"error":{"code":403,"message":"…","errors":[{"domain","reason","message","location"?,"locationType"?}]}}
// Wordings follow developers.google.com/workspace/drive/api/guides/handle-errors where it gives one
// (vendor-apis.md §4.7); the others are marked [U] in the README.

export interface ErrorItem {
  domain: string;
  reason: string;
  message: string;
  location?: string;
  locationType?: 'parameter' | 'header';
}

export class DriveError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly items: ErrorItem[],
  ) {
    super(message);
  }

  body(): { error: { code: number; message: string; errors: ErrorItem[] } } {
    return { error: { code: this.status, message: this.message, errors: this.items } };
  }
}

const one = (status: number, domain: string, reason: string, message: string, location?: string, locationType?: 'parameter' | 'header'): DriveError =>
  new DriveError(status, message, [{ domain, reason, message, ...(location !== undefined ? { location, locationType: locationType ?? 'parameter' } : {}) }]);

/** 400 `invalid` "Invalid Value": a bad q, pageToken, pageSize, orderBy or enum value. */
export const invalidValue = (param: string, message = 'Invalid Value'): DriveError => one(400, 'global', 'invalid', message, param);

/** 400 `required`: a missing parameter (or the `fields` that comments and about.get demand). */
export const requiredParam = (param: string, message = `Required parameter: ${param}`): DriveError => one(400, 'global', 'required', message, param);

/** 400 `invalidParameter` for a `fields` selection that names no field of the resource. */
export const invalidFieldSelection = (what: string): DriveError => one(400, 'global', 'invalidParameter', `Invalid field selection ${what}`, 'fields');

export const badRequest = (message: string, location?: string): DriveError => one(400, 'global', 'badRequest', message, location);

export const parseError = (): DriveError => one(400, 'global', 'parseError', 'Parse Error');

/** 404 `notFound`: unknown ids, files not shared with the user, shared-drive items without supportsAllDrives. */
export const fileNotFound = (fileId: string): DriveError => one(404, 'global', 'notFound', `File not found: ${fileId}.`, 'fileId');
export const commentNotFound = (commentId: string): DriveError => one(404, 'global', 'notFound', `Comment not found: ${commentId}.`, 'commentId');
export const replyNotFound = (replyId: string): DriveError => one(404, 'global', 'notFound', `Reply not found: ${replyId}.`, 'replyId');
export const revisionNotFound = (revisionId: string): DriveError => one(404, 'global', 'notFound', `Revision not found: ${revisionId}.`, 'revisionId');
export const driveNotFound = (driveId: string): DriveError => one(404, 'global', 'notFound', `Shared drive not found: ${driveId}`, 'driveId');
export const routeNotFound = (): DriveError => one(404, 'global', 'notFound', 'Not Found');

export const authError = (): DriveError => one(401, 'global', 'authError', 'Invalid Credentials', 'Authorization', 'header');
export const loginRequired = (): DriveError => one(401, 'global', 'required', 'Login Required', 'Authorization', 'header');

export const userRateLimitExceeded = (): DriveError => one(403, 'usageLimits', 'userRateLimitExceeded', 'User rate limit exceeded.');
export const rateLimitExceeded = (): DriveError => one(429, 'usageLimits', 'rateLimitExceeded', 'Rate limit exceeded.');

export const forbidden = (reason: string, message: string, location?: string): DriveError => one(403, 'global', reason, message, location);

export const backendError = (status = 500): DriveError => one(status, 'global', 'backendError', 'Backend Error');

/** The envelope for an injected fault of any status, with a reason that fits it. */
export function faultError(status: number, reason?: string, message?: string): DriveError {
  if (reason === undefined && message === undefined) {
    if (status === 401) return authError();
    if (status === 403) return userRateLimitExceeded();
    if (status === 429) return rateLimitExceeded();
    if (status === 404) return routeNotFound();
    if (status >= 500) return backendError(status);
  }
  const r = reason ?? (status === 400 ? 'badRequest' : status === 403 ? 'forbidden' : status === 429 ? 'rateLimitExceeded' : status >= 500 ? 'backendError' : 'error');
  const domain = r === 'userRateLimitExceeded' || r === 'rateLimitExceeded' || r === 'dailyLimitExceeded' ? 'usageLimits' : 'global';
  return one(status, domain, r, message ?? r);
}
