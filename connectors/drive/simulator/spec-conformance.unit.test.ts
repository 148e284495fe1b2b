// Every endpoint the simulator serves is driven through Google's official client
// (@googleapis/drive, retries off), and every body it answers with is checked against the schemas
// the client's own build/v3.d.ts declares: no field the schema lacks, the right primitive types,
// the documented `kind`, RFC 3339 times and int64-as-string numbers; `fields` is honoured exactly
// (defaults included), and errors come in Google's envelope for 400/401/403/404/429.

import { auth, drive, type drive_v3 } from '@googleapis/drive';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DriveSimulator, MIME, SIM_DEFAULT_TOKEN, createDriveSimulator } from './index';
import { SCHEMAS } from './schema';
import { type SchemaMap, type TypeNode, readDriveSchemas, readKinds } from './spec';

type Json = Record<string, unknown>;
const isObj = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

/** int64 values Drive sends as decimal strings. */
const INT64 = new Set(['size', 'version', 'quotaBytesUsed', 'maxUploadSize', 'thumbnailVersion', 'durationMillis', 'limit', 'usage', 'usageInDrive', 'usageInDriveTrash']);
const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?Z$/;

class Conformance {
  readonly schemas: SchemaMap = readDriveSchemas();
  readonly kinds: Record<string, string> = readKinds();
  /** Route keys (`GET /files/{fileId}`) whose success body was checked. */
  readonly checked = new Set<string>();
  readonly errorStatuses = new Set<number>();

  /** Throws with a path when `value` does not fit `schema`. */
  check(value: unknown, schema: string): void {
    this.visit(value, { k: 'ref', name: schema }, schema);
  }

  private visit(v: unknown, t: TypeNode, path: string): void {
    if (v === null || v === undefined) throw new Error(`${path}: null or undefined is never served (Google omits empty fields)`);
    switch (t.k) {
      case 'string': {
        if (typeof v !== 'string') throw new Error(`${path}: expected a string, got ${JSON.stringify(v)}`);
        const leaf = path.split('.').pop() ?? '';
        if (/Time$/.test(leaf) && !RFC3339.test(v)) throw new Error(`${path}: not an RFC 3339 time: ${v}`);
        if (INT64.has(leaf) && !/^\d+$/.test(v)) throw new Error(`${path}: not an int64 string: ${v}`);
        return;
      }
      case 'boolean':
      case 'number':
        if (typeof v !== t.k) throw new Error(`${path}: expected a ${t.k}, got ${JSON.stringify(v)}`);
        return;
      case 'any':
        return;
      case 'array':
        if (!Array.isArray(v)) throw new Error(`${path}: expected an array`);
        v.forEach((x, i) => this.visit(x, t.of, `${path}[${i}]`));
        return;
      case 'map':
        if (!isObj(v)) throw new Error(`${path}: expected an object (map)`);
        for (const [k, x] of Object.entries(v)) this.visit(x, t.of, `${path}.${k}`);
        return;
      case 'object':
      case 'ref': {
        if (!isObj(v)) throw new Error(`${path}: expected an object`);
        const props = t.k === 'ref' ? this.schemas[t.name] : t.props;
        if (!props) throw new Error(`${path}: v3.d.ts has no Schema$${t.k === 'ref' ? t.name : '?'}`);
        const unknown = Object.keys(v).filter((k) => !(k in props));
        if (unknown.length > 0) throw new Error(`${path}: fields ${t.k === 'ref' ? `Schema$${t.name}` : 'the schema'} does not define: ${unknown.join(', ')}`);
        if (t.k === 'ref' && 'kind' in v && this.kinds[t.name] !== undefined && v.kind !== this.kinds[t.name]) {
          throw new Error(`${path}.kind: expected ${this.kinds[t.name]}, got ${String(v.kind)}`);
        }
        for (const [k, x] of Object.entries(v)) this.visit(x, props[k] as TypeNode, `${path}.${k}`);
        return;
      }
    }
  }

