// DriveClient against the Drive simulator (through the official SDK, as in production) and, for what
// the simulator never sends (a Retry-After, a dead host), against a stub: paging to the end with
// counts equal to the ground truth, several folders in one query, revisions and comments whole, the
// changes feed to its newStartPageToken, and every failure as the connector error the engine expects.
import { createServer, type Server } from 'node:http';
import { type AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FileComment, FileRevision, Person, StoredFile, emptyBatch, mergeBatches } from '../../mapping/model';
import { RateLimiter } from '../limiter';
import { CallCounter, ConnectorError, type ConnectorErrorKind } from '../types';
import { AbortedRequest, DriveClient, ExpiredPageToken, MAX_PARENTS_PER_QUERY, RATE_LIMIT_PAUSE_MS, classifyDrive, quoteQ, rootUrlOf } from './client';
import { normalizeFileBundle } from './normalize';
import { CHANGE_LIST_FIELDS, COMMENT_LIST_FIELDS, FILE_LIST_FIELDS, REVISION_LIST_FIELDS } from './manifest';
import { createDriveSimulator, MIME, type DriveSimulator } from './simulator';

const TOKEN = 'sim-token';
const fast = () => new RateLimiter(600_000, 8);

async function started(tasks = 60, seed: number | string = 1): Promise<{ sim: DriveSimulator; rootUrl: string; baseUrl: string }> {
  const sim = createDriveSimulator({ generate: { seed, tasks } });
  const { rootUrl, baseUrl } = await sim.start();
  return { sim, rootUrl, baseUrl };
}

async function failure(p: Promise<unknown>, kind: ConnectorErrorKind): Promise<ConnectorError> {
  const err = await p.then(() => null, (e: unknown) => e);
  expect(err, `expected a ConnectorError of kind ${kind}`).toBeInstanceOf(ConnectorError);
  expect((err as ConnectorError).kind, (err as Error).message).toBe(kind);
  return err as ConnectorError;
}

const idOf = (raw: unknown) => (raw as { id: string }).id;

let sim: DriveSimulator;
let rootUrl: string;
let apiBase: string;
let client: DriveClient;

beforeAll(async () => {
  ({ sim, rootUrl, baseUrl: apiBase } = await started());
  client = new DriveClient({ token: TOKEN, baseUrl: rootUrl, limiter: fast() });
});
afterAll(async () => {
  await sim?.stop();
});

/** Live, untrashed items of the shared drive by the ground truth: files, and folders other than its root. */
function sharedDriveTruth(s: DriveSimulator): string[] {
  const t = s.control.truth;
  const files = [...t.files.values()].filter((f) => f.driveId === t.sharedDriveId && !f.trashed && !f.deleted && !f.unshared).map((f) => f.fileId);
  const folders = [...t.folders.values()].filter((f) => f.driveId === t.sharedDriveId && f.role !== 'root').map((f) => f.folderId);
  return [...files, ...folders].sort();
}

