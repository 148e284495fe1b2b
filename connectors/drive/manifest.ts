// Google Drive facts as data (STYLE.md §3). Sources: ../shared/docs/vendor-apis.md §4 and the
// schemas of `@googleapis/drive@22.0.0` build/v3.d.ts (compiled into simulator/schema.ts).
import type { ConnectorManifest } from '../types';

export const manifest = {
  id: 'drive',
  displayName: 'Google Drive',
  // The SDK's `rootUrl`: requests go to `<rootUrl>drive/v3/…` (vendor-apis.md §4.8).
  baseUrl: 'https://www.googleapis.com/',
  docs: 'https://developers.google.com/workspace/drive/api/reference/rest/v3',
  // files, changes and revisions take up to 1,000 per page; comments and replies 100 (vendor-apis.md §4.3).
  pageSize: { max: 1000 },
  rateLimit: {
    // The legacy model: 12,000 queries per 60 s per user per project (and per project). Projects
    // created from 2026-05-01 are metered in quota units instead (325,000 units/min per user, per-method
    // costs on a separate page, vendor-apis.md §4.7); 12,000 calls/min stays within that for reads.
    perMinute: 12_000,
    // Drive sends no Retry-After on its quota errors and documents exponential backoff; the header is
    // still read when present (a proxy or a future Drive may send one).
    waitFrom: { header: 'retry-after', unit: 's' },
  },
  // What a status means when the body's reason does not say more; client.ts reads the reasons first
  // (403 is a quota error or a permission error depending on `errors[].reason`).
  statuses: {
    400: 'invalid_config',
    401: 'auth_revoked',
    403: 'invalid_config', // insufficientFilePermissions, fieldNotWritable…; the quota reasons are rate_limited
    404: 'not_found',
    429: 'rate_limited',
    500: 'vendor_unavailable',
    502: 'vendor_unavailable',
    503: 'vendor_unavailable',
    504: 'vendor_unavailable',
  },
  ignore: [
    {
      status: 403,
      code: 'revisionsNotSupported',
      reason: 'folders (and shortcuts) have no revisions: read as an empty revision list, counted in DriveClient.ignored',
    },
  ],
} satisfies ConnectorManifest;

/** The lastModifyingUser selection: email may be hidden; permissionId identifies the account. */
const USER = 'displayName,emailAddress,permissionId';

/** Every file field normalize reads, for files.get, files.list and the changes feed. */
export const FILE_FIELDS = [
  'id', 'name', 'mimeType', 'parents', 'driveId', 'size', 'md5Checksum', 'headRevisionId', 'version', 'webViewLink',
  'appProperties', 'createdTime', 'modifiedTime', 'trashed', 'trashedTime', `lastModifyingUser(${USER})`,
].join(',');

// List masks must name nextPageToken: with `fields` set, Drive only sends what is asked for, and a
// list without nextPageToken looks like its last page (simulator README "Partial responses").
export const FILE_LIST_FIELDS = `nextPageToken,incompleteSearch,files(${FILE_FIELDS})`;

export const REVISION_FIELDS = ['id', 'modifiedTime', 'mimeType', 'size', 'md5Checksum', 'originalFilename', 'keepForever', `lastModifyingUser(${USER})`].join(',');
export const REVISION_LIST_FIELDS = `nextPageToken,revisions(${REVISION_FIELDS})`;

const REPLY_FIELDS = 'id,content,author(displayName),createdTime,modifiedTime,deleted,action';
// No author email: Drive never populates it for comments (v3.d.ts Schema$Comment.author).
export const COMMENT_FIELDS = `id,content,author(displayName),createdTime,modifiedTime,resolved,deleted,quotedFileContent(value),replies(${REPLY_FIELDS})`;
export const COMMENT_LIST_FIELDS = `nextPageToken,comments(${COMMENT_FIELDS})`;

export const CHANGE_FIELDS = `changeType,fileId,removed,time,driveId,file(${FILE_FIELDS})`;
export const CHANGE_LIST_FIELDS = `nextPageToken,newStartPageToken,changes(${CHANGE_FIELDS})`;

/** comments.list takes at most 100 per page (vendor-apis.md §4.3). */
export const COMMENT_PAGE_SIZE = 100;

/** Written back: what files.update answers with. */
export const WRITE_FILE_FIELDS = 'id,appProperties,version';
export const WRITE_COMMENT_FIELDS = 'id,content,createdTime';

/** Drive's limits on properties (vendor-apis.md §4.2 [D]): key + value in UTF-8 bytes, and private ones per app per file. */
export const APP_PROPERTY_MAX_BYTES = 124;
export const APP_PROPERTIES_MAX = 30;