  /** Google's error envelope, exactly: {error:{code,message,errors:[{domain,reason,message,location?,locationType?}]}}. */
  checkError(body: unknown, status: number): void {
    if (!isObj(body) || Object.keys(body).join() !== 'error' || !isObj(body.error)) throw new Error(`not Google's envelope: ${JSON.stringify(body)}`);
    const e = body.error;
    expect(Object.keys(e).sort()).toEqual(['code', 'errors', 'message']);
    expect(e.code).toBe(status);
    expect(typeof e.message).toBe('string');
    expect(Array.isArray(e.errors) && e.errors.length > 0).toBe(true);
    for (const item of e.errors as unknown[]) {
      if (!isObj(item)) throw new Error('error item is not an object');
      for (const k of Object.keys(item)) expect(['domain', 'reason', 'message', 'location', 'locationType']).toContain(k);
      for (const k of ['domain', 'reason', 'message']) expect(typeof item[k]).toBe('string');
      if ('locationType' in item) expect(['parameter', 'header']).toContain(item.locationType);
    }
    this.errorStatuses.add(status);
  }
}

/** Every key of `value` is allowed by `shape` (nested: objects, and arrays of objects, follow their sub-shape). */
function keysWithin(value: unknown, shape: Json | true, path = '$'): void {
  if (shape === true || value === null || typeof value !== 'object') return;
  if (Array.isArray(value)) {
    value.forEach((v, i) => keysWithin(v, shape, `${path}[${i}]`));
    return;
  }
  for (const [k, v] of Object.entries(value as Json)) {
    if (!(k in shape)) throw new Error(`${path}.${k} was not asked for`);
    keysWithin(v, shape[k] as Json | true, `${path}.${k}`);
  }
}

/**
 * "Entries with null values are cleared in update and copy requests" (Schema$File.appProperties),
 * yet the type is `{ [key: string]: string }`: a null has to be cast past the client's types.
 */
const CLEAR_HUB_ASSET = { hub_asset: null } as unknown as Record<string, string>;