describe('reads', () => {
  it('every list mask asks for nextPageToken (and the changes mask for newStartPageToken): without it, paging stops silently', () => {
    for (const mask of [FILE_LIST_FIELDS, REVISION_LIST_FIELDS, COMMENT_LIST_FIELDS, CHANGE_LIST_FIELDS]) expect(mask.split(',')[0]).toBe('nextPageToken');
    expect(CHANGE_LIST_FIELDS).toMatch(/^nextPageToken,newStartPageToken,changes\(/);
  });

  it('about: who the token is', async () => {
    expect(await client.about()).toEqual({ displayName: 'Creative Ops Bot', emailAddress: 'ops-bot@lumenlark.example' });
  });

  it('takes the SDK root URL or the API base URL (…/drive/v3), as a simulator start() gives both', async () => {
    expect(rootUrlOf('https://www.googleapis.com/')).toBe('https://www.googleapis.com/');
    expect(rootUrlOf('http://127.0.0.1:4020/drive/v3')).toBe('http://127.0.0.1:4020/');
    expect(rootUrlOf('http://127.0.0.1:4020/drive/v3/')).toBe('http://127.0.0.1:4020/');
    const viaApiBase = new DriveClient({ token: TOKEN, baseUrl: apiBase, limiter: fast() });
    expect(apiBase).toMatch(/\/drive\/v3$/);
    expect((await viaApiBase.about()).displayName).toBe('Creative Ops Bot');
  });

  it('pages a shared drive to its end: every live item once, exactly the ground truth, one counted call per page', async () => {
    const counter = new CallCounter();
    const c = new DriveClient({ token: TOKEN, baseUrl: rootUrl, limiter: fast(), counter });
    const ids: string[] = [];
    let token: string | null = null;
    let pages = 0;
    do {
      const page = await c.listDriveFiles(sim.control.sharedDriveId, token, 10);
      expect(page.incompleteSearch).toBe(false);
      ids.push(...page.files.map(idOf));
      token = page.nextPageToken;
      pages++;
    } while (token !== null);
    expect(pages).toBeGreaterThanOrEqual(5);
    expect(new Set(ids).size).toBe(ids.length);
    expect([...ids].sort()).toEqual(sharedDriveTruth(sim));
    expect(counter.toJSON()).toEqual({ 'GET /files': pages });
    // At the default 1,000 per page, the same drive is one call.
    const whole = await c.listDriveFiles(sim.control.sharedDriveId, null);
    expect([whole.files.length, whole.nextPageToken]).toEqual([ids.length, null]);
  });

  it('listChildren: the direct children of several folders in one query, trashed ones left out', async () => {
    const t = sim.control.truth;
    const folders = [...t.folders.values()].filter((f) => f.role === 'Working' || f.role === 'handoffs' || f.role === 'Final');
    expect(folders.length).toBeGreaterThanOrEqual(3);
    const paths = new Set(folders.map((f) => f.path));
    const expected = [
      ...[...t.files.values()].filter((f) => paths.has(f.folderPath) && !f.trashed && !f.deleted && !f.unshared).map((f) => f.fileId),
      ...[...t.folders.values()].filter((f) => paths.has(f.path.slice(0, f.path.lastIndexOf('/')))).map((f) => f.folderId),
    ].sort();
    const ids: string[] = [];
    let token: string | null = null;
    do {
      const page = await client.listChildren(folders.map((f) => f.folderId), token, 25);
      ids.push(...page.files.map(idOf));
      token = page.nextPageToken;
    } while (token !== null);
    expect(ids.length).toBeGreaterThan(25);
    expect([...ids].sort()).toEqual(expected);
    expect(ids.some((id) => t.files.get(id)?.driveId === null)).toBe(true); // My Drive hand-offs too
  });

  it('listChildren refuses no folders and too many folders without a call; ids are quoted and escaped', async () => {
    const before = client.counter.total;
    await failure(client.listChildren([], null), 'invalid_config');
    await failure(client.listChildren(Array.from({ length: MAX_PARENTS_PER_QUERY + 1 }, (_, i) => `f${i}`), null), 'invalid_config');
    expect(client.counter.total).toBe(before);
    expect(quoteQ("it's\\odd")).toBe("'it\\'s\\\\odd'");
    // An id with a quote is a valid query (a folder that matches nothing), not a 400.
    expect((await client.listChildren(["no'such"], null)).files).toEqual([]);
  });

  it('getFile and getDrive: the file with every field normalize reads; the shared drive by id', async () => {
    const f = [...sim.control.truth.files.values()].find((x) => x.driveId !== null && x.revisions.length > 1 && !x.trashed && !x.deleted && !x.mimeType.startsWith('application/vnd.google-apps.'))!;
    const raw = (await client.getFile(f.fileId)) as Record<string, unknown>;
    expect(raw).toMatchObject({ id: f.fileId, name: f.name, mimeType: f.mimeType, driveId: f.driveId, md5Checksum: expect.any(String), size: expect.stringMatching(/^\d+$/) });
    expect(Object.keys(raw)).toEqual(expect.arrayContaining(['parents', 'headRevisionId', 'version', 'webViewLink', 'createdTime', 'modifiedTime', 'trashed', 'lastModifyingUser']));
    expect(await client.getDrive(sim.control.sharedDriveId)).toEqual({ id: sim.control.sharedDriveId, name: 'Lumen & Lark Creative' });
  });

  it('revisions: every page, as the truth has them; folders and Google editor files give []', async () => {
    const t = [...sim.control.truth.files.values()];
    const binary = t.filter((f) => !f.deleted && !f.mimeType.startsWith('application/vnd.google-apps.') && f.revisions.length > 0);
    for (const f of binary.slice(0, 15)) {
      expect((await client.revisions(f.fileId)).map(idOf)).toEqual(f.revisions.map((r) => r.id));
    }
    const doc = t.find((f) => f.mimeType === MIME.document && !f.deleted && f.revisions.length > 0)!;
    const c = new DriveClient({ token: TOKEN, baseUrl: rootUrl, limiter: fast() });
    expect(await c.revisions(doc.fileId, MIME.document)).toEqual([]);
    expect(c.counter.total).toBe(0); // known to be a Doc: no call
    expect(await c.revisions(doc.fileId)).toEqual([]); // not known: one call, its editor revisions dropped
    const folder = [...sim.control.truth.folders.values()].find((f) => f.role === 'Working')!;
    expect(await c.revisions(folder.folderId)).toEqual([]); // 403 revisionsNotSupported
    expect(c.counter.toJSON()).toEqual({ 'GET /files/{fileId}/revisions': 2 });
    expect(c.ignored.toJSON()).toEqual({ '403 revisionsNotSupported': 1 });
  });

  it('comments: every page (over 100 comments), deleted ones included, replies inline', async () => {
    const { sim: s, rootUrl: root } = await started(60, 'comments');
    try {
      const f = [...s.control.truth.files.values()].find((x) => !x.deleted && x.comments.length > 0)!;
      for (let i = 0; i < 120; i++) s.control.addComment(f.fileId, `note ${i}`);
      s.control.deleteComment(f.fileId, s.control.truthOf(f.fileId)!.comments[0]!.id);
      const c = new DriveClient({ token: TOKEN, baseUrl: root, limiter: fast() });
      const comments = (await c.comments(f.fileId)) as { id: string; deleted?: boolean; replies?: { id: string }[] }[];
      const truth = s.control.truthOf(f.fileId)!.comments;
      expect(comments.map((x) => x.id)).toEqual(truth.map((x) => x.id));
      expect(comments.map((x) => (x.replies ?? []).map((r) => r.id))).toEqual(truth.map((x) => x.replies.map((r) => r.id)));
      expect(comments[0]!.deleted).toBe(true);
      expect(c.counter.toJSON()).toEqual({ 'GET /files/{fileId}/comments': Math.ceil(truth.length / 100) });
    } finally {
      await s.stop();
    }
  });

  it('changes: followed to newStartPageToken (= startPageToken), then edits, moves and deletions show up once each', async () => {
    const { sim: s, rootUrl: root } = await started(60, 'changes');
    try {
      const c = new DriveClient({ token: TOKEN, baseUrl: root, limiter: fast() });
      const drain = async (from: string, pageSize?: number) => {
        const all: { fileId?: string; removed?: boolean; file?: { parents?: string[]; name?: string } }[] = [];
        let token = from;
        for (let pages = 1; ; pages++) {
          const p = await c.changes(token, pageSize);
          all.push(...(p.changes as typeof all));
          if (p.newStartPageToken !== null) return { all, next: p.newStartPageToken, pages };
          token = p.nextPageToken!;
        }
      };
      const first = await drain('1', 50);
      expect(first.pages).toBeGreaterThan(1);
      expect(first.next).toBe(await c.startPageToken());
      // The whole history: every file and folder once, shared drive and My Drive alike.
      expect(new Set(first.all.map((x) => x.fileId)).size).toBe(first.all.length);
      const live = [...s.control.truth.files.values()].filter((f) => !f.deleted);
      for (const f of live) expect(first.all.some((x) => x.fileId === f.fileId), f.fileId).toBe(true);

      const [a, b, d] = live.filter((f) => !f.trashed && f.driveId !== null);
      const final = [...s.control.truth.folders.values()].find((f) => f.role === 'Final')!;
      s.control.renameFile(a!.fileId, 'renamed.psd');
      s.control.moveFile(b!.fileId, final.folderId);
      s.control.deleteFile(d!.fileId);
      const next = await drain(first.next);
      expect(next.all.map((x) => x.fileId).sort()).toEqual([a!.fileId, b!.fileId, d!.fileId].sort());
      expect(next.all.find((x) => x.fileId === a!.fileId)!.file!.name).toBe('renamed.psd');
      expect(next.all.find((x) => x.fileId === b!.fileId)!.file!.parents).toEqual([final.folderId]);
      expect(next.all.find((x) => x.fileId === d!.fileId)).toMatchObject({ removed: true });
      expect(next.all.find((x) => x.fileId === d!.fileId)!.file).toBeUndefined();
    } finally {
      await s.stop();
    }
  });
});

describe('failures', () => {
  it('a bad or revoked token is auth_revoked (401), and the message never holds the token', async () => {
    const secret = 'ya29.a0-super-secret-token';
    const err = await failure(new DriveClient({ token: secret, baseUrl: rootUrl, limiter: fast() }).about(), 'auth_revoked');
    expect(err.details).toMatchObject({ status: 401, endpoint: 'GET /about', vendorMessage: 'Invalid Credentials' });
    expect(err.message).toBe('Google Drive GET /about: HTTP 401 authError — Invalid Credentials');
    expect(JSON.stringify({ ...err, message: err.message, stack: err.stack })).not.toContain(secret);
    sim.control.addToken('short-lived', sim.control.dataset.people[2]!.email);
    const c = new DriveClient({ token: 'short-lived', baseUrl: rootUrl, limiter: fast() });
    await c.about();
    sim.control.revokeToken('short-lived');
    await failure(c.getFile(sim.control.rootFolderIds[1]!), 'auth_revoked');
  });

  it('over quota, as a 403 userRateLimitExceeded and as a 429: rate_limited with no wait (backoff is Temporal\'s), the limiter paused, no SDK retry', async () => {
    const { sim: s, rootUrl: root } = await started(20, 'quota');
    try {
      // A fake clock that sleeps instantly, started at the real time the error reading uses.
      let clock = Date.now();
      const sleeps: number[] = [];
      const limiter = new RateLimiter(600_000, 4, () => clock, async (ms) => {
        sleeps.push(ms);
        clock += ms;
      });
      const c = new DriveClient({ token: TOKEN, baseUrl: root, limiter });
      s.control.setQuota(5); // 403 and 429 in turn
      for (let i = 0; i < 5; i++) await c.about();
      const e403 = await failure(c.about(), 'rate_limited');
      const e429 = await failure(c.getFile(s.control.rootFolderIds[1]!), 'rate_limited');
      expect([e403.details.status, e429.details.status]).toEqual([403, 429]);
      expect(e403.message).toContain('userRateLimitExceeded');
      expect(e429.message).toContain('rateLimitExceeded');
      expect([e403.details.retryAfterMs, e429.details.retryAfterMs]).toEqual([undefined, undefined]);
      // The request after a quota error waited about RATE_LIMIT_PAUSE_MS (the limiter's shared pause).
      expect(Math.max(...sleeps)).toBeGreaterThan(RATE_LIMIT_PAUSE_MS - 200);
      expect(Math.max(...sleeps)).toBeLessThanOrEqual(RATE_LIMIT_PAUSE_MS + 200);
      // Exactly one HTTP request per call: gaxios' retries are off (it would retry the GET 429 three times).
      expect(s.control.calls().total).toBe(c.counter.total);
      expect(s.control.calls().rateLimited).toBe(2);
    } finally {
      await s.stop();
    }
  });

  it('other 403s: dailyLimitExceeded is rate_limited; insufficient permissions is invalid_config (not swallowed, not retried)', async () => {
    // Own limiters: a quota error pauses the limiter it went through.
    sim.control.injectFaults({ status: 403, reason: 'dailyLimitExceeded', message: 'Daily Limit Exceeded', times: 1 });
    await failure(new DriveClient({ token: TOKEN, baseUrl: rootUrl, limiter: fast() }).about(), 'rate_limited');
    sim.control.injectFaults({ status: 403, reason: 'insufficientFilePermissions', message: 'The user does not have sufficient permissions for this file.', times: 1 });
    const err = await failure(new DriveClient({ token: TOKEN, baseUrl: rootUrl, limiter: fast() }).getFile(sim.control.rootFolderIds[1]!), 'invalid_config');
    expect(err.details).toMatchObject({ status: 403, vendorMessage: 'The user does not have sufficient permissions for this file.' });
  });

  it('an expired changes token is an ExpiredPageToken (invalid_config, 400); so is an expired list token', async () => {
    const { sim: s, rootUrl: root } = await started(20, 'expire');
    try {
      const c = new DriveClient({ token: TOKEN, baseUrl: root, limiter: fast() });
      const start = await c.startPageToken();
      const listed = await c.listDriveFiles(s.control.sharedDriveId, null, 5);
      s.control.expirePageTokens();
      const err = await failure(c.changes(start), 'invalid_config');
      expect(err).toBeInstanceOf(ExpiredPageToken);
      expect(err.details).toMatchObject({ status: 400, endpoint: 'GET /changes' });
      const listErr = await failure(c.listDriveFiles(s.control.sharedDriveId, listed.nextPageToken, 5), 'invalid_config');
      expect(listErr).toBeInstanceOf(ExpiredPageToken);
      // The way out: a fresh start token works.
      expect((await c.changes(await c.startPageToken())).newStartPageToken).not.toBeNull();
      // A 400 about anything else stays a plain invalid_config.
      s.control.injectFaults({ status: 400, reason: 'invalid', message: 'Invalid Value', times: 1 });
      expect(await failure(c.about(), 'invalid_config')).not.toBeInstanceOf(ExpiredPageToken);
    } finally {
      await s.stop();
    }
  });

  it('an unknown or deleted file is not_found for the file, its revisions and its comments; an unknown drive too', async () => {
    const err = await failure(client.getFile('1NoSuchFileAnywhere0000000000000x'), 'not_found');
    expect(err.details.status).toBe(404);
    expect(err.message).toContain('File not found');
    await failure(client.revisions('1NoSuchFileAnywhere0000000000000x'), 'not_found');
    await failure(client.comments('1NoSuchFileAnywhere0000000000000x'), 'not_found');
    await failure(client.getDrive('0ANoSuchDriveUk9PVA'), 'not_found');
  });

  it('5xx from Drive is vendor_unavailable; abortIf stops a request before it is sent', async () => {
    sim.control.injectFaults({ status: 503, times: 1 });
    expect((await failure(client.about(), 'vendor_unavailable')).details.status).toBe(503);
    let failed = false;
    const counter = new CallCounter();
    const c = new DriveClient({ token: TOKEN, baseUrl: rootUrl, limiter: fast(), counter, abortIf: () => failed });
    await c.about();
    failed = true;
    await expect(c.about()).rejects.toBeInstanceOf(AbortedRequest);
    expect(counter.total).toBe(1);
  });
});

describe('failures the simulator never sends', () => {
  let stub: Server;
  let stubRoot: string;
  let answer: { status: number; headers: Record<string, string>; body: unknown } = { status: 200, headers: {}, body: {} };
  beforeAll(async () => {
    stub = createServer((_req, res) => {
      res.writeHead(answer.status, { 'Content-Type': 'application/json', ...answer.headers });
      res.end(JSON.stringify(answer.body));
    });
    await new Promise<void>((r) => stub.listen(0, '127.0.0.1', r));
    stubRoot = `http://127.0.0.1:${(stub.address() as AddressInfo).port}/`;
  });
  afterAll(async () => {
    await new Promise<void>((r) => stub.close(() => r()));
  });

  it('a Retry-After (seconds) is the wait: retryAfterMs, and every request of the credential waits it out', async () => {
    answer = { status: 429, headers: { 'Retry-After': '3' }, body: { error: { code: 429, message: 'Rate limit exceeded.', errors: [{ domain: 'usageLimits', reason: 'rateLimitExceeded', message: 'Rate limit exceeded.' }] } } };
    let clock = Date.now();
    const sleeps: number[] = [];
    const limiter = new RateLimiter(600_000, 4, () => clock, async (ms) => {
      sleeps.push(ms);
      clock += ms;
    });
    const c = new DriveClient({ token: TOKEN, baseUrl: stubRoot, limiter });
    const err = await failure(c.about(), 'rate_limited');
    expect(err.details.retryAfterMs).toBe(3000);
    answer = { status: 200, headers: {}, body: { user: { displayName: 'x' } } };
    await c.about();
    expect(Math.max(...sleeps)).toBeGreaterThan(2_800);
  });

  it('a 503 with Retry-After keeps the wait; a dead host is vendor_unavailable with no status', async () => {
    answer = { status: 503, headers: { 'Retry-After': '7' }, body: { error: { code: 503, message: 'Backend Error', errors: [{ domain: 'global', reason: 'backendError', message: 'Backend Error' }] } } };
    const c = new DriveClient({ token: TOKEN, baseUrl: stubRoot, limiter: fast() });
    expect((await failure(c.about(), 'vendor_unavailable')).details).toMatchObject({ status: 503, retryAfterMs: 7000 });
    const dead = new DriveClient({ token: TOKEN, baseUrl: 'http://127.0.0.1:1/', limiter: fast() });
    const err = await failure(dead.about(), 'vendor_unavailable');
    expect(err.details.status).toBeUndefined();
    expect(err.message).toMatch(/^Google Drive GET \/about: network error /);
  });

  it('a changes page with neither token is schema_drift, not an endless or silent end', async () => {
    answer = { status: 200, headers: {}, body: { changes: [] } };
    const c = new DriveClient({ token: TOKEN, baseUrl: stubRoot, limiter: fast() });
    await failure(c.changes('42'), 'schema_drift');
  });
});

describe('classifyDrive (pure)', () => {
  it.each([
    [{ status: 401, reasons: ['authError'] }, { kind: 'auth_revoked' }],
    [{ status: 403, reasons: ['userRateLimitExceeded'] }, { kind: 'rate_limited' }],
    [{ status: 403, reasons: ['rateLimitExceeded'] }, { kind: 'rate_limited' }],
    [{ status: 403, reasons: ['sharingRateLimitExceeded'] }, { kind: 'rate_limited' }],
    [{ status: 403, reasons: ['dailyLimitExceeded'] }, { kind: 'rate_limited' }],
    [{ status: 403, reasons: ['userRateLimitExceeded'], retryAfterMs: 5000 }, { kind: 'rate_limited', retryAfterMs: 5000 }],
    [{ status: 429, reasons: [] }, { kind: 'rate_limited' }],
    [{ status: 403, reasons: ['insufficientFilePermissions'] }, { kind: 'invalid_config' }],
    [{ status: 403, reasons: ['revisionsNotSupported'] }, { kind: 'invalid_config' }],
    [{ status: 404, reasons: ['notFound'] }, { kind: 'not_found' }],
    [{ status: 400, reasons: ['invalid'], locations: ['pageToken'] }, { kind: 'invalid_config', expiredPageToken: true }],
    [{ status: 400, reasons: ['invalid'], locations: ['q'] }, { kind: 'invalid_config' }],
    [{ status: 500, reasons: ['backendError'] }, { kind: 'vendor_unavailable' }],
    [{ status: 502, reasons: [] }, { kind: 'vendor_unavailable' }],
    [{ status: undefined, reasons: [] }, { kind: 'vendor_unavailable' }],
  ])('%j → %j', (input, expected) => {
    expect(classifyDrive({ locations: [], ...input })).toEqual(expected);
  });
});

describe('a whole simulated Drive normalizes (the conformance "schema" case, for files)', () => {
  it('every file and folder of both roots, with revisions and comments: zero rejections, every row valid, counts equal to the truth', async () => {
    const { sim: s, rootUrl: root } = await started(150, 'schema');
    try {
      const c = new DriveClient({ token: TOKEN, baseUrl: root, limiter: fast() });
      const listed: { id: string; mimeType: string }[] = [];
      for (let t: string | null = null, first = true; first || t !== null; first = false) {
        const p = await c.listDriveFiles(s.control.sharedDriveId, t);
        listed.push(...(p.files as typeof listed));
        t = p.nextPageToken;
      }
      for (let t: string | null = null, first = true; first || t !== null; first = false) {
        const p = await c.listChildren([s.control.rootFolderIds[1]!], t);
        listed.push(...(p.files as typeof listed));
        t = p.nextPageToken;
      }
      const batch = emptyBatch();
      for (const f of listed) {
        const [revisions, comments] = await Promise.all([c.revisions(f.id, f.mimeType), c.comments(f.id)]);
        mergeBatches(batch, normalizeFileBundle({ file: f, revisions, comments }, { connectionId: 'conn-schema' }));
      }
      expect(batch.rejected).toEqual([]);
      const invalid = [
        ...batch.files.filter((r) => !StoredFile.safeParse(r).success),
        ...batch.fileRevisions.filter((r) => !FileRevision.safeParse(r).success),
        ...batch.fileComments.filter((r) => !FileComment.safeParse(r).success),
        ...batch.persons.filter((r) => !Person.safeParse(r).success),
      ];
      expect(invalid).toEqual([]);
      expect(batch.files).toHaveLength(listed.length);
      expect(new Set(batch.files.map((f) => f.id)).size).toBe(listed.length);
      const truth = listed.map((f) => s.control.truthOf(f.id)).filter((t) => t !== undefined);
      const binaryRevisions = truth.filter((t) => !t.mimeType.startsWith('application/vnd.google-apps.')).reduce((n, t) => n + t.revisions.length, 0);
      const commentRows = truth.reduce((n, t) => n + t.comments.reduce((m, x) => m + 1 + x.replies.length, 0), 0);
      expect(batch.fileRevisions).toHaveLength(binaryRevisions);
      expect(batch.fileComments).toHaveLength(commentRows);
      expect(batch.fileComments.filter((x) => x.deleted).length).toBeGreaterThan(0);
      expect(batch.fileComments.some((x) => x.action === 'reopen')).toBe(true);
      expect(new Set(batch.fileComments.map((x) => x.id)).size).toBe(commentRows);
      // Folders and Docs were known by their listing: no revisions call for them.
      const noRevisionCalls = listed.filter((f) => f.mimeType.startsWith('application/vnd.google-apps.')).length;
      expect(c.counter.toJSON()['GET /files/{fileId}/revisions']).toBe(listed.length - noRevisionCalls);
    } finally {
      await s.stop();
    }
  }, 30_000);
});