describe('Drive simulator against @googleapis/drive build/v3.d.ts', () => {
  let spec: Conformance;
  let sim: DriveSimulator;
  let api: drive_v3.Drive;
  let rootUrl: string;
  let driveId: string;

  beforeAll(async () => {
    spec = new Conformance();
    sim = createDriveSimulator({ generate: { seed: 'conformance', tasks: 160, projects: 2 } });
    rootUrl = (await sim.start()).rootUrl;
    api = client(SIM_DEFAULT_TOKEN);
    driveId = sim.control.sharedDriveId;
  }, 60_000);
  afterAll(async () => {
    await sim?.stop();
  });

  function client(token: string): drive_v3.Drive {
    const oauth = new auth.OAuth2();
    oauth.setCredentials({ access_token: token });
    return drive({ version: 'v3', rootUrl, auth: oauth, retry: false });
  }

  /** Runs an official-client call and checks its body against `schema`. */
  async function ok<T>(route: string, schema: string, call: Promise<{ status: number; data: T }>): Promise<T> {
    const res = await call;
    expect(res.status).toBe(200);
    spec.check(res.data, schema);
    spec.checked.add(route);
    return res.data;
  }

  /** Runs a call that must fail with `status`; checks the envelope; returns the first error item. */
  async function fails(status: number, call: Promise<unknown>): Promise<Json> {
    const err = await call.then(
      () => {
        throw new Error(`expected HTTP ${status}`);
      },
      (e: unknown) => e as { status?: number; response?: { status: number; data: unknown; headers: unknown } },
    );
    expect(err.status, JSON.stringify(err.response?.data)).toBe(status);
    spec.checkError(err.response?.data, status);
    return ((err.response?.data as Json).error as { errors: Json[] }).errors[0] as Json;
  }

  const files = () => [...sim.control.truth.files.values()].filter((f) => !f.deleted);
  const inDrive = { corpora: 'drive', driveId: '', includeItemsFromAllDrives: true, supportsAllDrives: true };

  it('the compiled schema copy matches the installed client’s v3.d.ts', () => {
    expect(SCHEMAS).toEqual(spec.schemas);
    for (const name of ['File', 'Revision', 'Comment', 'Reply', 'Change', 'FileList', 'ChangeList', 'RevisionList', 'CommentList', 'StartPageToken', 'Drive', 'About']) {
      expect(Object.keys(spec.schemas[name] ?? {}).length, name).toBeGreaterThan(1);
    }
    expect(spec.kinds.File).toBe('drive#file');
  });

  it('the checks bite: unknown fields, wrong types, wrong kinds, bad times and envelopes fail', () => {
    expect(() => spec.check({ kind: 'drive#file', id: 5 }, 'File')).toThrow(/id: expected a string/);
    expect(() => spec.check({ kind: 'drive#file', colour: 'red' }, 'File')).toThrow(/colour/);
    expect(() => spec.check({ kind: 'drive#folder' }, 'File')).toThrow(/kind/);
    expect(() => spec.check({ modifiedTime: '2026-01-01' }, 'File')).toThrow(/RFC 3339/);
    expect(() => spec.check({ size: 12 }, 'File')).toThrow(/size/);
    expect(() => spec.check({ files: [{ lastModifyingUser: { email: 'x' } }] }, 'FileList')).toThrow(/email/);
    expect(() => spec.check({ comments: [{ author: { displayName: 'A', me: 'no' } }] }, 'CommentList')).toThrow(/me: expected a boolean/);
    expect(() => spec.checkError({ errors: [{ message: 'x' }] }, 400)).toThrow();
  });

  it('files.list: default fields, partial responses, nested selections, `*`, pageSize, paging to the end', async () => {
    const scope = { ...inDrive, driveId };
    // Without `fields`: kind, incompleteSearch, nextPageToken and files(kind,id,name,mimeType).
    const plain = await ok('GET /files', 'FileList', api.files.list(scope));
    expect(Object.keys(plain).sort()).toEqual(['files', 'incompleteSearch', 'kind', 'nextPageToken']);
    expect(plain.files).toHaveLength(100);
    for (const f of plain.files ?? []) expect(Object.keys(f).sort()).toEqual(['id', 'kind', 'mimeType', 'name']);

    // The connector's selection, page by page.
    const fields = 'nextPageToken, files(id,name,parents,md5Checksum,modifiedTime,lastModifyingUser(displayName,emailAddress))';
    const shape = { nextPageToken: true, files: { id: true, name: true, parents: true, md5Checksum: true, modifiedTime: true, lastModifyingUser: { displayName: true, emailAddress: true } } } as const;
    const seen: string[] = [];
    let pageToken: string | undefined;
    do {
      const page = await ok('GET /files', 'FileList', api.files.list({ ...scope, pageSize: 37, pageToken, fields, q: 'trashed = false' }));
      keysWithin(page, shape);
      for (const f of page.files ?? []) {
        expect(f.id && f.name && f.modifiedTime && f.lastModifyingUser?.displayName).toBeTruthy();
        seen.push(f.id as string);
      }
      pageToken = page.nextPageToken ?? undefined;
    } while (pageToken);
    const expected = files().filter((f) => f.driveId === driveId && !f.trashed).length + [...sim.control.truth.folders.values()].filter((f) => f.driveId === driveId && f.role !== 'root').length;
    expect(new Set(seen).size).toBe(seen.length);
    expect(seen.length).toBe(expected);

    // `fields` without nextPageToken: no token, although there are more pages (paging silently stops).
    const noToken = await ok('GET /files', 'FileList', api.files.list({ ...scope, pageSize: 10, fields: 'files(id)' }));
    expect(Object.keys(noToken)).toEqual(['files']);
    expect(noToken.files).toHaveLength(10);
    // `files/id` path syntax and `kind` alone.
    keysWithin(await ok('GET /files', 'FileList', api.files.list({ ...scope, pageSize: 3, fields: 'kind,files/id,files/owners' })), { kind: true, files: { id: true, owners: true } });
    // `*`: every field, checked against Schema$File (also exercises every field getter).
    const all = await ok('GET /files', 'FileList', api.files.list({ ...scope, pageSize: 1000, fields: '*' }));
    expect((all.files ?? []).some((f) => f.md5Checksum && f.headRevisionId && f.size && f.driveId)).toBe(true);
    const everything = await ok('GET /files', 'FileList', api.files.list({ corpora: 'allDrives', includeItemsFromAllDrives: true, supportsAllDrives: true, pageSize: 1000, fields: 'nextPageToken,files(*)' }));
    expect((everything.files ?? []).some((f) => f.owners && f.ownedByMe === true)).toBe(true);
    expect((everything.files ?? []).some((f) => f.mimeType === MIME.document && f.exportLinks && f.md5Checksum === undefined)).toBe(true);
    // pageSize above the maximum is coerced to 1000, not refused.
    const big = await ok('GET /files', 'FileList', api.files.list({ ...scope, pageSize: 5000, fields: 'files(id)' }));
    expect((big.files ?? []).length).toBeLessThanOrEqual(1000);
  });

  it('files.get, files.update (metadata, appProperties, move), files.create, media uploads', async () => {
    const target = files().find((f) => f.driveId === driveId && f.category === 'asset' && !f.trashed);
    const doc = files().find((f) => f.mimeType === MIME.document);
    if (!target || !doc) throw new Error('dataset lacks an asset or a document');
    const plain = await ok('GET /files/{fileId}', 'File', api.files.get({ fileId: target.fileId, supportsAllDrives: true }));
    expect(Object.keys(plain).sort()).toEqual(['id', 'kind', 'mimeType', 'name']);
    const full = await ok('GET /files/{fileId}', 'File', api.files.get({ fileId: target.fileId, supportsAllDrives: true, fields: '*' }));
    expect(full.md5Checksum).toMatch(/^[0-9a-f]{32}$/);
    expect(full.owners).toBeUndefined();
    const gdoc = await ok('GET /files/{fileId}', 'File', api.files.get({ fileId: doc.fileId, supportsAllDrives: true, fields: '*' }));
    expect([gdoc.md5Checksum, gdoc.headRevisionId, gdoc.sha256Checksum]).toEqual([undefined, undefined, undefined]);
    keysWithin(await ok('GET /files/{fileId}', 'File', api.files.get({ fileId: target.fileId, supportsAllDrives: true, fields: 'id,lastModifyingUser/displayName,capabilities(canEdit)' })), {
      id: true,
      lastModifyingUser: { displayName: true },
      capabilities: { canEdit: true },
    });

    const updated = await ok(
      'PATCH /files/{fileId}',
      'File',
      api.files.update({ fileId: target.fileId, supportsAllDrives: true, fields: 'id,appProperties,version', requestBody: { appProperties: { hub_stage: 'approved', hub_asset: 'A-1' } } }),
    );
    expect(updated).toMatchObject({ id: target.fileId, appProperties: { hub_stage: 'approved', hub_asset: 'A-1' } });
    const cleared = await ok('PATCH /files/{fileId}', 'File', api.files.update({ fileId: target.fileId, supportsAllDrives: true, fields: 'appProperties', requestBody: { appProperties: CLEAR_HUB_ASSET } }));
    expect(cleared.appProperties).toEqual({ hub_stage: 'approved' });
    await ok('PATCH /files/{fileId}', 'File', api.files.update({ fileId: target.fileId, supportsAllDrives: true, requestBody: { name: target.name } }));

    const parent = sim.control.truth.folders.get(sim.control.truth.rootFolderIds[1] as string);
    const created = await ok('POST /files', 'File', api.files.create({ fields: '*', requestBody: { name: 'Notes', mimeType: MIME.document, parents: [parent?.folderId ?? ''] } }));
    expect(created.mimeType).toBe(MIME.document);
    const folder = await ok('POST /files', 'File', api.files.create({ fields: 'id,mimeType,parents', requestBody: { name: 'Sub', mimeType: MIME.folder } }));
    expect(folder.parents).toEqual([sim.control.dataset.myDriveRoot.id]);

    // Media uploads take the simulator as a per-call rootUrl (the global one is ignored for them).
    const upload = await ok(
      'PATCH /upload/files/{fileId}',
      'File',
      api.files.update({ fileId: target.fileId, supportsAllDrives: true, fields: 'id,headRevisionId,md5Checksum,size,version', media: { mimeType: target.mimeType, body: 'new psd bytes' } }, { rootUrl }),
    );
    expect(upload.size).toBe(String('new psd bytes'.length));
    const multipart = await ok(
      'PATCH /upload/files/{fileId}',
      'File',
      api.files.update({ fileId: target.fileId, supportsAllDrives: true, fields: 'name,md5Checksum', requestBody: { name: target.name }, media: { mimeType: target.mimeType, body: 'newer bytes' } }, { rootUrl }),
    );
    expect(multipart.md5Checksum).not.toBe(upload.md5Checksum);
    const fresh = await ok(
      'POST /upload/files',
      'File',
      api.files.create({ fields: '*', supportsAllDrives: true, requestBody: { name: 'moodboard_sea.jpg', parents: [sim.control.rootFolderIds[0] as string] }, media: { mimeType: 'image/jpeg', body: 'jpg bytes' } }, { rootUrl }),
    );
    expect(fresh).toMatchObject({ name: 'moodboard_sea.jpg', mimeType: 'image/jpeg', size: '9', driveId });
  });

  it('revisions.list and revisions.get for blobs and Google Docs', async () => {
    const blob = files().find((f) => f.category === 'asset' && f.revisions.length > 1 && f.mimeType !== MIME.document) ?? files().find((f) => f.category === 'asset');
    const doc = files().find((f) => f.mimeType === MIME.document && f.revisions.length > 2);
    if (!blob || !doc) throw new Error('dataset lacks revisions');
    const plain = await ok('GET /files/{fileId}/revisions', 'RevisionList', api.revisions.list({ fileId: blob.fileId }));
    for (const r of plain.revisions ?? []) expect(Object.keys(r).sort()).toEqual(['id', 'kind', 'mimeType', 'modifiedTime']);
    const full = await ok('GET /files/{fileId}/revisions', 'RevisionList', api.revisions.list({ fileId: blob.fileId, pageSize: 1000, fields: '*' }));
    for (const r of full.revisions ?? []) expect(typeof r.keepForever === 'boolean' && r.md5Checksum && r.size).toBeTruthy();
    const docs = await ok('GET /files/{fileId}/revisions', 'RevisionList', api.revisions.list({ fileId: doc.fileId, pageSize: 1, fields: 'nextPageToken,revisions(*)' }));
    expect(docs.nextPageToken).toEqual(expect.any(String));
    // Google editor revisions: no keepForever, no checksum, no size; export links instead.
    expect(docs.revisions?.[0]).toMatchObject({ exportLinks: expect.any(Object) });
    expect([docs.revisions?.[0]?.keepForever, docs.revisions?.[0]?.md5Checksum, docs.revisions?.[0]?.size]).toEqual([undefined, undefined, undefined]);
    await ok('GET /files/{fileId}/revisions', 'RevisionList', api.revisions.list({ fileId: doc.fileId, pageSize: 1, pageToken: docs.nextPageToken ?? '' }));
    await ok('GET /files/{fileId}/revisions/{revisionId}', 'Revision', api.revisions.get({ fileId: blob.fileId, revisionId: blob.revisions[0]?.id ?? '', fields: '*' }));
    await ok('GET /files/{fileId}/revisions/{revisionId}', 'Revision', api.revisions.get({ fileId: doc.fileId, revisionId: doc.revisions[0]?.id ?? '' }));
  });

  it('comments (fields required, includeDeleted, replies inline) and replies', async () => {
    const withThreads = files().find((f) => f.comments.some((c) => c.deleted) && f.comments.some((c) => !c.deleted && c.replies.length > 1));
    const target = withThreads ?? files().find((f) => f.comments.some((c) => !c.deleted));
    if (!target) throw new Error('dataset lacks comments');
    const list = await ok('GET /files/{fileId}/comments', 'CommentList', api.comments.list({ fileId: target.fileId, includeDeleted: true, pageSize: 100, fields: '*' }));
    for (const c of list.comments ?? []) {
      expect(c.author?.emailAddress).toBeUndefined();
      expect(c.author?.permissionId).toBeUndefined();
      if (c.deleted) expect(c.content).toBe('');
    }
    keysWithin(
      await ok('GET /files/{fileId}/comments', 'CommentList', api.comments.list({ fileId: target.fileId, pageSize: 1, fields: 'nextPageToken,comments(id,author(displayName),replies(id,action))' })),
      { nextPageToken: true, comments: { id: true, author: { displayName: true }, replies: { id: true, action: true } } },
    );
    const comment = (list.comments ?? []).find((c) => !c.deleted) as drive_v3.Schema$Comment;
    await ok('GET /files/{fileId}/comments/{commentId}', 'Comment', api.comments.get({ fileId: target.fileId, commentId: comment.id as string, fields: '*' }));
    const created = await ok('POST /files/{fileId}/comments', 'Comment', api.comments.create({ fileId: target.fileId, fields: '*', requestBody: { content: 'Stageline: approved by the creative director' } }));
    expect(created.author).toEqual({ kind: 'drive#user', displayName: 'Creative Ops Bot', me: true });
    const resolved = await ok('POST /files/{fileId}/comments/{commentId}/replies', 'Reply', api.replies.create({ fileId: target.fileId, commentId: created.id as string, fields: 'id,action', requestBody: { action: 'resolve' } }));
    expect(Object.keys(resolved).sort()).toEqual(['action', 'id']);
    await ok('POST /files/{fileId}/comments/{commentId}/replies', 'Reply', api.replies.create({ fileId: target.fileId, commentId: created.id as string, requestBody: { content: 'Reopening', action: 'reopen' } }));
    const replies = await ok('GET /files/{fileId}/comments/{commentId}/replies', 'ReplyList', api.replies.list({ fileId: target.fileId, commentId: created.id as string }));
    expect(replies.replies?.map((r) => r.action)).toEqual(['resolve', 'reopen']);
    await ok('GET /files/{fileId}/comments/{commentId}/replies', 'ReplyList', api.replies.list({ fileId: target.fileId, commentId: created.id as string, pageSize: 1, fields: 'nextPageToken,replies(id)' }));
    await ok('GET /files/{fileId}/comments/{commentId}/replies/{replyId}', 'Reply', api.replies.get({ fileId: target.fileId, commentId: created.id as string, replyId: replies.replies?.[0]?.id as string }));
    const after = await ok('GET /files/{fileId}/comments/{commentId}', 'Comment', api.comments.get({ fileId: target.fileId, commentId: created.id as string, fields: 'resolved,replies(action)' }));
    expect(after).toEqual({ resolved: false, replies: [{ action: 'resolve' }, { action: 'reopen' }] });
  });

  it('changes: startPageToken, pages with nextPageToken, the last with newStartPageToken', async () => {
    const start = await ok('GET /changes/startPageToken', 'StartPageToken', api.changes.getStartPageToken({ supportsAllDrives: true }));
    expect(Object.keys(start).sort()).toEqual(['kind', 'startPageToken']);
    await ok('GET /changes/startPageToken', 'StartPageToken', api.changes.getStartPageToken({ supportsAllDrives: true, driveId }));
    const page = await ok('GET /changes', 'ChangeList', api.changes.list({ pageToken: '1', pageSize: 5, includeItemsFromAllDrives: true, supportsAllDrives: true }));
    expect(page.nextPageToken).toEqual(expect.any(String));
    expect(page.newStartPageToken).toBeUndefined();
    for (const c of page.changes ?? []) expect(Object.keys(c.file ?? {}).sort()).toEqual(['id', 'kind', 'mimeType', 'name']);
    let token: string | undefined = '1';
    let last: drive_v3.Schema$ChangeList | undefined;
    const fields = 'nextPageToken,newStartPageToken,changes(changeType,fileId,removed,time,driveId,file(id,name,parents,mimeType,modifiedTime,version,md5Checksum,headRevisionId,appProperties,lastModifyingUser(emailAddress,displayName),trashed))';
    while (token) {
      last = await ok('GET /changes', 'ChangeList', api.changes.list({ pageToken: token, pageSize: 1000, includeRemoved: true, includeItemsFromAllDrives: true, supportsAllDrives: true, fields }));
      token = last.nextPageToken ?? undefined;
    }
    expect(last?.newStartPageToken).toEqual(expect.any(String));
    expect(last?.changes?.some((c) => c.removed === true && c.file === undefined)).toBe(true);
    await ok('GET /changes', 'ChangeList', api.changes.list({ pageToken: '1', driveId, supportsAllDrives: true, includeItemsFromAllDrives: true, pageSize: 3, fields: '*' }));
  });

  it('drives.list, drives.get and about.get', async () => {
    const drives = await ok('GET /drives', 'DriveList', api.drives.list({}));
    expect(drives.drives?.map((d) => d.id)).toEqual([driveId]);
    await ok('GET /drives', 'DriveList', api.drives.list({ pageSize: 100, fields: '*' }));
    await ok('GET /drives/{driveId}', 'Drive', api.drives.get({ driveId, fields: '*' }));
    await ok('GET /drives/{driveId}', 'Drive', api.drives.get({ driveId }));
    const about = await ok('GET /about', 'About', api.about.get({ fields: '*' }));
    expect(about.user).toMatchObject({ displayName: 'Creative Ops Bot', emailAddress: 'ops-bot@lumenlark.example', me: true });
    keysWithin(await ok('GET /about', 'About', api.about.get({ fields: 'user(displayName),storageQuota/usage' })), { user: { displayName: true }, storageQuota: { usage: true } });
  });

  it('errors: 400 invalid / required / invalidParameter, 401 authError, 403 and 429 quota, 404 notFound', async () => {
    const target = files().find((f) => f.driveId === driveId && f.category === 'asset') as { fileId: string };
    expect(await fails(400, api.files.list({ q: "name contains 'unterminated" }))).toMatchObject({ reason: 'invalid', location: 'q', message: 'Invalid Value' });
    expect(await fails(400, api.files.list({ q: "'a' in parents and or trashed = false" }))).toMatchObject({ reason: 'invalid' });
    expect(await fails(400, api.files.list({ pageToken: 'forged' }))).toMatchObject({ reason: 'invalid', location: 'pageToken' });
    expect(await fails(400, api.changes.list({ pageToken: 'abc' }))).toMatchObject({ reason: 'invalid', location: 'pageToken' });
    expect(await fails(400, api.files.list({ fields: 'files(colour)' }))).toMatchObject({ reason: 'invalidParameter', location: 'fields' });
    expect(await fails(400, api.comments.list({ fileId: target.fileId }))).toMatchObject({ reason: 'required', location: 'fields' });
    expect(await fails(400, api.files.list({ orderBy: 'size desc' }))).toMatchObject({ reason: 'invalid', location: 'orderBy' });
    expect(await fails(400, api.files.list({ corpora: 'drive', includeItemsFromAllDrives: true, supportsAllDrives: true }))).toMatchObject({ location: 'driveId' });
    expect(await fails(401, client('revoked-or-unknown').files.list({}))).toMatchObject({ reason: 'authError', location: 'Authorization', locationType: 'header' });
    expect(await fails(404, api.files.get({ fileId: '1doesNotExist' }))).toMatchObject({ reason: 'notFound', location: 'fileId' });
    // A shared-drive file without supportsAllDrives is "not found".
    expect(await fails(404, api.files.get({ fileId: target.fileId }))).toMatchObject({ reason: 'notFound' });
    expect(await fails(403, api.files.update({ fileId: target.fileId, supportsAllDrives: true, requestBody: { md5Checksum: 'x' } }))).toMatchObject({ reason: 'fieldNotWritable' });
    sim.control.setQuota(1, 'alternate');
    try {
      await ok('GET /about', 'About', api.about.get({ fields: 'kind' }));
      expect(await fails(403, api.about.get({ fields: 'kind' }))).toMatchObject({ domain: 'usageLimits', reason: 'userRateLimitExceeded' });
      expect(await fails(429, api.about.get({ fields: 'kind' }))).toMatchObject({ domain: 'usageLimits', reason: 'rateLimitExceeded' });
    } finally {
      sim.control.setQuota(null);
    }
    sim.control.injectFaults({ status: 500, pathPrefix: '/drives' });
    expect(await fails(500, api.drives.list({}))).toMatchObject({ reason: 'backendError' });
  });

  it('every served route had a success checked through the official client, and every error status an envelope', () => {
    const missing = sim.control.routes().map((r) => `${r.method} ${r.path}`).filter((r) => !spec.checked.has(r));
    expect(missing).toEqual([]);
    for (const status of [400, 401, 403, 404, 429]) expect(spec.errorStatuses.has(status), `a ${status} envelope was checked`).toBe(true);
  });
});
